"""``python -m qualscale`` and the ``qualscale`` script: the command line.

The methods attrs generates for qualscale's classes are cached for the whole run,
imports included (see :mod:`qualscale._code_cache`). SIGINT and SIGTERM end the
command with 130 and 143 and one line from the moment :func:`main` runs - during the
imports or the command - never with a traceback; once the command's work is done
(its exit code known, the caches still to write), SIGINT is ignored. This module
imports nothing before :func:`main` runs. What comes before it is Python's to handle:
the interpreter's start-up, and the ``import re`` that pip's ``qualscale`` script does
first.
"""

from __future__ import annotations


def main() -> int:
    """Run the command line with ``sys.argv``; return the exit code.

    The process's entry point: it returns with SIGINT ignored, for the exit.
    """
    try:
        return _run()
    except BaseException as exc:  # an interrupt may land anywhere, imports included
        _ignore_sigint()  # first: a second Ctrl-C must not interrupt the handling
        how = _stopped_by(exc)
        if how is None:
            raise
        return _stopped(how)


def _run() -> int:
    from qualscale._code_cache import attrs_code_cached
    from qualscale._signals import sigterm_raises

    with sigterm_raises(), attrs_code_cached():
        from qualscale.cli import main as run

        code = run()
        _ignore_sigint()  # the work is done: writing the caches keeps the exit code
        return code


def _ignore_sigint() -> None:
    # The built-in module, imported with the interpreter, and no contextlib: nothing here
    # can be interrupted half-way through an import.
    import _signal  # type: ignore[import-not-found]

    try:  # noqa: SIM105
        _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
    except ValueError:  # not the main thread: the signals are not this caller's
        pass


def _stopped_by(exc: BaseException) -> str | None:
    """``"interrupted"`` or ``"terminated"`` if a signal raised ``exc`` or one it came from.

    Python wraps an exception raised in some places (``__set_name__`` of a class being
    made) in another: the signal's is then its cause, or its context unless suppressed
    (``raise ... from None`` says the new exception stands on its own).
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
        if current.__cause__ is not None:
            current = current.__cause__
        else:
            current = None if current.__suppress_context__ else current.__context__
    return None


def _stopped(how: str) -> int:
    import sys

    from qualscale._signals import EXIT_INTERRUPTED, EXIT_TERMINATED

    sys.stderr.write(f"qualscale: {how}\n")
    return EXIT_TERMINATED if how == "terminated" else EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
