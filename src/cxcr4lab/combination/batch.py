"""Score many combination blocks at once: SynergyFinder's HSA, Bliss, Loewe and ZIP, batched.

:func:`score_blocks_batched` returns what :func:`~cxcr4lab.combination.reference.score_blocks`
returns (one :class:`~cxcr4lab.combination.reference.BlockScores` per block, responses in %
inhibition, concentrations in the units as given), computed for all blocks of one shape
together:

* **Bliss** and **HSA**: array operations on the stack of response matrices ``(n, rows,
  cols)``; block scores and p-values as reductions over the stack.
* **The LL.4 fits**: the two single-drug fits of every block and every ZIP slice (each row and
  column of every block, ``c`` fixed per slice at the slice's dose-0 response): ``2 + rows +
  cols`` curves per block, all fitted in one compiled (numba) pass over the curves, on all
  cores. Before the pass, drc's scaling and self-start transforms are computed for all curves
  at once in numpy; curves whose LL.4 fit fails are refitted together as L.4 on log dose, as
  :func:`~cxcr4lab.combination.drc.fit_dose_response` does one curve at a time.
* **Loewe**: the inverse curves at SynergyFinder's 100 candidate responses for every block, and
  the distance ``|a / X_r(y) + b / X_c(y) - 1|`` for every combination cell and candidate, as
  one ``(n, rows - 1, cols - 1, 100)`` array; the first minimum of each cell is taken.
* **ZIP**: the slice predictions and the Bliss reference of the free fits, as arrays.

Why not :func:`cxcr4lab.fit.batch.fit_many`'s Levenberg-Marquardt: that engine holds a fixed
parameter at one value for all curves (``fixed_model``), not one per slice; that could be worked
around (fit ``y - c`` with the bottom fixed at 0), but SynergyFinder's Loewe and ZIP depend on
*where drc's BFGS stops*, not on the least-squares optimum (:mod:`.drc`). Measured on
``tests/data/synergy/blocks.csv`` with every fit carried on to its least-squares optimum
(``drc.refine_fit``: the best a Levenberg-Marquardt can do, started from drc's own estimate):
ZIP cells move by up to 1.82 % inhibition (SynergyFinder's tolerance there is 0.5), Loewe cells
of block 2 by up to 5.6 and its Loewe score by 1.68. So the compiled pass runs :mod:`.drc`'s
fitting path itself, batched across curves: drm's scaling and self-start line (LAPACK
``gelsd`` as ``numpy.linalg.lstsq``), R's ``vmmin`` BFGS with optim's central differences and
Hessian pass, the L.4 fallback, the exactly rounded sum of squares (``math.fsum``'s algorithm)
and the C library's ``exp``/``log``/``pow`` (numba calls the libm Python's ``math`` calls). The
numpy steps (self-start transforms, predictions, Loewe's distances) are the reference path's
numpy calls on stacked arrays.

How close: not merely the same least-squares problem but the same optimiser path with the same
arithmetic, so nothing is left to differ in the last digits here. Measured difference from the
reference path, every fit, per-cell reference, synergy, ZIP surface, block score and p-value:
0 on the three NCATS 10x10 blocks (``blocks.csv``) and the six public blocks
(``public_blocks.csv``) under each baseline correction, 0 on 4,300 seeded simulated blocks, and
the same fit on about 32,000 random single curves (free and fixed ``c``, 3,900 L.4 fallbacks).
Against R SynergyFinder 3.7.3 (``reference_cells.csv``, ``reference_blocks.csv``) the batched
scores are therefore the reference path's (blocks 1 / 2 / 3): Bliss and HSA per cell 3.6e-15;
Loewe per cell 1.4e-12 / 2.7e-5 / 1.7e-10, per block 7.7e-13 / 1.1e-5 / 1.3e-10; ZIP per cell
3.6e-7 / 2.7e-3 / 3.2e-3, per block 1.2e-9 / 5.1e-5 / 6.3e-5; single-drug fits 2.0e-13 /
2.2e-6 / 1.7e-12 relative. Last digits could part on another machine (a libm or compiler that
rounds ``exp`` or a multiply-add differently), and on an ill-conditioned slice a last-digit
change can move BFGS's stopping point by a step (about 1e-3 on a ZIP cell, the kind of
difference seen against R); tests/combination/test_batch.py would show it.

Where the time goes (cProfile, 2,000 6x6 blocks): about 85 % in the compiled fits, where the 5 %
of curves that run to optim's 500 iterations (step-like ZIP slices) take about 45 %; Loewe's
arrays about 5 %, building the result objects most of the rest.

Not batched: ``loewe_solver="exact"`` (use :func:`score_blocks`), and a block holding a NaN
response (scored by :func:`~cxcr4lab.combination.reference.score_block`, in its place). Where
drc's self-start slope is exactly 0 (a monotherapy symmetric in log dose) the reference path
raises ``ZeroDivisionError`` (``drc._self_start`` divides Python floats); this path divides as
C and R do (IEEE), so drm stops with an error there and the fit is redone as L.4, as
SynergyFinder does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, get_args

import numpy as np
from numba import njit, prange, set_parallel_chunksize
from numpy.typing import NDArray

from cxcr4lab.combination.blocks import Block, BlockSet
from cxcr4lab.combination.drc import DEFAULT_CONTROL, ZERO_DOSE, DrcControl, DrcFit
from cxcr4lab.combination.reference import (
    LOEWE_STEPS,
    METHODS,
    BaselineCorrection,
    BlockScores,
    LoeweCase,
    LoeweGrid,
    Matrix,
    Method,
    MethodScores,
    SingleDrugFits,
    _check,
    _methods,
    conc_ratio,
    score_block,
)
from cxcr4lab.core.errors import InputError, quote

# numba's workqueue threading layer is process-wide and must not be entered by two threads at
# once: share the lock of the fit engine's compiled kernels (whoever holds it runs in parallel,
# any other thread runs its curves serially)
from cxcr4lab.fit._kernels import _PARALLEL

__all__ = ["CHUNK", "score_blocks_batched"]

Array = NDArray[np.float64]
Mask = NDArray[np.bool_]
Progress = Callable[[int, int], None]

CHUNK = 1024
"""Blocks scored together, at most; fewer for blocks with more than 25 combination cells, so
that Loewe's ``(blocks, rows - 1, cols - 1, 100)`` distance array stays near 20 MB (2.56 million
doubles). ``progress`` is called after each chunk."""
_CHUNK_CELLS: Final = 25 * 1024

# drc.vmmin's constants (R's optim.c), copied: numba freezes globals into its disk cache.
_STEPREDN: Final = 0.2
_ACCTOL: Final = 0.0001
_RELTEST: Final = 10.0
_EPS: Final = 2.220446049250313e-16  # numpy.linalg.lstsq's rcond is eps * max(M, N)

# model codes of the compiled fits
_NONE: Final = -1
_LL4: Final = 0
_L4: Final = 1


# --- compiled drc: one curve ---------------------------------------------------------------------


@njit(cache=True, nogil=True, error_model="numpy")
def _fsum(v: Array, n: int, partials: Array) -> float:  # pragma: no cover - compiled
    """``math.fsum(v[:n])``: CPython's exactly rounded sum (Shewchuk's partials, then the
    half-even correction); an intermediate overflow gives ``inf`` (Python raises)."""
    m = 0
    special = 0.0
    for k in range(n):
        x = v[k]
        xsave = x
        i = 0
        for j in range(m):
            y = partials[j]
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            yr = hi - x
            lo = y - yr
            if lo != 0.0:
                partials[i] = lo
                i += 1
            x = hi
        m = i
        if x != 0.0:
            if not math.isfinite(x):
                if math.isfinite(xsave):
                    return math.inf
                special += xsave
                m = 0
            else:
                partials[m] = x
                m += 1
    if special != 0.0:
        return special
    hi = 0.0
    if m > 0:
        m -= 1
        hi = partials[m]
        lo = 0.0
        while m > 0:
            x = hi
            m -= 1
            y = partials[m]
            hi = x + y
            yr = hi - x
            lo = y - yr
            if lo != 0.0:
                break
        if m > 0 and ((lo < 0.0 and partials[m - 1] < 0.0) or (lo > 0.0 and partials[m - 1] > 0.0)):
            y = lo * 2.0
            x = hi + y
            yr = x - hi
            if y == yr:
                hi = x
    return float(hi)


@njit(cache=True, nogil=True, error_model="numpy")
def _sse(
    p: Array,
    ps: Array,
    fix_c: bool,
    c_fixed: float,
    ll4: bool,
    x: Array,
    y: Array,
    n: int,
    work: Array,
) -> tuple[float, bool]:  # pragma: no cover - compiled
    """drm's objective at scaled parameters ``p`` (``theta = p * parscale``): the residual sum
    of squares and whether drm stops (a non-finite parameter).

    ``work`` (``4 n + 4``): the squares, fsum's partials, and the last ``e`` and ``b`` with
    their ``log(x / e)`` and ``exp(b log(x / e))``, reused as they are (the same numbers): the
    central differences in ``b``, ``c`` and ``d`` keep ``e``, those in ``c`` and ``d`` keep
    ``b``. The caller sets the two keys to NaN before a new curve."""
    k = p.shape[0]
    t0 = p[0] * ps[0]
    t1 = p[1] * ps[1]
    t2 = p[2] * ps[2]
    t3 = p[3] * ps[3] if k == 4 else 0.0
    if not (math.isfinite(t0) and math.isfinite(t1) and math.isfinite(t2) and math.isfinite(t3)):
        return math.nan, True
    b = t0
    if fix_c:
        c, d, e = c_fixed, t1, t2
    else:
        c, d, e = t1, t2, t3
    sq = work[:n]
    partials = work[n : 2 * n + 2]
    logs = work[2 * n + 2 : 3 * n + 2]
    exps = work[3 * n + 2 : 4 * n + 2]
    same_e = e == work[4 * n + 2] and (
        e != 0.0 or math.copysign(1.0, e) == math.copysign(1.0, work[4 * n + 2])
    )
    if not same_e:
        for j in range(n):
            if ll4:
                q = x[j] / e
                if math.isnan(q) or q < 0.0:
                    logs[j] = math.nan
                elif q == 0.0:
                    logs[j] = -math.inf
                else:
                    logs[j] = math.log(q)
            else:
                logs[j] = x[j] - e
        work[4 * n + 2] = e
    if not (same_e and b == work[4 * n + 3]):
        for j in range(n):
            z = b * logs[j]
            exps[j] = math.nan if math.isnan(z) else math.exp(z)
        work[4 * n + 3] = b
    for j in range(n):
        r = y[j] - (c + (d - c) / (1.0 + exps[j]))
        sq[j] = r * r
    return _fsum(sq, n, partials), False


@njit(cache=True, nogil=True, error_model="numpy")
def _gradient(
    p: Array,
    ps: Array,
    fix_c: bool,
    c_fixed: float,
    ll4: bool,
    x: Array,
    y: Array,
    n: int,
    ndeps: float,
    work: Array,
    q: Array,
    out: Array,
) -> bool:  # pragma: no cover - compiled
    """optim's central-difference gradient into ``out`` (``q``: scratch of ``p``'s length);
    False where R stops with an error."""
    k = p.shape[0]
    for i in range(k):
        for j in range(k):
            q[j] = p[j]
        q[i] = p[i] + ndeps
        v1, bad = _sse(q, ps, fix_c, c_fixed, ll4, x, y, n, work)
        if bad:
            return False
        q[i] = p[i] - ndeps
        v2, bad = _sse(q, ps, fix_c, c_fixed, ll4, x, y, n, work)
        if bad:
            return False
        df = (v1 - v2) / (2 * ndeps)
        if not math.isfinite(df):
            return False
        out[i] = df
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def _drm_one(
    x: Array,
    y: Array,
    xtr: Array,
    ytr: Array,
    c0: float,
    d0: float,
    fix_c: bool,
    c_fixed: float,
    ll4: bool,
    maxit: int,
    reltol: float,
    ndeps: float,
    out: Array,
) -> int:  # pragma: no cover - compiled
    """:func:`cxcr4lab.combination.drc.drm` on one scaled curve, from its self-start
    transforms: ``out`` = b, c, d, e (scaled), RSS (scaled), optim's gradient count and 1/0
    for converged. Returns 1, or 0 where drm stops with an error (the caller falls back)."""
    n = x.shape[0]
    if n < 2:
        return 0
    # self-start line: lm(log((d - y)/(y - c)) ~ log(dose)) over the finite x
    m = 0
    for j in range(n):
        if math.isfinite(xtr[j]):
            m += 1
    if m < 2:
        return 0
    A = np.empty((m, 2))
    rhs = np.empty(m)
    q = 0
    for j in range(n):
        if math.isfinite(xtr[j]):
            if not math.isfinite(ytr[j]):
                return 0
            A[q, 0] = 1.0
            A[q, 1] = xtr[j]
            rhs[q] = ytr[j]
            q += 1
    coef, _, rank, _ = np.linalg.lstsq(A, rhs, rcond=_EPS * max(m, 2))
    if rank < 2:
        return 0
    b_start = coef[1]
    e_start = -coef[0] / b_start
    if ll4:
        e_start = math.nan if math.isnan(e_start) else math.exp(e_start)
    k = 3 if fix_c else 4
    start = np.empty(k)
    start[0] = b_start
    if fix_c:
        start[1] = d0
        start[2] = e_start
    else:
        start[1] = c0
        start[2] = d0
        start[3] = e_start
    ps = np.empty(k)
    for i in range(k):
        ps[i] = abs(start[i]) if abs(start[i]) >= 1e-4 else 1.0
    for i in range(k):
        if not math.isfinite(start[i]):
            return 0
    work = np.full(4 * n + 4, np.nan)
    scratch = np.empty(k)
    b = np.empty(k)
    for i in range(k):
        b[i] = start[i] / ps[i]

    # R's vmmin, line by line as drc.vmmin
    f, bad = _sse(b, ps, fix_c, c_fixed, ll4, x, y, n, work)
    if bad or not math.isfinite(f):
        return 0
    fmin = f
    gradcount = 1
    g = np.empty(k)
    if not _gradient(b, ps, fix_c, c_fixed, ll4, x, y, n, ndeps, work, scratch, g):
        return 0
    it = 1
    ilast = gradcount
    B = np.zeros((k, k))
    t = np.zeros(k)
    xv = np.zeros(k)
    cv = np.zeros(k)
    count = 0
    abstol = -math.inf
    while True:
        if ilast == gradcount:
            for i in range(k):
                for j in range(i):
                    B[i, j] = 0.0
                B[i, i] = 1.0
        for i in range(k):
            xv[i] = b[i]
            cv[i] = g[i]
        gradproj = 0.0
        for i in range(k):
            s = 0.0
            for j in range(i + 1):
                s -= B[i, j] * g[j]
            for j in range(i + 1, k):
                s -= B[j, i] * g[j]
            t[i] = s
            gradproj += s * g[i]
        if gradproj < 0.0:
            steplength = 1.0
            accpoint = False
            while True:
                count = 0
                for i in range(k):
                    b[i] = xv[i] + steplength * t[i]
                    if _RELTEST + xv[i] == _RELTEST + b[i]:
                        count += 1
                if count < k:
                    f, bad = _sse(b, ps, fix_c, c_fixed, ll4, x, y, n, work)
                    if bad:
                        return 0
                    accpoint = math.isfinite(f) and f <= fmin + gradproj * steplength * _ACCTOL
                    if not accpoint:
                        steplength *= _STEPREDN
                if count == k or accpoint:
                    break
            enough = f > abstol and abs(f - fmin) > reltol * (abs(fmin) + reltol)
            if not enough:
                count = k
                fmin = f
            if count < k:
                fmin = f
                if not _gradient(b, ps, fix_c, c_fixed, ll4, x, y, n, ndeps, work, scratch, g):
                    return 0
                gradcount += 1
                it += 1
                d1 = 0.0
                for i in range(k):
                    t[i] = steplength * t[i]
                    cv[i] = g[i] - cv[i]
                    d1 += t[i] * cv[i]
                if d1 > 0:
                    d2 = 0.0
                    for i in range(k):
                        s = 0.0
                        for j in range(i + 1):
                            s += B[i, j] * cv[j]
                        for j in range(i + 1, k):
                            s += B[j, i] * cv[j]
                        xv[i] = s
                        d2 += s * cv[i]
                    d2 = 1.0 + d2 / d1
                    for i in range(k):
                        for j in range(i + 1):
                            B[i, j] += (d2 * t[i] * t[j] - xv[i] * t[j] - t[i] * xv[j]) / d1
                else:
                    ilast = gradcount
            elif ilast < gradcount:
                count = 0
                ilast = gradcount
        else:
            count = 0
            if ilast == gradcount:
                count = k
            else:
                ilast = gradcount
        if it >= maxit:
            break
        if gradcount - ilast > 2 * k:
            ilast = gradcount
        if count == k and ilast == gradcount:
            break

    # optim(hessian = TRUE): optimhess's gradient evaluations can fail too
    h = b.copy()
    for i in range(k):
        eps = ndeps / ps[i]
        h[i] = h[i] + eps
        if not _gradient(h, ps, fix_c, c_fixed, ll4, x, y, n, ndeps, work, scratch, g):
            return 0
        h[i] = h[i] - 2 * eps
        if not _gradient(h, ps, fix_c, c_fixed, ll4, x, y, n, ndeps, work, scratch, g):
            return 0
        h[i] = h[i] + eps
    rss, bad = _sse(b, ps, fix_c, c_fixed, ll4, x, y, n, work)
    if bad:
        return 0
    out[0] = b[0] * ps[0]
    if fix_c:
        out[1] = c_fixed
        out[2] = b[1] * ps[1]
        out[3] = b[2] * ps[2]
    else:
        out[1] = b[1] * ps[1]
        out[2] = b[2] * ps[2]
        out[3] = b[3] * ps[3]
    out[4] = rss
    out[5] = gradcount
    out[6] = 1.0 if it < maxit else 0.0
    return 1


@njit(cache=True, nogil=True, error_model="numpy")
def _drm_rows(
    lo: int,
    hi: int,
    X: Array,
    Y: Array,
    XT: Array,
    YT: Array,
    C0: Array,
    D0: Array,
    FIX: Mask,
    CF: Array,
    ll4: bool,
    maxit: int,
    reltol: float,
    ndeps: float,
    out: Array,
    ok: Mask,
) -> None:  # pragma: no cover - compiled
    """Curves ``lo`` to ``hi - 1`` in this thread."""
    for i in range(lo, hi):
        ok[i] = (
            _drm_one(
                X[i],
                Y[i],
                XT[i],
                YT[i],
                C0[i],
                D0[i],
                FIX[i],
                CF[i],
                ll4,
                maxit,
                reltol,
                ndeps,
                out[i],
            )
            == 1
        )


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def _drm_parallel(
    X: Array,
    Y: Array,
    XT: Array,
    YT: Array,
    C0: Array,
    D0: Array,
    FIX: Mask,
    CF: Array,
    ll4: bool,
    maxit: int,
    reltol: float,
    ndeps: float,
    out: Array,
    ok: Mask,
) -> None:  # pragma: no cover - compiled
    """Every curve, spread over numba's threads in up to 512 chunks."""
    n = X.shape[0]
    n_chunks = min(n, 512)
    for c in prange(n_chunks):
        _drm_rows(
            c * n // n_chunks, (c + 1) * n // n_chunks,
            X, Y, XT, YT, C0, D0, FIX, CF, ll4, maxit, reltol, ndeps, out, ok,
        )  # fmt: skip


@njit(cache=True, nogil=True, error_model="numpy")
def _scaling(med: Array) -> Array:  # pragma: no cover - compiled
    """drm's ``10^floor(log10(median))`` per curve (1 when not positive or below 1e-15), with
    the C library's ``log10`` and ``pow`` as Python's ``math`` (numpy's may differ by an ulp,
    which matters at a median that is a power of 10)."""
    out = np.empty(med.shape[0])
    for i in range(med.shape[0]):
        m = med[i]
        s = math.pow(10.0, np.floor(math.log10(m))) if m > 0 else math.nan
        out[i] = 1.0 if math.isnan(s) or s < 1e-15 else s
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def _r_pow(x: float, y: float) -> float:  # pragma: no cover - compiled
    """:func:`cxcr4lab.combination.drc.r_pow` (R's ``x ^ y``)."""
    if y == 2.0:
        return x * x
    if x == 1.0 or y == 0.0:
        return 1.0
    if x == 0.0:
        if y > 0:
            return 0.0
        return math.inf if y < 0 else y
    if math.isfinite(x) and math.isfinite(y):
        return math.pow(x, y)  # NaN for a negative base and a non-integer y, +-inf on overflow
    if math.isnan(x) or math.isnan(y):
        return x + y
    if not math.isfinite(x):
        if x > 0:
            return 0.0 if y < 0 else math.inf
        if math.isfinite(y) and y == np.floor(y):
            if y < 0:
                return 0.0
            return x if y % 2.0 != 0 else -x  # an odd power keeps the sign
    if not math.isfinite(y) and x >= 0:
        if y > 0:
            return math.inf if x >= 1 else 0.0
        return math.inf if x < 1 else 0.0
    return math.nan


@njit(cache=True, nogil=True, error_model="numpy")
def _dose_for(
    yv: Array, model: NDArray[np.int64], b: Array, c: Array, d: Array, e: Array
) -> Array:  # pragma: no cover - compiled
    """:meth:`DrcFit.dose_for` of curve ``i`` at every response of ``yv[i]`` (``yv`` 2-D, one
    row per curve): the dose reaching each response, ``inf`` above both asymptotes and ``0``
    otherwise where unreachable."""
    out = np.empty_like(yv)
    for i in range(yv.shape[0]):
        bi, ci, di, ei = b[i], c[i], d[i], e[i]
        top = max(ci, di)
        for j in range(yv.shape[1]):
            v = yv[i, j]
            if model[i] == 0:
                res = ei * _r_pow((v - di) / (ci - v), 1.0 / bi)
            else:
                q = (di - v) / (v - ci)
                if math.isnan(q) or q < 0:
                    lg = math.nan
                elif q == 0:
                    lg = -math.inf
                else:
                    lg = math.log(q)
                z = ei + lg / bi
                res = math.nan if math.isnan(z) else math.exp(z)
            if math.isnan(res):
                res = math.inf if v > top else 0.0
            out[i, j] = res
    return out


# --- batched drc fits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fits:
    """Fits of ``n`` curves: model code (-1 none, 0 LL.4, 1 L.4), drc's b, c, d, e, RSS,
    optim's gradient count and convergence."""

    model: NDArray[np.int64]
    b: Array
    c: Array
    d: Array
    e: Array
    rss: Array
    iterations: NDArray[np.int64]
    converged: Mask

    def take(self, idx: slice | NDArray[np.intp]) -> _Fits:
        return _Fits(
            self.model[idx], self.b[idx], self.c[idx], self.d[idx], self.e[idx],
            self.rss[idx], self.iterations[idx], self.converged[idx],
        )  # fmt: skip

    def predict(self, dose: Array) -> Array:
        """:meth:`DrcFit.predict` of curve ``i`` at ``dose[i]`` (NaN where not fitted)."""
        col = (slice(None), None)
        b, c, d, e = self.b[col], self.c[col], self.d[col], self.e[col]
        with np.errstate(all="ignore"):
            z_ll4 = b * np.log(dose / e)
            z_l4 = b * (np.log(np.where(dose == 0, ZERO_DOSE, dose)) - e)
            z = np.where((self.model == _LL4)[col], z_ll4, z_l4)
            out: Array = c + (d - c) / (1 + np.exp(z))
        return np.where((self.model == _NONE)[col], np.nan, out)

    def drc_fit(self, i: int) -> DrcFit | None:
        if self.model[i] == _NONE:
            return None
        return DrcFit(
            model="LL.4" if self.model[i] == _LL4 else "L.4",
            b=float(self.b[i]),
            c=float(self.c[i]),
            d=float(self.d[i]),
            e=float(self.e[i]),
            rss=float(self.rss[i]),
            iterations=int(self.iterations[i]),
            converged=bool(self.converged[i]),
        )


def _run_drm(
    X: Array, Y: Array, fixed_c: Array, ll4: bool, control: DrcControl
) -> tuple[Mask, Array]:
    """One drm pass (LL.4, or L.4 on ``X`` = log dose) over every row: drm's scaling and
    self-start transforms in numpy, the optimisation compiled. Returns ok and ``(n, 7)``
    (b, c, d, e, RSS, gradient count, converged) in the user's units."""
    n = X.shape[0]
    if ll4:
        ds = _scaling(np.median(X, axis=1))
        rs = _scaling(np.median(Y, axis=1))
    else:
        ds = rs = np.ones(n)
    xs = X / ds[:, None]
    ys = Y / rs[:, None]
    lo, hi = ys.min(axis=1), ys.max(axis=1)
    inc = 0.001 * (hi - lo)
    c0, d0 = lo - inc, hi + inc
    with np.errstate(all="ignore"):
        ytr = np.log((d0[:, None] - ys) / (ys - c0[:, None]))
        xtr = np.where(xs > 0, np.log(np.where(xs > 0, xs, 1.0)), np.nan) if ll4 else xs
        cf = fixed_c / rs
    fix = ~np.isnan(fixed_c)
    out = np.full((n, 7), np.nan)
    ok = np.zeros(n, dtype=np.bool_)
    args = (
        np.ascontiguousarray(xs), np.ascontiguousarray(ys), np.ascontiguousarray(xtr),
        np.ascontiguousarray(ytr), c0, d0, fix, np.where(fix, cf, 0.0), ll4,
        int(control.max_it), float(control.rel_tol), float(control.ndeps), out, ok,
    )  # fmt: skip
    if n > 1 and _PARALLEL.acquire(blocking=False):
        before = set_parallel_chunksize(1)  # chunks one at a time: a busy core holds no one up
        try:
            _drm_parallel(*args)
        finally:
            set_parallel_chunksize(before)
            _PARALLEL.release()
    else:
        _drm_rows(0, n, *args)
    out[:, 1] = np.where(fix, fixed_c, out[:, 1] * rs)
    out[:, 2] *= rs
    out[:, 3] *= ds
    out[:, 4] = out[:, 4] * rs * rs
    return ok, out


def _fit_curves(dose: Array, response: Array, fixed_c: Array, control: DrcControl) -> _Fits:
    """:func:`~cxcr4lab.combination.drc.fit_dose_response` of every row (``fixed_c`` NaN: free
    ``c``): LL.4, and L.4 on log dose for the rows whose LL.4 fit fails."""
    n, m = response.shape
    y = response.copy()
    if m != 1:
        flat = np.ptp(y, axis=1) == 0
        y[flat, -1] = y[flat, -1] + ZERO_DOSE
    model = np.full(n, _NONE, dtype=np.int64)
    res = np.full((n, 7), np.nan)
    ok, out = _run_drm(dose, y, fixed_c, True, control)
    model[ok] = _LL4
    res[ok] = out[ok]
    redo = np.flatnonzero(~ok)
    if redo.size:
        with np.errstate(divide="ignore"):
            u = np.log(np.where(dose[redo] == 0, ZERO_DOSE, dose[redo]))
        ok2, out2 = _run_drm(u, y[redo], fixed_c[redo], False, control)
        model[redo[ok2]] = _L4
        res[redo[ok2]] = out2[ok2]
    res = np.ascontiguousarray(res.T)  # contiguous rows: one compiled variant of _dose_for
    return _Fits(
        model=model,
        b=res[0],
        c=res[1],
        d=res[2],
        e=res[3],
        rss=res[4],
        iterations=np.nan_to_num(res[5]).astype(np.int64),
        converged=res[6] == 1.0,
    )


# --- a stack of blocks of one shape ---------------------------------------------------------------


@dataclass(frozen=True)
class _Stack:
    """``n`` blocks of one shape: responses ``(n, r, c)`` % inhibition, doses ``(n, r)`` and
    ``(n, c)`` in the units as given, and the column-to-row unit ratio ``(n,)``."""

    y: Array
    dose_r: Array
    dose_c: Array
    ratio: Array

    @property
    def n(self) -> int:
        return int(self.y.shape[0])


def _single_fits(s: _Stack, control: DrcControl) -> tuple[_Fits, _Fits]:
    """The free LL.4 fits of both monotherapies of every block (row drug, column drug)."""
    free = np.full(s.n, np.nan)
    return (
        _fit_curves(s.dose_r, s.y[:, :, 0], free, control),
        _fit_curves(s.dose_c, s.y[:, 0, :], free, control),
    )


def _all_fits(s: _Stack, control: DrcControl) -> tuple[_Fits, _Fits, Array, Array]:
    """The single-drug fits and ZIP's slice predictions, the curves of each drug in one pass:
    ``(row fits, column fits, along_r (n, r, c), along_c (n, r, c))``; a slice whose fits fail
    keeps its observed responses."""
    n, nr, nc = s.y.shape
    # along the row drug: the monotherapy (free c), then every column slice (c fixed at y[0, j])
    dose_r = np.concatenate([s.dose_r, np.repeat(s.dose_r, nc, axis=0)])
    resp_r = np.concatenate([s.y[:, :, 0], s.y.transpose(0, 2, 1).reshape(n * nc, nr)])
    fix_r = np.concatenate([np.full(n, np.nan), s.y[:, 0, :].reshape(n * nc)])
    fr = _fit_curves(dose_r, resp_r, fix_r, control)
    dose_c = np.concatenate([s.dose_c, np.repeat(s.dose_c, nr, axis=0)])
    resp_c = np.concatenate([s.y[:, 0, :], s.y.reshape(n * nr, nc)])
    fix_c = np.concatenate([np.full(n, np.nan), s.y[:, :, 0].reshape(n * nr)])
    fc = _fit_curves(dose_c, resp_c, fix_c, control)
    slices_r = fr.take(slice(n, None))
    pred_r = slices_r.predict(dose_r[n:])
    pred_r = np.where((slices_r.model == _NONE)[:, None], resp_r[n:], pred_r)
    along_r = pred_r.reshape(n, nc, nr).transpose(0, 2, 1)
    slices_c = fc.take(slice(n, None))
    pred_c = slices_c.predict(dose_c[n:])
    pred_c = np.where((slices_c.model == _NONE)[:, None], resp_c[n:], pred_c)
    along_c = pred_c.reshape(n, nr, nc)
    return fr.take(slice(0, n)), fc.take(slice(0, n)), along_r, along_c


def _correct(s: _Stack, how: BaselineCorrection, control: DrcControl) -> tuple[_Stack, Array]:
    """:func:`~cxcr4lab.combination.reference.correct_baseline` of every block."""
    if how == "non":
        return s, np.zeros(s.n)
    fr, fc = _single_fits(s, control)
    with np.errstate(invalid="ignore"):
        low_r = np.min(fr.predict(s.dose_r), axis=1)
        low_c = np.min(fc.predict(s.dose_c), axis=1)
    has_r, has_c = fr.model != _NONE, fc.model != _NONE
    # Python's min(row, col): the column's value only where it is smaller
    both = np.where(low_c < low_r, low_c, low_r)
    baseline = np.where(has_r & has_c, both, np.where(has_r, low_r, np.where(has_c, low_c, 0.0)))
    y = s.y
    sel = y < 0 if how == "part" else np.ones_like(y, dtype=bool)
    sel &= (has_r | has_c)[:, None, None]
    corrected = np.where(sel, y - ((100 - y) / 100 * baseline[:, None, None]), y)
    return _Stack(corrected, s.dose_r, s.dose_c, s.ratio), baseline


def _loewe(
    s: _Stack, fr: _Fits, fc: _Fits, mask: Mask
) -> tuple[Array, Array, Array, NDArray[np.int8]]:
    """SynergyFinder's Loewe grid search for every block: reference ``(n, r, c)``, grid low
    and high ``(n,)`` and per cell 0 monotherapy, 1 grid, 2 above all single-drug maxima,
    3 undefined (NaN where a single-drug fit is missing)."""
    n = s.n
    ref = s.y.copy()
    case = np.where(mask, 3, 0).astype(np.int8)[None].repeat(n, axis=0)
    good = (fr.model != _NONE) & (fc.model != _NONE)
    low = np.minimum(np.minimum(fr.c, fr.d), np.minimum(fc.c, fc.d))
    high = np.maximum(np.maximum(fr.c, fr.d), np.maximum(fc.c, fc.d))
    ref[~good] = np.where(mask, np.nan, ref[~good])
    if not good.any():
        return ref, low, high, case
    g = np.flatnonzero(good)
    fr_g, fc_g = fr.take(g), fc.take(g)
    lo, hi = low[g], high[g]
    by = (hi - lo) / (LOEWE_STEPS - 1)
    inner = lo[:, None] + np.arange(1, LOEWE_STEPS - 1)[None, :] * by[:, None]
    y_test = np.concatenate([lo[:, None], inner, hi[:, None]], axis=1)  # R's seq()
    y_test[lo == hi] = lo[lo == hi, None]

    def inverse(f: _Fits, yv: Array) -> Array:
        out: Array = _dose_for(yv, f.model, f.b, f.c, f.d, f.e)
        return out

    x_r, x_c = inverse(fr_g, y_test), inverse(fc_g, y_test)  # (m, 100)
    obs = s.y[g][:, 1:, 1:]
    m = g.size
    cap_r = inverse(fr_g, obs.reshape(m, -1)).reshape(obs.shape)
    cap_c = inverse(fc_g, obs.reshape(m, -1)).reshape(obs.shape)
    above = ~np.isfinite(cap_r) & ~np.isfinite(cap_c)
    a = s.dose_r[g][:, 1:, None]  # (m, r - 1, 1)
    b = s.dose_c[g][:, None, 1:]  # (m, 1, c - 1)
    ratio = s.ratio[g][:, None, None]
    sum_r = (a + b * ratio).reshape(m, -1)
    sum_c = (b + a / ratio).reshape(m, -1)
    p_r = fr_g.predict(sum_r).reshape(obs.shape)
    p_c = fc_g.predict(sum_c).reshape(obs.shape)
    at_sum = np.where(p_c > p_r, p_c, p_r)  # Python's max(p_r, p_c)
    with np.errstate(all="ignore"):
        dist = np.abs(
            a[..., None] / x_r[:, None, None, :] + b[..., None] / x_c[:, None, None, :] - 1
        )
    nan = np.isnan(dist)
    key = np.where(nan, np.inf, dist)
    best = np.argmin(key, axis=-1)
    # the first minimum that is not NaN (a row whose minimum is inf: the first inf)
    inf_first = np.argmax(dist == np.inf, axis=-1)
    lowest = np.take_along_axis(key, best[..., None], axis=-1)[..., 0]
    best = np.where(lowest == np.inf, inf_first, best)
    undefined = nan.all(axis=-1)
    grid = np.take_along_axis(y_test, best.reshape(m, -1), axis=1).reshape(obs.shape)
    value = np.where(above, at_sum, np.where(undefined, np.nan, grid))
    ref_g = ref[g]
    ref_g[:, 1:, 1:] = value
    ref[g] = ref_g
    case_g = case[g]
    case_g[:, 1:, 1:] = np.where(above, 2, np.where(undefined, 3, 1))
    case[g] = case_g
    return ref, low, high, case


def _zip(
    s: _Stack, fr: _Fits, fc: _Fits, along_r: Array, along_c: Array, mask: Mask
) -> tuple[Array, Array]:
    """ZIP's fitted and reference surfaces of every block (NaN at the combination cells where a
    single-drug fit is missing)."""
    pr = fr.predict(s.dose_r)
    pc = fc.predict(s.dose_c)
    zref = (1 - (1 - pr[:, :, None] / 100) * (1 - pc[:, None, :] / 100)) * 100
    zfit = (along_r + along_c) / 2
    good = ((fr.model != _NONE) & (fc.model != _NONE))[:, None, None]
    fitted = np.where(mask, np.where(good, zfit, np.nan), s.y)
    ref = np.where(mask, np.where(good, zref, np.nan), s.y)
    return fitted, ref


def _scores(observed: Array, reference: Array, mask: Mask) -> tuple[Array, Array, Array]:
    """Synergy ``(n, r, c)``, block score and SynergyFinder's p-value ``(n,)``, as
    ``reference._method_scores`` computes them one block at a time."""
    synergy = np.where(mask, observed - reference, 0.0)
    combo = np.ascontiguousarray(synergy[:, mask])  # rows summed as np.mean sums one block
    score = np.mean(combo, axis=1)
    if combo.shape[1] < 2:
        return synergy, score, np.full(len(score), np.nan)
    with np.errstate(all="ignore"):
        z = np.abs(np.mean(combo, axis=1)) / np.std(combo, axis=1, ddof=1)
        p = np.exp(-0.717 * z - 0.416 * z * z)
    return synergy, score, p


def _matrix(a: Array) -> Matrix:
    return tuple(map(tuple, a.tolist()))


_CASES: Final[tuple[LoeweCase, ...]] = (
    "monotherapy",
    "grid",
    "above_all_single_drug_maxima",
    "undefined",
)


def _score_stack(
    blocks: Sequence[Block],
    chosen: tuple[Method, ...],
    how: BaselineCorrection,
    control: DrcControl,
) -> list[BlockScores]:
    """Every chosen method of ``blocks`` (one shape, no NaN), in order."""
    s = _Stack(
        y=np.array([b.response for b in blocks], dtype=float),
        dose_r=np.array([b.conc_r_shown for b in blocks], dtype=float),
        dose_c=np.array([b.conc_c_shown for b in blocks], dtype=float),
        ratio=np.array([conc_ratio(b) for b in blocks], dtype=float),
    )
    nr, nc = s.y.shape[1:]
    mask = np.ones((nr, nc), dtype=bool)
    mask[0, :] = False
    mask[:, 0] = False
    s, baseline = _correct(s, how, control)
    needs_fits = any(m in ("zip", "loewe") for m in chosen)
    fr = fc = None
    along_r = along_c = None
    if needs_fits:
        if "zip" in chosen:
            fr, fc, along_r, along_c = _all_fits(s, control)
        else:
            fr, fc = _single_fits(s, control)
    per_method: dict[Method, tuple[Array, Array, Array, Array, Array | None]] = {}
    loewe_grid: tuple[Array, Array, NDArray[np.int8]] | None = None
    for m in chosen:
        fitted: Array | None = None
        if m == "bliss":
            ref = (1 - (1 - s.y[:, :, :1] / 100) * (1 - s.y[:, :1, :] / 100)) * 100
            ref = np.where(mask, ref, s.y)
            observed = s.y
        elif m == "hsa":
            ref = np.where(mask, np.maximum(s.y[:, :, :1], s.y[:, :1, :]), s.y)
            observed = s.y
        elif m == "loewe":
            assert fr is not None and fc is not None
            ref, low, high, case = _loewe(s, fr, fc, mask)
            loewe_grid = (low, high, case)
            observed = s.y
        else:
            assert fr is not None and fc is not None
            assert along_r is not None and along_c is not None
            fitted, ref = _zip(s, fr, fc, along_r, along_c, mask)
            observed = fitted
        syn, score, p = _scores(observed, ref, mask)
        per_method[m] = (ref, syn, score, p, fitted)

    out = []
    for i, block in enumerate(blocks):
        fits = (
            SingleDrugFits(fr.drc_fit(i), fc.drc_fit(i))
            if fr is not None and fc is not None
            else SingleDrugFits(None, None)
        )
        methods = []
        for m in chosen:
            ref, syn, score, p, fitted = per_method[m]
            grid = None
            if m == "loewe" and loewe_grid is not None and None not in (fits.row, fits.col):
                low, high, case = loewe_grid
                lo_i, hi_i = float(low[i]), float(high[i])
                grid = LoeweGrid(
                    lo_i,
                    hi_i,
                    (hi_i - lo_i) / (LOEWE_STEPS - 1),
                    tuple(tuple(_CASES[k] for k in row) for row in case[i].tolist()),
                    "grid",
                )
            methods.append(
                MethodScores(
                    method=m,
                    reference=_matrix(ref[i]),
                    synergy=_matrix(syn[i]),
                    score=float(score[i]),
                    p_value=float(p[i]),
                    fitted=_matrix(fitted[i]) if fitted is not None else None,
                    loewe=grid,
                )
            )
        out.append(
            BlockScores(
                block_id=block.block_id,
                drug_row=block.drug_row,
                drug_col=block.drug_col,
                conc_r=block.conc_r,
                conc_c=block.conc_c,
                conc_r_shown=block.conc_r_shown,
                conc_c_shown=block.conc_c_shown,
                unit_r=block.unit_r,
                unit_c=block.unit_c,
                response=_matrix(s.y[i]),
                correct_baseline=how,
                baseline=float(baseline[i]),
                fits=fits,
                methods=tuple(methods),
            )
        )
    return out


def score_blocks_batched(
    blocks: BlockSet | Iterable[Block],
    *,
    methods: Iterable[str] = METHODS,
    correct_baseline: BaselineCorrection = "non",
    control: DrcControl = DEFAULT_CONTROL,
    progress: Progress | None = None,
) -> tuple[BlockScores, ...]:
    """:func:`~cxcr4lab.combination.reference.score_blocks` of many blocks at once (the same
    result, in the order given; see the module docstring): responses % inhibition, each block's
    concentrations in its units as given. Blocks of one shape are scored together, in chunks of
    up to :data:`CHUNK`; ``progress(done, total)`` is called after each chunk."""
    items = blocks.blocks if isinstance(blocks, BlockSet) else tuple(blocks)
    chosen = _methods(methods)
    if correct_baseline not in get_args(BaselineCorrection):
        raise InputError(
            f"correct_baseline must be 'non', 'part' or 'all', got {quote(correct_baseline)}",
            field="correct_baseline",
        )
    total = len(items)
    results: list[BlockScores | None] = [None] * total
    groups: dict[tuple[int, int], list[int]] = {}
    done = 0
    for k, block in enumerate(items):
        y = block.matrix
        dr, dc = np.asarray(block.conc_r_shown, float), np.asarray(block.conc_c_shown, float)
        _check(y, dr, dc)  # the reference path's errors, before any work
        if np.isnan(y).any():
            results[k] = score_block(
                block, methods=chosen, correct_baseline=correct_baseline, control=control
            )
            done += 1
            continue
        groups.setdefault(block.shape, []).append(k)
    if done and progress is not None:
        progress(done, total)
    for (nr, nc), idx in groups.items():
        size = max(1, min(CHUNK, _CHUNK_CELLS // ((nr - 1) * (nc - 1))))
        for lo in range(0, len(idx), size):
            part = idx[lo : lo + size]
            scored = _score_stack([items[k] for k in part], chosen, correct_baseline, control)
            for k, r in zip(part, scored, strict=True):
                results[k] = r
            done += len(part)
            if progress is not None:
                progress(done, total)
    return tuple(r for r in results if r is not None)
