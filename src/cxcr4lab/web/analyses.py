"""Uploads -> analyses -> exports, for the web app (the HTTP layer is elsewhere).

Upload checks sniff the content (CSV text, xlsx zip, TOML text) and refuse mismatches with an
:class:`~cxcr4lab.core.errors.InputError` naming the file; analysis errors name their place too
(the form field of an option, the layout file, or the plate file). Plate text is decoded by
the command line's rule (:func:`check_upload`). Analyses run in worker processes with a time
budget (:mod:`cxcr4lab.web.worker`); the result is saved here, in the server, in one
transaction. The assays themselves are in :mod:`cxcr4lab.web.assays`, the figures in
:mod:`cxcr4lab.web.figures`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cxcr4lab.assays.binding import BindingResult
from cxcr4lab.assays.potency import Potency, published_potencies
from cxcr4lab.core.errors import InputError, NotFoundError, StoreError
from cxcr4lab.store import Store
from cxcr4lab.web.security import escape_cell, safe_filename
from cxcr4lab.workflows import SavedAnalysis, load_analysis

__all__ = [
    "TEXT_FORMATS",
    "Upload",
    "analysis_potencies",
    "check_upload",
    "csv_bytes",
    "export_frames",
    "potency_rows",
    "xlsx_bytes",
]

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its (sanitised) name and bytes."""

    name: str
    content: bytes


TEXT_FORMATS = ("toml", "xml", "sbml")
"""Formats of UTF-8 text inputs that are not tables: layouts (TOML) and models (SBML XML)."""


def check_upload(
    field: str,
    name: str | None,
    content: bytes,
    *,
    table: bool,
    text: tuple[str, ...] = ("toml",),
) -> Upload:
    """The upload with a safe name if its content is what its name says.

    ``table=True`` allows CSV/TSV/TXT text or xlsx; otherwise only UTF-8 text of the ``text``
    formats (a layout: TOML; a model: SBML XML), as the command line reads them. Plate text is decoded by the command line's rule
    (:mod:`cxcr4lab.assays.readers`): a UTF-16 byte-order mark means UTF-16; otherwise UTF-8
    (with or without its BOM) if the bytes are valid UTF-8, else Latin-1 (every byte is a
    character). Text with a NUL character in its first 8 KiB is binary data, refused.
    """
    safe = safe_filename(name, default=f"{field}.csv" if table else f"{field}.{text[0]}")
    if not content:
        raise InputError("file is empty", file=safe, field=field)
    suffix = safe.rsplit(".", 1)[-1].lower() if "." in safe else ""
    is_zip = content.startswith(_ZIP)
    if content.startswith(_OLE):
        raise InputError(
            "old binary .xls files are not read; save as .xlsx or CSV", file=safe, field=field
        )
    if table and suffix == "xlsx":
        if not is_zip:
            raise InputError("named .xlsx but is not an xlsx (zip) file", file=safe, field=field)
        return Upload(safe, content)
    allowed = ("csv", "tsv", "txt") if table else text
    if suffix not in allowed:
        kinds = ", ".join("." + s for s in (*allowed, *(("xlsx",) if table else ())))
        raise InputError(
            f"file type .{suffix or '?'} is not accepted here; use {kinds}", file=safe, field=field
        )
    if is_zip:
        raise InputError(f"named .{suffix} but holds binary data", file=safe, field=field)
    if table:  # the reader decodes the whole file (Latin-1 never fails): check its start only
        utf16 = content[:2] in (b"\xff\xfe", b"\xfe\xff")
        head = content[:8192].decode("utf-16" if utf16 else "latin-1", errors="ignore")
    else:
        try:
            head = content.decode("utf-8-sig")[:8192]
        except UnicodeDecodeError as exc:
            raise InputError(
                f"is not UTF-8 text (byte {exc.start})", file=safe, field=field
            ) from None
    if "\x00" in head:
        raise InputError(f"named .{suffix} but holds binary data", file=safe, field=field)
    return Upload(safe, content)


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
