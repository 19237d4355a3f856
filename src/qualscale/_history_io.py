"""Where a command's history comes from and goes to: stores, history files, JSON Lines.

``--history TARGET`` (or the ``QUALSCALE_HISTORY`` variable) names a store (an
SQLite file or a PostgreSQL URL), a JSON Lines export (read-only), or a YAML/JSON
history file (read-only, the format of old). :class:`HistorySource` gives each
delivery the history it may see: from a store or an export, only what was known
before the delivery's date.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING

import attrs

from qualscale._bounds import check_plain
from qualscale.delivery import Delivery, History
from qualscale.errors import DeliveryError, Problem, UsageError
from qualscale.planning import TestPlan
from qualscale.scale import Scale

if TYPE_CHECKING:  # imported by the runs that use a history only
    from qualscale._store_base import HistoryStore
    from qualscale.records import Record

__all__ = [
    "ENV_VAR",
    "MAX_LINE_BYTES",
    "HistorySource",
    "export_lines",
    "history_source",
    "read_jsonl",
    "record_of",
    "store_target",
]

#: The environment variable that names the history when ``--history`` is not given.
ENV_VAR = "QUALSCALE_HISTORY"
#: The longest JSON Lines line read, in bytes.
MAX_LINE_BYTES = 4 * 1024 * 1024


def store_target(given: str | None) -> str:
    """The store a writing command uses: ``--history``, else the variable, else the default."""
    from qualscale.stores import DEFAULT_STORE

    return given or os.environ.get(ENV_VAR) or DEFAULT_STORE


@attrs.define
class HistorySource:
    """The history of past deliveries for each delivery a command classifies."""

    store: HistoryStore | None = None
    records: list[Record] | None = None
    fixed: History | None = None
    #: The longest window of the scale's history rules: all a store need read.
    window: int | None = None

    def for_delivery(self, delivery: Delivery) -> History | None:
        """What ``delivery``'s history rules may see (never what came after its date)."""
        if self.store is not None:
            return self.store.history_for(delivery, window=self.window)
        if self.records is not None:
            from qualscale.records import history_before

            others = (r for r in self.records if r.delivery.id != delivery.id)
            return history_before(others, delivery.date)
        return self.fixed

    def close(self) -> None:
        """Close the store, if one is open."""
        if self.store is not None:
            self.store.close()


def history_source(
    given: str | None, *, record: bool = False, scale: Scale | None = None
) -> HistorySource:
    """The history ``--history`` (or the variable) names; with ``record``, a store to write.

    With ``scale``, a store reads no more past deliveries than its history rules look at.

    Raises:
        UsageError: ``record`` with a target that is a read-only file.
        StoreError, DeliveryError: the target cannot be read.
    """
    # sqlite3 and the stores are imported only by a run that uses a history.
    target = given or os.environ.get(ENV_VAR)
    if record:
        from qualscale.stores import DEFAULT_STORE, is_store, open_store

        target = target or DEFAULT_STORE
        if not is_store(target):
            raise UsageError(
                f"--record needs a history store (an SQLite .db file or a postgresql:// URL); "
                f"{target} is a read-only history file"
            )
        return HistorySource(store=open_store(target, create=True), window=_window(scale))
    if target is None:
        return HistorySource()
    from qualscale.stores import is_store, open_store

    if is_store(target):
        return HistorySource(store=open_store(target), window=_window(scale))
    if target.endswith(".jsonl"):
        return HistorySource(records=list(read_jsonl(target)))
    from qualscale.loading import load_history

    return HistorySource(fixed=load_history(target))


def _window(scale: Scale | None) -> int | None:
    if scale is None:
        return None
    return max((rule.window for rule in scale.rules.history), default=0)


def export_lines(records: Iterable[Record]) -> Iterator[str]:
    """One JSON line per record (keys sorted), in the order given (stores give date, id)."""
    import json

    for record in records:
        data = record.to_dict()
        yield json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def read_jsonl(path: str) -> Iterator[Record]:
    """The records of a JSON Lines export, checked line by line.

    Raises:
        DeliveryError: ``file:line: $.key: ...`` for the first bad line (a torn last
            line included); callers that store records read them all first.
    """
    try:
        stream = open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise DeliveryError([Problem(f"cannot read: {exc.strerror or exc}", path)]) from None
    with stream:
        yield from _records(stream, path)


def _records(stream: IO[bytes], path: str) -> Iterator[Record]:
    import json

    from qualscale.records import Record

    number = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise DeliveryError.single(
                f"expected a line of at most {MAX_LINE_BYTES} bytes", file=path, line=number
            )
        if not raw.strip():
            continue
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, RecursionError, ValueError) as exc:
            torn = "" if raw.endswith(b"\n") else " (the last line is cut short)"
            message = f"expected a JSON record{torn}, found {type(exc).__name__}: {exc}"
            raise DeliveryError.single(message[:300], file=path, line=number) from None
        problems = check_plain(data, path, number)
        if problems:
            raise DeliveryError(problems)
        if not isinstance(data, dict):
            message = f"expected a JSON object, found {type(data).__name__}"
            raise DeliveryError.single(message, file=path, line=number)
        try:
            yield Record.from_dict(data)
        except DeliveryError as exc:
            raise DeliveryError(
                [Problem(p.message, path, number, p.path) for p in exc.problems]
            ) from None


def record_of(the_plan: TestPlan, scale: Scale) -> Record:
    """The record of a plan: its delivery and the decision, naming the exact scale.

    A delivery without a date is dated now (UTC), when the decision was taken.
    """
    from qualscale._version import __version__
    from qualscale.records import Decision, Record

    decision = Decision(
        standard=the_plan.standard.id,
        rank=the_plan.standard.rank,
        size=the_plan.size,
        risk=the_plan.risk,
        reasons=tuple(r.rule for r in the_plan.rationale),
        required=tuple(r.kind for r in the_plan.requirements if r.obligation == "required"),
        scale=scale.name,
        scale_version=scale.version,
        scale_sha256=scale.sha256,
        qualscale_version=__version__,
    )
    delivery = the_plan.delivery
    if delivery.date is None:  # decided now: undated, it would never count as history
        import datetime

        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        delivery = attrs.evolve(delivery, date=now)
    return Record(delivery, decision)
