"""Simulate the bundled example binding plates from a stated truth (SIMULATED data).

Competitive [125I]SDF-1α binding to CXCR4 membranes at equilibrium, one site, competitor
affinity Ki (mass action, ligand depletion neglected):

    specific(I) = B0 / (1 + (Kd / L) (1 + I / Ki)) ... scaled so that I = 0 gives B0
    counts = NSB + specific,   observed = Poisson(counts) * (1 + 5% pipetting error)

Truth (stated in every output file): [L] = 0.1 nM, Kd = 0.5 nM; Ki: balixafortide 1 nM,
motixafortide 0.8 nM, mavorixafor 10 nM, plerixafor 40 nM, eribulin no binding (inactive).
The expected IC50 is Ki (1 + L/Kd) = 1.2 Ki. Run: ``uv run python scripts/simulate_binding_plates.py``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
from openpyxl import Workbook

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "binding"
LIGAND_NM = 0.1
KD_NM = 0.5
KI_NM = {
    "balixafortide": 1.0,
    "motixafortide": 0.8,
    "mavorixafor": 10.0,
    "plerixafor": 40.0,
    "eribulin": None,
}
B0_CPM = 5200.0  # specific binding without competitor
NSB_CPM = 450.0
PIPETTING_CV = 0.05
HALF_LOG_NM = [1000.0 / 10 ** (k / 2) for k in range(10)]  # 1 µM down to 0.0316 nM
TRUTH = (
    "SIMULATED data (cxcr4lab example, scripts/simulate_binding_plates.py); truth: [L] = 0.1 nM, "
    "Kd = 0.5 nM, Ki balixafortide 1 nM, motixafortide 0.8 nM, mavorixafor 10 nM, plerixafor 40 nM, "
    "eribulin inactive"
)


def expected_cpm(compound: str | None, conc_nm: float) -> float:
    """Mean counts per minute for a well with ``compound`` at ``conc_nm`` (None: total binding)."""
    ki = KI_NM.get(compound) if compound else None
    occupancy = LIGAND_NM / (LIGAND_NM + KD_NM * (1 + (conc_nm / ki if ki else 0.0)))
    occupancy0 = LIGAND_NM / (LIGAND_NM + KD_NM)
    return NSB_CPM + B0_CPM * occupancy / occupancy0


def observe(mean: float, rng: np.random.Generator) -> float:
    return float(rng.poisson(mean) * (1 + PIPETTING_CV * rng.standard_normal()))


def plate_96(rng: np.random.Generator) -> np.ndarray:
    """Rows A-C balixafortide, D-F plerixafor, G-H motixafortide; col 1 total, col 12 NSB."""
    grid = np.zeros((8, 12))
    rows = {
        **dict.fromkeys("ABC", "balixafortide"),
        **dict.fromkeys("DEF", "plerixafor"),
        **dict.fromkeys("GH", "motixafortide"),
    }
    for r, letter in enumerate("ABCDEFGH"):
        grid[r, 0] = observe(expected_cpm(None, 0), rng)
        grid[r, 11] = observe(NSB_CPM, rng)
        for c, conc in enumerate(HALF_LOG_NM):
            grid[r, c + 1] = observe(expected_cpm(rows[letter], conc), rng)
    return grid


def plate_384(rng: np.random.Generator) -> np.ndarray:
    """Rows A-D: balixafortide (cols 3-12) and plerixafor (cols 13-22); E-H: motixafortide and
    mavorixafor; I-L: eribulin (cols 3-12); cols 1-2 total, cols 23-24 NSB; the rest empty."""
    grid = np.full((16, 24), np.nan)
    blocks = {
        "ABCD": ("balixafortide", "plerixafor"),
        "EFGH": ("motixafortide", "mavorixafor"),
        "IJKL": ("eribulin", None),
    }
    for r in range(16):
        grid[r, 0:2] = [observe(expected_cpm(None, 0), rng) for _ in range(2)]
        grid[r, 22:24] = [observe(NSB_CPM, rng) for _ in range(2)]
    for letters, (left, right) in blocks.items():
        for letter in letters:
            r = ord(letter) - ord("A")
            for c, conc in enumerate(HALF_LOG_NM):
                grid[r, 2 + c] = observe(expected_cpm(left, conc), rng)
                if right:
                    grid[r, 12 + c] = observe(expected_cpm(right, conc), rng)
    return grid


def grid_csv(grid: np.ndarray, preamble: list[str], title: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for line in preamble:
        w.writerow([line])
    w.writerow([])
    w.writerow([title])
    w.writerow(["", *range(1, grid.shape[1] + 1)])
    for r, row in enumerate(grid):
        w.writerow([chr(ord("A") + r), *("" if np.isnan(v) else f"{v:.1f}" for v in row)])
    return buf.getvalue()


def write_xlsx(path: Path, grid: np.ndarray) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "MicroBeta2"
    header = [
        ["Instrument", "MicroBeta2 LumiJET (simulated export)"],
        ["Protocol", "[125I]SDF-1a competition, 384-well"],
        ["Counting time", "1 min/well"],
        ["Note", TRUTH],
        [],
        ["Plate 1 - CCPM"],
        ["", *range(1, 25)],
    ]
    for row in header:
        ws.append(row)
    for r, values in enumerate(grid):
        ws.append(
            [chr(ord("A") + r), *(None if np.isnan(v) else round(float(v), 1) for v in values)]
        )
    wb.save(path)


def long_csv(grid: np.ndarray) -> str:
    buf = io.StringIO()
    buf.write(f"# {TRUTH}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["well", "cpm"])
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            w.writerow([f"{chr(ord('A') + r)}{c + 1:02d}", f"{v:.1f}"])
    return buf.getvalue()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261123)
    preamble = ["MicroBeta2 export (simulated)", TRUTH, "Counts: CCPM"]
    (OUT / "plate96_run1.csv").write_text(
        grid_csv(plate_96(rng), preamble, "Plate 1 - CCPM"), encoding="utf-8"
    )
    write_xlsx(OUT / "plate384_run1.xlsx", plate_384(rng))
    # A long-format export of a second 96-well run (a replicate experiment on another day).
    (OUT / "plate96_run2_long.csv").write_text(long_csv(plate_96(rng)), encoding="utf-8")
    print(f"wrote simulated plates to {OUT}")


if __name__ == "__main__":
    main()
