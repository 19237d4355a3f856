"""The distribution of many plans: share per standard, required kind and environment.

``qualscale batch --summary`` prints it, as text, Markdown or CSV.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import attrs

from qualscale.planning import TestPlan
from qualscale.scale import Scale

__all__ = ["SUMMARY_FORMATS", "Summary", "render_summary", "summarize"]

#: The formats ``--summary`` takes.
SUMMARY_FORMATS = ("text", "markdown", "csv")


@attrs.frozen
class Summary:
    """Counts over ``total`` plans; rows are ``(section, name, count, median lines)``."""

    total: int
    rows: tuple[tuple[str, str, int, float | None], ...]


def summarize(plans: Iterable[TestPlan], scale: Scale) -> Summary:
    """Count plans per standard (with the median of their changed lines), kind, environment.

    A kind or environment counts once per plan that requires it.
    """
    import statistics  # only a run that summarizes needs it

    standards: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    environments: Counter[str] = Counter()
    lines: dict[str, list[int]] = {}
    total = 0
    for plan in plans:
        total += 1
        standards[plan.standard.id] += 1
        size = plan.delivery.changes.lines
        if size is not None:
            lines.setdefault(plan.standard.id, []).append(size)
        required = plan.by_obligation("required")
        kinds.update({r.kind for r in required})
        environments.update({r.environment for r in required if r.environment is not None})
    rows: list[tuple[str, str, int, float | None]] = []
    for standard in scale.standards:
        found = lines.get(standard.id)
        median = statistics.median(found) if found else None
        rows.append(("standard", standard.id, standards[standard.id], median))
    rows += [("required kind", k.id, kinds[k.id], None) for k in scale.kinds if kinds[k.id]]
    rows += [
        ("environment", e.id, environments[e.id], None)
        for e in scale.environments
        if environments[e.id]
    ]
    return Summary(total, tuple(rows))


def render_summary(summary: Summary, fmt: str) -> str:
    """The summary as a ``text`` table, a ``markdown`` table or ``csv``."""
    header = ("section", "name", "deliveries", "share", "median lines")
    body = [
        (
            section,
            name,
            str(n),
            _share(n, summary.total),
            "" if median is None else f"{median:g}",
        )
        for section, name, n, median in summary.rows
    ]
    if fmt == "csv":
        return "".join(",".join(row) + "\n" for row in (header, *body))
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|---|---|--:|--:|--:|"]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return f"{summary.total} deliveries\n\n" + "\n".join(lines) + "\n"
    return f"{summary.total} deliveries\n" + _columns((header, *body))


def _share(n: int, total: int) -> str:
    return f"{100 * n / total:.1f} %" if total else "-"


def _columns(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in pairs]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out) + "\n"


def __dir__() -> list[str]:
    return list(__all__)
