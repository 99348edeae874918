"""Simulate the bundled NOD/SCID engraftment and ELDA examples from a stated truth (SIMULATED).

Truth: CD34+ cells purified from two mobilized grafts, balixafortide-mobilized and
G-CSF-mobilized, transplanted into sublethally irradiated NOD/SCID mice at five cell doses
(25,000 to 400,000 CD34+ cells), 6 mice per dose and graft (60 mice). The true SCID-repopulating
cell (SRC) frequency is 1 in 100,000 CD34+ cells for the balixafortide graft and 1 in 250,000
for the G-CSF graft (an assumption for the example: CXCR4-antagonist-mobilized CD34+ cells
repopulated NOD/SCID mice better than G-CSF-mobilized ones in Larochelle et al. 2006, Blood
107:3772; the seeds give no SRC frequency). Each mouse receives Poisson(dose x frequency) SRCs;
a mouse with at least one SRC grows a human graft, one with none shows only background staining.

* chimerism (% hCD45+ of leukocytes) in bone marrow: engrafted, lognormal with median
  0.6% x SRCs^0.8 (sd of log 0.7), at least 0.15%, at most 80%; not engrafted: uniform 0-0.05%
  (background). Spleen 0.4 x and blood 0.1 x the marrow value (x lognormal sd 0.3);
* lineages within hCD45+: engrafted, CD19+ ~ 65%, CD33+ ~ 20%, CD34+ ~ 6% (normal, sd 8, 5, 2; CD19+ and
  CD33+ together at most 95%);
  background mice: CD19+ and CD33+ uniform 0-3% (a few events);
* two engrafted G-CSF mice are lymphoid only (CD33+ 0.4%), to show the multilineage call.

Files: ``engraftment/chimerism.csv`` (one row per mouse and tissue) and ``elda/dilutions.csv``
(mice tested and engrafted per graft and dose, by the default call: hCD45+ >= 0.1% in bone
marrow, which the simulated data meet exactly when the mouse received an SRC).

Run: ``uv run python scripts/simulate_engraftment.py``; the truth is written to the READMEs.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples"
NOTE = "SIMULATED data (cxcr4lab example, scripts/simulate_engraftment.py); not study data"
GROUPS = (("balixafortide", 100_000.0), ("G-CSF", 250_000.0))
DOSES = (25_000, 50_000, 100_000, 200_000, 400_000)
MICE_PER_DOSE = 6


def main() -> None:
    rng = np.random.default_rng(20260520)
    rows: list[list[object]] = []
    counts: dict[tuple[str, int], list[int]] = {}
    truth: list[tuple[str, str, int, int]] = []
    lymphoid_only = 0
    n = 0
    for group, one_in in GROUPS:
        for dose in DOSES:
            for _ in range(MICE_PER_DOSE):
                n += 1
                mouse = f"M{n:03d}"
                src = int(rng.poisson(dose / one_in))
                truth.append((mouse, group, dose, src))
                engrafted = src > 0
                if engrafted:
                    bm = float(np.exp(rng.normal(np.log(0.6 * src**0.8), 0.7)))
                    bm = min(max(bm, 0.15), 80.0)
                    cd33 = float(np.clip(rng.normal(20, 5), 5, 30))
                    cd19 = float(np.clip(rng.normal(65, 8), 30, 95 - cd33))
                    cd34 = float(np.clip(rng.normal(6, 2), 1, 15))
                    if group == "G-CSF" and lymphoid_only < 2 and dose >= 200_000:
                        cd33, lymphoid_only = 0.4, lymphoid_only + 1
                else:
                    bm = float(rng.uniform(0, 0.05))
                    cd19, cd33 = float(rng.uniform(0, 3)), float(rng.uniform(0, 3))
                    cd34 = float(rng.uniform(0, 2))
                counts.setdefault((group, dose), []).append(int(engrafted))
                spleen = min(bm * 0.4 * float(np.exp(rng.normal(0, 0.3))), 100.0)
                blood = min(bm * 0.1 * float(np.exp(rng.normal(0, 0.3))), 100.0)
                for tissue, value in (("bone marrow", bm), ("spleen", spleen), ("blood", blood)):
                    rows.append(
                        [
                            mouse,
                            group,
                            dose,
                            tissue,
                            f"{value:.3f}",
                            f"{cd19:.1f}",
                            f"{cd33:.1f}",
                            f"{cd34:.1f}",
                        ]
                    )
    out = io.StringIO()
    out.write(f"# {NOTE}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["mouse", "group", "cells", "tissue", "hcd45_pct", "cd19_pct", "cd33_pct", "cd34_pct"]
    )
    writer.writerows(rows)
    (EXAMPLES / "engraftment").mkdir(exist_ok=True)
    (EXAMPLES / "engraftment" / "chimerism.csv").write_text(out.getvalue(), encoding="utf-8")
    out = io.StringIO()
    out.write(f"# {NOTE}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["group", "dose", "tested", "positive"])
    for (group, dose), calls in counts.items():
        writer.writerow([group, dose, len(calls), sum(calls)])
    (EXAMPLES / "elda").mkdir(exist_ok=True)
    (EXAMPLES / "elda" / "dilutions.csv").write_text(out.getvalue(), encoding="utf-8")
    for (group, dose), calls in counts.items():
        print(group, dose, f"{sum(calls)}/{len(calls)}")
    print("truth:", [(m, s) for m, _, _, s in truth])


if __name__ == "__main__":
    main()
