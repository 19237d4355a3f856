"""Validation reports every problem of a file at once: a type error hides nothing behind it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import qualscale
from qualscale import DeliveryError, ScaleError, cli


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_an_unknown_key_does_not_hide_an_unknown_flag_in_a_scale(tmp_path: Path) -> None:
    """``tpye`` in a modifier and ``flags: [publc-api]`` in a component are both reported."""
    path = write(
        tmp_path,
        "o.yaml",
        """\
        extends: generic
        rules:
          components:
            - {id: ledger, criticality: high, flags: [publc-api], paths: ["src/ledger/**"]}
          modifiers:
            - {id: x, when: {tpye: [bugfix]}, floor: S3}
        """,
    )
    with pytest.raises(ScaleError) as info:
        qualscale.load_scale(path)
    found = [(p.line, p.key, p.message.split(";")[0]) for p in info.value.problems]
    assert found == [
        (4, "$.rules.components[0].flags[0]", "unknown flag 'publc-api'"),
        (6, "$.rules.modifiers[0].when.tpye", "unknown key 'tpye'"),
    ]


def test_a_wrong_type_does_not_hide_a_reference_problem(tmp_path: Path) -> None:
    """A string where a number belongs and an unknown standard in the matrix are both reported."""
    path = write(
        tmp_path,
        "o.yaml",
        """\
        extends: generic
        rules:
          size:
            bands:
              - {id: trivial, max_lines: "10"}
          matrix:
            small: {low: S9}
        """,
    )
    with pytest.raises(ScaleError) as info:
        qualscale.load_scale(path)
    keys = [p.key for p in info.value.problems]
    assert keys == ["$.rules.size.bands[0].max_lines", "$.rules.matrix.small.low"]


def test_problems_that_leaving_a_value_out_causes_are_not_reported(tmp_path: Path) -> None:
    """A required value of the wrong type is reported once, not also as missing."""
    path = write(
        tmp_path,
        "o.yaml",
        "extends: generic\nrules:\n  components:\n    - {id: x, criticality: 3, paths: [a/**]}\n",
    )
    with pytest.raises(ScaleError) as info:
        qualscale.load_scale(path)
    assert [p.key for p in info.value.problems] == ["$.rules.components[0].criticality"]


def test_a_delivery_with_an_unknown_key_still_has_its_flags_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """validate --scale reports the delivery's unknown key and its unknown flag together."""
    path = write(tmp_path, "d.yaml", "id: X\ntpye: bugfix\nflags: [publc-api]\npaths: [a.py]\n")
    assert cli.main(["validate", "--scale", "generic", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ", 2)[:2] for line in lines] == [
        [f"{path}:2", "$.tpye"],
        [f"{path}:3", "$.flags[0]"],
    ]
    assert "did you mean 'public-api'?" in lines[1]


def test_the_partial_delivery_is_kept_on_the_error(tmp_path: Path) -> None:
    """The error of a delivery with an unknown key carries the delivery built without it."""
    path = write(tmp_path, "d.yaml", "id: X\ntpye: bugfix\nflags: [money]\n")
    with pytest.raises(DeliveryError) as info:
        qualscale.load_delivery(path)
    partial = info.value.partial
    assert isinstance(partial, qualscale.Delivery)
    assert partial.flags == ("money",)


def test_a_bad_switch_is_not_replaced_by_its_default(tmp_path: Path) -> None:
    """``monotone: "no"`` is reported alone: its default would report what the author turned off."""
    path = write(
        tmp_path,
        "o.yaml",
        'extends: generic\nmonotone: "no"\nrequirements:\n  unit: {S2: optional suite}\n',
    )
    with pytest.raises(ScaleError) as info:
        qualscale.load_scale(path)
    assert [p.key for p in info.value.problems] == ["$.monotone"]
