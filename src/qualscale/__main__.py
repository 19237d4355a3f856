"""``python -m qualscale`` and the ``qualscale`` script: the command line.

The methods attrs generates for qualscale's classes are cached for the whole run,
imports included (see :mod:`qualscale._code_cache`). SIGINT and SIGTERM end the
command with 130 and 143 and one line from the moment :func:`main` runs - during the
imports, the command, or the cache written after it - never with a traceback; after
the command's end, SIGINT is ignored (only the exit is left to do). This module imports
nothing before :func:`main` runs. What comes before it is Python's to handle: the
interpreter's start-up, and the ``import re`` that pip's ``qualscale`` script does first.
"""

from __future__ import annotations


def main() -> int:
    """Run the command line with ``sys.argv``; return the exit code."""
    try:
        code = _run()
    except BaseException as exc:  # an interrupt may land anywhere, imports included
        how = _stopped_by(exc)
        if how is None:
            raise
        code = _stopped(how)
    from qualscale._signals import ignore_interrupts

    ignore_interrupts()
    return code


def _run() -> int:
    from qualscale._code_cache import attrs_code_cached
    from qualscale._signals import sigterm_raises

    with sigterm_raises(), attrs_code_cached():
        from qualscale.cli import main as run

        return run()


def _stopped_by(exc: BaseException) -> str | None:
    """``"interrupted"`` or ``"terminated"`` if a signal raised ``exc`` or one it came from.

    Python wraps an exception raised in some places (``__set_name__`` of a class being
    made) in another: the signal's is then in the chain.
    """
    from qualscale._signals import Terminated

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return "interrupted"
        if isinstance(current, Terminated):
            return "terminated"
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _stopped(how: str) -> int:
    import sys

    from qualscale._signals import EXIT_INTERRUPTED, EXIT_TERMINATED, ignore_interrupts

    ignore_interrupts()  # a second Ctrl-C while saying so changes nothing
    sys.stderr.write(f"qualscale: {how}\n")
    return EXIT_TERMINATED if how == "terminated" else EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
