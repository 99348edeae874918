"""Terminal view of a PK regimen simulation (kind ``pk_regimen``); the command,
``cxcr4lab simulate pk``, is declared in :mod:`cxcr4lab.runs.pk_regimen`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.pkpd.pk_regimen import PkRegimenResult, RegimenProfile

__all__ = ["print_result"]

_SHOWN = 12
"""Per-interval rows shown in full; longer regimens show the first and last few."""


def _num(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:.4g}"


def _parameters(p: RegimenProfile) -> str:
    return ", ".join(
        f"{n} {_num(v)} {u}"
        for n, v, u in zip(p.parameters.names, p.parameters.values, p.parameters.units, strict=True)
    )


def _interval_table(result: PkRegimenResult, p: RegimenProfile) -> Table:
    c, auc = result.conc_unit, result.auc_unit
    table = Table(title=f"Per dosing interval: {p.label}")
    for head in (
        "dose",
        "start (h)",
        f"Cmax ({c})",
        "Tmax (h after dose)",
        f"Cmin ({c})",
        f"AUC_tau ({auc})",
    ):
        table.add_column(head, justify="right")
    rows = list(p.intervals)
    if len(rows) > _SHOWN:
        rows = [*rows[: _SHOWN // 2], None, *rows[-(_SHOWN // 2) :]]  # type: ignore[list-item]
    for m in rows:
        if m is None:
            table.add_row("...", "", "", "", "", "")
            continue
        table.add_row(
            str(m.dose), _num(m.start), _num(m.cmax), _num(m.tmax), _num(m.cmin), _num(m.auc)
        )
    return table


def print_result(console: Console, result: PkRegimenResult, analysis_id: int | None) -> None:
    """The regimen and its source, one row per parameter set (first and last interval,
    accumulation, half-life, time to steady state), then the per-interval table of a single
    parameter set."""
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    c, auc = result.conc_unit, result.auc_unit
    console.print(
        f"[bold]PK regimen[/bold] [SIMULATED]{saved}\n"
        f"{escape(result.regimen.describe())}; parameters: {escape(result.source)}"
    )
    table = Table(title=f"Concentrations in {escape(c)}, AUC in {escape(auc)}, times in h")
    for head, right in (
        ("subject", False),
        ("model", False),
        ("parameters", False),
        ("Cmax first", True),
        ("Cmax last", True),
        ("Cmin last", True),
        ("AUC_tau last", True),
        ("AUC_tau,ss", True),
        ("accumulation", True),
        ("t1/2 terminal", True),
        ("90% SS at", True),
    ):
        table.add_column(head, justify="right" if right else "left")
    for p in result.profiles:
        first, last = p.intervals[0], p.intervals[-1]
        table.add_row(
            escape(p.label),
            p.parameters.model,
            escape(_parameters(p)),
            _num(first.cmax),
            _num(last.cmax),
            _num(last.cmin),
            _num(last.auc),
            _num(p.auc_ss),
            _num(p.accumulation_ratio),
            _num(p.terminal_half_life),
            f"{_num(p.time_to_90_ss)} (dose {p.doses_to_90_ss})",
        )
    console.print(table)
    if len(result.profiles) == 1:
        console.print(_interval_table(result, result.profiles[0]))
    else:
        console.print("[dim]Every interval of every subject: --format csv (or --json).[/dim]")
    for note in result.notes:
        console.print(f"[dim]- {escape(note)}[/dim]")
