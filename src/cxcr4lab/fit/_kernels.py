"""Compiled (numba) Levenberg-Marquardt for the built-in sigmoid models, and its inference.

The same method, objective, damping and stopping rules as the numpy solver in
:mod:`cxcr4lab.fit.batch` (see ``_levenberg_marquardt`` there), written per curve in scalars
(the 4PL's fourth parameter unused by the one-site model). The model is
``bottom + (top - bottom) expit((log10_ic50 - x) h ln10)`` with ``x`` in log10 mol/L (``-inf``
for a zero dose) and ``h`` the Hill slope (the 4PL) or 1 (one-site competition); the parameters
are ``bottom``, ``top``, ``log10_ic50`` and, for the 4PL, ``hill``. Right after its fit, each
curve's inference inputs are computed in the same pass: the covariance ``s^2 (J^T W J)^-1``
(by the Cholesky factorisation ``_inverse`` of :mod:`cxcr4lab.fit.batch` uses, in the same
order), the tested range and the RSS of the horizontal line (for the no-effect F test).

Why it is written as it is. An iteration is a chain of dependent steps (a 4x4 Cholesky solve:
square roots and divisions one after another; ten ``exp`` calls; the sums), so a core mostly
waits on it. Each thread therefore fits two curves at once, phase by phase (both solves, then
both trial evaluations, then both updates), and the core overlaps the two chains. Each curve's
arithmetic is exactly that of fitting it alone. The ``exp`` calls have a loop of their own,
so no running sum lives across a call (which saves no floating-point register), and ``J`` is
evaluated only where a step is taken.

The curves are handed to the threads in chunks claimed one at a time
(:func:`cxcr4lab.core.parallel.run_chunked`), so a thread slowed by other work on a shared
machine does not hold up the others. Sums run over the points in order, so a curve's result
does not depend on its batch, its padding, the curve beside it or the thread that fitted it.
Functions are compiled on first use and cached on disk.
"""

from __future__ import annotations

import math
import threading
from typing import Final, NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

from cxcr4lab.core.parallel import chunk_size, claim, run_chunked, threads

__all__ = ["SigmoidFit", "fit_sigmoid", "lm_sigmoid", "sigmoid_starts"]

Array = NDArray[np.float64]

# The stopping rules of ``cxcr4lab.fit.batch``, copied rather than imported: numba freezes a
# global into the compiled code and its disk cache only notices changes to this file, so an
# imported value changed in batch.py would go unseen. tests/fit/test_batch.py checks they agree.
_LN10: Final = math.log(10.0)
_XTOL: Final = 1e-10
_FTOL: Final = 1e-12
_FTOL_HITS: Final = 3
_DRIFT_RTOL: Final = 1e-6
_DRIFT_ITERS: Final = 10
_DRIFT_RATIO: Final = 0.7
_GTOL: Final = 1e-13
_LAMBDA0: Final = 1e-3
_LAMBDA_MAX: Final = 1e16

# A curve's state between iterations is one flat tuple of scalars (so it stays in registers):
#   p0..p3 parameters, D0..D3 running scales, g0..g3 = J^T r, a00..a33 the lower triangle of
#   J^T J, rss, lam, nu, hits, slow, last, done, its, stop
_STOP: Final = 30  # the index of ``stop``: the curve is finished


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _rss_at(
    b0: float, t0: float, c0: float, h: float, x: Array, y: Array, sw: Array, S: Array
) -> float:
    """The sigmoid's ``expit`` at every point into ``S``; return the RSS (``h`` 1: one site)."""
    hl = h * _LN10
    span = t0 - b0
    m = x.shape[0]
    for j in range(m):
        S[j] = 1.0 / (1.0 + math.exp(-((c0 - x[j]) * hl)))
    rss = 0.0
    for j in range(m):
        r = (S[j] * span + b0 - y[j]) * sw[j]
        rss += r * r
    return rss


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _jtj_at(  # type: ignore[no-untyped-def]
    b0: float, t0: float, c0: float, h: float, four: bool, x: Array, y: Array, sw: Array, S: Array
):
    """``g = J^T r`` and the lower triangle of ``J^T J`` (``r = sw (f - y)``) from the
    ``expit`` values ``S`` that :func:`_rss_at` left there."""
    span = t0 - b0
    sl = span * _LN10
    g0 = g1 = g2 = g3 = 0.0
    a00 = a10 = a11 = a20 = a21 = a22 = a30 = a31 = a32 = a33 = 0.0
    for j in range(x.shape[0]):
        s = S[j]
        w = sw[j]
        r = (s * span + b0 - y[j]) * w
        q = 1.0 - s
        gg = q * s * sl
        j0 = q * w
        j1 = s * w
        j2 = gg * h * w
        g0 += j0 * r
        g1 += j1 * r
        g2 += j2 * r
        a00 += j0 * j0
        a10 += j1 * j0
        a11 += j1 * j1
        a20 += j2 * j0
        a21 += j2 * j1
        a22 += j2 * j2
        if four:
            dneg = c0 - x[j]
            if not math.isfinite(dneg):  # a zero dose: the plateau does not depend on the slope
                dneg = 0.0
            j3 = gg * dneg * w
            g3 += j3 * r
            a30 += j3 * j0
            a31 += j3 * j1
            a32 += j3 * j2
            a33 += j3 * j3
    return g0, g1, g2, g3, a00, a10, a11, a20, a21, a22, a30, a31, a32, a33


@njit(cache=True, nogil=True, error_model="numpy")
def _damping(D: float, d: float, g: float, rss: float, gnorm: float) -> tuple[float, float, float]:
    """One parameter's running scale ``D`` (the largest ``J^T J`` diagonal so far), the damping
    scale it gives, and the scaled-gradient test ``gnorm`` updated with it."""
    D = np.nan if (math.isnan(D) or math.isnan(d)) else max(D, d)
    ga = abs(g) / math.sqrt((d if d > 0 else np.inf) * rss)
    if math.isnan(ga) or math.isnan(gnorm):
        gnorm = np.nan
    elif ga > gnorm:
        gnorm = ga
    return D, D if D > 0 else 1.0, gnorm


@njit(cache=True, nogil=True, error_model="numpy")
def _pivot(s: float) -> tuple[bool, float]:
    """A Cholesky pivot: positive, and its square root (1 where it is not)."""
    return s > 0, math.sqrt(s) if s > 0 else 1.0


@njit(cache=True, nogil=True, error_model="numpy")
def _start(  # type: ignore[no-untyped-def]
    x: Array, y: Array, sw: Array, S: Array, four: bool, P0: Array, col: int, max_iter: int
):
    """The state of curve ``col`` before its first iteration (start ``P0[:, col]``)."""
    p0, p1, p2 = P0[0, col], P0[1, col], P0[2, col]
    p3 = P0[3, col] if four else 1.0
    rss = _rss_at(p0, p1, p2, p3, x, y, sw, S)
    g0, g1, g2, g3, a00, a10, a11, a20, a21, a22, a30, a31, a32, a33 = _jtj_at(
        p0, p1, p2, p3, four, x, y, sw, S
    )
    return (
        p0, p1, p2, p3, 0.0, 0.0, 0.0, 0.0, g0, g1, g2, g3, a00, a10, a11, a20, a21, a22, a30,
        a31, a32, a33, rss, _LAMBDA0, 2.0, 0, 0, np.inf, False, 0, max_iter < 1,
    )  # fmt: skip


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _propose(four: bool, st):  # type: ignore[no-untyped-def]
    """An iteration's first half: the scales, the gradient test, and the damped Gauss-Newton
    step ``(J^T J + lam diag(D)) step = -g`` by Cholesky, as ``batch._cholesky_solve`` does
    it, term by term. Returns the scales, ``done`` by the gradient, ``ok``, step and trial."""
    (p0, p1, p2, p3, D0, D1, D2, D3, g0, g1, g2, g3, a00, a10, a11, a20, a21, a22, a30, a31,
     a32, a33, rss, lam, _nu, _hits, _slow, _last, _done, _its, _stop) = st  # fmt: skip
    gnorm = -np.inf
    D0, Dd0, gnorm = _damping(D0, a00, g0, rss, gnorm)
    D1, Dd1, gnorm = _damping(D1, a11, g1, rss, gnorm)
    D2, Dd2, gnorm = _damping(D2, a22, g2, rss, gnorm)
    Dd3 = 1.0
    if four:
        D3, Dd3, gnorm = _damping(D3, a33, g3, rss, gnorm)
    done = rss == 0 or gnorm <= _GTOL
    ok, l00 = _pivot(a00 + lam * Dd0)
    l10 = a10 / l00
    l20 = a20 / l00
    l30 = a30 / l00
    ok1, l11 = _pivot(a11 + lam * Dd1 - l10 * l10)
    l21 = (a21 - l20 * l10) / l11
    l31 = (a31 - l30 * l10) / l11
    ok2, l22 = _pivot(a22 + lam * Dd2 - l20 * l20 - l21 * l21)
    l32 = (a32 - l30 * l20 - l31 * l21) / l22
    ok = ok and ok1 and ok2
    z0 = -g0 / l00
    z1 = (-g1 - l10 * z0) / l11
    z2 = (-g2 - l20 * z0 - l21 * z1) / l22
    s3 = 0.0
    if four:
        ok3, l33 = _pivot(a33 + lam * Dd3 - l30 * l30 - l31 * l31 - l32 * l32)
        ok = ok and ok3
        z3 = (-g3 - l30 * z0 - l31 * z1 - l32 * z2) / l33
        s3 = z3 / l33
        s2 = (z2 - l32 * s3) / l22
        s1 = (z1 - l21 * s2 - l31 * s3) / l11
        s0 = (z0 - l10 * s1 - l20 * s2 - l30 * s3) / l00
        ok = ok and math.isfinite(s3)
    else:
        s2 = z2 / l22
        s1 = (z1 - l21 * s2) / l11
        s0 = (z0 - l10 * s1 - l20 * s2) / l00
    ok = ok and math.isfinite(s0) and math.isfinite(s1) and math.isfinite(s2)
    if not ok:
        s0 = s1 = s2 = s3 = 0.0
    return (
        D0, D1, D2, D3, Dd0, Dd1, Dd2, Dd3, done, ok, s0, s1, s2, s3,
        p0 + s0, p1 + s1, p2 + s2, p3 + s3 if four else 1.0,
    )  # fmt: skip


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _update(  # type: ignore[no-untyped-def]
    x: Array, y: Array, sw: Array, S: Array, four: bool, max_iter: int, st, step, rss_t: float
):
    """An iteration's second half, given the trial's RSS ``rss_t`` (and its ``expit`` values
    in ``S``): accept or reject the step, adapt the damping, test convergence. Returns the
    new state."""
    (p0, p1, p2, p3, D0, D1, D2, D3, g0, g1, g2, g3, a00, a10, a11, a20, a21, a22, a30, a31,
     a32, a33, rss, lam, nu, hits, slow, last, done, its, stop) = st  # fmt: skip
    D0, D1, D2, D3, Dd0, Dd1, Dd2, Dd3, done, ok, s0, s1, s2, s3, q0, q1, q2, q3 = step
    its += 1
    failed = not math.isfinite(rss)
    gs = g0 * s0 + g1 * s1 + g2 * s2
    if four:
        gs += g3 * s3
        quad = (a00 * s0 + a10 * s1 + a20 * s2 + a30 * s3) * s0
        quad = quad + (a10 * s0 + a11 * s1 + a21 * s2 + a31 * s3) * s1
        quad = quad + (a20 * s0 + a21 * s1 + a22 * s2 + a32 * s3) * s2
        quad = quad + (a30 * s0 + a31 * s1 + a32 * s2 + a33 * s3) * s3
    else:
        quad = (a00 * s0 + a10 * s1 + a20 * s2) * s0
        quad = quad + (a10 * s0 + a11 * s1 + a21 * s2) * s1
        quad = quad + (a20 * s0 + a21 * s1 + a22 * s2) * s2
    predicted = -(2.0 * gs + quad)
    actual = rss - rss_t
    accept = ok and math.isfinite(rss_t) and rss_t < rss
    rho = actual / predicted if predicted > 0 else 0.0
    dx = Dd0 * (s0 * s0) + Dd1 * (s1 * s1) + Dd2 * (s2 * s2)
    xn = Dd0 * (p0 * p0) + Dd1 * (p1 * p1) + Dd2 * (p2 * p2)
    if four:
        dx += Dd3 * (s3 * s3)
        xn += Dd3 * (p3 * p3)
    small_step = ok and math.sqrt(dx) <= _XTOL * (math.sqrt(xn) + _XTOL)
    if accept and abs(actual) <= _FTOL * rss and predicted <= _FTOL * rss and rho <= 2.0:
        hits += 1
    if accept:
        if actual <= _DRIFT_RTOL * rss and actual >= _DRIFT_RATIO * last:
            slow += 1
        else:
            slow = 0
        last = actual
        lam *= max(1.0 / 3.0, 1.0 - math.pow(2.0 * rho - 1.0, 3.0))
        nu = 2.0
        p0, p1, p2, p3 = q0, q1, q2, q3
        g0, g1, g2, g3, a00, a10, a11, a20, a21, a22, a30, a31, a32, a33 = _jtj_at(
            p0, p1, p2, p3, four, x, y, sw, S
        )
        rss = rss_t
    else:
        lam *= nu
        nu *= 2.0
    done = (done or small_step or hits >= _FTOL_HITS) and not failed
    stop = done or failed or slow >= _DRIFT_ITERS or lam > _LAMBDA_MAX or its >= max_iter
    return (
        p0, p1, p2, p3, D0, D1, D2, D3, g0, g1, g2, g3, a00, a10, a11, a20, a21, a22, a30, a31,
        a32, a33, rss, lam, nu, hits, slow, last, done, its, stop,
    )  # fmt: skip


@njit(cache=True, nogil=True, error_model="numpy")
def _finish(  # type: ignore[no-untyped-def]
    four: bool, col: int, P_out: Array, A_out: Array, A: Array, st
) -> tuple[float, bool, int]:
    """Write a finished curve's parameters and ``J^T J`` to column ``col`` (and ``J^T J`` to
    ``A`` ``(k, k)``). Returns RSS, converged, iterations."""
    p0, p1, p2, p3 = st[0], st[1], st[2], st[3]
    a00, a10, a11, a20, a21, a22 = st[12], st[13], st[14], st[15], st[16], st[17]
    a30, a31, a32, a33 = st[18], st[19], st[20], st[21]
    rss, done, its = st[22], st[28], st[29]
    k = 4 if four else 3
    A[0, 0], A[1, 1], A[2, 2] = a00, a11, a22
    A[1, 0] = A[0, 1] = a10
    A[2, 0] = A[0, 2] = a20
    A[2, 1] = A[1, 2] = a21
    P_out[0, col], P_out[1, col], P_out[2, col] = p0, p1, p2
    finite = math.isfinite(p0) and math.isfinite(p1) and math.isfinite(p2)
    if four:
        A[3, 3] = a33
        A[3, 0] = A[0, 3] = a30
        A[3, 1] = A[1, 3] = a31
        A[3, 2] = A[2, 3] = a32
        P_out[3, col] = p3
        finite = finite and math.isfinite(p3)
    for a in range(k):
        for b in range(k):
            A_out[a, b, col] = A[a, b]
    return rss, done and finite, its


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _factor(A: Array, shift: Array, k: int, L: Array) -> bool:
    """Cholesky factor ``L`` of ``A + diag(shift)``; False if not positive definite."""
    ok = True
    for j in range(k):
        s = A[j, j] + shift[j]
        for q in range(j):
            s -= L[j, q] * L[j, q]
        if not s > 0:
            ok = False
        d = math.sqrt(s) if s > 0 else 1.0
        L[j, j] = d
        for i in range(j + 1, k):
            t = A[i, j]
            for q in range(j):
                t -= L[i, q] * L[j, q]
            L[i, j] = t / d
    return ok


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _substitute(L: Array, rhs: Array, k: int, out: Array) -> bool:
    """Solve ``L L^T out = rhs``; False if the solution is not finite."""
    for i in range(k):  # forward: L z = rhs (z kept in out)
        t = rhs[i]
        for q in range(i):
            t -= L[i, q] * out[q]
        out[i] = t / L[i, i]
    for i in range(k - 1, -1, -1):  # back: L^T out = z
        t = out[i]
        for q in range(i + 1, k):
            t -= L[q, i] * out[q]
        out[i] = t / L[i, i]
    ok = True
    for i in range(k):
        if not math.isfinite(out[i]):
            ok = False
    return ok


@njit(cache=True, nogil=True, error_model="numpy")
def _infer_one(
    x: Array,
    y: Array,
    wt: Array,
    A: Array,
    rss: float,
    conv: bool,
    k: int,
    L: Array,
    V: Array,
    cov: Array,
) -> tuple[bool, float, float, float]:
    """The inference inputs of one fitted curve (weights or presence ``wt``, 0 where absent):
    its covariance ``(J^T W J)^-1 rss / dof`` into ``cov`` ``(k, k)`` (NaN unless converged
    with a usable, positive definite ``A``). Returns whether ``A`` needs the LU inverse instead
    (converged, all ``A[a, a] > 0`` but not positive definite), the smallest finite and the
    largest tested ``x`` and the RSS of the weighted mean (the horizontal line)."""
    m = x.shape[0]
    x_min = np.inf
    x_max = -np.inf
    n = 0
    sum_w = 0.0
    sum_wy = 0.0
    for j in range(m):
        if wt[j] > 0:
            n += 1
            if math.isfinite(x[j]) and x[j] < x_min:
                x_min = x[j]
            if x[j] > x_max:
                x_max = x[j]
        sum_w += wt[j]
        sum_wy += wt[j] * y[j]
    ybar = sum_wy / sum_w
    rss0 = 0.0
    for j in range(m):
        dev = y[j] - ybar
        rss0 += wt[j] * dev * dev
    for a in range(k):
        for b in range(k):
            cov[a, b] = np.nan
    invert = conv
    for a in range(k):
        invert = invert and A[a, a] > 0
    if not invert:
        return False, x_min, x_max, rss0
    zero, e, col = V[0], V[1], V[2]
    for a in range(k):
        zero[a] = 0.0
    if not _factor(A, zero, k, L):
        return True, x_min, x_max, rss0
    scale = rss / (n - k)
    usable = True
    for b in range(k):  # column b of the inverse, as batch._inverse solves it
        for a in range(k):
            e[a] = 1.0 if a == b else 0.0
        if not _substitute(L, e, k, col):
            return True, x_min, x_max, rss0
        for a in range(k):
            c = col[a] * scale
            cov[a, b] = c
            usable = usable and math.isfinite(c)
        usable = usable and cov[b, b] >= 0
    if not usable:
        for a in range(k):
            for b in range(k):
                cov[a, b] = np.nan
    return False, x_min, x_max, rss0


@njit(cache=True, nogil=True, error_model="numpy")
def _store(  # type: ignore[no-untyped-def]
    i: int,
    four: bool,
    st,
    X: Array,
    Y: Array,
    WT: Array,
    P_out: Array,
    A_out: Array,
    rss_out: Array,
    conv_out: NDArray[np.bool_],
    iter_out: NDArray[np.int64],
    cov_out: Array,
    lu_out: NDArray[np.bool_],
    lo_out: Array,
    hi_out: Array,
    rss0_out: Array,
    A: Array,
    L: Array,
    V: Array,
) -> None:
    """Curve ``i`` is finished: its fit and its inference into the outputs."""
    rss, conv, its = _finish(four, i, P_out, A_out, A, st)
    conv = conv and math.isfinite(rss)
    rss_out[i] = rss
    conv_out[i] = conv
    iter_out[i] = its
    lu_out[i], lo_out[i], hi_out[i], rss0_out[i] = _infer_one(
        X[i], Y[i], WT[i], A, rss, conv, 4 if four else 3, L, V, cov_out[i]
    )


@njit(cache=True, nogil=True, error_model="numpy")
def _fit_chunks(
    chunk: int,
    counter: NDArray[np.int64],
    X: Array,
    Y: Array,
    SW: Array,
    WT: Array,
    P0: Array,
    max_iter: int,
    P_out: Array,
    A_out: Array,
    rss_out: Array,
    conv_out: NDArray[np.bool_],
    iter_out: NDArray[np.int64],
    cov_out: Array,
    lu_out: NDArray[np.bool_],
    lo_out: Array,
    hi_out: Array,
    rss0_out: Array,
) -> None:
    """Fit the rows of the chunks this thread claims from ``counter`` (``chunk`` rows each)
    until none is left: two curves at a time (lanes a and b), each lane taking the chunk's next
    row when its curve is done."""
    n, m = X.shape
    k = P0.shape[0]
    four = k == 4
    V = np.empty((9, k))
    L = np.empty((k, k))
    A = np.empty((k, k))
    Sa = np.empty(m)
    Sb = np.empty(m)
    nan = np.nan
    parked = (
        nan, nan, nan, nan, 0.0, 0.0, 0.0, 0.0, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan,
        nan, nan, nan, nan, nan, 1.0, 2.0, 0, 0, np.inf, False, max_iter, True,
    )  # fmt: skip
    while True:
        lo = claim(counter) * chunk
        if lo >= n:
            return
        hi = min(lo + chunk, n)
        nxt = lo
        ia = ib = -1  # the lanes' rows (-1: idle)
        sa = sb = parked
        while True:
            if sa[_STOP]:  # lane a's curve is done: store it, take the next row
                if ia >= 0:
                    _store(
                        ia, four, sa, X, Y, WT, P_out, A_out, rss_out, conv_out,
                        iter_out, cov_out, lu_out, lo_out, hi_out, rss0_out, A, L, V,
                    )  # fmt: skip
                ia, sa = -1, parked
                if nxt < hi:
                    ia, nxt = nxt, nxt + 1
                    sa = _start(X[ia], Y[ia], SW[ia], Sa, four, P0, ia, max_iter)
            if sb[_STOP]:
                if ib >= 0:
                    _store(
                        ib, four, sb, X, Y, WT, P_out, A_out, rss_out, conv_out,
                        iter_out, cov_out, lu_out, lo_out, hi_out, rss0_out, A, L, V,
                    )  # fmt: skip
                ib, sb = -1, parked
                if nxt < hi:
                    ib, nxt = nxt, nxt + 1
                    sb = _start(X[ib], Y[ib], SW[ib], Sb, four, P0, ib, max_iter)
            if ia < 0 and ib < 0:
                break
            # one iteration of each lane, phase by phase (an idle lane repeats a parked state
            # on row lo, whose result is never used)
            ra = ia if ia >= 0 else lo
            rb = ib if ib >= 0 else lo
            pa = _propose(four, sa)
            pb = _propose(four, sb)
            ta = _rss_at(pa[14], pa[15], pa[16], pa[17], X[ra], Y[ra], SW[ra], Sa)
            tb = _rss_at(pb[14], pb[15], pb[16], pb[17], X[rb], Y[rb], SW[rb], Sb)
            sa = _update(X[ra], Y[ra], SW[ra], Sa, four, max_iter, sa, pa, ta)
            sb = _update(X[rb], Y[rb], SW[rb], Sb, four, max_iter, sb, pb, tb)


# numba's workqueue threading layer must not be entered by two threads at once; the fit kernel
# no longer uses it (core.parallel runs it on plain threads), but the compiled synergy scores
# (combination.batch) do, and share this lock
_PARALLEL: Final = threading.Lock()


@njit(cache=True, nogil=True, error_model="numpy")
def _guess_rows(X: Array, Y: Array, present: NDArray[np.bool_], k: int, out: Array) -> None:
    """``_sigmoid_guess_batch`` of :mod:`cxcr4lab.fit.batch`, row by row, into ``out`` (k, n)."""
    n, m = X.shape
    order = np.empty(m, dtype=np.int64)
    xs = np.empty(m)
    ys = np.empty(m)
    for i in range(n):
        length = 0
        for j in range(m):  # stable insertion sort of the present points by x
            if present[i, j]:
                q = length
                while q > 0 and X[i, order[q - 1]] > X[i, j]:
                    order[q] = order[q - 1]
                    q -= 1
                order[q] = j
                length += 1
        for q in range(m):
            xs[q] = X[i, order[q]] if q < length else np.nan
            ys[q] = Y[i, order[q]] if q < length else 0.0
        kk = max(1, length // 5)
        low = 0.0
        high = 0.0
        for q in range(kk):
            low += ys[q]
            high += ys[length - kk + q]
        low /= kk
        high /= kk
        top = max(low, high)
        bottom = min(low, high)
        falling = ys[0] >= ys[length - 1]
        n_zero = 0
        for q in range(length):
            if xs[q] == -np.inf:
                n_zero += 1
        c = length - n_zero
        lo_i = min(n_zero + max(c - 1, 0) // 2, m - 1)
        hi_i = min(n_zero + c // 2, m - 1)
        median = 0.5 * (xs[lo_i] + xs[hi_i])
        half = 0.5 * (top + bottom)
        n_cross = 0
        for q in range(n_zero, length - 1):
            if np.sign(ys[q + 1] - half) != np.sign(ys[q] - half):
                n_cross += 1
        mid = median
        if top != bottom and n_cross > 0:
            want = n_cross // 2 + 1
            rank = 0
            for q in range(n_zero, length - 1):
                if np.sign(ys[q + 1] - half) != np.sign(ys[q] - half):
                    rank += 1
                    if rank == want:
                        x0, x1, y0, y1 = xs[q], xs[q + 1], ys[q], ys[q + 1]
                        mid = x0 + (half - y0) * (x1 - x0) / (y1 - y0) if y1 != y0 else x0
                        break
        out[0, i] = bottom
        out[1, i] = top
        out[2, i] = mid
        if k == 4:
            out[3, i] = 1.0 if falling else -1.0


def sigmoid_starts(X: Array, Y: Array, present: NDArray[np.bool_], k: int) -> Array:
    """Starting values ``(k, n)`` of the 4PL (``k`` 4) or one-site (3) model for every row.

    ``bottom``, ``top`` (means of the first and last fifth of the points by ``x``) and the
    midpoint where the response crosses half-way, as :func:`~cxcr4lab.fit.models.sigmoid_guess`;
    the 4PL's Hill slope starts at 1 for a falling curve, -1 for a rising one.
    """
    out = np.empty((k, len(X)))
    _guess_rows(
        np.ascontiguousarray(X, dtype=np.float64),
        np.ascontiguousarray(Y, dtype=np.float64),
        np.ascontiguousarray(present),
        k,
        out,
    )
    return out


class SigmoidFit(NamedTuple):
    """What :func:`fit_sigmoid` returns, one entry (or column of ``P``, ``A``) per curve."""

    P: Array
    """``(k, n)`` parameters."""
    A: Array
    """``(k, k, n)`` ``J^T W J`` at ``P``."""
    rss: Array
    converged: NDArray[np.bool_]
    """Converged with finite parameters and RSS."""
    iterations: NDArray[np.int64]
    covariance: Array
    """``(n, k, k)`` ``(J^T W J)^-1 rss / dof``; NaN unless converged and usable."""
    needs_lu: NDArray[np.bool_]
    """Converged curves whose ``A`` is not positive definite: ``covariance`` left NaN for
    ``batch._inverse``'s LU fallback."""
    x_min: Array
    """Smallest finite tested ``x`` (``inf`` if none)."""
    x_max: Array
    rss0: Array
    """RSS of the (weighted) mean: the horizontal line of the no-effect F test."""


def fit_sigmoid(
    X: Array, Y: Array, sw: Array | None, wt: Array | None, P0: Array, max_iter: int
) -> SigmoidFit:
    """``_levenberg_marquardt`` of :mod:`cxcr4lab.fit.batch` for the sigmoid models, with each
    curve's covariance, tested range and horizontal-line RSS computed in the same pass.

    ``X``, ``Y`` ``(n, m)`` (absent points already filled), ``sw`` the square roots of the
    weights (0 for an absent point) or None, ``wt`` the weights themselves (or the presence as
    0/1; None: all 1), ``P0`` ``(k, n)`` with ``k`` 4 (4PL) or 3 (one site). The curves run on
    as many threads as numba's (``numba.set_num_threads``), in chunks handed out as threads
    come free; a call from a second thread while one runs (a Dask worker) fits its curves in
    that thread.
    """
    k, n = P0.shape
    if k not in (3, 4):
        raise ValueError(f"the sigmoid kernel takes 3 or 4 parameters, not {k}")
    Xc = np.ascontiguousarray(X, dtype=np.float64)
    Yc = np.ascontiguousarray(Y, dtype=np.float64)
    SW = np.ones_like(Yc) if sw is None else np.ascontiguousarray(sw, dtype=np.float64)
    WT = SW if wt is None else np.ascontiguousarray(wt, dtype=np.float64)
    if sw is None and wt is not None:
        raise ValueError("weights without their square roots")
    P0c = np.ascontiguousarray(P0, dtype=np.float64)
    out = SigmoidFit(
        P=np.empty((k, n)),
        A=np.empty((k, k, n)),
        rss=np.empty(n),
        converged=np.zeros(n, dtype=np.bool_),
        iterations=np.zeros(n, dtype=np.int64),
        covariance=np.empty((n, k, k)),
        needs_lu=np.zeros(n, dtype=np.bool_),
        x_min=np.empty(n),
        x_max=np.empty(n),
        rss0=np.empty(n),
    )
    # chunks of two curves at least: a thread fits two at a time
    chunk = max(2, chunk_size(n, threads()))
    run_chunked(_fit_chunks, n, Xc, Yc, SW, WT, P0c, int(max_iter), *out, chunk=chunk)
    return out


def lm_sigmoid(
    X: Array, Y: Array, sw: Array | None, P0: Array, max_iter: int
) -> tuple[Array, Array, Array, NDArray[np.bool_], NDArray[np.int64]]:
    """``_levenberg_marquardt`` of :mod:`cxcr4lab.fit.batch` for the sigmoid models.

    ``X``, ``Y`` ``(n, m)`` (absent points already filled), ``sw`` the square roots of the
    weights (0 for an absent point) or None, ``P0`` ``(k, n)`` with ``k`` 4 (4PL) or 3 (one
    site). Returns ``P`` ``(k, n)``, ``J^T J`` ``(k, k, n)``, RSS, converged, iterations
    (:func:`fit_sigmoid`'s first five).
    """
    fit = fit_sigmoid(X, Y, sw, None if sw is None else sw * sw, P0, max_iter)
    return fit.P, fit.A, fit.rss, fit.converged, fit.iterations
