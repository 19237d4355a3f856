"""Corrections a person makes to a delivery: command-line options, a file over git.

Each correction is recorded in the delivery's ``source.overrides`` as
``{"key": ..., "value": ..., "from": ...}``, so :func:`qualscale.classify` can say in
the rationale what was set by hand and where (``flag security given on the command
line``).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

import attrs

from qualscale._text import did_you_mean
from qualscale.delivery import Delivery
from qualscale.errors import DeliveryError, UsageError
from qualscale.scale import Scale

__all__ = ["COMMAND_LINE", "corrected", "correction_options", "merged_over"]

#: Where command-line corrections come from, as the rationale says it.
COMMAND_LINE = "the command line"


def correction_options(sub: argparse.ArgumentParser) -> None:
    """Add ``--type``, ``--flag``, ``--component``, ``--id`` and ``--title`` to ``sub``."""
    from qualscale.delivery import DELIVERY_TYPES

    group = sub.add_argument_group(
        "corrections", "set what the delivery gets wrong; the rationale says what was set"
    )
    group.add_argument(
        "--type",
        choices=DELIVERY_TYPES,
        metavar="TYPE",
        help=f"the change type: {', '.join(DELIVERY_TYPES)}",
    )
    group.add_argument(
        "--flag", action="append", default=[], metavar="FLAG", help="add a risk flag (repeatable)"
    )
    group.add_argument(
        "--component",
        action="append",
        default=[],
        metavar="ID",
        help="add a component (repeatable)",
    )
    group.add_argument("--id", metavar="ID", help="the delivery's id")
    group.add_argument("--title", metavar="TEXT", help="the delivery's title")


def corrected(
    delivery: Delivery, args: argparse.Namespace, scale: Scale, *, prefix: str = "--"
) -> Delivery:
    """``delivery`` with the command line's corrections applied and recorded.

    ``prefix`` is what the options' names start with (the pytest plugin's are
    ``--qualscale-flag``, ...), for the messages.

    Raises:
        UsageError: a flag or component the scale does not know.
        ValidationError: a type that is not a delivery type.
    """
    _refuse_unknown(args.flag, list(scale.rules.risk.flags), f"{prefix}flag", "flag")
    known_components = [c.id for c in scale.rules.components]
    _refuse_unknown(args.component, known_components, f"{prefix}component", "component")
    changes: dict[str, Any] = {}
    said: list[dict[str, Any]] = []
    for key in ("id", "title", "type"):
        value = getattr(args, key)
        if value is not None:
            changes[key] = value
            said.append(_override(key, value, COMMAND_LINE))
    for key, values in (("flags", args.flag), ("components", args.component)):
        if values:
            changes[key] = (*getattr(delivery, key), *values)
            said += [_override(key, value, COMMAND_LINE) for value in values]
    if not said:
        return delivery
    overrides = [*delivery.source.get("overrides", []), *said]
    changes["source"] = {**delivery.source, "overrides": overrides}
    return attrs.evolve(delivery, **changes)


def merged_over(found: Mapping[str, Any], given: Any, name: str) -> dict[str, Any]:
    """The delivery ``given`` (a file's data) merged over ``found`` (what git found).

    The file's keys win; ``changes`` and ``source`` merge key by key. Every key the file
    sets is recorded as an override from ``name``.

    Raises:
        DeliveryError: ``given`` is not a mapping.
    """
    if not isinstance(given, Mapping):
        raise DeliveryError.single("expected a mapping of delivery keys", file=name)
    merged = dict(found)
    said = []
    for key, value in given.items():
        if key in ("changes", "source") and isinstance(value, Mapping):
            base = found.get(key)
            merged[key] = {**(base if isinstance(base, Mapping) else {}), **value}
        else:
            merged[key] = value
        if key == "source":
            continue
        if key in ("flags", "components") and isinstance(value, list):
            said += [_override(key, item, name) for item in value]
        else:
            said.append(_override(key, value, name))
    source = merged.get("source")
    source = dict(source) if isinstance(source, Mapping) else {}
    merged["source"] = {**source, "overrides": [*source.get("overrides", []), *said]}
    return merged


def _override(key: str, value: Any, where: str) -> dict[str, Any]:
    return {"key": key, "value": value, "from": where}


def _refuse_unknown(values: list[str], known: list[str], option: str, what: str) -> None:
    for value in values:
        if value not in known:
            raise UsageError(
                f"{option} {value!r}: unknown {what}; the scale knows: {', '.join(known)}"
                + did_you_mean(value, known)
            )
