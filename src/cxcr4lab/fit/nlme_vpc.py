"""Visual predictive check (VPC) of a population (NLME) fit, prediction-corrected by default.

``n_rep`` data sets are simulated at the design of the data
(:func:`~cxcr4lab.fit.nlme_diagnostics.simulate_observations`); the observations are binned
on the independent variable (``time`` by default) and, per bin, the observed percentiles are
set against the median and the ``level`` interval (over replicates) of the same percentiles
of each simulated data set. Percentiles are R's default (type 7, linear interpolation).

* **Prediction correction** (Bergstrand et al. 2011, AAPS J 13:143):
  ``pcY_ij = Y_ij * PRED_bin / PRED_ij`` with PRED the prediction at eta = 0 and PRED_bin
  the median PRED of the bin, for observed and simulated values alike. An observation whose
  PRED is 0 or not finite (a pre-dose sample) is left uncorrected, and PRED_bin is the
  median of the bin's non-zero PREDs.
* **Censoring**: with censored observations (``cens = 1``, y holds the LLOQ) each bin also
  gets the observed fraction below the LLOQ and its simulated median and interval (simulated
  values below the LLOQ of their observation; see
  :func:`~cxcr4lab.fit.nlme_diagnostics.lloq_per_observation`). Values below the LLOQ, observed
  or simulated, are left out of the percentiles, so both sides are censored alike.
* **Bins** (default): one per distinct value of the independent variable when there are at
  most 10, else 8 bins holding about equal numbers of observations, cut half-way between
  distinct values, so no bin is empty and tied values share a bin. An ``int`` asks for that
  many bins, a sequence gives the edges (bins ``[e_k, e_k+1)``, the last one closed;
  observations outside are left out and counted in ``n_outside``).
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pandas import DataFrame

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.fit.nlme_diagnostics import (
    Parameters,
    check_n_rep,
    lloq_per_observation,
    simulate_observations,
)
from cxcr4lab.fit.nlme_model import NlmeData, NlmeModel, predict_observations
from cxcr4lab.fit.nlme_result import NlmeResult

__all__ = ["VpcResult", "default_edges", "vpc"]

Array = NDArray[np.float64]
Matrix = tuple[tuple[float, ...], ...]

_MAX_NOMINAL = 10
"""Up to this many distinct times, one bin per time."""
_DEFAULT_BINS = 8


def _label(q: float) -> str:
    return f"p{100.0 * q:g}"


@dataclass(frozen=True)
class VpcResult(Serial):
    """A VPC: per bin of ``idv`` (units of the data), observed percentiles of y (or of the
    prediction-corrected y, units of y) and the simulated median and interval.

    ``observed``, ``sim_median``, ``sim_lower`` and ``sim_upper`` have one row per bin and one
    column per quantile (NaN where a bin has no uncensored value). The ``blq_*`` fractions
    are empty tuples when no observation is censored.
    """

    idv: str
    prediction_corrected: bool
    quantiles: tuple[float, ...]
    level: float
    n_rep: int
    seed: int | None
    edges: tuple[float, ...]
    idv_median: tuple[float, ...]
    n_obs: tuple[int, ...]
    n_blq: tuple[int, ...]
    n_outside: int
    observed: Matrix
    sim_median: Matrix
    sim_lower: Matrix
    sim_upper: Matrix
    blq_observed: tuple[float, ...] = ()
    blq_sim_median: tuple[float, ...] = ()
    blq_sim_lower: tuple[float, ...] = ()
    blq_sim_upper: tuple[float, ...] = ()

    @property
    def n_bins(self) -> int:
        return len(self.edges) - 1

    def inside(self) -> NDArray[np.bool_]:
        """Whether each observed percentile lies in its simulated interval (bins, quantiles);
        False where either is NaN."""
        obs = np.array(self.observed, dtype=float).reshape(self.n_bins, len(self.quantiles))
        lo = np.array(self.sim_lower, dtype=float).reshape(obs.shape)
        hi = np.array(self.sim_upper, dtype=float).reshape(obs.shape)
        with np.errstate(invalid="ignore"):
            out: NDArray[np.bool_] = (obs >= lo) & (obs <= hi)
        return out

    @property
    def frame(self) -> DataFrame:
        """One row per bin: edges, median idv, counts, then per quantile (``p5``, ``p50``,
        ...) ``obs_<q>``, ``sim_<q>_median``, ``sim_<q>_lower``, ``sim_<q>_upper``, and the
        BLQ fractions when there are censored observations."""
        cols: dict[str, object] = {
            "lower": list(self.edges[:-1]),
            "upper": list(self.edges[1:]),
            f"{self.idv}_median": list(self.idv_median),
            "n_obs": list(self.n_obs),
            "n_blq": list(self.n_blq),
        }
        for j, q in enumerate(self.quantiles):
            name = _label(q)
            cols[f"obs_{name}"] = [row[j] for row in self.observed]
            cols[f"sim_{name}_median"] = [row[j] for row in self.sim_median]
            cols[f"sim_{name}_lower"] = [row[j] for row in self.sim_lower]
            cols[f"sim_{name}_upper"] = [row[j] for row in self.sim_upper]
        if self.blq_observed:
            cols["blq_obs"] = list(self.blq_observed)
            cols["blq_sim_median"] = list(self.blq_sim_median)
            cols["blq_sim_lower"] = list(self.blq_sim_lower)
            cols["blq_sim_upper"] = list(self.blq_sim_upper)
        return DataFrame(cols)


# --- inputs -------------------------------------------------------------------------------------


def _check_quantiles(quantiles: Sequence[float]) -> tuple[float, ...]:
    try:
        qs = tuple(float(q) for q in quantiles)
    except (TypeError, ValueError):
        raise InputError(f"must be numbers, got {quote(quantiles)}", field="quantiles") from None
    if not qs:
        raise InputError("at least one quantile is needed", field="quantiles")
    for q in qs:
        if not 0.0 < q < 1.0:
            raise InputError(f"each must be between 0 and 1, got {quote(q)}", field="quantiles")
    return qs


def _check_level(level: float) -> float:
    lv = float(level)
    if not 0.0 < lv < 1.0:
        raise InputError(f"must be between 0 and 1, got {quote(level)}", field="level")
    return lv


def default_edges(t: ArrayLike, n_bins: int | None = None) -> Array:
    """Bin edges of the values ``t`` (see the module docstring): one bin per distinct value
    when there are at most ``n_bins`` (default 10) of them, else about ``n_bins`` (default 8)
    bins of equal counts, cut half-way between distinct values.

    >>> default_edges([0.0, 1.0, 1.0, 2.0]).tolist()
    [0.0, 0.5, 1.5, 2.0]
    """
    u, counts = np.unique(np.asarray(t, dtype=float), return_counts=True)
    if u.size == 0:
        raise InputError("no observations to bin", field="bins")
    if u.size == 1:
        return np.array([u[0] - 0.5, u[0] + 0.5])
    limit = _MAX_NOMINAL if n_bins is None else n_bins
    if u.size <= limit:
        cuts = np.arange(u.size - 1)
    else:
        k = _DEFAULT_BINS if n_bins is None else n_bins
        cum = np.cumsum(counts) / counts.sum()
        first = np.searchsorted(cum, np.arange(1, k) / k - 1e-12)
        cuts = np.unique(first[first < u.size - 1])
    mids = 0.5 * (u[cuts] + u[cuts + 1])
    out: Array = np.concatenate([[u[0]], mids, [u[-1]]])
    return out


def _edges(bins: int | Sequence[float] | None, t: Array) -> Array:
    if bins is None:
        return default_edges(t)
    if isinstance(bins, bool):
        raise InputError(f"must be a number of bins or edges, got {quote(bins)}", field="bins")
    if isinstance(bins, int | np.integer):
        k = operator.index(bins)
        if k < 1:
            raise InputError(f"the number of bins must be at least 1, got {k}", field="bins")
        return default_edges(t, k)
    try:
        edges = np.asarray(bins, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(f"edges must be numbers, got {quote(bins)}", field="bins") from None
    if edges.size < 2 or not np.all(np.isfinite(edges)):
        raise InputError("at least two finite edges are needed", field="bins")
    if np.any(np.diff(edges) <= 0):
        raise InputError(f"edges must be increasing, got {edges.tolist()}", field="bins")
    return edges


def _bin_index(t: Array, edges: Array) -> NDArray[np.intp]:
    """The bin of each value (-1 outside): ``[e_k, e_k+1)``, the last bin closed."""
    idx = np.searchsorted(edges, t, side="right") - 1
    idx = np.where(t == edges[-1], edges.size - 2, idx)
    out: NDArray[np.intp] = np.where((t < edges[0]) | (t > edges[-1]), -1, idx).astype(np.intp)
    return out


# --- the check ----------------------------------------------------------------------------------


def _correction(pred: Array, bins: NDArray[np.intp], n_bins: int) -> Array:
    """``PRED_bin / PRED_ij`` per observation (1 where PRED_ij is 0 or not finite)."""
    ok = np.isfinite(pred) & (pred != 0.0)
    factor = np.ones(pred.size)
    for b in range(n_bins):
        sel = (bins == b) & ok
        if sel.any():
            factor[sel] = float(np.median(pred[sel])) / pred[sel]
    return factor


def _quantiles(values: Array, qs: tuple[float, ...], axis: int) -> Array:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN
        out: Array = np.nanquantile(values, qs, axis=axis)
    return out


def _interval(per_rep: Array, level: float) -> tuple[Array, Array, Array]:
    """Median, lower and upper limit over replicates (the last axis)."""
    lo, med, hi = _quantiles(per_rep, (0.5 - level / 2.0, 0.5, 0.5 + level / 2.0), axis=-1)
    return med, lo, hi


def _rows(a: Array) -> Matrix:
    return tuple(tuple(float(v) for v in row) for row in a)


def vpc(
    model: NlmeModel,
    data: NlmeData,
    x: ArrayLike | NlmeResult,
    *,
    n_rep: int = 500,
    bins: int | Sequence[float] | None = None,
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    level: float = 0.95,
    prediction_corrected: bool = True,
    idv: str | None = None,
    seed: int | None = 0,
) -> VpcResult:
    """The VPC of ``model`` at the parameter vector ``x`` (or a fit's estimates) on ``data``.

    ``idv`` is the column of ``data.x`` to bin on (default ``time``, else the first column).
    """
    k = check_n_rep(n_rep)
    qs = _check_quantiles(quantiles)
    lv = _check_level(level)
    names = data.x_names
    name = idv if idv is not None else ("time" if "time" in names else (names or ("",))[0])
    if name not in names:
        raise InputError(f"{quote(name)} is not a column of the data {names}", field="idv")
    t = data.columns((name,))[:, 0]
    edges = _edges(bins, t)
    par = Parameters.of(model, x)
    n_bins = edges.size - 1
    which = _bin_index(t, edges)
    cens = data.censored.astype(bool)
    sims = simulate_observations(model, data, x, k, seed)
    lloq = lloq_per_observation(data)
    sim_low = np.zeros(sims.shape, dtype=bool) if lloq is None else np.asarray(sims < lloq[None, :])
    factor = np.ones(data.n_obs)
    if prediction_corrected:
        pred = predict_observations(
            model, data, par.theta, np.zeros((data.n_subjects, par.lower.shape[0]))
        )
        factor = _correction(pred, which, n_bins)
    obs = np.where(cens, np.nan, data.y * factor)
    sim = np.where(sim_low, np.nan, sims * factor[None, :])
    nq = len(qs)
    observed = np.full((n_bins, nq), np.nan)
    s_med, s_lo, s_hi = (np.full((n_bins, nq), np.nan) for _ in range(3))
    blq = np.full((4, n_bins), np.nan)
    t_med = np.full(n_bins, np.nan)
    n_obs = np.zeros(n_bins, dtype=int)
    n_blq = np.zeros(n_bins, dtype=int)
    for b in range(n_bins):
        sel = which == b
        n_obs[b] = int(sel.sum())
        n_blq[b] = int((sel & cens).sum())
        if not n_obs[b]:
            continue
        t_med[b] = float(np.median(t[sel]))
        observed[b] = _quantiles(obs[sel], qs, axis=0)
        per_rep = _quantiles(sim[:, sel], qs, axis=1)  # (nq, K)
        s_med[b], s_lo[b], s_hi[b] = _interval(per_rep, lv)
        if lloq is not None:
            blq[0, b] = n_blq[b] / n_obs[b]
            blq[1:, b] = _interval(np.mean(sim_low[:, sel], axis=1), lv)
    blq_out: tuple[tuple[float, ...], ...] = (
        tuple(tuple(float(v) for v in row) for row in blq) if lloq is not None else ((),) * 4
    )
    return VpcResult(
        idv=name,
        prediction_corrected=prediction_corrected,
        quantiles=qs,
        level=lv,
        n_rep=k,
        seed=seed,
        edges=tuple(float(e) for e in edges),
        idv_median=tuple(float(v) for v in t_med),
        n_obs=tuple(int(v) for v in n_obs),
        n_blq=tuple(int(v) for v in n_blq),
        n_outside=int(np.sum(which < 0)),
        observed=_rows(observed),
        sim_median=_rows(s_med),
        sim_lower=_rows(s_lo),
        sim_upper=_rows(s_hi),
        blq_observed=blq_out[0],
        blq_sim_median=blq_out[1],
        blq_sim_lower=blq_out[2],
        blq_sim_upper=blq_out[3],
    )
