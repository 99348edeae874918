"""``cxcr4lab trial simulate`` (power of a two-arm trial), ``cxcr4lab trial 3plus3`` (exact 3+3
escalation) and ``cxcr4lab trial fortress``; prints the kinds ``trial``, ``three_plus_three`` and
``fortress``."""

from __future__ import annotations

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
    from cxcr4lab.clinical.design import ThreePlusThree
    from cxcr4lab.clinical.fortress import FortressResult
    from cxcr4lab.clinical.trials import TrialSimulation

__all__ = [
    "DOSSIER_DLT",
    "RESULT_KINDS",
    "dossier_runs",
    "fortress",
    "parse_floats",
    "parse_pair",
    "print_fortress",
    "print_result",
    "print_three_plus_three",
    "print_trial",
    "register_top",
    "simulate",
    "three_plus_three",
]

RESULT_KINDS = ("trial", "three_plus_three", "fortress")
"""The stored result kinds this module prints (see ``commands.module_for_kind``)."""

DOSSIER_DLT = (0.05, 0.05, 0.08, 0.10, 0.15, 0.20)
"""Assumed DLT probabilities on the balixafortide ladder (2.0 ... 5.5 mg/kg) of the dossier."""


def register_top(app: typer.Typer) -> None:
    """``cxcr4lab trial simulate ...`` and ``cxcr4lab trial fortress``."""
    trial_app = typer.Typer(
        help="Clinical trial simulation (SIMULATED data).", no_args_is_help=True
    )
    trial_app.command("simulate")(simulate)
    trial_app.command("3plus3")(three_plus_three)
    trial_app.command("fortress")(fortress)
    app.add_typer(trial_app, name="trial")


def parse_pair(text: str, option: str) -> tuple[float, float]:
    """``"0.13,0.137"`` -> (0.13, 0.137): treatment first, control second."""
    from cxcr4lab.core.errors import InputError, quote

    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        return float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(
            f"{quote(text)}: expected TREATMENT,CONTROL, e.g. 0.13,0.137", field=option
        ) from None


def parse_floats(text: str, option: str) -> tuple[float, ...]:
    """``"0.05,0.1,0.2"`` -> (0.05, 0.1, 0.2); the error names the option."""
    from cxcr4lab.core.errors import InputError, quote

    try:
        values = tuple(float(p) for p in text.split(","))
    except ValueError:
        raise InputError(
            f"{quote(text)}: expected comma-separated numbers, e.g. 0.05,0.1,0.2", field=option
        ) from None
    return values


def three_plus_three(
    dlt: Annotated[
        str,
        typer.Option("--dlt", help="Assumed DLT probability per dose, comma-separated."),
    ] = "0.05,0.05,0.08,0.1,0.15,0.2",
    doses: Annotated[
        str | None,
        typer.Option("--doses", help="Dose ladder, comma-separated (default 2,2.5,3,4,5,5.5)."),
    ] = None,
    unit: Annotated[str, typer.Option("--unit", help="Dose unit.")] = "mg/kg",
    title: TitleOption = None,
    save: SaveOption = False,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
) -> None:
    """Exact 3+3 escalation: P(escalate) per dose, MTD distribution, expected patients."""
    from cxcr4lab.clinical.design import BALIXAFORTIDE_LADDER
    from cxcr4lab.clinical.design import three_plus_three as exact

    ladder = BALIXAFORTIDE_LADDER if doses is None else parse_floats(doses, "--doses")
    rates = parse_floats(dlt, "--dlt")
    result = exact(rates, ladder, dose_unit=unit)
    finish(
        result,
        [],
        {"dlt_probability": list(rates), "doses": list(ladder), "dose_unit": unit},
        title=title or "3+3 dose escalation (exact)",
        save=save,
        as_json=as_json,
        database=database,
        print_result=print_three_plus_three,
        project=project,
    )


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
    project: ProjectOption = None,
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
        project=project,
    )


def fortress(
    n_per_arm: Annotated[int, typer.Option("--n-per-arm", help="Primary analysis size.")] = 161,
    replicates: Annotated[int, typer.Option("--replicates", help="Simulated trials.")] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 2019,
    title: TitleOption = None,
    save: SaveOption = False,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    project: ProjectOption = None,
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
        project=project,
    )


def print_result(console: Console, result: Any, analysis_id: int | None) -> None:
    """The terminal view of a ``trial``, ``three_plus_three`` or ``fortress`` result."""
    kind = str(result.kind)
    if kind == "fortress":
        print_fortress(console, result, analysis_id)
    elif kind == "three_plus_three":
        print_three_plus_three(console, result, analysis_id)
    else:
        print_trial(console, result, analysis_id)


def print_trial(console: Console, result: TrialSimulation, analysis_id: int | None) -> None:
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


def print_three_plus_three(
    console: Console, result: ThreePlusThree, analysis_id: int | None
) -> None:
    from rich.markup import escape

    from cxcr4lab.clinical.design import escalation_table

    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    u = result.dose_unit
    console.print(
        f"[bold]3+3 dose escalation, exact[/bold] (assumed DLT probabilities){saved}\n"
        f"Expected patients {result.expected_patients:.1f}; P(top dose {result.doses[-1]:g} {u} "
        f"declared MTD) {result.mtd_probability[-1]:.3f}; P(stop at the first dose) "
        f"{result.p_no_mtd:.3f}"
    )
    table = Table(title=f"Per dose ({u})")
    frame = result.summary()
    for c in frame.columns:
        table.add_column(escape(str(c)), justify="right")
    for row in frame.itertuples(index=False):
        table.add_row(*(f"{v:.4g}" for v in row))
    console.print(table)
    esc = escalation_table()
    console.print(
        "P(escalate) per true DLT rate: "
        + ", ".join(
            f"{p:g}: {e:.3f}" for p, e in zip(esc["P(DLT)"], esc["P(escalate)"], strict=True)
        )
    )


def print_fortress(console: Console, result: FortressResult, analysis_id: int | None) -> None:
    from rich.markup import escape

    def pct(x: float) -> str:
        return f"{100 * x:.1f}%"

    def ci(pair: tuple[float, float]) -> str:
        return f"{100 * pair[0]:.1f}-{100 * pair[1]:.1f}%"

    r, n = result.phase1b_responses, result.phase1b_n
    a0, b0 = result.programme_prior
    saved = f"  (saved as analysis #{analysis_id})" if analysis_id else ""
    console.print(
        f"[bold]Why FORTRESS failed[/bold] \\[SIMULATED programmes and trials]{saved}\n"
        f"Phase 1b: {r}/{n} responses, ORR {pct(r / n)} (exact 95% CI "
        f"{ci(result.phase1b_exact_ci)}); Jeffreys posterior {pct(result.posterior_mean)} "
        f"(95% CrI {ci(result.posterior_ci)})\n"
        f"Shrunk by the sceptical prior Beta({a0:g}, {b0:g}): predicted "
        f"Phase 3 ORR {pct(result.shrunk_mean)} (95% CrI {ci(result.shrunk_ci)})\n"
        f"Selection (go if >= {result.go_threshold}/{n}, {pct(result.p_go)} of programmes go): "
        f"observed Phase 1b ORR {pct(result.observed_orr_given_go)} vs true "
        f"{pct(result.true_orr_given_go)}"
    )
    half = result.n_randomised // 2
    table = Table(
        title=f"P(significant ORR benefit), two-sided 0.05 z test; {result.replicates:,} "
        "SIMULATED trials per cell (Wilson 95% CI)"
    )
    for h in (
        "scenario",
        "true ORR comb. vs erib. (%)",
        f"{result.n_per_arm}/arm (%)",
        f"{half}/arm = {result.n_randomised} randomised (%)",
        "mean difference (pp)",
        f"P(diff <= {result.published_difference_pct:.2f} pp) (%)",
    ):
        table.add_column(escape(h), justify="left" if h == "scenario" else "right")
    for s in result.scenarios:
        table.add_row(
            escape(s.name),
            f"{100 * s.orr_combination:.1f} vs {100 * s.orr_control:.1f}",
            f"{100 * s.p_significant_benefit:.1f} ({ci(s.p_significant_benefit_ci)})",
            f"{100 * result.power_at(s, half):.1f}",
            f"{s.expected_difference_pct:+.1f}",
            f"{100 * s.p_at_most_published:.1f}",
        )
    console.print(table)
    lo, mid, hi = result.null_median_pfs_gap_quantiles
    console.print(
        f"Published ORR 13.0% vs 13.7% (reconstructed 21/161 vs 22/161): Fisher p = "
        f"{result.published_orr_p:.2f}; under the null "
        f"{pct(result.null_p_orr_p_at_least_published)} of trials have a p-value at least "
        f"as large.\nPFS medians 3.5 vs 4.0 months: under the null, |difference| >= 0.5 months in "
        f"{pct(result.null_p_pfs_median_gap_at_least_published)} of trials (quartiles "
        f"{lo:.2f}, {mid:.2f}, {hi:.2f} months)."
    )


def dossier_runs() -> list[DossierRun]:
    """The 3+3 design on the balixafortide ladder, the power of a FORTRESS-sized trial under a
    Phase 1b-based alternative, and the FORTRESS worked analysis."""

    def run_3plus3() -> tuple[Any, list[Any], dict[str, object]]:
        from cxcr4lab.clinical.design import BALIXAFORTIDE_LADDER
        from cxcr4lab.clinical.design import three_plus_three as exact

        params: dict[str, object] = {
            "dlt_probability": list(DOSSIER_DLT),
            "doses": list(BALIXAFORTIDE_LADDER),
            "dose_unit": "mg/kg",
        }
        return exact(DOSSIER_DLT, BALIXAFORTIDE_LADDER), [], params

    def run_power() -> tuple[Any, list[Any], dict[str, object]]:
        from cxcr4lab.clinical.trials import ArmSpec, TrialDesign, simulate_trials

        design = TrialDesign(
            ArmSpec("eribulin", 0.13, (4.0,)),
            ArmSpec("balixafortide + eribulin", 0.295, (6.2,)),
            n=432,
            accrual_months=24.0,
            analysis_months=30.0,
            dropout_per_month=0.01,
        )
        result = simulate_trials(design, 5000, seed=20190101)
        return result, [], {"design": design.to_dict(), "replicates": 5000, "seed": 20190101}

    def run_fortress() -> tuple[Any, list[Any], dict[str, object]]:
        from cxcr4lab.clinical.fortress import fortress_analysis

        return fortress_analysis(), [], {"n_per_arm": 161, "replicates": 20_000, "seed": 2019}

    return [
        DossierRun(
            "3+3 dose escalation on the balixafortide ladder (exact)",
            run_3plus3,
            (
                "3+3 design: exact probabilities under ASSUMED DLT rates "
                f"{', '.join(f'{p:g}' for p in DOSSIER_DLT)} on 2.0-5.5 mg/kg; not trial data.",
            ),
        ),
        DossierRun(
            "Power of a 432-patient trial if the shrunk Phase 1b effect held (simulated)",
            run_power,
            (
                "Trial simulation: SIMULATED 432-patient trials with ORR 29.5% vs 13% (the "
                "Phase 1b 9/24 shrunk by a sceptical prior) and PFS medians 6.2 (Phase 1b) vs "
                "4.0 months.",
            ),
        ),
        DossierRun(
            "Why FORTRESS failed (worked analysis)",
            run_fortress,
            (
                "FORTRESS worked analysis: SIMULATED programmes and trials around the published "
                "Phase 1b (9/24 responses) and FORTRESS (ORR 13.0% vs 13.7%, PFS 3.5 vs 4.0 "
                "months) figures.",
            ),
        ),
    ]
