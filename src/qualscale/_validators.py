"""attrs validators shared by the model; their errors name the field they reject."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from qualscale.errors import QualscaleError

#: Identifiers, as a regex that Python's ``re`` and ECMA-262 (JSON Schema's
#: dialect, used by editors) read alike: with a bare ``$``, Python would also
#: accept a trailing newline (``"S1\\n"``).
ID_CHARS = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
ID_PATTERN = rf"^{ID_CHARS}$(?!\n)"
_ID = re.compile(ID_PATTERN)


class FieldInvalid(QualscaleError, ValueError):
    """A field's value is out of range; ``field`` is the attribute's name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def nonneg(_: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    """Reject negative integers (``None`` passes)."""
    if value is not None and value < 0:
        raise FieldInvalid(attribute.name, f"expected a non-negative integer, found {value!r}")


def positive(_: object, attribute: attrs.Attribute[Any], value: int) -> None:
    """Reject integers below 1."""
    if value < 1:
        raise FieldInvalid(attribute.name, f"expected a positive integer, found {value!r}")


def ident(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
    """Accept identifiers: letters, digits, ``-``, ``_`` and ``.``."""
    if not _ID.match(value):
        raise FieldInvalid(
            attribute.name,
            f"expected an identifier (letters, digits, '-', '_', '.'), found {value!r}",
        )


def nonempty(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
    """Reject empty or blank strings."""
    if not value.strip():
        raise FieldInvalid(attribute.name, "expected a non-empty string")


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(value, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


_MAX_DEPTH = 32


def json_data(_: object, attribute: attrs.Attribute[Any], value: Mapping[str, Any]) -> None:
    """Accept only what JSON can write: string keys, finite numbers, shallow nesting."""
    problem = _json_problem(value, 0)
    if problem:
        raise FieldInvalid(attribute.name, f"expected plain JSON data, found {problem}")


def _json_problem(value: Any, depth: int) -> str | None:
    if depth > _MAX_DEPTH:
        return f"nesting deeper than {_MAX_DEPTH} levels"
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"the number {value!r}"
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"the key {key!r}"
            problem = _json_problem(item, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, (list, tuple)):
        for item in value:
            problem = _json_problem(item, depth + 1)
            if problem:
                return problem
        return None
    return f"a value of type {type(value).__name__} ({value!r:.40})"
