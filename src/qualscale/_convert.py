"""Structuring and unstructuring on the hot path, without cattrs.

Pure. cattrs compiles a function per class on first use, which costs more than a
whole ``qualscale plan`` otherwise does; this module walks the attrs fields
directly. It only ever builds what the strict converter of
:mod:`qualscale._structure` would build from the same data: anything it is not
sure of (a wrong type, an unknown or missing key, a value a validator refuses)
makes it give up, and the converter then does the work and reports every
problem, located. :func:`structure_located` is the one entry point for both.
"""

from __future__ import annotations

import datetime
import functools
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, get_args, get_origin

import attrs

from qualscale._validators import DATE
from qualscale.errors import ValidationError

T = TypeVar("T")

_Step = Callable[[Any], Any]


class _Unfit(Exception):
    """The data is not plainly valid: the strict converter decides and reports."""


def structure_located(
    data: Any, cls: type[T], error: type[ValidationError], *, file: str | None = None
) -> T:
    """Structure ``data`` into ``cls``, raising ``error`` with every problem, located.

    The same as :func:`qualscale._structure.structure_located`, which it falls
    back to (importing cattrs) only when the data is not plainly valid.
    """
    try:
        value: T = _structurer(typing.cast(Any, cls))(data)
        return value
    except Exception:
        pass
    from qualscale._structure import structure_located as strict

    return strict(data, cls, error, file=file)


def unstructure(obj: object) -> dict[str, Any]:
    """``obj`` (an attrs instance) as plain JSON-able data: dicts, lists, scalars."""
    data: dict[str, Any] = _unstructure(obj)
    return data


# ------------------------------------------------------------------ structure


def _unfit() -> typing.NoReturn:
    raise _Unfit


def _plain_str(value: Any) -> Any:
    return value if isinstance(value, str) else _unfit()


def _plain_int(value: Any) -> Any:
    return value if isinstance(value, int) and not isinstance(value, bool) else _unfit()


def _plain_float(value: Any) -> Any:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return value if ok else _unfit()


def _plain_bool(value: Any) -> Any:
    return value if isinstance(value, bool) else _unfit()


def _plain_any(value: Any) -> Any:
    return value


def _plain_date(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return None if value is None else _plain_str(value)


_SCALARS: dict[Any, _Step] = {
    str: _plain_str,
    int: _plain_int,
    float: _plain_float,
    bool: _plain_bool,
    Any: _plain_any,
}


def _step(t: Any) -> _Step:
    if t in _SCALARS:
        return _SCALARS[t]
    origin, args = get_origin(t), get_args(t)
    if origin is Literal:
        choices = frozenset(args)
        return lambda v: v if isinstance(v, str) and v in choices else _unfit()
    if origin in (typing.Union, types.UnionType):
        others = [a for a in args if a is not type(None)]
        if len(others) != 1 or len(args) != 2:
            raise _Unfit  # the converter knows no other unions either
        inner = _step(others[0])
        return lambda v: None if v is None else inner(v)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _step(args[0])

        def tuple_of(v: Any) -> Any:
            if not isinstance(v, (list, tuple)):
                raise _Unfit
            return tuple([item(x) for x in v])

        return tuple_of
    if origin in (dict, Mapping, typing.Mapping) and len(args) == 2:
        key, val = _step(args[0]), _step(args[1])

        def mapping_of(v: Any) -> Any:
            if not isinstance(v, Mapping):
                raise _Unfit
            return {key(k): val(x) for k, x in v.items()}

        return mapping_of
    if isinstance(t, type) and attrs.has(t):
        return _structurer(t)
    raise _Unfit


@functools.cache
def _structurer(cls: type[Any]) -> _Step:
    attrs.resolve_types(cls)
    fields = [f for f in attrs.fields(cls) if f.init]
    names = frozenset(f.name for f in fields)
    required = [f.name for f in fields if f.default is attrs.NOTHING]
    steps: dict[str, tuple[str, _Step]] = {}
    for f in fields:
        hook = _plain_date if f.metadata.get(DATE) else None
        steps[f.name] = (f.alias or f.name, hook or _lazy_step(f.type))
    shorthand = getattr(cls, "from_shorthand", None)

    def structure(value: Any) -> Any:
        if isinstance(value, str) and shorthand is not None:
            return shorthand(value)
        if not isinstance(value, Mapping) or not names.issuperset(value):
            raise _Unfit
        if any(name not in value for name in required):
            raise _Unfit
        kwargs = {}
        for key, item in value.items():
            alias, step = steps[key]
            kwargs[alias] = step(item)
        return cls(**kwargs)

    return structure


def _lazy_step(t: Any) -> _Step:
    # Resolved on first use, so a self-referencing class does not recurse forever;
    # then kept here, as looking a typing alias up in a cache costs more than the step.
    resolved: list[_Step] = []

    def step(value: Any) -> Any:
        if not resolved:
            resolved.append(_cached_step(t))
        return resolved[0](value)

    return step


@functools.cache
def _cached_step(t: Any) -> _Step:
    try:
        return _step(t)
    except _Unfit:
        return lambda _: _unfit()


# ------------------------------------------------------------------ unstructure


def _unstructure(value: Any) -> Any:
    cls = type(value)
    if cls in (str, int, float, bool) or value is None:
        return value
    if cls is tuple or cls is list:  # the common cases first: no ABC checks
        return [_unstructure(v) for v in value]
    if cls is dict:
        return {k: _unstructure(v) for k, v in value.items()}
    if attrs.has(cls):
        to_shorthand = getattr(value, "to_shorthand", None)
        if to_shorthand is not None:
            short = to_shorthand()
            if short is not None:
                return short
        return {name: _unstructure(getattr(value, name)) for name in _field_names(cls)}
    if isinstance(value, Mapping):
        return {k: _unstructure(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_unstructure(v) for v in value]
    return value


@functools.cache
def _field_names(cls: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in attrs.fields(cls) if f.init)
