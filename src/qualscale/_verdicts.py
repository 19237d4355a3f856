"""Verdicts for people: the plugin's terminal table and its Markdown report.

Plain Python (no templates): a report is written at the end of every active pytest
session. Every value from a delivery goes through the one Markdown escaper.
"""

from __future__ import annotations

from collections.abc import Iterable

from qualscale._text import code, md, one_line, table
from qualscale.planning import TestPlan
from qualscale.verification import KindVerdict, Verdict

__all__ = ["problem_phrase", "verdict_markdown", "verdict_text"]


def problem_phrase(entry: KindVerdict) -> str:
    """Why a required kind is not met: ``regression failed (1 failed)``."""
    if entry.status == "failed":
        return f"{entry.kind} failed ({entry.evidence.failed} failed)"
    return f"{entry.kind} missing (no passing test)"


def _verdict_cells(entry: KindVerdict) -> list[str]:
    e = entry.evidence
    return [
        entry.kind,
        entry.obligation or "-",
        str(e.passed),
        str(e.failed),
        str(e.skipped),
        str(e.deselected),
    ]


def verdict_text(plan: TestPlan, verdict: Verdict, note: str) -> str:
    """The verdict as a terminal table under a line naming delivery and standard."""
    p = plan
    head = ("kind", "obligation", "passed", "failed", "skipped", "deselected", "verdict")
    rows = [head, *([*_verdict_cells(k), k.status] for k in verdict.kinds)]
    lines = [
        f"delivery {p.delivery.id!r}: standard {p.standard.id} ({p.standard.name}) "
        f"of {p.scale.name} {p.scale.version}",
        table(rows, indent=0, right=range(2, 6)),
    ]
    if note:
        lines.append(one_line(note))
    return "\n".join(lines) + "\n"


def _md_row(cells: Iterable[str]) -> str:
    """A row of a Markdown table; the cells are Markdown already."""
    return "| " + " | ".join(cells) + " |"


def verdict_markdown(plan: TestPlan, verdict: Verdict, note: str) -> str:
    """The verdict as a Markdown report: heading, verdict, problems, table, rationale."""
    p = plan
    status = "met" if verdict.ok else "NOT met"
    lines = [
        f"## qualscale: {md(p.delivery.id)} - {md(p.standard.id)} {md(p.standard.name)}",
        "",
        f"**Verdict: {status}.** Scale {md(p.scale.name)} {md(p.scale.version)}, "
        f"size {md(p.size)}, risk {md(p.risk)}.",
    ]
    if p.delivery.title:
        lines += ["", f"> {md(p.delivery.title)}"]
    if not verdict.ok:
        lines += ["", *(f"- {md(problem_phrase(k))}" for k in verdict.unmet)]
    head = ["Kind", "Obligation", "Depth", "Environment", "Gate"]
    head += ["Passed", "Failed", "Skipped", "Deselected", "Verdict"]
    lines += ["", _md_row(head), "|---|---|---|---|---|--:|--:|--:|--:|---|"]
    for k in verdict.kinds:
        cells = [*_verdict_cells(k)]
        cells[2:2] = [k.depth or "-", k.environment or "-", k.gate or "-"]
        status_cell = md(k.status) if k.ok else f"**{md(k.status)}**"
        lines.append(_md_row([*(md(c) for c in cells), status_cell]))
    if note:
        lines += ["", md(note)]
    if p.rationale:
        lines += ["", "### Why this standard", ""]
        lines += [f"- {code(r.rule)}: {md(r.message)}" for r in p.rationale]
    return "\n".join(lines) + "\n"
