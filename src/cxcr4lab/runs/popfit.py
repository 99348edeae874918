"""The ``popfit`` kind: population PK estimation, nonlinear mixed effects (``cxcr4lab popfit``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cxcr4lab.pkpd.popfit_names import ModelName
from cxcr4lab.runs._kind import (
    AnalysisKind,
    Example,
    InputFile,
    InputSpec,
    Outcome,
    OutputSpec,
    report_progress,
)
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options", "covariate_item", "start_item"]


def covariate_item(text: str) -> str:
    """A covariate effect ``PARAM~COV[:KIND[=REF]]``, checked.

    >>> covariate_item("CL~WT:allometric"), covariate_item("CL~AGE")
    ('CL~WT:allometric', 'CL~AGE:power')
    """
    from cxcr4lab.pkpd.popfit_settings import parse_covariate

    return parse_covariate(text).text


def start_item(text: str) -> tuple[str, float]:
    """A start value ``NAME=VALUE`` (natural units).

    >>> start_item("CL=5.4")
    ('CL', 5.4)
    """
    name, eq, value = text.partition("=")
    try:
        if not (eq and name.strip()):
            raise ValueError
        v = float(value)
    except ValueError:
        raise ValueError("expected NAME=VALUE, e.g. CL=5.4") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError("the start value must be a number > 0")
    return name.strip(), v


def _names(text: str) -> str:
    return text.strip()


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    """``("CL,V1", "ka")`` -> ``("CL", "V1", "ka")``: names given with commas or one by one."""
    return tuple(n.strip() for v in values for n in v.split(",") if n.strip())


@dataclass(frozen=True)
class Options:
    """Settings of a population PK fit; units as text, times in h."""

    model: ModelName = option(  # noqa: RUF009 (a Literal alias: ruff cannot see it)
        "Structural model: 1/2/3 compartments; iv/infusion (the dose records say bolus or "
        "infusion) or oral (first-order absorption, -lag: with a lag time).",
        default="1cmt-oral",
    )
    bsv: tuple[str, ...] = option(
        "Parameters with between-subject variability (log-normal), e.g. CL,V1; default CL, "
        "the central volume and ka.",
        default=(),
        example="CL",
        item=_names,
    )
    error: Literal["additive", "proportional", "combined"] = option(
        "Residual error: additive, proportional or combined.", default="combined"
    )
    covariate: tuple[str, ...] = option(
        "A covariate effect PARAM~COV[:KIND[=REF]]; KIND power (default, estimated exponent), "
        "allometric (fixed 0.75 on clearances, 1 on volumes, reference 70), linear or "
        "categorical (REF: the level).",
        default=(),
        example="CL~WT:allometric",
        item=covariate_item,
    )
    bov: tuple[str, ...] = option(
        "A parameter with between-occasion variability (needs an OCC column).",
        default=(),
        example="CL",
        item=_names,
    )
    method: Literal["foce-i", "laplace", "saem"] = option(
        "Estimation: foce-i (NONMEM's FOCE with interaction), laplace, or saem.",
        default="foce-i",
    )
    omega: Literal["diagonal", "block"] = option(
        "Omega: diagonal, or block (correlated between-subject etas).", default="diagonal"
    )
    lloq: float | None = option(
        "Limit of quantification (conc unit): observations below it, and BLQ=1 records, enter "
        "as censored (M3).",
        default=None,
        gt=0,
    )
    conc_unit: str = option("Unit of DV / conc, e.g. mg/L or ng/mL.", default="mg/L")
    dose_unit: str = option("Unit of AMT / dose, e.g. mg.", default="mg")
    start: tuple[tuple[str, float], ...] = option(
        "A start value NAME=VALUE (natural units); others from a pooled fit.",
        default=(),
        example="CL=5.4",
        item=start_item,
    )
    vpc_replicates: int = option(
        "Simulated replicates of the data for NPDE and the VPC (0: none).",
        default=200,
        ge=0,
        le=5000,
    )
    seed: int = option("Seed of the simulations (SAEM, NPDE, VPC).", default=1, ge=0)


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Estimate the population model: thetas, Omega, residual error with 95% CIs, EBEs,
    shrinkage, diagnostics."""
    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.core.errors import InputError
    from cxcr4lab.pkpd.popfit import PopFitSettings, fit_population

    name, content = inputs["data"]
    model_file = inputs.get("model_file")
    text, model_source = None, "model.toml"
    if model_file is not None:
        model_source = model_file[0]
        try:
            text = model_file[1].decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("is not UTF-8 text", file=model_source) from None
    settings = PopFitSettings(
        model=options.model,
        bsv=_split(options.bsv),
        error=options.error,
        covariates=options.covariate,
        bov=_split(options.bov),
        method=options.method,
        omega=options.omega,
        lloq=options.lloq,
        conc_unit=options.conc_unit,
        dose_unit=options.dose_unit,
        start=options.start,
        vpc_replicates=options.vpc_replicates,
        seed=options.seed,
        model_file=text,
        model_source=model_source,
    )
    table = read_table_bytes(content, name)
    stages = ("reading the data", "fitting", "diagnostics")

    def progress(stage: str) -> None:
        done = next((i for i, s in enumerate(stages) if stage.startswith(s)), 0)
        report_progress(f"popfit: {stage}", done, len(stages))

    result = fit_population(
        table.frame, settings, source=name, row_base=table.row_base, progress=progress
    )
    report_progress("popfit: done", len(stages), len(stages))
    model = settings.model if text is None else model_source
    return Outcome(result, settings.to_dict(), f"Population PK {name} ({model})")


def _table(frame: Any, suffix: str, sheet: str) -> str | bytes:
    from cxcr4lab.core.export import table_file

    return table_file(frame, suffix, sheet=sheet)


def _parameters_file(result: Any, suffix: str) -> str | bytes:
    return _table(result.summary(), suffix, "parameters")


def _individual_file(result: Any, suffix: str) -> str | bytes:
    return _table(result.individual_table(), suffix, "individual")


def _diagnostics_file(result: Any, suffix: str) -> str | bytes:
    return _table(result.observations.frame, suffix, "diagnostics")


def _vpc_file(result: Any, suffix: str) -> str | bytes:
    return _table(result.vpc_table(), suffix, "vpc")


KIND = AnalysisKind(
    name="popfit",
    label="Population PK (NLME): FOCE-I, Laplace or SAEM; BSV, BOV, covariates, BLQ by M3; "
    "95% CIs, shrinkage, CWRES, NPDE, VPC",
    inputs=(
        InputSpec(
            "data",
            "NONMEM dataset (ID, TIME h, DV, AMT, EVID, MDV, CMT, RATE, II, ADDL; optional BLQ, "
            "LLOQ, OCC and subject covariates such as WT), or the NCA form (subject, time h, "
            "conc, dose [, route, duration]; conc may be BLQ)",
            ("csv", "tsv", "txt", "xlsx"),
            "data",
        ),
        InputSpec(
            "model_file",
            "user ODE model (TOML: states, parameters, equations, outputs, [data] observe / "
            "depot / central CMT; docs/popfit.md); replaces --model",
            ("toml",),
            "model",
            required=False,
            flag="--model-file",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.popfit:print_result",
    result="cxcr4lab.pkpd.popfit_results:PopFitResult",
    plots="cxcr4lab.web.plots.popfit:figures",
    examples=(
        Example(
            "Population PK, theophylline (public Theoph data set, NONMEM form)",
            "pk",
            {"data": "theoph_nonmem.csv"},
            {
                "model": "1cmt-oral",
                "bsv": "CL,ka",
                "error": "additive",
                "conc_unit": "mg/L",
                "dose_unit": "mg",
                "vpc_replicates": "100",
            },
            "Population PK: R's public Theoph data set (not balixafortide, not simulated) in "
            "NONMEM form (AMT = Dose x Wt in the depot, CMT 1); the same model fitted by R "
            "nlme is reproduced to 1e-6 in the tests.",
        ),
        Example(
            "Population PK, balixafortide phase 1 dose escalation (SIMULATED)",
            "pk",
            {"data": "phase1_pop.csv"},
            {
                "model": "2cmt-infusion",
                "bsv": "CL,V1",
                "error": "combined",
                "covariate": "CL~WT:allometric; V1~WT:allometric; Q~WT:allometric; "
                "V2~WT:allometric",
                "conc_unit": "ng/mL",
                "dose_unit": "mg",
                "lloq": "5",
                "vpc_replicates": "100",
            },
            "SIMULATED balixafortide phase 1 dose escalation (not patient data): 48 subjects, "
            "2.0-5.5 mg/kg as one 2 h infusion, rich and sparse sampling, 13 % of samples "
            "below the LC-MS/MS LLOQ (M3), from a stated truth (scripts/simulate_pk_population.py"
            "); the fit recovers the truth within its 95% CIs in the tests.",
            # its FOCE-I fit alone took a sixth of the dossier's time (docs/performance.md);
            # the dossier's population PK is the Theoph example
            dossier=False,
        ),
    ),
    command=("popfit",),
    aliases=(("analyze", "popfit"),),
    docs="docs/popfit.md",
    outputs=(
        OutputSpec(
            "out",
            "Also write the parameter table (estimates, SE, RSE, 95% CI, CV %, shrinkage): "
            ".csv, .tsv, .xlsx or .parquet.",
            "--out",
            _parameters_file,
            by_suffix=True,
        ),
        OutputSpec(
            "individual_out",
            "Also write the individual parameters (EBEs) and covariates per subject.",
            "--individual-out",
            _individual_file,
            by_suffix=True,
        ),
        OutputSpec(
            "diagnostics_out",
            "Also write the observations with PRED, IPRED, IWRES, CWRES and NPDE.",
            "--diagnostics-out",
            _diagnostics_file,
            by_suffix=True,
        ),
        OutputSpec(
            "vpc_out",
            "Also write the visual predictive check, one row per time bin.",
            "--vpc-out",
            _vpc_file,
            by_suffix=True,
        ),
    ),
)
