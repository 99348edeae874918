"""The ``synergy`` kind: drug-combination blocks scored by every reference model
(``cxcr4lab synergy FILE``).

One input, three forms: SynergyFinder's long table (``block_id, drug_row, drug_col, conc_r,
conc_c, response, conc_r_unit, conc_c_unit``; CSV, TSV or xlsx), a wide matrix of one block
(row-drug concentrations down the first column, column-drug ones across the first row; name the
drugs and the unit with ``--drug-row``, ``--drug-col``, ``--unit``), or a checkerboard plate
export with its wellmap ``--layout`` (:mod:`._checkerboard`). The result
(:class:`~cxcr4lab.combination.analysis.SynergyResult`) holds, per block, HSA, Bliss, Loewe and
ZIP as SynergyFinder 3 computes them, the bootstrap over replicates, the most synergistic area,
IC50/RI/CSS, the Chou-Talalay CI and MuSyC; ``--out`` writes one row per block, ``--cells`` one
row per cell.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from cxcr4lab.runs._kind import (
    PLATE_FORMATS,
    AnalysisKind,
    Example,
    InputFile,
    InputSpec,
    Outcome,
    OutputSpec,
    compound_mw,
    report_progress,
)
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options", "parse_method", "read_input_blocks"]

_METHODS = ("bliss", "hsa", "loewe", "zip", "ci", "musyc")
"""As :data:`cxcr4lab.combination.analysis.ALL_METHODS` (kept here so the registry imports
nothing heavy; a test checks the two agree)."""


def parse_method(text: str) -> str:
    """One ``--method`` item: ``all`` or a method name.

    >>> parse_method(" Bliss ")
    'bliss'
    """
    key = text.strip().lower()
    if key != "all" and key not in _METHODS:
        raise ValueError(f"expected all or one of {', '.join(_METHODS)}")
    return key


@dataclass(frozen=True)
class Options:
    """Settings of a synergy analysis; responses in % inhibition (or % viability)."""

    method: tuple[str, ...] = option(
        "Methods: all, or any of bliss, hsa, loewe, zip (SynergyFinder 3), ci (Chou-Talalay), "
        "musyc (MuSyC).",
        default=("all",),
        item=parse_method,
        example="bliss",
    )
    viability: bool = option(
        "The response column is % viability (inhibition = 100 - viability).", default=False
    )
    correct_baseline: Literal["non", "part", "all"] = option(
        "SynergyFinder's baseline correction: non, part (negative responses) or all.",
        default="non",
    )
    loewe_solver: Literal["grid", "exact"] = option(
        "Loewe: grid (SynergyFinder's 100-response search) or exact (root finding).",
        default="grid",
    )
    iterations: int = option(
        "Bootstrap iterations over replicates (SynergyFinder Plus uses 10).", default=100, ge=2
    )
    seed: int = option("Seed of the bootstrap.", default=123)
    resampling: Literal["replicate", "normal"] = option(
        "Bootstrap draws: replicate (wells of the cell) or normal (mean, sd of the cell).",
        default="replicate",
    )
    confidence: float = option("Level of the intervals.", default=0.95, gt=0, lt=1)
    musyc_ci: Literal["asymptotic", "bootstrap"] = option(
        "MuSyC intervals: asymptotic (delta method) or bootstrap.", default="asymptotic"
    )
    drug_row: str = option("Row drug of a wide matrix.", default="")
    drug_col: str = option("Column drug of a wide matrix.", default="")
    unit: str = option("Concentration unit of a wide matrix, e.g. nM.", default="")
    block: str | None = option("Plate block to use when a plate file holds several.", default=None)


def _methods(chosen: tuple[str, ...]) -> tuple[str, ...]:
    if "all" in chosen:
        return _METHODS
    return tuple(m for m in _METHODS if m in chosen)


class _RegistryWeights(Mapping[str, float]):
    """Molecular weights (g/mol) of the registry's compounds, looked up by drug name on use
    (mass concentrations such as ng/mL need them)."""

    def __getitem__(self, name: str) -> float:
        mw = compound_mw(name)
        if mw is None:
            raise KeyError(name)
        return mw

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def read_input_blocks(inputs: Mapping[str, InputFile], options: Options) -> Any:
    """The :class:`~cxcr4lab.combination.blocks.BlockSet` of the inputs (module docstring):
    sound blocks scored, the others carried as problems naming the row (or the well)."""
    from cxcr4lab.combination.blocks import BlockSet, read_blocks, read_combination_file

    kind: Literal["inhibition", "viability"] = "viability" if options.viability else "inhibition"
    name, content = inputs["data"]
    if "layout" in inputs:
        from cxcr4lab.runs._checkerboard import checkerboard_frame

        frame = checkerboard_frame(inputs, block=options.block)
        found = read_blocks(
            frame.drop(columns="well"),
            name=name,
            strict=False,
            molecular_weights=_RegistryWeights(),
            row_base=0,
        )
        wells = list(frame["well"])
        problems = tuple(
            replace(
                p,
                message=(f"well {wells[p.row]}: " if p.row is not None else "") + p.message,
                row=None,
            )
            for p in found.problems
        )
        return BlockSet(found.source, found.blocks, problems)
    return read_combination_file(
        content,
        name,
        response_kind=kind,
        molecular_weights=_RegistryWeights(),
        drug_row=options.drug_row,
        drug_col=options.drug_col,
        unit=options.unit,
    )


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Read the blocks, analyse each (progress per block), one result."""
    from cxcr4lab.combination.analysis import SynergySettings, analyse_blocks

    blocks = read_input_blocks(inputs, options)
    settings = SynergySettings(
        methods=_methods(options.method),
        correct_baseline=options.correct_baseline,
        loewe_solver=options.loewe_solver,
        iteration=options.iterations,
        seed=options.seed,
        resampling=options.resampling,
        confidence=options.confidence,
        musyc_ci=options.musyc_ci,
    )
    n = len(blocks.blocks)

    def progress(done: int, total: int) -> None:
        report_progress(f"Scoring {total:,} blocks", done, total)

    result = analyse_blocks(blocks, settings, progress=progress if n > 1 else None)
    parameters = {
        "methods": list(settings.methods),
        "response": "viability" if options.viability else "inhibition",
        "correct_baseline": options.correct_baseline,
        "loewe_solver": options.loewe_solver,
        "iterations": options.iterations,
        "seed": options.seed,
        "resampling": options.resampling,
        "confidence": options.confidence,
        "musyc_ci": options.musyc_ci,
        "blocks": n,
        "refused_blocks": len(blocks.problems),
    }
    drugs = sorted({f"{b.block.drug_row} x {b.block.drug_col}" for b in result.blocks})
    title = f"Synergy {', '.join(drugs[:2])}{' ...' if len(drugs) > 2 else ''}"
    return Outcome(result, parameters, title)


def _blocks_csv(result: Any) -> str:
    from cxcr4lab.core.export import safe_csv

    return safe_csv(result.summary())


def _cells_csv(result: Any) -> str:
    from cxcr4lab.core.export import safe_csv

    return safe_csv(result.cells())


_NOTE = (
    "SIMULATED checkerboard (6 x 6 doses, 3 replicate wells), not a measurement: the cytotoxic "
    "drug's IC50 falls with the balixafortide dose (balixafortide alone inhibits nothing); the "
    "truth is stated in examples/synergy/README.md."
)

KIND = AnalysisKind(
    name="synergy",
    label="Drug-combination synergy: HSA, Bliss, Loewe, ZIP, Chou-Talalay CI, MuSyC",
    inputs=(
        InputSpec(
            "data",
            "SynergyFinder long table, a wide matrix (CSV, TSV or xlsx), or a checkerboard "
            "plate export with --layout",
            (*PLATE_FORMATS,),
            "table",
        ),
        InputSpec(
            "layout",
            "wellmap TOML layout of a checkerboard plate (roles vehicle, blank, combination; "
            "conc_r, conc_c, drug_row, drug_col)",
            ("toml",),
            "layout",
            required=False,
            flag="--layout",
            short="-l",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.synergy:print_result",
    result="cxcr4lab.combination.analysis:SynergyResult",
    plots="cxcr4lab.web.plots.synergy:figures",
    examples=(
        Example(
            "Docetaxel x balixafortide, PC-3, 48 h (simulated)",
            "synergy",
            {"data": "docetaxel_balixafortide_pc3.csv"},
            {},
            "Docetaxel x balixafortide on PC-3 cells: " + _NOTE,
        ),
        Example(
            "Eribulin x balixafortide, MDA-MB-231, 72 h (simulated)",
            "synergy",
            {"data": "eribulin_balixafortide_mda231.csv"},
            {},
            "Eribulin x balixafortide on MDA-MB-231 cells: " + _NOTE,
        ),
        Example(
            "Docetaxel x balixafortide as a 96-well checkerboard plate (simulated)",
            "synergy",
            {"data": "checkerboard_pc3_plate.csv", "layout": "checkerboard_layout.toml"},
            {},
            "MTT absorbance of the docetaxel x balixafortide checkerboard with its wellmap "
            "layout (two replicate wells per cell, vehicle and blank rows): " + _NOTE,
            dossier=False,
        ),
    ),
    command=("synergy",),
    docs="docs/combination.md",
    outputs=(
        OutputSpec(
            "out",
            "Also write one row per block (block means of bliss, hsa, loewe, zip, with CIs) to "
            "this CSV.",
            "--out",
            _blocks_csv,
        ),
        OutputSpec(
            "cells",
            "Also write one row per cell (response, each method's reference and synergy) to "
            "this CSV.",
            "--cells",
            _cells_csv,
        ),
    ),
)
