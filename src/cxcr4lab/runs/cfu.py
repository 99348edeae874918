"""The ``cfu`` kind: colony-forming units of mobilized blood per 10^5 MNC, per mL, per kg, and
rate ratios between mobilization regimens (Poisson and negative-binomial GLMs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]

TABLE_FORMATS = ("csv", "tsv", "txt", "xlsx")


@dataclass(frozen=True)
class Options:
    """The reference regimen, the CI level and the count model."""

    reference: str = option(
        "Reference regimen of the rate ratios, as written in the table (empty: G-CSF if "
        "present, else the first regimen listed).",
        default="",
    )
    conf_level: float = option(
        "Confidence level of every CI (0.95: 95% CIs).", default=0.95, ge=0.5, lt=1
    )
    model: Literal["auto", "poisson", "negbin"] = option(
        "Count model: auto (negative binomial where counts are overdispersed, by a Pearson "
        "chi-square dispersion test at p < 0.05; else Poisson), poisson (exact Poisson CIs, "
        "Poisson GLM) or negbin (negative-binomial CIs and GLM throughout).",
        default="auto",
    )


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Colonies per 10^5 MNC (per mL blood, per kg) per sample and type with CIs; rate ratios
    of each regimen vs the reference."""
    from cxcr4lab.assays.cfu import CfuSettings, analyse
    from cxcr4lab.assays.tabular import read_table_bytes

    name, content = inputs["counts"]
    settings = CfuSettings(
        reference=options.reference, conf_level=options.conf_level, model=options.model
    )
    result = analyse(read_table_bytes(content, name), settings)
    parameters = {
        "reference": result.reference,
        "conf_level": options.conf_level,
        "model": options.model,
    }
    return Outcome(result, parameters, f"CFU assay {name}")


_NOTE = (
    "CFU counts of mobilized blood and apheresis products: SIMULATED (assumed rates per 10^5 "
    "MNC for G-CSF and balixafortide 1000/2000 ug/kg, log-normal donor and dish factors, "
    "Poisson colonies; scripts/simulate_cfu.py, truth in the README)."
)

KIND = AnalysisKind(
    name="cfu",
    label="CFU assay: colonies per 10^5 MNC, per mL and per kg; regimen rate ratios",
    inputs=(
        InputSpec(
            "counts",
            "colony counts per dish: sample (donor), regimen, colony_type (BFU-E, CFU-GM, "
            "CFU-GEMM, total), dish, colonies, cells_plated; optional mnc_per_ml, or total_mnc "
            "+ body_weight_kg of an apheresis product",
            TABLE_FORMATS,
            "counts",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.cfu:print_result",
    result="cxcr4lab.assays.cfu:CfuResult",
    plots="cxcr4lab.web.plots.cfu:figures",
    examples=(
        Example(
            "CFU assay of mobilized blood, 3 regimens x 6 donors (simulated)",
            "cfu",
            {"counts": "blood.csv"},
            {"reference": "G-CSF"},
            _NOTE,
        ),
        Example(
            "CFU assay of apheresis products, per kg body weight (simulated)",
            "cfu",
            {"counts": "apheresis.csv"},
            {},
            _NOTE,
        ),
    ),
)
