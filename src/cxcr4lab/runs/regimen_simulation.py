"""The ``regimen_simulation`` kind (``cxcr4lab simulate regimen``): one regimen in SIMULATED
virtual patients: bands of balixafortide concentration, receptor occupancy, CD34+ and ANC over
cycles, and a per-cycle table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cxcr4lab.runs._kind import (
    AnalysisKind,
    Example,
    InputFile,
    Outcome,
    StoredSpec,
    compound_mw,
)
from cxcr4lab.runs._options import option
from cxcr4lab.runs._simulation import (
    COVARIATES,
    NOTE,
    PopulationOptions,
    cluster_chunk_map,
    covariates_table,
    naming_options,
)

__all__ = ["KIND", "Options"]


@dataclass(frozen=True, kw_only=True)
class Options(PopulationOptions):
    """The regimen (per drug, or one schedule text) and the simulation settings."""

    balixafortide: str = option(
        "Balixafortide dose (2 h IV infusion); 0 = none.", default="5.5 mg/kg"
    )
    balixafortide_days: str = option("Days of the 21-day cycle, e.g. 1-3,8-10.", default="1-3,8-10")
    eribulin: str = option("Eribulin dose (IV bolus); 0 = none.", default="1.4 mg/m^2")
    eribulin_days: str = option("Days of the 21-day cycle, e.g. 2,9.", default="2,9")
    schedule: str | None = option(
        "Whole schedule as text instead, e.g. 'balixafortide 5.5 mg/kg d1-3,8-10 + eribulin "
        "1.4 mg/m^2 d2,9'.",
        default=None,
    )
    keo_half_life: float = option(
        "CD34+ effect-site equilibration half-life.", default=2.0, unit="h", gt=0
    )


def _regimen(options: Options) -> Any:
    """The :class:`~cxcr4lab.pkpd.regimens.Regimen` of the options; an error names the option."""
    from dataclasses import replace

    from cxcr4lab.core.errors import InputError, Place
    from cxcr4lab.pkpd.comparison import describe, parse_schedule
    from cxcr4lab.pkpd.regimens import Regimen

    if options.schedule:
        return parse_schedule(options.schedule, name="custom", place=Place(field="schedule"))
    parts = []
    for drug, dose, days in (
        ("balixafortide", options.balixafortide, options.balixafortide_days),
        ("eribulin", options.eribulin, options.eribulin_days),
    ):
        if dose.strip().lower() in ("", "0", "none"):
            continue
        text = f"{drug} {dose} d{days}"
        parts.append(parse_schedule(text, name=drug, place=Place(field=drug)).drugs[0])
    if not parts:
        raise InputError("nothing to simulate: give a dose of a drug", field="balixafortide")
    title = " + ".join(f"{d.drug} {describe(d)}" for d in parts)
    return replace(Regimen.balixafortide_eribulin(), name="custom", drugs=tuple(parts), title=title)


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Simulate the regimen in the virtual population (or the patients of the covariates file)."""
    from cxcr4lab.pkpd.regimen_simulation import simulate_regimen

    settings = options.settings(options.keo_half_life, inputs)
    regimen = _regimen(options)
    frame, source = covariates_table(inputs)
    chunk_map = cluster_chunk_map()
    result = naming_options(
        lambda: simulate_regimen(
            regimen, settings, covariates=frame, covariates_source=source, chunk_map=chunk_map
        ),
        inputs.get("covariates"),
    )
    parameters = {"regimen": regimen.to_dict(), "settings": settings.to_dict()}
    title = f"Regimen simulation: {regimen.title} ({result.n_patients} virtual patients)"
    return Outcome(result, parameters, title)


KIND = AnalysisKind(
    name="regimen_simulation",
    label="Simulate a regimen in virtual patients: concentration, occupancy, CD34+ and ANC bands",
    inputs=(COVARIATES,),
    options=Options,
    run=run,
    view="cxcr4lab.commands.regimen_simulation:print_result",
    result="cxcr4lab.pkpd.regimen_simulation:RegimenSimulation",
    plots="cxcr4lab.web.plots.regimen_simulation:figures",
    examples=(
        Example(
            "Balixafortide + eribulin, 6 cycles in 100 virtual patients (SIMULATED)",
            "",
            {},
            {"patients": "100", "cycles": "6"},
            NOTE,
        ),
    ),
    mw_lookup=compound_mw,
    stored=(StoredSpec("popfit", "popfit", "popfit result"),),
    command=("simulate", "regimen"),
    docs="docs/pkpd.md",
    batch=True,
)
