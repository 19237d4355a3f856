"""The scale of quality standards: kinds, environments, gates, standards, requirements, rules.

A :class:`Scale` is plain, immutable data. Load one with
:func:`qualscale.load_scale`; build one in Python and check it with
:func:`check_scale`. Its requirements are a table (one row per kind, one
:class:`~qualscale.requirements.Cell` per standard); :meth:`Scale.requires`
gives a standard's requirements resolved.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import attrs

from qualscale._commit_rules import check_commit_rules
from qualscale._text import did_you_mean
from qualscale._validators import ident
from qualscale.delivery import DELIVERY_TYPES
from qualscale.errors import KeyPath, Problem, ScaleError
from qualscale.gates import Gate
from qualscale.requirements import Cell, Kind, ModifierRequirement, Requirement, resolve
from qualscale.rules import MetricBound, Modifier, Rules

__all__ = [
    "Environment",
    "Scale",
    "Standard",
    "check_scale",
]


@attrs.frozen
class Environment:
    """Where a test runs (``ci``, ``staging``, ...); scales list them in promotion order."""

    id: str = attrs.field(validator=ident)
    name: str = ""
    description: str = ""


@attrs.frozen
class Standard:
    """A level of the scale: a column of the requirements table."""

    id: str = attrs.field(validator=ident)
    name: str = ""
    intent: str = ""


@attrs.frozen
class Scale:
    """A scale of quality standards.

    ``standards`` are ordered lowest first; a standard's *rank* is its 1-based
    position. ``requirements`` is the table of what each standard asks of each
    kind: ``requirements[kind][standard]`` is a cell, a missing cell means the
    standard does not ask for the kind. ``monotone: false`` turns off the check
    that a higher standard keeps every required activity of a lower one and that
    the matrix never goes down.
    """

    name: str
    version: str
    kinds: tuple[Kind, ...]
    environments: tuple[Environment, ...]
    standards: tuple[Standard, ...]
    requirements: Mapping[str, Mapping[str, Cell]]
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

    def requires(self, standard_id: str) -> tuple[Requirement, ...]:
        """The requirements of the standard ``standard_id``, resolved, in the order of the kinds.

        Each cell of the standard's column becomes a :class:`Requirement` whose
        environment and gate come from the cell, else its depth, else its kind, and
        whose criteria and checklist come from the cell, else its depth. Raises
        :class:`KeyError` for an unknown standard.
        """
        return self._requires[standard_id]

    def requirement(self, standard_id: str, kind: str) -> Requirement | None:
        """The resolved requirement of ``standard_id`` for ``kind``, or ``None``."""
        return next((r for r in self.requires(standard_id) if r.kind == kind), None)

    def resolve(self, kind: str, cell: Cell) -> Requirement:
        """``cell`` asked of ``kind`` (a table cell or a modifier's requirement), resolved."""
        known = self.kinds[self._kind_index[kind]] if kind in self._kind_index else None
        return resolve(kind, cell, known)

    @functools.cached_property
    def _requires(self) -> dict[str, tuple[Requirement, ...]]:
        table = self.requirements
        return {
            std.id: tuple(
                self.resolve(kind.id, table[kind.id][std.id])
                for kind in self.kinds
                if std.id in table.get(kind.id, {})
            )
            for std in self.standards
        }

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

        data = self.to_dict()
        if not data["rules"]["scores"]:
            # Scores came later: a scale without any keeps the fingerprint it had before.
            del data["rules"]["scores"]
        for kind in data["kinds"]:  # so did costs
            if kind["cost"] is None:
                del kind["cost"]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def __attrs_post_init__(self) -> None:
        # A scale is checked when it is built, from a file or in Python: classify
        # and plan can then rely on every reference resolving.
        problems = check_scale(self)
        if problems:
            raise ScaleError(problems)

    def to_dict(self) -> dict[str, Any]:
        """The scale as plain data; :meth:`from_dict` and :func:`qualscale.load_scale` read it."""
        from qualscale._convert import unstructure

        return unstructure(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | None = None) -> Scale:
        """Build and check a scale from plain data (no ``extends`` or gate files).

        Raises:
            ScaleError: naming the key path (and, for data read from a file, the
                file and line) of every problem.
        """
        from qualscale._convert import structure_located

        return structure_located(data, cls, ScaleError, file=file)


# ------------------------------------------------------------------ checks


@attrs.define
class _Problems:
    """The problems found so far, and the ids a reference may name."""

    scale: Scale
    found: list[tuple[KeyPath, str]] = attrs.field(factory=list)

    def add(self, path: KeyPath, message: str) -> None:
        self.found.append((path, message))

    def known(self, value: str | None, choices: list[str], path: KeyPath, what: str) -> None:
        if value is not None and value not in choices:
            self.add(path, _unknown(what, value, choices))

    def unique(self, ids: list[str], path: KeyPath, what: str) -> None:
        seen: set[str] = set()
        for i, id_ in enumerate(ids):
            if id_ in seen:
                self.add((*path, i, "id"), f"duplicate {what} id {id_!r}")
            seen.add(id_)

    def where(self, environment: str | None, gate: str | None, path: KeyPath) -> None:
        """Check an environment and a gate named at ``path`` (a kind, depth or cell)."""
        envs = [e.id for e in self.scale.environments]
        self.known(environment, envs, (*path, "environment"), "environment")
        self.known(gate, [g.id for g in self.scale.gates], (*path, "gate"), "gate")


def check_scale(scale: Scale) -> list[Problem]:
    """Every problem of a structurally valid scale, each with its key path.

    A :class:`~qualscale.scale.Scale` runs this when it is built and refuses to
    exist with a problem, so callers only need it to check parts they assemble
    themselves.

    Checks that references resolve (kinds, depths, environments, gates,
    standards, bands, classes, components), that every standard requires a
    test, that ids are unique, and, unless ``scale.monotone`` is false, that
    the scale is monotone.
    """
    problems = _Problems(scale)
    _check_ids(problems)
    _check_kinds(problems)
    _check_table(problems)
    _check_rules(problems)
    for mi, mod in enumerate(scale.rules.modifiers):
        _check_modifier(problems, mod, ("rules", "modifiers", mi))
    if scale.monotone and not problems.found:
        from qualscale._monotone import monotone_problems

        problems.found.extend(monotone_problems(scale))
    return [Problem(message, path=path) for path, message in problems.found]


def _check_ids(problems: _Problems) -> None:
    scale = problems.scale
    rules = scale.rules
    problems.unique([k.id for k in scale.kinds], ("kinds",), "kind")
    problems.unique([e.id for e in scale.environments], ("environments",), "environment")
    problems.unique([g.id for g in scale.gates], ("gates",), "gate")
    problems.unique([s.id for s in scale.standards], ("standards",), "standard")
    bands = [b.id for b in rules.size.bands]
    problems.unique(bands, ("rules", "size", "bands"), "size band")
    problems.unique([c.id for c in rules.components], ("rules", "components"), "component")
    if not scale.standards:
        problems.add(("standards",), "expected at least one standard, found none")
    if not bands:
        problems.add(("rules", "size", "bands"), "expected at least one size band")
    classes = rules.risk.classes
    if not classes:
        problems.add(("rules", "risk", "classes"), "expected at least one risk class")
    if len(set(classes)) != len(classes):
        problems.add(("rules", "risk", "classes"), "risk classes must be unique")


def _check_kinds(problems: _Problems) -> None:
    for ki, kind in enumerate(problems.scale.kinds):
        path: KeyPath = ("kinds", ki)
        problems.where(kind.environment, kind.gate, path)
        problems.unique(list(kind.depth_ids), (*path, "depths"), f"depth of kind {kind.id!r}")
        for di, depth in enumerate(kind.depths):
            problems.where(depth.environment, depth.gate, (*path, "depths", di))


def _check_table(problems: _Problems) -> None:
    scale = problems.scale
    kinds = {k.id: k for k in scale.kinds}
    std_ids = [s.id for s in scale.standards]
    for kind_id, row in scale.requirements.items():
        kind = kinds.get(kind_id)
        if kind is None:
            problems.add(("requirements", kind_id), _unknown("kind", kind_id, list(kinds)))
        for std_id, cell in row.items():
            path: KeyPath = ("requirements", kind_id, std_id)
            if std_id not in std_ids:
                problems.add(path, _unknown("standard", std_id, std_ids))
            elif kind is not None:
                _check_cell(problems, kind, cell, path)
    for si, std in enumerate(scale.standards):
        if not any(r.obligation == "required" for r in scale.requires(std.id)):
            problems.add(
                ("standards", si),
                f"standard {std.id!r} requires no test (no 'required' cell in its column"
                " of the requirements); every delivery must be tested",
            )


def _check_cell(problems: _Problems, kind: Kind, cell: Cell, path: KeyPath) -> None:
    """Check a cell of the table, or a modifier's requirement, of a known kind."""
    if cell.depth is not None and kind.depths and cell.depth not in kind.depth_ids:
        # A cell written short has no ``depth`` key to point at.
        at = path if cell.to_shorthand() is not None else (*path, "depth")
        what = f"depth of kind {kind.id!r}"
        problems.add(at, _unknown(what, cell.depth, list(kind.depth_ids)))
    problems.where(cell.environment, cell.gate, path)


def _check_rules(problems: _Problems) -> None:
    rules = problems.scale.rules
    known = problems.known
    bands = [b.id for b in rules.size.bands]
    classes = list(rules.risk.classes)
    std_ids = [s.id for s in problems.scale.standards]
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
    _check_commits(problems)
    _check_scores(problems)
    for band in bands:
        if band not in rules.matrix:
            problems.add((*base, "matrix"), f"size band {band!r} has no row")
    for row, cells in rules.matrix.items():
        known(row, bands, (*base, "matrix", row), "size band")
        for cls in classes:
            if cls not in cells:
                problems.add((*base, "matrix", row), f"risk class {cls!r} has no cell")
        for cls, std_id in cells.items():
            known(cls, classes, (*base, "matrix", row, cls), "risk class")
            known(std_id, std_ids, (*base, "matrix", row, cls), "standard")


def _check_scores(problems: _Problems) -> None:
    """Scores have metric names, weigh at least one metric, and weigh no other score."""
    from qualscale._validators import METRIC_PATTERN

    scores = problems.scale.rules.scores
    for name, score in scores.items():
        path = ("rules", "scores", name)
        if not re.match(METRIC_PATTERN, name):
            problems.add(
                path, f"expected a metric name of lowercase letters, digits and _, found {name!r}"
            )
        if not score.weights:
            problems.add((*path, "weights"), "expected at least one weighted metric")
        for metric in score.weights:
            if metric in scores:
                problems.add(
                    (*path, "weights", metric),
                    "expected a metric of the delivery, found a score: scores weigh given metrics",
                )


def _check_commits(problems: _Problems) -> None:
    commits, base = problems.scale.rules.commits, ("rules", "commits")
    types: list[str] = list(DELIVERY_TYPES)
    for token, type_ in commits.types.items():
        problems.known(type_, types, (*base, "types", token), "delivery type")
    for pi, pattern in enumerate(commits.patterns):
        problems.known(pattern.type, types, (*base, "patterns", pi, "type"), "delivery type")
    for path, message in check_commit_rules(commits, list(problems.scale.rules.risk.flags)):
        problems.add((*base, "patterns", *path), message)


def _check_modifier(problems: _Problems, mod: Modifier, path: KeyPath) -> None:
    rules = problems.scale.rules
    known = problems.known
    bands = [b.id for b in rules.size.bands]
    classes = list(rules.risk.classes)
    std_ids = [s.id for s in problems.scale.standards]
    cond = mod.when
    for fi, flag in enumerate(cond.flags):
        known(flag, list(rules.risk.flags), (*path, "when", "flags", fi), "flag")
    components = [c.id for c in rules.components]
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
        problems.add(path, "expected at least one of floor, ceiling, raise_by, requires")
    for ri, req in enumerate(mod.requires):
        _check_modifier_requirement(problems, req, (*path, "requires", ri))
    for name, bound in cond.metrics.items():
        _check_metric(problems, name, bound, (*path, "when", "metrics", name))


def _check_metric(problems: _Problems, name: str, bound: MetricBound, path: KeyPath) -> None:
    """A metric bound names a metric as deliveries do and bounds it by finite numbers."""
    import math

    from qualscale._validators import METRIC_PATTERN

    if not re.match(METRIC_PATTERN, name):
        problems.add(
            path, f"expected a metric name of lowercase letters, digits and _, found {name!r}"
        )
    given = [b for b in (bound.at_least, bound.at_most) if b is not None]
    if not given:
        problems.add(path, "expected at least one of at_least, at_most")
    for key in ("at_least", "at_most"):
        value = getattr(bound, key)
        if value is not None and not math.isfinite(value):
            problems.add((*path, key), f"expected a finite number, found {value!r}")
    if len(given) == 2 and given[0] > given[1]:
        problems.add(path, f"at_least {given[0]:g} is above at_most {given[1]:g}: never holds")


def _check_modifier_requirement(
    problems: _Problems, req: ModifierRequirement, path: KeyPath
) -> None:
    kinds = {k.id: k for k in problems.scale.kinds}
    kind = kinds.get(req.kind)
    if kind is None:
        problems.add((*path, "kind"), _unknown("kind", req.kind, list(kinds)))
    else:
        _check_cell(problems, kind, req, path)


def _unknown(what: str, value: str, choices: list[str]) -> str:
    listed = ", ".join(choices) or "(none)"
    return f"unknown {what} {value!r}; expected one of: {listed}{did_you_mean(value, choices)}"


def __dir__() -> list[str]:
    return list(__all__)
