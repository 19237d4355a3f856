"""A starter overlay for a repository, guessed from the files it tracks (``qualscale init``).

Pure: the caller lists the files. Each guess is written with a YAML comment saying
what it was guessed from, so a reader can check it line by line.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence

import attrs

from qualscale._mapping import map_paths
from qualscale._text import count
from qualscale.rules import ComponentRule, Rules
from qualscale.scale import Scale

__all__ = ["Guess", "guess_components", "starter_overlay"]

#: Folders whose packages are tests, examples or docs, not the product's source.
_NOT_SOURCE = {"tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks"}
#: Names that suggest code handling secrets or access.
_SECURITY = re.compile(r"(^|[-_/])(auth|security|crypto|secrets?|permissions?)($|[-_/.])")


@attrs.frozen
class Guess:
    """A component the overlay proposes: its id, globs, files, and why."""

    id: str
    paths: tuple[str, ...]
    files: int
    why: str
    security: bool = False


def _ident(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-._") or "part"
    if not base[0].isalnum():
        base = "p" + base
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}-{n}", n + 1
    taken.add(ident)
    return ident


def _packages(files: Sequence[str]) -> list[str]:
    """Folders of top-level Python packages (``src/pkg``, ``pkg``), tests and docs left out."""
    inits = {f.rsplit("/", 1)[0] for f in files if f.endswith("/__init__.py")}
    out = []
    for folder in sorted(inits):
        parent = folder.rsplit("/", 1)[0] if "/" in folder else ""
        parts = set(folder.split("/"))
        if parent in inits or parts & _NOT_SOURCE:
            continue
        out.append(folder)
    return out


def guess_components(rules: Rules, files: Sequence[str]) -> list[Guess]:
    """The components to add: one per source package, then one per folder left unmapped."""
    taken = {c.id for c in rules.components}
    guesses = []
    for folder in _packages(files):
        inside = [f for f in files if f.startswith(folder + "/")]
        name = folder.rsplit("/", 1)[-1]
        why = f"the Python package {folder}/ ({len(inside)} files)"
        guesses.append(Guess(_ident(name, taken), (f"{folder}/**",), len(inside), why))
        for sub in _packages([f.removeprefix(folder + "/") for f in inside]):
            if _SECURITY.search(sub):
                path = f"{folder}/{sub}"
                n = sum(1 for f in inside if f.startswith(path + "/"))
                why = f"{path}/ is named like code handling access or secrets ({n} files)"
                ident = _ident(f"{name}-{sub.rsplit('/', 1)[-1]}", taken)
                guesses.append(Guess(ident, (f"{path}/**",), n, why, security=True))
    guesses.sort(key=lambda g: not g.security)  # the narrower security guesses first
    extra = [ComponentRule(g.id, "medium", g.paths) for g in guesses]
    merged = attrs.evolve(rules, components=(*rules.components, *extra))
    unmapped = map_paths(merged, files).unmapped
    folders = Counter(p.split("/", 1)[0] if "/" in p else "" for p in unmapped)
    for folder, n in sorted(folders.items()):
        if folder:
            why = f"{count(n, 'file')} in {folder}/ that no component of the base takes"
            guesses.append(Guess(_ident(folder, taken), (f"{folder}/**",), n, why))
            continue
        # A glob without '/' matches the name in every folder: name the files themselves.
        names = tuple(p for p in unmapped if "/" not in p)
        why = f"{count(n, 'file')} in the top folder that no component takes (named anywhere)"
        guesses.append(Guess(_ident("top-level", taken), names, n, why))
    return guesses


def _component_lines(guess: Guess, rules: Rules) -> list[str]:
    flag = "security" if guess.security and "security" in rules.risk.flags else None
    classes = rules.risk.classes
    high = classes[-1] if flag else classes[(len(classes) - 1) // 2]
    says = (
        "security code is risky" if flag else "ordinary code; raise it for money or personal data"
    )
    lines = [
        f"    - id: {guess.id}  # guess: {guess.why}",
        f"      criticality: {high}  # guess: {says}",
        f"      paths: {json.dumps(list(guess.paths))}",
    ]
    if flag:
        lines.insert(2, "      flags: [security]  # guess: from the folder's name")
    return lines


def starter_overlay(base: str, scale: Scale, files: Sequence[str], name: str) -> str:
    """The overlay's YAML text for a repository ``name`` tracking ``files``, over ``base``."""
    rules = scale.rules
    guesses = guess_components(rules, files)
    found = Counter(m.component for m in map_paths(rules, files).matches if m.component)
    lines = [
        f"# A starter overlay for {name}, written by `qualscale init` from its {len(files)}",
        "# tracked files. Every guess carries a comment: check each one, then run",
        "#   qualscale map --all-files --scale THIS-FILE",
        "# to see which component every file falls into.",
        f"extends: {base}",
        f"name: {_ident(name, set())}  # guess: the repository's folder name",
        'version: "0.1"',
        f"description: {json.dumps(f'Quality standards for {name}, based on {scale.name}.')}",
        "",
        "# What the base scale's components already take in this repository:",
    ]
    for comp in rules.components:
        lines.append(f"#   {comp.id}: {count(found.get(comp.id, 0), 'file')}")
    if not guesses:
        lines.append("# Nothing to add: every file falls into a component of the base.")
        return "\n".join(lines) + "\n"
    lines += [
        "rules:",
        "  # Listed after the base's components: its docs, tests and config globs take",
        "  # their files first (a higher `priority` would change that).",
        "  components:",
    ]
    for guess in guesses:
        lines += _component_lines(guess, rules)
    return "\n".join(lines) + "\n"


def __dir__() -> list[str]:
    return list(__all__)
