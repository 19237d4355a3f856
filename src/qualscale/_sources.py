"""Where the CLI's deliveries come from: a file, standard input, JSON Lines, or git.

Each delivery keeps its source, so a problem found later (an unknown flag, found
by classify) is reported at the file and line the user wrote.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from qualscale._bounds import check_plain
from qualscale._corrections import merged_over
from qualscale._located import locate
from qualscale._text import count
from qualscale.classification import classify
from qualscale.delivery import Delivery, History
from qualscale.errors import DeliveryError, Problem, QualscaleError, UsageError, ValidationError
from qualscale.gates import GatePolicy
from qualscale.loading import (
    MAX_BYTES,
    load_document,
    load_history,
    load_scale,
    parse_bytes,
    read_document,
)
from qualscale.planning import TestPlan, plan
from qualscale.scale import Scale

__all__ = [
    "MAX_LINE_BYTES",
    "STDIN",
    "Source",
    "batch_sources",
    "delivery_source",
    "parse_stdin",
    "plan_source",
    "relocate",
    "scale_and_history",
    "validate_file",
]

#: The name standard input goes by in messages.
STDIN = "<stdin>"
#: The longest line of JSON Lines read (one delivery a line).
MAX_LINE_BYTES = 1024 * 1024


@attrs.frozen
class Source:
    """A delivery and where it came from, to put a place on later errors."""

    delivery: Delivery
    name: str
    data: Any = None
    line: int | None = None

    def relocate(self, exc: ValidationError) -> ValidationError:
        """``exc`` with every problem that has no place placed in this source."""
        return relocate(exc, self.name, self.data, self.line)


def relocate(
    exc: ValidationError, name: str, data: Any = None, line: int | None = None
) -> ValidationError:
    # Problems found after loading (an unknown flag, found by classify) carry only a
    # key path; the loaded document knows the line.
    problems = []
    for p in exc.problems:
        if p.file is None:
            file, at = name, line
            if at is None and data is not None:
                found, at = locate(data, p.path)
                file = found or file
            p = Problem(p.message, file, at, p.path)
        problems.append(p)
    return type(exc)(problems)


def delivery_source(args: argparse.Namespace, scale: Scale) -> Source:
    """The delivery the command line names: a file, ``-`` for standard input, or ``--git``.

    With both a file and ``--git``, the file's keys are merged over what git found.
    ``scale`` decides which commit type of a git range is the riskiest.
    """
    parser: argparse.ArgumentParser = args.parser
    if args.git is not None:
        from qualscale.git import read_git_delivery

        data = read_git_delivery(args.git, args.repo, scale=scale)
        name = f"git {args.git}"
        if args.delivery is None:
            return Source(_structure_delivery(data, name), name)
        if args.delivery == "-":
            name, given = STDIN, parse_stdin()
        else:
            name, given = args.delivery, read_document(args.delivery, DeliveryError)
        merged = merged_over(data, given, name)
        return Source(_structure_delivery(merged, name), name, given)
    if args.delivery is None:
        parser.error("give a DELIVERY file, '-' for standard input, or --git RANGE")
    if args.delivery == "-":
        data = parse_stdin()
        return Source(_structure_delivery(data, STDIN), STDIN, data)
    data = read_document(args.delivery, DeliveryError)
    return Source(_structure_delivery(data, args.delivery), args.delivery, data)


def _structure_delivery(data: Any, name: str) -> Delivery:
    return Delivery.from_dict(data, file=name)


def parse_stdin() -> Any:
    return parse_bytes(sys.stdin.buffer.read(MAX_BYTES + 1), STDIN, DeliveryError)


def scale_and_history(args: argparse.Namespace) -> tuple[Scale, History | None]:
    scale = load_scale(args.scale)
    history = load_history(args.history) if args.history else None
    return scale, history


def plan_source(source: Source, scale: Scale, history: History | None) -> TestPlan:
    try:
        return plan(source.delivery, scale, history)
    except DeliveryError as exc:
        raise source.relocate(exc) from None


def batch_sources(inputs: Sequence[str]) -> Iterator[Source | QualscaleError]:
    for item in inputs:
        if item == "-":
            yield from _jsonl_sources()
            continue
        from pathlib import Path  # not imported by a plan of one delivery

        path = Path(item)
        if path.is_dir():
            files = sorted(
                p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json") and p.is_file()
            )
            if not files:
                yield UsageError(f"{item}: no .yaml, .yml or .json files in this folder")
            for file in files:
                yield _file_source(os.fspath(file))
        else:
            yield _file_source(item)


def _file_source(name: str) -> Source | QualscaleError:
    try:
        data = read_document(name, DeliveryError)
        return Source(_structure_delivery(data, name), name, data)
    except DeliveryError as exc:
        return exc


def _jsonl_sources() -> Iterator[Source | QualscaleError]:
    stream = sys.stdin.buffer
    number = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass  # the rest of the line, skipped in bounded pieces
            message = f"line longer than {MAX_LINE_BYTES} bytes"
            yield DeliveryError.single(message, file=STDIN, line=number)
            continue
        if not raw.strip():
            continue
        item = _jsonl_item(raw, number)
        if isinstance(item, QualscaleError):
            yield item
            continue
        try:
            delivery = Delivery.from_dict(item)
        except DeliveryError as exc:
            yield relocate(exc, STDIN, line=number)
            continue
        yield Source(delivery, STDIN, line=number)


def validate_file(name: str, scale: Scale | None) -> str:
    """Load and check the file ``name``; what it is (``scale billing-saas 1.0``) when good.

    With ``scale``, a delivery must name only flags and components the scale knows.

    Raises:
        ValidationError: every problem, located in the file.
    """
    try:
        doc = load_document(name)
    except DeliveryError as exc:
        # A bad value must not hide the delivery's unknown flags and components.
        if scale is None or not isinstance(exc.partial, Delivery):
            raise
        raise DeliveryError([*exc.problems, *_against(exc.partial, name, scale)]) from None
    if isinstance(doc, GatePolicy):
        return f"gates, {count(len(doc.gates), 'gate')}"
    if isinstance(doc, Scale):
        return f"scale {doc.name} {doc.version}"
    if isinstance(doc, History):
        return f"history, {count(len(doc.deliveries), 'delivery', 'deliveries')}"
    if scale is not None:
        problems = _against(doc, name, scale)
        if problems:
            raise DeliveryError(problems)
    return f"delivery {doc.id}"


def _against(delivery: Delivery, name: str, scale: Scale) -> list[Problem]:
    """The problems of ``delivery`` (read from ``name``) on ``scale``, located in the file."""
    try:
        classify(delivery, scale)
    except DeliveryError as exc:
        from qualscale.loading import _read_around_problems

        data = _read_around_problems(name)[0]  # the file may have problems of its own
        return list(Source(delivery, name, data).relocate(exc).problems)
    return []


def _jsonl_item(raw: bytes, number: int) -> Any:
    """The JSON value of one line, or the error saying why it cannot be read."""
    import json

    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (byte {exc.start})"
        return DeliveryError.single(message, file=STDIN, line=number)
    except RecursionError:
        return DeliveryError.single("invalid JSON: nested too deeply", file=STDIN, line=number)
    except ValueError as exc:  # JSONDecodeError, or a number of more than 4300 digits
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc).split(";")[0]
        return DeliveryError.single(f"invalid JSON: {message}", file=STDIN, line=number)
    problems = check_plain(data, STDIN, number)
    if problems:
        return DeliveryError(problems)
    return data
