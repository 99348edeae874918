"""Exact population PK on a grid (matrix exponential) against the ODE engine's own paths.

References: :func:`cxcr4lab.sim.system_matrix` (the engine reads K from the declared model),
:func:`cxcr4lab.sim.simulate_analytic` (eigen-superposition) and scipy's LSODA through
:func:`cxcr4lab.sim.simulate`; and the PK identity AUC(0-inf) = dose / CL for any linear model
with elimination from the central compartment only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.pk import BALIXAFORTIDE_HUMAN, ERIBULIN_HUMAN
from cxcr4lab.pkpd.pk_batch import (
    DoseChanges,
    dose_changes,
    grid_states,
    mammillary_matrix,
    with_auc,
    with_effect_compartment,
)
from cxcr4lab.sim import (
    Model,
    Output,
    Parameter,
    State,
    combine,
    infusion,
    simulate,
    simulate_analytic,
    system_matrix,
)

PARAMS = pd.DataFrame(
    {"ID": [1, 2, 3], "CL": [1.2, 0.8, 2.0], "V1": [5.0, 4.0, 7.5], "Q2": [5.0, 3.0, 6.0],
     "V2": [10.0, 12.0, 8.0], "KEO": [0.35, 0.9, 0.1]}
)  # fmt: skip

EFFECT = Model(
    "balixafortide_effect",
    states=(State("A1", "mg"), State("A2", "mg"), State("Ce", "mg/L")),
    parameters=(
        Parameter("CL", 1.2, "L/h"),
        Parameter("V1", 5.0, "L"),
        Parameter("Q2", 5.0, "L/h"),
        Parameter("V2", 10.0, "L"),
        Parameter("KEO", 0.35, "1/h"),
    ),
    equations={
        "A1": "-(CL/V1)*A1 - (Q2/V1)*A1 + (Q2/V2)*A2",
        "A2": "(Q2/V1)*A1 - (Q2/V2)*A2",
        "Ce": "KEO*(A1/V1 - Ce)",
    },
    outputs=(Output("Cp", "A1/V1", "mg/L"),),
)


def _k(p: pd.DataFrame) -> np.ndarray:
    c = {k: p[k].to_numpy(float) for k in p.columns}
    K = mammillary_matrix(c["CL"], c["V1"], [c["Q2"]], [c["V2"]])
    return with_effect_compartment(K, c["V1"], c["KEO"])


def test_mammillary_matrix_is_the_engines_matrix() -> None:
    for model in (BALIXAFORTIDE_HUMAN, ERIBULIN_HUMAN):
        v = dict(zip(model.parameter_names, model.parameter_vector(), strict=True))
        n = 1 + sum(1 for k in v if k.startswith("Q"))
        q = [np.array([v[f"Q{k}"]]) for k in range(2, n + 1)]
        vols = [np.array([v[f"V{k}"]]) for k in range(2, n + 1)]
        K = mammillary_matrix(np.array([v["CL"]]), np.array([v["V1"]]), q, vols)[0]
        np.testing.assert_allclose(K, system_matrix(model, model.parameter_vector()), rtol=1e-14)


def test_infusions_and_effect_site_match_the_analytic_engine() -> None:
    events = combine(
        infusion(385.0, duration=2.0, time=0.0, id=1),
        infusion(385.0, duration=2.0, time=24.0, id=1),
        infusion(385.0, duration=2.0, time=48.0, id=1),
    )
    t = np.arange(0.0, 120.0, 0.5)
    ref = simulate_analytic(EFFECT, events, t, PARAMS)
    doses = DoseChanges(
        np.array([0.0, 24.0, 48.0]), np.zeros(3, np.int64), np.full((3, 3), 385.0), np.full(3, 2.0)
    )
    y = grid_states(_k(PARAMS), doses, t)
    v1 = PARAMS["V1"].to_numpy()[:, None]
    np.testing.assert_allclose(y[:, 0, :] / v1, ref.values["Cp"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(y[:, 2, :], ref.values["Ce"], rtol=1e-9, atol=1e-12)


def test_keo_equal_to_a_disposition_rate_stays_exact() -> None:
    # one compartment with keo = CL/V: a defective matrix, where eigen-superposition fails
    K = with_effect_compartment(mammillary_matrix(np.array([5.0]), np.array([50.0])), [50.0], 0.1)
    doses = DoseChanges(np.zeros(1), np.zeros(1, np.int64), np.array([[100.0]]), np.zeros(1))
    t = np.array([0.0, 5.0, 10.0, 30.0])
    ce = grid_states(K, doses, t)[0, 1]
    # closed form for equal rates: Ce = C0 k t exp(-k t)
    np.testing.assert_allclose(ce, 2.0 * 0.1 * t * np.exp(-0.1 * t), rtol=1e-12, atol=1e-15)


def test_auc_state_gives_dose_over_clearance() -> None:
    c = {k: PARAMS[k].to_numpy(float) for k in PARAMS.columns}
    K = with_auc(mammillary_matrix(c["CL"], c["V1"], [c["Q2"]], [c["V2"]]), c["V1"])
    doses = DoseChanges(np.zeros(1), np.zeros(1, np.int64), np.full((3, 1), 100.0), np.full(1, 2.0))
    y = grid_states(K, doses, np.array([0.0, 1.0, 2.0, 1000.0]))
    np.testing.assert_allclose(y[:, 2, -1], 100.0 / c["CL"], rtol=1e-10)


def test_agrees_with_lsoda_for_one_subject() -> None:
    ev = combine(infusion(200.0, duration=1.5, time=3.0), infusion(100.0, duration=0.5, time=30.0))
    t = np.arange(0.0, 72.0, 0.25)
    ref = simulate(EFFECT, ev, t, {"KEO": 0.5}, rtol=1e-11, atol=1e-13)
    p = PARAMS.iloc[[0]].assign(KEO=0.5)
    doses = DoseChanges(
        np.array([3.0, 30.0]), np.zeros(2, np.int64), np.array([[200.0, 100.0]]),
        np.array([1.5, 0.5]),
    )  # fmt: skip
    y = grid_states(_k(p), doses, t)
    np.testing.assert_allclose(y[0, 2], ref["Ce"], rtol=1e-7, atol=1e-9)


def test_dose_changes_from_records() -> None:
    ev = pd.DataFrame(
        {"ID": [2, 2, 1, 1], "TIME": [0.0, 24.0, 0.0, 24.0], "AMT": [10.0, 10.0, 20.0, 20.0],
         "RATE": [5.0, 5.0, 10.0, 10.0]}
    )  # fmt: skip
    d = dose_changes(ev, [1, 2])
    assert d.time.tolist() == [0.0, 24.0] and d.duration.tolist() == [2.0, 2.0]
    assert d.amount.tolist() == [[20.0, 20.0], [10.0, 10.0]]
    shifted = ev.assign(TIME=[0.0, 25.0, 0.0, 24.0])
    with pytest.raises(InputError, match="same times"):
        dose_changes(shifted, [1, 2])


def test_bad_input() -> None:
    with pytest.raises(InputError, match="> 0"):
        mammillary_matrix(np.array([1.0]), np.array([0.0]))
    with pytest.raises(InputError, match="one entry per dose"):
        DoseChanges(np.zeros(2), np.zeros(1, np.int64), np.zeros((1, 2)), np.zeros(2))
    with pytest.raises(InputError, match=">= 0 mg"):
        DoseChanges(np.zeros(1), np.zeros(1, np.int64), -np.ones((1, 1)), np.zeros(1))
    K = mammillary_matrix(np.array([1.0]), np.array([1.0]))
    with pytest.raises(InputError, match="increasing"):
        grid_states(K, DoseChanges.empty(1), np.array([1.0, 0.5]))
