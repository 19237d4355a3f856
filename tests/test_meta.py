"""The test suite itself: every test says, in one sentence, what it specifies."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _tests(root: Path) -> Iterator[tuple[str, Function]]:
    """Every function pytest would collect as a test under ``root``, as ``file:line`` and node.

    Methods of classes count, and so do functions nested in other functions.
    """
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, Function) and node.name.startswith("test"):
                yield f"{path.relative_to(root.parent).as_posix()}:{node.lineno}", node


def undocumented(root: Path) -> list[str]:
    """``file:line: name`` of each test function under ``root`` without a docstring."""
    return [
        f"{where}: {node.name}" for where, node in _tests(root) if ast.get_docstring(node) is None
    ]


def not_one_sentence(root: Path) -> list[str]:
    """``file:line: name`` of each test docstring that is not one line ending with a period."""
    found = []
    for where, node in _tests(root):
        doc = ast.get_docstring(node)
        if doc is not None and ("\n" in doc or not doc.endswith(".")):
            found.append(f"{where}: {node.name}")
    return found


def test_every_test_function_has_a_docstring() -> None:
    """Every test function under tests/ has a docstring."""
    assert undocumented(TESTS) == []


def test_every_test_docstring_is_one_sentence() -> None:
    """Every test docstring under tests/ is a single line ending with a period."""
    assert not_one_sentence(TESTS) == []


def test_the_checks_name_file_and_line_of_each_offender(tmp_path: Path) -> None:
    """The checks name file, line and function of each offender, methods included."""
    root = tmp_path / "tests"
    root.mkdir()
    (root / "test_x.py").write_text(
        textwrap.dedent(
            '''\
            def helper():
                pass

            def test_bare():
                assert True

            def test_documented():
                """Says what it specifies."""

            class TestGroup:
                def test_method(self):
                    pass

                async def test_async(self):
                    """no period"""

                def test_two_lines(self):
                    """First line.

                    Second line.
                    """
            '''
        ),
        encoding="utf-8",
    )
    assert undocumented(root) == ["tests/test_x.py:4: test_bare", "tests/test_x.py:11: test_method"]
    assert not_one_sentence(root) == [
        "tests/test_x.py:14: test_async",
        "tests/test_x.py:17: test_two_lines",
    ]
