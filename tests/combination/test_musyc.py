"""MuSyC against the ``synergy`` package (1.0.0, GPL; a test-only dependency).

The package's calls, beside the numbers they gave (measured with these tests' data)::

    from synergy.combination import MuSyC
    MuSyC(**truth).E(d1, d2)                  # the surface: equal to 3.4e-16
    m = MuSyC(); m.fit(d1, d2, E)             # noise-free: the truth to rel 5e-11
    m = MuSyC(fit_gamma=False); m.fit(...)    # the reduced model
    m.fit(d1, d2, E, bootstrap_iterations=B)  # intervals: m.get_confidence_intervals()

On noisy surfaces (sd 0.03, seeds 1-5) our residual sum of squares was never above the
package's (its default-tolerance LM stops 2e-6 to 1.6e-4 above, relative), the parameters
differed by at most 0.075 of their standard errors, and the package started from our estimate
stayed there (identical parameters). The surfaces are made here from stated truths.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pytest

from cxcr4lab.combination.musyc import (
    PARAM_NAMES,
    MusycFit,
    _surface,
    fit_musyc,
    musyc_beta,
    musyc_surface,
)
from cxcr4lab.core.errors import InputError

synergy_combination = pytest.importorskip("synergy.combination")
model_mixins = pytest.importorskip("synergy.utils.model_mixins")

TRUTH = {
    "E0": 1.0,
    "E1": 0.4,
    "E2": 0.2,
    "E3": 0.0,
    "h1": 1.2,
    "h2": 0.8,
    "C1": 0.5,
    "C2": 2.0,
    "alpha12": 2.0,
    "alpha21": 0.5,
    "gamma12": 1.5,
    "gamma21": 0.8,
}
"""Viability falling from 1; beta = (0.2 - 0) / (1 - 0.2) = 0.25."""

DOSES_1 = np.concatenate([[0.0], 0.5 * 3.0 ** np.arange(-3, 4)])
DOSES_2 = np.concatenate([[0.0], 2.0 * 3.0 ** np.arange(-3, 4)])
D1, D2 = (g.ravel() for g in np.meshgrid(DOSES_1, DOSES_2))


def package_fit(e: np.ndarray, **kwargs: Any) -> Any:
    """The package's MuSyC fitted to (D1, D2, e); its curve_fit warnings silenced."""
    fit_gamma = bool(kwargs.pop("fit_gamma", True))
    model = synergy_combination.MuSyC(fit_gamma=fit_gamma)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(D1, D2, e, **kwargs)
    return model


@pytest.fixture
def noisy() -> np.ndarray:
    rng = np.random.default_rng(2)
    return musyc_surface(D1, D2, **TRUTH) + rng.normal(0.0, 0.03, len(D1))


# --- the surface --------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [(1.5, 0.8), (1.0, 1.0)])
def test_surface_is_the_packages(gamma: tuple[float, float]) -> None:
    truth = TRUTH | {"gamma12": gamma[0], "gamma21": gamma[1]}
    theirs = synergy_combination.MuSyC(**truth)
    assert np.max(np.abs(musyc_surface(D1, D2, **truth) - theirs.E(D1, D2))) < 1e-13
    ours = fit_musyc(D1, D2, musyc_surface(D1, D2, **truth))
    assert np.max(np.abs(ours.reference(D1, D2) - theirs.E_reference(D1, D2))) < 1e-9
    assert musyc_beta(1.0, 0.4, 0.2, 0.0) == pytest.approx(theirs.beta, rel=1e-15)


def test_single_drug_edges_are_hill_curves() -> None:
    d = DOSES_1
    e = musyc_surface(d, 0 * d, **TRUTH)
    hill = 1.0 + (0.4 - 1.0) * d**1.2 / (0.5**1.2 + d**1.2)
    assert np.max(np.abs(e - hill)) < 1e-15


@pytest.mark.parametrize("fit_gamma", [True, False])
def test_analytic_jacobian_matches_finite_differences(fit_gamma: bool) -> None:
    logs = [np.log(TRUTH[k]) for k in PARAM_NAMES[4:]]
    theta = np.array([TRUTH[k] for k in PARAM_NAMES[:4]] + logs)
    theta = theta if fit_gamma else theta[:10]
    _, jac = _surface(theta, D1, D2, fit_gamma, True)
    assert jac is not None
    numeric = np.empty_like(jac)
    for k in range(len(theta)):
        step = np.zeros_like(theta)
        step[k] = 1e-6
        up = _surface(theta + step, D1, D2, fit_gamma, False)[0]
        down = _surface(theta - step, D1, D2, fit_gamma, False)[0]
        numeric[:, k] = (up - down) / 2e-6
    assert np.max(np.abs(jac - numeric)) < 1e-8


# --- recovery and agreement ---------------------------------------------------------------------


def test_noise_free_surface_recovers_the_truth_as_the_package_does() -> None:
    e = musyc_surface(D1, D2, **TRUTH)
    ours = fit_musyc(D1, D2, e, drugs=("A", "B"), unit="uM", effect="fraction viable")
    assert ours.converged and not ours.flags
    for name, value in TRUTH.items():
        assert ours.params[name] == pytest.approx(value, rel=1e-10, abs=1e-12), name
    assert ours.beta == pytest.approx(0.25, rel=1e-10)
    theirs = package_fit(e).get_parameters()
    for name, value in TRUTH.items():
        assert theirs[name] == pytest.approx(value, rel=1e-8, abs=1e-10), name


def test_reduced_model_recovers_gamma_one_truth() -> None:
    truth = TRUTH | {"gamma12": 1.0, "gamma21": 1.0}
    e = musyc_surface(D1, D2, **truth)
    ours = fit_musyc(D1, D2, e, fit_gamma=False)
    assert ours.names == PARAM_NAMES[:10]
    assert ours.params["gamma12"] == ours.params["gamma21"] == 1.0
    theirs = package_fit(e, fit_gamma=False).get_parameters()
    for name in PARAM_NAMES[:10]:
        assert ours.params[name] == pytest.approx(truth[name], rel=1e-10, abs=1e-12), name
        assert theirs[name] == pytest.approx(truth[name], rel=1e-8, abs=1e-10), name


@pytest.mark.parametrize("fit_gamma", [True, False])
def test_noisy_surface_agrees_with_the_package(noisy: np.ndarray, fit_gamma: bool) -> None:
    """Same least-squares problem: our optimum is at least as good as the package's (which
    stops up to 1.6e-4 above it), the parameters differ by < 0.1 of their SE, and the package
    started from our estimate stays there (rel 1e-6)."""
    ours = fit_musyc(D1, D2, noisy, fit_gamma=fit_gamma)
    model = package_fit(noisy, fit_gamma=fit_gamma)
    theirs = model.get_parameters()
    assert ours.rss <= model.sum_of_squares_residuals * (1 + 1e-12)
    assert model.sum_of_squares_residuals <= ours.rss * (1 + 1e-3)
    assert ours.r_squared == pytest.approx(model.r_squared, abs=1e-4)
    for name, se in zip(ours.names, ours.stderr, strict=True):
        assert se is not None
        assert abs(ours.params[name] - theirs[name]) < 0.1 * se, name
    again = package_fit(noisy, fit_gamma=fit_gamma, p0=[ours.params[k] for k in ours.names])
    for name, value in again.get_parameters().items():
        assert value == pytest.approx(ours.params[name], rel=1e-6, abs=1e-9), name
    beta = musyc_beta(*(theirs[k] for k in ("E0", "E1", "E2", "E3")))
    assert abs(ours.beta - beta) < 0.1 * (ours.beta_stderr or 0.0)


class _LocalNormal:
    """Stands in for ``scipy.stats.norm`` in the package's bootstrap: draws from a local,
    seeded generator instead of numpy's global state."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def rvs(self, loc: float, scale: float, size: int) -> np.ndarray:
        return self.rng.normal(loc, scale, size)


@pytest.fixture
def seeded_package_bootstrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_mixins, "norm", _LocalNormal(4))


def test_bootstrap_intervals_agree_with_the_package(
    noisy: np.ndarray, seeded_package_bootstrap: None
) -> None:
    """Both bootstraps add normal noise of sd sqrt(RSS / (n - p)) to the fitted surface and
    refit (100 times, different seeded streams): every 95 % endpoint agrees within 0.4 of the
    package's interval width and the widths within a factor 1.6 (Monte Carlo error; measured
    with 200 refits: endpoints within 0.31 of the width, widths 0.69-1.19)."""
    ours = fit_musyc(D1, D2, noisy, ci_method="bootstrap", bootstrap_iterations=100, seed=3)
    assert ours.bootstrap_converged >= 95 and ours.seed == 3
    theirs = package_fit(noisy, bootstrap_iterations=100).get_confidence_intervals()
    for name, (lo, hi) in ours.conf_int().items():
        assert lo is not None and hi is not None
        p_lo, p_hi = theirs[name]
        width = p_hi - p_lo
        assert abs(lo - p_lo) < 0.4 * width and abs(hi - p_hi) < 0.4 * width, name
        assert 1 / 1.6 < (hi - lo) / width < 1.6, name
    alpha12_lower = ours.conf_int()["alpha12"][0]
    assert alpha12_lower is not None and alpha12_lower > 1  # drug 1 makes drug 2 more potent


def test_rising_effect_gives_the_same_synergy() -> None:
    """% inhibition = 100 (1 - viability): the same alpha, gamma, h, C and beta."""
    rng = np.random.default_rng(8)
    viability = musyc_surface(D1, D2, **TRUTH) + rng.normal(0.0, 0.02, len(D1))
    falling = fit_musyc(D1, D2, viability)
    rising = fit_musyc(D1, D2, 100 * (1 - viability), direction="rising")
    for name in PARAM_NAMES[4:]:
        assert rising.params[name] == pytest.approx(falling.params[name], rel=1e-6), name
    for name in PARAM_NAMES[:4]:
        assert rising.params[name] == pytest.approx(100 * (1 - falling.params[name]), rel=1e-6)
    assert rising.beta == pytest.approx(falling.beta, rel=1e-6)
    summary = rising.summary().set_index("parameter")
    assert summary.loc["alpha12", "reading"] == "synergistic"
    assert summary.loc["beta", "reading"] == "synergistic"


def test_asymptotic_intervals_contain_the_truth(noisy: np.ndarray) -> None:
    fit = fit_musyc(D1, D2, noisy)
    assert fit.ci_method == "asymptotic" and fit.seed is None
    for name, (lo, hi) in fit.conf_int().items():
        assert lo is not None and hi is not None
        value = 0.25 if name == "beta" else TRUTH[name]
        assert lo < fit.params[name] < hi and lo < value < hi, name


# --- bad input and serialisation ----------------------------------------------------------------


def test_bad_input_is_one_error_naming_the_drug() -> None:
    e = musyc_surface(D1, D2, **TRUTH)
    keep = (D1 > 0) | (D2 == 0)  # B alone is missing, the untreated point is there
    with pytest.raises(InputError, match=r"curve 'B'.*needs B alone .* has 1"):
        fit_musyc(D1[keep], D2[keep], e[keep], drugs=("A", "B"))
    bad = D1.copy()
    bad[5] = -1.0
    with pytest.raises(InputError, match=r"point 6: dose of A -1 is negative"):
        fit_musyc(bad, D2, e, drugs=("A", "B"))
    few = np.isin(D1, DOSES_1[:3]) & np.isin(D2, DOSES_2[:3])
    with pytest.raises(InputError, match="9 points for 12 parameters"):
        fit_musyc(D1[few], D2[few], e[few])
    with pytest.raises(InputError, match=r"bounds.*no parameter 'E4'"):
        fit_musyc(D1, D2, e, bounds={"E4": (0.0, 1.0)})


def test_bounds_are_honoured(noisy: np.ndarray) -> None:
    fit = fit_musyc(D1, D2, noisy, bounds={"E3": (0.0, 1.0), "gamma21": (0.9, 1.1)})
    assert 0.0 <= fit.params["E3"] <= 1.0
    assert 0.9 - 1e-12 <= fit.params["gamma21"] <= 1.1 + 1e-12


def test_fit_round_trips_through_json(noisy: np.ndarray) -> None:
    fit = fit_musyc(D1, D2, noisy, drugs=("A", "B"), unit="uM", effect="fraction viable")
    text = json.dumps(fit.to_dict(), allow_nan=False)
    assert MusycFit.from_dict(json.loads(text)) == fit
    assert np.allclose(fit.predict(D1, D2), noisy, atol=0.1)
