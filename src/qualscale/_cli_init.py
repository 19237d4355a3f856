"""``qualscale init``: a starter overlay for a repository, checked before it is written."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from qualscale._cli_base import Command, emit, err, output_option
from qualscale.loading import load_scale
from qualscale.scale import Scale

DESCRIPTION = """\
Write a starter overlay for a git repository: the base scale (default: generic), plus
a component for each source package and for each folder whose files no component of
the base takes, every guess with a comment. The overlay is loaded and checked before
it is written; to standard output without -o."""


def _arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--repo", metavar="DIR", default=".", help="the git repository (default: .)")
    sub.add_argument(
        "--base",
        metavar="NAME|PATH",
        default="generic",
        help="the scale the overlay extends (default: generic)",
    )
    output_option(sub)


def _run(args: argparse.Namespace) -> int:
    from qualscale._init_overlay import starter_overlay
    from qualscale._mapping import map_paths
    from qualscale._repo_files import tracked_files

    files = tracked_files(args.repo)
    scale = load_scale(args.base)
    base = args.base
    if os.sep in base or "/" in base or base.endswith((".yaml", ".yml", ".json")):
        base = str(Path(base).resolve())  # the overlay may be written anywhere
    name = Path(args.repo).resolve().name.removesuffix(".git") or "project"
    text = starter_overlay(base, scale, files, name)
    overlay = _check(text)
    unmapped = len(map_paths(overlay.rules, files).unmapped)
    share = 100 * unmapped / len(files) if files else 0.0
    err(f"qualscale: {len(files)} tracked files, {unmapped} unmapped ({share:.1f} %)")
    return emit(text, args.output)


def _check(text: str) -> Scale:
    """The overlay loaded; a ScaleError would be a bug of init (the text is ours)."""
    with tempfile.TemporaryDirectory(prefix="qualscale-init-") as folder:
        path = Path(folder) / "overlay.yaml"
        path.write_text(text, encoding="utf-8")
        return load_scale(path)


COMMANDS = (
    Command(
        "init",
        _run,
        "Write a starter overlay for a repository, a comment on every guess.",
        _arguments,
        description=DESCRIPTION,
    ),
)
