"""``cxcr4lab trial simulate`` (power of a two-arm trial) and ``cxcr4lab trial fortress``."""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cxcr4lab.commands import DossierRun
from cxcr4lab.commands._finish import finish
from cxcr4lab.commands._shared import DatabaseOption, JsonOption, SaveOption, TitleOption

if TYPE_CHECKING:
    from cxcr4lab.clinical.fortress import FortressResult
    from cxcr4lab.clinical.trials import TrialSimulation

__all__ = [
    "dossier_runs",
    "fortress",
    "parse_pair",
    "print_fortress",
    "print_result",
    "register_top",
    "simulate",
]


def register_top(app: typer.Typer) -> None:
    """``cxcr4lab trial simulate ...`` and ``cxcr4lab trial fortress``."""
    trial_app = typer.Typer(
        help="Clinical trial simulation (SIMULATED data).", no_args_is_help=True
    )
    trial_app.command("simulate")(simulate)
    trial_app.command("fortress")(fortress)
    app.add_typer(trial_app, name="trial")


def parse_pair(text: str, option: str) -> tuple[float, float]:
    """``"0.13,0.137"`` -> (0.13, 0.137): treatment first, control second."""
    from cxcr4lab.core.errors import InputError

    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        return float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(
            f"{text!r}: expected TREATMENT,CONTROL, e.g. 0.13,0.137", field=option
        ) from None


def simulate(
    n: Annotated[int, typer.Option("--n", help="Patients randomised (both arms).")] = 432,
    orr: Annotated[
        str, typer.Option("--orr", help="True ORR TREATMENT,CONTROL (fractions).")
    ] = "0.13,0.137",
    median: Annotated[
        str, typer.Option("--median", help="True PFS medians TREATMENT,CONTROL (months).")
    ] = "3.5,4.0",
    accrual: Annotated[float, typer.Option("--accrual", help="Accrual period (months).")] = 24.0,
    analysis: Annotated[
        float, typer.Option("--analysis", help="Analysis time from first patient (months).")
    ] = 30.0,
    dropout: Annotated[float, typer.Option("--dropout", help="Dropout hazard (per month).")] = 0.01,
    alpha: Annotated[float, typer.Option("--alpha", help="Two-sided level.")] = 0.05,
    replicates: Annotated[int, typer.Option("--replicates", help="Simulated trials.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 20190101,
    title: TitleOption = None,
    save: SaveOption = False,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Power of the ORR z test and the log-rank test by simulation (Monte Carlo 95% CIs)."""
    from cxcr4lab.clinical.trials import ArmSpec, TrialDesign, simulate_trials

    o_t, o_c = parse_pair(orr, "--orr")
    m_t, m_c = parse_pair(median, "--median")
    design = TrialDesign(
        ArmSpec("control", o_c, (m_c,)),
        ArmSpec("treatment", o_t, (m_t,)),
        n=n,
        accrual_months=accrual,
        analysis_months=analysis,
        dropout_per_month=dropout,
        alpha=alpha,
    )
    result = simulate_trials(design, replicates, seed=seed)
    finish(
        result,
        [],
        {"design": design.to_dict(), "replicates": replicates, "seed": seed},
        title=title or f"Trial simulation, n = {n}",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_result,
    )


def fortress(
    n_per_arm: Annotated[int, typer.Option("--n-per-arm", help="Primary analysis size.")] = 161,
    replicates: Annotated[int, typer.Option("--replicates", help="Simulated trials.")] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 2019,
    title: TitleOption = None,
    save: SaveOption = False,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """The worked FORTRESS analysis: Phase 1b posterior, selection bias, scenarios."""
    from cxcr4lab.clinical.fortress import fortress_analysis

    result = fortress_analysis(n_per_arm=n_per_arm, replicates=replicates, seed=seed)
    finish(
        result,
        [],
        {"n_per_arm": n_per_arm, "replicates": replicates, "seed": seed},
        title=title or "Why FORTRESS failed (worked analysis)",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_fortress,
    )


def print_result(console: Console, result: TrialSimulation, analysis_id: int | None) -> None:
    d = result.design
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(
        f"[bold]Trial simulation[/bold] [SIMULATED]{saved}\n"
        f"{result.replicates} trials of {d.n} patients (1:1), accrual {d.accrual_months:g} "
        f"months, analysis at {d.analysis_months:g} months, dropout {d.dropout_per_month:g}/month"
        f"; true ORR {100 * d.treatment.orr:.1f}% vs {100 * d.control.orr:.1f}%, PFS medians "
        f"{d.treatment.medians[0]:g} vs {d.control.medians[0]:g} months (treatment vs control)"
    )
    table = Table(title=f"Power, two-sided alpha {d.alpha:g} (Wilson 95% CI)")
    for h in ("test", "power (%)", "95% CI (%)"):
        table.add_column(h, justify="left" if h == "test" else "right")
    table.add_row(
        "ORR, pooled z",
        f"{100 * result.power_orr:.1f}",
        f"{100 * result.power_orr_ci[0]:.1f}-{100 * result.power_orr_ci[1]:.1f}",
    )
    table.add_row(
        "PFS, log-rank",
        f"{100 * result.power_tte:.1f}",
        f"{100 * result.power_tte_ci[0]:.1f}-{100 * result.power_tte_ci[1]:.1f}",
    )
    console.print(table)
    hr = result.median_observed_hr
    console.print(
        f"Mean events {result.mean_events:.1f}; median observed HR (exponential) "
        f"{'NA' if hr is None else f'{hr:.3f}'}"
    )


def print_fortress(console: Console, result: FortressResult, analysis_id: int | None) -> None:
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(
        f"[bold]Why FORTRESS failed[/bold] [SIMULATED programmes and trials]{saved}\n"
        f"Phase 1b ORR posterior (9/24, Jeffreys): mean {100 * result.posterior_mean:.1f}% "
        f"(95% CrI {100 * result.posterior_ci[0]:.1f}-{100 * result.posterior_ci[1]:.1f}%)\n"
        f"Selection (go if >= {result.go_threshold}/24, {100 * result.p_go:.1f}% of programmes "
        f"go): observed Phase 1b ORR {100 * result.observed_orr_given_go:.1f}% vs true "
        f"{100 * result.true_orr_given_go:.1f}%"
    )
    frame = result.summary()
    table = Table(title=f"Scenarios, {result.n_per_arm} per arm, {result.replicates} trials each")
    for c in frame.columns:
        table.add_column(str(c), justify="left" if c == "scenario" else "right")
    for row in frame.itertuples(index=False):
        table.add_row(*(f"{v:.1f}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)
    lo, mid, hi = result.null_median_pfs_gap_quantiles
    console.print(
        f"Published ORR 13.0% vs 13.7% (reconstructed 21/161 vs 22/161): Fisher p = "
        f"{result.published_orr_p:.2f}; under the null "
        f"{100 * result.null_p_orr_p_at_least_published:.1f}% of trials have a p-value at least "
        f"as large.\nPFS medians 3.5 vs 4.0 months: under the null, |difference| >= 0.5 months in "
        f"{100 * result.null_p_pfs_median_gap_at_least_published:.1f}% of trials (quartiles "
        f"{lo:.2f}, {mid:.2f}, {hi:.2f} months)."
    )


def dossier_runs() -> list[DossierRun]:
    """The FORTRESS worked analysis, once ``report/sections/fortress.py`` exists to render it."""
    if importlib.util.find_spec("cxcr4lab.report.sections.fortress") is None:
        return []

    def run() -> tuple[Any, list[Any], dict[str, object]]:
        from cxcr4lab.clinical.fortress import fortress_analysis

        return fortress_analysis(), [], {"n_per_arm": 161, "replicates": 20_000, "seed": 2019}

    note = (
        "FORTRESS worked analysis: SIMULATED programmes and trials around the published Phase "
        "1b (9/24 responses) and FORTRESS (ORR 13.0% vs 13.7%, PFS 3.5 vs 4.0 months) figures."
    )
    return [DossierRun("Why FORTRESS failed (worked analysis)", run, (note,))]
