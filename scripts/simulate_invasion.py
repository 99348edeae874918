"""Simulate the bundled Matrigel invasion experiment from a stated truth (SIMULATED data).

MDA-MB-231 in a 96-well HTS Transwell; rows A-C Matrigel-coated inserts, rows E-G uncoated
control inserts of the same conditions (triplicates); column 1 CXCL12 100 ng/mL + vehicle
(``max``), columns 2-10 balixafortide (1 µM, 1:3, 9 points), column 11 no CXCL12.

Cells crossing an uncoated insert (migration, the chemotaxis example's truth)::

    migrated = 2500 + 10000 / (1 + [B] / 8 nM)          (no CXCL12: 2500)

and of those, the fraction that also crosses the Matrigel (invasiveness)::

    f = 0.40 x (0.2 + 0.8 / (1 + [B] / 10 nM))          (no CXCL12: 0.40 x 0.2)

so the invasion index (coated / uncoated) is f, and % of vehicle invasion = 100 f / 0.40 =
20 + 80 / (1 + [B] / 10 nM): IC50 of invasion inhibition **10 nM**, Hill 1, bottom 20 %.
10 % insert-to-insert variation; crystal-violet-stained cells counted in 5 fields per insert,
a field holding 1/20 of the membrane (Poisson).

Run: ``uv run python scripts/simulate_invasion.py``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from _plate_sim import series

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "invasion"
BALIX = series(1000.0, 3.0, 9)  # 1 µM down to 0.15 nM
BASAL, INDUCED, IC50_MIGRATION = 2500.0, 10000.0, 8.0
F_VEHICLE, BOTTOM, IC50_INVASION = 0.40, 0.2, 10.0
FIELD = 1 / 20
TRUTH = (
    "SIMULATED data (cxcr4lab example, scripts/simulate_invasion.py); truth: MDA-MB-231, "
    "uncoated inserts migrate 2500 + 10000 / (1 + [B]/8 nM) cells, a fraction 0.40 x (0.2 + "
    "0.8 / (1 + [B]/10 nM)) of them crosses the Matrigel; % of vehicle invasion = 20 + 80 / "
    "(1 + [B]/10 nM), IC50 10 nM, Hill 1; 5 fields of 1/20 of the membrane"
)


def condition(col: int) -> tuple[str, float | None]:
    """(role, balixafortide nM) of a 1-based column."""
    if col == 1:
        return "max", None
    if col == 11:
        return "no_agonist", None
    return "sample", BALIX[col - 2]


def cells(role: str, conc: float | None, coated: bool) -> float:
    if role == "no_agonist":
        migrated, invasive = BASAL, F_VEHICLE * BOTTOM
    else:
        b = 0.0 if conc is None else conc
        migrated = BASAL + INDUCED / (1 + b / IC50_MIGRATION)
        invasive = F_VEHICLE * (BOTTOM + (1 - BOTTOM) / (1 + b / IC50_INVASION))
    return migrated * invasive if coated else migrated


def layout() -> str:
    lines = [
        "# Layout of a simulated 96-well Matrigel invasion experiment (cxcr4lab example data).",
        "# Rows A-C: Matrigel-coated inserts; rows E-G: uncoated control inserts, same",
        "# conditions. Column 1 max (CXCL12 100 ng/mL + vehicle), columns 2-10 balixafortide",
        "# (1 µM, 1:3), column 11 no_agonist (no CXCL12). Rows D, H and column 12 unused.",
        "",
        "[expt]",
        "plate = 96",
        "",
    ]
    for top, coating in (("A", "matrigel"), ("E", "none")):
        for col in range(1, 12):
            role, conc = condition(col)
            lines += [f"[block.1x3.{top}{col}]", f'role = "{role}"', f'coating = "{coating}"']
            if conc is not None:
                lines += ['compound = "balixafortide"', f'conc = "{conc:.6g} nM"']
            lines.append("")
    return "\n".join(lines)


def counts(rng: np.random.Generator) -> str:
    buf = io.StringIO()
    buf.write(f"# {TRUTH}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["well", "field", "count"])
    for letters, coated in (("ABC", True), ("EFG", False)):
        for letter in letters:
            for col in range(1, 12):
                role, conc = condition(col)
                n = cells(role, conc, coated) * (1 + 0.10 * rng.standard_normal())
                for field in range(1, 6):
                    w.writerow([f"{letter}{col}", field, int(rng.poisson(n * FIELD))])
    return buf.getvalue()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261203)
    (OUT / "layout96.toml").write_text(layout(), encoding="utf-8")
    (OUT / "counts_mda231.csv").write_text(counts(rng), encoding="utf-8")
    print(f"wrote the simulated invasion example to {OUT}")


if __name__ == "__main__":
    main()
