"""Residual diagnostics of a population (NLME) fit: PRED, IPRED, RES, IWRES, CWRES, pd, NPDE.

All of them are evaluated at one unconstrained parameter vector ``x`` (the estimator's
``NlmeResult.estimation_values``, see :class:`~cxcr4lab.fit.nlme_model.ParameterLayout`), with
the residual variance ``V = a^2 + b^2 f^2`` (in squared units of y):

* **PRED** the prediction at eta = 0, **IPRED** at the empirical Bayes estimates (EBEs);
  **RES** = DV - PRED and **IWRES** = (DV - IPRED) / sqrt(V(IPRED));
* **CWRES** (Hooker, Staatz & Karlsson 2007, Pharm Res 24:2187): each subject is linearised
  at its EBE eta*: ``G = df/deta`` at eta* (central differences of the prediction, all
  subjects perturbed at once), ``E[y] = f(eta*) - G eta*``, ``Cov = G Omega G^T + diag(V)``
  (V at eta*, the FOCE-I interaction form) and ``CWRES = L^-1 (y - E[y])`` with
  ``Cov = L L^T`` (lower Cholesky factor);
* **pd** and **NPDE** (Brendel et al. 2006, Pharm Res 23:2036; Comets et al. 2008, Comput
  Methods Programs Biomed 90:154, the R package npde): K data sets are simulated at the
  design; pd is the fraction of simulated values below the observation; for the NPDE each
  subject's observed and simulated vectors are decorrelated with the empirical mean and the
  inverse lower Cholesky factor of the empirical covariance (``ddof = 1``) of the
  simulations, pde is the fraction of decorrelated simulations below the decorrelated
  observation and ``NPDE = Phi^-1(pde)``. pd or pde equal to 0 or 1 become ``1/(2K)`` and
  ``1 - 1/(2K)`` (the npde package with ``ties = TRUE``).

**Censored observations** (``cens = 1``, y holds the LLOQ; the M3 method of the estimators):
RES, IWRES and CWRES are NaN there; the CWRES of the other observations of that subject
use the linearised covariance of those observations alone. pd and NPDE follow Nguyen et al.
(2012, Comput Stat Data Anal 56:1167) as the npde package's ``cens.method = "cdf"`` does:
the pd of a censored observation is drawn uniformly in ``[0, P(Ysim < LLOQ)]`` and the
observation is imputed as the simulated order statistic at that pd; every simulated value
below its LLOQ is imputed the same way, and the imputed data are decorrelated as above. The
LLOQ of a censored observation is its own y; an uncensored observation gets the smallest
LLOQ of the censored ones (the npde package's rule for a single LOQ).

The visual predictive check is in :mod:`cxcr4lab.fit.nlme_vpc`.
"""

from __future__ import annotations

import math
import operator
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pandas import DataFrame
from scipy import linalg, stats
from scipy.special import ndtri

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.fit.nlme_model import NlmeData, NlmeModel, ParameterLayout, predict_observations
from cxcr4lab.fit.nlme_result import NlmeResult

__all__ = [
    "NlmeDiagnostics",
    "Parameters",
    "check_n_rep",
    "cwres",
    "diagnose",
    "lloq_per_observation",
    "nlme_diagnostics",
    "npde",
    "simulate_observations",
]

Array = NDArray[np.float64]

_STEP = float(np.cbrt(np.finfo(float).eps))
"""Relative step of the central differences of f in eta (~6e-6; error O(step^2))."""
_CHUNK = 2_000_000
"""Simulated observations per batched prediction call (bounds the memory to ~100 MB)."""
_SHAPIRO_MAX = 5000
"""Shapiro-Wilk up to this many values (as R's ``shapiro.test``), Kolmogorov-Smirnov above."""


# --- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameters:
    """The unpacked parameter vector: theta (p,) on the estimation scale, Omega (q, q), its
    lower Cholesky factor and the additive and proportional residual SDs (units of y)."""

    theta: Array
    lower: Array
    omega: Array
    a: float
    b: float

    @classmethod
    def of(cls, model: NlmeModel, x: ArrayLike | NlmeResult) -> Parameters:
        layout = ParameterLayout.of(model)
        values = x.estimation_values if isinstance(x, NlmeResult) else x
        xs = np.asarray(values, dtype=float).ravel()
        if xs.shape != (layout.size,):
            raise InputError(
                f"has {xs.size} values, the model has {layout.size} parameters {layout.names}",
                field="x",
            )
        if not np.all(np.isfinite(xs)):
            raise InputError("parameters must be finite", field="x")
        theta, lower, a, b = layout.unpack(xs[None, :])
        return cls(theta[0], lower[0], lower[0] @ lower[0].T, float(a[0]), float(b[0]))

    def variance(self, f: Array) -> Array:
        """Residual variance ``a^2 + b^2 f^2`` at the predictions ``f``."""
        v: Array = self.a * self.a + self.b * self.b * f * f
        return v


def check_n_rep(n_rep: int) -> int:
    """``n_rep`` as a whole number >= 1, else :class:`InputError` naming it."""
    try:
        k = operator.index(n_rep)
    except TypeError:
        raise InputError(f"must be a whole number, got {quote(n_rep)}", field="n_rep") from None
    if k < 1:
        raise InputError(f"must be at least 1, got {k}", field="n_rep")
    return k


def lloq_per_observation(data: NlmeData) -> Array | None:
    """The LLOQ of each observation (units of y): its own y where censored, the smallest
    censored LLOQ elsewhere; None when no observation is censored."""
    cens = data.censored.astype(bool)
    if not cens.any():
        return None
    return np.where(cens, data.y, float(np.min(data.y[cens])))


# --- simulation ---------------------------------------------------------------------------------


def _predict_tiled(
    model: NlmeModel, data: NlmeData, xs: Array, theta: Array, eta: Array, k: int
) -> Array:
    """Predictions (k * N,) for k copies of the data set, eta (k * m, q): copy r holds
    subjects r * m ... (r + 1) * m - 1, as the estimators tile parameter vectors."""
    m = data.n_subjects
    offs = np.arange(k, dtype=np.intp)
    sub = (data.subject[None, :] + m * offs[:, None]).ravel()
    th = np.repeat(theta[None, :], k * m, axis=0)
    z = np.tile(data.z_matrix, (k, 1))
    occ = np.tile(data.occasions, k)
    with np.errstate(all="ignore"):
        phi = model.individual.at_observations(th, eta, z, sub, occ)
        return model.structural.predict(phi, np.tile(xs, (k, 1)))


def simulate_observations(
    model: NlmeModel,
    data: NlmeData,
    x: ArrayLike | NlmeResult,
    n_rep: int = 1000,
    seed: int | None = 0,
) -> Array:
    """``n_rep`` data sets simulated at the design of ``data``: (n_rep, N), units of y.

    Each replicate draws new etas ~ N(0, Omega) for every subject and residuals
    ~ N(0, a^2 + b^2 f^2); censoring is not applied (compare with
    :func:`lloq_per_observation`). Replicates are stacked as extra subjects, so one call of
    the prediction evaluates many replicates.
    """
    k_total = check_n_rep(n_rep)
    par = Parameters.of(model, x)
    rng = np.random.default_rng(seed)
    m, n, q = data.n_subjects, data.n_obs, par.lower.shape[0]
    xs = data.columns(model.structural.x_names)
    chunk = max(1, _CHUNK // max(n, 1))
    out = np.empty((k_total, n))
    for start in range(0, k_total, chunk):
        k = min(chunk, k_total - start)
        eta = rng.standard_normal((k * m, q)) @ par.lower.T
        f = _predict_tiled(model, data, xs, par.theta, eta, k)
        with np.errstate(all="ignore"):
            y = f + np.sqrt(par.variance(f)) * rng.standard_normal(k * n)
        out[start : start + k] = y.reshape(k, n)
    return out


# --- residuals ----------------------------------------------------------------------------------


def _cholesky(cov: Array) -> Array | None:
    """Lower Cholesky factor; a (near-)singular matrix gets a growing ridge (relative to its
    mean diagonal, from 1e-12), None if even 1e-4 does not help."""
    try:
        low: Array = np.asarray(np.linalg.cholesky(cov), dtype=float)
        return low
    except np.linalg.LinAlgError:
        pass
    n = cov.shape[0]
    scale = float(np.trace(cov)) / n if n else 1.0
    scale = scale if math.isfinite(scale) and scale > 0 else 1.0
    ridge = 1e-12
    while ridge <= 1e-4:
        try:
            low = np.asarray(np.linalg.cholesky(cov + ridge * scale * np.eye(n)), dtype=float)
            return low
        except np.linalg.LinAlgError:
            ridge *= 100.0
    return None


def _segments(data: NlmeData) -> list[slice]:
    return [slice(int(s), int(s + c)) for s, c in zip(data.starts, data.counts, strict=True)]


def _eta_jacobian(model: NlmeModel, data: NlmeData, theta: Array, eta: Array) -> Array:
    """df/deta at every observation (N, q), central differences, all subjects at once."""
    q = eta.shape[1]
    out = np.empty((data.n_obs, q))
    for k in range(q):
        h = _STEP * np.maximum(np.abs(eta[:, k]), 1.0)
        up, down = eta.copy(), eta.copy()
        up[:, k] += h
        down[:, k] -= h
        f_up = predict_observations(model, data, theta, up)
        f_down = predict_observations(model, data, theta, down)
        out[:, k] = (f_up - f_down) / (2.0 * h[data.subject])
    return out


def cwres(model: NlmeModel, data: NlmeData, par: Parameters, ebe: Array) -> Array:
    """Conditional weighted residuals (N,), dimensionless; NaN at censored observations."""
    f = predict_observations(model, data, par.theta, ebe)
    g = _eta_jacobian(model, data, par.theta, ebe)
    mean = f - np.einsum("nq,nq->n", g, ebe[data.subject])
    resid = data.y - mean
    v = par.variance(f)
    keep = ~data.censored.astype(bool)
    out = np.full(data.n_obs, np.nan)
    for seg in _segments(data):
        idx = np.arange(seg.start, seg.stop)[keep[seg]]
        if idx.size == 0:
            continue
        gi = g[idx]
        cov = gi @ par.omega @ gi.T + np.diag(v[idx])
        low = _cholesky(cov) if np.all(np.isfinite(cov)) else None
        if low is not None:
            out[idx] = linalg.solve_triangular(low, resid[idx], lower=True)
    return out


def _ties(p: Array, k: int) -> Array:
    """pd / pde of 0 and 1 moved to 1/(2K) and 1 - 1/(2K) (the npde package, ties = TRUE)."""
    return np.where(p <= 0.0, 0.5 / k, np.where(p >= 1.0, 1.0 - 0.5 / k, p))


def npde(
    data: NlmeData, sims: Array, rng: np.random.Generator, lloq: Array | None = None
) -> tuple[Array, Array]:
    """pd and NPDE (N,) of ``data`` against simulations ``sims`` (K, N) (module docstring).

    ``lloq`` (N,) is the limit of each observation (default :func:`lloq_per_observation`);
    ``rng`` draws the imputations of censored values. NaN for a subject whose simulations
    cannot be decorrelated.
    """
    k = sims.shape[0]
    y = data.y.copy()
    sims = np.array(sims, dtype=float)
    cens = data.censored.astype(bool)
    with np.errstate(invalid="ignore"):
        pd_ = np.mean(sims < y[None, :], axis=0)
    lloq = lloq_per_observation(data) if lloq is None else lloq
    if lloq is not None and cens.any():
        ploq = np.mean(sims < lloq[None, :], axis=0)
        ordered = np.sort(sims, axis=0)
        cols = np.flatnonzero(cens)
        p_obs = rng.uniform(0.0, 1.0, cols.size) * ploq[cols]
        pd_[cols] = p_obs
        y[cols] = ordered[np.minimum((p_obs * k).astype(np.intp), k - 1), cols]
        rows, at = np.nonzero(sims < lloq[None, :])
        p_sim = rng.uniform(0.0, 1.0, rows.size) * ploq[at]
        sims[rows, at] = ordered[np.minimum((p_sim * k).astype(np.intp), k - 1), at]
    pde = np.full(data.n_obs, np.nan)
    for seg in _segments(data):
        s = sims[:, seg]
        mu = np.mean(s, axis=0)
        cov = np.atleast_2d(np.cov(s, rowvar=False, ddof=1))
        low = _cholesky(cov) if np.all(np.isfinite(cov)) else None
        if low is None:
            continue
        dec_sim = linalg.solve_triangular(low, (s - mu).T, lower=True)
        dec_obs = linalg.solve_triangular(low, y[seg] - mu, lower=True)
        pde[seg] = np.mean(dec_sim < dec_obs[:, None], axis=1)
    pd_ = _ties(pd_, k)
    pde = _ties(pde, k)
    return pd_, ndtri(pde)


# --- the result ---------------------------------------------------------------------------------


def _floats(a: Array) -> tuple[float, ...]:
    return tuple(float(v) for v in a)


@dataclass(frozen=True)
class NlmeDiagnostics(Serial):
    """Per-observation diagnostics of one fit, in the order of the data (sorted by subject).

    ``dv``, ``pred``, ``ipred`` and ``res`` are in units of y; ``iwres``, ``cwres`` and
    ``npde`` dimensionless, ``pd`` a probability. ``x_values`` holds one tuple per column of
    ``x_names`` (time, dose, ... in the data's units). See the module docstring.
    """

    model: str
    n_rep: int
    seed: int | None
    y_name: str
    subject: tuple[str, ...]
    rows: tuple[int, ...]
    x_names: tuple[str, ...]
    x_values: tuple[tuple[float, ...], ...]
    dv: tuple[float, ...]
    cens: tuple[int, ...]
    pred: tuple[float, ...]
    ipred: tuple[float, ...]
    res: tuple[float, ...]
    iwres: tuple[float, ...]
    cwres: tuple[float, ...]
    pd: tuple[float, ...]
    npde: tuple[float, ...]

    @property
    def n_obs(self) -> int:
        return len(self.dv)

    @property
    def frame(self) -> DataFrame:
        """One row per observation: subject, row, the x columns, dv, cens and the residuals."""
        cols: dict[str, object] = {"subject": list(self.subject), "row": list(self.rows)}
        for name, values in zip(self.x_names, self.x_values, strict=True):
            cols[name] = np.array(values, dtype=float)
        for name in ("dv", "cens", "pred", "ipred", "res", "iwres", "cwres", "pd", "npde"):
            cols[name] = np.array(getattr(self, name), dtype=int if name == "cens" else float)
        return DataFrame(cols)

    def summary(self) -> DataFrame:
        """Tests of N(0, 1) for CWRES and NPDE (rows), as the npde package reports them.

        Columns: ``n`` (finite values), ``mean``, ``se_mean``, ``variance`` (ddof 1),
        ``skewness``, ``kurtosis`` (excess); p-values of the t-test of mean 0
        (``t_test_p``), of the chi-square test of variance 1 (``variance_test_p``, two-sided:
        ``(n - 1) s^2 ~ chi2(n - 1)``), of normality (``normality_p``: Shapiro-Wilk up to
        5000 values, Kolmogorov-Smirnov against N(0, 1) above; ``normality_test`` names it)
        and ``global_p``, three times the smallest of the three (Bonferroni, at most 1).
        """
        rows = {name: _normal_tests(np.array(getattr(self, name))) for name in ("cwres", "npde")}
        return DataFrame.from_dict(rows, orient="index")


def _normal_tests(values: Array) -> dict[str, float | int | str]:
    v = values[np.isfinite(values)]
    n = int(v.size)
    out: dict[str, float | int | str] = {"n": n}
    if n < 3:
        nan = math.nan
        out.update(mean=nan, se_mean=nan, variance=nan, skewness=nan, kurtosis=nan)
        out.update(t_test_p=nan, variance_test_p=nan, normality_p=nan, global_p=nan)
        out["normality_test"] = ""
        return out
    mean = float(np.mean(v))
    var = float(np.var(v, ddof=1))
    chi = (n - 1) * var
    cdf = float(stats.chi2.cdf(chi, n - 1))
    var_p = min(1.0, 2.0 * min(cdf, 1.0 - cdf))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # constant values: NaN statistics, not warnings
        t_p = float(stats.ttest_1samp(v, 0.0).pvalue)
        if n <= _SHAPIRO_MAX:
            norm_p, test = float(stats.shapiro(v).pvalue), "shapiro-wilk"
        else:
            norm_p, test = float(stats.kstest(v, "norm").pvalue), "kolmogorov-smirnov"
        skew, kurt = float(stats.skew(v)), float(stats.kurtosis(v))
    out.update(
        mean=mean,
        se_mean=math.sqrt(var / n),
        variance=var,
        skewness=skew,
        kurtosis=kurt,
        t_test_p=t_p,
        variance_test_p=var_p,
        normality_p=norm_p,
        normality_test=test,
        global_p=min(1.0, 3.0 * min(t_p, var_p, norm_p)),
    )
    return out


# --- entry points -------------------------------------------------------------------------------


def nlme_diagnostics(
    model: NlmeModel,
    data: NlmeData,
    x: ArrayLike | NlmeResult,
    ebe: ArrayLike,
    *,
    n_rep: int = 1000,
    seed: int | None = 0,
) -> NlmeDiagnostics:
    """Diagnostics at the parameter vector ``x`` with the EBEs ``ebe`` (n_subjects, q).

    ``n_rep`` data sets are simulated for pd and NPDE (``seed`` makes them reproducible).
    """
    k = check_n_rep(n_rep)
    par = Parameters.of(model, x)
    q = par.lower.shape[0]
    eta = np.asarray(ebe, dtype=float)
    if eta.shape != (data.n_subjects, q) or not np.all(np.isfinite(eta)):
        raise InputError(
            f"must be finite, one row of {q} per subject ({data.n_subjects}), got {eta.shape}",
            field="ebe",
        )
    pred = predict_observations(model, data, par.theta, np.zeros_like(eta))
    ipred = predict_observations(model, data, par.theta, eta)
    cens = data.censored.astype(bool)
    with np.errstate(all="ignore"):
        res = np.where(cens, np.nan, data.y - pred)
        iwres = np.where(cens, np.nan, (data.y - ipred) / np.sqrt(par.variance(ipred)))
    cw = cwres(model, data, par, eta)
    rng = np.random.default_rng(seed)
    sims = simulate_observations(model, data, x, k, int(rng.integers(2**63)))
    pd_, nd = npde(data, sims, rng)
    xv = data.columns(data.x_names)
    return NlmeDiagnostics(
        model=model.structural.name,
        n_rep=k,
        seed=seed,
        y_name=data.y_name,
        subject=tuple(data.subject_ids[int(i)] for i in data.subject),
        rows=tuple(int(r) for r in data.rows),
        x_names=data.x_names,
        x_values=tuple(_floats(xv[:, j]) for j in range(xv.shape[1])),
        dv=_floats(data.y),
        cens=tuple(int(c) for c in data.censored),
        pred=_floats(pred),
        ipred=_floats(ipred),
        res=_floats(res),
        iwres=_floats(iwres),
        cwres=_floats(cw),
        pd=_floats(pd_),
        npde=_floats(nd),
    )


def diagnose(
    model: NlmeModel,
    data: NlmeData,
    result: NlmeResult,
    *,
    n_rep: int = 1000,
    seed: int | None = 0,
) -> NlmeDiagnostics:
    """:func:`nlme_diagnostics` at the estimates and EBEs of ``result``."""
    if result.model != model.structural.name:
        raise InputError(
            f"is a fit of {quote(result.model)}, not of {quote(model.structural.name)}",
            field="result",
        )
    if result.subject_ids != data.subject_ids:
        raise InputError("the fit was made on other subjects than these data", field="result")
    ebe = np.array(result.ebe, dtype=float).reshape(result.n_subjects, len(result.eta_names))
    return nlme_diagnostics(model, data, result, ebe, n_rep=n_rep, seed=seed)
