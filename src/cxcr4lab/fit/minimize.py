"""A robust least-squares minimiser: scipy's ``least_squares`` run with a strategy.

One call of Levenberg-Marquardt with default tolerances stops early on hard problems (it
reaches LRE >= 6 on 14 or 15 of the 27 NIST StRD problems from both starts). The strategy
below reaches all 27 with no knowledge of the problem:

1. **LM, tight.** MINPACK's Levenberg-Marquardt (``method="lm"``) with ``xtol = ftol = gtol =
   1e-15`` and ``x_scale="jac"`` (parameters scaled by the column norms of the Jacobian, so
   that ``b ~ 1e-9`` and ``b ~ 1e3`` move alike). A run whose best cost has not fallen for
   :data:`STALL_WINDOW` evaluations is stopped (a parameter drifting to infinity along a flat
   valley, as on a flat dose-response curve, would otherwise use all of ``max_nfev``).
2. **Continue.** While LM stops on its own tolerances but leaves a gradient that is not small
   (see :func:`_suspect`), restart it from where it stopped: a fresh trust region often
   finishes what a collapsed one could not.
3. **Fall back.** If the answer is still suspect — not converged, a gradient not small, or a
   Jacobian that is numerically rank-deficient (typically a plateau where an exponential has
   died out and a parameter no longer matters: BoxBOD from start 1) — run LM again from the
   start in the caller's units (``x_scale=1``); if even that leaves the run unconverged or
   with a large gradient, also ``"trf"`` and ``"dogbox"``. The lowest cost wins.
4. **Polish.** One last LM run from the best point, kept only if it lowers the cost; then up
   to :data:`POLISH_STEPS` Gauss-Newton steps (least-squares solves on the column-scaled
   Jacobian, null directions cut off by ``lstsq``'s rank tolerance) while the steps shrink.
   Near a minimum with non-zero residuals LM stops on ``ftol`` once the cost is flat to
   rounding, although the parameters are still converging linearly; these steps recover the
   last one to three significant digits (ENSO, Hahn1, Thurber, MGH09 in the StRD).

With ``bounds`` LM cannot be used; "trf" then plays its part, with "dogbox" as the fallback.
Parameters are the caller's; the minimiser never changes ``p0``.

A caller may pass ``runaway(x)``: true where a parameter has left every meaningful value (a
sigmoid's plateau far beyond its data, walked towards along a valley whose cost still falls by
a few parts per million). The run stops there and its best point is the answer
(:data:`RAN_AWAY`): no restart, fallback or polish walks the valley again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

__all__ = ["MinimizeResult", "minimize_lsq"]

Array = NDArray[np.float64]
Residuals = Callable[[Array], Array]

TOL = 1e-15
"""``xtol``, ``ftol`` and ``gtol`` of every solver run (relative; at the rounding floor)."""

MAX_RESTARTS = 4
"""How many times LM is restarted from where it stopped (step 2)."""

GRADIENT_TOL = 1e-7
"""A gradient is small when every column's cosine with the residual vector is below this."""

POLISH_STEPS = 12
"""Gauss-Newton steps of the final polish (step 4); it stops earlier once steps stop shrinking."""

RANK_TOL = 1e-12
"""A Jacobian is rank-deficient when its smallest singular value (columns scaled to unit norm)
is below this (its condition number above 1e12)."""


@dataclass(frozen=True)
class MinimizeResult:
    """The best point found: parameters ``x``, residuals ``fun`` and Jacobian ``jac`` there,
    whether a solver converged to it (``success``), how (``message``, ``method``) and the
    total number of residual evaluations over all runs (``nfev``)."""

    x: Array
    fun: Array
    jac: Array
    success: bool
    message: str
    nfev: int
    method: str = "lm"

    @property
    def cost(self) -> float:
        """Half the residual sum of squares, as scipy reports it."""
        return 0.5 * float(self.fun @ self.fun)


STALL_WINDOW = 200
"""A run is stopped when its best cost has not fallen by :data:`STALL_RTOL` (relative) over
this many residual evaluations: a parameter drifting off to infinity along a flat valley
(a flat dose-response curve) would otherwise use the whole ``max_nfev``."""

STALL_RTOL = 1e-12

STALLED = "stopped: no progress in the cost over the last evaluations"


RAN_AWAY = "stopped: a parameter ran away along a flat valley of the cost (see runaway)"


class _Stalled(Exception):
    """Raised inside a solver run to stop it (see :data:`STALL_WINDOW`)."""


class _RanAway(Exception):
    """Raised inside a solver run whose point the caller's ``runaway`` rejects."""


class _StallWatch:
    """Residual function that remembers its best point and stops a run making no progress."""

    def __init__(self, resid: Residuals, runaway: Callable[[Array], bool] | None = None) -> None:
        self.resid = resid
        self.runaway = runaway
        self.count = 0
        self.best_x: Array | None = None
        self.best_cost = np.inf
        self.mark_cost = np.inf  # best cost when the current window began
        self.mark_count = 0

    def __call__(self, x: Array) -> Array:
        if self.runaway is not None and self.best_x is not None and self.runaway(x):
            raise _RanAway
        fun = np.asarray(self.resid(x), dtype=float)
        self.count += 1
        cost = 0.5 * float(fun @ fun)
        if np.isfinite(cost) and cost < self.best_cost:
            self.best_cost, self.best_x = cost, np.array(x, dtype=float)
        if self.best_cost < self.mark_cost * (1 - STALL_RTOL) or not np.isfinite(self.mark_cost):
            self.mark_cost, self.mark_count = self.best_cost, self.count
        elif self.count - self.mark_count >= STALL_WINDOW and self.best_x is not None:
            raise _Stalled
        return fun


@dataclass
class _Run:
    x: Array
    fun: Array
    jac: Array
    status: int
    message: str
    method: str
    ran_away: bool = False

    @property
    def cost(self) -> float:
        c = 0.5 * float(self.fun @ self.fun)
        return c if np.isfinite(c) and np.all(np.isfinite(self.x)) else np.inf


def _scaled_gradient(fun: Array, jac: Array) -> float:
    """Largest cosine between a Jacobian column and the residuals (MINPACK's gtol measure)."""
    with np.errstate(all="ignore"):  # columns beyond float range: their norm is inf
        r = float(np.linalg.norm(fun))
        if r == 0.0:
            return 0.0
        norms = np.linalg.norm(jac, axis=0)
        if not (np.isfinite(r) and np.all(np.isfinite(norms))):
            return float("inf")  # not judged small: the run gets its second opinion
        g = np.abs(jac.T @ fun) / np.where(norms > 0, norms, 1.0) / r
    return float(np.max(g)) if g.size else 0.0


def _rank_deficient(jac: Array) -> bool:
    with np.errstate(all="ignore"):
        norms = np.linalg.norm(jac, axis=0)
    if np.any(norms == 0) or not np.all(np.isfinite(norms)) or not np.all(np.isfinite(jac)):
        return True
    s = np.linalg.svd(jac / norms, compute_uv=False)
    return bool(s[-1] <= RANK_TOL * s[0])


def _suspect(run: _Run) -> bool:
    """An answer worth a second opinion: not converged, non-finite, a gradient that is not
    small, or a rank-deficient Jacobian."""
    if run.status <= 0 or not np.isfinite(run.cost) or not np.all(np.isfinite(run.jac)):
        return True
    return _scaled_gradient(run.fun, run.jac) > GRADIENT_TOL or _rank_deficient(run.jac)


def _gauss_newton_polish(
    resid: Residuals,
    jac: Callable[[Array], Array],
    run: _Run,
    lb: Array | None,
    ub: Array | None,
) -> tuple[_Run, int]:
    """Gauss-Newton steps from ``run`` while they shrink and do not raise the cost beyond
    rounding; returns the polished run and the evaluations spent."""
    x, fun, jx = run.x, run.fun, run.jac
    cost = run.cost
    previous = np.inf
    nfev = 0
    eps = float(np.finfo(float).eps)
    for _ in range(POLISH_STEPS):
        with np.errstate(all="ignore"):  # huge columns: their norm is inf, which stops here
            norms = np.linalg.norm(jx, axis=0)
        if not np.all(np.isfinite(jx)) or not np.all(np.isfinite(norms)) or np.any(norms == 0):
            break
        with np.errstate(all="ignore"):
            z = np.linalg.lstsq(jx / norms, -fun, rcond=None)[0]
            delta = z / norms
            size = float(np.max(np.abs(delta) / np.maximum(np.abs(x), 1e-300)))
        if not np.isfinite(size) or size >= previous or size == 0.0:
            break
        trial = x + delta
        if lb is not None and ub is not None and np.any((trial < lb) | (trial > ub)):
            break
        with np.errstate(all="ignore"):
            f_new = np.asarray(resid(trial), dtype=float)
        nfev += 1
        with np.errstate(all="ignore"):
            c_new = 0.5 * float(f_new @ f_new)
        if not np.isfinite(c_new) or c_new > cost * (1 + 64 * eps):
            break
        with np.errstate(all="ignore"):
            j_new = np.asarray(jac(trial), dtype=float)
        x, fun, jx, cost, previous = trial, f_new, j_new, c_new, size
        if size < eps:
            break
    return _Run(x, fun, jx, run.status, run.message, run.method), nfev


def _unfinished(run: _Run) -> bool:
    """Suspect for more than a rank-deficient Jacobian: no convergence or a large gradient."""
    if run.status <= 0 or not np.isfinite(run.cost) or not np.all(np.isfinite(run.jac)):
        return True
    return _scaled_gradient(run.fun, run.jac) > GRADIENT_TOL


_LM_STATUS = {0: -1, 1: 2, 2: 3, 3: 4, 4: 1, 5: 0}
"""MINPACK ``lmder``'s ``info`` -> the status ``least_squares`` reports for it."""

_LM_MESSAGE = {
    -1: "Improper input parameters status returned from `leastsq`",
    0: "The maximum number of function evaluations is exceeded.",
    1: "`gtol` termination condition is satisfied.",
    2: "`ftol` termination condition is satisfied.",
    3: "`xtol` termination condition is satisfied.",
    4: "Both `ftol` and `xtol` termination conditions are satisfied.",
}
"""``least_squares``' text for each status, so a result reads the same whichever way LM ran."""


class _LastPoint:
    """Residuals and Jacobian kept for the last point asked, as ``least_squares`` keeps them
    (its ``VectorFunction``), so MINPACK sees the same sequence of evaluations either way."""

    def __init__(self, resid: Residuals, jac: Callable[[Array], Array]) -> None:
        self.resid, self.jacobian = resid, jac
        self.x: Array | None = None
        self.f: Array | None = None
        self.j: Array | None = None

    def _at(self, x: Array) -> Array:
        if self.x is None or not np.array_equal(x, self.x):
            self.x = np.array(x, dtype=np.float64)
            self.f = self.j = None
        return self.x

    def fun(self, x: Array) -> Array:
        here = self._at(x)
        if self.f is None:
            self.f = np.atleast_1d(np.asarray(self.resid(here), dtype=np.float64))
        return self.f

    def jac(self, x: Array) -> Array:
        here = self._at(x)
        if self.j is None:
            self.j = np.atleast_2d(np.asarray(self.jacobian(here), dtype=np.float64))
        return self.j


def _levenberg_marquardt(
    resid: Residuals,
    jac: Callable[[Array], Array],
    start: Array,
    max_nfev: int,
    x_scale: str | float,
) -> tuple[Array, int, str]:
    """MINPACK's ``lmder`` as ``least_squares(method="lm")`` runs it (same tolerances, scaling,
    step factor and evaluations, so the same answer to the last bit), through scipy's thinner
    ``leastsq``: a few hundred microseconds less per run, which a plate of small fits feels.
    Returns (x, status, message) with ``least_squares``' status and text; ValueError when the
    residuals are not finite at ``start``."""
    point = _LastPoint(resid, jac)
    f0 = point.fun(start)
    point.jac(start)
    if not np.all(np.isfinite(f0)):
        raise ValueError("Residuals are not finite in the initial point.")
    diag = None if isinstance(x_scale, str) else 1.0 / np.full(start.shape, float(x_scale))
    x, _, _, _, info = optimize.leastsq(
        point.fun,
        start,
        Dfun=point.jac,
        full_output=True,
        ftol=TOL,
        xtol=TOL,
        gtol=TOL,
        maxfev=max_nfev,
        factor=100.0,
        diag=diag,
    )
    status = _LM_STATUS.get(int(info), -1)
    return np.asarray(x, dtype=float), status, _LM_MESSAGE[status]


def minimize_lsq(
    resid: Residuals,
    jac: Callable[[Array], Array],
    p0: ArrayLike,
    *,
    bounds: tuple[ArrayLike, ArrayLike] | None = None,
    max_nfev: int = 2000,
    methods: Sequence[str] = ("trf", "dogbox"),
    runaway: Callable[[Array], bool] | None = None,
) -> MinimizeResult:
    """Minimise ``sum(resid(p)**2)`` from ``p0`` (strategy in the module docstring).

    ``jac(p)`` returns d resid / d p, shape ``(len(resid(p)), len(p))``. ``bounds`` is
    ``(lower, upper)`` (use +/-inf for none); ``max_nfev`` caps the residual evaluations of
    each solver run; ``methods`` are the fallback solvers of step 3; ``runaway`` stops a run
    (see the module docstring). A start where the residuals are not finite gives
    ``success=False`` rather than an exception.
    """
    x0 = np.array(p0, dtype=float)
    nfev = 0
    lb = ub = None
    if bounds is not None:
        lb = np.broadcast_to(np.asarray(bounds[0], dtype=float), x0.shape)
        ub = np.broadcast_to(np.asarray(bounds[1], dtype=float), x0.shape)
        x0 = np.clip(x0, lb, ub)
        if not (np.any(np.isfinite(lb)) or np.any(np.isfinite(ub))):
            lb = ub = None

    def solve(start: Array, method: str, x_scale: str | float = "jac") -> _Run | None:
        nonlocal nfev
        kw: dict[str, object] = {}
        if lb is not None and ub is not None:
            kw["bounds"] = (lb, ub)
        watch = _StallWatch(resid, runaway)
        status, message, ran_away = 0, "", False
        try:
            with np.errstate(all="ignore"):
                if method == "lm":
                    x, status, message = _levenberg_marquardt(watch, jac, start, max_nfev, x_scale)
                else:
                    sol = optimize.least_squares(
                        watch,
                        start,
                        jac=jac,
                        method=method,
                        xtol=TOL,
                        ftol=TOL,
                        gtol=TOL,
                        x_scale=x_scale,
                        max_nfev=max_nfev,
                        **kw,
                    )
                    x, status, message = (
                        np.asarray(sol.x, dtype=float),
                        int(sol.status),
                        sol.message,
                    )
        except _Stalled:
            x, message = np.asarray(watch.best_x, dtype=float), STALLED
        except _RanAway:
            x, message, status, ran_away = np.asarray(watch.best_x, dtype=float), RAN_AWAY, 1, True
        except (ValueError, np.linalg.LinAlgError):
            nfev += watch.count
            return None  # residuals not finite at the start, or a breakdown inside
        nfev += watch.count
        # Evaluate at x (LM's reported Jacobian may be from an earlier iterate), and never
        # return a point worse than one already seen.
        with np.errstate(all="ignore"):
            fun = np.asarray(resid(x), dtype=float)
            cost = 0.5 * float(fun @ fun)
            if watch.best_x is not None and not watch.best_cost >= cost:
                x = watch.best_x
                fun = np.asarray(resid(x), dtype=float)
            jx = np.asarray(jac(x), dtype=float)
        return _Run(x, fun, jx, status, message, method, ran_away)

    with np.errstate(all="ignore"):
        n_resid = len(np.atleast_1d(np.asarray(resid(x0))))
    use_lm = lb is None and n_resid >= len(x0)
    primary = "lm" if use_lm else "trf"

    best = solve(x0, primary)
    if best is not None and best.ran_away:
        return MinimizeResult(best.x, best.fun, best.jac, True, RAN_AWAY, nfev, best.method)
    for _ in range(MAX_RESTARTS):
        # Continue only a run that stopped on its own tolerances with a gradient not small.
        if best is None or best.status <= 0 or not _suspect(best):
            break
        again = solve(best.x, primary)
        if again is None or again.cost >= best.cost:
            break
        best = again

    if use_lm and (best is None or _suspect(best)):
        run = solve(x0, "lm", 1.0)  # LM again, in the caller's units
        if run is not None and (best is None or run.cost < best.cost):
            best = run
    if best is None or _unfinished(best):
        for method in methods:
            if method == primary:
                continue
            run = solve(x0, method)
            if run is not None and (best is None or run.cost < best.cost):
                best = run

    if best is None:
        with np.errstate(all="ignore"):
            fun = np.asarray(resid(x0), dtype=float)
            jx = np.asarray(jac(x0), dtype=float)
        return MinimizeResult(x0, fun, jx, False, "residuals are not finite at the start", nfev)

    polished = solve(best.x, primary)
    if polished is not None and polished.cost <= best.cost:
        if polished.status <= 0 and best.status > 0:
            polished.status, polished.message = best.status, best.message
        best = polished
    best, spent = _gauss_newton_polish(resid, jac, best, lb, ub)
    nfev += spent

    success = best.status > 0 and bool(np.all(np.isfinite(best.x))) and np.isfinite(best.cost)
    return MinimizeResult(
        x=best.x,
        fun=best.fun,
        jac=best.jac,
        success=bool(success),
        message=best.message,
        nfev=nfev,
        method=best.method,
    )
