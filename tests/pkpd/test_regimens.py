"""Regimens: BSA formulas against their published forms, dose parsing, schedules, events."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxcr4lab.core.errors import InputError, NotFoundError, UnitError
from cxcr4lab.pkpd.regimens import (
    EVENT_COLUMNS,
    DoseSpec,
    DrugDosing,
    Regimen,
    available_regimens,
    bsa,
    bsa_dubois,
    bsa_mosteller,
    dose_mg,
    load_regimen,
    parse_dose,
    regimen_events,
)

heights = st.floats(100.0, 210.0)
weights = st.floats(30.0, 180.0)


def test_mosteller_worked_value() -> None:
    # Mosteller, N Engl J Med 1987;317:1098: BSA = sqrt(cm * kg / 3600); 180 cm, 80 kg -> 2 m^2.
    assert bsa_mosteller(height_cm=180.0, weight_kg=80.0) == pytest.approx(2.0, rel=1e-12)
    # 160 cm, 90 kg -> sqrt(4) = 2; 150 cm, 24 kg -> sqrt(1) = 1
    assert bsa_mosteller(height_cm=160.0, weight_kg=90.0) == pytest.approx(2.0, rel=1e-12)
    assert bsa_mosteller(height_cm=150.0, weight_kg=24.0) == pytest.approx(1.0, rel=1e-12)


@given(heights, weights)
def test_mosteller_matches_the_published_inch_pound_form(h: float, w: float) -> None:
    # Mosteller's letter also gives BSA = sqrt(in * lb / 3131). The exact conversion of 3600
    # cm*kg is 3124.7 in*lb, so the published form reads 0.1 % low: tolerance 1.5e-3.
    inches, pounds = h / 2.54, w / 0.45359237
    assert bsa_mosteller(height_cm=h, weight_kg=w) == pytest.approx(
        math.sqrt(inches * pounds / 3131.0), rel=1.5e-3
    )


@given(heights, weights)
def test_dubois_matches_the_published_metre_form(h: float, w: float) -> None:
    # DuBois & DuBois 1916 in metres: 0.20247 * H(m)^0.725 * W(kg)^0.425 (0.007184 * 100^0.725).
    assert bsa_dubois(height_cm=h, weight_kg=w) == pytest.approx(
        0.20247 * (h / 100) ** 0.725 * w**0.425, rel=2e-5
    )


def test_dubois_and_mosteller_agree_for_an_average_adult() -> None:
    # Both give about 1.8 m^2 for 170 cm / 70 kg and differ by < 1.5 % (Verbraecken 2006).
    a = bsa("dubois", height_cm=170.0, weight_kg=70.0)
    b = bsa("mosteller", height_cm=170.0, weight_kg=70.0)
    assert 1.75 < a < 1.85
    assert abs(a - b) / b < 0.015


def test_bsa_bad_input() -> None:
    with pytest.raises(InputError, match="HT"):
        bsa_mosteller(height_cm=-1.0, weight_kg=70.0)
    with pytest.raises(InputError, match="WT"):
        bsa_dubois(height_cm=170.0, weight_kg=float("nan"))
    with pytest.raises(InputError, match="bsa_method"):
        bsa("haycock", height_cm=170.0, weight_kg=70.0)


@pytest.mark.parametrize(
    ("text", "amount", "basis"),
    [
        ("5.5 mg/kg", 5.5, "mg/kg"),
        ("500 ug/kg", 0.5, "mg/kg"),
        ("1.4 mg/m^2", 1.4, "mg/m^2"),
        ("1400 ug/m**2", 1.4, "mg/m^2"),
        ("100 mg", 100.0, "mg"),
        ("0.2 g", 200.0, "mg"),
    ],
)
def test_parse_dose(text: str, amount: float, basis: str) -> None:
    spec = parse_dose(text)
    assert spec.basis == basis
    assert spec.amount == pytest.approx(amount, rel=1e-12)


@pytest.mark.parametrize("text", ["5 mL", "3 %", "5 mg/L", "2 h", "5 mg/kg/h"])
def test_parse_dose_refuses_other_units(text: str) -> None:
    with pytest.raises(UnitError, match="not a dose"):
        parse_dose(text)


def test_parse_dose_refuses_unreadable_and_negative() -> None:
    with pytest.raises(UnitError, match=r"^dose: cannot read"):
        parse_dose("lots mg")
    with pytest.raises(InputError):
        parse_dose("-1 mg/kg")


def test_dose_mg_needs_the_right_body_size() -> None:
    assert dose_mg(DoseSpec(5.5, "mg/kg"), weight_kg=70.0) == pytest.approx(385.0)
    assert dose_mg(DoseSpec(1.4, "mg/m^2"), bsa_m2=2.0) == pytest.approx(2.8)
    assert dose_mg(DoseSpec(100.0, "mg")) == 100.0
    with pytest.raises(InputError, match="WT"):
        dose_mg(DoseSpec(5.5, "mg/kg"))
    with pytest.raises(InputError, match="HT"):
        dose_mg(DoseSpec(1.4, "mg/m^2"), weight_kg=70.0)


def test_trial_regimen_from_the_shipped_file() -> None:
    assert "balixafortide_eribulin" in available_regimens()
    reg = Regimen.balixafortide_eribulin()
    assert reg.cycle_days == 21
    bali, eri = reg.drug("balixafortide"), reg.drug("eribulin")
    assert (bali.dose, bali.days, bali.infusion_h, bali.cmt) == (
        DoseSpec(5.5, "mg/kg"),
        (1, 2, 3, 8, 9, 10),
        2.0,
        1,
    )
    assert (eri.dose, eri.days, eri.is_bolus, eri.cmt) == (DoseSpec(1.4, "mg/m^2"), (2, 9), True, 2)
    assert Regimen.from_dict(reg.to_dict()) == reg
    assert list(reg.summary()["drug"]) == ["balixafortide", "eribulin"]
    with pytest.raises(NotFoundError):
        load_regimen("nope")
    with pytest.raises(NotFoundError):
        reg.drug("docetaxel")


def test_regimen_events_for_two_subjects_and_two_cycles() -> None:
    reg = Regimen.balixafortide_eribulin()
    subjects = pd.DataFrame({"ID": [7, 3], "WT": [60.0, 90.0], "HT": [160.0, 175.0]})
    ev = regimen_events(reg, subjects, cycles=2)
    assert tuple(ev.columns) == EVENT_COLUMNS
    assert len(ev) == 2 * 2 * (6 + 2)
    assert list(dict.fromkeys(ev["ID"])) == [7, 3]  # subject order kept
    s7 = ev[ev["ID"] == 7]
    bali = s7[s7["DRUG"] == "balixafortide"]
    eri = s7[s7["DRUG"] == "eribulin"]
    days = [1, 2, 3, 8, 9, 10]
    expected = [24.0 * (d - 1) for d in days] + [24.0 * (21 + d - 1) for d in days]
    assert list(bali["TIME"]) == expected
    assert bali["AMT"].tolist() == pytest.approx([5.5 * 60.0] * 12)
    assert bali["RATE"].tolist() == pytest.approx([5.5 * 60.0 / 2.0] * 12)  # 2 h infusion
    assert list(eri["TIME"]) == [24.0, 192.0, 528.0, 696.0]
    area = math.sqrt(160.0 * 60.0 / 3600.0)
    assert eri["AMT"].tolist() == pytest.approx([1.4 * area] * 4)
    assert (eri["RATE"] == 0).all() and (eri["CMT"] == 2).all() and (bali["CMT"] == 1).all()
    assert (ev["EVID"] == 1).all() and (ev["ADDL"] == 0).all() and (ev["II"] == 0).all()
    assert ev.groupby("ID", sort=False)["TIME"].apply(lambda t: t.is_monotonic_increasing).all()


def test_compressed_records_expand_to_the_explicit_ones() -> None:
    reg = Regimen.balixafortide_eribulin()
    subjects = pd.DataFrame({"ID": [1, 2], "WT": [60.0, 90.0], "HT": [160.0, 175.0]})
    full = regimen_events(reg, subjects, cycles=3)
    short = regimen_events(reg, subjects, cycles=3, expand=False)
    assert len(short) == 2 * 8
    assert (short["II"] == 504.0).all() and (short["ADDL"] == 2).all()
    rows = [
        {**r, "TIME": r["TIME"] + k * r["II"], "II": 0.0, "ADDL": 0}
        for r in short.to_dict("records")
        for k in range(int(r["ADDL"]) + 1)
    ]
    again = pd.DataFrame(rows).sort_values(["ID", "TIME", "CMT"], kind="stable")
    pd.testing.assert_frame_equal(again.reset_index(drop=True), full, check_dtype=False)
    one = regimen_events(reg, subjects, cycles=1, expand=False)
    assert (one["II"] == 0).all() and (one["ADDL"] == 0).all()


def test_dubois_regimen_uses_dubois() -> None:
    reg = Regimen.from_dict({**Regimen.balixafortide_eribulin().to_dict(), "bsa_method": "dubois"})
    ev = regimen_events(reg, pd.DataFrame({"ID": [1], "WT": [70.0], "HT": [170.0]}), cycles=1)
    eri = ev[ev["DRUG"] == "eribulin"]["AMT"].iloc[0]
    assert eri == pytest.approx(1.4 * 0.007184 * 70.0**0.425 * 170.0**0.725)


def test_missing_weight_for_mg_per_kg_names_the_row() -> None:
    reg = Regimen.balixafortide_eribulin()
    with pytest.raises(InputError, match=r"row 2.*WT"):
        regimen_events(
            reg, pd.DataFrame({"ID": [1, 2], "WT": [70.0, None], "HT": [160, 170]}), cycles=1
        )
    with pytest.raises(InputError, match="WT"):
        regimen_events(reg, pd.DataFrame({"ID": [1], "HT": [160]}), cycles=1)
    with pytest.raises(InputError, match="HT"):
        regimen_events(reg, pd.DataFrame({"ID": [1], "WT": [70.0]}), cycles=1)
    with pytest.raises(InputError, match="listed twice"):
        regimen_events(reg, pd.DataFrame({"ID": [1, 1], "WT": [70, 70], "HT": [1, 1]}), cycles=1)
    with pytest.raises(InputError, match="cycles"):
        regimen_events(reg, pd.DataFrame({"ID": [1], "WT": [70.0], "HT": [160]}), cycles=0)


def test_flat_dose_needs_no_body_size() -> None:
    reg = Regimen("flat", 7, (DrugDosing("x", DoseSpec(10.0, "mg"), (1, 4)),))
    ev = regimen_events(reg, pd.DataFrame({"ID": [1]}), cycles=3)
    assert ev["TIME"].tolist() == [0.0, 72.0, 168.0, 240.0, 336.0, 408.0]


def test_bad_regimens() -> None:
    dose = DoseSpec(1.0, "mg")
    with pytest.raises(InputError, match="overlap"):
        Regimen("r", 7, (DrugDosing("a", dose, (1, 2), infusion_h=30.0),))
    with pytest.raises(InputError, match="overlap"):  # two drugs, one compartment
        Regimen(
            "r",
            7,
            (
                DrugDosing("a", dose, (1,), infusion_h=2.0),
                DrugDosing("b", dose, (1,), time_of_day_h=1.0),
            ),
        )
    with pytest.raises(InputError, match="overlap"):  # last infusion runs into the next cycle
        Regimen("r", 2, (DrugDosing("a", dose, (2,), infusion_h=50.0),))
    with pytest.raises(InputError, match="after the end"):
        Regimen("r", 7, (DrugDosing("a", dose, (8,)),))
    with pytest.raises(InputError, match="1-based"):
        DrugDosing("a", dose, (0, 1))
    with pytest.raises(InputError, match="increasing"):
        DrugDosing("a", dose, (2, 1))
    with pytest.raises(InputError, match="cmt"):
        DrugDosing("a", dose, (1,), cmt=0)
    with pytest.raises(InputError, match="infusion_h"):
        DrugDosing("a", dose, (1,), infusion_h=-1.0)
    with pytest.raises(InputError, match="twice"):
        Regimen("r", 7, (DrugDosing("a", dose, (1,)), DrugDosing("a", dose, (2,), cmt=2)))
    with pytest.raises(InputError, match="not a dose"):
        Regimen.from_dict(
            {"name": "r", "cycle_days": 7, "drugs": [{"drug": "a", "dose": "5 mL", "days": [1]}]}
        )
