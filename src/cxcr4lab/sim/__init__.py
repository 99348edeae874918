"""ODE engine (engine layer): models declared once, NONMEM-style dosing, populations, SBML.

- :mod:`~cxcr4lab.sim.model`: :class:`Model` with :class:`State`, :class:`Parameter`,
  :class:`Output`; equations are expression strings checked by :mod:`~cxcr4lab.sim.expr`.
- :mod:`~cxcr4lab.sim.events`: the ID/TIME/EVID/AMT/RATE/II/ADDL/CMT contract, validation,
  ADDL expansion and builders (:func:`bolus`, :func:`infusion`, :func:`cycles`).
- :mod:`~cxcr4lab.sim.solve`: :func:`simulate` (one subject, scipy ``solve_ivp``: LSODA, BDF,
  RK45, ...) and :func:`simulate_population` (numba-compiled Dormand-Prince, many subjects).
- :mod:`~cxcr4lab.sim.linear`: :func:`simulate_analytic`, exact superposition for linear models.
- :mod:`~cxcr4lab.sim.sbml`: :func:`to_sbml`; :mod:`~cxcr4lab.sim.crosscheck` runs it in
  libroadrunner (development dependency).
- :mod:`~cxcr4lab.sim.distributed`: :func:`population_summaries`, chunked runs through Dask.
"""

from cxcr4lab.sim.events import (
    Schedule,
    bolus,
    combine,
    cycles,
    expand,
    infusion,
    observations,
    schedules,
    validate_events,
)
from cxcr4lab.sim.expr import Expression, parse_expression
from cxcr4lab.sim.linear import simulate_analytic, system_matrix
from cxcr4lab.sim.model import Model, Output, Parameter, State
from cxcr4lab.sim.result import PopulationResult, SimResult
from cxcr4lab.sim.sbml import to_sbml
from cxcr4lab.sim.solve import (
    METHODS,
    observable_names,
    parameter_matrix,
    run_batch,
    run_packed,
    simulate,
    simulate_population,
)

__all__ = [
    "METHODS",
    "Expression",
    "Model",
    "Output",
    "Parameter",
    "PopulationResult",
    "Schedule",
    "SimResult",
    "State",
    "bolus",
    "combine",
    "cycles",
    "expand",
    "infusion",
    "observable_names",
    "observations",
    "parameter_matrix",
    "parse_expression",
    "run_batch",
    "run_packed",
    "schedules",
    "simulate",
    "simulate_analytic",
    "simulate_population",
    "system_matrix",
    "to_sbml",
    "validate_events",
]
