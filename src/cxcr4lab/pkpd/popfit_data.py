"""Reading population PK data: NONMEM datasets and the workbench's NCA form (``popfit``).

:func:`read_population` turns a table into a :class:`PopData`: observations (h, concentration
unit; BLQ ones flagged, with their limit), dose records (h, dose unit; bolus, infusion or into
the depot) and one row of subject covariates per subject. Two forms:

* **NONMEM** (``ID, TIME, DV`` and ``AMT, EVID, MDV, CMT, RATE, II, ADDL``, optional ``BLQ``,
  ``LLOQ``, ``OCC``; checked by :func:`cxcr4lab.pkpd.datasets.validate_nonmem`): EVID 0 with
  MDV 0 is an observation, EVID 1 a dose (RATE > 0: an infusion of AMT/RATE h; II/ADDL
  expanded), EVID 2 other records (ignored). ``BLQ = 1`` marks an observation below the limit:
  the limit is the ``LLOQ`` column, else the ``lloq`` setting, else its DV. For an oral model,
  CMT 1 is the depot and CMT 2 the central compartment (NONMEM's ADVAN2/ADVAN4); otherwise
  every dose enters the central compartment.
* **NCA form** (``subject, time, conc, dose`` [``route, duration``], or a dose table), read by
  the NCA's own reader (:func:`cxcr4lab.pkpd.nca_read.read_profiles`): ``BLQ`` cells are below
  ``lloq``.

Other numeric columns constant within a subject are subject covariates (``WT``, ``AGE``,
``SEX``); one that varies within a subject is taken at its first record, with a note.
Refusals (one :class:`InputError` naming file, row, column and subject): a subject without
observations or without doses, a subject whose doses all follow its last observation, a dose
record marked as an observation (EVID 1 with MDV 0), EVID 3/4 resets, negative times, a BLQ
observation without a limit, a covariate missing for a subject.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.tables import require_nonempty
from cxcr4lab.pkpd.datasets import is_nonmem, validate_nonmem
from cxcr4lab.pkpd.nca_read import column_key, read_profiles

__all__ = ["PopData", "read_population"]

Array = NDArray[np.float64]
IntArray = NDArray[np.intp]

_NONMEM_RESERVED = {
    "ID", "TIME", "EVID", "AMT", "RATE", "II", "ADDL", "CMT", "DV", "MDV", "BLQ", "LLOQ", "OCC",
    "SS", "DRUG", "C", "TAD", "NTIME",
}  # fmt: skip
_NCA_RESERVED = {"subject", "time", "conc", "dose", "route", "duration", "tau"}


@dataclass(frozen=True, eq=False)
class PopData:
    """Observations, doses and subject covariates of a population PK data set.

    Observations (sorted by subject, then time): ``obs_subject`` (index into ``subjects``),
    ``obs_time`` (h), ``obs_dv`` (concentration; the limit where ``obs_blq``), ``obs_blq``,
    ``obs_occasion`` (0-based), ``obs_row`` (file line). Doses: ``dose_subject``,
    ``dose_time`` (h), ``dose_amount`` (dose unit), ``dose_duration`` (h; 0 = bolus),
    ``dose_depot`` (into the absorption depot), ``dose_row``. ``covariates``: one row per
    subject (index = subject ids), numeric.
    """

    source: str
    form: str
    subjects: tuple[str, ...]
    obs_subject: IntArray
    obs_time: Array
    obs_dv: Array
    obs_blq: NDArray[np.bool_]
    obs_occasion: IntArray
    obs_row: IntArray
    dose_subject: IntArray
    dose_time: Array
    dose_amount: Array
    dose_duration: Array
    dose_depot: NDArray[np.bool_]
    dose_row: IntArray
    covariates: pd.DataFrame
    notes: tuple[str, ...] = field(default=())

    @property
    def n_subjects(self) -> int:
        return len(self.subjects)

    @property
    def n_obs(self) -> int:
        return len(self.obs_time)

    @property
    def n_blq(self) -> int:
        return int(self.obs_blq.sum())

    @property
    def n_occasions(self) -> int:
        return int(self.obs_occasion.max()) + 1 if self.n_obs else 1

    def observations(self) -> pd.DataFrame:
        """The observations as a long table (subject, time h, dv, blq, occasion)."""
        return pd.DataFrame(
            {
                "subject": [self.subjects[i] for i in self.obs_subject],
                "time": self.obs_time,
                "dv": self.obs_dv,
                "blq": self.obs_blq,
                "occasion": self.obs_occasion + 1,
            }
        )

    def doses(self) -> pd.DataFrame:
        """The dose records as a long table (subject, time h, amount, duration h, depot)."""
        return pd.DataFrame(
            {
                "subject": [self.subjects[i] for i in self.dose_subject],
                "time": self.dose_time,
                "amount": self.dose_amount,
                "duration": self.dose_duration,
                "depot": self.dose_depot,
            }
        )


def _id_text(v: object) -> str:
    f = float(v)  # type: ignore[arg-type]
    return f"{int(f)}" if f.is_integer() else f"{f:g}"


def _subject_covariates(
    frame: pd.DataFrame, ids: list[str], order: list[str], columns: list[str], place: Place
) -> tuple[pd.DataFrame, list[str]]:
    """One numeric row per subject from the covariate columns (first record; noted if it
    varies); text columns that are not numbers are left out."""
    notes: list[str] = []
    out: dict[str, list[float]] = {}
    for col in columns:
        values = pd.to_numeric(frame[col], errors="coerce")
        raw = frame[col]
        if (
            values.isna().all()
            or (values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")).any()
        ):
            continue  # not a numeric covariate (a label such as a cohort name)
        per: list[float] = []
        varied = False
        for sid in order:
            v = values[np.array(ids) == sid].dropna()
            if v.empty:
                per.append(math.nan)
                continue
            if v.nunique() > 1:
                varied = True
            per.append(float(v.iloc[0]))
        if varied:
            notes.append(
                f"covariate {col} varies within a subject; its first value is used "
                "(time-varying covariates are not modelled)"
            )
        out[col] = per
    return pd.DataFrame(out, index=pd.Index(order, name="subject")), notes


def _nonmem(
    frame: pd.DataFrame, source: str, row_base: int, lloq: float | None, depot_model: bool
) -> PopData:
    place = Place(file=source)
    df = validate_nonmem(frame, source=source, row_base=row_base, text_columns=())
    n = len(df)
    ids = [_id_text(v) for v in df["ID"]]
    order = list(dict.fromkeys(ids))
    index = {s: i for i, s in enumerate(order)}
    evid = df["EVID"].to_numpy(dtype=float)
    mdv = df["MDV"].to_numpy(dtype=float)
    rows = np.arange(n) + row_base

    def fail(i: int, column: str, message: str) -> None:
        raise InputError(f"ID {ids[i]}: {message}", place=place, row=int(rows[i]), column=column)

    reset = np.flatnonzero(np.isin(evid, (3, 4)))
    if reset.size:
        fail(int(reset[0]), "EVID", "resets (EVID 3/4) are not supported in population fits")
    bad = np.flatnonzero((evid == 1) & (mdv == 0))
    if bad.size:
        fail(int(bad[0]), "MDV", "a dose record (EVID 1) is marked as an observation (MDV 0)")
    if "SS" in df.columns:
        ss = pd.to_numeric(df["SS"], errors="coerce").fillna(0).to_numpy()
        if (ss != 0).any():
            fail(int(np.argmax(ss != 0)), "SS", "steady-state dose records (SS) are not supported")
    blq = (
        pd.to_numeric(df["BLQ"], errors="coerce").fillna(0).to_numpy() != 0
        if "BLQ" in df.columns
        else np.zeros(n, bool)
    )
    is_obs = (evid == 0) & ((mdv == 0) | blq)
    dv = df["DV"].to_numpy(dtype=float)
    limit = (
        pd.to_numeric(df["LLOQ"], errors="coerce").to_numpy(dtype=float)
        if "LLOQ" in df.columns
        else np.full(n, math.nan)
    )
    if lloq is not None:
        limit = np.where(np.isnan(limit), lloq, limit)
    limit = np.where(np.isnan(limit), dv, limit)
    is_blq_obs = is_obs & blq
    missing = np.flatnonzero(is_blq_obs & ~(np.isfinite(limit) & (limit > 0)))
    if missing.size:
        fail(
            int(missing[0]),
            "BLQ",
            "a BLQ observation needs its limit (an LLOQ column, the lloq setting, or DV)",
        )
    if lloq is not None:  # observations below the limit given are BLQ too
        below = is_obs & ~blq & (dv < lloq)
        is_blq_obs = is_blq_obs | below
        limit = np.where(below, lloq, limit)
    obs_dv = np.where(is_blq_obs, limit, dv)
    if "OCC" in df.columns:
        occ_raw = pd.to_numeric(df["OCC"], errors="coerce").to_numpy(dtype=float)
        bad_occ = np.flatnonzero(
            is_obs & ~(np.isfinite(occ_raw) & (occ_raw >= 1) & (occ_raw == np.round(occ_raw)))
        )
        if bad_occ.size:
            fail(int(bad_occ[0]), "OCC", "OCC must be a whole number >= 1 on every observation")
        occ = np.where(is_obs, occ_raw - 1, 0).astype(np.intp)
    else:
        occ = np.zeros(n, np.intp)
    # doses, II/ADDL expanded
    d_sub: list[int] = []
    d_time: list[float] = []
    d_amt: list[float] = []
    d_dur: list[float] = []
    d_depot: list[bool] = []
    d_row: list[int] = []
    amt = df["AMT"].to_numpy(dtype=float)
    rate = df["RATE"].to_numpy(dtype=float)
    cmt = df["CMT"].to_numpy(dtype=float)
    ii, addl = df["II"].to_numpy(dtype=float), df["ADDL"].to_numpy(dtype=float)
    time = df["TIME"].to_numpy(dtype=float)
    for i in np.flatnonzero(evid == 1):
        if rate[i] < 0:
            fail(int(i), "RATE", f"RATE {rate[i]:g} (modelled rate or duration) is not supported")
        depot = depot_model and cmt[i] == 1
        if depot_model and cmt[i] not in (1, 2):
            fail(
                int(i),
                "CMT",
                f"CMT {cmt[i]:g}: an oral model takes doses in CMT 1 (depot) or 2 (central)",
            )
        duration = amt[i] / rate[i] if rate[i] > 0 else 0.0
        if depot and duration > 0:
            fail(int(i), "RATE", "a dose into the depot (CMT 1) cannot have a RATE")
        for k in range(int(addl[i]) + 1):
            d_sub.append(index[ids[i]])
            d_time.append(float(time[i] + k * ii[i]))
            d_amt.append(float(amt[i]))
            d_dur.append(float(duration))
            d_depot.append(bool(depot))
            d_row.append(int(rows[i]))
    obs_idx = np.flatnonzero(is_obs)
    covs = [c for c in df.columns if c not in _NONMEM_RESERVED]
    cov_frame, notes = _subject_covariates(df, ids, order, covs, place)
    skipped = int(np.sum((evid == 0) & ~is_obs))
    if skipped:
        notes.append(f"{skipped} records with EVID 0 and MDV 1 are not observations: left out")
    return _assemble(
        source,
        "nonmem",
        order,
        np.array([index[ids[i]] for i in obs_idx], np.intp),
        time[obs_idx],
        obs_dv[obs_idx],
        is_blq_obs[obs_idx],
        occ[obs_idx],
        rows[obs_idx],
        np.array(d_sub, np.intp),
        np.array(d_time),
        np.array(d_amt),
        np.array(d_dur),
        np.array(d_depot, bool),
        np.array(d_row, np.intp),
        cov_frame,
        notes,
    )


def _nca(
    frame: pd.DataFrame, source: str, row_base: int, lloq: float | None, depot_model: bool
) -> PopData:
    profiles = read_profiles(frame, source, row_base, lloq)
    place = Place(file=source)
    keyed = frame.rename(columns=column_key)
    order = [p.subject for p in profiles]
    o_sub: list[int] = []
    o_time: list[float] = []
    o_dv: list[float] = []
    o_blq: list[bool] = []
    d_sub: list[int] = []
    d_time: list[float] = []
    d_amt: list[float] = []
    d_dur: list[float] = []
    d_depot: list[bool] = []
    for i, p in enumerate(profiles):
        blq = np.isnan(p.conc)
        if blq.any() and lloq is None:
            raise InputError(
                f"subject {quote(p.subject)} has BLQ samples: give the limit (lloq) so they "
                "enter the fit as censored (M3)",
                place=place,
                column="conc",
            )
        o_sub += [i] * len(p.time)
        o_time += [float(t) for t in p.time]
        o_dv += [float(lloq) if b else float(c) for c, b in zip(p.conc, blq, strict=True)]  # type: ignore[arg-type]
        o_blq += [bool(b) for b in blq]
        for d in p.doses:
            oral = d.route == "extravascular"
            if oral and not depot_model:
                raise InputError(
                    f"subject {quote(p.subject)}: an extravascular dose needs an oral model "
                    "(e.g. 1cmt-oral)",
                    place=place,
                    column="route",
                )
            d_sub.append(i)
            d_time.append(d.time)
            d_amt.append(d.amount)
            d_dur.append(d.duration)
            d_depot.append(oral)
    ids = [str(v).strip() for v in keyed["subject"]]
    covs = [c for c in keyed.columns if c not in _NCA_RESERVED]
    cov_frame, notes = _subject_covariates(keyed, ids, order, covs, place)
    missing = sum(len(p.missing) for p in profiles)
    if missing:
        notes.append(f"{missing} blank samples left out")
    n = len(o_time)
    return _assemble(
        source,
        "nca",
        order,
        np.array(o_sub, np.intp),
        np.array(o_time),
        np.array(o_dv),
        np.array(o_blq, bool),
        np.zeros(n, np.intp),
        np.zeros(n, np.intp),
        np.array(d_sub, np.intp),
        np.array(d_time),
        np.array(d_amt),
        np.array(d_dur),
        np.array(d_depot, bool),
        np.zeros(len(d_time), np.intp),
        cov_frame,
        notes,
    )


def _assemble(
    source: str,
    form: str,
    order: list[str],
    o_sub: IntArray,
    o_time: Array,
    o_dv: Array,
    o_blq: NDArray[np.bool_],
    o_occ: IntArray,
    o_row: IntArray,
    d_sub: IntArray,
    d_time: Array,
    d_amt: Array,
    d_dur: Array,
    d_depot: NDArray[np.bool_],
    d_row: IntArray,
    covariates: pd.DataFrame,
    notes: list[str],
) -> PopData:
    place = Place(file=source)
    m = len(order)
    n_obs = np.bincount(o_sub, minlength=m)
    n_dose = np.bincount(d_sub, minlength=m)
    for i, sid in enumerate(order):
        if n_obs[i] == 0:
            raise InputError(f"subject {quote(sid)} has no observations", place=place)
        if n_dose[i] == 0:
            raise InputError(f"subject {quote(sid)} has no dose record", place=place, column="AMT")
        last = o_time[o_sub == i].max()
        first_dose = d_time[d_sub == i].min()
        if first_dose >= last and not np.any((o_sub == i) & (o_time > first_dose)):
            j = int(np.flatnonzero(d_sub == i)[np.argmin(d_time[d_sub == i])])
            raise InputError(
                f"subject {quote(sid)}: every dose (first at {first_dose:g} h) comes at or after "
                f"the last observation ({last:g} h)",
                place=place,
                row=int(d_row[j]) or None,
                column="TIME",
            )
    order_o = np.lexsort((o_time, o_sub))
    order_d = np.lexsort((d_time, d_sub))
    return PopData(
        source=source,
        form=form,
        subjects=tuple(order),
        obs_subject=o_sub[order_o],
        obs_time=o_time[order_o],
        obs_dv=o_dv[order_o],
        obs_blq=o_blq[order_o],
        obs_occasion=o_occ[order_o],
        obs_row=o_row[order_o],
        dose_subject=d_sub[order_d],
        dose_time=d_time[order_d],
        dose_amount=d_amt[order_d],
        dose_duration=d_dur[order_d],
        dose_depot=d_depot[order_d],
        dose_row=d_row[order_d],
        covariates=covariates,
        notes=tuple(notes),
    )


def read_population(
    frame: pd.DataFrame,
    *,
    source: str,
    row_base: int = 2,
    lloq: float | None = None,
    depot_model: bool = False,
) -> PopData:
    """The :class:`PopData` of ``frame`` (NONMEM or NCA form, told apart by the columns).

    ``lloq`` (concentration unit): observations below it are BLQ; ``depot_model``: the model
    has an absorption depot (CMT 1 of a NONMEM dataset).

    >>> df = pd.DataFrame({"ID": [1, 1, 1], "TIME": [0, 1, 4], "AMT": [100, None, None],
    ...                    "DV": [None, 2.0, 0.5], "BLQ": [0, 0, 1], "WT": [70, 70, 70]})
    >>> d = read_population(df, source="pk.csv")
    >>> d.obs_time.tolist(), d.obs_blq.tolist(), float(d.covariates.loc["1", "WT"])
    ([1.0, 4.0], [False, True], 70.0)
    """
    require_nonempty(frame, place=Place(file=source))
    if lloq is not None and not (math.isfinite(lloq) and lloq > 0):
        raise InputError(f"must be > 0, got {quote(lloq)}", field="lloq")
    frame = frame.reset_index(drop=True)
    if is_nonmem(frame):
        return _nonmem(frame, source, row_base, lloq, depot_model)
    return _nca(frame, source, row_base, lloq, depot_model)
