"""``qualscale map``: each path's component and glob, unmapped paths, unused globs."""

from __future__ import annotations

import argparse
import json

from qualscale._cli_base import Command, emit, output_option
from qualscale._mapping import PathMap, map_paths
from qualscale._text import count, one_line, table
from qualscale.errors import GitError
from qualscale.loading import load_scale
from qualscale.scale import Scale

DESCRIPTION = """\
Show which component of the scale each path falls into and which glob took it, every
path no component takes, and the globs that match no file the repository tracks.
Components are tried in match order: higher priority first, then as the scale lists
them - as classify does."""


def _arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "paths", nargs="*", metavar="PATH", help="paths to map (relative to the repository)"
    )
    which = sub.add_mutually_exclusive_group()
    which.add_argument("--git", metavar="RANGE", help="map the paths changed in REV or BASE..HEAD")
    which.add_argument(
        "--all-files", action="store_true", help="map every file the repository tracks"
    )
    sub.add_argument("--repo", metavar="DIR", default=".", help="the git repository (default: .)")
    sub.add_argument(
        "--scale",
        metavar="NAME|PATH",
        help="a bundled scale name or a scale file (default: billing-saas)",
    )
    sub.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    output_option(sub)


def _run(args: argparse.Namespace) -> int:
    chosen = sum((bool(args.paths), args.git is not None, args.all_files))
    if chosen != 1:
        args.parser.error("give exactly one of --git RANGE, --all-files or PATH...")
    scale = load_scale(args.scale)
    from qualscale._repo_files import tracked_files

    try:
        files: list[str] | None = tracked_files(args.repo)
    except GitError:
        if not args.paths:
            raise
        files = None  # paths given outside a repository: no globs to check
    if args.git is not None:
        from qualscale.git import read_git_delivery

        found = read_git_delivery(args.git, args.repo)["paths"]
        paths = list(found) if isinstance(found, list) else []
    else:
        paths = list(files or []) if args.all_files else list(args.paths)
    mapped = map_paths(scale.rules, paths, files)
    text = _json(scale, mapped) if args.format == "json" else _text(mapped)
    return emit(text, args.output)


def _json(scale: Scale, mapped: PathMap) -> str:
    data = {
        "scale": {"name": scale.name, "version": scale.version},
        "summary": _summary(mapped),
        "paths": [m.to_dict() for m in mapped.matches],
        "unmapped": list(mapped.unmapped),
        "unused_globs": None
        if mapped.unused is None
        else [{"component": c, "glob": g} for c, g in mapped.unused],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _summary(mapped: PathMap) -> dict[str, int]:
    total, unmapped = len(mapped.matches), len(mapped.unmapped)
    return {"paths": total, "mapped": total - unmapped, "unmapped": unmapped}


def _columns(rows: list[list[str]]) -> str:
    """Rows aligned in columns, never wrapped: one path a line, however long."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) for row in rows]
    return "\n".join(f"{line}  {row[-1]}".rstrip() for line, row in zip(lines, rows, strict=True))


def _text(mapped: PathMap) -> str:
    rows = [["path", "component", "glob"]]
    rows += [[one_line(m.path), m.component or "(unmapped)", m.glob or "-"] for m in mapped.matches]
    summary = _summary(mapped)
    share = 100 * summary["unmapped"] / summary["paths"] if summary["paths"] else 0.0
    parts = [
        _columns(rows),
        f"{count(summary['paths'], 'path')}: {summary['mapped']} mapped, "
        f"{summary['unmapped']} unmapped ({share:.1f} %)",
    ]
    if mapped.unmapped:
        parts.append(f"UNMAPPED ({len(mapped.unmapped)})\n" + table([[p] for p in mapped.unmapped]))
    if mapped.unused is None:
        parts.append("globs not checked: not a git repository")
    elif mapped.unused:
        head = f"GLOBS MATCHING NO FILE OF THE REPOSITORY ({len(mapped.unused)})"
        parts.append(head + "\n" + table([["component", "glob"], *mapped.unused]))
    else:
        parts.append("every glob matches a file of the repository")
    return "\n".join(p.rstrip("\n") + "\n" for p in parts)


COMMANDS = (
    Command(
        "map",
        _run,
        "Show each path's component and glob, unmapped paths and globs matching nothing.",
        _arguments,
        description=DESCRIPTION,
    ),
)
