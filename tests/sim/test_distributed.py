"""Chunked population summaries through Dask equal the direct batch run."""

from __future__ import annotations

import numpy as np

from cxcr4lab.pkpd.neutropenia import eribulin_neutropenia_model
from cxcr4lab.sim import Model, bolus, run_packed, schedules
from cxcr4lab.sim.distributed import population_summaries
from cxcr4lab.sim.events import pack

MODEL = eribulin_neutropenia_model()
T = np.arange(0.0, 24.0 * 21 + 1, 4.0)


def make_chunk(lo: int, hi: int) -> tuple[np.ndarray, tuple]:  # type: ignore[type-arg]
    rng = np.random.default_rng([7, lo])
    P = np.tile(MODEL.parameter_vector(), (hi - lo, 1))
    P[:, MODEL.parameter_names.index("SLOPE")] *= np.exp(rng.normal(0, 0.5, hi - lo))
    base = schedules(bolus(2.5), n_states=len(MODEL.states))[1]
    return P, pack([base] * (hi - lo))


def _direct(model: Model) -> np.ndarray:
    parts = [make_chunk(lo, min(lo + 4, 10)) for lo in range(0, 10, 4)]
    outs = [run_packed(model, P, packed, T, observe=["ANC"])[0][:, 0] for P, packed in parts]
    return np.concatenate(outs)


def test_chunked_summaries_match_direct_run() -> None:
    res = population_summaries(MODEL, make_chunk, 10, T, observe="ANC", auc_of="Ce", chunk_size=4)
    anc = _direct(MODEL)
    np.testing.assert_array_equal(res["nadir"], anc.min(axis=1))
    np.testing.assert_array_equal(res["time_of_nadir"], T[anc.argmin(axis=1)])
    np.testing.assert_allclose(res["auc_ANC"], np.trapezoid(anc, T, axis=1), rtol=1e-12)
    assert res["auc_Ce"].shape == (10,) and (res["auc_Ce"] > 0).all()
