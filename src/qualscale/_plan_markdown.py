"""The Markdown plan, written in Python: what ``templates/plan.md.j2`` renders, without Jinja.

Importing jinja2 costs about half as much again as starting Python with attrs and
PyYAML; the Markdown plan is the format CI jobs ask for on every merge request, so it
does not import it. The template stays shipped (a user's template may import, include
or extend it) and tests check that both write the same text, byte for byte, for every
example and for generated plans on every bundled scale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from qualscale._text import md

__all__ = ["plan_markdown"]

_OTHER = " \u00b7 by someone other than the author"


def plan_markdown(context: Mapping[str, Any]) -> str:
    """The Markdown of a plan from its template context (see :func:`render.plan_context`)."""
    plan = context["plan"]
    lines = _header(context)
    lines += ["", "## Why", ""]
    lines += [f"- {md(reason['message'])}" for reason in plan["rationale"]]
    lines += ["", "## Required", ""]
    if context["required"]:
        _tasks(lines, context["required"])
    else:
        lines += ["Nothing is required.", ""]
    if context["advised"]:
        lines += ["## Recommended and optional", ""]
        _tasks(lines, context["advised"])
    if context["discouraged"]:
        lines += ["## Not needed", ""]
        for req in context["discouraged"]:
            line = f"- {md(req['kind'])}" + (f" ({md(req['depth'])})" if req["depth"] else "")
            line += f": {_joined(req['criteria'], '; ')}" if req["criteria"] else ""
            lines.append(line + (f" _({md(req['because'])})_" if req["because"] else ""))
        lines.append("")
    scale, sha = _scale(plan), plan["scale"]["sha256"][:12]
    lines.append("---")
    lines.append(f"<sub>Scale {scale} (sha256 {sha}) \u00b7 qualscale {context['version']}</sub>")
    return "\n".join(lines) + "\n"


def _header(context: Mapping[str, Any]) -> list[str]:
    """The title and the list of standard, size and risk, components and flags, scale."""
    plan, standard = context["plan"], context["standard"]
    d = plan["delivery"]
    lines = [f"# Test plan: {md(d['id'])}" + (f" \u2014 {md(d['title'])}" if d["title"] else "")]
    name = plan["standard"]["name"]
    line = f"- **Standard:** {md(plan['standard']['id'])}" + (f" \u00b7 {md(name)}" if name else "")
    line += f" (rank {plan['standard']['rank']} of {len(context['scale']['standards'])})"
    if standard and standard["intent"]:
        line += f" \u2014 {md(standard['intent'])}"
    lines += ["", line]
    line = f"- **Size:** {md(plan['size'])} \u00b7 **Risk:** {md(plan['risk'])}"
    lines.append(line + (f" \u00b7 **Type:** {md(d['type'])}" if d["type"] else ""))
    components, flags = plan["components"], plan["flags"]
    if components or flags:
        parts = [f"**Components:** {_joined(components, ', ')}"] if components else []
        parts += [f"**Flags:** {_joined(flags, ', ')}"] if flags else []
        lines.append("- " + " \u00b7 ".join(parts))
    lines.append(f"- **Scale:** {_scale(plan)}")
    return lines


def _scale(plan: Mapping[str, Any]) -> str:
    return f"{md(plan['scale']['name'])} {md(plan['scale']['version'])}"


def _joined(values: Iterable[Any], separator: str) -> str:
    return separator.join(md(value) for value in values)


def _tasks(lines: list[str], groups: Iterable[Mapping[str, Any]]) -> None:
    """The template's ``tasks`` macro: per gate and environment, a task per requirement."""
    for group in groups:
        lines += [f"### {md(group['label'])}", ""]
        for env in group["environments"]:
            lines += [f"#### {md(env['label'])}", ""]
            for req in env["requirements"]:
                lines.append(f"- [ ] {_heading(req)}")
                if req["because"]:
                    lines.append(f"  _{md(req['because'])}_")
                lines += [f"  - [ ] {md(item)}" for item in req["criteria"]]
                lines += [f"  - [ ] {md(item)}" for item in req["checklist"]]
            lines.append("")


def _heading(req: Mapping[str, Any]) -> str:
    depth = f" ({md(req['depth'])})" if req["depth"] else ""
    other = _OTHER if req["independent"] else ""
    return f"**{md(req['kind'])}**{depth} \u2014 {req['obligation']}{other}"


def __dir__() -> list[str]:
    return list(__all__)
