"""Chunks claimed from a shared counter: each exactly once, whatever the threads do."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit, prange

from cxcr4lab.core.parallel import chunk_size, claim, run_chunked


@njit(nogil=True)
def _drain(counter: np.ndarray, n: int, owner: np.ndarray, thread: int) -> None:
    while True:
        c = claim(counter)
        if c >= n:
            return
        owner[c] += thread + 1  # a chunk claimed twice would hold the sum of two owners


@njit(parallel=True)
def _share(n_threads: int, counter: np.ndarray, n: int, owner: np.ndarray) -> None:
    for t in prange(n_threads):
        _drain(counter, n, owner, t)


def test_claim_counts_up_one_at_a_time() -> None:
    counter = np.zeros(1, dtype=np.int64)
    owner = np.zeros(5, dtype=np.int64)
    _drain(counter, 5, owner, 0)
    np.testing.assert_array_equal(owner, np.ones(5))
    assert counter[0] == 6  # the last claim finds nothing left


def test_every_chunk_is_claimed_once_by_the_threads() -> None:
    for n_threads in (1, 2, 4):
        counter = np.zeros(1, dtype=np.int64)
        owner = np.zeros(10_000, dtype=np.int64)
        _share(n_threads, counter, 10_000, owner)
        assert ((owner >= 1) & (owner <= n_threads)).all()
        assert counter[0] == 10_000 + n_threads  # each thread's last claim comes back empty


def test_chunk_size() -> None:
    assert chunk_size(0, 2) == 1
    assert chunk_size(100, 2) == 1
    assert chunk_size(100_000, 2) == 256  # at most ``most``
    assert chunk_size(10_000, 2, per_thread=32, most=1_000) == 156


@njit(nogil=True)
def _mark(chunk: int, counter: np.ndarray, owner: np.ndarray, hits: np.ndarray) -> None:
    n = owner.shape[0]
    while True:
        lo = claim(counter) * chunk
        if lo >= n:
            return
        for i in range(lo, min(lo + chunk, n)):
            owner[i] += 1
            s = 0.0
            for q in range(2_000):  # some work, so that the threads overlap
                s += np.sqrt(q + i)
            hits[i] = s


def test_run_chunked_covers_every_row_once_on_any_number_of_threads() -> None:
    for n_threads, chunk in [(1, None), (2, None), (2, 1), (3, 7), (4, 1_000)]:
        owner = np.zeros(5_000, dtype=np.int64)
        hits = np.zeros(5_000)
        run_chunked(_mark, 5_000, owner, hits, n_threads=n_threads, chunk=chunk)
        np.testing.assert_array_equal(owner, 1)
        assert (hits > 0).all()


@njit(nogil=True)
def _fail(chunk: int, counter: np.ndarray, rows: np.ndarray) -> None:
    if claim(counter) >= 0:
        raise ValueError("a kernel's error")


def test_run_chunked_raises_what_a_thread_raised_and_stays_usable() -> None:
    with pytest.raises(ValueError, match="a kernel's error"):
        run_chunked(_fail, 100, np.zeros(100), n_threads=2)
    owner = np.zeros(300, dtype=np.int64)
    run_chunked(_mark, 300, owner, np.zeros(300), n_threads=2)  # the pool is free again
    np.testing.assert_array_equal(owner, 1)
