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
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from qualscale._convert_scale import DESCRIPTION as CONVERT_DESCRIPTION
from qualscale._convert_scale import convert_file
from qualscale._corrections import corrected, correction_options
from qualscale._files import file_stem, write_text
from qualscale._reports import classification_text
from qualscale._signals import Terminated, sigterm_raises
from qualscale._sources import (
    Source,
    batch_sources,
    delivery_source,
    plan_source,
    scale_and_history,
    validate_file,
)
from qualscale._text import count, hang
from qualscale._version import __version__
from qualscale.classification import classify
from qualscale.errors import (
    DeliveryError,
    QualscaleError,
    RenderError,
    ScaleError,
    UsageError,
    ValidationError,
)
from qualscale.loading import bundled_scales, load_scale
from qualscale.planning import TestPlan
from qualscale.render import FORMATS, SCALE_FORMATS, output_suffix
from qualscale.scale import Scale

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "main"]

EXIT_OK = 0
#: Reserved for a failed verdict (evidence misses a required test).
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
_EXIT_BROKEN_PIPE = 141  # what a shell reports for a process killed by SIGPIPE
_EXIT_TERMINATED = 143  # what a shell reports for a process killed by SIGTERM


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
        _report(exc)
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
        _err("qualscale: interrupted")
        return EXIT_INTERRUPTED
    except Terminated:
        _err("qualscale: terminated")
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
    for command in _COMMANDS:
        sub = commands.add_parser(
            command.name,
            help=command.help,
            description=command.description or command.help,
            epilog=command.epilog,
        )
        sub.set_defaults(run=command.run, parser=sub)
        command.arguments(sub)
    return parser


@attrs.frozen
class _Command:
    """A subcommand: its name, what runs it, its help, and what adds its arguments."""

    name: str
    run: Callable[[argparse.Namespace], int]
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    description: str | None = None
    epilog: str | None = None


def _plan_arguments(sub: argparse.ArgumentParser) -> None:
    _delivery_options(sub)
    _scale_options(sub)
    correction_options(sub)
    style = sub.add_mutually_exclusive_group()
    style.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    style.add_argument(
        "--template", metavar="PATH", help="render with this Jinja2 template instead"
    )
    _output_option(sub)


def _classify_arguments(sub: argparse.ArgumentParser) -> None:
    _delivery_options(sub)
    _scale_options(sub)
    correction_options(sub)
    sub.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    _output_option(sub)


def _validate_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("files", nargs="+", metavar="FILE", help="YAML or JSON files")
    sub.add_argument(
        "--scale",
        metavar="NAME|PATH",
        help="also check that deliveries name only flags and components this scale knows",
    )


def _show_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("scale", metavar="SCALE", help="a bundled scale name or a path")
    sub.add_argument(
        "--format", choices=SCALE_FORMATS, default="text", help="output format (default: text)"
    )
    _output_option(sub)


def _batch_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "inputs",
        nargs="+",
        metavar="DIR|FILE|-",
        help=(
            "delivery files, folders (their *.yaml, *.yml and *.json files), or '-' for "
            "JSON Lines of deliveries on standard input"
        ),
    )
    _scale_options(sub)
    correction_options(sub)
    sub.add_argument(
        "--output-dir", metavar="DIR", help="write one file per delivery, named after its id"
    )
    style = sub.add_mutually_exclusive_group()
    style.add_argument("--format", choices=FORMATS, help="format of the files (default: json)")
    style.add_argument("--template", metavar="PATH", help="render the files with this template")


def _convert_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("old", metavar="OLD", help="a scale file in the 0.1 format (YAML or JSON)")
    _output_option(sub)


def _delivery_options(sub: argparse.ArgumentParser) -> None:
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


def _scale_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--scale",
        metavar="NAME|PATH",
        help="a bundled scale name or a scale file (default: billing-saas)",
    )
    sub.add_argument(
        "--history", metavar="FILE", help="the project's past deliveries (YAML or JSON)"
    )


def _output_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout"
    )


# ----------------------------------------------------------------- commands


def _cmd_plan(args: argparse.Namespace) -> int:
    scale, history = scale_and_history(args)
    source = _corrected(delivery_source(args, scale), args, scale)
    the_plan = plan_source(source, scale, history)
    return _emit(_render(the_plan, scale, args.format, args.template), args.output)


def _cmd_classify(args: argparse.Namespace) -> int:
    scale, history = scale_and_history(args)
    source = _corrected(delivery_source(args, scale), args, scale)
    try:
        result = classify(source.delivery, scale, history)
    except DeliveryError as exc:
        raise source.relocate(exc) from None
    if args.format == "json":
        text = json.dumps(
            {"delivery": source.delivery.id, **result.to_dict()}, indent=2, ensure_ascii=False
        )
        return _emit(text + "\n", args.output)
    return _emit(classification_text(source.delivery, result, scale), args.output)


def _cmd_validate(args: argparse.Namespace) -> int:
    scale = load_scale(args.scale) if args.scale else None
    bad = False
    for name in args.files:
        try:
            what = validate_file(name, scale)
        except ValidationError as exc:
            _report(exc)
            bad = True
            continue
        _out(f"ok: {name} ({what})\n")
    return EXIT_BAD_INPUT if bad else EXIT_OK


def _cmd_scales(args: argparse.Namespace) -> int:
    rows: list[tuple[str, str, str]] = []
    bad = False
    for name in bundled_scales():
        try:
            scale = load_scale(name)
        except ScaleError as exc:
            _report(exc)
            bad = True
            continue
        rows.append((name, scale.version, scale.description))
    if rows:
        name_w = max(len(r[0]) for r in rows)
        version_w = max(len(r[1]) for r in rows)
        for name, version, description in rows:
            head = f"{name.ljust(name_w)}  {version.ljust(version_w)}  "
            _out(hang(description, head, " " * len(head)) + "\n")
    return EXIT_BAD_INPUT if bad else EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    scale = load_scale(args.scale)
    from qualscale.render import render_scale

    return _emit(render_scale(scale, args.format), args.output)


def _cmd_batch(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.parser
    if args.output_dir is None and (args.template or args.format not in (None, "json")):
        parser.error("--format and --template need --output-dir (without it: JSON Lines)")
    if args.inputs.count("-") > 1:
        parser.error("'-' (standard input) can be given once")
    scale, history = scale_and_history(args)
    fmt: str = args.format or "json"
    out_dir = Path(args.output_dir) if args.output_dir is not None else None
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
        suffix = output_suffix(fmt, args.template)
    written: dict[str, str] = {}
    bad = planned = 0
    for source in batch_sources(args.inputs):
        try:
            if isinstance(source, QualscaleError):
                raise source
            source = _corrected(source, args, scale)
            the_plan = plan_source(source, scale, history)
            if out_dir is None:
                line = json.dumps(the_plan.to_dict(), ensure_ascii=False, separators=(",", ":"))
                _out(line + "\n")
            else:
                name = file_stem(the_plan.delivery.id) + suffix
                other = written.get(name.lower())
                if other is not None:
                    raise source.relocate(
                        DeliveryError.single(
                            f"delivery id {the_plan.delivery.id!r} gives the same file name "
                            f"{name!r} as {other}",
                            path=("id",),
                        )
                    )
                text = _render(the_plan, scale, fmt, args.template)
                _write(out_dir / name, text)
                written[name.lower()] = source.name
            planned += 1
        except RenderError:
            raise  # the template is broken: every delivery would fail the same way
        except QualscaleError as exc:
            _report(exc)
            bad += 1
    if out_dir is not None:
        summary = f"qualscale: {count(planned, 'plan')} written to {out_dir}"
        _err(summary + (f"; {count(bad, 'delivery', 'deliveries')} failed" if bad else ""))
    elif planned + bad == 0:
        _err("qualscale: no deliveries given")
        return EXIT_BAD_INPUT
    return EXIT_BAD_INPUT if bad else EXIT_OK


def _corrected(source: Source, args: argparse.Namespace, scale: Scale) -> Source:
    return attrs.evolve(source, delivery=corrected(source.delivery, args, scale))


def _cmd_convert(args: argparse.Namespace) -> int:
    return _emit(convert_file(args.old), args.output)


def _no_arguments(sub: argparse.ArgumentParser) -> None:
    pass


_COMMANDS = (
    _Command(
        "plan",
        _cmd_plan,
        "Classify a delivery and print its test plan.",
        _plan_arguments,
        epilog=(
            "examples: qualscale plan delivery.yaml --format markdown; "
            "qualscale plan --git origin/main..HEAD --format json -o plan.json"
        ),
    ),
    _Command(
        "classify",
        _cmd_classify,
        "Print a delivery's standard, size, risk and why.",
        _classify_arguments,
    ),
    _Command(
        "validate",
        _cmd_validate,
        "Check scale, gates, delivery and history files; print 'ok: FILE (...)' for good ones.",
        _validate_arguments,
    ),
    _Command("scales", _cmd_scales, "List the bundled scales.", _no_arguments),
    _Command("show", _cmd_show, "Show a scale: its standards, rules and gates.", _show_arguments),
    _Command(
        "batch",
        _cmd_batch,
        "Plan many deliveries in one run.",
        _batch_arguments,
        epilog=(
            "Without --output-dir, prints one JSON plan per line (JSON Lines). "
            "A bad delivery is reported and the others are planned; the exit code is then 2."
        ),
    ),
    _Command(
        "convert",
        _cmd_convert,
        "Convert a 0.1-format scale to the table format.",
        _convert_arguments,
        description=CONVERT_DESCRIPTION,
    ),
)


# -------------------------------------------------------------------- output


def _render(the_plan: TestPlan, scale: Scale, fmt: str, template: str | None) -> str:
    from qualscale.render import render_plan

    return render_plan(the_plan, scale, fmt, template=template)


def _emit(text: str, output: str | None) -> int:
    if output is None or output == "-":
        _out(text)
    else:
        _write(Path(output), text)
    return EXIT_OK


def _write(path: Path, text: str) -> None:
    try:
        write_text(path, text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _out(text: str) -> None:
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:  # a console that cannot show every character
        encoding = sys.stdout.encoding or "ascii"
        sys.stdout.write(text.encode(encoding, "replace").decode(encoding))


def _err(line: str) -> None:
    stream = sys.stderr
    encoding = getattr(stream, "encoding", None) or "utf-8"
    stream.write(line.encode(encoding, "replace").decode(encoding) + "\n")
    stream.flush()


def _report(exc: QualscaleError) -> None:
    """One line per problem on stderr; ``qualscale:`` before those without a place."""
    if isinstance(exc, ValidationError):
        for p in exc.problems:
            if p.file is None and p.line is None:
                where = f"{p.key}: " if p.path else ""
                _err(f"qualscale: {where}{p.message}")
            else:
                _err(str(p))
    elif isinstance(exc, RenderError):
        for line in str(exc).splitlines() or [""]:
            _err(line)  # it names the template file and line
    else:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            _err(f"qualscale: {line}")


def __dir__() -> list[str]:
    return list(__all__)
