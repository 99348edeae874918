"""Simulate the bundled LC-MS/MS example runs from a stated truth (SIMULATED data).

Truth: balixafortide 5.5 mg/kg (the RP2D, seed_facts [regimen.balixafortide_eribulin]) as a 2 h
IV infusion to two 70 kg subjects; two-compartment PK (assumed, not published): V1 8 L,
V2 30 L, Q 4 L/h, CL 6 L/h (S01) and 8 L/h (S02), giving a terminal half-life of about 9 h
(within the 7-15 h of seed_facts [pharmacokinetics]). Plasma sampled at 0 (pre-dose), 0.5, 1,
2 (end of infusion), 2.5, 3, 4, 6, 8, 12, 24 and 48 h; samples above 4000 ng/mL assayed 1:10.

Calibration 5-5000 ng/mL (8 levels), QCs 15 / 400 / 4000 ng/mL in duplicate, one double blank
and one zero sample. Response: ratio = 2.0e-4 x conc (ng/mL) + 1e-4, x (1 + 3% noise);
IS area 8e5 x (1 + 5% noise).

* ``run1.csv``: a run that passes ICH M10 acceptance.
* ``run2_failed.csv``: a re-injection of S02 with faults put in on purpose: three calibrators
  read 30% high (5/8 pass, 5 levels), both high QCs 25% high (0/2 at that level), and carry-over
  in the double blank (analyte at about 60% of the LLOQ's response) -> the run fails with every
  reason listed.

Run: ``uv run python scripts/simulate_bioanalysis.py``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
from scipy.linalg import expm

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "bioanalysis"
DOSE_MG = 5.5 * 70
T_INF_H = 2.0
V1, V2, Q = 8.0, 30.0, 4.0
CL = {"S01": 6.0, "S02": 8.0}
TIMES = (0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 4.0, 6.0, 8.0, 12.0, 24.0, 48.0)
CALS = (5.0, 10.0, 25.0, 100.0, 500.0, 1000.0, 2500.0, 5000.0)
QCS = (15.0, 400.0, 4000.0)
SLOPE, INTERCEPT = 2.0e-4, 1.0e-4
NOTE = "SIMULATED data (cxcr4lab example, scripts/simulate_bioanalysis.py); not measurements"


def concentration_ng_ml(cl: float, t: float) -> float:
    """Central concentration (ng/mL = µg/L) of the two-compartment model, exact (matrix exp)."""
    k10, k12, k21 = cl / V1, Q / V1, Q / V2
    a = np.array([[-(k10 + k12), k21], [k12, -k21]])
    rate = DOSE_MG / T_INF_H  # mg/h into the central compartment
    # Augmented system: d/dt [x, 1] with the infusion as a constant input.
    big = np.zeros((3, 3))
    big[:2, :2] = a
    big[0, 2] = rate
    x_end = (expm(big * min(t, T_INF_H)) @ np.array([0.0, 0.0, 1.0]))[:2]
    if t > T_INF_H:
        x_end = expm(a * (t - T_INF_H)) @ x_end
    return float(x_end[0] / V1 * 1000.0)  # mg/L -> ng/mL


def row(rng, sample_id, kind, nominal, conc, dilution=1.0, subject="", time="", factor=1.0):
    in_run = conc / dilution
    ratio = (SLOPE * in_run + (INTERCEPT if conc > 0 else 0.0)) * (1 + 0.03 * rng.standard_normal())
    ratio *= factor
    is_area = 8e5 * (1 + 0.05 * rng.standard_normal())
    return [
        sample_id,
        kind,
        "" if nominal is None else f"{nominal:g}",
        f"{max(ratio, 0) * is_area:.0f}",
        f"{is_area:.0f}",
        f"{dilution:g}",
        subject,
        time,
    ]


def run_table(rng, subjects, faults: bool) -> str:
    buf = io.StringIO()
    buf.write(f"# {NOTE}\n# Balixafortide in K2-EDTA plasma, SPE, C18, ESI+ MRM; areas in counts\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["sample_id", "type", "nominal", "analyte_area", "is_area", "dilution", "subject", "time_h"]
    )
    blank = row(rng, "DBLK", "blank", None, 0.0)
    blank[4] = f"{float(blank[4]) * 0.002:.0f}"  # no IS: noise only
    if faults:
        blank[3] = f"{0.6 * (SLOPE * CALS[0] + INTERCEPT) * 8e5:.0f}"  # carry-over
    w.writerow(blank)
    w.writerow(row(rng, "ZERO", "zero", None, 0.0))
    bad_cals = {10.0, 500.0, 2500.0} if faults else set()
    for level in CALS:
        w.writerow(
            row(
                rng,
                f"CAL{level:g}",
                "calibrator",
                level,
                level,
                factor=1.3 if level in bad_cals else 1.0,
            )
        )
    qcs = []
    for rep in (1, 2):
        for level in QCS:
            factor = 1.25 if faults and level == QCS[-1] else 1.0
            qcs.append(row(rng, f"QC{level:g}-{rep}", "qc", level, level, factor=factor))
    for q in qcs[:3]:
        w.writerow(q)
    for subject in subjects:
        for t in TIMES:
            c = 0.0 if t == 0 else concentration_ng_ml(CL[subject], t)
            dilution = 10.0 if c > 4000 else 1.0
            w.writerow(
                row(rng, f"{subject}-{t:g}h", "unknown", None, c, dilution, subject, f"{t:g}")
            )
    for q in qcs[3:]:
        w.writerow(q)
    return buf.getvalue()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261214)
    (OUT / "run1.csv").write_text(run_table(rng, ("S01", "S02"), False), encoding="utf-8")
    (OUT / "run2_failed.csv").write_text(run_table(rng, ("S02",), True), encoding="utf-8")
    truth = "\n".join(
        f"| {t:g} | "
        + " | ".join(f"{concentration_ng_ml(CL[s], t):.1f}" if t else "0" for s in CL)
        + " |"
        for t in TIMES
    )
    readme = f"""# Example LC-MS/MS runs (balixafortide in plasma) — SIMULATED data

Simulated by `scripts/simulate_bioanalysis.py` (seeded) from the truth below; not measurements.
Balixafortide 5.5 mg/kg (385 mg for 70 kg) as a 2 h IV infusion; two-compartment PK assumed for
the simulation (V1 8 L, V2 30 L, Q 4 L/h; CL 6 L/h for S01, 8 L/h for S02; terminal half-life
about 9 h). Calibration 5-5000 ng/mL (8 levels), QCs 15/400/4000 ng/mL in duplicate; samples
above 4000 ng/mL assayed diluted 1:10. Peak-area ratio = 2.0e-4 x ng/mL + 1e-4 with 3% noise.
Balixafortide MW 1864.1 g/mol (1 ng/mL = 0.5365 nM).

| file | what | expected verdict |
|---|---|---|
| `run1.csv` | S01 and S02, 12 time points each | passes ICH M10 acceptance |
| `run2_failed.csv` | S02 re-injected with faults put in on purpose | fails: calibrators 5/8 (62%) and 5 levels; high QC 0/2; carry-over in the double blank (about 60% of the LLOQ response) |

Analyse: `cxcr4lab analyze bioanalysis run1.csv` (weighting 1/x^2, linear by default).

## Truth: plasma concentration (ng/mL)

| time (h) | S01 | S02 |
|---|---|---|
{truth}
"""
    (OUT / "README.md").write_text(readme, encoding="utf-8")
    print(f"wrote simulated LC-MS/MS runs to {OUT}")


if __name__ == "__main__":
    main()
