"""The app factory: :func:`create_app` wires the store, the API, the pages and the guards."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cxcr4lab.core.errors import InputError, NotFoundError, StoreError
from cxcr4lab.store import Store
from cxcr4lab.web import api, inventory, pages, runs
from cxcr4lab.web.auth import LoginRequired
from cxcr4lab.web.security import shorten
from cxcr4lab.web.settings import Settings
from cxcr4lab.web.throttle import LoginThrottle
from cxcr4lab.web.worker import AnalysisUnavailable, Task, run_kind_task, start_pool, stop_pool

_log = logging.getLogger(__name__)

__all__ = ["CSP", "GuardMiddleware", "create_app", "security_headers"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
"""The Content-Security-Policy of every response. Scripts only from the app itself (no inline
script runs); inline styles are allowed because plotly.js sets them."""

_DETAIL_CHARS = 500
"""Error details are cut to this many characters; place values to 80."""


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    """The headers every response carries (``Strict-Transport-Security`` behind HTTPS only)."""
    headers = [
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"cross-origin-resource-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if settings.secure_cookies:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


def _relative(location: str, base_url: str | None) -> str:
    """A redirect target without the request's scheme and host: the path (with one leading
    slash, so never ``//host``) and query, prefixed with the configured base URL if any."""
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc and not location.startswith(("/", "\\")):
        return location  # relative to the current path: no host in it
    path = "/" + parts.path.lstrip("/\\")
    target = path + (f"?{parts.query}" if parts.query else "")
    return (base_url.rstrip("/") + target) if base_url else target


class _TooLarge(Exception):
    pass


class GuardMiddleware:
    """The outermost layer: refuse request bodies over the limit with 413; give every response
    (errors, 413 and 500 included) the security headers and, unless it sets its own,
    ``Cache-Control: no-store``; build redirects from the configured base URL, never from the
    request's Host header."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_bytes = settings.max_upload_bytes
        self.base_url = settings.base_url
        self.headers = security_headers(settings)

    def _secure(self, message: Message) -> Message:
        headers = []
        cache = False
        for key, value in message.get("headers", []):
            name = key.lower()
            if name == b"location":
                value = _relative(value.decode("latin-1"), self.base_url).encode("latin-1")
            cache = cache or name == b"cache-control"
            headers.append((key, value))
        headers += self.headers
        if not cache:
            headers.append((b"cache-control", b"no-store"))
        message["headers"] = headers
        return message

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        seen = 0
        started = False
        over = False
        replaced = False

        async def counting_receive() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    over = True
                    raise _TooLarge
            return message

        async def secured_send(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return  # the app's own answer to a body we cut off (e.g. its 400) is dropped
            if message["type"] == "http.response.start":
                if over:  # the framework turned our cut-off into an error response: say why
                    replaced = True
                    await self._too_large(send)
                    return
                started = True
                message = self._secure(message)
            await send(message)

        try:
            await self.app(scope, counting_receive, secured_send)
        except _TooLarge:
            if not started and not replaced:
                await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        mib = self.max_bytes / 2**20
        response = JSONResponse(
            {"detail": f"upload too large: the limit is {mib:.3g} MiB ({self.max_bytes} bytes)"},
            status_code=413,
        )

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = self._secure(message)
            await send(message)

        await response({"type": "http"}, _no_receive, secured)


async def _no_receive() -> Message:  # pragma: no cover - a response never reads the body
    return {"type": "http.disconnect"}


class _App(FastAPI):
    """FastAPI with :class:`GuardMiddleware` outside everything, even the 500 handler."""

    def build_middleware_stack(self) -> ASGIApp:
        settings: Settings = self.state.settings
        return GuardMiddleware(super().build_middleware_stack(), settings)


@lru_cache(maxsize=1)
def _plotly_js() -> bytes:
    from plotly.offline import get_plotlyjs

    text: str = get_plotlyjs()
    return text.encode("utf-8")


def _static(name: str) -> bytes:
    return resources.files("cxcr4lab.web").joinpath("static", name).read_bytes()


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get(
        "accept", ""
    )


def _error(
    request: Request,
    status: int,
    detail: str,
    place: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An error answer of bounded size: HTML for pages, else JSON ``{"detail", "place"}``."""
    detail = shorten(detail, _DETAIL_CHARS)
    if _wants_html(request):
        page = pages.render(request, "error.html.j2", status, message=detail)
        page.headers.update(headers or {})
        return page
    body: dict[str, Any] = {"detail": detail}
    if place:
        body["place"] = {k: shorten(v) if isinstance(v, str) else v for k, v in place.items()}
    return JSONResponse(body, status_code=status, headers=headers)


def create_app(settings: Settings | None = None, *, analysis_task: Task | None = None) -> FastAPI:
    """The web app on ``settings.database_url`` (migrated on start; see :class:`Settings`).

    ``analysis_task`` replaces :func:`~cxcr4lab.web.worker.run_kind_task` in the workers (a
    module-level function; tests use it for deliberately slow analyses).
    """
    settings = settings or Settings()
    store = Store(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from starlette.concurrency import run_in_threadpool

        start_pool(app.state)
        try:
            yield
        finally:
            await run_in_threadpool(stop_pool, app.state)
            store.close()

    app = _App(
        title="cxcr4lab",
        summary="CXCR4 antagonist pharmacology workbench: plates in, potencies with CIs out.",
        version=_version(),
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load from a CDN; the schema is at /openapi.json
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.pool = None
    app.state.analysis_task = analysis_task or run_kind_task
    app.state.login_throttle = LoginThrottle()
    app.state.templates = Environment(
        loader=PackageLoader("cxcr4lab.web", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)

    @app.exception_handler(InputError)
    async def _bad_input(request: Request, exc: InputError) -> Response:
        place = {k: v for k, v in vars(exc.place).items() if v is not None}
        return _error(request, 422, str(exc), place)

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(StoreError)
    async def _store_error(request: Request, exc: StoreError) -> Response:
        return _error(request, 503, f"the database is not available: {exc}")

    @app.exception_handler(AnalysisUnavailable)
    async def _unavailable(request: Request, exc: AnalysisUnavailable) -> Response:
        retry = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s else None
        return _error(request, 503, str(exc), headers=retry)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        return _error(request, 422, f"invalid request: {problems}")

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, _TooLarge):  # a cut-off body is answered 413 by the guard
            _log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return _error_plain(500, "internal error: the server log has the details")

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        return Response(
            _plotly_js(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        types = {"app.js": "text/javascript", "style.css": "text/css"}
        if name not in types:
            return _error_plain(404, "no such static file")
        return Response(
            _static(name), media_type=types[name], headers={"Cache-Control": "public, max-age=3600"}
        )

    app.include_router(api.router)
    app.include_router(runs.router)
    app.include_router(runs.pages)
    app.include_router(pages.router)
    app.include_router(inventory.router)
    app.include_router(inventory.pages)
    return app


def _error_plain(status: int, detail: str) -> Response:
    return JSONResponse({"detail": detail}, status_code=status)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cxcr4lab")
    except PackageNotFoundError:  # pragma: no cover
        return "0"
