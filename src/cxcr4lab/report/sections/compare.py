"""Report section of a curve comparison (``cxcr4lab compare``): the F test of one shared
parameter against one per curve, the per-curve estimates with the fold shifts, and the curves
with both fits drawn."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cxcr4lab.fit.comparison import CurveComparison
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.sections._worked import Step, frame_table, render_steps

__all__ = ["comparison_figure", "render"]

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def comparison_figure(result: CurveComparison) -> Figure:
    """The points of every curve with its separate fit (solid) and the shared fit (dashed);
    zero doses sit at the left edge."""
    from cxcr4lab.core.units import molar_factor
    from cxcr4lab.fit import get_model

    model = get_model(result.model)
    per_molar = molar_factor(result.unit)  # mol/L per unit of the stored concentrations
    conc = np.array([c for e in result.curves for c in e.conc if c > 0], dtype=float)
    lo, hi = math.log10(float(conc.min())) - 0.7, math.log10(float(conc.max())) + 0.5
    x = np.linspace(lo + 0.2, hi, 300)  # log10 of the stored unit
    fig = Figure(figsize=(6.8, 4.4))
    ax = fig.subplots()
    for i, e in enumerate(result.curves):
        colour = _COLOURS[i % len(_COLOURS)]
        c = np.asarray(e.conc, dtype=float)
        shown_x = np.where(c > 0, np.log10(np.where(c > 0, c, 1.0)), lo)
        label = e.curve_id + (" (ref)" if e.curve_id == result.reference else "")
        ax.plot(shown_x, e.response, "o", color=colour, ms=3.5, alpha=0.8, label=label)
        molar = 10.0**x * per_molar
        mx = np.log10(molar) if model.x_is_log10 else molar
        ax.plot(x, model.f(mx, np.asarray(e.values)), color=colour, lw=1.3)
        ax.plot(x, model.f(mx, np.asarray(e.shared_values)), color=colour, lw=1.0, ls="--")
    ax.plot([], [], color="grey", lw=1.3, label="separate fits")
    ax.plot([], [], color="grey", lw=1.0, ls="--", label=f"shared {result.compared}")
    ax.set_xlabel(f"log10 concentration ({result.unit}); zero dose at the left edge", fontsize=8)
    ax.set_ylabel("response", fontsize=8)
    ax.set_title(
        f"{result.compared}: shared vs separate (F = {_fmt(result.f_statistic)}, "
        f"p = {_fmt(result.p_value, 2)})",
        fontsize=9,
    )
    ax.legend(fontsize=7, frameon=False)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def _fmt(v: float | None, digits: int = 4) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.{digits}g}"


def _ci(lo: float | None, hi: float | None) -> str:
    return f"{_fmt(lo)} – {_fmt(hi)}"


def curve_table(result: CurveComparison) -> pd.DataFrame:
    """One row per curve, as read in the report."""
    level = round(100 * (1 - result.alpha))
    j = result.param_names.index(result.compared)
    rows = []
    for c in result.curves:
        ref = c.curve_id == result.reference
        rows.append(
            {
                "curve": c.curve_id + (" (reference)" if ref else ""),
                "n": c.n,
                result.compared: _fmt(c.values[j]),
                f"{level}% CI": _ci(c.lower[j], c.upper[j]),
                f"IC50 ({result.unit})": _fmt(c.ic50),
                f"IC50 {level}% CI": _ci(c.ic50_lower, c.ic50_upper),
                "fold shift": "1" if ref else _fmt(c.fold),
                f"fold {level}% CI": "-" if ref else _ci(c.fold_lower, c.fold_upper),
                "relative potency": "1" if ref else _fmt(c.relative_potency),
                f"difference in {result.compared}": "-" if ref else _fmt(c.difference),
                "p (no difference)": "-" if ref else _fmt(c.difference_p, 3),
            }
        )
    return pd.DataFrame(rows)


def render(analysis_id: int, title: str, result: CurveComparison) -> str:
    level = round(100 * (1 - result.alpha))
    fixed = ", ".join(f"{n} = {v:g}" for n, v in result.fixed)
    meta = (
        f"{len(result.curves)} curves of {result.source}, {result.model} model, compared in "
        f"{result.compared} (reference {result.reference})"
        + (f"; every curve fixed {fixed}" if fixed else "")
        + ". Both fits pool the residual variance over the curves; fold shifts are IC50 / "
        f"IC50 of the reference with {level}% CIs by the delta method on the log scale."
    )
    verdict = (
        f"The curves differ in {result.compared}"
        if result.preferred == "separate"
        else f"One shared {result.compared} describes the curves as well as one per curve"
    )
    test = (
        f"{verdict}: extra-sum-of-squares F = {_fmt(result.f_statistic)} on "
        f"{result.df_numerator} and {result.df_denominator} df, p = {_fmt(result.p_value, 3)} "
        f"(alpha {result.alpha:g}); AICc {_fmt(result.aicc_shared, 5)} shared vs "
        f"{_fmt(result.aicc_separate, 5)} separate. Shared {result.compared} "
        f"{_fmt(result.shared_value)} ({level}% CI {_ci(result.shared_lower, result.shared_upper)})."
    )
    caution = () if result.converged else ("Caution: a joint fit did not converge.",)
    steps = [
        Step("Shared or separate?", (test, *caution), (frame_table(result.test_table()),)),
        Step(
            "Per curve (separate fit)",
            (),
            (frame_table(curve_table(result)),),
            (to_svg(comparison_figure(result)),),
        ),
    ]
    return render_steps(analysis_id, title, meta, steps)
