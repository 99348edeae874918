"""The ``occupancy_course`` kind (``cxcr4lab simulate occupancy``): CXCR4 receptor occupancy over
time from a plasma concentration-time table, through the unbound fraction and the Kd.

The table has a time column (h) and a concentration column, and optionally a subject column (one
subject is chosen with ``--subject``). The concentration unit may be a mass unit (ng/mL): the
compound's molecular weight comes from the registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cxcr4lab.runs._kind import AnalysisKind, Example, InputFile, InputSpec, Outcome, compound_mw
from cxcr4lab.runs._options import option

__all__ = ["KIND", "Options"]


@dataclass(frozen=True)
class Options:
    """The occupancy model (Kd, unbound fraction, Hill, competing CXCL12) and the columns."""

    kd: float = option(
        "Kd (or Ki) of the compound at CXCR4, e.g. 1 nM.", quantity="concentration", example="1 nM"
    )
    compound: str = option(
        "Registry compound (its molecular weight converts ng/mL).", default="balixafortide"
    )
    fu: float | None = option(
        "Unbound fraction in plasma (balixafortide: 0.68; needed for other compounds).",
        default=None,
        gt=0,
        le=1,
    )
    hill: float = option("Hill coefficient of occupancy.", default=1.0, gt=0)
    cxcl12: float | None = option(
        "Competing CXCL12 concentration (needs --cxcl12-kd).",
        default=None,
        quantity="concentration",
        example="2 ng/mL",
        mw_of="CXCL12",
    )
    cxcl12_kd: float | None = option(
        "CXCL12 affinity for CXCR4.",
        default=None,
        quantity="concentration",
        example="5 nM",
        mw_of="CXCL12",
    )
    conc_unit: str = option("Unit of the concentration column, e.g. ng/mL or nM.", default="ng/mL")
    time: str = option("Column of the time (h).", default="time")
    conc: str = option("Column of the total plasma concentration.", default="conc")
    subject: str | None = option(
        "Only this subject (a table with a subject column holding several).", default=None
    )


def _column(frame: object, name: str, source: str) -> str:
    from cxcr4lab.core.errors import InputError

    columns = [str(c) for c in frame.columns]  # type: ignore[attr-defined]
    found = {c.casefold(): c for c in columns}.get(name.casefold())
    if found is None:
        raise InputError(
            f"column not found; the columns are {', '.join(columns[:30])}", file=source, column=name
        )
    return found


def run(inputs: Mapping[str, InputFile], options: Options) -> Outcome:
    """Read the concentration course and compute total, unbound and occupancy over time."""
    import pandas as pd

    from cxcr4lab.assays.tabular import read_table_bytes
    from cxcr4lab.core.errors import InputError, quote
    from cxcr4lab.pkpd.occupancy_model import OccupancyModel, occupancy_course

    name, content = inputs["data"]
    table = read_table_bytes(content, name)
    frame = table.frame
    subjects = [c for c in frame.columns if str(c).casefold() == "subject"]
    if subjects:
        column = subjects[0]
        values = frame[column].astype(str)
        present = list(dict.fromkeys(values))
        if options.subject is None and len(present) > 1:
            raise InputError(
                f"holds {len(present)} subjects ({', '.join(present[:10])}); choose one with "
                "--subject",
                file=name,
            )
        if options.subject is not None:
            if options.subject not in present:
                raise InputError(
                    f"no subject {quote(options.subject)}; subjects: {', '.join(present[:20])}",
                    file=name,
                    field="subject",
                )
            frame = frame[values == options.subject]
    time = pd.to_numeric(frame[_column(frame, options.time, name)], errors="coerce")
    conc = pd.to_numeric(frame[_column(frame, options.conc, name)], errors="coerce")
    bad = time.isna() | conc.isna()
    if bad.any():
        index = int(bad.to_numpy().argmax())
        raise InputError(
            "time and concentration must be numbers", file=name, row=int(frame.index[index]) + 2
        )
    extra = {} if options.fu is None else {"fu": options.fu}
    model = OccupancyModel.for_compound(
        options.compound,
        kd_molar=options.kd,
        hill=options.hill,
        ligand_molar=options.cxcl12 or 0.0,
        kl_molar=options.cxcl12_kd,
        **extra,
    )
    result = occupancy_course(
        model, time.to_numpy(), conc.to_numpy(), options.conc_unit, source=name
    )
    parameters = {
        "compound": model.compound,
        "kd_molar": options.kd,
        "fu": model.fu,
        "hill": options.hill,
        "cxcl12_molar": options.cxcl12,
        "cxcl12_kd_molar": options.cxcl12_kd,
        "conc_unit": options.conc_unit,
        "subject": options.subject,
    }
    who = f" (subject {options.subject})" if options.subject else ""
    return Outcome(result, parameters, f"Receptor occupancy course: {name}{who}")


KIND = AnalysisKind(
    name="occupancy_course",
    label="Receptor occupancy over time from a concentration course (unbound fraction, Kd)",
    inputs=(
        InputSpec(
            "data",
            "concentration-time table: time (h), conc; optional subject",
            ("csv", "tsv", "txt", "xlsx"),
            "data",
        ),
    ),
    options=Options,
    run=run,
    view="cxcr4lab.commands.occupancy_course:print_result",
    result="cxcr4lab.pkpd.occupancy_model:OccupancyCourse",
    plots="cxcr4lab.web.plots.occupancy_course:figures",
    examples=(
        Example(
            "CXCR4 occupancy after a 5.5 mg/kg 2-h infusion of balixafortide (SIMULATED course)",
            "occupancy_course",
            {"data": "balixafortide_5p5_mg_kg.csv"},
            {"kd": "1 nM", "conc_unit": "ng/mL"},
            "Occupancy course: a SIMULATED balixafortide plasma profile (examples/"
            "occupancy_course/README.md), Kd 1 nM, fu 0.68.",
        ),
    ),
    mw_lookup=compound_mw,
    command=("simulate", "occupancy"),
    docs="docs/pkpd.md",
)
