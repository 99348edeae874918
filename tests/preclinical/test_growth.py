"""Log-scale tumour-growth mixed models against R's nlme, closed forms and bad input.

References were made with R 4.2.2 and nlme 3.1-162 (Debian bookworm r-cran-nlme) on
``tests/data/invivo/grwth_data.csv`` (SynergyLMM's example study) and on nlme's ``Orthodont``
(written to ``tests/data/invivo/orthodont.csv`` with ``write.csv(as.data.frame(Orthodont))``)::

    library(nlme)
    d <- read.csv("grwth_data.csv")
    d$Treatment <- factor(d$Treatment, levels = c("Control", "DrugA", "DrugB", "Combination"))
    m <- lme(log(TumorVolume) ~ Treatment * Time, random = ~ Time | subject, data = d,
             method = "REML")                      # and method = "ML"
    summary(m)$tTable; intervals(m, which = "fixed"); logLik(m); AIC(m); BIC(m)
    # group rates and contrasts between treated groups: the same model with
    d$Treatment <- relevel(d$Treatment, ref = "DrugA")   # then "DrugB", "Combination"
    o <- as.data.frame(Orthodont)
    lme(log(distance) ~ Sex * age, random = ~ age | Subject, data = o, method = "REML")

On this study the random intercept and slope of ``log(TumorVolume)`` are estimated at zero by
nlme too (SDs 1.5e-5 and 1.1e-7): a boundary fit, so its variance components are not
compared (they are on Orthodont, an interior fit); its fixed effects and SEs are.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.preclinical.growth import (
    GrowthModelResult,
    check_tumour_table,
    fit_growth,
    nlme_fixed_df,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "invivo"
COLUMNS = {"subject": "animal_id", "Time": "day", "Treatment": "group", "TumorVolume": "volume_mm3"}

REL = 1e-4  # estimates (nlme's and statsmodels' optimisers stop at their own tolerances)
REL_SE = 1e-3  # standard errors and SDs
REL_P = 1e-3


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    return pd.read_csv(DATA / "grwth_data.csv").rename(columns=COLUMNS)


@pytest.fixture(scope="module")
def orthodont() -> pd.DataFrame:
    o = pd.read_csv(DATA / "orthodont.csv")
    return o.rename(
        columns={"Subject": "animal_id", "Sex": "group", "age": "day", "distance": "mm"}
    )


@pytest.fixture(scope="module")
def reml(study: pd.DataFrame) -> GrowthModelResult:
    return fit_growth(study, control="Control")


def fixed(result: GrowthModelResult) -> dict[str, tuple[float, float, int, float]]:
    return {f.term: (f.estimate, f.se, f.df, f.p) for f in result.fixed}


# --- R's nlme -----------------------------------------------------------------------------------


def test_reml_fixed_effects_match_r_nlme(reml: GrowthModelResult) -> None:
    expected = {  # summary(m)$tTable: Value, Std.Error, DF, p-value (REML)
        "(Intercept)": (5.29453893629348, 0.03899074553214, 316, 2.84528843606e-282),
        "groupDrugA": (-0.05571461351793, 0.05514124113859, 28, 3.20956795327e-01),
        "groupDrugB": (0.02777625659327, 0.05514124113859, 28, 6.18392082761e-01),
        "groupCombination": (0.04350657230555, 0.05514124113859, 28, 4.36740820730e-01),
        "day": (0.07974407953543, 0.00219687961250, 316, 9.36569782873e-115),
        "groupDrugA:day": (-0.00763665984886, 0.00310685694289, 316, 1.45076670971e-02),
        "groupDrugB:day": (-0.01768229158217, 0.00310685694289, 316, 2.87719427467e-08),
        "groupCombination:day": (-0.04222446929093, 0.00310685694289, 316, 1.91508893109e-33),
    }
    got = fixed(reml)
    assert list(got) == list(expected)
    for term, (value, se, df, p) in expected.items():
        assert got[term][0] == pytest.approx(value, rel=REL), term
        assert got[term][1] == pytest.approx(se, rel=REL_SE), term
        assert got[term][2] == df, term
        assert got[term][3] == pytest.approx(p, rel=REL_P), term
    intervals = {  # intervals(m, which = "fixed"): lower, upper
        "(Intercept)": (5.2178246632204, 5.37125320936656),
        "groupDrugA": (-0.1686663256737, 0.05723709863781),
        "day": (0.0754217199549, 0.08406643911593),
        "groupCombination:day": (-0.0483372088311, -0.03611172975073),
    }
    by_term = {f.term: f for f in reml.fixed}
    for term, (lower, upper) in intervals.items():
        assert (by_term[term].lower, by_term[term].upper) == pytest.approx(
            (lower, upper), rel=REL, abs=1e-6
        ), term
    assert reml.loglik == pytest.approx(46.4337272270, abs=1e-5)
    assert (reml.aic, reml.bic) == pytest.approx((-68.8674544540, -22.7797545656), abs=1e-4)
    assert (reml.n_animals, reml.n_obs, reml.method) == (32, 352, "REML")


def test_ml_standard_errors_are_nlme_summary_ones(study: pd.DataFrame) -> None:
    # summary(lme(..., method = "ML"))$tTable (nlme's adjustSigma: sigma_ML sqrt(n / (n - p)))
    ml = fit_growth(study, control="Control", method="ML")
    got = fixed(ml)
    expected = {
        "(Intercept)": (5.29453893629348, 0.03899074536682),
        "groupDrugA": (-0.05571461351792, 0.05514124090480),
        "day": (0.07974407953543, 0.00219687961583),
        "groupCombination:day": (-0.04222446929093, 0.00310685694761),
    }
    for term, (value, se) in expected.items():
        assert got[term][:2] == pytest.approx((value, se), rel=REL_SE), term
    assert ml.loglik == pytest.approx(79.0944930648, abs=1e-5)
    assert (ml.aic, ml.bic) == pytest.approx((-134.1889861295, -87.8254120223), abs=1e-4)


def test_group_rates_and_contrasts_match_relevelled_r(reml: GrowthModelResult) -> None:
    # Time row (the reference group's rate) of the relevelled fits: Value, SE, lower, upper
    rates = {
        "Control": (0.07974407953543, 0.00219687961250, 0.0754217199549, 0.08406643911593),
        "DrugA": (0.07210741968656, 0.00219687961250, 0.06778506010606, 0.07642977926706),
        "DrugB": (0.0620617879533, 0.0021968796125, 0.0577394283728, 0.0663841475338),
        "Combination": (0.0375196102445, 0.0021968796125, 0.0331972506640, 0.0418419698250),
    }
    got = {g.group: g for g in reml.rates}
    assert list(got) == list(rates)
    for group, (rate, se, lower, upper) in rates.items():
        g = got[group]
        assert (g.rate, g.lower, g.upper) == pytest.approx((rate, lower, upper), rel=REL), group
        assert g.se == pytest.approx(se, rel=REL_SE), group
        assert (g.df, g.n_animals, g.n_obs) == (316, 8, 88)
        assert g.doubling_time == pytest.approx(math.log(2) / rate, rel=REL)
        assert g.doubling_se == pytest.approx(math.log(2) * se / rate**2, rel=REL_SE)
        assert (g.doubling_lower, g.doubling_upper) == pytest.approx(
            (math.log(2) / upper, math.log(2) / lower), rel=REL
        )
    # TreatmentX:Time rows of the relevelled fits: difference, SE, p, lower, upper
    contrasts = {
        ("DrugA", "Control"): (-0.00763665984886, 1.45076670971e-02, -0.0137493993891),
        ("DrugB", "Control"): (-0.01768229158217, 2.87719427467e-08, -0.0237950311224),
        ("Combination", "Control"): (-0.04222446929093, 1.91508893109e-33, -0.0483372088311),
        ("DrugB", "DrugA"): (-0.01004563173331, 1.35264286507e-03, -0.01615837127350),
        ("Combination", "DrugA"): (-0.03458780944207, 1.65263295221e-24, -0.04070054898227),
        ("Combination", "DrugB"): (-0.0245421777088, 4.68575136169e-14, -0.0306549172490),
    }
    made = {(c.group, c.reference): c for c in (*reml.versus_control, *reml.pairwise)}
    assert set(made) == set(contrasts)
    for key, (diff, p, lower) in contrasts.items():
        c = made[key]
        assert (c.difference, c.lower) == pytest.approx((diff, lower), rel=REL), key
        assert c.se == pytest.approx(0.00310685694289, rel=REL_SE), key
        assert c.p == pytest.approx(p, rel=REL_P), key
        assert c.p <= c.p_holm <= 1
    table = reml.contrasts()
    assert len(table) == 6 and table["reference"].tolist()[:3] == ["Control"] * 3


def test_boundary_fit_is_flagged_as_nlme_finds_it(reml: GrowthModelResult) -> None:
    # VarCorr(m): intercept SD 1.485e-05, Time SD 1.059e-07 beside a residual SD of 0.1955
    assert reml.boundary
    assert reml.intercept_sd < 1e-3 and reml.slope_sd < 1e-4
    assert reml.residual_sd == pytest.approx(1.95509943074e-01, rel=REL_SE)
    assert any("random-slope variance is (near) zero" in f for f in reml.flags)
    assert reml.converged and reml.optimiser
    assert {r.method for r in reml.runs} >= {"lbfgs", "bfgs", "powell", "nm"}


@pytest.mark.parametrize(
    ("method", "loglik", "sds", "correlation", "fixed_se"),
    [
        # VarCorr(m): StdDev (Intercept), age, Residual; Corr; tTable Std.Error
        (
            "REML",
            113.399055232,
            (0.12880359249572, 0.00847699645637, 0.05435647964929),
            -0.807,
            (0.04690716548603, 0.07348940473801, 0.00370464921513, 0.00580406986357),
        ),
        (
            "ML",
            128.414786632,
            (0.1182481001706, 0.0074560966914, 0.0543564818569),
            -0.788,
            (0.04599625374911, 0.07206228031850, 0.00363270660060, 0.00569135744826),
        ),
    ],
)
def test_variance_components_match_r_on_an_interior_fit(
    orthodont: pd.DataFrame,
    method: str,
    loglik: float,
    sds: tuple[float, float, float],
    correlation: float,
    fixed_se: tuple[float, ...],
) -> None:
    r = fit_growth(orthodont, control="Male", value="mm", unit="mm", method=method)  # type: ignore[arg-type]
    assert not r.boundary and r.converged
    assert r.loglik == pytest.approx(loglik, abs=1e-6)
    assert (r.intercept_sd, r.slope_sd, r.residual_sd) == pytest.approx(sds, rel=REL_SE)
    assert r.correlation == pytest.approx(correlation, abs=1e-3)
    estimates = (2.8622247193500, 0.0196638551130, 0.0317021214663, -0.0105549068269)
    assert [f.estimate for f in r.fixed] == pytest.approx(estimates, rel=REL)
    assert [f.se for f in r.fixed] == pytest.approx(fixed_se, rel=REL_SE)
    assert [f.df for f in r.fixed] == [79, 25, 79, 79]
    if method == "REML":  # intervals(m): nlme's ML intervals do not use summary()'s SEs
        assert (r.fixed[2].lower, r.fixed[2].upper) == pytest.approx(
            (0.0243282016572, 0.039076041275334), rel=REL
        )
        assert (r.aic, r.bic) == pytest.approx((-210.798110465, -189.642983272), abs=1e-5)


# --- closed forms -------------------------------------------------------------------------------

DAYS = (0.0, 2.0, 4.0, 6.0, 8.0, 10.0)
PATTERN = (0.0, 1.0, -1.0, -1.0, 1.0, 0.0)
"""A residual pattern orthogonal to 1 and to the days (and zero at baseline): per-animal least
squares lines, and so the balanced design's GLS fixed effects, are exact."""


def exact_study(rates: dict[str, float], eps: float = 0.02) -> pd.DataFrame:
    """Four animals per group, ln V = ln V0_i + (rate_g + b_i) day + eps * pattern, with the
    animals' slope deviations b_i and baselines summing to zero within each group."""
    rows = []
    slopes = (0.004, -0.004, -0.008, 0.008)
    bases = (0.1, -0.1, 0.25, -0.25)
    for g, (group, rate) in enumerate(rates.items()):
        for k in range(4):
            sign = 1 if k % 2 == 0 else -1
            for day, e in zip(DAYS, PATTERN, strict=True):
                log_v = 5.0 + bases[k] + (rate + slopes[k]) * day + sign * eps * e
                rows.append((f"{group[:1]}{g}-{k}", group, day, math.exp(log_v)))
    return pd.DataFrame(rows, columns=["animal_id", "group", "day", "volume_mm3"])


def test_an_exact_exponential_study_recovers_its_rates() -> None:
    rates = {"vehicle": 0.10, "A": 0.07, "B": 0.055, "A+B": 0.02}
    eps = 0.02
    r = fit_growth(exact_study(rates, eps), control="vehicle")
    assert [g.rate for g in r.rates] == pytest.approx(list(rates.values()), abs=1e-10)
    assert [g.doubling_time for g in r.rates] == pytest.approx(
        [math.log(2) / v for v in rates.values()], rel=1e-9
    )
    # balanced REML in closed form: sigma^2 is the pooled within-animal residual mean square
    # (4 eps^2 per animal on 6 - 2 df) and D = S_b - sigma^2 (Z'Z)^-1, S_b the covariance of the
    # animals' own (intercept, slope) about their group's on 16 - 4 df
    assert r.residual_sd == pytest.approx(eps, rel=1e-4)
    z = np.column_stack([np.ones(6), DAYS])
    dev = np.array(
        [
            [b, s]
            for b, s in zip((0.1, -0.1, 0.25, -0.25), (0.004, -0.004, -0.008, 0.008), strict=True)
        ]
    )
    s_b = 4 * dev.T @ dev / (16 - 4)
    d = s_b - eps**2 * np.linalg.inv(z.T @ z)
    assert (r.intercept_sd, r.slope_sd) == pytest.approx(np.sqrt(np.diag(d)), rel=1e-3)
    assert r.correlation == pytest.approx(d[0, 1] / math.sqrt(d[0, 0] * d[1, 1]), abs=1e-3)
    assert not r.boundary
    by = {(c.group, c.reference): c.difference for c in (*r.versus_control, *r.pairwise)}
    assert by[("A+B", "vehicle")] == pytest.approx(-0.08, abs=1e-10)
    assert by[("A+B", "A")] == pytest.approx(-0.05, abs=1e-10)


def test_log_rtv_response_drops_the_baseline_and_keeps_the_rates() -> None:
    rates = {"vehicle": 0.10, "A": 0.07, "B": 0.055, "A+B": 0.02}
    r = fit_growth(exact_study(rates), control="vehicle", response="log_rtv")
    assert r.n_obs == 16 * 5
    assert [g.rate for g in r.rates] == pytest.approx(list(rates.values()), abs=1e-9)


def test_a_shrinking_group_has_no_doubling_time() -> None:
    r = fit_growth(
        exact_study({"vehicle": 0.1, "A": -0.02, "B": 0.05, "C": 0.0}), control="vehicle"
    )
    shrinking = r.rates[1]
    assert shrinking.rate == pytest.approx(-0.02, abs=1e-10)
    assert shrinking.doubling_time is None and shrinking.doubling_upper is None


def test_nlme_degrees_of_freedom_rule() -> None:
    # nlme:::getFixDF: within N - animals - 2 = 6, between animals - 1 - 1 = 2 (32 - 3 - 1 = 28 above)
    animals = np.repeat(np.arange(4), 3)
    day = np.tile([0.0, 1.0, 2.0], 4)
    group = (animals >= 2).astype(float)
    x = np.column_stack([np.ones(12), group, day, group * day])
    assert nlme_fixed_df(x, animals).tolist() == [6, 2, 6, 6]
    # no intercept (SynergyLMM's slope model): N - animals - p + 1
    assert nlme_fixed_df(x[:, 2:], animals).tolist() == [7, 7]


def test_result_round_trips_through_json(reml: GrowthModelResult) -> None:
    again = GrowthModelResult.from_dict(json.loads(json.dumps(reml.to_dict())))
    assert again == reml
    assert reml.to_dict()["kind"] == "tumour_growth"
    assert list(reml.summary()["group"]) == ["Control", "DrugA", "DrugB", "Combination"]
    assert len(reml.fixed_effects()) == 8 and len(reml.variance_components()) == 4


def test_missing_burden_is_left_out_and_counted(study: pd.DataFrame) -> None:
    holes = study.copy()
    holes.loc[[5, 40], "volume_mm3"] = np.nan
    r = fit_growth(holes, control="Control")
    assert (r.n_obs, r.n_missing) == (350, 2)


# --- bad input ----------------------------------------------------------------------------------


def test_an_animal_in_two_groups_is_refused(study: pd.DataFrame) -> None:
    bad = study.copy()
    bad.loc[3, "group"] = "DrugA"  # animal 1 is a Control animal
    with pytest.raises(InputError, match="animal '1' is listed in two groups") as err:
        fit_growth(bad, control="Control", source="study.csv")
    assert err.value.place.row == 5 and err.value.place.file == "study.csv"


def test_a_group_with_fewer_than_three_animals_is_refused(study: pd.DataFrame) -> None:
    few = study[~study["animal_id"].isin([25, 26, 27, 28, 29, 30])]
    with pytest.raises(InputError, match="has 2 animals") as err:
        fit_growth(few, control="Control")
    assert err.value.place.field == "group 'Combination'"


@pytest.mark.parametrize("volume", [0.0, -3.0, "big"])
def test_a_burden_that_is_not_positive_is_refused(study: pd.DataFrame, volume: object) -> None:
    bad = study.astype({"volume_mm3": object})
    bad.loc[7, "volume_mm3"] = volume
    with pytest.raises(InputError, match="must be a burden > 0") as err:
        fit_growth(bad, control="Control")
    assert (err.value.place.row, err.value.place.column) == (9, "volume_mm3")


def test_a_missing_baseline_is_refused_for_relative_volume(study: pd.DataFrame) -> None:
    no_base = study.drop(index=study.index[(study["animal_id"] == 12) & (study["day"] == 0)])
    with pytest.raises(InputError, match="no burden measured on the baseline day 0") as err:
        fit_growth(no_base, control="Control", response="log_rtv")
    assert err.value.place.field == "animal '12'"
    fit_growth(no_base, control="Control")  # the log-volume model needs no baseline


def test_other_bad_tables_say_where(study: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="column not found") as err:
        check_tumour_table(study.drop(columns="day"))
    assert err.value.place.column == "day"
    bad = study.astype({"day": object})
    bad.loc[2, "day"] = "d3"
    with pytest.raises(InputError, match="must be a number of days") as err:
        check_tumour_table(bad)
    assert err.value.place.row == 4
    twice = pd.concat([study, study.iloc[[10]]], ignore_index=True)
    with pytest.raises(InputError, match="measured twice on day"):
        check_tumour_table(twice)
    with pytest.raises(InputError, match="group 'Vehicle' has no measurements"):
        fit_growth(study, control="Vehicle")
    with pytest.raises(InputError, match="must be 'REML' or 'ML'"):
        fit_growth(study, control="Control", method="OLS")  # type: ignore[arg-type]
