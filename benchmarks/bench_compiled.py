"""Plans per second of a compiled scale, against ``qualscale.plan`` and a bare loop.

Usage::

    python benchmarks/bench_compiled.py [--scale SCALE] [--jit-csv FILE] [-n N] [--cpu]

The deliveries are the commits of ``--jit-csv`` (a JIT defect CSV, gzipped or not),
else N synthetic ones (seeded: sizes, types, paths and flags of a billing product).
In the same run it times: a bare loop that only reads each delivery's figures; the
compiled scale's first pass (its caches empty) and a second pass, as plan objects
and as dicts (``plan_dict``, equal to ``plan(...).to_dict()``); and plain ``plan()``
on a sample. It prints plans per second, the ratio of the bare loop's time to each,
and checks on the sample that compiled and plain plans (and their dicts) are equal.
``--cpu`` times the CPU the process uses instead of the wall clock: per core, and less
disturbed by other work on the machine.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence

from qualscale import Delivery, load_scale, plan
from qualscale.compiled import compile_scale
from qualscale.delivery import Changes

_PATHS = [
    "src/rating/vat.py",
    "src/invoicing/lines.py",
    "docs/guide.md",
    "tests/test_vat.py",
    "config/app.toml",
    "src/ui/form.ts",
    "migrations/0042_add_column.sql",
    "src/api/orders.py",
    "lib/util.py",
]
_TYPES = [None, "feature", "bugfix", "refactor", "docs", "config", "hotfix"]


def synthetic(n: int, seed: int = 7) -> list[Delivery]:
    """``n`` deliveries with heavy-tailed sizes and a realistic mix of paths and types."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        added = int(rnd.paretovariate(0.9)) - 1
        paths = tuple(rnd.sample(_PATHS, rnd.choice([0, 1, 1, 2, 3])))
        out.append(
            Delivery(
                id=f"D-{i}",
                type=rnd.choice(_TYPES),  # type: ignore[arg-type]
                changes=Changes(added, int(added * rnd.random()), max(1, len(paths))),
                paths=paths,
                metrics={"la": float(added)},
            )
        )
    return out


_CLOCK = time.perf_counter


def _rate(n: int, run: Callable[[], object]) -> float:
    start = _CLOCK()
    run()
    return n / (_CLOCK() - start)


def main(argv: Sequence[str] | None = None) -> None:
    """Time the bare loop, the compiled scale (objects and dicts) and plain plan()."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default=None, help="a scale (default: the default scale)")
    parser.add_argument("--jit-csv", help="plan the commits of this JIT defect CSV")
    parser.add_argument("-n", type=int, default=20000, help="synthetic deliveries (20000)")
    parser.add_argument("--cpu", action="store_true", help="time CPU, not the wall clock")
    args = parser.parse_args(argv)
    global _CLOCK
    _CLOCK = time.process_time if args.cpu else time.perf_counter
    scale = load_scale(args.scale)
    if args.jit_csv:
        from qualscale._jit import read_jit_csv

        deliveries = [r.delivery for r in read_jit_csv(args.jit_csv)]
    else:
        deliveries = synthetic(args.n)
    n = len(deliveries)

    def bare() -> None:
        for d in deliveries:
            _ = (d.type, d.flags, d.paths, d.changes.lines_added, d.metrics)

    compiled = compile_scale(scale)

    def objects() -> None:
        for d in deliveries:
            compiled.plan(d)

    def dicts() -> None:
        for d in deliveries:
            compiled.plan_dict(d)

    sample = deliveries[: min(n, 2000)]
    bare_rate = _rate(n, bare)
    rates = {
        "compiled, first pass": _rate(n, objects),
        "compiled, objects": _rate(n, objects),
        "compiled, dicts": _rate(n, dicts),
        "plan() uncompiled": _rate(len(sample), lambda: [plan(d, scale) for d in sample]),
    }
    same = all(compiled.plan(d) == plan(d, scale) for d in sample)
    same_dicts = all(compiled.plan_dict(d) == plan(d, scale).to_dict() for d in sample)
    clock = "CPU time" if args.cpu else "wall clock"
    print(f"{n} deliveries, scale {scale.name} {scale.version}, {clock}")
    print(f"{'bare loop':24} {bare_rate:>12,.0f} /s")
    for name, rate in rates.items():
        print(f"{name:24} {rate:>12,.0f} /s   bare loop is {bare_rate / rate:,.1f}x faster")
    print(f"compiled == plain on {len(sample)} deliveries: {same}, as dicts: {same_dicts}")


if __name__ == "__main__":
    main()
