"""NCA statistics: descriptive summaries and dose proportionality, against R and by invariants.

Reference numbers come from R 4.2.2 (``Rscript``), the call pasted beside each test; tolerance
1e-8 relative (R printed 15 significant digits).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.nca_stats import (
    STAT_COLUMNS,
    DoseProportionality,
    dose_proportionality,
    geometric_cv_pct,
    smith_interval,
    summary_statistics,
)

TOL = 1e-8

# ---------------------------------------------------------------------------------------------
# descriptive statistics

CMAX = [12.1, 8.4, 15.0, 9.9, 11.3, 20.6]


def test_descriptive_statistics_against_R() -> None:
    """R 4.2.2::

    x <- c(12.1, 8.4, 15.0, 9.9, 11.3, 20.6)
    c(n = length(x), mean = mean(x), sd = sd(x), cv = 100 * sd(x) / mean(x),
      geomean = exp(mean(log(x))), geocv = sqrt(exp(sd(log(x))^2) - 1) * 100,
      median = median(x), min = min(x), max = max(x))
    #  n 6, mean 12.88333333333333, sd 4.38516438308379, cv 34.03749844566981,
    #  geomean 12.32980275271310, geocv 32.61038287106018, median 11.7, min 8.4, max 20.6
    """
    s = summary_statistics(pd.DataFrame({"cmax": CMAX}), ["cmax"])
    assert list(s.columns) == ["parameter", *STAT_COLUMNS]
    row = s.iloc[0]
    expected = {
        "mean": 12.88333333333333,
        "sd": 4.38516438308379,
        "cv_pct": 34.03749844566981,
        "geomean": 12.32980275271310,
        "geocv_pct": 32.61038287106018,
        "median": 11.7,
        "min": 8.4,
        "max": 20.6,
    }
    assert row["parameter"] == "cmax"
    assert row["n"] == 6
    assert row["n_geo"] == 6
    for name, value in expected.items():
        assert row[name] == pytest.approx(value, rel=TOL), name


def test_groups_and_several_parameters_in_long_output() -> None:
    frame = pd.DataFrame(
        {
            "dose": [10, 10, 30, 30, 30],
            "day": [1, 1, 1, 1, 1],
            "auc": [2.0, 8.0, 1.0, 10.0, 100.0],
            "cmax": [1.0, 1.0, 3.0, 3.0, 3.0],
        }
    )
    s = summary_statistics(frame, ["auc", "cmax"], by=["dose", "day"])
    assert list(s.columns) == ["dose", "day", "parameter", *STAT_COLUMNS]
    assert s[["dose", "parameter"]].values.tolist() == [
        [10, "auc"],
        [10, "cmax"],
        [30, "auc"],
        [30, "cmax"],
    ]
    assert s["geomean"].tolist() == pytest.approx([4.0, 1.0, 10.0, 3.0])
    assert s["n"].tolist() == [2, 2, 3, 3]
    assert s.loc[3, "sd"] == 0.0
    assert s.loc[3, "geocv_pct"] == 0.0


def test_missing_and_zero_values_follow_the_pknca_business_rule() -> None:
    """PKNCA: ``business.mean`` etc. give NA when more than max.missing (0.5) of the values are
    NA; ``business.geomean``/``business.geocv`` count zeros as missing too."""
    nan = math.nan
    frame = pd.DataFrame(
        {
            "g": ["a"] * 4 + ["b"] * 4 + ["c"] * 3 + ["d"] * 2,
            "x": [4.0, 9.0, 0.0, nan, 1.0, nan, nan, nan, -1.0, 2.0, 8.0, 0.0, 0.0],
        }
    )
    table = summary_statistics(frame, ["x"], by=["g"]).set_index("g").to_dict("index")

    def s_(group: str, column: str) -> float:
        return float(table[group][column])

    # a: 1 of 4 missing -> arithmetic stats over 3; zeros + missing = 2 of 4 -> geo over 2
    assert s_("a", "n") == 3
    assert s_("a", "mean") == pytest.approx(13 / 3)
    assert s_("a", "n_geo") == 2
    assert s_("a", "geomean") == pytest.approx(6.0)
    # b: 3 of 4 missing -> everything NaN, n still reported
    assert s_("b", "n") == 1
    assert all(math.isnan(s_("b", c)) for c in ("mean", "median", "min", "geomean"))
    # c: a negative value -> no geometric statistics, arithmetic ones stay
    assert s_("c", "mean") == pytest.approx(3.0)
    assert math.isnan(s_("c", "geomean")) and s_("c", "n_geo") == 0
    # d: all zero -> mean 0, CV undefined, no geometric mean
    assert s_("d", "mean") == 0.0
    assert math.isnan(s_("d", "cv_pct"))
    assert math.isnan(s_("d", "geomean"))


def test_one_value_has_no_spread() -> None:
    row = summary_statistics(pd.DataFrame({"x": [5.0]}), ["x"]).iloc[0]
    assert row["mean"] == 5.0 and row["geomean"] == pytest.approx(5.0)
    assert math.isnan(row["sd"]) and math.isnan(row["geocv_pct"])


def test_summary_statistics_refuses_bad_input() -> None:
    frame = pd.DataFrame({"dose": [1, 2], "auc": ["3.5", "high"]})
    with pytest.raises(InputError, match="column 'auc'") as err:
        summary_statistics(frame, ["auc"])
    assert err.value.place.row == 3
    with pytest.raises(InputError, match="column 'cl'"):
        summary_statistics(frame, ["cl"])
    with pytest.raises(InputError, match="column 'arm'"):
        summary_statistics(frame, ["dose"], by=["arm"])
    with pytest.raises(InputError, match="parameters"):
        summary_statistics(frame, [])
    with pytest.raises(InputError, match="max_missing"):
        summary_statistics(frame, ["dose"], max_missing=1.0)


positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(value=positive, n=st.integers(min_value=1, max_value=12))
def test_geometric_mean_of_a_constant_is_the_constant(value: float, n: int) -> None:
    row = summary_statistics(pd.DataFrame({"x": [value] * n}), ["x"]).iloc[0]
    assert row["geomean"] == pytest.approx(value, rel=1e-12)
    assert row["mean"] == pytest.approx(value, rel=1e-12)
    if n > 1:
        assert row["geocv_pct"] == pytest.approx(0.0, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(positive, min_size=2, max_size=15),
    k=st.floats(min_value=1e-3, max_value=1e3, allow_nan=False),
)
def test_scaling_scales_location_and_keeps_the_cvs(values: list[float], k: float) -> None:
    frame = pd.DataFrame({"x": values, "kx": [k * v for v in values]})
    s = summary_statistics(frame, ["x", "kx"]).set_index("parameter").to_dict("index")
    for name in ("mean", "sd", "geomean", "median", "min", "max"):
        scale = k * max(values)  # a zero SD is ~1e-16 of the values, not exactly 0
        expected = k * s["x"][name]
        assert s["kx"][name] == pytest.approx(expected, rel=1e-9, abs=1e-12 * scale)
    for name in ("cv_pct", "geocv_pct"):
        assert s["kx"][name] == pytest.approx(s["x"][name], rel=1e-6, abs=1e-6)


def test_geometric_cv_formula() -> None:
    x = np.array([1.0, 2.0, 4.0])
    s_log = np.std(np.log(x), ddof=1)
    assert geometric_cv_pct(x) == pytest.approx(100 * math.sqrt(math.exp(s_log**2) - 1))
    assert math.isnan(geometric_cv_pct(np.array([3.0])))


# ---------------------------------------------------------------------------------------------
# dose proportionality

AUC = pd.DataFrame(
    {
        "dose": [1] * 4 + [3] * 4 + [10] * 4 + [30] * 4,  # mg, simulated
        "auc": [
            *(10.2, 8.7, 12.1, 9.5),
            *(27.9, 33.4, 30.8, 25.6),
            *(98.0, 112.5, 87.3, 105.1),
            *(322.0, 281.4, 350.9, 298.7),
        ],  # h*ng/mL
    }
)


def test_power_model_against_R() -> None:
    """R 4.2.2::

        d <- data.frame(dose = rep(c(1, 3, 10, 30), each = 4),
                        auc = c(10.2, 8.7, 12.1, 9.5, 27.9, 33.4, 30.8, 25.6,
                                98.0, 112.5, 87.3, 105.1, 322.0, 281.4, 350.9, 298.7))
        fit <- lm(log(auc) ~ log(dose), data = d)
        coef(fit)                   # (Intercept) 2.28864165527882, log(dose) 1.01161742444221
        confint(fit, level = 0.9)   # log(dose) 5 % 0.974004310213431, 95 % 1.04923053867099
        summary(fit)$coefficients   # Std. Error 0.0453979801071604, 0.0213551909256635

    Smith et al. 2000 by hand for r = 30/1: 1 + ln(0.8)/ln(30) = 1 - 0.2231435513/3.4011973817
    = 0.93439265, 1 + ln(1.25)/ln(30) = 1.06560735; the CI lies inside: proportional.
    """
    r = dose_proportionality(AUC, "dose", "auc")
    assert isinstance(r, DoseProportionality)
    assert r.intercept == pytest.approx(2.28864165527882, rel=TOL)
    assert r.slope == pytest.approx(1.01161742444221, rel=TOL)
    assert r.slope_ci[0] == pytest.approx(0.974004310213431, rel=TOL)
    assert r.slope_ci[1] == pytest.approx(1.04923053867099, rel=TOL)
    assert r.intercept_se == pytest.approx(0.0453979801071604, rel=TOL)
    assert r.slope_se == pytest.approx(0.0213551909256635, rel=TOL)
    assert (r.n, r.df, r.doses, r.dose_ratio) == (16, 14, (1.0, 3.0, 10.0, 30.0), 30.0)
    assert r.acceptance[0] == pytest.approx(1 - 0.2231435513142098 / 3.4011973816621555)
    assert r.acceptance[0] == pytest.approx(0.93439265, abs=1e-8)
    assert r.acceptance[1] == pytest.approx(1.06560735, abs=1e-8)
    assert r.conclusion == "proportional"
    # dose-normalised geometric means: 30 mg vs 1 mg

    def gm(xs: list[float], d: float) -> float:
        return math.exp(float(np.mean(np.log(np.array(xs) / d))))

    expected = gm([322.0, 281.4, 350.9, 298.7], 30) / gm([10.2, 8.7, 12.1, 9.5], 1)
    assert r.dn_gm_ratio == pytest.approx(expected, rel=1e-12)
    assert r.dn_ratio_pred == pytest.approx(30 ** (r.slope - 1))
    assert r.dn_ratio_pred_ci == pytest.approx(
        (30 ** (r.slope_ci[0] - 1), 30 ** (r.slope_ci[1] - 1))
    )
    summary = r.summary()
    assert summary.loc[0, "conclusion"] == "proportional"
    assert summary.loc[0, "slope 90% CI low"] == pytest.approx(r.slope_ci[0])
    assert DoseProportionality.from_dict(r.to_dict()) == r


def test_less_than_proportional_against_R() -> None:
    """R 4.2.2::

        d2 <- data.frame(dose = rep(c(2, 8, 32), each = 3),
                         cmax = c(5.1, 4.4, 6.0, 13.2, 11.9, 14.8, 33.0, 29.1, 36.4))
        fit <- lm(log(cmax) ~ log(dose), data = d2)
        coef(fit)                   # log(dose) 0.668353720094624
        confint(fit, level = 0.9)   # log(dose) 0.602278736777859, 0.734428703411388

    r = 16: acceptance 1 + ln(0.8)/ln(16) = 1 - 0.2231435513/2.7725887222 = 0.91951798,
    1 + ln(1.25)/ln(16) = 1.08048202;
    the CI lies wholly below it: not proportional.
    """
    frame = pd.DataFrame(
        {
            "dose": [2] * 3 + [8] * 3 + [32] * 3,
            "cmax": [5.1, 4.4, 6.0, 13.2, 11.9, 14.8, 33.0, 29.1, 36.4],
        }
    )
    r = dose_proportionality(frame, "dose", "cmax")
    assert r.slope == pytest.approx(0.668353720094624, rel=TOL)
    assert r.slope_ci == pytest.approx((0.602278736777859, 0.734428703411388), rel=TOL)
    assert r.acceptance == pytest.approx((0.91951798, 1.08048202), abs=1e-8)
    assert r.conclusion == "not proportional"


def test_overlapping_interval_is_inconclusive_and_missing_rows_are_counted() -> None:
    rng = np.random.default_rng(7)
    dose = np.repeat([1.0, 2.0], 6)
    auc = 10 * dose * np.exp(rng.normal(0, 0.4, len(dose)))
    frame = pd.DataFrame({"dose": [*dose, 4.0], "auc": [*auc, None]})
    r = dose_proportionality(frame, "dose", "auc")
    assert r.n_excluded == 1 and r.n == 12 and r.dose_ratio == 2.0
    assert r.conclusion == "inconclusive"  # a 2-fold range cannot show proportionality
    lo, hi = r.slope_ci
    assert lo < r.acceptance[1] and hi > r.acceptance[0]  # overlapping
    assert not (r.acceptance[0] <= lo and hi <= r.acceptance[1])  # not inside


def test_wider_level_widens_the_interval() -> None:
    narrow = dose_proportionality(AUC, "dose", "auc", level=0.5)
    wide = dose_proportionality(AUC, "dose", "auc", level=0.99)
    assert wide.slope_ci[0] < narrow.slope_ci[0] < narrow.slope_ci[1] < wide.slope_ci[1]


def test_smith_interval_by_hand() -> None:
    lo, hi = smith_interval(10.0)
    assert lo == pytest.approx(1 + math.log(0.8) / math.log(10))
    assert hi == pytest.approx(1 + math.log(1.25) / math.log(10))
    with pytest.raises(InputError):
        smith_interval(1.0)
    with pytest.raises(InputError, match="theta"):
        smith_interval(10.0, 1.1, 1.25)


def test_dose_proportionality_refuses_bad_input() -> None:
    one_dose = pd.DataFrame({"dose": [5, 5, 5], "auc": [1.0, 2.0, 3.0]})
    with pytest.raises(InputError, match="2 distinct doses") as err:
        dose_proportionality(one_dose, "dose", "auc")
    assert err.value.place.column == "dose"
    zero = pd.DataFrame({"dose": [1, 2, 4], "auc": [1.0, 0.0, 3.0]})
    with pytest.raises(InputError, match="> 0") as err:
        dose_proportionality(zero, "dose", "auc")
    assert (err.value.place.column, err.value.place.row) == ("auc", 3)
    negative_dose = pd.DataFrame({"dose": [1, -2, 4], "auc": [1.0, 2.0, 3.0]})
    with pytest.raises(InputError, match="column 'dose'"):
        dose_proportionality(negative_dose, "dose", "auc")
    with pytest.raises(InputError, match="column 'cmax'"):
        dose_proportionality(one_dose, "dose", "cmax")
    two = pd.DataFrame({"dose": [1, 2], "auc": [1.0, 2.0]})
    with pytest.raises(InputError, match="at least 3"):
        dose_proportionality(two, "dose", "auc")
    with pytest.raises(InputError, match="level"):
        dose_proportionality(AUC, "dose", "auc", level=90)
