"""Simulate the bundled CFU-assay example tables from a stated truth (SIMULATED data).

Truth (colonies per 10^5 mononuclear cells plated; MNC per mL of mobilized blood), assumed
from the usual ranges of mobilized blood, not from a study: G-CSF-mobilized MNC carry more
progenitors per MNC and more MNC per mL than a single dose of a CXCR4 antagonist, and
balixafortide 2000 µg/kg mobilizes more than 1000 µg/kg (the plateau of Karpova 2017 starts at
1500 µg/kg). Each donor's rates are the regimen's times a donor factor (log-normal, SD 0.30 on
the log scale, shared by the colony types) times a type factor (SD 0.10); each dish's count is
Poisson around the donor's rate times a dish plating factor (log-normal, SD 0.15, shared by
the types of that dish), so dishes are somewhat overdispersed.

* ``blood.csv``: 3 regimens x 6 donors x BFU-E, CFU-GM, CFU-GEMM x 3 dishes (2 for donors
  6, 12 and 18), with MNC per mL; no total rows (the analysis sums the types);
* ``apheresis.csv``: 4 apheresis products per regimen (balixafortide 2000 µg/kg, G-CSF), 2
  dishes each, the counted total given, with total MNC of the product and body weight.

Run: ``uv run python scripts/simulate_cfu.py``; the truth is written to the README.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "cfu"
NOTE = "SIMULATED data (cxcr4lab example, scripts/simulate_cfu.py); not donor data"
TYPES = ("BFU-E", "CFU-GM", "CFU-GEMM")
TRUTH = {  # regimen: (per 1e5 MNC for BFU-E, CFU-GM, CFU-GEMM), MNC per mL, MNC plated/dish
    "G-CSF": ((60.0, 90.0, 6.0), 8.0e6, 50_000),
    "balixafortide 1000 ug/kg": ((30.0, 40.0, 2.5), 3.5e6, 100_000),
    "balixafortide 2000 ug/kg": ((45.0, 60.0, 4.0), 4.5e6, 100_000),
}
APHERESIS = {  # regimen: total MNC of the product (mean), body weight range kg
    "G-CSF": 6.0e10,
    "balixafortide 2000 ug/kg": 3.5e10,
}


def blood(rng: np.random.Generator) -> str:
    out = io.StringIO()
    out.write(f"# {NOTE}\n")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        ["donor", "regimen", "colony_type", "dish", "colonies", "cells_plated", "mnc_per_ml"]
    )
    donor = 0
    for regimen, (rates, per_ml, plated) in TRUTH.items():
        for k in range(6):
            donor += 1
            f_donor = rng.lognormal(0.0, 0.30)
            f_type = rng.lognormal(0.0, 0.10, size=3)
            mnc = round(per_ml * rng.lognormal(0.0, 0.25), -4)
            n_dish = 2 if k == 5 else 3
            for dish in range(1, n_dish + 1):
                f_dish = rng.lognormal(0.0, 0.15)
                for t, rate, ft in zip(TYPES, rates, f_type, strict=True):
                    mu = rate / 1e5 * plated * f_donor * ft * f_dish
                    w.writerow(
                        [f"D{donor:02d}", regimen, t, dish, rng.poisson(mu), plated, f"{mnc:.4g}"]
                    )
    return out.getvalue()


def apheresis(rng: np.random.Generator) -> str:
    out = io.StringIO()
    out.write(f"# {NOTE}\n")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        ["product", "regimen", "type", "dish", "colonies", "mnc_plated", "total_mnc", "weight_kg"]
    )
    n = 0
    for regimen, total in APHERESIS.items():
        rates = TRUTH[regimen][0]
        plated = TRUTH[regimen][2]
        for _ in range(4):
            n += 1
            f_donor = rng.lognormal(0.0, 0.30)
            mnc = round(total * rng.lognormal(0.0, 0.3), -8)
            kg = round(float(rng.uniform(60, 95)), 1)
            for dish in (1, 2):
                counts = [rng.poisson(r / 1e5 * plated * f_donor) for r in rates]
                other = rng.poisson(2.0)  # unclassified colonies, in the counted total only
                for t, c in zip((*TYPES, "total"), (*counts, sum(counts) + other), strict=True):
                    w.writerow([f"A{n:02d}", regimen, t, dish, c, plated, f"{mnc:.4g}", kg])
    return out.getvalue()


def readme() -> str:
    lines = [
        "# Example CFU assay of mobilized blood — SIMULATED data",
        "",
        "Simulated by `scripts/simulate_cfu.py` (seeded) from the truth below; not donor data.",
        "The rates are assumed from the usual ranges of mobilized blood, not from a study.",
        "",
        "| file | what | how to analyse |",
        "|---|---|---|",
        "| `blood.csv` | 3 regimens x 6 donors x BFU-E/CFU-GM/CFU-GEMM x 3 dishes (2 for D06,"
        " D12, D18), MNC per mL blood | `cxcr4lab analyze cfu blood.csv` |",
        "| `apheresis.csv` | 4 apheresis products per regimen, 2 dishes, the counted total given"
        " (with ~2 unclassified colonies per dish), total MNC and body weight |"
        " `cxcr4lab analyze cfu apheresis.csv` |",
        "",
        "How: each donor's rate is the regimen's times a donor factor (log-normal, SD 0.30 on the"
        " log scale, shared by the types) times a type factor (SD 0.10); each dish's count is"
        " Poisson around it times a dish plating factor (log-normal, SD 0.15, shared by the types"
        " of the dish). Blood MNC per mL: the regimen's value times log-normal (SD 0.25).",
        "",
        "## Truth (colonies per 10^5 MNC plated)",
        "",
        "| regimen | BFU-E | CFU-GM | CFU-GEMM | total | MNC per mL blood | MNC plated per dish |",
        "|---|---|---|---|---|---|---|",
    ]
    for regimen, (rates, per_ml, plated) in TRUTH.items():
        lines.append(
            f"| {regimen} | {rates[0]:g} | {rates[1]:g} | {rates[2]:g} | {sum(rates):g} |"
            f" {per_ml:.2g} | {plated:,} |"
        )
    lines += [
        "",
        "Rate ratios vs G-CSF (truth): balixafortide 1000 ug/kg 0.50 (BFU-E), 0.44 (CFU-GM),"
        " 0.42 (CFU-GEMM), 0.47 (total); 2000 ug/kg 0.75, 0.67, 0.67, 0.70. With six donors per"
        " regimen and a donor SD of 0.30, the estimates scatter around these by ~±25%.",
        "",
        "Apheresis products: total MNC ~ 6e10 (G-CSF) and ~ 3.5e10 (balixafortide) times"
        " log-normal (SD 0.3); body weight 60-95 kg.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    rng = np.random.default_rng(20260)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "blood.csv").write_text(blood(rng))
    (OUT / "apheresis.csv").write_text(apheresis(rng))
    (OUT / "README.md").write_text(readme())


if __name__ == "__main__":
    main()
