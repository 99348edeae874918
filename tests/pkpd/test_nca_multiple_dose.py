"""NCA of multiple doses, intervals, dose tables and PKNCA's BLQ rules.

The steady-state references are superposition by hand: a one-compartment IV bolus of dose D
every tau h gives, in the n-th dosing interval (k = CL/V),

    AUC_n = D/(V k) (1 - exp(-n k tau)),      AUC_1 = D/(V k) (1 - exp(-k tau)),
    C(t) = D/V sum_j exp(-k (t - t_j)),       Rac_pred = 1 / (1 - exp(-k tau)),

and under linear-up/log-down every segment of a mono-exponential decline, and C0
back-extrapolated from two falling samples, are exact, so the NCA must agree to rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.nca import NcaResult, NcaSettings, nca

D, V, K, TAU, N = 100.0, 20.0, 0.1, 12.0, 10
POST = (0.5, 1.0, 2.0, 4.0, 6.0, 8.0, 12.0)


def _bolus_conc(t: float, doses: list[float]) -> float:
    return sum(D / V * math.exp(-K * (t - td)) for td in doses if td <= t)


def _bolus_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    dose_times = [i * TAU for i in range(N)]
    times = sorted(
        {0.0}
        | {dose_times[0] + p for p in POST}
        | {dose_times[-1]}
        | {dose_times[-1] + p for p in POST}
    )
    conc = pd.DataFrame(
        {
            "subject": "s1",
            "time": times,
            # the sample at a dose time is the pre-dose trough
            "conc": [_bolus_conc(t - 1e-12, dose_times) if t > 0 else 0.0 for t in times],
        }
    )
    doses = pd.DataFrame(
        {"subject": "s1", "time": dose_times, "dose": D, "route": "iv bolus", "tau": TAU}
    )
    return conc, doses


def _bolus_result(**settings: object) -> NcaResult:
    conc, doses = _bolus_tables()
    s = NcaSettings(auc_method="log-down", conc_unit="mg/L", dose_unit="mg", **settings)  # type: ignore[arg-type]
    return nca(conc, s, source="conc.csv", doses=doses, dose_source="doses.csv")


def test_steady_state_equals_superposition_by_hand() -> None:
    result = _bolus_result(steady_state=True)
    first, last = result.intervals
    assert (first.kind, first.start, first.end) == ("dosing", 0.0, TAU)
    assert (last.kind, last.start, last.end) == ("steady state", (N - 1) * TAU, N * TAU)
    auc1 = D / (V * K) * (1 - math.exp(-K * TAU))
    aucn = D / (V * K) * (1 - math.exp(-N * K * TAU))
    assert first.auc == pytest.approx(auc1, rel=1e-9)
    assert last.auc == pytest.approx(aucn, rel=1e-9)
    assert last.accumulation_ratio == pytest.approx(aucn / auc1, rel=1e-9)
    assert last.accumulation_pred == pytest.approx(1 / (1 - math.exp(-K * TAU)), rel=1e-9)
    dose_times = [i * TAU for i in range(N)]
    tn = dose_times[-1]
    assert last.cmax == pytest.approx(_bolus_conc(tn + 0.5, dose_times), rel=1e-12)
    assert last.tmax == pytest.approx(0.5)
    assert last.cmin == pytest.approx(_bolus_conc(tn - 1e-12, dose_times), rel=1e-9)
    assert last.ctrough == pytest.approx(_bolus_conc(tn + TAU, dose_times), rel=1e-9)
    assert last.cavg == pytest.approx(aucn / TAU, rel=1e-9)
    assert last.fluctuation_pct == pytest.approx(
        100 * (last.cmax - last.cmin) / last.cavg, rel=1e-12
    )
    assert last.swing == pytest.approx((last.cmax - last.cmin) / last.cmin, rel=1e-12)
    assert last.cl_ss == pytest.approx(D / aucn, rel=1e-9)
    assert last.vz_ss == pytest.approx(D / aucn / K, rel=1e-9)
    subject = result.subjects[0]
    assert subject.lambda_z is not None
    assert subject.lambda_z.lambda_z == pytest.approx(K, rel=1e-9)
    assert subject.n_doses == N
    assert subject.cl_obs is None and subject.auc_inf_obs is None  # not for multiple doses
    assert any("doses: AUCinf" in n for n in subject.notes)


def _oral(t: np.ndarray, doses: list[float], ka: float = 1.2, k: float = 0.15) -> np.ndarray:
    out = np.zeros_like(t)
    for td in doses:
        s = np.clip(t - td, 0, None)
        out += D / V * ka / (ka - k) * (np.exp(-k * s) - np.exp(-ka * s))
    return out


def test_oral_steady_state_on_a_fine_grid_matches_the_integral() -> None:
    tau, n, k, ka = 24.0, 8, 0.15, 1.2
    dose_times = [i * tau for i in range(n)]
    t = np.round(np.arange(0, n * tau + 1e-9, 0.02), 10)
    conc = pd.DataFrame({"subject": "a", "time": t, "conc": _oral(t, dose_times)})
    doses = pd.DataFrame({"subject": "a", "time": dose_times, "dose": D})
    s = NcaSettings(auc_method="log-down", tau=tau, steady_state=True)
    result = nca(conc, s, source="c.csv", doses=doses, dose_source="d.csv")
    last = result.intervals[-1]
    # the exact integral over the last interval, by superposition of each dose's Bateman curve
    exact = sum(
        D
        / V
        * ka
        / (ka - k)
        * ((math.exp(-k * a) - math.exp(-k * b)) / k - (math.exp(-ka * a) - math.exp(-ka * b)) / ka)
        for td in dose_times
        for a, b in [((n - 1) * tau - td, n * tau - td)]
    )
    assert last.auc == pytest.approx(exact, rel=1e-5)
    lz = result.subjects[0].lambda_z
    assert lz is not None and lz.lambda_z == pytest.approx(k, rel=1e-2)
    assert last.accumulation_pred == pytest.approx(1 / (1 - math.exp(-lz.lambda_z * tau)))


def test_single_dose_with_tau_predicts_accumulation_and_auc_tau() -> None:
    frame = pd.DataFrame(
        {"subject": "a", "time": [0, 1, 2, 4, 8, 12, 24], "conc": None, "dose": 100.0}
    )
    frame["conc"] = _oral(frame["time"].to_numpy(float), [0.0])
    result = nca(frame, NcaSettings(auc_method="log-down", tau=12.0), source="x.csv")
    (iv,) = result.intervals
    assert (iv.start, iv.end, iv.kind) == (0.0, 12.0, "dosing")
    s = result.subjects[0]
    assert s.lambda_z is not None
    assert iv.accumulation_pred == pytest.approx(1 / (1 - math.exp(-s.lambda_z.lambda_z * 12)))
    assert iv.auc is not None and iv.auc < s.auc_last  # type: ignore[operator]


def test_partial_auc_interpolates_and_extrapolates_as_pknca() -> None:
    frame = pd.DataFrame(
        {
            "subject": "a",
            "time": [0, 1, 2, 4, 6, 8],
            "conc": [0, 10, 8, 4, 2, 1],
            "dose": 10,
        }
    )
    s = NcaSettings(auc_method="log-down", intervals=((1, 3), (3, 8), (8, 20)))
    result = nca(frame, s, source="x.csv")
    sub = result.subjects[0]
    mid, rest, tail = result.intervals
    assert 10 / 2 + mid.auc + rest.auc == pytest.approx(sub.auc_last)  # type: ignore[operator]
    # 1-3 h: 10 -> 8 log-down, then 8 -> C(3) log-interpolated between 8 (2 h) and 4 (4 h)
    c3 = math.exp((math.log(8) + math.log(4)) / 2)
    k1, k2 = math.log(10 / 8), math.log(8 / c3)
    assert mid.auc == pytest.approx((10 - 8) / k1 + (8 - c3) / k2, rel=1e-12)
    lz = sub.lambda_z.lambda_z if sub.lambda_z else math.nan
    assert tail.auc == pytest.approx(1 / lz * (1 - math.exp(-lz * 12)), rel=1e-12)


def test_pknca_position_rule_for_blq() -> None:
    frame = pd.DataFrame(
        {
            "subject": "a",
            "time": [0, 0.5, 1, 2, 4, 6, 8, 12],
            "conc": ["BLQ", "BLQ", 5, 8, "BLQ", 4, 2, "BLQ"],
            "dose": 10,
        }
    )
    result = nca(frame, NcaSettings(blq_scheme="position"), source="x.csv")
    s = result.subjects[0]
    # first: kept as 0 (t 0, 0.5); middle: dropped (t 4); last: kept as 0 (t 12)
    assert s.sample_states == (
        "blq zero",
        "blq zero",
        "measured",
        "measured",
        "blq excluded",
        "measured",
        "measured",
        "blq zero",
    )
    assert s.auc_all == pytest.approx(
        0.5 * 5 / 2 + 5 * 0 + (5 + 8) / 2 + (8 + 4) / 2 * 4 + (4 + 2) / 2 * 2 + (2 + 0) / 2 * 4
    )
    by_tmax = nca(frame, NcaSettings(), source="x.csv").subjects[0]
    assert by_tmax.sample_states[4] == "blq excluded" and by_tmax.sample_states[-1] == (
        "blq excluded"
    )


def test_dose_once_per_subject_and_grouping_columns() -> None:
    frame = pd.DataFrame(
        {
            "subject": ["a"] * 4 + ["b"] * 4 + ["c"] * 4,
            "time": [0, 1, 4, 8] * 3,
            "conc": [0, 10, 5, 2.5, 0, 21, 10, 5, 0, 40, 19, 11],
            "dose": [100, None, None, None, 200, None, None, None, 400, "", "", ""],
            "cohort": ["A"] * 4 + ["B"] * 4 + ["B"] * 4,
        }
    )
    result = nca(frame, NcaSettings(group=("cohort",)), source="x.csv")
    assert [s.dose for s in result.subjects] == [100, 200, 400]
    assert result.subjects[0].group_value("cohort") == "A"
    stats = result.statistics_table()
    cmax_b = stats[(stats["parameter"] == "cmax") & (stats["group"] == "cohort=B")].iloc[0]
    assert cmax_b["n"] == 2
    assert cmax_b["geomean"] == pytest.approx(math.sqrt(21 * 40))
    assert cmax_b["mean"] == pytest.approx(30.5)
    assert {p.parameter for p in result.proportionality} >= {"cmax", "auc_last"}
    summary = result.summary()
    assert "cohort" in summary.columns
    assert summary["Cmax/D ((mg/L)/(mg))"].tolist() == pytest.approx([0.1, 0.105, 0.1])


def test_a_multiple_dose_result_round_trips() -> None:
    result = _bolus_result(steady_state=True, intervals=((0.0, 6.0),))
    again = NcaResult.from_dict(result.to_dict())
    assert again == result
    long = result.parameters_long()
    assert {"auc_tau", "auc_int", "cmin", "accumulation_ratio"} <= set(long["parameter"])
    assert result.interval_table()["interval"].tolist() == ["partial", "dosing", "steady state"]


# --- bad input --------------------------------------------------------------------------------


def test_a_dose_table_naming_an_unknown_subject_names_the_file() -> None:
    conc, doses = _bolus_tables()
    doses.loc[len(doses)] = ["zz", 0.0, D, "iv bolus", TAU]
    with pytest.raises(InputError, match=r"doses\.csv.*column 'subject'.*'zz'"):
        nca(conc, NcaSettings(), source="conc.csv", doses=doses, dose_source="doses.csv")


def test_a_subject_without_a_dose_in_the_dose_table() -> None:
    conc, doses = _bolus_tables()
    conc.loc[len(conc)] = ["s2", 1.0, 3.0]
    with pytest.raises(InputError, match=r"conc\.csv.*row 18.*subject s2 has no dose"):
        nca(conc, NcaSettings(), source="conc.csv", doses=doses, dose_source="doses.csv")


def test_dose_table_cells_are_checked_with_their_row() -> None:
    conc, doses = _bolus_tables()
    doses["dose"] = doses["dose"].astype(object)
    doses.loc[3, "dose"] = "ten"
    with pytest.raises(InputError, match=r"doses\.csv.*row 5, column 'dose'.*not a number"):
        nca(conc, NcaSettings(), source="conc.csv", doses=doses, dose_source="doses.csv")
    conc, doses = _bolus_tables()
    doses.loc[2, "time"] = -1.0
    with pytest.raises(InputError, match=r"doses\.csv.*row 4, column 'time'"):
        nca(conc, NcaSettings(), source="conc.csv", doses=doses, dose_source="doses.csv")


def test_overlapping_intervals_are_refused() -> None:
    with pytest.raises(InputError, match=r"interval.*0-24 h and 12-36 h overlap"):
        NcaSettings(intervals=((0, 24), (12, 36)))


def test_steady_state_without_a_dosing_interval_is_refused() -> None:
    frame = pd.DataFrame({"subject": "a", "time": [0, 1, 2, 4], "conc": [0, 4, 2, 1], "dose": 1})
    with pytest.raises(InputError, match=r"tau.*steady state asked for subject a"):
        nca(frame, NcaSettings(steady_state=True), source="x.csv")


def test_a_time_cell_with_text_names_row_and_column() -> None:
    frame = pd.DataFrame({"subject": "a", "time": ["0", "1", "two"], "conc": [0, 4, 2], "dose": 1})
    with pytest.raises(InputError, match=r"x\.csv.*row 4, column 'time'.*'two' is not a number"):
        nca(frame, NcaSettings(), source="x.csv")


def test_an_unknown_group_column_is_refused() -> None:
    frame = pd.DataFrame({"subject": "a", "time": [0, 1, 2, 4], "conc": [0, 4, 2, 1], "dose": 1})
    with pytest.raises(InputError, match=r"column 'arm'"):
        nca(frame, NcaSettings(group=("arm",)), source="x.csv")
