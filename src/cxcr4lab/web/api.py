"""The JSON API under ``/api`` (OpenAPI at ``/openapi.json``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile
from fastapi.responses import HTMLResponse

from cxcr4lab.core.errors import InputError, NotFoundError
from cxcr4lab.web.analyses import (
    Upload,
    analyse_and_save,
    check_upload,
    csv_bytes,
    export_frames,
    xlsx_bytes,
)
from cxcr4lab.web.assays import PLATE_ASSAYS, AssayOptions, Readout, UploadKind
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
from cxcr4lab.web.worker import app_pool
from cxcr4lab.workflows import SavedAnalysis

__all__ = [
    "Options",
    "assay_options",
    "download",
    "project_for",
    "read_upload",
    "receive_upload",
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


async def read_upload(file: UploadFile, field: str, limit: int, *, table: bool) -> Upload:
    """The bytes of an uploaded file (at most ``limit`` bytes), checked by content."""
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise InputError(
            f"file is larger than {limit} bytes", file=safe_filename(file.filename), field=field
        )
    return check_upload(field, file.filename, content, table=table)


_Positive = {"gt": 0, "allow_inf_nan": False}


def assay_options(
    radioligand_conc: Annotated[
        str, Form(max_length=50, description="binding: radioligand concentration, e.g. 0.1 nM")
    ] = "0.1 nM",
    kd: Annotated[str, Form(max_length=50, description="binding: radioligand Kd, e.g. 0.5 nM")] = (
        "0.5 nM"
    ),
    agonist_conc: Annotated[
        str,
        Form(
            max_length=50,
            description="arrestin, calcium, chemotaxis: CXCL12 in the antagonist wells, e.g. "
            "200 ng/mL or 12.5 nM (gives Kb; empty: no Kb)",
        ),
    ] = "",
    agonist_ec50: Annotated[
        str,
        Form(
            max_length=50,
            description="arrestin, calcium: CXCL12 EC50 when the plate has no CXCL12 curve",
        ),
    ] = "",
    agonist_hill: Annotated[
        float, Form(**_Positive, description="arrestin, calcium: CXCL12 Hill slope")
    ] = 1.0,
    saturation: Annotated[
        float | None,
        Form(
            **_Positive,
            description="detector ceiling: readings at or above it are refused (viability: "
            "default 4 OD)",
        ),
    ] = None,
    injection_s: Annotated[
        float | None, Form(**_Positive, description="calcium (needed): CXCL12 injection time, s")
    ] = None,
    window_s: Annotated[
        float | None,
        Form(**_Positive, description="calcium: response window after the injection, s (all)"),
    ] = None,
    readout: Annotated[
        Readout,
        Form(
            description="calcium: peak or auc (default peak); chemotaxis (needed): counts, "
            "absorbance or fluorescence"
        ),
    ] = "",
    standard_model: Annotated[
        Literal["linear", "4pl"], Form(description="chemotaxis: fluorescence standard curve")
    ] = "linear",
    cell_line: Annotated[
        str, Form(max_length=100, description="chemotaxis, viability: cell line, e.g. PC-3")
    ] = "",
    exposure_h: Annotated[
        float | None, Form(**_Positive, description="viability: exposure time, h")
    ] = None,
    model: Annotated[
        Literal["auto", "4pl", "5pl"],
        Form(description="elisa: standard curve (auto: F test 4PL vs 5PL)"),
    ] = "auto",
    weighting: Annotated[
        Literal["none", "1/y", "1/y^2"], Form(description="elisa: standard curve weights")
    ] = "none",
) -> AssayOptions:
    """The assay-specific form fields of an upload (each used by the assays it names)."""
    return AssayOptions(
        radioligand_conc=radioligand_conc,
        kd=kd,
        agonist_conc=agonist_conc,
        agonist_ec50=agonist_ec50,
        agonist_hill=agonist_hill,
        saturation=saturation,
        injection_s=injection_s,
        window_s=window_s,
        readout=readout,
        standard_model=standard_model,
        cell_line=cell_line,
        exposure_h=exposure_h,
        model=model,
        weighting=weighting,
    )


Options = Annotated[AssayOptions, Depends(assay_options)]
_KINDS = "; ".join(f"{k}: {a.label}" for k, a in PLATE_ASSAYS.items())


@router.post(
    "/analyses",
    response_model=AnalysisDetail,
    status_code=201,
    tags=["analyses"],
    responses={
        413: {"model": ErrorOut, "description": "upload too large"},
        422: {"model": ErrorOut, "description": "bad input, with its place"},
        503: {
            "model": ErrorOut,
            "description": "the analysis went over its time budget, or the server is busy",
        },
    },
)
async def create_analysis(
    request: Request,
    who: Who,
    project: Annotated[str, Form(description="project name or id")],
    plate: Annotated[
        UploadFile,
        File(
            description="plate export: CSV (grid or long) or xlsx; calcium: a kinetic export; "
            "chemotaxis counts: a table well, field, count"
        ),
    ],
    layout: Annotated[UploadFile, File(description="wellmap TOML layout")],
    options: Options,
    kind: Annotated[UploadKind, Form(description=f"the assay: {_KINDS}")] = "binding",
    title: Annotated[str | None, Form(max_length=200)] = None,
    block: Annotated[str | None, Form(max_length=100)] = None,
) -> dict[str, Any]:
    """Upload a plate and its layout, analyse it as assay ``kind`` and save it in the project.

    Options apply to the assays their description names; empty ones take the assay's default.
    The analysis runs in a worker process within the server's time budget (503 beyond it).
    """
    from starlette.concurrency import run_in_threadpool

    store = app_store(request)
    saved = await receive_upload(
        request, who, project, kind, plate, layout, options, title=title, block=block
    )
    return await run_in_threadpool(lambda: detail(store.get(saved.id), saved))


async def receive_upload(
    request: Request,
    who: Principal,
    project: str,
    kind: str,
    plate: UploadFile,
    layout: UploadFile,
    options: AssayOptions,
    *,
    title: str | None,
    block: str | None,
) -> SavedAnalysis:
    """Read an upload (plate and layout, size-checked), analyse it in a worker within the time
    budget and save it under the caller's project: the one path of the API and the upload page."""
    project_id = project_for(who, project)
    limit = request.app.state.settings.max_upload_bytes
    plate_up = await read_upload(plate, "plate", limit, table=True)
    layout_up = await read_upload(layout, "layout", limit, table=False)
    return await analyse_and_save(
        app_pool(request),
        app_store(request),
        project_id=project_id,
        kind=kind,
        plate=plate_up,
        layout=layout_up,
        options=options,
        title=title,
        block=block,
    )


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

    _, saved = readable(app_store(request), who, analysis_id)
    html = render_report([(saved.id, saved.title, saved.result)], title=saved.title)
    return download(
        html.encode("utf-8"), "text/html; charset=utf-8", f"analysis_{analysis_id}_report.html"
    )


@router.get("/compounds/{name}", response_model=CompoundPotencies, tags=["compounds"])
def compound(request: Request, who: Who, name: str) -> dict[str, Any]:
    """Potencies of a compound across the caller's analyses (nM, 95% CI) and the literature."""
    return {"compound": name, "potencies": compound_rows(app_store(request), who, name)}
