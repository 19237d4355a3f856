"""Activation: from the settings to a plan, and a :class:`Session` that follows it.

Loads the delivery, the scale and the history the settings name, plans, lets the
``pytest_qualscale_plan`` hook adjust the plan and registers the session. Every
qualscale error becomes a ``pytest.UsageError`` naming the option or ini key.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest

from _qualscale_pytestplugin.activities import Placement, compile_depths
from _qualscale_pytestplugin.common import DEFAULT_KINDS, SELECT_MODES, register_kind_markers
from _qualscale_pytestplugin.kinds import KindRules, compile_rules
from _qualscale_pytestplugin.session import ACTIVE, Session
from _qualscale_pytestplugin.settings import (
    KindSettings,
    Settings,
    Source,
    read_depth_lines,
    read_kind_settings,
    read_settings,
)
from qualscale._text import did_you_mean
from qualscale.delivery import Delivery, History
from qualscale.errors import QualscaleError, ValidationError
from qualscale.evidence import activity_id
from qualscale.loading import load_delivery, load_history, load_scale
from qualscale.planning import TestPlan, plan
from qualscale.scale import Scale

__all__ = ["activate", "activate_worker"]

_T = TypeVar("_T")


def activate(config: pytest.Config, supplied: object) -> None:
    """Plan the session for the delivery of the options, or the one a hook ``supplied``.

    Raises:
        pytest.UsageError: a value, a file or the hook's result is bad; named.
    """
    settings = read_settings(config)
    scale, scale_source = _load_scale(settings.scale)
    delivery, source, label = _delivery(settings, supplied, scale)
    delivery = _corrected(config, delivery, scale)
    history = _load_history(settings.history)
    try:
        made = plan(delivery, scale, history)
    except QualscaleError as exc:
        raise pytest.UsageError(f"{label}: {_indent(exc)}") from None
    adjusted = config.hook.pytest_qualscale_plan(config=config, plan=made)
    if adjusted is not None and not isinstance(adjusted, TestPlan):
        raise pytest.UsageError(
            f"pytest_qualscale_plan returned {type(adjusted).__name__}; "
            "expected a qualscale.TestPlan or None"
        )
    origin = [f"delivery from {source}", f"scale {scale_source}"]
    if settings.history is not None:
        origin.append(f"history {settings.history.value}")
    if adjusted is not None:
        origin.append("adjusted by pytest_qualscale_plan")
    rules = _rules(settings.kinds, scale)
    state = Session(
        config,
        adjusted or made,
        rules,
        origin=", ".join(origin),
        select=settings.select,
        enforce=settings.enforce,
        report=settings.report,
        scale=scale,
        placement=_placement(settings, scale),
        removed=_removed(made, adjusted),
    )
    _register(config, state)


def _placement(settings: Settings, scale: Scale) -> Placement:
    """How to judge by activity: the environment (default: the scale's first), gate, depths."""
    envs = [e.id for e in scale.environments]
    environment = _known(settings.environment, envs, "environment")
    gate = _known(settings.gate, [g.id for g in scale.gates], "gate")
    depths = {k.id: k.depth_ids for k in scale.kinds}
    return Placement(
        environment or (envs[0] if envs else None), gate, compile_depths(settings.depths, depths)
    )


def _known(given: Source | None, choices: list[str], what: str) -> str | None:
    if given is None:
        return None
    if given.value not in choices:
        raise pytest.UsageError(
            f"{given.label}: unknown {what} {given.value!r}; the scale's are: "
            f"{', '.join(choices)}{did_you_mean(given.value, choices)}"
        )
    return given.value


def _removed(made: TestPlan, adjusted: TestPlan | None) -> tuple[str, ...]:
    """The activities the ``pytest_qualscale_plan`` hook took out of the plan."""
    if adjusted is None:
        return ()
    kept = set(adjusted.requirements)
    return tuple(
        activity_id(r.kind, r.depth, r.environment)
        for r in made.requirements
        if r not in kept and r.obligation == "required"
    )


def activate_worker(config: pytest.Config, payload: Mapping[str, Any]) -> None:
    """Follow the plan an xdist controller sent (see :meth:`Session.pytest_configure_node`)."""
    kinds = tuple(str(kind) for kind in payload["kinds"])
    placement = None
    given = payload.get("placement")
    if given is not None:
        depths = {str(k): tuple(v) for k, v in given["depths"].items()}
        rules = compile_depths(read_depth_lines(config), depths)
        placement = Placement(given["environment"], given["gate"], rules)
    state = Session(
        config,
        TestPlan.from_dict(payload["plan"]),
        _compile(read_kind_settings(config), kinds),
        origin="",
        select=payload["select"] if payload["select"] in SELECT_MODES else None,
        enforce=False,
        report=None,
        placement=placement,
    )
    _register(config, state)


def _register(config: pytest.Config, state: Session) -> None:
    # The default kinds' markers are registered already for a configured project.
    register_kind_markers(config, tuple(k for k in state.rules.kinds if k not in DEFAULT_KINDS))
    config.stash[ACTIVE] = state
    config.pluginmanager.register(state, "qualscale-active")


def _rules(settings: KindSettings, scale: Scale) -> KindRules:
    return _compile(settings, tuple(k.id for k in scale.kinds))


def _compile(settings: KindSettings, kinds: tuple[str, ...]) -> KindRules:
    return compile_rules(settings.rules, settings.default, kinds)


def _corrected(config: pytest.Config, delivery: Delivery, scale: Scale) -> Delivery:
    """``delivery`` with ``--qualscale-type``, ``-flag`` and ``-component`` applied."""
    from argparse import Namespace

    from qualscale._corrections import corrected

    given = Namespace(
        id=None,
        title=None,
        type=config.option.qualscale_type,
        flag=list(config.option.qualscale_flag),
        component=list(config.option.qualscale_component),
    )
    try:
        return corrected(delivery, given, scale, prefix="--qualscale-")
    except QualscaleError as exc:
        raise pytest.UsageError(_indent(exc)) from None


def _delivery(settings: Settings, supplied: object, scale: Scale) -> tuple[Delivery, str, str]:
    """The delivery, where it came from (for the header) and its label (for errors)."""
    if settings.delivery is not None:
        given = settings.delivery
        return _load(load_delivery, given), f"file {given.value}", given.label
    if settings.git is not None:
        from qualscale.git import read_git_delivery  # git only when asked: its import costs

        given = settings.git
        try:
            data = read_git_delivery(given.value, given.base, scale=scale)
            return Delivery.from_dict(data), f"git {given.value}", given.label
        except QualscaleError as exc:
            raise pytest.UsageError(f"{given.label} {given.value}: {_indent(exc)}") from None
    if not isinstance(supplied, Delivery):
        raise pytest.UsageError(
            f"pytest_qualscale_delivery returned {type(supplied).__name__}; "
            "expected a qualscale.Delivery or None"
        )
    return supplied, "the pytest_qualscale_delivery hook", "pytest_qualscale_delivery"


def _load_scale(given: Source | None) -> tuple[Scale, str]:
    if given is None:
        return load_scale(), "billing-saas (bundled)"
    value = given.value
    is_path = "/" in value or os.sep in value or value.endswith((".yaml", ".yml", ".json"))
    if is_path:
        return _load(load_scale, given), value
    try:
        return load_scale(value), f"{value} (bundled)"
    except QualscaleError as exc:
        raise pytest.UsageError(f"{given.label}: {_indent(exc)}") from None


def _load_history(given: Source | None) -> History | None:
    return None if given is None else _load(load_history, given)


def _load(loader: Callable[[Path], _T], given: Source) -> _T:
    """``loader(path)`` for the file ``given`` names; its errors are usage errors."""
    try:
        return loader(given.path())
    except QualscaleError as exc:
        raise pytest.UsageError(f"{given.label}: {_indent(exc)}") from None


def _indent(exc: BaseException) -> str:
    """The error's message; one indented line per problem when there are several."""
    if isinstance(exc, ValidationError):
        lines = [p.message if p.file is None and not p.path else str(p) for p in exc.problems]
    else:
        lines = str(exc).splitlines() or [type(exc).__name__]
    return lines[0] if len(lines) == 1 else "\n  " + "\n  ".join(lines)
