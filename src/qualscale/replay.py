"""Replay: re-plan past deliveries under another scale and say what changes.

Pure; no I/O. Each delivery is planned with the history it could have seen - only
deliveries dated before it, and only outcomes found before its date - so a replay
never uses the future.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import attrs

from qualscale.compiled import compile_scale
from qualscale.delivery import Delivery
from qualscale.records import Record, window_before
from qualscale.scale import Scale

__all__ = ["ReplayRow", "ReplaySummary", "replay", "summarize"]


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

    def to_dict(self) -> dict[str, Any]:
        """The ``--format jsonl`` line of this delivery."""
        return {
            "id": self.id,
            "date": self.date,
            "standard": {"id": self.standard, "rank": self.rank},
            "required": list(self.required),
            "was": {
                "id": self.old_standard,
                "rank": self.old_rank,
                "required": list(self.old_required),
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
            )
        )
    return rows


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
        }


def summarize(rows: Sequence[ReplayRow], scale: Scale) -> ReplaySummary:
    """Deliveries moving up or down; per standard how many (escaped) now and before; per kind."""
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
    )


def __dir__() -> list[str]:
    return list(__all__)
