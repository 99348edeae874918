"""Plate simulation for the inhibition-plate tests, written independently of the code under test.

The truth model is Gaddum's: a competitive antagonist of constant Kb shifts the agonist's logistic
curve (EC50, slope n) by 1 + [B]/Kb, so at an agonist concentration [A] the antagonist's
inhibition curve has IC50 = Kb ((2 + ([A]/EC50)^n)^(1/n) - 1) (Leff & Dougall 1993), which is
5 Kb at the EC80 when n = 1.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

LETTERS = "ABCDEFGHIJKLMNOP"


def gaddum(a_nm: float, b_nm: float, *, ec50_nm: float, hill: float, kb_nm: float | None) -> float:
    if a_nm <= 0:
        return 0.0
    shift = 1.0 + (b_nm / kb_nm if kb_nm else 0.0)
    return a_nm**hill / (a_nm**hill + (ec50_nm * shift) ** hill)


def expected_ic50(kb_nm: float, a_nm: float, ec50_nm: float, hill: float) -> float:
    return kb_nm * ((2 + (a_nm / ec50_nm) ** hill) ** (1 / hill) - 1)


def series(top: float, factor: float, n: int) -> list[float]:
    return [top / factor**k for k in range(n)]


def write_grid(path: Path, grid: np.ndarray, title: str = "Plate 1") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Simulated in tests/assays"])
    w.writerow([title])
    w.writerow(["", *range(1, grid.shape[1] + 1)])
    for r, row in enumerate(grid):
        w.writerow([LETTERS[r], *("" if math.isnan(v) else repr(float(v)) for v in row)])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def layout_text(
    *,
    plate: int,
    controls: dict[str, str],
    series_blocks: Sequence[tuple[str, str, str, Sequence[float], int]],
    extra: str = "",
) -> str:
    """``controls``: wellmap key -> role; ``series_blocks``: (first well, role, compound,
    concentrations in nM along the row, number of rows)."""
    parts = [f"[expt]\nplate = {plate}\n"]
    parts += [f'[{key}]\nrole = "{role}"\n' for key, role in controls.items()]
    for first, role, compound, concs, height in series_blocks:
        row, col = first[0], int(first[1:])
        for k, conc in enumerate(concs):
            parts.append(
                f'[block.1x{height}.{row}{col + k}]\nrole = "{role}"\ncompound = "{compound}"\n'
                f'conc = "{conc!r} nM"\n'
            )
    return "\n".join([*parts, extra])


STANDARD_96 = {
    "block.1x4.A1": "max",
    "block.1x4.A12": "max",
    "block.1x4.E1": "no_agonist",
    "block.1x4.E12": "no_agonist",
}


def functional_96(
    rng: np.random.Generator,
    *,
    kb_nm: dict[str, float | None],
    concs: dict[str, list[float]],
    a_nm: float,
    ec50_nm: float,
    hill: float,
    agonist_concs: list[float] | None,
    basal: float = 2000.0,
    span: float = 60000.0,
    cv: float = 0.05,
    edge_loss: float = 0.0,
    transform: Callable[[float], float] | None = None,
) -> tuple[np.ndarray, str]:
    """A 96-well plate: cols 1/12 rows A-D max, E-H no_agonist; rows A-C first compound, D-F
    second (cols 2-11); rows G-H the agonist curve (or a third compound when no agonist curve)."""
    names = list(kb_nm)
    rows = {**dict.fromkeys("ABC", names[0]), **dict.fromkeys("DEF", names[1])}
    if agonist_concs is None and len(names) > 2:
        rows.update(dict.fromkeys("GH", names[2]))
    grid = np.zeros((8, 12))
    for r, letter in enumerate(LETTERS[:8]):
        for c in range(12):
            if c in (0, 11):
                e = (
                    gaddum(a_nm, 0, ec50_nm=ec50_nm, hill=hill, kb_nm=None)
                    if letter in "ABCD"
                    else 0
                )
            elif letter in rows:
                name = rows[letter]
                e = gaddum(a_nm, concs[name][c - 1], ec50_nm=ec50_nm, hill=hill, kb_nm=kb_nm[name])
            else:
                assert agonist_concs is not None
                e = gaddum(agonist_concs[c - 1], 0, ec50_nm=ec50_nm, hill=hill, kb_nm=None)
            mean = basal + span * e
            if transform is not None:
                mean = transform(mean)
            if r in (0, 7) or c in (0, 11):
                mean *= 1 - edge_loss
            grid[r, c] = mean * (1 + cv * rng.standard_normal())
    blocks = [
        ("A2", "sample", names[0], concs[names[0]], 3),
        ("D2", "sample", names[1], concs[names[1]], 3),
    ]
    if agonist_concs is not None:
        blocks.append(("G2", "agonist", "CXCL12", agonist_concs, 2))
    elif len(names) > 2:
        blocks.append(("G2", "sample", names[2], concs[names[2]], 2))
    return grid, layout_text(plate=96, controls=STANDARD_96, series_blocks=blocks)
