"""``cxcr4lab analyze chemotaxis``: Transwell/Boyden migration -> chemotactic index, IC50."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from cxcr4lab.commands import DossierRun
from cxcr4lab.commands._finish import finish
from cxcr4lab.commands._plate import (
    AgonistConcOption,
    BlockOption,
    LayoutOption,
    SaturationOption,
    agonist_molar,
    named,
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
    from cxcr4lab.assays.chemotaxis import ChemotaxisResult, ChemotaxisSettings
    from cxcr4lab.store import InputBlob

__all__ = [
    "EXAMPLES",
    "EXAMPLE_AGONIST",
    "analyse_files",
    "analyze_chemotaxis",
    "dossier_runs",
    "print_result",
    "register",
]

RunOutput = tuple[Any, Sequence[Any], dict[str, Any]]

EXAMPLES = (
    (
        "calcein_jurkat.csv",
        "layout96_calcein.toml",
        "fluorescence",
        "Jurkat",
        "Chemotaxis, Jurkat, Calcein-AM with a cell standard curve (simulated)",
    ),
    (
        "crystal_violet_mda231.csv",
        "layout96_crystal_violet.toml",
        "absorbance",
        "MDA-MB-231",
        "Chemotaxis, MDA-MB-231, crystal violet absorbance (simulated)",
    ),
    (
        "counts_mda231.csv",
        "layout96.toml",
        "counts",
        "MDA-MB-231",
        "Chemotaxis, MDA-MB-231, microscope counts in 5 fields per insert (simulated)",
    ),
)
EXAMPLE_AGONIST = "100ng/mL"


def register(analyze_app: typer.Typer) -> None:
    analyze_app.command("chemotaxis")(analyze_chemotaxis)


def analyse_files(
    data: Path | tuple[str, bytes],
    layout: Path | tuple[str, bytes],
    settings: ChemotaxisSettings,
    *,
    block: str | None = None,
) -> tuple[ChemotaxisResult, tuple[InputBlob, ...]]:
    """Read and analyse a chemotaxis experiment: a plate reading (absorbance, fluorescence) or
    a counts table (paths or (name, bytes) pairs)."""
    from cxcr4lab.assays.chemotaxis import analyse_counts, analyse_plate
    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.store import InputBlob

    lay, layout_blob = read_layout_input(layout)
    if settings.readout == "counts":
        name, content = named(data, "DATA")
        result = analyse_counts(read_table_bytes(content, name), lay, settings)
        return result, (InputBlob(name, "counts", content), layout_blob)
    plate, plate_blob = read_plate_input(data, block, "DATA")
    return analyse_plate(plate, lay, settings), (plate_blob, layout_blob)


def analyze_chemotaxis(
    data: Annotated[
        Path,
        typer.Argument(
            help="Plate export (absorbance, fluorescence) or, for counts, a table with columns "
            "well, field, count."
        ),
    ],
    layout: LayoutOption,
    readout: Annotated[
        str,
        typer.Option(
            "--readout",
            help="counts (fields per insert), absorbance (crystal violet, needs blank wells) or "
            "fluorescence (Calcein-AM, needs standard wells with 'cells').",
        ),
    ],
    standard_model: Annotated[
        str,
        typer.Option("--standard-model", help="Fluorescence standard curve: linear or 4pl."),
    ] = "linear",
    agonist_conc: AgonistConcOption = None,
    cell_line: Annotated[str, typer.Option("--cell-line", help="Cell line, e.g. Jurkat.")] = "",
    saturation: SaturationOption = None,
    block: BlockOption = None,
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """Chemotaxis: migrated cells, chemotactic index, % inhibition of CXCL12-induced
    migration, IC50 with 95% CI."""
    from cxcr4lab.assays.chemotaxis import ChemotaxisSettings
    from cxcr4lab.assays.inhibition import PlateSettings

    settings = ChemotaxisSettings(
        plate=PlateSettings(
            agonist_molar=agonist_molar(agonist_conc, "--agonist-conc"), saturation=saturation
        ),
        readout=readout,  # type: ignore[arg-type]  # checked by ChemotaxisSettings
        standard_model=standard_model,  # type: ignore[arg-type]
        cell_line=cell_line,
    )
    result, inputs = analyse_files(data, layout, settings, block=block)
    finish(
        result,
        inputs,
        _parameters(result),
        title=title or f"Chemotaxis {result.source}",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_result,
        project=project,
    )


def _parameters(result: ChemotaxisResult) -> dict[str, Any]:
    s = result.settings
    return {
        "readout": s.readout,
        "standard_model": s.standard_model,
        "agonist_molar": s.plate.agonist_molar,
        "cell_line": s.cell_line,
        "block": result.block,
    }


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


def dossier_runs() -> list[DossierRun]:
    from cxcr4lab.assays.chemotaxis import ChemotaxisSettings
    from cxcr4lab.assays.inhibition import PlateSettings
    from cxcr4lab.workflows import example_bytes

    def make(data: str, layout: str, readout: str, cell_line: str) -> Callable[[], RunOutput]:
        def run() -> RunOutput:
            settings = ChemotaxisSettings(
                plate=PlateSettings(agonist_molar=agonist_molar(EXAMPLE_AGONIST, "agonist")),
                readout=readout,  # type: ignore[arg-type]
                cell_line=cell_line,
            )
            result, inputs = analyse_files(
                example_bytes("chemotaxis", data), example_bytes("chemotaxis", layout), settings
            )
            return result, inputs, _parameters(result)

        return run

    notes = {
        "fluorescence": "Jurkat Calcein-AM chemotaxis: SIMULATED from a stated truth (RFU = 150 "
        "+ 2.0 per cell; basal 3,000 migrated cells, CXCL12 100 ng/mL adds 12,000, chemotactic "
        "index 5.0; IC50 balixafortide 3.0 nM, plerixafor 100 nM, Hill 1).",
        "absorbance": "MDA-MB-231 crystal-violet chemotaxis: SIMULATED from a stated truth "
        "(A570 = 0.08 + 8e-5 per cell; basal 2,500 cells, CXCL12 adds 10,000, index 5.0; IC50 "
        "balixafortide 8.0 nM, plerixafor 100 nM, Hill 1).",
        "counts": "MDA-MB-231 chemotaxis counted in 5 fields per insert: SIMULATED from the same "
        "truth as the crystal-violet plate (a field holds 1/100 of the membrane, Poisson counts).",
    }
    return [
        DossierRun(title, make(data, layout, readout, cell), (notes[readout],))
        for data, layout, readout, cell, title in EXAMPLES
    ]
