"""A content-addressed cache of finished work (the dossier's analyses and drawn sections).

A value is kept under the SHA-256 of everything it depends on: the inputs the caller names,
and :func:`code_digest`, the digest of this installation of cxcr4lab (every file of the
package) and the versions of the libraries whose output it could change. Same inputs, same
code: same answer, so a second dossier on an unchanged machine reuses its work, and any change
of code or input computes afresh. Nothing is ever looked up by name or date.

The store is :mod:`diskcache` (SQLite index, one file per large value, safe across processes,
bounded: least recently used entries go past :data:`SIZE_LIMIT`), in :func:`cache_folder`. A value that cannot be read back is a miss;
a folder that cannot be written leaves the cache off, never the work undone.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

__all__ = [
    "CACHE_ENV",
    "SIZE_LIMIT",
    "Cache",
    "cache_folder",
    "cache_root",
    "code_digest",
    "open_cache",
]

CACHE_ENV = "CXCR4LAB_WORK_CACHE"
"""Environment variable naming the folder of this cache (default: ``cache_root() / "work"``)."""

SIZE_LIMIT = 1 << 30
"""Bytes the cache may hold (1 GiB) before the least recently used entries go."""

_LIBRARIES = ("numpy", "scipy", "pandas", "matplotlib", "plotly", "jinja2", "statsmodels", "numba")
"""Libraries whose versions enter :func:`code_digest` (their output is part of a cached value)."""


def cache_root() -> Path:
    """cxcr4lab's cache folder: ``$CXCR4LAB_CACHE/cxcr4lab``, else under ``$XDG_CACHE_HOME``,
    else ``~/.cache/cxcr4lab`` (generated model modules keep their ``sim`` folder here too)."""
    root = os.environ.get("CXCR4LAB_CACHE") or os.environ.get("XDG_CACHE_HOME")
    return (Path(root) if root else Path.home() / ".cache") / "cxcr4lab"


def cache_folder() -> Path:
    """``$CXCR4LAB_WORK_CACHE`` if set, else ``cache_root() / "work"``."""
    given = os.environ.get(CACHE_ENV, "").strip()
    return Path(given) if given else cache_root() / "work"


@lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 over every file of the installed ``cxcr4lab`` package (path and bytes; compiled
    bytecode left out) and the versions of :data:`_LIBRARIES`: it changes with any edit."""
    digest = hashlib.sha256()
    root = resources.files("cxcr4lab")
    for path in sorted(_files(Path(str(root)))):
        digest.update(path.relative_to(Path(str(root))).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none\0".encode())
    return digest.hexdigest()


def _files(folder: Path) -> Iterable[Path]:
    for entry in folder.rglob("*"):
        if entry.is_file() and "__pycache__" not in entry.parts and entry.suffix != ".pyc":
            yield entry


class Cache:
    """Values (bytes) kept by the digest of their inputs and the code; see the module."""

    def __init__(self, folder: Path) -> None:
        import diskcache

        self.folder = folder
        self._cache = diskcache.Cache(str(folder), size_limit=SIZE_LIMIT)

    @staticmethod
    def key(*parts: str | bytes) -> str:
        """The key of a value made from ``parts`` by this code (:func:`code_digest`)."""
        digest = hashlib.sha256(code_digest().encode())
        for part in parts:
            data = part.encode() if isinstance(part, str) else part
            digest.update(len(data).to_bytes(8, "little"))  # no two part lists collide
            digest.update(data)
        return digest.hexdigest()

    def get(self, key: str) -> bytes | None:
        """The value kept under ``key``, or None."""
        try:
            value: Any = self._cache.get(key, default=None, retry=True)
        except Exception:  # a damaged entry or index: a miss
            return None
        return value if isinstance(value, bytes) else None

    def put(self, key: str, value: bytes) -> None:
        """Keep ``value`` under ``key`` (a failure to write only loses the entry)."""
        try:
            self._cache.set(key, value, retry=True)
        except Exception:  # a full disk or a read-only folder: the work is done anyway
            return

    def close(self) -> None:
        self._cache.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_cache(folder: Path | None = None) -> Cache | None:
    """The cache in ``folder`` (default :func:`cache_folder`), or None if it cannot be opened
    there (the caller then works without one)."""
    try:
        return Cache(folder or cache_folder())
    except Exception:  # an unwritable or damaged folder
        return None
