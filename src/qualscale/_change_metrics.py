"""The change metrics a diff alone gives: the part of Kamei et al.'s set a plan can compute.

Pure. :func:`diff_metrics` is the one definition of ``la``, ``ld``, ``nf``, ``nd``,
``ns``, ``entropy`` and ``fix``, shared by ``qualscale plan --git`` (and ``batch
--git-each``) and by ``qualscale history import --git``, so a score that calibration fits
on an imported history means the same when a new delivery is planned. The other metrics
of the set (``lt``, ``ndev``, ``age``, ``nuc``, ``exp``, ``rexp``, ``sexp``) need the
history before the change and come only from ``history import --git`` or the delivery.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from qualscale._commit_types import guess_type

__all__ = ["DIFF_METRICS", "diff_metrics", "entropy", "is_fix"]

#: The metrics :func:`diff_metrics` gives.
DIFF_METRICS = ("la", "ld", "nf", "nd", "ns", "entropy", "fix")

_FIX_WORDS = re.compile(r"\b(?:fix(?:e[sd])?|fixing|bugs?|bugfix|defect)\b", re.IGNORECASE)


def is_fix(subject: str) -> bool:
    """Whether a commit fixes a defect: its type is bugfix or hotfix (``fix:``), or it
    names no type and its subject says fix, fixes, fixed, bug or defect (SZZ's keywords)."""
    kind = guess_type(subject)
    if kind is not None:
        return kind in ("bugfix", "hotfix")
    return bool(_FIX_WORDS.search(subject))


def entropy(files: Sequence[tuple[str, int, int]]) -> float:
    """How evenly the changed lines spread over the files, in bits (0 for one file)."""
    total = sum(a + d for _, a, d in files)
    if total == 0:
        return 0.0
    shares = [(a + d) / total for _, a, d in files if a + d]
    return max(0.0, -sum(p * math.log2(p) for p in shares))


def diff_metrics(
    files: Sequence[tuple[str, int, int]], subjects: Sequence[str]
) -> dict[str, float]:
    """The diff-only metrics of a change: ``(path, added, deleted)`` per file, and the
    subjects of its commits (``fix`` is 1 when any of them fixes a defect)."""
    paths = [p for p, _, _ in files]
    return {
        "la": sum(a for _, a, _ in files),
        "ld": sum(d for _, _, d in files),
        "nf": len(paths),
        "nd": len({p.rpartition("/")[0] for p in paths}),  # git paths always use /
        "ns": len({p.split("/", 1)[0] if "/" in p else "" for p in paths}),
        "entropy": round(entropy(files), 6),
        "fix": int(any(is_fix(s) for s in subjects)),
    }


def __dir__() -> list[str]:
    return list(__all__)
