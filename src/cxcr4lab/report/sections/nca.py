"""Report section of a non-compartmental analysis: per-subject table and exposure figure."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from cxcr4lab.pkpd.nca import NcaResult
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment

__all__ = ["render"]


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "—" if not math.isfinite(value) else f"{value:.4g}"
    return "—" if value is None else str(value)


def _exposure_svg(result: NcaResult) -> str:
    """AUClast and AUCinf (obs) per subject, with the terminal half-life beside them."""
    subjects = [s.subject for s in result.subjects]
    x = np.arange(len(subjects))
    auc_last = [np.nan if s.auc_last is None else s.auc_last for s in result.subjects]
    auc_inf = [np.nan if s.auc_inf_obs is None else s.auc_inf_obs for s in result.subjects]
    half = [np.nan if s.half_life is None else s.half_life for s in result.subjects]
    fig = Figure(figsize=(8.0, 3.2))
    left, right = fig.subplots(1, 2)
    left.bar(x - 0.2, auc_last, width=0.4, label="AUClast")
    left.bar(x + 0.2, auc_inf, width=0.4, label="AUCinf (obs)")
    left.set_xticks(x, subjects, fontsize=7)
    left.set_ylabel(f"AUC ({result.units.get('auc', '')})")
    left.legend(fontsize=7)
    right.plot(x, half, "o")
    right.set_xticks(x, subjects, fontsize=7)
    right.set_ylabel("terminal half-life (h)")
    for ax in (left, right):
        ax.set_xlabel("subject")
    return to_svg(fig)


def render(analysis_id: int, title: str, result: NcaResult) -> str:
    table = result.summary()
    keep = [
        c
        for c in table.columns
        if c.split(" (")[0]
        in {
            "subject",
            "route",
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
        }
    ] or list(table.columns)
    rows = [[_cell(v) for v in row] for row in table[keep].itertuples(index=False)]
    return (
        environment()
        .get_template("nca.html.j2")
        .render(
            id=analysis_id,
            title=title,
            source=result.source,
            auc_method=result.settings.auc_method,
            columns=keep,
            rows=rows,
            figure=_exposure_svg(result),
        )
    )
