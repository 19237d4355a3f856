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
write there.
"""

from __future__ import annotations

import contextvars
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from qualscale._version import __version__

if TYPE_CHECKING:  # the model is imported when an entry is read: the code cache needs none
    from qualscale.scale import Scale

__all__ = [
    "cache_dir",
    "cached_scale",
    "code_stamp",
    "note_read",
    "private_dir",
    "read_private",
]

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
    """The content of ``path`` if only this user can have written it, else ``None``."""
    try:
        with open(path, "rb") as stream:
            return stream.read() if _private(os.fstat(stream.fileno())) else None
    except OSError:
        return None


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
            if not _private(os.fstat(stream.fileno())):
                return None
            fmt, version, reads, scale, sha256 = load(stream)
        if (fmt, version) != (_FORMAT, __version__) or not isinstance(scale, Scale):
            return None
        if not reads or any(_digest_now(name) != digest for name, digest in reads):
            return None
        # The digest of the scale's canonical JSON is computed once, kept with it.
        object.__setattr__(scale, "sha256", sha256)
    except Exception:
        return None
    return scale


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
            write_bytes(entry, data, mode=0o600, durable=False)
    except Exception:
        return
