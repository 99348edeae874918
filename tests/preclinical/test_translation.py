"""Animal PK (preclinical.translation) and the mouse-to-human table (studies.invivo_translation).

References, none written for this project:

* the one-compartment first-order-absorption (Bateman) function and its Tmax and Cmax, and the
  two-compartment first-order-absorption triexponential (Gibaldi & Perrier, Pharmacokinetics,
  2nd ed., 1982, ch. 1-2), written out below;
* AUC = F D / CL (single dose to infinity, or one dosing day at steady state);
* the allometric law CL ~ W^0.75, V ~ W^1 applied to the project's human model;
* the seed facts ([pharmacokinetics] of seed_facts.toml): half-life 0.3-1.7 h in mouse and rat,
  35 % (mouse) and 32 % (rat) plasma protein binding;
* occupancy Cu / (Cu + Kd) = 0.9 exactly at Cu = 9 Kd, the 90 % crossings found by scipy's
  ``brentq`` on the Bateman function.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.pk import BALIXAFORTIDE_HUMAN, half_lives, terminal_half_life
from cxcr4lab.preclinical.translation import (
    BALIXAFORTIDE_MOUSE,
    BALIXAFORTIDE_RAT,
    DOCETAXEL_MOUSE,
    STUDY_BALIXAFORTIDE,
    STUDY_DOCETAXEL,
    Dosing,
    ExposureCourse,
    SpeciesPk,
    simulate_exposure,
)
from cxcr4lab.studies.invivo_translation import (
    BalixafortideTranslation,
    human_exposure,
    translate_balixafortide,
)

MW = 1864.1  # g/mol, balixafortide (compound registry)
KD = 0.15e-9  # mol/L, the project's balixafortide Kb


def bateman(t: np.ndarray, *, dose: float, f: float, ka: float, cl: float, v: float) -> np.ndarray:
    k = cl / v
    return np.asarray(f * dose * ka / (v * (ka - k)) * (np.exp(-k * t) - np.exp(-ka * t)))


@pytest.fixture(scope="module")
def table() -> BalixafortideTranslation:
    return translate_balixafortide()


# --- the species models against the seed facts and the human model -----------------------------


def test_mouse_disposition_is_the_human_model_scaled_by_allometry() -> None:
    human = {p.name: p.value for p in BALIXAFORTIDE_HUMAN.parameters}
    w = BALIXAFORTIDE_MOUSE.body_weight_kg
    cl_per_kg = human["CL"] * (w / 70.0) ** 0.75 / w
    v_per_kg = (human["V1"] + human["V2"]) / 70.0
    assert BALIXAFORTIDE_MOUSE.cl_l_per_h_kg == pytest.approx(cl_per_kg, rel=0.01)
    assert BALIXAFORTIDE_MOUSE.v1_l_per_kg == pytest.approx(v_per_kg, rel=0.01)
    # the human distribution phase scales far below the absorption phase: one compartment
    alpha = math.log(2) / half_lives(BALIXAFORTIDE_HUMAN)[1] * (70.0 / w) ** 0.25
    assert math.log(2) / alpha < 0.1 < math.log(2) / BALIXAFORTIDE_MOUSE.ka_per_h + 0.05


@pytest.mark.parametrize("pk", [BALIXAFORTIDE_MOUSE, BALIXAFORTIDE_RAT], ids=lambda p: p.species)
def test_half_life_and_binding_match_the_seed_facts(pk: SpeciesPk) -> None:
    t = np.arange(14.0, 22.0, 0.5)  # dose at 8 h; long after absorption (ka >= 3 /h)
    once = Dosing("balixafortide", 20.0, "sc", "once", (0,))
    c = np.asarray(simulate_exposure(pk, once, t).total_mg_per_l)
    slope = np.polyfit(t, np.log(c), 1)[0]  # measured from the curve, not the eigenvalue
    assert 0.3 <= math.log(2) / -slope <= 1.7
    assert math.log(2) / -slope == pytest.approx(pk.terminal_half_life_h, rel=1e-6)
    assert pk.fu == {"mouse": 0.65, "rat": 0.68}[pk.species]


def test_rat_allometry_would_leave_the_seed_range() -> None:
    """Why the rat half-life is set, not scaled: allometry gives 1.86 h (> 1.7 h)."""
    human = {p.name: p.value for p in BALIXAFORTIDE_HUMAN.parameters}
    scaled = terminal_half_life(BALIXAFORTIDE_HUMAN) * (0.25 / 70.0) ** 0.25
    assert scaled > 1.7
    w = BALIXAFORTIDE_RAT.body_weight_kg  # the one-compartment scaling the mouse gets
    vss, cl = (human["V1"] + human["V2"]) * w / 70.0, human["CL"] * (w / 70.0) ** 0.75
    one_cmt = math.log(2) * vss / cl
    assert one_cmt == pytest.approx(1.86, abs=0.01)
    assert BALIXAFORTIDE_RAT.v1_l_per_kg == BALIXAFORTIDE_MOUSE.v1_l_per_kg
    assert human["CL"] > 0 and BALIXAFORTIDE_RAT.terminal_half_life_h == pytest.approx(1.7, 1e-2)


# --- the ODE engine against closed forms --------------------------------------------------------


def test_single_sc_dose_is_the_bateman_function() -> None:
    pk = BALIXAFORTIDE_MOUSE
    once = Dosing("balixafortide", 20.0, "sc", "once", (0,))
    t = np.arange(0.0, 24.0, 0.05)
    course = simulate_exposure(pk, once, t)
    expected = bateman(
        t - 8.0, dose=20.0, f=0.9, ka=pk.ka_per_h, cl=pk.cl_l_per_h_kg, v=pk.v1_l_per_kg
    )
    expected[t < 8.0] = 0.0
    np.testing.assert_allclose(course.total_mg_per_l, expected, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(course.unbound_mg_per_l, 0.65 * expected, rtol=1e-7, atol=1e-10)
    k = pk.cl_l_per_h_kg / pk.v1_l_per_kg
    tmax = math.log(pk.ka_per_h / k) / (pk.ka_per_h - k)
    cmax = 0.9 * 20.0 / pk.v1_l_per_kg * math.exp(-k * tmax)  # Cmax = F D / V e^(-k tmax)
    assert tmax == pytest.approx(0.4662, abs=1e-3)  # ka 5 /h, k 0.662 /h
    assert max(course.total_mg_per_l) == pytest.approx(cmax, rel=1e-3)  # 0.05 h grid
    # AUC(0-T) = F D / CL (1 - (ka e^(-kT) - k e^(-ka T)) / (ka - k)), T = 16 h after the dose
    ka, big_t = pk.ka_per_h, t[-1] - 8.0
    left = (ka * math.exp(-k * big_t) - k * math.exp(-ka * big_t)) / (ka - k)
    auc = 0.65 * 0.9 * 20.0 / pk.cl_l_per_h_kg * (1 - left)
    assert course.auc_unbound[-1] == pytest.approx(auc, rel=1e-8)


def test_docetaxel_ip_is_the_two_compartment_absorption_triexponential() -> None:
    pk = DOCETAXEL_MOUSE
    once = Dosing("docetaxel", 5.0, "ip", "once", (0,))
    t = np.arange(8.0, 80.0, 0.25)
    c = np.asarray(simulate_exposure(pk, once, t).total_mg_per_l)
    k10, k12 = pk.cl_l_per_h_kg / pk.v1_l_per_kg, pk.q_l_per_h_kg / pk.v1_l_per_kg
    k21 = pk.q_l_per_h_kg / pk.v2_l_per_kg
    s = k10 + k12 + k21
    alpha = (s + math.sqrt(s * s - 4 * k10 * k21)) / 2
    beta = (s - math.sqrt(s * s - 4 * k10 * k21)) / 2
    ka, x = pk.ka_per_h, t - 8.0
    expected = (ka * 5.0 / pk.v1_l_per_kg) * (
        (k21 - alpha) / ((ka - alpha) * (beta - alpha)) * np.exp(-alpha * x)
        + (k21 - beta) / ((ka - beta) * (alpha - beta)) * np.exp(-beta * x)
        + (k21 - ka) / ((alpha - ka) * (beta - ka)) * np.exp(-ka * x)
    )
    np.testing.assert_allclose(c, expected, rtol=1e-7, atol=1e-12)
    assert pk.half_lives_h() == pytest.approx((math.log(2) / beta, math.log(2) / alpha))


def test_docetaxel_exposure_matches_the_literature_constraints() -> None:
    """AUC at 10 mg/kg near the patients' 4.6 ug.h/mL at the MTD (van Tellingen 1999, the
    label); i.p. F = 1 (Shimada 2005); AUC per weekly 5 mg/kg dose = 5 / 2.2 mg.h/L."""
    assert 10.0 / DOCETAXEL_MOUSE.cl_l_per_h_kg == pytest.approx(4.6, rel=0.05)
    course = simulate_exposure(DOCETAXEL_MOUSE, STUDY_DOCETAXEL, np.linspace(0, 30 * 24, 3))
    total = course.auc_unbound[-1] / DOCETAXEL_MOUSE.fu
    assert total == pytest.approx(4 * 5.0 / 2.2, rel=1e-3)  # 4 doses, tails nearly complete


def test_bid_day_at_steady_state_has_the_auc_of_two_doses() -> None:
    course = simulate_exposure(BALIXAFORTIDE_MOUSE, STUDY_BALIXAFORTIDE, np.arange(0, 200, 0.5))
    day = course.auc_unbound_between(168.0, 192.0)
    assert day == pytest.approx(2 * 0.65 * 0.9 * 20.0 / BALIXAFORTIDE_MOUSE.cl_l_per_h_kg, rel=1e-9)


# --- the translation table ----------------------------------------------------------------------


def test_mouse_row_against_closed_forms(table: BalixafortideTranslation) -> None:
    row = table.row("mouse 20 mg/kg s.c. BID")
    pk = BALIXAFORTIDE_MOUSE
    auc = 2 * 0.65 * 0.9 * 20.0 / pk.cl_l_per_h_kg  # mg.h/L per day
    assert row.auc_unbound_ng_h_per_ml_per_day == pytest.approx(1000 * auc, rel=1e-6)
    assert row.auc_unbound_nM_h_per_day == pytest.approx(auc / MW * 1e6, rel=1e-6)
    k = pk.cl_l_per_h_kg / pk.v1_l_per_kg
    tmax = math.log(pk.ka_per_h / k) / (pk.ka_per_h - k)
    carry = math.exp(-k * 12) / (1 - math.exp(-k * 12))  # doses before, at steady state
    cmax = 0.65 * 0.9 * 20.0 / pk.v1_l_per_kg * math.exp(-k * tmax)
    assert row.cmax_unbound_ng_per_ml == pytest.approx(1000 * cmax * (1 + carry), rel=2e-3)
    assert row.hours_above_target_per_day == pytest.approx(24.0)  # trough 2 ng/mL > 9 Kd


def test_short_half_life_row_against_brentq_crossings(table: BalixafortideTranslation) -> None:
    pk = BALIXAFORTIDE_MOUSE.with_half_life(0.3)
    row = table.row("mouse 20 mg/kg s.c. BID, t1/2 0.3 h")
    c90 = 9 * KD * MW * 1000 / 0.65  # total mg/L where Cu = 9 Kd (occupancy exactly 0.9)

    def excess(x: float) -> float:
        return float(
            bateman(np.array(x), dose=20.0, f=0.9, ka=5.0, cl=pk.cl_l_per_h_kg, v=pk.v1_l_per_kg)
            - c90
        )

    k = pk.cl_l_per_h_kg / pk.v1_l_per_kg
    tmax = math.log(5.0 / k) / (5.0 - k)
    hours = brentq(excess, tmax, 12.0, xtol=1e-12) - brentq(excess, 1e-9, tmax, xtol=1e-12)
    assert math.exp(-k * 12) < 1e-11  # no carry-over between doses 12 h apart
    assert row.hours_above_target_per_day == pytest.approx(2 * hours, abs=2e-3)
    assert row.half_life_h == pytest.approx(0.3)
    assert (
        0
        < row.hours_above_target_per_day
        < table.row("mouse 20 mg/kg s.c. BID").hours_above_target_per_day
    )


def test_human_rows_against_closed_forms(table: BalixafortideTranslation) -> None:
    human = {p.name: p.value for p in BALIXAFORTIDE_HUMAN.parameters}
    dose = 5.5 * 70.0  # mg per 2-h infusion, days 1-3 and 8-10 of 21
    cycle = table.row("human 5.5 mg/kg 2-h IV infusion", "21-day cycle, mean day")
    expected = 6 * dose / human["CL"] * 0.68 / 21  # mg.h/L per day (tails after day 21 ~ 0)
    assert cycle.auc_unbound_ng_h_per_ml_per_day == pytest.approx(1000 * expected, rel=1e-5)
    # RO >= 90 % for 61 % of the cycle, as docs/pkpd.md reports for the population median
    assert cycle.hours_above_target_per_day / 24 == pytest.approx(0.609, abs=0.01)
    day3 = table.row("human 5.5 mg/kg 2-h IV infusion", "dosing day 3")
    assert day3.hours_above_target_per_day == pytest.approx(24.0)
    t, c, _ = human_exposure()
    in_day3 = (t >= 48.0) & (t <= 72.0)
    assert day3.cmax_unbound_nM == pytest.approx(0.68 * c[in_day3].max() / MW * 1e6, rel=1e-9)
    assert c[in_day3].argmax() == np.argmin(np.abs(t[in_day3] - 50.0))  # end of the infusion
    assert day3.half_life_h == pytest.approx(terminal_half_life(BALIXAFORTIDE_HUMAN))


def test_table_and_plot_data_carry_units(table: BalixafortideTranslation) -> None:
    frame = table.table()
    assert len(frame) == 6
    assert {
        "unbound Cmax (nM)",
        "unbound AUC (nM·h/day)",
        "time ≥ 90 % RO (h/day)",
        "t1/2 (h)",
    } <= set(frame.columns)
    courses = table.occupancy_courses()
    assert set(courses["regimen"]) == {
        "mouse 20 mg/kg s.c. BID",
        "human 5.5 mg/kg 2-h IV infusion",
    }
    assert courses["time after first dose (h)"].max() == pytest.approx(72.0)
    assert courses["occupancy (%)"].between(0, 100).all()
    assert "SIMULATED" in table.note


def test_results_round_trip_through_json(table: BalixafortideTranslation) -> None:
    assert BalixafortideTranslation.from_dict(table.to_dict()) == table
    course = simulate_exposure(BALIXAFORTIDE_MOUSE, STUDY_BALIXAFORTIDE, [0.0, 33.0, 40.0])
    assert ExposureCourse.from_dict(course.to_dict()) == course


# --- bad input: one InputError naming the place ---------------------------------------------------


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: SpeciesPk("x", "mouse", 0.025, 0.1, 0.2, 5.0, 0.9, fu=1.5), "fu"),
        (lambda: SpeciesPk("x", "mouse", 0.025, -0.1, 0.2, 5.0, 0.9, fu=0.5), "cl_l_per_h_kg"),
        (lambda: SpeciesPk("x", "mouse", 0.025, 0.1, 0.2, 5.0, 0.9, 0.5, q_l_per_h_kg=1.0), "v2"),
        (lambda: SpeciesPk("x", "mouse", 0.025, 0.1, 0.2, 5.0, 0.9, 0.5, route="po"), "route"),  # type: ignore[arg-type]
        (lambda: Dosing("docetaxel", 5.0, "ip", "weekly", (8, 1)), "days"),
        (lambda: Dosing("docetaxel", 0.0, "ip", "weekly", (1,)), "dose"),
        (lambda: Dosing("docetaxel", 5.0, "ip", "monthly", (1,)), "schedule"),  # type: ignore[arg-type]
        (lambda: simulate_exposure(DOCETAXEL_MOUSE, STUDY_BALIXAFORTIDE, [0.0, 1.0]), "drug"),
        (lambda: translate_balixafortide(kd_molar=0.0), "kd"),
        (lambda: translate_balixafortide(target=1.2), "target"),
        (lambda: translate_balixafortide(steady_day=30), "steady_day"),
    ],
)
def test_bad_input_names_the_place(make: object, field: str) -> None:
    with pytest.raises(InputError) as err:
        make()  # type: ignore[operator]
    assert field in str(err.value)
