"""Reading defect data sets in the JIT CSV format (Kamei change metrics with a label)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from qualscale._jit import KAMEI_COLUMNS, MAX_ROW_BYTES, read_jit_csv
from qualscale.errors import DeliveryError
from tests._paths import ROOT

HEADER = ",_id,date,bug,__,ns,nd,nf,entrophy,la,ld,lt,fix,ndev,age,nuc,exp,rexp,sexp"
ROW = "0,286bfd8,1451580138,1,0,1,1,2,0.5,10,3,293,0,8,52.5,14,880,407.5,49"
#: The shared data sets (beside the repository, as CI lays them out; or named by
#: QUALSCALE_JIT_DATA); machines without them skip the count test.
JIT_DATA = Path(
    os.environ.get("QUALSCALE_JIT_DATA")
    or next(
        (
            str(p)
            for p in (ROOT.parent / "shared" / "data" / "jit", Path("/work/shared/data/jit"))
            if p.is_dir()
        ),
        str(ROOT.parent / "shared" / "data" / "jit"),
    )
)


def write(tmp_path: Path, *rows: str, name: str = "p.csv.gz") -> Path:
    """A gzipped JIT CSV with the header and ``rows``."""
    path = tmp_path / name
    text = "\n".join([HEADER, *rows]) + "\n"
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def test_a_row_becomes_a_record_with_metrics_date_and_label(tmp_path: Path) -> None:
    """A row gives a delivery with the commit id, a UTC date, the Kamei metrics and the label."""
    (record,) = read_jit_csv(write(tmp_path, ROW))
    delivery = record.delivery
    assert delivery.id == "286bfd8"
    assert delivery.date == "2015-12-31T16:42:18Z"
    assert record.defect_inducing is True
    assert delivery.metrics["entropy"] == 0.5
    assert delivery.metrics["la"] == 10
    assert isinstance(delivery.metrics["la"], int)
    assert set(delivery.metrics) == set(KAMEI_COLUMNS.values())
    assert len(KAMEI_COLUMNS) == 14
    assert (delivery.changes.lines_added, delivery.changes.lines_removed) == (10, 3)
    assert delivery.changes.files == 2


def test_plain_csv_reads_like_gzip(tmp_path: Path) -> None:
    """A file not ending in .gz is read as plain CSV."""
    (record,) = read_jit_csv(write(tmp_path, ROW, name="p.csv"))
    assert record.delivery.id == "286bfd8"


@pytest.mark.parametrize(
    ("row", "where"),
    [
        (ROW.replace(",10,3,", ",ten,3,"), ":3: $.la: expected a number, found 'ten'"),
        (ROW.replace(",1451580138,", ",soon,"), ":3: $.date: expected a number"),
        (ROW.replace(",1451580138,1,", ",1451580138,2,"), ":3: $.bug: expected 0 or 1"),
        (ROW.replace(",0.5,", ",-1,"), ":3: $.entrophy: expected a number >= 0"),
        (ROW.replace(",0.5,", ",nan,"), ":3: $.entrophy: expected a finite number"),
        (ROW + ",9", ":3: $: expected 19 fields, found 20"),
        (ROW.replace("286bfd8", ""), ":3: $['_id']: expected a commit id"),
    ],
)
def test_a_bad_row_is_refused_located(tmp_path: Path, row: str, where: str) -> None:
    """A bad field is reported as file:line: $.column with what was expected and found."""
    path = write(tmp_path, ROW, row)
    with pytest.raises(DeliveryError) as caught:
        list(read_jit_csv(path))
    assert str(caught.value).startswith(f"{path}{where}")


def test_missing_columns_are_named(tmp_path: Path) -> None:
    """A header without the Kamei columns is refused at line 1, naming what is missing."""
    path = tmp_path / "x.csv"
    path.write_text("_id,date\nabc,1\n")
    with pytest.raises(DeliveryError, match=r"x\.csv:1: \$: expected columns bug, la"):
        list(read_jit_csv(path))


def test_an_overlong_row_is_refused_before_parsing(tmp_path: Path) -> None:
    """A row longer than the bound is refused with its line, whatever it holds."""
    path = write(tmp_path, ROW, "x" * (MAX_ROW_BYTES + 10), name="p.csv")
    with pytest.raises(DeliveryError, match=r"p\.csv:3: \$: expected a row of at most"):
        list(read_jit_csv(path))


def test_a_truncated_gzip_is_refused(tmp_path: Path) -> None:
    """A gzip file cut short is a located error, not an EOFError traceback."""
    path = write(tmp_path, *[ROW] * 200)
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(DeliveryError, match="expected a complete gzip file"):
        list(read_jit_csv(path))


@pytest.mark.skipif(not JIT_DATA.is_dir(), reason=f"the JIT data sets are not at {JIT_DATA}")
def test_the_three_shared_data_sets_give_every_row_with_its_label() -> None:
    """gerrit, go and openstack give 14,927, 19,009 and 22,757 records, labels included."""
    counts = {}
    for name in ("gerrit", "go", "openstack"):
        records = list(read_jit_csv(JIT_DATA / f"{name}.csv.gz"))
        counts[name] = (len(records), sum(bool(r.defect_inducing) for r in records))
    assert counts == {"gerrit": (14927, 1781), "go": (19009, 8145), "openstack": (22757, 5927)}
