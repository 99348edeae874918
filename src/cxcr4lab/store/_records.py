"""What goes into and comes out of the store: plain frozen dataclasses, no SQLAlchemy types."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

__all__ = ["AnalysisRecord", "AnalysisSummary", "InputBlob", "InputRef"]


@dataclass(frozen=True)
class JsonText:
    """A mapping already checked and written as JSON by :func:`~cxcr4lab.store.encode_json`
    (in a worker process, say), which :meth:`Store.save_analysis` stores as it is."""

    text: str


@dataclass(frozen=True)
class InputBlob:
    """An input file to keep with an analysis: its name, its role (``"plate"``, ...), its bytes."""

    name: str
    role: str
    content: bytes

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of ``content``, lowercase hex: the key the content is stored under."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class InputRef:
    """A stored input as an analysis refers to it; fetch the bytes with ``Store.input_content``."""

    name: str
    role: str
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class AnalysisRecord:
    """One saved analysis, in full. ``created_at`` is timezone-aware UTC."""

    id: int
    kind: str
    title: str
    created_at: datetime
    software_version: str
    parameters: dict[str, Any]
    result: dict[str, Any]
    inputs: tuple[InputRef, ...]
    project_id: int | None = None


@dataclass(frozen=True)
class AnalysisSummary:
    """One line of a listing: enough to pick an analysis and ``get`` it."""

    id: int
    kind: str
    title: str
    created_at: datetime
    input_names: tuple[str, ...]
    project_id: int | None = None
