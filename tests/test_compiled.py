"""The compiled scale: the same plans as ``plan()``, from caches."""

from __future__ import annotations

import copy
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import qualscale
from qualscale import Delivery, History, plan
from qualscale.compiled import compile_scale
from qualscale.delivery import Changes
from qualscale.strategies import deliveries, histories


def _with_metrics() -> qualscale.Scale:
    data: dict[str, Any] = copy.deepcopy(qualscale.load_scale().to_dict())
    data["rules"]["modifiers"] += [
        {"id": "many-added", "when": {"metrics": {"la": {"at_least": 100}}}, "raise_by": 1},
        {"id": "tiny", "when": {"metrics": {"la": {"at_most": 2}}}, "ceiling": "S2"},
        {"id": "risky", "when": {"metrics": {"risk_points": {"at_least": 3.5}}}, "floor": "S4"},
    ]
    data["rules"]["scores"] = {"risk_points": {"weights": {"la": 0.5, "nf": 0.25}}}
    return qualscale.Scale.from_dict(data)


SCALES = {
    "billing-saas": qualscale.load_scale("billing-saas"),
    "safety-levels": qualscale.load_scale("safety-levels"),
    "metrics": _with_metrics(),
}


#: Sources a delivery can come with: none, facts classifying does not read, and facts
#: it reads into the rationale (a type set by hand, a flag a commit rule found).
SOURCES: list[dict[str, Any]] = [
    {},
    {"jit": "go.csv.gz"},
    {"jit": "go.csv.gz", "row": {"line": 7, "fields": ["la", "ld"]}},
    {"overrides": [{"key": "type", "value": "bugfix", "from": "the command line"}]},
    {"git": {"findings": [{"key": "breaking", "value": "", "commit": "abc", "rule": "feat!"}]}},
]


def _resized(
    delivery: Delivery,
    lines: tuple[int | None, int | None],
    metrics: dict[str, float],
    who: str | None,
    source: dict[str, Any],
) -> Delivery:
    """The same delivery with other figures, author and source: the compiled scale's cache hits."""
    return attrs.evolve(
        delivery,
        changes=attrs.evolve(delivery.changes, lines_added=lines[0], lines_removed=lines[1]),
        metrics=metrics,
        author=who,
        date=None if who is None else "2026-11-29T10:00:00+00:00",
        source=copy.deepcopy(source),
    )


_FIGURE = st.one_of(st.none(), st.integers(0, 3000))


@pytest.mark.parametrize("name", sorted(SCALES))
@given(data=st.data())
def test_compiled_and_plain_plans_are_identical(name: str, data: st.DataObject) -> None:
    """Over many deliveries and histories, compiled plans and their dicts equal plain ones."""
    scale = SCALES[name]
    compiled = compile_scale(scale)
    items = data.draw(st.lists(deliveries(scale), min_size=1, max_size=5))
    history = data.draw(st.one_of(st.none(), histories(scale)))
    for delivery in items:
        for _ in range(3):
            lines = (data.draw(_FIGURE), data.draw(_FIGURE))
            metrics = {"la": data.draw(st.sampled_from([0.0, 2.0, 3.0, 99.0, 100.0, 5000.0]))}
            nf = data.draw(st.sampled_from([None, 1.0, 8.0]))
            who = data.draw(st.sampled_from([None, "ana", "bo"]))
            variant = _resized(
                delivery,
                lines,
                metrics if nf is None else {**metrics, "nf": nf},
                who,
                data.draw(st.sampled_from(SOURCES)),
            )
            expected = plan(variant, scale, history)
            if data.draw(st.booleans()):  # the dict first: it makes the combination's parts
                assert compiled.plan_dict(variant, history) == expected.to_dict()
            assert compiled.plan(variant, history) == expected
            assert compiled.plan_dict(variant, history) == expected.to_dict()


def test_plan_dict_gives_fresh_containers_each_call() -> None:
    """Changing one returned dict never changes the next plan's dict."""
    compiled = compile_scale(SCALES["billing-saas"])
    delivery = Delivery("C-1", type="feature", changes=Changes(40, 2, 3), paths=("src/a.py",))
    first = compiled.plan_dict(delivery)
    first["requirements"][0]["criteria"].append("changed")
    first["scale"]["name"] = "changed"
    assert compiled.plan_dict(delivery) == plan(delivery, SCALES["billing-saas"]).to_dict()


def _scrambled(value: Any) -> None:
    """Change every list and dict inside ``value`` in place."""
    if isinstance(value, dict):
        for item in value.values():
            _scrambled(item)
        value["scrambled"] = True
    elif isinstance(value, list):
        for item in value:
            _scrambled(item)
        value.append("scrambled")


def test_plan_dicts_of_combinations_that_share_parts_stay_apart() -> None:
    """Scrambling the dict of one combination leaves right the dicts of others sharing its parts."""
    scale = SCALES["billing-saas"]
    compiled = compile_scale(scale)
    items = [
        Delivery(f"C-{i}", type="feature", changes=Changes(40, 2, 3), paths=paths)
        for i, paths in enumerate([("src/a.py",), ("lib/b.py",), ("src/a.py", "lib/b.py")])
    ]
    for delivery in items * 2:
        found = compiled.plan_dict(delivery)
        assert found == plan(delivery, scale).to_dict()
        _scrambled(found)


def test_history_figures_reach_the_compiled_plan() -> None:
    """Two histories that differ only in escaped defects give the plans plain plan() gives."""
    scale = SCALES["billing-saas"]
    compiled = compile_scale(scale)
    delivery = Delivery("C-2", type="feature", changes=Changes(20, 2, 1))
    calm = History.from_dict({"deliveries": [{"id": "A", "escaped_defects": 0}]})
    rough = History.from_dict({"deliveries": [{"id": "A", "escaped_defects": 3}]})
    for history in (calm, rough, calm, None):
        assert compiled.plan(delivery, history) == plan(delivery, scale, history)
