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


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_NODES


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
        problems: list[Problem] = []
        try:
            value = _build(loader, node, file, problems, _Budget(), ())
        except _TooBig as exc:
            return None, [exc.problem]
        return value, problems
    finally:
        loader.dispose()


def _build(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    file: str | None,
    problems: list[Problem],
    budget: _Budget,
    path: KeyPath,
) -> Any:
    budget.left -= 1
    if budget.left < 0:
        raise _TooBig(
            Problem(
                f"the document expands to more than {MAX_NODES} values (an alias bomb?)",
                file,
                node.start_mark.line + 1,
                path,
            )
        )
    where: Loc = (file, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        try:
            return loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            problems.append(Problem(_tag_message(node, exc), *where, path))
            return None
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            problems.append(Problem(f"unsupported tag {node.tag!r}", *where, path))
            return None
        out_list = LocList(where)
        for i, item in enumerate(node.value):
            out_list.put(
                _build(loader, item, file, problems, budget, (*path, i)),
                (file, item.start_mark.line + 1),
            )
        return out_list
    assert isinstance(node, yaml.MappingNode)
    if node.tag != _MAP:
        problems.append(Problem(f"unsupported tag {node.tag!r}", *where, path))
        return None
    try:
        loader.flatten_mapping(node)  # resolves YAML merge keys (<<: *base)
    except yaml.YAMLError as exc:
        problems.append(Problem(f"invalid merge key: {exc}", *where, path))
        return None
    out = LocDict(where)
    for key_node, value_node in node.value:
        key_where: Loc = (file, key_node.start_mark.line + 1)
        key = (
            loader.construct_object(key_node)
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag.startswith("tag:yaml.org")
            else None
        )
        if not isinstance(key, str):
            shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a collection"
            problems.append(Problem(f"expected a string key, found {shown!r}", *key_where, path))
            continue
        child = (*path, key)
        if key in out:
            problems.append(Problem(f"duplicate key {key!r}", *key_where, child))
        out.put(key, _build(loader, value_node, file, problems, budget, child), key_where)
    return out


class _TooBig(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _tag_message(node: yaml.Node, exc: yaml.YAMLError) -> str:
    if node.tag.startswith("tag:yaml.org,2002:python/") or not node.tag.startswith("tag:yaml.org"):
        return f"unsupported tag {node.tag!r}: only plain YAML is read"
    return f"invalid value {node.value!r} for {node.tag.rsplit(':', 1)[-1]}: {exc}"
