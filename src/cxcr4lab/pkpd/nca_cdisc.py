"""CDISC SDTM for NCA: the PC domain in (concentrations), the PP domain out (parameters).

Hand-written because no Python library reads SDTM PC into an NCA table or writes PP: the R
tools (PKNCA, aNCA, admiral) do it in R, and the parts are small here: column checks, ISO 8601
durations and date-times (the standard library has no duration parser, and its
``datetime.fromisoformat`` reads a bare date ``2020-01-01`` as midnight, where SDTM means "time
unknown"), BLQ marks, units, and one table of controlled terms.

* :func:`read_pc` turns a PC domain into the workbench's tidy NCA table (``subject``, ``time``
  in h, ``conc`` as numbers or ``"BLQ"``), with the concentration unit from ``PCSTRESU``.
* :func:`pp_table` turns a long table of NCA parameters into a PP domain.
* :func:`parse_duration` / :func:`format_duration`: ISO 8601 durations <-> hours.

Controlled terminology (:data:`PP_TERMS`): the PK parameter codes (PKPARMCD, codelist C85839,
for PPTESTCD) and names (PKPARM, C85493, for PPTEST) were checked against

* CDISC SDTM Controlled Terminology release 2026-03-27 (NCI EVS, ``SDTM Terminology.txt``) as
  pinned in github.com/Robterheine/ncaassistant ``cdisc/pk_parameter_terms.csv`` (every code
  here except CTROUGH, AUCINT and ARAUC, with its decode);
* PKNCA (github.com/humanpred/pknca ``R/pk.calc.simple.R``, ``R/aucint.R``), whose "common"
  parameters are tested against the CT (``tests/testthat/test-cdisc-codes.R``): CTROUGH "Conc
  Trough", AUCINT "AUC from T1 to T2"; the SDTMIG PP page on wiki.cdisc.org names AUCINT too;
* ARAUC "Accumulation Ratio AUC" is taken from the issue and NOT verified against a CT file:
  check it before a submission.

Note the current decode of TMAX is "Time of CMAX Observation" (older releases: "Time of CMAX"),
and MRT to infinity has one code per route: MRTEVIFO (extravascular), MRTIBIFO (IV bolus),
MRTICIFO (IV infusion).

>>> hours = parse_duration("P1DT2H30M")
>>> hours, format_duration(hours)
(26.5, 'PT26H30M')
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.tables import require_columns, require_nonempty
from cxcr4lab.pkpd.nca_read import BLQ_TOKENS, parse_route

__all__ = [
    "PP_COLUMNS",
    "PP_TERMS",
    "TIME_SOURCES",
    "PcTable",
    "PpTerm",
    "format_duration",
    "parse_datetime",
    "parse_duration",
    "pp_table",
    "read_pc",
]

# --------------------------------------------------------------------------------------------
# ISO 8601


_NUM = r"(\d+(?:[.,]\d+)?)"
_WEEKS = re.compile(rf"([+-])?P{_NUM}W")
_DURATION = re.compile(
    rf"([+-])?P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?"
)
_HOURS_PER = (math.nan, math.nan, 24.0, 1.0, 1 / 60, 1 / 3600)  # Y, M, D, H, M, S


def parse_duration(text: str) -> float:
    """An ISO 8601 duration (``PT2H``, ``PT30M``, ``P1DT2H``, ``PT1.5H``, ``P2W``, ``-PT15M``) in
    hours; a leading ``-`` gives a negative number. Years and months are refused unless zero
    (they have no fixed length in hours); only the last component may have a fraction.
    Raises ValueError saying what is wrong.

    >>> parse_duration("PT30M"), parse_duration("-PT15M"), parse_duration("P2W")
    (0.5, -0.25, 336.0)
    """
    s = text.strip().upper()
    weeks = _WEEKS.fullmatch(s)
    if weeks:
        sign, value = weeks.groups()
        hours = float(value.replace(",", ".")) * 168.0
        return -hours if sign == "-" else hours
    m = _DURATION.fullmatch(s)
    sign, *parts = m.groups() if m else (None,)
    given = [i for i, p in enumerate(parts) if p is not None]
    if not m or not given or ("T" in s and not any(i >= 3 for i in given)):
        raise ValueError(f"{quote(text)} is not an ISO 8601 duration such as PT2H, PT30M or P1DT2H")
    for i in given[:-1]:
        if not re.fullmatch(r"\d+", parts[i] or ""):
            raise ValueError(f"{quote(text)}: only the last component may have a fraction")
    hours = 0.0
    for i in given:
        value = float((parts[i] or "0").replace(",", "."))
        if i < 2 and value != 0:
            unit = "years" if i == 0 else "months"
            raise ValueError(f"{quote(text)}: {unit} have no fixed length in hours")
        if i >= 2:
            hours += value * _HOURS_PER[i]
    return -hours if sign == "-" else hours


def format_duration(hours: float) -> str:
    """Hours as an ISO 8601 duration in hours, minutes and seconds: ``PT24H``, ``PT1H30M``,
    ``PT0.5S``; zero is ``PT0H``. Seconds keep up to 6 decimals.

    >>> format_duration(0.0), format_duration(24.0), format_duration(0.75)
    ('PT0H', 'PT24H', 'PT45M')
    """
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"a duration must be finite and >= 0 h; got {hours!r}")
    micro = round(hours * 3600e6)
    h, rest = divmod(micro, 3600 * 10**6)
    minutes, micro_s = divmod(rest, 60 * 10**6)
    out = "PT"
    if h:
        out += f"{h}H"
    if minutes:
        out += f"{minutes}M"
    if micro_s:
        whole, frac = divmod(micro_s, 10**6)
        out += f"{whole}.{frac:06d}".rstrip("0").rstrip(".") + "S" if frac else f"{whole}S"
    return out if out != "PT" else "PT0H"


_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?"
)
_DATE_ONLY = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 date-time with at least hours and minutes (``2020-01-01T08:00``,
    ``2020-01-01T08:00:30.5``, ``...Z``, ``...+01:00``), as SDTM ``--DTC`` variables hold it.
    A date without a time, or any partial date, raises ValueError (no elapsed time in hours).

    >>> parse_datetime("2020-01-01T08:30").isoformat()
    '2020-01-01T08:30:00'
    """
    s = text.strip()
    if not _DATETIME.fullmatch(s):
        if _DATE_ONLY.fullmatch(s):
            raise ValueError(f"{quote(text)} has no time of day (need YYYY-MM-DDThh:mm)")
        raise ValueError(f"{quote(text)} is not an ISO 8601 date-time such as 2020-01-01T08:00")
    try:
        return datetime.fromisoformat(s.replace(",", ".").replace("Z", "+00:00"))
    except ValueError as exc:  # 2020-02-30T08:00, 25:00, ...
        raise ValueError(f"{quote(text)} is not a valid date-time ({exc})") from None


# --------------------------------------------------------------------------------------------
# PC in

TimeSource = Literal["auto", "actual", "nominal"]
TIME_SOURCES: tuple[TimeSource, ...] = ("auto", "actual", "nominal")


@dataclass(frozen=True)
class PcTable:
    """A PC domain read for NCA.

    ``table``: one row per sample of the chosen analyte in file order, columns ``subject``
    (USUBJID), ``time`` (h since the reference), ``conc`` (a number in ``conc_unit``, ``"BLQ"``,
    or NaN where no result was reported), ``analyte`` (PCTESTCD), ``visit`` (VISIT, if the
    domain has it) and ``source_row`` (the row of the input, for messages).
    ``time_source`` says which variables gave the times; ``notes`` what was changed or left out.
    """

    table: pd.DataFrame
    conc_unit: str
    analyte: str
    time_source: str
    notes: tuple[str, ...] = ()


def _upper_columns(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns=lambda c: str(c).strip().upper()).reset_index(drop=True)


def _cells(frame: pd.DataFrame, name: str) -> list[str | None]:
    if name not in frame.columns:
        return [None] * len(frame)
    out: list[str | None] = []
    for v in frame[name].to_numpy():
        blank = v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""
        out.append(None if blank else str(v).strip())
    return out


def _number(text: str, place: Place) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{quote(text)} is not a number", place=place) from None
    if not math.isfinite(value):
        raise InputError(f"{quote(text)} is not a finite number", place=place)
    return value


def _choose(
    values: list[str | None], rows: list[int], wanted: str | None, what: str, place: Place
) -> list[int]:
    """The rows whose value is ``wanted`` (case-insensitive); with none wanted, all of them if
    they hold one value, else an error listing the values."""
    found = list(dict.fromkeys(values[i] for i in rows if values[i] is not None))
    if wanted is None:
        if len(found) > 1:
            raise InputError(
                f"the table holds several {what}s ({', '.join(map(str, found))}); "
                f"choose one ({what}=...)",
                place=place,
            )
        return rows
    keep = [i for i in rows if (values[i] or "").upper() == wanted.strip().upper()]
    if not keep:
        raise InputError(
            f"no {what} {quote(wanted)}; the table has {', '.join(map(str, found)) or 'none'}",
            place=place,
        )
    return keep


def read_pc(
    frame: pd.DataFrame,
    source: str,
    row_base: int = 2,
    *,
    analyte: str | None = None,
    specimen: str | None = None,
    time: TimeSource = "auto",
) -> PcTable:
    """The NCA table of one analyte of a CDISC SDTM PC domain (column names in any case).

    Needs ``USUBJID``, ``PCTESTCD`` and a result. Several analytes (PCTESTCD) or specimens
    (PCSPEC) need ``analyte`` / ``specimen`` chosen (the error lists them).

    Result: ``PCSTRESN`` (unit ``PCSTRESU``) when present; else the text of ``PCSTRESC`` (unit
    ``PCSTRESU``) or ``PCORRES`` (unit ``PCORRESU``): a number, or ``"BLQ"`` for a BLQ mark
    (BLQ, BQL, <LLOQ, ... or any text starting with ``<``). A number below ``PCLLOQ`` becomes
    ``"BLQ"``; ``PCSTAT = NOT DONE`` or no result gives NaN (a missing sample). All numeric
    results must share one unit (a second unit is refused, naming its row).

    Time (h) by ``time``: ``"actual"`` = ``PCDTC - PCRFTDTC`` (ISO 8601 date-times);
    ``"nominal"`` = ``PCELTM`` (ISO 8601 duration, e.g. ``PT2H``) or, without it, ``PCTPTNUM``
    read as hours (a sponsor convention: SDTM only says it orders the time points);
    ``"auto"`` = actual when both date-time columns exist, else nominal. A sample without a
    time is left out (noted) when it has no result, refused otherwise; negative times (samples
    before the reference, e.g. ``-PT15M`` pre-dose) are refused. Errors name file, row, column.
    """
    place = Place(file=source)
    if time not in TIME_SOURCES:
        raise InputError(f"must be one of {', '.join(TIME_SOURCES)}; got {time!r}", field="time")
    data = _upper_columns(frame)
    require_nonempty(data, place=place)
    require_columns(data, ["USUBJID", "PCTESTCD"], place=place)
    results = [c for c in ("PCSTRESN", "PCSTRESC", "PCORRES") if c in data.columns]
    if not results:
        raise InputError(
            "missing a result column: PCSTRESN, PCSTRESC or PCORRES", place=place, column="PCSTRESN"
        )
    has_actual = {"PCDTC", "PCRFTDTC"} <= set(data.columns)
    nominal = next((c for c in ("PCELTM", "PCTPTNUM") if c in data.columns), None)
    if time == "actual" or (time == "auto" and has_actual):
        if not has_actual:
            missing = [c for c in ("PCDTC", "PCRFTDTC") if c not in data.columns]
            raise InputError("actual times need PCDTC and PCRFTDTC", place=place, column=missing[0])
        time_source = "PCDTC - PCRFTDTC"
    elif nominal is not None:
        time_source = nominal
    else:
        need = (
            "PCELTM or PCTPTNUM" if time == "nominal" else "PCDTC with PCRFTDTC, PCELTM or PCTPTNUM"
        )
        raise InputError(f"no {time} times: need {need}", place=place, column="PCELTM")

    subjects = _cells(data, "USUBJID")
    tests = _cells(data, "PCTESTCD")
    for i in range(len(data)):
        for col, values in (("USUBJID", subjects), ("PCTESTCD", tests)):
            if values[i] is None:
                raise InputError("value is missing", place=place, row=i + row_base, column=col)
    rows = _choose(tests, list(range(len(data))), analyte, "analyte", _at(place, "PCTESTCD"))
    if "PCSPEC" in data.columns:
        rows = _choose(_cells(data, "PCSPEC"), rows, specimen, "specimen", _at(place, "PCSPEC"))
    elif specimen is not None:
        raise InputError("no PCSPEC column to choose a specimen from", place=place, column="PCSPEC")

    cell = {c: _cells(data, c) for c in data.columns}
    stat = cell.get("PCSTAT", [None] * len(data))
    visits = cell.get("VISIT")
    out: list[dict[str, Any]] = []
    unit: tuple[str, int, str] | None = None  # unit, row, column it came from
    notes: list[str] = []
    dropped: list[int] = []
    below_lloq: list[int] = []
    for i in rows:
        row = i + row_base
        at = Place(file=source, row=row)
        conc: float | str = math.nan
        unit_col: str | None = None
        if (stat[i] or "").upper() != "NOT DONE":
            if "PCSTRESN" in cell and cell["PCSTRESN"][i] is not None:
                conc = _number(cell["PCSTRESN"][i] or "", _at(at, "PCSTRESN"))
                unit_col = "PCSTRESU"
                text_col = "PCSTRESN"
            else:
                text_col = next(
                    (c for c in ("PCSTRESC", "PCORRES") if c in cell and cell[c][i]), ""
                )
                text = cell[text_col][i] if text_col else None
                if text is not None:
                    if text.lower() in BLQ_TOKENS or text.startswith("<"):
                        conc = "BLQ"
                    else:
                        try:
                            conc = _number(text, _at(at, text_col))
                        except InputError:
                            raise InputError(
                                f"{quote(text)} is neither a number nor a BLQ mark (BLQ, <LLOQ)",
                                place=_at(at, text_col),
                            ) from None
                        unit_col = "PCSTRESU" if text_col == "PCSTRESC" else "PCORRESU"
            if isinstance(conc, float) and not math.isnan(conc):
                if conc < 0:
                    raise InputError(
                        f"concentration must be >= 0, got {conc:g}", place=_at(at, text_col)
                    )
                lloq_text = cell["PCLLOQ"][i] if "PCLLOQ" in cell else None
                if lloq_text is not None and conc < _number(lloq_text, _at(at, "PCLLOQ")):
                    conc = "BLQ"
                    below_lloq.append(row)
        if unit_col is not None and not isinstance(conc, str):
            u = cell[unit_col][i] if unit_col in cell else None
            if u is None:
                raise InputError("a concentration needs its unit", place=_at(at, unit_col))
            if unit is None:
                unit = (u, row, unit_col)
            elif u != unit[0]:
                raise InputError(
                    f"unit {quote(u)} differs from {quote(unit[0])} ({unit[2]}, row {unit[1]}); "
                    "one unit per analyte",
                    place=_at(at, unit_col),
                )
        t = _sample_time(cell, i, time_source, at)
        if t is None:
            if isinstance(conc, float) and math.isnan(conc):
                dropped.append(row)
                continue
            col = "PCDTC" if time_source.startswith("PCDTC") else time_source
            raise InputError("the sample has a result but no time", place=_at(at, col))
        if t < 0:
            col = "PCDTC" if time_source.startswith("PCDTC") else time_source
            raise InputError(
                f"time {t:g} h is before the reference (negative); drop pre-dose samples or "
                "give them time 0",
                place=_at(at, col),
            )
        record: dict[str, Any] = {
            "subject": subjects[i],
            "time": t,
            "conc": conc,
            "analyte": tests[i],
        }
        if visits is not None:
            record["visit"] = visits[i]
        record["source_row"] = row
        out.append(record)

    seen: dict[tuple[Any, ...], int] = {}
    for r in out:
        key = (r["subject"], r.get("visit"), r["time"])
        if key in seen:
            raise InputError(
                f"subject {r['subject']} has two samples at {r['time']:g} h (first at row "
                f"{seen[key]})",
                file=source,
                row=r["source_row"],
            )
        seen[key] = r["source_row"]
    if dropped:
        notes.append(
            f"{len(dropped)} sample(s) without time or result left out (rows {_rows(dropped)})"
        )
    if below_lloq:
        notes.append(
            f"{len(below_lloq)} result(s) below PCLLOQ read as BLQ (rows {_rows(below_lloq)})"
        )
    columns = [
        "subject",
        "time",
        "conc",
        "analyte",
        *(["visit"] if visits is not None else []),
        "source_row",
    ]
    table = pd.DataFrame(out, columns=columns)
    table["conc"] = table["conc"].astype(object)
    if unit is None:  # no numeric result: take any stated unit
        stated = [u for i in rows if (u := cell.get("PCSTRESU", [None] * len(data))[i])]
        conc_unit = stated[0] if stated else ""
    else:
        conc_unit = unit[0]
    chosen = tests[rows[0]] or ""
    return PcTable(table, conc_unit, chosen, time_source, tuple(notes))


def _at(place: Place, column: str) -> Place:
    """``place`` with its column set to ``column``."""
    return Place(file=place.file, row=place.row, column=column)


def _rows(rows: list[int]) -> str:
    shown = ", ".join(map(str, rows[:10]))
    return shown + (f", ... ({len(rows)} in all)" if len(rows) > 10 else "")


def _sample_time(
    cell: Mapping[str, list[str | None]], i: int, source: str, at: Place
) -> float | None:
    """Hours since the reference for row ``i`` (None: no time given)."""
    if source == "PCDTC - PCRFTDTC":
        taken, ref = cell["PCDTC"][i], cell["PCRFTDTC"][i]
        if taken is None or ref is None:
            return None
        when: dict[str, datetime] = {}
        for col, text in (("PCDTC", taken), ("PCRFTDTC", ref)):
            try:
                when[col] = parse_datetime(text)
            except ValueError as exc:
                raise InputError(str(exc), place=_at(at, col)) from None
        if (when["PCDTC"].tzinfo is None) != (when["PCRFTDTC"].tzinfo is None):
            raise InputError(
                "PCDTC and PCRFTDTC must both have a UTC offset or neither",
                place=_at(at, "PCDTC"),
            )
        return (when["PCDTC"] - when["PCRFTDTC"]).total_seconds() / 3600.0
    given = cell[source][i]
    if given is None:
        return None
    if source == "PCELTM":
        try:
            return parse_duration(given)
        except ValueError as exc:
            raise InputError(str(exc), place=_at(at, "PCELTM")) from None
    return _number(given, _at(at, source))


# --------------------------------------------------------------------------------------------
# PP out


@dataclass(frozen=True)
class PpTerm:
    """The CDISC code (PPTESTCD, at most 8 characters) and name (PPTEST, at most 40) of one
    parameter; the extravascular and IV-infusion variants where CDISC has a separate term.
    An empty variant code means CDISC has no term for that route (the row is refused)."""

    testcd: str
    test: str
    ev: tuple[str, str] | None = None
    infusion: tuple[str, str] | None = None

    def for_route(self, route: str) -> tuple[str, str]:
        """(PPTESTCD, PPTEST) for ``"extravascular"``, ``"iv bolus"`` or ``"infusion"``."""
        if route == "extravascular" and self.ev is not None:
            return self.ev
        if route == "infusion" and self.infusion is not None:
            return self.infusion
        return self.testcd, self.test


PP_TERMS: Mapping[str, PpTerm] = {
    "cmax": PpTerm("CMAX", "Max Conc"),
    "tmax": PpTerm("TMAX", "Time of CMAX Observation"),
    "clast": PpTerm("CLST", "Last Nonzero Conc"),
    "tlast": PpTerm("TLST", "Time of Last Nonzero Conc"),
    "auc_last": PpTerm("AUCLST", "AUC to Last Nonzero Conc"),
    "auc_all": PpTerm("AUCALL", "AUC All"),
    "auc_inf_obs": PpTerm("AUCIFO", "AUC Infinity Obs"),
    "auc_inf_pred": PpTerm("AUCIFP", "AUC Infinity Pred"),
    "auc_pct_extrap_obs": PpTerm("AUCPEO", "AUC %Extrapolation Obs"),
    "auc_pct_extrap_pred": PpTerm("AUCPEP", "AUC %Extrapolation Pred"),
    "lambda_z": PpTerm("LAMZ", "Lambda z"),
    "half_life": PpTerm("LAMZHL", "Half-Life Lambda z"),
    "lambda_z_n": PpTerm("LAMZNPT", "Number of Points for Lambda z"),
    "lambda_z_adj_r2": PpTerm("R2ADJ", "R Squared Adjusted"),
    "cl_obs": PpTerm("CLO", "Total CL Obs", ev=("CLFO", "Total CL Obs by F")),
    "vz_obs": PpTerm("VZO", "Vz Obs", ev=("VZFO", "Vz Obs by F")),
    "vss_obs": PpTerm("VSSO", "Vol Dist Steady State Obs", ev=("", "")),
    "mrt_inf_obs": PpTerm(
        "MRTIBIFO",
        "MRT IV Bolus Infinity Obs",
        ev=("MRTEVIFO", "MRT Extravasc Infinity Obs"),
        infusion=("MRTICIFO", "MRT IV Cont Inf Infinity Obs"),
    ),
    "cmin": PpTerm("CMIN", "Min Conc"),
    "ctrough": PpTerm("CTROUGH", "Conc Trough"),
    "cavg": PpTerm("CAVG", "Average Concentration"),
    "auc_tau": PpTerm("AUCTAU", "AUC Over Dosing Interval"),
    "fluctuation_pct": PpTerm("FLUCP", "Fluctuation%"),
    "swing": PpTerm("SWING", "Swing"),
    "accumulation_ratio": PpTerm("ARAUC", "Accumulation Ratio AUC"),
    "auc_int": PpTerm("AUCINT", "AUC from T1 to T2"),
}
"""Workbench parameter key -> CDISC PK parameter term (sources in the module docstring)."""

PP_COLUMNS = (
    "STUDYID",
    "DOMAIN",
    "USUBJID",
    "PPSEQ",
    "PPTESTCD",
    "PPTEST",
    "PPCAT",
    "PPORRES",
    "PPORRESU",
    "PPSTRESC",
    "PPSTRESN",
    "PPSTRESU",
    "PPSTAT",
    "PPREASND",
    "PPSPEC",
    "PPSTINT",
    "PPENINT",
)
"""The columns of :func:`pp_table`, in SDTMIG order."""

_CDISC_UNITS: Mapping[str, str] = {"1/h": "/h", "h^-1": "/h", "h-1": "/h", "1": "", "points": ""}
"""Workbench unit -> CDISC unit where they are written differently (the rest pass unchanged)."""


def _result_text(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def pp_table(
    summary: pd.DataFrame,
    *,
    usubjid_col: str = "subject",
    study_id: str = "",
    units: Mapping[str, str] | None = None,
    specimen: str = "PLASMA",
    source: str = "NCA parameters",
    row_base: int = 1,
) -> pd.DataFrame:
    """A CDISC SDTM PP domain (:data:`PP_COLUMNS`) from a long table of NCA parameters.

    ``summary`` has one row per subject x parameter: ``usubjid_col`` (USUBJID), ``parameter``
    (a key of :data:`PP_TERMS`), ``value`` (a number; blank/NaN = not estimable), ``unit``; and
    optionally ``start`` / ``end`` (h; the interval of AUCINT, AUCTAU, ...), ``route``
    (``extravascular`` (default, as in :mod:`.nca_read`), ``iv bolus``, ``infusion``; picks
    CLO/CLFO etc.) and ``analyte`` (-> PPCAT).

    PPORRES/PPSTRESC hold the value as text, PPSTRESN the number, unconverted: PPORRESU and
    PPSTRESU are the row's unit, written as CDISC writes it (``1/h`` -> ``/h``, counts and
    ratios blank), or as ``units`` maps it (by parameter key first, then by unit text). A value
    that is not estimable gets PPSTAT ``NOT DONE`` and PPREASND ``NOT ESTIMABLE``. PPSTINT and
    PPENINT are ISO 8601 durations (``PT0H``, ``PT24H``) where ``start`` and ``end`` are both
    finite; ``auc_int`` requires them. PPSEQ counts 1, 2, ... per USUBJID in input order.
    Errors name ``source``, the row (position + ``row_base``) and the column.
    """
    units = units or {}
    place = Place(file=source)
    require_columns(summary, [usubjid_col, "parameter", "value", "unit"], place=place)
    data = summary.reset_index(drop=True)
    has = set(map(str, data.columns))
    seq: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    for i, r in enumerate(data.to_dict("records")):
        at = Place(file=source, row=i + row_base)
        subject = r[usubjid_col]
        if (
            subject is None
            or (isinstance(subject, float) and math.isnan(subject))
            or not str(subject).strip()
        ):
            raise InputError("value is missing", place=_at(at, usubjid_col))
        key = str(r["parameter"]).strip()
        if key not in PP_TERMS:
            raise InputError(
                f"unknown parameter {quote(key)}; known: {', '.join(PP_TERMS)}",
                place=_at(at, "parameter"),
            )
        route_text = r.get("route") if "route" in has else None
        route = parse_route(None if _blank(route_text) else str(route_text), place=_at(at, "route"))
        testcd, test = PP_TERMS[key].for_route(route)
        if not testcd:
            raise InputError(
                f"CDISC has no term for {key} after {route} dosing", place=_at(at, "route")
            )
        value = _value(r["value"], _at(at, "value"))
        unit_text = "" if _blank(r["unit"]) else str(r["unit"]).strip()
        unit = units.get(key, units.get(unit_text, _CDISC_UNITS.get(unit_text, unit_text)))
        start = _value(r.get("start"), _at(at, "start")) if "start" in has else math.nan
        end = _value(r.get("end"), _at(at, "end")) if "end" in has else math.nan
        interval = math.isfinite(start) and math.isfinite(end)
        if interval and not 0 <= start < end:
            raise InputError(
                f"interval {start:g}-{end:g} h: need 0 <= start < end", place=_at(at, "start")
            )
        if key == "auc_int" and not interval:
            raise InputError(
                "a partial AUC (auc_int) needs finite start and end (h)", place=_at(at, "start")
            )
        usubjid = str(subject).strip()
        seq[usubjid] = seq.get(usubjid, 0) + 1
        done = not math.isnan(value)
        text = _result_text(value) if done else ""
        analyte = r.get("analyte") if "analyte" in has else None
        rows.append(
            {
                "STUDYID": study_id,
                "DOMAIN": "PP",
                "USUBJID": usubjid,
                "PPSEQ": seq[usubjid],
                "PPTESTCD": testcd,
                "PPTEST": test,
                "PPCAT": "" if _blank(analyte) else str(analyte),
                "PPORRES": text,
                "PPORRESU": unit if done else "",
                "PPSTRESC": text,
                "PPSTRESN": value,
                "PPSTRESU": unit if done else "",
                "PPSTAT": "" if done else "NOT DONE",
                "PPREASND": "" if done else "NOT ESTIMABLE",
                "PPSPEC": specimen,
                "PPSTINT": format_duration(start) if interval else "",
                "PPENINT": format_duration(end) if interval else "",
            }
        )
    table = pd.DataFrame(rows, columns=list(PP_COLUMNS))
    table["PPSEQ"] = table["PPSEQ"].astype(np.int64)
    table["PPSTRESN"] = table["PPSTRESN"].astype(float)
    return table


def _blank(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or str(value).strip() == ""
    )


def _value(value: object, place: Place) -> float:
    """A number from a cell; blank = NaN; text or infinity (but +inf for an end) refused."""
    if _blank(value):
        return math.nan
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{quote(value)} is not a number", place=place) from None
    if math.isinf(number) and not (place.column == "end" and number > 0):
        raise InputError("value is infinite", place=place)
    return number
