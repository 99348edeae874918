"""The JSON API under ``/api`` (OpenAPI at ``/openapi.json``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, UploadFile
from fastapi.responses import HTMLResponse

from cxcr4lab.core.errors import InputError, NotFoundError
from cxcr4lab.web.analyses import (
    Upload,
    check_upload,
    csv_bytes,
    export_frames,
    xlsx_bytes,
)
from cxcr4lab.web.auth import Principal, api_principal, app_store
from cxcr4lab.web.models import (
    AnalysisDetail,
    AnalysisItem,
    AnalysisPage,
    CompoundPotencies,
    ErrorOut,
    MeOut,
    ProjectOut,
)
from cxcr4lab.web.security import content_disposition, safe_filename
from cxcr4lab.web.service import compound_rows, detail, readable, visible_record

__all__ = [
    "download",
    "project_for",
    "read_upload",
    "router",
]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "not logged in"},
    404: {"model": ErrorOut, "description": "not found in your projects"},
}
AnalysisId = Annotated[int, Path(ge=1, le=2**31 - 1, description="analysis id")]
router = APIRouter(prefix="/api", responses=_ERRORS)
Who = Annotated[Principal, Depends(api_principal)]


@router.get("/health", responses={}, tags=["meta"])
def health() -> dict[str, str]:
    """Liveness check (no login needed)."""
    return {"status": "ok"}


@router.get("/me", response_model=MeOut, tags=["accounts"])
def me(who: Who) -> MeOut:
    """The caller and their projects."""
    return MeOut(
        id=who.user.id,
        name=who.user.name,
        projects=[ProjectOut(id=p.id, name=p.name, role=p.role) for p in who.projects],
    )


@router.get("/projects", response_model=list[ProjectOut], tags=["accounts"])
def projects(who: Who) -> list[ProjectOut]:
    """The caller's projects."""
    return [ProjectOut(id=p.id, name=p.name, role=p.role) for p in who.projects]


@router.get("/analyses", response_model=AnalysisPage, tags=["analyses"])
def list_analyses(
    request: Request,
    who: Who,
    search: Annotated[str | None, Query(max_length=200)] = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 25,
) -> AnalysisPage:
    """Analyses of the caller's projects, newest first; ``search`` matches titles and file names."""
    store = app_store(request)
    ids = who.project_ids
    rows = store.list(
        kind=kind, search=search, project_ids=ids, limit=per_page, offset=(page - 1) * per_page
    )
    return AnalysisPage(
        items=[
            AnalysisItem(
                id=r.id,
                kind=r.kind,
                title=r.title,
                created_at=r.created_at,
                project_id=r.project_id,
                input_names=list(r.input_names),
            )
            for r in rows
        ],
        total=store.count(kind=kind, search=search, project_ids=ids),
        page=page,
        per_page=per_page,
    )


def project_for(who: Principal, project: str) -> int:
    """The id of one of the caller's projects, given by name or id; else NotFoundError."""
    for p in who.projects:
        if project in (p.name, str(p.id)):
            return p.id
    raise NotFoundError(f"you are not a member of a project {project!r}")


async def read_upload(
    file: UploadFile, field: str, limit: int, *, table: bool, text: tuple[str, ...] = ("toml",)
) -> Upload:
    """The bytes of an uploaded file (at most ``limit`` bytes), checked by content
    (:func:`~cxcr4lab.web.analyses.check_upload`)."""
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise InputError(
            f"file is larger than {limit} bytes", file=safe_filename(file.filename), field=field
        )
    return check_upload(field, file.filename, content, table=table, text=text)


@router.get("/analyses/{analysis_id}", response_model=AnalysisDetail, tags=["analyses"])
def get_analysis(request: Request, who: Who, analysis_id: AnalysisId) -> dict[str, Any]:
    """One analysis with its results table, QC and flags."""
    record, saved = readable(app_store(request), who, analysis_id)
    return detail(record, saved)


@router.get("/analyses/{analysis_id}/result", tags=["analyses"])
def get_result(request: Request, who: Who, analysis_id: AnalysisId) -> dict[str, Any]:
    """The full stored result object as JSON (``to_dict`` of the result kind)."""
    record = visible_record(app_store(request), who, analysis_id)
    return record.result


@router.delete("/analyses/{analysis_id}", status_code=204, tags=["analyses"])
def delete_analysis(request: Request, who: Who, analysis_id: AnalysisId) -> Response:
    """Delete an analysis of one of the caller's projects."""
    store = app_store(request)
    visible_record(store, who, analysis_id)
    store.delete(analysis_id)
    return Response(status_code=204)


def download(content: bytes, media_type: str, filename: str) -> Response:
    """A download response with a safe file name (RFC 5987 ``filename*`` for non-ASCII ones),
    never cached."""
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"},
    )


_FILE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}, "description": "the file"}
}


@router.get("/analyses/{analysis_id}/results.csv", tags=["downloads"], responses=_FILE)
def results_csv(
    request: Request,
    who: Who,
    analysis_id: AnalysisId,
    table: Annotated[str, Query(pattern="^(results|wells)$")] = "results",
) -> Response:
    """The results (or wells) table as CSV; formula-like cells are escaped."""
    _, saved = readable(app_store(request), who, analysis_id)
    frames = export_frames(saved.result)
    if table not in frames:
        raise NotFoundError(f"analysis {analysis_id} has no {table} table")
    return download(
        csv_bytes(frames[table]), "text/csv; charset=utf-8", f"analysis_{analysis_id}_{table}.csv"
    )


@router.get("/analyses/{analysis_id}/results.xlsx", tags=["downloads"], responses=_FILE)
def results_xlsx(request: Request, who: Who, analysis_id: AnalysisId) -> Response:
    """Results and wells as an xlsx workbook; formula-like cells are escaped."""
    _, saved = readable(app_store(request), who, analysis_id)
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return download(xlsx_bytes(export_frames(saved.result)), media, f"analysis_{analysis_id}.xlsx")


@router.get("/analyses/{analysis_id}/report.html", tags=["downloads"], response_class=HTMLResponse)
def report_html(request: Request, who: Who, analysis_id: AnalysisId) -> Response:
    """The self-contained HTML report of the analysis."""
    from cxcr4lab.report import render_report
    from cxcr4lab.report.html import record_provenance

    record, saved = readable(app_store(request), who, analysis_id)
    html = render_report(
        [(saved.id, saved.title, saved.result)],
        title=saved.title,
        provenance=[record_provenance(record)],
    )
    return download(
        html.encode("utf-8"), "text/html; charset=utf-8", f"analysis_{analysis_id}_report.html"
    )


@router.get("/compounds/{name}", response_model=CompoundPotencies, tags=["compounds"])
def compound(request: Request, who: Who, name: str) -> dict[str, Any]:
    """Potencies of a compound across the caller's analyses (nM, 95% CI) and the literature."""
    return {"compound": name, "potencies": compound_rows(app_store(request), who, name)}
