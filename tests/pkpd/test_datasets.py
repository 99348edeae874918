"""NONMEM-style datasets: reading "." as missing, defaults, validation naming row and ID,
and exact write/read round trips (hypothesis)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.datasets import NONMEM_COLUMNS, read_nonmem, validate_nonmem, write_nonmem
from cxcr4lab.pkpd.regimens import Regimen, regimen_events

HEADER = "ID,TIME,EVID,AMT,RATE,II,ADDL,CMT,DV,MDV,WT\n"
GOOD = (
    HEADER
    + "1,0,1,385,192.5,0,0,1,.,1,70\n"
    + "1,0.5,0,.,.,.,.,1,12.5,0,70\n"
    + "1,24,1,385,192.5,24,2,1,.,1,70\n"
    + "2,0,1,300,150,0,0,1,.,1,54.5\n"
    + "2,2,0,.,.,.,.,1,40.1,0,54.5\n"
)


def read(text: str) -> pd.DataFrame:
    return read_nonmem(io.StringIO(text), source="pk.csv")


def test_read_a_good_dataset() -> None:
    df = read(GOOD)
    assert tuple(df.columns) == (*NONMEM_COLUMNS, "WT")
    assert df["DV"].isna().tolist() == [True, False, True, True, False]
    assert df["AMT"].iloc[1] != df["AMT"].iloc[1]  # "." is NaN
    assert df["RATE"].iloc[1] == 0.0  # defaults fill missing RATE / II / ADDL
    assert df["ADDL"].iloc[2] == 2.0 and df["II"].iloc[2] == 24.0
    assert df["WT"].tolist() == [70, 70, 70, 54.5, 54.5]


def test_pandas_reads_the_written_file_the_same_way(tmp_path: Path) -> None:
    # Reference reader: pandas with na_values=".", as NONMEM's own convention.
    path = tmp_path / "pk.csv"
    write_nonmem(read(GOOD), path)
    ours = read_nonmem(path)
    theirs = pd.read_csv(path, na_values=["."])
    assert list(ours.columns) == list(theirs.columns)
    np.testing.assert_array_equal(ours.to_numpy(float), theirs.to_numpy(float))
    assert "." in path.read_text()


def test_defaults_when_columns_are_absent() -> None:
    df = read("ID,TIME,AMT,DV\n1,0,100,.\n1,1,.,5\n1,2,.,.\n")
    assert df["EVID"].tolist() == [1, 0, 0]
    assert df["MDV"].tolist() == [1, 0, 1]
    assert df["CMT"].tolist() == [1, 1, 1]
    assert df["RATE"].tolist() == [0, 0, 0]


def test_regimen_events_validate_as_a_dataset() -> None:
    ev = regimen_events(
        Regimen.balixafortide_eribulin(),
        pd.DataFrame({"ID": [1, 2], "WT": [60.0, 80.0], "HT": [160.0, 170.0]}),
        cycles=2,
    )
    df = validate_nonmem(ev, source="events")
    assert (df["MDV"] == 1).all() and len(df) == len(ev)
    assert df["DRUG"].tolist() == ev["DRUG"].tolist()  # kept as text
    again = read(write_nonmem(ev))
    pd.testing.assert_frame_equal(again, df)
    with pytest.raises(InputError, match=r"column 'DRUG'.*not a number"):
        validate_nonmem(ev, text_columns=())
    bad = ev.assign(DRUG="a,b")
    with pytest.raises(InputError, match=r"row 2, column 'DRUG'.*commas"):
        validate_nonmem(bad)


@pytest.mark.parametrize(
    ("line", "pattern"),
    [
        ("1,0.2,0,.,.,.,.,1,abc,0,70", r"row 4, column 'DV'.*'abc' is not a number \(ID 1\)"),
        ("1,0.2,0,.,.,.,.,1,3,0,inf", r"row 4, column 'WT'"),
        ("1,0.4,0,.,.,.,.,1,3,0,70", r"row 4, column 'TIME': ID 1: TIME 0.4 is before"),
        ("1,0.6,5,.,.,.,.,1,3,0,70", r"row 4, column 'EVID': ID 1: EVID must be 0"),
        ("1,0.6,0,-5,.,.,.,1,3,0,70", r"row 4, column 'AMT': ID 1: AMT must be >= 0"),
        ("1,0.6,1,.,.,.,.,1,.,1,70", r"row 4, column 'AMT': ID 1: a dose record"),
        ("1,0.6,1,0,.,.,.,1,.,1,70", r"row 4, column 'AMT': ID 1: a dose record"),
        ("1,0.5,0,.,.,.,.,1,12.5,0,70", r"row 4: ID 1: duplicate record .* row 3"),
        ("1,0.6,0,.,.,.,.,0,3,0,70", r"row 4, column 'CMT'"),
        ("1,0.6,0,.,-3,.,.,1,3,0,70", r"row 4, column 'RATE'"),
        ("1,0.6,1,5,.,.,2,1,.,1,70", r"row 4, column 'II': ID 1: ADDL > 0 needs"),
        ("1,0.6,0,.,.,.,.,1,.,0,70", r"row 4, column 'DV': ID 1: an observation"),
        ("1,0.6,0,.,.,.,.,1,3,2,70", r"row 4, column 'MDV'"),
        ("1,-1,0,.,.,.,.,1,3,0,70", r"row 4, column 'TIME': ID 1: TIME must be >= 0"),
        ("x,0.6,0,.,.,.,.,1,3,0,70", r"row 4, column 'ID'"),
        (",0.6,0,.,.,.,.,1,3,0,70", r"row 4, column 'ID': value is missing"),
    ],
)
def test_bad_records_name_row_column_and_id(line: str, pattern: str) -> None:
    text = HEADER + "1,0,1,385,192.5,0,0,1,.,1,70\n1,0.5,0,.,.,.,.,1,12.5,0,70\n" + line + "\n"
    with pytest.raises(InputError, match=r"^pk\.csv, " + pattern):
        read(text)


def test_subject_split_and_reset() -> None:
    with pytest.raises(InputError, match="row 4, column 'ID': ID 1 appears again"):
        read("ID,TIME,EVID,AMT,DV\n1,0,1,5,.\n2,0,1,5,.\n1,3,0,.,2\n")
    # an EVID 3 reset may restart the clock
    df = read("ID,TIME,EVID,AMT,DV\n1,0,1,5,.\n1,4,0,.,2\n1,0,3,.,.\n1,0,1,5,.\n1,1,0,.,3\n")
    assert df["EVID"].tolist() == [1, 0, 3, 1, 0]
    with pytest.raises(InputError, match="missing column TIME"):
        read("ID,AMT\n1,5\n")
    with pytest.raises(InputError, match="no records"):
        validate_nonmem(pd.DataFrame({"ID": [], "TIME": []}))


ids = st.integers(1, 5)
finite = st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def datasets(draw: st.DrawFn) -> pd.DataFrame:
    rows = []
    for sid in sorted(draw(st.sets(ids, min_size=1, max_size=3))):
        times = sorted(draw(st.sets(finite, min_size=1, max_size=5)))
        for k, t in enumerate(times):
            if k == 0:
                amt = draw(st.floats(1e-3, 1e4, allow_subnormal=False))
                rows.append([sid, t, 1, amt, draw(finite), 0.0, 0, 1, np.nan, 1])
            else:
                dv = draw(st.one_of(st.just(np.nan), finite))
                rows.append([sid, t, 0, np.nan, 0.0, 0.0, 0, 2, dv, int(np.isnan(dv))])
    frame = pd.DataFrame(rows, columns=list(NONMEM_COLUMNS))
    frame["WT"] = draw(st.floats(30.0, 150.0))
    return frame


@settings(max_examples=25, deadline=None)
@given(datasets())
def test_write_read_round_trip_is_exact(frame: pd.DataFrame) -> None:
    expected = validate_nonmem(frame)
    back = read(write_nonmem(frame))
    pd.testing.assert_frame_equal(back, expected, check_exact=True)
