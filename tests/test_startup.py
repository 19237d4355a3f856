"""Start-up work and the safety of what makes it cheap: the fast converter, the scale cache."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qualscale
from qualscale import _files, _scale_cache, _templates, cli
from qualscale._text import md, one_line, visible
from qualscale.errors import Problem, RenderError
from qualscale.render import render_plan
from qualscale.scale import Scale
from tests._paths import EXAMPLES


def test_a_signal_the_instant_after_the_temp_file_is_created_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGINT arriving right after the temporary file exists leaves no temporary file."""
    real_open = os.open

    def open_then_interrupted(*args: object, **kwargs: object) -> int:
        fd = real_open(*args, **kwargs)  # type: ignore[arg-type]
        os.close(fd)
        raise KeyboardInterrupt  # what Python raises when SIGINT lands at this instant

    monkeypatch.setattr(os, "open", open_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        _files.write_text(tmp_path / "out.txt", "text")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def _scale_file(folder: Path, version: str = "1") -> Path:
    path = folder / "mine.yaml"
    path.write_text(f"extends: billing-saas\nversion: '{version}'\n", encoding="utf-8")
    return path


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("QUALSCALE_CACHE_DIR", str(folder))
    return folder


def test_a_cached_scale_equals_the_freshly_loaded_one(cache: Path, tmp_path: Path) -> None:
    """The second load comes from the cache and equals a load without it, digest included."""
    path = _scale_file(tmp_path)
    first = qualscale.load_scale(path)
    assert len(list(cache.glob("*.pickle"))) == 1
    second = qualscale.load_scale(path)
    assert second is not first
    assert second == first
    assert second.sha256 == first.sha256 == Scale.from_dict(first.to_dict()).sha256


def test_the_cache_keeps_the_most_recently_used_entries_only(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the limit, a new entry removes the least recently used one; a hit counts as a use."""
    monkeypatch.setattr(_scale_cache.evict, "__defaults__", (3,))
    entries: list[Path] = []
    paths: list[Path] = []
    for i in range(3):
        folder = tmp_path / f"s{i}"
        folder.mkdir()
        paths.append(_scale_file(folder))
        qualscale.load_scale(paths[-1])
        [new] = set(cache.glob("*.pickle")) - set(entries)
        entries.append(new)
        os.utime(new, (1e9 + i, 1e9 + i))  # written in this order, long ago
    qualscale.load_scale(paths[0])  # a hit on the oldest entry makes it the newest
    assert entries[0].stat().st_mtime > 1e9 + 10
    folder = tmp_path / "s3"
    folder.mkdir()
    qualscale.load_scale(_scale_file(folder))
    kept = set(cache.glob("*.pickle"))
    assert len(kept) == 3
    assert entries[0] in kept
    assert entries[1] not in kept


def test_changing_any_file_of_a_scale_invalidates_its_entry(cache: Path, tmp_path: Path) -> None:
    """A changed scale file, or a gates file put where it was looked for, is read afresh."""
    path = _scale_file(tmp_path)
    assert qualscale.load_scale(path).version == "1"
    _scale_file(tmp_path, "2")
    assert qualscale.load_scale(path).version == "2"
    path.write_text("extends: billing-saas\ngates: gates\n", encoding="utf-8")
    assert "G99" not in [g.id for g in qualscale.load_scale(path).gates]  # the bundled file
    (tmp_path / "gates").write_text("policy: p\ngates: [{id: G99, name: mine}]\n", "utf-8")
    assert "G99" in [g.id for g in qualscale.load_scale(path).gates]


def test_changed_code_of_qualscale_changes_the_entry_name(tmp_path: Path) -> None:
    """An edited qualscale module (an editable install, same version) never reads an old entry."""
    package = tmp_path / "pkg"
    package.mkdir()
    module = package / "scale.py"
    module.write_text("x = 1\n", encoding="utf-8")
    before = _scale_cache.code_stamp(str(package))
    module.write_text("x = 22\n", encoding="utf-8")
    assert _scale_cache.code_stamp(str(package)) != before
    os.utime(module, ns=(1, 1))
    touched = _scale_cache.code_stamp(str(package))
    os.utime(module, ns=(2, 2))
    assert _scale_cache.code_stamp(str(package)) != touched
    assert _scale_cache.code_stamp(str(tmp_path / "missing")) == "unknown"


@pytest.mark.parametrize(
    "content", [b"", b"not a pickle", b"\x80\x05K\x01.", pickle.dumps((1, "0", [], 3, "x"))]
)
def test_a_broken_entry_is_never_trusted(cache: Path, tmp_path: Path, content: bytes) -> None:
    """An entry that fails to load, or holds something else, is ignored and replaced."""
    path = _scale_file(tmp_path)
    expected = qualscale.load_scale(path)
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(content)
    entry.chmod(0o600)
    assert qualscale.load_scale(path) == expected
    assert entry.read_bytes() != content


def test_an_entry_others_may_write_is_not_unpickled(cache: Path, tmp_path: Path) -> None:
    """An entry writable by group or others is ignored: unpickling it could run their code."""
    path = _scale_file(tmp_path)
    qualscale.load_scale(path)
    (entry,) = cache.glob("*.pickle")
    assert entry.stat().st_mode & 0o777 == 0o600
    entry.chmod(0o666)
    assert _scale_cache._read_entry(entry) is None


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``QUALSCALE_CACHE_DIR=off`` loads every time and writes nothing."""
    monkeypatch.setenv("QUALSCALE_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    qualscale.load_scale(_scale_file(tmp_path))
    assert not (tmp_path / "xdg").exists()


def test_an_unwritable_cache_is_skipped(cache: Path, tmp_path: Path) -> None:
    """A cache folder that cannot be made (a file is in the way) only costs the caching."""
    cache.write_text("in the way", encoding="utf-8")
    assert qualscale.load_scale(_scale_file(tmp_path)).name == "billing-saas"


BIDI_AND_CONTROL = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\x1b\x07\r\n\x85"


@pytest.mark.parametrize("char", list(BIDI_AND_CONTROL))
def test_bidi_marks_and_control_characters_never_reach_stderr_raw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], char: str
) -> None:
    """A file name or value with a bidi mark or control character is echoed escaped."""
    path = tmp_path / f"evil{char}name.yaml"
    path.write_text(f"id: D-1\ntitle: t\ntype: 'feat{char}ure'\n", encoding="utf-8")
    assert cli.main(["plan", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert char not in lines[0]
    assert f"\\u{ord(char):04x}" in lines[0] or f"\\x{ord(char):02x}" in lines[0]


@pytest.mark.parametrize("char", list(BIDI_AND_CONTROL))
def test_a_problem_shows_bidi_marks_and_control_characters_escaped(char: str) -> None:
    """``str(problem)`` is one line with every bidi mark and control character escaped."""
    text = str(Problem(f"found {char}", file=f"a{char}.yaml", line=3))
    assert char not in text
    assert "\n" not in text
    assert visible(text) == text


@pytest.mark.parametrize("char", list(BIDI_AND_CONTROL))
def test_markdown_and_text_drop_bidi_marks_from_user_text(char: str) -> None:
    """One-line user text in documents keeps no bidi mark or control character."""
    assert char not in one_line(f"a{char}b")
    assert char not in md(f"a{char}b")


def _text(delivery: Path, capsys: pytest.CaptureFixture[str]) -> str:
    _templates._shipped.cache_clear()  # a new process, as far as the templates go
    assert cli.main(["plan", str(delivery), "--format", "text"]) == 0
    return capsys.readouterr().out


def test_compiled_templates_are_cached_and_a_broken_entry_is_ignored(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Text renders the same from a fresh compile, the cached code and a broken entry."""
    delivery = EXAMPLES / "deliveries" / "docs-typo.yaml"
    first = _text(delivery, capsys)
    entries = list((cache / "templates").iterdir())
    assert entries
    assert all(e.stat().st_mode & 0o777 == 0o600 for e in entries)
    assert _text(delivery, capsys) == first
    for entry in entries:
        entry.write_bytes(b"j2 not what it should be")
    assert _text(delivery, capsys) == first


def _render_user(source: str, tmp_path: Path) -> tuple[Path, str]:
    template = tmp_path / "t.md.j2"
    template.write_text(source, encoding="utf-8")
    scale = qualscale.load_scale()
    the_plan = qualscale.plan(qualscale.Delivery.from_dict({"id": "X-1"}), scale)
    return template, render_plan(the_plan, scale, template=template)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ 'a'|center(10**10) }}", ":1: center's width 10000000000 is too large"),
        ("\n{{ 'a'|indent(10**9) }}", ":2: indent's width 1000000000 is too large"),
        ("{{ 'a b'|wordwrap(10**9) }}", ":1: wordwrap's width 1000000000 is too large"),
        ("{{ [1]|batch(10**9, 0)|list }}", ":1: batch's size 1000000000 is too large"),
        ("{{ [1]|slice(10**9, 0)|list }}", ":1: slice's count 1000000000 is too large"),
        ("{{ '%*d'|format(10**9, 1) }}", ":1: a number given to format 1000000000 is too"),
        ("{{ lipsum(10**6) }}", ":1: lipsum's size 100000000 is too large"),
    ],
)
def test_builtin_filters_with_huge_numbers_are_refused_at_their_line(
    tmp_path: Path, source: str, message: str
) -> None:
    """Filters whose numbers size their result stop with a located error, allocating nothing."""
    with pytest.raises(RenderError) as info:
        _render_user(source, tmp_path)
    template = tmp_path / "t.md.j2"
    assert str(info.value).startswith(f"{template}{message}")


def test_wordwrap_in_a_template_is_linear_in_a_long_word(tmp_path: Path) -> None:
    """``wordwrap`` on a 500 kB word takes well under a second and wraps as Jinja's does."""
    import time

    assert _render_user("{{ 'ab-cd efgh'|wordwrap(3) }}", tmp_path)[1] == "ab-\ncd \nefg\nh"
    assert _render_user("{{ 'abcdef'|wordwrap(2, false) }}", tmp_path)[1] == "abcdef"
    start = time.perf_counter()
    _render_user("{{ ('x' * 500000)|wordwrap(70) }}", tmp_path)
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize(
    "source",
    [
        "{% set s = 'x' * 100000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
        "{% set s = [0] * 100000 %}\n{% for a in s %}{% for b in s if b %}{% endfor %}{% endfor %}",
        "{% set d = dict(a=1) %}{% for a in 'x' * 10**7 %}{% for k in d %}{% endfor %}{% endfor %}",
    ],
)
def test_loops_over_large_values_stop_at_the_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    """Nested loops over strings, lists or mappings (not ranges) stop past MAX_SECONDS."""
    monkeypatch.setattr(_templates, "MAX_SECONDS", 0)
    with pytest.raises(RenderError) as info:
        _render_user(source, tmp_path)
    assert "the template ran longer than 0 seconds" in str(info.value)


@pytest.mark.parametrize(
    ("escaped", "expected"),
    [
        ("\\ud83d\\ude00", "\U0001f600"),
        ("a \\uD83D\\uDE00 b \\ud834\\udd1e", "a \U0001f600 b \U0001d11e"),
        ("\\\\ud83d\\ude00", None),  # an escaped backslash, then a lone low surrogate
        ("\\\\\\ud83d\\ude00", "\\\U0001f600"),
    ],
)
def test_a_json_surrogate_pair_reads_as_its_character(
    tmp_path: Path, escaped: str, expected: str | None
) -> None:
    """A JSON file's escaped surrogate pair is the one character it stands for."""
    path = tmp_path / "d.json"
    path.write_text(f'{{"id": "A-1", "title": "{escaped}"}}\n', encoding="utf-8")
    if expected is None:
        with pytest.raises(qualscale.DeliveryError):
            qualscale.load_delivery(path)
    else:
        assert qualscale.load_delivery(path).title == expected


def test_a_surrogate_escape_in_yaml_is_left_to_the_reader(tmp_path: Path) -> None:
    """Outside JSON (single quotes keep backslashes) the text is read exactly as written."""
    path = tmp_path / "d.yaml"
    path.write_text("id: A-1\ntitle: 'x \\ud83d\\ude00'\n", encoding="utf-8")
    assert qualscale.load_delivery(path).title == "x \\ud83d\\ude00"


def _validate(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    path = tmp_path / "d.yaml"
    path.write_text(text, encoding="utf-8")
    assert cli.main(["validate", str(path)]) == 2
    return [line.split("d.yaml:", 1)[1] for line in capsys.readouterr().err.splitlines()]


def test_validate_reports_reading_and_checking_problems_together_in_file_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A duplicate key hides neither a bad value nor an unknown key: all three, in order."""
    lines = _validate(tmp_path, "id: D-1\nbogus: 1\nid: D-2\ntype: nonsense\n", capsys)
    assert [line.split(":")[0] for line in lines] == ["2", "3", "4"]
    assert "unknown key 'bogus'" in lines[0]
    assert "duplicate key 'id'" in lines[1]
    assert "found string 'nonsense'" in lines[2]


def test_a_value_the_reader_could_not_read_is_reported_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad tagged value is the reader's problem only; the rest of the file is still checked."""
    lines = _validate(tmp_path, "id: D-1\ntitle: !!int x\ntype: nonsense\n", capsys)
    assert [line.split(":")[0] for line in lines] == ["2", "3"]
    assert "$.title" in lines[0]
    assert "$.type" in lines[1]


def test_a_scale_with_a_duplicate_key_reports_its_other_problems_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In a scale file too, the reader's problems come with the checker's."""
    text = "extends: billing-saas\nversion: '2'\nversion: '3'\nmonotone: maybe\n"
    lines = _validate(tmp_path, text, capsys)
    assert [line.split(":")[0] for line in lines] == ["3", "4"]
    assert "duplicate key 'version'" in lines[0]
    assert "$.monotone" in lines[1]


def test_a_duplicate_key_does_not_hide_an_unknown_flag_from_validate_scale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With ``--scale``, a delivery with only a reader's problem has its flags checked too."""
    path = tmp_path / "d.yaml"
    path.write_text("id: X\nid: Y\nflags: [publc-api]\n", encoding="utf-8")
    assert cli.main(["validate", "--scale", "generic", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ", 2)[:2] for line in lines] == [
        [f"{path}:2", "$.id"],
        [f"{path}:3", "$.flags[0]"],
    ]


SHIPPED = sorted([*EXAMPLES.glob("deliveries/*.yaml"), EXAMPLES / "history.yaml"])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_the_fast_converter_builds_what_the_strict_one_builds(path: Path) -> None:
    """For every shipped document, the cattrs-free path and the strict converter agree."""
    from qualscale import _convert, _structure
    from qualscale.delivery import Delivery, History
    from qualscale.errors import ValidationError
    from qualscale.loading import read_document

    data = read_document(path, ValidationError)
    cls = Delivery if "deliveries" in path.parts else History
    fast = _convert.structure_located(data, cls, ValidationError)
    assert fast == _structure.structure_located(data, cls, ValidationError)


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_fast_and_strict_converters_agree_on_any_delivery_and_scale(data: st.DataObject) -> None:
    """A generated delivery, and every bundled scale, read back the same by both converters."""
    from qualscale import _convert, _structure
    from qualscale.delivery import Delivery
    from qualscale.errors import ValidationError
    from qualscale.loading import bundled_scales, load_scale
    from qualscale.strategies import deliveries

    scale = load_scale(data.draw(st.sampled_from(bundled_scales())))
    delivery = data.draw(deliveries(scale))
    plain = delivery.to_dict()
    assert _convert.structure_located(plain, Delivery, ValidationError) == delivery
    assert _structure.structure_located(plain, Delivery, ValidationError) == delivery
    whole = scale.to_dict()
    assert _convert.structure_located(
        whole, Scale, ValidationError
    ) == _structure.structure_located(whole, Scale, ValidationError)


def _both_markdowns(the_plan: qualscale.TestPlan, scale: Scale) -> tuple[str, str]:
    from qualscale._contexts import markdown_context
    from qualscale._plan_markdown import plan_markdown
    from qualscale.render import plan_context

    context = plan_context(the_plan, scale)
    python = plan_markdown(markdown_context(the_plan, scale))
    assert python == plan_markdown(context) == render_plan(the_plan, scale, "markdown")
    return python, _templates.render_shipped("plan.md.j2", context)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("deliveries/*.yaml")), ids=lambda p: p.name)
def test_the_markdown_plan_is_what_the_shipped_template_writes(path: Path) -> None:
    """For every example, with and without history, Python and plan.md.j2 write the same."""
    scale = qualscale.load_scale()
    delivery = qualscale.load_delivery(path)
    for history in (None, qualscale.load_history(EXAMPLES / "history.yaml")):
        python, template = _both_markdowns(qualscale.plan(delivery, scale, history), scale)
        assert python == template


@given(st.data())
@settings(max_examples=150, deadline=None)
def test_the_markdown_plan_is_what_the_template_writes_for_any_plan(data: st.DataObject) -> None:
    """Generated deliveries on every bundled scale: the same Markdown, byte for byte."""
    from qualscale.loading import bundled_scales, load_scale
    from qualscale.strategies import deliveries

    scale = load_scale(data.draw(st.sampled_from(bundled_scales())))
    the_plan = qualscale.plan(data.draw(deliveries(scale)), scale)
    python, template = _both_markdowns(the_plan, scale)
    assert python == template


@given(st.text(alphabet=st.characters(codec=None), max_size=40) | st.text(max_size=40))
@settings(max_examples=1000)
def test_one_line_and_md_are_the_regular_expressions_they_replace(text: str) -> None:
    """The fast paths of ``one_line`` and ``md`` give what the plain substitutions give."""
    import re

    from qualscale import _text

    expected = re.sub(_text._CONTROL, "", re.sub(_text._BREAK, " ", text))
    assert one_line(text) == expected
    assert md(text) == re.sub(r"([\\`*_\[\]<|~])", r"\\\1", expected)
    assert one_line("a\r\nb\x07\u202e`") == "a b`"
    assert one_line("é\u00a0\u2028\u2066x\u0085") == "é\u00a0 x"
    assert md("a*b\n[c]") == "a\\*b \\[c\\]"
