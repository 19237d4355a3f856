"""``qualscale convert``: a scale in the 0.1 format (requirements standard by standard) as a table.

The 0.1 format listed every requirement under its standard, with its own
``scope`` (now ``depth``), ``where`` (``environment``) and ``when`` (``gate``);
modifiers had ``require`` and the rules were called ``classification``. The
table format has one row per kind and one cell per standard, and states once,
on the depth or the kind, what every use of it agrees on.

:func:`convert_scale` is pure; :func:`convert_file` reads the file. Comments
of the old file are not kept: YAML readers drop them.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from qualscale.errors import KeyPath, Problem

__all__ = ["DESCRIPTION", "convert_file", "convert_scale", "dump"]

DESCRIPTION = (
    "Convert a scale written in the 0.1 format (requirements listed standard by standard) "
    "to the table format (one row per kind, one cell per standard). Environments, gates, "
    "criteria and checklists that every use of a depth agrees on move to the depth. "
    "Comments of the old file are not kept: copy the ones you need by hand."
)

# Old key -> new key, inside a requirement, a kind and at the top of the file.
_REQUIREMENT_KEYS = {"scope": "depth", "where": "environment", "when": "gate"}
_TOP_KEYS = {"classification": "rules"}
_ORDER = (
    *("extends", "name", "version", "description", "monotone"),
    *("kinds", "environments", "gates", "standards", "requirements", "rules"),
)


def convert_scale(old: Mapping[str, Any]) -> dict[str, Any]:
    """The table-format document of the 0.1-format scale ``old`` (plain data in, plain data out).

    Also accepts the key names of 0.1's successor (``depth``, ``environment``,
    ``gate``, ``requires``, ``rules``), so a half-renamed file converts too.
    """
    doc = {_TOP_KEYS.get(k, k): v for k, v in old.items()}
    table: dict[str, dict[str, dict[str, Any]]] = {}
    standards = []
    for std in doc.get("standards", []):
        std = dict(std)
        for req in std.pop("requires", []):
            req = _renamed(req)
            table.setdefault(req.pop("kind"), {})[std["id"]] = req
        standards.append(std)
    doc["standards"] = standards
    rules = dict(doc.get("rules", {}))
    modifiers = [_renamed_modifier(m) for m in rules.get("modifiers", [])]
    if modifiers:
        rules["modifiers"] = modifiers
    uses = [(k, c) for k, row in table.items() for c in row.values()]
    uses += [(r["kind"], r) for m in modifiers for r in m.get("requires", [])]
    if "extends" not in doc:  # an overlay's kinds and depths are in its base
        doc["kinds"] = [
            _hoisted(kind, [c for k, c in uses if k == kind["id"]]) for kind in doc.get("kinds", [])
        ]
    kinds = {k["id"]: k for k in doc.get("kinds", [])}
    rows = [*(k for k in kinds if k in table), *(k for k in table if k not in kinds)]
    doc["requirements"] = {
        kind: {std: _cell(cell, kinds.get(kind)) for std, cell in table[kind].items()}
        for kind in rows
    }
    for mod in modifiers:
        if "requires" in mod:
            mod["requires"] = [
                {"kind": r["kind"], **_settings(r, kinds.get(r["kind"]))} for r in mod["requires"]
            ]
    doc["rules"] = rules
    if not doc["requirements"]:
        del doc["requirements"]
    return {k: doc[k] for k in (*_ORDER, *doc) if k in doc and doc[k] is not None}


def _renamed(req: Mapping[str, Any]) -> dict[str, Any]:
    return {_REQUIREMENT_KEYS.get(k, k): v for k, v in req.items()}


def _renamed_modifier(mod: Mapping[str, Any]) -> dict[str, Any]:
    out = {("requires" if k == "require" else k): v for k, v in mod.items()}
    if "requires" in out:
        out["requires"] = [_renamed(r) for r in out["requires"]]
    return out


def _common(values: Iterable[Any]) -> Any:
    """The value every use agrees on, or ``None`` when they differ (or there is none)."""
    found = set(values)
    return found.pop() if len(found) == 1 else None


def _hoisted(kind: Mapping[str, Any], uses: list[dict[str, Any]]) -> dict[str, Any]:
    """``kind`` with ``scopes`` as ``depths``, each depth stating what all its uses agree on."""
    kind = {("depths" if k == "scopes" else k): v for k, v in kind.items()}
    depths: list[Any] = []
    for depth_id in kind.get("depths", []):
        at = [u for u in uses if u.get("depth") == depth_id]
        depth: dict[str, Any] = {"id": depth_id}
        for key in ("environment", "gate"):
            agreed = _common(u.get(key) for u in at) if at else None
            if agreed:  # null is nothing to state
                depth[key] = agreed
        for key in ("criteria", "checklist"):
            # The depth states the most common list (the first of equals); uses with
            # other lists state theirs. Not when a use has none: it would need `[]`.
            lists = [tuple(u.get(key) or ()) for u in at]
            if lists and all(lists):
                depth[key] = list(Counter(lists).most_common(1)[0][0])
        depths.append(depth)
    for key in ("environment", "gate"):
        # The kind states the value most depths state; the others keep their own.
        counts = Counter(d[key] for d in depths if key in d)
        counts.update(u[key] for u in uses if u.get("depth") is None and u.get(key))
        if counts:
            kind[key] = counts.most_common(1)[0][0]
            for depth in depths:
                if depth.get(key) == kind[key]:
                    del depth[key]
    if "depths" in kind:
        kind["depths"] = [d if len(d) > 1 else d["id"] for d in depths]
        kind["depths"] = kind.pop("depths")  # last: the depths read best after the defaults
    return kind


def _settings(req: Mapping[str, Any], kind: Mapping[str, Any] | None) -> dict[str, Any]:
    """``req``'s obligation, depth and what its depth and kind do not already say."""
    depth_id = req.get("depth")
    depth: Mapping[str, Any] = {}
    for item in (kind or {}).get("depths", []):
        if (item if isinstance(item, str) else item["id"]) == depth_id:
            depth = {} if isinstance(item, str) else item
    out: dict[str, Any] = {"obligation": req.get("obligation", "required")}
    if depth_id is not None:
        out["depth"] = depth_id
    for key in ("environment", "gate"):
        default = depth.get(key) or (kind or {}).get(key)
        if req.get(key) is not None and req.get(key) != default:
            out[key] = req.get(key)
    for key in ("criteria", "checklist"):
        if list(req.get(key) or []) != list(depth.get(key) or []):
            out[key] = list(req.get(key) or [])
    if req.get("independent"):
        out["independent"] = True
    return out


def _cell(req: Mapping[str, Any], kind: Mapping[str, Any] | None) -> Any:
    """A cell: the shorthand ``"OBLIGATION [DEPTH]"`` when it says no more, else a mapping."""
    cell = _settings(req, kind)
    if set(cell) <= {"obligation", "depth"}:
        return " ".join(str(cell[k]) for k in ("obligation", "depth") if k in cell)
    return cell


def dump(doc: Mapping[str, Any], source: str) -> str:
    """``doc`` as YAML text, with a header saying where it came from."""
    import yaml

    text = yaml.safe_dump(
        dict(doc), sort_keys=False, allow_unicode=True, width=120, default_flow_style=None
    )
    return (
        "# yaml-language-server: $schema=scale.schema.json\n"
        f"# Converted by `qualscale convert` from {source}; its comments are not kept.\n"
        f"{text}"
    )


def convert_file(path: str | os.PathLike[str]) -> str:
    """The table-format YAML text of the 0.1-format scale file ``path``.

    Raises:
        ScaleError: the file cannot be read, or is not a mapping.
    """
    from qualscale._structure import locate_problems
    from qualscale.errors import ScaleError
    from qualscale.loading import read_document

    data = read_document(path, ScaleError)
    if not isinstance(data, Mapping):
        raise ScaleError.single("expected a mapping at the top of a scale file", file=str(path))
    problems = _shape_problems(data)
    if problems:
        raise ScaleError(locate_problems(data, problems, os.fspath(path)))
    return dump(convert_scale(_plain(data)), os.fspath(path))


# The shapes convert_scale walks: (key path pattern, what it must be). "*" is any
# list index; each entry applies where its parent exists and has the right shape.
_SHAPES: tuple[tuple[tuple[str, ...], type | tuple[type, ...], str], ...] = (
    (("standards",), list, "a list"),
    (("standards", "*"), Mapping, "a mapping"),
    (("standards", "*", "id"), str, "a string"),
    (("standards", "*", "requires"), list, "a list"),
    (("standards", "*", "requires", "*"), Mapping, "a mapping"),
    (("standards", "*", "requires", "*", "kind"), str, "a string"),
    (("kinds",), list, "a list"),
    (("kinds", "*"), Mapping, "a mapping"),
    (("kinds", "*", "id"), str, "a string"),
    (("classification",), Mapping, "a mapping"),
    (("rules",), Mapping, "a mapping"),
    (("classification", "modifiers"), list, "a list"),
    (("rules", "modifiers"), list, "a list"),
    (("classification", "modifiers", "*"), Mapping, "a mapping"),
    (("rules", "modifiers", "*"), Mapping, "a mapping"),
)
# What a requirement says is compared and counted: it must be plain text.
_REQUIREMENT_SHAPES: tuple[tuple[tuple[str, ...], type | tuple[type, ...], str], ...] = (
    *(((key,), (str, type(None)), "a string") for key in ("scope", "where", "when")),
    *(((key,), (str, type(None)), "a string") for key in ("depth", "environment", "gate")),
    *(((key,), list, "a list") for key in ("criteria", "checklist")),
    *(((key, "*"), str, "a string") for key in ("criteria", "checklist")),
)
# Where a 0.1 or half-renamed file may put requirements and depths.
_SHAPES += tuple(
    ((*where, *pattern), kind, what)
    for where in (
        ("standards", "*", "requires", "*"),
        *(
            (rules, "modifiers", "*", key, "*")
            for rules in ("classification", "rules")
            for key in ("require", "requires")
        ),
    )
    for pattern, kind, what in _REQUIREMENT_SHAPES
)
_SHAPES += tuple(
    shape
    for rules in ("classification", "rules")
    for key in ("require", "requires")
    for shape in (
        ((rules, "modifiers", "*", key), list, "a list"),
        ((rules, "modifiers", "*", key, "*"), Mapping, "a mapping"),
        ((rules, "modifiers", "*", key, "*", "kind"), str, "a string"),
    )
) + tuple(
    shape
    for key in ("scopes", "depths")
    for shape in (
        (("kinds", "*", key), list, "a list"),
        (("kinds", "*", key, "*"), str, "a string"),
    )
)


_NAMING_KEYS = frozenset({"id", "kind"})


def _shape_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Where ``data`` is not shaped as a 0.1 scale in the parts the conversion reads."""
    from qualscale._structure import describe

    problems = []
    for pattern, kind, what in _SHAPES:
        for path, value in _at(data, pattern, ()):
            if not isinstance(value, kind):
                problems.append(Problem(f"expected {what}, found {describe(value)}", path=path))
        if pattern[-1] in _NAMING_KEYS:  # the conversion files every item under these
            for path, parent in _at(data, pattern[:-1], ()):
                if isinstance(parent, Mapping) and pattern[-1] not in parent:
                    problems.append(Problem(f"missing key {pattern[-1]!r}", path=path))
    return problems


def _at(value: Any, pattern: tuple[str, ...], path: KeyPath) -> Iterable[tuple[KeyPath, Any]]:
    """The values at ``pattern`` below ``value`` whose parents have the expected shape."""
    if not pattern:
        yield path, value
        return
    step, rest = pattern[0], pattern[1:]
    if step == "*" and isinstance(value, list):
        for i, item in enumerate(value):
            yield from _at(item, rest, (*path, i))
    elif step != "*" and isinstance(value, Mapping) and step in value:
        yield from _at(value[step], rest, (*path, step))


def _plain(value: Any) -> Any:
    # The reader's located mappings and lists, as the plain ones YAML writers know.
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
