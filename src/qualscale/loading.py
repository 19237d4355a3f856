"""Reading scales, gates, deliveries and histories from files, with located errors.

The shell around the pure core: this module opens files, resolves ``extends``
overlays and ``gates:`` files, and finds the bundled scales; the model's
``from_dict`` methods do the structuring.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from qualscale._located import Loc, LocDict, LocList
from qualscale.delivery import Delivery, History
from qualscale.errors import DeliveryError, ScaleError, ValidationError
from qualscale.gates import GatePolicy
from qualscale.requirements import parse_cell
from qualscale.scale import Scale

__all__ = [
    "ACTIONS",
    "DEFAULT_SCALE",
    "MAX_BYTES",
    "MAX_EXTENDS",
    "MERGE_KEYS",
    "bundled_dir",
    "bundled_scales",
    "load_delivery",
    "load_document",
    "load_gates",
    "load_history",
    "load_scale",
    "merge",
    "parse_bytes",
    "read_document",
    "resolve_scale",
]

#: The scale used when none is named.
DEFAULT_SCALE = "billing-saas"
#: The largest document read, from a file or standard input.
MAX_BYTES = 5 * 1024 * 1024
#: The most scales in one chain of ``extends``: a scale, its base, the base's base, ...
MAX_EXTENDS = 20


def bundled_dir() -> Path:
    """The folder of the shipped scales (in the wheel, or the checkout's ``standards/``)."""
    from importlib import resources

    packaged = resources.files("qualscale") / "standards"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "standards"


def bundled_scales() -> list[str]:
    """The names of the shipped scales, sorted."""
    return sorted(p.stem for p in bundled_dir().glob("*.yaml") if p.stem != "gates")


def _is_path(source: str | os.PathLike[str]) -> bool:
    text = os.fspath(source)
    return (
        isinstance(source, os.PathLike)
        or os.sep in text
        or "/" in text
        or text.endswith((".yaml", ".yml", ".json"))
    )


def resolve_scale(source: str | os.PathLike[str] | None, relative_to: Path | None = None) -> Path:
    """The file a scale reference names: a bundled name or a path.

    Raises:
        ScaleError: for an unknown bundled name.
    """
    if source is None:
        source = DEFAULT_SCALE
    if _is_path(source):
        path = Path(source)
        if relative_to is not None and not path.is_absolute():
            path = relative_to / path
        return path
    path = bundled_dir() / f"{source}.yaml"
    if not path.is_file() or source == "gates":
        raise ScaleError.single(
            f"unknown scale {source!r}; bundled scales: {', '.join(bundled_scales())}"
            " (or give a path to a .yaml or .json file)"
        )
    return path


def read_document(path: str | os.PathLike[str], error: type[ValidationError]) -> Any:
    """Parse a YAML or JSON file into located data.

    Raises:
        ``error``: the file is missing, unreadable, too large or not valid YAML.
    """
    name = os.fspath(path)
    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise error.single("file not found", file=name) from None
    except IsADirectoryError:
        raise error.single("expected a file, found a directory", file=name) from None
    except OSError as exc:
        raise error.single(f"cannot read: {exc.strerror}", file=name) from None
    except ValueError:  # a NUL character in the name
        raise error.single("cannot read: not a valid file name", file=name) from None
    return parse_bytes(raw, name, error)


def parse_bytes(raw: bytes, name: str, error: type[ValidationError]) -> Any:
    """Parse YAML or JSON bytes read from ``name`` (a file, ``<stdin>``) into located data.

    Raises:
        ``error``: too large, not UTF-8, or not valid YAML.
    """
    if len(raw) > MAX_BYTES:
        raise error.single(f"larger than {MAX_BYTES} bytes", file=name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise error.single(f"not UTF-8 text (byte {exc.start})", file=name, line=line) from None
    from qualscale._yaml import parse  # PyYAML is imported only when a document is read

    value, problems = parse(text, name)
    if problems:
        raise error(problems)
    return value


# ------------------------------------------------------------------ scales


def load_scale(source: str | os.PathLike[str] | None = None) -> Scale:
    """Load a scale: ``None`` for the default, a bundled name, or a path to YAML/JSON.

    ``extends:`` and ``gates:`` references are resolved; the result is checked
    (references resolve, every standard requires a test, monotone).

    Raises:
        ScaleError: naming file, line and key path of every problem.
    """
    path = resolve_scale(source)
    if not _is_path(source or DEFAULT_SCALE):
        return _load_bundled(path)
    return _load_scale_file(path)


@functools.cache
def _load_bundled(path: Path) -> Scale:
    # Bundled scales never change while the process runs; the plugin and batch
    # runs ask for the same one many times.
    return _load_scale_file(path)


def _load_scale_file(path: Path, doc: Any = None) -> Scale:
    raw = _raw_scale(path, (), doc)
    return Scale.from_dict(raw, file=os.fspath(path))


def _raw_scale(path: Path, chain: tuple[Path, ...], doc: Any = None) -> LocDict:
    """The scale at ``path`` with its ``extends`` and gates file resolved; ``doc`` if read."""
    if doc is None:
        doc = read_document(path, ScaleError)
    name = os.fspath(path)
    if not isinstance(doc, LocDict):
        raise ScaleError.single("expected a mapping at the top of a scale file", file=name, line=1)
    here = path.parent
    gates = doc.get("gates")
    if isinstance(gates, str):
        doc.put("gates", _gates_from(gates, doc, here), doc.locs["gates"])
    if "extends" not in doc:
        return doc
    base_ref = doc.pop("extends")
    where = doc.locs.pop("extends")
    if not isinstance(base_ref, str):
        raise ScaleError.single(
            "expected a bundled scale name or a path",
            file=where[0],
            line=where[1],
            path=("extends",),
        )
    if "\0" in base_ref:
        raise ScaleError.single(
            f"not a valid file name: {base_ref!r}", file=where[0], line=where[1], path=("extends",)
        )
    if len(chain) + 1 >= MAX_EXTENDS:
        raise ScaleError.single(
            f"the extends chain is longer than {MAX_EXTENDS} scales",
            file=where[0],
            line=where[1],
            path=("extends",),
        )
    try:
        base_path = resolve_scale(base_ref, here)
    except ScaleError as exc:
        raise ScaleError.single(
            exc.problems[0].message, file=where[0], line=where[1], path=("extends",)
        ) from None
    resolved = base_path.resolve()
    if resolved in chain or resolved == path.resolve():
        raise ScaleError.single(
            f"extends {base_ref!r} makes a cycle", file=where[0], line=where[1], path=("extends",)
        )
    base = _raw_scale(base_path, (*chain, path.resolve()))
    merged = merge(base, doc)
    assert isinstance(merged, LocDict)
    return merged


def _gates_from(ref: str, doc: LocDict, here: Path) -> Any:
    where = doc.locs["gates"]
    path = here / ref
    if not path.is_file() and not _is_path(ref):
        path = bundled_dir() / f"{ref}.yaml"
    if not path.is_file():
        raise ScaleError.single(
            f"gates file {ref!r} not found (looked for {os.fspath(path)!r})",
            file=where[0],
            line=where[1],
            path=("gates",),
        )
    data = read_document(path, ScaleError)
    if not isinstance(data, LocDict) or "gates" not in data:
        raise ScaleError.single(
            f"expected a mapping with a 'gates' list in {os.fspath(path)!r}",
            file=where[0],
            line=where[1],
            path=("gates",),
        )
    GatePolicy.from_dict(data, file=os.fspath(path))
    # The scale keeps the located list, so later errors still point into the gates file.
    return data["gates"]


def load_gates(path: str | os.PathLike[str]) -> GatePolicy:
    """Load a gates file (``policy``, ``description``, ``gates``).

    Raises:
        ScaleError: naming file, line and key path of every problem.
    """
    return GatePolicy.from_dict(read_document(path, ScaleError), file=os.fspath(path))


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
    requirements table.

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
    """Remove the requirements rows of kinds the overlay removed."""
    kinds, table = out.get("kinds"), out.get("requirements")
    if not isinstance(kinds, list) or not isinstance(table, LocDict):
        return
    kept = {k.get("id") for k in kinds if isinstance(k, Mapping)}
    gone = {k.get("id") for k in base.get("kinds", []) if isinstance(k, Mapping)} - kept
    for row in [r for r in table if r in gone]:
        del table[row]
        del table.locs[row]


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


# ------------------------------------------------------ deliveries, history


def load_delivery(path: str | os.PathLike[str]) -> Delivery:
    """Load a delivery file (YAML or JSON).

    Raises:
        DeliveryError: naming file, line and key path of every problem.
    """
    return _delivery(read_document(path, DeliveryError), path)


def _delivery(data: Any, path: str | os.PathLike[str]) -> Delivery:
    data = _collection(data, path, "a mapping", DeliveryError)
    return Delivery.from_dict(data, file=os.fspath(path))


def load_history(path: str | os.PathLike[str]) -> History:
    """Load a history file: ``{deliveries: [...]}`` or a bare list, oldest first.

    Raises:
        DeliveryError: naming file, line and key path of every problem.
    """
    return _history(read_document(path, DeliveryError), path)


def _history(data: Any, path: str | os.PathLike[str]) -> History:
    _collection(data, path, "a mapping or a list", DeliveryError)
    if isinstance(data, LocList):
        wrapped = LocDict(data.where)
        wrapped.put("deliveries", data, data.where)
        data = wrapped
    return History.from_dict(data, file=os.fspath(path))


def _collection(
    data: Any, path: str | os.PathLike[str], expected: str, error: type[ValidationError]
) -> Any:
    """``data`` when the document is a mapping or list; else a problem at its top line."""
    if isinstance(data, (LocDict, LocList)):
        return data
    from qualscale._structure import describe

    # An empty file or a lone value has no key to point at: the top of the file is
    # where a reader looks for the missing mapping.
    raise error.single(f"expected {expected}, found {describe(data)}", file=os.fspath(path), line=1)


def load_document(path: str | os.PathLike[str]) -> Scale | GatePolicy | Delivery | History:
    """Load and check a scale, gates, delivery or history file, telling them apart by content.

    Raises:
        ValidationError: naming file, line and key path of every problem.
    """
    # Read once: the kind of file decides how the same data is structured.
    data = read_document(path, ValidationError)
    if isinstance(data, LocList) or (isinstance(data, LocDict) and "deliveries" in data):
        return _history(data, path)
    if not isinstance(data, LocDict) or "id" in data:
        return _delivery(data, path)
    if "gates" in data and set(data) <= {f.name for f in attrs.fields(GatePolicy)}:
        return GatePolicy.from_dict(data, file=os.fspath(path))
    return _load_scale_file(Path(path), data)


def __dir__() -> list[str]:
    return list(__all__)
