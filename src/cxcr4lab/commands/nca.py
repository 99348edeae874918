"""Terminal view of an NCA (kind ``nca``; the command, ``cxcr4lab nca`` and
``cxcr4lab analyze nca``, is declared in :mod:`cxcr4lab.runs.nca`).

Tables are kept to about eight columns with the unit under each header, so that they fit an
80-column terminal without cutting names: exposure, terminal phase and clearance, dosing
intervals, summary statistics by group, dose proportionality, then the notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.pkpd.nca import NcaResult

__all__ = ["print_result"]


def _f(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}g}"


def _table(title: str, heads: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    table = Table(title=title, title_justify="left")
    for i, h in enumerate(heads):
        table.add_column(h, justify="left" if i == 0 else "right", overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def print_result(console: Console, result: NcaResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    s, u = result.settings, result.units
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    blq = (
        f"BLQ before/after Tmax: {s.blq_before_tmax}/{s.blq_after_tmax}"
        if s.blq_scheme == "tmax"
        else f"BLQ first/middle/last (PKNCA): {s.blq_first}/{s.blq_middle}/{s.blq_last}"
    )
    doses = f"; doses from {result.dose_source}" if result.dose_source else ""
    console.print(
        f"[bold]{escape(f'NCA: {result.source}')}[/bold]{saved}\n"
        f"{len(result.subjects)} subjects{escape(doses)}; AUC rule {s.auc_method}; lambda_z "
        f"{'manual for ' + str(len(s.lambda_z_ranges)) + ', ' if s.lambda_z_ranges else ''}"
        f"best adjusted R^2 otherwise; {blq}"
    )
    ev = any(p.route == "extravascular" for p in result.subjects)
    f = "/F" if ev else ""
    console.print(
        _table(
            "Exposure",
            (
                "subject",
                f"dose\n{u['dose']}",
                f"Cmax\n{u['conc']}",
                "Tmax\nh",
                f"AUClast\n{u['auc']}",
                f"AUCinf\n{u['auc']}",
                "extrap\n%",
            ),
            [
                (
                    escape(p.subject),
                    _f(p.dose) + (f" x{p.n_doses}" if p.n_doses > 1 else ""),
                    _f(p.cmax),
                    _f(p.tmax),
                    _f(p.auc_last),
                    _f(p.auc_inf_obs),
                    _f(p.auc_pct_extrap_obs, 3),
                )
                for p in result.subjects
            ],
        )
    )
    console.print(
        _table(
            f"Terminal phase and clearance{' (apparent, /F, for extravascular doses)' if ev else ''}",
            (
                "subject",
                "lambda_z\n1/h",
                "n",
                "t1/2\nh",
                f"CL{f}\n{u['cl']}",
                f"Vz{f}\n{u['v']}",
                f"Vss\n{u['v']}",
                "MRTinf\nh",
            ),
            [
                (
                    escape(p.subject),
                    _f(None if p.lambda_z is None else p.lambda_z.lambda_z),
                    "-"
                    if p.lambda_z is None
                    else f"{p.lambda_z.n_points}{'*' if p.lambda_z.manual else ''}",
                    _f(p.half_life),
                    _f(p.cl_obs),
                    _f(p.vz_obs),
                    _f(p.vss_obs),
                    _f(p.mrt_inf_obs),
                )
                for p in result.subjects
            ],
        )
    )
    _print_intervals(console, result)
    _print_statistics(console, result)
    _print_proportionality(console, result)
    notes = [f"{p.subject}: {n}" for p in result.subjects for n in p.notes]
    if notes:
        console.print("Notes:\n" + "\n".join(f"  {escape(n)}" for n in notes))


def _print_intervals(console: Console, result: NcaResult) -> None:
    from rich.markup import escape

    u = result.units
    partial = [iv for iv in result.intervals if iv.kind == "partial"]
    if partial:
        console.print(
            _table(
                "Partial AUCs",
                ("subject", "from\nh", "to\nh", f"AUC\n{u['auc']}"),
                [(escape(iv.subject), _f(iv.start), _f(iv.end), _f(iv.auc)) for iv in partial],
            )
        )
    dosing = [iv for iv in result.intervals if iv.kind != "partial"]
    if not dosing:
        return
    console.print(
        _table(
            "Dosing intervals (Tmax after the dose)",
            (
                "subject",
                "interval\nh",
                f"AUCtau\n{u['auc']}",
                f"Cmax\n{u['conc']}",
                f"Cmin\n{u['conc']}",
                f"Cavg\n{u['conc']}",
                "fluct.\n%",
                "Rac\nobs/pred",
            ),
            [
                (
                    escape(iv.subject) + (" (ss)" if iv.kind == "steady state" else ""),
                    f"{iv.start:g}-{iv.end:g}",
                    _f(iv.auc),
                    _f(iv.cmax),
                    _f(iv.cmin),
                    _f(iv.cavg),
                    _f(iv.fluctuation_pct, 3),
                    f"{_f(iv.accumulation_ratio, 3)}/{_f(iv.accumulation_pred, 3)}",
                )
                for iv in dosing
            ],
        )
    )
    ss = [iv for iv in dosing if iv.kind == "steady state"]
    if ss:
        console.print(
            _table(
                "Steady state",
                (
                    "subject",
                    f"Ctrough\n{u['conc']}",
                    "swing",
                    f"CLss\n{u['cl']}",
                    f"Vz,ss\n{u['v']}",
                ),
                [
                    (
                        escape(iv.subject),
                        _f(iv.ctrough),
                        _f(iv.swing, 3),
                        _f(iv.cl_ss),
                        _f(iv.vz_ss),
                    )
                    for iv in ss
                ],
            )
        )


def _print_statistics(console: Console, result: NcaResult) -> None:
    from rich.markup import escape

    if not result.statistics:
        return
    shown = {"cmax", "auc_last", "auc_inf_obs", "half_life", "cl_obs", "auc_tau", "cavg_ss"}
    rows: list[tuple[str, ...]] = [
        (
            escape(f"{r.parameter} ({r.unit})" if r.unit else r.parameter),
            escape(r.group or "all"),
            str(r.n),
            _f(r.mean),
            _f(r.sd),
            _f(r.geomean),
            _f(r.geocv_pct, 3),
            _f(r.median),
        )
        for r in result.statistics
        if r.parameter in shown or (r.parameter.startswith("auc_") and "-" in r.parameter)
    ]
    console.print(
        _table(
            "Summary statistics (all in --stats-out)",
            ("parameter", "group", "n", "mean", "SD", "geo.\nmean", "geo.\nCV%", "median"),
            rows,
        )
    )


def _print_proportionality(console: Console, result: NcaResult) -> None:
    if not result.proportionality:
        return
    rows: list[Any] = [
        (
            p.parameter,
            _f(p.slope),
            f"{p.slope_ci[0]:.3g}-{p.slope_ci[1]:.3g}",
            f"{p.acceptance[0]:.3g}-{p.acceptance[1]:.3g}",
            f"{p.dose_ratio:g}",
            p.conclusion,
        )
        for p in result.proportionality
    ]
    level = round(100 * result.proportionality[0].level)
    console.print(
        _table(
            "Dose proportionality: power model ln(P) = a + b ln(dose) (Smith et al. 2000)",
            ("parameter", "b", f"{level}% CI", "accept", "dose\nratio", "conclusion"),
            rows,
        )
    )
