"""Time history imports: 20,000 git commits and 20,000 CSV rows into an SQLite store.

Usage::

    python benchmarks/bench_history_import.py [--commits N] [--repo DIR --range RANGE]
        [--szz] [--jit DIR]

Without ``--repo``, a repository of N commits (default 20,000; 1-3 files of 400 in 20
folders each, five authors, every tenth a ``fix:``) is made with ``git fast-import``.
Printed: ``git log --numstat`` over the range (the floor: the one git pass the import
makes), the Kamei metrics from it, the SQLite import, and their ratio to the git pass;
with ``--szz`` the SZZ links too. With ``--jit DIR`` (the JIT data sets, ``*.csv.gz``),
each CSV is read and imported into a fresh store, and its record count printed.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from qualscale._git_history import kamei_metrics, read_git_history, read_log, szz_links
from qualscale._jit import read_jit_csv
from qualscale.stores import open_store

T = TypeVar("T")


def _timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def make_repo(path: Path, commits: int, seed: int = 7) -> None:
    """A repository of ``commits`` commits, written in one ``git fast-import`` stream."""
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    files = [f"d{k % 20}/m{k % 7}/f{k}.py" for k in range(400)]
    sizes = dict.fromkeys(files, 0)
    out = []
    for n in range(commits):
        who = f"dev{rng.randrange(5)}"
        subject = f"fix: change {n}" if n % 10 == 9 else f"feat: change {n}"
        message = subject.encode()
        out.append(b"commit refs/heads/main\n")
        when = 1_600_000_000 + n * 600
        out.append(f"committer {who} <{who}@example.com> {when} +0000\n".encode())
        out.append(b"data %d\n%s\n" % (len(message), message))
        for name in rng.sample(files, rng.randint(1, 3)):
            sizes[name] = max(1, sizes[name] + rng.randint(-3, 8))
            body = "".join(f"line {i} {rng.randrange(50)}\n" for i in range(sizes[name])).encode()
            out.append(f"M 100644 inline {name}\n".encode())
            out.append(b"data %d\n%s\n" % (len(body), body))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(out), check=True)


def bench_git(repo: str, revision: str, szz: bool) -> None:
    """Time the git pass, the metrics and the import; print their ratio to the git pass."""
    args = ["git", "log", "--reverse", "--numstat", "--no-renames", revision, "--"]
    _, bare = _timed(lambda: subprocess.run(args, cwd=repo, capture_output=True, check=True))
    commits, log = _timed(lambda: read_log(revision, repo))
    metrics, kamei = _timed(lambda: kamei_metrics(commits))
    print(f"git log --numstat ({len(commits)} commits): {bare:.2f} s")
    print(f"read_log (one git pass, parsed):      {log:.2f} s  ({log / bare:.1f}x)")
    print(f"Kamei metrics:                        {kamei:.2f} s")
    records, read = _timed(lambda: read_git_history(revision, repo, szz=False))
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"{tmp}/h.db", create=True)
        _, stored = _timed(lambda: store.add(records))
        count = store.count()
        store.close()
    total = read + stored
    print(f"records with metrics:                 {read:.2f} s  ({read / bare:.1f}x)")
    print(f"SQLite import of {count} records:     {stored:.2f} s")
    print(f"git import, total:                    {total:.2f} s  ({total / bare:.1f}x git log)")
    if szz:
        links, took = _timed(lambda: szz_links(commits, metrics, repo))
        fixes = sum(int(m["fix"]) for m in metrics)
        linked = sum(len(v) for v in links.values())
        print(f"SZZ ({fixes} fix commits, {linked} links): {took:.2f} s  ({took / bare:.1f}x)")


def _import_jit(path: Path) -> None:
    records, read = _timed(lambda: list(read_jit_csv(path)))
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"{tmp}/h.db", create=True)
        _, stored = _timed(lambda: store.add(records))
        count = store.count()
        store.close()
    labelled = sum(bool(r.defect_inducing) for r in records)
    print(
        f"{path.name}: {count} records ({labelled} defect-inducing): "
        f"read {read:.2f} s, SQLite import {stored:.2f} s"
    )


def bench_jit(folder: Path) -> None:
    """Read and import each JIT CSV into a fresh store; print counts and times."""
    for path in sorted(folder.glob("*.csv.gz")):
        _import_jit(path)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the arguments and run the benchmarks asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--repo", help="an existing repository (default: make one)")
    parser.add_argument("--range", default="HEAD", help="with --repo: the range to import")
    parser.add_argument("--szz", action="store_true", help="time the SZZ links too")
    parser.add_argument("--jit", type=Path, help="a folder of JIT CSVs (*.csv.gz)")
    args = parser.parse_args(argv)
    if args.repo:
        bench_git(args.repo, args.range, args.szz)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            _, made = _timed(lambda: make_repo(Path(tmp) / "repo", args.commits))
            print(f"made a repository of {args.commits} commits in {made:.1f} s", file=sys.stderr)
            bench_git(str(Path(tmp) / "repo"), "HEAD", args.szz)
    if args.jit:
        bench_jit(args.jit)


if __name__ == "__main__":
    main()
