"""Strict structuring: plain data into the model's objects, with located problems.

:mod:`qualscale._convert` builds plainly valid documents without it and hands it
everything else, so that every problem is reported. Pure: nothing here reads a file.
The converter is strict - no silent coercion: ``3`` is not a string, ``"12"`` is
not an integer, a string is not a list.
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
from cattrs.gen import make_dict_structure_fn, override

from qualscale._located import LocDict, LocList, local_path, locate
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
        yield (*path, exc.field, *exc.at), exc.message
    elif isinstance(exc, ValidationError):  # a constructor's check of a whole object
        for problem in exc.problems:
            yield (*path, *problem.path), problem.message
    elif isinstance(exc, KeyError):
        yield path, "required key missing"
    elif isinstance(exc, (Invalid, ValueError, TypeError)):
        yield path, str(exc)
    else:  # pragma: no cover - cattrs raising something new is a bug to see
        yield path, f"{type(exc).__name__}: {exc}"


_FAILURES = (ClassValidationError, IterableValidationError, ValueError, TypeError, KeyError)

#: Problems whose value can be left out to look for more: an unknown key, or a plain
#: value of the wrong type or form (a field then takes its default). Not a switch such
#: as ``monotone: "no"``: its default would report problems the author turned off.
_LEAVE_OUT = (
    "unknown key ",
    "expected a string",
    "expected an integer",
    "expected a number",
    "expected one of",
    "expected an identifier",
    "expected a non-negative integer",
    "expected a positive integer",
    "expected an ISO 8601 date",
)


def structure_located(
    data: Any, cls: type[T], error: type[ValidationError], *, file: str | None = None
) -> T:
    """Structure ``data`` into ``cls``, raising ``error`` with every problem, located.

    A wrong type or an unknown key does not hide the problems behind it: such values
    are left out and the rest is checked again (the references of a scale, say), and
    the object so built is kept as the error's ``partial``. ``file`` names data that
    did not come from the YAML reader (which records the file of every value itself).
    """
    try:
        return structure(data, cls)
    except _FAILURES as exc:
        found = _problems(exc)
    partial, more = _look_further(data, cls, found)
    raised = error(locate_problems(data, [*found, *more], file))
    raised.partial = partial
    raise raised from None


def _problems(exc: BaseException) -> list[Problem]:
    return [Problem(message, path=path) for path, message in iter_errors(exc)]


def _look_further(data: Any, cls: type[T], found: list[Problem]) -> tuple[T | None, list[Problem]]:
    """The object without the values ``found`` refuses, and the problems that shows."""
    left_out: list[KeyPath] = []
    more: list[Problem] = []
    current = found
    for _ in range(3):  # each round may reveal values of the same kind one level down
        paths = [p.path for p in current if p.message.startswith(_LEAVE_OUT)]
        if len(paths) != len(current) or not _only_keys(data, paths):
            return None, more
        left_out += paths
        data = _without(data, paths)
        try:
            return structure(data, cls), more
        except _FAILURES as exc:
            # Problems at or above a value left out are what leaving it out caused.
            current = [
                p
                for p in _problems(exc)
                if not any(p.path == lo[: len(p.path)] for lo in left_out)
                and p not in found
                and p not in more
            ]
        if not current:
            return None, more
        more += current
    return None, more


def _only_keys(data: Any, paths: list[KeyPath]) -> bool:
    """Whether every path ends at a key of a mapping (a list item would shift the rest)."""
    for path in paths:
        node = data
        for step in path[:-1]:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                return False
        if not path or not isinstance(node, Mapping) or path[-1] not in node:
            return False
    return True


def _without(data: Any, paths: list[KeyPath]) -> Any:
    """``data`` with the values at ``paths`` left out; the mappings on the way copied."""
    for path in paths:
        data = _without_one(data, path)
    return data


def _without_one(node: Any, path: KeyPath) -> Any:
    step, rest = path[0], path[1:]
    if isinstance(node, list):
        out_list = LocList(node.where) if isinstance(node, LocList) else []
        for i, item in enumerate(node):
            value = _without_one(item, rest) if i == step else item
            if isinstance(out_list, LocList):
                out_list.put(value, node.locs[i])  # type: ignore[attr-defined]
            else:
                out_list.append(value)
        if isinstance(node, LocList) and isinstance(out_list, LocList):
            out_list.indices = node.indices
        return out_list
    out: dict[str, Any] = LocDict(node.where) if isinstance(node, LocDict) else {}
    for key, value in node.items():
        if key == step and not rest:
            continue  # the value left out
        value = _without_one(value, rest) if key == step else value
        if isinstance(out, LocDict):
            out.put(key, value, node.locs[key])
        else:
            out[key] = value
    return out


def locate_problems(root: Any, problems: Iterable[Problem], file: str | None) -> list[Problem]:
    """``problems`` about ``root``, each given the file and line its key path points at.

    They come back in file order (files as first met, then by line), as a reader
    goes through the file; problems without a line keep their order, last.
    """
    out = []
    for problem in problems:
        where_file, line = locate(root, problem.path)
        path = local_path(root, problem.path, where_file) if problem.file is None else problem.path
        out.append(Problem(problem.message, problem.file or where_file or file, line, path))
    files = {p.file: i for i, p in reversed(list(enumerate(out)))}
    return sorted(out, key=lambda p: (files[p.file], p.line is None, p.line or 0))
