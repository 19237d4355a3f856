"""The files a git repository tracks, read with one ``git`` process (shell, not core)."""

from __future__ import annotations

import os

from qualscale._git_read import _git
from qualscale.errors import GitError

__all__ = ["tracked_files"]


def tracked_files(repo: str | os.PathLike[str] = ".") -> list[str]:
    """The paths ``repo`` tracks (its index; in a bare repository, ``HEAD``'s tree), sorted.

    Raises:
        GitError: ``repo`` is no repository or git fails.
    """
    where = os.fspath(repo)
    if not os.path.isdir(where):
        raise GitError(f"not a git repository: {where} (no such directory)")
    bare = _git(where, "rev-parse", "--is-bare-repository")
    if bare.returncode != 0:
        raise GitError(f"not a git repository: {where}")
    if bare.stdout.strip() == b"true":
        result = _git(where, "ls-tree", "-r", "-z", "--name-only", "HEAD")
    else:
        result = _git(where, "ls-files", "-z")
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git cannot list the files of {where}: {(message or ['?'])[-1]}")
    names = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted(n for n in names if n)


def __dir__() -> list[str]:
    return list(__all__)
