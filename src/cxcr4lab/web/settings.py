"""Settings of the web app: database, secret key, upload limit, session lifetime, analysis
workers and their time budget, the public base URL."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_ANALYSIS_TIMEOUT_S",
    "DEFAULT_MAX_UPLOAD_BYTES",
    "SECRET_KEY_ENV",
    "Settings",
    "default_analysis_workers",
]

SECRET_KEY_ENV = "CXCR4LAB_SECRET_KEY"


def _secret_key() -> str:
    return os.environ.get(SECRET_KEY_ENV, "").strip() or secrets.token_hex(32)


DEFAULT_MAX_UPLOAD_BYTES = 50 * 2**20
"""Largest accepted request body: 50 MiB."""

DEFAULT_ANALYSIS_TIMEOUT_S = 60.0
"""Time budget of one upload's analysis (parsing + fitting) in its worker process, s."""


def default_analysis_workers() -> int:
    """Analysis worker processes by default: the CPUs of the machine, 1 to 8."""
    return max(1, min(8, os.cpu_count() or 1))


@dataclass(frozen=True)
class Settings:
    """How to run the app.

    ``database_url`` is a SQLAlchemy URL (None: ``$CXCR4LAB_DATABASE_URL`` or the default SQLite
    file); ``secret_key`` signs session cookies and CSRF tokens (``$CXCR4LAB_SECRET_KEY``, else random,
    so logins end when the server restarts); ``max_upload_bytes`` bounds a request body (bytes);
    ``session_hours`` is how long a login lasts (hours); ``secure_cookies`` marks cookies
    ``Secure`` (set it behind HTTPS) and adds ``Strict-Transport-Security``.

    ``analysis_workers`` is the number of worker processes that analyse uploads (off the event
    loop) and ``analysis_timeout_s`` the time budget of one analysis in its worker (s); an
    analysis over budget is stopped and answered with 503. ``base_url`` is the public URL of
    the app (``https://lab.example.org``); redirects are built from it, or are relative paths
    when it is None, never from the request's Host header.
    """

    database_url: str | None = None
    secret_key: str = field(default_factory=_secret_key, repr=False)
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    session_hours: float = 12.0
    secure_cookies: bool = False
    analysis_workers: int = field(default_factory=default_analysis_workers)
    analysis_timeout_s: float = DEFAULT_ANALYSIS_TIMEOUT_S
    base_url: str | None = None

    def __post_init__(self) -> None:
        if len(self.secret_key) < 16:
            raise ValueError("secret_key must be at least 16 characters long")
        if self.max_upload_bytes < 1:
            raise ValueError("max_upload_bytes must be positive")
        if self.session_hours <= 0:
            raise ValueError("session_hours must be positive")
        if not 1 <= self.analysis_workers <= 64:
            raise ValueError("analysis_workers must be between 1 and 64")
        if not 0 < self.analysis_timeout_s <= 3600:
            raise ValueError("analysis_timeout_s must be positive and at most 3600 s")
        if self.base_url is not None:
            parts = urlsplit(self.base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
                raise ValueError("base_url must be an http(s) URL like https://lab.example.org")
