"""The shipped JSON Schemas follow the model and agree with the loader, both ways."""

from __future__ import annotations

import copy
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, NamedTuple

import attrs
import pytest
import yaml
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import qualscale
from qualscale import Delivery, DeliveryError, ScaleError, ValidationError
from qualscale._schema import SCHEMAS, _Builder, main, render
from qualscale.delivery import DELIVERY_TYPES
from qualscale.loading import load_document
from tests._paths import EXAMPLES, STANDARDS

KeyPath = tuple[str | int, ...]
Verdict = Literal["valid", "invalid", "loader-only"]


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((STANDARDS / f"{name}.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


SCALE = validator("scale")
DELIVERY = validator("delivery")
HISTORY = validator("history")
GATES = validator("gates")


def schema_errors(v: Draft202012Validator, doc: object) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in v.iter_errors(doc)]


# ------------------------------------------------------- generated, shipped


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_shipped_schema_is_what_the_model_generates(name: str) -> None:
    """Each shipped JSON Schema file is exactly what the model generates."""
    expected = render(SCHEMAS[name]())
    assert expected == (STANDARDS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    """Each generated schema is a valid Draft 2020-12 JSON Schema."""
    Draft202012Validator.check_schema(SCHEMAS[name]())


def test_check_fails_on_a_stale_file_and_writing_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The schema tool's --check fails on a stale file without writing, and a write fixes it."""
    (tmp_path / "scale.schema.json").write_text("{}\n", encoding="utf-8")
    assert main(["--check", "--dir", str(tmp_path)]) == 1
    assert "scale.schema.json: differs from the model" in capsys.readouterr().err
    assert (tmp_path / "scale.schema.json").read_text(encoding="utf-8") == "{}\n"
    assert main(["--dir", str(tmp_path)]) == 0
    assert main(["--check", "--dir", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SCHEMAS)


def test_check_passes_on_the_shipped_files() -> None:
    """The schema tool's --check passes on the shipped schema files."""
    assert main(["--check"]) == 0


@attrs.frozen
class _Odd:
    gate: str = attrs.field(validator=attrs.validators.max_len(3))
    at: float = 0.0


def test_a_validator_without_a_schema_stops_the_generator() -> None:
    """A field validator with no JSON Schema translation stops the generator."""
    with pytest.raises(TypeError, match=r"no JSON Schema for validator .* of _Odd.gate"):
        _Builder().ref(_Odd)


def test_a_type_without_a_schema_stops_the_generator() -> None:
    """A field type with no JSON Schema translation stops the generator."""
    with pytest.raises(TypeError, match=r"no JSON Schema for <class 'complex'>"):
        _Builder().type(complex)


def test_field_descriptions_come_from_the_attributes_section() -> None:
    """Schema descriptions come from the class docstring and its Attributes section."""
    cell = SCHEMAS["scale.schema.json"]()["$defs"]["Cell"]
    assert cell["description"].startswith(
        "What a standard asks of a kind: one cell of the requirements table."
    )
    expected = "Someone other than the author must do it."
    assert expected == cell["properties"]["independent"]["description"]


def test_shorthand_classes_take_a_string_or_a_mapping() -> None:
    """A cell and a depth may be written as a string; the schema says which strings."""
    props = SCHEMAS["scale.schema.json"]()["$defs"]["Scale"]["properties"]
    cell = props["requirements"]["additionalProperties"]["additionalProperties"]
    assert [alt.get("type") for alt in cell["anyOf"]] == ["string", None]
    assert cell["anyOf"][1] == {"$ref": "#/$defs/Cell"}


# --------------------------------------------------- shipped files validate

SHIPPED_SCALES = sorted(p for p in STANDARDS.glob("*.yaml") if p.name != "gates.yaml")


@pytest.mark.parametrize("path", SHIPPED_SCALES, ids=lambda p: p.name)
def test_shipped_scale_validates(path: Path) -> None:
    """Every shipped scale file validates against the scale schema."""
    assert schema_errors(SCALE, yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def test_shipped_gates_validate() -> None:
    """The shipped gates file validates against the gates schema."""
    doc = yaml.safe_load((STANDARDS / "gates.yaml").read_text(encoding="utf-8"))
    assert schema_errors(GATES, doc) == []


def example_files() -> Iterator[tuple[Path, str]]:
    """Every example file with the schema its content calls for (as ``load_document`` decides)."""
    for path in sorted(EXAMPLES.rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json"):
            continue
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and doc.keys() & {"signoffs", "waivers", "artifacts"}:
            continue  # a sign-off file: evidence, read by verify (tests/test_cli_verify.py)
        if isinstance(doc, dict) and ("standards" in doc or "extends" in doc):
            yield path, "scale"
        elif isinstance(doc, list) or (isinstance(doc, dict) and "deliveries" in doc):
            yield path, "history"
        else:
            yield path, "delivery"


@pytest.mark.parametrize(
    ("path", "kind"),
    [pytest.param(p, k, id=f"{p.relative_to(EXAMPLES)}:{k}") for p, k in example_files()],
)
def test_example_validates_and_loads(path: Path, kind: str) -> None:
    """Every example file validates against its schema and loads."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert schema_errors(validator(kind), doc) == []
    load_document(path)


# ------------------------------------------------------ mutation agreement

DROP = object()


class Mutation(NamedTuple):
    path: KeyPath
    value: object
    verdict: Verdict


def mutate(doc: Any, path: KeyPath, value: object) -> Any:
    doc = copy.deepcopy(doc)
    node = doc
    for step in path[:-1]:
        node = node[step]
    if value is DROP:
        if path[-1] in (node if isinstance(node, dict) else range(len(node))):
            del node[path[-1]]
    elif isinstance(node, list) and path[-1] == len(node):
        node.append(value)
    else:
        node[path[-1]] = value
    return doc


def scale_doc() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((STANDARDS / "billing-saas.yaml").read_text("utf-8"))
    gates = yaml.safe_load((STANDARDS / "gates.yaml").read_text(encoding="utf-8"))
    doc["gates"] = gates["gates"]
    return doc


SCALE_DOC = scale_doc()
REQ: KeyPath = ("requirements", "regression", "S2")
MREQ: KeyPath = ("rules", "modifiers", 2, "requires", 0)
DEPTH: KeyPath = ("kinds", 2, "depths", 1)
CLS: KeyPath = ("rules",)
BAND: KeyPath = (*CLS, "size", "bands", 0)
COMP: KeyPath = (*CLS, "components", 2)
MOD: KeyPath = (*CLS, "modifiers", 0)
HIST: KeyPath = (*CLS, "history", 0)

SCALE_MUTATIONS: dict[str, Mutation] = {
    # accepted by both: the table can tell a valid change from an invalid one
    "depth may be null": Mutation((*REQ, "depth"), None, "valid"),
    "monotone off": Mutation(("monotone",), False, "valid"),
    "no gates, yet requirements name them": Mutation(("gates",), [], "loader-only"),
    "empty when": Mutation((*MOD, "when"), {}, "valid"),
    "band without limits": Mutation((*BAND, "max_lines"), None, "valid"),
    "independent": Mutation((*REQ, "independent"), True, "valid"),
    "cell written short": Mutation(REQ, "required smoke", "valid"),
    "cell without a depth": Mutation(REQ, "required", "valid"),
    "cell as an empty mapping": Mutation(REQ, {}, "valid"),
    "depth written as its id": Mutation(DEPTH, "targeted", "valid"),
    "criteria null": Mutation((*REQ, "criteria"), None, "valid"),
    "misspelt shorthand": Mutation(REQ, "requird smoke", "invalid"),
    "shorthand with three words": Mutation(REQ, "required smoke full", "invalid"),
    "empty shorthand": Mutation(REQ, "", "invalid"),
    "cell is a number": Mutation(REQ, 3, "invalid"),
    "cell is a list": Mutation(REQ, ["required"], "invalid"),
    "row is a list": Mutation(("requirements", "unit"), ["required"], "invalid"),
    "depth id with a space": Mutation(DEPTH, "very deep", "invalid"),
    "unknown depth key": Mutation((*DEPTH, "owner"), "qa", "invalid"),
    "modifier requirement written short": Mutation(MREQ, "required sample", "invalid"),
    # unknown keys at several depths
    "unknown top key": Mutation(("colour",), "blue", "invalid"),
    "unknown standard key": Mutation(("standards", 1, "level"), 2, "invalid"),
    "unknown requirement key": Mutation((*REQ, "owner"), "qa", "invalid"),
    "unknown rules key": Mutation((*CLS, "weights"), {}, "invalid"),
    "unknown band key": Mutation((*BAND, "max_bytes"), 10, "invalid"),
    "unknown condition key": Mutation((*MOD, "when", "paths"), ["a"], "invalid"),
    "unknown gate key": Mutation(("gates", 0, "owner"), "x", "invalid"),
    "unknown history key": Mutation((*HIST, "weight"), 1, "invalid"),
    # wrong types
    "name is a number": Mutation(("name",), 3, "invalid"),
    "version is a float": Mutation(("version",), 1.5, "invalid"),
    "kind name is a number": Mutation(("kinds", 0, "name"), 3, "invalid"),
    "criteria item is a number": Mutation((*REQ, "criteria", 0), 80, "invalid"),
    "independent is a string": Mutation((*REQ, "independent"), "yes", "invalid"),
    "monotone is null": Mutation(("monotone",), None, "invalid"),
    "description is null": Mutation(("description",), None, "invalid"),
    "max_lines is a string": Mutation((*BAND, "max_lines"), "10", "invalid"),
    "max_lines is a boolean": Mutation((*BAND, "max_lines"), True, "invalid"),
    "matrix cell is a number": Mutation((*CLS, "matrix", "small", "low"), 1, "invalid"),
    "gates is a number": Mutation(("gates",), 7, "invalid"),
    "gates is null": Mutation(("gates",), None, "invalid"),
    # out of range
    "negative size": Mutation((*BAND, "max_lines"), -1, "invalid"),
    "negative raise_by": Mutation((*MOD, "raise_by"), -1, "invalid"),
    "zero window": Mutation((*HIST, "window"), 0, "invalid"),
    "zero history raise": Mutation((*HIST, "raise_by"), 0, "invalid"),
    "id with a space": Mutation((*MOD, "id"), "docs only", "invalid"),
    "id with a trailing newline": Mutation((*MOD, "id"), "docs-only\n", "invalid"),
    "id starting with a dash": Mutation((*MOD, "id"), "-docs", "invalid"),
    # wrong enum values
    "obligation": Mutation((*REQ, "obligation"), "mandatory", "invalid"),
    "obligation is null": Mutation((*REQ, "obligation"), None, "invalid"),
    "component content": Mutation((*COMP, "content"), "binary", "invalid"),
    "condition content": Mutation((*MOD, "when", "content", 0), "prose", "invalid"),
    "history measure": Mutation((*HIST, "measure"), "defects", "invalid"),
    # required keys dropped
    "no version": Mutation(("version",), DROP, "invalid"),
    "no rules": Mutation(("rules",), DROP, "invalid"),
    "no standard id": Mutation(("standards", 0, "id"), DROP, "invalid"),
    "no modifier requirement kind": Mutation((*MREQ, "kind"), DROP, "invalid"),
    "no depth id": Mutation((*DEPTH, "id"), DROP, "invalid"),
    "no risk classes": Mutation((*CLS, "risk", "classes"), DROP, "invalid"),
    "no unknown band": Mutation((*CLS, "size", "unknown"), DROP, "invalid"),
    "no criticality": Mutation((*COMP, "criticality"), DROP, "invalid"),
    "no history measure": Mutation((*HIST, "measure"), DROP, "invalid"),
    # a list where a mapping is expected, and the other way round
    "matrix is a list": Mutation((*CLS, "matrix"), [["S1"]], "invalid"),
    "risk flags is a list": Mutation((*CLS, "risk", "flags"), ["money"], "invalid"),
    "standard is a list": Mutation(("standards", 0), ["S1"], "invalid"),
    "when is a list": Mutation((*MOD, "when"), ["docs"], "invalid"),
    "kinds is a mapping": Mutation(("kinds",), {"unit": {}}, "invalid"),
    "paths is a string": Mutation((*COMP, "paths"), "src/rating/**", "invalid"),
    # semantic problems: only the loader can see them
    "unknown kind row": Mutation(("requirements", "perf"), {"S1": "optional"}, "loader-only"),
    "unknown standard column": Mutation(("requirements", "unit", "S9"), "optional", "loader-only"),
    "unknown modifier kind": Mutation((*MREQ, "kind"), "perf", "loader-only"),
    "unknown kind environment": Mutation(("kinds", 0, "environment"), "cl", "loader-only"),
    "unknown depth gate": Mutation((*DEPTH, "gate"), "G9", "loader-only"),
    "unknown shorthand depth": Mutation(REQ, "required everything", "loader-only"),
    "unknown depth": Mutation((*REQ, "depth"), "everything", "loader-only"),
    "unknown gate": Mutation((*REQ, "gate"), "G9", "loader-only"),
    "matrix names no standard": Mutation((*CLS, "matrix", "small", "low"), "S9", "loader-only"),
    "duplicate kind id": Mutation(("kinds", 1, "id"), "unit", "loader-only"),
    "no standards": Mutation(("standards",), [], "loader-only"),
    "not monotone": Mutation((*CLS, "matrix", "huge", "critical"), "S1", "loader-only"),
    "modifier does nothing": Mutation((*MOD, "ceiling"), DROP, "loader-only"),
    # JSON Schema counts 10.0 as an integer; YAML and the loader do not.
    "max_lines is 10.0": Mutation((*BAND, "max_lines"), 10.0, "loader-only"),
}


def scale_load_error(doc: Any) -> ScaleError | None:
    try:
        qualscale.Scale.from_dict(doc)
    except ScaleError as exc:
        return exc
    return None


def assert_agree(verdict: Verdict, errors: list[str], loader_error: ValidationError | None) -> None:
    shown = f"schema: {errors}\nloader: {loader_error}"
    if verdict == "loader-only":
        assert (errors, True) == ([], loader_error is not None), shown
    else:
        invalid = verdict == "invalid"
        assert (bool(errors), loader_error is not None) == (invalid, invalid), shown


def test_unmutated_documents_are_valid() -> None:
    """The unmutated scale and delivery documents pass both the schema and the loader."""
    assert schema_errors(SCALE, SCALE_DOC) == []
    assert scale_load_error(SCALE_DOC) is None
    assert schema_errors(DELIVERY, DELIVERY_DOC) == []
    Delivery.from_dict(DELIVERY_DOC)


@pytest.mark.parametrize("case", sorted(SCALE_MUTATIONS))
def test_scale_schema_and_loader_agree(case: str) -> None:
    """For each scale mutation the schema and the loader give the verdict in the table."""
    mutation = SCALE_MUTATIONS[case]
    doc = mutate(SCALE_DOC, mutation.path, mutation.value)
    assert_agree(mutation.verdict, schema_errors(SCALE, doc), scale_load_error(doc))


DELIVERY_DOC: dict[str, Any] = {
    "id": "DEL-1042",
    "title": "Round VAT per invoice line",
    "type": "feature",
    "changes": {"lines_added": 1620, "lines_removed": 410, "files": 23},
    "paths": ["src/rating/vat.py", "tariffs/2027/tariff-energy.csv"],
    "components": ["rating"],
    "flags": ["money"],
    "project": "billing-core",
    "source": {"git": {"range": "main..vat", "commits": 3}, "tags": ["x"]},
}

DELIVERY_MUTATIONS: dict[str, Mutation] = {
    "type may be null": Mutation(("type",), None, "valid"),
    "no changes": Mutation(("changes",), DROP, "valid"),
    "unknown lines": Mutation(("changes", "lines_added"), None, "valid"),
    "source holds anything": Mutation(("source", "extra"), [1, None, {"a": True}], "valid"),
    "only an id": Mutation(("title",), DROP, "valid"),
    "unknown top key": Mutation(("owner",), "me", "invalid"),
    "unknown changes key": Mutation(("changes", "lines"), 3, "invalid"),
    "id is a number": Mutation(("id",), 1042, "invalid"),
    "id is empty": Mutation(("id",), "", "invalid"),
    "id is blank": Mutation(("id",), " \t", "invalid"),
    "title is null": Mutation(("title",), None, "invalid"),
    "wrong type": Mutation(("type",), "feat", "invalid"),
    "type is a list": Mutation(("type",), ["feature"], "invalid"),
    "negative files": Mutation(("changes", "files"), -1, "invalid"),
    "lines is a string": Mutation(("changes", "lines_removed"), "410", "invalid"),
    "no id": Mutation(("id",), DROP, "invalid"),
    "changes is a list": Mutation(("changes",), [1620, 410], "invalid"),
    "paths is a string": Mutation(("paths",), "src/rating/vat.py", "invalid"),
    "flag is a number": Mutation(("flags", 0), 1, "invalid"),
    "source is a list": Mutation(("source",), ["git"], "invalid"),
    "project is a boolean": Mutation(("project",), False, "invalid"),
    # JSON Schema counts 23.0 as an integer; YAML and the loader do not.
    "files is 23.0": Mutation(("changes", "files"), 23.0, "loader-only"),
}


def delivery_load_error(doc: Any) -> DeliveryError | None:
    try:
        Delivery.from_dict(doc)
    except DeliveryError as exc:
        return exc
    return None


@pytest.mark.parametrize("case", sorted(DELIVERY_MUTATIONS))
def test_delivery_schema_and_loader_agree(case: str) -> None:
    """For each delivery mutation the schema and the loader give the verdict in the table."""
    mutation = DELIVERY_MUTATIONS[case]
    doc = mutate(DELIVERY_DOC, mutation.path, mutation.value)
    assert_agree(mutation.verdict, schema_errors(DELIVERY, doc), delivery_load_error(doc))


@pytest.mark.parametrize("doc", [[], "DEL-1", None, 3], ids=repr)
def test_a_delivery_must_be_a_mapping(doc: object) -> None:
    """A delivery that is not a mapping is rejected by both schema and loader."""
    assert_agree("invalid", schema_errors(DELIVERY, doc), delivery_load_error(doc))


# --------------------------------------------- files: overlays, gates, history


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def file_load_error(path: Path) -> ValidationError | None:
    try:
        load_document(path)
    except ValidationError as exc:
        return exc
    return None


FILES: dict[str, tuple[str, Verdict]] = {
    "overlay with partial items": (
        """\
        extends: billing-saas
        rules:
          matrix: {small: {low: S2}}
          size: {unknown: large}
          history: [{id: incidents, window: 5}]
          components: [{id: rating, paths: ["src/rating/**"]}]
        """,
        "valid",
    ),
    "overlay with nothing but extends": ("extends: billing-saas\n", "valid"),
    "overlay removing and replacing": (
        """\
        extends: generic
        kinds: [{id: performance, remove: true}, {id: acceptance, replace: true, depths: [demo]}]
        requirements: {acceptance: {S4: required demo}}
        rules:
          modifiers: [{id: performance-sensitive, remove: true}]
          risk: {unmapped_paths: null}
        """,
        "valid",
    ),
    "overlay removing an unknown id": (
        "extends: generic\nkinds: [{id: perf, remove: true}]\n",
        "loader-only",
    ),
    "overlay with remove: false": (
        "extends: generic\nkinds: [{id: unit, remove: false}]\n",
        "invalid",
    ),
    "overlay with gates from a file": ("extends: billing-saas\ngates: gates.yaml\n", "valid"),
    "overlay with an unknown key": ("extends: billing-saas\ncolour: blue\n", "invalid"),
    "overlay with a wrong type": ("extends: billing-saas\nmonotone: 'no'\n", "invalid"),
    "overlay with a bad nested value": (
        "extends: billing-saas\nrules: {history: [{id: incidents, window: 0}]}\n",
        "invalid",
    ),
    "overlay requirement without kind": (
        "extends: billing-saas\nstandards: [{id: S1, requires: [{depth: suite}]}]\n",
        "invalid",
    ),
    "extends is null": ("extends:\nname: x\n", "invalid"),
    "extends is a list": ("extends: [billing-saas]\n", "invalid"),
    "extends an unknown scale": ("extends: billing-sass\n", "loader-only"),
    "a scale without extends is complete": ("name: x\nversion: '1'\n", "invalid"),
    "gates file that does not exist": ("extends: billing-saas\ngates: nope.yaml\n", "loader-only"),
}


@pytest.mark.parametrize("case", sorted(FILES))
def test_scale_file_schema_and_loader_agree(case: str, tmp_path: Path) -> None:
    """For each overlay file the schema and the file loader give the verdict in the table."""
    text, verdict = FILES[case]
    write(tmp_path, "gates.yaml", (STANDARDS / "gates.yaml").read_text(encoding="utf-8"))
    path = write(tmp_path, "scale.yaml", text)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert_agree(verdict, schema_errors(SCALE, doc), file_load_error(path))


GATES_FILES: dict[str, tuple[str, Verdict]] = {
    "gates only": ("gates: [{id: G1}]\n", "valid"),
    "policy and description": ("policy: P\ndescription: D\ngates: []\n", "valid"),
    "unknown key": ("polcy: P\ngates: [{id: G1}]\n", "invalid"),
    "policy is a number": ("policy: 5\ngates: [{id: G1}]\n", "invalid"),
    "unknown gate key": ("gates: [{id: G1, owner: me}]\n", "invalid"),
    "no gates": ("policy: P\n", "invalid"),
}


@pytest.mark.parametrize("case", sorted(GATES_FILES))
def test_gates_file_schema_and_loader_agree(case: str, tmp_path: Path) -> None:
    """For each gates file the schema and the scale loader give the verdict in the table."""
    text, verdict = GATES_FILES[case]
    gates = write(tmp_path, "gates.yaml", text)
    scale = write(tmp_path, "scale.yaml", "extends: billing-saas\ngates: gates.yaml\n")
    doc = yaml.safe_load(gates.read_text(encoding="utf-8"))
    assert_agree(verdict, schema_errors(GATES, doc), file_load_error(scale))


HISTORY_FILES: dict[str, tuple[str, Verdict]] = {
    "mapping": ("deliveries: [{id: D1, escaped_defects: 1, date: '2026-10-01'}]\n", "valid"),
    "bare list": ("- {id: D1, incidents: 2}\n- {id: D2, project: p}\n", "valid"),
    "empty mapping": ("{}\n", "valid"),
    "empty list": ("[]\n", "valid"),
    "unknown key": ("deliveries: []\nowner: me\n", "invalid"),
    "unknown item key": ("- {id: D1, defects: 1}\n", "invalid"),
    "negative incidents": ("- {id: D1, incidents: -1}\n", "invalid"),
    "no id": ("- {standard: S1}\n", "invalid"),
    "deliveries is a mapping": ("deliveries: {D1: {}}\n", "invalid"),
    "item is a string": ("- D1\n", "invalid"),
}


@pytest.mark.parametrize("case", sorted(HISTORY_FILES))
def test_history_schema_and_loader_agree(case: str, tmp_path: Path) -> None:
    """For each history file the schema and the loader give the verdict in the table."""
    text, verdict = HISTORY_FILES[case]
    path = write(tmp_path, "history.yaml", text)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        qualscale.load_history(path)
        error = None
    except DeliveryError as exc:
        error = exc
    assert_agree(verdict, schema_errors(HISTORY, doc), error)


def test_an_unquoted_date_reads_as_the_same_date(tmp_path: Path) -> None:
    """An unquoted date reads as the ISO date it spells; a day that does not exist is located."""
    # Editors read YAML 1.2, where 2026-10-01 is a string; the loader (YAML 1.1)
    # sees a date. Both must mean the same day.
    path = write(tmp_path, "history.yaml", "- {id: D1, date: 2026-10-01}\n")
    assert qualscale.load_history(path).deliveries[0].date == "2026-10-01"
    bad = write(tmp_path, "bad.yaml", "- {id: D1, date: 2026-02-30}\n")
    with pytest.raises(DeliveryError) as info:
        qualscale.load_history(bad)
    assert [m.split(": ", 1)[0] for m in info.value.messages] == [f"{bad}:1"]
    assert "date: not a date" in info.value.messages[0]


# ------------------------------------------------------- the property


def key_paths(node: Any, prefix: KeyPath = ()) -> Iterator[KeyPath]:
    """Every place in ``node`` a value can go: each key and item, a new key, past the end."""
    if isinstance(node, dict):
        steps: list[str | int] = [*node, "bogus"]
    elif isinstance(node, list):
        steps = list(range(len(node) + 1))
    else:
        return
    for step in steps:
        yield (*prefix, step)
        exists = step in node if isinstance(node, dict) else int(step) < len(node)
        if exists:
            yield from key_paths(node[step], (*prefix, step))


DELIVERY_PATHS = list(key_paths(DELIVERY_DOC))
FIELD_NAMES = sorted({*DELIVERY_DOC, *DELIVERY_DOC["changes"], "bogus"})
EDGES: list[object] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2.5,
    "",
    " ",
    "\n",
    "x",
    "x\n",
    [],
    {},
    *DELIVERY_TYPES,
]
leaves = (
    st.none()
    | st.booleans()
    | st.integers(-2, 3)
    # Integral floats are the one known disagreement (see the tables above).
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer())
    | st.text(max_size=4)
)
json_values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=6,
)


@pytest.mark.parametrize("path", DELIVERY_PATHS, ids=lambda p: ".".join(map(str, p)))
@settings(max_examples=40)
@given(value=st.sampled_from([DROP, *EDGES]) | json_values)
def test_delivery_schema_valid_iff_loader_accepts(path: KeyPath, value: object) -> None:
    """Any mutation of a delivery passes the schema exactly when the loader accepts it."""
    doc = mutate(DELIVERY_DOC, path, value)
    errors = schema_errors(DELIVERY, doc)
    error = delivery_load_error(doc)
    note(f"document: {doc!r}\nschema: {errors}\nloader: {error}")
    assert (errors == []) == (error is None)


@pytest.mark.parametrize("path", DELIVERY_PATHS, ids=lambda p: ".".join(map(str, p)))
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.sampled_from([DROP, *EDGES]) | json_values)
def test_delivery_file_mutation_problems_name_file_and_line(
    tmp_path: Path, path: KeyPath, value: object
) -> None:
    """Every problem of any mutated delivery file names that file and a line."""
    target = tmp_path / "delivery.yaml"
    target.write_text(yaml.safe_dump(mutate(DELIVERY_DOC, path, value)), encoding="utf-8")
    problems: tuple[qualscale.Problem, ...] = ()
    try:
        qualscale.load_delivery(target)
    except DeliveryError as exc:
        problems = exc.problems
    unlocated = [p for p in problems if p.file != str(target) or p.line is None]
    assert unlocated == []
