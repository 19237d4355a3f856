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
import functools
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from qualscale._cli_base import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    Command,
    err,
    report,
)
from qualscale._signals import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, sigterm_raises
from qualscale._version import __version__
from qualscale.errors import QualscaleError

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "main"]

_EXIT_BROKEN_PIPE = 141  # what a shell reports for a process killed by SIGPIPE

#: Which module defines each subcommand, in the order ``--help`` lists them. A run
#: imports only the module of its command (the others' imports cost start-up time).
_COMMAND_MODULES: dict[str, str] = {
    "plan": "_cli_plan",
    "classify": "_cli_plan",
    "batch": "_cli_plan",
    "verify": "_cli_verify",
    "gate": "_cli_verify",
    "history": "_cli_history",
    "validate": "_cli_scales",
    "scales": "_cli_scales",
    "show": "_cli_scales",
    "convert": "_cli_scales",
    "init": "_cli_init",
    "map": "_cli_map",
    "replay": "_cli_calibrate",
    "calibrate": "_cli_calibrate",
}


def _commands(names: Sequence[str] | None = None) -> tuple[Command, ...]:
    """The subcommands called ``names`` (default: all), importing only their modules."""
    wanted = (
        list(_COMMAND_MODULES) if names is None else [n for n in _COMMAND_MODULES if n in names]
    )
    found: dict[str, Command] = {}
    for module in dict.fromkeys(_COMMAND_MODULES[name] for name in wanted):
        defined: tuple[Command, ...] = importlib.import_module(f"qualscale.{module}").COMMANDS
        found.update((c.name, c) for c in defined)
    return tuple(found[name] for name in wanted)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    with sigterm_raises():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    try:
        try:
            args = _parser(argv).parse_args(argv)
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
        return EXIT_TERMINATED


# ------------------------------------------------------------------ parser


def _columns() -> int:
    # What shutil.get_terminal_size() gives, without importing shutil (and with it bz2,
    # lzma, fnmatch): argparse imports it for every parser made without a width.
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; for a run of one command, only that command's options are set up.

    (Every parser and argument costs a translation look-up and a help formatter; a
    command's help, usage and errors are the same either way.)
    """
    words = sys.argv[1:] if argv is None else argv
    named = next((w for w in words if not w.startswith("-")), None)
    chosen = _commands([named]) if named in _COMMAND_MODULES else _commands()
    # One width for every help formatter, as shutil.get_terminal_size() would give it.
    formatter = functools.partial(argparse.HelpFormatter, width=_columns() - 2)
    parser = argparse.ArgumentParser(
        prog="qualscale",
        formatter_class=formatter,
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
    for command in chosen:
        sub = commands.add_parser(
            command.name,
            help=command.help,
            description=command.description or command.help,
            epilog=command.epilog,
            formatter_class=formatter,
        )
        sub.set_defaults(run=command.run, parser=sub)
        command.arguments(sub)
    return parser


def __dir__() -> list[str]:
    return list(__all__)
