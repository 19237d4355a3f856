"""Writing files: atomically (a reader sees the old file or the new one, never half of one),
under names that are safe on every platform."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qualscale.errors import ValidationError

__all__ = ["file_stem", "read_limited", "write_bytes", "write_text"]


def read_limited(path: str | os.PathLike[str], limit: int, error: type[ValidationError]) -> bytes:
    """At most ``limit + 1`` bytes of ``path`` (so a caller can tell it is too large).

    Raises:
        ``error``: the file is missing, a directory, unreadable, or its name is not valid.
    """
    name = os.fspath(path)
    try:
        with open(path, "rb") as stream:
            return stream.read(limit + 1)
    except FileNotFoundError:
        raise error.single("file not found", file=name) from None
    except IsADirectoryError:
        raise error.single("expected a file, found a directory", file=name) from None
    except OSError as exc:
        raise error.single(f"cannot read: {exc.strerror}", file=name) from None
    except ValueError:  # a NUL character in the name
        raise error.single("cannot read: not a valid file name", file=name) from None


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
    write_bytes(path, text.encode(encoding))


def write_bytes(
    path: str | os.PathLike[str], data: bytes, mode: int | None = None, *, durable: bool = True
) -> None:
    """Write ``data`` to ``path`` atomically, as :func:`write_text` does; ``mode`` if given.

    ``durable=False`` skips the ``fsync`` (for caches: after a crash, a reader may find
    the file empty or cut short, never a mix of old and new).

    No temporary file survives an exception, SIGINT (``KeyboardInterrupt``) or SIGTERM
    (raised as an exception by the CLI) arriving at any point, the instant after the
    temporary file is created included: its name is chosen before it exists.
    """
    # Through symlinks to the real file: replacing the link would leave its target stale.
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        keep = _default_mode()
    else:
        if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
            # A device or a pipe (/dev/stdout, a FIFO): it cannot be replaced, only written.
            with open(target, "wb") as stream:
                stream.write(data)
            return
        keep = stat.S_IMODE(info.st_mode)
    while True:
        temp = os.path.join(folder, f".{os.path.basename(target)}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o600)
        except FileExistsError:  # someone else's file: never touch it
            continue
        except BaseException:  # a signal the instant after creating it, or no such folder
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        break
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        os.chmod(temp, keep if mode is None else mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


_O_BINARY: int = getattr(os, "O_BINARY", 0)

_UNSAFE = r"[^A-Za-z0-9._-]+"  # compiled on first use
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(10)}


def file_stem(delivery_id: str) -> str:
    """A file name made from a delivery id: safe on every platform, never a path."""
    ascii_id = unicodedata.normalize("NFKD", delivery_id).encode("ascii", "ignore").decode()
    stem = re.sub(r"\.{2,}", ".", re.sub(_UNSAFE, "-", ascii_id)).strip(".-")
    stem = stem[:100].rstrip(".-") or "delivery"
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    return stem
