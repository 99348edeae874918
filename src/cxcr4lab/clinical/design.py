"""Trial design: 3+3 dose escalation, power and sample size, group-sequential boundaries.

**3+3** (the rule used here): treat 3 patients at a dose; 0/3 DLT -> escalate; 1/3 -> treat 3
more, and escalate if 1/6 in total; >= 2 DLT at a dose -> stop, and the MTD is the dose below
(none if it was the first dose). Clearing the top dose declares it the MTD. There is no
de-escalation to expand the dose below to six. The probability of escalating from a dose with
true DLT probability p is ``(1-p)^3 + 3 p (1-p)^2 (1-p)^3``; the distribution of the selected
MTD and the expected number of patients follow exactly from these per-dose probabilities.

The balixafortide + eribulin Phase 1b (seed facts ``[regimen.balixafortide_eribulin]``) started
at 2.0 mg/kg with increments of 0.5 and 1.0 mg/kg up to 5.5 mg/kg; the ladder assumed here is
:data:`BALIXAFORTIDE_LADDER` = 2.0, 2.5, 3.0, 4.0, 5.0, 5.5 mg/kg (0.5 steps at the bottom,
1.0 steps, then 0.5 to reach the recommended Phase 2 dose).

**Power**: two proportions by the normal approximation (R ``power.prop.test``), log-rank by
Schoenfeld's number of events ``D = (z_a + z_b)^2 / (r (1 - r) log(HR)^2)``.

**Group sequential**: efficacy boundaries of a one-sided level-alpha test at information
fractions t_1..t_K with Lan-DeMets O'Brien-Fleming-type spending
``alpha(t) = 2 - 2 Phi(z_{1-alpha/2} / sqrt(t))``, computed by the Armitage-McPherson-Rowe
recursion (numerical integration of the Brownian-motion density on the continuation region).
This is written here because no maintained Python library computes Lan-DeMets boundaries (the
references are R's gsDesign and rpact); tests check it against their published values.

>>> round(escalation_probability(0.3), 4)
0.4943
>>> [round(b, 3) for b in obf_boundaries([0.5, 1.0], alpha=0.025)]
[2.963, 1.969]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import integrate, optimize, stats

from cxcr4lab.core.errors import InputError
from cxcr4lab.core.serial import Serial

__all__ = [
    "BALIXAFORTIDE_LADDER",
    "ThreePlusThree",
    "escalation_probability",
    "escalation_table",
    "logrank_events",
    "logrank_power",
    "obf_boundaries",
    "obf_spending",
    "simulate_three_plus_three",
    "three_plus_three",
    "two_proportion_n",
    "two_proportion_power",
]

FloatArray = NDArray[np.float64]

BALIXAFORTIDE_LADDER: tuple[float, ...] = (2.0, 2.5, 3.0, 4.0, 5.0, 5.5)
"""Assumed 3+3 dose ladder of the balixafortide + eribulin Phase 1b (mg/kg)."""


def _prob(p: float, name: str) -> float:
    if not 0 <= p <= 1 or math.isnan(p):
        raise InputError(f"probability must be within [0, 1], got {p}", field=name)
    return float(p)


def escalation_probability(p: float) -> float:
    """P(escalate past a dose) under 3+3 when the true DLT probability is p."""
    p = _prob(p, "dlt probability")
    q = 1 - p
    return q**3 + 3 * p * q**2 * q**3


@dataclass(frozen=True)
class ThreePlusThree(Serial):
    """Exact operating characteristics of a 3+3 escalation over a dose ladder.

    ``mtd_probability[j]`` is P(MTD = doses[j]); ``p_no_mtd`` is P(stop at the first dose).
    The DLT probabilities are assumptions (a scenario), not estimates.
    """

    kind: ClassVar[str] = "three_plus_three"

    doses: tuple[float, ...]
    dose_unit: str
    dlt_probability: tuple[float, ...]
    escalation: tuple[float, ...]
    reach: tuple[float, ...]
    mtd_probability: tuple[float, ...]
    p_no_mtd: float
    expected_patients: float
    expected_patients_per_dose: tuple[float, ...]

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies here (app protocol)."""
        return []

    def summary(self) -> pd.DataFrame:
        """One row per dose: P(DLT), P(reach), P(escalate), P(selected MTD), E[patients]."""
        return pd.DataFrame(
            {
                f"dose ({self.dose_unit})": self.doses,
                "P(DLT)": self.dlt_probability,
                "P(reach)": self.reach,
                "P(escalate | reached)": self.escalation,
                "P(MTD)": self.mtd_probability,
                "E[patients]": self.expected_patients_per_dose,
            }
        )


def escalation_table(
    dlt_probability: Sequence[float] = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6),
) -> pd.DataFrame:
    """Per true DLT probability p at one dose: P(0/3), P(1/3 then 0/3), P(escalate), P(stop)
    and the expected patients treated there (3 + 3 P(1/3)).

    >>> escalation_table([0.3])["P(escalate)"].round(4).tolist()
    [0.4943]
    """
    rows = []
    for p in dlt_probability:
        p = _prob(p, "dlt probability")
        q = 1 - p
        one = 3 * p * q**2
        rows.append(
            {
                "P(DLT)": p,
                "P(0/3)": q**3,
                "P(1/3, then 0/3)": one * q**3,
                "P(escalate)": escalation_probability(p),
                "P(stop: >= 2 DLT)": 1 - escalation_probability(p),
                "E[patients at the dose]": 3 + 3 * one,
            }
        )
    return pd.DataFrame(rows)


def three_plus_three(
    dlt_probability: Sequence[float],
    doses: Sequence[float] = BALIXAFORTIDE_LADDER,
    *,
    dose_unit: str = "mg/kg",
) -> ThreePlusThree:
    """Exact 3+3 MTD distribution and expected sample size (see the module docstring)."""
    if len(dlt_probability) != len(doses) or not doses:
        raise InputError("need one DLT probability per dose", field="dlt probability")
    ps = [
        _prob(p, f"dlt probability at {d:g} {dose_unit}")
        for p, d in zip(dlt_probability, doses, strict=False)
    ]
    esc = [escalation_probability(p) for p in ps]
    reach = [math.prod(esc[:i]) for i in range(len(ps))]
    mtd = [reach[i + 1] * (1 - esc[i + 1]) for i in range(len(ps) - 1)] + [reach[-1] * esc[-1]]
    # At a reached dose: 3 patients, plus 3 more when exactly 1 of the first 3 has a DLT.
    per_dose = [r * (3 + 9 * p * (1 - p) ** 2) for r, p in zip(reach, ps, strict=False)]
    return ThreePlusThree(
        doses=tuple(float(d) for d in doses),
        dose_unit=dose_unit,
        dlt_probability=tuple(ps),
        escalation=tuple(esc),
        reach=tuple(reach),
        mtd_probability=tuple(mtd),
        p_no_mtd=1 - esc[0],
        expected_patients=sum(per_dose),
        expected_patients_per_dose=tuple(per_dose),
    )


def simulate_three_plus_three(
    dlt_probability: Sequence[float], trials: int, *, seed: int = 1
) -> tuple[FloatArray, float]:
    """Monte Carlo 3+3: (frequency of MTD index -1 (none), 0..K-1; mean patients)."""
    rng = np.random.default_rng(seed)
    k = len(dlt_probability)
    counts = np.zeros(k + 1)
    patients = 0
    for _ in range(trials):
        mtd = k - 1
        for i, p in enumerate(dlt_probability):
            first = int(rng.binomial(3, p))
            patients += 3
            if first == 1:
                second = int(rng.binomial(3, p))
                patients += 3
                first += second
            if first >= 2:
                mtd = i - 1
                break
        counts[mtd + 1] += 1
    return counts / trials, patients / trials


def _z(x: float) -> float:
    return float(stats.norm.ppf(x))


def two_proportion_power(p1: float, p2: float, n: float, *, alpha: float = 0.05) -> float:
    """Power of the two-sided level-alpha test of p1 vs p2 with n per group (R power.prop.test,
    strict = FALSE)."""
    p1, p2 = _prob(p1, "p1"), _prob(p2, "p2")
    if not n > 0:
        raise InputError(f"n must be > 0, got {n}", field="n")
    q1, q2 = 1 - p1, 1 - p2
    pbar = (p1 + p2) / 2
    d = abs(p1 - p2)
    num = math.sqrt(n) * d - _z(1 - alpha / 2) * math.sqrt(2 * pbar * (1 - pbar))
    return float(stats.norm.cdf(num / math.sqrt(p1 * q1 + p2 * q2)))


def two_proportion_n(p1: float, p2: float, *, power: float = 0.8, alpha: float = 0.05) -> float:
    """Patients per group for the given power (R power.prop.test); round up for a design."""
    p1, p2 = _prob(p1, "p1"), _prob(p2, "p2")
    if p1 == p2:
        raise InputError("p1 and p2 are equal: no sample size reaches the power", field="p2")
    pbar = (p1 + p2) / 2
    za, zb = _z(1 - alpha / 2), _z(power)
    root = za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return (root / (p1 - p2)) ** 2


def logrank_events(
    hr: float, *, power: float = 0.8, alpha: float = 0.05, allocation: float = 0.5
) -> float:
    """Schoenfeld: events needed for a two-sided level-alpha log-rank test to detect ``hr``."""
    if not hr > 0 or hr == 1:
        raise InputError(f"hazard ratio must be > 0 and != 1, got {hr}", field="hr")
    r = allocation
    return (_z(1 - alpha / 2) + _z(power)) ** 2 / (r * (1 - r) * math.log(hr) ** 2)


def logrank_power(
    hr: float, events: float, *, alpha: float = 0.05, allocation: float = 0.5
) -> float:
    """Schoenfeld power of the two-sided log-rank test with ``events`` events."""
    if not hr > 0:
        raise InputError(f"hazard ratio must be > 0, got {hr}", field="hr")
    r = allocation
    drift = abs(math.log(hr)) * math.sqrt(events * r * (1 - r))
    return float(stats.norm.cdf(drift - _z(1 - alpha / 2)))


def obf_spending(t: float, alpha: float) -> float:
    """Lan-DeMets O'Brien-Fleming-type cumulative one-sided alpha spent at information t."""
    if t <= 0:
        return 0.0
    return float(2 - 2 * stats.norm.cdf(_z(1 - alpha / 2) / math.sqrt(min(t, 1.0))))


def obf_boundaries(
    information: Sequence[float], *, alpha: float = 0.025, grid: int = 2001
) -> list[float]:
    """One-sided efficacy z boundaries at information fractions (increasing, last = 1)."""
    t = [float(x) for x in information]
    if not t or any(b <= a for a, b in itertools.pairwise(t)) or t[0] <= 0 or t[-1] > 1:
        raise InputError("information fractions must increase within (0, 1]", field="information")
    if not 0 < alpha < 0.5:
        raise InputError(f"alpha must be in (0, 0.5), got {alpha}", field="alpha")
    bounds: list[float] = []
    # density of B(t_k) (Brownian motion, B(t) = Z_t sqrt(t)) on the continuation region
    x: FloatArray = np.array([])
    f: FloatArray = np.array([])
    prev_t = 0.0
    for k, tk in enumerate(t):
        target = obf_spending(tk, alpha) - obf_spending(prev_t, alpha)
        sd = math.sqrt(tk - prev_t)

        b = optimize.brentq(_excess_crossing, 0.0, 40.0, args=(target, tk, sd, x, f), xtol=1e-12)
        bounds.append(float(b))
        upper = b * math.sqrt(tk)
        new_x = np.linspace(upper - 12 * math.sqrt(tk), upper, grid)
        if k == 0:
            new_f = stats.norm.pdf(new_x / math.sqrt(tk)) / math.sqrt(tk)
        else:
            kern = stats.norm.pdf((new_x[:, None] - x[None, :]) / sd) / sd
            new_f = _simpson(kern * f[None, :], x, axis=1)
        x, f = new_x, new_f
        prev_t = tk
    return bounds


def _excess_crossing(
    b: float, target: float, tk: float, sd: float, x: FloatArray, f: FloatArray
) -> float:
    """P(first crossing at this look with boundary b) - alpha to spend there."""
    if len(x) == 0:
        return float(stats.norm.sf(b)) - target
    tail = stats.norm.sf((b * math.sqrt(tk) - x) / sd)
    return float(_simpson(f * tail, x)) - target


def _simpson(y: FloatArray, x: FloatArray, axis: int = -1) -> FloatArray:
    return np.asarray(integrate.simpson(y, x=x, axis=axis), dtype=float)
