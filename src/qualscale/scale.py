"""The scale of quality standards: kinds, environments, gates, standards, requirements, rules.

A :class:`Scale` is plain, immutable data. Load one with
:func:`qualscale.load_scale`; build one in Python and check it with
:func:`check_scale`. Its requirements are a table (one row per kind, one
:class:`~qualscale.requirements.Cell` per standard); :meth:`Scale.requires`
gives a standard's requirements resolved.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import attrs

from qualscale._checks import check_scale
from qualscale._validators import ident
from qualscale.errors import Problem, ScaleError
from qualscale.requirements import Cell, Kind, Requirement, resolve
from qualscale.rules import Rules

__all__ = [
    "Environment",
    "Gate",
    "GatePolicy",
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


def __dir__() -> list[str]:
    return list(__all__)
