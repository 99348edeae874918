"""NCA over intervals: partial AUCs and dosing intervals (first dose, steady state).

A dosing interval runs from a dose to the next (or to dose + tau for the last dose). Its start
concentration is the pre-dose sample (extravascular and infusion; 0 before the first dose when
there is no sample), or C0 back-extrapolated from the first two samples after an IV bolus. At
steady state a missing pre-dose sample is taken as the trough at the interval's end (Phoenix's
steady-state assumption), and said so. Per interval: AUCtau, Cmax and Tmax (h after the dose),
Cmin (lowest observed), Ctrough (observed at the end), Cavg = AUCtau / tau, fluctuation
100 (Cmax - Cmin) / Cavg (%), swing (Cmax - Cmin) / Cmin, and at steady state CLss = dose /
AUCtau and Vz,ss = CLss / lambda_z; the accumulation ratio observed (AUCtau of the last over the
first interval) and predicted from lambda_z, 1 / (1 - exp(-lambda_z tau)).

Partial AUCs (``--interval 0-24``) integrate the profile between two times, interpolating or
extrapolating the ends as PKNCA's AUCint does (:func:`~cxcr4lab.pkpd.nca_calc.auc_between`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from cxcr4lab.core.serial import Serial
from cxcr4lab.pkpd.nca_calc import FloatArray, auc_between
from cxcr4lab.pkpd.nca_read import Profile

__all__ = ["IntervalKind", "IntervalNca", "dosing_intervals", "partial_auc"]

IntervalKind = Literal["partial", "dosing", "steady state"]


@dataclass(frozen=True)
class IntervalNca(Serial):
    """The NCA of one interval (times in h from the subject's clock; Tmax after ``start``)."""

    subject: str
    kind: IntervalKind
    start: float
    end: float
    dose: float | None
    auc: float | None
    cmax: float | None = None
    tmax: float | None = None
    cmin: float | None = None
    ctrough: float | None = None
    cavg: float | None = None
    fluctuation_pct: float | None = None
    swing: float | None = None
    accumulation_ratio: float | None = None
    accumulation_pred: float | None = None
    cl_ss: float | None = None
    vz_ss: float | None = None
    notes: tuple[str, ...] = ()


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def partial_auc(
    subject: str,
    t: FloatArray,
    c: FloatArray,
    start: float,
    end: float,
    method: str,
    terminal: tuple[float, float, float] | None,
) -> IntervalNca:
    """AUC from ``start`` to ``end`` h of the whole profile (samples from the first dose on)."""
    auc = auc_between(t, c, start, end, method, terminal)
    notes: tuple[str, ...] = ()
    if auc is None:
        past = len(t) and end > t[-1]
        notes = (
            f"AUC {start:g}-{end:g} h not estimable: "
            + ("past the last sample and no lambda_z" if past else "before the first sample"),
        )
    return IntervalNca(subject, "partial", start, end, None, _finite(auc), notes=notes)


def dosing_intervals(
    profile: Profile,
    t: FloatArray,
    c: FloatArray,
    *,
    tau: float | None,
    steady_state: bool,
    method: str,
    terminal: tuple[float, float, float] | None,
    lambda_z: float | None,
    vfactor: float,
) -> list[IntervalNca]:
    """The first and last dosing intervals of a subject (one interval for a single dose with a
    tau: its AUC0-tau and the accumulation predicted from lambda_z); ``t``/``c`` are the samples
    after the BLQ rules, by time."""
    doses = profile.doses
    out: list[IntervalNca] = []
    spans: list[tuple[int, float, float]] = []  # (dose index, start, end)
    if len(doses) > 1:
        spans.append((0, doses[0].time, doses[1].time))
    if tau is not None:
        last = len(doses) - 1
        if not spans or last > 0:
            spans.append((last, doses[last].time, doses[last].time + tau))
    first_auc: float | None = None
    for k, (i, start, end) in enumerate(spans):
        is_last = i == len(doses) - 1
        kind: IntervalKind = "steady state" if (steady_state and is_last) else "dosing"
        interval = _interval(
            profile,
            t,
            c,
            i,
            start,
            end,
            kind=kind,
            method=method,
            terminal=terminal if is_last else None,
            lambda_z=lambda_z,
            vfactor=vfactor,
        )
        if k == 0:
            first_auc = interval.auc
        elif first_auc and interval.auc is not None:
            first_len = spans[0][2] - spans[0][1]
            if math.isclose(first_len, end - start, rel_tol=1e-9):
                interval = replace(interval, accumulation_ratio=interval.auc / first_auc)
            else:
                interval = replace(
                    interval,
                    notes=(
                        *interval.notes,
                        f"first interval {first_len:g} h differs from tau {end - start:g} h: no "
                        "observed accumulation ratio",
                    ),
                )
        out.append(interval)
    return out


def _interval(
    profile: Profile,
    t: FloatArray,
    c: FloatArray,
    i: int,
    start: float,
    end: float,
    *,
    kind: IntervalKind,
    method: str,
    terminal: tuple[float, float, float] | None,
    lambda_z: float | None,
    vfactor: float,
) -> IntervalNca:
    dose = profile.doses[i]
    notes: list[str] = []
    inside = (t >= start - 1e-12) & (t <= end + 1e-12)
    ti, ci = t[inside], c[inside]
    # the last interval may interpolate its end from a later sample (no dose follows)
    later = t > end + 1e-12 if terminal is not None else np.zeros(len(t), dtype=bool)
    t_after, c_after = t[later], c[later]
    span = f"{start:g}-{end:g} h"
    observed = ci[ti > start] if dose.route == "iv bolus" else ci
    obs_t = ti[ti > start] if dose.route == "iv bolus" else ti
    cmax = tmax = cmin = None
    if len(observed):
        j = int(np.argmax(observed))
        cmax, tmax = float(observed[j]), float(obs_t[j] - start)
        cmin = float(ci.min())
    at_end = np.flatnonzero(np.isclose(ti, end, rtol=0, atol=1e-9))
    ctrough = float(ci[at_end[0]]) if len(at_end) else None
    # the concentration the interval starts from
    c_start: float | None
    if dose.route == "iv bolus":
        after = np.flatnonzero((ti > start) & (ci > 0))
        if len(after) == 0:
            c_start = None
        elif len(after) > 1 and ci[after[1]] < ci[after[0]]:
            (t1, t2), (c1, c2) = ti[after[:2]], ci[after[:2]]
            c_start = math.exp(
                math.log(c1) - (math.log(c2) - math.log(c1)) / (t2 - t1) * (t1 - start)
            )
            notes.append(f"interval {span}: C0 back-extrapolated from t = {t1:g} and {t2:g} h")
        else:
            c_start = float(ci[after[0]])
        ti, ci = ti[ti > start], ci[ti > start]
    else:
        hit = np.flatnonzero(np.isclose(ti, start, rtol=0, atol=1e-9))
        if len(hit):
            c_start = float(ci[hit[0]])
            ti, ci = np.delete(ti, hit[0]), np.delete(ci, hit[0])
        elif i == 0 and not (t < start).any():
            c_start = 0.0
        elif kind == "steady state" and ctrough is not None:
            c_start = ctrough
            notes.append(
                f"interval {span}: no pre-dose sample; Ctrough at {end:g} h taken at the dose "
                "(steady state)"
            )
        else:
            c_start = None
    auc: float | None = None
    if c_start is None:
        notes.append(f"interval {span}: no concentration at the dose; AUC not estimable")
    else:
        tt = np.concatenate([[start], ti, t_after])
        cc = np.concatenate([[c_start], ci, c_after])
        auc = auc_between(tt, cc, start, end, method, terminal)
        if auc is None:
            notes.append(
                f"interval {span}: no sample at {end:g} h"
                + (" and no lambda_z to extrapolate" if terminal is None else "")
                + "; AUC not estimable"
            )
    tau = end - start
    cavg = None if auc is None else auc / tau
    fluct = swing = None
    if cavg and cmax is not None and cmin is not None:
        fluct = 100 * (cmax - cmin) / cavg
        swing = (cmax - cmin) / cmin if cmin > 0 else None
    pred = None if lambda_z is None else 1.0 / (1.0 - math.exp(-lambda_z * tau))
    cl_ss = vz_ss = None
    if kind == "steady state" and auc:
        cl_ss = dose.amount / auc * vfactor
        vz_ss = None if lambda_z is None else cl_ss / lambda_z
    return IntervalNca(
        subject=profile.subject,
        kind=kind,
        start=start,
        end=end,
        dose=dose.amount,
        auc=_finite(auc),
        cmax=_finite(cmax),
        tmax=_finite(tmax),
        cmin=_finite(cmin),
        ctrough=_finite(ctrough),
        cavg=_finite(cavg),
        fluctuation_pct=_finite(fluct),
        swing=_finite(swing),
        accumulation_pred=_finite(pred),
        cl_ss=_finite(cl_ss),
        vz_ss=_finite(vz_ss),
        notes=tuple(notes),
    )
