"""attrs validators shared by the model; their errors name the field they reject."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from qualscale._text import did_you_mean
from qualscale.errors import Problem, ValidationError

#: Identifiers, as a regex that Python's ``re`` and ECMA-262 (JSON Schema's
#: dialect, used by editors) read alike: with a bare ``$``, Python would also
#: accept a trailing newline (``"S1\\n"``).
ID_CHARS = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
ID_PATTERN = rf"^{ID_CHARS}$(?!\n)"
_ID = re.compile(ID_PATTERN)


class FieldInvalid(ValidationError):
    """A field's value is out of range; ``field`` is the attribute's name.

    Raised by constructors of the model for values built in Python; the
    structuring layer turns it into a problem located in the file.
    """

    def __init__(self, field: str, message: str, at: tuple[int, ...] = ()) -> None:
        super().__init__([Problem(message, path=(field, *at))])
        self.field = field
        self.message = message
        #: The index in the field's list of the bad item, when there is one.
        self.at = at


class WrongType(FieldInvalid):
    """A value built in Python is not even of the field's type (``"3"`` for a count).

    The converter's type hooks report this for data from files, so it skips these.
    """


def _require(attribute: attrs.Attribute[Any], value: object, kind: type, what: str) -> None:
    # Python counts True as an int; no field of ours means a count by it.
    if not isinstance(value, kind) or isinstance(value, bool):
        raise WrongType(attribute.name, f"expected {what}, found {value!r:.60}")


def nonneg(_: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    """Reject negative integers and anything not an integer (``None`` passes)."""
    if value is None:
        return
    _require(attribute, value, int, "a non-negative integer")
    if value < 0:
        raise FieldInvalid(attribute.name, f"expected a non-negative integer, found {value!r}")


def hours(_: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    """Accept ``None`` or a finite number of hours, 0 or more."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WrongType(attribute.name, f"expected a number of hours, found {value!r:.60}")
    if not math.isfinite(value) or value < 0:
        raise FieldInvalid(
            attribute.name, f"expected a finite number of hours, 0 or more; found {value!r}"
        )


def positive(_: object, attribute: attrs.Attribute[Any], value: int) -> None:
    """Reject integers below 1 and anything not an integer."""
    _require(attribute, value, int, "a positive integer")
    if value < 1:
        raise FieldInvalid(attribute.name, f"expected a positive integer, found {value!r}")


def ident(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
    """Accept identifiers: letters, digits, ``-``, ``_`` and ``.``."""
    _require(attribute, value, str, "an identifier (a string)")
    if not _ID.match(value):
        raise FieldInvalid(
            attribute.name,
            f"expected an identifier (letters, digits, '-', '_', '.'), found {value!r}",
        )


def nonempty(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
    """Reject empty or blank strings, and anything not a string."""
    _require(attribute, value, str, "a non-empty string")
    if not value.strip():
        raise FieldInvalid(attribute.name, "expected a non-empty string")


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


#: Validators that repeat a check the converter's type hooks already make; the
#: converter skips them when it looks for every bad value of an object.
TYPE_CHECKS: set[object] = set()


def one_of(choices: Sequence[str]) -> Callable[[object, attrs.Attribute[Any], str | None], None]:
    """A validator accepting ``None`` or one of ``choices``, with a did-you-mean."""

    def check(_: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
        if value is not None and value not in choices:
            listed = ", ".join(repr(c) for c in choices)
            hint = did_you_mean(value, choices) if isinstance(value, str) else ""
            raise FieldInvalid(attribute.name, f"expected one of {listed}; found {value!r}{hint}")

    TYPE_CHECKS.add(check)
    return check


def strings(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Accept a tuple of strings (a list in a file); refuse a bare string."""
    if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
        raise FieldInvalid(attribute.name, f"expected a list of strings, found {value!r:.60}")


TYPE_CHECKS.add(strings)


def relative_paths(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Accept strings as :func:`strings` does; refuse a path that climbs above the root."""
    from qualscale._globs import normal_path

    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        # The type hooks report a list that is not all strings, from a file.
        raise WrongType(attribute.name, f"expected a list of strings, found {value!r:.60}")
    for item in value:
        try:
            normal_path(item)
        except ValueError as exc:
            raise FieldInvalid(attribute.name, str(exc)) from None


def globs(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Accept a list of globs of qualscale's dialect (:mod:`qualscale._globs`)."""
    from qualscale._globs import glob_problem

    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise WrongType(attribute.name, f"expected a list of globs, found {value!r:.60}")
    for i, item in enumerate(value):
        problem = glob_problem(item)
        if problem is not None:
            raise FieldInvalid(attribute.name, problem, (i,))


#: Field metadata key: the field holds an ISO 8601 date (see :func:`iso_date`).
DATE = "qualscale.date"


def iso_date(_: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    """Accept ``None`` or an ISO 8601 date (``2026-11-29``) or date and time."""
    import datetime

    if value is None:
        return
    _require(attribute, value, str, "an ISO 8601 date")
    try:
        if len(value) == 10:
            datetime.date.fromisoformat(value)
        else:
            datetime.datetime.fromisoformat(value)
    except ValueError:
        raise FieldInvalid(
            attribute.name, f"expected an ISO 8601 date such as 2026-11-29, found {value!r:.60}"
        ) from None


METRIC_PATTERN = r"^[a-z][a-z0-9_]*$(?!\n)"
_METRIC = re.compile(METRIC_PATTERN)


def metrics(_: object, attribute: attrs.Attribute[Any], value: Mapping[str, float]) -> None:
    """Accept a mapping of lowercase names (``la``, ``author_changes``) to finite numbers."""
    import math

    if not isinstance(value, Mapping):
        raise WrongType(attribute.name, f"expected a mapping, found {value!r:.60}")
    for name, number in value.items():
        if not isinstance(name, str) or not _METRIC.match(name):
            raise FieldInvalid(
                attribute.name,
                f"expected metric names of lowercase letters, digits and _, found {name!r:.60}",
            )
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise WrongType(attribute.name, f"expected a number for {name}, found {number!r:.60}")
        if not math.isfinite(number):
            raise FieldInvalid(
                attribute.name, f"expected a finite number for {name}, found {number!r}"
            )
