"""The ``safety`` kind: adverse-event incidence per arm, by preferred term and maximum grade."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cxcr4lab.runs._clinical import CLINICAL_FORMATS, adsl_input
from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """Settings of an AE incidence table."""

    by: str = option("ADSL column of the groups.", default="ARM")
    min_pct: float = option(
        "Show terms with >= this % (any grade) in an arm.", default=0.0, unit="%", ge=0, le=100
    )


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Validate ADAE and ADSL (``SAFFL = Y`` if present: the safety population), then tabulate."""
    from cxcr4lab.clinical.cdisc import read_clinical_bytes, validate_adae, validate_adsl
    from cxcr4lab.clinical.safety import ae_incidence

    adsl_name, adsl = inputs["adsl"]
    frame, base = read_clinical_bytes(adsl, adsl_name)
    sl = validate_adsl(frame, adsl_name, row_base=base)
    if "SAFFL" in sl.columns:
        sl = sl[sl["SAFFL"].astype(str).str.upper() == "Y"].reset_index(drop=True)
    adae_name, adae = inputs["adae"]
    frame, base = read_clinical_bytes(adae, adae_name)
    ae = validate_adae(frame, adae_name, adsl=sl, row_base=base)
    result = ae_incidence(ae, sl, by=options.by, source=adae_name, min_pct=options.min_pct)
    parameters = {"by": options.by, "min_pct": options.min_pct}
    return Outcome(result, parameters, f"Safety {adae_name}")


KIND = AnalysisKind(
    name="safety",
    label="AE incidence by preferred term (any grade, grade >= 3, serious) with exact CIs and EAIR",
    inputs=(
        InputSpec(
            "adae",
            "ADAE (CSV, Parquet or XPT): USUBJID, AEDECOD, AETOXGR, AESER",
            CLINICAL_FORMATS,
            "adae",
        ),
        adsl_input("USUBJID, ARM, TRTDURD (days) for EAIR", required=True),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.safety:print_result",
    result="cxcr4lab.clinical.safety:SafetyResult",
    plots="cxcr4lab.web.plots.safety:figures",
    examples=(
        Example(
            "Adverse events, phase 1b (simulated)",
            "clinical",
            {"adae": "phase1b_adae.csv", "adsl": "phase1b_adsl.csv"},
            {},
            "Safety: SIMULATED subject-level ADAE built to reproduce the published phase 1b AE "
            "table (n = 56: fatigue 44, neutropenia 32, infusion-related reaction 27, ...); not "
            "trial data.",
        ),
    ),
    command=("safety",),
    docs="docs/clinical.md",
)
