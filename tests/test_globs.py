"""The one glob dialect, shared by the scale's component paths and the plugin's path rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualscale._globs import compile_globs, glob_problem, glob_regex, match_path, normal_path


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
        ("tests/[ab].py", "tests/a.py", True),
        ("tests/[ab].py", "tests/[ab].py", False),
        ("src/[mp]*.py", "src/main.py", True),
        ("src/[mp]*.py", "src/pay.py", True),
        ("src/[mp]*.py", "src/rate.py", False),
        ("src/v[0-9].py", "src/v7.py", True),
        ("src/v[!0-9].py", "src/v7.py", False),
        ("src/v[^0-9].py", "src/vx.py", True),
        ("src[!x]a.py", "src/a.py", False),
        ("x[]]", "x]", True),
        ("v[!-a]", "v5", True),
        ("v[!-a]", "v-", False),
        ("v[!a-]", "v-", False),
        ("v[a&&b]", "v&", True),
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


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("./tests/a.py", "tests/a.py"),
        ("docs/../src/rating/vat.py", "src/rating/vat.py"),
        ("src//rating///vat.py", "src/rating/vat.py"),
        ("src/./rating/./vat.py", "src/rating/vat.py"),
        ("src/rating/", "src/rating"),
        ("/abs/../x.py", "/x.py"),
        ("src/rating/vat\n.py", "src/rating/vat\n.py"),
        ("a/b/..", "a"),
    ],
)
def test_normal_path(path: str, expected: str) -> None:
    """normal_path drops ``.`` and empty segments and resolves ``..`` steps."""
    assert normal_path(path) == expected


@pytest.mark.parametrize("path", ["..", "../a.py", "a/../../b.py", "./../x", "/../x"])
def test_a_path_that_climbs_above_the_root_is_refused(path: str) -> None:
    """normal_path refuses a path climbing above its root, and such a path matches nothing."""
    with pytest.raises(ValueError, match="climbs above the project root"):
        normal_path(path)
    assert not match_path(path, ["**"])


@pytest.mark.parametrize(
    ("pattern", "path"),
    [
        ("src/rating/**", "src/rating/vat\n.py"),
        ("src/rating/**", "src/rating/a\n/b\r.py"),
        ("src/rating/*.py", "src/rating/v\nat.py"),
        ("*.py", "src/x\x00\n.py"),
    ],
)
def test_names_with_control_characters_are_matched(pattern: str, path: str) -> None:
    """A newline or other control character in a name does not let a path escape a glob."""
    assert match_path(path, [pattern])


def test_dot_dot_cannot_make_a_path_look_like_docs() -> None:
    """``docs/../src/x.py`` is matched as the source file it names, not as docs."""
    assert not match_path("docs/../src/x.py", ["docs/**"])
    assert match_path("docs/../src/x.py", ["src/**"])


_names = st.text(st.characters(blacklist_characters="/"), min_size=1, max_size=4)
_paths = st.lists(st.one_of(_names, st.sampled_from([".", "..", ""])), max_size=6).map("/".join)


@given(_paths)
def test_normal_paths_are_fixed_points_and_match_alike(path: str) -> None:
    """A normal path normalises to itself, and a path matches exactly as its normal form."""
    try:
        normal = normal_path(path)
    except ValueError:
        return
    assert normal_path(normal) == normal
    assert not {"", ".", ".."} & set(normal.removeprefix("/").split("/")) or normal in ("", "/")
    for pattern in ("**", "a/**", "*", "**/b", "a/*/b"):
        assert match_path(path, [pattern]) is match_path(normal, [pattern])


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "expected a glob, found an empty string"),
        ("  ", "expected a glob, found an empty string"),
        ("/src/**", "relative to the repository root; found '/src/**' (write 'src/**')"),
        ("src\\rating\\**", "separates folders with '/', found a backslash"),
        ("src/[mp*.py", "unclosed '['"),
        ("src/[z-a].py", "bad character class '[z-a]'"),
        ("[?--]", "bad character class '[?--]'"),
    ],
)
def test_glob_problem_names_what_is_wrong(pattern: str, message: str) -> None:
    """Empty, absolute, backslash and unclosed-class globs are refused with the reason."""
    problem = glob_problem(pattern)
    assert problem is not None
    assert message in problem


@pytest.mark.parametrize("pattern", ["src/**", "*.py", "src/[mp]*.py", "a/?/[!x]"])
def test_good_globs_have_no_problem(pattern: str) -> None:
    """Globs of the dialect pass glob_problem."""
    assert glob_problem(pattern) is None


@given(st.text(st.sampled_from("ab/*?[]!^-&~|"), max_size=8))
def test_every_glob_without_a_problem_compiles(pattern: str) -> None:
    """A glob glob_problem accepts compiles without a warning; one it refuses is never used."""
    if glob_problem(pattern) is None:
        compile_globs((pattern,))
