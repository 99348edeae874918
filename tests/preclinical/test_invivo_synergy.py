"""In-vivo synergy (SynergyLMM's ``lmmModel`` and ``lmmSynergy``) against SynergyLMM's printed
results and R, closed forms and bad input.

Published: the SynergyLMM README (GitHub RafRomB/SynergyLMM, ``README.md``, versions 1.1.x)
prints, for its example study (``tests/data/invivo/grwth_data.csv``), ``lmmModel_estimates``
of the default model and of ``weights = nlme::varIdent(form = ~ 1 | SampleID)``, and the
``lmmSynergy`` tables of Bliss (default and ``robust = TRUE``), HSA, RA (``set.seed(123)``,
``ra_nsim = 1000``) and Bliss ``robust = TRUE, min_time = 6`` on the varIdent model, to 7 or 8
digits. Those are asserted as printed.

R (4.2.2, nlme 3.1-162, clubSandwich 0.5.8, MASS 7.3-58; SynergyLMM itself cannot be installed
here) gives the full-precision numbers, computed as SynergyLMM 1.1.x's code does (its
``lmmModel``, ``getRTV``, and ``lmmSynergy.explme``, with ``marginaleffects::hypotheses``'
estimate, SE, z test and interval written out); this reproduction prints the published tables
above digit for digit::

    library(nlme); library(clubSandwich); library(MASS)
    d <- read.csv("grwth_data.csv")
    d$Treatment <- factor(d$Treatment, levels = c("Control", "DrugA", "DrugB", "Combination"))
    tv0 <- d[d$Time == 0, c("subject", "TumorVolume")]; names(tv0)[2] <- "TV0"
    d <- merge(d, tv0, by = "subject", sort = FALSE); d <- d[order(d$subject, d$Time), ]
    d$logRTV <- log(d$TumorVolume / d$TV0); d$SampleID <- factor(d$subject)
    df <- d[d$Time != 0, ]
    m  <- lme(logRTV ~ 0 + Time:Treatment, random = ~ 0 + Time | SampleID, data = df)
    mv <- update(m, weights = varIdent(form = ~ 1 | SampleID))   # and ~ 1 | Treatment
    syn <- function(model, L, robust, min_time = 0) {  # lmmSynergy.explme, Bliss / HSA
      times <- sort(unique(model$data$Time)); times <- times[times >= min_time]
      do.call(rbind, lapply(times, function(t) {
        mt <- update(model, data = model$data[model$data$Time <= t, ])
        V <- if (robust) as.matrix(vcovCR(mt, type = "CR2")) else vcov(mt)
        est <- sum(L * fixef(mt)); se <- sqrt(drop(t(L) %*% V %*% L))
        lo <- est - qnorm(.975) * se; hi <- est + qnorm(.975) * se
        data.frame(Time = t, CI = exp(est * t), CIlo = exp(lo * t), CIhi = exp(hi * t),
                   SS = -est / se, SSlo = -hi / se, SShi = -lo / se, p = 2 * pnorm(-abs(est / se)))
      }))
    }
    syn(mv, c(1, -1, -1, 1), robust = TRUE, min_time = 6)    # Bliss, robust, varIdent
    syn(m, c(1, -1, -1, 1), robust = FALSE)                  # Bliss
    syn(m, c(0, 0, -1, 1), robust = FALSE)                   # HSA (DrugB has the lower rate)
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.preclinical.growth import fit_mixedlm
from cxcr4lab.preclinical.invivo_synergy import (
    ExponentialGrowthFit,
    InvivoSynergyResult,
    _criterion,
    _fit_varident,
    _prepare,
    fit_exponential_growth,
    invivo_synergy,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "invivo"
COLUMNS = {"subject": "animal_id", "Time": "day", "Treatment": "group", "TumorVolume": "volume_mm3"}
ARMS = {"control": "Control", "drug_a": "DrugA", "drug_b": "DrugB", "combination": "Combination"}
DAYS = [3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0, 24.0, 27.0, 30.0]

REL = 1e-4  # estimates: nlme's optimiser and ours stop at their own tolerances
REL_SE = 1e-3  # standard errors, SDs, p-values
PUBLISHED = 1e-6  # numbers printed by SynergyLMM to 7 or 8 digits (nlme's own stop is ~1e-7)


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    return pd.read_csv(DATA / "grwth_data.csv").rename(columns=COLUMNS)


@pytest.fixture(scope="module")
def bliss(study: pd.DataFrame) -> InvivoSynergyResult:
    return invivo_synergy(study, **ARMS)


@pytest.fixture(scope="module")
def bliss_robust(study: pd.DataFrame) -> InvivoSynergyResult:
    return invivo_synergy(study, robust=True, **ARMS)


@pytest.fixture(scope="module")
def bliss_varident(study: pd.DataFrame) -> InvivoSynergyResult:
    return invivo_synergy(study, variance="subject", robust=True, min_day=6, **ARMS)


def columns(result: InvivoSynergyResult, metric: str) -> dict[str, list[float]]:
    table = result.summary()
    rows = table[table["Metric"] == metric]
    return {k: rows[k].astype(float).tolist() for k in ("Estimate", "lwr", "upr", "pval", "Time")}


def assert_table(
    result: InvivoSynergyResult,
    ci: list[tuple[float, ...]],
    ss: list[tuple[float, ...]],
    rel: float = REL,
) -> None:
    """``ci`` and ``ss``: rows (Estimate, lwr, upr, pval) in day order."""
    for metric, rows in (("CI", ci), ("SS", ss)):
        got = columns(result, metric)
        for k, key in enumerate(("Estimate", "lwr", "upr")):
            assert got[key] == pytest.approx([r[k] for r in rows], rel=rel), (metric, key)
        assert got["pval"] == pytest.approx([r[3] for r in rows], rel=REL_SE), metric


# --- lmmModel -----------------------------------------------------------------------------------


def test_default_model_matches_synergylmm_and_nlme(study: pd.DataFrame) -> None:
    fit = fit_exponential_growth(study, **ARMS)
    # README: lmmModel_estimates(lmm)
    #   Control sd_Control DrugA sd_DrugA DrugB sd_DrugB Combination sd_Combination sd_ranef sd_resid
    #   0.07855242 0.00322683 0.07491984 0.00322683 0.06306986 0.00322683 0.03487933 0.00322683
    #   0.03946667 0.2124122
    published = (0.07855242, 0.07491984, 0.06306986, 0.03487933)
    assert fit.rates == pytest.approx(published, rel=PUBLISHED)
    assert fit.rate_se == pytest.approx((0.00322683,) * 4, rel=PUBLISHED)
    assert (fit.slope_sd_relative, fit.residual_sd) == pytest.approx(
        (0.03946667, 0.2124122), rel=PUBLISHED
    )
    # R: summary(m)$tTable[, 1:2]; VarCorr(m); logLik(m)
    rates = (0.0785524206340, 0.0749198359376, 0.0630698585200, 0.0348793297694)
    assert fit.rates == pytest.approx(rates, rel=REL)
    assert fit.rate_se == pytest.approx((0.00322682990621,) * 4, rel=REL_SE)
    assert fit.slope_sd == pytest.approx(0.00838320379835, rel=REL_SE)
    assert fit.residual_sd == pytest.approx(0.21241223374439, rel=REL_SE)
    assert fit.loglik == pytest.approx(-5.27078423443, abs=1e-6)
    # R: sqrt(diag(vcovCR(m, type = "CR2")))
    robust = (0.00403803250544, 0.00258104147515, 0.00252036188027, 0.00351141272840)
    assert fit.rate_se_robust == pytest.approx(robust, rel=REL_SE)
    assert fit.groups == ("Control", "DrugA", "DrugB", "Combination")
    assert (fit.n_animals, fit.n_obs, fit.day_start, fit.last_day) == (32, 320, 0.0, 30.0)
    assert fit.converged and not fit.boundary and not fit.flags


@pytest.mark.parametrize(
    ("cr_type", "se"),
    [  # R: sqrt(diag(vcovCR(m, type = cr_type)))
        ("CR0", (0.00377723353801, 0.00241434322527, 0.00235758266167, 0.00328462584331)),
        ("CR1", (0.00383767311229, 0.00245297516985, 0.00239530637956, 0.00333718319398)),
    ],
)
def test_other_sandwich_types_match_clubsandwich(
    study: pd.DataFrame, cr_type: str, se: tuple[float, ...]
) -> None:
    fit = fit_exponential_growth(study, cr_type=cr_type, **ARMS)  # type: ignore[arg-type]
    assert fit.rate_se_robust == pytest.approx(se, rel=REL_SE)


def test_variance_per_animal_matches_synergylmm_and_nlme(study: pd.DataFrame) -> None:
    fit = fit_exponential_growth(study, variance="subject", **ARMS)
    # README: lmmModel_estimates(lmm_ex_var)
    #   0.07888867 0.00318583 0.07496401 0.003194576 0.06308966 0.00315647 0.03535055
    #   0.003249592 (sd_ranef) 0.0386823 (sd_resid) 0.2148223
    published = (0.07888867, 0.07496401, 0.06308966, 0.03535055)
    assert fit.rates == pytest.approx(published, rel=PUBLISHED)
    assert fit.rate_se == pytest.approx(
        (0.00318583, 0.003194576, 0.00315647, 0.003249592), rel=1e-5
    )
    assert (fit.slope_sd_relative, fit.residual_sd) == pytest.approx(
        (0.0386823, 0.2148223), rel=REL
    )
    # R: summary(mv)$tTable; mv$sigma; logLik(mv); coef(mv$modelStruct$varStruct, FALSE)[1:5]
    rates = (0.0788886720388, 0.0749640136978, 0.0630896571727, 0.0353505548722)
    se = (0.00318582947453, 0.00319457612734, 0.00315646977071, 0.00324959163710)
    assert fit.rates == pytest.approx(rates, rel=REL)
    assert fit.rate_se == pytest.approx(se, rel=REL_SE)
    assert fit.residual_sd == pytest.approx(0.214822050036, rel=REL_SE)
    assert fit.slope_sd == pytest.approx(0.00830981960564, rel=REL_SE)
    assert fit.loglik == pytest.approx(8.07802110922, abs=1e-6)
    ratios = [v.ratio for v in fit.variance_ratios[:6]]
    assert ratios == pytest.approx(
        [1.0, 0.976634529560, 0.821770009834, 0.843688327520, 0.975746558847, 1.072497511561],
        rel=REL_SE,
    )
    assert [v.stratum for v in fit.variance_ratios[:3]] == ["1", "2", "3"]
    # R: sqrt(diag(vcovCR(mv, type = "CR2")))
    robust = (0.00414651690463, 0.00248261932903, 0.00238754554525, 0.00346826934202)
    assert fit.rate_se_robust == pytest.approx(robust, rel=REL_SE)
    assert fit.converged and not fit.boundary


def test_variance_per_group_matches_nlme(study: pd.DataFrame) -> None:
    # R: update(m, weights = varIdent(form = ~ 1 | Treatment)): tTable, sigma, varStruct,
    # logLik, sqrt(diag(vcovCR(., type = "CR2")))
    fit = fit_exponential_growth(study, variance="treatment", **ARMS)
    rates = (0.0785524206340, 0.0749198359376, 0.0630698585200, 0.0348793297694)
    se = (0.00320558524147, 0.00321614391262, 0.00317358041085, 0.00327456182273)
    assert fit.rates == pytest.approx(rates, rel=REL)
    assert fit.rate_se == pytest.approx(se, rel=REL_SE)
    assert fit.residual_sd == pytest.approx(0.207342675413, rel=REL_SE)
    assert [(v.stratum, v.ratio) for v in fit.variance_ratios] == [
        ("Control", 1.0),
        ("DrugA", pytest.approx(1.021626003211, rel=REL_SE)),
        ("DrugB", pytest.approx(0.931857159817, rel=REL_SE)),
        ("Combination", pytest.approx(1.134991436771, rel=REL_SE)),
    ]
    assert fit.loglik == pytest.approx(-3.80672844259, abs=1e-6)
    robust = (0.00403803250544, 0.00258104147515, 0.00252036188027, 0.00351141272840)
    assert fit.rate_se_robust == pytest.approx(robust, rel=REL_SE)


# --- lmmSynergy ---------------------------------------------------------------------------------


def test_bliss_robust_with_variance_per_animal_matches_published(
    bliss_varident: InvivoSynergyResult,
) -> None:
    # README: lmmSynergy(lmm_ex_var, method = "Bliss", robust = TRUE, min_time = 6)$Synergy
    ci = [
        (0.7668269, 0.6754590, 0.8705540, 4.103824e-05),
        (0.6714793, 0.5083305, 0.8869906, 5.041554e-03),
        (0.6711078, 0.4856233, 0.9274384, 1.567663e-02),
        (0.5701287, 0.4040469, 0.8044779, 1.382189e-03),
        (0.5420798, 0.3818478, 0.7695488, 6.142903e-04),
        (0.5451376, 0.3879895, 0.7659356, 4.707607e-04),
        (0.5229272, 0.3662528, 0.7466234, 3.595666e-04),
        (0.4820073, 0.3346676, 0.6942145, 8.827451e-05),
        (0.4894694, 0.3357710, 0.7135230, 2.029750e-04),
    ]
    ss = [
        (4.1015553, 2.1415913, 6.0615193, 4.103824e-05),
        (2.8043667, 0.8444027, 4.7643306, 5.041554e-03),
        (2.4163583, 0.4563943, 4.3763223, 1.567663e-02),
        (3.1983449, 1.2383809, 5.1583089, 1.382189e-03),
        (3.4252251, 1.4652611, 5.3851891, 6.142903e-04),
        (3.4968646, 1.5369006, 5.4568286, 4.707607e-04),
        (3.5681092, 1.6081452, 5.5280732, 3.595666e-04),
        (3.9207481, 1.9607841, 5.8807121, 8.827451e-05),
        (3.7152848, 1.7553208, 5.6752488, 2.029750e-04),
    ]
    assert_table(bliss_varident, ci, ss)
    assert columns(bliss_varident, "CI")["Time"] == DAYS[1:]
    # R (syn(mv, ..., robust = TRUE, min_time = 6)), day 6: CI, its bounds, SS, p
    first = bliss_varident.points[0]
    assert (first.ci, first.ci_lower, first.ci_upper) == pytest.approx(
        (0.766826917985, 0.675458968142, 0.870554023089), rel=REL
    )
    assert first.ss == pytest.approx(4.10155531291, rel=REL)
    assert first.p == pytest.approx(4.10382377295e-05, rel=REL_SE)
    assert bliss_varident.robust and bliss_varident.fit.variance == "subject"


def test_bliss_matches_published_and_r(bliss: InvivoSynergyResult) -> None:
    # README: lmmSynergy(lmm, method = "Bliss")$Synergy; R syn(m, c(1, -1, -1, 1), FALSE)
    # to 12 digits, of which the published 7 or 8
    ci = [
        (0.822966494428, 0.587206185221, 1.153383373671, 2.57903214986e-01),
        (0.822176950320, 0.559388673439, 1.208417277173, 3.19011021700e-01),
        (0.620824173289, 0.431253888740, 0.893725631706, 1.03364348141e-02),
        (0.626386389106, 0.437133996846, 0.897573538751, 1.08117054269e-02),
        (0.547816626618, 0.376934896426, 0.796166816194, 1.60525844532e-03),
        (0.517621741259, 0.362302143610, 0.739527137086, 2.97284990436e-04),
        (0.533286591665, 0.376431772384, 0.755501022264, 4.03791609506e-04),
        (0.513213163690, 0.358003562335, 0.735712655112, 2.83168536957e-04),
        (0.475420310162, 0.330031180765, 0.684857930062, 6.53561425252e-05),
        (0.478672648322, 0.327519872732, 0.699583516385, 1.41647283980e-04),
    ]
    ss = [
        (1.131360915297, -0.828603069243, 3.09132489984, 2.57903214986e-01),
        (0.996492268651, -0.963471715889, 2.95645625319, 3.19011021700e-01),
        (2.564366453782, 0.604402469242, 4.52433043832, 1.03364348141e-02),
        (2.548726497392, 0.588762512852, 4.50869048193, 1.08117054269e-02),
        (3.154949579424, 1.194985594884, 5.11491356396, 1.60525844532e-03),
        (3.617654398734, 1.657690414194, 5.57761838327, 2.97284990436e-04),
        (3.537593226451, 1.577629241911, 5.49755721099, 4.03791609506e-04),
        (3.630230220796, 1.670266236256, 5.59019420534, 2.83168536957e-04),
        (3.992587724223, 2.032623739683, 5.95255170876, 6.53561425252e-05),
        (3.805274025586, 1.845310041046, 5.76523801013, 1.41647283980e-04),
    ]
    assert_table(bliss, ci, ss)
    got = columns(bliss, "CI")
    published = [0.8229665, 0.8221770, 0.6208242, 0.6263864, 0.5478166]  # README, days 3-15
    assert got["Estimate"][:5] == pytest.approx(published, rel=PUBLISHED)
    assert got["Time"] == DAYS
    # README: $Contrasts$Time30: b4=b2+b3-b1, Estimate -0.0246, Std. Error 0.00645
    last = bliss.points[-1]
    assert (last.contrast, last.se) == pytest.approx((-0.0246, 0.00645), abs=5e-5)


def test_bliss_robust_matches_r_clubsandwich(bliss_robust: InvivoSynergyResult) -> None:
    # R: syn(m, c(1, -1, -1, 1), robust = TRUE): CI, SS and p on days 6, 15 and 30 (the
    # README's robust table agrees to its 7 digits: on this balanced study the CR2 variance of
    # the Bliss contrast nearly equals the model's)
    expected = {
        6.0: (0.822176950320, 0.559388675824, 1.208417272021, 0.996492279684, 3.19011016342e-01),
        15.0: (0.547816626618, 0.376935056306, 0.796166478493, 3.154953158759, 1.60523875196e-03),
        30.0: (0.478672648322, 0.327519872741, 0.699583516365, 3.805274025874, 1.41647283816e-04),
    }
    points = {pt.day: pt for pt in bliss_robust.points}
    for day, (ci, lo, hi, ss, p) in expected.items():
        pt = points[day]
        assert (pt.ci, pt.ci_lower, pt.ci_upper, pt.ss) == pytest.approx((ci, lo, hi, ss), rel=REL)
        assert pt.p == pytest.approx(p, rel=REL_SE)
    # README (robust = TRUE): day 15, CI lwr 0.3769351, upr 0.7961665, SS 3.1549531
    pt = points[15.0]
    assert (pt.ci_lower, pt.ci_upper, pt.ss) == pytest.approx(
        (0.3769351, 0.7961665, 3.1549531), rel=PUBLISHED
    )
    # README $Estimates (robust): day 3, sd_Control 0.036617165, sd_DrugA 0.015324541
    assert points[3.0].rate_se[:2] == pytest.approx((0.036617165, 0.015324541), rel=REL_SE)


def test_hsa_matches_published_and_r(study: pd.DataFrame) -> None:
    hsa = invivo_synergy(study, method="HSA", **ARMS)
    assert hsa.hsa_reference == "DrugB"  # b4 = b3: DrugB grows slower than DrugA
    # R: syn(m, c(0, 0, -1, 1), FALSE); the README's HSA table to its 7 digits
    ci = [
        (0.942573314129, 0.742436429061, 1.196660640199, 6.27208984798e-01),
        (0.812089306964, 0.618499041895, 1.066273345332, 1.34105351879e-01),
        (0.656243571178, 0.507195743191, 0.849091559805, 1.35313634614e-03),
        (0.626863346198, 0.486074894317, 0.808430263320, 3.19961061306e-04),
        (0.558401707571, 0.428681373422, 0.727375823516, 1.56109872241e-05),
        (0.542731710563, 0.421720717772, 0.698466300652, 2.05332958068e-06),
        (0.522484644040, 0.408419418470, 0.668406522588, 2.39474557486e-07),
        (0.501517275751, 0.388764871547, 0.646970948984, 1.08818960088e-07),
        (0.463727354567, 0.358236800923, 0.600281877293, 5.36376023015e-09),
        (0.429249964238, 0.328230091857, 0.561360875707, 6.51281155747e-10),
    ]
    ss = [
        (0.485658961486, -1.474305023054, 2.44562294603, 6.27208984798e-01),
        (1.498107388117, -0.461856596423, 3.45807137266, 1.34105351879e-01),
        (3.204465226645, 1.244501242104, 5.16442921118, 1.35313634614e-03),
        (3.598578674314, 1.638614689774, 5.55854265885, 3.19961061306e-04),
        (4.319885932580, 2.359921948040, 6.27984991712, 1.56109872241e-05),
        (4.748103499874, 2.788139515334, 6.70806748441, 2.05332958068e-06),
        (5.165751675090, 3.205787690550, 7.12571565963, 2.39474557486e-07),
        (5.311345236741, 3.351381252201, 7.27130922128, 1.08818960088e-07),
        (5.835474803485, 3.875510818945, 7.79543878802, 5.36376023015e-09),
        (6.177491415461, 4.217527430920, 8.13745540000, 6.51281155747e-10),
    ]
    assert_table(hsa, ci, ss)
    published = [6.1774914, 4.2175274, 8.1374554, 6.512811e-10]  # README, HSA SS, Time 30
    last = hsa.points[-1]
    assert [last.ss, last.ss_lower, last.ss_upper] == pytest.approx(published[:3], rel=PUBLISHED)
    assert last.p == pytest.approx(published[3], rel=1e-5)


def test_estimates_by_day_match_published(bliss: InvivoSynergyResult) -> None:
    # README: lmmSynergy(lmm)$Estimates: Control, sd_Control, Combination, sd_ranef, sd_resid
    published = {
        3.0: (0.04981794, 0.028702864, 0.04982413, None, None),
        6.0: (0.07873777, 0.016374072, 0.03712075, 0.19732648, 0.18726995),
        12.0: (0.08106700, 0.007647412, 0.02668136, 0.08599804, 0.20531013),
        21.0: (0.07725387, 0.004231397, 0.03092350, 0.04891680, 0.21201738),
        30.0: (0.07855242, 0.003226830, 0.03487933, 0.03946667, 0.21241223),
    }
    table = bliss.estimates().set_index("Time")
    for day, (control, sd, combination, ranef, resid) in published.items():
        row = table.loc[day]
        assert (row["Control"], row["Combination"]) == pytest.approx(
            (control, combination), abs=6e-9
        )
        assert row["sd_Control"] == pytest.approx(sd, rel=REL_SE)
        if ranef is not None:  # day 3: one measurement per animal, the split is not identified
            assert (row["sd_ranef"], row["sd_resid"]) == pytest.approx((ranef, resid), rel=REL_SE)


def test_response_additivity_matches_r_to_monte_carlo_precision(study: pd.DataFrame) -> None:
    ra = invivo_synergy(study, method="RA", nsim=200_000, seed=7, **ARMS)
    # R: SynergyLMM 1.1.x's RA loop (integrate() areas, MASS::mvrnorm, set.seed(123) per day,
    # negative expected areas set to 0, infinite ratios to 100) with nsim = 400000:
    #   Time CI CIlo CIhi pCI SS SSlo SShi pSS
    expected = [
        (3, 0.9060061479, 0.7714596648, 1.0776622804, 0.256370, 1.1340153101, -0.8215052539, 3.102557996),
        (9, 0.7723953267, 0.6394856261, 0.9525596827, 0.017090, 2.3664559704, 0.4178316088, 4.343462564),
        (18, 0.6830672501, 0.5516795089, 0.8738978487, 0.003900, 2.8727089363, 0.9233705168, 4.850110484),
        (30, 0.6563340361, 0.4927927018, 0.9477796282, 0.028280, 2.1975090909, 0.2379801200, 4.162138912),
    ]  # fmt: skip
    points = {pt.day: pt for pt in ra.points}
    for day, ci, lo, hi, p, ss, ss_lo, ss_hi in expected:
        pt = points[float(day)]
        # Monte-Carlo error of a median or a 2.5/97.5 % quantile of 2e5 draws: ~0.1-0.5 %
        assert pt.ci == pytest.approx(ci, rel=3e-3), day
        assert (pt.ci_lower, pt.ci_upper) == pytest.approx((lo, hi), rel=1e-2), day
        assert (pt.ss, pt.ss_lower, pt.ss_upper) == pytest.approx(
            (ss, ss_lo, ss_hi), rel=2e-2, abs=2e-2
        )
        assert pt.p_ci == pytest.approx(p, abs=4e-3) and pt.p == pt.p_ci
    # README (set.seed(123), ra_nsim = 1000): day 30 CI 0.6594483, SS 2.2569102: its own
    # Monte-Carlo error (~0.5 % and ~3 %) away from the 400000-draw values
    assert points[30.0].ci == pytest.approx(0.6594483, rel=1e-2)
    assert points[30.0].ss == pytest.approx(2.2569102, rel=5e-2)
    assert (ra.nsim, ra.seed) == (200_000, 7)


def test_study_summary_matches_r(
    bliss: InvivoSynergyResult, bliss_robust: InvivoSynergyResult
) -> None:
    # R: L = contrast of fixef(m); est = L b; se = sqrt(L V L'); reduction = 100 (1 - exp(est 30))
    # with V = vcov(m) and = vcovCR(m, type = "CR2"); p = 2 pnorm(-|est / se|)
    model = {  # group: reduction %, lower %, upper %, p
        "DrugA": (10.324944251, -17.2744834439, 31.4291106861, 0.426019666859),
        "DrugB": (37.1536208393, 17.8112955623, 51.9439149135, 0.000691949542993),
        "Combination": (73.0231939928, 64.7205015593, 79.3719271952, 1.0665713189e-21),
    }
    robust = {
        "DrugA": (10.324944251, -18.8643517711, 32.346279572, 0.44846158316),
        "DrugB": (37.1536208393, 16.8556527324, 52.4962609798, 0.00114348163087),
        "Combination": (73.0231939928, 63.0478308643, 80.3056740816, 3.31412620946e-16),
    }
    for result, expected in ((bliss, model), (bliss_robust, robust)):
        for r in result.reductions:
            red, lo, hi, p = expected[r.group]
            assert (r.reduction_pct, r.lower_pct, r.upper_pct) == pytest.approx(
                (red, lo, hi), rel=REL
            )
            assert r.p == pytest.approx(p, rel=REL_SE) and r.day == 30.0
    versus = {  # monotherapy: rate difference, SE (model), p (model), RTV ratio at day 30
        "DrugA": (-0.0400405061682, 0.00456342661683, 1.72093479977e-18, 0.300828427503),
        "DrugB": (-0.0281905287506, 0.00456342661683, 6.51281155747e-10, 0.429249964238),
    }
    for c in bliss.versus_monotherapy:
        diff, se, p, ratio = versus[c.monotherapy]
        assert (c.difference, c.rtv_ratio) == pytest.approx((diff, ratio), rel=REL)
        assert (c.se, c.p) == pytest.approx((se, p), rel=REL_SE)
    robust_p = {"DrugA": 4.00561520421e-20, "DrugB": 6.93210445922e-11}  # vcovCR(m, "CR2")
    for c in bliss_robust.versus_monotherapy:
        assert c.p == pytest.approx(robust_p[c.monotherapy], rel=REL_SE)
    table = bliss.effect_summary()
    assert table["comparison"].tolist() == [
        "DrugA vs Control",
        "DrugB vs Control",
        "Combination vs Control",
        "Combination vs DrugA",
        "Combination vs DrugB",
    ]


@pytest.mark.parametrize(
    ("padj", "expected"),
    [  # R: p.adjust(syn(m, c(1, -1, -1, 1), FALSE)$p, method)
        ("holm", [0.515806429972652, 0.515806429972652, 0.041345739256452, 0.041345739256452,
                  0.008026292226621, 0.002265348295656, 0.002422749657038, 0.002265348295656,
                  0.000653561425252, 0.001274825555823]),
        ("BH", [0.286559127762585, 0.319011021699924, 0.013514631783661, 0.013514631783661,
                0.002675430742207, 0.000743212476090, 0.000807583219013, 0.000743212476090,
                0.000653561425252, 0.000708236419902]),
    ],
)  # fmt: skip
def test_p_value_adjustment_matches_r(
    bliss: InvivoSynergyResult, padj: str, expected: list[float]
) -> None:
    from dataclasses import replace

    from cxcr4lab.preclinical.invivo_synergy import _adjust

    adjusted = _adjust(list(bliss.points), padj)
    assert [pt.p_adjusted for pt in adjusted] == pytest.approx(expected, rel=REL_SE)
    assert [pt.p_ci_adjusted for pt in adjusted] == pytest.approx(expected, rel=REL_SE)
    table = replace(bliss, padj=padj, points=tuple(adjusted)).summary()
    assert list(table.columns) == [
        "Model",
        "Metric",
        "Estimate",
        "lwr",
        "upr",
        "pval",
        "padj",
        "Time",
    ]


# --- the hand-written likelihood ----------------------------------------------------------------


def test_reml_gradient_is_the_derivative_of_the_criterion(study: pd.DataFrame) -> None:
    d = _prepare(
        study,
        dict(zip(("control", "drug_a", "drug_b", "combination"), ARMS.values(), strict=True)),
        value="volume_mm3",
        day_start=None,
        day_end=None,
        min_observations=1,
        source="",
        row_base=2,
    )[0]
    strata, labels = d.strata("treatment")
    theta = np.array([math.log(0.002), 0.1, -0.05, 0.2])
    for reml in (True, False):
        _, grad, _ = _criterion(theta, d, strata, len(labels), reml)
        for k in range(len(theta)):
            step = np.zeros_like(theta)
            step[k] = 1e-6
            up = _criterion(theta + step, d, strata, len(labels), reml)[0]
            down = _criterion(theta - step, d, strata, len(labels), reml)[0]
            assert grad[k] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-7), (reml, k)


def test_hand_written_reml_with_one_variance_is_statsmodels_mixedlm(study: pd.DataFrame) -> None:
    d = _prepare(
        study,
        dict(zip(("control", "drug_a", "drug_b", "combination"), ARMS.values(), strict=True)),
        value="volume_mm3",
        day_start=None,
        day_end=None,
        min_observations=1,
        source="",
        row_base=2,
    )[0]
    ours = _fit_varident(d, *d.strata("constant"), reml=True, psi0=1e-3)
    theirs = fit_mixedlm(d.y, d.x, d.animals, d.t[:, None]).result
    assert ours.beta == pytest.approx(np.asarray(theirs.fe_params), rel=1e-7)
    assert ours.loglik == pytest.approx(float(theirs.llf), abs=1e-7)
    assert ours.sigma2 == pytest.approx(float(theirs.scale), rel=1e-5)
    assert ours.psi * ours.sigma2 == pytest.approx(float(np.asarray(theirs.cov_re)[0, 0]), rel=1e-4)


# --- closed forms -------------------------------------------------------------------------------

PATTERN = (0.0, 1.0, -1.0, -1.0, 1.0, 0.0)
"""Residuals on days 0, 2, ..., 10 that are zero at baseline and orthogonal to the days after
it: the balanced GLS growth rates of the slope model are exact."""


def exact_study(rates: dict[str, float], eps: float = 0.02) -> pd.DataFrame:
    rows = []
    slopes = (0.004, -0.004, -0.008, 0.008)  # each animal's own rate about its group's
    for g, (group, rate) in enumerate(rates.items()):
        for k in range(4):
            for j, e in enumerate(PATTERN):
                log_v = 5.0 + 0.1 * k + (rate + slopes[k]) * 2 * j + (-1) ** k * eps * e
                rows.append((f"m{g}{k}", group, 2.0 * j, math.exp(log_v)))
    return pd.DataFrame(rows, columns=["animal_id", "group", "day", "volume_mm3"])


BLISS_TRUTH = {"vehicle": 0.10, "A": 0.07, "B": 0.06, "A+B": 0.07 + 0.06 - 0.10}
EXACT_ARMS = {"control": "vehicle", "drug_a": "A", "drug_b": "B", "combination": "A+B"}


def test_a_bliss_independent_study_has_ci_one_and_score_zero() -> None:
    result = invivo_synergy(exact_study(BLISS_TRUTH), **EXACT_ARMS)
    assert result.fit.rates == pytest.approx(tuple(BLISS_TRUTH.values()), abs=1e-10)
    for pt in result.points:
        assert pt.ci == pytest.approx(1.0, abs=1e-8)
        assert pt.ss == pytest.approx(0.0, abs=1e-5)
        assert pt.p == pytest.approx(1.0, abs=1e-5)
        assert pt.rates == pytest.approx(tuple(BLISS_TRUTH.values()), abs=1e-10)
    hsa = invivo_synergy(exact_study(BLISS_TRUTH), method="HSA", **EXACT_ARMS)
    # HSA against B (the lower rate): CI = exp((0.03 - 0.06) day)
    assert hsa.hsa_reference == "B"
    assert [pt.ci for pt in hsa.points] == pytest.approx(
        [math.exp(-0.03 * day) for day in (2, 4, 6, 8, 10)], rel=1e-8
    )
    reduction = {r.group: r.reduction_pct for r in result.reductions}
    assert reduction["A+B"] == pytest.approx(100 * (1 - math.exp(-0.07 * 10)), rel=1e-8)


def test_variance_per_animal_recovers_exact_rates_too() -> None:
    fit = fit_exponential_growth(exact_study(BLISS_TRUTH), variance="subject", **EXACT_ARMS)
    assert fit.rates == pytest.approx(tuple(BLISS_TRUTH.values()), abs=1e-9)
    assert fit.converged


# --- results and input --------------------------------------------------------------------------


def test_result_round_trips_through_json(bliss: InvivoSynergyResult) -> None:
    again = InvivoSynergyResult.from_dict(json.loads(json.dumps(bliss.to_dict())))
    assert again == bliss
    assert bliss.to_dict()["kind"] == "invivo_synergy"
    fit = bliss.fit
    assert ExponentialGrowthFit.from_dict(json.loads(json.dumps(fit.to_dict()))) == fit
    assert fit.summary()["group"].tolist() == list(ARMS.values())


def test_a_day_the_model_cannot_be_fitted_on_is_reported_not_raised(study: pd.DataFrame) -> None:
    # SynergyLMM stops with an error there (README): on day 3 every animal has one measurement,
    # too few for a residual variance of its own
    few = study[study["day"] <= 6]
    syn = invivo_synergy(few, variance="subject", **ARMS)
    first, second = syn.points
    assert first.ci is None and "at least 2" in first.note and not first.converged
    assert second.ci is not None
    assert any("day(s) 3" in f for f in syn.flags)


def test_other_groups_are_left_out_and_named(study: pd.DataFrame) -> None:
    # a third dose of drug A, on two animals only: left out before the per-group checks
    extra = study[study["animal_id"].isin([9, 10])].assign(
        group="DrugA low", animal_id=lambda f: f["animal_id"] + 100
    )
    fit = fit_exponential_growth(pd.concat([study, extra], ignore_index=True), **ARMS)
    assert fit.excluded_groups == ("DrugA low",)
    assert fit.rates == pytest.approx(
        (0.0785524206340, 0.0749198359376, 0.0630698585200, 0.0348793297694), rel=REL
    )


def test_an_animal_without_baseline_is_refused(study: pd.DataFrame) -> None:
    late = study.drop(index=study.index[(study["animal_id"] == 20) & (study["day"] == 0)])
    with pytest.raises(InputError, match="no burden measured on the baseline day 0") as err:
        invivo_synergy(late, **ARMS)
    assert err.value.place.field == "animal '20'"


def test_a_combination_arm_of_two_animals_is_refused(study: pd.DataFrame) -> None:
    small = study[~study["animal_id"].isin([25, 26, 27, 28, 29, 30])]
    with pytest.raises(InputError, match="has 2 animals") as err:
        fit_exponential_growth(small, **ARMS)
    assert err.value.place.field == "group 'Combination'"


def test_an_animal_in_two_groups_is_refused(study: pd.DataFrame) -> None:
    bad = study.copy()
    bad.loc[bad.index[(bad["animal_id"] == 9) & (bad["day"] == 12)], "group"] = "DrugB"
    with pytest.raises(InputError, match="animal '9' is listed in two groups") as err:
        invivo_synergy(bad, **ARMS, source="study.csv")
    assert err.value.place.file == "study.csv" and err.value.place.row is not None


def test_a_non_positive_volume_is_refused(study: pd.DataFrame) -> None:
    bad = study.copy()
    bad.loc[100, "volume_mm3"] = 0.0
    with pytest.raises(InputError, match="must be a burden > 0") as err:
        fit_exponential_growth(bad, **ARMS)
    assert (err.value.place.row, err.value.place.column) == (102, "volume_mm3")


def test_bad_options_are_refused(study: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="group 'Drug C' has no measurements"):
        invivo_synergy(study, **(ARMS | {"drug_b": "Drug C"}))
    with pytest.raises(InputError, match="four different groups"):
        invivo_synergy(study, **(ARMS | {"drug_b": "DrugA"}))
    with pytest.raises(InputError, match="must be Bliss, HSA or RA"):
        invivo_synergy(study, method="Loewe", **ARMS)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="must be CR0, CR1 or CR2"):
        invivo_synergy(study, cr_type="CR3", **ARMS)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no day on or after 40"):
        invivo_synergy(study, min_day=40, **ARMS)
