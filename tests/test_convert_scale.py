"""``qualscale convert``: a 0.1-format scale becomes the table format with the same plans."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import qualscale
from qualscale import cli
from qualscale._convert_scale import _shape_problems, convert_scale
from tests._paths import EXAMPLES, STANDARDS

DATA = Path(__file__).parent / "data"
DELIVERIES = sorted((EXAMPLES / "deliveries").glob("*.yaml"))


def plans(scale: qualscale.Scale) -> list[dict[str, Any]]:
    """The plan of every example delivery that ``scale`` can classify, without the scale's hash."""
    out = []
    for path in DELIVERIES:
        delivery = qualscale.load_delivery(path)
        try:
            data = qualscale.plan(delivery, scale).to_dict()
        except qualscale.DeliveryError:  # flags the scale does not know
            continue
        del data["scale"]["sha256"]
        out.append(data)
    return out


@pytest.mark.parametrize("name", ["billing-saas", "safety-levels"])
def test_a_converted_01_scale_plans_like_the_shipped_one(name: str, tmp_path: Path) -> None:
    """The shipped scale's 0.1 file, converted, plans every example like the shipped file."""
    shutil.copy(STANDARDS / "gates.yaml", tmp_path / "gates.yaml")
    out = tmp_path / f"{name}.yaml"
    assert cli.main(["convert", str(DATA / f"{name}-0.1.yaml"), "-o", str(out)]) == 0
    converted = qualscale.load_scale(out)
    shipped = qualscale.load_scale(name)
    expected = plans(shipped)
    assert expected
    assert plans(converted) == expected
    assert [converted.requires(s.id) for s in converted.standards] == [
        shipped.requires(s.id) for s in shipped.standards
    ]


def test_the_converted_file_says_comments_are_not_kept(tmp_path: Path) -> None:
    """The converted file names its source and says that the source's comments are gone."""
    out = tmp_path / "new.yaml"
    assert cli.main(["convert", str(DATA / "billing-saas-0.1.yaml"), "-o", str(out)]) == 0
    head = out.read_text(encoding="utf-8").splitlines()[1]
    assert head.endswith("billing-saas-0.1.yaml; its comments are not kept.")


def test_help_says_comments_are_not_kept(capsys: pytest.CaptureFixture[str]) -> None:
    """``qualscale convert --help`` warns that comments are lost."""
    assert cli.main(["convert", "--help"]) == 0
    assert "Comments of the old file are not kept" in " ".join(capsys.readouterr().out.split())


OLD_KIND = {"id": "regression", "scopes": ["smoke", "full"]}


def old_scale(requires: dict[str, list[dict[str, Any]]], **extra: Any) -> dict[str, Any]:
    """A 0.1-format scale with one kind, the standards ``requires`` names, and ``extra`` keys."""
    return {
        "name": "x",
        "kinds": [OLD_KIND],
        "standards": [{"id": s, "requires": reqs} for s, reqs in requires.items()],
        **extra,
    }


@pytest.mark.parametrize(
    ("requires", "kind", "cells"),
    [
        (  # every use agrees: the environment and gate move to the kind
            {
                "S1": [{"kind": "regression", "scope": "smoke", "where": "ci", "when": "G4"}],
                "S2": [{"kind": "regression", "scope": "full", "where": "ci", "when": "G4"}],
            },
            {"id": "regression", "environment": "ci", "gate": "G4", "depths": ["smoke", "full"]},
            {"S1": "required smoke", "S2": "required full"},
        ),
        (  # depths disagree: each depth states its own, the kind the most common
            {
                "S1": [{"kind": "regression", "scope": "smoke", "where": "ci"}],
                "S2": [
                    {"kind": "regression", "scope": "full", "where": "pre-production", "when": "G3"}
                ],
            },
            {
                "id": "regression",
                "environment": "ci",
                "gate": "G3",
                "depths": ["smoke", {"id": "full", "environment": "pre-production"}],
            },
            {"S1": "required smoke", "S2": "required full"},
        ),
        (  # uses of one depth disagree: the cells keep what differs
            {
                "S1": [{"kind": "regression", "obligation": "optional", "scope": "full"}],
                "S2": [
                    {
                        "kind": "regression",
                        "scope": "full",
                        "criteria": ["All pass"],
                        "independent": True,
                    }
                ],
            },
            {"id": "regression", "depths": ["smoke", "full"]},
            {
                "S1": "optional full",
                "S2": {
                    "obligation": "required",
                    "depth": "full",
                    "criteria": ["All pass"],
                    "independent": True,
                },
            },
        ),
        (  # the most common criteria move to the depth; the others stay in their cells
            {
                "S1": [{"kind": "regression", "scope": "full", "criteria": ["All pass"]}],
                "S2": [{"kind": "regression", "scope": "full", "criteria": ["All pass"]}],
                "S3": [{"kind": "regression", "scope": "full", "criteria": ["All pass, twice"]}],
            },
            {"id": "regression", "depths": ["smoke", {"id": "full", "criteria": ["All pass"]}]},
            {
                "S1": "required full",
                "S2": "required full",
                "S3": {"obligation": "required", "depth": "full", "criteria": ["All pass, twice"]},
            },
        ),
    ],
)
def test_conversion_hoists_what_every_use_agrees_on(
    requires: dict[str, list[dict[str, Any]]], kind: dict[str, Any], cells: dict[str, Any]
) -> None:
    """A depth or kind states what all its uses agree on, and a cell is short when it can be."""
    new = convert_scale(old_scale(requires))
    assert (new["kinds"], new["requirements"]) == ([kind], {"regression": cells})


def test_conversion_renames_the_rules_and_modifier_requirements() -> None:
    """``classification`` becomes ``rules`` and a modifier's ``require`` becomes ``requires``."""
    modifier = {"id": "m", "floor": "S1", "require": [{"kind": "regression", "scope": "full"}]}
    old = old_scale(
        {"S1": [{"kind": "regression", "scope": "full", "where": "ci"}]},
        classification={"modifiers": [modifier]},
    )
    new = convert_scale(old)
    assert "classification" not in new
    assert new["rules"]["modifiers"] == [
        {
            "id": "m",
            "floor": "S1",
            "requires": [{"kind": "regression", "obligation": "required", "depth": "full"}],
        }
    ]
    assert list(new) == ["name", "kinds", "standards", "requirements", "rules"]


def test_an_overlay_converts_without_hoisting() -> None:
    """An overlay's cells keep every setting, since its kinds and depths live in its base."""
    old = {
        "extends": "billing-saas",
        "standards": [{"id": "S3", "requires": [{"kind": "security", "obligation": "required"}]}],
    }
    assert convert_scale(old)["requirements"] == {"security": {"S3": "required"}}


def test_converting_a_missing_file_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing input file is one clear error and exit code 2."""
    assert cli.main(["convert", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: $: file not found" in capsys.readouterr().err


def test_the_converted_text_is_plain_yaml() -> None:
    """The converted text reads back as the document the conversion made."""
    from qualscale._convert_scale import dump

    doc = convert_scale(yaml.safe_load((DATA / "billing-saas-0.1.yaml").read_text("utf-8")))
    assert yaml.safe_load(dump(doc, "old.yaml")) == doc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("standards: 3\n", "s.yaml:1: $.standards: expected a list, found number 3"),
        ("kinds: {a: 1}\n", "s.yaml:1: $.kinds: expected a list, found a mapping"),
        (
            "standards:\n  - {id: S1, requires: [{kind: 3}]}\n",
            "s.yaml:2: $.standards[0].requires[0].kind: expected a string, found number 3",
        ),
        (
            "classification:\n  modifiers:\n    - {id: m, require: x}\n",
            "s.yaml:3: $.classification.modifiers[0].require: expected a list, found string 'x'",
        ),
    ],
)
def test_a_misshapen_01_scale_is_refused_where_it_is_written(
    text: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Converting a file not shaped like a 0.1 scale names the file, line and key - no traceback."""
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    assert cli.main(["convert", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


OLD_BILLING = yaml.load(
    (Path(__file__).parent / "data" / "billing-saas-0.1.yaml").read_text(encoding="utf-8"),
    Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader),
)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_mutation_of_an_01_scale_converts_or_is_refused(data: st.DataObject) -> None:
    """Deleting or retyping any value of the 0.1 billing scale converts or gives a ScaleError."""
    old = copy.deepcopy(OLD_BILLING)
    node: Any = old
    parent: Any = None
    key: Any = None
    while isinstance(node, (dict, list)) and node and data.draw(st.booleans()):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        parent, key = node, data.draw(st.sampled_from(keys))
        node = node[key]
    if parent is not None:
        parent[key] = data.draw(st.sampled_from([3, "x", None, [], {}, [3], {"a": 1}]))
    try:
        convert_scale(old)
    except (TypeError, AttributeError, KeyError, ValueError):  # the CLI checks shapes first
        assert _shape_problems(old), "a shape the conversion cannot walk went unreported"
