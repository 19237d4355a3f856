"""The active plugin's session: kinds of the collected tests, outcomes, verdict, summary.

One :class:`Session` per pytest session, kept in ``config.stash[ACTIVE]`` and registered
as the plugin ``qualscale-active``. Under pytest-xdist the controller makes the plan and
hands it to the workers; the workers tag every report with its kind and send their
deselection counts back; the controller counts the outcomes and judges.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import pytest

from _qualscale_pytestplugin.activities import (
    DEPTH_PROPERTY,
    ENVIRONMENT_PROPERTY,
    Placement,
    judge_session,
)
from _qualscale_pytestplugin.common import KIND_MARKER, WORKER_PLAN
from _qualscale_pytestplugin.kinds import KindRules
from qualscale._files import write_text
from qualscale.judgement import Judgement
from qualscale.planning import TestPlan
from qualscale.render import render_verdict, verdict_problems
from qualscale.scale import Scale
from qualscale.verification import Evidence, Verdict, verify

__all__ = ["ACTIVE", "COLLECTION_ROW", "KIND_PROPERTY", "Session"]

#: The user property every test report carries: the test's kind.
KIND_PROPERTY: Final = KIND_MARKER

#: The row of the verdict that counts what failed or was skipped at collection, of no kind.
COLLECTION_ROW: Final = "(collection)"

_WORKER_DESELECTED: Final = "qualscale_deselected"
_KEPT: Final = ("required", "recommended")
_SELECT_SAID: Final = {
    "discouraged": "select: discouraged kinds deselected",
    "strict": "select strict: only required and recommended kinds kept",
}
# A test counts once, with its worst outcome over setup, call and teardown.
_RANK: Final = {"passed": 0, "skipped": 1, "failed": 2}


class Session:
    """The plugin while a delivery is given: one per session, kept in ``config.stash``."""

    def __init__(
        self,
        config: pytest.Config,
        plan: TestPlan,
        rules: KindRules,
        *,
        origin: str,
        select: str | None,
        enforce: bool,
        report: Path | None,
        scale: Scale | None = None,
        placement: Placement | None = None,
        removed: tuple[str, ...] = (),
    ) -> None:
        self.config = config
        self.plan = plan
        self.rules = rules
        self.origin = origin
        self.select = select
        self.enforce = enforce
        self.report = report
        self.is_worker = hasattr(config, "workerinput")
        # The kinds kept by --qualscale-select: all but the discouraged ones (the default),
        # or only those required or recommended (strict).
        self.unwanted = {r.kind for r in plan.requirements if r.obligation == "discouraged"}
        self.wanted = {r.kind for r in plan.requirements if r.obligation in _KEPT}
        self._parent_marks: dict[str, list[pytest.Mark]] = {}  # per parent node, read once
        # Per parent node, the kind of its tests without telling markers.
        self._kind_of_parent: dict[object, str] = {}
        self._collected: list[pytest.Item] = []  # the tests this process runs
        self._placed: dict[str, tuple[str, str | None]] | None = None  # see _place_again
        # The marker names that can give a test its kind; None: any can (a rule reads markers).
        self._telling_marks: frozenset[str] | None = (
            None
            if any(rule.expression is not None for rule in rules.rules)
            else frozenset({KIND_MARKER, *(marker for _, marker in rules.markers)})
        )
        # Per test: its kind, the depth it proves (None: none) and its worst outcome.
        self.outcomes: dict[str, tuple[str, str | None, str]] = {}
        self.recording = False  # True: reports are recorded as they come (no terminal)
        self.deselected: dict[str, int] = {}
        self.deselected_by_us: dict[str, int] = {}
        self.worker_deselected: dict[str, dict[str, int]] | None = None
        self.bad_markers: list[str] = []
        self.verdict: Verdict | None = None
        self.report_error = ""
        self.scale = scale
        self.placement = placement
        self.removed = removed
        self.judgement: Judgement | None = None
        self.collection: dict[str, int] = {}

    # -- kinds

    def kind_of(self, item: pytest.Item) -> str:
        """The kind of ``item`` (see :meth:`KindRules.kind_of`), found once per test.

        Once found, a test carries its kind as a user property (so do its reports, also
        those an xdist worker sends). A test whose own markers cannot change its kind
        (none, or only such as ``parametrize`` when no kind rule reads markers) has the
        kind of its siblings of that sort: the same file and the same inherited
        markers. It is found once per parent.
        """
        for name, value in item.user_properties:
            if name == KIND_PROPERTY:
                return str(value)
        return self._find_kind(item)

    def _find_kind(self, item: pytest.Item) -> str:
        parent = item.parent if self._like_siblings(item) else None
        kind = self._kind_of_parent.get(parent) if parent is not None else None
        if kind is None:
            try:
                kind = self.rules.kind_of(item, self.config.rootpath, self._parent_marks)
            except ValueError as exc:
                self.bad_markers.append(f"{item.nodeid}: {exc}")
                kind = self.rules.default
            if parent is not None:
                self._kind_of_parent[parent] = kind
        return kind

    def _like_siblings(self, item: pytest.Item) -> bool:
        """Whether ``item``'s own markers leave its kind to its file and parents."""
        own = item.own_markers
        if not own:
            return True
        telling = self._telling_marks
        return telling is not None and telling.isdisjoint([m.name for m in own])

    # -- collection

    def _kept(self, kind: str) -> bool:
        if self.select == "strict":
            return kind in self.wanted
        return kind not in self.unwanted

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Give every test its kind (as a user property) and deselect unwanted kinds."""
        keep: list[pytest.Item] = []
        drop: list[pytest.Item] = []
        root = config.rootpath
        for item in items:
            kind = self._find_kind(item)
            item.user_properties.append((KIND_PROPERTY, kind))
            if self.placement is not None:
                self._place(item, kind, self.placement, root)
            (keep if not self.select or self._kept(kind) else drop).append(item)
        if self.bad_markers:
            raise pytest.UsageError("\n".join(self.bad_markers))
        self._collected = keep
        if drop:
            for item in drop:
                kind = self.kind_of(item)
                self.deselected_by_us[kind] = self.deselected_by_us.get(kind, 0) + 1
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    def _place(self, item: pytest.Item, kind: str, placement: Placement, root: Path) -> None:
        """Tag ``item`` with the depth it proves and the session's environment."""
        depth = placement.depth_of(item, kind, root)
        if depth is not None:
            item.user_properties.append((DEPTH_PROPERTY, depth))
        if placement.environment is not None:
            item.user_properties.append((ENVIRONMENT_PROPERTY, placement.environment))

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        """Count deselected tests per kind, whoever deselects them."""
        for item in items:
            kind = self.kind_of(item)
            self.deselected[kind] = self.deselected.get(kind, 0) + 1

    # -- xdist

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Send the plan to an xdist worker, so every worker selects the same tests."""
        node.workerinput[WORKER_PLAN] = {
            "plan": self.plan.to_dict(),
            "kinds": list(self.rules.kinds),
            "select": self.select,
        }
        if self.placement is not None and self.scale is not None:
            node.workerinput[WORKER_PLAN]["placement"] = {
                "environment": self.placement.environment,
                "gate": self.placement.gate,
                "depths": {k.id: list(k.depth_ids) for k in self.scale.kinds},
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

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """Count modules skipped or broken at collection: they belong to no kind."""
        if self.is_worker or report.outcome == "passed":
            return
        self.collection[report.outcome] = self.collection.get(report.outcome, 0) + 1

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Without a terminal reporter to keep the reports, record each as it comes."""
        if not self.is_worker and self._stats() is None:
            self.config.pluginmanager.register(_Recorder(self), "qualscale-recorder")
            self.recording = True

    def _stats(self) -> dict[str, list[Any]] | None:
        """The reports pytest's terminal reporter keeps, by category (``None``: no reporter)."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        stats = getattr(reporter, "stats", None)
        return stats if isinstance(stats, dict) else None

    def _reports(self) -> list[pytest.TestReport] | None:
        """Every test report of the session that can change an outcome, from :meth:`_stats`.

        Reading them once at the end costs the session nothing per test: a hook of ours
        on each of the three reports of every test would (``None``: no reporter).
        """
        stats = self._stats()
        if stats is None:
            return None
        # Under "" the reporter keeps the passed setups and teardowns, most of all the
        # reports, which change no outcome (see :meth:`record`): they are not read. Quiet
        # subtest reports are kept there too, whatever their outcome: those are.
        test_report = pytest.TestReport
        reports: list[pytest.TestReport] = []
        for category, found in stats.items():
            if category:
                reports += [r for r in found if isinstance(r, test_report)]
            else:
                reports += [
                    r
                    for r in found
                    if isinstance(r, test_report) and (r.when == "call" or r.outcome != "passed")
                ]
        return reports

    def record(self, report: pytest.TestReport) -> None:
        """Record the outcome of a test per kind; setup and teardown errors are failures."""
        outcome = report.outcome
        if outcome == "passed" and report.when != "call":
            return  # most reports: a setup or teardown that went well
        if outcome not in _RANK:
            return  # an outcome of another plugin, such as "rerun"
        # Every test carries its kind (and depth) as user properties, and so do its
        # reports: those of this process and those an xdist worker sends alike. The
        # first of each counts, as in :meth:`kind_of`.
        kind = depth = None
        for name, value in report.user_properties:
            if name == KIND_PROPERTY and kind is None:
                kind = str(value)
            elif name == DEPTH_PROPERTY and depth is None:
                depth = str(value)
        if kind is None:
            found = self._place_again(report.nodeid)
            if found is None:
                return  # not a test of this session's collection
            kind, depth = found
        nodeid = report.nodeid  # a property that builds the string: read once
        old = self.outcomes.get(nodeid)
        if old is None or _RANK[outcome] > _RANK[old[2]]:
            self.outcomes[nodeid] = (kind, depth, outcome)

    def _place_again(self, nodeid: str) -> tuple[str, str | None] | None:
        """The kind and depth of a test run here whose user properties were taken away.

        A test or fixture may clear ``user_properties``; its report then says nothing.
        The tests of this process are looked up once, the first time that happens.
        """
        if self._placed is None:
            root = self.config.rootpath
            self._placed = {}
            for item in self._collected:
                kind = self.kind_of(item)
                depth = None
                if self.placement is not None:
                    depth = self.placement.depth_of(item, kind, root)
                self._placed[item.nodeid] = (kind, depth)
        return self._placed.get(nodeid)

    def tally(self) -> Counter[tuple[str, str | None, str]]:
        """How many tests of each kind and depth ended with each outcome (a test once)."""
        return Counter(self.outcomes.values())

    def evidence(self, tally: Counter[tuple[str, str | None, str]]) -> dict[str, Evidence]:
        """The outcome counts of the session by kind, from its :meth:`tally`."""
        counts: dict[str, dict[str, int]] = {}
        for (kind, _, outcome), number in tally.items():
            per_kind = counts.setdefault(kind, {})
            per_kind[outcome] = per_kind.get(outcome, 0) + number
        for kind, number in self._deselected("all").items():
            counts.setdefault(kind, {})["deselected"] = number
        if self.collection:
            counts[COLLECTION_ROW] = dict(self.collection)
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
        if not self.recording:
            for report in self._reports() or ():
                self.record(report)
        # The per-kind tally shows the counts (they match pytest's own); the verdict is
        # the judgement by activity, as ``qualscale verify`` makes it.
        tally = self.tally()
        self.verdict = verify(self.plan, self.evidence(tally))
        if self.placement is not None and self.scale is not None:
            import datetime

            today = datetime.date.today().isoformat()
            self.judgement = judge_session(self.plan, self.scale, tally, self.placement, today)
        if self.report is not None:
            try:
                write_text(self.report, self._report_text(self.report, self.verdict))
            except OSError as exc:
                self.report_error = f"cannot write --qualscale-report {self.report}: {exc}"
                session.exitstatus = pytest.ExitCode.USAGE_ERROR
        ok = self.verdict.ok if self.judgement is None else self.judgement.ok
        if (
            self.enforce
            and not ok
            and not self.config.option.collectonly
            and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _report_text(self, path: Path, verdict: Verdict) -> str:
        if path.suffix.lower() in (".md", ".markdown"):
            return self._markdown(verdict)
        document: dict[str, Any] = {"plan": self.plan.to_dict(), "verdict": verdict.to_dict()}
        if self.placement is not None:
            document["environment"] = self.placement.environment
        if self.judgement is not None:
            document["judgement"] = self.judgement.to_dict()
        if self.removed:
            document["removed_by_hook"] = list(self.removed)
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def _markdown(self, verdict: Verdict) -> str:
        """The Markdown report: the verdict by activity, then the counts per kind."""
        counts = render_verdict(self.plan, verdict, "markdown", note=self._deselect_reason())
        if self.judgement is None:
            return counts
        from qualscale._judgement_reports import judgement_markdown

        text = judgement_markdown(self.judgement)
        if self.removed:
            text += "\npytest_qualscale_plan removed: " + ", ".join(self.removed) + "\n"
        table = counts[counts.index("| Kind") :] if "| Kind" in counts else counts
        return text + "\n### Tests per kind\n\n" + table

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
        option = "--qualscale-select=strict" if self.select == "strict" else "--qualscale-select"
        return f"{option} deselected " + ", ".join(parts)

    # -- terminal

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        """Name the delivery, the standard and where the plan came from."""
        p = self.plan
        required = ", ".join(p.required_kinds) or "none"
        settings = [_SELECT_SAID.get(self.select or "", "select off")]
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
        text = render_verdict(self.plan, verdict, "text", note=self._deselect_reason())
        for line in text.splitlines():
            tr.write_line(line)
        if self.removed:
            tr.write_line(
                "qualscale: pytest_qualscale_plan removed: " + ", ".join(self.removed), yellow=True
            )
        if self.judgement is not None:
            self._judgement_summary(tr, self.judgement)
            return
        if self.report_error:
            tr.write_line(f"qualscale: {self.report_error}", red=True, bold=True)
        if verdict.ok:
            tr.write_line("qualscale: every required kind passed", green=True)
            return
        self._write_unmet(tr, verdict_problems(verdict))

    def _judgement_summary(self, tr: pytest.TerminalReporter, judgement: Judgement) -> None:
        """The verdict per activity; the session fails on it when enforcing."""
        from qualscale._judgement_reports import judgement_text
        from qualscale.judgement import unmet_phrases

        for line in judgement_text(judgement).splitlines()[:-1]:
            tr.write_line(line)
        if self.report_error:
            tr.write_line(f"qualscale: {self.report_error}", red=True, bold=True)
        later = ", ".join(a.id for a in judgement.due_later)
        if judgement.ok:
            tr.write_line("qualscale: every activity due passed", green=True)
            if later:
                tr.write_line(f"qualscale: due later: {later}")
            return
        self._write_unmet(tr, unmet_phrases(judgement))

    def _write_unmet(self, tr: pytest.TerminalReporter, problems: Sequence[str]) -> None:
        """What is not met, as a failure when enforcing, else as a warning."""
        text = "; ".join(problems)
        if self.enforce:
            tr.write_line(f"qualscale: FAILED by --qualscale-enforce: {text}", red=True, bold=True)
        else:
            tr.write_line(f"qualscale: not met: {text}", yellow=True)


class _Recorder:
    """Records each test report as it comes, for sessions without a terminal reporter."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Hand the report to the session."""
        self.session.record(report)


#: Where the active session lives: ``config.stash[ACTIVE]``.
ACTIVE: Final = pytest.StashKey[Session]()
