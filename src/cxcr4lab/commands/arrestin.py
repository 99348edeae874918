"""``cxcr4lab analyze arrestin``: beta-arrestin recruitment (EFC luminescence)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from cxcr4lab.commands import DossierRun
from cxcr4lab.commands._plate import (
    agonist_molar,
    print_plate,
    read_layout_input,
    read_plate_input,
)

if TYPE_CHECKING:
    from cxcr4lab.assays.arrestin import ArrestinResult
    from cxcr4lab.assays.inhibition import PlateSettings
    from cxcr4lab.store import InputBlob

__all__ = [
    "EXAMPLES",
    "analyse_files",
    "dossier_runs",
    "print_result",
]

RunOutput = tuple[Any, Sequence[Any], dict[str, Any]]

EXAMPLES = (
    ("plate96_run1.csv", "Beta-arrestin, 96-well plate-grid CSV, run 1 (simulated)"),
    (
        "plate96_run2_long.csv",
        "Beta-arrestin, 96-well long CSV, run 2 with edge effect (simulated)",
    ),
)
EXAMPLE_AGONIST = "200ng/mL"


def analyse_files(
    plate: Path | tuple[str, bytes],
    layout: Path | tuple[str, bytes],
    settings: PlateSettings,
    *,
    block: str | None = None,
) -> tuple[ArrestinResult, tuple[InputBlob, ...]]:
    """Read and analyse a beta-arrestin plate (paths or (name, bytes) pairs)."""
    from cxcr4lab.assays.arrestin import analyse

    data, plate_blob = read_plate_input(plate, block)
    lay, layout_blob = read_layout_input(layout)
    return analyse(data, lay, settings), (plate_blob, layout_blob)


def _parameters(result: ArrestinResult) -> dict[str, Any]:
    s = result.settings
    return {
        "agonist_molar": s.agonist_molar,
        "agonist_ec50_molar": s.agonist_ec50_molar,
        "agonist_hill": s.agonist_hill,
        "block": result.block,
    }


def print_result(console: Console, result: ArrestinResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    head = escape(
        f"Beta-arrestin: {result.plate} [{result.block}], {result.plate_wells}-well plate"
    )
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{head}[/bold]{saved}")
    print_plate(console, result.analysis)


def dossier_runs() -> list[DossierRun]:
    from cxcr4lab.assays.inhibition import PlateSettings
    from cxcr4lab.workflows import example_bytes

    def make(plate: str) -> Callable[[], RunOutput]:
        def run() -> RunOutput:
            settings = PlateSettings(agonist_molar=agonist_molar(EXAMPLE_AGONIST, "agonist"))
            result, inputs = analyse_files(
                example_bytes("arrestin", plate),
                example_bytes("arrestin", "layout96.toml"),
                settings,
            )
            return result, inputs, _parameters(result)

        return run

    note = (
        "Beta-arrestin plates: SIMULATED from a stated truth (CXCL12 EC50 50 ng/mL, Hill 1, "
        "added at 200 ng/mL = EC80; Kb balixafortide 1.0 nM (IC50 5 nM), plerixafor 40 nM "
        "(IC50 200 nM); run 2 has its outer ring 20% low)."
    )
    return [DossierRun(title, make(plate), (note,)) for plate, title in EXAMPLES]
