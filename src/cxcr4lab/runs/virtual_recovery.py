"""The ``virtual_recovery`` kind (``cxcr4lab receptor recover``): one virtual plate per assay,
made by the receptor model and analysed by its assay module: is the model's Kb recovered within
the 95 % CIs? (SIMULATED)"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, Outcome, compound_mw
from cxcr4lab.runs._options import option
from cxcr4lab.runs._receptor import NOTE, kb_option, model_with_kb

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """The seed of the first plate and the model's Kb (mol/L)."""

    seed: int = option("Seed of the first plate.", default=11, ge=0)
    kb: float = kb_option()


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Make and analyse the virtual plates; the Kb each recovers with its 95 % CI."""
    from cxcr4lab.studies.recovery import recover_kb

    model = model_with_kb(options.kb)
    result = recover_kb(model, seed=options.seed)
    title = f"Virtual plates recover Kb {model.kb / 1e-9:.3g} nM (SIMULATED)"
    return Outcome(result, {"kb_molar": model.kb, "seed": options.seed}, title)


KIND = AnalysisKind(
    name="virtual_recovery",
    label="One virtual plate per assay, analysed by its assay module: the Kb recovered (95% CI)",
    inputs=(),
    options=Options,
    run=run,
    view="cxcr4lab.commands.virtual_recovery:print_result",
    result="cxcr4lab.studies.recovery:VirtualRecovery",
    plots="cxcr4lab.web.plots.virtual_recovery:figures",
    examples=(
        Example(
            "Receptor model: virtual plates recover the model's Kb (SIMULATED)",
            "",
            {},
            {},
            NOTE,
        ),
    ),
    mw_lookup=compound_mw,
    command=("receptor", "recover"),
    docs="docs/receptor.md",
)
