"""The ``western`` kind: pERK/pAKT densitometry -> IC50 per blot and over all blots."""

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
    compound_mw,
)
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]

TABLE_FORMATS = ("csv", "tsv", "txt", "xlsx")


@dataclass(frozen=True)
class Options:
    """Settings of a band table; the CXCL12 concentration in mol/L."""

    normalise_to: Literal["total", "loading"] = option(
        "total (pERK/ERK) or loading (pERK/GAPDH, see --loading).", default="total"
    )
    loading: str = option("Loading control target.", default="GAPDH")
    floor: bool = option(
        "Subtract the unstimulated lane (--no-floor: % of vehicle instead).", default=True
    )
    agonist_conc: float | None = option(
        "CXCL12 concentration, e.g. 100 ng/mL or 12.5 nM (for the record).",
        default=None,
        quantity="concentration",
        example="100 ng/mL",
        mw_of="CXCL12",
    )
    cell_line: str = option("Cell line, e.g. Namalwa.", default="")


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Phospho/total (or /loading) per lane relative to the stimulated vehicle, IC50 per blot
    and a shared curve over the blots."""
    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.assays.western import WesternSettings, analyse

    settings = WesternSettings(
        normalise_to=options.normalise_to,
        loading_control=options.loading,
        floor=options.floor,
        agonist_molar=options.agonist_conc,
        cell_line=options.cell_line,
    )
    name, content = inputs["bands"]
    result = analyse(read_table_bytes(content, name), settings)
    parameters = {
        "normalise_to": options.normalise_to,
        "loading_control": options.loading,
        "floor": options.floor,
        "agonist_molar": options.agonist_conc,
        "cell_line": options.cell_line,
    }
    return Outcome(result, parameters, f"Western pERK/pAKT {result.source}")


_NOTE = (
    "pERK/pAKT western blots: SIMULATED from a stated truth (Namalwa, CXCL12 100 ng/mL; "
    "balixafortide IC50 pERK 80 nM, pAKT 150 nM, Hill 1, full inhibition to the unstimulated "
    "level; three blots with exposures 1.0, 0.55 and 1.6, loading +/- 12%)."
)

KIND = AnalysisKind(
    name="western",
    label="Western densitometry, pERK/pAKT (IC50 per blot and combined)",
    inputs=(
        InputSpec(
            "bands",
            "band table, one row per band: blot, lane, target, intensity, compound, "
            "concentration (optional role, saturated)",
            TABLE_FORMATS,
            "bands",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.western:print_result",
    result="cxcr4lab.assays.western:WesternResult",
    plots="cxcr4lab.web.plots.western:figures",
    examples=(
        Example(
            "pERK/pAKT western blots, Namalwa, 3 blots (simulated)",
            "western",
            {"bands": "namalwa_3blots.csv"},
            {"agonist_conc": "100 ng/mL", "cell_line": "Namalwa"},
            _NOTE,
        ),
    ),
    mw_lookup=compound_mw,
)
