"""The invariants of DESIGN.md, as hypothesis properties over the shipped scales.

1. every delivery gets a standard that requires some test;
2. monotone: more size, more flags, worse history never lower the standard;
3. deterministic: same inputs, byte-identical JSON;
4. round trips: load(dump(x)) == x;
5. bad input is a QualscaleError, never anything else.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import qualscale
from qualscale import (
    Changes,
    Delivery,
    History,
    PathChange,
    QualscaleError,
    TestPlan,
    ValidationError,
    classify,
    plan,
)
from qualscale.classification import match_path
from qualscale.strategies import deliveries, histories
from tests._paths import STANDARDS

SCALES = {name: qualscale.load_scale(name) for name in ("billing-saas", "safety-levels")}
scale_names = st.sampled_from(sorted(SCALES))


@st.composite
def scale_and_delivery(draw: st.DrawFn) -> tuple[qualscale.Scale, Delivery]:
    scale = SCALES[draw(scale_names)]
    return scale, draw(deliveries(scale))


@given(scale_and_delivery(), histories())
def test_every_delivery_gets_a_required_test(
    pair: tuple[qualscale.Scale, Delivery], history: History
) -> None:
    """Every delivery gets a standard of the scale with at least one required test."""
    scale, delivery = pair
    p = plan(delivery, scale, history)
    assert p.by_obligation("required")
    assert 1 <= p.standard.rank <= len(scale.standards)


def _grow(value: int | None, extra: int) -> int | None:
    return None if value is None else value + extra


@given(scale_and_delivery(), st.integers(0, 3000), st.integers(0, 3000), st.integers(0, 60))
def test_monotone_in_size(
    pair: tuple[qualscale.Scale, Delivery], added: int, removed: int, files: int
) -> None:
    """A bigger change never gets a lower standard."""
    scale, delivery = pair
    c = delivery.changes
    bigger = attrs.evolve(
        delivery,
        changes=attrs.evolve(
            c,
            lines_added=_grow(c.lines_added, added),
            lines_removed=_grow(c.lines_removed, removed),
            files=_grow(c.files, files),
        ),
    )
    assert classify(bigger, scale).rank >= classify(delivery, scale).rank


_EXTRA_PATHS = ("docs/guide.md", "README.md", "tests/test_new.py", "tests/unit/test_retry.py")


def _uncounted_paths(scale: qualscale.Scale) -> list[str]:
    """Paths the scale's components say are content that does not count toward size."""
    found = (match_path(p, scale.rules.components) for p in _EXTRA_PATHS)
    return [
        p
        for p, rule in zip(_EXTRA_PATHS, found, strict=True)
        if rule is not None and rule.content not in scale.rules.size.counts
    ]


@given(scale_and_delivery(), st.data(), st.integers(0, 3000), st.integers(0, 3000))
def test_writing_tests_or_docs_never_raises_the_standard(
    pair: tuple[qualscale.Scale, Delivery], data: st.DataObject, added: int, removed: int
) -> None:
    """Adding lines to test or docs paths, new or already changed, never raises the standard."""
    scale, delivery = pair
    candidates = _uncounted_paths(scale)
    assume(candidates)
    path = data.draw(st.sampled_from(candidates))
    c = delivery.changes
    new = path not in delivery.paths
    before = c.by_path.get(path, PathChange())
    more = attrs.evolve(
        delivery,
        paths=(*delivery.paths, path) if new else delivery.paths,
        changes=Changes(
            _grow(c.lines_added, added),
            _grow(c.lines_removed, removed),
            _grow(c.files, 1 if new else 0),
            {**c.by_path, path: PathChange(before.added + added, before.removed + removed)},
        ),
    )
    assert classify(more, scale).rank <= classify(delivery, scale).rank


@given(scale_and_delivery(), st.data())
def test_monotone_in_flags(pair: tuple[qualscale.Scale, Delivery], data: st.DataObject) -> None:
    """Adding a flag never lowers the standard."""
    scale, delivery = pair
    flag = data.draw(st.sampled_from(sorted(scale.rules.risk.flags)))
    flagged = attrs.evolve(delivery, flags=(*delivery.flags, flag))
    assert classify(flagged, scale).rank >= classify(delivery, scale).rank


@given(scale_and_delivery(), histories(), st.data())
def test_monotone_in_history(
    pair: tuple[qualscale.Scale, Delivery], history: History, data: st.DataObject
) -> None:
    """A worse history never lowers the standard, and any history never lowers it."""
    scale, delivery = pair
    if not history.deliveries:
        worse = History((qualscale.PastDelivery(id="P-1", project=delivery.project),))
    else:
        i = data.draw(st.integers(0, len(history.deliveries) - 1))
        past = history.deliveries[i]
        hurt = attrs.evolve(
            past,
            escaped_defects=past.escaped_defects + data.draw(st.integers(0, 3)),
            incidents=past.incidents + data.draw(st.integers(0, 2)),
        )
        worse = History((*history.deliveries[:i], hurt, *history.deliveries[i + 1 :]))
    assert classify(delivery, scale, worse).rank >= classify(delivery, scale, history).rank
    assert classify(delivery, scale, history).rank >= classify(delivery, scale).rank


@given(scale_and_delivery(), histories())
def test_deterministic(pair: tuple[qualscale.Scale, Delivery], history: History) -> None:
    """Equal deliveries give byte-identical plan JSON."""
    scale, delivery = pair
    again = Delivery.from_dict(json.loads(json.dumps(delivery.to_dict())))
    assert plan(delivery, scale, history).to_json() == plan(again, scale, history).to_json()


@given(scale_and_delivery())
def test_delivery_and_plan_round_trip(pair: tuple[qualscale.Scale, Delivery]) -> None:
    """Deliveries round-trip through dicts and YAML, plans through JSON."""
    scale, delivery = pair
    assert Delivery.from_dict(delivery.to_dict()) == delivery
    assert Delivery.from_dict(yaml.safe_load(yaml.safe_dump(delivery.to_dict()))) == delivery
    p = plan(delivery, scale)
    assert TestPlan.from_dict(json.loads(p.to_json())) == p


@given(histories())
def test_history_round_trips(history: History) -> None:
    """A history rebuilt from its to_dict output equals the original."""
    assert History.from_dict(history.to_dict()) == history


@pytest.mark.parametrize("name", sorted(SCALES))
def test_scale_round_trips(name: str, tmp_path: Path) -> None:
    """A shipped scale written as JSON loads back equal."""
    scale = SCALES[name]
    path = tmp_path / "scale.json"
    path.write_text(json.dumps(scale.to_dict()), encoding="utf-8")
    assert qualscale.load_scale(path) == scale


# ----------------------------------------------- bad input -> QualscaleError


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.text(max_size=12),
    _containers,
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, (*prefix, i))
    return out


def _replace(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return doc


def assert_located(error: ValidationError, path: Path) -> None:
    unlocated = [p for p in error.problems if p.file != str(path) or p.line is None]
    assert unlocated == [], f"problems not located at a line of {path}: {unlocated}"


SCALE_DOC = yaml.safe_load((STANDARDS / "billing-saas.yaml").read_text(encoding="utf-8"))
SCALE_DOC["gates"] = str(STANDARDS / "gates.yaml")
SCALE_PATHS = _paths(SCALE_DOC)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(SCALE_PATHS), JSONISH, st.booleans())
def test_any_structural_mutation_of_a_scale_loads_or_raises_a_qualscale_error(
    tmp_path: Path, path: tuple[Any, ...], value: Any, drop: bool
) -> None:
    """A scale file with any value replaced or dropped loads, or fails with located problems."""
    doc = json.loads(json.dumps(SCALE_DOC))
    if drop and path:
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        del parent[path[-1]]
    else:
        doc = _replace(doc, path, value)
    target = tmp_path / "mutated.yaml"
    target.write_text(yaml.safe_dump(doc), encoding="utf-8")
    try:
        qualscale.load_scale(target)
    except ValidationError as exc:
        assert_located(exc, target)
    except QualscaleError:
        pass


SCALE_TEXT = (
    (STANDARDS / "billing-saas.yaml")
    .read_text(encoding="utf-8")
    .replace("gates: gates.yaml", f"gates: {STANDARDS / 'gates.yaml'}")
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**32 - 1), st.integers(1, 8))
def test_any_text_mutation_of_a_scale_loads_or_raises_a_qualscale_error(
    tmp_path: Path, seed: int, edits: int
) -> None:
    """A scale file with random character edits loads, or fails with located problems."""
    rnd = random.Random(seed)
    text = list(SCALE_TEXT)
    for _ in range(edits):
        i = rnd.randrange(len(text))
        action = rnd.choice(["delete", "insert", "swap"])
        if action == "delete":
            del text[i]
        elif action == "insert":
            text.insert(i, rnd.choice(" :-[]{}&*!|>'\"#\n\tx0"))
        else:
            j = rnd.randrange(len(text))
            text[i], text[j] = text[j], text[i]
    target = tmp_path / "mutated.yaml"
    target.write_text("".join(text), encoding="utf-8")
    try:
        qualscale.load_scale(target)
    except ValidationError as exc:
        assert_located(exc, target)
    except QualscaleError:
        pass


@given(JSONISH)
def test_any_delivery_data_builds_or_raises_a_qualscale_error(value: Any) -> None:
    """Any JSON-like data builds a Delivery or raises a QualscaleError, nothing else."""
    with contextlib.suppress(QualscaleError):
        Delivery.from_dict(value)


DOCUMENT_FORMATS = st.sampled_from(["yaml", "json"])


def _dump(value: Any, fmt: str) -> str:
    return yaml.safe_dump(value) if fmt == "yaml" else json.dumps(value)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_containers(JSONISH), DOCUMENT_FORMATS)
def test_any_delivery_file_loads_or_raises_located_problems(
    tmp_path: Path, value: Any, fmt: str
) -> None:
    """A delivery file of any JSON-like collection loads, or each problem names file and line."""
    target = tmp_path / f"delivery.{fmt}"
    target.write_text(_dump(value, fmt), encoding="utf-8")
    try:
        qualscale.load_delivery(target)
    except ValidationError as exc:
        assert_located(exc, target)
    except QualscaleError:
        pass


TOP_LEVEL_SCALARS = ["", "# nothing but a comment\n", "null\n", "'DEL-1'\n", "3\n", "true\n"]


@pytest.mark.parametrize("loader", [qualscale.load_delivery, qualscale.load_history])
@pytest.mark.parametrize("text", TOP_LEVEL_SCALARS, ids=repr)
def test_a_document_that_is_not_a_collection_is_refused_at_a_line(
    tmp_path: Path, loader: Callable[[Path], object], text: str
) -> None:
    """A delivery or history file that is empty or a lone scalar is refused at a line of it."""
    target = tmp_path / "delivery.yaml"
    target.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        loader(target)
    assert_located(info.value, target)
