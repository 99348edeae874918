"""Very large populations in chunks through dask.distributed, keeping only per-subject summaries.

:func:`population_summaries` asks ``make_chunk(lo, hi)`` for the parameters and packed dosing
schedules of subjects ``lo..hi-1`` *on the worker* (so inputs are never all in memory), runs the
compiled kernel on that chunk keeping one observable, and returns per subject its minimum
(nadir), the time of the minimum and the AUC (trapezoids on the output grid) of that
observable, plus the AUC of a second one if asked. With ``bands`` it also returns percentile
bands of the observable over time, from a histogram per output time that every chunk adds to
(a fixed-size running sum, so no trajectory outlives its chunk). A bounded number of chunks is
in flight, so memory is proportional to the chunk size, not to the number of subjects. By
default an in-process ``LocalCluster`` with one worker thread is used (the kernel itself runs
its subjects in parallel with numba); give a scheduler address to use a real cluster.

This module imports dask when it is imported; the rest of :mod:`cxcr4lab.sim` does not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from dask.distributed import Client
from numpy.typing import NDArray

from cxcr4lab.core.cluster import map_chunks
from cxcr4lab.core.errors import InputError
from cxcr4lab.sim.model import Model
from cxcr4lab.sim.solve import run_packed

__all__ = [
    "ChunkMaker",
    "band_edges",
    "band_percentiles",
    "population_summaries",
    "summarize_chunk",
]

Array = NDArray[np.float64]
Packed = tuple[Array, NDArray[np.int64], NDArray[np.int64], Array, NDArray[np.int64]]
#: ``make_chunk(lo, hi) -> (P, packed schedules)`` for subjects lo..hi-1.
ChunkMaker = Callable[[int, int], tuple[Array, Packed]]

_COUNTS = "band_counts"


def band_edges(lower: float, upper: float, bins: int) -> Array:
    """Histogram edges over ``lower..upper``: log-spaced when ``lower > 0``, else linear."""
    if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper) or bins < 1:
        raise InputError(
            f"band range must be finite with lower < upper and bins >= 1; got "
            f"({lower:g}, {upper:g}) with {bins} bins",
            field="band_range",
        )
    if lower > 0:
        return np.geomspace(lower, upper, bins + 1)
    return np.linspace(lower, upper, bins + 1)


def _histogram(v: Array, edges: Array) -> NDArray[np.int64]:
    """Counts per (time, bin) of ``v`` (subjects x times); bin 0 is below the range, the last
    bin above it; NaN (a subject whose integration failed) is not counted."""
    nb = edges.size + 1
    idx = np.searchsorted(edges, v, side="right")  # 0 below, edges.size above
    flat = idx + nb * np.arange(v.shape[1])[None, :]
    return np.bincount(flat[~np.isnan(v)], minlength=nb * v.shape[1]).reshape(v.shape[1], nb)


def band_percentiles(counts: NDArray[np.int64], edges: Array, q: float) -> Array:
    """The ``q``-th percentile at every output time from histogram ``counts`` (times x bins).

    Interpolates within the bin (geometrically for log-spaced edges); NaN where the percentile
    falls below or above the histogram's range.
    """
    total = counts.sum(axis=1)
    target = q / 100.0 * total
    cum = np.cumsum(counts, axis=1)
    j = np.argmax(cum >= target[:, None], axis=1)  # first bin reaching the target
    inside = (j >= 1) & (j <= edges.size - 1)
    k = np.clip(j - 1, 0, edges.size - 2)  # bin j spans edges[j-1]..edges[j]
    before = np.where(j > 0, cum[np.arange(len(j)), np.maximum(j - 1, 0)], 0)
    in_bin = counts[np.arange(len(j)), j]
    frac = np.where(in_bin > 0, (target - before) / np.maximum(in_bin, 1), 0.0)
    lo, hi = edges[k], edges[k + 1]
    value = lo * (hi / lo) ** frac if edges[0] > 0 else lo + (hi - lo) * frac
    return np.where(inside, value, np.nan)


def summarize_chunk(
    model: Model,
    make_chunk: ChunkMaker,
    lo: int,
    hi: int,
    t_out: Array,
    observe: str,
    auc_of: str | None,
    options: dict[str, Any],
    edges: Array | None = None,
) -> dict[str, Any]:
    """Run subjects lo..hi-1 and reduce them to nadir, time of nadir and AUC(s); with
    ``edges`` also the per-time histogram of ``observe`` (key ``band_counts``)."""
    P, packed = make_chunk(lo, hi)
    names = [observe] if auc_of is None or auc_of == observe else [observe, auc_of]
    out, steps = run_packed(model, P, packed, t_out, observe=names, **options)
    v = out[:, 0, :]
    i = np.argmin(v, axis=1)
    res: dict[str, Any] = {
        "nadir": v[np.arange(len(v)), i],
        "time_of_nadir": t_out[i],
        f"auc_{observe}": np.trapezoid(v, t_out, axis=1),
        "steps": steps.astype(float),
    }
    if len(names) == 2:
        res[f"auc_{auc_of}"] = np.trapezoid(out[:, 1, :], t_out, axis=1)
    if edges is not None:
        res[_COUNTS] = _histogram(v, edges)
    return res


def population_summaries(
    model: Model,
    make_chunk: ChunkMaker,
    n: int,
    t_out: Array,
    *,
    observe: str,
    auc_of: str | None = None,
    chunk_size: int = 2_000,
    bands: Sequence[float] = (),
    band_range: tuple[float, float] | None = None,
    band_bins: int = 400,
    scheduler: str | Client | None = None,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> dict[str, Array]:
    """Summaries of ``n`` subjects computed ``chunk_size`` at a time on Dask (see module doc).

    Per subject (length ``n``): ``nadir``, ``time_of_nadir``, ``auc_<observe>``, ``steps`` and
    ``auc_<auc_of>``. Per output time (length ``len(t_out)``), for each percentile ``q`` in
    ``bands``: ``p<q>_<observe>`` (e.g. ``p5_ANC``), read from a ``band_bins``-bin histogram
    over ``band_range`` (log-spaced if its lower end is > 0; resolution one bin, i.e. a
    relative ``(upper/lower)**(1/band_bins) - 1`` for log bins); NaN where the percentile lies
    outside ``band_range``. A subject whose integration failed (``steps`` < 0) has NaN from the
    failure on: its ``nadir`` is NaN and the bands leave it out from then on.
    ``progress(done, n)`` is called after every finished chunk.
    """
    if chunk_size < 1 or n < 1:
        raise InputError("n and chunk_size must be at least 1", field="chunk_size")
    edges: Array | None = None
    if bands:
        if band_range is None:
            raise InputError("bands need band_range=(lower, upper)", field="band_range")
        bad = [q for q in bands if not 0 <= q <= 100]
        if bad:
            raise InputError(f"percentiles must be in 0..100; got {bad[0]:g}", field="bands")
        edges = band_edges(float(band_range[0]), float(band_range[1]), band_bins)
    bounds = [(lo, min(lo + chunk_size, n)) for lo in range(0, n, chunk_size)]
    chunks = [
        (model, make_chunk, lo, hi, t_out, observe, auc_of, options, edges) for lo, hi in bounds
    ]
    counts: NDArray[np.int64] | None = None
    finished = 0

    def fold(i: int, part: dict[str, Any]) -> None:
        """Add a finished chunk's histogram to the total (so no chunk keeps its own)."""
        nonlocal counts, finished
        hist = part.pop(_COUNTS, None)
        if hist is not None:
            counts = hist if counts is None else counts + hist
        finished += bounds[i][1] - bounds[i][0]
        if progress is not None:
            progress(finished, n)

    done = map_chunks(
        summarize_chunk,
        chunks,
        scheduler=scheduler,
        name="cxcr4lab-population",
        done=fold,
        threads_per_worker=1,
    )
    result = {k: np.concatenate([p[k] for p in done]) for k in done[0]}
    if counts is not None and edges is not None:
        for q in bands:
            result[f"p{q:g}_{observe}"] = band_percentiles(counts, edges, q)
    return result
