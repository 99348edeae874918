"""The stored Schild experiment (kind ``schild``): pA2 recovers the model's pKb.

References: the Schild regression's slope CI against statsmodels OLS; dose ratios against
Gaddum's equation DR = 1 + [B]/Kb (Gaddum 1957) written out here; the global fit's curve against
the fitting engine's own prediction.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import statsmodels.api as sm

from cxcr4lab.core.errors import InputError
from cxcr4lab.receptor.mechanistic import Cxcr4Model
from cxcr4lab.studies.schild_study import SchildStudy, schild_regression_ci, schild_study

KB = 0.15e-9
PKB = -math.log10(KB)


@pytest.fixture(scope="module")
def study() -> SchildStudy:
    return schild_study(seed=1)


def test_regression_slope_ci_matches_statsmodels_ols() -> None:
    b = np.array([1e-9, 3e-9, 1e-8, 3e-8, 1e-7])
    dr = np.array([7.4, 21.0, 61.0, 225.0, 640.0])
    reg = schild_regression_ci(b, dr)
    assert reg is not None and reg.n == 5
    ols = sm.OLS(np.log10(dr - 1), sm.add_constant(np.log10(b))).fit()
    (_, _), (lo, hi) = ols.conf_int(0.05)
    assert reg.slope == pytest.approx(ols.params[1], rel=1e-12)
    assert reg.slope_lower == pytest.approx(lo, rel=1e-10)
    assert reg.slope_upper == pytest.approx(hi, rel=1e-10)
    assert reg.pa2 == pytest.approx(ols.params[0] / ols.params[1], rel=1e-12)


def test_regression_needs_two_shifted_curves() -> None:
    assert schild_regression_ci([1e-9, 1e-8], [0.9, 5.0]) is None
    two = schild_regression_ci([1e-9, 1e-8], [3.0, 21.0])
    assert two is not None and two.slope_lower is None  # no df left for a CI


def test_noise_free_dose_ratios_follow_gaddum() -> None:
    s = schild_study(noise_pct=0.0, antagonist_molar=(0.3e-9, 3e-9, 30e-9))
    for d in s.dose_ratios:
        assert d.dose_ratio == pytest.approx(1 + d.antagonist_molar / KB, rel=2e-3)
        assert d.gaddum_dose_ratio == pytest.approx(1 + d.antagonist_molar / KB, rel=1e-12)
    assert s.pa2 == pytest.approx(PKB, abs=2e-3)
    assert s.schild_slope == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pa2_ci_contains_the_model_pkb(seed: int) -> None:
    s = schild_study(seed=seed)
    lo, hi = s.pa2_ci
    assert lo is not None and hi is not None and lo < s.pa2 < hi
    assert s.pkb == pytest.approx(PKB, rel=1e-12)
    assert s.pkb_in_ci
    s_lo, s_hi = s.schild_slope_ci
    assert s_lo is not None and s_hi is not None and s_lo <= 1.0 <= s_hi


def test_a_different_kb_and_readout() -> None:
    s = schild_study(
        Cxcr4Model().with_kb(2e-9),
        seed=4,
        readout="perk",
        cell="Namalwa",
        antagonist_molar=(10e-9, 100e-9, 1000e-9),
    )
    assert s.pkb_in_ci and s.pa2 == pytest.approx(-math.log10(2e-9), abs=0.05)


def test_curve_is_the_engine_s_global_fit(study: SchildStudy) -> None:
    engine = study.fit.predict(np.arange(len(study.response), dtype=float))
    mine = [
        study.predict([x], b)[0] for x, b in zip(study.log10_agonist, study.antagonist, strict=True)
    ]
    assert np.allclose(mine, engine, rtol=1e-10, atol=1e-10)


def test_json_round_trip_and_tables(study: SchildStudy) -> None:
    text = json.dumps(study.to_dict(), allow_nan=False)
    again = SchildStudy.from_dict(json.loads(text))
    assert again == study and json.loads(text)["kind"] == "schild"
    assert list(study.dose_ratio_table()["balixafortide (nM)"]) == pytest.approx([0.3, 3, 30])
    table = study.summary()
    assert bool(table.loc[0, "model value in CI"]) and table.loc[0, "model value"] == study.pkb
    (potency,) = study.potencies("#1")
    assert potency.parameter == "Kb" and potency.lower_molar is not None
    assert potency.lower_molar <= KB <= (potency.upper_molar or 0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"antagonist_molar": (3e-9,)}, "antagonist_molar"),
        ({"antagonist_molar": (0.0, 3e-9)}, "antagonist_molar"),
        ({"readout": "calcium"}, "readout"),
        ({"cell": "HeLa"}, "cell"),
        ({"noise_pct": -1.0}, "noise_pct"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError, match=field):
        schild_study(**kwargs)  # type: ignore[arg-type]
