"""The public surface: what each public module shows, and that it imports cheaply."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import qualscale

SRC = Path(qualscale.__file__).parent

PUBLIC_MODULES = [
    "qualscale",
    "qualscale.calibration",
    "qualscale.classification",
    "qualscale.cli",
    "qualscale.compiled",
    "qualscale.delivery",
    "qualscale.errors",
    "qualscale.evidence",
    "qualscale.gates",
    "qualscale.git",
    "qualscale.judgement",
    "qualscale.loading",
    "qualscale.planning",
    "qualscale.records",
    "qualscale.replay",
    "qualscale.render",
    "qualscale.requirements",
    "qualscale.rules",
    "qualscale.scale",
    "qualscale.stores",
    "qualscale.strategies",
    "qualscale.verification",
]


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_dir_of_a_public_module_is_its_api(name: str) -> None:
    """``dir()`` of a public module lists exactly its sorted ``__all__``, and each name exists."""
    module = importlib.import_module(name)
    assert dir(module) == sorted(module.__all__)
    assert all(hasattr(module, attr) for attr in module.__all__)


def test_package_all_is_sorted_and_plain() -> None:
    """The package's ``__all__`` is sorted and re-exports objects, never modules."""
    assert qualscale.__all__ == sorted(qualscale.__all__)
    values = [getattr(qualscale, name) for name in qualscale.__all__]
    assert not [v for v in values if type(v).__name__ == "module"]


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_no_public_module_is_named_like_a_public_function(name: str) -> None:
    """No module shares its name with a function of the package (``qualscale.plan`` is one)."""
    leaf = name.rsplit(".", 1)[-1]
    assert not callable(getattr(qualscale, leaf, None)) or leaf == "qualscale"


def test_import_loads_no_heavy_dependency() -> None:
    """``import qualscale`` leaves cattrs, PyYAML and jinja2 unimported until they are used."""
    code = (
        "import json, sys, qualscale; "
        "print(json.dumps(sorted(m for m in ('cattrs', 'yaml', 'jinja2') if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


CORE = [
    "errors",
    "_text",
    "_validators",
    "_located",
    "_structure",
    "_convert",
    "_globs",
    "delivery",
    "requirements",
    "_commit_rules",
    "_commit_types",
    "rules",
    "gates",
    "scale",
    "_classify_findings",
    "_mapping",
    "_merge",
    "_init_overlay",
    "_classify_moves",
    "classification",
    "planning",
    "verification",
    "records",
    "compiled",
    "_fit",
    "_change_metrics",
    "_monotone",
    "_score_fit",
    "calibration",
    "replay",
    "evidence",
    "judgement",
]
#: What the core may import: itself, attrs and cattrs, and the standard library's pure parts.
ALLOWED = {
    "__future__",
    "attrs",
    "cattrs",
    "collections",
    "dataclasses",
    "datetime",
    "difflib",
    "enum",
    "functools",
    "hashlib",
    "itertools",
    "json",
    "math",
    "operator",
    "re",
    "textwrap",
    "types",
    "typing",
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("name", CORE)
def test_the_core_imports_nothing_that_opens_files(name: str) -> None:
    """A core module imports only the core, attrs, cattrs and pure standard modules."""
    imported = _imports(SRC / f"{name}.py")
    outside = sorted(
        m
        for m in imported
        if m.split(".")[0] not in ALLOWED
        and not (m.startswith("qualscale.") and m.removeprefix("qualscale.") in CORE)
    )
    assert outside == []


@pytest.mark.parametrize("name", CORE)
def test_the_core_never_calls_open(name: str) -> None:
    """No core module calls ``open`` or touches ``os``, ``pathlib`` or ``subprocess``."""
    tree = ast.parse((SRC / f"{name}.py").read_text(encoding="utf-8"))
    calls = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open"
    ]
    assert calls == []


@pytest.mark.parametrize(
    "build",
    [
        lambda: qualscale.Delivery(id="x", flags="money"),
        lambda: qualscale.Delivery(id="x", type="hotfx"),  # type: ignore[arg-type]
        lambda: qualscale.Delivery(id=3),  # type: ignore[arg-type]
        lambda: qualscale.Delivery(id="  "),
        lambda: qualscale.Changes(lines_added="3"),  # type: ignore[arg-type]
        lambda: qualscale.Changes(files=-1),
        lambda: qualscale.Changes(files=True),
        lambda: qualscale.Kind(id="a b"),
        lambda: qualscale.Kind(id=None),  # type: ignore[arg-type]
        lambda: qualscale.PastDelivery(id="p", escaped_defects=-2),
    ],
)
def test_bad_values_built_in_python_raise_a_validation_error(build: Callable[[], object]) -> None:
    """A model object built in Python with a bad value raises a ValidationError naming the field."""
    with pytest.raises(qualscale.ValidationError) as info:
        build()
    [problem] = info.value.problems
    assert len(problem.path) == 1


def _module_imports() -> dict[str, set[str]]:
    """Every qualscale module and the qualscale modules it imports anywhere in its body."""
    graph: dict[str, set[str]] = {}
    for root in (SRC, SRC.parent / "_qualscale_pytestplugin"):
        for file in root.glob("*.py"):
            name = f"{root.name}.{file.stem}".removesuffix(".__init__")
            targets = set()
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module:
                    targets.add(node.module)
                    targets.update(f"{node.module}.{alias.name}" for alias in node.names)
                elif isinstance(node, ast.Import):
                    targets.update(alias.name for alias in node.names)
            graph[name] = targets
    return {
        name: {t for t in targets if t in graph and t != name} for name, targets in graph.items()
    }


def test_the_import_graph_has_no_circle() -> None:
    """No module imports, directly or through others, a module that imports it back."""
    graph = _module_imports()
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, " -> ".join((*trail, name))
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, (*trail, name))
        done.add(name)

    for name in sorted(graph):
        visit(name, ())


def test_no_source_file_or_function_is_too_long() -> None:
    """Every source file stays under 500 lines and every function under 60."""
    too_long = []
    for file in [*SRC.glob("*.py"), *(SRC.parent / "_qualscale_pytestplugin").glob("*.py")]:
        text = file.read_text(encoding="utf-8")
        if text.count("\n") >= 500:
            too_long.append(f"{file.name}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length >= 60:
                    too_long.append(f"{file.name}:{node.lineno} {node.name}: {length} lines")
    assert too_long == []


def test_every_public_module_is_an_attribute_of_the_package() -> None:
    """After `import qualscale`, each public module is reachable as `qualscale.NAME`."""
    import qualscale

    names = {m.removeprefix("qualscale.") for m in PUBLIC_MODULES if m != "qualscale"}
    assert names == qualscale._MODULES
    code = "import qualscale; print(qualscale.loading.load_scale.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout == "load_scale\n", done.stderr
