"""``cxcr4lab analyze western``: pERK/pAKT densitometry -> IC50 per blot and combined."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cxcr4lab.commands import DossierRun
from cxcr4lab.commands._finish import finish
from cxcr4lab.commands._plate import AgonistConcOption, agonist_molar, named
from cxcr4lab.commands._shared import (
    DatabaseOption,
    JsonOption,
    ProjectOption,
    SaveOption,
    TitleOption,
)

if TYPE_CHECKING:
    from cxcr4lab.assays.western import WesternResult, WesternSettings

__all__ = [
    "EXAMPLE",
    "analyse_file",
    "analyze_western",
    "dossier_runs",
    "print_result",
    "register",
]

RunOutput = tuple[Any, Sequence[Any], dict[str, Any]]
EXAMPLE = ("namalwa_3blots.csv", "pERK/pAKT western blots, Namalwa, 3 blots (simulated)")
EXAMPLE_AGONIST = "100ng/mL"


def register(analyze_app: typer.Typer) -> None:
    analyze_app.command("western")(analyze_western)


def analyse_file(
    source: Path | tuple[str, bytes], settings: WesternSettings
) -> tuple[WesternResult, tuple[str, str, bytes]]:
    """Read and analyse a band table (path or (name, bytes)); returns the result and the input
    as (name, role, bytes)."""
    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.assays.western import analyse

    name, content = named(source, "BANDS")
    return analyse(read_table_bytes(content, name), settings), (name, "bands", content)


def analyze_western(
    bands: Annotated[
        Path,
        typer.Argument(
            help="CSV/xlsx, one row per band: blot, lane, target, intensity, compound, "
            "concentration (optional role, saturated)."
        ),
    ],
    normalise_to: Annotated[
        str,
        typer.Option(
            "--normalise-to", help="total (pERK/ERK) or loading (pERK/GAPDH, see --loading)."
        ),
    ] = "total",
    loading: Annotated[str, typer.Option("--loading", help="Loading control target.")] = "GAPDH",
    no_floor: Annotated[
        bool,
        typer.Option(
            "--no-floor", help="Do not subtract the unstimulated lane (% of vehicle instead)."
        ),
    ] = False,
    agonist_conc: AgonistConcOption = None,
    cell_line: Annotated[str, typer.Option("--cell-line", help="Cell line, e.g. Namalwa.")] = "",
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """Western densitometry: phospho/total (or /loading) relative to the CXCL12-stimulated
    vehicle lane, IC50 per blot and over all blots with a shared curve."""
    from cxcr4lab.assays.western import WesternSettings

    settings = WesternSettings(
        normalise_to=normalise_to,  # type: ignore[arg-type]  # checked by WesternSettings
        loading_control=loading,
        floor=not no_floor,
        agonist_molar=agonist_molar(agonist_conc, "--agonist-conc"),
        cell_line=cell_line,
    )
    result, blob = analyse_file(bands, settings)
    finish(
        result,
        [blob],
        _parameters(result),
        title=title or f"Western pERK/pAKT {result.source}",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_result,
        project=project,
    )


def _parameters(result: WesternResult) -> dict[str, Any]:
    s = result.settings
    return {
        "normalise_to": s.normalise_to,
        "loading_control": s.loading_control,
        "floor": s.floor,
        "agonist_molar": s.agonist_molar,
        "cell_line": s.cell_line,
    }


def _ci(lo: float | None, hi: float | None) -> str:
    if lo is None or hi is None:
        return "unbounded"
    return f"{lo / 1e-9:.3g} – {hi / 1e-9:.3g}"


def print_result(console: Console, result: WesternResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    s = result.settings
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    head = f"Western densitometry: {result.source}, {len(result.blots)} blot(s)" + (
        f", {s.cell_line}" if s.cell_line else ""
    )
    console.print(f"[bold]{escape(head)}[/bold]{saved}")
    norm = "total protein" if s.normalise_to == "total" else s.loading_control
    floor = (
        "100 (ratio - unstimulated) / (CXCL12 + vehicle - unstimulated)"
        if s.floor
        else "100 ratio / (CXCL12 + vehicle)"
    )
    console.print(escape(f"ratio = phospho / {norm}; response = {floor}, per blot"))
    table = Table(title="IC50 (4PL; 95% profile-likelihood CI); combined = shared IC50 and Hill")
    for col in ("target", "compound", "fit", "IC50 (nM)", "95% CI (nM)", "Hill", "n", "flags"):
        table.add_column(
            col, justify="left" if col in ("target", "compound", "fit", "flags") else "right"
        )
    for c in result.combined:
        for b in result.blot_curves:
            if (b.target, b.compound) != (c.target, c.compound):
                continue
            table.add_row(
                b.target,
                b.compound,
                f"blot {b.blot}",
                f"{b.ic50_molar / 1e-9:.3g}",
                _ci(b.ic50_lower_molar, b.ic50_upper_molar),
                f"{b.fit.params['hill']:.2f}",
                str(b.fit.n),
                ", ".join(b.flags) or "-",
            )
        table.add_row(
            f"[bold]{escape(c.target)}[/bold]",
            escape(c.compound),
            f"[bold]combined ({len(c.blots)} blots)[/bold]",
            f"[bold]{c.ic50_molar / 1e-9:.3g}[/bold]",
            _ci(c.ic50_lower_molar, c.ic50_upper_molar),
            f"{c.hill:.2f}",
            str(c.fit.n),
            ", ".join(c.flags) or "-",
        )
    console.print(table)
    for note in result.notes:
        console.print(escape(f"note: {note}"))


def dossier_runs() -> list[DossierRun]:
    from cxcr4lab.assays.western import WesternSettings
    from cxcr4lab.workflows import example_bytes

    def run() -> RunOutput:
        settings = WesternSettings(
            agonist_molar=agonist_molar(EXAMPLE_AGONIST, "agonist"), cell_line="Namalwa"
        )
        result, blob = analyse_file(example_bytes("western", EXAMPLE[0]), settings)
        from cxcr4lab.store import InputBlob

        return result, (InputBlob(*blob),), _parameters(result)

    note = (
        "pERK/pAKT western blots: SIMULATED from a stated truth (Namalwa, CXCL12 100 ng/mL; "
        "balixafortide IC50 pERK 80 nM, pAKT 150 nM, Hill 1, full inhibition to the unstimulated "
        "level; three blots with exposures 1.0, 0.55 and 1.6, loading +/- 12%)."
    )
    return [DossierRun(EXAMPLE[1], run, (note,))]
