"""Server-rendered pages: login/logout, analyses list, analysis, compound (the form of each
analysis kind is :mod:`cxcr4lab.web.runs`)."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxcr4lab.core.errors import Cxcr4labError, NotFoundError
from cxcr4lab.store import AnalysisRecord, Store
from cxcr4lab.web.api import AnalysisId
from cxcr4lab.web.auth import (
    PRELOGIN_COOKIE,
    SESSION_COOKIE,
    Principal,
    app_settings,
    app_store,
    check_csrf,
    page_principal,
    principal,
)
from cxcr4lab.web.security import csrf_token, csrf_valid, script_json, sign, unsign
from cxcr4lab.web.service import COMPOUND_SCAN_LIMIT, compound_rows, detail, readable
from cxcr4lab.web.throttle import LoginThrottle

if TYPE_CHECKING:
    from cxcr4lab.runs import InputFile
    from cxcr4lab.workflows import SavedAnalysis

__all__ = ["render", "router"]

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
Who = Annotated[Principal, Depends(page_principal)]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page from ``templates/`` with the logged-in user (if any) in its context."""
    env = request.app.state.templates
    who = principal(request)
    html = env.get_template(template).render(who=who, request=request, **context)
    return HTMLResponse(html, status_code=status_code)


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/analyses"
    return target


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/analyses", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None, error: str | None = None) -> Response:
    return _login_page(request, next, error)


def _login_page(
    request: Request,
    next: str | None,
    error: str | None,
    *,
    locked_s: int | None = None,
) -> Response:
    settings = app_settings(request)
    cookie = request.cookies.get(PRELOGIN_COOKIE)
    pre = unsign(cookie, settings.secret_key) if cookie else None
    fresh = pre is None
    pre = pre or secrets.token_urlsafe(24)
    locked = f"Too many failed logins: try again in {locked_s} s." if locked_s is not None else None
    response = render(
        request,
        "login.html.j2",
        429 if locked_s is not None else 200,
        csrf=csrf_token(pre, settings.secret_key),
        next=_safe_next(next),
        error=error,
        locked=locked,
    )
    if locked_s is not None:
        response.headers["Retry-After"] = str(locked_s)
    if fresh:
        response.set_cookie(
            PRELOGIN_COOKIE,
            sign(pre, settings.secret_key),
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
        )
    return response


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/analyses",
) -> Response:
    settings = app_settings(request)
    cookie = request.cookies.get(PRELOGIN_COOKIE)
    pre = unsign(cookie, settings.secret_key) if cookie else None
    if pre is None or not csrf_valid(csrf, pre, settings.secret_key):
        return render(
            request, "error.html.j2", 403, message="CSRF check failed; reload the login page"
        )
    throttle: LoginThrottle = request.app.state.login_throttle
    address = request.client.host if request.client else "unknown"
    wait = throttle.begin(username, address)
    if wait is not None:
        return _login_page(request, next, None, locked_s=wait)
    outcome: bool | None = None
    try:
        user = app_store(request).accounts.authenticate(username, password)
        outcome = user is not None
    finally:
        throttle.finish(username, address, succeeded=outcome)
    if user is None:
        return RedirectResponse(f"/login?error=1&next={quote(_safe_next(next))}", status_code=303)
    secret = app_store(request).accounts.create_session(
        user.id, timedelta(hours=settings.session_hours)
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        sign(secret, settings.secret_key),
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    response.delete_cookie(PRELOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, who: Who, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, who, csrf)
    if who.session_secret:
        app_store(request).accounts.end_session(who.session_secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/analyses")
def analyses_page(
    request: Request,
    who: Who,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    per_page = 25
    store = app_store(request)
    ids = who.project_ids
    rows = store.list(search=q, project_ids=ids, limit=per_page, offset=(page - 1) * per_page)
    total = store.count(search=q, project_ids=ids)
    names = {p.id: p.name for p in who.projects}
    return render(
        request,
        "analyses.html.j2",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // per_page)),
        q=q or "",
        project_names=names,
    )


@router.get("/upload")
def upload_form(kind: str = "binding") -> RedirectResponse:
    """The old upload page: each kind now has its own form, ``/runs/<kind>``."""
    from cxcr4lab.runs import KINDS

    return RedirectResponse(f"/runs/{kind if kind in KINDS else 'binding'}", status_code=303)


@router.get("/analyses/{analysis_id}")
def analysis_page(request: Request, who: Who, analysis_id: AnalysisId) -> Response:
    from cxcr4lab.web.figures import figures_for, heading

    store = app_store(request)
    record, saved = readable(store, who, analysis_id)
    info = detail(record, saved)
    try:
        figures = figures_for(saved.result, lambda: _stored_inputs(store, record))
    except Exception:  # a figure must never cost the page: the report section still shows
        log.exception("figures of analysis %s (%s) failed", record.id, record.kind)
        figures = {}
    # With figures, the report section (matplotlib: up to a second or two) is fetched when its
    # <details> is opened, so the page stays fast; without, it is the page's figure.
    section = "" if figures else _section(saved)
    columns = list(info["results"][0]) if info["results"] else []
    project = next((p.name for p in who.projects if p.id == record.project_id), "")
    return render(
        request,
        "analysis.html.j2",
        a=info,
        project=project,
        columns=columns,
        figures_json=script_json(figures),
        plots=[(name, heading(name)) for name in figures],
        section=section,
        has_wells=callable(getattr(saved.result, "wells_table", None)),
    )


@router.get("/analyses/{analysis_id}/section")
def analysis_section(request: Request, who: Who, analysis_id: AnalysisId) -> Response:
    """The analysis's report section as an HTML fragment (the result page loads it on demand)."""
    _, saved = readable(app_store(request), who, analysis_id)
    html = _section(saved) or '<p class="note">This result has no report section.</p>'
    return HTMLResponse(html)


def _section(saved: SavedAnalysis) -> str:
    from cxcr4lab.report.sections import render_section

    try:
        return render_section(saved.id, saved.title, saved.result)
    except Cxcr4labError:
        return ""


def _stored_inputs(store: Store, record: AnalysisRecord) -> dict[str, InputFile] | None:
    """The analysis's stored input files by input name (the kind's input of the same role), for
    the figures of a result that keeps no per-sample data (ELISA's plate, NCA's table)."""
    from cxcr4lab.runs import kind_for_result

    kind = kind_for_result(record.kind)
    if kind is None:
        return None
    names = {spec.role: spec.name for spec in kind.inputs}
    try:
        return {
            names[ref.role]: (ref.name, store.input_content(ref.sha256))
            for ref in record.inputs
            if ref.role in names
        }
    except Cxcr4labError:
        return None


@router.get("/compounds")
def compounds_page(request: Request, who: Who) -> Response:
    from cxcr4lab.compounds import load_registry
    from cxcr4lab.web.analyses import analysis_potencies

    store = app_store(request)
    ids = [s.id for s in store.list(project_ids=who.project_ids, limit=COMPOUND_SCAN_LIMIT)]
    counts: dict[str, int] = {}
    for _, potency in analysis_potencies(store, ids):
        counts[potency.compound] = counts.get(potency.compound, 0) + 1
    registry = load_registry()
    rows = sorted({*counts, *registry.names()}, key=lambda n: (-counts.get(n, 0), n.lower()))
    return render(
        request,
        "compounds.html.j2",
        rows=[(n, counts.get(n, 0), n in registry) for n in rows],
    )


@router.get("/compounds/{name}")
def compound_page(request: Request, who: Who, name: str) -> Response:
    rows = compound_rows(app_store(request), who, name)
    info = None
    try:
        from cxcr4lab.compounds import load_registry

        info = load_registry().get(name)
    except (NotFoundError, Cxcr4labError):
        info = None
    return render(request, "compound.html.j2", name=name, rows=rows, info=info)
