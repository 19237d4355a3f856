"""Reading scales, gates, deliveries and histories from files, with located errors.

The shell around the pure core: this module opens files, resolves ``extends``
overlays and ``gates:`` files, and finds the bundled scales; the model's
``from_dict`` methods do the structuring.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

import attrs

from qualscale._files import read_limited
from qualscale._located import LocDict, LocList
from qualscale._merge import ACTIONS, MERGE_KEYS, merge
from qualscale._scale_cache import cached_scale, note_read
from qualscale.delivery import Delivery, History
from qualscale.errors import DeliveryError, KeyPath, Problem, ScaleError, ValidationError
from qualscale.gates import GatePolicy
from qualscale.scale import Scale

if TYPE_CHECKING:  # pathlib is imported where it is used: a bundled scale needs none
    from pathlib import Path

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
    from pathlib import Path

    return Path(_bundled_folder())


@functools.cache
def _bundled_folder() -> str:
    # The package's own folder first (what importlib.resources finds for a package
    # on disk, without importing it and tempfile), then a checkout's. Without pathlib
    # (and the urllib.parse it imports): a plan on a bundled scale does not need it.
    here = os.path.dirname(os.path.realpath(__file__))
    for folder in (here, os.path.dirname(os.path.dirname(here))):
        if os.path.isdir(os.path.join(folder, "standards")):
            return os.path.join(folder, "standards")
    from importlib import resources  # a zipped package: its files are extracted

    return str(resources.files("qualscale") / "standards")


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
    from pathlib import Path

    if source is None:
        source = DEFAULT_SCALE
    if _is_path(source):
        path = Path(source)
        if relative_to is not None and not path.is_absolute():
            path = relative_to / path
        return path
    return Path(_bundled_file(os.fspath(source)))


def _bundled_file(name: str) -> str:
    path = os.path.join(_bundled_folder(), f"{name}.yaml")
    if not os.path.isfile(path) or name == "gates":
        raise ScaleError.single(
            f"unknown scale {name!r}; bundled scales: {', '.join(bundled_scales())}"
            " (or give a path to a .yaml or .json file)"
        )
    return path


def read_document(path: str | os.PathLike[str], error: type[ValidationError]) -> Any:
    """Parse a YAML or JSON file into located data.

    Raises:
        ``error``: the file is missing, unreadable, too large or not valid YAML.
    """
    name = os.fspath(path)
    raw = read_limited(path, MAX_BYTES, error)
    note_read(name, raw)
    return parse_bytes(raw, name, error)


def parse_bytes(raw: bytes, name: str, error: type[ValidationError]) -> Any:
    """Parse YAML or JSON bytes read from ``name`` (a file, ``<stdin>``) into located data.

    Raises:
        ``error``: too large, not UTF-8, or not valid YAML.
    """
    if len(raw) > MAX_BYTES:
        raise error.single(f"larger than {MAX_BYTES} bytes", file=name)
    try:
        text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")  # utf-8-sig, without its module
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
    if not _is_path(source or DEFAULT_SCALE):
        return _load_bundled(_bundled_file(os.fspath(source or DEFAULT_SCALE)))
    return cached_scale(resolve_scale(source), _load_scale_file)


@functools.cache
def _load_bundled(path: str) -> Scale:
    # Bundled scales never change while the process runs; the plugin and batch
    # runs ask for the same one many times.
    return cached_scale(path, _load_scale_file)


def _load_scale_file(path: str | os.PathLike[str], doc: Any = None) -> Scale:
    from pathlib import Path

    raw = _raw_scale(Path(path), (), doc)
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
        note_read(path, None)  # a file put there later is the one to read then
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
    # Read once: the kind of file decides how the same data is structured. A value
    # read around problems (a duplicate key, a bad tag) is checked all the same: every
    # problem of the file is reported, in file order.
    data, early, replaced = _read_around_problems(path)
    try:
        doc = _document(data, path)
    except ValidationError as exc:
        # Problems where the reader left a hole are its problems, already reported.
        later = [p for p in exc.problems if not any(p.path[: len(r)] == r for r in replaced)]
        error = type(exc)(_in_file_order([*early, *later]))
        error.partial = exc.partial
        raise error from None
    if early:
        # What was built around the reader's problems: validate checks it further.
        error = (DeliveryError if isinstance(doc, Delivery | History) else ScaleError)(early)
        error.partial = doc
        raise error
    return doc


def _document(data: Any, path: str | os.PathLike[str]) -> Scale | GatePolicy | Delivery | History:
    if isinstance(data, LocList) or (isinstance(data, LocDict) and "deliveries" in data):
        return _history(data, path)
    if not isinstance(data, LocDict) or "id" in data:
        return _delivery(data, path)
    if "gates" in data and set(data) <= {f.name for f in attrs.fields(GatePolicy)}:
        return GatePolicy.from_dict(data, file=os.fspath(path))
    return _load_scale_file(path, data)


def _read_around_problems(
    path: str | os.PathLike[str],
) -> tuple[Any, list[Problem], frozenset[KeyPath]]:
    """The document at ``path`` as far as it can be read, its problems, and its holes."""
    try:
        return read_document(path, ValidationError), [], frozenset()
    except ValidationError as exc:
        refused = exc  # read it again, keeping what can be read (only a bad file pays)
    from qualscale._yaml import parse_all

    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise refused
        text = raw.decode("utf-8-sig")
    except (OSError, ValueError):  # it cannot be read at all: what the reader said
        raise refused from None
    found = parse_all(text, os.fspath(path))
    if not found.complete or not found.problems:
        raise refused
    return found.value, found.problems, found.replaced


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    files = {p.file: i for i, p in reversed(list(enumerate(problems)))}
    return sorted(problems, key=lambda p: (files[p.file], p.line is None, p.line or 0))


def __dir__() -> list[str]:
    return list(__all__)
