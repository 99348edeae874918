"""Simulate the bundled multiple-dose balixafortide PK example from a stated truth (SIMULATED).

Truth: a phase 1 dose escalation as in the seed (seed_facts [regimen.balixafortide_eribulin]:
3+3 from 2.0 mg/kg to the RP2D 5.5 mg/kg), three subjects per dose level (2.0, 2.5, 3.0, 4.0,
5.0, 5.5 mg/kg), each given a 2 h IV infusion once daily on days 1, 2 and 3 (0, 24 and 48 h:
the seed's balixafortide days 1-3). PK: the project's one human parameter set
(``cxcr4lab.pkpd.balixafortide``: CL, V1, Q, V2 at 70 kg; docs/balixafortide_pk.md), linear,
so each profile is the superposition of the three infusions; CL and V1 of each subject
log-normal with the set's between-subject CV, weight-scaled (CL by (WT/70)^0.75, volumes by
WT/70), body weight 50-95 kg. With a terminal half-life near 10 h and tau 24 h, the third dose
is at 99 % of steady state.

Sampling (h): day 1 at 0 (pre-dose), 1, 2 (end of infusion), 2.5, 3, 4, 6, 8, 12 and 24
(pre-dose of day 2); day 3 at 48 (pre-dose), 49, 50, 50.5, 51, 52, 54, 56, 60, 72, 96 and 120. Assay:
LC-MS/MS, LLOQ 5 ng/mL (the bioanalysis example's lowest calibrator); proportional error 8 %;
below the LLOQ reported as ``BLQ``.

Files in ``src/cxcr4lab/examples/pk/``: ``phase1_md_conc.csv`` (subject, time h, conc ng/mL,
cohort, dose_level mg/kg, weight kg) and ``phase1_md_doses.csv`` (subject, time h, dose mg, route, duration h,
tau h).

Run: ``uv run python scripts/simulate_pk_multiple_dose.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from cxcr4lab.pkpd.balixafortide import BSV_CV_PERCENT, TYPICAL, concentration

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "pk"
LEVELS_MG_PER_KG = (2.0, 2.5, 3.0, 4.0, 5.0, 5.5)
PER_LEVEL = 3
DOSE_TIMES_H = (0.0, 24.0, 48.0)
INFUSION_H = 2.0
TIMES_H = (0, 1, 2, 2.5, 3, 4, 6, 8, 12, 24, 48, 49, 50, 50.5, 51, 52, 54, 56, 60, 72, 96, 120)
LLOQ_NG_ML = 5.0
CV_RESIDUAL = 0.08
SEED = 20261203


def _omega(cv_percent: float) -> float:
    return math.sqrt(math.log(1 + (cv_percent / 100) ** 2))


def simulate() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(SEED)
    conc_rows: list[dict[str, object]] = []
    dose_rows: list[dict[str, object]] = []
    times = np.asarray(TIMES_H, dtype=float)
    n = 0
    for level in LEVELS_MG_PER_KG:
        for _ in range(PER_LEVEL):
            n += 1
            subject = f"P{n:02d}"
            weight = float(np.round(rng.uniform(50, 95), 1))
            scale = weight / 70.0
            params = {
                "CL": TYPICAL["CL"]
                * scale**0.75
                * math.exp(rng.normal(0, _omega(BSV_CV_PERCENT["CL"]))),
                "V1": TYPICAL["V1"] * scale * math.exp(rng.normal(0, _omega(BSV_CV_PERCENT["V1"]))),
                "Q2": TYPICAL["Q2"] * scale**0.75,
                "V2": TYPICAL["V2"] * scale,
            }
            dose_mg = round(level * weight, 1)
            true = sum(
                concentration(times - t0, dose_mg, INFUSION_H, params) for t0 in DOSE_TIMES_H
            )
            observed = 1000 * true * np.exp(rng.normal(0, CV_RESIDUAL, len(times)))
            for t, c in zip(times, observed, strict=True):
                conc_rows.append(
                    {
                        "subject": subject,
                        "time": t,
                        "conc": "BLQ" if c < LLOQ_NG_ML else round(float(c), 1),
                        "cohort": f"{level:g} mg/kg",
                        "dose_level": level,
                        "weight": weight,
                    }
                )
            for t0 in DOSE_TIMES_H:
                dose_rows.append(
                    {
                        "subject": subject,
                        "time": t0,
                        "dose": dose_mg,
                        "route": "infusion",
                        "duration": INFUSION_H,
                        "tau": 24.0,
                    }
                )
    return pd.DataFrame(conc_rows), pd.DataFrame(dose_rows)


def main() -> None:
    conc, doses = simulate()
    conc.to_csv(OUT / "phase1_md_conc.csv", index=False)
    doses.to_csv(OUT / "phase1_md_doses.csv", index=False)
    print(f"wrote {len(conc)} samples and {len(doses)} doses to {OUT}")


if __name__ == "__main__":
    main()
