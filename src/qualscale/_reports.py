"""Reports written in plain Python, without templates: classifications and verdicts.

``qualscale classify`` prints a classification; every active pytest session ends
with a verdict table and may write a Markdown report. Every value from a delivery
goes through the one Markdown escaper and the one wrapper of :mod:`qualscale._text`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from qualscale._text import code, hang, md, one_line, table
from qualscale.classification import Classification
from qualscale.delivery import Delivery
from qualscale.planning import TestPlan
from qualscale.scale import Scale

if TYPE_CHECKING:
    from qualscale.verification import KindVerdict, Verdict

__all__ = ["classification_text", "problem_phrase", "verdict_markdown", "verdict_text"]


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


def classification_text(delivery: Delivery, result: Classification, scale: Scale) -> str:
    """A classification for the terminal: the facts, then every reason, in order."""
    std = result.standard
    title = f"{delivery.id} - {delivery.title}" if delivery.title else delivery.id
    facts = [
        ("Standard", f"{std.id} {std.name} (rank {result.rank} of {len(scale.standards)})"),
        ("Size", result.size),
        ("Risk", result.risk),
        ("Content", result.content),
    ]
    if result.components:
        facts.append(("Components", ", ".join(result.components)))
    if result.flags:
        facts.append(("Flags", ", ".join(result.flags)))
    lines = [hang(title, "", "  "), ""]
    lines += [hang(value, f"{label:<12}", " " * 12) for label, value in facts]
    lines += ["", "WHY"]
    lines += [hang(r.message, "  - ", "    ") for r in result.rationale]
    return "\n".join(lines) + "\n"
