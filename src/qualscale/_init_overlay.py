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


#: File suffixes of documentation and artwork.
_DOC_SUFFIXES = (
    *(".md", ".rst", ".txt", ".adoc", ".html", ".pdf"),
    *(".png", ".svg", ".jpg", ".jpeg", ".gif", ".ico", ".ai", ".webp"),
)
_DOC_FOLDERS = {"documentation", "manual", "site", "guide", "guides", "book", "artwork"}
_TEST_FOLDERS = {"spec", "specs", "e2e", "qa", "fixtures", "benchmarks", "bench"}
_TOOL_FOLDERS = {"scripts", "tools", "bin", "hack", "utils", "dev", "contrib", "extras"}


@attrs.frozen
class Guess:
    """A component the overlay proposes: its id, globs, files, and why.

    ``level`` is where its criticality sits among the scale's risk classes: ``0`` the
    lowest, ``1`` the middle, ``2`` the highest.
    """

    id: str
    paths: tuple[str, ...]
    files: int
    why: str
    security: bool = False
    content: str = "code"
    level: int = 1
    about: str = "ordinary code; raise it for money or personal data"


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
    # Left over: files no component takes, or only a catch-all glob ("**").
    left = [m.path for m in map_paths(merged, files).matches if m.glob in (None, "**")]
    folders = Counter(p.split("/", 1)[0] if "/" in p else "" for p in left)
    for folder, n in sorted(folders.items()):
        names = [p for p in left if p.startswith(folder + "/")] if folder else []
        if not folder:
            # A glob without '/' matches the name in every folder: name the files themselves.
            names = [p for p in left if "/" not in p]
        where = f"{folder}/" if folder else "the top folder (names match anywhere)"
        paths = (f"{folder}/**",) if folder else tuple(names)
        what = f"{count(n, 'file')} in {where} that only a catch-all or no component takes"
        guesses.append(_folder_guess(_ident(folder or "top-level", taken), paths, names, what))
    return guesses


def _folder_guess(ident: str, paths: tuple[str, ...], names: list[str], what: str) -> Guess:
    """A guess for left-over files, from the folder's name and the files' suffixes."""
    folder = paths[0].removesuffix("/**") if paths[0].endswith("/**") else ""
    docs = sum(1 for n in names if n.lower().endswith(_DOC_SUFFIXES))
    if folder.lower() in _DOC_FOLDERS or (names and docs >= 0.8 * len(names)):
        about = "documentation or artwork, judged by its name and suffixes"
        return Guess(ident, paths, len(names), what, content="docs", level=0, about=about)
    if folder.lower() in _TEST_FOLDERS:
        about = "tests or their data, judged by the folder's name"
        return Guess(ident, paths, len(names), what, content="test", level=0, about=about)
    if folder.lower() in _TOOL_FOLDERS:
        about = "developer scripts, not shipped; raise it if they are"
        return Guess(ident, paths, len(names), what, level=0, about=about)
    return Guess(ident, paths, len(names), what)


def _component_lines(guess: Guess, rules: Rules) -> list[str]:
    flag = guess.security and "security" in rules.risk.flags
    classes = rules.risk.classes
    level = 2 if flag else guess.level
    criticality = classes[{0: 0, 1: (len(classes) - 1) // 2, 2: len(classes) - 1}[level]]
    about = "security code is risky" if flag else guess.about
    lines = [
        f"    - id: {guess.id}  # guess: {guess.why}",
        f"      criticality: {criticality}  # guess: {about}",
        f"      paths: {json.dumps(list(guess.paths))}",
    ]
    if guess.content != "code":
        lines.insert(2, f"      content: {guess.content}  # guess: as the criticality says")
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
