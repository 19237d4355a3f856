"""Every file in ``examples/`` runs, and gives the standard a QA lead would sign.

Deliveries are planned through the CLI in every format; the overlay scale is validated
and used; the custom template is rendered; the release script runs in a subprocess;
the commands of ``examples/README.md`` run as written. A file added to ``examples/``
that no test here knows fails :func:`test_every_example_file_is_used`.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import jinja2
import jinja2.meta
import pytest
import yaml

import qualscale
from qualscale import cli
from qualscale.render import FORMATS, render_plan
from tests._paths import EXAMPLES, ROOT

DELIVERIES = EXAMPLES / "deliveries"
HISTORY = EXAMPLES / "history.yaml"
OVERLAY = EXAMPLES / "project-scale.yaml"
TEMPLATE = EXAMPLES / "templates" / "merge-request.md.j2"
SCRIPT = EXAMPLES / "release_checklists.py"
README = EXAMPLES / "README.md"

#: Every file of examples/, relative to it. Add a new example here *and* a test for it.
EXAMPLE_FILES = [
    "README.md",
    "costed-scale.yaml",
    "deliveries/api-token-scopes.yaml",
    "deliveries/docs-typo.yaml",
    "deliveries/legacy-migration.yaml",
    "deliveries/payment-hotfix.yaml",
    "deliveries/rating-vat-rounding.yaml",
    "deliveries/release-2026-12.yaml",
    "deliveries/ui-label-fix.yaml",
    "deliveries/unknown-size.yaml",
    "gate-review/ci-junit.xml",
    "gate-review/delivery.yaml",
    "gate-review/production.yaml",
    "gate-review/signoffs.yaml",
    "gate-review/start.yaml",
    "gate-review/validation.yaml",
    "history.jsonl",
    "history.yaml",
    "project-scale.yaml",
    "release_checklists.py",
    "scored-scale.yaml",
    "templates/merge-request.md.j2",
]


@attrs.frozen
class Expected:
    """What the default scale (no history) gives a delivery, as a QA lead reads it."""

    standard: str
    size: str
    risk: str
    #: kind -> scope the plan must require (at least as deep, on the kind's scale).
    required: dict[str, str | None] = attrs.field(factory=dict)


EXPECTED: dict[str, Expected] = {
    # A typo in the docs: the unit suite stays green, nothing more.
    "docs-typo": Expected("S1", "trivial", "low", {"unit": "suite"}),
    # Four lines of UI text: no performance test, no regression suite.
    "ui-label-fix": Expected("S1", "trivial", "medium", {"unit": "suite"}),
    # Two thousand lines in rating and invoicing: the top standard, everything at depth.
    "rating-vat-rounding": Expected(
        "S5",
        "huge",
        "critical",
        {"regression": "full", "performance": "stress", "data-validation": "reconciliation"},
    ),
    # A data migration: at least S4 (here S5), every record reconciled.
    "legacy-migration": Expected(
        "S5", "large", "critical", {"data-validation": "full-reconciliation"}
    ),
    # Access control of the public API: security tests and contract tests.
    "api-token-scopes": Expected(
        "S3", "medium", "high", {"security": "targeted", "integration": "component"}
    ),
    # Seventeen lines of a money hotfix: targeted regression, invoices recomputed.
    "payment-hotfix": Expected(
        "S3", "small", "critical", {"regression": "targeted", "data-validation": "sample"}
    ),
    # The major release: everything, the full regression suite.
    "release-2026-12": Expected(
        "S5", "huge", "critical", {"regression": "full", "security": "penetration"}
    ),
    # No figures, no type: assumed medium size and medium risk, never trivial.
    "unknown-size": Expected("S3", "medium", "high", {"integration": "component"}),
}

DELIVERY_FILES = sorted(DELIVERIES.glob("*.yaml"))


def run(*argv: str | Path) -> int:
    return cli.main([str(a) for a in argv])


def plan_json(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> Any:
    """The ``plan --format json`` document of ``argv``."""
    assert run("plan", *argv, "--format", "json") == 0
    return json.loads(capsys.readouterr().out)


def scope_at_least(
    scale: qualscale.Scale, kind: str, actual: str | None, floor: str | None
) -> bool:
    if floor is None:
        return True
    scopes = scale.kind(kind).depth_ids
    return actual in scopes and scopes.index(actual) >= scopes.index(floor)


# ------------------------------------------------------------- inventory


def test_every_example_file_is_used() -> None:
    """examples/ holds exactly the files this module knows and tests."""
    found = sorted(
        p.relative_to(EXAMPLES).as_posix()
        for p in EXAMPLES.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert found == EXAMPLE_FILES


def test_every_example_delivery_has_an_expected_standard() -> None:
    """Every example delivery has an expected standard in the table here."""
    assert sorted(p.stem for p in DELIVERY_FILES) == sorted(EXPECTED)


def test_readme_names_every_example() -> None:
    """The examples README names every example file."""
    text = README.read_text(encoding="utf-8")
    missing = [name for name in EXAMPLE_FILES if name != "README.md" and f"`{name}`" not in text]
    assert missing == []


# ------------------------------------------------------------- deliveries


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", DELIVERY_FILES, ids=lambda p: p.stem)
def test_delivery_plans_in_every_format(
    path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every example delivery plans in every format, showing its expected standard."""
    assert run("plan", path, "--format", fmt) == 0
    out, err = capsys.readouterr()
    assert err == ""
    delivery = qualscale.load_delivery(path)
    standard = EXPECTED[path.stem].standard
    if fmt == "json":
        assert json.loads(out)["standard"]["id"] == standard
    elif fmt == "yaml":
        assert yaml.safe_load(out)["standard"]["id"] == standard
    elif fmt == "markdown":
        assert out.startswith(f"# Test plan: {delivery.id}")
        assert f"**Standard:** {standard} · " in out
    elif fmt == "html":
        assert out.lstrip().lower().startswith("<!doctype html>")
        assert delivery.id in out
    else:
        assert out.startswith(f"TEST PLAN {delivery.id}")
        assert f"Standard    {standard} " in out


@pytest.mark.parametrize("path", DELIVERY_FILES, ids=lambda p: p.stem)
def test_delivery_gets_the_expected_standard(
    path: Path, scale: qualscale.Scale, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every example delivery gets the standard, size, risk and scopes a QA lead expects."""
    expected = EXPECTED[path.stem]
    data = plan_json(capsys, path)
    assert (data["standard"]["id"], data["size"], data["risk"]) == (
        expected.standard,
        expected.size,
        expected.risk,
    )
    reqs = {r["kind"]: r for r in data["requirements"]}
    for kind, scope in expected.required.items():
        assert reqs[kind]["obligation"] == "required", kind
        assert scope_at_least(scale, kind, reqs[kind]["depth"], scope), (kind, reqs[kind])


def test_docs_typo_and_ui_fix_need_no_performance_test() -> None:
    """Neither the docs typo nor the UI label fix requires a performance test."""
    for name in ("docs-typo", "ui-label-fix"):
        p = qualscale.plan(
            qualscale.load_delivery(DELIVERIES / f"{name}.yaml"), qualscale.load_scale()
        )
        assert "performance" not in p.required_kinds, name


def test_the_money_change_is_two_thousand_lines() -> None:
    """The rating example is a change of at least 2,000 lines that touches money."""
    d = qualscale.load_delivery(DELIVERIES / "rating-vat-rounding.yaml")
    p = qualscale.plan(d, qualscale.load_scale())
    assert d.changes.lines is not None
    assert d.changes.lines >= 2000
    assert "money" in p.flags


def test_migration_is_at_least_s4_whatever_its_size(scale: qualscale.Scale) -> None:
    """The migration example gets at least S4 and full reconciliation, even when tiny."""
    d = qualscale.load_delivery(DELIVERIES / "legacy-migration.yaml")
    tiny = attrs.evolve(
        d, changes=qualscale.Changes(lines_added=3, lines_removed=0, files=1), flags=()
    )
    for delivery in (d, tiny):
        p = qualscale.plan(delivery, scale)
        assert p.standard.rank >= 4
        dv = p.requirement("data-validation")
        assert dv is not None
        assert (dv.obligation, dv.depth) == ("required", "full-reconciliation")


def test_missing_figures_are_classified_conservatively() -> None:
    """The unknown-size example is assumed medium size and says that no type was given."""
    p = qualscale.plan(
        qualscale.load_delivery(DELIVERIES / "unknown-size.yaml"), qualscale.load_scale()
    )
    reasons = " | ".join(r.message for r in p.rationale)
    assert "assumed at least medium (conservative)" in reasons
    assert "no change type given" in reasons


# ------------------------------------------------------------- history


def test_history_raises_the_small_deliveries_but_not_the_docs_typo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The example history raises the small deliveries' standards but not the docs typo's."""
    got: dict[str, str] = {}
    for path in DELIVERY_FILES:
        data = plan_json(capsys, path, "--history", HISTORY)
        got[path.stem] = data["standard"]["id"]
    assert got == {
        "api-token-scopes": "S4",
        "docs-typo": "S1",
        "legacy-migration": "S5",
        "payment-hotfix": "S4",
        "rating-vat-rounding": "S5",
        "release-2026-12": "S5",
        "ui-label-fix": "S2",
        "unknown-size": "S4",
    }


def test_history_is_in_the_rationale() -> None:
    """A standard raised by history says so in the rationale."""
    history = qualscale.load_history(HISTORY)
    p = qualscale.plan(
        qualscale.load_delivery(DELIVERIES / "ui-label-fix.yaml"), qualscale.load_scale(), history
    )
    assert any(r.rule == "history:escaped-defects" for r in p.rationale)


# ------------------------------------------------------------- overlay scale


def test_overlay_validates(capsys: pytest.CaptureFixture[str]) -> None:
    """The overlay scale, the history and every example delivery validate against the overlay."""
    assert run("validate", OVERLAY, HISTORY, *DELIVERY_FILES, "--scale", OVERLAY) == 0
    out = capsys.readouterr().out
    assert f"ok: {OVERLAY} (scale billing-core 1.0-billing-core.1)" in out
    assert out.count("ok: ") == 2 + len(DELIVERY_FILES)


@pytest.mark.parametrize("path", DELIVERY_FILES, ids=lambda p: p.stem)
def test_overlay_plans_every_delivery(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The overlay scale plans every example delivery under its own name."""
    data = plan_json(capsys, path, "--scale", OVERLAY, "--history", HISTORY)
    assert data["scale"]["name"] == "billing-core"


def test_overlay_requires_static_security_analysis_at_s3(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The overlay makes static security analysis required at S3, where the base recommends it."""
    hotfix = DELIVERIES / "payment-hotfix.yaml"
    default = plan_json(capsys, hotfix)
    overlay = plan_json(capsys, hotfix, "--scale", OVERLAY)

    def security(data: Any) -> tuple[str, str]:
        req = next(r for r in data["requirements"] if r["kind"] == "security")
        return req["obligation"], req["depth"]

    assert default["standard"]["id"] == overlay["standard"]["id"] == "S3"
    assert security(default) == ("recommended", "static")
    assert security(overlay) == ("required", "static")


def test_overlay_keeps_the_shipped_items_and_adds_its_own() -> None:
    """The overlay keeps the shipped components, adds its own and tightens a history rule."""
    base = qualscale.load_scale()
    overlay = qualscale.load_scale(OVERLAY)
    ids = [c.id for c in overlay.rules.components]
    assert ids == [c.id for c in base.rules.components] + ["tenant-config"]
    rule = next(h for h in overlay.rules.history if h.id == "escaped-defects")
    assert (rule.window, rule.at_least, rule.measure) == (3, 1, "escaped_defects")


# ------------------------------------------------------------- template


def documented_plan_context() -> set[str]:
    """The variable names the render module's docstring documents for plan templates."""
    import qualscale.render

    doc = qualscale.render.__doc__ or ""
    section = doc.split("Plan template context", 1)[1].split("Scale template context", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if re.fullmatch(r"``\w+``(?:, ``\w+``)*", line.strip()):
            names.update(re.findall(r"``(\w+)``", line))
    return names


def test_template_uses_only_documented_context() -> None:
    """The example template uses only the documented plan context variables and filters."""
    documented = documented_plan_context()
    assert {"plan", "kinds", "required", "advised", "discouraged", "version"} <= documented
    env = jinja2.Environment()
    # The filters the render module documents; any other one would fail to compile here.
    env.filters.update(dict.fromkeys(("md", "code", "wrap", "table"), str))
    ast = env.parse(TEMPLATE.read_text(encoding="utf-8"))
    assert jinja2.meta.find_undeclared_variables(ast) <= documented


@pytest.mark.parametrize("path", DELIVERY_FILES, ids=lambda p: p.stem)
def test_template_renders_every_delivery(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The example template renders every example delivery with a task per required activity."""
    assert run("plan", path, "--template", TEMPLATE) == 0
    out = capsys.readouterr().out
    p = qualscale.plan(qualscale.load_delivery(path), qualscale.load_scale())
    assert out.startswith(f"### {p.standard.id} · {p.standard.name} for {p.delivery.id}")
    assert out.count("- [ ] ") == len(p.by_obligation("required"))
    assert "\n\n\n" not in out


def test_template_lists_the_hotfix_checks(capsys: pytest.CaptureFixture[str]) -> None:
    """The example template lists the hotfix's checks with environment and gate, and why S3."""
    assert run("plan", DELIVERIES / "payment-hotfix.yaml", "--template", TEMPLATE) == 0
    out = capsys.readouterr().out
    assert "- [ ] Regression tests (targeted) in Staging, before G3 · " in out
    assert "- [ ] Data validation (sample) in Staging, before G3 · " in out
    assert "<summary>Why S3</summary>" in out


def test_template_in_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """batch with the example template writes one file per example delivery."""
    out = tmp_path / "mr"
    assert run("batch", DELIVERIES, "--output-dir", out, "--template", TEMPLATE) == 0
    written = sorted(p.name for p in out.iterdir())
    ids = sorted(f"{qualscale.load_delivery(p).id}.md" for p in DELIVERY_FILES)
    assert written == ids


# ------------------------------------------------------------- script


def run_script(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )


def test_script_writes_one_checklist_per_delivery(tmp_path: Path) -> None:
    """The release script writes each delivery's Markdown plan and an index by standard."""
    out = tmp_path / "checklists"
    done = run_script(DELIVERIES, "--out", out, "--scale", OVERLAY, "--history", HISTORY)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"{len(DELIVERY_FILES)} checklists written to {out}\n"

    scale = qualscale.load_scale(OVERLAY)
    history = qualscale.load_history(HISTORY)
    plans = [qualscale.plan(qualscale.load_delivery(p), scale, history) for p in DELIVERY_FILES]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{p.delivery.id}.md" for p in plans] + ["index.md"]
    )
    for p in plans:
        text = (out / f"{p.delivery.id}.md").read_text(encoding="utf-8")
        assert text == render_plan(p, scale, "markdown")
    index = (out / "index.md").read_text(encoding="utf-8")
    assert index.startswith("# Release checklists (billing-core 1.0-billing-core.1)\n")
    rows = [line for line in index.splitlines() if line.startswith("| [")]
    assert [row.split(" | ")[1] for row in rows] == sorted(
        (p.standard.id for p in plans), reverse=True
    )


def test_script_reports_a_bad_delivery_and_writes_nothing(tmp_path: Path) -> None:
    """The release script reports a bad delivery, exits 2 and writes nothing."""
    folder = tmp_path / "release"
    folder.mkdir()
    (folder / "good.yaml").write_text((DELIVERIES / "docs-typo.yaml").read_text("utf-8"), "utf-8")
    (folder / "bad.yaml").write_text("id: DEL-9\nchanges: {lines_added: -3}\n", "utf-8")
    out = tmp_path / "checklists"
    done = run_script(folder, "--out", out)
    assert done.returncode == 2
    assert "bad.yaml:2: $.changes.lines_added" in done.stderr
    assert not out.exists()


# ------------------------------------------------------------- README commands


def readme_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    inline = re.findall(r"`((?:qualscale|python) [^`]+)`", text)
    fenced = re.findall(r"^(qualscale .+)$", text, flags=re.MULTILINE)
    return inline + fenced


def test_readme_has_a_command_per_example() -> None:
    """The examples README has a command using each example file."""
    commands = " ".join(readme_commands())
    for name in EXAMPLE_FILES:
        if name != "README.md":
            assert f"examples/{name}" in commands, name


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_runs(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each command in the examples README runs successfully as written."""
    monkeypatch.chdir(ROOT)
    argv = shlex.split(command)
    for i, arg in enumerate(argv[:-1]):
        if arg in ("-o", "--output", "--out", "--output-dir"):
            argv[i + 1] = str(tmp_path / argv[i + 1])
    if argv[0] == "python":
        done = subprocess.run(
            [sys.executable, *argv[1:]], capture_output=True, text=True, check=False, timeout=120
        )
        assert (done.returncode, done.stderr) == (0, "")
    else:
        assert cli.main(argv[1:]) == 0
        assert capsys.readouterr().out or any(a.startswith("-") for a in argv)
