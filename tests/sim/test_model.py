"""Model declarations and expressions: what is accepted, and bad declarations naming the place."""

from __future__ import annotations

import math

import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.pkpd.pk import two_compartment
from cxcr4lab.sim import Model, Output, Parameter, State, parse_expression, simulate


def _model(**kw: object) -> Model:
    args: dict[str, object] = {
        "states": (State("A1", "mg"),),
        "parameters": (Parameter("k", 0.1, "1/h"),),
        "equations": {"A1": "-k*A1"},
    }
    args.update(kw)
    return Model("m", **args)  # type: ignore[arg-type]


def test_unknown_symbol_names_the_equation() -> None:
    with pytest.raises(InputError, match="unknown symbol") as err:
        _model(equations={"A1": "-k*A1 + kk"})
    assert err.value.place.field == "equation A1"
    assert "kk" in str(err.value)


def test_duplicate_state_names() -> None:
    with pytest.raises(InputError, match="duplicate name 'A1'"):
        _model(states=(State("A1", "mg"), State("A1", "mg")), equations={"A1": "-k*A1"})


def test_state_and_parameter_may_not_share_a_name() -> None:
    with pytest.raises(InputError, match="duplicate"):
        _model(parameters=(Parameter("A1", 1.0, "1/h"),))


def test_nan_parameter_default_and_override() -> None:
    with pytest.raises(InputError, match="not finite") as err:
        _model(parameters=(Parameter("k", math.nan, "1/h"),))
    assert err.value.place.field == "k"
    m = _model()
    with pytest.raises(InputError, match="not finite") as err:
        m.parameter_vector({"k": math.nan})
    assert err.value.place.field == "k"
    with pytest.raises(InputError, match="not finite"):
        simulate(m, None, [0.0, 1.0], {"k": math.inf})


def test_unknown_parameter_override() -> None:
    with pytest.raises(InputError, match="unknown parameter"):
        _model().parameter_vector({"kx": 1.0})


def test_missing_equation_and_bad_unit() -> None:
    with pytest.raises(InputError) as err:
        _model(states=(State("A1", "mg"), State("A2", "mg")))
    assert err.value.place.field == "equation A2"
    with pytest.raises(InputError, match="unit"):
        _model(parameters=(Parameter("k", 0.1, "furlongs per blorp"),))


@pytest.mark.parametrize(
    "text",
    ["__import__('os')", "A1.real", "A1[0]", "A1 if k else 0", "lambda: 1", "A1 < k", "max(A1, k)",
     "exp", "'a'", "A1 +"],
)  # fmt: skip
def test_unsafe_or_invalid_expressions_are_refused(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_expression(text, where="equation A1")
    assert err.value.place.field == "equation A1"


def test_output_and_init_expressions() -> None:
    m = _model(
        states=(State("A1", "mg", "k*10"),),
        outputs=(Output("C", "A1/2 + 0*t", "mg/L"),),
    )
    assert m.initial_state(m.parameter_vector()).tolist() == [1.0]
    res = simulate(m, None, [0.0, 10.0])
    assert res["C"][0] == pytest.approx(0.5)
    assert res["C"][1] == pytest.approx(0.5 * math.exp(-1.0), rel=1e-7)


def test_sbml_infix_uses_ln_and_power() -> None:
    e = parse_expression("log(A)**2", where="x")
    assert e.sbml() == "(ln(A) ^ 2.0)"


def test_compartment_models_have_named_units() -> None:
    m = two_compartment()
    assert m.unit_of("CL") == "L/h" and m.unit_of("Cp") == "mg/L"
    with pytest.raises(InputError):
        m.unit_of("nope")
