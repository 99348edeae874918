"""The Dask client behind every chunked run (``fit.distributed``, ``sim.distributed``, the batch
kinds' ``--scheduler``).

``scheduler`` is ``None`` for an in-process ``LocalCluster`` (threads, one worker; its dashboard
on a free loopback port, since 8787 may be taken), a scheduler address (``"tcp://host:8786"``)
for a real cluster, or a running ``Client``, which is used and left open. An address that cannot
be read, where nothing listens, or whose scheduler has no workers is one :class:`InputError`
naming the option, within :data:`CONNECT_TIMEOUT_S`.

:func:`map_chunks` runs ``function(*args)`` for every chunk of a batch on the cluster (a bounded
number in flight) and gives the results in the chunks' order.

This module imports dask when it is imported; the rest of :mod:`cxcr4lab.core` does not.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from dask.distributed import Client, LocalCluster, as_completed

from cxcr4lab.core.errors import InputError, quote, shorten

__all__ = [
    "CONNECT_TIMEOUT_S",
    "client_for",
    "local_client",
    "map_chunks",
    "scheduler_address",
]

R = TypeVar("R")

CONNECT_TIMEOUT_S = 5.0
"""Seconds to wait for a scheduler to answer, and for it to have a worker."""

_SCHEMES = ("tcp", "tls")
_HOST = re.compile(r"\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")
_EXAMPLE = "e.g. tcp://10.0.0.5:8786"


def scheduler_address(text: str, *, field: str = "scheduler") -> str:
    """``text`` as a Dask scheduler address, ``tcp://HOST:PORT`` or ``tls://HOST:PORT``
    (``HOST:PORT`` alone means tcp); anything else is an :class:`InputError` naming ``field``.

    >>> scheduler_address("10.0.0.5:8786"), scheduler_address(" tls://dask.lab:8786 ")
    ('tcp://10.0.0.5:8786', 'tls://dask.lab:8786')
    """
    raw = text.strip()
    scheme, sep, rest = raw.partition("://")
    if not sep:
        scheme, rest = "tcp", raw
    if scheme.lower() not in _SCHEMES:
        raise InputError(
            f"{quote(text)} is not a Dask scheduler address: it starts tcp:// or tls:// "
            f"({_EXAMPLE})",
            field=field,
        )
    host, colon, port = rest.rpartition(":")
    digits = port.isascii() and port.isdigit()
    if not colon or not _HOST.fullmatch(host) or not digits or not 0 < int(port) < 65536:
        raise InputError(
            f"{quote(text)} is not a Dask scheduler address: give HOST:PORT with a port in "
            f"1..65535 ({_EXAMPLE})",
            field=field,
        )
    return f"{scheme.lower()}://{host}:{int(port)}"


def _probe(address: str, timeout: float, field: str) -> None:
    """Refuse at once an address where nothing listens (rather than retrying until the
    timeout, as Dask does)."""
    hostport = address.partition("://")[2]
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        why = "timed out" if isinstance(exc, TimeoutError) else exc.strerror or type(exc).__name__
        raise InputError(
            f"no Dask scheduler at {address} ({why}); start one there (dask scheduler) or "
            "give the address it prints",
            field=field,
        ) from None


def _connect(address: str, timeout: float, field: str) -> Client:
    """A client of the scheduler at ``address`` that has at least one worker."""
    _probe(address, timeout, field)
    client = Client.__new__(Client)  # kept, to be closed if the constructor fails half-way
    try:
        client.__init__(address, timeout=timeout, set_as_default=False)  # type: ignore[misc]
    except Exception as exc:  # a server that does not speak Dask fails in many ways
        with contextlib.suppress(Exception):
            client.close(timeout=timeout)  # type: ignore[no-untyped-call]
        why = type(exc).__name__
        if isinstance(exc, OSError):  # timed out, or the server closed the connection
            why = f"within {timeout:g} s: {why}"
        if address.startswith("tls://"):
            why += f": {shorten(str(exc), 160)}; check the TLS settings of the Dask config"
        raise InputError(
            f"{address} did not answer as a Dask scheduler ({why})", field=field
        ) from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except Exception:
        client.close()  # type: ignore[no-untyped-call]
        raise InputError(
            f"the Dask scheduler at {address} has no workers (none joined within "
            f"{timeout:g} s); start some (dask worker {address})",
            field=field,
        ) from None
    return client


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
    scheduler: str | Client | None,
    *,
    threads_per_worker: int | None = None,
    timeout: float | None = None,
    field: str = "scheduler",
) -> Iterator[Client]:
    """A client for ``scheduler`` (see the module docstring), closed on exit unless given; a
    bad or unreachable address is an :class:`InputError` naming ``field`` (after ``timeout``
    seconds at most; default :data:`CONNECT_TIMEOUT_S`)."""
    if isinstance(scheduler, Client):
        yield scheduler
    elif scheduler is None:
        with local_client(threads_per_worker=threads_per_worker) as client:
            yield client
    else:
        address = scheduler_address(scheduler, field=field)
        wait = CONNECT_TIMEOUT_S if timeout is None else timeout
        with _connect(address, wait, field) as client:
            yield client


def _apply(function: Callable[..., R], args: tuple[Any, ...]) -> R:
    return function(*args)


def map_chunks(
    function: Callable[..., R],
    chunks: Sequence[tuple[Any, ...]],
    *,
    scheduler: str | Client | None,
    name: str = "cxcr4lab-chunk",
    done: Callable[[int, R], None] | None = None,
    threads_per_worker: int | None = None,
) -> list[R]:
    """``[function(*args) for args in chunks]``, each call a task on the Dask cluster of
    ``scheduler`` (see :func:`client_for`), in the order of ``chunks``.

    Each chunk's arguments are scattered to a worker as one piece; at most twice as many chunks
    as the cluster has threads are in flight, so the client holds only those and the results.
    ``function`` is sent by reference (a module-level function: the workers run the same
    cxcr4lab). The tasks are named ``<name>-<i>-<run>`` (the dashboard groups them by
    ``name``); ``done(i, result)`` is called as chunk ``i`` finishes (in finishing order; it
    may take parts out of ``result`` to fold them into a running total, so they are not all held
    at once). ``threads_per_worker`` is that of the in-process cluster when ``scheduler`` is
    None.
    """
    results: list[Any] = [None] * len(chunks)
    if not chunks:
        return results
    run = uuid.uuid4().hex[:12]
    with client_for(scheduler, threads_per_worker=threads_per_worker) as client:
        threads: dict[str, int] = client.nthreads()  # type: ignore[no-untyped-call]
        in_flight = max(2, 2 * sum(threads.values()))
        index: dict[object, int] = {}
        queue = iter(range(len(chunks)))
        running = as_completed(loop=client.loop)  # type: ignore[no-untyped-call]

        def submit(i: int) -> None:
            [data] = client.scatter([chunks[i]], hash=False)  # type: ignore[no-untyped-call]
            future = client.submit(_apply, function, data, key=f"{name}-{i}-{run}", pure=False)
            index[future.key] = i
            running.add(future)  # type: ignore[no-untyped-call]

        for i in queue:
            submit(i)
            if len(index) >= in_flight:
                break
        for future in running:
            i = index.pop(future.key)
            results[i] = future.result()
            future.release()
            if done is not None:
                done(i, results[i])
            nxt = next(queue, None)
            if nxt is not None:
                submit(nxt)
    return results
