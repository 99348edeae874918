"""Write the SIMULATED combination examples of ``cxcr4lab synergy`` (examples/synergy/).

Truth (stated in examples/synergy/README.md): the cytotoxic drug follows a Hill curve of %
inhibition, ``E(D) = Emax D^h / (D^h + IC50(B)^h)``; balixafortide alone inhibits nothing and
sensitises: it lowers the cytotoxic's IC50 to ``IC50(B) = IC50 / (1 + (S - 1) B / (B + K))``
(at most S-fold, half of it at B = K). Three replicate wells per cell with Gaussian noise of
4 % inhibition, seeded. Run: ``./run python scripts/simulate_synergy.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "synergy"

EXAMPLES = {
    "docetaxel_balixafortide_pc3.csv": {
        "block": "PC-3 48 h",
        "drug": "docetaxel",
        "doses_nM": (0.0, 0.3, 1.0, 3.0, 10.0, 30.0),
        "ic50_nM": 3.72,  # PC-3, 48 h (seed_facts.toml [[docetaxel_ic50]])
        "hill": 1.0,
        "emax": 90.0,
        "shift": 8.0,
        "k_nM": 300.0,
        "seed": 20261202,
    },
    "eribulin_balixafortide_mda231.csv": {
        "block": "MDA-MB-231 72 h",
        "drug": "eribulin",
        "doses_nM": (0.0, 0.1, 0.3, 1.0, 3.0, 10.0),
        "ic50_nM": 1.0,  # assumed, of the order reported for MDA-MB-231
        "hill": 1.2,
        "emax": 85.0,
        "shift": 5.0,
        "k_nM": 300.0,
        "seed": 20261203,
    },
}
BALIXAFORTIDE_NM = (0.0, 30.0, 100.0, 300.0, 1000.0, 3000.0)
REPLICATES = 3
NOISE = 4.0


def inhibition(d: float, b: float, p: dict[str, object]) -> float:
    ic50 = float(p["ic50_nM"]) / (1 + (float(p["shift"]) - 1) * b / (b + float(p["k_nM"])))
    h = float(p["hill"])
    return 0.0 if d == 0 else float(p["emax"]) * d**h / (d**h + ic50**h)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, p in EXAMPLES.items():
        rng = np.random.default_rng(int(p["seed"]))  # type: ignore[call-overload]
        lines = ["block_id,drug_row,drug_col,conc_r,conc_c,response,conc_r_unit,conc_c_unit"]
        for d in p["doses_nM"]:  # type: ignore[attr-defined]
            for b in BALIXAFORTIDE_NM:
                truth = inhibition(d, b, p)
                for _ in range(REPLICATES):
                    y = truth + rng.normal(0.0, NOISE)
                    lines.append(
                        f"{p['block']},{p['drug']},balixafortide,{d:g},{b:g},{y:.3f},nM,nM"
                    )
        (OUT / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {OUT / name}")
    plate()


PLATE_SEED = 20261204
VEHICLE_OD = 1.25
BLANK_OD = 0.06
OD_NOISE = 0.03


def plate() -> None:
    """The docetaxel x balixafortide checkerboard as a 96-well MTT plate: rows A-F docetaxel
    (0..30 nM), columns 1-6 and 7-12 balixafortide (0..3000 nM, two replicate wells), row G
    vehicle (0 % inhibition), row H blank (no cells); OD = blank + (vehicle - blank)
    (1 - inhibition / 100) + noise (SD 0.03 OD)."""
    p = EXAMPLES["docetaxel_balixafortide_pc3.csv"]
    rng = np.random.default_rng(PLATE_SEED)
    doses = p["doses_nM"]
    rows = []
    for i, letter in enumerate("ABCDEFGH"):
        cells = []
        for j in range(12):
            if letter == "G":
                od = VEHICLE_OD
            elif letter == "H":
                od = BLANK_OD
            else:
                effect = inhibition(doses[i], BALIXAFORTIDE_NM[j % 6], p)  # type: ignore[index]
                od = BLANK_OD + (VEHICLE_OD - BLANK_OD) * (1 - effect / 100)
            cells.append(f"{od + rng.normal(0.0, OD_NOISE):.4f}")
        rows.append(f"{letter}," + ",".join(cells))
    header = [
        "MTT checkerboard (simulated)",
        '"SIMULATED data (cxcr4lab example, scripts/simulate_synergy.py); truth as '
        'docetaxel_balixafortide_pc3.csv, read as absorbance"',
        "Absorbance 570 nm (OD)",
        "",
        "Plate 1 - A570",
        "," + ",".join(str(c) for c in range(1, 13)),
    ]
    (OUT / "checkerboard_pc3_plate.csv").write_text(
        "\n".join(header + rows) + "\n", encoding="utf-8"
    )
    layout = [
        "# Layout of the SIMULATED docetaxel x balixafortide checkerboard (96-well MTT plate).",
        "# Rows A-F: docetaxel; columns 1-6 and 7-12: balixafortide (two replicate wells);",
        "# row G: vehicle (0 % inhibition); row H: blank, no cells (100 % inhibition).",
        "",
        "[expt]",
        "plate = 96",
        'drug_row = "docetaxel"',
        'drug_col = "balixafortide"',
        'block = "PC-3 48 h plate"',
        "",
        "[block.6x6.A1]",
        'role = "combination"',
        "",
        "[block.6x6.A7]",
        'role = "combination"',
        "",
        "[row.G]",
        'role = "vehicle"',
        "",
        "[row.H]",
        'role = "blank"',
    ]
    for i, letter in enumerate("ABCDEF"):
        layout += ["", f"[row.{letter}]", f'conc_r = "{doses[i]:g} nM"']  # type: ignore[index]
    for j in range(12):
        layout += ["", f"[col.{j + 1}]", f'conc_c = "{BALIXAFORTIDE_NM[j % 6]:g} nM"']
    (OUT / "checkerboard_layout.toml").write_text("\n".join(layout) + "\n", encoding="utf-8")
    print(f"wrote {OUT / 'checkerboard_pc3_plate.csv'} and its layout")


if __name__ == "__main__":
    main()
