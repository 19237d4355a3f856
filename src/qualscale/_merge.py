"""How an overlay (``extends``) is laid over its base: merge, remove, replace.

Pure: works on the located data the YAML reader builds, so every merged value keeps
the file and line it was written at, and every merged list item its index in each
file it was written in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qualscale._located import Loc, LocDict, LocList
from qualscale.errors import ScaleError
from qualscale.requirements import parse_cell

__all__ = ["ACTIONS", "MERGE_KEYS", "merge"]


#: The keys by which ``extends`` merges lists item by item, tried in this order.
MERGE_KEYS = ("id", "kind")


def _merge_key(items: list[Any]) -> str | None:
    for key in MERGE_KEYS:
        if items and all(isinstance(i, Mapping) and isinstance(i.get(key), str) for i in items):
            return key
    return None


def merge(base: Any, over: Any, path: tuple[str, ...] = ()) -> Any:
    """Overlay ``over`` on ``base`` (``extends``); ``path`` is where they are in the scale.

    Mappings merge key by key, and a key set to ``null`` removes the base's key (so
    its default applies). Lists of mappings with ``id`` (or ``kind``) merge item by
    item, new items appended; an item ``{id: x, remove: true}`` removes the base's
    item ``x``, an item with ``replace: true`` takes its place whole instead of
    merging into it. Anything else in ``over`` replaces. Two shorthands count as
    the mappings they stand for: a cell of the requirements table (``"required
    static"`` is ``{obligation: required, depth: static}``, so an overlay's ``S3:
    required`` keeps the base's depth and criteria), and a depth written as its bare
    id (``smoke`` is ``{id: smoke}``). Removing a kind also removes its row of the
    requirements table, removing a standard its cells.

    Raises:
        ScaleError: an overlay removes what its base does not have, or says
            ``remove``/``replace`` with a value other than ``true``.
    """
    if isinstance(base, LocDict) and isinstance(over, LocDict):
        cells = len(path) == 2 and path[0] == "requirements"
        out = LocDict(over.where)
        for key, value in base.items():
            out.put(key, value, base.locs[key])
        for key, value in over.items():
            where = over.locs[key]
            if key in out and value is None:
                del out[key]  # null removes the inherited key
                del out.locs[key]
                continue
            if key in out:
                old = out[key]
                if cells:
                    old, value = _cell_mapping(old, out.locs[key]), _cell_mapping(value, where)
                value = merge(old, value, (*path, key))
            out.put(key, value, where)
        if not path:
            _drop_removed_rows(base, out)
        return out
    if isinstance(base, LocList) and isinstance(over, LocList):
        if path[-1:] == ("depths",):
            base, over = _depth_mappings(base), _depth_mappings(over)
        return _merge_lists(base, over, path)
    return over


#: The keys of a list item that say what to do with the base's item of that id.
ACTIONS = ("remove", "replace")


def _drop_removed_rows(base: LocDict, out: LocDict) -> None:
    """Remove the requirements rows of kinds, and the cells of standards, the overlay removed."""
    table = out.get("requirements")
    if not isinstance(table, LocDict):
        return
    gone_kinds = _removed(base, out, "kinds")
    gone_standards = _removed(base, out, "standards")
    if not gone_kinds and not gone_standards:
        return
    # A new table: the base's rows may be shared with the base's own data.
    kept = LocDict(table.where)
    for row, cells in table.items():
        if row in gone_kinds:
            continue
        if isinstance(cells, LocDict):
            cells = _without_keys(cells, gone_standards)
        kept.put(row, cells, table.locs[row])
    out.put("requirements", kept, out.locs["requirements"])


def _without_keys(mapping: LocDict, keys: set[Any]) -> LocDict:
    out = LocDict(mapping.where)
    for key, value in mapping.items():
        if key not in keys:
            out.put(key, value, mapping.locs[key])
    return out


def _removed(base: LocDict, out: LocDict, key: str) -> set[Any]:
    """The ids of ``base[key]`` that ``out[key]`` no longer has."""
    before, after = base.get(key), out.get(key)
    if not isinstance(before, list) or not isinstance(after, list):
        return set()
    return _ids(before) - _ids(after)


def _ids(items: list[Any]) -> set[str]:
    """The string ids of ``items`` (a bad id is structuring's to report)."""
    return {i["id"] for i in items if isinstance(i, Mapping) and isinstance(i.get("id"), str)}


def _action(item: Any, where: Loc, path: tuple[str | int, ...]) -> str | None:
    """``remove`` or ``replace`` when the overlay's ``item`` says so; checked."""
    if not isinstance(item, LocDict):
        return None
    found = None
    for action in ACTIONS:
        if action not in item:
            continue
        at = item.locs[action]
        if item[action] is not True:
            raise ScaleError.single(
                f"expected true (or no {action} key), found {item[action]!r}",
                file=at[0],
                line=at[1],
                path=(*path, action),
            )
        if found is not None:
            raise ScaleError.single(
                "an item is either removed or replaced, not both",
                file=at[0],
                line=at[1],
                path=(*path, action),
            )
        found = action
    if found == "remove" and len(item) > 2:
        extra = sorted(k for k in item if k not in ("remove", "id", "kind"))
        raise ScaleError.single(
            f"a removed item takes only its id and remove: true; found {', '.join(extra)}",
            file=where[0],
            line=where[1],
            path=path,
        )
    return found


def _indices(items: LocList) -> list[dict[str | None, int]]:
    """Each item's index in every file it was written in (see :func:`local_path`)."""
    if items.indices is not None:
        return [dict(i) for i in items.indices]
    return [{where[0]: i} for i, where in enumerate(items.locs)]


def _merge_lists(base: LocList, over: LocList, path: tuple[str, ...]) -> Any:
    by = _merge_key([*base, *over])
    if by is None:
        return over
    items = list(zip(base, base.locs, _indices(base), strict=True))
    index = {item[by]: i for i, (item, _, _) in enumerate(items)}
    seen: set[Any] = set()
    for position, (item, where) in enumerate(zip(over, over.locs, strict=True)):
        at: tuple[str | int, ...] = (*path, position)
        if item[by] in seen:
            # Merged into its namesake, a second item would silently win over the first.
            raise ScaleError.single(
                f"{by} {item[by]!r} is listed twice in this file",
                file=where[0],
                line=where[1],
                path=(*at, by),
            )
        seen.add(item[by])
        action = _action(item, where, at)
        clean = _without_actions(item)
        if action is not None and item[by] not in index:
            raise ScaleError.single(
                f"cannot {action} {by} {item[by]!r}: the base scale has no such item; "
                f"it has: {', '.join(str(i[by]) for i, _, _ in items)}",
                file=where[0],
                line=where[1],
                path=(*at, by),
            )
        if action == "remove":
            items[index[item[by]]] = (None, where, {})
        elif item[by] in index:
            i = index[item[by]]
            old, _, files = items[i]
            new = clean if action == "replace" else merge(old, clean, path)
            items[i] = (new, where, {**files, where[0]: position})
        else:
            index[item[by]] = len(items)
            items.append((clean, where, {where[0]: position}))
    merged = LocList(over.where)
    kept = [(item, where, files) for item, where, files in items if item is not None]
    for item, where, _ in kept:
        merged.put(item, where)
    merged.indices = [files for _, _, files in kept]
    return merged


def _without_actions(item: Any) -> Any:
    if not isinstance(item, LocDict) or not any(a in item for a in ACTIONS):
        return item
    out = LocDict(item.where)
    for key, value in item.items():
        if key not in ACTIONS:
            out.put(key, value, item.locs[key])
    return out


def _cell_mapping(value: Any, where: Loc) -> Any:
    """A shorthand cell written at ``where`` as the mapping it stands for; else unchanged."""
    if not isinstance(value, str):
        return value
    try:
        obligation, depth = parse_cell(value)
    except ValueError:
        return value  # structuring reports it, located
    out = LocDict(where)
    out.put("obligation", obligation, where)
    if depth is not None:
        out.put("depth", depth, where)
    return out


def _depth_mappings(depths: LocList) -> LocList:
    out = LocList(depths.where)
    for item, where in zip(depths, depths.locs, strict=True):
        if isinstance(item, str):
            mapping = LocDict(where)
            mapping.put("id", item, where)
            item = mapping
        out.put(item, where)
    return out


def __dir__() -> list[str]:
    return list(__all__)
