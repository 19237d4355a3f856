"""The git plumbing of :mod:`qualscale.git`: running git, parsing its log and diff output.

Shell module: runs ``git`` in a subprocess with a pinned, scrubbed configuration.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence

import attrs

from qualscale.errors import GitError

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
# Hashes, parents, author, committer date, ref names (for tags), subject, body.
_FIELDS = "%H%x1f%h%x1f%P%x1f%an <%ae>%x1f%cI%x1f%D%x1f%s%x1f%b"
_COMMIT_FORMAT = f"--format={_FIELDS}"
# The bulk log starts each commit with \x01 (after the NUL ending the previous one).
_BULK_FORMAT = f"--format=%x01{_FIELDS}"
_RECORD = re.compile(rb"(?:^|\0)\x01")
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
    author: str = ""
    date: str = ""
    tags: tuple[str, ...] = ()


@attrs.frozen
class _FileChange:
    status: str
    path: str
    old_path: str | None
    added: int | None  # None for a binary file
    removed: int | None


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


def _parse_commit(record: str) -> _Commit:
    fields = record.split(_UNIT, 7)
    if len(fields) != 8:
        raise GitError(f"unexpected git log output: {record[:80]!r}")
    sha, short, parents, author, date, refs, subject, body = fields
    tags = tuple(ref.removeprefix("tag: ") for ref in refs.split(", ") if ref.startswith("tag: "))
    return _Commit(sha.strip(), short, tuple(parents.split()), subject, body, author, date, tags)


def _parse_commits(stdout: bytes) -> list[_Commit]:
    text = stdout.decode("utf-8", "replace")
    return [_parse_commit(record) for record in text.split("\0") if record.strip()]


def _parse_bulk_records(records: Iterable[bytes]) -> Iterator[tuple[_Commit, list[_FileChange]]]:
    """Parse whole records of ``git log -z --raw --numstat`` with :data:`_BULK_FORMAT`."""
    for record in records:
        if not record:
            continue
        head, _, diff = record.partition(b"\0")
        commit = _parse_commit(head.decode("utf-8", "replace"))
        try:
            files = _parse_diff(diff.lstrip(b"\n"))
        except (IndexError, ValueError) as exc:
            raise GitError(f"unexpected git log output at {commit.short}: {exc}") from None
        yield commit, files


_Failed = Callable[[], "subprocess.CompletedProcess[bytes] | None"]


@contextlib.contextmanager
def _stream(repo: str, args: list[str]) -> Iterator[tuple[Iterator[bytes], _Failed]]:
    """Run git, giving its output in chunks as it comes, then how it failed (or ``None``).

    The process is killed when the reader stops early.
    """
    # A file for stderr never fills up and blocks git, as an unread pipe could.
    with tempfile.TemporaryFile() as stderr:
        try:
            process = subprocess.Popen(
                ["git", *_GIT_OPTIONS, *args],
                cwd=repo,
                env=_environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
            )
        except FileNotFoundError:
            raise GitError("git is not installed (or not on PATH)") from None
        except OSError as exc:
            raise GitError(f"cannot run git: {exc}") from None
        assert process.stdout is not None
        out = process.stdout

        def chunks() -> Iterator[bytes]:
            while chunk := os.read(out.fileno(), 1 << 16):
                yield chunk

        def failed() -> subprocess.CompletedProcess[bytes] | None:
            code = process.wait()
            if code == 0:
                return None
            stderr.seek(0)
            return subprocess.CompletedProcess(args, code, b"", stderr.read(1 << 20))

        try:
            yield chunks(), failed
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            out.close()


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


def _merge_base(repo: str, names: tuple[str, str], base: _Commit, head: _Commit) -> str:
    result = _git(repo, "merge-base", base.sha, head.sha)
    if result.returncode == 0 and result.stdout.strip():
        return result.stdout.split()[0].decode("ascii")
    if result.returncode == 1:
        hint = f"; {_SHALLOW_HINT}" if _is_shallow(repo) else ""
        raise GitError(f"{names[0]} and {names[1]} have no common ancestor in {repo}{hint}")
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
