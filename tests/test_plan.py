"""Test plans: the requirements of the standard, adjusted by modifiers, each with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import qualscale
from qualscale import Delivery, TestPlan, plan
from tests._paths import EXAMPLES

DELIVERIES = EXAMPLES / "deliveries"


def example(name: str) -> TestPlan:
    return plan(qualscale.load_delivery(DELIVERIES / f"{name}.yaml"), qualscale.load_scale())


def required(p: TestPlan) -> dict[str, str | None]:
    return {r.kind: r.depth for r in p.by_obligation("required")}


def test_docs_typo_needs_only_the_suite() -> None:
    """A docs typo gets S1: only the unit suite is required, performance is discouraged."""
    p = example("docs-typo")
    assert p.standard.id == "S1"
    assert required(p) == {"unit": "suite"}
    assert p.requirement("performance").obligation == "discouraged"  # type: ignore[union-attr]


def test_ui_label_fix_needs_no_performance_test() -> None:
    """A UI label fix gets S1 and no required performance test."""
    p = example("ui-label-fix")
    assert p.standard.id == "S1"
    assert "performance" not in required(p)


def test_large_money_change_needs_everything_at_depth() -> None:
    """A large money change gets S5: every kind required at its deepest scope."""
    p = example("rating-vat-rounding")
    assert p.standard.id == "S5"
    assert required(p) == {
        "unit": "mutation",
        "integration": "end-to-end",
        "regression": "full",
        "performance": "stress",
        "security": "penetration",
        "data-validation": "reconciliation",
        "acceptance": "customer-uat",
    }
    assert p.requirement("acceptance").independent  # type: ignore[union-attr]


def test_data_migration_validates_its_data_in_full() -> None:
    """A data migration requires full reconciliation in pre-production at G3, and says why."""
    p = example("legacy-migration")
    assert p.standard.rank >= 4
    dv = p.requirement("data-validation")
    assert dv is not None
    assert (dv.obligation, dv.depth, dv.environment, dv.gate) == (
        "required",
        "full-reconciliation",
        "pre-production",
        "G3",
    )
    assert "Migration rehearsed on a full copy, one customer segment at a time" in dv.checklist
    assert "; raised: A data migration is never below S4" in dv.because


def test_security_change_requires_security_tests() -> None:
    """A change to API token scopes requires security and integration tests."""
    p = example("api-token-scopes")
    assert required(p)["security"] in {"targeted", "penetration"}
    assert required(p)["integration"] is not None


def test_money_hotfix_requires_targeted_regression_and_recomputed_invoices() -> None:
    """A money hotfix gets S3 with targeted regression and sampled data validation."""
    p = example("payment-hotfix")
    assert p.standard.id == "S3"
    regression = p.requirement("regression")
    assert regression is not None
    assert (regression.obligation, regression.depth) == ("required", "targeted")
    assert required(p)["data-validation"] == "sample"
    assert "raised: A hotfix that touches money" in p.requirement("data-validation").because  # type: ignore[union-attr]


def test_a_flag_asking_elsewhere_adds_an_activity_and_keeps_the_standard_one(
    scale: qualscale.Scale,
) -> None:
    """A flag asking for a kind at another place adds an activity; the standard's stays."""
    # S2 leaves a static security scan in CI optional; the security flag asks for
    # targeted security tests in staging. Both activities stay in the plan.
    d = Delivery.from_dict(
        {
            "id": "X",
            "type": "bugfix",
            "changes": {"lines_added": 3, "lines_removed": 0},
            "flags": ["security"],
            "paths": ["web/a.ts"],
        }
    )
    p = plan(d, scale)
    assert p.standard.id == "S2"
    places = [(r.obligation, r.depth, r.environment, r.gate) for r in p.activities("security")]
    assert places == [("optional", "static", "ci", "G4"), ("required", "targeted", "staging", "G3")]
    static, targeted = p.activities("security")
    assert static.because == "S2 leaves optional security (static)"
    assert "No new high findings from static analysis and dependency audit" in static.criteria
    assert not targeted.because.startswith("S2")
    assert p.required_kinds.count("security") == 1
    assert qualscale.TestPlan.from_dict(p.to_dict()) == p


def test_the_same_kind_at_the_same_place_is_one_activity_at_the_deeper_depth(
    scale: qualscale.Scale,
) -> None:
    """Every plan has at most one activity per kind, environment and gate."""
    for path in sorted(DELIVERIES.glob("*.yaml")):
        p = plan(qualscale.load_delivery(path), scale)
        places = [(r.kind, r.environment, r.gate) for r in p.requirements]
        assert len(places) == len(set(places)), path.name


@pytest.mark.parametrize("path", sorted(DELIVERIES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_gets_a_required_test(path: Path) -> None:
    """Every example delivery's plan requires a test and gives a reason for each requirement."""
    p = plan(qualscale.load_delivery(path), qualscale.load_scale())
    assert p.by_obligation("required")
    assert all(r.because for r in p.requirements)


def test_requirements_are_ordered_by_gate_then_environment(scale: qualscale.Scale) -> None:
    """A plan lists its requirements by gate order, then by environment order."""
    p = example("rating-vat-rounding")
    gates = [g.id for g in scale.gates]
    envs = [e.id for e in scale.environments]
    keys = [(gates.index(r.gate or ""), envs.index(r.environment or "")) for r in p.requirements]
    assert keys == sorted(keys)


def test_plan_json_has_the_documented_shape() -> None:
    """The plan document has the documented keys in the documented order."""
    data = example("rating-vat-rounding").to_dict()
    assert list(data) == [
        "delivery",
        "scale",
        "standard",
        "size",
        "risk",
        "components",
        "flags",
        "content",
        "rationale",
        "requirements",
    ]
    assert list(data["scale"]) == ["name", "version", "sha256"]
    assert data["standard"] == {"id": "S5", "name": "Critical", "rank": 5}
    assert set(data["rationale"][0]) == {"rule", "message"}
    assert list(data["requirements"][0]) == [
        "kind",
        "obligation",
        "depth",
        "environment",
        "gate",
        "criteria",
        "checklist",
        "independent",
        "because",
    ]
    assert json.loads(example("rating-vat-rounding").to_json()) == data


def test_plan_round_trips() -> None:
    """A plan rebuilt from its JSON equals the original."""
    p = example("legacy-migration")
    assert TestPlan.from_dict(json.loads(p.to_json())) == p


def test_plan_needs_a_scale() -> None:
    """plan has no default scale: the caller names the one it plans with."""
    d = Delivery(id="X")
    with pytest.raises(TypeError):
        plan(d)  # type: ignore[call-arg]


def test_plan_names_the_exact_scale(scale: qualscale.Scale) -> None:
    """A plan names the scale it used by name, version and SHA-256."""
    p = plan(Delivery(id="X"), scale)
    assert (p.scale.name, p.scale.version, p.scale.sha256) == (
        scale.name,
        scale.version,
        scale.sha256,
    )


def test_overlay_scale_changes_the_plan() -> None:
    """An overlay's own component outranks the shipped one and raises the plan."""
    overlay = qualscale.load_scale(EXAMPLES / "project-scale.yaml")
    d = Delivery.from_dict(
        {
            "id": "X",
            "type": "config",
            "changes": {"lines_added": 2, "lines_removed": 0},
            "paths": ["config/tenants/acme.yaml"],
        }
    )
    base_plan, project_plan = plan(d, qualscale.load_scale()), plan(d, overlay)
    assert (base_plan.components, base_plan.standard.id) == (("config",), "S1")
    # The overlay's component has a higher priority than the shipped config/**.
    assert (project_plan.components, project_plan.flags) == (("tenant-config",), ("money",))
    assert project_plan.standard.id == "S2"
    assert project_plan.scale.name == "billing-core"


def test_testplan_is_not_collected_by_pytest(pytester: pytest.Pytester) -> None:
    """A test module that imports TestPlan gets no collection warning for it."""
    pytester.makepyfile("from qualscale import TestPlan\n\ndef test_one():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, warnings=0)


def test_a_classification_made_earlier_gives_the_same_plan(scale: qualscale.Scale) -> None:
    """Passing a classification made earlier gives the same plan as classifying again."""
    d = qualscale.load_delivery(DELIVERIES / "payment-hotfix.yaml")
    made = qualscale.classify(d, scale)
    assert plan(d, scale, classification=made) == plan(d, scale)
