"""The files a git repository tracks, read with one ``git`` process (shell, not core)."""

from __future__ import annotations

import os
import subprocess

from qualscale.errors import GitError

__all__ = ["tracked_files"]

_SCRUBBED_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE", "GIT_PREFIX")


def _run(repo: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    # As qualscale.git does: a hook's GIT_DIR must not point the command elsewhere.
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env["LC_ALL"] = "C"
    try:
        return subprocess.run(
            ["git", "-c", "core.quotePath=false", *args],
            cwd=repo,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH)") from None
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from None


def tracked_files(repo: str | os.PathLike[str] = ".") -> list[str]:
    """The paths ``repo`` tracks (its index; in a bare repository, ``HEAD``'s tree), sorted.

    Raises:
        GitError: ``repo`` is no repository or git fails.
    """
    where = os.fspath(repo)
    if not os.path.isdir(where):
        raise GitError(f"not a git repository: {where} (no such directory)")
    bare = _run(where, "rev-parse", "--is-bare-repository")
    if bare.returncode != 0:
        raise GitError(f"not a git repository: {where}")
    if bare.stdout.strip() == b"true":
        result = _run(where, "ls-tree", "-r", "-z", "--name-only", "HEAD")
    else:
        result = _run(where, "ls-files", "-z")
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git cannot list the files of {where}: {(message or ['?'])[-1]}")
    names = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted(n for n in names if n)


def __dir__() -> list[str]:
    return list(__all__)
