"""History stores: every decision recorded, outcomes linked, shared by a team.

:func:`open_store` opens the store a ``--history`` target names: an SQLite file
(the default, ``.qualscale/history.db``) or a PostgreSQL server by URL
(``postgresql://...``, with the ``qualscale[postgres]`` extra). Both keep one
schema (:data:`SCHEMA_VERSION`, migrated forward on open) and write each call in
one transaction: a crash loses nothing committed and leaves nothing half-written.
SQLite runs in WAL mode with a busy timeout, so processes on one machine may write
at once.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from qualscale import _store_sql as q
from qualscale._store_base import HistoryStore

__all__ = [
    "DEFAULT_STORE",
    "SCHEMA_VERSION",
    "HistoryStore",
    "SQLiteStore",
    "is_store",
    "open_store",
]

#: Where the history store is kept unless told otherwise (relative to the repository).
DEFAULT_STORE = ".qualscale/history.db"
#: The schema version this qualscale writes; a newer store is refused.
SCHEMA_VERSION = q.SCHEMA_VERSION
#: How long a writer waits for another's transaction, in seconds.
BUSY_TIMEOUT = 60.0

_URL_SCHEMES = ("postgresql://", "postgres://")
_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
_SQLITE_MAGIC = b"SQLite format 3\x00"


def is_store(target: str) -> bool:
    """Whether ``target`` names a store (a URL, an SQLite file) rather than a history file."""
    if target.startswith(_URL_SCHEMES):
        return True
    if target.endswith(_SQLITE_SUFFIXES):
        return True
    try:
        with open(target, "rb") as stream:
            return stream.read(16) == _SQLITE_MAGIC
    except OSError:
        return False


def open_store(target: str, *, create: bool = False) -> HistoryStore:
    """Open the store ``target`` names, migrating its schema forward.

    Args:
        target: An SQLite file or a ``postgresql://`` URL.
        create: Make a missing SQLite file (commands that write); otherwise a
            missing file is an error.

    Raises:
        StoreError: the store is unreadable, foreign, or of a newer schema version.
        UsageError: a PostgreSQL URL without the ``qualscale[postgres]`` extra.
    """
    if target.startswith(_URL_SCHEMES):
        from qualscale._store_pg import PostgresStore

        return PostgresStore(target)
    return SQLiteStore(target, create=create)


class SQLiteStore(HistoryStore):
    """A history store in one SQLite file (WAL mode, a busy timeout, a transaction per write)."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False) -> None:
        self.path = Path(path)
        self.where = os.fspath(path)
        self._check_file(create)
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise self._error(f"cannot open the store: {exc}") from None
        try:
            with self._translated():
                self._check_tables()
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA foreign_keys=ON")
                self._migrate()
        except BaseException:
            self._conn.close()
            raise

    def _check_file(self, create: bool) -> None:
        try:
            with open(self.path, "rb") as stream:
                head = stream.read(16)
        except FileNotFoundError:
            if not create:
                raise self._error("no history store here (record something first)") from None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise self._error(f"cannot create the folder: {exc.strerror or exc}") from None
            return
        except OSError as exc:
            raise self._error(f"cannot read the store: {exc.strerror or exc}") from None
        if head and head != _SQLITE_MAGIC:
            if self.path.suffix.lower() in (".yaml", ".yml", ".json", ".jsonl"):
                raise self._error(
                    "expected a history store (an SQLite .db file or a postgresql:// URL), "
                    "found a history file: plan, classify, batch and verify read YAML and "
                    "JSON histories, replay and calibrate also JSON Lines exports"
                )
            raise self._error("expected an SQLite database, found a file of another kind")

    def _check_tables(self) -> None:
        # Before anything is written: a foreign database is refused untouched.
        tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master")}
        tables = {t for t in tables if not t.startswith("sqlite_")}
        if tables and "qualscale_meta" not in tables:
            names = ", ".join(sorted(tables)[:5])
            raise self._error(f"expected a qualscale history store, found tables {names}")
        if tables:
            found = self._conn.execute(q.GET_VERSION).fetchall()
            self._check_version(int(found[0][0]) if found else 0)

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise self._error(f"the store cannot be read or written: {exc}") from None

    def close(self) -> None:
        self._conn.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        with self._translated():
            cursor = self._conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def _execute(self, cursor: Any, sql: str, params: Sequence[Any] = ()) -> None:
        cursor.execute(sql, params)

    def _executemany(self, cursor: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
        cursor.executemany(sql, rows)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._translated():
            return self._conn.execute(sql, params).fetchall()


def __dir__() -> list[str]:
    return list(__all__)
