"""The commands that classify and plan deliveries: ``plan``, ``classify``, ``batch``."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Iterator
from contextlib import closing
from typing import TYPE_CHECKING, Any

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
from qualscale.delivery import Delivery
from qualscale.errors import DeliveryError, QualscaleError, RenderError, UsageError
from qualscale.loading import load_scale
from qualscale.planning import TestPlan, _plan_dict
from qualscale.render import FORMATS, output_suffix
from qualscale.scale import Scale

if TYPE_CHECKING:
    import json
    from pathlib import Path


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
        nargs="*",
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
    history = sub.add_argument_group("git history", "one delivery per commit instead of files")
    history.add_argument(
        "--git-each", metavar="RANGE", help="every commit of BASE..HEAD, or REV and its ancestors"
    )
    history.add_argument(
        "--first-parent", action="store_true", help="only first parents: one delivery per merge"
    )
    history.add_argument("--max-count", type=int, metavar="N", help="the newest N commits only")
    history.add_argument("--repo", metavar="DIR", default=".", help="the git repository")
    sub.add_argument(
        "--summary",
        choices=_summary_formats(),
        help=(
            "print the distribution (share per standard, required kind and environment; "
            "median lines per standard) instead of the JSON Lines"
        ),
    )


def _summary_formats() -> tuple[str, ...]:
    from qualscale._summary import SUMMARY_FORMATS  # only when batch's options are made

    return SUMMARY_FORMATS


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
        import json

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
    if bool(args.inputs) == (args.git_each is not None):
        parser.error("give delivery files or --git-each RANGE (one of them)")
    if args.git_each is None and (args.first_parent or args.max_count is not None):
        parser.error("--first-parent and --max-count need --git-each")
    if args.max_count is not None and args.max_count < 1:
        parser.error("--max-count must be at least 1")
    scale = load_scale(args.scale)
    with closing(history_source(args.history, record=args.record, scale=scale)) as history:
        return _batch(args, scale, history)


def _batch(args: argparse.Namespace, scale: Scale, history: HistorySource) -> int:
    run = _Batch(args, scale, history)
    sources = _git_sources(args, scale) if args.git_each is not None else None
    for source in sources if sources is not None else batch_sources(args.inputs):
        try:
            if isinstance(source, QualscaleError):
                raise source
            run.one(source)
        except RenderError:
            raise  # the template is broken: every delivery would fail the same way
        except QualscaleError as exc:
            report(exc)
            run.bad += 1
    return run.finish()


@functools.cache
def _json_lines() -> json.JSONEncoder:
    """The encoder of batch's JSON Lines (json is imported by the runs that write JSON)."""
    import json

    return json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


@attrs.define
class _Batch:
    """One ``batch`` run: where plans go, what was written, what failed."""

    args: argparse.Namespace
    scale: Scale
    history: HistorySource
    out_dir: Path | None = None
    suffix: str = ""
    written: dict[str, str] = attrs.field(factory=dict)
    plans: list[TestPlan] = attrs.field(factory=list)
    bad: int = 0
    planned: int = 0
    shared: dict[Any, Any] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if self.args.output_dir is None:
            return
        from pathlib import Path

        self.out_dir = Path(self.args.output_dir)
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create {self.out_dir}: {exc.strerror or exc}") from None
        self.suffix = output_suffix(self.args.format or "json", self.args.template)

    def one(self, source: Source) -> None:
        source = _corrected(source, self.args, self.scale)
        the_plan = plan_source(source, self.scale, self.history.for_delivery(source.delivery))
        if self.history.store is not None and self.args.record:
            self.history.store.add([record_of(the_plan, self.scale)])
        if self.args.summary is not None:
            self.plans.append(the_plan)
        if self.out_dir is None:
            if self.args.summary is None:
                out(self._line(the_plan))
        else:
            self._write(source, the_plan)
        self.planned += 1

    def _line(self, the_plan: TestPlan) -> str:
        """``the_plan`` as one JSON line; the parts plans share are converted once."""
        if len(self.shared) > 1024:
            self.shared.clear()
        return _json_lines().encode(_plan_dict(the_plan, self.shared)) + "\n"

    def _write(self, source: Source, the_plan: TestPlan) -> None:
        assert self.out_dir is not None
        name = file_stem(the_plan.delivery.id) + self.suffix
        other = self.written.get(name.lower())
        if other is not None:
            raise source.relocate(
                DeliveryError.single(
                    f"delivery id {the_plan.delivery.id!r} gives the same file name "
                    f"{name!r} as {other}",
                    path=("id",),
                )
            )
        fmt = self.args.format or "json"
        write(self.out_dir / name, _render(the_plan, self.scale, fmt, self.args.template))
        self.written[name.lower()] = source.name

    def finish(self) -> int:
        if self.args.summary is not None:
            from qualscale._summary import render_summary, summarize

            out(render_summary(summarize(self.plans, self.scale), self.args.summary))
        if self.out_dir is not None:
            summary = f"qualscale: {count(self.planned, 'plan')} written to {self.out_dir}"
            bad = self.bad
            err(summary + (f"; {count(bad, 'delivery', 'deliveries')} failed" if bad else ""))
        elif self.planned + self.bad == 0:
            err("qualscale: no deliveries given")
            return EXIT_BAD_INPUT
        return EXIT_BAD_INPUT if self.bad else EXIT_OK


def _git_sources(args: argparse.Namespace, scale: Scale) -> Iterator[Source | QualscaleError]:
    from qualscale.git import read_git_deliveries

    found = read_git_deliveries(
        args.git_each,
        args.repo,
        scale=scale,
        first_parent=args.first_parent,
        max_count=args.max_count,
    )
    for data in found:
        name = f"git {data['id']}"
        try:
            yield Source(Delivery.from_dict(data, file=name), name)
        except DeliveryError as exc:
            yield exc


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
            "A bad delivery is reported and the others are planned; the exit code is then 2. "
            "example: qualscale batch --git-each HEAD --max-count 1000 --first-parent "
            "--summary markdown"
        ),
    ),
)
