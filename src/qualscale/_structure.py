"""Structuring: plain data into the model's objects, and back, with located problems.

Pure: nothing here reads a file. The converter is strict - no silent coercion:
``3`` is not a string, ``"12"`` is not an integer, a string is not a list.
Every hook raises :class:`Invalid` with what was expected and what was found;
:func:`structure_located` gathers every problem of a document at once and puts
the file and line on each (when the data came from the YAML reader).
"""

from __future__ import annotations

import datetime
import functools
import typing
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory, mapping_structure_factory
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from qualscale._located import locate
from qualscale._text import did_you_mean
from qualscale._validators import DATE, TYPE_CHECKS, FieldInvalid, WrongType
from qualscale.errors import KeyPath, Problem, ValidationError

T = TypeVar("T")


class Invalid(ValueError):
    """A value of the wrong type or form."""


def describe(value: object) -> str:
    """``value`` as a user sees it in a file: its YAML type and, if short, the value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, (datetime.date, datetime.time)):
        # YAML 1.1 reads an unquoted 2024-05-01 as a date; editors (YAML 1.2) see a string.
        return f"date {value.isoformat()}"
    if isinstance(value, str):
        return f"string {value!r}" if len(value) <= 60 else f"a string of {len(value)} characters"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        hint = " (quote it)" if number or isinstance(value, datetime.date) else ""
        raise Invalid(f"expected a string, found {describe(value)}{hint}")
    return value


def _structure_int(value: object, _: type) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"expected an integer, found {describe(value)}")
    return value


def _structure_date(value: object, _: type) -> str | None:
    if isinstance(value, datetime.date):  # datetime is a date too
        return value.isoformat()
    return None if value is None else _structure_str(value, str)


def _structure_float(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"expected a number, found {describe(value)}")
    return value


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, found {describe(value)}")
    return value


def _is_literal(t: Any) -> bool:
    return get_origin(t) is Literal


def _literal_hook(t: Any) -> Any:
    choices = get_args(t)

    def structure(value: object, _: type) -> object:
        if value not in choices or not isinstance(value, str):
            listed = ", ".join(repr(c) for c in choices)
            message = f"expected one of {listed}; found {describe(value)}"
            if isinstance(value, str):
                message += did_you_mean(value, [str(c) for c in choices])
            raise Invalid(message)
        return value

    return structure


def _is_tuple(t: Any) -> bool:
    args = get_args(t)
    return get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_mapping(t: Any) -> bool:
    return get_origin(t) in (dict, Mapping, typing.Mapping)


def _is_attrs(t: Any) -> bool:
    return isinstance(t, type) and attrs.has(t)


@functools.cache
def converter() -> cattrs.Converter:
    """The one converter qualscale uses (built on first use: it compiles code)."""
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook_factory(_is_literal, _literal_hook)

    def tuple_factory(t: Any) -> Any:
        inner = homogenous_tuple_structure_factory(t, conv)

        def structure(value: object, _: type) -> object:
            if not isinstance(value, (list, tuple)):
                raise Invalid(f"expected a list, found {describe(value)}")
            return inner(value, _)

        return structure

    def mapping_factory(t: Any) -> Any:
        inner = mapping_structure_factory(t, conv)

        def structure(value: object, _: type) -> object:
            if not isinstance(value, Mapping):
                raise Invalid(f"expected a mapping, found {describe(value)}")
            return inner(value, _)

        return structure

    conv.register_structure_hook_factory(_is_tuple, tuple_factory)
    conv.register_structure_hook_factory(_is_mapping, mapping_factory)
    conv.register_structure_hook_factory(_is_attrs, functools.partial(_attrs_hook, conv))
    conv.register_unstructure_hook(tuple, list)
    conv.register_unstructure_hook_factory(_has_shorthand, functools.partial(_short_hook, conv))
    return conv


def _attrs_hook(conv: cattrs.Converter, t: Any) -> Any:
    """Structure an attrs class strictly, reporting every bad value; also from a shorthand."""
    # A date field also takes the date YAML reads from an unquoted 2026-11-29.
    dates: dict[str, Any] = {
        f.name: override(struct_hook=_structure_date)
        for f in attrs.fields(t)
        if f.metadata.get(DATE)
    }
    inner = make_dict_structure_fn(t, conv, _cattrs_forbid_extra_keys=True, **dates)
    checked = [
        f for f in attrs.fields(t) if f.validator is not None and f.validator not in TYPE_CHECKS
    ]
    # A class with ``from_shorthand`` may also be written as a string.
    shorthand = getattr(t, "from_shorthand", None)
    expected = "a string or a mapping" if shorthand is not None else "a mapping"

    def structure(value: object, _: type) -> object:
        if isinstance(value, str) and shorthand is not None:
            try:
                return shorthand(value)
            except FieldInvalid as exc:  # a bad id: name the value, not a field
                raise Invalid(str(exc)) from None
        if not isinstance(value, Mapping):
            raise Invalid(f"expected {expected}, found {describe(value)}")
        try:
            return inner(value, _)
        except (ClassValidationError, FieldInvalid) as exc:
            # attrs stops at the first failing validator; run them all, so
            # every bad value of the object is reported at once.
            if isinstance(exc, FieldInvalid):
                found: list[Exception] = _field_problems(checked, value) or [exc]
            else:
                found = [e for e in exc.exceptions if not isinstance(e, FieldInvalid)]
                found += _field_problems(checked, value)
            raise ClassValidationError(f"While structuring {t.__name__}", found, t) from None

    return structure


def _has_shorthand(t: Any) -> bool:
    return _is_attrs(t) and hasattr(t, "to_shorthand")


def _short_hook(conv: cattrs.Converter, t: Any) -> Any:
    """Unstructure to the shorthand string when the object has one, else to a mapping."""
    inner = make_dict_unstructure_fn(t, conv)

    def unstructure(obj: Any) -> Any:
        short = obj.to_shorthand()
        return short if short is not None else inner(obj)

    return unstructure


def _field_problems(
    fields: list[attrs.Attribute[Any]], value: Mapping[str, Any]
) -> list[Exception]:
    problems: list[Exception] = []
    for field in fields:
        if field.name not in value:
            continue
        try:
            field.validator(None, field, value[field.name])  # type: ignore[misc]
        except WrongType:  # its own type hook reports that
            pass
        except FieldInvalid as exc:
            problems.append(exc)
        except Exception:  # a list where a mapping belongs, say: the hooks report it
            pass
    return problems


def structure(data: object, cls: type[T]) -> T:
    """Structure ``data`` into ``cls``; cattrs' exceptions pass through."""
    return converter().structure(data, cls)


def unstructure(obj: object) -> dict[str, Any]:
    """``obj`` as plain JSON-able data (mappings, lists, strings, numbers)."""
    data: dict[str, Any] = _plain(converter().unstructure(obj))
    return data


_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    # Mappings from the model are frozen views; JSON and YAML writers want dicts.
    if type(value) in _SCALARS:  # most values: skip the slow abstract-class checks
        return value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def iter_errors(exc: BaseException, path: KeyPath = ()) -> Iterator[tuple[KeyPath, str]]:
    """Flatten a cattrs structuring error into ``(key path, message)`` pairs."""
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            step: str | int = note.name if isinstance(note, AttributeValidationNote) else note.index
            yield from iter_errors(sub, (*path, step))
        for sub in without:
            yield from iter_errors(sub, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        allowed = [f.name for f in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        for key in sorted(exc.extra_fields):
            message = f"unknown key {key!r}; expected one of: {', '.join(allowed)}"
            yield (*path, key), message + did_you_mean(key, allowed)
    elif isinstance(exc, FieldInvalid):
        yield (*path, exc.field), exc.message
    elif isinstance(exc, ValidationError):  # a constructor's check of a whole object
        for problem in exc.problems:
            yield (*path, *problem.path), problem.message
    elif isinstance(exc, KeyError):
        yield path, "required key missing"
    elif isinstance(exc, (Invalid, ValueError, TypeError)):
        yield path, str(exc)
    else:  # pragma: no cover - cattrs raising something new is a bug to see
        yield path, f"{type(exc).__name__}: {exc}"


def structure_located(
    data: Any, cls: type[T], error: type[ValidationError], *, file: str | None = None
) -> T:
    """Structure ``data`` into ``cls``, raising ``error`` with every problem, located.

    ``file`` names data that did not come from the YAML reader (which records
    the file of every value itself).
    """
    try:
        return structure(data, cls)
    except (ClassValidationError, IterableValidationError, ValueError, TypeError, KeyError) as exc:
        found = [Problem(message, path=path) for path, message in iter_errors(exc)]
        raise error(locate_problems(data, found, file)) from None


def locate_problems(root: Any, problems: Iterable[Problem], file: str | None) -> list[Problem]:
    """``problems`` about ``root``, each given the file and line its key path points at.

    They come back in file order (files as first met, then by line), as a reader
    goes through the file; problems without a line keep their order, last.
    """
    out = []
    for problem in problems:
        where_file, line = locate(root, problem.path)
        out.append(Problem(problem.message, problem.file or where_file or file, line, problem.path))
    files = {p.file: i for i, p in reversed(list(enumerate(out)))}
    return sorted(out, key=lambda p: (files[p.file], p.line is None, p.line or 0))
