"""Virtual populations: omega and correlation reproduced, allometry exact, bands as numpy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.population import (
    MBC_WOMEN,
    CovariateDistribution,
    TypicalParameter,
    omega_from_cv,
    percentile_bands,
    sample_covariates,
    sample_population,
)
from cxcr4lab.pkpd.regimens import bsa_mosteller

CL = TypicalParameter("CL", 10.0, "L/h", cv_percent=30.0, exponent=0.75)
V = TypicalParameter("V", 50.0, "L", omega2=0.04, exponent=1.0)
KA = TypicalParameter("KA", 1.2, "1/h")


def etas(pop: pd.DataFrame, params: list[TypicalParameter]) -> np.ndarray:
    wt = pop["WT"].to_numpy()
    return np.column_stack(
        [np.log(pop[p.name] / (p.value * (wt / 70.0) ** p.exponent)) for p in params]
    )


def test_omega_from_cv_is_the_log_normal_variance() -> None:
    # scipy's log-normal with s^2 = omega^2 has CV = sqrt(exp(s^2) - 1)
    for cv in (10.0, 30.0, 80.0):
        dist = stats.lognorm(s=math.sqrt(omega_from_cv(cv)))
        assert dist.std() / dist.mean() == pytest.approx(cv / 100, rel=1e-12)


def test_sample_variances_match_omega() -> None:
    n = 4000
    pop = sample_population([CL, V, KA], n=n, seed=11)
    e = etas(pop, [CL, V, KA])
    for j, p in enumerate([CL, V]):
        var = e[:, j].var(ddof=1)
        # 99.9 % chi-square interval of a sample variance with n - 1 df
        lo, hi = stats.chi2.ppf([0.0005, 0.9995], n - 1) / (n - 1) * p.variance
        assert lo < var < hi, (p.name, var, p.variance)
        assert abs(e[:, j].mean()) < 4 * math.sqrt(p.variance / n)
    assert np.all(e[:, 2] == 0)  # no variability: exactly the typical value
    # CV of CL at fixed weight: the log-normal CV, 30 %
    cl_norm = pop["CL"] / (pop["WT"] / 70) ** 0.75
    assert cl_norm.std() / cl_norm.mean() == pytest.approx(0.30, abs=0.03)


def test_correlation_is_reproduced() -> None:
    n = 4000
    rho = 0.6
    pop = sample_population([CL, V], n=n, correlation=[[1, rho], [rho, 1]], seed=5)
    e = etas(pop, [CL, V])
    r = np.corrcoef(e.T)[0, 1]
    # Fisher z: SE = 1/sqrt(n - 3); 4 SE
    assert abs(math.atanh(r) - math.atanh(rho)) < 4 / math.sqrt(n - 3)
    omega = np.array(pop.attrs["omega"])
    assert omega[0, 1] == pytest.approx(rho * math.sqrt(CL.variance * V.variance))


def test_allometry_is_exact_without_variability() -> None:
    cov = pd.DataFrame({"ID": [1, 2, 3], "WT": [35.0, 70.0, 140.0], "HT": [150, 165, 180]})
    cl = TypicalParameter("CL", 10.0, "L/h", exponent=0.75)
    v = TypicalParameter("V", 50.0, "L", exponent=1.0)
    pop = sample_population([cl, v], covariates=cov, seed=0)
    assert pop["CL"].tolist() == pytest.approx([10 * 0.5**0.75, 10.0, 10 * 2**0.75], rel=1e-14)
    assert pop["V"].tolist() == pytest.approx([25.0, 50.0, 100.0], rel=1e-14)
    assert pop["BSA"].iloc[1] == pytest.approx(bsa_mosteller(height_cm=165, weight_kg=70))
    assert pop.attrs["units"] == {
        "WT": "kg",
        "HT": "cm",
        "BSA": "m^2",
        "SEX": "1 = female",
        "CL": "L/h",
        "V": "L",
    }


def test_seeded_and_reproducible() -> None:
    a = sample_population([CL, V], n=50, seed=3)
    b = sample_population([CL, V], n=50, seed=3)
    c = sample_population([CL, V], n=50, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a["CL"].equals(c["CL"])


def test_covariates_follow_the_stated_distribution() -> None:
    cov = sample_covariates(5000, MBC_WOMEN, seed=2)
    assert (cov["SEX"] == 1).all()
    gm = math.exp(np.log(cov["WT"]).mean())
    assert gm == pytest.approx(MBC_WOMEN.weight_gm_kg, rel=0.02)
    assert cov["HT"].mean() == pytest.approx(MBC_WOMEN.height_mean_cm, abs=0.5)
    assert cov["HT"].std() == pytest.approx(MBC_WOMEN.height_sd_cm, rel=0.05)
    r = np.corrcoef(np.log(cov["WT"]), cov["HT"])[0, 1]
    assert r == pytest.approx(MBC_WOMEN.rho, abs=0.06)
    assert cov["WT"].between(*MBC_WOMEN.weight_range_kg).all()
    assert "NHANES" in MBC_WOMEN.source
    mixed = sample_covariates(4000, CovariateDistribution(75, 20, 170, 9, female_fraction=0.5))
    assert mixed["SEX"].mean() == pytest.approx(0.5, abs=0.04)


def test_percentile_bands_match_numpy_and_pandas() -> None:
    rng = np.random.default_rng(0)
    values = rng.lognormal(size=(301, 7))
    times = np.arange(7.0)
    bands = percentile_bands(times, values)
    assert list(bands.columns) == ["time", "p5", "p50", "p95"]
    for level in (5, 50, 95):
        expected = pd.DataFrame(values).quantile(level / 100).to_numpy()
        np.testing.assert_allclose(bands[f"p{level}"], expected, rtol=1e-12)
    values[0, 3] = np.nan  # NaN ignored
    assert percentile_bands(times, values)["p50"].iloc[3] == pytest.approx(np.median(values[1:, 3]))


def test_bad_input() -> None:
    with pytest.raises(InputError, match="correlation"):
        sample_population([CL, V], n=5, correlation=[[1, 2], [2, 1]])
    with pytest.raises(InputError, match="positive semi-definite"):
        sample_population(
            [CL, V, KA], n=5, correlation=[[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]
        )
    with pytest.raises(InputError, match="correlation must be 2 x 2"):
        sample_population([CL, V], n=5, correlation=np.eye(3))
    with pytest.raises(InputError, match="row 2, column 'WT'"):
        sample_population([CL], covariates=pd.DataFrame({"ID": [1, 2], "WT": [70, -1]}))
    with pytest.raises(InputError, match="not both"):
        TypicalParameter("CL", 1.0, "L/h", cv_percent=10.0, omega2=0.1)
    with pytest.raises(InputError, match="typical value"):
        TypicalParameter("CL", 0.0, "L/h")
    with pytest.raises(InputError, match="repeated"):
        sample_population([CL, CL], n=3)
    with pytest.raises(InputError, match="give n"):
        sample_population([CL])
    with pytest.raises(InputError, match="one column per time"):
        percentile_bands([0, 1, 2], np.ones((4, 2)))
    with pytest.raises(InputError, match="levels"):
        percentile_bands([0, 1], np.ones((4, 2)), (5, 150))
    with pytest.raises(InputError, match="rho"):
        CovariateDistribution(70, 20, 160, 7, rho=1.0)
