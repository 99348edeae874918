"""Signed values, CSRF tokens, safe file names, safe inline JSON, short quotes, and the
formula-injection guard for exports."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from typing import Any
from urllib.parse import quote

from cxcr4lab.core.export import escape_cell  # re-exported: web code imports it from here

__all__ = [
    "content_disposition",
    "csrf_token",
    "csrf_valid",
    "escape_cell",
    "safe_filename",
    "script_json",
    "shorten",
    "sign",
    "unsign",
]

_ASCII_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


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


def _name_char(c: str) -> bool:
    """ASCII letters, digits and ``. _ -``; beyond ASCII, letters, marks and digits."""
    if c.isascii():
        return c in _ASCII_SAFE
    return unicodedata.category(c)[0] in "LMN"


def safe_filename(name: str | None, default: str = "upload") -> str:
    """A file name with no directory part, at most 100 characters, keeping ``A-Z a-z 0-9 . _ -``
    and non-ASCII letters and digits (``é``, ``名``); anything else (spaces, controls, quotes,
    shell and HTML characters) becomes ``_``. Unicode is NFC-normalised.

    >>> safe_filename("../../etc/passwd")
    'passwd'
    >>> safe_filename("C:\\\\lab\\\\plate 1 (final).csv")
    'plate_1_final_.csv'
    >>> safe_filename("é名前.csv"), safe_filename("a<script>\\u202e.csv")
    ('é名前.csv', 'a_script_.csv')
    """
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name or ""))[-1]
    kept: list[str] = []
    for c in base:
        if _name_char(c):
            kept.append(c)
        elif not kept or kept[-1] != "\0":  # a run of other characters becomes one "_"
            kept.append("\0")
    cleaned = "".join(kept).replace("\0", "_").lstrip("._")[-100:]
    return cleaned or default


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """A Content-Disposition header value: an ASCII ``filename`` fallback and the exact name as
    RFC 5987 ``filename*=UTF-8''...``.

    >>> content_disposition("é名前.csv")
    'attachment; filename="e_.csv"; filename*=UTF-8\\'\\'%C3%A9%E5%90%8D%E5%89%8D.csv'
    """
    name = safe_filename(filename, default="download")
    ascii_name = "".join(
        c if c in _ASCII_SAFE else "" if unicodedata.category(c) == "Mn" else " "
        for c in unicodedata.normalize("NFKD", name)
    )
    fallback = safe_filename(ascii_name, default="download")
    if fallback.startswith(".") or ("." not in fallback and "." in name):
        fallback = "download." + name.rsplit(".", 1)[-1]
    if name == fallback:
        return f'{disposition}; filename="{fallback}"'
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def script_json(value: Any) -> str:
    """JSON safe to put inside an HTML ``<script>`` block: ``<``, ``>``, ``&``, U+2028 and
    U+2029 are written as ``\\uXXXX`` escapes (still the same JSON), so no text of the data
    can close the block or open a comment in it.

    >>> script_json({"name": "<!--<script>"})
    '{"name": "\\\\u003c!--\\\\u003cscript\\\\u003e"}'
    """
    text = json.dumps(value, allow_nan=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_ESCAPES[m.group(0)], text)


def shorten(value: object, limit: int = 80) -> str:
    """``value`` as text of at most ``limit`` characters (the middle elided with ``…``).

    >>> shorten("x" * 100, 10)
    'xxxxx…xxxx'
    """
    text = str(value)
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2 + (limit - 1) % 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]
