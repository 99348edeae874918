"""Simulate the bundled calcium-flux kinetic plates from a stated truth (SIMULATED data).

Jurkat cells loaded with Fluo-4, FLIPR-style reading every 1 s for 120 s, CXCL12 injected at
20 s. Each well has its own dye loading F_base (lognormal, 15% CV). The calcium transient is

    F(t) = F_base (1 + A_max E g(t - 20 s)) + noise,   g = rise (tau 2 s) x decay (tau 25 s),
    scaled so that g peaks at 1, A_max = 2.5 (peak dF/F0 at full stimulation),

with the fractional effect E of CXCL12 (EC50 3 nM = 23.9 ng/mL, Hill slope 1.5) shifted by a
competitive antagonist by the Gaddum factor 1 + [B]/Kb. CXCL12 is added at 60 ng/mL (7.53 nM,
about its EC80), so IC50 = Kb ((2 + (7.53/3)^1.5)^(1/1.5) - 1) = 2.29 Kb (Leff & Dougall).

Truth: Kb balixafortide 0.8 nM (IC50 1.83 nM, below the published "< 10 nM"), plerixafor 30 nM
(IC50 68.8 nM). Readout noise 1% of F_base per reading; the response amplitude varies 8%
between wells (cells).
Run: ``uv run python scripts/simulate_calcium.py``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from _plate_sim import LETTERS, gaddum_effect, layout_toml, series

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "calcium"
CXCL12_MW = 7963.5
EC50_NM = 3.0
HILL = 1.5
AGONIST_NM = 60.0 / CXCL12_MW * 1e3  # 60 ng/mL -> 7.53 nM
KB_NM = {"balixafortide": 0.8, "plerixafor": 30.0}
INJECTION_S = 20.0
TIMES = np.arange(0.0, 121.0, 1.0)
A_MAX = 2.5
BALIX = series(300.0, 3.0, 10)
PLERIX = series(10000.0, 3.0, 10)
CXCL12 = series(300.0, 3.0, 10)
TRUTH = (
    "SIMULATED data (cxcr4lab example, scripts/simulate_calcium.py); truth: CXCL12 EC50 3 nM, "
    "Hill 1.5, added at 60 ng/mL (7.53 nM); Kb balixafortide 0.8 nM (IC50 1.83 nM), plerixafor "
    "30 nM (IC50 68.8 nM); injection at 20 s"
)


def shape(t: np.ndarray) -> np.ndarray:
    s = np.where(t > 0, (1 - np.exp(-t / 2.0)) * np.exp(-t / 25.0), 0.0)
    return s / s.max()


def layout() -> str:
    return layout_toml(
        [
            "Layout of the simulated 96-well calcium-flux plates (cxcr4lab example data).",
            "Columns 1 and 12: rows A-D max (CXCL12 60 ng/mL only), rows E-H buffer injection.",
            "Rows A-C balixafortide (300 nM, 1:3), D-F plerixafor (10 µM, 1:3), G-H CXCL12 curve.",
        ],
        {
            "block.1x4.A1": "max",
            "block.1x4.A12": "max",
            "block.1x4.E1": "buffer",
            "block.1x4.E12": "buffer",
        },
        [
            ("A2", "sample", "balixafortide", BALIX, 3),
            ("D2", "sample", "plerixafor", PLERIX, 3),
            ("G2", "agonist", "CXCL12", CXCL12, 2),
        ],
    )


def effect(letter: str, c: int) -> float:
    if c in (0, 11):
        return (
            gaddum_effect(AGONIST_NM, 0, ec50_nm=EC50_NM, hill=HILL, kb_nm=None)
            if letter in "ABCD"
            else 0.0
        )
    if letter in "GH":
        return gaddum_effect(CXCL12[c - 1], 0, ec50_nm=EC50_NM, hill=HILL, kb_nm=None)
    name, concs = ("balixafortide", BALIX) if letter in "ABC" else ("plerixafor", PLERIX)
    return gaddum_effect(AGONIST_NM, concs[c - 1], ec50_nm=EC50_NM, hill=HILL, kb_nm=KB_NM[name])


def plate(rng: np.random.Generator) -> dict[str, np.ndarray]:
    g = shape(TIMES - INJECTION_S)
    traces = {}
    for letter in LETTERS[:8]:
        for c in range(12):
            base = 8000.0 * rng.lognormal(0.0, 0.15)
            amplitude = A_MAX * effect(letter, c) * (1 + 0.08 * rng.standard_normal())
            mean = base * (1 + amplitude * g)
            traces[f"{letter}{c + 1}"] = mean + 0.01 * base * rng.standard_normal(TIMES.size)
    return traces


def time_by_well(traces: dict[str, np.ndarray]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["FLIPR Tetra export (simulated)"])
    w.writerow([TRUTH])
    w.writerow(["Ex 470-495 / Em 515-575, 1 s interval"])
    w.writerow([])
    w.writerow(["Time (s)", *traces])
    for i, t in enumerate(TIMES):
        w.writerow([f"{t:g}", *(f"{v[i]:.0f}" for v in traces.values())])
    return buf.getvalue()


def well_by_time(traces: dict[str, np.ndarray]) -> str:
    buf = io.StringIO()
    buf.write(f"# {TRUTH}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Well", *(f"{t:g}" for t in TIMES)])
    for well, v in traces.items():
        w.writerow([well, *(f"{x:.0f}" for x in v)])
    return buf.getvalue()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261125)
    (OUT / "layout96.toml").write_text(layout(), encoding="utf-8")
    (OUT / "flipr_run1.csv").write_text(time_by_well(plate(rng)), encoding="utf-8")
    (OUT / "flexstation_run2.csv").write_text(well_by_time(plate(rng)), encoding="utf-8")
    print(f"wrote simulated kinetic plates to {OUT}")


if __name__ == "__main__":
    main()
