"""``cxcr4lab safety ADAE --adsl ADSL``: AE incidence per arm, by term and maximum grade."""

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
    from cxcr4lab.clinical.safety import SafetyResult
    from cxcr4lab.store import InputBlob

__all__ = ["analyse_safety_bytes", "dossier_runs", "print_result", "register_top", "safety"]


def register_top(app: typer.Typer) -> None:
    app.command("safety")(safety)


def analyse_safety_bytes(
    adae: tuple[str, bytes],
    adsl: tuple[str, bytes],
    *,
    by: str = "ARM",
    min_pct: float = 0.0,
) -> SafetyResult:
    """Validate ADAE and ADSL (``SAFFL = Y`` if present: the safety population), then tabulate."""
    from cxcr4lab.clinical.cdisc import read_clinical_bytes, validate_adae, validate_adsl
    from cxcr4lab.clinical.safety import ae_incidence

    frame, base = read_clinical_bytes(adsl[1], adsl[0])
    sl = validate_adsl(frame, adsl[0], row_base=base)
    if "SAFFL" in sl.columns:
        sl = sl[sl["SAFFL"].astype(str).str.upper() == "Y"].reset_index(drop=True)
    frame, base = read_clinical_bytes(adae[1], adae[0])
    ae = validate_adae(frame, adae[0], adsl=sl, row_base=base)
    return ae_incidence(ae, sl, by=by, source=adae[0], min_pct=min_pct)


def safety(
    adae: Annotated[
        Path, typer.Argument(help="ADAE (CSV, Parquet or XPT): USUBJID, AEDECOD, AETOXGR, AESER.")
    ],
    adsl: Annotated[
        Path, typer.Option("--adsl", help="ADSL: USUBJID, ARM, TRTDURD (days) for EAIR.")
    ],
    by: Annotated[str, typer.Option("--by", help="ADSL column of the groups.")] = "ARM",
    min_pct: Annotated[
        float, typer.Option("--min-pct", help="Show terms with >= this % (any grade) in an arm.")
    ] = 0.0,
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """AE incidence by preferred term (any grade, grade >= 3, serious) with exact CIs and EAIR."""
    from cxcr4lab.workflows import read_input

    ae, sl = (adae.name, read_input(adae, "ADAE")), (adsl.name, read_input(adsl, "--adsl"))
    result = analyse_safety_bytes(ae, sl, by=by, min_pct=min_pct)
    inputs = [(ae[0], "adae", ae[1]), (sl[0], "adsl", sl[1])]
    finish(
        result,
        inputs,
        {"by": by, "min_pct": min_pct},
        title=title or f"Safety {adae.name}",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_result,
        project=project,
    )


def print_result(console: Console, result: SafetyResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{escape(f'Adverse events: {result.source}')}[/bold]{saved}")
    for a in result.arms:
        py = "" if a.patient_years is None else f", {a.patient_years:.1f} patient-years"
        console.print(escape(f"{a.arm}: n = {a.n}{py}"))
    pct = round(100 * result.level)
    table = Table(title=f"Subjects with the event (% of arm, exact {pct}% CI)")
    for h in ("term", "arm", "any grade", "grade >= 3", "serious", "EAIR /100 PY (CI)"):
        table.add_column(h, justify="left" if h in ("term", "arm") else "right")
    for t in result.terms:
        eair = (
            "-"
            if t.eair is None or t.eair_ci is None
            else f"{t.eair:.3g} ({t.eair_ci[0]:.3g}-{t.eair_ci[1]:.3g})"
        )
        table.add_row(
            escape(t.term),
            escape(t.arm),
            f"{t.n_any} ({t.pct_any:.1f}%; {t.ci_any[0]:.1f}-{t.ci_any[1]:.1f})",
            f"{t.n_grade3} ({t.pct_grade3:.1f}%)",
            f"{t.n_serious} ({t.pct_serious:.1f}%)",
            eair,
        )
    console.print(table)
    for n in result.notes:
        console.print(f"  note: {escape(n)}")


def dossier_runs() -> list[DossierRun]:
    """The SIMULATED phase 1b safety table (n = 56), matching the published AE counts."""
    from cxcr4lab.workflows import example_bytes

    def run() -> tuple[SafetyResult, list[InputBlob], dict[str, object]]:
        from cxcr4lab.store import InputBlob

        ae = example_bytes("clinical", "phase1b_adae.csv")
        sl = example_bytes("clinical", "phase1b_adsl.csv")
        result = analyse_safety_bytes(ae, sl)
        blobs = [InputBlob(ae[0], "adae", ae[1]), InputBlob(sl[0], "adsl", sl[1])]
        return result, blobs, {"by": "ARM", "min_pct": 0.0}

    note = (
        "Safety: SIMULATED subject-level ADAE built to reproduce the published phase 1b AE table "
        "(n = 56: fatigue 44, neutropenia 32, infusion-related reaction 27, ...); not trial data."
    )
    return [DossierRun("Adverse events, phase 1b (simulated)", run, (note,))]
