"""CD34+ mobilization: the Karpova 2017 fit against scipy's curve_fit, the plateau, the
apheresis yield by hand, the target probability against scipy's log-normal, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import optimize, stats

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.mobilization import (
    DEFAULT_BASELINE,
    ApheresisSettings,
    DoseLevel,
    MobilizationResult,
    apheresis_yield,
    donor_cv_from_sem,
    fit_mobilization,
    karpova_2017,
    probability_reaching_target,
)

# seed_facts.toml [[mobilization]], re-typed here so the shipped TOML is checked against it
SEED = [
    (500, 14.5, 2.1),
    (1000, 25.8, 4.5),
    (1500, 38.2, 2.8),
    (2000, 37.5, 3.9),
    (2500, 38.9, 3.1),
]


# curve_fit's default tolerances (1.5e-8) stop short of the optimum by ~5e-6 relative here
TIGHT = {"ftol": 1e-15, "xtol": 1e-15, "gtol": 1e-15, "maxfev": 20000}


@pytest.fixture(scope="module")
def result() -> MobilizationResult:
    return fit_mobilization()


def test_shipped_table_is_the_seed_table() -> None:
    assert [(lv.dose_ug_per_kg, lv.mean_per_ul, lv.sem_per_ul) for lv in karpova_2017()] == SEED


def test_fit_reproduces_scipy_curve_fit(result: MobilizationResult) -> None:
    d, y, sem = (np.array(c, dtype=float) for c in zip(*SEED, strict=True))
    e0 = DEFAULT_BASELINE

    def model(x: np.ndarray, emax: float, ed50: float, h: float) -> np.ndarray:
        return e0 + emax * x**h / (ed50**h + x**h)

    # weights 1/SEM^2 with the covariance scaled by the residual variance (absolute_sigma=False)
    p, cov = optimize.curve_fit(model, d, y, p0=[40.0, 800.0, 2.0], sigma=sem, **TIGHT)
    ours = [result.params["emax"], result.params["ec50"], result.params["hill"]]
    np.testing.assert_allclose(ours, p, rtol=1e-6)
    se = [result.fit.se[k] for k in ("emax", "ec50", "hill")]
    np.testing.assert_allclose(se, np.sqrt(np.diag(cov)), rtol=1e-5)
    assert result.baseline == e0 and result.fit.se["e0"] is None
    # 95 % CI: t(0.975, 2 df) x SE
    t = stats.t.ppf(0.975, 2)
    lo, hi = result.conf_int()["ec50"]
    assert (lo, hi) == pytest.approx((p[1] - t * se[1], p[1] + t * se[1]), rel=1e-6)


def test_plateau_near_38(result: MobilizationResult) -> None:
    assert 36.0 < result.plateau < 40.0
    assert result.asymptote > result.plateau
    assert 500 < result.ed50 < 1000
    pred = result.predict([1500.0, 2000.0, 2500.0])
    assert np.all((pred > 35) & (pred < 41))


def test_yield_formula_hand_worked() -> None:
    # 38 CD34+/uL x 19.6 L x 1e6 uL/L x 0.5 / 70 kg = 5.32e6 CD34+/kg
    assert apheresis_yield(38.0, processed_l=19.6, efficiency=0.5, weight_kg=70.0) == (
        pytest.approx(5.32e6, rel=1e-12)
    )
    s = ApheresisSettings()  # 4 blood volumes of 70 mL/kg, CE 0.5
    assert s.processed_volume_l(70.0) == pytest.approx(19.6)
    # the peak that just reaches 4e6/kg: 4e6 / (4 x 0.07 L/kg x 1e6 x 0.5) = 28.571 /uL
    assert s.required_peak(70.0) == pytest.approx(4e6 / (4 * 0.07 * 1e6 * 0.5))
    fixed = ApheresisSettings(processed_l=15.0)
    assert fixed.required_peak(80.0) == pytest.approx(4e6 * 80 / (15.0 * 1e6 * 0.5))


def test_result_yield_and_probability(result: MobilizationResult) -> None:
    peak = float(result.predict([2000.0])[0])
    assert result.yield_per_kg(2000.0) == pytest.approx(peak * 19.6 * 1e6 * 0.5 / 70.0)
    # log-normal donor peaks (scipy) with the stated CV
    cv = result.settings.donor_cv_percent / 100
    s = math.sqrt(math.log1p(cv * cv))
    ref = stats.lognorm(s=s, scale=peak / math.sqrt(1 + cv * cv)).sf(28.571428571428573)
    assert result.probability(2000.0) == pytest.approx(ref, rel=1e-9)
    p = [result.probability(d) for d in (500.0, 1000.0, 2000.0)]
    assert p[0] < p[1] < p[2]


def test_probability_by_monte_carlo() -> None:
    s = ApheresisSettings(donor_cv_percent=40.0)
    rng = np.random.default_rng(1)
    cv = 0.4
    sig = math.sqrt(math.log1p(cv * cv))
    peaks = 30.0 * np.exp(rng.normal(-sig * sig / 2, sig, 200_000))
    assert peaks.mean() == pytest.approx(30.0, rel=0.01)
    mc = float(np.mean(peaks >= s.required_peak(70.0)))
    assert probability_reaching_target(30.0, s) == pytest.approx(mc, abs=0.005)
    sure = ApheresisSettings(donor_cv_percent=0.0)
    assert probability_reaching_target(30.0, sure) == 1.0
    assert probability_reaching_target(20.0, sure) == 0.0


def test_donor_cv_from_sem() -> None:
    levels = [DoseLevel(1.0, 10.0, 1.0), DoseLevel(2.0, 20.0, 4.0)]
    # SD = SEM x sqrt(4) -> CVs 0.2 and 0.4 -> RMS sqrt((0.04 + 0.16) / 2)
    assert donor_cv_from_sem(levels, 4) == pytest.approx(100 * math.sqrt(0.1))
    with pytest.raises(InputError, match="n_per_dose"):
        donor_cv_from_sem(levels, [4])


def test_summary_and_round_trip(result: MobilizationResult) -> None:
    s = result.summary()
    assert list(s.columns) == [
        "dose (ug/kg)",
        "observed peak (CD34+/uL)",
        "SEM (CD34+/uL)",
        "predicted peak (CD34+/uL)",
        "95% CI lower (CD34+/uL)",
        "95% CI upper (CD34+/uL)",
        "yield (CD34+ cells/kg)",
        "P(yield >= 4e+06/kg)",
    ]
    assert (s["95% CI lower (CD34+/uL)"] < s["predicted peak (CD34+/uL)"]).all()
    par = result.parameters()
    assert par["parameter"].tolist() == ["E0 (baseline)", "Emax", "ED50", "Hill"]
    assert par["unit"].tolist() == ["CD34+/uL", "CD34+/uL", "ug/kg", "1"]
    d = result.to_dict()
    assert d["kind"] == "mobilization"
    back = MobilizationResult.from_dict(json.loads(json.dumps(d)))
    assert back == result
    assert "NaN" not in json.dumps(d)


def test_fixed_hill_and_user_table() -> None:
    levels = [DoseLevel(d, 2.0 + 40.0 * d / (800.0 + d), 1.0) for d in (250, 500, 1000, 2000, 4000)]
    r = fit_mobilization(levels, hill=1.0)
    assert r.params["emax"] == pytest.approx(40.0, rel=1e-6)
    assert r.ed50 == pytest.approx(800.0, rel=1e-6)
    assert r.source == "user table"


def test_bad_input() -> None:
    with pytest.raises(InputError, match="dose levels"):
        fit_mobilization(karpova_2017()[:3])
    bad = [*karpova_2017()[:4], DoseLevel(2500.0, 38.9, 0.0)]
    with pytest.raises(InputError, match=r"dose level 5.*sem_per_ul"):
        fit_mobilization(bad)
    dup = [*karpova_2017()[:4], DoseLevel(500.0, 10.0, 1.0)]
    with pytest.raises(InputError, match="listed twice"):
        fit_mobilization(dup)
    with pytest.raises(InputError, match="baseline"):
        fit_mobilization(baseline=-1.0)
    with pytest.raises(InputError, match="efficiency"):
        ApheresisSettings(efficiency=1.5)
    with pytest.raises(InputError, match="efficiency"):
        apheresis_yield(30.0, processed_l=10.0, efficiency=0.0, weight_kg=70.0)
    with pytest.raises(InputError, match="weight_kg"):
        apheresis_yield(30.0, processed_l=10.0, efficiency=0.5, weight_kg=0.0)


def test_profile_ci_with_fixed_hill_meets_the_f_threshold() -> None:
    # At each end of the profile CI of Emax, the RSS minimised over ED50 (scipy) equals
    # RSS_min * (1 + F(0.95; 1, dof) / dof).
    r = fit_mobilization(hill=2.35, profile=True)
    prof = r.fit.profile("emax")
    assert prof is not None and prof.lower is not None and prof.upper is not None
    d, y, sem = (np.array(c, dtype=float) for c in zip(*SEED, strict=True))
    threshold = r.fit.rss * (1 + stats.f.ppf(0.95, 1, r.fit.dof) / r.fit.dof)
    for emax in (prof.lower, prof.upper):

        def rss(ed50: float, emax: float = emax) -> float:
            res = (2.0 + emax * d**2.35 / (ed50**2.35 + d**2.35) - y) / sem
            return float(res @ res)

        best = optimize.minimize_scalar(rss, bounds=(100.0, 3000.0), method="bounded")
        assert best.fun == pytest.approx(threshold, rel=1e-5)
    assert prof.lower < r.emax < prof.upper
