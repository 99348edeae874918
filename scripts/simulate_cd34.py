"""Simulate the bundled CD34+ enumeration examples from a stated truth (SIMULATED data).

Truth: healthy volunteers of the 1500 µg/kg balixafortide cohort (seed_facts [[mobilization]]:
mean peak 38.2 CD34+/µL). Six donors with baseline and peak (4 h) true CD34+ counts stated in
the README; WBC 6,000/µL at baseline and 12,000/µL at peak; 100 µL blood per tube with 50,000
counting beads; acquisition stopped at 80,000 CD45+ events; every event count Poisson; 3% of
leukocytes and 2% of CD34+ cells dead (7-AAD+).

* ``counts.csv``: the event counts of the 12 tubes (as exported from the cytometer's ISHAGE
  template).
* ``demo_tube.fcs`` + ``gates.toml``: one small FCS file (4,000 events, far below the ISHAGE
  minimum on purpose so the file stays small) of a donor at 38.2 CD34+/µL, enriched for CD34+
  cells 10-fold so that a few dozen are seen; its count is therefore 10x the blood value, and
  it fails QC (too few bead events), as the analysis reports.

Run: ``uv run python scripts/simulate_cd34.py``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import flowio
import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "cd34"
BEADS_PER_TUBE = 50_000
VOLUME_UL = 100.0
STOP_CD45 = 80_000
NOTE = "SIMULATED data (cxcr4lab example, scripts/simulate_cd34.py); not measurements"
DONORS = {  # donor: (baseline CD34+/µL, peak CD34+/µL); peak mean 38.2
    "HV01": (2.1, 31.0),
    "HV02": (3.4, 42.5),
    "HV03": (2.8, 36.0),
    "HV04": (1.9, 33.9),
    "HV05": (4.2, 47.1),
    "HV06": (2.6, 38.7),
}
GATES = """# Gates for the SIMULATED demo tube (scripts/simulate_cd34.py): ISHAGE-like sequence on raw values.
[[gate]]
name = "beads"
[gate.range]
"CD45-FITC" = { min = 50000 }
"CD34-PE" = { min = 50000 }

[[gate]]
name = "cd45"
[gate.range]
"CD45-FITC" = { min = 200, max = 30000 }

[[gate]]
name = "viable_cd45"
parent = "cd45"
[gate.range]
"7-AAD" = { max = 500 }

[[gate]]
name = "cd34"
parent = "cd45"
[gate.range]
"CD34-PE" = { min = 1000, max = 30000 }
"SSC-A" = { max = 600 }

[[gate]]
name = "viable_cd34"
parent = "cd34"
[gate.range]
"7-AAD" = { max = 500 }
"""


def tube(rng: np.random.Generator, cd34_ul: float, wbc_ul: float) -> dict[str, int]:
    fraction = STOP_CD45 / (wbc_ul * VOLUME_UL)
    cd45 = int(rng.poisson(wbc_ul * VOLUME_UL * fraction))
    cd34 = int(rng.poisson(cd34_ul * VOLUME_UL * fraction))
    beads = int(rng.poisson(BEADS_PER_TUBE * fraction))
    return {
        "cd45_events": cd45,
        "viable_cd45_events": int(rng.binomial(cd45, 0.97)),
        "cd34_events": cd34,
        "viable_cd34_events": int(rng.binomial(cd34, 0.98)),
        "bead_events": beads,
    }


def demo_events(rng: np.random.Generator, n_total: int = 4000) -> np.ndarray:
    """Events of a lysed, stained tube: leukocytes, CD34+ cells (x10 enriched), beads, debris."""
    wbc, cd34, beads_ul = 12_000.0, 38.2 * 10, BEADS_PER_TUBE / VOLUME_UL
    debris = 1_500.0
    weights = np.array([wbc - cd34, cd34, beads_ul, debris])
    n = rng.multinomial(n_total, weights / weights.sum())
    rows = []

    def pop(k: int, fsc, ssc, cd45, cd34_, dead_frac):
        dead = rng.random(k) < dead_frac
        aad = np.where(dead, rng.lognormal(np.log(3000), 0.3, k), rng.lognormal(np.log(80), 0.4, k))
        return np.column_stack(
            [
                rng.normal(fsc, fsc * 0.1, k),
                rng.lognormal(np.log(ssc), 0.35, k),
                rng.lognormal(np.log(cd45), 0.3, k),
                rng.lognormal(np.log(cd34_), 0.35, k),
                aad,
            ]
        )

    rows.append(pop(n[0], 50_000, 300, 4_000, 120, 0.03))  # leukocytes (CD34-)
    rows.append(pop(n[1], 45_000, 200, 1_200, 4_000, 0.02))  # CD34+ (CD45 dim, SSC low)
    rows.append(pop(n[2], 8_000, 150, 150_000, 150_000, 0.0))  # counting beads
    rows.append(pop(n[3], 5_000, 80, 40, 60, 0.0))  # debris
    events = np.vstack(rows)
    return events[rng.permutation(len(events))]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261221)
    buf = io.StringIO()
    buf.write(f"# {NOTE}\n# ISHAGE single platform, 100 uL blood, 50,000 beads per tube\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "sample",
            "subject",
            "time_h",
            "cd45_events",
            "viable_cd45_events",
            "cd34_events",
            "viable_cd34_events",
            "bead_events",
            "beads_per_tube",
            "volume_ul",
        ]
    )
    for donor, (base, peak) in DONORS.items():
        for time_h, cd34_ul, wbc in ((0, base, 6_000.0), (4, peak, 12_000.0)):
            c = tube(rng, cd34_ul, wbc)
            w.writerow(
                [
                    f"{donor}-{time_h}h",
                    donor,
                    time_h,
                    c["cd45_events"],
                    c["viable_cd45_events"],
                    c["cd34_events"],
                    c["viable_cd34_events"],
                    c["bead_events"],
                    BEADS_PER_TUBE,
                    f"{VOLUME_UL:g}",
                ]
            )
    (OUT / "counts.csv").write_text(buf.getvalue(), encoding="utf-8")
    events = demo_events(rng)
    fcs = io.BytesIO()
    flowio.create_fcs(
        fcs,
        events.astype(np.float32).flatten(),
        ["FSC-A", "SSC-A", "FL1-A", "FL2-A", "FL3-A"],
        opt_channel_names=["", "", "CD45-FITC", "CD34-PE", "7-AAD"],
        metadata_dict={"COMMENT": NOTE},
    )
    (OUT / "demo_tube.fcs").write_bytes(fcs.getvalue())
    (OUT / "gates.toml").write_text(GATES, encoding="utf-8")
    rows = "\n".join(f"| {d} | {b:g} | {p:g} |" for d, (b, p) in DONORS.items())
    mean_peak = np.mean([p for _, p in DONORS.values()])
    readme = f"""# Example CD34+ enumeration (ISHAGE single platform) — SIMULATED data

Simulated by `scripts/simulate_cd34.py` (seeded) from the truth below; not measurements.
Six healthy volunteers of the 1500 µg/kg balixafortide cohort (seed_facts: mean peak
38.2 ± 2.8 CD34+/µL); the simulated donors' true peak mean is {mean_peak:.1f} CD34+/µL.
100 µL blood and 50,000 counting beads per tube; acquisition stopped at 80,000 CD45+ events;
every count Poisson. Baseline tubes have fewer than 100 CD34+ events (flag `low_cd34_events`,
CV > 10%) but pass the ISHAGE minimum through their 80,000 CD45+ events.

| donor | true CD34+/µL at 0 h | true CD34+/µL at 4 h (peak) |
|---|---|---|
{rows}

| file | what | analyse |
|---|---|---|
| `counts.csv` | event counts of 12 tubes | `cxcr4lab analyze cd34 counts.csv` |
| `demo_tube.fcs` + `gates.toml` | one 4,000-event FCS tube (CD34+ enriched 10x: true value in the tube 382/µL), gated through FlowKit; fails QC (124 bead events, fewer than 1,000) by design | `cxcr4lab analyze cd34 demo_tube.fcs --gates gates.toml --beads-per-tube 50000 --volume-ul 100` |
"""
    (OUT / "README.md").write_text(readme, encoding="utf-8")
    print(f"wrote simulated CD34 examples to {OUT}")


if __name__ == "__main__":
    main()
