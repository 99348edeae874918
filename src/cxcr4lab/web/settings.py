"""Settings of the web app: database, secret key, upload limit, session lifetime."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

__all__ = ["DEFAULT_MAX_UPLOAD_BYTES", "SECRET_KEY_ENV", "Settings"]

SECRET_KEY_ENV = "CXCR4LAB_SECRET_KEY"


def _secret_key() -> str:
    return os.environ.get(SECRET_KEY_ENV, "").strip() or secrets.token_hex(32)


DEFAULT_MAX_UPLOAD_BYTES = 50 * 2**20
"""Largest accepted request body: 50 MiB."""


@dataclass(frozen=True)
class Settings:
    """How to run the app.

    ``database_url`` is a SQLAlchemy URL (None: ``$CXCR4LAB_DATABASE_URL`` or the default SQLite
    file); ``secret_key`` signs session cookies and CSRF tokens (``$CXCR4LAB_SECRET_KEY``, else random,
    so logins end when the server restarts); ``max_upload_bytes`` bounds a request body (bytes);
    ``session_hours`` is how long a login lasts (hours); ``secure_cookies`` marks cookies
    ``Secure`` (set it behind HTTPS).
    """

    database_url: str | None = None
    secret_key: str = field(default_factory=_secret_key, repr=False)
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    session_hours: float = 12.0
    secure_cookies: bool = False

    def __post_init__(self) -> None:
        if len(self.secret_key) < 16:
            raise ValueError("secret_key must be at least 16 characters long")
        if self.max_upload_bytes < 1:
            raise ValueError("max_upload_bytes must be positive")
        if self.session_hours <= 0:
            raise ValueError("session_hours must be positive")
