"""The pytest plugin judging by activity: environment, gate, depth rules, due-later, hooks."""

from __future__ import annotations

import json

import pytest

from qualscale import cli
from tests.test_plugin import make_project

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

DEPTHS = """\
[pytest]
qualscale_depths =
    unit/mutation: test_unit.py
    regression/smoke: regression
"""


#: Money, medium size: S4, where full regression is not independent.
S4 = """\
id: MR-482
type: feature
changes: {lines_added: 200, lines_removed: 20, files: 8}
paths: [src/invoicing/lines.py]
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    make_project(pytester)
    pytester.makeini(DEPTHS)
    return pytester


def test_a_ci_session_passes_an_s5_delivery_and_lists_what_is_due_later(
    project: pytest.Pytester,
) -> None:
    """In CI, enforcing, a suite of every kind passes an S5 delivery and lists what is due later."""
    result = project.runpytest(
        "--qualscale-delivery", "money.yaml", "--qualscale-environment=ci", "--qualscale-enforce"
    )
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*passed*unit/mutation@ci - required; 2 passed, 0 failed",
            "*due-later*regression/full@pre-production - required, independent",
            "qualscale: every activity due passed",
            "qualscale: due later: integration/end-to-end@pre-production, regression/full@*",
        ]
    )


def test_a_smoke_run_does_not_satisfy_a_full_regression(project: pytest.Pytester) -> None:
    """In pre-production, smoke regression tests leave ``regression (full)`` insufficient."""
    project.makefile(".yaml", s4=S4)
    result = project.runpytest(
        "--qualscale-delivery",
        "s4.yaml",
        "--qualscale-environment=pre-production",
        "--qualscale-enforce",
        "--qualscale-report=report.json",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    judgement = json.loads((project.path / "report.json").read_text())["judgement"]
    found = {a["activity"]: (a["status"], a["notes"]) for a in judgement["activities"]}
    status, notes = found["regression/full@pre-production"]
    assert status == "insufficient-depth"
    assert notes == ["only smoke reached, full needed"]
    acceptance = found["acceptance/business-scenarios@pre-production"]
    assert acceptance[0] == "missing"
    assert "independent: a test run does not prove it" in acceptance[1][0]
    result.stdout.fnmatch_lines(["qualscale: FAILED by --qualscale-enforce: *"])


def test_smoke_proves_a_smoke_regression_but_not_full_in_the_same_place(
    pytester: pytest.Pytester,
) -> None:
    """A depth proves itself and shallower depths: smoke tests pass smoke, not full."""
    make_project(pytester)
    pytester.makeini(DEPTHS)
    pytester.makefile(
        ".yaml",
        small="id: S-1\ntype: feature\nchanges: {lines_added: 30, lines_removed: 0}\n"
        "paths: [src/ui/a.ts]\n",
    )
    result = pytester.runpytest(
        "--qualscale-delivery", "small.yaml", "--qualscale-environment=ci", "--qualscale-enforce"
    )
    result.stdout.fnmatch_lines(["*passed*regression/smoke@ci - required; 1 passed, 0 failed"])
    assert result.ret == 0


def test_the_plugins_junit_file_carries_depth_and_environment_for_verify(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    """The JUnit XML of a session carries depth and environment, and ``verify`` reads them."""
    project.runpytest(
        "--qualscale-delivery", "money.yaml", "--qualscale-environment=ci", "--junitxml=j.xml"
    )
    xml = (project.path / "j.xml").read_text()
    assert '<property name="qualscale_depth" value="mutation" />' in xml
    assert '<property name="qualscale_environment" value="ci" />' in xml
    capsys.readouterr()
    code = cli.main(
        ["verify", str(project.path / "money.yaml"), "--junit", str(project.path / "j.xml"),
         "--environment", "ci", "--format", "json"]
    )  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["activities"][0]["activity"] == "unit/mutation@ci"
    assert doc["activities"][0]["status"] == "passed"


def test_the_report_names_what_the_plan_hook_removed(project: pytest.Pytester) -> None:
    """A plan hook that drops activities is named, with the activities it removed."""
    project.makeconftest(
        """
        import attrs

        def pytest_qualscale_plan(config, plan):
            kept = tuple(r for r in plan.requirements if r.environment == "ci")
            return attrs.evolve(plan, requirements=kept)
        """
    )
    result = project.runpytest(
        "--qualscale-delivery", "money.yaml", "--qualscale-gate=G2", "--qualscale-report=r.json"
    )
    result.stdout.fnmatch_lines(
        ["qualscale: pytest_qualscale_plan removed: integration/end-to-end@pre-production, *"]
    )
    removed = json.loads((project.path / "r.json").read_text())["removed_by_hook"]
    assert "acceptance/customer-uat@pre-production" in removed


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (["--qualscale-environment=stagin"], "", "*unknown environment 'stagin'*did you mean*"),
        (["--qualscale-gate=G9"], "", "*--qualscale-gate: unknown gate 'G9'*"),
        ([], "qualscale_depths = regression/ful: smoke", "*unknown depth 'ful' of regression*"),
        ([], "qualscale_depths = regression smoke", "*expected 'kind/depth: marker*"),
    ],
)
def test_bad_placement_is_a_usage_error(
    pytester: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    """An unknown environment, gate or depth line is a usage error naming it."""
    make_project(pytester)
    pytester.makeini(f"[pytest]\n{ini}\n")
    result = pytester.runpytest("--qualscale-delivery", "money.yaml", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_modules_skipped_or_broken_at_collection_get_a_row(pytester: pytest.Pytester) -> None:
    """A module skipped at collection and one that fails to import are counted, of no kind."""
    make_project(pytester)
    pytester.makepyfile(
        test_skipped_module="import pytest\npytest.skip('no db', allow_module_level=True)\n",
        test_broken_module="import no_such_module_here\n",
    )
    result = pytester.runpytest(
        "--qualscale-delivery",
        "typo.yaml",
        "--qualscale-report=r.json",
        "--continue-on-collection-errors",
    )
    kinds = json.loads((pytester.path / "r.json").read_text())["verdict"]["kinds"]
    row = next(k for k in kinds if k["kind"] == "(collection)")
    assert (row["failed"], row["skipped"]) == (1, 1)
    result.stdout.fnmatch_lines(["(collection)*1*1*failed"])


def test_a_test_run_never_satisfies_a_manual_depth(project: pytest.Pytester) -> None:
    """A depth marked ``manual: true`` stays missing however many tests of it pass."""
    project.makefile(
        ".yaml",
        routine="id: MR-7\ntype: bugfix\nchanges: {lines_added: 30, files: 2}\n"
        "paths: [src/util/strings.py]\n",
        people="extends: billing-saas\n"
        "kinds: [{id: regression, depths: [{id: smoke, manual: true}]}]\n",
    )
    project.makeini(DEPTHS + "    unit/changed-lines: test_unit.py\n")
    args = ["--qualscale-delivery=routine.yaml", "--qualscale-enforce"]
    assert project.runpytest(*args).ret == 0  # the bundled scale: the smoke tests prove it
    result = project.runpytest(*args, "--qualscale-scale=people.yaml")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "regression *required *1 *0 *0 *0 *passed",
            "! missing *regression/smoke@ci - required; 0 passed, 0 failed",
            "*manual: a test run does not prove it, a sign-off does",
        ]
    )
