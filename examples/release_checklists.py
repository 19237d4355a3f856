"""Write one Markdown checklist per delivery of a release, with the Python API.

    python examples/release_checklists.py examples/deliveries --out checklists \
        --scale examples/project-scale.yaml --history examples/history.yaml

Every ``*.yaml``/``*.yml``/``*.json`` file in the deliveries folder is planned; the
checklist of delivery ``DEL-1187`` goes to ``OUT/DEL-1187.md``, and ``OUT/index.md``
lists every delivery with its standard, highest first. Exit code 2 and one line per
problem on standard error when a file is invalid; nothing is written then.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import qualscale
from qualscale.render import render_plan


def checklists(
    deliveries: Path,
    out: Path,
    scale: str | None = None,
    history: str | None = None,
) -> list[qualscale.TestPlan]:
    """Plan every delivery file in ``deliveries`` and write the checklists into ``out``.

    Returns:
        The plans, highest standard first, then by delivery id.

    Raises:
        qualscale.QualscaleError: an input file is invalid (nothing is written).
    """
    the_scale = qualscale.load_scale(scale)
    the_history = qualscale.load_history(history) if history else None
    files = sorted(p for p in deliveries.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    plans = [qualscale.plan(qualscale.load_delivery(f), the_scale, the_history) for f in files]
    plans.sort(key=lambda p: (-p.standard.rank, p.delivery.id))

    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for p in plans:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", p.delivery.id) + ".md"
        (out / name).write_text(render_plan(p, the_scale, "markdown"), encoding="utf-8")
        required = ", ".join(p.required_kinds)
        rows.append(
            f"| [{p.delivery.id}]({name}) | {p.standard.id} | {p.size} | {p.risk} | {required} |"
        )
    index = [
        f"# Release checklists ({the_scale.name} {the_scale.version})",
        "",
        "| delivery | standard | size | risk | required |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]
    (out / "index.md").write_text("\n".join(index), encoding="utf-8")
    return plans


def main(argv: Sequence[str] | None = None) -> int:
    """Run the script; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("deliveries", type=Path, help="a folder of delivery files")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write into")
    parser.add_argument("--scale", help="a bundled scale name or a scale file")
    parser.add_argument("--history", help="the project's past deliveries")
    args = parser.parse_args(argv)
    if not args.deliveries.is_dir():
        parser.error(f"{args.deliveries}: not a folder")
    try:
        plans = checklists(args.deliveries, args.out, args.scale, args.history)
    except qualscale.QualscaleError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{len(plans)} checklists written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
