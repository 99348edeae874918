"""``cxcr4lab survival ADTTE.csv --adsl ADSL.csv --paramcd PFS --by ARM``: KM, log-rank, Cox."""

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
    from cxcr4lab.clinical.survival import SurvivalResult
    from cxcr4lab.store import InputBlob

__all__ = [
    "SUBGROUPS",
    "analyse_survival_bytes",
    "dossier_runs",
    "print_result",
    "register_top",
    "survival",
]


def register_top(app: typer.Typer) -> None:
    app.command("survival")(survival)


def analyse_survival_bytes(
    adtte: tuple[str, bytes],
    adsl: tuple[str, bytes] | None,
    *,
    paramcd: str,
    by: str | None,
    reference: str | None = None,
    landmarks: tuple[float, ...] = (6.0, 12.0),
    tau: float | None = None,
    subgroups: tuple[str, ...] = (),
) -> SurvivalResult:
    """Read ADTTE (and ADSL) bytes (CSV, Parquet or XPT) and analyse one endpoint."""
    from cxcr4lab.clinical.cdisc import read_clinical_bytes
    from cxcr4lab.clinical.survival import analyse_adtte

    tte, base = read_clinical_bytes(adtte[1], adtte[0])
    sl = None if adsl is None else read_clinical_bytes(adsl[1], adsl[0])[0]
    return analyse_adtte(
        tte,
        paramcd=paramcd,
        adsl=sl,
        by=None if by is None else by.upper(),
        source=adtte[0],
        adsl_source="" if adsl is None else adsl[0],
        row_base=base,
        reference=reference,
        landmarks=landmarks,
        tau=tau,
        subgroups=tuple(s.upper() for s in subgroups),
    )


def survival(
    adtte: Annotated[
        Path, typer.Argument(help="ADTTE (CSV/Parquet/XPT): USUBJID, PARAMCD, AVAL, CNSR, AVALU.")
    ],
    adsl: Annotated[
        Path | None, typer.Option("--adsl", help="ADSL with USUBJID and the --by column.")
    ] = None,
    paramcd: Annotated[str, typer.Option("--paramcd", help="Endpoint, e.g. PFS or OS.")] = "PFS",
    by: Annotated[str | None, typer.Option("--by", help="Group column, e.g. ARM.")] = None,
    reference: Annotated[
        str | None, typer.Option("--reference", help="Reference group of the hazard ratio.")
    ] = None,
    landmark: Annotated[
        list[float] | None, typer.Option("--landmark", help="Landmark time (months); repeatable.")
    ] = None,
    tau: Annotated[float | None, typer.Option("--tau", help="RMST horizon (months).")] = None,
    subgroup: Annotated[
        list[str] | None, typer.Option("--subgroup", help="ADSL column for subgroup HRs.")
    ] = None,
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """Kaplan-Meier medians with 95% CIs, log-rank test and Cox hazard ratios (months)."""
    import math

    from cxcr4lab.core.errors import InputError
    from cxcr4lab.workflows import read_input

    for t in landmark or ():
        if not (math.isfinite(t) and t > 0):
            raise InputError(
                f"a landmark time must be a number > 0 months, got {t:g}", field="--landmark"
            )
    if tau is not None and not (math.isfinite(tau) and tau > 0):
        raise InputError(
            f"the RMST horizon must be a number > 0 months, got {tau:g}", field="--tau"
        )
    inputs = [(adtte.name, "adtte", read_input(adtte, "ADTTE"))]
    if adsl is not None:
        inputs.append((adsl.name, "adsl", read_input(adsl, "--adsl")))
    named = {role: (name, content) for name, role, content in inputs}
    landmarks = tuple(landmark) if landmark else (6.0, 12.0)
    result = analyse_survival_bytes(
        named["adtte"],
        named.get("adsl"),
        paramcd=paramcd,
        by=by,
        reference=reference,
        landmarks=landmarks,
        tau=tau,
        subgroups=tuple(subgroup or ()),
    )
    params = {
        "paramcd": paramcd,
        "by": by,
        "reference": reference,
        "landmarks": list(landmarks),
        "tau": tau,
        "subgroups": list(subgroup or ()),
    }
    finish(
        result,
        inputs,
        params,
        title=title or f"{paramcd.upper()} {adtte.name}",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_result,
        project=project,
    )


def _f(x: float | None, digits: int = 3) -> str:
    return "NA" if x is None else f"{x:.{digits}g}"


def print_result(console: Console, result: SurvivalResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    u = result.time_unit
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    sim = " [SIMULATED data]" if result.simulated else ""
    console.print(f"[bold]{escape(f'{result.endpoint}: {result.source}')}[/bold]{sim}{saved}")
    table = Table(title=f"Kaplan-Meier (95% CI, log scale as R survfit), {u}")
    for h in ("group", "n", "events", f"median ({u})", "95% CI"):
        table.add_column(h, justify="left" if h == "group" else "right")
    for c in result.curves:
        table.add_row(
            escape(c.group),
            str(c.n),
            str(c.events),
            _f(c.median),
            f"{_f(c.median_lower)}-{_f(c.median_upper)}",
        )
    console.print(table)
    for lm in result.landmarks:
        console.print(
            f"  S({lm.time:g} {u}) {escape(lm.group)}: {100 * lm.survival:.1f}% "
            f"(95% CI {100 * lm.lower:.1f}-{100 * lm.upper:.1f}%)"
        )
    for r in result.rmst:
        console.print(
            f"  RMST to {r.tau:g} {u} {escape(r.group)}: {r.rmst:.2f} {u} "
            f"(95% CI {r.lower:.2f}-{r.upper:.2f})"
        )
    if result.logrank is not None:
        lr = result.logrank
        console.print(f"Log-rank: chi-square {lr.chisq:.3f} on {lr.df} df, p = {lr.p:.4g}")
    for hr in (*result.hazard_ratios, *result.subgroups):
        console.print(
            f"  HR {escape(hr.term)}: {hr.hr:.3f} (95% CI {hr.lower:.3f}-{hr.upper:.3f}), "
            f"p = {hr.p:.4g}  [n {hr.n}, {hr.events} events]"
        )


SUBGROUPS = ("STRAT1", "CXCR4GR")
"""ADSL columns of the dossier's subgroup hazard ratios (stratum, CXCR4 H-score group)."""


def dossier_runs() -> list[DossierRun]:
    """PFS and OS of the simulated FORTRESS-like data by arm, eribulin as reference, with
    subgroup HRs by stratum and CXCR4 H-score group."""
    from cxcr4lab.workflows import example_bytes

    def run_for(paramcd: str) -> DossierRun:
        def run() -> tuple[SurvivalResult, list[InputBlob], dict[str, object]]:
            from cxcr4lab.store import InputBlob

            tte = example_bytes("clinical", "fortress_adtte.csv")
            sl = example_bytes("clinical", "fortress_adsl.csv")
            result = analyse_survival_bytes(
                tte,
                sl,
                paramcd=paramcd,
                by="ARM",
                reference="eribulin",
                tau=12.0,
                subgroups=SUBGROUPS,
            )
            blobs = [InputBlob(tte[0], "adtte", tte[1]), InputBlob(sl[0], "adsl", sl[1])]
            params: dict[str, object] = {
                "paramcd": paramcd,
                "by": "ARM",
                "reference": "eribulin",
                "tau": 12.0,
                "subgroups": list(SUBGROUPS),
            }
            return result, blobs, params

        note = (
            f"{paramcd} of a SIMULATED FORTRESS-like trial (not patient data): Kaplan-Meier by "
            "arm with R survfit's log CIs and numbers at risk, log-rank, Cox HR (Efron ties) and "
            "a forest plot of subgroup HRs (stratum TNBC / HR+; CXCR4 H-score HIGH >= 200 / LOW)."
        )
        return DossierRun(f"{paramcd}, simulated FORTRESS-like trial", run, (note,))

    return [run_for("PFS"), run_for("OS")]
