"""``POST /api/runs/<kind>``: one route per kind of :data:`cxcr4lab.runs.KINDS`, generated.

Each route's form is built from the kind's declaration: a file field per input, a text field
per option (described, with its default and allowed values, in ``/openapi.json``), then
``project`` and ``title``. Options are read by :func:`cxcr4lab.runs.parse_options`, so a bad
value is a 422 naming the field in the words the command line uses. The analysis runs in a
worker process within the server's time budget; the result is saved in one transaction.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from cxcr4lab.core.errors import InputError, NotFoundError, quote
from cxcr4lab.runs import (
    KINDS,
    AnalysisKind,
    form_parameters,
    input_blobs,
    option_specs,
    stored_files,
    widgets,
)
from cxcr4lab.web.analyses import TEXT_FORMATS
from cxcr4lab.web.api import project_for, read_upload
from cxcr4lab.web.auth import Principal, api_principal, app_store, check_csrf, page_principal
from cxcr4lab.web.models import AnalysisDetail, ErrorOut
from cxcr4lab.web.security import safe_filename, shorten
from cxcr4lab.web.service import record_fields, visible_record
from cxcr4lab.web.worker import Prepared, app_pool
from cxcr4lab.workflows import with_aliquot_checks

__all__ = ["pages", "router"]

router = APIRouter(prefix="/api/runs", tags=["runs"])
PageWho = Annotated[Principal, Depends(page_principal)]

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "not logged in"},
    413: {"model": ErrorOut, "description": "upload too large"},
    422: {"model": ErrorOut, "description": "bad input, naming the file or option"},
    503: {"model": ErrorOut, "description": "over the time budget, or the server is busy"},
}


_BINARY_FORMATS = ("fcs", "zip", "json", "parquet", "pq", "xpt")
"""File types read as bytes whose content their reader checks (an FCS file, a zip of them, a
stored result as JSON, a Parquet or SAS XPT table), where a kind's input takes them; every
other upload is checked as a table or TOML text."""


async def _read_binary(upload: StarletteUpload, field: str, limit: int) -> tuple[str, bytes]:
    """A binary upload (:data:`_BINARY_FORMATS`): a safe name and at most ``limit`` bytes."""
    name = safe_filename(upload.filename, default=field)
    content = await upload.read(limit + 1)
    if len(content) > limit:
        raise InputError(f"file is larger than {limit} bytes", file=name, field=field)
    if not content:
        raise InputError("file is empty", file=name, field=field)
    return name, content


async def _read_uploads(
    request: Request, kind: AnalysisKind, uploads: Mapping[str, Any]
) -> dict[str, tuple[str, bytes]]:
    """The uploaded inputs of ``kind`` by name, size- and type-checked."""
    limit = request.app.state.settings.max_upload_bytes
    files: dict[str, tuple[str, bytes]] = {}
    for spec in kind.inputs:
        upload = uploads.get(spec.name)
        if isinstance(upload, StarletteUpload) and upload.filename:
            suffix = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
            if suffix in _BINARY_FORMATS and suffix in spec.formats:
                files[spec.name] = await _read_binary(upload, spec.name, limit)
                continue
            text = tuple(f for f in spec.formats if f in TEXT_FORMATS)
            up = await read_upload(
                cast(UploadFile, upload), spec.name, limit, table=not text, text=text or ("toml",)
            )
            files[spec.name] = (up.name, up.content)
    return files


async def _run_and_save(
    request: Request,
    kind: AnalysisKind,
    files: dict[str, tuple[str, bytes]],
    raw: Mapping[str, object],
    *,
    project_id: int,
    title: str,
    who: Principal,
) -> tuple[int, Prepared]:
    """Run the kind on its input files in a worker within the time budget, and save the result
    with its inputs in one transaction (in a thread): the new analysis's id and what the worker
    prepared. Stored analyses the options name are read
    first, from the caller's projects only, and go to the worker as input files."""
    store = app_store(request)
    if kind.stored:

        def read(analysis_id: int) -> tuple[str, Any]:
            record = visible_record(store, who, analysis_id)
            return record.kind, record.result

        files = {**files, **await run_in_threadpool(lambda: stored_files(kind, raw, read))}
    prepared = await app_pool(request).run(kind.name, files, dict(raw))
    analysis_id = await run_in_threadpool(
        lambda: store.save_analysis(
            kind=prepared.kind,
            title=title.strip() or prepared.title,
            result=prepared.result_json,
            parameters=with_aliquot_checks(
                store,
                prepared.parameters,
                [file for key, file in files.items() if key == "layout"],
                project_ids=who.project_ids,
            ),
            inputs=input_blobs(kind, files),
            project_id=project_id,
        )
    )
    return analysis_id, prepared


def _endpoint(kind: AnalysisKind) -> Any:
    names = [s.name for s in option_specs(kind.options)]

    async def endpoint(request: Request, **given: Any) -> dict[str, Any]:
        who: Principal = given.pop("who")
        project_id = project_for(who, given.pop("project"))
        raw = {name: given[name] for name in names}
        files = await _read_uploads(request, kind, given)
        analysis_id, prepared = await _run_and_save(
            request,
            kind,
            files,
            raw,
            project_id=project_id,
            title=given["title"] or "",
            who=who,
        )
        store = app_store(request)
        record = await run_in_threadpool(lambda: store.get(analysis_id, with_result=False))
        return {**record_fields(record), **prepared.shown}

    params = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter(
            "who",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[Principal, Depends(api_principal)],
        ),
        inspect.Parameter(
            "project",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[str, Form(max_length=200, description="project name or id")],
        ),
    ]
    for spec in kind.inputs:
        text = f"{spec.help} ({', '.join('.' + f for f in spec.formats)})"
        params.append(
            inspect.Parameter(
                spec.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=inspect.Parameter.empty if spec.required else None,
                annotation=Annotated[
                    UploadFile if spec.required else UploadFile | None, File(description=text)
                ],
            )
        )
    params += form_parameters(kind.options)
    params.append(
        inspect.Parameter(
            "title",
            inspect.Parameter.KEYWORD_ONLY,
            default="",
            annotation=Annotated[str, Form(max_length=200, description="title (optional)")],
        )
    )
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    endpoint.__name__ = f"run_{kind.name}"
    endpoint.__doc__ = f"{kind.label}: upload its inputs, analyse and save in the project."
    return endpoint


for _kind in KINDS.values():
    router.add_api_route(
        f"/{_kind.name}",
        _endpoint(_kind),
        methods=["POST"],
        response_model=AnalysisDetail,
        status_code=201,
        responses=_RESPONSES,
        summary=_kind.label,
    )


# --- the web form of every kind ---------------------------------------------------------------

pages = APIRouter(prefix="/runs", include_in_schema=False)


def _form_page(
    request: Request, kind: AnalysisKind, status: int, error: str | None, form: dict[str, str]
) -> Response:
    from cxcr4lab.web.pages import render

    return render(
        request,
        "run.html.j2",
        status,
        kind=kind,
        kinds=KINDS,
        fields=widgets(kind.options),
        error=error,
        form=form,
    )


def _kind_or_404(name: str) -> AnalysisKind:
    kind = KINDS.get(name)
    if kind is None:
        raise NotFoundError(f"no analysis kind {quote(name)}; the kinds are {', '.join(KINDS)}")
    return kind


@pages.get("")
def run_index(request: Request, who: PageWho) -> Response:
    """Every analysis kind, with its inputs and command."""
    from cxcr4lab.web.pages import render

    return render(request, "runs.html.j2", kinds=KINDS)


@pages.get("/{name}")
def run_form(request: Request, who: PageWho, name: str) -> Response:
    """The form of a kind: its files and its declared options (empty: the default)."""
    return _form_page(request, _kind_or_404(name), 200, None, {})


@pages.post("/{name}")
async def run_submit(request: Request, who: PageWho, name: str) -> Response:
    """Run a kind from its form; errors are shown on the form, naming the file or option."""
    kind = _kind_or_404(name)
    async with request.form() as data:  # uploaded files are closed on leaving
        return await _submit(request, who, kind, data)


async def _submit(request: Request, who: Principal, kind: AnalysisKind, data: Any) -> Response:
    form = {k: v for k, v in data.items() if isinstance(v, str)}
    check_csrf(request, who, form.get("csrf"))
    try:
        project_id = project_for(who, form.get("project", ""))
        raw = {s.name: form.get(s.name) for s in option_specs(kind.options)}
        files = await _read_uploads(request, kind, data)
        analysis_id, _ = await _run_and_save(
            request,
            kind,
            files,
            raw,
            project_id=project_id,
            title=form.get("title") or "",
            who=who,
        )
    except (InputError, NotFoundError) as exc:
        status = 404 if isinstance(exc, NotFoundError) else 422
        return _form_page(request, kind, status, shorten(str(exc), 500), form)
    return RedirectResponse(f"/analyses/{analysis_id}", status_code=303)


@pages.post("/{name}/example")
async def run_example(request: Request, who: PageWho, name: str) -> Response:
    """Run the kind's first bundled (SIMULATED) example and save it in the chosen project."""
    from cxcr4lab.runs import example_inputs

    kind = _kind_or_404(name)
    if not kind.examples:
        raise NotFoundError(f"analysis kind {quote(name)} has no bundled example")
    async with request.form() as data:
        form = {k: v for k, v in data.items() if isinstance(v, str)}
    check_csrf(request, who, form.get("csrf"))
    example = kind.examples[0]
    try:
        project_id = project_for(who, form.get("project", ""))
        analysis_id, _ = await _run_and_save(
            request,
            kind,
            example_inputs(example),
            example.options,
            project_id=project_id,
            title=example.title,
            who=who,
        )
    except (InputError, NotFoundError) as exc:
        status = 404 if isinstance(exc, NotFoundError) else 422
        return _form_page(request, kind, status, shorten(str(exc), 500), {})
    return RedirectResponse(f"/analyses/{analysis_id}", status_code=303)
