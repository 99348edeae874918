"""Who is asking: session cookie (browsers) or ``Authorization: Bearer`` token (scripts).

Session cookies are signed, HttpOnly and SameSite=Lax; only the SHA-256 of their secret is in the
database. Form POSTs carry a CSRF token bound to the session (or, for the login form, to a
signed pre-login cookie); API writes made with a session cookie need the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request

from cxcr4lab.store import ProjectInfo, Store, UserInfo
from cxcr4lab.web.security import csrf_token, csrf_valid, unsign
from cxcr4lab.web.settings import Settings

__all__ = [
    "PRELOGIN_COOKIE",
    "SESSION_COOKIE",
    "LoginRequired",
    "Principal",
    "api_principal",
    "app_settings",
    "app_store",
    "check_csrf",
    "page_principal",
    "principal",
]

SESSION_COOKIE = "cx4_session"
PRELOGIN_COOKIE = "cx4_prelogin"


class LoginRequired(Exception):
    """A page needs a login; the app answers with a redirect to ``/login``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass(frozen=True)
class Principal:
    """The logged-in user, their projects, and their session secret (None for API tokens)."""

    user: UserInfo
    projects: tuple[ProjectInfo, ...]
    session_secret: str | None
    csrf: str

    @property
    def project_ids(self) -> frozenset[int]:
        return frozenset(p.id for p in self.projects)


def app_store(request: Request) -> Store:
    """The app's store (``app.state.store``)."""
    store: Store = request.app.state.store
    return store


def app_settings(request: Request) -> Settings:
    """The app's settings (``app.state.settings``)."""
    settings: Settings = request.app.state.settings
    return settings


def principal(request: Request) -> Principal | None:
    """The caller, from a bearer token or the session cookie; None if neither is valid."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    store, settings = app_store(request), app_settings(request)
    accounts = store.accounts
    header = request.headers.get("authorization", "")
    user: UserInfo | None = None
    secret: str | None = None
    if header[:7].lower() == "bearer ":
        user = accounts.user_for_token(header[7:].strip())
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        secret = unsign(cookie, settings.secret_key) if cookie else None
        user = accounts.user_for_session(secret) if secret else None
    if user is None:
        return None
    found = Principal(
        user=user,
        projects=tuple(accounts.projects_of(user.id)),
        session_secret=secret,
        csrf=csrf_token(secret, settings.secret_key) if secret else "",
    )
    request.state.principal = found
    return found


def api_principal(request: Request) -> Principal:
    """Dependency of API routes: the caller, or 401. Cookie-authenticated writes need CSRF."""
    found = principal(request)
    if found is None:
        raise HTTPException(
            status_code=401,
            detail="log in or send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if found.session_secret is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
        token = request.headers.get("x-csrf-token")
        if not csrf_valid(token, found.session_secret, app_settings(request).secret_key):
            raise HTTPException(status_code=403, detail="missing or wrong X-CSRF-Token header")
    return found


def page_principal(request: Request) -> Principal:
    """Dependency of HTML pages: the logged-in user, or a redirect to the login page."""
    found = principal(request)
    if found is None or found.session_secret is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise LoginRequired(request.url.path + query)
    return found


def check_csrf(request: Request, who: Principal, token: str | None) -> None:
    """403 unless ``token`` (a form field) is the CSRF token of this session."""
    secret = who.session_secret or ""
    if not secret or not csrf_valid(token, secret, app_settings(request).secret_key):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong; reload the page")
