"""What a scale can require: test kinds and their depths, the cells of the table, requirements.

A scale writes its requirements as a table, one row per test kind and one cell
per standard. A :class:`Cell` says only what differs: the obligation, the depth
and anything the depth or the kind does not already say. :func:`resolve` turns
a cell into the :class:`Requirement` plans are made of: environment and gate
come from the cell, else the depth, else the kind; criteria and checklist from
the cell when it gives them, else the depth.
"""

from __future__ import annotations

import functools
from typing import Literal

import attrs

from qualscale._text import did_you_mean
from qualscale._validators import ID_CHARS, hours, ident

__all__ = [
    "CELL_PATTERN",
    "OBLIGATIONS",
    "Cell",
    "Depth",
    "Kind",
    "ModifierRequirement",
    "Obligation",
    "Requirement",
    "parse_cell",
    "resolve",
]

Obligation = Literal["required", "recommended", "optional", "discouraged"]
#: Obligations from the weakest to the strongest.
OBLIGATIONS: tuple[Obligation, ...] = ("discouraged", "optional", "recommended", "required")

#: A cell written short, ``"OBLIGATION [DEPTH]"``, as a regex (for the JSON Schema).
CELL_PATTERN = rf"^\s*(?:{'|'.join(OBLIGATIONS)})(?:\s+{ID_CHARS})?\s*$(?!\n)"


@attrs.frozen
class Depth:
    """A depth a kind of test can be done at, with what every use of it shares.

    Written as its bare id (``smoke``) when it has nothing else to say.

    Attributes:
        id: The depth's id.
        environment: Where a test at this depth runs, unless a cell says otherwise.
        gate: The gate before which it must be done, unless a cell says otherwise.
        criteria: Pass criteria, for cells that give none.
        checklist: Checklist items, for cells that give none.
        description: What the depth means.
        manual: Done by people, not test runners: a test run never proves it, only a
            sign-off does.
    """

    id: str = attrs.field(validator=ident)
    environment: str | None = None
    gate: str | None = None
    criteria: tuple[str, ...] | None = None
    checklist: tuple[str, ...] | None = None
    description: str = ""
    manual: bool = False

    @classmethod
    def from_shorthand(cls, text: str) -> Depth:
        """The depth written as its bare id."""
        return cls(text)

    def to_shorthand(self) -> str | None:
        """The bare id, when the depth has nothing else to say."""
        return self.id if self == Depth(self.id) else None


@attrs.frozen
class Kind:
    """A kind of test the scale knows, such as ``regression``: a row of the requirements table.

    Attributes:
        id: The kind's id.
        name: Its name for people.
        description: What the kind of test is.
        environment: Where its tests run, unless a depth or a cell says otherwise.
        gate: The gate before which they must be done, unless a depth or a cell says otherwise.
        depths: The depths it can be done at, shallowest first (``smoke``, ``targeted``,
            ``full``); each a bare id or a mapping.
        manual: Every depth of it is done by people: a test run never proves it, only
            a sign-off does.
        cost: Hours of effort the kind takes for a delivery that requires it, at any
            depth (a number, 0 or more); ``qualscale replay`` adds them up into an
            effort estimate. Without it (``None``), the kind's effort is unknown and
            not counted.
    """

    id: str = attrs.field(validator=ident)
    name: str = ""
    description: str = ""
    environment: str | None = None
    gate: str | None = None
    depths: tuple[Depth, ...] = ()
    manual: bool = False
    cost: float | None = attrs.field(default=None, validator=hours)

    @functools.cached_property
    def depth_ids(self) -> tuple[str, ...]:
        """The ids of the depths, shallowest first."""
        return tuple(d.id for d in self.depths)

    def depth(self, id: str) -> Depth | None:
        """The depth with this id, or ``None``."""
        return next((d for d in self.depths if d.id == id), None)

    def is_manual(self, depth: str | None) -> bool:
        """Whether the kind at ``depth`` is manual: only a sign-off proves it."""
        if self.manual:
            return True
        found = self.depth(depth) if depth is not None else None
        return found is not None and found.manual


def parse_cell(text: str) -> tuple[Obligation, str | None]:
    """Read the shorthand ``"OBLIGATION [DEPTH]"`` (``"required targeted"``).

    Raises:
        ValueError: the text is not an obligation, optionally followed by a depth.
    """
    words = text.split()
    if not 1 <= len(words) <= 2:
        raise ValueError(f"expected 'OBLIGATION [DEPTH]', such as 'required smoke'; found {text!r}")
    obligation = next((o for o in OBLIGATIONS if o == words[0]), None)
    if obligation is None:
        order = list(reversed(OBLIGATIONS))
        raise ValueError(
            f"unknown obligation {words[0]!r} in {text!r}; expected one of: "
            f"{', '.join(order)}{did_you_mean(words[0], order)}"
        )
    return obligation, words[1] if len(words) == 2 else None


@attrs.frozen
class Cell:
    """What a standard asks of a kind: one cell of the requirements table.

    Written ``"OBLIGATION [DEPTH]"`` (``required targeted``) when it says no more.

    Attributes:
        obligation: ``required``, ``recommended``, ``optional`` or ``discouraged``.
        depth: The depth, one of the kind's depths.
        environment: Where it is done, when not where the depth or kind says.
        gate: The gate before which it must be done, when not the depth's or kind's.
        criteria: Pass criteria, instead of the depth's.
        checklist: Checklist items, instead of the depth's.
        independent: Someone other than the author must do it.
    """

    obligation: Obligation = "required"
    depth: str | None = None
    environment: str | None = None
    gate: str | None = None
    criteria: tuple[str, ...] | None = None
    checklist: tuple[str, ...] | None = None
    independent: bool = False

    @classmethod
    def from_shorthand(cls, text: str) -> Cell:
        """The cell written ``"OBLIGATION [DEPTH]"``.

        Raises:
            ValueError: naming what is wrong, with a did-you-mean.
        """
        obligation, depth = parse_cell(text)
        return cls(obligation, depth)

    def to_shorthand(self) -> str | None:
        """``"OBLIGATION [DEPTH]"``, when the cell says nothing else."""
        if self != Cell(self.obligation, self.depth):
            return None
        return f"{self.obligation} {self.depth}" if self.depth else self.obligation


@attrs.frozen(kw_only=True)
class ModifierRequirement(Cell):
    """A test a modifier makes at least as strong as given: a cell with its kind.

    Attributes:
        kind: The test kind's id.
    """

    kind: str

    @classmethod
    def from_shorthand(cls, text: str) -> ModifierRequirement:
        """Not written short: a modifier's requirement is a mapping with a ``kind``."""
        raise ValueError(f"expected a mapping with a 'kind', found string {text!r}")

    def to_shorthand(self) -> str | None:
        """Never short: it needs its kind."""
        return None


@attrs.frozen
class Requirement:
    """One test activity a standard (or a modifier) asks for, resolved.

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


def resolve(kind_id: str, cell: Cell, kind: Kind | None) -> Requirement:
    """The requirement ``cell`` asks of the kind ``kind_id``, with the defaults filled in.

    Environment and gate: the cell's, else the depth's, else the kind's, else ``None``.
    Criteria and checklist: the cell's when it gives them, else the depth's, else none.
    ``kind`` is ``None`` when the scale does not know ``kind_id``; unknown depths add
    nothing (the scale's checks report both).
    """
    depth = kind.depth(cell.depth) if kind is not None and cell.depth is not None else None
    layers = [x for x in (depth, kind) if x is not None]
    environment = cell.environment or next((x.environment for x in layers if x.environment), None)
    gate = cell.gate or next((x.gate for x in layers if x.gate), None)
    criteria = cell.criteria if cell.criteria is not None else None
    checklist = cell.checklist if cell.checklist is not None else None
    if depth is not None:
        criteria = depth.criteria if criteria is None else criteria
        checklist = depth.checklist if checklist is None else checklist
    return Requirement(
        kind=kind_id,
        obligation=cell.obligation,
        depth=cell.depth,
        environment=environment,
        gate=gate,
        criteria=criteria or (),
        checklist=checklist or (),
        independent=cell.independent,
    )


def __dir__() -> list[str]:
    return list(__all__)
