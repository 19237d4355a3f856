"""The first steps of :func:`qualscale.classify`: what a delivery is and where the matrix puts it.

Each step is a pure function that returns its value and the reasons it adds to the
rationale: the corrections a person made, the components and content of the changed
paths, the flags, the size band, the risk class, the matrix's standard.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import attrs

from qualscale._globs import compile_globs
from qualscale._text import did_you_mean
from qualscale.delivery import Delivery
from qualscale.errors import DeliveryError, Problem
from qualscale.requirements import Requirement
from qualscale.rules import (
    CONTENT_ORDER,
    ComponentRule,
    Content,
    Rules,
    SizeBand,
)
from qualscale.scale import Scale


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


def match_path(path: str, rules: Sequence[ComponentRule]) -> ComponentRule | None:
    """The component ``path`` belongs to: the first match, higher ``priority`` first."""
    return _match(path, _by_priority(rules))


_MatchCache = dict[str, ComponentRule | None]
# The match of each path, per list of component rules (held, so compared by identity):
# a history of many commits touches the same paths again and again. Bounded.
_MATCHES: dict[int, tuple[Sequence[ComponentRule], list[ComponentRule], _MatchCache]] = {}
_MAX_RULE_LISTS = 16
_MAX_PATHS = 1 << 16


def _matcher(rules: Sequence[ComponentRule]) -> tuple[list[ComponentRule], _MatchCache]:
    """The rules by priority and the cache of path matches for ``rules`` (the same object)."""
    entry = _MATCHES.get(id(rules))
    if entry is None or entry[0] is not rules:
        if len(_MATCHES) >= _MAX_RULE_LISTS:
            _MATCHES.clear()
        entry = _MATCHES[id(rules)] = (rules, _by_priority(rules), {})
    if len(entry[2]) >= _MAX_PATHS:
        entry[2].clear()
    return entry[1], entry[2]


def _match_cached(
    path: str, ordered: Sequence[ComponentRule], cache: _MatchCache
) -> ComponentRule | None:
    try:
        return cache[path]
    except KeyError:
        found = cache[path] = _match(path, ordered)
        return found


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


def _commit_findings(delivery: Delivery) -> _Reasons:
    """What the commits of a delivery read from git said (``source.git.findings``)."""
    git = delivery.source.get("git")
    entries = git.get("findings", []) if isinstance(git, Mapping) else []
    reasons = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping) or not all(isinstance(v, str) for v in entry.values()):
            continue
        key, value = entry.get("key", ""), entry.get("value", "")
        shown = "breaking" if key == "breaking" else f"{key} {value}"
        commit, rule = entry.get("commit", "?"), entry.get("rule", "?")
        reasons.append(Reason(f"commits:{key}", f"{shown} read from commit {commit}: {rule}"))
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
    ordered, cache = _matcher(rules.components)
    for path in delivery.paths:
        rule = _match_cached(path, ordered, cache)
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
        more = f" and {len(unmapped) - 3} more (qualscale map lists them all)"
        shown = ", ".join(unmapped[:3]) + (more if len(unmapped) > 3 else "")
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
    counted = _Counted.of(delivery, rules, touched)
    changes = delivery.changes
    missing = tuple(
        name for name in ("lines_added", "lines_removed") if getattr(changes, name) is None
    )
    return _size_of(counted, missing, rules)


def _size_of(counted: _Counted, missing: tuple[str, ...], rules: Rules) -> tuple[int, _Reasons]:
    """The size band of figures already counted: :func:`_size` after counting.

    ``missing`` names the line figures the delivery does not give.
    """
    size = rules.size
    bands = size.bands
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
        ordered, cache = _matcher(rules.components)
        # The content of each changed path; an unknown file is code, as in _components.
        content: dict[str, Content] = {}
        for path in (*delivery.paths, *delivery.changes.by_path):
            rule = _match_cached(path, ordered, cache)
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
