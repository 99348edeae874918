"""NCA: Phoenix WinNonlin reference results, AUC rules, BLQ, lambda_z override, bad input.

Reference: WinNonlin 6.3/7.0 NCA of R's Theoph (extravascular, dose 320 mg for every subject)
and Indometh (IV bolus and 0.25 h infusion, dose 25 mg), linear and linear-up/log-down, as
published by the NonCompart validation (tests/data/pk/README.md). In R::

    NonCompart::tblNCA(Theoph, "Subject", "Time", "conc", dose=320, down="Log")
    NonCompart::tblNCA(Indometh, "Subject", "time", "conc", dose=25, adm="Bolus")

Tolerance: relative 1e-3 on every parameter WinNonlin reports there.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.nca import NcaResult, NcaSettings, SubjectNca, nca

DATA = Path(__file__).resolve().parents[1] / "data" / "pk"
RTOL = 1e-3

# WinNonlin column -> function of (subject result, dose)
COMMON = {
    "Rsq": lambda s, d: s.lambda_z.r2,
    "Rsq_adjusted": lambda s, d: s.lambda_z.adj_r2,
    "Corr_XY": lambda s, d: -math.sqrt(s.lambda_z.r2),
    "No_points_lambda_z": lambda s, d: s.lambda_z.n_points,
    "Lambda_z": lambda s, d: s.lambda_z.lambda_z,
    "Lambda_z_lower": lambda s, d: s.lambda_z.t_lower,
    "Lambda_z_upper": lambda s, d: s.lambda_z.t_upper,
    "HL_Lambda_z": lambda s, d: s.half_life,
    "Tlag": lambda s, d: s.tlag,
    "Tmax": lambda s, d: s.tmax,
    "Cmax": lambda s, d: s.cmax,
    "Cmax_D": lambda s, d: s.cmax / d,
    "C0": lambda s, d: s.c0,
    "Tlast": lambda s, d: s.tlast,
    "Clast": lambda s, d: s.clast,
    "AUClast": lambda s, d: s.auc_last,
    "AUCall": lambda s, d: s.auc_all,
    "AUMClast": lambda s, d: s.aumc_last,
    "MRTlast": lambda s, d: s.mrt_last,
}
for _tag in ("obs", "pred"):
    COMMON |= {
        f"AUCINF_{_tag}": lambda s, d, t=_tag: getattr(s, f"auc_inf_{t}"),
        f"AUCINF_D_{_tag}": lambda s, d, t=_tag: getattr(s, f"auc_inf_{t}") / d,
        f"AUC_%Extrap_{_tag}": lambda s, d, t=_tag: getattr(s, f"auc_pct_extrap_{t}"),
        f"AUC_%Back_Ext_{_tag}": lambda s, d, t=_tag: getattr(s, f"auc_pct_back_extrap_{t}"),
        f"Vz_F_{_tag}": lambda s, d, t=_tag: getattr(s, f"vz_{t}"),
        f"Cl_F_{_tag}": lambda s, d, t=_tag: getattr(s, f"cl_{t}"),
        f"Vz_{_tag}": lambda s, d, t=_tag: getattr(s, f"vz_{t}"),
        f"Cl_{_tag}": lambda s, d, t=_tag: getattr(s, f"cl_{t}"),
        f"Vss_{_tag}": lambda s, d, t=_tag: getattr(s, f"vss_{t}"),
        f"AUMCINF_{_tag}": lambda s, d, t=_tag: getattr(s, f"aumc_inf_{t}"),
        f"AUMC_%Extrap_{_tag}": lambda s, d, t=_tag: getattr(s, f"aumc_pct_extrap_{t}"),
        f"MRTINF_{_tag}": lambda s, d, t=_tag: getattr(s, f"mrt_inf_{t}"),
    }


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str)


def indometh(route: str) -> pd.DataFrame:
    frame = read("indometh.csv")
    frame["route"] = route
    if route == "infusion":
        frame["duration"] = "0.25"
    return frame


CASES = [
    ("theoph.csv", None, "linear", "wnl_theoph_linear.csv"),
    ("theoph.csv", None, "log-down", "wnl_theoph_log.csv"),
    ("indometh.csv", "iv bolus", "linear", "wnl_indometh_bolus_linear.csv"),
    ("indometh.csv", "iv bolus", "log-down", "wnl_indometh_bolus_log.csv"),
    ("indometh.csv", "infusion", "linear", "wnl_indometh_infusion_linear.csv"),
    ("indometh.csv", "infusion", "log-down", "wnl_indometh_infusion_log.csv"),
]


@pytest.mark.parametrize(("data", "route", "method", "reference"), CASES)
def test_matches_winnonlin(data: str, route: str | None, method: str, reference: str) -> None:
    frame = read(data) if route is None else indometh(route)
    result = nca(frame, NcaSettings(auc_method=method), source=data)
    expected = pd.read_csv(DATA / reference)
    checked = 0
    for _, row in expected.iterrows():
        s = result.subject(str(int(row["Subject"])))
        for column in expected.columns[1:]:
            got = COMMON[column](s, s.dose)
            assert got is not None, f"subject {s.subject}: {column} missing"
            assert got == pytest.approx(row[column], rel=RTOL, abs=1e-12), (
                f"subject {s.subject}: {column} = {got}, WinNonlin {row[column]}"
            )
            checked += 1
    assert checked == len(expected) * (len(expected.columns) - 1)


def profile(**columns: list[object]) -> pd.DataFrame:
    n = len(columns["time"])
    base: dict[str, list[object]] = {"subject": ["s"] * n, "dose": [100] * n}
    return pd.DataFrame(base | columns)


def test_linear_and_log_down_rules_by_hand() -> None:
    frame = profile(time=[0, 1, 2], conc=[0, 8, 2])
    lin = nca(frame, NcaSettings(auc_method="linear"), source="x").subjects[0]
    log = nca(frame, NcaSettings(auc_method="log-down"), source="x").subjects[0]
    assert lin.auc_last == pytest.approx(4 + 5)
    assert log.auc_last == pytest.approx(4 + (8 - 2) / math.log(4))
    k = math.log(4)
    assert log.aumc_last == pytest.approx(0.5 * 8 + (8 * 1 - 2 * 2) / k + 6 / k**2)


def test_blq_before_tmax_zero_after_missing() -> None:
    frame = profile(time=[0, 0.5, 1, 2, 4, 6, 8], conc=["BLQ", 5, 10, 5, 2.5, 1.25, "BLQ"])
    s = nca(frame, source="x").subjects[0]
    assert s.tlast == 6
    assert s.n_samples == 6
    assert s.lambda_z is not None and s.lambda_z.lambda_z == pytest.approx(math.log(2) / 2)
    assert any("BLQ after Tmax" in n for n in s.notes)
    zero = nca(frame, NcaSettings(blq_after_tmax="zero"), source="x").subjects[0]
    assert zero.auc_all == pytest.approx(s.auc_last + 0.5 * 2 * 1.25)
    assert zero.auc_last == pytest.approx(s.auc_last)


def test_lloq_marks_values_below_as_blq() -> None:
    frame = profile(time=[0, 1, 2, 4, 8], conc=[0.01, 10, 5, 2.5, 0.05])
    s = nca(frame, NcaSettings(lloq=0.1), source="x").subjects[0]
    assert s.tlast == 4
    assert any("BLQ before Tmax" in n for n in s.notes)


def test_manual_lambda_z_range() -> None:
    frame = read("theoph.csv")
    auto = nca(frame, source="t").subject("1")
    manual = nca(frame, NcaSettings(lambda_z_ranges=(("1", 5.0, 24.37),)), source="t").subject("1")
    assert manual.lambda_z is not None and manual.lambda_z.manual
    assert manual.lambda_z.n_points == 5
    assert manual.lambda_z.t_lower == 5.1
    assert auto.lambda_z is not None and not auto.lambda_z.manual
    assert manual.lambda_z.lambda_z != pytest.approx(auto.lambda_z.lambda_z)
    with pytest.raises(InputError, match="not in the table"):
        nca(frame, NcaSettings(lambda_z_ranges=(("99", 1.0, 2.0),)), source="t")


def test_result_round_trips_through_json() -> None:
    result = nca(read("theoph.csv"), NcaSettings(lambda_z_ranges=(("2", 5.0, 24.3),)), source="t")
    text = json.dumps(result.to_dict())
    assert "NaN" not in text
    again = NcaResult.from_dict(json.loads(text))
    assert again == result
    assert result.kind == "nca"
    assert result.potencies() == []


def test_summary_has_units_in_column_names() -> None:
    table = nca(read("theoph.csv"), source="t").summary()
    assert len(table) == 12
    for name in ("Cmax (mg/L)", "AUClast (h*mg/L)", "CL_obs (L/h)", "Vz_obs (L)", "t1/2 (h)"):
        assert name in table.columns
    assert table["Vss_obs (L)"].isna().all()


def test_no_decline_gives_no_lambda_z_and_a_note() -> None:
    s = nca(profile(time=[0, 1, 2, 3], conc=[0, 1, 2, 3]), source="x").subjects[0]
    assert s.lambda_z is None and s.auc_inf_obs is None and s.cl_obs is None
    assert any("lambda_z not estimable" in n for n in s.notes)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"conc": [0, -1, 2]}, r"row 3, column 'conc'.*>= 0"),
        ({"time": [0, 1, 1]}, r"row 4.*duplicate subject=s, time=1"),
        ({"dose": [None, None, None]}, r"row 2, column 'dose'.*has no dose"),
        ({"conc": [0, "abc", 2]}, r"row 3, column 'conc'.*'abc' is not a number"),
        ({"time": [0, "x", 2]}, r"row 3, column 'time'"),
        ({"dose": [100, 100, 50]}, r"row 4, column 'dose'.*differs"),
        ({"route": ["infusion"] * 3}, r"column 'duration'.*infusion needs a duration"),
        ({"route": ["rectal?"] * 3}, r"column 'route'.*unknown route"),
    ],
)
def test_bad_input_names_the_place(change: dict[str, list[object]], message: str) -> None:
    columns: dict[str, list[object]] = {"time": [0, 1, 2], "conc": [0, 5, 2]} | change
    with pytest.raises(InputError, match=message) as info:
        nca(profile(**columns), source="pk.csv")
    assert info.value.place.file == "pk.csv"


def test_missing_column_and_bad_settings() -> None:
    with pytest.raises(InputError, match="missing column"):
        nca(pd.DataFrame({"subject": ["a"], "time": [0], "conc": [1]}), source="pk.csv")
    with pytest.raises(InputError, match="auc_method"):
        NcaSettings(auc_method="spline")


def test_unsorted_times_are_fine() -> None:
    frame = read("theoph.csv")
    shuffled = frame.sample(frac=1.0, random_state=np.random.default_rng(3).integers(2**31))
    a = nca(frame, source="t")
    b = nca(shuffled.reset_index(drop=True), source="t")
    assert {s.subject: s.auc_last for s in a.subjects} == pytest.approx(
        {s.subject: s.auc_last for s in b.subjects}
    )


@settings(max_examples=30, deadline=None)
@given(
    cl=st.floats(0.5, 20.0),
    v=st.floats(5.0, 100.0),
    dose=st.floats(1.0, 1000.0),
    method=st.sampled_from(["linear", "log-down"]),
)
def test_dense_monoexponential_auc_approaches_dose_over_cl(
    cl: float, v: float, dose: float, method: str
) -> None:
    k = cl / v
    times = np.linspace(0.0, 5.0 / k, 400)
    frame = pd.DataFrame(
        {
            "subject": "s",
            "time": times,
            "conc": dose / v * np.exp(-k * times),
            "dose": dose,
            "route": "iv bolus",
        }
    )
    s: SubjectNca = nca(frame, NcaSettings(auc_method=method), source="sim").subjects[0]
    assert s.auc_inf_obs == pytest.approx(dose / cl, rel=1e-3)
    assert s.cl_obs == pytest.approx(cl, rel=1e-3)
    assert s.lambda_z is not None and s.lambda_z.lambda_z == pytest.approx(k, rel=1e-6)
