"""Signed values, CSRF tokens, safe file names and the formula-injection guard for exports."""

from __future__ import annotations

import hashlib
import hmac
import re

__all__ = ["csrf_token", "csrf_valid", "escape_cell", "safe_filename", "sign", "unsign"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _mac(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign(value: str, key: str) -> str:
    """``value`` with an HMAC-SHA256 signature appended (for cookies).

    >>> unsign(sign("abc", "k" * 32), "k" * 32)
    'abc'
    """
    return f"{value}.{_mac(key, 'cookie:' + value)}"


def unsign(signed: str, key: str) -> str | None:
    """The value of a signed string, or None if the signature does not match."""
    value, _, mac = signed.rpartition(".")
    if not value or not hmac.compare_digest(mac, _mac(key, "cookie:" + value)):
        return None
    return value


def csrf_token(session_secret: str, key: str) -> str:
    """The CSRF token bound to a session (or a pre-login cookie)."""
    return _mac(key, "csrf:" + session_secret)


def csrf_valid(token: str | None, session_secret: str, key: str) -> bool:
    """Whether ``token`` is the CSRF token of this session."""
    return token is not None and hmac.compare_digest(token, csrf_token(session_secret, key))


def safe_filename(name: str | None, default: str = "upload") -> str:
    """A file name with no directory part and only ``A-Z a-z 0-9 . _ -`` (at most 100 chars).

    >>> safe_filename("../../etc/passwd")
    'passwd'
    >>> safe_filename("C:\\\\lab\\\\plate 1 (final).csv")
    'plate_1_final_.csv'
    """
    base = re.split(r"[/\\]", name or "")[-1]
    cleaned = _UNSAFE.sub("_", base).lstrip("._")[-100:]
    return cleaned or default


def escape_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula (starts with = + - @ tab CR) gets a ``'``.

    >>> escape_cell("=HYPERLINK(1)"), escape_cell(-1.5), escape_cell("ok")
    ("'=HYPERLINK(1)", -1.5, 'ok')
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
