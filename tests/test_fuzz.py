"""Fuzzing: mutated shipped files never end in anything but a located QualscaleError.

Every shipped scale, gates file, example delivery and history, and generated JSON
Lines, is mutated byte by byte and line by line (with tokens chosen to reach the
YAML reader's corners: tags, anchors, dates, huge numbers, deep nesting) and fed to
the loaders and to the command line. The invariants: a loader returns or raises a
:class:`QualscaleError` whose every problem names the file and a line; the command
line exits 0, 1 or 2 and never prints a traceback. Every crash found so far is kept
in :data:`CRASHES` as a regression case.

``--hypothesis-show-statistics`` shows how many inputs each loader loaded or refused.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

import qualscale
from qualscale import Problem, QualscaleError, ValidationError, cli
from qualscale._evidence import read_signoffs
from qualscale._junit import read_junit
from qualscale.loading import load_document
from tests._paths import EXAMPLES, ROOT, STANDARDS

#: Examples per fuzz test: a third of the profile's (20 by default, 133 under ``ci``).
EXAMPLES_PER_TEST = max(10, settings().max_examples // 3)
fuzz = settings(max_examples=EXAMPLES_PER_TEST)

SCALES = sorted(p for p in STANDARDS.glob("*.yaml") if p.stem != "gates")
GATES = [STANDARDS / "gates.yaml"]
DELIVERIES = sorted((EXAMPLES / "deliveries").glob("*.yaml"))
HISTORIES = [EXAMPLES / "history.yaml"]
OVERLAYS = [
    EXAMPLES / "project-scale.yaml",
    EXAMPLES / "scored-scale.yaml",
    EXAMPLES / "costed-scale.yaml",
]
SCHEMAS = sorted(STANDARDS.glob("*.schema.json"))
ALL_SEEDS = [*SCALES, *GATES, *DELIVERIES, *HISTORIES, *OVERLAYS, *SCHEMAS]

#: Pieces that reach the corners of YAML, JSON and our own bounds.
TOKENS = [
    b"!!int ",
    b"!!bool ",
    b"!!float ",
    b"!!timestamp ",
    b"!!binary ",
    b"!!str ",
    b"!!null ",
    b"!!set ",
    b"!!omap ",
    b"!!python/object:os.system ",
    b"!custom ",
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"<<: ",
    b"? ",
    b": ",
    b"- ",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b"'",
    b'"',
    b"|\n",
    b">-\n",
    b"#",
    b"\n",
    b"\t",
    b"  ",
    b"\x00",
    b"\xff",
    b"\xef\xbb\xbf",
    b"\\ud800",
    b"\r",
    b"\xe2\x80\xa8",
    b"2026-02-30",
    b"2026-13-45",
    b"2026-01-01 99:00:00",
    b"0x" + b"f" * 40,
    b"9" * 30,
    b"-9" * 20,
    b"1e999",
    b".nan",
    b"~",
    b"null",
    b"yes",
    b"[" * 120,
    b"extends: ",
    b"extends: billing-saas\n",
    b"gates: gates\n",
    b"../",
    b"docs/../src/rating/x.py",
    b"%YAML 1.1\n---\n",
    b"---\n",
    b"...\n",
]


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` after one to six byte or line mutations."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "byte", "line", "dupline"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "replace":
            data[at : at + draw(st.integers(1, 8))] = draw(st.sampled_from(TOKENS))
        elif op == "byte":
            data[at:at] = bytes([draw(st.integers(0, 255))])
        else:
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            if op == "line":
                del lines[i]
            else:
                lines.insert(draw(st.integers(0, len(lines))), lines[i])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def check_loader(load: Callable[[Path], Any], path: Path, label: str) -> None:
    """``load(path)`` returns, or raises a QualscaleError with every problem located."""
    problems: tuple[Problem, ...] | None = None
    try:
        load(path)
    except ValidationError as exc:
        problems = exc.problems
        assert problems
    except QualscaleError:
        problems = ()
    event(f"{label}: {'loaded' if problems is None else 'refused'}")
    unlocated = [str(p) for p in problems or () if p.file is None or p.line is None]
    assert unlocated == []


@contextmanager
def real_streams(stdin: bytes = b"") -> Iterator[tuple[io.BytesIO, io.BytesIO]]:
    """Standard streams that encode strictly as UTF-8, as a terminal's or a pipe's do."""
    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    streams = (
        io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"),
        io.TextIOWrapper(out, encoding="utf-8", write_through=True),
        io.TextIOWrapper(err, encoding="utf-8", write_through=True),
    )
    sys.stdin, sys.stdout, sys.stderr = streams
    try:
        yield out, err
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
        for stream in streams:
            stream.detach()  # else collecting the wrapper would close the buffer


def check_cli(*argv: str, stdin: bytes = b"") -> None:
    """The command line exits 0, 1 or 2, without a traceback."""
    with real_streams(stdin) as (_, err):
        code = cli.main(list(argv))
    assert code in (0, 1, 2), (code, err.getvalue())
    assert b"Traceback" not in err.getvalue()
    if currently_in_test_context():
        event(f"cli {argv[0]}: exit {code}")


def _loaders(seed: Path) -> list[tuple[str, Callable[[Path], Any]]]:
    found: list[tuple[str, Callable[[Path], Any]]] = [("load_document", load_document)]
    if seed in SCALES or seed in OVERLAYS:
        found.append(("load_scale", qualscale.load_scale))
    if seed in DELIVERIES:
        found.append(("load_delivery", qualscale.load_delivery))
    if seed in HISTORIES:
        found.append(("load_history", qualscale.load_history))
    return found


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the mutated files (one per seed's name, rewritten per example)."""
    return tmp_path_factory.mktemp("fuzz")


def _seed_text(seed: Path) -> bytes:
    # Overlays name their gates and bases relative to themselves; the copies sit
    # elsewhere, so they extend the bundled scale instead.
    text = seed.read_bytes().replace(b"extends: ./", b"extends: ")
    return text.replace(b"extends: project-scale.yaml", b"extends: billing-saas")


@pytest.mark.parametrize("seed", ALL_SEEDS, ids=lambda p: p.name)
@fuzz
@given(data=st.data())
def test_mutated_files_load_or_raise_located_errors(
    seed: Path, workdir: Path, data: st.DataObject
) -> None:
    """Mutations of each shipped file load or raise located QualscaleErrors, and validate exits."""
    path = workdir / seed.name
    path.write_bytes(data.draw(mutated(_seed_text(seed)), label="mutated"))
    for label, load in _loaders(seed):
        check_loader(load, path, label)
    check_cli("validate", str(path))


@st.composite
def json_lines(draw: st.DrawFn) -> bytes:
    """JSON Lines of deliveries, some lines mutated."""
    seeds = [json.loads(json.dumps(qualscale.load_delivery(p).to_dict())) for p in DELIVERIES]
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        line = json.dumps(draw(st.sampled_from(seeds)), ensure_ascii=draw(st.booleans()))
        lines.append(draw(st.one_of(st.just(line.encode()), mutated(line.encode()))))
    return b"\n".join(lines) + b"\n"


@fuzz
@given(json_lines())
def test_mutated_json_lines_never_crash_batch(data: bytes) -> None:
    """``batch -`` over mutated JSON Lines exits 0, 1 or 2 and never prints a traceback."""
    check_cli("batch", "-", stdin=data)


@fuzz
@given(json_lines())
def test_mutated_json_lines_never_crash_batch_output_dir(data: bytes) -> None:
    """``batch - --output-dir`` writes or refuses each mutated line, never crashing."""
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        check_cli("batch", "-", "--output-dir", out, "--format", "markdown", stdin=data)


# --------------------------------------------------------------------- the corpus

#: Every input that once ended in a traceback: (file name, content). Each is now
#: a located problem.
CRASHES = {
    "int-tag": ("d.yaml", b"id: X\ntitle: !!int x\n"),
    "bool-tag": ("d.yaml", b"id: X\ntitle: !!bool maybe\n"),
    "timestamp-tag": ("d.yaml", b"id: X\ntitle: !!timestamp x\n"),
    "float-tag": ("d.yaml", b"id: X\ntitle: !!float x\n"),
    "binary-tag": ("d.yaml", b"id: X\ntitle: !!binary '!'\n"),
    "impossible-date": ("history.yaml", b"deliveries:\n  - id: A\n    date: 2026-02-30\n"),
    "impossible-time": ("d.yaml", b"id: X\ntitle: 2026-01-01 99:00:00\n"),
    "int-key": ("d.yaml", b"id: X\n!!int k: 1\n"),
    "binary-key": ("d.yaml", b"id: X\n!!binary 'a': 1\n"),
    "date-key": ("d.yaml", b"id: X\n2026-13-45: x\n"),
    "python-key": ("d.yaml", b"id: X\n!!python/object:os.system k: 1\n"),
    "unknown-tag-key": ("d.yaml", b"id: X\n!!foo k: 1\n"),
    "timestamp-key": ("d.yaml", b"? !!timestamp x\n: 1\n"),
    "nesting-995": ("d.yaml", b"id: X\nsource: " + b"[" * 995 + b"]" * 995 + b"\n"),
    "nesting-999": ("d.yaml", b"[" * 999 + b"]" * 999 + b"\n"),
    "nul-in-extends": ("s.yaml", b'name: s\nextends: "./x\\0.yaml"\n'),
    "hex-3600-digits": ("d.yaml", b"id: X\nchanges: {files: 0x" + b"f" * 3600 + b"}\n"),
    "decimal-4300-digits": ("d.yaml", b"id: X\nchanges: {files: " + b"9" * 4300 + b"}\n"),
    "two-big-counts": (
        "d.yaml",
        b"id: X\nchanges: {lines_added: 0x"
        + b"f" * 3600
        + b", lines_removed: 0x"
        + b"f" * 3600
        + b"}\n",
    ),
    "not-utf8": ("d.yaml", b"id: X\ntitle: a\xffb\n"),
    "nul-character": ("d.yaml", b"id: X\ntitle: a\x00b\n"),
}


@pytest.mark.parametrize("case", sorted(CRASHES))
def test_every_crash_found_is_a_located_problem(case: str, tmp_path: Path) -> None:
    """Each input that once crashed now raises a QualscaleError naming file and line."""
    name, data = CRASHES[case]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ValidationError) as exc:
        load_document(path)
    assert [p for p in exc.value.problems if p.file != str(path) or p.line is None] == []
    check_cli("validate", str(path))
    check_cli("plan", str(path))


#: JSON lines that once crashed ``batch -``; each is now a located problem.
JSONL_CRASHES = {
    "lone-surrogate": b'{"id": "A", "title": "\\ud800"}\n',
    "huge-int": b'{"id": "A", "changes": {"files": 1' + b"0" * 5000 + b"}}\n",
    "two-big-counts": b'{"id": "A", "changes": {"lines_added": 1'
    + b"0" * 4200
    + b', "lines_removed": 1'
    + b"0" * 4200
    + b"}}\n",
}


@pytest.mark.parametrize("case", sorted(JSONL_CRASHES))
def test_every_json_lines_crash_found_is_a_located_problem(case: str, tmp_path: Path) -> None:
    """Each JSON line that once crashed ``batch -`` is now a problem on its line."""
    with real_streams(JSONL_CRASHES[case]) as (_, err):
        code = cli.main(["batch", "-", "--output-dir", str(tmp_path)])
    assert code == 2
    assert err.getvalue().startswith(b"<stdin>:1: $"), err.getvalue()


@pytest.mark.parametrize("case", ["nesting-999", "hex-3600-digits", "binary-key"])
def test_a_crash_case_in_a_real_process_prints_no_traceback(case: str, tmp_path: Path) -> None:
    """In a real process too, a former crash exits 2 with one located line and no traceback."""
    name, data = CRASHES[case]
    path = tmp_path / name
    path.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-m", "qualscale", "validate", str(path)],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr
    assert done.stderr.startswith(f"{path}:".encode()), done.stderr


# ------------------------------------------------------------ evidence files

GATE_REVIEW = EXAMPLES / "gate-review"
EVIDENCE_SEEDS = {
    "junit": GATE_REVIEW / "ci-junit.xml",
    "signoffs": GATE_REVIEW / "signoffs.yaml",
}
XML_TOKENS = [
    b"<!DOCTYPE t [<!ENTITY x 'y'>]>",
    b'<!ENTITY x SYSTEM "file:///etc/passwd">',
    b"&x;",
    b"&amp;",
    b"<testcase/>",
    b"<failure/>",
    b"<![CDATA[",
    b"]]>",
    b"<?xml version='1.0' encoding='latin-1'?>",
    b'<property name="qualscale_kind" value="nope"/>',
    b'<property name="qualscale_depth" value="full"/>',
    b"</testsuite>",
    b"\xff",
    b"\x00",
]


SCALE = qualscale.load_scale()
_EVIDENCE_LOADERS: dict[str, Callable[..., Any]] = {
    "junit": lambda path, scale: read_junit(path, scale, "ci"),
    "signoffs": lambda path, scale: read_signoffs(str(path), scale),
}


@st.composite
def mutated_xml(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with one to four XML tokens inserted, then byte and line mutations."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.sampled_from(XML_TOKENS))
    return draw(mutated(bytes(data)))


@pytest.mark.parametrize("which", sorted(EVIDENCE_SEEDS))
@fuzz
@given(data=st.data())
def test_mutated_evidence_files_never_crash_verify(
    which: str, data: st.DataObject, workdir: Path
) -> None:
    """A mutated JUnit or sign-off file makes ``verify`` exit 0, 1 or 2, never a traceback."""
    seed = EVIDENCE_SEEDS[which].read_bytes()
    raw = data.draw(mutated_xml(seed) if which == "junit" else mutated(seed))
    path = workdir / EVIDENCE_SEEDS[which].name
    path.write_bytes(raw)
    option = "--junit" if which == "junit" else "--signoffs"
    check_loader(partial(_EVIDENCE_LOADERS[which], scale=SCALE), path, f"read_{which}")
    check_cli("verify", str(GATE_REVIEW / "delivery.yaml"), option, str(path), "--gate", "G2")
