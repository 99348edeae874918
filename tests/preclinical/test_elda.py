"""ELDA against R statmod 1.5.0 (``elda``/``limdil``, Hu & Smyth 2009), to the digits R prints.

Each test pastes the R call and its printed output. ``close(ours, "printed")`` passes when our
value rounds to R's printed digits, i.e. is within half a unit of the last printed digit; where
a test allows more (``rel=``), it says why: statmod's ``eldaOneGroup`` is a Newton iteration on
the rate that stops once a step is below 1e-8 (1e-6 for the all-positive bound), so its last
printed digit can differ from the exact maximum-likelihood value by ~1e-8 (bound: ~1e-6)
relative; those values are also checked against the exact root of the score equation (scipy).
statmod's slope fit is R's ``glm`` with its default convergence (deviance change < 1e-8), so the
slope agrees to its printed digits only where that fit had converged; the Wald figures are
also checked against the same ``glm`` with ``control=glm.control(epsilon=1e-15)`` (pasted), which
gives ours to 1e-8.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from scipy.optimize import brentq

from cxcr4lab.assays.tabular import read_table_bytes
from cxcr4lab.core.errors import InputError
from cxcr4lab.preclinical.elda import DilutionRow, EldaSettings, elda
from cxcr4lab.preclinical.elda import read_dilutions as read_frame
from cxcr4lab.runs import KINDS, example_inputs


def read_dilutions(content: bytes, name: str) -> tuple[DilutionRow, ...]:
    table = read_table_bytes(content, name)
    return read_frame(table.frame, name, row_base=table.row_base)


def rows(dose, positive, tested, group=None):  # type: ignore[no-untyped-def]
    group = group or [1] * len(dose)
    return [
        DilutionRow(str(g), float(d), int(t), int(r))
        for d, r, t, g in zip(dose, positive, tested, group, strict=True)
    ]


def close(ours: float, printed: str, *, rel: float = 0.0) -> None:
    """``ours`` rounds to R's ``printed`` digits (half a unit of its last digit), or within
    ``rel`` of it."""
    if printed == "Inf":
        assert math.isinf(ours)
        return
    exponent = Decimal(printed).as_tuple().exponent
    assert isinstance(exponent, int)
    half = 0.5 * 10.0**exponent
    value = float(printed)
    assert abs(ours - value) <= max(half, rel * abs(value)) * (1 + 1e-12), (ours, printed)


def mle_one_in(dose, positive, tested) -> float:  # type: ignore[no-untyped-def]
    """1/f at the exact root of the single-hit score equation (independent of the GLM)."""
    d, r, t = (np.asarray(v, dtype=float) for v in (dose, positive, tested))

    def score(rate: float) -> float:
        return float(np.sum(r * d * np.exp(-rate * d) / -np.expm1(-rate * d) - (t - r) * d))

    return 1.0 / brentq(score, 1e-12, 1.0, xtol=1e-30, rtol=1e-15)


# > library(statmod)   # statmod 1.5.0, R 4.x
# > Dose <- c(50,100,200,400,800)
# > Responses <- c(2,6,9,15,21)
# > Tested <- c(24,24,24,24,24)
# > out <- elda(Responses,Dose,Tested,test.unit.slope=TRUE)
# > out
# Confidence intervals for frequency:
#
#            Lower Estimate    Upper
# Group 1 537.7392 403.0632 302.1166
#
# Goodness of fit (test log-Dose slope equals 1):
#                       Estimate Std. Error z value Pr(>|z|)
# Wald test               1.0464     0.1804 0.25704   0.7971
# LR test                     NA         NA 0.25826   0.7962
# Score test: log(Dose)       NA         NA 0.25554   0.7983
# Score test: Dose            NA         NA 0.22552   0.8216
# > g <- glm(cbind(Responses, Tested-Responses) ~ offset(log(Dose)),
# +          family=binomial(link="cloglog"))
# > c(deviance(g), df.residual(g), pchisq(deviance(g), df.residual(g), lower.tail=FALSE))
# [1] 0.468690434392813 4.000000000000000 0.976476517844282
EX1 = ([50, 100, 200, 400, 800], [2, 6, 9, 15, 21], [24] * 5)


def test_one_group_example_against_R() -> None:
    r = elda(rows(*EX1))
    (g,) = r.groups
    for ours, printed in ((g.lower, "537.7392"), (g.estimate, "403.0632"), (g.upper, "302.1166")):
        close(ours, printed)
    s = r.slope
    assert s is not None and r.difference is None
    close(s.slope, "1.0464")
    close(s.slope_se, "0.1804")
    close(s.wald_z, "0.25704")
    close(s.wald_p, "0.7971")
    close(s.lr_z, "0.25826")
    close(s.lr_p, "0.7962")
    close(s.score_logdose_z, "0.25554")
    close(s.score_logdose_p, "0.7983")
    close(s.score_dose_z, "0.22552")
    close(s.score_dose_p, "0.8216")
    assert r.deviance is not None and r.deviance.df == 4
    close(r.deviance.chisq, "0.468690434392813", rel=1e-9)
    close(r.deviance.p, "0.976476517844282", rel=1e-9)


# > out <- elda(Responses,Dose,Tested,observed=TRUE,test.unit.slope=TRUE); out
# Confidence intervals for frequency:
#
#            Lower Estimate    Upper
# Group 1 538.2394 403.5634 302.6168
# (goodness of fit as above)
def test_observed_cell_numbers_against_R() -> None:
    (g,) = elda(rows(*EX1), EldaSettings(observed=True)).groups
    for ours, printed in ((g.lower, "538.2394"), (g.estimate, "403.5634"), (g.upper, "302.6168")):
        close(ours, printed)


# > Dose <- c(30000,20000,4000,500,30000,20000,4000,500,30000,20000,4000,500,30000,20000,4000,500)
# > Responses <- c(2,3,2,1,6,5,6,1,2,3,4,2,6,6,6,1)
# > Tested <- c(6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6)
# > Group <- c(1,1,1,1,2,2,2,2,3,3,3,3,4,4,4,4)
# > elda(Responses,Dose,Tested,Group,test.unit.slope=TRUE)
# Confidence intervals for frequency:
#
#            Lower  Estimate     Upper
# Group 1 67165.44 31863.532 15116.177
# Group 2 10251.72  4508.941  1983.135
# Group 3 44524.68 22490.226 11360.221
# Group 4  3371.15  1369.054   555.985
#
# Differences between groups:
# Chisq 41.13922 on 3 DF, p-value: 6.109e-09
#
# Goodness of fit (test log-Dose slope equals 1):
#                       Estimate Std. Error z value  Pr(>|z|)
# Wald test               0.4198    0.11104 -5.2254 1.738e-07 ***
# LR test                     NA         NA -4.3044 1.674e-05 ***
# Score test: log(Dose)       NA         NA -5.7179 1.079e-08 ***
# Score test: Dose            NA         NA -6.5719 4.968e-11 ***
# > g <- glm(cbind(Responses, Tested-Responses) ~ factor(Group) + offset(log(Dose)),
# +          family=binomial(link="cloglog"))
# > c(deviance(g), df.residual(g), pchisq(deviance(g), df.residual(g), lower.tail=FALSE))
# [1] 3.81930970050580e+01 1.20000000000000e+01 1.42786833569877e-04
EX2 = (
    [30000, 20000, 4000, 500] * 4,
    [2, 3, 2, 1, 6, 5, 6, 1, 2, 3, 4, 2, 6, 6, 6, 1],
    [6] * 16,
    [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4,
)
EX2_CI = {
    "1": ("67165.44", "31863.532", "15116.177"),
    "2": ("10251.72", "4508.941", "1983.135"),
    "3": ("44524.68", "22490.226", "11360.221"),
    "4": ("3371.15", "1369.054", "555.985"),
}


# > for (a in 1:3) for (b in (a+1):4) { i <- Group %in% c(a,b)
# +   out <- elda(Responses[i],Dose[i],Tested[i],Group[i]); cat(a, b, "")
# +   cat("Chisq", out$test.difference[1], "on", out$test.difference[3], "DF, p-value:",
# +       format.pval(out$test.difference[2], 4), "\n") }
# 1 2 Chisq 16.69911 on 1 DF, p-value: 4.38e-05
# 1 3 Chisq 0.5490186 on 1 DF, p-value: 0.4587
# 1 4 Chisq 28.71095 on 1 DF, p-value: 8.403e-08
# 2 3 Chisq 12.38758 on 1 DF, p-value: 0.0004322
# 2 4 Chisq 3.824949 on 1 DF, p-value: 0.05049
# 3 4 Chisq 23.84863 on 1 DF, p-value: 1.042e-06
EX2_PAIRS = {
    ("1", "2"): ("16.69911", "4.38e-05"),
    ("1", "3"): ("0.5490186", "0.4587"),
    ("1", "4"): ("28.71095", "8.403e-08"),
    ("2", "3"): ("12.38758", "0.0004322"),
    ("2", "4"): ("3.824949", "0.05049"),
    ("3", "4"): ("23.84863", "1.042e-06"),
}


def test_four_group_example_against_R() -> None:
    r = elda(rows(*EX2))
    for name, (lo, est, hi) in EX2_CI.items():
        g = r.group(name)
        # statmod's Newton stops ~2e-8 short of the MLE (group 1: 31863.5317 vs 31863.5310)
        close(g.lower, lo, rel=1e-7)
        close(g.estimate, est, rel=1e-7)
        close(g.upper, hi, rel=1e-7)
        members = [k for k, grp in enumerate(EX2[3]) if str(grp) == name]
        exact = mle_one_in(*([EX2[j][k] for k in members] for j in range(3)))
        assert g.estimate == pytest.approx(exact, rel=1e-11)
    d = r.difference
    assert d is not None and d.df == 3
    assert {(t.group_a, t.group_b) for t in r.pairwise} == set(EX2_PAIRS)
    for t in r.pairwise:
        chisq, p = EX2_PAIRS[(t.group_a, t.group_b)]
        assert t.df == 1
        close(t.chisq, chisq)
        close(t.p, p)
    close(d.chisq, "41.13922")
    close(d.p, "6.109e-09")
    s = r.slope
    assert s is not None
    close(s.slope, "0.4198")
    close(s.slope_se, "0.11104")
    # statmod's glm stopped at its default epsilon (1e-8): printed -5.2254, converged -5.225342
    close(s.wald_z, "-5.2254", rel=2e-5)
    close(s.wald_p, "1.738e-07")
    # > f <- glm(y ~ factor(Group) + log(Dose), family=binomial(link="cloglog"),
    # +          weights=Tested, control=glm.control(epsilon=1e-15, maxit=100))
    # > co <- summary(f)$coef; n <- nrow(co)
    # > print(c(co[n,1], co[n,2], (co[n,1]-1)/co[n,2], 2*pnorm(-abs((co[n,1]-1)/co[n,2]))), digits=15)
    # [1]  4.19800780432723e-01  1.11035647511067e-01 -5.22534188409582e+00
    # [4]  1.73833613489693e-07
    assert (s.slope, s.slope_se, s.wald_z, s.wald_p) == pytest.approx(
        (4.19800780432723e-01, 1.11035647511067e-01, -5.22534188409582, 1.73833613489693e-07),
        rel=1e-8,
    )
    close(s.lr_z, "-4.3044")
    close(s.lr_p, "1.674e-05")
    close(s.score_logdose_z, "-5.7179")
    close(s.score_logdose_p, "1.079e-08")
    close(s.score_dose_z, "-6.5719")
    close(s.score_dose_p, "4.968e-11")
    assert r.deviance is not None and r.deviance.df == 12
    # R's glm at its default epsilon (deviance change < 1e-8): agreement to ~1e-8 relative
    close(r.deviance.chisq, "38.1930970050580", rel=1e-7)
    close(r.deviance.p, "1.42786833569877e-04", rel=1e-7)


# > Dose <- c(1e4,1e5,1e6, 1e4,1e5,1e6, 1e4,1e5,1e6)
# > Responses <- c(0,0,0, 1,3,5, 5,5,5)
# > Tested <- c(5,5,5, 5,5,5, 5,5,5)
# > Group <- c("A","A","A","B","B","B","C","C","C")
# > out <- elda(Responses,Dose,Tested,Group,test.unit.slope=TRUE); out
# Confidence intervals for frequency:
#
#             Lower Estimate      Upper
# Group A       Inf      Inf 1852635.51
# Group B 261203.01  92043.1   32434.29
# Group C  12541.87      1.0       1.00
#
# Differences between groups:
# Chisq 86.95939 on 2 DF, p-value: < 2.2e-16
#
# Goodness of fit (test log-Dose slope equals 1):
#                       Estimate Std. Error  z value Pr(>|z|)
# Wald test               0.7185    0.34459 -0.81703   0.4139
# LR test                     NA         NA -0.63215   0.5273
# Score test: log(Dose)       NA         NA -0.75854   0.4481
# Score test: Dose            NA         NA -0.39694   0.6914
# > print(out$test.difference, digits=15)
#                Chisq              P.value                   df
# 8.69593865403771e+01 1.30920946954779e-19 2.00000000000000e+00
# > out <- elda(Responses,Dose,Tested,Group,confidence=0.9); out
#             Lower Estimate      Upper
# Group A       Inf      Inf 2410334.37
# Group B 220876.68  92043.1   38355.94
# Group C  10030.86      1.0       1.00
EXTREME = ([1e4, 1e5, 1e6] * 3, [0, 0, 0, 1, 3, 5, 5, 5, 5], [5] * 9, list("AAABBBCCC"))


# > for (p in list(c("A","B"), c("A","C"), c("B","C"))) { i <- Group %in% p
# +   out <- elda(Responses[i],Dose[i],Tested[i],Group[i]); cat(p, "")
# +   cat("Chisq", out$test.difference[1], "on", out$test.difference[3], "DF, p-value:",
# +       format.pval(out$test.difference[2], 4), "\n") }
# A B Chisq 27.15013 on 1 DF, p-value: 1.883e-07
# A C Chisq 79.95158 on 1 DF, p-value: < 2.2e-16
# B C Chisq 19.12797 on 1 DF, p-value: 1.222e-05
def test_all_negative_and_all_positive_groups_against_R() -> None:
    r = elda(rows(*EXTREME))
    a, b, c = r.group("A"), r.group("B"), r.group("C")
    assert (a.extreme, b.extreme, c.extreme) == ("all_negative", "", "all_positive")
    close(a.lower, "Inf")
    close(a.estimate, "Inf")
    close(a.upper, "1852635.51")
    assert a.frequency == 0.0
    close(b.lower, "261203.01")
    close(b.estimate, "92043.1")
    close(b.upper, "32434.29")
    # statmod's all-positive bound: Newton stopped at a step < 1e-6 on the rate (~2e-7 relative)
    close(c.lower, "12541.87", rel=1e-6)
    close(c.estimate, "1.0")
    close(c.upper, "1.00")
    d = r.difference
    assert d is not None and d.df == 2
    pairs = {(t.group_a, t.group_b): t for t in r.pairwise}
    close(pairs["A", "B"].chisq, "27.15013")
    close(pairs["A", "B"].p, "1.883e-07")
    close(pairs["A", "C"].chisq, "79.95158")
    assert pairs["A", "C"].p < 2.2e-16
    close(pairs["B", "C"].chisq, "19.12797")
    close(pairs["B", "C"].p, "1.222e-05")
    close(d.chisq, "86.95939")
    close(d.p, "1.30920946954779e-19", rel=1e-9)
    s = r.slope
    assert s is not None
    close(s.slope, "0.7185")
    close(s.slope_se, "0.34459")
    close(s.wald_z, "-0.81703")
    close(s.wald_p, "0.4139")
    close(s.lr_z, "-0.63215")
    close(s.lr_p, "0.5273")
    close(s.score_logdose_z, "-0.75854")
    close(s.score_logdose_p, "0.4481")
    close(s.score_dose_z, "-0.39694")
    close(s.score_dose_p, "0.6914")
    r90 = elda(rows(*EXTREME), EldaSettings(confidence=0.9))
    close(r90.group("A").upper, "2410334.37")
    close(r90.group("B").lower, "220876.68")
    close(r90.group("B").upper, "38355.94")
    close(r90.group("C").lower, "10030.86", rel=1e-6)


# > out <- elda(c(0,0,0), c(1e4,1e5,1e6), c(4,4,4), test.unit.slope=TRUE); out
#         Lower Estimate   Upper
# Group 1   Inf      Inf 1482108
# Goodness of fit (test log-Dose slope equals 1):
#                       Estimate Std. Error z value Pr(>|z|)
# Wald test                   NA         NA      NA        1
# (all four NA, p 1)
def test_every_recipient_negative_against_R() -> None:
    r = elda(rows([1e4, 1e5, 1e6], [0, 0, 0], [4, 4, 4]))
    (g,) = r.groups
    close(g.estimate, "Inf")
    close(g.upper, "1482108")
    assert r.slope is None  # statmod: NA, p = 1


# > d <- read.csv("src/cxcr4lab/examples/elda/dilutions.csv", comment.char="#")
# > out <- elda(d$positive, as.numeric(d$dose), d$tested, d$group, test.unit.slope=TRUE); out
# Confidence intervals for frequency:
#
#                        Lower Estimate     Upper
# Group balixafortide 173935.4 100296.8  57834.42
# Group G-CSF         431146.8 237848.2 131212.34
#
# Differences between groups:
# Chisq 4.337172 on 1 DF, p-value: 0.03729
#
# Goodness of fit (test log-Dose slope equals 1):
#                       Estimate Std. Error z value Pr(>|z|)
# Wald test                1.261    0.29485 0.88519   0.3761
# LR test                     NA         NA 0.94678   0.3438
# Score test: log(Dose)       NA         NA 0.90052   0.3678
# Score test: Dose            NA         NA 0.47393   0.6356
def test_bundled_example_against_R() -> None:
    example = KINDS["elda"].examples[0]
    name, content = example_inputs(example)["dilutions"]
    r = elda(read_dilutions(content, name), source=name)
    bali, gcsf = r.group("balixafortide"), r.group("G-CSF")
    for ours, printed in (
        (bali.lower, "173935.4"),
        (bali.estimate, "100296.8"),
        (bali.upper, "57834.42"),
        (gcsf.lower, "431146.8"),
        (gcsf.estimate, "237848.2"),
        (gcsf.upper, "131212.34"),
    ):
        close(ours, printed)
    assert r.difference is not None
    close(r.difference.chisq, "4.337172")
    close(r.difference.p, "0.03729")
    s = r.slope
    assert s is not None
    close(s.slope, "1.261")
    close(s.slope_se, "0.29485")
    # statmod's glm stopped at its default epsilon (1e-8): printed 0.88519, converged 0.885179
    close(s.wald_z, "0.88519", rel=2e-5)
    # > y <- d$positive / d$tested
    # > f <- glm(y ~ factor(d$group) + log(as.numeric(d$dose)), family=binomial(link="cloglog"),
    # +          weights=d$tested, control=glm.control(epsilon=1e-15, maxit=100))
    # > co <- summary(f)$coef; n <- nrow(co); print(c(co[n,1], co[n,2], (co[n,1]-1)/co[n,2]), digits=15)
    # [1] 1.260995510511468 0.294850581537331 0.885178890103101
    assert (s.slope, s.slope_se, s.wald_z) == pytest.approx(
        (1.260995510511468, 0.294850581537331, 0.885178890103101), rel=1e-8
    )
    close(s.lr_z, "0.94678")
    close(s.score_logdose_z, "0.90052")
    close(s.score_dose_z, "0.47393")
    close(s.score_dose_p, "0.6356")
    # the simulated truth (1 in 100,000 and 1 in 250,000) lies within both CIs
    assert bali.upper < 100_000 < bali.lower and gcsf.upper < 250_000 < gcsf.lower


def test_the_result_round_trips_and_summarises() -> None:
    r = elda(rows(*EXTREME))
    back = type(r).from_dict(r.to_dict())
    assert back == r
    frame = r.summary()
    assert list(frame["group"]) == ["A", "B", "C"]
    assert math.isinf(frame["one_in_cells"][0])
    lines = r.fitted_lines()
    assert lines["A"] == (0.0, 0.0, pytest.approx(-1 / 1852635.5138591046))


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("group,dose,tested,positive\na,100,5,6\n", "positive", "more positive than tested"),
        ("group,dose,tested,positive\na,-100,5,2\n", "dose", "dose must be > 0"),
        ("group,dose,tested,positive\na,0,5,0\n", "dose", "dose must be > 0"),
        ("group,dose,tested,positive\na,100,0,0\n", "tested", "tested = 0"),
        ("group,dose,tested,positive\na,100,5,-1\n", "positive", "cannot be negative"),
        ("group,dose,tested,positive\na,100,5.5,1\n", "tested", "not a whole number"),
        ("group,dose,tested,positive\na,NaN,5,1\n", "dose", "missing"),
        ("group,dose,tested,positive\na,100,5,\n", "positive", "missing"),
    ],
)
def test_bad_rows_name_file_row_and_column(text: str, column: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        read_dilutions(text.encode(), "d.csv")
    place = caught.value.place
    assert (place.file, place.row, place.column) == ("d.csv", 2, column)
    assert words in caught.value.message


def test_a_missing_column_and_bad_rows_given_directly() -> None:
    with pytest.raises(InputError, match="missing column"):
        read_dilutions(b"group,dose,tested\na,1,2\n", "d.csv")
    with pytest.raises(InputError, match="more positive than tested"):
        elda([DilutionRow("a", 100.0, 3, 4)])
    with pytest.raises(InputError, match="tested = 0"):
        elda([DilutionRow("a", 100.0, 0, 0)])
    with pytest.raises(InputError, match="confidence"):
        EldaSettings(confidence=1.0)


# > out <- elda(c(0,0,0), c(10,20,40), c(3,3,3), observed=TRUE); out
#         Lower Estimate    Upper
# Group 1   Inf      Inf 70.60091
# > elda(c(3,3,3), c(10,20,40), c(3,3,3), observed=TRUE)
# Error in if (-step < 1e-06) break : missing value where TRUE/FALSE needed
# (statmod 1.5.0's all-positive bound with observed=TRUE starts its Newton iteration at a
# negative probability, -expm1(exp(beta)), and fails; ours solves the same equation directly)
def test_observed_extreme_groups() -> None:
    negative = elda(rows([10, 20, 40], [0, 0, 0], [3, 3, 3]), EldaSettings(observed=True))
    close(negative.groups[0].upper, "70.60091")
    positive = elda(rows([10, 20, 40], [3, 3, 3], [3, 3, 3]), EldaSettings(observed=True))
    (g,) = positive.groups
    u = 1 / g.lower  # statmod's equation: sum(tested x log(1 - (1 - U)^dose)) = log(1 - conf)
    assert sum(3 * math.log(1 - (1 - u) ** d) for d in (10, 20, 40)) == pytest.approx(
        math.log(0.05), rel=1e-12
    )
    assert (g.estimate, g.upper, g.extreme) == (1.0, 1.0, "all_positive")
