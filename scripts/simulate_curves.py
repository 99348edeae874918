"""Simulate the bundled curve tables of ``cxcr4lab fit`` and ``cxcr4lab compare`` (SIMULATED).

``examples/fit/curves.csv``: 20 inhibition curves, 8 half-log concentrations (0.1-316 nM) each,
one well per concentration. Curves c01-c17 follow a 4PL (bottom 0, top 100) with IC50 spread
log-evenly from 0.5 to 50 nM and Hill slopes 0.8-1.5 (listed in the README); c18-c20 are flat
(no effect: 100 at every concentration). Noise: normal, SD 3 (response units).

``examples/compare/curves.csv``: three compounds in duplicate at 10 half-log concentrations
(0.01-100 nM): cmpd-A (the reference, IC50 2 nM), cmpd-B (IC50 6 nM: a 3-fold shift) and
cmpd-C (IC50 2 nM, as cmpd-A), all with bottom 0, top 100, Hill 1; noise SD 4.

Both tables and their READMEs (with the truth) are written by
``uv run python scripts/simulate_curves.py``; the seed makes them the same every time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples"
NOTE = "SIMULATED data (cxcr4lab example, scripts/simulate_curves.py); not measurements"


def four_pl(
    conc_nm: np.ndarray, bottom: float, top: float, ic50_nm: float, hill: float
) -> np.ndarray:
    """Inhibition 4PL: falls from ``top`` to ``bottom`` (hill > 0)."""
    return bottom + (top - bottom) / (1.0 + (conc_nm / ic50_nm) ** hill)


def _conc(start_nm: float, n: int) -> np.ndarray:
    return np.array([float(f"{start_nm * 10 ** (i / 2):.4g}") for i in range(n)])


def fit_example(rng: np.random.Generator) -> tuple[str, list[str]]:
    conc = _conc(0.1, 8)
    ic50s = np.geomspace(0.5, 50.0, 17)
    hills = np.linspace(0.8, 1.5, 17)[rng.permutation(17)]
    lines = ["curve_id,concentration,response"]
    truth = ["| curve | IC50 (nM) | Hill | bottom | top |", "|---|---|---|---|---|"]
    for i in range(20):
        cid = f"c{i + 1:02d}"
        if i < 17:
            y = four_pl(conc, 0.0, 100.0, float(ic50s[i]), float(hills[i]))
            truth.append(f"| {cid} | {ic50s[i]:.4g} | {hills[i]:.3g} | 0 | 100 |")
        else:
            y = np.full(conc.size, 100.0)
            truth.append(f"| {cid} | flat (no effect) | - | - | 100 |")
        y = y + rng.normal(0.0, 3.0, conc.size)
        lines += [f"{cid},{c:g},{v:.3f}" for c, v in zip(conc, y, strict=True)]
    return "\n".join(lines) + "\n", truth


def compare_example(rng: np.random.Generator) -> str:
    conc = _conc(0.01, 10)
    lines = ["curve_id,concentration,response"]
    for cid, ic50 in (("cmpd-A", 2.0), ("cmpd-B", 6.0), ("cmpd-C", 2.0)):
        for _ in range(2):
            y = four_pl(conc, 0.0, 100.0, ic50, 1.0) + rng.normal(0.0, 4.0, conc.size)
            lines += [f"{cid},{c:g},{v:.3f}" for c, v in zip(conc, y, strict=True)]
    return "\n".join(lines) + "\n"


FIT_README = """# Example curve table for `cxcr4lab fit` — SIMULATED data

{note}. Written by `scripts/simulate_curves.py` (seeded).

`curves.csv`: a long table (`curve_id`, `concentration` in nM, `response` in % of control) of 20
inhibition curves, 8 half-log concentrations from 0.1 to 316 nM, one point each. Curves c01-c17
are 4PL curves (falling from top to bottom; Hill slope positive in cxcr4lab's convention) with the
truth below; c18-c20 are flat (no effect), so their fits are flagged. Noise: normal, SD 3.

Fit: `cxcr4lab fit curves.csv --conc-unit nM` (add `--fix bottom=0 --fix hill=1` to hold the
bottom and the slope, or `--bound top=90:110`).

{truth}
"""

COMPARE_README = """# Example curves for `cxcr4lab compare` — SIMULATED data

{note}. Written by `scripts/simulate_curves.py` (seeded).

`curves.csv`: three compounds in duplicate at 10 half-log concentrations from 0.01 to 100 nM
(`concentration` in nM, `response` in % of control). Truth (4PL, bottom 0, top 100, Hill 1):

| curve | IC50 (nM) | fold shift vs cmpd-A |
|---|---|---|
| cmpd-A | 2 | 1 (the reference) |
| cmpd-B | 6 | 3 |
| cmpd-C | 2 | 1 |

Noise: normal, SD 4. Compare: `cxcr4lab compare curves.csv --conc-unit nM --param ic50
--reference cmpd-A` (the F test rejects one shared IC50; the fold shift of cmpd-B is about 3).
"""


def main() -> None:
    rng = np.random.default_rng(20240613)
    table, truth = fit_example(rng)
    (EXAMPLES / "fit").mkdir(exist_ok=True)
    (EXAMPLES / "fit" / "curves.csv").write_text(table)
    (EXAMPLES / "fit" / "README.md").write_text(
        FIT_README.format(note=NOTE, truth="\n".join(truth))
    )
    (EXAMPLES / "compare").mkdir(exist_ok=True)
    (EXAMPLES / "compare" / "curves.csv").write_text(compare_example(rng))
    (EXAMPLES / "compare" / "README.md").write_text(COMPARE_README.format(note=NOTE))


if __name__ == "__main__":
    main()
