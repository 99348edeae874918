"""TGI, T/C, group comparisons, time to endpoint and AUC, against hand calculations and R.

R 4.2.2 with survival, multcomp 1.4 and boot; the data are ``tests/data/invivo/grwth_data.csv``
(SynergyLMM's public example) read in R as::

    d <- read.csv("grwth_data.csv")
    d$Treatment <- factor(d$Treatment, levels = c("Control", "DrugA", "DrugB", "Combination"))
    d30 <- subset(d, Time == 30); d30$lv <- log10(d30$TumorVolume)
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.preclinical.efficacy import (
    AucResult,
    DayComparisons,
    EfficacyResult,
    TimeToEndpoint,
    analyse_efficacy,
    auc_comparison,
    compare_groups,
    tgi,
    tgi_by_day,
    time_to_endpoint,
)
from cxcr4lab.preclinical.study import AnimalTable, build_animal_table, read_animal_table

DATA = Path(__file__).resolve().parents[1] / "data" / "invivo"
COLUMNS = {"subject": "animal_id", "Time": "day", "Treatment": "group", "TumorVolume": "volume_mm3"}
GROUPS = ("DrugA", "DrugB", "Combination")


@pytest.fixture(scope="module")
def study() -> AnimalTable:
    return read_animal_table(
        (DATA / "grwth_data.csv").read_bytes(), "grwth_data.csv", columns=COLUMNS
    )


def _frame(rows: list[tuple[object, ...]], columns: str) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns.split(","))


# --- TGI and T/C by hand ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small() -> AnimalTable:
    # Control: 100 -> 500 and 100 -> 700 (RTV 5, 7); treated: 100 -> 200, 120 -> 360 (RTV 2, 3);
    # flux x20 and x30 in the control, x2 and x3 when treated.
    rows = [
        ("c1", "C", 0, 100, 1e6), ("c1", "C", 14, 500, 2e7),
        ("c2", "C", 0, 100, 1e6), ("c2", "C", 14, 700, 3e7),
        ("t1", "T", 0, 100, 1e6), ("t1", "T", 14, 200, 2e6),
        ("t2", "T", 0, 120, 1e6), ("t2", "T", 14, 360, 3e6),
    ]  # fmt: skip
    return build_animal_table(
        _frame(rows, "animal_id,group,day,volume_mm3,total_flux_p_s"), source="small"
    )


def test_tgi_both_conventions_by_hand(small: AnimalTable) -> None:
    r = tgi(small, 14, control="C")
    c, t = r.groups
    # Means: control 100 -> 600, treated 110 -> 280.
    assert (t.mean_baseline, t.mean_day) == (110.0, 280.0)
    # TGI delta = (1 - (280 - 110) / (600 - 100)) x 100 = 66 %.
    assert t.tgi_delta_pct == pytest.approx(66.0, rel=1e-14)
    # Mean RTV: control (5 + 7) / 2 = 6, treated (2 + 3) / 2 = 2.5; T/C = 2.5 / 6.
    assert t.tc_mean_pct == pytest.approx(100 * 2.5 / 6, rel=1e-14)
    assert t.tgi_rtv_pct == pytest.approx(100 - 100 * 2.5 / 6, rel=1e-14)
    # Median RTV (n = 2: the mean of the two); geometric: sqrt(6) / sqrt(35).
    assert t.tc_median_pct == pytest.approx(100 * 2.5 / 6, rel=1e-14)
    assert t.tc_geometric_pct == pytest.approx(100 * math.sqrt(6 / 35), rel=1e-13)
    # NCI: T/C 41.7 % <= 42 % is active; the control has no verdict.
    assert t.nci_active is True and c.nci_active is None
    assert (c.tgi_delta_pct, c.tc_mean_pct) == (0.0, 100.0)
    assert r.unit == "mm^3" and r.missing == ()


def test_flux_tc_by_hand(small: AnimalTable) -> None:
    t = tgi(small, 14, measure="flux", control="C").groups[1]
    # Relative flux: control 20 and 30 (mean 25), treated 2 and 3 (mean 2.5): T/C 10 %.
    assert t.tc_mean_pct == pytest.approx(10.0, rel=1e-14)
    assert t.tgi_rtv_pct == pytest.approx(90.0, rel=1e-14)
    assert t.tc_geometric_pct == pytest.approx(100 * math.sqrt(6 / 600), rel=1e-13)
    assert t.tgi_delta_pct == pytest.approx(100 * (1 - 1.5e6 / 24e6), rel=1e-13)


def test_tgi_names_the_missing_animals() -> None:
    rows = [
        ("c1", "C", 0, 100, ""), ("c1", "C", 7, 300, ""), ("c2", "C", 0, 100, ""),
        ("c2", "C", 7, 500, ""), ("t1", "T", 0, 100, ""), ("t1", "T", 7, 150, ""),
        ("t2", "T", 0, 100, "dead"),
    ]  # fmt: skip
    table = build_animal_table(_frame(rows, "animal_id,group,day,volume_mm3,status"))
    r = tgi(table, 7, control="C")
    assert r.groups[1].n == 1
    assert r.missing == ("T: animal t2 has no value on day 7 (dead on day 0)",)


def test_tgi_on_the_public_study(study: AnimalTable) -> None:
    r = tgi(study, 30, control="Control")
    raw = pd.read_csv(DATA / "grwth_data.csv")
    wide = raw.pivot(index="subject", columns="Time", values="TumorVolume")
    group = raw.groupby("subject")["Treatment"].first()
    rtv = wide[30] / wide[0]
    for g in r.groups:
        mine = group == g.group
        assert g.mean_relative == pytest.approx(rtv[mine].mean(), rel=1e-13)
        assert g.median_relative == pytest.approx(rtv[mine].median(), rel=1e-13)
        c_growth = wide[30][group == "Control"].mean() - wide[0][group == "Control"].mean()
        expected = 100 * (1 - (wide[30][mine].mean() - wide[0][mine].mean()) / c_growth)
        assert g.tgi_delta_pct == pytest.approx(expected, rel=1e-12)
    assert [g.nci_active for g in r.groups] == [None, False, False, True]
    assert len(tgi_by_day(study, control="Control")) == 10


# --- per-day comparisons against R --------------------------------------------------------------


def test_welch_and_mann_whitney_against_r(study: AnimalTable) -> None:
    c = compare_groups(
        study, 30, control="Control", pairs=[("Combination", "DrugA")], adjustment="holm"
    )
    # R: t.test(d30$lv[d30$Treatment == g], d30$lv[d30$Treatment == "Control"],
    #           var.equal = FALSE)  -> statistic, df, p.value, conf.int
    expected = {
        ("DrugA", "Control"): (-5.73303585221116, 13.3985443269945, 6.13861339863188e-05,
                               -0.287080776320194, -0.130281279776301),
        ("DrugB", "Control"): (-4.82830466371177, 11.2275816209618, 0.000498916385069923,
                               -0.32000290167568, -0.119946569088114),
        ("Combination", "Control"): (-11.8031573869131, 11.2383929457127, 1.1179513701358e-07,
                                     -0.636997025910443, -0.437203467293406),
        ("Combination", "DrugA"): (-6.77274849896491, 12.7205262829935, 1.47070940070086e-05,
                                   -0.43341269685429, -0.223425740253065),
    }  # fmt: skip
    got = {(x.group, x.reference): x for x in c.comparisons}
    for key, (t, df, p, lo, hi) in expected.items():
        x = got[key]
        assert x.welch_t == pytest.approx(t, rel=1e-10)
        assert x.welch_df == pytest.approx(df, rel=1e-10)
        assert x.welch_p == pytest.approx(p, rel=1e-8)
        assert (x.ci_lower, x.ci_upper) == (
            pytest.approx(lo, rel=1e-10),
            pytest.approx(hi, rel=1e-10),
        )
        assert x.ratio == pytest.approx(10**x.difference)
        # R: wilcox.test(x, y): W = 0, p-value = 0.0001554 (exact: 2 / choose(16, 8))
        if key[1] == "Control":
            assert x.mann_whitney_u == 0.0 and x.mann_whitney_method == "exact"
            assert x.mann_whitney_p == pytest.approx(0.000155400155400155, rel=1e-12)
    # R: p.adjust(c(p_DrugA, p_DrugB, p_Comb, p_Comb_vs_DrugA), method = "holm")
    holm = [1.22772267972638e-04, 4.98916385069923e-04, 4.47180548054320e-07, 4.41212820210258e-05]
    assert [x.p_adjusted for x in c.comparisons] == pytest.approx(holm, rel=1e-10)
    # R: summary(aov(lv ~ Treatment, data = d30)): F = 44.34607, Pr(>F) = 9.1544e-11
    assert c.anova_f == pytest.approx(44.34607, abs=5e-6)
    assert c.anova_p == pytest.approx(9.1544e-11, rel=1e-4)


@pytest.mark.parametrize(
    ("day", "p_r", "lwr_r", "upr_r"),
    [
        # R: dd <- subset(d, Time == day); dd$lv <- log10(dd$TumorVolume); set.seed(1)
        #    g2 <- glht(aov(lv ~ Treatment, data = dd), linfct = mcp(Treatment = "Dunnett"))
        #    summary(g2, test = adjusted("single-step", maxpts = 2e6, abseps = 1e-9))
        #    confint(g2)
        (15, (6.85473996086e-01, 1.24780177434e-01, 8.65931661709e-07),
         (-0.158931091908, -0.211366477932, -0.423737747431),
         (0.0730812202081, 0.0206458341841, -0.1917254353154)),
        (30, (3.71364996824e-04, 1.94130817854e-04, 3.99680288865e-15),
         (-0.325552794513603, -0.336846501847253, -0.653972013067280),
         (-0.0918092615828911, -0.1031029689165409, -0.4202284801365683)),
    ],
)  # fmt: skip
def test_dunnett_against_r_multcomp(
    study: AnimalTable,
    day: float,
    p_r: tuple[float, ...],
    lwr_r: tuple[float, ...],
    upr_r: tuple[float, ...],
) -> None:
    c = compare_groups(study, day, control="Control", adjustment="dunnett")
    # Both are randomised integrals of the multivariate t: R's (mvtnorm) run to 1e-9, scipy's
    # quasi-Monte Carlo integral (no setting) good to about 1e-4, the tolerance.
    assert [x.p_adjusted for x in c.comparisons] == pytest.approx(p_r, abs=1e-4)
    assert {x.adjustment for x in c.comparisons} == {"Dunnett"}
    # Dunnett's simultaneous CIs are not reported for the volume comparisons (Welch's are);
    # the estimate is the same difference of means.
    diffs = [(lo + hi) / 2 for lo, hi in zip(lwr_r, upr_r, strict=True)]
    assert [x.difference for x in c.comparisons] == pytest.approx(diffs, rel=1e-9)


def test_dunnett_mode_adjusts_named_pairs_by_holm(study: AnimalTable) -> None:
    c = compare_groups(study, 30, control="Control", pairs=[("Combination", "DrugA")])
    pair = c.comparisons[-1]
    assert (pair.adjustment, pair.p_adjusted) == ("Holm (pairs)", pair.welch_p)
    s = c.summary()
    assert list(s["adjustment"]) == ["Dunnett"] * 3 + ["Holm (pairs)"]


def test_responses_rtv_and_log_rtv(study: AnimalTable) -> None:
    raw = pd.read_csv(DATA / "grwth_data.csv")
    wide = raw.pivot(index="subject", columns="Time", values="TumorVolume")
    group = raw.groupby("subject")["Treatment"].first()
    rtv = wide[30] / wide[0]
    for response, values in (("rtv", rtv), ("log_rtv", np.log10(rtv))):
        c = compare_groups(study, 30, response=response, control="Control", adjustment="none")  # type: ignore[arg-type]
        x = c.comparisons[2]
        assert x.mean == pytest.approx(values[group == "Combination"].mean(), rel=1e-12)
        assert x.mean_reference == pytest.approx(values[group == "Control"].mean(), rel=1e-12)
        assert (x.ratio is None) == (response == "rtv")


def test_default_day_is_the_last_day_with_two_animals_per_group(study: AnimalTable) -> None:
    assert compare_groups(study, control="Control").day == 30.0


@pytest.mark.parametrize(
    ("kwargs", "match", "field"),
    [
        ({"control": "Vehicle"}, "control 'Vehicle' is not a group", "control"),
        ({"control": "Control", "day": 31}, "no measurements on day 31", "day"),
        ({"control": "Control", "response": "size"}, "response must be one of", "response"),
        ({"control": "Control", "adjustment": "bonferroni"}, "adjustment must be", "adjustment"),
        ({"control": "Control", "pairs": [("Combination", "DrugC")]}, "'DrugC' is not a group", "pairs"),
        ({"control": "Control", "response": "log_flux"}, "no total flux", "measure"),
        ({}, "name the control group", "control"),
    ],
)  # fmt: skip
def test_bad_settings_name_the_field(
    study: AnimalTable, kwargs: dict[str, object], match: str, field: str
) -> None:
    with pytest.raises(InputError, match=match) as err:
        compare_groups(study, **kwargs)  # type: ignore[arg-type]
    assert err.value.place.field == field


# --- time to endpoint ---------------------------------------------------------------------------


def test_time_to_volume_against_r_survdiff(study: AnimalTable) -> None:
    e = time_to_endpoint(study, volume_mm3=1000, control="Control")
    # R: ev <- per subject, first Time with TumorVolume >= 1000 (event) else 30 (censored)
    #    survdiff(Surv(time, event) ~ Treatment, data = ev)
    #    Chisq = 38.6 on 3 degrees of freedom, p = 2.10779767e-08
    assert e.overall is not None
    assert e.overall.chisq == pytest.approx(38.6017, abs=5e-4)
    assert e.overall.df == 3 and e.overall.p == pytest.approx(2.10779767e-08, rel=1e-6)
    # R: survdiff on Control and each group: chisq, pchisq(chisq, 1, lower.tail = FALSE)
    pairs = {
        "DrugA": (7.08895066018068, 0.00775606475632598),
        "DrugB": (12.1795599716111, 0.00048316040586192),
        "Combination": (15.9633099141296, 6.45820865067786e-05),
    }
    for lr in e.pairwise:
        chisq, p = pairs[lr.group]
        assert lr.chisq == pytest.approx(chisq, rel=1e-9) and lr.p == pytest.approx(p, rel=1e-8)
    assert [lr.p_holm for lr in e.pairwise] == pytest.approx(
        [0.00775606475632598, 2 * 0.00048316040586192, 3 * 6.45820865067786e-05], rel=1e-8
    )
    # R: print(survfit(Surv(time, event) ~ Treatment, data = ev, conf.type = "log-log"))
    #    median 0.95LCL 0.95UCL: Control 21 18 NA; DrugA 24 21 NA; DrugB 27 24 NA;
    #    Combination NA NA NA
    got = {g.group: (g.median, g.median_lower, g.median_upper) for g in e.groups}
    assert got == {
        "Control": (21.0, 18.0, None),
        "DrugA": (24.0, 21.0, None),
        "DrugB": (27.0, 24.0, None),
        "Combination": (None, None, None),
    }
    assert [g.events for g in e.groups] == [8, 8, 8, 0]
    d = json.loads(json.dumps(e.to_dict()))
    assert TimeToEndpoint.from_dict(d).to_dict() == d


@pytest.fixture(scope="module")
def fates() -> AnimalTable:
    rows = [
        ("V1", "vehicle", 0, 100, 25, "", ""), ("V1", "vehicle", 7, 300, 25, "", ""),
        ("V1", "vehicle", 14, 600, 25, "", ""),
        ("V2", "vehicle", 0, 100, 25, "", ""), ("V2", "vehicle", 7, 550, 25, "", ""),
        ("V3", "vehicle", 0, 100, 25, "", ""), ("V3", "vehicle", 7, 250, 25, "", ""),
        ("V3", "vehicle", 14, 450, 25, "", ""), ("V3", "vehicle", 21, 700, 25, "", ""),
        ("V4", "vehicle", 0, 100, 25, "", ""),
        ("V4", "vehicle", 7, 200, 25, "dropout", "fighting wound"),
        ("V5", "vehicle", 0, 100, 25, "", ""), ("V5", "vehicle", 7, 300, 25, "", ""),
        ("V5", "vehicle", 14, 480, 25, "dead", "toxicity"),
        ("D1", "drug", 0, 100, 25, "", ""), ("D1", "drug", 7, 150, 25, "", ""),
        ("D1", "drug", 14, 250, 25, "", ""), ("D1", "drug", 21, 400, 25, "", ""),
        ("D2", "drug", 0, 100, 25, "", ""), ("D2", "drug", 7, 200, 25, "", ""),
        ("D2", "drug", 14, 350, 25, "", ""), ("D2", "drug", 21, 520, 25, "", ""),
        ("D3", "drug", 0, 100, 25, "", ""), ("D3", "drug", 7, 120, 25, "", ""),
        ("D3", "drug", 14, 200, 25, "", ""), ("D3", "drug", 21, 300, 25, "", ""),
        ("D4", "drug", 0, 100, 25, "", ""), ("D4", "drug", 7, 180, 24, "", ""),
        ("D4", "drug", 14, 260, 19, "euthanised", "body weight"),
        ("D5", "drug", 0, 100, 25, "", ""), ("D5", "drug", 7, 130, 25, "", ""),
        ("D5", "drug", 14, 210, 25, "", ""), ("D5", "drug", 21, 350, 25, "", ""),
    ]  # fmt: skip
    cols = "animal_id,group,day,volume_mm3,body_weight_g,status,reason"
    return build_animal_table(_frame(rows, cols), source="fates", baseline_day=0)


def test_dropouts_are_censored_and_deaths_are_events(fates: AnimalTable) -> None:
    e = time_to_endpoint(fates, volume_mm3=500, control="vehicle")
    by = {a.animal_id: a for a in e.animals}
    assert (by["V2"].time, by["V2"].event) == (7.0, True)
    assert (by["V4"].time, by["V4"].event) == (7.0, False)
    assert by["V4"].cause == "censored: dropout (fighting wound)"
    assert (by["V5"].time, by["V5"].event, by["V5"].cause) == (14.0, True, "dead (toxicity)")
    assert by["D4"].event and by["D4"].cause.startswith("humane endpoint: body-weight loss 24.0 %")
    assert (by["D1"].event, by["D1"].cause) == (False, "censored: alive at last measurement")
    # R: t <- c(14,7,21,7,14, 21,21,21,14,21); e <- c(1,1,1,0,1, 0,1,0,1,0)
    #    survdiff(Surv(t, e) ~ g): Chisq = 3.93116170251, p = 0.0473991905062
    #    survfit(..., conf.type = "log-log"): vehicle 14 (7, NA); drug NA (14, NA)
    lr = e.pairwise[0]
    assert lr.chisq == pytest.approx(3.93116170251, rel=1e-10)
    assert lr.p == pytest.approx(0.0473991905062, rel=1e-10)
    got = {g.group: (g.median, g.median_lower, g.median_upper) for g in e.groups}
    assert got == {"vehicle": (14.0, 7.0, None), "drug": (None, 14.0, None)}


def test_deaths_can_be_censored(fates: AnimalTable) -> None:
    e = time_to_endpoint(fates, volume_mm3=500, control="vehicle", deaths="censor")
    # R: e2 <- c(1,1,1,0,0, 0,1,0,1,0): Chisq = 2.04365238286, p = 0.152842279157;
    #    medians: vehicle 21 (7, NA), drug NA (14, NA)
    assert e.pairwise[0].chisq == pytest.approx(2.04365238286, rel=1e-10)
    assert e.pairwise[0].p == pytest.approx(0.152842279157, rel=1e-10)
    assert e.groups[0].median == 21.0
    assert "death" not in e.definition


def test_time_to_endpoint_settings() -> None:
    with pytest.raises(InputError, match="rtv threshold must be > 0"):
        time_to_endpoint(_small_table(), rtv=-1, control="C")
    with pytest.raises(InputError, match="no endpoint"):
        time_to_endpoint(_small_table(), humane=False, deaths="censor", control="C")


def _small_table() -> AnimalTable:
    rows = [("c1", "C", 0, 100), ("c1", "C", 7, 300), ("t1", "T", 0, 100), ("t1", "T", 7, 150)]
    return build_animal_table(_frame(rows, "animal_id,group,day,volume_mm3"))


# --- AUC ----------------------------------------------------------------------------------------


def test_auc_by_hand() -> None:
    rows = [("a", "C", 0, 100), ("a", "C", 2, 1000), ("a", "C", 6, 10000),
            ("b", "C", 0, 100), ("b", "C", 2, 100)]  # fmt: skip
    table = build_animal_table(_frame(rows, "animal_id,group,day,volume_mm3"))
    a = {x.animal_id: x for x in auc_comparison(table, control="C").animals}
    # log10 V - log10 V0: 0, 1, 2 at days 0, 2, 6: trapezoids 2 x (0 + 1) / 2 + 4 x (1 + 2) / 2.
    assert a["a"].auc == pytest.approx(7.0, rel=1e-15)
    assert a["a"].adjusted_auc == pytest.approx(7 / 6, rel=1e-15)
    assert (a["b"].auc, a["b"].last_day, a["b"].n_points) == (0.0, 2.0, 2)


def test_adjusted_auc_against_r(study: AnimalTable) -> None:
    a = auc_comparison(study, control="Control", n_resamples=20_000, seed=7)
    # R: per subject, y <- log10(V) - log10(V[1]); a <- sum(diff(x) * (head(y, -1) + tail(y, -1)) / 2)
    #    subject 1: auc 17.3973692449214, aauc 0.579912308164047
    first = a.animals[0]
    assert first.auc == pytest.approx(17.3973692449214, rel=1e-13)
    assert first.adjusted_auc == pytest.approx(0.579912308164047, rel=1e-13)
    # R: t.test(aauc[g], aauc[Control], var.equal = FALSE): p, conf.int; wilcox.test p
    expected = {
        "DrugA": (0.856324886978, -0.0918129756295688, 0.0775025643429368, 0.959129759129759),
        "DrugB": (0.0340644200942148, -0.179712213835908, -0.00837155065613468, 0.0649572649572649),
        "Combination": (1.65360004571307e-05, -0.385097123412716, -0.192197128463435,
                        0.000155400155400155),
    }  # fmt: skip
    for c in a.comparisons:
        p, lo, hi, p_mw = expected[c.group]
        assert c.welch_p == pytest.approx(p, rel=1e-9)
        assert (c.ci_lower, c.ci_upper) == (
            pytest.approx(lo, rel=1e-9),
            pytest.approx(hi, rel=1e-9),
        )
        assert c.mann_whitney_p == pytest.approx(p_mw, rel=1e-9)
    # R: set.seed(2024); b <- boot(sub, ratio, R = 200000, strata = sub$Treatment)
    #    boot.ci(b, type = "bca"): (0.3190, 0.5636) for Combination / Control
    combo = a.comparisons[2]
    assert combo.ratio == pytest.approx(0.2171777 / 0.5058260, rel=1e-5)
    assert combo.ratio_lower == pytest.approx(0.3190, abs=0.005)  # Monte Carlo error
    assert combo.ratio_upper == pytest.approx(0.5636, abs=0.005)
    assert "BCa" in a.bootstrap
    assert a.summary().shape[0] == 3 and a.animal_table().shape[0] == 32
    d = json.loads(json.dumps(a.to_dict()))
    assert AucResult.from_dict(d).to_dict() == d


def test_auc_excludes_animals_with_one_point_with_the_reason() -> None:
    rows = [("c1", "C", 0, 100), ("c1", "C", 7, 300), ("c2", "C", 0, 100), ("c2", "C", 7, 250),
            ("c3", "C", 0, 100), ("t1", "T", 0, 100), ("t1", "T", 7, 150), ("t2", "T", 0, 90),
            ("t2", "T", 7, 120)]  # fmt: skip
    table = build_animal_table(_frame(rows, "animal_id,group,day,volume_mm3"))
    a = auc_comparison(table, control="C", n_resamples=999)
    assert "animal c3 (C): 1 measurement(s)" in a.excluded
    assert a.comparisons[0].n_reference == 2


# --- everything ---------------------------------------------------------------------------------


def test_analyse_efficacy_bundles_and_round_trips(study: AnimalTable) -> None:
    r = analyse_efficacy(study, control="Control", endpoint_volume_mm3=1000)
    assert r.day == 30.0 and r.comparisons is not None and r.flux_comparisons is None
    s = r.summary()
    assert list(s["group"]) == ["Control", *GROUPS]
    assert s.loc[s["group"] == "Combination", "NCI active"].item() is True
    d = json.loads(json.dumps(r.to_dict()))
    assert EfficacyResult.from_dict(d).to_dict() == d
    assert DayComparisons.from_dict(d["comparisons"]).to_dict() == d["comparisons"]


def test_flux_only_study(small: AnimalTable) -> None:
    flux = small.frame()[["animal_id", "group", "day", "total_flux_p_s"]]
    table = build_animal_table(flux)
    r = analyse_efficacy(table, control="C")
    assert r.tgi == () and r.flux_tgi[0].groups[1].tc_mean_pct == pytest.approx(10.0)
    assert r.comparisons is not None and r.comparisons.response == "log_flux"
