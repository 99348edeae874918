"""Report section of western blot densitometry: normalised ratios with the shared curve per
blot, the per-blot and combined IC50 table, and the lane table."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.assays.western import WesternResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment, fmt

__all__ = ["render", "shared_curves_svg"]

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def shared_curves_svg(result: WesternResult) -> str:
    """One panel per phospho target and compound: each blot's normalised lanes (vehicle at the
    left edge, unstimulated as a cross at the right), the shared curve drawn with that blot's
    plateaus, and the per-blot 4PL dashed."""
    n = max(len(result.combined), 1)
    fig = Figure(figsize=(4.6 * n, 3.8))
    axes = np.atleast_1d(fig.subplots(1, n, sharey=True))
    for ax, c in zip(axes, result.combined, strict=False):
        lo_x = math.log10(c.conc_min_molar) - 1.0
        hi_x = math.log10(c.conc_max_molar) + 0.5
        x = np.linspace(lo_x + 0.3, hi_x, 200)
        for i, blot in enumerate(c.blots):
            colour = _COLOURS[i % len(_COLOURS)]
            lanes = [lane for lane in result.lanes if lane.blot == blot and lane.target == c.target]
            samples = [
                lane for lane in lanes if lane.role == "sample" and lane.compound == c.compound
            ]
            ax.scatter(
                [lane.conc_molar for lane in samples],
                [lane.response_pct for lane in samples],
                s=16,
                color=colour,
                label=f"blot {blot}",
            )
            vehicle = [lane.response_pct for lane in lanes if lane.role == "stimulated"]
            unstim = [lane.response_pct for lane in lanes if lane.role == "unstimulated"]
            ax.scatter([10**lo_x] * len(vehicle), vehicle, s=22, marker="s", color=colour)
            ax.scatter([10**hi_x] * len(unstim), unstim, s=22, marker="x", color=colour)
            ax.plot(10**x, c.predict(blot, x), color=colour, lw=1.4)
            own = [
                b
                for b in result.blot_curves
                if (b.target, b.compound, b.blot) == (c.target, c.compound, blot)
            ]
            if own and own[0].fit.converged:
                ax.plot(10**x, own[0].fit.predict(x), color=colour, lw=0.8, ls="--", alpha=0.7)
        ax.set_xscale("log")
        ax.axhline(0, color="0.6", lw=0.6)
        ax.axhline(100, color="0.6", lw=0.6, ls=":")
        ax.axvline(c.ic50_molar, color="k", lw=0.6, ls=":")
        ax.set_xlabel(f"{c.compound} (M); ■ vehicle, × unstimulated")
        ax.set_title(
            f"{c.target}: shared IC50 {c.ic50_molar / 1e-9:.3g} nM "
            f"({fmt(None if c.ic50_lower_molar is None else c.ic50_lower_molar / 1e-9)}–"
            f"{fmt(None if c.ic50_upper_molar is None else c.ic50_upper_molar / 1e-9)})",
            fontsize=8,
        )
        ax.legend(fontsize=6, frameon=False, loc="upper right")
    s = result.settings
    axes[0].set_ylabel(
        "% of CXCL12-induced phosphorylation" if s.floor else "% of the CXCL12 + vehicle lane"
    )
    fig.suptitle(
        f"{result.source}: phospho/{'total' if s.normalise_to == 'total' else s.loading_control}; "
        "solid = shared curve with the blot's plateaus, dashed = the blot's own fit",
        fontsize=8,
    )
    return to_svg(fig)


def _ci(lo: float | None, hi: float | None) -> str:
    return f"{fmt(None if lo is None else lo / 1e-9)} – {fmt(None if hi is None else hi / 1e-9)}"


def render(analysis_id: int, title: str, result: WesternResult) -> str:
    from cxcr4lab.fit import FLAG_TEXT

    s = result.settings
    rows = []
    for c in result.combined:
        for b in result.blot_curves:
            if (b.target, b.compound) == (c.target, c.compound):
                rows.append(
                    {
                        "target": b.target,
                        "compound": b.compound,
                        "fit": f"blot {b.blot}",
                        "ic50": fmt(b.ic50_molar / 1e-9),
                        "ci": _ci(b.ic50_lower_molar, b.ic50_upper_molar),
                        "hill": fmt(b.fit.params["hill"]),
                        "plateaus": f"{fmt(b.fit.params['bottom'], 3)} / {fmt(b.fit.params['top'], 3)}",
                        "n": b.fit.n,
                        "combined": False,
                        "flags": [{"code": f, "text": FLAG_TEXT.get(f, f)} for f in b.flags],
                    }
                )
        rows.append(
            {
                "target": c.target,
                "compound": c.compound,
                "fit": f"combined ({len(c.blots)} blots)",
                "ic50": fmt(c.ic50_molar / 1e-9),
                "ci": _ci(c.ic50_lower_molar, c.ic50_upper_molar),
                "hill": fmt(c.hill),
                "plateaus": "; ".join(
                    f"{o.blot}: {fmt(o.bottom, 3)} / {fmt(o.top, 3)}" for o in c.offsets
                ),
                "n": c.fit.n,
                "combined": True,
                "flags": [{"code": f, "text": FLAG_TEXT.get(f, f)} for f in c.flags],
            }
        )
    lanes = [
        {
            "blot": lane.blot,
            "lane": lane.lane,
            "role": lane.role,
            "compound": lane.compound or "",
            "conc": fmt(None if lane.conc_molar is None else lane.conc_molar / 1e-9),
            "target": lane.target,
            "phospho": f"{lane.phospho:.6g}",
            "norm": f"{lane.normaliser}: {lane.normaliser_intensity:.6g}",
            "ratio": fmt(lane.ratio, 4),
            "pct": fmt(lane.response_pct, 3),
        }
        for lane in result.lanes
    ]
    section = {
        "id": analysis_id,
        "title": title,
        "source": result.source,
        "n_blots": len(result.blots),
        "cell_line": s.cell_line or "n/a",
        "agonist": "n/a" if s.agonist_molar is None else f"{s.agonist_molar / 1e-9:.3g} nM",
        "normaliser": "total protein (pERK/ERK, pAKT/AKT)"
        if s.normalise_to == "total"
        else f"loading control {s.loading_control}",
        "floor": s.floor,
        "level": round(100 * (1 - s.alpha)),
        "rows": rows,
        "lanes": lanes,
        "notes": list(result.notes),
        "curves_svg": shared_curves_svg(result),
    }
    return environment().get_template("western.html.j2").render(s=section)
