"""The terminal view of a stored arrestin result (beta-arrestin recruitment (EFC luminescence)); the kind is
``runs/arrestin.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console

from cxcr4lab.commands._plate import (
    print_plate,
)

if TYPE_CHECKING:
    from cxcr4lab.assays.arrestin import ArrestinResult

__all__ = ["print_result"]


def print_result(console: Console, result: ArrestinResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    head = escape(
        f"Beta-arrestin: {result.plate} [{result.block}], {result.plate_wells}-well plate"
    )
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{head}[/bold]{saved}")
    print_plate(console, result.analysis)
