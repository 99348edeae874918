"""The one human balixafortide parameter set (pkpd.balixafortide): its derivation, the numbers
of docs/balixafortide_pk.md, and the simulations and examples that use it.

References, none written for this project:

* CL = fu x GFR (free filtration of the unbound drug), Vz = CL t1/2 / ln 2, AUC = dose / CL;
* the 2-compartment infusion in closed form against the project's ODE engine (LSODA,
  ``cxcr4lab.sim.simulate``) and its exact linear solver (``simulate_analytic``);
* the seed facts ([pharmacokinetics] of seed_facts.toml): terminal half-life 7-15 h in man,
  Cmax at the end of the infusion, dose-linear, 32 % bound in plasma.
"""

from __future__ import annotations

import io
import math
import re
from functools import cache
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxcr4lab.assays.bioanalysis import BioanalysisSettings, analyse
from cxcr4lab.assays.tabular import read_table_bytes
from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd import balixafortide as bal
from cxcr4lab.pkpd.comparison import parse_schedule
from cxcr4lab.pkpd.pk import BALIXAFORTIDE_HUMAN, half_lives, terminal_half_life
from cxcr4lab.pkpd.regimen_simulation import (
    POPULATION_PARAMETERS,
    RegimenSimulation,
    SimulationSettings,
    simulate_regimen,
)
from cxcr4lab.sim import infusion, simulate, simulate_analytic

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "balixafortide_pk.md"
EXAMPLES = ROOT / "src" / "cxcr4lab" / "examples"
DOSE_MG = 5.5 * 70.0  # the RP2D (seed_facts [regimen.balixafortide_eribulin]) at 70 kg


# --- the derivation ------------------------------------------------------------------------------


def test_clearance_is_the_filtered_unbound_fraction_with_a_small_non_renal_share() -> None:
    p = bal.derive()
    gfr_l_h = 120.0 * 60.0 / 1000.0  # 120 mL/min = 7.2 L/h
    assert p["CL"] == pytest.approx(0.68 * gfr_l_h / (1.0 - 0.10), rel=1e-12)  # 5.44 L/h
    assert bal.derive({"f_nr": 0.0})["CL"] == pytest.approx(0.68 * gfr_l_h, rel=1e-12)
    assert p["V1"] == pytest.approx(0.2 * 70.0)  # extracellular fluid
    assert bal.derive(weight_kg=50.0)["V1"] == pytest.approx(10.0)


def test_the_model_is_the_typical_values_and_its_half_life_is_the_seeds() -> None:
    model = {p.name: p.value for p in BALIXAFORTIDE_HUMAN.parameters}
    assert {k: model[k] for k in bal.TYPICAL} == bal.TYPICAL
    assert bal.TYPICAL == {"CL": 5.44, "V1": 14.0, "Q2": 10.0, "V2": 45.8}
    assert model["FU"] == 0.68
    t_z = terminal_half_life(BALIXAFORTIDE_HUMAN)
    assert 7.0 <= t_z <= 15.0
    assert t_z == pytest.approx(math.sqrt(7.0 * 15.0), rel=2e-3)  # rounding to 3 digits only
    assert (t_z, half_lives(BALIXAFORTIDE_HUMAN)[1]) == pytest.approx(bal.half_lives(bal.TYPICAL))
    # measured from the simulated curve (LSODA), not from the eigenvalues
    t = np.arange(0.0, 97.0, 0.25)
    c = simulate(BALIXAFORTIDE_HUMAN, infusion(DOSE_MG, duration=2.0), t, rtol=1e-10, atol=1e-12)
    late = t >= 24.0
    slope = np.polyfit(t[late], np.log(c["Cp"][late]), 1)[0]
    assert math.log(2) / -slope == pytest.approx(t_z, rel=1e-3)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(2.0, 12.0),
    st.floats(5.0, 25.0),
    st.floats(2.0, 40.0),
    st.floats(0.0, 1.0),
)
def test_peripheral_volume_gives_exactly_the_half_life(
    cl: float, v1: float, q: float, where: float
) -> None:
    shortest = math.log(2.0) * v1 / cl  # the half-life must exceed ln 2 V1 / CL
    t_half = shortest * (1.01 + 10.0 * where)
    v2 = bal.peripheral_volume(cl, v1, q, t_half)
    assert v2 > 0
    assert bal.half_lives({"CL": cl, "V1": v1, "Q2": q, "V2": v2})[0] == pytest.approx(
        t_half, rel=1e-9
    )


def test_impossible_half_life_and_unknown_input_are_refused() -> None:
    with pytest.raises(InputError, match="must exceed ln 2 V1 / CL") as err:
        bal.peripheral_volume(5.44, 14.0, 10.0, 1.0)
    assert err.value.place.field == "t_half"
    with pytest.raises(InputError, match="unknown input 'GRF'"):
        bal.derive({"GRF": 100.0})
    with pytest.raises(InputError):
        bal.exposure(-1.0)


def test_ranges_span_the_inputs_box() -> None:
    by = {p.name: p for p in bal.PARAMETERS}
    assert (by["t_half_z"].low, by["t_half_z"].high) == pytest.approx((7.0, 15.0))
    assert by["CL"].low == pytest.approx(0.68 * 0.9 * 6.0)  # GFR 100, theta 0.9, f_nr 0
    assert by["CL"].high == pytest.approx(0.68 * 7.8 / 0.75)  # GFR 130, theta 1, f_nr 0.25
    for p in bal.PARAMETERS:
        assert p.low <= p.typical <= p.high, p.name
    vz = by["Vz"].typical
    assert vz == pytest.approx(by["CL"].typical * by["t_half_z"].typical / math.log(2))
    assert 50.0 < vz < 110.0  # a deep compartment: several times the extracellular fluid
    assert by["Vss"].typical == pytest.approx(bal.TYPICAL["V1"] + bal.TYPICAL["V2"])
    assert (by["CL"].bsv_cv_percent, by["V1"].bsv_cv_percent, by["V2"].bsv_cv_percent) == (
        30.0,
        30.0,
        0.0,
    )


# --- the closed-form exposure against the engine -----------------------------------------------------


@pytest.mark.parametrize("duration", [1.0, 2.0, 3.0])
def test_closed_form_is_the_engines_curve_and_peaks_at_the_end_of_the_infusion(
    duration: float,
) -> None:
    t = np.concatenate([np.arange(0.0, 72.0, 0.05), [duration]])
    t = np.unique(t)
    exact = simulate_analytic(BALIXAFORTIDE_HUMAN, infusion(DOSE_MG, duration=duration), t)
    mine = bal.concentration(t, DOSE_MG, duration)
    np.testing.assert_allclose(mine, exact.values["Cp"][0], rtol=1e-9, atol=1e-12)
    assert t[np.argmax(mine)] == duration  # Cmax at the end of the infusion (seed)
    e = bal.exposure(5.5, infusion_h=duration)
    assert e.cmax_mg_per_l == pytest.approx(mine.max(), rel=1e-12)
    assert e.auc_mg_h_per_l == pytest.approx(DOSE_MG / 5.44, rel=1e-12)
    tail = np.trapezoid(mine, t) + mine[-1] / (math.log(2) / e.half_life_h)
    assert tail == pytest.approx(e.auc_mg_h_per_l, rel=1e-4)  # trapezoids on a 3-min grid
    assert e.cmax_range[0] < e.cmax_mg_per_l < e.cmax_range[1]
    assert e.auc_range[0] < e.auc_mg_h_per_l < e.auc_range[1]


def test_bolus_and_weight_scaling() -> None:
    t = np.array([0.0, 0.5, 6.0])
    c = bal.concentration(t, 100.0, 0.0)
    assert c[0] == pytest.approx(100.0 / 14.0, rel=1e-12)  # all of a bolus in V1 at t = 0
    heavy = bal.exposure(5.5, weight_kg=90.0)
    assert heavy.dose_mg == pytest.approx(495.0)
    assert heavy.auc_mg_h_per_l == pytest.approx(495.0 / (5.44 * (90.0 / 70.0) ** 0.75))


def test_the_derived_exposure_of_the_trial_dose() -> None:
    """The numbers docs/balixafortide_pk.md and the module docstring quote."""
    e = bal.exposure(5.5, infusion_h=2.0)
    assert round(e.cmax_mg_per_l, 1) == 12.1
    assert round(e.auc_mg_h_per_l, 1) == 70.8
    assert 7.0 <= e.half_life_h <= 15.0
    # "cleared quickly after the end of the infusion": about 70 % gone 2 h after its end
    c = bal.concentration([2.0, 4.0], DOSE_MG, 2.0)
    assert 1.0 - c[1] / c[0] == pytest.approx(0.70, abs=0.01)


# --- docs/balixafortide_pk.md ---------------------------------------------------------------------


def _g(x: float) -> str:
    return f"{x:.3g}"


def doc_lines() -> list[str]:
    """The table rows of docs/balixafortide_pk.md, made from the module."""
    lines = []
    for i in bal.INPUTS:
        span = "fixed" if i.low == i.high else f"{_g(i.low)}-{_g(i.high)}"
        lines.append(f"| {i.name} | {_g(i.typical)} | {span} | {i.unit} | {i.basis} |")
    for p in bal.PARAMETERS:
        cv = f"{p.bsv_cv_percent:g} %" if p.bsv_cv_percent else "-"
        lines.append(
            f"| {p.name} | {_g(p.typical)} | {_g(p.low)}-{_g(p.high)} | {p.unit} | {cv} | "
            f"{p.basis} |"
        )
    table = bal.exposure_table(infusions_h=(1.0, 2.0, 3.0))
    for dose, rows in table.groupby("dose (mg/kg)", sort=True):
        label = f"{1000 * dose:g} ug/kg" if dose < 5 else f"{dose:g} mg/kg"
        cells = [label, f"{rows['dose (mg)'].iloc[0]:g}"]
        for r in rows.itertuples(index=False):
            cells.append(f"{_g(r[3])} ({_g(r[4])}-{_g(r[5])})")
        r = rows.iloc[0]
        cells.append(
            f"{_g(r['AUC (ug.h/mL)'])} ({_g(r['AUC low (ug.h/mL)'])}-{_g(r['AUC high (ug.h/mL)'])})"
        )
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def test_the_docs_tables_are_the_modules() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [line for line in doc_lines() if line not in text]
    assert not missing, "\n".join(missing)
    assert len(doc_lines()) == len(bal.INPUTS) + len(bal.PARAMETERS) + 6
    # the derivation's worked numbers
    for quoted in ("= 5.44 L/h", "= 80 L", "V2 = 45.8 L", "0.55 h", "(3.67-7.07 L/h)"):
        assert quoted in text, quoted
    assert "derived, not fitted" in text
    assert "[balixafortide_pk.md](balixafortide_pk.md)" in (ROOT / "docs" / "pkpd.md").read_text(
        encoding="utf-8"
    )


# --- the simulations and examples use it ----------------------------------------------------------


def test_the_population_is_centred_on_the_set() -> None:
    by = {p.name: p for p in POPULATION_PARAMETERS}
    assert [by[f"{k}_B"].value for k in ("CL", "V1", "Q2", "V2")] == list(bal.TYPICAL.values())
    assert by["CL_B"].cv_percent == bal.BSV_CV_PERCENT["CL"]
    assert by["V1_B"].cv_percent == bal.BSV_CV_PERCENT["V1"]


@cache
def single_dose() -> RegimenSimulation:
    """The regimen simulation's virtual population given one 5.5 mg/kg 2-h infusion."""
    st_ = SimulationSettings(n_patients=400, cycles=1, seed=3, step_h=0.5, band_step_h=24.0)
    return simulate_regimen(parse_schedule("balixafortide 5.5 mg/kg d1"), st_)


def _readme(folder: str) -> str:
    return (EXAMPLES / folder / "README.md").read_text(encoding="utf-8")


def _subject(z_cl: float, z_v1: float) -> dict[str, float]:
    p = dict(bal.TYPICAL)
    for name, z in (("CL", z_cl), ("V1", z_v1)):
        omega = math.sqrt(math.log(1.0 + (bal.BSV_CV_PERCENT[name] / 100.0) ** 2))
        p[name] = bal.TYPICAL[name] * math.exp(z * omega)
    return p


Z = NormalDist().inv_cdf(0.75)
SUBJECTS = {"S01": _subject(-Z, Z), "S02": _subject(Z, -Z)}  # 25th / 75th percentiles


def test_the_bioanalysis_truth_is_two_individuals_of_the_set() -> None:
    text = _readme("bioanalysis")
    ranges = {p.name: (p.low, p.high) for p in bal.PARAMETERS}
    for name, p in SUBJECTS.items():
        row = re.search(
            rf"^\| {name} \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|", text, re.M
        )
        assert row is not None, name
        cl, v1, q, v2 = (float(x) for x in row.groups())
        assert (cl, v1, q, v2) == pytest.approx((p["CL"], p["V1"], p["Q2"], p["V2"]), abs=0.006)
        for k in ("CL", "V1"):
            assert ranges[k][0] <= p[k] <= ranges[k][1]  # inside the stated uncertainty
    truth = re.findall(r"^\| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", text, re.M)
    assert len(truth) == 12
    for t, s1, s2 in truth:
        for name, value in (("S01", s1), ("S02", s2)):
            c = 1000.0 * bal.concentration([float(t)], DOSE_MG, 2.0, SUBJECTS[name])[0]
            assert float(value) == pytest.approx(c, abs=0.051), (name, t)


def test_the_bioanalysis_example_agrees_with_the_regimen_model() -> None:
    """Cmax and AUC of each subject measured in run1.csv lie in the 5-95 % band of the regimen
    simulation's population for the same dose (the LC-MS/MS example and the regimen model use
    one parameter set)."""
    data = (EXAMPLES / "bioanalysis" / "run1.csv").read_bytes()
    result = analyse(read_table_bytes(data, "run1.csv"), BioanalysisSettings(mw_g_per_mol=1864.1))
    assert result.passed
    run = single_dose()
    (cycle,) = run.cycles
    for name in SUBJECTS:
        rows = sorted(
            (i.time_h, i.concentration if i.bound == "=" else 0.0)
            for i in result.of_type("unknown")
            if i.subject == name
        )
        t = np.array([r[0] for r in rows])
        c = np.array([r[1] for r in rows]) / 1000.0  # ng/mL -> ug/mL
        assert t[np.argmax(c)] == 2.0  # end of the infusion
        lam = -np.polyfit(t[-3:], np.log(c[-3:]), 1)[0]
        auc = np.trapezoid(c, t) + c[-1] / lam  # AUC 0-inf, ug.h/mL
        assert cycle.cmax[0] <= c.max() <= cycle.cmax[2], (name, c.max(), cycle.cmax)
        assert cycle.auc[0] <= auc <= cycle.auc[2], (name, auc, cycle.auc)
        assert auc == pytest.approx(DOSE_MG / SUBJECTS[name]["CL"], rel=0.1)
    # and the regimen model's median subject is the set's typical one
    assert cycle.auc[1] == pytest.approx(bal.exposure(5.5).auc_mg_h_per_l, rel=0.1)
    assert cycle.cmax[1] == pytest.approx(bal.exposure(5.5).cmax_mg_per_l, rel=0.1)


def test_the_occupancy_course_example_is_the_typical_profile() -> None:
    frame = pd.read_csv(
        io.BytesIO((EXAMPLES / "occupancy_course" / "balixafortide_5p5_mg_kg.csv").read_bytes())
    )
    expected = 1000.0 * bal.concentration(frame["time"].to_numpy(), DOSE_MG, 2.0)
    np.testing.assert_allclose(frame["conc"].to_numpy(), expected, rtol=5e-6, atol=1e-9)
    readme = " ".join(_readme("occupancy_course").split())
    assert "CL 5.44 L/h, V1 14 L, Q 10 L/h, V2 45.8 L" in readme
