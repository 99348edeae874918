"""Very large populations in chunks through dask.distributed, keeping only per-subject summaries.

:func:`population_summaries` asks ``make_chunk(lo, hi)`` for the parameters and packed dosing
schedules of subjects ``lo..hi-1`` *on the worker* (so inputs are never all in memory), runs the
compiled kernel on that chunk keeping one observable, and returns per subject its minimum
(nadir), the time of the minimum and the AUC (trapezoids on the output grid) of that
observable, plus the AUC of a second one if asked. A bounded number of chunks is in flight, so
memory is proportional to the chunk size. By default an in-process ``LocalCluster`` with one
worker thread is used (the kernel itself runs its subjects in parallel with numba); give a
scheduler address to use a real cluster.

This module imports dask when it is imported; the rest of :mod:`cxcr4lab.sim` does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from dask.distributed import Client, LocalCluster, as_completed
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError
from cxcr4lab.sim.model import Model
from cxcr4lab.sim.solve import run_packed

__all__ = ["ChunkMaker", "population_summaries", "summarize_chunk"]

Array = NDArray[np.float64]
Packed = tuple[Array, NDArray[np.int64], NDArray[np.int64], Array, NDArray[np.int64]]
#: ``make_chunk(lo, hi) -> (P, packed schedules)`` for subjects lo..hi-1.
ChunkMaker = Callable[[int, int], tuple[Array, Packed]]


def summarize_chunk(
    model: Model,
    make_chunk: ChunkMaker,
    lo: int,
    hi: int,
    t_out: Array,
    observe: str,
    auc_of: str | None,
    options: dict[str, Any],
) -> dict[str, Array]:
    """Run subjects lo..hi-1 and reduce them to nadir, time of nadir and AUC(s)."""
    P, packed = make_chunk(lo, hi)
    names = [observe] if auc_of is None or auc_of == observe else [observe, auc_of]
    out, steps = run_packed(model, P, packed, t_out, observe=names, **options)
    v = out[:, 0, :]
    i = np.argmin(v, axis=1)
    res = {
        "nadir": v[np.arange(len(v)), i],
        "time_of_nadir": t_out[i],
        f"auc_{observe}": np.trapezoid(v, t_out, axis=1),
        "steps": steps.astype(float),
    }
    if len(names) == 2:
        res[f"auc_{auc_of}"] = np.trapezoid(out[:, 1, :], t_out, axis=1)
    return res


@contextmanager
def _client(scheduler: str | Client | None) -> Iterator[Client]:
    if isinstance(scheduler, Client):
        yield scheduler
    elif scheduler is None:
        with (
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):
            yield client
    else:
        with Client(scheduler) as client:  # type: ignore[no-untyped-call]
            yield client


def population_summaries(
    model: Model,
    make_chunk: ChunkMaker,
    n: int,
    t_out: Array,
    *,
    observe: str,
    auc_of: str | None = None,
    chunk_size: int = 2_000,
    scheduler: str | Client | None = None,
    **options: Any,
) -> dict[str, Array]:
    """Summaries of ``n`` subjects computed ``chunk_size`` at a time on Dask (see module doc)."""
    if chunk_size < 1 or n < 1:
        raise InputError("n and chunk_size must be at least 1", field="chunk_size")
    bounds = [(lo, min(lo + chunk_size, n)) for lo in range(0, n, chunk_size)]
    parts: list[dict[str, Array] | None] = [None] * len(bounds)
    with _client(scheduler) as client:
        threads: dict[str, int] = client.nthreads()  # type: ignore[no-untyped-call]
        in_flight = max(2, 2 * sum(threads.values()))
        index: dict[object, int] = {}
        queue = iter(range(len(bounds)))
        running = as_completed()  # type: ignore[no-untyped-call]

        def submit(i: int) -> None:
            lo, hi = bounds[i]
            future = client.submit(
                summarize_chunk, model, make_chunk, lo, hi, t_out, observe, auc_of, options,
                pure=False,
            )  # fmt: skip
            index[future.key] = i
            running.add(future)  # type: ignore[no-untyped-call]

        for i in queue:
            submit(i)
            if len(index) >= in_flight:
                break
        for future in running:
            i = index.pop(future.key)
            parts[i] = future.result()
            future.release()
            nxt = next(queue, None)
            if nxt is not None:
                submit(nxt)
    done = [p for p in parts if p is not None]
    return {k: np.concatenate([p[k] for p in done]) for k in done[0]}
