"""The signalling model as SBML: export valid L3V2, libroadrunner agrees with the Python model on
every virtual-assay read-out, import gives back the model, bad files name the element."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import libsbml
import numpy as np
import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.receptor.mechanistic import (
    CalciumKinetics,
    CellLine,
    Cxcr4Model,
    functional_ic50,
)
from cxcr4lab.receptor.sbml import (
    AGONIST,
    ANTAGONIST,
    PARAMETER_UNITS,
    READOUTS,
    from_signalling_sbml,
    to_signalling_sbml,
)
from cxcr4lab.receptor.sbml_eval import SbmlRules
from cxcr4lab.runs import run_kind
from cxcr4lab.studies.calibration import CELL_LINES
from cxcr4lab.studies.signalling_sbml import check_signalling_sbml, export_cell_lines

TOL = 1e-6  # relative, on every read-out (the task's bound)
RTOL, ATOL = 1e-12, 1e-14  # integrator tolerances, both sides
NM = 1e-9
AGONISTS = (0.0, 0.3 * NM, 3 * NM, 100e-6 / 7963.5, 300 * NM)
ANTAGONISTS = (0.0, 0.05 * NM, 1 * NM, 30 * NM)
TIMES = np.linspace(0.0, 120.0, 241)
# a model off the defaults: constitutive activity and a partial inverse agonist exercise the
# basal-stimulus terms (receptor stimulus and the resting Ca2+ state) that c = 0 hides
TWO_STATE = Cxcr4Model(
    constitutive=0.15,
    inverse_efficacy=0.6,
    kb=0.4e-9,
    calcium=replace(CalciumKinetics(), k_des=0.08),
)
MODELS = {"default": Cxcr4Model(), "two-state": TWO_STATE}

PYTHON: dict[str, Callable[[Cxcr4Model, CellLine, float, float], float]] = {
    "occupancy": lambda m, c, a, b: m.occupancy(agonist=a, antagonist=b),
    "g_active": lambda m, c, a, b: m.response("g_protein", agonist=a, antagonist=b, cell=c),
    "perk": lambda m, c, a, b: m.response("perk", agonist=a, antagonist=b, cell=c),
    "pakt": lambda m, c, a, b: m.response("pakt", agonist=a, antagonist=b, cell=c),
    "migration": lambda m, c, a, b: m.response("chemotaxis", agonist=a, antagonist=b, cell=c),
    "arrestin": lambda m, c, a, b: m.response("arrestin", agonist=a, antagonist=b, cell=c),
    "surface_cxcr4": lambda m, c, a, b: m.surface_fraction(agonist=a, antagonist=b, cell=c),
}


def _rel(theirs: Any, ours: Any) -> float:
    """|SBML - Python| / max(|Python|, 1e-6) (read-outs of order 1; 0 without CXCL12)."""
    t, o = np.asarray(theirs, dtype=float), np.asarray(ours, dtype=float)
    return float(np.max(np.abs(t - o) / np.maximum(np.abs(o), 1e-6)))


class RoadRunner:
    """The exported file in libroadrunner (CVODE), set and reset per condition."""

    def __init__(self, text: str) -> None:
        import roadrunner

        self.rr: Any = roadrunner.RoadRunner(text)
        self.rr.integrator.relative_tolerance = RTOL
        self.rr.integrator.absolute_tolerance = ATOL
        self.rr.integrator.maximum_num_steps = 1_000_000

    def set(self, a: float, b: float) -> None:
        self.rr.resetAll()
        self.rr.setValue(AGONIST, a)
        self.rr.setValue(ANTAGONIST, b)
        self.rr.reset()  # initial assignments (the resting Ca2+ state) with these values

    def value(self, name: str, a: float, b: float) -> float:
        self.set(a, b)
        return float(self.rr.getValue(name))

    def trace(self, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
        self.set(a, b)
        self.rr.timeCourseSelections = ["time", "ca", "dff0"]
        res = np.asarray(self.rr.simulate(times=TIMES))
        return res[:, 1], res[:, 2]


def _python_trace(m: Cxcr4Model, c: CellLine, a: float, b: float) -> tuple[np.ndarray, float]:
    ca = m.calcium_trace(agonist=a, antagonist=b, cell=c, times_s=TIMES, rtol=RTOL, atol=ATOL)
    f = m.fluo4(ca)
    return ca, float(f.max() / f[0] - 1.0)


# --- export ------------------------------------------------------------------------------------


def test_export_is_valid_sbml_l3v2_with_units_rules_and_settable_concentrations() -> None:
    doc = libsbml.readSBMLFromString(to_signalling_sbml(Cxcr4Model(), CELL_LINES["Jurkat"]))
    assert (doc.getLevel(), doc.getVersion()) == (3, 2)
    assert doc.checkConsistency() == 0 or doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    m = doc.getModel()
    for name, (unit, _) in PARAMETER_UNITS.items():
        q = m.getParameter(name)
        assert q is not None and q.getConstant(), name
        assert f"unit: {unit}" in q.getNotesString(), name
    assert m.getParameter(AGONIST).getValue() == 0.0 == m.getParameter(ANTAGONIST).getValue()
    assignment = {r.getVariable() for r in m.getListOfRules() if r.isAssignment()}
    rate = {r.getVariable() for r in m.getListOfRules() if r.isRate()}
    assert set(READOUTS) | {"dff0", "fluo4"} <= assignment
    assert rate == {"ip3", "ca", "h", "des", "fluo4_rest"}
    assert {a.getSymbol() for a in m.getListOfInitialAssignments()} == rate
    assert m.getNumReactions() == m.getNumSpecies() == m.getNumEvents() == 0


def test_values_are_written_exactly_where_libsbml_would_round_them() -> None:
    kb = 100e-6 / 7963.5 / 97.0  # 17 significant digits; libsbml writes 15
    text = to_signalling_sbml(replace(Cxcr4Model(), kb=kb), CELL_LINES["engineered"])
    assert f'id="kb" value="{kb!r}"' in text
    assert libsbml.readSBMLFromString(text).getModel().getParameter("kb").getValue() == kb


# --- libroadrunner against the Python model -----------------------------------------------------


@pytest.mark.parametrize("model_name", list(MODELS))
def test_roadrunner_matches_the_python_model_on_every_read_out(model_name: str) -> None:
    model = MODELS[model_name]
    worst: dict[str, float] = {}
    for key, cell in CELL_LINES.items():
        rr = RoadRunner(to_signalling_sbml(model, cell))
        for a in AGONISTS:
            for b in ANTAGONISTS:
                for name, ours in PYTHON.items():
                    rel = _rel(rr.value(name, a, b), ours(model, cell, a, b))
                    worst[name] = max(worst.get(name, 0.0), rel)
                ca, dff0 = rr.trace(a, b)
                py_ca, py_peak = _python_trace(model, cell, a, b)
                worst["Ca2+ trace"] = max(worst.get("Ca2+ trace", 0.0), _rel(ca, py_ca))
                peak = _rel(float(dff0.max()), py_peak)
                worst["Ca2+ peak dF/F0"] = max(worst.get("Ca2+ peak dF/F0", 0.0), peak)
        print(model_name, key, {k: f"{v:.2e}" for k, v in worst.items()})
    assert set(worst) == {*PYTHON, "Ca2+ trace", "Ca2+ peak dF/F0"}
    assert max(worst.values()) <= TOL, worst


@pytest.mark.parametrize("model_name", list(MODELS))
def test_roadrunner_functional_ic50s_match_the_python_model(model_name: str) -> None:
    model = MODELS[model_name]
    a = 100e-6 / 7963.5  # CXCL12 100 ng/mL, as in the western-blot and chemotaxis assays
    worst = 0.0
    for key in ("engineered", "Jurkat", "MDA-MB-231"):
        cell = CELL_LINES[key]
        rr = RoadRunner(to_signalling_sbml(model, cell))
        for name, ours in PYTHON.items():
            py = functional_ic50(partial(ours, model, cell, a))
            theirs = functional_ic50(partial(rr.value, name, a))
            worst = max(worst, abs(theirs - py) / py)
        py = functional_ic50(lambda b: _python_trace(model, cell, a, b)[1])  # noqa: B023
        theirs = functional_ic50(lambda b: float(rr.trace(a, b)[1].max()))  # noqa: B023
        worst = max(worst, abs(theirs - py) / py)
    print(model_name, f"functional IC50 max rel {worst:.2e}")
    assert worst <= TOL


def test_the_libsbml_engine_agrees_with_roadrunner() -> None:
    """The kind's run-time engine (python-libsbml math + scipy) against libroadrunner."""
    text = to_signalling_sbml(TWO_STATE, CELL_LINES["Jurkat"])
    rr, ev = RoadRunner(text), SbmlRules(text)
    for a in AGONISTS:
        for b in ANTAGONISTS:
            values = ev.initial({AGONIST: a, ANTAGONIST: b})
            for name in READOUTS:
                assert _rel(values[name], rr.value(name, a, b)) <= 1e-12, (name, a, b)
            ours = ev.simulate(TIMES, {AGONIST: a, ANTAGONIST: b}, rtol=RTOL, atol=ATOL)
            ca, dff0 = rr.trace(a, b)
            assert _rel(ours["ca"], ca) <= TOL
            assert _rel(ours["dff0"].max(), dff0.max()) <= TOL


# --- import --------------------------------------------------------------------------------------


def test_round_trip_gives_back_the_model_exactly() -> None:
    model = Cxcr4Model(
        ka=100e-6 / 7963.5 / 3.0,
        kb=0.1e-9 / 3.0,
        constitutive=0.123456789012345678,
        inverse_efficacy=1.0 / 3.0,
        tau_g=math.pi,
        tau_arrestin=math.e,
        k_int_over_k_rec=2.0 / 7.0,
        calcium=CalciumKinetics(v_plc=1.0 / 3.0, k_res=0.1 + 0.2, fluo4_kd=0.345 / 7.0),
    )
    cell = CellLine("MDA-MB-231 (edited)", 1.0 / 3.0, 0.1 + 0.2, 2.5, 3.3, 1.7, 4.4, 4.0 / 9.0)
    back = from_signalling_sbml(
        to_signalling_sbml(model, cell, agonist=1.0 / 3.0 * NM, antagonist=0.7 * NM)
    )
    assert back.model == model
    assert back.cell == cell
    assert (back.agonist_molar, back.antagonist_molar) == (1.0 / 3.0 * NM, 0.7 * NM)


def test_an_edited_parameter_comes_back_and_still_agrees() -> None:
    doc = libsbml.readSBMLFromString(to_signalling_sbml(Cxcr4Model(), CELL_LINES["Namalwa"]))
    doc.getModel().getParameter("kb").setValue(2e-9)  # a user edits Kb in another tool
    doc.getModel().getParameter("tau_erk").setValue(5.0)
    text = libsbml.writeSBMLToString(doc)
    back = from_signalling_sbml(text)
    assert back.model == Cxcr4Model(kb=2e-9)
    assert back.cell == replace(CELL_LINES["Namalwa"], tau_erk=5.0)
    check = check_signalling_sbml(
        [("edited.xml", text)],
        source="edited.xml",
        agonist_molar=(1 * NM,),
        antagonist_molar=(0.0, 3 * NM),
    )
    assert check.passed


def test_an_edited_formula_is_caught_by_the_cross_check() -> None:
    doc = libsbml.readSBMLFromString(to_signalling_sbml(Cxcr4Model(), CELL_LINES["Jurkat"]))
    rule = doc.getModel().getAssignmentRule("perk")
    rule.setMath(libsbml.parseL3Formula("1.001 * tau_erk * mek / (1 + 1.001 * tau_erk * mek)"))
    text = libsbml.writeSBMLToString(doc)
    check = check_signalling_sbml(
        [("edited.xml", text)],
        source="edited.xml",
        agonist_molar=(3 * NM,),
        antagonist_molar=(0.0,),
    )
    failed = {c.readout for c in check.checks if not c.passed}
    assert failed == {"pERK", "functional IC50"}


def _edited(edit: Any) -> str:
    doc = libsbml.readSBMLFromString(to_signalling_sbml(Cxcr4Model(), CELL_LINES["engineered"]))
    edit(doc)
    return str(libsbml.writeSBMLToString(doc))


def test_a_missing_parameter_is_named() -> None:
    text = _edited(lambda d: d.getModel().removeParameter("tau_g"))
    with pytest.raises(InputError) as e:
        from_signalling_sbml(text, file="mine.xml")
    assert e.value.place.file == "mine.xml"
    assert e.value.place.field == "parameter 'tau_g'"
    assert "not a cxcr4lab signalling model" in str(e.value)


def test_an_unreadable_file_is_refused_with_its_line() -> None:
    with pytest.raises(InputError) as e:
        from_signalling_sbml("<sbml>\n<model>\n</sbml", file="broken.xml")
    assert e.value.place.file == "broken.xml" and e.value.place.field == "sbml"
    assert "not readable SBML" in str(e.value)
    with pytest.raises(InputError):
        from_signalling_sbml(b"kb,tau_g\n1,2\n", file="table.csv")


def test_another_level_is_refused() -> None:
    doc = libsbml.readSBMLFromString(to_signalling_sbml(Cxcr4Model(), CELL_LINES["engineered"]))
    assert doc.setLevelAndVersion(2, 4, False)
    with pytest.raises(InputError) as e:
        from_signalling_sbml(libsbml.writeSBMLToString(doc), file="old.xml")
    assert e.value.place.field == "sbml level"
    assert "level 2 version 4" in str(e.value)


def test_a_value_the_model_refuses_is_named() -> None:
    text = _edited(lambda d: d.getModel().getParameter("kb").setValue(-1e-9))
    with pytest.raises(InputError) as e:
        from_signalling_sbml(text, file="neg.xml")
    assert e.value.place.field == "kb" and e.value.place.file == "neg.xml"
    text = _edited(lambda d: d.getModel().getParameter(ANTAGONIST).setValue(-1.0))
    with pytest.raises(InputError, match="concentration"):
        from_signalling_sbml(text)


def test_the_libsbml_engine_refuses_what_it_cannot_evaluate() -> None:
    def add_reaction(doc: Any) -> None:
        r = doc.getModel().createReaction()
        r.setId("r1")
        r.setReversible(False)

    with pytest.raises(InputError) as e:
        SbmlRules(_edited(add_reaction), file="r.xml")
    assert e.value.place.field == "reaction"

    def unknown_name(doc: Any) -> None:
        doc.getModel().getAssignmentRule("perk").setMath(libsbml.parseL3Formula("mek * nowhere"))

    with pytest.raises(InputError) as e:
        SbmlRules(_edited(unknown_name))
    assert e.value.place.field == "assignmentRule 'perk'" and "nowhere" in str(e.value)


# --- the kind and the command ------------------------------------------------------------------


def test_the_kind_checks_the_bundled_model_and_a_given_file() -> None:
    opts: dict[str, object] = {
        "cell": "MDA-MB-231",
        "agonist_conc": "1 nM;10 nM",
        "antagonist_conc": "0 nM;2 nM",
    }
    out = run_kind("signalling_sbml", {}, opts)
    assert out.result.passed and out.result.cells == ("MDA-MB-231",)
    assert out.result.agonist_molar == (1 * NM, 10 * NM)
    assert out.result.sbml == (export_cell_lines(cells=["MDA-MB-231"])[0][1],)
    assert "SIMULATED" in out.title
    text = to_signalling_sbml(Cxcr4Model(kb=1e-9), CELL_LINES["Jurkat"]).encode()
    given = run_kind(
        "signalling_sbml",
        {"sbml": ("m.xml", text)},
        {"engine": "libroadrunner", "agonist_conc": "3 nM"},
    )
    assert given.result.passed and given.result.source == "m.xml"
    assert given.result.engine == "libroadrunner"
    with pytest.raises(InputError) as e:
        run_kind("signalling_sbml", {"sbml": ("m.xml", text)}, {"cell": "Jurkat"})
    assert e.value.place.field == "cell"


def test_simulate_sbml_writes_the_signalling_model(cli: Any, tmp_path: Any) -> None:
    out = tmp_path / "sig.xml"
    run = cli("simulate", "sbml", str(out), "--model", "signalling", "--cell", "Namalwa")
    assert run.code == 0, run.err
    assert out.read_text() == to_signalling_sbml(Cxcr4Model(), CELL_LINES["Namalwa"])
    bad = cli(
        "simulate", "sbml", str(tmp_path / "x.xml"), "--model", "signalling", "--cell", "HeLa"
    )
    assert bad.code != 0 and "--cell" in bad.err


def test_a_formula_giving_nan_fails_the_check_instead_of_passing() -> None:
    def nan_rule(doc: Any) -> None:
        doc.getModel().getAssignmentRule("pakt").setMath(libsbml.parseL3Formula("NaN * pi3k"))

    check = check_signalling_sbml(
        [("nan.xml", _edited(nan_rule))],
        source="nan.xml",
        agonist_molar=(3 * NM,),
        antagonist_molar=(0.0,),
    )
    failed = {c.readout: c.max_rel_diff for c in check.checks if not c.passed}
    assert failed == {"pAKT": math.inf, "functional IC50": math.inf}
    assert not check.passed


def test_math_that_cannot_be_evaluated_is_named() -> None:
    def divide_by_zero(doc: Any) -> None:
        doc.getModel().getAssignmentRule("perk").setMath(libsbml.parseL3Formula("mek / 0"))

    with pytest.raises(InputError) as e:
        SbmlRules(_edited(divide_by_zero)).initial()
    assert e.value.place.field == "assignmentRule 'perk'"


def test_receptor_sbml_reads_a_file_from_the_command_line(cli: Any, tmp_path: Any) -> None:
    good = tmp_path / "jurkat.xml"
    good.write_text(to_signalling_sbml(Cxcr4Model(kb=0.3e-9), CELL_LINES["Jurkat"]))
    run = cli("receptor", "sbml", "--sbml", str(good), "--agonist-conc", "3nM", "--no-save")
    assert run.code == 0, run.err
    assert "pass" in run.out and "Jurkat" in run.out
    bad = tmp_path / "bad.xml"
    bad.write_text(_edited(lambda d: d.getModel().removeParameter("k_pump")))
    run = cli("receptor", "sbml", "--sbml", str(bad), "--no-save")
    assert run.code != 0
    assert "bad.xml" in run.err and "parameter 'k_pump'" in run.err
