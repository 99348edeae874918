"""A screening-scale batch fit on SIMULATED curves: fit_many against the truth.

20,000 seeded noisy 4PL curves (10 concentrations, log10 IC50 uniform over -10..-5 M, Hill
0.5..3), fitted at once with 95% CIs; the figure shows recovered vs true log10 IC50 and how
often the 95% CI covers the truth. Run: ./run python docs/examples/batch_fit.py [OUTDIR].
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.fit import FOUR_PL, fit_many

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "img"
rng = np.random.default_rng(7)
n = 20_000
x = np.linspace(-11.0, -4.0, 10)
true = np.column_stack(
    [
        rng.normal(0, 3, n),
        rng.normal(100, 3, n),
        rng.uniform(-10, -5, n),
        rng.uniform(0.5, 3.0, n),
    ]
)
y = np.stack([FOUR_PL.f(x, p) for p in true]) + rng.normal(0, 5.0, (n, x.size))

started = time.perf_counter()
batch = fit_many(FOUR_PL, x, y)
elapsed = time.perf_counter() - started
ok = batch.converged & np.array([not flags for flags in batch.flags])
covered = (batch.ci_lower[ok] <= true[ok, 2]) & (true[ok, 2] <= batch.ci_upper[ok])
print(f"{n} curves in {elapsed:.1f} s ({n / elapsed:,.0f} curves/s)")
print(
    f"converged and unflagged: {ok.mean():.1%}; 95% CI covers the true log10 IC50: {covered.mean():.1%}"
)

fig = Figure(figsize=(10, 4))
left, right = fig.subplots(1, 2)
left.scatter(true[ok, 2], batch.params[ok, 2], s=1, alpha=0.3)
left.plot([-10, -5], [-10, -5], color="k", lw=0.8)
left.set_xlabel("true log10 IC50 (M)")
left.set_ylabel("fitted log10 IC50 (M)")
left.set_title(f"{ok.sum():,} unflagged curves of {n:,}", fontsize=9)
width = batch.ci_upper[ok] - batch.ci_lower[ok]
right.hist(width, bins=60, range=(0, 1.5))
right.set_xlabel("width of the 95% CI of log10 IC50 (decades)")
right.set_title(f"CI coverage of the truth: {covered.mean():.1%}", fontsize=9)
fig.suptitle("fit_many on SIMULATED 4PL curves", fontsize=10)
fig.savefig(OUT / "batch_fit.png", dpi=110, bbox_inches="tight")
print(f"wrote {OUT / 'batch_fit.png'}")
