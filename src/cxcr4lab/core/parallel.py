"""Dynamic scheduling for the compiled (numba) engines: chunks handed out one at a time.

numba's ``prange`` gives each thread a fixed share of the iterations: the ``omp`` and
``workqueue`` threading layers split the range statically (``set_parallel_chunksize`` only
changes how finely it is cut, not who takes the pieces; only ``tbb`` steals work). On a shared
machine a thread that loses its core to another process then holds up the whole batch.

The engines instead compile one serial, GIL-free (``nogil``) kernel that claims chunks of rows
from a shared counter (an atomic add, :func:`claim`) until none is left, and
:func:`run_chunked` runs it on several Python threads at once: a thread slowed by other work
simply takes fewer chunks. No ``parallel=True`` function is compiled (that saves seconds of
compilation on first use) and numba's threading layer is not involved, so the kernels are safe
in any thread (a Dask worker's, say). A row's result never depends on the thread or chunk that
computed it.

    @njit(nogil=True)
    def kernel(chunk, counter, X, out):
        while True:
            lo = claim(counter) * chunk
            if lo >= X.shape[0]:
                return
            for i in range(lo, min(lo + chunk, X.shape[0])):
                out[i] = ...

    run_chunked(kernel, len(X), X, out)

This module imports numba when it is imported; the rest of :mod:`cxcr4lab.core` does not.
``claim`` is compiled into its callers (and their disk caches): change it with care.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, cast

import numba
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic
from numpy.typing import NDArray

__all__ = ["chunk_size", "claim", "run_chunked", "threads"]


@intrinsic
def _claim(typingctx: Any, counter: Any) -> Any:
    """``counter[0] += 1`` as one atomic operation; returns the value before (the chunk number).

    ``counter`` is a 1-D int64 array shared by the threads.
    """
    if not (
        isinstance(counter, types.Array) and counter.dtype == types.int64 and counter.ndim == 1
    ):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        array = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = cgutils.get_item_pointer(  # type: ignore[no-untyped-call]
            context, builder, signature.args[0], array, [context.get_constant(types.intp, 0)]
        )
        one = context.get_constant(types.int64, 1)
        return builder.atomic_rmw("add", ptr, one, "monotonic")

    return types.int64(counter), codegen


claim = cast("Callable[[NDArray[np.int64]], int]", _claim)


def threads() -> int:
    """The number of threads the engines use now: numba's (``NUMBA_NUM_THREADS``,
    ``numba.set_num_threads``)."""
    return int(numba.get_num_threads())


def chunk_size(n: int, n_threads: int, *, per_thread: int = 32, most: int = 256) -> int:
    """Rows per chunk: about ``per_thread`` chunks for each thread, at most ``most`` rows each
    (small enough that a thread slowed by other work leaves little behind it)."""
    return max(1, min(most, n // max(1, n_threads * per_thread)))


class _Pool:
    """The helper threads, made on first use and grown when more are asked for. A forked child
    has none of its parent's threads: it starts without a pool and with the lock free."""

    def __init__(self) -> None:
        self.busy = threading.Lock()  # one batch at a time spreads over the pool
        self.lock = threading.Lock()
        self.executor: ThreadPoolExecutor | None = None
        self.size = 0

    def get(self, workers: int) -> ThreadPoolExecutor:
        with self.lock:
            if self.executor is None or self.size < workers:
                if self.executor is not None:
                    self.executor.shutdown(wait=False)
                self.size = max(workers, os.cpu_count() or 1)
                self.executor = ThreadPoolExecutor(self.size, "cxcr4lab-chunks")
            return self.executor


_POOL = [_Pool()]
os.register_at_fork(after_in_child=lambda: _POOL.__setitem__(0, _Pool()))


def run_chunked(
    kernel: Callable[..., object],
    n: int,
    *args: Any,
    n_threads: int | None = None,
    chunk: int | None = None,
    most: int = 256,
) -> None:
    """``kernel(chunk, counter, *args)`` on ``n_threads`` threads (default :func:`threads`):
    this one and ``n_threads - 1`` from a shared pool, all claiming chunks of the ``n`` rows
    from one ``counter``. ``kernel`` must be a ``nogil`` numba function, so the threads run at
    once. While one batch runs this way, a batch started from another thread runs in that
    thread alone (no oversubscription); so does a batch of one row, or with one thread.
    ``chunk`` defaults to :func:`chunk_size` (at most ``most`` rows)."""
    n_threads = threads() if n_threads is None else n_threads
    counter = np.zeros(1, dtype=np.int64)
    pool = _POOL[0]
    if n <= 1 or n_threads <= 1 or not pool.busy.acquire(blocking=False):
        kernel(max(n, 1), counter, *args)
        return
    try:
        size = chunk or chunk_size(n, n_threads, most=most)
        executor = pool.get(n_threads - 1)
        helpers: list[Future[object]] = [
            executor.submit(kernel, size, counter, *args) for _ in range(n_threads - 1)
        ]
        try:
            kernel(size, counter, *args)
        finally:
            wait(helpers)
        for helper in helpers:
            helper.result()  # raises what a helper raised
    finally:
        pool.busy.release()
