"""``cxcr4lab analyze ihc``: IHC H-scores per patient, high/low by a stated cut-off."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cxcr4lab.commands import DossierRun
from cxcr4lab.commands._finish import finish
from cxcr4lab.commands._shared import (
    DatabaseOption,
    JsonOption,
    ProjectOption,
    SaveOption,
    TitleOption,
)

if TYPE_CHECKING:
    from cxcr4lab.assays.ihc import IhcResult, IhcSettings

__all__ = ["analyse_ihc_bytes", "dossier_runs", "print_result", "register"]

RunOutput = tuple[Any, Sequence[Any], dict[str, Any]]
EXAMPLE_CUTOFF = 200.0


def register(analyze_app: typer.Typer) -> None:
    analyze_app.command("ihc")(analyze_ihc)


def analyse_ihc_bytes(name: str, content: bytes, settings: IhcSettings) -> IhcResult:
    from cxcr4lab.assays.ihc import analyse
    from cxcr4lab.assays.tabular import read_table_bytes

    return analyse(read_table_bytes(content, name), settings)


def analyze_ihc(
    scores: Annotated[
        Path,
        typer.Argument(
            help="CSV/xlsx: patient + pct_1, pct_2, pct_3 (pct_0 optional), or patient + "
            "intensity per cell (0, 1+, 2+, 3+)."
        ),
    ],
    cutoff: Annotated[
        float, typer.Option("--cutoff", help="H-score cut-off; high means H-score > cut-off.")
    ],
    marker: Annotated[str, typer.Option("--marker", help="Stained marker.")] = "CXCR4",
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """IHC H-score (1 x %1+ + 2 x %2+ + 3 x %3+, 0-300) per patient, high/low by a cut-off."""
    from cxcr4lab.assays.ihc import IhcSettings
    from cxcr4lab.workflows import read_input

    content = read_input(scores, "SCORES")
    result = analyse_ihc_bytes(scores.name, content, IhcSettings(cutoff=cutoff, marker=marker))
    finish(
        result,
        [(scores.name, "scores", content)],
        {"cutoff": cutoff, "marker": marker},
        title=title or f"IHC {marker} H-score {scores.name}",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_result,
        project=project,
    )


def print_result(console: Console, result: IhcResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    s = result.settings
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(
        f"[bold]{escape(f'IHC {s.marker} H-score: {result.source}')}[/bold]{saved}\n"
        f"{len(result.patients)} patients ({result.input_format} input); high = H-score > "
        f"{s.cutoff:g}: {sum(p.high for p in result.patients)} "
        f"({100 * result.fraction_high:.0f}%)"
    )
    table = Table(title="Per patient (% of tumour cells)")
    for col in ("patient", "0", "1+", "2+", "3+", "H-score", "call", "regions", "cells"):
        table.add_column(col, justify="left" if col in ("patient", "call") else "right")
    for p in result.patients:
        table.add_row(
            p.patient,
            *(f"{v:.1f}" for v in (p.pct_0, p.pct_1, p.pct_2, p.pct_3)),
            f"{p.h_score:.1f}",
            "[bold]high[/bold]" if p.high else "low",
            str(p.n_regions),
            "-" if p.n_cells is None else str(p.n_cells),
        )
    console.print(table)


def dossier_runs() -> list[DossierRun]:
    from cxcr4lab.assays.ihc import IhcSettings
    from cxcr4lab.workflows import example_bytes

    def make(file: str) -> RunOutput:
        name, content = example_bytes("ihc", file)
        result = analyse_ihc_bytes(name, content, IhcSettings(cutoff=EXAMPLE_CUTOFF))
        return result, [_blob(name, content)], {"cutoff": EXAMPLE_CUTOFF, "marker": "CXCR4"}

    note = (
        "IHC scoring tables: SIMULATED (56 patients, true H-scores with 8 patients (14%) above "
        "the cut-off 200 and none within 180-210; pathologist percentages rounded to 5%)."
    )
    return [
        DossierRun(
            "CXCR4 IHC H-score, pathologist % per core (simulated)",
            lambda: make("scores_percent.csv"),
            (note,),
        ),
        DossierRun(
            "CXCR4 IHC H-score, per-cell image analysis (simulated)",
            lambda: make("cells_image_analysis.csv"),
            (note,),
        ),
    ]


def _blob(name: str, content: bytes) -> Any:
    from cxcr4lab.store import InputBlob

    return InputBlob(name, "scores", content)
