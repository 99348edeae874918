"""Simulate the bundled pERK/pAKT western blot densitometry from a stated truth (SIMULATED data).

Namalwa cells, balixafortide 30 min, then CXCL12 100 ng/mL for 5 min; three blots (biological
replicates), each with an unstimulated lane, a CXCL12 + vehicle lane and eight balixafortide
concentrations (1 nM to 3 µM, 1:~3). Bands per lane: pERK, ERK, pAKT, AKT, GAPDH.

    load      = lane loading (protein), 1 +/- 12%
    total     = load * total level of the blot (ERK, AKT, GAPDH)            5% band noise
    phospho   = total * exposure_blot * (basal + induced / (1 + [B]/IC50))   8% band noise

so phospho/total of a lane is exposure * (basal + induced * f) and the response normalised to the
blot's unstimulated (floor) and stimulated vehicle lanes is 100 f: a 4PL with top 100 %,
bottom 0 %, Hill 1. Truth: IC50 pERK 80 nM, pAKT 150 nM (published Namalwa: < 200 nM);
basal/induced pERK 0.2/1.0, pAKT 0.3/1.0; exposures 1.0, 0.55, 1.6 (blots 1-3).
Run: ``uv run python scripts/simulate_western.py``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "western"
CONCS_NM = [1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0]
IC50_NM = {"pERK": 80.0, "pAKT": 150.0}
BASAL = {"pERK": 0.2, "pAKT": 0.3}
TOTAL = {"ERK": 40000.0, "AKT": 25000.0, "GAPDH": 60000.0}
EXPOSURE = {"1": 1.0, "2": 0.55, "3": 1.6}
TRUTH = (
    "SIMULATED data (cxcr4lab example, scripts/simulate_western.py); truth: Namalwa, CXCL12 "
    "100 ng/mL; balixafortide IC50 pERK 80 nM, pAKT 150 nM (Hill 1, full inhibition to the "
    "unstimulated level); 3 blots, exposures 1.0/0.55/1.6"
)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261203)
    buf = io.StringIO()
    buf.write(f"# {TRUTH}\n# intensity: background-subtracted band volume (ImageLab-style)\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["blot", "lane", "target", "intensity", "compound", "concentration"])
    for blot, exposure in EXPOSURE.items():
        lanes = [("unstimulated", None), ("vehicle", None)] + [
            ("balixafortide", c) for c in CONCS_NM
        ]
        for k, (compound, conc) in enumerate(lanes, start=1):
            load = 1 + 0.12 * rng.standard_normal()
            totals = {
                t: level * load * (1 + 0.05 * rng.standard_normal()) for t, level in TOTAL.items()
            }
            for p, base in (("pERK", "ERK"), ("pAKT", "AKT")):
                if compound == "unstimulated":
                    signal = BASAL[p]
                else:
                    f = 1.0 if conc is None else 1 / (1 + conc / IC50_NM[p])
                    signal = BASAL[p] + 1.0 * f
                band = TOTAL[base] * load * exposure * signal * (1 + 0.08 * rng.standard_normal())
                text = "0" if conc is None else f"{conc:g} nM"
                w.writerow([blot, k, p, f"{band:.0f}", compound, text])
            for t, v in totals.items():
                w.writerow(
                    [blot, k, t, f"{v:.0f}", compound, "0" if conc is None else f"{conc:g} nM"]
                )
    (OUT / "namalwa_3blots.csv").write_text(buf.getvalue(), encoding="utf-8")
    print(f"wrote simulated blots to {OUT}")


if __name__ == "__main__":
    main()
