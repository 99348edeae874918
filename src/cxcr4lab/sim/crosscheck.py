"""Run an exported model in libroadrunner to check our engines and to time a baseline.

libroadrunner is a development dependency (``import roadrunner`` happens when a simulator is
built), so the engine itself never needs it. The SBML comes from
:func:`~cxcr4lab.sim.sbml.to_sbml`; boluses are jumps in a state's value and infusions set the
state's ``R_<state>`` rate parameter. :class:`RoadRunnerSimulator` doses segment by segment
(any schedule, resets included; CVODE runs between the changes). :class:`RoadRunnerEventSimulator`
builds one dosing template into the SBML as time-triggered events, scaled per subject by
``dose_scale_<state>`` parameters, so each subject is one ``simulate`` call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import libsbml
import numpy as np
from numpy.typing import ArrayLike, NDArray

from cxcr4lab.core.errors import Cxcr4labError, InputError
from cxcr4lab.sim.events import BOLUS, RATE_CHANGE, Schedule
from cxcr4lab.sim.model import Model
from cxcr4lab.sim.sbml import rate_parameter, to_sbml
from cxcr4lab.sim.solve import observable_names

__all__ = ["RoadRunnerEventSimulator", "RoadRunnerSimulator", "dose_scale_parameter"]

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


def dose_scale_parameter(state: str) -> str:
    """Name of the parameter scaling the template's doses into ``state`` (1 by default)."""
    return f"dose_scale_{state}"


def _with_events(model: Model, template: Schedule) -> str:
    """``to_sbml(model)`` plus one event per change of ``template`` (no resets)."""
    doc = libsbml.readSBMLFromString(to_sbml(model))
    m = doc.getModel()
    states = model.state_names
    taken = {*model.parameter_names, *states, *model.output_names}
    for name in states:
        q = m.createParameter()
        q.setId(dose_scale_parameter(name))
        q.setValue(1.0)
        q.setConstant(True)
        if q.getId() in taken:
            raise Cxcr4labError(f"SBML events: {q.getId()!r} is already a model name")
    for i, (t, kind, c, v) in enumerate(
        zip(template.time, template.kind, template.state, template.value, strict=True)
    ):
        if kind not in (BOLUS, RATE_CHANGE):
            raise InputError(
                "resets cannot be built into events; use RoadRunnerSimulator", field="template"
            )
        if not (np.isfinite(t) and t >= 0.0 and np.isfinite(v)):
            raise InputError(f"change {i} needs a finite time >= 0 h and value", field="template")
        state = states[int(c)]
        target = state if kind == BOLUS else rate_parameter(state)
        event = m.createEvent()
        event.setId(f"dose_{i}")
        event.setUseValuesFromTriggerTime(True)
        trigger = event.createTrigger()
        trigger.setInitialValue(False)  # so that a change at t = 0 fires
        trigger.setPersistent(True)
        trigger.setMath(libsbml.parseL3Formula(f"time >= {float(t)!r}"))
        assign = event.createEventAssignment()
        assign.setVariable(target)
        text = f"{target} + {float(v)!r} * {dose_scale_parameter(state)}"
        assign.setMath(libsbml.parseL3Formula(text))
    if doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) or doc.checkInternalConsistency():
        raise Cxcr4labError(f"SBML events are not valid: {doc.getErrorLog().toString()}")
    return str(libsbml.writeSBMLToString(doc))


class RoadRunnerEventSimulator:
    """libroadrunner with one dosing ``template`` built in as SBML events; one call per subject.

    Subjects differ in parameters and in a per-state multiplier of the template's amounts and
    rates (e.g. mg/kg x body weight in kg). Events use trigger-time values, are persistent and
    start false, so a change at t = 0 fires at the reset. ``observe`` picks the reported rows
    (default: outputs, then states).
    """

    def __init__(
        self,
        model: Model,
        template: Schedule,
        *,
        rtol: float = 1e-10,
        atol: float = 1e-12,
        observe: Sequence[str] | None = None,
    ) -> None:
        import roadrunner

        self.model = model
        self.rr: Any = roadrunner.RoadRunner(_with_events(model, template))
        self.rr.integrator.relative_tolerance = rtol
        self.rr.integrator.absolute_tolerance = atol
        self.rr.integrator.maximum_num_steps = 1_000_000
        known = observable_names(model)
        self.names = tuple(known if observe is None else observe)
        for name in self.names:
            if name not in known:
                raise InputError(f"unknown observable {name!r}", field="observe")
        self.rr.timeCourseSelections = list(self.names)
        self._rates = [rate_parameter(s) for s in model.state_names]
        self._scales = [dose_scale_parameter(s) for s in model.state_names]

    def run(self, p: Array, t_out: ArrayLike, scale: ArrayLike | None = None) -> Array:
        """Observables x times for parameters ``p`` and per-state dose multipliers ``scale``.

        ``t_out`` (h) must start at 0 and increase; at a dosing time the value after the dose
        is reported.
        """
        rr, model = self.rr, self.model
        t = np.asarray(t_out, dtype=float).ravel()
        if t.size < 2 or t[0] != 0.0 or np.any(np.diff(t) <= 0.0):
            raise InputError("output times must start at 0 h and increase", field="t_out")
        n = len(model.state_names)
        f = np.ones(n) if scale is None else np.asarray(scale, dtype=float).ravel()
        if f.shape != (n,) or not np.all(np.isfinite(f)) or np.any(f < 0.0):
            raise InputError(f"scale needs {n} finite values >= 0, one per state", field="scale")
        for name, value in zip(model.parameter_names, p, strict=True):
            rr.setValue(name, float(value))
        for rate, dose_scale, value in zip(self._rates, self._scales, f, strict=True):
            rr.setValue(rate, 0.0)
            rr.setValue(dose_scale, float(value))
        rr.reset()  # states from their initial assignments; events re-armed; t = 0 changes fire
        return np.asarray(rr.simulate(times=t), dtype=float).T.copy()
