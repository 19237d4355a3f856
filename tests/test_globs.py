"""The one glob dialect, shared by the scale's component paths and the plugin's path rules."""

from __future__ import annotations

import pytest

from qualscale._globs import compile_globs, glob_regex, match_path


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("tests/perf/*.py", "tests/perf/test_rate.py", True),
        ("tests/perf/*.py", "tests/perf/deep/test_rate.py", False),
        ("tests/perf/**", "tests/perf/deep/test_rate.py", True),
        ("tests/**/test_*.py", "tests/test_a.py", True),
        ("tests/**/test_*.py", "tests/a/b/test_a.py", True),
        ("*_sec.py", "tests/auth/test_login_sec.py", True),
        ("*_sec.py", "test_login_sec.py", True),
        ("test_?.py", "tests/test_a.py", True),
        ("test_?.py", "tests/test_ab.py", False),
        ("src/rating/**", "src/rating.py", False),
        ("docs/*.md", "docs/a.md.bak", False),
        ("tests/[ab].py", "tests/a.py", False),
        ("tests/[ab].py", "tests/[ab].py", True),
    ],
)
def test_glob_dialect(pattern: str, path: str, expected: bool) -> None:
    """``**`` crosses folders, ``*`` and ``?`` do not, a bare name matches anywhere, whole paths."""
    assert match_path(path, [pattern]) is expected


def test_a_leading_dot_slash_is_ignored() -> None:
    """``./tests/a.py`` is the path ``tests/a.py``."""
    assert match_path("./tests/a.py", ["tests/*.py"])


def test_no_patterns_match_nothing() -> None:
    """An empty pattern list compiles to ``None`` and matches no path."""
    assert compile_globs(()) is None
    assert not match_path("a.py", [])


def test_several_patterns_compile_into_one_cached_regex() -> None:
    """The same patterns give the same compiled object, so each rule is compiled once."""
    assert compile_globs(("a/*", "b/**")) is compile_globs(("a/*", "b/**"))


def test_glob_regex_escapes_regex_characters() -> None:
    """Dots and other regex characters in a pattern are literal."""
    assert glob_regex("a.b/c+d") == r"a\.b/c\+d"
