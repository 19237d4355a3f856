"""The commands that learn from history: ``replay`` and ``calibrate``."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence

from qualscale._cli_base import EXIT_OK, Command, emit, out, output_option
from qualscale.errors import UsageError
from qualscale.loading import load_scale
from qualscale.records import Record

REPLAY_FORMATS = ("text", "markdown", "json", "jsonl")


def read_records(history: str | None, jit_csv: str | None) -> list[Record]:
    """The records of ``--history`` (a store, a JSON Lines export) or ``--jit-csv``.

    The one place these commands read history from: a store, a JSON Lines export
    (``.jsonl``) or a JIT defect CSV (``.csv``, ``.csv.gz``) named by either option.
    """
    target = jit_csv or history or os.environ.get("QUALSCALE_HISTORY")
    if target is None:
        raise UsageError("give the history: --history STORE_OR_FILE or --jit-csv FILE")
    if jit_csv or target.endswith((".csv", ".csv.gz")):
        from qualscale._jit import read_jit_csv

        return list(read_jit_csv(target))
    if target.endswith(".jsonl"):
        from qualscale._history_io import read_jsonl

        return list(read_jsonl(target))
    from qualscale.stores import open_store

    store = open_store(target)
    try:
        return store.records()
    finally:
        store.close()


def _history_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--history",
        metavar="STORE_OR_FILE",
        help="a history store (SQLite file, postgresql:// URL) or a JSON Lines export",
    )
    sub.add_argument("--jit-csv", metavar="FILE", help="a JIT defect CSV (gzipped or not)")


def _replay_arguments(sub: argparse.ArgumentParser) -> None:
    _history_options(sub)
    sub.add_argument("--scale", metavar="NAME|PATH", required=True, help="the scale to replay")
    which = sub.add_mutually_exclusive_group()
    which.add_argument("--against", metavar="NAME|PATH", help="compare with this scale")
    which.add_argument(
        "--as-recorded",
        action="store_true",
        help="compare with the decisions recorded in the history (the default)",
    )
    sub.add_argument("--from", dest="since", metavar="DATE", help="replay deliveries from DATE")
    sub.add_argument("--format", choices=REPLAY_FORMATS, default="text", help="jsonl: a line each")
    output_option(sub)


def _cmd_replay(args: argparse.Namespace) -> int:
    from qualscale._calibrate_report import render_replay
    from qualscale.replay import replay, summarize

    records = read_records(args.history, args.jit_csv)
    scale = load_scale(args.scale)
    against = load_scale(args.against) if args.against else None
    rows = replay(records, scale, against, since=args.since)
    if args.format == "jsonl":
        text = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in rows)
        return emit(text, args.output)
    summary = summarize(rows, scale, against)
    old = against.name if against else "as recorded"
    return emit(render_replay(summary, scale.name, old, args.format), args.output)


def _calibrate_arguments(sub: argparse.ArgumentParser) -> None:
    _history_options(sub)
    sub.add_argument(
        "--base",
        metavar="NAME|PATH",
        default="billing-saas",
        help="the scale to extend (default: billing-saas)",
    )
    sub.add_argument(
        "--train-fraction",
        type=float,
        default=0.8,
        metavar="F",
        help="the oldest share fitted on (default 0.8)",
    )
    sub.add_argument("--max-standards", type=int, metavar="N", help="use at most N standards")
    sub.add_argument(
        "--budget",
        type=float,
        metavar="SHARE",
        help="the most share of deliveries in the standards that require performance tests",
    )
    sub.add_argument(
        "--metrics",
        metavar="NAMES",
        type=_metric_names,
        help="fit on these metrics only (comma-separated); 'diff': those plan --git gives",
    )
    sub.add_argument("--format", choices=("text", "json"), default="text", help="the report's")
    sub.add_argument("-o", "--output", metavar="OVERLAY.yaml", required=True)


def _metric_names(text: str) -> tuple[str, ...]:
    import re

    from qualscale._change_metrics import DIFF_METRICS
    from qualscale._validators import METRIC_PATTERN

    if text.strip() == "diff":
        return DIFF_METRICS
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    bad = [n for n in names if not re.match(METRIC_PATTERN, n)]
    if not names or bad:
        raise argparse.ArgumentTypeError(
            f"expected metric names (lowercase letters, digits and _) separated by commas,"
            f" or 'diff'; found {text!r}"
        )
    return names


def _check(args: argparse.Namespace) -> None:
    if not 0 < args.train_fraction < 1:
        raise UsageError(
            f"--train-fraction: expected a number between 0 and 1, found {args.train_fraction}"
        )
    if args.budget is not None and not 0 < args.budget <= 1:
        raise UsageError(f"--budget: expected a share between 0 and 1, found {args.budget}")
    if args.max_standards is not None and args.max_standards < 1:
        raise UsageError(f"--max-standards: expected at least 1, found {args.max_standards}")


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from qualscale._calibrate_report import render_calibration
    from qualscale._cli_base import write
    from qualscale.calibration import calibrate, evaluate, split

    _check(args)
    records = read_records(args.history, args.jit_csv)
    base = load_scale(args.base)
    train, test = split(records, args.train_fraction)
    if not train or not test or len({r.escaped for r in train}) < 2:
        raise UsageError(
            "calibrate needs deliveries with and without defects in both parts of the history"
        )
    fitted = calibrate(
        train, base, max_standards=args.max_standards, budget=args.budget, metrics=args.metrics
    )
    from pathlib import Path

    write(Path(args.output), fitted.overlay(args.base))
    calibrated = load_scale(args.output)  # what was written loads, checks and is monotone
    before = evaluate(base, test, past=train)
    after = evaluate(calibrated, test, past=train)
    if args.format == "json":
        data = {"overlay": args.output, "base": before.to_dict(), "calibrated": after.to_dict()}
        out(json.dumps(data, indent=2) + "\n")
    else:
        out(render_calibration(fitted, before, after, args.output))
    return EXIT_OK


def _names(rows: Sequence[str]) -> str:
    return ", ".join(rows)


COMMANDS = (
    Command(
        "replay",
        _cmd_replay,
        "Re-plan past deliveries under another scale; report what changes.",
        _replay_arguments,
    ),
    Command(
        "calibrate",
        _cmd_calibrate,
        "Fit a scale's metric rules to old history; report on the newest.",
        _calibrate_arguments,
    ),
)
