"""The ORR difference between two arms: Miettinen-Nurminen and Newcombe hybrid score CIs against
the published worked examples (there is no DescTools in Debian's R to run)."""

from __future__ import annotations

import json

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from cxcr4lab.clinical.response import (
    RateDifference,
    ResponseResult,
    miettinen_nurminen,
    rate_difference_ci,
)
from cxcr4lab.core.errors import InputError
from cxcr4lab.runs import KINDS, example_inputs, run_kind

# Newcombe RG (1998) Interval estimation for the difference between independent proportions:
# comparison of eleven methods. Stat Med 17:873-890, Table II, as DescTools' own tests quote it
# (tests/misc.R: BinomDiffCI(..., method = c(..., "mn", "score", ...)), rounded to 4 places):
# method 6 (Miettinen-Nurminen score) and method 10 (Newcombe hybrid score).
NEWCOMBE_TABLE_II = [
    # (x1, n1, x2, n2), MN (method 6), hybrid score (method 10)
    ((56, 70, 48, 80), (0.0528, 0.3382), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1700, 0.8406), (0.1705, 0.8090)),
    ((10, 10, 0, 20), (0.7156, 1.0), (0.6791, 1.0)),
    ((84, 101, 89, 105), (-0.1191, 0.0860), (-0.1177, 0.0851)),
]


@pytest.mark.parametrize(("counts", "mn", "hybrid"), NEWCOMBE_TABLE_II)
def test_miettinen_nurminen_and_newcombe_against_newcombe_1998_table_ii(
    counts: tuple[int, int, int, int],
    mn: tuple[float, float],
    hybrid: tuple[float, float],
) -> None:
    got_mn = rate_difference_ci(*counts, method="miettinen-nurminen")
    got_hybrid = rate_difference_ci(*counts, method="newcombe")
    assert got_mn == pytest.approx(mn, abs=5e-5)  # published to 4 decimals
    assert got_hybrid == pytest.approx(hybrid, abs=5e-5)


def test_miettinen_nurminen_example_4_zero_events_in_both_arms() -> None:
    # Miettinen & Nurminen (1985) Stat Med 4:213, example 4: 0/10 vs 0/20. R sasLM::RDmn1(0, 10,
    # 0, 20) gives -0.1657585 to 0.2843637 (quoted in keaven/gsDesign issue 193; it finds the
    # roots with uniroot's default tolerance, about 1e-4, we bisect to 1e-13).
    lo, hi = miettinen_nurminen(0, 10, 0, 20)
    assert (lo, hi) == (pytest.approx(-0.1657585, abs=5e-5), pytest.approx(0.2843637, abs=5e-5))


def test_statsmodels_score_interval_is_not_mn_here() -> None:
    # Why MN is written out: statsmodels' restricted MLE has count0 where nobs0 belongs
    # (statsmodels issue #10269); its upper bound misses Newcombe's 0.3382 by 0.006.
    _, hi = confint_proportions_2indep(56, 70, 48, 80, method="score", compare="diff")
    assert abs(hi - 0.3382) > 1e-3
    assert miettinen_nurminen(56, 70, 48, 80)[1] == pytest.approx(0.3382, abs=5e-5)


def test_interval_properties() -> None:
    # Swapping the arms mirrors the interval; it holds the estimate; a higher level widens it.
    lo, hi = miettinen_nurminen(21, 161, 22, 161)
    lo2, hi2 = miettinen_nurminen(22, 161, 21, 161)
    assert (lo, hi) == (pytest.approx(-hi2, abs=1e-11), pytest.approx(-lo2, abs=1e-11))
    assert lo < 21 / 161 - 22 / 161 < hi
    wide = miettinen_nurminen(21, 161, 22, 161, level=0.99)
    assert wide[0] < lo and wide[1] > hi
    assert miettinen_nurminen(0, 10, 10, 10)[0] == -1.0
    with pytest.raises(InputError, match="0 <= k <= n"):
        miettinen_nurminen(11, 10, 1, 10)
    with pytest.raises(InputError, match="unknown CI method"):
        rate_difference_ci(1, 10, 2, 10, method="wald")  # type: ignore[arg-type]


def test_response_kind_reports_the_orr_difference() -> None:
    kind = KINDS["response"]
    example = kind.examples[0]
    result = run_kind("response", example_inputs(example), dict(example.options)).result
    assert isinstance(result, ResponseResult)
    d = result.orr_difference
    assert isinstance(d, RateDifference) and d.method == "miettinen-nurminen"
    a, b = result.arms[:2]
    assert (d.arm_a, d.k_a, d.n_a, d.arm_b, d.k_b, d.n_b) == (
        a.arm,
        a.responders,
        a.n,
        b.arm,
        b.responders,
        b.n,
    )
    assert d.difference == pytest.approx(a.orr - b.orr, rel=1e-12)
    assert (d.lower, d.upper) == miettinen_nurminen(d.k_a, d.n_a, d.k_b, d.n_b)
    assert ResponseResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    table = result.difference_table()
    assert table["CI method"].item() == "miettinen-nurminen"
    newcombe = run_kind(
        "response",
        example_inputs(example),
        {**example.options, "difference_ci": "newcombe"},
    ).result
    assert newcombe.orr_difference.method == "newcombe"
    assert (newcombe.orr_difference.lower, newcombe.orr_difference.upper) == pytest.approx(
        rate_difference_ci(d.k_a, d.n_a, d.k_b, d.n_b, method="newcombe"), abs=1e-12
    )
