"""Tests for qualscale.git against real temporary repositories made with the git CLI."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import qualscale
from qualscale import _commit_types
from qualscale import git as qgit
from qualscale.errors import GitError
from qualscale.git import guess_type, read_git_delivery
from tests._repo import Repo, hermetic_git

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


@pytest.fixture(autouse=True)
def _hermetic_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the developer's git configuration and any enclosing repository out."""
    hermetic_git(monkeypatch, tmp_path)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.commit("chore: initial", {"README.md": "hello\n", "src/app.py": "a = 1\n"})
    return repo


def git_source(delivery: dict[str, object]) -> dict[str, Any]:
    source = delivery["source"]
    assert isinstance(source, dict)
    git = source["git"]
    assert isinstance(git, dict)
    return git


# --- single revisions ------------------------------------------------------------------


def test_single_commit_is_a_full_delivery(repo: Repo) -> None:
    """One commit becomes a full delivery: id, title, type, changes, paths and git source."""
    base = repo.git("rev-parse", "HEAD")
    head = repo.commit("feat: round VAT per line", {"src/app.py": "a = 1\nb = 2\nc = 3\n"})

    expected = {
        "id": repo.short("HEAD"),
        "title": "feat: round VAT per line",
        "type": "feature",
        "changes": {
            "lines_added": 2,
            "lines_removed": 0,
            "files": 1,
            "by_path": {"src/app.py": {"added": 2, "removed": 0}},
        },
        "paths": ["src/app.py"],
        "metrics": {"la": 2, "ld": 0, "nf": 1, "nd": 1, "ns": 1, "entropy": 0.0, "fix": 0},
        "author": "Tester <tester@example.com>",
        "date": "2024-01-01T12:00:00+00:00",
        "source": {
            "git": {
                "base": base,
                "head": head,
                "commits": 1,
                "binary": [],
                "renamed": [],
                "deleted": [],
                "subjects_types": {"feature": 1},
                "breaking": False,
                "findings": [
                    {
                        "key": "type",
                        "value": "feature",
                        "rule": "commits.types: feat -> feature",
                        "commit": repo.short("HEAD"),
                    }
                ],
            }
        },
    }
    actual = read_git_delivery("HEAD", repo.path)
    assert expected == actual
    assert json.dumps(expected) == json.dumps(actual)  # same key order, JSON-able


def test_root_commit_is_compared_with_the_empty_tree(repo: Repo) -> None:
    """A root commit is compared with the empty tree."""
    root = repo.git("rev-list", "--max-parents=0", "HEAD")
    repo.commit("docs: more", {"README.md": "hello\nworld\n"})

    delivery = read_git_delivery(root, repo.path)

    assert delivery["id"] == repo.short(root)
    assert delivery["changes"] == {
        "lines_added": 2,
        "lines_removed": 0,
        "files": 2,
        "by_path": {
            "README.md": {"added": 1, "removed": 0},
            "src/app.py": {"added": 1, "removed": 0},
        },
    }
    assert delivery["paths"] == ["README.md", "src/app.py"]
    assert git_source(delivery)["base"] == EMPTY_TREE
    assert git_source(delivery)["head"] == root


def test_merge_commit_brings_in_the_commits_of_the_merged_branch(repo: Repo) -> None:
    """A merge commit covers the merged branch's commits, changes and riskiest type."""
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("fix: off by one", {"src/app.py": "a = 2\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("docs: notes", {"NOTES.md": "n\n"})
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'topic'", "topic")

    delivery = read_git_delivery("HEAD", repo.path)

    assert delivery["title"] == "Merge branch 'topic' (+1 more commit)"
    assert delivery["type"] == "bugfix"
    assert delivery["paths"] == ["src/app.py"]
    assert git_source(delivery)["commits"] == 2


def test_a_missing_type_is_left_out(repo: Repo) -> None:
    """A subject with no recognisable type leaves the delivery type out."""
    repo.commit("Update things", {"src/app.py": "a = 5\n"})

    delivery = read_git_delivery("HEAD", repo.path)

    assert "type" not in delivery
    assert git_source(delivery)["subjects_types"] == {}


@pytest.mark.parametrize(
    ("subject", "body"),
    [("feat!: drop the v1 API", ""), ("feat: drop v1", "BREAKING CHANGE: v1 is gone")],
)
def test_breaking_changes_are_noted(repo: Repo, subject: str, body: str) -> None:
    """A '!' after the type or a BREAKING CHANGE footer marks the delivery breaking."""
    repo.commit(subject, {"src/app.py": "a = 9\n"}, body=body)

    assert git_source(read_git_delivery("HEAD", repo.path))["breaking"] is True


# --- ranges ----------------------------------------------------------------------------


def test_range_takes_the_riskiest_type_and_counts_commits(repo: Repo) -> None:
    """A range takes the riskiest commit type, counts commits and sums the diff."""
    base = repo.git("rev-parse", "HEAD")
    repo.commit("docs: explain", {"README.md": "hello\nthere\n"})
    repo.commit("fix(vat): round per line", {"src/app.py": "a = 2\n"})
    repo.commit("feat: invoices", {"src/invoice.py": "x = 1\ny = 2\n"})
    head = repo.commit("chore: tidy")

    delivery = read_git_delivery(f"{base}..HEAD", repo.path)

    assert delivery["id"] == f"{repo.short(base)}..{repo.short(head)}"
    assert delivery["title"] == "chore: tidy (+3 more commits)"
    assert delivery["type"] == "bugfix"
    assert delivery["changes"] == {
        "lines_added": 4,
        "lines_removed": 1,
        "files": 3,
        "by_path": {
            "README.md": {"added": 1, "removed": 0},
            "src/app.py": {"added": 1, "removed": 1},
            "src/invoice.py": {"added": 2, "removed": 0},
        },
    }
    assert delivery["paths"] == ["README.md", "src/app.py", "src/invoice.py"]
    source = git_source(delivery)
    assert (source["base"], source["head"], source["commits"]) == (base, head, 4)
    assert source["subjects_types"] == {"bugfix": 1, "config": 1, "docs": 1, "feature": 1}


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (["docs", "bugfix", "feature"], "bugfix"),  # feature and bugfix are medium: order breaks it
        (["hotfix", "data-migration"], "data-migration"),  # critical beats high
        (["release", "hotfix"], "hotfix"),  # both high: RISK_ORDER breaks the tie
        (["docs", "config"], "config"),
    ],
)
def test_riskiest_type_follows_the_scales_risk_classes(types: list[str], expected: str) -> None:
    """With a scale, a range's type is the one its risk classes rate riskiest."""
    assert qgit.riskiest_type(types, qualscale.load_scale()) == expected


def test_a_scale_can_reorder_the_riskiest_type() -> None:
    """A scale that rates docs critical makes a docs commit decide the range's type."""
    data = qualscale.load_scale().to_dict()
    data["rules"]["risk"]["types"]["docs"] = "critical"
    strict = qualscale.Scale.from_dict(data)
    assert qgit.riskiest_type(["hotfix", "docs"]) == "hotfix"
    assert qgit.riskiest_type(["hotfix", "docs"], strict) == "docs"


def test_three_dot_range_starts_at_the_merge_base(repo: Repo) -> None:
    """A three-dot range starts at the merge base, leaving out the other side's commits."""
    fork = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("feat: topic work", {"src/topic.py": "t = 1\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("hotfix: on main", {"src/app.py": "a = 0\n"})

    delivery = read_git_delivery("main...topic", repo.path)

    assert delivery["id"] == f"{repo.short('main')}...{repo.short('topic')}"
    assert delivery["type"] == "feature"
    assert delivery["paths"] == ["src/topic.py"]
    assert git_source(delivery)["base"] == fork


def test_empty_range_is_an_error(repo: Repo) -> None:
    """A range with no commits raises a GitError."""
    with pytest.raises(GitError, match=r"range HEAD\.\.HEAD contains no commits"):
        read_git_delivery("HEAD..HEAD", repo.path)


def test_reversed_range_is_an_error(repo: Repo) -> None:
    """A reversed range has no commits and raises a GitError."""
    repo.commit("feat: x", {"x.py": "x\n"})

    with pytest.raises(GitError, match="contains no commits"):
        read_git_delivery("HEAD..HEAD~1", repo.path)


# --- what the diff reports -------------------------------------------------------------


def test_rename_lists_both_paths_and_records_the_rename(repo: Repo) -> None:
    """A rename lists both paths, counts only the edited lines and records the rename."""
    body = "".join(f"line_{n} = {n}\n" for n in range(10))
    repo.commit("feat: body", {"src/app.py": body})
    repo.write("src/app.py", body + "z = 26\n")
    repo.git("mv", "src/app.py", "src/main.py")
    repo.commit("refactor: rename app")

    delivery = read_git_delivery("HEAD", repo.path)

    assert delivery["paths"] == ["src/app.py", "src/main.py"]
    assert delivery["changes"] == {
        "lines_added": 1,
        "lines_removed": 0,
        "files": 1,
        "by_path": {"src/main.py": {"added": 1, "removed": 0}},
    }
    assert git_source(delivery)["renamed"] == [{"from": "src/app.py", "to": "src/main.py"}]
    assert git_source(delivery)["deleted"] == []


def test_deletion_is_recorded(repo: Repo) -> None:
    """A deleted file is listed, counted and recorded as deleted."""
    repo.git("rm", "-q", "README.md")
    repo.commit("docs: drop readme")

    delivery = read_git_delivery("HEAD", repo.path)

    assert delivery["paths"] == ["README.md"]
    assert delivery["changes"] == {
        "lines_added": 0,
        "lines_removed": 1,
        "files": 1,
        "by_path": {"README.md": {"added": 0, "removed": 1}},
    }
    assert git_source(delivery)["deleted"] == ["README.md"]


def test_binary_file_counts_as_a_file_with_no_lines(repo: Repo) -> None:
    """A binary file counts as a changed file with no lines and is recorded as binary."""
    repo.commit("feat: logo", {"logo.png": b"\x89PNG\x00\x01\x02", "src/app.py": "a = 3\n"})

    delivery = read_git_delivery("HEAD", repo.path)

    assert delivery["changes"] == {
        "lines_added": 1,
        "lines_removed": 1,
        "files": 2,
        "by_path": {"src/app.py": {"added": 1, "removed": 1}},
    }
    assert git_source(delivery)["binary"] == ["logo.png"]


def test_odd_file_names_survive(repo: Repo) -> None:
    """File names with spaces, tabs, newlines and non-ASCII come through unchanged."""
    names = ["dir with space/naïve é.txt", "tab\there.txt", "new\nline.txt", ":colon.txt"]
    files: dict[str, str | bytes] = dict.fromkeys(names, "x\n")
    repo.commit("feat: odd names", files)
    repo.git("mv", "dir with space/naïve é.txt", "dir with space/ünï cödé.txt")
    repo.commit("refactor: rename odd")

    added = read_git_delivery("HEAD~1", repo.path)
    renamed = read_git_delivery("HEAD", repo.path)

    assert added["paths"] == sorted(names)
    expected = {"from": "dir with space/naïve é.txt", "to": "dir with space/ünï cödé.txt"}
    assert git_source(renamed)["renamed"] == [expected]


# --- type guessing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("feat: add invoices", "feature"),
        ("feat(vat): round per line", "feature"),
        ("Feat: capitalised", "feature"),
        ("fix: off by one", "bugfix"),
        ("fix(api)!: change status code", "bugfix"),
        ("revert: feat: invoices", "bugfix"),
        ('Revert "feat: invoices"', "bugfix"),
        ("docs: typo", "docs"),
        ("docs(migration): explain the backfill", "docs"),
        ("refactor: extract helper", "refactor"),
        ("perf: cache rates", "refactor"),
        ("style: black", "refactor"),
        ("test: cover rounding", "refactor"),
        ("chore: bump deps", "config"),
        ("build: pin hatchling", "config"),
        ("ci: add job", "config"),
        ("hotfix: stop the bleeding", "hotfix"),
        ("hotfix(billing): stop", "hotfix"),
        ("fix: [hotfix] rounding", "bugfix"),
        ("[PROJ-12] hotfix: rounding", "hotfix"),
        ("fix(hotfix): rounding", "bugfix"),
        ("Merge branch 'hotfix/vat' into main", None),
        ("Merge pull request #12 from someone/maintenance/hotfix/gha-token", None),
        ("feat(migration): backfill vat column", "feature"),
        ("refactor(migrate-to-pathlib): use pathlib", "refactor"),
        ("fix(migration-guide): typo", "bugfix"),
        ("test(migrations): add case", "refactor"),
        ("fix(db-migration): index", "bugfix"),
        ("data-migration(contracts): split names", "data-migration"),
        ("migration: split names", "data-migration"),
        ("migrate: users table", "data-migration"),
        ("release: 1.2.0", "release"),
        ("chore(release): 1.2.0", "config"),
        ("feat(api)!: drop v1", "feature"),
        ("[PROJ-7] feat: tagged", "feature"),
        ("fixup! fix: off by one", "bugfix"),
        ("Update README", None),
        ("Merge branch 'topic'", None),
        ("wip: something", None),
        ("docs explain the hotfix process", None),
        ("", None),
    ],
)
def test_guess_type(subject: str, expected: str | None) -> None:
    """A commit subject gives the type its Conventional Commits type token says, never its scope."""
    assert expected == guess_type(subject)


def test_risk_order_covers_every_guessable_type() -> None:
    """The risk order ranks every type a subject can be guessed as, and no other."""
    assert set(qgit.RISK_ORDER) == set(_commit_types._TYPE_ALIASES.values())


# --- errors ----------------------------------------------------------------------------


def test_not_a_repository(tmp_path: Path) -> None:
    """Reading outside a git repository raises a GitError saying so."""
    plain = tmp_path / "plain"
    plain.mkdir()

    with pytest.raises(GitError, match="not a git repository"):
        read_git_delivery("HEAD", plain)


def test_missing_directory(tmp_path: Path) -> None:
    """Reading from a missing directory raises a GitError saying so."""
    with pytest.raises(GitError, match="no such directory"):
        read_git_delivery("HEAD", tmp_path / "missing")


@pytest.mark.parametrize("revision", ["nope", "nope..HEAD", "HEAD...nope", "HEAD^{tree}"])
def test_unknown_revision_is_named(repo: Repo, revision: str) -> None:
    """An unknown revision raises a GitError naming it, without blaming a shallow clone."""
    name = "HEAD^{tree}" if "tree" in revision else "nope"

    with pytest.raises(GitError, match=f"unknown revision '{name}'".replace("^", r"\^")) as info:
        read_git_delivery(revision, repo.path)
    assert "shallow" not in str(info.value)


def test_option_like_revision_is_refused(repo: Repo) -> None:
    """A revision that looks like a git option is refused as an unknown revision."""
    with pytest.raises(GitError, match="unknown revision '--output=x'"):
        read_git_delivery("--output=x", repo.path)


def test_git_not_installed(repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without git on the PATH reading raises a GitError saying git is not installed."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    with pytest.raises(GitError, match="git is not installed"):
        read_git_delivery("HEAD", repo.path)


@pytest.fixture
def shallow(repo: Repo, tmp_path: Path) -> Path:
    repo.commit("feat: two", {"two.py": "2\n"})
    repo.commit("feat: three", {"three.py": "3\n"})
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)],
        check=True,
        capture_output=True,
    )
    return clone


@pytest.mark.parametrize("revision", ["HEAD~1..HEAD", "HEAD~2", "HEAD"])
def test_shallow_clone_lacking_the_base(shallow: Path, revision: str) -> None:
    """A shallow clone lacking the base raises a GitError advising to unshallow."""
    with pytest.raises(
        GitError, match=r"shallow clone: fetch more history \(git fetch --unshallow\)"
    ):
        read_git_delivery(revision, shallow)


# --- cost --------------------------------------------------------------------------------


@pytest.fixture
def git_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record the argv of every git process qualscale.git starts (still running it)."""
    calls: list[list[str]] = []
    real_run: Callable[..., subprocess.CompletedProcess[Any]] = subprocess.run

    def recording_run(argv: list[str], *args: Any, **kwargs: Any) -> Any:
        if argv and argv[0] == "git":
            calls.append(list(argv))
        return real_run(argv, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", recording_run)
    return calls


def _commands(calls: list[list[str]]) -> list[str]:
    return [next(a for a in argv[1:] if not a.startswith("-") and "=" not in a) for argv in calls]


def test_git_processes_do_not_grow_with_files_or_commits(
    tmp_path: Path, git_calls: list[list[str]]
) -> None:
    """The git processes started are the same few whatever the number of files or commits."""
    small = Repo(tmp_path / "small")
    small_base = small.commit("chore: init", {"a.txt": "a\n"})
    small.commit("feat: one", {"f0.txt": "0\n"})
    big = Repo(tmp_path / "big")
    big_base = big.commit("chore: init", {"a.txt": "a\n"})
    for n in range(20):
        big.commit(f"feat: file {n}", {f"d/f{n}-{i}.txt": f"{i}\n" for i in range(3)})
    big.commit("fix: many", {f"e/f{i}.txt": f"{i}\n" for i in range(50)})

    counts: dict[tuple[str, str], list[str]] = {}
    for name, target, base in (("small", small, small_base), ("big", big, big_base)):
        for revision in ("HEAD", f"{base}..HEAD", f"{base}...HEAD"):
            before = len(git_calls)
            read_git_delivery(revision, target.path)
            counts[(name, revision.replace(base, "BASE"))] = _commands(git_calls[before:])

    for revision in ("HEAD", "BASE..HEAD", "BASE...HEAD"):
        assert counts[("small", revision)] == counts[("big", revision)]
    assert counts[("big", "HEAD")] == ["log", "diff"]
    assert counts[("big", "BASE..HEAD")] == ["log", "log", "diff"]
    assert counts[("big", "BASE...HEAD")] == ["log", "merge-base", "log", "diff"]


def test_recorder_sees_every_git_process(repo: Repo, git_calls: list[list[str]]) -> None:
    """The process recorder sees every git process, including the root commit's rev-parse."""
    root = repo.git("rev-list", "--max-parents=0", "HEAD")
    git_calls.clear()

    read_git_delivery(root, repo.path)

    assert _commands(git_calls) == ["log", "rev-parse", "diff"]


def test_reading_is_deterministic(repo: Repo) -> None:
    """Reading the same range twice gives identical JSON."""
    files: dict[str, str | bytes] = {"z.txt": "z\n", "a.txt": "a\n", "m.bin": b"\x00"}
    repo.commit("feat: a", files)

    assert json.dumps(read_git_delivery("HEAD~1..HEAD", repo.path)) == json.dumps(
        read_git_delivery("HEAD~1..HEAD", repo.path)
    )


def test_a_test_file_beside_a_fix_does_not_raise_its_standard(repo: Repo) -> None:
    """A 4-line payment fix read from git is S2, with or without the 80-line test beside it."""
    retry = "".join(f"step_{i} = {i}\n" for i in range(20))
    repo.commit("feat: sepa retry", {"src/payments/sepa/retry.py": retry})
    fixed = retry.replace("step_3 = 3\n", "step_3 = 4\nstep_3b = 5\nstep_3c = 6\n")
    repo.commit("fix: retry after three days", {"src/payments/sepa/retry.py": fixed})
    test = "".join(f"def test_{i}() -> None:\n    assert True\n" for i in range(40))
    repo.commit("test: retry", {"tests/payments/test_retry.py": test})
    scale = qualscale.load_scale()

    def standard(revision: str) -> tuple[str, str]:
        found = qualscale.Delivery.from_dict(read_git_delivery(revision, repo.path, scale=scale))
        result = qualscale.classify(found, scale)
        return result.standard.id, next(r.message for r in result.rationale if r.rule == "size")

    assert standard("HEAD~1") == (
        "S2",
        "4 lines -> trivial, 1 file -> trivial, 1 component -> trivial; size trivial",
    )
    assert standard("HEAD~2..HEAD") == (
        "S2",
        "4 lines -> trivial, 1 file -> trivial, 1 component -> trivial;"
        " size trivial (80 test lines, 1 test file not counted)",
    )


def test_a_merge_is_read_from_the_merged_commits_not_the_branch_name(repo: Repo) -> None:
    """A merge of a branch named hotfix/... takes the type of the commits it brings in."""
    repo.git("checkout", "-q", "-b", "maintenance/hotfix/gha-token")
    repo.commit("ci(hotfix): rotate the token", {".github/workflows/ci.yml": "on: push\n"})
    repo.commit("fix(migration-guide)!: typo", {"docs/guide.md": "text\n"})
    repo.git("checkout", "-q", "main")
    repo.git(
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge pull request #7 from someone/maintenance/hotfix/gha-token",
        "maintenance/hotfix/gha-token",
    )

    delivery = read_git_delivery("HEAD", repo.path)

    assert delivery["type"] == "bugfix"
    assert git_source(delivery)["subjects_types"] == {"bugfix": 1, "config": 1}
    assert git_source(delivery)["breaking"] is True
