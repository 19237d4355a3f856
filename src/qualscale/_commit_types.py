"""What a commit subject says: its Conventional Commits type and whether it breaks things.

Pure: strings in, strings out. :mod:`qualscale.git` uses it for every commit it reads
and re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from qualscale._commit_rules import (
    DEFAULT_TYPES,
    CommitRules,
    CommitText,
    read_commits,
    type_token,
)

if TYPE_CHECKING:
    from qualscale.scale import Scale

__all__ = ["RISK_ORDER", "guess_type", "is_breaking", "riskiest_type"]

#: Delivery types from lowest to highest risk, for ranges read without a scale and to
#: break ties between types a scale puts in the same risk class: a range takes the
#: riskiest type of its commits.
RISK_ORDER: tuple[str, ...] = (
    "docs",
    "config",
    "refactor",
    "feature",
    "bugfix",
    "release",
    "data-migration",
    "hotfix",
)

_TYPE_ALIASES = DEFAULT_TYPES


_DEFAULTS = CommitRules(patterns=())


def guess_type(subject: str) -> str | None:
    """Guess the delivery type from one commit subject, or ``None`` when it names none.

    Only the Conventional Commits type token counts, never the scope or a branch name:
    ``refactor(migrate-to-pathlib):`` is a refactor, ``fix(migration-guide):`` a bugfix,
    and ``Merge pull request #7 from someone/hotfix/token`` names no type (a merge is
    read from the subjects of the commits it brings in). By type:
    ``feat``/``feature`` -> feature; ``fix``/``bugfix``/``revert`` and git's
    ``Revert "..."`` -> bugfix; ``hotfix`` -> hotfix;
    ``migration``/``migrate``/``data-migration`` -> data-migration; ``release`` -> release;
    ``refactor``/``perf``/``style``/``test``/``tests`` -> refactor;
    ``chore``/``build``/``ci``/``config`` -> config; ``docs``/``doc`` -> docs; anything
    else (``Update README``, ``Merge branch 'x'``, ``wip:``) -> ``None``.

    Types are matched case-insensitively, with or without a scope and ``!``; leading
    ``[TAG]`` and ``fixup!``/``squash!`` prefixes are skipped. A test change maps to
    ``refactor``: it changes code but not the shipped behaviour. A revert maps to
    ``bugfix``: it changes behaviour back, usually to fix something.
    """
    reading = read_commits([CommitText("", subject)], _DEFAULTS, (), lambda ts: next(iter(ts)))
    return reading.type


def riskiest_type(types: Iterable[str], scale: Scale | None = None) -> str:
    """The riskiest of ``types``: by the scale's risk class of each type, then :data:`RISK_ORDER`.

    A type the scale gives no risk class counts below every class, as it does when
    the delivery is classified.
    """
    if scale is None:
        return max(types, key=RISK_ORDER.index)
    risk = scale.rules.risk
    rank = {risk_class: i for i, risk_class in enumerate(risk.classes)}

    def key(type_: str) -> tuple[int, int]:
        risk_class = risk.types.get(type_)
        return (rank[risk_class] if risk_class is not None else -1, RISK_ORDER.index(type_))

    return max(types, key=key)


def is_breaking(subject: str, body: str = "") -> bool:
    """Whether a commit says it breaks compatibility: ``feat!:`` or ``BREAKING CHANGE``."""
    token = type_token(subject)
    if token is not None and token[1]:
        return True
    return read_commits([CommitText("", subject, body)], _DEFAULTS, (), max).breaking
