"""The command line (typer + rich): ``cxcr4lab --help``.

Heavy libraries (pandas, scipy, matplotlib, SQLAlchemy, RDKit) are imported inside the commands
that use them, so ``cxcr4lab --help`` answers at once. An error the user can fix prints one line
naming the place and exits with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cxcr4lab.commands._shared import (
    DatabaseOption,
    FormatOption,
    emit_frame,
    out_console,
    output_format,
    safe_url,
)
from cxcr4lab.core.errors import Cxcr4labError

if TYPE_CHECKING:
    from cxcr4lab.store import Store

__all__ = ["app", "main"]

app = typer.Typer(
    name="cxcr4lab",
    help="Quantitative pharmacology of CXCR4 antagonists, from assay plate to patient.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
analyze_app = typer.Typer(
    help="Analyse an assay export and store the result.", no_args_is_help=True
)
results_app = typer.Typer(help="Stored analyses.", no_args_is_help=True)
compound_app = typer.Typer(
    help="Compound registry, stock solutions and dilution series.", no_args_is_help=True
)
app.add_typer(analyze_app, name="analyze")
app.add_typer(results_app, name="results")
app.add_typer(compound_app, name="compound")

console = out_console()


GROUP_HELP = {
    "simulate": "Simulate regimens (any compound, or balixafortide + eribulin in virtual "
    "patients), receptor occupancy and CD34+ mobilization (SIMULATED); export SBML.",
    "receptor": "The mechanistic CXCL12/CXCR4 model: calibration, Schild, virtual plates "
    "(SIMULATED).",
    "trial": "Clinical trial simulation (SIMULATED data).",
}
"""Help of the command groups other than ``analyze`` (made on first use)."""

_groups: dict[str, typer.Typer] = {"": app, "analyze": analyze_app}


def group(name: str) -> typer.Typer:
    """The command group ``name`` (``""``: the top level), made on first use."""
    if name not in _groups:
        _groups[name] = typer.Typer(help=GROUP_HELP.get(name), no_args_is_help=True)
        app.add_typer(_groups[name], name=name)
    return _groups[name]


def _register_commands() -> None:
    """Every kind of :data:`cxcr4lab.runs.KINDS` at its command path (and aliases), then the
    commands that are not analyses."""
    import importlib

    from cxcr4lab.commands import COMMAND_MODULES
    from cxcr4lab.commands._runs import kind_command
    from cxcr4lab.runs import KINDS

    for kind in KINDS.values():
        command = kind_command(kind)
        for path in (kind.command, *kind.aliases):
            group(".".join(path[:-1])).command(path[-1])(command)
    for name in COMMAND_MODULES:
        importlib.import_module(f"cxcr4lab.commands.{name}").register_in(group)


_register_commands()
_state: dict[str, Any] = {"debug": False, "database": None}


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug


def _store(url: str | None) -> Store:
    from cxcr4lab.store import Store

    return Store(url)


# --- stored results ---------------------------------------------------------------------------------


@results_app.command("list")
def results_list(
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only this kind, e.g. binding.")
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", help="Text in the title or input names.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
    fmt: FormatOption = "table",
    database: DatabaseOption = None,
) -> None:
    """List stored analyses, newest first."""
    import pandas as pd

    fmt = output_format(fmt)
    with _store(database) as store:
        rows = store.list(kind=kind, search=search, limit=limit)
    if not rows and fmt == "table":
        console.print(
            "No stored analyses. Run `cxcr4lab dossier` or `cxcr4lab analyze binding ...`."
        )
        return
    frame = pd.DataFrame(
        [
            {
                "id": r.id,
                "kind": r.kind,
                "title": r.title,
                "created (UTC)": r.created_at.strftime("%Y-%m-%d %H:%M"),
                "inputs": ", ".join(r.input_names),
            }
            for r in rows
        ],
        columns=["id", "kind", "title", "created (UTC)", "inputs"],
    )
    emit_frame(frame, fmt, title=f"Stored analyses ({len(rows)})")


@results_app.command("show")
def results_show(
    analysis_id: Annotated[int, typer.Argument(help="Analysis id (see `results list`).")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the stored result as JSON (--format json).")
    ] = False,
    fmt: FormatOption = "table",
    database: DatabaseOption = None,
) -> None:
    """Show one stored analysis."""
    from cxcr4lab.workflows import load_analysis

    fmt = output_format(fmt, as_json)
    with _store(database) as store:
        record = store.get(analysis_id)
        saved = load_analysis(store, analysis_id)
    from rich.markup import escape

    for flag in record.parameters.get("aliquot_flags") or ():  # as `_finish` prints on saving
        Console(stderr=True, soft_wrap=True).print(
            f"[yellow]caution:[/yellow] {escape(str(flag))}", highlight=False
        )
    if fmt == "csv":
        emit_frame(saved.result.summary(), "csv")
        return
    if fmt == "json":
        sys.stdout.write(
            json.dumps({"id": record.id, "title": record.title, **record.result}, indent=2) + "\n"
        )
        return

    console.print(
        f"[bold]#{record.id} {escape(record.title)}[/bold]  ({record.kind}, {record.created_at:%Y-%m-%d %H:%M} UTC)"
    )
    for ref in record.inputs:
        console.print(
            f"  {ref.role}: {ref.name}  sha256 {ref.sha256[:16]}…  {ref.size_bytes} bytes"
        )
    _print_result(saved.result, None)


@app.command("report")
def report(
    analysis_id: Annotated[int, typer.Argument(help="Analysis id (see `results list`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "cxcr4lab-report"
    ),
    database: DatabaseOption = None,
) -> None:
    """Write a self-contained HTML report of one stored analysis."""
    from cxcr4lab.core.files import check_output
    from cxcr4lab.report import render_report, write_report
    from cxcr4lab.report.html import record_provenance
    from cxcr4lab.workflows import load_analysis

    check_output(out, field="--out", folder=True)
    with _store(database) as store:
        saved = load_analysis(store, analysis_id)
        record = store.get(analysis_id, with_result=False)
        url = store.url
    html = render_report(
        [(saved.id, saved.title, saved.result)],
        title=f"cxcr4lab: {saved.title}",
        database=safe_url(url),
        provenance=[record_provenance(record)],
    )
    path = write_report(out / f"analysis-{saved.id}.html", html)
    console.print(f"Report written to {path}")


def _print_result(result: Any, analysis_id: int | None) -> None:
    """The terminal view of the kind that made ``result``."""
    from cxcr4lab.runs import KINDS

    KINDS[str(result.kind)].terminal_view()(console, result, analysis_id)


# --- compounds --------------------------------------------------------------------------------------


@compound_app.command("show")
def compound_show(
    name: Annotated[str, typer.Argument(help="Name or synonym, e.g. balixafortide or POL6326.")],
    fmt: FormatOption = "table",
) -> None:
    """Identity, properties, solubility and storage of a compound, with an RDKit identity check."""
    from cxcr4lab.compounds import check_identity, load_registry

    fmt = output_format(fmt)
    compound = load_registry().get(name)
    if fmt != "table":
        emit_frame(compound.summary(), fmt)
        return
    table = Table(title=compound.name, show_header=True)
    table.add_column("field")
    table.add_column("value", overflow="fold")
    table.add_column("unit")
    for row in compound.summary().itertuples():
        table.add_row(str(row.field), str(row.value), str(row.unit))
    console.print(table)
    check = check_identity(compound)
    if check.structure_checked:
        verdict = "[green]ok[/green]" if check.ok else "[red]mismatch[/red]"
        console.print(
            f"RDKit identity check {verdict}: {check.formula}, {check.molecular_weight_g_per_mol:.2f} g/mol, "
            f"InChIKey {check.inchikey}"
        )
    for problem in check.problems:
        console.print(f"  - {problem}")


@compound_app.command("list")
def compound_list(fmt: FormatOption = "table") -> None:
    """Every compound in the registry."""
    import pandas as pd

    from cxcr4lab.compounds import load_registry

    frame = pd.DataFrame(
        [
            {
                "name": c.name,
                "synonyms": ", ".join(c.synonyms),
                "MW (g/mol)": c.molecular_weight_g_per_mol,
                "kind": c.kind,
            }
            for c in load_registry()
        ]
    )
    emit_frame(frame, output_format(fmt), title="Compound registry")


@compound_app.command("stock")
def compound_stock(
    name: Annotated[str, typer.Argument(help="Compound name or synonym.")],
    concentration: Annotated[
        str | None, typer.Option("--conc", help="Stock concentration, e.g. 10mM.")
    ] = None,
    mass: Annotated[str | None, typer.Option("--mass", help="Mass weighed, e.g. 5mg.")] = None,
    volume: Annotated[
        str | None, typer.Option("--volume", help="Solvent volume, e.g. 500uL.")
    ] = None,
    solvent: Annotated[str, typer.Option("--solvent")] = "DMSO",
) -> None:
    """Stock solution: give two of concentration, mass and volume; the third is computed."""
    from cxcr4lab.compounds import load_registry, stock_solution

    compound = load_registry().get(name)
    if compound.molecular_weight_g_per_mol is None:
        raise typer.BadParameter(f"{compound.name} has no molecular weight in the registry")
    stock = stock_solution(
        mw_g_per_mol=compound.molecular_weight_g_per_mol,
        concentration=concentration,
        mass=mass,
        volume=volume,
        solvent=solvent,
    )
    console.print(
        f"[bold]{compound.name}[/bold] ({compound.molecular_weight_g_per_mol:.2f} g/mol): {stock.describe()}"
    )


@compound_app.command("dilute")
def compound_dilute(
    top: Annotated[str, typer.Option("--top", help="Top concentration, e.g. 1uM.")],
    points: Annotated[int, typer.Option("--points")] = 10,
    factor: Annotated[
        str, typer.Option("--factor", help="half-log, 3-fold, or a number.")
    ] = "half-log",
    well_volume: Annotated[str, typer.Option("--well-volume")] = "100 µL",
    stock: Annotated[
        str | None, typer.Option("--stock", help="Stock concentration, e.g. 10mM.")
    ] = None,
    fmt: FormatOption = "table",
) -> None:
    """A serial dilution series with the volumes to pipette (cautions go to stderr)."""
    from cxcr4lab.compounds import dilution_series

    fmt = output_format(fmt)
    series = dilution_series(
        top=top, points=points, factor=factor, well_volume=well_volume, stock=stock
    )
    title = f"{points}-point serial dilution, factor {series.factor:.4g}"
    emit_frame(series.summary(), fmt, title=title)
    warn = Console(stderr=True)
    for caution in series.cautions:
        warn.print(f"[yellow]caution:[/yellow] {caution}")


def main() -> None:
    """Entry point: run the app, turning cxcr4lab errors into one clear line (exit status 2)."""
    debug = "--debug" in sys.argv[1:] or os.environ.get("CXCR4LAB_DEBUG") == "1"
    try:
        app()
    except Cxcr4labError as exc:
        if debug:
            raise
        Console(stderr=True, soft_wrap=True).print(Text.assemble(("error: ", "bold red"), str(exc)))
        raise SystemExit(2) from None
    except OSError as exc:  # last resort: files are read and written through core.files
        if debug:
            raise
        from cxcr4lab.core.errors import quote

        where = "" if exc.filename is None else f"{quote(str(exc.filename))}: "
        reason = exc.strerror or type(exc).__name__
        Console(stderr=True, soft_wrap=True).print(
            Text.assemble(("error: ", "bold red"), f"{where}{reason}")
        )
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
