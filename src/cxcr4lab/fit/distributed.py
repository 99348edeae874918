"""Batch fits beyond one process: chunks of curves through dask.distributed.

:func:`fit_many_dask` cuts the padded arrays into chunks of ``chunk_size`` curves, fits each
chunk with :func:`~cxcr4lab.fit.batch.fit_many` on a Dask worker and concatenates the results in
the original order. By default it starts an in-process ``LocalCluster`` (threads: numpy releases
the GIL in the heavy loops); give a scheduler address (``"tcp://host:8786"``) or a running
``Client`` to use a real cluster. Only a bounded number of chunks is in flight at once, so memory
stays proportional to the chunk size, not to the number of curves, apart from the inputs and
the per-curve results themselves (about 300 bytes per curve for the 4PL).

This module imports dask when it is imported; the rest of :mod:`cxcr4lab.fit` does not.
"""

from __future__ import annotations

from dask.distributed import Client
from numpy.typing import ArrayLike
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cxcr4lab.core.cluster import local_client, map_chunks
from cxcr4lab.core.errors import InputError
from cxcr4lab.fit.batch import Array, BatchResult, _padded, fit_many
from cxcr4lab.fit.models import Model

__all__ = ["fit_many_dask", "local_client"]


def _fit_chunk(
    model: Model,
    data: tuple[Array, Array, Array | None],
    alpha: float,
    max_iter: int,
) -> BatchResult:
    x, y, w = data
    return fit_many(model, x, y, weights=w, alpha=alpha, max_iter=max_iter)


def fit_many_dask(
    model: Model,
    x: ArrayLike,
    y: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    alpha: float = 0.05,
    max_iter: int = 200,
    chunk_size: int = 20_000,
    scheduler: str | Client | None = None,
    progress: bool = True,
) -> BatchResult:
    """:func:`~cxcr4lab.fit.batch.fit_many` in chunks of ``chunk_size`` curves on Dask.

    ``scheduler``: ``None`` for an in-process LocalCluster, a scheduler address, or a ``Client``
    (left open). ``progress`` shows a rich progress bar on stderr. The result equals
    ``fit_many(model, x, y, ...)`` on the whole arrays, curve for curve.
    """
    if chunk_size < 1:
        raise InputError(f"chunk_size must be at least 1, got {chunk_size}", field="chunk_size")
    X, Y, W = _padded(x, y, weights)
    n = len(Y)
    bounds = [(lo, min(lo + chunk_size, n)) for lo in range(0, n, chunk_size)]
    if not bounds:
        return fit_many(model, X, Y, weights=W, alpha=alpha, max_iter=max_iter)
    chunks = [
        (model, (X[lo:hi], Y[lo:hi], None if W is None else W[lo:hi]), alpha, max_iter)
        for lo, hi in bounds
    ]
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(
        *columns, console=Console(stderr=True), transient=True, disable=not progress
    ) as bar:
        task = bar.add_task(f"Fitting {n:,} curves ({model.name})", total=n)
        parts = map_chunks(
            _fit_chunk,
            chunks,
            scheduler=scheduler,
            name="cxcr4lab-fit-many",
            done=lambda _, part: bar.advance(task, len(part)),
        )
    return BatchResult.concat(parts)
