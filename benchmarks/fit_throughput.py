"""Throughput of the batched 4PL fit against a loop of scipy.optimize.curve_fit.

    uv run python benchmarks/fit_throughput.py             # 100,000 curves (about a minute)
    uv run python benchmarks/fit_throughput.py --million   # also 1,000,000 curves through Dask

``fit_many`` runs its compiled (numba) solver on all cores; the vectorised numpy solver is
timed too, for comparison, and the warm-up (numba import and compilation, or loading the
compiled code from numba's cache) is reported apart, never in the throughput.

The data are SIMULATED: seeded noisy four-parameter logistic curves at 10 concentrations
(log-spaced 1e-11..1e-4 M), log10 IC50 uniform over -10..-5, Hill slope 0.5..3, bottom ~ N(0, 5)
and top ~ N(100, 5), Gaussian noise SD 5. ``fit_many`` fits all of them with 95% CIs; a
2,000-curve subset is fitted with ``curve_fit`` in a Python loop (the usual way, analytic
Jacobian, same starting values, CIs from ``pcov``) as the named baseline. The two are compared
on curves both fitted well (median relative difference of the IC50). The last line reads
``throughput: X curves/s; curve_fit loop: Y curves/s; ratio: R``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.special import expit, stdtrit

from cxcr4lab.fit import FOUR_PL
from cxcr4lab.fit.batch import fit_many

Array = NDArray[np.float64]

N_CURVES = 100_000
N_BASELINE = 2_000
SEED = 20240611
LN10 = float(np.log(10.0))


def simulate(n: int, seed: int = SEED) -> tuple[Array, Array, Array]:
    """x (10,) log10 M, y (n, 10), true parameters (n, 4)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-11.0, -4.0, 10)
    truth = np.column_stack(
        [
            rng.normal(0.0, 5.0, n),
            rng.normal(100.0, 5.0, n),
            rng.uniform(-10.0, -5.0, n),
            rng.uniform(0.5, 3.0, n),
        ]
    )
    y = np.empty((n, x.size))
    block = 100_000
    for lo in range(0, n, block):  # in blocks, so the million does not need a (n, 10) temporary
        p = truth[lo : lo + block].T[:, :, None]
        y[lo : lo + block] = p[0] + (p[1] - p[0]) * expit(-(x - p[2]) * p[3] * LN10)
        y[lo : lo + block] += rng.normal(0.0, 5.0, (len(p[0]), x.size))
    return x, y, truth


def four_pl(x: Array, bottom: float, top: float, log_ic50: float, hill: float) -> Array:
    return np.asarray(bottom + (top - bottom) * expit(-(x - log_ic50) * hill * LN10))


def four_pl_jac(x: Array, bottom: float, top: float, log_ic50: float, hill: float) -> Array:
    return FOUR_PL.jac(x, np.array([bottom, top, log_ic50, hill]))


def curve_fit_loop(x: Array, y: Array) -> tuple[Array, Array, NDArray[np.bool_], float]:
    """The baseline: curve_fit one curve at a time; log10 IC50, its 95% CI half-width, ok."""
    n = len(y)
    log_ic50 = np.full(n, np.nan)
    half = np.full(n, np.nan)
    ok = np.zeros(n, dtype=bool)
    t95 = float(stdtrit(x.size - 4, 0.975))
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        for i in range(n):
            try:
                p, pcov = curve_fit(
                    four_pl, x, y[i], p0=FOUR_PL.guess(x, y[i]), jac=four_pl_jac, maxfev=2000
                )
            except RuntimeError:  # "Optimal parameters not found"
                continue
            log_ic50[i] = p[2]
            half[i] = t95 * np.sqrt(pcov[2, 2])
            ok[i] = True
    return log_ic50, half, ok, time.perf_counter() - started


def peak_rss_gib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run_million() -> None:
    from cxcr4lab.fit.distributed import fit_many_dask

    n = 1_000_000
    x, y, _ = simulate(n, seed=SEED + 1)
    print(f"1,000,000 curves generated; peak RSS so far {peak_rss_gib():.2f} GiB")
    started = time.perf_counter()
    result = fit_many_dask(FOUR_PL, x, y, chunk_size=20_000, progress=True)
    elapsed = time.perf_counter() - started
    print(
        f"1,000,000 curves through dask.distributed (LocalCluster, in-process) in {elapsed:.1f} s "
        f"({n / elapsed:,.0f} curves/s); converged {result.converged.mean():.1%}; "
        f"peak RSS {peak_rss_gib():.2f} GiB (limit 2 GiB)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curves", type=int, default=N_CURVES)
    parser.add_argument("--baseline", type=int, default=N_BASELINE)
    parser.add_argument("--million", action="store_true", help="also fit 1,000,000 curves")
    args = parser.parse_args(argv)

    x, y, truth = simulate(args.curves)
    # warm-up, not timed: imports numba and compiles the solver (or loads it from numba's cache)
    started = time.perf_counter()
    fit_many(FOUR_PL, x, y[:200])
    warm_up = time.perf_counter() - started
    from numba import get_num_threads

    print(
        f"warm-up on 200 curves (numba import + compile or cache load): {warm_up:.2f} s; "
        f"numba threads {get_num_threads()}"
    )

    started = time.perf_counter()
    batch = fit_many(FOUR_PL, x, y)
    elapsed = time.perf_counter() - started
    throughput = args.curves / elapsed
    flagged = sum(bool(f) for f in batch.flags)
    print(
        f"fit_many: {args.curves:,} curves in {elapsed:.2f} s; converged {batch.converged.mean():.1%}; "
        f"flagged {flagged / args.curves:.1%}; "
        f"median |log10 IC50 error| {np.nanmedian(np.abs(batch.params[:, 2] - truth[:, 2])):.3f}"
    )

    fit_many(FOUR_PL, x, y[:200], engine="numpy")
    started = time.perf_counter()
    slow = fit_many(FOUR_PL, x, y, engine="numpy")
    np_elapsed = time.perf_counter() - started
    both = batch.converged & np.array([not f for f in batch.flags])
    np_rel = np.abs(batch.params[both, 2] - slow.params[both, 2]) / np.abs(slow.params[both, 2])
    same = np.mean(
        [
            c == d and f == g
            for c, d, f, g in zip(
                batch.converged, slow.converged, batch.flags, slow.flags, strict=True
            )
        ]
    )
    print(
        f"numpy engine (the vectorised solver): {args.curves / np_elapsed:,.0f} curves/s "
        f"(compiled is {np_elapsed / elapsed:.1f}x faster); same converged and flags on "
        f"{same:.2%} of curves; max relative log10 IC50 difference on unflagged curves "
        f"{np_rel.max():.1e}"
    )
    del slow

    m = min(args.baseline, args.curves)
    cf_log_ic50, cf_half, cf_ok, cf_elapsed = curve_fit_loop(x, y[:m])
    cf_rate = m / cf_elapsed
    print(f"curve_fit loop: {m:,} curves in {cf_elapsed:.2f} s; succeeded {cf_ok.mean():.1%}")

    se = batch.stderr[:m]
    well = (
        cf_ok
        & batch.converged[:m]
        & np.array([not f for f in batch.flags[:m]])
        & (se[:, 2] < 0.2)
        & (np.abs(batch.params[:m, 3]) / se[:, 3] > 3)
    )
    ic50_batch = 10.0 ** batch.params[:m, 2][well]
    ic50_cf = 10.0 ** cf_log_ic50[well]
    rel = np.abs(ic50_batch - ic50_cf) / ic50_cf
    half_rel = (
        np.abs((batch.ci_upper[:m] - batch.params[:m, 2])[well] - cf_half[well]) / cf_half[well]
    )
    print(
        f"agreement on {well.sum():,} converged, well-determined, unflagged curves: median relative "
        f"IC50 difference {np.median(rel):.2e} (max {rel.max():.2e}); "
        f"95% CI half-width median relative difference {np.median(half_rel):.2e}"
    )
    agree = bool(np.median(rel) < 1e-4)  # curve_fit stops at its default xtol of 1.5e-8
    if not agree:
        print("WARNING: fit_many and curve_fit disagree", file=sys.stderr)
    print(f"peak RSS {peak_rss_gib():.2f} GiB")
    if args.million:
        run_million()
    print(
        f"throughput: {throughput:,.0f} curves/s; curve_fit loop: {cf_rate:,.0f} curves/s; "
        f"ratio: {throughput / cf_rate:.1f}"
    )
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
