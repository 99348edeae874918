"""The FORTRESS worked analysis: posterior, selection, scenarios, published figures."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from cxcr4lab.clinical.fortress import (
    FortressResult,
    fortress_analysis,
    km_medians_batch,
    orr_benefit_probability,
)
from cxcr4lab.clinical.survival import kaplan_meier
from cxcr4lab.core.errors import InputError


@pytest.fixture(scope="module")
def result() -> FortressResult:
    return fortress_analysis(replicates=4000, seed=7)


def test_posterior_is_beta_binomial(result: FortressResult) -> None:
    # Jeffreys prior + 9/24 responses -> Beta(9.5, 15.5): mean 0.38
    assert result.posterior_mean == pytest.approx(9.5 / 25, rel=1e-12)
    assert result.posterior_ci[0] == pytest.approx(stats.beta.ppf(0.025, 9.5, 15.5), rel=1e-9)
    # Sceptical prior Beta(4, 16) + 9/24 -> Beta(13, 31): mean 13/44 = 0.2955
    assert result.shrunk_mean == pytest.approx(13 / 44, rel=1e-12)
    assert result.shrunk_ci[1] == pytest.approx(stats.beta.ppf(0.975, 13, 31), rel=1e-9)


def test_phase1b_exact_interval_against_r_binom_test(result: FortressResult) -> None:
    # R: binom.test(9, 24)$conf.int -> 0.1879929 0.5940636 (Clopper-Pearson)
    assert (result.phase1b_responses, result.phase1b_n) == (9, 24)
    lo, hi = result.phase1b_exact_ci
    assert lo == pytest.approx(0.1879929, abs=5e-8) and hi == pytest.approx(0.5940636, abs=5e-8)


def test_published_orr_p_and_null_is_typical(result: FortressResult) -> None:
    assert result.published_orr_p == pytest.approx(1.0, abs=1e-9)  # "p = 1.00"
    null = result.scenarios[-1]
    assert null.name.startswith("Null")
    assert null.p_significant_benefit < 0.05
    # The published -0.62 pp (21/161 - 22/161) sits near the middle of the null distribution ...
    assert 0.3 < null.p_at_most_published < 0.6
    # ... and far in the tail if the Phase 1b effect were real.
    assert result.scenarios[0].p_at_most_published < 0.001
    assert 0.2 < result.null_p_pfs_median_gap_at_least_published < 0.6


def test_selection_regresses_to_the_mean(result: FortressResult) -> None:
    assert result.observed_orr_given_go > result.true_orr_given_go + 0.05
    by_name = {s.name: s for s in result.scenarios}
    face = by_name["Phase 1b at face value (37.5% vs 13%)"]
    selected = by_name["After selection for a good Phase 1b"]
    assert selected.orr_combination < face.orr_combination
    assert selected.p_significant_benefit < face.p_significant_benefit


def test_benefit_probability_against_normal_power() -> None:
    from cxcr4lab.clinical.design import two_proportion_power

    rng = np.random.default_rng(1)
    p, ci, diff, _ = orr_benefit_probability(0.25, 0.13, 161, rng, 20_000)
    # The two-sided power is essentially all in the favourable direction here.
    assert p == pytest.approx(two_proportion_power(0.25, 0.13, 161), abs=0.02)
    assert ci[0] < p < ci[1] and diff == pytest.approx(12.0, abs=0.3)
    with pytest.raises(InputError, match="n per arm"):
        orr_benefit_probability(0.2, 0.1, 0, rng, 10)


def test_km_medians_batch_matches_kaplan_meier() -> None:
    rng = np.random.default_rng(3)
    t = rng.exponential(4.0, (5, 80))
    e = rng.random((5, 80)) < 0.8
    med = km_medians_batch(t, e)
    for i in range(5):
        assert med[i] == kaplan_meier(t[i], e[i].astype(int)).median


def test_published_rates_are_a_scenario(result: FortressResult) -> None:
    published = next(s for s in result.scenarios if s.name.startswith("FORTRESS as published"))
    assert published.orr_combination == 21 / 161 and published.orr_control == 22 / 161
    assert result.published_difference_pct == pytest.approx(100 * (21 - 22) / 161)
    assert published.p_significant_benefit < 0.05 and 0.3 < published.p_at_most_published < 0.7


def test_power_curve_against_power_prop_test(result: FortressResult) -> None:
    from cxcr4lab.clinical.design import two_proportion_power

    assert 161 in result.power_n_per_arm and 216 in result.power_n_per_arm
    modest = next(s for s in result.scenarios if s.name.startswith("Modest"))
    for n in (100, 161, 216, 300):
        # R power.prop.test(n, 0.13, 0.18)'s normal approximation; 4000 trials: SE <= 0.008
        assert result.power_at(modest, n) == pytest.approx(
            two_proportion_power(0.18, 0.13, n), abs=0.035
        )
    assert result.power_at(modest, 161) == modest.p_significant_benefit
    assert result.power_at(modest, 300) > result.power_at(modest, 25) + 0.2
    with pytest.raises(InputError, match="power grid"):
        result.power_at(modest, 17)


def test_difference_histograms_hold_every_trial(result: FortressResult) -> None:
    low, high = result.difference_range
    k = np.arange(low, high + 1)
    for s in result.scenarios:
        counts = np.array(s.difference_counts)
        assert len(counts) == high - low + 1 and counts.sum() == result.replicates
        mean_pp = 100 * float((counts * k).sum()) / counts.sum() / result.n_per_arm
        assert mean_pp == pytest.approx(s.expected_difference_pct, abs=1e-9)


def test_round_trip_and_summary(result: FortressResult) -> None:
    assert FortressResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    table = result.summary()
    assert len(table) == 7 and "true ORR eribulin (%)" in table.columns
    assert "P(benefit, 216/arm = 432 randomised) (%)" in table.columns
    with pytest.raises(InputError, match="replicates"):
        fortress_analysis(replicates=10)
    with pytest.raises(InputError, match="n per arm"):
        fortress_analysis(n_per_arm=0)
