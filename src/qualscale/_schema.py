"""JSON Schemas (draft 2020-12) of the scale, delivery, history and gates files.

The schemas are generated from the attrs model, so they cannot drift from it,
plus the few things the loader reads beyond the model: ``extends`` and partial
overlays, ``gates`` given as a file name, a history written as a bare list.
Editors use them through ``# yaml-language-server: $schema=scale.schema.json``.

``python -m qualscale._schema`` writes them to ``standards/``; with ``--check``
it writes nothing and exits 1 when a shipped file differs from the model.
"""

from __future__ import annotations

import argparse
import collections.abc
import inspect
import json
import re
import sys
import types
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import attrs

from qualscale import _commit_rules, _validators
from qualscale.delivery import Delivery, History, PastDelivery
from qualscale.gates import Gate
from qualscale.loading import MERGE_KEYS
from qualscale.requirements import CELL_PATTERN, Cell, Depth
from qualscale.scale import Scale

__all__ = ["SCHEMAS", "delivery_schema", "gates_schema", "history_schema", "main", "scale_schema"]

DRAFT = "https://json-schema.org/draft/2020-12/schema"

Schema = dict[str, Any]

# What each attrs validator of the model means in JSON Schema. A validator
# missing here stops the generator: a schema that silently ignores a check
# would accept what the loader rejects.
_CHECKS: dict[object, Schema] = {
    # Whether it compiles is the loader's to say (Python's dialect, not ECMA-262's).
    _commit_rules.regex: {"minLength": 1, "maxLength": _commit_rules.MAX_PATTERN},
    _validators.nonneg: {"minimum": 0},
    _validators.positive: {"minimum": 1},
    # JSON cannot write an infinite number; YAML's .inf is the loader's to refuse.
    _validators.hours: {"minimum": 0},
    _validators.ident: {"pattern": _validators.ID_PATTERN},
    # ``\S``: Python's ``re`` and str.strip() agree on what whitespace is.
    _validators.nonempty: {"minLength": 1, "pattern": r"\S"},
    # JSON can only write JSON; the depth limit is the loader's alone.
    _validators.json_data: {},
    # Whether a path climbs above its root (a/../../b) takes counting, not a regex:
    # the loader's alone, like the depth limit.
    _validators.relative_paths: {},
    # Not empty, not absolute, no backslash; an unclosed '[' is the loader's to say.
    _validators.globs: {"items": {"pattern": r"^[^/\\][^\\]*$"}},
    # A date or date and time; whether the day exists is the loader's to say.
    _validators.iso_date: {"pattern": r"^\d{4}-\d{2}-\d{2}"},
    _validators.metrics: {"propertyNames": {"pattern": r"^[a-z][a-z0-9_]*$"}},
}

# The classes that may also be written as a string, and that string's schema
# (the converter calls their ``from_shorthand``).
_SHORTHANDS: dict[type, Schema] = {
    Depth: {
        "type": "string",
        "description": "A depth with nothing more to say, written as its id.",
        "pattern": _validators.ID_PATTERN,
    },
    Cell: {
        "type": "string",
        "description": "`OBLIGATION [DEPTH]`, such as `required targeted`.",
        "pattern": CELL_PATTERN,
    },
}

_NONE = type(None)


def _clean(text: str) -> str:
    """Docstring text for an editor: paragraphs unwrapped, reST roles as code."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", text)
    text = text.replace("``", "`")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip())]
    return "\n\n".join(p for p in paragraphs if p)


def _docs(cls: type) -> tuple[str, dict[str, str]]:
    """The class description and the field descriptions of its "Attributes:" section."""
    lines = inspect.cleandoc(cls.__doc__ or "").splitlines()
    head: list[str] = []
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    in_attributes = False
    for line in lines:
        if line.strip() == "Attributes:":
            in_attributes = True
            continue
        if in_attributes and line and not line[0].isspace():
            in_attributes = False
        if not in_attributes:
            head.append(line)
            continue
        entry = re.match(r"\s{4}(\w+):\s*(.*)", line)
        if entry:
            current = fields.setdefault(entry.group(1), [])
            current.append(entry.group(2))
        elif current is not None and line.strip():
            current.append(line.strip())
    return _clean("\n".join(head)), {k: _clean(" ".join(v)) for k, v in fields.items()}


def _checks(cls: type, field: attrs.Attribute[Any]) -> Schema:
    validator = field.validator
    if validator is None:
        return {}
    out: Schema = {}
    for part in getattr(validator, "_validators", (validator,)):
        if part in _validators.TYPE_CHECKS:
            continue  # the field's type already says it
        if part not in _CHECKS:
            raise TypeError(f"no JSON Schema for validator {part!r} of {cls.__name__}.{field.name}")
        out.update(_CHECKS[part])
    return out


def _default(field: attrs.Attribute[Any]) -> tuple[bool, object]:
    """Whether the field has a default worth showing in an editor, and the default."""
    default = field.default
    factory = getattr(default, "factory", None)  # an attrs.Factory
    if callable(factory) and not getattr(default, "takes_self", False):
        default = factory()
    if isinstance(default, (str, int, bool, type(None))):
        return True, default
    if isinstance(default, tuple) and not default:
        return True, []
    if isinstance(default, collections.abc.Mapping) and not default:
        return True, {}
    return False, None


def _merge_key(cls: type) -> str | None:
    """The key by which ``extends`` merges lists of this class (see ``loading.merge``)."""
    names = [f.name for f in attrs.fields(cls)]
    return next((key for key in MERGE_KEYS if key in names), None)


def _required(cls: type, overlay: bool) -> list[str]:
    required = [f.name for f in attrs.fields(cls) if f.default is attrs.NOTHING]
    if overlay:
        # An overlay's mappings merge into the base's, so nothing is required but
        # the key that matches a list item with the base's item.
        required = [name for name in required if name == _merge_key(cls)]
    return required


def _classes_in(tp: Any) -> list[type]:
    if isinstance(tp, type) and attrs.has(tp):
        return [tp]
    return [cls for arg in get_args(tp) for cls in _classes_in(arg)]


@attrs.define
class _Builder:
    """Turns attrs classes into ``$defs`` entries, each class once (and once as overlay)."""

    defs: dict[str, Schema] = attrs.field(factory=dict)

    def ref(self, cls: type, overlay: bool = False) -> Schema:
        """A ``$ref`` to the definition of ``cls``, generating it on first use."""
        overlay = overlay and _overlay_differs(cls)
        name = cls.__name__ + ("Overlay" if overlay else "")
        if name not in self.defs:
            self.defs[name] = {}  # reserve the place: definitions appear in reading order
            self.defs[name] = self._object(cls, overlay)
        return {"$ref": f"#/$defs/{name}"}

    def _object(self, cls: type, overlay: bool) -> Schema:
        description, field_docs = _docs(cls)
        hints = typing.get_type_hints(cls)
        properties: Schema = {}
        for field in attrs.fields(cls):
            prop: Schema = {}
            if field.name in field_docs:
                prop["description"] = field_docs[field.name]
            typed = self.type(hints[field.name], overlay, _checks(cls, field))
            # In an overlay, null removes the base's value (its default applies again).
            prop.update({"anyOf": [typed, {"type": "null"}]} if overlay else typed)
            has_default, default = _default(field)
            if has_default and field.default is not attrs.NOTHING:
                prop["default"] = default
            properties[field.name] = prop
        schema: Schema = {"title": cls.__name__ + (" (overlay)" if overlay else "")}
        if description:
            schema["description"] = description
        schema["type"] = "object"
        if overlay and _merge_key(cls) is not None:
            for action, what in (("remove", "removes"), ("replace", "replaces whole")):
                properties[action] = {
                    "description": f"`true` {what} the base's item of this {_merge_key(cls)}.",
                    "const": True,
                }
        schema["properties"] = properties
        required = _required(cls, overlay)
        if required:
            schema["required"] = required
        schema["additionalProperties"] = False
        return schema

    def type(self, tp: Any, overlay: bool = False, checks: Schema | None = None) -> Schema:
        """The schema of the type annotation ``tp``; ``checks`` apply to its scalar."""
        checks = checks or {}
        origin, args = get_origin(tp), get_args(tp)
        if origin in (typing.Union, types.UnionType):
            inner = [a for a in args if a is not _NONE]
            if len(inner) != 1 or len(args) != 2:
                raise TypeError(f"no JSON Schema for {tp!r}: only `X | None` unions")
            schema = self.type(inner[0], overlay, checks)
            if isinstance(schema.get("type"), str):
                return {**schema, "type": [schema["type"], "null"]}
            if "enum" in schema:
                return {**schema, "enum": [*schema["enum"], None]}
            return {"anyOf": [schema, {"type": "null"}]}
        if tp is str or tp is int:
            return {"type": "string" if tp is str else "integer", **checks}
        if tp is float:
            return {"type": "number", **checks}
        if origin in (collections.abc.Mapping, dict) and args[0] is str:
            values = self.type(args[1], overlay)
            mapping: Schema = {"type": "object", **checks}
            if values:  # an Any value takes anything: the JSON Schema default
                mapping["additionalProperties"] = values
            return mapping
        if checks and origin is tuple and set(checks) == {"items"}:  # a check of each item
            return {"type": "array", "items": {**self.type(args[0], overlay), **checks["items"]}}
        if checks:
            raise TypeError(f"validators {sorted(checks)} on {tp!r}: only scalars and mappings")
        if tp is bool:
            return {"type": "boolean"}
        if tp is Any:
            return {}
        if origin is Literal:
            return {"enum": list(args)}
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": self.type(args[0], overlay)}
        if tp in _SHORTHANDS:
            return {"anyOf": [_SHORTHANDS[tp], self.ref(tp, overlay)]}
        if isinstance(tp, type) and attrs.has(tp):
            return self.ref(tp, overlay)
        raise TypeError(f"no JSON Schema for {tp!r}")


def _overlay_differs(cls: type) -> bool:
    """Whether an overlay's ``cls`` is looser than the full one (so needs its own definition).

    Every class with fields is: in an overlay any key may be null (removing the base's
    value), an item with an id may say ``remove`` or ``replace``, and required keys
    are not required.
    """
    return bool(attrs.fields(cls))


def _root(title: str, description: str, body: Schema, builder: _Builder) -> Schema:
    return {
        "$schema": DRAFT,
        "title": title,
        "description": description,
        **body,
        "$defs": builder.defs,
    }


_GATES_REF = (
    "A gates file: a path relative to this file (`gates.yaml`) or the name of a"
    " bundled one (`gates`)."
)


def scale_schema() -> Schema:
    """The schema of a scale file (``standards/*.yaml``), overlays included."""
    builder = _Builder()
    builder.ref(Scale)
    builder.ref(Scale, overlay=True)
    for name in ("Scale", "ScaleOverlay"):
        props = builder.defs[name]["properties"]
        gates = dict(props["gates"])
        default = gates.pop("default")
        props["gates"] = {
            "description": "The gates, in the order a project passes them, or a gates file.",
            "anyOf": [{"type": "string", "description": _GATES_REF}, gates],
            "default": default,
        }
    overlay = builder.defs["ScaleOverlay"]
    overlay["description"] = (
        "A scale that extends another. Mappings merge key by key (a requirement cell"
        " written short counts as `{obligation, depth}`); lists of items with an `id`"
        " (or `kind`) merge item by item, new items appended (a depth written as its id"
        " counts as `{id}`); `remove: true` removes an item, `replace: true` puts it in"
        " whole, and null removes a key; other values replace. So only `extends` is"
        " required."
    )
    overlay["properties"] = {
        "extends": {
            "description": "The scale this one adjusts: a bundled name (`billing-saas`)"
            " or a path relative to this file.",
            "type": "string",
        },
        **overlay["properties"],
    }
    overlay["required"] = ["extends"]
    description, _ = _docs(Scale)
    body: Schema = {
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/ScaleOverlay"},
        "else": {"$ref": "#/$defs/Scale"},
    }
    return _root("qualscale scale", description, body, builder)


def delivery_schema() -> Schema:
    """The schema of a delivery file."""
    builder = _Builder()
    ref = builder.ref(Delivery)
    description, _ = _docs(Delivery)
    return _root("qualscale delivery", description, ref, builder)


def history_schema() -> Schema:
    """The schema of a history file: ``{deliveries: [...]}`` or a bare list, oldest first."""
    builder = _Builder()
    body: Schema = {
        "anyOf": [
            builder.ref(History),
            {
                "description": "The past deliveries alone, oldest first.",
                "type": "array",
                "items": builder.ref(PastDelivery),
            },
        ]
    }
    return _root(
        "qualscale history",
        "The project's past deliveries, oldest first: `{deliveries: [...]}` or a bare list.",
        body,
        builder,
    )


def gates_schema() -> Schema:
    """The schema of a gates file (``standards/gates.yaml``), which scales name in ``gates``."""
    builder = _Builder()
    body: Schema = {
        "type": "object",
        "properties": {
            "policy": {"description": "The name of the gating policy.", "type": "string"},
            "description": {"description": "What the policy is for.", "type": "string"},
            "gates": {
                "description": "The gates, in the order a project passes them.",
                "type": "array",
                "items": builder.ref(Gate),
            },
        },
        "required": ["gates"],
        "additionalProperties": False,
    }
    return _root(
        "qualscale gates", "A gating policy: the decision points of a project.", body, builder
    )


#: The shipped schema files and the functions that generate them.
SCHEMAS: dict[str, Callable[[], Schema]] = {
    "scale.schema.json": scale_schema,
    "delivery.schema.json": delivery_schema,
    "history.schema.json": history_schema,
    "gates.schema.json": gates_schema,
}


def render(schema: Schema) -> str:
    """The schema as the shipped file's text: fixed key order, indent 2, final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the schemas, or with ``--check`` report those that differ; returns the exit code."""
    from qualscale.loading import bundled_dir

    parser = argparse.ArgumentParser(prog="python -m qualscale._schema", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 on a difference")
    parser.add_argument("--dir", type=Path, default=None, help="where the files are (standards/)")
    args = parser.parse_args(argv)
    directory: Path = args.dir or bundled_dir()
    stale = []
    for name, generate in SCHEMAS.items():
        path = directory / name
        text = render(generate())
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    for path in stale:
        verb = "differs from the model" if args.check else "written"
        print(f"{path}: {verb}", file=sys.stderr if args.check else sys.stdout)
    if args.check and stale:
        print("run `python -m qualscale._schema` to regenerate", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
