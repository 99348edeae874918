"""Simulate the bundled CXCR4 IHC immunoreactive-score table from a stated truth (SIMULATED).

Truth: 40 triple-negative tumours (the seeds' "high CXCR4 = IHC score > 7" comes from a
triple-negative study); each has a true share of CXCR4-positive tumour cells (uniform 0-100 %,
a few exactly on the proportion-score boundaries 10, 50 and 80 %) and a predominant staining
intensity (0-3; 0 exactly when no cell is positive). A pathologist scores (Remmele & Stegner
1987) intensity 0-3 and proportion 0 (none), 1 (< 10 %), 2 (10-50 %), 3 (51-80 %), 4 (> 80 %);
IRS = intensity x proportion, 0-12. The file holds the pathologist's two scores; the truth
(% positive, IRS, call at IRS > 7) is written to the README.

Run: ``uv run python scripts/simulate_ihc_irs.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "ihc"
N = 40
CUTOFF = 7
NOTE = "SIMULATED data (cxcr4lab example, scripts/simulate_ihc_irs.py); not patient data"


def proportion(pct: float) -> int:
    if pct == 0:
        return 0
    if pct < 10:
        return 1
    if pct <= 50:
        return 2
    if pct <= 80:
        return 3
    return 4


def main() -> None:
    rng = np.random.default_rng(20261203)
    rows = []
    boundaries = {4: 10.0, 11: 50.0, 18: 80.0, 25: 0.0}
    for k in range(N):
        pct = boundaries.get(k, float(np.round(rng.uniform(0, 100))))
        intensity = 0 if pct == 0 else int(rng.choice([1, 2, 3], p=[0.35, 0.4, 0.25]))
        p = proportion(pct)
        rows.append((f"T{k + 1:03d}", pct, intensity, p, intensity * p))
    lines = [f"# {NOTE}", "# pathologist's Remmele-Stegner scores, one row per tumour"]
    lines.append("patient,intensity_score,proportion_score")
    lines += [f"{name},{i},{p}" for name, _, i, p, _ in rows]
    (OUT / "irs_scores.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("| patient | % positive | intensity | proportion | IRS | call (IRS > 7) |")
    print("|---|---|---|---|---|---|")
    for name, pct, i, p, irs in rows:
        print(f"| {name} | {pct:g} | {i} | {p} | {irs} | {'high' if irs > CUTOFF else 'low'} |")
    print(f"high: {sum(r[4] > CUTOFF for r in rows)} of {N}")


if __name__ == "__main__":
    main()
