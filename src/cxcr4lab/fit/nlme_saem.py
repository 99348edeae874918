"""SAEM (stochastic approximation EM) for NLME models, following saemix.

The algorithm is from Kuhn & Lavielle (2005, Comput Stat Data Anal 49:1020). Its kernels, step
sizes, annealing and importance-sampling likelihood follow saemix (Comets, Lavenu & Lavielle
2017, J Stat Softw 80(3)). The individual map must be mu-referenced (it has a
:class:`~cxcr4lab.fit.nlme_model.LinearPredictor`)::

    psi_i = X(z_i) theta + offset(z_i) + B eta_i  (+ between-occasion etas),   phi_i = h(psi_i)

**E-step.** Metropolis-Hastings on the etas of every subject and every chain at once. The chains
are stacked as extra subjects, so one proposal costs one call of the prediction over all
observations. The target is ``p(y_i | eta) p(eta)``. Each observation is Gaussian with variance
``V = a^2 + b^2 f^2``, except where ``data.cens == 1``: there the M3 term
``log Phi((LLOQ - f) / sqrt(V))`` is used instead. Each iteration runs each of saemix's three
kernels twice: (1) a draw from the prior N(0, Omega); (2) a random walk on one eta at a time;
(3) a random walk on blocks of etas, the block size cycling with the iteration through 2..q (at
q it moves the whole vector). There is one random-walk scale per eta and block size, starting at
0.5 SD(eta). After each iteration a kernel's scales are multiplied by
``1 + 0.4 (acceptance - 0.4)``, so the acceptance rate tends to 0.4.

**Stochastic approximation.** First come 5 iterations of the E-step alone. Then ``n_burn``
iterations use step ``gamma_k = 1`` (exploration), and ``n_iter_sa`` iterations use
``gamma_k = 1 / (k - n_burn)`` (smoothing). Between-occasion etas (after the first
``linear.q_bsv``) are sampled like the others.

**M-step** (the statistics S are the SA averages of the chains' means):

* thetas of the parameters that carry a between-subject eta (typical values and covariate
  coefficients): closed-form generalised least squares of the SA average of psi per subject on
  X(z), weighted by ``(B Omega B^T)^-1`` from the previous iteration;
* Omega: the SA average of ``psi psi^T`` (between-subject) and of ``kappa^2``
  (between-occasion), centred at the new means. The block is kept where ``model.omega`` is
  ``"block"``, only the diagonal otherwise. Etas that share an SD get the mean of their
  variances. Annealing (saemix): during the first ``n_burn // 2`` iterations a variance falls
  by at most 3% per iteration;
* residual error, additive with no censored observation: ``sigma^2 = S(RSS) / N``, the exact
  SA M-step (saemix's rule for the constant error);
* every other residual-error model, and the thetas of parameters without a between-subject
  eta (together ``v``; error SDs on the log scale): the maximiser of the SA-averaged
  complete-data log-likelihood ``Q_k = (1 - gamma_k) Q_{k-1} + gamma_k l_k``. Here ``l_k`` is
  the log-likelihood of y at the current chain states, averaged over the chains; it is exact,
  M3 terms included. ``Q_{k-1}`` is kept as its second-order expansion at its maximiser
  ``v_{k-1}``, with curvature ``A_{k-1}``, the SA average of the curvatures of the ``l_j`` at
  their maximisers. Each M-step therefore minimises ``(1 - gamma_k) (v - v_{k-1})^T A_{k-1}
  (v - v_{k-1}) / 2 - gamma_k l_k(v)`` with scipy's ``trust-exact`` (central-difference
  derivatives in one batched call). During exploration (``gamma = 1``) this is the maximiser
  of ``l_k``, as in saemix, and an error SD falls by at most 3% per iteration (saemix's
  annealing of the combined error). saemix itself averages the per-iteration maximisers
  instead. That is the same to first order, but it is biased for a weakly determined SD, whose
  maximisers scatter widely on the log scale.

After each M-step the chains' etas are shifted so that their psi stay where they were.

**After the SA.**

* 50 more E-step iterations are run at the estimate (scales frozen) to get each subject's
  conditional mean and variance of eta.
* The log-likelihood is estimated by importance sampling (saemix's ``llis``), with
  ``importance_samples`` draws per subject. The proposals are independent t (4 df) in each
  eta, centred at the conditional means and scaled by the conditional SDs. ``ofv`` is ``-2 log
  L`` with ``log(2 pi)`` for each uncensored observation, as FOCE-I's objective has it. Its
  Monte Carlo SE is given in the message.
* EBEs: the conditional modes found by
  :class:`~cxcr4lab.fit.nlme_foce.FoceObjective`'s inner step at the estimate, started at the
  conditional means.
* Standard errors: the R-matrix (``2 R^-1``) and the sandwich of the **FOCE-I objective at the
  SAEM estimate** (see :mod:`~cxcr4lab.fit.nlme_infer`). The S-matrix uses the subject
  gradients centred at their mean, because FOCE-I's gradient is not 0 away from its own
  minimum. saemix uses the linearised Fisher information; this is its analogue. Where
  FOCE-I's objective is not convex at the SAEM estimate (e.g. along a weakly determined error
  SD that SAEM puts far from FOCE-I's value), there are no SEs and the fit is flagged
  ``covariance_not_positive_definite``. The FOCE-I OFV at the estimate is given in the
  message.
* Convergence (Geweke-like): the means of the estimation vector over the third and the fourth
  quarter of the exploration are compared. The fit is flagged ``not_converged`` where, for
  some parameter, they differ by more than its SE (0.05 max(1, |x|) where there is no SE) and
  by more than 3 Monte Carlo SEs of the difference (batch means, 5 batches per quarter). It
  is also flagged where ``n_burn < 20`` (too short to check) or where the likelihood is not
  finite.

``n_evaluations`` counts the calls of the prediction made by SAEM itself (E-step, M-step,
importance sampling); each call covers all subjects and chains.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import gammaln, log_ndtr, logsumexp

from cxcr4lab.core.errors import FitError, InputError, quote
from cxcr4lab.fit.nlme_foce import FoceObjective
from cxcr4lab.fit.nlme_infer import (
    build_result,
    covariance_from_hessian,
    fd_steps,
    numerical_hessian,
    subject_gradients,
)
from cxcr4lab.fit.nlme_model import (
    LinearPredictor,
    NlmeData,
    NlmeModel,
    ParameterLayout,
    check_start,
)
from cxcr4lab.fit.nlme_result import NlmeResult

__all__ = ["fit_saem"]

Array = NDArray[np.float64]
IntArray = NDArray[np.intp]
CovarianceKind = Literal["sandwich", "r"]
Progress = Callable[[int, int], None]

_LOG_2PI = math.log(2.0 * math.pi)
_MCMC_ONLY = 5
"""E-step iterations before the first M-step (saemix's ``nbiter.burn``)."""
_SWEEPS = 2
"""Sweeps of each kernel per iteration (saemix's ``nbiter.mcmc = c(2, 2, 2)``)."""
_TARGET = 0.4
_RW_RATE = 0.4
_RW_INIT = 0.5
_ALPHA = 0.97
"""Annealing: a variance (Omega) or an error SD may fall by at most 3% per iteration."""
_NU = 4.0
"""Degrees of freedom of the importance-sampling proposals (saemix's ``nu.is``)."""
_MIN_CHAINS = 3
_MIN_SUBJECT_CHAINS = 100
"""Default number of chains: at least 3 and at least 100 subject-chains."""
_BATCHES = 5
"""Batches per quarter of the exploration for the Monte Carlo SE of its mean."""
_POST_ITER = 50
_IS_OBS_PER_CALL = 200_000
_HESS_STEP = 1e-3
_GRAD_STEP = 1e-4
_DRIFT_MIN_BURN = 20
_SIGNS = ((1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0))


# --- data and likelihood ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Stack:
    """The data repeated ``k`` times (chains or draws stacked as extra subjects)."""

    k: int
    sub: IntArray
    starts: IntArray
    y: Array
    x: Array
    z: Array
    occ: IntArray
    cens: NDArray[np.bool_]


class _Likelihood:
    """``-log p(y_i | eta)`` per stacked subject; counts the calls of the prediction."""

    def __init__(self, model: NlmeModel, data: NlmeData) -> None:
        self.model = model
        self.data = data
        self.x = data.columns(model.structural.x_names)
        self.has_cens = bool(data.censored.any())
        self.calls = 0
        self._stacks: dict[int, _Stack] = {}

    def stack(self, k: int) -> _Stack:
        s = self._stacks.get(k)
        if s is None:
            d = self.data
            offs = np.arange(k, dtype=np.intp)
            s = _Stack(
                k=k,
                sub=(d.subject[None, :] + d.n_subjects * offs[:, None]).ravel(),
                starts=(d.starts[None, :] + d.n_obs * offs[:, None]).ravel(),
                y=np.tile(d.y, k),
                x=np.tile(self.x, (k, 1)),
                z=np.tile(d.z_matrix, (k, 1)),
                occ=np.tile(d.occasions, k),
                cens=np.tile(d.censored.astype(bool), k),
            )
            if len(self._stacks) < 8:
                self._stacks[k] = s
        return s

    def predict(self, theta_rows: Array, eta: Array, s: _Stack) -> Array:
        """The prediction at every stacked observation; one row of theta and eta per subject."""
        self.calls += 1
        with np.errstate(all="ignore"):
            po = self.model.individual.at_observations(theta_rows, eta, s.z, s.sub, s.occ)
            return self.model.structural.predict(po, s.x)

    def nll(self, f: Array, s: _Stack, a2: Array | float, b2: Array | float) -> Array:
        """``-log p(y_i | eta)`` per stacked subject (inf where it is not finite)."""
        with np.errstate(all="ignore"):
            v = a2 + b2 * f * f
            r = s.y - f
            per = 0.5 * (np.log(v) + r * r / v + _LOG_2PI)
            if self.has_cens:
                c = s.cens
                per[c] = -log_ndtr(r[c] / np.sqrt(v[c]))
            out = np.add.reduceat(per, s.starts)
        result: Array = np.where(np.isfinite(out), out, np.inf)
        return result


def _half_quadratic(inv_lower: Array, eta: Array) -> Array:
    """``eta^T Omega^-1 eta / 2`` per row, with ``Omega = L L^T`` and ``inv_lower = L^-1``."""
    w = eta @ inv_lower.T
    out: Array = 0.5 * np.sum(w * w, axis=1)
    return out


def _inverse_lower(lower: Array) -> Array:
    """``L^-1`` (q x q is small; numpy's inverse is far cheaper to call than a solver)."""
    return np.asarray(np.linalg.inv(lower), dtype=float)


def _derivatives(fun: Callable[[Array], Array], v: Array) -> tuple[float, Array, Array]:
    """Value, gradient and Hessian of ``fun`` ((K, n) -> (K,)) at ``v`` by central differences
    (relative step 1e-4), all points in one call; inf and zeros where it is not finite."""
    n = len(v)
    h = fd_steps(v, 1e-4)
    eye = np.diag(h)
    pairs = [(i, j) for i in range(n) for j in range(i)]
    pts = [v[None, :], *(v + sgn * eye[i] for i in range(n) for sgn in (1.0, -1.0))]
    pts += [v + si * eye[i] + sj * eye[j] for i, j in pairs for si, sj in _SIGNS]
    vals = fun(np.vstack(pts))
    if not np.all(np.isfinite(vals)):
        big = 1e300 if math.isfinite(float(vals[0])) else math.inf
        return big, np.zeros(n), np.eye(n)
    f0 = float(vals[0])
    up, down = vals[1 : 1 + 2 * n : 2], vals[2 : 2 + 2 * n : 2]
    grad = (up - down) / (2.0 * h)
    hess = np.diag((up - 2.0 * f0 + down) / (h * h))
    base = 1 + 2 * n
    for c, (i, j) in enumerate(pairs):
        pp, pm, mp, mm = vals[base + 4 * c : base + 4 * c + 4]
        hess[i, j] = hess[j, i] = (pp - pm - mp + mm) / (4.0 * h[i] * h[j])
    return f0, grad, hess


# --- E-step -------------------------------------------------------------------------------------


class _Sampler:
    """saemix's three Metropolis-Hastings kernels, all subjects and chains at once."""

    def __init__(self, lik: _Likelihood, n_chains: int, sd0: Array, rng: np.random.Generator):
        self.lik = lik
        self.s = lik.stack(n_chains)
        self.rng = rng
        self.q = len(sd0)
        self.scales = np.tile((_RW_INIT * sd0)[:, None], (1, self.q))
        """Column ``j``: the scale of each eta in blocks of ``j + 1`` etas."""
        self.n_rows = n_chains * lik.data.n_subjects
        self.theta_rows = np.zeros((self.n_rows, 0))
        self.lower = np.eye(self.q)
        self.inv_lower = np.eye(self.q)
        self.a2 = 0.0
        self.b2 = 0.0

    def set(self, theta: Array, lower: Array, a: float, b: float) -> None:
        self.theta_rows = np.repeat(theta[None, :], self.n_rows, axis=0)
        self.lower = lower
        self.inv_lower = _inverse_lower(lower)
        self.a2, self.b2 = a * a, b * b

    def u_y(self, eta: Array) -> Array:
        return self.lik.nll(
            self.lik.predict(self.theta_rows, eta, self.s), self.s, self.a2, self.b2
        )

    def _accept(self, delta: Array) -> NDArray[np.bool_]:
        with np.errstate(invalid="ignore"):
            ok: NDArray[np.bool_] = delta < -np.log(self.rng.random(len(delta)))
        return ok

    def sweep(self, eta: Array, kiter: int, adapt: bool = True) -> Array:
        """One E-step: 2 sweeps of each kernel from ``eta`` (rows: chain-major subjects)."""
        q, rows, rng = self.q, self.n_rows, self.rng
        u_y = self.u_y(eta)
        for _ in range(_SWEEPS):  # kernel 1: the prior
            cand = rng.standard_normal((rows, q)) @ self.lower.T
            uc = self.u_y(cand)
            acc = self._accept(uc - u_y)
            eta = np.where(acc[:, None], cand, eta)
            u_y = np.where(acc, uc, u_y)
        u_e = _half_quadratic(self.inv_lower, eta)
        n_acc = np.zeros(q)
        n_try = np.zeros(q)
        for _ in range(_SWEEPS):  # kernel 2: one eta at a time
            for k in range(q):
                eta, u_y, u_e, n = self._walk(eta, u_y, u_e, np.array([k]), 0)
                n_acc[k] += n
                n_try[k] += rows
        if adapt:
            self.scales[:, 0] *= 1.0 + _RW_RATE * (n_acc / n_try - _TARGET)
        size = kiter % (q - 1) + 2 if q > 1 else 1
        n_acc[:] = 0.0
        n_try[:] = 0.0
        for _ in range(_SWEEPS):  # kernel 3: blocks of `size` etas
            if size < q:
                vk = np.concatenate(([0], rng.choice(np.arange(1, q), size - 1, replace=False)))
                blocks = [(j + vk) % q for j in range(q)]
            else:
                blocks = [np.arange(q)]
            for blk in blocks:
                eta, u_y, u_e, n = self._walk(eta, u_y, u_e, blk, size - 1)
                n_acc[blk] += n
                n_try[blk] += rows
        if adapt:
            self.scales[:, size - 1] *= 1.0 + _RW_RATE * (n_acc / n_try - _TARGET)
        return eta

    def _walk(
        self, eta: Array, u_y: Array, u_e: Array, blk: IntArray, col: int
    ) -> tuple[Array, Array, Array, int]:
        cand = eta.copy()
        cand[:, blk] += self.rng.standard_normal((len(eta), len(blk))) * self.scales[blk, col]
        uc, uec = self.u_y(cand), _half_quadratic(self.inv_lower, cand)
        with np.errstate(invalid="ignore"):
            acc = self._accept(uc - u_y + uec - u_e)
        return (
            np.where(acc[:, None], cand, eta),
            np.where(acc, uc, u_y),
            np.where(acc, uec, u_e),
            int(acc.sum()),
        )


# --- the mu-referenced structure ---------------------------------------------------------------


@dataclass(frozen=True)
class _Split:
    """Which thetas have the closed-form update and where the between-subject etas enter."""

    eta_theta: IntArray  # thetas of parameters with an eta (GLS)
    free_theta: IntArray  # the other thetas (numerical M-step)
    x_r: Array  # (m, |R|, p_e): X at the rows R that carry an eta, columns eta_theta
    off_r: Array  # (m, |R|)
    b_r: Array  # (|R|, q_bsv)
    b_inv: Array  # (q_bsv, |R|)
    q_bsv: int

    def mean(self, theta: Array) -> Array:
        """The mean of psi at the rows R (m, |R|)."""
        out: Array = np.einsum("mrp,p->mr", self.x_r, theta[self.eta_theta]) + self.off_r
        return out


def _split(model: NlmeModel, data: NlmeData, layout: ParameterLayout) -> _Split:
    linear = _linear(model)
    z = data.z_matrix
    design = np.asarray(linear.design(z), dtype=float)
    offset = np.asarray(linear.offset(z), dtype=float)
    b = np.asarray(linear.b, dtype=float)
    q_bsv = linear.q_bsv
    rows = np.flatnonzero(np.any(b != 0.0, axis=1))
    if len(rows) != q_bsv or abs(np.linalg.det(b[rows])) < 1e-12:
        raise FitError(
            "SAEM needs each between-subject eta on a parameter of its own "
            "(B restricted to the parameters with an eta must be invertible)"
        )
    other = np.setdiff1d(np.arange(b.shape[0]), rows)
    on_r = np.any(design[:, rows, :] != 0.0, axis=(0, 1))
    off_rows = np.any(design[:, other, :] != 0.0, axis=(0, 1))
    both = np.flatnonzero(on_r & off_rows)
    if both.size:
        raise FitError(
            f"theta {model.individual.theta_names[both[0]]!r} enters parameters with and "
            "without a between-subject eta, which SAEM's closed-form M-step cannot separate"
        )
    if layout.block:
        nb = layout.q if layout.n_block is None else layout.n_block
        if nb > q_bsv:
            raise FitError("SAEM correlates between-subject etas only (block beyond them)")
        counts = np.bincount(layout.sd_index, minlength=layout.n_sd)
        if np.any(counts[layout.sd_index[:nb]] > 1):
            raise FitError("SAEM cannot share an SD between correlated etas")
    eta_theta = np.flatnonzero(on_r)
    return _Split(
        eta_theta=eta_theta,
        free_theta=np.flatnonzero(~on_r),
        x_r=design[:, rows, :][:, :, eta_theta],
        off_r=offset[:, rows],
        b_r=b[rows],
        b_inv=np.linalg.inv(b[rows]),
        q_bsv=q_bsv,
    )


def _linear(model: NlmeModel) -> LinearPredictor:
    linear = model.individual.linear
    if linear is None:
        raise FitError(
            "SAEM needs a mu-referenced map (an individual map with a linear predictor, "
            "psi = X(z) theta + offset(z) + B eta); this model's individual map has none"
        )
    return linear


# --- the algorithm ------------------------------------------------------------------------------


def _count(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < minimum:
        raise InputError(f"must be an integer >= {minimum}, got {quote(value)}", field=name)
    return int(value)


def _cholesky(omega: Array) -> Array:
    """The lower Cholesky factor, with a little jitter if ``omega`` is (nearly) singular."""
    scale = float(np.max(np.diag(omega))) if omega.size else 1.0
    for jitter in (0.0, 1e-12, 1e-10, 1e-8, 1e-6):
        try:
            return np.asarray(
                np.linalg.cholesky(omega + jitter * scale * np.eye(len(omega))), dtype=float
            )
        except np.linalg.LinAlgError:
            continue
    return np.diag(np.sqrt(np.maximum(np.diag(omega), 1e-300)))


class _Saem:
    """The state of one SAEM run."""

    def __init__(
        self, model: NlmeModel, data: NlmeData, n_chains: int, rng: np.random.Generator
    ) -> None:
        self.model = model
        self.data = data
        self.layout = ParameterLayout.of(model)
        self.split = _split(model, data, self.layout)
        self.lik = _Likelihood(model, data)
        self.rng = rng
        self.m = data.n_subjects
        self.c = n_chains
        self.q = self.layout.q
        self.x = self.layout.start(model, data)
        _, lower, _, _ = self.layout.unpack(self.x[None, :])
        self.sampler = _Sampler(self.lik, n_chains, np.sqrt(np.sum(lower[0] ** 2, axis=1)), rng)
        self.eta = np.zeros((n_chains * self.m, self.q))
        self.closed_error = model.error.kind == "additive" and not self.lik.has_cens
        err = np.arange(self.layout.error_slice.start, self.layout.error_slice.stop)
        self.free = np.concatenate(
            [self.split.free_theta, np.array([], np.intp) if self.closed_error else err]
        ).astype(np.intp)
        n_r = self.split.b_r.shape[0]
        self.s1 = np.zeros((self.m, n_r))
        self.s2 = np.zeros((n_r, n_r))
        self.s_bov = np.zeros(self.q - self.split.q_bsv)
        self.s_rss = 0.0
        self._f_now = np.zeros(0)
        self.curv = np.zeros((len(self.free), len(self.free)))
        """Curvature of the SA-averaged -log-likelihood in the free parameters."""

    def params(self, x: Array) -> tuple[Array, Array, float, float]:
        theta, lower, a, b = self.layout.unpack(x[None, :])
        return theta[0], lower[0], float(a[0]), float(b[0])

    def e_step(self, kiter: int, adapt: bool = True) -> None:
        theta, lower, a, b = self.params(self.x)
        self.sampler.set(theta, lower, a, b)
        self.eta = self.sampler.sweep(self.eta, kiter, adapt)

    def iterate(self, gamma: float, anneal_omega: bool, anneal_error: bool) -> None:
        """Statistics of the current chains, their SA step, and the M-step."""
        sp, c, m = self.split, self.c, self.m
        theta, lower, _, _ = self.params(self.x)
        eta = self.eta.reshape(c, m, self.q)
        psi = sp.mean(theta)[None, :, :] + eta[:, :, : sp.q_bsv] @ sp.b_r.T  # (c, m, |R|)
        self.s1 += gamma * (psi.mean(axis=0) - self.s1)
        self.s2 += gamma * (np.einsum("cmr,cms->rs", psi, psi) / c - self.s2)
        kappa = eta[:, :, sp.q_bsv :]
        self.s_bov += gamma * (np.einsum("cmk,cmk->k", kappa, kappa) / c - self.s_bov)
        x_new = self.x.copy()
        if self.closed_error:
            f = self.lik.predict(self.sampler.theta_rows, self.eta, self.sampler.s)
            rss = float(np.sum((self.sampler.s.y - f) ** 2)) / c
            self.s_rss += gamma * (rss - self.s_rss)
        if self.free.size:
            v_old = self.x[self.free]
            if gamma >= 1.0:  # Q_k is this iteration's log-likelihood
                best, hess = self._maximise(None)
                self.curv = hess
            else:  # the past's quadratic model, weighted 1 - gamma, plus gamma this iteration's
                best, hess = self._maximise((1.0 - gamma) / gamma, self.curv, v_old)
                self.curv = (1.0 - gamma) * self.curv + gamma * hess
            if anneal_error and not self.closed_error:
                n_err = self.layout.n_error
                floor = v_old[-n_err:] + math.log(_ALPHA)
                best[-n_err:] = np.maximum(best[-n_err:], floor)
            x_new[self.free] = best
        if self.closed_error:
            sigma2 = max(self.s_rss / self.data.n_obs, 1e-300)
            x_new[self.layout.error_slice] = 0.5 * math.log(sigma2)
        # closed-form thetas (GLS) and Omega
        omega_old = lower @ lower.T
        gam = sp.b_r @ omega_old[: sp.q_bsv, : sp.q_bsv] @ sp.b_r.T
        gi = np.linalg.inv(gam)
        if sp.eta_theta.size:
            lhs = np.einsum("mrp,rs,msk->pk", sp.x_r, gi, sp.x_r)
            rhs = np.einsum("mrp,rs,ms->p", sp.x_r, gi, self.s1 - sp.off_r)
            x_new[sp.eta_theta] = np.linalg.lstsq(lhs, rhs, rcond=None)[0]
        mu = sp.mean(x_new[: self.layout.p])
        cr = (self.s2 - mu.T @ self.s1 - self.s1.T @ mu + mu.T @ mu) / m
        omega = np.zeros((self.q, self.q))
        omega[: sp.q_bsv, : sp.q_bsv] = sp.b_inv @ cr @ sp.b_inv.T
        omega[sp.q_bsv :, sp.q_bsv :] = np.diag(self.s_bov / m)
        omega = self._structure(omega, np.diag(omega_old) if anneal_omega else None)
        x_new[self.layout.omega_slice] = self.layout.omega_params(_cholesky(omega))
        # keep the chains' psi where they are
        shift = np.einsum("mrp,p->mr", sp.x_r, (self.x - x_new)[sp.eta_theta]) @ sp.b_inv.T
        self.eta[:, : sp.q_bsv] += np.tile(shift, (c, 1))
        self.x = x_new

    def _structure(self, omega: Array, old_diag: Array | None) -> Array:
        lay = self.layout
        omega = 0.5 * (omega + omega.T)
        mask = np.eye(self.q, dtype=bool)
        if lay.block:
            nb = self.q if lay.n_block is None else lay.n_block
            mask[:nb, :nb] = True
        omega = np.where(mask, omega, 0.0)
        d = np.diag(omega).copy()
        idx = lay.sd_index
        for g in range(lay.n_sd):
            d[idx == g] = np.mean(d[idx == g])
        if old_diag is not None:
            d = np.maximum(d, _ALPHA * old_diag)
        d = np.maximum(d, 1e-12 * max(float(np.max(d)), 1e-300))
        omega[np.arange(self.q), np.arange(self.q)] = d
        return omega

    def _complete_nll(self, xs: Array) -> Array:
        """``-log p(y | current chains)`` (mean over chains) at the vectors ``xs`` (K, P)."""
        k, c, m = xs.shape[0], self.c, self.m
        s = self.lik.stack(k * c)
        theta, _, a, b = self.layout.unpack(xs)
        n_rows = c * m
        if self.split.free_theta.size:
            f = self.lik.predict(np.repeat(theta, n_rows, axis=0), np.tile(self.eta, (k, 1)), s)
        else:
            f = np.tile(self._f_now, k)
        n = c * self.data.n_obs
        out = self.lik.nll(f, s, np.repeat(a * a, n), np.repeat(b * b, n))
        total: Array = np.sum(out.reshape(k, n_rows), axis=1) / c
        return total

    def _maximise(
        self, weight: float | None, curv: Array | None = None, centre: Array | None = None
    ) -> tuple[Array, Array]:
        """The minimiser of ``-log p(y | chains)`` over the free parameters, plus
        ``weight (v - centre)^T curv (v - centre) / 2`` when ``weight`` is given; and the
        Hessian of ``-log p(y | chains)`` there (eigenvalues clipped at 0)."""
        free, x0 = self.free, self.x.copy()
        if not self.split.free_theta.size:
            self._f_now = self.lik.predict(self.sampler.theta_rows, self.eta, self.sampler.s)
        v0 = x0[free]
        cache: dict[bytes, tuple[float, Array, Array]] = {}

        def batch(vs: Array) -> Array:
            pts = np.repeat(x0[None, :], len(vs), axis=0)
            pts[:, free] = vs
            return self._complete_nll(pts)

        def data_part(v: Array) -> tuple[float, Array, Array]:
            key = v.tobytes()
            if key not in cache:
                cache[key] = _derivatives(batch, v)
            return cache[key]

        def total(v: Array) -> tuple[float, Array, Array]:
            value, grad, hess = data_part(v)
            if weight is None or curv is None or centre is None:
                return value, grad, hess
            d = v - centre
            return (
                value + 0.5 * weight * float(d @ curv @ d),
                grad + weight * (curv @ d),
                hess + weight * curv,
            )

        first = total(v0)[0]
        best = v0
        if math.isfinite(first):
            res = minimize(
                lambda v: total(v)[:2],
                v0,
                jac=True,
                hess=lambda v: total(v)[2],
                method="trust-exact",
                options={"gtol": 1e-6, "maxiter": 100},
            )
            if math.isfinite(float(res.fun)) and float(res.fun) <= first:
                best = np.asarray(res.x, dtype=float)
        hess = data_part(best)[2]
        vals, vecs = np.linalg.eigh(0.5 * (hess + hess.T))
        return best, (vecs * np.maximum(vals, 0.0)) @ vecs.T

    def conditional_moments(self, n_iter: int, kiter: int) -> tuple[Array, Array]:
        """Mean and variance of each subject's eta (m, q) from ``n_iter`` more E-steps."""
        total = np.zeros((self.m, self.q))
        total2 = np.zeros((self.m, self.q))
        for it in range(n_iter):
            self.e_step(kiter + it, adapt=False)
            eta = self.eta.reshape(self.c, self.m, self.q)
            total += eta.sum(axis=0)
            total2 += (eta * eta).sum(axis=0)
        n = n_iter * self.c
        mean = total / n
        var = np.maximum(total2 / n - mean * mean, 0.0)
        return mean, var

    def importance_ll(self, mean: Array, var: Array, n_draw: int) -> tuple[Array, float]:
        """Each subject's log-likelihood by importance sampling, and the Monte Carlo SE of
        the total ``-2 log L``."""
        theta, lower, a, b = self.params(self.x)
        m, q, rng = self.m, self.q, self.rng
        sd_prior = np.sqrt(np.sum(lower**2, axis=1))
        sd = np.maximum(np.sqrt(var), 1e-3 * sd_prior[None, :])
        logdet = 2.0 * float(np.sum(np.log(np.diag(lower))))
        inv_lower = _inverse_lower(lower)
        t_const = gammaln((_NU + 1) / 2) - gammaln(_NU / 2) - 0.5 * math.log(_NU * math.pi)
        per_call = max(1, min(n_draw, _IS_OBS_PER_CALL // max(self.data.n_obs, 1)))
        lw = np.empty((n_draw, m))
        for start in range(0, n_draw, per_call):
            k = min(per_call, n_draw - start)
            r = rng.standard_t(_NU, size=(k, m, q))
            eta = mean[None, :, :] + sd[None, :, :] * r
            log_q = np.sum(t_const - 0.5 * (_NU + 1) * np.log1p(r * r / _NU), axis=2) - np.sum(
                np.log(sd), axis=1
            )
            flat = eta.reshape(k * m, q)
            log_prior = -(0.5 * (q * _LOG_2PI + logdet) + _half_quadratic(inv_lower, flat))
            s = self.lik.stack(k)
            f = self.lik.predict(np.repeat(theta[None, :], k * m, axis=0), flat, s)
            nll = self.lik.nll(f, s, a * a, b * b)
            lw[start : start + k] = (log_prior - nll).reshape(k, m) - log_q
        ll = np.asarray(logsumexp(lw, axis=0), dtype=float) - math.log(n_draw)
        with np.errstate(all="ignore"):
            w = np.exp(lw - np.max(lw, axis=0))
            rel_var = np.var(w, axis=0) / (n_draw * np.mean(w, axis=0) ** 2)
        se = 2.0 * math.sqrt(float(np.sum(rel_var))) if np.all(np.isfinite(rel_var)) else math.inf
        return ll, se


def _mc_variance(window: Array) -> Array:
    """Monte Carlo variance of the column means of ``window`` (batch means)."""
    batches = np.array_split(window, _BATCHES, axis=0)
    means = np.array([b.mean(axis=0) for b in batches if len(b)])
    if len(means) < 2:
        return np.full(window.shape[1], np.inf)
    out: Array = np.var(means, axis=0, ddof=1) / len(means)
    return out


def fit_saem(
    model: NlmeModel,
    data: NlmeData,
    *,
    n_burn: int = 300,
    n_iter_sa: int = 100,
    n_chains: int | None = None,
    seed: int = 0,
    covariance: CovarianceKind = "sandwich",
    level: float = 0.95,
    importance_samples: int = 5000,
    progress: Progress | None = None,
) -> NlmeResult:
    """Fit ``model`` to ``data`` by SAEM (see the module docstring).

    ``n_burn`` iterations with step 1 (exploration), then ``n_iter_sa`` with step
    ``1 / (k - n_burn)`` (smoothing); ``n_chains`` chains per subject (None: at least 3 and
    at least 100 subject-chains, more than saemix's default of 1, for a Monte Carlo error of
    the estimates well below their SEs); ``seed`` makes the run reproducible; ``importance_samples`` draws per
    subject for the log-likelihood. ``progress(iteration, total)`` is called after each
    iteration.
    """
    burn = _count(n_burn, "n_burn", 1)
    n_sa = _count(n_iter_sa, "n_iter_sa", 1)
    chains = (
        max(_MIN_CHAINS, math.ceil(_MIN_SUBJECT_CHAINS / data.n_subjects))
        if n_chains is None
        else _count(n_chains, "n_chains", 1)
    )
    n_draw = _count(importance_samples, "importance_samples", 10)
    seed_ = _count(seed, "seed", 0)
    if covariance not in ("sandwich", "r"):
        raise InputError(f"must be 'sandwich' or 'r', got {quote(covariance)}", field="covariance")
    if not 0.0 < level < 1.0:
        raise InputError(f"must be between 0 and 1, got {quote(level)}", field="level")
    _linear(model)
    check_start(model, data)
    rng = np.random.default_rng(seed_)
    run = _Saem(model, data, chains, rng)
    layout = run.layout
    x0 = run.x.copy()
    total = _MCMC_ONLY + burn + n_sa
    kiter = 0
    for _ in range(_MCMC_ONLY):
        kiter += 1
        run.e_step(kiter)
        if progress is not None:
            progress(kiter, total)
    trace = np.empty((burn + n_sa, layout.size))
    for k in range(1, burn + n_sa + 1):
        kiter += 1
        run.e_step(kiter)
        gamma = 1.0 if k <= burn else 1.0 / (k - burn)
        run.iterate(gamma, anneal_omega=k <= burn // 2, anneal_error=k <= burn)
        trace[k - 1] = run.x
        if progress is not None:
            progress(kiter, total)
    x = run.x.copy()
    # conditional moments, log-likelihood by importance sampling
    mean, var = run.conditional_moments(_POST_ITER, kiter + 1)
    ll_i, ll_se = run.importance_ll(mean, var, n_draw)
    ofv = -2.0 * float(np.sum(ll_i))
    # EBEs and the FOCE-I covariance at the estimate
    _, lower, _, _ = layout.unpack(x[None, :])
    obj = FoceObjective(model, data)
    obj.u_ref = mean @ _inverse_lower(lower[0]).T
    ofv_foce_i = obj.ofv_subjects(x[None, :])[0]
    if np.all(np.isfinite(ofv_foce_i)):
        obj.u_ref = obj.last_u[0].copy()
    ebe = obj.u_ref @ lower[0].T
    ofv_foce = float(np.sum(ofv_foce_i))
    r_mat = numerical_hessian(obj.ofv, x, fd_steps(x, _HESS_STEP))
    cov_r = covariance_from_hessian(r_mat, 2.0)
    cov_s: Array | None = None
    if cov_r is not None:
        g_i = subject_gradients(obj.ofv_subjects, x, fd_steps(x, _GRAD_STEP))
        g_c = g_i - g_i.mean(axis=0)
        r_inv = 0.5 * cov_r
        cov_s = r_inv @ (g_c.T @ g_c) @ r_inv
    cov = cov_s if covariance == "sandwich" else cov_r
    # convergence: the drift over the second half of the exploration (Geweke-like)
    notes: list[str] = []
    converged = bool(np.all(np.isfinite(x))) and math.isfinite(ofv)
    if not math.isfinite(ofv):
        notes.append("the importance-sampling likelihood is not finite")
    if burn < _DRIFT_MIN_BURN:
        converged = False
        notes.append(f"n_burn {burn} is too short to check convergence (< {_DRIFT_MIN_BURN})")
    else:
        q1, q2, q3 = burn // 2, (3 * burn) // 4, burn
        third, fourth = trace[q1:q2], trace[q2:q3]
        drift = np.abs(fourth.mean(axis=0) - third.mean(axis=0))
        noise = np.sqrt(_mc_variance(third) + _mc_variance(fourth))
        base = cov_r if cov_r is not None else cov
        se = np.sqrt(np.diag(base)) if base is not None else None
        if se is not None and np.all(np.isfinite(se)):
            bad = (drift > se) & (drift > 3.0 * noise)
        else:
            bad = (drift > 0.05 * np.maximum(1.0, np.abs(x))) & (drift > 3.0 * noise)
        if bad.any():
            converged = False
            names = [layout.names[i] for i in np.flatnonzero(bad)]
            notes.append(f"still drifting at the end of the exploration: {', '.join(names)}")
    sd_now = np.sqrt(np.sum(lower[0] ** 2, axis=1))[layout.sd_first]
    sd_start = np.exp(x0[layout.p : layout.p + layout.n_sd])
    flags: tuple[str, ...] = ("omega_near_zero",) if np.any(sd_now < 1e-3 * sd_start) else ()
    message = (
        f"SAEM: {_MCMC_ONLY} + {burn} + {n_sa} iterations, {chains} chain(s); -2 log L by "
        f"importance sampling ({n_draw} draws per subject, Monte Carlo SE {ll_se:.3g}); "
        f"FOCE-I OFV at the estimate {ofv_foce:.4f}"
    )
    if notes:
        message += "; " + "; ".join(notes)
    return build_result(
        method="saem",
        model_name=model.structural.name,
        layout=layout,
        x=x,
        ofv=ofv,
        subject_ids=data.subject_ids,
        n_obs=data.n_obs,
        ebe=ebe,
        cov=cov,
        covariance_method=covariance,
        converged=converged,
        message=message,
        iterations=total,
        n_evaluations=run.lik.calls,
        level=level,
        cov_r=cov_r,
        cov_sandwich=cov_s,
        extra_flags=flags,
    )
