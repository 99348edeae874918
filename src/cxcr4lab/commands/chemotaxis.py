"""Terminal view of ``cxcr4lab analyze chemotaxis`` (the kind is declared in
:mod:`cxcr4lab.runs.chemotaxis`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console

from cxcr4lab.commands._plate import print_plate

if TYPE_CHECKING:
    from cxcr4lab.assays.chemotaxis import ChemotaxisResult

__all__ = ["print_result"]


def print_result(console: Console, result: ChemotaxisResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    s = result.settings
    head = escape(
        f"Chemotaxis: {result.source} [{result.block}], {result.plate_wells}-well layout, "
        f"readout {s.readout}" + (f", {s.cell_line}" if s.cell_line else "")
    )
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{head}[/bold]{saved}")
    console.print(escape(f"Migration in {result.unit}"))
    if result.standard is not None:
        st = result.standard
        p = st.fit.params
        shape = (
            f"RFU = {p['intercept']:.4g} + {p['slope']:.4g} x cells"
            if st.model == "linear"
            else f"4PL, EC50 {p['ec50']:.4g} cells"
        )
        above = sum(m.above_standards for m in result.migration)
        console.print(
            escape(
                f"Standard curve ({len(st.wells)} wells, {len(set(st.cells))} levels up to "
                f"{st.cells_max:g} cells): {shape}, R² = {st.r_squared:.4f}"
                + (
                    f"; {above} insert(s) above the highest standard (extrapolated)"
                    if above
                    else ""
                )
            )
        )
    if result.blank_mean is not None:
        console.print(escape(f"Blank (no cells): mean {result.blank_mean:.4g}, subtracted"))
    if result.counts:
        fields = sorted({c.fields for c in result.counts})
        console.print(
            escape(
                f"Counts: {len(result.counts)} inserts, "
                f"{'/'.join(str(f) for f in fields)} field(s) each"
            )
        )
    i = result.index
    if i.value is not None:
        ci = "" if i.lower is None or i.upper is None else f" (95% CI {i.lower:.2f}-{i.upper:.2f})"
        console.print(
            f"Chemotactic index (CXCL12 + vehicle / no CXCL12): {i.value:.2f}{escape(ci)}"
        )
    summary = result.summary()
    left = {
        str(r["compound"]): "n/a" if r["index_at_top"] is None else f"{r['index_at_top']:.2f}"
        for r in summary.to_dict("records")
    }
    print_plate(
        console,
        result.analysis,
        extra=[
            ("max inh. %", {c.compound: f"{c.max_inhibition_pct:.0f}" for c in result.curves}),
            ("index at top", left),
        ],
    )
