"""R nlme's estimator: the Lindstrom-Bates alternating algorithm (Pinheiro & Bates 2000, ch. 7).

Two steps alternate until the fixed effects and the variance parameters stop changing:

* **LME step**: linearise the model around the current fixed effects ``beta`` and random
  effects ``b``: ``w = y - f(beta, b) + X beta + Z b`` with ``X = df/dbeta``, ``Z = df/db``,
  and maximise the (ML or REML) log-likelihood of the linear mixed model ``w = X beta + Z b +
  e`` over the relative covariance ``Psi = Omega / sigma^2`` (profiled over beta and sigma);
* **PNLS step**: with ``Psi`` fixed, minimise the penalised sum of squares
  ``sum_i |y_i - f(beta, b_i)|^2 + b_i^T Psi^-1 b_i`` over beta and all ``b_i`` at once
  (Gauss-Newton with step halving; each step solves the mixed-model equations).

The linear mixed model is written as in lme4 (``Psi = Lambda Lambda^T``, ``b = Lambda u``), so
that with ``M_i = I + Lambda^T Z_i^T Z_i Lambda``::

    -2 l_ML   = N (1 + log(2 pi PRSS / N)) + sum_i log det M_i
    -2 l_REML = (N - p) (1 + log(2 pi PRSS / (N - p))) + sum_i log det M_i + log det S

``PRSS`` the penalised residual sum of squares at the conditional estimates and ``S`` the
Schur complement of the fixed effects (``X^T V^-1 X`` up to sigma^2). All subjects' small
systems are solved at once (batched Cholesky over the stacked per-subject cross products,
``np.add.reduceat``). The result: beta and b from the last PNLS step, sigma, Omega and the
log-likelihood from the linear mixed model at the final linearisation, fixed-effect SEs
``PRSS / (N - p) S^-1`` (nlme's ``varFix``, the REML-type sigma also under ML) and the variance parameters' covariance from the Hessian
of the profiled log-likelihood in (log SDs, log sigma) (nlme's ``apVar``).

The ML estimates agree with R nlme 3.1 (``method = "ML"``) to about 1e-4 on Theoph and Indometh
(``tests/fit/test_nlme_lb.py``). REML is the textbook one (the LME step maximises the REML
criterion). R nlme's REML differs: its PNLS step (``nlme.c``, ``nlme_increment``) re-fits
the precision factor by *ML* (EM + quasi-Newton, ``RML = 0``) at every Gauss-Newton step, so
its REML variance parameters are the ML ones with sigma rescaled by ``sqrt(N / (N - p))`` (on
Theoph: sd(lKa) 0.6510 = 0.6436 x 1.0116, fixed effects identical to ML).

Only the additive error is supported here (nlme's default, no ``weights``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_triangular
from scipy.optimize import minimize

from cxcr4lab.core.errors import FitError
from cxcr4lab.fit.nlme_infer import build_result, covariance_from_hessian, numerical_hessian
from cxcr4lab.fit.nlme_model import NlmeData, NlmeModel, ParameterLayout, check_start
from cxcr4lab.fit.nlme_result import NlmeResult

__all__ = ["fit_lb"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class _Cross:
    """The linearised model of one iteration and its per-subject cross products."""

    X: Array  # (n, p)
    Z: Array  # (n, q)
    w: Array  # (n,)
    ZtZ: Array  # (m, q, q)
    ZtX: Array  # (m, q, p)
    Ztw: Array  # (m, q)
    XtX: Array
    Xtw: Array


@dataclass(frozen=True)
class _Lme:
    beta: Array
    u: Array  # (m, q) spherical random effects, b = Lambda u
    prss: float
    logdet_m: float
    logdet_s: float
    s: Array


def _cross(X: Array, Z: Array, w: Array, starts: NDArray[np.intp]) -> _Cross:
    return _Cross(
        X=X,
        Z=Z,
        w=w,
        ZtZ=np.add.reduceat(Z[:, :, None] * Z[:, None, :], starts, axis=0),
        ZtX=np.add.reduceat(Z[:, :, None] * X[:, None, :], starts, axis=0),
        Ztw=np.add.reduceat(Z * w[:, None], starts, axis=0),
        XtX=X.T @ X,
        Xtw=X.T @ w,
    )


def _lme(c: _Cross, lam: Array, sub: NDArray[np.intp]) -> _Lme:
    """Conditional estimates and the pieces of the likelihood for ``Psi = lam lam^T``."""
    q = lam.shape[0]
    t_x = np.einsum("qa,mqp->map", lam, c.ZtX)
    t_w = np.einsum("qa,mq->ma", lam, c.Ztw)
    a = np.einsum("qa,mqr,rb->mab", lam, c.ZtZ, lam) + np.eye(q)
    chol = np.linalg.cholesky(a)
    logdet_m = 2.0 * float(np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2))))
    rhs = np.concatenate([t_x, t_w[:, :, None]], axis=2)
    sol = np.linalg.solve(a, rhs)
    ainv_tx, ainv_tw = sol[:, :, :-1], sol[:, :, -1]
    s_mat = c.XtX - np.einsum("map,maq->pq", t_x, ainv_tx)
    s_vec = c.Xtw - np.einsum("map,ma->p", t_x, ainv_tw)
    s_mat = 0.5 * (s_mat + s_mat.T)
    try:
        beta = np.linalg.solve(s_mat, s_vec)
    except np.linalg.LinAlgError:  # fixed effects not identifiable: the minimum-norm solution
        beta = np.linalg.lstsq(s_mat, s_vec, rcond=None)[0]
    u = ainv_tw - np.einsum("maq,q->ma", ainv_tx, beta)
    zl = c.Z @ lam
    r = c.w - c.X @ beta - np.einsum("nq,nq->n", zl, u[sub])
    prss = float(r @ r + np.sum(u * u))
    sign, logdet_s = np.linalg.slogdet(s_mat)
    return _Lme(beta, u, prss, logdet_m, float(logdet_s) if sign > 0 else math.inf, s_mat)


def _m2ll(fit: _Lme, n: int, p: int, reml: bool) -> float:
    """-2 log-likelihood profiled over beta and sigma."""
    if not (fit.prss > 0 and math.isfinite(fit.logdet_s)):
        return math.inf
    if reml:
        d = n - p
        return d * (1.0 + math.log(2.0 * math.pi * fit.prss / d)) + fit.logdet_m + fit.logdet_s
    return n * (1.0 + math.log(2.0 * math.pi * fit.prss / n)) + fit.logdet_m


class _Lb:
    def __init__(self, model: NlmeModel, data: NlmeData, reml: bool) -> None:
        self.model = model
        self.layout = ParameterLayout.of(model)
        self.sub = data.subject
        self.starts = data.starts
        self.y = data.y
        self.x = data.columns(model.structural.x_names)
        self.z = data.z_matrix
        self.occ = data.occasions
        self.m = data.n_subjects
        self.n = data.n_obs
        self.p = self.layout.p
        self.reml = reml
        self.evaluations = 0

    def predict(self, beta: Array, eta: Array) -> Array:
        theta = np.repeat(beta[None, :], self.m, axis=0)
        po = self.model.individual.at_observations(theta, eta, self.z, self.sub, self.occ)
        self.evaluations += 1
        return self.model.structural.predict(po, self.x)

    def linearise(self, beta: Array, eta: Array) -> tuple[Array, Array, Array]:
        """f, X = df/dbeta (n, p), Z = df/deta (n, q) at (beta, eta)."""
        ind, st = self.model.individual, self.model.structural
        theta = np.repeat(beta[None, :], self.m, axis=0)
        z, sub, occ = self.z, self.sub, self.occ
        po = ind.at_observations(theta, eta, z, sub, occ)
        f = st.predict(po, self.x)
        fj = st.jacobian(po, self.x)
        self.evaluations += 1
        X = np.einsum("nk,nkp->np", fj, ind.jac_theta_at_observations(theta, eta, z, sub, occ))
        Z = np.einsum("nk,nkq->nq", fj, ind.jac_eta_at_observations(theta, eta, z, sub, occ))
        return f, X, Z

    def cross_at(self, beta: Array, eta: Array) -> _Cross:
        f, X, Z = self.linearise(beta, eta)
        w = self.y - f + X @ beta + np.einsum("nq,nq->n", Z, eta[self.sub])
        return _cross(X, Z, w, self.starts)

    # -- LME step ------------------------------------------------------------------------------
    def lam(self, params: Array) -> Array:
        lam: Array = self.layout.omega_factor(params[None, :])[0]
        return lam

    def lme_objective(self, params: Array, c: _Cross) -> float:
        if not np.all(np.isfinite(params)) or np.max(np.abs(params)) > 50:
            return math.inf
        try:
            fit = _lme(c, self.lam(params), self.sub)
        except np.linalg.LinAlgError:
            return math.inf
        return _m2ll(fit, self.n, self.p, self.reml)

    def lme_step(self, params: Array, c: _Cross) -> Array:
        def grad(v: Array, _: _Cross) -> Array:
            g = np.empty_like(v)
            for k in range(len(v)):
                h = 1e-6 * max(1.0, abs(v[k]))
                up, down = v.copy(), v.copy()
                up[k] += h
                down[k] -= h
                g[k] = (self.lme_objective(up, c) - self.lme_objective(down, c)) / (2 * h)
            return g

        res = minimize(
            self.lme_objective, params, args=(c,), jac=grad, method="BFGS",
            options={"gtol": 1e-9, "maxiter": 500},
        )  # fmt: skip
        best: Array = res.x
        return best

    # -- PNLS step -----------------------------------------------------------------------------
    def pnls_objective(self, beta: Array, u: Array, lam: Array) -> float:
        with np.errstate(all="ignore"):
            f = self.predict(beta, u @ lam.T)
        r = self.y - f
        val = float(r @ r + np.sum(u * u))
        return val if math.isfinite(val) else math.inf

    def pnls(
        self, beta: Array, u: Array, lam: Array, tol: float = 1e-10, max_iter: int = 100
    ) -> tuple[Array, Array]:
        q = lam.shape[0]
        obj = self.pnls_objective(beta, u, lam)
        for _ in range(max_iter):
            eta = u @ lam.T
            f, X, Z = self.linearise(beta, eta)
            zl = Z @ lam
            w = self.y - f + X @ beta + np.einsum("nq,nq->n", zl, u[self.sub])
            step = _lme(_cross(X, zl, w, self.starts), np.eye(q), self.sub)
            d_beta, d_u = step.beta - beta, step.u - u
            t = 1.0
            while t > 1e-10:
                nb, nu = beta + t * d_beta, u + t * d_u
                new = self.pnls_objective(nb, nu, lam)
                if new <= obj:
                    break
                t /= 2.0
            else:
                break
            small = np.max(np.abs(t * d_beta) / np.maximum(np.abs(beta), 1.0)) < tol and (
                np.max(np.abs(t * d_u)) < tol
            )
            beta, u, obj = nb, nu, new
            if small:
                break
        return beta, u

    def initial_params(self, c: _Cross) -> Array:
        """nlme's start for the precision factor: Delta_kk = 0.375 sqrt(mean_i (Z_i^T Z_i)_kk)."""
        zz = np.mean(np.diagonal(c.ZtZ, axis1=1, axis2=2), axis=0)
        sd = 1.0 / (0.375 * np.sqrt(np.maximum(zz, 1e-12)))
        return self.layout.omega_params(np.diag(sd))


def _var_m2ll(lb: _Lb, c: _Cross, vx: Array) -> Array:
    """-2 log L (profiled over beta only) at rows of [Omega params | log sigma], (K,)."""
    out = np.empty(vx.shape[0])
    nq = lb.layout.n_omega
    d = lb.n - lb.p if lb.reml else lb.n
    for k, row in enumerate(vx):
        sigma = math.exp(row[nq])
        lam = lb.layout.omega_factor(row[None, :nq])[0] / sigma
        try:
            fit = _lme(c, lam, lb.sub)
        except np.linalg.LinAlgError:
            out[k] = math.nan
            continue
        val = d * math.log(2 * math.pi * sigma**2) + fit.logdet_m + fit.prss / sigma**2
        out[k] = val + (fit.logdet_s if lb.reml else 0.0)
    return out


def fit_lb(
    model: NlmeModel,
    data: NlmeData,
    *,
    reml: bool = False,
    max_iter: int = 200,
    tol: float = 1e-9,
    level: float = 0.95,
) -> NlmeResult:
    """Fit ``model`` to ``data`` by R nlme's Lindstrom-Bates algorithm (ML or REML)."""
    if model.error.kind != "additive":
        raise FitError("the Lindstrom-Bates (nlme) method supports the additive error only")
    if data.censored.any():
        raise FitError(
            "the Lindstrom-Bates (nlme) method has no censored (BLQ, M3) likelihood; "
            "use foce-i, laplace or saem"
        )
    if len(ParameterLayout.of(model).sd_groups) != len(model.individual.eta_names):
        raise FitError(
            "the Lindstrom-Bates (nlme) method needs one SD per random effect "
            "(no between-occasion variability); use foce-i, laplace or saem"
        )
    check_start(model, data)
    lb = _Lb(model, data, reml)
    layout = lb.layout
    beta = model.theta_start_estimation.copy()
    eta = np.zeros((lb.m, layout.q))
    c = lb.cross_at(beta, eta)
    params = (
        layout.omega_params(np.diag(model.omega_start))
        if model.omega_start is not None
        else lb.initial_params(c)
    )
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):
        new_params = lb.lme_step(params, c)
        lam = lb.lam(new_params)
        u = solve_triangular(lam, eta.T, lower=True).T
        new_beta, u = lb.pnls(beta, u, lam)
        new_eta = u @ lam.T
        change = max(
            float(np.max(np.abs(new_beta - beta) / np.maximum(np.abs(beta), 1e-3))),
            float(np.max(np.abs(new_params - params))),
        )
        beta, eta, params = new_beta, new_eta, new_params
        c = lb.cross_at(beta, eta)
        if change < tol and iterations > 1:
            converged = True
            break
    params = lb.lme_step(params, c)
    lam = lb.lam(params)
    fit = _lme(c, lam, lb.sub)
    d = lb.n - lb.p if reml else lb.n
    sigma = math.sqrt(fit.prss / d)
    m2ll = _m2ll(fit, lb.n, lb.p, reml)
    lower_omega = sigma * lam
    x = np.concatenate([beta, layout.omega_params(lower_omega), [math.log(sigma)]])
    # covariance: nlme's varFix for beta (with PRSS / (N - p) also under ML, as nlme's
    # summary() and intervals() use), the profiled likelihood's Hessian for the rest
    cov_beta = covariance_from_hessian(fit.s, fit.prss / (lb.n - lb.p))
    vx = x[layout.p :]
    h = numerical_hessian(lambda pts: _var_m2ll(lb, c, pts), vx, 1e-4 * np.maximum(np.abs(vx), 1.0))
    cov_var = covariance_from_hessian(h)
    cov: Array | None = None
    if cov_var is not None and cov_beta is not None:
        cov = np.zeros((layout.size, layout.size))
        cov[: layout.p, : layout.p] = cov_beta
        cov[layout.p :, layout.p :] = cov_var
    return build_result(
        method="lb-reml" if reml else "lb-ml",
        model_name=model.structural.name,
        layout=layout,
        x=x,
        ofv=m2ll,
        subject_ids=data.subject_ids,
        n_obs=data.n_obs,
        ebe=eta,
        cov=cov,
        covariance_method="nlme",
        converged=converged,
        message="converged" if converged else f"no convergence in {max_iter} iterations",
        iterations=iterations,
        n_evaluations=lb.evaluations,
        level=level,
    )
