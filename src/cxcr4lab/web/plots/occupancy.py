"""Figures of receptor occupancy by flow cytometry: %RO against time per subject with the mean
across subjects, and the specific MFI (stain minus isotype) per subject over time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import COLOURS, Figure, axis, figure, finite, hline, layout

if TYPE_CHECKING:
    from cxcr4lab.assays.occupancy import OccupancyResult

__all__ = ["figures"]


def figures(result: OccupancyResult) -> dict[str, Figure]:
    ro_traces: list[dict[str, Any]] = []
    mfi_traces: list[dict[str, Any]] = []
    for k, subject in enumerate(result.subjects()):
        colour = COLOURS[k % len(COLOURS)]
        points = sorted((p for p in result.points if p.subject == subject), key=lambda p: p.time_h)
        post = [p for p in points if p.ro_pct is not None]
        ro_traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": subject,
                "x": [p.time_h for p in post],
                "y": finite(p.ro_pct for p in post),
                "text": [", ".join(f for f in p.flags if f != "predose") for p in post],
                "line": {"color": colour, "width": 1.2},
                "marker": {"size": 6},
                "hovertemplate": f"{subject}: %{{x:g}} h, RO %{{y:.1f}}% %{{text}}<extra></extra>",
            }
        )
        mfi_traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": subject,
                "x": [p.time_h for p in points],
                "y": finite(p.specific_mfi for p in points),
                "text": [
                    f"MFI {p.mfi:.4g}, isotype {p.isotype_mfi:.4g}"
                    if p.isotype_mfi is not None
                    else f"MFI {p.mfi:.4g}"
                    for p in points
                ],
                "line": {"color": colour, "width": 1.2},
                "marker": {"size": 6},
                "hovertemplate": f"{subject}: %{{x:g}} h, specific MFI %{{y:.4g}} (%{{text}})"
                "<extra></extra>",
            }
        )
    mean = result.by_time()
    if len(result.subjects()) > 1 and not mean.empty:
        ro_traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "mean",
                "x": finite(mean["time_h"].astype(float)),
                "y": finite(mean["mean_ro_pct"].astype(float)),
                "customdata": [int(n) for n in mean["n"]],
                "line": {"color": "black", "width": 3},
                "hovertemplate": "mean at %{x:g} h: RO %{y:.1f}% (n = %{customdata})"
                "<extra></extra>",
            }
        )
    s = result.settings
    occupancy = figure(
        ro_traces,
        layout(
            f"{result.source}: %RO = (1 - specific MFI post / pre) x 100, {s.statistic} MFI of "
            f"{s.population}",
            "time after start of dosing (h)",
            axis("CXCR4 receptor occupancy (%)"),
            shapes=[hline(0.0, dash="solid", colour="#bbb"), hline(100.0)],
            legend={"title": {"text": "subject"}},
        ),
    )
    mfi = figure(
        mfi_traces,
        layout(
            "Specific MFI (stain minus isotype) per subject; pre-dose samples included",
            "time after start of dosing (h)",
            axis("specific MFI", rangemode="tozero"),
            legend={"title": {"text": "subject"}},
        ),
    )
    return {"occupancy": occupancy, "mfi": mfi}
