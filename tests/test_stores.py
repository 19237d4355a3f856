"""The history store (SQLite and PostgreSQL): records in and out, concurrency, crashes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from contextlib import closing
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualscale.delivery import Delivery
from qualscale.errors import StoreError
from qualscale.records import Outcome, Record, history_before
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
        last = store.history_for(Delivery(id="d9", date="2026-02-01"), window=1)
    assert [(d.id, d.escaped_defects) for d in history.deliveries] == [("d1", 1), ("d2", 0)]
    assert [d.id for d in last.deliveries] == ["d2"]


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
        with closing(sqlite3.connect(target)) as conn, conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_sqlite_store_runs_in_wal_mode(tmp_path: Path) -> None:
    """The SQLite store is in WAL mode, so readers never block the writer."""
    path = tmp_path / "h.db"
    open_store(str(path), create=True).close()
    with closing(sqlite3.connect(path)) as conn, conn:
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


_DATES = st.sampled_from([None, "2026-01-01", "2026-01-02", "2026-01-02T10:00:00Z", "2026-02-01"])
_OUTCOMES = st.builds(
    Outcome,
    kind=st.sampled_from(["defect", "incident"]),
    id=st.text("ABC123", min_size=1, max_size=3),
    found=_DATES,
)


def _in(project: str | None, record: Record) -> Record:
    return attrs.evolve(record, delivery=attrs.evolve(record.delivery, project=project))


_RECORDS = st.lists(
    st.builds(
        lambda i, d, outs, std, project: _in(project, record(f"D{i}", d, *outs, standard=std)),
        st.integers(0, 30),
        _DATES,
        st.lists(_OUTCOMES, max_size=3, unique_by=lambda o: (o.kind, o.id)),
        st.sampled_from([None, "S1", "S3"]),
        st.sampled_from([None, "p", "q"]),
    ),
    max_size=12,
    unique_by=lambda r: r.delivery.id,
)


def _outcome_order(o: Outcome) -> tuple[str, str]:
    return (o.found or "", f"{o.kind}:{o.id}")


@settings(max_examples=40)
@given(
    records=_RECORDS,
    when=_DATES,
    project=st.sampled_from([None, "p"]),
    window=st.integers(0, 4),
)
def test_a_store_gives_what_history_before_gives(
    records: list[Record], when: str | None, project: str | None, window: int
) -> None:
    """A store's history for a delivery is history_before of its records, window or not."""
    with tempfile.TemporaryDirectory() as tmp, open_store(f"{tmp}/h.db", create=True) as store:
        store.add(records)
        # The store gives outcomes in the order they were found (then kind and id).
        ordered = [
            attrs.evolve(r, outcomes=tuple(sorted(r.outcomes, key=_outcome_order))) for r in records
        ]
        assert sorted(store.records(), key=repr) == sorted(ordered, key=repr)
        expected = history_before(records, when)
        new = Delivery(id="new", date=when, project=project)
        assert store.history_for(new) == expected
        recent = store.history_for(new, window=window).recent(window, project)
        assert recent == expected.recent(window, project)


def _raw(target: str, sql: str) -> None:
    """Run ``sql`` on the store's database behind qualscale's back."""
    if target.startswith("postgresql"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as pg:
            pg.execute(sql)
    else:
        with closing(sqlite3.connect(target)) as conn, conn:
            conn.execute(sql)


def test_a_store_of_a_newer_schema_is_refused_untouched(target: str) -> None:
    """A store whose schema version is newer than this qualscale's is refused, unchanged."""
    with open_store(target, create=True) as store:
        store.add([record("a", "2026-01-01")])
    _raw(target, "UPDATE qualscale_meta SET value = '7' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="found version 7 \\(written by a newer qualscale\\)"):
        open_store(target)
    _raw(target, "UPDATE qualscale_meta SET value = '1' WHERE key = 'schema_version'")
    with open_store(target) as store:
        assert store.count() == 1


def test_another_applications_tables_are_not_taken_over(target: str) -> None:
    """A database whose deliveries table is not qualscale's is refused and left alone."""
    if not target.startswith("postgresql"):
        sqlite3.connect(target).close()
    _raw(target, "CREATE TABLE deliveries (parcel TEXT)")
    with pytest.raises(StoreError, match="expected a qualscale history store"):
        open_store(target, create=True)
    _raw(target, "INSERT INTO deliveries (parcel) VALUES ('box')")
