"""Which component each path falls into, by which glob, and which globs match nothing.

Pure: the paths come from the caller (``qualscale map`` reads them from git). A path
belongs to the first component that matches it, components tried in match order
(higher ``priority`` first, then as the scale lists them), as classification does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from qualscale._globs import compile_globs, normal_path
from qualscale.rules import ComponentRule, Rules

__all__ = ["PathMap", "PathMatch", "map_paths", "match_order"]


@attrs.frozen
class PathMatch:
    """A path, the component it falls into and the glob that matched (``None`` when unmapped)."""

    path: str
    component: str | None
    glob: str | None
    content: str | None

    def to_dict(self) -> dict[str, str | None]:
        """The match as plain data."""
        return attrs.asdict(self)


@attrs.frozen
class PathMap:
    """The paths mapped, the unmapped ones, and ``(component, glob)`` pairs matching nothing.

    ``unused`` is ``None`` when no list of the repository's files was given.
    """

    matches: tuple[PathMatch, ...]
    unused: tuple[tuple[str, str], ...] | None

    @property
    def unmapped(self) -> tuple[str, ...]:
        """Every path no component takes, in the order given."""
        return tuple(m.path for m in self.matches if m.component is None)


def match_order(rules: Rules) -> list[ComponentRule]:
    """The components in the order paths are matched: higher priority first, then as listed."""
    return sorted(rules.components, key=lambda r: -r.priority)


def _first_glob(path: str, ordered: Sequence[ComponentRule]) -> tuple[ComponentRule, str] | None:
    try:
        path = normal_path(path)
    except ValueError:
        return None
    for rule in ordered:
        whole = compile_globs(rule.paths)
        if whole is None or not whole.match(path):
            continue
        for glob in rule.paths:
            one = compile_globs((glob,))
            if one is not None and one.match(path):
                return rule, glob
    return None


def map_paths(
    rules: Rules, paths: Iterable[str], repo_files: Iterable[str] | None = None
) -> PathMap:
    """Map ``paths`` to components; with ``repo_files``, also find the globs matching none."""
    ordered = match_order(rules)
    matches = []
    for path in paths:
        found = _first_glob(path, ordered)
        if found is None:
            matches.append(PathMatch(path, None, None, None))
        else:
            rule, glob = found
            matches.append(PathMatch(path, rule.id, glob, rule.content))
    unused = None if repo_files is None else _unused(ordered, list(repo_files))
    return PathMap(tuple(matches), unused)


def _unused(ordered: Sequence[ComponentRule], files: list[str]) -> tuple[tuple[str, str], ...]:
    normal = []
    for name in files:
        try:
            normal.append(normal_path(name))
        except ValueError:
            continue
    out = []
    for rule in ordered:
        for glob in rule.paths:
            regex = compile_globs((glob,))
            if regex is not None and not any(regex.match(f) for f in normal):
                out.append((rule.id, glob))
    return tuple(out)


def __dir__() -> list[str]:
    return list(__all__)
