"""Helpers shared by the simulate_*.py scripts: plate files and wellmap layouts (SIMULATED data)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import numpy as np

LETTERS = "ABCDEFGHIJKLMNOP"


def gaddum_effect(
    agonist_nm: float, antagonist_nm: float, *, ec50_nm: float, hill: float, kb_nm: float | None
) -> float:
    """Fractional agonist effect (0-1) with a competitive antagonist: the agonist's logistic
    curve shifted by the Gaddum factor 1 + [B]/Kb (no antagonist: ``kb_nm`` None)."""
    if agonist_nm <= 0:
        return 0.0
    shift = 1.0 + (antagonist_nm / kb_nm if kb_nm else 0.0)
    a = agonist_nm**hill
    return float(a / (a + (ec50_nm * shift) ** hill))


def series(top_nm: float, factor: float, n: int) -> list[float]:
    return [top_nm / factor**k for k in range(n)]


def grid_csv(grid: np.ndarray, preamble: Sequence[str], title: str, digits: int = 1) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for line in preamble:
        w.writerow([line])
    w.writerow([])
    w.writerow([title])
    w.writerow(["", *range(1, grid.shape[1] + 1)])
    for r, row in enumerate(grid):
        w.writerow([LETTERS[r], *("" if np.isnan(v) else f"{v:.{digits}f}" for v in row)])
    return buf.getvalue()


def long_csv(grid: np.ndarray, truth: str, column: str, digits: int = 1) -> str:
    buf = io.StringIO()
    buf.write(f"# {truth}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["well", column])
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if not np.isnan(v):
                w.writerow([f"{LETTERS[r]}{c + 1:02d}", f"{v:.{digits}f}"])
    return buf.getvalue()


def layout_toml(
    header: Sequence[str],
    controls: dict[str, str],
    series_blocks: Sequence[tuple[str, str, str, Sequence[float], int]],
    plate: int = 96,
) -> str:
    """wellmap TOML. ``controls``: wellmap key (e.g. 'block.1x4.A1') -> role. ``series_blocks``:
    (first well, role, compound, concentrations in nM along the row, rows high)."""
    lines = [f"# {h}" for h in header]
    lines += ["", "[expt]", f"plate = {plate}", ""]
    for key, role in controls.items():
        lines += [f"[{key}]", f'role = "{role}"', ""]
    for first, role, compound, concs, height in series_blocks:
        row, col = first[0], int(first[1:])
        for k, conc in enumerate(concs):
            lines += [
                f"[block.1x{height}.{row}{col + k}]",
                f'role = "{role}"',
                f'compound = "{compound}"',
                f'conc = "{conc:.6g} nM"',
                "",
            ]
    return "\n".join(lines)
