"""The ``survival`` kind: Kaplan-Meier, log-rank and Cox hazard ratios of a time-to-event endpoint.

The input is either a plain subject table (``--time T --event E`` or ``--censor C``, groups
``--by G``, any column names whatever their case; CSV/TSV/TXT/XLSX/Parquet/XPT) or a CDISC ADTTE
(``USUBJID``, ``PARAMCD``, ``AVAL``, ``CNSR``, ``AVALU``) with its ADSL. A table holding
``PARAMCD``, ``AVAL`` and ``CNSR`` is read as an ADTTE unless ``--time`` is given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cxcr4lab.runs._clinical import TABLE_FORMATS, adsl_input
from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome
from cxcr4lab.runs._options import option

__all__ = ["KIND", "SUBGROUPS", "Options"]

SUBGROUPS = ("STRAT1", "CXCR4GR")
"""ADSL columns of the dossier's subgroup hazard ratios (stratum, CXCR4 H-score group)."""

ADTTE_COLUMNS = frozenset({"PARAMCD", "AVAL", "CNSR"})
"""The columns that make a table an ADTTE (when ``--time`` is not given)."""


def _landmark(text: str) -> float:
    """One landmark time (in --time-unit): a finite number > 0."""
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise ValueError("a landmark time must be a number > 0 (in --time-unit)")
    return value


@dataclass(frozen=True)
class Options:
    """Settings of a survival analysis: the columns (plain table) or endpoint (ADTTE), groups,
    the time unit of the results and the landmark / RMST times in it."""

    time: str | None = option(
        "Column of the follow-up time of a plain table (empty: the table is an ADTTE).",
        default=None,
    )
    event: str | None = option(
        "Column of the event indicator of a plain table (1 = event, 0 = censored).", default=None
    )
    censor: str | None = option(
        "Column of a censoring indicator (1 = censored, as ADTTE CNSR); instead of --event.",
        default=None,
    )
    paramcd: str = option(
        "Endpoint (PARAMCD) of an ADTTE, e.g. PFS or OS; a plain table with a PARAMCD column "
        "keeps its rows.",
        default="PFS",
    )
    by: str | None = option(
        "Column of the groups (of the table or ADSL), e.g. ARM or SEX; empty: one group.",
        default=None,
    )
    group: str | None = option("The group column: the same as --by.", default=None)
    reference: str | None = option("Reference group of the hazard ratio.", default=None)
    time_unit: Literal["days", "weeks", "months", "years"] = option(
        "Unit the times are analysed and shown in (landmarks and --tau are in it).",
        default="months",
    )
    input_time_unit: Literal["days", "weeks", "months", "years"] | None = option(
        "Unit of the --time column of a plain table (empty: --time-unit); an ADTTE gives its "
        "own in AVALU (days if absent).",
        default=None,
    )
    landmark: tuple[float, ...] = option(
        "Landmark time of the survival rates, in --time-unit (empty: 6 and 12 months, i.e. "
        "180 and 365 days, 26 and 52 weeks, 1 and 2 years).",
        default=(),
        example="6",
        item=_landmark,
    )
    tau: float | None = option(
        "RMST horizon in --time-unit (empty: no RMST).", default=None, unit="time unit", gt=0
    )
    subgroup: tuple[str, ...] = option(
        "Column for subgroup hazard ratios (two groups), with the treatment x subgroup "
        "interaction test.",
        default=(),
        example="STRAT1",
    )
    interaction: bool = option(
        "Test each subgroup's treatment x subgroup interaction (Cox likelihood-ratio test).",
        default=True,
    )
    biomarker_cut: str | None = option(
        "Split patients high/low by a score column of the table or ADSL with the IHC kind's "
        "rule, SCORE > VALUE or SCORE >= VALUE (e.g. CXCR4HS >= 200); the split is added as a "
        "subgroup named by the rule.",
        default=None,
        example="CXCR4HS >= 200",
    )


def _group(options: Options) -> str | None:
    """The group column of --by or --group (the same option under two names)."""
    from cxcr4lab.core.errors import InputError

    by, group = options.by, options.group
    if by is not None and group is not None and by.casefold() != group.casefold():
        raise InputError(
            f"--group {group} and --by {by} differ: they are one option, give one",
            field="group",
        )
    return by or group


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Read the table (a plain one or an ADTTE) and ADSL, and analyse one endpoint: KM,
    log-rank, Cox, subgroups and their interaction tests, in ``options.time_unit``."""
    from cxcr4lab.clinical.cdisc import read_clinical_bytes
    from cxcr4lab.clinical.survival import DEFAULT_LANDMARKS, analyse_adtte, analyse_table
    from cxcr4lab.core.errors import InputError
    from cxcr4lab.runs._clinical import read_subject_table

    name, content = inputs["table"]
    frame, base = read_subject_table(content, name)
    adsl = inputs.get("adsl")
    sl, sl_base = (None, 2) if adsl is None else read_clinical_bytes(adsl[1], adsl[0])
    by = _group(options)
    subgroups = tuple(options.subgroup)
    rule = None
    if options.biomarker_cut is not None:
        from cxcr4lab.clinical.biomarker import add_biomarker_split, find_column
        from cxcr4lab.core.cutoff import CutoffRule

        rule = CutoffRule.parse(options.biomarker_cut, field="biomarker_cut")
        if sl is not None and find_column(sl, rule.score) is not None:
            sl, split = add_biomarker_split(
                sl, rule, source=adsl[0] if adsl else "", row_base=sl_base
            )
        else:
            frame, split = add_biomarker_split(frame, rule, source=name, row_base=base)
        subgroups = (*subgroups, split)
    landmarks = options.landmark or DEFAULT_LANDMARKS[options.time_unit]
    columns = {str(c).strip().upper() for c in frame.columns}
    adtte = options.time is None and columns >= ADTTE_COLUMNS
    common: dict[str, Any] = {
        "adsl": sl,
        "by": by,
        "source": name,
        "adsl_source": "" if adsl is None else adsl[0],
        "row_base": base,
        "adsl_row_base": sl_base,
        "reference": options.reference,
        "landmarks": landmarks,
        "tau": options.tau,
        "subgroups": subgroups,
        "time_unit": options.time_unit,
        "interaction": options.interaction,
    }
    if adtte:
        for field in ("event", "censor", "input_time_unit"):
            if getattr(options, field) is not None:
                raise InputError(
                    f"is for a plain table with --time; {name} is an ADTTE (AVAL in AVALU, CNSR)",
                    field=field,
                )
        result = analyse_adtte(frame, paramcd=options.paramcd, **common)
        read = "ADTTE"
    else:
        if options.time is None:
            raise InputError(
                "is needed: the time column of a plain table (an ADTTE has PARAMCD, AVAL and "
                "CNSR columns)",
                file=name,
                field="time",
            )
        result = analyse_table(
            frame,
            time=options.time,
            event=options.event,
            censor=options.censor,
            input_time_unit=options.input_time_unit,
            paramcd=options.paramcd if "PARAMCD" in columns else None,
            **common,
        )
        read = "table"
    parameters = {
        "input": read,
        "time": options.time,
        "event": options.event,
        "censor": options.censor,
        "paramcd": options.paramcd if adtte or "PARAMCD" in columns else None,
        "by": by,
        "reference": options.reference,
        "time_unit": options.time_unit,
        "input_time_unit": None if adtte else options.input_time_unit or options.time_unit,
        "landmarks": list(landmarks),
        "tau": options.tau,
        "subgroups": list(subgroups),
        "interaction": options.interaction,
    }
    if rule is not None:
        parameters["biomarker_cut"] = rule.text
    endpoint = result.endpoint or "Survival"
    return Outcome(result, parameters, f"{endpoint} {name}")


def _note(paramcd: str) -> str:
    return (
        f"{paramcd} of a SIMULATED FORTRESS-like trial (not patient data): Kaplan-Meier by "
        "arm with R survfit's log CIs and numbers at risk, log-rank, Cox HR (Efron ties) and "
        "a forest plot of subgroup HRs (stratum TNBC / HR+; CXCR4 H-score HIGH >= 200 / LOW) "
        "with their treatment x subgroup interaction tests."
    )


def _example(paramcd: str) -> Example:
    return Example(
        f"{paramcd}, simulated FORTRESS-like trial",
        "clinical",
        {"table": "fortress_adtte.csv", "adsl": "fortress_adsl.csv"},
        {
            "paramcd": paramcd,
            "by": "ARM",
            "reference": "eribulin",
            "tau": "12",
            "subgroup": "; ".join(SUBGROUPS),
        },
        _note(paramcd),
    )


LUNG = Example(
    "Overall survival by sex, NCCTG lung cancer (public data, plain table)",
    "cox",
    {"table": "lung.csv"},
    {
        "time": "time",
        "event": "status",
        "by": "sex",
        "input_time_unit": "days",
        "time_unit": "months",
        "tau": "12",
        "subgroup": "ph.ecog",
    },
    "NCCTG advanced lung cancer survival (R survival's lung, status 1 = dead), public data: "
    "a plain table with time in days, shown in months; subgroups by ECOG score.",
    dossier=False,
)


KIND = AnalysisKind(
    name="survival",
    label="Kaplan-Meier medians with 95% CIs, log-rank test and Cox hazard ratios",
    inputs=(
        InputSpec(
            "table",
            "subject table (time, event or censor, group columns) or a CDISC ADTTE (USUBJID, "
            "PARAMCD, AVAL, CNSR, AVALU)",
            TABLE_FORMATS,
            "table",
        ),
        adsl_input("USUBJID and the group (--by) and subgroup columns the table lacks"),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.survival:print_result",
    result="cxcr4lab.clinical.survival:SurvivalResult",
    plots="cxcr4lab.web.plots.survival:figures",
    examples=(_example("PFS"), _example("OS"), LUNG),
    command=("survival",),
    docs="docs/clinical_survival.md",
)
