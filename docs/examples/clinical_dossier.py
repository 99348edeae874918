"""The clinical section of the dossier as PNG figures, from the bundled SIMULATED tables.

Kaplan-Meier PFS with numbers at risk, the forest plot of subgroup hazard ratios (stratum and
CXCR4 H-score group), the waterfall and swimmer plots, the exact 3+3 design on the balixafortide
ladder, and the worked FORTRESS analysis (ORR beliefs, power curve, where the published result
falls), each from its kind's bundled dossier example (``cxcr4lab.runs``). The same functions
draw the HTML dossier's SVGs. Run:
./run python docs/examples/clinical_dossier.py [OUTDIR] (default docs/img).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from cxcr4lab.report.sections import fortress, response, survival
from cxcr4lab.report.sections import three_plus_three as design
from cxcr4lab.runs import KINDS, example_inputs, run_kind

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "img"


def save(fig: Figure, name: str) -> None:
    fig.savefig(OUT / name, dpi=100, bbox_inches="tight")
    print(f"wrote {OUT / name}")


def example(kind: str, title_start: str = "") -> Any:
    """The result of the bundled (SIMULATED) dossier example of ``kind`` whose title starts so."""
    chosen = next(e for e in KINDS[kind].examples if e.title.startswith(title_start))
    return run_kind(kind, example_inputs(chosen), dict(chosen.options)).result


pfs = example("survival", "PFS")
save(survival.km_figure(pfs), "clinical_km_pfs.png")
save(survival.hazard_forest_figure(survival.forest_rows(pfs), pfs.reference), "clinical_forest.png")
rates = example("response")
save(response.waterfall_figure(rates), "clinical_waterfall.png")
save(response.swimmer_figure(rates), "clinical_swimmer.png")
escalation = example("three_plus_three")
save(design.mtd_figure(escalation), "clinical_3plus3.png")
worked = example("fortress")
save(fortress.beliefs_figure(worked), "fortress_beliefs.png")
save(fortress.power_figure(worked), "fortress_power.png")
s = worked.scenarios
save(
    fortress.differences_figure(worked, (s[0], s[2], s[3], s[5], s[6])), "fortress_differences.png"
)
