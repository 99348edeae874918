"""Response rates against R (binom.test, fisher.test, mantelhaen.test) and the examples."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from cxcr4lab.clinical.cdisc import read_clinical_bytes, validate_adrs, validate_adsl
from cxcr4lab.clinical.response import (
    ResponseResult,
    clopper_pearson,
    cmh_test,
    counts_for_percentage,
    fisher_test,
    reconstruct_counts,
    response_rates,
)
from cxcr4lab.core.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "clinical"


def test_clopper_pearson_against_r_binom_test() -> None:
    # R: binom.test(7, 20)$conf.int -> 0.1539092 0.5921885
    assert clopper_pearson(7, 20) == pytest.approx((0.1539092, 0.5921885), abs=1e-7)
    # R: binom.test(682, 925)$conf.int -> 0.7076683 0.7654066 (R's documented example)
    assert clopper_pearson(682, 925) == pytest.approx((0.7076683, 0.7654066), abs=1e-7)
    for k, n in ((0, 10), (10, 10), (16, 54), (3, 165)):
        assert clopper_pearson(k, n) == pytest.approx(
            proportion_confint(k, n, method="beta"), abs=1e-12
        )
    with pytest.raises(InputError, match="counts"):
        clopper_pearson(5, 4)


def test_fisher_against_r_tea_tasting_and_convictions() -> None:
    # R: fisher.test(matrix(c(3, 1, 1, 3), 2)) -> p = 0.4857, odds ratio 6.408309,
    # 95 percent CI 0.2117329 621.9337505 (R's uniroot stops early on the upper bound)
    tea = fisher_test([[3, 1], [1, 3]])
    assert tea.p_value == pytest.approx(0.4857, abs=1e-4)
    assert tea.odds_ratio == pytest.approx(6.408309, rel=1e-5)
    assert tea.ci_low == pytest.approx(0.2117329, rel=1e-4)
    assert tea.ci_high == pytest.approx(621.9337505, rel=1e-2)
    # R: fisher.test(matrix(c(2, 10, 15, 3), 2)) (Convictions) -> p = 0.0005367,
    # odds ratio 0.04693661, 95 percent CI 0.003325764 0.363182271
    conv = fisher_test([[2, 15], [10, 3]])
    assert conv.p_value == pytest.approx(0.0005367, rel=1e-3)
    assert conv.odds_ratio == pytest.approx(0.04693661, rel=1e-5)
    # R's bounds come from uniroot at its default tolerance (eps^0.25 ~ 1.2e-4)
    assert conv.ci_low == pytest.approx(0.003325764, abs=1.3e-4)
    assert conv.ci_high == pytest.approx(0.363182271, rel=1e-3)
    with pytest.raises(InputError, match="2x2"):
        fisher_test([[1, 2, 3], [4, 5, 6]])


def test_cmh_against_r_rabbits() -> None:
    # R: mantelhaen.test(Rabbits) -> Mantel-Haenszel X-squared = 3.9286, df = 1,
    # p-value = 0.04747; common odds ratio 7, 95 percent CI 1.026713 47.725133
    rabbits = [
        [[0, 6], [0, 5]],
        [[3, 3], [0, 6]],
        [[6, 0], [2, 4]],
        [[5, 1], [6, 0]],
        [[2, 0], [5, 0]],
    ]
    m = cmh_test(rabbits, ["1/8", "1/4", "1/2", "1", "4"])
    assert m.statistic == pytest.approx(3.9286, abs=1e-4)
    assert m.p_value == pytest.approx(0.04747, abs=1e-5)
    assert m.odds_ratio == pytest.approx(7.0, rel=1e-12)
    assert (m.ci_low, m.ci_high) == pytest.approx((1.026713, 47.725133), rel=1e-6)


def test_reconstruct_counts_from_published_percentages() -> None:
    assert counts_for_percentage(29.6, 54) == [16]  # phase 1b: 29.6 % of 54 evaluable
    assert counts_for_percentage(37.5, 24) == [9]
    assert counts_for_percentage(63, 24, decimals=0) == [15]
    # FORTRESS: 13.0 % vs 13.7 %, p = 1.00, about 165 per arm
    found = reconstruct_counts(13.0, range(155, 176), 13.7, range(155, 176), p_value=1.0)
    assert found[0].p_value == pytest.approx(1.0)
    assert all(round(100 * c.k_a / c.n_a, 1) == 13.0 for c in found)
    assert any((c.k_a, c.n_a, c.k_b, c.n_b) == (21, 162, 23, 168) for c in found)
    with pytest.raises(InputError, match="no integer counts"):
        reconstruct_counts(50.0, 3, 10.0, 3)


def _read(name: str) -> pd.DataFrame:
    return read_clinical_bytes((EXAMPLES / name).read_bytes(), name)[0]


def test_simulated_trials_reproduce_published_rates() -> None:
    sl = validate_adsl(_read("fortress_adsl.csv"), "adsl")
    rs = validate_adrs(_read("fortress_adrs.csv"), "adrs", adsl=sl)
    r = response_rates(rs, sl[sl["EFFFL"] == "Y"], stratum="STRAT1")
    combo, eri = r.arms
    assert (combo.n, combo.responders, round(100 * combo.orr, 1)) == (162, 21, 13.0)
    assert (eri.n, eri.responders, round(100 * eri.orr, 1)) == (168, 23, 13.7)
    assert (round(100 * combo.cbr, 1), round(100 * eri.cbr, 1)) == (16.7, 19.6)
    assert r.fisher_orr is not None and r.fisher_orr.p_value > 0.8
    assert r.cmh_orr is not None and r.cmh_orr.p_value > 0.5
    sl1 = validate_adsl(_read("phase1b_adsl.csv"), "adsl")
    eff = sl1[sl1["EXPFL"] == "Y"]
    r1 = response_rates(validate_adrs(_read("phase1b_adrs.csv"), "adrs", adsl=sl1), eff)
    (arm,) = r1.arms
    assert (arm.n, arm.responders, round(arm.cbr * 24)) == (24, 9, 15)  # 62.5 %, "63 %"
    assert arm.orr_ci == pytest.approx(proportion_confint(9, 24, method="beta"))


def test_result_round_trips_through_json() -> None:
    sl = validate_adsl(_read("phase1b_adsl.csv"), "adsl")
    eff = sl[sl["EFFFL"] == "Y"]
    r = response_rates(validate_adrs(_read("phase1b_adrs.csv"), "adrs", adsl=sl), eff)
    back = ResponseResult.from_dict(json.loads(json.dumps(r.to_dict(), allow_nan=False)))
    assert back == r
    cols = r.summary().columns
    assert "ORR (%)" in cols and "ORR 95% CI low (%)" in cols


def test_cbr_needs_sd_for_24_weeks_and_itt_counts_missing_as_ne() -> None:
    sl = validate_adsl(pd.DataFrame({"USUBJID": ["a", "b", "c"], "ARM": ["X"] * 3}), "adsl")
    rs = validate_adrs(
        pd.DataFrame(
            {
                "USUBJID": ["a", "a", "b", "b"],
                "PARAMCD": ["OVR"] * 4,
                "AVALC": ["SD", "SD", "SD", "PD"],
                "ADY": [42, 168, 42, 126],
            }
        ),
        "adrs",
        adsl=sl,
    )
    r = response_rates(rs, sl)
    assert [s.bor for s in r.subjects] == ["SD", "SD", "NE"]
    assert [s.benefit for s in r.subjects] == [True, False, False]
    assert r.arms[0].cbr == pytest.approx(1 / 3)
    with pytest.raises(InputError, match="not in ADSL"):
        response_rates(rs, sl, by="COHORT")
