"""The qualscale pytest plugin: plan, select and verify a session's tests by delivery.

Registered through the ``pytest11`` entry point. It is idle unless a delivery is
given (``--qualscale-delivery FILE``, ``--qualscale-git RANGE`` or a
``pytest_qualscale_delivery`` hook): idle, it registers its options, ini keys,
hooks and the markers of the default scale's kinds, and imports nothing of
qualscale's core. Active, it plans the delivery, maps every test to a kind,
optionally deselects the kinds the plan does not ask for, counts outcomes per
kind (also under pytest-xdist), shows the verdict in the terminal summary,
writes a JSON or Markdown report and can fail the session when a required kind
has no passing test. See ``docs/pytest-plugin.md``.
"""

from __future__ import annotations

import difflib
import fnmatch
import itertools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

if TYPE_CHECKING:
    from qualscale.delivery import Delivery, History
    from qualscale.planning import TestPlan
    from qualscale.scale import Scale
    from qualscale.verification import Evidence, KindVerdict, Verdict

__all__ = ["DEFAULT_KINDS", "KIND_PROPERTY", "marker_name"]

#: The kinds of the default scale. Their markers are registered in every session,
#: so a suite that uses them collects under ``--strict-markers`` while the plugin idles.
DEFAULT_KINDS: Final = (
    "unit",
    "integration",
    "regression",
    "performance",
    "security",
    "acceptance",
    "data-validation",
)

#: The user property every test report carries when the plugin is active; it names
#: the test's kind (and so reaches the controller under xdist, and JUnit XML files).
KIND_PROPERTY: Final = "qualscale_kind"

_GROUP = "qualscale"
_KIND_MARKER = "qualscale_kind"
_WORKER_PLAN = "qualscale_plan"
_WORKER_DESELECTED = "qualscale_deselected"
_RANK = {"passed": 0, "skipped": 1, "failed": 2}


def marker_name(kind: str) -> str:
    """The marker that gives a test the kind ``kind``: ``data-validation`` -> ``data_validation``.

    Marker names are Python identifiers, so ``-`` and ``.`` become ``_``.
    """
    return kind.replace("-", "_").replace(".", "_")


# ---------------------------------------------------------------- hook specs


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


# ------------------------------------------------------------------- options


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``--qualscale-*`` options and the ``qualscale_*`` ini keys."""
    group = parser.getgroup(_GROUP, "qualscale: test plans by change size and risk")
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
        action="store_true",
        default=None,
        help="deselect tests of kinds the plan neither requires nor recommends",
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
    parser.addini(
        "qualscale_kinds",
        type="linelist",
        default=[],
        help="kinds of tests, one 'kind: marker expression' or 'kind: path glob' a line",
    )
    parser.addini(
        "qualscale_default_kind", default="unit", help="the kind of tests no rule matches"
    )
    parser.addini("qualscale_scale", default="", help="the scale: a bundled name or a file")
    parser.addini("qualscale_history", default="", help="the file of past deliveries")
    parser.addini(
        "qualscale_select", type="bool", default=False, help="as --qualscale-select when active"
    )
    parser.addini(
        "qualscale_enforce", type="bool", default=False, help="as --qualscale-enforce when active"
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the kind markers; activate the plugin when a delivery is given.

    Raises:
        pytest.UsageError: an option or ini value is bad; the message names it.
    """
    for kind in DEFAULT_KINDS:
        config.addinivalue_line(
            "markers", f"{marker_name(kind)}: a test of the kind {kind!r} (qualscale)"
        )
    config.addinivalue_line(
        "markers", f"{_KIND_MARKER}(kind): the test is of this kind of the qualscale scale"
    )
    workerinput: Mapping[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None:
        # An xdist worker takes the plan the controller made, so all agree.
        if _WORKER_PLAN in workerinput:
            _activate_worker(config, workerinput[_WORKER_PLAN])
        return
    option = config.option
    delivery_file: str | None = option.qualscale_delivery
    git_range: str | None = option.qualscale_git
    if delivery_file is not None and git_range is not None:
        raise pytest.UsageError(
            "--qualscale-delivery and --qualscale-git both given; give one of them"
        )
    if delivery_file is None and git_range is None:
        supplied = config.hook.pytest_qualscale_delivery(config=config)
        if supplied is None:
            _refuse_orphans(config)
            return
        _activate(config, supplied, "the pytest_qualscale_delivery hook")
        return
    _warn_if_rootdir_moved(config)
    _activate(config, None, "")


_PATH_OPTIONS = (
    "--qualscale-delivery",
    "--qualscale-scale",
    "--qualscale-history",
    "--qualscale-report",
)


def _warn_if_rootdir_moved(config: pytest.Config) -> None:
    """Warn when a path after ``--qualscale-... FILE`` likely moved pytest's rootdir.

    pytest looks for the rootdir and the ini file before it loads plugins, and takes
    the value of an option it does not know yet for a test path (pytest-dev/pytest#8846).
    A file outside the current folder then moves the rootdir and can lose the ini file
    with it; ``--qualscale-delivery=FILE`` does not.
    """
    option = config.option
    if option.rootdir or option.inifilename:
        return
    here = config.invocation_params.dir
    if config.inipath is not None and here.is_relative_to(config.inipath.parent):
        return
    args = [str(arg) for arg in config.invocation_params.args]
    for flag, value in itertools.pairwise(args):
        if flag not in _PATH_OPTIONS or not os.path.exists(value):
            continue
        if not (here / value).resolve().is_relative_to(here.resolve()):
            config.issue_config_time_warning(
                pytest.PytestConfigWarning(
                    f"{flag} {value}: pytest read this file as a test path while it looked "
                    f"for the rootdir (now {config.rootpath}) and the ini file "
                    f"({config.inipath or 'none found'}); write {flag}={value} "
                    "(pytest-dev/pytest#8846)"
                ),
                stacklevel=2,
            )


def _refuse_orphans(config: pytest.Config) -> None:
    for name in ("scale", "history", "select", "enforce", "report"):
        if getattr(config.option, f"qualscale_{name}") is not None:
            raise pytest.UsageError(
                f"--qualscale-{name} needs a delivery: give --qualscale-delivery FILE or "
                "--qualscale-git RANGE (or implement the pytest_qualscale_delivery hook)"
            )


# ---------------------------------------------------------------- activation


def _activate(config: pytest.Config, supplied: object, supplied_by: str) -> None:
    from qualscale.delivery import Delivery
    from qualscale.errors import QualscaleError
    from qualscale.planning import TestPlan, plan

    option = config.option
    here = config.invocation_params.dir
    if supplied is not None:
        if not isinstance(supplied, Delivery):
            raise pytest.UsageError(
                f"pytest_qualscale_delivery returned {type(supplied).__name__}; "
                "expected a qualscale.Delivery or None"
            )
        delivery, source, flag = supplied, supplied_by, "pytest_qualscale_delivery"
    elif option.qualscale_delivery is not None:
        flag = "--qualscale-delivery"
        delivery = _load_delivery_file(_under(here, option.qualscale_delivery), flag)
        source = f"file {option.qualscale_delivery}"
    else:
        flag = "--qualscale-git"
        delivery = _read_git(option.qualscale_git, here, flag)
        source = f"git {option.qualscale_git}"

    scale, scale_source = _load_scale(config)
    history, history_source = _load_history(config)
    try:
        made = plan(delivery, scale, history)
    except QualscaleError as exc:
        raise pytest.UsageError(f"{flag}: {_indent(exc)}") from None
    adjusted = config.hook.pytest_qualscale_plan(config=config, plan=made)
    if adjusted is not None and not isinstance(adjusted, TestPlan):
        raise pytest.UsageError(
            f"pytest_qualscale_plan returned {type(adjusted).__name__}; "
            "expected a qualscale.TestPlan or None"
        )
    kinds = tuple(k.id for k in scale.kinds)
    origin = [f"delivery from {source}", f"scale {scale_source}"]
    if history_source:
        origin.append(f"history {history_source}")
    if adjusted is not None:
        origin.append("adjusted by pytest_qualscale_plan")
    state = _Active(
        config,
        adjusted or made,
        kinds,
        _parse_kinds(config, kinds),
        origin=", ".join(origin),
        select=_flag(config, "select"),
        enforce=_flag(config, "enforce"),
        report=_report_path(config),
    )
    _register(config, state)


def _activate_worker(config: pytest.Config, payload: Mapping[str, Any]) -> None:
    from qualscale.planning import TestPlan

    kinds = tuple(payload["kinds"])
    state = _Active(
        config,
        TestPlan.from_dict(payload["plan"]),
        kinds,
        _parse_kinds(config, kinds),
        origin="",
        select=bool(payload["select"]),
        enforce=False,
        report=None,
    )
    _register(config, state)


_ACTIVE = pytest.StashKey["_Active"]()


def _register(config: pytest.Config, state: _Active) -> None:
    for kind in state.kinds:
        if kind not in DEFAULT_KINDS:
            config.addinivalue_line(
                "markers", f"{marker_name(kind)}: a test of the kind {kind!r} (qualscale)"
            )
    config.stash[_ACTIVE] = state
    config.pluginmanager.register(state, "qualscale-active")


def _under(base: Path, value: str) -> Path:
    """``value`` relative to ``base``; kept relative when ``base`` is the working folder,
    so error messages show the path as the user wrote it."""
    path = Path(os.path.expanduser(value))
    if path.is_absolute() or base == Path.cwd():
        return path
    return base / path


def _indent(exc: BaseException) -> str:
    """The error's message; one indented line per problem when there are several."""
    from qualscale.errors import ValidationError

    if isinstance(exc, ValidationError):
        lines = [p.message if p.file is None and not p.path else str(p) for p in exc.problems]
    else:
        lines = str(exc).splitlines() or [type(exc).__name__]
    return lines[0] if len(lines) == 1 else "\n  " + "\n  ".join(lines)


def _load_delivery_file(path: Path, flag: str) -> Delivery:
    from qualscale.errors import QualscaleError
    from qualscale.loading import load_delivery

    try:
        return load_delivery(path)
    except QualscaleError as exc:
        raise pytest.UsageError(f"{flag}: {_indent(exc)}") from None


def _read_git(revision: str, repo: Path, flag: str) -> Delivery:
    from qualscale.delivery import Delivery
    from qualscale.errors import QualscaleError
    from qualscale.git import read_git_delivery

    try:
        return Delivery.from_dict(read_git_delivery(revision, repo))
    except QualscaleError as exc:
        raise pytest.UsageError(f"{flag} {revision}: {_indent(exc)}") from None


def _setting(config: pytest.Config, name: str) -> tuple[str, Path, str] | None:
    """The value of option ``name`` or else its ini key, its base folder and its label."""
    value: str | None = getattr(config.option, f"qualscale_{name}")
    if value is not None:
        return value, config.invocation_params.dir, f"--qualscale-{name}"
    ini = str(config.getini(f"qualscale_{name}")).strip()
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return ini, base, f"qualscale_{name} (in {config.inipath or 'the ini file'})"
    return None


def _load_scale(config: pytest.Config) -> tuple[Scale, str]:
    from qualscale.errors import QualscaleError
    from qualscale.loading import load_scale

    given = _setting(config, "scale")
    if given is None:
        return load_scale(), "billing-saas (bundled)"
    value, base, label = given
    is_path = "/" in value or os.sep in value or value.endswith((".yaml", ".yml", ".json"))
    try:
        if is_path:
            path = _under(base, value)
            return load_scale(path), os.fspath(value)
        return load_scale(value), f"{value} (bundled)"
    except QualscaleError as exc:
        raise pytest.UsageError(f"{label}: {_indent(exc)}") from None


def _load_history(config: pytest.Config) -> tuple[History | None, str]:
    from qualscale.errors import QualscaleError
    from qualscale.loading import load_history

    given = _setting(config, "history")
    if given is None:
        return None, ""
    value, base, label = given
    try:
        return load_history(_under(base, value)), value
    except QualscaleError as exc:
        raise pytest.UsageError(f"{label}: {_indent(exc)}") from None


def _flag(config: pytest.Config, name: str) -> bool:
    value: bool | None = getattr(config.option, f"qualscale_{name}")
    return bool(config.getini(f"qualscale_{name}")) if value is None else value


def _report_path(config: pytest.Config) -> Path | None:
    value: str | None = config.option.qualscale_report
    if value is None:
        return None
    path = _under(config.invocation_params.dir, value)
    if path.is_dir():
        raise pytest.UsageError(f"--qualscale-report: {value!r} is a directory; expected a file")
    if not path.parent.is_dir():
        raise pytest.UsageError(
            f"--qualscale-report: the folder of {value!r} does not exist ({path.parent})"
        )
    return path


# --------------------------------------------------------------- kind rules


class _Marks:
    """An expression matcher over an item's markers (``name`` or ``name(key=value)``).

    ``by_name`` lists each name's markers closest first, as ``item.iter_markers()`` does.
    """

    def __init__(self, item: pytest.Item) -> None:
        self.by_name: dict[str, list[pytest.Mark]] = {}
        for mark in item.iter_markers():
            self.by_name.setdefault(mark.name, []).append(mark)

    def __call__(self, name: str, /, **kwargs: object) -> bool:
        missing = object()
        return any(
            all(mark.kwargs.get(key, missing) == value for key, value in kwargs.items())
            for mark in self.by_name.get(name, ())
        )


class _Rule:
    """One line of ``qualscale_kinds``: a kind and either path globs or a marker expression."""

    def __init__(
        self,
        kind: str,
        *,
        path: Callable[[str], bool] | None = None,
        marks: Callable[[_Marks], bool] | None = None,
    ) -> None:
        self.kind = kind
        self.path = path
        self.marks = marks

    def matches(self, path: str, marks: _Marks) -> bool:
        """The test with this file path (relative to rootdir) and markers is of the kind."""
        if self.path is not None:
            return self.path(path)
        return self.marks is not None and self.marks(marks)


def _is_glob(spec: str) -> bool:
    return "/" in spec or "*" in spec or ".py" in spec


def _compile_expression(spec: str) -> Callable[[_Marks], bool]:
    """Compile a marker expression (``perf or benchmark``, ``not slow``, ``db(kind="pg")``).

    Raises:
        ValueError: the expression is malformed.
    """
    try:
        from _pytest.mark.expression import Expression
    except ImportError:  # pragma: no cover - private pytest API, present since pytest 5.4
        names = [part.strip() for part in spec.split(" or ")]
        if not all(name.isidentifier() for name in names):
            raise ValueError("expected marker names joined by 'or'") from None
        return lambda marks: any(marks(name) for name in names)
    try:
        expression = Expression.compile(spec)
    except Exception as exc:  # ParseError before pytest 9, SyntaxError since
        raise ValueError(getattr(exc, "msg", None) or str(exc)) from None
    return expression.evaluate


def _compile_globs(spec: str) -> Callable[[str], bool]:
    patterns = [p + "*" if p.endswith("/") else p for p in spec.split()]
    return lambda path: any(fnmatch.fnmatchcase(path, p) for p in patterns)


def _parse_kinds(config: pytest.Config, kinds: Sequence[str]) -> tuple[list[_Rule], str]:
    """The rules of ``qualscale_kinds`` and the default kind, checked against the scale.

    Raises:
        pytest.UsageError: naming the ini key and every bad line.
    """
    problems: list[str] = []
    rules: list[_Rule] = []
    lines: list[str] = config.getini("qualscale_kinds")
    for number, line in enumerate(lines, 1):
        kind, sep, spec = (part.strip() for part in line.partition(":"))
        where = f"qualscale_kinds line {number} {line!r}"
        if not sep or not kind or not spec:
            problems.append(f"{where}: expected 'kind: marker expression' or 'kind: path glob'")
            continue
        if kind not in kinds:
            problems.append(f"{where}: {_unknown_kind(kind, kinds)}")
            continue
        if _is_glob(spec):
            rules.append(_Rule(kind, path=_compile_globs(spec)))
            continue
        try:
            rules.append(_Rule(kind, marks=_compile_expression(spec)))
        except ValueError as exc:
            problems.append(f"{where}: bad marker expression: {exc}")
    default = str(config.getini("qualscale_default_kind")).strip() or "unit"
    if default not in kinds:
        problems.append(f"qualscale_default_kind: {_unknown_kind(default, kinds)}")
    if problems:
        raise pytest.UsageError("\n".join(problems))
    return rules, default


def _unknown_kind(kind: str, kinds: Sequence[str]) -> str:
    message = f"unknown kind {kind!r}; the scale's kinds are: {', '.join(kinds)}"
    close = difflib.get_close_matches(kind, kinds, n=1)
    return message + (f" (did you mean {close[0]!r}?)" if close else "")


# ----------------------------------------------------------- active session


class _Active:
    """The plugin while a delivery is given: one per session, kept in ``config.stash``."""

    def __init__(
        self,
        config: pytest.Config,
        plan: TestPlan,
        kinds: tuple[str, ...],
        rules: tuple[list[_Rule], str],
        *,
        origin: str,
        select: bool,
        enforce: bool,
        report: Path | None,
    ) -> None:
        self.config = config
        self.plan = plan
        self.kinds = kinds
        self.rules, self.default_kind = rules
        self.origin = origin
        self.select = select
        self.enforce = enforce
        self.report = report
        self.is_worker = hasattr(config, "workerinput")
        self.wanted = {
            r.kind for r in plan.requirements if r.obligation in ("required", "recommended")
        }
        self.kind_markers = [(marker_name(k), k) for k in kinds]
        self.kind_of_node: dict[str, str] = {}
        self.outcomes: dict[str, tuple[str, str]] = {}
        self.deselected: dict[str, int] = {}
        self.deselected_by_us: dict[str, int] = {}
        self.worker_deselected: dict[str, dict[str, int]] | None = None
        self.bad_markers: list[str] = []
        self.verdict: Verdict | None = None
        self.report_error = ""

    # -- kinds

    def kind_of(self, item: pytest.Item) -> str:
        """The kind of ``item``: its ``qualscale_kind`` marker, the first matching
        ``qualscale_kinds`` rule, a marker named after a kind, else the default kind."""
        known = self.kind_of_node.get(item.nodeid)
        if known is not None:
            return known
        kind = self._find_kind(item)
        self.kind_of_node[item.nodeid] = kind
        return kind

    def _find_kind(self, item: pytest.Item) -> str:
        marks = _Marks(item)
        explicit = marks.by_name.get(_KIND_MARKER)
        if explicit:
            mark = explicit[0]  # the closest one
            value = mark.args[0] if mark.args else mark.kwargs.get("kind")
            if value in self.kinds:
                return str(value)
            self.bad_markers.append(
                f"{item.nodeid}: {_KIND_MARKER}({value!r}): {_unknown_kind(str(value), self.kinds)}"
            )
            return self.default_kind
        if self.rules:
            path = _relative(item.path, self.config.rootpath)
            for rule in self.rules:
                if rule.matches(path, marks):
                    return rule.kind
        for marker, kind in self.kind_markers:
            if marker in marks.by_name:
                return kind
        return self.default_kind

    # -- collection

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Give every test its kind (as a user property) and deselect unwanted kinds."""
        keep: list[pytest.Item] = []
        drop: list[pytest.Item] = []
        for item in items:
            kind = self.kind_of(item)
            item.user_properties.append((KIND_PROPERTY, kind))
            (keep if not self.select or kind in self.wanted else drop).append(item)
        if self.bad_markers:
            raise pytest.UsageError("\n".join(self.bad_markers))
        if drop:
            for item in drop:
                kind = self.kind_of(item)
                self.deselected_by_us[kind] = self.deselected_by_us.get(kind, 0) + 1
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        """Count deselected tests per kind, whoever deselects them."""
        for item in items:
            kind = self.kind_of(item)
            self.deselected[kind] = self.deselected.get(kind, 0) + 1

    # -- xdist

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Send the plan to an xdist worker, so every worker selects the same tests."""
        node.workerinput[_WORKER_PLAN] = {
            "plan": self.plan.to_dict(),
            "kinds": list(self.kinds),
            "select": self.select,
        }

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """Take the per-kind deselection counts of a worker (all workers deselect alike)."""
        output: Mapping[str, Any] = getattr(node, "workeroutput", None) or {}
        counts = output.get(_WORKER_DESELECTED)
        if counts is not None and self.worker_deselected is None:
            self.worker_deselected = {
                which: {str(k): int(v) for k, v in counts[which].items()}
                for which in ("all", "select")
            }

    # -- outcomes

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Record the outcome of a test per kind; setup and teardown errors are failures."""
        outcome = report.outcome
        if self.is_worker or (outcome == "passed" and report.when != "call"):
            return  # most reports: a setup or teardown that went well
        if outcome not in _RANK:
            return  # an outcome of another plugin, such as "rerun"
        kind = None
        for name, value in report.user_properties:
            if name == KIND_PROPERTY:
                kind = str(value)
                break
        else:
            kind = self.kind_of_node.get(report.nodeid)
            if kind is None:
                return
        old = self.outcomes.get(report.nodeid)
        if old is None or _RANK[outcome] > _RANK[old[1]]:
            self.outcomes[report.nodeid] = (kind, outcome)

    def evidence(self) -> dict[str, Evidence]:
        """The outcome counts of the session by kind."""
        from qualscale.verification import Evidence

        counts: dict[str, dict[str, int]] = {}
        for kind, outcome in self.outcomes.values():
            per_kind = counts.setdefault(kind, {})
            per_kind[outcome] = per_kind.get(outcome, 0) + 1
        for kind, number in self._deselected("all").items():
            counts.setdefault(kind, {})["deselected"] = number
        return {kind: Evidence(**c) for kind, c in counts.items()}

    # -- end of session

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Judge the evidence, write the report and, when enforcing, fail the session."""
        if self.is_worker:
            self.config.workeroutput[_WORKER_DESELECTED] = {  # type: ignore[attr-defined]
                "all": dict(self.deselected),
                "select": dict(self.deselected_by_us),
            }
            return
        from qualscale._atomic import write_text
        from qualscale.verification import verify

        self.verdict = verify(self.plan, self.evidence())
        if self.report is not None:
            try:
                write_text(self.report, self._report_text(self.report, self.verdict))
            except OSError as exc:
                self.report_error = f"cannot write --qualscale-report {self.report}: {exc}"
                session.exitstatus = pytest.ExitCode.USAGE_ERROR
        if (
            self.enforce
            and not self.verdict.ok
            and not self.config.option.collectonly
            and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _report_text(self, path: Path, verdict: Verdict) -> str:
        if path.suffix.lower() in (".md", ".markdown"):
            return _markdown(self.plan, verdict, self._deselect_reason())
        document = {"plan": self.plan.to_dict(), "verdict": verdict.to_dict()}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def _deselected(self, which: str) -> dict[str, int]:
        """Deselected tests per kind: ``all`` of them, or those ``select``-ed away by us."""
        if self.worker_deselected is not None:
            return self.worker_deselected[which]
        return self.deselected if which == "all" else self.deselected_by_us

    def _deselect_reason(self) -> str:
        selected_away = self._deselected("select")
        if not selected_away:
            return ""
        parts = []
        for kind, number in sorted(selected_away.items()):
            req = self.plan.requirement(kind)
            why = (
                f"{req.obligation} in {self.plan.standard.id}"
                if req is not None
                else f"not in {self.plan.standard.id}"
            )
            parts.append(f"{number} {kind} ({why})")
        return "--qualscale-select deselected " + ", ".join(parts)

    # -- terminal

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        """Name the delivery, the standard and where the plan came from."""
        p = self.plan
        required = ", ".join(p.required_kinds) or "none"
        settings = [f"select {'on' if self.select else 'off'}"]
        settings.append(f"enforce {'on' if self.enforce else 'off'}")
        if self.report is not None:
            settings.append(f"report {self.report.name}")
        return [
            f"qualscale: delivery {p.delivery.id!r}: standard {p.standard.id} "
            f"({p.standard.name}) of {p.scale.name} {p.scale.version}; "
            f"size {p.size}, risk {p.risk}",
            f"qualscale: {self.origin}",
            f"qualscale: requires {required}; {', '.join(settings)}",
        ]

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """The ``qualscale`` section: per kind, the obligation, the counts and the verdict."""
        verdict = self.verdict
        if verdict is None:  # the session ended before sessionfinish (internal error)
            return
        tr = terminalreporter
        tr.write_sep("=", "qualscale")
        p = self.plan
        tr.write_line(
            f"delivery {p.delivery.id!r}: standard {p.standard.id} ({p.standard.name}) "
            f"of {p.scale.name} {p.scale.version}"
        )
        for line in _table(verdict):
            tr.write_line(line)
        reason = self._deselect_reason()
        if reason:
            tr.write_line(reason)
        if self.report_error:
            tr.write_line(f"qualscale: {self.report_error}", red=True, bold=True)
        if verdict.ok:
            tr.write_line("qualscale: every required kind passed", green=True)
            return
        problems = "; ".join(_problem(k) for k in verdict.problems)
        if self.enforce:
            tr.write_line(
                f"qualscale: FAILED by --qualscale-enforce: {problems}", red=True, bold=True
            )
        else:
            tr.write_line(f"qualscale: not met: {problems}", yellow=True)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _problem(entry: KindVerdict) -> str:
    if entry.status == "failed":
        return f"{entry.kind} failed ({entry.evidence.failed} failed)"
    return f"{entry.kind} missing (no passing test)"


_COLUMNS = ("kind", "obligation", "passed", "failed", "skipped", "deselected", "verdict")


def _rows(verdict: Verdict) -> list[tuple[str, ...]]:
    return [
        (
            k.kind,
            k.obligation or "-",
            str(k.evidence.passed),
            str(k.evidence.failed),
            str(k.evidence.skipped),
            str(k.evidence.deselected),
            k.status,
        )
        for k in verdict.kinds
    ]


def _table(verdict: Verdict) -> list[str]:
    rows = [_COLUMNS, *_rows(verdict)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(width) if i in (0, 1, 6) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(plan: TestPlan, verdict: Verdict, deselect_reason: str) -> str:
    p = plan
    status = "met" if verdict.ok else "NOT met"
    lines = [
        f"## qualscale: {_md(p.delivery.id)} - {p.standard.id} {_md(p.standard.name)}",
        "",
        f"**Verdict: {status}.** Scale {_md(p.scale.name)} {_md(p.scale.version)}, "
        f"size {p.size}, risk {p.risk}.",
    ]
    if p.delivery.title:
        lines += ["", f"> {_md(p.delivery.title)}"]
    if not verdict.ok:
        lines += ["", *(f"- {_md(_problem(k))}" for k in verdict.problems)]
    lines += [
        "",
        "| Kind | Obligation | Scope | Where | When | Passed | Failed | Skipped | Deselected "
        "| Verdict |",
        "|---|---|---|---|---|--:|--:|--:|--:|---|",
    ]
    for k in verdict.kinds:
        e = k.evidence
        cells = [
            k.kind,
            k.obligation or "-",
            k.depth or "-",
            k.environment or "-",
            k.gate or "-",
            str(e.passed),
            str(e.failed),
            str(e.skipped),
            str(e.deselected),
            f"**{k.status}**" if not k.ok else k.status,
        ]
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    if deselect_reason:
        lines += ["", _md(deselect_reason)]
    if p.rationale:
        lines += ["", "### Why this standard", ""]
        lines += [f"- `{_md(r.rule)}`: {_md(r.message)}" for r in p.rationale]
    return "\n".join(lines) + "\n"
