"""The history store's one schema, its migrations, and records as rows.

Shared by the SQLite and PostgreSQL stores: the SQL here is written with ``?``
placeholders and in the subset both speak (``ON CONFLICT ... DO UPDATE``,
``TEXT`` columns, JSON kept as text).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from qualscale.delivery import Delivery
from qualscale.records import Decision, Outcome, Record

#: The newest schema version this qualscale knows.
SCHEMA_VERSION = 1

#: The statements that bring a store from version ``n - 1`` to ``n``, by ``n``.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE IF NOT EXISTS deliveries (
            id TEXT PRIMARY KEY,
            date TEXT,
            project TEXT,
            author TEXT,
            standard TEXT,
            delivery TEXT NOT NULL,
            decision TEXT,
            verdict TEXT NOT NULL,
            defect_inducing INTEGER
        )""",
        "CREATE INDEX IF NOT EXISTS deliveries_date ON deliveries (date)",
        """CREATE TABLE IF NOT EXISTS outcomes (
            delivery_id TEXT NOT NULL REFERENCES deliveries (id),
            key TEXT NOT NULL,
            kind TEXT NOT NULL,
            outcome_id TEXT,
            severity TEXT,
            found TEXT,
            fixed TEXT,
            fixed_by TEXT,
            PRIMARY KEY (delivery_id, key)
        )""",
    ),
}

META = "CREATE TABLE IF NOT EXISTS qualscale_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
GET_VERSION = "SELECT value FROM qualscale_meta WHERE key = 'schema_version'"
SET_VERSION = (
    "INSERT INTO qualscale_meta (key, value) VALUES ('schema_version', ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)

UPSERT_DELIVERY = """
INSERT INTO deliveries
    (id, date, project, author, standard, delivery, decision, verdict, defect_inducing)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    date = excluded.date,
    project = excluded.project,
    author = excluded.author,
    standard = COALESCE(excluded.standard, deliveries.standard),
    delivery = excluded.delivery,
    decision = COALESCE(excluded.decision, deliveries.decision),
    verdict = CASE WHEN excluded.verdict = '{}' THEN deliveries.verdict
                   ELSE excluded.verdict END,
    defect_inducing = COALESCE(excluded.defect_inducing, deliveries.defect_inducing)
"""

UPSERT_OUTCOME = """
INSERT INTO outcomes (delivery_id, key, kind, outcome_id, severity, found, fixed, fixed_by)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (delivery_id, key) DO UPDATE SET
    kind = excluded.kind,
    outcome_id = excluded.outcome_id,
    severity = excluded.severity,
    found = excluded.found,
    fixed = excluded.fixed,
    fixed_by = excluded.fixed_by
"""

HAS_DELIVERY = "SELECT 1 FROM deliveries WHERE id = ?"
COUNT = "SELECT COUNT(*) FROM deliveries"
_COLUMNS = "id, delivery, decision, verdict, defect_inducing"
SELECT_ALL = f"SELECT {_COLUMNS} FROM deliveries ORDER BY COALESCE(date, ''), id"
SELECT_BEFORE = (
    f"SELECT {_COLUMNS} FROM deliveries WHERE date IS NOT NULL AND date < ? "
    "ORDER BY COALESCE(date, ''), id"
)
OUTCOMES_FOUND = "SELECT delivery_id, kind, found FROM outcomes WHERE found IS NOT NULL"


def past_query(
    date: str | None, leave_out: str, project: str | None, window: int | None
) -> tuple[str, list[Any], str, list[Any]]:
    """The queries for the history a delivery may see: past deliveries, then their outcomes.

    Deliveries dated before ``date`` (every dated one when it is ``None``) other than
    ``leave_out``; with ``window``, only the last ``window`` of them (of ``project``
    when it is given): all that history rules read (:meth:`History.recent`).
    """
    where = ["date IS NOT NULL", "id <> ?"]
    params: list[Any] = [leave_out]
    if date is not None:
        where.append("date < ?")
        params.append(date)
    if window is None:
        sql = f"SELECT id, project, date, standard FROM deliveries WHERE {' AND '.join(where)}"
        return sql, params, OUTCOMES_FOUND, []
    if project is not None:
        where.append("project = ?")
        params.append(project)
    inner = (
        f"SELECT id, project, date, standard FROM deliveries WHERE {' AND '.join(where)} "
        "ORDER BY date DESC, id DESC LIMIT ?"
    )
    params.append(max(window, 0))
    outcomes = f"{OUTCOMES_FOUND} AND delivery_id IN (SELECT id FROM ({inner}) AS recent)"
    return inner, params, outcomes, list(params)


OUTCOMES = (
    "SELECT delivery_id, kind, outcome_id, severity, found, fixed, fixed_by FROM outcomes "
    "ORDER BY delivery_id, COALESCE(found, ''), key"
)


def _text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def delivery_row(record: Record) -> tuple[Any, ...]:
    """The ``deliveries`` row of a record (for :data:`UPSERT_DELIVERY`)."""
    data = record.to_dict()
    d = record.delivery
    inducing = None if record.defect_inducing is None else int(record.defect_inducing)
    decision = _text(data["decision"]) if record.decision is not None else None
    verdict = _text(data.get("verdict") or {})
    standard = record.decision.standard if record.decision is not None else None
    delivery = _text(data["delivery"])
    return (d.id, d.date, d.project, d.author, standard, delivery, decision, verdict, inducing)


def outcome_rows(delivery_id: str, outcomes: Iterable[Outcome]) -> list[tuple[Any, ...]]:
    """The ``outcomes`` rows of a delivery (for :data:`UPSERT_OUTCOME`), keyed by outcome id."""
    rows = []
    for n, o in enumerate(outcomes):
        key = f"{o.kind}:{o.id}" if o.id is not None else f"{o.kind}#{n}"
        rows.append((delivery_id, key, o.kind, o.id, o.severity, o.found, o.fixed, o.fixed_by))
    return rows


def past_records(
    rows: Iterable[Sequence[Any]], outcomes: Iterable[Sequence[Any]], leave_out: str
) -> list[Record]:
    """Just enough of each record for :func:`~qualscale.records.history_before`: id, project,
    date, standard and dated outcomes (rows of the queries of :func:`past_query`); the
    delivery ``leave_out`` (the one being classified) is left out."""
    found: dict[str, list[Outcome]] = {}
    for delivery_id, kind, when in outcomes:
        found.setdefault(delivery_id, []).append(Outcome(kind=kind, found=when))
    out = []
    for did, project, date, standard in rows:
        if did == leave_out:
            continue
        decision = Decision(standard, 0, "", "") if standard is not None else None
        delivery = Delivery(id=did, project=project, date=date)
        out.append(Record(delivery, decision, outcomes=tuple(found.get(did, ()))))
    return out


def records_from_rows(
    rows: Iterable[Sequence[Any]], outcomes: Iterable[Sequence[Any]], where: str
) -> list[Record]:
    """Records from rows of :data:`SELECT_ALL` and :data:`OUTCOMES`.

    Raises:
        DeliveryError: a row does not hold a valid record (named by delivery id).
    """
    by_delivery: dict[str, list[dict[str, Any]]] = {}
    for delivery_id, kind, oid, severity, found, fixed, fixed_by in outcomes:
        by_delivery.setdefault(delivery_id, []).append(
            {
                "kind": kind,
                "id": oid,
                "severity": severity,
                "found": found,
                "fixed": fixed,
                "fixed_by": fixed_by,
            }
        )
    out = []
    for did, delivery, decision, verdict, inducing in rows:
        data: dict[str, Any] = {
            "delivery": json.loads(delivery),
            "decision": json.loads(decision) if decision is not None else None,
            "verdict": json.loads(verdict),
            "outcomes": by_delivery.get(did, []),
            "defect_inducing": None if inducing is None else bool(inducing),
        }
        out.append(Record.from_dict(data, file=f"{where} (delivery {did})"))
    return out
