"""The steps of :func:`qualscale.classify` after the matrix: the standard moves, then adjustments.

Modifiers whose condition holds raise, cap or floor the standard and adjust single
requirements; history rules raise it. :data:`_MOVES` is the one statement of the order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import attrs

from qualscale._classify_findings import Adjustment, Reason, _Reasons
from qualscale.delivery import History
from qualscale.requirements import Requirement
from qualscale.rules import (
    Condition,
    Modifier,
    Rules,
)
from qualscale.scale import Scale


@attrs.frozen
class _Facts:
    """What a modifier's condition is tested against, once the matrix has been read.

    ``size`` and ``risk`` index the scale's bands and classes: conditions compare in its order.
    """

    type: str | None
    flags: frozenset[str]
    components: frozenset[str]
    content: str
    size: int
    risk: int
    breaking: bool = False
    metrics: Mapping[str, float] = attrs.field(factory=dict, hash=False)


def _active(rules: Rules, facts: _Facts) -> tuple[Modifier, ...]:
    """The modifiers whose condition holds, in the scale's order."""
    bands = [b.id for b in rules.size.bands]
    risk_classes = list(rules.risk.classes)
    return tuple(m for m in rules.modifiers if _holds(m.when, facts, bands, risk_classes))


def _holds(cond: Condition, facts: _Facts, bands: list[str], risk_classes: list[str]) -> bool:
    return _what_holds(cond, facts) and not _bounds_missed(cond, facts, bands, risk_classes)


def _what_holds(cond: Condition, facts: _Facts) -> bool:
    """Whether the delivery is of the kind ``cond`` is about: type, flags, components,
    content, breaking, and its change metrics (a metric it does not give never holds).
    """
    if cond.type and facts.type not in cond.type:
        return False
    if cond.flags and not facts.flags.intersection(cond.flags):
        return False
    if cond.components and not facts.components.intersection(cond.components):
        return False
    if cond.breaking is not None and cond.breaking != facts.breaking:
        return False
    if cond.metrics and not cond.metrics_hold(facts.metrics):
        return False
    return not (cond.content and facts.content not in cond.content)


def _bounds_missed(
    cond: Condition, facts: _Facts, bands: list[str], risk_classes: list[str]
) -> list[str]:
    """The size and risk bounds of ``cond`` the delivery misses, each said in words."""
    size, risk = bands[facts.size], risk_classes[facts.risk]
    missed = []
    if cond.min_size is not None and facts.size < bands.index(cond.min_size):
        missed.append(f"size {size} is below min_size {cond.min_size}")
    if cond.max_size is not None and facts.size > bands.index(cond.max_size):
        missed.append(f"size {size} is above max_size {cond.max_size}")
    if cond.min_risk is not None and facts.risk < risk_classes.index(cond.min_risk):
        missed.append(f"risk {risk} is below min_risk {cond.min_risk}")
    if cond.max_risk is not None and facts.risk > risk_classes.index(cond.max_risk):
        missed.append(f"risk {risk} is above max_risk {cond.max_risk}")
    return missed


def _skipped(rules: Rules, facts: _Facts) -> tuple[tuple[Modifier, str], ...]:
    """Ceilings and floors considered but not applied, and why.

    A modifier is considered when the delivery is of the kind its condition names (type,
    flags, components or content: at least one given, all holding) but misses a size or
    risk bound: a docs-only ceiling on docs that carry a security flag.
    """
    bands = [b.id for b in rules.size.bands]
    risk_classes = list(rules.risk.classes)
    skipped = []
    for mod in rules.modifiers:
        if mod.ceiling is None and mod.floor is None:
            continue
        when = mod.when
        if not (when.type or when.flags or when.components or when.content):
            continue
        if not _what_holds(when, facts):
            continue
        missed = _bounds_missed(when, facts, bands, risk_classes)
        if missed:
            skipped.append((mod, " and ".join(missed)))
    return tuple(skipped)


@attrs.frozen
class _AfterMatrix:
    """What the steps that move the standard read besides the rank.

    The scale (standards, history rules), the modifiers that hold, the history, the project,
    and the ceilings and floors considered but not applied (with why).
    """

    scale: Scale
    active: tuple[Modifier, ...]
    history: History | None
    project: str | None
    skipped: tuple[tuple[Modifier, str], ...] = ()


def _raises(rank: int, after: _AfterMatrix) -> tuple[int, _Reasons]:
    """Each active modifier's ``raise_by``, in the scale's order, up to the top standard."""
    top = len(after.scale.standards)
    reasons = []
    for mod in after.active:
        if mod.raise_by and rank < top:
            new_rank, effect = min(top, rank + mod.raise_by), _said(mod, "raised")
            reasons.append(_moved(after, f"modifier:{mod.id}", rank, new_rank, effect))
            rank = new_rank
    return rank, tuple(reasons)


def _history(rank: int, after: _AfterMatrix) -> tuple[int, _Reasons]:
    """Each history rule whose measure reached its threshold raises the standard."""
    if after.history is None:
        return rank, ()
    top = len(after.scale.standards)
    reasons = []
    for hrule in after.scale.rules.history:
        recent = after.history.recent(hrule.window, after.project)
        total = sum(getattr(d, hrule.measure) for d in recent)
        if total >= hrule.at_least and rank < top:
            # The past deliveries that raised it, by name: the rationale can be checked.
            raised_by = ", ".join(d.id for d in recent if getattr(d, hrule.measure))
            figure = (
                f"{total} {hrule.measure.replace('_', ' ')} in the last {len(recent)}"
                f" deliveries (threshold {hrule.at_least}), from {raised_by}"
            )
            message = f"{hrule.message}: {figure}" if hrule.message else figure
            new_rank = min(top, rank + hrule.raise_by)
            reasons.append(_moved(after, f"history:{hrule.id}", rank, new_rank, message))
            rank = new_rank
    return rank, tuple(reasons)


def _ceilings(rank: int, after: _AfterMatrix) -> tuple[int, _Reasons]:
    """Each active modifier's ``ceiling`` caps the standard reached so far."""
    reasons = []
    for mod in after.active:
        if mod.ceiling is not None and rank > after.scale.rank(mod.ceiling):
            new_rank = after.scale.rank(mod.ceiling)
            effect = _said(mod, f"at most {mod.ceiling}")
            reasons.append(_moved(after, f"modifier:{mod.id}", rank, new_rank, effect))
            rank = new_rank
    reasons += _not_applied(after, "ceiling")
    return rank, tuple(reasons)


def _floors(rank: int, after: _AfterMatrix) -> tuple[int, _Reasons]:
    """Each active modifier's ``floor`` lifts the standard to at least that one."""
    reasons = []
    for mod in after.active:
        if mod.floor is not None and rank < after.scale.rank(mod.floor):
            new_rank = after.scale.rank(mod.floor)
            effect = _said(mod, f"at least {mod.floor}")
            reasons.append(_moved(after, f"modifier:{mod.id}", rank, new_rank, effect))
            rank = new_rank
    reasons += _not_applied(after, "floor")
    return rank, tuple(reasons)


def _not_applied(after: _AfterMatrix, action: str) -> list[Reason]:
    """A reason for each ceiling (or floor) considered and skipped, saying why."""
    return [
        Reason(
            f"skipped:{mod.id}",
            f"{mod.message or mod.id}: not applied ({action} {getattr(mod, action)}), {why}",
        )
        for mod, why in after.skipped
        if getattr(mod, action) is not None
    ]


_Move = Callable[[int, _AfterMatrix], tuple[int, _Reasons]]

#: The steps that move the standard after the matrix, in the order :func:`classify`
#: applies them; this tuple is the one statement of that order. Raises come first
#: (modifiers, then history), so a ceiling caps whatever raised the standard; floors
#: come last, so a floor always wins over a ceiling.
_MOVES: tuple[_Move, ...] = (_raises, _history, _ceilings, _floors)


def _moved(after: _AfterMatrix, rule: str, rank: int, new_rank: int, message: str) -> Reason:
    """The reason for a move from ``rank`` to ``new_rank``, naming both standards."""
    old_id, new_id = after.scale.standards[rank - 1].id, after.scale.standards[new_rank - 1].id
    return Reason(rule, f"{message}: {old_id} -> {new_id}")


def _said(mod: Modifier, effect: str) -> str:
    if mod.message:
        return f"{mod.message} ({effect})"
    return f"{mod.id} ({mod.when.describe()}): {effect}"


def _adjustments(
    active: Sequence[Modifier], scale: Scale
) -> tuple[tuple[Adjustment, ...], _Reasons]:
    """The requirements the active modifiers raise (resolved on ``scale``), and why."""
    adjustments = tuple(
        Adjustment(req, f"modifier:{mod.id}", _said(mod, _what(req)))
        for mod in active
        for req in (scale.resolve(ask.kind, ask) for ask in mod.requires)
    )
    return adjustments, tuple(Reason(adj.rule, adj.because) for adj in adjustments)


def _what(req: Requirement) -> str:
    what = f"{req.kind} {req.obligation}"
    return f"{what}, at least {req.depth}" if req.depth else what
