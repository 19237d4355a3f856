"""The ``qualscale`` command line.

::

    qualscale plan [DELIVERY] [--git RANGE] [--repo DIR] [--scale NAME|PATH] [--history FILE]
                   [--type T] [--flag F]... [--component C]... [--id ID] [--title TEXT]
                   [--format markdown|text|html|json|yaml | --template PATH] [-o FILE]
    qualscale classify [DELIVERY] [--git RANGE] [--repo DIR] [--scale] [--history]
                   [corrections] [--format text|json] [-o FILE]
    qualscale validate [--scale NAME|PATH] FILE...
    qualscale scales
    qualscale show SCALE [--format markdown|html|text] [-o FILE]
    qualscale batch DIR|FILE|-... [--scale] [--history] [corrections]
                   [--output-dir DIR [--format ... | --template PATH]]
    qualscale convert OLD [-o NEW]
    qualscale verify (DELIVERY | --git RANGE | --plan PLAN.json) [--junit FILE...]
                   [--report FILE...] [--signoffs FILE...] [--environment ENV] [--gate GATE]
                   [--today DATE] [--format text|markdown|json] [-o FILE]
    qualscale gate GATE (DELIVERY | --git RANGE | --plan PLAN.json) [same evidence options]
                   [--record FILE]
    qualscale init [--repo DIR] [--base SCALE] [-o FILE]
    qualscale map [--scale] [--repo DIR] (--git RANGE | --all-files | PATH...) [--format text|json]

``DELIVERY`` is a YAML or JSON file, or ``-`` for one on standard input. Exit codes:
0 ok, 2 bad input or usage, 1 reserved for failed verdicts, 130 interrupted (SIGINT),
143 terminated (SIGTERM); no temporary file is left behind by either. Every
problem is one line on standard error, ``file:line: $.key.path: message`` when it has
a place; no traceback. Files given with ``-o`` and ``--output-dir`` are written
atomically.

The renderers (and so jinja2) are imported only by the commands that render.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from qualscale import (
    _cli_calibrate,
    _cli_history,
    _cli_init,
    _cli_map,
    _cli_plan,
    _cli_scales,
    _cli_verify,
)
from qualscale._cli_base import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Command,
    err,
    report,
)
from qualscale._signals import Terminated, sigterm_raises
from qualscale._version import __version__
from qualscale.errors import QualscaleError

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "main"]

_EXIT_BROKEN_PIPE = 141  # what a shell reports for a process killed by SIGPIPE
_EXIT_TERMINATED = 143  # what a shell reports for a process killed by SIGTERM

#: Every subcommand, in the order ``--help`` lists them.
COMMANDS: tuple[Command, ...] = (
    *_cli_plan.COMMANDS,
    *_cli_verify.COMMANDS,
    *_cli_history.COMMANDS,
    *_cli_scales.COMMANDS,
    *_cli_init.COMMANDS,
    *_cli_map.COMMANDS,
    *_cli_calibrate.COMMANDS,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    with sigterm_raises():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    try:
        try:
            args = _parser().parse_args(argv)
        except SystemExit as exc:  # --help, --version and usage errors
            return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
        run: Callable[[argparse.Namespace], int] = args.run
        try:
            code = run(args)
        except SystemExit as exc:  # a usage error found after parsing
            return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
        sys.stdout.flush()
        return code
    except QualscaleError as exc:
        report(exc)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader went away (``| head``). Point stdout at devnull so that the
        # interpreter's final flush does not fail again with a traceback.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return _EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        err("qualscale: interrupted")
        return EXIT_INTERRUPTED
    except Terminated:
        err("qualscale: terminated")
        return _EXIT_TERMINATED


# ------------------------------------------------------------------ parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qualscale",
        description=(
            "Pick the quality standard every delivery needs: which tests, how deep, "
            "where and when - with a rationale."
        ),
        epilog=(
            "exit codes: 0 ok, 2 bad input or usage, 1 a verdict failed, 130 interrupted, "
            "143 terminated. "
            "Run 'qualscale COMMAND --help' for the options of a command."
        ),
    )
    parser.add_argument("--version", action="version", version=f"qualscale {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        sub = commands.add_parser(
            command.name,
            help=command.help,
            description=command.description or command.help,
            epilog=command.epilog,
        )
        sub.set_defaults(run=command.run, parser=sub)
        command.arguments(sub)
    return parser


def __dir__() -> list[str]:
    return list(__all__)
