"""The ``three_plus_three`` kind: exact 3+3 dose escalation under assumed DLT probabilities."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cxcr4lab.runs._clinical import comma_numbers
from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]

_LADDER = "2,2.5,3,4,5,5.5"
"""The balixafortide ladder (mg/kg), as ``cxcr4lab.clinical.design.BALIXAFORTIDE_LADDER``."""


@dataclass(frozen=True)
class Options:
    """The assumed DLT probability per dose and the dose ladder."""

    dlt: str = option(
        "Assumed DLT probability per dose, comma-separated.",
        default="0.05,0.05,0.08,0.1,0.15,0.2",
    )
    doses: str = option("Dose ladder, comma-separated.", default=_LADDER)
    unit: str = option("Dose unit.", default="mg/kg")

    def __post_init__(self) -> None:
        self.ladder()

    def rates(self) -> tuple[float, ...]:
        """The DLT probabilities (fractions)."""
        return comma_numbers(
            self.dlt, "dlt", expected="comma-separated numbers, e.g. 0.05,0.1,0.2", fraction=True
        )

    def ladder(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """(DLT probabilities, doses): one probability per dose."""
        from cxcr4lab.core.errors import InputError, Place

        rates = self.rates()
        doses = comma_numbers(self.doses, "doses", expected="comma-separated numbers, e.g. 2,2.5,3")
        if len(rates) != len(doses):
            raise InputError(
                f"needs one DLT probability per dose: {len(rates)} given for {len(doses)} doses",
                place=Place(field="dlt"),
            )
        return rates, doses


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """P(escalate) per dose, the MTD distribution and the expected number of patients."""
    from cxcr4lab.clinical.design import three_plus_three

    rates, doses = options.ladder()
    result = three_plus_three(rates, doses, dose_unit=options.unit)
    parameters = {"dlt_probability": list(rates), "doses": list(doses), "dose_unit": options.unit}
    return Outcome(result, parameters, "3+3 dose escalation (exact)")


KIND = AnalysisKind(
    name="three_plus_three",
    label="Exact 3+3 escalation: P(escalate) per dose, MTD distribution, expected patients",
    inputs=(),
    options=Options,
    run=run,
    view="cxcr4lab.commands.trial:print_result",
    result="cxcr4lab.clinical.design:ThreePlusThree",
    plots="cxcr4lab.web.plots.three_plus_three:figures",
    examples=(
        Example(
            "3+3 dose escalation on the balixafortide ladder (exact)",
            "",
            {},
            {"dlt": "0.05,0.05,0.08,0.1,0.15,0.2", "doses": _LADDER, "unit": "mg/kg"},
            "3+3 design: exact probabilities under ASSUMED DLT rates 0.05, 0.05, 0.08, 0.1, "
            "0.15, 0.2 on 2.0-5.5 mg/kg (a SIMULATED scenario); not trial data.",
        ),
    ),
    command=("trial", "3plus3"),
    docs="docs/clinical_survival.md",
)
