"""One synergy analysis of a table of blocks: every chosen model, with uncertainty, per block.

:func:`analyse_blocks` runs, per sound block of a :class:`~.blocks.BlockSet`, what a
translational scientist would otherwise collect from three tools: SynergyFinder's reference
models (:mod:`.reference`: HSA, Bliss, Loewe, ZIP, with baseline correction), its bootstrap over
replicates and most synergistic area (:mod:`.uncertainty`) and single-drug sensitivity
(:mod:`.sensitivity`), the reference models of many blocks scored together by :mod:`.batch`
(the same numbers); CompuSyn's Chou-Talalay CI and DRI per cell (:mod:`.median_effect`,
``method "ci"``); and MuSyC (:mod:`.musyc`). A block whose MuSyC or Chou-Talalay analysis cannot
be made keeps its other scores, with the reason in its ``notes``; blocks the reader refused are
carried as ``problems``. :class:`SynergyResult` is what the store keeps (kind ``"synergy"``).

Score interpretation follows SynergyFinder's guidance for the block means (% inhibition above
the reference): below -10 likely antagonistic, -10..10 likely additive, above 10 likely
synergistic. The Chou-Talalay CI reads the other way: < 1 synergy, 1 additive, > 1 antagonism.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd

from cxcr4lab.combination.batch import score_blocks_batched
from cxcr4lab.combination.blocks import Block, BlockProblem, BlockSet
from cxcr4lab.combination.median_effect import CheckerboardCI, analyse_checkerboard
from cxcr4lab.combination.musyc import MusycFit, fit_musyc
from cxcr4lab.combination.reference import (
    BaselineCorrection,
    BlockScores,
    LoeweSolver,
    Method,
    score_block,
)
from cxcr4lab.combination.sensitivity import BlockSensitivity, block_sensitivity
from cxcr4lab.combination.uncertainty import (
    BlockBootstrap,
    Resampling,
    SynergisticArea,
    bootstrap_block,
    most_synergistic_area,
)
from cxcr4lab.core.errors import Cxcr4labError, InputError, quote
from cxcr4lab.core.serial import Serial

__all__ = [
    "ALL_METHODS",
    "REFERENCE_ORDER",
    "BlockAnalysis",
    "SynergyResult",
    "SynergySettings",
    "analyse_block",
    "analyse_blocks",
    "interpret",
]

ExtraMethod = Literal["ci", "musyc"]
REFERENCE_ORDER: tuple[Method, ...] = ("bliss", "hsa", "loewe", "zip")
"""SynergyFinder's four models in the order the tables show them."""
ALL_METHODS: tuple[str, ...] = (*REFERENCE_ORDER, *get_args(ExtraMethod))
"""Every method by its name on the command line: SynergyFinder's four, Chou-Talalay, MuSyC."""

THRESHOLD = 10.0
"""SynergyFinder's band of likely additivity around 0 for block means, % inhibition."""


def interpret(score: float) -> str:
    """SynergyFinder's reading of a block mean (% inhibition over the reference)."""
    if not math.isfinite(score):
        return "undefined"
    if score > THRESHOLD:
        return "likely synergistic"
    if score < -THRESHOLD:
        return "likely antagonistic"
    return "likely additive"


@dataclass(frozen=True)
class SynergySettings(Serial):
    """How the blocks were scored.

    ``methods`` any of :data:`ALL_METHODS`; ``correct_baseline`` SynergyFinder's (``non``,
    ``part``, ``all``); ``loewe_solver`` ``grid`` (SynergyFinder's search of 100 responses) or
    ``exact`` (root finding: Loewe 0 for a sham combination to 1e-6); ``iteration``, ``seed``,
    ``resampling`` and ``confidence`` for the bootstrap of blocks with replicates (SynergyFinder
    Plus); ``area_size`` the window of the most synergistic area (cells); ``musyc_ci``
    ``asymptotic`` or ``bootstrap``."""

    methods: tuple[str, ...] = ALL_METHODS
    correct_baseline: BaselineCorrection = "non"
    loewe_solver: LoeweSolver = "grid"
    iteration: int = 100
    seed: int = 123
    resampling: Resampling = "replicate"
    confidence: float = 0.95
    area_size: int = 3
    musyc_ci: Literal["asymptotic", "bootstrap"] = "asymptotic"

    @property
    def reference_methods(self) -> tuple[Method, ...]:
        """The SynergyFinder models among :attr:`methods`, in their canonical order."""
        return tuple(m for m in REFERENCE_ORDER if m in self.methods)


@dataclass(frozen=True)
class BlockAnalysis(Serial):
    """Everything computed for one block. ``scores`` holds the SynergyFinder models (None when
    none was chosen); ``bootstrap`` is None without replicates; ``areas`` the most synergistic
    area per reference model (same order as ``scores.methods``; None for a map smaller than the
    window); ``chou`` and ``musyc`` None when not chosen or not computable (``notes`` say why).
    """

    block: Block
    scores: BlockScores | None
    sensitivity: BlockSensitivity | None
    bootstrap: BlockBootstrap | None
    areas: tuple[SynergisticArea | None, ...]
    chou: CheckerboardCI | None
    musyc: MusycFit | None
    notes: tuple[str, ...] = ()

    @property
    def block_id(self) -> str:
        return self.block.block_id

    def area(self, method: str) -> SynergisticArea | None:
        if self.scores is None:
            return None
        for m, a in zip(self.scores.methods, self.areas, strict=True):
            if m.method == method:
                return a
        return None


@dataclass(frozen=True)
class SynergyResult(Serial):
    """The synergy analysis of one input: per block a :class:`BlockAnalysis`, the blocks the
    reader refused (``problems``), the settings. Concentrations are in the units as given (each
    block's ``unit_r``/``unit_c``); responses and scores in % inhibition."""

    kind: ClassVar[str] = "synergy"

    source: str
    settings: SynergySettings
    blocks: tuple[BlockAnalysis, ...]
    problems: tuple[BlockProblem, ...] = field(default=())
    response_kind: Literal["inhibition", "viability"] = "inhibition"

    def potencies(self, source: str = "") -> list[Any]:
        """No potencies here (app protocol: the report's cross-assay potency table)."""
        return []

    def block(self, block_id: str) -> BlockAnalysis:
        for b in self.blocks:
            if b.block_id == block_id:
                return b
        raise KeyError(block_id)

    def summary(self) -> pd.DataFrame:
        """One row per block: ``block_id, drug_row, drug_col``, each reference model's block
        mean (``bliss``, ``hsa``, ``loewe``, ``zip``, as SynergyFinder reports them), with
        bootstrap intervals and p-values where there are replicates, the most synergistic area,
        CSS, Chou-Talalay's median CI and MuSyC's alpha/beta/gamma."""
        level = round(self.settings.confidence * 100)
        rows: list[dict[str, object]] = []
        for b in self.blocks:
            row: dict[str, object] = {
                "block_id": b.block_id,
                "drug_row": b.block.drug_row,
                "drug_col": b.block.drug_col,
                "unit_r": b.block.unit_r,
                "unit_c": b.block.unit_c,
                "n_r": len(b.block.conc_r) - 1,
                "n_c": len(b.block.conc_c) - 1,
                "replicates": b.block.has_replicates,
            }
            if b.scores is not None:
                for m in b.scores.methods:
                    row[m.method] = m.score
                for m in b.scores.methods:
                    boot = b.bootstrap.method(m.method) if b.bootstrap is not None else None
                    row[f"{m.method}_ci{level}_low"] = boot.ci_low if boot else None
                    row[f"{m.method}_ci{level}_high"] = boot.ci_high if boot else None
                    row[f"{m.method}_p"] = boot.p_value if boot else m.p_value
                    area = b.area(m.method)
                    row[f"{m.method}_msa"] = area.score if area else None
            if b.sensitivity is not None:
                row["ic50_r"] = b.sensitivity.row.ic50
                row["ic50_c"] = b.sensitivity.col.ic50
                row["ri_r"] = b.sensitivity.row.ri
                row["ri_c"] = b.sensitivity.col.ri
                row["css"] = b.sensitivity.css
            if "ci" in self.settings.methods:
                row["ci_median"] = b.chou.median_ci if b.chou is not None else None
                row["ci_defined_cells"] = b.chou.n_defined if b.chou is not None else 0
            if "musyc" in self.settings.methods:
                for name in ("alpha12", "alpha21", "gamma12", "gamma21"):
                    row[f"musyc_{name}"] = _musyc_value(b.musyc, name)
                row["musyc_beta"] = b.musyc.beta if b.musyc is not None else None
            row["flags"] = "; ".join((*b.block.flags, *b.notes))
            rows.append(row)
        return pd.DataFrame(rows)

    def cells(self) -> pd.DataFrame:
        """One row per cell of every block: ``block_id, conc_r, conc_c, response`` (mean %
        inhibition, after baseline correction), each reference model's ``<method>_ref`` and
        ``<method>_synergy`` (ZIP also ``zip_fit``), the replicate count and, with replicates,
        the bootstrap mean and interval of each cell's synergy."""
        level = round(self.settings.confidence * 100)
        frames = []
        for b in self.blocks:
            if b.scores is None:
                frames.append(_plain_cells(b.block))
                continue
            frame = b.scores.cells()
            frame.insert(8, "n_replicates", [len(c) for row in b.block.replicates for c in row])
            if b.bootstrap is not None:
                for m in b.bootstrap.methods:
                    frame[f"{m.method}_synergy_boot_mean"] = np.ravel(m.cell_mean)
                    frame[f"{m.method}_synergy_ci{level}_low"] = np.ravel(m.cell_ci_low)
                    frame[f"{m.method}_synergy_ci{level}_high"] = np.ravel(m.cell_ci_high)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def chou_table(self) -> pd.DataFrame:
        """One row per combination cell (replicate wells are rows of their own): doses, fa, Dx,
        DRI and CI with intervals (Chou-Talalay), per block."""
        frames = []
        for b in self.blocks:
            if b.chou is not None:
                frame = b.chou.summary()
                frame.insert(0, "block_id", b.block_id)
                frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def musyc_table(self) -> pd.DataFrame:
        """One row per block and MuSyC parameter: value, SE and interval."""
        rows: list[dict[str, object]] = []
        for b in self.blocks:
            fit = b.musyc
            if fit is None:
                continue
            for name, v, se, lo, hi in zip(
                fit.names, fit.values, fit.stderr, fit.lower, fit.upper, strict=True
            ):
                rows.append(
                    {
                        "block_id": b.block_id,
                        "parameter": name,
                        "value": v,
                        "se": se,
                        "lower": lo,
                        "upper": hi,
                    }
                )
            rows.append(
                {
                    "block_id": b.block_id,
                    "parameter": "beta",
                    "value": fit.beta,
                    "se": fit.beta_stderr,
                    "lower": fit.beta_lower,
                    "upper": fit.beta_upper,
                }
            )
        return pd.DataFrame(rows)


def _plain_cells(block: Block) -> pd.DataFrame:
    """The cells of a block without reference models: mean responses and replicate counts."""
    rows = [
        {
            "block_id": block.block_id,
            "drug_row": block.drug_row,
            "drug_col": block.drug_col,
            "conc_r": cr,
            "conc_c": cc,
            "conc_r_unit": block.unit_r,
            "conc_c_unit": block.unit_c,
            "response": block.response[i][j],
            "n_replicates": len(block.replicates[i][j]),
        }
        for i, cr in enumerate(block.conc_r_shown)
        for j, cc in enumerate(block.conc_c_shown)
    ]
    return pd.DataFrame(rows)


def _musyc_value(fit: MusycFit | None, name: str) -> float | None:
    if fit is None or name not in fit.names:
        return None
    return fit.values[fit.names.index(name)]


def _check_settings(settings: SynergySettings) -> None:
    unknown = [m for m in settings.methods if m not in ALL_METHODS]
    if unknown or not settings.methods:
        raise InputError(
            f"unknown method {quote(unknown[0]) if unknown else 'none given'}; the methods are "
            f"{', '.join(ALL_METHODS)}",
            field="method",
        )
    if settings.area_size < 2:
        raise InputError(f"area_size must be >= 2, got {settings.area_size}", field="area_size")


def _fail(what: str, exc: Exception) -> str:
    return f"{what} not computed: {exc}"


def analyse_block(
    block: Block, settings: SynergySettings, scores: BlockScores | None = None
) -> BlockAnalysis:
    """Every method of ``settings`` on one block (see the module docstring); ``scores``: its
    reference models if already computed (by :func:`analyse_blocks`, for all blocks at once)."""
    notes: list[str] = []
    chosen = settings.reference_methods
    if scores is None and chosen:
        scores = score_block(
            block,
            methods=chosen,
            correct_baseline=settings.correct_baseline,
            loewe_solver=settings.loewe_solver,
        )
    bootstrap = None
    if chosen and block.has_replicates:
        bootstrap = bootstrap_block(
            block,
            methods=chosen,
            iteration=settings.iteration,
            seed=settings.seed,
            resampling=settings.resampling,
            confidence=settings.confidence,
            correct_baseline=settings.correct_baseline,
            loewe_solver=settings.loewe_solver,
        )
    elif chosen:
        notes.append("no replicates: block p-values from the cells' spread, no bootstrap CI")
    areas: list[SynergisticArea | None] = []
    if scores is not None:
        size = settings.area_size
        for m in scores.methods:
            small = min(block.shape) < size
            areas.append(None if small else _area(m.synergy, size))
    sensitivity = (
        block_sensitivity(block, correct_baseline=settings.correct_baseline) if chosen else None
    )
    frame = block.to_frame()
    chou = None
    if "ci" in settings.methods:
        try:
            chou = analyse_checkerboard(
                frame["conc_r"].to_numpy(float),
                frame["conc_c"].to_numpy(float) * _unit_ratio(block),
                frame["response"].to_numpy(float) / 100.0,
                drugs=(block.drug_row, block.drug_col),
                unit=block.unit_r,
                alpha=1.0 - settings.confidence,
            )
        except Cxcr4labError as exc:
            notes.append(_fail("Chou-Talalay CI", exc))
        else:
            notes += [f"Chou-Talalay: {f}" for f in chou.flags]
    musyc = None
    if "musyc" in settings.methods:
        try:
            musyc = fit_musyc(
                frame["conc_r"].to_numpy(float),
                frame["conc_c"].to_numpy(float),
                frame["response"].to_numpy(float),
                drugs=(block.drug_row, block.drug_col),
                unit=block.unit_r if block.unit_r == block.unit_c else "",
                effect="% inhibition",
                direction="rising",
                ci_method=settings.musyc_ci,
                seed=settings.seed,
                alpha=1.0 - settings.confidence,
            )
        except (Cxcr4labError, ValueError, ArithmeticError) as exc:
            notes.append(_fail("MuSyC", exc))
        else:
            notes += [f"MuSyC: {f}" for f in musyc.flags]
    return BlockAnalysis(
        block=block,
        scores=scores,
        sensitivity=sensitivity,
        bootstrap=bootstrap,
        areas=tuple(areas),
        chou=chou,
        musyc=musyc,
        notes=tuple(notes),
    )


def _area(synergy: Sequence[Sequence[float]], size: int) -> SynergisticArea:
    """SynergyFinder's most synergistic area of a map (its windows start at every row and
    column, the monotherapy row and column included); indices into the concentrations."""
    return most_synergistic_area(np.asarray(synergy, dtype=float), size=size)


def _unit_ratio(block: Block) -> float:
    """Column-drug concentrations expressed in the row drug's unit: the factor (1 when shared).
    The Chou-Talalay doses of both drugs are then in one unit, :attr:`Block.unit_r`."""
    if block.unit_r == block.unit_c:
        return 1.0
    return (block.conc_c[-1] / block.conc_c_shown[-1]) / (block.conc_r[-1] / block.conc_r_shown[-1])


def analyse_blocks(
    blocks: BlockSet,
    settings: SynergySettings | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> SynergyResult:
    """:func:`analyse_block` of every sound block of ``blocks``; ``progress(done, total)`` after
    each. A table with no sound block is one :class:`InputError` listing why."""
    settings = settings or SynergySettings()
    _check_settings(settings)
    if not blocks.blocks:
        why = "; ".join(str(p) for p in blocks.problems[:5]) or "no blocks"
        raise InputError(f"no block can be scored: {why}", file=blocks.source)
    out = []
    total = len(blocks.blocks)
    chosen = settings.reference_methods
    scored: Sequence[BlockScores | None] = [None] * total
    if chosen and settings.loewe_solver == "grid" and total > 1:
        scored = score_blocks_batched(
            blocks.blocks, methods=chosen, correct_baseline=settings.correct_baseline
        )
    for k, (block, scores) in enumerate(zip(blocks.blocks, scored, strict=True), start=1):
        out.append(analyse_block(block, settings, scores))
        if progress is not None:
            progress(k, total)
    kinds = {b.response_kind for b in blocks.blocks}
    return SynergyResult(
        source=blocks.source,
        settings=settings,
        blocks=tuple(out),
        problems=blocks.problems,
        response_kind="viability" if kinds == {"viability"} else "inhibition",
    )
