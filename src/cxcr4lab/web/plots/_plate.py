"""What the plate kinds' figures share: wells as points, the heatmap cells, and the figures of a
functional inhibition plate (arrestin, calcium, chemotaxis, viability)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import Figure, Series, dose_response_figure, heatmap_figure

if TYPE_CHECKING:
    from cxcr4lab.assays.inhibition import InhibitionPlate

__all__ = ["inhibition_figures", "label", "points", "signal_cells", "well_text"]

Point = tuple[float, float | None, str]
_NM = 1e-9


def well_text(well: str, what: str | None, conc: float | None, excluded: str | None) -> str:
    conc_text = "" if conc is None else f" {conc:.3g} M"
    masked = f" EXCLUDED: {excluded}" if excluded else ""
    return f"{well} {what or ''}{conc_text}{masked}"


def label(compound: str, parameter: str, estimate: str) -> str:
    unit = "" if estimate.startswith("not") or estimate == "n/a" else " nM"
    return f"{compound}: {parameter} {estimate}{unit}"


def points(wells: Iterable[Any], value: str) -> tuple[list[Point], list[Point]]:
    """The dosed wells' ``value`` as plotted points: (used, excluded with the reason)."""
    used: list[Point] = []
    masked: list[Point] = []
    for w in wells:
        if not w.conc_molar:
            continue
        y = getattr(w, value)
        if w.excluded:
            masked.append((w.conc_molar, y, f"{w.well}: {w.excluded}"))
        else:
            used.append((w.conc_molar, y, w.well))
    return used, masked


def signal_cells(wells: Iterable[Any]) -> list[tuple[str, float | None, str]]:
    """Each well's signal and hover text, for :func:`heatmap_figure`."""
    return [
        (w.well, w.signal, well_text(w.well, w.compound or w.role, w.conc_molar, w.excluded))
        for w in wells
    ]


def _plate_figures(
    plate: InhibitionPlate, *, name: str, block: str, unit: str, alpha: float
) -> dict[str, Figure]:
    from cxcr4lab.report.formats import potency_display

    def role_points(role: str, compound: str) -> tuple[list[Point], list[Point]]:
        pts = [w for w in plate.wells if w.role == role and w.compound == compound]
        return points(pts, "response_pct")

    series = []
    for c in plate.curves:
        estimate, _ = potency_display(c.ic50_molar, c.ic50_lower_molar, c.ic50_upper_molar, c)
        used, masked = role_points("sample", c.compound)
        series.append(Series(c.compound, used, masked, c.fit, label(c.compound, "IC50", estimate)))
    figures = {
        "curves": dose_response_figure(
            series,
            title="Inhibition",
            x_title="antagonist concentration (M)",
            y_title="response (% of control)",
            alpha=alpha,
        )
    }
    if plate.agonist is not None:
        a = plate.agonist
        used, masked = role_points("agonist", a.compound)
        text = f"{a.compound}: EC50 {a.ec50_molar / _NM:.3g} nM"
        figures["agonist"] = dose_response_figure(
            [Series(a.compound, used, masked, a.fit, text)],
            title=f"Agonist {a.compound}",
            x_title="agonist concentration (M)",
            y_title="response (% of control)",
            alpha=alpha,
        )
    title = f"Plate {name} [{block}]: signal per well as analysed"
    cells = signal_cells(plate.wells)
    figures["heatmap"] = heatmap_figure(cells, plate.plate_wells, title=title, unit=unit)
    return figures


def inhibition_figures(result: Any, unit: str) -> dict[str, Figure]:
    """Curves (the compounds, and the plate's agonist curve if any) and the heatmap of a result
    holding an :class:`InhibitionPlate` as ``analysis``, the heatmap in ``unit``."""
    settings = result.settings
    alpha = getattr(getattr(settings, "plate", settings), "alpha", 0.05)
    name = str(getattr(result, "plate", None) or getattr(result, "source", ""))
    return _plate_figures(result.analysis, name=name, block=result.block, unit=unit, alpha=alpha)
