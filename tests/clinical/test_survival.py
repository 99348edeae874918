"""Kaplan-Meier, log-rank, Cox, landmark, RMST and treatment x subgroup interactions against R's
survival package and lifelines; plain tables and ADTTE alike, in any time unit."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

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
    analyse_table,
    cox_hazard_ratios,
    kaplan_meier,
    landmark,
    logrank,
    risk_times,
    rmst,
    time_factor,
)
from cxcr4lab.core.errors import InputError
from cxcr4lab.runs import run_kind

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


# --- plain tables, time units, --by any column, interactions (the kind's paths) ---------------

LUNG_CSV = (
    Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "cox" / "lung.csv"
)
"""R survival's lung as lifelines ships it: status 1 = dead, 0 = censored; time in days."""


def _run(files: dict[str, tuple[str, bytes]], **options: object) -> SurvivalResult:
    result = run_kind("survival", files, dict(options)).result
    assert isinstance(result, SurvivalResult)
    return result


def _lung_adtte() -> tuple[bytes, bytes]:
    """lung as an ADTTE (AVAL days, CNSR) and an ADSL with SEX and no ARM column."""
    lung = pd.read_csv(LUNG_CSV)
    ids = [f"L{i:03d}" for i in range(len(lung))]
    adtte = pd.DataFrame(
        {
            "USUBJID": ids,
            "PARAMCD": "OS",
            "AVAL": lung["time"],
            "AVALU": "DAYS",
            "CNSR": 1 - lung["status"],
        }
    )
    adsl = pd.DataFrame({"USUBJID": ids, "SEX": lung["sex"], "ECOG": lung["ph.ecog"]})
    return adtte.to_csv(index=False).encode(), adsl.to_csv(index=False).encode()


def test_plain_table_equals_the_adtte_path_and_r_in_months_against_R() -> None:
    # R: lung$months <- lung$time / 30.4375
    #    fm <- survfit(Surv(months, status) ~ sex, data = lung)
    #    summary(fm)$table[, c("median", "0.95LCL", "0.95UCL")]
    #      sex=1  8.87063655  6.965092402 10.18480493
    #      sex=2 13.99589322 11.433264887 18.06981520
    #    summary(fm, rmean = 12)$table[, c("rmean", "se(rmean)")]
    #      sex=1 7.936890584 0.3405634503;  sex=2 9.777314999 0.3548711285
    #    summary(fm, times = c(6, 12)): n.risk, surv, lower, upper
    #      sex=1  6: 86 0.6298180697 0.5541101346 0.7158699618
    #      sex=1 12: 35 0.3360878346 0.2609005038 0.4329429455
    #      sex=2  6: 70 0.8305368928 0.7558775367 0.9125704852
    #      sex=2 12: 30 0.5264630302 0.4214863408 0.6575855379
    #    survdiff(Surv(months, status) ~ sex, data = lung)
    #      chisq 10.32674195489, p 0.00131116452; observed 112 53, expected 91.58173903 73.41826097
    plain = _run(
        {"table": ("lung.csv", LUNG_CSV.read_bytes())},
        time="TIME",  # any case
        event="Status",
        by="sex",
        input_time_unit="days",
        time_unit="months",
        tau="12",
    )
    adtte, adsl = _lung_adtte()
    adam = _run(
        {"table": ("adtte.csv", adtte), "adsl": ("adsl.csv", adsl)},
        paramcd="OS",
        by="sex",  # an ADSL column other than ARM, whatever its case
        tau="12",
    )
    expected = {
        "1": (8.87063655, 6.965092402, 10.18480493, 7.936890584, 0.3405634503),
        "2": (13.99589322, 11.433264887, 18.06981520, 9.777314999, 0.3548711285),
    }
    for result in (plain, adam):
        assert result.time_unit == "months" and [c.group for c in result.curves] == ["1", "2"]
        for c, r in zip(result.curves, result.rmst, strict=True):
            median, lower, upper, rmean, se = expected[c.group]
            got = (c.median, c.median_lower, c.median_upper)
            assert got == pytest.approx((median, lower, upper), abs=5e-8)
            assert (r.rmst, r.se) == (pytest.approx(rmean, abs=5e-9), pytest.approx(se, abs=5e-10))
        rates = [(lm.n_risk, lm.survival, lm.lower, lm.upper) for lm in result.landmarks]
        assert rates == [
            (
                86,
                pytest.approx(0.6298180697, abs=1e-10),
                pytest.approx(0.5541101346, abs=1e-10),
                pytest.approx(0.7158699618, abs=1e-10),
            ),
            (
                35,
                pytest.approx(0.3360878346, abs=1e-10),
                pytest.approx(0.2609005038, abs=1e-10),
                pytest.approx(0.4329429455, abs=1e-10),
            ),
            (
                70,
                pytest.approx(0.8305368928, abs=1e-10),
                pytest.approx(0.7558775367, abs=1e-10),
                pytest.approx(0.9125704852, abs=1e-10),
            ),
            (
                30,
                pytest.approx(0.5264630302, abs=1e-10),
                pytest.approx(0.4214863408, abs=1e-10),
                pytest.approx(0.6575855379, abs=1e-10),
            ),
        ]  # the default landmarks of months: 6 and 12
        lr = result.logrank
        assert lr is not None and lr.chisq == pytest.approx(10.32674195489, rel=1e-10)
        assert lr.p == pytest.approx(0.00131116452, rel=1e-8)
        assert lr.expected == pytest.approx((91.58173903, 73.41826097), abs=5e-9)
    assert plain.curves == adam.curves and plain.logrank == adam.logrank
    assert plain.hazard_ratios == adam.hazard_ratios and plain.rmst == adam.rmst


def test_interaction_p_values_against_R() -> None:
    # R: lung$old <- factor(lung$age >= 65)
    #    anova(coxph(Surv(time, status) ~ sex * old, data = lung),
    #          coxph(Surv(time, status) ~ sex + old, data = lung))
    #      Chisq 0.3083268737, Df 1, Pr(>|Chi|) 0.5787087017
    #    lung$ecog <- factor(lung$ph.ecog)   # NA dropped; ECOG 3 is one man: sex:ecog3 is NA
    #    anova(coxph(Surv(time, status) ~ sex * ecog, data = lung),
    #          coxph(Surv(time, status) ~ sex + ecog, data = lung))
    #      Chisq 0.5614074494, Df 2, Pr(>|Chi|) 0.7552520649
    lung = pd.read_csv(LUNG_CSV).assign(old=lambda d: np.where(d["age"] >= 65, "65+", "<65"))
    r = analyse_table(
        lung,
        time="time",
        event="status",
        by="sex",
        subgroups=("old", "ph.ecog"),
        input_time_unit="days",
        time_unit="days",
    )
    old, ecog = r.interactions
    assert (old.column, old.df, old.n) == ("old", 1, 228)
    assert old.chisq == pytest.approx(0.3083268737, abs=1e-6)
    assert old.p == pytest.approx(0.5787087017, abs=1e-6)
    assert (ecog.column, ecog.df, ecog.n, ecog.levels) == ("ph.ecog", 2, 227, ("0", "1", "2", "3"))
    assert ecog.chisq == pytest.approx(0.5614074494, abs=1e-6)
    assert ecog.p == pytest.approx(0.7552520649, abs=1e-6)
    assert r.notes == (
        "time column 'time' taken in days",
        "ph.ecog: 1 subject(s) without a value left out of its subgroup HRs and interaction test",
    )
    table = r.hazard_table()
    assert table.loc[table["term"] == "old=<65", "interaction p"].item() == old.p
    assert pd.isna(table.loc[table["term"] == "all", "interaction p"].item())
    assert r.interaction_table()["interaction p"].tolist() == [old.p, ecog.p]
    adtte, adsl = _lung_adtte()  # the same through ADTTE + ADSL, subgroup from ADSL
    adam = _run(
        {"table": ("adtte.csv", adtte), "adsl": ("adsl.csv", adsl)},
        paramcd="OS",
        by="SEX",
        subgroup="ecog",
    )
    assert adam.interactions[0].p == pytest.approx(ecog.p, rel=1e-9)


def test_censor_column_and_time_units() -> None:
    lung = pd.read_csv(LUNG_CSV)
    by_event = analyse_table(lung, time="time", event="status", input_time_unit="days")
    by_censor = analyse_table(
        lung.assign(cens=1 - lung["status"]), time="time", censor="cens", input_time_unit="days"
    )
    assert by_censor.curves == by_event.curves
    # R: survfit(Surv(time / 7, status) ~ 1, data = lung): median 44.28571429 weeks
    #    (40.71428571, 51.85714286)
    weeks = analyse_table(
        lung, time="time", event="status", input_time_unit="days", time_unit="weeks"
    )
    (km,) = weeks.curves
    assert (km.median, km.median_lower, km.median_upper) == pytest.approx(
        (44.28571429, 40.71428571, 51.85714286), abs=5e-9
    )
    years = analyse_table(
        lung.assign(y=lung["time"] / 365.25),
        time="y",
        event="status",
        input_time_unit="years",
        time_unit="days",
    )
    assert years.curves[0].median == pytest.approx(310.0, rel=1e-12)  # R: 310 days
    assert time_factor("weeks", "days") == 7.0 and time_factor("months", "years") == 1 / 12


def test_one_group_without_by() -> None:
    r = analyse_table(
        pd.read_csv(LUNG_CSV),
        time="time",
        event="status",
        input_time_unit="days",
        time_unit="days",
        landmarks=(365.0,),
        tau=365.0,
    )
    assert r.group_column is None and r.logrank is None and r.hazard_ratios == ()
    (km,) = r.curves
    assert (km.group, km.n, km.median, km.median_lower, km.median_upper) == (
        "all",
        228,
        310.0,
        285.0,
        363.0,  # R: survfit(Surv(time, status) ~ 1, data = lung)
    )
    assert r.landmarks[0].survival == pytest.approx(0.409, abs=5e-4)
    assert r.rmst[0].rmst == pytest.approx(263.22, abs=5e-3)  # lifelines, see above
    with pytest.raises(InputError, match="two groups"):
        analyse_table(pd.read_csv(LUNG_CSV), time="time", event="status", subgroups=("sex",))
    with pytest.raises(InputError, match="needs a group column"):
        analyse_table(pd.read_csv(LUNG_CSV), time="time", event="status", reference="1")


def test_adtte_by_an_adtte_column_and_in_days() -> None:
    tte = pd.DataFrame(
        {
            "USUBJID": ["S1", "S2", "S3", "S4"],
            "PARAMCD": ["OS"] * 4,
            "AVAL": ["1", "2", "3", "4"],
            "AVALU": ["MONTHS", "MONTHS", "WEEKS", "YEARS"],
            "CNSR": ["0", "0", "1", "0"],
            "TRTP": ["A", "B", "B", "A"],
        }
    )
    r = analyse_adtte(tte, paramcd="OS", by="trtp", time_unit="days")
    assert r.group_column == "TRTP" and r.time_unit == "days"
    assert [c.times for c in r.curves] == [(30.4375, 1461.0), (21.0, 60.875)]


@pytest.mark.parametrize(
    ("table", "options", "row", "column", "needle"),
    [
        ("t,e\n3,1\n-2,0\n", {"time": "t", "event": "e"}, 3, "t", "time -2 is negative"),
        ("t,e\n3,1\n4,2\n", {"time": "t", "event": "e"}, 3, "e", "coded 0 or 1"),
        ("t,e\n3,1\n4,1\nsoon,0\n", {"time": "t", "event": "e"}, 4, "t", "'soon' is not a number"),
        ("t,c\n3,1\n4,yes\n", {"time": "t", "censor": "c"}, 3, "c", "must be 0 (event) or 1"),
        ("t,e,g\n3,1,A\n4,1,\n", {"time": "t", "event": "e", "by": "g"}, 3, "g", "missing"),
    ],
)
def test_bad_plain_table_is_one_error_naming_file_row_and_column(
    table: str, options: dict[str, str], row: int, column: str, needle: str
) -> None:
    with pytest.raises(InputError) as err:
        _run({"table": ("trial.csv", table.encode())}, **options)
    place = err.value.place
    assert (place.file, place.row, place.column) == ("trial.csv", row, column)
    assert needle in str(err.value)


def test_missing_time_column_and_missing_time_option_are_named() -> None:
    content = b"days,dead\n3,1\n4,0\n"
    with pytest.raises(InputError) as err:
        _run({"table": ("trial.csv", content)}, time="time", event="dead")
    assert (err.value.place.file, err.value.place.column) == ("trial.csv", "time")
    assert "column not found" in str(err.value) and "days, dead" in str(err.value)
    with pytest.raises(InputError) as err:
        _run({"table": ("trial.csv", content)}, event="dead")
    assert err.value.place.field == "time" and err.value.place.file == "trial.csv"
    with pytest.raises(InputError, match="not both"):
        _run({"table": ("trial.csv", content)}, time="days", event="dead", censor="dead")
    with pytest.raises(InputError, match="differ"):
        _run({"table": ("trial.csv", content)}, time="days", event="dead", by="a", group="b")


@pytest.mark.parametrize("suffix", ["csv", "tsv", "xlsx", "parquet", "xpt"])
def test_plain_table_formats(suffix: str, tmp_path: Path) -> None:
    lung = pd.read_csv(LUNG_CSV)[["time", "status", "sex"]].astype(float)
    path = tmp_path / f"lung.{suffix}"
    if suffix == "csv":
        lung.to_csv(path, index=False)
    elif suffix == "tsv":
        lung.to_csv(path, index=False, sep="\t")
    elif suffix == "xlsx":
        lung.to_excel(path, index=False)
    elif suffix == "parquet":
        lung.to_parquet(path, index=False)
    else:
        import pyreadstat

        pyreadstat.write_xport(lung, str(path))
    r = _run(
        {"table": (path.name, path.read_bytes())},
        time="time",
        group="SEX",  # --group is --by
        event="status",
        input_time_unit="days",
        time_unit="days",
    )
    assert [(c.group, c.median) for c in r.curves] == [("1", 270.0), ("2", 426.0)]


def test_risk_times_and_censoring_marks() -> None:
    km = kaplan_meier([1.0, 2.0, 2.0, 3.0, 5.0], [1, 0, 1, 0, 0])
    times, surv, counts = km.censored()  # S: 0.8 after t = 1, 0.6 after t = 2
    assert (times, counts) == ((2.0, 3.0, 5.0), (1, 1, 1)) and surv == pytest.approx([0.6] * 3)
    assert risk_times(33.6) == (0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0)
    assert risk_times(0.0) == (0.0,)


def test_plain_table_takes_groups_from_adsl() -> None:
    lung = pd.read_csv(LUNG_CSV)
    _, adsl = _lung_adtte()
    table = pd.DataFrame(
        {"usubjid": [f"L{i:03d}" for i in range(len(lung))], "t": lung["time"], "d": lung["status"]}
    )
    r = _run(
        {"table": ("os.csv", table.to_csv(index=False).encode()), "adsl": ("adsl.csv", adsl)},
        time="t",
        event="d",
        by="SEX",
        subgroup="ECOG",
        input_time_unit="days",
        time_unit="days",
    )
    assert [(c.group, c.median) for c in r.curves] == [("1", 270.0), ("2", 426.0)]
    assert r.interactions[0].p == pytest.approx(0.7552520649, abs=1e-6)  # R, see above
    unknown = table.assign(usubjid=["X999", *table["usubjid"][1:]])
    with pytest.raises(InputError) as err:
        _run(
            {"table": ("os.csv", unknown.to_csv(index=False).encode()), "adsl": ("a.csv", adsl)},
            time="t",
            event="d",
            by="SEX",
        )
    assert (err.value.place.file, err.value.place.row) == ("os.csv", 2)
    assert "'X999' is not in ADSL" in str(err.value)
