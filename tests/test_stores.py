"""The history store (SQLite and PostgreSQL): records in and out, concurrency, crashes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from qualscale.delivery import Delivery
from qualscale.errors import StoreError
from qualscale.records import Outcome
from qualscale.stores import open_store
from tests._stores import pg_server, pg_url, record, target

__all__ = ["pg_server", "pg_url", "target"]  # the fixtures, used by name

SRC = str(Path(__file__).resolve().parents[1] / "src")


def test_records_come_back_by_date_then_id(target: str) -> None:
    """Stored records read back equal, ordered by date then id, undated first."""
    records = [
        record("b", "2026-02-01", Outcome(id="BUG-1", found="2026-03-01", severity="major")),
        record("a", "2026-02-01"),
        record("z", None, standard=None),
        record("c", "2026-01-01"),
    ]
    with open_store(target, create=True) as store:
        assert store.add(records) == 4
        got = store.records()
    assert [r.delivery.id for r in got] == ["z", "c", "a", "b"]
    assert got[3] == records[0]
    assert got[0] == records[2]


def test_a_record_added_again_keeps_its_decision_and_outcomes(target: str) -> None:
    """Adding a delivery again replaces it but keeps the stored decision and outcomes."""
    with open_store(target, create=True) as store:
        store.add([record("a", "2026-01-01", Outcome(id="X", found="2026-01-05"))])
        store.add([record("a", "2026-01-02", standard=None)])
        (got,) = store.records()
    assert got.delivery.date == "2026-01-02"
    assert got.decision is not None
    assert got.decision.standard == "S2"
    assert [o.id for o in got.outcomes] == ["X"]


def test_an_outcome_needs_a_recorded_delivery(target: str) -> None:
    """Linking an outcome to a delivery that is not stored is refused, naming the store."""
    with open_store(target, create=True) as store:
        with pytest.raises(StoreError, match="no delivery 'nope' is recorded here"):
            store.add_outcome("nope", Outcome(id="BUG-1", found="2026-01-01"))
        assert store.count() == 0


def test_history_for_sees_nothing_from_after_the_delivery(target: str) -> None:
    """A delivery's history holds earlier deliveries and only outcomes found before its date."""
    with open_store(target, create=True) as store:
        store.add(
            [
                record("d1", "2026-01-01", Outcome(id="B1", found="2026-01-10")),
                record("d2", "2026-01-05", Outcome(id="B2", found="2026-02-10")),
                record("d3", "2026-03-01"),
            ]
        )
        history = store.history_for(Delivery(id="d9", date="2026-02-01"))
    assert [(d.id, d.escaped_defects) for d in history.deliveries] == [("d1", 1), ("d2", 0)]


_WRITER = """
import sys
from qualscale.stores import open_store
from qualscale.delivery import Delivery
from qualscale.records import Record
target, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open_store(target, create=True) as store:
    for i in range(n):
        store.add([Record(Delivery(id=f"{who}-{i}", date="2026-01-01"))])
"""


def _python(code: str, *args: str, stdout: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, stdout=stdout)


def test_eight_concurrent_writers_leave_every_record(target: str) -> None:
    """8 processes writing 500 records each, one transaction each, leave exactly 4,000."""
    writers = [_python(_WRITER, target, f"w{k}", "500") for k in range(8)]
    assert [w.wait(timeout=600) for w in writers] == [0] * 8
    with open_store(target) as store:
        assert store.count() == 4000
        assert len({r.delivery.id for r in store.records()}) == 4000


_KILLED = """
import sys, time
from qualscale.stores import open_store
from qualscale.delivery import Delivery
from qualscale.records import Record
with open_store(sys.argv[1], create=True) as store:
    for i in range(100):
        store.add([Record(Delivery(id=f"kept-{i}", date="2026-01-01"))])
    def forever():
        i = 0
        while True:
            if i == 50:
                print("inside", flush=True)
            yield Record(Delivery(id=f"lost-{i}", date="2026-01-02"))
            i += 1
            if i > 50:
                time.sleep(0.001)
    store.add(forever())
"""


def test_a_writer_killed_mid_transaction_loses_nothing_committed(target: str) -> None:
    """SIGKILL inside a transaction keeps the 100 committed records, none of the open one."""
    writer = _python(_KILLED, target, stdout=subprocess.PIPE)
    assert writer.stdout is not None
    with writer.stdout:
        assert writer.stdout.readline() == b"inside\n"
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
    with open_store(target) as store:
        ids = {r.delivery.id for r in store.records()}
        assert ids == {f"kept-{i}" for i in range(100)}
        store.add([record("after", "2026-01-03")])
        assert store.count() == 101
    if not target.startswith("postgresql"):
        with sqlite3.connect(target) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_sqlite_store_runs_in_wal_mode(tmp_path: Path) -> None:
    """The SQLite store is in WAL mode, so readers never block the writer."""
    path = tmp_path / "h.db"
    open_store(str(path), create=True).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_missing_store_is_not_made_by_a_reader(tmp_path: Path) -> None:
    """Opening a missing SQLite store for reading is an error and creates nothing."""
    path = tmp_path / "none" / "h.db"
    with pytest.raises(StoreError, match="no history store here"):
        open_store(str(path))
    assert not path.parent.exists()


def test_a_bad_postgres_url_is_a_located_error_without_password() -> None:
    """An unreachable server is reported with its URL, the password hidden."""
    pytest.importorskip("psycopg")
    url = "postgresql://qs:secret@127.0.0.1:1/none?connect_timeout=2"
    with pytest.raises(StoreError) as caught:
        open_store(url)
    assert "secret" not in str(caught.value)
    assert str(caught.value).startswith("postgresql://qs:***@127.0.0.1:1/none")


def test_writers_do_not_stop_at_the_schema_migration(tmp_path: Path) -> None:
    """Writers opening a new store at the same moment all migrate it safely (textwrap-free)."""
    path = str(tmp_path / "h.db")
    code = textwrap.dedent(_WRITER)
    writers = [_python(code, path, f"m{k}", "1") for k in range(6)]
    assert [w.wait(timeout=120) for w in writers] == [0] * 6
    with open_store(path) as store:
        assert store.count() == 6
