"""Diagnostics of population fits: CWRES, pd / NPDE, the VPC, censored data and bad input.

References: on a linear Gaussian mixed model the marginal law of each subject's vector is
exact, N(X beta, Z Omega Z^T + s^2 I), so CWRES (Hooker et al. 2007) must equal the
standardised marginal residuals computed here with numpy alone, and pd / NPDE (Brendel et al.
2006, the R package npde) and the VPC statistics must converge to the same law. On a
simulated one-compartment population, fitted by FOCE-I, the diagnostics of the true model
must look N(0, 1) and those of a wrong model must not.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import ndtr

from cxcr4lab.core.errors import InputError
from cxcr4lab.fit.nlme import (
    ONE_CMT_ORAL,
    NlmeData,
    NlmeResult,
    ParameterLayout,
    StructuralModel,
    fit_nlme,
    nlme_model,
    predict_observations,
)
from cxcr4lab.fit.nlme_diagnostics import (
    NlmeDiagnostics,
    diagnose,
    nlme_diagnostics,
    simulate_observations,
)
from cxcr4lab.fit.nlme_vpc import VpcResult, default_edges, vpc

DATA = Path(__file__).resolve().parents[1] / "data" / "nlme"

# --- a linear Gaussian mixed model: y = b0 + b1 t + eta0 + eta1 t + eps -------------------------

LINE = StructuralModel("line", ("b0", "b1"), ("time",), lambda p, x: p[:, 0] + p[:, 1] * x[:, 0])
LIN_MODEL = nlme_model(LINE, {"b0": 10.0, "b1": -1.0}, ["b0", "b1"], omega="block")
LIN_TIMES = np.array([0.0, 1.0, 2.0, 4.0, 8.0])
BETA = np.array([10.0, -1.0])
L_OMEGA = np.array([[1.5, 0.0], [-0.05, 0.2]])
OMEGA = L_OMEGA @ L_OMEGA.T
SIGMA = 0.7
# x = [b0, b1, log sd(b0), log sd(b1), chol(b1,b0), log sigma_add]
LIN_X = np.array([*BETA, np.log(1.5), np.log(0.2), -0.05, np.log(SIGMA)])


def linear_data(m: int, seed: int, lloq: float | None = None) -> NlmeData:
    """m subjects at LIN_TIMES drawn from the exact model (numpy only); y < lloq censored."""
    rng = np.random.default_rng(seed)
    z = np.column_stack([np.ones_like(LIN_TIMES), LIN_TIMES])
    eta = rng.standard_normal((m, 2)) @ L_OMEGA.T
    y = (z @ BETA)[None, :] + eta @ z.T + SIGMA * rng.standard_normal((m, len(LIN_TIMES)))
    sub = np.repeat(np.arange(m), len(LIN_TIMES))
    cens = None
    if lloq is not None:
        cens = (y.ravel() < lloq).astype(np.int8)
        y = np.where(y < lloq, lloq, y)
    return NlmeData.from_arrays(sub, y.ravel(), {"time": np.tile(LIN_TIMES, m)}, cens=cens)


def exact_marginal() -> tuple[np.ndarray, np.ndarray]:
    """Mean X beta (n,) and covariance Z Omega Z^T + s^2 I (n, n) of one subject's vector."""
    z = np.column_stack([np.ones_like(LIN_TIMES), LIN_TIMES])
    return z @ BETA, z @ OMEGA @ z.T + SIGMA**2 * np.eye(len(LIN_TIMES))


def standardised(y: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """chol(Cov)^-1 (y - X beta) per subject (rows of y), over the columns ``keep``."""
    mean, cov = exact_marginal()
    out = np.full(y.shape, np.nan)
    for i, row in enumerate(y):
        k = np.ones(len(row), bool) if keep is None else keep[i]
        low = np.linalg.cholesky(cov[np.ix_(k, k)])
        out[i, k] = np.linalg.solve(low, row[k] - mean[k])
    return out


def test_layout_of_the_linear_model() -> None:
    assert ParameterLayout.of(LIN_MODEL).names == (
        "b0", "b1", "log sd(b0)", "log sd(b1)", "chol(b1,b0)", "log(sigma_add)",
    )  # fmt: skip
    _, lower, a, _ = ParameterLayout.of(LIN_MODEL).unpack(LIN_X[None, :])
    np.testing.assert_allclose(lower[0] @ lower[0].T, OMEGA)
    assert a[0] == pytest.approx(SIGMA)


def test_cwres_equals_exact_standardised_marginal_residuals() -> None:
    """For a model linear in eta, the linearisation at any eta* is exact: CWRES must equal
    chol(Z Omega Z^T + s^2 I)^-1 (y - X beta) to 1e-8 whatever EBEs are given."""
    data = linear_data(40, seed=11)
    exact = standardised(data.y.reshape(40, -1)).ravel()
    rng = np.random.default_rng(0)
    for ebe in (np.zeros((40, 2)), rng.normal(0.0, [1.5, 0.2], (40, 2))):
        d = nlme_diagnostics(LIN_MODEL, data, LIN_X, ebe, n_rep=10, seed=1)
        np.testing.assert_allclose(d.cwres, exact, rtol=0, atol=1e-8)
        mean, _ = exact_marginal()
        np.testing.assert_allclose(d.pred, np.tile(mean, 40), atol=1e-12)
        ipred = np.tile(mean, 40) + ebe[:, 0].repeat(5) + ebe[:, 1].repeat(5) * data.x[:, 0]
        np.testing.assert_allclose(d.ipred, ipred, atol=1e-12)
        np.testing.assert_allclose(d.res, data.y - np.tile(mean, 40), atol=1e-12)
        np.testing.assert_allclose(d.iwres, (data.y - ipred) / SIGMA, atol=1e-12)


def test_simulations_have_the_exact_moments() -> None:
    """4000 replicates: the mean and covariance of a subject's simulated vector are X beta and
    Z Omega Z^T + s^2 I within 5 Monte-Carlo SEs (SE of a covariance element:
    sqrt((S_jj S_kk + S_jk^2) / K)); same seed, same draws."""
    data = linear_data(3, seed=1)
    k = 4000
    sims = simulate_observations(LIN_MODEL, data, LIN_X, n_rep=k, seed=5)
    assert sims.shape == (k, data.n_obs)
    np.testing.assert_array_equal(sims, simulate_observations(LIN_MODEL, data, LIN_X, k, seed=5))
    mean, cov = exact_marginal()
    for i in range(3):
        s = sims[:, 5 * i : 5 * i + 5]
        se_mean = np.sqrt(np.diag(cov) / k)
        assert np.all(np.abs(s.mean(axis=0) - mean) < 5 * se_mean)
        se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / k)
        assert np.all(np.abs(np.cov(s, rowvar=False) - cov) < 5 * se_cov)
    # subjects are independent
    assert abs(np.corrcoef(sims[:, 0], sims[:, 5])[0, 1]) < 5 / np.sqrt(k)


def test_pd_and_npde_converge_to_the_exact_law() -> None:
    """K = 4000. pd_ij -> Phi((y_ij - mu_j) / sd_j) (marginal CDF) within 5 binomial SEs
    sqrt(p (1 - p) / K); pde_ij -> Phi(u_ij) with u the exact decorrelated residual, within 5
    SEs of sqrt(p (1 - p) / K) (counting) + phi(u) sqrt((1 + u^2) / K) (the empirical mean and
    Cholesky factor); so NPDE -> Phi^-1(Phi(u)) = u (correlation > 0.998)."""
    k = 4000
    data = linear_data(40, seed=12)
    d = nlme_diagnostics(LIN_MODEL, data, LIN_X, np.zeros((40, 2)), n_rep=k, seed=2)
    mean, cov = exact_marginal()
    p_marg = ndtr((data.y - np.tile(mean, 40)) / np.tile(np.sqrt(np.diag(cov)), 40))
    tol_pd = 5 * np.sqrt(p_marg * (1 - p_marg) / k) + 0.5 / k
    assert np.all(np.abs(np.array(d.pd) - p_marg) <= tol_pd)
    u = standardised(data.y.reshape(40, -1)).ravel()
    p = ndtr(u)
    npde = np.array(d.npde)
    se = (np.sqrt(p * (1 - p)) + stats.norm.pdf(u) * np.sqrt(1 + u**2)) / np.sqrt(k)
    assert np.all(np.abs(ndtr(npde) - p) <= 5 * se)
    assert np.corrcoef(npde, u)[0, 1] > 0.998
    assert np.all(np.abs(npde) <= stats.norm.ppf(1 - 0.5 / k) + 1e-12)


def test_pd_and_pde_of_0_or_1_become_half_a_step() -> None:
    """An observation far above (below) every simulation has pd = pde = 1 - 1/(2K) (1/(2K)),
    the npde package's rule with ties (K = 200)."""
    data = linear_data(5, seed=16)
    y = data.y.copy()
    y[7], y[16] = 100.0, -100.0
    far = NlmeData.from_arrays(data.subject, y, {"time": data.x[:, 0]})
    d = nlme_diagnostics(LIN_MODEL, far, LIN_X, np.zeros((5, 2)), n_rep=200, seed=1)
    assert d.pd[7] == 1 - 1 / 400 and d.pd[16] == 1 / 400
    assert d.npde[7] == pytest.approx(stats.norm.ppf(1 - 1 / 400), rel=1e-12)
    assert d.npde[16] == pytest.approx(stats.norm.ppf(1 / 400), rel=1e-12)
    assert min(d.pd) > 0 and max(d.pd) < 1


def sample_quantile_law(
    mean: float, sd: float, n: int, q: float, draws: int = 20000
) -> tuple[float, float, float]:
    """Median and 2.5 / 97.5 % of the type-7 sample q-quantile of n iid N(mean, sd^2)."""
    rng = np.random.default_rng(99)
    sq = np.quantile(rng.normal(mean, sd, (draws, n)), q, axis=1)
    lo, med, hi = np.quantile(sq, [0.025, 0.5, 0.975])
    return float(med), float(lo), float(hi)


def test_vpc_linear_against_the_exact_marginal_law() -> None:
    """One bin per sampling time, each holding one observation of each of 40 independent
    subjects, so each simulated percentile is a sample quantile of 40 iid draws from the exact
    marginal N(mu_t, sd_t^2): its median and 95% interval over 400 replicates must match those
    of that law (drawn directly, 20000 times), within 0.1 sd_t (median) and 0.25 sd_t (limits:
    Monte-Carlo SE of a 2.5% quantile of 400 draws ~ 0.05 sd_t). The observed percentiles are
    numpy's type-7 quantiles of the bin."""
    data = linear_data(40, seed=13)
    v = vpc(LIN_MODEL, data, LIN_X, n_rep=400, prediction_corrected=False, seed=3)
    assert isinstance(v, VpcResult)
    np.testing.assert_allclose(v.edges, [0.0, 0.5, 1.5, 3.0, 6.0, 8.0])
    assert v.n_obs == (40,) * 5 and v.n_outside == 0 and v.blq_observed == ()
    mean, cov = exact_marginal()
    sd = np.sqrt(np.diag(cov))
    y = data.y.reshape(40, -1)
    for b in range(5):
        np.testing.assert_allclose(v.observed[b], np.quantile(y[:, b], v.quantiles))
        for j, q in enumerate(v.quantiles):
            med, lo, hi = sample_quantile_law(mean[b], sd[b], 40, q)
            assert abs(v.sim_median[b][j] - med) < 0.1 * sd[b], (b, q)
            assert abs(v.sim_lower[b][j] - lo) < 0.25 * sd[b], (b, q)
            assert abs(v.sim_upper[b][j] - hi) < 0.25 * sd[b], (b, q)
    assert v.inside().mean() >= 0.8


def test_prediction_correction_is_bergstrand() -> None:
    """pcY = Y * PRED_bin / PRED with PRED_bin the median PRED of the bin, for observed and
    simulated values (two bins of two or three sampling times each)."""
    data = linear_data(30, seed=14)
    edges = [0.0, 1.5, 8.0]
    v = vpc(LIN_MODEL, data, LIN_X, n_rep=50, bins=edges, quantiles=(0.1, 0.5, 0.9), seed=4)
    pred = np.tile(exact_marginal()[0], 30)
    t = data.x[:, 0]
    for b, sel in enumerate([t < 1.5, t >= 1.5]):
        pc = data.y[sel] * np.median(pred[sel]) / pred[sel]
        np.testing.assert_allclose(v.observed[b], np.quantile(pc, (0.1, 0.5, 0.9)), rtol=1e-12)
    plain = vpc(LIN_MODEL, data, LIN_X, n_rep=50, bins=edges, prediction_corrected=False, seed=4)
    assert plain.observed != v.observed
    assert v.frame.columns.tolist()[:9] == [
        "lower", "upper", "time_median", "n_obs", "n_blq",
        "obs_p10", "sim_p10_median", "sim_p10_lower", "sim_p10_upper",
    ]  # fmt: skip


def test_default_bins_never_empty() -> None:
    rng = np.random.default_rng(0)
    t = np.concatenate([np.zeros(30), rng.exponential(5.0, 200)])
    edges = default_edges(t)
    assert 6 <= len(edges) - 1 <= 10 and np.all(np.diff(edges) > 0)
    counts = np.histogram(t, edges)[0]
    assert counts.min() > 0 and counts.sum() == t.size
    np.testing.assert_allclose(default_edges([1.0, 1.0, 3.0, 2.0]), [1.0, 1.5, 2.5, 3.0])
    assert len(default_edges(t, 4)) == 5


# --- censored observations (M3) -----------------------------------------------------------------

LLOQ = 3.0


def test_censored_linear_npde_and_vpc_blq() -> None:
    """LLOQ 3 (about 15% censored, 69% at t = 8). At the true parameters: CWRES NaN where
    censored and, elsewhere, the exact standardised residuals of the uncensored part of each
    subject's vector; NPDE (imputed as Nguyen et al. 2012) finite and N(0, 1) (mean within
    3 SE, variance within 0.25 = 3 SE, Shapiro-Wilk p > 0.01; leaving out the imputation of
    the observed or of the simulated BLQ values fails the mean or the variance). The observed
    BLQ fraction is the censored count of each bin; each replicate's simulated fraction is
    Binomial(60, P(Y < LLOQ)) / 60 under the exact law, so the simulated median and 95%
    limits must be that law's within 1.5 steps of 1/60 (over 40 seeds: at most 1 step)."""
    m = 60
    data = linear_data(m, seed=15, lloq=LLOQ)
    cens = data.censored.astype(bool)
    assert 0.1 < cens.mean() < 0.25
    d = nlme_diagnostics(LIN_MODEL, data, LIN_X, np.zeros((m, 2)), n_rep=1000, seed=6)
    cw = np.array(d.cwres)
    assert np.all(np.isnan(cw[cens])) and np.all(np.isfinite(cw[~cens]))
    keep = ~cens.reshape(m, -1)
    exact = standardised(data.y.reshape(m, -1), keep).ravel()
    np.testing.assert_allclose(cw[~cens], exact[~cens], atol=1e-8)
    assert np.all(np.isnan(np.array(d.res)[cens])) and np.all(np.isnan(np.array(d.iwres)[cens]))
    npde = np.array(d.npde)
    assert np.all(np.isfinite(npde)) and np.all(np.isfinite(d.pd))
    assert abs(npde.mean()) < 3 * npde.std(ddof=1) / np.sqrt(npde.size)
    assert abs(npde.var(ddof=1) - 1) < 0.25
    assert stats.shapiro(npde).pvalue > 0.01
    summary = d.summary()
    assert summary.loc["cwres", "n"] == (~cens).sum() and summary.loc["npde", "n"] == cens.size

    v = vpc(LIN_MODEL, data, LIN_X, n_rep=400, prediction_corrected=False, seed=7)
    n_cens = cens.reshape(m, -1).sum(axis=0)
    assert v.n_blq == tuple(int(c) for c in n_cens)
    np.testing.assert_allclose(v.blq_observed, n_cens / m)
    mean, cov = exact_marginal()
    p_blq = ndtr((LLOQ - mean) / np.sqrt(np.diag(cov)))
    for got, prob in ((v.blq_sim_median, 0.5), (v.blq_sim_lower, 0.025), (v.blq_sim_upper, 0.975)):
        ref = stats.binom.ppf(prob, m, p_blq) / m
        assert np.all(np.abs(np.array(got) - ref) <= 1.5 / m), (prob, got, ref)
    # censored values are left out of the observed percentiles
    y = data.y.reshape(m, -1)
    np.testing.assert_allclose(v.observed[4], np.quantile(y[keep[:, 4], 4], v.quantiles))
    assert {"blq_obs", "blq_sim_median", "blq_sim_lower", "blq_sim_upper"} <= set(v.frame)


# --- a simulated one-compartment population, fitted by FOCE-I -----------------------------------

TRUTH = {"lKe": -2.3, "lKa": 0.4, "lCl": -3.2, "sd_ka": 0.4, "sd_cl": 0.25, "add": 0.2, "prop": 0.1}
TIMES = np.array([0.25, 0.5, 1.0, 2.0, 3.5, 5.0, 7.0, 9.0, 12.0, 24.0])
POP_MODEL = nlme_model(
    ONE_CMT_ORAL, {"lKe": -2.0, "lKa": 0.0, "lCl": -3.0}, ["lKa", "lCl"], error="combined"
)


def population(seed: int, n: int = 60, lloq: float | None = None) -> NlmeData:
    """n subjects, 4 mg/kg orally, 10 samples each, log-normal BSV on Ka and CL, combined
    error (simulated); y < lloq censored."""
    rng = np.random.default_rng(seed)
    eta = rng.normal(0.0, [TRUTH["sd_ka"], TRUTH["sd_cl"]], size=(n, 2))
    t = np.tile(TIMES, n)
    sub = np.repeat(np.arange(n), len(TIMES))
    phi = np.column_stack(
        [np.full(n, TRUTH["lKe"]), TRUTH["lKa"] + eta[:, 0], TRUTH["lCl"] + eta[:, 1]]
    )[sub]
    dose = np.full(len(t), 4.0)
    f = ONE_CMT_ORAL.predict(phi, np.column_stack([dose, t]))
    y = f + np.sqrt(TRUTH["add"] ** 2 + (TRUTH["prop"] * f) ** 2) * rng.normal(size=len(t))
    cens = None if lloq is None else (y < lloq).astype(np.int8)
    if lloq is not None:
        y = np.maximum(y, lloq)
    return NlmeData.from_arrays(sub + 1, y, {"dose": dose, "time": t}, cens=cens)


@pytest.fixture(scope="module")
def pop() -> tuple[NlmeData, NlmeResult]:
    data = population(seed=2)
    return data, fit_nlme(POP_MODEL, data, method="foce-i")


def test_true_model_diagnostics_look_standard_normal(pop: tuple[NlmeData, NlmeResult]) -> None:
    """600 observations: for CWRES and NPDE (K = 500) the mean is within 3 SE of 0, the
    variance within 0.2 of 1, and neither the variance test nor Shapiro-Wilk rejects at 1%.
    Over seeds 1-12 of the simulation all of these held (NPDE variance 1.02 to 1.08: with
    K = 500 and 10 observations per subject the empirical decorrelation inflates it by about
    (K - 1) / (K - 12) ~ 1.02); the VPC observed percentiles were inside the 95% intervals
    in 97-100% of the (bin, quantile) cells."""
    data, fit = pop
    assert fit.converged
    d = diagnose(POP_MODEL, data, fit, n_rep=500, seed=1)
    s = d.summary()
    for name in ("cwres", "npde"):
        row = s.loc[name]
        assert row["n"] == 600
        assert abs(row["mean"]) < 3 * row["se_mean"], name
        assert abs(row["variance"] - 1) < 0.2, name
        assert row["variance_test_p"] > 0.01 and row["normality_p"] > 0.01, name
        assert row["normality_test"] == "shapiro-wilk"
        assert row["global_p"] == pytest.approx(
            min(1.0, 3 * min(row["t_test_p"], row["variance_test_p"], row["normality_p"]))
        )
    v = vpc(POP_MODEL, data, fit, n_rep=200, seed=1)
    assert v.n_bins == 10 and v.inside().mean() >= 0.8


def test_wrong_absorption_is_detected(pop: tuple[NlmeData, NlmeResult]) -> None:
    """Ka fixed at exp(3) = 20 /h (true 1.5 /h): the fit converges, but the NPDE mean is off
    by more than 4 SE (over seeds 1-12: 0.22 to 0.33, 5 to 8 SE), the global test rejects, and
    fewer than 60% of the VPC cells hold the observed percentile (36-47%; 97-100% for the
    true model)."""
    data, _ = pop
    fast = StructuralModel(
        "fast_absorption",
        ("lKe", "lCl"),
        ("dose", "time"),
        lambda p, x: ONE_CMT_ORAL.predict(
            np.column_stack([p[:, 0], np.full(len(p), 3.0), p[:, 1]]), x
        ),
    )
    model = nlme_model(fast, {"lKe": -2.0, "lCl": -3.0}, ["lCl"], error="combined")
    fit = fit_nlme(model, data, method="foce-i")
    s = diagnose(model, data, fit, n_rep=500, seed=1).summary()
    npde, cwres = s.loc["npde"], s.loc["cwres"]
    assert abs(npde["mean"]) > 4 * npde["se_mean"]
    assert npde["global_p"] < 1e-4 and cwres["global_p"] < 1e-4
    assert vpc(model, data, fit, n_rep=200, seed=1).inside().mean() < 0.6


def test_censored_fit_diagnostics() -> None:
    """LLOQ 1 mg/L: 32 of 600 concentrations censored, fitted by FOCE-I with M3: CWRES NaN
    exactly there, NPDE finite everywhere, the VPC BLQ fraction is the censored count."""
    data = population(seed=2, lloq=1.0)
    cens = data.censored.astype(bool)
    assert cens.sum() == 32
    fit = fit_nlme(POP_MODEL, data, method="foce-i")
    d = diagnose(POP_MODEL, data, fit, n_rep=300, seed=2)
    cw = np.array(d.cwres)
    assert np.array_equal(np.isnan(cw), cens)
    assert np.all(np.isfinite(d.npde)) and np.all(np.isfinite(d.pd))
    assert d.frame.loc[cens, "cens"].eq(1).all()
    v = vpc(POP_MODEL, data, fit, n_rep=100, seed=2)
    assert sum(v.n_blq) == 32
    np.testing.assert_allclose(np.array(v.blq_observed) * np.array(v.n_obs), v.n_blq)
    assert v.blq_observed[-1] == pytest.approx(32 / 60)


# --- Theoph --------------------------------------------------------------------------------------

THEOPH_MODEL = nlme_model(ONE_CMT_ORAL, {"lKe": -2.5, "lKa": 0.5, "lCl": -3.0}, ["lKa", "lCl"])


def test_theoph_diagnostics() -> None:
    df = pd.read_csv(DATA / "theoph.csv")
    data = NlmeData.from_frame(df, subject="Subject", y="conc", x={"dose": "Dose", "time": "Time"})
    fit = fit_nlme(THEOPH_MODEL, data, method="foce-i")
    d = diagnose(THEOPH_MODEL, data, fit, n_rep=200, seed=3)
    assert isinstance(d, NlmeDiagnostics) and d.n_obs == 132
    x = np.array(fit.estimation_values)
    ebe = np.array(fit.ebe)
    np.testing.assert_array_equal(
        d.pred, predict_observations(THEOPH_MODEL, data, x[:3], np.zeros((12, 2)))
    )
    np.testing.assert_array_equal(d.ipred, predict_observations(THEOPH_MODEL, data, x[:3], ebe))
    frame = d.frame
    assert frame.columns.tolist() == [
        "subject", "row", "dose", "time", "dv", "cens", "pred", "ipred", "res", "iwres",
        "cwres", "pd", "npde",
    ]  # fmt: skip
    assert frame.shape == (132, 13) and frame["subject"].nunique() == 12
    assert frame[["cwres", "npde", "pd", "iwres"]].notna().all().all()
    np.testing.assert_allclose(frame["time"], df["Time"])  # Theoph is sorted by subject
    assert d.summary().shape[0] == 2
    again = NlmeDiagnostics.from_dict(json.loads(json.dumps(d.to_dict())))
    assert again == d
    v = vpc(THEOPH_MODEL, data, fit, n_rep=100, seed=3)
    assert 6 <= v.n_bins <= 10 and sum(v.n_obs) == 132 and min(v.n_obs) > 0
    assert v.frame.shape[0] == v.n_bins
    assert VpcResult.from_dict(json.loads(json.dumps(v.to_dict()))).to_dict() == v.to_dict()


# --- bad input -----------------------------------------------------------------------------------


def _field(call: object) -> str | None:
    assert callable(call)
    with pytest.raises(InputError) as err:
        call()
    return err.value.place.field


def test_bad_input_names_the_field() -> None:
    data = linear_data(4, seed=1)
    ebe = np.zeros((4, 2))
    assert _field(lambda: simulate_observations(LIN_MODEL, data, LIN_X, n_rep=0)) == "n_rep"
    assert _field(lambda: nlme_diagnostics(LIN_MODEL, data, LIN_X, ebe, n_rep=-1)) == "n_rep"
    assert _field(lambda: vpc(LIN_MODEL, data, LIN_X, n_rep=0)) == "n_rep"
    assert _field(lambda: vpc(LIN_MODEL, data, LIN_X, n_rep=2.5)) == "n_rep"  # type: ignore[arg-type]
    for level in (0.0, 1.0, 1.5, -0.1):
        assert _field(lambda lv=level: vpc(LIN_MODEL, data, LIN_X, level=lv)) == "level"
    for bins in ([0.0, 2.0, 1.0], [0.0, 1.0, 1.0], [1.0], 0):
        assert _field(lambda b=bins: vpc(LIN_MODEL, data, LIN_X, bins=b)) == "bins"
    for qs in ((0.5, 1.0), (0.0,), (-0.1, 0.5), ()):
        assert _field(lambda q=qs: vpc(LIN_MODEL, data, LIN_X, quantiles=q)) == "quantiles"
    assert _field(lambda: vpc(LIN_MODEL, data, LIN_X, idv="dose")) == "idv"
    assert _field(lambda: simulate_observations(LIN_MODEL, data, LIN_X[:-1], 5)) == "x"
    assert _field(lambda: nlme_diagnostics(LIN_MODEL, data, LIN_X, ebe[:3])) == "ebe"
