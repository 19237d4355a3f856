"""Hypothesis strategies for property-testing your own scale.

Requires ``hypothesis`` (a test dependency, not a runtime one)::

    from hypothesis import given
    from qualscale import load_scale, plan
    from qualscale.strategies import deliveries

    SCALE = load_scale("my-scale.yaml")

    @given(deliveries(SCALE))
    def test_every_delivery_is_tested(delivery):
        assert plan(delivery, SCALE).by_obligation("required")
"""

from __future__ import annotations

import attrs
from hypothesis import strategies as st

from qualscale.delivery import (
    DELIVERY_TYPES,
    Changes,
    Delivery,
    History,
    PastDelivery,
    PathChange,
)
from qualscale.scale import Scale

__all__ = ["changes", "deliveries", "histories", "past_deliveries", "paths"]

_SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8)
# Real commit sizes are heavy-tailed: mostly a few lines, sometimes thousands.
_LINES = st.one_of(st.integers(0, 60), st.integers(0, 5000), st.just(0))


def changes(*, unknown: bool = True) -> st.SearchStrategy[Changes]:
    """Size figures; with ``unknown``, some figures are missing (``None``)."""
    figure = st.one_of(st.none(), _LINES) if unknown else _LINES
    files = st.one_of(st.none(), st.integers(0, 120)) if unknown else st.integers(0, 120)
    return st.builds(Changes, lines_added=figure, lines_removed=figure, files=files)


def paths(scale: Scale | None = None) -> st.SearchStrategy[str]:
    """Changed paths: under the folders a scale's component globs name, or anywhere."""
    roots: list[str] = ["src", "docs", "tests", "lib"]
    if scale is not None:
        for comp in scale.rules.components:
            for glob in comp.paths:
                head = glob.split("*", 1)[0].rstrip("/")
                if head:
                    roots.append(head)
    names = st.builds(
        lambda stem, ext: f"{stem}{ext}",
        _SEGMENT,
        st.sampled_from([".py", ".md", ".sql", ".yaml", ".csv", ".ts", ""]),
    )
    return st.builds(
        lambda root, middle, name: "/".join([root, *middle, name]),
        st.sampled_from(sorted(set(roots))),
        st.lists(_SEGMENT, max_size=2),
        names,
    )


def deliveries(scale: Scale | None = None) -> st.SearchStrategy[Delivery]:
    """Deliveries that ``scale`` can classify: its flags and components only.

    Without a scale, flags and components are left empty.
    """
    flags: list[str] = sorted(scale.rules.risk.flags) if scale else []
    components: list[str] = [c.id for c in scale.rules.components] if scale else []
    return st.builds(
        Delivery,
        id=st.from_regex(r"\A[A-Z]{2,4}-[0-9]{1,5}\Z"),
        title=st.text(max_size=40),
        type=st.one_of(st.none(), st.sampled_from(DELIVERY_TYPES)),
        changes=changes(),
        paths=st.lists(paths(scale), max_size=6).map(tuple),
    ).flatmap(lambda d: _with_lines_per_path(d, flags, components))


def _with_lines_per_path(
    delivery: Delivery, flags: list[str], components: list[str]
) -> st.SearchStrategy[Delivery]:
    """``delivery`` with lines for some of its paths, and its flags, components, project,
    and whether it breaks compatibility."""
    per_path = st.builds(PathChange, added=_LINES, removed=_LINES)
    by_path = st.fixed_dictionaries({}, optional=dict.fromkeys(delivery.paths, per_path))
    return st.builds(
        lambda lines, **rest: attrs.evolve(
            delivery, changes=attrs.evolve(delivery.changes, by_path=lines), **rest
        ),
        by_path,
        components=st.lists(st.sampled_from(components), max_size=3).map(tuple)
        if components
        else st.just(()),
        flags=st.lists(st.sampled_from(flags), max_size=3).map(tuple) if flags else st.just(()),
        project=st.one_of(st.none(), st.sampled_from(["billing-core", "self-care"])),
        breaking=st.booleans(),
    )


def past_deliveries(scale: Scale | None = None) -> st.SearchStrategy[PastDelivery]:
    """Past deliveries with their outcome (escaped defects, incidents)."""
    standards = [s.id for s in scale.standards] if scale else ["S1"]
    return st.builds(
        PastDelivery,
        id=st.from_regex(r"\A[A-Z]{2,4}-[0-9]{1,5}\Z"),
        project=st.one_of(st.none(), st.sampled_from(["billing-core", "self-care"])),
        standard=st.one_of(st.none(), st.sampled_from(standards)),
        escaped_defects=st.integers(0, 4),
        incidents=st.integers(0, 2),
    )


def histories(scale: Scale | None = None) -> st.SearchStrategy[History]:
    """Histories of up to 12 past deliveries, oldest first."""
    return st.lists(past_deliveries(scale), max_size=12).map(
        lambda items: History(deliveries=tuple(items))
    )


def __dir__() -> list[str]:
    return list(__all__)
