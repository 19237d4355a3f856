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
#: Cases per loader, shared out over its seed files: 10,000 under the ``ci`` profile.
CASES_PER_LOADER = 10_000 if settings().max_examples >= 400 else 4 * EXAMPLES_PER_TEST


def per_loader(seeds: int) -> settings:
    """The settings that give each of ``seeds`` files its share of the loader's cases."""
    return settings(max_examples=-(-CASES_PER_LOADER // seeds))


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


#: Each loader and the files it is fuzzed from; ``load_document`` reads them all.
LOADER_SEEDS: dict[str, list[Path]] = {
    "load_scale": [*SCALES, *OVERLAYS],
    "load_delivery": DELIVERIES,
    "load_history": HISTORIES,
    "load_document": [*GATES, *SCHEMAS],
}
_LOADERS: dict[str, Callable[[Path], Any]] = {
    "load_scale": qualscale.load_scale,
    "load_delivery": qualscale.load_delivery,
    "load_history": qualscale.load_history,
    "load_document": load_document,
}


def _loader_cases() -> list[tuple[str, Path]]:
    return [(loader, seed) for loader, seeds in LOADER_SEEDS.items() for seed in seeds]


@pytest.mark.parametrize(
    ("loader", "seed"), _loader_cases(), ids=lambda v: v.name if isinstance(v, Path) else v
)
def test_each_loader_meets_its_share_of_mutations(loader: str, seed: Path, workdir: Path) -> None:
    """Each loader reads its share of mutated files (10,000 under ci) and only ever refuses."""
    path = workdir / f"{loader}-{seed.name}"
    text = _seed_text(seed)

    @per_loader(len(LOADER_SEEDS[loader]))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        path.write_bytes(data.draw(mutated(text), label="mutated"))
        check_loader(_LOADERS[loader], path, loader)

    run()


@st.composite
def json_lines(draw: st.DrawFn) -> bytes:
    """JSON Lines of deliveries, some lines mutated."""
    seeds = [json.loads(json.dumps(qualscale.load_delivery(p).to_dict())) for p in DELIVERIES]
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        line = json.dumps(draw(st.sampled_from(seeds)), ensure_ascii=draw(st.booleans()))
        lines.append(draw(st.one_of(st.just(line.encode()), mutated(line.encode()))))
    return b"\n".join(lines) + b"\n"


@per_loader(1)
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
def with_tokens(draw: st.DrawFn, seed: bytes, tokens: list[bytes], most: int) -> bytes:
    """``seed`` with one to ``most`` of ``tokens`` inserted, then byte and line mutations."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, most))):
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.sampled_from(tokens))
    return draw(mutated(bytes(data)))


def mutated_xml(seed: bytes) -> st.SearchStrategy[bytes]:
    """``seed`` with one to four XML tokens inserted, then byte and line mutations."""
    return with_tokens(seed, XML_TOKENS, 4)


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


@pytest.mark.parametrize("which", sorted(EVIDENCE_SEEDS))
@per_loader(1)
@given(data=st.data())
def test_each_evidence_reader_meets_its_share_of_mutations(
    which: str, data: st.DataObject, workdir: Path
) -> None:
    """The JUnit and sign-off readers each read 10,000 mutated files under ci, only refusing."""
    seed = EVIDENCE_SEEDS[which].read_bytes()
    raw = data.draw(mutated_xml(seed) if which == "junit" else mutated(seed))
    path = workdir / f"reader-{EVIDENCE_SEEDS[which].name}"
    path.write_bytes(raw)
    check_loader(partial(_EVIDENCE_LOADERS[which], scale=SCALE), path, f"read_{which}")


# ------------------------------------------------------------------ user templates

TEMPLATE_SEED = EXAMPLES / "templates" / "merge-request.md.j2"
TEMPLATE_TOKENS = [
    b"{{ ",
    b" }}",
    b"{% for x in range(10**9) %}",
    b"{% endfor %}",
    b"{% if ",
    b"{% endif %}",
    b"{{ 'a' * 10**10 }}",
    b"{{ 10 ** 5000 }}",
    b"{% include '../../README.md' %}",
    b"{% include 'nope.j2' %}",
    b"{{ plan.__class__.__mro__ }}",
    b"{{ x|center(10**10) }}",
    b"{% raw %}",
    b"{#",
    b"#}",
    b"|",
    b"\x00",
    b"\xff",
]
PLAN = qualscale.plan(
    qualscale.load_delivery(EXAMPLES / "deliveries" / "payment-hotfix.yaml"), SCALE
)


def mutated_template(seed: bytes) -> st.SearchStrategy[bytes]:
    """``seed`` with one to three template tokens inserted, then byte and line mutations."""
    return with_tokens(seed, TEMPLATE_TOKENS, 3)


@per_loader(1)
@given(data=st.data())
def test_mutated_user_templates_render_or_raise_located_errors(
    data: st.DataObject, workdir: Path
) -> None:
    """A mutated user template renders or raises a located RenderError (10,000 under ci)."""
    from qualscale.render import render_plan

    folder = workdir / "templates"
    folder.mkdir(exist_ok=True)
    path = folder / "mr.md.j2"
    path.write_bytes(data.draw(mutated_template(TEMPLATE_SEED.read_bytes())))
    check_loader(lambda p: render_plan(PLAN, SCALE, template=p), path, "render_template")


#: Evidence inputs that once gave an unlocated problem; each now names file and line.
EVIDENCE_CRASHES = {
    "signoffs-lone-value": ("signoffs", b"# G3 and G2\n!!int 3\n", 1),
    "signoffs-empty": ("signoffs", b"# nothing signed yet\n", 1),
    "report-list": ("report", b"[1, 2]\n", 1),
    "report-bad-count": (
        "report",
        b'{"verdict": {"kinds": [\n  {"kind": "unit", "passed": "many"}\n]}}\n',
        2,
    ),
}


@pytest.mark.parametrize("case", sorted(EVIDENCE_CRASHES))
def test_every_evidence_crash_found_is_a_located_problem(case: str, tmp_path: Path) -> None:
    """Each sign-off or report input that once gave an unlocated problem names file and line."""
    from qualscale._evidence import read_report

    which, content, line = EVIDENCE_CRASHES[case]
    path = tmp_path / ("r.json" if which == "report" else "s.yaml")
    path.write_bytes(content)
    read = partial(read_report, environment="ci") if which == "report" else read_signoffs
    with pytest.raises(QualscaleError) as info:
        read(str(path), SCALE)
    assert isinstance(info.value, ValidationError)
    assert [(p.file, p.line) for p in info.value.problems] == [(str(path), line)]
