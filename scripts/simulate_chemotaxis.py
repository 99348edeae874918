"""Simulate the bundled chemotaxis (Transwell) experiments from a stated truth (SIMULATED data).

Migrated cells per insert (lower chamber or membrane underside)::

    cells = basal + induced / (1 + ([B] / IC50)^hill)     (no CXCL12: basal only)

with 10% insert-to-insert variation (biological), then one of three readouts:

1. Jurkat, Calcein-AM in the lower chamber, 96-well HTS Transwell, read on a fluorescence
   reader: RFU = 150 + 2.0 RFU/cell, 2% reading noise; standards of known labelled cells on the
   same plate (rows G-H). Truth: basal 3,000 cells, CXCL12 (100 ng/mL) adds 12,000 (chemotactic
   index 5.0); IC50 balixafortide 3.0 nM (published < 10 nM), plerixafor 100 nM; Hill 1.
2. MDA-MB-231, crystal violet eluted from the membrane, A570 = 0.08 + 8e-5 OD/cell (+ 0.01 OD
   noise), blank wells = membranes stained without cells. Truth: basal 2,500, induced 10,000
   (index 5.0); IC50 balixafortide 8.0 nM (published < 20 nM), plerixafor 100 nM.
3. MDA-MB-231, 96-well HTS Transwell, crystal-violet-stained cells counted in 5 microscope
   fields per insert (Poisson), a field holding 1/100 of the membrane: truth as in 2.

Run: ``uv run python scripts/simulate_chemotaxis.py``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from _plate_sim import LETTERS, grid_csv, layout_toml, series

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "chemotaxis"
BALIX = series(300.0, 3.0, 10)  # 300 nM down to 0.015 nM
PLERIX = series(10000.0, 3.0, 10)  # 10 µM down to 0.5 nM
STANDARDS = [0.0, 500.0, 1000.0, 2000.0, 4000.0, 6000.0, 8000.0, 12000.0, 16000.0, 24000.0]
JURKAT = {"basal": 3000.0, "induced": 12000.0, "ic50": {"balixafortide": 3.0, "plerixafor": 100.0}}
MDA = {"basal": 2500.0, "induced": 10000.0, "ic50": {"balixafortide": 8.0, "plerixafor": 100.0}}
TRUTH = "SIMULATED data (cxcr4lab example, scripts/simulate_chemotaxis.py); truth: "


def migrated(truth: dict[str, Any], compound: str | None, conc_nm: float, cxcl12: bool) -> float:
    if not cxcl12:
        return float(truth["basal"])
    if compound is None:
        return float(truth["basal"] + truth["induced"])
    ic50 = truth["ic50"][compound]
    return float(truth["basal"] + truth["induced"] / (1 + conc_nm / ic50))


def layout96(extra: dict[str, str], note: str, standards: bool) -> str:
    header = [
        "Layout of a simulated 96-well chemotaxis plate (cxcr4lab example data).",
        "Columns 1 and 12: rows A-D max (CXCL12 100 ng/mL + vehicle), rows E-H no_agonist.",
        "Rows A-C balixafortide (300 nM, 1:3), D-F plerixafor (10 µM, 1:3).",
        note,
    ]
    text = layout_toml(
        header,
        {
            "block.1x4.A1": "max",
            "block.1x4.A12": "max",
            "block.1x4.E1": "no_agonist",
            "block.1x4.E12": "no_agonist",
            **extra,
        },
        [
            ("A2", "sample", "balixafortide", BALIX, 3),
            ("D2", "sample", "plerixafor", PLERIX, 3),
        ],
    )
    if standards:
        for k, cells in enumerate(STANDARDS):
            text += f'\n[block.1x2.G{k + 2}]\nrole = "standard"\ncells = {cells:g}\n'
    return text


def plate96(rng: np.random.Generator, truth: dict[str, Any], readout: str) -> np.ndarray:
    grid = np.full((8, 12), np.nan)
    for r, letter in enumerate(LETTERS[:8]):
        for c in range(12):
            if c in (0, 11):
                cells = migrated(truth, None, 0, letter in "ABCD")
            elif letter in "ABCDEF":
                name, concs = (
                    ("balixafortide", BALIX) if letter in "ABC" else ("plerixafor", PLERIX)
                )
                cells = migrated(truth, name, concs[c - 1], True)
            elif readout == "fluorescence":
                cells = STANDARDS[c - 1]
                grid[r, c] = (150 + 2.0 * cells * (1 + 0.03 * rng.standard_normal())) * (
                    1 + 0.02 * rng.standard_normal()
                )
                continue
            elif c <= 3:  # crystal violet blanks G2-G4, H2-H4
                grid[r, c] = 0.08 + 0.01 * rng.standard_normal()
                continue
            else:
                continue
            cells *= 1 + 0.10 * rng.standard_normal()
            if readout == "fluorescence":
                grid[r, c] = (150 + 2.0 * cells) * (1 + 0.02 * rng.standard_normal())
            else:
                grid[r, c] = 0.08 + 8e-5 * cells + 0.01 * rng.standard_normal()
    return grid


def counts96(rng: np.random.Generator) -> str:
    """One row per field counted: 5 fields per insert of ``layout96.toml``."""
    buf = io.StringIO()
    buf.write(
        "# "
        + TRUTH
        + "MDA-MB-231, crystal-violet-stained membranes of a 96-well HTS Transwell counted in 5 "
        "fields (1/100 of the membrane each); basal 2500 cells, CXCL12-induced 10000 (index "
        "5.0); IC50 balixafortide 8.0 nM, plerixafor 100 nM, Hill 1\n"
    )
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["well", "field", "count"])
    for letter in LETTERS[:8]:
        for c in range(12):
            if c in (0, 11):
                cells = migrated(MDA, None, 0, letter in "ABCD")
            elif letter in "ABCDEF":
                name, concs = (
                    ("balixafortide", BALIX) if letter in "ABC" else ("plerixafor", PLERIX)
                )
                cells = migrated(MDA, name, concs[c - 1], True)
            else:
                continue
            cells *= 1 + 0.10 * rng.standard_normal()
            for field in range(1, 6):
                w.writerow([f"{letter}{c + 1}", field, int(rng.poisson(cells / 100))])
    return buf.getvalue()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261202)
    (OUT / "layout96_calcein.toml").write_text(
        layout96(
            {}, "Rows G-H: standards of Calcein-AM-labelled cells (cols 2-11, duplicate).", True
        ),
        encoding="utf-8",
    )
    calcein_truth = (
        TRUTH + "Jurkat, Calcein-AM, RFU = 150 + 2.0/cell; basal 3000 cells, CXCL12-induced "
        "12000 (index 5.0); IC50 balixafortide 3.0 nM, plerixafor 100 nM, Hill 1"
    )
    (OUT / "calcein_jurkat.csv").write_text(
        grid_csv(
            plate96(rng, JURKAT, "fluorescence"),
            ["Fluorescence reader export (simulated)", calcein_truth, "Ex 485 / Em 520 (RFU)"],
            "Plate 1 - Calcein",
            0,
        ),
        encoding="utf-8",
    )
    (OUT / "layout96_crystal_violet.toml").write_text(
        layout96(
            {"block.3x2.G2": "blank"},
            "G2-G4, H2-H4: blank (membranes stained without cells); rest of G-H unused.",
            False,
        ),
        encoding="utf-8",
    )
    cv_truth = (
        TRUTH + "MDA-MB-231, crystal violet, A570 = 0.08 + 8e-5/cell; basal 2500 cells, "
        "CXCL12-induced 10000 (index 5.0); IC50 balixafortide 8.0 nM, plerixafor 100 nM, Hill 1"
    )
    (OUT / "crystal_violet_mda231.csv").write_text(
        grid_csv(
            plate96(rng, MDA, "absorbance"),
            ["Absorbance reader export (simulated)", cv_truth, "Absorbance 570 nm (OD)"],
            "Plate 1 - A570",
            4,
        ),
        encoding="utf-8",
    )
    counts_layout = layout96({}, "Rows G-H unused.", False)
    (OUT / "layout96.toml").write_text(counts_layout, encoding="utf-8")
    (OUT / "counts_mda231.csv").write_text(counts96(rng), encoding="utf-8")
    print(f"wrote simulated chemotaxis examples to {OUT}")


if __name__ == "__main__":
    main()
