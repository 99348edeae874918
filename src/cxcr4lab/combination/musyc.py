"""MuSyC: the two-drug Hill surface with potency, efficacy and cooperativity synergy (domain
layer, no drawing).

The model is Meyer et al. 2019 (Cell Syst 8:97) as Wooten et al. 2021 (Bioinformatics 37:1473)
implement it in the ``synergy`` package (1.0.0, ``synergy.combination.MuSyC``, with its default
``r1r = r2r = 1``). It is written here by hand because that package is GPL (a test-only
dependency here, never imported by ``src``) and because its closed form, a 16-term expansion,
hides a short derivation that also gives the exact Jacobian:

Cells move between four states: unaffected (U), affected by drug 1 only (A1), by drug 2 only
(A2), by both (A12), each with an effect ``E0, E1, E2, E3``. With the reverse rates 1
(``r1r = r2r = 1``) the forward rates are ``a1 = (d1/C1)^h1`` (U -> A1),
``a2 = (d2/C2)^h2`` (U -> A2), ``b1 = (alpha21 d1/C1)^(gamma21 h1)`` (drug 1 acting on A2:
A2 -> A12) and ``b2 = (alpha12 d2/C2)^(gamma12 h2)`` (A1 -> A12). The steady state of the
four-state cycle (Kirchhoff's matrix-tree theorem; each weight is a sum over the four spanning
trees directed into the state) is::

    w_U   = 2 + b1 + b2
    w_A1  = a1 (2 + b1) + a2 b1
    w_A2  = a2 (2 + b2) + a1 b2
    w_A12 = a1 b2 + a2 b1 + b1 b2 (a1 + a2)
    E(d1, d2) = (w_U E0 + w_A1 E1 + w_A2 E2 + w_A12 E3) / (w_U + w_A1 + w_A2 + w_A12)

which is the package's ``MuSyC._model`` to rounding (``tests/combination/test_musyc.py``). With
one drug absent it is the Hill curve ``E0 + (E1 - E0) a1 / (1 + a1)``.

Synergy parameters (as the package reports them): ``alpha12`` (> 1: drug 1 makes drug 2 more
potent), ``alpha21`` (the converse), ``gamma12``/``gamma21`` (cooperativity, > 1 synergistic)
and ``beta = (E_strong - E3) / (E0 - E_strong)`` with ``E_strong`` the stronger drug's maximal
effect (the package's ``(min(E1, E2) - E3) / (E0 - min(E1, E2))`` for a falling effect such as
viability; for a rising one, % inhibition, ``E_strong = max(E1, E2)``, the same formula on
``-E``): > 0 the combination is more efficacious than either drug.

Fitting, as the package does: least squares (:func:`cxcr4lab.fit.minimize.minimize_lsq`,
Levenberg-Marquardt with the analytic Jacobian) in the scale ``E0..E3, ln h, ln C, ln alpha,
ln gamma``, so that h, C, alpha and gamma stay in the package's bounds ``(0, inf)``; E's are
unbounded unless ``bounds`` say otherwise. Starts come from four-parameter Hill fits of each
drug's monotherapy points (``E0 = E(d_min)``, ``Emax = E(d_max)``, ``h = 1``, ``C`` the median
dose, as the package's ``Hill``), ``E3`` the median effect at the two top doses, alpha and gamma
1; the fit is also started from alpha in {0.1, 10}^2 and the lowest cost kept (the package
tries only alpha = 1). ``fit_gamma=False`` fits the reduced model with gamma12 = gamma21 = 1.

Uncertainty, 1 - ``alpha`` (default 95 %) intervals, stated in ``ci_method``:

* ``"asymptotic"``: ``s^2 (J^T J)^-1`` at the optimum (``s^2 = RSS / (n - p)``), t intervals
  with ``n - p`` df in the fitting scale (so h, C, alpha, gamma get ratio intervals
  ``exp(ln x -/+ t SE)``); beta's by the delta method from E0, E_strong and E3.
* ``"bootstrap"``: the package's ``bootstrap_iterations`` scheme: normal noise with
  ``sigma = sqrt(RSS / (n - p))`` added to the fitted surface, refitted from the estimate,
  percentile intervals of the converged refits (beta from each refit's E's); seeded with
  ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.special import stdtrit

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.fit.minimize import MinimizeResult, minimize_lsq

__all__ = [
    "GAMMA_NAMES",
    "PARAM_NAMES",
    "MusycFit",
    "fit_musyc",
    "musyc_beta",
    "musyc_surface",
]

Array = NDArray[np.float64]

PARAM_NAMES = (
    "E0",
    "E1",
    "E2",
    "E3",
    "h1",
    "h2",
    "C1",
    "C2",
    "alpha12",
    "alpha21",
    "gamma12",
    "gamma21",
)
"""The parameters in the package's order; the reduced model drops the last two."""

GAMMA_NAMES = ("gamma12", "gamma21")

POSITIVE = frozenset(PARAM_NAMES[4:])
"""Parameters fitted on the log scale (the package's bounds (0, inf))."""

LOG_RATE_LIMIT = 200.0
"""Log-rates are clipped to +/- this so that products of three rates stay finite; a rate of
e^200 against the reverse rate 1 is saturation to far below rounding."""

LOG_SLOPE_LIMIT = 30.0
"""``ln h`` and ``ln gamma`` are clipped to +/- this inside the surface (a Hill slope of e^30
is a step), so a solver step far out cannot overflow."""

ALPHA_STARTS = ((1.0, 1.0), (10.0, 10.0), (0.1, 0.1), (10.0, 0.1), (0.1, 10.0))
"""Starting (alpha12, alpha21) pairs; the lowest cost wins."""

MIN_BOOTSTRAP_SUCCESS = 0.5
"""A bootstrap with fewer converged refits than this share of its iterations is flagged."""


# --- the surface --------------------------------------------------------------------------------


def _log_rate(d: Array, log_scale: Array | float, exponent: Array | float) -> Array:
    """``exponent * (ln d - log_scale)``, -inf at d = 0, clipped to +/-LOG_RATE_LIMIT."""
    with np.errstate(divide="ignore"):
        raw = exponent * (np.log(d) - log_scale)
    return np.where(d > 0, np.clip(raw, -LOG_RATE_LIMIT, LOG_RATE_LIMIT), -np.inf)


def _natural(theta: Array, fit_gamma: bool) -> Array:
    """Fitting scale -> the 12 natural parameters (gamma 1 when not fitted)."""
    p = np.array(theta, dtype=float)
    with np.errstate(over="ignore"):  # a flat drug's C runs to infinity: reported as such
        p[4:] = np.exp(p[4:])
    return p if fit_gamma else np.concatenate([p, [1.0, 1.0]])


def _surface(
    theta: Array, d1: Array, d2: Array, fit_gamma: bool, jacobian: bool
) -> tuple[Array, Array | None]:
    """E at the doses and, if asked, dE/d theta (fitting scale, columns in PARAM_NAMES order)."""
    e0, e1, e2, e3, lh1, lh2, lc1, lc2, la12, la21 = theta[:10]
    lg12, lg21 = (theta[10], theta[11]) if fit_gamma else (0.0, 0.0)
    h1, h2, g12, g21 = (
        math.exp(min(max(v, -LOG_SLOPE_LIMIT), LOG_SLOPE_LIMIT)) for v in (lh1, lh2, lg12, lg21)
    )
    la1 = _log_rate(d1, lc1, h1)
    la2 = _log_rate(d2, lc2, h2)
    lb1 = _log_rate(d1, lc1 - la21, g21 * h1)
    lb2 = _log_rate(d2, lc2 - la12, g12 * h2)
    a1, a2, b1, b2 = np.exp(la1), np.exp(la2), np.exp(lb1), np.exp(lb2)
    w0 = 2.0 + b1 + b2
    w1 = a1 * (2.0 + b1) + a2 * b1
    w2 = a2 * (2.0 + b2) + a1 * b2
    w3 = a1 * b2 + a2 * b1 + b1 * b2 * (a1 + a2)
    total = w0 + w1 + w2 + w3
    e = (w0 * e0 + w1 * e1 + w2 * e2 + w3 * e3) / total
    if not jacobian:
        return e, None
    g0, g1, g2, g3 = ((ek - e) / total for ek in (e0, e1, e2, e3))
    s = a1 + a2
    de_a1 = (2.0 + b1) * g1 + b2 * g2 + (b2 + b1 * b2) * g3
    de_a2 = b1 * g1 + (2.0 + b2) * g2 + (b1 + b1 * b2) * g3
    de_b1 = g0 + s * g1 + (a2 + b2 * s) * g3
    de_b2 = g0 + s * g2 + (a1 + b1 * s) * g3

    def times_log(rate: Array, log_rate: Array) -> Array:
        return np.where(rate > 0, rate * np.where(np.isfinite(log_rate), log_rate, 0.0), 0.0)

    cols = [
        w0 / total,
        w1 / total,
        w2 / total,
        w3 / total,
        de_a1 * times_log(a1, la1) + de_b1 * times_log(b1, lb1),  # ln h1
        de_a2 * times_log(a2, la2) + de_b2 * times_log(b2, lb2),  # ln h2
        -h1 * (de_a1 * a1 + de_b1 * g21 * b1),  # ln C1
        -h2 * (de_a2 * a2 + de_b2 * g12 * b2),  # ln C2
        de_b2 * g12 * h2 * b2,  # ln alpha12
        de_b1 * g21 * h1 * b1,  # ln alpha21
    ]
    if fit_gamma:
        cols += [de_b2 * times_log(b2, lb2), de_b1 * times_log(b1, lb1)]  # ln gamma12, 21
    return e, np.column_stack(cols)


def musyc_surface(
    d1: ArrayLike,
    d2: ArrayLike,
    *,
    E0: float,
    E1: float,
    E2: float,
    E3: float,
    h1: float,
    h2: float,
    C1: float,
    C2: float,
    alpha12: float = 1.0,
    alpha21: float = 1.0,
    gamma12: float = 1.0,
    gamma21: float = 1.0,
) -> Array:
    """The MuSyC effect at doses ``d1``, ``d2`` (module docstring; ``r1r = r2r = 1``).

    >>> musyc_surface([0.0, 1.0], [0.0, 0.0], E0=1, E1=0, E2=0, E3=0, h1=1, h2=1, C1=1, C2=1)
    array([1. , 0.5])
    """
    a = np.asarray(d1, dtype=float)
    b = np.asarray(d2, dtype=float)
    a, b = np.broadcast_arrays(a, b)
    logs = [math.log(v) for v in (h1, h2, C1, C2, alpha12, alpha21, gamma12, gamma21)]
    theta = np.array([E0, E1, E2, E3, *logs], dtype=float)
    e, _ = _surface(theta, a.ravel(), b.ravel(), True, False)
    return e.reshape(a.shape)


def musyc_beta(e0: float, e1: float, e2: float, e3: float, *, rising: bool = False) -> float:
    """Efficacy synergy ``beta = (E_strong - E3) / (E0 - E_strong)``; ``E_strong`` is
    ``min(E1, E2)`` for a falling effect (the package's formula), ``max`` for a rising one.

    >>> musyc_beta(1.0, 0.4, 0.2, 0.0)
    0.25
    """
    strong = max(e1, e2) if rising else min(e1, e2)
    return (strong - e3) / (e0 - strong)


# --- the result ---------------------------------------------------------------------------------


def _opt(value: float) -> float | None:
    v = float(value)
    return v if math.isfinite(v) else None


@dataclass(frozen=True)
class MusycFit(Serial):
    """A MuSyC fit of one checkerboard (module docstring).

    ``names``/``values`` are the parameters (natural scale; C in ``unit``, E in the input's
    units, ``effect``), ``stderr`` their asymptotic SEs (delta method for the log-fitted ones)
    and ``lower``/``upper`` the ``1 - alpha`` intervals of ``ci_method``; ``beta`` with its
    interval likewise. ``direction`` says whether the effect falls (viability; the package's
    convention) or rises (% inhibition) with dose. ``bootstrap_converged`` counts the refits
    behind a bootstrap interval. ``rss``, ``r_squared``, ``aic``, ``bic`` as the package
    computes them; ``d1``, ``d2``, ``e`` are the data fitted. ``flags`` note a fit not to
    trust (not converged, an interval that could not be computed, a bootstrap that mostly
    failed).
    """

    drugs: tuple[str, str]
    unit: str
    effect: str
    direction: Literal["falling", "rising"]
    fit_gamma: bool
    names: tuple[str, ...]
    values: tuple[float, ...]
    stderr: tuple[float | None, ...]
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]
    beta: float
    beta_stderr: float | None
    beta_lower: float | None
    beta_upper: float | None
    ci_method: Literal["asymptotic", "bootstrap"]
    alpha: float
    bootstrap_iterations: int
    bootstrap_converged: int
    seed: int | None
    n: int
    rss: float
    r_squared: float
    aic: float
    bic: float
    converged: bool
    message: str
    d1: tuple[float, ...]
    d2: tuple[float, ...]
    e: tuple[float, ...]
    flags: tuple[str, ...] = ()

    @property
    def params(self) -> dict[str, float]:
        """The parameters by name, with gamma 1 in the reduced model and ``beta``."""
        p = dict(zip(self.names, self.values, strict=True))
        if not self.fit_gamma:
            p |= {"gamma12": 1.0, "gamma21": 1.0}
        return p | {"beta": self.beta}

    def conf_int(self) -> dict[str, tuple[float | None, float | None]]:
        """``{name: (lower, upper)}`` at ``1 - alpha`` (``ci_method``), beta included."""
        out = {n: (lo, hi) for n, lo, hi in zip(self.names, self.lower, self.upper, strict=True)}
        return out | {"beta": (self.beta_lower, self.beta_upper)}

    def predict(self, d1: ArrayLike, d2: ArrayLike) -> Array:
        """The fitted surface at the doses."""
        p = self.params
        return musyc_surface(d1, d2, **{k: p[k] for k in PARAM_NAMES})

    def reference(self, d1: ArrayLike, d2: ArrayLike) -> Array:
        """The no-synergy surface of the same single drugs: alpha = gamma = 1 and ``E3`` the
        stronger drug's effect (the package's ``E_reference``)."""
        p = self.params
        strong = max(p["E1"], p["E2"]) if self.direction == "rising" else min(p["E1"], p["E2"])
        q = {k: p[k] for k in PARAM_NAMES[:8]} | {"E3": strong}
        return musyc_surface(d1, d2, **q)

    def summary(self) -> pd.DataFrame:
        """One row per parameter and beta: value, SE, interval and, for the synergy
        parameters, the package's reading (synergistic when the interval lies above 1 for
        alpha/gamma or above 0 for beta, antagonistic below, else additive)."""
        rows = []
        for name, v, se, lo, hi in zip(
            (*self.names, "beta"),
            (*self.values, self.beta),
            (*self.stderr, self.beta_stderr),
            (*self.lower, self.beta_lower),
            (*self.upper, self.beta_upper),
            strict=True,
        ):
            null = 0.0 if name == "beta" else 1.0
            reading = ""
            if name.startswith(("alpha", "gamma", "beta")):
                if lo is not None and lo > null:
                    reading = "synergistic"
                elif hi is not None and hi < null:
                    reading = "antagonistic"
                else:
                    reading = "additive"
            rows.append(
                {
                    "parameter": name,
                    "value": v,
                    "stderr": se,
                    "lower": lo,
                    "upper": hi,
                    "reading": reading,
                }
            )
        return pd.DataFrame(rows)


# --- fitting ------------------------------------------------------------------------------------


def _vector(values: ArrayLike, what: str) -> Array:
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be numbers", field=what) from None
    if a.ndim != 1:
        raise InputError(f"{what} must be one row of numbers", field=what)
    bad = np.flatnonzero(~np.isfinite(a))
    if len(bad):
        raise InputError(f"{what} {a[bad[0]]} is not a finite number", field=f"point {bad[0] + 1}")
    return a


def _hill_start(d: Array, e: Array) -> Array:
    """[E0, Emax, ln h, ln C] of a 4-parameter Hill fit of one drug's monotherapy points
    (starts: E at the lowest and highest dose, h = 1, C the median positive dose)."""
    e_lo = float(np.median(e[d == d.min()]))
    e_hi = float(np.median(e[d == d.max()]))
    c = float(np.median(d[d > 0]))
    p0 = np.array([e_lo, e_hi, 0.0, math.log(c)])

    def parts(p: Array) -> tuple[Array, Array]:
        h = math.exp(p[2])
        la = _log_rate(d, p[3], h)
        a = np.exp(la)
        frac = a / (1.0 + a)
        da = frac * (1.0 - frac)  # d frac / d ln a
        col_h = np.where(a > 0, da * np.where(np.isfinite(la), la, 0.0), 0.0)
        jac = np.column_stack([1.0 - frac, frac, (p[1] - p[0]) * col_h, (p[1] - p[0]) * (-h) * da])
        return p[0] + (p[1] - p[0]) * frac - e, jac

    # ln h within +/-7 (h from 0.001 to 1100): a steeper or flatter start means nothing and
    # exp() of it overflows
    limits = (np.array([-np.inf, -np.inf, -7.0, -np.inf]), np.array([np.inf, np.inf, 7.0, np.inf]))
    res = minimize_lsq(lambda p: parts(p)[0], lambda p: parts(p)[1], p0, bounds=limits)
    return res.x if np.all(np.isfinite(res.x)) else p0


def _fit_scale_bounds(
    bounds: Mapping[str, tuple[float, float]] | None, names: tuple[str, ...]
) -> tuple[Array, Array] | None:
    if not bounds:
        return None
    lb = np.full(len(names), -np.inf)
    ub = np.full(len(names), np.inf)
    for name, (lo, hi) in bounds.items():
        if name not in names:
            raise InputError(
                f"no parameter {quote(name)}; the parameters are {', '.join(names)}",
                field="bounds",
            )
        if not lo < hi:
            raise InputError(
                f"bounds of {name} must have lower < upper, got ({lo}, {hi})", field="bounds"
            )
        k = names.index(name)
        if name in POSITIVE:
            if hi <= 0:
                raise InputError(f"{name} is positive: its upper bound must be > 0", field="bounds")
            with np.errstate(divide="ignore"):
                lb[k], ub[k] = np.log(max(lo, 0.0)), np.log(hi)
        else:
            lb[k], ub[k] = lo, hi
    return lb, ub


def _solve(
    theta0: Array,
    d1: Array,
    d2: Array,
    e: Array,
    fit_gamma: bool,
    bounds: tuple[Array, Array] | None,
) -> MinimizeResult:
    def resid(theta: Array) -> Array:
        return _surface(theta, d1, d2, fit_gamma, False)[0] - e

    def jac(theta: Array) -> Array:
        j = _surface(theta, d1, d2, fit_gamma, True)[1]
        assert j is not None
        return j

    return minimize_lsq(resid, jac, theta0, bounds=bounds)


def _beta_parts(theta: Array, rising: bool) -> tuple[float, Array]:
    """beta and its gradient with respect to the fitting-scale parameters."""
    e0, e1, e2, e3 = theta[:4]
    k = (1 if e1 >= e2 else 2) if rising else (1 if e1 <= e2 else 2)
    s = e1 if k == 1 else e2
    grad = np.zeros(len(theta))
    grad[0] = -(s - e3) / (e0 - s) ** 2
    grad[k] = (e0 - e3) / (e0 - s) ** 2
    grad[3] = -1.0 / (e0 - s)
    return musyc_beta(e0, e1, e2, e3, rising=rising), grad


def fit_musyc(
    d1: ArrayLike,
    d2: ArrayLike,
    e: ArrayLike,
    *,
    drugs: tuple[str, str] = ("drug 1", "drug 2"),
    unit: str = "",
    effect: str = "",
    direction: Literal["falling", "rising"] = "falling",
    fit_gamma: bool = True,
    ci_method: Literal["asymptotic", "bootstrap"] = "asymptotic",
    bootstrap_iterations: int = 200,
    seed: int | None = 0,
    alpha: float = 0.05,
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> MusycFit:
    """Fit MuSyC to a checkerboard: doses ``d1``, ``d2`` (>= 0, in ``unit``) and effect ``e``,
    one row per well or cell (replicates are rows of their own).

    ``direction`` is ``"falling"`` for viability or fraction unaffected (the package's
    convention) and ``"rising"`` for % inhibition or fraction affected; it only decides which
    drug is the stronger one in beta. ``fit_gamma=False`` fits the reduced model (gamma = 1).
    ``bounds`` optionally limit parameters by name in the natural scale (e.g.
    ``{"E3": (0, 1)}``). Intervals: ``ci_method`` (module docstring), ``bootstrap_iterations``
    and ``seed`` for the bootstrap. Each drug needs monotherapy points (the other dose 0) at
    3 or more doses (0 counted), and the data more points than parameters; otherwise one
    :class:`InputError` naming the drug.
    """
    names = PARAM_NAMES if fit_gamma else PARAM_NAMES[:10]
    a = _vector(d1, f"dose of {drugs[0]}")
    b = _vector(d2, f"dose of {drugs[1]}")
    y = _vector(e, "effect")
    if not (len(a) == len(b) == len(y)):
        raise InputError(
            f"{len(a)} doses of {drugs[0]}, {len(b)} of {drugs[1]} and {len(y)} effects",
            field="doses and effect",
        )
    for what, v in ((drugs[0], a), (drugs[1], b)):
        neg = np.flatnonzero(v < 0)
        if len(neg):
            raise InputError(
                f"dose of {what} {v[neg[0]]:g} is negative", field=f"point {neg[0] + 1}"
            )
    mono = (b == 0, a == 0)
    for k, (drug, dose) in enumerate(((drugs[0], a), (drugs[1], b))):
        levels = np.unique(dose[mono[k]])
        if len(levels) < 3:
            raise InputError(
                f"MuSyC needs {drug} alone (the other drug's dose 0) at 3 or more doses "
                f"(0 counted), has {len(levels)}",
                curve=drug,
                field="monotherapy points",
            )
    if len(y) <= len(names):
        raise InputError(
            f"{len(y)} points for {len(names)} parameters: MuSyC needs more points",
            field="points",
        )
    if not 0 < alpha < 1:
        raise InputError(f"alpha must lie in (0, 1), got {alpha}", field="alpha")
    lim = _fit_scale_bounds(bounds, names)
    h1 = _hill_start(a[mono[0]], y[mono[0]])
    h2 = _hill_start(b[mono[1]], y[mono[1]])
    top = (a == a.max()) & (b == b.max())
    e3 = (
        float(np.median(y[top]))
        if top.any()
        else float(y.max() if direction == "rising" else y.min())
    )
    fits: list[MinimizeResult] = []
    for al12, al21 in ALPHA_STARTS:
        theta0 = np.array(
            [
                (h1[0] + h2[0]) / 2,
                h1[1],
                h2[1],
                e3,
                h1[2],
                h2[2],
                h1[3],
                h2[3],
                math.log(al12),
                math.log(al21),
            ]
            + ([0.0, 0.0] if fit_gamma else [])
        )
        if lim is not None:
            theta0 = np.clip(theta0, lim[0], lim[1])
        fits.append(_solve(theta0, a, b, y, fit_gamma, lim))
    best = min(fits, key=lambda r: r.cost if np.isfinite(r.cost) else np.inf)
    theta = best.x
    resid = best.fun
    n, p = len(y), len(names)
    rss = float(resid @ resid)
    dof = n - p
    s2 = rss / dof
    t = float(stdtrit(dof, 1 - alpha / 2))
    flags: list[str] = [] if best.success else [f"the fit did not converge: {best.message}"]
    rising = direction == "rising"
    beta, beta_grad = _beta_parts(theta, rising)
    try:
        cov = s2 * np.linalg.inv(best.jac.T @ best.jac)
        se_fit = np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), np.nan))
        beta_se = float(np.sqrt(beta_grad @ cov @ beta_grad))
    except np.linalg.LinAlgError:
        se_fit = np.full(p, np.nan)
        beta_se = math.nan
        flags.append("singular Jacobian: no asymptotic standard errors")
    values = _natural(theta, True)[:p]
    log_scale = np.array([name in POSITIVE for name in names])
    stderr = np.where(log_scale, values * se_fit, se_fit)
    if ci_method == "asymptotic":
        with np.errstate(over="ignore", invalid="ignore"):
            lo_fit, hi_fit = theta - t * se_fit, theta + t * se_fit
            lower = np.where(log_scale, np.exp(lo_fit), lo_fit)
            upper = np.where(log_scale, np.exp(hi_fit), hi_fit)
        beta_lo, beta_hi = beta - t * beta_se, beta + t * beta_se
        converged_refits = 0
    else:
        rng = np.random.default_rng(seed)
        fitted = y + resid
        samples = []
        for _ in range(bootstrap_iterations):
            noisy = fitted + rng.normal(0.0, math.sqrt(s2), n)
            r = _solve(theta, a, b, noisy, fit_gamma, lim)
            if r.success and np.all(np.isfinite(r.x)):
                nat = _natural(r.x, True)[:p]
                samples.append(np.append(nat, _beta_parts(r.x, rising)[0]))
        converged_refits = len(samples)
        if converged_refits < MIN_BOOTSTRAP_SUCCESS * max(bootstrap_iterations, 1):
            flags.append(
                f"only {converged_refits} of {bootstrap_iterations} bootstrap refits converged"
            )
        if samples:
            q = np.percentile(np.vstack(samples), [100 * alpha / 2, 100 * (1 - alpha / 2)], axis=0)
            lower, upper = q[0, :p], q[1, :p]
            beta_lo, beta_hi = float(q[0, p]), float(q[1, p])
        else:
            lower = upper = np.full(p, np.nan)
            beta_lo = beta_hi = math.nan
    if not np.all(np.isfinite(lower)) or not np.all(np.isfinite(upper)):
        flags.append("some intervals could not be computed")
    return MusycFit(
        drugs=drugs,
        unit=unit,
        effect=effect,
        direction=direction,
        fit_gamma=fit_gamma,
        names=names,
        values=tuple(float(v) for v in values),
        stderr=tuple(_opt(v) for v in stderr),
        lower=tuple(_opt(v) for v in lower),
        upper=tuple(_opt(v) for v in upper),
        beta=float(beta),
        beta_stderr=_opt(beta_se),
        beta_lower=_opt(beta_lo),
        beta_upper=_opt(beta_hi),
        ci_method=ci_method,
        alpha=alpha,
        bootstrap_iterations=bootstrap_iterations if ci_method == "bootstrap" else 0,
        bootstrap_converged=converged_refits,
        seed=seed if ci_method == "bootstrap" else None,
        n=n,
        rss=rss,
        r_squared=1.0 - rss / float(np.sum((y - y.mean()) ** 2)),
        aic=n * math.log(rss / n) + 2 * (p + 1) if rss > 0 else -math.inf,
        bic=n * math.log(rss / n) + (p + 1) * math.log(n) if rss > 0 else -math.inf,
        converged=bool(best.success),
        message=best.message,
        d1=tuple(float(v) for v in a),
        d2=tuple(float(v) for v in b),
        e=tuple(float(v) for v in y),
        flags=tuple(flags),
    )
