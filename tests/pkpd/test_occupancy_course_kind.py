"""``cxcr4lab simulate occupancy``: occupancy over time from a concentration table.

Expected values are the law of mass action written here, RO = Cu / (Cu + Kd (1 + L/KL)),
with Cu = fu x C and C converted with balixafortide's molecular weight 1864.1 g/mol."""

from __future__ import annotations

import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.runs import KINDS, example_inputs, run_kind


def table(text: str) -> dict[str, tuple[str, bytes]]:
    return {"data": ("pk.csv", text.encode())}


def test_occupancy_follows_the_law_of_mass_action() -> None:
    data = table("time,conc\n0,0\n1,1864.1\n2,186.41\n")  # ng/mL: 1000 and 100 nM (MW 1864.1)
    result = run_kind("occupancy_course", data, {"kd": "1 nM"}).result
    for conc_nm, ro in zip((0.0, 1000.0, 100.0), result.occupancy, strict=True):
        cu = 0.68 * conc_nm
        assert ro == pytest.approx(cu / (cu + 1.0), rel=1e-12)
    competed = run_kind(
        "occupancy_course", data, {"kd": "1 nM", "cxcl12": "10 nM", "cxcl12_kd": "5 nM"}
    ).result
    cu = 0.68 * 100.0
    assert competed.occupancy[2] == pytest.approx(cu / (cu + 1.0 * (1 + 10 / 5)), rel=1e-12)
    assert result.total_molar[1] == pytest.approx(1000e-9, rel=1e-9)


def test_the_bundled_example_stays_above_90_percent_for_days() -> None:
    example = KINDS["occupancy_course"].examples[0]
    outcome = run_kind("occupancy_course", example_inputs(example), dict(example.options))
    assert outcome.result.time_above(0.9) > 48
    assert outcome.parameters["fu"] == 0.68


def test_a_subject_is_chosen_from_a_table_of_several() -> None:
    data = table("subject,time,conc\nA,0,0\nA,1,100\nB,0,0\nB,1,5\n")
    with pytest.raises(InputError, match="choose one with --subject"):
        run_kind("occupancy_course", data, {"kd": "1 nM"})
    one = run_kind("occupancy_course", data, {"kd": "1 nM", "subject": "B"}).result
    assert one.times_h == (0.0, 1.0)
    with pytest.raises(InputError, match="no subject 'C'"):
        run_kind("occupancy_course", data, {"kd": "1 nM", "subject": "C"})


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        ("time,conc\n0,1\n1,x\n", {"kd": "1 nM"}, "must be numbers"),
        ("time,conc\n0,1\n0,2\n", {"kd": "1 nM"}, "times must increase"),
        ("time,conc\n0,1\n1,-2\n", {"kd": "1 nM"}, "negative"),
        ("t,c\n0,1\n", {"kd": "1 nM"}, "column not found"),
        ("time,conc\n0,1\n", {"kd": "1 nM", "compound": "plerixafor"}, "unbound fraction"),
        ("time,conc\n0,1\n", {"kd": "1 nM", "cxcl12": "2 nM"}, "kl_molar"),
        ("time,conc\n0,1\n", {"kd": "1e3 M"}, "kd"),
        ("time,conc\n0,1\n", {"kd": "1 nM", "conc_unit": "parsec"}, "unit"),
    ],
)
def test_bad_input_is_one_error(text: str, options: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        run_kind("occupancy_course", table(text), options)
