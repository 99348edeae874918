"""The ``trial`` kind: power of a two-arm trial (ORR z test, PFS log-rank) by simulation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cxcr4lab.runs._clinical import comma_numbers
from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """A two-arm design (1:1) and the simulation; times in months."""

    n: int = option("Patients randomised (both arms).", default=432, ge=4, le=10_000)
    orr: str = option(
        "True ORR TREATMENT,CONTROL (fractions), e.g. 0.13,0.137.", default="0.13,0.137"
    )
    median: str = option(
        "True PFS medians TREATMENT,CONTROL (months), e.g. 3.5,4.0.", default="3.5,4.0"
    )
    accrual: float = option("Accrual period.", default=24.0, unit="months", ge=0)
    analysis: float = option(
        "Analysis time from the first patient.", default=30.0, unit="months", gt=0
    )
    dropout: float = option("Dropout hazard.", default=0.01, unit="per month", ge=0)
    alpha: float = option("Two-sided level.", default=0.05, gt=0, lt=1)
    replicates: int = option("Simulated trials.", default=10_000, ge=1, le=1_000_000)
    seed: int = option("Random seed.", default=20190101, ge=0)
    treatment_arm: str = option("Name of the treatment arm.", default="treatment")
    control_arm: str = option("Name of the control arm.", default="control")

    def __post_init__(self) -> None:
        self.orr_pair()
        self.median_pair()

    def orr_pair(self) -> tuple[float, float]:
        """(treatment, control) true ORR."""
        t, c = comma_numbers(
            self.orr, "orr", expected="TREATMENT,CONTROL, e.g. 0.13,0.137", count=2, fraction=True
        )
        return t, c

    def median_pair(self) -> tuple[float, float]:
        """(treatment, control) true PFS medians, months."""
        t, c = comma_numbers(
            self.median, "median", expected="TREATMENT,CONTROL, e.g. 3.5,4.0", count=2
        )
        return t, c


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Simulate ``replicates`` trials of the design (vectorised); power with Wilson CIs."""
    from cxcr4lab.clinical.trials import ArmSpec, TrialDesign, simulate_trials

    o_t, o_c = options.orr_pair()
    m_t, m_c = options.median_pair()
    design = TrialDesign(
        ArmSpec(options.control_arm, o_c, (m_c,)),
        ArmSpec(options.treatment_arm, o_t, (m_t,)),
        n=options.n,
        accrual_months=options.accrual,
        analysis_months=options.analysis,
        dropout_per_month=options.dropout,
        alpha=options.alpha,
    )
    result = simulate_trials(design, options.replicates, seed=options.seed)
    parameters = {
        "design": design.to_dict(),
        "replicates": options.replicates,
        "seed": options.seed,
    }
    return Outcome(result, parameters, f"Trial simulation, n = {options.n}")


KIND = AnalysisKind(
    name="trial",
    label="Power of the ORR z test and the log-rank test by simulation (Monte Carlo 95% CIs)",
    inputs=(),
    options=Options,
    run=run,
    view="cxcr4lab.commands.trial:print_result",
    result="cxcr4lab.clinical.trials:TrialSimulation",
    plots="cxcr4lab.web.plots.trial:figures",
    examples=(
        Example(
            "Power of a 432-patient trial if the shrunk Phase 1b effect held (simulated)",
            "",
            {},
            {
                "n": "432",
                "orr": "0.295,0.13",
                "median": "6.2,4.0",
                "accrual": "24",
                "analysis": "30",
                "dropout": "0.01",
                "replicates": "5000",
                "seed": "20190101",
                "treatment_arm": "balixafortide + eribulin",
                "control_arm": "eribulin",
            },
            "Trial simulation: SIMULATED 432-patient trials with ORR 29.5% vs 13% (the Phase 1b "
            "9/24 shrunk by a sceptical prior) and PFS medians 6.2 (Phase 1b) vs 4.0 months.",
        ),
    ),
    command=("trial", "simulate"),
    docs="docs/clinical_survival.md",
)
