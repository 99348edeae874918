"""The numerical part of a Cox fit, as R's survival package computes it.

* :func:`newton`: the partial-likelihood maximum by Newton-Raphson with step halving, R's
  ``coxph.control`` (``eps = 1e-9`` on the relative change of the log-likelihood, then R's check
  for a coefficient that may be infinite); the log-likelihood, score and information come from
  statsmodels' ``PHReg`` (Efron or Breslow ties, strata), which reproduces ``coxph`` to its
  printed digits.
* :func:`zph`: the proportional-hazards test of survival 3.x's ``cox.zph`` (the score test of
  adding ``beta_j * g(t)`` for each term, exact, not the older Grambsch-Therneau approximation),
  for any transform ``g`` of time, Efron or Breslow.
* :func:`concordance`: Harrell's C as ``coxph`` reports it (``concordance(y ~ lp, reverse =
  TRUE)`` within strata; ties in the linear predictor count 1/2, pairs tied in time and both
  events are not comparable, a censoring tied with an event time counts as the longer time).

No I/O and no user-facing messages: failures raise :class:`NotConverged` for the caller to word.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "EPS",
    "CoxFit",
    "NotConverged",
    "concordance",
    "linear_predictor",
    "newton",
    "zph",
]

Ties = Literal["efron", "breslow"]
FloatArray = NDArray[np.float64]
Strata = NDArray[np.integer[Any]] | None
"""A stratum code per row (None: one stratum)."""

EPS = 1e-9
"""R's ``coxph.control(eps)``: convergence on the relative change of the log-likelihood."""
TOLER_INF = math.sqrt(EPS)
"""R's ``toler.inf``: a next Newton step above this fraction of a coefficient flags it as
possibly infinite."""
MAX_ITER = 30
"""Newton iterations allowed (R's ``iter.max`` is 20)."""


class NotConverged(Exception):
    """The fit did not converge; ``str(exc)`` is the reason, ``term`` the column if known."""

    def __init__(self, reason: str, term: int | None = None) -> None:
        super().__init__(reason)
        self.term = term


@dataclass(frozen=True)
class CoxFit:
    """Estimates at the maximum and the tests of the whole model."""

    beta: FloatArray
    var: FloatArray
    loglik_null: float
    loglik: float
    score_chisq: float
    iterations: int


def newton(
    time: FloatArray,
    event: FloatArray,
    x: FloatArray,
    strata: Strata,
    ties: Ties,
) -> CoxFit:
    """Maximise the partial likelihood from beta = 0, as R's ``coxph`` does."""
    from statsmodels.duration.hazard_regression import PHReg

    x = x - x.mean(axis=0)  # as coxph centres: the same estimates, better conditioned sums
    model = PHReg(time, x, status=event, strata=strata, ties=ties)

    def information(beta: FloatArray) -> FloatArray:
        return np.asarray(-model.hessian(beta), dtype=float)

    def step_at(beta: FloatArray) -> FloatArray:
        try:
            return np.asarray(np.linalg.solve(information(beta), model.score(beta)), dtype=float)
        except np.linalg.LinAlgError:
            raise NotConverged("the information matrix is singular") from None

    p = x.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow of exp() on a runaway step
        beta = np.zeros(p)
        loglik_null = loglik = float(model.loglike(beta))
        step0 = step_at(beta)
        score_chisq = float(model.score(beta) @ step0)
        step = step0
        iterations = 0
        while True:
            iterations += 1
            if iterations > MAX_ITER:
                raise NotConverged(f"no convergence in {MAX_ITER} iterations")
            new = beta + step
            new_loglik = float(model.loglike(new))
            halvings = 0
            while not new_loglik >= loglik and halvings < 30:  # NaN halves too
                step = step / 2
                new = beta + step
                new_loglik = float(model.loglike(new))
                halvings += 1
            if not new_loglik >= loglik:
                raise NotConverged("the log-likelihood does not increase")
            # R: |1 - old/new| <= eps, after a full (not halved) Newton step
            done = abs(new_loglik - loglik) <= EPS * abs(new_loglik) and halvings == 0
            beta, loglik = new, new_loglik
            step = step_at(beta)
            if done:
                break
        # R's test: the next Newton step is not negligible beside the coefficient
        runaway = (np.abs(step) > EPS) & (np.abs(step) > TOLER_INF * np.abs(beta))
        if runaway.any():
            term = int(np.flatnonzero(runaway)[0])
            raise NotConverged("a coefficient may be infinite", term)
        polished = beta + step  # one more Newton step: the maximum to machine precision
        polished_loglik = float(model.loglike(polished))
        if polished_loglik >= loglik - 1e-12 * abs(loglik):  # a change below rounding: flat
            beta, loglik = polished, polished_loglik
        info = information(beta)
    try:
        var: FloatArray = np.linalg.inv(info).astype(np.float64)
    except np.linalg.LinAlgError:
        raise NotConverged("the information matrix is singular") from None
    if not (np.all(np.isfinite(var)) and np.all(np.diag(var) > 0)):
        raise NotConverged("the information matrix is not positive definite")
    return CoxFit(beta, var, loglik_null, loglik, score_chisq, iterations)


@dataclass(frozen=True)
class ZphTest:
    """One row of ``cox.zph(fit)$table``: chi-square, df, p (p is computed by the caller)."""

    chisq: float
    df: int


def zph(
    time: FloatArray,
    event: FloatArray,
    x: FloatArray,
    beta: FloatArray,
    strata: Strata,
    ties: Ties,
    transform: FloatArray,
    terms: Sequence[Sequence[int]],
) -> tuple[list[ZphTest], ZphTest]:
    """survival 3.x ``cox.zph``: a score test per term (its columns ``terms[k]``) and a global
    one, of ``beta + gamma * g(t)`` against ``gamma = 0``, at the fitted ``beta``.

    ``transform`` is g(time) of every row (e.g. the ranks of the times); it is centred at its
    mean over the events, as ``cox.zph`` does.
    """
    eta = linear_predictor(x, beta)
    x = x - x.mean(axis=0)
    p = x.shape[1]
    dead = event > 0
    g = transform - transform[dead].mean()
    groups = np.zeros(len(time), dtype=np.int64) if strata is None else strata
    u2 = np.zeros(p)
    i11 = np.zeros((p, p))
    i12 = np.zeros((p, p))
    i22 = np.zeros((p, p))
    for level in np.unique(groups):
        rows = np.flatnonzero(groups == level)
        rows = rows[np.argsort(time[rows], kind="stable")]
        t, d, xs, gs = time[rows], dead[rows], x[rows], g[rows]
        w = np.exp(eta[rows] - eta[rows].max())
        s0, s1, s2 = 0.0, np.zeros(p), np.zeros((p, p))
        end = len(rows)
        for tk in np.unique(t[d])[::-1]:  # event times, latest first: grow the risk set
            start = int(np.searchsorted(t, tk, side="left"))
            block = slice(start, end)
            wb, xb = w[block], xs[block]
            s0 += wb.sum()
            s1 += wb @ xb
            s2 += (xb * wb[:, None]).T @ xb
            end = start
            deaths = np.flatnonzero((t == tk) & d)
            n_dead = len(deaths)
            xd = xs[deaths]
            if ties == "efron" and n_dead > 1:
                frac = np.arange(n_dead) / n_dead
                wd = w[deaths]
                d0, d1, d2 = wd.sum(), wd @ xd, (xd * wd[:, None]).T @ xd
                a0 = s0 - frac * d0
                means = (s1[None, :] - frac[:, None] * d1[None, :]) / a0[:, None]
                second = (s2[None] - frac[:, None, None] * d2[None]) / a0[:, None, None]
                v = (second - means[:, :, None] * means[:, None, :]).sum(axis=0)
                mean_sum = means.sum(axis=0)
            else:
                mean = s1 / s0
                v = n_dead * (s2 / s0 - np.outer(mean, mean))
                mean_sum = n_dead * mean
            gk = float(gs[deaths[0]])
            u2 += gk * (xd.sum(axis=0) - mean_sum)
            i11 += v
            i12 += gk * v
            i22 += gk * gk * v
    imat = np.block([[i11, i12], [i12.T, i22]])

    def test(columns: Sequence[int]) -> float:
        keep = [*range(p), *(p + j for j in columns)]
        u = np.concatenate([np.zeros(p), u2[list(columns)]])
        return float(u @ np.linalg.solve(imat[np.ix_(keep, keep)], u))

    per_term = [ZphTest(test(columns), len(columns)) for columns in terms]
    return per_term, ZphTest(test(range(p)), p)


def linear_predictor(x: FloatArray, beta: FloatArray) -> FloatArray:
    """``(x - mean) @ beta`` summed column by column: a matrix product's blocked sums may round
    two identical rows differently, and subjects with the same covariates must tie exactly (as
    in R) for :func:`concordance`."""
    out = np.zeros(x.shape[0])
    for j, b in enumerate(beta):
        out += (x[:, j] - x[:, j].mean()) * b
    return out


def concordance(time: FloatArray, event: FloatArray, risk: FloatArray, strata: Strata) -> float:
    """Harrell's C of ``risk`` (the :func:`linear_predictor`; higher = shorter time), as
    ``coxph`` reports it."""
    groups = np.zeros(len(time), dtype=np.int64) if strata is None else strata
    agree = tied = pairs = 0.0
    for level in np.unique(groups):
        rows = np.flatnonzero(groups == level)
        t, d, r = time[rows], event[rows] > 0, risk[rows]
        cases = np.flatnonzero(d)
        chunk = max(1, 4_000_000 // max(len(rows), 1))
        for first in range(0, len(cases), chunk):
            i = cases[first : first + chunk]
            ti, ri = t[i][:, None], r[i][:, None]
            comparable = (t[None, :] > ti) | ((t[None, :] == ti) & ~d[None, :])
            pairs += comparable.sum()
            agree += (comparable & (ri > r[None, :])).sum()
            tied += (comparable & (ri == r[None, :])).sum()
    return float((agree + tied / 2) / pairs) if pairs else math.nan
