"""The history store on a PostgreSQL server, for a team sharing one history (psycopg 3).

Needs the ``qualscale[postgres]`` extra. The URL is never shown with its password.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

from qualscale._store_base import HistoryStore
from qualscale.errors import UsageError

__all__ = ["PostgresStore", "redacted"]

#: The advisory lock that serialises migrations of one database.
_MIGRATION_LOCK = 0x7175616C  # "qual"


def redacted(url: str) -> str:
    """``url`` without its password."""
    return re.sub(r"^([a-z]+://[^:/@]*):[^@/]*@", r"\1:***@", url)


def _sql(statement: str) -> str:
    return statement.replace("?", "%s")


class PostgresStore(HistoryStore):
    """A history store in a PostgreSQL database, shared by every CI runner that names it."""

    def __init__(self, url: str) -> None:
        self.where = redacted(url)
        try:
            import psycopg
        except ImportError:
            raise UsageError(
                "a PostgreSQL history needs psycopg: pip install 'qualscale[postgres]'"
            ) from None
        self._errors: type[Exception] = psycopg.Error
        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=30)
        except psycopg.Error as exc:
            raise self._error(f"cannot connect: {_first_line(exc)}") from None
        try:
            with self._translated():
                self._check_tables()
                self._migrate()
        except BaseException:
            self._conn.close()
            raise

    def _check_tables(self) -> None:
        rows = self._query(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name IN "
            "('qualscale_meta', 'deliveries', 'outcomes')"
        )
        names = {r[0] for r in rows}
        if names and "qualscale_meta" not in names:
            raise self._error(
                f"expected a qualscale history store, found tables {', '.join(sorted(names))} "
                "of another application"
            )

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except self._errors as exc:
            raise self._error(f"the store cannot be read or written: {_first_line(exc)}") from None

    def close(self) -> None:
        self._conn.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._translated(), self._conn.transaction(), self._conn.cursor() as cursor:
            yield cursor

    def _lock(self, cursor: Any) -> None:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))

    def _execute(self, cursor: Any, sql: str, params: Sequence[Any] = ()) -> None:
        cursor.execute(_sql(sql), params)

    def _executemany(self, cursor: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            cursor.executemany(_sql(sql), rows)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._translated():
            return list(self._conn.execute(_sql(sql), params).fetchall())


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def __dir__() -> list[str]:
    return list(__all__)
