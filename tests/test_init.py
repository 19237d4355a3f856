"""``qualscale init``: a starter overlay guessed from a repository's files, valid and usable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import qualscale
from qualscale import cli
from tests._repo import Repo, hermetic_git


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    hermetic_git(monkeypatch, tmp_path)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "shop-lib")
    repo.commit(
        "initial",
        {
            "README.md": "# shop\n",
            "docs/index.rst": "Docs\n",
            "src/shop/__init__.py": "",
            "src/shop/cart.py": "a = 1\n",
            "src/shop/auth/__init__.py": "",
            "src/shop/auth/tokens.py": "t = 1\n",
            "tests/test_cart.py": "def test(): pass\n",
            ".github/workflows/ci.yml": "on: push\n",
            "pyproject.toml": "[project]\n",
            "tools/release.sh": "echo\n",
            "Justfile": "x:\n",
            "artwork/logo.svg": "<svg/>",
        },
    )
    repo.commit("fix(cart): rounding", {"src/shop/cart.py": "a = 2\n"})
    return repo


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_init_writes_an_overlay_that_validates_and_plans_the_last_commit(
    repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The overlay init writes loads, and plans the repository's last commit."""
    target = tmp_path / "scale.yaml"
    code, out, err = run(capsys, "init", "--repo", str(repo.path), "-o", str(target))
    assert (code, out) == (0, "")
    assert "12 tracked files, 0 unmapped (0.0 %)" in err
    scale = qualscale.load_scale(target)
    added = scale.rules.components[-5:]
    assert [c.id for c in added] == ["shop-auth", "shop", "top-level", "artwork", "tools"]
    assert [c.criticality for c in added] == ["high", "medium", "medium", "low", "low"]
    assert [c.content for c in added] == ["code", "code", "code", "docs", "code"]
    assert added[0].flags == ("security",)
    code, out, _ = run(capsys, "validate", str(target))
    assert (code, out) == (0, f"ok: {target} (scale shop-lib 0.1)\n")
    code, out, _ = run(
        capsys, "plan", "--git", "HEAD", "--repo", str(repo.path), "--scale", str(target)
    )
    assert code == 0
    assert "shop" in out


def test_every_guess_carries_a_comment(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    """Without -o the overlay goes to stdout, and every guessed line says what it guessed from."""
    code, out, _ = run(capsys, "init", "--repo", str(repo.path))
    assert code == 0
    assert out.startswith("# A starter overlay for shop-lib")
    guessed = [line for line in out.splitlines() if line.lstrip().startswith(("- id:", "crit"))]
    assert guessed
    assert all("# guess:" in line for line in guessed)


def test_init_over_a_narrow_base_maps_every_file(
    repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Over billing-saas, folders the base does not know get components: nothing is unmapped."""
    target = tmp_path / "scale.yaml"
    code, _, err = run(
        capsys, "init", "--repo", str(repo.path), "--base", "billing-saas", "-o", str(target)
    )
    assert code == 0
    assert "0 unmapped" in err
    argv = ["map", "--all-files", "--repo", str(repo.path), "--scale", str(target)]
    code, out, _ = run(capsys, *argv, "--format", "json")
    data = json.loads(out)
    assert (code, data["unmapped"]) == (0, [])
    found = {p["path"]: p["component"] for p in data["paths"]}
    assert (found["tools/release.sh"], found["Justfile"]) == ("tools", "top-level")


def test_init_outside_a_repository_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """init in a folder that is no git repository says so in one line and exits 2."""
    code, out, err = run(capsys, "init", "--repo", str(tmp_path))
    assert (code, out) == (2, "")
    assert err.startswith("qualscale: not a git repository")
    assert len(err.splitlines()) == 1
