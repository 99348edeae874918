"""Simulate the bundled beta-arrestin recruitment plates from a stated truth (SIMULATED data).

Enzyme-fragment complementation (PathHunter-like) in CHO-CXCR4 cells, luminescence. CXCL12
(EC50 50 ng/mL = 6.28 nM, Hill slope 1) is added at its EC80, 200 ng/mL = 25.1 nM, to the
antagonist wells. A competitive antagonist of constant Kb shifts the CXCL12 curve by the Gaddum
factor 1 + [B]/Kb:

    RLU = basal + span * A^n / (A^n + (EC50 (1 + B/Kb))^n),   observed = RLU * (1 + 6% noise)

so the inhibition curve at the EC80 has IC50 = Kb ((2 + 4^n)^(1/n) - 1) = 5 Kb (Leff & Dougall).

Truth: Kb balixafortide 1.0 nM (IC50 5 nM, below the published "< 10 nM"), plerixafor 40 nM
(IC50 200 nM). Run 2 has an edge effect: the outer ring of wells reads 20% low (evaporation).
Run: ``uv run python scripts/simulate_arrestin.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from _plate_sim import LETTERS, gaddum_effect, grid_csv, layout_toml, long_csv, series

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "arrestin"
CXCL12_MW = 7963.5
EC50_NM = 50.0 / CXCL12_MW * 1e3  # 50 ng/mL -> 6.28 nM
HILL = 1.0
AGONIST_NM = 200.0 / CXCL12_MW * 1e3  # 200 ng/mL -> 25.1 nM, the EC80 when n = 1
KB_NM = {"balixafortide": 1.0, "plerixafor": 40.0}
BASAL, SPAN, CV = 2000.0, 60000.0, 0.06
BALIX = series(1000.0, 3.0, 10)  # 1 µM down to 0.05 nM
PLERIX = series(10000.0, 3.0, 10)  # 10 µM down to 0.5 nM
CXCL12 = series(300.0, 3.0, 10)  # 300 nM down to 0.015 nM
TRUTH = (
    "SIMULATED data (cxcr4lab example, scripts/simulate_arrestin.py); truth: CXCL12 EC50 50 ng/mL "
    "(6.28 nM), Hill 1, added at 200 ng/mL (EC80); Kb balixafortide 1.0 nM (IC50 5.0 nM), "
    "plerixafor 40 nM (IC50 200 nM)"
)


def layout() -> str:
    return layout_toml(
        [
            "Layout of the simulated 96-well beta-arrestin plates (cxcr4lab example data).",
            "Columns 1 and 12: rows A-D max (CXCL12 200 ng/mL + vehicle), rows E-H no_agonist.",
            "Rows A-C balixafortide (1 µM, 1:3), D-F plerixafor (10 µM, 1:3), G-H CXCL12 curve.",
        ],
        {
            "block.1x4.A1": "max",
            "block.1x4.A12": "max",
            "block.1x4.E1": "no_agonist",
            "block.1x4.E12": "no_agonist",
        },
        [
            ("A2", "sample", "balixafortide", BALIX, 3),
            ("D2", "sample", "plerixafor", PLERIX, 3),
            ("G2", "agonist", "CXCL12", CXCL12, 2),
        ],
    )


def plate(rng: np.random.Generator, edge_loss: float = 0.0) -> np.ndarray:
    grid = np.zeros((8, 12))
    for r, letter in enumerate(LETTERS[:8]):
        for c in range(12):
            if c in (0, 11):
                effect = gaddum_effect(AGONIST_NM, 0, ec50_nm=EC50_NM, hill=HILL, kb_nm=None)
                mean = BASAL + SPAN * (effect if letter in "ABCD" else 0.0)
            elif letter in "GH":
                mean = BASAL + SPAN * gaddum_effect(
                    CXCL12[c - 1], 0, ec50_nm=EC50_NM, hill=HILL, kb_nm=None
                )
            else:
                name, concs = (
                    ("balixafortide", BALIX) if letter in "ABC" else ("plerixafor", PLERIX)
                )
                mean = BASAL + SPAN * gaddum_effect(
                    AGONIST_NM, concs[c - 1], ec50_nm=EC50_NM, hill=HILL, kb_nm=KB_NM[name]
                )
            if r in (0, 7) or c in (0, 11):
                mean *= 1 - edge_loss
            grid[r, c] = mean * (1 + CV * rng.standard_normal())
    return grid


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261124)
    (OUT / "layout96.toml").write_text(layout(), encoding="utf-8")
    preamble = ["EnVision export (simulated)", TRUTH, "Luminescence (RLU), 0.5 s/well"]
    (OUT / "plate96_run1.csv").write_text(
        grid_csv(plate(rng), preamble, "Plate 1 - Luminescence", 0), encoding="utf-8"
    )
    truth2 = TRUTH + "; run 2: outer ring of wells 20% low (edge effect)"
    (OUT / "plate96_run2_long.csv").write_text(
        long_csv(plate(rng, edge_loss=0.20), truth2, "rlu", 0), encoding="utf-8"
    )
    print(f"wrote simulated plates to {OUT}")


if __name__ == "__main__":
    main()
