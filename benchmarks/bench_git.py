"""Time ``read_git_delivery`` against a bare ``git diff --numstat`` of the same change.

Usage::

    python benchmarks/bench_git.py REPO REVISION [--runs N]

REVISION is what ``read_git_delivery`` accepts (``REV``, ``BASE..HEAD``, ``BASE...HEAD``).
Both are timed in the same run, alternating, and the medians and their ratio are printed:
the ratio is the price of the extra git processes and the parsing. So is the whole
command ``qualscale plan --git REVISION --repo REPO --format json`` as a process
(interpreter start-up and planning included, bytecode cached as in an installed
package), against the goal of 1.5x ``git diff --numstat`` plus 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from qualscale.git import read_git_delivery

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _bare_diff_args(revision: str) -> list[str]:
    if ".." in revision:
        return [revision]  # git diff understands both A..B and A...B
    return [f"{revision}^!"]  # REV^..REV; fails on a root commit, as bare git would


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the arguments, time both ways N times each and print the medians."""
    parser = argparse.ArgumentParser(
        description="Time read_git_delivery against a bare git diff --numstat."
    )
    parser.add_argument("repo", help="path of the git repository")
    parser.add_argument("revision", help="REV, BASE..HEAD or BASE...HEAD")
    parser.add_argument("--runs", type=int, default=20, help="runs of each (default 20)")
    args = parser.parse_args(argv)

    bare = ["git", "diff", "--numstat", "-z", "-M", *_bare_diff_args(args.revision), "--"]

    def run_bare() -> None:
        subprocess.run(bare, cwd=args.repo, capture_output=True, check=True)

    def run_qualscale() -> None:
        read_git_delivery(args.revision, args.repo)

    command = [sys.executable, "-m", "qualscale", "plan", "--git", args.revision]
    command += ["--repo", args.repo, "--format", "json"]

    def run_process() -> None:
        subprocess.run(command, capture_output=True, check=True, env=ENV)

    actions = {"git diff --numstat": run_bare, "read_git_delivery": run_qualscale}
    actions["plan --git (process)"] = run_process
    for action in actions.values():
        action()  # warm the caches before timing
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(args.runs):
        for name, action in actions.items():
            times[name].append(_timed(action))

    bare = statistics.median(times["git diff --numstat"])
    for name in actions:
        median = statistics.median(times[name])
        print(f"{name:21s} median {median * 1000:8.2f} ms  {median / bare:5.2f}x")
    goal = 1.5 * bare + 0.3
    print(f"goal (1.5x + 0.3 s)          {goal * 1000:8.2f} ms")


if __name__ == "__main__":
    main()
