"""The receptor report figures as PNG (SIMULATED): the potency-consistency / right-shift figure of
``cxcr4lab receptor calibrate`` and the Schild figure of ``cxcr4lab receptor schild``.

They are the figures the HTML report embeds (cxcr4lab.report.sections). Run:
./run python docs/examples/receptor_figures.py [OUTDIR]   (default docs/img).
"""

from __future__ import annotations

import sys
from pathlib import Path

from cxcr4lab.report.sections.receptor_calibration import calibration_figure
from cxcr4lab.report.sections.schild import schild_figure
from cxcr4lab.studies.calibration import calibrate
from cxcr4lab.studies.schild_study import schild_study

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "img"
OUT.mkdir(parents=True, exist_ok=True)

calibration = calibrate()
calibration_figure(calibration).savefig(OUT / "receptor_calibration.png", dpi=100)
print(calibration.kb_range_text())

study = schild_study(seed=1)
schild_figure(study).savefig(OUT / "receptor_schild.png", dpi=100)
lo, hi = study.pa2_ci
print(f"pA2 {study.pa2:.3f} (95% CI {lo:.3f}-{hi:.3f}) vs pKb {study.pkb:.3f}")
print(f"figures: {OUT / 'receptor_calibration.png'}, {OUT / 'receptor_schild.png'}")
