"""Loading scales, deliveries and histories: located errors for every bad input."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import qualscale
from qualscale import DeliveryError, QualscaleError, ScaleError
from qualscale.loading import bundled_scales, load_document
from qualscale.requirements import Kind
from tests._paths import EXAMPLES, STANDARDS


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_default_scale_is_billing_saas() -> None:
    """With no argument load_scale returns the bundled billing-saas scale."""
    assert qualscale.load_scale().name == "billing-saas"


@pytest.mark.parametrize("name", ["billing-saas", "generic", "safety-levels"])
def test_bundled_scale_by_name_equals_by_path(name: str) -> None:
    """A bundled scale loads the same by name as by the path of its file."""
    assert qualscale.load_scale(name) == qualscale.load_scale(STANDARDS / f"{name}.yaml")


def test_bundled_scales_lists_shipped_scales() -> None:
    """bundled_scales lists the names of the shipped scales."""
    assert bundled_scales() == ["billing-saas", "generic", "safety-levels"]


def test_unknown_bundled_name_lists_the_known_ones() -> None:
    """An unknown scale name raises a ScaleError listing the bundled names."""
    with pytest.raises(ScaleError, match=r"unknown scale 'nope'; bundled scales: billing-saas"):
        qualscale.load_scale("nope")


def test_delivery_file_loads(tmp_path: Path) -> None:
    """A YAML delivery file loads into the Delivery with every field it gives."""
    path = write(
        tmp_path,
        "d.yaml",
        """\
        id: DEL-1042
        title: Round VAT per invoice line
        type: feature
        changes: {lines_added: 120, lines_removed: 30, files: 4}
        paths: [src/rating/vat.py]
        components: [rating]
        flags: [money]
        project: billing-core
        """,
    )
    delivery = qualscale.load_delivery(path)
    assert delivery == qualscale.Delivery(
        id="DEL-1042",
        title="Round VAT per invoice line",
        type="feature",
        changes=qualscale.Changes(120, 30, 4),
        paths=("src/rating/vat.py",),
        components=("rating",),
        flags=("money",),
        project="billing-core",
    )


def test_json_delivery_loads(tmp_path: Path) -> None:
    """A JSON delivery file loads like a YAML one."""
    path = write(
        tmp_path, "d.json", '{"id": "X-1", "changes": {"lines_added": 3, "lines_removed": 0}}'
    )
    assert qualscale.load_delivery(path).changes.lines == 3


def test_files_default_to_number_of_paths() -> None:
    """Without a files count, a delivery counts its distinct paths."""
    delivery = qualscale.Delivery.from_dict({"id": "X", "paths": ["a.py", "b.py", "a.py"]})
    assert delivery.files == 2


def problems_of(exc: pytest.ExceptionInfo[qualscale.ValidationError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "id: X\nchanges: {lines_added: -5}\n",
            ":2: $.changes.lines_added: expected a non-negative integer, found -5",
        ),
        ("id: X\ntype: featur\n", ":2: $.type: expected one of 'feature'"),
        ("id: X\ntype: featur\n", "(did you mean 'feature'?)"),
        ("id: X\ntitel: oops\n", ":2: $.titel: unknown key 'titel'"),
        ("id: X\ntitel: oops\n", "(did you mean 'title'?)"),
        ("title: no id\n", ":1: $.id: required key missing"),
        ("id: X\nflags: money\n", ":2: $.flags: expected a list, found string 'money'"),
        ("id: 12\n", ":1: $.id: expected a string, found number 12 (quote it)"),
        ("id: X\nchanges: {lines_added: '12'}\n", "expected an integer, found string '12'"),
        ("id: X\nchanges: {files: true}\n", "expected an integer, found boolean true"),
        ("- just\n- a list\n", "$: expected a mapping, found a list"),
        ("id: [unclosed\n", ":2: $: invalid YAML"),
        ("id: X\nid: Y\n", ":2: $.id: duplicate key 'id'"),
        ("{1: x}\n", "expected a string key, found '1'"),
        (
            "id: !!python/object/apply:os.system ['echo hacked']\n",
            "unsupported tag 'tag:yaml.org,2002:python/object/apply:os.system'",
        ),
        ("id: !custom X\n", "unsupported tag '!custom'"),
    ],
)
def test_bad_delivery_gets_a_located_message(tmp_path: Path, text: str, expected: str) -> None:
    """Each kind of bad delivery file gets a message naming file, line and key path."""
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(DeliveryError) as exc:
        qualscale.load_delivery(path)
    assert any(str(path) in p and expected in p for p in problems_of(exc)), problems_of(exc)


def test_every_problem_of_a_file_is_reported(tmp_path: Path) -> None:
    """All problems of a delivery file are reported at once, not only the first."""
    path = write(
        tmp_path,
        "bad.yaml",
        """\
        id: X
        type: nope
        changes: {lines_added: x, lines_removed: y}
        colour: red
        """,
    )
    with pytest.raises(DeliveryError) as exc:
        qualscale.load_delivery(path)
    paths = sorted(p.key for p in exc.value.problems)
    assert paths == [
        "$.changes.lines_added",
        "$.changes.lines_removed",
        "$.colour",
        "$.type",
    ]


def test_python_tags_execute_nothing(tmp_path: Path) -> None:
    """A python tag in YAML is refused without running the code it names."""
    marker = tmp_path / "hacked"
    path = write(
        tmp_path,
        "evil.yaml",
        f"id: !!python/object/apply:os.system ['touch {marker}']\n",
    )
    with pytest.raises(DeliveryError):
        qualscale.load_delivery(path)
    assert not marker.exists()


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    """A YAML alias bomb is refused as such before it is expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, this = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{this}: &{this} [{', '.join(['*' + prev] * 9)}]")
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    started = time.perf_counter()
    with pytest.raises(DeliveryError, match="alias bomb"):
        qualscale.load_delivery(path)
    # Not a timing assertion of the code's speed: a guard that it stopped early
    # instead of expanding 9**9 values, with a wide margin for slow machines.
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda p: None, "file not found"),
        (lambda p: p.mkdir(), "expected a file, found a directory"),
        (lambda p: p.write_bytes(b"id: \xff\xfe\n"), "not UTF-8 text"),
    ],
)
def test_unreadable_files(tmp_path: Path, setup: object, expected: str) -> None:
    """A missing file, a directory or non-UTF-8 bytes raise a DeliveryError saying which."""
    path = tmp_path / "d.yaml"
    setup(path)  # type: ignore[operator]
    with pytest.raises(DeliveryError, match=expected):
        qualscale.load_delivery(path)


def test_empty_delivery_file(tmp_path: Path) -> None:
    """An empty delivery file is an error: a mapping was expected, null found."""
    path = write(tmp_path, "empty.yaml", "")
    with pytest.raises(DeliveryError, match="expected a mapping, found null"):
        qualscale.load_delivery(path)


def test_history_accepts_a_bare_list(tmp_path: Path) -> None:
    """A history file may be a bare list of past deliveries."""
    path = write(tmp_path, "h.yaml", "- {id: A, escaped_defects: 1}\n- {id: B}\n")
    history = qualscale.load_history(path)
    assert [d.id for d in history.deliveries] == ["A", "B"]


def test_history_errors_are_located(tmp_path: Path) -> None:
    """A bad value in a history file is reported with its file, line and key path."""
    path = write(tmp_path, "h.yaml", "deliveries:\n  - {id: A}\n  - {id: B, incidents: -1}\n")
    with pytest.raises(DeliveryError) as exc:
        qualscale.load_history(path)
    assert problems_of(exc) == [
        f"{path}:3: $.deliveries[1].incidents: expected a non-negative integer, found -1"
    ]


# ------------------------------------------------------------------ scales


def scale_text(**replace: str) -> str:
    text = (STANDARDS / "billing-saas.yaml").read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new, 1)
    return text.replace("gates: gates.yaml", f"gates: {STANDARDS / 'gates.yaml'}")


def test_scale_error_names_line_and_key_path(tmp_path: Path) -> None:
    """A misspelt kind row is reported once, with file, line, key path and a did-you-mean."""
    text = scale_text(**{"  regression:\n    S1:": "  regresion:\n    S1:"})
    path = write(tmp_path, "s.yaml", text)
    with pytest.raises(ScaleError) as exc:
        qualscale.load_scale(path)
    line = text.splitlines().index("  regresion:") + 1
    assert problems_of(exc) == [
        f"{path}:{line}: $.requirements.regresion: unknown kind 'regresion'; expected "
        "one of: unit, integration, regression, performance, security, acceptance, "
        "data-validation (did you mean 'regression'?)"
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    S4: required targeted\n",
            "    S4: requird targeted\n",
            "$.requirements.security.S4: unknown obligation 'requird' in 'requird targeted';"
            " expected one of: required, recommended, optional, discouraged"
            " (did you mean 'required'?)",
        ),
        (
            "    S4: required full\n",
            "    S4: required fll\n",
            "$.requirements.regression.S4: unknown depth of kind 'regression' 'fll'; expected"
            " one of: smoke, targeted, full (did you mean 'full'?)",
        ),
        (
            "    S4: required full\n",
            "    S4: required full now\n",
            "$.requirements.regression.S4: expected 'OBLIGATION [DEPTH]', such as"
            " 'required smoke'; found 'required full now'",
        ),
        (
            "    S4: required full\n",
            "    S44: required full\n",
            "$.requirements.regression.S44: unknown standard 'S44'; expected one of:"
            " S1, S2, S3, S4, S5 (did you mean 'S4'?)",
        ),
        (
            "    S4: required full\n",
            "    S4: {obligation: required, depth: full, environment: prod}\n",
            "$.requirements.regression.S4.environment: unknown environment 'prod'",
        ),
        (
            "      - {id: smoke, criteria: [Smoke scenarios pass]}\n",
            "      - {id: smoke, gate: G9, criteria: [Smoke scenarios pass]}\n",
            "$.kinds[2].depths[0].gate: unknown gate 'G9'",
        ),
        (
            "    S4: required full\n",
            "    S4: 4\n",
            "$.requirements.regression.S4: expected a string or a mapping, found number 4",
        ),
        (
            "        - {kind: performance, obligation: required, depth: baseline}\n",
            "        - {kind: performance, obligation: required, depth: base}\n",
            "$.rules.modifiers[7].requires[0].depth: unknown depth of kind 'performance' 'base'",
        ),
    ],
)
def test_table_errors_name_line_and_key_path(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    """Every mistake in the requirements table or a depth is located at its own line."""
    text = scale_text(**{old: new})
    path = write(tmp_path, "s.yaml", text)
    with pytest.raises(ScaleError) as exc:
        qualscale.load_scale(path)
    line = text.splitlines().index(new.rstrip("\n")) + 1
    assert any(p.startswith(f"{path}:{line}: {expected}") for p in problems_of(exc)), problems_of(
        exc
    )


def test_scale_errors_in_the_gates_file_name_that_file(tmp_path: Path) -> None:
    """A problem in a scale's gates file names the gates file and its line."""
    gates = write(tmp_path, "gates.yaml", "gates:\n  - {id: G1, nme: x}\n")
    text = scale_text().replace(f"gates: {STANDARDS / 'gates.yaml'}", "gates: gates.yaml")
    path = write(tmp_path, "s.yaml", text)
    with pytest.raises(ScaleError) as exc:
        qualscale.load_scale(path)
    assert any(p.startswith(f"{gates}:2: $.gates[0].nme") for p in problems_of(exc))


def test_scale_with_unknown_gate_reference(tmp_path: Path) -> None:
    """A requirement naming an unknown gate is rejected with its key path."""
    path = write(tmp_path, "s.yaml", scale_text(**{"gate: G4": "gate: G44"}))
    with pytest.raises(ScaleError, match=r"\$\.kinds\[0\]\.gate: unknown gate 'G44'"):
        qualscale.load_scale(path)


def test_overlay_extends_the_bundled_scale() -> None:
    """An overlay extends the bundled scale, merging items by id or kind and keeping the rest."""
    overlay = qualscale.load_scale(EXAMPLES / "project-scale.yaml")
    base = qualscale.load_scale()
    assert overlay.name == "billing-core"
    assert [s.id for s in overlay.standards] == [s.id for s in base.standards]
    components = [c.id for c in overlay.rules.components]
    assert components[-1] == "tenant-config"
    assert len(components) == len(base.rules.components) + 1
    s3 = overlay.requirement("S3", "security")
    assert s3 is not None
    assert s3.obligation == "required"
    assert s3.depth == "static"
    assert s3.environment == "ci"  # from the depth, as in the base
    history = {h.id: h for h in overlay.rules.history}
    assert (history["escaped-defects"].window, history["escaped-defects"].at_least) == (3, 1)
    assert overlay.gates == base.gates


@pytest.mark.parametrize(
    ("overlay", "standard", "kind", "expected"),
    [
        (  # a short cell over a short cell: the depth is kept
            "requirements: {security: {S3: required}}",
            "S3",
            "security",
            {"obligation": "required", "depth": "static", "environment": "ci"},
        ),
        (  # a mapping over a mapping: key by key, the criteria are kept
            "requirements: {regression: {S2: {independent: true}}}",
            "S2",
            "regression",
            {"independent": True, "criteria": ("Smoke scenarios (rate, invoice, pay) pass",)},
        ),
        (  # a mapping over a short cell
            "requirements: {security: {S3: {gate: G3}}}",
            "S3",
            "security",
            {"obligation": "recommended", "depth": "static", "gate": "G3"},
        ),
        (  # a new cell
            "requirements: {acceptance: {S2: optional demo}}",
            "S2",
            "acceptance",
            {"obligation": "optional", "environment": "staging", "gate": "G2"},
        ),
        (  # a depth written as its id merges by id, keeping the base's details
            "kinds: [{id: performance, depths: [baseline, {id: load, environment: staging}]}]",
            "S4",
            "performance",
            {
                "depth": "load",
                "environment": "staging",
                "gate": "G3",
                "checklist": (
                    "Load profile agreed with operations",
                    "Report attached to G3 artifacts",
                ),
            },
        ),
        (  # a kind's default changes every depth that has none of its own
            "kinds: [{id: unit, gate: G3}]",
            "S1",
            "unit",
            {"depth": "suite", "gate": "G3", "environment": "ci"},
        ),
    ],
)
def test_overlay_merges_cells_and_depths(
    tmp_path: Path, overlay: str, standard: str, kind: str, expected: dict[str, object]
) -> None:
    """An overlay changes one cell or one depth and keeps what it does not mention."""
    path = write(tmp_path, "o.yaml", f"extends: billing-saas\n{overlay}\n")
    req = qualscale.load_scale(path).requirement(standard, kind)
    assert req is not None
    assert {key: getattr(req, key) for key in expected} == expected


def test_an_overlay_depth_comes_last(tmp_path: Path) -> None:
    """A depth an overlay adds to a kind is its deepest; the base's depths keep their order."""
    text = "extends: billing-saas\nkinds: [{id: regression, depths: [exhaustive]}]\n"
    kind = qualscale.load_scale(write(tmp_path, "o.yaml", text)).kind("regression")
    assert kind.depth_ids == ("smoke", "targeted", "full", "exhaustive")
    assert kind.depths[1].environment == "staging"


def test_an_overlay_can_mark_a_kind_or_a_depth_manual(tmp_path: Path) -> None:
    """``manual: true`` on a kind makes every depth manual; on a depth, that depth only."""
    text = (
        "extends: billing-saas\n"
        "kinds: [{id: performance, manual: true},\n"
        "        {id: regression, depths: [{id: full, manual: true}]}]\n"
    )
    scale = qualscale.load_scale(write(tmp_path, "o.yaml", text))
    assert all(scale.kind("performance").is_manual(d) for d in ("baseline", "stress", None))
    regression = scale.kind("regression")
    assert [regression.is_manual(d) for d in regression.depth_ids] == [False, False, True]


def test_manual_must_be_a_boolean(tmp_path: Path) -> None:
    """``manual: "yes"`` is refused with the file, line and key path."""
    text = "extends: billing-saas\nkinds:\n  - {id: performance, manual: 'yes'}\n"
    path = write(tmp_path, "o.yaml", text)
    with pytest.raises(ScaleError) as exc:
        qualscale.load_scale(path)
    problem = problems_of(exc)[0]
    assert problem == f"{path}:3: $.kinds[0].manual: expected true or false, found string 'yes'"


def test_an_overlay_can_give_kinds_a_cost_in_hours(tmp_path: Path) -> None:
    """``cost`` is hours per delivery (a whole or decimal number); a kind without one has none."""
    text = "extends: billing-saas\nkinds: [{id: performance, cost: 16}, {id: unit, cost: 0.5}]\n"
    scale = qualscale.load_scale(write(tmp_path, "o.yaml", text))
    assert [scale.kind(k).cost for k in ("performance", "unit", "security")] == [16, 0.5, None]


def test_costs_leave_the_fingerprint_of_a_scale_without_them() -> None:
    """A scale that gives no costs keeps the SHA-256 it had before kinds could have one."""
    scale = qualscale.load_scale("billing-saas")
    data = scale.to_dict()
    assert all(k["cost"] is None for k in data["kinds"])
    for kind in data["kinds"]:
        del kind["cost"]
    del data["rules"]["scores"]
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    assert scale.sha256 == hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("-1", "expected a finite number of hours, 0 or more; found -1"),
        ("-0.5", "expected a finite number of hours, 0 or more; found -0.5"),
        (".inf", "expected a finite number of hours, 0 or more; found inf"),
        (".nan", "expected a finite number of hours, 0 or more; found nan"),
        ("'3'", "expected a number, found string '3'"),
        ("true", "expected a number, found boolean true"),
    ],
)
def test_a_cost_must_be_a_finite_number_of_hours(tmp_path: Path, value: str, found: str) -> None:
    """A negative, infinite or non-numeric cost is refused with the file, line and key path."""
    text = f"extends: billing-saas\nkinds:\n  - {{id: performance, cost: {value}}}\n"
    path = write(tmp_path, "o.yaml", text)
    with pytest.raises(ScaleError) as exc:
        qualscale.load_scale(path)
    assert problems_of(exc) == [f"{path}:3: $.kinds[0].cost: {found}"]


def test_a_cost_built_in_python_is_checked_too() -> None:
    """``Kind(cost=-2)`` raises the same error as the file would."""
    with pytest.raises(ValueError, match="expected a finite number of hours"):
        Kind("unit", cost=-2)


def test_overlay_errors_point_into_the_overlay(tmp_path: Path) -> None:
    """A bad value in an overlay is located in the overlay file, not in its base."""
    path = write(
        tmp_path,
        "o.yaml",
        """\
        extends: billing-saas
        name: mine
        requirements:
          unit:
            S2: {obligation: mandatory}
        """,
    )
    with pytest.raises(ScaleError) as exc:
        qualscale.load_scale(path)
    assert any(
        p.startswith(f"{path}:5: $.requirements.unit.S2.obligation") for p in problems_of(exc)
    )


def test_extends_cycle_is_an_error(tmp_path: Path) -> None:
    """Two scales extending each other raise a ScaleError about the cycle."""
    write(tmp_path, "a.yaml", "extends: b.yaml\nname: a\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\nname: b\n")
    with pytest.raises(ScaleError, match="makes a cycle"):
        qualscale.load_scale(tmp_path / "a.yaml")


def test_extends_unknown_scale_is_located(tmp_path: Path) -> None:
    """Extending an unknown scale is reported at the line of the extends key."""
    path = write(tmp_path, "o.yaml", "name: x\nextends: billing-sass\n")
    with pytest.raises(ScaleError) as exc:
        qualscale.load_scale(path)
    assert problems_of(exc)[0].startswith(f"{path}:2: $.extends: unknown scale 'billing-sass'")


def test_scale_round_trips_through_to_dict(scale: qualscale.Scale) -> None:
    """A scale rebuilt from its to_dict output equals the original."""
    assert qualscale.Scale.from_dict(scale.to_dict()) == scale


def test_scale_round_trips_through_a_yaml_file(scale: qualscale.Scale, tmp_path: Path) -> None:
    """A scale dumped to a YAML file loads back equal."""
    import yaml

    path = tmp_path / "dumped.yaml"
    path.write_text(yaml.safe_dump(scale.to_dict(), sort_keys=False), encoding="utf-8")
    assert qualscale.load_scale(path) == scale


@pytest.mark.parametrize("path", sorted((EXAMPLES / "deliveries").glob("*.yaml")), ids=str)
def test_load_document_tells_files_apart(path: Path) -> None:
    """load_document reads every example delivery as a Delivery."""
    assert isinstance(load_document(path), qualscale.Delivery)


def test_load_document_on_scale_and_history() -> None:
    """load_document reads a scale file as a Scale and a history file as a History."""
    assert isinstance(load_document(STANDARDS / "safety-levels.yaml"), qualscale.Scale)
    assert isinstance(load_document(EXAMPLES / "history.yaml"), qualscale.History)


@pytest.mark.parametrize(
    ("loader", "text"),
    [(qualscale.load_scale, "extends: billing-sass\n"), (qualscale.load_delivery, "id: [x]\n")],
)
@pytest.mark.parametrize("caught", [QualscaleError, ValueError])
def test_errors_are_qualscale_errors_and_value_errors(
    tmp_path: Path, loader: Callable[[Path], object], text: str, caught: type[Exception]
) -> None:
    """A bad scale or delivery file raises an error caught as QualscaleError and as ValueError."""
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(caught):
        loader(path)


def test_import_does_not_pull_in_jinja2() -> None:
    """Importing qualscale does not import jinja2."""
    code = "import sys, qualscale; print('jinja2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_bad_value_of_one_object_is_reported(tmp_path: Path) -> None:
    """Every bad value inside one object is reported, each at its own line."""
    path = write(
        tmp_path,
        "bad.yaml",
        """\
        id: X
        changes:
          lines_added: -1
          lines_removed: -2
          files: -3
        """,
    )
    with pytest.raises(DeliveryError) as exc:
        qualscale.load_delivery(path)
    assert problems_of(exc) == [
        f"{path}:3: $.changes.lines_added: expected a non-negative integer, found -1",
        f"{path}:4: $.changes.lines_removed: expected a non-negative integer, found -2",
        f"{path}:5: $.changes.files: expected a non-negative integer, found -3",
    ]


def test_overlay_items_with_odd_ids_are_errors_not_crashes(tmp_path: Path) -> None:
    """An overlay item whose id is a list raises a ScaleError, not a crash."""
    path = write(tmp_path, "o.yaml", "extends: billing-saas\nstandards:\n  - id: [1]\n")
    with pytest.raises(ScaleError):
        qualscale.load_scale(path)


def test_missing_gates_file_is_located_in_the_scale(tmp_path: Path) -> None:
    """A missing gates file is reported at the line of the scale's gates key."""
    text = scale_text().replace(f"gates: {STANDARDS / 'gates.yaml'}", "gates: my-gates.yaml")
    path = write(tmp_path, "s.yaml", text)
    line = text.splitlines().index("gates: my-gates.yaml") + 1
    with pytest.raises(ScaleError) as exc:
        qualscale.load_scale(path)
    assert problems_of(exc)[0].startswith(
        f"{path}:{line}: $.gates: gates file 'my-gates.yaml' not found"
    )


def test_a_scale_with_a_misspelt_key_is_still_checked_as_a_scale(tmp_path: Path) -> None:
    """A scale file with a misspelt top key is still checked as a scale, with a suggestion."""
    text = scale_text().replace("\nstandards:\n", "\nstandard:\n")
    path = write(tmp_path, "s.yaml", text)
    with pytest.raises(ScaleError) as exc:
        load_document(path)
    assert any(
        "unknown key 'standard'" in p and "did you mean 'standards'" in p for p in problems_of(exc)
    )


def test_an_overlay_listing_an_id_twice_is_refused(tmp_path: Path) -> None:
    """An overlay listing one id twice in a list is refused at the second, not merged silently."""
    path = write(
        tmp_path,
        "twice.yaml",
        "extends: billing-saas\n"
        "name: twice\n"
        "version: '1'\n"
        "kinds:\n"
        "  - {id: performance, name: Load tests}\n"
        "  - {id: performance, name: Timing tests}\n",
    )
    with pytest.raises(ScaleError) as info:
        qualscale.load_scale(path)
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.key) == (str(path), 6, "$.kinds[1].id")
    assert "'performance' is listed twice" in problem.message


# ---------------------------------------------------------------- bounds and tags
# Each case once ended in a traceback (a mutation fuzzer found them); now each is a
# located problem.

TAGGED_VALUES = [
    ("id: X\ntitle: !!int x\n", ":2: $.title: not an integer: 'x'"),
    ("id: X\ntitle: !!bool maybe\n", ":2: $.title: not true or false: 'maybe'"),
    ("id: X\ntitle: !!timestamp x\n", ":2: $.title: not a date: 'x'"),
    ("id: X\ntitle: !!float x\n", ":2: $.title: not a number: 'x'"),
    ("id: X\ntitle: !!binary '!'\n", ":2: $.title: unsupported tag 'tag:yaml.org,2002:binary'"),
    ("id: X\ntitle: 2026-02-30\n", ":2: $.title: not a date: '2026-02-30'"),
    ("id: X\ntitle: 2026-01-01 99:00:00\n", ":2: $.title: not a date:"),
    ("id: X\n!!int k: 1\n", ":2: $: invalid key: not an integer: 'k'"),
    ("id: X\n!!binary 'a': 1\n", ":2: $: invalid key: unsupported tag"),
    ("id: X\n2026-13-45: x\n", ":2: $: invalid key: not a date: '2026-13-45'"),
    ("id: X\n!!python/object:os.system k: 1\n", ":2: $: invalid key: unsupported tag"),
    ("id: X\n!!foo k: 1\n", ":2: $: invalid key: unsupported tag"),
    ("id: X\nchanges: {files: 0x" + "f" * 3600 + "}\n", ":2: $.changes.files: integer out of"),
    ("id: X\nchanges: {files: " + "9" * 4300 + "}\n", ":2: $.changes.files: integer out of"),
    ("id: X\nchanges: {files: 9223372036854775808}\n", "integer out of range (at most 64 bits)"),
]


@pytest.mark.parametrize(("text", "expected"), TAGGED_VALUES)
def test_values_pyyaml_cannot_construct_are_located_problems(
    tmp_path: Path, text: str, expected: str
) -> None:
    """A tagged value, impossible date or huge integer is a located problem, not a traceback."""
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(DeliveryError) as exc:
        qualscale.load_delivery(path)
    assert any(p.startswith(str(path)) and expected in p for p in problems_of(exc)), problems_of(
        exc
    )


def test_an_impossible_date_in_a_history_is_located(tmp_path: Path) -> None:
    """``date: 2026-02-30`` in a history names the file, line and key path."""
    path = write(tmp_path, "history.yaml", "deliveries:\n  - id: A\n    date: 2026-02-30\n")
    with pytest.raises(DeliveryError) as exc:
        qualscale.load_history(path)
    assert problems_of(exc) == [f"{path}:3: $.deliveries[0].date: not a date: '2026-02-30'"]


def test_the_largest_64_bit_integer_is_read() -> None:
    """Integers up to 64 bits are read as they are written."""
    from qualscale._bounds import MAX_INT
    from qualscale._yaml import parse

    assert parse(f"a: {MAX_INT}\nb: {-MAX_INT - 1}\n", None) == (
        {"a": MAX_INT, "b": -MAX_INT - 1},
        [],
    )


@pytest.mark.parametrize("levels", [101, 995, 999])
def test_nesting_deeper_than_the_limit_is_located(tmp_path: Path, levels: int) -> None:
    """Nesting beyond MAX_DEPTH levels is refused with a located message, not RecursionError."""
    path = write(tmp_path, "deep.yaml", "id: X\nsource: " + "[" * levels + "]" * levels + "\n")
    with pytest.raises(DeliveryError) as exc:
        qualscale.load_delivery(path)
    assert problems_of(exc) == [f"{path}:2: $: nested more than 100 levels deep"]


def test_nesting_up_to_the_limit_is_read() -> None:
    """A document nested exactly MAX_DEPTH levels deep is read."""
    from qualscale._bounds import MAX_DEPTH
    from qualscale._yaml import parse

    value, problems = parse("[" * MAX_DEPTH + "]" * MAX_DEPTH, None)
    assert problems == []
    for _ in range(MAX_DEPTH - 1):
        value = value[0]
    assert value == []


def test_aliases_cannot_nest_deeper_than_the_limit() -> None:
    """Aliases that expand beyond MAX_DEPTH levels are refused while building."""
    from qualscale._yaml import parse

    lines = ["a0: &a0 " + "[" * 90 + "]" * 90]
    lines += [f"a{i}: &a{i} " + "[" * 90 + f"*a{i - 1}" + "]" * 90 for i in range(1, 5)]
    _, problems = parse("\n".join(lines) + "\n", "deep.yaml")
    assert [p.message for p in problems] == ["nested more than 100 levels deep"]
    assert problems[0].key.startswith("$.a1" + "[0]" * 90)


def test_a_long_flow_list_is_refused_without_mentioning_aliases(tmp_path: Path) -> None:
    """A 5 MB flow list is over the value budget: the message counts values, no alias guess."""
    path = tmp_path / "flow.yaml"
    path.write_text("[" + "1," * (2_500_000) + "1]", encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(DeliveryError) as exc:
        qualscale.load_delivery(path)
    assert problems_of(exc) == [f"{path}:1: $: more than 200000 values"]
    # A guard against composing the whole node tree first (17 s and 800 MB before),
    # with a wide margin for slow machines.
    assert time.perf_counter() - started < 10


def test_a_long_extends_chain_is_refused_at_the_extends_line(tmp_path: Path) -> None:
    """A chain of 1,000 scales through extends stops at MAX_EXTENDS with a located problem."""
    for i in range(1000):
        write(tmp_path, f"s{i}.yaml", f"name: s{i}\nextends: s{i + 1}.yaml\n")
    with pytest.raises(ScaleError) as exc:
        qualscale.load_scale(tmp_path / "s0.yaml")
    assert problems_of(exc) == [
        f"{tmp_path / 's19.yaml'}:2: $.extends: the extends chain is longer than 20 scales"
    ]


def test_an_extends_chain_of_twenty_scales_loads(tmp_path: Path) -> None:
    """Twenty scales in one extends chain, the last a bundled one, still load."""
    for i in range(19):
        base = f"s{i + 1}.yaml" if i < 18 else "billing-saas"
        write(tmp_path, f"s{i}.yaml", f"name: s{i}\nextends: {base}\n")
    assert qualscale.load_scale(tmp_path / "s0.yaml").name == "s0"


def test_a_nul_character_in_extends_is_located(tmp_path: Path) -> None:
    """``extends: "./x\\0.yaml"`` is a located problem, not a ValueError from the OS."""
    path = write(tmp_path, "o.yaml", 'name: o\nextends: "./x\\0.yaml"\n')
    with pytest.raises(ScaleError) as exc:
        qualscale.load_scale(path)
    assert problems_of(exc) == [f"{path}:2: $.extends: not a valid file name: './x\\x00.yaml'"]


def test_a_nul_character_in_a_file_name_is_a_delivery_error() -> None:
    """Reading a file whose name holds a NUL character is a DeliveryError, not a ValueError."""
    with pytest.raises(DeliveryError, match="not a valid file name"):
        qualscale.load_delivery("x\0.yaml")


def test_a_delivery_path_that_climbs_above_the_root_is_located(tmp_path: Path) -> None:
    """A delivery path such as ``../secrets.py`` is refused at the line of ``paths``."""
    path = write(tmp_path, "d.yaml", "id: X\npaths: [src/a.py, ../secrets.py]\n")
    with pytest.raises(DeliveryError) as exc:
        qualscale.load_delivery(path)
    assert problems_of(exc) == [
        f"{path}:2: $.paths: the path climbs above the project root: '../secrets.py'"
    ]


def test_delivery_paths_are_stored_in_normal_form(tmp_path: Path) -> None:
    """Paths are normalised when a delivery is read: ``./a//b/../c`` is ``a/c``."""
    path = write(tmp_path, "d.yaml", "id: X\npaths: ['./a//b/../c', a/c, d/]\n")
    assert qualscale.load_delivery(path).paths == ("a/c", "d")


def test_the_limits_table_states_the_limits_in_force() -> None:
    """docs/file-formats.md gives the limits the code enforces, each with its value."""
    from qualscale._bounds import MAX_DEPTH, MAX_INT, MAX_NODES
    from qualscale._sources import MAX_LINE_BYTES
    from qualscale._templates import MAX_OUTPUT, MAX_SECONDS, MAX_VALUE
    from qualscale.loading import MAX_BYTES, MAX_EXTENDS

    text = (STANDARDS.parent / "docs" / "file-formats.md").read_text(encoding="utf-8")
    table = text.split("## Limits", 1)[1].split("\n## ", 1)[0]
    assert MAX_INT == 2**63 - 1
    for shown in [
        f"({MAX_BYTES:,} bytes)",
        f"| {MAX_NODES:,} |",
        f"| {MAX_DEPTH} levels |",
        "| 64 bits (-2^63 to 2^63 - 1) |",
        f"| {MAX_EXTENDS} |",
        f"({MAX_LINE_BYTES:,} bytes)",
        f"| output of a `--template` | {MAX_OUTPUT:,} characters |",
        f"| running time of a `--template` | {MAX_SECONDS} seconds |",
        f"| {MAX_VALUE:,} characters or items; integers of {MAX_VALUE:,} bits |",
    ]:
        assert shown in table, shown


@pytest.mark.parametrize(
    ("glob", "message"),
    [
        ('""', "expected a glob, found an empty string"),
        ('"/src/**"', "a glob is relative to the repository root"),
        ('"src\\\\a\\\\**"', "found a backslash"),
    ],
)
def test_bad_component_globs_are_located_errors(tmp_path: Path, glob: str, message: str) -> None:
    """An empty, absolute or backslash glob is a ScaleError at its file, line and list index."""
    text = (
        "extends: generic\n"
        "rules:\n"
        "  components:\n"
        "    - id: mine\n"
        "      criticality: high\n"
        f'      paths: ["ok/**", {glob}]\n'
    )
    path = write(tmp_path, "o.yaml", text)
    with pytest.raises(ScaleError) as info:
        qualscale.load_scale(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (str(path), 6)
    assert problem.key == "$.rules.components[0].paths[1]"
    assert message in problem.message
