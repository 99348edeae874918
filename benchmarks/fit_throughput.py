"""Throughput of the batched 4PL fit against a loop of scipy.optimize.curve_fit.

    uv run python benchmarks/fit_throughput.py             # 100,000 curves (about a minute)
    uv run python benchmarks/fit_throughput.py --busy      # the same with one core kept busy
    uv run python benchmarks/fit_throughput.py --million   # also 1,000,000 curves through Dask

``fit_many`` runs its compiled (numba) solver on as many threads as numba is set to (the
curves handed to the threads in small chunks as they come free). The timings come in
``--rounds`` interleaved rounds, each fitting every curve on all threads, then on one thread
(numba set to 1), then a share of the baseline loop, so that the figures and their baseline
see the same load when other work on the machine comes and goes; rates are totals over the
rounds. The vectorised numpy solver is timed too, for comparison. The warm-up (numba import
and compilation, or loading the compiled code from numba's cache) and a first full batch on
all threads and on one (which touch fresh memory) are reported apart, never in the
throughput. ``--busy`` starts a CPU-burning child process (one core's worth, killed at the
end, with a hard timeout) before any timing, so the figures show what the engine keeps on a
machine where one core is taken by other work; the baseline runs under the same load. The
environment (CPUs, load, numba's threads and threading layer, library versions) is printed
and, with the results, written to ``fit_throughput.json`` (``fit_throughput-busy.json`` with
``--busy``) beside this file.

The data are SIMULATED: seeded noisy four-parameter logistic curves at 10 concentrations
(log-spaced 1e-11..1e-4 M), log10 IC50 uniform over -10..-5, Hill slope 0.5..3, bottom ~ N(0, 5)
and top ~ N(100, 5), Gaussian noise SD 5. ``fit_many`` fits all of them with 95% CIs; a
2,000-curve subset is fitted with ``curve_fit`` in a Python loop (the usual way, analytic
Jacobian, same starting values, CIs from ``pcov``) as the named baseline. The two are compared
on curves both fitted well (median relative difference of the IC50). The line before the
environment gives the single-thread figure (``single thread: X curves/s; ratio: R``); the
last line reads ``throughput: X curves/s; curve_fit loop: Y curves/s; ratio: R``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.special import expit, stdtrit

from _busy import busy
from _env import environment, print_environment, write_json
from cxcr4lab.fit import FOUR_PL
from cxcr4lab.fit.batch import BatchResult, fit_many

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


def timed_fit(x: Array, y: Array, threads: int) -> tuple[BatchResult, float]:
    """``fit_many`` on every curve with numba set to ``threads``: the result and wall time."""
    from numba import get_num_threads, set_num_threads

    before = get_num_threads()
    set_num_threads(threads)
    try:
        started = time.perf_counter()
        batch = fit_many(FOUR_PL, x, y)
        return batch, time.perf_counter() - started
    finally:
        set_num_threads(before)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curves", type=int, default=N_CURVES)
    parser.add_argument("--baseline", type=int, default=N_BASELINE)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds")
    parser.add_argument("--busy", action="store_true", help="keep one core busy meanwhile")
    parser.add_argument("--busy-timeout", type=float, default=900.0, help="burner's limit (s)")
    parser.add_argument("--json", default=None, help="where to write the results (default: beside)")
    parser.add_argument("--million", action="store_true", help="also fit 1,000,000 curves")
    args = parser.parse_args(argv)
    rounds = max(1, args.rounds)
    m = min(args.baseline, args.curves)

    x, y, truth = simulate(args.curves)
    with busy(args.busy, timeout_s=args.busy_timeout) as load:
        # warm-up, not timed: imports numba and compiles the solver (or loads it from the
        # cache), for all threads and for one
        started = time.perf_counter()
        fit_many(FOUR_PL, x, y[:200])
        warm_up = time.perf_counter() - started
        from numba import get_num_threads

        n_threads = get_num_threads()
        timed_fit(x, y[:200], 1)
        # and one untimed batch of full size per mode: the first touches fresh memory (page
        # faults on the outputs and temporaries), as any process's first batch does
        _, first = timed_fit(x, y, n_threads)
        _, first_1 = timed_fit(x, y, 1)
        print(
            f"warm-up on 200 curves (numba import + compile or cache load): {warm_up:.2f} s; "
            f"numba threads {n_threads}; first full batch (not counted) {first:.3f} s, on 1 "
            f"thread {first_1:.3f} s"
        )

        # rounds of: all threads, one thread, a share of the curve_fit loop; so the three see
        # the same load when other work comes and goes
        times: list[float] = []
        times_1: list[float] = []
        cf_times: list[float] = []
        cf_log_ic50 = np.full(m, np.nan)
        cf_half = np.full(m, np.nan)
        cf_ok = np.zeros(m, dtype=bool)
        same_1 = True
        for part in np.array_split(np.arange(m), rounds):
            batch, t = timed_fit(x, y, n_threads)
            times.append(t)
            single, t = timed_fit(x, y, 1)
            times_1.append(t)
            same_1 = same_1 and all(
                np.array_equal(getattr(single, a), getattr(batch, a), equal_nan=True)
                for a in ("params", "stderr", "ci_lower", "ci_upper", "converged")
            )
            del single
            lo, hi = int(part[0]), int(part[-1]) + 1
            cf_log_ic50[lo:hi], cf_half[lo:hi], cf_ok[lo:hi], t = curve_fit_loop(x, y[lo:hi])
            cf_times.append(t)
        elapsed = sum(times) / rounds
        elapsed_1 = sum(times_1) / rounds
        cf_elapsed = sum(cf_times)
        throughput = args.curves / elapsed
        throughput_1 = args.curves / elapsed_1
        cf_rate = m / cf_elapsed
        flagged = sum(bool(f) for f in batch.flags)
        print(
            f"fit_many: {args.curves:,} curves in {elapsed:.3f} s (mean of {rounds} rounds: "
            f"{', '.join(f'{t:.3f}' for t in times)}); converged {batch.converged.mean():.1%}; "
            f"flagged {flagged / args.curves:.1%}; "
            f"median |log10 IC50 error| {np.nanmedian(np.abs(batch.params[:, 2] - truth[:, 2])):.3f}"
        )
        print(
            f"fit_many on 1 thread: {elapsed_1:.3f} s (rounds: "
            f"{', '.join(f'{t:.3f}' for t in times_1)}); results identical to {n_threads} "
            f"threads: {same_1}"
        )
        print(
            f"curve_fit loop: {m:,} curves in {cf_elapsed:.2f} s (rounds: "
            f"{', '.join(f'{t:.2f}' for t in cf_times)}); succeeded {cf_ok.mean():.1%}"
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
    print(load.summary())

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
    env = environment()
    results: dict[str, Any] = {
        "curves": args.curves,
        "rounds": rounds,
        "threads": n_threads,
        "seconds": times,
        "seconds_one_thread": times_1,
        "curve_fit_seconds": cf_times,
        "round_ratios": [
            round((args.curves / t) / (len(part) / c), 2)
            for t, part, c in zip(
                times, np.array_split(np.arange(m), rounds), cf_times, strict=True
            )
        ],
        "throughput_curves_per_s": round(throughput, 1),
        "throughput_one_thread_curves_per_s": round(throughput_1, 1),
        "one_thread_identical": same_1,
        "numpy_engine_curves_per_s": round(args.curves / np_elapsed, 1),
        "baseline_curves": m,
        "curve_fit_loop_curves_per_s": round(cf_rate, 1),
        "ratio": round(throughput / cf_rate, 2),
        "ratio_one_thread": round(throughput_1 / cf_rate, 2),
        "warm_up_s": round(warm_up, 3),
        "first_batch_s": round(first, 3),
        "first_batch_one_thread_s": round(first_1, 3),
        "agree": agree,
        "median_relative_ic50_difference": float(np.median(rel)),
        **load.to_dict(),
    }
    print_environment(env)
    suffix = "-busy.json" if args.busy else ".json"
    default = Path(__file__).with_name(Path(__file__).stem + suffix)
    write_json(default if args.json is None else args.json, "fit_throughput", results, env)
    print(
        f"single thread: {throughput_1:,.0f} curves/s; ratio: {throughput_1 / cf_rate:.1f} "
        f"(against the same curve_fit loop)"
    )
    print(
        f"throughput: {throughput:,.0f} curves/s; curve_fit loop: {cf_rate:,.0f} curves/s; "
        f"ratio: {throughput / cf_rate:.1f}"
    )
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
