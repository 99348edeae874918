"""Figures of an in-vivo tumour study: the burden over time (every animal, and each group's
geometric mean with its 95 % CI, log axis), the waterfall of the final relative burden, the
Kaplan-Meier curves of time to endpoint with censoring marks, SynergyLMM's synergy score and
combination index over days (Bliss and HSA with interval bands), the forest plot of the endpoint
effects (one marker at a time: each has its own scale and unit), the Simeoni TGI model's curves
against the group geometric means (the combination's additive prediction with its band) and
the CXCR4 occupancy over time, mouse schedule against the clinical regimen.

The numbers come from the stored result through the report section's data helpers
(:func:`cxcr4lab.report.sections.invivo.burden_summary` and the others; no drawing library).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import (
    COLOURS,
    LEGEND_BELOW,
    Figure,
    axis,
    band,
    error_bars,
    figure,
    finite,
    hline,
    layout,
    vline,
)

if TYPE_CHECKING:
    from cxcr4lab.preclinical.efficacy import TimeToEndpoint
    from cxcr4lab.preclinical.endpoints import EndpointComparison
    from cxcr4lab.preclinical.invivo_synergy import InvivoSynergyResult
    from cxcr4lab.studies.invivo import InvivoStudyResult
    from cxcr4lab.studies.invivo_translation import BalixafortideTranslation

__all__ = ["figures"]

_METHOD_COLOURS = {"Bliss": COLOURS[0], "HSA": COLOURS[1], "RA": COLOURS[2]}


def _sim(result: InvivoStudyResult) -> str:
    from cxcr4lab.report.sections.invivo import simulated_text

    return "SIMULATED: " if simulated_text(result) else ""


def _colours(result: InvivoStudyResult) -> tuple[list[str], dict[str, str]]:
    from cxcr4lab.report.sections.invivo import group_colours, study_groups

    groups = study_groups(result.table)
    return groups, group_colours(groups, result.efficacy.control)


def _burden(result: InvivoStudyResult) -> Figure:
    from cxcr4lab.report.sections.invivo import animal_courses, burden_label, burden_summary

    groups, colours = _colours(result)
    label = burden_label(result.burden)
    fates = {a.animal_id: a for a in result.table.animals}
    traces: list[dict[str, Any]] = []
    for animal, group, days, values in animal_courses(result.table, result.burden):
        fate = fates.get(animal)
        end = "" if fate is None or fate.status == "alive" else f" ({fate.status})"
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{animal}{end}",
                "legendgroup": group,
                "showlegend": False,
                "x": days,
                "y": finite(values),
                "line": {"color": colours.get(group, "#000000"), "width": 0.8},
                "opacity": 0.35,
                "hovertemplate": f"{animal} ({group}){end}: day %{{x:g}}, %{{y:.3g}}"
                "<extra></extra>",
            }
        )
    summary = burden_summary(result.table, result.burden)
    for g in groups:
        part = summary[summary["group"] == g]
        if part.empty:
            continue
        colour = colours[g]
        x = part["day"].tolist()
        traces.append(band(x, part["lower"].tolist(), part["upper"].tolist(), colour, group=g))
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"{g} (geometric mean, 95% CI)",
                "legendgroup": g,
                "x": x,
                "y": finite(part["geometric_mean"].tolist()),
                "customdata": part["n"].tolist(),
                "line": {"color": colour, "width": 3},
                "hovertemplate": f"{g}: day %{{x:g}}, geometric mean %{{y:.3g}} "
                "(n = %{customdata})<extra></extra>",
            }
        )
    return figure(
        traces,
        layout(
            f"{_sim(result)}{label} per animal (thin) and group geometric means with 95% CI; "
            f"dotted: analysis day {result.efficacy.day:g}",
            axis("study day (d)"),
            axis(f"{label}, log scale", type="log"),
            shapes=[vline(result.efficacy.day)],
            legend=LEGEND_BELOW,
            height=520,
        ),
    )


def _waterfall(result: InvivoStudyResult) -> Figure | None:
    from cxcr4lab.report.sections.invivo import burden_name, final_relative_burden

    day = result.efficacy.day
    final = final_relative_burden(result.table, result.burden, day)
    if final.empty:
        return None
    groups, colours = _colours(result)
    name = burden_name(result.burden)
    traces = []
    for g in groups:
        part = final[final["group"] == g]
        if part.empty:
            continue
        traces.append(
            {
                "type": "bar",
                "name": g,
                "x": part["animal_id"].tolist(),
                "y": finite((part["relative"] - 1.0).tolist()),
                "base": 1.0,
                "customdata": [
                    [float(r), f"day {d:g}" + (" (last value, early)" if e else "")]
                    for r, d, e in zip(part["relative"], part["day"], part["early"], strict=True)
                ],
                "marker": {
                    "color": colours[g],
                    "pattern": {"shape": ["/" if e else "" for e in part["early"]]},
                },
                "hovertemplate": "%{x}: %{customdata[0]:.3g}-fold, %{customdata[1]}"
                f"<extra>{g}</extra>",
            }
        )
    return figure(
        traces,
        layout(
            f"{_sim(result)}Final relative {name} per animal (day {day:g} or the last value; "
            "hatched: early), largest first",
            axis(
                "animal",
                type="category",
                categoryorder="array",
                categoryarray=final["animal_id"].tolist(),
                tickfont={"size": 8},
            ),
            axis(f"final / baseline {name} (fold, log scale)", type="log"),
            shapes=[hline(1.0, dash="solid", colour="#000")],
            legend=LEGEND_BELOW,
            height=500,
        ),
    )


def _kaplan_meier(result: InvivoStudyResult, tte: TimeToEndpoint) -> Figure:
    from cxcr4lab.report.sections.invivo import kaplan_meier_steps

    _, colours = _colours(result)
    t_max = max((a.time for a in tte.animals), default=1.0)
    vs = {t.group: t.p for t in tte.pairwise if t.reference == tte.control}
    medians = {g.group: g.median for g in tte.groups}
    dashes = ("solid", "dash", "dashdot", "dot")
    traces: list[dict[str, Any]] = []
    for k, s in enumerate(kaplan_meier_steps(tte)):
        colour = colours.get(s.group, COLOURS[k % len(COLOURS)])
        median = medians.get(s.group)
        med = "not reached" if median is None else f"{median:.3g} d"
        p = vs.get(s.group)
        test = "" if p is None or not math.isfinite(p) else f", log-rank p = {p:.3g}"
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{s.group} (n = {s.n}, {s.events} events, median {med}{test})",
                "legendgroup": s.group,
                "x": [*s.times, t_max],
                "y": finite([*s.survival, s.survival[-1]]),
                "line": {"color": colour, "width": 2, "shape": "hv", "dash": dashes[k % 4]},
                "hovertemplate": f"{s.group}: %{{y:.3f}} at %{{x:g}} d<extra></extra>",
            }
        )
        if s.censored_times:
            causes = [a for a in tte.animals if a.group == s.group and not a.event]
            causes.sort(key=lambda a: a.time)
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{s.group} censored",
                    "legendgroup": s.group,
                    "showlegend": False,
                    "x": list(s.censored_times),
                    "y": finite(s.censored_survival),
                    "text": [f"{a.animal_id}: {a.cause}" for a in causes],
                    "marker": {"color": colour, "symbol": "line-ns-open", "size": 10},
                    "hovertemplate": "%{text} (%{x:g} d)<extra></extra>",
                }
            )
    return figure(
        traces,
        layout(
            f"{_sim(result)}Time to endpoint: {tte.definition}; ticks: censored",
            axis("time from baseline (d)", rangemode="tozero"),
            axis("fraction without endpoint", range=[-0.02, 1.05]),
            legend=LEGEND_BELOW,
            height=500,
        ),
    )


def _over_days(
    result: InvivoStudyResult,
    synergy: Sequence[InvivoSynergyResult],
    *,
    metric: str,
) -> Figure:
    """The synergy score (``metric="ss"``) or combination index (``"ci"``) over days since
    baseline, one line and band per model."""
    traces: list[dict[str, Any]] = []
    for res in synergy:
        colour = _METHOD_COLOURS.get(res.method, COLOURS[3])
        pts = res.points
        days = [p.day for p in pts]
        est = [getattr(p, metric) for p in pts]
        low = [getattr(p, f"{metric}_lower") for p in pts]
        high = [getattr(p, f"{metric}_upper") for p in pts]
        level = round(100 * res.conf_level)
        traces.append(band(days, low, high, colour, group=res.method))
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"{res.method} ({level}% CI)",
                "legendgroup": res.method,
                "x": days,
                "y": finite([math.nan if v is None else v for v in est]),
                "customdata": [
                    [
                        "-" if lo is None else f"{lo:.3g}",
                        "-" if hi is None else f"{hi:.3g}",
                        "-" if p.p is None else f"{p.p:.3g}",
                    ]
                    for lo, hi, p in zip(low, high, pts, strict=True)
                ],
                "line": {"color": colour, "width": 2},
                "hovertemplate": f"{res.method}, day %{{x:g}}: %{{y:.3g}} "
                "(%{customdata[0]} to %{customdata[1]}), p = %{customdata[2]}<extra></extra>",
            }
        )
    start = synergy[0].fit.day_start
    sim = _sim(result)
    x = axis(f"days since baseline (study day {start:g})")
    if metric == "ss":
        return figure(
            traces,
            layout(
                f"{sim}In-vivo synergy score (SynergyLMM; > 0: synergy)",
                x,
                axis("synergy score SS (z)"),
                shapes=[hline(0.0, dash="dash")],
                legend=LEGEND_BELOW,
            ),
        )
    return figure(
        traces,
        layout(
            f"{sim}In-vivo combination index (SynergyLMM; < 1: synergy)",
            x,
            axis("combination index CI (unitless, log scale)", type="log"),
            shapes=[hline(1.0, dash="dash")],
            legend=LEGEND_BELOW,
        ),
    )


def _endpoint_effects(result: InvivoStudyResult, comp: EndpointComparison) -> Figure:
    """One forest trace per marker, a drop-down to show one at a time (each marker its own
    scale: ratio of geometric means on a log axis, or difference of means in its unit)."""
    markers = list(dict.fromkeys(e.marker for e in comp.effects))
    level = round(100 * comp.conf_level)
    traces = []
    buttons = []
    views: list[dict[str, Any]] = []
    sim = _sim(result)
    for k, m in enumerate(markers):
        effects = [e for e in comp.effects if e.marker == m]
        e0 = effects[0]
        log = e0.scale == "log"
        what = "ratio of geometric means" if log else f"difference of means ({e0.unit})"
        values = [e.effect for e in effects]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": m,
                "visible": k == 0,
                "x": finite(values),
                "y": [f"{e.group} vs {e.reference}" for e in effects],
                "text": [
                    f"{m}, {e.group} vs {e.reference}: {e.effect:.3g} ({level}% CI "
                    f"{e.ci_lower:.3g} to {e.ci_upper:.3g}), p adjusted ({e.adjustment}) "
                    f"{e.p_adjusted:.3g}; centres {e.center:.3g} / {e.center_reference:.3g} "
                    f"{e.unit}"
                    for e in effects
                ],
                "error_x": error_bars(
                    values, [e.ci_lower for e in effects], [e.ci_upper for e in effects]
                ),
                "marker": {"color": COLOURS[0], "symbol": "square", "size": 10},
                "hovertemplate": "%{text}<extra></extra>",
            }
        )
        view: dict[str, Any] = {
            "title.text": f"{sim}{m}: {what}, {level}% CI, against {comp.control}",
            "xaxis.type": "log" if log else "linear",
            "xaxis.title.text": f"{what} ({level}% CI" + ("; log scale)" if log else ")"),
            "shapes": [vline(e0.null, dash="dash")],
        }
        views.append(view)
        buttons.append(
            {
                "label": m,
                "method": "update",
                "args": [{"visible": [i == k for i in range(len(markers))]}, view],
            }
        )
    first = views[0]
    menu = {
        "type": "dropdown",
        "buttons": buttons,
        "showactive": True,
        "x": 0.0,
        "xanchor": "left",
        "y": 1.01,
        "yanchor": "bottom",
        "pad": {"b": 2},
    }
    rows = max(sum(e.marker == m for e in comp.effects) for m in markers)
    return figure(
        traces,
        layout(
            first["title.text"],
            axis(first["xaxis.title.text"], type=first["xaxis.type"]),
            axis("", autorange="reversed", type="category"),
            shapes=first["shapes"],
            updatemenus=[menu],
            showlegend=False,
            height=max(320, 60 * rows + 200),
        ),
    )


def _occupancy(result: InvivoStudyResult, translation: BalixafortideTranslation) -> Figure:
    courses = translation.occupancy_courses()
    traces = []
    for k, (name, part) in enumerate(courses.groupby("regimen", sort=False)):
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": str(name),
                "x": finite(part["time after first dose (h)"].tolist()),
                "y": finite(part["occupancy (%)"].tolist()),
                "customdata": finite(part["C unbound (nM)"].tolist()),
                "line": {"color": COLOURS[k % len(COLOURS)], "width": 2},
                "hovertemplate": f"{name}: %{{y:.2f}} % at %{{x:.1f}} h, unbound "
                "%{customdata:.3g} nM<extra></extra>",
            }
        )
    target = 100 * translation.target
    kd = translation.kd_molar * 1e9
    return figure(
        traces,
        layout(
            f"SIMULATED CXCR4 occupancy of balixafortide, mouse schedule vs clinical regimen "
            f"(Kd {kd:g} nM; dashed: {target:g} % target)",
            axis("time after first dose (h)"),
            axis("CXCR4 occupancy (%)", range=[0, 102]),
            shapes=[hline(target, dash="dash")],
            legend=LEGEND_BELOW,
            height=480,
        ),
    )


def _tgi_model(result: InvivoStudyResult) -> Figure | None:
    from cxcr4lab.report.sections.invivo import burden_label, burden_summary, tgi_model_curves

    curves = tgi_model_curves(result)
    if curves is None:
        return None
    groups, colours = _colours(result)
    label = burden_label(result.burden)
    observed = burden_summary(result.table, result.burden)
    combo = result.tgi_combination
    traces: list[dict[str, Any]] = []
    if combo is not None:
        traces.append(
            band(
                combo.days,
                combo.band_lower,
                combo.band_upper,
                colours.get(combo.group, "#000000"),
                group=combo.group,
            )
        )
    for g in groups:
        colour = colours.get(g, "#000000")
        part = observed[observed["group"] == g]
        if not part.empty:
            mean = part["geometric_mean"].tolist()
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{g} (observed geometric mean, 95% CI)",
                    "legendgroup": g,
                    "x": part["day"].tolist(),
                    "y": finite(mean),
                    "error_y": error_bars(mean, part["lower"].tolist(), part["upper"].tolist()),
                    "marker": {"color": colour, "size": 7},
                    "hovertemplate": f"{g}: day %{{x:g}}, observed %{{y:.3g}}<extra></extra>",
                }
            )
        line = curves[curves["group"] == g]
        if line.empty:
            continue
        fitted = combo is None or g != combo.group
        what = "fitted" if fitted else "additive prediction"
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{g} ({what})",
                "legendgroup": g,
                "x": line["day"].tolist(),
                "y": finite(line["burden"].tolist()),
                "line": {"color": colour, "width": 2, "dash": "solid" if fitted else "dash"},
                "hovertemplate": f"{g} ({what}): day %{{x:.1f}}, %{{y:.3g}}<extra></extra>",
            }
        )
    return figure(
        traces,
        layout(
            "Simeoni TGI model: SIMULATED curves from the fitted parameters (dashed: the "
            "combination's additive prediction, 95% band) and observed group geometric means",
            axis("study day (d)"),
            axis(f"{label}, log scale", type="log"),
            legend=LEGEND_BELOW,
            height=520,
        ),
    )


def figures(result: InvivoStudyResult) -> dict[str, Figure]:
    found = {"tumour_burden": _burden(result)}
    waterfall = _waterfall(result)
    if waterfall is not None:
        found["waterfall"] = waterfall
    tte = result.efficacy.time_to_endpoint
    if tte is not None and tte.animals:
        found["kaplan_meier"] = _kaplan_meier(result, tte)
    if result.synergy:
        found["synergy_score"] = _over_days(result, result.synergy, metric="ss")
        found["combination_index"] = _over_days(result, result.synergy, metric="ci")
    if result.endpoints is not None and result.endpoints.effects:
        found["endpoint_effects"] = _endpoint_effects(result, result.endpoints)
    tgi = _tgi_model(result)
    if tgi is not None:
        found["tgi_model"] = tgi
    if result.translation is not None:
        found["occupancy"] = _occupancy(result, result.translation)
    return found
