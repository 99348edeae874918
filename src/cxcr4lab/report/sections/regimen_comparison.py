"""Report section of a regimen comparison: the table with the verdict, occupancy held against
P(grade >= 3) with exact 95 % CIs and the two limits, and the time above target per schedule."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cxcr4lab.pkpd.comparison import RegimenComparison
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.sections._pkpd import cell, render_pkpd, table

__all__ = ["comparison_figure", "comparison_table", "render"]


def _pct(p: float, ci: tuple[float, float]) -> str:
    return f"{100 * p:.1f} ({100 * ci[0]:.1f}-{100 * ci[1]:.1f})"


def comparison_table(result: RegimenComparison) -> pd.DataFrame:
    """One row per schedule, numbered as in the figure."""
    target = f"{100 * result.settings.target:g}"
    rows = []
    for i, r in enumerate(result.rows, start=1):
        rows.append(
            {
                "#": str(i),
                "schedule": r.regimen.title or r.name,
                f"RO >= {target}% (% of time)": f"{cell(r.above[1])} [{cell(r.above[0])}-"
                f"{cell(r.above[2])}]",
                "hold target % (95% CI)": _pct(r.p_held, r.ci("held")),
                "P(grade >= 3) % (95% CI)": _pct(r.p_grade3, r.ci("grade3")),
                "P(grade 4) % (95% CI)": _pct(r.p_grade4, r.ci("grade4")),
                "nadir ANC (10^9/L)": f"{cell(r.nadir[1])} [{cell(r.nadir[0])}-{cell(r.nadir[2])}]",
                "Cmax C1 (µg/mL)": cell(r.cmax),
                "meets both": "yes" if result.meets_both(r) else "no",
            }
        )
    return pd.DataFrame(rows)


def comparison_figure(result: RegimenComparison) -> Figure:
    """Left: patients holding the target vs P(grade >= 3), exact 95 % CIs, limits dashed and
    the acceptable corner shaded. Right: time above target per schedule (median, 5-95 %)."""
    fig = Figure(figsize=(10.0, 4.2))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1.0]})
    n = len(result.rows)
    x = np.array([100 * r.p_held for r in result.rows])
    y = np.array([100 * r.p_grade3 for r in result.rows])
    xci = np.array([[100 * v for v in r.ci("held")] for r in result.rows])
    yci = np.array([[100 * v for v in r.ci("grade3")] for r in result.rows])
    ok = np.array([result.meets_both(r) for r in result.rows])
    hold, limit = 100 * result.hold_fraction, 100 * result.limit
    left.axvspan(hold, 102, ymin=0, ymax=limit / 102, color="#2ca02c", alpha=0.08)
    left.axvline(hold, color="black", lw=0.8, ls="--")
    left.axhline(limit, color="black", lw=0.8, ls="--")
    for i in range(n):
        colour = "#2ca02c" if ok[i] else "#d62728"
        left.errorbar(
            x[i], y[i],
            xerr=[[x[i] - xci[i, 0]], [xci[i, 1] - x[i]]],
            yerr=[[y[i] - yci[i, 0]], [yci[i, 1] - y[i]]],
            fmt="o", color=colour, ms=4, capsize=2, lw=0.8,
        )  # fmt: skip
    labels: dict[tuple[float, float], list[str]] = {}
    for i in range(n):  # schedules at the same point share one label
        labels.setdefault((round(x[i], 6), round(y[i], 6)), []).append(str(i + 1))
    for (xi, yi), names in labels.items():
        left.annotate(",".join(names), (xi, yi), textcoords="offset points", xytext=(4, 3),
                      fontsize=7, ha="right" if xi > 80 else "left")  # fmt: skip
    left.set_xlim(-2, 102)
    left.set_ylim(0, 102)
    target = f"{100 * result.settings.target:g}"
    left.set_xlabel(f"patients holding RO >= {target}% on eribulin days (%)", fontsize=8)
    left.set_ylabel("P(grade >= 3 neutropenia) (%)", fontsize=8)
    left.text(hold, 101, f" held by >= {hold:g}%", fontsize=6, va="top")
    left.text(1, limit, f"limit {limit:g}%", fontsize=6, va="bottom")
    ypos = np.arange(n)[::-1]
    med = np.array([r.above[1] for r in result.rows])
    lo = np.array([r.above[0] for r in result.rows])
    hi = np.array([r.above[2] for r in result.rows])
    right.barh(ypos, med, color=["#2ca02c" if v else "#d62728" for v in ok], alpha=0.7)
    right.errorbar(med, ypos, xerr=[med - lo, hi - med], fmt="none", color="black", lw=0.8,
                   capsize=2)  # fmt: skip
    right.set_yticks(ypos, [str(i + 1) for i in range(n)], fontsize=7)
    right.set_xlim(0, 100)
    right.set_xlabel(f"time with RO >= {target}% (% of course; median, 5-95 %)", fontsize=8)
    right.set_ylabel("schedule #", fontsize=8)
    for ax in (left, right):
        ax.tick_params(labelsize=7)
    fig.suptitle(
        f"SIMULATED: {result.rows[0].n if result.rows else 0} virtual patients per schedule "
        "(the same patients for every schedule)",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def render(analysis_id: int, title: str, result: RegimenComparison) -> str:
    s = result.settings
    n = result.rows[0].n if result.rows else 0
    meta = (
        f"SIMULATED: {n} virtual patients ({result.covariates_source}), {s.cycles} cycles, seed "
        f"{s.seed}; occupancy target {100 * s.target:g}%, Kd {s.kd_molar * 1e9:.3g} nM. Verdict "
        f"'meets both': target held by >= {100 * result.hold_fraction:g}% of patients and "
        f"P(grade >= 3) <= {100 * result.limit:g}%."
    )
    tables = [table(comparison_table(result), "Schedules (median [5th-95th percentile])")]
    return render_pkpd(
        analysis_id, title, meta, tables, [to_svg(comparison_figure(result))], result.notes
    )
