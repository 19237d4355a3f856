"""Replay's effort estimate: the hours of the required kinds under each scale, per delivery."""

from __future__ import annotations

import copy
import json
from typing import Any

import attrs
import pytest

import qualscale
from qualscale import Delivery, plan
from qualscale._calibrate_report import render_replay
from qualscale.cli import main
from qualscale.delivery import Changes
from qualscale.records import Decision, Record
from qualscale.replay import prices, replay, summarize
from tests._paths import EXAMPLES
from tests.test_render import check_golden

BASE = qualscale.load_scale("billing-saas")


def costed(scale: qualscale.Scale, **hours: float) -> qualscale.Scale:
    """``scale`` with these costs on its kinds (``data_validation`` for ``data-validation``)."""
    data: dict[str, Any] = copy.deepcopy(scale.to_dict())
    for kind in data["kinds"]:
        kind["cost"] = hours.get(kind["id"].replace("-", "_"), kind["cost"])
    return qualscale.Scale.from_dict(data)


def records() -> list[Record]:
    """Four deliveries a day apart: a docs fix, a refactor, a money feature and a migration."""
    items = [
        Delivery("D-1", type="docs", changes=Changes(3, 1, 1), paths=("docs/guide.md",)),
        Delivery("D-2", type="refactor", changes=Changes(60, 40, 4), paths=("lib/util.py",)),
        Delivery("D-3", type="feature", changes=Changes(400, 20, 9), flags=("money",)),
        Delivery("D-4", type="data-migration", changes=Changes(80, 5, 3), flags=("schema-change",)),
    ]
    return [
        Record(attrs.evolve(d, date=f"2026-03-0{i}"), defect_inducing=i == 3)
        for i, d in enumerate(items, 1)
    ]


def hours(kinds: tuple[str, ...], scale: qualscale.Scale) -> float:
    """The hours of ``kinds`` at ``scale``'s costs, counted the plain way."""
    return sum(scale.kind(k).cost or 0.0 for k in kinds)


def test_each_delivery_is_estimated_at_each_scales_own_costs() -> None:
    """A row's effort is the sum of the costs of its required kinds, old and new apart."""
    new = costed(BASE, unit=1, integration=3, regression=2, performance=16, security=6)
    old = costed(BASE, unit=2, integration=3, regression=1, performance=12, security=6)
    for row, record in zip(replay(records(), new, old), records(), strict=True):
        assert row.effort == hours(plan(record.delivery, new).required_kinds, new)
        assert row.old_effort == hours(plan(record.delivery, old).required_kinds, old)


def test_the_summary_adds_up_the_rows_and_each_kind() -> None:
    """Totals, difference and per-kind figures agree with the rows; unpriced kinds are named."""
    new = costed(BASE, unit=1, regression=2, performance=16)
    old = costed(BASE, unit=2, regression=1, performance=12)
    rows = replay(records(), new, old)
    effort = summarize(rows, new, old).effort
    assert effort is not None
    assert effort.hours == sum(r.effort or 0 for r in rows)
    assert effort.before == sum(r.old_effort or 0 for r in rows)
    assert effort.difference == effort.hours - effort.before
    assert effort.compared == 4
    for kind in effort.kinds:
        now = sum(1 for r in rows if kind.kind in r.required)
        was = sum(1 for r in rows if kind.kind in r.old_required)
        assert (kind.hours, kind.before) == (now * kind.cost, was * kind.old_cost)
    assert sum(k.hours for k in effort.kinds) == effort.hours
    required = {k for r in rows for k in (*r.required, *r.old_required)}
    assert set(effort.not_counted) == required - {"unit", "regression", "performance"}
    assert "integration" in effort.not_counted
    text = render_replay(summarize(rows, new, old), new.name, old.name, "text")
    assert [line.split()[:4] for line in text.splitlines() if line.startswith("unit ")] == [
        ["unit", "1", "(was", "2)"]
    ]


def test_a_kind_only_one_scale_prices_costs_the_same_on_both_sides() -> None:
    """Against a scale without costs, the difference is the priced kinds newly required."""
    new = costed(BASE, security=6, performance=16)
    assert prices(new, BASE) == ({"performance": 16, "security": 6},) * 2
    rows = replay(records(), new, BASE)
    effort = summarize(rows, new, BASE).effort
    assert effort is not None
    assert effort.difference == 0.0  # the same standards: the same kinds, the same hours
    assert effort.before == effort.hours > 0


def test_recorded_decisions_take_the_new_scales_costs() -> None:
    """As recorded, the old kinds are priced at the new scale's costs; undecided rows are apart."""
    new = costed(BASE, unit=1, performance=16)
    items = records()
    items[0] = Record(items[0].delivery, decision=Decision("S3", 3, "M", "medium", (), ("unit",)))
    items[1] = Record(
        items[1].delivery, decision=Decision("S4", 4, "L", "high", (), ("unit", "performance"))
    )
    rows = replay(items, new)
    assert [r.old_effort for r in rows] == [1.0, 17.0, None, None]
    effort = summarize(rows, new).effort
    assert effort is not None
    assert (effort.compared, effort.before) == (2, 18.0)
    assert effort.difference == (rows[0].effort or 0) + (rows[1].effort or 0) - 18.0


def test_without_costs_there_is_no_estimate() -> None:
    """No scale gives costs: rows carry none, the summary has none, reports say nothing of it."""
    rows = replay(records(), BASE, BASE)
    assert {(r.effort, r.old_effort) for r in rows} == {(None, None)}
    summary = summarize(rows, BASE, BASE)
    assert summary.effort is None
    assert summary.to_dict()["effort"] is None
    assert rows[0].to_dict()["effort"] is None


ARGS = [
    "replay",
    "--history",
    str(EXAMPLES / "history.jsonl"),
    "--scale",
    str(EXAMPLES / "costed-scale.yaml"),
    "--against",
    "billing-saas",
]


@pytest.mark.parametrize(("fmt", "suffix"), [("text", "txt"), ("markdown", "md")])
def test_the_example_replay_with_costs_matches_golden_file(
    fmt: str, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shipped costed overlay against billing-saas: the effort lines and table as shown."""
    assert main([*ARGS, "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "Not counted (no cost given): data-validation" in out
    check_golden(f"replay-costed.{suffix}", out)


def test_the_json_report_and_jsonl_lines_carry_the_estimate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """JSON has the totals and kinds; each JSON line has the delivery's hours now and before."""
    assert main([*ARGS, "--format", "json"]) == 0
    effort = json.loads(capsys.readouterr().out)["effort"]
    assert (effort["hours"], effort["before"], effort["difference"]) == (181.0, 169.0, 12.0)
    security = next(k for k in effort["kinds"] if k["kind"] == "security")
    assert security == {
        "kind": "security",
        "cost": 6.0,
        "cost_before": 6.0,
        "hours": 36.0,
        "before": 24.0,
        "difference": 12.0,
    }
    assert main([*ARGS, "--format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sum(line["effort"] for line in lines) == 181.0
    assert sum(line["was"]["effort"] for line in lines) == 169.0


def test_show_lists_costs_only_when_a_kind_has_one(capsys: pytest.CaptureFixture[str]) -> None:
    """``show`` adds a cost column to the kinds table for a costed scale, not otherwise."""
    assert main(["show", str(EXAMPLES / "costed-scale.yaml"), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| Kind | Name | Depths, shallowest first | Cost (hours) | Description |" in out
    assert "| baseline, load, stress, soak | 16 |" in out
    assert "| sample, reconciliation, full-reconciliation | \u2013 |" in out
    for fmt, header in [("markdown", "Cost (hours)"), ("text", "cost (h)"), ("html", "Cost")]:
        assert main(["show", "billing-saas", "--format", fmt]) == 0
        assert header not in capsys.readouterr().out


def test_without_old_standards_the_estimate_has_no_before() -> None:
    """Deliveries without a recorded decision: the hours under the new scale, nothing compared."""
    new = costed(BASE, unit=1, performance=16)
    rows = replay(records(), new)
    summary = summarize(rows, new)
    assert summary.effort is not None
    assert (summary.effort.compared, summary.effort.before) == (0, 0.0)
    text = render_replay(summary, new.name, "as recorded", "text")
    assert f"Estimated effort of the required kinds: {summary.effort.hours:g} h under" in text
    assert "kind         hours each  hours" in text
    assert "difference" not in text
