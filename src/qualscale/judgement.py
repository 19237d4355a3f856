"""The verdict a QA lead can sign: every activity of a plan judged on evidence by depth and place.

Pure functions over the model; no I/O. :func:`judge` compares an
:class:`~qualscale.evidence.EvidenceSet` with a plan, activity by activity:

- a depth proves itself and every shallower depth of its kind, never a deeper one;
- evidence from one environment never proves an activity placed in another;
- an ``independent`` activity is proved only by a sign-off of someone other than the
  delivery's author - never by a test run;
- a waiver holds until its expiry day; an expired waiver counts as missing, and the
  author cannot waive their own independent activity;
- activities of a later gate than the one judged (or, judging one environment, placed
  elsewhere) are ``due-later``.

:func:`review_gate` adds a gate's artifacts and turns it into a go / no-go decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import attrs

from qualscale.evidence import (
    Artifact,
    EvidenceFile,
    EvidenceSet,
    Proof,
    Waiver,
    activity_id,
    parse_activity,
    same_person,
)
from qualscale.gates import Gate
from qualscale.planning import PlannedRequirement, TestPlan
from qualscale.scale import Scale

__all__ = [
    "ACTIVITY_STATUSES",
    "ActivityStatus",
    "ActivityVerdict",
    "ArtifactState",
    "GateReview",
    "Judgement",
    "WaiverState",
    "judge",
    "phrase",
    "review_gate",
    "unmet_phrases",
]

ActivityStatus = Literal["passed", "failed", "missing", "waived", "insufficient-depth", "due-later"]
#: Every status an activity can have.
ACTIVITY_STATUSES: tuple[ActivityStatus, ...] = (
    "passed",
    "failed",
    "missing",
    "waived",
    "insufficient-depth",
    "due-later",
)


@attrs.frozen
class WaiverState:
    """A waiver and what became of it: ``open``, ``expired`` or ``refused`` (the author's own)."""

    waiver: Waiver
    state: Literal["open", "expired", "refused", "unused"]
    activities: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The waiver and its state as plain data."""
        w = self.waiver
        return {
            "activity": w.activity,
            "approver": w.approver,
            "reason": w.reason,
            "expires": w.expires,
            "state": self.state,
            "activities": list(self.activities),
        }


@attrs.frozen
class ActivityVerdict:
    """The verdict on one activity of the plan.

    Attributes:
        activity: The planned activity.
        status: ``passed``, ``failed``, ``missing``, ``waived``, ``insufficient-depth``
            or ``due-later``.
        proofs: The evidence that counted for it.
        waiver: The waiver that holds for it, if any.
        notes: Why the status is what it is, for people (``signed by the author``).
    """

    activity: PlannedRequirement
    status: ActivityStatus
    proofs: tuple[Proof, ...] = ()
    waiver: Waiver | None = None
    notes: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """``KIND[/DEPTH][@ENV]``."""
        a = self.activity
        return activity_id(a.kind, a.depth, a.environment)

    @property
    def due(self) -> bool:
        """Required and judged now (not due later)."""
        return self.activity.obligation == "required" and self.status != "due-later"

    @property
    def ok(self) -> bool:
        """Not due, or passed or waived."""
        return not self.due or self.status in ("passed", "waived")

    @property
    def counts(self) -> tuple[int, int, int]:
        """Passed, failed and skipped tests (and sign-offs) that counted."""
        return (
            sum(p.passed for p in self.proofs),
            sum(p.failed for p in self.proofs),
            sum(p.skipped for p in self.proofs),
        )

    def to_dict(self) -> dict[str, Any]:
        """The verdict on the activity as plain data."""
        a = self.activity
        passed, failed, skipped = self.counts
        return {
            "activity": self.id,
            "kind": a.kind,
            "obligation": a.obligation,
            "depth": a.depth,
            "environment": a.environment,
            "gate": a.gate,
            "independent": a.independent,
            "status": self.status,
            "ok": self.ok,
            "passed": passed,
            "failed": failed,
            "skipped": skipped,
            "signed_by": sorted({p.signed_by for p in self.proofs if p.signed_by}),
            "links": sorted({p.link for p in self.proofs if p.link}),
            "waiver": self.waiver.approver if self.waiver else None,
            "notes": list(self.notes),
        }


@attrs.frozen
class Judgement:
    """Every activity of a plan judged, with the waivers and the evidence files.

    Attributes:
        plan: The plan judged.
        gate: The gate judged at (later gates are due later), or ``None`` for all.
        environment: The environment judged (others are due later), or ``None``.
        today: The day waivers are checked against (ISO 8601).
        activities: One verdict per activity, in plan order.
        waivers: Every waiver given, with its state.
        artifacts: The gate artifacts given.
        files: The evidence files, with their SHA-256.
    """

    plan: TestPlan
    gate: str | None
    environment: str | None
    today: str
    activities: tuple[ActivityVerdict, ...]
    waivers: tuple[WaiverState, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    files: tuple[EvidenceFile, ...] = ()

    @property
    def ok(self) -> bool:
        """Every activity due is passed or waived."""
        return all(a.ok for a in self.activities)

    @property
    def unmet(self) -> tuple[ActivityVerdict, ...]:
        """The activities due that are not passed or waived, in plan order."""
        return tuple(a for a in self.activities if not a.ok)

    @property
    def due_later(self) -> tuple[ActivityVerdict, ...]:
        """The required activities left for a later gate or another environment."""
        return tuple(
            a
            for a in self.activities
            if a.status == "due-later" and a.activity.obligation == "required"
        )

    def by_gate(self) -> dict[str | None, tuple[ActivityVerdict, ...]]:
        """The verdicts grouped by gate, in plan order; activities without a gate last."""
        groups: dict[str | None, list[ActivityVerdict]] = {}
        for entry in self.activities:
            groups.setdefault(entry.activity.gate, []).append(entry)
        if None in groups:
            groups[None] = groups.pop(None)
        return {gate: tuple(entries) for gate, entries in groups.items()}

    def to_dict(self) -> dict[str, Any]:
        """The judgement as plain data, keys in a fixed order (``--format json``)."""
        p = self.plan
        return {
            "delivery": p.delivery.id,
            "author": p.delivery.author,
            "standard": p.standard.id,
            "scale": {"name": p.scale.name, "version": p.scale.version, "sha256": p.scale.sha256},
            "gate": self.gate,
            "environment": self.environment,
            "today": self.today,
            "ok": self.ok,
            "decision": "go" if self.ok else "no-go",
            "activities": [a.to_dict() for a in self.activities],
            "gates": [
                {
                    "gate": gate,
                    "ok": all(a.ok for a in entries),
                    "activities": [a.id for a in entries],
                }
                for gate, entries in self.by_gate().items()
            ],
            "waivers": [w.to_dict() for w in self.waivers],
            "files": [attrs.asdict(f) for f in self.files],
        }


@attrs.frozen
class ArtifactState:
    """A gate artifact: given (with who and where) or missing."""

    name: str
    given: Artifact | None

    def to_dict(self) -> dict[str, Any]:
        """The artifact's state as plain data."""
        g = self.given
        return {
            "artifact": self.name,
            "present": g is not None,
            "who": g.who if g else None,
            "link": g.link if g else None,
        }


@attrs.frozen
class GateReview:
    """The review pack of one gate: its objectives, artifacts, activities and decision."""

    gate: Gate
    judgement: Judgement
    artifacts: tuple[ArtifactState, ...]

    @property
    def activities(self) -> tuple[ActivityVerdict, ...]:
        """The activities due at this gate or an earlier one, and any left unmet."""
        return tuple(a for a in self.judgement.activities if a.status != "due-later")

    @property
    def missing(self) -> tuple[str, ...]:
        """Exactly what stands between the gate and ``go``, one phrase each."""
        unmet = tuple(f"{a.id}: {phrase(a)}" for a in self.judgement.unmet)
        return unmet + tuple(f"artifact {s.name!r}: missing" for s in self.artifacts if not s.given)

    @property
    def decision(self) -> Literal["go", "no-go"]:
        """``go`` when nothing is missing."""
        return "no-go" if self.missing else "go"

    def to_dict(self) -> dict[str, Any]:
        """The review as plain data; :func:`qualscale.loading` adds what pins a record."""
        g = self.gate
        return {
            "gate": g.id,
            "name": g.name,
            "objectives": list(g.objectives),
            "review_team": list(g.review_team),
            "decision": self.decision,
            "missing": list(self.missing),
            "artifacts": [s.to_dict() for s in self.artifacts],
            "verdict": self.judgement.to_dict(),
        }


def phrase(entry: ActivityVerdict) -> str:
    """The status of an activity with its first note: ``missing (signed by the author)``."""
    return entry.status + (f" ({entry.notes[0]})" if entry.notes else "")


# ------------------------------------------------------------------ judging


@attrs.frozen
class _Context:
    scale: Scale
    proofs: tuple[Proof, ...]
    waivers: tuple[WaiverState, ...]
    author: str | None
    gate: str | None
    environment: str | None


def judge(
    plan: TestPlan,
    scale: Scale,
    evidence: EvidenceSet,
    *,
    today: str,
    gate: str | None = None,
    environment: str | None = None,
) -> Judgement:
    """Judge every activity of ``plan`` on ``evidence``.

    Args:
        plan: The plan of the delivery (its ``author`` decides independence).
        scale: The scale the plan was made on: its depth and gate order.
        evidence: Test results, sign-offs, waivers, artifacts.
        today: The day (ISO 8601) waivers are checked against.
        gate: Judge at this gate: activities of later gates are due later.
        environment: Judge only this environment: activities placed in another one
            are due later (what a CI job can prove).

    Raises:
        KeyError: ``gate`` is not one of the scale's gates.
    """
    if gate is not None and not any(g.id == gate for g in scale.gates):
        raise KeyError(gate)
    waivers = tuple(_waiver_state(w, plan, today) for w in evidence.waivers)
    ctx = _Context(scale, evidence.proofs, waivers, plan.delivery.author, gate, environment)
    verdicts = tuple(_judge_activity(req, ctx) for req in plan.requirements)
    return Judgement(
        plan=plan,
        gate=gate,
        environment=environment,
        today=today,
        activities=verdicts,
        waivers=waivers,
        artifacts=evidence.artifacts,
        files=evidence.files,
    )


def review_gate(judgement: Judgement, gate: Gate) -> GateReview:
    """The review pack of ``gate``: ``judgement`` (made at that gate) and the gate's artifacts."""
    given = [a for a in judgement.artifacts if a.gate == gate.id]
    states = tuple(
        ArtifactState(name, next((a for a in given if a.name.lower() == name.lower()), None))
        for name in gate.artifacts
    )
    return GateReview(gate, judgement, states)


def _waiver_state(waiver: Waiver, plan: TestPlan, today: str) -> WaiverState:
    matched = tuple(
        activity_id(r.kind, r.depth, r.environment) for r in plan.requirements if _waives(waiver, r)
    )
    if not matched:
        return WaiverState(waiver, "unused", matched)
    if waiver.expires[:10] < today[:10]:
        return WaiverState(waiver, "expired", matched)
    own = same_person(waiver.approver, plan.delivery.author)
    if own and any(r.independent for r in plan.requirements if _waives(waiver, r)):
        return WaiverState(waiver, "refused", matched)
    return WaiverState(waiver, "open", matched)


def _waives(waiver: Waiver, req: PlannedRequirement) -> bool:
    try:
        kind, depth, environment = parse_activity(waiver.activity)
    except ValueError:
        return False
    return (
        kind == req.kind and depth in (None, req.depth) and environment in (None, req.environment)
    )


def _later(ctx: _Context, req: PlannedRequirement) -> str | None:
    """Why ``req`` is due later, or ``None`` when it is due now."""
    if ctx.gate is not None:
        order = [g.id for g in ctx.scale.gates]
        if req.gate in order and order.index(req.gate) > order.index(ctx.gate):
            return f"due at {req.gate}, after {ctx.gate}"
        return None
    if ctx.environment is not None and req.environment not in (None, ctx.environment):
        return f"done in {req.environment}, not {ctx.environment}"
    return None


def _judge_activity(req: PlannedRequirement, ctx: _Context) -> ActivityVerdict:
    later = _later(ctx, req)
    if later is not None:
        return ActivityVerdict(req, "due-later", notes=(later,))
    notes: list[str] = []
    of_kind = [p for p in ctx.proofs if p.kind == req.kind]
    here = [p for p in of_kind if req.environment is None or p.environment == req.environment]
    elsewhere = sorted(
        {p.environment or "an unknown environment" for p in of_kind}
        - {p.environment or "an unknown environment" for p in here}
    )
    usable = [p for p in here if _counts_for(p, req, ctx, notes)]
    deep = [p for p in usable if _deep_enough(ctx.scale, req.kind, p.depth, req.depth)]
    if any(p.failed for p in deep):
        return ActivityVerdict(req, "failed", tuple(deep), notes=tuple(notes))
    if any(p.passed for p in deep):
        return ActivityVerdict(req, "passed", tuple(deep), notes=tuple(notes))
    waiver = next((w for w in ctx.waivers if _req_id(req) in w.activities), None)
    if waiver is not None and waiver.state == "open":
        return ActivityVerdict(req, "waived", waiver=waiver.waiver, notes=tuple(notes))
    if waiver is not None:
        notes.append(_waiver_note(waiver))
    shallow = sorted({_depth_name(ctx.scale, p) for p in usable if p.passed})
    if shallow:
        notes.insert(0, f"only {', '.join(shallow)} reached, {req.depth} needed")
        return ActivityVerdict(req, "insufficient-depth", tuple(usable), notes=tuple(notes))
    if elsewhere and req.environment is not None:
        notes.append(f"evidence only from {', '.join(elsewhere)}; needed in {req.environment}")
    if not notes:
        manual = req.independent or _manual(ctx.scale, req)
        notes.append("no sign-off" if manual else "no evidence")
    return ActivityVerdict(req, "missing", notes=tuple(notes))


def _req_id(req: PlannedRequirement) -> str:
    """The activity id of a planned activity."""
    return activity_id(req.kind, req.depth, req.environment)


def _depth_name(scale: Scale, proof: Proof) -> str:
    if proof.depth is not None:
        return proof.depth
    depths = next((k.depth_ids for k in scale.kinds if k.id == proof.kind), ())
    return f"{depths[0]} (no depth given)" if depths else "no depth"


def _waiver_note(state: WaiverState) -> str:
    w = state.waiver
    if state.state == "expired":
        return f"waiver by {w.approver} expired on {w.expires}"
    return f"waiver by {w.approver} refused: the author cannot waive an independent activity"


def _manual(scale: Scale, req: PlannedRequirement) -> bool:
    """Whether ``req`` is done by people (its kind or depth says ``manual: true``)."""
    try:
        return scale.kind(req.kind).is_manual(req.depth)
    except KeyError:
        return False


def _counts_for(proof: Proof, req: PlannedRequirement, ctx: _Context, notes: list[str]) -> bool:
    """Whether ``proof`` may count for ``req`` (manual work, independence), noting why not."""
    if not proof.signed and not req.independent and _manual(ctx.scale, req):
        note = "manual: a test run does not prove it, a sign-off does"
        if note not in notes:
            notes.append(note)
        return False
    if not req.independent:
        return True
    if not proof.signed:
        note = "independent: a test run does not prove it, a sign-off by someone else does"
    elif same_person(proof.signed_by, ctx.author):
        note = f"independent: signed by the author {proof.signed_by}, needs someone else"
    else:
        return True
    if note not in notes:
        notes.append(note)
    return False


def _deep_enough(scale: Scale, kind: str, reached: str | None, needed: str | None) -> bool:
    """A depth proves itself and every shallower depth; no depth proves only the shallowest."""
    if needed is None:
        return True
    try:
        depths = scale.kind(kind).depth_ids
    except KeyError:
        return reached == needed
    if reached is None:
        reached = depths[0] if depths else None
    if reached == needed:
        return True
    if reached not in depths or needed not in depths:
        return False
    return depths.index(reached) >= depths.index(needed)


def unmet_phrases(judgement: Judgement) -> Sequence[str]:
    """One phrase per activity due and not met: ``regression/full@pre-production missing``."""
    return [f"{a.id} {phrase(a)}" for a in judgement.unmet]


def __dir__() -> list[str]:
    return list(__all__)
