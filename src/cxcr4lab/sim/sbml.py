"""SBML Level 3 Version 2 export of a :class:`~cxcr4lab.sim.model.Model` (python-libsbml).

States become non-constant parameters with rate rules, parameters constant parameters, outputs
assignment rules and expression initial values initial assignments. Each state also gets a
dosing-rate parameter ``R_<state>`` (amount/h, 0 by default) added to its rate rule, so a tool
can run a zero-order infusion by setting it; boluses are jumps in the state's value. Units are
written into each element's notes (time in h). The math is parsed by
:func:`libsbml.parseL3Formula` from the same expression strings the engine uses.
"""

from __future__ import annotations

from collections.abc import Mapping

import libsbml

from cxcr4lab.core.errors import Cxcr4labError
from cxcr4lab.sim.model import TIME, Model

__all__ = ["rate_parameter", "to_sbml"]


def rate_parameter(state: str) -> str:
    """Name of the dosing-rate parameter of ``state`` in the exported SBML."""
    return f"R_{state}"


def _math(text: str, where: str) -> libsbml.ASTNode:
    node = libsbml.parseL3Formula(text)
    if node is None:
        raise Cxcr4labError(f"SBML export: cannot parse {where}: {libsbml.getLastParseL3Error()}")
    return node


def _check(code: int, what: str) -> None:
    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise Cxcr4labError(
            f"SBML export failed at {what}: {libsbml.OperationReturnValue_toString(code)}"
        )


def _sbml_text(model: Model, key: str) -> str:
    # the engine calls time ``t``; SBML L3 infix calls it ``time``
    return model.expression(key).sbml({TIME: "time"})


def to_sbml(model: Model, params: Mapping[str, float] | None = None) -> str:
    """The model as an SBML L3V2 document (string); ``params`` override the defaults."""
    p = model.parameter_vector(params)
    doc = libsbml.SBMLDocument(3, 2)
    m = doc.createModel()
    _check(m.setId(model.name if model.name.isidentifier() else "model"), "model id")
    m.setName(model.name)
    comp = m.createCompartment()
    comp.setId("default_compartment")
    comp.setConstant(True)
    comp.setSize(1.0)
    comp.setSpatialDimensions(3)

    def param(name: str, value: float, constant: bool, unit: str) -> None:
        q = m.createParameter()
        _check(q.setId(name), f"parameter {name}")
        q.setValue(value)
        q.setConstant(constant)
        q.setNotes(f'<body xmlns="http://www.w3.org/1999/xhtml"><p>unit: {unit}</p></body>')

    for par, value in zip(model.parameters, p, strict=True):
        param(par.name, float(value), True, par.unit)
    for s in model.states:
        param(s.name, float(s.init) if not isinstance(s.init, str) else 0.0, False, s.unit)
        param(rate_parameter(s.name), 0.0, False, f"{s.unit}/h")
        if isinstance(s.init, str):
            ia = m.createInitialAssignment()
            ia.setSymbol(s.name)
            _check(ia.setMath(_math(_sbml_text(model, f"init {s.name}"), s.name)), s.name)
    for o in model.outputs:
        param(o.name, 0.0, False, o.unit)
    for s in model.states:
        rule = m.createRateRule()
        rule.setVariable(s.name)
        text = f"({_sbml_text(model, 'd' + s.name)}) + {rate_parameter(s.name)}"
        _check(rule.setMath(_math(text, f"equation {s.name}")), f"equation {s.name}")
    for o in model.outputs:
        rule = m.createAssignmentRule()
        rule.setVariable(o.name)
        _check(rule.setMath(_math(_sbml_text(model, f"out {o.name}"), o.name)), o.name)
    if doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) or doc.checkInternalConsistency():
        problems = doc.getErrorLog().toString()
        if doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR):
            raise Cxcr4labError(f"SBML export is not valid: {problems}")
    return str(libsbml.writeSBMLToString(doc))
