"""Report section of response rates: ORR/CBR table, waterfall and swimmer plots."""

from __future__ import annotations

from matplotlib.figure import Figure

from cxcr4lab.clinical.response import FisherTest, ResponseResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment

__all__ = [
    "render",
    "swimmer_figure",
    "swimmer_svg",
    "waterfall_figure",
    "waterfall_svg",
]

_BOR_COLOURS = {
    "CR": "#1a9641",
    "PR": "#a6d96a",
    "SD": "#fdae61",
    "NON-CR/NON-PD": "#fee08b",
    "PD": "#d7191c",
    "NE": "#999999",
}


def waterfall_svg(result: ResponseResult) -> str:
    """The waterfall plot as SVG text."""
    return to_svg(waterfall_figure(result))


def waterfall_figure(result: ResponseResult) -> Figure:
    """Best % change from baseline in the target-lesion sum, one bar per subject, by arm."""
    arms = list(dict.fromkeys(s.arm for s in result.subjects))
    fig = Figure(figsize=(8.0, 2.6 * len(arms)))
    axes = fig.subplots(len(arms), 1, squeeze=False)[:, 0]
    for ax, arm in zip(axes, arms, strict=True):
        subs = sorted(
            (s for s in result.subjects if s.arm == arm and s.best_pct_change is not None),
            key=lambda s: -(s.best_pct_change or 0.0),
        )
        x = range(len(subs))
        ax.bar(
            list(x),
            [s.best_pct_change or 0.0 for s in subs],
            color=[_BOR_COLOURS.get(s.bor, "#999999") for s in subs],
            width=0.9,
        )
        for y, style in ((20, ":"), (-30, "--")):
            ax.axhline(y, color="black", lw=0.7, ls=style)
        ax.set_ylabel("best change in target sum (%)")
        ax.set_title(f"{arm} (n = {len(subs)} with target lesions)", fontsize=9)
        ax.set_xticks([])
    handles = [
        axes[0].bar([0], [0], color=c, label=k) for k, c in _BOR_COLOURS.items() if k != "NE"
    ]
    axes[0].legend(handles=handles, fontsize=7, ncols=5, loc="upper right")
    axes[-1].set_xlabel("subject (ordered); dashed line -30% (PR), dotted +20% (PD)")
    return fig


def swimmer_svg(result: ResponseResult, limit: int = 40) -> str:
    """The swimmer plot as SVG text."""
    return to_svg(swimmer_figure(result, limit))


def swimmer_figure(result: ResponseResult, limit: int = 40) -> Figure:
    """Time on study (last assessment, weeks) per subject with first response and PD marked.

    At most ``limit`` subjects, the longest first (all subjects with a response included)."""
    subs = sorted(result.subjects, key=lambda s: -s.last_day)[:limit]
    subs.reverse()
    fig = Figure(figsize=(8.0, max(2.5, 0.16 * len(subs) + 1.0)))
    ax = fig.subplots()
    arms = list(dict.fromkeys(s.arm for s in result.subjects))
    colours = ("#4575b4", "#91bfdb", "#fc8d59", "#7f7f7f")
    for i, s in enumerate(subs):
        ax.barh(i, s.last_day / 7, color=colours[arms.index(s.arm) % len(colours)], height=0.7)
        if s.first_response_day is not None:
            ax.plot(s.first_response_day / 7, i, marker="^", color="black", ms=4)
        if s.pd_day is not None:
            ax.plot(s.pd_day / 7, i, marker="x", color="#d7191c", ms=4)
    for k, a in enumerate(arms):
        ax.barh([0], [0], color=colours[k % len(colours)], label=a)
    ax.plot([], [], "^", color="black", label="first CR/PR")
    ax.plot([], [], "x", color="#d7191c", label="PD")
    ax.set_yticks([])
    ax.set_xlabel("weeks from first dose (last tumour assessment)")
    ax.set_title(f"Swimmer plot: the {len(subs)} longest on study", fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncols=4, frameon=False)
    return fig


def _fisher_line(name: str, f: FisherTest | None, pct: int) -> str:
    if f is None:
        return ""
    if f.odds_ratio is None or f.ci_low is None or f.ci_high is None:
        return f"{name}: Fisher exact p = {f.p_value:.3g}"
    return (
        f"{name}: Fisher exact p = {f.p_value:.3g}; conditional MLE odds ratio "
        f"{f.odds_ratio:.3g} ({pct}% CI {f.ci_low:.3g} to {f.ci_high:.3g})"
    )


def render(analysis_id: int, title: str, result: ResponseResult) -> str:
    pct = round(100 * result.level)
    columns = ["arm", "n", "CR", "PR", "SD", "PD", "NE", "ORR (%)", f"{pct}% CI (%)", "CBR (%)"]
    columns.append(f"{pct}% CI (%)")
    rows = [
        [
            a.arm,
            str(a.n),
            *(str(a.counts.get(k, 0)) for k in ("CR", "PR", "SD", "PD", "NE")),
            f"{100 * a.orr:.1f}",
            f"{100 * a.orr_ci[0]:.1f} to {100 * a.orr_ci[1]:.1f}",
            f"{100 * a.cbr:.1f}",
            f"{100 * a.cbr_ci[0]:.1f} to {100 * a.cbr_ci[1]:.1f}",
        ]
        for a in result.arms
    ]
    tests = [
        line
        for line in (
            _fisher_line("ORR", result.fisher_orr, pct),
            _fisher_line("CBR", result.fisher_cbr, pct),
        )
        if line
    ]
    d = result.orr_difference
    if d is not None:
        method = "Miettinen-Nurminen" if d.method == "miettinen-nurminen" else "Newcombe hybrid"
        tests.append(
            f"ORR difference {d.arm_a} - {d.arm_b}: {100 * d.difference:+.1f} percentage points "
            f"({d.k_a}/{d.n_a} vs {d.k_b}/{d.n_b}; {pct}% {method} score CI "
            f"{100 * d.lower:+.1f} to {100 * d.upper:+.1f})"
        )
    if result.cmh_orr is not None:
        m = result.cmh_orr
        tests.append(
            f"ORR across strata ({', '.join(m.strata)}): CMH X² = {m.statistic:.3g}, "
            f"p = {m.p_value:.3g}; Mantel-Haenszel odds ratio {m.odds_ratio:.3g} "
            f"(95% CI {m.ci_low:.3g} to {m.ci_high:.3g})"
        )
    figures = []
    if any(s.best_pct_change is not None for s in result.subjects):
        figures.append(waterfall_svg(result))
    if result.subjects:
        figures.append(swimmer_svg(result))
    return (
        environment()
        .get_template("response.html.j2")
        .render(
            id=analysis_id,
            title=title,
            source=result.source,
            cbr_weeks=f"{result.cbr_days / 7:g}",
            pct=pct,
            columns=columns,
            rows=rows,
            tests=tests,
            figures=figures,
            notes=list(result.notes),
        )
    )
