"""What the plugin's front door and the rest of the plugin share: names and small helpers.

Only pytest and the standard library: this is imported in every pytest session.
"""

from __future__ import annotations

from typing import Final

import pytest

__all__ = [
    "DEFAULT_KINDS",
    "KIND_MARKER",
    "SELECT_MODES",
    "WORKER_PLAN",
    "ini_value",
    "marker_name",
    "register_kind_markers",
]

#: The kinds of the default scale, whose markers a configured project gets even while
#: the plugin is idle (a test keeps this list and the bundled scale in step).
DEFAULT_KINDS: Final = (
    "unit",
    "integration",
    "regression",
    "performance",
    "security",
    "acceptance",
    "data-validation",
)

#: The marker that names a test's kind, and the user property every test report
#: carries when the plugin is active (so the kind reaches xdist's controller and JUnit XML).
KIND_MARKER: Final = "qualscale_kind"

#: What ``--qualscale-select`` deselects: the kinds the plan calls ``discouraged`` (the
#: default), or every kind it neither requires nor recommends (``strict``).
SELECT_MODES: Final = ("discouraged", "strict")

#: The key of the plan an xdist controller hands to its workers.
WORKER_PLAN: Final = "qualscale_plan"


def marker_name(kind: str) -> str:
    """The marker that gives a test the kind ``kind``: ``data-validation`` -> ``data_validation``.

    Marker names are Python identifiers, so ``-`` and ``.`` become ``_``.
    """
    return kind.replace("-", "_").replace(".", "_")


def register_kind_markers(config: pytest.Config, kinds: tuple[str, ...]) -> None:
    """Declare the markers of ``kinds`` (for ``--strict-markers`` and ``pytest --markers``)."""
    for kind in kinds:
        config.addinivalue_line(
            "markers", f"{marker_name(kind)}: a test of the kind {kind!r} (qualscale)"
        )


def ini_value(config: pytest.Config, key: str) -> object:
    """The value of the ini key ``key``; a bad value is a usage error naming it."""
    try:
        return config.getini(key)
    except (ValueError, pytest.UsageError) as exc:  # a bad boolean; pytest does not name it
        raise pytest.UsageError(f"{key} (in {config.inipath}): {exc}") from None
