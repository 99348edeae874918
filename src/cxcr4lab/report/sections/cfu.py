"""Report section of a CFU assay (kind ``cfu``): colonies per 10^5 MNC by colony type and
regimen with CIs (figure), the dispersion tests, the rate ratios and the per-sample table."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.assays.cfu import CfuResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment, fmt

__all__ = ["colonies_svg", "render"]

_COLOURS = ("#7f7f7f", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
_METHOD = {"poisson": "Poisson exact (Garwood)", "negbin": "negative binomial (Wald)"}


def colonies_svg(result: CfuResult) -> str:
    """One panel per colony type: each sample's colonies per 10^5 MNC with its CI (dots), and
    each regimen's rate from the reported model with its Wald CI (black diamond)."""
    types = result.colony_types
    fig = Figure(figsize=(2.6 * len(types) + 1.0, 3.8))
    axes = np.atleast_1d(fig.subplots(1, len(types), squeeze=False)[0])
    rng = np.random.default_rng(0)  # a fixed jitter, the same figure every time
    pct = f"{result.settings.conf_level:.0%}"
    for ax, t in zip(axes, types, strict=True):
        for j, regimen in enumerate(result.regimens):
            colour = _COLOURS[j % len(_COLOURS)]
            here = [e for e in result.samples if e.colony_type == t and e.regimen == regimen]
            x = j + rng.uniform(-0.22, 0.22, len(here)) - 0.1
            y = np.array([e.per_1e5 for e in here])
            low = y - np.array([e.per_1e5_lower for e in here])
            high = np.array([e.per_1e5_upper for e in here]) - y
            ax.errorbar(x, y, yerr=[low, high], fmt="o", ms=3.5, color=colour, lw=0.8, alpha=0.8)
            rate = next(
                (
                    r
                    for r in result.regimen_rates
                    if r.colony_type == t and r.regimen == regimen and r.chosen
                ),
                None,
            )
            if rate is not None:
                ax.errorbar(
                    [j + 0.25],
                    [rate.per_1e5],
                    yerr=[[rate.per_1e5 - rate.per_1e5_lower], [rate.per_1e5_upper - rate.per_1e5]],
                    fmt="D",
                    ms=5,
                    color="black",
                    capsize=3,
                )
        ax.set_xticks(
            range(len(result.regimens)),
            [r.replace("balixafortide", "BLX") for r in result.regimens],
            rotation=30,
            ha="right",
            fontsize=7,
        )
        ax.set_title(t, fontsize=9)
        ax.set_ylim(bottom=0)
    axes[0].set_ylabel(f"colonies per 10$^5$ MNC plated ({pct} CI)")
    fig.suptitle(
        "Dots: samples (CI per sample); diamonds: regimen rate from the reported GLM (Wald CI)",
        fontsize=8,
    )
    return to_svg(fig)


def render(analysis_id: int, title: str, result: CfuResult) -> str:
    s = result.settings
    pct = f"{s.conf_level:.0%}"
    dispersion = {
        "caption": "Dishes around their sample's rate: Fisher's index of dispersion, pooled",
        "columns": ["colony type", "X2", "df", "p", "CIs per sample", "why"],
        "rows": [
            [
                d.colony_type,
                f"{d.chi2:.2f}",
                d.df,
                fmt(d.p),
                _METHOD[d.ci_method] + ("" if d.alpha is None else f", alpha {fmt(d.alpha)}"),
                d.reason,
            ]
            for d in result.dispersion
        ],
    }
    ratios = {
        "caption": f"Rate ratio per MNC plated vs {result.reference} ({pct} Wald CI); "
        "* the model reported",
        "columns": ["colony type", "regimen", "model", "rate ratio", f"{pct} CI", "p"],
        "rows": [
            [
                r.colony_type,
                r.regimen,
                r.model + (" *" if r.chosen else ""),
                fmt(r.ratio),
                f"{fmt(r.lower)} – {fmt(r.upper)}",
                fmt(r.p),
            ]
            for r in result.ratios
        ],
    }
    fits = {
        "caption": "Count models across regimens (one row per sample, offset log MNC plated)",
        "columns": [
            "colony type",
            "model",
            "samples",
            "residual df",
            "deviance",
            "Pearson X2",
            "dispersion p",
            "NB alpha (SE)",
            "AIC",
        ],
        "rows": [
            [
                f.colony_type,
                f.model + (" *" if f.chosen else ""),
                f.n,
                f.df_resid,
                f"{f.deviance:.2f}",
                f"{f.pearson_chi2:.2f}",
                fmt(f.dispersion_p),
                "–" if f.alpha is None else f"{fmt(f.alpha)} ({fmt(f.alpha_se)})",
                f"{f.aic:.2f}",
            ]
            for f in result.fits
        ],
    }
    samples = {
        "caption": f"Per sample and colony type ({pct} CI)",
        "columns": [
            "sample",
            "regimen",
            "type",
            "dishes",
            "colonies",
            "MNC plated",
            "per 10^5 MNC",
            "per mL blood",
            "per kg",
            "CI",
        ],
        "rows": [
            [
                e.sample,
                e.regimen,
                e.colony_type,
                e.dishes,
                e.colonies,
                f"{e.cells_plated:.3g}",
                f"{fmt(e.per_1e5)} ({fmt(e.per_1e5_lower)} – {fmt(e.per_1e5_upper)})",
                "–"
                if e.per_ml is None
                else f"{fmt(e.per_ml)} ({fmt(e.per_ml_lower)} – {fmt(e.per_ml_upper)})",
                "–"
                if e.per_kg is None
                else f"{fmt(e.per_kg)} ({fmt(e.per_kg_lower)} – {fmt(e.per_kg_upper)})",
                _METHOD[e.ci_method],
            ]
            for e in result.samples
        ],
    }
    n_samples = len({(e.sample, e.regimen) for e in result.samples})
    meta = (
        f"{result.source}: {n_samples} samples; regimens {', '.join(result.regimens)} "
        f"(reference {result.reference}); total colonies {result.total_source}; model "
        f"{s.model}. Units: colonies per 10^5 MNC plated, per mL blood (x MNC per mL), per kg "
        "body weight (x product MNC / kg)."
    )
    notes = [
        "Per-sample CIs: exact Poisson (Garwood, as R's poisson.test) unless the colony type's "
        "dishes are overdispersed (pooled Pearson X2, p < "
        f"{s.dispersion_level:g}): then negative binomial with one dispersion per type, "
        "Wald CIs on the log scale. Regimens: Poisson and negative-binomial GLMs on per-sample "
        "totals with offset log(MNC plated); the negative binomial is reported when the Poisson "
        "fit is overdispersed.",
        *result.notes,
    ]
    tables = [dispersion, ratios, fits, samples] if result.ratios else [dispersion, samples]
    return (
        environment()
        .get_template("survival.html.j2")
        .render(
            id=analysis_id,
            title=title,
            meta=meta,
            tables=tables,
            notes=notes,
            figures=[colonies_svg(result)],
        )
    )
