"""Classification: which size band, which risk class, which standard - and why.

Pure functions over the model; no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from qualscale._globs import compile_globs
from qualscale._text import did_you_mean
from qualscale.delivery import Delivery, History
from qualscale.errors import DeliveryError, Problem
from qualscale.requirements import Requirement
from qualscale.rules import CONTENT_ORDER, ComponentRule, Condition, Content, Modifier
from qualscale.scale import Scale, Standard

__all__ = ["Adjustment", "Classification", "Reason", "classify"]


@attrs.frozen
class Reason:
    """One rule that fired, in the order it fired, with the figure that made it fire."""

    rule: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """``{"rule": ..., "message": ...}``."""
        return {"rule": self.rule, "message": self.message}


@attrs.frozen
class Adjustment:
    """A requirement a modifier makes at least as strong as given, and why."""

    requirement: Requirement
    rule: str
    because: str


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


def match_path(path: str, rules: Sequence[ComponentRule]) -> ComponentRule | None:
    """The component ``path`` belongs to: the first match, higher ``priority`` first."""
    return _match(path, _by_priority(rules))


def _by_priority(rules: Sequence[ComponentRule]) -> list[ComponentRule]:
    return sorted(rules, key=lambda r: -r.priority)  # stable: file order within a priority


def _match(path: str, ordered: Sequence[ComponentRule]) -> ComponentRule | None:
    path = path.removeprefix("./")
    for rule in ordered:
        regex = compile_globs(rule.paths)
        if regex is not None and regex.match(path):
            return rule
    return None


def _unknown_names(values: Sequence[str], known: Sequence[str], key: str) -> list[Problem]:
    return [
        Problem(
            f"unknown {key[:-1]} {value!r}; the scale knows: {', '.join(known)}"
            + did_you_mean(value, known),
            path=(key, i),
        )
        for i, value in enumerate(values)
        if value not in known
    ]


def classify(delivery: Delivery, scale: Scale, history: History | None = None) -> Classification:
    """Classify ``delivery`` on ``scale``: size band, risk class, standard, rationale.

    Raises:
        DeliveryError: the delivery names a flag or component the scale does not know
            (a typo must not lower the standard silently).
    """
    rules = scale.rules
    known_components = [c.id for c in rules.components]
    problems = _unknown_names(delivery.flags, list(rules.risk.flags), "flags")
    problems += _unknown_names(delivery.components, known_components, "components")
    if problems:
        raise DeliveryError(problems)

    why: list[Reason] = []
    note = why.append
    bands = [b.id for b in rules.size.bands]
    classes = list(rules.risk.classes)

    # -- components and content, from the paths
    by_id = {c.id: c for c in rules.components}
    touched: dict[str, ComponentRule] = {c: by_id[c] for c in delivery.components}
    contents: set[Content] = set()
    unmapped: list[str] = []
    ordered = _by_priority(rules.components)
    for path in delivery.paths:
        rule = _match(path, ordered)
        if rule is None:
            unmapped.append(path)
            contents.add("code")
        else:
            touched.setdefault(rule.id, rule)
            contents.add(rule.content)
    for comp in touched.values():
        contents.add(comp.content)
    content = max(contents, key=CONTENT_ORDER.index) if delivery.paths else "unknown"
    if delivery.paths:
        n = len(delivery.paths)
        note(Reason("content", f"content: {content} ({n} changed path{'' if n == 1 else 's'})"))
    if unmapped:
        shown = ", ".join(unmapped[:3]) + (" ..." if len(unmapped) > 3 else "")
        match = "path matches" if len(unmapped) == 1 else "paths match"
        note(Reason("components", f"{len(unmapped)} {match} no component: {shown}"))
    flags = set(delivery.flags)
    for comp in touched.values():
        for flag in comp.flags:
            if flag not in flags:
                flags.add(flag)
                note(Reason(f"component:{comp.id}", f"component {comp.id} carries flag {flag}"))

    # -- size: the band of the largest figure
    # Spread over subsystems is a risk signal; tests and docs beside a fix are not.
    spread = sum(1 for c in touched.values() if c.content not in ("docs", "test"))
    size_i, size_why = _size(delivery, scale, spread)
    note(Reason("size", size_why))

    # -- risk: the riskiest factor; each is (rule, class, message)
    risk_rules = rules.risk
    factors = [
        (f"component:{c.id}", c.criticality, f"component {c.id} is {c.criticality} risk")
        for c in sorted(touched.values(), key=lambda c: c.id)
    ]
    factors += [
        (f"flag:{f}", risk_rules.flags[f], f"flag {f} is {risk_rules.flags[f]} risk")
        for f in sorted(flags)
    ]
    if delivery.type is not None and delivery.type in risk_rules.types:
        cls = risk_rules.types[delivery.type]
        factors.append((f"type:{delivery.type}", cls, f"type {delivery.type} is {cls} risk"))
    elif delivery.type is None and risk_rules.unknown_type is not None:
        cls = risk_rules.unknown_type
        factors.append(("type:unknown", cls, f"no change type given: assumed {cls} risk"))
    if unmapped and risk_rules.unmapped_paths is not None:
        cls = risk_rules.unmapped_paths
        factors.append(("paths:unmapped", cls, f"paths outside every component: {cls} risk"))
    risk_i = 0
    for rule_id, cls, message in factors:
        ci = classes.index(cls)
        if ci > 0:
            note(Reason(rule_id, message))
        risk_i = max(risk_i, ci)
    note(
        Reason(
            "risk",
            f"risk class {classes[risk_i]}" + ("" if factors else " (no risk factor applies)"),
        )
    )

    size, risk = bands[size_i], classes[risk_i]
    std_id = rules.matrix[size][risk]
    rank = scale.rank(std_id)
    note(Reason("matrix", f"{size} x {risk} gives {std_id}"))

    facts = _Facts(delivery.type, frozenset(flags), frozenset(touched), content, size_i, risk_i)
    active = [m for m in rules.modifiers if _holds(m.when, facts, bands, classes)]

    # Raises first (modifiers, then history), then ceilings, then floors: a
    # ceiling caps whatever raised the standard, and a floor always wins.
    def move(rule: str, new_rank: int, message: str) -> None:
        nonlocal rank
        old_id, new_id = scale.standards[rank - 1].id, scale.standards[new_rank - 1].id
        note(Reason(rule, f"{message}: {old_id} -> {new_id}"))
        rank = new_rank

    n = len(scale.standards)
    for mod in active:
        if mod.raise_by and rank < n:
            move(f"modifier:{mod.id}", min(n, rank + mod.raise_by), _said(mod, "raised"))
    if history is not None:
        for hrule in rules.history:
            recent = history.recent(hrule.window, delivery.project)
            total = sum(getattr(d, hrule.measure) for d in recent)
            if total >= hrule.at_least and rank < n:
                figure = (
                    f"{total} {hrule.measure.replace('_', ' ')} in the last {len(recent)}"
                    f" deliveries (threshold {hrule.at_least})"
                )
                message = f"{hrule.message}: {figure}" if hrule.message else figure
                move(f"history:{hrule.id}", min(n, rank + hrule.raise_by), message)
    for mod in active:
        if mod.ceiling is not None and rank > scale.rank(mod.ceiling):
            move(
                f"modifier:{mod.id}", scale.rank(mod.ceiling), _said(mod, f"at most {mod.ceiling}")
            )
    for mod in active:
        if mod.floor is not None and rank < scale.rank(mod.floor):
            move(f"modifier:{mod.id}", scale.rank(mod.floor), _said(mod, f"at least {mod.floor}"))

    standard = scale.standards[rank - 1]
    adjustments = tuple(
        Adjustment(req, f"modifier:{mod.id}", _said(mod, _what(req)))
        for mod in active
        for req in (scale.resolve(ask.kind, ask) for ask in mod.requires)
    )
    for adj in adjustments:
        note(Reason(adj.rule, adj.because))
    note(
        Reason(
            "standard",
            f"standard {standard.id} ({standard.name})"
            if standard.name
            else f"standard {standard.id}",
        )
    )
    return Classification(
        size=size,
        risk=risk,
        standard=standard,
        rank=rank,
        rationale=tuple(why),
        components=tuple(sorted(touched)),
        flags=tuple(sorted(flags)),
        content=content,
        adjustments=adjustments,
    )


def _said(mod: Modifier, effect: str) -> str:
    if mod.message:
        return f"{mod.message} ({effect})"
    return f"{mod.id} ({mod.when.describe()}): {effect}"


def _what(req: Requirement) -> str:
    what = f"{req.kind} {req.obligation}"
    return f"{what}, at least {req.depth}" if req.depth else what


def _size(delivery: Delivery, scale: Scale, components: int) -> tuple[int, str]:
    rules = scale.rules.size
    bands = rules.bands
    figures = {
        "lines": delivery.changes.lines,
        "files": delivery.files,
        "components": components if (delivery.paths or delivery.components) else None,
    }
    chosen = 0
    parts = []
    for measure, value in figures.items():
        if value is None:
            continue
        limit_of = {"lines": "max_lines", "files": "max_files", "components": "max_components"}[
            measure
        ]
        i = next(
            (
                i
                for i, b in enumerate(bands)
                if getattr(b, limit_of) is None or value <= getattr(b, limit_of)
            ),
            len(bands) - 1,
        )
        parts.append(f"{value} {measure if value != 1 else measure[:-1]} -> {bands[i].id}")
        chosen = max(chosen, i)
    unknown_i = [b.id for b in bands].index(rules.unknown)
    if figures["lines"] is None:
        missing = "no size figures" if not parts else "no line counts"
        if unknown_i > chosen:
            chosen = unknown_i
        return chosen, f"{missing}: assumed at least {rules.unknown} (conservative)" + (
            f"; {', '.join(parts)}" if parts else ""
        ) + f"; size {bands[chosen].id}"
    return chosen, f"{', '.join(parts)}; size {bands[chosen].id}"


@attrs.frozen
class _Facts:
    type: str | None
    flags: frozenset[str]
    components: frozenset[str]
    content: str
    size: int
    risk: int


def _holds(cond: Condition, facts: _Facts, bands: list[str], classes: list[str]) -> bool:
    if cond.type and facts.type not in cond.type:
        return False
    if cond.flags and not facts.flags.intersection(cond.flags):
        return False
    if cond.components and not facts.components.intersection(cond.components):
        return False
    if cond.content and facts.content not in cond.content:
        return False
    if cond.min_size is not None and facts.size < bands.index(cond.min_size):
        return False
    if cond.max_size is not None and facts.size > bands.index(cond.max_size):
        return False
    if cond.min_risk is not None and facts.risk < classes.index(cond.min_risk):
        return False
    return not (cond.max_risk is not None and facts.risk > classes.index(cond.max_risk))


def __dir__() -> list[str]:
    return list(__all__)
