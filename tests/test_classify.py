"""Classification: size band, risk class, standard and the rationale behind them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

import qualscale
from qualscale import Delivery, DeliveryError, History, PastDelivery, classify
from qualscale.classification import match_path
from qualscale.rules import ComponentRule, Condition, Modifier


def delivery(**fields: Any) -> Delivery:
    fields.setdefault("id", "DEL-1")
    return Delivery.from_dict(fields)


def rules_fired(classification: qualscale.Classification) -> list[str]:
    return [r.rule for r in classification.rationale]


@pytest.mark.parametrize(
    ("fields", "size", "risk", "standard"),
    [
        # docs typo
        (
            {
                "type": "docs",
                "changes": {"lines_added": 1, "lines_removed": 1},
                "paths": ["docs/guide.md"],
            },
            "trivial",
            "low",
            "S1",
        ),
        # UI label fix
        (
            {
                "type": "bugfix",
                "changes": {"lines_added": 2, "lines_removed": 2},
                "paths": ["web/portal/List.tsx"],
            },
            "trivial",
            "medium",
            "S1",
        ),
        # small feature outside every component
        (
            {
                "type": "feature",
                "changes": {"lines_added": 30, "lines_removed": 5},
                "paths": ["src/reports/export.py"],
            },
            "small",
            "medium",
            "S2",
        ),
        # a 2,000-line change to the rating engine
        (
            {
                "type": "feature",
                "changes": {"lines_added": 1600, "lines_removed": 400},
                "paths": ["src/rating/engine.py"],
            },
            "huge",
            "critical",
            "S5",
        ),
        # money hotfix, small
        (
            {
                "type": "hotfix",
                "changes": {"lines_added": 14, "lines_removed": 3},
                "paths": ["src/payments/callback.py"],
            },
            "small",
            "critical",
            "S3",
        ),
        # data migration: never below S4
        (
            {
                "type": "data-migration",
                "changes": {"lines_added": 20, "lines_removed": 0},
                "paths": ["migrations/0042_split_contracts.sql"],
            },
            "small",
            "critical",
            "S4",
        ),
        # schema change flag alone floors at S4
        (
            {
                "type": "feature",
                "changes": {"lines_added": 4, "lines_removed": 0},
                "flags": ["schema-change"],
            },
            "trivial",
            "high",
            "S4",
        ),
        # config-only change: at most S2 even when it is large
        (
            {
                "type": "config",
                "changes": {"lines_added": 900, "lines_removed": 0},
                "paths": ["deploy/values.yaml"],
            },
            "large",
            "medium",
            "S2",
        ),
        # a release is never below S3
        (
            {
                "type": "release",
                "changes": {"lines_added": 3, "lines_removed": 0},
                "paths": ["CHANGELOG.md"],
            },
            "trivial",
            "high",
            "S3",
        ),
    ],
)
def test_classification_table(
    scale: qualscale.Scale, fields: dict[str, Any], size: str, risk: str, standard: str
) -> None:
    """Each typical delivery gets its expected size band, risk class and standard."""
    result = classify(delivery(**fields), scale)
    assert (result.size, result.risk, result.standard.id) == (size, risk, standard)
    assert result.rank == scale.rank(standard)


def test_docs_only_change_is_capped_even_when_large(scale: qualscale.Scale) -> None:
    """A docs-only change is capped at S1 by the docs-only ceiling, however large."""
    result = classify(
        delivery(
            type="docs",
            changes={"lines_added": 4000, "lines_removed": 0},
            paths=["docs/a.md", "README.md"],
        ),
        scale,
    )
    assert result.content == "docs"
    assert result.standard.id == "S1"
    assert "modifier:docs-only" in rules_fired(result)


def test_docs_plus_code_is_not_docs_only(scale: qualscale.Scale) -> None:
    """A change touching docs and code counts as code and escapes the docs-only ceiling."""
    result = classify(
        delivery(
            changes={"lines_added": 400, "lines_removed": 0}, paths=["docs/a.md", "src/rating/x.py"]
        ),
        scale,
    )
    assert result.content == "code"
    assert "modifier:docs-only" not in rules_fired(result)


def test_missing_size_figures_are_classified_conservatively(scale: qualscale.Scale) -> None:
    """A delivery without size figures is assumed to be at least medium, and says so."""
    result = classify(delivery(type="feature"), scale)
    assert result.size == "medium"
    size_reason = next(r for r in result.rationale if r.rule == "size")
    assert size_reason.message.startswith("no size figures: assumed at least medium")


@pytest.mark.parametrize(
    "changes",
    [{}, {"lines_removed": 2}, {"lines_added": 2}, {"files": 1}, {"lines_removed": 0, "files": 1}],
    ids=repr,
)
@pytest.mark.parametrize("paths", [[], ["src/payments/sepa/retry.py"], ["web/x.ts"]], ids=repr)
def test_partial_size_figures_never_look_cheaper_than_none(
    scale: qualscale.Scale, changes: dict[str, int], paths: list[str]
) -> None:
    """A delivery with some size figures missing gets at least the standard of one with none."""
    without = classify(delivery(type="bugfix", paths=paths), scale)
    partial = classify(delivery(type="bugfix", paths=paths, changes=changes), scale)
    assert partial.rank >= without.rank


RETRY = "src/payments/sepa/retry.py"
RETRY_FIX = {
    "lines_added": 3,
    "lines_removed": 1,
    "files": 1,
    "by_path": {RETRY: {"added": 3, "removed": 1}},
}


@pytest.mark.parametrize(
    ("changes", "paths", "standard", "size_message"),
    [
        # the fix: 4 lines in the SEPA retry
        (
            RETRY_FIX,
            [RETRY],
            "S2",
            "4 lines -> trivial, 1 file -> trivial, 1 component -> trivial; size trivial",
        ),
        # the same fix with an 80-line test file stays S2
        (
            {
                "lines_added": 83,
                "lines_removed": 1,
                "files": 2,
                "by_path": {
                    RETRY: {"added": 3, "removed": 1},
                    "tests/payments/test_retry.py": {"added": 80},
                },
            },
            [RETRY, "tests/payments/test_retry.py"],
            "S2",
            "4 lines -> trivial, 1 file -> trivial, 1 component -> trivial;"
            " size trivial (80 test lines, 1 test file not counted)",
        ),
        # and with its docs too
        (
            {
                "lines_added": 109,
                "lines_removed": 1,
                "files": 3,
                "by_path": {
                    RETRY: {"added": 3, "removed": 1},
                    "tests/payments/test_retry.py": {"added": 80},
                    "docs/payments/retries.md": {"added": 26},
                },
            },
            [RETRY, "tests/payments/test_retry.py", "docs/payments/retries.md"],
            "S2",
            "4 lines -> trivial, 1 file -> trivial, 1 component -> trivial;"
            " size trivial (26 docs lines, 80 test lines, 1 docs file, 1 test file not counted)",
        ),
        # without lines per path, the total is all the delivery says: it counts
        (
            {"lines_added": 83, "lines_removed": 1, "files": 2},
            [RETRY, "tests/payments/test_retry.py"],
            "S4",
            "84 lines -> medium, 1 file -> trivial, 1 component -> trivial;"
            " size medium (1 test file not counted)",
        ),
        # lines of a path outside every component are code, and count
        (
            {"lines_added": 83, "lines_removed": 1, "by_path": {"tools/gen.py": {"added": 80}}},
            [RETRY, "tools/gen.py"],
            "S4",
            "84 lines -> medium, 2 files -> trivial, 1 component -> trivial; size medium",
        ),
    ],
)
def test_size_counts_the_content_the_scale_counts(
    scale: qualscale.Scale,
    changes: dict[str, Any],
    paths: list[str],
    standard: str,
    size_message: str,
) -> None:
    """Lines and files of tests and docs never count toward size on the default scale."""
    result = classify(delivery(type="bugfix", changes=changes, paths=paths), scale)
    messages = {r.rule: r.message for r in result.rationale}
    assert (standard, size_message) == (result.standard.id, messages["size"])


def test_a_scale_can_count_test_lines(scale: qualscale.Scale) -> None:
    """A scale whose ``size.counts`` names ``test`` sizes a delivery by its test lines too."""
    counting = attrs.evolve(
        scale,
        rules=attrs.evolve(
            scale.rules, size=attrs.evolve(scale.rules.size, counts=("code", "test"))
        ),
    )
    change = delivery(
        type="bugfix",
        changes={
            "lines_added": 83,
            "lines_removed": 1,
            "by_path": {RETRY: {"added": 3, "removed": 1}, "tests/test_retry.py": {"added": 80}},
        },
        paths=[RETRY, "tests/test_retry.py"],
    )
    assert (classify(change, scale).size, classify(change, counting).size) == ("trivial", "medium")


def test_lines_per_path_round_trip() -> None:
    """A delivery with lines per path reads back from its own plain data."""
    change = delivery(
        changes={
            "lines_added": 2,
            "lines_removed": 1,
            "by_path": {"a.py": {"added": 2, "removed": 1}},
        }
    )
    assert Delivery.from_dict(change.to_dict()) == change
    assert change.changes.by_path["a.py"].lines == 3


@pytest.mark.parametrize(
    ("paths", "standard", "type_reason"),
    [
        (
            ["docs/guide.md"],
            "S1",
            "no change type given: no risk assumed, every changed path is docs"
            " (content that does not count toward size)",
        ),
        (
            ["tests/payments/test_retry.py"],
            "S1",
            "no change type given: no risk assumed, every changed path is test"
            " (content that does not count toward size)",
        ),
        (
            ["README.md", "tests/test_x.py"],
            "S1",
            "no change type given: no risk assumed, every changed path is docs or test"
            " (content that does not count toward size)",
        ),
        # code beside the docs: the missing type is a risk again
        (["docs/guide.md", "src/reports/x.py"], "S3", "no change type given: assumed medium risk"),
        (["deploy/values.yaml"], "S2", "no change type given: assumed medium risk"),
    ],
)
def test_content_only_ceilings_need_no_type(
    scale: qualscale.Scale, paths: list[str], standard: str, type_reason: str
) -> None:
    """A docs- or tests-only delivery without a type is S1; with counted content it is not."""
    changes = {"lines_added": 400, "lines_removed": 20}
    result = classify(delivery(changes=changes, paths=paths), scale)
    messages = {r.rule: r.message for r in result.rationale}
    assert (standard, type_reason) == (result.standard.id, messages["type:unknown"])


@pytest.mark.parametrize(
    ("fields", "skipped"),
    [
        (
            {"type": "docs", "paths": ["docs/security.md"], "flags": ["security"]},
            {
                "skipped:docs-only": "Documentation- or test-only changes are never above S1:"
                " not applied (ceiling S1), risk high is above max_risk low",
                "skipped:config-only": "Changes to configuration, tests and docs only are never"
                " above S2: not applied (ceiling S2), risk high is above max_risk medium",
            },
        ),
        (
            {"type": "bugfix", "paths": ["tests/test_api.py"]},
            {
                "skipped:docs-only": "Documentation- or test-only changes are never above S1:"
                " not applied (ceiling S1), risk medium is above max_risk low"
            },
        ),
        # a code change is not what the content ceilings are about: nothing to say
        ({"type": "feature", "paths": ["src/payments/x.py"]}, {}),
    ],
)
def test_a_ceiling_considered_and_skipped_says_why(
    scale: qualscale.Scale, fields: dict[str, Any], skipped: dict[str, str]
) -> None:
    """A ceiling whose delivery is of its kind but misses a risk bound is named with the bound."""
    changes = {"lines_added": 400, "lines_removed": 20}
    result = classify(delivery(changes=changes, **fields), scale)
    found = {r.rule: r.message for r in result.rationale if r.rule.startswith("skipped:")}
    assert skipped == found


def test_a_floor_considered_and_skipped_says_why() -> None:
    """A floor that misses its size bound is named in the rationale with that bound."""
    scale = qualscale.load_scale()
    floor = Modifier(
        id="big-money",
        when=Condition(flags=("money",), min_size="large"),
        floor="S5",
    )
    scale = attrs.evolve(scale, rules=attrs.evolve(scale.rules, modifiers=(floor,)))
    change = delivery(
        type="bugfix", changes={"lines_added": 3, "lines_removed": 1}, flags=["money"]
    )
    messages = {r.rule: r.message for r in classify(change, scale).rationale}
    assert messages["skipped:big-money"] == (
        "big-money: not applied (floor S5), size trivial is below min_size large"
    )


def test_missing_type_is_classified_conservatively(scale: qualscale.Scale) -> None:
    """A delivery without a type is assumed to be of medium risk, and says so."""
    result = classify(
        delivery(changes={"lines_added": 1, "lines_removed": 0}, paths=["web/x.ts"]), scale
    )
    assert result.risk == "medium"
    assert any(
        r.rule == "type:unknown" and "assumed medium risk" in r.message for r in result.rationale
    )


def test_components_carry_their_flags(scale: qualscale.Scale) -> None:
    """A path in a component brings that component and its risk flags into the result."""
    result = classify(delivery(paths=["src/invoicing/pdf.py"]), scale)
    assert result.components == ("invoicing",)
    assert result.flags == ("money",)


def test_rationale_names_the_figures(scale: qualscale.Scale) -> None:
    """The rationale quotes the figures behind the size, component, matrix and standard."""
    result = classify(
        delivery(
            type="feature",
            changes={"lines_added": 120, "lines_removed": 30, "files": 4},
            paths=["src/rating/vat.py"],
        ),
        scale,
    )
    messages = {r.rule: r.message for r in result.rationale}
    assert messages["size"] == (
        "150 lines -> medium, 4 files -> small, 1 component -> trivial; size medium"
    )
    assert messages["component:rating"] == "component rating is critical risk"
    assert messages["matrix"] == "medium x critical gives S4"
    assert rules_fired(result)[-1] == "standard"


def test_unknown_flag_is_an_error_not_ignored(scale: qualscale.Scale) -> None:
    """An unknown flag raises a located DeliveryError listing known flags and a suggestion."""
    with pytest.raises(DeliveryError) as exc:
        classify(delivery(flags=["mony"]), scale)
    assert str(exc.value.problems[0]) == (
        "<data>: $.flags[0]: unknown flag 'mony'; the scale knows: money, personal-data, "
        "security, external-interface, schema-change, performance-sensitive "
        "(did you mean 'money'?)"
    )


def test_unknown_component_is_an_error(scale: qualscale.Scale) -> None:
    """An unknown component named by a delivery raises a DeliveryError."""
    with pytest.raises(DeliveryError, match="unknown component 'ratings'"):
        classify(delivery(components=["ratings"]), scale)


def history(*defects: int, project: str = "billing-core") -> History:
    return History(
        tuple(
            PastDelivery(id=f"D-{i}", project=project, escaped_defects=n)
            for i, n in enumerate(defects)
        )
    )


def test_escaped_defects_raise_the_standard(scale: qualscale.Scale) -> None:
    """Enough escaped defects in the recent history raise the standard one step, with a reason."""
    change = delivery(
        type="feature",
        project="billing-core",
        changes={"lines_added": 30, "lines_removed": 0},
        paths=["src/reports/x.py"],
    )
    assert classify(change, scale).standard.id == "S2"
    raised = classify(change, scale, history(0, 1, 0, 1))
    assert raised.standard.id == "S3"
    reason = next(r for r in raised.rationale if r.rule == "history:escaped-defects")
    assert (
        "2 escaped defects in the last 4 deliveries (threshold 2), from D-1, D-3: S2 -> S3"
        in reason.message
    )


def test_history_of_other_projects_does_not_count(scale: qualscale.Scale) -> None:
    """Past deliveries of other projects leave the classification unchanged."""
    change = delivery(
        project="billing-core", changes={"lines_added": 30, "lines_removed": 0}, paths=["src/x.py"]
    )
    assert classify(change, scale, history(3, 3, project="other")) == classify(change, scale)


def test_only_the_window_counts(scale: qualscale.Scale) -> None:
    """Defects older than the history window do not raise the standard."""
    change = delivery(
        project="billing-core", changes={"lines_added": 30, "lines_removed": 0}, paths=["src/x.py"]
    )
    old_defects = history(2, 2, 0, 0, 0, 0, 0)
    assert classify(change, scale, old_defects).standard == classify(change, scale).standard


def test_floor_wins_over_ceiling(scale: qualscale.Scale) -> None:
    """A schema-change floor outranks the docs-only ceiling on the same delivery."""
    # A "docs" delivery flagged as a schema change: the floor must hold.
    result = classify(
        delivery(
            type="docs",
            paths=["docs/schema.md"],
            flags=["schema-change"],
            changes={"lines_added": 1, "lines_removed": 0},
        ),
        scale,
    )
    assert result.standard.id == "S4"


def test_safety_scale_is_decided_by_integrity_level() -> None:
    """On the safety scale the component's integrity level and flags decide the level."""
    scale = qualscale.load_scale("safety-levels")
    tiny = {"changes": {"lines_added": 1, "lines_removed": 0}}
    assert classify(delivery(paths=["src/hmi/x.c"], **tiny), scale).standard.id == "L1"
    assert classify(delivery(paths=["src/protection/x.c"], **tiny), scale).standard.id == "L4"
    assert (
        classify(
            delivery(paths=["src/hmi/x.c"], flags=["safety-function"], **tiny), scale
        ).standard.id
        == "L3"
    )


@pytest.mark.parametrize(
    ("path", "component"),
    [
        ("docs/index.md", "docs"),
        ("src/rating/README.md", "docs"),
        ("src/rating/engine.py", "rating"),
        ("tariffs/2027/energy.csv", "rating"),
        ("data/tariff-gas.csv", "rating"),
        ("db/migrations/0001.sql", "migrations"),
        ("reports/monthly.sql", "migrations"),
        ("tests/rating/test_vat.py", "tests"),
        ("src/ratingx/engine.py", None),
        ("Dockerfile", "config"),
        ("pyproject.toml", "config"),
        ("src/other.py", None),
    ],
)
def test_path_globs(scale: qualscale.Scale, path: str, component: str | None) -> None:
    """Each path maps to the first component whose glob matches it, or to none."""
    rule = match_path(path, scale.rules.components)
    assert (rule.id if rule else None) == component


@pytest.mark.parametrize(
    ("path", "component"),
    [
        ("docs/../src/rating/vat.py", "rating"),
        ("./src//rating/./vat.py", "rating"),
        ("src/rating/vat\n.py", "rating"),
        ("src/rating/\nvat.py", "rating"),
    ],
)
def test_delivery_paths_are_classified_in_normal_form(
    scale: qualscale.Scale, path: str, component: str
) -> None:
    """A delivery path is classified as the file it names: ``..`` and newlines cannot hide it."""
    delivery = Delivery.from_dict({"id": "X", "paths": [path]})
    assert classify(delivery, scale).components == (component,)


def test_every_glob_of_a_component_must_match_the_whole_path() -> None:
    """A component glob matches a whole path, never a prefix or a look-alike directory."""
    rule = ComponentRule(id="c", criticality="low", paths=("src/a/**", "docs/*.md", "*.sql"))
    assert match_path("docs/x.md", [rule]) is rule
    assert match_path("db/m.sql", [rule]) is rule
    assert match_path("src/a/deep/x.py", [rule]) is rule
    assert match_path("docs/x.md.bak", [rule]) is None
    assert match_path("src/ab/x.py", [rule]) is None


def test_a_misspelt_content_in_size_counts_is_refused_at_its_line(tmp_path: Path) -> None:
    """``rules.size.counts`` takes content names only; a typo is a located ScaleError."""
    path = tmp_path / "overlay.yaml"
    path.write_text("extends: billing-saas\nrules:\n  size:\n    counts: [code, tests]\n")
    with pytest.raises(qualscale.ScaleError) as info:
        qualscale.load_scale(path)
    assert str(info.value.problems[0]) == (
        f"{path}:4: $.rules.size.counts[1]: expected one of 'docs', 'test', 'config', 'data',"
        " 'code'; found string 'tests' (did you mean 'test'?)"
    )
