"""Throughput of the batched SynergyFinder scores against a loop of the ``synergy`` package.

    ./run python benchmarks/synergy.py                       # 10,000 blocks, 200 in the loop
    ./run python benchmarks/synergy.py --blocks 2000 --baseline 50 --json /tmp/synergy.json

:func:`~cxcr4lab.combination.batch.score_blocks_batched` scores every block with Bliss, HSA,
Loewe and ZIP (SynergyFinder 3.7.3's definitions: 2 single-drug LL.4 fits and 12 ZIP slice fits
per 6x6 block, drc's BFGS compiled with numba, on all cores). The warm-up (numba import and
compilation, or loading the compiled code from numba's cache) is timed apart, on 50 blocks, and
never counted in the throughput.

The data are SIMULATED: seeded 6x6 blocks, each drug at 0 and 5 concentrations (row drug
0.01..10, column drug 0.1..100, log-spaced, one unit), responses in % inhibition. Each drug is
an LL.4 curve rising from 0 to a top uniform over 70..100 %, IC50 log-uniform over the middle
of its tested range (0.03..3 and 0.3..30), Hill slope uniform over 0.5..3; the combination
cells are the Bliss-independent response times a synergy factor uniform over 0.8..1.2 (the same
for every cell of a block); every cell gets Gaussian noise of SD 5.

The baseline is the ``synergy`` package (1.0.0, GPL: a benchmark and test dependency only,
never imported by ``src``), fitted one block at a time in a Python loop, as a user would call
it: per block ``Bliss``, ``HSA``, ``Loewe(mode="delta_hsa")`` (its default mode, "CI", raises
with its default single-drug models) and ``ZIP`` ``.fit(d1, d2, E)``
with E the fraction unaffected (1 - % inhibition / 100; the package expects a falling E). Its
Bliss and HSA are SynergyFinder's on the observed monotherapies (synergy = 100 x the package's
``reference - E``), so both are compared per cell (max absolute difference, % inhibition). Its
Loewe (Hill fits, a bounded scalar search, other rules beyond the weaker drug's maximum) and
ZIP (3-parameter Hill slices with E0 fixed at the single-drug fit's prediction and the top free,
a reference whose E0 is the mean of the two fits) are other definitions: not compared. The
package's ZIP refits the two slices through every cell (72 Hill fits for a 6x6 block, where
SynergyFinder fits each row and column once: 12), which is most of its time. A package model
that raises (``curve_fit`` hitting its evaluation limit) is counted and its time kept.

The environment is printed (CPUs, load, how the compiled engines ran, numba's threading layer
if a ``parallel=True`` kernel ran, library versions; ``benchmarks/_env.py``) and, with the
results (every figure printed, as numbers), written as JSON beside this file
(``synergy.json``; ``--json PATH``, ``--json ''`` for none). The last line reads
``synergy: X blocks/s; synergy-package loop: Y blocks/s; ratio: R``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from _env import environment, print_environment, write_json
from cxcr4lab.combination.batch import score_blocks_batched
from cxcr4lab.combination.blocks import Block, make_block
from cxcr4lab.combination.reference import BlockScores

Array = NDArray[np.float64]

# This file is named like the package it measures: keep its folder off the import path, or
# ``import synergy`` would import this file.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

N_BLOCKS = 10_000
N_BASELINE = 200
SEED = 20240917
DOSE_R = np.concatenate([[0.0], np.geomspace(0.01, 10.0, 5)])
DOSE_C = np.concatenate([[0.0], np.geomspace(0.1, 100.0, 5)])


def ll4_inhibition(dose: Array, top: float, ic50: float, hill: float) -> Array:
    """An LL.4 curve in % inhibition: 0 at dose 0, ``top`` at high dose."""
    with np.errstate(divide="ignore"):
        return np.asarray(top / (1.0 + (ic50 / dose) ** hill))


def simulate(n: int, seed: int = SEED) -> tuple[Array, Array]:
    """Responses ``(n, 6, 6)`` (% inhibition) and the truth ``(n, 7)``: top, IC50 and Hill of
    the row and column drug, synergy factor."""
    rng = np.random.default_rng(seed)
    truth = np.column_stack(
        [
            rng.uniform(70, 100, n),
            10 ** rng.uniform(np.log10(0.03), np.log10(3), n),
            rng.uniform(0.5, 3, n),
            rng.uniform(70, 100, n),
            10 ** rng.uniform(np.log10(0.3), np.log10(30), n),
            rng.uniform(0.5, 3, n),
            rng.uniform(0.8, 1.2, n),
        ]
    )
    y = np.empty((n, DOSE_R.size, DOSE_C.size))
    for i, (ta, ia, ha, tb, ib, hb, s) in enumerate(truth):
        a = ll4_inhibition(DOSE_R, ta, ia, ha)
        b = ll4_inhibition(DOSE_C, tb, ib, hb)
        bliss = (1 - (1 - a[:, None] / 100) * (1 - b[None, :] / 100)) * 100
        bliss[1:, 1:] *= s
        y[i] = bliss
    y += rng.normal(0.0, 5.0, y.shape)
    return y, truth


def make_blocks(y: Array) -> list[Block]:
    return [
        make_block(DOSE_R, DOSE_C, m, drug_row="A", drug_col="B", block_id=str(i))
        for i, m in enumerate(y)
    ]


def package_loop(y: Array) -> tuple[Array, Array, dict[str, float], dict[str, int], float]:
    """The baseline: the ``synergy`` package's four models per block, in a loop. Returns the
    Bliss and HSA synergy ``(n, 6, 6)`` in % inhibition, seconds and failures per model, and
    the total time."""
    import synergy.combination as sc

    d1 = np.repeat(DOSE_R, DOSE_C.size)
    d2 = np.tile(DOSE_C, DOSE_R.size)
    n = len(y)
    bliss = np.full(y.shape, np.nan)
    hsa = np.full(y.shape, np.nan)
    seconds = dict.fromkeys(("bliss", "hsa", "loewe", "zip"), 0.0)
    failed = dict.fromkeys(seconds, 0)
    started = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for i in range(n):
            e = 1.0 - y[i].ravel() / 100.0
            for name in seconds:
                t0 = time.perf_counter()
                model = {
                    "bliss": sc.Bliss,
                    "hsa": sc.HSA,
                    "loewe": lambda: sc.Loewe(mode="delta_hsa"),
                    "zip": sc.ZIP,
                }[name]()
                try:
                    syn = model.fit(d1, d2, e)
                except (RuntimeError, ValueError):
                    failed[name] += 1
                    syn = None
                seconds[name] += time.perf_counter() - t0
                if syn is not None and name in ("bliss", "hsa"):
                    out = bliss if name == "bliss" else hsa
                    out[i] = 100.0 * np.asarray(syn).reshape(y.shape[1:])
    return bliss, hsa, seconds, failed, time.perf_counter() - started


def synergy_matrix(scores: tuple[BlockScores, ...], method: str) -> Array:
    return np.array([s.method(method).synergy for s in scores])  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=N_BLOCKS)
    parser.add_argument("--baseline", type=int, default=N_BASELINE)
    parser.add_argument("--json", default=str(_HERE / "synergy.json"), help="'' for none")
    args = parser.parse_args(argv)
    if args.blocks < 1 or args.baseline < 1:
        parser.error("--blocks and --baseline must be at least 1")

    t0 = time.perf_counter()
    y, truth = simulate(args.blocks)
    blocks = make_blocks(y)
    made = time.perf_counter() - t0
    print(f"{args.blocks:,} simulated 6x6 blocks made in {made:.1f} s (not timed)")

    started = time.perf_counter()
    score_blocks_batched(make_blocks(simulate(50, seed=SEED + 1)[0]))
    warm_up = time.perf_counter() - started
    from numba import get_num_threads

    n_threads = get_num_threads()
    print(
        f"warm-up on 50 blocks (numba import + compile or cache load): {warm_up:.2f} s; "
        f"numba threads {n_threads}"
    )

    started = time.perf_counter()
    scores = score_blocks_batched(blocks)
    elapsed = time.perf_counter() - started
    rate = args.blocks / elapsed
    fitted = sum(s.fits.row is not None and s.fits.col is not None for s in scores)
    print(
        f"score_blocks_batched: {args.blocks:,} blocks x (Bliss, HSA, Loewe, ZIP) in "
        f"{elapsed:.2f} s; both single-drug fits on {fitted / args.blocks:.1%} of blocks"
    )
    true_s = truth[:, 6]
    rho = {
        method: _spearman(np.array([s.score(method) for s in scores]), true_s)
        for method in ("bliss", "zip", "loewe")
    }
    print(
        "block Bliss score vs the simulated synergy factor: Spearman rho "
        f"{rho['bliss']:.3f}; ZIP {rho['zip']:.3f}; Loewe {rho['loewe']:.3f}"
    )

    m = min(args.baseline, args.blocks)
    p_bliss, p_hsa, seconds, failed, base_elapsed = package_loop(y[:m])
    base_rate = m / base_elapsed
    per = ", ".join(f"{k} {1000 * v / m:.1f} ms" for k, v in seconds.items())
    fails = ", ".join(f"{k} {v}" for k, v in failed.items() if v) or "none"
    print(
        f"synergy package loop: {m:,} blocks in {base_elapsed:.2f} s (per block: {per}); "
        f"models that raised: {fails}"
    )

    ours_bliss = synergy_matrix(scores[:m], "bliss")
    ours_hsa = synergy_matrix(scores[:m], "hsa")
    d_bliss = float(np.nanmax(np.abs(ours_bliss - p_bliss)))
    d_hsa = float(np.nanmax(np.abs(ours_hsa - p_hsa)))
    print(
        f"agreement on {m:,} blocks, per cell (% inhibition): Bliss synergy max |diff| "
        f"{d_bliss:.1e}, HSA synergy max |diff| {d_hsa:.1e}; Loewe and ZIP not compared "
        "(the package defines them differently)"
    )
    agree = d_bliss < 1e-9 and d_hsa < 1e-9
    if not agree:
        print("WARNING: Bliss or HSA disagree with the synergy package")
    env = environment()
    print_environment(env)
    results = {
        "blocks": args.blocks,
        "simulation_s": round(made, 3),
        "warm_up_blocks": 50,
        "warm_up_s": round(warm_up, 3),
        "numba_threads": n_threads,
        "batched_s": round(elapsed, 3),
        "both_single_fits_fraction": fitted / args.blocks,
        "spearman_rho_vs_synergy_factor": {k: round(v, 4) for k, v in rho.items()},
        "baseline_blocks": m,
        "baseline_s": round(base_elapsed, 3),
        "baseline_ms_per_block": {k: round(1000 * v / m, 2) for k, v in seconds.items()},
        "baseline_models_raised": failed,
        "max_abs_diff_bliss": d_bliss,
        "max_abs_diff_hsa": d_hsa,
        "agree": agree,
        "blocks_per_s": round(rate, 1),
        "baseline_blocks_per_s": round(base_rate, 2),
        "ratio": round(rate / base_rate, 2),
    }
    write_json(args.json, "synergy", results, env)
    print(
        f"synergy: {rate:,.0f} blocks/s; synergy-package loop: {base_rate:,.1f} blocks/s; "
        f"ratio: {rate / base_rate:.1f}"
    )
    return 0 if agree else 1


def _spearman(a: Array, b: Array) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    ra = np.argsort(np.argsort(a[ok]))
    rb = np.argsort(np.argsort(b[ok]))
    return float(np.corrcoef(ra, rb)[0, 1])


if __name__ == "__main__":
    raise SystemExit(main())
