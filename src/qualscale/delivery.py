"""Deliveries (what changes) and the project's history of past deliveries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

import attrs

from qualscale._globs import normal_path
from qualscale._validators import (
    DATE,
    iso_date,
    json_data,
    metrics,
    nonempty,
    nonneg,
    one_of,
    relative_paths,
    strings,
)
from qualscale.errors import DeliveryError

__all__ = [
    "DELIVERY_TYPES",
    "Changes",
    "Delivery",
    "DeliveryType",
    "History",
    "PastDelivery",
    "PathChange",
]

DeliveryType = Literal[
    "feature", "bugfix", "hotfix", "refactor", "config", "docs", "data-migration", "release"
]
#: Every delivery type, in the order the docs list them.
DELIVERY_TYPES: tuple[DeliveryType, ...] = get_args(DeliveryType)


@attrs.frozen
class PathChange:
    """The lines one changed path adds and removes."""

    added: int = attrs.field(default=0, validator=nonneg)
    removed: int = attrs.field(default=0, validator=nonneg)

    @property
    def lines(self) -> int:
        """Lines added plus removed."""
        return self.added + self.removed


@attrs.frozen
class Changes:
    """Size figures of a delivery; ``None`` means unknown (classified conservatively).

    ``by_path`` gives the lines of each path (a binary file has none); with it, the
    line figure leaves out the lines of content the scale does not count toward size
    (tests and docs by default). The totals stay the figures of the whole delivery.
    """

    lines_added: int | None = attrs.field(default=None, validator=nonneg)
    lines_removed: int | None = attrs.field(default=None, validator=nonneg)
    files: int | None = attrs.field(default=None, validator=nonneg)
    by_path: Mapping[str, PathChange] = attrs.field(factory=dict, hash=False)

    @property
    def lines(self) -> int | None:
        """Lines added plus removed, or ``None`` unless both are known.

        One of them alone is only a lower bound: a missing figure is never read as zero.
        """
        if self.lines_added is None or self.lines_removed is None:
            return None
        return self.lines_added + self.lines_removed


def _paths(values: Sequence[str]) -> tuple[str, ...] | str:
    # Normal forms, so docs/../src/a.py is matched as src; a path that climbs above
    # the root is left as written for the validator to refuse, located.
    if isinstance(values, str):
        return values
    out = []
    for value in values:
        try:
            out.append(normal_path(value) if isinstance(value, str) else value)
        except ValueError:
            out.append(value)
    return _unique(out)


def _unique(values: Sequence[str]) -> tuple[str, ...] | str:
    # The user's order is kept (errors then point at the right list item);
    # repeats are dropped. A bare string is left for the validator to refuse:
    # spelt out, "money" would become the flags m, o, n, e, y.
    if isinstance(values, str):
        return values
    return tuple(dict.fromkeys(values))


@attrs.frozen
class Delivery:
    """One delivery: a commit, a merge request or a release.

    Attributes:
        id: Required; names the delivery in plans and history.
        title: A one-line description.
        type: The change type; ``None`` when unknown (classified conservatively).
        changes: Size figures.
        paths: Changed paths, mapped to components by the scale.
        components: Components named directly (added to those found from paths).
        flags: Risk flags such as ``money`` or ``schema-change``.
        project: The project it belongs to; history rules look at its past deliveries.
        source: Free-form facts about where the delivery came from (git range, ...).
        author: Who made it (an independent activity cannot be signed by them).
        date: When it was made or merged, ISO 8601; history rules see only what
            happened before it.
        metrics: Named change metrics (``la``, ``nf``, ``exp``, ...), numbers that
            a scale's conditions can test.
        breaking: Whether it breaks compatibility (a commit marked ``feat!:`` or
            ``BREAKING CHANGE``); a modifier's ``when: {breaking: true}`` tests it.
    """

    id: str = attrs.field(validator=nonempty)
    title: str = ""
    type: DeliveryType | None = attrs.field(default=None, validator=one_of(DELIVERY_TYPES))
    changes: Changes = Changes()
    paths: tuple[str, ...] = attrs.field(default=(), converter=_paths, validator=relative_paths)
    components: tuple[str, ...] = attrs.field(default=(), converter=_unique, validator=strings)
    flags: tuple[str, ...] = attrs.field(default=(), converter=_unique, validator=strings)
    project: str | None = None
    source: Mapping[str, Any] = attrs.field(factory=dict, hash=False, validator=json_data)
    author: str | None = None
    date: str | None = attrs.field(default=None, validator=iso_date, metadata={DATE: True})
    metrics: Mapping[str, float] = attrs.field(factory=dict, hash=False, validator=metrics)
    breaking: bool = False

    @property
    def files(self) -> int | None:
        """Files touched: ``changes.files``, else the number of paths, else ``None``."""
        if self.changes.files is not None:
            return self.changes.files
        return len(self.paths) if self.paths else None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | None = None) -> Delivery:
        """Build a delivery from plain data (the delivery file format).

        Raises:
            DeliveryError: naming the key path of every problem.
        """
        from qualscale._convert import structure_located

        return structure_located(data, cls, DeliveryError, file=file)

    def to_dict(self) -> dict[str, Any]:
        """The delivery as plain data; :meth:`from_dict` reads it back."""
        from qualscale._convert import unstructure

        return unstructure(self)


@attrs.frozen
class PastDelivery:
    """A delivery of the past, with the standard applied and how it went."""

    id: str = attrs.field(validator=nonempty)
    project: str | None = None
    standard: str | None = None
    escaped_defects: int = attrs.field(default=0, validator=nonneg)
    incidents: int = attrs.field(default=0, validator=nonneg)
    date: str | None = attrs.field(default=None, validator=iso_date, metadata={DATE: True})


@attrs.frozen
class History:
    """The project's past deliveries, oldest first."""

    deliveries: tuple[PastDelivery, ...] = ()

    def recent(self, window: int, project: str | None = None) -> tuple[PastDelivery, ...]:
        """The last ``window`` deliveries, of ``project`` only when one is given."""
        items = [d for d in self.deliveries if project is None or d.project == project]
        return tuple(items[-window:]) if window > 0 else ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | None = None) -> History:
        """Build a history from ``{"deliveries": [...]}``.

        Raises:
            DeliveryError: naming the key path of every problem.
        """
        from qualscale._convert import structure_located

        return structure_located(data, cls, DeliveryError, file=file)

    def to_dict(self) -> dict[str, Any]:
        """The history as plain data."""
        from qualscale._convert import unstructure

        return unstructure(self)


def __dir__() -> list[str]:
    return list(__all__)
