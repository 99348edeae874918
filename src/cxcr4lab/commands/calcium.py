"""``cxcr4lab analyze calcium``: calcium flux from kinetic exports (FLIPR, FlexStation)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from cxcr4lab.commands import DossierRun
from cxcr4lab.commands._plate import (
    agonist_molar,
    named,
    print_plate,
    read_layout_input,
)

if TYPE_CHECKING:
    from cxcr4lab.assays.calcium import CalciumResult, CalciumSettings
    from cxcr4lab.store import InputBlob

__all__ = [
    "EXAMPLES",
    "analyse_files",
    "dossier_runs",
    "print_result",
]

RunOutput = tuple[Any, Sequence[Any], dict[str, Any]]

EXAMPLES = (
    ("flipr_run1.csv", "Calcium flux, FLIPR time x well export, run 1 (simulated)"),
    ("flexstation_run2.csv", "Calcium flux, well x time export, run 2 (simulated)"),
)
EXAMPLE_AGONIST = "60ng/mL"
EXAMPLE_INJECTION_S = 20.0


def analyse_files(
    kinetic: Path | tuple[str, bytes],
    layout: Path | tuple[str, bytes],
    settings: CalciumSettings,
) -> tuple[CalciumResult, tuple[InputBlob, ...]]:
    """Read and analyse a kinetic calcium plate (paths or (name, bytes) pairs)."""
    from cxcr4lab.assays.calcium import analyse
    from cxcr4lab.assays.kinetic import read_kinetic_bytes
    from cxcr4lab.store import InputBlob

    name, content = named(kinetic, "KINETIC")
    data = read_kinetic_bytes(content, name)
    lay, layout_blob = read_layout_input(layout)
    return analyse(data, lay, settings), (InputBlob(name, "kinetic", content), layout_blob)


def _parameters(result: CalciumResult) -> dict[str, Any]:
    s = result.settings
    return {
        "agonist_molar": s.plate.agonist_molar,
        "agonist_ec50_molar": s.plate.agonist_ec50_molar,
        "injection_s": s.injection_s,
        "readout": s.readout,
        "window_s": s.window_s,
    }


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


def dossier_runs() -> list[DossierRun]:
    from cxcr4lab.assays.calcium import CalciumSettings
    from cxcr4lab.assays.inhibition import PlateSettings
    from cxcr4lab.workflows import example_bytes

    def make(name: str) -> Callable[[], RunOutput]:
        def run() -> RunOutput:
            settings = CalciumSettings(
                plate=PlateSettings(agonist_molar=agonist_molar(EXAMPLE_AGONIST, "agonist")),
                injection_s=EXAMPLE_INJECTION_S,
            )
            result, inputs = analyse_files(
                example_bytes("calcium", name), example_bytes("calcium", "layout96.toml"), settings
            )
            return result, inputs, _parameters(result)

        return run

    note = (
        "Calcium-flux plates: SIMULATED from a stated truth (Fluo-4 traces, injection at 20 s; "
        "CXCL12 EC50 3 nM, Hill 1.5, added at 60 ng/mL; Kb balixafortide 0.8 nM (IC50 1.83 nM), "
        "plerixafor 30 nM (IC50 68.8 nM))."
    )
    return [DossierRun(title, make(name), (note,)) for name, title in EXAMPLES]
