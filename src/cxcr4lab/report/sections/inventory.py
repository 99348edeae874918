"""Report section of an inventory check (kind ``inventory``): the stocks and aliquots with their
status on the date, the registry's solubility, the solubility assessment; figures: the aliquots'
expiry timeline coloured by status and the assessment's calibration line."""

from __future__ import annotations

from datetime import date

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from cxcr4lab.compounds.inventory import SolubilityAssessment
from cxcr4lab.compounds.inventory_check import InventoryCheck
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.sections._worked import Step, frame_table, render_steps

__all__ = ["STATE_COLOURS", "calibration_svg", "expiry_timeline_svg", "render"]

STATE_COLOURS = {"ok": "#2ca02c", "expired": "#d62728", "over-thawed": "#ff7f0e"}
"""Colour of each status (the web figures use the same)."""


def _day(d: date) -> float:
    """A date as the x coordinate of the timeline (days, proleptic ordinal)."""
    return float(d.toordinal())


def expiry_timeline_svg(result: InventoryCheck) -> str:
    """One bar per aliquot from its preparation to its expiry, coloured by its status on the
    date, with the status date as a dashed line."""
    rows = list(result.aliquots)
    fig = Figure(figsize=(8.0, 0.45 * max(len(rows), 2) + 1.4))
    ax = fig.subplots()
    on = date.fromisoformat(result.on)
    for k, a in enumerate(rows):
        start = date.fromisoformat(a.prepared_on)
        end = date.fromisoformat(a.expires_on)
        ax.barh(
            k,
            end.toordinal() - start.toordinal(),
            left=_day(start),
            color=STATE_COLOURS[a.state],
            height=0.6,
        )
        ax.text(
            _day(end),
            k,
            f" {a.state}" + (f" ({a.freeze_thaw_count} thaws)" if a.state == "over-thawed" else ""),
            va="center",
            fontsize=7,
        )
    ax.axvline(_day(on), color="k", ls="--", lw=1)
    ax.set_yticks(range(len(rows)), [a.label for a in rows], fontsize=7)
    ax.invert_yaxis()
    first = min([on, *(date.fromisoformat(a.prepared_on) for a in rows)])
    last = max([on, *(date.fromisoformat(a.expires_on) for a in rows)])
    months = [
        date(y, m, 1)
        for y in range(first.year, last.year + 2)
        for m in range(1, 13)
        if first <= date(y, m, 1) <= last
    ]
    step = max(1, -(-len(months) // 6))
    ticks = months[::step]
    ax.set_xlim(_day(first) - 20, _day(last) + 0.25 * (_day(last) - _day(first)) + 20)
    ax.set_xticks([t.toordinal() for t in ticks], [t.strftime("%Y-%m") for t in ticks], fontsize=7)
    ax.set_xlabel("preparation → expiry (expired from the bar's end)")
    handles = [
        Patch(color=c, label=s) for s, c in STATE_COLOURS.items() if any(a.state == s for a in rows)
    ]
    if handles:
        ax.legend(
            handles=handles, fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0)
        )
    ax.set_title(f"Aliquot expiry; status on {result.on} (dashed line)", fontsize=9)
    return to_svg(fig)


def calibration_svg(assessment: SolubilityAssessment) -> str:
    """The standards' line with its prediction band for one reading, and each sample's mean
    reading placed at its measured (diluted) concentration with its CI."""
    from scipy import stats

    cal = assessment.calibration
    unit = assessment.unit
    t = float(stats.t.ppf(0.5 + assessment.level / 2, cal.n - 2))
    xs = np.linspace(min(cal.x_min, 0.0), cal.x_max * 1.05, 100)
    fit = cal.intercept + cal.slope * xs
    half = t * cal.sigma * np.sqrt(1 + 1 / cal.n + (xs - cal.x_mean) ** 2 / cal.sxx)
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.subplots()
    ax.fill_between(xs, fit - half, fit + half, color="#1f77b4", alpha=0.15, lw=0)
    ax.plot(
        xs,
        fit,
        color="#1f77b4",
        label=f"{cal.intercept:.3g} + {cal.slope:.4g} x (R² {cal.r_squared:.4f}, n = {cal.n})",
    )
    for k, s in enumerate(assessment.samples):
        colour = ("#d62728", "#2ca02c", "#9467bd", "#ff7f0e")[k % 4]
        lo = None if s.lower is None else s.lower / s.dilution
        hi = None if s.upper is None else s.upper / s.dilution
        err = (
            None
            if lo is None or hi is None
            else np.array([[s.measured - lo], [hi - s.measured]]).clip(min=0)
        )
        ax.errorbar(
            [s.measured],
            [s.mean_response],
            xerr=err,
            fmt="s",
            color=colour,
            capsize=3,
            label=f"{s.sample}: x{s.dilution:g} → {_num(s.concentration)} {unit}",
        )
    ax.set_xlabel(f"concentration ({unit}, as read)")
    ax.set_ylabel("response")
    level = f"{100 * assessment.level:g}%"
    ax.set_title(f"Calibration line, {level} prediction band; samples with {level} CI", fontsize=9)
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    return to_svg(fig)


def _num(v: float) -> str:
    return f"{v:,.1f}" if abs(v) >= 1000 else f"{v:.4g}"


def render(analysis_id: int, title: str, result: InventoryCheck) -> str:
    flagged = result.flagged
    meta = (
        f"{result.source}: status on {result.on}; expiry by the compound registry's storage "
        f"rules ({result.origin}); an aliquot may be re-frozen {result.max_refreezes} "
        f"time{'' if result.max_refreezes == 1 else 's'}; expired from the date shown on."
    )
    flags = (
        f"{len(flagged)} aliquot{'' if len(flagged) == 1 else 's'} not to use: "
        + "; ".join(f"{a.label} {a.state} ({a.reason})" for a in flagged)
        + "."
        if flagged
        else "Every aliquot may be used on this date."
    )
    steps = [
        Step(
            "Stocks",
            tables=(
                frame_table(
                    result.stock_summary(), "Stocks (concentration_M in mol/L; temperatures °C)"
                ),
            ),
        ),
        Step(
            "Aliquots",
            paragraphs=(flags,),
            tables=(frame_table(result.summary(), f"Aliquots on {result.on}"),),
            figures=(expiry_timeline_svg(result),) if result.aliquots else (),
        ),
    ]
    if result.solubility:
        steps.append(
            Step(
                "Solubility (registry)",
                tables=(frame_table(result.solubility_summary()),),
            )
        )
    if result.assessment is not None:
        a = result.assessment
        cal = a.calibration
        level = f"{100 * a.level:g}%"
        steps.append(
            Step(
                "Solubility assessment",
                paragraphs=(
                    f"{a.source}: {cal.n} standards ({cal.x_min:g}-{cal.x_max:g} {a.unit}) "
                    f"fitted by ordinary least squares, response = {cal.intercept:.4g} (SE "
                    f"{cal.intercept_se:.2g}) + {cal.slope:.4g} (SE {cal.slope_se:.2g}) x "
                    f"concentration; s = {cal.sigma:.3g}, R² = {cal.r_squared:.5f}. Each "
                    f"supernatant's mean reading is read off the line and multiplied by its "
                    f"dilution; the {level} CI is the inverse-prediction (Fieller) interval.",
                ),
                tables=(
                    {
                        "caption": f"Saturated supernatants ({a.unit}, {level} CI)",
                        "columns": [
                            "sample",
                            "readings",
                            f"measured ({a.unit})",
                            "dilution",
                            f"solubility ({a.unit})",
                            f"{level} CI ({a.unit})",
                            "note",
                        ],
                        "rows": [
                            [
                                s.sample,
                                s.readings,
                                _num(s.measured),
                                f"{s.dilution:g}",
                                _num(s.concentration),
                                "unbounded"
                                if s.lower is None or s.upper is None
                                else f"{_num(s.lower)} – {_num(s.upper)}",
                                "outside the standards' range" if s.extrapolated else "",
                            ]
                            for s in a.samples
                        ],
                    },
                ),
                figures=(calibration_svg(a),),
            )
        )
    return render_steps(analysis_id, title, meta, steps)
