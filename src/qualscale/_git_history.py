"""A project's history from git: one record per commit, Kamei change metrics, SZZ links.

:func:`read_git_history` reads a range in one ``git log --numstat`` pass and computes
the change metrics of Kamei et al. (TSE 2013) in bulk, oldest commit first:

* size: ``la``, ``ld`` (lines added, deleted), ``lt`` (lines of the touched files
  before the change, counted from the start of the range), ``nf`` (files);
* diffusion: ``nd`` (directories), ``ns`` (subsystems: top-level folders),
  ``entropy`` (spread of the changed lines over the files, in bits);
* history: ``ndev`` (earlier authors of the touched files), ``age`` (mean days since
  the touched files last changed), ``nuc`` (unique earlier changes to them);
* experience: ``exp`` (the author's earlier changes), ``rexp`` (the same, a change
  made n years before weighted 1 / (n + 1)), ``sexp`` (the author's earlier changes in
  the touched subsystems);
* purpose: ``fix`` (1 when :func:`is_fix` says the commit fixes a defect).

Everything is counted within the range read (a range from the root sees everything).
Then SZZ (Sliwerski, Zimmermann, Zeller 2005): the lines each fix commit deleted or
changed are traced with ``git blame`` on its parent to the commits that last touched
them; each of those in the range gets a ``defect`` outcome whose id and ``fixed_by``
are the fix commit and whose ``found`` and ``fixed`` are the fix's date.
"""

from __future__ import annotations

import datetime
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import attrs

from qualscale._change_metrics import diff_metrics, is_fix
from qualscale._commit_types import guess_type
from qualscale._git_read import _failure, _git
from qualscale.delivery import Changes, Delivery
from qualscale.errors import GitError
from qualscale.records import Outcome, Record

__all__ = ["MAX_BLAME_FILES", "MAX_PATHS", "Commit", "is_fix", "kamei_metrics", "read_git_history"]

#: A fix commit touching more files than this is not traced (a sweeping change: SZZ noise).
MAX_BLAME_FILES = 20
#: The paths a record keeps of one commit (the metrics count them all).
MAX_PATHS = 200

_SEP = "\x1f"
_FORMAT = f"%x00%H{_SEP}%P{_SEP}%an{_SEP}%at{_SEP}%s"
_DAY = 86400.0
_YEAR = 365.25 * _DAY


@attrs.frozen
class Commit:
    """One commit of the log: who, when, and the lines of each path."""

    sha: str
    parents: tuple[str, ...]
    author: str
    time: int
    subject: str
    files: tuple[tuple[str, int, int], ...]


def _path(text: str) -> str:
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return text


def _commits(text: str) -> Iterator[Commit]:
    for chunk in text.split("\x00")[1:]:
        head, _, body = chunk.partition("\n")
        sha, parents, author, time, subject = head.split(_SEP, 4)
        files = []
        for line in body.splitlines():
            parts = line.split("\t", 2)
            if len(parts) != 3:
                continue
            added, deleted, path = parts
            files.append(
                (
                    _path(path),
                    int(added) if added != "-" else 0,
                    int(deleted) if deleted != "-" else 0,
                )
            )
        yield Commit(sha, tuple(parents.split()), author, int(time), subject, tuple(files))


def read_log(revision: str, repo: str, *, first_parent: bool = False) -> list[Commit]:
    """The commits of ``revision`` (a range or a revision), oldest first, from one git pass.

    Raises:
        GitError: not a repository, an unknown revision, git missing.
    """
    where = os.fspath(repo)
    args = ["log", "--reverse", "--numstat", "--no-renames", f"--format={_FORMAT}"]
    if first_parent:
        args += ["--first-parent", "--diff-merges=first-parent"]
    result = _git(where, *args, revision, "--")
    if result.returncode != 0:
        raise _failure(where, result, f"log {revision}")
    return list(_commits(result.stdout.decode("utf-8", "replace")))


@attrs.define
class _State:
    lines: dict[str, int] = attrs.Factory(dict)
    last_change: dict[str, int] = attrs.Factory(dict)
    devs: defaultdict[str, set[str]] = attrs.Factory(lambda: defaultdict(set))
    changes: defaultdict[str, set[int]] = attrs.Factory(lambda: defaultdict(set))
    exp: defaultdict[str, int] = attrs.Factory(lambda: defaultdict(int))
    years: defaultdict[str, defaultdict[int, int]] = attrs.Factory(
        lambda: defaultdict(lambda: defaultdict(int))
    )
    sexp: defaultdict[tuple[str, str], int] = attrs.Factory(lambda: defaultdict(int))


def kamei_metrics(commits: list[Commit]) -> list[dict[str, float]]:
    """The Kamei change metrics of each commit, counted over the commits given (in order)."""
    state = _State()
    out = []
    for n, c in enumerate(commits):
        paths = [p for p, _, _ in c.files]
        subsystems = {p.split("/", 1)[0] if "/" in p else "" for p in paths}
        diff = diff_metrics(c.files, [c.subject])
        seen = [p for p in paths if p in state.last_change]
        year = int(c.time // _YEAR)
        prior_changes: set[int] = set()
        for p in seen:
            prior_changes |= state.changes[p]
        metrics: dict[str, float] = {
            **{k: diff[k] for k in ("la", "ld")},
            "lt": sum(state.lines.get(p, 0) for p in paths),
            **{k: diff[k] for k in ("nf", "nd", "ns", "entropy")},
            "ndev": len(set().union(*(state.devs[p] for p in seen))),
            "age": round(sum((c.time - state.last_change[p]) / _DAY for p in seen) / len(seen), 6)
            if seen
            else 0.0,
            "nuc": len(prior_changes),
            "exp": state.exp[c.author],
            "rexp": round(
                sum(k / (year - y + 1) for y, k in state.years[c.author].items() if y <= year), 6
            ),
            "sexp": sum(state.sexp[(c.author, s)] for s in subsystems),
            "fix": diff["fix"],
        }
        out.append(metrics)
        for p, a, d in c.files:
            state.lines[p] = max(0, state.lines.get(p, 0) + a - d)
            state.last_change[p] = c.time
            state.devs[p].add(c.author)
            state.changes[p].add(n)
        state.exp[c.author] += 1
        state.years[c.author][year] += 1
        for s in subsystems:
            state.sexp[(c.author, s)] += 1
    return out


def _iso(seconds: int) -> str:
    when = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _delivery(c: Commit, metrics: dict[str, float]) -> Delivery:
    kind: Any = guess_type(c.subject)
    return Delivery(
        id=c.sha,
        title=c.subject,
        type=kind,
        changes=Changes(
            lines_added=int(metrics["la"]), lines_removed=int(metrics["ld"]), files=len(c.files)
        ),
        paths=tuple(p for p, _, _ in c.files[:MAX_PATHS]),
        author=c.author,
        date=_iso(c.time),
        metrics=metrics,
        source={"git": {"commit": c.sha, "parents": list(c.parents)}},
    )


def read_git_history(
    revision: str, repo: str = ".", *, first_parent: bool = False, szz: bool = True
) -> list[Record]:
    """One record per commit of ``revision`` (per merge with ``first_parent``), oldest first,
    with Kamei metrics and, with ``szz``, the defects traced to each commit by SZZ.

    Raises:
        GitError: not a repository, an unknown revision, an empty range, git missing.
    """
    commits = read_log(revision, repo, first_parent=first_parent)
    if not commits:
        raise GitError(f"no commits in {revision}")
    metrics = kamei_metrics(commits)
    links = szz_links(commits, metrics, repo) if szz else {}
    return [
        Record(_delivery(c, m), outcomes=tuple(links.get(c.sha, ())))
        for c, m in zip(commits, metrics, strict=True)
    ]


_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+")


def _removed_lines(diff: bytes) -> dict[str, list[tuple[int, int]]]:
    """The old-file line ranges (start, count) each path's hunks delete or change."""
    out: dict[str, list[tuple[int, int]]] = {}
    path: str | None = None
    for line in diff.splitlines():
        if line.startswith(b"--- "):
            name = line[4:].decode("utf-8", "replace")
            path = _path(name)[2:] if name != "/dev/null" else None
        elif path is not None and (m := _HUNK.match(line)):
            start, length = int(m.group(1)), int(m.group(2) or b"1")
            if length:
                out.setdefault(path, []).append((start, length))
    return out


def szz_links(
    commits: list[Commit], metrics: list[dict[str, float]], repo: str
) -> dict[str, list[Outcome]]:
    """The defects SZZ traces to commits of ``commits``: by inducing commit, the outcomes."""
    where = os.fspath(repo)
    known = {c.sha for c in commits}
    links: dict[str, dict[str, Outcome]] = defaultdict(dict)
    for c, m in zip(commits, metrics, strict=True):
        if not m["fix"] or not c.parents or len(c.files) > MAX_BLAME_FILES:
            continue
        result = _git(where, "diff", "-U0", "--no-renames", c.parents[0], c.sha, "--")
        if result.returncode != 0:
            continue
        when = _iso(c.time)
        for path, ranges in _removed_lines(result.stdout).items():
            spans = [a for s, n in ranges for a in ("-L", f"{s},+{n}")]
            blame = _git(where, "blame", "--porcelain", *spans, c.parents[0], "--", path)
            if blame.returncode != 0:
                continue
            for sha in _blamed(blame.stdout):
                if sha in known and sha != c.sha:
                    outcome = Outcome(id=c.sha, found=when, fixed=when, fixed_by=c.sha)
                    links[sha][c.sha] = outcome
    return {sha: list(found.values()) for sha, found in links.items()}


_BLAME_HEAD = re.compile(rb"^([0-9a-f]{40}) \d+ \d+")


def _blamed(porcelain: bytes) -> set[str]:
    return {
        m.group(1).decode() for line in porcelain.splitlines() if (m := _BLAME_HEAD.match(line))
    }


def __dir__() -> list[str]:
    return list(__all__)
