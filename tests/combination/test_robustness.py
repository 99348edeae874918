"""Any sound block is scored without an exception or a warning (warnings are errors in the
tests): drc's fits fall back or give NaN, never raise."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcr4lab.combination.blocks import make_block
from cxcr4lab.combination.reference import score_block
from cxcr4lab.combination.sensitivity import block_sensitivity
from cxcr4lab.combination.uncertainty import bootstrap_block, most_synergistic_area

_response = st.floats(min_value=-100, max_value=200, allow_nan=False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=3, max_value=5),
    st.integers(min_value=3, max_value=5),
    st.data(),
    st.sampled_from(["non", "part", "all"]),
    st.sampled_from(["grid", "exact"]),
)
def test_random_blocks_are_scored(
    rows: int, cols: int, data: st.DataObject, baseline: str, solver: str
) -> None:
    y = np.array(
        data.draw(
            st.lists(
                st.lists(_response, min_size=cols, max_size=cols), min_size=rows, max_size=rows
            )
        )
    )
    dose_r = np.concatenate([[0.0], np.geomspace(0.01, 10, rows - 1)])
    dose_c = np.concatenate([[0.0], np.geomspace(0.1, 100, cols - 1)])
    block = make_block(dose_r, dose_c, y, unit_r="nM", unit_c="uM")
    scores = score_block(block, correct_baseline=baseline, loewe_solver=solver)  # type: ignore[arg-type]
    for m in scores.methods:
        syn = np.array(m.synergy)
        assert np.all(syn[0, :] == 0) and np.all(syn[:, 0] == 0)
        assert math.isfinite(m.score) or math.isnan(m.score)
        if m.method in ("bliss", "hsa"):
            assert math.isfinite(m.score)
    most_synergistic_area(scores, method="bliss")
    block_sensitivity(block)
    bootstrap_block(block, methods=["hsa", "loewe"], iteration=2, seed=0)
