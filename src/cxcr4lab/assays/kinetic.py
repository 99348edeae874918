"""Kinetic plate exports (FLIPR, FlexStation, FDSS): fluorescence over time for every well.

Three shapes are read, told apart by their header row (any instrument preamble above it is
skipped; ``#`` lines are comments):

* time x well (FLIPR "Export: time sequence"): first header cell ``Time`` (``Time (s)``,
  ``Time [ms]``, ``t (min)``), then one column per well; one row per time point;
* well x time (FlexStation "column" export): first header cell ``Well``, then the time points;
  one row per well;
* long: columns ``well``, ``time`` and a signal column (``rfu``, ``fluorescence``, ``signal``,
  ``value``, ...); one row per well and time point.

Every well must share one time base: a ragged file (a missing cell) or a well read at other time
points is an :class:`InputError` naming the row, the well and what differs, since the baseline
and peak of a calcium trace are only comparable on one time axis. Times are in seconds inside;
``ms`` and ``min`` in the time header are converted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cxcr4lab.assays.readers import _csv_cells, _decode, _number, _xlsx_cells
from cxcr4lab.assays.wells import PlateFormat, format_for_wells, normalise_well
from cxcr4lab.core.errors import InputError, Place, quote
from cxcr4lab.core.files import read_input
from cxcr4lab.core.limits import check_size

__all__ = ["KineticData", "read_kinetic", "read_kinetic_bytes"]

_TIME = re.compile(r"^\s*(time|t)\s*([\(\[]\s*(s|sec|seconds|ms|min|minutes)\s*[\)\]])?\s*$", re.I)
_SIGNALS = ("rfu", "fluorescence", "signal", "value", "counts", "f", "intensity", "raw")
_WELL = re.compile(r"^\s*[A-Za-z]{1,2}\s*0*\d{1,3}\s*$")


@dataclass(frozen=True, eq=False)
class KineticData:
    """Readings over time: ``values[i, j]`` is well ``wells[j]`` at ``times_s[i]`` (seconds)."""

    source: str
    block: str
    format: PlateFormat
    times_s: tuple[float, ...]
    wells: tuple[str, ...]
    values: np.ndarray

    def place(self, **extra: str | int) -> Place:
        return Place(file=self.source, block=self.block, **extra)  # type: ignore[arg-type]

    def trace(self, well: str) -> np.ndarray:
        return np.asarray(self.values[:, self.wells.index(well)], dtype=float)


def read_kinetic(path: str | Path) -> KineticData:
    p = Path(path)
    return read_kinetic_bytes(read_input(p, field="kinetic file"), p.name)


def _scale(header: str) -> float:
    h = header.lower()
    if "ms" in h:
        return 1e-3
    if "min" in h:
        return 60.0
    return 1.0


def read_kinetic_bytes(content: bytes, name: str) -> KineticData:
    """Read a kinetic export given as bytes (CSV/TSV/TXT or XLSX, the first sheet with data)."""
    check_size(content, name)
    if not content.strip():
        raise InputError("file is empty", file=name)
    sheet: str | None = None
    if Path(name).suffix.lower() in {".xlsx", ".xlsm"}:
        sheets = [(s, c) for s, c in _xlsx_cells(content, name) if any(any(r) for r in c)]
        if not sheets:
            raise InputError("workbook has no data", file=name)
        sheet, cells = sheets[0]
        comma = False
    else:
        cells, comma = _csv_cells(_decode(content, name), name)
    where = Place(file=name, sheet=sheet)
    for i, row in enumerate(cells):
        if not any(row):
            continue
        head = [c.strip() for c in row]
        lower = [c.lower() for c in head]
        if _TIME.match(head[0]) and len(head) > 1 and all(_WELL.match(c) for c in head[1:] if c):
            return _time_by_well(cells, i, name, sheet, comma)
        if lower[0] == "well" and "time" in " ".join(lower[1:2]):
            return _long(cells, i, name, sheet, comma)
        if lower[0] == "well" and len(head) > 2:
            times = [_number(c, comma) for c in head[1:] if c]
            if all(t is not None for t in times):
                return _well_by_time(cells, i, name, sheet, comma)
    raise InputError(
        "no kinetic table found: expected a header 'Time (s), A1, A2, ...' (time x well), "
        "'Well, 0, 1, 2, ...' (well x time) or 'well, time, rfu' (long)",
        place=where,
    )


def _value(raw: str, comma: bool, place: Place) -> float:
    if not raw:
        raise InputError(
            "missing value (ragged file): every well needs a reading at every time point",
            place=place,
        )
    v = _number(raw, comma)
    if v is None or not math.isfinite(v):
        raise InputError(f"{quote(raw)} is not a finite number", place=place)
    return v


def _check_times(times: list[float], where: Place, rows: list[int]) -> None:
    for k in range(1, len(times)):
        if not times[k] > times[k - 1]:
            raise InputError(
                f"time {times[k]:g} s does not increase (previous {times[k - 1]:g} s)",
                place=where,
                row=rows[k],
            )
    if len(times) < 3:
        raise InputError(f"only {len(times)} time point(s); a trace needs several", place=where)


def _build(
    name: str,
    sheet: str | None,
    block: str,
    times: list[float],
    wells: list[str],
    values: np.ndarray,
) -> KineticData:
    dup = {w for w in wells if wells.count(w) > 1}
    if dup:
        raise InputError(f"well {sorted(dup)[0]} appears twice", file=name, sheet=sheet)
    try:
        fmt = format_for_wells(wells)
    except ValueError as exc:
        raise InputError(str(exc), file=name, sheet=sheet) from None
    return KineticData(name, block, fmt, tuple(times), tuple(wells), values)


def _time_by_well(
    cells: list[list[str]], header: int, name: str, sheet: str | None, comma: bool
) -> KineticData:
    head = cells[header]
    scale = _scale(head[0])
    cols = [j for j in range(1, len(head)) if head[j].strip()]
    wells = [
        normalise_well(head[j], place=Place(file=name, sheet=sheet, row=header + 1)) for j in cols
    ]
    times: list[float] = []
    rows: list[int] = []
    data: list[list[float]] = []
    for i in range(header + 1, len(cells)):
        row = cells[i]
        if not any(row):
            continue
        line = i + 1
        t = _value(
            row[0] if row else "", comma, Place(file=name, sheet=sheet, row=line, column=head[0])
        )
        values = []
        for j, well in zip(cols, wells, strict=True):
            raw = row[j].strip() if j < len(row) else ""
            values.append(_value(raw, comma, Place(file=name, sheet=sheet, row=line, well=well)))
        times.append(t * scale)
        rows.append(line)
        data.append(values)
    _check_times(times, Place(file=name, sheet=sheet, column=head[0]), rows)
    return _build(name, sheet, sheet or "plate", times, wells, np.array(data, dtype=float))


def _well_by_time(
    cells: list[list[str]], header: int, name: str, sheet: str | None, comma: bool
) -> KineticData:
    head = cells[header]
    cols = [j for j in range(1, len(head)) if head[j].strip()]
    times = [float(_number(head[j], comma) or 0.0) for j in cols]
    _check_times(times, Place(file=name, sheet=sheet, row=header + 1), [header + 1] * len(times))
    wells: list[str] = []
    data: list[list[float]] = []
    for i in range(header + 1, len(cells)):
        row = cells[i]
        if not any(row):
            continue
        line = i + 1
        well = normalise_well(row[0], place=Place(file=name, sheet=sheet, row=line, column="Well"))
        values = []
        for j in cols:
            raw = row[j].strip() if j < len(row) else ""
            values.append(
                _value(
                    raw, comma, Place(file=name, sheet=sheet, row=line, well=well, column=head[j])
                )
            )
        wells.append(well)
        data.append(values)
    if not wells:
        raise InputError("header but no wells", file=name, sheet=sheet)
    return _build(name, sheet, sheet or "plate", times, wells, np.array(data, dtype=float).T)


def _long(
    cells: list[list[str]], header: int, name: str, sheet: str | None, comma: bool
) -> KineticData:
    head = [c.strip().lower() for c in cells[header]]
    t_col = next(j for j, c in enumerate(head) if c.startswith("time") or _TIME.match(c))
    scale = _scale(cells[header][t_col])
    s_col = next((j for j, c in enumerate(head) if c in _SIGNALS), None)
    if s_col is None:
        raise InputError(
            f"long kinetic table has no signal column (one of {', '.join(_SIGNALS)})",
            file=name,
            sheet=sheet,
            row=header + 1,
        )
    traces: dict[str, tuple[list[float], list[float], list[int]]] = {}
    for i in range(header + 1, len(cells)):
        row = cells[i]
        if not any(row):
            continue
        line = i + 1
        where = Place(file=name, sheet=sheet, row=line)
        well = normalise_well(row[0], place=where)
        t_raw = row[t_col].strip() if t_col < len(row) else ""
        s_raw = row[s_col].strip() if s_col < len(row) else ""
        t = _value(t_raw, comma, Place(file=name, sheet=sheet, row=line, well=well, column="time"))
        v = _value(s_raw, comma, Place(file=name, sheet=sheet, row=line, well=well))
        ts, vs, rows = traces.setdefault(well, ([], [], []))
        ts.append(t * scale)
        vs.append(v)
        rows.append(line)
    if not traces:
        raise InputError("header but no data rows", file=name, sheet=sheet)
    wells = list(traces)
    first = wells[0]
    base = traces[first][0]
    for well in wells:
        ts, _, rows = traces[well]
        _check_times(ts, Place(file=name, sheet=sheet, well=well), rows)
        if len(ts) != len(base) or not np.allclose(ts, base, rtol=0, atol=1e-3):
            k = next(
                (k for k in range(min(len(ts), len(base))) if abs(ts[k] - base[k]) > 1e-3),
                min(len(ts), len(base)),
            )
            mine = f"{ts[k]:g} s" if k < len(ts) else "no reading"
            theirs = f"{base[k]:g} s" if k < len(base) else "no reading"
            raise InputError(
                f"uneven time points: this well has {len(ts)} readings, well {first} has "
                f"{len(base)}; reading #{k + 1} is at {mine} here but {theirs} in well {first}. "
                "Every well must share one time base",
                file=name,
                sheet=sheet,
                well=well,
                row=rows[min(k, len(rows) - 1)],
            )
    values = np.array([traces[w][1] for w in wells], dtype=float).T
    return _build(name, sheet, sheet or "plate", base, wells, values)
