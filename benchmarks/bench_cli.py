"""Time ``qualscale plan DELIVERY --format json`` against ``python -c "import attrs, yaml"``.

Usage::

    python benchmarks/bench_cli.py [DELIVERY] [--runs N]

DELIVERY defaults to ``examples/deliveries/rating-vat-rounding.yaml`` (or an equivalent
written to a temporary folder when the examples are missing). Both commands run as fresh
processes with the same interpreter, alternating, N times each (default 15); the medians
and their ratio are printed. The floor is the price of starting Python and importing the
two libraries qualscale cannot do without; the ratio is what the command costs on top.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "deliveries" / "rating-vat-rounding.yaml"
FALLBACK = """\
id: DEL-1042
title: Round VAT per invoice line
type: feature
changes: {lines_added: 1620, lines_removed: 410, files: 23}
paths: [src/rating/vat.py, src/invoicing/lines.py, tariffs/2027/tariff-energy.csv]
flags: [performance-sensitive]
"""


def _timed(command: Sequence[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the arguments, time both commands N times each and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("delivery", nargs="?", type=Path, help="a delivery file")
    parser.add_argument("--runs", type=int, default=15, help="runs of each (default 15)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        delivery: Path = args.delivery or EXAMPLE
        if not delivery.is_file():
            delivery = Path(folder) / "delivery.yaml"
            delivery.write_text(FALLBACK, encoding="utf-8")
        plan = [sys.executable, "-m", "qualscale", "plan", str(delivery), "--format", "json"]
        floor = [sys.executable, "-c", "import attrs, yaml"]
        _timed(plan)  # warm the file system cache and the bytecode
        _timed(floor)
        plan_times: list[float] = []
        floor_times: list[float] = []
        for _ in range(args.runs):
            plan_times.append(_timed(plan))
            floor_times.append(_timed(floor))

    plan_median = statistics.median(plan_times)
    floor_median = statistics.median(floor_times)
    rows = [
        ("delivery", delivery.name),
        ("runs", f"{args.runs} of each, alternating"),
        ("qualscale plan --format json", f"{plan_median * 1000:.1f} ms (median)"),
        ('python -c "import attrs, yaml"', f"{floor_median * 1000:.1f} ms (median)"),
        ("ratio", f"{plan_median / floor_median:.2f}x"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
