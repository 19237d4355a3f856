"""The verdict per activity and the gate review pack, as text, Markdown or JSON.

``qualscale verify`` and ``qualscale gate`` print these; Markdown is fit for a CI job
summary. Every value from a delivery or an evidence file goes through the one
Markdown escaper (:func:`qualscale._text.md`) or is made one line for a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from qualscale._text import hang, md, one_line
from qualscale.judgement import ActivityVerdict, GateReview, Judgement, WaiverState, phrase

__all__ = ["judgement_report", "review_report"]

#: The formats of ``verify`` and ``gate``.
FORMATS = ("text", "markdown", "json")


def _cells(a: ActivityVerdict) -> list[str]:
    passed, failed, _ = a.counts
    return [
        a.id + (" (independent)" if a.activity.independent else ""),
        a.activity.obligation,
        a.activity.gate or "-",
        str(passed),
        str(failed),
        a.status,
        "; ".join(a.notes) or _signed(a),
    ]


def _signed(a: ActivityVerdict) -> str:
    who = sorted({p.signed_by for p in a.proofs if p.signed_by})
    return f"signed by {', '.join(who)}" if who else ""


def _title(j: Judgement) -> str:
    p = j.plan
    at = f" at {j.gate}" if j.gate else ""
    inside = f" in {j.environment}" if j.environment and not j.gate else ""
    return (
        f"delivery {p.delivery.id!r}: standard {p.standard.id} ({p.standard.name}) "
        f"of {p.scale.name} {p.scale.version}{at}{inside}"
    )


def _decision(j: Judgement) -> str:
    if j.ok:
        later = len(j.due_later)
        return "go" + (f" ({later} required activities due later)" if later else "")
    return f"no-go ({len(j.unmet)} not met)"


def _waiver_line(w: WaiverState) -> str:
    v = w.waiver
    return f"waiver {v.activity} by {v.approver} until {v.expires}: {w.state} - {v.reason}"


def judgement_text(j: Judgement) -> str:
    """The verdict for a terminal: per gate, each activity's status, counts and why."""
    lines = [one_line(_title(j))]
    for gate, entries in j.by_gate().items():
        lines.append(gate or "no gate")
        for a in entries:
            passed, failed, _ = a.counts
            mark = "  " if a.ok else "! "
            head = (
                f"{mark}{a.status:<18} {a.id} - {a.activity.obligation}"
                f"{', independent' if a.activity.independent else ''}"
            )
            if a.status != "due-later":
                head += f"; {passed} passed, {failed} failed"
            lines.append(one_line(head))
            why = "; ".join(a.notes) or _signed(a)
            if why:
                lines.append(hang(why, " " * 23, " " * 23))
    lines += [one_line(_waiver_line(w)) for w in j.waivers]
    lines += _file_lines(j)
    lines.append(f"decision: {_decision(j)}")
    return "\n".join(lines) + "\n"


def _file_lines(j: Judgement) -> list[str]:
    return [
        one_line(f"evidence {f.path}: {f.tests} tests, {f.no_kind} of no kind")
        for f in j.files
        if f.format != "signoffs" and f.no_kind
    ]


def _md_row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def judgement_markdown(j: Judgement, heading: str = "##") -> str:
    """The verdict as Markdown for a CI job summary: decision, what is missing, table, waivers."""
    p = j.plan
    lines = [
        f"{heading} qualscale verify: {md(p.delivery.id)} - "
        f"{md(p.standard.id)} {md(p.standard.name)}",
        "",
        f"**Decision: {_decision(j)}.** {md(_title(j))}.",
        "",
    ]
    if j.unmet:
        lines += [f"- **{md(a.id)}**: {md(phrase(a))}" for a in j.unmet] + [""]
    lines += [
        "| Activity | Obligation | Gate | Passed | Failed | Status | Why |",
        "|---|---|---|--:|--:|---|---|",
    ]
    for a in j.activities:
        cells = [md(c) for c in _cells(a)]
        if not a.ok:
            cells[5] = f"**{cells[5]}**"
        lines.append(_md_row(cells))
    lines += _waiversmd(j.waivers)
    return "\n".join(lines) + "\n"


def _waiversmd(waivers: Iterable[WaiverState]) -> list[str]:
    items = [f"- {md(_waiver_line(w))}" for w in waivers]
    return ["", "Waivers:", "", *items] if items else ["", "Waivers: none."]


def judgement_report(j: Judgement, fmt: str) -> str:
    """``j`` in ``fmt``: ``text``, ``markdown`` or ``json``."""
    if fmt == "json":
        return json.dumps(j.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return judgement_markdown(j)
    return judgement_text(j)


def review_text(r: GateReview) -> str:
    """The review pack of a gate for a terminal."""
    g = r.gate
    lines = [f"gate {g.id} - {g.name}", f"review team: {', '.join(g.review_team) or '-'}"]
    lines += [f"objective: {o}" for o in g.objectives]
    for s in r.artifacts:
        if s.given is None:
            lines.append(f"artifact {s.name}: missing")
        else:
            lines.append(one_line(f"artifact {s.name}: present ({_by(s.given.who, s.given.link)})"))
    lines.append("")
    lines.append(judgement_text(r.judgement).rstrip("\n").rsplit("\ndecision:", 1)[0])
    lines.append("")
    lines += [one_line(f"missing: {m}") for m in r.missing]
    lines.append(f"decision: {r.decision}")
    return "\n".join(lines) + "\n"


def _by(who: str | None, link: str | None) -> str:
    return ", ".join(x for x in (f"by {who}" if who else "", link or "") if x) or "given"


def review_markdown(r: GateReview) -> str:
    """The review pack of a gate as Markdown."""
    g = r.gate
    lines = [
        f"## Gate {md(g.id)} - {md(g.name)}: **{r.decision}**",
        "",
        f"Review team: {md(', '.join(g.review_team) or '-')}.",
        "",
        "Objectives:",
        "",
        *[f"- {md(o)}" for o in g.objectives],
        "",
        "| Artifact | State | Who / where |",
        "|---|---|---|",
    ]
    for s in r.artifacts:
        state = "present" if s.given else "**missing**"
        where = _by(s.given.who, s.given.link) if s.given else ""
        lines.append(_md_row([md(s.name), state, md(where)]))
    if r.missing:
        lines += ["", "Missing for go:", "", *[f"- {md(m)}" for m in r.missing]]
    lines += ["", judgement_markdown(r.judgement, heading="###").rstrip("\n")]
    return "\n".join(lines) + "\n"


def review_report(r: GateReview, fmt: str) -> str:
    """The review pack in ``fmt``: ``text``, ``markdown`` or ``json``."""
    if fmt == "json":
        return json.dumps(r.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return review_markdown(r)
    return review_text(r)


def __dir__() -> list[str]:
    return list(__all__)
