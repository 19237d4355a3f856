"""Classification: which size band, which risk class, which standard - and why.

Pure functions over the model; no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs

from qualscale._globs import compile_globs
from qualscale._text import did_you_mean
from qualscale.delivery import Delivery, History
from qualscale.errors import DeliveryError, Problem
from qualscale.requirements import Requirement
from qualscale.rules import (
    CONTENT_ORDER,
    ComponentRule,
    Condition,
    Content,
    Modifier,
    Rules,
    SizeBand,
)
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


_Reasons = tuple[Reason, ...]


def classify(delivery: Delivery, scale: Scale, history: History | None = None) -> Classification:
    """Classify ``delivery`` on ``scale``: size band, risk class, standard, rationale.

    Each step is a named function below that returns its value and the reasons it adds:
    :func:`_overrides` (what a person set by hand), :func:`_components`, :func:`_flags`,
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
    why = [*_overrides(delivery), *touched.reasons, *flag_reasons, *size_reasons]
    why += [*risk_reasons, *matrix_reasons]

    facts = _Facts(delivery.type, flags, touched.ids, touched.content, size_index, risk_index)
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


_SINGULAR = {"flags": "flag", "components": "component", "paths": "path"}


def _overrides(delivery: Delivery) -> _Reasons:
    """What a person set by hand (``source.overrides``), and where, before anything else."""
    entries = delivery.source.get("overrides", [])
    reasons = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            continue
        key, value, where = entry["key"], entry.get("value"), entry.get("from", "by hand")
        name = _SINGULAR.get(key, key)
        shown = f"{name} {value}" if isinstance(value, (str, int)) else name
        reasons.append(Reason(f"override:{name}", f"{shown} given {_place(where)}"))
    return tuple(reasons)


def _place(where: object) -> str:
    return f"on {where}" if where == "the command line" else f"in {where}"


def _refuse_unknown_names(delivery: Delivery, rules: Rules) -> None:
    known_components = [c.id for c in rules.components]
    problems = _unknown_names(delivery.flags, list(rules.risk.flags), "flags")
    problems += _unknown_names(delivery.components, known_components, "components")
    if problems:
        raise DeliveryError(problems)


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


@attrs.frozen
class _Touched:
    """What a delivery touches: components, content and unmapped paths, and the reasons.

    Components the delivery names come first, then those found from its paths, each once.
    """

    components: tuple[ComponentRule, ...]
    content: str
    unmapped: tuple[str, ...]
    reasons: _Reasons
    contents: frozenset[Content] = frozenset()

    @property
    def ids(self) -> frozenset[str]:
        """The ids of :attr:`components`."""
        return frozenset(c.id for c in self.components)


def _components(delivery: Delivery, rules: Rules) -> _Touched:
    """The components and content of ``delivery``: named ones, then those its paths match."""
    by_id = {c.id: c for c in rules.components}
    touched: dict[str, ComponentRule] = {c: by_id[c] for c in delivery.components}
    contents: set[Content] = set()
    unmapped: list[str] = []
    ordered = _by_priority(rules.components)
    for path in delivery.paths:
        rule = _match(path, ordered)
        if rule is None:
            unmapped.append(path)
            contents.add("code")  # an unknown file is assumed to be code: never cheaper
        else:
            touched.setdefault(rule.id, rule)
            contents.add(rule.content)
    contents.update(c.content for c in touched.values())
    reasons: list[Reason] = []
    content = "unknown"
    if delivery.paths:
        content = max(contents, key=CONTENT_ORDER.index)
        n = len(delivery.paths)
        reasons.append(
            Reason("content", f"content: {content} ({n} changed path{'' if n == 1 else 's'})")
        )
    if unmapped:
        shown = ", ".join(unmapped[:3]) + (" ..." if len(unmapped) > 3 else "")
        match = "path matches" if len(unmapped) == 1 else "paths match"
        reasons.append(Reason("components", f"{len(unmapped)} {match} no component: {shown}"))
    return _Touched(
        tuple(touched.values()), content, tuple(unmapped), tuple(reasons), frozenset(contents)
    )


def _flags(
    delivery: Delivery, components: Sequence[ComponentRule]
) -> tuple[frozenset[str], _Reasons]:
    """The delivery's flags plus those its components carry; a reason for each one added."""
    flags = set(delivery.flags)
    reasons = []
    for comp in components:
        for flag in comp.flags:
            if flag not in flags:
                flags.add(flag)
                reasons.append(
                    Reason(f"component:{comp.id}", f"component {comp.id} carries flag {flag}")
                )
    return frozenset(flags), tuple(reasons)


def _size(delivery: Delivery, rules: Rules, touched: _Touched) -> tuple[int, _Reasons]:
    """The index of the size band: the largest band any figure falls into.

    Only content the scale counts (``rules.size.counts``) makes a delivery bigger: its
    other paths leave the files and components figures, and their lines the line figure
    when the delivery gives lines per path. The line figure needs both ``lines_added``
    and ``lines_removed``: when either is missing, the known part still counts and the
    band is at least ``rules.size.unknown``. Missing figures must never make a delivery
    look smaller than it is.
    """
    size = rules.size
    bands = size.bands
    counted = _Counted.of(delivery, rules, touched)
    changes = delivery.changes
    missing = [name for name in ("lines_added", "lines_removed") if getattr(changes, name) is None]
    figures = {"lines": counted.lines, "files": counted.files, "components": counted.components}
    chosen = 0
    parts = []
    for measure, value in figures.items():
        if value is not None:
            i = _band_of(value, bands, f"max_{measure}")
            at_least = "at least " if measure == "lines" and missing else ""
            name = measure if value != 1 else measure[:-1]
            parts.append(f"{at_least}{value} {name} -> {bands[i].id}")
            chosen = max(chosen, i)
    message = ", ".join(parts)
    if missing:
        chosen = max(chosen, [b.id for b in bands].index(size.unknown))
        if counted.lines is None:
            what = "no size figures" if not parts else "no line counts"
        else:
            what = f"no {missing[0]}"
        assumed = f"{what}: assumed at least {size.unknown} (conservative)"
        message = f"{assumed}; {message}" if parts else assumed
    message += f"; size {bands[chosen].id}{counted.left_out()}"
    return chosen, (Reason("size", message),)


@attrs.frozen
class _Counted:
    """The size figures of the content a scale counts, and what was left out."""

    lines: int | None
    files: int | None
    components: int | None
    left_lines: tuple[tuple[Content, int], ...]
    left_files: tuple[tuple[Content, int], ...]

    @classmethod
    def of(cls, delivery: Delivery, rules: Rules, touched: _Touched) -> _Counted:
        counts = rules.size.counts
        ordered = _by_priority(rules.components)
        # The content of each changed path; an unknown file is code, as in _components.
        content: dict[str, Content] = {}
        for path in (*delivery.paths, *delivery.changes.by_path):
            rule = _match(path, ordered)
            content[path] = "code" if rule is None else rule.content
        left_lines: dict[Content, int] = {}
        kept_lines = 0
        for path, change in delivery.changes.by_path.items():
            if content[path] in counts:
                kept_lines += change.lines
            elif change.lines:
                left_lines[content[path]] = left_lines.get(content[path], 0) + change.lines
        left_files: dict[Content, int] = {}
        for path in delivery.paths:
            if content[path] not in counts:
                left_files[content[path]] = left_files.get(content[path], 0) + 1
        changes = delivery.changes
        known = [n for n in (changes.lines_added, changes.lines_removed) if n is not None]
        lines = None
        if known:
            lines = max(sum(known) - sum(left_lines.values()), kept_lines)
        files = delivery.files
        left = sum(left_files.values())
        if files is not None and left:
            # A rename lists two paths for one file: never go below the counted paths.
            files = max(files - left, min(len(delivery.paths) - left, files))
        spread = sum(1 for c in touched.components if c.content in counts)
        return cls(
            lines,
            files,
            spread if (delivery.paths or delivery.components) else None,
            _in_order(left_lines),
            _in_order(left_files),
        )

    def left_out(self) -> str:
        """`` (80 test lines, 1 test file not counted)``, or nothing."""
        said = [f"{n} {c} line{'' if n == 1 else 's'}" for c, n in self.left_lines]
        said += [f"{n} {c} file{'' if n == 1 else 's'}" for c, n in self.left_files]
        return f" ({', '.join(said)} not counted)" if said else ""


def _in_order(amounts: dict[Content, int]) -> tuple[tuple[Content, int], ...]:
    return tuple((c, amounts[c]) for c in CONTENT_ORDER if c in amounts)


def _band_of(value: int, bands: Sequence[SizeBand], limit: str) -> int:
    """The index of the first band whose ``limit`` (``max_lines``, ...) ``value`` stays within."""
    for i, band in enumerate(bands):
        if getattr(band, limit) is None or value <= getattr(band, limit):
            return i
    return len(bands) - 1


def _risk(
    delivery: Delivery, scale_rules: Rules, touched: _Touched, flags: frozenset[str]
) -> tuple[int, _Reasons]:
    """The index of the risk class: the riskiest factor, each factor above the lowest named."""
    rules = scale_rules.risk
    factors = list(_risk_factors(delivery, scale_rules, touched, flags))
    risk_index = 0
    reasons = []
    for reason, risk_class in factors:
        if risk_class is None:  # a factor that does not apply, and why
            reasons.append(reason)
            continue
        index = rules.classes.index(risk_class)
        if index > 0:  # every delivery is at least of the lowest class: not worth a line
            reasons.append(reason)
        risk_index = max(risk_index, index)
    applied = any(risk_class is not None for _, risk_class in factors)
    summary = f"risk class {rules.classes[risk_index]}"
    reasons.append(Reason("risk", summary + ("" if applied else " (no risk factor applies)")))
    return risk_index, tuple(reasons)


def _risk_factors(
    delivery: Delivery, scale_rules: Rules, touched: _Touched, flags: frozenset[str]
) -> Iterator[tuple[Reason, str | None]]:
    """Each risk factor (components, flags, type, unmapped paths): its reason and risk class.

    A missing type adds no risk when every changed path is content the scale does not
    count toward size (``rules.size.counts``: tests and docs by default): the paths say
    what the change is. Its risk class is then ``None`` and its reason says why.
    """
    rules = scale_rules.risk
    for comp in sorted(touched.components, key=lambda c: c.id):
        risk_class = comp.criticality
        yield (
            Reason(f"component:{comp.id}", f"component {comp.id} is {risk_class} risk"),
            risk_class,
        )
    for flag in sorted(flags):
        risk_class = rules.flags[flag]
        yield Reason(f"flag:{flag}", f"flag {flag} is {risk_class} risk"), risk_class
    if delivery.type is not None and delivery.type in rules.types:
        risk_class = rules.types[delivery.type]
        yield (
            Reason(f"type:{delivery.type}", f"type {delivery.type} is {risk_class} risk"),
            risk_class,
        )
    elif delivery.type is None and rules.unknown_type is not None:
        counts = scale_rules.size.counts
        if delivery.paths and not touched.contents.intersection(counts):
            shown = " or ".join(c for c in CONTENT_ORDER if c in touched.contents)
            message = (
                f"no change type given: no risk assumed, every changed path is {shown}"
                " (content that does not count toward size)"
            )
            yield Reason("type:unknown", message), None
        else:
            risk_class = rules.unknown_type
            message = f"no change type given: assumed {risk_class} risk"
            yield Reason("type:unknown", message), risk_class
    if touched.unmapped and rules.unmapped_paths is not None:
        risk_class = rules.unmapped_paths
        yield (
            Reason("paths:unmapped", f"paths outside every component: {risk_class} risk"),
            risk_class,
        )


def _matrix(scale: Scale, size_index: int, risk_index: int) -> tuple[int, _Reasons]:
    """The rank of the standard the matrix names for this size band and risk class."""
    size = scale.rules.size.bands[size_index].id
    risk = scale.rules.risk.classes[risk_index]
    standard_id = scale.rules.matrix[size][risk]
    return scale.rank(standard_id), (Reason("matrix", f"{size} x {risk} gives {standard_id}"),)


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


def _active(rules: Rules, facts: _Facts) -> tuple[Modifier, ...]:
    """The modifiers whose condition holds, in the scale's order."""
    bands = [b.id for b in rules.size.bands]
    risk_classes = list(rules.risk.classes)
    return tuple(m for m in rules.modifiers if _holds(m.when, facts, bands, risk_classes))


def _holds(cond: Condition, facts: _Facts, bands: list[str], risk_classes: list[str]) -> bool:
    return _what_holds(cond, facts) and not _bounds_missed(cond, facts, bands, risk_classes)


def _what_holds(cond: Condition, facts: _Facts) -> bool:
    """Whether the delivery is of the kind ``cond`` is about: type, flags, components, content."""
    if cond.type and facts.type not in cond.type:
        return False
    if cond.flags and not facts.flags.intersection(cond.flags):
        return False
    if cond.components and not facts.components.intersection(cond.components):
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
            figure = (
                f"{total} {hrule.measure.replace('_', ' ')} in the last {len(recent)}"
                f" deliveries (threshold {hrule.at_least})"
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


def _chosen(standard: Standard) -> Reason:
    """The last line of the rationale: the standard, by id and name."""
    name = f" ({standard.name})" if standard.name else ""
    return Reason("standard", f"standard {standard.id}{name}")


def __dir__() -> list[str]:
    return list(__all__)
