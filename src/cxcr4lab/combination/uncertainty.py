"""How sure a synergy score is: SynergyFinder Plus's bootstrap over replicates, and the most
synergistic area of a synergy map.

Written by hand after SynergyFinder 3 (``CalculateSynergy`` with replicates, ``.Bootstrapping``,
and the web application's most-synergistic-area loop); no Python library does either.

**Bootstrap** (a block with replicates): ``iteration`` times, draw one response per cell, apply
the baseline correction, and score every method on that matrix (new single-drug and slice fits
each time). SynergyFinder reports the mean over iterations of each cell's score (its block
score is the mean of those over the combination cells, the same as the mean of the iterations'
block scores), the cell's sd, sem = sd/sqrt(iteration) and 95 % interval from the 2.5 and 97.5 %
quantiles (R's type 7); the block's p-value is ``exp(-0.717 z - 0.416 z^2)`` with
``z = |mean| / sd`` of the iterations' block scores. The interval of the block score here is
the same quantiles of the iterations' block scores. The iterations are scored together by the
compiled batch (:mod:`.batch`, the same fits to the last bit), one at a time for
``loewe_solver="exact"``.

How one response is drawn per cell (``resampling``):

* ``"replicate"`` (default): one of the cell's replicates, uniformly at random, as SynergyFinder
  3.0-3.7 documents it ("a full drug combination matrix whose data points are randomly selected
  from replicates"; ``dplyr::sample_n(1)`` per cell);
* ``"normal"``: the mean of n draws from a normal distribution with the cell's mean and sd (n =
  its number of replicates), as SynergyFinder's code from 3.10 on does; a cell measured once keeps
  its value.

R's random numbers cannot be reproduced; the draws use ``numpy.random.default_rng(seed)`` (one
generator, the cells drawn in row-major order, the same matrices for every method, as R's
``set.seed(seed)`` before each method gives), so a seed reproduces a result exactly here.

**Most synergistic area**: the 3 x 3 window of adjacent concentrations with the highest mean
score, found as SynergyFinder's loop does (windows start at every row and column, the
monotherapy row and column included; the first window wins a tie, scanning column starts in the
outer loop).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal, get_args

import numpy as np
from numpy.typing import NDArray

from cxcr4lab.combination.blocks import Block
from cxcr4lab.combination.drc import DEFAULT_CONTROL, DrcControl
from cxcr4lab.combination.reference import (
    METHODS,
    BaselineCorrection,
    BlockScores,
    LoeweSolver,
    Method,
    MethodScores,
    conc_ratio,
    score_matrix,
    synergy_p_value,
)
from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial

__all__ = [
    "BlockBootstrap",
    "MethodBootstrap",
    "Resampling",
    "SynergisticArea",
    "bootstrap_block",
    "most_synergistic_area",
    "resample",
]

Array = NDArray[np.float64]
Matrix = tuple[tuple[float, ...], ...]
Resampling = Literal["replicate", "normal"]


def _matrix(a: Array) -> Matrix:
    return tuple(tuple(float(v) for v in row) for row in a)


def resample(block: Block, rng: np.random.Generator, how: Resampling = "replicate") -> Array:
    """One bootstrap response matrix of ``block`` (see the module docstring)."""
    out = np.empty(block.shape)
    for i, row in enumerate(block.replicates):
        for j, cell in enumerate(row):
            values = np.asarray(cell, dtype=float)
            if how == "replicate":
                out[i, j] = values[int(rng.integers(values.size))] if values.size > 1 else values[0]
            elif values.size > 1:
                sd = float(np.std(values, ddof=1))
                out[i, j] = float(np.mean(rng.normal(float(np.mean(values)), sd, values.size)))
            else:
                out[i, j] = values[0]
    return out


@dataclass(frozen=True)
class MethodBootstrap(Serial):
    """One method's bootstrap: the block score (mean over iterations), its sd, sem, interval and
    p-value, each iteration's block score, and per cell the mean, sd and interval."""

    method: Method
    score: float
    sd: float
    sem: float
    ci_low: float
    ci_high: float
    p_value: float
    iteration_scores: tuple[float, ...]
    cell_mean: Matrix
    cell_sd: Matrix
    cell_ci_low: Matrix
    cell_ci_high: Matrix


@dataclass(frozen=True)
class BlockBootstrap(Serial):
    """The bootstrap of one block, with the settings it was run with."""

    block_id: str
    iteration: int
    seed: int
    resampling: Resampling
    confidence: float
    correct_baseline: BaselineCorrection
    methods: tuple[MethodBootstrap, ...]

    def method(self, name: Method) -> MethodBootstrap:
        for m in self.methods:
            if m.method == name:
                return m
        raise KeyError(name)


def bootstrap_block(
    block: Block,
    *,
    methods: Iterable[str] = METHODS,
    iteration: int = 10,
    seed: int = 123,
    resampling: Resampling = "replicate",
    confidence: float = 0.95,
    correct_baseline: BaselineCorrection = "non",
    control: DrcControl = DEFAULT_CONTROL,
    loewe_solver: LoeweSolver = "grid",
) -> BlockBootstrap:
    """SynergyFinder Plus's bootstrap of the block scores over replicates (``iteration`` and
    ``seed`` as SynergyFinder's defaults, 10 and 123)."""
    if not isinstance(iteration, int) or isinstance(iteration, bool) or iteration < 2:
        raise InputError(
            f"iteration must be an integer >= 2, got {quote(iteration)}", field="iteration"
        )
    if resampling not in get_args(Resampling):
        raise InputError(
            f"resampling must be 'replicate' or 'normal', got {quote(resampling)}",
            field="resampling",
        )
    if not (isinstance(confidence, float | int) and 0 < confidence < 1):
        raise InputError(
            f"confidence must lie in (0, 1), got {quote(confidence)}", field="confidence"
        )
    rng = np.random.default_rng(seed)
    dr = np.asarray(block.conc_r_shown, dtype=float)
    dc = np.asarray(block.conc_c_shown, dtype=float)
    ratio = conc_ratio(block)
    draws = [resample(block, rng, resampling) for _ in range(iteration)]
    runs: list[tuple[MethodScores, ...]] = []
    if loewe_solver == "grid" and all(np.isfinite(y).all() for y in draws):
        from cxcr4lab.combination.batch import score_blocks_batched

        # the compiled batch runs the same fits as score_matrix, to the last bit (batch.py)
        stack = [replace(block, response=_matrix(y)) for y in draws]
        scored = score_blocks_batched(
            stack, methods=methods, correct_baseline=correct_baseline, control=control
        )
        runs = [s.methods for s in scored]
    else:
        for y in draws:
            _, _, _, scores = score_matrix(
                y,
                dr,
                dc,
                methods=methods,
                correct_baseline=correct_baseline,
                control=control,
                loewe_solver=loewe_solver,
                conc_ratio=ratio,
            )
            runs.append(scores)
    lo_q, hi_q = (1 - confidence) / 2, 1 - (1 - confidence) / 2
    mask = block.combination_mask
    out = []
    for k, first in enumerate(runs[0]):
        cube = np.array([r[k].synergy for r in runs], dtype=float)  # iteration x rows x cols
        block_scores = np.array([r[k].score for r in runs])
        with np.errstate(all="ignore"):
            cell_mean = np.mean(cube, axis=0)
            cell_sd = np.std(cube, axis=0, ddof=1)
            sd = float(np.std(block_scores, ddof=1))
        out.append(
            MethodBootstrap(
                method=first.method,
                score=float(np.mean(cell_mean[mask])),
                sd=sd,
                sem=sd / math.sqrt(iteration),
                ci_low=float(np.nanquantile(block_scores, lo_q)),
                ci_high=float(np.nanquantile(block_scores, hi_q)),
                p_value=synergy_p_value(block_scores),
                iteration_scores=tuple(float(v) for v in block_scores),
                cell_mean=_matrix(cell_mean),
                cell_sd=_matrix(cell_sd),
                cell_ci_low=_matrix(np.nanquantile(cube, lo_q, axis=0)),
                cell_ci_high=_matrix(np.nanquantile(cube, hi_q, axis=0)),
            )
        )
    return BlockBootstrap(
        block_id=block.block_id,
        iteration=iteration,
        seed=seed,
        resampling=resampling,
        confidence=float(confidence),
        correct_baseline=correct_baseline,
        methods=tuple(out),
    )


@dataclass(frozen=True)
class SynergisticArea(Serial):
    """The window of highest mean score: its first row and column (indices into the block's
    concentrations), its size and its mean score."""

    row: int
    col: int
    size: int
    score: float


def most_synergistic_area(
    synergy: MethodScores | BlockScores | Array | Matrix,
    *,
    method: Method | None = None,
    size: int = 3,
) -> SynergisticArea:
    """SynergyFinder's most synergistic area of a synergy map (``size`` x ``size`` window).

    >>> m = np.zeros((4, 4)); m[1:4, 1:4] = 5.0
    >>> most_synergistic_area(m)
    SynergisticArea(row=1, col=1, size=3, score=5.0)
    """
    if isinstance(synergy, BlockScores):
        if method is None:
            raise InputError("name the method whose map to search", field="method")
        synergy = synergy.method(method)
    values = np.asarray(
        synergy.synergy if isinstance(synergy, MethodScores) else synergy, dtype=float
    )
    if values.ndim != 2 or min(values.shape) < size:
        raise InputError(
            f"a {size}x{size} window needs a map of at least that size, got {values.shape}",
            field="synergy",
        )
    best = -math.inf
    where = (0, 0)
    for j in range(values.shape[1] - size + 1):
        for i in range(values.shape[0] - size + 1):
            window = values[i : i + size, j : j + size]
            with np.errstate(all="ignore"):
                mean = float(np.nanmean(window)) if np.any(~np.isnan(window)) else math.nan
            if mean > best:
                best, where = mean, (i, j)
    return SynergisticArea(row=where[0], col=where[1], size=size, score=best)
