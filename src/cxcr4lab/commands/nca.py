"""``cxcr4lab nca`` / ``cxcr4lab analyze nca``: non-compartmental analysis of a PK table."""

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
)

if TYPE_CHECKING:
    from cxcr4lab.pkpd.nca import NcaResult, NcaSettings
    from cxcr4lab.store import InputBlob

__all__ = [
    "analyse_nca_bytes",
    "analyze_nca",
    "dossier_runs",
    "parse_lambda_z_range",
    "print_result",
    "register",
    "register_top",
]


def register(analyze_app: typer.Typer) -> None:
    analyze_app.command("nca")(analyze_nca)


def register_top(app: typer.Typer) -> None:
    """``cxcr4lab nca DATA.csv``: the same command at the top level."""
    app.command("nca")(analyze_nca)


def parse_lambda_z_range(text: str) -> tuple[str, float, float]:
    """``"3:6-24"`` -> ("3", 6.0, 24.0); the error names the option."""
    from cxcr4lab.core.errors import InputError, quote

    subject, sep, span = text.rpartition(":")
    start, dash, end = span.partition("-")
    try:
        if not (sep and dash and subject.strip()):
            raise ValueError
        return subject.strip(), float(start), float(end)
    except ValueError:
        raise InputError(
            f"{quote(text)}: expected SUBJECT:START-END in hours, e.g. 3:6-24", field="--lambda-z"
        ) from None


def analyse_nca_bytes(name: str, content: bytes, settings: NcaSettings) -> NcaResult:
    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.pkpd.nca import nca

    table = read_table_bytes(content, name)
    return nca(table.frame, settings, source=name, row_base=table.row_base)


def analyze_nca(
    data: Annotated[
        Path,
        typer.Argument(
            help="CSV/xlsx: subject, time (h), conc, dose; optional route (extravascular, "
            "iv bolus, infusion) and duration (h). conc may be BLQ."
        ),
    ],
    auc_method: Annotated[
        str, typer.Option("--auc-method", help="linear, or log-down (linear-up/log-down).")
    ] = "linear",
    conc_unit: Annotated[str, typer.Option("--conc-unit", help="Unit of conc.")] = "mg/L",
    dose_unit: Annotated[str, typer.Option("--dose-unit", help="Unit of dose.")] = "mg",
    lloq: Annotated[
        float | None, typer.Option("--lloq", help="Concentrations below this are BLQ.")
    ] = None,
    blq_before: Annotated[
        str, typer.Option("--blq-before", help="BLQ before Tmax: zero or missing.")
    ] = "zero",
    blq_after: Annotated[
        str, typer.Option("--blq-after", help="BLQ after Tmax: missing or zero.")
    ] = "missing",
    lambda_z: Annotated[
        list[str] | None,
        typer.Option("--lambda-z", help="Manual terminal phase SUBJECT:START-END (h); repeatable."),
    ] = None,
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """NCA per subject: Cmax, AUC, lambda_z (best fit), t1/2, CL(/F), Vz(/F), Vss, MRT."""
    from cxcr4lab.pkpd.nca import NcaSettings
    from cxcr4lab.workflows import read_input

    ranges = tuple(parse_lambda_z_range(t) for t in lambda_z or [])
    settings = NcaSettings(
        auc_method=auc_method,
        blq_before_tmax=blq_before,
        blq_after_tmax=blq_after,
        lloq=lloq,
        lambda_z_ranges=ranges,
        conc_unit=conc_unit,
        dose_unit=dose_unit,
    )
    content = read_input(data, "DATA")
    result = analyse_nca_bytes(data.name, content, settings)
    finish(
        result,
        [(data.name, "data", content)],
        settings.to_dict(),
        title=title or f"NCA {data.name}",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_result,
        project=project,
    )


def _f(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}g}"


def print_result(console: Console, result: NcaResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    s, u = result.settings, result.units
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(
        f"[bold]{escape(f'NCA: {result.source}')}[/bold]{saved}\n"
        f"{len(result.subjects)} subjects; AUC rule {s.auc_method}; lambda_z "
        f"{'manual for ' + str(len(s.lambda_z_ranges)) + ', ' if s.lambda_z_ranges else ''}"
        "best adjusted R^2 otherwise; BLQ before/after Tmax: "
        f"{s.blq_before_tmax}/{s.blq_after_tmax}"
    )
    table = Table(title="Per subject (F-apparent CL and Vz for extravascular doses)")
    heads = (
        "subject",
        "route",
        f"Cmax ({u['conc']})",
        "Tmax (h)",
        f"AUClast ({u['auc']})",
        f"AUCinf ({u['auc']})",
        "%extrap",
        "lambda_z (1/h)",
        "n",
        "t1/2 (h)",
        f"CL ({u['cl']})",
        f"Vz ({u['v']})",
        f"Vss ({u['v']})",
        "MRTinf (h)",
    )
    for h in heads:
        table.add_column(h, justify="left" if h in ("subject", "route") else "right")
    for p in result.subjects:
        lz = p.lambda_z
        table.add_row(
            p.subject,
            {"extravascular": "EV"}.get(p.route, p.route),
            _f(p.cmax),
            _f(p.tmax),
            _f(p.auc_last),
            _f(p.auc_inf_obs),
            _f(p.auc_pct_extrap_obs, 3),
            _f(None if lz is None else lz.lambda_z),
            "-" if lz is None else f"{lz.n_points}{'*' if lz.manual else ''}",
            _f(p.half_life),
            _f(p.cl_obs),
            _f(p.vz_obs),
            _f(p.vss_obs),
            _f(p.mrt_inf_obs),
        )
    console.print(table)
    notes = [f"{p.subject}: {n}" for p in result.subjects for n in p.notes]
    if notes:
        console.print("Notes:\n" + "\n".join(f"  {escape(n)}" for n in notes))


def dossier_runs() -> list[DossierRun]:
    """The public Theoph data set (oral theophylline, 12 subjects), linear-up/log-down."""
    from cxcr4lab.pkpd.nca import NcaSettings
    from cxcr4lab.workflows import example_bytes

    def run() -> tuple[NcaResult, list[InputBlob], dict[str, object]]:
        from cxcr4lab.store import InputBlob

        name, content = example_bytes("pk", "theoph.csv")
        settings = NcaSettings(auc_method="log-down", conc_unit="mg/L", dose_unit="mg")
        result = analyse_nca_bytes(name, content, settings)
        return result, [InputBlob(name, "data", content)], settings.to_dict()

    note = (
        "NCA: R's public Theoph data set (not balixafortide, not simulated), whose Phoenix "
        "WinNonlin results the NCA reproduces to 1e-3 in the tests."
    )
    return [DossierRun("NCA, theophylline (public Theoph data set)", run, (note,))]
