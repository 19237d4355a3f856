"""Conditions on change metrics: ``when: {metrics: {la: {at_least: 200}}}``."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import qualscale
from qualscale import Delivery, ScaleError, plan
from qualscale.delivery import Changes
from qualscale.rules import MetricBound


def scale_with(modifier: dict[str, Any]) -> qualscale.Scale:
    data: dict[str, Any] = copy.deepcopy(qualscale.load_scale().to_dict())
    data["rules"]["modifiers"].append(modifier)
    return qualscale.Scale.from_dict(data)


def problems_with(modifier: dict[str, Any]) -> list[str]:
    with pytest.raises(ScaleError) as exc:
        scale_with(modifier)
    return [f"{p.key}: {p.message}" for p in exc.value.problems]


RAISE = {"id": "many-added", "when": {"metrics": {"la": {"at_least": 200}}}, "raise_by": 1}


def delivery(**metrics: float) -> Delivery:
    return Delivery("C-1", changes=Changes(40, 10, 3), metrics=metrics)


@pytest.mark.parametrize(
    ("metrics", "rank"),
    [({"la": 199}, 2), ({"la": 200}, 3), ({"la": 5000.5}, 3), ({}, 2), ({"nf": 900}, 2)],
)
def test_a_metric_bound_raises_only_deliveries_within_it(
    metrics: dict[str, float], rank: int
) -> None:
    """A raise on ``la >= 200`` fires at 200 and above, and never for a delivery without ``la``."""
    assert plan(delivery(**metrics), scale_with(RAISE)).standard.rank == rank


def test_the_rationale_names_the_metric_bound() -> None:
    """The reason of a metric raise says which bound held when the modifier has no message."""
    reasons = [r.message for r in plan(delivery(la=250), scale_with(RAISE)).rationale]
    assert "many-added (la at least 200): raised: S2 -> S3" in reasons


def test_both_bounds_are_inclusive() -> None:
    """``at_least`` and ``at_most`` both include the bound itself."""
    bound = MetricBound(at_least=2, at_most=4)
    assert [bound.holds(v) for v in (1.9, 2, 3, 4, 4.1, None)] == [0, 1, 1, 1, 0, 0]


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        ({"La": {"at_most": 3}}, "metrics.La: expected a metric name"),
        ({"nf": {}}, "metrics.nf: expected at least one of at_least, at_most"),
        ({"x": {"at_least": 5, "at_most": 2}}, "metrics.x: at_least 5 is above at_most 2"),
    ],
)
def test_bad_metric_bounds_are_located(metrics: dict[str, Any], expected: str) -> None:
    """A bad metric name or bound is refused at its key path."""
    found = problems_with({"id": "m", "when": {"metrics": metrics}, "raise_by": 1})
    assert any(expected in p for p in found), found


@pytest.mark.parametrize(
    ("action", "bound", "refused"),
    [
        ({"ceiling": "S2"}, {"at_least": 3}, True),
        ({"ceiling": "S2"}, {"at_most": 3}, False),
        ({"raise_by": 1}, {"at_most": 3}, True),
        ({"floor": "S3"}, {"at_least": 3}, False),
    ],
)
def test_metric_conditions_keep_the_scale_monotone(
    action: dict[str, Any], bound: dict[str, float], refused: bool
) -> None:
    """More of a metric never lowers the standard: ceilings take at_most, floors at_least."""
    modifier = {"id": "m", "when": {"metrics": {"la": bound}}, **action}
    if refused:
        assert any("not monotone" in p for p in problems_with(modifier))
    else:
        scale_with(modifier)
