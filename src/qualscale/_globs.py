"""The one glob dialect of qualscale: component paths in a scale, path rules of the plugin.

``**`` crosses folders, ``*`` and ``?`` do not, ``[mp]`` is one of the characters
listed (``[a-z]`` a range, ``[!mp]`` or ``[^mp]`` any other, never ``/``), and a
pattern without ``/`` matches a file name anywhere. A whole path must match,
whatever characters its names hold (a newline too). Paths are matched in their
normal form (:func:`normal_path`), so ``docs/../src/a.py`` is ``src/a.py``. An
empty glob, one starting with ``/``, one holding a backslash and one with an
unclosed ``[`` are refused (:func:`glob_problem`). Pure functions; no I/O.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

__all__ = ["compile_globs", "glob_problem", "glob_regex", "match_path", "normal_path"]


def normal_path(path: str) -> str:
    """``path`` (``/``-separated) without ``.`` segments, ``..`` steps or repeated slashes.

    ``./docs//../src/a.py`` is ``src/a.py``; a leading ``/`` is kept. Names are not
    otherwise touched: a name holding a newline or a backslash stays as written.

    Raises:
        ValueError: the path climbs above its root (``../a.py``, ``a/../../b``).
    """
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise ValueError(f"the path climbs above the project root: {path!r}")
            parts.pop()
        else:
            parts.append(part)
    return ("/" if path.startswith("/") else "") + "/".join(parts)


def glob_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a glob of the dialect, or ``None`` when it is one."""
    if not pattern.strip():
        return "expected a glob, found an empty string"
    if pattern.startswith("/"):
        return (
            f"a glob is relative to the repository root; found {pattern!r}"
            f" (write {pattern.lstrip('/')!r})"
        )
    if "\\" in pattern:
        return f"a glob separates folders with '/', found a backslash in {pattern!r}"
    i = 0
    while i < len(pattern):
        if pattern[i] == "[":
            end = _class_end(pattern, i)
            if end is None:
                return f"unclosed '[' in {pattern!r}; a character class ends with ']'"
            try:
                re.compile(_class_regex(pattern[i + 1 : end]))
            except re.error:
                return f"bad character class {pattern[i : end + 1]!r} in {pattern!r}"
            i = end
        i += 1
    return None


def _class_end(pattern: str, start: int) -> int | None:
    """The index of the ``]`` that closes the class opened at ``start``, or ``None``."""
    i = start + 1
    if i < len(pattern) and pattern[i] in "!^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":  # a leading ] is a member
        i += 1
    end = pattern.find("]", i)
    return None if end < 0 else end


def _class_regex(body: str) -> str:
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    # Doubled -, &, ~ and | are set operations in a future Python: escape them (and the
    # other specials), leaving a single - as the range it is in a glob.
    members = "".join(
        "\\" + c if c in "\\]^[&~|" or (c == "-" and body[i - 1 : i] == "-") else c
        for i, c in enumerate(body)
    )
    if members.endswith("-") and not members.endswith("\\-"):
        members = members[:-1] + "\\-"  # a trailing - is a member, not a range to the /
    # A class never matches the folder separator, as * and ? do not; the / goes last so
    # that it never ends a range of the user's (``[!-a]`` is not ``/`` to ``a``).
    return f"[^{members}/]" if negate else f"(?:(?!/)[{members}])"


def glob_regex(pattern: str) -> str:
    """The regular expression (without anchors) of one glob ``pattern``.

    An unclosed ``[`` is a literal character here; :func:`glob_problem` refuses it in a scale.
    """
    if "/" not in pattern:
        pattern = "**/" + pattern
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        elif pattern[i] == "[" and (end := _class_end(pattern, i)) is not None:
            out += _class_regex(pattern[i + 1 : end])
            i = end + 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return out


@functools.lru_cache(maxsize=1024)
def compile_globs(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex that matches a whole path matched by any of ``patterns``; ``None`` for none.

    Cached, so a rule's globs are compiled once however many paths it sees.
    """
    if not patterns:
        return None
    # DOTALL: ``**`` must cross a name holding a newline, or ``src/rating/vat\n.py``
    # would escape the ``rating`` component.
    return re.compile("(?:" + "|".join(glob_regex(p) for p in patterns) + r")\Z", re.DOTALL)


def match_path(path: str, patterns: Iterable[str]) -> bool:
    """Whether ``path`` (``/``-separated, relative) in its normal form matches.

    A path that climbs above its root matches nothing.
    """
    regex = compile_globs(tuple(patterns))
    try:
        path = normal_path(path)
    except ValueError:
        return False
    return regex is not None and regex.match(path) is not None
