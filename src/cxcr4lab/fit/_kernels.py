"""Compiled (numba) Levenberg-Marquardt for the built-in sigmoid models, one curve per thread.

The same method, objective, damping and stopping rules as the numpy solver in
:mod:`cxcr4lab.fit.batch` (see ``_levenberg_marquardt`` there), written per curve with scalar
loops and run over the curves with ``prange``. The model is
``bottom + (top - bottom) expit((log10_ic50 - x) h ln10)`` with ``x`` in log10 mol/L (``-inf``
for a zero dose) and ``h`` the Hill slope (the 4PL) or 1 (one-site competition); the
parameters are ``bottom``, ``top``, ``log10_ic50`` and, for the 4PL, ``hill``.

Sums run over the points in order, so a curve's result does not depend on its batch, its
padding or the thread that fitted it. Functions are compiled on first use and cached on disk.
"""

from __future__ import annotations

import math
import threading
from typing import Final

import numpy as np
from numba import njit, prange, set_parallel_chunksize
from numpy.typing import NDArray

__all__ = ["lm_sigmoid", "sigmoid_starts"]

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


@njit(cache=True, nogil=True, error_model="numpy")
def _normal(p: Array, x: Array, y: Array, sw: Array, k: int, A: Array, g: Array) -> float:
    """Fill ``A = J^T J`` and ``g = J^T r`` (``r = sw (f - y)``) at ``p``; return the RSS.

    Written out for the 3 or 4 parameters, with the sums in scalars so they stay in registers.
    """
    b0, t0, c0 = p[0], p[1], p[2]
    four = k == 4
    h = p[3] if four else 1.0
    hl = h * _LN10
    span = t0 - b0
    sl = span * _LN10
    rss = g0 = g1 = g2 = g3 = 0.0
    a00 = a10 = a11 = a20 = a21 = a22 = a30 = a31 = a32 = a33 = 0.0
    for j in range(x.shape[0]):
        dneg = c0 - x[j]
        s = 1.0 / (1.0 + math.exp(-(dneg * hl)))
        w = sw[j]
        r = (s * span + b0 - y[j]) * w
        q = 1.0 - s
        gg = q * s * sl
        j0 = q * w
        j1 = s * w
        j2 = gg * h * w
        rss += r * r
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
            if not math.isfinite(dneg):  # a zero dose: the plateau does not depend on the slope
                dneg = 0.0
            j3 = gg * dneg * w
            g3 += j3 * r
            a30 += j3 * j0
            a31 += j3 * j1
            a32 += j3 * j2
            a33 += j3 * j3
    g[0], g[1], g[2] = g0, g1, g2
    A[0, 0], A[1, 1], A[2, 2] = a00, a11, a22
    A[1, 0] = A[0, 1] = a10
    A[2, 0] = A[0, 2] = a20
    A[2, 1] = A[1, 2] = a21
    if four:
        g[3] = g3
        A[3, 3] = a33
        A[3, 0] = A[0, 3] = a30
        A[3, 1] = A[1, 3] = a31
        A[3, 2] = A[2, 3] = a32
    return rss


@njit(cache=True, nogil=True, error_model="numpy")
def _solve(A: Array, rhs: Array, shift: Array, k: int, L: Array, out: Array) -> bool:
    """Solve ``(A + diag(shift)) out = rhs`` by Cholesky; False if not positive definite."""
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
    for i in range(k):
        if not math.isfinite(out[i]):
            ok = False
    return ok


@njit(cache=True, nogil=True, error_model="numpy")
def _fit_one(
    x: Array,
    y: Array,
    sw: Array,
    P0: Array,
    col: int,
    max_iter: int,
    P_out: Array,
    A_out: Array,
    V: Array,
    M: Array,
) -> tuple[float, bool, int]:
    """Curve ``col``: start ``P0[:, col]``, parameters and ``J^T J`` written to column ``col``.

    ``V`` ``(9, k)`` and ``M`` ``(3, k, k)`` are scratch space. Returns RSS, converged, its.
    """
    k = P0.shape[0]
    P, trial, step, rhs, shift, Dd, D, g, g_t = V[0], V[1], V[2], V[3], V[4], V[5], V[6], V[7], V[8]
    A, A_t, L = M[0], M[1], M[2]
    for a in range(k):
        P[a] = P0[a, col]
        D[a] = 0.0
    rss = _normal(P, x, y, sw, k, A, g)
    lam = _LAMBDA0
    nu = 2.0
    hits = 0
    slow = 0
    last = np.inf
    done = False
    its = 0
    for it in range(1, max_iter + 1):
        its = it
        gnorm = -np.inf
        for a in range(k):
            d = A[a, a]
            D[a] = np.nan if (math.isnan(D[a]) or math.isnan(d)) else max(D[a], d)
            Dd[a] = D[a] if D[a] > 0 else 1.0
            ga = abs(g[a]) / math.sqrt((d if d > 0 else np.inf) * rss)
            if math.isnan(ga) or math.isnan(gnorm):
                gnorm = np.nan
            elif ga > gnorm:
                gnorm = ga
        done = rss == 0 or gnorm <= _GTOL
        failed = not math.isfinite(rss)

        for a in range(k):
            rhs[a] = -g[a]
            shift[a] = lam * Dd[a]
        ok = _solve(A, rhs, shift, k, L, step)
        if not ok:
            for a in range(k):
                step[a] = 0.0
        for a in range(k):
            trial[a] = P[a] + step[a]
        rss_t = _normal(trial, x, y, sw, k, A_t, g_t)
        gs = g[0] * step[0]
        for a in range(1, k):
            gs += g[a] * step[a]
        quad = 0.0
        for a in range(k):
            row = A[a, 0] * step[0]
            for b in range(1, k):
                row += A[a, b] * step[b]
            quad = row * step[a] if a == 0 else quad + row * step[a]
        predicted = -(2.0 * gs + quad)
        actual = rss - rss_t
        accept = ok and math.isfinite(rss_t) and rss_t < rss
        rho = actual / predicted if predicted > 0 else 0.0
        dx = Dd[0] * (step[0] * step[0])
        xn = Dd[0] * (P[0] * P[0])
        for a in range(1, k):
            dx += Dd[a] * (step[a] * step[a])
            xn += Dd[a] * (P[a] * P[a])
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
            for a in range(k):
                P[a] = trial[a]
                g[a] = g_t[a]
                for b in range(k):
                    A[a, b] = A_t[a, b]
            rss = rss_t
        else:
            lam *= nu
            nu *= 2.0
        done = (done or small_step or hits >= _FTOL_HITS) and not failed
        if done or failed or slow >= _DRIFT_ITERS or lam > _LAMBDA_MAX:
            break
    finite = True
    for a in range(k):
        P_out[a, col] = P[a]
        finite = finite and math.isfinite(P[a])
        for b in range(k):
            A_out[a, b, col] = A[a, b]
    return rss, done and finite, its


@njit(cache=True, nogil=True, error_model="numpy")
def _fit_rows(
    lo: int,
    hi: int,
    X: Array,
    Y: Array,
    SW: Array,
    P0: Array,
    max_iter: int,
    P_out: Array,
    A_out: Array,
    rss_out: Array,
    conv_out: NDArray[np.bool_],
    iter_out: NDArray[np.int64],
) -> None:
    """Fit rows ``lo`` to ``hi - 1`` in this thread, with one set of work arrays."""
    k = P0.shape[0]
    V = np.empty((9, k))
    M = np.empty((3, k, k))
    for i in range(lo, hi):
        rss, conv, its = _fit_one(X[i], Y[i], SW[i], P0, i, max_iter, P_out, A_out, V, M)
        rss_out[i] = rss
        conv_out[i] = conv
        iter_out[i] = its


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def _batch_parallel(
    X: Array,
    Y: Array,
    SW: Array,
    P0: Array,
    max_iter: int,
    P_out: Array,
    A_out: Array,
    rss_out: Array,
    conv_out: NDArray[np.bool_],
    iter_out: NDArray[np.int64],
) -> None:
    """Fit every row, the rows spread over numba's threads."""
    n = X.shape[0]
    n_chunks = min(n, 512)
    for c in prange(n_chunks):
        _fit_rows(
            c * n // n_chunks,
            (c + 1) * n // n_chunks,
            X,
            Y,
            SW,
            P0,
            max_iter,
            P_out,
            A_out,
            rss_out,
            conv_out,
            iter_out,
        )


@njit(cache=True, nogil=True, error_model="numpy")
def _batch_serial(
    X: Array,
    Y: Array,
    SW: Array,
    P0: Array,
    max_iter: int,
    P_out: Array,
    A_out: Array,
    rss_out: Array,
    conv_out: NDArray[np.bool_],
    iter_out: NDArray[np.int64],
) -> None:
    """Fit every row in this thread (no numba threading: safe in any thread)."""
    _fit_rows(0, X.shape[0], X, Y, SW, P0, max_iter, P_out, A_out, rss_out, conv_out, iter_out)


# numba's default (workqueue) threading layer must not be entered by two threads at once: the
# thread holding this lock runs the parallel loop, any other (a Dask worker thread) the serial one
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


def lm_sigmoid(
    X: Array, Y: Array, sw: Array | None, P0: Array, max_iter: int
) -> tuple[Array, Array, Array, NDArray[np.bool_], NDArray[np.int64]]:
    """``_levenberg_marquardt`` of :mod:`cxcr4lab.fit.batch` for the sigmoid models.

    ``X``, ``Y`` ``(n, m)`` (absent points already filled), ``sw`` the square roots of the
    weights (0 for an absent point) or None, ``P0`` ``(k, n)`` with ``k`` 4 (4PL) or 3 (one
    site). Returns ``P`` ``(k, n)``, ``J^T J`` ``(k, k, n)``, RSS, converged, iterations.
    """
    k, n = P0.shape
    if k not in (3, 4):
        raise ValueError(f"the sigmoid kernel takes 3 or 4 parameters, not {k}")
    Xc = np.ascontiguousarray(X, dtype=np.float64)
    Yc = np.ascontiguousarray(Y, dtype=np.float64)
    SW = np.ones_like(Yc) if sw is None else np.ascontiguousarray(sw, dtype=np.float64)
    P0c = np.ascontiguousarray(P0, dtype=np.float64)
    P = np.empty((k, n))
    A = np.empty((k, k, n))
    rss = np.empty(n)
    conv = np.zeros(n, dtype=np.bool_)
    iters = np.zeros(n, dtype=np.int64)
    args = (Xc, Yc, SW, P0c, int(max_iter), P, A, rss, conv, iters)
    if n > 1 and _PARALLEL.acquire(blocking=False):
        # chunks are handed out one at a time: a thread slowed by other work does not hold
        # up the others (the machine may be shared)
        before = set_parallel_chunksize(1)
        try:
            _batch_parallel(*args)
        finally:
            set_parallel_chunksize(before)
            _PARALLEL.release()
    else:
        _batch_serial(*args)
    return P, A, rss, conv, iters
