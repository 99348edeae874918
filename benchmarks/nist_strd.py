"""Accuracy on the 27 NIST StRD nonlinear regression problems, from both certified starts.

    uv run python benchmarks/nist_strd.py
    uv run python benchmarks/nist_strd.py --json /tmp/nist_strd.json

For each problem and start: the minimum LRE (correct significant digits, capped at 11) over
the certified parameters, the LRE of the residual sum of squares, the residual evaluations
and the wall time, for ``cxcr4lab.fit.fit_curve`` with default settings and, as the named
baseline, ``scipy.optimize.least_squares(fun, x0)`` with scipy's default settings (trust-region
reflective, 2-point Jacobian, tolerances 1e-8). A problem counts when every parameter reaches
LRE >= 6 from both starts. Lanczos1's RSS LRE is meaningless (certified 1.4e-25, at the
rounding floor). Data: tests/data/nist_strd (public NIST data; README.md there).
After the table, the total times and the baseline's count, the environment is printed (CPUs,
load, how the compiled engines ran, library versions; ``benchmarks/_env.py``) and, with the
results (every figure printed, as numbers), written as JSON beside this file
(``nist_strd.json``; ``--json PATH``, ``--json ''`` for none). The last line reads
``NIST StRD: N/27 problems with LRE>=6 from both starts`` for cxcr4lab.
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from _env import environment, print_environment, write_json
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


def _row(r: Row) -> dict[str, float | int]:
    """One fit's figures as printed: min LRE, RSS LRE, residual evaluations, milliseconds."""
    return {
        "min_lre": round(r[0], 2),
        "rss_lre": round(r[1], 1),
        "nfev": r[2],
        "ms": round(1e3 * r[3], 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--json", default=str(Path(__file__).with_suffix(".json")), help="'' for none"
    )
    args = parser.parse_args(argv)
    header = (
        f"{'problem':<10} {'level':<8} {'start':>5} | {'cxcr4lab: LRE':>13} {'RSS':>5} "
        f"{'nfev':>6} {'ms':>7} | {'least_squares: LRE':>18} {'RSS':>5} {'nfev':>6} {'ms':>7}"
    )
    print(header)
    print("-" * len(header))
    ours_ok = base_ok = 0
    total_ours = total_base = 0.0
    rows: list[dict[str, object]] = []
    solved: dict[str, dict[str, bool]] = {}
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
            rows.append(
                {
                    "problem": name,
                    "level": problem.difficulty,
                    "start": start,
                    "cxcr4lab": _row(o),
                    "least_squares": _row(b),
                }
            )
            mark_o = " " if o[0] >= TARGET else "*"
            mark_b = " " if b[0] >= TARGET else "*"
            print(
                f"{name:<10} {problem.difficulty:<8} {start:>5} | {o[0]:>12.2f}{mark_o} "
                f"{o[1]:>5.1f} {o[2]:>6d} {1e3 * o[3]:>7.1f} | {b[0]:>17.2f}{mark_b} "
                f"{b[1]:>5.1f} {b[2]:>6d} {1e3 * b[3]:>7.1f}"
            )
        ours_ok += ours_all
        base_ok += base_all
        solved[name] = {"cxcr4lab": bool(ours_all), "least_squares": bool(base_all)}
    print("-" * len(header))
    print("* = LRE below 6 on some parameter")
    print(f"total time: cxcr4lab {total_ours:.2f} s; least_squares {total_base:.2f} s")
    print(
        f"baseline scipy.optimize.least_squares (defaults): "
        f"{base_ok}/27 problems with LRE>=6 from both starts"
    )
    env = environment()
    print_environment(env)
    results = {
        "problems": len(NIST_PROBLEMS),
        "target_lre": TARGET,
        "solved_cxcr4lab": ours_ok,
        "solved_least_squares": base_ok,
        "total_s_cxcr4lab": round(total_ours, 3),
        "total_s_least_squares": round(total_base, 3),
        "solved_from_both_starts": solved,
        "fits": rows,
    }
    write_json(args.json, "nist_strd", results, env)
    print(f"NIST StRD: {ours_ok}/27 problems with LRE>=6 from both starts")


if __name__ == "__main__":
    main()
