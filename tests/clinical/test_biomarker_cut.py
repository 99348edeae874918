"""Patients split by a biomarker score with the IHC assay's rule (``>`` or ``>=``): the clinical
split and the IHC call agree patient by patient, and the survival kind takes the split as a
subgroup (``--biomarker-cut``)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from cxcr4lab.assays.ihc import IhcSettings, analyse
from cxcr4lab.assays.tabular import read_table_bytes
from cxcr4lab.clinical.biomarker import add_biomarker_split
from cxcr4lab.core.cutoff import CutoffRule
from cxcr4lab.core.errors import InputError
from cxcr4lab.runs import KINDS, example_inputs, run_kind


def fortress_adsl() -> pd.DataFrame:
    example = KINDS["survival"].examples[0]
    _, content = example_inputs(example)["adsl"]
    return pd.read_csv(io.BytesIO(content), comment="#")


def test_the_split_reproduces_the_adsl_group_with_the_same_rule() -> None:
    """The simulated FORTRESS-like ADSL calls CXCR4GR HIGH at H-score >= 200
    (examples/clinical/simulate.py): the shared rule with >= gives the same groups; with > a
    patient exactly at 200 would be low."""
    sl = fortress_adsl()
    out, name = add_biomarker_split(sl, CutoffRule.parse("CXCR4HS >= 200", field="x"), source="a")
    assert name == "CXCR4HS >= 200"
    assert list(out[name].str.upper()) == list(sl["CXCR4GR"])
    strict, _ = add_biomarker_split(sl, CutoffRule("CXCR4HS", 200, ">"), source="a")
    differ = strict[name.replace(">=", ">")] != out[name]
    assert list(sl.loc[differ, "CXCR4HS"].unique()) in ([], [200])


def test_ihc_call_and_clinical_split_use_one_rule() -> None:
    text = "patient,intensity_score,proportion_score\n" + "".join(
        f"P{i}{p},{i},{p}\n" for i in range(4) for p in range(5)
    )
    for comparison in (">", ">="):
        ihc = analyse(
            read_table_bytes(text.encode(), "irs.csv"),
            IhcSettings(cutoff=8, scale="irs", comparison=comparison),  # type: ignore[arg-type]
        )
        frame = pd.DataFrame({"irs": [p.irs for p in ihc.patients]})
        out, name = add_biomarker_split(
            frame,
            CutoffRule("IRS", 8, comparison),
            source="t",  # type: ignore[arg-type]
        )
        assert list(out[name]) == ["high" if p.high else "low" for p in ihc.patients]
        assert ihc.settings.rule == CutoffRule("IRS", 8, comparison)  # type: ignore[arg-type]


def test_survival_takes_the_split_as_a_subgroup() -> None:
    example = KINDS["survival"].examples[0]
    options = dict(example.options) | {"biomarker_cut": "cxcr4hs >= 200"}
    outcome = run_kind("survival", example_inputs(example), options)
    assert outcome.parameters["biomarker_cut"] == "high = cxcr4hs >= 200"
    hrs = {h.term: h.hr for h in outcome.result.subgroups}
    assert hrs["CXCR4HS >= 200=high"] == pytest.approx(hrs["CXCR4GR=HIGH"], rel=1e-12)
    assert hrs["CXCR4HS >= 200=low"] == pytest.approx(hrs["CXCR4GR=LOW"], rel=1e-12)


def test_blank_scores_stay_blank_and_bad_scores_are_named() -> None:
    frame = pd.DataFrame({"USUBJID": ["a", "b", "c"], "CXCR4HS": [250, None, "high"]})
    with pytest.raises(InputError, match="'high' is not a score") as err:
        add_biomarker_split(frame, CutoffRule("CXCR4HS", 200), source="adsl.csv")
    assert (err.value.place.row, err.value.place.column) == (4, "CXCR4HS")
    out, name = add_biomarker_split(frame.iloc[:2], CutoffRule("CXCR4HS", 200), source="s")
    assert list(out[name]) == ["high", None]
    with pytest.raises(InputError, match="no column 'IRS'"):
        add_biomarker_split(frame, CutoffRule("IRS", 7), source="adsl.csv")


def test_a_bad_rule_is_refused_by_option() -> None:
    example = KINDS["survival"].examples[0]
    options = dict(example.options) | {"biomarker_cut": "CXCR4HS about 200"}
    with pytest.raises(InputError, match="not a cut-off rule") as err:
        run_kind("survival", example_inputs(example), options)
    assert err.value.place.field == "biomarker_cut"
