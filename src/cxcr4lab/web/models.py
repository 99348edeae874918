"""Pydantic response models of the JSON API (they make the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "AnalysisDetail",
    "AnalysisItem",
    "AnalysisPage",
    "CompoundPotencies",
    "ErrorOut",
    "MeOut",
    "PotencyRow",
    "ProjectOut",
]


class ErrorOut(BaseModel):
    """An error: what went wrong and, for bad input, where."""

    detail: str
    place: dict[str, str | int] | None = None


class ProjectOut(BaseModel):
    id: int
    name: str
    role: str = Field(description="owner or member")


class MeOut(BaseModel):
    id: int
    name: str
    projects: list[ProjectOut]


class AnalysisItem(BaseModel):
    id: int
    kind: str
    title: str
    created_at: datetime
    project_id: int | None
    input_names: list[str]


class AnalysisPage(BaseModel):
    items: list[AnalysisItem]
    total: int
    page: int
    per_page: int


class AnalysisDetail(AnalysisItem):
    """An analysis with its results table (units in column names; CIs where estimated)."""

    software_version: str
    parameters: dict[str, Any]
    results: list[dict[str, Any]]
    qc: dict[str, Any] | None = Field(
        default=None,
        description="plate QC (Z', S/B, CVs; binding and inhibition plates) or run acceptance "
        "(ELISA: LLOQ, ULOQ); always with passed and reasons",
    )
    flags: dict[str, list[str]] = Field(
        default_factory=dict, description="compound (ELISA: sample and dilution) -> flags"
    )


class PotencyRow(BaseModel):
    assay: str
    parameter: str
    bound: str
    value_nM: float | None
    lower_nM: float | None
    upper_nM: float | None
    system: str
    source: str
    flags: str
    published: bool


class CompoundPotencies(BaseModel):
    compound: str
    potencies: list[PotencyRow]
