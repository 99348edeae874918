"""The Simeoni TGI model (preclinical.tgi_model) against closed forms, and fits that recover
known parameters.

References, none written for this project:

* psi = 1: ``dw/dt = lambda0 lambda1 w / (lambda1 + lambda0 w)`` integrates to
  ``t = ln(w/w0)/lambda0 + (w - w0)/lambda1`` (separation of variables);
* psi = 20 (the paper's): ``t(w) = int_w0^w [1 + (lambda0 u / lambda1)^psi]^(1/psi) / (lambda0 u)
  du``, evaluated by scipy's ``quad``;
* psi -> infinity: exponential growth to ``lambda1/lambda0`` then linear growth (Simeoni et al.
  2004, the two regimes the model joins);
* the transit chain at steady state under a constant concentration C with the tumour held
  still (C = Simeoni's threshold C_T = lambda0/k2): x2 = x3 = x4 = k2 C x1 / k1;
* recovery: data simulated from known parameters (seeded noise) are fitted, and the 95 % CIs
  cover the truth as often as they should.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.integrate import quad

from cxcr4lab.core.errors import InputError
from cxcr4lab.preclinical.tgi_model import (
    CombinationComparison,
    GroupDosing,
    TgiDrug,
    TgiFit,
    TgiParameters,
    burden,
    burden_many,
    compare_combination,
    fit_tgi,
    simulate_tgi,
    tgi_model,
    unperturbed_time,
)
from cxcr4lab.preclinical.translation import (
    BALIXAFORTIDE_MOUSE,
    DOCETAXEL_MOUSE,
    STUDY_BALIXAFORTIDE,
    STUDY_DOCETAXEL,
    Dosing,
    SpeciesPk,
)

DOC = TgiDrug("docetaxel", "DOC", DOCETAXEL_MOUSE)
BLX = TgiDrug("balixafortide", "BLX", BALIXAFORTIDE_MOUSE)
TWO = (DOC, BLX)
STUDY = (
    GroupDosing("vehicle"),
    GroupDosing("docetaxel", (STUDY_DOCETAXEL,)),
    GroupDosing("balixafortide", (STUDY_BALIXAFORTIDE,)),
    GroupDosing("combination", (STUDY_DOCETAXEL, STUDY_BALIXAFORTIDE)),
)
EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "invivo"


def growth(psi: float, lambda1: float = 2.0) -> TgiParameters:
    return TgiParameters(w0=0.05, lambda0=0.4, lambda1=lambda1, k2={"docetaxel": 0.0}, psi=psi)


# --- closed forms ---------------------------------------------------------------------------------


def test_unperturbed_growth_psi_1_is_the_closed_form() -> None:
    p = growth(psi=1.0)
    days = np.linspace(0.0, 30.0, 61)
    w = simulate_tgi((DOC,), p, (), days)["W"]
    t = unperturbed_time(w, w0=p.w0, lambda0=p.lambda0, lambda1=p.lambda1)
    np.testing.assert_allclose(t, days, rtol=1e-7, atol=1e-7)


def test_unperturbed_growth_psi_20_against_quadrature() -> None:
    p = growth(psi=20.0)
    days = np.array([2.0, 5.0, 8.0, 10.0, 12.0, 20.0])
    w = simulate_tgi((DOC,), p, (), days)["W"]

    def dt_dw(u: float) -> float:
        return (1 + (p.lambda0 * u / p.lambda1) ** p.psi) ** (1 / p.psi) / (p.lambda0 * u)

    t = [quad(dt_dw, p.w0, x, epsabs=1e-12, epsrel=1e-12, limit=200)[0] for x in w]
    np.testing.assert_allclose(t, days, rtol=1e-7)


def test_large_psi_is_exponential_then_linear() -> None:
    p = growth(psi=200.0)
    switch = math.log(p.lambda1 / p.lambda0 / p.w0) / p.lambda0  # 11.5 days
    days = np.array([2.0, 6.0, 10.0, 13.0, 18.0, 25.0])
    w = simulate_tgi((DOC,), p, (), days)["W"]
    expected = np.where(
        days < switch,
        p.w0 * np.exp(p.lambda0 * days),
        p.lambda1 / p.lambda0 + p.lambda1 * (days - switch),
    )
    np.testing.assert_allclose(w, expected, rtol=5e-3)


def test_transit_chain_at_steady_state_and_the_threshold_concentration() -> None:
    """A near-constant concentration (absorption 1e-8 /h, fast clearance) at Simeoni's C_T holds
    the proliferating cells still; the chain settles at k2 C x1 / k1 in each compartment."""
    slow = SpeciesPk("docetaxel", "mouse", 0.025, 50.0, 1.0, 1e-8, 1.0, 0.1, route="ip")
    drug = TgiDrug("docetaxel", "DOC", slow)
    dose = Dosing("docetaxel", 1.0e8, "ip", "once", (0,))
    c_ss = 1.0e8 * 1e-8 / 50.0  # F D ka / CL = 0.02 mg/L
    k1, lambda0 = 0.5, 0.3
    p = TgiParameters(
        w0=1.0,
        lambda0=lambda0,
        lambda1=1e6,  # exponential phase throughout
        k1={"docetaxel": k1},
        k2={"docetaxel": lambda0 / c_ss},  # C_ss = C_T
    )
    res = simulate_tgi((drug,), p, (dose,), [0.5, 40.0])
    c = res["C_DOC"][-1]
    assert c == pytest.approx(c_ss, rel=1e-5)  # decays by e^(-ka t): 1e-5 in 40 days
    x1 = res["X1"][-1]
    # net growth = lambda0 x the hours C falls short of C_T: 8 h before the 08:00 dose, 1/k =
    # 0.02 h while C rises to C_ss, and ka T^2 / 2 as it decays by e^(-ka t) over T hours
    short = 8.0 + 1 / 50.0 + 1e-8 * (40 * 24 - 8.0) ** 2 / 2
    assert x1 == pytest.approx(math.exp(lambda0 * short / 24), rel=1e-6)
    chain = [res[f"X{i}_DOC"][-1] for i in (2, 3, 4)]
    np.testing.assert_allclose(chain, p.k2["docetaxel"] * c * x1 / k1, rtol=1e-4)  # slow drift
    assert res["W"][-1] == pytest.approx(x1 * (1 + 3 * p.k2["docetaxel"] * c / k1), rel=1e-4)


def test_batch_kernel_agrees_with_lsoda() -> None:
    p = TgiParameters(
        w0=0.02,
        lambda0=0.3,
        lambda1=15.0,
        k1={"docetaxel": 1.0, "balixafortide": 1.0},
        k2={"docetaxel": 1.9, "balixafortide": 6e-4},
        gamma=0.07,
    )
    days = np.array([0.0, 7.0, 14.0, 21.0, 28.0])
    fast = burden(TWO, p, STUDY, days)
    for g in STUDY:
        slow = simulate_tgi(TWO, p, g.doses, days)["W"]
        np.testing.assert_allclose(fast[g.group], slow, rtol=1e-6)
    many = burden_many(TWO, [p, p], [STUDY[0], STUDY[3]], days)
    np.testing.assert_allclose(many[1], fast["combination"], rtol=1e-12)


def test_model_declares_units_and_names() -> None:
    model = tgi_model(TWO)
    assert model.unit_of("K2_DOC") == "L/mg/d" and model.unit_of("GAMMA") == "L**2/mg**2/d"
    assert {"W", "C_DOC", "C_BLX"} <= set(model.output_names)
    assert model.state_names.count("X1") == 1 and "X4_BLX" in model.state_names


# --- fits recover known parameters ------------------------------------------------------------------


def _simulated(
    drugs: tuple[TgiDrug, ...],
    truth: TgiParameters,
    groups: tuple[GroupDosing, ...],
    days: np.ndarray,
    *,
    per_group: int,
    sd: float,
    seed: int,
) -> pd.DataFrame:
    """SIMULATED observations: the true course x log-normal noise (SD of log ``sd``)."""
    rng = np.random.default_rng(seed)
    true = burden(drugs, truth, groups, days)
    return pd.DataFrame(
        [
            {"group": g, "day": d, "value": w * math.exp(sd * rng.standard_normal())}
            for g, course in true.items()
            for _ in range(per_group)
            for d, w in zip(days, course, strict=True)
        ]
    )


def test_single_agent_fit_recovers_the_truth_within_its_cis() -> None:
    """10 seeded replicates; each 95 % CI should cover the truth in >= 7 (P(<= 6 | 0.95) =
    1e-4), and the mean estimate lies near the truth."""
    dose = Dosing("docetaxel", 10.0, "ip", "weekly", (1, 8))
    groups = (GroupDosing("vehicle"), GroupDosing("docetaxel", (dose,)))
    truth = TgiParameters(
        w0=0.05, lambda0=0.3, lambda1=4.0, k1={"docetaxel": 1.0}, k2={"docetaxel": 2.0}
    )
    values = {"w0": 0.05, "lambda0": 0.3, "lambda1": 4.0, "k1": 1.0, "k2_docetaxel": 2.0}
    days = np.arange(0.0, 22.0)
    cover = dict.fromkeys(values, 0)
    estimates: dict[str, list[float]] = {k: [] for k in values}
    for seed in range(10):
        data = _simulated((DOC,), truth, groups, days, per_group=3, sd=0.1, seed=seed)
        fit = fit_tgi(data, (DOC,), groups, unit="mm^3")
        assert fit.converged
        for name, (lo, hi) in fit.conf_int().items():
            assert lo is not None and hi is not None
            cover[name] += lo <= values[name] <= hi
            estimates[name].append(fit.params[name])
    assert all(n >= 7 for n in cover.values()), cover
    for name, true in values.items():  # geometric means (most are fitted on the log scale)
        assert math.exp(np.mean(np.log(estimates[name]))) == pytest.approx(true, rel=0.1), name
    # Simeoni's threshold concentration C_T = lambda0 / k2 and its CI (delta method)
    ct, lo, hi = fit.threshold_concentration("docetaxel")
    assert ct == pytest.approx(fit.params["lambda0"] / fit.params["k2_docetaxel"])
    assert lo is not None and hi is not None and lo < 0.15 < hi


@pytest.fixture(scope="module")
def synergy() -> tuple[pd.DataFrame, TgiFit, CombinationComparison]:
    truth = TgiParameters(
        w0=0.02,
        lambda0=0.3,
        lambda1=15.0,
        k1={"docetaxel": 1.0, "balixafortide": 1.0},
        k2={"docetaxel": 1.9, "balixafortide": 2.712e-3},  # the example's truth
        gamma=0.3164,
    )
    data = _simulated(TWO, truth, STUDY, np.arange(0.0, 29.0, 2.0), per_group=4, sd=0.1, seed=2)
    fit = fit_tgi(data, TWO, STUDY, unit="mm^3")
    return data, fit, compare_combination(fit, data)


def test_combination_fit_recovers_the_interaction(
    synergy: tuple[pd.DataFrame, TgiFit, CombinationComparison],
) -> None:
    _, fit, cc = synergy
    assert fit.groups == ("vehicle", "docetaxel", "balixafortide")  # combination left out
    truth = {"w0": 0.02, "lambda0": 0.3, "lambda1": 15.0, "k2_docetaxel": 1.9}
    for name, value in truth.items():
        lo, hi = fit.conf_int()[name]
        assert lo is not None and hi is not None and lo <= value <= hi, name
    lo, hi = cc.gamma_ci
    assert lo is not None and hi is not None and lo <= 0.3164 <= hi
    assert cc.verdict == "greater than additive (synergy)"
    assert cc.gamma_p is not None and cc.gamma_p < 1e-6
    # the additive prediction overestimates the observed combination from the first weeks on
    ratio = np.asarray(cc.observed_geomean) / np.asarray(cc.predicted_additive)
    assert ratio[0] == pytest.approx(1.0, abs=0.1) and ratio[-1] < 0.5
    frame = cc.summary()
    assert list(frame["day"]) == list(np.arange(0.0, 29.0, 2.0)) and (frame["n"] == 4).all()


def test_additive_truth_is_not_called_synergy() -> None:
    truth = TgiParameters(
        w0=0.02,
        lambda0=0.3,
        lambda1=15.0,
        k1={"docetaxel": 1.0, "balixafortide": 1.0},
        k2={"docetaxel": 1.9, "balixafortide": 2.712e-3},
        gamma=0.0,
    )
    days = np.arange(0.0, 29.0, 4.0)
    data = _simulated(TWO, truth, STUDY, days, per_group=4, sd=0.1, seed=5)
    fit = fit_tgi(data, TWO, STUDY, unit="mm^3", fixed={"log_k1": 0.0})
    cc = compare_combination(fit, data)
    assert cc.verdict == "consistent with additivity"
    lower, upper = np.asarray(cc.band_lower), np.asarray(cc.band_upper)
    observed = np.asarray(cc.observed_geomean)
    assert np.mean((observed >= lower * 0.9) & (observed <= upper * 1.1)) >= 0.8


def test_fit_results_round_trip_through_json(
    synergy: tuple[pd.DataFrame, TgiFit, CombinationComparison],
) -> None:
    _, fit, cc = synergy
    assert TgiFit.from_dict(fit.to_dict()) == fit
    assert CombinationComparison.from_dict(cc.to_dict()) == cc
    table = fit.summary()
    assert list(table["parameter"])[-1] == "psi"
    assert dict(zip(table["parameter"], table["unit"], strict=False))["k2_docetaxel"] == "L/mg/day"


# --- the bundled SIMULATED example ----------------------------------------------------------------


def test_example_realises_the_seed_statements() -> None:
    """The README's claims, recomputed from the files (Welch t-tests on log values)."""
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    assert "SIMULATED" in readme
    study = pd.read_csv(EXAMPLE / "study.csv")
    assert list(study.columns) == [
        "animal_id", "group", "day", "total_flux_p_s", "length_mm", "width_mm",
        "body_weight_g", "status", "reason",
    ]  # fmt: skip
    assert study.groupby("group")["animal_id"].nunique().to_dict() == dict.fromkeys(
        ("balixafortide", "combination", "docetaxel", "vehicle"), 10
    )
    assert (study["status"] == "dropout").sum() == 1
    day28 = study[(study["day"] == 28) & (study["status"] == "alive")]
    flux = {g: day28[day28["group"] == g]["total_flux_p_s"].to_numpy() for g in set(day28["group"])}
    assert 1 - flux["combination"].mean() / flux["vehicle"].mean() > 0.70
    p = stats.ttest_ind(np.log(flux["combination"]), np.log(flux["docetaxel"]), equal_var=False)
    assert p.pvalue < 0.05
    p = stats.ttest_ind(np.log(flux["balixafortide"]), np.log(flux["vehicle"]), equal_var=False)
    assert p.pvalue > 0.05
    ends = pd.read_csv(EXAMPLE / "endpoints.csv")
    assert list(ends.columns) == ["animal_id", "group", "marker", "value", "unit"]
    trap = ends[ends["marker"] == "TRAcP 5b"]
    a, b = (np.log(trap[trap["group"] == g]["value"]) for g in ("combination", "vehicle"))
    assert stats.ttest_ind(a, b, equal_var=False).pvalue < 0.05
    assert set(ends["unit"]) == {
        "U/L", "pg/mL", "% positive nuclei", "cells per field", "vessels per field", "mm2",
    }  # fmt: skip


def test_example_design_reads_with_the_study_reader() -> None:
    from cxcr4lab.preclinical.study import read_design

    design = read_design((EXAMPLE / "design.toml").read_bytes())
    assert design.control == "vehicle"
    assert design.group("combination").describe() == (
        "docetaxel 5 mg/kg i.p. weekly; balixafortide 20 mg/kg s.c. twice daily"
    )


# --- bad input ------------------------------------------------------------------------------------


def _tiny() -> pd.DataFrame:
    return pd.DataFrame({"group": ["vehicle"] * 3, "day": [0, 7, 14], "value": [1.0, 2.0, 4.0]})


@pytest.mark.parametrize(
    ("make", "where"),
    [
        (lambda: fit_tgi(_tiny().assign(value=[1.0, 0.0, 4.0]), (DOC,), STUDY[:1]), "row 3"),
        (lambda: fit_tgi(_tiny().assign(day=[0, -7, 14]), (DOC,), STUDY[:1]), "day"),
        (lambda: fit_tgi(_tiny().drop(columns="value"), (DOC,), STUDY[:1]), "value"),
        (lambda: fit_tgi(_tiny(), (DOC,), ()), "no dosing given for group 'vehicle'"),
        (lambda: fit_tgi(_tiny(), (DOC,), STUDY[:1], groups=["other"]), "groups"),
        (lambda: fit_tgi(_tiny(), (), STUDY[:1]), "drugs"),
        (lambda: TgiParameters(w0=1.0, lambda0=0.3, lambda1=1.0, k2={"x": -1.0}), "k2['x']"),
        (lambda: TgiParameters(w0=0.0, lambda0=0.3, lambda1=1.0), "w0"),
        (lambda: TgiDrug("docetaxel", "doc", DOCETAXEL_MOUSE), "code"),
        (lambda: TgiDrug("balixafortide", "BLX", DOCETAXEL_MOUSE), "balixafortide"),
        (lambda: simulate_tgi((DOC,), growth(1.0), (STUDY_BALIXAFORTIDE,), [0.0, 1.0]), "doses"),
    ],
)
def test_bad_input_names_the_place(make: object, where: str) -> None:
    with pytest.raises(InputError) as err:
        make()  # type: ignore[operator]
    assert where in str(err.value)


# --- doses from a study design ----------------------------------------------------------------------


def _design(treatment: str) -> bytes:
    return (
        'control = "vehicle"\n'
        '[[groups]]\nname = "vehicle"\n'
        '[[groups]]\nname = "treated"\n'
        f"treatments = [{{ {treatment} }}]\n"
    ).encode()


def test_the_example_designs_doses_are_the_protocols() -> None:
    """seed 001: docetaxel 5 mg/kg i.p. weekly, balixafortide 20 mg/kg s.c. twice daily."""
    from cxcr4lab.preclinical.study import read_design
    from cxcr4lab.preclinical.tgi_model import design_dosing, design_drugs

    design = read_design((EXAMPLE / "design.toml").read_bytes())
    assert design_dosing(design, 28.0) == STUDY
    assert [(d.name, d.pk) for d in design_drugs(design)] == [
        ("balixafortide", BALIXAFORTIDE_MOUSE),
        ("docetaxel", DOCETAXEL_MOUSE),
    ]
    # every other day from day 2 to day 10, until day 6: days 2, 4, 6 at 08:00
    every_other = read_design(
        _design(
            'compound = "docetaxel", dose = "4 mg/kg", route = "i.v.", schedule = "Q2D", '
            "start_day = 2, end_day = 10"
        )
    )
    (dose,) = design_dosing(every_other, 6.0)[1].doses
    assert dose == Dosing("docetaxel", 4.0, "iv", "Q2D", (2, 4, 6))
    assert dose.times_h() == (56.0, 104.0, 152.0)


@pytest.mark.parametrize(
    ("treatment", "where"),
    [
        ('compound = "docetaxel", dose = "30 mg/m^2", route = "i.p.", schedule = "QW"', "mg/kg"),
        ('compound = "docetaxel", dose = "5 mg/kg", route = "p.o.", schedule = "QW"', "p.o."),
        ('compound = "docetaxel", dose = "5 mg/kg", route = "i.p.", schedule = "BIW"', "between"),
        (
            'compound = "paclitaxel", dose = "5 mg/kg", route = "i.p.", schedule = "QW"',
            "paclitaxel",
        ),
    ],
)
def test_doses_the_model_cannot_take_name_the_group(treatment: str, where: str) -> None:
    from cxcr4lab.preclinical.study import read_design
    from cxcr4lab.preclinical.tgi_model import design_dosing, design_drugs

    design = read_design(_design(treatment))

    def both() -> None:
        design_drugs(design)
        design_dosing(design, 28.0)

    with pytest.raises(InputError) as err:
        both()
    assert where in str(err.value)
    if "paclitaxel" not in treatment:
        assert "group 'treated': docetaxel" in str(err.value)
