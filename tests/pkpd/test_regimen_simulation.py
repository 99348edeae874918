"""Population simulation of a regimen: references, invariants, bad input, round trip.

Published comparisons (loose: the model is not fitted to them):
- EMBRACE (Cortes et al., Lancet 2011): eribulin 1.4 mg/m^2 days 1 and 8 of 21, grade 3-4
  neutropenia in 45 % of patients (grade 3 21 %, grade 4 24 %);
- Phase 1b expanded cohort (seed_facts.toml [trial.phase1b]): balixafortide 5.5 mg/kg +
  eribulin, grade 3/4 neutropenia in 9 of 24 patients.
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.balixafortide import TYPICAL, concentration
from cxcr4lab.pkpd.comparison import parse_schedule
from cxcr4lab.pkpd.mobilization import fit_mobilization
from cxcr4lab.pkpd.occupancy_model import OccupancyModel, time_above
from cxcr4lab.pkpd.regimen_simulation import (
    DEFAULT_KD_MOLAR,
    RegimenSimulation,
    SimulationSettings,
    assumption_notes,
    cd34_link,
    course_arrays,
    proportion_ci,
    simulate_regimen,
    time_above_rows,
    virtual_population,
)
from cxcr4lab.pkpd.regimens import Regimen
from cxcr4lab.workflows import result_types

SMALL = SimulationSettings(n_patients=40, cycles=2, seed=7)


@lru_cache(maxsize=1)
def trial_run() -> RegimenSimulation:
    return simulate_regimen(settings=SimulationSettings(n_patients=200, cycles=6))


def _arrays(text: str, st_: SimulationSettings = SMALL) -> tuple[pd.DataFrame, object]:
    pop = virtual_population(st_)
    occ = OccupancyModel.for_compound("balixafortide", kd_molar=st_.kd_molar)
    arr = course_arrays(parse_schedule(text), pop, st_, link=cd34_link(), occupancy=occ)
    return pop, arr


def test_occupancy_is_the_closed_form_of_the_unbound_concentration() -> None:
    _, arr = _arrays("balixafortide 5.5 mg/kg d1-3,8-10")
    cu = 0.68 * arr.cp * 1e-3 / 1864.1  # ug/mL -> mol/L unbound (fu 0.68, MW 1864.1 g/mol)
    np.testing.assert_allclose(arr.ro, cu / (cu + 0.15e-9), rtol=1e-10, atol=1e-15)
    assert DEFAULT_KD_MOLAR == 0.15e-9


def test_auc_per_cycle_is_dose_over_clearance_and_cmax_is_dose_proportional() -> None:
    pop, arr = _arrays("balixafortide 5.5 mg/kg d1-3,8-10")
    _, low = _arrays("balixafortide 2 mg/kg d1-3,8-10")
    end1 = int(np.flatnonzero(arr.t <= 504.0)[-1])
    expected = 6 * 5.5 * pop["WT"].to_numpy() / pop["CL_B"].to_numpy()  # mg·h/L = ug·h/mL
    # the slowest patients still hold < 0.01 % of the dose at 504 h (terminal tail)
    np.testing.assert_allclose(arr.auc[:, end1], expected, rtol=2e-4)
    assert np.median(np.abs(arr.auc[:, end1] / expected - 1)) < 1e-8
    np.testing.assert_allclose(arr.cp.max(axis=1) / low.cp.max(axis=1), 5.5 / 2.0, rtol=1e-9)
    # Cmax at the end of an infusion (seed facts): the peak sits at 2 h, 26 h or 50 h
    peak_t = arr.t[np.argmax(arr.cp[:, : end1 + 1], axis=1)] % 24.0
    assert np.all(peak_t == 2.0)


def test_cd34_link_reproduces_the_single_dose_peaks_it_was_built_from() -> None:
    mob = fit_mobilization()
    link = cd34_link(mob)
    pop = virtual_population(SimulationSettings(n_patients=1, cycles=1))
    b = TYPICAL  # the link is built for the typical 70-kg subject of the set
    typical = pop.assign(WT=70.0, CL_B=b["CL"], V1_B=b["V1"], Q2_B=b["Q2"], V2_B=b["V2"])
    occ = OccupancyModel.for_compound("balixafortide", kd_molar=0.15e-9)
    st_ = SimulationSettings(n_patients=1, cycles=1, step_h=0.01, band_step_h=0.01)
    for dose in (500, 1000, 2500):
        reg = parse_schedule(f"balixafortide {dose} ug/kg d1")
        arr = course_arrays(reg, typical, st_, link=link, occupancy=occ)
        assert arr.cd34.max() == pytest.approx(float(mob.predict([dose])[0]), rel=1e-4)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=30), st.floats(0.05, 0.95))
def test_time_above_rows_is_time_above(values: list[float], threshold: float) -> None:
    t = np.cumsum(np.linspace(0.5, 1.5, len(values)))
    got = time_above_rows(t, np.array([values, values[::-1]]), threshold)
    # time_above itself runs on time_above_rows: the reference is a plain per-segment loop
    assert got[0] == pytest.approx(_time_above_loop(t, values, threshold), abs=1e-12)
    assert got[1] == pytest.approx(_time_above_loop(t, values[::-1], threshold), abs=1e-12)
    assert time_above(t, values, threshold) == got[0]


def _time_above_loop(t: np.ndarray, y: list[float], threshold: float) -> float:
    total = 0.0
    for t0, t1, y0, y1 in zip(t[:-1], t[1:], y[:-1], y[1:], strict=True):
        if y0 >= threshold and y1 >= threshold:
            total += t1 - t0
        elif y0 >= threshold or y1 >= threshold:
            tc = t0 + (threshold - y0) * (t1 - t0) / (y1 - y0)
            total += (t1 - tc) if y1 >= threshold else (tc - t0)
    return total


def test_assumption_notes_quote_the_model_constants() -> None:
    text = " ".join(assumption_notes(SimulationSettings()))
    # BALIXAFORTIDE_HUMAN (pkpd.pk): CL 5.44 L/h, V1 14 L, Q2 10 L/h, V2 45.8 L -> t1/2 10.24 h
    assert "CL 5.44 L/h (fu x GFR plus a small non-renal share), V1 14 L" in text
    assert "Q 10 L/h, V2 45.8 L: terminal half-life 10.2 h" in text
    assert "CV 30 % on CL and 30 % on V1" in text and "docs/balixafortide_pk.md" in text
    assert "(fu 0.68)" in text and "Kd 0.15 nM" in text


def test_proportion_ci_is_clopper_pearson() -> None:
    from scipy.stats import beta

    k, n = 9, 24  # R: binom.test(9, 24)$conf.int
    lo, hi = proportion_ci(k, n)
    assert lo == pytest.approx(beta.ppf(0.025, k, n - k + 1), rel=1e-9)
    assert hi == pytest.approx(beta.ppf(0.975, k + 1, n - k), rel=1e-9)
    assert (round(lo, 4), round(hi, 4)) == (0.188, 0.5941)


def test_eribulin_monotherapy_against_embrace() -> None:
    run = simulate_regimen(
        parse_schedule("eribulin 1.4 mg/m^2 d1,8"), SimulationSettings(n_patients=200, cycles=6)
    )
    lo, hi = run.p_grade3_ci()
    assert lo <= 0.45 <= hi  # EMBRACE grade 3-4: 45 %
    lo4, hi4 = run.p_grade4_ci()
    assert lo4 <= 0.24 <= hi4  # EMBRACE grade 4: 24 %
    assert run.bands["RO"][1] == pytest.approx((0.0,) * len(run.times_h))


def test_trial_regimen_against_the_phase1b_cohort() -> None:
    run = trial_run()
    lo, hi = proportion_ci(9, 24)  # grade 3/4 neutropenia, expanded cohort
    assert lo <= run.overall.p_grade3 <= hi
    # balixafortide 5.5 mg/kg: Cmax at the end of the 2-h infusion, dose-linear, t1/2 10.2 h;
    # the median patient's peak (third daily infusion) is the typical subject's of the set
    t = np.arange(0.0, 72.0, 0.01)
    typical = sum(concentration(t - 24.0 * k, 5.5 * 70.0, 2.0) for k in range(3))
    assert run.overall.cmax[1] == pytest.approx(typical.max(), rel=0.05)  # 12.8 ug/mL
    assert run.overall.above[1] > 50.0  # % of the course with RO >= 90 %
    assert run.overall.cd34_peak[1] == pytest.approx(fit_mobilization().asymptote, rel=0.01)
    assert set(run.bands) == {"Cp", "RO", "CD34", "ANC"}
    assert all(len(b) == len(run.times_h) for v in run.bands.values() for b in v)
    assert run.notes[0].startswith("SIMULATED")
    assert any("derived from physiology and the seed facts" in n for n in run.notes)


def test_round_trip_and_summary() -> None:
    run = simulate_regimen(settings=SMALL)
    back = RegimenSimulation.from_dict(json.loads(json.dumps(run.to_dict())))
    assert back.to_dict() == run.to_dict()
    assert result_types()["regimen_simulation"] is RegimenSimulation
    frame = run.summary()
    assert frame["cycle"].tolist() == ["1", "2", "all"]
    assert "nadir ANC median (10^9/L)" in frame.columns and "Cmax median (µg/mL)" in frame.columns
    assert len(run.patient_frame()) == 40
    assert run.band_frame("ANC").shape[1] == 5
    with pytest.raises(InputError, match="no band"):
        run.band_frame("nope")


def test_seed_makes_it_reproducible() -> None:
    a = simulate_regimen(settings=SMALL).to_dict()
    b = simulate_regimen(settings=SMALL).to_dict()
    assert a == b


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_patients": 0}, "patients"),
        ({"cycles": -1}, "cycles"),
        ({"target": 1.5}, "target"),
        ({"kd_molar": 0.0}, "kd"),
        ({"keo_half_life_h": float("nan")}, "keo half-life"),
        ({"band_step_h": 1.5}, "band step"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(InputError) as err:
        SimulationSettings(**kwargs)  # type: ignore[arg-type]
    assert err.value.place.field == field


def test_unknown_drug_and_missing_weight() -> None:
    trial = Regimen.balixafortide_eribulin()
    from dataclasses import replace

    other = replace(trial, drugs=(replace(trial.drugs[0], drug="docetaxel"),))
    with pytest.raises(InputError, match="unknown drug 'docetaxel'"):
        simulate_regimen(other, SMALL)
    no_weight = pd.DataFrame({"ID": [1, 2], "HT": [160.0, 170.0]})
    with pytest.raises(InputError) as err:
        simulate_regimen(trial, SMALL, covariates=no_weight)
    assert err.value.place.column == "WT" and "mg/kg" in str(err.value)
    bad_weight = pd.DataFrame({"ID": [1, 2], "WT": [60.0, -1.0], "HT": [160.0, 170.0]})
    with pytest.raises(InputError) as err:
        simulate_regimen(trial, SMALL, covariates=bad_weight)
    assert err.value.place.row == 3 and err.value.place.column == "WT"


def test_too_big_a_run_is_refused_before_it_starts() -> None:
    with pytest.raises(InputError, match="fewer patients") as err:
        simulate_regimen(settings=SimulationSettings(n_patients=5000, cycles=6))
    assert err.value.place.field == "patients"


def test_given_covariates_are_used() -> None:
    cov = pd.DataFrame({"ID": [10, 11, 12], "WT": [50.0, 70.0, 90.0], "HT": [155.0, 165.0, 175]})
    run = simulate_regimen(settings=SMALL, covariates=cov, covariates_source="three.csv")
    assert run.patient_ids == ("10", "11", "12") and run.n_patients == 3
    assert run.patient_frame()["ID"].tolist() == ["10", "11", "12"]
    assert run.covariates_source == "three.csv"
