"""Units at the boundary: text with units -> mol/L, g, L; refusals name the field."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cxcr4lab.core.errors import InputError, Place, UnitError
from cxcr4lab.core.units import (
    format_molar,
    from_molar,
    molar_factor,
    to_grams,
    to_liters,
    to_molar,
)

# CXCL12 (SDF-1α, 68 residues): 7963.5 g/mol in the registry.
CXCL12_MW = 7963.5


@pytest.mark.parametrize(
    ("text", "molar"),
    [
        ("0.1nM", 1e-10),
        ("0.1 nM", 1e-10),
        ("10 µM", 1e-5),  # micro sign
        ("10 μM", 1e-5),  # Greek mu
        ("10 uM", 1e-5),
        ("3 pM", 3e-12),
        ("2.5 mM", 2.5e-3),
        ("1 M", 1.0),
        ("5 mol/L", 5.0),
        ("0 nM", 0.0),
    ],
)
def test_molar_text(text: str, molar: float) -> None:
    assert to_molar(text) == pytest.approx(molar, rel=1e-12, abs=0)


def test_number_with_separate_unit() -> None:
    assert to_molar(10, "nM") == pytest.approx(1e-8, rel=1e-12)
    assert to_molar("10", "nM") == pytest.approx(1e-8, rel=1e-12)


def test_mass_concentration_uses_molecular_weight() -> None:
    # 100 ng/mL = 1e-4 g/L; / 7963.5 g/mol = 1.2557e-8 mol/L = 12.557 nM (hand arithmetic).
    nm = to_molar("100 ng/mL", mw_g_per_mol=CXCL12_MW) / 1e-9
    assert nm == pytest.approx(1e-4 / CXCL12_MW / 1e-9, rel=1e-12)
    assert nm == pytest.approx(12.557, abs=5e-4)


def test_mass_concentration_without_mw_is_refused() -> None:
    with pytest.raises(UnitError, match="molecular weight"):
        to_molar("100 ng/mL", place=Place(file="layout.toml", well="B3"))


@pytest.mark.parametrize(
    "bad", ["5 flurbs", "nM nM nM(", "5 mL", "5 mg", "-1 nM", "nan nM", "inf nM", ""]
)
def test_bad_concentrations_name_the_place(bad: str) -> None:
    with pytest.raises(InputError) as err:
        to_molar(bad, place=Place(file="plate.toml", well="C7", column="conc"))
    assert "plate.toml" in str(err.value) and "C7" in str(err.value)


def test_number_without_unit_is_refused() -> None:
    with pytest.raises(UnitError, match="no unit"):
        to_molar(5.0)


def test_zero_can_be_refused() -> None:
    with pytest.raises(UnitError, match="> 0"):
        to_molar("0 nM", allow_zero=False)


def test_mass_and_volume() -> None:
    assert to_grams("5 mg") == pytest.approx(5e-3, rel=1e-12)
    assert to_liters("500 µL") == pytest.approx(5e-4, rel=1e-12)
    with pytest.raises(UnitError, match="not a volume"):
        to_liters("5 mg")
    with pytest.raises(UnitError, match="> 0"):
        to_grams("0 mg")


def test_factors_and_formatting() -> None:
    assert molar_factor("nM") == pytest.approx(1e-9, rel=1e-12)
    assert from_molar(2.5e-9, "nM") == pytest.approx(2.5, rel=1e-12)
    assert format_molar(2.5e-9) == "2.5 nM"
    assert format_molar(1e-10) == "100 pM"
    assert format_molar(3.16e-6) == "3.16 µM"
    assert format_molar(None) == "n/a"
    assert format_molar(0.0) == "0 M"


def test_plain_molar_units_skip_pint_and_equal_it_exactly() -> None:
    from cxcr4lab.core import units

    for unit, factor in units._PLAIN_MOLAR.items():
        _, parsed = units.parse_unit(unit)
        by_pint = units._molar_of(units.registry().Quantity(1.0, parsed), None, Place())
        assert factor == by_pint, unit
        assert molar_factor(f" {unit} ") == factor


_FACTORS = {"M": 1.0, "mM": 1e-3, "uM": 1e-6, "µM": 1e-6, "nM": 1e-9, "pM": 1e-12, "fM": 1e-15}


@given(
    value=st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False),
    unit=st.sampled_from(["M", "mM", "uM", "µM", "nM", "pM", "fM"]),
    space=st.sampled_from(["", " ", "  "]),
)
def test_parse_roundtrip(value: float, unit: str, space: str) -> None:
    # within the plausible range of a concentration (1 aM to 10 M; see tests/hostile)
    assume(1e-18 * (1 + 1e-9) <= value * _FACTORS[unit] <= 10.0 * (1 - 1e-9))
    molar = to_molar(f"{value!r}{space}{unit}")
    assert molar >= 0
    assert from_molar(molar, unit) == pytest.approx(value, rel=1e-12)


@given(molar=st.floats(min_value=1e-15, max_value=10, allow_nan=False))
def test_format_then_parse_is_close(molar: float) -> None:
    text = format_molar(molar, digits=6)
    assert math.isclose(to_molar(text.replace("µ", "u")), molar, rel_tol=1e-5)
