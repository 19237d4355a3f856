"""Calibration: fit a scale's metric rules to a project's history, and measure the result.

Pure; no I/O. :func:`split` puts the history in time order and cuts it; :func:`calibrate`
fits, on the oldest part only, a score over the change metrics and the cuts on it that
lift the standard (or cap it), and gives them as an overlay that extends the base scale;
:func:`evaluate` replays any scale on the newest part and measures how well its standards
rank the defect-inducing deliveries, next to ranking by lines added alone.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import attrs

from qualscale._fit import Problem, Rule, auc, fit, validation_aucs
from qualscale._score_fit import fit_score
from qualscale.compiled import compile_scale
from qualscale.records import Record, window_before
from qualscale.rules import Score
from qualscale.scale import Scale

#: The name a fitted score is given in the overlay (a number is added if the base has one).
SCORE_NAME = "risk_points"
#: The windows (past deliveries) history rules are tried on.
HISTORY_WINDOWS = (10, 25, 50)
#: What history rules count in the window.
HISTORY_MEASURES = ("escaped_defects", "incidents")

__all__ = [
    "Calibration",
    "FittedRule",
    "FittedScore",
    "HeldOut",
    "auc",
    "calibrate",
    "evaluate",
    "split",
]


def split(records: Iterable[Record], train_fraction: float) -> tuple[list[Record], list[Record]]:
    """The records in time order (date, then id), cut into the oldest and the newest part."""
    ordered = sorted(records, key=lambda r: (r.delivery.date or "", r.delivery.id))
    cut = int(len(ordered) * train_fraction)
    return ordered[:cut], ordered[cut:]


@attrs.frozen
class FittedRule:
    """A fitted rule and the figures it came from (on the training records)."""

    rule: Rule
    share: float
    defect_rate: float
    auc_after: float

    @property
    def id(self) -> str:
        """The modifier's id: ``calibrated-la-at-least-39``.

        A floor ends in its rank: ``calibrated-risk_points-at-least-2.6-floor-4``; a history
        rule reads ``calibrated-escaped_defects-last-25-at-least-2``.
        """
        rule = self.rule
        if self.history is not None:
            measure, window = self.history
            return f"calibrated-{measure}-last-{window}-at-least-{_text(rule.threshold)}"
        bound = "at-most" if rule.ceiling is not None else "at-least"
        out = f"calibrated-{rule.metric}-{bound}-{_text(rule.threshold)}"
        if rule.second is not None:
            out += f"-and-{rule.second[0]}-at-least-{_text(rule.second[1])}"
        if rule.floor is not None:
            out += f"-floor-{rule.floor}"
        return out

    def describe(self) -> str:
        """``la >= 39``, or ``escaped defects in the last 25 deliveries >= 2``."""
        if self.history is None:
            return self.rule.describe()
        measure, window = self.history
        words = measure.replace("_", " ")
        return f"{words} in the last {window} deliveries >= {_text(self.rule.threshold)}"

    @property
    def history(self) -> tuple[str, int] | None:
        """The measure and window of a history rule; ``None`` for a rule on metrics."""
        parts = self.rule.metric.split(":")
        if len(parts) != 3 or parts[0] != "history":
            return None
        return parts[1], int(parts[2])


@attrs.frozen
class FittedScore:
    """A fitted score: its name in the overlay, its weights, and its AUC on validation."""

    name: str
    score: Score
    validation_auc: float


@attrs.frozen
class Calibration:
    """A calibrated overlay: its rules, the figures they came from, and what it extends."""

    base: Scale
    rules: tuple[FittedRule, ...]
    train: int
    base_rate: float
    auc_before: float
    first_date: str | None
    last_date: str | None
    max_standards: int | None = None
    budget: float | None = None
    score: FittedScore | None = None

    def modifiers(self) -> list[dict[str, Any]]:
        """The overlay's modifiers as plain data."""
        standards = self.base.standards
        out = []
        for fitted in self._metric_rules():
            rule = fitted.rule
            action: dict[str, Any] = {"raise_by": 1}
            if rule.ceiling is not None:
                action = {"ceiling": standards[rule.ceiling - 1].id}
            elif rule.floor is not None:
                action = {"floor": standards[rule.floor - 1].id}
            out.append({"id": fitted.id, "when": {"metrics": rule.bounds()}, **action})
        if self.max_standards is not None and self.max_standards < len(standards):
            top = standards[self.max_standards - 1].id
            out.append({"id": "calibrated-top", "when": {}, "ceiling": top})
        return out

    def _metric_rules(self) -> list[FittedRule]:
        return [fitted for fitted in self.rules if fitted.history is None]

    def history_rules(self) -> list[dict[str, Any]]:
        """The overlay's history rules as plain data."""
        out = []
        for fitted in self.rules:
            if fitted.history is not None:
                measure, window = fitted.history
                at_least = int(fitted.rule.threshold)
                out.append(
                    {"id": fitted.id, "measure": measure, "window": window, "at_least": at_least}
                )
        return out

    def scale(self) -> Scale:
        """The calibrated scale itself: the base with the overlay's rules added."""
        data = self.base.to_dict()
        data["name"] = f"{self.base.name}-calibrated"
        data["version"] = f"{self.base.version}-calibrated"
        data["rules"]["modifiers"] = [*data["rules"]["modifiers"], *self.modifiers()]
        data["rules"]["history"] = [*data["rules"]["history"], *self.history_rules()]
        if self.score is not None:
            data["rules"]["scores"][self.score.name] = attrs.asdict(self.score.score)
        return Scale.from_dict(data)

    def overlay(self, extends: str) -> str:
        """The overlay as YAML text, each rule with a comment giving the figures it came from."""
        lines = [
            f"# Calibrated by qualscale on the oldest {self.train} deliveries of the history",
            f"# ({self.first_date} .. {self.last_date}); {_pct(self.base_rate)} of them induced a"
            f" defect. Validation AUC of {self.base.name} alone: {self.auc_before:.3f}.",
            f"extends: {extends}",
            f"name: {self.base.name}-calibrated",
            f'version: "{self.base.version}-calibrated"',
        ]
        # An empty key would read as null, which drops what the base has under it.
        body = self._score_yaml()
        history = [f for f in self.rules if f.history is not None]
        if history:
            body.append("  history:")
        for fitted, data in zip(history, self.history_rules(), strict=True):
            body.append(self._comment(fitted))
            body += [f"    - id: {data['id']}"]
            body += [f"      {key}: {data[key]}" for key in ("measure", "window", "at_least")]
        metric_rules, modifiers = self._metric_rules(), self.modifiers()
        if modifiers:
            body.append("  modifiers:")
        for fitted, data in zip(metric_rules, modifiers, strict=False):
            body.append(self._comment(fitted))
            body += _modifier_yaml(data, fitted.rule)
        if len(modifiers) > len(metric_rules):
            body.append(f"    # At most {self.max_standards} standards (--max-standards)")
            body += _modifier_yaml(modifiers[-1], None)
        if body:
            lines += ["rules:", *body]
        return "\n".join(lines) + "\n"

    def _comment(self, fitted: FittedRule) -> str:
        return (
            f"    # {_pct(fitted.share)} of the training deliveries; {_pct(fitted.defect_rate)}"
            f" of those induced a defect (all: {_pct(self.base_rate)});"
            f" validation AUC {fitted.auc_after:.3f} with this rule"
        )

    def _score_yaml(self) -> list[str]:
        if self.score is None:
            return []
        weights = self.score.score.weights
        return [
            "  scores:",
            f"    # Each metric counts as log2(1 + value): a weight is what a doubling adds."
            f" Logistic regression on the training deliveries; validation AUC"
            f" {self.score.validation_auc:.3f}.",
            f"    {self.score.name}:",
            "      weights:",
            *(f"        {name}: {_text(weight)}" for name, weight in weights.items()),
        ]


def _modifier_yaml(data: dict[str, Any], rule: Rule | None) -> list[str]:
    if rule is None:
        return [f"    - id: {data['id']}", "      when: {}", f"      ceiling: {data['ceiling']}"]
    action = next(f"{key}: {data[key]}" for key in ("ceiling", "floor", "raise_by") if key in data)
    bounds = ", ".join(
        f"{name}: {{{bound}: {_text(value)}}}"
        for name, limits in rule.bounds().items()
        for bound, value in limits.items()
    )
    return [f"    - id: {data['id']}", f"      when: {{metrics: {{{bounds}}}}}", f"      {action}"]


def _text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _pct(share: float) -> str:
    return f"{100 * share:.1f} %"


def _budget_rank(scale: Scale, kind: str) -> int | None:
    """The rank of the lowest standard that requires ``kind``, if any does."""
    for rank, std in enumerate(scale.standards, 1):
        if any(r.kind == kind and r.obligation == "required" for r in scale.requires(std.id)):
            return rank
    return None


def calibrate(
    train: Sequence[Record],
    base: Scale,
    *,
    max_standards: int | None = None,
    budget: float | None = None,
    budget_kind: str = "performance",
    max_rules: int = 8,
    metrics: Collection[str] | None = None,
) -> Calibration:
    """Fit metric rules on ``train`` (only: the caller keeps the newest records out).

    Args:
        train: The oldest records of the history, in time order (:func:`split`), each with a
            known outcome.
        base: The scale the overlay extends.
        max_standards: At most this many standards are used (a ceiling at the N-th).
        budget: The most share of deliveries that may reach the lowest standard requiring
            ``budget_kind`` (on the training records).
        max_rules: The most rules fitted.
        metrics: Fit on these metrics only (``None``: every metric the records give);
            ``qualscale._change_metrics.DIFF_METRICS`` are those ``plan --git`` gives.
    """
    top = min(len(base.standards), max_standards or len(base.standards))
    ranks = tuple(min(top, rank) for rank in _ranks(base, train))
    labels = tuple(r.escaped for r in train)
    given, score, history = _given(base, train, labels, metrics)
    problem = Problem(
        ranks,
        given,
        labels,
        top,
        _budget_rank(base, budget_kind),
        budget,
        floor_metrics=(score.name,) if score is not None else (),
        raise_only=history,
    )
    rules, _ = fit(problem, max_rules)
    scores = validation_aucs(problem, rules)
    base_rate = sum(labels) / len(labels) if labels else math.nan
    fitted = [_figures(rule, after, problem) for rule, after in zip(rules, scores[1:], strict=True)]
    dates = [r.delivery.date for r in train if r.delivery.date]
    return Calibration(
        base,
        tuple(fitted),
        len(train),
        base_rate,
        scores[0],
        min(dates) if dates else None,
        max(dates) if dates else None,
        max_standards,
        budget,
        score,
    )


def _given(
    base: Scale, train: Sequence[Record], labels: Sequence[bool], metrics: Collection[str] | None
) -> tuple[tuple[dict[str, float], ...], FittedScore | None, tuple[str, ...]]:
    """What the search sees of each record: its metrics (those named), the fitted score,
    and the history figures; with the score and the names of the history figures."""
    given = tuple(dict(base.rules.metrics_of(r.delivery.metrics)) for r in train)
    if metrics is not None:
        given = tuple({k: v for k, v in m.items() if k in metrics} for m in given)
    score = _fit_score(base, given, labels)
    if score is not None:
        given = tuple({**m, **_score_metric(score, m)} for m in given)
    figures = _history_figures(train)
    if figures:
        given = tuple({**m, **f} for m, f in zip(given, figures, strict=True))
    return given, score, tuple(figures[0]) if figures else ()


def _figures(rule: Rule, auc_after: float, problem: Problem) -> FittedRule:
    """A fitted rule with the share of training records it holds for and their defect rate."""
    hits = [y for m, y in zip(problem.metrics, problem.labels, strict=True) if rule.holds_for(m)]
    rate = sum(hits) / len(hits) if hits else math.nan
    return FittedRule(rule, len(hits) / len(problem.labels), rate, auc_after)


def _ranks(scale: Scale, records: Sequence[Record], past: Sequence[Record] = ()) -> list[int]:
    """The rank ``scale`` gives each record, with the history before it when its rules read it.

    ``records`` and ``past`` are in time order, ``past`` all before ``records``.
    """
    compiled = compile_scale(scale)
    needs = max((h.window for h in scale.rules.history), default=0)
    if not needs:
        return [compiled.plan(r.delivery).standard.rank for r in records]
    ordered = [*past, *records]
    return [
        compiled.plan(r.delivery, window_before(ordered, len(past) + i, needs)).standard.rank
        for i, r in enumerate(records)
    ]


def _history_figures(train: Sequence[Record]) -> list[dict[str, float]]:
    """What each history rule would count for each record (in time order), from what was
    known before it.

    Keyed ``history:MEASURE:WINDOW``; only the figures that are ever above 0, and none at
    all when no outcome of the records has the date it was found (defect data sets).
    """
    if not any(o.found for r in train for o in r.outcomes):
        return []
    widest = max(HISTORY_WINDOWS)
    out: list[dict[str, float]] = [{} for _ in train]
    for i, record in enumerate(train):
        history = window_before(train, i, widest)
        project = record.delivery.project
        for window in HISTORY_WINDOWS:
            recent = history.recent(window, project)
            for measure in HISTORY_MEASURES:
                total = sum(getattr(d, measure) for d in recent)
                out[i][f"history:{measure}:{window}"] = float(total)
    used = {name for figures in out for name, value in figures.items() if value > 0}
    if not used:
        return []
    return [{name: value for name, value in figures.items() if name in used} for figures in out]


def _fit_score(
    base: Scale, metrics: Sequence[dict[str, float]], labels: Sequence[bool]
) -> FittedScore | None:
    """A score fitted to the training records, named so as not to clash with the base's."""
    found = fit_score(metrics, labels)
    if found is None:
        return None
    name, k = SCORE_NAME, 1
    while name in base.rules.scores or any(name in m for m in metrics):
        k += 1
        name = f"{SCORE_NAME}_{k}"
    return FittedScore(name, Score(found[0]), found[1])


def _score_metric(score: FittedScore, metrics: dict[str, float]) -> dict[str, float]:
    value = score.score.of(metrics)
    return {} if value is None else {score.name: value}


@attrs.frozen
class HeldOut:
    """How a scale's standards rank the held-out deliveries, next to lines added alone.

    Attributes:
        deliveries: How many were replayed; ``defect_inducing`` of them induced a defect.
        per_standard: ``(standard id, share of deliveries, share of defect-inducing)``.
        auc: AUC of the standard's rank for defect-inducing deliveries.
        auc_lines_added: AUC of lines added alone (LApredict), on the same deliveries.
        budget_rank: The lowest rank requiring the budgeted kind (``None``: no standard does).
        share_at_budget: The share of deliveries at that rank or above.
        caught: The share of defect-inducing deliveries at that rank or above.
        caught_lines_added: The share of defect-inducing among the same number of
            deliveries with the most lines added.
    """

    deliveries: int
    defect_inducing: int
    per_standard: tuple[tuple[str, float, float], ...]
    auc: float
    auc_lines_added: float
    budget_rank: int | None
    share_at_budget: float
    caught: float
    caught_lines_added: float

    def to_dict(self) -> dict[str, Any]:
        """The figures as plain data."""
        data = attrs.asdict(self)
        data["per_standard"] = [
            {"standard": s, "share": a, "defect_share": b} for s, a, b in self.per_standard
        ]
        return data


def evaluate(
    scale: Scale,
    records: Sequence[Record],
    *,
    past: Sequence[Record] = (),
    budget_kind: str = "performance",
) -> HeldOut:
    """Replay ``scale`` on ``records`` and measure its ranking of defects.

    ``records`` are in time order and ``past`` (in time order too) came before them:
    history rules see each record's window of both, with outcomes found before its date.
    """
    ranks = _ranks(scale, records, past)
    labels = [r.escaped for r in records]
    added = [_lines_added(r) for r in records]
    n, bad = len(records), sum(labels)
    per_standard = tuple(
        (
            std.id,
            sum(1 for k in ranks if k == rank) / n if n else math.nan,
            sum(1 for k, y in zip(ranks, labels, strict=True) if k == rank and y) / bad
            if bad
            else math.nan,
        )
        for rank, std in enumerate(scale.standards, 1)
    )
    at = _budget_rank(scale, budget_kind)
    chosen = [k >= at for k in ranks] if at is not None else [False] * n
    top = sorted(range(n), key=lambda i: -added[i])[: sum(chosen)]
    caught_la = sum(1 for i in top if labels[i]) / bad if bad else math.nan
    return HeldOut(
        n,
        bad,
        per_standard,
        auc(ranks, labels),
        auc(added, labels),
        at,
        sum(chosen) / n if n else math.nan,
        sum(1 for c, y in zip(chosen, labels, strict=True) if c and y) / bad if bad else math.nan,
        caught_la,
    )


def _lines_added(record: Record) -> float:
    metric = record.delivery.metrics.get("la")
    if metric is not None:
        return metric
    return float(record.delivery.changes.lines_added or 0)


def __dir__() -> list[str]:
    return list(__all__)
