"""Terminal view of ``cxcr4lab analyze viability`` (the kind is declared in
:mod:`cxcr4lab.runs.viability`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console

from cxcr4lab.commands._plate import print_plate

if TYPE_CHECKING:
    from cxcr4lab.assays.viability import ViabilityResult

__all__ = ["print_result"]


def print_result(console: Console, result: ViabilityResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    s = result.settings
    about = ", ".join(
        x for x in (s.cell_line, "" if s.exposure_h is None else f"{s.exposure_h:g} h") if x
    )
    head = escape(
        f"MTT viability: {result.plate} [{result.block}], {result.plate_wells}-well plate"
        + (f" ({about})" if about else "")
    )
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{head}[/bold]{saved}")
    console.print(
        "% viability = 100 (A - blank) / (vehicle - blank); IC50 = 4PL midpoint, "
        "GI50 = 50% of the vehicle on the fitted curve"
    )
    gi50 = {g.compound: g.display() for g in result.gi50}
    print_plate(
        console,
        result.analysis,
        extra=[
            ("GI50 (nM)", {c: v[0] for c, v in gi50.items()}),
            ("95% CI (nM)", {c: v[1] for c, v in gi50.items()}),
            (
                "max effect % (fit/obs)",
                {
                    g.compound: f"{g.max_effect_fitted_pct:.0f}/{g.max_effect_observed_pct:.0f}"
                    for g in result.gi50
                },
            ),
        ],
    )
