"""Kaplan-Meier, log-rank, Cox, landmark and RMST against R's survival package and lifelines."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.datasets import load_lung, load_rossi
from lifelines.statistics import logrank_test, multivariate_logrank_test
from lifelines.utils import restricted_mean_survival_time
from scipy.integrate import IntegrationWarning

from cxcr4lab.clinical.survival import (
    SurvivalResult,
    analyse_adtte,
    analyse_survival,
    cox_hazard_ratios,
    kaplan_meier,
    landmark,
    logrank,
    rmst,
)
from cxcr4lab.core.errors import InputError

# lifelines' lung: status 1 = dead, 0 = censored (R's 2/1 recoded); sex 1 = male, 2 = female.


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    return load_lung()


def test_km_median_ci_against_r(lung: pd.DataFrame) -> None:
    # R: survfit(Surv(time, status) ~ 1, data = lung)
    #    n 228, events 165, median 310, 0.95LCL 285, 0.95UCL 363
    km = kaplan_meier(lung["time"], lung["status"])
    assert (km.n, km.events) == (228, 165)
    assert (km.median, km.median_lower, km.median_upper) == (310.0, 285.0, 363.0)


@pytest.mark.parametrize(
    ("sex", "expected"), [(1, (270.0, 212.0, 310.0)), (2, (426.0, 348.0, 550.0))]
)
def test_km_by_sex_against_r(lung: pd.DataFrame, sex: int, expected: tuple[float, ...]) -> None:
    # R: survfit(Surv(time, status) ~ sex, data = lung)
    part = lung[lung["sex"] == sex]
    km = kaplan_meier(part["time"], part["status"])
    assert (km.median, km.median_lower, km.median_upper) == expected


def test_km_curve_matches_lifelines(lung: pd.DataFrame) -> None:
    km = kaplan_meier(lung["time"], lung["status"])
    kmf = KaplanMeierFitter().fit(lung["time"], lung["status"])
    ref = kmf.survival_function_.iloc[1:, 0].to_numpy()  # lifelines adds t = 0
    np.testing.assert_allclose(km.survival, ref, rtol=1e-12)
    assert kmf.median_survival_time_ == km.median


def test_landmark_rate_log_ci(lung: pd.DataFrame) -> None:
    # R: summary(survfit(Surv(time, status) ~ 1, data = lung), times = 365)
    #    survival 0.409, std.err 0.0358, lower 95% CI 0.345, upper 95% CI 0.486
    lm = landmark(kaplan_meier(lung["time"], lung["status"]), 365)
    assert lm.survival == pytest.approx(0.409, abs=5e-4)
    assert (lm.lower, lm.upper) == (pytest.approx(0.345, abs=5e-4), pytest.approx(0.486, abs=5e-4))


def test_logrank_against_r(lung: pd.DataFrame) -> None:
    # R: survdiff(Surv(time, status) ~ sex, data = lung): Chisq = 10.3 on 1 df, p = 0.00131
    lr = logrank(lung["time"], lung["status"], lung["sex"])
    assert lr.chisq == pytest.approx(10.3, abs=0.05) and lr.df == 1
    assert lr.p == pytest.approx(0.00131, abs=5e-6)
    assert lr.observed == (112.0, 53.0)
    ref = logrank_test(
        lung.time[lung.sex == 1],
        lung.time[lung.sex == 2],
        lung.status[lung.sex == 1],
        lung.status[lung.sex == 2],
    )
    assert lr.chisq == pytest.approx(ref.test_statistic, rel=1e-10)


def test_three_group_logrank_matches_lifelines(lung: pd.DataFrame) -> None:
    data = lung.dropna(subset=["ph.ecog"])
    data = data[data["ph.ecog"] < 3]
    lr = logrank(data["time"], data["status"], data["ph.ecog"])
    ref = multivariate_logrank_test(data["time"], data["ph.ecog"], data["status"])
    assert lr.df == 2 and lr.chisq == pytest.approx(ref.test_statistic, rel=1e-10)


def test_stratified_logrank_is_sum_over_strata(lung: pd.DataFrame) -> None:
    # With one stratum per level of a constant, the stratified test equals the plain one; with
    # real strata O - E and V add over strata (R survdiff(... + strata(inst))).
    same = logrank(lung["time"], lung["status"], lung["sex"], strata=np.zeros(len(lung)))
    plain = logrank(lung["time"], lung["status"], lung["sex"])
    assert same.chisq == pytest.approx(plain.chisq, rel=1e-12)
    strata = (lung["age"] > 63).astype(int)
    parts = [
        logrank(lung.time[strata == s], lung.status[strata == s], lung.sex[strata == s])
        for s in (0, 1)
    ]
    strat = logrank(lung["time"], lung["status"], lung["sex"], strata=strata)
    o_minus_e = sum(p.observed[0] - p.expected[0] for p in parts)
    assert strat.observed[0] - strat.expected[0] == pytest.approx(o_minus_e, rel=1e-12)
    assert strat.strata == "strata" and strat.chisq != pytest.approx(plain.chisq, rel=1e-3)


def test_cox_sex_against_r(lung: pd.DataFrame) -> None:
    # R: coxph(Surv(time, status) ~ sex, data = lung)
    #    coef -0.5310 exp(coef) 0.588 se 0.1672 p 0.00149; 95% CI 0.4237-0.8160
    (h,) = cox_hazard_ratios(lung, "time", "status", ["sex"])
    assert h.coef == pytest.approx(-0.5310, abs=5e-5) and h.se == pytest.approx(0.1672, abs=5e-5)
    assert h.hr == pytest.approx(0.588, abs=5e-4) and h.p == pytest.approx(0.00149, abs=5e-6)
    assert (h.lower, h.upper) == (pytest.approx(0.4237, abs=5e-5), pytest.approx(0.8160, abs=5e-5))


def test_cox_age_sex_against_r(lung: pd.DataFrame) -> None:
    # R: coxph(Surv(time, status) ~ age + sex, data = lung)
    age, sex = cox_hazard_ratios(lung, "time", "status", ["age", "sex"])
    assert (age.coef, age.se) == (
        pytest.approx(0.017045, abs=5e-7),
        pytest.approx(0.009223, abs=5e-7),
    )
    assert (sex.coef, sex.se) == (
        pytest.approx(-0.513219, abs=5e-6),
        pytest.approx(0.167458, abs=5e-6),
    )


def test_cox_rossi_against_r() -> None:
    # R: coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = Rossi)
    expected = {
        "fin": (-0.37942, 0.19138),
        "age": (-0.05744, 0.02200),
        "race": (0.31390, 0.30799),
        "wexp": (-0.14980, 0.21222),
        "mar": (-0.43370, 0.38187),
        "paro": (-0.08487, 0.19576),
        "prio": (0.09150, 0.02865),
    }
    hrs = cox_hazard_ratios(load_rossi(), "week", "arrest", list(expected))
    for h in hrs:
        coef, se = expected[h.term]
        assert h.coef == pytest.approx(coef, abs=6e-5) and h.se == pytest.approx(se, abs=6e-5)


def test_rmst_matches_lifelines_and_uncensored_variance(lung: pd.DataFrame) -> None:
    km = kaplan_meier(lung["time"], lung["status"])
    kmf = KaplanMeierFitter().fit(lung["time"], lung["status"])
    with warnings.catch_warnings():  # lifelines integrates a step function with scipy quad
        warnings.filterwarnings("ignore", category=IntegrationWarning)
        ref = restricted_mean_survival_time(kmf, t=365)
    assert rmst(km, 365).rmst == pytest.approx(float(ref), rel=1e-8)
    # Without censoring, RMST = mean(min(T, tau)) and its variance = sum (x - mean)^2 / n^2.
    rng = np.random.default_rng(4)
    t = rng.exponential(10, 200)
    r = rmst(kaplan_meier(t, np.ones(200, int)), 8.0)
    x = np.minimum(t, 8.0)
    assert r.rmst == pytest.approx(x.mean(), rel=1e-12)
    assert r.se == pytest.approx(np.sqrt(np.sum((x - x.mean()) ** 2)) / 200, rel=1e-9)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 30), st.integers(0, 1)), min_size=2, max_size=40))
def test_km_equals_lifelines_on_ties(data: list[tuple[int, int]]) -> None:
    t = np.array([d[0] for d in data], float)
    e = np.array([d[1] for d in data])
    km = kaplan_meier(t, e)
    kmf = KaplanMeierFitter().fit(t, e)
    np.testing.assert_allclose(km.survival, kmf.survival_function_at_times(list(km.times)))


def test_result_round_trip_and_summary(lung: pd.DataFrame) -> None:
    frame = lung.assign(sex=lung["sex"].map({1: "male", 2: "female"}), old=lung["age"] > 63)
    r = analyse_survival(
        frame,
        time="time",
        event="status",
        group="sex",
        reference="male",
        time_unit="days",
        landmarks=(365.0,),
        tau=730.0,
        subgroups=("old",),
        source="lung",
    )
    assert r.hazard_ratios[0].hr == pytest.approx(0.588, abs=5e-4)  # female vs male, as R
    assert [s.term for s in r.subgroups] == ["all", "old=False", "old=True"]
    assert SurvivalResult.from_dict(json.loads(json.dumps(r.to_dict()))) == r
    cols = r.summary().columns
    assert "median (days)" in cols and "RMST to 730 (days)" in cols


@pytest.mark.parametrize(
    ("aval", "cnsr", "needle"),
    [("-3", "0", ">= 0"), ("", "0", "AVAL"), ("10", "2", "CNSR"), ("x", "0", "AVAL")],
)
def test_bad_adtte_names_subject_and_record(aval: str, cnsr: str, needle: str) -> None:
    tte = pd.DataFrame(
        {
            "USUBJID": ["S1", "S2"],
            "PARAMCD": ["PFS", "PFS"],
            "AVAL": ["30", aval],
            "CNSR": ["1", cnsr],
        }
    )
    with pytest.raises(InputError) as err:
        analyse_adtte(tte, paramcd="PFS", source="adtte.csv")
    text = str(err.value)
    assert "adtte.csv" in text and "row 3" in text and "S2" in text and needle in text


def test_bad_times_and_events_direct() -> None:
    with pytest.raises(InputError, match=r"row 2, column .t., subject b: time -1 is negative"):
        analyse_survival(
            pd.DataFrame({"id": ["a", "b"], "t": [1.0, -1.0], "e": [1, 0]}),
            time="t",
            event="e",
            subject="id",
            source="data.csv",
            row_base=1,
        )
    with pytest.raises(InputError, match="coded 0 or 1"):
        kaplan_meier([1.0, 2.0], [1, 2])
    with pytest.raises(InputError, match="missing"):
        kaplan_meier([1.0, np.nan], [1, 1])
    with pytest.raises(InputError, match="two groups"):
        logrank([1.0, 2.0], [1, 1], ["a", "a"])


def test_adtte_months_and_missing_paramcd() -> None:
    tte = pd.DataFrame(
        {
            "USUBJID": ["S1", "S2", "S3"],
            "PARAMCD": ["PFS"] * 3,
            "AVAL": ["30.4375", "60.875", "2"],
            "AVALU": ["DAYS", "DAYS", "MONTHS"],
            "CNSR": ["0", "0", "1"],
        }
    )
    r = analyse_adtte(tte, paramcd="pfs")
    assert r.curves[0].times == (1.0, 2.0) and r.curves[0].median == 2.0
    with pytest.raises(InputError, match="no 'OS' records"):
        analyse_adtte(tte, paramcd="OS")
