"""Reference models of drug combination, per cell and per block, as R SynergyFinder 3 computes them.

Written by hand: SynergyFinder is R (MPL-2.0), and no maintained Python library reproduces its
numbers (the ``synergy`` package, GPL, defines ZIP and Loewe differently and is used only in the
tests as a cross-check of Bliss and HSA). Each model follows SynergyFinder 3.7.3's
``calculate_synergy_score.R`` (``CalculateSynergy``, ``Bliss``, ``HSA``, ``Loewe``, ``ZIP``,
``CorrectBaseLine``); responses are % inhibition, synergy is observed minus reference (positive:
synergy), and every cell without both drugs has reference = response and score 0.

* **HSA**: reference = the larger of the two observed monotherapy responses.
* **Bliss**: reference = ``(1 - (1 - A/100)(1 - B/100)) 100`` with A, B the observed
  monotherapy responses.
* **Loewe**: each drug's monotherapy data get a free LL.4 fit (:mod:`.drc`, drc's algorithm).
  Where neither curve reaches the observed response (``.SolveExpDose`` infinite for both), the
  reference is the larger single-drug prediction at the summed dose ``conc_r + conc_c``
  (``above_all_single_drug_maxima``); otherwise it is the value, among 100 equally spaced
  responses between the lowest and highest asymptote of the two fits, that minimises
  ``|conc_r / X_r(y) + conc_c / X_c(y) - 1|`` (the first on a tie), with
  ``X(y) = e ((y - d)/(c - y))^(1/b)`` (``inf`` above an unreachable curve, 0 below).
* **ZIP** (Yadav et al. 2015, delta score as SynergyFinder 3): the reference is the Bliss
  combination of the two free single-drug fits' predictions; every row and column slice of the
  matrix (monotherapy included) is refitted with LL.4, ``c`` fixed at the slice's dose-0
  response; the fitted surface is the mean of the two slice predictions at the cell; delta =
  fitted - reference.
* **Baseline correction** (``correct_baseline``): ``"part"`` adjusts the negative responses,
  ``"all"`` every response, by ``r - (100 - r)/100 * baseline`` where ``baseline`` is the lowest
  fitted value of the two single-drug fits; the scores are then computed on the corrected
  matrix (new fits included).
* **Block score**: the mean over the combination cells; its p-value as SynergyFinder 3.7.3
  gives it for a block without replicates, ``exp(-0.717 z - 0.416 z^2)`` with
  ``z = |mean| / sd`` of the combination cells' scores.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxcr4lab.combination.blocks import Block, BlockSet
from cxcr4lab.combination.drc import (
    DEFAULT_CONTROL,
    DrcControl,
    DrcFit,
    fit_dose_response,
    refine_fit,
)
from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.serial import Serial

__all__ = [
    "METHODS",
    "BaselineCorrection",
    "BlockScores",
    "LoeweGrid",
    "LoeweSolver",
    "Method",
    "MethodScores",
    "SingleDrugFits",
    "bliss_reference",
    "conc_ratio",
    "correct_baseline",
    "hsa_reference",
    "loewe_reference",
    "score_block",
    "score_blocks",
    "score_matrix",
    "single_drug_fits",
    "synergy_p_value",
    "zip_surfaces",
]

Array = NDArray[np.float64]
Matrix = tuple[tuple[float, ...], ...]
Method = Literal["zip", "hsa", "bliss", "loewe"]
METHODS: tuple[Method, ...] = ("zip", "hsa", "bliss", "loewe")
BaselineCorrection = Literal["non", "part", "all"]
LoeweCase = Literal["monotherapy", "grid", "exact", "above_all_single_drug_maxima", "undefined"]
LoeweSolver = Literal["grid", "exact"]

LOEWE_STEPS = 100
"""SynergyFinder's number of candidate responses in the Loewe search (``.SolveLoewe``)."""


def _matrix(a: Array) -> Matrix:
    return tuple(tuple(float(v) for v in row) for row in a)


def _combo(shape: tuple[int, int]) -> NDArray[np.bool_]:
    mask = np.ones(shape, dtype=bool)
    mask[0, :] = False
    mask[:, 0] = False
    return mask


def _check(y: Array, dose_r: Array, dose_c: Array) -> None:
    if y.ndim != 2 or y.shape != (dose_r.size, dose_c.size) or min(y.shape) < 2:
        raise InputError(
            f"a response matrix of shape {y.shape} does not fit {dose_r.size} x {dose_c.size} "
            "concentrations (at least 2 x 2)",
            field="response",
        )
    if (
        dose_r[0] != 0
        or dose_c[0] != 0
        or np.any(np.diff(dose_r) <= 0)
        or np.any(np.diff(dose_c) <= 0)
    ):
        raise InputError(
            "the concentrations of each drug must increase from 0", field="concentrations"
        )


# --- single-drug fits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SingleDrugFits(Serial):
    """The free LL.4 fits of the two monotherapies (``None`` where no fit was possible)."""

    row: DrcFit | None
    col: DrcFit | None


def single_drug_fits(
    y: Array, dose_r: Array, dose_c: Array, *, control: DrcControl = DEFAULT_CONTROL
) -> SingleDrugFits:
    """SynergyFinder's ``FitDoseResponse`` of each drug's monotherapy data (the zero-dose cell
    included), doses in increasing order."""
    return SingleDrugFits(
        row=fit_dose_response(dose_r, y[:, 0], control=control),
        col=fit_dose_response(dose_c, y[0, :], control=control),
    )


def correct_baseline(
    y: Array,
    dose_r: Array,
    dose_c: Array,
    method: BaselineCorrection,
    *,
    control: DrcControl = DEFAULT_CONTROL,
) -> tuple[Array, float]:
    """SynergyFinder's ``CorrectBaseLine``: ``(corrected matrix, baseline)``.

    ``"non"`` returns ``y`` unchanged (baseline 0). Otherwise the baseline is the lowest fitted
    value of the two single-drug fits at their doses, and ``r - (100 - r)/100 * baseline`` is
    applied to the negative responses (``"part"``) or to all (``"all"``).
    """
    if method not in get_args(BaselineCorrection):
        raise InputError(
            f"correct_baseline must be 'non', 'part' or 'all', got {quote(method)}",
            field="correct_baseline",
        )
    if method == "non":
        return y.copy(), 0.0
    fits = single_drug_fits(y, dose_r, dose_c, control=control)
    fitted = []
    for fit, dose in ((fits.row, dose_r), (fits.col, dose_c)):
        if fit is not None:
            fitted.append(fit.predict(dose))
    if not fitted:
        return y.copy(), 0.0
    baseline = float(min(np.min(f) for f in fitted))
    out = y.copy()
    sel = out < 0 if method == "part" else np.ones_like(out, dtype=bool)
    out[sel] = out[sel] - ((100 - out[sel]) / 100 * baseline)
    return out, baseline


_correct = correct_baseline  # score_matrix's argument of the same name hides the function


# --- the closed forms ----------------------------------------------------------------------------


def bliss_reference(y: Array) -> Array:
    """Bliss independence of the observed monotherapies, SynergyFinder's
    ``(1 - prod(1 - x/100)) * 100``; cells without both drugs: the response.

    >>> float(bliss_reference(np.array([[0.0, 50.0], [20.0, 70.0]]))[1, 1])
    60.0
    """
    ref = (1 - (1 - y[:, :1] / 100) * (1 - y[:1, :] / 100)) * 100
    mask = _combo(y.shape)
    return np.where(mask, ref, y)


def hsa_reference(y: Array) -> Array:
    """Highest single agent: the larger observed monotherapy response; cells without both
    drugs: the response.

    >>> float(hsa_reference(np.array([[0.0, 50.0], [20.0, 70.0]]))[1, 1])
    50.0
    """
    ref = np.maximum(y[:, :1], y[:1, :])
    return np.where(_combo(y.shape), ref, y)


# --- Loewe ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoeweGrid(Serial):
    """SynergyFinder's Loewe search: the candidate responses and which branch each cell took."""

    low: float
    high: float
    step: float
    case: tuple[tuple[LoeweCase, ...], ...]
    solver: LoeweSolver = "grid"


def _seq(low: float, high: float, n: int) -> Array:
    """R's ``seq(low, high, length.out = n)``."""
    if low == high:
        return np.full(n, low)
    by = (high - low) / (n - 1)
    return np.concatenate([[low], low + np.arange(1, n - 1) * by, [high]])


def _predict_at(fit: DrcFit, dose: float) -> float:
    return float(fit.predict([dose])[0])


def _loewe_root(
    x: tuple[float, float], pars: tuple[DrcFit, DrcFit], low: float, high: float
) -> float:
    """The response y solving ``x_r / X_r(y) + x_c / X_c(y) = 1`` (the first sign change from
    ``low`` up, on 2000 intervals, then bisection to machine precision); NaN if none."""

    def g(v: float) -> float:
        total = 0.0
        for xi, f in zip(x, pars, strict=True):
            cap = f.dose_for(v)
            total += math.inf if cap == 0 else xi / cap
        return total - 1

    ys = np.linspace(low, high, 2001)
    gs = [g(float(v)) for v in ys]
    for k in range(len(ys) - 1):
        g0, g1 = gs[k], gs[k + 1]
        if g0 == 0:
            return float(ys[k])
        if g1 == 0:
            return float(ys[k + 1])
        if math.isnan(g0) or math.isnan(g1) or (g0 > 0) == (g1 > 0):
            continue
        a, b = float(ys[k]), float(ys[k + 1])
        positive_at_a = g0 > 0
        for _ in range(200):
            mid = (a + b) / 2
            if mid in (a, b):
                break
            gm = g(mid)
            if gm == 0:
                return mid
            if (gm > 0) == positive_at_a:
                a = mid
            else:
                b = mid
        return (a + b) / 2
    return math.nan


def loewe_reference(
    y: Array,
    dose_r: Array,
    dose_c: Array,
    fits: SingleDrugFits,
    *,
    steps: int = LOEWE_STEPS,
    solver: LoeweSolver = "grid",
    conc_ratio: float = 1.0,
) -> tuple[Array, LoeweGrid | None]:
    """Loewe additive response per cell, as SynergyFinder 3 computes it (see the module
    docstring); NaN at the combination cells when a single-drug fit is missing.

    ``solver="exact"`` solves the Loewe equation to machine precision instead of taking the best
    of SynergyFinder's 100 candidate responses (cells without a root keep the grid value);
    ``conc_ratio`` converts column-drug concentrations into the row drug's unit for the summed
    dose of the ``above_all_single_drug_maxima`` rule (SynergyFinder adds the numbers as they
    are, i.e. assumes one unit).
    """
    _check(y, dose_r, dose_c)
    if solver not in get_args(LoeweSolver):
        raise InputError(
            f"Loewe solver must be 'grid' or 'exact', got {quote(solver)}", field="solver"
        )
    ref = y.copy()
    mask = _combo(y.shape)
    cases: list[list[LoeweCase]] = [
        ["monotherapy" if not mask[i, j] else "undefined" for j in range(y.shape[1])]
        for i in range(y.shape[0])
    ]
    if fits.row is None or fits.col is None:
        ref[mask] = np.nan
        return ref, None
    pars = (fits.row, fits.col)
    low = min(min(f.c, f.d) for f in pars)
    high = max(max(f.c, f.d) for f in pars)
    y_test = _seq(low, high, steps)
    x_test = np.array([[f.dose_for(float(v)) for v in y_test] for f in pars])
    for i in range(1, y.shape[0]):
        for j in range(1, y.shape[1]):
            obs = float(y[i, j])
            x = (float(dose_r[i]), float(dose_c[j]))
            caps = [f.dose_for(obs) for f in pars]
            if not any(math.isfinite(v) for v in caps):
                ref[i, j] = max(
                    _predict_at(pars[0], x[0] + x[1] * conc_ratio),
                    _predict_at(pars[1], x[1] + x[0] / conc_ratio),
                )
                cases[i][j] = "above_all_single_drug_maxima"
                continue
            if solver == "exact":
                root = _loewe_root(x, pars, low, high)
                if not math.isnan(root):
                    ref[i, j] = root
                    cases[i][j] = "exact"
                    continue
            with np.errstate(all="ignore"):
                dist = np.abs(x[0] / x_test[0] + x[1] / x_test[1] - 1)
            if np.all(np.isnan(dist)):
                ref[i, j] = np.nan
                continue
            best = int(np.flatnonzero(dist == np.nanmin(dist))[0])
            ref[i, j] = y_test[best]
            cases[i][j] = "grid"
    step = (high - low) / (steps - 1)
    grid = LoeweGrid(low, high, step, tuple(tuple(row) for row in cases), solver)
    return ref, grid


# --- ZIP -----------------------------------------------------------------------------------------


def zip_surfaces(
    y: Array,
    dose_r: Array,
    dose_c: Array,
    fits: SingleDrugFits,
    *,
    control: DrcControl = DEFAULT_CONTROL,
) -> tuple[Array, Array]:
    """SynergyFinder 3's ZIP ``(fitted, reference)`` surfaces (both equal the response outside
    the combination cells). A slice whose LL.4 and L.4 fits both fail keeps its observed
    responses (SynergyFinder 2's rule; version 3 stops with an error)."""
    _check(y, dose_r, dose_c)
    mask = _combo(y.shape)
    ref = y.copy()
    fitted = y.copy()
    if fits.row is None or fits.col is None:
        ref[mask] = np.nan
        fitted[mask] = np.nan
        return fitted, ref
    pr = fits.row.predict(dose_r)
    pc = fits.col.predict(dose_c)
    zref = (1 - (1 - pr[:, None] / 100) * (1 - pc[None, :] / 100)) * 100
    along_r = np.empty_like(y)  # slices along the row drug, one per column concentration
    for j in range(y.shape[1]):
        fit = fit_dose_response(dose_r, y[:, j], emin=float(y[0, j]), control=control)
        along_r[:, j] = fit.predict(dose_r) if fit is not None else y[:, j]
    along_c = np.empty_like(y)
    for i in range(y.shape[0]):
        fit = fit_dose_response(dose_c, y[i, :], emin=float(y[i, 0]), control=control)
        along_c[i, :] = fit.predict(dose_c) if fit is not None else y[i, :]
    zfit = (along_r + along_c) / 2
    fitted[mask] = zfit[mask]
    ref[mask] = zref[mask]
    return fitted, ref


# --- block scores --------------------------------------------------------------------------------


def synergy_p_value(scores: Iterable[float]) -> float:
    """SynergyFinder's p-value of a mean synergy score: ``exp(-0.717 z - 0.416 z^2)`` with
    ``z = |mean| / sd`` (sample sd).

    >>> round(synergy_p_value([1.0, 2.0, 3.0]), 6)
    0.045139
    """
    v = np.asarray(list(scores), dtype=float)
    if v.size < 2:
        return math.nan
    with np.errstate(all="ignore"):
        z = np.abs(np.mean(v)) / np.std(v, ddof=1)
        return float(np.exp(-0.717 * z - 0.416 * z * z))


@dataclass(frozen=True)
class MethodScores(Serial):
    """One reference model on one block: per-cell reference and synergy (rows: row-drug
    concentrations), the block score (mean over combination cells) and its p-value; ``fitted``
    is ZIP's fitted surface, ``loewe`` Loewe's search grid."""

    method: Method
    reference: Matrix
    synergy: Matrix
    score: float
    p_value: float
    fitted: Matrix | None = None
    loewe: LoeweGrid | None = None


@dataclass(frozen=True)
class BlockScores(Serial):
    """All reference models of one block, with what they were computed from."""

    block_id: str
    drug_row: str
    drug_col: str
    conc_r: tuple[float, ...]
    conc_c: tuple[float, ...]
    conc_r_shown: tuple[float, ...]
    conc_c_shown: tuple[float, ...]
    unit_r: str
    unit_c: str
    response: Matrix
    correct_baseline: BaselineCorrection
    baseline: float
    fits: SingleDrugFits
    methods: tuple[MethodScores, ...]

    def method(self, name: Method) -> MethodScores:
        for m in self.methods:
            if m.method == name:
                return m
        raise KeyError(name)

    def score(self, name: Method) -> float:
        return self.method(name).score

    def cells(self) -> pd.DataFrame:
        """One row per cell: ``block_id, conc_r, conc_c, response`` and, per method,
        ``<method>_ref`` and ``<method>_synergy`` (and ``zip_fit``), concentrations in the
        units as given."""
        rows = []
        for i, cr in enumerate(self.conc_r_shown):
            for j, cc in enumerate(self.conc_c_shown):
                row: dict[str, object] = {
                    "block_id": self.block_id,
                    "drug_row": self.drug_row,
                    "drug_col": self.drug_col,
                    "conc_r": cr,
                    "conc_c": cc,
                    "conc_r_unit": self.unit_r,
                    "conc_c_unit": self.unit_c,
                    "response": self.response[i][j],
                }
                for m in self.methods:
                    if m.fitted is not None:
                        row[f"{m.method}_fit"] = m.fitted[i][j]
                    row[f"{m.method}_ref"] = m.reference[i][j]
                    row[f"{m.method}_synergy"] = m.synergy[i][j]
                rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        """One row per method: block score and p-value."""
        return pd.DataFrame(
            [
                {
                    "block_id": self.block_id,
                    "drug_row": self.drug_row,
                    "drug_col": self.drug_col,
                    "method": m.method,
                    "score": m.score,
                    "p_value": m.p_value,
                }
                for m in self.methods
            ]
        )


def _method_scores(
    method: Method,
    y: Array,
    reference: Array,
    *,
    fitted: Array | None = None,
    loewe: LoeweGrid | None = None,
) -> MethodScores:
    mask = _combo(y.shape)
    observed = fitted if fitted is not None else y
    synergy = np.where(mask, observed - reference, 0.0)
    combo = synergy[mask]
    return MethodScores(
        method=method,
        reference=_matrix(reference),
        synergy=_matrix(synergy),
        score=float(np.mean(combo)),
        p_value=synergy_p_value(combo),
        fitted=_matrix(fitted) if fitted is not None else None,
        loewe=loewe,
    )


def _methods(methods: Iterable[str]) -> tuple[Method, ...]:
    out: list[Method] = []
    for m in methods:
        key = str(m).lower()
        if key not in METHODS:
            raise InputError(
                f"unknown method {quote(m)}; the methods are {', '.join(METHODS)}", field="method"
            )
        out.append(key)
    return tuple(out)


def score_matrix(
    y: Array | Sequence[Sequence[float]],
    dose_r: Array | Sequence[float],
    dose_c: Array | Sequence[float],
    *,
    methods: Iterable[str] = METHODS,
    correct_baseline: BaselineCorrection = "non",
    control: DrcControl = DEFAULT_CONTROL,
    loewe_solver: LoeweSolver = "grid",
    conc_ratio: float = 1.0,
) -> tuple[Array, float, SingleDrugFits, tuple[MethodScores, ...]]:
    """The scores of one response matrix (% inhibition; doses increasing from 0, in the unit the
    scores should be computed in): ``(scored matrix, baseline, single-drug fits, scores)``."""
    chosen = _methods(methods)
    yy = np.asarray(y, dtype=float)
    dr = np.asarray(dose_r, dtype=float)
    dc = np.asarray(dose_c, dtype=float)
    _check(yy, dr, dc)
    yy, baseline = _correct(yy, dr, dc, correct_baseline, control=control)
    needs_fits = any(m in ("zip", "loewe") for m in chosen)
    fits = (
        single_drug_fits(yy, dr, dc, control=control) if needs_fits else SingleDrugFits(None, None)
    )
    out = []
    for m in chosen:
        if m == "bliss":
            out.append(_method_scores(m, yy, bliss_reference(yy)))
        elif m == "hsa":
            out.append(_method_scores(m, yy, hsa_reference(yy)))
        elif m == "loewe":
            loewe_fits = fits
            if loewe_solver == "exact":
                loewe_fits = SingleDrugFits(
                    refine_fit(fits.row, dr, yy[:, 0]) if fits.row is not None else None,
                    refine_fit(fits.col, dc, yy[0, :]) if fits.col is not None else None,
                )
            ref, grid = loewe_reference(
                yy, dr, dc, loewe_fits, solver=loewe_solver, conc_ratio=conc_ratio
            )
            out.append(_method_scores(m, yy, ref, loewe=grid))
        else:
            fitted, ref = zip_surfaces(yy, dr, dc, fits, control=control)
            out.append(_method_scores(m, yy, ref, fitted=fitted))
    return yy, baseline, fits, tuple(out)


def score_block(
    block: Block,
    *,
    methods: Iterable[str] = METHODS,
    correct_baseline: BaselineCorrection = "non",
    control: DrcControl = DEFAULT_CONTROL,
    loewe_solver: LoeweSolver = "grid",
) -> BlockScores:
    """Every chosen reference model of ``block``, on its mean response matrix (replicates
    averaged per cell), concentrations in the units as given (as SynergyFinder computes).

    >>> from cxcr4lab.combination.blocks import make_block
    >>> b = make_block([0, 1, 2], [0, 1, 2], [[0, 10, 20], [10, 30, 40], [20, 40, 60]])
    >>> round(score_block(b, methods=["bliss"]).score("bliss"), 3)
    14.75
    """
    y, baseline, fits, scores = score_matrix(
        block.matrix,
        block.conc_r_shown,
        block.conc_c_shown,
        methods=methods,
        correct_baseline=correct_baseline,
        control=control,
        loewe_solver=loewe_solver,
        conc_ratio=conc_ratio(block),
    )
    return BlockScores(
        block_id=block.block_id,
        drug_row=block.drug_row,
        drug_col=block.drug_col,
        conc_r=block.conc_r,
        conc_c=block.conc_c,
        conc_r_shown=block.conc_r_shown,
        conc_c_shown=block.conc_c_shown,
        unit_r=block.unit_r,
        unit_c=block.unit_c,
        response=_matrix(y),
        correct_baseline=correct_baseline,
        baseline=baseline,
        fits=fits,
        methods=scores,
    )


def score_blocks(
    blocks: BlockSet | Iterable[Block],
    *,
    methods: Iterable[str] = METHODS,
    correct_baseline: BaselineCorrection = "non",
    control: DrcControl = DEFAULT_CONTROL,
    loewe_solver: LoeweSolver = "grid",
) -> tuple[BlockScores, ...]:
    """:func:`score_block` of every block (a :class:`BlockSet`'s sound blocks)."""
    items = blocks.blocks if isinstance(blocks, BlockSet) else tuple(blocks)
    chosen = _methods(methods)
    return tuple(
        score_block(
            b,
            methods=chosen,
            correct_baseline=correct_baseline,
            control=control,
            loewe_solver=loewe_solver,
        )
        for b in items
    )


def conc_ratio(block: Block) -> float:
    """mol/L per column-drug unit over mol/L per row-drug unit (1 when both drugs share a
    unit)."""
    if block.unit_r == block.unit_c:
        return 1.0
    return (block.conc_c[-1] / block.conc_c_shown[-1]) / (block.conc_r[-1] / block.conc_r_shown[-1])
