"""What every ``qualscale`` command shares: its table entry, common options, output.

Command modules (``_cli_*``) build on this; :mod:`qualscale.cli` assembles them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

import attrs

from qualscale._files import write_text
from qualscale.errors import QualscaleError, RenderError, UsageError, ValidationError

EXIT_OK = 0
#: Reserved for a failed verdict (evidence misses a required test).
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


@attrs.frozen
class Command:
    """A subcommand: its name, what runs it, its help, and what adds its arguments."""

    name: str
    run: Callable[[argparse.Namespace], int]
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    description: str | None = None
    epilog: str | None = None


def delivery_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "delivery",
        nargs="?",
        metavar="DELIVERY",
        help=(
            "a delivery file (YAML or JSON), or '-' for one on standard input; with --git,"
            " its keys are merged over what git found"
        ),
    )
    sub.add_argument(
        "--git",
        metavar="RANGE",
        help="read the delivery from git: REV, BASE..HEAD or BASE...HEAD",
    )
    sub.add_argument("--repo", metavar="DIR", default=".", help="the git repository (default: .)")


def scale_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--scale",
        metavar="NAME|PATH",
        help="a bundled scale name or a scale file (default: billing-saas)",
    )
    sub.add_argument(
        "--history",
        metavar="PATH|URL",
        help=(
            "the project's past deliveries: a history store (SQLite .db file or "
            "postgresql:// URL), a JSON Lines export, or a YAML/JSON history file "
            "(default: $QUALSCALE_HISTORY)"
        ),
    )


def record_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--record",
        action="store_true",
        help=(
            "store the decision in the history store (--history, else $QUALSCALE_HISTORY, "
            "else .qualscale/history.db)"
        ),
    )


def output_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout"
    )


def no_arguments(sub: argparse.ArgumentParser) -> None:
    pass


def emit(text: str, output: str | None) -> int:
    if output is None or output == "-":
        out(text)
    else:
        write(output, text)
    return EXIT_OK


def write(path: str | os.PathLike[str], text: str) -> None:
    try:
        write_text(path, text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def out(text: str) -> None:
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:  # a console that cannot show every character
        encoding = sys.stdout.encoding or "ascii"
        sys.stdout.write(text.encode(encoding, "replace").decode(encoding))


def err(line: str) -> None:
    """``line`` on standard error, control characters and bidi marks escaped."""
    from qualscale._text import visible

    line = visible(line)
    stream = sys.stderr
    encoding = getattr(stream, "encoding", None) or "utf-8"
    stream.write(line.encode(encoding, "replace").decode(encoding) + "\n")
    stream.flush()


def report(exc: QualscaleError) -> None:
    """One line per problem on stderr; ``qualscale:`` before those without a place."""
    if isinstance(exc, ValidationError):
        for p in exc.problems:
            if p.file is None and p.line is None:
                where = f"{p.key}: " if p.path else ""
                err(f"qualscale: {where}{p.message}")
            else:
                err(str(p))
    elif isinstance(exc, RenderError):
        for line in str(exc).splitlines() or [""]:
            err(line)  # it names the template file and line
    else:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            err(f"qualscale: {line}")
