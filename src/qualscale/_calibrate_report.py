"""The reports of ``replay`` and ``calibrate``, as text, Markdown or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from qualscale._text import count
from qualscale.calibration import Calibration, HeldOut
from qualscale.replay import Effort, ReplaySummary


def _pct(part: float, whole: float = 1.0) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def render_replay(summary: ReplaySummary, new: str, old: str, fmt: str) -> str:
    """The replay summary in ``fmt`` (``text``, ``markdown`` or ``json``)."""
    if fmt == "json":
        return json.dumps(summary.to_dict(), indent=2) + "\n"
    n, bad = summary.deliveries, summary.escaped
    md = fmt == "markdown"
    lines = [
        f"{'# ' if md else ''}Replay of {n} deliveries under {new} (before: {old})",
        "",
        f"Moved up: {summary.up}, moved down: {summary.down}; {bad} escaped a defect.",
        "",
    ]
    head = ("standard", "deliveries", "escaped", "before", "escaped before")
    rows = [
        (s, _pct(k, n), _pct(e, bad), _pct(kb, n), _pct(eb, bad))
        for s, k, e, kb, eb in summary.per_standard
    ]
    lines += _table(head, rows, md)
    kinds = [(k, str(a), str(b)) for k, a, b in summary.kinds if a or b]
    if kinds:
        lines += ["", *_table(("kind", "newly required", "no longer required"), kinds, md)]
    if summary.effort is not None:
        lines += ["", *_effort(summary.effort, summary.deliveries, new, md)]
    if summary.escaped_deeper:
        shown = ", ".join(summary.escaped_deeper[:10])
        more = " ..." if len(summary.escaped_deeper) > 10 else ""
        lines += ["", f"Escaped defects that would have met deeper tests: {shown}{more}"]
    if summary.unknown:
        named = ", ".join(
            f"{name} ({count(k, 'delivery', 'deliveries')})" for name, k in summary.unknown
        )
        lines += ["", f"Left out, unknown to {new}: {named}"]
    return "\n".join(lines) + "\n"


def _effort(effort: Effort, deliveries: int, new: str, md: bool) -> list[str]:
    """The effort estimate: totals, then per kind, then the kinds without a cost."""
    line = f"Estimated effort of the required kinds: {_h(effort.hours)} under {new}"
    if effort.compared:
        over = "" if effort.compared == deliveries else f" over the {effort.compared} compared"
        change = f" ({100 * effort.difference / effort.before:+.1f} %)" if effort.before else ""
        line += f", {_h(effort.before)} before{over}: {_h(effort.difference, sign=True)}{change}."
    else:
        line += "."
    head: tuple[str, ...] = ("kind", "hours each", "hours", "before", "difference")
    rows: list[tuple[str, ...]] = [
        (
            k.kind,
            _h(k.cost, unit="")
            + ("" if k.cost == k.old_cost else f" (was {_h(k.old_cost, unit='')})"),
            _h(k.hours),
            _h(k.before),
            _h(k.difference, sign=True),
        )
        for k in effort.kinds
    ]
    if not effort.compared:  # nothing to compare with: no before, no difference
        head, rows = head[:3], [r[:3] for r in rows]
    out = [line]
    if rows:
        out += ["", *_table(head, rows, md)]
    if effort.not_counted:
        out += ["", f"Not counted (no cost given): {', '.join(effort.not_counted)}"]
    return out


def _h(hours: float, *, sign: bool = False, unit: str = " h") -> str:
    """Hours for people: ``12.5 h``, thousands grouped, ``+`` on a change when asked."""
    hours = round(hours, 2) or 0.0  # never "-0"
    text = f"{hours:+,.2f}" if sign and hours else f"{hours:,.2f}"
    return text.rstrip("0").rstrip(".") + unit


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]], md: bool) -> list[str]:
    if md:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return out + ["| " + " | ".join(r) + " |" for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    return [
        "  ".join(
            x.ljust(w) if i == 0 else x.rjust(w)
            for i, (x, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in (head, *rows)
    ]


def render_calibration(fitted: Calibration, before: HeldOut, after: HeldOut, path: str) -> str:
    """What ``calibrate`` prints: the rules written, then the held-out figures."""
    lines = [
        f"Calibrated on the oldest {fitted.train} deliveries; wrote {path}"
        f" ({len(fitted.rules)} rules, extends {fitted.base.name}).",
        "",
    ]
    for rule in fitted.rules:
        r = rule.rule
        if r.ceiling is not None:
            action = f"at most {fitted.base.standards[r.ceiling - 1].id}"
        elif r.floor is not None:
            action = f"at least {fitted.base.standards[r.floor - 1].id}"
        else:
            action = "raise by 1"
        lines.append(
            f"  {rule.describe()}: {action}  ({_pct(rule.share)} of deliveries,"
            f" {_pct(rule.defect_rate)} defect-inducing; validation AUC {rule.auc_after:.3f})"
        )
    lines += [
        "",
        f"Held out: the newest {after.deliveries} deliveries,"
        f" {after.defect_inducing} defect-inducing.",
    ]
    head = ("standard", "base", "base defects", "calibrated", "defects")
    rows = [
        (s, _pct(a), _pct(b), _pct(c), _pct(d))
        for (s, a, b), (_, c, d) in zip(before.per_standard, after.per_standard, strict=True)
    ]
    lines += _table(head, rows, False)
    lines += [
        "",
        f"AUC of the standard's rank: base {before.auc:.3f}, calibrated {after.auc:.3f};"
        f" lines added alone {after.auc_lines_added:.3f}",
    ]
    if after.budget_rank is not None:
        lines.append(
            f"Standards requiring performance hold {_pct(after.share_at_budget)} of deliveries and"
            f" {_pct(after.caught)} of the defect-inducing ones"
            f" (base: {_pct(before.share_at_budget)}, {_pct(before.caught)});"
            " the same number with the most lines added hold"
            f" {_pct(after.caught_lines_added)}"
        )
    return "\n".join([*lines, *_beyond_the_diff(fitted)]) + "\n"


def _beyond_the_diff(fitted: Calibration) -> list[str]:
    """A note naming the metrics the overlay tests that ``plan --git`` cannot give."""
    from qualscale._change_metrics import DIFF_METRICS

    metric_rules = [r.rule for r in fitted.rules if r.history is None]
    used = {r.metric for r in metric_rules} | {r.second[0] for r in metric_rules if r.second}
    if fitted.score is not None:
        used = (used - {fitted.score.name}) | set(fitted.score.score.weights)
    beyond = sorted(used - set(DIFF_METRICS))
    if not beyond:
        return []
    return [
        "",
        f"The overlay also tests {', '.join(beyond)}, which a delivery planned with --git"
        f" does not have ({', '.join(DIFF_METRICS)} only): give them in the delivery file,"
        " or the rules on them never hold (--metrics diff fits on those alone).",
    ]
