"""Simulate the bundled LC-MS/MS example runs from a stated truth (SIMULATED data).

Truth: balixafortide 5.5 mg/kg (the RP2D, seed_facts [regimen.balixafortide_eribulin]) as a 2 h
IV infusion to two 70 kg subjects, with the project's one human parameter set
(``cxcr4lab.pkpd.balixafortide``, the model ``pkpd.pk.BALIXAFORTIDE_HUMAN`` of the regimen
simulation; derived, not fitted; docs/balixafortide_pk.md). Each subject is an individual of the
population model: CL and V1 log-normal with the set's between-subject CV (30 %), at the 25th and
75th percentiles (S01 clears slowly and has the larger V1, S02 the opposite), Q and V2 typical;
both inside the stated ranges of the typical values. Plasma sampled at 0 (pre-dose), 0.5, 1,
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
import math
import textwrap
from pathlib import Path
from statistics import NormalDist

import numpy as np

from cxcr4lab.pkpd.balixafortide import (
    BSV_CV_PERCENT,
    PARAMETERS,
    TYPICAL,
    concentration,
    half_lives,
)

RANGES = {p.name: (p.low, p.high) for p in PARAMETERS}


def fill(text: str) -> str:
    """``text`` as one paragraph of lines up to 100 characters."""
    return textwrap.fill(" ".join(text.split()), width=100, break_on_hyphens=False)


OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "bioanalysis"
DOSE_MG = 5.5 * 70
T_INF_H = 2.0
Z_QUARTILE = float(NormalDist().inv_cdf(0.75))  # 0.674: the 75th percentile of N(0, 1)
ETA = {"S01": (-Z_QUARTILE, Z_QUARTILE), "S02": (Z_QUARTILE, -Z_QUARTILE)}  # (CL, V1) in SDs
TIMES = (0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 4.0, 6.0, 8.0, 12.0, 24.0, 48.0)
CALS = (5.0, 10.0, 25.0, 100.0, 500.0, 1000.0, 2500.0, 5000.0)
QCS = (15.0, 400.0, 4000.0)
SLOPE, INTERCEPT = 2.0e-4, 1.0e-4
NOTE = "SIMULATED data (cxcr4lab example, scripts/simulate_bioanalysis.py); not measurements"


def subject_parameters(subject: str) -> dict[str, float]:
    """CL, V1, Q2, V2 of one subject: the typical values with CL and V1 moved by the subject's
    number of between-subject SDs (log-normal, omega^2 = ln(1 + CV^2))."""
    p = dict(TYPICAL)
    for name, z in zip(("CL", "V1"), ETA[subject], strict=True):
        omega = math.sqrt(math.log(1.0 + (BSV_CV_PERCENT[name] / 100.0) ** 2))
        p[name] = TYPICAL[name] * math.exp(z * omega)
        low, high = RANGES[name]
        assert low <= p[name] <= high, (subject, name, p[name])  # inside the stated ranges
    return p


def concentration_ng_ml(subject: str, t: float) -> float:
    """Plasma concentration (ng/mL = µg/L) of ``subject`` at ``t`` h (closed form)."""
    conc = concentration([t], DOSE_MG, T_INF_H, subject_parameters(subject))[0]
    return float(conc * 1000.0)  # mg/L -> ng/mL


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
            c = 0.0 if t == 0 else concentration_ng_ml(subject, t)
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
        + " | ".join(f"{concentration_ng_ml(s, t):.1f}" if t else "0" for s in ETA)
        + " |"
        for t in TIMES
    )
    subjects = "\n".join(
        f"| {s} | {p['CL']:.2f} | {p['V1']:.2f} | {p['Q2']:g} | {p['V2']:g} | "
        f"{half_lives(p)[0]:.1f} | {concentration_ng_ml(s, T_INF_H) / 1000:.1f} | "
        f"{DOSE_MG / p['CL']:.1f} |"
        for s, p in ((s, subject_parameters(s)) for s in ETA)
    )
    t_typ = half_lives(TYPICAL)[0]
    c_typ = concentration([T_INF_H], DOSE_MG, T_INF_H)[0]
    intro = fill(
        f"""Simulated by `scripts/simulate_bioanalysis.py` (seeded) from the truth below; not
measurements. Balixafortide 5.5 mg/kg (385 mg for 70 kg) as a 2 h IV infusion. The PK is the
project's one human balixafortide parameter set (`cxcr4lab.pkpd.balixafortide`, the model
`pkpd.pk.BALIXAFORTIDE_HUMAN` that the regimen simulation uses; derived from physiology and the
seed facts, not fitted: docs/balixafortide_pk.md): typical CL {TYPICAL["CL"]:g} L/h,
V1 {TYPICAL["V1"]:g} L, Q {TYPICAL["Q2"]:g} L/h, V2 {TYPICAL["V2"]:g} L (terminal half-life
{t_typ:.1f} h; Cmax {c_typ:.1f} µg/mL, AUC {DOSE_MG / TYPICAL["CL"]:.1f} µg·h/mL). The two
subjects are individuals of that population model: CL and V1 at the 25th and 75th percentiles of
the between-subject variability (log-normal, CV {BSV_CV_PERCENT["CL"]:g} %), inside the stated
ranges of the typical values:"""
    )
    readme = f"""# Example LC-MS/MS runs (balixafortide in plasma) — SIMULATED data

{intro}

| subject | CL (L/h) | V1 (L) | Q (L/h) | V2 (L) | t1/2 (h) | Cmax (µg/mL) | AUC (µg·h/mL) |
|---|---|---|---|---|---|---|---|
{subjects}

Calibration 5-5000 ng/mL (8 levels), QCs 15/400/4000 ng/mL in duplicate; samples above
4000 ng/mL assayed diluted 1:10. Peak-area ratio = 2.0e-4 x ng/mL + 1e-4 with 3% noise.
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
