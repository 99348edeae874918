"""In-vivo drug-combination synergy from tumour growth curves, as SynergyLMM (Romero-Becerra et
al., Nat Commun 2025; R package 1.1.x, ``lmmModel`` and ``lmmSynergy`` for the exponential
model) computes it.

**Model** (``lmmModel``). Burden is made relative to each animal's baseline (the first day of
the study, or ``day_start``): ``logRTV = ln(V / V_baseline)``; baseline rows (zero by
construction) are dropped and time counts days since the baseline. The linear mixed model is
``logRTV ~ 0 + day:group`` with a random slope per animal and no intercept
(``nlme::lme(random = ~ 0 + Time | SampleID)``): one exponential growth rate per group (per day:
control, drug A, drug B, combination), an animal's own rate ``N(0, sd_slope^2)`` around it, and
residuals ``N(0, sigma^2 delta^2)``. ``variance="constant"`` (SynergyLMM's default) has one
residual variance; ``"subject"`` or ``"treatment"`` give each animal, or each group, its own
(``weights = nlme::varIdent(form = ~ 1 | SampleID)``, or ``~ 1 | Treatment``; the first animal,
or the control, is the reference with ``delta = 1``). Fitted by REML.

**Synergy** (``lmmSynergy``). The model is refitted on the data up to each day ``d`` (every
measured day from ``min_day`` on) and the null hypothesis of additivity tested on that fit's
growth rates ``b1..b4`` (control, A, B, combination):

* Bliss: ``b4 = b2 + b3 - b1``; HSA: ``b4 = min(b2, b3)`` (the monotherapy with the lower rate
  in the fit on all days is chosen once). The contrast ``e = b4 - expected`` (per day) has the
  Wald SE from the model's covariance, or with ``robust=True`` from the cluster-robust
  sandwich (by animal; ``CR2`` by default), and a normal (z) test and interval, as
  ``marginaleffects::hypotheses`` gives them: ``p = 2 Phi(-|e/SE|)``, ``e ± z SE``. Combination
  index ``CI = exp(e d)`` with ``[exp(lo d), exp(hi d)]`` (< 1 synergy); synergy score
  ``SS = -e / SE`` with ``[-hi / SE, -lo / SE]`` (> 0 synergy). Both carry the same p.
* RA (response additivity): ``nsim`` draws of ``b`` from the normal with the fit's estimates
  and covariance (model or robust); per draw the area under ``exp(b t)`` from 0 to ``d`` of
  the combination (``lhs``) and ``A + B - control`` (``rhs``, negative set to 0); ``CI`` is
  the median of ``lhs / rhs`` (infinite ratios capped at 100) with its ``(1 - conf_level) / 2``
  quantiles (2.5 and 97.5 % by default) and
  ``p = 2 min(P(ratio <= 1), P(ratio >= 1))``; ``SS = -median(delta) / sd(delta)`` of
  ``delta = lhs - rhs`` with ``[-q_upper / sd, -q_lower / sd]`` and its own p. The areas are the
  closed form ``(exp(b d) - 1) / b`` (SynergyLMM integrates numerically). The draws use
  numpy's generator seeded with ``seed``, not R's: RA results agree with SynergyLMM's to
  Monte-Carlo precision only.

p-values may be adjusted over the days (``padj``: R's ``p.adjust`` methods through statsmodels'
``multipletests``). In the study's own terms the result also gives, from the fit on all days,
the burden reduction of each treated group against the control at the last day,
``100 (1 - exp((b_g - b1) T))`` % with its interval and p, and the combination against each
monotherapy (rate difference, ratio of RTV at the last day, p), with the same covariance and
z tests as the synergy.

**Why parts are written here.** With one residual variance the model is fitted by statsmodels'
``MixedLM`` (:func:`cxcr4lab.preclinical.growth.fit_mixedlm`, every optimiser, the best
restricted likelihood); it reproduces nlme's fixed effects and SEs to 1e-7. statsmodels has no
residual-variance function, so the ``varIdent`` models are fitted by the REML (or ML)
likelihood written here: ``V_i = sigma^2 (W_i + psi t_i t_i')`` with ``W_i`` the diagonal of
``delta^2``, ``sigma^2`` and ``beta`` profiled out, ``log psi`` and ``log delta`` maximised by
scipy's L-BFGS-B with the analytic gradient (the inverse and determinant of a rank-one update
in closed form). No Python library computes clubSandwich's CR2 for a mixed model (statsmodels'
cluster-robust covariances are for OLS/GLM/GEE, ``linearmodels`` for panels, neither with the
Bell-McCaffrey adjustment on a working covariance); it is written here as
``clubSandwich::vcovCR.lme`` does it (0.5.8): working covariance ``Theta_i = V_i / sigma^2``,
``M = (sum X_i' Theta_i^-1 X_i)^-1``, adjustment ``A_i = R_i' G_i^(-1/2) R_i`` with ``R_i`` the
upper Cholesky factor of ``Theta_i`` and ``G_i = R_i (Theta_i - X_i M X_i') R_i'`` (eigenvalues
below 1e-12 dropped), ``vcov = M (sum e_i e_i') M`` with ``e_i = X_i' Theta_i^-1 A_i r_i`` and
``r_i`` the marginal residuals. CR0 (``A_i = I``) and CR1 (times ``J / (J - 1)``) too.

Validation against SynergyLMM's printed results and R (nlme 3.1-162, clubSandwich 0.5.8) is in
``tests/preclinical/test_invivo_synergy.py``. Not done: the three-drug design (``drug_c``),
the Gompertz model, SynergyLMM's CR1p, CR1S and CR3.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import optimize, stats

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial
from cxcr4lab.preclinical.growth import (
    check_tumour_table,
    fit_mixedlm,
    fixed_effects_cov,
)

__all__ = [
    "PADJ_METHODS",
    "BurdenReduction",
    "CombinationVsMonotherapy",
    "ExponentialGrowthFit",
    "InvivoSynergyResult",
    "SynergyTimePoint",
    "VarianceRatio",
    "cluster_robust_cov",
    "fit_exponential_growth",
    "invivo_synergies",
    "invivo_synergy",
]

Array = NDArray[np.float64]
Index = NDArray[np.intp]

Variance = Literal["constant", "subject", "treatment"]
SynergyMethod = Literal["Bliss", "HSA", "RA"]
CRType = Literal["CR0", "CR1", "CR2"]

ROLES = ("control", "drug_a", "drug_b", "combination")

PADJ_METHODS = {
    "none": None,
    "holm": "holm",
    "hochberg": "simes-hochberg",
    "hommel": "hommel",
    "bonferroni": "bonferroni",
    "BH": "fdr_bh",
    "fdr": "fdr_bh",
    "BY": "fdr_by",
}
"""R's ``p.adjust`` methods and statsmodels' ``multipletests`` names for them."""

RA_CAP = 100.0
"""An infinite RA combination index (zero expected area) is set to this, as SynergyLMM."""

BOUNDARY_RATIO = 1e-4
"""A random-slope variance over the span of days below this fraction of the residual
variance is taken as zero (the fit is on the boundary)."""


# --- the data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Design:
    """The modelled rows: log RTV, days since baseline, design (one column per role: the days
    in that group's rows, 0 elsewhere), animal and group indices (0-based) and their labels."""

    y: Array
    t: Array
    x: Array
    animals: Index
    animal_labels: tuple[str, ...]
    groups: tuple[str, ...]
    group_of: Index

    def subset(self, keep: NDArray[np.bool_]) -> _Design:
        used = np.unique(self.animals[keep])
        recode = np.full(len(self.animal_labels), -1, dtype=np.intp)
        recode[used] = np.arange(used.size)
        return _Design(
            self.y[keep],
            self.t[keep],
            self.x[keep],
            recode[self.animals[keep]],
            tuple(self.animal_labels[i] for i in used),
            self.groups,
            self.group_of[keep],
        )

    def strata(self, variance: Variance) -> tuple[Index, tuple[str, ...]]:
        if variance == "subject":
            return self.animals, self.animal_labels
        if variance == "treatment":
            present = np.unique(self.group_of)
            recode = np.full(len(self.groups), -1, dtype=np.intp)
            recode[present] = np.arange(present.size)
            return recode[self.group_of], tuple(self.groups[i] for i in present)
        return np.zeros(len(self.y), dtype=np.intp), ("all",)


def _prepare(
    frame: pd.DataFrame,
    roles: dict[str, str],
    *,
    value: str,
    day_start: float | None,
    day_end: float | None,
    min_observations: int,
    source: str,
    row_base: int,
) -> tuple[_Design, float, tuple[str, ...], tuple[str, ...], int]:
    """The design of ``lmmModel``; also the baseline day, the groups left out, the animals
    left out for too few observations, and the count of rows with no burden."""
    names = [roles[r] for r in ROLES]
    for role, name in roles.items():
        if not isinstance(name, str) or not name:
            raise InputError(f"must name a group; got {quote(name)}", field=role)
    if len(set(names)) < len(names):
        raise InputError(
            "control, drug A, drug B and combination must be four different groups; got "
            + ", ".join(quote(n) for n in names),
            field="groups",
        )
    table = check_tumour_table(
        frame, value=value, groups=names, only=names, source=source, row_base=row_base
    )
    n_missing = int(table.attrs.get("n_missing", 0))
    excluded = tuple(table.attrs.get("excluded_groups", ()))
    start = float(table["day"].min()) if day_start is None else float(day_start)
    table = table[table["day"] >= start]
    if day_end is not None:
        if day_end <= start:
            raise InputError(
                f"must be after the baseline day {start:g}; got {day_end:g}", field="day_end"
            )
        table = table[table["day"] <= day_end]
    for animal, sub in table.groupby("animal_id", sort=False):
        if not (sub["day"] == start).any():
            raise InputError(
                f"has no burden measured on the baseline day {start:g}, which relative "
                "tumour volume is taken against",
                file=source or None,
                field=f"animal {quote(animal)}",
            )
    counts = table.groupby("animal_id", sort=False)["day"].size()
    few = tuple(str(a) for a, n in counts.items() if n < min_observations)
    table = table[~table["animal_id"].isin(few)]
    base = table[table["day"] == start].set_index("animal_id")["value"]
    rtv = table["value"].to_numpy() / table["animal_id"].map(base).to_numpy()
    post = (table["day"] != start).to_numpy()
    table, log_rtv = table[post], np.log(rtv[post])
    for role in ROLES:
        name = roles[role]
        n = table.loc[table["group"] == name, "animal_id"].nunique()
        if n < 3:
            raise InputError(
                f"has {n} animal{'s' if n != 1 else ''} measured after the baseline day; at "
                "least 3 are needed",
                file=source or None,
                field=f"group {quote(name)}",
            )
    t = table["day"].to_numpy(dtype=float) - start
    group_of = np.array([names.index(g) for g in table["group"]], dtype=np.intp)
    x = np.zeros((len(t), 4))
    x[np.arange(len(t)), group_of] = t
    codes, uniques = pd.factorize(table["animal_id"], sort=False)
    design = _Design(
        log_rtv,
        t,
        x,
        codes.astype(np.intp),
        tuple(str(u) for u in uniques),
        tuple(names),
        group_of,
    )
    return design, start, excluded, few, n_missing


# --- REML for the slope model with a residual-variance function --------------------------------


@dataclass(frozen=True)
class _Fit:
    """One fitted slope model: fixed effects, ``c = (X' V_rel^-1 X)^-1``, ``sigma2``,
    ``psi`` (random-slope variance relative to sigma^2), relative residual variances per row
    ``w2`` and per stratum ``delta``, the criterion, and how the optimiser ended."""

    beta: Array
    c: Array
    sigma2: float
    psi: float
    w2: Array
    delta: Array
    strata_labels: tuple[str, ...]
    loglik: float
    converged: bool
    optimiser: str
    boundary: bool

    @property
    def cov(self) -> Array:
        return self.sigma2 * self.c


def _criterion(
    theta: Array, d: _Design, strata: Index, n_strata: int, reml: bool
) -> tuple[float, Array, dict[str, object]]:
    """The profiled (restricted) log-likelihood of ``theta = (log psi, log delta_1..)`` and
    its gradient (module docstring)."""
    n, p = d.x.shape
    j = len(d.animal_labels)
    psi = math.exp(theta[0])
    delta = np.concatenate([[1.0], np.exp(theta[1:])])
    w2 = delta[strata] ** 2
    u = d.t / w2
    a = np.bincount(d.animals, weights=d.t * u, minlength=j)
    s = 1.0 / (1.0 + psi * a)
    coef = psi * s[d.animals] * u

    def vinv(v: Array) -> Array:
        m = v.reshape(n, -1)
        sums = np.zeros((j, m.shape[1]))
        np.add.at(sums, d.animals, u[:, None] * m)
        return np.asarray(m / w2[:, None] - coef[:, None] * sums[d.animals])

    vx = vinv(d.x)
    vy = vinv(d.y)[:, 0]
    info = d.x.T @ vx
    info = (info + info.T) / 2
    chol = np.linalg.cholesky(info)
    c = np.linalg.inv(info)
    beta = c @ (d.x.T @ vy)
    r = d.y - d.x @ beta
    vr = vy - vx @ beta
    nu = n - p if reml else n
    rss = float(r @ vr)
    sigma2 = rss / nu
    logdet = float(np.sum(np.log(w2)) + np.sum(np.log1p(psi * a)))
    loglik = -0.5 * (nu * (math.log(2 * math.pi * sigma2) + 1) + logdet)
    if reml:
        loglik -= float(np.sum(np.log(np.diag(chol))))
    p_diag = 1.0 / w2 - coef * u
    zvx = np.zeros((j, p))
    np.add.at(zvx, d.animals, d.t[:, None] * vx)
    zpz = a * s
    if reml:
        p_diag = p_diag - np.einsum("ij,jk,ik->i", vx, c, vx)
        zpz = zpz - np.einsum("ij,jk,ik->i", zvx, c, zvx)
    zvr = np.bincount(d.animals, weights=d.t * vr, minlength=j)
    grad = np.empty(len(theta))
    grad[0] = -0.5 * psi * float(np.sum(zpz - zvr**2 / sigma2))
    per_row = -0.5 * 2 * w2 * (p_diag - vr**2 / sigma2)
    grad[1:] = np.bincount(strata, weights=per_row, minlength=n_strata)[1:]
    parts: dict[str, object] = {"beta": beta, "c": c, "sigma2": sigma2, "w2": w2, "delta": delta}
    return loglik, grad, parts


def _fit_varident(
    d: _Design, strata: Index, labels: tuple[str, ...], reml: bool, psi0: float
) -> _Fit:
    """Maximise :func:`_criterion` over ``log psi`` and the ``log delta`` of strata 2..K."""
    k = len(labels)
    theta0 = np.concatenate([[math.log(max(psi0, 1e-8))], np.zeros(k - 1)])
    bounds = [(-40.0, 20.0)] + [(-15.0, 15.0)] * (k - 1)

    def f(theta: Array) -> tuple[float, Array]:
        try:
            ll, g, _ = _criterion(theta, d, strata, k, reml)
        except np.linalg.LinAlgError:
            return math.inf, np.zeros_like(theta)
        if not math.isfinite(ll):
            return math.inf, np.zeros_like(theta)
        return -ll, -g

    with np.errstate(all="ignore"):
        res = optimize.minimize(
            f,
            theta0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 20000, "maxfun": 50000, "ftol": 1e-15, "gtol": 1e-9},
        )
        theta = np.asarray(res.x, dtype=float)
        ll, g, parts = _criterion(theta, d, strata, k, reml)
    free = np.array([lo + 1e-6 < v < hi - 1e-6 for v, (lo, hi) in zip(theta, bounds, strict=True)])
    converged = bool(np.all(np.abs(g[free]) < 1e-4 * max(1.0, abs(ll))))
    psi = math.exp(theta[0])
    span = float(d.t.max())
    return _Fit(
        beta=np.asarray(parts["beta"], dtype=float),
        c=np.asarray(parts["c"], dtype=float),
        sigma2=float(parts["sigma2"]),  # type: ignore[arg-type]
        psi=psi,
        w2=np.asarray(parts["w2"], dtype=float),
        delta=np.asarray(parts["delta"], dtype=float),
        strata_labels=labels,
        loglik=ll,
        converged=converged,
        optimiser="L-BFGS-B (REML with varIdent, written here)",
        boundary=psi * span**2 < BOUNDARY_RATIO,
    )


def _fit(d: _Design, variance: Variance, reml: bool = True) -> _Fit:
    """Fit the slope model on ``d`` (statsmodels for one residual variance)."""
    strata, labels = d.strata(variance)
    counts = np.bincount(strata, minlength=len(labels))
    if variance != "constant" and counts.min() < 2:
        k = int(counts.argmin())
        raise ValueError(
            f"variance stratum {quote(labels[k])} ({variance}) has {counts[k]} measurement; "
            "each needs at least 2 for a residual variance of its own"
        )
    z = d.t[:, None]
    mixed = fit_mixedlm(d.y, d.x, d.animals, z, reml=reml)
    r = mixed.result
    scale = float(r.scale)
    psi = max(float(np.asarray(r.cov_re, dtype=float)[0, 0]) / scale, 0.0)
    if variance == "constant":
        c = fixed_effects_cov(d.x, z, d.animals, np.array([[psi]]))
        span = float(d.t.max())
        return _Fit(
            beta=np.asarray(r.fe_params, dtype=float),
            c=c,
            sigma2=scale,
            psi=psi,
            w2=np.ones(len(d.y)),
            delta=np.ones(1),
            strata_labels=("all",),
            loglik=float(r.llf),
            converged=mixed.converged,
            optimiser=f"statsmodels MixedLM ({mixed.method})",
            boundary=psi * span**2 < BOUNDARY_RATIO,
        )
    return _fit_varident(d, strata, labels, reml, psi)


def cluster_robust_cov(
    x: Array,
    residuals: Array,
    t: Array,
    animals: Index,
    w2: Array,
    psi: float,
    c: Array,
    cr_type: CRType = "CR2",
) -> Array:
    """clubSandwich's cluster-robust covariance of the fixed effects of the slope model, by
    animal (module docstring): ``x`` the design, ``residuals`` marginal (``y - X beta``),
    ``t`` the random-slope covariate, ``w2`` the relative residual variances, ``psi`` the
    relative random-slope variance and ``c = (X' V_rel^-1 X)^-1``."""
    p = x.shape[1]
    j = int(animals.max()) + 1
    meat = np.zeros((p, p))
    for i in range(j):
        rows = animals == i
        xi, ri, ti = x[rows], residuals[rows], t[rows]
        theta = np.diag(w2[rows]) + psi * np.outer(ti, ti)
        w = np.linalg.inv(theta)
        if cr_type == "CR2":
            low = np.linalg.cholesky(theta)  # theta = low low'; clubSandwich's R is low'
            g = low.T @ (theta - xi @ c @ xi.T) @ low
            g = (g + g.T) / 2
            vals, vecs = np.linalg.eigh(g)
            power = np.where(vals > 1e-12, np.abs(vals) ** -0.5, 0.0)
            adjust = low @ (vecs * power) @ vecs.T @ low.T
            e = xi.T @ w @ adjust @ ri
        else:
            e = xi.T @ w @ ri
        meat += np.outer(e, e)
    cov = c @ meat @ c
    if cr_type == "CR1":
        cov *= j / (j - 1)
    return np.asarray((cov + cov.T) / 2, dtype=float)


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VarianceRatio:
    """The residual SD of one variance stratum (an animal or a group) relative to the
    reference stratum's (nlme's ``varIdent`` coefficient)."""

    stratum: str
    ratio: float


@dataclass(frozen=True)
class ExponentialGrowthFit(Serial):
    """SynergyLMM's ``lmmModel`` (module docstring): the growth rates (ln RTV per day) of
    control, drug A, drug B and combination (``groups``, in that order) with their
    model-based SEs (``rate_se``) and cluster-robust ones (``rate_se_robust``, ``cr_type``),
    covariances (``cov``, ``cov_robust``), the random-slope SD (``slope_sd``, ln RTV per day;
    ``slope_sd_relative`` is it over ``residual_sd``, what SynergyLMM's
    ``lmmModel_estimates`` prints as ``sd_ranef``), the residual SD of the reference stratum
    (``residual_sd``, SynergyLMM's ``sd_resid``) and the others' ratios to it.
    ``day_start`` is the baseline (study day), ``last_day`` the last day modelled (days since
    baseline). ``excluded_groups``: groups in the table that are not one of the four;
    ``excluded_animals``: animals with fewer than ``min_observations`` rows."""

    kind: ClassVar[str] = "invivo_growth"

    source: str
    value: str
    unit: str
    groups: tuple[str, str, str, str]
    variance: Variance
    day_start: float
    last_day: float
    n_animals: int
    n_obs: int
    n_missing: int
    rates: tuple[float, ...]
    rate_se: tuple[float, ...]
    rate_se_robust: tuple[float, ...]
    cov: tuple[tuple[float, ...], ...]
    cov_robust: tuple[tuple[float, ...], ...]
    slope_sd: float
    slope_sd_relative: float
    residual_sd: float
    variance_ratios: tuple[VarianceRatio, ...]
    loglik: float
    optimiser: str
    converged: bool
    boundary: bool
    cr_type: CRType = "CR2"
    excluded_groups: tuple[str, ...] = ()
    excluded_animals: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()

    def summary(self) -> pd.DataFrame:
        """One row per group: growth rate (ln RTV per day), model and robust SE, doubling
        time (days)."""
        return pd.DataFrame(
            [
                {
                    "group": g,
                    "role": role,
                    "rate (/day)": rate,
                    "SE": se,
                    f"SE ({self.cr_type})": se_r,
                    "doubling time (days)": math.log(2) / rate if rate > 0 else None,
                }
                for g, role, rate, se, se_r in zip(
                    self.groups, ROLES, self.rates, self.rate_se, self.rate_se_robust, strict=True
                )
            ]
        )


@dataclass(frozen=True)
class SynergyTimePoint:
    """Synergy on the refit up to ``day`` (days since baseline): combination index ``ci``
    (< 1 synergy) and synergy score ``ss`` (> 0 synergy) with their intervals and p-values
    (``p`` for SS; ``p_ci`` for CI, equal to ``p`` except under RA), adjusted over the days
    if asked. ``contrast`` and ``se``: Bliss/HSA the rate contrast (per day) and its SE; RA the
    median and SD of the simulated area differences. ``rates`` and ``rate_se`` are the refit's
    (SynergyLMM's ``Estimates``; robust SEs when the synergy is robust). ``None`` where the
    refit failed (``note`` says why)."""

    day: float
    n_obs: int
    contrast: float | None
    se: float | None
    ci: float | None
    ci_lower: float | None
    ci_upper: float | None
    p_ci: float | None
    ss: float | None
    ss_lower: float | None
    ss_upper: float | None
    p: float | None
    p_ci_adjusted: float | None
    p_adjusted: float | None
    rates: tuple[float | None, ...]
    rate_se: tuple[float | None, ...]
    slope_sd_relative: float | None
    residual_sd: float | None
    converged: bool
    boundary: bool
    note: str = ""


@dataclass(frozen=True)
class BurdenReduction:
    """Burden (RTV) of ``group`` against the control at ``day`` (days since baseline), from
    the growth rates: ``100 (1 - exp((b_group - b_control) day))`` %, its interval and the
    z-test p of equal rates."""

    group: str
    day: float
    reduction_pct: float
    lower_pct: float
    upper_pct: float
    p: float


@dataclass(frozen=True)
class CombinationVsMonotherapy:
    """The combination against one monotherapy: rate difference (per day, combination minus
    monotherapy) with SE, interval and z-test p, and the ratio of their RTVs at ``day``."""

    monotherapy: str
    day: float
    difference: float
    se: float
    lower: float
    upper: float
    p: float
    rtv_ratio: float
    rtv_ratio_lower: float
    rtv_ratio_upper: float


@dataclass(frozen=True)
class InvivoSynergyResult(Serial):
    """SynergyLMM's ``lmmSynergy`` on one study: the fit on all days (``fit``), one
    :class:`SynergyTimePoint` per day from ``min_day``, and the study summary (burden
    reductions at the last day, the combination against each monotherapy). ``hsa_reference``
    is the monotherapy HSA compares with; ``nsim`` and ``seed`` are RA's draws."""

    kind: ClassVar[str] = "invivo_synergy"

    method: SynergyMethod
    robust: bool
    cr_type: CRType
    conf_level: float
    padj: str
    fit: ExponentialGrowthFit
    points: tuple[SynergyTimePoint, ...]
    reductions: tuple[BurdenReduction, ...]
    versus_monotherapy: tuple[CombinationVsMonotherapy, ...]
    hsa_reference: str | None = None
    min_day: float = 0.0
    nsim: int = 0
    seed: int | None = None
    flags: tuple[str, ...] = field(default=())

    def summary(self) -> pd.DataFrame:
        """SynergyLMM's ``Synergy`` table: Model, Metric (CI, then SS), Estimate, lwr, upr,
        pval (and padj when adjusted), Time (days since baseline)."""
        rows = []
        for metric in ("CI", "SS"):
            for pt in self.points:
                ci = metric == "CI"
                row: dict[str, object] = {
                    "Model": self.method,
                    "Metric": metric,
                    "Estimate": pt.ci if ci else pt.ss,
                    "lwr": pt.ci_lower if ci else pt.ss_lower,
                    "upr": pt.ci_upper if ci else pt.ss_upper,
                    "pval": pt.p_ci if ci else pt.p,
                }
                if self.padj != "none":
                    row["padj"] = pt.p_ci_adjusted if ci else pt.p_adjusted
                row["Time"] = pt.day
                rows.append(row)
        return pd.DataFrame(rows)

    def estimates(self) -> pd.DataFrame:
        """SynergyLMM's ``Estimates``: each refit's growth rates and SEs, ``sd_ranef``
        (relative) and ``sd_resid``, by day."""
        rows = []
        for pt in self.points:
            row: dict[str, object] = {}
            for g, rate, se in zip(self.fit.groups, pt.rates, pt.rate_se, strict=True):
                row[g] = rate
                row[f"sd_{g}"] = se
            row |= {"sd_ranef": pt.slope_sd_relative, "sd_resid": pt.residual_sd, "Time": pt.day}
            rows.append(row)
        return pd.DataFrame(rows)

    def effect_summary(self) -> pd.DataFrame:
        """The study in its own terms: burden reduction against the control at the last day
        (%), and the combination against each monotherapy."""
        level = f"{self.conf_level:.0%}"
        rows: list[dict[str, object]] = [
            {
                "comparison": f"{r.group} vs {self.fit.groups[0]}",
                "day": r.day,
                "burden reduction %": r.reduction_pct,
                f"lower {level}": r.lower_pct,
                f"upper {level}": r.upper_pct,
                "p": r.p,
            }
            for r in self.reductions
        ]
        rows += [
            {
                "comparison": f"{self.fit.groups[3]} vs {c.monotherapy}",
                "day": c.day,
                "burden reduction %": 100 * (1 - c.rtv_ratio),
                f"lower {level}": 100 * (1 - c.rtv_ratio_upper),
                f"upper {level}": 100 * (1 - c.rtv_ratio_lower),
                "p": c.p,
            }
            for c in self.versus_monotherapy
        ]
        return pd.DataFrame(rows)


# --- the analysis -------------------------------------------------------------------------------


def _matrix(a: Array) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(v) for v in row) for row in a)


def _check_options(variance: str, cr_type: str, conf_level: float, min_observations: int) -> None:
    if variance not in ("constant", "subject", "treatment"):
        raise InputError(
            f"must be 'constant', 'subject' or 'treatment'; got {quote(variance)}",
            field="variance",
        )
    if cr_type not in ("CR0", "CR1", "CR2"):
        raise InputError(f"must be CR0, CR1 or CR2; got {quote(cr_type)}", field="cr_type")
    if not 0 < conf_level < 1:
        raise InputError(f"must be between 0 and 1; got {conf_level!r}", field="conf_level")
    if min_observations < 1:
        raise InputError(f"must be at least 1; got {min_observations!r}", field="min_observations")


def _growth_fit(
    d: _Design,
    fit: _Fit,
    *,
    variance: Variance,
    cr_type: CRType,
    source: str,
    value: str,
    unit: str,
    start: float,
    excluded: tuple[str, ...],
    few: tuple[str, ...],
    n_missing: int,
) -> tuple[ExponentialGrowthFit, Array]:
    robust = cluster_robust_cov(
        d.x, d.y - d.x @ fit.beta, d.t, d.animals, fit.w2, fit.psi, fit.c, cr_type
    )
    flags = []
    if not fit.converged:
        flags.append(f"the optimiser ({fit.optimiser}) did not converge")
    if fit.boundary:
        flags.append(
            "the random-slope variance is (near) zero: the fit is on the boundary and the "
            "animals' growth rates do not differ beyond residual noise"
        )
    sigma = math.sqrt(fit.sigma2)
    ratios = (
        tuple(VarianceRatio(s, float(v)) for s, v in zip(fit.strata_labels, fit.delta, strict=True))
        if variance != "constant"
        else ()
    )
    result = ExponentialGrowthFit(
        source=source,
        value=value,
        unit=unit,
        groups=(d.groups[0], d.groups[1], d.groups[2], d.groups[3]),
        variance=variance,
        day_start=start,
        last_day=float(d.t.max()),
        n_animals=len(d.animal_labels),
        n_obs=len(d.y),
        n_missing=n_missing,
        rates=tuple(float(b) for b in fit.beta),
        rate_se=tuple(float(v) for v in np.sqrt(np.diag(fit.cov))),
        rate_se_robust=tuple(float(v) for v in np.sqrt(np.diag(robust))),
        cov=_matrix(fit.cov),
        cov_robust=_matrix(robust),
        slope_sd=sigma * math.sqrt(fit.psi),
        slope_sd_relative=math.sqrt(fit.psi),
        residual_sd=sigma,
        variance_ratios=ratios,
        loglik=fit.loglik,
        optimiser=fit.optimiser,
        converged=fit.converged,
        boundary=fit.boundary,
        cr_type=cr_type,
        excluded_groups=excluded,
        excluded_animals=few,
        flags=tuple(flags),
    )
    return result, robust


def _prepared_fit(
    frame: pd.DataFrame,
    roles: dict[str, str],
    *,
    value: str,
    day_start: float | None,
    day_end: float | None,
    min_observations: int,
    source: str,
    row_base: int,
    variance: Any,
    cr_type: Any,
    unit: str,
) -> tuple[Any, Any, ExponentialGrowthFit, Any]:
    """The table prepared and the exponential growth model fitted (data, fit, its result,
    the robust covariance), one :class:`InputError` when the model cannot be fitted."""
    d, start, excluded, few, n_missing = _prepare(
        frame,
        roles,
        value=value,
        day_start=day_start,
        day_end=day_end,
        min_observations=min_observations,
        source=source,
        row_base=row_base,
    )
    try:
        fit = _fit(d, variance)
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise InputError(
            f"the growth model cannot be fitted: {exc}", field="growth model"
        ) from None
    result, robust_cov = _growth_fit(
        d,
        fit,
        variance=variance,
        cr_type=cr_type,
        source=source,
        value=value,
        unit=unit,
        start=start,
        excluded=excluded,
        few=few,
        n_missing=n_missing,
    )
    return d, fit, result, robust_cov


def fit_exponential_growth(
    frame: pd.DataFrame,
    *,
    control: str,
    drug_a: str,
    drug_b: str,
    combination: str,
    value: str = "volume_mm3",
    unit: str = "mm3",
    variance: Variance = "constant",
    cr_type: CRType = "CR2",
    day_start: float | None = None,
    day_end: float | None = None,
    min_observations: int = 1,
    source: str = "",
    row_base: int = 2,
) -> ExponentialGrowthFit:
    """SynergyLMM's ``lmmModel`` (exponential growth) on the tidy table ``frame``
    (``animal_id, group, day, <value>``; burden in ``unit``, day in days)."""
    _check_options(variance, cr_type, 0.95, min_observations)
    roles = dict(zip(ROLES, (control, drug_a, drug_b, combination), strict=True))
    _, _, result, _ = _prepared_fit(
        frame, roles, value=value, day_start=day_start, day_end=day_end,
        min_observations=min_observations, source=source, row_base=row_base,
        variance=variance, cr_type=cr_type, unit=unit,
    )  # fmt: skip
    return result


def _ra_draws(
    beta: Array, cov: Array, day: float, nsim: int, seed: int | None
) -> tuple[Array, Array]:
    """Simulated areas: ``delta = lhs - rhs`` and ``ratio = lhs / rhs`` (module docstring)."""
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(beta, cov, size=nsim, method="eigh")

    def area(b: Array) -> Array:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.expm1(b * day) / b
        return np.asarray(np.where(np.abs(b * day) < 1e-12, day, out), dtype=float)

    lhs = area(draws[:, 3])
    rhs = area(draws[:, 1]) + area(draws[:, 2]) - area(draws[:, 0])
    rhs = np.where(rhs < 0, 0.0, rhs)
    with np.errstate(divide="ignore"):
        ratio = lhs / rhs
    ratio = np.where(np.isinf(ratio), RA_CAP, ratio)
    return lhs - rhs, ratio


def _two_sided(sample: Array, null: float) -> float:
    return float(2 * min(np.mean(sample <= null), np.mean(sample >= null)))


def _synergy_point(
    d: _Design,
    day: float,
    variance: Variance,
    method: SynergyMethod,
    contrast: Array,
    *,
    robust: bool,
    cr_type: CRType,
    conf_level: float,
    nsim: int,
    seed: int | None,
    refits: dict[float, _Fit],
) -> SynergyTimePoint:
    sub = d.subset(d.t <= day)
    try:
        if day not in refits:  # the refit on the data up to ``day`` is the same for every method
            refits[day] = _fit(sub, variance)
        fit = refits[day]
    except (ValueError, np.linalg.LinAlgError) as exc:
        none = (None, None, None, None)
        return SynergyTimePoint(
            day=day,
            n_obs=len(sub.y),
            contrast=None,
            se=None,
            ci=None,
            ci_lower=None,
            ci_upper=None,
            p_ci=None,
            ss=None,
            ss_lower=None,
            ss_upper=None,
            p=None,
            p_ci_adjusted=None,
            p_adjusted=None,
            rates=none,
            rate_se=none,
            slope_sd_relative=None,
            residual_sd=None,
            converged=False,
            boundary=False,
            note=f"the model cannot be fitted on the data up to this day: {exc}",
        )
    cov = fit.cov
    if robust:
        cov = cluster_robust_cov(
            sub.x, sub.y - sub.x @ fit.beta, sub.t, sub.animals, fit.w2, fit.psi, fit.c, cr_type
        )
    rate_se = tuple(float(v) for v in np.sqrt(np.diag(cov)))
    notes = []
    if not fit.converged:
        notes.append("the refit did not converge")
    if fit.boundary:
        notes.append("the refit's random-slope variance is (near) zero")
    alpha = 1 - conf_level
    if method == "RA":
        delta, ratio = _ra_draws(fit.beta, cov, day, nsim, seed)
        sd = float(np.std(delta, ddof=1))
        q_lo, q_hi = np.quantile(delta, [alpha / 2, 1 - alpha / 2])
        r_lo, r_hi = np.quantile(ratio, [alpha / 2, 1 - alpha / 2])
        med = float(np.median(delta))
        p_delta, p_ratio = _two_sided(delta, 0.0), _two_sided(ratio, 1.0)
        values = (
            med, sd, float(np.median(ratio)), float(r_lo), float(r_hi), p_ratio,
            -med / sd, float(-q_hi / sd), float(-q_lo / sd), p_delta,
        )  # fmt: skip
    else:
        est = float(contrast @ fit.beta)
        se = float(math.sqrt(contrast @ cov @ contrast))
        z = float(stats.norm.ppf(1 - alpha / 2))
        lo, hi = est - z * se, est + z * se
        p = float(2 * stats.norm.sf(abs(est / se)))
        values = (
            est, se, math.exp(est * day), math.exp(lo * day), math.exp(hi * day), p,
            -est / se, -hi / se, -lo / se, p,
        )  # fmt: skip
    return SynergyTimePoint(
        day,
        len(sub.y),
        *values,
        None,
        None,
        rates=tuple(float(b) for b in fit.beta),
        rate_se=rate_se,
        slope_sd_relative=math.sqrt(fit.psi),
        residual_sd=math.sqrt(fit.sigma2),
        converged=fit.converged,
        boundary=fit.boundary,
        note="; ".join(notes),
    )


def _adjust(points: list[SynergyTimePoint], padj: str) -> list[SynergyTimePoint]:
    from dataclasses import replace

    from statsmodels.stats.multitest import multipletests

    name = PADJ_METHODS[padj]
    if name is None:
        return points
    idx = [k for k, pt in enumerate(points) if pt.p is not None and pt.p_ci is not None]
    if not idx:
        return points
    p_ss = multipletests([points[k].p for k in idx], method=name)[1]
    p_ci = multipletests([points[k].p_ci for k in idx], method=name)[1]
    out = list(points)
    for k, a, b in zip(idx, p_ss, p_ci, strict=True):
        out[k] = replace(out[k], p_adjusted=float(a), p_ci_adjusted=float(b))
    return out


def _wald(est: float, se: float, conf_level: float) -> tuple[float, float, float]:
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    return est - z * se, est + z * se, float(2 * stats.norm.sf(abs(est / se)))


def invivo_synergy(
    frame: pd.DataFrame,
    *,
    control: str,
    drug_a: str,
    drug_b: str,
    combination: str,
    method: SynergyMethod = "Bliss",
    value: str = "volume_mm3",
    unit: str = "mm3",
    variance: Variance = "constant",
    robust: bool = False,
    cr_type: CRType = "CR2",
    min_day: float = 0.0,
    conf_level: float = 0.95,
    padj: str = "none",
    nsim: int = 1000,
    seed: int | None = 123,
    day_start: float | None = None,
    day_end: float | None = None,
    min_observations: int = 1,
    source: str = "",
    row_base: int = 2,
) -> InvivoSynergyResult:
    """SynergyLMM's ``lmmModel`` then ``lmmSynergy`` on the tidy table ``frame``
    (``animal_id, group, day, <value>``): time-resolved combination index and synergy score
    by ``method`` ("Bliss", "HSA" or "RA"), with the study summary (module docstring).
    ``min_day`` is in days since baseline."""
    return invivo_synergies(
        frame,
        methods=(method,),
        control=control,
        drug_a=drug_a,
        drug_b=drug_b,
        combination=combination,
        value=value,
        unit=unit,
        variance=variance,
        robust=robust,
        cr_type=cr_type,
        min_day=min_day,
        conf_level=conf_level,
        padj=padj,
        nsim=nsim,
        seed=seed,
        day_start=day_start,
        day_end=day_end,
        min_observations=min_observations,
        source=source,
        row_base=row_base,
    )[0]


def invivo_synergies(
    frame: pd.DataFrame,
    *,
    control: str,
    drug_a: str,
    drug_b: str,
    combination: str,
    methods: Sequence[SynergyMethod] = ("Bliss", "HSA"),
    value: str = "volume_mm3",
    unit: str = "mm3",
    variance: Variance = "constant",
    robust: bool = False,
    cr_type: CRType = "CR2",
    min_day: float = 0.0,
    conf_level: float = 0.95,
    padj: str = "none",
    nsim: int = 1000,
    seed: int | None = 123,
    day_start: float | None = None,
    day_end: float | None = None,
    min_observations: int = 1,
    source: str = "",
    row_base: int = 2,
) -> tuple[InvivoSynergyResult, ...]:
    """:func:`invivo_synergy` by each of ``methods``, in that order: the same results, from one
    model fit and one refit per day, which do not depend on the method (Bliss and HSA differ
    only in the contrast of the refit's rates)."""
    _check_options(variance, cr_type, conf_level, min_observations)
    for method in methods:
        if method not in ("Bliss", "HSA", "RA"):
            raise InputError(f"must be Bliss, HSA or RA; got {quote(method)}", field="method")
    if padj not in PADJ_METHODS:
        raise InputError(
            f"must be one of {', '.join(PADJ_METHODS)}; got {quote(padj)}", field="padj"
        )
    if "RA" in methods and nsim < 100:
        raise InputError(f"must be at least 100 draws; got {nsim!r}", field="nsim")
    roles = dict(zip(ROLES, (control, drug_a, drug_b, combination), strict=True))
    d, full, growth, robust_cov = _prepared_fit(
        frame, roles, value=value, day_start=day_start, day_end=day_end,
        min_observations=min_observations, source=source, row_base=row_base,
        variance=variance, cr_type=cr_type, unit=unit,
    )  # fmt: skip
    days = sorted(float(v) for v in np.unique(d.t) if v >= min_day)
    if not days:
        raise InputError(
            f"no day on or after {min_day:g} days since baseline; the last is {d.t.max():g}",
            field="min_day",
        )
    refits: dict[float, _Fit] = {}
    return tuple(
        _method_result(
            d,
            full,
            growth,
            robust_cov,
            method,
            days,
            refits,
            variance=variance,
            robust=robust,
            cr_type=cr_type,
            conf_level=conf_level,
            padj=padj,
            nsim=nsim,
            seed=seed,
            min_day=min_day,
        )
        for method in methods
    )


def _method_result(
    d: _Design,
    full: _Fit,
    growth: ExponentialGrowthFit,
    robust_cov: Array,
    method: SynergyMethod,
    days: list[float],
    refits: dict[float, _Fit],
    *,
    variance: Variance,
    robust: bool,
    cr_type: CRType,
    conf_level: float,
    padj: str,
    nsim: int,
    seed: int | None,
    min_day: float,
) -> InvivoSynergyResult:
    """The synergy by ``method`` from the prepared data ``d``, its model fit ``full`` and the
    per-day ``refits`` (filled as they are made)."""
    hsa_reference = None
    contrast = np.array([1.0, -1.0, -1.0, 1.0])
    if method == "HSA":
        lower = 1 if full.beta[1] <= full.beta[2] else 2
        hsa_reference = d.groups[lower]
        contrast = np.zeros(4)
        contrast[3], contrast[lower] = 1.0, -1.0
    points = [
        _synergy_point(
            d,
            day,
            variance,
            method,
            contrast,
            robust=robust,
            cr_type=cr_type,
            conf_level=conf_level,
            nsim=nsim,
            seed=seed,
            refits=refits,
        )
        for day in days
    ]
    points = _adjust(points, padj)
    cov = robust_cov if robust else full.cov
    last = float(d.t.max())
    reductions = []
    for k in (1, 2, 3):
        c = np.zeros(4)
        c[k], c[0] = 1.0, -1.0
        est = float(c @ full.beta)
        se = float(math.sqrt(c @ cov @ c))
        lo, hi, p = _wald(est, se, conf_level)
        reductions.append(
            BurdenReduction(
                d.groups[k],
                last,
                100 * -math.expm1(est * last),
                100 * -math.expm1(hi * last),
                100 * -math.expm1(lo * last),
                p,
            )
        )
    versus = []
    for k in (1, 2):
        c = np.zeros(4)
        c[3], c[k] = 1.0, -1.0
        est = float(c @ full.beta)
        se = float(math.sqrt(c @ cov @ c))
        lo, hi, p = _wald(est, se, conf_level)
        versus.append(
            CombinationVsMonotherapy(
                d.groups[k],
                last,
                est,
                se,
                lo,
                hi,
                p,
                math.exp(est * last),
                math.exp(lo * last),
                math.exp(hi * last),
            )
        )
    flags = list(growth.flags)
    failed = [pt.day for pt in points if pt.note]
    if failed:
        flags.append(
            "refits to flag on day(s) " + ", ".join(f"{v:g}" for v in failed) + " (see notes)"
        )
    return InvivoSynergyResult(
        method=method,
        robust=robust,
        cr_type=cr_type,
        conf_level=conf_level,
        padj=padj,
        fit=growth,
        points=tuple(points),
        reductions=tuple(reductions),
        versus_monotherapy=tuple(versus),
        hsa_reference=hsa_reference,
        min_day=min_day,
        nsim=nsim if method == "RA" else 0,
        seed=seed if method == "RA" else None,
        flags=tuple(flags),
    )
