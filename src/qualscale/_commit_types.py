"""What a commit subject says: its Conventional Commits type and whether it breaks things.

Pure: strings in, strings out. :mod:`qualscale.git` uses it for every commit it reads
and re-exports the public names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

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

_TYPE_ALIASES = {
    "feat": "feature",
    "feature": "feature",
    "fix": "bugfix",
    "bugfix": "bugfix",
    "revert": "bugfix",
    "hotfix": "hotfix",
    "docs": "docs",
    "doc": "docs",
    "refactor": "refactor",
    "perf": "refactor",
    "style": "refactor",
    "test": "refactor",
    "tests": "refactor",
    "chore": "config",
    "build": "config",
    "ci": "config",
    "config": "config",
    "migration": "data-migration",
    "migrations": "data-migration",
    "migrate": "data-migration",
    "data-migration": "data-migration",
    "release": "release",
}
_HEADER = re.compile(
    r"""^\s*
    (?:(?:fixup|squash|amend)!\s+)*      # autosquash prefixes keep the original subject
    (?:\[[^\]]*\]\s*)*                   # leading tags such as [PROJ-12]
    (?P<type>[A-Za-z][\w-]*)
    (?:\((?P<scope>[^()]*)\))?
    (?P<bang>!)?
    \s*:""",
    re.VERBOSE,
)
_GIT_REVERT = re.compile(r'^\s*Revert "')
_BREAKING = re.compile(r"\bBREAKING[ -]CHANGE\b")


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
    if _GIT_REVERT.match(subject):
        return "bugfix"
    header = _HEADER.match(subject)
    if header is None:
        return None
    return _TYPE_ALIASES.get(header["type"].lower())


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
    header = _HEADER.match(subject)
    if header is not None and header["bang"]:
        return True
    return bool(_BREAKING.search(subject) or _BREAKING.search(body))
