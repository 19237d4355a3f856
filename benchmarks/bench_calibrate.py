"""Calibrate on the oldest 80 % of each JIT defect CSV and measure on the newest 20 %.

Usage::

    python benchmarks/bench_calibrate.py [CSV ...] [--base SCALE] [--budget SHARE] [--metrics diff]

CSV defaults to the three projects of ``../shared/data/jit/`` (the ISSTA 2021 JIT
defect prediction benchmark; see its README). For each: the AUC of the standard's
rank (base scale and calibrated without a budget, at most 5 standards) next to lines
added alone (LApredict), computed in the same run; then, calibrated with the budget,
the share of held-out commits in the standards that require performance tests, the
share of defect-inducing ones they hold, and the share the top ``budget`` of commits
by lines added hold.
Nothing here knows the projects: every figure comes from the same code.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from qualscale import load_scale
from qualscale._fit import Rule
from qualscale._jit import read_jit_csv
from qualscale.calibration import calibrate, evaluate, split

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "jit"


def _top_share_caught(records: Sequence[object], share: float) -> float:
    """The share of defect-inducing records among the ``share`` with the most lines added."""
    rows = [(r.delivery.metrics.get("la", 0.0), r.escaped) for r in records]  # type: ignore[attr-defined]
    bad = sum(1 for _, y in rows if y)
    top = sorted(rows, key=lambda row: -row[0])[: int(share * len(rows))]
    return sum(1 for _, y in top if y) / bad


def _action(rule: Rule) -> str:
    if rule.ceiling is not None:
        return f"at most rank {rule.ceiling}"
    if rule.floor is not None:
        return f"at least rank {rule.floor}"
    return "+1"


def main(argv: Sequence[str] | None = None) -> None:
    """Calibrate and evaluate each CSV; print a row per project and the means."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", nargs="*", type=Path)
    parser.add_argument("--base", default="billing-saas")
    parser.add_argument("--budget", type=float, default=0.2)
    parser.add_argument("--max-standards", type=int, default=5)
    parser.add_argument(
        "--metrics", help="fit on these metrics only (comma-separated; 'diff': plan --git's)"
    )
    args = parser.parse_args(argv)
    metrics = None
    if args.metrics:
        from qualscale._change_metrics import DIFF_METRICS

        metrics = DIFF_METRICS if args.metrics == "diff" else tuple(args.metrics.split(","))
    files = args.csv or sorted(DATA.glob("*.csv.gz"))
    base = load_scale(args.base)
    print(
        f"{'project':10} {'base':>6} {'calib':>6} {'LA':>6}"
        f" {'perf share':>10} {'caught':>7} {'LA top':>7} {'seconds':>8}"
    )
    aucs, las = [], []
    for path in files:
        start = time.perf_counter()
        train, test = split(read_jit_csv(path), 0.8)
        # Two calibrations: for the ranking (no budget), and with the budget.
        ranked = calibrate(train, base, max_standards=args.max_standards, metrics=metrics)
        budgeted = calibrate(
            train, base, max_standards=args.max_standards, budget=args.budget, metrics=metrics
        )
        before = evaluate(base, test, past=train)
        after = evaluate(ranked.scale(), test, past=train)
        held = evaluate(budgeted.scale(), test, past=train)
        aucs.append(after.auc)
        las.append(after.auc_lines_added)
        print(
            f"{path.name.split('.')[0]:10} {before.auc:6.3f} {after.auc:6.3f}"
            f" {after.auc_lines_added:6.3f} {held.share_at_budget:10.3f} {held.caught:7.3f}"
            f" {_top_share_caught(test, args.budget):7.3f} {time.perf_counter() - start:8.1f}"
        )
        if ranked.score is not None:
            weights = ", ".join(f"{k} {v:g}" for k, v in ranked.score.score.weights.items())
            print(f"{'':11}score {ranked.score.name}: {weights}")
        for name, fitted in (("ranking", ranked), ("budget", budgeted)):
            rules = [f"{r.rule.describe()} -> {_action(r.rule)}" for r in fitted.rules]
            print(f"{'':11}{name}: {'; '.join(rules)}")
    print(f"{'mean':10} {'':6} {statistics.mean(aucs):6.3f} {statistics.mean(las):6.3f}")


if __name__ == "__main__":
    main()
