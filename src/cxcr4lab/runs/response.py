"""The ``response`` kind: ORR and CBR per arm with exact CIs, Fisher (and CMH) tests and the ORR
difference with a Miettinen-Nurminen (or Newcombe) CI (RECIST 1.1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cxcr4lab.runs._clinical import CLINICAL_FORMATS, adsl_input
from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """Settings of a response-rate analysis; durations in weeks."""

    by: str = option("ADSL column of the groups.", default="ARM")
    strata: str | None = option("ADSL column for a CMH test of ORR.", default=None)
    cbr_weeks: float = option(
        "Minimum SD duration for clinical benefit.", default=24.0, unit="weeks", ge=0
    )
    min_sd_weeks: float = option(
        "Minimum time to SD from the first dose.", default=6.0, unit="weeks", ge=0
    )
    confirm: bool = option("Require confirmation of CR/PR.", default=True)
    difference_ci: Literal["miettinen-nurminen", "newcombe"] = option(
        "CI of the ORR difference between the first two arms: Miettinen-Nurminen score or "
        "Newcombe hybrid score.",
        default="miettinen-nurminen",
    )


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Validate the tables (ADSL ``EFFFL = Y`` selects subjects), derive RECIST from TR if
    given, and compute the response rates."""
    from cxcr4lab.clinical.cdisc import (
        read_clinical_bytes,
        validate_adrs,
        validate_adsl,
        validate_tr,
    )
    from cxcr4lab.clinical.recist import RecistSettings, derive_recist
    from cxcr4lab.clinical.response import response_rates

    settings = RecistSettings(confirm=options.confirm, min_sd_days=7 * options.min_sd_weeks)
    sl = None
    adsl = inputs.get("adsl")
    if adsl is not None:
        frame, base = read_clinical_bytes(adsl[1], adsl[0])
        sl = validate_adsl(frame, adsl[0], row_base=base)
        if "EFFFL" in sl.columns:
            sl = sl[sl["EFFFL"].astype(str).str.upper() == "Y"].reset_index(drop=True)
    adrs_name, adrs = inputs["adrs"]
    frame, base = read_clinical_bytes(adrs, adrs_name)
    rs = validate_adrs(frame, adrs_name, adsl=sl, row_base=base)
    recist: tuple[Any, ...] = ()
    tr = inputs.get("tr")
    if tr is not None:
        frame, base = read_clinical_bytes(tr[1], tr[0])
        recist = derive_recist(validate_tr(frame, tr[0], adsl=sl, row_base=base), settings)[1]
    result = response_rates(
        rs,
        sl,
        by=options.by,
        source=adrs_name,
        settings=settings,
        cbr_days=7 * options.cbr_weeks,
        stratum=options.strata,
        recist=recist,
        difference=options.difference_ci,
    )
    parameters = {
        "by": options.by,
        "strata": options.strata,
        "cbr_weeks": options.cbr_weeks,
        "min_sd_weeks": options.min_sd_weeks,
        "confirm": options.confirm,
        "difference_ci": options.difference_ci,
    }
    return Outcome(result, parameters, f"Response rates {adrs_name}")


KIND = AnalysisKind(
    name="response",
    label="ORR and CBR per arm with Clopper-Pearson CIs; Fisher exact test and ORR difference "
    "(Miettinen-Nurminen CI) between two arms",
    inputs=(
        InputSpec(
            "adrs",
            "ADRS (CSV, Parquet or XPT): USUBJID, PARAMCD (OVR), AVALC, ADY",
            CLINICAL_FORMATS,
            "adrs",
        ),
        adsl_input("USUBJID, ARM; EFFFL selects subjects"),
        InputSpec(
            "tr",
            "tumour measurements (TR): adds best % change (waterfall plot)",
            CLINICAL_FORMATS,
            "tr",
            required=False,
            flag="--tr",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.response:print_result",
    result="cxcr4lab.clinical.response:ResponseResult",
    plots="cxcr4lab.web.plots.response:figures",
    examples=(
        Example(
            "Response rates, FORTRESS-like trial (simulated)",
            "clinical",
            {"adrs": "fortress_adrs.csv", "adsl": "fortress_adsl.csv", "tr": "fortress_tr.csv"},
            {"strata": "STRAT1"},
            "Response rates: SIMULATED patient-level data built to match the published FORTRESS "
            "summaries (ORR 13.0% vs 13.7%, CBR 16.7% vs 19.6%); not trial data.",
        ),
    ),
    command=("response",),
    docs="docs/clinical.md",
)
