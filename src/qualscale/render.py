"""Render test plans and scales for people: Markdown, plain text, HTML - and JSON, YAML.

:func:`render_plan` turns a :class:`~qualscale.TestPlan` into a checklist;
:func:`render_scale` turns a :class:`~qualscale.Scale` into the page that answers
"what does S3 mean?". Output is deterministic: the same inputs give the same text.

Formats (:data:`FORMATS`):

* ``markdown`` - GitHub-flavoured Markdown task lists, for merge requests and CI job
  summaries;
* ``text`` - plain text for the terminal, no line longer than 100 columns;
* ``html`` - one self-contained printable page (inline CSS, checkboxes), autoescaped;
* ``json`` and ``yaml`` - the :meth:`TestPlan.to_dict` document (plans only).

Your own template
-----------------
``render_plan(..., template="my.md.j2")`` renders a Jinja2 template of yours with the
context below. Undefined variables are errors. A template whose name ends in
``.html``/``.htm``/``.xml`` (optionally followed by ``.j2``, ``.jinja`` or ``.jinja2``) is
autoescaped. The shipped templates can be reached as ``qualscale/plan.md.j2`` (for
``{% import %}``, ``{% include %}`` or ``{% extends %}``). Your template runs in Jinja's
immutable sandbox, bounded: at most 10,000,000 characters of output, 10 seconds, values
of at most 10,000,000 items (``*``) or bits (``**``), and includes from its own folder
only (no symlink out of it). Syntax errors, undefined names, a bound passed and any
other failure raise
:class:`~qualscale.errors.RenderError` naming the template file and line, e.g.
``my.md.j2:7: 'plan' has no attribute 'nope'``.

Plan template context
---------------------
``plan``
    :meth:`TestPlan.to_dict`: ``delivery``, ``scale`` (``name``, ``version``,
    ``sha256``), ``standard`` (``id``, ``name``, ``rank``), ``size``, ``risk``,
    ``components``, ``flags``, ``content``, ``rationale`` (``rule``, ``message``) and
    ``requirements`` (``kind``, ``obligation``, ``depth``, ``environment``, ``gate``,
    ``criteria``, ``checklist``, ``independent``, ``because``), in plan order.
``scale``
    :meth:`Scale.to_dict`, the whole scale.
``standard``
    The scale's standard the plan applies (``id``, ``name``, ``intent``, and ``requires``:
    its requirements resolved, as in :meth:`Scale.requires`), or ``None`` when the scale
    does not have it.
``gates``
    The scale's gates in gate order; each gate mapping also has ``label``
    (``"G4 · Start of validation"``).
``environments``, ``kinds``
    Mappings from id to the environment or kind (in the scale's order), each with
    ``label`` (its name, or its id when it has none); a kind's ``depths`` are their ids,
    shallowest first (the depths' details are in ``scale``).
``groups``
    Every requirement of the plan, grouped by gate in gate order, then by environment
    in environment order: a list of ``{"gate": gate or None, "label": str,
    "environments": [{"environment": environment or None, "label": str,
    "requirements": [requirement, ...]}, ...]}``. Requirements without a gate come last
    (label ``"No gate"``), as do those without an environment (``"Any environment"``).
``required``, ``advised``
    The same grouping over the ``required`` requirements only, and over the
    ``recommended`` and ``optional`` ones.
``discouraged``
    The ``discouraged`` requirements, in plan order.
``version``
    The qualscale version.

Scale template context
----------------------
``scale``, ``gates``, ``environments``, ``kinds`` and ``version`` as above, and:
``standards`` (the scale's standards, each with ``rank`` and ``requires``, its resolved
requirements in kind order); ``matrix`` (one row per kind:
``{"kind": kind, "cells": [{"standard": id, "requirement": requirement or None,
"text": "required · targeted" or an en dash, "mark": "++", "+", "o", "NR" or an en
dash}]}``);
``bands`` (size bands, each with ``limits``, such as ``"at most 10 lines, 2 files,
1 component"``); ``risk_factors`` (``{"factor", "value", "class"}`` rows: flags, change
types, unknown type, unmapped paths); ``components``; ``risk_matrix`` (one row per band:
``{"band": id, "cells": [standard id, ...]}`` in risk class order); ``modifiers`` and
``history`` (each rule's mapping with ``condition`` and ``effect`` as text; a modifier's
``requires`` resolved).

Filters: ``md`` (escape text for inline Markdown), ``code`` (a Markdown code span),
``wrap(indent=0, hanging=indent, width=100)`` (wrap text to lines of at most ``width``
columns, indented) and ``table(indent=2, width=100)`` (rows of cells as aligned plain-text
columns, the last one wrapped).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from qualscale._contexts import PARTS, markdown_context, plan_context, scale_context
from qualscale._reports import problem_phrase, verdict_markdown, verdict_text
from qualscale.errors import UsageError
from qualscale.planning import TestPlan
from qualscale.scale import Scale

if TYPE_CHECKING:  # imported by the commands that judge evidence
    from qualscale.verification import Verdict

__all__ = [
    "FORMATS",
    "SCALE_FORMATS",
    "SUFFIXES",
    "VERDICT_FORMATS",
    "output_suffix",
    "plan_context",
    "render_plan",
    "render_scale",
    "render_verdict",
    "scale_context",
    "verdict_problems",
]

#: The formats :func:`render_plan` knows.
FORMATS: tuple[str, ...] = ("markdown", "text", "html", "json", "yaml")
#: The formats :func:`render_scale` knows.
SCALE_FORMATS: tuple[str, ...] = ("markdown", "text", "html", "yaml", "json")
#: The formats :func:`render_verdict` knows.
VERDICT_FORMATS: tuple[str, ...] = ("markdown", "text")
#: The file suffix of each format, for files written in batches.
SUFFIXES: Mapping[str, str] = {
    "markdown": ".md",
    "text": ".txt",
    "html": ".html",
    "json": ".json",
    "yaml": ".yaml",
}
_PLAN_TEMPLATES = {"markdown": "plan.md.j2", "text": "plan.txt.j2", "html": "plan.html.j2"}
_SCALE_TEMPLATES = {"markdown": "scale.md.j2", "text": "scale.txt.j2", "html": "scale.html.j2"}


# ------------------------------------------------------------------ API


def render_plan(
    plan: TestPlan,
    scale: Scale,
    format: str = "markdown",
    template: str | os.PathLike[str] | None = None,
) -> str:
    """Render ``plan`` (made on ``scale``) in ``format``, or with your own ``template``.

    Args:
        plan: The plan to render.
        scale: The scale the plan was made on (for gate, environment and kind names).
        format: One of :data:`FORMATS`; ignored when ``template`` is given.
        template: The path of a Jinja2 template, rendered with the plan context
            described in this module's docstring.

    Returns:
        The text, ending with a newline.

    Raises:
        UsageError: ``format`` is unknown.
        RenderError: ``template`` cannot be read, has a syntax error or fails to
            render; the message names the file and line.
    """
    if template is not None:
        from qualscale._templates import render_user

        return render_user(template, plan_context(plan, scale), PARTS.of(scale))
    if format == "json":
        return plan.to_json()
    if format == "yaml":
        from qualscale._yaml import dump

        return dump(plan.to_dict())
    name = _PLAN_TEMPLATES.get(format)
    if name is None:
        raise UsageError(_unknown_format(format, FORMATS))
    if format == "markdown":  # what plan.md.j2 writes, without jinja2's import
        from qualscale._plan_markdown import plan_markdown

        return plan_markdown(markdown_context(plan, scale))
    from qualscale._templates import render_shipped

    return render_shipped(name, plan_context(plan, scale))


def render_scale(scale: Scale, format: str = "markdown") -> str:
    """Render ``scale`` as a reference page: standards x kinds, rules, matrix, gates.

    Args:
        scale: The scale to show.
        format: One of :data:`SCALE_FORMATS`.

    Raises:
        UsageError: ``format`` is unknown.
    """
    if format in ("yaml", "json"):  # the merged scale, loadable again
        return _scale_data(scale, format)
    name = _SCALE_TEMPLATES.get(format)
    if name is None:
        raise UsageError(_unknown_format(format, SCALE_FORMATS))
    from qualscale._templates import render_shipped

    return render_shipped(name, scale_context(scale))


def _scale_data(scale: Scale, format: str) -> str:
    import json

    from qualscale._yaml import dump

    data = _no_nulls(scale.to_dict())  # a null is what a missing key means
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n" if format == "json" else dump(data)


def _no_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items() if v is not None}
    return [_no_nulls(v) for v in value] if isinstance(value, list) else value


def render_verdict(
    plan: TestPlan, verdict: Verdict, format: str = "markdown", note: str = ""
) -> str:
    """Render the ``verdict`` on ``plan``: per kind the obligation, the counts and the status.

    Args:
        plan: The plan the verdict judges.
        verdict: The outcome of :func:`qualscale.verify.verify` for ``plan``.
        format: One of :data:`VERDICT_FORMATS`: ``markdown`` is a whole report for a CI
            job summary (heading, verdict, problems, table, rationale); ``text`` is the
            table for a terminal, under a line naming delivery and standard.
        note: A line to show after the table, such as why tests were deselected.

    Returns:
        The text, ending with a newline.

    Raises:
        UsageError: ``format`` is unknown.
    """
    if format == "markdown":
        return verdict_markdown(plan, verdict, note)
    if format == "text":
        return verdict_text(plan, verdict, note)
    raise UsageError(_unknown_format(format, VERDICT_FORMATS))


def output_suffix(format: str, template: str | os.PathLike[str] | None = None) -> str:
    """The suffix of a file holding a plan in ``format``, or written by ``template``.

    A template's own name says what it writes: ``review.md.j2`` gives ``.md``; a
    template that does not say gives ``.txt``.
    """
    if template is None:
        return SUFFIXES[format]
    from pathlib import Path

    from qualscale._templates import output_name

    return Path(output_name(Path(template).name)).suffix or ".txt"


def verdict_problems(verdict: Verdict) -> tuple[str, ...]:
    """Why ``verdict`` is not met: one phrase per failed or missing required kind.

    ``regression failed (1 failed)``, ``performance missing (no passing test)``; empty
    when the verdict is met.
    """
    return tuple(problem_phrase(k) for k in verdict.unmet)


def _unknown_format(format: str, choices: Iterable[str]) -> str:
    return f"unknown format {format!r}; expected one of: {', '.join(choices)}"


def __dir__() -> list[str]:
    return list(__all__)
