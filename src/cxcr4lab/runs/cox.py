"""The ``cox`` kind: Cox proportional-hazards regression with covariates on a subject table.

The table is a plain one (a time column, an event or censoring column, covariates) or a CDISC
ADTTE joined to nothing (``--time AVAL --censor CNSR``). Column names match whatever their case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]

FORMATS = ("csv", "tsv", "txt", "xlsx", "parquet", "pq", "xpt")


def _categorical(text: str) -> tuple[str, str]:
    from cxcr4lab.clinical.cox import parse_categorical

    return parse_categorical(text)


def _interaction(text: str) -> tuple[str, str]:
    from cxcr4lab.clinical.cox import parse_interaction

    return parse_interaction(text)


@dataclass(frozen=True)
class Options:
    """Settings of a Cox regression: columns, covariates, contrasts, strata, ties."""

    covariate: tuple[str, ...] = option(
        "A covariate column (numeric, or categorical with --categorical).", example="age"
    )
    time: str = option("Column of the follow-up time (> 0).", default="time")
    event: str | None = option(
        "Column of the event indicator (1 = event, 0 = censored).", default="status"
    )
    censor: str | None = option(
        "Column of a censoring indicator (1 = censored, as ADTTE CNSR); replaces --event.",
        default=None,
    )
    categorical: tuple[tuple[str, str], ...] = option(
        "A categorical covariate and its reference level (treatment contrasts).",
        default=(),
        example="sex=1",
        item=_categorical,
    )
    interaction: tuple[tuple[str, str], ...] = option(
        "An interaction of two covariates (R's a:b).",
        default=(),
        example="age:sex",
        item=_interaction,
    )
    strata: tuple[str, ...] = option(
        "A column whose levels get their own baseline hazard (R's strata()).",
        default=(),
        example="inst",
    )
    ties: Literal["efron", "breslow"] = option(
        "How tied event times enter the partial likelihood: efron (R's coxph default) or "
        "breslow (SAS PHREG's and Stata's default).",
        default="efron",
    )
    paramcd: str | None = option(
        "Only rows with this PARAMCD (an ADTTE holding several endpoints).", default=None
    )
    time_unit: Literal["days", "weeks", "months", "years"] = option(
        "Unit of the time column.", default="days"
    )
    conf_level: float = option("Confidence level of the HR intervals.", default=0.95, gt=0, lt=1)


def _column(frame: Any, name: str, source: str) -> str:
    """The frame's column called ``name``, whatever its case."""
    from cxcr4lab.core.errors import InputError

    found = {str(c).casefold(): str(c) for c in frame.columns}
    column = found.get(name.casefold())
    if column is None:
        shown = ", ".join(map(str, list(frame.columns)[:30]))
        raise InputError(f"column not found; the columns are {shown}", file=source, column=name)
    return column


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Read the table and fit the Cox model."""
    import numpy as np
    import pandas as pd

    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.clinical.cdisc import read_clinical_bytes
    from cxcr4lab.clinical.cox import CoxModel, fit_cox
    from cxcr4lab.core.errors import InputError, quote

    name, content = inputs["table"]
    if name.lower().endswith((".parquet", ".pq", ".xpt")):
        frame, base = read_clinical_bytes(content, name)
    else:
        table = read_table_bytes(content, name)
        frame, base = table.frame, table.row_base
    if options.paramcd is not None:
        column = _column(frame, "PARAMCD", name)
        frame = frame[frame[column].astype(str) == options.paramcd]
        if frame.empty:
            raise InputError(f"no rows with PARAMCD {options.paramcd}", file=name)
    time = _column(frame, options.time, name)
    if options.censor is not None:
        censor = _column(frame, options.censor, name)
        flags = pd.to_numeric(frame[censor], errors="coerce")
        bad = ~flags.isin([0, 1])
        if bad.any():
            index = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"must be 0 (event) or 1 (censored); got {quote(frame[censor].iloc[index])}",
                file=name,
                row=int(frame.index[index]) + base,
                column=censor,
            )
        event = f"event (1 - {censor})"
        frame = frame.assign(**{event: 1 - flags})
    elif options.event is not None:
        event = _column(frame, options.event, name)
    else:
        raise InputError("is needed: the event column (or --censor)", field="event")
    covariates = tuple(_column(frame, c, name) for c in options.covariate)
    categorical = tuple((_column(frame, c, name), ref) for c, ref in options.categorical)
    unknown = [c for c, _ in categorical if c not in covariates]
    if unknown:
        raise InputError(
            f"{unknown[0]} is declared categorical but is not a --covariate", field="categorical"
        )
    canonical = {c.casefold(): c for c in covariates}
    interactions = []
    for a, b in options.interaction:
        pair = (canonical.get(a.casefold()), canonical.get(b.casefold()))
        if None in pair:
            raise InputError(
                f"{a}:{b} names a column that is not a --covariate", field="interaction"
            )
        interactions.append((str(pair[0]), str(pair[1])))
    model = CoxModel(
        time=time,
        event=event,
        covariates=covariates,
        categorical=categorical,
        interactions=tuple(interactions),
        strata=tuple(_column(frame, s, name) for s in options.strata),
        conf_level=options.conf_level,
        ties=options.ties,
    )
    result = fit_cox(frame, model, source=name, time_unit=options.time_unit, row_base=base)
    terms = " + ".join([*covariates, *(f"{a}:{b}" for a, b in interactions)])
    strata = "".join(f" + strata({s})" for s in model.strata)
    parameters = {
        "formula": f"Surv({time}, {options.censor or event}) ~ {terms}{strata}",
        "categorical": dict(categorical),
        "ties": options.ties,
        "time_unit": options.time_unit,
        "conf_level": options.conf_level,
    }
    ties = "" if options.ties == "efron" else f" ({options.ties} ties)"
    return Outcome(result, parameters, f"Cox {terms}{strata}{ties}: {name}")


KIND = AnalysisKind(
    name="cox",
    label="Cox regression with covariates (HRs with CIs, LR and Wald tests, PH test)",
    inputs=(
        InputSpec(
            "table",
            "subject table: time, event (or censor) and covariate columns; or an ADTTE",
            FORMATS,
            "table",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.cox:print_result",
    result="cxcr4lab.clinical.cox:CoxResult",
    plots="cxcr4lab.web.plots.cox:figures",
    examples=(
        Example(
            "Cox: age + sex + ECOG, NCCTG lung cancer (public data)",
            "cox",
            {"table": "lung.csv"},
            {"covariate": "age; sex; ph.ecog", "categorical": "sex=1"},
            "NCCTG advanced lung cancer survival (R survival's lung), public data.",
        ),
        Example(
            "Cox: recidivism after release, Breslow ties (Rossi et al., public data)",
            "cox",
            {"table": "rossi.csv"},
            {
                "covariate": "fin; age; race; wexp; mar; paro; prio",
                "time": "week",
                "event": "arrest",
                "ties": "breslow",
                "time_unit": "weeks",
            },
            "Rossi, Berk and Lenihan's released-prisoner data (R's carData::Rossi, lifelines' "
            "rossi), public data.",
            dossier=False,
        ),
    ),
    command=("cox",),
    docs="docs/clinical_cox.md",
)
