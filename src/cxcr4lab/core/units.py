"""Units at the boundary (pint); plain SI floats inside.

Concentrations are read from text such as ``"0.1nM"``, ``"10 µM"``, ``"3 uM"`` or
``"100 ng/mL"`` and held as mol/L floats. A mass concentration needs the compound's molecular
weight (g/mol) to become molar. Masses are held in g, volumes in L.

>>> format_molar(to_molar("0.1nM"))
'100 pM'
>>> round(to_molar("100 ng/mL", mw_g_per_mol=7963.5) * 1e9, 2)  # CXCL12, nM
12.56
>>> format_molar(2.5e-9)
'2.5 nM'
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Literal

from cxcr4lab.core.errors import Place, UnitError

Quantity = Any  # pint's Quantity; kept loose so that importing this module does not import pint

__all__ = [
    "Kind",
    "format_molar",
    "from_molar",
    "molar_factor",
    "parse_quantity",
    "registry",
    "to_grams",
    "to_liters",
    "to_molar",
]

Kind = Literal["concentration", "mass", "volume"]

_DIMENSIONS = {
    "molar": "[substance] / [length] ** 3",
    "mass_concentration": "[mass] / [length] ** 3",
    "mass": "[mass]",
    "volume": "[length] ** 3",
    "amount": "[substance]",
}

# Display units for concentrations, largest first: (label, mol/L per unit).
_MOLAR_STEPS = (("M", 1.0), ("mM", 1e-3), ("µM", 1e-6), ("nM", 1e-9), ("pM", 1e-12), ("fM", 1e-15))


@lru_cache(maxsize=1)
def registry() -> Any:
    """The project's pint registry (built once, on first use: pint is slow to import)."""
    import pint

    return pint.UnitRegistry(autoconvert_offset_to_baseunit=True)


def _clean(text: str) -> str:
    # "μ" (Greek mu) and "µ" (micro sign) are both typed by people and instruments.
    return text.strip().replace("μ", "u").replace("µ", "u")


def parse_quantity(
    text: str | float, unit: str | None = None, *, place: Place | None = None
) -> Quantity:
    """A pint quantity from ``"0.1 nM"``, or from a number and a separate unit."""
    where = place or Place(field="quantity")
    ureg = registry()
    try:
        if isinstance(text, str):
            q = ureg.Quantity(_clean(text))
            if unit is not None:
                q = q * ureg.Quantity(_clean(unit)) if q.dimensionless else q
        else:
            if unit is None:
                raise UnitError(f"{text!r} has no unit", place=where)
            q = float(text) * ureg.Quantity(_clean(unit))
    except UnitError:
        raise
    except Exception as exc:  # pint raises several unrelated exception types
        shown = text if unit is None else f"{text} {unit}"
        raise UnitError(
            f"cannot read {shown!r} as a quantity with a unit ({exc})", place=where
        ) from None
    if not isinstance(q, ureg.Quantity):
        raise UnitError(f"{text!r} has no unit", place=where)
    mag = float(q.magnitude)
    if math.isnan(mag) or math.isinf(mag):
        raise UnitError(f"{text!r} is not a finite number", place=where)
    return q


def _has(q: Quantity, dim: str) -> bool:
    return bool(q.check(_DIMENSIONS[dim]))


def to_molar(
    text: str | float,
    unit: str | None = None,
    *,
    mw_g_per_mol: float | None = None,
    place: Place | None = None,
    allow_zero: bool = True,
) -> float:
    """A concentration in mol/L.

    Mass concentrations (ng/mL, mg/L, ...) need ``mw_g_per_mol``. Negative values are refused.
    Values already read are remembered (pint parses slowly; a plate layout repeats a few
    concentrations hundreds of times); an error is raised afresh, naming ``place``.
    """
    try:
        return _molar_cached(text, unit, mw_g_per_mol, allow_zero)
    except UnitError:
        pass  # read again below, so that the error names the caller's place
    return _to_molar(text, unit, mw_g_per_mol=mw_g_per_mol, place=place, allow_zero=allow_zero)


@lru_cache(maxsize=4096)
def _molar_cached(
    text: str | float, unit: str | None, mw_g_per_mol: float | None, allow_zero: bool
) -> float:
    return _to_molar(text, unit, mw_g_per_mol=mw_g_per_mol, place=None, allow_zero=allow_zero)


def _to_molar(
    text: str | float,
    unit: str | None,
    *,
    mw_g_per_mol: float | None,
    place: Place | None,
    allow_zero: bool,
) -> float:
    where = place or Place(field="concentration")
    q = parse_quantity(text, unit, place=where)
    if _has(q, "molar"):
        value = float(q.to("mol/L").magnitude)
    elif _has(q, "mass_concentration"):
        if mw_g_per_mol is None:
            raise UnitError(
                f"{q:~P} is a mass concentration; the compound's molecular weight is needed "
                "to convert it to mol/L",
                place=where,
            )
        if not mw_g_per_mol > 0:
            raise UnitError(f"molecular weight must be positive, got {mw_g_per_mol}", place=where)
        value = float(q.to("g/L").magnitude) / mw_g_per_mol
    else:
        raise UnitError(
            f"{q:~P} is not a concentration (expected e.g. nM, µM or ng/mL)", place=where
        )
    if value < 0 or (value == 0 and not allow_zero):
        raise UnitError(
            f"concentration must be {'>= 0' if allow_zero else '> 0'}, got {q:~P}", place=where
        )
    return value


def to_grams(text: str | float, unit: str | None = None, *, place: Place | None = None) -> float:
    """A mass in g (must be > 0)."""
    return _to_positive(text, unit, "mass", "g", place or Place(field="mass"))


def to_liters(text: str | float, unit: str | None = None, *, place: Place | None = None) -> float:
    """A volume in L (must be > 0)."""
    return _to_positive(text, unit, "volume", "L", place or Place(field="volume"))


def _to_positive(text: str | float, unit: str | None, dim: str, to: str, where: Place) -> float:
    q = parse_quantity(text, unit, place=where)
    if not _has(q, dim):
        raise UnitError(f"{q:~P} is not a {dim}", place=where)
    value = float(q.to(to).magnitude)
    if not value > 0:
        raise UnitError(f"{dim} must be > 0, got {q:~P}", place=where)
    return value


def molar_factor(unit: str, *, place: Place | None = None) -> float:
    """mol/L per one ``unit`` (e.g. 1e-9 for ``"nM"``); for converting whole columns at once."""
    return to_molar(1.0, unit, place=place or Place(field="unit"))


def from_molar(molar: float, unit: str) -> float:
    """A mol/L value expressed in ``unit`` (a molar unit such as ``"nM"``)."""
    return molar / molar_factor(unit)


def format_molar(molar: float | None, digits: int = 3) -> str:
    """A mol/L value as text in the nearest readable unit, e.g. ``'2.5 nM'``."""
    if molar is None or math.isnan(molar):
        return "n/a"
    if molar == 0:
        return "0 M"
    label, factor = next(
        ((lab, f) for lab, f in _MOLAR_STEPS if abs(molar) >= f * 0.9995), _MOLAR_STEPS[-1]
    )
    return f"{molar / factor:.{digits}g} {label}"
