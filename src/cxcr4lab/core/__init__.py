"""Core layer: units (pint at the boundary, SI floats inside), errors, validated tables."""

from cxcr4lab.core.errors import (
    Cxcr4labError,
    FitError,
    InputError,
    NotFoundError,
    Place,
    StoreError,
    UnitError,
)

__all__ = [
    "Cxcr4labError",
    "FitError",
    "InputError",
    "NotFoundError",
    "Place",
    "StoreError",
    "UnitError",
]
