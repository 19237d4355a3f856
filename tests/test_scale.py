"""Scale checks: references resolve, every standard tests, the scale is monotone.

Also the integrity test over every shipped ``standards/*.yaml``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

import qualscale
from qualscale import ScaleError
from qualscale.scale import check_scale
from tests._paths import STANDARDS

SHIPPED = sorted(p for p in STANDARDS.glob("*.yaml") if p.stem != "gates")


def base_data() -> dict[str, Any]:
    data: dict[str, Any] = qualscale.load_scale().to_dict()
    return copy.deepcopy(data)


def problems_after(change: Callable[[dict[str, Any]], None]) -> list[str]:
    data = base_data()
    change(data)
    with pytest.raises(ScaleError) as exc:
        qualscale.Scale.from_dict(data)
    return [f"{p.key}: {p.message}" for p in exc.value.problems]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scale_loads_and_checks_clean(path: Any) -> None:
    """Every shipped scale loads with no check problems and is monotone."""
    scale = qualscale.load_scale(path)
    assert check_scale(scale) == []
    assert scale.monotone


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scale_every_standard_requires_a_test(path: Any) -> None:
    """Every standard of every shipped scale has at least one required test."""
    scale = qualscale.load_scale(path)
    for standard in scale.standards:
        assert any(r.obligation == "required" for r in scale.requires(standard.id)), standard.id


def test_billing_saas_follows_its_principles() -> None:
    """The billing-saas scale keeps performance tests off minor changes and deepens them upwards."""
    scale = qualscale.load_scale("billing-saas")
    assert len(scale.standards) >= 5
    assert {k.id for k in scale.kinds} >= {
        "unit",
        "integration",
        "regression",
        "performance",
        "security",
        "acceptance",
        "data-validation",
    }
    assert [e.id for e in scale.environments] == ["ci", "staging", "pre-production", "production"]
    assert [g.id for g in scale.gates] == ["G7", "G5", "G4", "G3", "G2", "G1", "G6"]
    # Minor or low-risk changes never reach a standard that requires performance tests.
    matrix = scale.rules.matrix
    first_perf = min(
        scale.rank(s.id)
        for s in scale.standards
        if (req := scale.requirement(s.id, "performance")) is not None
        and req.obligation == "required"
    )
    for cls, std in matrix["trivial"].items():
        assert scale.rank(std) < first_perf, ("trivial", cls)
    for band, row in matrix.items():
        assert scale.rank(row["low"]) < first_perf, (band, "low")
    # Performance gets deeper as the standard rises.
    depths = [
        r.depth
        for s in scale.standards
        if (r := scale.requirement(s.id, "performance")) is not None and r.obligation == "required"
    ]
    depths_known = scale.kind("performance").depth_ids
    assert [depths_known.index(d) for d in depths] == sorted(depths_known.index(d) for d in depths)
    assert len(set(depths)) > 1


def test_gates_are_the_seven_of_the_gating_policy() -> None:
    """The default scale has the seven gates of the policy, each fully described."""
    gates = qualscale.load_scale().gates
    assert len(gates) == 7
    assert all(g.name and g.objectives and g.review_team and g.artifacts for g in gates)


def drop_required_regression_from_s4(data: dict[str, Any]) -> None:
    del data["requirements"]["regression"]["S4"]


def shallower_regression_in_s5(data: dict[str, Any]) -> None:
    data["requirements"]["regression"]["S5"] = "required smoke"


def matrix_goes_down(data: dict[str, Any]) -> None:
    data["rules"]["matrix"]["huge"]["critical"] = "S1"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            drop_required_regression_from_s4,
            "$.requirements.regression.S4: not monotone: S3 requires 'regression' but the "
            "higher S4 does not ask for it; require it at S4 too (or set monotone: false)",
        ),
        (
            shallower_regression_in_s5,
            "$.requirements.regression.S5: not monotone: S4 requires 'regression' at 'full' "
            "but the higher S5 only at 'smoke'",
        ),
        (
            matrix_goes_down,
            "$.rules.matrix.huge.critical: not monotone: huge/critical gives S1, lower "
            "than S5 for large/critical",
        ),
    ],
)
def test_non_monotone_scale_is_rejected(
    change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    """A scale whose requirements or matrix go down as the standard rises is rejected."""
    assert expected in problems_after(change)


def test_monotone_false_lets_a_scale_go_down() -> None:
    """A scale declaring monotone: false may have a matrix that goes down."""
    data = base_data()
    matrix_goes_down(data)
    data["monotone"] = False
    assert qualscale.Scale.from_dict(data).rules.matrix["huge"]["critical"] == "S1"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["requirements"]["unit"].update(
                S1={"depth": "suite", "environment": "stagin"}
            ),
            "$.requirements.unit.S1.environment: unknown environment 'stagin'",
        ),
        (
            lambda d: d["requirements"]["unit"].update(S1="required everything"),
            "$.requirements.unit.S1: unknown depth of kind 'unit' 'everything'",
        ),
        (
            lambda d: d["requirements"]["unit"].update(S1={"depth": "everything", "gate": "G4"}),
            "$.requirements.unit.S1.depth: unknown depth of kind 'unit' 'everything'",
        ),
        (
            lambda d: d["requirements"].update(perf={"S1": "optional"}),
            "$.requirements.perf: unknown kind 'perf'; expected one of: unit, integration,",
        ),
        (
            lambda d: d["requirements"]["unit"].update(S6="required suite"),
            "$.requirements.unit.S6: unknown standard 'S6'; expected one of: S1, S2, S3, S4, S5",
        ),
        (
            lambda d: d["kinds"][0].update(environment="cl"),
            "$.kinds[0].environment: unknown environment 'cl'",
        ),
        (
            lambda d: d["kinds"][2]["depths"][1].update(gate="G33"),
            "$.kinds[2].depths[1].gate: unknown gate 'G33'",
        ),
        (
            lambda d: d["kinds"][2]["depths"].append("smoke"),
            "$.kinds[2].depths[3].id: duplicate depth of kind 'regression' id 'smoke'",
        ),
        (
            lambda d: d["rules"]["modifiers"][3]["requires"][0].update(depth="all"),
            "$.rules.modifiers[3].requires[0].depth: unknown depth of kind 'data-validation' 'all'",
        ),
        (
            lambda d: d["rules"]["modifiers"][3]["requires"][0].update(kind="data"),
            "$.rules.modifiers[3].requires[0].kind: unknown kind 'data'",
        ),
        (
            lambda d: d["rules"]["matrix"]["small"].update(low="S9"),
            "$.rules.matrix.small.low: unknown standard 'S9'",
        ),
        (
            lambda d: d["rules"]["matrix"].pop("huge"),
            "$.rules.matrix: size band 'huge' has no row",
        ),
        (
            lambda d: d["rules"]["risk"]["flags"].update(money="extreme"),
            "$.rules.risk.flags.money: unknown risk class 'extreme'",
        ),
        (
            lambda d: d["rules"]["modifiers"][0].update(ceiling="S0"),
            "$.rules.modifiers[0].ceiling: unknown standard 'S0'",
        ),
        (
            lambda d: d["rules"]["modifiers"][0]["when"].update(flags=["money"]),
            "$.rules.modifiers[0].when: not monotone: a ceiling may not depend on flags",
        ),
        (
            lambda d: d["rules"]["modifiers"][1]["when"].update(content=["config"]),
            "$.rules.modifiers[1].when: not monotone: a ceiling may not depend on content",
        ),
        (
            lambda d: d["rules"]["modifiers"][2]["when"].update(max_risk="high"),
            "$.rules.modifiers[2].when: not monotone: a floor or raise may not depend on max_risk",
        ),
        (
            lambda d: d["rules"]["modifiers"][2]["when"].update(content=["docs"]),
            "$.rules.modifiers[2].when: not monotone: a floor or raise may not depend on content",
        ),
        (
            lambda d: d["rules"]["risk"]["types"].update(hotifx="critical"),
            "$.rules.risk.types.hotifx: unknown delivery type 'hotifx'",
        ),
        (
            lambda d: d["rules"]["modifiers"][3]["when"].update(type=["hot-fix"]),
            "$.rules.modifiers[3].when.type[0]: unknown delivery type 'hot-fix'",
        ),
        (
            lambda d: d["requirements"]["unit"].pop("S1"),
            "$.standards[0]: standard 'S1' requires no test",
        ),
        (
            lambda d: d["kinds"].append(dict(d["kinds"][0])),
            "$.kinds[7].id: duplicate kind id 'unit'",
        ),
        (
            lambda d: d["rules"]["components"][2].update(flags=["mony"]),
            "$.rules.components[2].flags[0]: unknown flag 'mony'",
        ),
    ],
)
def test_unresolved_references_are_rejected(
    change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    """A scale naming unknown or duplicate ids, or non-monotone modifiers, is rejected."""
    found = problems_after(change)
    assert any(p.startswith(expected) for p in found), found


def test_structural_errors_use_key_paths() -> None:
    """A bad value inside a cell written as a mapping is named by its key path."""
    found = problems_after(lambda d: d["requirements"]["unit"].update(S3={"obligation": "must"}))
    assert found[0].startswith("$.requirements.unit.S3.obligation: expected one of")


def test_ids_must_be_identifiers() -> None:
    """A standard id with a space is rejected as not an identifier."""
    found = problems_after(lambda d: d["standards"][0].update(id="S 1"))
    assert found[0].startswith("$.standards[0].id: expected an identifier")


def test_scale_lookup_helpers(scale: qualscale.Scale) -> None:
    """A scale looks up ranks, standards and kinds by id and has a SHA-256 digest."""
    assert scale.rank("S1") == 1
    assert scale.standard("S3").name == "Extended"
    assert scale.kind("regression").depth_ids == ("smoke", "targeted", "full")
    assert len(scale.sha256) == 64


def test_sha256_changes_with_content(scale: qualscale.Scale) -> None:
    """Changing any content of a scale changes its SHA-256 digest."""
    data = scale.to_dict()
    data["description"] += "!"
    assert qualscale.Scale.from_dict(data).sha256 != scale.sha256


def test_shipped_files_are_plain_yaml() -> None:
    """Every shipped standards file is plain YAML holding a mapping."""
    for path in STANDARDS.glob("*.yaml"):
        assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_checklist_items_are_whole_sentences(path: Any) -> None:
    """Every criterion and checklist item of a shipped scale starts like a whole sentence."""
    # An unquoted comma inside a YAML flow list splits one item into two;
    # the second half then starts in lower case.
    scale = qualscale.load_scale(path)
    requirements = [r for s in scale.standards for r in scale.requires(s.id)]
    requirements += [scale.resolve(r.kind, r) for m in scale.rules.modifiers for r in m.requires]
    for req in requirements:
        for item in (*req.criteria, *req.checklist):
            assert item[:1].isupper() or item[:1].isdigit(), (req.kind, item)
