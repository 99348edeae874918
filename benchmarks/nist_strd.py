"""Accuracy on the 27 NIST StRD nonlinear regression problems, from both certified starts.

    uv run python benchmarks/nist_strd.py

For each problem and start: the minimum LRE (correct significant digits, capped at 11) over
the certified parameters, the LRE of the residual sum of squares, the residual evaluations
and the wall time, for ``cxcr4lab.fit.fit_curve`` with default settings and, as the named
baseline, ``scipy.optimize.least_squares(fun, x0)`` with scipy's default settings (trust-region
reflective, 2-point Jacobian, tolerances 1e-8). A problem counts when every parameter reaches
LRE >= 6 from both starts. Lanczos1's RSS LRE is meaningless (certified 1.4e-25, at the
rounding floor). Data: tests/data/nist_strd (public NIST data; README.md there).
The last two lines give the baseline's count and then
``NIST StRD: N/27 problems with LRE>=6 from both starts`` for cxcr4lab.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from cxcr4lab.fit import fit_curve
from cxcr4lab.fit.models import Model
from cxcr4lab.fit.nist import NIST_PROBLEMS, NistProblem, lre, nist_model, read_problem

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "nist_strd"
TARGET = 6.0

Row = tuple[float, float, int, float]  # min LRE, RSS LRE, nfev, seconds


def _score(problem: NistProblem, params: NDArray[np.float64], rss: float) -> tuple[float, float]:
    digits = [lre(float(v), c) for v, c in zip(params, problem.certified, strict=True)]
    return min(digits), lre(rss, problem.certified_rss)


def _counting(model: Model) -> tuple[Model, list[int]]:
    calls = [0]
    f = model.f

    def counted(x: NDArray[np.float64], p: NDArray[np.float64]) -> NDArray[np.float64]:
        calls[0] += 1
        return f(x, p)

    return replace(model, f=counted), calls


def run_cxcr4lab(problem: NistProblem, start: int) -> Row:
    model, calls = _counting(nist_model(problem))
    t0 = time.perf_counter()
    fit = fit_curve(model, problem.x_fit, problem.y, start=problem.start(start))
    seconds = time.perf_counter() - t0
    low, rss = _score(problem, np.asarray(fit.values), fit.rss)
    return low, rss, calls[0], seconds


def run_baseline(problem: NistProblem, start: int) -> Row:
    model = nist_model(problem)
    x, y = problem.x_fit, problem.y

    def fun(p: NDArray[np.float64]) -> NDArray[np.float64]:
        return model.f(x, p) - y

    p0 = np.array(problem.start1 if start == 1 else problem.start2)
    t0 = time.perf_counter()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sol = least_squares(fun, p0)
    seconds = time.perf_counter() - t0
    low, rss = _score(problem, sol.x, float(sol.fun @ sol.fun))
    return low, rss, int(sol.nfev), seconds


def main() -> None:
    header = (
        f"{'problem':<10} {'level':<8} {'start':>5} | {'cxcr4lab: LRE':>13} {'RSS':>5} "
        f"{'nfev':>6} {'ms':>7} | {'least_squares: LRE':>18} {'RSS':>5} {'nfev':>6} {'ms':>7}"
    )
    print(header)
    print("-" * len(header))
    ours_ok = base_ok = 0
    total_ours = total_base = 0.0
    for name in NIST_PROBLEMS:
        problem = read_problem(DATA / f"{name}.dat")
        ours_all = base_all = True
        for start in (1, 2):
            o = run_cxcr4lab(problem, start)
            b = run_baseline(problem, start)
            ours_all &= o[0] >= TARGET
            base_all &= b[0] >= TARGET
            total_ours += o[3]
            total_base += b[3]
            mark_o = " " if o[0] >= TARGET else "*"
            mark_b = " " if b[0] >= TARGET else "*"
            print(
                f"{name:<10} {problem.difficulty:<8} {start:>5} | {o[0]:>12.2f}{mark_o} "
                f"{o[1]:>5.1f} {o[2]:>6d} {1e3 * o[3]:>7.1f} | {b[0]:>17.2f}{mark_b} "
                f"{b[1]:>5.1f} {b[2]:>6d} {1e3 * b[3]:>7.1f}"
            )
        ours_ok += ours_all
        base_ok += base_all
    print("-" * len(header))
    print("* = LRE below 6 on some parameter")
    print(f"total time: cxcr4lab {total_ours:.2f} s; least_squares {total_base:.2f} s")
    print(
        f"baseline scipy.optimize.least_squares (defaults): "
        f"{base_ok}/27 problems with LRE>=6 from both starts"
    )
    print(f"NIST StRD: {ours_ok}/27 problems with LRE>=6 from both starts")


if __name__ == "__main__":
    main()
