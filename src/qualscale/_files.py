"""Writing files: atomically (a reader sees the old file or the new one, never half of one),
under names that are safe on every platform."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
import tempfile
import unicodedata

__all__ = ["file_stem", "write_text"]


@functools.cache
def _default_mode() -> int:
    # The mode a plain open() would give a new file; mkstemp makes files 0600.
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    The file keeps the mode of the file it replaces (a new one gets the usual mode).
    Newlines are written as ``\\n`` on every platform.

    Raises:
        OSError: the folder is missing or not writable, ``path`` is a directory, ...;
            no temporary file is left behind.
    """
    # Through symlinks to the real file: replacing the link would leave its target stale.
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        mode = _default_mode()
    else:
        if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
            # A device or a pipe (/dev/stdout, a FIFO): it cannot be replaced, only written.
            with open(target, "w", encoding=encoding, newline="") as stream:
                stream.write(text)
            return
        mode = stat.S_IMODE(info.st_mode)
    fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(10)}


def file_stem(delivery_id: str) -> str:
    """A file name made from a delivery id: safe on every platform, never a path."""
    ascii_id = unicodedata.normalize("NFKD", delivery_id).encode("ascii", "ignore").decode()
    stem = re.sub(r"\.{2,}", ".", _UNSAFE.sub("-", ascii_id)).strip(".-")
    stem = stem[:100].rstrip(".-") or "delivery"
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    return stem
