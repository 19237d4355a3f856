"""The search behind :func:`qualscale.calibration.calibrate`: metric rules, fitted greedily.

Pure; no I/O. A delivery's level is its base rank raised by one for each raise rule
that holds (up to the top), then capped by each ceiling rule that holds - the order
:func:`qualscale.classify` applies them in. The search adds, one at a time, the rule
that most improves the area under the ROC curve of the level on the newest part of
the training records (time order: a rule must keep working on later deliveries, not
only fit earlier ones), while the share at or above the budgeted rank stays within
the budget. Thresholds are quantiles of the training records, rounded to readable
numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs

#: The quantiles of the training figures tried as thresholds.
QUANTILES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
#: The least gain in validation AUC for a rule to be added.
MIN_GAIN = 0.001


@attrs.frozen
class Rule:
    """A fitted rule: ``metric`` at least ``threshold`` raises by one; at most, caps the rank."""

    metric: str
    threshold: float
    ceiling: int | None = None  # None: a raise

    def holds(self, value: float | None) -> bool:
        """Whether the rule's bound holds for ``value`` (a missing metric never holds)."""
        if value is None:
            return False
        return value <= self.threshold if self.ceiling is not None else value >= self.threshold


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """The area under the ROC curve of ``scores`` for ``labels`` (ties count half).

    ``nan`` when the labels are all equal.
    """
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    positives = sum(1 for label in labels if label)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return math.nan
    total = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        mid_rank = (i + j) / 2 + 1
        total += mid_rank * sum(1 for k in range(i, j + 1) if labels[order[k]])
        i = j + 1
    return (total - positives * (positives + 1) / 2) / (positives * negatives)


def _level_auc(pos: Sequence[int], neg: Sequence[int]) -> float:
    """AUC of a score with few levels, from the counts of each label per level."""
    positives, negatives = sum(pos), sum(neg)
    if not positives or not negatives:
        return math.nan
    below = 0
    total = 0.0
    for p, n in zip(pos, neg, strict=True):
        total += p * (below + 0.5 * n)
        below += n
    return total / (positives * negatives)


def readable(value: float) -> float:
    """``value`` rounded to two significant digits (1234.5 -> 1200, 0.0371 -> 0.037)."""
    if value == 0 or not math.isfinite(value):
        return value
    digits = 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, digits)
    return float(int(rounded)) if rounded == int(rounded) else rounded


@attrs.frozen
class Problem:
    """What the search sees: each record's base rank, metrics and label, oldest first."""

    base: tuple[int, ...]
    metrics: tuple[dict[str, float], ...]
    labels: tuple[bool, ...]
    top: int
    budget_rank: int | None = None
    budget: float | None = None
    validation: float = 0.25


def _candidates(problem: Problem) -> list[Rule]:
    names = sorted({name for m in problem.metrics for name in m})
    rules = []
    for name in names:
        values = sorted(m[name] for m in problem.metrics if name in m)
        if not values:
            continue
        cuts = sorted(
            {readable(values[min(len(values) - 1, int(q * len(values)))]) for q in QUANTILES}
        )
        for cut in cuts:
            rules.append(Rule(name, cut))
            rules += [Rule(name, cut, ceiling=k) for k in range(1, problem.top)]
    return rules


def _levels(problem: Problem, rules: Sequence[Rule]) -> list[int]:
    out = []
    for base, metrics in zip(problem.base, problem.metrics, strict=True):
        level = base
        for rule in rules:
            if rule.ceiling is None and rule.holds(metrics.get(rule.metric)):
                level = min(problem.top, level + 1)
        for rule in rules:
            if rule.ceiling is not None and rule.holds(metrics.get(rule.metric)):
                level = min(level, rule.ceiling)
        out.append(level)
    return out


def _score(problem: Problem, levels: Sequence[int]) -> float:
    start = int(len(levels) * (1 - problem.validation))
    pos = [0] * (problem.top + 1)
    neg = [0] * (problem.top + 1)
    for level, label in zip(levels[start:], problem.labels[start:], strict=True):
        if label:
            pos[level] += 1
        else:
            neg[level] += 1
    score = _level_auc(pos, neg)
    positives: int = sum(pos)
    if problem.budget is not None and problem.budget_rank is not None and positives:
        # With a budget, what the budgeted standards catch counts as much as the ranking.
        score += sum(pos[problem.budget_rank :]) / positives
    return score


def _within_budget(problem: Problem, levels: Sequence[int]) -> bool:
    if problem.budget is None or problem.budget_rank is None:
        return True
    above = sum(1 for level in levels if level >= problem.budget_rank)
    return above <= problem.budget * len(levels)


def fit(problem: Problem, max_rules: int = 8) -> tuple[list[Rule], list[float]]:
    """The rules, in the order added, and the validation AUC after each (first: none)."""
    candidates = _candidates(problem)
    columns = {r.metric: [m.get(r.metric) for m in problem.metrics] for r in candidates}
    chosen: list[Rule] = []
    levels = _levels(problem, chosen)
    scores = [_score(problem, levels)]
    while len(chosen) < max_rules:
        best: tuple[float, Rule, list[int]] | None = None
        for rule in candidates:
            if rule in chosen:
                continue
            trial = _levels_with(problem, columns[rule.metric], levels, chosen, rule)
            if not _within_budget(problem, trial):
                continue
            score = _score(problem, trial)
            if score > scores[-1] + MIN_GAIN and (best is None or score > best[0]):
                best = (score, rule, trial)
        if best is None:
            break
        scores.append(best[0])
        chosen.append(best[1])
        levels = best[2]
    return chosen, scores


def _levels_with(
    problem: Problem, values: list[float | None], levels: list[int], chosen: list[Rule], rule: Rule
) -> list[int]:
    """The levels with ``rule`` added: a ceiling caps the current levels; a raise needs a redo.

    ``values`` are the records' values of the rule's metric (``None`` when not given).
    """
    t = rule.threshold
    if rule.ceiling is not None:
        cap = rule.ceiling
        return [
            cap if v is not None and v <= t and level > cap else level
            for level, v in zip(levels, values, strict=True)
        ]
    if not any(r.ceiling is not None for r in chosen):
        top = problem.top
        return [
            level + 1 if v is not None and v >= t and level < top else level
            for level, v in zip(levels, values, strict=True)
        ]
    return _levels(problem, [*chosen, rule])


def validation_aucs(problem: Problem, rules: Sequence[Rule]) -> list[float]:
    """The validation AUC with none of ``rules``, then with each prefix of them."""
    plain = attrs.evolve(problem, budget=None)
    return [_score(plain, _levels(problem, rules[:k])) for k in range(len(rules) + 1)]
