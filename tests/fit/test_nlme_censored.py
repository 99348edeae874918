"""Censored observations (M3), between-occasion variability and covariate maps in the NLME engine.

* M3: the Laplacian objective of one subject with censored samples is checked against the
  marginal likelihood integrated numerically (scipy ``quad``), and the analytic derivatives of
  the censored term against differences; a simulated population with ~25 % of its samples
  below the limit is recovered within the CIs by the M3 fit.
* Between-occasion variability: a simulated population with two occasions per subject is
  recovered within the CIs; the SDs of the occasions are one shared parameter.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import norm

from cxcr4lab.fit.nlme import ONE_CMT_ORAL, FoceObjective, NlmeData, NlmeModel, fit_nlme
from cxcr4lab.fit.nlme_foce import _censored_terms
from cxcr4lab.fit.nlme_map import CovariateEffect, covariate_map
from cxcr4lab.fit.nlme_model import ErrorModel, ParameterLayout, StructuralModel

TIMES = np.array([0.25, 0.5, 1.0, 2.0, 3.5, 5.0, 7.0, 9.0, 12.0, 24.0])
TRUTH = {"lKe": -2.4, "lKa": 0.45, "lCl": -3.2}


def _linear() -> StructuralModel:
    return StructuralModel(
        name="line", phi_names=("a", "b"), x_names=("t",),
        f=lambda phi, x: phi[:, 0] + phi[:, 1] * x[:, 0],
    )  # fmt: skip


def test_censored_derivatives_match_differences() -> None:
    rng = np.random.default_rng(3)
    r, f = rng.normal(0, 2, 50), rng.uniform(0.5, 5, 50)
    a2, b2 = 0.3, 0.04

    def half(fv: np.ndarray, lloq: np.ndarray) -> np.ndarray:
        return -norm.logcdf((lloq - fv) / np.sqrt(a2 + b2 * fv * fv))

    lloq = f + r
    c1, w, c2 = _censored_terms(r, a2 + b2 * f * f, np.full(50, b2), f)
    h = 1e-5
    d1 = (half(f + h, lloq) - half(f - h, lloq)) / (2 * h)
    h2 = 1e-4  # second differences: rounding ~ eps / h2^2, truncation ~ h2^2
    d2 = (half(f + h2, lloq) - 2 * half(f, lloq) + half(f - h2, lloq)) / h2**2
    np.testing.assert_allclose(c1, d1, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(c2, d2, rtol=1e-4, atol=1e-5)
    assert np.all(w >= 0)


def test_laplace_m3_objective_equals_numerical_integration() -> None:
    """One subject, y = a + eta + b t with additive error, 8 observed and 4 censored samples:
    the Laplacian -2 log L against the integral over eta by quad (the posterior is nearly
    Gaussian, so Laplace's error is small: < 0.01 on the -2 log L scale here)."""
    t = np.arange(12, dtype=float)
    y = np.array([5.1, 4.6, 4.2, 3.4, 3.1, 2.4, 1.9, 1.6, 1.0, 1.0, 1.0, 1.0])
    cens = np.array([0] * 8 + [1] * 4, dtype=np.int8)
    data = NlmeData.from_arrays(np.zeros(12), y, {"t": t}, cens=cens)
    imap = covariate_map(("a", "b"), ("a",), transform="none")
    model = NlmeModel(
        _linear(), imap, (5.0, -0.45), ErrorModel("additive", 0.3), omega_start=(0.5,)
    )
    x = np.array([5.0, -0.45, math.log(0.5), math.log(0.3)])
    ofv = FoceObjective(model, data, laplace=True).ofv(x[None, :])[0]

    def integrand(eta: float) -> float:
        f = 5.0 + eta - 0.45 * t
        obs = norm.logpdf(y[:8], f[:8], 0.3).sum() + norm.logcdf((y[8:] - f[8:]) / 0.3).sum()
        return math.exp(obs + norm.logpdf(eta, 0, 0.5))

    exact = -2 * math.log(quad(integrand, -5, 5, epsabs=0, epsrel=1e-12, limit=200)[0])
    assert ofv == pytest.approx(exact, abs=0.01)
    # without the censored samples' likelihood (M1) the objective is different
    m1 = NlmeData.from_arrays(np.zeros(8), y[:8], {"t": t[:8]})
    assert abs(FoceObjective(model, m1, laplace=True).ofv(x[None, :])[0] - ofv) > 1.0


def _population(
    n: int, seed: int, *, lloq: float | None = None, bov_sd: float = 0.0
) -> tuple[NlmeData, np.ndarray]:
    """SSfol subjects (dose 4 at 0 h), random lKa and lCl (SD 0.4, 0.25), additive error 0.2;
    with ``bov_sd`` two occasions (each a new dose at its time 0) and an occasion eta on lCl."""
    rng = np.random.default_rng(seed)
    occasions = 2 if bov_sd else 1
    sub, tt, occ, yy = [], [], [], []
    for i in range(n):
        eta = rng.normal(0, [0.4, 0.25])
        for o in range(occasions):
            kappa = rng.normal(0, bov_sd) if bov_sd else 0.0
            phi = np.array([[TRUTH["lKe"], TRUTH["lKa"] + eta[0], TRUTH["lCl"] + eta[1] + kappa]])
            f = ONE_CMT_ORAL.predict(
                np.repeat(phi, len(TIMES), 0), np.column_stack([np.full(len(TIMES), 4.0), TIMES])
            )
            sub += [i] * len(TIMES)
            tt += list(TIMES)
            occ += [o] * len(TIMES)
            yy += list(f + rng.normal(0, 0.2, len(TIMES)))
    y = np.array(yy)
    cens = None
    if lloq is not None:
        cens = (y < lloq).astype(np.int8)
        y = np.where(cens == 1, lloq, y)
    data = NlmeData.from_arrays(
        np.array(sub), y, {"dose": np.full(len(y), 4.0), "time": np.array(tt)},
        cens=cens, occasion=np.array(occ) if bov_sd else None,
    )  # fmt: skip
    return data, y


def _model(bov: bool = False, n_occ: int = 1) -> NlmeModel:
    imap = covariate_map(
        ONE_CMT_ORAL.phi_names, ("lKa", "lCl"), transform="none",
        bov=("lCl",) if bov else (), n_occasions=n_occ,
    )  # fmt: skip
    return NlmeModel(
        ONE_CMT_ORAL, imap, (-2.5, 0.5, -3.0), ErrorModel("additive", 0.3),
        omega_start=(0.3,) * len(imap.eta_names),
    )  # fmt: skip


def test_m3_recovers_the_truth() -> None:
    data, _ = _population(40, seed=11, lloq=2.5)
    frac = float(np.mean(data.censored))
    assert 0.15 < frac < 0.35
    fit = fit_nlme(_model(), data, method="foce-i")
    assert fit.converged
    for name, value in TRUTH.items():
        lo, hi = fit.conf_int()[name]
        assert lo is not None and hi is not None and lo < value < hi, (name, lo, value, hi)
    lo, hi = fit.conf_int()["sigma_add"]
    assert lo is not None and hi is not None and lo < 0.2 < hi


def test_between_occasion_variability_is_recovered() -> None:
    data, _ = _population(30, seed=5, bov_sd=0.2)
    model = _model(bov=True, n_occ=2)
    layout = ParameterLayout.of(model)
    assert layout.sd_groups == ("sd(lKa)", "sd(lCl)", "bov sd(lCl)")
    assert model.individual.eta_names == ("lKa", "lCl", "lCl@occ1", "lCl@occ2")
    fit = fit_nlme(model, data, method="foce-i")
    assert fit.converged
    for name, value in {**TRUTH, "sd(lKa)": 0.4, "sd(lCl)": 0.25, "bov sd(lCl)": 0.2}.items():
        lo, hi = fit.conf_int()[name]
        assert lo is not None and hi is not None and lo < value < hi, (name, lo, value, hi)


def test_covariate_map_terms() -> None:
    z_names = ("WT", "SEX", "AGE")
    effects = [
        CovariateEffect("CL", "WT", "allometric", 70.0),
        CovariateEffect("V", "WT", "power", 70.0),
        CovariateEffect("CL", "SEX", "categorical", 1.0),
        CovariateEffect("V", "AGE", "linear", 40.0),
    ]
    imap = covariate_map(("CL", "V"), ("CL",), covariates=effects, z_names=z_names)
    assert imap.theta_names == ("CL", "V", "V~WT", "CL~SEX[1]", "V~AGE")
    theta = np.array([[math.log(5.0), math.log(50.0), 0.9, math.log(1.5), 0.01]])
    z = np.array([[140.0, 1.0, 50.0]])
    phi = imap.phi(theta, np.array([[0.1]]), z)[0]
    assert phi[0] == pytest.approx(5.0 * 2**0.75 * 1.5 * math.exp(0.1))
    assert phi[1] == pytest.approx(50.0 * 2**0.9 * math.exp(0.01 * 10))
    # analytic Jacobians equal differences
    h = 1e-6
    jt = imap.jac_theta(theta, np.array([[0.1]]), z)[0]
    for k in range(theta.shape[1]):
        up, down = theta.copy(), theta.copy()
        up[0, k] += h
        down[0, k] -= h
        d = (imap.phi(up, np.array([[0.1]]), z) - imap.phi(down, np.array([[0.1]]), z))[0] / (2 * h)
        np.testing.assert_allclose(jt[:, k], d, rtol=1e-6, atol=1e-9)
