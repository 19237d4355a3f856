"""``qualscale history ...``: add, link outcomes, show, export and import the history store."""

from __future__ import annotations

import argparse
import json
import sys

from qualscale._cli_base import Command, emit, err, out, output_option
from qualscale._history_io import ENV_VAR, export_lines, read_jsonl, store_target
from qualscale._text import count
from qualscale.errors import DeliveryError, UsageError
from qualscale.records import Outcome, OutcomeKind, Record
from qualscale.stores import DEFAULT_STORE, HistoryStore, open_store


def history_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--history",
        metavar="PATH|URL",
        help=(
            f"the history store: an SQLite file or a postgresql:// URL (default: ${ENV_VAR}, "
            f"else {DEFAULT_STORE})"
        ),
    )


def _arguments(sub: argparse.ArgumentParser) -> None:
    actions = sub.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="record a delivery (a YAML or JSON file)")
    add.add_argument("delivery", metavar="DELIVERY", help="a delivery file")
    history_option(add)

    outcome = actions.add_parser("outcome", help="link an escaped defect or an incident")
    outcome.add_argument("delivery", metavar="DELIVERY", help="the recorded delivery's id")
    what = outcome.add_mutually_exclusive_group(required=True)
    what.add_argument("--defect", metavar="ID", help="an escaped defect's id")
    what.add_argument("--incident", metavar="ID", help="an incident's id")
    outcome.add_argument("--severity", metavar="S", help="critical, major, minor, ...")
    outcome.add_argument("--found", metavar="DATE", required=True, help="when, ISO 8601")
    outcome.add_argument("--fixed", metavar="DATE", help="when it was fixed, ISO 8601")
    outcome.add_argument("--fixed-by", metavar="ID", help="the delivery or commit that fixed it")
    history_option(outcome)

    show = actions.add_parser("show", help="list the recorded deliveries")
    show.add_argument("--format", choices=("text", "json"), default="text")
    history_option(show)
    output_option(show)

    export = actions.add_parser("export", help="every record as JSON Lines (date, id order)")
    history_option(export)
    output_option(export)

    imp = actions.add_parser("import", help="add records from an export, a JIT CSV or git")
    source = imp.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", metavar="FILE.jsonl", help="a history export")
    source.add_argument("--jit-csv", metavar="FILE", help="a JIT defect data set (.csv[.gz])")
    source.add_argument("--git", metavar="RANGE", help="one record per commit of RANGE")
    imp.add_argument("--first-parent", action="store_true", help="with --git: merges only")
    imp.add_argument("--repo", metavar="DIR", default=".", help="with --git: the repository")
    imp.add_argument("--no-szz", action="store_true", help="with --git: no SZZ defect links")
    imp.add_argument("--project", metavar="NAME", help="the project the records belong to")
    history_option(imp)


def _cmd_history(args: argparse.Namespace) -> int:
    run = {
        "add": _add,
        "outcome": _outcome,
        "show": _show,
        "export": _export,
        "import": _import,
    }[args.action]
    return run(args)


def _store(args: argparse.Namespace, *, create: bool) -> HistoryStore:
    return open_store(store_target(args.history), create=create)


def _add(args: argparse.Namespace) -> int:
    from qualscale.loading import load_delivery

    record = Record(load_delivery(args.delivery))
    with _store(args, create=True) as store:
        store.add([record])
    err(f"qualscale: recorded {record.delivery.id} in {store.where}")
    return 0


def _outcome(args: argparse.Namespace) -> int:
    kind: OutcomeKind = "defect" if args.defect is not None else "incident"
    outcome = Outcome(
        kind=kind,
        id=args.defect or args.incident,
        severity=args.severity,
        found=args.found,
        fixed=args.fixed,
        fixed_by=args.fixed_by,
    )
    with _store(args, create=False) as store:
        store.add_outcome(args.delivery, outcome)
    err(f"qualscale: {kind} {outcome.id} linked to {args.delivery} in {store.where}")
    return 0


def _show(args: argparse.Namespace) -> int:
    with _store(args, create=False) as store:
        records = store.records()
    if args.format == "json":
        text = json.dumps([r.to_dict() for r in records], indent=2, ensure_ascii=False)
        return emit(text + "\n", args.output)
    lines = [f"{'delivery':<14} {'date':<20} {'standard':<9} outcomes"]
    for r in records:
        found = ", ".join(f"{o.kind} {(o.id or '?')[:14]} ({o.found})" for o in r.outcomes)
        if r.defect_inducing and not found:
            found = "defect-inducing"
        standard = r.decision.standard if r.decision else "-"
        line = f"{r.delivery.id[:14]:<14} {r.delivery.date or '-':<20} {standard:<9} {found}"
        lines.append(line.rstrip())
    lines.append(f"{count(len(records), 'delivery', 'deliveries')}")
    return emit("\n".join(lines) + "\n", args.output)


def _export(args: argparse.Namespace) -> int:
    with _store(args, create=False) as store:
        records = store.records()
    if args.output is None or args.output == "-":
        for line in export_lines(records):
            out(line)
        sys.stdout.flush()
        return 0
    return emit("".join(export_lines(records)), args.output)


def _import(args: argparse.Namespace) -> int:
    if args.first_parent and args.git is None:
        raise UsageError("--first-parent goes with --git")
    records: list[Record]
    if args.jit_csv is not None:
        from qualscale._jit import read_jit_csv

        records = list(read_jit_csv(args.jit_csv))
    elif args.git is not None:
        from qualscale._git_history import read_git_history

        records = read_git_history(
            args.git, args.repo, first_parent=args.first_parent, szz=not args.no_szz
        )
    else:
        records = list(read_jsonl(args.file))
    if args.project is not None:
        records = [_in_project(r, args.project) for r in records]
    if not records:
        raise DeliveryError.single("no records to import", file=args.file or args.jit_csv)
    with _store(args, create=True) as store:
        n = store.add(records)
    err(f"qualscale: imported {count(n, 'record')} into {store.where}")
    return 0


def _in_project(record: Record, project: str) -> Record:
    import attrs

    return attrs.evolve(record, delivery=attrs.evolve(record.delivery, project=project))


COMMANDS = (
    Command(
        "history",
        _cmd_history,
        "Record deliveries and their outcomes; show, export and import the history.",
        _arguments,
        epilog=(
            "examples: qualscale history outcome abc1234 --defect BUG-7 --severity major "
            "--found 2026-03-02; qualscale history import --git v1.0..main; "
            f"qualscale history export > history.jsonl. The store is --history, else ${ENV_VAR}, "
            f"else {DEFAULT_STORE}."
        ),
    ),
)
