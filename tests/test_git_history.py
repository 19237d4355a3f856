"""A project's history read from git: Kamei change metrics in bulk and SZZ defect links."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qualscale import cli
from qualscale._git_history import is_fix, read_git_history
from qualscale.errors import GitError
from qualscale.stores import open_store
from tests._repo import Repo, hermetic_git


@pytest.fixture(autouse=True)
def _hermetic_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the developer's git configuration and any enclosing repository out."""
    hermetic_git(monkeypatch, tmp_path)
    for name in ("NAME", "EMAIL", "DATE"):  # set by commit(), restored after the test
        for role in ("AUTHOR", "COMMITTER"):
            monkeypatch.setenv(f"GIT_{role}_{name}", "x")


def commit(repo: Repo, who: str, day: int, subject: str, files: dict[str, str]) -> str:
    """A commit by ``who`` on day ``day`` of January 2024."""
    os.environ["GIT_AUTHOR_NAME"] = os.environ["GIT_COMMITTER_NAME"] = who
    os.environ["GIT_AUTHOR_EMAIL"] = os.environ["GIT_COMMITTER_EMAIL"] = f"{who}@example.com"
    when = f"2024-01-{day:02}T12:00:00+00:00"
    os.environ["GIT_AUTHOR_DATE"] = os.environ["GIT_COMMITTER_DATE"] = when
    return repo.commit(subject, files)


@pytest.fixture
def history(tmp_path: Path) -> tuple[Repo, list[str]]:
    """Four commits: two authors, two subsystems, and a fix of a line the second added."""
    repo = Repo(tmp_path / "repo")
    shas = [
        commit(repo, "ann", 1, "feat: start", {"src/a.py": "1\n2\n3\n", "docs/x.md": "x\n"}),
        commit(repo, "bob", 3, "feat: rate", {"src/a.py": "1\n2\n3\nrate = 0.2\n"}),
        commit(repo, "ann", 5, "docs: more", {"docs/x.md": "x\ny\n", "docs/y/z.md": "z\n"}),
        commit(repo, "ann", 9, "fix: vat rate", {"src/a.py": "1\n2\n3\nrate = 0.19\n"}),
    ]
    return repo, shas


def test_kamei_metrics_are_counted_from_the_log(history: tuple[Repo, list[str]]) -> None:
    """Size, diffusion, history and experience metrics follow the commits before each."""
    repo, shas = history
    records = read_git_history("HEAD", str(repo.path))
    assert [r.delivery.id for r in records] == shas
    first, second, third, fix = (r.delivery.metrics for r in records)
    assert (first["la"], first["ld"], first["nf"], first["nd"], first["ns"]) == (4, 0, 2, 2, 2)
    assert first["entropy"] == pytest.approx(0.811278, abs=1e-6)
    assert (second["lt"], second["ndev"], second["age"], second["nuc"]) == (3, 1, 2.0, 1)
    assert (second["exp"], second["sexp"]) == (0, 0)
    assert (third["exp"], third["sexp"], third["nd"], third["ns"]) == (1, 1, 2, 1)
    assert (fix["la"], fix["ld"], fix["ndev"], fix["nuc"], fix["fix"]) == (1, 1, 2, 2, 1)
    assert fix["exp"] == 2
    assert fix["rexp"] == 2.0
    assert records[3].delivery.author == "ann"
    assert records[3].delivery.date == "2024-01-09T12:00:00Z"
    assert records[3].delivery.type == "bugfix"


def test_plan_from_git_gives_the_diff_metrics_history_import_gives(
    history: tuple[Repo, list[str]],
) -> None:
    """A commit planned with --git has the diff metrics it has when imported, by one definition."""
    from qualscale._change_metrics import DIFF_METRICS
    from qualscale.git import read_git_delivery

    repo, shas = history
    for record, sha in zip(read_git_history("HEAD", str(repo.path)), shas, strict=True):
        planned = read_git_delivery(sha, repo.path)["metrics"]
        assert isinstance(planned, dict)
        assert planned == {k: record.delivery.metrics[k] for k in DIFF_METRICS}


def test_szz_links_the_fix_to_the_commit_that_added_the_line(
    history: tuple[Repo, list[str]],
) -> None:
    """The fix changed a line bob added: bob's commit gets a defect dated by the fix."""
    repo, shas = history
    records = read_git_history("HEAD", str(repo.path))
    outcomes = {r.delivery.id: r.outcomes for r in records}
    assert [(o.kind, o.id, o.found, o.fixed_by) for o in outcomes[shas[1]]] == [
        ("defect", shas[3], "2024-01-09T12:00:00Z", shas[3])
    ]
    assert outcomes[shas[0]] == outcomes[shas[2]] == outcomes[shas[3]] == ()
    assert all(not r.outcomes for r in read_git_history("HEAD", str(repo.path), szz=False))


def test_a_range_counts_only_its_own_commits(history: tuple[Repo, list[str]]) -> None:
    """A range starting later has fewer commits, and earlier changes are not counted."""
    repo, shas = history
    records = read_git_history(f"{shas[1]}..HEAD", str(repo.path))
    assert [r.delivery.id for r in records] == shas[2:]
    assert records[1].delivery.metrics["exp"] == 1


def test_the_cli_imports_git_history_into_the_store(
    history: tuple[Repo, list[str]], tmp_path: Path
) -> None:
    """history import --git stores a record per commit, with the SZZ link."""
    repo, shas = history
    db = str(tmp_path / "h.db")
    argv = ["history", "import", "--git", "HEAD", "--repo", str(repo.path), "--history", db]
    assert cli.main(argv) == 0
    with open_store(db) as store:
        records = store.records()
    assert len(records) == 4
    assert [o.id for o in records[1].outcomes] == [shas[3]]


def test_first_parent_gives_one_record_per_merge(tmp_path: Path) -> None:
    """With --first-parent a merged branch is one record, its lines those of the merge."""
    repo = Repo(tmp_path / "repo")
    commit(repo, "ann", 1, "feat: start", {"a.txt": "a\n"})
    repo.git("checkout", "-q", "-b", "topic")
    commit(repo, "bob", 2, "feat: one", {"b.txt": "b\n"})
    commit(repo, "bob", 3, "feat: two", {"c.txt": "c\nc\n"})
    repo.git("checkout", "-q", "main")
    commit(repo, "ann", 4, "docs: note", {"a.txt": "a\nb\n"})
    repo.git("merge", "-q", "--no-ff", "-m", "Merge topic", "topic")
    records = read_git_history("HEAD", str(repo.path), first_parent=True)
    assert [r.delivery.title for r in records] == ["feat: start", "docs: note", "Merge topic"]
    assert records[2].delivery.metrics["la"] == 3
    assert records[2].delivery.metrics["nf"] == 2
    assert len(read_git_history("HEAD", str(repo.path))) == 5


def test_a_bad_range_is_a_git_error(history: tuple[Repo, list[str]]) -> None:
    """An unknown revision is a GitError naming it, not a traceback."""
    repo, _ = history
    with pytest.raises(GitError, match="nope"):
        read_git_history("nope..HEAD", str(repo.path))


@pytest.mark.parametrize(
    ("subject", "fix"),
    [
        ("fix: vat", True),
        ("hotfix: token", True),
        ("Fixes rounding of totals", True),
        ("docs: explain the bug tracker", False),
        ("Update the bug tracker link", True),
        ("feat: prefix", False),
        ("refactor: suffixes", False),
    ],
)
def test_is_fix_reads_types_and_keywords(subject: str, fix: bool) -> None:
    """A fix is a fix/hotfix type, or an untyped subject with fix, bug or defect as a word."""
    assert is_fix(subject) is fix
