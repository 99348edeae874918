"""NCA arithmetic on one concentration-time profile: AUC/AUMC rules and lambda_z selection.

Pure numpy on arrays already validated and sorted by time; no tables, no units. The rules follow
Phoenix WinNonlin: the linear trapezoidal rule or linear-up/log-down (log trapezoid on every
falling segment with both ends positive), and the automatic terminal slope chosen by adjusted
R^2 (the most points among fits within a tolerance of the best, at least 3 points, from Tmax for
an IV bolus and after Tmax otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "AUC_METHODS",
    "SlopeFit",
    "auc_between",
    "auc_segments",
    "best_slope",
    "conc_at",
    "fit_slope",
]

FloatArray = NDArray[np.float64]
AUC_METHODS = ("linear", "log-down")


@dataclass(frozen=True)
class SlopeFit:
    """A log-linear regression of the terminal phase (times t_lower..t_upper)."""

    lambda_z: float
    intercept: float
    r2: float
    adj_r2: float | None
    n_points: int
    t_lower: float
    t_upper: float


def auc_segments(t: FloatArray, c: FloatArray, method: str) -> tuple[FloatArray, FloatArray]:
    """AUC and AUMC of each interval between consecutive samples."""
    t1, t2, c1, c2 = t[:-1], t[1:], c[:-1], c[1:]
    dt = t2 - t1
    auc = dt * (c1 + c2) / 2
    aumc = dt * (t1 * c1 + t2 * c2) / 2
    if method == "log-down":
        log = (c2 < c1) & (c2 > 0)
        if log.any():
            k = np.log(c1[log] / c2[log]) / dt[log]
            auc[log] = (c1[log] - c2[log]) / k
            aumc[log] = (c1[log] * t1[log] - c2[log] * t2[log]) / k + (c1[log] - c2[log]) / k**2
    return auc, aumc


def fit_slope(t: FloatArray, c: FloatArray) -> SlopeFit | None:
    """Regress ln(c) on t (c > 0); None if fewer than 2 points or the slope is not negative."""
    n = len(t)
    if n < 2:
        return None
    y = np.log(c)
    tm, ym = float(t.mean()), float(y.mean())
    sxx = float(((t - tm) ** 2).sum())
    if sxx == 0:
        return None
    slope = float(((t - tm) * (y - ym)).sum()) / sxx
    if not slope < 0:
        return None
    intercept = ym - slope * tm
    ss_tot = float(((y - ym) ** 2).sum())
    ss_res = float(((y - (intercept + slope * t)) ** 2).sum())
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    adj = 1.0 - (1.0 - r2) * (n - 1) / (n - 2) if n > 2 else None
    return SlopeFit(-slope, intercept, r2, adj, n, float(t[0]), float(t[-1]))


def best_slope(
    t: FloatArray, c: FloatArray, *, min_points: int = 3, tolerance: float = 1e-4
) -> SlopeFit | None:
    """The automatic terminal fit over the last n >= ``min_points`` points of (t, c > 0).

    Among fits with a negative slope, those with adjusted R^2 within ``tolerance`` of the best
    qualify, and the one with the most points wins (Phoenix WinNonlin's 'best fit').
    """
    keep = c > 0
    t, c = t[keep], c[keep]
    fits = [fit_slope(t[-n:], c[-n:]) for n in range(max(min_points, 3), len(t) + 1)]
    ok = [f for f in fits if f is not None and f.adj_r2 is not None]
    if not ok:
        return None
    best = max(f.adj_r2 for f in ok if f.adj_r2 is not None)
    near = [f for f in ok if f.adj_r2 is not None and best - f.adj_r2 < tolerance]
    return max(near, key=lambda f: f.n_points)


def conc_at(
    t: FloatArray,
    c: FloatArray,
    at: float,
    method: str,
    terminal: tuple[float, float, float] | None = None,
) -> float | None:
    """The concentration at time ``at``: observed, interpolated between the samples around it,
    or after the last positive sample ``clast * exp(-lambda_z * (at - tlast))`` with
    ``terminal = (lambda_z, tlast, clast)``; None before the first sample or past the last
    without a terminal slope."""
    hit = np.flatnonzero(t == at)
    if len(hit):
        return float(c[hit[0]])
    if terminal is not None:
        lz, tlast, clast = terminal
        if at > tlast:
            return float(clast * np.exp(-lz * (at - tlast)))
    if len(t) == 0 or at < t[0] or at > t[-1]:
        return None
    j = int(np.searchsorted(t, at))
    t1, t2, c1, c2 = float(t[j - 1]), float(t[j]), float(c[j - 1]), float(c[j])
    f = (at - t1) / (t2 - t1)
    if method == "log-down" and c2 < c1 and c2 > 0:
        return float(np.exp(np.log(c1) + f * (np.log(c2) - np.log(c1))))
    return c1 + f * (c2 - c1)


def auc_between(
    t: FloatArray,
    c: FloatArray,
    start: float,
    end: float,
    method: str,
    terminal: tuple[float, float, float] | None = None,
) -> float | None:
    """AUC from ``start`` to ``end`` (PKNCA's AUCint): the samples inside plus concentrations
    at both ends from :func:`conc_at`; the part after tlast integrates the terminal exponential
    exactly. None when an end cannot be had."""
    c_start = conc_at(t, c, start, method, terminal)
    c_end = conc_at(t, c, end, method, terminal)
    if c_start is None or c_end is None:
        return None
    inside = (t > start) & (t < end)
    tt = np.concatenate([[start], t[inside], [end]])
    cc = np.concatenate([[c_start], c[inside], [c_end]])
    if terminal is not None and terminal[1] < end:
        tlast = terminal[1]
        if start < tlast and not (tt == tlast).any():
            k = int(np.searchsorted(tt, tlast))
            tt = np.insert(tt, k, tlast)
            cc = np.insert(cc, k, terminal[2])
    auc, _ = auc_segments(tt, cc, method)
    if terminal is not None:
        lz, tlast, _clast = terminal
        tail = tt[:-1] >= tlast
        if tail.any():
            c1, c2 = cc[:-1][tail], cc[1:][tail]
            auc[tail] = (c1 - c2) / lz
    return float(auc.sum())
