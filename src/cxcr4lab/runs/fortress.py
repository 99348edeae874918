"""The ``fortress`` kind: the worked "why FORTRESS failed" analysis (SIMULATED programmes and
trials around the published Phase 1b and FORTRESS figures)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """Size of the primary analysis and of the simulation."""

    n_per_arm: int = option("Primary analysis size per arm.", default=161, ge=1, le=100_000)
    replicates: int = option(
        "Simulated trials per scenario and size.", default=20_000, ge=100, le=1_000_000
    )
    seed: int = option("Random seed.", default=2019, ge=0)


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """The Phase 1b posterior, shrinkage, selection bias and the Phase 3 scenarios."""
    from cxcr4lab.clinical.fortress import fortress_analysis

    result = fortress_analysis(
        n_per_arm=options.n_per_arm, replicates=options.replicates, seed=options.seed
    )
    parameters = {
        "n_per_arm": options.n_per_arm,
        "replicates": options.replicates,
        "seed": options.seed,
    }
    return Outcome(result, parameters, "Why FORTRESS failed (worked analysis)")


KIND = AnalysisKind(
    name="fortress",
    label="The worked FORTRESS analysis: Phase 1b posterior, selection bias, scenarios",
    inputs=(),
    options=Options,
    run=run,
    view="cxcr4lab.commands.trial:print_result",
    result="cxcr4lab.clinical.fortress:FortressResult",
    plots="cxcr4lab.web.plots.fortress:figures",
    examples=(
        Example(
            "Why FORTRESS failed (worked analysis)",
            "",
            {},
            {"n_per_arm": "161", "replicates": "20000", "seed": "2019"},
            "FORTRESS worked analysis: SIMULATED programmes and trials around the published "
            "Phase 1b (9/24 responses) and FORTRESS (ORR 13.0% vs 13.7%, PFS 3.5 vs 4.0 months) "
            "figures.",
        ),
    ),
    command=("trial", "fortress"),
    docs="docs/clinical_survival.md",
)
