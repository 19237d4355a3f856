"""Replay: re-plan past deliveries under another scale and say what changes.

Pure; no I/O. Each delivery is planned with the history it could have seen - only
deliveries dated before it, and only outcomes found before its date - so a replay
never uses the future.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from qualscale.compiled import compile_scale
from qualscale.delivery import Delivery
from qualscale.records import Record, window_before
from qualscale.scale import Scale

__all__ = [
    "Effort",
    "KindEffort",
    "ReplayRow",
    "ReplaySummary",
    "estimate",
    "prices",
    "replay",
    "summarize",
]


@attrs.frozen
class ReplayRow:
    """One delivery replayed: the standard and required kinds before and after."""

    id: str
    date: str | None
    standard: str
    rank: int
    required: tuple[str, ...]
    old_standard: str | None
    old_rank: int | None
    old_required: tuple[str, ...]
    escaped: bool
    outcomes: tuple[str, ...] = ()
    #: Flags and components of the delivery the new scale does not know, left out.
    unknown: tuple[str, ...] = ()
    #: Hours of the required kinds that have a cost (``None``: no scale gives costs).
    effort: float | None = None
    #: The same for the old standard's required kinds (``None`` also without one).
    old_effort: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``--format jsonl`` line of this delivery."""
        return {
            "id": self.id,
            "date": self.date,
            "standard": {"id": self.standard, "rank": self.rank},
            "required": list(self.required),
            "effort": _hours(self.effort),
            "was": {
                "id": self.old_standard,
                "rank": self.old_rank,
                "required": list(self.old_required),
                "effort": _hours(self.old_effort),
            }
            if self.old_standard is not None
            else None,
            "escaped": self.escaped,
            "outcomes": list(self.outcomes),
            "unknown": list(self.unknown),
        }


def _known_to(delivery: Delivery, scale: Scale) -> tuple[Delivery, tuple[str, ...]]:
    """``delivery`` without the flags and components ``scale`` does not know, and those names.

    A past delivery was described in another scale's words; under this one, a name it
    does not know can neither raise nor lower the standard, so it is left out (and said).
    """
    flags = set(scale.rules.risk.flags)
    components = {c.id for c in scale.rules.components}
    unknown = tuple(
        [f"flag {f}" for f in delivery.flags if f not in flags]
        + [f"component {c}" for c in delivery.components if c not in components]
    )
    if not unknown:
        return delivery, ()
    known = attrs.evolve(
        delivery,
        flags=tuple(f for f in delivery.flags if f in flags),
        components=tuple(c for c in delivery.components if c in components),
    )
    return known, unknown


_Prices = tuple[Mapping[str, float], Mapping[str, float]]


def prices(scale: Scale, against: Scale | None = None) -> _Prices:
    """Hours per kind for the plans under ``scale`` and for the old ones.

    Each side takes its own scale's costs; a kind only one of the two scales gives a
    cost to is priced so on both sides (the decisions recorded in a history take the
    costs of ``scale``). A kind neither prices is in neither mapping: not counted.
    """
    new = {k.id: k.cost for k in scale.kinds if k.cost is not None}
    old = {k.id: k.cost for k in against.kinds if k.cost is not None} if against else {}
    return {**old, **new}, {**new, **old}


def _effort(kinds: Sequence[str], costs: Mapping[str, float]) -> float | None:
    """The hours of ``kinds`` that have a cost; ``None`` when no kind has one."""
    return sum(costs[k] for k in kinds if k in costs) if costs else None


def _hours(value: float | None) -> float | None:
    """Hours as written in reports and JSON: to the hundredth."""
    return None if value is None else round(float(value), 2)


def replay(
    records: Sequence[Record],
    scale: Scale,
    against: Scale | None = None,
    *,
    since: str | None = None,
) -> list[ReplayRow]:
    """Each record dated ``since`` or later, planned under ``scale``, oldest first.

    The old standard is ``against``'s plan of the same delivery, else the decision
    recorded with it (``None`` when none was). Flags and components a scale does not
    know are left out of the delivery it plans (each row names them).
    """
    ordered = sorted(records, key=lambda r: (r.delivery.date or "", r.delivery.id))
    new = compile_scale(scale)
    old = compile_scale(against) if against is not None else None
    needs = max(
        [h.window for h in scale.rules.history]
        + [h.window for h in (against.rules.history if against else ())]
        + [0]
    )
    costs = prices(scale, against)
    rows = []
    for i, record in enumerate(ordered):
        delivery = record.delivery
        if since is not None and (delivery.date or "") < since:
            continue
        history = window_before(ordered, i, needs) if needs else None
        before: tuple[str | None, int | None, tuple[str, ...]]
        known, unknown = _known_to(delivery, scale)
        found = new.plan(known, history)
        if old is not None and against is not None:
            was = old.plan(_known_to(delivery, against)[0], history)
            before = (was.standard.id, was.standard.rank, was.required_kinds)
        elif record.decision is not None:
            d = record.decision
            before = (d.standard, d.rank, d.required)
        else:
            before = (None, None, ())
        rows.append(
            ReplayRow(
                delivery.id,
                delivery.date,
                found.standard.id,
                found.standard.rank,
                found.required_kinds,
                before[0],
                before[1],
                before[2],
                record.escaped,
                tuple(o.id or o.kind for o in record.outcomes),
                unknown,
                _effort(found.required_kinds, costs[0]),
                None if before[0] is None else _effort(before[2], costs[1]),
            )
        )
    return rows


@attrs.frozen
class KindEffort:
    """One kind's part of the effort estimate, in hours."""

    kind: str
    #: Hours per delivery requiring it, under the new scale and under the old.
    cost: float
    old_cost: float
    #: Hours over the deliveries requiring it now (all replayed ones).
    hours: float
    #: Hours over those that required it before, and now minus before over the
    #: deliveries with an old standard.
    before: float
    difference: float

    def to_dict(self) -> dict[str, Any]:
        """The kind's figures as plain data."""
        return {
            "kind": self.kind,
            "cost": float(self.cost),
            "cost_before": float(self.old_cost),
            "hours": _hours(self.hours),
            "before": _hours(self.before),
            "difference": _hours(self.difference),
        }


@attrs.frozen
class Effort:
    """The estimated effort of the required kinds over the replayed deliveries, in hours.

    ``hours`` is over every replayed delivery; ``before`` and ``difference`` (now minus
    before) are over the ``compared`` ones, those with an old standard (all of them
    with ``--against``). Kinds required with no cost on a side are ``not_counted``.
    """

    hours: float
    compared: int
    before: float
    difference: float
    kinds: tuple[KindEffort, ...]
    not_counted: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The estimate as plain data (``effort`` in the ``--format json`` document)."""
        return {
            "hours": _hours(self.hours),
            "compared": self.compared,
            "before": _hours(self.before),
            "difference": _hours(self.difference),
            "kinds": [k.to_dict() for k in self.kinds],
            "not_counted": list(self.not_counted),
        }


def estimate(
    rows: Sequence[ReplayRow], scale: Scale, against: Scale | None = None
) -> Effort | None:
    """The effort of ``rows`` at the costs :func:`prices` gives; ``None`` without any cost.

    ``scale`` and ``against`` are the scales :func:`replay` made ``rows`` with.
    """
    new, old = prices(scale, against)
    if not new:
        return None
    compared = [r for r in rows if r.old_standard is not None]
    kinds = []
    for kind in new:  # both sides price the same kinds
        now = sum(1 for r in rows if kind in r.required)
        was = sum(1 for r in compared if kind in r.old_required)
        now_compared = sum(1 for r in compared if kind in r.required)
        if now or was:
            cost, old_cost = new[kind], old[kind]
            diff = now_compared * cost - was * old_cost
            kinds.append(KindEffort(kind, cost, old_cost, now * cost, was * old_cost, diff))
    required = {k for r in rows for k in r.required} | {k for r in compared for k in r.old_required}
    order = {k.id: i for i, k in enumerate(scale.kinds)}
    return Effort(
        sum(r.effort or 0.0 for r in rows),
        len(compared),
        sum(r.old_effort or 0.0 for r in compared),
        sum((r.effort or 0.0) - (r.old_effort or 0.0) for r in compared),
        tuple(sorted(kinds, key=lambda k: order.get(k.kind, len(order)))),
        tuple(sorted(required - set(new), key=lambda k: (order.get(k, len(order)), k))),
    )


@attrs.frozen
class ReplaySummary:
    """What a replay changes, in figures."""

    deliveries: int
    escaped: int
    up: int
    down: int
    per_standard: tuple[tuple[str, int, int, int, int], ...]
    kinds: tuple[tuple[str, int, int], ...]
    escaped_deeper: tuple[str, ...]
    #: Each name the new scale does not know, with the number of deliveries that had it.
    unknown: tuple[tuple[str, int], ...] = ()
    #: The effort estimate, when either scale gives kinds a cost.
    effort: Effort | None = None

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain data (the ``--format json`` document)."""
        return {
            "deliveries": self.deliveries,
            "escaped": self.escaped,
            "up": self.up,
            "down": self.down,
            "per_standard": [
                {"standard": s, "deliveries": n, "escaped": e, "before": nb, "escaped_before": eb}
                for s, n, e, nb, eb in self.per_standard
            ],
            "kinds": [
                {"kind": k, "newly_required": a, "no_longer_required": b} for k, a, b in self.kinds
            ],
            "escaped_deeper": list(self.escaped_deeper),
            "unknown": [{"name": name, "deliveries": n} for name, n in self.unknown],
            "effort": None if self.effort is None else self.effort.to_dict(),
        }


def summarize(
    rows: Sequence[ReplayRow], scale: Scale, against: Scale | None = None
) -> ReplaySummary:
    """Deliveries moving up or down; per standard how many (escaped) now and before; per
    kind; the effort estimate when ``scale`` or ``against`` gives costs.

    ``scale`` and ``against`` are the scales :func:`replay` made ``rows`` with.
    """
    compared = [r for r in rows if r.old_rank is not None]
    per_standard = tuple(
        (
            std.id,
            sum(1 for r in rows if r.standard == std.id),
            sum(1 for r in rows if r.standard == std.id and r.escaped),
            sum(1 for r in compared if r.old_standard == std.id),
            sum(1 for r in compared if r.old_standard == std.id and r.escaped),
        )
        for std in scale.standards
    )
    kinds = tuple(
        (
            kind.id,
            sum(1 for r in compared if kind.id in r.required and kind.id not in r.old_required),
            sum(1 for r in compared if kind.id not in r.required and kind.id in r.old_required),
        )
        for kind in scale.kinds
    )
    deeper = tuple(r.id for r in compared if r.escaped and r.rank > (r.old_rank or 0))
    return ReplaySummary(
        len(rows),
        sum(1 for r in rows if r.escaped),
        sum(1 for r in compared if r.rank > (r.old_rank or 0)),
        sum(1 for r in compared if r.rank < (r.old_rank or 0)),
        per_standard,
        kinds,
        deeper,
        tuple(sorted(Counter(name for r in rows for name in r.unknown).items())),
        estimate(rows, scale, against),
    )


def __dir__() -> list[str]:
    return list(__all__)
