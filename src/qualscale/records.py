"""Records of the project's history: each delivery, the decision taken, and how it went.

Pure model; the stores that keep records (SQLite, PostgreSQL, JSON Lines) build
on it. :func:`history_before` is the one place where records become the
:class:`~qualscale.delivery.History` that history rules read, and it never
looks into the future: an outcome counts only if it was found before the
delivery being classified.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs

from qualscale._validators import DATE, iso_date, nonempty, nonneg
from qualscale.delivery import Delivery, History, PastDelivery
from qualscale.errors import DeliveryError

__all__ = ["Decision", "Outcome", "OutcomeKind", "Record", "history_before", "window_before"]

OutcomeKind = Literal["defect", "incident"]


@attrs.frozen
class Outcome:
    """Something that went wrong after a delivery: an escaped defect or an incident.

    Attributes:
        kind: ``defect`` (found after the delivery, outside its tests) or ``incident``.
        id: The tracker's id, or a fix commit.
        severity: As the team grades it (``critical``, ``major``, ...).
        found: When it was found, ISO 8601; an outcome without it never counts
            for history rules (it could lie in the future of any delivery).
        fixed: When it was fixed, ISO 8601.
        fixed_by: The delivery or commit that fixed it.
    """

    kind: OutcomeKind = "defect"
    id: str | None = None
    severity: str | None = None
    found: str | None = attrs.field(default=None, validator=iso_date, metadata={DATE: True})
    fixed: str | None = attrs.field(default=None, validator=iso_date, metadata={DATE: True})
    fixed_by: str | None = None


@attrs.frozen
class Decision:
    """The standard qualscale chose for a delivery, and under which scale.

    Attributes:
        standard: The standard's id.
        rank: Its 1-based rank in the scale.
        size: The size band.
        risk: The risk class.
        reasons: The ids of the rationale's reasons, in order.
        required: The kinds the plan required.
        scale: The scale's name.
        scale_version: The scale's version.
        scale_sha256: The sha256 of the scale's canonical JSON.
        qualscale_version: The qualscale that decided.
    """

    standard: str = attrs.field(validator=nonempty)
    rank: int = attrs.field(validator=nonneg)
    size: str
    risk: str
    reasons: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    scale: str | None = None
    scale_version: str | None = None
    scale_sha256: str | None = None
    qualscale_version: str | None = None


@attrs.frozen
class Record:
    """One delivery of the project's history.

    Attributes:
        delivery: What was delivered (its ``date`` orders the history).
        decision: The standard chosen, when qualscale was asked.
        verdict: The result per kind when a verdict was made (``passed``, ...).
        outcomes: Escaped defects and incidents traced back to it.
        defect_inducing: Whether it is known to have introduced a defect, when the
            source gives only that label (defect data sets) and no outcomes.
    """

    delivery: Delivery
    decision: Decision | None = None
    verdict: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    outcomes: tuple[Outcome, ...] = ()
    defect_inducing: bool | None = None

    @property
    def escaped(self) -> bool:
        """Whether it let a defect or incident escape (by outcome or by label)."""
        return bool(self.outcomes) or bool(self.defect_inducing)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | None = None) -> Record:
        """Build a record from plain data (a line of ``history export``).

        Raises:
            DeliveryError: naming the key path of every problem.
        """
        from qualscale._convert import structure_located

        return structure_located(data, cls, DeliveryError, file=file)

    def to_dict(self) -> dict[str, Any]:
        """The record as plain data; :meth:`from_dict` reads it back."""
        from qualscale._convert import unstructure

        return unstructure(self)


def history_before(records: Iterable[Record], date: str | None) -> History:
    """The history a delivery dated ``date`` may see: only what was known before it.

    Records dated before ``date`` become past deliveries, oldest first, with
    their outcomes found before ``date`` counted (an outcome without a date is
    never counted). ``None`` means now: every dated record and outcome counts.
    Dates compare as ISO 8601 text, so a date sorts before any time of that day.
    """
    past = sorted(
        (
            r
            for r in records
            if r.delivery.date is not None and (date is None or r.delivery.date < date)
        ),
        key=lambda r: (r.delivery.date or "", r.delivery.id),
    )
    out = []
    for record in past:
        known = [
            o for o in record.outcomes if o.found is not None and (date is None or o.found < date)
        ]
        out.append(
            PastDelivery(
                id=record.delivery.id,
                project=record.delivery.project,
                standard=record.decision.standard if record.decision else None,
                escaped_defects=sum(o.kind == "defect" for o in known),
                incidents=sum(o.kind == "incident" for o in known),
                date=record.delivery.date,
            )
        )
    return History(tuple(out))


def window_before(ordered: Sequence[Record], i: int, size: int) -> History:
    """The history the ``i``-th of the time-ordered records may see.

    Up to ``size`` earlier records of its project (all, when it names none), with only
    the outcomes found before its date (:func:`history_before`).
    """
    record = ordered[i]
    date, project = record.delivery.date, record.delivery.project
    seen: list[Record] = []
    j = i - 1
    while j >= 0 and len(seen) < size:
        other = ordered[j]
        if project is None or other.delivery.project == project:
            seen.append(other)
        j -= 1
    return history_before(seen, date)


def __dir__() -> list[str]:
    return list(__all__)
