"""CDISC-style tables: reading CSV/Parquet/XPT, validation errors that name file, row, subject."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from cxcr4lab.clinical.cdisc import (
    read_clinical_bytes,
    validate_adae,
    validate_adrs,
    validate_adsl,
    validate_adtte,
    validate_tr,
)
from cxcr4lab.core.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "clinical"

ADSL = pd.DataFrame(
    {"USUBJID": ["S1", "S2", "S3"], "ARM": ["A", "A", "B"], "TRTDURD": [10, 20, 30]}
)
ADTTE = pd.DataFrame(
    {
        "USUBJID": ["S1", "S2", "S3"],
        "PARAMCD": ["PFS"] * 3,
        "AVAL": [12.5, 40.0, 3.0],
        "CNSR": [0, 1, 0],
    }
)


def _csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode()


def test_csv_parquet_and_xpt_give_the_same_validated_table(tmp_path: Path) -> None:
    xpt = tmp_path / "adtte.xpt"
    pyreadstat.write_xport(ADTTE, str(xpt), table_name="ADTTE")
    buf = io.BytesIO()
    ADTTE.to_parquet(buf)
    sl = validate_adsl(ADSL, "adsl.csv")
    out = []
    for name, content in (
        ("adtte.csv", _csv(ADTTE)),
        ("adtte.xpt", xpt.read_bytes()),
        ("adtte.parquet", buf.getvalue()),
    ):
        frame, base = read_clinical_bytes(content, name)
        out.append(validate_adtte(frame, name, adsl=sl, row_base=base))
        assert base == (2 if name.endswith(".csv") else 1)
    for other in out[1:]:
        pd.testing.assert_frame_equal(out[0], other, check_dtype=False)
    assert list(out[0]["CNSR"]) == [0, 1, 0]
    assert list(out[0]["AVAL"]) == [12.5, 40.0, 3.0]


def test_adsl_xpt_round_trip_keeps_subjects_and_arms(tmp_path: Path) -> None:
    path = tmp_path / "adsl.xpt"
    pyreadstat.write_xport(ADSL.rename(columns={"ARM": "TRT01A"}), str(path))
    frame, base = read_clinical_bytes(path.read_bytes(), "adsl.xpt")
    sl = validate_adsl(frame, "adsl.xpt", row_base=base)
    assert list(sl["USUBJID"]) == ["S1", "S2", "S3"] and list(sl["ARM"]) == ["A", "A", "B"]
    assert list(sl["TRTDURD"]) == [10.0, 20.0, 30.0]


def test_the_simulated_examples_validate_and_are_labelled() -> None:
    for trial in ("phase1b", "fortress"):

        def read(kind: str, trial: str = trial) -> tuple[pd.DataFrame, str]:
            name = f"{trial}_{kind}.csv"
            return read_clinical_bytes((EXAMPLES / name).read_bytes(), name)[0], name

        sl = validate_adsl(*read("adsl"))
        assert set(sl["SIMULATED"]) == {"Y"}
        validate_adrs(*read("adrs"), adsl=sl)
        validate_adtte(*read("adtte"), adsl=sl)
        validate_adae(*read("adae"), adsl=sl)
        validate_tr(*read("tr"), adsl=sl)


@pytest.mark.parametrize(
    ("table", "frame", "message", "where"),
    [
        ("adtte", ADTTE.assign(AVAL=[1.0, -2.0, 3.0]), "must be >= 0", "row 3"),
        ("adtte", ADTTE.assign(AVAL=["1", "", "3"]), "missing", "subject S2"),
        ("adtte", ADTTE.assign(CNSR=[0, 2, 1]), "CNSR must be 0", "row 3"),
        ("adtte", ADTTE.assign(USUBJID=["S1", "S9", "S3"]), "not in ADSL", "S9"),
        ("adtte", ADTTE.assign(USUBJID=["S1", "S1", "S3"]), "duplicate", "row 3"),
        ("adtte", ADTTE.drop(columns="CNSR"), "missing column(s) CNSR", "adtte.csv"),
        (
            "adae",
            pd.DataFrame({"USUBJID": ["S1"], "AEDECOD": ["Nausea"], "AETOXGR": ["severe"]}),
            "'severe' is not a number",
            "column 'AETOXGR'",
        ),
        (
            "adae",
            pd.DataFrame({"USUBJID": ["S1"], "AEDECOD": ["Nausea"], "AETOXGR": [6]}),
            "integer 1-5",
            "subject S1",
        ),
        (
            "adae",
            pd.DataFrame({"USUBJID": ["S1"], "AEDECOD": ["x"], "AETOXGR": [1], "AESER": ["maybe"]}),
            "not Y or N",
            "column 'AESER'",
        ),
        (
            "adrs",
            pd.DataFrame({"USUBJID": ["S1"], "PARAMCD": ["OVR"], "AVALC": ["PR"], "ADY": [""]}),
            "ADY (study day) is missing",
            "subject S1",
        ),
        (
            "adrs",
            pd.DataFrame({"USUBJID": ["S1"], "PARAMCD": ["OVR"], "AVALC": ["GOOD"], "ADY": [4]}),
            "not a RECIST response",
            "row 2",
        ),
        (
            "adrs",
            pd.DataFrame(
                {
                    "USUBJID": ["S1", "S1"],
                    "PARAMCD": ["OVR", "OVR"],
                    "AVALC": ["SD", "PD"],
                    "ADY": [42, 84],
                    "VISIT": ["WEEK 6", "WEEK 6"],
                }
            ),
            "duplicate visit",
            "row 3",
        ),
    ],
)
def test_bad_tables_name_file_row_and_subject(
    table: str, frame: pd.DataFrame, message: str, where: str
) -> None:
    sl = validate_adsl(ADSL, "adsl.csv")
    fn = {"adtte": validate_adtte, "adae": validate_adae, "adrs": validate_adrs}[table]
    with pytest.raises(InputError) as err:
        fn(frame, f"{table}.csv", adsl=sl)
    assert message in str(err.value) and where in str(err.value)
    assert err.value.place.file == f"{table}.csv"


def _tr(**changes: list[object]) -> pd.DataFrame:
    base = {
        "USUBJID": ["S1", "S1", "S1", "S1"],
        "VISIT": ["BASELINE", "BASELINE", "WEEK 6", "WEEK 6"],
        "ADY": [-3, -3, 42, 42],
        "LESIONID": ["T01", "NT01", "T01", "NT01"],
        "TARGET": ["Y", "N", "Y", "N"],
        "NODE": ["N", "N", "N", "N"],
        "DIAM": [30, None, 20, None],
        "NEW": ["N"] * 4,
        "NTSTAT": ["", "PRESENT", "", "PRESENT"],
    }
    base.update(changes)
    return pd.DataFrame(base)


def test_a_good_tr_table_validates() -> None:
    tr = validate_tr(_tr(), "tr.csv")
    assert list(tr["TARGET"]) == [True, False, True, False]


@pytest.mark.parametrize(
    ("changes", "message", "row"),
    [
        ({"LESIONID": ["T01", "NT01", "T02", "NT01"]}, "without a baseline measurement", 4),
        ({"ADY": [-3, -3, -1, -1]}, "study day must be > 0", 4),
        ({"ADY": [-3, -3, 42, 43]}, "more than one study day", 5),
        ({"VISIT": ["BASELINE", "BASELINE", "WEEK 6", "WEEK 7"]}, "duplicate visit", 5),
        ({"DIAM": [None, None, 20, None]}, "no baseline diameter", 2),
        ({"NTSTAT": ["", "PRESENT", "", "GONE"]}, "non-target status 'GONE'", 5),
        ({"TARGET": ["Y", "N", "Y", "perhaps"]}, "not Y or N", 5),
        ({"LESIONID": ["T01", "NT01", "T01", "T01"]}, "duplicate lesion record", 5),
    ],
)
def test_bad_tr_tables(changes: dict[str, list[object]], message: str, row: int) -> None:
    with pytest.raises(InputError) as err:
        validate_tr(_tr(**changes), "tr.csv")
    assert message in str(err.value)
    assert err.value.place.row == row and err.value.place.field == "subject S1"


def test_unreadable_and_empty_files() -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_clinical_bytes(b"not parquet at all", "x.parquet")
    with pytest.raises(InputError, match="empty"):
        read_clinical_bytes(b"  ", "x.csv")
    with pytest.raises(InputError, match="no data rows"):
        read_clinical_bytes(b"USUBJID,ARM\n", "x.csv")
    with pytest.raises(InputError, match="duplicate subject"):
        validate_adsl(pd.DataFrame({"USUBJID": ["a", "a"], "ARM": ["x", "y"]}), "adsl.csv")
    with pytest.raises(InputError, match="ARM"):
        validate_adsl(pd.DataFrame({"USUBJID": ["a"]}), "adsl.csv")


def test_shipped_examples_are_what_the_seeded_generator_writes(tmp_path: Path) -> None:
    from cxcr4lab.examples.clinical.simulate import generate

    tables = generate(tmp_path)
    assert len(tables) == 10
    for name in tables:
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), name


def test_tr_rows_are_file_lines_even_for_a_filtered_frame() -> None:
    frame = _tr(ADY=[-3, -3, 42, 43]).set_axis([10, 11, 12, 13])
    with pytest.raises(InputError, match="more than one study day") as err:
        validate_tr(frame, "tr.csv")
    assert err.value.place.row == 5
