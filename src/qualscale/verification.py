"""Test outcomes counted per kind: the tally under the verdict.

Pure functions over the model; no I/O. The evidence is a count of test outcomes
per kind (from a pytest session, a JUnit XML file, ...); :func:`verify` lays it
beside the plan, kind by kind. The pytest plugin shows this tally, so its counts
add up to pytest's own.

Deprecated as a verdict: a kind's ``passed`` here ignores depth, environment and
independence. Whether a requirement is satisfied is :func:`qualscale.judgement.judge`
(``qualscale verify``, the plugin's verdict): one home for that question.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from qualscale._validators import nonneg
from qualscale.planning import TestPlan
from qualscale.requirements import Obligation

__all__ = ["STATUSES", "Evidence", "KindVerdict", "Status", "Verdict", "verify"]

Status = Literal["passed", "failed", "missing", "not-required"]
#: Every status a kind can have in a verdict.
STATUSES: tuple[Status, ...] = ("passed", "failed", "missing", "not-required")


@attrs.frozen
class Evidence:
    """The outcomes of the tests of one kind.

    Attributes:
        passed: Tests that passed (an unexpected pass of a non-strict xfail counts).
        failed: Tests that failed, in the test or in its setup or teardown.
        skipped: Tests skipped, or expected failures that failed.
        deselected: Tests collected but not run (``-k``, ``-m``, ``--qualscale-select``).

    ``a + b`` adds the counts, so evidence from several runs can be combined.
    """

    passed: int = attrs.field(default=0, validator=nonneg)
    failed: int = attrs.field(default=0, validator=nonneg)
    skipped: int = attrs.field(default=0, validator=nonneg)
    deselected: int = attrs.field(default=0, validator=nonneg)

    def __add__(self, other: Evidence) -> Evidence:
        if not isinstance(other, Evidence):
            return NotImplemented
        return Evidence(
            self.passed + other.passed,
            self.failed + other.failed,
            self.skipped + other.skipped,
            self.deselected + other.deselected,
        )

    @property
    def total(self) -> int:
        """All tests counted, whether they ran or not."""
        return self.passed + self.failed + self.skipped + self.deselected

    def to_dict(self) -> dict[str, int]:
        """``{"passed": ..., "failed": ..., "skipped": ..., "deselected": ...}``."""
        return attrs.asdict(self)


@attrs.frozen
class KindVerdict:
    """The verdict on one kind of test.

    Attributes:
        kind: The kind's id.
        obligation: What the plan asks for it; ``None`` when the plan does not
            name the kind but tests of it ran.
        depth: The depth the plan asks for, if any.
        environment: The environment the plan names, if any.
        gate: The gate the plan names, if any.
        evidence: The outcomes counted for the kind.
        status: ``failed`` when a test failed, else ``passed`` when one passed,
            else ``missing`` for a required kind and ``not-required`` for any other.
    """

    kind: str
    obligation: Obligation | None
    depth: str | None
    environment: str | None
    gate: str | None
    evidence: Evidence
    status: Status

    @property
    def required(self) -> bool:
        """The plan requires this kind."""
        return self.obligation == "required"

    @property
    def ok(self) -> bool:
        """Not required, or required and passed (at least one pass, no failure)."""
        return not self.required or self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        """The entry as plain data, the counts flattened in."""
        return {
            "kind": self.kind,
            "obligation": self.obligation,
            "depth": self.depth,
            "environment": self.environment,
            "gate": self.gate,
            **self.evidence.to_dict(),
            "status": self.status,
        }


@attrs.frozen
class Verdict:
    """The outcome of :func:`verify`: one entry per kind, and whether the plan is met.

    Attributes:
        delivery: The delivery's id.
        standard: The id of the standard the plan applies.
        kinds: The plan's kinds in plan order (by gate, environment, obligation),
            then kinds the plan does not name but that have evidence, by id.
    """

    delivery: str
    standard: str
    kinds: tuple[KindVerdict, ...]

    @property
    def ok(self) -> bool:
        """Every required kind has at least one passed test and none failed."""
        return all(k.ok for k in self.kinds)

    @property
    def unmet(self) -> tuple[KindVerdict, ...]:
        """The required kinds that are failed or missing, in order."""
        return tuple(k for k in self.kinds if not k.ok)

    def kind(self, kind: str) -> KindVerdict | None:
        """The entry for ``kind``, or ``None``."""
        return next((k for k in self.kinds if k.kind == kind), None)

    def by_gate(self) -> dict[str | None, tuple[KindVerdict, ...]]:
        """The entries grouped by the gate they must be done before.

        Gates come in plan order (the scale's gate order); entries without a gate,
        such as kinds the plan does not name, are under ``None``, last.
        """
        groups: dict[str | None, list[KindVerdict]] = {}
        for entry in self.kinds:
            if entry.gate is not None:
                groups.setdefault(entry.gate, []).append(entry)
        ungated = [k for k in self.kinds if k.gate is None]
        if ungated:
            groups[None] = ungated
        return {gate: tuple(entries) for gate, entries in groups.items()}

    def to_dict(self) -> dict[str, Any]:
        """The verdict as plain data, keys in a fixed order.

        ``gates`` lists each gate with whether its required kinds are met.
        """
        return {
            "delivery": self.delivery,
            "standard": self.standard,
            "ok": self.ok,
            "kinds": [k.to_dict() for k in self.kinds],
            "gates": [
                {
                    "gate": gate,
                    "ok": all(k.ok for k in entries),
                    "kinds": [k.kind for k in entries],
                }
                for gate, entries in self.by_gate().items()
            ],
        }


def _status(obligation: Obligation | None, evidence: Evidence) -> Status:
    if evidence.failed:
        return "failed"
    if evidence.passed:
        return "passed"
    return "missing" if obligation == "required" else "not-required"


def verify(plan: TestPlan, evidence: Mapping[str, Evidence]) -> Verdict:
    """Lay the outcome counts of a test run beside the plan, kind by kind.

    Deprecated as a verdict: use :func:`qualscale.judgement.judge`, which judges each
    activity by depth, environment, gate and independence. This tally stays for the
    counts (the pytest plugin's table) and for old callers.

    Args:
        plan: The test plan of the delivery.
        evidence: Outcome counts by kind id; a kind absent from the mapping has no
            evidence. Kinds the plan does not name are reported with obligation ``None``.

    Returns:
        The verdict; ``verdict.ok`` is true when every kind the plan requires has
        at least one passed test and no failed one.
    """
    none = Evidence()
    entries: list[KindVerdict] = []
    for req in plan.requirements:
        found = evidence.get(req.kind, none)
        entries.append(
            KindVerdict(
                kind=req.kind,
                obligation=req.obligation,
                depth=req.depth,
                environment=req.environment,
                gate=req.gate,
                evidence=found,
                status=_status(req.obligation, found),
            )
        )
    planned = {req.kind for req in plan.requirements}
    entries.extend(
        KindVerdict(kind, None, None, None, None, found, _status(None, found))
        for kind, found in sorted(evidence.items())
        if kind not in planned and found.total
    )
    return Verdict(plan.delivery.id, plan.standard.id, tuple(entries))


def __dir__() -> list[str]:
    return list(__all__)
