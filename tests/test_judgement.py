"""Judging activities on evidence: depth order, place, independence and waivers, as properties."""

from __future__ import annotations

import json

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import qualscale
from qualscale import Delivery, plan
from qualscale.evidence import EvidenceSet, Proof, Waiver, parse_activity, same_person
from qualscale.judgement import judge
from qualscale.planning import PlannedRequirement, TestPlan

SCALE = qualscale.load_scale()
KINDS = [k for k in SCALE.kinds if k.depths]
ENVS = [e.id for e in SCALE.environments]
BASE = plan(
    Delivery.from_dict({"id": "X-1", "author": "Ann Lee <ann@example.com>", "paths": ["src/a.py"]}),
    SCALE,
)


def one_activity(kind: str, depth: str, env: str, *, independent: bool = False) -> TestPlan:
    req = PlannedRequirement(kind, "required", depth, env, "G3", (), (), independent, "test")
    return attrs.evolve(BASE, requirements=(req,))


placed = st.sampled_from(KINDS).flatmap(
    lambda k: st.tuples(st.just(k.id), st.sampled_from(k.depth_ids), st.sampled_from(k.depth_ids))
)


@given(placed, st.sampled_from(ENVS))
def test_a_depth_proves_itself_and_shallower_depths_only(
    chosen: tuple[str, str, str], env: str
) -> None:
    """A passed test at depth d proves a required depth r exactly when r is not deeper than d."""
    kind, needed, reached = chosen
    depths = SCALE.kind(kind).depth_ids
    evidence = EvidenceSet(proofs=(Proof(kind, reached, env, passed=1),))
    verdict = judge(one_activity(kind, needed, env), SCALE, evidence, today="2026-01-01")
    status = verdict.activities[0].status
    deep_enough = depths.index(reached) >= depths.index(needed)
    if SCALE.kind(kind).is_manual(needed):
        assert status == "missing"  # a test run never proves manual work
    else:
        assert status == ("passed" if deep_enough else "insufficient-depth")


@given(placed, st.sampled_from(ENVS), st.sampled_from(ENVS))
def test_evidence_from_another_environment_never_satisfies(
    chosen: tuple[str, str, str], here: str, there: str
) -> None:
    """Passed tests in one environment never prove an activity placed in another."""
    kind, needed, _ = chosen
    evidence = EvidenceSet(proofs=(Proof(kind, needed, there, passed=5),))
    verdict = judge(one_activity(kind, needed, here), SCALE, evidence, today="2026-01-01")
    manual = SCALE.kind(kind).is_manual(needed)
    assert (verdict.activities[0].status == "passed") == (here == there and not manual)


@given(placed, st.sampled_from(["Ann Lee", "ann@example.com", None, "Bo Li"]))
def test_an_independent_activity_needs_a_signoff_by_someone_else(
    chosen: tuple[str, str, str], who: str | None
) -> None:
    """Only a sign-off by someone other than the author proves an independent activity."""
    kind, depth, _ = chosen
    evidence = EvidenceSet(proofs=(Proof(kind, depth, "ci", passed=1, signed_by=who),))
    the_plan = one_activity(kind, depth, "ci", independent=True)
    entry = judge(the_plan, SCALE, evidence, today="2026-01-01").activities[0]
    assert (entry.status == "passed") == (who == "Bo Li")
    if who is None:
        assert "a test run does not prove it" in entry.notes[0]
    elif who != "Bo Li":
        assert "signed by the author" in entry.notes[0]


MANUAL = [(k.id, d.id) for k in SCALE.kinds for d in k.depths if k.is_manual(d.id)]


@given(st.sampled_from(MANUAL), st.sampled_from(["Ann Lee", "Bo Li", None]))
def test_a_manual_depth_is_proved_by_a_signoff_never_by_a_test_run(
    chosen: tuple[str, str], who: str | None
) -> None:
    """A manual depth is passed by a passed sign-off of anyone; a test run leaves it missing."""
    kind, depth = chosen
    evidence = EvidenceSet(proofs=(Proof(kind, depth, "ci", passed=3, signed_by=who),))
    entry = judge(one_activity(kind, depth, "ci"), SCALE, evidence, today="2026-01-01").activities[
        0
    ]
    if who is None:
        assert entry.status == "missing"
        assert entry.notes == ("manual: a test run does not prove it, a sign-off does",)
    else:
        assert entry.status == "passed"


def test_the_bundled_scale_marks_business_scenarios_and_customer_uat_manual() -> None:
    """billing-saas says acceptance by business scenarios and customer UAT are done by people."""
    assert MANUAL == [("acceptance", "business-scenarios"), ("acceptance", "customer-uat")]


@pytest.mark.parametrize(
    ("expires", "approver", "independent", "status"),
    [
        ("2026-06-30", "Kim", False, "waived"),
        ("2026-06-01", "Kim", False, "waived"),  # the expiry day itself still holds
        ("2026-05-31", "Kim", False, "missing"),
        ("2026-06-30", "ann lee", True, "missing"),
        ("2026-06-30", "ann lee", False, "waived"),
    ],
)
def test_waivers_expire_and_the_author_cannot_waive_independent_work(
    expires: str, approver: str, independent: bool, status: str
) -> None:
    """A waiver holds through its expiry day; the author's waiver of independent work never."""
    waiver = Waiver("security@staging", approver, "pen test booked", expires)
    the_plan = one_activity("security", "targeted", "staging", independent=independent)
    verdict = judge(the_plan, SCALE, EvidenceSet(waivers=(waiver,)), today="2026-06-01")
    assert verdict.activities[0].status == status
    assert verdict.ok == (status == "waived")


def test_later_gates_are_due_later_and_the_judgement_is_json() -> None:
    """Judged at G4, a G3 activity is due later and does not fail the verdict."""
    verdict = judge(
        one_activity("regression", "full", "pre-production"),
        SCALE,
        EvidenceSet(),
        today="2026-01-01",
        gate="G4",
    )
    assert verdict.activities[0].status == "due-later"
    assert verdict.ok
    assert json.loads(json.dumps(verdict.to_dict()))["decision"] == "go"


def test_an_unknown_gate_is_refused() -> None:
    """Judging at a gate the scale does not know raises KeyError."""
    with pytest.raises(KeyError):
        judge(BASE, SCALE, EvidenceSet(), today="2026-01-01", gate="G9")


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("regression", ("regression", None, None)),
        ("regression/full", ("regression", "full", None)),
        ("regression@ci", ("regression", None, "ci")),
        ("regression/full@ci", ("regression", "full", "ci")),
    ],
)
def test_activity_names(text: str, parsed: tuple[str, str | None, str | None]) -> None:
    """Activities are written ``KIND[/DEPTH][@ENV]``."""
    assert parse_activity(text) == parsed


def test_same_person_compares_names_and_emails_ignoring_case() -> None:
    """``Ann Lee <ann@x>`` is ``ann lee`` and ``ANN@x``, and nobody is ``None``."""
    assert same_person("Ann Lee <ann@x>", "ann  lee")
    assert same_person("Ann Lee <ann@x>", "A. Lee <ANN@x>")
    assert not same_person("Ann Lee", None)
    assert not same_person("Ann Lee", "Bo Li")
