"""Fitting a score: a weighted sum of change metrics that ranks defect-inducing deliveries.

Pure; no I/O, standard library only. Each metric counts as ``log2(1 + value)`` (so a
weight is what one doubling of the metric adds), the weights come from a logistic
regression with a small ridge penalty fitted by Newton's method, and the metrics are
chosen by forward selection: each round adds the metric that most raises the area
under the ROC curve on the newest part of the training records (fitted on the older
part only), until none adds :data:`MIN_GAIN`. The final weights are refitted on every
training record and rounded to two significant digits, so the scale states them as
readable numbers and the classifier computes exactly the score that was measured.

The sums run column by column (``map`` over two lists), which keeps a fit of tens of
thousands of records to a fraction of a second in pure Python.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence

from qualscale._fit import auc, readable
from qualscale.rules import Score

#: The least gain in validation AUC for a metric to join the score.
MIN_GAIN = 0.002
#: The most metrics in a score.
MAX_METRICS = 8
#: The ridge penalty on the standardized weights.
RIDGE = 1.0
#: Newton steps at most; a fit stops earlier once the log-likelihood settles.
MAX_STEPS = 30


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    total: float = sum(map(operator.mul, a, b))
    return total


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """``matrix @ x = vector`` by Gaussian elimination with partial pivoting (small, dense)."""
    n = len(vector)
    rows = [[*row, value] for row, value in zip(matrix, vector, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        head = rows[col][col]
        if head == 0:
            continue
        for r in range(col + 1, n):
            factor = rows[r][col] / head
            if factor:
                rows[r] = [x - factor * y for x, y in zip(rows[r], rows[col], strict=True)]
    out = [0.0] * n
    for r in range(n - 1, -1, -1):
        head = rows[r][r]
        rest = sum(rows[r][c] * out[c] for c in range(r + 1, n))
        out[r] = (rows[r][n] - rest) / head if head else 0.0
    return out


def logistic(
    columns: Sequence[Sequence[float]], labels: Sequence[bool], start: Sequence[float] = ()
) -> list[float]:
    """The weights of a ridge logistic regression on standardized ``columns``.

    Returns the intercept followed by one weight per column. The columns must already
    be standardized (mean 0, deviation 1); the intercept is not penalized. ``start``
    gives the first weights to step from (a previous fit's), missing ones as 0.
    """
    n = len(labels)
    y = [1.0 if label else 0.0 for label in labels]
    xs = [[1.0] * n, *columns]
    d = len(xs)
    beta = [*start[:d], *[0.0] * (d - len(start))]
    for _ in range(MAX_STEPS):
        eta = [0.0] * n
        for b, col in zip(beta, xs, strict=True):
            if b:
                eta = [e + b * x for e, x in zip(eta, col, strict=True)]
        # exp(-e) overflows only far below -700, where the probability is 0 anyway.
        p = [1.0 / (1.0 + math.exp(-e)) if e > -700.0 else 0.0 for e in eta]
        residual = list(map(operator.sub, y, p))
        gradient = [
            _dot(col, residual) - (RIDGE * b if j else 0.0)
            for j, (col, b) in enumerate(zip(xs, beta, strict=True))
        ]
        w = [q - q * q for q in p]
        weighted = [list(map(operator.mul, w, col)) for col in xs]
        hessian = [[0.0] * d for _ in range(d)]
        for j in range(d):
            for k in range(j, d):
                value = _dot(weighted[j], xs[k]) + (RIDGE if j == k and j else 0.0)
                hessian[j][k] = hessian[k][j] = value
        step = _solve(hessian, gradient)
        beta = [b + s for b, s in zip(beta, step, strict=True)]
        if max(map(abs, step)) < 1e-6:
            break
    return beta


def _standardized(column: Sequence[float]) -> tuple[list[float], float, float]:
    mean = math.fsum(column) / len(column)
    spread = math.sqrt(math.fsum((x - mean) ** 2 for x in column) / len(column)) or 1.0
    return [(x - mean) / spread for x in column], mean, spread


def _weights(
    scaled: Mapping[str, tuple[list[float], float, float]],
    labels: Sequence[bool],
    names: Sequence[str],
    start: Sequence[float] = (),
) -> tuple[dict[str, float], list[float]]:
    """The fitted weight of each named metric, on the scale of ``Score.feature``.

    ``scaled`` holds each metric's standardized column, mean and deviation. Also returns
    the standardized weights, to start a fit with one more metric from.
    """
    beta = logistic([scaled[name][0] for name in names], labels, start)
    return {name: b / scaled[name][2] for name, b in zip(names, beta[1:], strict=True)}, beta


def _linear(weights: Mapping[str, float], features: Mapping[str, Sequence[float]]) -> list[float]:
    n = len(next(iter(features.values())))
    total = [0.0] * n
    for name, weight in weights.items():
        total = [t + weight * x for t, x in zip(total, features[name], strict=True)]
    return total


def fit_score(
    metrics: Sequence[Mapping[str, float]], labels: Sequence[bool], validation: float = 0.25
) -> tuple[dict[str, float], float] | None:
    """The weights of a score fitted to these records (oldest first), and its validation AUC.

    Only metrics every record gives are candidates. ``None`` when no metric ranks the
    newest ``validation`` share of the records better than chance by :data:`MIN_GAIN`,
    or when there are too few records or labels of either kind to fit.
    """
    n = len(labels)
    start = int(n * (1 - validation))
    if n < 20 or not 0 < sum(labels[:start]) < start or not 0 < sum(labels[start:]) < n - start:
        return None
    names = sorted(set.intersection(*(set(m) for m in metrics))) if metrics else []
    features = {name: [Score.feature(m[name]) for m in metrics] for name in names}
    names = [name for name in names if len(set(features[name][:start])) > 1]
    older = {name: _standardized(column[:start]) for name, column in features.items()}
    newer = {name: column[start:] for name, column in features.items()}
    chosen: list[str] = []
    best, beta = 0.5, [0.0]
    while len(chosen) < MAX_METRICS:
        trials = []
        for name in names:
            if name in chosen:
                continue
            weights, fitted = _weights(older, labels[:start], [*chosen, name], beta)
            trials.append((auc(_linear(weights, newer), labels[start:]), name, fitted))
        if not trials:
            break
        score, name, fitted = max(trials, key=lambda trial: trial[:2])
        if not score > best + MIN_GAIN:
            break
        best, beta = score, fitted
        chosen.append(name)
    if not chosen:
        return None
    everyone = {name: _standardized(features[name]) for name in chosen}
    weights, _ = _weights(everyone, labels, chosen)
    return {name: readable(w) for name, w in weights.items()}, best
