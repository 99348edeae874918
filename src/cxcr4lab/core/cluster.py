"""The Dask client behind every chunked run (``fit.distributed``, ``sim.distributed``).

``scheduler`` is ``None`` for an in-process ``LocalCluster`` (threads, one worker; its dashboard
on a free loopback port, since 8787 may be taken), a scheduler address (``"tcp://host:8786"``)
for a real cluster, or a running ``Client``, which is used and left open.

This module imports dask when it is imported; the rest of :mod:`cxcr4lab.core` does not.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from dask.distributed import Client, LocalCluster

__all__ = ["client_for", "local_client"]


@contextmanager
def local_client(n_workers: int = 1, threads_per_worker: int | None = None) -> Iterator[Client]:
    """An in-process ``LocalCluster`` (threads; ``threads_per_worker`` defaults to the number of
    CPUs) and its client, closed on exit."""
    threads = threads_per_worker or os.cpu_count() or 1
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=n_workers,
            threads_per_worker=threads,
            processes=False,
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


@contextmanager
def client_for(
    scheduler: str | Client | None, *, threads_per_worker: int | None = None
) -> Iterator[Client]:
    """A client for ``scheduler`` (see the module docstring), closed on exit unless given."""
    if isinstance(scheduler, Client):
        yield scheduler
    elif scheduler is None:
        with local_client(threads_per_worker=threads_per_worker) as client:
            yield client
    else:
        with Client(scheduler) as client:  # type: ignore[no-untyped-call]
            yield client
