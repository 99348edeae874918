"""Uploads -> analyses -> exports and plots, for the web app (the HTTP layer is elsewhere).

Upload checks sniff the content (CSV text, xlsx zip, TOML text) and refuse mismatches with an
:class:`~cxcr4lab.core.errors.InputError` naming the file; analysis errors name their place too.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cxcr4lab.assays.binding import BindingResult, BindingSettings
from cxcr4lab.assays.potency import Potency, published_potencies
from cxcr4lab.commands._shared import conc
from cxcr4lab.core.errors import Cxcr4labError, InputError, NotFoundError, StoreError
from cxcr4lab.store import Store
from cxcr4lab.web.security import escape_cell, safe_filename
from cxcr4lab.workflows import SavedAnalysis, analyse_binding, load_analysis, save_binding

__all__ = [
    "UPLOAD_KINDS",
    "Upload",
    "analysis_potencies",
    "check_upload",
    "csv_bytes",
    "curves_figure",
    "export_frames",
    "heatmap_figure",
    "potency_rows",
    "run_upload",
    "xlsx_bytes",
]

UPLOAD_KINDS = ("binding",)
"""Assay kinds the upload form analyses (the others are stored with the CLI)."""

_log = logging.getLogger(__name__)
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its (sanitised) name and bytes."""

    name: str
    content: bytes


def check_upload(field: str, name: str | None, content: bytes, *, table: bool) -> Upload:
    """The upload with a safe name if its content is what its name says.

    ``table=True`` allows CSV/TSV/TXT text or xlsx; otherwise (a layout) only UTF-8 TOML text.
    """
    safe = safe_filename(name, default=f"{field}.csv" if table else f"{field}.toml")
    if not content:
        raise InputError("file is empty", file=safe, field=field)
    suffix = safe.rsplit(".", 1)[-1].lower() if "." in safe else ""
    is_zip = content.startswith(_ZIP)
    if content.startswith(_OLE):
        raise InputError("old binary .xls files are not read; save as .xlsx or CSV", file=safe)
    if table and suffix == "xlsx":
        if not is_zip:
            raise InputError("named .xlsx but is not an xlsx (zip) file", file=safe, field=field)
        return Upload(safe, content)
    allowed = ("csv", "tsv", "txt") if table else ("toml",)
    if suffix not in allowed:
        kinds = ", ".join("." + s for s in (*allowed, *(("xlsx",) if table else ())))
        raise InputError(f"file type .{suffix or '?'} is not accepted here; use {kinds}", file=safe)
    if is_zip or b"\x00" in content[:8192]:
        raise InputError(f"named .{suffix} but holds binary data", file=safe, field=field)
    try:
        content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start})", file=safe, field=field) from None
    return Upload(safe, content)


def run_upload(
    store: Store,
    *,
    project_id: int,
    kind: str,
    plate: Upload,
    layout: Upload,
    radioligand_conc: str,
    kd: str,
    title: str | None = None,
    block: str | None = None,
) -> SavedAnalysis:
    """Analyse an uploaded plate with its layout and save it under the project (one transaction)."""
    if kind not in UPLOAD_KINDS:
        raise InputError(
            f"{kind!r} cannot be uploaded here; use one of {UPLOAD_KINDS}", field="kind"
        )
    settings = BindingSettings(
        radioligand_molar=conc(radioligand_conc, "radioligand_conc"), kd_molar=conc(kd, "kd")
    )
    try:
        run = analyse_binding(
            (plate.name, plate.content),
            (layout.name, layout.content),
            settings,
            block=block or None,
        )
    except Cxcr4labError:
        raise
    except Exception as exc:  # a reader choking on odd content: the user's file, not a crash
        _log.warning("upload %s could not be analysed", plate.name, exc_info=True)
        raise InputError(
            f"could not be read or analysed ({type(exc).__name__}: {exc})", file=plate.name
        ) from exc
    project_store: Any = _ProjectStore(store, project_id)
    return save_binding(project_store, run, title=(title or "").strip() or None)


class _ProjectStore:
    """A store whose saves go to one project (what ``save_binding`` sees)."""

    def __init__(self, store: Store, project_id: int) -> None:
        self._store = store
        self._project_id = project_id

    def save_analysis(self, **kwargs: Any) -> int:
        return self._store.save_analysis(**kwargs, project_id=self._project_id)


# --- exports ------------------------------------------------------------------------------------


def export_frames(result: Any) -> dict[str, pd.DataFrame]:
    """The tables of a result for download: ``results`` (summary) and, if present, ``wells``."""
    frames = {"results": result.summary()}
    wells = getattr(result, "wells_table", None)
    if callable(wells):
        frames["wells"] = wells()
    return frames


def _escaped(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [str(escape_cell(str(c))) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(escape_cell)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, for Excel) with formula-like text cells escaped."""
    text = _escaped(frame).to_csv(index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return ("\ufeff" + text).encode("utf-8")


def xlsx_bytes(frames: dict[str, pd.DataFrame]) -> bytes:
    """An xlsx workbook with one sheet per table, formula-like text cells escaped."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for sheet, frame in frames.items():
            _escaped(frame).to_excel(writer, sheet_name=sheet[:31], index=False)
    return buffer.getvalue()


# --- plots (plotly figure dicts; plotly.js draws them in the browser) ----------------------------

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")


def _finite(values: Sequence[float | None]) -> list[float | None]:
    return [None if v is None or not math.isfinite(v) else float(v) for v in values]


def curves_figure(result: BindingResult, alpha: float = 0.05) -> dict[str, Any]:
    """% specific binding vs concentration (M, log axis): points, fitted curve, confidence band."""
    import numpy as np

    traces: list[dict[str, Any]] = []
    for i, c in enumerate(result.curves):
        colour = _COLOURS[i % len(_COLOURS)]
        pts = [w for w in result.wells if w.compound == c.compound and w.role == "sample"]
        used = [w for w in pts if w.excluded is None and w.conc_molar]
        masked = [w for w in pts if w.excluded is not None and w.conc_molar]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{c.compound} (wells)",
                "legendgroup": c.compound,
                "x": [w.conc_molar for w in used],
                "y": _finite([w.specific_pct for w in used]),
                "text": [w.well for w in used],
                "marker": {"color": colour, "size": 7},
                "hovertemplate": "%{text}: %{x:.3g} M, %{y:.1f} %<extra></extra>",
            }
        )
        if masked:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{c.compound} (excluded)",
                    "legendgroup": c.compound,
                    "x": [w.conc_molar for w in masked],
                    "y": _finite([w.specific_pct for w in masked]),
                    "text": [f"{w.well}: {w.excluded}" for w in masked],
                    "marker": {"color": colour, "symbol": "x", "size": 8},
                    "hovertemplate": "%{text}<extra></extra>",
                }
            )
        if not c.fit.converged:
            continue
        x = np.linspace(c.fit.x_min - 0.5, c.fit.x_max + 0.5, 120)
        conc_m = [float(v) for v in 10.0**x]
        lo, hi = c.fit.band(x, alpha)
        if np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)):
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": conc_m + conc_m[::-1],
                    "y": _finite([*map(float, hi), *map(float, lo[::-1])]),
                    "fill": "toself",
                    "fillcolor": colour + "30",
                    "line": {"width": 0},
                    "hoverinfo": "skip",
                    "showlegend": False,
                    "legendgroup": c.compound,
                }
            )
        label = (
            f"{c.compound}: IC50 not determined"
            if "no_effect" in c.flags or "outside_range" in c.flags
            else f"{c.compound}: IC50 {c.ic50_molar * 1e9:.3g} nM"
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": label,
                "legendgroup": c.compound,
                "x": conc_m,
                "y": _finite([float(v) for v in c.fit.predict(x)]),
                "line": {"color": colour, "width": 2},
            }
        )
    level = round(100 * (1 - alpha))
    return {
        "data": traces,
        "layout": {
            "title": {"text": f"Competition binding: fit and {level}% confidence band"},
            "xaxis": {"type": "log", "title": {"text": "competitor concentration (M)"}},
            "yaxis": {"title": {"text": "specific binding (% of total)"}},
            "height": 460,
            "margin": {"t": 50, "r": 20},
        },
    }


def _well_index(well: str) -> tuple[int, int] | None:
    letters = "".join(ch for ch in well if ch.isalpha()).upper()
    digits = "".join(ch for ch in well if ch.isdigit())
    if not letters or not digits:
        return None
    row = 0
    for ch in letters:
        row = row * 26 + (ord(ch) - 64)
    return row - 1, int(digits) - 1


def heatmap_figure(result: BindingResult) -> dict[str, Any]:
    """The plate's raw signal (counts) per well, rows A.. by columns 1.., as a heatmap."""
    n_rows, n_cols = (16, 24) if result.plate_wells == 384 else (8, 12)
    z: list[list[float | None]] = [[None] * n_cols for _ in range(n_rows)]
    text: list[list[str]] = [[""] * n_cols for _ in range(n_rows)]
    for w in result.wells:
        at = _well_index(w.well)
        if at is None or not (0 <= at[0] < n_rows and 0 <= at[1] < n_cols):
            continue
        r, c = at
        z[r][c] = w.signal if w.signal is not None and math.isfinite(w.signal) else None
        what = w.compound or w.role
        conc_text = "" if w.conc_molar is None else f" {w.conc_molar:.3g} M"
        excluded = f" EXCLUDED: {w.excluded}" if w.excluded else ""
        text[r][c] = f"{w.well} {what}{conc_text}{excluded}"
    rows = [chr(65 + i) for i in range(n_rows)]
    return {
        "data": [
            {
                "type": "heatmap",
                "z": z,
                "x": [str(i + 1) for i in range(n_cols)],
                "y": rows,
                "text": text,
                "colorscale": "Viridis",
                "colorbar": {"title": {"text": "signal (counts)"}},
                "hovertemplate": "%{text}<br>%{z:.4g} counts<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": f"Plate {result.plate} [{result.block}]: raw signal", "y": 0.98},
            "yaxis": {"autorange": "reversed", "title": {"text": "row"}},
            "xaxis": {"side": "top", "tickmode": "linear", "dtick": 1},
            "height": 380 if n_rows == 8 else 520,
            "margin": {"t": 80, "r": 20},
        },
    }


# --- compounds ------------------------------------------------------------------------------------


def potency_rows(potencies: Sequence[Potency], compound: str) -> list[dict[str, Any]]:
    """Rows of the cross-assay potency table of one compound (nM), with published values."""
    wanted = compound.strip().lower()
    chosen = [p for p in potencies if p.compound.lower() == wanted]
    chosen += [p for p in published_potencies() if p.compound.lower() == wanted]

    def nm(v: float | None) -> float | None:
        return None if v is None else v * 1e9

    return [
        {
            "assay": p.assay,
            "parameter": p.parameter,
            "bound": p.bound,
            "value_nM": nm(p.value_molar),
            "lower_nM": nm(p.lower_molar),
            "upper_nM": nm(p.upper_molar),
            "system": p.system,
            "source": p.source,
            "flags": ", ".join(p.flags),
            "published": p.published,
        }
        for p in chosen
    ]


def analysis_potencies(store: Store, analysis_ids: Sequence[int]) -> list[tuple[int, Potency]]:
    """(analysis id, potency) for every potency in these analyses (unreadable kinds skipped)."""
    out: list[tuple[int, Potency]] = []
    for analysis_id in analysis_ids:
        try:
            record = store.get(analysis_id)
            if record.kind == BindingResult.kind:
                result: Any = BindingResult.from_dict(record.result)
            else:
                result = load_analysis(store, analysis_id).result
        except (NotFoundError, StoreError, KeyError, TypeError, ValueError, ImportError):
            continue  # a stored kind this version cannot read
        saved = SavedAnalysis(record.id, record.title, result)
        potencies = getattr(saved.result, "potencies", None)
        if callable(potencies):
            out += [(analysis_id, p) for p in potencies(source=f"#{analysis_id} {saved.title}")]
    return out
