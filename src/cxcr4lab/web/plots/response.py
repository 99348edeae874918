"""Figures of response rates: ORR and CBR per arm with their exact CIs, and the waterfall of
each subject's best change in the target-lesion sum, coloured by best overall response."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxcr4lab.web.figures import COLOURS, Figure, axis, error_bars, figure, hline, layout

if TYPE_CHECKING:
    from cxcr4lab.clinical.response import ResponseResult

__all__ = ["figures"]

_BOR_COLOURS = {
    "CR": "#1a9641",
    "PR": "#a6d96a",
    "SD": "#fdae61",
    "NON-CR/NON-PD": "#fee08b",
    "PD": "#d7191c",
    "NE": "#999999",
}


def _rates(result: ResponseResult) -> Figure:
    pct = round(100 * result.level)
    arms = [a.arm for a in result.arms]
    traces = []
    for what, colour in (("ORR", COLOURS[0]), ("CBR", COLOURS[4])):
        values = [100 * (a.orr if what == "ORR" else a.cbr) for a in result.arms]
        cis = [a.orr_ci if what == "ORR" else a.cbr_ci for a in result.arms]
        counts = [
            (a.counts.get("CR", 0) + a.counts.get("PR", 0)) if what == "ORR" else None
            for a in result.arms
        ]
        traces.append(
            {
                "type": "bar",
                "name": what,
                "x": arms,
                "y": values,
                "error_y": error_bars(values, [100 * c[0] for c in cis], [100 * c[1] for c in cis]),
                "text": [
                    f"{pct}% CI {100 * c[0]:.1f}-{100 * c[1]:.1f}%, n = {a.n}"
                    + (f", {k} CR/PR" if k is not None else "")
                    for c, a, k in zip(cis, result.arms, counts, strict=True)
                ],
                "textposition": "none",
                "marker": {"color": colour},
                "hovertemplate": f"%{{x}}: {what} %{{y:.1f}}% (%{{text}})<extra></extra>",
            }
        )
    tests = []
    if result.fisher_orr is not None:
        tests.append(f"ORR Fisher p = {result.fisher_orr.p_value:.3g}")
    if result.fisher_cbr is not None:
        tests.append(f"CBR Fisher p = {result.fisher_cbr.p_value:.3g}")
    d = result.orr_difference
    if d is not None:
        method = "MN" if d.method == "miettinen-nurminen" else "Newcombe"
        tests.append(
            f"ORR difference {100 * d.difference:+.1f} pp ({pct}% {method} CI "
            f"{100 * d.lower:+.1f} to {100 * d.upper:+.1f})"
        )
    return figure(
        traces,
        layout(
            f"Objective response (CR + PR) and clinical benefit (CR + PR + SD >= "
            f"{result.cbr_days / 7:g} weeks), exact {pct}% CIs"
            + (f"; {', '.join(tests)}" if tests else ""),
            axis("arm", type="category"),
            axis("patients (%)", rangemode="tozero"),
            barmode="group",
        ),
    )


def _waterfall(result: ResponseResult) -> Figure | None:
    subjects = [s for s in result.subjects if s.best_pct_change is not None]
    if not subjects:
        return None
    arms = list(dict.fromkeys(s.arm for s in subjects))
    traces: list[dict[str, Any]] = []
    for k, arm in enumerate(arms):
        ordered = sorted(
            (s for s in subjects if s.arm == arm), key=lambda s: -(s.best_pct_change or 0.0)
        )
        x_axis = "x" if k == 0 else f"x{k + 1}"
        y_axis = "y" if k == 0 else f"y{k + 1}"
        for bor, colour in _BOR_COLOURS.items():
            rows = [(i, s) for i, s in enumerate(ordered) if s.bor == bor]
            if not rows:
                continue
            traces.append(
                {
                    "type": "bar",
                    "name": bor,
                    "legendgroup": bor,
                    "showlegend": k == 0 or all(t["name"] != bor for t in traces),
                    "x": [i for i, _ in rows],
                    "y": [s.best_pct_change for _, s in rows],
                    "text": [s.subject for _, s in rows],
                    "marker": {"color": colour},
                    "xaxis": x_axis,
                    "yaxis": y_axis,
                    "hovertemplate": f"%{{text}} ({arm}): best change %{{y:.1f}}%, BOR {bor}"
                    "<extra></extra>",
                }
            )
    n = len(arms)
    gap = 0.08
    height = (1.0 - gap * (n - 1)) / n
    axes: dict[str, Any] = {}
    for k, arm in enumerate(arms):
        top = 1.0 - k * (height + gap)
        suffix = "" if k == 0 else str(k + 1)
        count = sum(s.arm == arm for s in subjects)
        axes[f"xaxis{suffix}"] = {
            "domain": [0, 1],
            "anchor": f"y{suffix}",
            "showticklabels": False,
            "title": {"text": f"{arm}: {count} subjects with target lesions, ordered"},
        }
        axes[f"yaxis{suffix}"] = {
            "domain": [max(top - height, 0.0), top],
            "anchor": f"x{suffix}",
            "title": {"text": "best change (%)"},
        }
    shapes = [
        hline(level, dash=dash) | {"yref": f"y{'' if k == 0 else k + 1}", "xref": "paper"}
        for k in range(n)
        for level, dash in ((20.0, "dot"), (-30.0, "dash"))
    ]
    return figure(
        traces,
        {
            "title": {
                "text": "Best change from baseline in the target-lesion sum "
                "(dashed -30%: PR; dotted +20%: PD)"
            },
            **axes,
            "shapes": shapes,
            "bargap": 0.1,
            "height": 300 * n + 120,
            "margin": {"t": 60, "r": 20},
            "legend": {"title": {"text": "best overall response"}},
        },
    )


def figures(result: ResponseResult) -> dict[str, Figure]:
    found = {"rates": _rates(result)}
    waterfall = _waterfall(result)
    if waterfall is not None:
        found["waterfall"] = waterfall
    return found
