"""The ``schild`` kind (``cxcr4lab receptor schild``): a Schild experiment simulated with the
receptor model, pA2 and the Schild slope with 95 % CIs against the model's pKb (SIMULATED)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, Outcome, compound_mw
from cxcr4lab.runs._options import option
from cxcr4lab.runs._receptor import NOTE, kb_option, model_with_kb

__all__ = ["KIND", "Options"]

DEFAULT_LEVELS = (0.3e-9, 3e-9, 30e-9)
"""balixafortide concentrations (mol/L) when none are given."""


def _antagonist(text: str) -> float:
    """One balixafortide concentration (mol/L, > 0)."""
    from cxcr4lab.core.units import to_molar

    if "," in text:
        raise ValueError("give one concentration per option, or separate them with ';'")
    return to_molar(text, allow_zero=False)


@dataclass(frozen=True)
class Options:
    """The experiment: balixafortide levels (mol/L), noise, readout, cell line, the model's Kb."""

    antagonist_conc: tuple[float, ...] = option(
        "balixafortide concentration, e.g. 0.3 nM (empty: 0.3, 3 and 30 nM); the control "
        "without it is always added.",
        default=(),
        example="0.3nM",
        item=_antagonist,
    )
    seed: int = option("Random seed of the noise.", default=1, ge=0)
    readout: Literal["arrestin", "g_protein", "perk", "pakt", "chemotaxis"] = option(
        "Readout (pathway) of the experiment.", default="arrestin"
    )
    cell: Literal["engineered", "Jurkat", "Namalwa", "MDA-MB-231"] = option(
        "Cell line of the model.", default="engineered"
    )
    noise: float = option(
        "Gaussian noise SD, as a percentage of the pathway maximum.", default=0.5, unit="%", ge=0
    )
    kb: float = kb_option()


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Simulate the CXCL12 curves at each level with noise, fit them and the Schild plot."""
    from cxcr4lab.core.errors import InputError
    from cxcr4lab.studies.schild_study import schild_study

    levels = options.antagonist_conc or DEFAULT_LEVELS
    if len(set(levels)) < 2:
        raise InputError(
            "a Schild analysis needs at least two different concentrations above 0",
            field="antagonist_conc",
        )
    model = model_with_kb(options.kb)
    result = schild_study(
        model,
        seed=options.seed,
        antagonist_molar=levels,
        readout=options.readout,
        cell=options.cell,
        noise_pct=options.noise,
    )
    parameters = {
        "kb_molar": model.kb,
        "antagonist_molar": list(levels),
        "seed": options.seed,
        "readout": options.readout,
        "cell": options.cell,
        "noise_pct": options.noise,
    }
    title = f"Schild experiment, {options.readout}, seed {options.seed} (SIMULATED)"
    return Outcome(result, parameters, title)


KIND = AnalysisKind(
    name="schild",
    label="A simulated Schild experiment: pA2 and Schild slope with 95% CIs vs the model's pKb",
    inputs=(),
    options=Options,
    run=run,
    view="cxcr4lab.commands.schild:print_result",
    result="cxcr4lab.studies.schild_study:SchildStudy",
    plots="cxcr4lab.web.plots.schild:figures",
    examples=(
        Example("Receptor model: Schild experiment, beta-arrestin (SIMULATED)", "", {}, {}, NOTE),
    ),
    mw_lookup=compound_mw,
    command=("receptor", "schild"),
    docs="docs/receptor.md",
)
