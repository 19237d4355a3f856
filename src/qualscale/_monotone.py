"""Whether a scale is monotone: more size or risk never gives a lower standard.

Pure. :func:`monotone_problems` is what :func:`qualscale.scale.check_scale` reports
when a scale claims to be monotone; each problem says where and why in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from qualscale.errors import KeyPath
from qualscale.requirements import Kind, Requirement
from qualscale.rules import CONTENT_ORDER, Modifier, Rules


class _Standard(Protocol):
    @property
    def id(self) -> str: ...


class Scale(Protocol):
    """What the checks read of a :class:`qualscale.Scale` (which imports this module)."""

    @property
    def kinds(self) -> tuple[Kind, ...]: ...
    @property
    def standards(self) -> Sequence[_Standard]: ...
    @property
    def rules(self) -> Rules: ...
    def rank(self, id: str) -> int: ...
    def requirement(self, standard_id: str, kind: str) -> Requirement | None: ...


def monotone_problems(scale: Scale) -> list[tuple[KeyPath, str]]:
    problems = _monotone_table(scale)
    for mi, mod in enumerate(scale.rules.modifiers):
        problem = _direction_problem(mod)
        if problem:
            problems.append((("rules", "modifiers", mi, "when"), problem))
    problems.extend(_monotone_matrix(scale))
    return problems


def _monotone_table(scale: Scale) -> list[tuple[KeyPath, str]]:
    """A higher standard keeps every required kind of a lower one, at least as deep."""
    problems: list[tuple[KeyPath, str]] = []
    pairs = list(zip(scale.standards, scale.standards[1:], strict=False))
    for kind in scale.kinds:
        for lower, higher in pairs:
            req = scale.requirement(lower.id, kind.id)
            if req is None or req.obligation != "required":
                continue
            other = scale.requirement(higher.id, kind.id)
            path: KeyPath = ("requirements", kind.id, higher.id)
            if other is None or other.obligation != "required":
                higher_says = "does not ask for it" if other is None else _SAYS[other.obligation]
                problems.append(
                    (
                        path,
                        f"not monotone: {lower.id} requires {kind.id!r} but the higher "
                        f"{higher.id} {higher_says}; require it at {higher.id} too "
                        "(or set monotone: false)",
                    )
                )
                continue
            depths = kind.depth_ids
            if req.depth in depths and other.depth in depths:
                if depths.index(other.depth or "") < depths.index(req.depth or ""):
                    problems.append(
                        (
                            path,
                            f"not monotone: {lower.id} requires {kind.id!r} at "
                            f"{req.depth!r} but the higher {higher.id} only at {other.depth!r}",
                        )
                    )
    return problems


def _monotone_matrix(scale: Scale) -> list[tuple[KeyPath, str]]:
    problems: list[tuple[KeyPath, str]] = []
    matrix = scale.rules.matrix
    bands = [b.id for b in scale.rules.size.bands]
    classes = list(scale.rules.risk.classes)
    for bi, band in enumerate(bands):
        for ci, cls in enumerate(classes):
            here = scale.rank(matrix[band][cls])
            for nb, nc in ((bi + 1, ci), (bi, ci + 1)):
                if nb < len(bands) and nc < len(classes):
                    there_id = matrix[bands[nb]][classes[nc]]
                    if scale.rank(there_id) < here:
                        problems.append(
                            (
                                ("rules", "matrix", bands[nb], classes[nc]),
                                f"not monotone: {bands[nb]}/{classes[nc]} gives {there_id}, "
                                f"lower than {matrix[band][cls]} for {band}/{cls}",
                            )
                        )
    return problems


_SAYS = {
    "recommended": "only recommends it",
    "optional": "leaves it optional",
    "discouraged": "discourages it",
}


def _direction_problem(mod: Modifier) -> str | None:
    """Why ``mod`` could make more size, risk or riskier files give a lower standard.

    A change metric counts as growing risk: more of it never lowers the standard.
    """
    cond = mod.when
    content = [CONTENT_ORDER.index(c) for c in cond.content]
    if mod.ceiling is not None:
        # A ceiling must stop applying as things grow, never start.
        grows = [n for n in ("flags", "components", "min_size", "min_risk") if getattr(cond, n)]
        grows += [
            f"metrics.{m}.at_least" for m, b in cond.metrics.items() if b.at_least is not None
        ]
        if content and sorted(content) != list(range(max(content) + 1)):
            grows.append("content (list every kind of file up to the riskiest you cap)")
        if grows:
            return (
                f"not monotone: a ceiling may not depend on {', '.join(grows)}; it may depend "
                "on type, max_size, max_risk, metrics at_most and content from docs upwards"
            )
    if mod.floor is not None or mod.raise_by:
        # A floor or raise must keep applying as things grow.
        shrinks = [n for n in ("max_size", "max_risk") if getattr(cond, n)]
        shrinks += [
            f"metrics.{m}.at_most" for m, b in cond.metrics.items() if b.at_most is not None
        ]
        top = len(CONTENT_ORDER) - 1
        if content and sorted(content) != list(range(min(content), top + 1)):
            shrinks.append("content (list every kind of file from the least risky you raise)")
        if shrinks:
            return f"not monotone: a floor or raise may not depend on {', '.join(shrinks)}"
    return None
