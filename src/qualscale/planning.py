"""The test plan: the requirements that apply to a delivery, each with its reason.

Pure functions over the model; no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import attrs

from qualscale.classification import Classification, Reason, classify
from qualscale.delivery import Delivery, History
from qualscale.errors import DeliveryError
from qualscale.requirements import OBLIGATIONS, Obligation, Requirement
from qualscale.scale import Scale

__all__ = ["PlannedRequirement", "ScaleRef", "StandardRef", "TestPlan", "plan", "plan_order"]


@attrs.frozen
class ScaleRef:
    """Which scale a plan came from; ``sha256`` pins the exact resolved content."""

    name: str
    version: str
    sha256: str


@attrs.frozen
class StandardRef:
    """The standard a plan applies; ``rank`` 1 is the scale's lowest."""

    id: str
    name: str
    rank: int


@attrs.frozen
class PlannedRequirement:
    """One activity of the plan, with its environment and gate, and ``because``: why it is here.

    A plan holds one activity per kind, environment and gate; the same kind asked for
    at the same place and time is one activity, at the deepest depth asked for.
    """

    kind: str
    obligation: Obligation
    depth: str | None
    environment: str | None
    gate: str | None
    criteria: tuple[str, ...]
    checklist: tuple[str, ...]
    independent: bool
    because: str


@attrs.frozen
class TestPlan:
    """The test plan of one delivery.

    ``requirements`` are ordered for people: by gate (in the scale's gate
    order), then environment, then obligation (required first), then kind.
    :meth:`to_dict` gives the JSON document; :meth:`from_dict` reads it back.
    """

    __test__: ClassVar[bool] = False  # not a pytest test class, despite the name

    delivery: Delivery
    scale: ScaleRef
    standard: StandardRef
    size: str
    risk: str
    rationale: tuple[Reason, ...]
    requirements: tuple[PlannedRequirement, ...]
    components: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    content: str = "unknown"

    def by_obligation(self, obligation: Obligation) -> tuple[PlannedRequirement, ...]:
        """The requirements with this obligation."""
        return tuple(r for r in self.requirements if r.obligation == obligation)

    @property
    def required_kinds(self) -> tuple[str, ...]:
        """The kinds the plan requires, in plan order, each once."""
        return tuple(dict.fromkeys(r.kind for r in self.by_obligation("required")))

    def requirement(self, kind: str) -> PlannedRequirement | None:
        """The plan's first activity of ``kind`` in plan order, or ``None``.

        A kind can be asked for at several places and times (a static security scan
        in CI and targeted security tests in staging): :meth:`activities` gives all.
        """
        return next((r for r in self.requirements if r.kind == kind), None)

    def activities(self, kind: str) -> tuple[PlannedRequirement, ...]:
        """Every activity of ``kind`` in plan order (one per environment and gate)."""
        return tuple(r for r in self.requirements if r.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain data, keys in a fixed order (the ``--format json`` document)."""
        return _plan_dict(self, None)

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text: same plan, byte-identical text."""
        import json

        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TestPlan:
        """Read back a plan written by :meth:`to_dict`.

        Raises:
            DeliveryError: naming the key path of every problem.
        """
        from qualscale._convert import structure_located

        return structure_located(data, cls, DeliveryError)


_Shared = tuple[Any, Any, list[Any]]


def _plan_dict(found: TestPlan, memo: dict[Any, _Shared] | None) -> dict[str, Any]:
    """``found.to_dict()``; with ``memo``, the scale, standard and requirements parts are
    made once per distinct value and shared by the plans of one writer (read only).
    """
    from qualscale._convert import unstructure

    key = (found.scale, found.standard, found.requirements)
    shared = None if memo is None else memo.get(key)
    if shared is None:
        shared = (
            unstructure(found.scale),
            unstructure(found.standard),
            [unstructure(r) for r in found.requirements],
        )
        if memo is not None:
            memo[key] = shared
    return {
        "delivery": found.delivery.to_dict(),
        "scale": shared[0],
        "standard": shared[1],
        "size": found.size,
        "risk": found.risk,
        "components": list(found.components),
        "flags": list(found.flags),
        "content": found.content,
        "rationale": [r.to_dict() for r in found.rationale],
        "requirements": shared[2],
    }


def _stronger(a: Obligation, b: Obligation) -> Obligation:
    return a if OBLIGATIONS.index(a) >= OBLIGATIONS.index(b) else b


def _deeper(scale: Scale, kind: str, a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    depths = scale.kind(kind).depth_ids
    if a in depths and b in depths:
        return a if depths.index(a) >= depths.index(b) else b
    return a


def plan(
    delivery: Delivery,
    scale: Scale,
    history: History | None = None,
    *,
    classification: Classification | None = None,
) -> TestPlan:
    """The test plan for ``delivery``: classify it, then take the standard's requirements.

    Args:
        delivery: What changes.
        scale: The scale (:func:`qualscale.load_scale` gives the default one).
        history: The project's past deliveries (history rules can raise the standard).
        classification: A classification already made for the same inputs.

    Raises:
        DeliveryError: the delivery names a flag or component the scale does not know.
    """
    found = classification or classify(delivery, scale, history)
    std = found.standard
    items: dict[tuple[str, str | None, str | None], PlannedRequirement] = {}
    for req in scale.requires(std.id):
        items[_place(req)] = _planned(req, f"{std.id} {_verb(req.obligation)} {_what(req)}")
    for adj in found.adjustments:
        req = adj.requirement
        old = items.get(_place(req))
        if old is None:
            # Another place or time is another activity: both stay in the plan.
            items[_place(req)] = _planned(req, adj.because)
            continue
        obligation = _stronger(old.obligation, req.obligation)
        depth = _deeper(scale, req.kind, old.depth, req.depth)
        raised = (obligation, depth) != (old.obligation, old.depth)
        items[_place(req)] = attrs.evolve(
            old,
            obligation=obligation,
            depth=depth,
            criteria=_union(old.criteria, req.criteria),
            checklist=_union(old.checklist, req.checklist),
            independent=old.independent or req.independent,
            because=f"{old.because}; {'raised' if raised else 'also'}: {adj.because}",
        )
    ordered = sorted(items.values(), key=plan_order(scale))
    return TestPlan(
        delivery=delivery,
        scale=ScaleRef(scale.name, scale.version, scale.sha256),
        standard=StandardRef(std.id, std.name, found.rank),
        size=found.size,
        risk=found.risk,
        rationale=found.rationale,
        requirements=tuple(ordered),
        components=found.components,
        flags=found.flags,
        content=found.content,
    )


def plan_order(scale: Scale) -> Callable[[PlannedRequirement], tuple[int, int, int, int]]:
    """The sort key of the order plans list their requirements in, on ``scale``.

    By gate (in the scale's gate order), then environment (in promotion order), then
    obligation (required first), then kind (in the scale's kind order). A gate,
    environment or kind the scale does not know comes after the known ones, and none
    at all comes last - so a plan made on another scale still reads in order.
    """
    gates = {g.id: i for i, g in enumerate(scale.gates)}
    environments = {e.id: i for i, e in enumerate(scale.environments)}
    kinds = {k.id: i for i, k in enumerate(scale.kinds)}

    def position(value: str | None, index: Mapping[str, int]) -> int:
        if value is None:
            return len(index) + 1
        return index.get(value, len(index))

    def key(req: PlannedRequirement) -> tuple[int, int, int, int]:
        return (
            position(req.gate, gates),
            position(req.environment, environments),
            -OBLIGATIONS.index(req.obligation),
            position(req.kind, kinds),
        )

    return key


def _place(req: Requirement) -> tuple[str, str | None, str | None]:
    """What makes an activity distinct: its kind, where it is done and before which gate."""
    return (req.kind, req.environment, req.gate)


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return a + tuple(x for x in b if x not in a)


def _verb(obligation: Obligation) -> str:
    return {
        "required": "requires",
        "recommended": "recommends",
        "optional": "leaves optional",
        "discouraged": "discourages",
    }[obligation]


def _what(req: Requirement) -> str:
    return f"{req.kind} ({req.depth})" if req.depth else req.kind


def _planned(req: Requirement, because: str) -> PlannedRequirement:
    return PlannedRequirement(**attrs.asdict(req, recurse=False), because=because)


def __dir__() -> list[str]:
    return list(__all__)
