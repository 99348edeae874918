"""CDISC for NCA: SDTM PC -> the tidy NCA table, NCA parameters -> SDTM PP, ISO 8601 times.

``tests/data/cdisc/pc_simulated.csv`` is a simulated PC domain (see the README beside it).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.nca import nca
from cxcr4lab.pkpd.nca_cdisc import (
    PP_COLUMNS,
    PP_TERMS,
    format_duration,
    parse_datetime,
    parse_duration,
    pp_table,
    read_pc,
)

PC = Path(__file__).resolve().parents[1] / "data" / "cdisc" / "pc_simulated.csv"


def _pc() -> pd.DataFrame:
    return pd.read_csv(PC, dtype=str, keep_default_na=False)


# ---------------------------------------------------------------------------------------------
# ISO 8601


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("PT2H", 2.0),
        ("PT30M", 0.5),
        ("P1DT2H", 26.0),
        ("PT1.5H", 1.5),
        ("PT0,25H", 0.25),
        ("PT90S", 0.025),
        ("P1D", 24.0),
        ("P2W", 336.0),
        ("P0Y0M1DT0H", 24.0),
        ("pt15m", 0.25),
        ("-PT15M", -0.25),
        ("PT0H", 0.0),
    ],
)
def test_parse_duration(text: str, hours: float) -> None:
    assert parse_duration(text) == pytest.approx(hours)


@pytest.mark.parametrize(
    "text",
    ["2H", "P", "PT", "-P", "+PT", "P1DT", "PT1.5H30M", "P1M", "P1Y", "PT-2H", "P1W2D", "", "PTXH"],
)
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(text[:3]) if text else "duration"):
        parse_duration(text)


@settings(max_examples=200, deadline=None)
@given(
    days=st.integers(0, 40),
    hours=st.integers(0, 23),
    minutes=st.integers(0, 59),
    seconds=st.integers(0, 59),
    millis=st.integers(0, 999),
)
def test_duration_parser_against_datetime_arithmetic(
    days: int, hours: int, minutes: int, seconds: int, millis: int
) -> None:
    delta = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds, milliseconds=millis)
    date = f"{days}D" if days else ""
    clock = (
        (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{seconds}.{millis:03d}S" if millis else f"{seconds}S" if seconds else "")
    )
    text = "P" + date + ("T" + clock if clock else "") if (date or clock) else "PT0S"
    assert parse_duration(text) == pytest.approx(delta.total_seconds() / 3600, abs=1e-12)
    assert parse_duration(format_duration(delta.total_seconds() / 3600)) == pytest.approx(
        delta.total_seconds() / 3600, abs=1e-9
    )


@settings(max_examples=100, deadline=None)
@given(hours=st.floats(min_value=0, max_value=1e5, allow_nan=False, allow_infinity=False))
def test_format_duration_round_trips(hours: float) -> None:
    text = format_duration(hours)
    assert re.fullmatch(r"PT(\d+H)?(\d+M)?(\d+(\.\d+)?S)?", text)
    assert parse_duration(text) == pytest.approx(hours, abs=1e-9)  # microsecond resolution


def test_format_duration_refuses_negative_and_infinite() -> None:
    for bad in (-1.0, math.inf, math.nan):
        with pytest.raises(ValueError):
            format_duration(bad)


def test_parse_datetime() -> None:
    assert parse_datetime("2021-03-01T08:00") == datetime(2021, 3, 1, 8, 0)
    assert parse_datetime("2021-03-01T08:00:30.5") == datetime(2021, 3, 1, 8, 0, 30, 500000)
    assert parse_datetime("2021-03-01T08:00Z").utcoffset() == timedelta(0)
    assert parse_datetime("2021-03-01T08:00+01:00").utcoffset() == timedelta(hours=1)
    with pytest.raises(ValueError, match="no time of day"):
        parse_datetime("2021-03-01")
    with pytest.raises(ValueError, match="no time of day"):
        parse_datetime("2021-03")
    with pytest.raises(ValueError, match="not a valid date-time"):
        parse_datetime("2021-02-30T08:00")
    with pytest.raises(ValueError, match="not an ISO 8601 date-time"):
        parse_datetime("01/03/2021 08:00")


# ---------------------------------------------------------------------------------------------
# PC -> tidy table


def test_read_pc_actual_times_blq_lloq_and_not_done() -> None:
    pc = read_pc(_pc(), "pc.csv", analyte="POL6326")
    t = pc.table
    assert pc.conc_unit == "ng/mL" and pc.analyte == "POL6326"
    assert pc.time_source == "PCDTC - PCRFTDTC"
    assert list(t.columns) == ["subject", "time", "conc", "analyte", "visit", "source_row"]
    a = t[t["subject"] == "SIM-01-001"]
    assert a["time"].tolist() == pytest.approx([0, 31 / 60, 2 + 2 / 60, 8, 24 + 5 / 60])
    assert a["conc"].tolist() == ["BLQ", 1520.0, 980.0, 210.0, "BLQ"]  # 4.1 < PCLLOQ 5
    assert a["source_row"].tolist() == [2, 3, 4, 5, 7]  # row 6: NOT DONE without PCDTC
    assert a["visit"].tolist()[-1] == "DAY 2"
    assert any("row 6" in n or "rows 6" in n for n in pc.notes)
    assert any("PCLLOQ" in n and "7" in n for n in pc.notes)
    b = t[t["subject"] == "SIM-01-002"]
    assert b["conc"].tolist() == ["BLQ", 1710.0, 1105.0, 260.0, 61.0, 6.2]


def test_read_pc_nominal_times_keep_the_not_done_sample_as_missing() -> None:
    pc = read_pc(_pc(), "pc.csv", analyte="pol6326", time="nominal")
    assert pc.time_source == "PCELTM"
    a = pc.table[pc.table["subject"] == "SIM-01-001"]
    assert a["time"].tolist() == [0, 0.5, 2, 8, 12, 24]
    assert math.isnan(a["conc"].tolist()[4])
    no_eltm = _pc().drop(columns=["PCELTM", "PCDTC"])
    pc2 = read_pc(no_eltm, "pc.csv", analyte="POL6326")
    assert pc2.time_source == "PCTPTNUM"
    assert pc2.table["time"].tolist() == pc.table["time"].tolist()


def test_pc_round_trip_into_nca() -> None:
    """PC -> tidy table -> the workbench NCA: the table needs only the dose added."""
    pc = read_pc(_pc(), "pc.csv", analyte="POL6326", time="nominal")
    frame = pc.table.assign(dose=1.5)  # mg/kg, simulated
    result = nca(frame, source="pc.csv")
    s = result.subject("SIM-01-002")
    assert s.cmax == 1710.0 and s.tmax == 0.5 and s.tlast == 24.0
    first = result.subject("SIM-01-001")
    assert first.tlast == 8.0  # the 24 h sample was below PCLLOQ
    assert any("missing" in n for n in first.notes)  # the NOT DONE sample


def test_read_pc_metabolite_and_column_case() -> None:
    frame = _pc().rename(columns=str.lower)
    pc = read_pc(frame, "pc.csv", analyte="M1")
    assert pc.table["conc"].tolist() == [12.0, 15.0]
    assert pc.table["analyte"].tolist() == ["M1", "M1"]
    assert pc.table["source_row"].tolist() == [14, 15]


def test_read_pc_pcorres_with_its_own_unit_and_no_visit() -> None:
    frame = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S1"],
            "PCTESTCD": ["DRUG"] * 3,
            "PCORRES": ["<0.50", "12.5", "3.1"],
            "PCORRESU": ["", "ug/L", "ug/L"],
            "PCELTM": ["PT0H", "PT1H", "P1DT0H30M"],
        }
    )
    pc = read_pc(frame, "pc.xpt", row_base=1)
    assert pc.conc_unit == "ug/L"
    assert pc.table["conc"].tolist() == ["BLQ", 12.5, 3.1]
    assert pc.table["time"].tolist() == [0.0, 1.0, 24.5]
    assert "visit" not in pc.table.columns
    assert pc.table["source_row"].tolist() == [1, 2, 3]


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)),
    seconds=st.integers(min_value=0, max_value=21 * 86400),
)
def test_actual_time_equals_the_duration_between_date_times(start: datetime, seconds: int) -> None:
    start = start.replace(microsecond=0)
    delta = timedelta(seconds=seconds)
    frame = pd.DataFrame(
        {
            "USUBJID": ["S1"],
            "PCTESTCD": ["DRUG"],
            "PCSTRESN": ["1.0"],
            "PCSTRESU": ["ng/mL"],
            "PCRFTDTC": [start.isoformat(timespec="seconds")],
            "PCDTC": [(start + delta).isoformat(timespec="seconds")],
            "PCELTM": [format_duration(seconds / 3600)],
        }
    )
    actual = read_pc(frame, "pc.csv", time="actual").table["time"].iloc[0]
    nominal = read_pc(frame, "pc.csv", time="nominal").table["time"].iloc[0]
    assert actual == pytest.approx(seconds / 3600, abs=1e-12)
    assert nominal == pytest.approx(actual, abs=1e-9)


def _one(**columns: list[str]) -> pd.DataFrame:
    base = {
        "USUBJID": ["S1", "S1"],
        "PCTESTCD": ["DRUG", "DRUG"],
        "PCSTRESN": ["10", "5"],
        "PCSTRESU": ["ng/mL", "ng/mL"],
        "PCELTM": ["PT1H", "PT2H"],
    }
    base.update(columns)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("frame", "kwargs", "message", "row", "column"),
    [
        (_one().drop(columns=["USUBJID"]), {}, "missing column.*USUBJID", None, None),
        (_one().drop(columns=["PCSTRESN"]), {}, "result column", None, "PCSTRESN"),
        (_one().drop(columns=["PCELTM"]), {}, "no auto times", None, "PCELTM"),
        (_one(), {"time": "actual"}, "PCDTC and PCRFTDTC", None, "PCDTC"),
        (_one(PCELTM=["PT1H", "2 hours"]), {}, "not an ISO 8601 duration", 3, "PCELTM"),
        (_one(PCELTM=["PT1H", "P1M"]), {}, "months", 3, "PCELTM"),
        (_one(PCELTM=["-PT15M", "PT2H"]), {}, "negative", 2, "PCELTM"),
        (_one(PCELTM=["PT1H", ""]), {}, "result but no time", 3, "PCELTM"),
        (_one(PCELTM=["PT1H", "PT1H"]), {}, "two samples at 1 h .first at row 2", 3, None),
        (_one(PCSTRESU=["ng/mL", "ug/L"]), {}, "unit 'ug/L' differs from 'ng/mL'", 3, "PCSTRESU"),
        (_one(PCSTRESU=["ng/mL", ""]), {}, "needs its unit", 3, "PCSTRESU"),
        (_one(PCSTRESN=["10", "high"]), {}, "'high' is not a number", 3, "PCSTRESN"),
        (_one(PCSTRESN=["10", "-1"]), {}, ">= 0", 3, "PCSTRESN"),
        (_one(USUBJID=["S1", ""]), {}, "missing", 3, "USUBJID"),
        (_one(PCTESTCD=["DRUG", "MET"]), {}, "several analytes .DRUG, MET.", None, "PCTESTCD"),
        (_one(), {"analyte": "MET"}, "no analyte 'MET'; the table has DRUG", None, "PCTESTCD"),
        (_one(), {"specimen": "URINE"}, "no PCSPEC column", None, "PCSPEC"),
        (_one(PCSPEC=["PLASMA", "URINE"]), {}, "several specimens", None, "PCSPEC"),
        (_one(), {"time": "later"}, "must be one of", None, None),
    ],
)
def test_read_pc_refuses(
    frame: pd.DataFrame,
    kwargs: dict[str, str],
    message: str,
    row: int | None,
    column: str | None,
) -> None:
    with pytest.raises(InputError, match=message) as err:
        read_pc(frame, "pc.csv", **kwargs)  # type: ignore[arg-type]
    if kwargs.get("time") != "later":
        assert err.value.place.file == "pc.csv"
    assert err.value.place.row == row
    assert err.value.place.column == column


def test_read_pc_refuses_bad_date_times_and_text_results() -> None:
    frame = _one(PCRFTDTC=["2021-03-01T08:00"] * 2, PCDTC=["2021-03-01T09:00", "2021-03-01"])
    with pytest.raises(InputError, match="no time of day") as err:
        read_pc(frame, "pc.csv")
    assert (err.value.place.row, err.value.place.column) == (3, "PCDTC")
    early = _one(PCRFTDTC=["2021-03-01T08:00"] * 2, PCDTC=["2021-03-01T07:45", "2021-03-01T09:00"])
    with pytest.raises(InputError, match=r"-0\.25 h is before the reference") as err:
        read_pc(early, "pc.csv")
    assert (err.value.place.row, err.value.place.column) == (2, "PCDTC")
    mixed = _one(PCRFTDTC=["2021-03-01T08:00Z"] * 2, PCDTC=["2021-03-01T09:00"] * 2)
    with pytest.raises(InputError, match="UTC offset"):
        read_pc(mixed, "pc.csv")
    text = _one(PCSTRESN=["", ""], PCSTRESC=["12", "see comment"])
    with pytest.raises(InputError, match="neither a number nor a BLQ mark") as err:
        read_pc(text, "pc.csv")
    assert (err.value.place.row, err.value.place.column) == (3, "PCSTRESC")


# ---------------------------------------------------------------------------------------------
# PP out

REQUIRED_KEYS = [
    "cmax",
    "tmax",
    "clast",
    "tlast",
    "auc_last",
    "auc_all",
    "auc_inf_obs",
    "auc_inf_pred",
    "auc_pct_extrap_obs",
    "auc_pct_extrap_pred",
    "lambda_z",
    "half_life",
    "lambda_z_n",
    "lambda_z_adj_r2",
    "cl_obs",
    "vz_obs",
    "vss_obs",
    "mrt_inf_obs",
    "cmin",
    "ctrough",
    "cavg",
    "auc_tau",
    "fluctuation_pct",
    "swing",
    "accumulation_ratio",
    "auc_int",
]


def test_pp_terms_cover_the_parameters_and_obey_sdtm_limits() -> None:
    assert list(PP_TERMS) == REQUIRED_KEYS
    owner: dict[str, str] = {}
    for key, term in PP_TERMS.items():
        for route in ("extravascular", "iv bolus", "infusion"):
            code, name = term.for_route(route)
            if not code:  # no CDISC term for this route (vss_obs after an oral dose)
                continue
            assert re.fullmatch(r"[A-Z][A-Z0-9_]{0,7}", code), code
            assert 0 < len(name) <= 40, name
            assert owner.setdefault(code, key) == key, f"{code} used by two parameters"
    assert PP_TERMS["cl_obs"].for_route("extravascular") == ("CLFO", "Total CL Obs by F")
    assert PP_TERMS["cl_obs"].for_route("iv bolus") == ("CLO", "Total CL Obs")
    assert PP_TERMS["vz_obs"].for_route("extravascular") == ("VZFO", "Vz Obs by F")
    assert PP_TERMS["mrt_inf_obs"].for_route("infusion")[0] == "MRTICIFO"
    assert PP_TERMS["mrt_inf_obs"].for_route("extravascular")[0] == "MRTEVIFO"
    assert PP_TERMS["tmax"].test == "Time of CMAX Observation"
    assert PP_TERMS["auc_int"].testcd == "AUCINT"
    assert PP_TERMS["vss_obs"].for_route("extravascular") == ("", "")


def _summary() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("S1", "cmax", 1710.0, "ng/mL", None, None, "extravascular"),
            ("S1", "tmax", 0.5, "h", None, None, "extravascular"),
            ("S1", "lambda_z", 0.1733, "1/h", None, None, "extravascular"),
            ("S1", "lambda_z_n", 3.0, "", None, None, "extravascular"),
            ("S1", "cl_obs", 0.12, "L/h/kg", None, None, "extravascular"),
            ("S1", "auc_int", 2500.0, "h*ng/mL", 0.0, 12.0, "extravascular"),
            ("S2", "cl_obs", 0.2, "L/h", None, None, "IV bolus"),
            ("S2", "mrt_inf_obs", 4.5, "h", None, None, "infusion"),
            ("S2", "auc_inf_obs", float("nan"), "h*ng/mL", None, None, "infusion"),
            ("S2", "auc_tau", 800.0, "h*ng/mL", 0.0, 24.0, "infusion"),
            ("S2", "auc_inf_pred", 900.0, "h*ng/mL", 0.0, float("inf"), "infusion"),
        ],
        columns=["subject", "parameter", "value", "unit", "start", "end", "route"],
    )


def test_pp_table_columns_codes_and_intervals() -> None:
    pp = pp_table(_summary(), study_id="SIM-01")
    assert list(pp.columns) == list(PP_COLUMNS)
    assert set(pp["DOMAIN"]) == {"PP"} and set(pp["STUDYID"]) == {"SIM-01"}
    assert set(pp["PPSPEC"]) == {"PLASMA"}
    assert pp["PPTESTCD"].tolist() == [
        "CMAX",
        "TMAX",
        "LAMZ",
        "LAMZNPT",
        "CLFO",
        "AUCINT",
        "CLO",
        "MRTICIFO",
        "AUCIFO",
        "AUCTAU",
        "AUCIFP",
    ]
    assert pp["PPSEQ"].tolist() == [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5]
    assert pp["PPSEQ"].dtype == "int64" and pp["PPSTRESN"].dtype == "float64"
    row = pp.set_index("PPTESTCD")
    assert row.loc["CMAX", "PPORRES"] == "1710" and row.loc["CMAX", "PPSTRESN"] == 1710.0
    assert row.loc["LAMZ", "PPSTRESC"] == "0.1733" and row.loc["LAMZ", "PPSTRESU"] == "/h"
    assert row.loc["LAMZNPT", "PPORRESU"] == ""
    assert row.loc["CLFO", "PPTEST"] == "Total CL Obs by F"
    assert (row.loc["AUCINT", "PPSTINT"], row.loc["AUCINT", "PPENINT"]) == ("PT0H", "PT12H")
    assert (row.loc["AUCTAU", "PPSTINT"], row.loc["AUCTAU", "PPENINT"]) == ("PT0H", "PT24H")
    assert row.loc["AUCIFP", "PPENINT"] == ""  # end = inf: no interval
    assert row.loc["CMAX", "PPSTINT"] == ""
    nd = pp.set_index("PPTESTCD").to_dict("index")["AUCIFO"]
    assert (nd["PPSTAT"], nd["PPREASND"], nd["PPORRES"], nd["PPORRESU"]) == (
        "NOT DONE",
        "NOT ESTIMABLE",
        "",
        "",
    )
    assert math.isnan(float(nd["PPSTRESN"]))


def test_pp_table_units_mapping_analyte_and_default_route() -> None:
    summary = pd.DataFrame(
        {
            "USUBJID": ["S9", "S9"],
            "parameter": ["cl_obs", "auc_last"],
            "value": [0.5, 40],
            "unit": ["L/h", "h*mg/L"],
            "analyte": ["POL6326", "POL6326"],
        }
    )
    pp = pp_table(summary, usubjid_col="USUBJID", units={"h*mg/L": "h*ug/mL", "cl_obs": "L/hr"})
    assert pp["PPTESTCD"].tolist() == ["CLFO", "AUCLST"]  # no route column: extravascular
    assert pp["PPSTRESU"].tolist() == ["L/hr", "h*ug/mL"]
    assert pp["PPCAT"].tolist() == ["POL6326", "POL6326"]
    assert pp["PPORRES"].tolist() == ["0.5", "40"]


@pytest.mark.parametrize(
    ("change", "message", "column"),
    [
        ({"parameter": "aumc_last"}, "unknown parameter 'aumc_last'", "parameter"),
        ({"value": "big"}, "'big' is not a number", "value"),
        ({"route": "inhaled"}, "unknown route", "route"),
        ({"subject": ""}, "missing", "subject"),
        ({"parameter": "vss_obs"}, "no term for vss_obs after extravascular dosing", "route"),
        ({"parameter": "auc_int"}, "needs finite start and end", "start"),
        ({"start": 12.0, "end": 6.0}, "need 0 <= start < end", "start"),
    ],
)
def test_pp_table_refuses(change: dict[str, object], message: str, column: str) -> None:
    columns: dict[str, list[object]] = {
        "subject": ["S1", "S1"],
        "parameter": ["cmax", "tmax"],
        "value": [1.0, 2.0],
        "unit": ["ng/mL", "h"],
        "start": [None, None],
        "end": [None, None],
        "route": ["oral", "oral"],
    }
    for key, value in change.items():
        columns[key][1] = value
    summary = pd.DataFrame(columns)
    with pytest.raises(InputError, match=re.escape(message)) as err:
        pp_table(summary, source="nca.csv")
    assert (err.value.place.file, err.value.place.row, err.value.place.column) == (
        "nca.csv",
        2,
        column,
    )


def test_pp_table_needs_its_columns() -> None:
    with pytest.raises(InputError, match=r"missing column.*unit"):
        pp_table(pd.DataFrame({"subject": ["S1"], "parameter": ["cmax"], "value": [1.0]}))
