"""The commands that judge evidence: ``verify`` (per activity) and ``gate`` (a review pack)."""

from __future__ import annotations

import argparse
import datetime
import json
from typing import Any

import attrs

from qualscale._cli_base import (
    EXIT_FAILED,
    EXIT_OK,
    Command,
    delivery_options,
    emit,
    err,
    output_option,
    scale_options,
    write,
)
from qualscale._text import did_you_mean
from qualscale._version import __version__
from qualscale.errors import DeliveryError, UsageError
from qualscale.judgement import GateReview, Judgement, judge, review_gate
from qualscale.planning import TestPlan
from qualscale.scale import Scale

_FORMATS = ("text", "markdown", "json")


def _verify_arguments(sub: argparse.ArgumentParser) -> None:
    _inputs(sub)
    sub.add_argument(
        "--gate", metavar="GATE", help="judge at this gate: activities of later gates are due later"
    )
    _outputs(sub)
    sub.add_argument(
        "--record",
        action="store_true",
        help=(
            "store the decision and the verdict per kind in the history store (--history, "
            "else $QUALSCALE_HISTORY, else .qualscale/history.db)"
        ),
    )


def _inputs(sub: argparse.ArgumentParser) -> None:
    delivery_options(sub)
    sub.add_argument(
        "--plan", metavar="PLAN.json", help="judge this plan (from plan --format json)"
    )
    scale_options(sub)
    sub.add_argument(
        "--junit", nargs="+", default=[], metavar="FILE", help="JUnit XML files of test runs"
    )
    sub.add_argument(
        "--report",
        nargs="+",
        default=[],
        metavar="FILE",
        help="JSON reports of the pytest plugin (--qualscale-report)",
    )
    sub.add_argument(
        "--signoffs",
        nargs="+",
        default=[],
        metavar="FILE",
        help="sign-off files: sign-offs, waivers and artifacts (YAML or JSON)",
    )
    sub.add_argument(
        "--environment",
        metavar="ENV",
        help=(
            "where the test runs of --junit and --report were (default: the scale's first "
            "environment); without --gate, only activities placed there are judged"
        ),
    )
    sub.add_argument(
        "--today", metavar="DATE", help="the day waivers are checked against (default: today)"
    )


def _outputs(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--format", choices=_FORMATS, default="text", help="output format (default: text)"
    )
    output_option(sub)


def _gate_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("gate_id", metavar="GATE", help="the gate to review, such as G3")
    _inputs(sub)
    _outputs(sub)
    sub.add_argument(
        "--record",
        metavar="FILE",
        help="write the decision record (JSON), pinned to the scale and the evidence files",
    )


def _the_plan(args: argparse.Namespace, scale: Scale) -> TestPlan:
    parser: argparse.ArgumentParser = args.parser
    if args.plan is None:
        from contextlib import closing

        from qualscale._history_io import history_source
        from qualscale._sources import delivery_source, plan_source

        source = delivery_source(args, scale)
        if args.git is not None and source.delivery.author is None:
            author = git_author(args.repo, source.delivery.source)
            source = attrs.evolve(source, delivery=attrs.evolve(source.delivery, author=author))
        record = getattr(args, "record", None) is True  # gate's --record is a FILE
        with closing(history_source(args.history, record=record, scale=scale)) as history:
            return plan_source(source, scale, history.for_delivery(source.delivery))
    if args.delivery is not None or args.git is not None:
        parser.error("give DELIVERY, --git RANGE or --plan PLAN.json, not several")
    from qualscale.loading import read_document

    data = read_document(args.plan, DeliveryError)
    the_plan = TestPlan.from_dict(data)
    if the_plan.scale.name != scale.name:
        raise UsageError(
            f"{args.plan} was planned on scale {the_plan.scale.name!r}, not {scale.name!r};"
            " give it with --scale"
        )
    if the_plan.scale.sha256 != scale.sha256:
        err(
            f"qualscale: warning: {args.plan} was planned on another content of scale"
            f" {scale.name!r} (sha256 {the_plan.scale.sha256[:12]}, now {scale.sha256[:12]})"
        )
    return the_plan


def git_author(repo: str, source: Any) -> str | None:
    """The author (``Name <email>``) of the head commit a ``--git`` delivery came from."""
    from qualscale._git_read import _git

    head = source.get("git", {}).get("head") if isinstance(source, dict) else None
    if not isinstance(head, str):
        return None
    done = _git(repo, "log", "-1", "--format=%an <%ae>", head)
    text = done.stdout.decode("utf-8", "replace").strip()
    return text if done.returncode == 0 and text else None


def _checked(value: str | None, choices: list[str], what: str) -> str | None:
    if value is not None and value not in choices:
        raise UsageError(
            f"unknown {what} {value!r}; expected one of: {', '.join(choices)}"
            f"{did_you_mean(value, choices)}"
        )
    return value


def _today(value: str | None) -> str:
    if value is None:
        return datetime.date.today().isoformat()
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise UsageError(f"--today: expected a date such as 2026-11-29, found {value!r}") from None


def _judge(args: argparse.Namespace, gate: str | None) -> tuple[Judgement, Scale]:
    from qualscale._evidence import load_evidence
    from qualscale.loading import load_scale

    scale = load_scale(args.scale)
    _checked(gate, [g.id for g in scale.gates], "gate")
    envs = [e.id for e in scale.environments]
    given = _checked(args.environment, envs, "environment")
    today = _today(args.today)
    the_plan = _the_plan(args, scale)
    evidence = load_evidence(
        scale,
        junit=args.junit,
        reports=args.report,
        signoffs=args.signoffs,
        environment=given or (envs[0] if envs else None),
    )
    scope = given if gate is None else None
    return judge(the_plan, scale, evidence, today=today, gate=gate, environment=scope), scale


def _cmd_verify(args: argparse.Namespace) -> int:
    from qualscale._judgement_reports import judgement_report

    judgement, scale = _judge(args, args.gate)
    if args.record:
        record_verdict(args.history, judgement, scale)
    emit(judgement_report(judgement, args.format), args.output)
    return EXIT_OK if judgement.ok else EXIT_FAILED


#: How bad a status is, for the one verdict a kind gets in the history.
_SEVERITY = {
    "due-later": 0,
    "passed": 1,
    "waived": 2,
    "missing": 3,
    "insufficient-depth": 4,
    "failed": 5,
}


def kind_verdicts(judgement: Judgement) -> dict[str, str]:
    """The verdict per kind for the history: the worst status of its activities.

    A required activity counts whatever its status; another counts only when tests of
    it passed or failed. Kinds with nothing that counts are left out.
    """
    worst: dict[str, str] = {}
    for a in judgement.activities:
        if a.activity.obligation != "required" and a.status not in ("passed", "failed"):
            continue
        kind = a.activity.kind
        if kind not in worst or _SEVERITY[a.status] > _SEVERITY[worst[kind]]:
            worst[kind] = a.status
    return worst


def record_verdict(history: str | None, judgement: Judgement, scale: Scale) -> None:
    """Store the plan's decision and the verdict per kind in the history store."""
    from contextlib import closing

    from qualscale._history_io import history_source, record_of

    record = attrs.evolve(record_of(judgement.plan, scale), verdict=kind_verdicts(judgement))
    with closing(history_source(history, record=True, scale=scale)) as target:
        assert target.store is not None  # record=True opens a store or raises
        target.store.add([record])


def _cmd_gate(args: argparse.Namespace) -> int:
    from qualscale._judgement_reports import review_report

    judgement, scale = _judge(args, args.gate_id)
    gate = next(g for g in scale.gates if g.id == args.gate_id)
    review = review_gate(judgement, gate)
    if args.record is not None:
        write_record(args.record, review)
    emit(review_report(review, args.format), args.output)
    return EXIT_OK if review.decision == "go" else EXIT_FAILED


def decision_record(review: GateReview) -> dict[str, Any]:
    """The decision record: the review, pinned to the scale and every evidence file's SHA-256."""
    j = review.judgement
    return {
        "record": "qualscale gate decision",
        "qualscale": __version__,
        "gate": review.gate.id,
        "decision": review.decision,
        "missing": list(review.missing),
        "delivery": j.plan.delivery.id,
        "scale": {
            "name": j.plan.scale.name,
            "version": j.plan.scale.version,
            "sha256": j.plan.scale.sha256,
        },
        "evidence": [{"path": f.path, "format": f.format, "sha256": f.sha256} for f in j.files],
        "today": j.today,
        "review": review.to_dict(),
    }


def write_record(path: str, review: GateReview) -> None:
    from pathlib import Path

    text = json.dumps(decision_record(review), indent=2, ensure_ascii=False) + "\n"
    write(Path(path), text)


COMMANDS = (
    Command(
        "verify",
        _cmd_verify,
        "Judge each activity of a plan on test results, sign-offs and waivers.",
        _verify_arguments,
        epilog=(
            "Statuses: passed, failed, missing, waived, insufficient-depth, due-later. "
            "Exit 0 when everything due is passed or waived, 1 when not, 2 on bad input. "
            "example: qualscale verify delivery.yaml --junit junit.xml --gate G4 "
            "--format markdown >> $GITHUB_STEP_SUMMARY"
        ),
    ),
    Command(
        "gate",
        _cmd_gate,
        "Print a gate's review pack and its go / no-go decision.",
        _gate_arguments,
        epilog=(
            "Exit 0 on go, 1 on no-go, 2 on bad input. --record writes a JSON decision "
            "record pinned to the scale and the SHA-256 of every evidence file."
        ),
    ),
)
