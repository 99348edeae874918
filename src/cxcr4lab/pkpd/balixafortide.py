"""Human balixafortide PK: the one parameter set of the project, derived, with its uncertainty.

No human concentration-time data are available to us, so the 2-compartment parameters are
*derived* from physiology and the seed facts ([pharmacokinetics] in seed_facts.toml), not fitted
(docs/balixafortide_pk.md gives the reasoning step by step):

- **CL = fu x theta x GFR / (1 - f_nr)**: a 1.86 kDa hydrophilic cyclic peptide, 32 % bound in
  plasma (fu 0.68), is filtered freely (glomerular sieving coefficient theta = 1 below ~5 kDa) and
  is minimally metabolised by liver microsomes, so renal filtration carries most of its
  clearance; f_nr is the non-renal share. GFR 120 mL/min (7.2 L/h), f_nr 0.1: CL 5.44 L/h.
- **V1 = 0.2 L/kg** (14 L at 70 kg): plasma plus interstitial fluid (extracellular fluid), where
  a hydrophilic peptide of this size equilibrates within minutes and which it does not leave by
  passive diffusion into cells.
- **Q = 10 L/h** (assumed) to a deep tissue compartment, fast enough that concentrations fall
  by about 70 % within 2 h of the end of the infusion ("cleared quickly from the circulation
  after the end of the infusion").
- **V2** from the terminal half-life: t1/2 = 10.25 h, the geometric middle of the reported
  7-15 h, fixes V2 in closed form (:func:`peripheral_volume`). The terminal volume
  Vz = CL t1/2 / ln 2 is then 80 L, about six times the extracellular fluid: the deep
  compartment is binding of a cationic peptide (+3: Arg, Lys, Dab; no acidic side chain) to
  tissue. CXCR4 itself holds far too little to be that reservoir (dose linearity).

Each input of the derivation carries a range (:data:`INPUTS`); the range of every parameter and
of every derived exposure is its lowest and highest value over all corners of that box of
inputs (:data:`PARAMETERS`, :func:`exposure`). Between-subject variability, a different thing
(how subjects scatter around the typical values), is :data:`BSV_CV_PERCENT`.

>>> TYPICAL
{'CL': 5.44, 'V1': 14.0, 'Q2': 10.0, 'V2': 45.8}
>>> [round(x, 2) for x in half_lives(TYPICAL)]
[10.24, 0.55]
>>> e = exposure(5.5, infusion_h=2.0)      # the phase 1b / FORTRESS dose, 70 kg (385 mg)
>>> round(e.cmax_mg_per_l, 1), round(e.auc_mg_h_per_l, 1), round(e.half_life_h, 1)
(12.1, 70.8, 10.2)
>>> [round(x, 1) for x in e.cmax_range], [round(x, 1) for x in e.auc_range]
([7.6, 19.3], [54.4, 104.8])
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.pkpd.occupancy_model import BALIXAFORTIDE_FU

__all__ = [
    "BSV_CV_PERCENT",
    "INPUTS",
    "MW_G_PER_MOL",
    "PARAMETERS",
    "TYPICAL",
    "WEIGHT_KG",
    "Exposure",
    "Input",
    "PkParameter",
    "concentration",
    "derive",
    "exposure",
    "exposure_table",
    "half_lives",
    "parameter_table",
    "peripheral_volume",
]

Array = NDArray[np.float64]

WEIGHT_KG = 70.0
"""Reference body weight (kg) of the typical values."""

MW_G_PER_MOL = 1864.1
"""Molecular weight of balixafortide (seed_facts.toml [compound.balixafortide])."""

ML_MIN_TO_L_H = 0.06
"""1 mL/min = 0.06 L/h."""


@dataclass(frozen=True)
class Input:
    """One input of the derivation: typical value, plausible range ``low``-``high``, unit and
    where the numbers come from."""

    name: str
    typical: float
    low: float
    high: float
    unit: str
    basis: str


INPUTS: tuple[Input, ...] = (
    Input(
        "GFR",
        120.0,
        100.0,
        130.0,
        "mL/min",
        "glomerular filtration rate of adults with normal renal function",
    ),
    Input(
        "fu",
        BALIXAFORTIDE_FU,
        BALIXAFORTIDE_FU,
        BALIXAFORTIDE_FU,
        "1",
        "unbound fraction: 32 % bound in human plasma (seed_facts [pharmacokinetics])",
    ),
    Input(
        "theta",
        1.0,
        0.9,
        1.0,
        "1",
        "glomerular sieving coefficient of a 1.86 kDa peptide (free filtration below ~5 kDa)",
    ),
    Input(
        "f_nr",
        0.10,
        0.0,
        0.25,
        "1",
        "non-renal share of CL: minimal liver microsomal metabolism (seed_facts)",
    ),
    Input(
        "V1_per_kg",
        0.20,
        0.15,
        0.25,
        "L/kg",
        "central volume = extracellular fluid (plasma + interstitial fluid)",
    ),
    Input(
        "Q",
        10.0,
        5.0,
        20.0,
        "L/h",
        "exchange with the deep (tissue-bound) compartment: assumed, fast distribution",
    ),
    Input(
        "t_half",
        math.sqrt(7.0 * 15.0),
        7.0,
        15.0,
        "h",
        "terminal half-life in man 7-15 h (seed_facts [pharmacokinetics]); geometric middle",
    ),
)
"""The inputs of the derivation with their ranges (typical values at :data:`WEIGHT_KG`)."""

_INPUT = {i.name: i for i in INPUTS}

BSV_CV_PERCENT: dict[str, float] = {"CL": 30.0, "V1": 30.0}
"""Between-subject CV (%) of the population simulations (log-normal; Q and V2 without): assumed,
of the order of the between-subject variation of GFR and extracellular volume in adults."""


def peripheral_volume(cl: float, v1: float, q: float, half_life_h: float) -> float:
    """V2 (L) of the 2-compartment model whose terminal half-life is ``half_life_h``.

    The slower root ``lam`` of ``lam^2 - (k10 + k12 + k21) lam + k10 k21 = 0`` is set to
    ``ln 2 / t1/2``; solving for ``k21``: ``k21 = lam (k10 + k12 - lam) / (k10 - lam)``,
    ``V2 = Q / k21``. It exists when ``lam < k10`` (the terminal phase is slower than
    elimination from V1 alone).

    >>> round(peripheral_volume(5.44, 14.0, 10.0, 10.25), 1)
    45.8
    """
    lam = math.log(2.0) / half_life_h
    k10, k12 = cl / v1, q / v1
    if not (lam < k10 and all(math.isfinite(x) and x > 0 for x in (cl, v1, q, half_life_h))):
        raise InputError(
            f"no 2-compartment model with CL {cl:g} L/h and V1 {v1:g} L has a terminal "
            f"half-life of {half_life_h:g} h (it must exceed ln 2 V1 / CL)",
            field="t_half",
        )
    k21 = lam * (k10 + k12 - lam) / (k10 - lam)
    return q / k21


def derive(
    inputs: Mapping[str, float] | None = None, weight_kg: float = WEIGHT_KG
) -> dict[str, float]:
    """``CL, V1, Q2, V2`` (L/h, L) from the inputs (default: the typical values of
    :data:`INPUTS`; any subset may be given)."""
    unknown = set(inputs or {}) - set(_INPUT)
    if unknown:
        raise InputError(
            f"unknown input {quote(sorted(unknown)[0])}; known: {', '.join(_INPUT)}",
            field="inputs",
        )
    v = {name: i.typical for name, i in _INPUT.items()} | dict(inputs or {})
    cl = v["fu"] * v["theta"] * v["GFR"] * ML_MIN_TO_L_H / (1.0 - v["f_nr"])
    v1 = v["V1_per_kg"] * weight_kg
    return {"CL": cl, "V1": v1, "Q2": v["Q"], "V2": peripheral_volume(cl, v1, v["Q"], v["t_half"])}


def _sig3(x: float) -> float:
    return float(f"{x:.3g}")


TYPICAL: dict[str, float] = {k: _sig3(v) for k, v in derive().items()}
"""Typical values at 70 kg (L/h, L), the derived values to 3 significant digits: the values of
:data:`cxcr4lab.pkpd.pk.BALIXAFORTIDE_HUMAN`."""


def _corners() -> list[dict[str, float]]:
    names = [i.name for i in INPUTS]
    ends = [sorted({i.low, i.high}) for i in INPUTS]
    return [dict(zip(names, c, strict=True)) for c in itertools.product(*ends)]


def half_lives(params: Mapping[str, float]) -> tuple[float, float]:
    """Terminal and distribution half-lives (h) of ``CL, V1, Q2, V2``, closed form."""
    k10, k12, k21 = (
        params["CL"] / params["V1"],
        params["Q2"] / params["V1"],
        params["Q2"] / params["V2"],
    )
    s = k10 + k12 + k21
    root = math.sqrt(s * s - 4.0 * k10 * k21)
    beta, alpha = (s - root) / 2.0, (s + root) / 2.0
    return math.log(2.0) / beta, math.log(2.0) / alpha


def concentration(
    times_h: ArrayLike,
    dose_mg: float,
    infusion_h: float,
    params: Mapping[str, float] | None = None,
) -> Array:
    """Plasma concentration (mg/L = ug/mL) of one IV infusion of ``dose_mg`` over
    ``infusion_h`` (0: bolus) starting at 0 h, closed form (sum of two exponentials)."""
    p = TYPICAL if params is None else params
    t = np.asarray(times_h, dtype=float)
    k21 = p["Q2"] / p["V2"]
    th_beta, th_alpha = half_lives(p)
    alpha, beta = math.log(2.0) / th_alpha, math.log(2.0) / th_beta
    # unit bolus into V1: C = A e^(-alpha t) + B e^(-beta t)
    a = (alpha - k21) / (p["V1"] * (alpha - beta))
    b = (k21 - beta) / (p["V1"] * (alpha - beta))
    out = np.zeros_like(t)
    for coef, lam in ((a, alpha), (b, beta)):
        if infusion_h <= 0:
            out += dose_mg * coef * np.exp(-lam * np.clip(t, 0.0, None))
            continue
        rate = dose_mg / infusion_h
        during = np.clip(t, 0.0, infusion_h)
        rise = rate * coef / lam * (1.0 - np.exp(-lam * during))
        out += rise * np.exp(-lam * np.clip(t - infusion_h, 0.0, None))
    return np.where(t < 0, 0.0, out)


@dataclass(frozen=True)
class PkParameter:
    """A parameter of the set: typical value at 70 kg, range over the inputs' box, unit,
    between-subject CV (%; 0 = none) and how it is obtained."""

    name: str
    typical: float
    low: float
    high: float
    unit: str
    bsv_cv_percent: float
    basis: str


def _derived_quantities(p: Mapping[str, float]) -> dict[str, float]:
    t_z, t_a = half_lives(p)
    return {
        **p,
        "Vss": p["V1"] + p["V2"],
        "Vz": p["CL"] * t_z / math.log(2.0),
        "t_half_z": t_z,
        "t_half_alpha": t_a,
    }


_BASIS = {
    "CL": ("L/h", "fu x theta x GFR / (1 - f_nr)"),
    "V1": ("L", "extracellular fluid, 0.2 L/kg"),
    "Q2": ("L/h", "assumed (fast distribution)"),
    "V2": ("L", "from the terminal half-life (closed form)"),
    "Vss": ("L", "V1 + V2"),
    "Vz": ("L", "CL t1/2 / ln 2"),
    "t_half_z": ("h", "terminal half-life"),
    "t_half_alpha": ("h", "distribution half-life"),
}


@cache
def _parameters() -> tuple[PkParameter, ...]:
    typical = _derived_quantities(TYPICAL)
    corners = [_derived_quantities(derive(c)) for c in _corners()]
    rows = []
    for name, (unit, basis) in _BASIS.items():
        values = [c[name] for c in corners]
        rows.append(
            PkParameter(
                name,
                typical[name],
                min(values),
                max(values),
                unit,
                BSV_CV_PERCENT.get(name, 0.0),
                basis,
            )
        )
    return tuple(rows)


PARAMETERS: tuple[PkParameter, ...] = _parameters()
"""``CL, V1, Q2, V2`` and the derived ``Vss, Vz, t_half_z, t_half_alpha`` with their ranges
(lowest and highest over all corners of the box of :data:`INPUTS`)."""


@dataclass(frozen=True)
class Exposure:
    """Cmax (mg/L = ug/mL, at the end of the infusion), AUC (mg.h/L) and terminal half-life (h)
    of one IV infusion for the typical subject, with their ranges over the inputs' box."""

    dose_mg_per_kg: float
    weight_kg: float
    infusion_h: float
    cmax_mg_per_l: float
    auc_mg_h_per_l: float
    half_life_h: float
    cmax_range: tuple[float, float]
    auc_range: tuple[float, float]

    @property
    def dose_mg(self) -> float:
        return self.dose_mg_per_kg * self.weight_kg


def exposure(
    dose_mg_per_kg: float, *, infusion_h: float = 2.0, weight_kg: float = WEIGHT_KG
) -> Exposure:
    """Cmax, AUC (= dose / CL) and terminal half-life of one IV infusion, typical subject of
    ``weight_kg`` (volumes proportional to weight, clearances to weight^0.75), and the ranges
    of Cmax and AUC over all corners of :data:`INPUTS`."""
    if not (math.isfinite(dose_mg_per_kg) and dose_mg_per_kg > 0):
        raise InputError(f"must be > 0 mg/kg, got {quote(dose_mg_per_kg)}", field="dose")
    if not (math.isfinite(infusion_h) and infusion_h > 0):
        raise InputError(f"must be > 0 h, got {quote(infusion_h)}", field="infusion_h")
    dose = dose_mg_per_kg * weight_kg

    def scaled(p: Mapping[str, float]) -> dict[str, float]:
        w = weight_kg / WEIGHT_KG
        return {
            "CL": p["CL"] * w**0.75,
            "V1": p["V1"] * w,
            "Q2": p["Q2"] * w**0.75,
            "V2": p["V2"] * w,
        }

    def cmax_auc(p: Mapping[str, float]) -> tuple[float, float]:
        q = scaled(p)
        return float(concentration([infusion_h], dose, infusion_h, q)[0]), dose / q["CL"]

    cmax, auc = cmax_auc(TYPICAL)
    box = [cmax_auc(derive(c)) for c in _corners()]
    return Exposure(
        dose_mg_per_kg=float(dose_mg_per_kg),
        weight_kg=float(weight_kg),
        infusion_h=float(infusion_h),
        cmax_mg_per_l=cmax,
        auc_mg_h_per_l=auc,
        half_life_h=half_lives(scaled(TYPICAL))[0],
        cmax_range=(min(b[0] for b in box), max(b[0] for b in box)),
        auc_range=(min(b[1] for b in box), max(b[1] for b in box)),
    )


def parameter_table() -> pd.DataFrame:
    """One row per parameter: typical value, range, unit, between-subject CV, basis."""
    return pd.DataFrame(
        [
            {
                "parameter": p.name,
                "typical": p.typical,
                "low": p.low,
                "high": p.high,
                "unit": p.unit,
                "BSV CV (%)": p.bsv_cv_percent,
                "basis": p.basis,
            }
            for p in PARAMETERS
        ]
    )


def exposure_table(
    doses_mg_per_kg: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 5.5),
    infusions_h: tuple[float, ...] = (1.0, 2.0),
) -> pd.DataFrame:
    """Cmax and AUC (with ranges) of single infusions, typical 70 kg subject: by default the
    healthy-volunteer mobilization doses (500-2500 ug/kg over 1-2 h; NCT01841476) and the
    5.5 mg/kg of the breast-cancer trials."""
    rows = []
    for dose in doses_mg_per_kg:
        for h in infusions_h:
            e = exposure(dose, infusion_h=h)
            rows.append(
                {
                    "dose (mg/kg)": dose,
                    "dose (mg)": e.dose_mg,
                    "infusion (h)": h,
                    "Cmax (ug/mL)": e.cmax_mg_per_l,
                    "Cmax low (ug/mL)": e.cmax_range[0],
                    "Cmax high (ug/mL)": e.cmax_range[1],
                    "AUC (ug.h/mL)": e.auc_mg_h_per_l,
                    "AUC low (ug.h/mL)": e.auc_range[0],
                    "AUC high (ug.h/mL)": e.auc_range[1],
                }
            )
    return pd.DataFrame(rows)
