"""A cache of loaded scales: a command does not parse and check an unchanged scale again.

Reading, structuring and checking a scale is most of what a small ``qualscale plan``
does. The loaded :class:`~qualscale.scale.Scale` is kept, pickled, in
``$QUALSCALE_CACHE_DIR``, else ``$XDG_CACHE_HOME/qualscale``, else
``~/.cache/qualscale`` (``QUALSCALE_CACHE_DIR=off`` turns the cache off). An entry is
named after the scale file's resolved path, the qualscale version, the Python
version and the size and modification time of qualscale's own modules (a changed
model must not unpickle an old one: an editable install changes without a new
version), and records the SHA-256 of every file the scale was built from (the file,
its ``extends`` chain, its gates files): it is used only when all of them still have
that content. An entry that cannot be read, does not unpickle, or holds anything but
a scale of this version is ignored and replaced; entries are written atomically, and
a cache that cannot be written is silently skipped. The cache directory is made
private (mode 0700) and entries 0600: unpickling runs code, so only the user may
write there. The cache stays small: writing an entry first removes the least recently
used ones beyond :data:`MAX_ENTRIES` (an entry used is touched, at most once a day).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from qualscale._version import __version__

if TYPE_CHECKING:  # the model is imported when an entry is read: the code cache needs none
    from qualscale.scale import Scale

__all__ = [
    "MAX_ENTRIES",
    "cache_dir",
    "cached_scale",
    "code_stamp",
    "evict",
    "note_read",
    "private_dir",
    "read_private",
]

#: The most entries of one kind (scales, compiled templates) the cache keeps.
MAX_ENTRIES = 64
#: An entry used is touched when its last touch is older than this (seconds).
_TOUCH_AFTER = 86400.0
_FORMAT = 1
_Name = str | os.PathLike[str]
_ABSENT = "absent"
#: The files read while a scale is loaded (their paths and contents' digests).
_READS: contextvars.ContextVar[list[tuple[str, str]] | None] = contextvars.ContextVar(
    "qualscale_scale_reads", default=None
)


def _sha256(data: bytes) -> str:
    try:  # the built-in module: hashlib's import starts OpenSSL, which costs more
        from _sha256 import sha256  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - other Pythons
        from hashlib import sha256
    digest: str = sha256(data).hexdigest()
    return digest


def note_read(name: str | os.PathLike[str], raw: bytes | None) -> None:
    """Record that ``raw`` was read from ``name`` (``None``: looked for, not there)."""
    reads = _READS.get()
    if reads is not None:
        reads.append((os.path.abspath(name), _ABSENT if raw is None else _sha256(raw)))


def _digest_now(name: str) -> str:
    try:
        with open(name, "rb") as stream:
            return _sha256(stream.read())
    except FileNotFoundError:
        return _ABSENT


def cache_dir() -> str | None:
    """Where entries are kept, or ``None`` when the cache is turned off."""
    chosen = os.environ.get("QUALSCALE_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no") else chosen
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "qualscale")
    home = os.path.expanduser("~")
    return None if home == "~" else os.path.join(home, ".cache", "qualscale")


def private_dir(folder: str | os.PathLike[str]) -> bool:
    """Make ``folder`` (mode 0700) if missing; whether only this user can write in it."""
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        return _private(os.stat(folder))
    except OSError:
        return False


def read_private(path: str | os.PathLike[str]) -> bytes | None:
    """The content of ``path`` if only this user can have written it, else ``None``.

    A file read is marked as used (see :func:`touch`).
    """
    try:
        with open(path, "rb") as stream:
            info = os.fstat(stream.fileno())
            if not _private(info):
                return None
            data = stream.read()
    except OSError:
        return None
    touch(path, info)
    return data


def cached_scale(path: _Name, load: Callable[[_Name], Scale]) -> Scale:
    """The scale ``load(path)`` gives, from the cache when its files are unchanged."""
    folder = cache_dir()
    if folder is None:
        return load(path)
    entry = os.path.join(folder, f"{_key(path)}.pickle")
    found = _read_entry(entry)
    if found is not None:
        return found
    reads: list[tuple[str, str]] = []
    token = _READS.set(reads)
    try:
        scale = load(path)
    finally:
        _READS.reset(token)
    _write_entry(folder, entry, reads, scale)
    return scale


def _key(path: str | os.PathLike[str]) -> str:
    code = code_stamp(os.path.dirname(__file__))
    where = f"{_FORMAT}\0{__version__}\0{sys.version}\0{code}\0{os.path.realpath(path)}"
    return _sha256(where.encode("utf-8", "surrogateescape"))


def code_stamp(package: str) -> str:
    """The name, size and modification time of every module in ``package``, as one text."""
    try:
        with os.scandir(package) as entries:
            found = sorted(
                f"{e.name}:{e.stat().st_size}:{e.stat().st_mtime_ns}"
                for e in entries
                if e.name.endswith(".py")
            )
    except OSError:
        return "unknown"
    return ";".join(found)


def _read_entry(entry: str | os.PathLike[str]) -> Scale | None:
    try:  # the C unpickler alone: the pickle module imports more than it needs here
        from _pickle import load
    except ImportError:  # pragma: no cover - other Pythons
        from pickle import load

    from qualscale.scale import Scale

    try:
        with open(entry, "rb") as stream:
            info = os.fstat(stream.fileno())
            if not _private(info):
                return None
            fmt, version, reads, scale, sha256 = load(stream)
        if (fmt, version) != (_FORMAT, __version__) or not isinstance(scale, Scale):
            return None
        if not reads or any(_digest_now(name) != digest for name, digest in reads):
            return None
        # The digest of the scale's canonical JSON is computed once, kept with it.
        object.__setattr__(scale, "sha256", sha256)
        touch(entry, info)
    except Exception:
        return None
    return scale


def touch(entry: _Name, info: os.stat_result) -> None:
    """Mark ``entry`` as used (its modification time), at most once a day: eviction reads it."""
    import time

    if time.time() - info.st_mtime > _TOUCH_AFTER:
        with contextlib.suppress(OSError):
            os.utime(entry)


def evict(folder: _Name, suffix: str, keep: int = MAX_ENTRIES) -> None:
    """Remove the least recently used files ending in ``suffix`` so that one more fits."""
    try:
        with os.scandir(folder) as found:
            entries = sorted(
                (e.stat().st_mtime, e.path)
                for e in found
                if e.name.endswith(suffix) and e.is_file(follow_symlinks=False)
            )
    except OSError:
        return
    for _, path in entries[: max(0, len(entries) - keep + 1)]:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _private(info: os.stat_result) -> bool:
    # Written by this user and by nobody else: only then is unpickling it safe.
    getuid = getattr(os, "getuid", None)
    return (getuid is None or info.st_uid == getuid()) and not info.st_mode & 0o022


def _write_entry(folder: str, entry: str, reads: list[tuple[str, str]], scale: Scale) -> None:
    import pickle

    from qualscale._files import write_bytes

    if not reads:
        return
    try:
        data = pickle.dumps(
            (_FORMAT, __version__, reads, scale, scale.sha256), protocol=pickle.HIGHEST_PROTOCOL
        )
        if private_dir(folder):
            evict(folder, ".pickle")
            write_bytes(entry, data, mode=0o600, durable=False)
    except Exception:
        return
