"""The scale of quality standards: standards, test kinds, environments, gates, rules.

A :class:`Scale` is plain, immutable data. Load one with
:func:`qualscale.load_scale`; build one in Python and check it with
:func:`check_scale`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from qualscale._text import did_you_mean
from qualscale._validators import ident, nonneg, positive
from qualscale.delivery import DELIVERY_TYPES
from qualscale.errors import KeyPath, Problem, ScaleError

__all__ = [
    "CONTENT_ORDER",
    "OBLIGATIONS",
    "ComponentRule",
    "Condition",
    "Content",
    "Environment",
    "Gate",
    "GatePolicy",
    "HistoryRule",
    "Kind",
    "Modifier",
    "Obligation",
    "Requirement",
    "RiskRules",
    "Rules",
    "Scale",
    "SizeBand",
    "SizeRules",
    "Standard",
    "check_scale",
]

Obligation = Literal["required", "recommended", "optional", "discouraged"]
#: Obligations from the weakest to the strongest.
OBLIGATIONS: tuple[Obligation, ...] = ("discouraged", "optional", "recommended", "required")

Content = Literal["docs", "test", "config", "data", "code"]
#: What a changed file is, from the least to the most risky; a delivery's
#: content is the riskiest of its files.
CONTENT_ORDER: tuple[Content, ...] = ("docs", "test", "config", "data", "code")


@attrs.frozen
class Kind:
    """A kind of test the scale knows, such as ``regression``.

    ``depths`` lists the depths the kind can be done at, shallowest first
    (``smoke``, ``targeted``, ``full``); a requirement's depth must be one of them.
    """

    id: str = attrs.field(validator=ident)
    name: str = ""
    description: str = ""
    depths: tuple[str, ...] = ()


@attrs.frozen
class Environment:
    """Where a test runs (``ci``, ``staging``, ...); scales list them in promotion order."""

    id: str = attrs.field(validator=ident)
    name: str = ""
    description: str = ""


@attrs.frozen
class Gate:
    """A decision point of the gating policy; scales list gates in the order they are passed."""

    id: str = attrs.field(validator=ident)
    name: str = ""
    description: str = ""
    objectives: tuple[str, ...] = ()
    review_team: tuple[str, ...] = ()
    artifacts: tuple[str, ...] = ()


@attrs.frozen
class GatePolicy:
    """A gates file: the gating policy's decision points, in the order a project passes them."""

    gates: tuple[Gate, ...]
    policy: str = ""
    description: str = ""

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        problems = []
        for i, gate in enumerate(self.gates):
            if gate.id in seen:
                problems.append(Problem(f"duplicate gate id {gate.id!r}", path=("gates", i, "id")))
            seen.add(gate.id)
        if problems:
            raise ScaleError(problems)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | None = None) -> GatePolicy:
        """Build a gating policy from plain data (the gates file format).

        Raises:
            ScaleError: naming the key path of every problem.
        """
        from qualscale._structure import structure_located

        return structure_located(data, cls, ScaleError, file=file)


@attrs.frozen
class Requirement:
    """One test activity a standard asks for.

    Attributes:
        kind: The test kind's id.
        obligation: ``required``, ``recommended``, ``optional`` or ``discouraged``.
        depth: The depth, one of the kind's depths (``targeted``, ``load``, ...).
        environment: The environment's id: where it is done.
        gate: The id of the gate before which it must be done.
        criteria: Pass criteria.
        checklist: Checklist items for the people doing it.
        independent: Someone other than the author must do it.
    """

    kind: str
    obligation: Obligation = "required"
    depth: str | None = None
    environment: str | None = None
    gate: str | None = None
    criteria: tuple[str, ...] = ()
    checklist: tuple[str, ...] = ()
    independent: bool = False


@attrs.frozen
class Standard:
    """A level of the scale and the requirements that come with it."""

    id: str = attrs.field(validator=ident)
    name: str = ""
    intent: str = ""
    requires: tuple[Requirement, ...] = ()

    def requirement(self, kind: str) -> Requirement | None:
        """The requirement for ``kind``, or ``None``."""
        return next((r for r in self.requires if r.kind == kind), None)


@attrs.frozen
class SizeBand:
    """A size band; a delivery is in the first band whose every limit it stays within.

    A missing limit is no limit, so the last band usually has none.
    """

    id: str = attrs.field(validator=ident)
    max_lines: int | None = attrs.field(default=None, validator=nonneg)
    max_files: int | None = attrs.field(default=None, validator=nonneg)
    max_components: int | None = attrs.field(default=None, validator=nonneg)
    description: str = ""


@attrs.frozen
class SizeRules:
    """Size bands (smallest first) and the band assumed when a delivery has no figures."""

    bands: tuple[SizeBand, ...]
    unknown: str


@attrs.frozen
class ComponentRule:
    """Maps changed paths to a component with a criticality (a risk class).

    ``paths`` are globs (``src/rating/**``, ``tariffs/*.csv``); ``content`` says
    what such files are, so docs-only and config-only changes are recognised;
    ``flags`` are risk flags every change of the component carries. A path
    belongs to the first component that matches it, trying higher ``priority``
    first and, at equal priority, in the order the scale lists them (so an
    overlay's new component can win over a shipped one with a broader glob).
    """

    id: str = attrs.field(validator=ident)
    criticality: str
    paths: tuple[str, ...] = ()
    content: Content = "code"
    flags: tuple[str, ...] = ()
    priority: int = 0
    description: str = ""


@attrs.frozen
class RiskRules:
    """Risk classes (lowest first) and what puts a delivery in each."""

    classes: tuple[str, ...]
    flags: Mapping[str, str] = attrs.field(factory=dict)
    types: Mapping[str, str] = attrs.field(factory=dict)
    unknown_type: str | None = None
    unmapped_paths: str | None = None


@attrs.frozen
class Condition:
    """When a modifier applies: every part given must hold (an empty one always holds).

    ``type``, ``flags``, ``components`` and ``content`` hold when the delivery
    has any of the listed values; ``min_size``/``max_size`` and
    ``min_risk``/``max_risk`` compare with the scale's order of bands and classes.
    """

    type: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    content: tuple[Content, ...] = ()
    min_size: str | None = None
    max_size: str | None = None
    min_risk: str | None = None
    max_risk: str | None = None

    def describe(self) -> str:
        """A short human description, for the rationale."""
        parts = []
        for name in ("type", "flags", "components", "content"):
            values: tuple[str, ...] = getattr(self, name)
            if values:
                parts.append(f"{name} in [{', '.join(values)}]")
        for name in ("min_size", "max_size", "min_risk", "max_risk"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name} {value}")
        return " and ".join(parts) or "always"


@attrs.frozen
class Modifier:
    """A rule that adjusts the standard or single requirements after the matrix.

    Actions, applied in this order across all modifiers: ``raise_by`` (levels
    up; history rules raise next), ``ceiling`` (at most that standard; only for
    conditions that cannot grow with risk), ``floor`` (at least that standard:
    a floor always wins), and ``requires`` (requirements made at least as strong
    as given, whatever the standard).
    """

    id: str = attrs.field(validator=ident)
    when: Condition = Condition()
    floor: str | None = None
    ceiling: str | None = None
    raise_by: int = attrs.field(default=0, validator=nonneg)
    requires: tuple[Requirement, ...] = ()
    message: str = ""


@attrs.frozen
class HistoryRule:
    """Raises the standard when the project's recent deliveries went badly.

    Fires when the ``measure`` summed over the last ``window`` past deliveries
    (of the same project, when the delivery names one) is at least ``at_least``.
    """

    id: str = attrs.field(validator=ident)
    measure: Literal["escaped_defects", "incidents"]
    window: int = attrs.field(validator=positive)
    at_least: int = attrs.field(validator=positive)
    raise_by: int = attrs.field(default=1, validator=positive)
    message: str = ""


@attrs.frozen
class Rules:
    """The classification rules of a scale."""

    size: SizeRules
    risk: RiskRules
    matrix: Mapping[str, Mapping[str, str]]
    components: tuple[ComponentRule, ...] = ()
    modifiers: tuple[Modifier, ...] = ()
    history: tuple[HistoryRule, ...] = ()


@attrs.frozen
class Scale:
    """A scale of quality standards.

    ``standards`` are ordered lowest first; a standard's *rank* is its 1-based
    position. ``monotone: false`` turns off the check that a higher standard keeps
    every required activity of a lower one and that the matrix never goes down.
    """

    name: str
    version: str
    standards: tuple[Standard, ...]
    kinds: tuple[Kind, ...]
    environments: tuple[Environment, ...]
    rules: Rules
    description: str = ""
    gates: tuple[Gate, ...] = ()
    monotone: bool = True

    def standard(self, id: str) -> Standard:
        """The standard with this id; :class:`KeyError` if there is none."""
        return self.standards[self._standard_index[id]]

    def rank(self, id: str) -> int:
        """The 1-based rank of the standard ``id`` (1 = the lowest)."""
        return self._standard_index[id] + 1

    def kind(self, id: str) -> Kind:
        """The test kind with this id; :class:`KeyError` if there is none."""
        return self.kinds[self._kind_index[id]]

    @functools.cached_property
    def _standard_index(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.standards)}

    @functools.cached_property
    def _kind_index(self) -> dict[str, int]:
        return {k.id: i for i, k in enumerate(self.kinds)}

    @functools.cached_property
    def sha256(self) -> str:
        """The SHA-256 of the scale's canonical JSON: plans name the exact scale used."""
        import hashlib
        import json

        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def __attrs_post_init__(self) -> None:
        # A scale is checked when it is built, from a file or in Python: classify
        # and plan can then rely on every reference resolving.
        problems = check_scale(self)
        if problems:
            raise ScaleError(problems)

    def to_dict(self) -> dict[str, Any]:
        """The scale as plain data; :meth:`from_dict` and :func:`qualscale.load_scale` read it."""
        from qualscale._structure import unstructure

        return unstructure(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | None = None) -> Scale:
        """Build and check a scale from plain data (no ``extends`` or gate files).

        Raises:
            ScaleError: naming the key path (and, for data read from a file, the
                file and line) of every problem.
        """
        from qualscale._structure import structure_located

        return structure_located(data, cls, ScaleError, file=file)


# ----------------------------------------------------------------- checks


def check_scale(scale: Scale) -> list[Problem]:
    """Every problem of a structurally valid scale, each with its key path.

    A :class:`Scale` runs this when it is built and refuses to exist with a
    problem, so callers only need it to check parts they assemble themselves.

    Checks that references resolve (kinds, depths, environments, gates,
    standards, bands, classes, components), that every standard requires a
    test, that ids are unique, and, unless ``scale.monotone`` is false, that
    the scale is monotone.
    """
    problems: list[tuple[KeyPath, str]] = []
    add = problems.append
    rules = scale.rules
    kinds = {k.id: k for k in scale.kinds}
    envs = [e.id for e in scale.environments]
    gates = [g.id for g in scale.gates]
    std_ids = [s.id for s in scale.standards]
    bands = [b.id for b in rules.size.bands]
    classes = list(rules.risk.classes)
    components = [c.id for c in rules.components]

    def unique(ids: list[str], path: KeyPath, what: str) -> None:
        seen: set[str] = set()
        for i, id_ in enumerate(ids):
            if id_ in seen:
                add(((*path, i, "id"), f"duplicate {what} id {id_!r}"))
            seen.add(id_)

    def known(value: str | None, choices: list[str], path: KeyPath, what: str) -> None:
        if value is not None and value not in choices:
            add((path, _unknown(what, value, choices)))

    unique([k.id for k in scale.kinds], ("kinds",), "kind")
    unique(envs, ("environments",), "environment")
    unique(gates, ("gates",), "gate")
    unique(std_ids, ("standards",), "standard")
    unique(bands, ("rules", "size", "bands"), "size band")
    unique(components, ("rules", "components"), "component")
    if not scale.standards:
        add((("standards",), "expected at least one standard, found none"))
    if not bands:
        add((("rules", "size", "bands"), "expected at least one size band"))
    if not classes:
        add((("rules", "risk", "classes"), "expected at least one risk class"))
    if len(set(classes)) != len(classes):
        add((("rules", "risk", "classes"), "risk classes must be unique"))

    def check_requirement(req: Requirement, path: KeyPath) -> None:
        kind = kinds.get(req.kind)
        if kind is None:
            add(((*path, "kind"), _unknown("kind", req.kind, list(kinds))))
        elif req.depth is not None and kind.depths and req.depth not in kind.depths:
            add(
                (
                    (*path, "depth"),
                    _unknown(f"depth of kind {kind.id!r}", req.depth, list(kind.depths)),
                )
            )
        known(req.environment, envs, (*path, "environment"), "environment")
        known(req.gate, gates, (*path, "gate"), "gate")

    for si, std in enumerate(scale.standards):
        seen_kinds: set[str] = set()
        for ri, req in enumerate(std.requires):
            path: KeyPath = ("standards", si, "requires", ri)
            check_requirement(req, path)
            if req.kind in seen_kinds:
                add(((*path, "kind"), f"standard {std.id!r} lists kind {req.kind!r} twice"))
            seen_kinds.add(req.kind)
        if not any(r.obligation == "required" for r in std.requires):
            add(
                (
                    ("standards", si, "requires"),
                    f"standard {std.id!r} requires no test; every delivery must be tested",
                )
            )

    base: KeyPath = ("rules",)
    known(rules.size.unknown, bands, (*base, "size", "unknown"), "size band")
    for name, mapping in (("flags", rules.risk.flags), ("types", rules.risk.types)):
        for key, cls in mapping.items():
            known(cls, classes, (*base, "risk", name, key), "risk class")
    for key in rules.risk.types:
        known(key, list(DELIVERY_TYPES), (*base, "risk", "types", key), "delivery type")
    known(rules.risk.unknown_type, classes, (*base, "risk", "unknown_type"), "risk class")
    known(rules.risk.unmapped_paths, classes, (*base, "risk", "unmapped_paths"), "risk class")
    for ci, comp in enumerate(rules.components):
        known(comp.criticality, classes, (*base, "components", ci, "criticality"), "risk class")
        for fi, flag in enumerate(comp.flags):
            known(flag, list(rules.risk.flags), (*base, "components", ci, "flags", fi), "flag")

    for band in bands:
        if band not in rules.matrix:
            add(((*base, "matrix"), f"size band {band!r} has no row"))
    for row, cells in rules.matrix.items():
        known(row, bands, (*base, "matrix", row), "size band")
        for cls in classes:
            if cls not in cells:
                add(((*base, "matrix", row), f"risk class {cls!r} has no cell"))
        for cls, std_id in cells.items():
            known(cls, classes, (*base, "matrix", row, cls), "risk class")
            known(std_id, std_ids, (*base, "matrix", row, cls), "standard")

    for mi, mod in enumerate(rules.modifiers):
        path = (*base, "modifiers", mi)
        cond = mod.when
        for fi, flag in enumerate(cond.flags):
            known(flag, list(rules.risk.flags), (*path, "when", "flags", fi), "flag")
        for ci, comp_id in enumerate(cond.components):
            known(comp_id, components, (*path, "when", "components", ci), "component")
        known(cond.min_size, bands, (*path, "when", "min_size"), "size band")
        known(cond.max_size, bands, (*path, "when", "max_size"), "size band")
        known(cond.min_risk, classes, (*path, "when", "min_risk"), "risk class")
        known(cond.max_risk, classes, (*path, "when", "max_risk"), "risk class")
        known(mod.floor, std_ids, (*path, "floor"), "standard")
        known(mod.ceiling, std_ids, (*path, "ceiling"), "standard")
        for ti, type_ in enumerate(cond.type):
            known(type_, list(DELIVERY_TYPES), (*path, "when", "type", ti), "delivery type")
        if mod.floor is None and mod.ceiling is None and not mod.raise_by and not mod.requires:
            add((path, "expected at least one of floor, ceiling, raise_by, requires"))
        for ri, req in enumerate(mod.requires):
            check_requirement(req, (*path, "requires", ri))

    if scale.monotone and not problems:
        problems.extend(_monotone_problems(scale))
    return [Problem(message, path=path) for path, message in problems]


def _monotone_problems(scale: Scale) -> list[tuple[KeyPath, str]]:
    problems: list[tuple[KeyPath, str]] = []
    kinds = {k.id: k for k in scale.kinds}
    for lower_i, (lower, higher) in enumerate(
        zip(scale.standards, scale.standards[1:], strict=False)
    ):
        for req in lower.requires:
            if req.obligation != "required":
                continue
            other = higher.requirement(req.kind)
            path: KeyPath = ("standards", lower_i + 1, "requires")
            if other is None or other.obligation != "required":
                problems.append(
                    (
                        path,
                        f"not monotone: {lower.id} requires {req.kind!r} "
                        f"but the higher {higher.id} does not",
                    )
                )
                continue
            depths = kinds[req.kind].depths
            if req.depth in depths and other.depth in depths:
                if depths.index(other.depth or "") < depths.index(req.depth or ""):
                    problems.append(
                        (
                            (*path, higher.requires.index(other), "depth"),
                            f"not monotone: {lower.id} requires {req.kind!r} at "
                            f"{req.depth!r} but the higher {higher.id} only at {other.depth!r}",
                        )
                    )
    rules = scale.rules
    for mi, mod in enumerate(rules.modifiers):
        problem = _direction_problem(mod)
        if problem:
            problems.append((("rules", "modifiers", mi, "when"), problem))
    matrix = rules.matrix
    bands = [b.id for b in rules.size.bands]
    classes = list(rules.risk.classes)
    for bi, band in enumerate(bands):
        for ci, cls in enumerate(classes):
            here = scale.rank(matrix[band][cls])
            for nb, nc in ((bi + 1, ci), (bi, ci + 1)):
                if nb < len(bands) and nc < len(classes):
                    there_id = matrix[bands[nb]][classes[nc]]
                    if scale.rank(there_id) < here:
                        problems.append(
                            (
                                ("rules", "matrix", bands[nb], classes[nc]),
                                f"not monotone: {bands[nb]}/{classes[nc]} gives {there_id}, "
                                f"lower than {matrix[band][cls]} for {band}/{cls}",
                            )
                        )
    return problems


def _direction_problem(mod: Modifier) -> str | None:
    """Why ``mod`` could make more size, risk or riskier files give a lower standard."""
    cond = mod.when
    content = [CONTENT_ORDER.index(c) for c in cond.content]
    if mod.ceiling is not None:
        # A ceiling must stop applying as things grow, never start.
        grows = [n for n in ("flags", "components", "min_size", "min_risk") if getattr(cond, n)]
        if content and sorted(content) != list(range(max(content) + 1)):
            grows.append("content (list every kind of file up to the riskiest you cap)")
        if grows:
            return (
                f"not monotone: a ceiling may not depend on {', '.join(grows)}; it may depend "
                "on type, max_size, max_risk and content from docs upwards"
            )
    if mod.floor is not None or mod.raise_by:
        # A floor or raise must keep applying as things grow.
        shrinks = [n for n in ("max_size", "max_risk") if getattr(cond, n)]
        top = len(CONTENT_ORDER) - 1
        if content and sorted(content) != list(range(min(content), top + 1)):
            shrinks.append("content (list every kind of file from the least risky you raise)")
        if shrinks:
            return f"not monotone: a floor or raise may not depend on {', '.join(shrinks)}"
    return None


def _unknown(what: str, value: str, choices: list[str]) -> str:
    listed = ", ".join(choices) or "(none)"
    return f"unknown {what} {value!r}; expected one of: {listed}{did_you_mean(value, choices)}"


def __dir__() -> list[str]:
    return list(__all__)
