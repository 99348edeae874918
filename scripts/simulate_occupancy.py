"""Simulate the bundled receptor-occupancy examples from a stated truth (SIMULATED data).

Truth: four subjects after a 2 h balixafortide infusion; per subject a true %RO at each time
(table in the README) and a pre-dose CXCR4 level. Anti-CXCR4 (12G5-PE) MFI on lymphocytes =
isotype + receptor level x (1 - RO/100), isotype MFI ~ 120; each MFI read with 3% noise.

* ``mfi_table.csv``: MFI of every tube (subject, time, stain), four subjects x six times.
* ``fcs.zip`` + ``manifest.csv`` + ``gates.toml``: FCS files of subject S01 at 0, 2 and 24 h,
  anti-CXCR4 and isotype (2,000 events each: lymphocytes, monocytes, debris), zipped (as
  ``fcs/<name>.fcs``, the paths the manifest lists), MFI computed from the gated lymphocytes
  through FlowKit.

Run: ``uv run python scripts/simulate_occupancy.py``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import flowio
import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "occupancy"
NOTE = "SIMULATED data (cxcr4lab example, scripts/simulate_occupancy.py); not measurements"
TIMES = (0.0, 2.0, 4.0, 8.0, 24.0, 48.0)
TRUTH = {  # subject: (pre-dose specific MFI, %RO at each time)
    "S01": (2400.0, (0, 96, 93, 85, 60, 22)),
    "S02": (1900.0, (0, 94, 90, 80, 50, 15)),
    "S03": (2800.0, (0, 97, 95, 88, 66, 30)),
    "S04": (2100.0, (0, 92, 86, 74, 42, 10)),
}
ISOTYPE = 120.0
GATES = """# Lymphocyte gate for the SIMULATED RO tubes (scripts/simulate_occupancy.py).
[[gate]]
name = "lymphocytes"
[gate.range]
"FSC-A" = { min = 30000, max = 70000 }
"SSC-A" = { max = 500 }
"""


def tube_events(rng: np.random.Generator, lymph_mfi: float, n: int = 2000) -> np.ndarray:
    k = rng.multinomial(n, [0.7, 0.2, 0.1])
    sigma = 0.35
    mu = np.log(lymph_mfi) - sigma**2 / 2  # log-normal with the stated mean; median exp(mu)
    lymph = np.column_stack(
        [
            rng.normal(50000, 5000, k[0]),
            rng.lognormal(np.log(250), 0.25, k[0]),
            rng.lognormal(mu, sigma, k[0]),
        ]
    )
    mono = np.column_stack(
        [
            rng.normal(80000, 8000, k[1]),
            rng.lognormal(np.log(1500), 0.25, k[1]),
            rng.lognormal(np.log(lymph_mfi * 2), sigma, k[1]),
        ]
    )
    debris = np.column_stack(
        [
            rng.normal(8000, 2000, k[2]),
            rng.lognormal(np.log(100), 0.5, k[2]),
            rng.lognormal(np.log(50), 0.5, k[2]),
        ]
    )
    ev = np.vstack([lymph, mono, debris])
    return ev[rng.permutation(len(ev))]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261228)
    buf = io.StringIO()
    buf.write(f"# {NOTE}\n# median fluorescence intensity of CXCR4-PE on lymphocytes\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["subject", "time_h", "stain", "mfi"])
    for subject, (level, ro) in TRUTH.items():
        for t, occ in zip(TIMES, ro, strict=True):
            spec = level * (1 - occ / 100)
            w.writerow(
                [
                    subject,
                    f"{t:g}",
                    "cxcr4",
                    f"{(ISOTYPE + spec) * (1 + 0.03 * rng.standard_normal()):.1f}",
                ]
            )
            w.writerow(
                [
                    subject,
                    f"{t:g}",
                    "isotype",
                    f"{ISOTYPE * (1 + 0.03 * rng.standard_normal()):.1f}",
                ]
            )
    (OUT / "mfi_table.csv").write_text(buf.getvalue(), encoding="utf-8")

    manifest = io.StringIO()
    manifest.write(f"# {NOTE}\n")
    m = csv.writer(manifest, lineterminator="\n")
    m.writerow(["file", "subject", "time_h", "stain"])
    level, ro = TRUTH["S01"]
    tubes = zipfile.ZipFile(OUT / "fcs.zip", "w", zipfile.ZIP_DEFLATED)
    for t in (0.0, 2.0, 24.0):
        occ = ro[TIMES.index(t)]
        for stain, mean in (("cxcr4", ISOTYPE + level * (1 - occ / 100)), ("isotype", ISOTYPE)):
            name = f"S01_{t:g}h_{stain}.fcs"
            ev = tube_events(rng, mean).astype(np.float32)
            fcs = io.BytesIO()
            flowio.create_fcs(
                fcs,
                ev.flatten(),
                ["FSC-A", "SSC-A", "FL2-A"],
                opt_channel_names=["", "", "CXCR4-PE"],
                metadata_dict={"COMMENT": NOTE},
            )
            member = zipfile.ZipInfo(f"fcs/{name}", date_time=(2026, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            tubes.writestr(member, fcs.getvalue())
            m.writerow([f"fcs/{name}", "S01", f"{t:g}", stain])
    tubes.close()
    (OUT / "manifest.csv").write_text(manifest.getvalue(), encoding="utf-8")
    (OUT / "gates.toml").write_text(GATES, encoding="utf-8")

    rows = "\n".join(
        f"| {s} | {lv:g} | " + " | ".join(f"{v:g}" for v in ro) + " |"
        for s, (lv, ro) in TRUTH.items()
    )
    readme = f"""# Example CXCR4 receptor occupancy — SIMULATED data

Simulated by `scripts/simulate_occupancy.py` (seeded) from the truth below; not measurements.
Anti-CXCR4 MFI on lymphocytes = isotype ({ISOTYPE:g}) + pre-dose specific MFI x (1 - %RO/100),
3% noise on every MFI in the table. %RO = (1 - specific MFI post / specific MFI pre) x 100.

| subject | pre-dose specific MFI | {" | ".join(f"%RO at {t:g} h" for t in TIMES)} |
|---|---|{"---|" * len(TIMES)}
{rows}

| file | what | analyse |
|---|---|---|
| `mfi_table.csv` | MFIs of 4 subjects x 6 times x 2 stains | `cxcr4lab analyze occupancy mfi_table.csv` |
| `manifest.csv` + `fcs.zip` + `gates.toml` | S01 at 0, 2, 24 h, anti-CXCR4 and isotype, 2,000 events per tube (the tube MFI is a mean of log-normal events; the median used by default is ~6% lower in both stains, so %RO is close to but not exactly the truth) | `cxcr4lab analyze occupancy manifest.csv --gates gates.toml --fcs fcs.zip --gate lymphocytes --channel CXCR4-PE` |
"""
    (OUT / "README.md").write_text(readme, encoding="utf-8")
    print(f"wrote simulated RO examples to {OUT}")


if __name__ == "__main__":
    main()
