"""Calibration and replay: fitted on the past only, written as a readable overlay."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import qualscale
from qualscale import Delivery, load_delivery, plan
from qualscale._fit import Rule
from qualscale._history_io import export_lines
from qualscale.calibration import Calibration, FittedRule, auc, calibrate, evaluate, split
from qualscale.cli import main
from qualscale.delivery import Changes
from qualscale.records import Outcome, Record
from qualscale.replay import replay
from tests._paths import ROOT


def synthetic(n: int = 600, seed: int = 3) -> list[Record]:
    """Records where many lines added make a defect likely, dated one a day."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        la = int(rnd.paretovariate(0.8))
        nf = rnd.randint(1, 9)
        delivery = Delivery(
            id=f"c{i:04d}",
            changes=Changes(la, la // 3, nf),
            date=f"{2020 + i // 300}-{1 + (i // 25) % 12:02d}-{1 + i % 25:02d}",
            metrics={"la": la, "nf": nf, "exp": rnd.randint(0, 500)},
        )
        out.append(Record(delivery, defect_inducing=rnd.random() < min(0.9, 0.05 + la / 60)))
    return out


def test_split_puts_every_training_record_before_every_held_out_one() -> None:
    """The training part is the oldest fraction in time order: no future leaks into it."""
    records = synthetic()
    train, test = split(reversed(records), 0.8)
    assert len(train) == 480
    assert max(r.delivery.date or "" for r in train) <= min(r.delivery.date or "" for r in test)


def test_auc_counts_ties_half() -> None:
    """AUC is 1 for a perfect ranking, 0.5 for all ties."""
    assert auc([1, 2, 3, 4], [False, False, True, True]) == 1.0
    assert auc([1, 1, 1, 1], [False, True, False, True]) == 0.5


def test_calibration_beats_the_base_scale_on_held_out_deliveries() -> None:
    """Rules on lines added, fitted on the past, rank the future's defects better than the base."""
    train, test = split(synthetic(), 0.8)
    base = qualscale.load_scale("billing-saas")
    fitted = calibrate(train, base, max_rules=3)
    assert fitted.rules
    assert evaluate(fitted.scale(), test).auc > evaluate(base, test).auc


def test_the_budget_caps_the_share_that_needs_performance_tests() -> None:
    """With --budget 0.1, at most 10 % of the training deliveries reach a performance standard."""
    train, _ = split(synthetic(), 0.8)
    fitted = calibrate(train, qualscale.load_scale("billing-saas"), budget=0.1, max_rules=3)
    held = evaluate(fitted.scale(), train)
    assert held.share_at_budget <= 0.1


def test_the_budget_holds_on_every_time_ordered_quarter_of_the_training_part() -> None:
    """The fitted cut keeps a margin for drift: no quarter of the training part exceeds it."""
    train, _ = split(synthetic(800, seed=5), 0.8)
    fitted = calibrate(train, qualscale.load_scale("billing-saas"), budget=0.15, max_rules=4)
    quarter = len(train) // 4
    for k in range(4):
        part = train[k * quarter : (k + 1) * quarter]
        assert evaluate(fitted.scale(), part).share_at_budget <= 0.15


def test_a_two_metric_raise_is_written_as_one_modifier_that_plans_as_fitted(
    tmp_path: Path,
) -> None:
    """A raise on two metrics holds only when both reach their thresholds, in the overlay too."""
    base = qualscale.load_scale("billing-saas")
    rule = Rule("la", 40, second=("nf", 3))
    calibration = Calibration(base, (FittedRule(rule, 0.1, 0.3, 0.7),), 10, 0.1, 0.6, None, None)
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(calibration.overlay("billing-saas"), encoding="utf-8")
    scale = qualscale.load_scale(overlay)
    assert rule.describe() == "la >= 40 and nf >= 3"
    for la, nf in [(39, 9), (40, 2), (40, 3), (400, 9)]:
        delivery = Delivery("d", changes=Changes(la, 0, nf), metrics={"la": la, "nf": nf})
        raised = plan(delivery, scale).standard.rank - plan(delivery, base).standard.rank
        assert (raised > 0) == rule.holds_for({"la": la, "nf": nf})


def write_history(tmp_path: Path) -> Path:
    path = tmp_path / "history.jsonl"
    path.write_text("".join(export_lines(synthetic())), encoding="utf-8")
    return path


def test_calibrate_writes_an_overlay_that_loads_and_plans_every_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The overlay extends the base, has a figure comment per rule, loads monotone, plans all."""
    history, overlay = write_history(tmp_path), tmp_path / "calibrated.yaml"
    args = ["calibrate", "--history", str(history), "--base", "billing-saas", "-o", str(overlay)]
    assert main([*args, "--max-standards", "4"]) == 0
    text = overlay.read_text(encoding="utf-8")
    assert "extends: billing-saas" in text
    assert "of the training deliveries" in text
    scale = qualscale.load_scale(overlay)
    assert scale.monotone
    for path in sorted((ROOT / "examples" / "deliveries").glob("*.yaml")):
        assert plan(load_delivery(path), scale).standard.rank <= 5
    assert "AUC of the standard's rank" in capsys.readouterr().out


def test_replay_jsonl_gives_one_line_per_delivery(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each line has the id, date, standard (id and rank), required kinds and the outcome."""
    history = write_history(tmp_path)
    args = ["replay", "--history", str(history), "--scale", "billing-saas", "--format", "jsonl"]
    assert main([*args, "--from", "2021-01-01"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 300
    assert set(lines[0]) >= {"id", "date", "standard", "required", "escaped"}
    assert set(lines[0]["standard"]) == {"id", "rank"}


def test_replay_of_the_example_history_shows_what_a_project_overlay_changes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The shipped example history replayed under billing-core against billing-saas."""
    history = ROOT / "examples" / "history.jsonl"
    scale = ROOT / "examples" / "project-scale.yaml"
    args = ["replay", "--history", str(history), "--scale", str(scale), "--against", "billing-saas"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Replay of 8 deliveries under billing-core (before: billing-saas)" in out
    assert "security" in out


def test_replay_under_a_scale_of_other_words_leaves_out_and_names_what_it_does_not_know(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Billing history replayed under generic: unknown flags and components are named, not fatal."""
    history = ROOT / "examples" / "history.jsonl"
    args = ["replay", "--history", str(history), "--scale", "generic", "--against", "billing-saas"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Replay of 8 deliveries under generic (before: billing-saas)" in out
    assert "Left out, unknown to generic: " in out
    assert "flag personal-data (1 delivery)" in out
    assert main([*args, "--format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any("flag personal-data" in line["unknown"] for line in lines)
    assert {line["standard"]["id"] for line in lines} <= {"S1", "S2", "S3", "S4"}


def test_replay_never_sees_outcomes_found_after_a_delivery() -> None:
    """A defect found on the 10th raises a delivery of the 15th, not one of the 5th."""
    scale = qualscale.load_scale(ROOT / "examples" / "project-scale.yaml")

    def record(id_: str, date: str, *outcomes: Outcome) -> Record:
        delivery = Delivery(id_, type="feature", changes=Changes(20, 5, 2), project="p", date=date)
        return Record(delivery, outcomes=outcomes)

    found = Outcome("defect", "BUG-1", found="2026-01-10")
    rows = replay(
        [record("A", "2026-01-01", found), record("B", "2026-01-05"), record("C", "2026-01-15")],
        scale,
    )
    ranks = {r.id: r.rank for r in rows}
    assert ranks["C"] == ranks["B"] + 1


def test_calibrate_refuses_a_bad_fraction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A train fraction outside (0, 1) is one line and exit status 2."""
    history = write_history(tmp_path)
    args = ["calibrate", "--history", str(history), "--train-fraction", "1.5", "-o", "x.yaml"]
    assert main(args) == 2
    assert "--train-fraction" in capsys.readouterr().err


def _streaky(n: int = 1500, seed: int = 8) -> list[Record]:
    """Records in runs of trouble: while one lasts most deliveries let a defect escape,
    found three days later; no metric tells the runs apart, only the recent history."""
    rnd = random.Random(seed)
    out, trouble = [], False
    for i in range(n):
        if rnd.random() < 0.04:
            trouble = not trouble
        day = 1 + i % 28
        date = f"{2020 + i // 336}-{1 + (i // 28) % 12:02d}-{day:02d}"
        found = f"{2020 + i // 336}-{1 + (i // 28) % 12:02d}-{min(28, day + 3):02d}T23:00:00Z"
        bad = rnd.random() < (0.6 if trouble else 0.05)
        delivery = Delivery(f"c{i:04d}", changes=Changes(10, 2, 1), date=date, metrics={"la": 10})
        outcomes = (Outcome("defect", f"D{i}", found=found),) if bad else ()
        out.append(Record(delivery, outcomes=outcomes))
    return out


def test_calibrate_fits_a_history_rule_from_outcomes_found_before_each_delivery(
    tmp_path: Path,
) -> None:
    """A history rule on recent escapes is fitted, written and ranks the held-out part better."""
    train, test = split(_streaky(), 0.8)
    base = qualscale.load_scale("billing-saas")
    fitted = calibrate(train, base, max_rules=3)
    history = fitted.history_rules()
    assert history
    assert {h["measure"] for h in history} == {"escaped_defects"}
    overlay = tmp_path / "calibrated.yaml"
    overlay.write_text(fitted.overlay("billing-saas"), encoding="utf-8")
    assert "  history:\n" in overlay.read_text(encoding="utf-8")
    loaded = qualscale.load_scale(overlay)
    assert [h.id for h in loaded.rules.history][-len(history) :] == [h["id"] for h in history]
    after = evaluate(loaded, test, past=train)
    assert after.auc > evaluate(base, test, past=train).auc + 0.05


def test_defect_data_without_found_dates_gives_no_history_rule() -> None:
    """A label without the date its defect was found could lie in any delivery's future."""
    train, _ = split(synthetic(), 0.8)
    assert calibrate(train, qualscale.load_scale("billing-saas"), max_rules=3).history_rules() == []


def test_an_overlay_without_modifiers_leaves_the_base_modifiers_alone(tmp_path: Path) -> None:
    """No fitted modifier writes no ``modifiers:`` key, which would read as null and drop them."""
    base = qualscale.load_scale("billing-saas")
    calibration = Calibration(base, (), 10, 0.1, 0.6, None, None)
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(calibration.overlay("billing-saas"), encoding="utf-8")
    assert "modifiers" not in overlay.read_text(encoding="utf-8")
    assert qualscale.load_scale(overlay).rules.modifiers == base.rules.modifiers
