"""3+3, power/sample size and Lan-DeMets boundaries against published values and other tools."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower

from cxcr4lab.clinical.design import (
    BALIXAFORTIDE_LADDER,
    escalation_probability,
    logrank_events,
    logrank_power,
    obf_boundaries,
    obf_spending,
    simulate_three_plus_three,
    three_plus_three,
    two_proportion_n,
    two_proportion_power,
)
from cxcr4lab.core.errors import InputError


def test_escalation_probability_closed_form_and_published_table() -> None:
    p = 0.3
    assert escalation_probability(p) == pytest.approx(
        (1 - p) ** 3 + 3 * p * (1 - p) ** 2 * (1 - p) ** 3
    )
    # Published 3+3 operating characteristics (e.g. Storer 1989; Ivy et al. 2010 Table 1):
    # P(escalate) for true DLT rate 10..60%: 0.91, 0.71, 0.49, 0.31, 0.17, 0.08
    got = [round(escalation_probability(q), 2) for q in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)]
    assert got == [0.91, 0.71, 0.49, 0.31, 0.17, 0.08]


def test_exact_mtd_distribution_by_enumeration_and_monte_carlo() -> None:
    p = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]
    r = three_plus_three(p)
    assert r.doses == BALIXAFORTIDE_LADDER
    assert r.p_no_mtd + sum(r.mtd_probability) == pytest.approx(1.0, abs=1e-12)

    # Brute-force enumeration of every DLT outcome (binomial counts per cohort) per dose.
    def enumerate_mtd(k: int) -> tuple[list[float], float]:
        if k == len(p):
            return [0.0] * len(p) + [1.0], 0.0
        dist = [0.0] * (len(p) + 1)
        patients = 0.0
        for a in range(4):
            pa = stats.binom.pmf(a, 3, p[k])
            for b in range(4) if a == 1 else [None]:
                pb = 1.0 if b is None else stats.binom.pmf(b, 3, p[k])
                n = 3 if b is None else 6
                dlt = a + (b or 0)
                if dlt >= 2:
                    dist[k] += pa * pb  # MTD index k - 1, stored at position k
                    patients += pa * pb * n
                else:
                    sub, sub_n = enumerate_mtd(k + 1)
                    for j, q in enumerate(sub):
                        dist[j] += pa * pb * q
                    patients += pa * pb * (n + sub_n)
        return dist, patients

    dist, patients = enumerate_mtd(0)
    np.testing.assert_allclose([r.p_no_mtd, *r.mtd_probability], dist, atol=1e-12)
    assert r.expected_patients == pytest.approx(patients, rel=1e-12)
    freq, mean_n = simulate_three_plus_three(p, 20_000, seed=3)
    se = np.sqrt(np.array(dist) * (1 - np.array(dist)) / 20_000)
    assert np.all(np.abs(freq - dist) < 4 * se + 1e-9)
    assert mean_n == pytest.approx(patients, rel=0.02)


def test_two_proportions_against_r_power_prop_test() -> None:
    # R: power.prop.test(n = 50, p1 = .50, p2 = .75)      -> power = 0.7401659
    # R: power.prop.test(p1 = .50, p2 = .75, power = .90) -> n = 76.7
    assert two_proportion_power(0.5, 0.75, 50) == pytest.approx(0.7401659, abs=1e-7)
    assert two_proportion_n(0.5, 0.75, power=0.9) == pytest.approx(76.7, abs=0.05)
    n = two_proportion_n(0.13, 0.25, power=0.8)
    assert two_proportion_power(0.13, 0.25, n) == pytest.approx(0.8, abs=1e-9)


def test_schoenfeld_events_against_statsmodels() -> None:
    # D = 4 (z_a + z_b)^2 / log(HR)^2 is twice the per-group n of a two-sample z test with
    # effect size |log HR| (statsmodels NormalIndPower); HR 0.75: 379.4 events (gsDesign nEvents).
    n1 = NormalIndPower().solve_power(effect_size=abs(math.log(0.75)), alpha=0.05, power=0.8)
    assert logrank_events(0.75) == pytest.approx(2 * n1, rel=1e-5)  # solve_power is iterative
    assert logrank_events(0.75) == pytest.approx(379.4, abs=0.1)
    assert logrank_power(0.75, logrank_events(0.75)) == pytest.approx(0.8, abs=1e-12)
    with pytest.raises(InputError, match="hazard ratio"):
        logrank_events(1.0)


@pytest.mark.parametrize(
    ("k", "expected"),
    [(3, [3.710, 2.511, 1.993]), (2, [2.963, 1.969])],
)
def test_lan_demets_obf_against_gsdesign(k: int, expected: list[float]) -> None:
    # gsDesign::gsDesign(k, test.type = 1, alpha = 0.025, sfu = sfLDOF)$upper$bound; rpact agrees
    b = obf_boundaries([(i + 1) / k for i in range(k)], alpha=0.025)
    np.testing.assert_allclose(b, expected, atol=5e-4)


def test_boundaries_spend_alpha_by_multivariate_normal() -> None:
    t = np.array([1 / 3, 2 / 3, 1.0])
    b = obf_boundaries(list(t), alpha=0.025)
    corr = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    # P(no crossing) by scipy's multivariate normal CDF = 1 - alpha.
    p_none = stats.multivariate_normal.cdf(
        np.array(b), mean=np.zeros(3), cov=corr, abseps=1e-7, releps=1e-7
    )
    assert 1 - p_none == pytest.approx(0.025, abs=2e-5)
    assert obf_spending(1.0, 0.025) == pytest.approx(0.025, abs=1e-15)


def test_bad_design_input() -> None:
    with pytest.raises(InputError, match="one DLT probability per dose"):
        three_plus_three([0.1, 0.2])
    with pytest.raises(InputError, match=r"dlt probability at 2.5 mg/kg"):
        three_plus_three([0.1, 1.2, 0.1, 0.1, 0.1, 0.1])
    with pytest.raises(InputError, match="information"):
        obf_boundaries([0.5, 0.4])
    with pytest.raises(InputError, match="equal"):
        two_proportion_n(0.2, 0.2)


def test_escalation_table_and_round_trip() -> None:
    import json

    from cxcr4lab.clinical.design import ThreePlusThree, escalation_table

    table = escalation_table((0.1, 0.2, 0.3, 0.4, 0.5, 0.6))
    # the published P(escalate) row (Storer 1989; Ivy et al. 2010 Table 1)
    assert table["P(escalate)"].round(2).tolist() == [0.91, 0.71, 0.49, 0.31, 0.17, 0.08]
    assert np.allclose(table["P(escalate)"] + table["P(stop: >= 2 DLT)"], 1.0)
    # P(0/3) + P(1/3 then 0/3) is P(escalate); E[patients] = 3 + 3 P(exactly 1 of 3)
    assert np.allclose(table["P(0/3)"] + table["P(1/3, then 0/3)"], table["P(escalate)"])
    p = 0.3
    assert table["E[patients at the dose]"][2] == pytest.approx(
        3 + 3 * stats.binom.pmf(1, 3, p), abs=1e-12
    )
    r = three_plus_three([0.05, 0.05, 0.08, 0.1, 0.15, 0.2])
    assert r.kind == "three_plus_three" and r.potencies() == []
    assert ThreePlusThree.from_dict(json.loads(json.dumps(r.to_dict()))) == r
    with pytest.raises(InputError, match="probability"):
        escalation_table([1.5])
