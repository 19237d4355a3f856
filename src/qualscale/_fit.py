"""The search behind :func:`qualscale.calibration.calibrate`: rules on metrics, fitted greedily.

Pure; no I/O. A delivery's level is its base rank raised by one for each raise rule
that holds (up to the top), then capped by each ceiling rule that holds, then lifted by
each floor rule that holds - the order :func:`qualscale.classify` applies them in. A
raise rule is one metric at least a threshold, or two metrics each at least theirs; a
ceiling rule is one metric at most a threshold; a floor rule, tried only on the metrics
``Problem.floor_metrics`` names (a fitted score), is one metric at least a threshold,
which makes a fitted score a ladder of standards. The search adds, one at a time, the
rule that most improves the area under the ROC curve of the level on the training
records, swaps rules for better ones, and drops rules that move no record. With a
budget, a rule is kept only while the share at or above the budgeted rank stays within
it on every time-ordered part of the training records (the newest included), so the
cut carries a margin for drift; and what the budgeted levels catch on the newest part
counts in the score too. Thresholds are quantiles of the training records, rounded to
readable numbers.

The search is fast because it never replans: each candidate rule is a set of records,
held as the bits of an integer, and the records at each level are such sets too, so
trying a rule is a few bitwise operations and popcounts over the whole training part.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import attrs

#: The quantiles of the training figures tried as thresholds.
QUANTILES = tuple(q / 20 for q in range(1, 20))
#: The finer quantiles also tried for a fitted score, where a budget's cut falls.
FLOOR_QUANTILES = tuple(q / 100 for q in range(60, 100))
#: The coarser quantiles tried for each metric of a two-metric raise.
PAIR_QUANTILES = (0.25, 0.5, 0.75, 0.9)
#: The least gain in score for a rule to be added.
MIN_GAIN = 0.0005
#: The most rounds of swapping a fitted rule for a better one.
REFINE_ROUNDS = 2
#: The time-ordered parts of the training records the budget must hold on.
BUDGET_PARTS = 4


@attrs.frozen
class Rule:
    """A fitted rule: ``metric`` (and ``second``) at least its threshold raises by one.

    With ``ceiling``, ``metric`` at most ``threshold`` caps the rank at ``ceiling``; with
    ``floor``, ``metric`` at least ``threshold`` lifts the rank to at least ``floor``.
    """

    metric: str
    threshold: float
    ceiling: int | None = None  # None: a raise or a floor
    second: tuple[str, float] | None = None  # a raise's second metric and threshold
    floor: int | None = None  # None: a raise or a ceiling

    def bounds(self) -> dict[str, dict[str, float]]:
        """The rule's metric bounds, as a modifier's ``when: metrics`` gives them."""
        bound = "at_most" if self.ceiling is not None else "at_least"
        out = {self.metric: {bound: self.threshold}}
        if self.second is not None:
            out[self.second[0]] = {"at_least": self.second[1]}
        return out

    def describe(self) -> str:
        """``la >= 39``, ``la >= 39 and nf >= 3`` or ``la <= 6``."""
        op = "<=" if self.ceiling is not None else ">="
        text = f"{self.metric} {op} {self.threshold:g}"
        if self.second is not None:
            text += f" and {self.second[0]} >= {self.second[1]:g}"
        return text

    def holds_for(self, metrics: dict[str, float]) -> bool:
        """Whether every bound of the rule holds for these metrics (missing: never)."""
        if not self.holds(metrics.get(self.metric)):
            return False
        if self.second is None:
            return True
        value = metrics.get(self.second[0])
        return value is not None and value >= self.second[1]

    def holds(self, value: float | None) -> bool:
        """Whether the rule's first bound holds for ``value`` (a missing metric never holds)."""
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


def readable(value: float, significant: int = 2) -> float:
    """``value`` rounded to two significant digits (1234.5 -> 1200, 0.0371 -> 0.037)."""
    if value == 0 or not math.isfinite(value):
        return value
    digits = significant - 1 - math.floor(math.log10(abs(value)))
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
    floor_metrics: tuple[str, ...] = ()  # the metrics floors are tried on (a fitted score)
    raise_only: tuple[str, ...] = ()  # metrics tried only as single raises (history figures)


def _bits(flags: Sequence[bool]) -> int:
    """The set of indexes where ``flags`` hold, as the bits of an integer."""
    return int("".join("1" if f else "0" for f in reversed(flags)) or "0", 2)


def _cuts(values: list[float], quantiles: Sequence[float], significant: int = 2) -> list[float]:
    at = [values[min(len(values) - 1, int(q * len(values)))] for q in quantiles]
    return sorted({readable(value, significant) for value in at})


@attrs.frozen
class _Sets:
    """The problem as sets of records: labels, validation part, budget parts, candidates."""

    everyone: int
    positive: int
    recent: int
    parts: tuple[tuple[int, int], ...]  # (set, size) per time-ordered part
    candidates: tuple[tuple[Rule, int], ...]

    @classmethod
    def of(cls, problem: Problem) -> _Sets:
        n = len(problem.labels)
        start = int(n * (1 - problem.validation))
        bounds = [n * k // BUDGET_PARTS for k in range(BUDGET_PARTS + 1)]
        parts = tuple(
            (((1 << b) - 1) ^ ((1 << a) - 1), b - a) for a, b in itertools.pairwise(bounds) if b > a
        )
        return cls(
            (1 << n) - 1,
            _bits(problem.labels),
            ((1 << n) - 1) ^ ((1 << start) - 1),
            parts,
            tuple(_candidates(problem)),
        )


def _candidates(problem: Problem) -> list[tuple[Rule, int]]:
    every = sorted({name for m in problem.metrics for name in m} - set(problem.raise_only))
    names = list(problem.floor_metrics) or every
    singles: list[tuple[Rule, int]] = []
    for name in problem.raise_only:
        column = [m.get(name) for m in problem.metrics]
        positive = sorted(v for v in column if v is not None and v > 0)
        for cut in _cuts(positive, QUANTILES) if positive else ():
            singles.append((Rule(name, cut), _bits([v is not None and v >= cut for v in column])))
    firsts: list[tuple[str, float, int]] = []
    for name in names:
        column = [m.get(name) for m in problem.metrics]
        values = sorted(v for v in column if v is not None)
        if not values:
            continue
        # A score's cuts are finer: a budget's share depends on them, and its values are small.
        fine, digits = (FLOOR_QUANTILES, 3) if name in problem.floor_metrics else ((), 2)
        for cut in _cuts(values, (*QUANTILES, *fine), digits):
            at_least = _bits([v is not None and v >= cut for v in column])
            at_most = _bits([v is not None and v <= cut for v in column])
            singles += [(Rule(name, cut, ceiling=k), at_most) for k in range(1, problem.top)]
            if name in problem.floor_metrics:
                # A score is a ladder: each cut lifts to a standard (or caps below it).
                singles += [(Rule(name, cut, floor=k), at_least) for k in range(2, problem.top + 1)]
            else:
                singles.append((Rule(name, cut), at_least))
        for cut in _cuts(values, PAIR_QUANTILES):
            firsts.append((name, cut, _bits([v is not None and v >= cut for v in column])))
    pairs = [
        (Rule(a, x, second=(b, y)), sa & sb)
        for i, (a, x, sa) in enumerate(firsts)
        for b, y, sb in firsts[i + 1 :]
        if a != b
    ]
    return singles + pairs


@attrs.frozen
class _State:
    """The records at each level (index 0 unused) after the raises; the ceilings and floors."""

    raised: tuple[int, ...]
    ceilings: tuple[tuple[int, int], ...]  # (rank, set)
    floors: tuple[tuple[int, int], ...] = ()  # (rank, set)

    def levels(self) -> tuple[int, ...]:
        """The records at each level: raised, then capped, then lifted (a floor always wins)."""
        out = list(self.raised)
        for cap, where in self.ceilings:
            moved = 0
            for k in range(cap + 1, len(out)):
                moved |= out[k] & where
                out[k] &= ~where
            out[cap] |= moved
        for floor, where in self.floors:
            moved = 0
            for k in range(1, floor):
                moved |= out[k] & where
                out[k] &= ~where
            out[floor] |= moved
        return tuple(out)

    def add(self, rule: Rule, where: int, top: int) -> _State:
        if rule.ceiling is not None:
            return _State(self.raised, (*self.ceilings, (rule.ceiling, where)), self.floors)
        if rule.floor is not None:
            return _State(self.raised, self.ceilings, (*self.floors, (rule.floor, where)))
        old = self.raised
        new = [0] * len(old)
        for k in range(1, top + 1):
            stay = old[k] if k == top else old[k] & ~where
            new[k] = stay | (old[k - 1] & where if k > 1 else 0)
        return _State(tuple(new), self.ceilings, self.floors)


def _score(problem: Problem, sets: _Sets, levels: Sequence[int]) -> float | None:
    """The score of these levels, ``None`` when they break the budget on some part."""
    pos = [(s & sets.positive).bit_count() for s in levels[1:]]
    neg = [s.bit_count() - p for s, p in zip(levels[1:], pos, strict=True)]
    score = _level_auc(pos, neg)
    rank, budget = problem.budget_rank, problem.budget
    if budget is None or rank is None or rank > problem.top:
        return score
    above = 0
    for s in levels[rank:]:
        above |= s
    if any((above & part).bit_count() > budget * size for part, size in sets.parts):
        return None
    recent_pos = (sets.positive & sets.recent).bit_count()
    if recent_pos:
        # What the budgeted standards catch on the newest part counts as much as the ranking.
        score += (above & sets.positive & sets.recent).bit_count() / recent_pos
    return score


def _start(problem: Problem) -> _State:
    return _State(tuple(_bits([b == k for b in problem.base]) for k in range(problem.top + 1)), ())


def _best(
    problem: Problem, sets: _Sets, state: _State, chosen: Sequence[Rule], floor: float
) -> tuple[float, Rule, _State] | None:
    """The candidate that most raises the score above ``floor`` when added to ``state``."""
    best: tuple[float, Rule, _State] | None = None
    for rule, where in sets.candidates:
        if rule in chosen:
            continue
        trial = state.add(rule, where, problem.top)
        score = _score(problem, sets, trial.levels())
        if score is None or math.isnan(score):
            continue
        if score > floor + MIN_GAIN and (best is None or score > best[0]):
            best = (score, rule, trial)
    return best


def _state_of(problem: Problem, sets: _Sets, rules: Sequence[Rule]) -> _State:
    where = dict(sets.candidates)
    state = _start(problem)
    for rule in rules:
        state = state.add(rule, where[rule], problem.top)
    return state


def _refine(problem: Problem, sets: _Sets, chosen: list[Rule], score: float) -> float:
    """Swap rules for better ones, one at a time, until no swap gains (at most a few rounds)."""
    for _ in range(REFINE_ROUNDS):
        gained = False
        for i in range(len(chosen)):
            others = chosen[:i] + chosen[i + 1 :]
            best = _best(problem, sets, _state_of(problem, sets, others), chosen, score)
            if best is not None:
                score, chosen[i] = best[0], best[1]
                gained = True
        if not gained:
            break
    return score


def fit(problem: Problem, max_rules: int = 8) -> tuple[list[Rule], list[float]]:
    """The rules, in the order added, and the score after each (first: none)."""
    sets = _Sets.of(problem)
    state = _start(problem)
    scores = [_scored(problem, sets, [])]
    chosen: list[Rule] = []
    while len(chosen) < max_rules:
        best = _best(problem, sets, state, chosen, scores[-1])
        if best is None:
            break
        scores.append(best[0])
        chosen.append(best[1])
        state = best[2]
    if chosen:
        scores[-1] = _refine(problem, sets, chosen, scores[-1])
        chosen = _pruned(problem, sets, chosen)
        scores = [_scored(problem, sets, chosen[:k]) for k in range(len(chosen) + 1)]
    return chosen, scores


def _scored(problem: Problem, sets: _Sets, rules: Sequence[Rule]) -> float:
    """The score with ``rules`` applied; minus infinity when they break the budget."""
    score = _score(problem, sets, _state_of(problem, sets, rules).levels())
    return -math.inf if score is None else score


def _pruned(problem: Problem, sets: _Sets, chosen: list[Rule]) -> list[Rule]:
    """``chosen`` without the rules that move no training record the others do not."""
    levels = _state_of(problem, sets, chosen).levels()
    kept = list(chosen)
    for rule in chosen:
        others = [r for r in kept if r != rule]
        if _state_of(problem, sets, others).levels() == levels:
            kept = others
    return kept


def levels_of(problem: Problem, rules: Sequence[Rule]) -> list[int]:
    """Each record's level with ``rules`` applied (raises, then ceilings, then floors)."""
    out = []
    for base, metrics in zip(problem.base, problem.metrics, strict=True):
        held = [rule for rule in rules if rule.holds_for(metrics)]
        level = base
        for rule in held:
            if rule.ceiling is None and rule.floor is None:
                level = min(problem.top, level + 1)
        for rule in held:
            if rule.ceiling is not None:
                level = min(level, rule.ceiling)
        for rule in held:
            if rule.floor is not None:
                level = max(level, rule.floor)
        out.append(level)
    return out


def validation_aucs(problem: Problem, rules: Sequence[Rule]) -> list[float]:
    """The AUC on the newest training records: with none of ``rules``, then with each prefix."""
    start = int(len(problem.labels) * (1 - problem.validation))
    labels = problem.labels[start:]
    out = []
    for k in range(len(rules) + 1):
        levels = levels_of(problem, rules[:k])[start:]
        pos = [0] * (problem.top + 1)
        neg = [0] * (problem.top + 1)
        for level, label in zip(levels, labels, strict=True):
            (pos if label else neg)[level] += 1
        out.append(_level_auc(pos, neg))
    return out
