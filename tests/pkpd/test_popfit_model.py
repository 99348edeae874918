"""The closed-form population PK predictions (``pkpd.popfit_model``): the analytic Jacobian
equals central differences of the prediction for every model, with bolus, infusion and
absorbed doses, repeated doses, a lag past some samples, and ka equal to a disposition rate.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cxcr4lab.pkpd.popfit_data import PopData, read_population
from cxcr4lab.pkpd.popfit_model import MODEL_NAMES, pk_prediction, pk_spec

# two subjects: subject 1 gets a bolus then an infusion (iv models) or two absorbed doses
# (oral models, CMT 1); subject 2 one dose; samples before, during and after the infusion,
# and at 0.1 h (before a 0.3 h lag)
TIMES = [0.1, 0.5, 1.0, 2.5, 4.0, 8.0, 12.5, 13.0, 24.0]


def _frame(oral: bool) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    for sid, doses in ((1, [(0.0, 100.0, 0.0), (12.0, 80.0, 40.0)]), (2, [(0.0, 50.0, 0.0)])):
        for t, amt, rate in doses:
            rate = 0.0 if oral else rate
            rows.append({"ID": sid, "TIME": t, "AMT": amt, "RATE": rate, "EVID": 1, "MDV": 1,
                         "CMT": 1, "DV": "."})  # fmt: skip
        for t in TIMES:
            rows.append({"ID": sid, "TIME": t, "AMT": ".", "RATE": ".", "EVID": 0, "MDV": 0,
                         "CMT": 2 if oral else 1, "DV": 1.0})  # fmt: skip
    frame = pd.DataFrame(rows).sort_values(["ID", "TIME", "EVID"], ascending=[True, True, False])
    return frame.astype(str)


def _data(oral: bool) -> PopData:
    return read_population(_frame(oral), source="doses.csv", depot_model=oral)


DATA = {False: _data(False), True: _data(True)}
TYPICAL = {"CL": 3.0, "V": 20.0, "V1": 10.0, "Q": 5.0, "V2": 30.0, "Q2": 4.0, "Q3": 1.0,
           "V3": 60.0, "ka": 1.2, "tlag": 0.3}  # fmt: skip


@settings(max_examples=12, deadline=None)
@given(name=st.sampled_from(MODEL_NAMES), seed=st.integers(0, 2**16), tie=st.booleans())
def test_analytic_jacobian_equals_central_differences(name: str, seed: int, tie: bool) -> None:
    spec = pk_spec(name)
    data = DATA[spec.oral]
    model = pk_prediction(spec, data, 1.0)
    rng = np.random.default_rng(seed)
    n = data.n_obs
    phi = np.array([TYPICAL[p] for p in spec.param_names]) * np.exp(
        0.3 * rng.standard_normal((n, len(spec.param_names)))
    )
    if tie and spec.structure.n_cmt == 1 and spec.oral:
        phi[:, 2] = phi[:, 0] / phi[:, 1]  # ka = CL / V exactly
    x = np.arange(n, dtype=float)[:, None]
    analytic = model.jacobian(phi, x)
    f, both = model.predict_and_jacobian(phi, x)
    numeric = replace(model, jac=None, f_and_jac=None).jacobian(phi, x)
    np.testing.assert_array_equal(both, analytic)
    np.testing.assert_allclose(f, model.predict(phi, x), rtol=1e-13, atol=0.0)
    assert np.all(np.isfinite(analytic))
    scale = np.max(np.abs(numeric), axis=0)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-7 * float(np.max(scale)))


def test_tie_and_lag_values() -> None:
    """At ka = k the 1-compartment oral response is ``D ka t exp(-k t) / V`` and its ka
    derivative is finite; before the lag time everything is 0."""
    data = DATA[True]
    model = pk_prediction(pk_spec("1cmt-oral-lag"), data, 1.0)
    k, v, lag = 0.15, 20.0, 0.3
    phi = np.tile([k * v, v, k, lag], (data.n_obs, 1))
    x = np.arange(data.n_obs, dtype=float)[:, None]
    f = model.predict(phi, x)
    first = data.obs_subject == 1  # subject 2: one 50 mg dose at 0
    t = data.obs_time[first] - lag
    expect = np.where(t >= 0, 50.0 * k * np.maximum(t, 0) * np.exp(-k * np.maximum(t, 0)) / v, 0)
    np.testing.assert_allclose(f[first], expect, rtol=1e-12)
    jac = model.jacobian(phi, x)
    assert np.all(np.isfinite(jac)) and np.all(jac[data.obs_time < lag] == 0.0)
