"""Classification: which size band, which risk class, which standard - and why.

Pure functions over the model; no I/O.
"""

from __future__ import annotations

from typing import Any

import attrs

from qualscale._classify_findings import (
    Adjustment,
    Reason,
    _commit_findings,
    _components,
    _flags,
    _matrix,
    _overrides,
    _refuse_unknown_names,
    _risk,
    _size,
    match_path,
)
from qualscale._classify_moves import _MOVES, _active, _adjustments, _AfterMatrix, _Facts, _skipped
from qualscale.delivery import Delivery, History
from qualscale.scale import Scale, Standard

__all__ = ["Adjustment", "Classification", "Reason", "classify", "match_path"]


@attrs.frozen
class Classification:
    """The outcome of :func:`classify`.

    Attributes:
        size: The size band's id.
        risk: The risk class.
        standard: The chosen standard.
        rank: The standard's 1-based rank in the scale.
        rationale: Every rule that fired, in order.
        components: The components touched (named or found from paths).
        flags: The risk flags (given, or carried by components).
        content: What the changed files are: ``docs``, ``test``, ``config``,
            ``data``, ``code``, or ``unknown`` when no paths are given.
        adjustments: Requirements raised by modifiers, applied by :func:`plan`.
    """

    size: str
    risk: str
    standard: Standard
    rank: int
    rationale: tuple[Reason, ...]
    components: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    content: str = "unknown"
    adjustments: tuple[Adjustment, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The classification as plain data (as in the plan's JSON)."""
        return {
            "standard": {"id": self.standard.id, "name": self.standard.name, "rank": self.rank},
            "size": self.size,
            "risk": self.risk,
            "components": list(self.components),
            "flags": list(self.flags),
            "content": self.content,
            "rationale": [r.to_dict() for r in self.rationale],
        }


def classify(delivery: Delivery, scale: Scale, history: History | None = None) -> Classification:
    """Classify ``delivery`` on ``scale``: size band, risk class, standard, rationale.

    Each step is a named function below that returns its value and the reasons it adds:
    :func:`_commit_findings` (what the commits said, for a delivery read from
    git), :func:`_overrides` (what a person set by hand), :func:`_components`, :func:`_flags`,
    :func:`_size`, :func:`_risk`, :func:`_matrix`, then the steps that move the standard,
    in the order of :data:`_MOVES`, then :func:`_adjustments`. The rationale lists those
    reasons in that order.

    Raises:
        DeliveryError: the delivery names a flag or component the scale does not know
            (a typo must not lower the standard silently).
    """
    rules = scale.rules
    _refuse_unknown_names(delivery, rules)
    touched = _components(delivery, rules)
    flags, flag_reasons = _flags(delivery, touched.components)
    size_index, size_reasons = _size(delivery, rules, touched)
    risk_index, risk_reasons = _risk(delivery, rules, touched, flags)
    rank, matrix_reasons = _matrix(scale, size_index, risk_index)
    why = [
        *_commit_findings(delivery),
        *_overrides(delivery),
        *touched.reasons,
        *flag_reasons,
        *size_reasons,
    ]
    why += [*risk_reasons, *matrix_reasons]

    facts = _Facts(delivery.type, flags, touched.ids, touched.content, size_index, risk_index)
    metrics = rules.metrics_of(delivery.metrics)
    facts = attrs.evolve(facts, breaking=delivery.breaking, metrics=metrics)
    after = _AfterMatrix(
        scale, _active(rules, facts), history, delivery.project, _skipped(rules, facts)
    )
    for move in _MOVES:
        rank, moved = move(rank, after)
        why += moved

    standard = scale.standards[rank - 1]
    adjustments, adjustment_reasons = _adjustments(after.active, scale)
    why += [*adjustment_reasons, _chosen(standard)]
    return Classification(
        size=rules.size.bands[size_index].id,
        risk=rules.risk.classes[risk_index],
        standard=standard,
        rank=rank,
        rationale=tuple(why),
        components=tuple(sorted(touched.ids)),
        flags=tuple(sorted(flags)),
        content=touched.content,
        adjustments=adjustments,
    )


def _chosen(standard: Standard) -> Reason:
    """The last line of the rationale: the standard, by id and name."""
    name = f" ({standard.name})" if standard.name else ""
    return Reason("standard", f"standard {standard.id}{name}")


def __dir__() -> list[str]:
    return list(__all__)
