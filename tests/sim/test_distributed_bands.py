"""Streaming percentile bands of population_summaries against numpy on the direct batch run."""

from __future__ import annotations

import numpy as np
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.neutropenia import eribulin_neutropenia_model
from cxcr4lab.sim import bolus, run_packed, schedules
from cxcr4lab.sim.distributed import band_edges, band_percentiles, population_summaries
from cxcr4lab.sim.events import pack

MODEL = eribulin_neutropenia_model()
T = np.arange(0.0, 24.0 * 21 + 1, 12.0)
N = 60


def make_chunk(lo: int, hi: int) -> tuple[np.ndarray, tuple]:  # type: ignore[type-arg]
    rng = np.random.default_rng([11, lo])
    P = np.tile(MODEL.parameter_vector(), (hi - lo, 1))
    for name, sd in (("SLOPE", 0.5), ("Circ0", 0.3)):
        P[:, MODEL.parameter_names.index(name)] *= np.exp(rng.normal(0, sd, hi - lo))
    base = schedules(bolus(2.5), n_states=len(MODEL.states))[1]
    return P, pack([base] * (hi - lo))


def test_bands_bracket_the_empirical_quantile_within_one_bin() -> None:
    """The histogram percentile lies in the bin of the order statistic numpy's 'inverted_cdf'
    percentile picks (the smallest value whose empirical CDF reaches q), at every time."""
    bins, lo_hi = 300, (0.01, 100.0)
    seen: list[tuple[int, int]] = []
    res = population_summaries(
        MODEL, make_chunk, N, T, observe="ANC", chunk_size=25,
        bands=(5, 50, 95), band_range=lo_hi, band_bins=bins,
        progress=lambda done, n: seen.append((done, n)),
    )  # fmt: skip
    assert len(seen) == 3 and seen[-1] == (N, N)  # chunks of 25, 25 and 10
    anc = np.concatenate(
        [
            run_packed(MODEL, *make_chunk(lo, min(lo + 25, N)), T, observe=["ANC"])[0][:, 0]
            for lo in range(0, N, 25)
        ]
    )
    ratio = (lo_hi[1] / lo_hi[0]) ** (1 / bins)
    for q in (5, 50, 95):
        exact = np.percentile(anc, q, axis=0, method="inverted_cdf")
        band = res[f"p{q}_ANC"]
        assert band.shape == T.shape
        np.testing.assert_array_less(band, exact * ratio * (1 + 1e-12))
        np.testing.assert_array_less(exact / ratio, band * (1 + 1e-12))
    assert res["nadir"].shape == (N,)
    np.testing.assert_array_equal(res["nadir"], anc.min(axis=1))


def test_band_outside_the_range_is_nan_and_bad_settings_are_refused() -> None:
    edges = band_edges(1.0, 10.0, 4)
    counts = np.array([[0, 1, 1, 1, 1, 0], [5, 0, 0, 0, 0, 0]])  # second time: all below range
    p50 = band_percentiles(counts, edges, 50)
    assert 1.0 < p50[0] < 10.0 and np.isnan(p50[1])
    with pytest.raises(InputError, match="band_range"):
        population_summaries(MODEL, make_chunk, 2, T, observe="ANC", bands=(50,))
    with pytest.raises(InputError, match="lower < upper"):
        band_edges(5.0, 1.0, 10)
