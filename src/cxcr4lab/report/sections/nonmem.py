"""Report section of a NONMEM dataset export (kind ``nonmem``): counts, the BLQ method, the
first records and a plot of the observations per subject (BLQ marked)."""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from cxcr4lab.pkpd.nonmem_export import NonmemExport
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.html import environment

__all__ = ["observations_figure", "render"]

SHOWN = 40


def observations_figure(result: NonmemExport) -> Figure:
    """DV against TIME per subject (log y), BLQ records as open markers at the LLOQ."""
    fig = Figure(figsize=(7.0, 4.0))
    ax = fig.subplots()
    frame = result.frame()
    obs = frame[frame["EVID"] == 0]
    for sid, rows in obs.groupby("ID", sort=False):
        quantified = rows[(rows["BLQ"] == 0) & (rows["DV"] > 0)]
        line = ax.plot(quantified["TIME"], quantified["DV"], "-o", ms=3, lw=0.8, label=str(sid))
        blq = rows[rows["BLQ"] == 1]
        if len(blq) and result.lloq is not None:
            ax.plot(
                blq["TIME"], [result.lloq] * len(blq), "o", mfc="none", color=line[0].get_color()
            )
    if result.lloq is not None:
        ax.axhline(result.lloq, color="grey", ls="--", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("TIME (h)")
    ax.set_ylabel(f"DV ({result.conc_unit})")
    ax.set_title("Observation records (open: BLQ at the LLOQ)", fontsize=9)
    if obs["ID"].nunique() <= 12:
        ax.legend(fontsize=6, ncol=2, title="ID", title_fontsize=6)
    fig.tight_layout()
    return fig


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "." if math.isnan(value) else f"{value:g}"
    return str(value)


def render(analysis_id: int, title: str, result: NonmemExport) -> str:
    frame = result.frame()
    table = {
        "caption": f"First {min(SHOWN, len(frame))} of {len(frame)} records",
        "columns": [str(c) for c in frame.columns],
        "rows": [[_cell(v) for v in row] for row in frame.head(SHOWN).itertuples(index=False)],
    }
    lloq = "" if result.lloq is None else f" below the LLOQ of {result.lloq:g} {result.conc_unit}"
    notes = [
        f"{result.subjects} subjects, {result.observations} observations, {result.blq_samples} "
        f"BLQ{lloq} written by Beal's {result.blq_method.upper()} "
        + (
            "(DV = LLOQ, MDV 0, BLQ 1, CENS 1)."
            if result.blq_method == "m3"
            else "(MDV 1, DV missing, BLQ 1)."
        ),
        f"{result.missing_samples} blank samples left out. Dose records: EVID 1 at TIME 0 "
        "(depot CMT 1 for extravascular doses, observed in CMT 2).",
    ]
    meta = (
        f"{result.source}: TIME in h, AMT in {result.dose_unit}, DV in {result.conc_unit}; "
        "the whole dataset is in the CSV download."
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
            figures=[to_svg(observations_figure(result))],
        )
    )
