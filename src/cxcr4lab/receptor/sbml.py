"""The CXCL12/CXCR4 signalling model (:class:`~.mechanistic.Cxcr4Model` in one
:class:`~.mechanistic.CellLine`) as SBML Level 3 Version 2, and back (python-libsbml).

Export (:func:`to_signalling_sbml`): every model, cell-line and Ca2+-kinetics value is a constant
parameter with the same id as its field (``kb``, ``tau_g``, ``expression``, ``v_plc``, ...), its
unit in the element's notes, its value written exactly (17 significant digits; libsbml itself
writes 15). The CXCL12 and balixafortide concentrations are the constant parameters ``CXCL12``
and ``balixafortide`` (mol/L), for a tool to set. The equilibrium read-outs are assignment rules
(:data:`READOUTS`: occupancy, G*, pERK, pAKT, migration, beta-arrestin, surface CXCR4); the
Ca2+ transient is rate rules (``ip3``, ``ca``, ``h``, ``des``; time in s, CXCL12 added at t = 0
to cells resting with the antagonist) whose resting start is the exact fixed point, written as
initial assignments, and Fluo-4 ``dff0`` (F/F0 - 1) is an assignment rule on ``ca`` and the
resting ``fluo4_rest`` (a rate-rule variable of rate 0, so that libroadrunner's ``reset()``
recomputes it, as it does every state, after CXCL12 or balixafortide is set).

Import (:func:`from_signalling_sbml`): the parameters are read back by id into a
:class:`SignallingSbml` (model, cell line, concentrations); the math is not read (a changed
formula is caught by the cross-check, :mod:`cxcr4lab.studies.signalling_sbml`). A file that is
not one of ours gets an :class:`~cxcr4lab.core.errors.InputError` naming the element.

>>> from cxcr4lab.receptor.mechanistic import CellLine, Cxcr4Model
>>> text = to_signalling_sbml(Cxcr4Model(), CellLine("Jurkat", expression=2.0))
>>> back = from_signalling_sbml(text)
>>> back.model == Cxcr4Model(), back.cell.name, back.cell.expression
(True, 'Jurkat', 2.0)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from xml.sax.saxutils import escape

import libsbml

from cxcr4lab.core.errors import Cxcr4labError, InputError
from cxcr4lab.receptor.mechanistic import (
    PARAMETER_SOURCES,
    CalciumKinetics,
    CellLine,
    Cxcr4Model,
)
from cxcr4lab.sim.sbml import _check, _math

__all__ = [
    "AGONIST",
    "ANTAGONIST",
    "CALCIUM_STATES",
    "PARAMETER_UNITS",
    "READOUTS",
    "SignallingSbml",
    "from_signalling_sbml",
    "read_document",
    "to_signalling_sbml",
]

AGONIST = "CXCL12"
"""Id of the CXCL12 concentration parameter (mol/L)."""
ANTAGONIST = "balixafortide"
"""Id of the balixafortide concentration parameter (mol/L)."""

_MODEL_FIELDS = ("ka", "kb", "constitutive", "inverse_efficacy", "tau_g", "tau_arrestin",
                 "k_int_over_k_rec")  # fmt: skip
_CELL_FIELDS = ("expression", "tau_ras", "tau_mek", "tau_erk", "tau_pi3k", "tau_akt",
                "tau_migration")  # fmt: skip
_CALCIUM_FIELDS = tuple(f.name for f in fields(CalciumKinetics))

PARAMETER_UNITS: dict[str, tuple[str, str]] = {
    AGONIST: ("mol/L", "CXCL12 concentration (agonist), added at t = 0 s"),
    ANTAGONIST: ("mol/L", "balixafortide concentration (antagonist), at equilibrium"),
    **{name: PARAMETER_SOURCES[name] for name in _MODEL_FIELDS},
    "expression": ("1", "cell line: relative CXCR4 expression (1 = reference)"),
    "tau_ras": ("1", "cell line: RAS stage gain"),
    "tau_mek": ("1", "cell line: RAF/MEK stage gain"),
    "tau_erk": ("1", "cell line: ERK stage gain"),
    "tau_pi3k": ("1", "cell line: PI3K stage gain"),
    "tau_akt": ("1", "cell line: AKT stage gain"),
    "tau_migration": ("1", "cell line: G protein -> migration stage gain"),
    "v_plc": ("umol/L/s", "Ca2+: IP3 production at full G* activation"),
    "k_ip3": ("1/s", "Ca2+: IP3 degradation rate"),
    "k_ip3r": ("umol/L", "Ca2+: IP3 half-activation of the IP3 receptor"),
    "v_release": ("umol/L/s", "Ca2+: store release at open channels"),
    "k_pump": ("1/s", "Ca2+: clearance rate (SERCA/PMCA)"),
    "ca_rest": ("umol/L", "Ca2+: resting cytosolic Ca2+ without stimulus"),
    "k_inact": ("umol/L", "Ca2+: Ca2+ for IP3-receptor inactivation"),
    "tau_inact": ("s", "Ca2+: inactivation time constant"),
    "k_des": ("1/s", "Ca2+: GRK desensitisation of agonist-occupied receptor"),
    "k_res": ("1/s", "Ca2+: resensitisation rate"),
    "fluo4_kd": ("umol/L", "Fluo-4 KD for Ca2+"),
    "fmax_over_fmin": ("1", "Fluo-4 dynamic range Fmax/Fmin"),
}
"""Constant parameter id -> (unit, meaning): the parameters a file of ours must have."""


def _stage(tau: str, x: str) -> str:
    return f"{tau} * {x} / (1 + {tau} * {x})"


_BASAL = (
    f"constitutive * (1 + (1 - inverse_efficacy) * {ANTAGONIST} / kb) / (1 + {ANTAGONIST} / kb)"
)

_RULES: tuple[tuple[str, str, str, str], ...] = (
    # (id, formula, unit, meaning), in evaluation order
    ("a", f"{AGONIST} / ka", "1", "CXCL12 concentration / KA"),
    ("b", f"{ANTAGONIST} / kb", "1", "balixafortide concentration / Kb"),
    ("occupancy", "a / (1 + a + b)", "1", "fraction of CXCR4 bound by CXCL12 (Gaddum)"),
    ("stimulus", "a / (1 + a + b) + constitutive * (1 + (1 - inverse_efficacy) * b) / (1 + a + b)",
     "1", "receptor stimulus s = o_A + c (o_R + (1 - iota) o_B)"),
    ("g_active", _stage("tau_g * expression", "stimulus"), "1", "active G protein G* (fraction)"),
    ("ras", _stage("tau_ras", "g_active"), "1", "RAS stage (fraction)"),
    ("mek", _stage("tau_mek", "ras"), "1", "RAF/MEK stage (fraction)"),
    ("perk", _stage("tau_erk", "mek"), "1", "pERK (fraction of the pathway maximum)"),
    ("pi3k", _stage("tau_pi3k", "g_active"), "1", "PI3K stage (fraction)"),
    ("pakt", _stage("tau_akt", "pi3k"), "1", "pAKT (fraction of the pathway maximum)"),
    ("migration", _stage("tau_migration", "g_active"), "1", "chemotaxis (fraction of maximum)"),
    ("arrestin", _stage("tau_arrestin * expression", "occupancy"), "1",
     "beta-arrestin recruitment (fraction of maximum)"),
    ("surface_cxcr4", "1 / (1 + k_int_over_k_rec * arrestin)", "1",
     "steady-state fraction of CXCR4 at the cell surface"),
    ("g_calcium", _stage("tau_g * expression", "(stimulus - des * occupancy)"), "1",
     "G* driving PLC, desensitised receptor removed"),
    ("fluo4", "1 + (fmax_over_fmin - 1) * ca / (ca + fluo4_kd)", "1", "Fluo-4 F/Fmin"),
    ("dff0", "fluo4 / fluo4_rest - 1", "1", "Fluo-4 dF/F0 (F0 at t = 0)"),
)  # fmt: skip

READOUTS: dict[str, str] = {
    "occupancy": "binding",
    "g_active": "g_protein",
    "perk": "perk",
    "pakt": "pakt",
    "migration": "chemotaxis",
    "arrestin": "arrestin",
    "surface_cxcr4": "surface CXCR4",
}
"""Assignment-rule id of each equilibrium read-out -> the model's name for it."""

CALCIUM_STATES: tuple[tuple[str, str, str, str], ...] = (
    # (id, d/dt, initial assignment: the resting fixed point, unit)
    ("ip3", "v_plc * g_calcium - k_ip3 * ip3",
     f"v_plc * {_stage('tau_g * expression', f'({_BASAL})')} / k_ip3", "umol/L"),
    ("ca", "v_release * ip3^2 / (ip3^2 + k_ip3r^2) * h - k_pump * (ca - ca_rest)",
     "(ca_rest - k_inact + sqrt((k_inact - ca_rest)^2 + 4 * (ca_rest * k_inact + v_release"
     " * ip3^2 / (ip3^2 + k_ip3r^2) * k_inact / k_pump))) / 2", "umol/L"),
    ("h", "(k_inact / (k_inact + ca) - h) / tau_inact", "k_inact / (k_inact + ca)", "1"),
    ("des", "k_des * occupancy * (1 - des) - k_res * des", "0", "1"),
    ("fluo4_rest", "0", "1 + (fmax_over_fmin - 1) * ca / (ca + fluo4_kd)", "1"),
)  # fmt: skip
"""The Ca2+ ODE: IP3 (µmol/L), cytosolic Ca2+ (µmol/L), open IP3-receptor fraction h, the
desensitised fraction of agonist-bound receptor, and the resting Fluo-4 F/Fmin held from t = 0
(rate 0: a state, so a tool's reset recomputes it with the concentrations set); time in s."""

_NS = "https://cxcr4lab.invalid/sbml/signalling"
_PARAM_RE = re.compile(r'(<parameter id="([A-Za-z_]\w*)" value=")([^"]*)(")')


@dataclass(frozen=True)
class SignallingSbml:
    """What a signalling SBML file holds: the model, the cell line and the concentrations."""

    model: Cxcr4Model
    cell: CellLine
    agonist_molar: float = 0.0
    antagonist_molar: float = 0.0


def _values(
    model: Cxcr4Model, cell: CellLine, agonist: float, antagonist: float
) -> dict[str, float]:
    out = {AGONIST: float(agonist), ANTAGONIST: float(antagonist)}
    out.update({n: float(getattr(model, n)) for n in _MODEL_FIELDS})
    out.update({n: float(getattr(cell, n)) for n in _CELL_FIELDS})
    out.update({n: float(getattr(model.calcium, n)) for n in _CALCIUM_FIELDS})
    return out


def _notes(unit: str, meaning: str) -> str:
    return (
        '<body xmlns="http://www.w3.org/1999/xhtml">'
        f"<p>unit: {escape(unit)}</p><p>{escape(meaning)}</p></body>"
    )


def to_signalling_sbml(
    model: Cxcr4Model, cell: CellLine, *, agonist: float = 0.0, antagonist: float = 0.0
) -> str:
    """The signalling model in ``cell`` as an SBML L3V2 document (string); ``agonist`` and
    ``antagonist`` (mol/L) are the initial values of ``CXCL12`` and ``balixafortide``."""
    for name, v in (("agonist", agonist), ("antagonist", antagonist)):
        if not (math.isfinite(v) and v >= 0):
            raise InputError(f"must be a concentration >= 0 mol/L, got {v!r}", field=name)
    values = _values(model, cell, agonist, antagonist)
    doc = libsbml.SBMLDocument(3, 2)
    m = doc.createModel()
    _check(m.setId("cxcr4_signalling"), "model id")
    m.setName(f"CXCL12/CXCR4 signalling (cxcr4lab), cell line {cell.name}")
    _check(
        m.setNotes(
            '<body xmlns="http://www.w3.org/1999/xhtml"><p>cxcr4lab mechanistic CXCL12/CXCR4 '
            "model: model, not data; its read-outs are SIMULATED. Concentrations mol/L, time s, "
            "Ca2+ umol/L; read-outs are fractions of the pathway maximum. Set CXCL12 and "
            "balixafortide (mol/L) to choose the condition.</p></body>"
        ),
        "model notes",
    )
    _check(
        m.setAnnotation(f'<cxcr4lab:cell xmlns:cxcr4lab="{_NS}" name="{escape(cell.name)}"/>'),
        "cell-line annotation",
    )

    def param(name: str, value: float, constant: bool, unit: str, meaning: str) -> None:
        q = m.createParameter()
        _check(q.setId(name), f"parameter {name}")
        _check(q.setValue(value), f"value of {name}")
        _check(q.setConstant(constant), f"parameter {name}")
        _check(q.setNotes(_notes(unit, meaning)), f"notes of {name}")

    for name, value in values.items():
        param(name, value, True, *PARAMETER_UNITS[name])
    for name, _, _, unit in CALCIUM_STATES:
        param(name, 0.0, False, unit, f"Ca2+ ODE state {name} (rate rule; start: rest)")
    for name, _, unit, meaning in _RULES:
        param(name, 0.0, False, unit, meaning)
    for name, _, init, _ in CALCIUM_STATES:
        ia = m.createInitialAssignment()
        _check(ia.setSymbol(name), f"initial {name}")
        _check(ia.setMath(_math(init, f"initial {name}")), f"initial {name}")
    for name, formula, _, _ in _RULES:
        rule = m.createAssignmentRule()
        _check(rule.setVariable(name), f"rule {name}")
        _check(rule.setMath(_math(formula, f"rule {name}")), f"rule {name}")
    for name, rate, _, _ in CALCIUM_STATES:
        rr = m.createRateRule()
        _check(rr.setVariable(name), f"rate rule {name}")
        _check(rr.setMath(_math(rate, f"rate rule {name}")), f"rate rule {name}")
    doc.checkInternalConsistency()
    if doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR):
        raise Cxcr4labError(f"SBML export is not valid: {doc.getErrorLog().toString()}")
    return _exact(str(libsbml.writeSBMLToString(doc)), values)


def _exact(text: str, values: dict[str, float]) -> str:
    """``text`` with each value of ``values`` written with 17 significant digits."""
    done: set[str] = set()

    def sub(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in values:
            return match.group(0)
        done.add(name)
        return f"{match.group(1)}{values[name]!r}{match.group(4)}"

    out = _PARAM_RE.sub(sub, text)
    if done != set(values):
        raise Cxcr4labError(f"SBML export: values not written exactly: {set(values) - done}")
    return out


# --- import ----------------------------------------------------------------------------------


def read_document(text: str | bytes, *, file: str | None = None) -> libsbml.SBMLDocument:
    """A parsed SBML L3V2 document; an InputError naming the line when it is not one."""
    raw = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
    doc = libsbml.readSBMLFromString(raw)
    fatal = [
        doc.getError(i)
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    if fatal or doc.getModel() is None:
        first = fatal[0] if fatal else None
        what = first.getShortMessage() if first is not None else "no <model> element"
        row = first.getLine() if first is not None and first.getLine() > 0 else None
        raise InputError(f"is not readable SBML: {what}", file=file, row=row, field="sbml")
    if (doc.getLevel(), doc.getVersion()) != (3, 2):
        raise InputError(
            f"is SBML level {doc.getLevel()} version {doc.getVersion()}; "
            "a signalling model of cxcr4lab is SBML level 3 version 2",
            file=file,
            field="sbml level",
        )
    return doc


def _cell_name(m: libsbml.Model) -> str:
    note = m.getAnnotation()
    if note is not None:
        for i in range(note.getNumChildren()):
            child = note.getChild(i)
            if child.getName() == "cell" and child.getURI() == _NS:
                name = child.getAttrValue("name")
                if name:
                    return str(name)
    return "imported"


def from_signalling_sbml(text: str | bytes, *, file: str | None = None) -> SignallingSbml:
    """The model, cell line and concentrations of a signalling SBML file (parameters by id).

    Refused with an InputError naming the element: unreadable SBML, another level/version, a
    missing parameter, a value that is not a finite number or that the model does not accept.
    """
    m = read_document(text, file=file).getModel()
    values: dict[str, float] = {}
    for name in PARAMETER_UNITS:
        q = m.getParameter(name)
        if q is None:
            raise InputError(
                "is missing: not a cxcr4lab signalling model (export one with "
                "`cxcr4lab simulate sbml --model signalling`)",
                file=file,
                field=f"parameter {name!r}",
            )
        v = float(q.getValue())
        if not q.isSetValue() or not math.isfinite(v):
            raise InputError("has no finite value", file=file, field=f"parameter {name!r}")
        values[name] = v
    try:
        calcium = CalciumKinetics(**{n: values[n] for n in _CALCIUM_FIELDS})
        model = Cxcr4Model(**{n: values[n] for n in _MODEL_FIELDS}, calcium=calcium)
        cell = CellLine(_cell_name(m), **{n: values[n] for n in _CELL_FIELDS})
    except InputError as e:
        raise e.at(file=file) from None
    for name in (AGONIST, ANTAGONIST):
        if values[name] < 0:
            raise InputError(
                f"must be a concentration >= 0 mol/L, got {values[name]!r}",
                file=file,
                field=f"parameter {name!r}",
            )
    return SignallingSbml(model, cell, values[AGONIST], values[ANTAGONIST])
