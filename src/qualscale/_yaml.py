"""Safe YAML (and JSON) reading that remembers where every value came from.

Mappings and lists come back as :class:`~qualscale._located.LocDict` and
:class:`~qualscale._located.LocList`, which also know the file and line of
each of their entries, so errors found later (by cattrs, by the scale checks)
can name the line. Only plain YAML is accepted: any tag outside the core
scalars (``!!python/...`` above all, ``!!binary`` too) is an error.

Every document is held to the same bounds, checked while it is read (never
after it is built), so any input ends in a located problem in bounded time
and memory: the bounds of :mod:`qualscale._bounds` (keys and values, also once
aliases are expanded; nesting; integers within 64 bits).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import attrs
import yaml

from qualscale._bounds import (
    MAX_DEPTH,
    MAX_NODES,
    int_ok,
    int_range,
    short,
    too_deep,
    too_many,
)
from qualscale._located import Loc, LocDict, LocList
from qualscale.errors import KeyPath, Problem

__all__ = [
    "Parsed",
    "dump",
    "parse",
    "parse_all",
]

# libyaml's parser is about ten times faster; the constructor stays the safe one.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The pure-Python emitter takes seconds over a long string (a 5 MB title: 6 s).
_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

_CORE = "tag:yaml.org,2002:"
_MAP = _CORE + "map"
_SEQ = _CORE + "seq"
#: The scalar tags read, and what a value of each should be, for messages.
_SCALARS = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "null": "null",
    "timestamp": "a date",
}
# An integer literal longer than this is out of range whatever its base; checked
# before conversion, which is quadratic in the number of digits.
_INT_CHARS = 100
# PyYAML's constructors raise these (not YAMLError) for values they cannot convert.
_CONVERSION_ERRORS = (
    yaml.YAMLError,
    ValueError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    TypeError,
)


def dump(data: Any) -> str:
    """``data`` (plain values) as a YAML document, keys in their order, Unicode as is."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def parse(text: str, file: str | None) -> tuple[Any, list[Problem]]:
    """Parse one YAML or JSON document; returns the value and every problem found.

    An empty document is ``None``.
    """
    found = parse_all(text, file)
    return found.value, found.problems


@attrs.frozen
class Parsed:
    """A parsed document: its value, the problems found reading it, and where they left holes.

    ``complete`` is false when reading stopped (invalid YAML, too big): ``value`` is then
    ``None``. Otherwise the value is built around the problems: ``replaced`` holds the key
    paths whose value could not be read (and is ``None``); a duplicate key keeps the
    last value. Checks of the value can then add their problems to these.
    """

    value: Any
    problems: list[Problem]
    complete: bool = True
    replaced: frozenset[KeyPath] = frozenset()


def parse_all(text: str, file: str | None) -> Parsed:
    """Parse one YAML or JSON document, building as much of it as can be read."""
    text = _joined_surrogates(text)
    too_big, aliases = _scan(text, file)
    if too_big is not None:
        return Parsed(None, [too_big], complete=False)
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
            return Parsed(None, [Problem(f"invalid YAML: {message}", file, line)], False)
        except yaml.reader.ReaderError as exc:  # a character YAML does not allow
            line = text.count("\n", 0, exc.position) + 1
            char = exc.character
            shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
            message = f"invalid YAML: unacceptable character {shown}: {exc.reason}"
            return Parsed(None, [Problem(message, file, line)], complete=False)
        except yaml.YAMLError as exc:
            return Parsed(None, [Problem(f"invalid YAML: {exc}", file, None)], complete=False)
        if node is None:
            return Parsed(None, [])
        builder = _Builder(loader, file, aliases)
        try:
            value = builder.build(node, (), 0)
        except _TooBig as exc:
            return Parsed(None, [exc.problem], complete=False)
        return Parsed(value, builder.problems, replaced=frozenset(builder.replaced))
    finally:
        loader.dispose()


#: A JSON escape of a UTF-16 surrogate pair (``"\\ud83d\\ude00"``), after an even number
#: of backslashes (an odd one escapes the backslash of the ``\\u``).
_PAIR = r"(?<!\\)((?:\\\\)*)\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})"


def _joined_surrogates(text: str) -> str:
    """``text``, if it is JSON, with each escaped surrogate pair as one ``\\U`` escape.

    JSON writes a character beyond U+FFFF as a pair of ``\\u`` escapes; YAML, which
    reads qualscale's JSON too, refuses surrogates. In JSON every backslash is in a
    double-quoted string, where YAML reads ``\\UXXXXXXXX``: the same character.
    """
    if "\\u" not in text or not re.search(_PAIR, text):
        return text
    import json

    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return text  # YAML, or not valid at all: the reader says what is wrong
    return re.sub(_PAIR, _one_escape, text)


def _one_escape(match: re.Match[str]) -> str:
    high, low = int(match.group(2), 16), int(match.group(3), 16)
    code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
    return f"{match.group(1)}\\U{code:08x}"


def _scan(text: str, file: str | None) -> tuple[Problem | None, bool]:
    """A first pass over the parser's events: a problem if the document is too big or deep.

    Composing the node tree of a 5 MB flow list takes most of a gigabyte and seconds
    before the builder could count; events are counted as they stream by, in constant
    memory, and the pass stops at the first value over a bound. Also tells whether the
    document uses aliases. Syntax errors are left for the composer to report.
    """
    loader = _Loader(text)
    seen = depth = 0
    aliases = False
    try:
        for event in _events(loader):
            if isinstance(event, yaml.AliasEvent):
                aliases = True
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
                continue
            elif not isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
                continue
            seen += 1
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            if seen > MAX_NODES:
                return Problem(too_many(), file, line), aliases
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return Problem(too_deep(), file, line), aliases
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return None, aliases


def _events(loader: yaml.SafeLoader) -> Iterator[yaml.Event]:
    while loader.check_event():
        yield loader.get_event()  # type: ignore[no-untyped-call]


class _Builder:
    """Builds located values from one document's nodes, collecting problems as it goes."""

    def __init__(self, loader: yaml.SafeLoader, file: str | None, aliases: bool) -> None:
        self.loader = loader
        self.file = file
        self.aliases = aliases
        self.problems: list[Problem] = []
        self.replaced: set[KeyPath] = set()
        self.left = MAX_NODES

    def build(self, node: yaml.Node, path: KeyPath, depth: int) -> Any:
        """The value of ``node`` at ``path``: a :class:`LocDict`, :class:`LocList` or scalar.

        ``depth`` counts the collections around it. The first pass bounds the document
        as written; this bounds it with aliases expanded.
        """
        self._spend(node, path)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if depth >= MAX_DEPTH:
            raise _TooBig(Problem(too_deep(), *self._where(node), path))
        if isinstance(node, yaml.SequenceNode):
            return self._sequence(node, path, depth + 1)
        assert isinstance(node, yaml.MappingNode)
        return self._mapping(node, path, depth + 1)

    def _spend(self, node: yaml.Node, path: KeyPath) -> None:
        self.left -= 1
        if self.left < 0:
            message = too_many()
            if self.aliases:
                message = f"the document expands to more than {MAX_NODES} values (an alias bomb?)"
            raise _TooBig(Problem(message, *self._where(node), path))

    def _where(self, node: yaml.Node) -> Loc:
        return (self.file, node.start_mark.line + 1)

    def _problem(self, message: str, node: yaml.Node, path: KeyPath, replaced: bool = True) -> None:
        self.problems.append(Problem(message, *self._where(node), path))
        if replaced:
            self.replaced.add(path)

    def _scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        value, message = _scalar_value(self.loader, node)
        if message is not None:
            self._problem(message, node, path)
        return value

    def _sequence(self, node: yaml.SequenceNode, path: KeyPath, depth: int) -> LocList | None:
        if node.tag != _SEQ:
            self._problem(f"unsupported tag {node.tag!r}", node, path)
            return None
        out = LocList(self._where(node))
        for i, item in enumerate(node.value):
            out.put(self.build(item, (*path, i), depth), self._where(item))
        return out

    def _mapping(self, node: yaml.MappingNode, path: KeyPath, depth: int) -> LocDict | None:
        if node.tag != _MAP:
            self._problem(f"unsupported tag {node.tag!r}", node, path)
            return None
        try:
            self.loader.flatten_mapping(node)  # resolves YAML merge keys (<<: *base)
        except yaml.MarkedYAMLError as exc:
            self._problem(f"invalid merge key: {exc.problem}", node, path)
            return None
        out = LocDict(self._where(node))
        for key_node, value_node in node.value:
            self._spend(key_node, path)
            key = self._key(key_node, path)
            if key is _BAD:
                continue
            if not isinstance(key, str):
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a collection"
                message = f"expected a string key, found {shown!r}"
                self._problem(message, key_node, path, replaced=False)
                continue
            child = (*path, key)
            if key in out:
                self._problem(f"duplicate key {key!r}", key_node, child, replaced=False)
            out.put(key, self.build(value_node, child, depth), self._where(key_node))
        return out

    def _key(self, node: yaml.Node, path: KeyPath) -> object:
        if not isinstance(node, yaml.ScalarNode):
            return None
        value, message = _scalar_value(self.loader, node)
        if message is not None:
            self._problem(f"invalid key: {message}", node, path, replaced=False)
            return _BAD
        return value


_BAD = object()


def _scalar_value(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> tuple[Any, str | None]:
    """The value of a scalar node, or ``None`` and why it cannot be read.

    Only the core scalar tags are constructed, each within its bounds; the
    constructors' own exceptions (a ``KeyError`` for ``!!bool maybe``, a
    ``ValueError`` for ``2026-02-30``) become messages.
    """
    tag = node.tag
    kind = tag.removeprefix(_CORE)
    if kind == tag or kind not in _SCALARS:
        return None, f"unsupported tag {tag!r}: only plain YAML is read"
    if kind == "int" and len(node.value) > _INT_CHARS:
        return None, int_range(node.value)
    try:
        value = loader.yaml_constructors[tag](loader, node)
    except _CONVERSION_ERRORS:
        return None, f"not {_SCALARS[kind]}: {short(node.value)!r}"
    if isinstance(value, int) and not isinstance(value, bool) and not int_ok(value):
        return None, int_range(node.value)
    return value, None


class _TooBig(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem
