"""FOCE with interaction (NONMEM's FOCE-I) and the Laplacian, vectorised across subjects.

The objective is ``OFV = -2 log L`` summed over subjects, with the constant ``N log(2 pi)``
included (so it compares with R's ``-2 logLik``; NONMEM prints it without: see
:attr:`~cxcr4lab.fit.nlme_result.NlmeResult.ofv_nonmem`). With ``Omega = L L^T`` and the
random effects written ``eta_i = L u_i``, subject i contributes::

    l_i(u)  = sum_j [log(2 pi V_ij) + (y_ij - f_ij)^2 / V_ij] + u^T u
    OFV_i   = l_i(u*) + log det H_i

where ``u*`` is the conditional mode (minimiser of ``l_i``: the empirical Bayes estimate) and
``H_i`` approximates half the Hessian of ``l_i`` at ``u*`` (Laplace's method). ``log det H_i``
in ``u`` already contains ``log det Omega`` (``det(Omega) det(Omega^-1 + A) = det(I + L^T A
L)``), so Omega is never inverted, and a variance that shrinks to 0 stays harmless.

* **FOCE-I**: ``H_i = I + L^T A_i L`` with the expected information
  ``A_i = sum_j g_j g_j^T / V_j + 1/2 (dV_j/deta)(dV_j/deta)^T / V_j^2`` (``g_j = df_j/deta``,
  V evaluated at eta*: the interaction). This is the form of Wang (2007, J Pharmacokinet
  Pharmacodyn 34:575) and of nlmixr2's FOCEi (Almquist et al. 2015); it is NONMEM's FOCE-I
  for an additive error, where the second term vanishes (not checked against NONMEM itself,
  which is not available here).
* **Laplacian**: ``H_i`` is the exact Hessian of ``l_i / 2`` at ``u*``: the FOCE-I terms with
  the exact derivative of the residual term, plus the residual times the second derivatives
  of f (central second differences of f, all subjects perturbed at once). Where it is not positive definite
  the FOCE-I matrix is used for that subject and the fit is flagged ``laplace_fallback``.

**Inner step** (conditional modes): Fisher scoring on ``l_i`` with the FOCE-I matrix and a
backtracking (Armijo) line search, done for all subjects at once: one call of the structural
model evaluates every observation of every subject, per-subject sums are ``np.add.reduceat``
over the stacked observations and the small (q x q) systems are solved as one batch. Several
parameter vectors are evaluated in one call too (the subjects of K vectors are stacked as K x m
subjects), so a central-difference gradient costs one batched call, not 2P calls; each call
starts from the modes at the current estimate. **Outer step**: scipy's BFGS on the
unconstrained vector of :class:`~cxcr4lab.fit.nlme_model.ParameterLayout` with that gradient;
a random-effect SD that ends below 1e-3 of its start value (a log-SD can drift to -inf on a
flat stretch far from the optimum) is reset to its start and BFGS run once more, keeping the
lower OFV; one still that small at the end is flagged ``omega_near_zero``.
**Covariance**: see :mod:`cxcr4lab.fit.nlme_infer` (R-matrix by central differences; the
sandwich ``R^-1 S R^-1``, NONMEM's default, is the reported one unless ``covariance="r"``).

Hand-written (see :mod:`cxcr4lab.fit.nlme_model` for the check of what exists on PyPI).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import log_ndtr

from cxcr4lab.fit.nlme_infer import (
    build_result,
    covariance_from_hessian,
    fd_steps,
    numerical_hessian,
    subject_gradients,
)
from cxcr4lab.fit.nlme_model import NlmeData, NlmeModel, ParameterLayout, check_start
from cxcr4lab.fit.nlme_result import NlmeResult

__all__ = ["FoceObjective", "fit_foce"]

Array = NDArray[np.float64]
CovarianceKind = Literal["sandwich", "r"]

_LOG_2PI = math.log(2.0 * math.pi)
_GRAD_STEP = 1e-5
"""Relative step of the outer central-difference gradient."""
_HESS_STEP = 1e-3
"""Relative step of the R-matrix (second differences)."""
_EXACT_STEP = 1e-3
"""Step (in the standardised u) of the second differences of f in the exact Hessian: rounding
noise ~ eps |f| / h^2 ~ 1e-10 |f|, truncation ~ h^2 ~ 1e-6 of the curvature term, and smooth."""
_NEWTON_FROM = 1e-2
"""Inner steps switch from Fisher scoring to Newton once a subject's last move is below this."""


@dataclass
class _State:
    """The subjects' inner problem at u: l_i, its half-gradient and the FOCE-I matrix."""

    obj: Array  # (M,)
    grad: Array | None  # (M, q)
    info: Array | None  # (M, q, q), I + L^T A L
    f: Array | None = None  # (N,) prediction
    g: Array | None = None  # (N, q) df/du


@dataclass(frozen=True)
class _Tile:
    sub: NDArray[np.intp]
    starts: NDArray[np.intp]
    y: Array
    x: Array
    z: Array
    occ: NDArray[np.intp]
    cens: NDArray[np.bool_]


class FoceObjective:
    """The batched FOCE-I / Laplace objective of one model and data set.

    :meth:`ofv_subjects` maps parameter vectors (K, P) to each subject's OFV (K, m); the
    conditional modes of the first vector are kept as the start of the next call.
    """

    def __init__(
        self,
        model: NlmeModel,
        data: NlmeData,
        *,
        laplace: bool = False,
        inner_tol: float = 1e-10,
        inner_max_iter: int = 200,
    ) -> None:
        self.model = model
        self.layout = ParameterLayout.of(model)
        self.laplace = laplace
        self.m = data.n_subjects
        self.n = data.n_obs
        self.q = self.layout.q
        self._base = _Tile(
            sub=data.subject,
            starts=data.starts,
            y=data.y,
            x=data.columns(model.structural.x_names),
            z=data.z_matrix,
            occ=data.occasions,
            cens=data.censored.astype(bool),
        )
        self.has_cens = bool(data.censored.any())
        self._tiles: dict[int, _Tile] = {1: self._base}
        self.u_ref = np.zeros((self.m, self.q))
        self.inner_tol = inner_tol
        self.inner_max_iter = inner_max_iter
        self.n_evaluations = 0
        self.inner_iterations = 0
        self.laplace_fallbacks = 0
        self.last_u: Array = self.u_ref

    def _tile(self, k: int) -> _Tile:
        t = self._tiles.get(k)
        if t is None:
            b = self._base
            offs = np.arange(k, dtype=np.intp)
            t = _Tile(
                sub=(b.sub[None, :] + self.m * offs[:, None]).ravel(),
                starts=(b.starts[None, :] + self.n * offs[:, None]).ravel(),
                y=np.tile(b.y, k),
                x=np.tile(b.x, (k, 1)),
                z=np.tile(b.z, (k, 1)),
                occ=np.tile(b.occ, k),
                cens=np.tile(b.cens, k),
            )
            if len(self._tiles) < 8:
                self._tiles[k] = t
        return t

    def _state(
        self,
        u: Array,
        t: _Tile,
        theta: Array,
        lower: Array,
        a2: Array,
        b2: Array,
        need: bool,
    ) -> _State:
        """l_i at u (M, q); with ``need`` also the half-gradient and the FOCE-I matrix."""
        ind, st = self.model.individual, self.model.structural
        eta = np.matmul(lower, u[:, :, None])[:, :, 0]
        with np.errstate(all="ignore"):
            po = ind.at_observations(theta, eta, t.z, t.sub, t.occ)
            if need:
                f, fj = st.predict_and_jacobian(po, t.x)
            else:
                f = st.predict(po, t.x)
            v = a2 + b2 * f * f
            r = t.y - f
            per_obs = np.log(v) + r * r / v + _LOG_2PI
            if self.has_cens:
                per_obs = np.where(t.cens, -2.0 * log_ndtr(r / np.sqrt(v)), per_obs)
            obj = np.add.reduceat(per_obs, t.starts) + np.sum(u * u, axis=1)
        obj = np.where(np.isfinite(obj), obj, np.inf)
        if not need:
            return _State(obj, None, None)
        with np.errstate(all="ignore"):
            dphi = np.matmul(
                ind.jac_eta_at_observations(theta, eta, t.z, t.sub, t.occ), lower[t.sub]
            )
            g = np.matmul(fj[:, None, :], dphi)[:, 0, :]  # df/du, (N, q)
            dv = 2.0 * b2 * f
            c1 = -r / v + 0.5 * dv * (1.0 / v - r * r / (v * v))
            w = 1.0 / v + 0.5 * dv * dv / (v * v)
            if self.has_cens:
                c1_c, w_c, _ = _censored_terms(r, v, b2, f)
                c1 = np.where(t.cens, c1_c, c1)
                w = np.where(t.cens, w_c, w)
            grad = np.add.reduceat(c1[:, None] * g, t.starts, axis=0) + u
            info = np.add.reduceat(
                w[:, None, None] * g[:, :, None] * g[:, None, :], t.starts, axis=0
            ) + np.eye(self.q)
        return _State(obj, grad, info, f, g)

    def _subset(self, t: _Tile, idx: NDArray[np.intp]) -> tuple[_Tile, NDArray[np.bool_]]:
        """The tile of the subjects ``idx`` (ascending) and the mask of their observations."""
        if len(idx) == len(t.starts):
            return t, np.ones(len(t.y), dtype=bool)
        keep = np.zeros(len(t.starts), dtype=bool)
        keep[idx] = True
        obs = keep[t.sub]
        sub = (np.cumsum(keep) - 1)[t.sub[obs]]
        counts = np.bincount(sub, minlength=len(idx))
        starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.intp)
        tile = _Tile(sub, starts, t.y[obs], t.x[obs], t.z[idx], t.occ[obs], t.cens[obs])
        return tile, obs

    def _predict(self, u: Array, t: _Tile, theta: Array, lower: Array) -> Array:
        eta = np.matmul(lower, u[:, :, None])[:, :, 0]
        with np.errstate(all="ignore"):
            po = self.model.individual.at_observations(theta, eta, t.z, t.sub, t.occ)
            return self.model.structural.predict(po, t.x)

    def _predict_shifted(
        self, u: Array, shifts: list[Array], t: _Tile, theta: Array, lower: Array
    ) -> Array:
        """Predictions (S, N) at ``u + shift`` for each of the S shifts, in one model call."""
        n_shift = len(shifts)
        us = u[None, :, :] + np.array(shifts)[:, None, :]
        eta = np.matmul(lower[None], us[..., None])[..., 0]
        ind = self.model.individual
        with np.errstate(all="ignore"):
            po = np.concatenate(
                [ind.at_observations(theta, eta[s], t.z, t.sub, t.occ) for s in range(n_shift)]
            )
            f = self.model.structural.predict(po, np.tile(t.x, (n_shift, 1)))
        return f.reshape(n_shift, len(t.y))

    def ofv_subjects(self, xs: Array) -> Array:
        """Each subject's OFV (K, m) at the parameter vectors ``xs`` (K, P); inf where the
        model cannot be evaluated."""
        xs = np.atleast_2d(np.asarray(xs, dtype=float))
        k, m, q = xs.shape[0], self.m, self.q
        self.n_evaluations += k
        t = self._tile(k)
        theta, lower, a, b = self.layout.unpack(xs)
        th = np.repeat(theta, m, axis=0)
        lo = np.repeat(lower, m, axis=0)
        a2 = np.repeat(a * a, self.n)
        b2 = np.repeat(b * b, self.n)
        u = np.tile(self.u_ref, (k, 1))
        if not np.all(np.isfinite(u)):
            u = np.zeros_like(u)
        s = self._state(u, t, th, lo, a2, b2, True)
        assert s.grad is not None and s.info is not None
        obj, grad, info = s.obj.copy(), s.grad.copy(), s.info.copy()
        assert s.f is not None and s.g is not None
        f_all, g_all = s.f.copy(), s.g.copy()  # kept for the exact Hessian at u
        done = ~np.isfinite(obj)
        moved = np.full(len(u), np.inf)
        for _ in range(self.inner_max_iter):
            act = np.flatnonzero(~done)  # only the subjects still moving are computed
            if act.size == 0:
                break
            self.inner_iterations += 1
            ts, om = self._subset(t, act)
            ua, tha, loa, a2a, b2a = u[act], th[act], lo[act], a2[om], b2[om]
            hess = info[act]
            near = moved[act] < _NEWTON_FROM
            if near.any():  # Newton with the exact Hessian: quadratic convergence at the end
                exact, pd = self._exact(ua, ts, tha, loa, a2a, b2a, (f_all[om], g_all[om]))
                hess = np.where((near & pd)[:, None, None], exact, hess)
            g_act, obj_act = grad[act], obj[act]
            step = -np.linalg.solve(hess, g_act[:, :, None])[:, :, 0]
            step = np.where(np.isfinite(step), step, 0.0)
            slope = np.sum(g_act * step, axis=1)
            alpha = np.ones(len(act))
            accepted = np.zeros(len(act), dtype=bool)
            new_u = ua.copy()
            noise = 1e-12 * (1.0 + np.abs(obj_act))  # changes below this are rounding
            for _half in range(40):
                trial = ua + alpha[:, None] * step
                obj_t = self._state(trial, ts, tha, loa, a2a, b2a, False).obj
                ok = ~accepted & (
                    (obj_t <= obj_act + 1e-4 * alpha * slope) | (np.abs(obj_t - obj_act) <= noise)
                )
                new_u[ok] = trial[ok]  # each subject keeps the step it accepted
                accepted |= ok
                if accepted.all():
                    break
                alpha = np.where(accepted, alpha, alpha / 2.0)
            mv = np.max(np.abs(alpha[:, None] * step), axis=1)
            moved[act] = mv
            u[act] = new_u
            done[act] = (mv < self.inner_tol) | ~accepted
            s = self._state(new_u, ts, tha, loa, a2a, b2a, True)
            assert s.grad is not None and s.info is not None
            obj[act], grad[act], info[act] = s.obj, s.grad, s.info
            assert s.f is not None and s.g is not None
            f_all[om], g_all[om] = s.f, s.g
        s = _State(obj, grad, info)
        if self.laplace:
            exact, pd = self._exact(u, t, th, lo, a2, b2, (f_all, g_all))
            self.laplace_fallbacks += int(np.sum(~pd))
            info = np.where(pd[:, None, None], exact, info)
        with np.errstate(all="ignore"):
            sign, logdet = np.linalg.slogdet(np.where(np.isfinite(info), info, 0.0))
        ofv = s.obj + np.where(sign > 0, logdet, np.inf)
        ofv = np.where(np.isfinite(ofv), ofv, np.inf)
        self.last_u = u.reshape(k, m, q)
        return ofv.reshape(k, m)

    def _exact(
        self,
        u: Array,
        t: _Tile,
        th: Array,
        lo: Array,
        a2: Array,
        b2: Array,
        fg: tuple[Array, Array],
    ) -> tuple[Array, NDArray[np.bool_]]:
        """Half the exact Hessian of l_i at u (M, q, q) and whether it is positive definite.

        With ``c(f)`` the derivative of one observation's ``l / 2`` in f, the Hessian is
        ``sum_j c'(f_j) g_j g_j^T + c(f_j) d2f_j/du2`` (+ I): ``c'`` analytic, ``g`` from the
        model's Jacobian, the second derivatives of f by central second differences of f
        itself (a smooth O(h^2) error; differences of a differenced Jacobian would be noisy).
        """
        q = self.q
        f, g = fg  # the prediction and df/du at u
        h = _EXACT_STEP
        with np.errstate(all="ignore"):
            v = a2 + b2 * f * f
            r = t.y - f
            dv, d2v = 2.0 * b2 * f, 2.0 * b2
            c1 = 0.5 * dv / v - r / v - 0.5 * r * r * dv / (v * v)
            c2 = (
                0.5 * d2v / v - 0.5 * dv * dv / (v * v) + 1.0 / v + 2.0 * r * dv / (v * v)
                - 0.5 * r * r * d2v / (v * v) + r * r * dv * dv / (v * v * v)
            )  # fmt: skip
            if self.has_cens:
                c1_c, _, c2_c = _censored_terms(r, v, b2, f)
                c1 = np.where(t.cens, c1_c, c1)
                c2 = np.where(t.cens, c2_c, c2)
            fuu = np.empty((len(f), q, q))
            e = np.eye(q) * h
            shifts = [e[k] * s for k in range(q) for s in (1.0, -1.0)]
            shifts += [
                e[k] * sk + e[j] * sj
                for k in range(q) for j in range(k)
                for sk, sj in ((1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0))
            ]  # fmt: skip
            fs = self._predict_shifted(u, shifts, t, th, lo)
            for k in range(q):
                fuu[:, k, k] = (fs[2 * k] - 2.0 * f + fs[2 * k + 1]) / (h * h)
            c = 2 * q
            for k in range(q):
                for j in range(k):
                    pp, pm, mp, mm = fs[c : c + 4]
                    fuu[:, k, j] = fuu[:, j, k] = (pp - pm - mp + mm) / (4.0 * h * h)
                    c += 4
            per_obs = c2[:, None, None] * g[:, :, None] * g[:, None, :] + c1[:, None, None] * fuu
            hess = np.add.reduceat(per_obs, t.starts, axis=0) + np.eye(q)
        finite = np.all(np.isfinite(hess), axis=(1, 2))
        pd = np.zeros(len(u), dtype=bool)
        if finite.any():
            pd[finite] = np.linalg.eigvalsh(hess[finite])[:, 0] > 0
        return np.where(pd[:, None, None], hess, np.eye(q)), pd

    def ofv(self, xs: Array) -> Array:
        """The total OFV (K,) at the parameter vectors ``xs`` (K, P)."""
        total: Array = np.sum(self.ofv_subjects(xs), axis=1)
        return total

    def value_and_gradient(self, x: Array) -> tuple[float, Array]:
        """OFV and its central-difference gradient at ``x``, in one batched call; the modes
        at ``x`` become the start of the next call."""
        p = len(x)
        h = fd_steps(x, _GRAD_STEP)
        pts = np.repeat(x[None, :], 1 + 2 * p, axis=0)
        idx = np.arange(p)
        pts[1 + 2 * idx, idx] += h
        pts[2 + 2 * idx, idx] -= h
        vals = self.ofv(pts)
        if np.isfinite(vals[0]):
            self.u_ref = self.last_u[0].copy()
        with np.errstate(all="ignore"):
            grad = (vals[1::2] - vals[2::2]) / (2.0 * h)
        return float(vals[0]), grad


def _censored_terms(r: Array, v: Array, b2: Array, f: Array) -> tuple[Array, Array, Array]:
    """M3: derivatives in f of one censored observation's ``l / 2 = -log Phi(zeta)``, with
    ``zeta = (LLOQ - f) / s``, ``s = sqrt(V)`` and ``r = LLOQ - f``: the first (c1), the
    expected-information weight (w, Gauss-Newton: ``lambda (lambda + zeta) zeta'^2``, >= 0)
    and the exact second (c2). ``lambda = phi / Phi`` is the inverse Mills ratio."""
    s = np.sqrt(v)
    zeta = r / s
    lam = np.exp(-0.5 * zeta * zeta - 0.5 * _LOG_2PI - log_ndtr(zeta))
    ds = b2 * f / s
    d2s = (b2 - ds * ds) / s
    dz = -(1.0 + zeta * ds) / s
    d2z = -(2.0 * dz * ds + zeta * d2s) / s
    curv = lam * (lam + zeta)
    return -lam * dz, curv * dz * dz, curv * dz * dz - lam * d2z


def _collapsed(layout: ParameterLayout, x: Array, x0: Array) -> NDArray[np.bool_]:
    """SD parameters that fell below 1e-3 of their start value (log scale: 6.9 lower)."""
    _, lower, _, _ = layout.unpack(x[None, :])
    sd = np.sqrt(np.sum(lower[0] ** 2, axis=1))[layout.sd_first]
    start = np.exp(x0[layout.p : layout.p + layout.n_sd])
    collapsed: NDArray[np.bool_] = sd < 1e-3 * start
    return collapsed


def fit_foce(
    model: NlmeModel,
    data: NlmeData,
    *,
    laplace: bool = False,
    covariance: CovarianceKind = "sandwich",
    max_iter: int = 500,
    gtol: float = 1e-4,
    level: float = 0.95,
) -> NlmeResult:
    """Fit ``model`` to ``data`` by FOCE-I (or the Laplacian with ``laplace=True``)."""
    check_start(model, data)
    obj = FoceObjective(model, data, laplace=laplace)
    layout = obj.layout
    x0 = layout.start(model, data)
    first, _ = obj.value_and_gradient(x0)
    big = abs(first) * 10.0 + 1e6 if math.isfinite(first) else 1e300

    def fun(x: Array) -> tuple[float, Array]:
        val, grad = obj.value_and_gradient(x)
        if not (math.isfinite(val) and np.all(np.isfinite(grad))):
            return big, np.zeros_like(x)  # a point the line search must step back from
        return val, grad

    res = minimize(fun, x0, jac=True, method="BFGS", options={"gtol": gtol, "maxiter": max_iter})
    x = np.asarray(res.x, dtype=float)
    collapsed = _collapsed(layout, x, x0)
    if collapsed.any():  # a variance run to 0 on the way: start again from its start value
        x1 = x.copy()
        sds = slice(layout.p, layout.p + layout.n_sd)
        x1[sds][collapsed] = x0[sds][collapsed]
        x1[layout.p + layout.n_sd : layout.p + layout.n_omega] = 0.0
        obj.u_ref = np.zeros_like(obj.u_ref)
        again = minimize(
            fun, x1, jac=True, method="BFGS", options={"gtol": gtol, "maxiter": max_iter}
        )
        if again.fun < res.fun - 1e-6:
            res, x = again, np.asarray(again.x, dtype=float)
    obj.u_ref = np.zeros_like(obj.u_ref)
    val, grad = obj.value_and_gradient(x)
    converged = bool(res.success) or (
        math.isfinite(val) and float(np.max(np.abs(grad))) < max(10 * gtol, 1e-2)
    )
    message = str(res.message)
    # inference
    r_mat = numerical_hessian(obj.ofv, x, fd_steps(x, _HESS_STEP))
    obj.value_and_gradient(x)  # modes at the estimate again
    cov_r = covariance_from_hessian(r_mat, 2.0)
    cov_s: Array | None = None
    if cov_r is not None:
        g_i = subject_gradients(obj.ofv_subjects, x, fd_steps(x, _GRAD_STEP * 10))
        s_mat = g_i.T @ g_i
        r_inv = 0.5 * cov_r
        cov_s = r_inv @ s_mat @ r_inv
    ofv_i = obj.ofv_subjects(x[None, :])[0]
    u = obj.last_u[0]
    _, lower, _, _ = layout.unpack(x[None, :])
    ebe = u @ lower[0].T
    flags: tuple[str, ...] = ("laplace_fallback",) if obj.laplace_fallbacks else ()
    if _collapsed(layout, x, x0).any():
        flags += ("omega_near_zero",)
    return build_result(
        method="laplace" if laplace else "foce-i",
        model_name=model.structural.name,
        layout=layout,
        x=x,
        ofv=float(np.sum(ofv_i)),
        subject_ids=data.subject_ids,
        n_obs=data.n_obs,
        ebe=ebe,
        cov=cov_s if covariance == "sandwich" else cov_r,
        covariance_method=covariance,
        converged=converged,
        message=message,
        iterations=int(res.nit),
        n_evaluations=obj.n_evaluations,
        level=level,
        cov_r=cov_r,
        cov_sandwich=cov_s,
        extra_flags=flags,
    )
