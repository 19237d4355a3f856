"""The history's records: what they hold, and the history a delivery may see."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qualscale.delivery import Delivery
from qualscale.records import Decision, Outcome, Record, history_before


def record(id: str, date: str | None, *outcomes: Outcome, standard: str = "S2") -> Record:
    """A record of a delivery ``id`` made on ``date``, decided at ``standard``."""
    decision = Decision(standard=standard, rank=int(standard[1:]), size="small", risk="low")
    return Record(Delivery(id=id, date=date), decision, outcomes=outcomes)


RECORDS = [
    record("D3", "2026-03-01"),
    record(
        "D1",
        "2026-01-01",
        Outcome(found="2026-02-15"),
        Outcome(kind="incident", found="2026-04-01"),
    ),
    record("D2", "2026-02-01", Outcome(found=None)),
    record("D0", None, Outcome(found="2026-01-02")),
]


def test_history_before_keeps_only_what_was_known_then() -> None:
    """A delivery sees earlier records, oldest first, with the outcomes found before its date."""
    history = history_before(RECORDS, "2026-03-01")
    assert [(d.id, d.escaped_defects, d.incidents) for d in history.deliveries] == [
        ("D1", 1, 0),
        ("D2", 0, 0),
    ]
    assert [d.standard for d in history.deliveries] == ["S2", "S2"]


def test_history_before_a_date_older_than_every_outcome_counts_none() -> None:
    """An outcome found after the delivery's date never counts, though its record is older."""
    history = history_before(RECORDS, "2026-02-01")
    assert [(d.id, d.escaped_defects) for d in history.deliveries] == [("D1", 0)]


def test_history_now_counts_every_dated_outcome_and_no_undated_one() -> None:
    """Without a date (now), every dated outcome counts; an outcome without a date never does."""
    history = history_before(RECORDS, None)
    assert [(d.id, d.escaped_defects, d.incidents) for d in history.deliveries] == [
        ("D1", 1, 1),
        ("D2", 0, 0),
        ("D3", 0, 0),
    ]


def test_a_record_round_trips_through_plain_data() -> None:
    """Record.to_dict and Record.from_dict are inverse, outcomes and decision included."""
    for item in RECORDS:
        assert Record.from_dict(item.to_dict()) == item


@given(
    st.lists(st.dates().map(str), min_size=1, max_size=8),
    st.dates().map(str),
)
def test_no_outcome_from_the_future(found: list[str], when: str) -> None:
    """However outcomes are dated, only those found strictly before the date count."""
    records = [record(f"D{i}", "2000-01-01", Outcome(found=f)) for i, f in enumerate(found)]
    counted = sum(d.escaped_defects for d in history_before(records, when).deliveries)
    assert counted == (sum(f < when for f in found) if when > "2000-01-01" else 0)
