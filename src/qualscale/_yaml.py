"""Safe YAML (and JSON) reading that remembers where every value came from.

Mappings and lists come back as :class:`~qualscale._located.LocDict` and
:class:`~qualscale._located.LocList`, which also know the file and line of
each of their entries, so errors found later (by cattrs, by the scale checks)
can name the line. Only plain YAML is accepted: any tag outside the core schema
(``!!python/...`` above all) is an error, and so is a document that expands
to more than :data:`MAX_NODES` values through aliases.
"""

from __future__ import annotations

from typing import Any

import yaml

from qualscale._located import Loc, LocDict, LocList
from qualscale.errors import KeyPath, Problem

__all__ = ["MAX_NODES", "parse"]

#: The most values a document may expand to; guards against alias bombs.
MAX_NODES = 200_000


# libyaml's parser is about ten times faster; the constructor stays the safe one.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


def parse(text: str, file: str | None) -> tuple[Any, list[Problem]]:
    """Parse one YAML or JSON document; returns the value and every problem found.

    An empty document is ``None``.
    """
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            message = (
                " ".join(str(part) for part in (exc.context, exc.problem) if part) or "invalid YAML"
            )
            return None, [Problem(f"invalid YAML: {message}", file, line)]
        except yaml.YAMLError as exc:
            return None, [Problem(f"invalid YAML: {exc}", file, None)]
        if node is None:
            return None, []
        builder = _Builder(loader, file)
        try:
            value = builder.build(node, ())
        except _TooBig as exc:
            return None, [exc.problem]
        return value, builder.problems
    finally:
        loader.dispose()


class _Builder:
    """Builds located values from one document's nodes, collecting problems as it goes."""

    def __init__(self, loader: yaml.SafeLoader, file: str | None) -> None:
        self.loader = loader
        self.file = file
        self.problems: list[Problem] = []
        self.left = MAX_NODES

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        """The value of ``node`` at ``path``: a :class:`LocDict`, :class:`LocList` or scalar."""
        self.left -= 1
        if self.left < 0:
            message = f"the document expands to more than {MAX_NODES} values (an alias bomb?)"
            raise _TooBig(Problem(message, self.file, node.start_mark.line + 1, path))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, yaml.SequenceNode):
            return self._sequence(node, path)
        assert isinstance(node, yaml.MappingNode)
        return self._mapping(node, path)

    def _where(self, node: yaml.Node) -> Loc:
        return (self.file, node.start_mark.line + 1)

    def _problem(self, message: str, node: yaml.Node, path: KeyPath) -> None:
        self.problems.append(Problem(message, *self._where(node), path))

    def _scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self._problem(_tag_message(node, exc), node, path)
            return None

    def _sequence(self, node: yaml.SequenceNode, path: KeyPath) -> LocList | None:
        if node.tag != _SEQ:
            self._problem(f"unsupported tag {node.tag!r}", node, path)
            return None
        out = LocList(self._where(node))
        for i, item in enumerate(node.value):
            out.put(self.build(item, (*path, i)), self._where(item))
        return out

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> LocDict | None:
        if node.tag != _MAP:
            self._problem(f"unsupported tag {node.tag!r}", node, path)
            return None
        try:
            self.loader.flatten_mapping(node)  # resolves YAML merge keys (<<: *base)
        except yaml.YAMLError as exc:
            self._problem(f"invalid merge key: {exc}", node, path)
            return None
        out = LocDict(self._where(node))
        for key_node, value_node in node.value:
            key = self._key(key_node)
            if not isinstance(key, str):
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a collection"
                self._problem(f"expected a string key, found {shown!r}", key_node, path)
                continue
            child = (*path, key)
            if key in out:
                self._problem(f"duplicate key {key!r}", key_node, child)
            out.put(key, self.build(value_node, child), self._where(key_node))
        return out

    def _key(self, node: yaml.Node) -> object:
        if isinstance(node, yaml.ScalarNode) and node.tag.startswith("tag:yaml.org"):
            return self.loader.construct_object(node)
        return None


class _TooBig(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _tag_message(node: yaml.Node, exc: yaml.YAMLError) -> str:
    if node.tag.startswith("tag:yaml.org,2002:python/") or not node.tag.startswith("tag:yaml.org"):
        return f"unsupported tag {node.tag!r}: only plain YAML is read"
    return f"invalid value {node.value!r} for {node.tag.rsplit(':', 1)[-1]}: {exc}"
