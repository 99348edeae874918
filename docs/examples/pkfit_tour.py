"""Compartmental PK fits: the public Theoph data set (12 subjects, oral theophylline, 320 mg),
one 1-compartment oral model per subject, and a SIMULATED 2-compartment infusion recovered
with weights 1/y^2. The figure shows every Theoph subject's data and fitted curve (log scale).

Run: ./run python docs/examples/pkfit_tour.py [OUTDIR]  (figure to docs/img/ by default).
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from cxcr4lab.pkpd.pk import two_compartment
from cxcr4lab.pkpd.pkfit import DoseRecord, PkFitSettings, fit_pk_table, fit_subject
from cxcr4lab.report.sections.pkfit import fits_figure
from cxcr4lab.sim import infusion, simulate

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "img"

# 1. Theoph, one row per subject (CL/F, V/F, ka with 95% CIs; t1/2, Vss/F, AUCinf).
with resources.files("cxcr4lab.examples").joinpath("pk", "theoph.csv").open() as fh:
    theoph = pd.read_csv(fh)
result = fit_pk_table(theoph, PkFitSettings(model="1cmt", route="oral"), source="theoph.csv")
table = result.summary()
shown = ["subject", "CL/F (L/h)", "V/F (L)", "ka (1/h)", "t1/2 terminal (h)", "AICc", "flags"]
print(table[shown].round(3).to_string(index=False))
one = result.subject("1")
for e in (*one.estimates, *one.secondary):
    print(
        f"subject 1 {e.name}: {e.value:.4g} {e.unit} (95% CI {e.ci_lower:.4g} to {e.ci_upper:.4g})"
    )

# 2. SIMULATED: a 2 h infusion of 100 mg into pkpd.pk's 2-compartment model, 10% noise.
truth = {"CL": 1.2, "V1": 5.0, "Q2": 5.0, "V2": 10.0}
t = np.array([0.5, 1, 1.5, 2, 2.5, 3, 4, 6, 8, 12, 16, 24, 36, 48])
clean = np.asarray(simulate(two_compartment(**truth), infusion(100.0, duration=2.0), t)["Cp"])
y = clean * np.exp(np.random.default_rng(7).normal(0.0, 0.1, t.size))
fit = fit_subject(t, y, [DoseRecord(0.0, 100.0, duration=2.0)], model="auto", weights="1/y^2")
print(f"SIMULATED infusion: kept {fit.model} ({'; '.join(fit.notes)})")
for e in fit.estimates:
    print(f"  {e.name} = {e.value:.3g} {e.unit} [{e.ci_lower:.3g}, {e.ci_upper:.3g}]")

fig = fits_figure(result)
fig.suptitle("Theoph: observed and 1-compartment oral fits per subject", fontsize=8)
fig.subplots_adjust(top=0.89)
fig.savefig(OUT / "pkfit_theoph.png", dpi=110)
print(f"wrote {OUT / 'pkfit_theoph.png'}")
