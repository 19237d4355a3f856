"""The history store's shared behaviour: records in, records out, one transaction per write.

Subclasses (:class:`~qualscale.stores.SQLiteStore`, the PostgreSQL store) give the
connection; the queries, their order and the schema's migrations are shared.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from typing import Any

from qualscale import _store_sql as q
from qualscale.delivery import Delivery, History
from qualscale.errors import Problem, StoreError, UsageError
from qualscale.records import Outcome, Record, history_before

__all__ = ["SCHEMA_VERSION", "HistoryStore"]

#: The schema version this qualscale writes; a newer store is refused.
SCHEMA_VERSION = q.SCHEMA_VERSION


class HistoryStore:
    """The records of a project's history, in a database (see :func:`open_store`).

    Subclasses give the connection; the queries and their order are shared.
    """

    where: str

    def close(self) -> None:
        """Close the connection."""
        raise NotImplementedError

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # The four primitives a database gives.
    def _transaction(self) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def _execute(self, cursor: Any, sql: str, params: Sequence[Any] = ()) -> None:
        raise NotImplementedError

    def _executemany(self, cursor: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _error(self, message: str) -> StoreError:
        return StoreError([Problem(message, self.where)])

    def add(self, records: Iterable[Record]) -> int:
        """Store ``records`` in one transaction; return how many.

        A record whose delivery is stored already replaces its delivery; its
        decision, verdict and label replace the stored ones when given, and its
        outcomes are added (an outcome with the same kind and id replaces the old).
        """
        n = 0
        with self._transaction() as cursor:
            deliveries: list[tuple[Any, ...]] = []
            outcomes: list[tuple[Any, ...]] = []
            for record in records:
                deliveries.append(q.delivery_row(record))
                outcomes += q.outcome_rows(record.delivery.id, record.outcomes)
                n += 1
                if len(deliveries) >= 1000:
                    self._executemany(cursor, q.UPSERT_DELIVERY, deliveries)
                    deliveries = []
            self._executemany(cursor, q.UPSERT_DELIVERY, deliveries)
            self._executemany(cursor, q.UPSERT_OUTCOME, outcomes)
        return n

    def add_outcome(self, delivery_id: str, outcome: Outcome) -> None:
        """Link ``outcome`` to the stored delivery ``delivery_id`` (one transaction).

        Raises:
            StoreError: no such delivery is stored.
            UsageError: the outcome has no id.
        """
        if outcome.id is None:
            raise UsageError("an outcome needs an id (the defect's or incident's)")
        with self._transaction() as cursor:
            if not self._query(q.HAS_DELIVERY, (delivery_id,)):
                raise self._error(f"no delivery {delivery_id!r} is recorded here")
            self._executemany(cursor, q.UPSERT_OUTCOME, q.outcome_rows(delivery_id, [outcome]))

    def records(self, before: str | None = None) -> list[Record]:
        """The stored records, by date then id (undated first); only those dated before
        ``before`` when it is given."""
        if before is None:
            rows = self._query(q.SELECT_ALL)
        else:
            rows = self._query(q.SELECT_BEFORE, (before,))
        return q.records_from_rows(rows, self._query(q.OUTCOMES), self.where)

    def count(self) -> int:
        """How many deliveries are stored."""
        return int(self._query(q.COUNT)[0][0])

    def history_for(self, delivery: Delivery, *, window: int | None = None) -> History:
        """The history ``delivery`` may see: only records and outcomes from before its date.

        With ``window`` (the longest window of the scale's history rules), only the last
        ``window`` past deliveries of its project are read: all the rules look at.
        """
        rows_sql, params, outcomes_sql, outcome_params = q.past_query(
            delivery.date, delivery.id, delivery.project, window
        )
        rows = self._query(rows_sql, params)
        outcomes = self._query(outcomes_sql, outcome_params)
        return history_before(q.past_records(rows, outcomes, delivery.id), delivery.date)

    def _migrate(self) -> None:
        with self._transaction() as cursor:
            self._lock(cursor)
            self._execute(cursor, q.META)
            found = self._query(q.GET_VERSION)
            version = int(found[0][0]) if found else 0
            self._check_version(version)
            for number in range(version + 1, SCHEMA_VERSION + 1):
                for statement in q.MIGRATIONS[number]:
                    self._execute(cursor, statement)
            if version != SCHEMA_VERSION:
                self._execute(cursor, q.SET_VERSION, (str(SCHEMA_VERSION),))

    def _lock(self, cursor: Any) -> None:
        """Serialise migrations (the SQLite transaction is already exclusive)."""

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise self._error(
                f"expected a history store of schema version {SCHEMA_VERSION} or older, "
                f"found version {version} (written by a newer qualscale)"
            )


def __dir__() -> list[str]:
    return list(__all__)
