"""Time ``qualscale verify`` on a generated JUnit file against parsing it alone with defusedxml.

Usage::

    python benchmarks/bench_verify.py [--cases N] [--runs N]

Writes a JUnit XML file of N test cases (default 10,000; kinds and depths as the pytest
plugin writes them, a few failures and skips), then, in this one process, alternates N
runs (default 7) of ``defusedxml.ElementTree.parse`` of the file with N runs of
``qualscale.cli.main(["verify", DELIVERY, "--junit", FILE, ...])``, and prints the
medians and their ratio: what judging costs on top of reading the XML.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DELIVERY = ROOT / "examples" / "gate-review" / "delivery.yaml"
KINDS = [
    ("unit", "changed-lines"),
    ("integration", "contract"),
    ("regression", "smoke"),
    ("security", "static"),
    ("performance", None),
]


def junit(cases: int) -> str:
    """A JUnit XML document of ``cases`` test cases, one suite per hundred."""
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="bench">']
    for start in range(0, cases, 100):
        out.append(f'<testsuite name="suite{start}" tests="{min(100, cases - start)}">')
        for i in range(start, min(start + 100, cases)):
            kind, depth = KINDS[i % len(KINDS)]
            props = f'<property name="qualscale_kind" value="{kind}"/>'
            if depth:
                props += f'<property name="qualscale_depth" value="{depth}"/>'
            body = f"<properties>{props}</properties>"
            if i % 997 == 0:
                body += '<skipped message="not here"/>'
            out.append(
                f'<testcase classname="tests.{kind}.test_m{i // 50}" name="test_{i}" '
                f'time="0.001">{body}</testcase>'
            )
        out.append("</testsuite>")
    out.append("</testsuites>\n")
    return "\n".join(out)


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> None:
    """Generate the file, time both N times, alternating, and print the medians and ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="test cases (default 10000)")
    parser.add_argument("--runs", type=int, default=7, help="runs of each (default 7)")
    args = parser.parse_args(argv)

    import defusedxml.ElementTree as DET

    from qualscale import cli

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "junit.xml"
        path.write_text(junit(args.cases), encoding="utf-8")
        argv_verify = ["verify", str(DELIVERY), "--junit", str(path), "--environment", "ci"]

        def verify() -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                code = cli.main(argv_verify)
            assert code in (0, 1), code

        verify()  # warm up: imports, scale loading caches
        parse_times, verify_times = [], []
        for _ in range(args.runs):
            parse_times.append(_timed(lambda: DET.parse(str(path))))
            verify_times.append(_timed(verify))
        size = path.stat().st_size
    parse_s, verify_s = statistics.median(parse_times), statistics.median(verify_times)
    print(f"JUnit file: {args.cases} test cases, {size / 1e6:.1f} MB; {args.runs} runs each")
    print(f"defusedxml parse alone: median {parse_s * 1000:.0f} ms")
    print(f"qualscale verify:       median {verify_s * 1000:.0f} ms")
    print(f"ratio verify / parse:   {verify_s / parse_s:.2f}")


if __name__ == "__main__":
    main()
