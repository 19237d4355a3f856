"""The steps of :func:`qualscale.classify`, each on its own, and the order they run in.

Every step is a pure function that returns its value and the reasons it adds to the
rationale; the tests here feed each one small real inputs from the default scale.
"""

from __future__ import annotations

import re
from typing import Any

import attrs
import pytest

import qualscale
from qualscale import Delivery, History, PastDelivery, Reason, classify
from qualscale._classify_findings import (
    _components,
    _flags,
    _matrix,
    _risk,
    _size,
    _Touched,
)
from qualscale._classify_moves import (
    _MOVES,
    _active,
    _adjustments,
    _AfterMatrix,
    _ceilings,
    _Facts,
    _floors,
    _history,
    _raises,
)
from qualscale.classification import _chosen
from qualscale.rules import Condition, HistoryRule, Modifier, RiskRules
from qualscale.scale import Standard
from tests._paths import ROOT

CONCEPTS = ROOT / "docs" / "concepts.md"


def delivery(**fields: Any) -> Delivery:
    fields.setdefault("id", "DEL-1")
    return Delivery.from_dict(fields)


def touched(scale: qualscale.Scale, **fields: Any) -> _Touched:
    return _components(delivery(**fields), scale.rules)


def after(
    scale: qualscale.Scale,
    *active: Modifier,
    history: History | None = None,
    project: str | None = None,
) -> _AfterMatrix:
    return _AfterMatrix(scale, active, history, project)


def past(*defects: int, project: str = "billing-core") -> History:
    return History(
        tuple(
            PastDelivery(id=f"D-{i}", project=project, escaped_defects=n)
            for i, n in enumerate(defects)
        )
    )


# ------------------------------------------------------------------ components and content


def test_components_named_first_then_found_from_paths(scale: qualscale.Scale) -> None:
    """Named components come first, then those the paths match, each once, in order found."""
    result = touched(
        scale,
        components=["auth"],
        paths=["src/rating/vat.py", "docs/vat.md", "src/rating/round.py", "src/auth/x.py"],
    )
    assert [c.id for c in result.components] == ["auth", "rating", "docs"]
    assert result.ids == frozenset({"auth", "rating", "docs"})


def test_path_matches_are_remembered_per_rule_list_not_across_lists(
    scale: qualscale.Scale,
) -> None:
    """A path is matched anew for another list of component rules, even an equal-looking one."""
    rules = scale.rules
    first = next(c for c in rules.components if c.id == "rating")
    moved = attrs.evolve(first, id="moved", paths=("src/rating/**",), priority=first.priority + 1)
    other = attrs.evolve(scale, rules=attrs.evolve(rules, components=(*rules.components, moved)))
    for _ in range(2):  # alternating: each list keeps its own remembered matches
        assert [c.id for c in touched(scale, paths=["src/rating/vat.py"]).components] == ["rating"]
        assert [c.id for c in touched(other, paths=["src/rating/vat.py"]).components] == ["moved"]


def test_content_is_the_riskiest_and_unmapped_paths_are_named(scale: qualscale.Scale) -> None:
    """Content is the riskiest file's (an unmapped path is code); unmapped paths are named."""
    result = touched(scale, paths=["docs/a.md", "deploy/values.yaml", "src/reports/x.py"])
    assert (result.content, result.unmapped) == ("code", ("src/reports/x.py",))
    assert result.reasons == (
        Reason("content", "content: code (3 changed paths)"),
        Reason("components", "1 path matches no component: src/reports/x.py"),
    )


def test_more_than_three_unmapped_paths_are_elided(scale: qualscale.Scale) -> None:
    """The reason for unmapped paths shows the first three, how many more, and where to see all."""
    result = touched(scale, paths=["a.py", "b.py", "c.py", "d.py"])
    assert result.reasons[-1] == Reason(
        "components",
        "4 paths match no component: a.py, b.py, c.py and 1 more (qualscale map lists them all)",
    )


def test_without_paths_content_is_unknown_and_nothing_is_said(scale: qualscale.Scale) -> None:
    """A delivery that only names components has content unknown and adds no reason."""
    result = touched(scale, components=["docs"])
    assert (result.content, result.unmapped, result.reasons) == ("unknown", (), ())


# ------------------------------------------------------------------ flags


def test_flags_add_what_components_carry_with_a_reason_each(scale: qualscale.Scale) -> None:
    """Components add the flags they carry, with a reason only for each flag not given already."""
    found = touched(scale, paths=["src/rating/x.py", "src/customers/y.py"])
    flags, reasons = _flags(delivery(flags=["money"]), found.components)
    assert flags == frozenset({"money", "personal-data"})
    assert reasons == (
        Reason("component:customer-data", "component customer-data carries flag personal-data"),
    )


# ------------------------------------------------------------------ size


@pytest.mark.parametrize(
    ("fields", "band", "message"),
    [
        (
            {"changes": {"lines_added": 120, "lines_removed": 30, "files": 4}},
            "medium",
            "150 lines -> medium, 4 files -> small; size medium",
        ),
        (
            {
                "changes": {"lines_added": 1, "lines_removed": 0},
                "paths": ["src/rating/a.py", "src/payments/b.py"],
            },
            "small",
            "1 line -> trivial, 2 files -> trivial, 2 components -> small; size small",
        ),
        (
            # tests and docs beside a fix do not spread it over subsystems
            {
                "changes": {"lines_added": 1, "lines_removed": 0},
                "paths": ["src/rating/a.py", "tests/a.py"],
            },
            "trivial",
            "1 line -> trivial, 1 file -> trivial, 1 component -> trivial; size trivial"
            " (1 test file not counted)",
        ),
        (
            {"changes": {"lines_added": 5000, "lines_removed": 0}},
            "huge",
            "5000 lines -> huge; size huge",
        ),
        (
            {},
            "medium",
            "no size figures: assumed at least medium (conservative); size medium",
        ),
        (
            # removed lines alone are a lower bound, not the size
            {"changes": {"lines_removed": 2}, "paths": ["src/x.py"]},
            "medium",
            "no lines_added: assumed at least medium (conservative); at least 2 lines -> trivial,"
            " 1 file -> trivial, 0 components -> trivial; size medium",
        ),
        (
            {"changes": {"lines_added": 5000}},
            "huge",
            "no lines_removed: assumed at least medium (conservative); at least 5000 lines -> huge;"
            " size huge",
        ),
        (
            {"changes": {}},
            "medium",
            "no size figures: assumed at least medium (conservative); size medium",
        ),
        (
            {"changes": {"files": 40}},
            "large",
            "no line counts: assumed at least medium (conservative); 40 files -> large; size large",
        ),
    ],
)
def test_size_is_the_largest_band_of_the_figures(
    scale: qualscale.Scale, fields: dict[str, Any], band: str, message: str
) -> None:
    """The size is the largest band of the figures, at least the unknown band without lines."""
    change = delivery(**fields)
    found = _components(change, scale.rules)
    size_index, reasons = _size(change, scale.rules, found)
    assert scale.rules.size.bands[size_index].id == band
    assert reasons == (Reason("size", message),)


# ------------------------------------------------------------------ risk


def test_risk_is_the_riskiest_factor_and_names_those_above_the_lowest(
    scale: qualscale.Scale,
) -> None:
    """The risk class is the riskiest factor; only factors above the lowest class are named."""
    change = delivery(type="bugfix", paths=["docs/a.md", "src/auth/login.py"])
    found = _components(change, scale.rules)
    flags, _ = _flags(change, found.components)
    risk_index, reasons = _risk(change, scale.rules, found, flags)
    assert scale.rules.risk.classes[risk_index] == "high"
    assert reasons == (
        Reason("component:auth", "component auth is high risk"),
        Reason("flag:security", "flag security is high risk"),
        Reason("type:bugfix", "type bugfix is medium risk"),
        Reason("risk", "risk class high"),
    )


def test_missing_type_and_unmapped_paths_are_risk_factors(scale: qualscale.Scale) -> None:
    """No change type and paths outside every component each bring the scale's assumed class."""
    change = delivery(paths=["src/reports/x.py"])
    risk_index, reasons = _risk(change, scale.rules, _components(change, scale.rules), frozenset())
    assert scale.rules.risk.classes[risk_index] == "medium"
    assert [r.message for r in reasons] == [
        "no change type given: assumed medium risk",
        "paths outside every component: medium risk",
        "risk class medium",
    ]


def test_without_any_factor_the_risk_is_the_lowest_and_says_so(scale: qualscale.Scale) -> None:
    """With no factor at all the risk is the lowest class, and the reason says none applies."""
    rules = attrs.evolve(scale.rules, risk=RiskRules(classes=("low", "high")))
    nothing = _Touched(components=(), content="unknown", unmapped=(), reasons=())
    assert _risk(delivery(), rules, nothing, frozenset()) == (
        0,
        (Reason("risk", "risk class low (no risk factor applies)"),),
    )


# ------------------------------------------------------------------ matrix


def test_matrix_gives_the_rank_of_the_standard_it_names(scale: qualscale.Scale) -> None:
    """The matrix step returns the rank of the standard for the size band and risk class."""
    large = [b.id for b in scale.rules.size.bands].index("large")
    critical = scale.rules.risk.classes.index("critical")
    assert _matrix(scale, large, critical) == (
        scale.rank("S5"),
        (Reason("matrix", "large x critical gives S5"),),
    )


# ------------------------------------------------------------------ which modifiers apply


def test_active_modifiers_are_those_whose_condition_holds(scale: qualscale.Scale) -> None:
    """The modifiers whose condition holds for the facts are active, in the scale's order."""
    docs_low = _Facts("docs", frozenset(), frozenset({"docs"}), "docs", size=4, risk=0)
    assert [m.id for m in _active(scale.rules, docs_low)] == ["docs-only", "config-only"]
    docs_medium = attrs.evolve(docs_low, risk=1)  # docs-only holds up to low risk only
    assert [m.id for m in _active(scale.rules, docs_medium)] == ["config-only"]


# ------------------------------------------------------------------ moving the standard


def test_raises_go_up_by_raise_by_and_stop_at_the_top(scale: qualscale.Scale) -> None:
    """A raise moves the standard up by its raise_by, never past the top standard."""
    up_two = Modifier(id="up-two", raise_by=2, message="Riskier than it looks")
    assert _raises(2, after(scale, up_two)) == (
        4,
        (Reason("modifier:up-two", "Riskier than it looks (raised): S2 -> S4"),),
    )
    assert _raises(4, after(scale, up_two)) == (
        5,
        (Reason("modifier:up-two", "Riskier than it looks (raised): S4 -> S5"),),
    )
    assert _raises(5, after(scale, up_two)) == (5, ())


def test_a_modifier_without_message_is_described_by_its_condition(scale: qualscale.Scale) -> None:
    """A modifier without a message is named by its id and its condition in the reason."""
    bare = Modifier(id="bare", when=Condition(type=("hotfix",)), raise_by=1)
    assert _raises(1, after(scale, bare))[1] == (
        Reason("modifier:bare", "bare (type in [hotfix]): raised: S1 -> S2"),
    )


def test_history_raises_when_a_measure_reaches_its_threshold(scale: qualscale.Scale) -> None:
    """A history rule raises the standard at its threshold, naming the deliveries that did."""
    bad_month = after(scale, history=past(0, 1, 0, 1), project="billing-core")
    assert _history(2, bad_month) == (
        3,
        (
            Reason(
                "history:escaped-defects",
                "Defects escaped to production recently: 2 escaped defects in the last 4"
                " deliveries (threshold 2), from D-1, D-3: S2 -> S3",
            ),
        ),
    )


def test_history_counts_only_the_project_and_the_window(scale: qualscale.Scale) -> None:
    """Other projects' deliveries, deliveries outside the window and no history move nothing."""
    assert _history(2, after(scale, history=None)) == (2, ())
    other = after(scale, history=past(3, project="self-care"), project="billing-core")
    assert _history(2, other) == (2, ())
    old = after(scale, history=past(2, 2, 0, 0, 0, 0, 0), project="billing-core")
    assert _history(2, old) == (2, ())


def test_history_rule_without_message_states_the_figure(scale: qualscale.Scale) -> None:
    """A history rule without a message gives just the figure that made it fire."""
    rule = HistoryRule(id="any-defect", measure="escaped_defects", window=3, at_least=1)
    quiet = attrs.evolve(scale, rules=attrs.evolve(scale.rules, history=(rule,)))
    assert _history(1, after(quiet, history=past(1)))[1] == (
        Reason(
            "history:any-defect",
            "1 escaped defects in the last 1 deliveries (threshold 1), from D-0: S1 -> S2",
        ),
    )


def test_ceilings_cap_the_standard_and_leave_lower_ones_alone(scale: qualscale.Scale) -> None:
    """A ceiling lowers a standard above it to the ceiling and leaves one at or below it alone."""
    cap = Modifier(id="cap", ceiling="S2", message="Cheap to test")
    assert _ceilings(4, after(scale, cap)) == (
        2,
        (Reason("modifier:cap", "Cheap to test (at most S2): S4 -> S2"),),
    )
    assert _ceilings(2, after(scale, cap)) == (2, ())


def test_floors_lift_the_standard_and_leave_higher_ones_alone(scale: qualscale.Scale) -> None:
    """A floor lifts a standard below it to the floor and leaves one at or above it alone."""
    floor = Modifier(id="floor", floor="S4", message="Never below S4")
    assert _floors(1, after(scale, floor)) == (
        4,
        (Reason("modifier:floor", "Never below S4 (at least S4): S1 -> S4"),),
    )
    assert _floors(5, after(scale, floor)) == (5, ())


def test_moves_run_raises_history_ceilings_then_floors(scale: qualscale.Scale) -> None:
    """The moves run in order: a ceiling caps raises and history, and a floor beats a ceiling."""
    situation = after(
        scale,
        Modifier(id="cap", ceiling="S2"),
        Modifier(id="floor", floor="S3"),
        Modifier(id="up", raise_by=1),
        history=past(1, 1),
    )
    rank, rules = 1, []
    for move in _MOVES:
        rank, reasons = move(rank, situation)
        rules += [(r.rule, r.message.rsplit(": ", 1)[1]) for r in reasons]
    assert (rank, rules) == (
        3,
        [
            ("modifier:up", "S1 -> S2"),
            ("history:escaped-defects", "S2 -> S3"),
            ("modifier:cap", "S3 -> S2"),
            ("modifier:floor", "S2 -> S3"),
        ],
    )


def test_concepts_page_lists_the_steps_in_the_order_of_the_code() -> None:
    """docs/concepts.md lists the modifier actions in the order of _MOVES, then required tests."""
    text = CONCEPTS.read_text(encoding="utf-8")
    section = text.split("### 5. Modifiers and history", 1)[1].split("\n### ", 1)[0]
    listed = re.findall(r"^\d+\. \*\*([^*]+)\*\*", section, re.MULTILINE)
    step = {
        "raises": _raises,
        "history rules": _history,
        "ceilings": _ceilings,
        "floors": _floors,
        "required tests": _adjustments,
    }
    assert [step[name] for name in listed] == [*_MOVES, _adjustments]


# ------------------------------------------------------------------ required tests and verdict


def test_adjustments_are_the_active_modifiers_requirements(scale: qualscale.Scale) -> None:
    """Each requirement of an active modifier becomes an adjustment and a reason, in order."""
    schema_change = next(m for m in scale.rules.modifiers if m.id == "schema-change")
    adjustments, reasons = _adjustments([schema_change], scale)
    because = (
        "A schema change is never below S4 and needs its data validated"
        " (data-validation required, at least reconciliation)"
    )
    assert [(a.requirement, a.rule, a.because) for a in adjustments] == [
        (
            scale.resolve("data-validation", schema_change.requires[0]),
            "modifier:schema-change",
            because,
        )
    ]
    assert reasons == (Reason("modifier:schema-change", because),)


def test_chosen_standard_is_named_with_its_name_when_it_has_one() -> None:
    """The last reason names the chosen standard, with its name in brackets when it has one."""
    assert _chosen(Standard(id="S3", name="Extended")) == Reason(
        "standard", "standard S3 (Extended)"
    )
    assert _chosen(Standard(id="S3")) == Reason("standard", "standard S3")


# ------------------------------------------------------------------ the steps together


def test_rationale_is_the_reasons_of_the_steps_in_step_order(scale: qualscale.Scale) -> None:
    """classify's rationale is the reasons of each step, concatenated in the order they run."""
    change = delivery(
        type="hotfix",
        project="billing-core",
        changes={"lines_added": 14, "lines_removed": 3},
        paths=["src/payments/callback.py", "src/reports/x.py"],
    )
    history = past(1, 0, 1)
    result = classify(change, scale, history)
    found = _components(change, scale.rules)
    flags, flag_reasons = _flags(change, found.components)
    size_index, size_reasons = _size(change, scale.rules, found)
    risk_index, risk_reasons = _risk(change, scale.rules, found, flags)
    rank, matrix_reasons = _matrix(scale, size_index, risk_index)
    expected = [*found.reasons, *flag_reasons, *size_reasons, *risk_reasons, *matrix_reasons]
    facts = _Facts(change.type, flags, found.ids, found.content, size_index, risk_index)
    situation = after(scale, *_active(scale.rules, facts), history=history, project="billing-core")
    for move in _MOVES:
        rank, moved = move(rank, situation)
        expected += moved
    expected += [*_adjustments(situation.active, scale)[1], _chosen(scale.standards[rank - 1])]
    assert list(result.rationale) == expected
    assert {r.rule for r in result.rationale} >= {"history:escaped-defects", "modifier:hotfix"}
