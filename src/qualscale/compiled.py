"""A compiled scale: the same plans as :func:`qualscale.plan`, many times faster.

Most of a plan depends on few inputs: the type, flags, components and paths of a
delivery, its size band, which metric bounds it meets, its history figures. A
:class:`CompiledScale` plans the first delivery of each such combination the usual
way and keeps the parts; every later delivery of the combination reuses them and
only its size line (which names its own figures) is made anew. Equal parts of
different combinations (the scale, standard and requirements) are kept once, and
their dicts are made once for :meth:`CompiledScale.plan_dict`. A delivery with
figures per path or with source facts the rationale names (``source.overrides``,
``source.git``) is planned in full. Pure; no I/O.
"""

from __future__ import annotations

import functools
from typing import Any

import attrs

from qualscale._classify_findings import Reason, _components, _Counted, _size_of, _Touched
from qualscale.delivery import Changes, Delivery, History
from qualscale.planning import TestPlan, plan
from qualscale.rules import Content
from qualscale.scale import Scale

__all__ = ["CompiledScale", "compile_scale"]

_LINES = ("lines_added", "lines_removed")


@attrs.frozen
class _Paths:
    """What a delivery's paths and named components give, whatever its figures."""

    touched: _Touched
    left_files: tuple[tuple[Content, int], ...]
    left: int
    spread: int | None


@attrs.frozen
class _Dicts:
    """What the dicts of one combination's plans share, as plain data made once.

    Each plan's dict gets its own copies of these containers (see :meth:`plan_dict`).
    """

    scale: dict[str, Any]
    standard: dict[str, Any]
    head: tuple[str, str]
    components: tuple[str, ...]
    flags: tuple[str, ...]
    content: str
    before: tuple[dict[str, str], ...]
    after: tuple[dict[str, str], ...]
    requirements: tuple[tuple[dict[str, Any], list[str], list[str]], ...]


@attrs.define(slots=True)
class _Parts:
    """A plan without its delivery and size line: the rationale around that line.

    ``dicts`` is filled the first time :meth:`CompiledScale.plan_dict` meets the combination.
    """

    before: tuple[Reason, ...]
    after: tuple[Reason, ...]
    fields: tuple[Any, ...]
    dicts: _Dicts | None = None


class CompiledScale:
    """``scale`` compiled for planning many deliveries: :meth:`plan` equals :func:`plan`.

    The caches grow with the number of distinct combinations seen, not deliveries.
    """

    def __init__(self, scale: Scale) -> None:
        self.scale = scale
        self._paths: dict[Any, _Paths] = {}
        self._sizes: dict[Any, tuple[int, tuple[Reason, ...]]] = {}
        self._parts: dict[Any, _Parts] = {}
        self._interned: dict[Any, Any] = {}
        self._memo: dict[int, Any] = {}
        bounds = [m.when.metrics for m in scale.rules.modifiers if m.when.metrics]
        self._bounds = tuple(b for metrics in bounds for b in metrics.items())
        self._metrics_of = scale.rules.metrics_of
        self._history_rules = scale.rules.history

    def plan(self, delivery: Delivery, history: History | None = None) -> TestPlan:
        """The test plan of ``delivery``, equal to ``qualscale.plan(delivery, scale, history)``.

        Raises:
            DeliveryError: as :func:`qualscale.plan` does.
        """
        if _own_case(delivery):
            return plan(delivery, self.scale, history)
        sized, key = self._keyed(delivery, history)
        parts = self._parts.get(key)
        if parts is None:
            found = plan(delivery, self.scale, history)
            self._parts[key] = _split(found, self._interned)
            return found
        return _assembled(delivery, parts, sized[1])

    def plan_dict(self, delivery: Delivery, history: History | None = None) -> dict[str, Any]:
        """``self.plan(delivery, history).to_dict()``, made from parts kept as plain data.

        Only the delivery's own dict and the size line are made per delivery; the rest
        is copied from dicts made once per combination. Every call returns new lists
        and dicts: callers may change them freely.

        Raises:
            DeliveryError: as :func:`qualscale.plan` does.
        """
        if _own_case(delivery) or not _plain_deliveries():
            return self.plan(delivery, history).to_dict()
        sized, key = self._keyed(delivery, history)
        parts = self._parts.get(key)
        if parts is None:
            found = plan(delivery, self.scale, history)
            parts = self._parts[key] = _split(found, self._interned)
        shared = parts.dicts or _dicts_of(parts, self._memo)
        return {
            "delivery": _delivery_dict(delivery),
            "scale": {**shared.scale},
            "standard": {**shared.standard},
            "size": shared.head[0],
            "risk": shared.head[1],
            "components": [*shared.components],
            "flags": [*shared.flags],
            "content": shared.content,
            "rationale": [
                *map(dict.copy, shared.before),
                *[{"rule": r.rule, "message": r.message} for r in sized[1]],
                *map(dict.copy, shared.after),
            ],
            "requirements": _fresh(shared.requirements),
        }

    def _keyed(
        self, delivery: Delivery, history: History | None
    ) -> tuple[tuple[int, tuple[Reason, ...]], Any]:
        """The size band and line of ``delivery``, and the key of its combination."""
        changes = delivery.changes
        where = (delivery.paths, delivery.components)
        size_key = (changes.lines_added, changes.lines_removed, changes.files, where)
        sized = self._sizes.get(size_key)
        if sized is None:
            paths = self._paths.get(where) or self._paths_of(delivery)
            sized = self._sizes[size_key] = self._size(delivery, paths)
        met: tuple[bool, ...] = ()
        if self._bounds:
            metrics = self._metrics_of(delivery.metrics)
            met = tuple([b.holds(metrics.get(name)) for name, b in self._bounds])
        key = (
            delivery.type,
            delivery.flags,
            delivery.breaking,
            where,
            sized[0],
            met,
            None if history is None else self._history_key(delivery, history),
        )
        return sized, key

    def _paths_of(self, delivery: Delivery) -> _Paths:
        rules = self.scale.rules
        touched = _components(delivery, rules)
        bare = attrs.evolve(delivery, changes=type(delivery.changes)())
        counted = _Counted.of(bare, rules, touched)
        left = sum(n for _, n in counted.left_files)
        found = _Paths(touched, counted.left_files, left, counted.components)
        self._paths[(delivery.paths, delivery.components)] = found
        return found

    def _size(self, delivery: Delivery, paths: _Paths) -> tuple[int, tuple[Reason, ...]]:
        """The size band and size line of ``delivery``, as :func:`qualscale.classify` says them."""
        changes = delivery.changes
        known = [n for n in (changes.lines_added, changes.lines_removed) if n is not None]
        files = delivery.files
        if files is not None and paths.left:
            files = max(files - paths.left, min(len(delivery.paths) - paths.left, files))
        missing = tuple(n for n in _LINES if getattr(changes, n) is None)
        counted = _Counted(sum(known) if known else None, files, paths.spread, (), paths.left_files)
        return _size_of(counted, missing, self.scale.rules)

    def _history_key(self, delivery: Delivery, history: History | None) -> Any:
        if history is None or not self._history_rules:
            return None
        return tuple(
            _history_figure(history, rule.window, rule.measure, delivery.project)
            for rule in self._history_rules
        )


def _history_figure(
    history: History, window: int, measure: str, project: str | None
) -> tuple[int, int]:
    """What a history rule reads: the total of ``measure`` and how many deliveries it summed."""
    recent = history.recent(window, project)
    return sum(getattr(d, measure) for d in recent), len(recent)


def _assembled(delivery: Delivery, parts: _Parts, size_line: tuple[Reason, ...]) -> TestPlan:
    """The plan of ``delivery`` from the parts of its combination and its own size line."""
    shared = parts.fields
    return TestPlan(
        delivery,
        shared[0],
        shared[1],
        shared[2],
        shared[3],
        parts.before + size_line + parts.after,
        *shared[4:],
    )


def _dicts_of(parts: _Parts, memo: dict[int, Any]) -> _Dicts:
    """The shared dicts of ``parts``; ``memo`` keeps the converted scale, standard and
    requirements by identity (:func:`_split` interns them: combinations share them)."""
    from qualscale._convert import unstructure

    named = dict(zip(_SHARED_FIELDS, parts.fields, strict=True))
    for name in _INTERNED:
        if id(named[name]) not in memo:
            value = named[name]
            memo[id(value)] = (
                tuple((r, r["criteria"], r["checklist"]) for r in map(unstructure, value))
                if name == "requirements"
                else unstructure(value)
            )
    parts.dicts = _Dicts(
        scale=memo[id(named["scale"])],
        standard=memo[id(named["standard"])],
        head=(named["size"], named["risk"]),
        components=named["components"],
        flags=named["flags"],
        content=named["content"],
        before=tuple(r.to_dict() for r in parts.before),
        after=tuple(r.to_dict() for r in parts.after),
        requirements=memo[id(named["requirements"])],
    )
    return parts.dicts


def _fresh(requirements: tuple[tuple[dict[str, Any], list[str], list[str]], ...]) -> list[Any]:
    """New dicts and lists with the content of ``requirements``' (a copy per call)."""
    out = []
    for req, criteria, checklist in requirements:
        # dict.copy and two assignments outrun {**req, ...}; the keys keep their order.
        fresh = req.copy()
        fresh["criteria"] = [*criteria]
        fresh["checklist"] = [*checklist]
        out.append(fresh)
    return out


#: The keys of ``Delivery.source`` that classifying reads: what a person set by hand
#: (``overrides``) and what commit rules found (``git``) go into the rationale.
_SOURCE_READ = ("overrides", "git")


def _own_case(delivery: Delivery) -> bool:
    """Whether ``delivery`` is planned in full: figures per path, or source facts read."""
    if delivery.changes.by_path:
        return True
    source = delivery.source
    return bool(source) and any(key in source for key in _SOURCE_READ)


_DELIVERY_FIELDS = (
    "id",
    "title",
    "type",
    "changes",
    "paths",
    "components",
    "flags",
    "project",
    "source",
    "author",
    "date",
    "metrics",
    "breaking",
)


@functools.cache
def _plain_deliveries() -> bool:
    """Whether :func:`_delivery_dict` knows every field of a delivery (else ``to_dict`` serves)."""
    changes = tuple(f.name for f in attrs.fields(Changes))
    fields = tuple(f.name for f in attrs.fields(Delivery))
    return fields == _DELIVERY_FIELDS and changes == (
        "lines_added",
        "lines_removed",
        "files",
        "by_path",
    )


def _delivery_dict(d: Delivery) -> dict[str, Any]:
    """``d.to_dict()`` for a delivery without ``by_path``, field by field."""
    from qualscale._convert import unstructure

    changes = d.changes
    return {
        "id": d.id,
        "title": d.title,
        "type": d.type,
        "changes": {
            "lines_added": changes.lines_added,
            "lines_removed": changes.lines_removed,
            "files": changes.files,
            "by_path": {},
        },
        "paths": [*d.paths],
        "components": [*d.components],
        "flags": [*d.flags],
        "project": d.project,
        "source": unstructure(d.source) if d.source else {},
        "author": d.author,
        "date": d.date,
        "metrics": {**d.metrics},
        "breaking": d.breaking,
    }


#: The fields of a plan that :class:`_Parts` keeps, in field order.
_SHARED_FIELDS = tuple(
    f.name for f in attrs.fields(TestPlan) if f.name not in ("delivery", "rationale")
)


#: The fields of a plan that many combinations have in common, kept once each.
_INTERNED = ("scale", "standard", "requirements")


def _split(found: TestPlan, interned: dict[Any, Any]) -> _Parts:
    """The parts of ``found`` that deliveries of the same combination share.

    The scale, standard and requirements are taken from ``interned`` when an equal
    value is there already (else put there): equal parts are then the same objects.
    """
    at = next(i for i, r in enumerate(found.rationale) if r.rule == "size")
    fields = tuple(
        interned.setdefault(value, value) if name in _INTERNED else value
        for name in _SHARED_FIELDS
        for value in (getattr(found, name),)
    )
    return _Parts(found.rationale[:at], found.rationale[at + 1 :], fields)


def compile_scale(scale: Scale) -> CompiledScale:
    """``scale`` compiled: :meth:`CompiledScale.plan` gives the plans :func:`plan` gives, faster."""
    return CompiledScale(scale)


def __dir__() -> list[str]:
    return list(__all__)
