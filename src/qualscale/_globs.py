"""The one glob dialect of qualscale: component paths in a scale, path rules of the plugin.

``**`` crosses folders, ``*`` and ``?`` do not, and a pattern without ``/`` matches a
file name anywhere. A whole path must match. Pure functions; no I/O.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

__all__ = ["compile_globs", "glob_regex", "match_path"]


def glob_regex(pattern: str) -> str:
    """The regular expression (without anchors) of one glob ``pattern``."""
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
    return re.compile("(?:" + "|".join(glob_regex(p) for p in patterns) + r")\Z")


def match_path(path: str, patterns: Iterable[str]) -> bool:
    """Whether ``path`` (``/``-separated, relative; a leading ``./`` is ignored) matches."""
    regex = compile_globs(tuple(patterns))
    return regex is not None and regex.match(path.removeprefix("./")) is not None
