"""The commands about scales and files: ``validate``, ``scales``, ``show``, ``convert``."""

from __future__ import annotations

import argparse

from qualscale._cli_base import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    Command,
    emit,
    no_arguments,
    out,
    output_option,
    report,
)
from qualscale._convert_scale import DESCRIPTION as CONVERT_DESCRIPTION
from qualscale._convert_scale import convert_file
from qualscale._sources import validate_file
from qualscale._text import hang
from qualscale.errors import ScaleError, ValidationError
from qualscale.loading import bundled_scales, load_scale
from qualscale.render import SCALE_FORMATS


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
    output_option(sub)


def _convert_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("old", metavar="OLD", help="a scale file in the 0.1 format (YAML or JSON)")
    output_option(sub)


def _cmd_validate(args: argparse.Namespace) -> int:
    scale = load_scale(args.scale) if args.scale else None
    bad = False
    for name in args.files:
        try:
            what = validate_file(name, scale)
        except ValidationError as exc:
            report(exc)
            bad = True
            continue
        out(f"ok: {name} ({what})\n")
    return EXIT_BAD_INPUT if bad else EXIT_OK


def _cmd_scales(args: argparse.Namespace) -> int:
    rows: list[tuple[str, str, str]] = []
    bad = False
    for name in bundled_scales():
        try:
            scale = load_scale(name)
        except ScaleError as exc:
            report(exc)
            bad = True
            continue
        rows.append((name, scale.version, scale.description))
    if rows:
        name_w = max(len(r[0]) for r in rows)
        version_w = max(len(r[1]) for r in rows)
        for name, version, description in rows:
            head = f"{name.ljust(name_w)}  {version.ljust(version_w)}  "
            out(hang(description, head, " " * len(head)) + "\n")
    return EXIT_BAD_INPUT if bad else EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    scale = load_scale(args.scale)
    from qualscale.render import render_scale

    return emit(render_scale(scale, args.format), args.output)


def _cmd_convert(args: argparse.Namespace) -> int:
    return emit(convert_file(args.old), args.output)


COMMANDS = (
    Command(
        "validate",
        _cmd_validate,
        "Check scale, gates, delivery and history files; print 'ok: FILE (...)' for good ones.",
        _validate_arguments,
    ),
    Command("scales", _cmd_scales, "List the bundled scales.", no_arguments),
    Command("show", _cmd_show, "Show a scale: its standards, rules and gates.", _show_arguments),
    Command(
        "convert",
        _cmd_convert,
        "Convert a 0.1-format scale to the table format.",
        _convert_arguments,
        description=CONVERT_DESCRIPTION,
    ),
)
