"""Units at the boundary (pint); plain SI floats inside.

Concentrations are read from text such as ``"0.1nM"``, ``"10 µM"``, ``"3 uM"`` or
``"100 ng/mL"`` and held as mol/L floats. A mass concentration needs the compound's molecular
weight (g/mol) to become molar. Masses are held in g, volumes in L.

Text is parsed, never evaluated (pint's expression parser would compute ``"9**9**8 nM"``):

- a quantity is at most :data:`MAX_QUANTITY_CHARS` (64) characters, a unit at most
  :data:`MAX_UNIT_CHARS` (32), both checked before any other work;
- a quantity is a number (optional sign, digits, optional decimals, optional exponent of at most
  3 digits: ``-1.5e-9``) followed by an optional unit;
- a unit is one or more names (ASCII letters, ``µ``, ``μ``, or ``%``), each with an optional
  exponent ``^n`` or ``**n`` (optional sign, at most 2 digits), joined by ``/``, ``*``, ``·``,
  ``.`` or spaces, optionally preceded by ``1/`` (``"1/h"``); it never holds a number otherwise.
  Only a unit that passes this grammar is handed to pint, and only to ``parse_units``;
- a number given as a float must be finite.

Every quantity read as a value (not a unit factor) must lie in its plausible range
(:data:`RANGES`), else one :class:`UnitError` names the field and the range:

============================  ==========================================
concentration (and Kd)        1 aM (1e-18 mol/L) to 10 M; 0 only where allowed
mass                          1 pg to 1 kg
volume                        1 pL to 1000 L
dose, flat                    1 ng to 100 g
dose per body weight          1 ng/kg to 1 g/kg
dose per body-surface area    1 ng/m^2 to 40 g/m^2
============================  ==========================================

>>> format_molar(to_molar("0.1nM"))
'100 pM'
>>> round(to_molar("100 ng/mL", mw_g_per_mol=7963.5) * 1e9, 2)  # CXCL12, nM
12.56
>>> format_molar(2.5e-9)
'2.5 nM'
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from cxcr4lab.core.errors import Place, UnitError, quote

Quantity = Any  # pint's Quantity; kept loose so that importing this module does not import pint
Unit = Any  # pint's Unit

__all__ = [
    "MAX_QUANTITY_CHARS",
    "MAX_UNIT_CHARS",
    "RANGES",
    "Kind",
    "PlausibleRange",
    "check_range",
    "concentration_unit",
    "dose_unit",
    "format_molar",
    "from_molar",
    "molar_factor",
    "parse_quantity",
    "parse_unit",
    "per_body_weight",
    "registry",
    "to_grams",
    "to_liters",
    "to_molar",
]

Kind = Literal["concentration", "mass", "volume"]

MAX_QUANTITY_CHARS = 64
"""The longest text read as a quantity (number and unit)."""

MAX_UNIT_CHARS = 32
"""The longest text read as a unit."""


@dataclass(frozen=True)
class PlausibleRange:
    """The plausible values of one kind of quantity, in ``unit`` (closed interval)."""

    low: float
    high: float
    unit: str
    text: str  # for people, e.g. "1 aM to 10 M"

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


RANGES: dict[str, PlausibleRange] = {
    "concentration": PlausibleRange(1e-18, 10.0, "mol/L", "1 aM to 10 M"),
    "mass": PlausibleRange(1e-12, 1e3, "g", "1 pg to 1 kg"),
    "volume": PlausibleRange(1e-12, 1e3, "L", "1 pL to 1000 L"),
    "dose": PlausibleRange(1e-6, 1e5, "mg", "1 ng to 100 g"),
    "dose per body weight": PlausibleRange(1e-6, 1e3, "mg/kg", "1 ng/kg to 1 g/kg"),
    "dose per body-surface area": PlausibleRange(1e-6, 4e4, "mg/m^2", "1 ng/m^2 to 40 g/m^2"),
}
"""Plausible range per quantity kind (values in each range's ``unit``)."""

_DIMENSIONS = {
    "molar": "[substance] / [length] ** 3",
    "mass_concentration": "[mass] / [length] ** 3",
    "mass": "[mass]",
    "volume": "[length] ** 3",
    "amount": "[substance]",
    "mass_per_area": "[mass] / [length] ** 2",
    "amount_per_area": "[substance] / [length] ** 2",
    "amount_per_mass": "[substance] / [mass]",
}

# Display units for concentrations, largest first: (label, mol/L per unit).
_MOLAR_STEPS = (("M", 1.0), ("mM", 1e-3), ("µM", 1e-6), ("nM", 1e-9), ("pM", 1e-12), ("fM", 1e-15))
# mol/L per unit of the plain molar units, exactly what pint gives (a test checks): the common
# case of :func:`molar_factor` answers without importing pint (about a second at startup).
_PLAIN_MOLAR = {
    "M": 1.0,
    "mM": 1e-3,
    "uM": 1e-6,
    "µM": 1e-6,
    "μM": 1e-6,
    "nM": 1e-9,
    "pM": 1e-12,
    "fM": 1e-15,
}

# The grammar. No part can backtrack badly: names are runs of letters that only a separator
# (or the end) can follow, and every repeat is bounded by the length caps checked first.
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?"
_NAME = r"(?:[A-Za-zµμ]+|%)"
_EXPONENT = r"(?:\^|\*\*)[+-]?\d{1,2}"
_TERM = rf"{_NAME}(?:{_EXPONENT})?"
_SEPARATOR = r"(?:[ \t]*[/*·.][ \t]*|[ \t]+)"
_QUANTITY_RE = re.compile(rf"[ \t]*(?P<number>{_NUMBER})[ \t]*(?P<unit>.*?)[ \t]*", re.ASCII)
_UNIT_RE = re.compile(rf"(?:1[ \t]*/[ \t]*)?{_TERM}(?:{_SEPARATOR}{_TERM})*", re.ASCII)
_FACTOR_RE = re.compile(
    rf"(?P<number>{_NUMBER})(?:[ \t]*(?P<op>[*/·]?)[ \t]*(?P<unit>.+))?", re.ASCII
)
_TOKEN_RE = re.compile(
    rf"(?P<term>{_NAME})(?:(?:\^|\*\*)(?P<exp>[+-]?\d{{1,2}}))?|(?P<sep>[/])", re.ASCII
)


@lru_cache(maxsize=1)
def registry() -> Any:
    """The project's pint registry (built once, on first use: pint is slow to import)."""
    import pint

    return pint.UnitRegistry(autoconvert_offset_to_baseunit=True)


def _canonical(unit: str) -> str:
    """A unit that passed the grammar, rewritten for pint: ``mg/m^2`` -> ``mg/m**2``."""
    body = unit.strip()
    out = ""
    if re.match(r"1[ \t]*/", body):
        out, body = "1", body[body.index("/") :]
    pending = "*" if out else ""
    for m in _TOKEN_RE.finditer(body):
        if m.group("sep"):
            pending = "/"
            continue
        name = m.group("term").replace("µ", "u").replace("μ", "u")
        name = "percent" if name == "%" else name
        exp = m.group("exp")
        out += pending + name + (f"**{int(exp)}" if exp else "")
        pending = "*"
    return out


@lru_cache(maxsize=1024)
def _pint_unit(canonical: str) -> Any:
    return registry().parse_units(canonical)


def parse_unit(
    text: object, *, place: Place | None = None, allow_factor: bool = False
) -> tuple[float, Unit]:
    """A unit text read by the grammar above: ``(factor, pint unit)``.

    ``factor`` is 1 unless ``allow_factor`` lets the unit start with a number (``"1e9/L"``,
    ``"1"``), which a model's output unit may; a field that expects a unit never does.
    """
    where = place or Place(field="unit")
    if not isinstance(text, str):
        raise UnitError(f"a unit must be text, got {quote(text)}", place=where)
    if len(text) > MAX_UNIT_CHARS:
        raise UnitError(
            f"{quote(text)} is not a unit: a unit is at most {MAX_UNIT_CHARS} characters",
            place=where,
        )
    body = text.strip()
    factor = 1.0
    if allow_factor and not _UNIT_RE.fullmatch(body) and (m := _FACTOR_RE.fullmatch(body)):
        factor = float(m.group("number"))
        rest = m.group("unit")
        if not (math.isfinite(factor) and factor > 0) or (rest is not None and rest[0].isdigit()):
            raise UnitError(
                f"{quote(text)} is not a unit: a factor > 0, then a unit (e.g. 1e9/L)",
                place=where,
            )
        if rest is None:
            return factor, registry().dimensionless
        body = ("1/" if m.group("op") == "/" else "") + rest
    if not _UNIT_RE.fullmatch(body):
        if re.search(r"\d", body) and re.match(rf"[ \t]*{_NUMBER}", body):
            why = "a unit is expected here, not a quantity (no number)"
        else:
            why = "expected a unit such as nM, mg/L or mg/m^2"
        raise UnitError(f"{quote(text)} is not a unit: {why}", place=where)
    try:
        unit = _pint_unit(_canonical(body))
    except Exception:  # pint raises several unrelated exception types
        raise UnitError(f"{quote(text)} is not a unit pint knows", place=where) from None
    try:  # (Ymol^20/mol^19)/L would overflow in every later conversion
        scale = float(_root_factor(unit))
    except Exception:  # OverflowError from pint's powers; offset units such as degC
        scale = math.inf
    if not (math.isfinite(scale) and _MIN_SCALE <= abs(scale) <= 1 / _MIN_SCALE):
        raise UnitError(f"{quote(text)} is not a unit of any plausible size", place=where)
    return factor, unit


_MIN_SCALE = 1e-100  # a unit's size in SI base units lies within 1e-100 to 1e100


@lru_cache(maxsize=1024)
def _root_factor(unit: Any) -> float:
    return float(registry().get_root_units(unit)[0])


def _number(value: object, where: Place) -> float:
    if isinstance(value, bool):
        raise UnitError(f"{quote(value)} is not a number", place=where)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        kind = type(value).__name__
        raise UnitError(f"this {kind} value is not a finite number", place=where) from None
    if not math.isfinite(number):
        raise UnitError(f"{quote(value)} is not a finite number", place=where)
    return number


def _split(text: str, where: Place) -> tuple[float, str]:
    """(number, unit text) of a quantity text; the unit text may be empty."""
    if len(text) > MAX_QUANTITY_CHARS:
        raise UnitError(
            f"cannot read {quote(text)} as a quantity with a unit: a quantity is at most "
            f"{MAX_QUANTITY_CHARS} characters",
            place=where,
        )
    m = _QUANTITY_RE.fullmatch(text.strip())
    if m is None:
        raise UnitError(
            f"cannot read {quote(text)} as a quantity with a unit (expected a number and a "
            "unit, e.g. '10 nM')",
            place=where,
        )
    number = float(m.group("number"))
    if not math.isfinite(number):
        raise UnitError(f"{quote(text)} is not a finite number", place=where)
    return number, m.group("unit")


def _read(text: object, unit: str | None, where: Place) -> tuple[float, Unit]:
    """(magnitude, pint unit) of a quantity text, or of a number and a separate unit."""
    if isinstance(text, str):
        number, own = _split(text, where)
        if own:
            if len(own) > MAX_UNIT_CHARS:  # the unit's cap holds inside a quantity too
                raise UnitError(
                    f"{quote(text)}: a unit is at most {MAX_UNIT_CHARS} characters", place=where
                )
            if not _UNIT_RE.fullmatch(own):
                raise UnitError(
                    f"cannot read {quote(text)} as a quantity with a unit (the unit "
                    f"{quote(own)} is not a unit such as nM, mg/L or mg/m^2)",
                    place=where,
                )
            return number, parse_unit(own, place=where)[1]
    else:
        number = _number(text, where)
    if unit is None:
        raise UnitError(f"{quote(text)} has no unit", place=where)
    return number, parse_unit(unit, place=where)[1]


def parse_quantity(
    text: str | float, unit: str | None = None, *, place: Place | None = None
) -> Quantity:
    """A pint quantity from ``"0.1 nM"``, or from a number and a separate unit.

    A unit written in ``text`` wins over ``unit``. Raises :class:`UnitError` for anything the
    grammar (module docstring) does not accept.
    """
    where = place or Place(field="quantity")
    number, u = _read(text, unit, where)
    return registry().Quantity(number, u)


def _has(q: Quantity, dim: str) -> bool:
    return bool(q.check(_DIMENSIONS[dim]))


def check_range(value: float, kind: str, *, place: Place, shown: str | None = None) -> float:
    """``value`` (in ``RANGES[kind].unit``) if plausible, else one :class:`UnitError` naming
    ``place`` and the range; ``shown`` is the value as the user wrote it."""
    r = RANGES[kind]
    if not (math.isfinite(value) and value in r):
        given = shown if shown is not None else f"{value:g} {r.unit}"
        raise UnitError(f"{kind} {given} is outside the plausible range {r.text}", place=place)
    return value


def _shown(text: object, unit: str | None) -> str:
    if isinstance(text, str):
        return quote(text)
    return quote(f"{text} {unit}") if unit is not None else quote(text)


def to_molar(
    text: str | float,
    unit: str | None = None,
    *,
    mw_g_per_mol: float | None = None,
    place: Place | None = None,
    allow_zero: bool = True,
) -> float:
    """A concentration in mol/L, within 1 aM to 10 M (or 0 where ``allow_zero``).

    Mass concentrations (ng/mL, mg/L, ...) need ``mw_g_per_mol``. Negative values are refused.
    Values already read are remembered (a plate layout repeats a few concentrations hundreds of
    times); an error is raised afresh, naming ``place``.
    """
    if isinstance(text, bool) or not isinstance(text, str | numbers.Real):
        where = place or Place(field="concentration")
        raise UnitError(f"{quote(text)} is not a number with a unit", place=where)
    if not isinstance(text, str | float):  # an int (maybe too big for a float), a numpy number
        text = _number(text, place or Place(field="concentration"))
    try:
        return _molar_cached(text, unit, mw_g_per_mol, allow_zero)
    except UnitError:
        pass  # read again below, so that the error names the caller's place
    except TypeError:  # an unhashable unit or weight: read below, which refuses it
        pass
    return _to_molar(text, unit, mw_g_per_mol=mw_g_per_mol, place=place, allow_zero=allow_zero)


@lru_cache(maxsize=4096)
def _molar_cached(
    text: str | float, unit: str | None, mw_g_per_mol: float | None, allow_zero: bool
) -> float:
    return _to_molar(text, unit, mw_g_per_mol=mw_g_per_mol, place=None, allow_zero=allow_zero)


def _molar_of(q: Quantity, mw_g_per_mol: float | None, where: Place) -> float:
    """mol/L of a parsed concentration (no range check)."""
    if _has(q, "molar"):
        return float(q.to("mol/L").magnitude)
    if _has(q, "mass_concentration"):
        if mw_g_per_mol is None:
            raise UnitError(
                f"{q.units:~P} is a mass concentration; the compound's molecular weight is "
                "needed to convert it to mol/L",
                place=where,
            )
        if not (
            isinstance(mw_g_per_mol, int | float)
            and math.isfinite(mw_g_per_mol)
            and mw_g_per_mol > 0
        ):
            raise UnitError(
                f"molecular weight must be a positive number, got {quote(mw_g_per_mol)}",
                place=where,
            )
        return float(q.to("g/L").magnitude) / mw_g_per_mol
    raise UnitError(
        f"{q.units:~P} is not a concentration unit (expected an amount or mass per volume, "
        "e.g. nM, µM or ng/mL)",
        place=where,
    )


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
    value = _molar_of(q, mw_g_per_mol, where)
    shown = _shown(text, unit)
    if value < 0 or (value == 0 and not allow_zero):
        raise UnitError(
            f"concentration must be {'>= 0' if allow_zero else '> 0'}, got {shown}", place=where
        )
    if value == 0 and q.magnitude == 0:
        return 0.0
    return check_range(value, "concentration", place=where, shown=shown)


def to_grams(text: str | float, unit: str | None = None, *, place: Place | None = None) -> float:
    """A mass in g (1 pg to 1 kg)."""
    return _to_positive(text, unit, "mass", "g", place or Place(field="mass"))


def to_liters(text: str | float, unit: str | None = None, *, place: Place | None = None) -> float:
    """A volume in L (1 pL to 1000 L)."""
    return _to_positive(text, unit, "volume", "L", place or Place(field="volume"))


def _to_positive(text: str | float, unit: str | None, dim: str, to: str, where: Place) -> float:
    q = parse_quantity(text, unit, place=where)
    if not _has(q, dim):
        raise UnitError(f"{q.units:~P} is not a {dim} unit", place=where)
    value = float(q.to(to).magnitude)
    shown = _shown(text, unit)
    if not value > 0:
        raise UnitError(f"{dim} must be > 0, got {shown}", place=where)
    return check_range(value, dim, place=where, shown=shown)


def concentration_unit(text: object, *, place: Place | None = None) -> Unit:
    """A pint unit of amount or mass per volume (``"nM"``, ``"ng/mL"``), else :class:`UnitError`."""
    where = place or Place(field="concentration unit")
    _, u = parse_unit(text, place=where)
    q = registry().Quantity(1.0, u)
    if not (_has(q, "molar") or _has(q, "mass_concentration")):
        raise UnitError(
            f"{quote(text)} is not a concentration unit (expected an amount or mass per volume, "
            "e.g. nM or mg/L)",
            place=where,
        )
    return u


def dose_unit(text: object, *, place: Place | None = None) -> Unit:
    """A pint unit of a dose: a mass or amount (``"mg"``, ``"nmol"``), or one per body weight
    (``"mg/kg"``) or per body-surface area (``"mg/m^2"``); else :class:`UnitError`."""
    where = place or Place(field="dose unit")
    _, u = parse_unit(text, place=where)
    q = registry().Quantity(1.0, u)
    dims = ("mass", "amount", "mass_per_area", "amount_per_area", "amount_per_mass")
    if any(_has(q, d) for d in dims) or per_body_weight(q):
        return u
    raise UnitError(
        f"{quote(text)} is not a dose unit (expected a mass or amount, e.g. mg, or one per body "
        "weight or body-surface area, e.g. mg/kg or mg/m^2)",
        place=where,
    )


def per_body_weight(q: Quantity) -> bool:
    """Whether ``q``'s unit is exactly one mass over another (``mg/kg``), which pint would
    otherwise call dimensionless."""
    ureg = registry()
    items = list(q._units.items())
    up = [u for u, e in items if e == 1 and ureg.Quantity(1, u).check("[mass]")]
    down = [u for u, e in items if e == -1 and ureg.Quantity(1, u).check("[mass]")]
    return len(items) == 2 and len(up) == 1 and len(down) == 1


def molar_factor(
    unit: str, *, place: Place | None = None, mw_g_per_mol: float | None = None
) -> float:
    """mol/L per one ``unit`` (e.g. 1e-9 for ``"nM"``); for converting whole columns at once.

    ``unit`` must be a concentration unit (a mass concentration needs ``mw_g_per_mol``); no
    plausible range applies to a unit.
    """
    if isinstance(unit, str) and (plain := _PLAIN_MOLAR.get(unit.strip())) is not None:
        return plain
    where = place or Place(field="unit")
    _, u = parse_unit(unit, place=where)
    factor = _molar_of(registry().Quantity(1.0, u), mw_g_per_mol, where)
    if not (math.isfinite(factor) and factor > 0):
        raise UnitError(f"{quote(unit)} is not a usable concentration unit", place=where)
    return factor


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
