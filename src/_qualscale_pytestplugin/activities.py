"""Judging a session by activity: which depth a test proves, where the session runs, which gate.

With ``--qualscale-environment`` (ini ``qualscale_environment``), ``--qualscale-gate`` or
``qualscale_depths`` set, the session judges every activity of the plan as
``qualscale verify`` does: a test proves its kind at the depth the first matching
``qualscale_depths`` line gives (``regression/smoke: smoke``, ``regression/full:
tests/regression/``), else at the kind's shallowest depth; the session's tests ran in
the session's environment (default: the scale's first); activities placed in another
environment (or, with a gate, at a later gate) are due later; an ``independent``
activity is never proved by a test run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs
import pytest

from _qualscale_pytestplugin.kinds import (
    ExpressionError,
    Marks,
    Rule,
    _globs,
    _is_glob,
    _relative,
    compile_expression,
)
from qualscale._text import did_you_mean
from qualscale.evidence import EvidenceSet, Proof
from qualscale.judgement import Judgement, judge
from qualscale.planning import TestPlan
from qualscale.scale import Scale

__all__ = ["DEPTH_PROPERTY", "ENVIRONMENT_PROPERTY", "Placement", "compile_depths", "judge_session"]

#: The user properties a test report carries in an activity-judging session (JUnit XML too).
DEPTH_PROPERTY = "qualscale_depth"
ENVIRONMENT_PROPERTY = "qualscale_environment"


@attrs.frozen
class DepthRule:
    """One ``qualscale_depths`` line: ``kind/depth: marker expression or path glob``."""

    kind: str
    depth: str
    rule: Rule


@attrs.frozen
class Placement:
    """Where and when the session's tests count, and the depth rules."""

    environment: str | None
    gate: str | None
    rules: tuple[DepthRule, ...] = ()

    def depth_of(self, item: pytest.Item, kind: str, root: Path) -> str | None:
        """The depth the first rule of ``kind`` that matches ``item`` gives, or ``None``."""
        path: str | None = None
        marks: Marks | None = None
        for rule in self.rules:
            if rule.kind != kind:
                continue
            path = path or _relative(item.path, root)
            marks = marks or Marks(item)
            if rule.rule.matches(path, marks):
                return rule.depth
        return None


def compile_depths(
    lines: Sequence[str], depths: Mapping[str, Sequence[str]]
) -> tuple[DepthRule, ...]:
    """The rules of ``qualscale_depths``, checked against the scale's kinds and depths.

    Raises:
        pytest.UsageError: naming the ini key and every bad line at once.
    """
    problems: list[str] = []
    rules: list[DepthRule] = []
    for number, line in enumerate(lines, 1):
        head, sep, spec = (part.strip() for part in line.partition(":"))
        kind, slash, depth = (part.strip() for part in head.partition("/"))
        where = f"qualscale_depths line {number} {line!r}"
        if not sep or not slash or not kind or not depth or not spec:
            problems.append(f"{where}: expected 'kind/depth: marker expression or path glob'")
        elif kind not in depths:
            problems.append(f"{where}: unknown kind {kind!r}{did_you_mean(kind, depths)}")
        elif depth not in depths[kind]:
            known = ", ".join(depths[kind])
            problems.append(
                f"{where}: unknown depth {depth!r} of {kind}; its depths are: {known}"
                f"{did_you_mean(depth, depths[kind])}"
            )
        elif _is_glob(spec):
            rules.append(DepthRule(kind, depth, Rule(kind, globs=_globs(spec))))
        else:
            try:
                rules.append(
                    DepthRule(kind, depth, Rule(kind, expression=compile_expression(spec)))
                )
            except ExpressionError as exc:
                problems.append(f"{where}: bad marker expression: {exc}")
    if problems:
        raise pytest.UsageError("\n".join(problems))
    return tuple(rules)


def judge_session(
    plan: TestPlan,
    scale: Scale,
    tally: Mapping[tuple[str, str | None, str], int],
    placement: Placement,
    today: str,
) -> Judgement:
    """Judge ``plan`` by activity on the session's tests counted per kind, depth and outcome."""
    counts: dict[tuple[str, str | None], list[int]] = {}
    index = {"passed": 0, "failed": 1, "skipped": 2}
    for (kind, depth, outcome), number in tally.items():
        counts.setdefault((kind, depth), [0, 0, 0])[index[outcome]] += number
    env = placement.environment
    proofs = tuple(
        Proof(kind, depth, env, passed=c[0], failed=c[1], skipped=c[2], source="pytest")
        for (kind, depth), c in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    )
    scope = env if placement.gate is None else None
    return judge(
        plan,
        scale,
        EvidenceSet(proofs=proofs),
        today=today,
        gate=placement.gate,
        environment=scope,
    )
