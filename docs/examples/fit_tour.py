"""A tour of the fitting engine on SIMULATED data: a fit report, a model comparison, a global
fit asking "do these two compounds differ in IC50?", ROUT, and a Gaddum/Schild analysis.

Run: ./run python docs/examples/fit_tour.py [OUTDIR]  (figures to docs/img/ by default).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.fit import FOUR_PL, compare_fits, compare_shared, fit_curve, fit_rout, fit_schild

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "img"
rng = np.random.default_rng(2026)
x = np.repeat(np.linspace(-10, -5, 11), 3)  # log10 concentration (M), triplicates


def simulated(log_ic50: float, hill: float = 1.0, sd: float = 4.0) -> np.ndarray:
    return FOUR_PL.f(x, np.array([0.0, 100.0, log_ic50, hill])) + rng.normal(0, sd, x.size)


# 1. A fit report, with a profile-likelihood CI for the potency.
y = simulated(-8.1, hill=1.6)
fit = fit_curve(FOUR_PL, x, y, profile=["log10_ic50"])
print(fit.report())
print(fit.profile("log10_ic50"))

# 2. Fixed (1) vs free Hill slope: extra-sum-of-squares F test and AICc.
comparison = compare_fits(fit_curve(FOUR_PL, x, y, fixed={"hill": 1.0}), fit)
print(comparison.summary().T)

# 3. Do balixafortide-like and plerixafor-like curves differ in IC50? Shared vs separate logIC50.
curves = {"compound A": (x, simulated(-8.9)), "compound B": (x, simulated(-8.6))}
shared_test, common, separate = compare_shared(FOUR_PL, curves, "log10_ic50")
print(shared_test.summary().T)

# 4. ROUT (Q = 1%) on a curve with two planted outliers.
y_out = simulated(-7.5)
y_out[[5, 25]] += [55.0, -50.0]
rout = fit_rout(FOUR_PL, x, y_out)
print(rout.masked())

# 5. Gaddum/Schild: agonist curves at four antagonist concentrations (true pKB 8.5).
levels = np.array([0.0, 3e-9, 1e-8, 3e-8, 1e-7])
xa = np.linspace(-11, -5, 13)
xs, bs = np.tile(xa, levels.size), np.repeat(levels, xa.size)
ys = 100 / (1 + 10 ** ((-9.0 + np.log10(1 + bs * 10**8.5)) - xs)) + rng.normal(0, 3, xs.size)
schild = fit_schild(xs, bs, ys)
print(schild.summary())

fig = Figure(figsize=(13, 4))
axes = fig.subplots(1, 3)
grid = np.linspace(-10.5, -4.5, 200)
ax = axes[0]
ax.scatter(10**x, y, s=10, color="k")
lo, hi = fit.band(grid)
ax.plot(10**grid, fit.predict(grid), label="4PL, free Hill")
ax.fill_between(10**grid, lo, hi, alpha=0.2)
ax.set_title(f"Fit report curve; F test p = {comparison.p_value:.2g}", fontsize=9)
ax = axes[1]
for name, (cx, cy) in curves.items():
    ax.scatter(10**cx, cy, s=8)
    ax.plot(10**grid, separate.predict(name, grid), label=name)
ax.set_title(f"Shared vs separate IC50: p = {shared_test.p_value:.2g}", fontsize=9)
ax.legend(fontsize=7)
ax = axes[2]
keep = np.ones(x.size, bool)
keep[list(rout.outliers)] = False
ax.scatter(10 ** x[keep], y_out[keep], s=10, color="k")
ax.scatter(10 ** x[~keep], y_out[~keep], s=40, marker="x", color="red", label="ROUT outlier")
ax.plot(10**grid, rout.fit.predict(grid))
ax.set_title("ROUT (Q = 1%)", fontsize=9)
ax.legend(fontsize=7)
for ax in axes:
    ax.set_xscale("log")
    ax.set_xlabel("concentration (M)")
axes[0].set_ylabel("response (% of control)")
fig.suptitle("cxcr4lab fitting engine on SIMULATED data", fontsize=10)
fig.savefig(OUT / "fit_tour.png", dpi=110, bbox_inches="tight")
print(f"wrote {OUT / 'fit_tour.png'}")
