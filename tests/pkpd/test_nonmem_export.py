"""NONMEM dataset export of a PK table: records, BLQ by M1/M3 (Beal 2001), the file read back.

The observations must be R's Theoph data exactly (``datasets::Theoph``, bundled as
``examples/pk/theoph.csv``), one dose record per subject before them, as nlmixr2's ``theo_sd``.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.datasets import read_nonmem
from cxcr4lab.pkpd.nonmem_export import NonmemExport, to_nonmem
from cxcr4lab.runs import KINDS, example_inputs, run_kind


@pytest.fixture(scope="module")
def theoph() -> pd.DataFrame:
    _, content = example_inputs(KINDS["nonmem"].examples[0])["data"]
    return pd.read_csv(io.BytesIO(content))


def test_records_of_theoph(theoph: pd.DataFrame) -> None:
    result = to_nonmem(theoph, source="theoph.csv", blq_method="m1")
    frame = result.frame()
    assert len(frame) == 12 + 132
    doses = frame[frame["EVID"] == 1]
    assert list(doses["ID"]) == list(range(1, 13))
    assert (doses["TIME"] == 0).all() and (doses["AMT"] == 320).all() and (doses["CMT"] == 1).all()
    obs = frame[frame["EVID"] == 0]
    assert (obs["CMT"] == 2).all() and (obs["MDV"] == 0).all()
    np.testing.assert_array_equal(obs["DV"].to_numpy(), theoph["conc"].to_numpy())
    np.testing.assert_array_equal(obs["TIME"].to_numpy(), theoph["time"].to_numpy())
    # each subject: its dose first, then its samples in time order
    first = frame.groupby("ID").head(1)
    assert (first["EVID"] == 1).all()


def test_m3_writes_censored_records_and_m1_drops_them(theoph: pd.DataFrame) -> None:
    m3 = to_nonmem(theoph, blq_method="m3", lloq=0.5).frame()
    m1 = to_nonmem(theoph, blq_method="m1", lloq=0.5).frame()
    below = theoph["conc"] < 0.5
    assert m3["BLQ"].sum() == m1["BLQ"].sum() == below.sum() == 11
    blq3 = m3[m3["BLQ"] == 1]
    assert (blq3["DV"] == 0.5).all() and (blq3["MDV"] == 0).all() and (blq3["CENS"] == 1).all()
    blq1 = m1[m1["BLQ"] == 1]
    assert blq1["DV"].isna().all() and (blq1["MDV"] == 1).all() and (blq1["CENS"] == 0).all()


def test_the_written_file_reads_back_equal(theoph: pd.DataFrame) -> None:
    result = to_nonmem(theoph, blq_method="m3", lloq=0.5)
    back = read_nonmem(io.StringIO(result.nonmem_csv()), text_columns=("SUBJECT",))
    written = result.frame()
    for column in ("ID", "TIME", "EVID", "AMT", "RATE", "CMT", "DV", "MDV", "BLQ", "CENS"):
        np.testing.assert_array_equal(back[column].to_numpy(), written[column].to_numpy())
    again = NonmemExport.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result


def test_routes_infusion_rate_and_subject_names() -> None:
    frame = pd.DataFrame(
        {
            "subject": ["A-1", "A-1", "B-2", "B-2"],
            "time": [1.0, 2.0, 0.5, 4.0],
            "conc": ["10", "", "BLQ", "3"],
            "dose": [100, 100, 50, 50],
            "route": ["infusion", "infusion", "iv bolus", "iv bolus"],
            "duration": [0.5, 0.5, None, None],
        }
    )
    result = to_nonmem(frame, blq_method="m1")
    out = result.frame()
    assert list(out["ID"]) == [1, 1, 2, 2, 2] and list(out["SUBJECT"].unique()) == ["A-1", "B-2"]
    assert out.loc[0, "RATE"] == 200.0 and (out["CMT"] == 1).all()
    assert result.missing_samples == 1 and result.blq_samples == 1


def test_m3_without_an_lloq_is_refused() -> None:
    frame = pd.DataFrame(
        {"subject": [1, 1], "time": [1, 2], "conc": ["5", "BLQ"], "dose": [10, 10]}
    )
    with pytest.raises(InputError, match="needs --lloq"):
        to_nonmem(frame, blq_method="m3")


def test_the_kind_and_its_bad_options() -> None:
    files = example_inputs(KINDS["nonmem"].examples[0])
    outcome = run_kind("nonmem", files, {"lloq": "0.5"})
    assert outcome.result.blq_samples == 11
    with pytest.raises(InputError, match="blq_method"):
        run_kind("nonmem", files, {"blq_method": "m7"})
    with pytest.raises(InputError, match="lloq"):
        run_kind("nonmem", files, {"lloq": "-1"})
    bad = files["data"][1].replace(b"\n1,0.25,", b"\n1,-0.25,", 1)
    with pytest.raises(InputError, match=r"bad\.csv.*time"):
        run_kind("nonmem", {"data": ("bad.csv", bad)}, {})
