"""Terminal view of an NCA (kind ``nca``; the command, ``cxcr4lab nca`` and
``cxcr4lab analyze nca``, is declared in :mod:`cxcr4lab.runs.nca`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.pkpd.nca import NcaResult

__all__ = ["print_result"]


def _f(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}g}"


def print_result(console: Console, result: NcaResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    s, u = result.settings, result.units
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(
        f"[bold]{escape(f'NCA: {result.source}')}[/bold]{saved}\n"
        f"{len(result.subjects)} subjects; AUC rule {s.auc_method}; lambda_z "
        f"{'manual for ' + str(len(s.lambda_z_ranges)) + ', ' if s.lambda_z_ranges else ''}"
        "best adjusted R^2 otherwise; BLQ before/after Tmax: "
        f"{s.blq_before_tmax}/{s.blq_after_tmax}"
    )
    table = Table(title="Per subject (F-apparent CL and Vz for extravascular doses)")
    heads = (
        "subject",
        "route",
        f"Cmax ({u['conc']})",
        "Tmax (h)",
        f"AUClast ({u['auc']})",
        f"AUCinf ({u['auc']})",
        "%extrap",
        "lambda_z (1/h)",
        "n",
        "t1/2 (h)",
        f"CL ({u['cl']})",
        f"Vz ({u['v']})",
        f"Vss ({u['v']})",
        "MRTinf (h)",
    )
    for h in heads:
        table.add_column(h, justify="left" if h in ("subject", "route") else "right")
    for p in result.subjects:
        lz = p.lambda_z
        table.add_row(
            p.subject,
            {"extravascular": "EV"}.get(p.route, p.route),
            _f(p.cmax),
            _f(p.tmax),
            _f(p.auc_last),
            _f(p.auc_inf_obs),
            _f(p.auc_pct_extrap_obs, 3),
            _f(None if lz is None else lz.lambda_z),
            "-" if lz is None else f"{lz.n_points}{'*' if lz.manual else ''}",
            _f(p.half_life),
            _f(p.cl_obs),
            _f(p.vz_obs),
            _f(p.vss_obs),
            _f(p.mrt_inf_obs),
        )
    console.print(table)
    notes = [f"{p.subject}: {n}" for p in result.subjects for n in p.notes]
    if notes:
        console.print("Notes:\n" + "\n".join(f"  {escape(n)}" for n in notes))
