"""Plate quality control from the control wells, and normalisation to them.

Z' (Zhang, Chung & Oldenburg 1999, J Biomol Screen 4:67): ``1 - 3 (sd_hi + sd_lo) / |mean_hi - mean_lo|``;
signal/background ``mean_hi / mean_lo``; signal/noise ``(mean_hi - mean_lo) / sd_lo``; CV in %.
Standard deviations use n - 1 (the sample SD, as Prism and Excel's STDEV do).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from cxcr4lab.core.serial import Serial

__all__ = ["PlateQC", "QCThresholds", "percent_of_controls", "plate_qc"]


@dataclass(frozen=True)
class QCThresholds:
    """Pass/fail limits. Defaults: Z' >= 0.5 (an excellent assay), S/B >= 2, control CV <= 20%."""

    z_prime_min: float = 0.5
    signal_to_background_min: float = 2.0
    cv_max_pct: float = 20.0
    min_controls: int = 2


@dataclass(frozen=True)
class PlateQC(Serial):
    """QC of one plate from its high (e.g. total binding) and low (e.g. NSB) control wells."""

    high_label: str
    low_label: str
    n_high: int
    n_low: int
    mean_high: float
    mean_low: float
    sd_high: float | None
    sd_low: float | None
    z_prime: float | None
    signal_to_background: float | None
    signal_to_noise: float | None
    cv_high_pct: float | None
    cv_low_pct: float | None
    thresholds: QCThresholds
    reasons: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.reasons

    def summary(self) -> pd.DataFrame:
        t = self.thresholds
        rows = [
            ("Z'", self.z_prime, "", f">= {t.z_prime_min}"),
            (
                "signal/background",
                self.signal_to_background,
                "ratio",
                f">= {t.signal_to_background_min}",
            ),
            ("signal/noise", self.signal_to_noise, "ratio", ""),
            (f"CV {self.high_label}", self.cv_high_pct, "%", f"<= {t.cv_max_pct}"),
            (f"CV {self.low_label}", self.cv_low_pct, "%", f"<= {t.cv_max_pct}"),
            (f"mean {self.high_label}", self.mean_high, "signal", f"n = {self.n_high}"),
            (f"mean {self.low_label}", self.mean_low, "signal", f"n = {self.n_low}"),
        ]
        return pd.DataFrame(rows, columns=["metric", "value", "unit", "criterion"])


def _sd(x: NDArray[np.float64]) -> float | None:
    return float(np.std(x, ddof=1)) if len(x) >= 2 else None


def _ratio(a: float, b: float) -> float | None:
    return a / b if b != 0 and math.isfinite(a / b) else None


def plate_qc(
    high: ArrayLike,
    low: ArrayLike,
    *,
    high_label: str = "max",
    low_label: str = "min",
    thresholds: QCThresholds = QCThresholds(),
) -> PlateQC:
    """QC metrics of the high and low control signals, with every failed criterion as a reason."""
    hi = np.asarray(high, dtype=float)
    lo = np.asarray(low, dtype=float)
    if hi.size == 0 or lo.size == 0:
        raise ValueError(
            f"plate QC needs {high_label} and {low_label} control wells; one set is empty"
        )
    m_hi, m_lo = float(np.mean(hi)), float(np.mean(lo))
    s_hi, s_lo = _sd(hi), _sd(lo)
    window = abs(m_hi - m_lo)
    z = (
        1 - 3 * (s_hi + s_lo) / window
        if s_hi is not None and s_lo is not None and window > 0
        else None
    )
    sb = _ratio(m_hi, m_lo)
    sn = _ratio(m_hi - m_lo, s_lo) if s_lo else None
    cv_hi = _ratio(100 * s_hi, m_hi) if s_hi is not None else None
    cv_lo = _ratio(100 * s_lo, m_lo) if s_lo is not None else None
    t = thresholds
    reasons: list[str] = []
    for label, n in ((high_label, len(hi)), (low_label, len(lo))):
        if n < t.min_controls:
            reasons.append(f"only {n} {label} control well(s); at least {t.min_controls} needed")
    if z is not None and z < t.z_prime_min:
        reasons.append(f"Z' = {z:.2f} < {t.z_prime_min}")
    if sb is None or sb < t.signal_to_background_min:
        shown = "undefined" if sb is None else f"{sb:.2f}"
        reasons.append(f"signal/background = {shown} < {t.signal_to_background_min}")
    for label, cv in ((high_label, cv_hi), (low_label, cv_lo)):
        if cv is not None and abs(cv) > t.cv_max_pct:
            reasons.append(f"CV of {label} controls = {abs(cv):.1f}% > {t.cv_max_pct}%")
    return PlateQC(
        high_label=high_label,
        low_label=low_label,
        n_high=len(hi),
        n_low=len(lo),
        mean_high=m_hi,
        mean_low=m_lo,
        sd_high=s_hi,
        sd_low=s_lo,
        z_prime=z,
        signal_to_background=sb,
        signal_to_noise=sn,
        cv_high_pct=cv_hi,
        cv_low_pct=cv_lo,
        thresholds=thresholds,
        reasons=tuple(reasons),
    )


def percent_of_controls(
    signal: ArrayLike, high_mean: float, low_mean: float
) -> NDArray[np.float64]:
    """``100 (signal - low) / (high - low)``: 100% at the high control, 0% at the low."""
    s = np.asarray(signal, dtype=float)
    return 100.0 * (s - low_mean) / (high_mean - low_mean)
