"""``cxcr4lab pkfit`` / ``cxcr4lab analyze pkfit``: compartmental PK fits, subject by subject."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
    write_atomic,
)

if TYPE_CHECKING:
    from cxcr4lab.pkpd.pkfit import Estimate, PkFitResult, PkFitSettings
    from cxcr4lab.store import InputBlob

__all__ = [
    "analyse_pkfit_bytes",
    "analyze_pkfit",
    "dossier_runs",
    "print_result",
    "register",
    "register_top",
]


def register(analyze_app: typer.Typer) -> None:
    analyze_app.command("pkfit")(analyze_pkfit)


def register_top(app: typer.Typer) -> None:
    """``cxcr4lab pkfit DATA.csv``: the same command at the top level."""
    app.command("pkfit")(analyze_pkfit)


def analyse_pkfit_bytes(name: str, content: bytes, settings: PkFitSettings) -> PkFitResult:
    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.pkpd.pkfit import fit_pk_table

    table = read_table_bytes(content, name)
    return fit_pk_table(table.frame, settings, source=name, row_base=table.row_base)


def analyze_pkfit(
    data: Annotated[
        Path,
        typer.Argument(
            help="CSV/xlsx: subject, time (h), conc, dose [, route, duration] (one dose per "
            "subject at 0 h), or NONMEM-style ID, TIME, DV, AMT [, EVID, RATE, II, ADDL, MDV]. "
            "conc may be BLQ."
        ),
    ],
    model: Annotated[
        str, typer.Option("--model", help="1cmt, 2cmt, 3cmt, or auto (lowest AICc).")
    ] = "auto",
    route: Annotated[
        str | None,
        typer.Option(
            "--route",
            help="iv or oral, for tables without a route column (NCA form default: oral).",
        ),
    ] = None,
    weights: Annotated[str, typer.Option("--weights", help="none, 1/y or 1/y^2.")] = "none",
    conc_unit: Annotated[str, typer.Option("--conc-unit", help="Unit of conc.")] = "mg/L",
    dose_unit: Annotated[str, typer.Option("--dose-unit", help="Unit of dose.")] = "mg",
    lloq: Annotated[
        float | None, typer.Option("--lloq", help="Concentrations below this are BLQ.")
    ] = None,
    profile: Annotated[
        bool, typer.Option("--profile", help="Also profile-likelihood CIs (slower).")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write one row per subject to this CSV.")
    ] = None,
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """Fit 1/2/3-compartment models per subject: CL, V, Q, ka with 95% CIs, t1/2, Vss, AUC."""
    from cxcr4lab.core.export import safe_csv
    from cxcr4lab.core.files import check_output
    from cxcr4lab.pkpd.pkfit import PkFitSettings
    from cxcr4lab.workflows import read_input

    settings = PkFitSettings(
        model=model,
        route=route,
        weights=weights,
        conc_unit=conc_unit,
        dose_unit=dose_unit,
        lloq=lloq,
        profile=profile,
    )
    if out is not None:
        check_output(out, field="--out")
    content = read_input(data, "DATA")
    result = analyse_pkfit_bytes(data.name, content, settings)
    if out is not None:
        write_atomic(out, safe_csv(result.summary()), field="--out")
    finish(
        result,
        [(data.name, "data", content)],
        settings.to_dict(),
        title=title or f"PK fit {data.name}",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_result,
        project=project,
    )


def _with_ci(e: Estimate) -> str:
    if e.ci_lower is None or e.ci_upper is None:
        return f"{e.value:.4g}"
    return f"{e.value:.4g} [{e.ci_lower:.3g}, {e.ci_upper:.3g}]"


def print_result(console: Console, result: PkFitResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    from cxcr4lab.pkpd.pkfit import PKFIT_FLAGS

    s = result.settings
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(
        f"[bold]{escape(f'PK fit: {result.source}')}[/bold]{saved}\n"
        f"{len(result.subjects)} subjects; model {s.model}; weights {s.weights}; "
        "estimates with 95% CI [lower, upper] (log-scale, t-based)"
    )
    for route in dict.fromkeys(sub.route for sub in result.subjects):
        subjects = [sub for sub in result.subjects if sub.route == route]
        fitted = [sub for sub in subjects if sub.estimates]
        names = list(dict.fromkeys(e.name for sub in fitted for e in sub.estimates))
        extra = ["t1/2 terminal", "Vss", "AUCinf"]
        unit = {e.name: e.unit for sub in fitted for e in (*sub.estimates, *sub.secondary)}
        table = Table(
            title=f"Route {route}" + (" (CL, V, Q apparent: /F)" if route == "oral" else "")
        )
        table.add_column("subject")
        table.add_column("model")
        for n in [*names, *extra]:
            table.add_column(f"{result.label(n, route)} ({unit.get(n, '')})", justify="right")
        table.add_column("AICc", justify="right")
        table.add_column("flags")
        for sub in subjects:
            cells = []
            for n in [*names, *extra]:
                try:
                    cells.append(_with_ci(sub.estimate(n)))
                except KeyError:
                    cells.append("-")
            table.add_row(
                sub.subject,
                sub.model,
                *cells,
                "-" if sub.aicc is None else f"{sub.aicc:.2f}",
                ", ".join(sub.flags) or "-",
            )
        console.print(table)
    used = sorted({f for sub in result.subjects for f in sub.flags})
    if used:
        console.print("Flags:\n" + "\n".join(f"  {f}: {PKFIT_FLAGS[f]}" for f in used))
    notes = [f"{sub.subject}: {n}" for sub in result.subjects for n in sub.notes]
    if notes:
        console.print("Notes:\n" + "\n".join(f"  {escape(n)}" for n in notes))


def dossier_runs() -> list[DossierRun]:
    """The public Theoph data set fitted with a 1-compartment oral model."""
    from cxcr4lab.pkpd.pkfit import PkFitSettings
    from cxcr4lab.workflows import example_bytes

    def run() -> tuple[PkFitResult, list[InputBlob], dict[str, object]]:
        from cxcr4lab.store import InputBlob

        name, content = example_bytes("pk", "theoph.csv")
        settings = PkFitSettings(model="1cmt", route="oral", conc_unit="mg/L", dose_unit="mg")
        result = analyse_pkfit_bytes(name, content, settings)
        return result, [InputBlob(name, "data", content)], settings.to_dict()

    note = (
        "PK fit: R's public Theoph data set (not balixafortide, not simulated), 1-compartment "
        "oral model per subject; subject 1 reproduces R's nls(SSfol) to 1e-4 in the tests."
    )
    return [DossierRun("PK fit, theophylline (public Theoph data set)", run, (note,))]
