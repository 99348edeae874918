"""Self-contained HTML reports: tables with units and CIs, figures inline as SVG.

Rendered with Jinja2 (autoescaped); no external file, script or font is referenced, so a report
can be mailed or archived as one file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from cxcr4lab.assays.binding import BindingResult, CompetitionCurve
from cxcr4lab.core.units import format_molar
from cxcr4lab.fit import FLAG_TEXT
from cxcr4lab.report.figures import binding_curves_svg, plate_heatmap_svg

__all__ = ["potency_text", "render_report", "write_report"]

_NM = 1e-9


def _num(v: float | None, digits: int = 3) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.{digits}g}"


def potency_text(
    value: float, lower: float | None, upper: float | None, curve: CompetitionCurve
) -> tuple[str, str]:
    """(estimate, CI) in nM as people should read them: bounds when the curve is incomplete."""
    if "no_effect" in curve.flags:
        return "not determined (no effect)", "—"
    if "outside_range" in curve.flags:
        log_ic50 = curve.fit.params["log10_ic50"]
        if log_ic50 > curve.fit.x_max:
            return f"> {curve.conc_max_molar / _NM:.3g}", "—"
        return f"< {curve.conc_min_molar / _NM:.3g}", "—"
    ci = f"{_num(None if lower is None else lower / _NM)} – {_num(None if upper is None else upper / _NM)}"
    return _num(value / _NM), ci


def _section(analysis_id: int, title: str, result: BindingResult) -> dict[str, object]:
    rows = []
    for c in result.curves:
        ic50, ic50_ci = potency_text(c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar, c)
        ki, ki_ci = potency_text(c.ki_molar, c.ki_lower_molar, c.ki_upper_molar, c)
        se = c.log10_ic50_se
        p = c.fit.params
        rows.append(
            {
                "compound": c.compound,
                "ic50": ic50,
                "ic50_ci": ic50_ci,
                "ki": ki,
                "ki_ci": ki_ci,
                "log": f"{c.log10_ic50:.3f} ± {_num(se)}",
                "top": _num(p["top"], 4),
                "bottom": _num(p["bottom"], 3),
                "n": c.fit.n,
                "flags": [{"code": f, "text": FLAG_TEXT.get(f, f)} for f in c.flags],
            }
        )
    qc = result.qc
    qc_rows = [
        {"metric": metric, "value": f"{_num(value, 4)} {unit}".strip(), "criterion": criterion}
        for metric, value, unit, criterion in qc.summary().itertuples(index=False)
    ]
    settings = result.settings
    return {
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


def render_report(
    analyses: Sequence[tuple[int, str, BindingResult]],
    *,
    title: str = "cxcr4lab report",
    notes: Sequence[str] = (),
    database: str = "",
) -> str:
    """The HTML text of a report on ``(id, title, result)`` analyses."""
    env = Environment(
        loader=PackageLoader("cxcr4lab.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    template = env.get_template("report.html.j2")
    return template.render(
        title=title,
        version=metadata.version("cxcr4lab"),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        database=database,
        notes=list(notes),
        sections=[_section(i, t, r) for i, t, r in analyses],
        flag_text=FLAG_TEXT,
    )


def write_report(path: Path, html: str) -> Path:
    """Write ``html`` to ``path`` (parents created) via a temporary file, so no half report remains."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
