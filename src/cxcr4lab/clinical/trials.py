"""Randomised two-arm trial simulator, vectorised over replicates, with a vectorised log-rank test.

Every replicate enrols ``n`` patients uniformly over ``accrual_months``, randomised 1:1 (or
``allocation``) to control (arm 0) and treatment (arm 1). Each patient gets a binary response
(probability ``orr``) and a time to event (PFS or OS, months) from an exponential distribution
with the arm's median, or a piecewise-exponential one (``breaks`` and per-piece medians), an
exponential dropout time, and is censored administratively at the analysis (``analysis_months``
after the first enrolment). ORR is compared by the pooled two-proportion z test (Pearson
chi-square without continuity correction), time to event by the log-rank test.

:func:`logrank_batch` is the log-rank test of many trials at once (one row per replicate): sort
each row, group tied times as ``scipy.stats.logrank`` does, and return its two-sided p-values.

>>> import numpy as np
>>> t = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
>>> e = np.ones_like(t, dtype=bool)
>>> arm = np.array([[0, 0, 0, 1, 1, 1]])
>>> round(float(logrank_batch(t, e, arm)[1][0]), 4)
0.0246
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from cxcr4lab.core.errors import InputError
from cxcr4lab.core.serial import Serial

__all__ = [
    "ArmSpec",
    "SimulatedTrials",
    "TrialDesign",
    "TrialSimulation",
    "logrank_batch",
    "pooled_z",
    "proportion_ci",
    "sample_piecewise_exponential",
    "simulate_raw",
    "simulate_trials",
]

FloatArray = NDArray[np.float64]
LN2 = math.log(2.0)


def proportion_ci(successes: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a Monte Carlo proportion (e.g. power)."""
    if n <= 0:
        raise InputError("need at least one replicate", field="replicates")
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _tied_terms(ts: FloatArray, ev: FloatArray, a1: FloatArray) -> tuple[FloatArray, ...]:
    """E, O and V of arm 1 for sorted rows with tied times (each tie block one risk-set step)."""
    r, n = ts.shape
    idx = np.broadcast_to(np.arange(n), (r, n))
    new = np.ones((r, n), dtype=bool)
    new[:, 1:] = ts[:, 1:] != ts[:, :-1]
    last = np.ones((r, n), dtype=bool)
    last[:, :-1] = new[:, 1:]
    start = np.maximum.accumulate(np.where(new, idx, 0), axis=1)
    zeros = np.zeros((r, 1))
    c_arm1 = np.concatenate([zeros, np.cumsum(a1, axis=1)], axis=1)  # before position i
    c_d = np.concatenate([zeros, np.cumsum(ev, axis=1)], axis=1)
    c_d1 = np.concatenate([zeros, np.cumsum(ev * a1, axis=1)], axis=1)
    n_risk = (n - start).astype(float)
    n1_risk = c_arm1[:, -1:] - np.take_along_axis(c_arm1, start, axis=1)
    d = c_d[:, 1:] - np.take_along_axis(c_d, start, axis=1)  # events in the block so far
    d1 = c_d1[:, 1:] - np.take_along_axis(c_d1, start, axis=1)
    w = last.astype(float)  # count each tie block once, at its last member
    frac = n1_risk / n_risk
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(n_risk > 1, d * frac * (1 - frac) * (n_risk - d) / (n_risk - 1), 0.0)
    return (
        np.sum(w * d * frac, axis=1),
        np.sum(w * d1, axis=1),
        np.sum(w * v, axis=1),
    )


_LOW_BYTE = 0 if sys.byteorder == "little" else 7  # the least significant byte of a uint64
_CHUNK_BYTES = 1 << 20
"""Bytes of one (rows, patients) uint64 array per chunk of :func:`logrank_batch` (stays in L2)."""


def _untied_terms(
    t: FloatArray, code: NDArray[np.uint8], inv: FloatArray, inv2: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.bool_]]:
    """E, O, V of arm 1 for rows of distinct times, and which rows have (near-)tied times.

    ``code`` is event + 2 * arm. One uint64 key per patient is sorted: the time's bits (floats
    >= 0 sort as integers) with the lowest two replaced by the code. A row whose sorted keys
    differ by < 4 somewhere has two times equal (or within 3 ulps): its terms here are wrong
    and the caller recomputes it exactly. Otherwise position i has n - i patients at risk, of
    whom n1_i (a suffix count of arm 1) in arm 1; E = sum d_i n1_i / N_i and
    V = sum d_i n1_i (N_i - n1_i) / N_i^2 = E - sum d_i n1_i^2 / N_i^2.
    """
    n = t.shape[1]
    key = np.add(t, 0.0).view(np.uint64)  # + 0.0 turns -0.0 into 0.0
    key &= ~np.uint64(3)
    key |= code
    key.sort(axis=1)
    tied = np.any(np.diff(key, axis=1) < 4, axis=1)
    cs: NDArray[np.uint8] = key.view(np.uint8)[:, _LOW_BYTE::8] & np.uint8(3)  # sorted codes
    a1: NDArray[np.integer[Any]] = cs >> 1
    c1: NDArray[np.signedinteger[Any]] = np.cumsum(
        a1, axis=1, dtype=np.int16 if n < 2**15 else np.int64
    )
    n1 = c1[:, -1:] - c1
    n1 += a1  # arm-1 patients at risk at each position
    w = n1 * (cs & 1)  # n1 where the patient has the event, else 0
    expected = np.einsum("ij,j->i", w, inv)
    w2 = w.astype(np.int32 if n < 46_341 else np.int64) * n1
    var = expected - np.einsum("ij,j->i", w2, inv2)
    observed = np.count_nonzero(cs == 3, axis=1).astype(float)
    return expected, observed, var, tied


def logrank_batch(
    time: FloatArray, event: NDArray[np.bool_], arm: NDArray[np.integer[Any]]
) -> tuple[FloatArray, FloatArray]:
    """Two-sided log-rank test per row: (z statistic of arm 1 vs arm 0, p-value).

    ``time``, ``event`` and ``arm`` (0 or 1) are (replicates, patients) arrays. Tied times form
    one risk-set step (hypergeometric variance), as ``scipy.stats.logrank(x=arm 0, y=arm 1)``,
    whose statistic z is (O - E) / sqrt(V) of arm 0: z > 0 means more events than expected in
    control. Rows are processed in cache-sized chunks with one sort each; rows with tied times
    are redone by an exact tie path.
    """
    t = np.asarray(time, dtype=float)
    if t.ndim != 2:
        raise InputError("time must be a (replicates, patients) array", field="time")
    if not np.all(t >= 0):  # also refuses NaN
        raise InputError("times must be >= 0 and not missing", field="time")
    ev = np.broadcast_to(np.asarray(event, dtype=bool), t.shape)
    a = np.broadcast_to(np.asarray(arm), t.shape)
    if a.dtype != np.bool_ and a.size and (a.min() < 0 or a.max() > 1):
        raise InputError("arm must be 0 (control) or 1 (treatment)", field="arm")
    r, n = t.shape
    at_risk = n - np.arange(n, dtype=float)
    inv = 1.0 / at_risk
    inv2 = inv * inv
    expected = np.empty(r)
    observed = np.empty(r)
    var = np.empty(r)
    tied = np.empty(r, dtype=bool)
    rows = max(1, _CHUNK_BYTES // (8 * max(n, 1)))
    for s in range(0, r, rows):
        e = min(r, s + rows)
        code = ev[s:e].view(np.uint8) | (a[s:e].astype(np.uint8) << np.uint8(1))
        expected[s:e], observed[s:e], var[s:e], tied[s:e] = _untied_terms(t[s:e], code, inv, inv2)
    if tied.any():
        tt = t[tied]
        order = np.argsort(tt, axis=1, kind="stable")
        c_t = np.take_along_axis(ev[tied] + 2 * a[tied].astype(np.int64), order, axis=1)
        expected[tied], observed[tied], var[tied] = _tied_terms(
            np.take_along_axis(tt, order, axis=1), (c_t & 1).astype(float), (c_t >> 1).astype(float)
        )
    # scipy.stats.logrank(x=arm 0, y=arm 1): statistic = (O_x - E_x) / sqrt(V) = -(O_1 - E_1)/sd.
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (expected - observed) / np.sqrt(var)
    p = 2 * stats.norm.sf(np.abs(z))
    return z, p


def sample_piecewise_exponential(
    rng: np.random.Generator,
    size: tuple[int, ...],
    medians: Sequence[float],
    breaks: Sequence[float] = (),
) -> FloatArray:
    """Event times (months) with hazard ln2/median[k] on piece k; pieces start at 0, *breaks*."""
    if len(medians) != len(breaks) + 1:
        raise InputError("need one median per piece (len(breaks) + 1)", field="medians")
    if any(not m > 0 for m in medians):
        raise InputError(f"medians must be > 0, got {list(medians)}", field="medians")
    if list(breaks) != sorted(breaks) or any(b <= 0 for b in breaks):
        raise InputError("breaks must be increasing and > 0", field="breaks")
    hazards = np.array([LN2 / m for m in medians])
    knots = np.concatenate([[0.0], np.asarray(breaks, dtype=float)])
    cum = np.concatenate([[0.0], np.cumsum(hazards[:-1] * np.diff(knots))])
    target = rng.standard_exponential(size=size)  # cumulative hazard at the event
    if len(medians) == 1:
        return np.asarray(np.divide(target, hazards[0], out=target), dtype=float)
    piece = np.searchsorted(cum, target, side="right") - 1
    return np.asarray(knots[piece] + (target - cum[piece]) / hazards[piece], dtype=float)


@dataclass(frozen=True)
class ArmSpec:
    """One arm: true ORR (fraction) and the medians (months) of the time-to-event pieces."""

    name: str
    orr: float
    medians: tuple[float, ...]

    def __post_init__(self) -> None:
        if not 0 <= self.orr <= 1:
            raise InputError(f"ORR must be within [0, 1], got {self.orr}", field=f"{self.name} orr")
        if not self.medians or any(not m > 0 for m in self.medians):
            raise InputError("medians must be > 0 months", field=f"{self.name} medians")


@dataclass(frozen=True)
class TrialDesign(Serial):
    """A two-arm trial: n patients, accrual (months), analysis time (months from first patient),
    dropout hazard (per month), allocation to treatment, two-sided alpha."""

    control: ArmSpec
    treatment: ArmSpec
    n: int = 432
    accrual_months: float = 24.0
    analysis_months: float = 36.0
    dropout_per_month: float = 0.0
    breaks: tuple[float, ...] = ()
    allocation: float = 0.5
    alpha: float = 0.05

    def __post_init__(self) -> None:
        if self.n < 4:
            raise InputError(f"n must be >= 4, got {self.n}", field="n")
        if not 0 < self.allocation < 1:
            raise InputError("allocation must be in (0, 1)", field="allocation")
        if not 0 < self.alpha < 1:
            raise InputError("alpha must be in (0, 1)", field="alpha")
        if self.accrual_months < 0 or self.analysis_months <= 0:
            raise InputError("accrual must be >= 0 and analysis > 0 months", field="accrual")
        if self.dropout_per_month < 0:
            raise InputError("dropout hazard must be >= 0", field="dropout")


@dataclass(frozen=True)
class TrialSimulation(Serial):
    """Monte Carlo operating characteristics of a design (powers with Wilson 95% CIs)."""

    kind: ClassVar[str] = "trial"

    design: TrialDesign
    replicates: int
    seed: int
    power_orr: float
    power_orr_ci: tuple[float, float]
    power_tte: float
    power_tte_ci: tuple[float, float]
    mean_events: float
    mean_orr_control: float
    mean_orr_treatment: float
    median_observed_hr: float | None
    simulated: bool = True

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies here (app protocol)."""
        return []

    def summary(self) -> pd.DataFrame:
        rows = [
            ("power, ORR (z test)", self.power_orr, *self.power_orr_ci, "%"),
            ("power, log-rank", self.power_tte, *self.power_tte_ci, "%"),
        ]
        out = [
            {
                "quantity": q,
                "estimate (%)": 100 * v,
                "lower 95% (%)": 100 * lo,
                "upper 95% (%)": 100 * hi,
            }
            for q, v, lo, hi, _ in rows
        ]
        return pd.DataFrame(out)


@dataclass(frozen=True)
class SimulatedTrials:
    """Raw replicate arrays (replicates, n) of one simulation run (``arm`` is one row repeated,
    a read-only view)."""

    arm: NDArray[np.int64]
    response: NDArray[np.bool_]
    time: FloatArray
    event: NDArray[np.bool_]


def simulate_raw(design: TrialDesign, replicates: int, rng: np.random.Generator) -> SimulatedTrials:
    """Patient-level arrays of ``replicates`` trials (months; arm 1 = treatment)."""
    if replicates < 1:
        raise InputError(f"replicates must be >= 1, got {replicates}", field="replicates")
    shape = (replicates, design.n)
    n1 = round(design.n * design.allocation)
    # Patients are exchangeable (iid entry and outcomes), so the arm can follow the column:
    # the first n1 columns are treatment, the rest control, in every row (a read-only view).
    arm_row = np.zeros(design.n, dtype=np.int64)
    arm_row[:n1] = 1
    arm = np.broadcast_to(arm_row, shape)
    orr = np.where(arm_row == 1, design.treatment.orr, design.control.orr)
    response = rng.random(shape) < orr
    t_event = np.empty(shape)
    t_event[:, :n1] = sample_piecewise_exponential(
        rng, (replicates, n1), design.treatment.medians, design.breaks
    )
    t_event[:, n1:] = sample_piecewise_exponential(
        rng, (replicates, design.n - n1), design.control.medians, design.breaks
    )
    censor = rng.uniform(0.0, design.accrual_months, size=shape)  # entry time
    np.subtract(design.analysis_months, censor, out=censor)  # follow-up at the analysis
    np.maximum(censor, 0.0, out=censor)
    if design.dropout_per_month > 0:
        drop = rng.standard_exponential(size=shape)
        drop *= 1.0 / design.dropout_per_month
        np.minimum(censor, drop, out=censor)
    time = np.minimum(t_event, censor)
    return SimulatedTrials(arm, response, time, t_event <= censor)


def pooled_z(x1: Any, n1: Any, x0: Any, n0: Any) -> FloatArray:
    """Pooled two-proportion z statistic of x1/n1 against x0/n0 (0 where both rates are 0 or 1)."""
    pool = (x0 + x1) / (n0 + n1)
    se = np.sqrt(pool * (1 - pool) * (1 / n0 + 1 / n1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(se > 0, (x1 / n1 - x0 / n0) / se, 0.0), dtype=float)


def _orr_pvalues(arm: NDArray[np.int64], response: NDArray[np.bool_]) -> FloatArray:
    n1 = arm.sum(axis=1)
    x1 = (response & (arm == 1)).sum(axis=1)
    z = pooled_z(x1, n1, response.sum(axis=1) - x1, arm.shape[1] - n1)
    return np.asarray(2 * stats.norm.sf(np.abs(z)), dtype=float)


def simulate_trials(
    design: TrialDesign, replicates: int = 10_000, *, seed: int = 20190101, chunk: int = 2000
) -> TrialSimulation:
    """Power of the ORR and log-rank comparisons over ``replicates`` simulated trials.

    >>> d = TrialDesign(ArmSpec("eribulin", 0.13, (4.0,)), ArmSpec("combination", 0.13, (4.0,)))
    >>> sim = simulate_trials(d, 400, seed=1)
    >>> 0.0 <= sim.power_orr <= 0.12
    True
    """
    if replicates < 1:
        raise InputError(f"replicates must be >= 1, got {replicates}", field="replicates")
    rng = np.random.default_rng(seed)
    wins_orr = wins_tte = 0
    events = orr0 = orr1 = 0.0
    hrs: list[FloatArray] = []
    done = 0
    while done < replicates:
        m = min(chunk, replicates - done)
        sim = simulate_raw(design, m, rng)
        wins_orr += int(np.sum(_orr_pvalues(sim.arm, sim.response) < design.alpha))
        _, p = logrank_batch(sim.time, sim.event, sim.arm)
        wins_tte += int(np.sum(p < design.alpha))
        events += float(sim.event.sum())
        t1 = sim.arm == 1
        orr1 += float((sim.response & t1).sum() / t1.sum(axis=1).mean())
        orr0 += float((sim.response & ~t1).sum() / (~t1).sum(axis=1).mean())
        # Exponential HR estimate per replicate: ratio of event rates (events / exposure).
        with np.errstate(divide="ignore", invalid="ignore"):
            rate1 = (sim.event & t1).sum(axis=1) / np.where(t1, sim.time, 0).sum(axis=1)
            rate0 = (sim.event & ~t1).sum(axis=1) / np.where(~t1, sim.time, 0).sum(axis=1)
            hrs.append(rate1 / rate0)
        done += m
    hr_all = np.concatenate(hrs)
    hr_all = hr_all[np.isfinite(hr_all)]
    return TrialSimulation(
        design=design,
        replicates=replicates,
        seed=seed,
        power_orr=wins_orr / replicates,
        power_orr_ci=proportion_ci(wins_orr, replicates),
        power_tte=wins_tte / replicates,
        power_tte_ci=proportion_ci(wins_tte, replicates),
        mean_events=events / replicates,
        mean_orr_control=orr0 / replicates,
        mean_orr_treatment=orr1 / replicates,
        median_observed_hr=float(np.median(hr_all)) if len(hr_all) else None,
    )
