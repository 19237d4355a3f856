"""The bounds every document read is held to, whatever its format.

:mod:`qualscale._yaml` checks them while it reads YAML; :func:`check_plain` checks data
parsed elsewhere (JSON Lines, JSON reports) against the same bounds. Pure, and free of
PyYAML, so that a command reading no YAML (a plan from git, a cached scale) never
imports it.
"""

from __future__ import annotations

from typing import Any

from qualscale.errors import KeyPath, Problem

__all__ = [
    "MAX_DEPTH",
    "MAX_INT",
    "MAX_NODES",
    "check_plain",
    "has_surrogate",
    "int_ok",
    "int_range",
    "short",
    "surrogate",
    "too_deep",
    "too_many",
]

#: The most keys and values a document may hold, aliases expanded (guards against alias bombs).
MAX_NODES = 200_000
#: The deepest nesting of mappings and lists; real documents use fewer than ten levels.
MAX_DEPTH = 100
#: The largest integer read (a signed 64-bit integer); ``-MAX_INT - 1`` is the smallest.
MAX_INT = 2**63 - 1


def too_deep() -> str:
    """The message for a document nested beyond :data:`MAX_DEPTH`."""
    return f"nested more than {MAX_DEPTH} levels deep"


def too_many() -> str:
    """The message for a document of more than :data:`MAX_NODES` values."""
    return f"more than {MAX_NODES} values"


def int_ok(value: int) -> bool:
    """Whether ``value`` is within the signed 64-bit range."""
    return -MAX_INT - 1 <= value <= MAX_INT


def int_range(text: str) -> str:
    """The message for an integer literal ``text`` out of range."""
    return f"integer out of range (at most 64 bits): {short(text)!r}"


def short(text: str) -> str:
    """``text`` cut to 60 characters, for a message."""
    return text if len(text) <= 60 else text[:57] + "..."


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (which UTF-8 cannot write)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def surrogate(text: str) -> str:
    """The message for a string ``text`` holding a lone surrogate."""
    return f"not Unicode text (a lone surrogate): {short(text)!r}"


def check_plain(value: Any, file: str | None, line: int | None) -> list[Problem]:
    """Problems of data parsed outside :mod:`qualscale._yaml` (JSON Lines) against the bounds.

    Checks nesting, the number of values and the size of integers, and refuses
    strings with lone surrogates (JSON can write them; UTF-8 cannot).
    """
    problems: list[Problem] = []
    left = MAX_NODES
    stack: list[tuple[Any, KeyPath, int]] = [(value, (), 0)]
    while stack:
        item, path, depth = stack.pop()
        left -= 1
        if left < 0:
            return [*problems, Problem(too_many(), file, line)]
        if isinstance(item, dict):
            children: list[tuple[Any, KeyPath]] = []
            for key, sub in item.items():
                if has_surrogate(key):
                    problems.append(Problem(surrogate(key), file, line, path))
                    continue
                children.append((sub, (*path, key)))
        elif isinstance(item, list):
            children = [(sub, (*path, i)) for i, sub in enumerate(item)]
        else:
            if isinstance(item, str) and has_surrogate(item):
                problems.append(Problem(surrogate(item), file, line, path))
            elif isinstance(item, int) and not isinstance(item, bool) and not int_ok(item):
                problems.append(Problem(int_range(str(item)), file, line, path))
            continue
        if depth >= MAX_DEPTH:
            return [*problems, Problem(too_deep(), file, line, path)]
        stack.extend((sub, at, depth + 1) for sub, at in reversed(children))
    return problems
