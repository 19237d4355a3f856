"""The cache of attrs' generated methods: used only when its source is exactly attrs' own."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

from qualscale import _code_cache
from tests._paths import EXAMPLES
from tests._repo import Repo, hermetic_git


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("QUALSCALE_CACHE_DIR", str(folder))
    return folder


def _model(fields: str = "a b", cached: bool = True) -> Any:
    """A frozen attrs class of a qualscale module, made inside the cache's block."""
    body = {n: attrs.field(default=i) for i, n in enumerate(fields.split())}
    made = type("Model", (), {"__module__": "qualscale.made_up", **body})
    if not cached:
        return attrs.frozen(made)
    with _code_cache.attrs_code_cached():
        return attrs.frozen(made)


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The file names of what ``compile`` is called on from now on."""
    seen: list[str] = []
    real = builtins.compile

    def counting(source: Any, filename: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(filename))
        return real(source, filename, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", counting)
    return seen


def _file(cache: Path) -> Path:
    (entry,) = cache.glob("attrs-code-*.marshal")
    return entry


def test_a_class_built_from_cached_code_behaves_as_one_built_by_attrs(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Second build: nothing compiled, and equality, hash and repr are attrs' own."""
    first = _model()
    assert _file(cache).stat().st_mode & 0o777 == 0o600
    compiled = _compiles(monkeypatch)
    second = _model()
    assert [f for f in compiled if "qualscale.made_up" in f] == []
    plain = _model(cached=False)
    for cls in (first, second):
        assert cls(1, 2) == cls(1, 2) != cls(1, 3)
        assert hash(cls(1, 2)) == hash(plain(1, 2))
        assert repr(cls(1, 2)) == "Model(a=1, b=2)"
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            cls(1, 2).a = 3


def test_a_changed_class_is_compiled_again_and_replaces_its_entry(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A class whose source changed misses the cache; its new code is kept instead."""
    _model()
    size = _file(cache).stat().st_size
    compiled = _compiles(monkeypatch)
    changed = _model("a b c")
    assert any("qualscale.made_up" in f for f in compiled)
    assert repr(changed()) == "Model(a=0, b=1, c=2)"
    compiled.clear()
    _model("a b c")
    assert [f for f in compiled if "qualscale.made_up" in f] == []
    assert _file(cache).stat().st_size > size


def test_only_qualscale_classes_are_kept(cache: Path) -> None:
    """A class of another module, made in the block, is attrs' business alone."""
    with _code_cache.attrs_code_cached():
        attrs.frozen(type("Other", (), {"__module__": "elsewhere", "a": attrs.field()}))
    assert list(cache.glob("attrs-code-*")) == []


@pytest.mark.parametrize("content", [b"", b"not marshal", b"\xe9\x00", None])
def test_a_broken_or_foreign_file_is_ignored_and_replaced(
    cache: Path, monkeypatch: pytest.MonkeyPatch, content: bytes | None
) -> None:
    """A file that does not load, or holds another Python's code, is not used."""
    import marshal

    _model()
    entry = _file(cache)
    if content is None:  # the right shape, written by another Python
        content = marshal.dumps((1, "2.7.18", {}))
    entry.write_bytes(content)
    entry.chmod(0o600)
    compiled = _compiles(monkeypatch)
    assert repr(_model()()) == "Model(a=0, b=1)"
    assert any("qualscale.made_up" in f for f in compiled)
    assert entry.read_bytes() != content


def test_a_file_others_may_write_is_not_used(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Code that group or others could have written is never run."""
    _model()
    _file(cache).chmod(0o666)
    compiled = _compiles(monkeypatch)
    _model()
    assert any("qualscale.made_up" in f for f in compiled)


@pytest.mark.parametrize("version", ["23.2.0", "25.2.0", "27.1.0", "x.y", None])
def test_attrs_versions_not_tested_run_untouched(
    cache: Path, monkeypatch: pytest.MonkeyPatch, version: str | None
) -> None:
    """With an attrs version outside the tested range (or none found) attrs is left alone."""
    import attr._make

    real = attr._make._compile_and_eval
    monkeypatch.setattr(_code_cache, "_attrs_version", lambda module: version)
    with _code_cache.attrs_code_cached():
        assert attr._make._compile_and_eval is real
    assert not cache.exists()


def test_the_cache_is_off_with_the_scale_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """``QUALSCALE_CACHE_DIR=off`` leaves attrs alone."""
    import attr._make

    real = attr._make._compile_and_eval
    monkeypatch.setenv("QUALSCALE_CACHE_DIR", "off")
    with _code_cache.attrs_code_cached():
        assert attr._make._compile_and_eval is real


def test_the_installed_attrs_version_is_found() -> None:
    """The version read from the dist-info folder is the one attrs reports."""
    from importlib.metadata import version

    import attr._make

    assert _code_cache._attrs_version(attr._make.__file__) == version("attrs")


def test_the_command_line_gives_the_same_plan_from_cached_code(cache: Path) -> None:
    """``python -m qualscale``, first and second run, under other hash seeds: the same plan."""
    delivery = str(EXAMPLES / "deliveries" / "rating-vat-rounding.yaml")
    outputs = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-m", "qualscale", "plan", delivery, "--format", "json"]
        outputs.append(subprocess.run(command, env=env, capture_output=True, check=True).stdout)
        if seed == "1":
            written = _file(cache).stat().st_mtime_ns
    assert outputs[0] == outputs[1] == outputs[2]
    assert _file(cache).stat().st_mtime_ns == written  # nothing new to keep


LEAN = """
import sys
from qualscale.__main__ import main
sys.argv = ["qualscale", "plan", sys.argv[1], "--format", sys.argv[2]]
assert main() == 0
heavy = ("jinja2", "pathlib", "json", "signal", "sqlite3", "cattrs", "qualscale.records",
         "qualscale.verification", "qualscale.stores", "encodings.utf_8_sig")
print(" ".join(m for m in heavy if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize(("format", "allowed"), [("markdown", ""), ("json", "json")])
def test_a_warm_plan_on_a_bundled_scale_imports_nothing_it_does_not_need(
    cache: Path, format: str, allowed: str
) -> None:
    """Markdown needs neither jinja2 nor json; neither format pathlib, signal, stores, cattrs."""
    delivery = str(EXAMPLES / "deliveries" / "docs-typo.yaml")
    command = [sys.executable, "-c", LEAN, delivery, format]
    subprocess.run(command, capture_output=True, check=True)  # fills the caches
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert result.stderr.split() == allowed.split()


def test_a_warm_plan_from_git_never_imports_pyyaml(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the scale cached, ``plan --git`` reads no YAML, so it leaves PyYAML unimported."""
    hermetic_git(monkeypatch, tmp_path)
    repo = Repo(tmp_path / "repo")
    repo.commit("chore: start", {"README.md": "hello\n"})
    repo.commit("docs: greet", {"README.md": "hello\nworld\n"})
    code = (
        "import sys; from qualscale.cli import main; "
        "assert main(['plan', '--git', 'HEAD', '--repo', sys.argv[1], '--format', 'json']) == 0; "
        "print('yaml' in sys.modules, file=sys.stderr)"
    )
    command = [sys.executable, "-c", code, str(repo.path)]
    first = subprocess.run(command, capture_output=True, text=True, check=True)
    assert first.stderr.split() == ["True"]  # the first run reads the scale's YAML
    again = subprocess.run(command, capture_output=True, text=True, check=True)
    assert again.stderr.split() == ["False"]
