"""Report section of the worked FORTRESS analysis (kind ``fortress``): from the Phase 1b 9/24 to
the Phase 3 result in five steps, with the beliefs about the ORR, the power curve and the
distribution of simulated Phase 3 ORR differences with the published one marked."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from cxcr4lab.clinical.fortress import FortressResult, Scenario
from cxcr4lab.report.figures import to_svg
from cxcr4lab.report.sections._worked import Step, frame_table, render_steps

__all__ = [
    "beliefs_figure",
    "differences_figure",
    "power_figure",
    "render",
]

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#7f7f7f")


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%"


def _ci(pair: tuple[float, float]) -> str:
    return f"{100 * pair[0]:.1f}-{100 * pair[1]:.1f}%"


def _prob(p: float, replicates: int) -> str:
    """A Monte Carlo probability in words; zero hits are stated as such."""
    if p == 0:
        return f"none of {replicates:,} trials"
    return _pct(p, 2 if p < 0.01 else 1)


def beliefs_figure(result: FortressResult) -> Figure:
    """Densities of the ORR: eribulin history, Phase 1b (Jeffreys), sceptical prior, shrunk."""
    r, n = result.phase1b_responses, result.phase1b_n
    a0, b0 = result.programme_prior
    curves = (
        ("eribulin history", result.control_prior, _COLOURS[6]),
        ("Phase 1b, Jeffreys posterior", (0.5 + r, 0.5 + n - r), _COLOURS[0]),
        ("sceptical prior for add-ons", result.programme_prior, _COLOURS[4]),
        ("Phase 1b shrunk (prior + 9/24)", (a0 + r, b0 + n - r), _COLOURS[2]),
    )
    x = np.linspace(0.0, 0.8, 401)
    fig = Figure(figsize=(6.4, 3.4))
    ax = fig.subplots()
    for label, (a, b), colour in curves:
        ax.plot(100 * x, stats.beta.pdf(x, a, b) / 100, color=colour, label=label)
    top = ax.get_ylim()[1]
    lo, hi = result.phase1b_exact_ci
    ax.errorbar(
        [100 * r / n],
        [0.92 * top],
        xerr=[[100 * (r / n - lo)], [100 * (hi - r / n)]],
        fmt="o",
        color="black",
        capsize=3,
        label=f"Phase 1b {r}/{n}, exact 95% CI",
    )
    for value, style in ((13.0, ":"), (13.7, "--")):
        ax.axvline(value, color="#d62728", lw=0.9, ls=style)
    ax.plot([], [], color="#d62728", ls=":", label="FORTRESS 13.0% (comb.) / 13.7% (erib.)")
    ax.set_xlabel("objective response rate (%)")
    ax.set_ylabel("density (per % point)")
    ax.set_xlim(0, 80)
    ax.legend(fontsize=7, frameon=False)
    ax.set_title("What the ORR could be: history, Phase 1b, shrinkage", fontsize=9)
    fig.tight_layout()
    return fig


def power_figure(result: FortressResult) -> Figure:
    """P(significant ORR benefit) against patients per arm, one line per scenario."""
    fig = Figure(figsize=(6.4, 4.6))
    ax = fig.subplots()
    sizes = np.array(result.power_n_per_arm)
    for i, s in enumerate(result.scenarios):
        ax.plot(
            sizes, 100 * np.array(s.power), marker="o", ms=3, color=_COLOURS[i % 7], label=s.name
        )
    half = result.n_randomised // 2
    for x, style, label in (
        (result.n_per_arm, "--", f"{result.n_per_arm}/arm\n(primary)"),
        (half, ":", f"{half}/arm\n({result.n_randomised} rand.)"),
    ):
        ax.axvline(x, color="0.4", lw=0.8, ls=style)
        ax.text(x, 104, label, fontsize=6.5, ha="center", va="bottom")
    ax.axhline(2.5, color="0.6", lw=0.6)
    ax.set_xlabel("patients per arm")
    ax.set_ylabel("P(significant ORR benefit) (%)")
    ax.set_ylim(0, 102)
    ax.legend(fontsize=6.5, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2)
    ax.set_title(
        "Power curve: two-sided 0.05 z test, favouring the combination", fontsize=9, pad=24
    )
    fig.tight_layout()
    return fig


def differences_figure(result: FortressResult, scenarios: tuple[Scenario, ...] = ()) -> Figure:
    """Distribution of simulated Phase 3 ORR differences (pp) per scenario, published marked."""
    chosen = scenarios or result.scenarios
    low = result.difference_range[0]
    fig = Figure(figsize=(6.4, 3.4))
    ax = fig.subplots()
    for s in chosen:
        counts = np.array(s.difference_counts, dtype=float)
        if counts.sum() == 0:
            continue
        pairs = np.add.reduceat(counts, np.arange(0, len(counts), 2))  # 2 responders a bin
        centre = low + 2 * np.arange(len(pairs)) + 0.5
        keep = pairs > 0
        colour = _COLOURS[result.scenarios.index(s) % 7]
        ax.plot(
            100 * centre[keep] / result.n_per_arm,
            100 * pairs[keep] / counts.sum(),
            color=colour,
            lw=1.1,
            label=s.name,
        )
    ax.axvline(result.published_difference_pct, color="black", lw=1.2)
    ax.text(
        result.published_difference_pct,
        ax.get_ylim()[1] * 0.95,
        f" FORTRESS {result.published_difference_pct:.2f} pp",
        fontsize=7,
        va="top",
    )
    ax.axvline(0, color="0.7", lw=0.6)
    ax.set_xlabel(f"observed ORR difference, combination - eribulin (pp), {result.n_per_arm}/arm")
    ax.set_ylabel("simulated trials (%)")
    ax.legend(fontsize=6.5, frameon=False)
    ax.set_title("Where the published FORTRESS result falls", fontsize=9)
    fig.tight_layout()
    return fig


def render(analysis_id: int, title: str, result: FortressResult) -> str:
    r, n = result.phase1b_responses, result.phase1b_n
    a0, b0 = result.programme_prior
    c_a, c_b = result.control_prior
    ctl = stats.beta(c_a, c_b)
    by_name = {s.name.split(" (")[0]: s for s in result.scenarios}
    half = result.n_randomised // 2
    face = result.scenarios[0]
    shrunk = by_name.get("Phase 1b shrunk by a sceptical prior", face)
    selected = by_name.get("After selection for a good Phase 1b", face)
    published = by_name.get("FORTRESS as published", result.scenarios[-1])
    null = result.scenarios[-1]
    reps = result.replicates
    lo, mid, hi = result.null_median_pfs_gap_quantiles
    steps = [
        Step(
            "1. The Phase 1b signal",
            (
                f"Expansion cohort at 5.5 mg/kg with eribulin: {r} of {n} patients responded, "
                f"ORR {_pct(r / n)} (exact Clopper-Pearson 95% CI {_ci(result.phase1b_exact_ci)})."
                f" With a Jeffreys prior the posterior ORR is {_pct(result.posterior_mean)} "
                f"(95% credible interval {_ci(result.posterior_ci)}).",
                f"Eribulin alone in this setting (EMBRACE, Study 301): ORR about "
                f"{_pct(ctl.mean(), 0)}, carried as Beta({c_a:g}, {c_b:g}) (95% interval "
                f"{_pct(ctl.ppf(0.025))}-{_pct(ctl.ppf(0.975))}). At face value the Phase 1b "
                f"promised +{100 * (r / n - ctl.mean()):.1f} percentage points (pp).",
            ),
            figures=(to_svg(beliefs_figure(result)),),
        ),
        Step(
            "2. Shrinkage: the Phase 3 effect to expect",
            (
                f"Add-on therapies rarely double a control's response rate: a sceptical prior "
                f"Beta({a0:g}, {b0:g}) (mean {_pct(a0 / (a0 + b0), 0)}) updated with the same "
                f"{r}/{n} gives Beta({a0 + r:g}, {b0 + n - r:g}): predicted Phase 3 ORR "
                f"{_pct(result.shrunk_mean)} (95% CrI {_ci(result.shrunk_ci)}), "
                f"+{100 * (result.shrunk_mean - ctl.mean()):.1f} pp over eribulin instead of "
                f"+{100 * (r / n - ctl.mean()):.1f} pp.",
            ),
        ),
        Step(
            "3. Selection: regression to the mean",
            (
                f"Among 200,000 simulated programmes with true ORRs drawn from that prior, "
                f"{_pct(result.p_go)} show >= {result.go_threshold}/{n} responses and go on to "
                f"Phase 3. Their Phase 1b showed {_pct(result.observed_orr_given_go)} on average; "
                f"their true ORR is {_pct(result.true_orr_given_go)}: "
                f"{100 * (result.observed_orr_given_go - result.true_orr_given_go):.1f} pp of "
                "the signal that triggered Phase 3 was selection, not drug.",
            ),
        ),
        Step(
            "4. What a Phase 3 would show",
            (
                f"Probability that a trial shows a significant ORR benefit (two-sided 0.05 "
                f"pooled z test, in favour of the combination) with {half} per arm "
                f"({result.n_randomised} randomised): {_pct(result.power_at(face, half))} at "
                f"face value, {_pct(result.power_at(shrunk, half))} after shrinkage, "
                f"{_pct(result.power_at(selected, half))} after selection, "
                f"{_pct(result.power_at(null, half))} if the combination adds nothing. "
                f"With the {result.n_per_arm} per arm of the primary (>= 3rd line) analysis: "
                f"{_pct(shrunk.p_significant_benefit)} after shrinkage "
                f"(Monte Carlo 95% CI {_ci(shrunk.p_significant_benefit_ci)}).",
            ),
            tables=(frame_table(result.summary(), "Scenarios", digits=3),),
            figures=(to_svg(power_figure(result)),),
        ),
        Step(
            "5. FORTRESS as published",
            (
                f"ORR 13.0% vs 13.7% (reconstructed 21/161 vs 22/161, difference "
                f"{result.published_difference_pct:.2f} pp, Fisher p = "
                f"{result.published_orr_p:.2f}). A difference at most this large occurs in "
                f"{_prob(null.p_at_most_published, reps)} of null trials and "
                f"{_prob(published.p_at_most_published, reps)} of trials whose true rates are "
                f"the published ones, but in {_prob(shrunk.p_at_most_published, reps)} if the "
                f"shrunk Phase 1b effect were real and {_prob(face.p_at_most_published, reps)} at "
                f"face value. Under the null, {_pct(result.null_p_orr_p_at_least_published)} of "
                "trials have a z-test p-value at least as large as the published one.",
                f"PFS medians 3.5 vs 4.0 months: with equal true medians (3.75 months; "
                f"{result.n_randomised} patients, accrual 24 months, analysis at 30 months, "
                f"dropout 0.01/month) the two Kaplan-Meier medians differ by >= 0.5 months in "
                f"{_pct(result.null_p_pfs_median_gap_at_least_published)} of trials (quartiles "
                f"of the gap {lo:.2f}, {mid:.2f}, {hi:.2f} months).",
                "So the published figures are what a trial of an inactive add-on typically shows, "
                "and very unlikely if the Phase 1b effect were real, even after discounting it "
                "for shrinkage and selection.",
            ),
            figures=(
                to_svg(differences_figure(result, (face, shrunk, selected, published, null))),
            ),
        ),
    ]
    meta = (
        f"SIMULATED programmes and trials: {reps:,} trials per scenario and size, seed "
        f"{result.seed}; Monte Carlo 95% CIs are Wilson intervals. Published inputs: Phase 1b "
        "(NCT01837095) and FORTRESS (NCT03786094) summaries."
    )
    return render_steps(analysis_id, title, meta, steps)
