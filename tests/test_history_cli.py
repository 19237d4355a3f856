"""``qualscale history ...`` and ``--history``/``--record`` on the planning commands."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from qualscale import cli
from qualscale.stores import open_store
from tests._stores import pg_server, pg_url

__all__ = ["pg_server", "pg_url"]  # the fixtures, used by name

CLI_ERR = pytest.CaptureFixture[str]


def delivery(tmp_path: Path, id: str, date: str) -> str:
    """A trivial UI bugfix of project billing-core dated ``date`` (S1 without history)."""
    path = tmp_path / f"{id}.yaml"
    path.write_text(
        f"id: {id}\ntype: bugfix\nproject: billing-core\ndate: {date}\n"
        "changes: {lines_added: 2, lines_removed: 2, files: 1}\n"
        "paths: [web/portal/invoices/InvoiceList.tsx]\n"
    )
    return str(path)


def standard(capsys: CLI_ERR, *argv: str) -> str:
    """The standard ``qualscale classify --format json`` gives."""
    capsys.readouterr()
    assert cli.main(["classify", *argv, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    return str(data["standard"]["id"])


def test_recorded_plans_and_escaped_defects_raise_the_next_delivery(
    tmp_path: Path, capsys: CLI_ERR
) -> None:
    """Two defects linked to recorded plans raise a later delivery, not an earlier one."""
    db = str(tmp_path / "h.db")
    for id, date in [("D1", "2026-01-05"), ("D2", "2026-01-10")]:
        assert cli.main(["plan", delivery(tmp_path, id, date), "--history", db, "--record"]) == 0
    for id, found in [("D1", "2026-02-01"), ("D2", "2026-02-03")]:
        argv = ["history", "outcome", id, "--defect", f"BUG-{id}", "--found", found]
        assert cli.main([*argv, "--severity", "major", "--history", db]) == 0
    later = delivery(tmp_path, "D3", "2026-03-01")
    earlier = delivery(tmp_path, "D0", "2026-02-02")  # only BUG-D1 was known then
    assert standard(capsys, later, "--history", db) == "S2"
    assert standard(capsys, earlier, "--history", db) == "S1"
    assert standard(capsys, later) == "S1"
    capsys.readouterr()
    assert cli.main(["classify", later, "--history", db]) == 0
    assert "from D1, D2: S1 -> S2" in capsys.readouterr().out.replace("\n    ", " ")
    with open_store(db) as store:
        d1 = store.records()[0]
    assert d1.decision is not None
    assert (d1.decision.standard, d1.decision.scale) == ("S1", "billing-saas")
    assert d1.decision.scale_sha256 is not None


def test_the_history_variable_names_the_store(
    tmp_path: Path, capsys: CLI_ERR, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QUALSCALE_HISTORY stands in for --history, for recording and for reading."""
    db = tmp_path / "env.db"
    monkeypatch.setenv("QUALSCALE_HISTORY", str(db))
    assert cli.main(["plan", delivery(tmp_path, "E1", "2026-01-01"), "--record"]) == 0
    capsys.readouterr()
    assert cli.main(["history", "show"]) == 0
    assert "E1" in capsys.readouterr().out


def test_record_refuses_a_read_only_history_file(tmp_path: Path, capsys: CLI_ERR) -> None:
    """--record with a YAML history file is a usage error (exit 2), the file untouched."""
    history = tmp_path / "h.yaml"
    history.write_text("deliveries: []\n")
    argv = ["plan", delivery(tmp_path, "R", "2026-01-01"), "--history", str(history)]
    assert cli.main([*argv, "--record"]) == 2
    assert "read-only history file" in capsys.readouterr().err
    assert history.read_text() == "deliveries: []\n"


def test_export_and_import_move_a_history_between_stores(tmp_path: Path, capsys: CLI_ERR) -> None:
    """An export imported into a new store exports the same lines, in the same order."""
    db = str(tmp_path / "a.db")
    for id, date in [("B", "2026-01-02"), ("A", "2026-01-02"), ("C", "2026-01-01")]:
        assert cli.main(["plan", delivery(tmp_path, id, date), "--history", db, "--record"]) == 0
    argv = ["history", "outcome", "C", "--incident", "INC-1", "--found", "2026-01-09"]
    assert cli.main([*argv, "--history", db]) == 0
    capsys.readouterr()
    assert cli.main(["history", "export", "--history", db]) == 0
    first = capsys.readouterr().out
    assert [json.loads(line)["delivery"]["id"] for line in first.splitlines()] == ["C", "A", "B"]
    export = tmp_path / "h.jsonl"
    export.write_text(first)
    other = str(tmp_path / "b.db")
    assert cli.main(["history", "import", str(export), "--history", other]) == 0
    capsys.readouterr()
    assert cli.main(["history", "export", "--history", other]) == 0
    assert capsys.readouterr().out == first
    assert standard(capsys, delivery(tmp_path, "Z", "2026-02-01"), "--history", str(export))


def digest(path: Path) -> str:
    """The sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stored(tmp_path: Path, n: int = 50) -> Path:
    """An SQLite store holding ``n`` records, checkpointed into its main file."""
    db = tmp_path / "h.db"
    lines = "".join(
        json.dumps({"delivery": {"id": f"D{i:03}", "date": "2026-01-01", "title": "x" * 200}})
        + "\n"
        for i in range(n)
    )
    (tmp_path / "in.jsonl").write_text(lines)
    assert cli.main(["history", "import", str(tmp_path / "in.jsonl"), "--history", str(db)]) == 0
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    return db


def _foreign(tmp_path: Path) -> Path:
    path = tmp_path / "other.db"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    return path


def _truncated(tmp_path: Path) -> Path:
    db = stored(tmp_path, 400)
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])
    return db


def _newer(tmp_path: Path) -> Path:
    db = stored(tmp_path, 1)
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE qualscale_meta SET value = '99' WHERE key = 'schema_version'")
    return db


def _not_sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "h.db"
    path.write_text("deliveries: []\n")
    return path


def _history_file(tmp_path: Path) -> Path:
    path = tmp_path / "history.yaml"
    path.write_text("deliveries: []\n")
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_foreign, "expected a qualscale history store, found tables invoices"),
        (_truncated, "the store cannot be read or written: database disk image is malformed"),
        (_newer, "expected a history store of schema version 1 or older, found version 99"),
        (_not_sqlite, "expected an SQLite database, found a file of another kind"),
        (_history_file, "found a history file: plan, classify, batch and verify read YAML"),
    ],
)
@pytest.mark.parametrize("action", ["show", "export", "add", "import"])
def test_a_bad_store_is_a_located_error_and_is_left_as_it_was(
    tmp_path: Path, capsys: CLI_ERR, make: object, message: str, action: str
) -> None:
    """A foreign, truncated, newer or non-SQLite store: one located line, exit 2, no change."""
    path = make(tmp_path)  # type: ignore[operator]
    before = digest(path)
    extra = {
        "add": [delivery(tmp_path, "N", "2026-05-01")],
        "import": [str(tmp_path / "ok.jsonl")],
    }.get(action, [])
    (tmp_path / "ok.jsonl").write_text('{"delivery": {"id": "N"}}\n')
    capsys.readouterr()
    assert cli.main(["history", action, *extra, "--history", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: ")
    assert message in err
    assert digest(path) == before


def test_a_torn_last_line_imports_nothing(tmp_path: Path, capsys: CLI_ERR) -> None:
    """An export whose last line is cut short is refused at that line; the store is unchanged."""
    db = stored(tmp_path, 3)
    before = digest(db)
    torn = tmp_path / "torn.jsonl"
    torn.write_text('{"delivery": {"id": "T1"}}\n{"delivery": {"id": "T2"')
    capsys.readouterr()
    assert cli.main(["history", "import", str(torn), "--history", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{torn}:2: $: expected a JSON record (the last line is cut short)")
    assert digest(db) == before


def test_a_bad_record_in_an_export_is_located(tmp_path: Path, capsys: CLI_ERR) -> None:
    """A record with a bad date is refused with file, line and key path."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"delivery": {"id": "T1"}}\n{"delivery": {"id": "T2", "date": "soon"}}\n')
    assert cli.main(["history", "import", str(bad), "--history", str(tmp_path / "h.db")]) == 2
    assert capsys.readouterr().err.startswith(f"{bad}:2: $.delivery.date: expected an ISO 8601")
    assert not (tmp_path / "h.db").exists()


def test_jit_csv_import_keeps_metrics_and_labels(tmp_path: Path, capsys: CLI_ERR) -> None:
    """history import --jit-csv stores one record per row with its metrics and label."""
    header = ",_id,date,bug,__,ns,nd,nf,entrophy,la,ld,lt,fix,ndev,age,nuc,exp,rexp,sexp\n"
    rows = "".join(
        f"{i},c{i},{1451580138 + i},{i % 2},0,1,1,1,0.0,{i},0,10,0,1,1.0,1,1,1.0,1\n"
        for i in range(30)
    )
    csv = tmp_path / "p.csv.gz"
    csv.write_bytes(gzip.compress((header + rows).encode()))
    db = str(tmp_path / "h.db")
    assert cli.main(["history", "import", "--jit-csv", str(csv), "--history", db]) == 0
    assert "imported 30 records" in capsys.readouterr().err
    with open_store(db) as store:
        records = store.records()
    assert [r.defect_inducing for r in records[:3]] == [False, True, False]
    assert records[5].delivery.metrics["la"] == 5


def test_an_outcome_date_must_be_iso(tmp_path: Path, capsys: CLI_ERR) -> None:
    """history outcome --found with a non-date is refused with exit 2."""
    db = stored(tmp_path, 1)
    argv = ["history", "outcome", "D000", "--defect", "B", "--found", "last week"]
    assert cli.main([*argv, "--history", str(db)]) == 2
    assert "expected an ISO 8601 date" in capsys.readouterr().err


def test_an_undated_delivery_is_recorded_with_the_time_of_the_decision(tmp_path: Path) -> None:
    """--record dates a delivery without a date now, so it counts as history later."""
    path = tmp_path / "u.yaml"
    path.write_text("id: U1\ntype: docs\npaths: [docs/a.md]\n")
    db = str(tmp_path / "h.db")
    assert cli.main(["plan", str(path), "--history", db, "--record"]) == 0
    with open_store(db) as store:
        (record,) = store.records()
    assert record.delivery.date is not None
    assert record.delivery.date.endswith("Z")


def test_batch_records_every_plan(tmp_path: Path, capsys: CLI_ERR) -> None:
    """batch --record stores each delivery it planned, with its decision."""
    folder = tmp_path / "in"
    folder.mkdir()
    for id, date in [("B1", "2026-01-01"), ("B2", "2026-01-02")]:
        delivery(folder, id, date)
    db = str(tmp_path / "h.db")
    assert cli.main(["batch", str(folder), "--history", db, "--record"]) == 0
    with open_store(db) as store:
        records = store.records()
    assert [(r.delivery.id, r.decision.standard if r.decision else None) for r in records] == [
        ("B1", "S1"),
        ("B2", "S1"),
    ]


def test_a_shared_postgresql_history_works_like_sqlite(
    pg_url: str, tmp_path: Path, capsys: CLI_ERR, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through QUALSCALE_HISTORY, recorded plans and outcomes on PostgreSQL raise the next."""
    monkeypatch.setenv("QUALSCALE_HISTORY", pg_url)
    for id, date in [("P1", "2026-01-05"), ("P2", "2026-01-10")]:
        assert cli.main(["plan", delivery(tmp_path, id, date), "--record"]) == 0
    for id in ("P1", "P2"):
        assert (
            cli.main(["history", "outcome", id, "--defect", f"B-{id}", "--found", "2026-02-01"])
            == 0
        )
    assert standard(capsys, delivery(tmp_path, "P3", "2026-03-01")) == "S2"
    assert standard(capsys, delivery(tmp_path, "P0", "2026-01-31")) == "S1"
    capsys.readouterr()
    assert cli.main(["history", "export"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
