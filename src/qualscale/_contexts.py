"""The variables templates see: the plan context, the scale context and their shared part.

:mod:`qualscale.render` documents them (its module docstring) and gives them to the
shipped and the user's templates; :func:`markdown_context` is the part of the plan
context the Markdown plan reads, built without converting the whole scale.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from qualscale._convert import unstructure
from qualscale.planning import TestPlan, plan_order
from qualscale.rules import Modifier
from qualscale.scale import Scale

__all__ = ["PARTS", "markdown_context", "plan_context", "scale_context"]

_MARKS = {"required": "++", "recommended": "+", "optional": "o", "discouraged": "NR"}
_EMPTY = "\u2013"  # an en dash


def plan_context(plan: TestPlan, scale: Scale) -> dict[str, Any]:
    """The variables a plan template sees (plain data; see :mod:`qualscale.render`)."""
    plan_dict, reqs = _ordered(plan, scale)
    common = _common(scale)
    gates: list[dict[str, Any]] = common["gates"]
    envs: dict[str, dict[str, Any]] = common["environments"]
    standard = next((s for s in common["scale"]["standards"] if s["id"] == plan.standard.id), None)
    if standard is not None:
        standard = {**standard, "requires": _requires(scale, plan.standard.id)}
    return {
        "plan": plan_dict,
        **common,
        "standard": standard,
        "groups": _group(reqs, gates, envs),
        **_by_obligation(reqs, gates, envs),
    }


def _ordered(plan: TestPlan, scale: Scale) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The plan as plain data, and its requirements' data in ``scale``'s plan order."""
    plan_dict = plan.to_dict()
    # A plan made on another scale (read back from JSON) is put in this scale's order.
    key = plan_order(scale)
    order = sorted(range(len(plan.requirements)), key=lambda i: key(plan.requirements[i]))
    return plan_dict, [plan_dict["requirements"][i] for i in order]


def _by_obligation(
    reqs: Sequence[dict[str, Any]],
    gates: Sequence[dict[str, Any]],
    envs: Mapping[str, dict[str, Any]],
) -> dict[str, Any]:
    advised = [r for r in reqs if r["obligation"] in ("recommended", "optional")]
    return {
        "required": _group([r for r in reqs if r["obligation"] == "required"], gates, envs),
        "advised": _group(advised, gates, envs),
        "discouraged": [r for r in reqs if r["obligation"] == "discouraged"],
    }


def markdown_context(plan: TestPlan, scale: Scale) -> dict[str, Any]:
    """What the Markdown plan reads of :func:`plan_context`, the same values, built lean.

    ``plan``, ``scale`` (its ``standards``, by id only), ``standard`` (its ``intent``),
    ``required``, ``advised``, ``discouraged`` and ``version``.
    """
    from qualscale._version import __version__

    named = [{"id": g.id, "name": g.name} for g in scale.gates]
    gates = [{**g, "label": _gate_label(g)} for g in named]
    envs = {e.id: {"id": e.id, "name": e.name, "label": e.name or e.id} for e in scale.environments}
    plan_dict, reqs = _ordered(plan, scale)
    standard = next((s for s in scale.standards if s.id == plan.standard.id), None)
    return {
        "plan": plan_dict,
        "scale": {"standards": [{"id": s.id} for s in scale.standards]},
        "standard": None if standard is None else {"id": standard.id, "intent": standard.intent},
        **_by_obligation(reqs, gates, envs),
        "version": __version__,
    }


def scale_context(scale: Scale) -> dict[str, Any]:
    """The variables a scale template sees (plain data; see :mod:`qualscale.render`)."""
    common = _common(scale)
    data: dict[str, Any] = common["scale"]
    rules = scale.rules
    standards = [
        {**s, "rank": i, "requires": _requires(scale, s["id"])}
        for i, s in enumerate(data["standards"], start=1)
    ]
    matrix = [
        {"kind": kind, "cells": [_cell(std, kind["id"]) for std in standards]}
        for kind in common["kinds"].values()
    ]
    bands = [{**band, "limits": _limits(band)} for band in data["rules"]["size"]["bands"]]
    risk = rules.risk
    factors = [{"factor": "flag", "value": k, "class": v} for k, v in risk.flags.items()]
    factors += [{"factor": "type", "value": k, "class": v} for k, v in risk.types.items()]
    if risk.unknown_type is not None:
        factors.append({"factor": "type", "value": "(none given)", "class": risk.unknown_type})
    if risk.unmapped_paths is not None:
        factors.append(
            {"factor": "paths", "value": "(outside every component)", "class": risk.unmapped_paths}
        )
    risk_matrix = [
        {"band": b.id, "cells": [rules.matrix[b.id][c] for c in risk.classes]}
        for b in rules.size.bands
    ]
    modifiers = [
        {
            **raw,
            "requires": [unstructure(scale.resolve(r.kind, r)) for r in mod.requires],
            "condition": mod.when.describe(),
            "effect": _effect(mod),
        }
        for mod, raw in zip(rules.modifiers, data["rules"]["modifiers"], strict=True)
    ]
    history = [
        {
            **raw,
            "condition": (
                f"at least {h.at_least} {_measure(h.measure, h.at_least)} "
                f"in the last {h.window} deliveries"
            ),
            "effect": f"raise {h.raise_by} level" + ("s" if h.raise_by != 1 else ""),
        }
        for h, raw in zip(rules.history, data["rules"]["history"], strict=True)
    ]
    return {
        **common,
        "standards": standards,
        "matrix": matrix,
        "bands": bands,
        "risk_factors": factors,
        # In match order: higher priority first, then as listed (a stable sort).
        "components": sorted(data["rules"]["components"], key=lambda c: -c["priority"]),
        "risk_matrix": risk_matrix,
        "modifiers": modifiers,
        "history": history,
    }


# ----------------------------------------------------------- contexts


class _ScaleParts:
    """The scale's part of a template context, built once per scale.

    A batch renders many plans on one scale, so the last scale's part (plain, and
    wrapped with names for a user template's error messages) is kept - for that one
    scale only, and only while the scale lives. Templates only read the context
    (user templates run sandboxed and immutable), so sharing it is safe.
    """

    def __init__(self) -> None:
        self._scale: weakref.ref[Scale] | None = None
        self.common: dict[str, Any] = {}
        self.named: dict[str, Any] = {}

    def of(self, scale: Scale) -> _ScaleParts:
        """These parts, rebuilt first when ``scale`` is not the last one seen."""
        if self._scale is None or self._scale() is not scale:
            self._scale = weakref.ref(scale)
            self.common = _build_common(scale)
            self.named = {}
        return self


#: The scale's part of the last context built (see :class:`_ScaleParts`).
PARTS = _ScaleParts()


def _common(scale: Scale) -> dict[str, Any]:
    return PARTS.of(scale).common


def _build_common(scale: Scale) -> dict[str, Any]:
    from qualscale._version import __version__

    data = scale.to_dict()
    return {
        "scale": data,
        "gates": [{**g, "label": _gate_label(g)} for g in data["gates"]],
        "environments": {
            e["id"]: {**e, "label": e["name"] or e["id"]} for e in data["environments"]
        },
        # Templates list a kind's depths by id; the depths' details are in ``scale``.
        "kinds": {
            k.id: {**raw, "depths": list(k.depth_ids), "label": k.name or k.id}
            for k, raw in zip(scale.kinds, data["kinds"], strict=True)
        },
        "version": __version__,
    }


def _requires(scale: Scale, standard_id: str) -> list[dict[str, Any]]:
    return [unstructure(r) for r in scale.requires(standard_id)]


def _cell(standard: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """A cell of the scale page's table: the standard's resolved requirement for ``kind``."""
    req = next((r for r in standard["requires"] if r["kind"] == kind), None)
    if req is None:
        return {"standard": standard["id"], "requirement": None, "text": _EMPTY, "mark": _EMPTY}
    obligation = req["obligation"]
    return {
        "standard": standard["id"],
        "requirement": req,
        "text": f"{obligation} · {req['depth']}" if req["depth"] else obligation,
        "mark": _MARKS[obligation],
    }


def _gate_label(gate: Mapping[str, Any]) -> str:
    return f"{gate['id']} · {gate['name']}" if gate.get("name") else str(gate["id"])


def _group(
    reqs: Sequence[dict[str, Any]],
    gates: Sequence[dict[str, Any]],
    envs: Mapping[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    # ``reqs`` come in plan order (:func:`qualscale.planning.plan_order`), so each
    # gate's and environment's requirements are already together.
    gate_by_id = {g["id"]: g for g in gates}
    groups: list[dict[str, Any]] = []
    for req in reqs:
        if not groups or groups[-1]["id"] != req["gate"]:
            gate = gate_by_id.get(req["gate"]) if req["gate"] is not None else None
            if gate is None and req["gate"] is not None:
                gate = {"id": req["gate"], "name": "", "label": req["gate"]}
            label = gate["label"] if gate is not None else "No gate"
            groups.append({"id": req["gate"], "gate": gate, "label": label, "environments": []})
        env_groups: list[dict[str, Any]] = groups[-1]["environments"]
        eid = req["environment"]
        if not env_groups or env_groups[-1]["id"] != eid:
            env = envs.get(eid) if eid is not None else None
            if env is None and eid is not None:
                env = {"id": eid, "name": "", "label": eid}
            label = env["label"] if env is not None else "Any environment"
            env_groups.append({"id": eid, "environment": env, "label": label, "requirements": []})
        env_groups[-1]["requirements"].append(req)
    for group in groups:
        del group["id"]
        for env_group in group["environments"]:
            del env_group["id"]
    return groups


def _measure(measure: str, count: int) -> str:
    words = measure.replace("_", " ")
    return words.removesuffix("s") if count == 1 else words


def _limits(band: Mapping[str, Any]) -> str:
    parts = []
    for key, unit in (
        ("max_lines", "line"),
        ("max_files", "file"),
        ("max_components", "component"),
    ):
        value = band.get(key)
        if value is not None:
            parts.append(f"{value} {unit}{'' if value == 1 else 's'}")
    return f"at most {', '.join(parts)}" if parts else "no limit"


def _effect(mod: Modifier) -> str:
    parts = []
    if mod.ceiling is not None:
        parts.append(f"at most {mod.ceiling}")
    if mod.floor is not None:
        parts.append(f"at least {mod.floor}")
    if mod.raise_by:
        parts.append(f"raise {mod.raise_by} level" + ("s" if mod.raise_by != 1 else ""))
    for req in mod.requires:
        what = f"{req.kind} ({req.depth})" if req.depth else req.kind
        parts.append(f"{what} at least {req.obligation}")
    return "; ".join(parts)


def __dir__() -> list[str]:
    return list(__all__)
