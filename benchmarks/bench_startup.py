"""What does starting ``qualscale plan`` cost on top of Python, attrs and PyYAML?

Usage::

    python benchmarks/bench_startup.py [DELIVERY] [--runs N] [--before SRC] [--breakdown]

Times, as whole processes with this interpreter, ``python -c "import attrs, yaml"`` (the
floor: the interpreter and the two libraries qualscale cannot do without) and
``qualscale plan DELIVERY`` with ``--format json`` and ``--format markdown``, with the
scale cache warm (the usual case: every run after the first) and turned off
(``QUALSCALE_CACHE_DIR=off``: what the first run of a new scale costs). DELIVERY defaults
to ``examples/deliveries/docs-typo.yaml``. With ``--before SRC`` (the ``src`` folder of
another checkout, such as the code before a change) the plan commands also run with
that code first on ``PYTHONPATH``, in the same rounds: a paired before and after.
``--breakdown`` also splits a warm JSON plan's CPU time, timed inside the process
(``time.process_time``), into the floor's imports, the standard modules the command line
adds, qualscale's modules (and in them attrs building the classes) and the run itself,
and times importing qualscale's modules with attrs' decorators doing nothing: the least
that classes made ahead of time could cost.

The commands run in turn, round by round (one warm-up round, then N rounds, default 15),
so that a change in the machine's load hits all of them alike; each command's ratio to
the floor is taken within a round and the median of those ratios printed, with the
medians of CPU time (user + system, from the kernel's accounting of the finished
process) and of wall time, and whether the warm runs meet the goals (JSON within
:data:`GOALS` ``[json]`` of the floor, Markdown within ``[markdown]``). Bytecode is
cached, as in any real installation, whatever ``PYTHONDONTWRITEBYTECODE`` says; the
scale cache (and the cache of attrs' generated code) lives in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "deliveries" / "docs-typo.yaml"
FALLBACK = "id: DOC-7\ntitle: Fix a typo in the README\ntype: docs\npaths: [README.md]\n"
#: The CPU ratio to the floor each warm plan command should stay within.
GOALS = {"plan --format json": 1.3, "plan --format markdown": 1.6}
FLOOR = 'python -c "import attrs, yaml"'
#: The modules a warm JSON plan imports, imported by both in-process timings below.
MODULES = "import qualscale.cli, qualscale._cli_plan, qualscale._plan_markdown, qualscale.loading"
#: Run in a process by ``--breakdown``: CPU milliseconds of each part of a warm JSON plan.
BREAKDOWN = """
import io, sys, time
clock = time.process_time
start = clock()
import attrs, yaml
floor = clock()
import argparse, contextvars, gettext, json, locale, _pickle
stdlib = clock()
import attr._make
built = [0.0]
def timed(function):
    def run(*args, **kwargs):
        begin = clock()
        try:
            return function(*args, **kwargs)
        finally:
            built[0] += clock() - begin
    return run
attr._make._ClassBuilder.__init__ = timed(attr._make._ClassBuilder.__init__)
attr._make._ClassBuilder.build_class = timed(attr._make._ClassBuilder.build_class)
from qualscale._code_cache import attrs_code_cached
with attrs_code_cached():
    {MODULES}
    imported = clock()
    sys.stdout = io.StringIO()
    qualscale.cli.main(["plan", sys.argv[1], "--format", "json"])
    sys.stdout = sys.__stdout__
done = clock()
parts = (floor - start, stdlib - floor, imported - stdlib, built[0], done - imported)
print(" ".join(f"{part * 1000:.2f}" for part in parts))
""".replace("{MODULES}", MODULES)
#: Run in a process by ``--breakdown``: CPU milliseconds of importing the same modules
#: with attrs' decorators reduced to nothing (the class is returned as written, with an
#: ``__init__`` that accepts anything): the least any way of making the classes ahead of
#: time could leave. The module bodies, their bytecode and their imports remain.
WITHOUT_ATTRS = """
import time
clock = time.process_time
import attrs, yaml, argparse, contextvars, gettext, json, locale, _pickle

def as_written(cls=None, **options):
    if cls is None:
        return as_written
    cls.__init__ = lambda self, *args, **kwargs: None
    return cls

attrs.define = attrs.frozen = attrs.mutable = as_written
start = clock()
{MODULES}
print(f"{(clock() - start) * 1000:.2f}")
""".replace("{MODULES}", MODULES)


def _run(command: Sequence[str], env: Mapping[str, str]) -> tuple[float, float]:
    """Run ``command``; its CPU seconds (user + system) and wall seconds."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=dict(env))
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return usage.ru_utime + usage.ru_stime, wall


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the arguments, time every command N rounds and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("delivery", nargs="?", type=Path, help="a delivery file")
    parser.add_argument("--runs", type=int, default=15, help="rounds (default 15)")
    parser.add_argument(
        "--before", type=Path, metavar="SRC", help="also time the code in SRC, same rounds"
    )
    parser.add_argument("--breakdown", action="store_true", help="split a JSON plan's time")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        delivery: Path = args.delivery or EXAMPLE
        if not delivery.is_file():
            delivery = Path(folder) / "delivery.yaml"
            delivery.write_text(FALLBACK, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        warm = {**env, "QUALSCALE_CACHE_DIR": str(Path(folder) / "cache")}
        cold = {**env, "QUALSCALE_CACHE_DIR": "off"}
        plan = [sys.executable, "-m", "qualscale", "plan", str(delivery), "--format"]
        commands = {FLOOR: ([sys.executable, "-c", "import attrs, yaml"], env)}
        for label, source in [("", None), ("before: ", args.before)][: 1 + bool(args.before)]:
            where = {} if source is None else {"PYTHONPATH": str(source.resolve())}
            hot, first = {**warm, **where}, {**cold, **where}
            commands |= {
                f"{label}plan --format json": ([*plan, "json"], hot),
                f"{label}plan --format markdown": ([*plan, "markdown"], hot),
                f"{label}plan --format json, no cache": ([*plan, "json"], first),
                f"{label}plan --format markdown, no cache": ([*plan, "markdown"], first),
            }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for round_ in range(args.runs + 1):
            for name, (command, environment) in commands.items():
                figure = _run(command, environment)
                if round_:  # the first round warms bytecode, file cache and scale cache
                    times[name].append(figure)
        _print(delivery.name, args.runs, times)
        if args.breakdown:
            _breakdown([sys.executable, "-c", BREAKDOWN, str(delivery)], warm, args.runs)
            _lower_bound([sys.executable, "-c", WITHOUT_ATTRS], warm, args.runs)


def _breakdown(command: list[str], env: Mapping[str, str], runs: int) -> None:
    """Run the in-process timing ``runs`` times; print the median of each part."""
    rows = [
        [
            float(x)
            for x in subprocess.run(
                command, env=dict(env), capture_output=True, check=True
            ).stdout.split()
        ]
        for _ in range(runs)
    ]
    names = (
        "attrs and yaml",
        "argparse, json, pickle...",
        "qualscale's modules",
        "  of which attrs building classes",
        "the run (parse, load, plan, write)",
    )
    print(f"warm plan --format json, CPU ms inside the process (median of {runs}):")
    for i, name in enumerate(names):
        print(f"  {name:36} {statistics.median(row[i] for row in rows):6.1f}")


def _lower_bound(command: list[str], env: Mapping[str, str], runs: int) -> None:
    """Run the import without attrs' class building ``runs`` times; print the median."""
    figures = [
        float(subprocess.run(command, env=dict(env), capture_output=True, check=True).stdout)
        for _ in range(runs)
    ]
    print(f"  {'qualscale modules, attrs building none':36} {statistics.median(figures):6.1f}")


def _print(delivery: str, runs: int, times: dict[str, list[tuple[float, float]]]) -> None:
    floor = next(iter(times.values()))
    print(
        f"delivery {delivery}; {runs} rounds;"
        f" Python {sys.version.split()[0]}; {os.cpu_count()} CPUs"
    )
    print(f"{'command':42} {'cpu ms':>8} {'wall ms':>8} {'cpu ratio':>10} {'wall ratio':>11}")
    ratios = {}
    for name, figures in times.items():
        cpu = statistics.median(c for c, _ in figures)
        wall = statistics.median(w for _, w in figures)
        cpu_ratio = statistics.median(c / f for (c, _), (f, _) in zip(figures, floor, strict=True))
        wall_ratio = statistics.median(w / f for (_, w), (_, f) in zip(figures, floor, strict=True))
        ratios[name] = cpu_ratio
        print(
            f"{name:42} {cpu * 1000:8.1f} {wall * 1000:8.1f} {cpu_ratio:9.2f}x {wall_ratio:10.2f}x"
        )
    for name, goal in GOALS.items():
        verdict = "met" if ratios[name] <= goal else "NOT met"
        print(f"goal: {name} within {goal}x of the floor (CPU): {ratios[name]:.2f}x, {verdict}")


if __name__ == "__main__":
    main()
