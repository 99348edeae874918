"""The mechanistic CXCL12/CXCR4 model: one balixafortide Kb across every assay (SIMULATED).

Prints the calibration table (predicted IC50 per assay against the published bound) and the
fold-shift decomposition of the pERK IC50s, then draws the model's inhibition curves for each
readout at the assay's CXCL12 concentration and a simulated Schild experiment.
Run: ./run python docs/examples/receptor_tour.py [OUTDIR].
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.receptor.mechanistic import Cxcr4Model
from cxcr4lab.studies.calibration import CELL_LINES, CONDITIONS, calibrate, predict_ic50
from cxcr4lab.studies.virtual import schild_experiment

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "img"
model = Cxcr4Model()
result = calibrate(model)
table = result.summary()
print(table.drop(columns=["system"]).to_string(index=False, float_format=lambda v: f"{v:.3g}"))
print(f"Kb {model.kb * 1e9:.3g} nM; every bound met: {result.all_satisfied}")
print(f"largest Kb meeting every bound: {(result.kb_max_molar or float('nan')) * 1e9:.3g} nM")
print(result.decomposition_table().to_string(index=False, float_format=lambda v: f"{v:.3g}"))

fig = Figure(figsize=(11, 4.2))
left, right = fig.subplots(1, 2)
log_b = np.linspace(-12.0, -5.0, 57)
chosen = [0, 1, 5, 6, 8]  # binding, arrestin, Jurkat chemotaxis, Namalwa and Jurkat pERK
for i in chosen:
    cond = CONDITIONS[i]
    agonist, ic50 = predict_ic50(model, cond)
    cell = CELL_LINES[cond.cell]
    y = [
        model.response(cond.readout, agonist=agonist, antagonist=10.0**b, cell=cell) for b in log_b
    ]
    y0 = model.response(cond.readout, agonist=agonist, antagonist=0.0, cell=cell)
    label = f"{cond.readout} {cell.name}: IC50 {ic50 * 1e9:.3g} nM"
    left.plot(log_b, 100 * np.array(y) / y0, label=label)
left.axvline(np.log10(model.kb), color="k", lw=0.7, ls=":")
left.set_xlabel("log10 balixafortide (M)")
left.set_ylabel("% of CXCL12 response")
left.set_title(f"SIMULATED: one Kb ({model.kb * 1e9:.2g} nM, dotted), five readouts", fontsize=9)
left.legend(fontsize=7)

schild = schild_experiment(model, seed=1, noise_pct=0.5)
data = schild.data
for b in sorted(set(data["balixafortide (M)"])):
    group = data[data["balixafortide (M)"] == b]
    right.plot(
        group["log10 CXCL12 (M)"], group["response (%)"], "o", ms=3, label=f"{float(b) * 1e9:g} nM"
    )
right.set_xlabel("log10 CXCL12 (M)")
right.set_ylabel("beta-arrestin recruitment (%)")
right.set_title(
    f"SIMULATED Schild: pA2 {schild.fit.pa2:.2f} (pKb {schild.pkb:.2f}), "
    f"slope {schild.fit.schild_slope:.2f}",
    fontsize=9,
)
right.legend(title="balixafortide", fontsize=7)
fig.tight_layout()
OUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUT / "receptor_tour.png", dpi=110)
print(f"pA2 {schild.fit.pa2:.3f} vs pKb {schild.pkb:.3f}; figure: {OUT / 'receptor_tour.png'}")
