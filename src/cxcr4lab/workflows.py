"""Stored analyses (app layer): save a result with its inputs in one transaction, load it back.

Running an analysis is :func:`cxcr4lab.runs.run_kind`; the CLI and the web app save and load
through here; the domains never see the store. Every stored result is
tagged with its ``kind``, the name of the analysis kind that made it, whose declaration names the
result class (:data:`cxcr4lab.runs.KINDS`), so a stored analysis reads back as an equal object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from cxcr4lab.assays.potency import Potency
from cxcr4lab.assays.readers import MAX_FILE_BYTES
from cxcr4lab.core.errors import InputError, NotFoundError, quote
from cxcr4lab.core.files import read_input as read_file
from cxcr4lab.runs import KINDS, compound_mw
from cxcr4lab.store import InputBlob, Store

__all__ = [
    "AnalysisResult",
    "SavedAnalysis",
    "compound_mw",
    "example_bytes",
    "find_project",
    "load_analysis",
    "read_input",
    "result_types",
    "save_result",
]


class AnalysisResult(Protocol):
    """What every assay result offers the app layer."""

    @property
    def kind(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...

    def potencies(self, source: str = "") -> list[Potency]: ...


@dataclass(frozen=True)
class SavedAnalysis:
    """A result as stored: its database id and title beside the result object."""

    id: int
    title: str
    result: Any


def result_types() -> dict[str, type[Any]]:
    """kind -> result class, for every kind of :data:`cxcr4lab.runs.KINDS` (the one lookup)."""
    return {name: kind.result_class() for name, kind in KINDS.items()}


def read_input(path: Path, field: str | None = None) -> bytes:
    """The bytes of an input file given as option ``field``, refusing missing, oversized,
    unreadable and non-regular files (see :func:`cxcr4lab.core.files.read_input`)."""
    return read_file(path, field=field, limit=MAX_FILE_BYTES)


def find_project(store: Store, name: str, *, field: str = "project") -> int:
    """The id of the web-app project called ``name``; an :class:`InputError` naming ``field``
    (and the projects there are) if there is none."""
    try:
        return store.accounts.project_id(name)
    except NotFoundError:
        names = store.accounts.project_names()
        known = f"projects: {', '.join(names)}" if names else "there are no projects yet"
        raise InputError(
            f"no project named {quote(name)} ({known}; create one with `cxcr4lab project create`)",
            field=field,
        ) from None


def save_result(
    store: Store,
    result: AnalysisResult,
    *,
    title: str,
    inputs: Sequence[InputBlob],
    parameters: Mapping[str, Any] | None = None,
    project_id: int | None = None,
) -> SavedAnalysis:
    """Save any assay result with its input files in one transaction, under the web-app project
    ``project_id`` if given (see :func:`find_project`)."""
    analysis_id = store.save_analysis(
        kind=result.kind,
        title=title,
        result=result.to_dict(),
        parameters=dict(parameters or {}),
        inputs=inputs,
        project_id=project_id,
    )
    return SavedAnalysis(analysis_id, title, result)


def load_analysis(store: Store, analysis_id: int) -> SavedAnalysis:
    """A stored analysis as its result object."""
    record = store.get(analysis_id)
    kind = KINDS.get(record.kind)
    if kind is None:
        raise NotFoundError(
            f"analysis {analysis_id} is of kind {quote(record.kind)}, which this version cannot read"
        )
    cls = kind.result_class()
    return SavedAnalysis(record.id, record.title, cls.from_dict(record.result))


def example_bytes(folder: str, name: str) -> tuple[str, bytes]:
    """A bundled example file (``cxcr4lab/examples/<folder>/<name>``) as a (name, bytes) pair."""
    return name, resources.files("cxcr4lab.examples").joinpath(folder, name).read_bytes()
