"""Read a delivery from git: one commit or a range of commits, as a delivery mapping.

:func:`read_git_delivery` turns ``REV``, ``BASE..HEAD`` or ``BASE...HEAD`` into the
mapping the rest of qualscale reads (``id``, ``title``, ``type``, ``changes``, ``paths``,
``source``). It runs a small, fixed number of git processes per call, however many files
or commits the change holds:

* one ``git log --no-walk`` resolving the revisions (full and short hash, parents, subject),
* one ``git merge-base`` for ``BASE...HEAD`` only,
* one ``git log`` listing the commits of a range (skipped for a commit with one parent),
* one ``git diff --raw --numstat -z -M`` giving paths, statuses, renames and line counts,
* one ``git rev-parse --is-shallow-repository`` only on the error path and for a commit
  without parents (to tell a root commit from the edge of a shallow clone).

:func:`read_git_deliveries` reads one delivery per commit of a history in bulk (a
constant number of git processes, whatever the number of commits). The commit messages
are read by the scale's ``rules.commits`` (:mod:`qualscale._commit_rules`);
:func:`guess_type` guesses the delivery type from one Conventional Commit subject by the
default type map. Everything that can go wrong is raised as
:class:`~qualscale.errors.GitError` with a one-line message.
"""

from __future__ import annotations

import datetime
import functools
import heapq
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from qualscale._change_metrics import diff_metrics
from qualscale._commit_rules import CommitReading as _Reading
from qualscale._commit_rules import CommitRules, CommitText, read_commits
from qualscale._commit_types import RISK_ORDER, guess_type, riskiest_type
from qualscale._git_read import (
    _BAD_REVISION,
    _BULK_FORMAT,
    _COMMIT_FORMAT,
    _EMPTY_TREE,
    _RECORD,
    _Commit,
    _diff,
    _failure,
    _FileChange,
    _git,
    _log,
    _merge_base,
    _parse_bulk_records,
    _parse_commits,
    _refuse_shallow_edge,
    _resolve,
    _stderr,
    _stream,
    _unknown_revision,
)
from qualscale.errors import GitError

if TYPE_CHECKING:
    from qualscale.scale import Scale

__all__ = ["RISK_ORDER", "guess_type", "read_git_deliveries", "read_git_delivery", "riskiest_type"]


@attrs.frozen
class _Range:
    base: str | None  # None for a single revision
    head: str
    separator: str  # "..", "..." or "" for a single revision


def read_git_delivery(
    revision: str, repo: str | os.PathLike[str] = ".", *, scale: Scale | None = None
) -> dict[str, object]:
    """Read the delivery that *revision* of the repository *repo* describes.

    Args:
        revision: ``BASE..HEAD`` (the diff from BASE to HEAD, the commits in HEAD not in
            BASE), ``BASE...HEAD`` (the same from their merge base), or a single ``REV``
            meaning ``REV^..REV`` (a root commit is compared with the empty tree). An
            empty side means ``HEAD``, as in git.
        repo: Any directory inside the working tree, or a bare repository.
        scale: The scale the delivery will be classified on: a range takes the type of
            its commits that the scale's ``rules.risk.types`` rate riskiest
            (:func:`riskiest_type`); without one, the riskiest in :data:`RISK_ORDER`.

    Returns:
        A JSON-able mapping with keys in this order: ``id`` (short hashes, ``abc1234`` or
        ``abc1234..def5678``), ``title`` (the newest subject, plus ``(+N more commits)``),
        ``type`` (left out when no subject names one), ``changes``
        (``lines_added``, ``lines_removed``, ``files``; a rename counts as one file, a
        binary file as 0 lines; ``by_path``, each text file's ``added`` and
        ``removed``), ``paths`` (sorted, unique; a rename gives both paths) and
        ``source.git`` (``base``/``head`` full hashes, ``commits``, sorted ``binary``,
        ``renamed`` and ``deleted``, ``subjects_types`` counts, ``breaking``).

    Raises:
        GitError: git is missing, *repo* is no repository, a revision is unknown (also in
            a shallow clone lacking it), the range contains no commits, or git fails.
    """
    where = os.fspath(repo)
    if not os.path.isdir(where):
        raise GitError(f"not a git repository: {where} (no such directory)")
    spec = _parse_revision(revision)

    if spec.base is None:
        head = _resolve(where, [spec.head])[0]
        if head.parents:
            base_sha = head.parents[0]
        else:
            _refuse_shallow_edge(where, head)
            base_sha = _EMPTY_TREE.get(len(head.sha), _EMPTY_TREE[40])
        # A merge brings in the commits of the merged branch; other commits are alone.
        commits = _log(where, base_sha, head.sha) if len(head.parents) > 1 else [head]
        delivery_id = head.short
    else:
        resolved = _resolve(where, [spec.base, spec.head])
        base, head = resolved[0], resolved[-1]
        names = (spec.base, spec.head)
        base_sha = _merge_base(where, names, base, head) if spec.separator == "..." else base.sha
        commits = [] if base_sha == head.sha else _log(where, base_sha, head.sha)
        if not commits:
            raise GitError(f"range {revision} contains no commits")
        delivery_id = f"{base.short}{spec.separator}{head.short}"

    files = _diff(where, base_sha, head.sha)
    return _delivery(delivery_id, base_sha, head, commits, files, scale)


def read_git_deliveries(
    revision: str,
    repo: str | os.PathLike[str] = ".",
    *,
    scale: Scale | None = None,
    first_parent: bool = False,
    max_count: int | None = None,
) -> Iterator[dict[str, object]]:
    """One delivery per commit of *revision*, newest first, read in bulk.

    Args:
        revision: ``BASE..HEAD`` (the commits in HEAD not in BASE) or ``REV`` (REV and
            all its ancestors).
        repo: Any directory inside the working tree, or a bare repository.
        scale: As for :func:`read_git_delivery`.
        first_parent: Follow only first parents: one delivery per merge (and per commit
            made on the main line).
        max_count: At most this many deliveries (the newest).

    Each delivery is what :func:`read_git_delivery` gives for that one commit: its change
    is the diff against its first parent, and a merge is read from its pull request title
    and the commits it merges. Git runs three times at most, however many commits: one
    ``git log`` of the messages, with ``first_parent`` one of the merged commits, and one
    ``git log --raw --numstat`` read as it comes.

    Raises:
        GitError: as :func:`read_git_delivery`; also for ``BASE...HEAD``.
    """
    where = os.fspath(repo)
    if not os.path.isdir(where):
        raise GitError(f"not a git repository: {where} (no such directory)")
    spec = _parse_revision(revision)
    if spec.separator == "...":
        raise GitError(f"range {revision}: give BASE..HEAD or REV for one delivery per commit")
    git_range = spec.head if spec.base is None else f"{spec.base}..{spec.head}"
    options = ["--first-parent"] if first_parent else []
    if max_count is not None:
        options.append(f"--max-count={max_count}")
    # The commit texts first (cheap: no diffs), so a merge can be read from the commits
    # it merges; then the changes, streamed, so git and the planning overlap.
    listed = _log_range(where, git_range, options)
    commits = {c.sha: c for c in listed}
    if first_parent and any(len(c.parents) > 1 for c in listed):
        oldest = listed[-1]
        side = f"{oldest.parents[0]}..{spec.head}" if oldest.parents else spec.head
        commits.update((c.sha, c) for c in _log_range(where, side, []))
    for commit, files in _bulk_log(where, git_range, options):
        merged = _merged(commit, commits) if len(commit.parents) > 1 else []
        empty = _EMPTY_TREE.get(len(commit.sha), _EMPTY_TREE[40])
        base_sha = commit.parents[0] if commit.parents else empty
        yield _delivery(commit.short, base_sha, commit, [commit, *merged], files, scale)


def _bulk_log(
    repo: str, git_range: str, options: list[str]
) -> Iterator[tuple[_Commit, list[_FileChange]]]:
    args = ["log", "-z", "--raw", "--numstat", "-M", "--no-color", "--no-ext-diff"]
    args += ["--no-textconv", "--diff-merges=first-parent", _BULK_FORMAT, *options]
    with _stream(repo, [*args, git_range, "--"]) as (chunks, failed):
        buffer = b""
        for chunk in chunks:
            *records, buffer = _RECORD.split(buffer + chunk)
            yield from _parse_bulk_records(records)
        result = failed()
        if result is not None:
            raise _log_failure(repo, result, git_range)
        yield from _parse_bulk_records([buffer])


def _log_range(repo: str, git_range: str, options: list[str]) -> list[_Commit]:
    result = _git(repo, "log", "-z", _COMMIT_FORMAT, *options, git_range, "--")
    if result.returncode != 0:
        raise _log_failure(repo, result, git_range)
    return _parse_commits(result.stdout)


def _log_failure(repo: str, result: Any, git_range: str) -> GitError:
    bad = _BAD_REVISION.search(_stderr(result))
    if bad is not None:
        return _unknown_revision(repo, [bad["name"]])
    return _failure(repo, result, "log")


#: How many commits the walk that finds a merge's commits visits, at most.
MAX_WALK = 20000


def _merged(merge: _Commit, commits: Mapping[str, _Commit]) -> list[_Commit]:
    """The commits a merge brings in: as ``git log P1..MERGE`` lists them, among ``commits``.

    Walks newest first from all parents, marking what the first parent reaches as
    uninteresting, until only uninteresting commits are left to visit (git's own walk).
    Commits not read (older than the range) count as reached by the first parent.
    """
    uninteresting = {merge.parents[0]}
    queue: list[tuple[float, str]] = []
    found: dict[str, _Commit] = {}
    for sha in merge.parents:
        if sha in commits:
            heapq.heappush(queue, (-_time(commits[sha]), sha))
    visited: set[str] = set()
    while queue and len(visited) < MAX_WALK:
        if all(sha in uninteresting for _, sha in queue):
            break
        _, sha = heapq.heappop(queue)
        if sha in visited:
            continue
        visited.add(sha)
        commit = commits[sha]
        if sha in uninteresting:
            uninteresting.update(commit.parents)
        else:
            found[sha] = commit
        for parent in commit.parents:
            if parent in commits and parent not in visited:
                heapq.heappush(queue, (-_time(commits[parent]), parent))
    return [c for sha, c in found.items() if sha not in uninteresting]


def _time(commit: _Commit) -> float:
    return _timestamp(commit.date)


@functools.lru_cache(maxsize=65536)
def _timestamp(date: str) -> float:
    # Keyed by the date string: hashing a whole commit (its body too) would cost more.
    try:
        return datetime.datetime.fromisoformat(date).timestamp()
    except ValueError:
        return 0.0


def _delivery(
    delivery_id: str,
    base_sha: str,
    head: _Commit,
    commits: Sequence[_Commit],
    files: Sequence[_FileChange],
    scale: Scale | None,
) -> dict[str, object]:
    reading = _read(commits, scale)
    more = len(commits) - 1
    title = head.subject
    if more:
        title += f" (+{more} more commit{'s' if more > 1 else ''})"
    renamed = sorted((f.old_path, f.path) for f in files if f.old_path is not None)
    paths = {f.path for f in files} | {old for old, _ in renamed}

    delivery: dict[str, object] = {"id": delivery_id, "title": title}
    if reading.type is not None:
        delivery["type"] = reading.type
    delivery["changes"] = {
        "lines_added": sum(f.added or 0 for f in files),
        "lines_removed": sum(f.removed or 0 for f in files),
        "files": len(files),
        # Binary files have no lines; a rename counts under its new path.
        "by_path": {
            f.path: {"added": f.added, "removed": f.removed or 0}
            for f in sorted(files, key=lambda f: f.path)
            if f.added is not None
        },
    }
    delivery["paths"] = sorted(paths)
    # Binary files have no lines but count as files, as in history import --git.
    lines = [(f.path, f.added or 0, f.removed or 0) for f in files]
    delivery["metrics"] = diff_metrics(lines, [c.subject for c in commits])
    if reading.flags:
        delivery["flags"] = list(reading.flags)
    if reading.breaking:
        delivery["breaking"] = True
    if head.author:
        delivery["author"] = head.author
    if head.date:
        delivery["date"] = head.date
    delivery["source"] = {
        "git": {
            "base": base_sha,
            "head": head.sha,
            "commits": len(commits),
            "binary": sorted(f.path for f in files if f.added is None),
            "renamed": [{"from": old, "to": new} for old, new in renamed],
            "deleted": sorted(f.path for f in files if f.status == "D"),
            "subjects_types": dict(reading.types),
            "breaking": reading.breaking,
            "findings": [dict(f) for f in reading.findings],
        }
    }
    return delivery


def _read(commits: Sequence[_Commit], scale: Scale | None) -> _Reading:
    """What the commits say, by the scale's ``rules.commits`` (the defaults without one)."""
    rules = scale.rules.commits if scale is not None else CommitRules()
    flags = scale.rules.risk.flags if scale is not None else ()
    texts = [
        CommitText(c.short, c.subject, c.body, c.tags, merge=len(c.parents) > 1) for c in commits
    ]
    return read_commits(texts, rules, flags, lambda types: riskiest_type(types, scale))


def _parse_revision(revision: str) -> _Range:
    if not isinstance(revision, str) or not revision.strip() or "\0" in revision:
        raise GitError(f"invalid revision {revision!r}")
    separator = "..." if "..." in revision else ".." if ".." in revision else ""
    if not separator:
        names = [revision]
    else:
        names = [name or "HEAD" for name in revision.split(separator, 1)]
    for name in names:
        if name.startswith("-"):
            # Would be read as an option by git.
            raise GitError(f"unknown revision {name!r}")
    if separator:
        return _Range(names[0], names[1], separator)
    return _Range(None, names[0], "")


def __dir__() -> list[str]:
    return list(__all__)
