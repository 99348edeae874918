"""Stored analyses (app layer): save a result with its inputs in one transaction, load it back.

Running an analysis is :func:`cxcr4lab.runs.run_kind`; the CLI and the web app save and load
through here; the domains never see the store. Every stored result is
tagged with its ``kind``, the name of the analysis kind that made it, whose declaration names the
result class (:data:`cxcr4lab.runs.KINDS`), so a stored analysis reads back as an equal object.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
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
    "aliquot_checks",
    "compound_mw",
    "example_bytes",
    "find_project",
    "load_analysis",
    "read_input",
    "result_types",
    "save_result",
    "with_aliquot_checks",
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
    layouts = [(b.name, b.content) for b in inputs if b.role == "layout"]
    analysis_id = store.save_analysis(
        kind=result.kind,
        title=title,
        result=result.to_dict(),
        parameters=with_aliquot_checks(store, parameters or {}, layouts),
        inputs=inputs,
        project_id=project_id,
    )
    return SavedAnalysis(analysis_id, title, result)


def aliquot_checks(
    store: Store,
    layouts: Iterable[tuple[str, bytes]],
    *,
    on: date | None = None,
    project_ids: Collection[int] | None = None,
) -> list[dict[str, Any]]:
    """The inventory status, on ``on`` (default: the store's today), of every aliquot the
    layouts (file name, bytes) name (``aliquot`` key, see :mod:`cxcr4lab.assays.layout`).

    An analysis runs without the store (``runs/`` reads bytes only), so the aliquots are
    resolved here, where the analysis is saved. Each entry: ``label``, ``state`` (ok, expired,
    over-thawed, or unknown: not in the inventory or, with ``project_ids``, not in those
    projects), ``reason``, ``expires_on``."""
    from cxcr4lab.assays.layout import read_layout_bytes

    labels: list[str] = []
    unread: list[dict[str, Any]] = []
    for name, content in layouts:
        if b"aliquot" not in content:  # no layout read for the plates that name none
            continue
        try:
            named = read_layout_bytes(content, name, mw_lookup=compound_mw).aliquot_labels()
        except InputError as exc:  # a kind that reads its layout otherwise: say so, save anyway
            unread.append(
                {
                    "label": name,
                    "state": "unknown",
                    "reason": f"the layout's aliquots could not be read ({exc})",
                    "expires_on": None,
                }
            )
            continue
        labels += [label for label in named if label not in labels]
    if not labels:
        return unread
    day = store.inventory.today() if on is None else on
    found = {a.label: a for a in store.inventory.aliquots(labels=labels, project_ids=project_ids)}
    checks: list[dict[str, Any]] = list(unread)
    for label in labels:
        record = found.get(label)
        if record is None:
            where = "the inventory" if project_ids is None else "the inventory of your projects"
            checks.append(
                {
                    "label": label,
                    "state": "unknown",
                    "reason": f"not in {where}",
                    "expires_on": None,
                }
            )
            continue
        status = record.check(day).to_dict()
        checks.append({k: status[k] for k in ("label", "state", "reason", "expires_on")})
    return checks


def with_aliquot_checks(
    store: Store,
    parameters: Mapping[str, Any],
    layouts: Iterable[tuple[str, bytes]],
    *,
    project_ids: Collection[int] | None = None,
) -> dict[str, Any]:
    """``parameters`` with, when the layouts name aliquots, ``aliquots`` (their
    :func:`aliquot_checks`) and ``aliquot_flags`` (one line per aliquot that is not ok: expired,
    over-thawed or unknown), stored beside the result."""
    checks = aliquot_checks(store, layouts, project_ids=project_ids)
    if not checks:
        return dict(parameters)
    flags = [
        f"aliquot {c['label']} {c['state']}: {c['reason']}" for c in checks if c["state"] != "ok"
    ]
    return {**parameters, "aliquots": checks, "aliquot_flags": flags}


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
