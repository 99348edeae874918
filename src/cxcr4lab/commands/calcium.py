"""The terminal view of a stored calcium result (calcium flux from kinetic exports (FLIPR, FlexStation)); the kind is
``runs/calcium.py``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console

from cxcr4lab.commands._plate import (
    print_plate,
)

if TYPE_CHECKING:
    from cxcr4lab.assays.calcium import CalciumResult

__all__ = ["print_result"]

RunOutput = tuple[Any, Sequence[Any], dict[str, Any]]

EXAMPLE_INJECTION_S = 20.0


def print_result(console: Console, result: CalciumResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    s = result.settings
    head = escape(
        f"Calcium flux: {result.plate}, {result.plate_wells}-well plate, "
        f"{len(result.times_s)} time points; response = "
        + ("peak dF/F0" if s.readout == "peak" else "AUC of dF/F0")
        + f" after the injection at {s.injection_s:g} s"
    )
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{head}[/bold]{saved}")
    roles = {w.well: w.role for w in result.analysis.wells if w.excluded is None}
    high = [k for k in result.kinetics if roles.get(k.well) in result.analysis.roles.high]
    if high:
        peak = sum(k.peak_dff0 for k in high) / len(high)
        console.print(f"CXCL12-only wells: mean peak dF/F0 {peak:.2f}")
    print_plate(console, result.analysis)
