"""A compiled scale: the same plans as :func:`qualscale.plan`, many times faster.

Most of a plan depends on few inputs: the type, flags, components and paths of a
delivery, its size band, which metric bounds it meets, its history figures. A
:class:`CompiledScale` plans the first delivery of each such combination the usual
way and keeps the parts; every later delivery of the combination reuses them and
only its size line (which names its own figures) is made anew. Pure; no I/O.
"""

from __future__ import annotations

from typing import Any

import attrs

from qualscale._classify_findings import Reason, _components, _Counted, _size_of, _Touched
from qualscale.delivery import Delivery, History
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
class _Parts:
    """A plan without its delivery and size line: the rationale around that line."""

    before: tuple[Reason, ...]
    after: tuple[Reason, ...]
    fields: tuple[Any, ...]


class CompiledScale:
    """``scale`` compiled for planning many deliveries: :meth:`plan` equals :func:`plan`.

    The caches grow with the number of distinct combinations seen, not deliveries.
    """

    def __init__(self, scale: Scale) -> None:
        self.scale = scale
        self._paths: dict[Any, _Paths] = {}
        self._dicts: dict[int, tuple[Any, ...]] = {}
        self._sizes: dict[Any, tuple[int, tuple[Reason, ...]]] = {}
        self._parts: dict[Any, _Parts] = {}
        bounds = [m.when.metrics for m in scale.rules.modifiers if m.when.metrics]
        self._bounds = tuple(b for metrics in bounds for b in metrics.items())
        self._metrics_of = scale.rules.metrics_of
        self._history_rules = scale.rules.history

    def plan(self, delivery: Delivery, history: History | None = None) -> TestPlan:
        """The test plan of ``delivery``, equal to ``qualscale.plan(delivery, scale, history)``.

        Raises:
            DeliveryError: as :func:`qualscale.plan` does.
        """
        changes = delivery.changes
        if changes.by_path or delivery.source:
            # What a person set by hand and what commit rules found (source.overrides,
            # source.git) go into the rationale: every such delivery is its own case.
            return plan(delivery, self.scale, history)
        where = (delivery.paths, delivery.components)
        size_key = (changes.lines_added, changes.lines_removed, changes.files, where)
        sized = self._sizes.get(size_key)
        if sized is None:
            paths = self._paths.get(where) or self._paths_of(delivery)
            sized = self._sizes[size_key] = self._size(delivery, paths)
        metrics = self._metrics_of(delivery.metrics)
        key = (
            delivery.type,
            delivery.flags,
            delivery.breaking,
            where,
            sized[0],
            tuple([b.holds(metrics.get(name)) for name, b in self._bounds]) if self._bounds else (),
            None if history is None else self._history_key(delivery, history),
        )
        parts = self._parts.get(key)
        if parts is None:
            found = plan(delivery, self.scale, history)
            self._parts[key] = _split(found)
            return found
        shared = parts.fields
        return TestPlan(
            delivery,
            shared[0],
            shared[1],
            shared[2],
            shared[3],
            parts.before + sized[1] + parts.after,
            *shared[4:],
        )

    def plan_dict(self, delivery: Delivery, history: History | None = None) -> dict[str, Any]:
        """``self.plan(delivery, history).to_dict()``, made from parts kept as plain data.

        Every call returns new lists and dicts: callers may change them freely.
        """
        found = self.plan(delivery, history)
        shared = self._dicts.get(id(found.requirements))
        if shared is None or shared[0] is not found.requirements:
            whole = found.to_dict()
            shared = (found.requirements, whole["scale"], whole["standard"], whole["requirements"])
            self._dicts[id(found.requirements)] = shared
        return {
            "delivery": delivery.to_dict(),
            "scale": {**shared[1]},
            "standard": {**shared[2]},
            "size": found.size,
            "risk": found.risk,
            "components": [*found.components],
            "flags": [*found.flags],
            "content": found.content,
            "rationale": [{"rule": r.rule, "message": r.message} for r in found.rationale],
            "requirements": [
                {**r, "criteria": [*r["criteria"]], "checklist": [*r["checklist"]]}
                for r in shared[3]
            ],
        }

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


def _split(found: TestPlan) -> _Parts:
    """The parts of ``found`` that deliveries of the same combination share."""
    at = next(i for i, r in enumerate(found.rationale) if r.rule == "size")
    fields = tuple(
        getattr(found, f.name)
        for f in attrs.fields(TestPlan)
        if f.name not in ("delivery", "rationale")
    )
    return _Parts(found.rationale[:at], found.rationale[at + 1 :], fields)


def compile_scale(scale: Scale) -> CompiledScale:
    """``scale`` compiled: :meth:`CompiledScale.plan` gives the plans :func:`plan` gives, faster."""
    return CompiledScale(scale)


def __dir__() -> list[str]:
    return list(__all__)
