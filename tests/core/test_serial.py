"""Results <-> JSON through one converter (core/serial.py).

Every stored result kind round-trips exactly on a real result; the JSON the previous, hand-written
``to_dict`` methods wrote (``tests/data/serial/*.json``, saved before core/serial.py replaced them)
still loads, compares equal to the same result made now, and is written again byte for byte;
bad JSON gives one error naming the kind and the key.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray
from tests.core.serial_cases import CASES, SPECIAL

from cxcr4lab.assays.potency import Potency
from cxcr4lab.core.errors import InputError
from cxcr4lab.core.serial import Serial, SerialError, from_json, stored, to_json
from cxcr4lab.pkpd.regimens import Regimen
from cxcr4lab.store import Store
from cxcr4lab.workflows import load_analysis, result_types, save_result

DATA = Path(__file__).resolve().parents[1] / "data" / "serial"
ALL = {**CASES, **SPECIAL}


@cache
def built(name: str) -> Any:
    """The result of case ``name``, made once per test session."""
    return ALL[name]()


def stored_text(name: str) -> str:
    return (DATA / f"{name}.json").read_text(encoding="utf-8")


def as_stored(result: Any) -> str:
    """The text the store writes for ``result`` (``store._store._to_json``), plus a newline."""
    return json.dumps(result.to_dict(), allow_nan=False, ensure_ascii=False) + "\n"


def same(a: Any, b: Any) -> bool:
    """``a == b``, except that NaN equals NaN (a NaN read back is another float object)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


# --- every kind, on a real result -----------------------------------------------------------------


NESTED = {"regimen": Regimen}
"""Result classes with a ``kind`` stored only inside another result (not an analysis kind)."""


def classes() -> dict[str, type[Any]]:
    """Every class with a case: the stored kinds (the registry's lookup) and the nested ones."""
    return {**result_types(), **NESTED}


def test_every_stored_kind_uses_the_converter_and_has_a_real_case() -> None:
    kinds = classes()
    assert set(kinds) == set(CASES), "add a case to tests/core/serial_cases.py"
    assert all(issubclass(kinds[k], Serial) for k in CASES)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_exact_round_trip(kind: str) -> None:
    result = built(kind)
    cls = classes()[kind]
    assert type(result) is cls
    d = result.to_dict()
    assert d["kind"] == kind and next(iter(d)) == "kind"
    assert json.loads(json.dumps(d, allow_nan=False)) == d  # JSON-ready: lists, plain numbers
    back = cls.from_dict(json.loads(json.dumps(d, allow_nan=False)))
    assert same(back, result)  # NaN (an unmeasured value) is read back as another NaN object


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_round_trip_with_non_finite_values(name: str) -> None:
    result = built(name)
    back = type(result).from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
    assert same(back, result)


# --- JSON stored by the previous code -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALL))
def test_json_stored_by_the_previous_version_loads(name: str) -> None:
    text = stored_text(name)
    data = json.loads(text)
    cls = type(built(name))
    loaded = cls.from_dict(data)
    assert as_stored(loaded) == text  # written again byte for byte
    now = json.loads(as_stored(built(name)))
    if name == "cox":  # fitted as R's coxph now (statsmodels PHReg): PH test per term, score test
        cox_aside = lambda d: {k: v for k, v in d.items() if k not in ("ph_tests", "score_chisq")}  # noqa: E731
        assert agree(cox_aside(now), cox_aside(data), rel=1e-4)
        return
    if name == "popfit":  # the analytic Jacobian took BFGS (gtol 1e-4) along another path
        assert agree(now, data, rel=1e-3)
        return
    assert agree(
        pk_aside(
            name,
            flag_rules_aside(
                unnamed(additions_aside(now) if name in ("nca", "pkfit", "engraftment") else now)
            ),
        ),
        pk_aside(name, flag_rules_aside(unnamed(data))),
    ), f"{name}: the analysis itself now gives another result"
    if now == data:  # and a new result is written as before
        assert as_stored(built(name)) == text


GLOBAL_MODEL = re.compile(r"^(global:[^:]+|gaddum_schild):.*$")


def unnamed(d: Any) -> Any:
    """``d`` with the name of a model made for its data (a global or Schild fit) cut to its
    prefix: the name once held a process-wide counter ("global:4pl:5"), now a digest of the
    data (``fit.models.data_model_name``); both name the same fit."""
    if isinstance(d, dict):
        return {k: unnamed(v) for k, v in d.items()}
    if isinstance(d, list):
        return [unnamed(v) for v in d]
    if isinstance(d, str):
        return GLOBAL_MODEL.sub(r"global:\1", d)
    return d


def agree(a: Any, b: Any, rel: float = 1e-10) -> bool:
    """``a == b`` with floats equal to ``rel`` (the 5PL's ln(2^(1/s) - 1) is now computed
    without overflow, which moves the last digits of 5PL fits: ELISA)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(agree(a[k], b[k], rel) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(agree(x, y, rel) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float | int) and not isinstance(b, bool):
        return a == pytest.approx(b, rel=rel, abs=1e-300)
    return bool(a == b)


def flag_rules_aside(d: Any) -> Any:
    """``d`` without what the dose-response flag review changed on purpose (``fit.flags``):
    the flag codes (``extreme_hill`` became ``shallow``/``steep``; ``inverted``, ``overshoot``
    and incomplete curves as ``outside_range`` are new), the Hill limits of the settings
    ((0.3, 5) became (0.5, 5)), and in batch-fit rows the estimates of a curve without effect
    or not converged (now left empty) and the inference columns added since (``extra``: SEs
    and CIs of every parameter, pIC50, EDs, R^2, sigma, AICc). Everything else must still
    agree."""
    if isinstance(d, dict):
        empty = (
            "flags" in d
            and isinstance(d["flags"], str)
            and ("no_effect" in d["flags"] or "not_converged" in d["flags"])
        )
        return {
            k: flag_rules_aside(v)
            for k, v in d.items()
            if k not in ("flags", "hill_range", "extra") and not (empty and k in BLANKED)
        }
    if isinstance(d, list):
        return [flag_rules_aside(v) for v in d]
    return d


ADDED = frozenset(
    {
        # engraftment: the CD34+ progenitor call beside the multilineage one
        "progenitors",
        "progenitors_lower_pct",
        "progenitors_upper_pct",
        # NCA (dose tables, intervals, statistics, pictures): dose-normalised exposure, the
        # samples as used, the lambda_z points, and the tables across subjects
        "cmax_dn",
        "auc_last_dn",
        "auc_inf_obs_dn",
        "sample_times",
        "sample_concs",
        "sample_states",
        "fit_times",
        "conc_dn",
        "auc_dn",
        "statistics",
        "proportionality",
        "intervals",
    }
)


def additions_aside(d: Any) -> Any:
    """``d`` without the keys added to a result on purpose since its stored form (:data:`ADDED`);
    what the result held before must still agree."""
    if isinstance(d, dict):
        return {k: additions_aside(v) for k, v in d.items() if k not in ADDED}
    if isinstance(d, list):
        return [additions_aside(v) for v in d]
    return d


PK_CHANGED: dict[str, tuple[str, ...] | None] = {
    "regimen_simulation": None,
    "regimen_simulation_nan": None,
    "regimen_comparison": None,
    "invivo": ("translation", "tgi", "tgi_combination"),
}
"""Results computed with the human balixafortide PK (every value: ``None``), or with the mouse
PK scaled from it (those parts), which issue 17 replaced on purpose by one derived parameter set
(CL 1.2 -> 5.44 L/h; docs/balixafortide_pk.md). Their inputs are unchanged (the regenerated
examples they read are pinned in tests/data/serial/<example>/)."""


def pk_aside(name: str, d: Any) -> Any:
    """``d`` with the parts that the new balixafortide PK set changed (:data:`PK_CHANGED`) cut
    to their shape: the same keys, lengths and types must remain, the values may differ."""
    if name not in PK_CHANGED:
        return d
    parts = PK_CHANGED[name]
    if parts is None:
        return shape(d)
    return {k: shape(v) if k in parts else v for k, v in d.items()}


def shape(d: Any) -> Any:
    """``d`` with every number and text replaced by its type's name."""
    if isinstance(d, dict):
        return {k: shape(v) for k, v in d.items()}
    if isinstance(d, list):
        return [shape(v) for v in d]
    if isinstance(d, bool) or d is None:
        return d
    return type(d).__name__


BLANKED = ("bottom", "top", "hill", "ic50", "ic50_lower", "ic50_upper", "log10_ic50",
           "log10_ic50_se")  # fmt: skip


def test_stored_results_load_through_the_store(tmp_path: Path) -> None:
    with Store(f"sqlite:///{(tmp_path / 'lab.sqlite').as_posix()}") as store:
        for name in sorted(set(CASES) - set(NESTED)):
            result = classes()[name].from_dict(json.loads(stored_text(name)))
            saved = save_result(store, result, title=name, inputs=())
            again = load_analysis(store, saved.id)
            assert again.result == result and as_stored(again.result) == stored_text(name)


# --- where the stored form differs from the fields ----------------------------------------------


def test_regimen_stores_doses_as_text_and_its_keys_in_their_old_order() -> None:
    d = built("regimen").to_dict()
    assert list(d) == ["kind", "name", "cycle_days", "bsa_method", "title", "source", "drugs"]
    assert [x["dose"] for x in d["drugs"]] == ["5.5 mg/kg", "1.4 mg/m^2"]
    assert built("regimen").drugs[0].dose.basis == "mg/kg"
    nested = built("regimen_simulation").to_dict()["regimen"]
    assert nested == d  # a nested result keeps its kind


@pytest.mark.parametrize("kind", ["nca", "pkfit"])
def test_units_are_stored_before_the_subjects(kind: str) -> None:
    keys = list(built(kind).to_dict())
    assert keys[:5] == ["kind", "source", "settings", "units", "subjects"]


def test_regimen_text_is_read_as_a_dose_with_its_place() -> None:
    d = built("regimen").to_dict()
    d["drugs"][1]["dose"] = "5 mL"
    with pytest.raises(
        InputError, match=r"key 'drugs\[1\]\.dose' is refused: '5 mL' is not a dose"
    ):
        classes()["regimen"].from_dict(d)


def test_non_finite_floats_are_written_as_before() -> None:
    response = json.loads(stored_text("response_infinite"))
    assert response["fisher_orr"]["odds_ratio"] == "inf"
    assert math.isinf(built("response_infinite").fisher_orr.odds_ratio)
    simulation = json.loads(stored_text("regimen_simulation_nan"))
    assert None in simulation["patients"]["eribulin days covered (%)"]
    back = classes()["regimen_simulation"].from_dict(simulation)
    assert all(math.isnan(v) for v in back.patients["eribulin days covered (%)"])


def test_defaults_of_results_stored_before_a_field_existed() -> None:
    binding = json.loads(stored_text("binding"))
    for curve in binding["curves"]:
        del curve["ci_method"]
    assert {c.ci_method for c in classes()["binding"].from_dict(binding).curves} == {
        "profile likelihood"
    }
    simulation = json.loads(stored_text("regimen_simulation"))
    for key in ("patient_ids", "covariates_source", "notes"):
        del simulation[key]
    old = classes()["regimen_simulation"].from_dict(simulation)
    assert (old.patient_ids, old.covariates_source, old.notes) == ((), "", ())
    course = json.loads(stored_text("occupancy_course"))
    del course["source"]
    assert classes()["occupancy_course"].from_dict(course).source == ""


# --- bad JSON -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "path", "value", "key", "message"),
    [
        ("binding", ("settings", "kd_molar"), None, "settings.kd_molar", "is missing"),
        ("binding", ("wells", 3, "signal"), "12", "wells[3].signal", "is wrong: expected a number"),
        ("elisa", ("samples", 0, "bound"), "~", "samples[0].bound", "is wrong: expected one of"),
        (
            "response",
            ("arms", 0, "orr_ci"),
            [0.1],
            "arms[0].orr_ci",
            "is wrong: expected a list of 2",
        ),
        ("nca", ("subjects",), "all", "subjects", "is wrong: expected a list, got 'all'"),
        ("survival", ("simulated",), "yes", "simulated", "is wrong: expected true or false"),
        ("pkfit", ("subjects", 0, "dof"), 2.5, "subjects[0].dof", "is wrong: expected a whole"),
    ],
)
def test_bad_json_names_the_kind_and_the_key(
    kind: str, path: tuple[Any, ...], value: Any, key: str, message: str
) -> None:
    data = json.loads(stored_text(kind))
    *parents, last = path
    target = data
    for k in parents:
        target = target[k]
    if value is None:
        del target[last]
    else:
        target[last] = value
    with pytest.raises(SerialError) as info:
        classes()[kind].from_dict(data)
    assert str(info.value).startswith(f"stored {kind} result: key {key!r} {message}")
    assert (info.value.kind, info.value.key) == (kind, key)


def test_a_bad_stored_analysis_fails_on_load_with_the_kind_and_key(tmp_path: Path) -> None:
    data = json.loads(stored_text("western"))
    del data["source"]
    data["lanes"][2]["ratio"] = "high"
    with Store(f"sqlite:///{(tmp_path / 'lab.sqlite').as_posix()}") as store:
        i = store.save_analysis(kind="western", title="w", result=data, parameters={}, inputs=[])
        with pytest.raises(SerialError) as info:
            load_analysis(store, i)
    assert str(info.value) == (
        "stored western result: key 'source' is missing (and 1 more problem)"
    )


def test_a_class_check_refusing_the_whole_object() -> None:
    d = built("regimen").to_dict()
    d["drugs"].append(d["drugs"][0])
    with pytest.raises(SerialError, match=r"^stored regimen result: refused: .*listed twice"):
        classes()["regimen"].from_dict(d)


# --- the converter on small classes -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Part(Serial):
    x: float
    label: Literal["a", "b"] = "a"


@stored(order=("parts",))
@dataclasses.dataclass(frozen=True)
class _Whole(Serial):
    kind: ClassVar[str] = "whole"
    n: int
    parts: tuple[_Part, ...]
    pair: tuple[float, float] | None
    table: NDArray[np.float64]
    counts: NDArray[np.int64]
    extra: tuple[Any, ...] = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Whole) and same(self, other)


def test_numpy_values_and_arrays_are_plain_json() -> None:
    w = _Whole(
        np.int64(3),
        (_Part(np.float64(0.5), "b"), _Part(math.inf)),
        (1.0, -math.inf),
        np.array([[1.0, np.nan], [2.0, 3.0]]),
        np.array([1, 2], dtype=np.int64),
        (np.int64(7), "id"),
    )
    d = to_json(w)
    assert list(d) == ["kind", "parts", "n", "pair", "table", "counts", "extra"]
    assert d == {
        "kind": "whole",
        "parts": [{"x": 0.5, "label": "b"}, {"x": "inf", "label": "a"}],
        "n": 3,
        "pair": [1.0, "-inf"],
        "table": [[1.0, None], [2.0, 3.0]],
        "counts": [1, 2],
        "extra": [7, "id"],
    }
    assert type(d["n"]) is int and type(d["parts"][0]["x"]) is float
    back = from_json(_Whole, json.loads(json.dumps(d, allow_nan=False)))
    assert back == w and back.counts.dtype == np.int64


def test_json_ints_in_float_fields_stay_ints() -> None:
    assert _Part.from_dict({"x": 48}).to_dict() == {"x": 48, "label": "a"}
    assert math.isnan(_Part.from_dict({"x": None}).x)  # null in a float field is NaN


@given(
    st.builds(
        Potency,
        compound=st.text(),
        assay=st.text(),
        value_molar=st.none() | st.floats(allow_nan=False),
        lower_molar=st.none() | st.floats(allow_nan=False),
        flags=st.lists(st.text(), max_size=3).map(tuple),
        published=st.booleans(),
    )
)
def test_potency_round_trips_for_any_values(p: Potency) -> None:
    assert Potency.from_dict(json.loads(json.dumps(p.to_dict(), allow_nan=False))) == p
