"""``qualscale verify`` and ``qualscale gate``: the verdict a QA lead can sign, from real files.

The scenario is the issue's: a money-touching S4 delivery (examples/gate-review)
judged at the release gate G2 on a CI run's JUnit file, then with sign-offs.
"""

from __future__ import annotations

import hashlib
import json
import os
import textwrap
import time
from pathlib import Path

import pytest

from qualscale import cli
from tests._paths import EXAMPLES, ROOT

HERE = EXAMPLES / "gate-review"
DELIVERY = str(HERE / "delivery.yaml")
JUNIT = str(HERE / "ci-junit.xml")
SIGNOFFS = HERE / "signoffs.yaml"
VALIDATION = str(HERE / "validation.yaml")  # the end-to-end sign-off in staging
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("QUALSCALE_UPDATE_GOLDEN") == "1"
TODAY = ("--today", "2026-11-20")
MISSING_WITH_CI_ONLY = {
    "integration/end-to-end@staging",
    "security/targeted@staging",
    "regression/full@pre-production",
    "performance/load@pre-production",
    "acceptance/business-scenarios@pre-production",
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def verify_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code, out, err = run(capsys, "verify", DELIVERY, *TODAY, "--format", "json", *argv)
    assert err == ""
    return code, json.loads(out)


def statuses(doc: dict[str, object]) -> dict[str, str]:
    activities = doc["activities"]
    assert isinstance(activities, list)
    return {a["activity"]: a["status"] for a in activities}


def signoffs_by(tmp_path: Path, who: str, extra: str = "") -> str:
    text = SIGNOFFS.read_text(encoding="utf-8").replace("Dana Reyes", who) + extra
    path = tmp_path / "signoffs.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


# ------------------------------------------------------------ the scenario


def test_ci_junit_alone_is_no_go_at_the_release_gate_naming_each_missing_activity(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With CI's JUnit alone, G2 is no-go: each missing activity named, what CI proved passed."""
    code, doc = verify_json(capsys, "--junit", JUNIT, "--gate", "G2")
    assert code == 1
    assert doc["decision"] == "no-go"
    found = statuses(doc)
    assert found["unit/changed-lines@ci"] == "passed"
    assert {k for k, v in found.items() if v == "missing"} >= MISSING_WITH_CI_ONLY
    code, out, _ = run(capsys, "verify", DELIVERY, *TODAY, "--junit", JUNIT, "--gate", "G2")
    assert code == 1
    assert out.rstrip().endswith("decision: no-go (5 not met)")
    for activity in MISSING_WITH_CI_ONLY:
        assert f"! missing            {activity}" in out


def test_signoffs_by_other_people_turn_it_into_go(capsys: pytest.CaptureFixture[str]) -> None:
    """Adding the sign-offs of the staging and pre-production work by others gives go."""
    code, doc = verify_json(
        capsys, "--junit", JUNIT, "--signoffs", VALIDATION, str(SIGNOFFS), "--gate", "G2"
    )
    assert code == 0
    assert doc["decision"] == "go"
    assert set(statuses(doc).values()) <= {"passed", "missing"}  # missing: the recommended one


def test_the_authors_signoff_does_not_satisfy_the_independent_activity(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The same sign-offs by the delivery's author leave independent acceptance unsatisfied."""
    path = signoffs_by(tmp_path, "ann.lee <ANN.LEE@example.com>")
    code, doc = verify_json(
        capsys, "--junit", JUNIT, "--signoffs", VALIDATION, path, "--gate", "G2"
    )
    assert code == 1
    acceptance = next(a for a in doc["activities"] if a["kind"] == "acceptance")  # type: ignore[attr-defined]
    assert acceptance["status"] == "missing"
    assert "signed by the author" in acceptance["notes"][0]
    assert statuses(doc)["regression/full@pre-production"] == "passed"  # not independent at S4


WAIVER = """\
waivers:
  - {{activity: acceptance, approver: {who}, reason: Customer UAT moved to the next release,
     expires: {expires}}}
"""


@pytest.mark.parametrize(
    ("who", "expires", "state", "status"),
    [
        ("Kim Novak", "2026-12-31", "open", "waived"),
        ("Kim Novak", "2026-11-19", "expired", "missing"),
        ("Ann Lee", "2026-12-31", "refused", "missing"),
    ],
)
def test_waivers_hold_until_expiry_and_never_for_the_authors_independent_activity(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    who: str,
    expires: str,
    state: str,
    status: str,
) -> None:
    """An open waiver waives; an expired one or the author's own for independent work does not."""
    lines = SIGNOFFS.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "activity: acceptance" in line)
    text = "".join(lines[:at] + lines[at + 2 :])  # no acceptance sign-off: only the waiver
    path = tmp_path / "s.yaml"
    path.write_text(
        text.replace("signoffs:", WAIVER.format(who=who, expires=expires) + "signoffs:")
    )
    code, doc = verify_json(
        capsys, "--junit", JUNIT, "--signoffs", VALIDATION, str(path), "--gate", "G2"
    )
    assert statuses(doc)["acceptance/business-scenarios@pre-production"] == status
    assert doc["waivers"][0]["state"] == state  # type: ignore[index]
    if state != "open":
        acceptance = doc["activities"][-1]  # type: ignore[index]
        assert f"waiver by {who}" in " ".join(acceptance["notes"])
    assert code == (0 if status == "waived" else 1)
    _, out, _ = run(
        capsys, "verify", DELIVERY, *TODAY, "--signoffs", str(path), "--format", "markdown"
    )
    assert f"waiver acceptance by {who} until {expires}: {state}" in out


def test_a_ci_job_judges_only_ci_and_lists_the_rest_as_due_later(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--environment ci`` without a gate judges CI's activities; the others are due later."""
    code, doc = verify_json(capsys, "--junit", JUNIT, "--environment", "ci")
    assert code == 0
    found = statuses(doc)
    assert found["unit/changed-lines@ci"] == "passed"
    assert {k for k, v in found.items() if v == "due-later"} >= MISSING_WITH_CI_ONLY


def test_record_stores_the_decision_and_the_verdict_per_kind(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``verify --record`` stores the verdict per kind; a later run replaces it."""
    from qualscale.stores import open_store

    db = str(tmp_path / "history.db")
    code, _, _ = run(capsys, "verify", DELIVERY, *TODAY, "--junit", JUNIT, "--environment", "ci",
                     "--history", db, "--record")  # fmt: skip
    assert code == 0
    with open_store(db) as store:
        (first,) = store.records()
    assert first.decision is not None
    assert first.decision.standard == "S4"
    assert first.verdict["unit"] == "passed"
    assert first.verdict["regression"] == "due-later"
    code, _, _ = run(capsys, "verify", DELIVERY, *TODAY, "--junit", JUNIT, "--gate", "G2",
                     "--history", db, "--record")  # fmt: skip
    assert code == 1  # no-go is recorded too
    with open_store(db) as store:
        (second,) = store.records()
    assert second.verdict["regression"] == "missing"
    assert second.verdict["unit"] == "passed"


def test_record_into_a_read_only_history_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``verify --record`` with a YAML history file exits 2 and leaves the file untouched."""
    history = tmp_path / "history.yaml"
    history.write_text("deliveries: []\n", encoding="utf-8")
    code, _, err = run(capsys, "verify", DELIVERY, *TODAY, "--junit", JUNIT,
                       "--history", str(history), "--record")  # fmt: skip
    assert code == 2
    assert "--record needs a history store" in err
    assert history.read_text(encoding="utf-8") == "deliveries: []\n"


def test_the_markdown_summary_matches_its_golden_file(capsys: pytest.CaptureFixture[str]) -> None:
    """The Markdown verdict (a CI job summary) is the reviewed golden file."""
    code, out, _ = run(
        capsys, "verify", DELIVERY, *TODAY, "--junit", JUNIT, "--gate", "G2", "--format", "markdown"
    )
    assert code == 1
    golden = GOLDEN / "verify-gate-review.md"
    if UPDATE:
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")


def test_a_plan_file_is_judged_like_its_delivery(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``--plan PLAN.json`` gives the same verdict as the delivery it was made from."""
    plan = tmp_path / "plan.json"
    assert run(capsys, "plan", DELIVERY, "--format", "json", "-o", str(plan))[0] == 0
    args = ("--junit", JUNIT, "--gate", "G2", *TODAY, "--format", "json")
    code, out, _ = run(capsys, "verify", "--plan", str(plan), *args)
    assert code == 1
    assert out == run(capsys, "verify", DELIVERY, *args)[1]


# ------------------------------------------------------------ gate reviews


def test_gate_review_names_objectives_artifacts_and_decision(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``gate G2`` lists the gate's objectives, its artifacts with who, and decides go."""
    record = tmp_path / "g2.json"
    code, out, _ = run(
        capsys, "gate", "G2", DELIVERY, *TODAY, "--junit", JUNIT,
        "--signoffs", VALIDATION, str(SIGNOFFS), "--record", str(record),
    )  # fmt: skip
    assert code == 0
    assert "objective: Acceptance signed off by the customer" in out
    assert (
        "artifact runbook: present (by Omar Haddad, https://wiki.example.com/runbooks/billing)"
        in out
    )
    assert out.rstrip().endswith("decision: go")
    doc = json.loads(record.read_text(encoding="utf-8"))
    assert (doc["gate"], doc["decision"], doc["missing"]) == ("G2", "go", [])
    assert doc["scale"]["name"] == "billing-saas"
    assert len(doc["scale"]["sha256"]) == 64
    shas = {Path(e["path"]).name: e["sha256"] for e in doc["evidence"]}
    assert shas == {
        "ci-junit.xml": hashlib.sha256(Path(JUNIT).read_bytes()).hexdigest(),
        "signoffs.yaml": hashlib.sha256(SIGNOFFS.read_bytes()).hexdigest(),
        "validation.yaml": hashlib.sha256(Path(VALIDATION).read_bytes()).hexdigest(),
    }


def test_gate_review_says_exactly_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    """Without sign-offs, ``gate G2`` is no-go and names each activity and artifact missing."""
    code, out, _ = run(capsys, "gate", "G2", DELIVERY, *TODAY, "--junit", JUNIT)
    assert code == 1
    missing = [
        line.removeprefix("missing: ") for line in out.splitlines() if line.startswith("missing: ")
    ]
    assert {m.split(":")[0] for m in missing} >= MISSING_WITH_CI_ONLY
    assert "artifact 'acceptance protocol': missing" in missing
    assert out.rstrip().endswith("decision: no-go")


# ------------------------------------------------------------ bad input


def hostile(name: str) -> bytes:
    if name == "billion-laughs":
        entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
        return (
            f'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY l0 "lol">{entities}]>'
            "<testsuites>&l9;</testsuites>"
        ).encode()
    if name == "external-entity":
        return (
            b'<?xml version="1.0"?>\n<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            b"<testsuites><testsuite><testcase name='&x;'/></testsuite></testsuites>"
        )
    if name == "truncated":
        return Path(JUNIT).read_bytes()[:700]
    if name == "not-utf8":
        return b'<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="\xff\xfe"/>'
    if name == "unknown-encoding":
        return b'<?xml version="1.0" encoding="ugtf-8"?>\n<testsuites/>'
    if name == "wrong-root":
        return b'<?xml version="1.0"?>\n\n<html><body/></html>'
    return b"<testsuites>" + b" " * (50 * 1024 * 1024) + b"</testsuites>"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("billion-laughs", "refused: a DTD"),
        ("external-entity", "refused: a DTD"),
        ("fifty-megabytes", "larger than"),
        ("truncated", "not well-formed XML"),
        ("not-utf8", "not well-formed XML"),
        ("wrong-root", "expected JUnit XML"),
        ("unknown-encoding", "unknown encoding: ugtf-8"),
    ],
)
def test_hostile_junit_files_exit_2_with_a_located_message_quickly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, message: str
) -> None:
    """Bombs, external entities, 50 MB, truncated, non-UTF-8 and wrong-root files exit 2, fast."""
    path = tmp_path / f"{name}.xml"
    path.write_bytes(hostile(name))
    start = time.perf_counter()
    code, out, err = run(capsys, "verify", DELIVERY, "--junit", str(path))
    assert time.perf_counter() - start < 5
    assert (code, out) == (2, "")
    assert err.startswith(f"{path}")
    assert message in err
    assert "root:" not in err  # nothing of /etc/passwd
    assert "Traceback" not in err
    if name != "fifty-megabytes":
        assert err.startswith(f"{path}:")  # a line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "signoffs:\n  - {activity: regresion/full@staging, result: passed,"
            " who: A, when: 2026-01-01}\n",
            "unknown kind 'regresion'; expected one of: unit, integration",
        ),
        (
            "signoffs:\n  - {activity: regression/full, result: passed,"
            " who: A, when: 2026-01-01}\n",
            "expected the environment it was done in",
        ),
        (
            "signoffs:\n  - {activity: regression@ci, result: ok, who: A, when: 2026-01-01}\n",
            "result",
        ),
        (
            "waivers:\n  - {activity: acceptance, approver: A, reason: R, expires: 2026-02-30}\n",
            "not a date",
        ),
        ("artifacts:\n  - {gate: G9, name: x}\n", "unknown gate 'G9'"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_a_bad_signoff_file_is_a_located_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str
) -> None:
    """A sign-off file naming an unknown activity or with a bad value exits 2, located."""
    path = tmp_path / "signoffs.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "verify", DELIVERY, "--signoffs", str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"{path}")
    assert message in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["verify", DELIVERY, "--gate", "G9"],
        ["verify", DELIVERY, "--environment", "stagin"],
        ["verify", DELIVERY, "--today", "tomorrow"],
        ["verify", DELIVERY, "--plan", JUNIT],
        ["gate", "G9", DELIVERY],
        ["verify"],
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """An unknown gate or environment, a bad date or a missing delivery exits 2, one message."""
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err
    assert "Traceback" not in err


def test_a_report_of_the_plugin_is_evidence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A ``--qualscale-report`` JSON file counts per kind, at the kind's shallowest depth."""
    report = tmp_path / "report.json"
    kinds = [{"kind": "unit", "passed": 3, "failed": 0, "skipped": 0}]
    report.write_text(json.dumps({"verdict": {"kinds": kinds}}), encoding="utf-8")
    code, doc = verify_json(capsys, "--report", str(report), "--environment", "ci")
    assert statuses(doc)["unit/changed-lines@ci"] == "insufficient-depth"
    assert code == 1
    note = textwrap.shorten(doc["activities"][0]["notes"][0], 200)  # type: ignore[index]
    assert note == "only suite (no depth given) reached, changed-lines needed"


def test_a_git_delivery_takes_its_author_from_the_head_commit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``--git``, the head commit's author may not sign the independent activity."""
    from tests._repo import Repo

    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Ann Lee")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "ann.lee@example.com")
    repo = Repo(tmp_path / "repo")
    repo.commit("chore: initial", {"README.md": "x\n"})
    lines = "".join(f"line {i}\n" for i in range(260))
    repo.commit("feat: prorate invoices", {"src/invoicing/proration.py": lines})
    signed = signoffs_by(tmp_path, "Ann Lee")
    code, out, _ = run(
        capsys, "verify", "--git", "HEAD", "--repo", str(repo.path), "--signoffs", signed,
        "--gate", "G2", *TODAY, "--format", "json",
    )  # fmt: skip
    doc = json.loads(out)
    assert code == 1
    assert doc["author"] == "Ann Lee <ann.lee@example.com>"
    acceptance = [a for a in doc["activities"] if a["kind"] == "acceptance"]
    assert "signed by the author" in acceptance[0]["notes"][0]
