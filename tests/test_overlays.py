"""Overlays that remove or replace what they inherit, and ``show --format yaml`` of the result."""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qualscale
from qualscale import ScaleError, cli


def overlay(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "overlay.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_remove_a_kind_drops_its_requirements_row(tmp_path: Path) -> None:
    """``{id: performance, remove: true}`` removes the kind and its row of the table."""
    path = overlay(
        tmp_path,
        """\
        extends: generic
        kinds:
          - {id: performance, remove: true}
        rules:
          modifiers:
            - {id: performance-sensitive, remove: true}
        """,
    )
    scale = qualscale.load_scale(path)
    assert "performance" not in [k.id for k in scale.kinds]
    assert "performance" not in scale.requirements
    assert "performance-sensitive" not in [m.id for m in scale.rules.modifiers]


def test_remove_components_and_modifiers(tmp_path: Path) -> None:
    """Inherited components and modifiers can be removed by id; the rest keep their order."""
    path = overlay(
        tmp_path,
        """\
        extends: billing-saas
        rules:
          components:
            - {id: rating, remove: true}
            - {id: ui, remove: true}
          modifiers:
            - {id: money-hotfix, remove: true}
        """,
    )
    scale = qualscale.load_scale(path)
    base = qualscale.load_scale("billing-saas")
    ids = [c.id for c in scale.rules.components]
    assert ids == [c.id for c in base.rules.components if c.id not in ("rating", "ui")]
    assert "money-hotfix" not in [m.id for m in scale.rules.modifiers]


def test_replace_takes_the_item_whole(tmp_path: Path) -> None:
    """An item with ``replace: true`` takes the base item's place instead of merging into it."""
    path = overlay(
        tmp_path,
        """\
        extends: billing-saas
        kinds:
          - id: performance
            replace: true
            depths: [baseline, load, stress]
        requirements:
          performance:
            S1: null
        """,
    )
    kind = qualscale.load_scale(path).kind("performance")
    assert [d.id for d in kind.depths] == ["baseline", "load", "stress"]
    assert (kind.name, kind.environment, kind.depths[0].criteria) == ("", None, None)


def test_null_removes_an_inherited_key(tmp_path: Path) -> None:
    """A key set to null removes the base's key: a cell, a flag's entry, a field's value."""
    path = overlay(
        tmp_path,
        """\
        extends: billing-saas
        requirements:
          data-validation: null
        kinds:
          - {id: data-validation, remove: true}
        rules:
          modifiers:
            - {id: schema-change, remove: true}
            - {id: data-migration, remove: true}
            - {id: money-hotfix, remove: true}
          risk:
            unmapped_paths: null
        """,
    )
    scale = qualscale.load_scale(path)
    assert "data-validation" not in scale.requirements
    assert scale.rules.risk.unmapped_paths is None


def test_list_values_are_replaced_whole(tmp_path: Path) -> None:
    """A list of plain values (criteria, paths, classes) in an overlay replaces the base's list."""
    path = overlay(
        tmp_path,
        """\
        extends: billing-saas
        kinds:
          - id: integration
            depths:
              - {id: contract, criteria: [REST contract tests pass]}
        """,
    )
    depth = qualscale.load_scale(path).kind("integration").depths[0]
    assert depth.criteria == ("REST contract tests pass",)


@pytest.mark.parametrize(
    ("item", "line", "key", "message"),
    [
        ("{id: perf, remove: true}", 3, "$.kinds[1].id", "cannot remove id 'perf': the base"),
        ("{id: perf, replace: true}", 3, "$.kinds[1].id", "cannot replace id 'perf'"),
        ("{id: unit, remove: yes-please}", 3, "$.kinds[1].remove", "expected true"),
        ("{id: unit, remove: true, name: U}", 3, "$.kinds[1]", "takes only its id"),
        ("{id: unit, remove: true, replace: true}", 3, "$.kinds[1]", "either removed or"),
    ],
)
def test_bad_removals_are_located_errors(
    tmp_path: Path, item: str, line: int, key: str, message: str
) -> None:
    """Removing an unknown id, or a remove/replace that is not ``true``, is a located error."""
    path = overlay(tmp_path, f"extends: generic\nkinds:\n  - {{id: acceptance}}\n  - {item}\n")
    with pytest.raises(ScaleError) as info:
        qualscale.load_scale(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (str(path), line + 1)
    assert problem.key.startswith(key)
    assert message in problem.message


def test_a_problem_in_an_overlay_item_names_the_overlay_index(tmp_path: Path) -> None:
    """A bad value in an overlay's list item is shown at the overlay's index, not the merged one."""
    path = overlay(
        tmp_path,
        """\
        extends: billing-saas
        rules:
          components:
            - {id: ledger, criticality: high, paths: ["src/ledger/**"], flags: [monye]}
        """,
    )
    with pytest.raises(ScaleError) as info:
        qualscale.load_scale(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (str(path), 4)
    assert problem.key == "$.rules.components[0].flags[0]"


@pytest.mark.parametrize("name", ["billing-saas", "generic", "safety-levels"])
@pytest.mark.parametrize("format", ["yaml", "json"])
def test_show_prints_a_merged_scale_that_loads_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, format: str
) -> None:
    """``show --format yaml`` (or json) prints the scale, and that file loads to the same scale."""
    assert cli.main(["show", name, "--format", format]) == 0
    path = tmp_path / f"shown.{format}"
    path.write_text(capsys.readouterr().out, encoding="utf-8")
    assert qualscale.load_scale(path) == qualscale.load_scale(name)


def test_show_yaml_of_an_overlay_is_the_merged_scale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An overlay shown as YAML has no extends and loads to the overlay's scale."""
    path = overlay(
        tmp_path,
        """\
        extends: generic
        kinds: [{id: performance, remove: true}]
        rules: {modifiers: [{id: performance-sensitive, remove: true}]}
        """,
    )
    assert cli.main(["show", str(path), "--format", "yaml"]) == 0
    text = capsys.readouterr().out
    assert "extends" not in text
    assert "id: performance\n" not in text
    shown = tmp_path / "shown.yaml"
    shown.write_text(text, encoding="utf-8")
    assert qualscale.load_scale(shown) == qualscale.load_scale(path)


def test_show_lists_components_in_match_order_with_priority(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``show`` lists components as they are matched (priority first) and shows each priority."""
    assert cli.main(["show", "generic", "--format", "text"]) == 0
    text = capsys.readouterr().out
    block = text.split("COMPONENTS")[1].split("\n\n")[0]
    rows = [line.split()[:2] for line in block.splitlines()[2:] if not line.startswith(" " * 4)]
    assert [r[0] for r in rows] == [
        *("dependencies", "changelog", "docs", "tests", "ci", "packaging", "source")
    ]
    assert (rows[0][1], rows[1][1], rows[2][1], rows[-1][1]) == ("10", "10", "0", "-10")


_GENERIC_COMPONENTS = [c.id for c in qualscale.load_scale("generic").rules.components]


@settings(max_examples=25, deadline=None)
@given(st.sets(st.sampled_from(_GENERIC_COMPONENTS)))
def test_removing_components_keeps_the_others_in_order(removed: set[str]) -> None:
    """Whatever components an overlay removes, exactly the others remain, in the base's order."""
    with tempfile.TemporaryDirectory() as folder:
        items = "".join(f"    - {{id: {c}, remove: true}}\n" for c in sorted(removed))
        text = (
            "extends: generic\nrules:\n  components:\n" + items if removed else "extends: generic\n"
        )
        path = Path(folder) / "o.yaml"
        path.write_text(text, encoding="utf-8")
        ids = [c.id for c in qualscale.load_scale(path).rules.components]
    assert ids == [c for c in _GENERIC_COMPONENTS if c not in removed]


def test_remove_a_standard_drops_its_cells(tmp_path: Path) -> None:
    """Removing the top standard removes its column; the matrix cells naming it are the user's."""
    path = overlay(
        tmp_path,
        """\
        extends: generic
        standards:
          - {id: S4, remove: true}
        rules:
          matrix:
            large: {high: S3}
            huge: {high: S3}
        """,
    )
    scale = qualscale.load_scale(path)
    assert [s.id for s in scale.standards] == ["S1", "S2", "S3"]
    assert all("S4" not in row for row in scale.requirements.values())
