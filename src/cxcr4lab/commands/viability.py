"""``cxcr4lab analyze viability``: MTT viability (absorbance), IC50/GI50 and maximal effect."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from cxcr4lab.commands import DossierRun
from cxcr4lab.commands._finish import finish
from cxcr4lab.commands._plate import (
    BlockOption,
    LayoutOption,
    print_plate,
    read_layout_input,
    read_plate_input,
)
from cxcr4lab.commands._shared import (
    DatabaseOption,
    JsonOption,
    ProjectOption,
    SaveOption,
    TitleOption,
)

if TYPE_CHECKING:
    from cxcr4lab.assays.viability import ViabilityResult, ViabilitySettings
    from cxcr4lab.store import InputBlob

__all__ = [
    "EXAMPLE",
    "analyse_files",
    "analyze_viability",
    "dossier_runs",
    "print_result",
    "register",
]

RunOutput = tuple[Any, Sequence[Any], dict[str, Any]]

EXAMPLE = ("mtt_pc3_48h.csv", "MTT viability, PC-3 48 h, 96-well plate-grid CSV (simulated)")
EXAMPLE_SATURATION = 4.0


def register(analyze_app: typer.Typer) -> None:
    analyze_app.command("viability")(analyze_viability)


def analyse_files(
    plate: Path | tuple[str, bytes],
    layout: Path | tuple[str, bytes],
    settings: ViabilitySettings,
    *,
    block: str | None = None,
) -> tuple[ViabilityResult, tuple[InputBlob, ...]]:
    """Read and analyse an MTT plate (paths or (name, bytes) pairs)."""
    from cxcr4lab.assays.viability import analyse

    data, plate_blob = read_plate_input(plate, block)
    lay, layout_blob = read_layout_input(layout)
    return analyse(data, lay, settings), (plate_blob, layout_blob)


def analyze_viability(
    plate: Annotated[Path, typer.Argument(help="Absorbance export: plate-grid CSV, long or xlsx.")],
    layout: LayoutOption,
    saturation: Annotated[
        float,
        typer.Option(
            "--saturation", help="Reader ceiling (OD): absorbance at or above it is refused."
        ),
    ] = EXAMPLE_SATURATION,
    cell_line: Annotated[str, typer.Option("--cell-line", help="Cell line, e.g. PC-3.")] = "",
    hours: Annotated[
        float | None, typer.Option("--hours", help="Exposure time in h (24, 48, 72).")
    ] = None,
    tidy: Annotated[
        Path | None,
        typer.Option(
            "--tidy",
            help="Also write compound, concentration_M, viability_pct, replicate as CSV "
            "(input for combination analysis).",
        ),
    ] = None,
    block: BlockOption = None,
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """MTT viability: blank-subtracted % of vehicle, IC50 (4PL midpoint), GI50 (50% of
    vehicle), maximal effect, plate QC."""
    from cxcr4lab.assays.inhibition import PlateSettings
    from cxcr4lab.assays.viability import ViabilitySettings
    from cxcr4lab.commands._shared import write_atomic
    from cxcr4lab.core.export import safe_csv
    from cxcr4lab.core.files import check_output

    settings = ViabilitySettings(
        plate=PlateSettings(saturation=saturation), cell_line=cell_line, exposure_h=hours
    )
    if tidy is not None:
        check_output(tidy, field="--tidy")
    result, inputs = analyse_files(plate, layout, settings, block=block)
    if tidy is not None:
        write_atomic(tidy, safe_csv(result.combination_table()), field="--tidy")
    finish(
        result,
        inputs,
        _parameters(result),
        title=title or f"MTT viability {result.plate}",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_result,
        project=project,
    )


def _parameters(result: ViabilityResult) -> dict[str, Any]:
    s = result.settings
    return {
        "saturation": s.plate.saturation,
        "cell_line": s.cell_line,
        "exposure_h": s.exposure_h,
        "block": result.block,
    }


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


def dossier_runs() -> list[DossierRun]:
    from cxcr4lab.assays.inhibition import PlateSettings
    from cxcr4lab.assays.viability import ViabilitySettings
    from cxcr4lab.workflows import example_bytes

    def make(plate: str) -> Callable[[], RunOutput]:
        def run() -> RunOutput:
            settings = ViabilitySettings(
                plate=PlateSettings(saturation=EXAMPLE_SATURATION), cell_line="PC-3", exposure_h=48
            )
            result, inputs = analyse_files(
                example_bytes("viability", plate),
                example_bytes("viability", "layout96.toml"),
                settings,
            )
            return result, inputs, _parameters(result)

        return run

    note = (
        "MTT viability plate: SIMULATED from a stated truth (PC-3, 48 h; docetaxel IC50 "
        "(4PL midpoint) 3.72 nM as published for PC-3 at 48 h, Hill 1.2, bottom 15%, so GI50 "
        "5.01 nM and maximal effect 85%; balixafortide without effect on viability)."
    )
    return [DossierRun(EXAMPLE[1], make(EXAMPLE[0]), (note,))]
