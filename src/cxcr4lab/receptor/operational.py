"""Receptor theory: Gaddum/Schild analysis and the Black-Leff operational model.

Concentrations are mol/L floats (any consistent unit works); responses are in the units of
``emax`` (a fraction of the system maximum by default).

Gaddum (1937) and Arunlakshana & Schild (1959): a competitive antagonist at concentration [B]
with equilibrium dissociation constant Kb multiplies the agonist's EC50 by the dose ratio

    DR = 1 + ([B] / Kb)^s        (s = 1 for simple competition),

so log10(DR - 1) = s log10[B] - s log10 Kb (the Schild plot), and pA2, the -log10 of the
antagonist concentration that makes DR = 2, equals pKb when s = 1.

>>> gaddum_dose_ratio(antagonist=1e-9, kb=1e-9)
2.0
>>> round(pa2_from_dose_ratio(dose_ratio=11.0, antagonist=1e-8), 12)
9.0

Black & Leff (1983), Proc R Soc Lond B 220:141-162: an agonist of affinity KA and efficacy tau
(the transducer ratio: receptor density over the transducer's half-saturating complex) gives

    E = Em tau^n [A]^n / (([A] + KA)^n + tau^n [A]^n)

with EC50 = KA / ((2 + tau^n)^(1/n) - 1) and maximum Em tau^n / (1 + tau^n); for n = 1 the
EC50 is KA / (1 + tau).

>>> round(operational_ec50(ka=1e-7, tau=9.0) * 1e9, 9)
10.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from cxcr4lab.core.errors import InputError

__all__ = [
    "gaddum_dose_ratio",
    "gaddum_occupancy",
    "hemi_equilibrium_occupancy",
    "operational_ec50",
    "operational_effect",
    "operational_ic50",
    "operational_max",
    "pa2_from_dose_ratio",
    "schild_regression",
]


def _positive(**values: float) -> None:
    for name, v in values.items():
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise InputError(f"must be a positive finite number, got {v!r}", field=name)


def _non_negative(**values: float) -> None:
    for name, v in values.items():
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise InputError(f"must be a finite number >= 0, got {v!r}", field=name)


def gaddum_dose_ratio(*, antagonist: float, kb: float, slope: float = 1.0) -> float:
    """Agonist dose ratio 1 + ([B]/Kb)^slope caused by antagonist ``antagonist`` (mol/L)."""
    _non_negative(antagonist=antagonist)
    _positive(kb=kb, slope=slope)
    return float(1.0 + (antagonist / kb) ** slope)


def gaddum_occupancy(*, agonist: float, antagonist: float, ka: float, kb: float) -> float:
    """Fraction of receptors occupied by the agonist with a competing antagonist (Gaddum 1937):
    ([A]/KA) / (1 + [A]/KA + [B]/Kb)."""
    _non_negative(agonist=agonist, antagonist=antagonist)
    _positive(ka=ka, kb=kb)
    a = agonist / ka
    return float(a / (1.0 + a + antagonist / kb))


def pa2_from_dose_ratio(*, dose_ratio: float, antagonist: float) -> float:
    """pKb estimate from one dose ratio, assuming a Schild slope of 1: log10(DR - 1) - log10[B]."""
    _positive(antagonist=antagonist)
    if not (isinstance(dose_ratio, (int, float)) and math.isfinite(dose_ratio) and dose_ratio > 1):
        raise InputError(f"must be a dose ratio above 1, got {dose_ratio!r}", field="dose_ratio")
    return float(math.log10(dose_ratio - 1.0) - math.log10(antagonist))


def schild_regression(
    antagonist: Sequence[float] | ArrayLike, dose_ratio: Sequence[float] | ArrayLike
) -> tuple[float, float]:
    """Schild plot regression (Arunlakshana & Schild 1959): (slope, pA2).

    log10(DR - 1) = slope (log10[B] + pA2); pA2 is the x-intercept's negative. Needs at least two
    antagonist concentrations (mol/L, > 0) with dose ratios above 1.
    """
    b = np.asarray(antagonist, dtype=float).ravel()
    dr = np.asarray(dose_ratio, dtype=float).ravel()
    if b.shape != dr.shape:
        raise InputError("antagonist and dose-ratio columns differ in length", field="dose_ratio")
    if b.size < 2:
        raise InputError("needs at least two antagonist concentrations", field="antagonist")
    if not (np.all(np.isfinite(b)) and np.all(b > 0)):
        raise InputError("concentrations must be positive and finite", field="antagonist")
    bad = np.flatnonzero(~(np.isfinite(dr) & (dr > 1)))
    if bad.size:
        raise InputError(
            f"dose ratios must be above 1; entry {int(bad[0]) + 1} is {dr[bad[0]]!r}",
            field="dose_ratio",
        )
    fit = stats.linregress(np.log10(b), np.log10(dr - 1.0))
    return float(fit.slope), float(fit.intercept / fit.slope)


def operational_effect(
    agonist: float | NDArray[np.float64],
    *,
    ka: float,
    tau: float,
    emax: float = 1.0,
    n: float = 1.0,
) -> float | NDArray[np.float64]:
    """Black-Leff operational model response to agonist concentration(s) ``agonist`` (mol/L)."""
    _positive(ka=ka, tau=tau, emax=emax, n=n)
    a = np.asarray(agonist, dtype=float)
    if np.any(~np.isfinite(a)) or np.any(a < 0):
        raise InputError("agonist concentrations must be finite and >= 0", field="agonist")
    occupancy = a / (a + ka)
    stim = (tau * occupancy) ** n
    out = emax * stim / (1.0 + stim)
    return float(out) if out.ndim == 0 else out


def operational_ec50(*, ka: float, tau: float, n: float = 1.0) -> float:
    """EC50 (mol/L) of the operational model: KA / ((2 + tau^n)^(1/n) - 1)."""
    _positive(ka=ka, tau=tau, n=n)
    return float(ka / ((2.0 + tau**n) ** (1.0 / n) - 1.0))


def operational_max(*, tau: float, emax: float = 1.0, n: float = 1.0) -> float:
    """Observed maximum of the operational model: Em tau^n / (1 + tau^n)."""
    _positive(tau=tau, emax=emax, n=n)
    return float(emax * tau**n / (1.0 + tau**n))


def operational_ic50(*, kb: float, agonist: float, ka: float, tau: float, n: float = 1.0) -> float:
    """IC50 (mol/L) of a competitive antagonist (Kb) against agonist ``agonist`` in a functional
    assay described by the operational model (KA, tau, slope n); closed form for any n.

    The response depends on [A] and [B] only through the agonist occupancy
    o = [A] / ([A] + KA (1 + [B]/Kb)); half the uninhibited response needs
    (tau o*)^n = h / (1 - h) with h = E0 / (2 Em), whence 1 + IC50/Kb = [A] (1 - o*) / (o* KA).
    For n = 1 this is Kb (1 + [A] (1 + tau) / KA), Cheng-Prusoff with the observed EC50.
    """
    _positive(kb=kb, agonist=agonist, ka=ka, tau=tau, n=n)
    o0 = agonist / (agonist + ka)
    s0 = (tau * o0) ** n
    h = 0.5 * s0 / (1.0 + s0)
    o_half = (h / (1.0 - h)) ** (1.0 / n) / tau
    ratio = agonist * (1.0 - o_half) / (o_half * ka)
    return float(kb * (ratio - 1.0))


def hemi_equilibrium_occupancy(
    *, agonist: float, antagonist: float, ka: float, kb: float, koff: float, time_s: float
) -> float:
    """Agonist occupancy ``time_s`` seconds after adding the agonist to receptors pre-equilibrated
    with the antagonist (Paton & Rang 1965; Kenakin's hemi-equilibrium), ``koff`` in 1/s.

    The agonist equilibrates instantly with the receptors the antagonist leaves free; the
    antagonist-bound fraction relaxes from b/(1+b) to b/(1+a+b) at rate
    koff (1 + b/(1+a)) (b = [B]/Kb, a = [A]/KA), so o_A(t) = (1 - r_B(t)) a/(1+a). At t = 0
    this is the pre-equilibrium block; as t grows it becomes Gaddum's occupancy.
    """
    _non_negative(agonist=agonist, antagonist=antagonist, time_s=time_s)
    _positive(ka=ka, kb=kb, koff=koff)
    a, b = agonist / ka, antagonist / kb
    start, end = b / (1.0 + b), b / (1.0 + a + b)
    rate = koff * (1.0 + b / (1.0 + a))
    bound = end + (start - end) * math.exp(-rate * time_s)
    return float((1.0 - bound) * a / (1.0 + a))
