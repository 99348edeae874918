"""Where the results database lives unless told otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from cxcr4lab.core.errors import StoreError

__all__ = ["DATABASE_URL_ENV", "default_url"]

DATABASE_URL_ENV = "CXCR4LAB_DATABASE_URL"


def default_url() -> str:
    """``$CXCR4LAB_DATABASE_URL`` if set, else a SQLite file in the user's data directory.

    The data directory (``platformdirs.user_data_dir("cxcr4lab")``) is created if missing.
    """
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        return url
    directory = Path(platformdirs.user_data_dir("cxcr4lab"))
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the data directory {directory}: {exc}") from exc
    return f"sqlite:///{(directory / 'cxcr4lab.sqlite').as_posix()}"
