"""The terminal view of a stored synergy analysis (``cxcr4lab synergy``; the kind is
``runs/synergy.py``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.combination.analysis import BlockAnalysis, SynergyResult

__all__ = ["print_result"]

MAX_BLOCKS_SHOWN = 12
"""Blocks listed one by one; a larger screen is shown as a table of block scores only."""


def _num(v: float | None, fmt: str = ".2f") -> str:
    if v is None or not math.isfinite(v):
        return "-"
    return format(v, fmt)


def _ci(lo: float | None, hi: float | None, fmt: str = ".3g") -> str:
    """`` (lo to hi)``, or `` (no interval)`` when either end could not be computed."""
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return " (no interval)"
    return f" ({format(lo, fmt)} to {format(hi, fmt)})"


def _block_detail(console: Console, b: BlockAnalysis, level: int) -> None:
    from rich.markup import escape

    from cxcr4lab.combination.analysis import interpret

    blk = b.block
    reps = "with replicates" if blk.has_replicates else "one value per cell"
    console.print(
        f"\n[bold]{escape(f'Block {b.block_id}: {blk.drug_row} (rows) x {blk.drug_col} (columns)')}"
        f"[/bold]  {len(blk.conc_r) - 1} x {len(blk.conc_c) - 1} doses, {reps}; "
        f"{escape(blk.drug_row)} {escape(', '.join(f'{c:g}' for c in blk.conc_r_shown))} "
        f"{escape(blk.unit_r)}; {escape(blk.drug_col)} "
        f"{escape(', '.join(f'{c:g}' for c in blk.conc_c_shown))} {escape(blk.unit_c)}"
    )
    if b.scores is not None:
        table = Table(title="Block scores (mean over combination cells, % inhibition)")
        for col in (
            "method",
            "score",
            f"{level}% CI (bootstrap)",
            "p",
            "most synergistic area",
            "reading",
        ):
            table.add_column(col, justify="left" if col in ("method", "reading") else "right")
        for m in b.scores.methods:
            boot = b.bootstrap.method(m.method) if b.bootstrap is not None else None
            area = b.area(m.method)
            where = ""
            if area is not None:
                r0, c0 = area.row, area.col
                where = (
                    f"{_num(area.score)} ({blk.conc_r_shown[r0]:g}-"
                    f"{blk.conc_r_shown[r0 + area.size - 1]:g} {blk.unit_r} x "
                    f"{blk.conc_c_shown[c0]:g}-{blk.conc_c_shown[c0 + area.size - 1]:g} "
                    f"{blk.unit_c})"
                )
            table.add_row(
                m.method.upper() if m.method in ("hsa", "zip") else m.method.capitalize(),
                _num(m.score),
                f"{_num(boot.ci_low)} to {_num(boot.ci_high)}" if boot else "-",
                _num(boot.p_value if boot else m.p_value, ".2g"),
                where or "-",
                interpret(m.score),
            )
        console.print(table)
    if b.sensitivity is not None:
        s = b.sensitivity
        console.print(
            f"Sensitivity: relative IC50 {escape(s.row.drug)} {_num(s.row.ic50, '.3g')} "
            f"{escape(s.row.unit)}{' (capped at the top dose)' if s.row.ic50_capped else ''}, "
            f"{escape(s.col.drug)} {_num(s.col.ic50, '.3g')} {escape(s.col.unit)}"
            f"{' (capped at the top dose)' if s.col.ic50_capped else ''}; RI {_num(s.row.ri, '.1f')}"
            f" / {_num(s.col.ri, '.1f')} %; CSS {_num(s.css, '.1f')} %"
        )
    if b.chou is not None:
        c = b.chou
        fits = []
        for fit in c.fits:
            if fit is None:
                continue
            state = "" if fit.valid else " (not usable)"
            fits.append(
                f"{escape(fit.agent)}: Dm {_num(fit.dm, '.3g')} {escape(fit.unit)}"
                f"{_ci(fit.dm_lower, fit.dm_upper)}, m {_num(fit.m, '.2f')}, "
                f"r {_num(fit.r, '.3f')}{state}"
            )
        median = (
            f"median CI {_num(c.median_ci, '.2f')} over {c.n_defined} wells"
            if c.median_ci is not None
            else "CI undefined in every well"
        )
        console.print(f"Chou-Talalay: {'; '.join(fits)}; {median} (< 1 synergy, > 1 antagonism)")
        dri = [p.dri[0] for p in c.cells if p.dri[0] is not None]
        if c.median_ci is None and dri:
            console.print(
                f"  DRI of {escape(c.drugs[0])} (dose alone / dose in combination at the same "
                f"effect): median {_num(sorted(dri)[len(dri) // 2], '.2f')}, up to "
                f"{_num(max(dri), '.2f')}"
            )
    if b.musyc is not None:
        f = b.musyc
        parts = []
        for name in ("alpha12", "alpha21", "gamma12", "gamma21"):
            if name in f.names:
                k = f.names.index(name)
                parts.append(f"{name} {_num(f.values[k], '.3g')}{_ci(f.lower[k], f.upper[k])}")
        parts.append(f"beta {_num(f.beta, '.3f')}{_ci(f.beta_lower, f.beta_upper, '.3f')}")
        console.print(
            f"MuSyC ({f.ci_method} {level}% CIs): {', '.join(parts)}; potency synergy alpha > 1, "
            "efficacy synergy beta > 0"
        )
    for note in (*blk.flags, *b.notes):
        console.print(f"[yellow]Note:[/yellow] {escape(note)}")


def print_result(console: Console, result: SynergyResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    level = round(result.settings.confidence * 100)
    s = result.settings
    console.print(
        f"[bold]{escape(f'Synergy: {result.source}')}[/bold]{saved}\n"
        f"{len(result.blocks)} block(s) scored, {len(result.problems)} refused; methods "
        f"{', '.join(s.methods)}; baseline correction {s.correct_baseline}; bootstrap "
        f"{s.iteration} iterations ({s.resampling}, seed {s.seed}) where there are replicates"
    )
    if len(result.blocks) <= MAX_BLOCKS_SHOWN:
        for b in result.blocks:
            _block_detail(console, b, level)
    else:
        frame = result.summary()
        methods = [m for m in ("bliss", "hsa", "loewe", "zip") if m in frame.columns]
        table = Table(title="Block scores (mean over combination cells, % inhibition)")
        for col in ("block", "drugs", *methods):
            table.add_column(col, justify="left" if col in ("block", "drugs") else "right")
        for _, row in frame.iterrows():
            table.add_row(
                escape(str(row["block_id"])),
                escape(f"{row['drug_row']} x {row['drug_col']}"),
                *(_num(row[m]) for m in methods),
            )
        console.print(table)
    for p in result.problems:
        console.print(f"[red]Refused:[/red] {escape(str(p))}")
