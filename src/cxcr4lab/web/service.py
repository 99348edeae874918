"""Reads shared by the API and the pages: one analysis (if the caller may see it), listings."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cxcr4lab.assays.binding import BindingResult
from cxcr4lab.assays.elisa import ElisaResult
from cxcr4lab.assays.qc import PlateQC
from cxcr4lab.core.errors import NotFoundError
from cxcr4lab.store import AnalysisRecord, Store
from cxcr4lab.web.analyses import analysis_potencies, potency_rows
from cxcr4lab.web.auth import Principal
from cxcr4lab.workflows import SavedAnalysis, load_analysis

__all__ = [
    "compound_rows",
    "detail",
    "frame_records",
    "load_record",
    "readable",
    "record_fields",
    "result_fields",
    "visible_record",
]

COMPOUND_SCAN_LIMIT = 2000


def visible_record(store: Store, who: Principal, analysis_id: int) -> AnalysisRecord:
    """The record if it is in one of the caller's projects; otherwise NotFoundError (404)."""
    try:
        record = store.get(analysis_id)
    except NotFoundError:
        record = None
    if record is None or record.project_id not in who.project_ids:
        raise NotFoundError(f"no analysis {analysis_id} in your projects")
    return record


def readable(
    store: Store, who: Principal, analysis_id: int
) -> tuple[AnalysisRecord, SavedAnalysis]:
    """The record and its result object, if the caller may see it."""
    record = visible_record(store, who, analysis_id)
    return record, load_record(store, record)


def load_record(store: Store, record: AnalysisRecord) -> SavedAnalysis:
    """The result object of a record: binding directly, other kinds via the kind registry.

    Binding is read without the registry, so the web app keeps working for plates even if some
    unrelated result module cannot be imported.
    """
    if record.kind == BindingResult.kind:
        return SavedAnalysis(record.id, record.title, BindingResult.from_dict(record.result))
    return load_analysis(store, record.id)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return _clean(value.item())
    return value


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-able dicts (NaN -> None)."""
    return [{str(k): _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def detail(record: AnalysisRecord, saved: SavedAnalysis) -> dict[str, Any]:
    """The fields of :class:`~cxcr4lab.web.models.AnalysisDetail`."""
    return {**record_fields(record), **result_fields(saved.result)}


def record_fields(record: AnalysisRecord) -> dict[str, Any]:
    """The fields of an :class:`~cxcr4lab.web.models.AnalysisDetail` the record holds (its
    ``result`` is not read: a record got ``with_result=False`` serves)."""
    return {
        "id": record.id,
        "kind": record.kind,
        "title": record.title,
        "created_at": record.created_at,
        "project_id": record.project_id,
        "input_names": [i.name for i in record.inputs],
        "software_version": record.software_version,
        "parameters": record.parameters,
    }


def result_fields(result: Any) -> dict[str, Any]:
    """The fields of an :class:`~cxcr4lab.web.models.AnalysisDetail` drawn from the result
    (plain data: an analysis worker computes them beside the result)."""
    curves = getattr(result, "curves", ())
    return {
        "results": frame_records(result.summary()),
        "qc": _qc(result),
        "flags": _flags(result, curves),
    }


def _qc(result: Any) -> dict[str, Any] | None:
    """The plate QC (binding, inhibition plates) or the run acceptance (ELISA) with its verdict
    (``passed``, ``reasons``); None for kinds without."""
    qc = getattr(result, "qc", None) or getattr(getattr(result, "analysis", None), "qc", None)
    if isinstance(qc, PlateQC):
        return {**qc.to_dict(), "passed": qc.passed, "reasons": list(qc.reasons)}
    if isinstance(result, ElisaResult):
        return {
            "passed": result.passed,
            "reasons": list(result.reasons),
            "lloq": result.lloq,
            "uloq": result.uloq,
            "unit": result.unit,
        }
    return None


def _flags(result: Any, curves: Any) -> dict[str, list[str]]:
    """Flags per compound (per sample for ELISA), as shown beside the results."""
    if isinstance(result, ElisaResult):
        return {f"{s.sample} x{s.dilution:g}": list(s.flags) for s in result.samples if s.flags}
    return {  # curves of a compound only (not Kaplan-Meier curves or compared curve ids)
        str(c.compound): list(getattr(c, "flags", ())) for c in curves if hasattr(c, "compound")
    }


def compound_rows(store: Store, who: Principal, compound: str) -> list[dict[str, Any]]:
    """The cross-assay potency rows of a compound over the caller's analyses and the literature."""
    ids = [
        s.id
        for s in store.list(project_ids=who.project_ids, limit=COMPOUND_SCAN_LIMIT)
        if s.project_id in who.project_ids
    ]
    found = [p for _, p in analysis_potencies(store, ids)]
    return potency_rows(found, compound)
