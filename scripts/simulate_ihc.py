"""Simulate the bundled CXCR4 IHC example scoring tables from a stated truth (SIMULATED data).

Truth: 56 patients (the size of the phase 1b cohort, seed_facts [trial.phase1b]); each has true
fractions of tumour cells at 0/1+/2+/3+ drawn from Dirichlet distributions, 8 of them
(14%, as seed_facts [biomarker.cxcr4_ihc] phase1_high_fraction) with a true H-score above 200,
the others below 180. Files:

* ``scores_percent.csv``: a pathologist's scoring of two cores per patient, 200 cells per core
  counted and the percentages rounded to 5% steps (as people score);
* ``cells_image_analysis.csv``: per-cell intensity classes from image analysis for three
  patients (400 cells each), the first three patients of the truth table.

Run: ``uv run python scripts/simulate_ihc.py``; the truth is written to the README.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "ihc"
N_PATIENTS = 56
N_HIGH = 8
CUTOFF = 200.0
CELLS_PER_CORE = 200
NOTE = "SIMULATED data (cxcr4lab example, scripts/simulate_ihc.py); not patient data"


def h(p: np.ndarray) -> float:
    return float(100 * (p[1] + 2 * p[2] + 3 * p[3]))


def truth(rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    out: list[tuple[str, np.ndarray]] = []
    n_high = 0
    while len(out) < N_PATIENTS:
        want_high = n_high < N_HIGH and len(out) % 7 == 3
        alpha = np.array([1.0, 2.0, 4.0, 8.0]) if want_high else np.array([5.0, 4.0, 2.5, 1.0])
        p = rng.dirichlet(alpha)
        score = h(p)
        if want_high and score > CUTOFF + 10:
            n_high += 1
        elif want_high or score > CUTOFF - 20:
            continue  # keep a gap around the cut-off so the call is unambiguous
        out.append((f"P{len(out) + 1:03d}", p))
    return out


def round_to_5(pct: np.ndarray) -> np.ndarray:
    """Percentages rounded to multiples of 5 that still add up to 100 (largest remainder)."""
    units = pct / 5.0
    base = np.floor(units)
    short = round(float(20 - base.sum()))
    order = np.argsort(-(units - base))
    base[order[:short]] += 1
    return base * 5


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261207)
    patients = truth(rng)
    buf = io.StringIO()
    buf.write(f"# {NOTE}\n# two cores per patient, {CELLS_PER_CORE} tumour cells counted each\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["patient", "core", "pct_0", "pct_1", "pct_2", "pct_3"])
    for name, p in patients:
        for core in ("A", "B"):
            counts = rng.multinomial(CELLS_PER_CORE, p)
            pct = round_to_5(100.0 * counts / CELLS_PER_CORE)
            w.writerow([name, core, *(f"{v:g}" for v in pct)])
    (OUT / "scores_percent.csv").write_text(buf.getvalue(), encoding="utf-8")

    buf = io.StringIO()
    buf.write(f"# {NOTE}\n# per-cell DAB intensity classes from image analysis\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["patient", "cell_id", "intensity"])
    labels = ("0", "1+", "2+", "3+")
    for name, p in patients[:4]:
        for i, level in enumerate(rng.choice(4, size=300, p=p)):
            w.writerow([name, i + 1, labels[int(level)]])
    (OUT / "cells_image_analysis.csv").write_text(buf.getvalue(), encoding="utf-8")

    rows = "\n".join(
        f"| {name} | {100 * p[0]:.1f} | {100 * p[1]:.1f} | {100 * p[2]:.1f} | {100 * p[3]:.1f} "
        f"| {h(p):.1f} | {'high' if h(p) > CUTOFF else 'low'} |"
        for name, p in patients
    )
    readme = f"""# Example CXCR4 IHC scoring — SIMULATED data

Simulated by `scripts/simulate_ihc.py` (seeded) from the truth below; not patient data.
{N_PATIENTS} patients (the phase 1b cohort size); {N_HIGH} of them ({100 * N_HIGH / N_PATIENTS:.0f}%, as the
phase 1 "CXCR4-high" fraction 0.14 in seed_facts) have a true H-score above the cut-off
**{CUTOFF:g}**; no true H-score lies within 180-210, so the high/low call is unambiguous.

| file | what | how to analyse |
|---|---|---|
| `scores_percent.csv` | % cells at 0/1+/2+/3+, two cores per patient, {CELLS_PER_CORE} cells counted per core, rounded to 5% | `cxcr4lab analyze ihc scores_percent.csv --cutoff 200` |
| `cells_image_analysis.csv` | per-cell classes, 300 cells for each of P001-P004 | `cxcr4lab analyze ihc cells_image_analysis.csv --cutoff 200` |

H-score = 1 x %1+ + 2 x %2+ + 3 x %3+ (0-300). The estimates differ from the truth by counting
(200-300 cells) and, in the percentage table, by rounding to 5%.

## Truth (true % of tumour cells per intensity)

| patient | 0 | 1+ | 2+ | 3+ | true H-score | call |
|---|---|---|---|---|---|---|
{rows}
"""
    (OUT / "README.md").write_text(readme, encoding="utf-8")
    print(f"wrote simulated IHC tables to {OUT}")


if __name__ == "__main__":
    main()
