"""The ``survival`` kind: Kaplan-Meier, log-rank and Cox hazard ratios of a CDISC ADTTE endpoint."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from cxcr4lab.runs._clinical import CLINICAL_FORMATS, adsl_input
from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "SUBGROUPS", "Options"]

SUBGROUPS = ("STRAT1", "CXCR4GR")
"""ADSL columns of the dossier's subgroup hazard ratios (stratum, CXCR4 H-score group)."""


def _landmark(text: str) -> float:
    """One landmark time (months): a finite number > 0."""
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise ValueError("a landmark time must be a number > 0 months")
    return value


@dataclass(frozen=True)
class Options:
    """Settings of a survival analysis; times in months."""

    paramcd: str = option("Endpoint (ADTTE PARAMCD), e.g. PFS or OS.", default="PFS")
    by: str | None = option("ADSL column of the groups, e.g. ARM.", default=None)
    reference: str | None = option("Reference group of the hazard ratio.", default=None)
    landmark: tuple[float, ...] = option(
        "Landmark time (months) of the survival rates.",
        default=(6.0, 12.0),
        example="6",
        item=_landmark,
    )
    tau: float | None = option("RMST horizon (empty: no RMST).", default=None, unit="months", gt=0)
    subgroup: tuple[str, ...] = option(
        "ADSL column for subgroup hazard ratios.", default=(), example="STRAT1"
    )


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Read ADTTE (and ADSL) and analyse one endpoint: KM, log-rank, Cox, subgroups."""
    from cxcr4lab.clinical.cdisc import read_clinical_bytes
    from cxcr4lab.clinical.survival import analyse_adtte

    adtte_name, adtte = inputs["adtte"]
    tte, base = read_clinical_bytes(adtte, adtte_name)
    adsl = inputs.get("adsl")
    sl = None if adsl is None else read_clinical_bytes(adsl[1], adsl[0])[0]
    result = analyse_adtte(
        tte,
        paramcd=options.paramcd,
        adsl=sl,
        by=None if options.by is None else options.by.upper(),
        source=adtte_name,
        adsl_source="" if adsl is None else adsl[0],
        row_base=base,
        reference=options.reference,
        landmarks=options.landmark,
        tau=options.tau,
        subgroups=tuple(s.upper() for s in options.subgroup),
    )
    parameters = {
        "paramcd": options.paramcd,
        "by": options.by,
        "reference": options.reference,
        "landmarks": list(options.landmark),
        "tau": options.tau,
        "subgroups": list(options.subgroup),
    }
    return Outcome(result, parameters, f"{options.paramcd.upper()} {adtte_name}")


def _note(paramcd: str) -> str:
    return (
        f"{paramcd} of a SIMULATED FORTRESS-like trial (not patient data): Kaplan-Meier by "
        "arm with R survfit's log CIs and numbers at risk, log-rank, Cox HR (Efron ties) and "
        "a forest plot of subgroup HRs (stratum TNBC / HR+; CXCR4 H-score HIGH >= 200 / LOW)."
    )


def _example(paramcd: str) -> Example:
    return Example(
        f"{paramcd}, simulated FORTRESS-like trial",
        "clinical",
        {"adtte": "fortress_adtte.csv", "adsl": "fortress_adsl.csv"},
        {
            "paramcd": paramcd,
            "by": "ARM",
            "reference": "eribulin",
            "tau": "12",
            "subgroup": "; ".join(SUBGROUPS),
        },
        _note(paramcd),
    )


KIND = AnalysisKind(
    name="survival",
    label="Kaplan-Meier medians with 95% CIs, log-rank test and Cox hazard ratios (months)",
    inputs=(
        InputSpec(
            "adtte",
            "ADTTE (CSV/Parquet/XPT): USUBJID, PARAMCD, AVAL, CNSR, AVALU",
            CLINICAL_FORMATS,
            "adtte",
        ),
        adsl_input("USUBJID and the group column (by) and subgroup columns"),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.survival:print_result",
    result="cxcr4lab.clinical.survival:SurvivalResult",
    plots="cxcr4lab.web.plots.survival:figures",
    examples=(_example("PFS"), _example("OS")),
    command=("survival",),
    docs="docs/clinical_survival.md",
)
