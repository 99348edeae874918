"""Robust fitting and ROUT outlier detection (Motulsky & Brown 2006, BMC Bioinformatics 7:123).

ROUT, as published:

1. a robust fit assuming Lorentzian scatter, i.e. minimising ``sum ln(1 + (r / RSDR)^2)``
   (scipy's ``loss="cauchy"`` with ``f_scale = RSDR``), adapting RSDR as the fit proceeds;
2. RSDR, the robust SD of the residuals: the 68.27th percentile of |residuals| (Hyndman & Fan
   type 7, as the authors specify) times ``N / (N - K)``;
3. each residual's two-sided P value from ``t = |r| / RSDR`` with ``N - K`` degrees of freedom,
   and the false discovery rate controlled at ``Q`` over the N points (Benjamini-Hochberg);
4. the outliers masked and the rest fitted by ordinary least squares.

Like Prism, a purely robust fit reports no standard errors or CIs: the Gaussian theory behind
them does not hold for the Lorentzian merit function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import optimize
from scipy.special import stdtr

from cxcr4lab.core.errors import InputError, Place
from cxcr4lab.fit.models import Model
from cxcr4lab.fit.result import FitResult
from cxcr4lab.fit.solve import fit_curve

__all__ = ["RoutResult", "fit_robust", "fit_rout", "rsdr"]

Array = NDArray[np.float64]


def rsdr(residuals: ArrayLike, n_params: int) -> float:
    """Robust SD of the residuals: P68.27(|r|) * N / (N - K)."""
    r = np.abs(np.asarray(residuals, dtype=float))
    n = r.size
    if n <= n_params:
        raise ValueError("more parameters than points")
    return float(np.percentile(r, 68.27, method="linear") * n / (n - n_params))


def _robust_values(
    model: Model,
    x: Array,
    y: Array,
    p0: Array,
    free: NDArray[np.bool_],
    scale: float,
    iterations: int = 6,
) -> tuple[Array, float]:
    """Lorentzian fit from ``p0``, re-estimating the scale (RSDR) between rounds."""
    p = p0.copy()
    k = int(free.sum())

    def full(q: Array) -> Array:
        out = p.copy()
        out[free] = q
        return out

    for _ in range(iterations):
        with np.errstate(over="ignore", invalid="ignore"):
            sol = optimize.least_squares(
                lambda q: model.f(x, full(q)) - y,
                p[free],
                jac=lambda q: model.jac(x, full(q))[:, free],
                loss="cauchy",
                f_scale=max(scale, 1e-300),
                xtol=1e-12,
                ftol=1e-12,
                gtol=1e-12,
                max_nfev=2000,
            )
        p = full(sol.x)
        new_scale = rsdr(model.f(x, p) - y, k)
        if new_scale <= 0 or abs(new_scale - scale) <= 1e-6 * scale:
            scale = new_scale if new_scale > 0 else scale
            break
        scale = new_scale
    return p, scale


def fit_robust(
    model: Model,
    x: ArrayLike,
    y: ArrayLike,
    *,
    fixed: Mapping[str, float] | None = None,
    place: Place | None = None,
) -> FitResult:
    """A robust (Lorentzian-loss) fit. Values only: stderr, covariance and CIs are None."""
    ls = fit_curve(model, x, y, fixed=fixed, place=place)  # validates and gives starting values
    xs, ys = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    free = np.array(ls.free)
    p, _ = _robust_values(
        model, xs, ys, np.array(ls.values), free, rsdr(ys - ls.predict(xs), int(free.sum()))
    )
    r = model.f(xs, p) - ys
    return replace(
        ls,
        values=tuple(float(v) for v in p),
        stderr=tuple(None for _ in p),
        covariance=None,
        rss=float(r @ r),
        message="robust fit (Lorentzian loss); no standard errors",
        profiles=(),
    )


@dataclass(frozen=True)
class RoutResult:
    """ROUT outcome: the least-squares ``fit`` of the points kept, and what was masked and why."""

    fit: FitResult
    robust_values: tuple[float, ...]
    rsdr: float
    q: float
    outliers: tuple[int, ...]
    p_values: tuple[float, ...]

    def masked(self) -> pd.DataFrame:
        """The masked points (index into the input) with their P values and the reason."""
        return pd.DataFrame(
            {
                "index": list(self.outliers),
                "p_value": [self.p_values[i] for i in self.outliers],
                "reason": [f"ROUT outlier (Q = {100 * self.q:g}%)"] * len(self.outliers),
            }
        )


def fit_rout(
    model: Model,
    x: ArrayLike,
    y: ArrayLike,
    *,
    q: float = 0.01,
    fixed: Mapping[str, float] | None = None,
    profile: Sequence[str] = (),
    alpha: float = 0.05,
    place: Place | None = None,
) -> RoutResult:
    """Fit with ROUT outlier removal at false discovery rate ``q`` (Prism's default Q = 1%)."""
    where = place or Place(curve="curve")
    if not 0 < q < 1:
        raise InputError(f"Q must be between 0 and 1 (a fraction), got {q}", place=where, field="q")
    xs, ys = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    ls = fit_curve(model, xs, ys, fixed=fixed, place=where)
    free = np.array(ls.free)
    k = int(free.sum())
    n = xs.size
    start_scale = rsdr(ys - ls.predict(xs), k)
    p, scale = _robust_values(model, xs, ys, np.array(ls.values), free, start_scale)
    residuals = ys - model.f(xs, p)
    if scale > 0:
        t = np.abs(residuals) / scale
        p_values = 2.0 * stdtr(n - k, -t)
    else:
        p_values = np.ones(n)
    # Benjamini-Hochberg step-up at level q over the n points.
    order = np.argsort(p_values)
    passed = p_values[order] <= q * np.arange(1, n + 1) / n
    n_out = int(np.max(np.nonzero(passed)[0]) + 1) if passed.any() else 0
    outliers = tuple(sorted(int(i) for i in order[:n_out]))
    keep = np.ones(n, dtype=bool)
    keep[list(outliers)] = False
    if keep.sum() < k + 1:
        raise InputError("ROUT would leave fewer points than parameters", place=where)
    final = fit_curve(
        model, xs[keep], ys[keep], fixed=fixed, profile=profile, alpha=alpha, place=where
    )
    return RoutResult(
        fit=final,
        robust_values=tuple(float(v) for v in p),
        rsdr=scale,
        q=q,
        outliers=outliers,
        p_values=tuple(float(v) for v in p_values),
    )
