"""Tests for qualscale.render: golden files, escaping, template errors, width, determinism.

Golden files live in ``tests/golden/``: ``plan-<delivery>.<ext>`` for every plan format
and ``scale-billing-saas.<ext>`` for every scale format, all on the bundled
``billing-saas`` scale. The qualscale version and the scale's sha256 are written there as
``<version>`` and ``<sha256>``: a release, or an edit of the scale that changes nothing
shown, leaves them alone. When the output changes on purpose, regenerate them and
review the diff::

    QUALSCALE_UPDATE_GOLDEN=1 pytest tests/test_render.py
    git diff tests/golden/
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import qualscale
from qualscale import cli
from qualscale._text import TEXT_WIDTH, code, md, table, wrap
from qualscale.errors import RenderError, UsageError
from qualscale.render import (
    FORMATS,
    SCALE_FORMATS,
    VERDICT_FORMATS,
    plan_context,
    render_plan,
    render_scale,
    render_verdict,
    scale_context,
    verdict_problems,
)
from qualscale.verification import Evidence, verify

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("QUALSCALE_UPDATE_GOLDEN") == "1"
SUFFIX = {"markdown": "md", "text": "txt", "html": "html", "json": "json", "yaml": "yaml"}

DELIVERIES: dict[str, dict[str, Any]] = {
    "docs-typo": {
        "id": "MR-101",
        "title": "Fix a typo in the README",
        "type": "docs",
        "changes": {"lines_added": 1, "lines_removed": 1, "files": 1},
        "paths": ["README.md"],
    },
    "money-change": {
        "id": "MR-202",
        "title": "Rewrite proration of mid-cycle plan changes",
        "type": "feature",
        "changes": {"lines_added": 820, "lines_removed": 140, "files": 23},
        "paths": [
            "src/invoicing/proration.py",
            "src/rating/tariffs.py",
            "tests/invoicing/test_proration.py",
        ],
        "project": "billing",
    },
    "data-migration": {
        "id": "MIG-7",
        "title": "Migrate legacy contracts and balances",
        "type": "data-migration",
        "changes": {"lines_added": 260, "lines_removed": 12, "files": 6},
        "paths": ["migrations/0042_contracts.sql", "src/customers/import_contracts.py"],
    },
}


def check_golden(name: str, text: str, sha256: str | None = None) -> None:
    """Compare ``text`` with ``tests/golden/<name>``, or write it when regenerating.

    The version and the scale's ``sha256`` (full, and the 12-digit form the rendered
    plans show) are replaced by placeholders first.
    """
    text = text.replace(f"qualscale {qualscale.__version__}", "qualscale <version>")
    if sha256 is not None:
        text = text.replace(sha256, "<sha256>").replace(sha256[:12], "<sha256>")
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        return
    if not path.exists():
        pytest.fail(f"no golden file {name}; run QUALSCALE_UPDATE_GOLDEN=1 pytest {__file__}")
    assert path.read_text(encoding="utf-8") == text, (
        f"{name} differs; if the change is on purpose: QUALSCALE_UPDATE_GOLDEN=1 pytest "
        "tests/test_render.py"
    )


@pytest.fixture(scope="module")
def billing() -> qualscale.Scale:
    return qualscale.load_scale("billing-saas")


def make_plan(scale: qualscale.Scale, **delivery: Any) -> qualscale.TestPlan:
    return qualscale.plan(qualscale.Delivery.from_dict(delivery), scale)


# ------------------------------------------------------------------ goldens


@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("name", sorted(DELIVERIES))
def test_plan_matches_golden_file(billing: qualscale.Scale, name: str, format: str) -> None:
    """Each sample plan renders in each format exactly as its golden file."""
    the_plan = make_plan(billing, **DELIVERIES[name])
    text = render_plan(the_plan, billing, format)
    check_golden(f"plan-{name}.{SUFFIX[format]}", text, billing.sha256)


@pytest.mark.parametrize("format", SCALE_FORMATS)
def test_scale_matches_golden_file(billing: qualscale.Scale, format: str) -> None:
    """The billing-saas scale renders in each scale format exactly as its golden file."""
    check_golden(f"scale-billing-saas.{SUFFIX[format]}", render_scale(billing, format))


@pytest.mark.parametrize("format", ["text", "yaml"])
def test_generic_scale_matches_golden_file(format: str) -> None:
    """The generic scale renders as its golden files: a change to it shows in review."""
    scale = qualscale.load_scale("generic")
    check_golden(f"scale-generic.{SUFFIX[format]}", render_scale(scale, format))


#: Evidence of a session: some kinds passed, one failed, one the plan does not name.
EVIDENCE = {
    "unit": Evidence(passed=12, skipped=1),
    "regression": Evidence(failed=1, passed=4),
    "performance": Evidence(deselected=2),
    "chaos": Evidence(passed=1),
}
NOTE = "--qualscale-select deselected 2 performance (discouraged in S1)"


@pytest.mark.parametrize("format", VERDICT_FORMATS)
@pytest.mark.parametrize("name", sorted(DELIVERIES))
def test_verdict_matches_golden_file(billing: qualscale.Scale, name: str, format: str) -> None:
    """The pytest plugin's report and terminal table of a verdict are pinned per format."""
    the_plan = make_plan(billing, **DELIVERIES[name])
    text = render_verdict(the_plan, verify(the_plan, EVIDENCE), format, note=NOTE)
    check_golden(f"verdict-{name}.{SUFFIX[format]}", text)


def test_the_goldens_cover_what_the_brief_asks(billing: qualscale.Scale) -> None:
    """The golden deliveries span the scale: a docs typo at S1, migration S4, money S5."""
    standards = {name: make_plan(billing, **data).standard.id for name, data in DELIVERIES.items()}
    assert standards == {"docs-typo": "S1", "money-change": "S5", "data-migration": "S4"}


# ---------------------------------------------------------- formats, content


def test_verdict_problems_name_failed_and_missing_required_kinds(billing: qualscale.Scale) -> None:
    """Each required kind that failed or has no passing test gets one phrase, in plan order."""
    the_plan = make_plan(billing, **DELIVERIES["data-migration"])
    problems = verdict_problems(verify(the_plan, EVIDENCE))
    assert "regression failed (1 failed)" in problems
    assert "performance missing (no passing test)" in problems
    assert verdict_problems(verify(the_plan, {})) == tuple(
        f"{r.kind} missing (no passing test)" for r in the_plan.by_obligation("required")
    )


def test_verdict_escapes_markdown_in_text_from_the_delivery(billing: qualscale.Scale) -> None:
    """Markup in a delivery's id or title is shown literally, through the one escaper ``md``."""
    the_plan = make_plan(billing, id="X_1|2", title="Use *bold* <b>here</b>\nnext")
    text = render_verdict(the_plan, verify(the_plan, {}), "markdown")
    assert text.startswith(r"## qualscale: X\_1\|2 - S")
    assert r"> Use \*bold\* \<b>here\</b> next" in text.splitlines()


def test_verdict_text_keeps_control_characters_off_the_terminal(
    billing: qualscale.Scale,
) -> None:
    """An escape sequence in the note never reaches the terminal."""
    the_plan = make_plan(billing, id="X-1")
    text = render_verdict(the_plan, verify(the_plan, {}), "text", note="a\x1b[31mred")
    assert "\x1b" not in text
    assert text.splitlines()[-1] == "a[31mred"


def test_unknown_verdict_format_is_a_usage_error(billing: qualscale.Scale) -> None:
    """``render_verdict`` knows ``markdown`` and ``text`` only."""
    the_plan = make_plan(billing, id="X-1")
    with pytest.raises(UsageError, match="unknown format 'html'; expected one of: markdown, text"):
        render_verdict(the_plan, verify(the_plan, {}), "html")


def test_table_right_aligns_the_columns_asked_for() -> None:
    """Numbers line up on the right when their columns are named in ``right``."""
    assert table([("a", "1", "x"), ("bb", "100", "y")], indent=0, right=[1]) == (
        "a     1  x\nbb  100  y"
    )


def test_json_is_the_plans_own_json(billing: qualscale.Scale) -> None:
    """The json format is the plan's own to_json output."""
    the_plan = make_plan(billing, **DELIVERIES["money-change"])
    assert render_plan(the_plan, billing, "json") == the_plan.to_json()


def test_yaml_loads_back_to_the_plans_dict(billing: qualscale.Scale) -> None:
    """The yaml format loads back to the plan's to_dict document."""
    the_plan = make_plan(billing, **DELIVERIES["data-migration"])
    assert yaml.safe_load(render_plan(the_plan, billing, "yaml")) == the_plan.to_dict()


def test_markdown_puts_required_first_and_the_rest_apart(billing: qualscale.Scale) -> None:
    """Markdown lists required tests first, then advised ones, then those not needed, by gate."""
    text = render_plan(make_plan(billing, **DELIVERIES["docs-typo"]), billing, "markdown")
    required = text.index("## Required")
    advised = text.index("## Recommended and optional")
    not_needed = text.index("## Not needed")
    assert required < text.index("- [ ] **unit** (suite) — required") < advised
    assert advised < text.index("- [ ] **regression** (smoke) — recommended") < not_needed
    assert "- performance (baseline): " in text[not_needed:]
    assert "### G4 · Start of validation\n\n#### CI\n\n- [ ] **unit**" in text


def test_markdown_nests_criteria_and_checklist_as_tasks(billing: qualscale.Scale) -> None:
    """Markdown nests a requirement's reason, criteria and checklist under it as tasks."""
    text = render_plan(make_plan(billing, **DELIVERIES["docs-typo"]), billing, "markdown")
    expected = (
        (
            "- [ ] **unit** (suite) — required\n"
            "  _S1 requires unit \\(suite\\)_\n"
            "  - [ ] The full unit suite passes in CI\n"
            "  - [ ] CI pipeline green on the merge request\n"
        )
        .replace("\\(", "(")
        .replace("\\)", ")")
    )
    assert expected in text


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("<script>alert(1)</script>", "\\<script>alert(1)\\</script>"),
        ("*not bold* _nor italic_", "\\*not bold\\* \\_nor italic\\_"),
        ("[link](http://example.com)", "\\[link\\](http://example.com)"),
        ("a | b", "a \\| b"),
        ("two\nlines", "two lines"),
        ("bell\x07 and \x1b[31mred", "bell and \\[31mred"),
    ],
)
def test_markdown_escapes_user_text(billing: qualscale.Scale, title: str, expected: str) -> None:
    """Markdown escapes markup and drops line breaks and control characters in user text."""
    text = render_plan(make_plan(billing, id="X-1", title=title), billing, "markdown")
    assert text.splitlines()[0] == f"# Test plan: X-1 — {expected}"


def test_html_escapes_a_hostile_title(billing: qualscale.Scale) -> None:
    """HTML escapes a script tag in the delivery title."""
    text = render_plan(
        make_plan(billing, id="X-1", title="<script>alert(1)</script>"), billing, "html"
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>" not in text


def test_html_escapes_hostile_scale_text(billing: qualscale.Scale) -> None:
    """HTML escapes markup in a scale's own text."""
    hostile = attrs.evolve(billing, description='<img src=x onerror="alert(1)">')
    text = render_scale(hostile, "html")
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in text
    assert "<img" not in text


def test_html_is_self_contained(billing: qualscale.Scale) -> None:
    """The HTML plan has inline style and checkboxes and loads nothing external."""
    text = render_plan(make_plan(billing, **DELIVERIES["money-change"]), billing, "html")
    assert text.startswith("<!DOCTYPE html>")
    assert "<style>" in text
    assert '<input type="checkbox">' in text
    for external in ("http://", "https://", "<link", "<script", "src="):
        assert external not in text


LONG = "x" * 150


@pytest.mark.parametrize(
    "delivery",
    [
        *DELIVERIES.values(),
        {"id": "L-1", "title": "A long title " * 20, "flags": ["money", "personal-data"]},
        {"id": LONG, "title": LONG, "paths": [f"src/{LONG}.py"], "type": "hotfix"},
    ],
    ids=[*DELIVERIES, "long-words", "unbreakable"],
)
def test_text_lines_fit_in_100_columns(billing: qualscale.Scale, delivery: dict[str, Any]) -> None:
    """No line of a text plan is wider than 100 columns, even with long words."""
    text = render_plan(make_plan(billing, **delivery), billing, "text")
    assert max(len(line) for line in text.splitlines()) <= TEXT_WIDTH


@pytest.mark.parametrize("name", qualscale.loading.bundled_scales())
def test_scale_text_fits_in_100_columns(name: str) -> None:
    """No line of a bundled scale's text rendering is wider than 100 columns."""
    text = render_scale(qualscale.load_scale(name), "text")
    assert max(len(line) for line in text.splitlines()) <= TEXT_WIDTH


@pytest.mark.parametrize("format", ["markdown", "text", "html"])
def test_output_has_no_markup_leaks_or_undefined(billing: qualscale.Scale, format: str) -> None:
    """Rendered plans hold no template syntax and end with exactly one newline."""
    text = render_plan(make_plan(billing, **DELIVERIES["money-change"]), billing, format)
    assert "{{" not in text
    assert "{%" not in text
    assert text.endswith("\n")
    assert not text.endswith("\n\n")


def test_text_has_no_markup(billing: qualscale.Scale) -> None:
    """The text plan holds no Markdown or HTML markup."""
    text = render_plan(make_plan(billing, **DELIVERIES["money-change"]), billing, "text")
    for markup in ("**", "<", "- [ ]", "#"):
        assert markup not in text


def test_rendering_is_deterministic_across_processes(billing: qualscale.Scale) -> None:
    """A plan renders the same Markdown in another process with another hash seed."""
    here = render_plan(make_plan(billing, **DELIVERIES["money-change"]), billing, "markdown")
    script = textwrap.dedent(
        f"""
        import sys, qualscale
        from qualscale.render import render_plan
        scale = qualscale.load_scale("billing-saas")
        delivery = qualscale.Delivery.from_dict({DELIVERIES["money-change"]!r})
        sys.stdout.write(render_plan(qualscale.plan(delivery, scale), scale, "markdown"))
        """
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, env=env, check=True
    )
    assert result.stdout.decode("utf-8").replace("\r\n", "\n") == here
    assert here == render_plan(make_plan(billing, **DELIVERIES["money-change"]), billing)


@pytest.mark.parametrize("format", ["pdf", "Markdown", ""])
def test_an_unknown_format_is_a_usage_error(billing: qualscale.Scale, format: str) -> None:
    """An unknown or miscased plan format raises a UsageError."""
    the_plan = make_plan(billing, id="X-1")
    with pytest.raises(UsageError, match="unknown format"):
        render_plan(the_plan, billing, format)


def test_an_unknown_scale_format_is_a_usage_error(billing: qualscale.Scale) -> None:
    """A scale cannot be rendered as csv: a UsageError lists the scale formats."""
    with pytest.raises(UsageError, match="expected one of: markdown, text, html, yaml, json"):
        render_scale(billing, "csv")


def test_the_cli_knows_the_same_formats(capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI offers exactly the formats the renderer knows, for plans and for scales."""
    for command, formats in (("plan", FORMATS), ("batch", FORMATS), ("show", SCALE_FORMATS)):
        cli.main([command, "--format", "nope"])
        assert f"choose from {', '.join(map(repr, formats))})" in capsys.readouterr().err


# ------------------------------------------------------------------ context


def test_plan_context_has_the_documented_variables(billing: qualscale.Scale) -> None:
    """The plan template context holds exactly the documented variables."""
    context = plan_context(make_plan(billing, id="X-1"), billing)
    assert set(context) == {
        "plan",
        "scale",
        "standard",
        "gates",
        "environments",
        "kinds",
        "groups",
        "required",
        "advised",
        "discouraged",
        "version",
    }
    assert context["version"] == qualscale.__version__


def test_groups_follow_gate_then_environment_order(billing: qualscale.Scale) -> None:
    """Template groups follow gate order, then environment order within a gate."""
    context = plan_context(make_plan(billing, **DELIVERIES["money-change"]), billing)
    outline = [
        (group["label"], [env["label"] for env in group["environments"]])
        for group in context["groups"]
    ]
    assert outline == [
        ("G4 · Start of validation", ["CI", "Pre-production"]),
        ("G3 · Start of in-office application", ["Pre-production"]),
        ("G2 · General availability", ["Pre-production"]),
    ]


def test_groups_hold_every_requirement_once(billing: qualscale.Scale) -> None:
    """The groups hold each requirement once, split into required, advised and discouraged."""
    the_plan = make_plan(billing, **DELIVERIES["docs-typo"])
    context = plan_context(the_plan, billing)

    def kinds(groups: list[dict[str, Any]]) -> list[str]:
        return [r["kind"] for g in groups for e in g["environments"] for r in e["requirements"]]

    assert sorted(kinds(context["groups"])) == sorted(r.kind for r in the_plan.requirements)
    assert kinds(context["required"]) == ["unit"]
    assert kinds(context["advised"]) == ["regression"]
    assert [r["kind"] for r in context["discouraged"]] == ["performance"]


def test_requirements_without_gate_or_environment_come_last(
    billing: qualscale.Scale,
) -> None:
    """A requirement without gate or environment goes in a last 'No gate' group."""
    the_plan = make_plan(billing, id="X-1")
    loose = attrs.evolve(the_plan.requirements[0], environment=None, gate=None)
    the_plan = attrs.evolve(the_plan, requirements=(loose, *the_plan.requirements[1:]))
    groups = plan_context(the_plan, billing)["groups"]
    assert groups[-1]["label"] == "No gate"
    assert groups[-1]["gate"] is None
    assert groups[-1]["environments"][0]["label"] == "Any environment"


def test_scale_context_matrix_cells(billing: qualscale.Scale) -> None:
    """The scale matrix shows obligation and scope per kind and standard, a dash for none."""
    context = scale_context(billing)
    rows = {row["kind"]["id"]: row["cells"] for row in context["matrix"]}
    assert [c["text"] for c in rows["regression"]] == [
        "recommended · smoke",
        "required · smoke",
        "required · targeted",
        "required · full",
        "required · full",
    ]
    assert rows["acceptance"][0] == {
        "standard": "S1",
        "requirement": None,
        "text": "\u2013",
        "mark": "\u2013",
    }


# ------------------------------------------------------------ user templates


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_user_template_sees_the_context(billing: qualscale.Scale, tmp_path: Path) -> None:
    """A user template sees the plan, the kinds and the groups."""
    template = write(
        tmp_path,
        "mine.md.j2",
        "{{ plan.delivery.id }} {{ plan.standard.id }} {{ kinds.unit.label }}\n"
        "{% for g in groups %}{{ g.label }};{% endfor %}\n",
    )
    text = render_plan(make_plan(billing, **DELIVERIES["docs-typo"]), billing, template=template)
    # trim_blocks drops the newline after {% endfor %}, as in any Jinja template
    assert (
        text
        == "MR-101 S1 Unit tests\nG4 · Start of validation;G3 · Start of in-office application;"
    )


def test_an_undefined_attribute_names_file_line_and_variable(
    billing: qualscale.Scale, tmp_path: Path
) -> None:
    """An undefined attribute in a user template names the file, line and variable."""
    template = write(tmp_path, "my.md.j2", "a\nb\nc\nd\ne\nf\n{{ plan.nope }}\n")
    with pytest.raises(RenderError) as info:
        render_plan(make_plan(billing, id="X-1"), billing, template=template)
    assert str(info.value) == f"{template}:7: 'plan' has no attribute 'nope'"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ nope }}", ":1: 'nope' is undefined"),
        ("\n{{ plan.delivery.nope }}", ":2: 'plan.delivery' has no attribute 'nope'"),
        ("\n\n{{ plan.requirements[99] }}", ":3: 'plan.requirements' has no element 99"),
        ("{% for x in plan.rationale %}\n{{ x.nope }}{% endfor %}", ":2: 'plan.rationale[0]'"),
        ("{{ 1 // 0 }}", ":1: ZeroDivisionError: integer division or modulo by zero"),
        ('{{ "".__class__ }}', ":1: access to attribute '__class__' of 'str' object is unsafe"),
        ("{% for x in plan %}\n{{ x }\n", ":2: unexpected '}'"),
        ("{% if plan %}\n", ":1: Unexpected end of template"),
    ],
)
def test_a_broken_template_is_a_located_render_error(
    billing: qualscale.Scale, tmp_path: Path, source: str, message: str
) -> None:
    """Each kind of broken template raises a RenderError naming its file and line."""
    template = write(tmp_path, "t.txt.j2", source)
    with pytest.raises(RenderError) as info:
        render_plan(make_plan(billing, id="X-1"), billing, template=template)
    assert str(info.value).startswith(f"{template}{message}")


def test_an_error_in_an_included_template_names_that_file(
    billing: qualscale.Scale, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error inside an included template names the included file and its line."""
    write(tmp_path, "part.j2", "ok\n{{ plan.nope }}\n")
    write(tmp_path, "main.j2", '{% include "part.j2" %}')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RenderError) as info:
        render_plan(make_plan(billing, id="X-1"), billing, template="main.j2")
    assert str(info.value) == "part.j2:2: 'plan' has no attribute 'nope'"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.j2", "cannot read the template: no such file"),
        (lambda d: d, "cannot read the template: a directory"),
        (lambda d: (d / "latin.j2", d.joinpath("latin.j2").write_bytes(b"\xe9"))[0], "UTF-8"),
    ],
    ids=["missing", "directory", "not-utf8"],
)
def test_an_unreadable_template_is_a_render_error(
    billing: qualscale.Scale, tmp_path: Path, make: Any, message: str
) -> None:
    """A missing, directory or non-UTF-8 template raises a RenderError saying which."""
    with pytest.raises(RenderError, match=message):
        render_plan(make_plan(billing, id="X-1"), billing, template=make(tmp_path))


@pytest.mark.parametrize(
    ("name", "escaped"),
    [("p.html.j2", True), ("p.HTM", True), ("p.xml.jinja2", True), ("p.md.j2", False)],
)
def test_user_templates_autoescape_by_name(
    billing: qualscale.Scale, tmp_path: Path, name: str, escaped: bool
) -> None:
    """A user template autoescapes when its name says HTML or XML, and not otherwise."""
    template = write(tmp_path, name, "{{ plan.delivery.title }}")
    text = render_plan(make_plan(billing, id="X-1", title="<b>"), billing, template=template)
    assert text == ("&lt;b&gt;" if escaped else "<b>")


def test_a_user_template_can_include_a_shipped_one(
    billing: qualscale.Scale, tmp_path: Path
) -> None:
    """A user template can include a shipped template by its qualscale/ name."""
    the_plan = make_plan(billing, **DELIVERIES["docs-typo"])
    template = write(tmp_path, "wrapped.md.j2", 'Intro\n\n{% include "qualscale/plan.md.j2" %}')
    text = render_plan(the_plan, billing, template=template)
    assert text == "Intro\n\n" + render_plan(the_plan, billing, "markdown")


def test_a_user_template_cannot_change_the_context(
    billing: qualscale.Scale, tmp_path: Path
) -> None:
    """A user template that tries to mutate the plan gets a RenderError."""
    template = write(tmp_path, "t.j2", "{{ plan.flags.append('x') }}")
    with pytest.raises(RenderError, match="unsafe"):
        render_plan(make_plan(billing, id="X-1"), billing, template=template)


# ------------------------------------------------------------------ filters


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain text", "plain text"),
        ("a_b*c`d", "a\\_b\\*c\\`d"),
        ("x\\y", "x\\\\y"),
        ("~~gone~~", "\\~\\~gone\\~\\~"),
        ("line\r\nbreak\ttab", "line break tab"),
        (3, "3"),
    ],
)
def test_md_escapes_inline_markup(value: object, expected: str) -> None:
    """md escapes Markdown inline markup and flattens whitespace."""
    assert md(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("docs/**", "`docs/**`"), ("a`b", "``a`b``"), ("`x", "`` `x ``"), ("a|b", "`a\\|b`")],
)
def test_code_makes_a_code_span(value: str, expected: str) -> None:
    """code makes a code span that survives backticks and pipes."""
    assert code(value) == expected


def test_wrap_indents_and_hangs() -> None:
    """wrap indents the first line, hangs the rest and keeps within the width."""
    text = wrap("word " * 30, indent=2, hanging=4, width=40)
    lines = text.splitlines()
    assert lines[0].startswith("  word")
    assert all(line.startswith("    word") for line in lines[1:])
    assert max(len(line) for line in lines) <= 40


def test_wrap_of_nothing_is_the_bare_indent() -> None:
    """Wrapping an empty string gives an empty string, without the indent."""
    assert wrap("", indent=4) == ""


def test_table_aligns_columns_and_wraps_the_last() -> None:
    """table aligns its columns and wraps the last one within the width."""
    rows = [["id", "text"], ["a", "short"], ["long-id", "word " * 30]]
    lines = table(rows, indent=0, width=40).splitlines()
    assert lines[:2] == ["id       text", "a        short"]
    assert all(len(line) <= 40 for line in lines)
    assert lines[3].startswith(" " * 9 + "word")


# ------------------------------------------------------------ hostile titles

HOSTILE_TITLES = [
    "\r- [x] all required tests passed",
    "\n- [x] all required tests passed",
    "\u2028- [x] all required tests passed",
    "\u0085- [x] all required tests passed",
    "<img src=x onerror=alert(1)>",
    "ok\r\n\r\n<script>alert(1)</script>",
    "\x1b[31mred\x1b[0m ![x](http://evil/x.png) [link](javascript:alert(1))",
]


def _markdown_outputs(scale: qualscale.Scale, title: str) -> dict[str, str]:
    from qualscale.render import render_plan, render_verdict
    from qualscale.verification import verify

    plan = make_plan(scale, id="X", title=title, flags=["money"], paths=["src/rating/a.py"])
    return {
        "plan": render_plan(plan, scale, "markdown"),
        "verdict": render_verdict(plan, verify(plan, {}), "markdown"),
    }


def _assert_inert(output: str) -> None:
    for line in output.splitlines():
        assert not line.lstrip().startswith(("- [x]", "* [x]", "+ [x]")), line
    # <sub> is the template's own footer; any other tag would come from the title.
    assert re.search(r"(?<!\\)<(?!/?sub>)[A-Za-z!/?]", output) is None, output
    assert re.search(r"(?<!\\)\[(?:link|x)\]\(", output) is None, output
    assert "\x1b" not in output


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_a_hostile_title_makes_no_checkbox_or_html_in_markdown(
    billing: qualscale.Scale, title: str
) -> None:
    """A title cannot tick a box, open raw HTML or make a link in the plan or verdict Markdown."""
    for output in _markdown_outputs(billing, title).values():
        _assert_inert(output)


@settings(max_examples=30)
@given(st.text(st.sampled_from("\r\n\u2028\u0085\t<>[]()!-*+x `|&#;\\_ab"), max_size=40))
def test_no_title_breaks_out_of_its_markdown_line(billing: qualscale.Scale, title: str) -> None:
    """Whatever a title holds, the Markdown plan and verdict stay inert around it."""
    for output in _markdown_outputs(billing, "- [x] " + title).values():
        _assert_inert(output)
