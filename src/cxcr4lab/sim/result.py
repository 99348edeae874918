"""Result objects of the ODE engine: one subject (:class:`SimResult`) and a population.

Values are held per observable (the model's outputs, then its states) with their units.

>>> r = SimResult("pk1", "LSODA", (0.0, 1.0), {"Cp": (2.0, 1.0)}, {"Cp": "mg/L"})
>>> SimResult.from_dict(r.to_dict()) == r
True
>>> list(r.summary().columns)
['time (h)', 'Cp (mg/L)']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxcr4lab.core.serial import Serial

__all__ = ["PopulationResult", "SimResult"]


@dataclass(frozen=True)
class SimResult(Serial):
    """One subject's trajectories at the requested times (h)."""

    kind: ClassVar[str] = "simulation"
    model: str
    method: str
    times: tuple[float, ...]
    values: dict[str, tuple[float, ...]]
    units: dict[str, str]

    def __getitem__(self, name: str) -> NDArray[np.float64]:
        return np.asarray(self.values[name], dtype=float)

    def summary(self) -> pd.DataFrame:
        """Long-to-wide table: time and every observable, units in the column names."""
        cols: dict[str, Any] = {"time (h)": np.asarray(self.times)}
        for k, v in self.values.items():
            cols[f"{k} ({self.units[k]})"] = np.asarray(v)
        return pd.DataFrame(cols)


@dataclass(frozen=True)
class PopulationResult(Serial):
    """Trajectories of many subjects on one time grid: ``values[name]`` is (subjects x times).

    Simulated virtual subjects, never observed data.
    """

    kind: ClassVar[str] = "population_simulation"
    model: str
    ids: tuple[Any, ...]
    times: NDArray[np.float64]
    values: dict[str, NDArray[np.float64]]
    units: dict[str, str]
    steps: NDArray[np.int64]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PopulationResult):
            return NotImplemented
        return (
            self.model == other.model
            and self.ids == other.ids
            and np.array_equal(self.times, other.times)
            and self.values.keys() == other.values.keys()
            and all(
                np.array_equal(v, other.values[k], equal_nan=True) for k, v in self.values.items()
            )
            and self.units == other.units
            and np.array_equal(self.steps, other.steps)
        )

    __hash__ = None  # type: ignore[assignment]

    def summary(self) -> pd.DataFrame:
        """Per subject and observable: minimum, its time, maximum and AUC (trapezoids)."""
        rows = []
        for name, v in self.values.items():
            unit = self.units[name]
            imin = np.argmin(v, axis=1)
            auc = np.asarray(np.trapezoid(v, self.times, axis=1))
            for s, sid in enumerate(self.ids):
                rows.append(
                    {
                        "ID": sid,
                        "observable": name,
                        "unit": unit,
                        "min": v[s, imin[s]],
                        "time of min (h)": self.times[imin[s]],
                        "max": v[s].max(),
                        "AUC (unit·h)": auc[s],
                    }
                )
        return pd.DataFrame(rows)
