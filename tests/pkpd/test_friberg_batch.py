"""The vectorised Friberg path against the declared model solved by LSODA, one subject at a time
(:func:`cxcr4lab.sim.simulate` on :func:`~cxcr4lab.pkpd.neutropenia.eribulin_neutropenia_model`,
which integrates the eribulin PK states too)."""

from __future__ import annotations

import numpy as np
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.friberg_batch import friberg_anc, modal_concentration
from cxcr4lab.pkpd.neutropenia import FRIBERG_ERIBULIN, eribulin_neutropenia_model, nadir
from cxcr4lab.pkpd.pk import ERIBULIN_HUMAN
from cxcr4lab.pkpd.pk_batch import DoseChanges, mammillary_matrix
from cxcr4lab.sim import bolus, combine, infusion, simulate

E = dict(zip(ERIBULIN_HUMAN.parameter_names, ERIBULIN_HUMAN.parameter_vector(), strict=True))
SUBJECTS = {  # five patients spanning the population's variability
    "CL": np.array([3.2, 2.0, 4.5, 3.2, 2.6]),
    "V1": np.array([4.0, 3.0, 5.5, 4.0, 6.0]),
    "Circ0": np.array([4.03, 2.5, 6.0, 3.0, 4.0]),
    "MTT": np.array([109.0, 90.0, 130.0, 109.0, 100.0]),
    "gamma": np.array([0.216, 0.18, 0.25, 0.216, 0.2]),
    "SLOPE": np.array([0.0451, 0.09, 0.02, 0.0451, 0.06]),
}
DOSE_MG = np.array([2.5, 2.2, 3.0, 2.5, 2.8])


def _k() -> np.ndarray:
    n = DOSE_MG.size
    q = [np.full(n, E["Q2"]), np.full(n, E["Q3"])]
    v = [np.full(n, E["V2"]), np.full(n, E["V3"])]
    return mammillary_matrix(SUBJECTS["CL"], SUBJECTS["V1"], q, v)


def _reference(i: int, events: object, t: np.ndarray) -> np.ndarray:
    params = {k: float(v[i]) for k, v in SUBJECTS.items()}
    res = simulate(eribulin_neutropenia_model(), events, t, params, rtol=1e-10, atol=1e-12)
    return res["ANC"]


def test_single_dose_nadir_matches_lsoda() -> None:
    t = np.arange(0.0, 21 * 24.0 + 1, 1.0)
    doses = DoseChanges(np.array([24.0]), np.zeros(1, np.int64), DOSE_MG[:, None], np.zeros(1))
    anc = friberg_anc(_k(), SUBJECTS["V1"], doses, SUBJECTS, t)
    for i in range(DOSE_MG.size):
        ref = _reference(i, bolus(float(DOSE_MG[i]), time=24.0), t)
        low, when = nadir(t, anc[i])
        ref_low, ref_when = nadir(t, ref)
        assert low == pytest.approx(ref_low, rel=1e-4)
        assert when == ref_when
        np.testing.assert_allclose(anc[i], ref, rtol=1e-4, atol=1e-5)


def test_two_cycles_with_an_infusion_match_lsoda() -> None:
    t = np.arange(0.0, 2 * 21 * 24.0 + 1, 2.0)
    times = np.array([24.0, 192.0, 528.0, 696.0])
    dur = np.array([0.0, 1.0, 0.0, 1.0])
    doses = DoseChanges(times, np.zeros(4, np.int64), np.repeat(DOSE_MG[:, None], 4, 1), dur)
    anc = friberg_anc(_k(), SUBJECTS["V1"], doses, SUBJECTS, t)
    for i in (0, 1):
        d = float(DOSE_MG[i])
        ev = combine(
            bolus(d, time=24.0), infusion(d, duration=1.0, time=192.0),
            bolus(d, time=528.0), infusion(d, duration=1.0, time=696.0),
        )  # fmt: skip
        np.testing.assert_allclose(anc[i], _reference(i, ev, t), rtol=2e-4, atol=1e-5)


def test_modal_concentration_is_the_closed_form() -> None:
    lam, c = modal_concentration(_k(), SUBJECTS["V1"])
    # just after a unit bolus the central concentration is 1000 / V1 (ug/L per mg)
    np.testing.assert_allclose(c.sum(axis=1), 1000.0 / SUBJECTS["V1"], rtol=1e-12)
    assert np.all(lam < 0)


def test_no_dose_keeps_the_baseline() -> None:
    t = np.array([0.0, 100.0, 500.0])
    anc = friberg_anc(_k(), SUBJECTS["V1"], DoseChanges.empty(5), SUBJECTS, t)
    np.testing.assert_allclose(anc, np.repeat(SUBJECTS["Circ0"][:, None], 3, 1), rtol=1e-12)
    assert FRIBERG_ERIBULIN["Circ0"] == SUBJECTS["Circ0"][0]


def test_bad_input() -> None:
    with pytest.raises(InputError, match="missing Friberg"):
        friberg_anc(_k(), SUBJECTS["V1"], DoseChanges.empty(5), {"MTT": 1.0}, np.array([0.0, 1]))
    bad = {**SUBJECTS, "MTT": -SUBJECTS["MTT"]}
    with pytest.raises(InputError, match="> 0"):
        friberg_anc(_k(), SUBJECTS["V1"], DoseChanges.empty(5), bad, np.array([0.0, 1.0]))
