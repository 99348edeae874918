"""Simulate the bundled ELISA example plates from a stated truth (SIMULATED data).

The seeds' PC-3 bone-metastasis study (seed_facts [preclinical.prostate_bone_metastasis]): four
arms (vehicle, docetaxel, balixafortide, combination), serum at day 29, TRAcP 5b, IFN-γ and IL-2
by ELISA. Five mice per arm; each mouse's true serum level is the arm's mean times a log-normal
factor (SD 0.15 on the log scale), written to the README with the arm means.

Each plate: standards in duplicate (columns 1-2, rows A-H, top level down two-fold, row H the
zero standard), mice in duplicate in columns 3-8 (row-wise), a low and a high QC in duplicate.
Signal (OD 450-570 nm) from a 5PL sandwich curve (stated per analyte below) with 3% multiplicative
and 0.004 OD additive noise. Run: ``uv run python scripts/simulate_elisa.py``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "elisa"
ARMS = ("vehicle", "docetaxel", "balixafortide", "combination")
MICE_PER_ARM = 5
NOTE = "SIMULATED data (cxcr4lab example, scripts/simulate_elisa.py); not measurements"

# analyte: unit, top standard, dilution of serum, 5PL (bottom, top, ec50, hill, asymmetry),
# arm means (in serum), QC nominal levels (in-well).
ANALYTES = {
    "trap5b": {
        "analyte": "TRAcP 5b",
        "unit": "U/L",
        "top_std": 10.0,
        "dilution": 4.0,
        "curve": (0.06, 2.9, 3.0, 1.15, 0.7),
        "means": {"vehicle": 6.0, "docetaxel": 4.6, "balixafortide": 5.2, "combination": 2.6},
        "qc": (0.5, 5.0),
    },
    "ifng": {
        "analyte": "IFN-gamma",
        "unit": "pg/mL",
        "top_std": 1000.0,
        "dilution": 2.0,
        "curve": (0.05, 3.1, 400.0, 1.05, 1.0),
        "means": {"vehicle": 25.0, "docetaxel": 40.0, "balixafortide": 60.0, "combination": 140.0},
        "qc": (50.0, 500.0),
    },
    "il2": {
        "analyte": "IL-2",
        "unit": "pg/mL",
        "top_std": 500.0,
        "dilution": 2.0,
        "curve": (0.04, 2.6, 180.0, 1.1, 1.0),
        "means": {"vehicle": 30.0, "docetaxel": 35.0, "balixafortide": 55.0, "combination": 90.0},
        "qc": (20.0, 200.0),
    },
}


def five_pl(
    x: np.ndarray, bottom: float, top: float, ec50: float, hill: float, s: float
) -> np.ndarray:
    a = 2.0 ** (1.0 / s) - 1.0
    with np.errstate(divide="ignore", over="ignore"):
        z = hill * (np.log(np.maximum(x, 1e-300)) - np.log(ec50))
        return bottom + (top - bottom) / (1.0 + a * np.exp(-z)) ** s


def od(conc: float, curve: tuple[float, ...], rng: np.random.Generator) -> float:
    mean = float(five_pl(np.array([conc]), *curve)[0])
    return mean * (1 + 0.03 * rng.standard_normal()) + 0.004 * rng.standard_normal()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261130)
    truth_lines = []
    for key, spec in ANALYTES.items():
        curve = spec["curve"]
        grid = np.full((8, 12), np.nan)
        levels = [spec["top_std"] / 2**k for k in range(7)] + [0.0]
        layout = [
            f"# Layout of the SIMULATED {spec['analyte']} ELISA plate (scripts/simulate_elisa.py).",
            "[expt]",
            "plate = 96",
            f'analyte = "{spec["analyte"]}"',
            f'unit = "{spec["unit"]}"',
            "",
        ]
        for r, level in enumerate(levels):
            for c in (0, 1):
                grid[r, c] = od(level, curve, rng)
                layout += [
                    f"[well.{'ABCDEFGH'[r]}{c + 1}]",
                    'role = "standard"',
                    f"level = {level!r}",
                    "",
                ]
        slots = [(r, c) for r in range(8) for c in (2, 4, 6)]
        mice = []
        for arm in ARMS:
            for m in range(MICE_PER_ARM):
                true = spec["means"][arm] * float(np.exp(0.15 * rng.standard_normal()))
                mice.append((f"{arm[:3].upper()}-{m + 1}", arm, true))
        for (r, c), (name, arm, true) in zip(slots, mice, strict=False):
            for dc in (0, 1):
                grid[r, c + dc] = od(true / spec["dilution"], curve, rng)
                layout += [
                    f"[well.{'ABCDEFGH'[r]}{c + dc + 1}]",
                    'role = "unknown"',
                    f'sample = "{name}"',
                    f'group = "{arm}"',
                    f"dilution = {spec['dilution']!r}",
                    "",
                ]
        for (r, c), level in zip(slots[len(mice) :], spec["qc"], strict=False):
            for dc in (0, 1):
                grid[r, c + dc] = od(level, curve, rng)
                layout += [
                    f"[well.{'ABCDEFGH'[r]}{c + dc + 1}]",
                    'role = "qc"',
                    f"level = {level!r}",
                    "",
                ]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["SpectraMax export (simulated)"])
        w.writerow([NOTE])
        w.writerow([f"{spec['analyte']} - OD450-570"])
        w.writerow(["", *range(1, 13)])
        for r, row in enumerate(grid):
            w.writerow(["ABCDEFGH"[r], *("" if np.isnan(v) else f"{v:.4f}" for v in row)])
        (OUT / f"{key}_plate.csv").write_text(buf.getvalue(), encoding="utf-8")
        (OUT / f"{key}_layout.toml").write_text("\n".join(layout), encoding="utf-8")
        b, t, e, h, s = curve
        truth_lines.append(
            f"\n## {spec['analyte']} ({spec['unit']}), `{key}_plate.csv` + `{key}_layout.toml`\n\n"
            f"Standards {spec['top_std']:g} {spec['unit']} down two-fold (7 levels) and zero; serum "
            f"diluted 1:{spec['dilution']:g}; QCs {spec['qc'][0]:g} and {spec['qc'][1]:g} "
            f"{spec['unit']} (in the well).\nTrue curve (5PL, rising): bottom {b}, top {t}, "
            f"EC50 {e} {spec['unit']}, Hill {h}, asymmetry {s}"
            f"{' (a true 5PL)' if s != 1.0 else ' (= a 4PL)'}.\n\n"
            "| mouse | arm | true serum level |\n|---|---|---|\n"
            + "\n".join(f"| {n} | {a} | {v:.3f} |" for n, a, v in mice)
            + "\n\nArm means: "
            + ", ".join(f"{a} {v:g}" for a, v in spec["means"].items())
            + "\n"
        )
    readme = (
        "# Example ELISA plates — SIMULATED data\n\n"
        "Simulated by `scripts/simulate_elisa.py` (seeded) from the truth below; not measurements.\n"
        "The seeds' PC-3 intratibial model: serum TRAcP 5b, IFN-γ and IL-2 at day 29, four arms\n"
        "of five mice. OD = true 5PL curve x (1 + 3% noise) + 0.004 OD noise; each well read once.\n"
        "IFN-γ in the vehicle arm lies near or below the LLOQ after 1:2 dilution, as real serum\n"
        "cytokines often do: those mice are reported as `< LLOQ`.\n\n"
        "Analyse: `cxcr4lab analyze elisa trap5b_plate.csv --layout trap5b_layout.toml`.\n"
        + "".join(truth_lines)
    )
    (OUT / "README.md").write_text(readme, encoding="utf-8")
    print(f"wrote simulated ELISA plates to {OUT}")


if __name__ == "__main__":
    main()
