"""SIGTERM as an exception, so that a terminated command cleans up as an interrupted one.

Python turns SIGINT into :class:`KeyboardInterrupt`, which unwinds the stack and runs
every ``finally`` and ``except BaseException`` on the way (the atomic writer removes
its temporary file there); SIGTERM's default action kills the process on the spot.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

try:  # the C module alone: signal's import builds enums of every signal (a millisecond)
    import _signal as signal  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - other Pythons
    import signal

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_TERMINATED",
    "Terminated",
    "sigterm_raises",
]

#: The exit codes a shell reports for a process killed by SIGINT and by SIGTERM.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(BaseException):
    """SIGTERM arrived."""


def _raise(signum: int, frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`Terminated`; the caller's handler after it.

    Only the main thread may set a handler: elsewhere the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
