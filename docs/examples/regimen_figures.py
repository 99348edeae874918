"""The regimen simulation and comparison figures as PNG (SIMULATED virtual patients): the
defaults of ``cxcr4lab simulate regimen`` and ``cxcr4lab simulate compare`` (200 patients,
6 cycles, seed 20251123), with the tables quoted in docs/pkpd.md.

They are the figures the HTML report embeds (cxcr4lab.report.sections). Run:
./run python docs/examples/regimen_figures.py [OUTDIR]   (default docs/img).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from cxcr4lab.pkpd.comparison import compare_regimens
from cxcr4lab.pkpd.regimen_simulation import simulate_regimen
from cxcr4lab.report.sections.regimen_comparison import comparison_figure, comparison_table
from cxcr4lab.report.sections.regimen_simulation import bands_figure, cycle_table

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "img"
OUT.mkdir(parents=True, exist_ok=True)
pd.set_option("display.width", 250)
pd.set_option("display.max_columns", 20)
pd.set_option("display.max_colwidth", 70)

simulation = simulate_regimen()
bands_figure(simulation).savefig(OUT / "regimen_simulation.png", dpi=90)
print(cycle_table(simulation).to_string(index=False))

comparison = compare_regimens()
comparison_figure(comparison).savefig(OUT / "regimen_comparison.png", dpi=90)
print(comparison_table(comparison).to_string(index=False))
print(f"figures: {OUT / 'regimen_simulation.png'}, {OUT / 'regimen_comparison.png'}")
