"""ODE models declared in a small TOML file, read into a :class:`~cxcr4lab.sim.model.Model`.

The format (times in h; every unit is checked by the unit grammar, never evaluated)::

    name = "mm_elimination"              # required: letters, digits, _ (no spaces)
    description = "free text"            # optional

    [states]                             # required; the order is the CMT order (1-based)
    Ad = { unit = "mg" }                 # CMT 1
    A1 = { unit = "mg", init = 0.0 }     # CMT 2; init: number or expression of parameters

    [parameters]                         # required; the order is the order of phi in a fit
    Vmax = { value = 40.0, unit = "mg/h", description = "maximum elimination rate" }
    Km = { value = 4.0, unit = "mg/L" }

    [equations]                          # one d<state> per state: numbers, states,
    dAd = "-ka * Ad"                     # parameters, t (h), + - * / ** and exp, log,
    dA1 = "ka * Ad - Vmax * (A1 / V) / (Km + A1 / V)"   # sqrt, abs

    [outputs]                            # optional: quantities of states and parameters
    C = { expr = "A1 / V", unit = "mg/L" }

    [data]                               # optional: how the model meets a dosing data set
    observe = "C"                        # the output (or state) compared with DV
    depot = 1                            # CMT of doses into an absorption depot
    central = 2                          # CMT of IV doses (bolus and infusion)

Doses enter as NONMEM does (see :mod:`cxcr4lab.sim.events`): a bolus adds its amount to the
state of its CMT, an infusion adds its rate to that state's derivative, so equations describe
the system only. In ``[data]``, ``observe`` and at least one of ``depot`` / ``central`` are
required. Every error (bad TOML, an unknown key, a wrong type, an unknown symbol in an
equation, a missing equation, a unit that is not understood, a CMT with no state) is one
:class:`~cxcr4lab.core.errors.InputError` naming the file and the key.

>>> mf = parse_model_file(
...     'name = "pk1"\\n[states]\\nA1 = {unit = "mg"}\\n'
...     '[parameters]\\nCL = {value = 5.0, unit = "L/h"}\\nV = {value = 50.0, unit = "L"}\\n'
...     '[equations]\\ndA1 = "-CL / V * A1"\\n[outputs]\\nC = {expr = "A1 / V", unit = "mg/L"}\\n'
...     '[data]\\nobserve = "C"\\ncentral = 1\\n',
...     source="pk1.toml",
... )
>>> mf.model.parameter_names, mf.observe, mf.central_state, mf.depot_state
(('CL', 'V'), 'C', 'A1', None)
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxcr4lab.core.errors import InputError, UnitError, quote
from cxcr4lab.core.limits import MAX_TOML_BYTES, check_toml
from cxcr4lab.sim.expr import FUNCTIONS, parse_expression
from cxcr4lab.sim.model import TIME, Model, Output, Parameter, State

__all__ = ["ModelFile", "parse_model_file", "read_model_file"]

_TOP = ("name", "description", "states", "parameters", "equations", "outputs", "data")


@dataclass(frozen=True)
class ModelFile:
    """A model read from a file, with how it meets a dosing data set (``[data]``).

    ``observe``: the output or state compared with DV (None without ``[data]``); ``depot`` /
    ``central``: the 1-based CMT (state order) of depot and IV doses, or None.
    """

    source: str
    model: Model
    observe: str | None = None
    depot: int | None = None
    central: int | None = None

    @property
    def depot_state(self) -> str | None:
        """The name of the state receiving depot doses."""
        return None if self.depot is None else self.model.state_names[self.depot - 1]

    @property
    def central_state(self) -> str | None:
        """The name of the state receiving IV doses."""
        return None if self.central is None else self.model.state_names[self.central - 1]


def read_model_file(path: str | Path) -> ModelFile:
    """The model of the TOML file at ``path`` (UTF-8, at most 4 MiB; see the module docstring)."""
    from cxcr4lab.core.files import read_input

    source = str(path)
    content = read_input(path, field="model file", limit=MAX_TOML_BYTES)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the model file is not UTF-8 text", file=source) from None
    return parse_model_file(text, source=source)


class _Reader:
    """Typed access to the TOML tables; every refusal names the file and the key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> InputError:
        return InputError(message, file=self.source, field=key)

    def table(self, raw: Mapping[str, Any], key: str, *, required: bool) -> dict[str, Any]:
        value = raw.get(key)
        if value is None:
            if required:
                raise self.fail(key, "required table is missing")
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table, got {type(value).__name__}")
        return value

    def only(self, raw: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> None:
        for k in raw:
            if k not in allowed:
                where = f"{key}.{k}" if key else k
                raise self.fail(where, f"unknown key; allowed: {', '.join(allowed)}")

    def text(self, value: object, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be non-empty text, got {quote(value)}")
        return value.strip()

    def number(self, value: object, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"must be a number, got {quote(value)}")
        if not math.isfinite(value):
            raise self.fail(key, f"must be finite, got {quote(value)}")
        return float(value)

    def unit(self, value: object, key: str) -> str:
        from cxcr4lab.core.units import parse_unit

        text = self.text(value, key)
        try:
            parse_unit(text, allow_factor=True)
        except UnitError:
            raise self.fail(key, f"unit {quote(text)} is not understood") from None
        return text

    def name(self, value: str, key: str) -> str:
        if not value.isidentifier() or value == TIME or value in FUNCTIONS:
            raise self.fail(
                key,
                f"{quote(value)} is not allowed as a name (letters, digits and _; not "
                f"{TIME!r} nor {', '.join(FUNCTIONS)})",
            )
        return value

    def entry(self, value: object, key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table ({', '.join(allowed)})")
        self.only(value, key, allowed)
        return value

    def cmt(self, value: object, key: str, states: tuple[str, ...]) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be a whole CMT number, got {quote(value)}")
        if not 1 <= value <= len(states):
            raise self.fail(
                key, f"CMT {value} has no state (states in CMT order: {', '.join(states)})"
            )
        return value


def parse_model_file(text: str, *, source: str) -> ModelFile:
    """The model of the TOML ``text`` read from ``source`` (the file name in errors)."""
    r = _Reader(source)
    check_toml(text, source)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML ({exc})", file=source) from None
    except RecursionError:
        raise InputError("not valid TOML: nested too deeply", file=source) from None
    r.only(raw, "", _TOP)
    if "name" not in raw:
        raise r.fail("name", "required key is missing")
    model_name = r.name(r.text(raw["name"], "name"), "name")
    description = r.text(raw["description"], "description") if "description" in raw else ""

    seen: dict[str, str] = {}

    def new_name(value: str, key: str) -> str:
        r.name(value, key)
        if value in seen:
            raise r.fail(key, f"{quote(value)} is already the name of a {seen[value]}")
        seen[value] = key.split(".")[0].rstrip("s")
        return value

    states: list[State] = []
    for n, v in r.table(raw, "states", required=True).items():
        key = f"states.{n}"
        e = r.entry(v, key, ("unit", "init"))
        if "unit" not in e:
            raise r.fail(f"{key}.unit", "required key is missing")
        init: float | str = 0.0
        if "init" in e:
            init = e["init"] if isinstance(e["init"], str) else r.number(e["init"], f"{key}.init")
        states.append(State(new_name(n, key), r.unit(e["unit"], f"{key}.unit"), init))
    if not states:
        raise r.fail("states", "a model needs at least one state")

    params: list[Parameter] = []
    for n, v in r.table(raw, "parameters", required=True).items():
        key = f"parameters.{n}"
        e = r.entry(v, key, ("value", "unit", "description"))
        for k in ("value", "unit"):
            if k not in e:
                raise r.fail(f"{key}.{k}", "required key is missing")
        params.append(
            Parameter(
                new_name(n, key),
                r.number(e["value"], f"{key}.value"),
                r.unit(e["unit"], f"{key}.unit"),
                r.text(e["description"], f"{key}.description") if "description" in e else "",
            )
        )

    state_names = tuple(s.name for s in states)
    param_names = {p.name for p in params}

    def expression(text: object, key: str, known: set[str], hint: str) -> str:
        body = r.text(text, key)
        try:
            parsed = parse_expression(body, where=key)
        except InputError as exc:
            raise exc.at(file=source) from None
        unknown = sorted(parsed.symbols - known)
        if unknown:
            raise r.fail(
                key,
                f"{quote(body)} uses unknown symbol(s) {', '.join(unknown)} (it may use {hint})",
            )
        return body

    for s in states:
        if isinstance(s.init, str):
            expression(s.init, f"states.{s.name}.init", param_names, "parameters")

    equations: dict[str, str] = {}
    known = set(state_names) | param_names | {TIME}
    for k, v in r.table(raw, "equations", required=True).items():
        key = f"equations.{k}"
        target = k[1:] if k.startswith("d") else ""
        if target not in state_names:
            raise r.fail(key, f"not d<state> of a state ({', '.join(state_names)})")
        equations[target] = expression(v, key, known, f"states, parameters and {TIME}")
    for s in states:
        if s.name not in equations:
            raise r.fail(f"equations.d{s.name}", f"missing: state {s.name} needs an equation")

    outputs: list[Output] = []
    for n, v in r.table(raw, "outputs", required=False).items():
        key = f"outputs.{n}"
        e = r.entry(v, key, ("expr", "unit"))
        for k in ("expr", "unit"):
            if k not in e:
                raise r.fail(f"{key}.{k}", "required key is missing")
        outputs.append(
            Output(
                new_name(n, key),
                expression(e["expr"], f"{key}.expr", known, f"states, parameters and {TIME}"),
                r.unit(e["unit"], f"{key}.unit"),
            )
        )

    try:
        model = Model(
            model_name, tuple(states), tuple(params), equations, tuple(outputs), description
        )
    except InputError as exc:  # checked above; a remaining refusal still names the file
        raise exc.at(file=source) from None

    data = r.table(raw, "data", required=False)
    if not data:
        if "data" in raw:
            raise r.fail("data", "needs observe and a depot or central CMT")
        return ModelFile(source, model)
    r.only(data, "data", ("observe", "depot", "central"))
    if "observe" not in data:
        raise r.fail("data.observe", "required key is missing")
    observe = r.text(data["observe"], "data.observe")
    if observe not in model.output_names + model.state_names:
        have = ", ".join(model.output_names + model.state_names)
        raise r.fail("data.observe", f"no output or state {quote(observe)} (the model has {have})")
    depot = r.cmt(data["depot"], "data.depot", state_names) if "depot" in data else None
    central = r.cmt(data["central"], "data.central", state_names) if "central" in data else None
    if depot is None and central is None:
        raise r.fail("data", "needs the CMT of the depot or of the central state (or both)")
    if depot is not None and depot == central:
        raise r.fail("data.central", f"CMT {central} is the depot too")
    return ModelFile(source, model, observe, depot, central)
