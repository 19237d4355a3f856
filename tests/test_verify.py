"""verify: the evidence of a test run against the plan, kind by kind."""

from __future__ import annotations

import json

import attrs
import pytest

import qualscale
from qualscale.planning import PlannedRequirement, TestPlan
from qualscale.requirements import Obligation
from qualscale.verification import Evidence, KindVerdict, Status, verify


def planned(kind: str, obligation: Obligation, gate: str | None = "G4") -> PlannedRequirement:
    return PlannedRequirement(
        kind=kind,
        obligation=obligation,
        depth=None,
        environment="ci",
        gate=gate,
        criteria=(),
        checklist=(),
        independent=False,
        because="test",
    )


@pytest.fixture(scope="module")
def base_plan() -> TestPlan:
    return qualscale.plan(
        qualscale.Delivery(id="DEL-1", type="docs", paths=("README.md",)), qualscale.load_scale()
    )


def with_requirements(plan: TestPlan, *requirements: PlannedRequirement) -> TestPlan:
    return attrs.evolve(plan, requirements=requirements)


# ------------------------------------------------------------------ evidence


def test_evidence_adds_counts() -> None:
    """Adding evidence adds each count."""
    assert Evidence(1, 2, 3, 4) + Evidence(10, 20, 30, 40) == Evidence(11, 22, 33, 44)


def test_evidence_total_counts_every_test() -> None:
    """The evidence total counts passed, failed, skipped and deselected tests."""
    assert Evidence(passed=1, failed=2, skipped=3, deselected=4).total == 10


@pytest.mark.parametrize("field", ["passed", "failed", "skipped", "deselected"])
def test_evidence_rejects_negative_counts(field: str) -> None:
    """Evidence refuses a negative count."""
    with pytest.raises(ValueError, match="non-negative"):
        Evidence(**{field: -1})


# -------------------------------------------------------------- kind status


@pytest.mark.parametrize(
    ("obligation", "evidence", "status", "ok"),
    [
        ("required", Evidence(passed=3), "passed", True),
        ("required", Evidence(passed=3, skipped=2, deselected=1), "passed", True),
        ("required", Evidence(passed=3, failed=1), "failed", False),
        ("required", Evidence(failed=1), "failed", False),
        ("required", Evidence(), "missing", False),
        ("required", Evidence(skipped=4), "missing", False),
        ("required", Evidence(deselected=4), "missing", False),
        ("recommended", Evidence(), "not-required", True),
        ("recommended", Evidence(skipped=1), "not-required", True),
        ("recommended", Evidence(passed=1), "passed", True),
        ("recommended", Evidence(failed=1), "failed", True),
        ("optional", Evidence(passed=2), "passed", True),
        ("discouraged", Evidence(deselected=2), "not-required", True),
        ("discouraged", Evidence(failed=1), "failed", True),
    ],
)
def test_kind_status(
    base_plan: TestPlan, obligation: Obligation, evidence: Evidence, status: Status, ok: bool
) -> None:
    """A kind's status and whether it is ok follow from its obligation and its evidence."""
    plan = with_requirements(base_plan, planned("unit", obligation))
    entry = verify(plan, {"unit": evidence}).kinds[0]
    assert (status, ok) == (entry.status, entry.ok)


# ------------------------------------------------------------------ verdicts

DOCS_TYPO = ("unit", "regression", "performance")


@pytest.mark.parametrize(
    ("evidence", "ok", "problems"),
    [
        ({"unit": Evidence(passed=5)}, True, []),
        ({"unit": Evidence(passed=5), "performance": Evidence(deselected=2)}, True, []),
        ({"unit": Evidence(passed=5), "regression": Evidence(failed=1)}, True, []),
        ({"unit": Evidence(passed=5, failed=1)}, False, ["unit"]),
        ({"unit": Evidence(skipped=5)}, False, ["unit"]),
        ({}, False, ["unit"]),
        ({"regression": Evidence(passed=1)}, False, ["unit"]),
    ],
)
def test_docs_typo_needs_only_unit_tests(
    evidence: dict[str, Evidence], ok: bool, problems: list[str]
) -> None:
    """A docs typo's verdict is ok exactly when unit tests ran and none failed."""
    plan = qualscale.plan(
        qualscale.Delivery(id="typo", type="docs", paths=("README.md",)), qualscale.load_scale()
    )
    assert tuple(r.kind for r in plan.requirements) == DOCS_TYPO
    verdict = verify(plan, evidence)
    assert (ok, problems) == (verdict.ok, [k.kind for k in verdict.unmet])


def test_money_delivery_misses_every_kind_without_evidence() -> None:
    """A large rating change fails on each required kind that has no passing test."""
    plan = qualscale.plan(
        qualscale.Delivery(
            id="big",
            type="feature",
            changes=qualscale.Changes(lines_added=900, lines_removed=100, files=30),
            paths=("src/rating/engine.py",),
        ),
        qualscale.load_scale(),
    )
    evidence = {kind: Evidence(passed=1) for kind in plan.required_kinds if kind != "performance"}
    verdict = verify(plan, evidence)
    assert not verdict.ok
    assert [k.kind for k in verdict.unmet] == ["performance"]
    assert verdict.kind("performance").status == "missing"  # type: ignore[union-attr]


def test_verdict_keeps_plan_order_and_adds_unplanned_kinds_by_id(base_plan: TestPlan) -> None:
    """The verdict keeps plan order, appends unplanned kinds by id, and they never fail it."""
    plan = with_requirements(
        base_plan, planned("unit", "required"), planned("regression", "optional")
    )
    evidence = {
        "security": Evidence(passed=1),
        "acceptance": Evidence(failed=1),
        "integration": Evidence(),  # no tests at all: not listed
        "unit": Evidence(passed=1),
    }
    verdict = verify(plan, evidence)
    assert [k.kind for k in verdict.kinds] == ["unit", "regression", "acceptance", "security"]
    unplanned = verdict.kind("acceptance")
    assert unplanned == KindVerdict(
        "acceptance", None, None, None, None, Evidence(failed=1), "failed"
    )
    assert verdict.ok  # an unplanned kind never fails the verdict


def test_kind_absent_from_verdict_is_none(base_plan: TestPlan) -> None:
    """Looking up a kind the verdict does not list gives None."""
    assert verify(base_plan, {}).kind("security") is None


def test_verdict_names_delivery_and_standard(base_plan: TestPlan) -> None:
    """A verdict names the delivery and the standard it checked."""
    verdict = verify(base_plan, {})
    assert (verdict.delivery, verdict.standard) == ("DEL-1", "S1")


# ------------------------------------------------------------------- by gate


def test_by_gate_groups_in_plan_order_with_ungated_last(base_plan: TestPlan) -> None:
    """by_gate groups kinds by gate in plan order, with ungated and unplanned kinds last."""
    plan = with_requirements(
        base_plan,
        planned("acceptance", "required", "G2"),
        planned("unit", "required", "G4"),
        planned("regression", "required", "G4"),
        planned("security", "optional", None),
    )
    groups = verify(plan, {"performance": Evidence(passed=1)}).by_gate()
    assert {gate: [k.kind for k in entries] for gate, entries in groups.items()} == {
        "G2": ["acceptance"],
        "G4": ["unit", "regression"],
        None: ["security", "performance"],
    }
    assert list(groups) == ["G2", "G4", None]


# ------------------------------------------------------------------- to_dict


def test_to_dict_is_json_with_counts_and_gates(base_plan: TestPlan) -> None:
    """A verdict's to_dict is JSON data with counts per kind and a verdict per gate."""
    plan = with_requirements(
        base_plan, planned("unit", "required", "G4"), planned("performance", "required", "G3")
    )
    verdict = verify(plan, {"unit": Evidence(passed=2, skipped=1)})
    data = verdict.to_dict()
    assert data == json.loads(json.dumps(data))
    assert data == {
        "delivery": "DEL-1",
        "standard": "S1",
        "ok": False,
        "kinds": [
            {
                "kind": "unit",
                "obligation": "required",
                "depth": None,
                "environment": "ci",
                "gate": "G4",
                "passed": 2,
                "failed": 0,
                "skipped": 1,
                "deselected": 0,
                "status": "passed",
            },
            {
                "kind": "performance",
                "obligation": "required",
                "depth": None,
                "environment": "ci",
                "gate": "G3",
                "passed": 0,
                "failed": 0,
                "skipped": 0,
                "deselected": 0,
                "status": "missing",
            },
        ],
        "gates": [
            {"gate": "G4", "ok": True, "kinds": ["unit"]},
            {"gate": "G3", "ok": False, "kinds": ["performance"]},
        ],
    }


def test_verdict_is_deterministic(base_plan: TestPlan) -> None:
    """The verdict does not depend on the order of the evidence."""
    evidence = {"unit": Evidence(passed=1), "security": Evidence(skipped=1)}
    first = json.dumps(verify(base_plan, evidence).to_dict())
    second = json.dumps(verify(base_plan, dict(reversed(list(evidence.items())))).to_dict())
    assert first == second
