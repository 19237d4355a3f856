"""The pytest plugin, end to end with pytester: plans, selection, verdicts, reports, xdist."""

from __future__ import annotations

import ast
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import _qualscale_pytestplugin
import qualscale
from _qualscale_pytestplugin.common import DEFAULT_KINDS, marker_name

# pytester's in-process runs restore sys.modules after each run, so a module first
# imported inside a run is imported afresh by the next one - and yaml's C extension
# keeps making the node classes of the first import. Load the core out here, once.
from qualscale import _yaml, git, loading, verification  # noqa: F401  # isort: skip
from _qualscale_pytestplugin import activate, session  # noqa: F401  # isort: skip
import yaml  # noqa: F401  # isort: skip  # qualscale imports it lazily: load it out here too

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

#: Subprocess runs skip the hypothesis plugin: it is slow to import and not under test.
NO_HYPOTHESIS = ("-p", "no:hypothesispytest")

TYPO = """\
id: DOC-12
title: Fix a typo in the README
type: docs
changes: {lines_added: 1, lines_removed: 1, files: 1}
paths: [README.md]
"""

MONEY = """\
id: MR-481
title: New VAT rounding in rating and invoicing
type: feature
changes: {lines_added: 840, lines_removed: 160, files: 31}
paths: [src/rating/vat.py, src/invoicing/lines.py]
flags: [money]
"""

ROUTINE = """\
id: MR-7
title: Small string helper fix
type: bugfix
changes: {lines_added: 30, lines_removed: 5, files: 2}
paths: [src/util/strings.py]
"""

#: The unit tests prove the depths the plans ask for (a plain test proves only the shallowest).
UNIT_DEPTHS = ("-o", "qualscale_depths=unit/mutation: test_unit.py")
ROUTINE_DEPTHS = ("-o", "qualscale_depths=unit/changed-lines: test_unit.py")

TESTS = {
    "test_unit": """\
        def test_add():
            assert 1 + 1 == 2

        def test_sub():
            assert 2 - 1 == 1
        """,
    "test_regression": """\
        import pytest

        @pytest.mark.regression
        def test_invoice_total():
            assert {ok}
        """,
    "test_performance": """\
        import pytest

        pytestmark = pytest.mark.performance

        def test_rating_throughput():
            pass

        def test_invoice_run_time():
            pass
        """,
    "test_others": """\
        import pytest

        @pytest.mark.integration
        def test_kafka_contract():
            pass

        @pytest.mark.security
        def test_tenant_isolation():
            pass

        @pytest.mark.acceptance
        def test_key_user_scenario():
            pass

        @pytest.mark.data_validation
        def test_reconciliation():
            pass
        """,
}


def make_project(pytester: pytest.Pytester, *, regression_ok: bool = True) -> None:
    """A small suite with tests of every default kind, and two delivery files."""
    for name, source in TESTS.items():
        text = textwrap.dedent(source).replace("{ok}", str(regression_ok))
        pytester.makepyfile(**{name: text})
    pytester.makefile(".yaml", typo=TYPO, money=MONEY, routine=ROUTINE)


def report(pytester: pytest.Pytester, name: str = "report.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pytester.path / name).read_text(encoding="utf-8"))
    return data


def counts(document: dict[str, Any]) -> dict[str, tuple[int, int, int, int, str]]:
    """Per kind of a JSON report: passed, failed, skipped, deselected and the status."""
    return {
        k["kind"]: (k["passed"], k["failed"], k["skipped"], k["deselected"], k["status"])
        for k in document["verdict"]["kinds"]
    }


def mentions_qualscale(result: pytest.RunResult) -> bool:
    """The output has a qualscale header line or summary section."""
    return any(line.startswith("qualscale:") or " qualscale " in line for line in result.outlines)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    make_project(pytester)
    return pytester


# ------------------------------------------------------------- idle plugin


def test_idle_plugin_adds_no_header_and_no_summary(project: pytest.Pytester) -> None:
    """Without a delivery a configured project runs as if qualscale were not there."""
    project.makeini("[pytest]\nqualscale_select = true\n")
    result = project.runpytest()
    result.assert_outcomes(passed=9)
    assert not mentions_qualscale(result)


@pytest.mark.parametrize("ini", ["", "[pytest]\nqualscale_select = true\n"])
def test_idle_plugin_imports_nothing_of_the_core(pytester: pytest.Pytester, ini: str) -> None:
    """Idle, configured or not, the plugin loads its front door and nothing of qualscale."""
    if ini:
        pytester.makeini(ini)
    pytester.makeconftest(
        """
        import json, sys

        def pytest_sessionfinish(session):
            heavy = ("qualscale", "attrs", "cattrs", "yaml", "jinja2")
            loaded = [m for m in sys.modules if m.split(".")[0] in heavy]
            plugin = "_qualscale_pytestplugin" in sys.modules
            with open("modules.json", "w") as stream:
                json.dump({"loaded": sorted(loaded), "plugin": plugin}, stream)
        """
    )
    pytester.makepyfile("def test_one(): pass")
    result = pytester.runpytest_subprocess(*NO_HYPOTHESIS)
    result.assert_outcomes(passed=1)
    modules = json.loads((pytester.path / "modules.json").read_text())
    assert modules == {"loaded": [], "plugin": True}


UNIT_TEST = """
import pytest

@pytest.mark.unit
def test_one():
    pass
"""


def test_installed_but_unconfigured_plugin_registers_no_markers(pytester: pytest.Pytester) -> None:
    """Installation alone declares no marker, so --strict-markers still catches ``unit``."""
    pytester.makepyfile(UNIT_TEST)
    # In a subprocess: pytest.mark remembers the markers of earlier in-process runs.
    result = pytester.runpytest_subprocess("--strict-markers", *NO_HYPOTHESIS)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*'unit' not found in `markers` configuration option*"])


@pytest.mark.parametrize(
    ("ini", "conftest"),
    [
        ("qualscale_default_kind = unit", ""),
        ("qualscale_select = false", ""),
        ("qualscale_kinds =\n    performance: perf", ""),
        ("", "def pytest_qualscale_delivery(config):\n    return None\n"),
    ],
    ids=["default-kind", "select-false", "kinds", "delivery-hook"],
)
def test_configured_project_gets_the_kind_markers_while_idle(
    pytester: pytest.Pytester, ini: str, conftest: str
) -> None:
    """Any qualscale ini key, or a qualscale hook, declares the kind markers without a delivery."""
    pytester.makeini(f"[pytest]\n{ini}\nmarkers = perf: a performance test\n")
    if conftest:
        pytester.makeconftest(conftest)
    pytester.makepyfile(UNIT_TEST)
    result = pytester.runpytest_subprocess("--strict-markers", *NO_HYPOTHESIS)
    result.assert_outcomes(passed=1)
    assert not mentions_qualscale(result)


def test_an_ini_override_configures_qualscale(pytester: pytest.Pytester) -> None:
    """``-o qualscale_select=true`` on the command line counts as configuring qualscale."""
    pytester.makepyfile(UNIT_TEST)
    result = pytester.runpytest_subprocess(
        "--strict-markers", "-o", "qualscale_select=true", *NO_HYPOTHESIS
    )
    result.assert_outcomes(passed=1)


def test_configured_explicit_kind_marker_is_declared(project: pytest.Pytester) -> None:
    """A configured project may use ``qualscale_kind(...)`` under --strict-markers while idle."""
    project.makeini("[pytest]\nqualscale_enforce = true\n")
    project.makepyfile(
        test_explicit="""
        import pytest

        @pytest.mark.qualscale_kind("security")
        def test_marked():
            pass
        """
    )
    result = project.runpytest("--strict-markers")
    result.assert_outcomes(passed=10)


def test_every_default_kind_has_a_marker(pytester: pytest.Pytester) -> None:
    """``pytest --markers`` of a configured project lists every default kind's marker."""
    pytester.makeini("[pytest]\nqualscale_select = true\n")
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines([f"@pytest.mark.{marker_name(k)}: *" for k in DEFAULT_KINDS])
    result.stdout.fnmatch_lines(["@pytest.mark.qualscale_kind(kind): *"])


def test_unconfigured_project_lists_no_qualscale_markers(pytester: pytest.Pytester) -> None:
    """``pytest --markers`` of a project that does not use qualscale shows none of its markers."""
    result = pytester.runpytest("--markers")
    assert "(qualscale)" not in result.stdout.str()
    assert "qualscale_kind" not in result.stdout.str()


def test_marker_name_replaces_dashes() -> None:
    """A kind's marker name has underscores for dashes."""
    assert marker_name("data-validation") == "data_validation"


# ------------------------------------------------------- header and summary


def test_header_names_delivery_standard_and_source(project: pytest.Pytester) -> None:
    """The header names the delivery, its standard, where both came from and the modes."""
    result = project.runpytest("--qualscale-delivery", "typo.yaml")
    result.stdout.fnmatch_lines(
        [
            "qualscale: delivery 'DOC-12': standard S1 (Basic) of billing-saas 1.0; "
            "size trivial, risk low",
            "qualscale: delivery from file typo.yaml, scale billing-saas (bundled)",
            "qualscale: requires unit; select off, enforce off",
        ]
    )


def test_summary_lists_every_kind_with_counts_and_verdict(project: pytest.Pytester) -> None:
    """The summary lists every kind with obligation, counts and verdict, then the outcome."""
    result = project.runpytest("--qualscale-delivery", "typo.yaml")
    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines(
        [
            "*= qualscale =*",
            "delivery 'DOC-12': standard S1 (Basic) of billing-saas 1.0",
            "kind *obligation *passed *failed *skipped *deselected *verdict",
            "unit *required *2 *0 *0 *0 *passed",
            "regression *recommended *1 *0 *0 *0 *passed",
            "performance *discouraged *2 *0 *0 *0 *passed",
            "acceptance *- *1 *0 *0 *0 *passed",
            "data-validation *- *1 *0 *0 *0 *passed",
            "integration *- *1 *0 *0 *0 *passed",
            "security *- *1 *0 *0 *0 *passed",
            "delivery 'DOC-12': standard S1 (Basic) of billing-saas 1.0 in ci",
            "*passed *unit/suite@ci - required; 2 passed, 0 failed",
            "qualscale: every activity due passed",
        ]
    )


# -------------------------------------------------------------- selection


def test_select_deselects_only_the_discouraged_performance_tests_for_a_docs_typo(
    project: pytest.Pytester,
) -> None:
    """--qualscale-select deselects only the kinds the plan discourages; the header says so."""
    result = project.runpytest("--qualscale-delivery", "typo.yaml", "--qualscale-select", "-v")
    result.assert_outcomes(passed=7, deselected=2)
    result.stdout.fnmatch_lines(
        [
            "qualscale: requires unit; select: discouraged kinds deselected, enforce off",
            "performance *discouraged *0 *0 *0 *2 *not-required",
            "--qualscale-select deselected 2 performance (discouraged in S1)",
        ]
    )


def test_select_keeps_the_integration_tests_s1_does_not_name(project: pytest.Pytester) -> None:
    """At S1 (the existing suite stays green) the integration tests are not deselected."""
    result = project.runpytest("--qualscale-delivery", "typo.yaml", "--qualscale-select", "-v")
    result.stdout.fnmatch_lines(["test_others.py::test_kafka_contract PASSED*"])
    result.stdout.fnmatch_lines(["integration *- *1 *0 *0 *0 *passed"])


def test_select_strict_keeps_only_required_and_recommended_kinds(
    project: pytest.Pytester,
) -> None:
    """--qualscale-select=strict deselects the kinds the standard omits or discourages."""
    result = project.runpytest(
        "--qualscale-delivery", "typo.yaml", "--qualscale-select=strict", "-v"
    )
    result.assert_outcomes(passed=3, deselected=6)
    ran = {line.split(" ")[0] for line in result.stdout.lines if " PASSED" in line}
    assert ran == {
        "test_regression.py::test_invoice_total",
        "test_unit.py::test_add",
        "test_unit.py::test_sub",
    }
    result.stdout.fnmatch_lines(
        [
            "qualscale: requires unit; select strict: only required and recommended kinds kept, "
            "enforce off",
            "performance *discouraged *0 *0 *0 *2 *not-required",
            "--qualscale-select=strict deselected 1 acceptance (not in S1), 1 data-validation "
            "(not in S1), 1 integration (not in S1), 2 performance (discouraged in S1), "
            "1 security (not in S1)",
        ]
    )


def test_select_keeps_every_kind_the_money_delivery_asks_for(project: pytest.Pytester) -> None:
    """--qualscale-select=strict keeps every test when the standard asks for every kind."""
    result = project.runpytest("--qualscale-delivery", "money.yaml", "--qualscale-select=strict")
    result.assert_outcomes(passed=9)


@pytest.mark.parametrize(
    ("value", "passed", "deselected"),
    [("true", 7, 2), ("discouraged", 7, 2), ("strict", 3, 6), ("false", 9, 0)],
)
def test_select_from_the_ini_file(
    project: pytest.Pytester, value: str, passed: int, deselected: int
) -> None:
    """qualscale_select in the ini file selects like the option: true, strict or false."""
    project.makeini(f"[pytest]\nqualscale_select = {value}\n")
    result = project.runpytest("--qualscale-delivery", "typo.yaml")
    result.assert_outcomes(passed=passed, deselected=deselected)


def test_deselection_by_others_is_counted_per_kind(project: pytest.Pytester) -> None:
    """Tests deselected by -k are counted as deselected in their kind."""
    project.runpytest(
        "--qualscale-delivery", "typo.yaml", "-k", "not throughput", "--qualscale-report=r.json"
    )
    assert counts(report(project, "r.json"))["performance"] == (1, 0, 0, 1, "passed")


# ---------------------------------------------------------------- enforce


def test_enforce_passes_when_every_required_kind_passed(project: pytest.Pytester) -> None:
    """--qualscale-enforce passes when every activity due in the session's environment passed."""
    result = project.runpytest(
        "--qualscale-delivery", "money.yaml", "--qualscale-enforce", *UNIT_DEPTHS
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "qualscale: every activity due passed",
            "qualscale: due later: integration/end-to-end@pre-production, *",
        ]
    )


def test_enforce_fails_when_the_regression_test_fails(pytester: pytest.Pytester) -> None:
    """--qualscale-enforce fails the session when an activity due has a failure."""
    make_project(pytester, regression_ok=False)
    result = pytester.runpytest(
        "--qualscale-delivery", "routine.yaml", "--qualscale-enforce", *ROUTINE_DEPTHS
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "regression *required *0 *1 *0 *0 *failed",
            "qualscale: FAILED by --qualscale-enforce: regression/smoke@ci failed",
        ]
    )


def test_enforce_fails_without_performance_tests_for_the_money_delivery(
    project: pytest.Pytester,
) -> None:
    """--qualscale-enforce fails the session when an activity due has no tests."""
    (project.path / "test_performance.py").unlink()
    result = project.runpytest(
        "--qualscale-delivery",
        "money.yaml",
        "--qualscale-enforce",
        "--qualscale-environment=pre-production",
    )
    result.assert_outcomes(passed=7)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "performance *required *0 *0 *0 *0 *missing",
            "qualscale: FAILED by --qualscale-enforce: *"
            "performance/stress@pre-production missing (no evidence)*",
        ]
    )


def test_without_enforce_a_missing_kind_only_warns(project: pytest.Pytester) -> None:
    """Without --qualscale-enforce a missing activity due is reported but passes."""
    (project.path / "test_performance.py").unlink()
    result = project.runpytest(
        "--qualscale-delivery", "money.yaml", "--qualscale-environment=pre-production"
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["qualscale: not met: *performance/stress@pre-production missing (no evidence)*"]
    )


def test_enforce_fails_when_every_test_is_deselected(project: pytest.Pytester) -> None:
    """--qualscale-enforce fails the session when every test is deselected."""
    result = project.runpytest(
        "--qualscale-delivery", "typo.yaml", "--qualscale-enforce", "-k", "nothing_matches"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_setup_and_teardown_errors_fail_their_kind(pytester: pytest.Pytester) -> None:
    """Setup and teardown errors count as failures; xfail and skip count as skipped."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture
        def broken():
            raise RuntimeError("no database")

        @pytest.fixture
        def leaky():
            yield
            raise RuntimeError("left a file")

        def test_ok():
            pass

        def test_setup(broken):
            pass

        @pytest.mark.regression
        def test_teardown(leaky):
            pass

        @pytest.mark.xfail(reason="known")
        def test_known():
            assert False

        @pytest.mark.skip(reason="later")
        def test_later():
            pass
        """
    )
    pytester.makefile(".yaml", typo=TYPO)
    pytester.runpytest("--qualscale-delivery", "typo.yaml", "--qualscale-report", "r.json")
    assert counts(report(pytester, "r.json")) == {
        "unit": (1, 1, 2, 0, "failed"),
        "regression": (0, 1, 0, 0, "failed"),
        "performance": (0, 0, 0, 0, "not-required"),
    }


# ---------------------------------------------------------------- reports


def test_json_report_holds_plan_and_verdict(project: pytest.Pytester) -> None:
    """The JSON report holds the plan and the verdict per kind, written atomically."""
    project.runpytest("--qualscale-delivery", "money.yaml", "--qualscale-report", "out.json")
    document = report(project, "out.json")
    plan = qualscale.TestPlan.from_dict(document["plan"])
    assert plan.delivery.id == "MR-481"
    assert document["verdict"]["ok"] is True
    assert set(counts(document)) == set(DEFAULT_KINDS)
    assert counts(document)["performance"] == (2, 0, 0, 0, "passed")
    assert not list(project.path.glob(".out.json.*"))  # no temporary file left behind


def test_markdown_report_is_a_job_summary(project: pytest.Pytester) -> None:
    """The Markdown report is a job summary: decision, what is missing, tables and reasons."""
    (project.path / "test_performance.py").unlink()
    project.runpytest(
        "--qualscale-delivery",
        "money.yaml",
        "--qualscale-environment=pre-production",
        "--qualscale-report",
        "summary.md",
    )
    text = (project.path / "summary.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("## qualscale verify: MR-481 - S")
    assert lines[2].startswith("**Decision: no-go")
    assert "- **performance/stress@pre-production**: missing (no evidence)" in lines
    assert "### Tests per kind" in lines
    header = (
        "| Kind | Obligation | Depth | Environment | Gate "
        "| Passed | Failed | Skipped | Deselected |"
    )
    assert any(line.startswith(header) for line in lines)
    row = next(line for line in lines if line.startswith("| performance |"))
    assert row.endswith("| 0 | 0 | 0 | 0 | **missing** |")
    assert "### Why this standard" in lines


def test_unwritable_report_is_reported_and_fails_the_session(project: pytest.Pytester) -> None:
    """A report that cannot be written at the end fails the session with a usage error."""
    (project.path / "out").mkdir()
    project.makepyfile(test_cleanup="import shutil\n\ndef test_rm(): shutil.rmtree('out')\n")
    result = project.runpytest(
        "--qualscale-delivery=typo.yaml", "--qualscale-report=out/report.json"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["qualscale: cannot write --qualscale-report *report.json: *"])


def test_report_into_a_directory_is_a_usage_error(project: pytest.Pytester) -> None:
    """A report path that is a directory is a usage error at start."""
    (project.path / "report.md").mkdir()
    result = project.runpytest("--qualscale-delivery=typo.yaml", "--qualscale-report=report.md")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --qualscale-report: 'report.md' is a directory*"])


# ------------------------------------------------------------------ xdist


def test_xdist_gives_the_same_selection_and_counts(project: pytest.Pytester) -> None:
    """Under xdist the selection and the counts equal those of a serial run."""
    args = ["--qualscale-delivery", "typo.yaml", "--qualscale-select"]
    project.runpytest(*args, "--qualscale-report", "serial.json")
    result = project.runpytest_subprocess(
        *args, *NO_HYPOTHESIS, "-n", "2", "--qualscale-report", "xdist.json"
    )
    result.assert_outcomes(passed=7)
    assert counts(report(project, "xdist.json")) == counts(report(project, "serial.json"))
    result.stdout.fnmatch_lines(["--qualscale-select deselected 2 performance (discouraged in S1)"])


def test_xdist_counts_failures_and_enforces(pytester: pytest.Pytester) -> None:
    """Under xdist failures are counted and --qualscale-enforce fails the session."""
    make_project(pytester, regression_ok=False)
    result = pytester.runpytest_subprocess(
        "--qualscale-delivery",
        "routine.yaml",
        "--qualscale-enforce",
        *ROUTINE_DEPTHS,
        *NO_HYPOTHESIS,
        "-n",
        "2",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "unit *required *2 *0 *0 *0 *passed",
            "regression *required *0 *1 *0 *0 *failed",
            "qualscale: FAILED by --qualscale-enforce: regression/smoke@ci failed",
        ]
    )


# ------------------------------------------------------------ bad values


@pytest.mark.parametrize(
    ("args", "files", "message"),
    [
        (
            ["--qualscale-delivery", "missing.yaml"],
            {},
            "ERROR: --qualscale-delivery: missing.yaml: $: file not found",
        ),
        (
            ["--qualscale-delivery", "bad.yaml"],
            {"bad": "id: X\nchanges:\n  lines_added: -3\n"},
            "ERROR: --qualscale-delivery: bad.yaml:3: $.changes.lines_added: *non-negative*",
        ),
        (
            ["--qualscale-delivery", "typo.yaml", "--qualscale-scale", "nope"],
            {"typo": TYPO},
            "ERROR: --qualscale-scale: unknown scale 'nope'; bundled scales: *",
        ),
        (
            ["--qualscale-delivery", "typo.yaml", "--qualscale-history", "none.yaml"],
            {"typo": TYPO},
            "ERROR: --qualscale-history: none.yaml: $: file not found",
        ),
        (
            ["--qualscale-delivery", "typo.yaml", "--qualscale-git", "HEAD"],
            {"typo": TYPO},
            "ERROR: --qualscale-delivery and --qualscale-git both given; give one of them",
        ),
        (
            ["--qualscale-enforce"],
            {},
            "ERROR: --qualscale-enforce needs a delivery: give --qualscale-delivery FILE or *",
        ),
        (
            ["--qualscale-delivery", "typo.yaml", "--qualscale-report", "no/such/dir/r.md"],
            {"typo": TYPO},
            "ERROR: --qualscale-report: the folder of 'no/such/dir/r.md' does not exist *",
        ),
        (
            ["--qualscale-delivery", "flags.yaml"],
            {"flags": "id: X\nflags: [moneyy]\n"},
            "ERROR: --qualscale-delivery: *unknown flag 'moneyy'*",
        ),
    ],
)
def test_bad_values_are_usage_errors_naming_the_option(
    pytester: pytest.Pytester, args: list[str], files: dict[str, str], message: str
) -> None:
    """Each bad option value is a usage error naming the option and the problem."""
    if files:
        pytester.makefile(".yaml", **files)
    pytester.makepyfile("def test_one(): pass")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_warns_when_a_path_value_moved_the_rootdir(pytester: pytest.Pytester) -> None:
    """An outside path after a space warns that it moved the rootdir; after '=' it does not."""
    # pytest-dev/pytest#8846: "--opt FILE" with FILE outside the project moves the rootdir.
    pytester.makeini("[pytest]\naddopts = -m 'not slow'\nmarkers = slow: slow\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.slow
        def test_slow(): pass

        def test_fast(): pass
        """
    )
    outside = pytester.path.parent / f"{pytester.path.name}-outside"
    outside.mkdir()
    (outside / "typo.yaml").write_text(TYPO, encoding="utf-8")
    result = pytester.runpytest("--qualscale-delivery", str(outside / "typo.yaml"))
    result.stdout.fnmatch_lines(
        [f"*PytestConfigWarning: --qualscale-delivery {outside}/typo.yaml: pytest read *"]
    )
    result = pytester.runpytest(f"--qualscale-delivery={outside / 'typo.yaml'}")
    result.assert_outcomes(passed=1, deselected=1)
    assert "PytestConfigWarning" not in result.stdout.str()


def test_corrections_reach_the_plan_and_its_rationale(project: pytest.Pytester) -> None:
    """--qualscale-type and --qualscale-flag correct the delivery as `qualscale plan` does."""
    result = project.runpytest(
        "--qualscale-delivery",
        "typo.yaml",
        "--qualscale-type=hotfix",
        "--qualscale-flag=security",
    )
    result.stdout.fnmatch_lines(
        ["qualscale: delivery 'DOC-12': standard S2 (Standard) of billing-saas 1.0; *risk high"]
    )


def test_an_unknown_correction_is_a_usage_error_naming_the_option(
    project: pytest.Pytester,
) -> None:
    """An unknown --qualscale-flag is a usage error with the plugin's option name."""
    result = project.runpytest("--qualscale-delivery", "typo.yaml", "--qualscale-flag=mony")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --qualscale-flag 'mony': unknown flag; *money*"])


def test_bad_git_range_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """A bad --qualscale-git range is a usage error naming the option and range."""
    pytester.makepyfile("def test_one(): pass")
    result = pytester.runpytest("--qualscale-git", "no-such-rev..HEAD")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --qualscale-git no-such-rev..HEAD: *"])


def test_git_range_gives_the_delivery(pytester: pytest.Pytester) -> None:
    """--qualscale-git reads the delivery from a commit of the repository."""

    def run_git(*args: str) -> None:
        config = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
        pytester.run("git", "-c", "init.defaultBranch=main", *config, *args)

    pytester.makepyfile("def test_one(): pass")
    run_git("init", "-q")
    run_git("add", "-A")
    run_git("commit", "-q", "-m", "Add a test")
    (pytester.path / "README.md").write_text("typo fixed\n")
    run_git("add", "-A")
    run_git("commit", "-q", "-m", "docs: fix a typo")
    result = pytester.runpytest("--qualscale-git", "HEAD")
    result.stdout.fnmatch_lines(
        ["qualscale: delivery '*': standard S1 (Basic)*", "qualscale: delivery from git HEAD, *"]
    )


# ---------------------------------------------------------- ini and kinds


def test_ini_kinds_by_marker_expression_and_path_glob(pytester: pytest.Pytester) -> None:
    """qualscale_kinds assigns kinds by marker expression, folder and path glob."""
    pytester.makeini(
        """
        [pytest]
        markers =
            perf: a performance test
            benchmark: a benchmark
        qualscale_kinds =
            performance: perf or benchmark
            regression: tests/regression/
            security: tests/*_sec.py
        """
    )
    pytester.makepyfile(
        **{
            "tests/regression/test_flows": "def test_flow(): pass",
            "tests/test_auth_sec": "def test_auth(): pass",
            "tests/test_speed": """
                import pytest

                @pytest.mark.perf
                def test_rate(): pass

                @pytest.mark.benchmark
                def test_bench(): pass

                def test_plain(): pass
                """,
        }
    )
    pytester.makefile(".yaml", typo=TYPO)
    result = pytester.runpytest(
        "--strict-markers", "--qualscale-delivery", "typo.yaml", "--qualscale-report", "r.json"
    )
    result.assert_outcomes(passed=5)
    assert counts(report(pytester, "r.json")) == {
        "unit": (1, 0, 0, 0, "passed"),
        "regression": (1, 0, 0, 0, "passed"),
        "performance": (2, 0, 0, 0, "passed"),
        "security": (1, 0, 0, 0, "passed"),
    }


def test_path_rules_use_the_glob_dialect_of_the_scale(pytester: pytest.Pytester) -> None:
    """``*`` stays in its folder, ``**`` crosses folders, a bare name matches anywhere."""
    pytester.makeini(
        """
        [pytest]
        qualscale_kinds =
            performance: tests/perf/*.py
            regression: tests/slow/**
            security: *_sec.py
        """
    )
    pytester.makepyfile(
        **{
            "tests/perf/test_rate": "def test_rate(): pass",
            "tests/perf/deep/test_deep": "def test_deep(): pass",
            "tests/slow/a/b/test_long": "def test_long(): pass",
            "tests/auth/test_login_sec": "def test_login(): pass",
        }
    )
    pytester.makefile(".yaml", typo=TYPO)
    pytester.runpytest("--qualscale-delivery=typo.yaml", "--qualscale-report=r.json")
    assert counts(report(pytester, "r.json")) == {
        "unit": (1, 0, 0, 0, "passed"),
        "regression": (1, 0, 0, 0, "passed"),
        "performance": (1, 0, 0, 0, "passed"),
        "security": (1, 0, 0, 0, "passed"),
    }


def test_marker_expression_with_keyword_arguments(pytester: pytest.Pytester) -> None:
    """``db(kind="pg")`` matches a marker with that keyword argument, not another value."""
    pytester.makeini(
        "[pytest]\nmarkers = db: a database test\nqualscale_kinds =\n"
        '    integration: db(kind="pg") and not slow\n'
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.db(kind="pg")
        def test_pg(): pass

        @pytest.mark.db(kind="sqlite")
        def test_sqlite(): pass
        """
    )
    pytester.makefile(".yaml", typo=TYPO)
    result = pytester.runpytest(
        "--strict-markers", "--qualscale-delivery=typo.yaml", "--qualscale-report=r.json"
    )
    result.assert_outcomes(passed=2)
    assert counts(report(pytester, "r.json"))["integration"] == (1, 0, 0, 0, "passed")


def test_explicit_kind_marker_wins_over_rules(pytester: pytest.Pytester) -> None:
    """A qualscale_kind marker outranks the kind rules and the kind markers."""
    pytester.makeini("[pytest]\nqualscale_kinds =\n    performance: regression\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.regression
        @pytest.mark.qualscale_kind("security")
        def test_one(): pass

        @pytest.mark.regression
        def test_two(): pass
        """
    )
    pytester.makefile(".yaml", typo=TYPO)
    pytester.runpytest("--qualscale-delivery", "typo.yaml", "--qualscale-report", "r.json")
    assert counts(report(pytester, "r.json")) == {
        "unit": (0, 0, 0, 0, "missing"),
        "regression": (0, 0, 0, 0, "not-required"),
        "performance": (1, 0, 0, 0, "passed"),
        "security": (1, 0, 0, 0, "passed"),
    }


def test_the_closest_kind_marker_wins_over_a_class_or_module_marker(
    pytester: pytest.Pytester,
) -> None:
    """A test's own qualscale_kind outranks its class's, which outranks its module's."""
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.qualscale_kind("integration")

        @pytest.mark.qualscale_kind("security")
        class TestVat:
            def test_inherits(self): pass

            @pytest.mark.qualscale_kind("regression")
            def test_own(self): pass

        class TestRating:
            def test_module(self): pass

            def test_module_too(self): pass
        """
    )
    pytester.makefile(".yaml", typo=TYPO)
    pytester.runpytest("--qualscale-delivery", "typo.yaml", "--qualscale-report", "r.json")
    found = counts(report(pytester, "r.json"))
    assert found["security"][0] == 1
    assert found["regression"][0] == 1
    assert found["integration"][0] == 2


def test_a_marked_parameter_has_its_own_kind_among_its_siblings(
    pytester: pytest.Pytester,
) -> None:
    """A kind marker on one parameter gives that case its kind; its siblings keep theirs."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize(
            "n", [1, 2, pytest.param(3, marks=pytest.mark.performance), 4]
        )
        def test_rate(n): pass

        def test_plain(): pass
        """
    )
    pytester.makefile(".yaml", typo=TYPO)
    pytester.runpytest("--qualscale-delivery", "typo.yaml", "--qualscale-report", "r.json")
    found = counts(report(pytester, "r.json"))
    assert found["performance"][0] == 1
    assert found["unit"][0] == 4


def test_outcomes_are_counted_without_a_terminal_reporter_too(
    pytester: pytest.Pytester,
) -> None:
    """With ``-p no:terminal`` the plugin records each report itself: the counts are the same."""
    pytester.makepyfile(
        """
        import pytest

        def test_ok(): pass

        def test_bad(): assert False

        @pytest.fixture
        def broken(): raise RuntimeError

        def test_error(broken): pass
        """
    )
    pytester.makefile(".yaml", typo=TYPO)
    found: list[dict[str, tuple[int, int, int, int, str]]] = []
    for extra in ([], ["-p", "no:terminal"]):
        path = f"r{len(found)}.json"
        args = ["--qualscale-delivery", "typo.yaml", f"--qualscale-report={path}", *extra]
        pytester.runpytest(*args)
        found.append(counts(report(pytester, path)))
    assert found[0] == found[1]
    assert found[0]["unit"][:3] == (1, 2, 0)


def test_quiet_subtest_outcomes_count_with_or_without_a_terminal_reporter(
    pytester: pytest.Pytester,
) -> None:
    """A skipped subtest counts alike whether the terminal reporter keeps the reports or not."""
    pytest.importorskip("_pytest.subtests")  # pytest's own subtests, from pytest 9
    pytester.makepyfile(
        """
        import pytest

        def test_parts(subtests):
            with subtests.test("a"):
                pytest.skip("not today")
            with subtests.test("b"):
                pass
        """
    )
    pytester.makefile(".yaml", typo=TYPO)
    found: list[tuple[int, int, int, int, str]] = []
    for extra in ([], ["-p", "no:terminal"], ["-v"]):
        path = f"r{len(found)}.json"
        args = ["--qualscale-delivery", "typo.yaml", f"--qualscale-report={path}", *extra]
        pytester.runpytest(*args)
        found.append(counts(report(pytester, path))["unit"])
    assert found[0] == found[1] == found[2]
    assert found[0][:3] == (0, 0, 1)


def test_a_test_whose_user_properties_are_cleared_still_counts(
    pytester: pytest.Pytester,
) -> None:
    """A test that empties its ``user_properties`` keeps its kind and is counted."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture
        def bare(request):
            request.node.user_properties.clear()

        def test_bare(bare): pass

        @pytest.mark.performance
        def test_bare_too(bare): pass

        def test_plain(): pass
        """
    )
    pytester.makefile(".yaml", typo=TYPO)
    pytester.runpytest("--qualscale-delivery", "typo.yaml", "--qualscale-report=r.json")
    found = counts(report(pytester, "r.json"))
    assert (found["unit"][0], found["performance"][0]) == (2, 1)


def test_a_kind_property_a_test_records_does_not_change_its_kind(
    pytester: pytest.Pytester,
) -> None:
    """The kind the plugin gave a test stands, whatever user property the test adds."""
    pytester.makepyfile(
        """
        def test_claims(record_property):
            record_property("qualscale_kind", "performance")
        """
    )
    pytester.makefile(".yaml", typo=TYPO)
    pytester.runpytest("--qualscale-delivery", "typo.yaml", "--qualscale-report=r.json")
    found = counts(report(pytester, "r.json"))
    assert (found["unit"][0], found["performance"][0]) == (1, 0)


def test_default_kind_from_the_ini_file(pytester: pytest.Pytester) -> None:
    """qualscale_default_kind sets the kind of tests with no marker and no rule."""
    pytester.makeini("[pytest]\nqualscale_default_kind = integration\n")
    pytester.makepyfile("def test_one(): pass")
    pytester.makefile(".yaml", typo=TYPO)
    pytester.runpytest("--qualscale-delivery", "typo.yaml", "--qualscale-report", "r.json")
    assert counts(report(pytester, "r.json"))["integration"] == (1, 0, 0, 0, "passed")


@pytest.mark.parametrize(
    ("ini", "message"),
    [
        (
            "qualscale_kinds =\n    perf: slow",
            "qualscale_kinds line 1 'perf: slow': unknown kind 'perf'; "
            "the scale's kinds are: unit, *",
        ),
        (
            "qualscale_kinds =\n    unit: a or",
            "qualscale_kinds line 1 'unit: a or': bad marker expression: expected *",
        ),
        (
            "qualscale_kinds =\n    just-a-word",
            "qualscale_kinds line 1 'just-a-word': expected 'kind: marker expression' or *",
        ),
        (
            "qualscale_kinds =\n    unit: (fast or slow",
            "qualscale_kinds line 1 'unit: (fast or slow': bad marker expression: "
            "expected ')' at column 14; found the end",
        ),
        ("qualscale_default_kind = units", "qualscale_default_kind: unknown kind 'units'; *"),
        (
            "qualscale_select = maybe",
            "ERROR: qualscale_select (in *tox.ini): invalid value 'maybe'; expected true *",
        ),
        ("qualscale_scale = missing.yaml", "ERROR: qualscale_scale (in *tox.ini): *not found"),
    ],
)
def test_bad_ini_values_name_the_key(pytester: pytest.Pytester, ini: str, message: str) -> None:
    """Each bad ini value is a usage error naming the key, the line and the problem."""
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_one(): pass")
    pytester.makefile(".yaml", typo=TYPO)
    result = pytester.runpytest("--qualscale-delivery", "typo.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}"])


def test_unknown_kind_in_marker_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """A qualscale_kind marker with an unknown kind is a usage error naming the test."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.qualscale_kind("speed")
        def test_one(): pass
        """
    )
    pytester.makefile(".yaml", typo=TYPO)
    result = pytester.runpytest("--qualscale-delivery", "typo.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*test_unknown_kind_in_marker_is_a_usage_error.py::test_one: qualscale_kind('speed'): *"]
    )


def test_kinds_of_a_custom_scale_get_markers(pytester: pytest.Pytester) -> None:
    """The kinds of a custom scale get markers and are counted."""
    pytester.makefile(
        ".yaml",
        chaos="""\
        extends: billing-saas
        name: billing-chaos
        kinds:
          - id: chaos-monkey
            name: Chaos tests
        """,
        typo=TYPO,
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.chaos_monkey
        def test_kill_a_node(): pass
        """
    )
    result = pytester.runpytest(
        "--strict-markers",
        "--qualscale-delivery=typo.yaml",
        "--qualscale-scale=chaos.yaml",
        "--qualscale-report=r.json",
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["qualscale: delivery from file typo.yaml, scale chaos.yaml"])
    assert counts(report(pytester, "r.json"))["chaos-monkey"] == (1, 0, 0, 0, "passed")


# ------------------------------------------------------------------ hooks


def test_hooks_supply_the_delivery_and_adjust_the_plan(project: pytest.Pytester) -> None:
    """The delivery hook supplies the delivery and the plan hook adjusts the plan."""
    project.makeconftest(
        """
        import attrs
        import qualscale

        def pytest_qualscale_delivery(config):
            return qualscale.Delivery(id="HOOK-1", type="docs", paths=("README.md",))

        def pytest_qualscale_plan(config, plan):
            requirements = tuple(
                attrs.evolve(r, obligation="required") if r.kind == "performance" else r
                for r in plan.requirements
            )
            return attrs.evolve(plan, requirements=requirements)
        """
    )
    result = project.runpytest("--qualscale-enforce", "--qualscale-select=strict")
    result.assert_outcomes(passed=5, deselected=4)
    result.stdout.fnmatch_lines(
        [
            "qualscale: delivery 'HOOK-1': standard S1 (Basic)*",
            "qualscale: delivery from the pytest_qualscale_delivery hook, "
            "scale billing-saas (bundled), adjusted by pytest_qualscale_plan",
            "qualscale: requires unit, performance; select strict: only required and "
            "recommended kinds kept, enforce on",
            "performance *required *2 *0 *0 *0 *passed",
        ]
    )


def test_hook_returning_nothing_leaves_the_plugin_idle(project: pytest.Pytester) -> None:
    """A delivery hook that returns None leaves the plugin idle."""
    project.makeconftest("def pytest_qualscale_delivery(config):\n    return None\n")
    result = project.runpytest()
    assert not mentions_qualscale(result)


def test_hook_returning_a_wrong_type_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """A delivery hook that returns a wrong type is a usage error naming the type."""
    pytester.makeconftest("def pytest_qualscale_delivery(config):\n    return 'DOC-1'\n")
    pytester.makepyfile("def test_one(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: pytest_qualscale_delivery returned str; expected a qualscale.Delivery or None"]
    )


def test_state_lives_in_the_config_stash(project: pytest.Pytester) -> None:
    """The active plugin's state, the plan included, lives in the config stash."""
    project.makeconftest(
        """
        from _qualscale_pytestplugin.session import ACTIVE

        def pytest_sessionfinish(session):
            state = session.config.stash[ACTIVE]
            print("stash plan", state.plan.standard.id)
        """
    )
    result = project.runpytest("--qualscale-delivery", "typo.yaml", "-s")
    result.stdout.fnmatch_lines(["*stash plan S1*"])


def test_kind_reaches_junit_xml(project: pytest.Pytester) -> None:
    """Each test's kind is written as a property in the JUnit XML."""
    project.runpytest("--qualscale-delivery", "typo.yaml", "--junitxml", "junit.xml")
    xml = (project.path / "junit.xml").read_text()
    assert '<property name="qualscale_kind" value="performance" />' in xml


def test_plugin_module_imports_only_pytest_and_the_standard_library() -> None:
    """The plugin's front door imports only pytest, itself and the standard library at top level."""
    imported: set[str] = set()
    folder = Path(_qualscale_pytestplugin.__file__).parent
    for file in (folder / "__init__.py", folder / "common.py"):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in tree.body:  # the top level only: TYPE_CHECKING blocks are not run
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) == {"pytest", "_qualscale_pytestplugin"}


def test_every_public_name_of_the_package_resolves() -> None:
    """Every name in qualscale.__all__ resolves and is in dir()."""
    resolved = {name: getattr(qualscale, name) for name in qualscale.__all__}
    assert callable(resolved["plan"])
    assert callable(resolved["classify"])
    assert set(dir(qualscale)) >= set(qualscale.__all__)


def test_markers_registered_while_idle_are_the_default_scales_kinds() -> None:
    """The markers registered while idle are the default scale's kinds, in its order."""
    # Registered without loading the scale (the idle plugin must stay free), so a
    # test keeps the fixed list and billing-saas in step.
    assert tuple(k.id for k in qualscale.load_scale().kinds) == DEFAULT_KINDS
