"""Report section of a competition binding plate: potency table, QC, curves, plate heatmap."""

from __future__ import annotations

from cxcr4lab.assays.binding import BindingResult, CompetitionCurve
from cxcr4lab.core.units import format_molar
from cxcr4lab.fit import FLAG_TEXT
from cxcr4lab.report.figures import binding_curves_svg, plate_heatmap_svg
from cxcr4lab.report.html import environment, fmt

__all__ = ["potency_text", "render"]

_NM = 1e-9


def potency_text(
    value: float, lower: float | None, upper: float | None, curve: CompetitionCurve
) -> tuple[str, str]:
    """(estimate, CI) in nM as people should read them: bounds when the curve is incomplete."""
    if "no_effect" in curve.flags:
        return "not determined (no effect)", "—"
    if "outside_range" in curve.flags:
        if curve.fit.params["log10_ic50"] > curve.fit.x_max:
            return f"> {curve.conc_max_molar / _NM:.3g}", "—"
        return f"< {curve.conc_min_molar / _NM:.3g}", "—"
    lo = fmt(None if lower is None else lower / _NM)
    hi = fmt(None if upper is None else upper / _NM)
    return fmt(value / _NM), f"{lo} – {hi}"


def render(analysis_id: int, title: str, result: BindingResult) -> str:
    rows = []
    for c in result.curves:
        ic50, ic50_ci = potency_text(c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar, c)
        ki, ki_ci = potency_text(c.ki_molar, c.ki_lower_molar, c.ki_upper_molar, c)
        p = c.fit.params
        rows.append(
            {
                "compound": c.compound,
                "ic50": ic50,
                "ic50_ci": ic50_ci,
                "ki": ki,
                "ki_ci": ki_ci,
                "log": f"{c.log10_ic50:.3f} ± {fmt(c.log10_ic50_se)}",
                "top": fmt(p["top"], 4),
                "bottom": fmt(p["bottom"], 3),
                "n": c.fit.n,
                "flags": [{"code": f, "text": FLAG_TEXT.get(f, f)} for f in c.flags],
            }
        )
    qc = result.qc
    qc_rows = [
        {"metric": metric, "value": f"{fmt(value, 4)} {unit}".strip(), "criterion": criterion}
        for metric, value, unit, criterion in qc.summary().itertuples(index=False)
    ]
    settings = result.settings
    section = {
        "id": analysis_id,
        "title": title,
        "plate": result.plate,
        "block": result.block,
        "plate_wells": result.plate_wells,
        "radioligand": settings.radioligand,
        "ligand": format_molar(settings.radioligand_molar),
        "kd": format_molar(settings.kd_molar),
        "level": round(100 * (1 - settings.alpha)),
        "ci_method": result.curves[0].ci_method if result.curves else "",
        "rows": rows,
        "qc": qc_rows,
        "qc_passed": qc.passed,
        "qc_reasons": list(qc.reasons),
        "excluded": [w for w in result.wells if w.excluded],
        "curves_svg": binding_curves_svg(result, settings.alpha),
        "heatmap_svg": plate_heatmap_svg(result),
    }
    return environment().get_template("binding.html.j2").render(s=section)
