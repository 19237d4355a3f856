"""Documents that remember where every value was written.

The YAML reader builds these; the structuring layer reads them back to put a
file and line on every problem it finds. Plain data: nothing here reads a file.
"""

from __future__ import annotations

from typing import Any

from qualscale.errors import KeyPath

__all__ = ["Loc", "LocDict", "LocList", "local_path", "locate"]

#: A file (``None`` for data given in memory) and a 1-based line.
Loc = tuple[str | None, int | None]


class LocDict(dict[str, Any]):
    """A dict that knows where it and each of its values were written."""

    def __init__(self, where: Loc) -> None:
        super().__init__()
        self.where = where
        self.locs: dict[str, Loc] = {}

    def put(self, key: str, value: Any, where: Loc) -> None:
        """Set ``key`` and remember where it was written."""
        self[key] = value
        self.locs[key] = where


class LocList(list[Any]):
    """A list that knows where it and each of its items were written."""

    def __init__(self, where: Loc) -> None:
        super().__init__()
        self.where = where
        self.locs: list[Loc] = []
        #: For a list merged from several files (``extends``): each item's index in
        #: every file it was written in; ``None`` for a list from one file.
        self.indices: list[dict[str | None, int]] | None = None

    def put(self, value: Any, where: Loc) -> None:
        """Append ``value`` and remember where it was written."""
        self.append(value)
        self.locs.append(where)


def locate(root: Any, path: KeyPath) -> Loc:
    """Where the value at ``path`` (or its closest existing parent) was written."""
    where: Loc = getattr(root, "where", (None, None))
    node = root
    for step in path:
        if isinstance(node, LocDict) and isinstance(step, str) and step in node:
            where = node.locs[step]
            node = node[step]
        elif isinstance(node, LocList) and isinstance(step, int) and 0 <= step < len(node):
            where = node.locs[step]
            node = node[step]
        else:
            break
    return where


def local_path(root: Any, path: KeyPath, file: str | None) -> KeyPath:
    """``path`` into merged data, with each list index as it is written in ``file``.

    An overlay's third component may be the merged list's tenth: a problem in it is
    shown at the index the overlay's author sees.
    """
    node = root
    out: list[str | int] = []
    for step in path:
        if isinstance(node, LocDict) and isinstance(step, str) and step in node:
            node = node[step]
        elif isinstance(node, LocList) and isinstance(step, int) and 0 <= step < len(node):
            node, step = (
                node[step],
                step if node.indices is None else node.indices[step].get(file, step),
            )
        else:
            out.extend(path[len(out) :])
            break
        out.append(step)
    return tuple(out)
