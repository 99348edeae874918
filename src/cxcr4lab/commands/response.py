"""``cxcr4lab response ADRS``: ORR and CBR with exact CIs per arm, Fisher (and CMH) tests."""

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
    from cxcr4lab.clinical.recist import RecistSettings, SubjectRecist
    from cxcr4lab.clinical.response import FisherTest, ResponseResult
    from cxcr4lab.store import InputBlob

__all__ = ["analyse_response_bytes", "dossier_runs", "print_result", "register_top", "response"]

Named = tuple[str, bytes]


def register_top(app: typer.Typer) -> None:
    app.command("response")(response)


def analyse_response_bytes(
    adrs: Named,
    adsl: Named | None = None,
    tr: Named | None = None,
    *,
    by: str = "ARM",
    strata: str | None = None,
    settings: RecistSettings | None = None,
    cbr_days: float = 168.0,
) -> ResponseResult:
    """Validate the tables and compute response rates. ADSL ``EFFFL`` (if any) selects subjects."""
    from cxcr4lab.clinical.cdisc import (
        read_clinical_bytes,
        validate_adrs,
        validate_adsl,
        validate_tr,
    )
    from cxcr4lab.clinical.recist import derive_recist
    from cxcr4lab.clinical.response import response_rates

    sl = None
    if adsl is not None:
        frame, base = read_clinical_bytes(adsl[1], adsl[0])
        sl = validate_adsl(frame, adsl[0], row_base=base)
        if "EFFFL" in sl.columns:
            sl = sl[sl["EFFFL"].astype(str).str.upper() == "Y"].reset_index(drop=True)
    frame, base = read_clinical_bytes(adrs[1], adrs[0])
    rs = validate_adrs(frame, adrs[0], adsl=sl, row_base=base)
    recist: tuple[SubjectRecist, ...] = ()
    if tr is not None:
        frame, base = read_clinical_bytes(tr[1], tr[0])
        recist = derive_recist(validate_tr(frame, tr[0], adsl=sl, row_base=base), settings)[1]
    return response_rates(
        rs,
        sl,
        by=by,
        source=adrs[0],
        settings=settings,
        cbr_days=cbr_days,
        stratum=strata,
        recist=recist,
    )


def response(
    adrs: Annotated[
        Path, typer.Argument(help="ADRS (CSV, Parquet or XPT): USUBJID, PARAMCD (OVR), AVALC, ADY.")
    ],
    adsl: Annotated[
        Path | None, typer.Option("--adsl", help="ADSL: USUBJID, ARM; EFFFL selects subjects.")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="ADSL column of the groups.")] = "ARM",
    tr: Annotated[
        Path | None,
        typer.Option("--tr", help="Tumour measurements: adds best % change (waterfall plot)."),
    ] = None,
    strata: Annotated[
        str | None, typer.Option("--strata", help="ADSL column for a CMH test of ORR.")
    ] = None,
    cbr_weeks: Annotated[
        float, typer.Option("--cbr-weeks", help="Minimum SD duration for clinical benefit.")
    ] = 24.0,
    min_sd_weeks: Annotated[
        float, typer.Option("--min-sd-weeks", help="Minimum time to SD from the first dose.")
    ] = 6.0,
    confirm: Annotated[
        bool, typer.Option("--confirm/--no-confirm", help="Require confirmation of CR/PR.")
    ] = True,
    title: TitleOption = None,
    save: SaveOption = True,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """ORR and CBR per arm with Clopper-Pearson CIs; Fisher exact test between two arms."""
    from cxcr4lab.clinical.recist import RecistSettings
    from cxcr4lab.workflows import read_input

    settings = RecistSettings(confirm=confirm, min_sd_days=7 * min_sd_weeks)
    inputs: list[tuple[str, str, bytes]] = [(adrs.name, "adrs", read_input(adrs, "ADRS"))]
    if adsl is not None:
        inputs.append((adsl.name, "adsl", read_input(adsl, "--adsl")))
    if tr is not None:
        inputs.append((tr.name, "tr", read_input(tr, "--tr")))
    named = {role: (name, content) for name, role, content in inputs}
    result = analyse_response_bytes(
        named["adrs"],
        named.get("adsl"),
        named.get("tr"),
        by=by,
        strata=strata,
        settings=settings,
        cbr_days=7 * cbr_weeks,
    )
    params = {
        "by": by,
        "strata": strata,
        "cbr_weeks": cbr_weeks,
        "min_sd_weeks": min_sd_weeks,
        "confirm": confirm,
    }
    finish(
        result,
        inputs,
        params,
        title=title or f"Response rates {adrs.name}",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_result,
        project=project,
    )


def _ci(lo: float, hi: float) -> str:
    return f"{100 * lo:.1f}-{100 * hi:.1f}"


def _fisher(name: str, f: FisherTest | None) -> str:
    if f is None:
        return ""
    orr = "n/a" if f.odds_ratio is None else f"{f.odds_ratio:.3g}"
    ci = "" if f.ci_low is None else f" (95% CI {f.ci_low:.3g}-{f.ci_high:.3g})"
    return f"{name}: Fisher exact p = {f.p_value:.3g}; conditional MLE odds ratio {orr}{ci}"


def print_result(console: Console, result: ResponseResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(f"[bold]{escape(f'Response rates: {result.source}')}[/bold]{saved}")
    pct = round(100 * result.level)
    table = Table(title=f"Best overall response (RECIST 1.1); exact {pct}% CIs")
    for h in ("arm", "n", "CR", "PR", "SD", "PD", "NE", "ORR (%)", "CI (%)", "CBR (%)", "CI (%)"):
        table.add_column(h, justify="left" if h == "arm" else "right")
    for a in result.arms:
        c = a.counts
        table.add_row(
            escape(a.arm),
            str(a.n),
            *(str(c.get(k, 0)) for k in ("CR", "PR", "SD", "PD", "NE")),
            f"{100 * a.orr:.1f}",
            _ci(*a.orr_ci),
            f"{100 * a.cbr:.1f}",
            _ci(*a.cbr_ci),
        )
    console.print(table)
    console.print(f"CBR: CR, PR or SD lasting >= {result.cbr_days / 7:g} weeks.")
    for line in (_fisher("ORR", result.fisher_orr), _fisher("CBR", result.fisher_cbr)):
        if line:
            console.print(escape(line))
    if result.cmh_orr is not None:
        m = result.cmh_orr
        console.print(
            f"ORR across strata: CMH X2 = {m.statistic:.4g}, p = {m.p_value:.3g}; MH common odds "
            f"ratio {m.odds_ratio:.3g} (95% CI {m.ci_low:.3g}-{m.ci_high:.3g})"
        )
    for n in result.notes[:10]:
        console.print(f"  note: {escape(n)}")
    if len(result.notes) > 10:
        console.print(f"  ... and {len(result.notes) - 10} more notes")


def dossier_runs() -> list[DossierRun]:
    """The SIMULATED FORTRESS-like trial: ORR/CBR per arm, waterfall and swimmer plots."""
    from cxcr4lab.workflows import example_bytes

    def run() -> tuple[ResponseResult, list[InputBlob], dict[str, object]]:
        from cxcr4lab.store import InputBlob

        files = {
            role: example_bytes("clinical", f"fortress_{role}.csv")
            for role in ("adrs", "adsl", "tr")
        }
        result = analyse_response_bytes(files["adrs"], files["adsl"], files["tr"], strata="STRAT1")
        blobs = [InputBlob(name, role, content) for role, (name, content) in files.items()]
        return result, blobs, {"by": "ARM", "strata": "STRAT1", "cbr_weeks": 24.0}

    note = (
        "Response rates: SIMULATED patient-level data built to match the published FORTRESS "
        "summaries (ORR 13.0% vs 13.7%, CBR 16.7% vs 19.6%); not trial data."
    )
    return [DossierRun("Response rates, FORTRESS-like trial (simulated)", run, (note,))]
