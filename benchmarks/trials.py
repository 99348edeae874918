"""Throughput of the vectorised two-arm trial simulator + log-rank against a scipy loop.

    uv run --frozen python benchmarks/trials.py

The data are SIMULATED: 10,000 replicate 432-patient 1:1 trials (exponential PFS, control median
4.0 months, treatment 3.5 months, uniform accrual over 24 months, analysis at 30 months, dropout
hazard 0.01/month). The vectorised path simulates every trial and runs the log-rank test on all
of them (``logrank_batch``); the baseline runs ``scipy.stats.logrank`` in a Python loop over the
first 1,000 of the same trials (simulation time of those trials counted too, pro rata). The
p-values of the two must agree to 1e-10. The last line reads
``trials: X trials/s; scipy loop: Y trials/s; ratio: R``.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from cxcr4lab.clinical.trials import ArmSpec, TrialDesign, logrank_batch, simulate_raw

REPLICATES = 10_000
LOOPED = 1_000
CHUNK = 2_000


def _scipy_p(t: NDArray[np.float64], e: NDArray[np.bool_], a: NDArray[np.int64]) -> float:
    """scipy.stats.logrank p-value of one trial (x = control, y = treatment)."""
    x = stats.CensoredData(uncensored=t[(a == 0) & e], right=t[(a == 0) & ~e])
    y = stats.CensoredData(uncensored=t[(a == 1) & e], right=t[(a == 1) & ~e])
    return float(stats.logrank(x, y).pvalue)


def main() -> None:
    design = TrialDesign(
        ArmSpec("eribulin", 0.137, (4.0,)),
        ArmSpec("balixafortide + eribulin", 0.13, (3.5,)),
        n=432,
        accrual_months=24.0,
        analysis_months=30.0,
        dropout_per_month=0.01,
    )
    rng = np.random.default_rng(2024)
    warm = simulate_raw(design, 50, np.random.default_rng(0))  # first-call costs, both paths
    logrank_batch(warm.time, warm.event, warm.arm)
    _scipy_p(warm.time[0], warm.event[0], warm.arm[0])
    start = time.perf_counter()
    sims, pvals = [], []
    for _ in range(REPLICATES // CHUNK):
        sim = simulate_raw(design, CHUNK, rng)
        pvals.append(logrank_batch(sim.time, sim.event, sim.arm)[1])
        sims.append(sim)
    vec_s = time.perf_counter() - start
    p_vec = np.concatenate(pvals)

    first = sims[0]
    t0 = time.perf_counter()  # the loop reuses the simulated arrays; time their simulation
    simulate_raw(design, LOOPED, np.random.default_rng(1))
    sim_share = time.perf_counter() - t0
    start = time.perf_counter()
    p_loop = np.empty(LOOPED)
    for i in range(LOOPED):
        p_loop[i] = _scipy_p(first.time[i], first.event[i], first.arm[i])
    loop_s = time.perf_counter() - start + sim_share
    diff = float(np.max(np.abs(p_loop - p_vec[:LOOPED])))
    if diff > 1e-10:
        raise SystemExit(f"p-values disagree: max |diff| = {diff:.3g}")
    power = float(np.mean(p_vec < 0.05))
    rate_vec = REPLICATES / vec_s
    rate_loop = LOOPED / loop_s
    print(f"vectorised: {REPLICATES} trials of {design.n} patients in {vec_s:.2f} s")
    print(f"scipy loop: {LOOPED} trials in {loop_s:.2f} s (simulation {sim_share:.3f} s)")
    print(f"max |p_vectorised - p_scipy| over {LOOPED} trials: {diff:.2e}")
    print(f"log-rank power (true HR {4.0 / 3.5:.3f}, two-sided 0.05): {power:.3f}")
    print(
        f"trials: {rate_vec:.0f} trials/s; scipy loop: {rate_loop:.0f} trials/s; "
        f"ratio: {rate_vec / rate_loop:.1f}"
    )


if __name__ == "__main__":
    main()
