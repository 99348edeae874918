"""Stock solutions and serial dilutions.

Quantities are text with units (``"10 mM"``, ``"5 mg"``, ``"500 µL"``, ``"1 mg/mL"``) or plain
SI floats (mol/L, g, L). Results hold SI floats; their ``summary()`` shows lab units.

>>> s = stock_solution(mw_g_per_mol=1864.1, concentration="10 mM", mass="5 mg")
>>> round(s.volume_l * 1e6, 1)  # µL of DMSO for 5 mg balixafortide at 10 mM
268.2
>>> d = dilution_series(top="1 µM", points=3, factor="3-fold", well_volume="90 µL")
>>> [round(v * 1e6, 1) for v in d.transfer_l]  # µL moved into tubes 2 and 3
[40.0, 30.0]
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.units import format_molar, from_molar, to_grams, to_liters, to_molar

__all__ = [
    "HALF_LOG",
    "MIN_PIPETTE_L",
    "DilutionSeries",
    "StockSolution",
    "dilution_series",
    "parse_factor",
    "stock_solution",
]

Quantity = str | float
Solved = Literal["concentration", "mass", "volume"]

HALF_LOG = 10**0.5
"""The half-log dilution factor, sqrt(10) ≈ 3.162."""

MIN_PIPETTE_L = 0.5e-6
"""Volumes below 0.5 µL (in L) are flagged in :attr:`DilutionSeries.cautions` as unpipettable."""

_MASS_STEPS = (("g", 1.0), ("mg", 1e-3), ("µg", 1e-6), ("ng", 1e-9), ("pg", 1e-12))
_VOLUME_STEPS = (("L", 1.0), ("mL", 1e-3), ("µL", 1e-6), ("nL", 1e-9))
_AMOUNT_STEPS = (("mol", 1.0), ("mmol", 1e-3), ("µmol", 1e-6), ("nmol", 1e-9), ("pmol", 1e-12))
_FACTOR_NAMES = {
    "halflog": HALF_LOG,
    "0.5log": HALF_LOG,
    "log": 10.0,
    "1log": 10.0,
    "fulllog": 10.0,
}
_FOLD = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)(?:fold|x|×)?$")


def _scaled(value: float, steps: tuple[tuple[str, float], ...]) -> tuple[float, str]:
    """``value`` (SI) in the largest unit of ``steps`` that keeps it >= 1."""
    for label, factor in steps:
        if abs(value) >= factor * 0.9995:
            return value / factor, label
    label, factor = steps[-1]
    return value / factor, label


def _text(value: float, steps: tuple[tuple[str, float], ...], digits: int = 4) -> str:
    number, unit = _scaled(value, steps)
    return f"{number:.{digits}g} {unit}"


def _positive_number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"must be a number, got {quote(value)}", field=field)
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        raise InputError(f"must be a finite number > 0, got {quote(value)}", field=field)
    return number


def _quantity(value: object, field: str) -> Quantity:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"must be text with a unit or a number, got {quote(value)}", field=field)
    return value if isinstance(value, str) else float(value)


def _molar(value: object, field: str, mw_g_per_mol: float | None) -> float:
    q = _quantity(value, field)
    unit = None if isinstance(q, str) else "mol/L"
    return to_molar(q, unit, mw_g_per_mol=mw_g_per_mol, place=Place(field=field), allow_zero=False)


@dataclass(frozen=True)
class StockSolution:
    """A stock: ``concentration_molar`` (mol/L), ``mass_g`` (g) of solid, ``volume_l`` (L)."""

    mw_g_per_mol: float
    concentration_molar: float
    mass_g: float
    volume_l: float
    solvent: str
    solved_for: Solved

    @property
    def amount_mol(self) -> float:
        """Amount of compound (mol)."""
        return self.concentration_molar * self.volume_l

    @property
    def mass_concentration_g_per_l(self) -> float:
        """Mass concentration (g/L, numerically equal to mg/mL)."""
        return self.mass_g / self.volume_l

    def describe(self) -> str:
        """One line for the bench, e.g. ``'Dissolve 5 mg in 268.2 µL DMSO -> 10 mM'``."""
        return (
            f"Dissolve {_text(self.mass_g, _MASS_STEPS)} in "
            f"{_text(self.volume_l, _VOLUME_STEPS)} {self.solvent} -> "
            f"{format_molar(self.concentration_molar, digits=4)}"
        )

    def summary(self) -> pd.DataFrame:
        """Columns ``field``, ``value``, ``unit`` (lab units) and ``solved`` (the computed one)."""
        conc_text = format_molar(self.concentration_molar, digits=4)
        conc_unit = conc_text.split(" ")[1]
        mass, mass_unit = _scaled(self.mass_g, _MASS_STEPS)
        volume, volume_unit = _scaled(self.volume_l, _VOLUME_STEPS)
        amount, amount_unit = _scaled(self.amount_mol, _AMOUNT_STEPS)
        rows: list[tuple[str, object, str, bool]] = [
            (
                "concentration",
                from_molar(self.concentration_molar, conc_unit),
                conc_unit,
                self.solved_for == "concentration",
            ),
            ("mass", mass, mass_unit, self.solved_for == "mass"),
            ("volume", volume, volume_unit, self.solved_for == "volume"),
            ("mass_concentration", self.mass_concentration_g_per_l, "mg/mL", False),
            ("amount", amount, amount_unit, False),
            ("molecular_weight", self.mw_g_per_mol, "g/mol", False),
            ("solvent", self.solvent, "", False),
        ]
        return pd.DataFrame(rows, columns=["field", "value", "unit", "solved"])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data in SI units."""
        return {
            "mw_g_per_mol": self.mw_g_per_mol,
            "concentration_molar": self.concentration_molar,
            "mass_g": self.mass_g,
            "volume_l": self.volume_l,
            "amount_mol": self.amount_mol,
            "solvent": self.solvent,
            "solved_for": self.solved_for,
        }


def stock_solution(
    *,
    mw_g_per_mol: float,
    concentration: Quantity | None = None,
    mass: Quantity | None = None,
    volume: Quantity | None = None,
    solvent: str = "DMSO",
) -> StockSolution:
    """Solve c = m / (MW * V) for whichever of the three is not given.

    Give exactly two of ``concentration`` (molar, or mass per volume such as ``"1 mg/mL"``),
    ``mass`` and ``volume``. ``mw_g_per_mol`` is the molecular weight (g/mol) of the form that
    is weighed (salt or hydrate if that is what is in the vial).
    """
    mw = _positive_number(mw_g_per_mol, "mw_g_per_mol")
    given = {
        "concentration": concentration is not None,
        "mass": mass is not None,
        "volume": volume is not None,
    }
    if sum(given.values()) != 2:
        named = [k for k, v in given.items() if v] or ["none"]
        raise InputError(
            f"give exactly two of concentration, mass and volume (got {', '.join(named)})",
            field="concentration/mass/volume",
        )
    c = None if concentration is None else _molar(concentration, "concentration", mw)
    m = None if mass is None else to_grams(*_si(mass, "mass", "g"), place=Place(field="mass"))
    v = (
        None
        if volume is None
        else to_liters(*_si(volume, "volume", "L"), place=Place(field="volume"))
    )
    if not isinstance(solvent, str) or not solvent.strip():
        raise InputError("must name a solvent", field="solvent")
    if m is not None and v is not None:
        return StockSolution(mw, m / (mw * v), m, v, solvent, "concentration")
    if c is not None and v is not None:
        return StockSolution(mw, c, c * v * mw, v, solvent, "mass")
    if c is not None and m is not None:
        return StockSolution(mw, c, m, m / (mw * c), solvent, "volume")
    raise AssertionError("unreachable: exactly two quantities were checked above")


def _si(value: object, field: str, unit: str) -> tuple[Quantity, str | None]:
    q = _quantity(value, field)
    return (q, None) if isinstance(q, str) else (q, unit)


def parse_factor(factor: object) -> float:
    """A dilution factor > 1 from a number or ``"half-log"``, ``"log"``, ``"3-fold"``, ``"2x"``."""
    if isinstance(factor, bool):
        raise InputError(
            f"must be a number or e.g. 'half-log', '3-fold'; got {quote(factor)}", field="factor"
        )
    if isinstance(factor, int | float):
        value = float(factor)
    elif isinstance(factor, str):
        key = re.sub(r"[\s_\-]", "", factor.casefold())
        if key in _FACTOR_NAMES:
            value = _FACTOR_NAMES[key]
        elif (match := _FOLD.match(key)) is not None:
            value = float(match.group(1))
        else:
            raise InputError(
                f"cannot read {quote(factor)}; use a number or 'half-log', 'log', '3-fold', '2x'",
                field="factor",
            )
    else:
        raise InputError(f"must be a number or text, got {quote(factor)}", field="factor")
    if not (math.isfinite(value) and value > 1):
        raise InputError(f"must be > 1 (a dilution), got {quote(factor)}", field="factor")
    return value


@dataclass(frozen=True)
class DilutionSeries:
    """A serial dilution; volumes in L, concentrations in mol/L, tubes numbered from 1.

    ``transfer_l[k]`` and ``diluent_l[k]`` are what goes into tube ``k + 2`` (tube 1 is the
    top). ``top_total_l`` is the volume of tube 1 to prepare; with a stock, it is made from
    ``top_stock_l`` of stock plus ``top_diluent_l`` of diluent.
    """

    top_molar: float
    factor: float
    points: int
    well_volume_l: float
    concentrations_molar: tuple[float, ...]
    transfer_l: tuple[float, ...]
    diluent_l: tuple[float, ...]
    top_total_l: float
    stock_molar: float | None = None
    top_stock_l: float | None = None
    top_diluent_l: float | None = None
    cautions: tuple[str, ...] = ()

    def summary(self, concentration_unit: str = "nM") -> pd.DataFrame:
        """One row per tube; volume columns in µL, concentration in ``concentration_unit``."""
        conc_col = "concentration_" + concentration_unit.replace("µ", "u").replace("μ", "u")
        nan = math.nan
        rows: list[dict[str, object]] = []
        for i, conc in enumerate(self.concentrations_molar):
            if i == 0:
                source = "stock" if self.stock_molar is not None else "make at top concentration"
                transfer = nan if self.top_stock_l is None else self.top_stock_l
                diluent = nan if self.top_diluent_l is None else self.top_diluent_l
                total = self.top_total_l
            else:
                source = f"tube {i}"
                transfer, diluent = self.transfer_l[i - 1], self.diluent_l[i - 1]
                total = transfer + diluent
            out = self.transfer_l[i] if i < len(self.transfer_l) else 0.0
            rows.append(
                {
                    "tube": i + 1,
                    conc_col: from_molar(conc, concentration_unit),
                    "source": source,
                    "transfer_uL": transfer * 1e6,
                    "diluent_uL": diluent * 1e6,
                    "total_uL": total * 1e6,
                    "transfer_out_uL": out * 1e6,
                    "final_uL": (total - out) * 1e6,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data in SI units."""
        return {
            "top_molar": self.top_molar,
            "factor": self.factor,
            "points": self.points,
            "well_volume_l": self.well_volume_l,
            "stock_molar": self.stock_molar,
            "concentrations_molar": list(self.concentrations_molar),
            "transfer_l": list(self.transfer_l),
            "diluent_l": list(self.diluent_l),
            "top_total_l": self.top_total_l,
            "top_stock_l": self.top_stock_l,
            "top_diluent_l": self.top_diluent_l,
            "cautions": list(self.cautions),
        }


def dilution_series(
    *,
    top: Quantity,
    points: int = 10,
    factor: float | str = "half-log",
    well_volume: Quantity = "100 µL",
    stock: Quantity | None = None,
    mw_g_per_mol: float | None = None,
) -> DilutionSeries:
    """A serial dilution of ``points`` tubes from ``top`` down by ``factor`` per step.

    Convention: tube 1 holds ``top``; tube i+1 receives ``transfer`` from tube i plus
    ``diluent``, mixed. Every tube ends with exactly ``well_volume`` after its own transfer to
    the next tube (the last tube transfers nothing), so for each tube
    ``transfer + diluent = well_volume + transfer_out`` and ``transfer = (well_volume +
    transfer_out) / factor``. Tube 1 must be made with ``well_volume + transfer_out``; with a
    ``stock`` (C1 V1 = C2 V2) that is ``top / stock`` of it as stock, the rest diluent. No
    dead volume is included: add pipetting overage yourself. ``factor`` is a number or
    ``"half-log"`` (sqrt 10), ``"log"`` (10), ``"3-fold"``; ``mw_g_per_mol`` (g/mol) is needed
    only for mass concentrations such as ``"1 µg/mL"``.
    """
    if mw_g_per_mol is not None:
        mw_g_per_mol = _positive_number(mw_g_per_mol, "mw_g_per_mol")
    top_molar = _molar(top, "top", mw_g_per_mol)
    if isinstance(points, bool) or not isinstance(points, int):
        raise InputError(f"must be a whole number, got {quote(points)}", field="points")
    if not 2 <= points <= 1000:
        raise InputError(f"must be between 2 and 1000, got {points}", field="points")
    f = parse_factor(factor)
    well = to_liters(*_si(well_volume, "well_volume", "L"), place=Place(field="well_volume"))
    stock_molar = None if stock is None else _molar(stock, "stock", mw_g_per_mol)
    if stock_molar is not None and top_molar > stock_molar:
        raise InputError(
            f"top {format_molar(top_molar)} is above the stock {format_molar(stock_molar)}",
            field="top",
        )

    transfers = [0.0] * (points - 1)
    diluents = [0.0] * (points - 1)
    transfer_out = 0.0
    for k in range(points - 2, -1, -1):  # tube k + 2, from the last tube backwards
        total = well + transfer_out
        transfers[k] = total / f
        diluents[k] = total - transfers[k]
        transfer_out = transfers[k]
    top_total = well + transfers[0]
    top_stock = top_diluent = None
    cautions: list[str] = []
    if stock_molar is not None:
        top_stock = top_total * top_molar / stock_molar
        top_diluent = max(top_total - top_stock, 0.0)  # stock == top: no diluent, not -1e-19 L
        if top_stock < MIN_PIPETTE_L:
            cautions.append(
                f"tube 1 needs {top_stock * 1e6:.3g} µL of stock, below "
                f"{MIN_PIPETTE_L * 1e6:g} µL: make an intermediate dilution of the stock first"
            )
    if transfers[-1] < MIN_PIPETTE_L:
        cautions.append(
            f"transfers go down to {transfers[-1] * 1e6:.3g} µL, below {MIN_PIPETTE_L * 1e6:g} µL: "
            "use a larger well_volume or a smaller factor"
        )
    return DilutionSeries(
        top_molar=top_molar,
        factor=f,
        points=points,
        well_volume_l=well,
        concentrations_molar=tuple(top_molar / f**i for i in range(points)),
        transfer_l=tuple(transfers),
        diluent_l=tuple(diluents),
        top_total_l=top_total,
        stock_molar=stock_molar,
        top_stock_l=top_stock,
        top_diluent_l=top_diluent,
        cautions=tuple(cautions),
    )
