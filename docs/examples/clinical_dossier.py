"""The clinical section of the dossier as PNG figures, from the bundled SIMULATED tables.

Kaplan-Meier PFS with numbers at risk, the forest plot of subgroup hazard ratios (stratum and
CXCR4 H-score group), the waterfall and swimmer plots, the exact 3+3 design on the balixafortide
ladder, and the worked FORTRESS analysis (ORR beliefs, power curve, where the published result
falls). The same functions draw the HTML dossier's SVGs. Run:
./run python docs/examples/clinical_dossier.py [OUTDIR] (default docs/img).
"""

from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.figure import Figure

from cxcr4lab.clinical.design import BALIXAFORTIDE_LADDER, three_plus_three
from cxcr4lab.clinical.fortress import fortress_analysis
from cxcr4lab.commands.response import analyse_response_bytes
from cxcr4lab.commands.survival import SUBGROUPS, analyse_survival_bytes
from cxcr4lab.commands.trial import DOSSIER_DLT
from cxcr4lab.report.sections import fortress, response, survival
from cxcr4lab.report.sections import three_plus_three as design
from cxcr4lab.workflows import example_bytes

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "img"


def save(fig: Figure, name: str) -> None:
    fig.savefig(OUT / name, dpi=100, bbox_inches="tight")
    print(f"wrote {OUT / name}")


files = {r: example_bytes("clinical", f"fortress_{r}.csv") for r in ("adtte", "adsl", "adrs", "tr")}
pfs = analyse_survival_bytes(
    files["adtte"],
    files["adsl"],
    paramcd="PFS",
    by="ARM",
    reference="eribulin",
    tau=12.0,
    subgroups=SUBGROUPS,
)
save(survival.km_figure(pfs), "clinical_km_pfs.png")
save(survival.hazard_forest_figure(survival.forest_rows(pfs), pfs.reference), "clinical_forest.png")
rates = analyse_response_bytes(files["adrs"], files["adsl"], files["tr"], strata="STRAT1")
save(response.waterfall_figure(rates), "clinical_waterfall.png")
save(response.swimmer_figure(rates), "clinical_swimmer.png")
escalation = three_plus_three(DOSSIER_DLT, BALIXAFORTIDE_LADDER)
save(design.mtd_figure(escalation), "clinical_3plus3.png")
worked = fortress_analysis()
save(fortress.beliefs_figure(worked), "fortress_beliefs.png")
save(fortress.power_figure(worked), "fortress_power.png")
s = worked.scenarios
save(
    fortress.differences_figure(worked, (s[0], s[2], s[3], s[5], s[6])), "fortress_differences.png"
)
