"""Report section of a population PK fit (kind ``popfit``): the parameter table with units and
95% CIs, fit statistics, goodness-of-fit panels, individual fits and the VPC."""

from __future__ import annotations

import math

from cxcr4lab.pkpd.popfit_results import PopFitResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment
from cxcr4lab.report.popfit_figures import gof_figure, individual_figure, vpc_figure

__all__ = ["render"]


def _num(v: float | None, digits: int = 4) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.{digits}g}"


def render(analysis_id: int, title: str, result: PopFitResult) -> str:
    s, f = result.settings, result.fit
    rows = [
        [
            e.name,
            e.kind,
            f"{_num(e.value)} {e.unit}".strip(),
            _num(e.rse_percent, 3),
            "—"
            if e.ci_lower is None or e.ci_upper is None
            else f"{e.ci_lower:.3g} – {e.ci_upper:.3g}",
            _num(e.cv_percent, 3),
            _num(e.shrinkage_percent, 2),
        ]
        for e in result.estimates
    ]
    table = {
        "caption": f"Estimates: {100 * f.level:g}% Wald CIs (log scale for positive parameters), "
        f"SEs from the {f.covariance_method} covariance",
        "columns": ["parameter", "kind", "estimate", "RSE %", "95% CI", "CV %", "shrinkage %"],
        "rows": rows,
    }
    stats = result.fit_statistics()
    covs = f"; covariates {', '.join(s.covariates)}" if s.covariates else ""
    bov = f"; between-occasion variability on {', '.join(s.bov)}" if s.bov else ""
    meta = (
        f"{result.source}: {f.n_subjects} subjects, {f.n_obs} observations ({result.n_blq} "
        f"below the LLOQ, M3 likelihood), {result.n_doses} doses. Model {s.model}, "
        f"log-normal between-subject variability, {s.error} residual error, {s.omega} Omega"
        f"{covs}{bov}; estimated by {s.method}."
    )
    notes = [
        f"OFV (-2 log L) {stats['ofv']:.3f}; NONMEM's objective (without N log 2π) "
        f"{stats['ofv_nonmem']:.3f}; AIC {stats['aic']:.2f}; BIC {stats['bic']:.2f}; "
        f"{stats['n_parameters']} parameters; condition number "
        f"{_num(stats['condition_number'])}; {'converged' if f.converged else 'NOT converged'}.",
    ]
    if result.diagnostics_summary:
        notes.append(
            "Diagnostics: "
            + "; ".join(f"{k} {_num(v, 3)}" for k, v in result.diagnostics_summary)
            + "."
        )
    if f.flags:
        notes.append(f"Flags: {', '.join(f.flags)}.")
    notes += list(result.notes)
    figures = [to_svg(gof_figure(result)), to_svg(individual_figure(result))]
    vpc = vpc_figure(result)
    if vpc is not None:
        figures.append(to_svg(vpc))
    return (
        environment()
        .get_template("survival.html.j2")
        .render(
            id=analysis_id,
            title=title,
            meta=meta,
            tables=[table],
            notes=notes,
            figures=figures,
        )
    )
