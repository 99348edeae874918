"""Why FORTRESS failed: from the Phase 1b expansion to the Phase 3 result, worked numerically.

The Phase 1b expansion cohort (balixafortide 5.5 mg/kg + eribulin, n = 24, ORR 37.5% = 9/24;
seed facts ``[trial.phase1b]``) looked far better than eribulin's own history (ORR ~11-14% in
EMBRACE and Study 301, third line and later). FORTRESS (``[trial.fortress]``) randomised 432
patients 1:1 and found ORR 13.0% vs 13.7% (p = 1.00, ~165 per arm in the >= 3rd-line primary
analysis) and median PFS 3.5 vs 4.0 months.

The analysis, every number from this module:

1. the Phase 1b ORR 9/24 with its exact (Clopper-Pearson) 95% CI, and a Bayesian beta-binomial
   posterior for the combination's ORR (Jeffreys prior Beta(1/2, 1/2));
2. the control ORR from eribulin's history, Beta(13, 87) (mean 13%, 95% interval ~7-20%);
3. shrinkage: the same 9/24 under a sceptical programme-level prior Beta(4, 16) (mean 20%, an
   add-on that rarely doubles the control) gives Beta(13, 31), the predicted Phase 3 ORR;
4. selection bias: many simulated programmes draw a true combination ORR from that prior, run a
   24-patient expansion, and go to Phase 3 only when it shows >= 9 responses; the true ORR of
   those that go is much lower than what their Phase 1b showed (regression to the mean);
5. for each scenario, the probability that a trial shows a significant ORR benefit (two-sided
   0.05 pooled z test, in favour of the combination), by simulation: at ``n_per_arm`` (the
   primary analysis) and over a grid of sizes up to 432 randomised (216 per arm) and beyond,
   with the distribution of the observed ORR difference at ``n_per_arm``;
6. the published figures as scenarios: true ORRs equal to the published 13.0% vs 13.7%, and the
   null (13% in both arms, equal PFS medians): the published result (reconstructed counts
   21/161 vs 22/161, Fisher p = 1.00; PFS medians 0.5 months apart) sits in the middle of what
   such trials show.

All trial and programme data here are SIMULATED.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from cxcr4lab.clinical.response import clopper_pearson
from cxcr4lab.clinical.trials import ArmSpec, TrialDesign, pooled_z, proportion_ci, simulate_raw
from cxcr4lab.core.errors import InputError
from cxcr4lab.core.serial import Serial

__all__ = [
    "FortressResult",
    "Scenario",
    "fortress_analysis",
    "km_medians_batch",
    "orr_benefit_probability",
]

FloatArray = NDArray[np.float64]

PHASE1B_N = 24
PHASE1B_RESPONSES = 9  # 37.5% of 24
CONTROL_PRIOR = (13.0, 87.0)  # eribulin ORR ~11-14% in EMBRACE / Study 301
PROGRAMME_PRIOR = (4.0, 16.0)
FORTRESS_N = 432  # randomised 1:1
FORTRESS_ORR = (21, 161, 22, 161)  # reconstructed: combination x/n, eribulin x/n
FORTRESS_PFS_MEDIANS = (3.5, 4.0)  # months: combination, eribulin
POWER_GRID = (25, 50, 75, 100, 125, 150, 200, 250, 300)
"""Patients per arm of the power curve (``n_per_arm`` and 216 = 432 / 2 are added)."""


@dataclass(frozen=True)
class Scenario:
    """One assumption about the truth and what a Phase 3 with ``n_per_arm`` would then show.

    ``power[k]`` is P(significant benefit) with ``FortressResult.power_n_per_arm[k]`` patients
    per arm; ``difference_counts[k]`` counts simulated trials whose responders differ (combination
    minus eribulin) by ``FortressResult.difference_range[0] + k`` at ``n_per_arm``."""

    name: str
    orr_combination: float
    orr_control: float
    p_significant_benefit: float
    p_significant_benefit_ci: tuple[float, float]
    expected_difference_pct: float
    p_at_most_published: float
    power: tuple[float, ...]
    difference_counts: tuple[int, ...]


@dataclass(frozen=True)
class FortressResult(Serial):
    """The worked FORTRESS analysis: Phase 1b estimate, shrinkage, selection bias, scenarios.

    ORRs are fractions, differences percentage points (pp), PFS medians months; beta priors are
    (a, b) pairs; every trial and programme behind the probabilities is SIMULATED."""

    kind: ClassVar[str] = "fortress"

    n_per_arm: int
    replicates: int
    seed: int
    phase1b_responses: int
    phase1b_n: int
    phase1b_exact_ci: tuple[float, float]
    posterior_mean: float
    posterior_ci: tuple[float, float]
    control_prior: tuple[float, float]
    programme_prior: tuple[float, float]
    shrunk_mean: float
    shrunk_ci: tuple[float, float]
    go_threshold: int
    p_go: float
    true_orr_given_go: float
    observed_orr_given_go: float
    scenarios: tuple[Scenario, ...]
    power_n_per_arm: tuple[int, ...]
    difference_range: tuple[int, int]
    published_difference_pct: float
    published_orr_p: float
    null_p_orr_p_at_least_published: float
    null_p_pfs_median_gap_at_least_published: float
    null_median_pfs_gap_quantiles: tuple[float, float, float]
    n_randomised: int = FORTRESS_N
    simulated: bool = True

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies here (app protocol)."""
        return []

    def power_at(self, scenario: Scenario, n_per_arm: int) -> float:
        """P(significant benefit) of a scenario with ``n_per_arm`` (a size of the power grid)."""
        if n_per_arm not in self.power_n_per_arm:
            raise InputError(
                f"{n_per_arm} per arm is not on the power grid {list(self.power_n_per_arm)}",
                field="n_per_arm",
            )
        return scenario.power[self.power_n_per_arm.index(n_per_arm)]

    def summary(self) -> pd.DataFrame:
        """The scenario table (percentages carry % in their names)."""
        half = self.n_randomised // 2
        rows = []
        for s in self.scenarios:
            p_all = self.power_at(s, half)
            lo, hi = proportion_ci(round(p_all * self.replicates), self.replicates)
            rows.append(
                {
                    "scenario": s.name,
                    "true ORR combination (%)": 100 * s.orr_combination,
                    "true ORR eribulin (%)": 100 * s.orr_control,
                    f"P(significant ORR benefit, {self.n_per_arm}/arm) (%)": 100
                    * s.p_significant_benefit,
                    "95% MC CI (%)": f"{100 * s.p_significant_benefit_ci[0]:.1f}-"
                    f"{100 * s.p_significant_benefit_ci[1]:.1f}",
                    f"P(benefit, {half}/arm = {self.n_randomised} randomised) (%)": 100 * p_all,
                    "95% MC CI, all randomised (%)": f"{100 * lo:.1f}-{100 * hi:.1f}",
                    "mean observed difference (pp)": s.expected_difference_pct,
                    f"P(difference <= published {self.published_difference_pct:.2f} pp) (%)": 100
                    * s.p_at_most_published,
                }
            )
        return pd.DataFrame(rows)


def _responders(
    orr_combination: FloatArray | float,
    orr_control: FloatArray | float,
    n_per_arm: int,
    rng: np.random.Generator,
    replicates: int,
) -> tuple[FloatArray, FloatArray]:
    """Responders per arm of ``replicates`` simulated trials (true ORRs scalars or draws)."""
    if n_per_arm < 1:
        raise InputError(f"n per arm must be >= 1, got {n_per_arm}", field="n_per_arm")
    th1 = np.broadcast_to(np.asarray(orr_combination, dtype=float), (replicates,))
    th0 = np.broadcast_to(np.asarray(orr_control, dtype=float), (replicates,))
    return (
        rng.binomial(n_per_arm, th1).astype(float),
        rng.binomial(n_per_arm, th0).astype(float),
    )


def _benefit(x1: FloatArray, x0: FloatArray, n_per_arm: int) -> int:
    """Trials significant in favour of the combination (two-sided 0.05 pooled z test)."""
    return int(np.sum(pooled_z(x1, n_per_arm, x0, n_per_arm) > stats.norm.ppf(0.975)))


def _published_difference_pct() -> float:
    return 100 * (FORTRESS_ORR[0] / FORTRESS_ORR[1] - FORTRESS_ORR[2] / FORTRESS_ORR[3])


def orr_benefit_probability(
    orr_combination: FloatArray | float,
    orr_control: FloatArray | float,
    n_per_arm: int,
    rng: np.random.Generator,
    replicates: int,
) -> tuple[float, tuple[float, float], float, float]:
    """P(two-sided 0.05 z test significant in favour of the combination), its Wilson CI, the
    mean observed difference (percentage points) and P(observed difference <= the published
    21/161 - 22/161 = -0.62 pp).

    True ORRs may be scalars or arrays of ``replicates`` draws (predictive probability)."""
    x1, x0 = _responders(orr_combination, orr_control, n_per_arm, rng, replicates)
    wins = _benefit(x1, x0, n_per_arm)
    diff = 100 * (x1 - x0) / n_per_arm
    return (
        wins / replicates,
        proportion_ci(wins, replicates),
        float(diff.mean()),
        float(np.mean(diff <= _published_difference_pct() + 1e-9)),
    )


def km_medians_batch(time: FloatArray, event: NDArray[np.bool_]) -> FloatArray:
    """Kaplan-Meier median per row (continuous times; NaN where S never reaches 0.5)."""
    order = np.argsort(time, axis=1)
    t = np.take_along_axis(time, order, axis=1)
    e = np.take_along_axis(event, order, axis=1)
    n = t.shape[1]
    surv = np.cumprod(1 - e / (n - np.arange(n)), axis=1)
    below = surv <= 0.5
    first = np.argmax(below, axis=1)
    med = t[np.arange(len(t)), first]
    return np.asarray(np.where(below.any(axis=1), med, np.nan), dtype=float)


def _beta_ci(a: float, b: float) -> tuple[float, float]:
    return float(stats.beta.ppf(0.025, a, b)), float(stats.beta.ppf(0.975, a, b))


def fortress_analysis(
    *, n_per_arm: int = 161, replicates: int = 20_000, seed: int = 2019, go_threshold: int = 9
) -> FortressResult:
    """The worked analysis (see the module docstring); seeded, about a second.

    >>> r = fortress_analysis(replicates=200, seed=1)
    >>> r.phase1b_responses, r.phase1b_n, [round(x, 4) for x in r.phase1b_exact_ci]
    (9, 24, [0.188, 0.5941])
    """
    if replicates < 100:
        raise InputError("use at least 100 replicates", field="replicates")
    if n_per_arm < 1:
        raise InputError(f"n per arm must be >= 1, got {n_per_arm}", field="n_per_arm")
    rng = np.random.default_rng(seed)
    exact = clopper_pearson(PHASE1B_RESPONSES, PHASE1B_N)
    a, b = 0.5 + PHASE1B_RESPONSES, 0.5 + PHASE1B_N - PHASE1B_RESPONSES
    post = stats.beta(a, b)
    ctl = stats.beta(*CONTROL_PRIOR)
    shrunk = stats.beta(
        PROGRAMME_PRIOR[0] + PHASE1B_RESPONSES,
        PROGRAMME_PRIOR[1] + PHASE1B_N - PHASE1B_RESPONSES,
    )

    # Selection: programmes with a sceptical prior that go on >= go_threshold / 24 responses.
    progs = rng.beta(*PROGRAMME_PRIOR, size=200_000)
    seen = rng.binomial(PHASE1B_N, progs)
    go = seen >= go_threshold
    true_go = progs[go]

    draws_post = post.rvs(size=replicates, random_state=rng)
    draws_ctl = ctl.rvs(size=replicates, random_state=rng)
    draws_shrunk = shrunk.rvs(size=replicates, random_state=rng)
    draws_sel = rng.choice(true_go, size=replicates)
    base = float(ctl.mean())
    pub1, pub0 = FORTRESS_ORR[0] / FORTRESS_ORR[1], FORTRESS_ORR[2] / FORTRESS_ORR[3]
    specs: list[tuple[str, FloatArray | float, FloatArray | float]] = [
        ("Phase 1b at face value (37.5% vs 13%)", PHASE1B_RESPONSES / PHASE1B_N, base),
        ("Phase 1b posterior vs eribulin history", draws_post, draws_ctl),
        ("Phase 1b shrunk by a sceptical prior", draws_shrunk, draws_ctl),
        ("After selection for a good Phase 1b", draws_sel, draws_ctl),
        ("Modest add-on effect (18% vs 13%)", 0.18, base),
        ("FORTRESS as published (13.0% vs 13.7%)", pub1, pub0),
        ("Null: no added benefit (13% vs 13%)", base, base),
    ]
    half = FORTRESS_N // 2
    grid = tuple(sorted({*POWER_GRID, n_per_arm, half}))
    published = _published_difference_pct()
    raw = []
    for _, t1, t0 in specs:
        x1, x0 = _responders(t1, t0, n_per_arm, rng, replicates)
        power = tuple(
            _benefit(*_responders(t1, t0, m, rng, replicates), m) / replicates
            if m != n_per_arm
            else _benefit(x1, x0, n_per_arm) / replicates
            for m in grid
        )
        raw.append(((x1 - x0).astype(np.int64), power))
    low = int(min(k.min() for k, _ in raw))
    high = int(max(k.max() for k, _ in raw))
    scenarios = []
    for (name, t1, t0), (k, power) in zip(specs, raw, strict=True):
        wins = round(power[grid.index(n_per_arm)] * replicates)
        diff = 100 * k / n_per_arm
        scenarios.append(
            Scenario(
                name=name,
                orr_combination=float(np.mean(t1)),
                orr_control=float(np.mean(t0)),
                p_significant_benefit=wins / replicates,
                p_significant_benefit_ci=proportion_ci(wins, replicates),
                expected_difference_pct=float(diff.mean()),
                p_at_most_published=float(np.mean(diff <= published + 1e-9)),
                power=power,
                difference_counts=tuple(
                    int(c) for c in np.bincount(k - low, minlength=high - low + 1)
                ),
            )
        )

    # The published ORR comparison and how usual it is under the null.
    r1, n1, r0, n0 = FORTRESS_ORR
    published_p = float(stats.fisher_exact([[r1, n1 - r1], [r0, n0 - r0]]).pvalue)
    null_x1, null_x0 = _responders(base, base, n_per_arm, rng, replicates)
    null_p = 2 * stats.norm.sf(np.abs(pooled_z(null_x1, n_per_arm, null_x0, n_per_arm)))
    published_z_p = float(2 * stats.norm.sf(abs(pooled_z(float(r1), n1, float(r0), n0))))
    p_orr = float(np.mean(null_p >= published_z_p - 1e-12))

    # PFS under the null: both arms median 3.75 months, 432 patients, analysis at 30 months.
    common = float(np.mean(FORTRESS_PFS_MEDIANS))
    design = TrialDesign(
        ArmSpec("eribulin", base, (common,)),
        ArmSpec("balixafortide + eribulin", base, (common,)),
        n=FORTRESS_N,
        accrual_months=24.0,
        analysis_months=30.0,
        dropout_per_month=0.01,
    )
    n_pfs = min(replicates, 5000)
    sim = simulate_raw(design, n_pfs, rng)
    n1_cols = round(design.n * design.allocation)
    m1 = km_medians_batch(sim.time[:, :n1_cols], sim.event[:, :n1_cols])
    m0 = km_medians_batch(sim.time[:, n1_cols:], sim.event[:, n1_cols:])
    gap = np.abs(m1 - m0)
    gap_pub = abs(FORTRESS_PFS_MEDIANS[1] - FORTRESS_PFS_MEDIANS[0])
    q = np.nanquantile(gap, [0.25, 0.5, 0.75])
    return FortressResult(
        n_per_arm=n_per_arm,
        replicates=replicates,
        seed=seed,
        phase1b_responses=PHASE1B_RESPONSES,
        phase1b_n=PHASE1B_N,
        phase1b_exact_ci=exact,
        posterior_mean=float(post.mean()),
        posterior_ci=_beta_ci(a, b),
        control_prior=CONTROL_PRIOR,
        programme_prior=PROGRAMME_PRIOR,
        shrunk_mean=float(shrunk.mean()),
        shrunk_ci=_beta_ci(*shrunk.args),
        go_threshold=go_threshold,
        p_go=float(go.mean()),
        true_orr_given_go=float(true_go.mean()),
        observed_orr_given_go=float(seen[go].mean() / PHASE1B_N),
        scenarios=tuple(scenarios),
        power_n_per_arm=grid,
        difference_range=(low, high),
        published_difference_pct=published,
        published_orr_p=published_p,
        null_p_orr_p_at_least_published=p_orr,
        null_p_pfs_median_gap_at_least_published=float(np.nanmean(gap >= gap_pub - 1e-9)),
        null_median_pfs_gap_quantiles=(float(q[0]), float(q[1]), float(q[2])),
    )
