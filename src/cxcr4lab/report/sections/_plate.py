"""Parts shared by the report sections of inhibition plates (arrestin, calcium, chemotaxis,
viability): potency rows, agonist curve, QC, edge effect and replicate tables as template data."""

from __future__ import annotations

from typing import Any

from cxcr4lab.assays.inhibition import InhibitionPlate, PlateSettings
from cxcr4lab.core.units import format_molar
from cxcr4lab.fit import FLAG_TEXT
from cxcr4lab.report.formats import potency_display
from cxcr4lab.report.html import fmt

__all__ = ["plate_context"]


def plate_context(plate: InhibitionPlate, settings: PlateSettings) -> dict[str, Any]:
    """Template data for ``_inhibition_plate.html.j2``."""
    rows = []
    for c in plate.curves:
        ic50, ic50_ci = potency_display(c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar, c)
        kb, kb_ci = potency_display(c.kb_molar, c.kb_lower_molar, c.kb_upper_molar, c)
        p = c.fit.params
        rows.append(
            {
                "compound": c.compound,
                "ic50": ic50,
                "ic50_ci": ic50_ci,
                "kb": kb,
                "kb_ci": kb_ci,
                "hill": fmt(p["hill"]),
                "top": fmt(p["top"], 4),
                "bottom": fmt(p["bottom"], 3),
                "max_inh": fmt(c.max_inhibition_pct, 3),
                "n": c.fit.n,
                "flags": [{"code": f, "text": FLAG_TEXT.get(f, f)} for f in c.flags],
            }
        )
    agonist = None
    if plate.agonist is not None:
        a = plate.agonist
        agonist = {
            "compound": a.compound,
            "ec50": fmt(a.ec50_molar / 1e-9),
            "ci": f"{fmt(None if a.ec50_lower_molar is None else a.ec50_lower_molar / 1e-9)} – "
            f"{fmt(None if a.ec50_upper_molar is None else a.ec50_upper_molar / 1e-9)}",
            "hill": fmt(a.hill),
            "effect": fmt(a.effect_at_agonist_pct, 3),
            "flags": [{"code": f, "text": FLAG_TEXT.get(f, f)} for f in a.flags],
        }
    qc = plate.qc
    qc_rows = [
        {"metric": metric, "value": f"{fmt(value, 4)} {unit}".strip(), "criterion": criterion}
        for metric, value, unit, criterion in qc.summary().itertuples(index=False)
    ]
    e = plate.edge
    reps = plate.replicate_table()
    replicate_rows = [
        {
            "role": r["role"],
            "compound": r["compound"],
            "conc": fmt(r["conc_nM"]),
            "n": r["n"],
            "mean": fmt(r["mean_signal"], 4),
            "cv": fmt(r["cv_pct"], 2),
            "pct": fmt(r["mean_pct_of_control"], 3),
        }
        for r in reps.to_dict("records")
    ]
    return {
        "rows": rows,
        "has_kb": any(c.kb_molar is not None for c in plate.curves),
        "kb_basis": plate.kb_basis,
        "agonist_conc": format_molar(settings.agonist_molar) if settings.agonist_molar else None,
        "agonist_name": settings.agonist,
        "agonist": agonist,
        "level": round(100 * (1 - settings.alpha)),
        "qc": qc_rows,
        "qc_passed": qc.passed,
        "qc_reasons": list(qc.reasons),
        "edge": {
            "flagged": e.flagged,
            "edge": fmt(e.edge_mean_pct, 3),
            "interior": fmt(e.interior_mean_pct, 3),
            "diff": fmt(e.difference_pct, 3),
            "p": fmt(e.p_value, 2),
            "n_edge": e.n_edge,
            "n_interior": e.n_interior,
            "criterion": e.criterion,
        },
        "replicates": replicate_rows,
        "excluded": [w for w in plate.wells if w.excluded],
    }
