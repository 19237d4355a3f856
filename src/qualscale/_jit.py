"""Defect data sets in the CSV of just-in-time defect prediction (Kamei et al. 2013).

One row per commit, oldest first: ``_id`` (the commit), ``date`` (Unix seconds),
``bug`` (1 when the commit later turned out to induce a defect) and the change
metrics. Each row becomes a :class:`~qualscale.records.Record` whose delivery
carries the metrics (``entrophy``, spelt so in the data, is read as ``entropy``)
and whose ``defect_inducing`` is the label. Gzipped files (``.gz``) are read as
such. Input is bounded: a row longer than :data:`MAX_ROW_BYTES` or with more than
:data:`MAX_FIELDS` fields is refused, located, before it is parsed.
"""

from __future__ import annotations

import csv
import datetime
import gzip
import math
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from qualscale.delivery import Changes, Delivery
from qualscale.errors import DeliveryError, Problem
from qualscale.records import Record

__all__ = ["KAMEI_COLUMNS", "MAX_FIELDS", "MAX_ROW_BYTES", "read_jit_csv"]

#: The metric columns read, mapped to the metric names of the delivery.
KAMEI_COLUMNS: dict[str, str] = {
    "la": "la",
    "ld": "ld",
    "lt": "lt",
    "nf": "nf",
    "nd": "nd",
    "ns": "ns",
    "entrophy": "entropy",
    "ndev": "ndev",
    "age": "age",
    "nuc": "nuc",
    "exp": "exp",
    "rexp": "rexp",
    "sexp": "sexp",
    "fix": "fix",
}
#: The longest row accepted, in bytes.
MAX_ROW_BYTES = 64 * 1024
#: The most fields a row may have.
MAX_FIELDS = 256

_REQUIRED = ("_id", "date", "bug", *KAMEI_COLUMNS)


def _error(path: str, line: int | None, column: str | None, message: str) -> DeliveryError:
    return DeliveryError([Problem(message, path, line, (column,) if column else ())])


def _lines(stream: IO[bytes], path: str) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(iter(lambda: stream.readline(MAX_ROW_BYTES + 1), b""), 1):
        if len(raw) > MAX_ROW_BYTES and not raw.endswith(b"\n"):
            raise _error(path, number, None, f"expected a row of at most {MAX_ROW_BYTES} bytes")
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _error(path, number, None, f"expected UTF-8 text, found {exc.reason}") from None


def _number(text: str, path: str, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _error(path, line, column, f"expected a number, found {text!r:.40}") from None
    if not math.isfinite(value):
        raise _error(path, line, column, f"expected a finite number, found {text!r:.40}")
    return int(value) if value.is_integer() and "." not in text and "e" not in text else value


def _header(row: list[str], path: str) -> dict[str, int]:
    index = {name: i for i, name in enumerate(row)}
    missing = [name for name in _REQUIRED if name not in index]
    if missing:
        found = ", ".join(row[:20])
        raise _error(path, 1, None, f"expected columns {', '.join(missing)}; found {found!r:.200}")
    return index


def _record(row: list[str], index: dict[str, int], path: str, line: int) -> Record:
    if len(row) != len(index):
        raise _error(path, line, None, f"expected {len(index)} fields, found {len(row)}")
    commit = row[index["_id"]].strip()
    if not commit:
        raise _error(path, line, "_id", "expected a commit id, found an empty field")
    seconds = _number(row[index["date"]], path, line, "date")
    try:
        when = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise _error(path, line, "date", f"expected Unix seconds, found {seconds!r:.40}") from None
    bug = row[index["bug"]].strip()
    if bug not in ("0", "1", "0.0", "1.0"):
        raise _error(path, line, "bug", f"expected 0 or 1, found {bug!r:.40}")
    values = {
        name: _number(row[index[column]], path, line, column)
        for column, name in KAMEI_COLUMNS.items()
    }
    for name, value in values.items():
        if value < 0 and name != "age":
            column = "entrophy" if name == "entropy" else name
            raise _error(path, line, column, f"expected a number >= 0, found {value!r:.40}")
    delivery = Delivery(
        id=commit,
        changes=Changes(
            lines_added=int(values["la"]), lines_removed=int(values["ld"]), files=int(values["nf"])
        ),
        date=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        metrics=values,
        source={"jit": Path(path).name},
    )
    return Record(delivery=delivery, defect_inducing=bug.startswith("1"))


def read_jit_csv(path: str | Path) -> Iterator[Record]:
    """The records of a JIT defect CSV (gzipped when the name ends in ``.gz``), in file order.

    Raises:
        DeliveryError: ``file:line: $.column: expected ..., found ...`` for the
            first bad row (missing column, non-number, wrong field count, too long).
        OSError: when the file cannot be read.
    """
    name = str(path)
    with open(path, "rb") as raw:
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw) if name.endswith(".gz") else raw  # type: ignore[assignment]
        try:
            yield from _rows(stream, name)
        except (gzip.BadGzipFile, EOFError) as exc:
            raise _error(name, None, None, f"expected a complete gzip file ({exc})") from None


def _rows(stream: IO[bytes], path: str) -> Iterator[Record]:
    lines = _lines(stream, path)
    where = [0]

    def texts() -> Iterator[str]:
        for where[0], text in lines:
            yield text

    reader = csv.reader(texts())
    index: dict[str, int] | None = None
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _error(path, where[0], None, f"expected a CSV row ({exc})") from None
        if len(row) > MAX_FIELDS:
            raise _error(path, where[0], None, f"expected at most {MAX_FIELDS} fields")
        if index is None:
            index = _header(row, path)
        elif row:
            yield _record(row, index, path, where[0])


def __dir__() -> list[str]:
    return list(__all__)
