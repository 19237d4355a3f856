"""How a scale reads commits: the ``rules.commits`` section and the reading itself.

Pure: commit texts and tag names in, a type, flags, ``breaking`` and the reasons out.
:mod:`qualscale.git` reads commits from git and hands them here. The defaults read
Conventional Commits (``feat:``, ``fix(api)!:``), so a scale without the section reads
commits well.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs

from qualscale._validators import FieldInvalid, WrongType

__all__ = [
    "DEFAULT_PATTERNS",
    "DEFAULT_RELEASE_TAGS",
    "DEFAULT_TYPES",
    "MAX_PATTERN",
    "MAX_TEXT",
    "CommitPattern",
    "CommitReading",
    "CommitRules",
    "CommitText",
    "check_commit_rules",
    "read_commits",
    "regex",
    "type_token",
]

#: The longest regular expression a scale may give (characters).
MAX_PATTERN = 300
#: How much of a subject or body a pattern searches (characters): matching stays bounded.
MAX_TEXT = 4000

#: Conventional Commits type tokens (lower case) and the delivery type each means.
DEFAULT_TYPES: Mapping[str, str] = {
    "feat": "feature",
    "feature": "feature",
    "fix": "bugfix",
    "bugfix": "bugfix",
    "revert": "bugfix",
    "hotfix": "hotfix",
    "docs": "docs",
    "doc": "docs",
    "refactor": "refactor",
    "perf": "refactor",
    "style": "refactor",
    "test": "refactor",
    "tests": "refactor",
    "chore": "config",
    "build": "config",
    "ci": "config",
    "config": "config",
    "migration": "data-migration",
    "migrations": "data-migration",
    "migrate": "data-migration",
    "data-migration": "data-migration",
    "release": "release",
}
#: A release tag: ``1.2``, ``v1.2.3`` (the whole tag name must match).
DEFAULT_RELEASE_TAGS = r"v?\d+\.\d+(\.\d+)?"


def regex(_: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    """Accept ``None`` or a regular expression of at most :data:`MAX_PATTERN` characters."""
    if value is None:
        return
    if not isinstance(value, str):
        raise WrongType(attribute.name, f"expected a regular expression, found {value!r:.60}")
    if len(value) > MAX_PATTERN:
        raise FieldInvalid(
            attribute.name, f"expected at most {MAX_PATTERN} characters, found {len(value)}"
        )
    if not value:
        raise FieldInvalid(attribute.name, "expected a regular expression, found ''")
    try:
        re.compile(value)
    except re.error as exc:
        raise FieldInvalid(
            attribute.name, f"invalid regular expression {value!r}: {exc.msg} at {exc.pos}"
        ) from None
    if _nested_repeat(value):
        raise FieldInvalid(
            attribute.name,
            f"expected no unbounded repeat inside another in {value!r}: such a pattern can"
            " take exponential time on some messages (write (?:ab)+, not (?:a+b)+)",
        )


def _nested_repeat(pattern: str) -> bool:
    """Whether an unbounded repeat (``+``, ``*``, ``{n,}``) holds another unbounded one.

    That shape - ``(a+)+``, ``(\\s*\\w+)*`` - is what makes backtracking exponential; the
    check reads the pattern's parse tree, so it sees through groups and alternatives.
    """
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    repeats = {c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT}

    def walk(items: Any, inside: bool) -> bool:
        for op, av in items:
            if op in repeats:
                unbounded = av[1] == c.MAXREPEAT
                if unbounded and inside:
                    return True
                if walk(av[2], inside or unbounded):
                    return True
            elif op is c.SUBPATTERN and walk(av[3], inside):
                return True
            elif op is c.BRANCH and any(walk(branch, inside) for branch in av[1]):
                return True
            elif op in (c.ASSERT, c.ASSERT_NOT) and walk(av[1], inside):
                return True
            elif op is c.ATOMIC_GROUP and walk(av, inside):
                return True
        return False

    return walk(_parser.parse(pattern), False)


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    return re.compile(pattern, 0 if case_sensitive else re.IGNORECASE)


@attrs.frozen
class CommitPattern:
    """A regular expression searched in each commit's message; a match sets a flag or type.

    ``search`` says where: ``subject``, ``body`` or the whole ``message``. Only the first
    :data:`MAX_TEXT` characters of each are searched.
    """

    pattern: str = attrs.field(validator=regex)
    flag: str | None = None
    type: str | None = None
    search: Literal["subject", "body", "message"] = "message"
    case_sensitive: bool = False

    def matches(self, subject: str, body: str) -> bool:
        """Whether the pattern occurs where it looks."""
        regex = _compiled(self.pattern, self.case_sensitive)
        texts = {"subject": (subject,), "body": (body,), "message": (subject, body)}
        return any(regex.search(text[:MAX_TEXT]) for text in texts[self.search])


#: Commits that mention a CVE or a vulnerability carry the flag ``security``
#: (on scales that have that flag).
DEFAULT_PATTERNS: tuple[CommitPattern, ...] = (
    CommitPattern(r"\bCVE-\d{4}-\d+|vulnerab", flag="security"),
)


@attrs.frozen
class CommitRules:
    """How commits set a delivery's type and flags (``rules.commits``).

    ``types`` maps a Conventional Commits type token (``feat`` in ``feat(api)!: ...``;
    never the scope or a branch name) to a delivery type; ``patterns`` set flags or
    types from the message; a range that holds a commit tagged with a name matching
    ``release_tags`` (the whole name; ``null`` turns it off) is a ``release``. A
    merge is read from the pull request title in its message body and from the commits
    it merges, never from the branch name in ``Merge pull request #1 from a/hotfix/x``.
    The riskiest type found wins, by the scale's ``rules.risk.types``.
    """

    types: Mapping[str, str] = attrs.field(factory=lambda: dict(DEFAULT_TYPES))
    patterns: tuple[CommitPattern, ...] = DEFAULT_PATTERNS
    release_tags: str | None = attrs.field(default=DEFAULT_RELEASE_TAGS, validator=regex)


@attrs.frozen
class CommitText:
    """One commit as the reading sees it: short hash, subject, body, tags, merge or not."""

    short: str
    subject: str
    body: str = ""
    tags: tuple[str, ...] = ()
    merge: bool = False


@attrs.frozen
class CommitReading:
    """What commits say: the type (or ``None``), flags, ``breaking``, and why, per finding.

    ``findings`` are ``{"key", "value", "rule", "commit"}`` mappings: the winning type,
    the first commit that set each flag, the first that said it breaks compatibility.
    ``types`` counts the type each commit's own text names.
    """

    type: str | None
    flags: tuple[str, ...]
    breaking: bool
    findings: tuple[dict[str, str], ...]
    types: Mapping[str, int]


# Compiled on first use (re keeps them), not at import: a plan without git reads none.
_HEADER = r"""^\s*
    (?:(?:fixup|squash|amend)!\s+)*      # autosquash prefixes keep the original subject
    (?:\[[^\]]*\]\s*)*                   # leading tags such as [PROJ-12]
    (?P<type>[A-Za-z][\w-]*)
    (?:\((?P<scope>[^()]*)\))?
    (?P<bang>!)?
    \s*:"""
_GIT_REVERT = r'^\s*Revert "'
_BREAKING = r"\bBREAKING[ -]CHANGE\b"
_MERGE = r"^\s*Merge(?:d)?\b"


def type_token(subject: str) -> tuple[str, bool] | None:
    """The Conventional Commits type token of ``subject`` (lower case) and its ``!``."""
    header = re.match(_HEADER, subject[:MAX_TEXT], re.VERBOSE)
    if header is None:
        return None
    return header["type"].lower(), bool(header["bang"])


def _title(commit: CommitText) -> tuple[str, str]:
    """The subject and body to read: a merge's are its pull request title and the rest."""
    if not (commit.merge and re.match(_MERGE, commit.subject)):
        return commit.subject, commit.body
    lines = [line for line in commit.body.splitlines() if line.strip()]
    if not lines:
        return "", ""
    return lines[0].strip(), "\n".join(lines[1:])


def _finding(key: str, value: str, rule: str, commit: CommitText) -> dict[str, str]:
    return {"key": key, "value": value, "rule": rule, "commit": commit.short}


def _read_one(
    commit: CommitText, rules: CommitRules, known_flags: frozenset[str]
) -> list[dict[str, str]]:
    """Every finding one commit's own text gives: type, breaking, pattern flags and types."""
    subject, body = _title(commit)
    found = []
    token = type_token(subject)
    if re.match(_GIT_REVERT, subject):
        found.append(_finding("type", "bugfix", 'a git revert ("Revert ...")', commit))
    elif token is not None and token[0] in rules.types:
        rule = f"commits.types: {token[0]} -> {rules.types[token[0]]}"
        found.append(_finding("type", rules.types[token[0]], rule, commit))
    if token is not None and token[1]:
        found.append(_finding("breaking", "true", f"'{token[0]}!' in the subject", commit))
    elif re.search(_BREAKING, subject[:MAX_TEXT]) or re.search(_BREAKING, body[:MAX_TEXT]):
        found.append(_finding("breaking", "true", "BREAKING CHANGE in the message", commit))
    for i, pattern in enumerate(rules.patterns):
        if pattern.flag is not None and pattern.flag not in known_flags:
            continue  # a default pattern for a flag this scale does not have
        if not pattern.matches(subject, body):
            continue
        rule = f"commits.patterns[{i}] '{pattern.pattern}'"
        if pattern.flag is not None:
            found.append(_finding("flag", pattern.flag, rule, commit))
        if pattern.type is not None:
            found.append(_finding("type", pattern.type, rule, commit))
    return found


def _release_finding(commits: Sequence[CommitText], rules: CommitRules) -> dict[str, str] | None:
    if rules.release_tags is None:
        return None
    regex = _compiled(rules.release_tags, True)
    for commit in commits:
        for tag in commit.tags:
            if regex.fullmatch(tag[:MAX_TEXT]):
                rule = f"tag {tag} matches commits.release_tags '{rules.release_tags}'"
                return _finding("type", "release", rule, commit)
    return None


def read_commits(
    commits: Iterable[CommitText],
    rules: CommitRules,
    known_flags: Iterable[str],
    riskiest: Callable[[Iterable[str]], str],
) -> CommitReading:
    """Read ``commits`` (newest first) by ``rules``; ``riskiest`` picks among types.

    Flags the scale does not know (``known_flags``) are never set.
    """
    commits = list(commits)
    known = frozenset(known_flags)
    findings = [f for c in commits for f in _read_one(c, rules, known)]
    types: dict[str, int] = {}
    for f in findings:
        if f["key"] == "type":
            types[f["value"]] = types.get(f["value"], 0) + 1
    release = _release_finding(commits, rules)
    typed = [f for f in findings if f["key"] == "type"] + ([release] if release else [])
    chosen: list[dict[str, str]] = []
    type_ = riskiest(f["value"] for f in typed) if typed else None
    if type_ is not None:
        chosen.append(next(f for f in typed if f["value"] == type_))
    flags: dict[str, dict[str, str]] = {}
    for f in findings:
        if f["key"] == "flag":
            flags.setdefault(f["value"], f)
    chosen += flags.values()
    breaking = next((f for f in findings if f["key"] == "breaking"), None)
    if breaking is not None:
        chosen.append(breaking)
    return CommitReading(
        type_, tuple(flags), breaking is not None, tuple(chosen), dict(sorted(types.items()))
    )


def check_commit_rules(rules: CommitRules, known_flags: Sequence[str]) -> list[tuple[Any, str]]:
    """Problems of a ``rules.commits`` section: ``(key path under it, message)`` pairs.

    Delivery types are checked by the caller (it knows them); here: flags the scale
    lacks (the built-in pattern is exempt: it only applies on scales with its flag) and
    patterns that set nothing.
    """
    problems: list[tuple[Any, str]] = []
    for i, pattern in enumerate(rules.patterns):
        if pattern in DEFAULT_PATTERNS:
            continue
        if pattern.flag is None and pattern.type is None:
            problems.append(((i,), "expected a flag or a type to set"))
        if pattern.flag is not None and pattern.flag not in known_flags:
            known = ", ".join(known_flags)
            problems.append(((i, "flag"), f"unknown flag {pattern.flag!r}; known: {known}"))
    return problems


def __dir__() -> list[str]:
    return list(__all__)
