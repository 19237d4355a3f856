"""Time ``read_git_delivery`` against a bare ``git diff --numstat`` of the same change.

Usage::

    python benchmarks/bench_git.py REPO REVISION [--runs N]

REVISION is what ``read_git_delivery`` accepts (``REV``, ``BASE..HEAD``, ``BASE...HEAD``).
Both are timed in the same run, alternating, and the medians and their ratio are printed:
the ratio is the price of the extra git processes and the parsing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence

from qualscale.git import read_git_delivery


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

    run_bare()  # warm the caches for both before timing
    run_qualscale()
    bare_times, ours = [], []
    for _ in range(args.runs):
        bare_times.append(_timed(run_bare))
        ours.append(_timed(run_qualscale))

    bare_median = statistics.median(bare_times)
    ours_median = statistics.median(ours)
    print(f"git diff --numstat   median {bare_median * 1000:8.2f} ms  ({args.runs} runs)")
    print(f"read_git_delivery    median {ours_median * 1000:8.2f} ms  ({args.runs} runs)")
    print(f"ratio                {ours_median / bare_median:8.2f}x")


if __name__ == "__main__":
    main()
