"""Kind rules: which kind of the scale a test is, from its markers, its path or a default.

The ini key ``qualscale_kinds`` holds one ``kind: rule`` a line; a rule is a path glob
(qualscale's one glob dialect, :mod:`qualscale._globs`) or a marker expression in the
grammar of ``pytest -m``, evaluated here by a small parser of our own::

    expression := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" or_expr ")" | NAME [ "(" kwargs ")" ]
    kwargs     := NAME "=" value ("," NAME "=" value)*
    value      := a quoted string, an integer, True, False or None
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

import attrs
import pytest

from _qualscale_pytestplugin.common import KIND_MARKER, marker_name
from qualscale._globs import glob_problem, match_path
from qualscale._text import did_you_mean

__all__ = [
    "ExpressionError",
    "KindRules",
    "Marks",
    "Rule",
    "compile_expression",
    "compile_rules",
    "unknown_kind",
]


class MarkMatcher(Protocol):
    """What an expression asks of a test: has it the marker ``name`` (with these kwargs)?"""

    def __call__(self, name: str, /, **kwargs: object) -> bool: ...


Expression = Callable[[MarkMatcher], bool]


class ExpressionError(ValueError):
    """A marker expression that does not parse; the message says where and what."""


# ---------------------------------------------------------- marker expressions

_TOKEN = re.compile(
    r"""(?P<punct>[(),=])|(?P<string>"[^"]*"|'[^']*')|(?P<name>[\w:+\-.\[\]\\/]+)"""
)
_KEYWORDS = frozenset({"and", "or", "not"})
_CONSTANTS: dict[str, object] = {"True": True, "False": False, "None": None}


@attrs.frozen
class _Token:
    kind: str  # "punct", "string", "name", "keyword" or "end"
    text: str
    column: int  # 1-based, for messages


def _tokens(spec: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while True:
        while pos < len(spec) and spec[pos].isspace():
            pos += 1
        if pos == len(spec):
            break
        match = _TOKEN.match(spec, pos)
        if match is None:
            raise ExpressionError(f"unexpected character {spec[pos]!r} at column {pos + 1}")
        kind = match.lastgroup or "name"
        text = match.group()
        if kind == "name" and text in _KEYWORDS:
            kind = "keyword"
        tokens.append(_Token(kind, text, pos + 1))
        pos = match.end()
    tokens.append(_Token("end", "", len(spec) + 1))
    return tokens


class _Parser:
    """A recursive descent parser that turns the tokens into nested closures."""

    def __init__(self, spec: str) -> None:
        self.tokens = _tokens(spec)
        self.at = 0

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self, kind: str, text: str | None = None) -> _Token | None:
        token = self.peek()
        if token.kind == kind and (text is None or token.text == text):
            self.at += 1
            return token
        return None

    def fail(self, expected: str) -> ExpressionError:
        token = self.peek()
        found = "the end" if token.kind == "end" else repr(token.text)
        return ExpressionError(f"expected {expected} at column {token.column}; found {found}")

    def parse(self) -> Expression:
        expression = self.or_expr()
        if self.peek().kind != "end":
            raise self.fail("'and', 'or' or the end")
        return expression

    def or_expr(self) -> Expression:
        parts = [self.and_expr()]
        while self.take("keyword", "or"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else lambda m: any(p(m) for p in parts)

    def and_expr(self) -> Expression:
        parts = [self.not_expr()]
        while self.take("keyword", "and"):
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else lambda m: all(p(m) for p in parts)

    def not_expr(self) -> Expression:
        if self.take("keyword", "not"):
            inner = self.not_expr()
            return lambda m: not inner(m)
        if self.take("punct", "("):
            inner = self.or_expr()
            if not self.take("punct", ")"):
                raise self.fail("')'")
            return inner
        name = self.take("name")
        if name is None:
            raise self.fail("a marker name, 'not' or '('")
        if not self.take("punct", "("):
            return lambda m: m(name.text)
        kwargs = self.kwargs()
        return lambda m: m(name.text, **kwargs)

    def kwargs(self) -> dict[str, object]:
        kwargs: dict[str, object] = {}
        while True:
            key = self.peek()
            if key.kind != "name" or not key.text.isidentifier():
                raise self.fail("a keyword argument name")
            self.at += 1
            if not self.take("punct", "="):
                raise self.fail("'='")
            kwargs[key.text] = self.value()
            if self.take("punct", ")"):
                return kwargs
            if not self.take("punct", ","):
                raise self.fail("',' or ')'")

    def value(self) -> object:
        string = self.take("string")
        if string is not None:
            return string.text[1:-1]
        token = self.peek()
        if token.kind == "name":
            if token.text in _CONSTANTS:
                self.at += 1
                return _CONSTANTS[token.text]
            if re.fullmatch(r"[+-]?\d+", token.text):
                self.at += 1
                return int(token.text)
        raise self.fail("a quoted string, an integer, True, False or None")


def compile_expression(spec: str) -> Expression:
    """Compile a marker expression (``perf or benchmark``, ``not slow``, ``db(kind="pg")``).

    Returns:
        A function of a :class:`MarkMatcher` that says whether a test's markers match.

    Raises:
        ExpressionError: the expression is malformed; the message names the column.
    """
    if not spec.strip():
        raise ExpressionError("expected a marker name, 'not' or '('; found nothing")
    return _Parser(spec).parse()


# ------------------------------------------------------------------ the rules


class Marks:
    """The markers of one test, as an expression sees them (``name`` or ``name(key=value)``).

    ``by_name`` lists each name's markers closest first, as ``item.iter_markers()`` does.
    """

    def __init__(
        self, item: pytest.Item, parents: dict[str, list[pytest.Mark]] | None = None
    ) -> None:
        """Read ``item``'s markers; ``parents`` keeps each parent's, read once per parent.

        The markers a test sees are its own, then its parent's (closest first), so
        thousands of tests in a few modules need a few walks up the tree, not thousands.
        """
        self.by_name: dict[str, list[pytest.Mark]] = {}
        parent = item.parent
        if parents is None or parent is None:
            marks: Iterable[pytest.Mark] = item.iter_markers()
        else:
            inherited = parents.get(parent.nodeid)
            if inherited is None:
                inherited = parents[parent.nodeid] = list(parent.iter_markers())
            marks = itertools.chain(item.own_markers, inherited)
        for mark in marks:
            self.by_name.setdefault(mark.name, []).append(mark)

    def __call__(self, name: str, /, **kwargs: object) -> bool:
        missing = object()
        return any(
            all(mark.kwargs.get(key, missing) == value for key, value in kwargs.items())
            for mark in self.by_name.get(name, ())
        )


@attrs.frozen
class Rule:
    """One line of ``qualscale_kinds``: a kind and either path globs or a marker expression."""

    kind: str
    globs: tuple[str, ...] = ()
    expression: Expression | None = attrs.field(default=None, repr=False)

    def matches(self, path: str, marks: Marks) -> bool:
        """The test with this file path (relative to rootdir) and markers is of the kind."""
        if self.expression is not None:
            return self.expression(marks)
        return match_path(path, self.globs)


def _is_glob(spec: str) -> bool:
    return "/" in spec or "*" in spec or ".py" in spec


def _globs(spec: str) -> tuple[str, ...]:
    # A folder written with a trailing "/" means everything below it.
    return tuple(p + "**" if p.endswith("/") else p for p in spec.split())


def unknown_kind(kind: str, kinds: Sequence[str]) -> str:
    """The message for a kind the scale does not know, with the closest known kind."""
    return f"unknown kind {kind!r}; the scale's kinds are: {', '.join(kinds)}" + did_you_mean(
        kind, kinds
    )


@attrs.frozen
class KindRules:
    """Everything that gives a test its kind, checked against the scale's kinds."""

    kinds: tuple[str, ...]
    rules: tuple[Rule, ...]
    default: str
    #: Each kind with the marker that gives it, in the scale's order.
    markers: tuple[tuple[str, str], ...] = attrs.field(
        init=False,
        default=attrs.Factory(
            lambda self: tuple((kind, marker_name(kind)) for kind in self.kinds), takes_self=True
        ),
    )

    def kind_of(
        self, item: pytest.Item, root: Path, parents: dict[str, list[pytest.Mark]] | None = None
    ) -> str:
        """The kind of ``item``: its ``qualscale_kind`` marker, the first matching rule,
        a marker named after a kind (in the scale's order), else the default kind.

        ``parents`` caches the markers of parent nodes across calls (see :class:`Marks`).

        Raises:
            ValueError: the ``qualscale_kind`` marker names a kind the scale lacks.
        """
        marks = Marks(item, parents)
        explicit = marks.by_name.get(KIND_MARKER)
        if explicit:
            mark = explicit[0]  # the closest one
            value = mark.args[0] if mark.args else mark.kwargs.get("kind")
            if value in self.kinds:
                return str(value)
            raise ValueError(f"{KIND_MARKER}({value!r}): {unknown_kind(str(value), self.kinds)}")
        if self.rules:
            path = _relative(item.path, root)
            for rule in self.rules:
                if rule.matches(path, marks):
                    return rule.kind
        for kind, marker in self.markers:
            if marker in marks.by_name:
                return kind
        return self.default


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def compile_rules(lines: Sequence[str], default: str, kinds: Sequence[str]) -> KindRules:
    """The rules of ``qualscale_kinds`` and the default kind, checked against ``kinds``.

    Raises:
        pytest.UsageError: naming the ini key and every bad line at once.
    """
    problems: list[str] = []
    rules: list[Rule] = []
    for number, line in enumerate(lines, 1):
        kind, sep, spec = (part.strip() for part in line.partition(":"))
        where = f"qualscale_kinds line {number} {line!r}"
        if not sep or not kind or not spec:
            problems.append(f"{where}: expected 'kind: marker expression' or 'kind: path glob'")
        elif kind not in kinds:
            problems.append(f"{where}: {unknown_kind(kind, kinds)}")
        elif _is_glob(spec):
            bad = [m for m in map(glob_problem, _globs(spec)) if m is not None]
            problems.extend(f"{where}: {message}" for message in bad)
            if not bad:
                rules.append(Rule(kind, globs=_globs(spec)))
        else:
            try:
                rules.append(Rule(kind, expression=compile_expression(spec)))
            except ExpressionError as exc:
                problems.append(f"{where}: bad marker expression: {exc}")
    if default not in kinds:
        problems.append(f"qualscale_default_kind: {unknown_kind(default, kinds)}")
    if problems:
        raise pytest.UsageError("\n".join(problems))
    return KindRules(tuple(kinds), tuple(rules), default)
