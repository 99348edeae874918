"""Throughput of the vectorised two-arm trial simulator + log-rank against a scipy loop.

    uv run --frozen python benchmarks/trials.py
    uv run --frozen python benchmarks/trials.py --json /tmp/trials.json

The data are SIMULATED: 10,000 replicate 432-patient 1:1 trials (exponential PFS, control median
4.0 months, treatment 3.5 months, uniform accrual over 24 months, analysis at 30 months, dropout
hazard 0.01/month). The vectorised path simulates every trial and runs the log-rank test on all
of them (``logrank_batch``); the baseline runs ``scipy.stats.logrank`` in a Python loop over the
first 1,000 of the same trials (simulation time of those trials counted too, pro rata). The
p-values of the two must agree to 1e-10.

The machine is shared, so each path is timed in ``ROUNDS`` alternating rounds and the fastest
round of each counts (as ``timeit`` does); CPU time (``time.process_time``) is shown beside it.
The environment is printed (CPUs, load, how the compiled engines ran, library versions;
``benchmarks/_env.py``) and, with the results (every figure printed, as numbers), written as
JSON beside this file (``trials.json``; ``--json PATH``, ``--json ''`` for none). The last line
reads ``trials: X trials/s; scipy loop: Y trials/s; ratio: R``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from _env import environment, print_environment, write_json
from cxcr4lab.clinical.trials import (
    ArmSpec,
    SimulatedTrials,
    TrialDesign,
    logrank_batch,
    simulate_raw,
)

REPLICATES = 10_000
LOOPED = 1_000
CHUNK = 500
ROUNDS = 3
DESIGN = TrialDesign(
    ArmSpec("eribulin", 0.137, (4.0,)),
    ArmSpec("balixafortide + eribulin", 0.13, (3.5,)),
    n=432,
    accrual_months=24.0,
    analysis_months=30.0,
    dropout_per_month=0.01,
)


def _scipy_p(t: NDArray[np.float64], e: NDArray[np.bool_], a: NDArray[np.int64]) -> float:
    """scipy.stats.logrank p-value of one trial (x = control, y = treatment)."""
    x = stats.CensoredData(uncensored=t[(a == 0) & e], right=t[(a == 0) & ~e])
    y = stats.CensoredData(uncensored=t[(a == 1) & e], right=t[(a == 1) & ~e])
    return float(stats.logrank(x, y).pvalue)


def _vectorised(seed: int) -> tuple[NDArray[np.float64], SimulatedTrials]:
    """Simulate REPLICATES trials in chunks and test each; the p-values and the first chunk."""
    rng = np.random.default_rng(seed)
    pvals = []
    first = None
    for _ in range(REPLICATES // CHUNK):
        sim = simulate_raw(DESIGN, CHUNK, rng)
        pvals.append(logrank_batch(sim.time, sim.event, sim.arm)[1])
        first = sim if first is None else first
    assert first is not None
    return np.concatenate(pvals), first


def _looped(sims: list[SimulatedTrials]) -> NDArray[np.float64]:
    """scipy.stats.logrank over the first LOOPED trials (a list of simulated chunks)."""
    p = []
    for sim in sims:
        p += [_scipy_p(sim.time[i], sim.event[i], sim.arm[i]) for i in range(len(sim.time))]
    return np.array(p[:LOOPED])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--json", default=str(Path(__file__).with_suffix(".json")), help="'' for none"
    )
    args = parser.parse_args(argv)
    warm = simulate_raw(DESIGN, 50, np.random.default_rng(0))  # first-call costs, both paths
    logrank_batch(warm.time, warm.event, warm.arm)
    _scipy_p(warm.time[0], warm.event[0], warm.arm[0])
    # the loop's trials: the first LOOPED of the vectorised run (same seed, same chunks)
    rng = np.random.default_rng(2024)
    looped_sims = [simulate_raw(DESIGN, CHUNK, rng) for _ in range(-(-LOOPED // CHUNK))]
    vec_wall, vec_cpu, loop_wall, loop_cpu = [], [], [], []
    for _ in range(ROUNDS):
        w, c = time.perf_counter(), time.process_time()
        p_vec, _ = _vectorised(2024)
        vec_wall.append(time.perf_counter() - w)
        vec_cpu.append(time.process_time() - c)
        w, c = time.perf_counter(), time.process_time()
        simulate_raw(DESIGN, LOOPED, np.random.default_rng(1))  # pro-rata simulation cost
        p_loop = _looped(looped_sims)
        loop_wall.append(time.perf_counter() - w)
        loop_cpu.append(time.process_time() - c)
    diff = float(np.max(np.abs(p_loop - p_vec[:LOOPED])))
    if diff > 1e-10:
        raise SystemExit(f"p-values disagree: max |diff| = {diff:.3g}")
    power = float(np.mean(p_vec < 0.05))
    rate_vec = REPLICATES / min(vec_wall)
    rate_loop = LOOPED / min(loop_wall)
    cpu_ratio = (REPLICATES / min(vec_cpu)) / (LOOPED / min(loop_cpu))
    print(
        f"vectorised: {REPLICATES} trials of {DESIGN.n} patients, rounds (s): "
        + ", ".join(f"{s:.2f}" for s in vec_wall)
    )
    print(f"scipy loop: {LOOPED} trials, rounds (s): " + ", ".join(f"{s:.2f}" for s in loop_wall))
    print(f"max |p_vectorised - p_scipy| over {LOOPED} trials: {diff:.2e}")
    print(f"log-rank power (true HR {4.0 / 3.5:.3f}, two-sided 0.05): {power:.3f}")
    print(f"ratio of CPU times (best rounds): {cpu_ratio:.1f}")
    env = environment()
    print_environment(env)
    results = {
        "trials": REPLICATES,
        "patients_per_trial": DESIGN.n,
        "looped_trials": LOOPED,
        "rounds": ROUNDS,
        "vectorised_s": [round(t, 4) for t in vec_wall],
        "vectorised_cpu_s": [round(t, 4) for t in vec_cpu],
        "scipy_loop_s": [round(t, 4) for t in loop_wall],
        "scipy_loop_cpu_s": [round(t, 4) for t in loop_cpu],
        "max_abs_p_difference": diff,
        "true_hazard_ratio": round(4.0 / 3.5, 4),
        "power": power,
        "cpu_ratio": round(cpu_ratio, 2),
        "vectorised_trials_per_s": round(rate_vec, 1),
        "scipy_loop_trials_per_s": round(rate_loop, 1),
        "ratio": round(rate_vec / rate_loop, 2),
    }
    write_json(args.json, "trials", results, env)
    print(
        f"trials: {rate_vec:.0f} trials/s; scipy loop: {rate_loop:.0f} trials/s; "
        f"ratio: {rate_vec / rate_loop:.1f}"
    )


if __name__ == "__main__":
    main()
