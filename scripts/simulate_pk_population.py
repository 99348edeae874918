"""Simulate the bundled phase 1 population PK data set (NONMEM form) from a stated truth
(SIMULATED, not patient data).

Design: the seed's balixafortide dose escalation (seed_facts [regimen.balixafortide_eribulin]:
3+3 from 2.0 mg/kg, increments 0.5/1.0, RP2D 5.5 mg/kg), dose levels 2.0, 2.5, 3.0, 4.0, 5.0
and 5.5 mg/kg, eight subjects per level (48 in all), one 2 h IV infusion at 0 h. At each level
four subjects are sampled richly (:data:`RICH_TIMES_H`, 14 samples to 120 h: sampling to 72 h
left only 1 % of the samples below the LLOQ) and four sparsely (one sample in each window of
:data:`SPARSE_WINDOWS_H`, the second window in half of them: 3 or 4 per subject, times uniform
in the window, rounded to 0.01 h). Body weight uniform 50-100 kg (rounded to 0.1 kg); AMT =
level x WT (mg, rounded to 0.1 mg), RATE = AMT / 2 (mg/h).

Truth (:data:`TRUTH`): 2-compartment model, the project's one human balixafortide set
(:data:`cxcr4lab.pkpd.balixafortide.TYPICAL` at 70 kg: CL 5.44 L/h, V1 14 L, Q 10 L/h,
V2 45.8 L); allometric weight scaling (CL and Q by (WT/70)^0.75, V1 and V2 by WT/70);
log-normal between-subject variability on CL and V1 with the set's CV
(:data:`~cxcr4lab.pkpd.balixafortide.BSV_CV_PERCENT`, 30 %: SD of eta 0.294), none on Q and V2;
combined residual error, SD = sqrt(1.0^2 + (0.10 f)^2) ng/mL (additive 1 ng/mL, proportional
10 %), DV rounded to 0.1 ng/mL. Assay: LC-MS/MS, LLOQ 5 ng/mL; a sample below it is written
with BLQ = 1, DV = 5 (the LLOQ) and MDV 0, as the M3 method reads it. A fit of this truth
names all four allometric effects (``CL~WT``, ``V1~WT``, ``Q~WT``, ``V2~WT``); with CL and V1
only, Q and V2 would be misspecified.

Columns: ID, TIME (h), AMT (mg), RATE (mg/h), DV (ng/mL), EVID, MDV, CMT (1, central), BLQ,
WT (kg), DOSE (mg/kg, the level); ``.`` where a value is missing (NONMEM's convention).

Run: ``./run python scripts/simulate_pk_population.py [--out DIR]`` (default
``src/cxcr4lab/examples/pk/phase1_pop.csv``).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

from cxcr4lab.pkpd.balixafortide import BSV_CV_PERCENT, TYPICAL, concentration
from cxcr4lab.pkpd.datasets import write_nonmem

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "pk"
FILE_NAME = "phase1_pop.csv"
COLUMNS = ("ID", "TIME", "AMT", "RATE", "DV", "EVID", "MDV", "CMT", "BLQ", "WT", "DOSE")
LEVELS_MG_PER_KG = (2.0, 2.5, 3.0, 4.0, 5.0, 5.5)
RICH_PER_LEVEL = 4
SPARSE_PER_LEVEL = 4
INFUSION_H = 2.0
RICH_TIMES_H = (0.5, 1.0, 2.0, 2.5, 3.0, 4.0, 6.0, 8.0, 12.0, 24.0, 48.0, 72.0, 96.0, 120.0)
SPARSE_WINDOWS_H = ((0.5, 2.5), (3.0, 12.0), (24.0, 72.0), (72.0, 120.0))
"""Windows (h) of the sparse samples; the second is drawn with probability 1/2."""
WEIGHT_KG = (50.0, 100.0)
REFERENCE_KG = 70.0
TRUTH: dict[str, float] = {
    "CL": TYPICAL["CL"],  # L/h at 70 kg
    "V1": TYPICAL["V1"],  # L
    "Q": TYPICAL["Q2"],  # L/h
    "V2": TYPICAL["V2"],  # L
    "sd(CL)": math.sqrt(math.log1p((BSV_CV_PERCENT["CL"] / 100) ** 2)),
    "sd(V1)": math.sqrt(math.log1p((BSV_CV_PERCENT["V1"] / 100) ** 2)),
    "sigma_add": 1.0,  # ng/mL
    "sigma_prop": 0.10,  # fraction
}
"""The stated truth in the names of a ``2cmt-infusion`` popfit (typical values at 70 kg)."""
LLOQ_NG_ML = 5.0
SEED = 20261219


def simulate(seed: int = SEED) -> pd.DataFrame:
    """The data set as a NONMEM table (numbers; NaN where NONMEM writes ``.``)."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, float]] = []
    sid = 0
    for level in LEVELS_MG_PER_KG:
        for rich in [True] * RICH_PER_LEVEL + [False] * SPARSE_PER_LEVEL:
            sid += 1
            wt = round(float(rng.uniform(*WEIGHT_KG)), 1)
            s = wt / REFERENCE_KG
            eta = rng.normal(0.0, [TRUTH["sd(CL)"], TRUTH["sd(V1)"]])
            params = {
                "CL": TRUTH["CL"] * s**0.75 * math.exp(eta[0]),
                "V1": TRUTH["V1"] * s * math.exp(eta[1]),
                "Q2": TRUTH["Q"] * s**0.75,
                "V2": TRUTH["V2"] * s,
            }
            if rich:
                times = np.array(RICH_TIMES_H)
            else:
                keep = [0, 2, 3] if rng.random() < 0.5 else [0, 1, 2, 3]
                windows = [SPARSE_WINDOWS_H[k] for k in keep]
                times = np.round([rng.uniform(lo, hi) for lo, hi in windows], 2)
            amt = round(level * wt, 1)
            f = 1000.0 * concentration(times, amt, INFUSION_H, params)  # ng/mL
            sd = np.sqrt(TRUTH["sigma_add"] ** 2 + (TRUTH["sigma_prop"] * f) ** 2)
            dv = np.round(f + sd * rng.normal(size=len(times)), 1)
            base = {"ID": sid, "WT": wt, "DOSE": level, "CMT": 1}
            rows.append(
                base
                | {"TIME": 0.0, "AMT": amt, "RATE": amt / INFUSION_H, "DV": math.nan}
                | {"EVID": 1, "MDV": 1, "BLQ": 0}
            )
            for t, y in zip(times, dv, strict=True):
                blq = bool(y < LLOQ_NG_ML)
                rows.append(
                    base
                    | {"TIME": float(t), "AMT": math.nan, "RATE": math.nan}
                    | {"DV": LLOQ_NG_ML if blq else float(y), "EVID": 0, "MDV": 0, "BLQ": int(blq)}
                )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def write(out_dir: Path, seed: int = SEED) -> Path:
    """Simulate and write ``phase1_pop.csv`` into ``out_dir``; returns its path."""
    path = out_dir / FILE_NAME
    write_nonmem(simulate(seed), path, columns=COLUMNS)
    return path


def summary(frame: pd.DataFrame) -> str:
    """Subjects, samples and BLQ share per cohort and dose level (SIMULATED)."""
    obs = frame[frame["EVID"] == 0]
    n_obs = obs.groupby("ID").size()
    rich = n_obs[n_obs > len(SPARSE_WINDOWS_H)].index
    lines = [
        f"SIMULATED phase 1 population PK: {frame['ID'].nunique()} subjects "
        f"({len(rich)} rich, {frame['ID'].nunique() - len(rich)} sparse), {len(obs)} samples, "
        f"{int(obs['BLQ'].sum())} BLQ ({100 * obs['BLQ'].mean():.1f} %, LLOQ {LLOQ_NG_ML:g} ng/mL)",
        f"{'level (mg/kg)':>14}{'subjects':>10}{'samples':>9}{'BLQ':>6}{'Cmax median (ng/mL)':>22}",
    ]
    for level, g in obs.groupby("DOSE"):
        quant = g[g["BLQ"] == 0]
        cmax = quant.groupby("ID")["DV"].max().median()
        lines.append(
            f"{level:>14g}{g['ID'].nunique():>10}{len(g):>9}{int(g['BLQ'].sum()):>6}{cmax:>22.0f}"
        )
    truth = ", ".join(f"{k} {v:.4g}" for k, v in TRUTH.items())
    lines.append(f"truth: {truth}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="output directory")
    args = parser.parse_args(argv)
    path = write(args.out)
    print(summary(simulate()))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
