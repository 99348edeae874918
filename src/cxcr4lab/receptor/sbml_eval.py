"""Evaluate an SBML document's own math without libroadrunner: python-libsbml + scipy.

:class:`SbmlRules` reads the parameters, initial assignments, assignment rules and rate rules
of an SBML L3 document (what :func:`~cxcr4lab.receptor.sbml.to_signalling_sbml` writes) and
evaluates them as the file says, independently of :class:`~.mechanistic.Cxcr4Model`: each math
tree is translated node by node (``+ - * /``, ``^``, ``sqrt``, ``exp``, ``ln``, ``abs``,
numbers, names, ``time``) into Python, assignment rules are applied in dependency order, and
rate rules are integrated with scipy ``solve_ivp`` (LSODA, tight tolerances). Anything else
(species, reactions, events, function definitions, other math) is refused with an
:class:`~cxcr4lab.core.errors.InputError` naming the element, so nothing is silently ignored.

This is how the ``signalling_sbml`` kind checks a file at run time, where libroadrunner (a
development dependency) may be missing; the tests check it against libroadrunner.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import libsbml
import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

from cxcr4lab.core.errors import InputError
from cxcr4lab.receptor.sbml import read_document

__all__ = ["RoadRunnerRules", "SbmlRules"]

Array = NDArray[np.float64]

_BINARY = {
    libsbml.AST_PLUS: "+",
    libsbml.AST_MINUS: "-",
    libsbml.AST_TIMES: "*",
    libsbml.AST_DIVIDE: "/",
    libsbml.AST_POWER: "**",
    libsbml.AST_FUNCTION_POWER: "**",
}
_FUNCTIONS = {
    libsbml.AST_FUNCTION_EXP: "_m.exp",
    libsbml.AST_FUNCTION_LN: "_m.log",
    libsbml.AST_FUNCTION_ROOT: "_m.sqrt",
    libsbml.AST_FUNCTION_ABS: "abs",
}
_NUMBERS = (libsbml.AST_INTEGER, libsbml.AST_REAL, libsbml.AST_REAL_E, libsbml.AST_RATIONAL)


def _python(node: libsbml.ASTNode, where: str) -> str:
    """Python source of one SBML math tree (names looked up in ``v``, time is ``_t``)."""
    kind = node.getType()
    n = node.getNumChildren()
    if kind in _NUMBERS:
        value = float(node.getValue())
        if math.isnan(value):
            return "_m.nan"
        return repr(value) if math.isfinite(value) else ("_m.inf" if value > 0 else "(-_m.inf)")
    if kind in (libsbml.AST_CONSTANT_PI, libsbml.AST_CONSTANT_E):
        return "_m.pi" if kind == libsbml.AST_CONSTANT_PI else "_m.e"
    if kind == libsbml.AST_NAME:
        return f"v[{node.getName()!r}]"
    if kind == libsbml.AST_NAME_TIME:
        return "_t"
    if kind in _BINARY:
        parts = [_python(node.getChild(i), where) for i in range(n)]
        if kind == libsbml.AST_MINUS and n == 1:
            return f"(-{parts[0]})"
        if n == 0 or (kind in (libsbml.AST_POWER, libsbml.AST_FUNCTION_POWER) and n != 2):
            raise InputError("has an operator without its operands", field=where)
        return "(" + f" {_BINARY[kind]} ".join(parts) + ")"
    if kind in _FUNCTIONS:
        if kind == libsbml.AST_FUNCTION_ROOT and n == 2:  # root(degree, x)
            deg = _python(node.getChild(0), where)
            return f"({_python(node.getChild(1), where)} ** (1.0 / {deg}))"
        if n != 1:
            raise InputError(f"{node.getName()} needs one argument", field=where)
        return f"{_FUNCTIONS[kind]}({_python(node.getChild(0), where)})"
    text = libsbml.formulaToL3String(node)
    raise InputError(f"uses math this evaluator does not know: {text}", field=where)


def _compile(
    node: libsbml.ASTNode | None, where: str
) -> Callable[[dict[str, float], float], float]:
    if node is None:
        raise InputError("has no math", field=where)
    source = _python(node, where)
    code = compile(source, where, "eval")
    scope: dict[str, Any] = {"__builtins__": {"abs": abs}, "_m": math}

    def f(v: dict[str, float], t: float) -> float:
        try:  # the source is built from the math tree, names looked up in v
            return float(eval(code, scope, {"v": v, "_t": t}))
        except (ArithmeticError, ValueError) as e:  # 1/0, overflow, sqrt of a negative
            raise InputError(f"cannot be evaluated: {e}", field=where) from None

    return f


def _names(node: libsbml.ASTNode | None) -> set[str]:
    if node is None:
        return set()
    out = {node.getName()} if node.getType() == libsbml.AST_NAME else set()
    for i in range(node.getNumChildren()):
        out |= _names(node.getChild(i))
    return out


def _ordered(
    items: Sequence[tuple[str, libsbml.ASTNode]], known: set[str], what: str, file: str | None
) -> list[tuple[str, libsbml.ASTNode]]:
    """``items`` (symbol, math) in an order where each uses only known or earlier symbols."""
    todo = list(items)
    done: list[tuple[str, libsbml.ASTNode]] = []
    have = set(known)
    while todo:
        ready = [(s, m) for s, m in todo if _names(m) <= have]
        if not ready:
            symbol, math_ = todo[0]
            missing = sorted(_names(math_) - have)
            raise InputError(
                f"uses {', '.join(missing)}, which no parameter, rule or assignment defines "
                "(or the rules are circular)",
                file=file,
                field=f"{what} {symbol!r}",
            )
        for item in ready:
            done.append(item)
            todo.remove(item)
            have.add(item[0])
    return done


class SbmlRules:
    """The parameters and rules of one SBML document, evaluated by their own math."""

    def __init__(self, text: str | bytes, *, file: str | None = None) -> None:
        doc = read_document(text, file=file)
        m = doc.getModel()
        for what, count in (
            ("species", m.getNumSpecies()),
            ("reaction", m.getNumReactions()),
            ("event", m.getNumEvents()),
            ("functionDefinition", m.getNumFunctionDefinitions()),
            ("constraint", m.getNumConstraints()),
        ):
            if count:
                raise InputError(
                    f"has {count} {what} element(s); only parameters, initial assignments, "
                    "assignment and rate rules are evaluated",
                    file=file,
                    field=what,
                )
        self.values: dict[str, float] = {
            q.getId(): float(q.getValue()) for q in m.getListOfParameters()
        }
        self.values.update({c.getId(): float(c.getSize()) for c in m.getListOfCompartments()})
        rules: list[tuple[str, libsbml.ASTNode]] = []
        rates: list[tuple[str, libsbml.ASTNode]] = []
        for rule in m.getListOfRules():
            if rule.isAlgebraic():
                raise InputError("algebraic rules are not evaluated", file=file, field="rule")
            (rules if rule.isAssignment() else rates).append((rule.getVariable(), rule.getMath()))
        initial = [(a.getSymbol(), a.getMath()) for a in m.getListOfInitialAssignments()]
        for symbol, _ in [*rules, *rates, *initial]:
            if symbol not in self.values:
                raise InputError("is not a parameter of the file", file=file, field=symbol)
        self.states = tuple(s for s, _ in rates)
        ruled = {s for s, _ in rules}
        base = set(self.values) - ruled
        self._initial = [
            (s, _compile(e, f"initialAssignment {s!r}"))
            for s, e in _ordered(initial, base - {s for s, _ in initial}, "initialAssignment", file)
        ]
        self._rules = [
            (s, _compile(e, f"assignmentRule {s!r}"))
            for s, e in _ordered(rules, base, "assignmentRule", file)
        ]
        self._rates = [(s, _compile(e, f"rateRule {s!r}")) for s, e in rates]
        for s, e in rates:
            _ordered([(s, e)], base | ruled, "rateRule", file)

    def _apply_rules(self, v: dict[str, float], t: float) -> None:
        for symbol, f in self._rules:
            v[symbol] = f(v, t)

    def initial(self, changes: Mapping[str, float] | None = None) -> dict[str, float]:
        """Every value at t = 0: the file's values with ``changes`` (by id), then the initial
        assignments (which may read values and earlier assignments, not rules), then the
        assignment rules."""
        v = dict(self.values)
        for name, value in (changes or {}).items():
            if name not in v:
                raise InputError("is not a parameter of the file", field=name)
            v[name] = float(value)
        for symbol, f in self._initial:
            v[symbol] = f(v, 0.0)
        self._apply_rules(v, 0.0)
        return v

    def simulate(
        self,
        times: Array,
        changes: Mapping[str, float] | None = None,
        *,
        rtol: float = 1e-12,
        atol: float = 1e-14,
    ) -> dict[str, Array]:
        """Every rate-rule state and assignment-rule value at ``times`` (time units of the file;
        ``times[0]`` must be 0), integrating the rate rules from :meth:`initial`."""
        t_out = np.asarray(times, dtype=float)
        if t_out.size < 1 or t_out[0] != 0.0 or np.any(np.diff(t_out) <= 0):
            raise InputError("output times must start at 0 and increase", field="times")
        v0 = self.initial(changes)
        names = self.states

        def rhs(t: float, y: Array) -> list[float]:
            v = dict(v0)
            v.update(zip(names, y.tolist(), strict=True))
            self._apply_rules(v, t)
            return [f(v, t) for _, f in self._rates]

        y0 = np.array([v0[s] for s in names])
        if t_out.size > 1 and names:
            sol = solve_ivp(
                rhs,
                (0.0, float(t_out[-1])),
                y0,
                t_eval=t_out,
                method="LSODA",
                rtol=rtol,
                atol=atol,
            )
            if not sol.success:
                raise InputError(f"integration failed: {sol.message}", field="rateRule")
            y = np.asarray(sol.y, dtype=float)
        else:
            y = np.repeat(y0[:, None], t_out.size, axis=1)
        out: dict[str, list[float]] = {s: [] for s, _ in [*self._rules]}
        for k, t in enumerate(t_out):
            v = dict(v0)
            v.update(zip(names, y[:, k].tolist(), strict=True))
            self._apply_rules(v, float(t))
            for s in out:
                out[s].append(v[s])
        result = {s: np.asarray(vals, dtype=float) for s, vals in out.items()}
        result.update({s: y[i].copy() for i, s in enumerate(names)})
        return result


class RoadRunnerRules:
    """The same questions as :class:`SbmlRules`, answered by libroadrunner (CVODE); libroadrunner
    is a development dependency, imported here (an InputError says so when it is missing)."""

    def __init__(
        self,
        text: str | bytes,
        *,
        file: str | None = None,
        rtol: float = 1e-12,
        atol: float = 1e-14,
    ) -> None:
        try:
            import roadrunner
        except ImportError:
            raise InputError(
                "libroadrunner is not installed (a development dependency); use the libsbml engine",
                field="engine",
            ) from None
        raw = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
        read_document(raw, file=file)
        self.rr: Any = roadrunner.RoadRunner(raw)
        self.rr.integrator.relative_tolerance = rtol
        self.rr.integrator.absolute_tolerance = atol
        self.rr.integrator.maximum_num_steps = 1_000_000

    def _set(self, changes: Mapping[str, float] | None) -> None:
        self.rr.resetAll()  # the file's values, time 0
        for name, value in (changes or {}).items():
            self.rr.setValue(name, float(value))
        self.rr.reset()  # initial assignments again, with the changed values

    def initial(
        self, changes: Mapping[str, float] | None = None, names: Sequence[str] = ()
    ) -> dict[str, float]:
        """The values of ``names`` at t = 0 with ``changes`` (by id) set."""
        self._set(changes)
        return {n: float(self.rr.getValue(n)) for n in names}

    def simulate(
        self, times: Array, changes: Mapping[str, float] | None = None, names: Sequence[str] = ()
    ) -> dict[str, Array]:
        """``names`` at ``times`` (from 0) with ``changes`` set, by CVODE."""
        self._set(changes)
        self.rr.timeCourseSelections = ["time", *names]
        res = np.asarray(self.rr.simulate(times=np.asarray(times, dtype=float)), dtype=float)
        return {n: res[:, i + 1].copy() for i, n in enumerate(names)}
