"""Report section of a non-compartmental analysis: per-subject parameters, intervals, summary
statistics by group, dose proportionality, the concentration-time and lambda_z pictures, and
every note (BLQ handling, missing samples, C0, lambda_z) as the terminal prints them."""

from __future__ import annotations

import pandas as pd

from cxcr4lab.pkpd.nca import NcaResult
from cxcr4lab.report.nca_figures import concentration_svg, lambda_z_svg, mean_svg
from cxcr4lab.report.sections._pkpd import render_pkpd, table

__all__ = ["render"]

_SHOWN = {
    "subject",
    "route",
    "doses",
    "Dose",
    "Cmax",
    "Tmax",
    "AUClast",
    "AUCinf_obs",
    "AUC_%extrap_obs",
    "lambda_z",
    "t1/2",
    "lambda_z_n",
    "lambda_z_adj_R2",
    "MRTinf_obs",
    "CL_obs",
    "Vz_obs",
    "Vss_obs",
}


def _meta(result: NcaResult) -> str:
    s = result.settings
    blq = (
        f"BLQ before/after Tmax: {s.blq_before_tmax}/{s.blq_after_tmax}"
        if s.blq_scheme == "tmax"
        else f"BLQ first/middle/last (PKNCA rule): {s.blq_first}/{s.blq_middle}/{s.blq_last}"
    )
    parts = [
        f"Non-compartmental analysis of {result.source}",
        f"doses from {result.dose_source}" if result.dose_source else "",
        f"AUC rule {s.auc_method}",
        "lambda_z by best adjusted R² (at least 3 points; Cmax excluded for extravascular "
        "doses), as Phoenix WinNonlin does",
        blq,
        f"LLOQ {s.lloq:g} {result.units.get('conc', '')}" if s.lloq else "",
        f"tau {s.tau:g} h" if s.tau else "",
        "last interval at steady state" if s.steady_state else "",
        "CL and Vz are apparent (/F) for extravascular doses",
    ]
    return " · ".join(p for p in parts if p)


def render(analysis_id: int, title: str, result: NcaResult) -> str:
    summary = result.summary()
    keep = [c for c in summary.columns if str(c).split(" (")[0] in _SHOWN]
    keep += [c for c in summary.columns if c not in keep and c in _group_columns(result)]
    tables = [table(summary[keep], "Per subject (all parameters in --out)", digits=4)]
    if result.intervals:
        tables.append(table(result.interval_table(), "Partial AUCs and dosing intervals", 4))
    if result.statistics:
        stats = result.statistics_table()
        tables.append(table(stats, "Summary statistics by group (geometric: PKNCA rules)", 4))
    if result.proportionality:
        tables.append(
            table(
                pd.concat([p.summary() for p in result.proportionality], ignore_index=True),
                "Dose proportionality: power model ln(P) = a + b ln(dose), "
                "Smith et al. (2000) acceptance interval",
                4,
            )
        )
    figures = [concentration_svg(result), mean_svg(result), lambda_z_svg(result)]
    notes = [f"{s.subject}: {n}" for s in result.subjects for n in s.notes]
    return render_pkpd(analysis_id, title, _meta(result), tables, figures, notes)


def _group_columns(result: NcaResult) -> set[str]:
    return {k for s in result.subjects for k, _ in s.meta}
