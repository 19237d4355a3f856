"""Kind rules of the pytest plugin: our own marker expression evaluator and rule lines."""

from __future__ import annotations

import re

import pytest

from _qualscale_pytestplugin.kinds import (
    ExpressionError,
    MarkMatcher,
    compile_expression,
    compile_rules,
)

KINDS = ("unit", "regression", "performance")


def has(*marks: str | tuple[str, dict[str, object]]) -> MarkMatcher:
    """A test's markers as an expression asks them: names, or names with kwargs."""
    given = [(m, {}) if isinstance(m, str) else m for m in marks]

    def matcher(name: str, /, **kwargs: object) -> bool:
        return any(
            n == name and all(k in kw and kw[k] == v for k, v in kwargs.items()) for n, kw in given
        )

    return matcher


@pytest.mark.parametrize(
    ("expression", "marks", "expected"),
    [
        ("perf", ["perf"], True),
        ("perf", ["slow"], False),
        ("perf or benchmark", ["benchmark"], True),
        ("perf and slow", ["perf"], False),
        ("perf and slow", ["perf", "slow"], True),
        ("not slow", [], True),
        ("not slow", ["slow"], False),
        ("not not slow", ["slow"], True),
        ("e2e and not slow", ["e2e"], True),
        ("a or b and c", ["a"], True),  # "and" binds tighter than "or"
        ("(a or b) and c", ["a"], False),
        ("((a))", ["a"], True),
        ("  a   or\tb ", ["b"], True),
        ("or_else", ["or_else"], True),  # a keyword inside a name is a name
        ("a-b.c:d", ["a-b.c:d"], True),
        ('db(kind="pg")', [("db", {"kind": "pg"})], True),
        ("db(kind='pg')", [("db", {"kind": "mysql"})], False),
        ("db(n=3, ok=True, x=None)", [("db", {"n": 3, "ok": True, "x": None})], True),
        ("db(n=-3)", [("db", {"n": -3})], True),
    ],
)
def test_marker_expressions_evaluate_like_pytest_m(
    expression: str, marks: list[str | tuple[str, dict[str, object]]], expected: bool
) -> None:
    """``name``, ``not``, ``and``, ``or``, parentheses and kwargs mean what they mean in -m."""
    assert compile_expression(expression)(has(*marks)) is expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "expected a marker name, 'not' or '('; found nothing"),
        ("a or", "expected a marker name, 'not' or '(' at column 5; found the end"),
        ("a b", "expected 'and', 'or' or the end at column 3; found 'b'"),
        ("(a", "expected ')' at column 3; found the end"),
        ("a)", "expected 'and', 'or' or the end at column 2; found ')'"),
        ("not", "expected a marker name, 'not' or '(' at column 4; found the end"),
        ("a and or b", "expected a marker name, 'not' or '(' at column 7; found 'or'"),
        ("a & b", "unexpected character '&' at column 3"),
        ('a "b"', "expected 'and', 'or' or the end at column 3; found '\"b\"'"),
        ("db(kind)", "expected '=' at column 8; found ')'"),
        ("db(kind=pg)", "expected a quoted string, an integer, True, False or None at column 9;*"),
        ("db(1=2)", "expected a keyword argument name at column 4; found '1'"),
        ("db(a=1 b=2)", "expected ',' or ')' at column 8; found 'b'"),
        ('db(a="x', "unexpected character '\"' at column 6"),
    ],
)
def test_bad_expressions_say_what_was_expected_and_where(expression: str, message: str) -> None:
    """A malformed expression raises ExpressionError with the column and what was found."""
    with pytest.raises(ExpressionError) as info:
        compile_expression(expression)
    assert info.match(_glob_to_regex(message))


def _glob_to_regex(message: str) -> str:
    return "^" + re.escape(message).replace(r"\*", ".*") + "$"


def test_rules_report_every_bad_line_at_once() -> None:
    """All problems of qualscale_kinds and qualscale_default_kind come in one usage error."""
    lines = ["perf: slow", "unit: a or", "just-a-word", "regression: tests/regression/"]
    with pytest.raises(pytest.UsageError) as info:
        compile_rules(lines, "units", KINDS)
    assert str(info.value).splitlines() == [
        "qualscale_kinds line 1 'perf: slow': unknown kind 'perf'; the scale's kinds are: "
        "unit, regression, performance",
        "qualscale_kinds line 2 'unit: a or': bad marker expression: expected a marker name, "
        "'not' or '(' at column 5; found the end",
        "qualscale_kinds line 3 'just-a-word': expected 'kind: marker expression' or "
        "'kind: path glob'",
        "qualscale_default_kind: unknown kind 'units'; the scale's kinds are: unit, regression, "
        "performance (did you mean 'unit'?)",
    ]


def test_bad_path_globs_are_refused_as_in_a_scale() -> None:
    """An absolute, backslash or unclosed-class glob in qualscale_kinds is a usage error."""
    lines = ["unit: /tests/unit/**", "regression: tests\\reg\\*.py", "performance: t/[ab*.py"]
    with pytest.raises(pytest.UsageError) as info:
        compile_rules(lines, "unit", KINDS)
    messages = str(info.value).splitlines()
    assert len(messages) == 3
    assert "a glob is relative to the repository root" in messages[0]
    assert "found a backslash" in messages[1]
    assert "unclosed '['" in messages[2]


def test_a_rule_with_a_slash_star_or_py_is_a_path_glob() -> None:
    """Globs and expressions are told apart as the docs say; a trailing / means the folder."""
    rules = compile_rules(
        ["regression: tests/regression/", "performance: *_perf.py bench/*", "unit: fast"],
        "unit",
        KINDS,
    ).rules
    assert [(r.kind, r.globs, r.expression is not None) for r in rules] == [
        ("regression", ("tests/regression/**",), False),
        ("performance", ("*_perf.py", "bench/*"), False),
        ("unit", (), True),
    ]
