"""Dosing events with NONMEM semantics: validation, ADDL/II expansion, builders, schedules.

The shared contract is a pandas DataFrame with one record per row:

========  ==============================================================================
ID        subject identifier
TIME      h, >= 0, non-decreasing within an ID
EVID      0 observation, 1 dose, 2 other, 3 reset, 4 reset and dose
AMT       dose amount in the model's amount unit (>= 0; > 0 on dose records)
RATE      amount/h; 0 = bolus, > 0 = zero-order infusion lasting AMT/RATE h
II        h between additional doses
ADDL      number of additional doses (each II after the last)
CMT       1-based index into the model's state order
DV, MDV   optional, carried through untouched
========  ==============================================================================

Errors name the row as a person counts lines in a CSV file (the header is line 1) and the ID.
A reset (EVID 3/4) returns states to their initial values and stops running infusions.
Infusions that overlap in one compartment are refused unless ``allow_overlap=True`` (then
their rates add, as in NONMEM).

>>> ev = combine(infusion(100.0, duration=2.0, ii=24.0, addl=1), observations([0.0, 1.0]))
>>> expand(validate_events(ev))[["TIME", "EVID", "AMT", "RATE"]].to_numpy().tolist()
[[0.0, 1.0, 100.0, 50.0], [0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [24.0, 1.0, 100.0, 50.0]]
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError

__all__ = [
    "BOLUS",
    "COLUMNS",
    "RATE_CHANGE",
    "RESET",
    "Schedule",
    "bolus",
    "combine",
    "cycles",
    "expand",
    "infusion",
    "observations",
    "pack",
    "schedules",
    "validate_events",
]

COLUMNS = ("ID", "TIME", "EVID", "AMT", "RATE", "II", "ADDL", "CMT")
_DEFAULTS = {"AMT": 0.0, "RATE": 0.0, "II": 0.0, "ADDL": 0, "CMT": 1}

#: Kinds of change in a :class:`Schedule`.
BOLUS, RATE_CHANGE, RESET = 0, 1, 2


def _row(i: int) -> int:
    return i + 2  # header is line 1


def validate_events(
    events: pd.DataFrame, *, n_states: int | None = None, allow_overlap: bool = False
) -> pd.DataFrame:
    """A checked copy of ``events`` (defaults filled, types fixed); bad records name their row."""
    if not isinstance(events, pd.DataFrame):
        raise InputError("events must be a DataFrame", field="events")
    for c in ("ID", "TIME", "EVID"):
        if c not in events.columns:
            raise InputError("required column is missing", column=c)
    df = events.reset_index(drop=True).copy()
    for c, v in _DEFAULTS.items():
        if c not in df.columns:
            df[c] = v
    for c in ("TIME", "EVID", "AMT", "RATE", "II", "ADDL", "CMT"):
        values = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            i = int(bad[0])
            raise InputError(
                f"ID {df['ID'].iloc[i]}: {c} is not a finite number ({df[c].iloc[i]!r})",
                row=_row(i),
                column=c,
            )
        df[c] = values
    col = {c: df[c].to_numpy(dtype=float) for c in ("TIME", "EVID", "AMT", "RATE", "II", "ADDL")}
    cmts = df["CMT"].to_numpy(dtype=float)
    id_list: list[Hashable] = df["ID"].tolist()
    for i, sid in enumerate(id_list):
        where = _row(i)
        time, evid, addl, cmt = col["TIME"][i], col["EVID"][i], col["ADDL"][i], cmts[i]
        if time < 0:
            raise InputError(f"ID {sid}: TIME is negative ({time})", column="TIME", row=where)
        if evid not in (0, 1, 2, 3, 4):
            raise InputError(f"ID {sid}: EVID must be 0-4, got {evid:g}", column="EVID", row=where)
        for c in ("AMT", "RATE", "II", "ADDL"):
            if col[c][i] < 0:
                raise InputError(f"ID {sid}: {c} is negative ({col[c][i]})", column=c, row=where)
        if int(addl) != addl:
            raise InputError(f"ID {sid}: ADDL must be a whole number", column="ADDL", row=where)
        if int(cmt) != cmt or cmt < 1 or (n_states is not None and n_states < cmt):
            upper = "" if n_states is None else f" (model has {n_states} states)"
            raise InputError(
                f"ID {sid}: CMT {cmt:g} is out of range{upper}", column="CMT", row=where
            )
        if evid in (1, 4):
            if col["AMT"][i] <= 0:
                raise InputError(f"ID {sid}: dose record needs AMT > 0", column="AMT", row=where)
            if addl > 0 and col["II"][i] <= 0:
                raise InputError(f"ID {sid}: ADDL > 0 needs II > 0", column="II", row=where)
    df["EVID"] = df["EVID"].astype(int)
    df["ADDL"] = df["ADDL"].astype(int)
    df["CMT"] = df["CMT"].astype(int)
    for sid, group in df.groupby("ID", sort=False):
        times = group["TIME"].to_numpy()
        back = np.flatnonzero(np.diff(times) < 0)
        if back.size:
            i = int(group.index[back[0] + 1])
            raise InputError(
                f"ID {sid!s}: TIME goes backwards ({times[back[0] + 1]:g} after {times[back[0]]:g})",
                row=_row(i),
                column="TIME",
            )
    ids = df["ID"].to_numpy()
    starts = [i for i in range(1, len(ids)) if ids[i] != ids[i - 1]]
    firsts = [ids[0], *[ids[i] for i in starts]] if len(ids) else []
    if len(firsts) != len(set(firsts)):
        dup = next(x for x in firsts if firsts.count(x) > 1)
        i = next(s for s in starts if ids[s] == dup)
        raise InputError(f"ID {dup}: records of this ID are not together", row=_row(i), column="ID")
    dups = df.duplicated(keep="first").to_numpy()
    if dups.any():
        i = int(np.flatnonzero(dups)[0])
        raise InputError(f"ID {df['ID'].iloc[i]}: duplicated record", row=_row(i))
    if not allow_overlap:
        _check_overlap(df)
    return df


def _check_overlap(df: pd.DataFrame) -> None:
    ex = expand(df)
    for sid, group in ex.groupby("ID", sort=False):
        resets = group.loc[group["EVID"].isin([3, 4]), "TIME"].to_numpy()
        running: dict[int, tuple[float, float]] = {}  # CMT -> (start, end) of the last infusion
        infusions = group[group["EVID"].isin([1, 4]) & (group["RATE"] > 0)]
        for t, amt, rate, cmt, src in zip(
            infusions["TIME"], infusions["AMT"], infusions["RATE"], infusions["CMT"],
            infusions["_src"], strict=True,
        ):  # fmt: skip
            prev = running.get(int(cmt))
            if prev is not None and t < prev[1] and not np.any((resets > prev[0]) & (resets <= t)):
                raise InputError(
                    f"ID {sid}: infusion into CMT {cmt} at {t:g} h overlaps the previous one "
                    f"(running until {prev[1]:g} h)",
                    row=_row(int(src)),
                    column="TIME",
                )
            running[int(cmt)] = (float(t), float(t) + float(amt) / float(rate))


def expand(events: pd.DataFrame) -> pd.DataFrame:
    """Expand ADDL/II into explicit dose records (ADDL and II set to 0), sorted by time per ID.

    The expanded frame keeps the source row index in column ``_src`` for error messages.
    """
    df = events.reset_index(drop=True).copy()
    df["_src"] = np.arange(len(df))
    extra = []
    addls = df["ADDL"].to_numpy(dtype=np.int64)
    times = df["TIME"].to_numpy(dtype=float)
    iis = df["II"].to_numpy(dtype=float)
    for i in np.flatnonzero((df["ADDL"].to_numpy() > 0) & df["EVID"].isin([1, 4]).to_numpy()):
        n = int(addls[i])
        block = df.loc[[i] * n].copy()
        block["TIME"] = times[i] + np.arange(1, n + 1) * iis[i]
        block["EVID"] = 1  # additional doses never reset
        extra.append(block)
    if extra:
        df = pd.concat([df, *extra], ignore_index=True)
    df["ADDL"] = 0
    df["II"] = 0.0
    order = pd.Series(pd.factorize(df["ID"])[0])
    df["_order"] = order
    df = df.sort_values(["_order", "TIME"], kind="stable").drop(columns="_order")
    return df.reset_index(drop=True)


@dataclass(frozen=True)
class Schedule:
    """What changes when, for one subject: times (h), kinds, 0-based states and values."""

    time: NDArray[np.float64]
    kind: NDArray[np.int64]
    state: NDArray[np.int64]
    value: NDArray[np.float64]


def schedules(
    events: pd.DataFrame, *, n_states: int, allow_overlap: bool = False
) -> dict[Hashable, Schedule]:
    """Per-ID schedules of boluses, infusion rate switches and resets (checked and expanded)."""
    df = expand(validate_events(events, n_states=n_states, allow_overlap=allow_overlap))
    out: dict[Hashable, Schedule] = {}
    for sid, group in df.groupby("ID", sort=False):
        changes: list[tuple[float, int, int, int, float]] = []  # time, seq, kind, state, value
        seq = 0
        for t, evid, amt, rate, cmt in zip(
            group["TIME"].to_numpy(dtype=float),
            group["EVID"].to_numpy(dtype=np.int64),
            group["AMT"].to_numpy(dtype=float),
            group["RATE"].to_numpy(dtype=float),
            group["CMT"].to_numpy(dtype=np.int64),
            strict=True,
        ):
            c = int(cmt) - 1
            if evid in (3, 4):
                changes.append((t, seq, RESET, 0, 0.0))
                seq += 1
                # infusions running at a reset stop there: drop their later rate switches
                changes = [
                    ch for ch in changes if not (ch[2] == RATE_CHANGE and ch[0] > t and ch[4] < 0)
                ]
            if evid in (1, 4):
                if rate > 0:
                    changes.append((t, seq, RATE_CHANGE, c, float(rate)))
                    changes.append((t + amt / rate, seq + 1, RATE_CHANGE, c, -float(rate)))
                    seq += 2
                else:
                    changes.append((t, seq, BOLUS, c, float(amt)))
                    seq += 1
        changes.sort(key=lambda ch: (ch[0], ch[1]))
        out[sid] = Schedule(
            np.array([ch[0] for ch in changes], dtype=float),
            np.array([ch[2] for ch in changes], dtype=np.int64),
            np.array([ch[3] for ch in changes], dtype=np.int64),
            np.array([ch[4] for ch in changes], dtype=float),
        )
    return out


def pack(
    items: Sequence[Schedule],
) -> tuple[
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.int64],
]:
    """Pad schedules into 2-D arrays (subjects x changes) for the batch kernel."""
    m = max((len(s.time) for s in items), default=0)
    n = len(items)
    t = np.full((n, max(m, 1)), np.inf)
    k = np.zeros((n, max(m, 1)), dtype=np.int64)
    c = np.zeros((n, max(m, 1)), dtype=np.int64)
    v = np.zeros((n, max(m, 1)))
    counts = np.zeros(n, dtype=np.int64)
    for i, s in enumerate(items):
        q = len(s.time)
        t[i, :q], k[i, :q], c[i, :q], v[i, :q], counts[i] = s.time, s.kind, s.state, s.value, q
    return t, k, c, v, counts


def _frame(rows: list[dict[str, float | int | Hashable]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(COLUMNS))


def bolus(
    amount: float, *, time: float = 0.0, cmt: int = 1, id: Hashable = 1, ii: float = 0.0,
    addl: int = 0,
) -> pd.DataFrame:  # fmt: skip
    """One bolus record (with optional ADDL additional doses every II h)."""
    return _frame(
        [{"ID": id, "TIME": time, "EVID": 1, "AMT": amount, "RATE": 0.0, "II": ii, "ADDL": addl,
          "CMT": cmt}]
    )  # fmt: skip


def infusion(
    amount: float, *, duration: float, time: float = 0.0, cmt: int = 1, id: Hashable = 1,
    ii: float = 0.0, addl: int = 0,
) -> pd.DataFrame:  # fmt: skip
    """One zero-order infusion record of ``amount`` over ``duration`` h."""
    if not (duration > 0 and math.isfinite(duration)):
        raise InputError(f"infusion duration must be > 0 h, got {duration!r}", field="duration")
    return _frame(
        [{"ID": id, "TIME": time, "EVID": 1, "AMT": amount, "RATE": amount / duration, "II": ii,
          "ADDL": addl, "CMT": cmt}]
    )  # fmt: skip


def observations(times: Sequence[float], *, id: Hashable = 1) -> pd.DataFrame:
    """Observation records (EVID 0) at ``times`` h."""
    return _frame(
        [{"ID": id, "TIME": float(t), "EVID": 0, "AMT": 0.0, "RATE": 0.0, "II": 0.0, "ADDL": 0,
          "CMT": 1} for t in times]
    )  # fmt: skip


def cycles(pattern: pd.DataFrame, *, n_cycles: int, cycle_h: float) -> pd.DataFrame:
    """Repeat the dose records of one cycle ``n_cycles`` times, ``cycle_h`` hours apart."""
    if n_cycles < 1:
        raise InputError(f"need at least one cycle, got {n_cycles}", field="n_cycles")
    parts = []
    for k in range(n_cycles):
        part = pattern.copy()
        part["TIME"] = part["TIME"] + k * cycle_h
        parts.append(part)
    return combine(*parts)


def combine(*frames: pd.DataFrame) -> pd.DataFrame:
    """Concatenate event frames and sort by ID then TIME (stable: given order kept at ties)."""
    df = pd.concat(frames, ignore_index=True)
    df["_order"] = pd.factorize(df["ID"])[0]
    df = df.sort_values(["_order", "TIME"], kind="stable").drop(columns="_order")
    return df.reset_index(drop=True)
