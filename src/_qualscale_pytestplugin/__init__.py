"""The front door of the qualscale pytest plugin (the ``pytest11`` entry point ``qualscale``).

The plugin is a top-level package, a client of the library, so that pytest, which
imports it in every session, imports nothing of qualscale for it: this module and
``common`` use only pytest and the standard library until a delivery activates the
plugin. This module holds the hook specs, the options and ini keys, and the decision
at configure time:

* a project that does not configure qualscale (no ``qualscale_*`` ini key, no
  ``--qualscale-*`` option, no qualscale hook implemented) gets nothing more - not
  even markers, so ``--strict-markers`` still catches an undeclared ``unit`` marker;
* a configured project gets the markers of the default scale's kinds and
  ``qualscale_kind``;
* a delivery (``--qualscale-delivery``, ``--qualscale-git`` or the
  ``pytest_qualscale_delivery`` hook) activates the plugin, which then imports the
  rest of this package - ``settings`` (options and ini keys read), ``kinds`` (tests
  mapped to kinds), ``activate`` (loading and planning), ``session`` (session and
  xdist state, evidence, verdict) - and the core. See ``docs/pytest-plugin.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import pytest

from _qualscale_pytestplugin.common import (
    DEFAULT_KINDS,
    KIND_MARKER,
    SELECT_MODES,
    WORKER_PLAN,
    ini_value,
    register_kind_markers,
)

if TYPE_CHECKING:
    from qualscale.delivery import Delivery
    from qualscale.planning import TestPlan

_OPTIONS: Final = (
    "delivery",
    "git",
    "scale",
    "history",
    "select",
    "enforce",
    "report",
    "environment",
    "gate",
)
_INI_KEYS: Final = (
    "qualscale_kinds",
    "qualscale_default_kind",
    "qualscale_scale",
    "qualscale_history",
    "qualscale_select",
    "qualscale_enforce",
    "qualscale_environment",
    "qualscale_depths",
)
_HOOKS: Final = ("pytest_qualscale_delivery", "pytest_qualscale_plan")


class QualscaleHookSpecs:
    """The hooks the plugin adds; implement them in a ``conftest.py`` or a plugin."""

    @pytest.hookspec(firstresult=True)
    def pytest_qualscale_delivery(self, config: pytest.Config) -> Delivery | None:
        """Supply the delivery when no ``--qualscale-delivery`` or ``--qualscale-git`` is given.

        Called once, at configure time, from the root ``conftest.py`` files and
        plugins. Return a :class:`qualscale.Delivery` to activate the plugin for
        the session, or ``None`` to leave it idle. The first non-``None`` result wins.
        """

    @pytest.hookspec(firstresult=True)
    def pytest_qualscale_plan(self, config: pytest.Config, plan: TestPlan) -> TestPlan | None:
        """Adjust the plan before the session uses it.

        Return a new :class:`qualscale.TestPlan` (plans are frozen: use
        ``attrs.evolve``) or ``None`` to keep ``plan``. The first non-``None``
        result wins, so combine adjustments in one implementation.
        """


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register :class:`QualscaleHookSpecs`."""
    pluginmanager.add_hookspecs(QualscaleHookSpecs)


def _correction_options(group: pytest.OptionGroup) -> None:
    """The options that correct the delivery, as ``qualscale plan`` has them."""
    group.addoption(
        "--qualscale-type",
        metavar="TYPE",
        help="correct the delivery's change type (feature, bugfix, hotfix, ...)",
    )
    for name, what in (("flag", "a risk flag"), ("component", "a component")):
        group.addoption(
            f"--qualscale-{name}",
            action="append",
            default=[],
            metavar=name.upper(),
            help=f"add {what} to the delivery (repeatable); the rationale says it was given",
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``--qualscale-*`` options and the ``qualscale_*`` ini keys."""
    group = parser.getgroup("qualscale", "qualscale: test plans by change size and risk")
    group.addoption(
        "--qualscale-delivery",
        metavar="FILE",
        help="plan the session for the delivery in this YAML/JSON file (activates the plugin)",
    )
    group.addoption(
        "--qualscale-git",
        metavar="RANGE",
        help="plan the session for a git range: BASE..HEAD, BASE...HEAD or REV",
    )
    _correction_options(group)
    group.addoption(
        "--qualscale-scale",
        metavar="NAME|PATH",
        help="the scale: a bundled name or a file (default: ini qualscale_scale, billing-saas)",
    )
    group.addoption(
        "--qualscale-history",
        metavar="FILE",
        help="the project's past deliveries (default: ini qualscale_history)",
    )
    group.addoption(
        "--qualscale-select",
        nargs="?",
        const="discouraged",
        choices=SELECT_MODES,
        default=None,
        metavar="MODE",
        help="deselect discouraged kinds; =strict keeps only required and recommended ones",
    )
    group.addoption(
        "--qualscale-enforce",
        action="store_true",
        default=None,
        help="fail the session when a required kind has no passing test or has failures",
    )
    group.addoption(
        "--qualscale-report",
        metavar="FILE",
        help="write the plan and the verdict per kind: Markdown if FILE ends in .md, else JSON",
    )
    group.addoption(
        "--qualscale-environment",
        metavar="ENV",
        help=(
            "judge by activity: the tests run in ENV; activities placed elsewhere are due "
            "later (default: ini qualscale_environment, else the scale's first environment)"
        ),
    )
    group.addoption(
        "--qualscale-gate",
        metavar="GATE",
        help="judge by activity at GATE: activities of later gates are due later",
    )
    _addini(parser)


def _addini(parser: pytest.Parser) -> None:
    # Every key defaults to None, so "set in the ini file" can be told from "not set".
    parser.addini(
        "qualscale_kinds",
        type="linelist",
        default=None,
        help="kinds of tests, one 'kind: marker expression' or 'kind: path glob' a line",
    )
    parser.addini(
        "qualscale_default_kind", default=None, help="the kind of tests no rule matches (unit)"
    )
    parser.addini("qualscale_scale", default=None, help="the scale: a bundled name or a file")
    parser.addini("qualscale_history", default=None, help="the file of past deliveries")
    parser.addini(
        "qualscale_select",
        default=None,
        help="as --qualscale-select when active: true (discouraged), strict or false",
    )
    parser.addini(
        "qualscale_enforce", type="bool", default=None, help="as --qualscale-enforce when active"
    )
    parser.addini(
        "qualscale_environment", default=None, help="as --qualscale-environment when active"
    )
    parser.addini(
        "qualscale_depths",
        type="linelist",
        default=None,
        help="depths tests prove, one 'kind/depth: marker expression' or '...: path glob' a line",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the kind markers of a configured project; activate the plugin on a delivery.

    Raises:
        pytest.UsageError: an option or ini value is bad; the message names it.
    """
    if is_configured(config):
        register_kind_markers(config, DEFAULT_KINDS)
        config.addinivalue_line(
            "markers", f"{KIND_MARKER}(kind): the test is of this kind of the qualscale scale"
        )
    workerinput: Mapping[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None:
        # An xdist worker takes the plan the controller made, so all agree.
        if WORKER_PLAN in workerinput:
            from _qualscale_pytestplugin.activate import activate_worker

            activate_worker(config, workerinput[WORKER_PLAN])
        return
    option = config.option
    supplied = None
    if option.qualscale_delivery is None and option.qualscale_git is None:
        supplied = config.hook.pytest_qualscale_delivery(config=config)
        if supplied is None:
            _refuse_orphans(config)
            return
    from qualscale._code_cache import attrs_code_cached

    # As on the command line: attrs reuses the code it generated for qualscale's classes
    # (only those) while the plan's modules are imported - a third of their cost.
    with attrs_code_cached():
        from _qualscale_pytestplugin.activate import activate

        activate(config, supplied)


def is_configured(config: pytest.Config) -> bool:
    """Whether the project uses qualscale: an ini key, an option or a hook of it is set.

    Merely having qualscale installed does not count: the markers it registers would
    hide a project's undeclared markers from ``--strict-markers``.
    """
    if any(getattr(config.option, f"qualscale_{name}") is not None for name in _OPTIONS):
        return True
    # Unset keys are None; before pytest 8.4 an unset key with default None is "" or [].
    if any(ini_value(config, key) not in (None, "", []) for key in _INI_KEYS):
        return True
    hooks = config.pluginmanager.hook
    return any(getattr(hooks, name).get_hookimpls() for name in _HOOKS)


def _refuse_orphans(config: pytest.Config) -> None:
    for name in ("scale", "history", "select", "enforce", "report", "environment", "gate"):
        if getattr(config.option, f"qualscale_{name}") is not None:
            raise pytest.UsageError(
                f"--qualscale-{name} needs a delivery: give --qualscale-delivery FILE or "
                "--qualscale-git RANGE (or implement the pytest_qualscale_delivery hook)"
            )
