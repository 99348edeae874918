"""What the regimen kinds share (``simulate regimen``, ``simulate compare``): the virtual
population options, the covariates file, the simulation settings they make, and the chunks of
patients sent to a Dask cluster under ``--scheduler``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from cxcr4lab.runs._kind import (
    InputFile,
    InputSpec,
    batch_scheduler,
    report_progress,
    stored_ids,
    stored_results,
)
from cxcr4lab.runs._options import option

__all__ = [
    "COVARIATES",
    "NOTE",
    "PopulationOptions",
    "cluster_chunk_map",
    "covariates_table",
    "naming_options",
]

T = TypeVar("T")

NOTE = (
    "Regimen simulations: SIMULATED virtual patients; the balixafortide human PK parameters are "
    "derived from physiology and the seed facts, not fitted to human data "
    "(docs/balixafortide_pk.md), the CD34+ time "
    "course is an effect-compartment link to the Karpova 2017 single-dose peaks, and "
    "balixafortide has no effect on the ANC in the model."
)

COVARIATES = InputSpec(
    "covariates",
    "CSV of patients (ID, WT in kg, HT in cm) instead of sampled ones",
    ("csv",),
    "covariates",
    required=False,
    flag="--covariates",
)
"""The optional covariates file of the regimen kinds (``--covariates``)."""

_SETTING_OPTION = {"keo half-life": "keo_half_life", "held-by": "held_by"}
"""Fields named by the simulation (``SimulationSettings``, ``compare_regimens``) -> options."""


@dataclass(frozen=True, kw_only=True)
class PopulationOptions:
    """The virtual population, the occupancy target and the Kd; Kd in mol/L."""

    patients: int = option("Virtual patients.", default=200, ge=1, le=100_000)
    cycles: int = option("Cycles to simulate.", default=6, ge=1)
    seed: int = option("Random seed of the population.", default=20251123, ge=0)
    target: float = option("Receptor occupancy target.", default=90.0, unit="%", gt=0, lt=100)
    kd: float | None = option(
        "Kd of balixafortide at CXCR4, e.g. 0.15 nM (empty: the Kb calibrated to the published "
        "IC50 bounds).",
        default=None,
        quantity="concentration",
        example="0.15 nM",
        mw_of="balixafortide",
    )

    popfit: tuple[int, ...] = option(
        "A stored popfit analysis (id) whose estimated balixafortide PK (typical values, Omega, "
        "allometry) replaces the derived parameter set.",
        default=(),
        item=lambda text: stored_ids(text, "popfit")[0],
        example="7",
    )

    def settings(
        self, keo_half_life: float = 2.0, inputs: Mapping[str, InputFile] | None = None
    ) -> Any:
        """The :class:`~cxcr4lab.pkpd.regimen_simulation.SimulationSettings` of these options
        (with the estimated PK of the ``popfit`` analysis, read from ``inputs``)."""
        from cxcr4lab.pkpd.regimen_simulation import SimulationSettings

        values: dict[str, Any] = {
            "n_patients": self.patients,
            "cycles": self.cycles,
            "seed": self.seed,
            "target": self.target / 100.0,
            "keo_half_life_h": keo_half_life,
        }
        if self.kd is not None:
            values["kd_molar"] = self.kd
        if self.popfit:
            values |= _population_pk(inputs or {}, self.popfit)
        return naming_options(lambda: SimulationSettings(**values), None)


def _population_pk(inputs: Mapping[str, InputFile], ids: tuple[int, ...]) -> dict[str, Any]:
    """The settings fields of the estimated PK of one stored popfit analysis."""
    from cxcr4lab.core.errors import InputError
    from cxcr4lab.pkpd.popfit_results import PopFitResult

    if len(ids) != 1:
        raise InputError(f"give one popfit analysis, got {len(ids)}", field="popfit")
    ((analysis_id, data),) = stored_results(inputs, "popfit", ids)
    fit = PopFitResult.from_dict(data)
    params, corr = fit.regimen_parameters()
    return {
        "population_pk": params,
        "population_pk_correlation": corr,
        "population_pk_source": f"popfit analysis #{analysis_id} ({fit.source}, "
        f"{fit.settings.method})",
    }


def covariates_table(inputs: Mapping[str, InputFile]) -> tuple[Any, str]:
    """The patients of the covariates file (a DataFrame with ID, WT, HT; None without one) and
    a description of the source ('' without one)."""
    file = inputs.get("covariates")
    if file is None:
        return None, ""
    import io

    import pandas as pd

    from cxcr4lab.core.errors import InputError, quote
    from cxcr4lab.core.limits import check_text_table

    name, data = file
    check_text_table(data, name, delimiters=",")
    try:
        frame = pd.read_csv(io.BytesIO(data), skipinitialspace=True)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file as CSV ({quote(str(exc))})", file=name) from None
    except (ValueError, OverflowError, MemoryError) as exc:
        raise InputError(f"cannot read the file as CSV ({type(exc).__name__})", file=name) from None
    if "ID" not in frame.columns:
        raise InputError("needs an ID column (and WT in kg, HT in cm)", file=name, column="ID")
    return frame, f"{name} ({len(frame)} patients)"


def naming_options(call: Callable[[], T], covariates: InputFile | None) -> T:
    """Run ``call``; an input error of the simulation names the option (``keo_half_life``,
    ``held_by``) or, about the covariates table, the file."""
    from cxcr4lab.core.errors import InputError, Place

    try:
        return call()
    except InputError as exc:
        field = exc.place.field or ""
        if covariates is not None and field in ("subjects", "covariates"):
            where = Place(file=covariates[0], row=exc.place.row, column=exc.place.column)
            raise type(exc)(exc.message, place=where) from None
        if field in _SETTING_OPTION:
            raise type(exc)(exc.message, field=_SETTING_OPTION[field]) from None
        raise


def cluster_chunk_map() -> Callable[[Callable[..., Any], Any], list[Any]] | None:
    """The chunk runner of the Dask cluster of :func:`~cxcr4lab.runs._kind.batch_scheduler`
    (progress reported per chunk), or None when none is set: the run stays in this process."""
    scheduler = batch_scheduler()
    if scheduler is None:
        return None

    def run_chunks(function: Callable[..., Any], chunks: Any) -> list[Any]:
        from cxcr4lab.core.cluster import map_chunks  # imports dask

        finished = [0]
        label = f"Simulating {len(chunks)} chunks of patients on the cluster"

        def done(_: int, __: Any) -> None:
            finished[0] += 1
            report_progress(label, finished[0], len(chunks))

        report_progress(label, 0, len(chunks))
        return map_chunks(function, chunks, scheduler=scheduler, name="cxcr4lab-regimen", done=done)

    return run_chunks
