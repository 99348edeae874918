"""Weighting schemes for least squares: ``1/Y^2`` (relative), ``1/Y`` (Poisson-like), ``1/X``,
``1/X^2`` (calibration lines, ICH M10 practice), or user-given weights.

Weights multiply squared residuals; they are computed from the data (as drc and most
calibration software do), and a zero or non-finite weight is refused rather than dropped.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cxcr4lab.core.errors import InputError, Place

__all__ = ["WeightScheme", "weights_for"]

WeightScheme = Literal["none", "1/y", "1/y^2", "1/x", "1/x^2"]


def weights_for(
    scheme: WeightScheme, x: ArrayLike, y: ArrayLike, *, place: Place | None = None
) -> NDArray[np.float64]:
    """Per-point weights for ``scheme`` (x and y on the scale the model is fitted in)."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    base = {"none": None, "1/y": (ys, 1), "1/y^2": (ys, 2), "1/x": (xs, 1), "1/x^2": (xs, 2)}
    if scheme not in base:
        raise InputError(
            f"unknown weighting {scheme!r}; one of {', '.join(base)}",
            place=place or Place(field="weights"),
        )
    spec = base[scheme]
    if spec is None:
        return np.ones_like(ys)
    values, power = spec
    with np.errstate(divide="ignore"):
        w = 1.0 / np.abs(values) ** power
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(
            f"weighting {scheme} needs non-zero values; point #{i + 1} has {values[i]:g}",
            place=place or Place(field="weights"),
        )
    return np.asarray(w, dtype=np.float64)
