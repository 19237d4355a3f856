"""Bounded time and memory: long words, hostile templates, signals during a write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

import qualscale
from qualscale import _templates
from qualscale._templates import MAX_OUTPUT
from qualscale._text import TEXT_WIDTH, hang, table, wrap
from qualscale.errors import RenderError
from qualscale.render import FORMATS, render_plan
from tests._paths import EXAMPLES

WORD = "x" * 1_000_000


@pytest.fixture(scope="module")
def billing() -> qualscale.Scale:
    return qualscale.load_scale("billing-saas")


def make_plan(scale: qualscale.Scale, **delivery: Any) -> qualscale.TestPlan:
    return qualscale.plan(qualscale.Delivery.from_dict(delivery), scale)


# ------------------------------------------------------------ long words


def test_a_1mb_word_wraps_into_full_lines() -> None:
    """A 1 MB word is cut into lines of the full width, every character kept, in order."""
    lines = hang(WORD, "Title       ", " " * 12).split("\n")
    assert lines[0] == "Title       " + "x" * (TEXT_WIDTH - 12)
    assert {len(line) for line in lines[:-1]} == {TEXT_WIDTH}
    assert "".join(line[12:] for line in lines) == WORD


def test_a_1mb_word_in_the_last_column_of_a_table_wraps_under_it() -> None:
    """A 1 MB word in a table's last column wraps under that column, every character kept."""
    lines = table([["a", WORD], ["b", "short"]]).split("\n")
    assert lines[0] == "  a  " + "x" * (TEXT_WIDTH - 5)
    assert lines[-1] == "  b  short"
    assert "".join(line[5:] for line in lines[:-1]) == WORD


@pytest.mark.parametrize("format", FORMATS)
def test_a_plan_with_a_1mb_title_renders_in_every_format(
    billing: qualscale.Scale, format: str
) -> None:
    """A plan whose title is one 1 MB word renders in every format, the title whole."""
    text = render_plan(make_plan(billing, id="X-1", title=WORD), billing, format)
    if format == "text":
        assert max(len(line) for line in text.splitlines()) <= TEXT_WIDTH
        assert text.replace("\n", "").replace(" ", "").count(WORD) == 1
    elif format == "yaml":
        assert yaml.safe_load(text)["delivery"]["title"] == WORD
    else:  # the HTML page shows the title in its <title> and its heading
        assert text.count(WORD) == (2 if format == "html" else 1)


@given(
    st.text(st.sampled_from("ab -x"), max_size=400),
    st.integers(15, 80),
    st.integers(0, 12),
    st.integers(0, 12),
)
def test_wrap_cuts_long_words_as_textwrap_does(
    text: str, width: int, first: int, rest: int
) -> None:
    """Wrapping gives textwrap's lines, long words cut the same way, at any width and indent."""
    expected = textwrap.fill(
        text,
        width=width,
        initial_indent=" " * first,
        subsequent_indent=" " * rest,
        break_on_hyphens=False,
    )
    assume(text.strip())
    assert wrap(text, first, rest, width) == expected


# ------------------------------------------------------------ user templates


def render_template(scale: qualscale.Scale, template: Path) -> str:
    return render_plan(make_plan(scale, id="X-1"), scale, template=template)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ 10 ** 5000000000 }}", ":1: 10 ** 5000000000 is too large"),
        ("ok\n{{ 2 ** (10 ** 9) }}", ":2: 2 ** 1000000000 is too large"),
        ("\n\n{{ 'a' * 10 ** 10 }}", ":3: the result of * is too long"),
        ("{{ [1, 2] * 10 ** 8 }}", ":1: the result of * is too long"),
        ("{{ range(10 ** 9) | list }}", ":1: OverflowError: Range too big"),
    ],
)
def test_a_huge_value_in_a_template_is_a_located_render_error(
    billing: qualscale.Scale, tmp_path: Path, source: str, message: str
) -> None:
    """A template that would make a huge number, string, list or range stops at its line."""
    template = tmp_path / "t.md.j2"
    template.write_text(source, encoding="utf-8")
    with pytest.raises(RenderError) as info:
        render_template(billing, template)
    assert str(info.value).startswith(f"{template}{message}")


def test_10_to_the_5000_is_a_located_error_not_a_crash_at_compile_time(
    billing: qualscale.Scale, tmp_path: Path
) -> None:
    """``10 ** 5000`` has too many digits to print: a located error, not a compile-time crash."""
    template = tmp_path / "t.md.j2"
    template.write_text("{{ 10 ** 5000 }}", encoding="utf-8")
    with pytest.raises(RenderError) as info:
        render_template(billing, template)
    assert str(info.value).startswith(f"{template}:1: ValueError: Exceeds the limit")


def test_a_template_writing_too_much_stops_at_the_limit(
    billing: qualscale.Scale, tmp_path: Path
) -> None:
    """A template that writes more than MAX_OUTPUT characters stops with a located error."""
    template = tmp_path / "t.md.j2"
    template.write_text(
        "{% for i in range(100000) %}\n{{ 'x' * 1000 }}\n{% endfor %}", encoding="utf-8"
    )
    with pytest.raises(RenderError) as info:
        render_template(billing, template)
    assert str(info.value) == (
        f"{template}:2: the template wrote more than {MAX_OUTPUT:,} characters"
    )


def test_a_template_running_too_long_stops_at_the_time_limit(
    billing: qualscale.Scale, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nested loops that would run for hours stop past MAX_SECONDS with a located error."""
    monkeypatch.setattr(_templates, "MAX_SECONDS", 0)
    template = tmp_path / "t.md.j2"
    template.write_text(
        "{% for i in range(100000) %}\n{% for j in range(100000) %}{% endfor %}{% endfor %}",
        encoding="utf-8",
    )
    with pytest.raises(RenderError) as info:
        render_template(billing, template)
    assert str(info.value) == f"{template}:1: the template ran longer than 0 seconds"


def test_a_symlink_out_of_the_template_folder_is_refused(
    billing: qualscale.Scale, tmp_path: Path
) -> None:
    """An include through a symlink that leads out of the template folder is a located error."""
    secret = tmp_path / "secret.txt"
    secret.write_text("password", encoding="utf-8")
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "leak.txt").symlink_to(secret)
    (folder / "inside.txt").symlink_to(folder / "part.txt")
    (folder / "part.txt").write_text("part", encoding="utf-8")
    template = folder / "t.md.j2"
    template.write_text('{% include "inside.txt" %}\n{% include "leak.txt" %}', encoding="utf-8")
    with pytest.raises(RenderError) as info:
        render_template(billing, template)
    assert str(info.value) == (
        f"{template}:2: 'leak.txt' leads outside the template folder (to {secret.resolve()})"
    )


# ------------------------------------------------------------ signals


def each_signal(test: Callable[..., None]) -> Callable[..., None]:
    """Run ``test`` for SIGTERM and SIGINT, with the exit code and line each gives (POSIX)."""
    signals = pytest.mark.parametrize(
        ("signum", "code", "message"),
        [
            (signal.SIGTERM, 143, "qualscale: terminated"),
            (signal.SIGINT, 130, "qualscale: interrupted"),
        ],
    )
    posix = pytest.mark.skipif(os.name != "posix", reason="SIGTERM and SIGINT are POSIX signals")
    decorated: Callable[..., None] = posix(signals(test))
    return decorated


# The batch run stops inside the atomic write of its first plan, its temporary file
# written and synced, and says so; the test then sends the signal.
_STOPS_IN_A_WRITE = """
import os, sys
from qualscale import cli

fsync = os.fsync

def stop(fd):
    fsync(fd)
    print("writing", flush=True)
    sys.stdin.readline()

os.fsync = stop
sys.exit(cli.main(sys.argv[1:]))
"""


@each_signal
def test_a_signal_during_a_write_leaves_no_temporary_file(
    tmp_path: Path, signum: int, code: int, message: str
) -> None:
    """SIGTERM or SIGINT during an atomic write exits 143 or 130 with one line, no file left."""
    out = tmp_path / "out"
    batch = ["batch", str(EXAMPLES / "deliveries"), "--output-dir", str(out)]
    process = subprocess.Popen(
        [sys.executable, "-c", _STOPS_IN_A_WRITE, *batch, "--format", "markdown"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "QUALSCALE_CACHE_DIR": "off"},  # the first write is the output's
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "writing\n"
    assert [p.suffix for p in out.iterdir()] == [".tmp"]
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert (process.returncode, err) == (code, message + "\n")
    assert list(out.iterdir()) == []


def test_main_puts_back_the_callers_sigterm_handler(capsys: pytest.CaptureFixture[str]) -> None:
    """cli.main handles SIGTERM only while it runs, then puts the caller's handler back."""
    from qualscale import cli

    before = signal.getsignal(signal.SIGTERM)
    assert cli.main(["scales"]) == 0
    assert signal.getsignal(signal.SIGTERM) is before


# The signal arrives while ``qualscale.cli`` is being imported: a finder placed first
# sends it the instant the import starts.
_SIGNAL_IN_AN_IMPORT = """
import os, signal, sys

SIGNAL = int(sys.argv[1])

class Stop:
    def find_spec(self, name, path=None, target=None):
        if name == "qualscale.cli":
            os.kill(os.getpid(), SIGNAL)
        return None

sys.meta_path.insert(0, Stop())
from qualscale.__main__ import main
sys.argv = ["qualscale", "scales"]
code = main()
print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)
sys.exit(code)
"""


@each_signal
def test_a_signal_during_the_first_imports_exits_with_one_line(
    signum: int, code: int, message: str
) -> None:
    """A signal landing while the command line's modules are imported exits 143 or 130, one line."""
    result = subprocess.run(
        [sys.executable, "-c", _SIGNAL_IN_AN_IMPORT, str(int(signum))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout, result.stderr) == (code, "True\n", message + "\n")


def test_an_interrupt_python_wrapped_in_another_exception_still_exits_130() -> None:
    """An interrupt Python re-raises as another exception (``__set_name__``) counts as one."""
    from qualscale.__main__ import _stopped_by
    from qualscale._signals import Terminated

    wrapped = RuntimeError("Error calling __set_name__")
    wrapped.__cause__ = KeyboardInterrupt()
    assert _stopped_by(wrapped) == "interrupted"
    assert _stopped_by(Terminated()) == "terminated"
    assert _stopped_by(ValueError("a bug")) is None
    standing = OSError("a cleanup failed")
    standing.__context__ = KeyboardInterrupt()
    standing.__suppress_context__ = True  # raise ... from None
    assert _stopped_by(standing) is None


# Ctrl-C lands while the code cache is written, after the command has finished.
_INTERRUPT_IN_THE_CACHE_WRITE = """
import os, signal, sys
from qualscale import _code_cache

save = _code_cache._CodeCache.save

def interrupted_save(self):
    os.kill(os.getpid(), signal.SIGINT)
    save(self)

_code_cache._CodeCache.save = interrupted_save
from qualscale.__main__ import main
sys.argv = ["qualscale", "scales"]
sys.exit(main())
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGINT is a POSIX signal")
def test_a_ctrl_c_after_the_work_is_done_keeps_the_exit_code(tmp_path: Path) -> None:
    """A Ctrl-C while the caches are written after the command keeps its exit code, says nothing."""
    env = {**os.environ, "QUALSCALE_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, "-c", _INTERRUPT_IN_THE_CACHE_WRITE],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert "billing-saas" in result.stdout
