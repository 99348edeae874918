"""Write the bundled occupancy-course example: a SIMULATED balixafortide plasma profile.

Balixafortide 5.5 mg/kg (385 mg for 70 kg) as one 2-h IV infusion, computed without noise from
the project's human parameter set (``cxcr4lab.pkpd.balixafortide``, the typical values of
``pkpd.pk.BALIXAFORTIDE_HUMAN``; closed form). Concentrations in ng/mL to 6 significant digits;
a test checks the file against the model.

Run: ``./run python scripts/simulate_occupancy_course.py``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from cxcr4lab.pkpd.balixafortide import TYPICAL, concentration, half_lives

OUT = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "occupancy_course"
DOSE_MG = 5.5 * 70.0
INFUSION_H = 2.0
TIMES = (0, 0.5, 1, 1.5, 2, 2.25, 2.5, 3, 4, 6, 8, 12, 16, 24, 36, 48, 72)


def table() -> str:
    """The CSV text: ``time,conc`` (h, ng/mL)."""
    conc = concentration(TIMES, DOSE_MG, INFUSION_H) * 1000.0  # mg/L -> ng/mL
    rows = [f"{t:g},{c:.6g}" for t, c in zip(TIMES, conc, strict=True)]
    return "time,conc\n" + "\n".join(rows) + "\n"


def readme() -> str:
    t_z = half_lives(TYPICAL)[0]
    text = f"""`balixafortide_5p5_mg_kg.csv`: time (h) and total plasma concentration (ng/mL) after a 5.5 mg/kg
(385 mg for 70 kg) 2-h IV infusion, computed (no noise) by `scripts/simulate_occupancy_course.py`
with the project's human balixafortide parameter set, `pkpd.pk.BALIXAFORTIDE_HUMAN` (CL
{TYPICAL["CL"]:g} L/h, V1 {TYPICAL["V1"]:g} L, Q {TYPICAL["Q2"]:g} L/h, V2 {TYPICAL["V2"]:g} L;
terminal half-life {t_z:.1f} h), derived from physiology and the seed facts, not fitted
(docs/balixafortide_pk.md). It is not measured data.
`cxcr4lab simulate occupancy` turns it into unbound concentration (fu 0.68) and CXCR4 occupancy
with a Kd of 1 nM."""
    body = textwrap.fill(" ".join(text.split()), width=100, break_on_hyphens=False)
    return f"# Occupancy course example: a SIMULATED balixafortide plasma profile\n\n{body}\n"


def main() -> None:
    (OUT / "balixafortide_5p5_mg_kg.csv").write_text(table(), encoding="utf-8")
    (OUT / "README.md").write_text(readme(), encoding="utf-8")
    print(f"wrote the simulated occupancy course to {OUT}")


if __name__ == "__main__":
    main()
