"""Run an exported model in libroadrunner, dosing segment by segment, to check our engines.

libroadrunner is a development dependency (``import roadrunner`` happens when a
:class:`RoadRunnerSimulator` is built), so the engine itself never needs it. The SBML comes
from :func:`~cxcr4lab.sim.sbml.to_sbml`; boluses are jumps in a state's value, infusions set
the state's ``R_<state>`` rate parameter, resets set the initial values again, and CVODE runs
between those changes with output at the requested times.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from cxcr4lab.sim.events import BOLUS, RATE_CHANGE, Schedule
from cxcr4lab.sim.model import Model
from cxcr4lab.sim.sbml import rate_parameter, to_sbml
from cxcr4lab.sim.solve import observable_names

__all__ = ["RoadRunnerSimulator"]

Array = NDArray[np.float64]


class RoadRunnerSimulator:
    """One libroadrunner instance of ``model``, reused for many subjects."""

    def __init__(self, model: Model, *, rtol: float = 1e-10, atol: float = 1e-12) -> None:
        import roadrunner

        self.model = model
        self.rr: Any = roadrunner.RoadRunner(to_sbml(model))
        self.rr.integrator.relative_tolerance = rtol
        self.rr.integrator.absolute_tolerance = atol
        self.rr.integrator.maximum_num_steps = 1_000_000
        self.names = observable_names(model)
        self.rr.timeCourseSelections = ["time", *self.names]

    def run(self, p: Array, sched: Schedule, t_out: Array) -> Array:
        """Observables (outputs, then states) x times for parameters ``p`` and ``sched``."""
        rr, model = self.rr, self.model
        for name, value in zip(model.parameter_names, p, strict=True):
            rr.setValue(name, float(value))
        states = model.state_names
        y0 = model.initial_state(p)
        rates = np.zeros(len(states))

        def set_state(y: Array) -> None:
            for name, value in zip(states, y, strict=True):
                rr.setValue(name, float(value))

        set_state(y0)
        for s in states:
            rr.setValue(rate_parameter(s), 0.0)
        out = np.full((len(self.names), t_out.size), np.nan)
        t = float(min(t_out[0], sched.time[0])) if sched.time.size else float(t_out[0])
        k = j = 0
        while True:
            while k < sched.time.size and sched.time[k] <= t:
                c = int(sched.state[k])
                if sched.kind[k] == BOLUS:
                    rr.setValue(states[c], rr.getValue(states[c]) + float(sched.value[k]))
                elif sched.kind[k] == RATE_CHANGE:
                    rates[c] += sched.value[k]
                    if abs(rates[c]) < 1e-12 * abs(sched.value[k]):
                        rates[c] = 0.0
                    rr.setValue(rate_parameter(states[c]), float(rates[c]))
                else:
                    set_state(y0)
                    rates[:] = 0.0
                    for s in states:
                        rr.setValue(rate_parameter(s), 0.0)
                k += 1
            if j < t_out.size and t_out[j] <= t:
                now = np.array([rr.getValue(n) for n in self.names])
                while j < t_out.size and t_out[j] <= t:
                    out[:, j] = now
                    j += 1
            if j >= t_out.size:
                return out
            t_end = float(t_out[-1])
            if k < sched.time.size and sched.time[k] < t_end:
                t_end = float(sched.time[k])
            inside = t_out[(t_out > t) & (t_out < t_end)]
            grid = [t, *inside.tolist(), t_end]
            res = np.asarray(rr.simulate(times=grid))
            for row in range(1, 1 + inside.size):
                out[:, j] = res[row, 1:]
                j += 1
            t = t_end
