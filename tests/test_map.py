"""``qualscale map``: each path's component and glob, unmapped paths, globs matching nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualscale import cli
from qualscale._mapping import map_paths
from qualscale.loading import load_scale
from tests._repo import Repo, hermetic_git


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    hermetic_git(monkeypatch, tmp_path)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.commit(
        "initial",
        {
            "README.md": "hello\n",
            "docs/index.rst": "Docs\n",
            "src/pkg/core.py": "a = 1\n",
            "tests/test_core.py": "def test(): pass\n",
            "pyproject.toml": "[project]\n",
            "data/a.bin": "x",
        },
    )
    return repo


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_all_files_maps_every_tracked_file_with_its_glob(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    """--all-files maps each tracked file, naming the component and the glob that took it."""
    code, out, _ = run(capsys, "map", "--all-files", "--repo", str(repo.path), "--format", "json")
    data = json.loads(out)
    found = {p["path"]: (p["component"], p["glob"]) for p in data["paths"]}
    assert code == 0
    assert found == {
        "README.md": ("docs", "*.md"),
        "data/a.bin": (None, None),
        "docs/index.rst": ("docs", "docs/**"),
        "pyproject.toml": ("config", "*.toml"),
        "src/pkg/core.py": (None, None),
        "tests/test_core.py": ("tests", "tests/**"),
    }
    assert data["unmapped"] == ["data/a.bin", "src/pkg/core.py"]
    assert data["summary"] == {"paths": 6, "mapped": 4, "unmapped": 2}
    assert {"component": "rating", "glob": "src/rating/**"} in data["unused_globs"]
    assert {"component": "docs", "glob": "docs/**"} not in data["unused_globs"]


def test_every_unmapped_path_is_listed_in_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The JSON lists all unmapped paths, not the first three."""
    repo = Repo(tmp_path / "many")
    repo.commit("files", {f"misc/f{i}.dat": "x" for i in range(12)})
    _, out, _ = run(capsys, "map", "--all-files", "--repo", str(repo.path), "--format", "json")
    assert len(json.loads(out)["unmapped"]) == 12


def test_git_range_maps_the_changed_paths(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    """--git RANGE maps only the paths the range changed."""
    repo.commit("more", {"docs/guide.md": "x\n", "src/rating/vat.py": "v = 2\n"})
    code, out, _ = run(capsys, "map", "--git", "HEAD", "--repo", str(repo.path))
    assert code == 0
    lines = out.splitlines()
    assert lines[1].split() == ["docs/guide.md", "docs", "docs/**"]
    assert lines[2].split() == ["src/rating/vat.py", "rating", "src/rating/**"]
    assert "2 paths: 2 mapped, 0 unmapped (0.0 %)" in out


def test_text_lists_unmapped_paths_and_unused_globs(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The text output ends with the unmapped paths and the globs matching no tracked file."""
    _, out, _ = run(capsys, "map", "--all-files", "--repo", str(repo.path), "--scale", "generic")
    assert "6 paths: 6 mapped, 0 unmapped (0.0 %)" in out
    assert "GLOBS MATCHING NO FILE OF THE REPOSITORY" in out
    assert "changelog     changelog.d/**" in out


def test_paths_outside_a_repository_are_mapped_without_checking_globs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PATH... works outside a repository; the globs are then not checked."""
    code, out, _ = run(capsys, "map", "src/payments/x.py", "--repo", str(tmp_path))
    assert code == 0
    assert out.splitlines()[1].split() == ["src/payments/x.py", "payments", "src/payments/**"]
    assert "globs not checked: not a git repository" in out


@pytest.mark.parametrize(
    "argv", [["map"], ["map", "--all-files", "a.py"], ["map", "--all-files", "--git", "HEAD"]]
)
def test_exactly_one_source_of_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """map takes exactly one of --git, --all-files and PATH...; otherwise a usage error."""
    code, _, err = run(capsys, *argv, "--repo", str(tmp_path))
    assert code == 2
    assert "usage:" in err


def test_the_first_component_in_match_order_takes_a_path() -> None:
    """A higher-priority component takes a path before one listed earlier, as classify does."""
    rules = load_scale("generic").rules
    (match,) = map_paths(rules, ["requirements-dev.txt"]).matches
    assert (match.component, match.glob) == ("dependencies", "requirements*.txt")
    (match,) = map_paths(rules, ["CHANGES.rst"]).matches
    assert (match.component, match.glob) == ("changelog", "CHANGES*")
