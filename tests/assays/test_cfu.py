"""CFU assay: per-sample rates and CIs, dispersion test, Poisson and NB GLMs against R, recovery
of the simulated truth, bad inputs, and invariants on random tables.

The R references are run on the bundled SIMULATED ``examples/cfu/blood.csv`` (R 4.x, MASS
7.3-58.2); the R script is in each test's docstring with its printed output.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2

from cxcr4lab.assays.cfu import (
    CfuResult,
    CfuSettings,
    analyse,
    colony_type,
    poisson_ci,
)
from cxcr4lab.assays.tabular import Table, read_table_bytes
from cxcr4lab.core.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "cfu"
HIGH, LOW = "balixafortide 2000 ug/kg", "balixafortide 1000 ug/kg"


def run(text: str, settings: CfuSettings | None = None, name: str = "counts.csv") -> CfuResult:
    return analyse(read_table_bytes(text.encode(), name), settings)


def example(name: str = "blood.csv", settings: CfuSettings | None = None) -> CfuResult:
    return analyse(read_table_bytes((EXAMPLES / name).read_bytes(), name), settings)


@pytest.fixture(scope="module")
def blood() -> CfuResult:
    return example()


# --- against R ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "exposure", "lower", "upper"),
    [
        (112, 1.5, 61.48030236, 89.84340219),  # D01 CFU-GM: 112 colonies on 1.5 x 10^5 MNC
        (5, 1.5, 1.082324260, 7.778888053),  # D01 CFU-GEMM
        (0, 1.0, 0.0, 3.688879454),
        (10, 1.0, 4.795389, 18.390356),
    ],
)
def test_poisson_exact_ci_against_R(
    count: int, exposure: float, lower: float, upper: float
) -> None:
    """R: ``poisson.test(112, 1.5)$conf.int`` -> 61.48030236 89.84340219 (per 10^5 MNC);
    ``poisson.test(5, 1.5)`` -> 1.082324260 7.778888053; ``poisson.test(0, 1)`` -> 0
    3.688879454; ``poisson.test(10)`` -> 4.795389 18.390356."""
    low, high = poisson_ci(count, exposure)
    assert low == pytest.approx(lower, rel=1e-6, abs=1e-12)
    assert high == pytest.approx(upper, rel=1e-6)


def test_sample_poisson_ci_in_the_result_against_R(blood: CfuResult) -> None:
    """R: ``poisson.test(5, 1.5)$conf.int`` -> 1.082324260 7.778888053 (D01 CFU-GEMM, whose
    dishes are not overdispersed: exact Poisson CI)."""
    e = blood.estimate("D01", "CFU-GEMM")
    assert (e.colonies, e.cells_plated, e.ci_method) == (5, 150_000, "poisson")
    assert e.per_1e5 == pytest.approx(5 / 1.5)
    assert (e.per_1e5_lower, e.per_1e5_upper) == pytest.approx((1.082324260, 7.778888053), 1e-8)


def test_dish_dispersion_and_dish_level_negbin_against_R(blood: CfuResult) -> None:
    """R::

    d <- read.csv("blood.csv", comment.char = "#"); gm <- subset(d, colony_type == "CFU-GM")
    fd <- glm(colonies ~ 0 + donor, family = poisson, offset = log(cells_plated), data = gm)
    c(sum(residuals(fd, type = "pearson")^2), df.residual(fd))   # 74.93891056 33
    pchisq(74.93891056, 33, lower.tail = FALSE)                   # 4.205721144e-05
    nd <- glm.nb(colonies ~ 0 + donor + offset(log(cells_plated)), data = gm)
    c(nd$theta, 1 / nd$theta)                    # 94.45478639709  0.01058707598
    1e5 * exp(confint.default(nd)["donorD01", ]) # 59.99583348 92.92497142
    """
    gm = next(d for d in blood.dispersion if d.colony_type == "CFU-GM")
    assert (gm.chi2, gm.df) == (pytest.approx(74.93891056, rel=1e-9), 33)
    assert gm.p == pytest.approx(4.205721144e-05, rel=1e-8)
    assert gm.overdispersed and gm.ci_method == "negbin"
    assert gm.alpha == pytest.approx(0.01058707598, rel=1e-5)
    e = blood.estimate("D01", "CFU-GM")
    assert e.ci_method == "negbin" and e.per_1e5 == pytest.approx(112 / 1.5)
    assert (e.per_1e5_lower, e.per_1e5_upper) == pytest.approx((59.99583348, 92.92497142), 1e-6)


def test_poisson_glm_rate_ratios_against_R(blood: CfuResult) -> None:
    """R (one row per donor: colonies and MNC plated summed over the dishes)::

    a <- aggregate(cbind(colonies, cells_plated) ~ donor + regimen, data = gm, FUN = sum)
    a$regimen <- relevel(factor(a$regimen), ref = "G-CSF")
    fp <- glm(colonies ~ regimen, family = poisson, offset = log(cells_plated), data = a)
    summary(fp)$coefficients
                                        Estimate    Std. Error        z value  Pr(>|z|)
    (Intercept)                     -7.0585781687 0.03698631472 -190.842970503  0
    regimenbalixafortide 1000 ug/kg -0.6890516117 0.05225304244  -13.186822804  1.044973074e-39
    regimenbalixafortide 2000 ug/kg -0.2479002904 0.04737521896   -5.232699624  1.670520854e-07
    exp(cbind(coef(fp), confint.default(fp)))
    regimenbalixafortide 1000 ug/kg 0.5020519836 0.4531800854088 0.5561943305524
    regimenbalixafortide 2000 ug/kg 0.7804377565 0.7112338407086 0.8563752972721
    c(deviance(fp), sum(residuals(fp, type = "pearson")^2), df.residual(fp), logLik(fp),
      AIC(fp))   # 283.4049120  290.6102336  15  -202.1885259  410.3770519

    R's SEs come from the weights of its last IRLS step (default ``epsilon = 1e-8``); converged
    further (``control = glm.control(epsilon = 1e-14, maxit = 100)``, 5 iterations) the same
    estimates have::

        regimenbalixafortide 1000 ug/kg -0.6890516117 0.05225310399 -13.18680727 1.045188327e-39
        regimenbalixafortide 2000 ug/kg -0.2479002904 0.04737523874  -5.23269744 1.670540604e-07
    """
    low = blood.ratio("CFU-GM", LOW, "poisson")
    high = blood.ratio("CFU-GM", HIGH, "poisson")
    assert low.log_ratio == pytest.approx(-0.6890516117, rel=1e-7)
    assert low.se == pytest.approx(0.05225304244, rel=1e-5)  # R's default convergence
    assert low.se == pytest.approx(0.05225310399, rel=1e-7)  # R converged further
    assert low.z == pytest.approx(-13.18680727, rel=1e-7)
    assert low.p == pytest.approx(1.045188327e-39, rel=1e-5)
    assert (low.ratio, low.lower, low.upper) == pytest.approx(
        (0.5020519836, 0.4531800854088, 0.5561943305524), rel=1e-6
    )
    assert high.se == pytest.approx(0.04737523874, rel=1e-7)
    assert high.p == pytest.approx(1.670540604e-07, rel=1e-5)
    assert (high.ratio, high.lower, high.upper) == pytest.approx(
        (0.7804377565, 0.7112338407086, 0.8563752972721), rel=1e-6
    )
    fit = next(f for f in blood.fits if f.colony_type == "CFU-GM" and f.model == "poisson")
    assert (fit.deviance, fit.pearson_chi2) == pytest.approx((283.4049120, 290.6102336), 1e-8)
    assert fit.df_resid == 15 and not fit.chosen
    assert (fit.loglik, fit.aic) == pytest.approx((-202.1885259, 410.3770519), 1e-8)
    rate = next(
        r
        for r in blood.regimen_rates
        if r.colony_type == "CFU-GM" and r.regimen == "G-CSF" and r.model == "poisson"
    )
    assert rate.per_1e5 == pytest.approx(1e5 * math.exp(-7.0585781687), rel=1e-7)


def test_negative_binomial_glm_rate_ratios_against_R(blood: CfuResult) -> None:
    """R::

    fn <- glm.nb(colonies ~ regimen + offset(log(cells_plated)), data = a)
    summary(fn)$coefficients
                                       Estimate   Std. Error       z value  Pr(>|z|)
    (Intercept)                     -7.0117089669 0.1436655171 -48.805789358 0
    regimenbalixafortide 1000 ug/kg -0.7652855855 0.2034186808  -3.762120483 0.0001684788472
    regimenbalixafortide 2000 ug/kg -0.3019068398 0.2021101081  -1.493774075 0.1352346797709
    exp(cbind(coef(fn), confint.default(fn)))
    regimenbalixafortide 1000 ug/kg 0.465201057336 0.3122413371954 0.693092162909
    regimenbalixafortide 2000 ug/kg 0.739406944972 0.4975618678498 1.098803315930
    c(fn$theta, fn$SE.theta, 1 / fn$theta, logLik(fn), AIC(fn), deviance(fn))
    # 8.6325570293 3.0438473067 0.1158405321 -95.0654867480 198.1309734960 18.5035510830
    """
    low, high = blood.ratio("CFU-GM", LOW), blood.ratio("CFU-GM", HIGH)
    assert low.model == high.model == "negbin" and low.chosen  # Poisson overdispersed
    assert low.log_ratio == pytest.approx(-0.7652855855, rel=1e-5)
    assert low.se == pytest.approx(0.2034186808, rel=1e-5)
    assert low.p == pytest.approx(0.0001684788472, rel=1e-4)
    assert (low.ratio, low.lower, low.upper) == pytest.approx(
        (0.465201057336, 0.3122413371954, 0.693092162909), rel=1e-5
    )
    assert high.se == pytest.approx(0.2021101081, rel=1e-5)
    assert high.p == pytest.approx(0.1352346797709, rel=1e-4)
    assert (high.ratio, high.lower, high.upper) == pytest.approx(
        (0.739406944972, 0.4975618678498, 1.098803315930), rel=1e-5
    )
    fit = next(f for f in blood.fits if f.colony_type == "CFU-GM" and f.model == "negbin")
    assert fit.alpha is not None and fit.alpha_se is not None
    assert 1 / fit.alpha == pytest.approx(8.6325570293, rel=1e-5)
    # SE(alpha) = SE(theta) / theta^2 by the delta method (R reports theta's SE)
    assert fit.alpha_se == pytest.approx(3.0438473067 / 8.6325570293**2, rel=1e-3)
    assert (fit.loglik, fit.aic) == pytest.approx((-95.0654867480, 198.1309734960), rel=1e-7)
    assert fit.deviance == pytest.approx(18.5035510830, rel=1e-5)


def test_poisson_dispersion_p_is_the_pearson_chi_square_tail(blood: CfuResult) -> None:
    fit = next(f for f in blood.fits if f.colony_type == "CFU-GM" and f.model == "poisson")
    assert fit.dispersion_p == pytest.approx(chi2.sf(290.6102336, 15), rel=1e-6)


# --- the bundled example (SIMULATED: scripts/simulate_cfu.py) -----------------------------------


def test_the_total_is_the_sum_of_the_types_and_per_ml_scales_the_rate(blood: CfuResult) -> None:
    assert blood.total_source == "sum of types"
    assert blood.colony_types == ("BFU-E", "CFU-GM", "CFU-GEMM", "total")
    frame = pd.read_csv(EXAMPLES / "blood.csv", comment="#")
    for donor, rows in frame.groupby("donor"):
        by_type = {t: blood.estimate(str(donor), t) for t in blood.colony_types}
        assert by_type["total"].colonies == int(rows["colonies"].sum())
        assert by_type["total"].colonies == sum(by_type[t].colonies for t in blood.colony_types[:3])
        mnc = float(rows["mnc_per_ml"].iloc[0])
        for e in by_type.values():
            assert e.per_ml == pytest.approx(e.per_1e5 / 1e5 * mnc)
            assert e.per_ml_lower == pytest.approx(e.per_1e5_lower / 1e5 * mnc)
            assert e.per_kg is None


def test_the_reference_defaults_to_g_csf_and_the_dishes_are_counted(blood: CfuResult) -> None:
    assert blood.reference == "G-CSF"
    assert blood.regimens == ("G-CSF", LOW, HIGH)
    assert blood.estimate("D06", "BFU-E").dishes == 2
    assert blood.estimate("D01", "BFU-E").dishes == 3
    assert len(blood.samples) == 18 * 4


def truth_ratios() -> dict[tuple[str, str], float]:
    """(type, regimen) -> the true rate ratio vs G-CSF, from the truth table of the README."""
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| ([^|]+?) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|", text, re.M
    )
    rates = {r: tuple(map(float, v)) for r, *v in rows}
    out = {}
    for regimen in (LOW, HIGH):
        for k, t in enumerate(("BFU-E", "CFU-GM", "CFU-GEMM", "total")):
            out[(t, regimen)] = rates[regimen][k] / rates["G-CSF"][k]
    return out


def test_the_reported_rate_ratios_cover_the_simulated_truth(blood: CfuResult) -> None:
    truth = truth_ratios()
    assert truth[("CFU-GM", HIGH)] == pytest.approx(60 / 90)
    for (t, regimen), true in truth.items():
        r = blood.ratio(t, regimen)
        assert r.chosen and r.model == "negbin", (t, regimen)  # donors overdisperse Poisson
        assert r.lower < true < r.upper, (t, regimen, r.ratio, true)
        assert r.ratio < 1  # balixafortide: fewer progenitors per MNC than G-CSF


def test_apheresis_colonies_per_kg_and_a_given_total() -> None:
    result = example("apheresis.csv")
    assert result.total_source == "given"
    frame = pd.read_csv(EXAMPLES / "apheresis.csv", comment="#")
    a01 = frame[(frame["product"] == "A01") & (frame["type"] == "CFU-GM")]
    colonies, cells = a01["colonies"].sum(), a01["mnc_plated"].sum()
    per_kg = colonies / cells * a01["total_mnc"].iloc[0] / a01["weight_kg"].iloc[0]
    e = result.estimate("A01", "CFU-GM")
    assert e.per_kg == pytest.approx(per_kg)
    assert e.per_kg_lower is not None and e.per_kg_upper is not None
    assert e.per_kg_lower < e.per_kg < e.per_kg_upper and e.per_ml is None
    total = frame[(frame["product"] == "A01") & (frame["type"] == "total")]["colonies"].sum()
    typed = frame[(frame["product"] == "A01") & (frame["type"] != "total")]["colonies"].sum()
    assert result.estimate("A01", "total").colonies == total >= typed


def test_dishes_beyond_poisson_get_negative_binomial_cis_only_when_allowed() -> None:
    poisson = example(settings=CfuSettings(model="poisson"))
    assert all(s.ci_method == "poisson" for s in poisson.samples)
    assert all(r.model == "poisson" for r in poisson.ratios if r.chosen)
    forced = example(settings=CfuSettings(model="negbin"))
    assert {d.ci_method for d in forced.dispersion} == {"negbin"}
    assert all(r.model == "negbin" for r in forced.ratios if r.chosen)


def test_json_round_trip(blood: CfuResult) -> None:
    back = CfuResult.from_dict(json.loads(json.dumps(blood.to_dict(), allow_nan=False)))
    assert back == blood
    assert set(blood.summary()["ci_method"]) == {
        "Poisson exact (Garwood)",
        "negative binomial (Wald, log)",
    }
    assert len(blood.comparison()) == 4 * 2 * 2


def test_a_named_reference_and_an_unknown_one() -> None:
    result = example(settings=CfuSettings(reference="Balixafortide 1000 UG/KG"))
    assert result.reference == LOW and result.regimens[0] == LOW
    with pytest.raises(InputError, match="not a regimen") as err:
        example(settings=CfuSettings(reference="plerixafor"))
    assert err.value.place.field == "reference"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BFU-E", "BFU-E"),
        ("bfu_e", "BFU-E"),
        ("BFU-E/CFU-E", "BFU-E"),
        ("CFU-GM", "CFU-GM"),
        ("cfu gm", "CFU-GM"),
        ("CFU-GEMM", "CFU-GEMM"),
        ("CFU-Mix", "CFU-GEMM"),
        ("GEMM", "CFU-GEMM"),
        ("Total", "total"),
        ("total CFC", "total"),
        ("CFU-E", None),
        ("blast", None),
    ],
)
def test_colony_type_spellings(text: str, expected: str | None) -> None:
    assert colony_type(text) == expected


# --- bad input: one InputError naming the place -------------------------------------------------

HEAD = "sample,regimen,colony_type,dish,colonies,cells_plated\n"
GOOD = (
    "S1,G-CSF,BFU-E,1,30,50000\nS1,G-CSF,CFU-GM,1,40,50000\n"
    "S1,G-CSF,BFU-E,2,28,50000\nS1,G-CSF,CFU-GM,2,45,50000\n"
)


def test_a_small_good_table_runs() -> None:
    result = run(HEAD + GOOD)
    assert result.estimate("S1", "total").colonies == 143
    assert result.notes == ("one regimen only: no comparison between regimens",)


@pytest.mark.parametrize(
    ("rows", "row", "column", "words"),
    [
        ("S1,G-CSF,BFU-E,3,60001,60000\n", 6, "colonies", "more than the 60000 cells"),
        ("S1,G-CSF,BFU-E,3,-1,50000\n", 6, "colonies", ">= 0"),
        ("S1,G-CSF,BFU-E,3,2.5,50000\n", 6, "colonies", "not a whole number"),
        ("S1,G-CSF,BFU-E,3,lots,50000\n", 6, "colonies", "not a number"),
        ("S1,G-CSF,BFU-E,3,,50000\n", 6, "colonies", "missing"),
        ("S1,G-CSF,BFU-E,3,NaN,50000\n", 6, "colonies", "NaN"),
        ("S1,G-CSF,BFU-E,3,5,0\n", 6, "cells_plated", "> 0"),
        ("S1,G-CSF,BFU-E,3,5,-100\n", 6, "cells_plated", "> 0"),
        ("S1,G-CSF,BFU-E,3,5,nan\n", 6, "cells_plated", "NaN"),
        ("S1,G-CSF,CFU-E,3,5,50000\n", 6, "colony_type", "count it within BFU-E"),
        ("S1,G-CSF,megakaryocyte,3,5,50000\n", 6, "colony_type", "unknown colony type"),
        ("S1,G-CSF,bfu-e,2,5,50000\n", 6, None, "duplicate"),
        ("S1,G-CSF,BFU-E,3,5,50000\n", 6, "colony_type", "no CFU-GM row"),
    ],
)
def test_bad_rows_are_refused_naming_the_place(
    rows: str, row: int, column: str | None, words: str
) -> None:
    with pytest.raises(InputError, match=re.escape(words)) as err:
        run(HEAD + GOOD + rows)
    assert err.value.place.file == "counts.csv"
    assert err.value.place.row == row
    assert err.value.place.column == column


def test_more_colonies_on_a_dish_than_cells_plated() -> None:
    text = HEAD + "S1,G-CSF,BFU-E,1,60,100\nS1,G-CSF,CFU-GM,1,50,100\n"
    with pytest.raises(InputError, match="110 colonies in all, more than the 100") as err:
        run(text)
    assert (err.value.place.row, err.value.place.column) == (3, "colonies")


def test_two_cell_numbers_on_one_dish_and_a_total_below_the_types() -> None:
    with pytest.raises(InputError, match="cells plated here") as err:
        run(HEAD + "S1,G-CSF,BFU-E,1,6,1000\nS1,G-CSF,CFU-GM,1,5,2000\n")
    assert (err.value.place.row, err.value.place.column) == (3, "cells_plated")
    with pytest.raises(InputError, match="less than the 11 colonies") as err:
        run(HEAD + "S1,G-CSF,BFU-E,1,6,1000\nS1,G-CSF,CFU-GM,1,5,1000\nS1,G-CSF,total,1,9,1000\n")
    assert err.value.place.row == 4


def test_totals_given_for_some_samples_are_summed_for_the_others() -> None:
    text = (
        HEAD
        + GOOD
        + ("S2,G-CSF,BFU-E,1,10,50000\nS2,G-CSF,CFU-GM,1,20,50000\nS2,G-CSF,total,1,33,50000\n")
    )
    result = run(text)
    assert result.total_source == "given and summed"
    assert result.estimate("S1", "total").colonies == 143  # summed
    assert result.estimate("S2", "total").colonies == 33  # given (3 unclassified)
    with pytest.raises(InputError, match="a total for some dishes only") as err:
        run(HEAD + GOOD + "S1,G-CSF,total,1,80,50000\n")
    assert err.value.place.row == 6


def test_per_sample_columns_must_agree_and_come_in_pairs() -> None:
    head = HEAD.strip() + ",mnc_per_ml\n"
    with pytest.raises(InputError, match="one value per sample") as err:
        run(head + "S1,G-CSF,BFU-E,1,6,1000,5e6\nS1,G-CSF,BFU-E,2,5,1000,4e6\n")
    assert (err.value.place.row, err.value.place.column) == (3, "mnc_per_ml")
    with pytest.raises(InputError, match="needs body_weight_kg"):
        run(HEAD.strip() + ",total_mnc\nS1,G-CSF,BFU-E,1,6,1000,5e10\n")


def test_empty_tables_and_missing_columns() -> None:
    with pytest.raises(InputError, match="empty"):
        run("")
    with pytest.raises(InputError, match="no data rows"):
        run(HEAD)
    with pytest.raises(InputError, match="no cells \\(MNC\\) plated per dish column") as err:
        run("sample,regimen,colony_type,dish,colonies\nS1,G-CSF,BFU-E,1,5\n")
    assert err.value.place.file == "counts.csv"
    empty = Table("x.csv", pd.DataFrame(columns=HEAD.strip().split(",")), 2)
    with pytest.raises(InputError, match="the table has no data rows"):
        analyse(empty)


def test_bad_settings() -> None:
    with pytest.raises(InputError) as err:
        CfuSettings(conf_level=1.2)
    assert err.value.place.field == "conf_level"


# --- invariants on random tables ----------------------------------------------------------------

_SPELL = {"BFU-E": ("BFU-E", "bfu_e", "BFUE"), "CFU-GM": ("CFU-GM", "cfu gm", "GM"),
          "CFU-GEMM": ("CFU-GEMM", "CFU-Mix", "gemm")}  # fmt: skip


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, dict[tuple[str, str], int], dict[tuple[str, str], float]]:
    """A random valid table (types spelled in several ways), the colonies and MNC it holds per
    (sample, type)."""
    types = draw(st.lists(st.sampled_from(sorted(_SPELL)), min_size=1, max_size=3, unique=True))
    n_samples = draw(st.integers(1, 4))
    regimens = draw(st.sampled_from([("G-CSF",), ("G-CSF", "BLX 2000 ug/kg")]))
    out = io.StringIO()
    out.write("donor,Regimen,Colony Type,replicate,count,MNC plated\n")
    colonies: dict[tuple[str, str], int] = {}
    cells: dict[tuple[str, str], float] = {}
    for i in range(n_samples):
        sample, regimen = f"S{i}", regimens[i % len(regimens)]
        for dish in range(1, draw(st.integers(1, 3)) + 1):
            plated = draw(st.sampled_from([1e3, 2e4, 5e4, 1e5]))
            for t in types:
                c = draw(st.integers(0, 60))
                spelling = draw(st.sampled_from(_SPELL[t]))
                out.write(f"{sample},{regimen},{spelling},{dish},{c},{plated:g}\n")
                colonies[(sample, t)] = colonies.get((sample, t), 0) + c
                if t == types[0]:
                    cells[sample, "any"] = cells.get((sample, "any"), 0.0) + plated
    return out.getvalue(), colonies, cells


@settings(max_examples=40, deadline=None)
@given(tables())
def test_random_tables_keep_every_colony_and_bracket_every_rate(
    drawn: tuple[str, dict[tuple[str, str], int], dict[tuple[str, str], float]],
) -> None:
    text, colonies, cells = drawn
    result = run(text, CfuSettings(model="poisson"))
    typed = [t for t in result.colony_types if t != "total"]
    assert {(e.sample, e.colony_type) for e in result.samples if e.colony_type != "total"} == set(
        colonies
    )
    for e in result.samples:
        plated = cells[(e.sample, "any")]
        assert e.cells_plated == pytest.approx(plated)
        if e.colony_type == "total":
            expected = sum(colonies[(e.sample, t)] for t in typed)
        else:
            expected = colonies[(e.sample, e.colony_type)]
        assert e.colonies == expected
        assert e.per_1e5 == pytest.approx(1e5 * expected / plated)
        assert e.per_1e5_lower <= e.per_1e5 <= e.per_1e5_upper
        # Garwood from the chi-square quantiles, independently of statsmodels
        low = 0.0 if expected == 0 else chi2.ppf(0.025, 2 * expected) / 2
        assert e.per_1e5_lower == pytest.approx(1e5 * low / plated, rel=1e-9, abs=1e-12)
        upper = chi2.ppf(0.975, 2 * expected + 2) / 2
        assert e.per_1e5_upper == pytest.approx(1e5 * upper / plated, rel=1e-9)
    for r in result.ratios:
        assert r.lower <= r.ratio <= r.upper and 0 <= r.p <= 1
    assert np.isfinite([f.deviance for f in result.fits]).all()


def test_the_docs_page_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    root = EXAMPLES.parents[3]
    page = (root / "docs" / "assays" / "cfu.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    monkeypatch.chdir(root)
    scope: dict[str, object] = {}
    exec(compile(code, "docs/assays/cfu.md", "exec"), scope)
    result = scope["result"]
    assert isinstance(result, CfuResult)
    assert result.ratio("CFU-GM", HIGH).ratio == pytest.approx(0.739, abs=5e-4)
    assert "0.739 (0.498-1.099)" in page and "74.7 (60.0-92.9)" in page
