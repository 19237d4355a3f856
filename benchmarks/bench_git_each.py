"""Time ``qualscale batch --git-each`` against ``git log --numstat`` over the same commits.

Usage::

    python benchmarks/bench_git_each.py REPO [--revision HEAD] [--count 1000]
        [--first-parent] [--scale NAME|PATH] [--runs N]

Both are timed in the same run, alternating: ``git log --numstat`` over the newest COUNT
commits of REVISION, and the whole ``batch --git-each`` (git read, every delivery
classified and planned, one JSON line each), in process and as a ``qualscale`` process
(interpreter start-up included, bytecode cached as in an installed package). The medians
and the ratios to ``git log`` are printed; the goal is at most 3x for 1,000 commits.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from qualscale import cli

# Bytecode is cached in every measured run, as in an installed package.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the arguments, time each way N times and print the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", help="path of the git repository (a bare one works)")
    parser.add_argument("--revision", default="HEAD", help="REV or BASE..HEAD (default HEAD)")
    parser.add_argument("--count", type=int, default=1000, help="newest commits (default 1000)")
    parser.add_argument("--first-parent", action="store_true", help="one delivery per merge")
    parser.add_argument("--scale", default=None, help="the scale (default billing-saas)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each (default 5)")
    args = parser.parse_args(argv)

    fp = ["--first-parent"] if args.first_parent else []
    bare = ["git", "log", "--numstat", f"--max-count={args.count}", *fp, args.revision, "--"]
    ours = ["batch", "--git-each", args.revision, "--repo", args.repo]
    ours += ["--max-count", str(args.count), *fp]
    ours += ["--scale", args.scale] if args.scale else []

    def run_bare() -> None:
        subprocess.run(bare, cwd=args.repo, capture_output=True, check=True)

    def run_in_process() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(ours)
        if code != 0:
            raise SystemExit(f"qualscale {' '.join(ours)} exited with {code}")

    def run_process() -> None:
        command = [sys.executable, "-m", "qualscale", *ours]
        subprocess.run(command, capture_output=True, check=True, env=ENV)

    for action in (run_bare, run_in_process, run_process):
        action()  # warm the caches before timing
    times: dict[str, list[float]] = {"git log": [], "in process": [], "process": []}
    for _ in range(args.runs):
        times["git log"].append(_timed(run_bare))
        times["in process"].append(_timed(run_in_process))
        times["process"].append(_timed(run_process))

    base = statistics.median(times["git log"])
    print(f"{args.count} commits of {args.revision} in {args.repo}, {args.runs} runs each")
    print(f"{'git log --numstat':33s}: {base * 1000:8.1f} ms (median)")
    for name in ("in process", "process"):
        median = statistics.median(times[name])
        label = f"qualscale batch --git-each ({name})"
        print(f"{label:33s}: {median * 1000:8.1f} ms  {median / base:.2f}x")


if __name__ == "__main__":
    main()
