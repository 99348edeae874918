"""The app factory: :func:`create_app` wires the store, the API, the pages and the guards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from importlib import resources
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cxcr4lab.core.errors import InputError, NotFoundError, StoreError
from cxcr4lab.store import Store
from cxcr4lab.web import api, pages
from cxcr4lab.web.auth import LoginRequired
from cxcr4lab.web.settings import Settings

__all__ = ["create_app"]

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


class _TooLarge(Exception):
    pass


class GuardMiddleware:
    """Refuse request bodies over the limit with 413, and add security headers to responses."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

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
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy", _CSP.encode()),
                ]
                message["headers"] = [*message.get("headers", []), *extra]
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
        await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:  # pragma: no cover - a response never reads the body
    return {"type": "http.disconnect"}


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
    request: Request, status: int, detail: str, place: dict[str, Any] | None = None
) -> Response:
    if _wants_html(request):
        return pages.render(request, "error.html.j2", status, message=detail)
    body: dict[str, Any] = {"detail": detail}
    if place:
        body["place"] = place
    return JSONResponse(body, status_code=status)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web app on ``settings.database_url`` (migrated on start; see :class:`Settings`)."""
    settings = settings or Settings()
    store = Store(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="cxcr4lab",
        summary="CXCR4 antagonist pharmacology workbench: plates in, potencies with CIs out.",
        version=_version(),
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load from a CDN; the schema is at /openapi.json
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.templates = Environment(
        loader=PackageLoader("cxcr4lab.web", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    app.add_middleware(GuardMiddleware, max_bytes=settings.max_upload_bytes)

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

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if _wants_html(request):
            return pages.render(request, "error.html.j2", exc.status_code, message=str(exc.detail))
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        return _error(request, 422, f"invalid request: {problems}")

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
        return Response(_static(name), media_type=types[name])

    app.include_router(api.router)
    app.include_router(pages.router)
    return app


def _error_plain(status: int, detail: str) -> Response:
    return JSONResponse({"detail": detail}, status_code=status)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cxcr4lab")
    except PackageNotFoundError:  # pragma: no cover
        return "0"
