"""``cxcr4lab analyze bioanalysis``: LC-MS/MS calibration, QCs and ICH M10 run acceptance."""

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
    from cxcr4lab.assays.bioanalysis import BioanalysisResult, BioanalysisSettings

__all__ = ["analyse_bioanalysis_bytes", "dossier_runs", "print_result", "register"]

RunOutput = tuple[Any, Sequence[Any], dict[str, Any]]


def register(analyze_app: typer.Typer) -> None:
    analyze_app.command("bioanalysis")(analyze_bioanalysis)


def analyse_bioanalysis_bytes(
    name: str, content: bytes, settings: BioanalysisSettings
) -> BioanalysisResult:
    from cxcr4lab.assays.bioanalysis import analyse
    from cxcr4lab.assays.tabular import read_table_bytes

    return analyse(read_table_bytes(content, name), settings)


def analyze_bioanalysis(
    run: Annotated[
        Path,
        typer.Argument(
            help="Run table: sample_id, type (blank/zero/calibrator/qc/unknown), nominal, "
            "analyte_area, is_area; optional dilution, subject, time_h."
        ),
    ],
    regression: Annotated[
        str, typer.Option("--regression", help="linear or quadratic.")
    ] = "linear",
    weighting: Annotated[str, typer.Option("--weighting", help="1/x^2, 1/x or none.")] = "1/x^2",
    analyte: Annotated[
        str, typer.Option("--analyte", help="Registry compound (its MW gives nM).")
    ] = "balixafortide",
    unit: Annotated[str, typer.Option("--unit", help="Unit of 'nominal': ng/mL, pg/mL.")] = "ng/mL",
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """LC-MS/MS: weighted calibration, back-calculated accuracy, ICH M10 run acceptance, ng/mL and nM."""
    from cxcr4lab.assays.bioanalysis import BioanalysisSettings
    from cxcr4lab.workflows import compound_mw, read_input

    settings = BioanalysisSettings(
        regression=regression,  # type: ignore[arg-type]
        weighting=weighting,  # type: ignore[arg-type]
        analyte=analyte,
        unit=unit,
        mw_g_per_mol=compound_mw(analyte),
    )
    content = read_input(run, "RUN")
    result = analyse_bioanalysis_bytes(run.name, content, settings)
    finish(
        result,
        [(run.name, "run", content)],
        {"regression": regression, "weighting": weighting, "analyte": analyte, "unit": unit},
        title=title or f"LC-MS/MS {analyte} {run.name}",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_result,
        project=project,
    )


def print_result(console: Console, result: BioanalysisResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    s = result.settings
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{escape(f'LC-MS/MS {s.analyte}: {result.run}')}[/bold]{saved}")
    rng = "none" if result.lloq is None else f"{result.lloq:g}-{result.uloq:g} {s.unit}"
    console.print(
        f"Calibration: {s.regression}, weighting {s.weighting}; range {escape(rng)}"
        + ("" if s.mw_g_per_mol is None else f"; MW {s.mw_g_per_mol:g} g/mol")
    )
    if result.passed:
        console.print("Run acceptance (ICH M10): [green]pass[/green]")
    else:
        console.print("Run acceptance (ICH M10): [red]fail[/red]")
        for reason in result.reasons:
            console.print(f"  - {escape(reason)}")
    acc = Table(title="Calibrators and QCs")
    for col in ("sample", "type", f"nominal ({s.unit})", "back-calc.", "accuracy %", "verdict"):
        acc.add_column(col, justify="left" if col in ("sample", "type", "verdict") else "right")
    for i in result.injections:
        if i.type not in ("calibrator", "qc"):
            continue
        acc.add_row(
            escape(i.sample_id),
            i.type,
            f"{i.nominal:g}",
            "n/a" if i.back_calculated is None else f"{i.back_calculated:.4g}",
            "n/a" if i.accuracy_pct is None else f"{i.accuracy_pct:.1f}",
            "pass" if i.passed else "[red]fail[/red]" + ("" if i.used_in_fit else " (rejected)"),
        )
    console.print(acc)
    unk = Table(title=f"Unknowns ({s.unit}; nM from the MW)")
    for col in ("sample", "subject", "time (h)", "dilution", f"conc ({s.unit})", "conc (nM)"):
        unk.add_column(col, justify="left" if col in ("sample", "subject") else "right")
    for i in result.of_type("unknown"):
        prefix = "" if i.bound == "=" else f"{i.bound} "
        unk.add_row(
            escape(i.sample_id),
            escape(i.subject or ""),
            "" if i.time_h is None else f"{i.time_h:g}",
            f"{i.dilution:g}",
            "n/a" if i.concentration is None else f"{prefix}{i.concentration:.4g}",
            "n/a" if i.concentration_nm is None else f"{prefix}{i.concentration_nm:.4g}",
        )
    console.print(unk)


def dossier_runs() -> list[DossierRun]:
    from cxcr4lab.assays.bioanalysis import BioanalysisSettings
    from cxcr4lab.store import InputBlob
    from cxcr4lab.workflows import compound_mw, example_bytes

    def make(file: str) -> RunOutput:
        name, content = example_bytes("bioanalysis", file)
        settings = BioanalysisSettings(mw_g_per_mol=compound_mw("balixafortide"))
        result = analyse_bioanalysis_bytes(name, content, settings)
        parameters = {"regression": "linear", "weighting": "1/x^2", "analyte": "balixafortide"}
        return result, [InputBlob(name, "run", content)], parameters

    note = (
        "LC-MS/MS runs: SIMULATED (balixafortide 5.5 mg/kg as a 2 h IV infusion, assumed "
        "two-compartment PK with terminal half-life ~9 h; run 2 has faults put in on purpose "
        "and must fail ICH M10 acceptance)."
    )
    return [
        DossierRun(
            "LC-MS/MS balixafortide in plasma, run 1 (simulated)", lambda: make("run1.csv"), (note,)
        ),
        DossierRun(
            "LC-MS/MS balixafortide in plasma, run 2 with faults (simulated)",
            lambda: make("run2_failed.csv"),
            (note,),
        ),
    ]
