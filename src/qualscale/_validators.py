"""attrs validators shared by the model; their errors name the field they reject."""

from __future__ import annotations

import re
from typing import Any

import attrs

#: Identifiers, as a regex that Python's ``re`` and ECMA-262 (JSON Schema's
#: dialect, used by editors) read alike: with a bare ``$``, Python would also
#: accept a trailing newline (``"S1\\n"``).
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$(?!\n)"
_ID = re.compile(ID_PATTERN)


class FieldInvalid(ValueError):
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
