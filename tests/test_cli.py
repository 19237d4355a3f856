"""Tests for the qualscale command line: main() in process, and a few real processes."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

import qualscale
from qualscale import cli
from qualscale._files import file_stem, write_text

ROOT = Path(__file__).resolve().parents[1]

DELIVERY = """\
id: MR-1
title: Round invoice totals
type: bugfix
changes: {lines_added: 400, lines_removed: 50}
flags: [money]
paths: [src/invoicing/totals.py]
"""


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    path = tmp_path / "delivery.yaml"
    path.write_text(DELIVERY, encoding="utf-8")
    return path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------- plan


def test_plan_prints_text_by_default(capsys: pytest.CaptureFixture[str], delivery: Path) -> None:
    """plan prints the text plan by default, naming the delivery and its standard."""
    code, out, err = run(capsys, "plan", str(delivery))
    assert (code, err) == (0, "")
    assert out.startswith("TEST PLAN MR-1 - Round invoice totals\n")
    assert "Standard    S5 Critical (rank 5 of 5)" in out


def test_plan_json_is_the_plan_document(capsys: pytest.CaptureFixture[str], delivery: Path) -> None:
    """plan --format json prints the plan's to_dict document."""
    code, out, _ = run(capsys, "plan", str(delivery), "--format", "json")
    expected = qualscale.plan(qualscale.load_delivery(delivery), qualscale.load_scale()).to_dict()
    assert (code, json.loads(out)) == (0, expected)


@pytest.mark.parametrize("format", ["json", "yaml"])
def test_plan_json_and_yaml_are_what_the_renderer_gives(
    capsys: pytest.CaptureFixture[str], delivery: Path, format: str
) -> None:
    """plan --format json and yaml print exactly what render_plan gives."""
    from qualscale.render import render_plan

    the_plan = qualscale.plan(qualscale.load_delivery(delivery), qualscale.load_scale())
    code, out, _ = run(capsys, "plan", str(delivery), "--format", format)
    assert (code, out) == (0, render_plan(the_plan, qualscale.load_scale(), format))


@pytest.mark.parametrize(
    ("format", "start"),
    [
        ("markdown", "# Test plan: MR-1"),
        ("html", "<!DOCTYPE html>"),
        ("yaml", "delivery:\n  id: MR-1"),
    ],
)
def test_plan_formats(
    capsys: pytest.CaptureFixture[str], delivery: Path, format: str, start: str
) -> None:
    """Each plan format starts the way that format does."""
    code, out, _ = run(capsys, "plan", str(delivery), "--format", format)
    assert code == 0
    assert out.startswith(start)


def stdin(data: bytes) -> io.TextIOWrapper:
    """A stand-in for ``sys.stdin`` with the ``buffer`` the CLI reads bytes from."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")


def test_stdin_that_is_not_utf8_is_a_located_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Non-UTF-8 stdin is a located error for plan and for the failing line of batch."""
    monkeypatch.setattr(sys, "stdin", stdin(b"id: a\xff\n"))
    assert run(capsys, "plan", "-") == (2, "", "<stdin>:1: $: not UTF-8 text (byte 5)\n")
    monkeypatch.setattr(sys, "stdin", stdin(b'{"id": "A"}\n\xff\n'))
    code, out, err = run(capsys, "batch", "-")
    assert (code, err) == (2, "<stdin>:2: $: not UTF-8 text (byte 0)\n")
    assert json.loads(out)["delivery"]["id"] == "A"


def test_output_through_a_symlink_writes_the_target(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Writing the output through a symlink keeps the link and replaces its target."""
    target = tmp_path / "real.json"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    path = write(tmp_path / "d.yaml", DELIVERY)
    assert run(capsys, "plan", str(path), "--format", "json", "-o", str(link))[0] == 0
    assert link.is_symlink()
    assert json.loads(target.read_text(encoding="utf-8"))["delivery"]["id"] == "MR-1"


def test_plan_reads_a_delivery_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """plan - reads the delivery from standard input."""
    monkeypatch.setattr(sys, "stdin", stdin(b'{"id": "S-1", "type": "docs"}'))
    code, out, _ = run(capsys, "plan", "-", "--format", "json")
    assert (code, json.loads(out)["delivery"]["id"]) == (0, "S-1")


def test_plan_with_history_raises_the_standard(
    capsys: pytest.CaptureFixture[str], delivery: Path, tmp_path: Path
) -> None:
    """plan --history takes the project's past incidents into account."""
    small = write(tmp_path / "small.yaml", "id: M-2\ntype: feature\nchanges: {lines_added: 3}\n")
    history = write(
        tmp_path / "history.yaml",
        """\
        - {id: M-0, incidents: 1}
        """,
    )
    _, out, _ = run(capsys, "plan", str(small), "--format", "json")
    _, raised, _ = run(capsys, "plan", str(small), "--history", str(history), "--format", "json")
    assert json.loads(out)["standard"]["rank"] < json.loads(raised)["standard"]["rank"]


def test_plan_with_a_scale_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """plan --scale accepts the path of a scale file."""
    path = write(tmp_path / "d.yaml", "id: L-1\ntype: feature\n")
    scale = str(ROOT / "standards" / "safety-levels.yaml")
    code, out, _ = run(capsys, "plan", str(path), "--scale", scale, "--format", "json")
    assert (code, json.loads(out)["scale"]["name"]) == (0, "safety-levels")


def test_plan_writes_the_output_file(
    capsys: pytest.CaptureFixture[str], delivery: Path, tmp_path: Path
) -> None:
    """plan -o writes the plan to the file, prints nothing and leaves no temporary file."""
    target = tmp_path / "out" / "plan.md"
    target.parent.mkdir()
    code, out, err = run(capsys, "plan", str(delivery), "--format", "markdown", "-o", str(target))
    assert (code, out, err) == (0, "", "")
    assert target.read_text(encoding="utf-8").startswith("# Test plan: MR-1")
    assert os.listdir(target.parent) == ["plan.md"]


def test_a_failed_render_leaves_no_output_file(
    capsys: pytest.CaptureFixture[str], delivery: Path, tmp_path: Path
) -> None:
    """A template error exits 2 with file and line and leaves no output file."""
    template = write(tmp_path / "t" / "bad.md.j2", "line\n{{ plan.nope }}\n")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = run(
        capsys, "plan", str(delivery), "--template", str(template), "-o", str(out_dir / "x.md")
    )
    assert (code, out) == (2, "")
    assert err == f"{template}:2: 'plan' has no attribute 'nope'\n"
    assert os.listdir(out_dir) == []


def test_an_unwritable_output_is_reported(
    capsys: pytest.CaptureFixture[str], delivery: Path, tmp_path: Path
) -> None:
    """An output path in a missing folder exits 2 and creates no folder."""
    target = tmp_path / "missing" / "plan.txt"
    code, _, err = run(capsys, "plan", str(delivery), "-o", str(target))
    assert code == 2
    assert err.startswith(f"qualscale: cannot write {target}: ")
    assert not target.parent.exists()


def test_plan_with_a_user_template(
    capsys: pytest.CaptureFixture[str], delivery: Path, tmp_path: Path
) -> None:
    """plan --template renders the plan with the user's template."""
    template = write(tmp_path / "mine.txt.j2", "{{ plan.delivery.id }}: {{ plan.standard.id }}\n")
    code, out, _ = run(capsys, "plan", str(delivery), "--template", str(template))
    assert (code, out) == (0, "MR-1: S5\n")


def test_an_unknown_flag_is_located_in_the_delivery_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An unknown flag exits 2 with its file, line, key path and a suggestion."""
    path = write(tmp_path / "d.yaml", DELIVERY.replace("[money]", "[monye]"))
    code, out, err = run(capsys, "plan", str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"{path}:5: $.flags[0]: unknown flag 'monye'; ")
    assert err.endswith("(did you mean 'money'?)\n")


@pytest.mark.parametrize(
    "argv",
    [
        ["plan"],
        ["plan", "d.yaml", "--format", "json", "--template", "t.j2"],
        ["plan", "d.yaml", "--format", "pdf"],
        ["classify"],
        ["show"],
        ["validate"],
        ["batch"],
        ["batch", "d", "--format", "markdown"],
        ["batch", "-", "-"],
        ["nope"],
        [],
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """Missing, conflicting or unknown arguments exit 2 with an error and no output."""
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert "error:" in err


# ----------------------------------------------------------------- classify


def test_classify_prints_standard_and_why(
    capsys: pytest.CaptureFixture[str], delivery: Path
) -> None:
    """classify prints standard, size, risk and the reasons, without a checklist."""
    code, out, _ = run(capsys, "classify", str(delivery))
    assert code == 0
    assert "Standard    S5 Critical (rank 5 of 5)\nSize        large\nRisk        critical" in out
    assert "WHY\n  - " in out
    assert "[ ]" not in out


def test_classify_json(capsys: pytest.CaptureFixture[str], delivery: Path) -> None:
    """classify --format json gives the delivery id, standard and rationale."""
    code, out, _ = run(capsys, "classify", str(delivery), "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["delivery"] == "MR-1"
    assert data["standard"] == {"id": "S5", "name": "Critical", "rank": 5}
    assert [r["rule"] for r in data["rationale"]][-1] == "standard"


# ----------------------------------------------------------------- validate


def test_validate_reports_each_good_file(
    capsys: pytest.CaptureFixture[str], delivery: Path
) -> None:
    """validate prints one ok line per good file, saying what the file is."""
    standards = ROOT / "standards"
    files = [standards / "billing-saas.yaml", standards / "gates.yaml", delivery]
    code, out, err = run(capsys, "validate", *map(str, files))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"ok: {files[0]} (scale billing-saas 1.0)",
        f"ok: {files[1]} (gates, 7 gates)",
        f"ok: {delivery} (delivery MR-1)",
    ]


def test_validate_reads_history_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """validate recognises a history file and counts its deliveries."""
    history = write(tmp_path / "h.yaml", "deliveries:\n  - {id: A}\n  - {id: B}\n")
    code, out, _ = run(capsys, "validate", str(history))
    assert (code, out) == (0, f"ok: {history} (history, 2 deliveries)\n")


def test_validate_reports_every_problem_and_goes_on(
    capsys: pytest.CaptureFixture[str], delivery: Path, tmp_path: Path
) -> None:
    """validate reports every problem of a bad file and still checks the next file."""
    bad = write(
        tmp_path / "bad.yaml",
        """\
        id: B-1
        type: featur
        changes: {lines_added: -3}
        """,
    )
    code, out, err = run(capsys, "validate", str(bad), str(delivery))
    assert code == 2
    assert out == f"ok: {delivery} (delivery MR-1)\n"
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{bad}:2: $.type: expected one of ")
    assert lines[1].startswith(f"{bad}:3: $.changes.lines_added: ")


def test_validate_with_a_scale_checks_flags(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """validate --scale also checks a delivery's flags against that scale."""
    path = write(tmp_path / "d.yaml", "id: X\nflags:\n  - money\n  - pii\n")
    assert run(capsys, "validate", str(path))[0] == 0
    code, _, err = run(capsys, "validate", "--scale", "billing-saas", str(path))
    assert code == 2
    assert err.startswith(f"{path}:4: $.flags[1]: unknown flag 'pii'")


def test_validate_finds_duplicate_gate_ids(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """validate reports a duplicate gate id at its line."""
    path = write(tmp_path / "gates.yaml", "gates:\n  - id: G1\n  - id: G2\n  - id: G1\n")
    code, _, err = run(capsys, "validate", str(path))
    assert (code, err) == (2, f"{path}:4: $.gates[2].id: duplicate gate id 'G1'\n")


def test_validate_a_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """validate of a missing file exits 2 saying the file is not found."""
    missing = tmp_path / "nope.yaml"
    code, _, err = run(capsys, "validate", str(missing))
    assert (code, err) == (2, f"{missing}: $: file not found\n")


# ----------------------------------------------------------- scales, show


def test_scales_lists_the_bundled_scales(capsys: pytest.CaptureFixture[str]) -> None:
    """scales lists every bundled scale with its version and description."""
    code, out, _ = run(capsys, "scales")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines() if not line.startswith(" ")]
    assert names == qualscale.loading.bundled_scales()
    assert "billing-saas   1.0  Quality standards S1-S5" in out


@pytest.mark.parametrize(
    ("format", "start"),
    [("text", "SCALE billing-saas 1.0"), ("markdown", "# Scale billing-saas"), ("html", "<!")],
)
def test_show(capsys: pytest.CaptureFixture[str], format: str, start: str) -> None:
    """show prints a bundled scale in each of its formats."""
    code, out, _ = run(capsys, "show", "billing-saas", "--format", format)
    assert (code, out[: len(start)]) == (0, start)


def test_show_an_unknown_scale(capsys: pytest.CaptureFixture[str]) -> None:
    """show of an unknown scale exits 2 listing the bundled scales."""
    code, out, err = run(capsys, "show", "biling-saas")
    assert (code, out) == (2, "")
    assert err.startswith("qualscale: unknown scale 'biling-saas'; bundled scales: ")


# -------------------------------------------------------------------- batch


@pytest.fixture
def batch_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "deliveries"
    write(folder / "a.yaml", "id: A-1\ntype: docs\n")
    write(folder / "b.json", '{"id": "feature/B 2", "type": "feature"}')
    write(folder / "c.yml", "id: C-3\nchanges: {files: -1}\n")
    write(folder / "notes.txt", "not a delivery")
    return folder


def test_batch_prints_json_lines_and_reports_bad_ones(
    capsys: pytest.CaptureFixture[str], batch_dir: Path
) -> None:
    """batch prints a JSON line per good delivery and reports bad ones, exiting 2."""
    code, out, err = run(capsys, "batch", str(batch_dir))
    assert code == 2
    assert [json.loads(line)["delivery"]["id"] for line in out.splitlines()] == [
        "A-1",
        "feature/B 2",
    ]
    assert err.startswith(f"{batch_dir / 'c.yml'}:2: $.changes.files: ")


def test_batch_writes_one_file_per_delivery(
    capsys: pytest.CaptureFixture[str], batch_dir: Path, tmp_path: Path
) -> None:
    """batch --output-dir writes one file per delivery, named after its id."""
    (batch_dir / "c.yml").unlink()
    out_dir = tmp_path / "plans"
    code, out, err = run(
        capsys, "batch", str(batch_dir), "--output-dir", str(out_dir), "--format", "markdown"
    )
    assert (code, out) == (0, "")
    assert err == f"qualscale: 2 plans written to {out_dir}\n"
    assert sorted(os.listdir(out_dir)) == ["A-1.md", "feature-B-2.md"]
    assert (out_dir / "A-1.md").read_text(encoding="utf-8").startswith("# Test plan: A-1")


def test_batch_reports_two_deliveries_with_one_file_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """batch refuses two deliveries whose ids give the same file name."""
    first = write(tmp_path / "in" / "1.yaml", "id: MR 7\n")
    second = write(tmp_path / "in" / "2.yaml", "id: MR/7\n")
    code, _, err = run(capsys, "batch", str(first), str(second), "--output-dir", str(tmp_path))
    assert code == 2
    assert err.splitlines()[0] == (
        f"{second}:1: $.id: delivery id 'MR/7' gives the same file name 'MR-7.json' as {first}"
    )


def test_batch_reads_json_lines_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """batch - plans each JSON line of stdin and reports bad lines by number."""
    lines = '{"id": "A"}\n\n{"id": 3}\nnot json\n{"id": "B", "flags": ["nope"]}\n{"id": "C"}\n'
    monkeypatch.setattr(sys, "stdin", stdin(lines.encode()))
    code, out, err = run(capsys, "batch", "-")
    assert code == 2
    assert [json.loads(line)["delivery"]["id"] for line in out.splitlines()] == ["A", "C"]
    assert [line.split(": ")[0:2] for line in err.splitlines()] == [
        ["<stdin>:3", "$.id"],
        ["<stdin>:4", "$"],
        ["<stdin>:5", "$.flags[0]"],
    ]


def test_batch_of_an_empty_folder_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """batch of a folder without delivery files exits 2."""
    code, _, err = run(capsys, "batch", str(tmp_path))
    assert code == 2
    assert "no .yaml, .yml or .json files" in err


def test_batch_stops_on_a_broken_template(
    capsys: pytest.CaptureFixture[str], batch_dir: Path, tmp_path: Path
) -> None:
    """batch exits 2 on a broken template, naming its file and line."""
    template = write(tmp_path / "t.md.j2", "{{ nope }}")
    code, _, err = run(
        capsys,
        "batch",
        str(batch_dir),
        "--output-dir",
        str(tmp_path / "o"),
        "--template",
        str(template),
    )
    assert code == 2
    assert err.splitlines()[-1] == f"{template}:1: 'nope' is undefined"


@pytest.mark.parametrize(
    ("delivery_id", "stem"),
    [
        ("MR-1", "MR-1"),
        ("feature/x y", "feature-x-y"),
        ("../../etc/passwd", "etc-passwd"),
        ("..", "delivery"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("Ünïcode", "Unicode"),
        ("a" * 300, "a" * 100),
    ],
)
def test_file_names_from_delivery_ids(delivery_id: str, stem: str) -> None:
    """Delivery ids become safe, portable file names."""
    assert file_stem(delivery_id) == stem


# ------------------------------------------------------------- help, codes


@pytest.mark.parametrize(
    "command", [[], ["plan"], ["classify"], ["validate"], ["scales"], ["show"], ["batch"]]
)
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    """Every command prints its usage with --help and exits 0."""
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    assert out.startswith("usage: qualscale")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the package version."""
    assert run(capsys, "--version") == (0, f"qualscale {qualscale.__version__}\n", "")


def test_interrupt_exits_130(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interrupted command exits 130 with one line, not a traceback."""

    def interrupted() -> list[str]:
        raise KeyboardInterrupt

    from qualscale import _cli_scales

    monkeypatch.setattr(_cli_scales, "bundled_scales", interrupted)
    assert run(capsys, "scales") == (130, "", "qualscale: interrupted\n")


# ------------------------------------------------------------ atomic writes


def test_atomic_write_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    """An atomic write keeps the mode of the file it replaces and leaves no temporary file."""
    target = tmp_path / "f.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    write_text(target, "new\n")
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["f.txt"]


def test_atomic_write_leaves_nothing_behind_on_failure(tmp_path: Path) -> None:
    """A failed atomic write raises OSError and leaves no temporary file."""
    (tmp_path / "dir").mkdir()
    with pytest.raises(OSError):
        write_text(tmp_path / "dir", "text")
    assert os.listdir(tmp_path) == ["dir"]


# ------------------------------------------------------- real processes


def qualscale_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "qualscale", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=60,
    )


HOSTILE = {
    "yaml-syntax": ("id: [unclosed\n", ":2: $: invalid YAML"),
    "python-tag": (
        'id: !!python/object/apply:os.system ["echo hacked > HACKED"]\n',
        ":1: $.id: unsupported tag 'tag:yaml.org,2002:python/object/apply:os.system'",
    ),
    "alias-bomb": (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n"
            for i in range(8)
        )
        + "id: bomb\n",
        "an alias bomb?",
    ),
    "negative-size": ("id: N\nchanges:\n  lines_added: -5\n", ":3: $.changes.lines_added: "),
    "unknown-type": ("id: T\ntype: feat\n", ":2: $.type: expected one of"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_exit_2_with_a_located_message(tmp_path: Path, case: str) -> None:
    """A hostile delivery file exits 2 with a located message, no traceback, no side effect."""
    text, message = HOSTILE[case]
    path = write(tmp_path / f"{case}.yaml", text)
    result = qualscale_process("plan", path.name, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(path.name)
    assert message in result.stderr
    assert not (tmp_path / "HACKED").exists()


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    """A missing delivery file exits 2 with one line naming it."""
    result = qualscale_process("plan", "missing.yaml", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "missing.yaml: $: file not found\n"


def test_python_m_qualscale_plans(tmp_path: Path) -> None:
    """python -m qualscale runs the CLI."""
    path = write(tmp_path / "d.yaml", DELIVERY)
    result = qualscale_process("plan", str(path), "--format", "json")
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout)["standard"]["id"] == "S5"


@pytest.mark.skipif(os.name != "posix", reason="a closed pipe is EPIPE on POSIX only")
def test_a_closed_pipe_is_not_a_traceback() -> None:
    """Output into a closed pipe exits 141 quietly."""
    process = subprocess.Popen(
        [sys.executable, "-m", "qualscale", "show", "billing-saas", "--format", "html"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()  # before the child writes: its writes meet a broken pipe
    _, err = process.communicate(timeout=60)
    assert (process.returncode, err) == (141, b"")


def test_import_validate_and_json_never_import_jinja2(delivery: Path) -> None:
    """Only rendering a template imports jinja2; import, validate and JSON output do not."""
    script = textwrap.dedent(
        f"""
        import sys
        import qualscale
        import qualscale.cli
        assert "jinja2" not in sys.modules, "import qualscale"
        code = qualscale.cli.main(["validate", {str(delivery)!r}])
        assert code == 0, code
        assert "jinja2" not in sys.modules, "validate"
        qualscale.cli.main(["plan", {str(delivery)!r}, "--format", "json"])
        assert "jinja2" not in sys.modules, "plan --format json"
        qualscale.cli.main(["plan", {str(delivery)!r}])
        assert "jinja2" in sys.modules, "plan renders text with jinja2"
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
            "GIT_CONFIG_GLOBAL": os.devnull,
        },
    )
    return result.stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_plan_from_a_git_range(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """plan --git reads the delivery from a commit: its id, type and components."""
    pytest.importorskip("qualscale.git", reason="qualscale.git is not there yet")
    _git(tmp_path, "init", "-q")
    write(tmp_path / "README.md", "hello\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "docs: start")
    write(tmp_path / "src" / "payments" / "pay.py", "x = 1\n" * 40)
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "fix: pay the right amount")
    short = _git(tmp_path, "rev-parse", "--short", "HEAD")

    code, out, err = run(
        capsys, "plan", "--git", "HEAD", "--repo", str(tmp_path), "--format", "json"
    )
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["delivery"]["id"] == short
    assert data["delivery"]["type"] == "bugfix"
    assert "payments" in data["components"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_bad_git_range_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A git range outside a repository exits 2 with one line."""
    pytest.importorskip("qualscale.git", reason="qualscale.git is not there yet")
    code, out, err = run(capsys, "classify", "--git", "HEAD", "--repo", str(tmp_path))
    assert (code, out) == (2, "")
    assert err.startswith("qualscale: ")
    assert len(err.splitlines()) == 1


# ----------------------------------------------------------- pre-commit hook


def test_the_pre_commit_hook_validates_qualscale_files() -> None:
    """The pre-commit hook runs qualscale validate on scale and delivery files only."""
    import re

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert (hook["id"], hook["entry"], hook["language"]) == (
        "qualscale-validate",
        "qualscale validate",
        "python",
    )

    def selected(path: str) -> bool:
        return bool(re.search(hook["files"], path)) and not re.search(hook["exclude"], path)

    for path in ("standards/billing-saas.yaml", "deliveries/mr-1.json", ".qualscale/x.yml"):
        assert selected(path), path
    for path in ("standards/scale.schema.json", "src/app.yaml", "standards/README.md"):
        assert not selected(path), path


# ------------------------------------------------------------- determinism

PLAN_FORMATS = ("markdown", "text", "html", "json", "yaml")
HASH_SEEDS = ("0", "1", "2", "random")

# `batch` writes one format per run; one process per hash seed runs `python -m
# qualscale batch` once per format (as runpy does for -m), so the test starts 4
# interpreters instead of 20 and stays within a few seconds.
BATCH_EVERY_FORMAT = """\
import json, runpy, sys
for argv in json.loads(sys.argv[1]):
    sys.argv = ["qualscale", *argv]
    try:
        runpy.run_module("qualscale", run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        if exit.code:
            raise
"""


def test_every_example_plans_byte_identically_under_any_hash_seed(tmp_path: Path) -> None:
    """Every example delivery gives byte-identical plans in every format, whatever the hash seed."""
    examples = ROOT / "examples"
    deliveries = sorted((examples / "deliveries").glob("*.yaml"))
    inputs = [*map(str, deliveries), "--history", str(examples / "history.yaml")]

    def batches(out: Path) -> str:
        return json.dumps(
            [
                ["batch", *inputs, "--format", format, "--output-dir", str(out / format)]
                for format in PLAN_FORMATS
            ]
        )

    runs = {
        seed: subprocess.Popen(
            [sys.executable, "-c", BATCH_EVERY_FORMAT, batches(tmp_path / seed)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        for seed in HASH_SEEDS
    }
    for seed, process in runs.items():
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, (seed, err)
    outputs = {
        seed: {
            path.relative_to(tmp_path / seed).as_posix(): path.read_bytes()
            for path in sorted((tmp_path / seed).rglob("*.*"))
        }
        for seed in HASH_SEEDS
    }
    assert len(outputs["0"]) == len(deliveries) * len(PLAN_FORMATS)
    for seed in HASH_SEEDS[1:]:
        assert outputs[seed] == outputs["0"], seed


JSONL_CASES = {
    "lone-surrogate": (
        b'{"id": "A", "title": "\\ud800"}\n',
        "<stdin>:1: $.title: not Unicode text",
    ),
    "surrogate-key": (
        b'{"id": "A", "source": {"\\udfff": 1}}\n',
        "<stdin>:1: $.source: not Unicode",
    ),
    "huge-int": (
        b'{"id": "A", "changes": {"files": 1' + b"0" * 30 + b"}}\n",
        "<stdin>:1: $.changes.files: integer out of range",
    ),
    "4300-digits": (
        b'{"id": "A", "changes": {"files": ' + b"9" * 4400 + b"}}\n",
        "<stdin>:1: $: invalid JSON: Exceeds",
    ),
    "deep": (
        b'{"id": "A", "source": {"x": ' + b"[" * 200 + b"]" * 200 + b"}}\n",
        "<stdin>:1: $.source.x" + "[0]" * 98 + ": nested more than 100 levels deep",
    ),
    "too-deep-for-json": (
        b"[" * 100_000 + b"]" * 100_000 + b"\n",
        "<stdin>:1: $: invalid JSON: nested too deeply",
    ),
}


@pytest.mark.parametrize("case", sorted(JSONL_CASES))
def test_batch_refuses_json_lines_beyond_the_bounds(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    case: str,
) -> None:
    """A JSON line beyond the bounds is a located problem; the good line after it is planned."""
    line, expected = JSONL_CASES[case]
    monkeypatch.setattr(sys, "stdin", stdin(line + b'{"id": "B"}\n'))
    code, _, err = run(capsys, "batch", "-", "--output-dir", str(tmp_path))
    assert code == 2
    assert err.startswith(expected), err
    assert [p.name for p in tmp_path.iterdir()] == ["B.json"]


def test_batch_refuses_a_line_over_the_size_limit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JSON line longer than MAX_LINE_BYTES is refused by its number; the next lines are read."""
    from qualscale._sources import MAX_LINE_BYTES

    long = b'{"id": "A", "title": "' + b"x" * (3 * MAX_LINE_BYTES) + b'"}\n'
    monkeypatch.setattr(sys, "stdin", stdin(b'{"id": "Z"}\n' + long + b'{"id": "B"}\n'))
    code, out, err = run(capsys, "batch", "-")
    assert (code, err) == (2, "<stdin>:2: $: line longer than 1048576 bytes\n")
    assert [json.loads(x)["delivery"]["id"] for x in out.splitlines()] == ["Z", "B"]


# -------------------------------------------------------------- corrections


@pytest.mark.parametrize(
    ("options", "standard", "overrides"),
    [
        ([], "S5", []),
        (
            ["--flag", "security"],
            "S5",
            [("override:flag", "flag security given on the command line")],
        ),
        (
            ["--type", "docs", "--id", "MR-9", "--title", "Totals"],
            "S5",
            [
                ("override:id", "id MR-9 given on the command line"),
                ("override:title", "title Totals given on the command line"),
                ("override:type", "type docs given on the command line"),
            ],
        ),
        (
            ["--component", "migrations", "--component", "auth"],
            "S5",
            [
                ("override:component", "component migrations given on the command line"),
                ("override:component", "component auth given on the command line"),
            ],
        ),
    ],
)
def test_classify_takes_corrections_and_says_so(
    capsys: pytest.CaptureFixture[str],
    delivery: Path,
    options: list[str],
    standard: str,
    overrides: list[tuple[str, str]],
) -> None:
    """Corrections on the command line change the delivery and open the rationale."""
    code, out, err = run(capsys, "classify", str(delivery), "--format", "json", *options)
    assert (code, err) == (0, "")
    data = json.loads(out)
    said = [
        (r["rule"], r["message"]) for r in data["rationale"] if r["rule"].startswith("override:")
    ]
    assert (standard, overrides) == (data["standard"]["id"], said)


def test_a_corrected_flag_raises_the_standard(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A flag given with --flag counts like one in the file: a schema change is at least S4."""
    path = write(
        tmp_path / "d.yaml", "id: D-1\ntype: bugfix\nchanges: {lines_added: 1, lines_removed: 1}\n"
    )
    code, out, _ = run(capsys, "plan", str(path), "--format", "json")
    assert json.loads(out)["standard"]["id"] == "S1"
    code, out, err = run(capsys, "plan", str(path), "--flag", "schema-change", "--format", "json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert (data["standard"]["id"], data["delivery"]["flags"]) == ("S4", ["schema-change"])


def test_an_unknown_corrected_flag_exits_2(
    capsys: pytest.CaptureFixture[str], delivery: Path
) -> None:
    """--flag with a flag the scale does not know exits 2 with one line and a suggestion."""
    code, out, err = run(capsys, "plan", str(delivery), "--flag", "mony")
    assert (code, out) == (2, "")
    assert err.startswith("qualscale: --flag 'mony': unknown flag; the scale knows: money, ")
    assert err.endswith("(did you mean 'money'?)\n")


def test_batch_applies_corrections_to_every_delivery(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """batch --type sets the type of every delivery it plans."""
    write(tmp_path / "in" / "a.yaml", "id: A\npaths: [docs/a.md]\n")
    write(tmp_path / "in" / "b.yaml", "id: B\npaths: [src/x.py]\n")
    code, out, err = run(capsys, "batch", str(tmp_path / "in"), "--type", "refactor")
    assert (code, err) == (0, "")
    plans = [json.loads(line) for line in out.splitlines()]
    assert [p["delivery"]["type"] for p in plans] == ["refactor", "refactor"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_delivery_file_is_merged_over_git(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """plan DELIVERY --git RANGE keeps what git found and takes the file's keys over it."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    write(repo / "README.md", "hello\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "docs: start")
    write(repo / "src" / "payments" / "pay.py", "x = 1\n" * 4)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "fix: pay the right amount")
    short = _git(repo, "rev-parse", "--short", "HEAD")
    fix = write(tmp_path / "fix.yaml", "type: hotfix\nflags: [security]\n")

    code, out, err = run(
        capsys, "plan", str(fix), "--git", "HEAD", "--repo", str(repo), "--format", "json"
    )

    assert (code, err) == (0, "")
    data = json.loads(out)
    found = data["delivery"]
    assert (found["id"], found["type"], found["flags"]) == (short, "hotfix", ["security"])
    assert found["changes"]["lines_added"] == 4
    assert found["source"]["git"]["subjects_types"] == {"bugfix": 1}
    said = [
        (r["rule"], r["message"]) for r in data["rationale"] if r["rule"].startswith("override:")
    ]
    assert said == [
        ("override:type", f"type hotfix given in {fix}"),
        ("override:flag", f"flag security given in {fix}"),
    ]


def test_every_command_module_is_mapped_and_only_its_commands() -> None:
    """The lazy command table names each command of each _cli_* module, in that module."""
    import importlib
    import pkgutil

    import qualscale

    defined = {}
    for info in pkgutil.iter_modules(qualscale.__path__):
        if info.name.startswith("_cli_") and info.name != "_cli_base":
            module = importlib.import_module(f"qualscale.{info.name}")
            defined.update({c.name: info.name for c in module.COMMANDS})
    assert defined == cli._COMMAND_MODULES
    assert [c.name for c in cli._commands()] == list(cli._COMMAND_MODULES)


def test_a_run_imports_only_its_own_command_module() -> None:
    """`qualscale scales` does not import the modules of other commands (start-up time)."""
    code = (
        "import sys, qualscale.cli as c; c.main(['scales']);"
        "print(sorted(m for m in sys.modules if m.startswith('qualscale._cli_')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "['qualscale._cli_base', 'qualscale._cli_scales']"
