"""Report section of a Cox regression (kind ``cox``): the terms table, the global tests, the
proportional-hazards tests and a forest plot of the hazard ratios."""

from __future__ import annotations

from cxcr4lab.clinical.cox import CoxResult
from cxcr4lab.clinical.survival import HazardRatio
from cxcr4lab.report.html import environment
from cxcr4lab.report.sections.survival import hazard_forest_svg

__all__ = ["render"]


def _cell(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def render(analysis_id: int, title: str, result: CoxResult) -> str:
    frame = result.summary()
    m = result.model
    table = {
        "caption": f"Cox terms ({m.ties.capitalize()} ties)",
        "columns": [str(c) for c in frame.columns],
        "rows": [[_cell(v) for v in row] for row in frame.itertuples(index=False)],
    }
    score = (
        ""
        if result.score_chisq is None
        else f"score (log-rank) test {result.score_chisq:.3f}, p = {result.score_p:.4g}; "
    )
    notes = [
        f"Likelihood ratio test {result.lr_chisq:.3f} on {result.df} df, p = {result.lr_p:.4g}; "
        f"Wald test {result.wald_chisq:.3f}, p = {result.wald_p:.4g}; {score}"
        f"concordance {result.concordance:.3f}; log-likelihood {result.loglik:.3f} "
        f"(null {result.loglik_null:.3f}).",
        f"Proportional hazards ({result.ph_method}): "
        + "; ".join(
            f"{p.term} chi-square {p.chisq:.3f}{f' on {p.df} df' if p.df > 1 else ''}, "
            f"p = {p.p:.3g}"
            for p in result.ph_tests
        )
        + ".",
    ]
    if m.categorical:
        notes.append(
            "Categorical covariates (treatment contrasts): "
            + ", ".join(f"{c} vs reference {r}" for c, r in m.categorical)
            + "."
        )
    hrs = tuple(
        HazardRatio(
            t.term, t.coef, t.se, t.hr, t.hr_lower, t.hr_upper, t.p, result.n, result.events
        )
        for t in result.terms
    )
    strata = f", stratified by {', '.join(m.strata)}" if m.strata else ""
    meta = (
        f"{'SIMULATED data. ' if result.simulated else ''}{result.source}: n = {result.n}, "
        f"{result.events} events, {result.dropped} rows with a missing value left out{strata}; "
        f"times in {result.time_unit}; {m.conf_level:.0%} Wald CIs of the HRs."
    )
    return (
        environment()
        .get_template("survival.html.j2")
        .render(
            id=analysis_id,
            title=title,
            meta=meta,
            tables=[table],
            notes=notes,
            figures=[hazard_forest_svg(hrs)],
        )
    )
