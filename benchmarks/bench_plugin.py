"""What does the qualscale pytest plugin cost a real test suite?

Usage::

    python benchmarks/bench_plugin.py [--workdir DIR] [--rounds N] [--runs N] [--own-only]

Downloads the sdist of ``packaging`` (its tests come with it) into DIR (default: a new
temporary folder) and makes two virtual environments with pytest and the suite's test
dependencies: one without qualscale, one with qualscale installed editable from this
checkout. Then it times these configurations, alternating them round by round (one
warm-up round, then N rounds, default 5):

- ``not installed``: the environment without qualscale;
- ``installed, idle``: qualscale installed, no qualscale option;
- ``blocked``: qualscale installed, ``-p no:qualscale``: the idle plugin's own price
  is the difference to ``installed, idle`` in the same environment;
- ``active``: ``--qualscale-delivery=FILE`` with a small delivery;
- ``active, select, report``: the same with ``--qualscale-select`` and
  ``--qualscale-report=FILE.md``.

Two suites: packaging's tests without ``tests/test_version.py`` (about 12,700 of its
64,000 tests), and one small file (``tests/test_errors.py``, 7 tests) for the fixed price
per session. The medians of wall time and of the CPU time of the pytest process are
printed. Rounds alternate the configurations, so a change in the machine's load during
the sitting hits all of them alike (back-to-back runs of one command, as hyperfine does,
give it to one).

Last, because a whole session's time varies more from run to run than the plugin costs,
the plugin's own time is measured directly in the full suite: the import of the plugin
module plus the time spent inside its hook implementations (a small timing plugin, loaded
before the entry points, imports the module and wraps the hooks; the wrapper's own cost
per call, measured in the same process, is taken off), as wall time and as CPU time,
``--runs`` times per configuration (default 3). The shares of the session are those
times over the same run's wall time and CPU time (the medians of the runs' shares): the
CPU share is the steadier on a shared machine. ``--own-only`` measures only this,
without the alternating rounds.

Option values are written ``--option=VALUE``: a path given as ``--option VALUE`` can
move pytest's rootdir (pytest-dev/pytest#8846). Nothing of the downloaded source is
written into this repository. Needs network access to the package index.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parents[1]
#: The environment of the measured runs: bytecode is cached, as in any real installation
#: (an editable install compiles on first import), whatever this shell says.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
TEST_DEPS = ["pytest", "pretend", "tomli_w", "hypothesis"]
DELIVERY = """\
id: DOC-12
title: Fix a typo in the README
type: docs
changes: {lines_added: 1, lines_removed: 1, files: 1}
paths: [README.md]
"""


def _run(*args: str | Path, cwd: Path | None = None) -> None:
    subprocess.run([str(a) for a in args], cwd=cwd, check=True)


def prepare(work: Path) -> Path:
    """Download and unpack packaging, make both environments; return the suite's folder."""
    work.mkdir(parents=True, exist_ok=True)
    dist = work / "dist"
    if not dist.is_dir():
        _run(
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-binary",
            ":all:",
            "--no-deps",
            "packaging",
            "-d",
            dist,
        )
    sources = work / "src"
    if not sources.is_dir():
        archive = next(dist.glob("packaging-*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(sources, filter="data")
    suite = next(p for p in sources.iterdir() if p.is_dir() and p.name.startswith("packaging-"))
    for name in ("plain", "qs"):
        venv = work / f"venv-{name}"
        if not (venv / "bin" / "python").exists():
            _run(sys.executable, "-m", "venv", venv)
            _run(venv / "bin" / "pip", "install", "--quiet", *TEST_DEPS, suite)
    qs = work / "venv-qs" / "bin" / "python"
    if subprocess.run([qs, "-c", "import qualscale"], capture_output=True).returncode:
        _run(qs, "-m", "pip", "install", "--quiet", "-e", HERE)
    (work / "delivery.yaml").write_text(DELIVERY, encoding="utf-8")
    return suite


#: A pytest plugin (loaded with -p, so before the entry points) that times the import
#: of the plugin module - pytest then finds it imported - and adds up the time spent
#: inside qualscale's hook implementations (from pytest_configure on: pytest_addoption
#: runs before it can wrap it), both as wall time and as CPU time, and prints them.
TIMER = """\
import atexit, sys, time

CLOCKS = (time.perf_counter, time.process_time)
start = [clock() for clock in CLOCKS]
import _qualscale_pytestplugin
imported = [clock() - begun for clock, begun in zip(CLOCKS, start)]
spent = [0.0, 0.0]
calls = [0]


def _timed(function):
    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - wall
            spent[1] += time.process_time() - cpu
            calls[0] += 1
    return wrapper


# The wrapper's own cost per call (four clock reads and three sums), measured here on a
# function that does nothing, is taken off: a hook that runs 38,000 times would
# otherwise be charged for the measuring.
def _nothing():
    pass


_probe = _timed(_nothing)
_begun = [clock() for clock in CLOCKS]
for _ in range(100_000):
    _probe()
_per_call = [(clock() - begun) / 100_000 for clock, begun in zip(CLOCKS, _begun)]
spent[:] = [0.0, 0.0]
calls[0] = 0


def pytest_plugin_registered(plugin, manager):
    if manager.get_name(plugin) not in ("qualscale", "qualscale-active"):
        return
    for caller in manager.get_hookcallers(plugin) or ():
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin:
                impl.function = _timed(impl.function)


def _report():
    own = [max(0.0, total - calls[0] * each) for total, each in zip(spent, _per_call)]
    figures = (imported[0], own[0], imported[1], own[1])
    print("qualscale-time", *(f"{figure:.6f}" for figure in figures), file=sys.stderr)


atexit.register(_report)
"""


class Own(NamedTuple):
    """The plugin's own time in one run, in seconds, and the run's."""

    imports: float
    hooks: float
    imports_cpu: float
    hooks_cpu: float
    wall: float
    cpu: float


def own_time(command: Sequence[str], cwd: Path, work: Path) -> Own:
    """Time spent importing qualscale and inside its hooks during one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run(
        [*command, "-p", "qualscale_timer"],
        cwd=cwd,
        env={**ENV, "PYTHONPATH": str(work)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    for line in run.stderr.splitlines():
        if line.startswith("qualscale-time "):
            imports, hooks, imports_cpu, hooks_cpu = (float(x) for x in line.split()[1:5])
            return Own(imports, hooks, imports_cpu, hooks_cpu, wall, cpu)
    raise RuntimeError(f"no timing from {command}:\n{run.stderr}")


def configurations(work: Path, tests: Sequence[str]) -> dict[str, list[str]]:
    """The command of each configuration."""
    plain = [str(work / "venv-plain" / "bin" / "python"), "-m", "pytest", *tests]
    qs = [str(work / "venv-qs" / "bin" / "python"), "-m", "pytest", *tests]
    active = [*qs, f"--qualscale-delivery={work / 'delivery.yaml'}"]
    return {
        "not installed": plain,
        "installed, idle": qs,
        "blocked": [*qs, "-p", "no:qualscale"],
        "active": active,
        "active, select, report": [
            *active,
            "--qualscale-select",
            f"--qualscale-report={work / 'report.md'}",
        ],
    }


def timed(command: Sequence[str], cwd: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(
    commands: dict[str, list[str]], cwd: Path, rounds: int
) -> dict[str, dict[str, list[float]]]:
    """Run every command once to warm up, then ``rounds`` times, alternating."""
    for command in commands.values():
        timed(command, cwd)
    results: dict[str, dict[str, list[float]]] = {n: {"wall": [], "cpu": []} for n in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            wall, cpu = timed(command, cwd)
            results[name]["wall"].append(wall)
            results[name]["cpu"].append(cpu)
    return results


def report(title: str, results: dict[str, dict[str, list[float]]]) -> None:
    """Print the medians, and their difference to the first configuration."""
    base = {kind: statistics.median(results["not installed"][kind]) for kind in ("wall", "cpu")}
    print(f"\n{title}")
    print(f"{'configuration':24} {'wall (median)':>22} {'CPU (median)':>22}")
    for name, values in results.items():
        cells = []
        for kind in ("wall", "cpu"):
            median = statistics.median(values[kind])
            delta = median - base[kind]
            cells.append(f"{median:7.3f} s {delta:+7.3f} ({100 * delta / base[kind]:+5.1f}%)")
        print(f"{name:24} {cells[0]:>22} {cells[1]:>22}")


def main(argv: Sequence[str] | None = None) -> None:
    """Prepare, measure both suites, print and save the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="where to download and build (kept)")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (default 5)")
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per configuration for the own time (default 3)"
    )
    parser.add_argument(
        "--own-only", action="store_true", help="measure only the plugin's own time"
    )
    args = parser.parse_args(argv)
    work = (args.workdir or Path(tempfile.mkdtemp(prefix="qualscale-bench-"))).resolve()
    suite = prepare(work)
    common = ["-q", "-p", "no:cacheprovider"]
    suites = {
        "suite": [*common, "--ignore=tests/test_version.py"],
        "startup": [*common, "tests/test_errors.py"],
    }
    versions = subprocess.run(
        [work / "venv-qs" / "bin" / "python", "-m", "pytest", "--version"],
        capture_output=True,
        text=True,
    )
    print(f"{suite.name}, {versions.stdout.strip()}, {args.rounds} rounds, workdir {work}")
    saved: dict[str, object] = {}
    for name, tests in {} if args.own_only else suites.items():
        commands = configurations(work, tests)
        results = measure(commands, suite, args.rounds)
        report(f"{name}: pytest {' '.join(tests)}", results)
        saved[name] = {"commands": commands, "results": results}
    saved |= own_times(work, suite, suites["suite"], args.runs)
    (work / "results.json").write_text(json.dumps(saved, indent=2), encoding="utf-8")
    print(f"\nall runs: {work / 'results.json'}")


def own_times(work: Path, suite: Path, tests: list[str], runs: int) -> dict[str, object]:
    """Measure and print the plugin's own time in the full suite, per configuration.

    It does not depend on the machine's load the way a whole session's time does. The
    shares are of the same run's wall time and CPU time (the medians of the runs').
    """
    (work / "qualscale_timer.py").write_text(TIMER, encoding="utf-8")
    commands = configurations(work, tests)
    print(f"\nthe plugin's own time in the suite (median of {runs} runs)")
    print(
        f"{'configuration':24} {'import':>8} {'hooks':>8} {'own':>8} {'session':>8}"
        f" {'share':>7} {'own CPU':>8} {'session':>8} {'share':>7}"
    )
    saved: dict[str, object] = {}
    for label in ("installed, idle", "active", "active, select, report"):
        figures = [own_time(commands[label], suite, work) for _ in range(runs)]
        saved[f"own: {label}"] = [f._asdict() for f in figures]

        def median(value: Callable[[Own], float], of: list[Own] = figures) -> float:
            return statistics.median(value(f) for f in of)

        print(
            f"{label:24} {median(lambda f: f.imports):7.3f}s {median(lambda f: f.hooks):7.3f}s"
            f" {median(lambda f: f.imports + f.hooks):7.3f}s {median(lambda f: f.wall):7.2f}s"
            f" {median(lambda f: 100 * (f.imports + f.hooks) / f.wall):6.2f}%"
            f" {median(lambda f: f.imports_cpu + f.hooks_cpu):7.3f}s"
            f" {median(lambda f: f.cpu):7.2f}s"
            f" {median(lambda f: 100 * (f.imports_cpu + f.hooks_cpu) / f.cpu):6.2f}%"
        )
    return saved


if __name__ == "__main__":
    main()
