"""The ``signalling_sbml`` kind (``cxcr4lab receptor sbml``): the CXCL12/CXCR4 signalling model's
SBML (a given file, or the bundled model exported per cell line) checked against the Python
model on every virtual-assay read-out; model, not data (SIMULATED read-outs).

The run evaluates the file's own math with python-libsbml + scipy by default (engine
``libsbml``, :mod:`cxcr4lab.receptor.sbml_eval`), so it works where libroadrunner, a
development dependency, is missing; ``--engine libroadrunner`` runs the file in libroadrunner
(CVODE) instead. The tests check both engines against each other and the Python model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cxcr4lab.runs._kind import (
    AnalysisKind,
    Example,
    InputFile,
    InputSpec,
    Outcome,
    report_progress,
)
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]

_NM = 1e-9
_CXCL12_100_NG_PER_ML = 100e-6 / 7963.5  # CXCL12 100 ng/mL in mol/L (MW 7963.5 g/mol)


def _conc(text: str) -> float:
    """One concentration (mol/L, >= 0)."""
    from cxcr4lab.core.units import to_molar

    if "," in text:
        raise ValueError("give one concentration per option, or separate them with ';'")
    return to_molar(text)


@dataclass(frozen=True)
class Options:
    """The concentration grid (mol/L), the CXCL12 of the IC50s, the cell line(s), the engine."""

    agonist_conc: tuple[float, ...] = option(
        "CXCL12 concentrations of the grid, e.g. 1 nM (empty: 0, 1, 12.56 (100 ng/mL) and 100 nM).",
        default=(),
        example="1nM",
        item=_conc,
    )
    antagonist_conc: tuple[float, ...] = option(
        "balixafortide concentrations of the grid, e.g. 1 nM (empty: 0, 0.1, 1 and 30 nM).",
        default=(),
        example="1nM",
        item=_conc,
    )
    ic50_agonist: float = option(
        "CXCL12 concentration at which the functional IC50s are taken.",
        default=_CXCL12_100_NG_PER_ML,
        quantity="concentration",
        example="12.56 nM",
    )
    cell: Literal["all", "engineered", "Jurkat", "Namalwa", "MDA-MB-231"] = option(
        "Bundled cell line(s) to export and check when no SBML file is given (a file carries "
        "its own cell line).",
        default="all",
    )
    engine: Literal["libsbml", "libroadrunner"] = option(
        "How the SBML is evaluated: libsbml (the file's math via python-libsbml + scipy, always "
        "available) or libroadrunner (CVODE; a development dependency).",
        default="libsbml",
    )


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Export (or read) the SBML and compare it with the Python model over the grid."""
    from cxcr4lab.core.errors import InputError
    from cxcr4lab.studies.signalling_sbml import (
        DEFAULT_AGONIST,
        DEFAULT_ANTAGONIST,
        check_signalling_sbml,
        export_cell_lines,
    )

    given = inputs.get("sbml")
    if given is not None:
        if options.cell != "all":
            raise InputError(
                "the SBML file carries its own cell line; leave the cell option at 'all'",
                field="cell",
            )
        name, content = given
        files = [(name, content.decode("utf-8", errors="replace"))]
        source = name
    else:
        files = export_cell_lines(cells=None if options.cell == "all" else [options.cell])
        source = "bundled model (cxcr4lab defaults)"
    result = check_signalling_sbml(
        files,
        source=source,
        agonist_molar=options.agonist_conc or DEFAULT_AGONIST,
        antagonist_molar=options.antagonist_conc or DEFAULT_ANTAGONIST,
        ic50_agonist_molar=options.ic50_agonist,
        engine=options.engine,
        progress=report_progress,
    )
    parameters = {
        "source": source,
        "engine": options.engine,
        "cells": list(result.cells),
        "agonist_molar": list(result.agonist_molar),
        "antagonist_molar": list(result.antagonist_molar),
        "ic50_agonist_molar": options.ic50_agonist,
    }
    verdict = "pass" if result.passed else "FAIL"
    title = f"Signalling model SBML vs Python, {source} ({verdict}; SIMULATED read-outs)"
    return Outcome(result, parameters, title)


NOTE = (
    "Model, not data; SIMULATED read-outs: the mechanistic CXCL12/CXCR4 model with the "
    "project's default (seed-calibrated, partly assumed) parameters, exported to SBML and "
    "compared with itself."
)

KIND = AnalysisKind(
    name="signalling_sbml",
    label="Signalling model as SBML: cross-check of every read-out against the Python model",
    inputs=(
        InputSpec(
            "sbml",
            "SBML L3V2 file of the signalling model (cxcr4lab simulate sbml --model signalling); "
            "default: the bundled model",
            ("xml", "sbml"),
            "sbml",
            required=False,
            flag="--sbml",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.signalling_sbml:print_result",
    result="cxcr4lab.studies.signalling_sbml:SignallingSbmlCheck",
    plots="cxcr4lab.web.plots.signalling_sbml:figures",
    examples=(
        Example(
            "Signalling model SBML, every bundled cell line (model, not data; SIMULATED read-outs)",
            "",
            {},
            {},
            NOTE,
        ),
        Example(
            "Signalling model SBML file, Jurkat (model, not data; SIMULATED read-outs)",
            "signalling_sbml",
            {"sbml": "cxcr4_signalling_jurkat.xml"},
            {},
            NOTE,
        ),
    ),
    command=("receptor", "sbml"),
    docs="docs/signalling_sbml.md",
)
