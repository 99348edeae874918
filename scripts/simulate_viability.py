"""Simulate the bundled MTT viability plate from a stated truth (SIMULATED data).

PC-3 prostate cancer cells, 48 h exposure, MTT, absorbance at 570 nm. Per well::

    A570 = blank + cells * viability(C) / 100,   viability(C) = 4PL(C) in % of vehicle
    observed = blank * (1 + 4% noise) + cells * viability / 100 * (1 + 5% noise)

Truth: docetaxel 4PL top 100 %, bottom 15 %, IC50 (midpoint) 3.72 nM (seed_facts.toml
[[docetaxel_ic50]], PC-3 48 h), Hill 1.2, so the GI50 (50 % of the vehicle) is
3.72 x (50/35)^(1/1.2) = 5.01 nM and the maximal effect 85 %. Balixafortide has no effect on
viability at any concentration (100 %; the seeds: not cytotoxic alone).
Run: ``uv run python scripts/simulate_viability.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from _plate_sim import LETTERS, grid_csv, layout_toml, series

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "viability"
BLANK_OD, CELLS_OD = 0.06, 1.19
DOC = {"top": 100.0, "bottom": 15.0, "ic50_nm": 3.72, "hill": 1.2}
DOCETAXEL = series(1000.0, 3.0, 10)  # 1 µM down to 0.05 nM
BALIX = series(10000.0, 3.0, 10)  # 10 µM down to 0.5 nM
GI50_NM = DOC["ic50_nm"] * (50.0 / 35.0) ** (1 / DOC["hill"])
TRUTH = (
    "SIMULATED data (cxcr4lab example, scripts/simulate_viability.py); truth: PC-3, 48 h; "
    "docetaxel IC50 (4PL midpoint) 3.72 nM, Hill 1.2, top 100 %, bottom 15 % "
    f"(GI50 {GI50_NM:.2f} nM, max effect 85 %); balixafortide no effect (100 % viability)"
)


def docetaxel_pct(c_nm: float) -> float:
    d = DOC
    return float(d["bottom"] + (d["top"] - d["bottom"]) / (1 + (c_nm / d["ic50_nm"]) ** d["hill"]))


def layout() -> str:
    return layout_toml(
        [
            "Layout of the simulated 96-well MTT plate (cxcr4lab example data).",
            "Columns 1 and 12: rows A-D vehicle (cells + 0.1% DMSO), rows E-H blank (no cells).",
            "Rows A-C docetaxel (1 µM, 1:3), D-F balixafortide (10 µM, 1:3); G-H unused.",
        ],
        {
            "block.1x4.A1": "vehicle",
            "block.1x4.A12": "vehicle",
            "block.1x4.E1": "blank",
            "block.1x4.E12": "blank",
        },
        [
            ("A2", "sample", "docetaxel", DOCETAXEL, 3),
            ("D2", "sample", "balixafortide", BALIX, 3),
        ],
    )


def plate(rng: np.random.Generator) -> np.ndarray:
    grid = np.full((8, 12), np.nan)
    for r, letter in enumerate(LETTERS[:8]):
        for c in range(12):
            if c in (0, 11):
                pct = 100.0 if letter in "ABCD" else 0.0
            elif letter in "ABC":
                pct = docetaxel_pct(DOCETAXEL[c - 1])
            elif letter in "DEF":
                pct = 100.0
            else:
                continue
            cells = CELLS_OD * pct / 100 * (1 + 0.05 * rng.standard_normal())
            grid[r, c] = BLANK_OD * (1 + 0.04 * rng.standard_normal()) + cells
    return grid


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261201)
    (OUT / "layout96.toml").write_text(layout(), encoding="utf-8")
    preamble = ["SpectraMax export (simulated)", TRUTH, "Absorbance 570 nm (OD)"]
    (OUT / "mtt_pc3_48h.csv").write_text(
        grid_csv(plate(rng), preamble, "Plate 1 - A570", 4), encoding="utf-8"
    )
    print(f"wrote simulated plate to {OUT}; GI50 {GI50_NM:.3f} nM")


if __name__ == "__main__":
    main()
