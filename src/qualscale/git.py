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

:func:`guess_type` guesses the delivery type from one Conventional Commit subject; the
table is in its docstring. Everything that can go wrong is raised as
:class:`~qualscale.errors.GitError` with a one-line message.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from qualscale._commit_types import RISK_ORDER, guess_type, is_breaking, riskiest_type
from qualscale.errors import GitError

if TYPE_CHECKING:
    from qualscale.scale import Scale

__all__ = ["RISK_ORDER", "guess_type", "read_git_delivery", "riskiest_type"]


# The empty tree, keyed by hash length: SHA-1 and SHA-256 repositories differ, and knowing
# both saves running ``git hash-object -t tree /dev/null`` for every root commit.
_EMPTY_TREE = {
    40: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    64: "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
}

# Config that would change what git prints is pinned; everything else in the user's
# configuration (abbrev length, diff algorithm, safe.directory, ...) is respected.
_GIT_OPTIONS = (
    "--no-pager",
    "-c",
    "core.quotepath=off",
    "-c",
    "color.ui=false",
    "-c",
    "diff.relative=false",
    "-c",
    "log.showSignature=false",
    "-c",
    "i18n.logOutputEncoding=UTF-8",
)

# These would make git read another repository than ``repo`` (they are set inside git hooks).
_SCRUBBED_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE", "GIT_PREFIX")

_UNIT = "\x1f"
_COMMIT_FORMAT = "--format=%H%x1f%h%x1f%P%x1f%s%x1f%b"
_SHALLOW_HINT = "shallow clone: fetch more history (git fetch --unshallow)"

_BAD_REVISION = re.compile(
    r"(?:bad revision|ambiguous argument|unknown revision) '(?P<name>[^']*)'"
)


@attrs.frozen
class _Commit:
    sha: str
    short: str
    parents: tuple[str, ...]
    subject: str
    body: str


@attrs.frozen
class _FileChange:
    status: str
    path: str
    old_path: str | None
    added: int | None  # None for a binary file
    removed: int | None


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
        base_sha = _merge_base(where, spec, base, head) if spec.separator == "..." else base.sha
        commits = [] if base_sha == head.sha else _log(where, base_sha, head.sha)
        if not commits:
            raise GitError(f"range {revision} contains no commits")
        delivery_id = f"{base.short}{spec.separator}{head.short}"

    files = _diff(where, base_sha, head.sha)
    return _delivery(delivery_id, base_sha, head, commits, files, scale)


def _delivery(
    delivery_id: str,
    base_sha: str,
    head: _Commit,
    commits: Sequence[_Commit],
    files: Sequence[_FileChange],
    scale: Scale | None,
) -> dict[str, object]:
    types = Counter(t for t in (guess_type(c.subject) for c in commits) if t is not None)
    more = len(commits) - 1
    title = head.subject
    if more:
        title += f" (+{more} more commit{'s' if more > 1 else ''})"
    renamed = sorted((f.old_path, f.path) for f in files if f.old_path is not None)
    paths = {f.path for f in files} | {old for old, _ in renamed}

    delivery: dict[str, object] = {"id": delivery_id, "title": title}
    if types:
        delivery["type"] = riskiest_type(types, scale)
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
    delivery["source"] = {
        "git": {
            "base": base_sha,
            "head": head.sha,
            "commits": len(commits),
            "binary": sorted(f.path for f in files if f.added is None),
            "renamed": [{"from": old, "to": new} for old, new in renamed],
            "deleted": sorted(f.path for f in files if f.status == "D"),
            "subjects_types": dict(sorted(types.items())),
            "breaking": any(is_breaking(c.subject, c.body) for c in commits),
        }
    }
    return delivery


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


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env["LC_ALL"] = "C"  # error messages are matched below
    return env


def _git(repo: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *_GIT_OPTIONS, *args],
            cwd=repo,
            env=_environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH)") from None
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from None


def _stderr(result: subprocess.CompletedProcess[bytes]) -> str:
    lines = result.stderr.decode("utf-8", "replace").splitlines()
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    message = (fatal or lines or [f"exit status {result.returncode}"])[-1]
    return message.removeprefix("fatal: ").removeprefix("error: ").strip()


def _failure(repo: str, result: subprocess.CompletedProcess[bytes], what: str) -> GitError:
    message = _stderr(result)
    if "not a git repository" in message:
        return GitError(f"not a git repository: {repo}")
    return GitError(f"git {what} failed in {repo}: {message}")


def _is_shallow(repo: str) -> bool:
    result = _git(repo, "rev-parse", "--is-shallow-repository")
    return result.returncode == 0 and result.stdout.strip() == b"true"


def _unknown_revision(repo: str, names: Iterable[str]) -> GitError:
    quoted = ", ".join(repr(n) for n in names)
    if _is_shallow(repo):
        return GitError(f"unknown revision {quoted} in {repo}; {_SHALLOW_HINT}")
    return GitError(f"unknown revision {quoted} in {repo}")


def _parse_commits(stdout: bytes) -> list[_Commit]:
    text = stdout.decode("utf-8", "replace")
    commits = []
    for record in text.split("\0"):
        if not record.strip():
            continue
        fields = record.split(_UNIT, 4)
        if len(fields) != 5:
            raise GitError(f"unexpected git log output: {record[:80]!r}")
        sha, short, parents, subject, body = fields
        commits.append(_Commit(sha.strip(), short, tuple(parents.split()), subject, body))
    return commits


def _resolve(repo: str, names: Sequence[str]) -> list[_Commit]:
    """Resolve *names* to commits, in order; equal commits come back once."""
    # ``^{commit}`` makes a tree or blob name an error; ``--no-walk`` would skip it.
    args = [f"{name}^{{commit}}" for name in names]
    result = _git(repo, "log", "--no-walk=unsorted", "-z", _COMMIT_FORMAT, *args, "--")
    if result.returncode != 0:
        bad = _BAD_REVISION.search(_stderr(result))
        if bad is None:
            raise _failure(repo, result, "log")
        raise _unknown_revision(repo, [bad["name"].removesuffix("^{commit}")])
    commits = _parse_commits(result.stdout)
    if not commits:
        raise _unknown_revision(repo, names)
    return commits


def _refuse_shallow_edge(repo: str, commit: _Commit) -> None:
    """Raise when a commit without parents is the cut edge of a shallow clone."""
    result = _git(repo, "rev-parse", "--is-shallow-repository", "--git-path", "shallow")
    lines = result.stdout.decode("utf-8", "backslashreplace").splitlines()
    if result.returncode != 0 or len(lines) != 2 or lines[0] != "true":
        return
    shallow_file = os.path.join(repo, lines[1])
    try:
        with open(shallow_file, encoding="ascii", errors="replace") as handle:
            edges = {line.strip() for line in handle}
    except OSError:
        edges = {commit.sha}  # cannot tell: a missing parent is the safer reading
    if commit.sha in edges:
        raise GitError(f"parent of {commit.short} is missing in {repo}; {_SHALLOW_HINT}")


def _merge_base(repo: str, spec: _Range, base: _Commit, head: _Commit) -> str:
    result = _git(repo, "merge-base", base.sha, head.sha)
    if result.returncode == 0 and result.stdout.strip():
        return result.stdout.split()[0].decode("ascii")
    if result.returncode == 1:
        hint = f"; {_SHALLOW_HINT}" if _is_shallow(repo) else ""
        raise GitError(f"{spec.base} and {spec.head} have no common ancestor in {repo}{hint}")
    raise _failure(repo, result, "merge-base")


def _log(repo: str, base: str, head: str) -> list[_Commit]:
    result = _git(repo, "log", "-z", _COMMIT_FORMAT, f"{base}..{head}", "--")
    if result.returncode != 0:
        raise _failure(repo, result, "log")
    return _parse_commits(result.stdout)


def _diff(repo: str, base: str, head: str) -> list[_FileChange]:
    result = _git(
        repo,
        "diff",
        "--raw",
        "--numstat",
        "-z",
        "-M",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        base,
        head,
        "--",
    )
    if result.returncode != 0:
        raise _failure(repo, result, "diff")
    try:
        return _parse_diff(result.stdout)
    except (IndexError, ValueError) as exc:
        raise GitError(f"unexpected git diff output in {repo}: {exc}") from None


def _decode_path(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


def _parse_diff(stdout: bytes) -> list[_FileChange]:
    """Parse ``git diff --raw --numstat -z``: all raw records, then all numstat records.

    Raw: ``:mode mode sha sha STATUS\\0path\\0`` (``R``/``C`` add a second path).
    Numstat: ``added\\tremoved\\tpath\\0``, or ``added\\tremoved\\t\\0old\\0new\\0`` for a
    rename; a binary file has ``-`` for both counts. Both list files in the same order.
    """
    tokens = stdout.split(b"\0")
    if tokens[-1] == b"":
        tokens.pop()
    raw: list[tuple[str, str, str | None]] = []
    stats: list[tuple[int | None, int | None, str]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith(b":"):
            status = token.rsplit(b" ", 1)[1][:1].decode("ascii")
            if status in ("R", "C"):
                raw.append((status, _decode_path(tokens[i + 2]), _decode_path(tokens[i + 1])))
                i += 3
            else:
                raw.append((status, _decode_path(tokens[i + 1]), None))
                i += 2
            continue
        added, removed, path = token.split(b"\t", 2)
        if path:
            i += 1
        else:
            path = tokens[i + 2]
            i += 3
        binary = added == b"-"
        stats.append(
            (None if binary else int(added), None if binary else int(removed), _decode_path(path))
        )
    changes = []
    for (status, new_path, old_path), (lines_added, lines_removed, stat_path) in zip(
        raw, stats, strict=True
    ):
        if new_path != stat_path:
            raise ValueError(f"raw and numstat records disagree on {new_path!r}")
        changes.append(_FileChange(status, new_path, old_path, lines_added, lines_removed))
    return changes


def __dir__() -> list[str]:
    return list(__all__)
