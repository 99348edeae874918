"""No curve makes a built-in model raise: every failure becomes a flag on that curve.

Random curves (flat, noisy, steep, inverted, one point per concentration, huge and tiny values,
blanks) go through :func:`cxcr4lab.fit.batch.fit_table` (the ``fit`` kind's engine) for every
model of the library, and through :func:`cxcr4lab.fit.solve.fit_curve`, which may refuse a data
set it cannot fit at all with an :class:`InputError` naming it, and nothing else.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcr4lab.core.errors import InputError
from cxcr4lab.fit import BUILTIN_MODELS, get_model
from cxcr4lab.fit.batch import fit_table
from cxcr4lab.fit.batch_result import BatchFitResult
from cxcr4lab.fit.solve import fit_curve

MODELS = sorted(BUILTIN_MODELS)
SHAPES = ("flat", "noisy", "steep", "inverted", "sigmoid", "random")


@st.composite
def curves(draw: st.DrawFn) -> pd.DataFrame:
    """One to three curves of 2-12 points, shapes and scales drawn."""
    frames = []
    for c in range(draw(st.integers(1, 3))):
        n = draw(st.integers(2, 12))
        lo = draw(st.floats(-12.0, -3.0))
        step = draw(st.sampled_from([0.0, 0.01, 0.5, 1.0, 2.0]))
        logx = lo + step * np.arange(n)
        shape = draw(st.sampled_from(SHAPES))
        scale = 10.0 ** draw(st.sampled_from([-12, -3, 0, 2, 6, 15, 100]))
        seed = draw(st.integers(0, 2**16))
        rng = np.random.default_rng(seed)
        mid = float(logx.mean())
        hill = {"steep": 50.0, "inverted": -1.0}.get(shape, 1.0)
        with np.errstate(over="ignore"):
            y = 1.0 / (1.0 + 10.0 ** (hill * (logx - mid)))
        if shape == "flat":
            y = np.ones(n)
        noise = {"noisy": 1.0, "random": 10.0}.get(shape, 0.01)
        y = scale * (y + noise * rng.standard_normal(n))
        if draw(st.booleans()):
            y[rng.integers(0, n)] = np.nan  # a blank response
        frames.append(
            pd.DataFrame({"curve_id": f"c{c}", "concentration": 10.0**logx, "response": y})
        )
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("model", MODELS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=curves())
def test_the_batch_fit_flags_and_never_raises(model: str, data: pd.DataFrame) -> None:
    out = fit_table(data, model, engine="numpy", inference=True, ed=(10.0, 90.0))
    assert list(out["curve_id"]) == list(dict.fromkeys(data["curve_id"]))
    assert not out.columns.duplicated().any()
    stored = BatchFitResult.from_table(out, source="t.csv", model=model, unit="M")
    assert len(stored.table()) == len(out)
    for _, row in out.iterrows():
        if not row["converged"]:
            assert row["flags"], row  # a failure is said, never silent


@pytest.mark.parametrize("model", MODELS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=curves())
def test_a_single_fit_refuses_with_input_error_only(model: str, data: pd.DataFrame) -> None:
    m = get_model(model)
    part = data[data["curve_id"] == "c0"].dropna()
    conc = part["concentration"].to_numpy()
    x = np.log10(conc) if m.x_is_log10 else conc
    try:
        result = fit_curve(m, x, part["response"].to_numpy())
    except InputError:
        return
    assert isinstance(result.converged, bool)
