"""Commits read by the scale's ``rules.commits``; ``batch --git-each`` over real repositories."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qualscale
from qualscale import cli
from qualscale._commit_rules import CommitRules, CommitText, read_commits
from qualscale.errors import ScaleError
from qualscale.git import read_git_deliveries, read_git_delivery
from tests._repo import Repo, hermetic_git


@pytest.fixture(autouse=True)
def _hermetic_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the developer's git configuration and any enclosing repository out."""
    hermetic_git(monkeypatch, tmp_path)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.commit(
        "chore: initial",
        {"README.md": "hello\n", "src/payments/retry.py": "a = 1\n", "ci.yml": "on: push\n"},
    )
    return repo


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def findings(delivery: dict[str, Any]) -> list[dict[str, str]]:
    found: list[dict[str, str]] = delivery["source"]["git"]["findings"]
    return found


# --- the bugs of issue 8 -----------------------------------------------------------------


def test_a_scope_naming_a_migration_is_not_a_data_migration(repo: Repo) -> None:
    """``refactor(migrate-to-pathlib):`` changing one line is a refactor, far below S4."""
    repo.commit("refactor(migrate-to-pathlib): use pathlib", {"src/payments/retry.py": "b = 2\n"})
    scale = qualscale.load_scale()
    delivery = read_git_delivery("HEAD", repo.path, scale=scale)
    assert delivery["type"] == "refactor"
    result = qualscale.classify(qualscale.Delivery.from_dict(delivery), scale)
    assert result.rank < 4


def test_a_merge_is_read_from_its_pull_request_not_its_branch_name(repo: Repo) -> None:
    """``Merge pull request #N from x/maintenance/hotfix/y`` merging one CI line is no hotfix."""
    repo.git("checkout", "-q", "-b", "maintenance/hotfix/gha-token")
    repo.commit("ci: pin the token action", {"ci.yml": "on: push\nenv: {TOKEN: 1}\n"})
    repo.git("checkout", "-q", "main")
    repo.git(
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge pull request #12 from someone/maintenance/hotfix/gha-token",
        "-m",
        "ci: pin the token action",
        "maintenance/hotfix/gha-token",
    )
    delivery = read_git_delivery("HEAD", repo.path, scale=qualscale.load_scale())
    assert delivery["type"] == "config"
    newest = next(read_git_deliveries("HEAD", repo.path))
    assert (newest["id"], newest["type"]) == (repo.short("HEAD"), "config")
    assert "hotfix" not in json.dumps(findings(delivery))


def test_a_range_between_two_release_tags_is_a_release(repo: Repo) -> None:
    """``v1.0..v1.1`` holding fixes is a ``release``, said by the tag rule, whatever the fixes."""
    repo.git("tag", "v1.0")
    repo.commit("fix: round VAT", {"src/payments/retry.py": "a = 2\n"})
    repo.commit("Update changelog", {"README.md": "hello\nv1.1\n"})
    repo.git("tag", "v1.1")
    delivery = read_git_delivery("v1.0..v1.1", repo.path, scale=qualscale.load_scale())
    assert delivery["type"] == "release"
    [chosen] = [f for f in findings(delivery) if f["key"] == "type"]
    assert chosen["rule"].startswith("tag v1.1 matches commits.release_tags")
    assert chosen["commit"] == repo.short("v1.1")


def test_a_cve_in_the_body_sets_the_security_flag_and_requires_security_tests(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    """A commit whose body names a CVE carries ``security``; the plan requires security tests."""
    repo.commit(
        "fix: check the signature",
        {"src/payments/retry.py": "a = 3\n"},
        body="Fixes CVE-2024-12345.",
    )
    code, out, _ = run(
        capsys, "plan", "--git", "HEAD", "--repo", str(repo.path), "--format", "json"
    )
    assert code == 0
    plan = json.loads(out)
    assert "security" in plan["flags"]
    security = [r["obligation"] for r in plan["requirements"] if r["kind"] == "security"]
    assert "required" in security
    messages = [r["message"] for r in plan["rationale"] if r["rule"] == "commits:flag"]
    assert messages == [
        f"flag security read from commit {repo.short('HEAD')}: commits.patterns[0] "
        + r"'\bCVE-\d{4}-\d+|vulnerab'"
    ]


# --- the reading -------------------------------------------------------------------------


def test_author_and_date_come_from_the_newest_commit(repo: Repo) -> None:
    """A git delivery's author is the newest commit's author; its date its committer date."""
    repo.commit("feat: a", {"src/payments/retry.py": "a = 4\n"})
    delivery = read_git_delivery("HEAD~1..HEAD", repo.path)
    assert delivery["author"] == "Tester <tester@example.com>"
    assert delivery["date"] == "2024-01-01T12:00:00+00:00"
    assert qualscale.Delivery.from_dict(delivery).date == "2024-01-01T12:00:00+00:00"


def test_a_breaking_commit_is_a_condition_modifiers_test(repo: Repo) -> None:
    """``feat!:`` makes the delivery breaking; billing-saas then requires contract tests."""
    repo.commit("feat(api)!: drop v1", {"src/payments/retry.py": "a = 5\n"})
    scale = qualscale.load_scale()
    delivery = qualscale.Delivery.from_dict(read_git_delivery("HEAD", repo.path, scale=scale))
    assert delivery.breaking
    plan = qualscale.plan(delivery, scale)
    integration = plan.requirement("integration")
    assert integration is not None
    assert integration.obligation == "required"
    assert integration.depth == "contract"


def test_the_riskiest_type_wins_by_the_scales_order(repo: Repo, tmp_path: Path) -> None:
    """A range of a docs and a feature commit is a feature; a scale rating docs higher says docs."""
    repo.commit("docs: explain", {"README.md": "more\n"})
    repo.commit("feat: add", {"src/payments/retry.py": "a = 6\n"})
    assert read_git_delivery("HEAD~2..HEAD", repo.path)["type"] == "feature"
    overlay = tmp_path / "strict.yaml"
    overlay.write_text(
        "extends: billing-saas\nname: docs-first\nrules:\n  risk:\n    types: {docs: critical}\n",
        encoding="utf-8",
    )
    scale = qualscale.load_scale(overlay)
    assert read_git_delivery("HEAD~2..HEAD", repo.path, scale=scale)["type"] == "docs"


def test_a_scale_pattern_can_set_a_type(repo: Repo, tmp_path: Path) -> None:
    """``rules.commits.patterns`` can set a type: a subject saying ``[migration]`` is one."""
    repo.commit("[migration] move contracts", {"src/payments/retry.py": "a = 7\n"})
    overlay = tmp_path / "mine.yaml"
    overlay.write_text(
        "extends: billing-saas\nname: mine\nrules:\n  commits:\n    patterns:\n"
        "      - {pattern: '^\\[migration\\]', type: data-migration, search: subject}\n",
        encoding="utf-8",
    )
    scale = qualscale.load_scale(overlay)
    assert read_git_delivery("HEAD", repo.path, scale=scale)["type"] == "data-migration"


@pytest.mark.parametrize(
    ("section", "where", "expected"),
    [
        ("patterns: [{pattern: 'CVE-(', flag: security}]", "patterns[0].pattern", "invalid"),
        (f"patterns: [{{pattern: '{'a' * 301}', flag: security}}]", "patterns[0].pattern", "300"),
        ("patterns: [{pattern: 'x', flag: secret}]", "patterns[0].flag", "unknown flag"),
        ("patterns: [{pattern: 'x'}]", "patterns[0]", "expected a flag or a type"),
        ("types: {feat: feeture}", "types.feat", "delivery type"),
        ("release_tags: '['", "release_tags", "invalid"),
        ("patterns: [{pattern: '(a+)+$', flag: security}]", "patterns[0].pattern", "exponential"),
        (
            "patterns: [{pattern: '(?:\\s*\\w+)*x', flag: security}]",
            "patterns[0].pattern",
            "repeat",
        ),
        ("release_tags: '(v|\\d+)*!'", "release_tags", "exponential"),
    ],
)
def test_a_bad_commits_section_is_a_located_scale_error(
    tmp_path: Path, section: str, where: str, expected: str
) -> None:
    """A bad or exponential regex, flag or type in ``rules.commits`` names the file and key path."""
    path = tmp_path / "bad.yaml"
    path.write_text(
        f"extends: billing-saas\nname: bad\nrules:\n  commits:\n    {section}\n", encoding="utf-8"
    )
    with pytest.raises(ScaleError) as info:
        qualscale.load_scale(path)
    [problem] = info.value.problems
    assert problem.file is not None
    assert problem.file.endswith("bad.yaml")
    assert f"rules.commits.{where}" in str(problem)
    assert expected in problem.message


@given(scope=st.text(min_size=0, max_size=30).filter(lambda s: "(" not in s and ")" not in s))
def test_the_scope_never_sets_the_type(scope: str) -> None:
    """Whatever the scope says (``hotfix``, ``migrate``), the type token alone sets the type."""
    subject = f"refactor({scope}): tidy"
    reading = read_commits([CommitText("abc", subject)], CommitRules(), (), max)
    assert reading.type == "refactor"


@given(branch=st.text(alphabet="abcdefghijklmnopqrstuvwxyz/-_.!:()", min_size=1, max_size=40))
def test_a_merge_subject_never_sets_the_type(branch: str) -> None:
    """Whatever branch a merge names (``hotfix/...``, ``fix:``), its subject sets no type."""
    for subject in (f"Merge pull request #7 from a/{branch}", f"Merge branch '{branch}'"):
        merge = CommitText("abc", subject, "", merge=True)
        reading = read_commits([merge], CommitRules(), ["security"], max)
        assert reading.type is None
        assert reading.findings == ()


def test_matching_searches_a_bounded_text() -> None:
    """A pattern searches only the first MAX_TEXT characters of a body."""
    body = "x" * 5000 + " CVE-2024-1"
    reading = read_commits([CommitText("abc", "fix: a", body)], CommitRules(), ["security"], max)
    assert reading.flags == ()


# --- batch --git-each --------------------------------------------------------------------


def _history(repo: Repo) -> None:
    repo.commit("docs: typo", {"README.md": "hallo\n"})
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("fix: retry once", {"src/payments/retry.py": "a = 1\nb = 2\n"})
    repo.commit("test: retry", {"tests/test_retry.py": "def test(): pass\n"})
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'topic'", "topic")


def test_git_each_prints_the_plan_of_every_commit(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each JSON line of ``batch --git-each`` is the ``plan --git REV --format json`` object."""
    _history(repo)
    code, out, err = run(capsys, "batch", "--git-each", "HEAD", "--repo", str(repo.path))
    assert (code, err) == (0, "")
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 5  # initial, docs, fix, test and the merge, each once
    for line in lines:
        rev = line["delivery"]["source"]["git"]["head"]
        _, single, _ = run(
            capsys, "plan", "--git", rev, "--repo", str(repo.path), "--format", "json"
        )
        assert json.loads(single) == line


def test_first_parent_gives_one_delivery_per_merge(repo: Repo) -> None:
    """With first parents only, a merge is one delivery: its diff and the commits it merges."""
    _history(repo)
    found: list[dict[str, Any]] = list(read_git_deliveries("HEAD", repo.path, first_parent=True))
    assert [d["source"]["git"]["commits"] for d in found] == [3, 1, 1]
    merge = found[0]
    assert merge["type"] == "bugfix"
    assert merge["paths"] == ["src/payments/retry.py", "tests/test_retry.py"]
    assert merge["changes"]["lines_added"] == 2


def test_git_each_runs_a_constant_number_of_git_processes(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However many commits, ``read_git_deliveries`` runs git at most three times."""
    for i in range(15):
        repo.commit(f"feat: step {i}", {"src/payments/retry.py": f"a = {i}\n"})
    _history(repo)
    log = tmp_path / "calls"
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    real = next(
        Path(p) / "git" for p in os.environ["PATH"].split(os.pathsep) if (Path(p) / "git").exists()
    )
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {real} "$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")
    for first_parent in (False, True):
        log.write_text("", encoding="utf-8")
        found = list(read_git_deliveries("HEAD", repo.path, first_parent=first_parent))
        assert len(found) > 3
        assert len(log.read_text(encoding="utf-8").splitlines()) <= 3


@pytest.mark.parametrize("fmt", ["text", "markdown", "csv"])
def test_summary_gives_the_share_per_standard_kind_and_environment(
    repo: Repo, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """``--summary`` prints the distribution instead of JSON Lines; the shares sum up."""
    _history(repo)
    argv = ["batch", "--git-each", "HEAD", "--repo", str(repo.path), "--summary", fmt]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert "standard" in out
    assert "required kind" in out
    assert "environment" in out
    if fmt == "csv":
        rows = [line.split(",") for line in out.splitlines()[1:]]
        standards = [r for r in rows if r[0] == "standard"]
        assert sum(int(r[2]) for r in standards) == 5
        assert [r[1] for r in standards] == ["S1", "S2", "S3", "S4", "S5"]


def test_git_each_and_files_do_not_mix(
    repo: Repo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``batch`` takes files or ``--git-each``, not both; ``--first-parent`` needs the latter."""
    code, _, err = run(capsys, "batch", str(tmp_path), "--git-each", "HEAD")
    assert code == 2
    assert "one of them" in err
    code, _, err = run(capsys, "batch", str(tmp_path), "--first-parent")
    assert code == 2
    assert "need --git-each" in err
    code, _, err = run(capsys, "batch", "--git-each", "a...b", "--repo", str(repo.path))
    assert code == 2
    assert err.startswith("qualscale: range a...b")
