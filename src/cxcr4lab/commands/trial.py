"""The terminal views of the kinds ``trial``, ``three_plus_three`` and ``fortress``; their
commands, ``cxcr4lab trial simulate`` (power of a two-arm trial), ``cxcr4lab trial 3plus3`` (exact
3+3 escalation) and ``cxcr4lab trial fortress``, are generated from :mod:`cxcr4lab.runs.trial`,
:mod:`cxcr4lab.runs.three_plus_three` and :mod:`cxcr4lab.runs.fortress`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cxcr4lab.clinical.design import ThreePlusThree
    from cxcr4lab.clinical.fortress import FortressResult
    from cxcr4lab.clinical.trials import TrialSimulation

__all__ = ["print_fortress", "print_result", "print_three_plus_three", "print_trial"]


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
