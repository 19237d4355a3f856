"""Scores: metrics a scale derives from a delivery's own, and how calibration fits them."""

from __future__ import annotations

import copy
import math
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qualscale
from qualscale import Delivery, ScaleError, plan
from qualscale._score_fit import fit_score, logistic
from qualscale.calibration import calibrate, split
from qualscale.delivery import Changes
from qualscale.records import Record
from qualscale.rules import Score


def _scale(scores: dict[str, Any], *modifiers: dict[str, Any]) -> qualscale.Scale:
    data: dict[str, Any] = copy.deepcopy(qualscale.load_scale("billing-saas").to_dict())
    data["rules"]["scores"] = scores
    data["rules"]["modifiers"] += list(modifiers)
    return qualscale.Scale.from_dict(data)


RISKY = {"id": "risky", "when": {"metrics": {"points": {"at_least": 4}}}, "floor": "S4"}


def test_a_score_weighs_each_metric_as_log2_of_one_plus_its_value() -> None:
    """A weight is what a doubling adds; values of 0 or less count 0; a missing metric: no score."""
    score = Score({"la": 1.0, "exp": -0.5})
    assert score.of({"la": 7, "exp": 3}) == 3.0 - 1.0
    assert score.of({"la": -4, "exp": 0}) == 0.0
    assert score.of({"la": 7}) is None


@given(st.dictionaries(st.sampled_from(["la", "nf", "ld"]), st.floats(0, 1e9), min_size=3))
def test_a_score_with_non_negative_weights_never_falls_as_a_metric_grows(
    values: dict[str, float],
) -> None:
    """More of a positively weighted metric never lowers the score: a floor on it is monotone."""
    score = Score({"la": 0.4, "nf": 0.3, "ld": 0.0})
    grown = {**values, "la": values["la"] * 2 + 1}
    assert score.of(grown) >= score.of(values)  # type: ignore[operator]


def test_a_floor_on_a_score_lifts_the_standard_and_says_why() -> None:
    """A delivery whose score reaches the bound is lifted; the rationale names the rule."""
    scale = _scale({"points": {"weights": {"la": 0.5, "nf": 1.0}}}, RISKY)
    small = Delivery("d1", type="bugfix", changes=Changes(3, 0, 1), metrics={"la": 3, "nf": 1})
    large = Delivery("d2", type="bugfix", changes=Changes(63, 0, 3), metrics={"la": 63, "nf": 3})
    assert plan(small, scale).standard.id == plan(small, qualscale.load_scale()).standard.id
    lifted = plan(large, scale)
    assert lifted.standard.id == "S4"
    assert any("risky (points at least 4): at least S4" in r.message for r in lifted.rationale)


def test_a_delivery_without_the_weighted_metrics_has_no_score_and_is_not_lifted() -> None:
    """A bound on a score a delivery cannot have never holds, as for any missing metric."""
    scale = _scale({"points": {"weights": {"la": 0.5, "nf": 1.0}}}, RISKY)
    delivery = Delivery("d", type="bugfix", changes=Changes(5000, 0, 3), metrics={"la": 5000})
    assert plan(delivery, scale).standard.id != "S4"


@pytest.mark.parametrize(
    ("scores", "where", "expected"),
    [
        ({"Points": {"weights": {"la": 1}}}, "$.rules.scores.Points", "expected a metric name"),
        ({"points": {"weights": {}}}, "$.rules.scores.points.weights", "at least one"),
        (
            {"a": {"weights": {"la": 1}}, "b": {"weights": {"a": 1}}},
            "$.rules.scores.b.weights.a",
            "found a score",
        ),
        ({"points": {"weights": {"la": math.inf}}}, "$.rules.scores.points.weights", "finite"),
        ({"points": {"weights": {"LA": 1}}}, "$.rules.scores.points.weights", "metric names"),
    ],
)
def test_a_bad_score_is_a_located_scale_error(
    scores: dict[str, Any], where: str, expected: str
) -> None:
    """Score names and weights are checked when the scale is built, at their key path."""
    with pytest.raises(ScaleError) as info:
        _scale(scores)
    assert where in str(info.value)
    assert expected in str(info.value)


def test_a_scale_without_scores_keeps_its_fingerprint() -> None:
    """An empty ``scores`` does not enter the SHA-256, so plans pinned before scores still match."""
    import hashlib
    import json

    scale = qualscale.load_scale("generic")
    data = scale.to_dict()
    assert data["rules"].pop("scores") == {}
    for kind in data["kinds"]:  # nor does a kind without a cost
        assert kind.pop("cost") is None
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    assert scale.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert _scale({"p": {"weights": {"la": 1}}}).sha256 != qualscale.load_scale().sha256


def _signal(n: int, seed: int) -> tuple[list[dict[str, float]], list[bool]]:
    """Records where ``la`` drives defects, ``noise`` does not, and ``exp`` lowers them."""
    rnd = random.Random(seed)
    metrics, labels = [], []
    for _ in range(n):
        la, exp = rnd.paretovariate(0.7), rnd.randint(0, 1000)
        logit = 1.2 * math.log2(1 + la) - 0.5 * math.log2(1 + exp) + 0.5
        metrics.append({"la": la, "exp": exp, "noise": rnd.random() * 100})
        labels.append(rnd.random() < 1 / (1 + math.exp(-logit)))
    return metrics, labels


def test_logistic_regression_recovers_the_signs_and_order_of_true_weights() -> None:
    """On standardized columns, the fitted weights have the generating signs, noise near zero."""
    metrics, labels = _signal(3000, seed=1)
    columns = []
    for name in ("la", "exp", "noise"):
        column = [Score.feature(m[name]) for m in metrics]
        mean = sum(column) / len(column)
        spread = math.sqrt(sum((x - mean) ** 2 for x in column) / len(column))
        columns.append([(x - mean) / spread for x in column])
    _, la, exp, noise = logistic(columns, labels)
    assert la > 0.5
    assert exp < -0.3
    assert abs(noise) < 0.15


def test_fit_score_picks_the_metrics_that_rank_defects_and_leaves_out_noise() -> None:
    """Forward selection keeps la and exp, with their signs, and rounds weights readably."""
    metrics, labels = _signal(3000, seed=2)
    found = fit_score(metrics, labels)
    assert found is not None
    weights, validation_auc = found
    assert set(weights) == {"la", "exp"}
    assert weights["la"] > 0 > weights["exp"]
    assert all(len(f"{abs(w):g}".replace(".", "").lstrip("0")) <= 2 for w in weights.values())
    assert validation_auc > 0.7


def test_fit_score_declines_when_the_records_cannot_support_a_fit() -> None:
    """Too few records, or one label only, give no score rather than a guess."""
    metrics, labels = _signal(3000, seed=3)
    assert fit_score(metrics[:10], labels[:10]) is None
    assert fit_score(metrics, [False] * len(metrics)) is None


def _records(n: int, seed: int) -> list[Record]:
    metrics, labels = _signal(n, seed)
    return [
        Record(
            Delivery(
                f"c{i:04d}",
                changes=Changes(int(m["la"]), 0, 1),
                date=f"{2020 + i // 360}-{1 + (i // 30) % 12:02d}-{1 + i % 28:02d}",
                metrics=m,
            ),
            defect_inducing=label,
        )
        for i, (m, label) in enumerate(zip(metrics, labels, strict=True))
    ]


def test_calibrate_writes_its_score_into_an_overlay_that_plans_as_fitted(tmp_path: Path) -> None:
    """The overlay states the score's weights and ladder; loaded, it plans like the fit."""
    train, test = split(_records(1500, seed=4), 0.8)
    base = qualscale.load_scale("billing-saas")
    fitted = calibrate(train, base, max_standards=5)
    assert fitted.score is not None
    assert any(rule.rule.metric == fitted.score.name for rule in fitted.rules)
    overlay = tmp_path / "calibrated.yaml"
    text = fitted.overlay("billing-saas")
    overlay.write_text(text, encoding="utf-8")
    assert "log2(1 + value)" in text
    loaded = qualscale.load_scale(overlay)
    assert loaded.monotone
    assert loaded.rules.scores == fitted.scale().rules.scores
    scale = fitted.scale()
    for record in test[:200]:
        assert plan(record.delivery, loaded).standard == plan(record.delivery, scale).standard


def test_calibrate_with_metrics_fits_on_those_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--metrics limits the score and the rules to the metrics named; a bad list exits 2."""
    from qualscale._history_io import export_lines
    from qualscale.cli import main

    history = tmp_path / "history.jsonl"
    history.write_text("".join(export_lines(_records(1200, seed=6))), encoding="utf-8")
    overlay = tmp_path / "o.yaml"
    args = ["calibrate", "--history", str(history), "--base", "billing-saas", "-o", str(overlay)]
    assert main(args) == 0
    assert "also tests exp" in capsys.readouterr().out
    assert main([*args, "--metrics", "la,nf"]) == 0
    assert "also tests" not in capsys.readouterr().out
    scale = qualscale.load_scale(overlay)
    used = {m for mod in scale.rules.modifiers for m in mod.when.metrics}
    weighed = {m for score in scale.rules.scores.values() for m in score.weights}
    assert used | weighed <= {"la", "nf", "risk_points"}
    assert main([*args, "--metrics", "LA"]) == 2
    assert "--metrics" in capsys.readouterr().err
