"""The commands that classify and plan deliveries: ``plan``, ``classify``, ``batch``."""

from __future__ import annotations

import argparse
import json
from contextlib import closing
from pathlib import Path

import attrs

from qualscale._cli_base import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    Command,
    delivery_options,
    emit,
    err,
    out,
    output_option,
    record_option,
    report,
    scale_options,
    write,
)
from qualscale._corrections import corrected, correction_options
from qualscale._files import file_stem
from qualscale._history_io import HistorySource, history_source, record_of
from qualscale._reports import classification_text
from qualscale._sources import (
    Source,
    batch_sources,
    delivery_source,
    plan_source,
)
from qualscale._text import count
from qualscale.classification import classify
from qualscale.errors import DeliveryError, QualscaleError, RenderError, UsageError
from qualscale.loading import load_scale
from qualscale.planning import TestPlan
from qualscale.render import FORMATS, output_suffix
from qualscale.scale import Scale


def _plan_arguments(sub: argparse.ArgumentParser) -> None:
    delivery_options(sub)
    scale_options(sub)
    correction_options(sub)
    record_option(sub)
    style = sub.add_mutually_exclusive_group()
    style.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    style.add_argument(
        "--template", metavar="PATH", help="render with this Jinja2 template instead"
    )
    output_option(sub)


def _classify_arguments(sub: argparse.ArgumentParser) -> None:
    delivery_options(sub)
    scale_options(sub)
    correction_options(sub)
    sub.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    output_option(sub)


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
    scale_options(sub)
    correction_options(sub)
    record_option(sub)
    sub.add_argument(
        "--output-dir", metavar="DIR", help="write one file per delivery, named after its id"
    )
    style = sub.add_mutually_exclusive_group()
    style.add_argument("--format", choices=FORMATS, help="format of the files (default: json)")
    style.add_argument("--template", metavar="PATH", help="render the files with this template")


def _cmd_plan(args: argparse.Namespace) -> int:
    scale = load_scale(args.scale)
    with closing(history_source(args.history, record=args.record, scale=scale)) as history:
        source = _corrected(delivery_source(args, scale), args, scale)
        the_plan = plan_source(source, scale, history.for_delivery(source.delivery))
        text = _render(the_plan, scale, args.format, args.template)
        if history.store is not None and args.record:
            history.store.add([record_of(the_plan, scale)])
    return emit(text, args.output)


def _cmd_classify(args: argparse.Namespace) -> int:
    scale = load_scale(args.scale)
    with closing(history_source(args.history, scale=scale)) as history:
        source = _corrected(delivery_source(args, scale), args, scale)
        past = history.for_delivery(source.delivery)
    try:
        result = classify(source.delivery, scale, past)
    except DeliveryError as exc:
        raise source.relocate(exc) from None
    if args.format == "json":
        text = json.dumps(
            {"delivery": source.delivery.id, **result.to_dict()}, indent=2, ensure_ascii=False
        )
        return emit(text + "\n", args.output)
    return emit(classification_text(source.delivery, result, scale), args.output)


def _cmd_batch(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.parser
    if args.output_dir is None and (args.template or args.format not in (None, "json")):
        parser.error("--format and --template need --output-dir (without it: JSON Lines)")
    if args.inputs.count("-") > 1:
        parser.error("'-' (standard input) can be given once")
    scale = load_scale(args.scale)
    with closing(history_source(args.history, record=args.record, scale=scale)) as history:
        return _batch(args, scale, history)


def _batch(args: argparse.Namespace, scale: Scale, history: HistorySource) -> int:
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
            the_plan = plan_source(source, scale, history.for_delivery(source.delivery))
            if history.store is not None and args.record:
                history.store.add([record_of(the_plan, scale)])
            if out_dir is None:
                line = json.dumps(the_plan.to_dict(), ensure_ascii=False, separators=(",", ":"))
                out(line + "\n")
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
                write(out_dir / name, text)
                written[name.lower()] = source.name
            planned += 1
        except RenderError:
            raise  # the template is broken: every delivery would fail the same way
        except QualscaleError as exc:
            report(exc)
            bad += 1
    if out_dir is not None:
        summary = f"qualscale: {count(planned, 'plan')} written to {out_dir}"
        err(summary + (f"; {count(bad, 'delivery', 'deliveries')} failed" if bad else ""))
    elif planned + bad == 0:
        err("qualscale: no deliveries given")
        return EXIT_BAD_INPUT
    return EXIT_BAD_INPUT if bad else EXIT_OK


def _corrected(source: Source, args: argparse.Namespace, scale: Scale) -> Source:
    return attrs.evolve(source, delivery=corrected(source.delivery, args, scale))


def _render(the_plan: TestPlan, scale: Scale, fmt: str, template: str | None) -> str:
    from qualscale.render import render_plan

    return render_plan(the_plan, scale, fmt, template=template)


COMMANDS = (
    Command(
        "plan",
        _cmd_plan,
        "Classify a delivery and print its test plan.",
        _plan_arguments,
        epilog=(
            "examples: qualscale plan delivery.yaml --format markdown; "
            "qualscale plan --git origin/main..HEAD --format json -o plan.json"
        ),
    ),
    Command(
        "classify",
        _cmd_classify,
        "Print a delivery's standard, size, risk and why.",
        _classify_arguments,
    ),
    Command(
        "batch",
        _cmd_batch,
        "Plan many deliveries in one run.",
        _batch_arguments,
        epilog=(
            "Without --output-dir, prints one JSON plan per line (JSON Lines). "
            "A bad delivery is reported and the others are planned; the exit code is then 2."
        ),
    ),
)
