"""The documentation cannot rot: its code runs, its files load, its references match the code.

Fenced blocks of every ``docs/**/*.md`` page are checked in page order:

* ``python``: executed in order, one namespace per page;
* ``yaml``: parsed; a delivery goes through ``Delivery.from_dict``, a scale, gates or
  history file through ``qualscale validate``;
* ``json``: parsed; a plan document must round-trip through ``TestPlan.from_dict``;
* ``console``, ``sh``, ``shell``, ``bash``: each ``$ qualscale ...`` line runs through
  ``qualscale.cli.main`` and must exit 0, or the code a following ``$ echo $?`` shows;
  every output line shown after it (except ``...``) must be a line of what it printed.
  Redirections (``>``, ``>>``, ``|``) end the arguments; globs are expanded.

HTML comments on the lines right before a fence steer a block:

* ``<!-- skip -->``: not checked at all (git ranges, CI-only commands);
* ``<!-- partial -->``: a fragment, only parsed;
* ``<!-- file: NAME -->``: also written to ``NAME``, for the blocks after it;
* ``<!-- copy of: PATH -->``: the block must equal the repository's file ``PATH``.

Each page runs in a fresh folder holding copies of ``examples/`` and ``standards/`` as the
working directory: paths read as in the repository, and nothing lands in the working tree.
"""

from __future__ import annotations

import glob
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml

import qualscale
from qualscale import cli
from tests._paths import EXAMPLES, ROOT, STANDARDS

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
CLI_PAGE = DOCS / "cli.md"
API_PAGE = DOCS / "api.md"
MARKERS = {"skip", "partial"}
SHELLS = {"console", "sh", "shell", "bash"}
REDIRECTS = ("|", ">", "<", "2>", "&&", ";")

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*(?P<body>.*?)\s*-->\s*$")
_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


@attrs.frozen
class Block:
    """One fenced block of a page."""

    page: Path
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    markers: frozenset[str]
    file: str | None
    copy_of: str | None = None

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of ``page`` with the markers before each."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        end = i + 1
        while end < len(lines) and not re.fullmatch(
            rf"[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*", lines[end]
        ):
            end += 1
        body = [line.removeprefix(indent) for line in lines[i + 1 : end]]
        markers: set[str] = set()
        file = copy_of = None
        k = i - 1
        while k >= 0 and (comment := _MARKER.match(lines[k])) is not None:
            text = comment["body"]
            if text.startswith("file:"):
                file = text.removeprefix("file:").strip()
            elif text.startswith("copy of:"):
                copy_of = text.removeprefix("copy of:").strip()
            else:
                markers.add(text)
            k -= 1
        info = opening["info"].split()
        found.append(
            Block(
                page,
                i + 1,
                info[0] if info else "",
                "\n".join(body) + "\n",
                frozenset(markers),
                file,
                copy_of,
            )
        )
        i = end + 1
    return found


# ------------------------------------------------------------------ blocks


@attrs.frozen
class Command:
    line: str
    output: tuple[str, ...]


def console_commands(text: str) -> list[Command]:
    """The ``$ ...`` lines of a console block, each with the output shown after it."""
    commands: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:].strip(), []))
        elif commands:
            commands[-1][1].append(line)
    return [Command(line, tuple(output)) for line, output in commands]


def qualscale_argv(command: str) -> list[str]:
    """The arguments after ``qualscale``, up to the first redirection, globs expanded."""
    argv: list[str] = []
    for token in shlex.split(command)[1:]:
        if token.startswith(REDIRECTS):
            break
        if any(c in token for c in "*?["):
            argv.extend(sorted(glob.glob(token)) or [token])
        else:
            argv.append(token)
    return argv


def check_console(block: Block, capsys: pytest.CaptureFixture[str]) -> None:
    commands = console_commands(block.text)
    for n, command in enumerate(commands):
        if not command.line.startswith("qualscale "):
            continue
        expected = 0
        following = commands[n + 1] if n + 1 < len(commands) else None
        if following is not None and following.line == "echo $?":
            expected = int(following.output[0])
        capsys.readouterr()
        code = cli.main(qualscale_argv(command.line))
        out, err = capsys.readouterr()
        printed = {line.strip() for line in (out + err).splitlines()}
        context = f"{block.where}: $ {command.line}\n{out}{err}"
        assert code == expected, context
        shown = [line.strip() for line in command.output]
        missing = [
            line for line in shown if line and line not in ("...", "…") and line not in printed
        ]
        assert missing == [], context


def document_kind(data: Any) -> str | None:
    """What a YAML document is, as ``qualscale validate`` tells them apart."""
    if isinstance(data, list):
        return "history"
    if not isinstance(data, dict):
        return None
    if "standards" in data or "extends" in data:
        return "scale"
    if "gates" in data and "id" not in data:
        return "gates"
    if "deliveries" in data:
        return "history"
    if "id" in data:
        return "delivery"
    return None


def check_yaml(block: Block, sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = yaml.safe_load(block.text)
    if "partial" in block.markers:
        return
    kind = document_kind(data)
    if kind == "delivery":
        qualscale.Delivery.from_dict(data)
    elif kind is not None:
        path = sandbox / (block.file or f"standards/docs-block-{block.line}.yaml")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block.text, encoding="utf-8")
        capsys.readouterr()
        code = cli.main(["validate", str(path)])
        assert code == 0, f"{block.where}: {kind}\n{capsys.readouterr().err}"


def check_json(block: Block) -> None:
    data = json.loads(block.text)
    if isinstance(data, dict) and {"delivery", "requirements"} <= data.keys():
        assert qualscale.TestPlan.from_dict(data).to_dict() == data, block.where


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    shutil.copytree(STANDARDS, tmp_path / "standards")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    return tmp_path


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_code_blocks_work(page: Path, sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every fenced block of a docs page runs, parses or validates, in page order."""
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for block in blocks(page):
        unknown = block.markers - MARKERS
        assert not unknown, f"{block.where}: unknown marker(s) {sorted(unknown)}"
        if "skip" in block.markers:
            continue
        if block.copy_of is not None:
            original = (ROOT / block.copy_of).read_text(encoding="utf-8")
            assert block.text == original, f"{block.where}: differs from {block.copy_of}"
        if block.file is not None:
            target = sandbox / block.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, encoding="utf-8")
        if block.lang == "python":
            exec(compile(block.text, block.where, "exec"), namespace)
        elif block.lang in ("yaml", "yml"):
            check_yaml(block, sandbox, capsys)
        elif block.lang == "json":
            check_json(block)
        elif block.lang in SHELLS:
            check_console(block, capsys)


def test_blocks_are_found() -> None:
    """The block parser finds python, yaml, json and console blocks, each with a language."""
    found = [b for page in PAGES for b in blocks(page)]
    langs = {b.lang for b in found}
    assert {"python", "yaml", "json", "console"} <= langs
    assert all(b.lang for b in found), [b.where for b in found if not b.lang]


def test_block_parser_reads_markers_and_indented_fences(tmp_path: Path) -> None:
    """The block parser reads the marker comments before a fence and indented fences."""
    page = tmp_path / "page.md"
    page.write_text(
        "text\n\n<!-- copy of: b.yaml -->\n<!-- partial -->\n<!-- file: a.yaml -->\n"
        "```yaml\nid: x\n```\n\n"
        "- item\n\n    ```python\n    x = 1\n    ```\n",
        encoding="utf-8",
    )
    found = blocks(page)
    assert [(b.lang, b.text, b.markers, b.file, b.copy_of) for b in found] == [
        ("yaml", "id: x\n", frozenset({"partial"}), "a.yaml", "b.yaml"),
        ("python", "x = 1\n", frozenset(), None, None),
    ]


def test_console_commands_take_their_exit_code_and_output() -> None:
    """A console block's commands take the output shown after them, up to a redirection."""
    text = "$ qualscale validate x.yaml\nx.yaml:1: bad\n$ echo $?\n2\n"
    assert console_commands(text) == [
        Command("qualscale validate x.yaml", ("x.yaml:1: bad",)),
        Command("echo $?", ("2",)),
    ]
    assert qualscale_argv('qualscale plan d.yaml --format markdown >> "$X"') == [
        "plan",
        "d.yaml",
        "--format",
        "markdown",
    ]


# ------------------------------------------------------------------ the CLI page


def help_text(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert cli.main([*argv, "--help"]) == 0
    return capsys.readouterr().out


def cli_commands(capsys: pytest.CaptureFixture[str]) -> list[str]:
    top = help_text(capsys)
    return re.findall(r"^ {4}([a-z][a-z0-9-]*)(?:\s|$)", top, flags=re.MULTILINE)


def cli_sections() -> dict[str, str]:
    """``docs/cli.md`` split into its ``## qualscale COMMAND`` sections."""
    text = CLI_PAGE.read_text(encoding="utf-8")
    parts = re.split(r"^## qualscale ([a-z][a-z0-9-]*)\s*$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_cli_page_has_a_section_per_command(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/cli.md has a section for exactly the commands the CLI has."""
    commands = cli_commands(capsys)
    assert "plan" in commands
    assert sorted(cli_sections()) == sorted(commands)


def test_cli_page_shows_every_option(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/cli.md names every option of every command's help."""
    monkeypatch.setenv("COLUMNS", "80")
    text = CLI_PAGE.read_text(encoding="utf-8")
    missing = {}
    for command in ["", *cli_commands(capsys)]:
        options = set(_OPTION.findall(help_text(capsys, *filter(None, [command]))))
        absent = sorted(o for o in options if o not in text)
        if absent:
            missing[command or "qualscale"] = absent
    assert missing == {}


def test_cli_page_mentions_no_option_a_command_lacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each command section of docs/cli.md names only options that command has."""
    extra = {}
    for command, section in cli_sections().items():
        known = set(_OPTION.findall(help_text(capsys, command)))
        unknown = sorted(set(_OPTION.findall(section)) - known)
        if unknown:
            extra[command] = unknown
    assert extra == {}


def test_cli_page_lists_every_exit_code() -> None:
    """docs/cli.md lists every exit code of the CLI."""
    text = CLI_PAGE.read_text(encoding="utf-8")
    for code in (cli.EXIT_OK, cli.EXIT_FAILED, cli.EXIT_BAD_INPUT, cli.EXIT_INTERRUPTED):
        assert f"\n| {code} |" in text, code


# ------------------------------------------------------------------ the API page


def public_callables() -> Iterator[tuple[str, Any]]:
    import qualscale.git
    import qualscale.render
    import qualscale.strategies

    for module in (qualscale, qualscale.render, qualscale.git, qualscale.strategies):
        for name in module.__all__:
            yield f"{module.__name__}.{name}", getattr(module, name)


def test_api_page_names_every_public_name() -> None:
    """docs/api.md names every public name of the documented modules."""
    text = API_PAGE.read_text(encoding="utf-8")
    missing = []
    for qual, _ in public_callables():
        name = qual.rsplit(".", 1)[1]
        # In a code span, or starting a signature line of a ```text block.
        if f"`{name}`" not in text and not re.search(rf"^{name}[(:]", text, re.MULTILINE):
            missing.append(qual)
    assert missing == []


def test_api_page_names_every_parameter() -> None:
    """docs/api.md names every parameter of every public function."""
    import inspect

    text = API_PAGE.read_text(encoding="utf-8")
    missing = []
    for qual, obj in public_callables():
        if not inspect.isfunction(obj):
            continue
        for name in inspect.signature(obj).parameters:
            if not re.search(rf"\b{name}\b", text):
                missing.append(f"{qual}({name})")
    assert missing == []


# ------------------------------------------------------------------ file formats


def in_code_span(word: str, text: str) -> bool:
    """Whether ``word`` is a whole word of some code span: `x`, `changes.x`, `{x: ...}`."""
    return re.search(rf"`[^`\n]*(?<![\w-]){re.escape(word)}(?![\w-])[^`\n]*`", text) is not None


def schema_keys(schema: Any) -> set[str]:
    """Every property name anywhere in a JSON Schema."""
    keys: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                keys.update(value)
            keys |= schema_keys(value)
    elif isinstance(schema, list):
        for item in schema:
            keys |= schema_keys(item)
    return keys


@pytest.mark.parametrize("name", ["scale", "gates", "delivery", "history"])
def test_every_file_key_is_documented(name: str) -> None:
    """Every key of each file format's schema is documented in a code span."""
    schema = json.loads((STANDARDS / f"{name}.schema.json").read_text(encoding="utf-8"))
    text = "\n".join(
        (DOCS / page).read_text(encoding="utf-8")
        for page in ("writing-a-scale.md", "file-formats.md")
    )
    missing = sorted(k for k in schema_keys(schema) if not in_code_span(k, text))
    assert missing == []


def test_every_plan_document_key_is_documented() -> None:
    """Every key of the plan document is documented in docs/file-formats.md."""
    delivery = qualscale.load_delivery(EXAMPLES / "deliveries" / "payment-hotfix.yaml")
    doc = qualscale.plan(delivery, qualscale.load_scale()).to_dict()
    keys = set(doc) | set(doc["scale"]) | set(doc["standard"])
    keys |= set(doc["rationale"][0]) | set(doc["requirements"][0])
    text = (DOCS / "file-formats.md").read_text(encoding="utf-8")
    assert sorted(k for k in keys if not in_code_span(k, text)) == []


# ------------------------------------------------------------------ the site


def test_site_builds_strictly(tmp_path: Path) -> None:
    """The documentation site builds with mkdocs --strict, the changelog included."""
    pytest.importorskip("mkdocs")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    changelog = (tmp_path / "changelog" / "index.html").read_text(encoding="utf-8")
    assert "Unreleased" in changelog
    assert "include: CHANGELOG.md" not in changelog


def test_nav_lists_every_page() -> None:
    """The mkdocs nav lists every docs page, and only the plugin page besides."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = {next(iter(item.values())) for item in config["nav"]}
    pages = {p.relative_to(DOCS).as_posix() for p in PAGES}
    assert pages <= nav
    assert nav - pages <= {"pytest-plugin.md"}  # another page's author, see docs/_hooks.py
