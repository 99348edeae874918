"""Models declared once: states, parameters and equations as expression strings.

A :class:`Model` holds everything the engine needs; the numpy right-hand side, the numba batch
kernel, the analytic linear path and the SBML export are all generated from it. Time is in
hours. Dosing enters as NONMEM does: a bolus adds its amount to a state and a zero-order
infusion adds its rate (amount/h) to that state's derivative, so equations describe only the
system itself.

>>> pk1 = Model(
...     "pk1",
...     states=(State("A1", "mg"),),
...     parameters=(Parameter("CL", 5.0, "L/h"), Parameter("V1", 50.0, "L")),
...     equations={"A1": "-(CL/V1)*A1"},
...     outputs=(Output("Cp", "A1/V1", "mg/L"),),
... )
>>> pk1.state_names, pk1.parameter_names
(('A1',), ('CL', 'V1'))
>>> pk1.parameter_vector({"CL": 4.0}).tolist()
[4.0, 50.0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cxcr4lab.core.errors import InputError, Place, UnitError, quote
from cxcr4lab.sim.expr import FUNCTIONS, Expression, parse_expression

__all__ = ["TIME", "Model", "Output", "Parameter", "State"]

#: The name of time (h) inside equations.
TIME = "t"

Array = NDArray[np.float64]


@dataclass(frozen=True)
class State:
    """A state (amount or level) with its unit and initial value (number or expression)."""

    name: str
    unit: str
    init: float | str = 0.0


@dataclass(frozen=True)
class Parameter:
    """A parameter with its default value and unit."""

    name: str
    value: float
    unit: str
    description: str = ""


@dataclass(frozen=True)
class Output:
    """A named quantity computed from states and parameters (e.g. ``Cp = A1/V1``)."""

    name: str
    expr: str
    unit: str


def _check_unit(unit: str, where: str) -> None:
    from cxcr4lab.core.units import parse_unit

    try:  # the unit grammar, never evaluated; a leading factor such as 1e9/L is allowed
        parse_unit(unit, place=Place(field=where), allow_factor=True)
    except UnitError:
        raise InputError(f"unit {quote(unit)} is not understood", field=where) from None


@dataclass(frozen=True)
class Model:
    """A model: ordered states, parameters, one equation per state, optional outputs."""

    name: str
    states: tuple[State, ...]
    parameters: tuple[Parameter, ...]
    equations: Mapping[str, str]
    outputs: tuple[Output, ...] = ()
    description: str = ""
    _parsed: dict[str, Expression] = field(default_factory=dict, repr=False, compare=False)
    # generated module source per codegen option (sim.codegen), built once per model
    _sources: dict[bool, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f"model {self.name!r}"
        seen: dict[str, str] = {}
        for kind, names in (
            ("state", [s.name for s in self.states]),
            ("parameter", [p.name for p in self.parameters]),
            ("output", [o.name for o in self.outputs]),
        ):
            for n in names:
                if not n.isidentifier() or n == TIME or n in FUNCTIONS:
                    raise InputError(f"{kind} name {n!r} is not allowed", field=f"{where} {n}")
                if n in seen:
                    raise InputError(
                        f"duplicate name {n!r} ({seen[n]} and {kind})", field=f"{where} {n}"
                    )
                seen[n] = kind
        if not self.states:
            raise InputError("a model needs at least one state", field=where)
        for p in self.parameters:
            if not math.isfinite(p.value):
                raise InputError(f"default value {p.value!r} is not finite", field=p.name)
            _check_unit(p.unit, f"parameter {p.name}")
        for s in self.states:
            _check_unit(s.unit, f"state {s.name}")
        extra = set(self.equations) - {s.name for s in self.states}
        if extra:
            raise InputError(f"equations for unknown states {sorted(extra)}", field=where)
        states = {s.name for s in self.states}
        params = {p.name for p in self.parameters}
        parsed: dict[str, Expression] = {}
        for s in self.states:
            if s.name not in self.equations:
                raise InputError("no equation for this state", field=f"equation {s.name}")
            parsed[f"d{s.name}"] = self._parse(
                self.equations[s.name], f"equation {s.name}", states | params | {TIME}
            )
            if isinstance(s.init, str):
                parsed[f"init {s.name}"] = self._parse(s.init, f"init {s.name}", params)
            elif not math.isfinite(float(s.init)):
                raise InputError(f"initial value {s.init!r} is not finite", field=f"init {s.name}")
        for o in self.outputs:
            _check_unit(o.unit, f"output {o.name}")
            parsed[f"out {o.name}"] = self._parse(
                o.expr, f"output {o.name}", states | params | {TIME}
            )
        self._parsed.update(parsed)

    @staticmethod
    def _parse(text: str, where: str, known: set[str]) -> Expression:
        e = parse_expression(text, where=where)
        unknown = sorted(e.symbols - known)
        if unknown:
            raise InputError(f"{text!r} uses unknown symbol(s) {unknown}", field=where)
        return e

    # --- names and vectors -------------------------------------------------------------------
    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.outputs)

    def expression(self, key: str) -> Expression:
        """Parsed expression: ``d<state>``, ``init <state>`` or ``out <output>``."""
        return self._parsed[key]

    def unit_of(self, name: str) -> str:
        """Unit of a state, parameter or output."""
        items: tuple[State | Parameter | Output, ...] = (
            *self.states,
            *self.parameters,
            *self.outputs,
        )
        for item in items:
            if item.name == name:
                return item.unit
        raise InputError("no such state, parameter or output", field=name)

    def parameter_vector(self, values: Mapping[str, float] | None = None) -> Array:
        """Defaults overridden by ``values``; unknown names and non-finite values are refused."""
        values = dict(values or {})
        unknown = sorted(set(values) - set(self.parameter_names))
        if unknown:
            raise InputError(f"unknown parameter(s) {unknown}", field=f"model {self.name!r}")
        out = np.array([float(values.get(p.name, p.value)) for p in self.parameters])
        for name, v in zip(self.parameter_names, out, strict=True):
            if not math.isfinite(v):
                raise InputError(f"value {v!r} is not finite", field=name)
        return out

    def initial_state(self, p: Array) -> Array:
        """Initial values of the states for parameter vector ``p``."""
        env: dict[str, Any] = {"math": math, **dict(zip(self.parameter_names, p, strict=True))}
        y0 = np.empty(len(self.states))
        for i, s in enumerate(self.states):
            if isinstance(s.init, str):
                code = self.expression(f"init {s.name}").python({})
                y0[i] = float(eval(code, {"__builtins__": {"abs": abs}}, env))  # checked by ast
            else:
                y0[i] = float(s.init)
        return y0

    def with_defaults(self, values: Mapping[str, float]) -> Model:
        """A copy whose parameter defaults are replaced by ``values``."""
        self.parameter_vector(values)
        params = tuple(
            Parameter(p.name, float(values.get(p.name, p.value)), p.unit, p.description)
            for p in self.parameters
        )
        return Model(
            self.name, self.states, params, dict(self.equations), self.outputs, self.description
        )
