"""The ``regimen_comparison`` kind (``cxcr4lab simulate compare``): several schedules in the same
SIMULATED virtual patients: receptor occupancy held on eribulin days against P(grade >= 3
neutropenia), with the verdict."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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


def _schedule(text: str) -> str:
    """One candidate schedule, checked (``'balixafortide 4 mg/kg d1-3,8-10 + ...'``)."""
    from cxcr4lab.core.errors import InputError, quote
    from cxcr4lab.pkpd.comparison import parse_schedule

    try:
        parse_schedule(text)
    except InputError as exc:
        raise InputError(f"{quote(text)}: {exc.message}", field="schedule") from None
    return text


@dataclass(frozen=True, kw_only=True)
class Options(PopulationOptions):
    """The candidate schedules and the verdict's thresholds."""

    schedule: tuple[str, ...] = option(
        "A candidate schedule, e.g. 'balixafortide 4 mg/kg d1-3,8-10 + eribulin 1.1 mg/m^2 "
        "d2,9' (empty: balixafortide 2-5.5 mg/kg, days 1-3,8-10 or 1-3, with eribulin 1.4 or "
        "1.1 mg/m^2).",
        default=(),
        example="'balixafortide 4 mg/kg d1-3,8-10 + eribulin 1.1 mg/m^2 d2,9'",
        item=_schedule,
    )
    held_by: float = option(
        "Fraction of patients that must hold the target.", default=0.9, gt=0, le=1
    )
    limit: float = option("Largest acceptable P(grade >= 3 neutropenia).", default=0.5, ge=0, le=1)


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Simulate every candidate in one virtual population and judge it."""
    from cxcr4lab.pkpd.comparison import compare_regimens, default_candidates, parse_schedule

    settings = options.settings(inputs=inputs)
    candidates = (
        tuple(parse_schedule(text) for text in options.schedule)
        if options.schedule
        else default_candidates()
    )
    frame, source = covariates_table(inputs)
    result = naming_options(
        lambda: compare_regimens(
            candidates,
            settings,
            hold_fraction=options.held_by,
            limit=options.limit,
            covariates=frame,
            covariates_source=source,
            chunk_map=cluster_chunk_map(),
        ),
        inputs.get("covariates"),
    )
    parameters = {
        "schedules": [c.to_dict() for c in candidates],
        "settings": settings.to_dict(),
        "held_by": options.held_by,
        "limit": options.limit,
    }
    title = f"Regimen comparison: {len(candidates)} schedules, {result.rows[0].n} virtual patients"
    return Outcome(result, parameters, title)


KIND = AnalysisKind(
    name="regimen_comparison",
    label="Compare schedules in the same virtual patients: occupancy held vs P(grade >= 3)",
    inputs=(COVARIATES,),
    options=Options,
    run=run,
    view="cxcr4lab.commands.regimen_comparison:print_result",
    result="cxcr4lab.pkpd.comparison:RegimenComparison",
    plots="cxcr4lab.web.plots.regimen_comparison:figures",
    examples=(
        Example(
            "Schedules compared: occupancy vs grade >= 3 neutropenia, 100 virtual patients, "
            "2 cycles (SIMULATED)",
            "",
            {},
            {"patients": "100", "cycles": "2"},
            NOTE,
        ),
    ),
    mw_lookup=compound_mw,
    stored=(StoredSpec("popfit", "popfit", "popfit result"),),
    command=("simulate", "compare"),
    batch=True,
    docs="docs/pkpd.md",
)
