"""Every published balixafortide figure beside the value the workbench computes from the examples.

The example tables (``src/cxcr4lab/examples/clinical``) are SIMULATED to reproduce the published
Phase 1b and FORTRESS summaries (``/work/shared/seed_facts.toml`` and the seed text
``seeds/001_90d0abc8e2ccc4e9.txt``). Each figure below is recomputed with the workbench's own
analysis functions (``response_rates``, ``analyse_adtte``, ``ae_incidence``) on an ADSL
population flag, and must lie within its tolerance of the published value: half a unit of the
published precision for the figures exact by construction (the computed value rounds to the
published one), a stated margin for the approximate ones. The examples' README lists the same
figures with the same values; a test keeps the two in step. Run with ``-s`` to see the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from cxcr4lab.clinical.cdisc import (
    read_clinical_bytes,
    validate_adae,
    validate_adrs,
    validate_adsl,
)
from cxcr4lab.clinical.response import ResponseResult, response_rates
from cxcr4lab.clinical.safety import SafetyResult, TermIncidence, ae_incidence
from cxcr4lab.clinical.survival import SurvivalResult, analyse_adtte

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples" / "clinical"
README = EXAMPLES / "README.md"
SEED = "seeds/001_90d0abc8e2ccc4e9.txt"
COMBINATION = "balixafortide + eribulin"
ERIBULIN = "eribulin"


def _raw(name: str) -> pd.DataFrame:
    return read_clinical_bytes((EXAMPLES / name).read_bytes(), name)[0]


@cache
def _adsl(trial: str) -> pd.DataFrame:
    return validate_adsl(_raw(f"{trial}_adsl.csv"), f"{trial}_adsl.csv")


def _population(trial: str, flag: str) -> pd.DataFrame:
    """The ADSL subjects with ``flag = Y`` (EFFFL, EXPFL, SAFFL, ITTFL)."""
    sl = _adsl(trial)
    return sl[sl[flag] == "Y"].reset_index(drop=True)


@cache
def _response(trial: str, flag: str) -> ResponseResult:
    rs = validate_adrs(_raw(f"{trial}_adrs.csv"), f"{trial}_adrs.csv", adsl=_adsl(trial))
    strata = "STRAT1" if trial == "fortress" else None
    return response_rates(rs, _population(trial, flag), stratum=strata)


@cache
def _survival(trial: str, flag: str, paramcd: str) -> SurvivalResult:
    members = _population(trial, flag)["USUBJID"]
    adsl = _raw(f"{trial}_adsl.csv")
    adtte = _raw(f"{trial}_adtte.csv")
    return analyse_adtte(
        adtte[adtte["USUBJID"].isin(members)],
        paramcd=paramcd,
        adsl=adsl[adsl["USUBJID"].isin(members)],
        by="ARM",
        landmarks=(12.0,),
    )


@cache
def _safety(trial: str, flag: str, term: str | None = None) -> SafetyResult:
    sl = _population(trial, flag)
    ae = validate_adae(_raw(f"{trial}_adae.csv"), f"{trial}_adae.csv", adsl=_adsl(trial))
    ae = ae[ae["USUBJID"].isin(sl["USUBJID"])]
    if term is not None:
        ae = ae[ae["AEDECOD"] == term]
    return ae_incidence(ae, sl)


def _arm_response(trial: str, flag: str, arm: str = COMBINATION) -> tuple[int, float, float]:
    """(subjects, ORR %, CBR %) of an arm."""
    a = next(a for a in _response(trial, flag).arms if a.arm == arm)
    return a.n, 100 * a.orr, 100 * a.cbr


def _median(trial: str, flag: str, paramcd: str, arm: str = COMBINATION) -> float:
    curve = next(c for c in _survival(trial, flag, paramcd).curves if c.group == arm)
    assert curve.median is not None
    return curve.median


def _os_at_12_months(trial: str, flag: str) -> float:
    (lm,) = _survival(trial, flag, "OS").landmarks
    return 100 * lm.survival


def _term(trial: str, flag: str, term: str, arm: str = COMBINATION) -> TermIncidence:
    return next(t for t in _safety(trial, flag).terms if t.term == term and t.arm == arm)


def _fatal_pct(trial: str, arm: str) -> float:
    a = next(a for a in _safety(trial, "SAFFL").arms if a.arm == arm)
    return 100 * a.max_grade_counts["grade 5"] / a.n


def _cmh_p() -> float:
    cmh = _response("fortress", "EFFFL").cmh_orr
    assert cmh is not None
    return cmh.p_value


def _randomised() -> float:
    return float(len(_population("fortress", "ITTFL")))


def _cxcr4_high_pct() -> float:
    sl = _adsl("fortress")
    return 100 * float((sl["CXCR4GR"] == "HIGH").mean())


@dataclass(frozen=True)
class Figure:
    """A published figure, where it is published and how the examples give it back.

    ``places``: decimals of the published value. Exact figures (``margin`` None) must round to
    it (tolerance half a unit in the last place); approximate ones lie within ``margin``.
    ``decimals``: the precision the README shows the computed value with."""

    name: str
    published: float
    places: int
    source: str
    compute: Callable[[], float]
    decimals: int
    margin: float | None = None

    @property
    def tolerance(self) -> float:
        return 0.5 * 10.0**-self.places if self.margin is None else self.margin

    @property
    def how(self) -> str:
        return "exact" if self.margin is None else f"approximate (within {self.margin:g})"


P1B = "seed_facts [trial.phase1b]"
EXP = "seed_facts [trial.phase1b] expanded_cohort"
AE = f"{P1B} adverse_events_any_grade; {SEED} line"
SAE = f"{P1B} serious_adverse_events; {SEED} line"
FTR = "seed_facts [trial.fortress]"

FIGURES = (
    # Phase 1b: 56 enrolled (SAFFL), 54 evaluable (EFFFL), expanded cohort of 24 (EXPFL).
    Figure("Phase 1b enrolled and treated (subjects)", 56, 0, f"{P1B} n_enrolled",
           lambda: _safety("phase1b", "SAFFL").arms[0].n, 0),
    Figure("Phase 1b evaluable (subjects)", 54, 0, f"{P1B} n_evaluable",
           lambda: _arm_response("phase1b", "EFFFL")[0], 0),
    Figure("Phase 1b ORR, evaluable (%)", 29.6, 1, f"{P1B} orr_evaluable_pct; {SEED} line 2413",
           lambda: _arm_response("phase1b", "EFFFL")[1], 1),
    Figure("Phase 1b complete responses, evaluable (subjects)", 0, 0,
           f"{P1B} orr_evaluable_pct (all partial responses)",
           lambda: _response("phase1b", "EFFFL").arms[0].counts["CR"], 0),
    Figure("Phase 1b CBR, evaluable (%)", 44, 0, f"{P1B} cbr_evaluable_pct; {SEED} line 2413",
           lambda: _arm_response("phase1b", "EFFFL")[2], 1),
    Figure("Phase 1b median PFS, evaluable (months)", 6.2, 1, f"{P1B} median_pfs_months",
           lambda: _median("phase1b", "EFFFL", "PFS"), 2),
    Figure("Phase 1b median OS, evaluable (months)", 16.8, 1, f"{P1B} median_os_months",
           lambda: _median("phase1b", "EFFFL", "OS"), 2),
    Figure("Expansion cohort (subjects)", 24, 0, f"{EXP}.n",
           lambda: _arm_response("phase1b", "EXPFL")[0], 0),
    Figure("Expansion ORR (%)", 37.5, 1, f"{EXP}.orr_pct",
           lambda: _arm_response("phase1b", "EXPFL")[1], 1),
    Figure("Expansion CBR (%)", 63, 0, f"{EXP}.cbr_pct",
           lambda: _arm_response("phase1b", "EXPFL")[2], 1),
    Figure("Expansion median PFS (months)", 6.2, 1, f"{EXP}.median_pfs_months",
           lambda: _median("phase1b", "EXPFL", "PFS"), 2),
    Figure("Expansion median OS (months)", 18.0, 1, f"{EXP}.median_os_months",
           lambda: _median("phase1b", "EXPFL", "OS"), 2),
    Figure("Expansion 12-month OS (%)", 75, 0, f"{EXP}.os_12month_pct; {SEED} line 1288",
           lambda: _os_at_12_months("phase1b", "EXPFL"), 1),
    Figure("Expansion grade 3/4 neutropenia (subjects of 24)", 9, 0,
           f"{EXP}.grade34_neutropenia; {SEED} line 1976",
           lambda: _term("phase1b", "EXPFL", "NEUTROPENIA").n_grade3, 0),
    Figure("Phase 1b fatigue, any grade (subjects of 56)", 44, 0, f"{AE} 1975",
           lambda: _term("phase1b", "SAFFL", "FATIGUE").n_any, 0),
    Figure("Phase 1b neutropenia, any grade (subjects of 56)", 32, 0, f"{AE} 1976",
           lambda: _term("phase1b", "SAFFL", "NEUTROPENIA").n_any, 0),
    Figure("Phase 1b infusion-related reaction, any grade (subjects of 56)", 27, 0, f"{AE} 1977",
           lambda: _term("phase1b", "SAFFL", "INFUSION RELATED REACTION").n_any, 0),
    Figure("Phase 1b alopecia, any grade (subjects of 56)", 26, 0, f"{AE} 1978",
           lambda: _term("phase1b", "SAFFL", "ALOPECIA").n_any, 0),
    Figure("Phase 1b constipation, any grade (subjects of 56)", 26, 0, f"{AE} 1979",
           lambda: _term("phase1b", "SAFFL", "CONSTIPATION").n_any, 0),
    Figure("Phase 1b nausea, any grade (subjects of 56)", 25, 0, f"{AE} 1980",
           lambda: _term("phase1b", "SAFFL", "NAUSEA").n_any, 0),
    Figure("Phase 1b serious febrile neutropenia (subjects of 56)", 5, 0, f"{SAE} 1982",
           lambda: _term("phase1b", "SAFFL", "FEBRILE NEUTROPENIA").n_serious, 0),
    Figure("Phase 1b serious neutrophil count decreased (subjects of 56)", 2, 0, f"{SAE} 1983",
           lambda: _term("phase1b", "SAFFL", "NEUTROPHIL COUNT DECREASED").n_serious, 0),
    Figure("Phase 1b serious pneumonia (subjects of 56)", 2, 0, f"{SAE} 1984",
           lambda: _term("phase1b", "SAFFL", "PNEUMONIA").n_serious, 0),
    Figure("Phase 1b deaths from sepsis (subjects)", 1, 0, f"{SAE} 1985",
           lambda: _safety("phase1b", "SAFFL", "SEPSIS").arms[0].max_grade_counts["grade 5"],
           0),
    # FORTRESS: 432 randomised (ITTFL), >= 3rd-line efficacy population (EFFFL), treated (SAFFL).
    Figure("FORTRESS randomised (subjects)", 432, 0, f"{FTR} n_randomized", _randomised, 0),
    Figure("FORTRESS >= 3rd line, combination arm (subjects)", 165, 0,
           f"{FTR} third_line_plus_per_arm; {SEED} line 2718 gives n = 162",
           lambda: _arm_response("fortress", "EFFFL")[0], 0, margin=5),
    Figure("FORTRESS >= 3rd line, eribulin arm (subjects)", 165, 0,
           f"{FTR} third_line_plus_per_arm; {SEED} line 2718 gives n = 168",
           lambda: _arm_response("fortress", "EFFFL", ERIBULIN)[0], 0, margin=5),
    Figure("FORTRESS ORR, combination (%)", 13.0, 1, f"{FTR} orr_pct; {SEED} line 2719",
           lambda: _arm_response("fortress", "EFFFL")[1], 1),
    Figure("FORTRESS ORR, eribulin (%)", 13.7, 1, f"{FTR} orr_pct; {SEED} line 2719",
           lambda: _arm_response("fortress", "EFFFL", ERIBULIN)[1], 1),
    Figure("FORTRESS ORR p-value (CMH test by STRAT1)", 1.00, 2,
           f"{FTR} orr_p_value; {SEED} line 2719", _cmh_p, 3),
    Figure("FORTRESS CBR, combination (%)", 16.7, 1, f"{FTR} cbr_pct; {SEED} line 2720",
           lambda: _arm_response("fortress", "EFFFL")[2], 1),
    Figure("FORTRESS CBR, eribulin (%)", 19.6, 1, f"{FTR} cbr_pct; {SEED} line 2720",
           lambda: _arm_response("fortress", "EFFFL", ERIBULIN)[2], 1),
    Figure("FORTRESS median PFS, combination (months)", 3.5, 1,
           f"{FTR} median_pfs_months; {SEED} line 2721",
           lambda: _median("fortress", "EFFFL", "PFS"), 2),
    Figure("FORTRESS median PFS, eribulin (months)", 4.0, 1,
           f"{FTR} median_pfs_months; {SEED} line 2721",
           lambda: _median("fortress", "EFFFL", "PFS", ERIBULIN), 2),
    Figure("FORTRESS interim median OS, combination (months)", 11.0, 1,
           f"{FTR} median_os_months_interim; {SEED} line 2722",
           lambda: _median("fortress", "EFFFL", "OS"), 2),
    Figure("FORTRESS interim median OS, eribulin (months)", 11.2, 1,
           f"{FTR} median_os_months_interim; {SEED} line 2722",
           lambda: _median("fortress", "EFFFL", "OS", ERIBULIN), 2),
    Figure("FORTRESS serious TEAEs, combination (%)", 28, 0, f"{SEED} line 2726",
           lambda: _term("fortress", "SAFFL", "ANY TEAE").pct_serious, 1),
    Figure("FORTRESS serious TEAEs, eribulin (%)", 26.5, 1, f"{SEED} line 2726",
           lambda: _term("fortress", "SAFFL", "ANY TEAE", ERIBULIN).pct_serious, 1),
    Figure("FORTRESS TEAEs leading to death, combination (%)", 6.9, 1, f"{SEED} line 2727",
           lambda: _fatal_pct("fortress", COMBINATION), 1),
    Figure("FORTRESS TEAEs leading to death, eribulin (%)", 6.4, 1, f"{SEED} line 2727",
           lambda: _fatal_pct("fortress", ERIBULIN), 1),
    Figure("FORTRESS TEAEs grade >= 3, combination (%)", 68.3, 1, f"{SEED} line 2728",
           lambda: _term("fortress", "SAFFL", "ANY TEAE").pct_grade3, 1),
    Figure("FORTRESS TEAEs grade >= 3, eribulin (%)", 64.2, 1, f"{SEED} line 2728",
           lambda: _term("fortress", "SAFFL", "ANY TEAE", ERIBULIN).pct_grade3, 1),
    Figure("FORTRESS infusion-related reactions, combination (%)", 43.6, 1,
           f"{FTR} infusion_related_reaction_pct; {SEED} line 2729",
           lambda: _term("fortress", "SAFFL", "INFUSION RELATED REACTION").pct_any, 1),
    Figure("CXCR4 H-score HIGH (>= 200), FORTRESS-like ADSL (%)", 14, 0,
           "seed_facts [biomarker.cxcr4_ihc] phase1_high_fraction",
           _cxcr4_high_pct, 1, margin=2),
)  # fmt: skip


def _show(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def table() -> pd.DataFrame:
    """Published beside simulated, one row per figure."""
    rows = []
    for f in FIGURES:
        value = float(f.compute())
        rows.append(
            {
                "figure": f.name,
                "published": _show(f.published, f.places),
                "simulated": _show(value, f.decimals),
                "how": f.how,
                "difference": value - f.published,
                "source": f.source,
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("figure", FIGURES, ids=[f.name for f in FIGURES])
def test_the_examples_reproduce_the_published_figure(
    figure: Figure, record_property: Callable[[str, object], None]
) -> None:
    value = float(figure.compute())
    record_property("published", figure.published)
    record_property("simulated", value)
    record_property("tolerance", figure.tolerance)
    assert abs(value - figure.published) <= figure.tolerance + 1e-9, (
        f"{figure.name}: simulated {value:g}, published {figure.published:g} "
        f"({figure.source}), tolerance {figure.tolerance:g}"
    )


def _readme_rows() -> dict[str, list[str]]:
    """The README's table of published figures: figure name -> its other cells."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Published figures", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith("| figure |"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def test_the_readme_claims_exactly_these_figures_with_these_values() -> None:
    frame = table()
    with pd.option_context("display.width", 250, "display.max_colwidth", 60):
        print("\n" + frame.drop(columns="source").to_string(index=False))
    readme = _readme_rows()
    assert list(readme) == list(frame["figure"])
    for row in frame.itertuples(index=False):
        assert tuple(readme[str(row.figure)][:3]) == (row.published, row.simulated, row.how)


def test_populations_are_nested_and_the_efficacy_tables_hold_the_efficacy_population() -> None:
    for trial in ("phase1b", "fortress"):
        sl = _adsl(trial)
        assert set(sl["SIMULATED"]) == {"Y"}
        eff = set(_population(trial, "EFFFL")["USUBJID"])
        assert eff <= set(_population(trial, "SAFFL")["USUBJID"])
        for table_name in ("adrs", "adtte", "tr"):
            assert set(_raw(f"{trial}_{table_name}.csv")["USUBJID"]) == eff, table_name
        ae = set(_raw(f"{trial}_adae.csv")["USUBJID"])
        assert ae <= set(_population(trial, "SAFFL")["USUBJID"])
    assert set(_population("phase1b", "EXPFL")["USUBJID"]) <= set(
        _population("phase1b", "EFFFL")["USUBJID"]
    )


def test_deaths_agree_across_adae_and_adtte_and_adverse_events_are_treatment_emergent() -> None:
    for trial in ("phase1b", "fortress"):
        sl = _adsl(trial).set_index("USUBJID")
        ae = validate_adae(_raw(f"{trial}_adae.csv"), "adae", adsl=_adsl(trial))
        tte = _raw(f"{trial}_adtte.csv")
        os_ = tte[tte["PARAMCD"] == "OS"].set_index("USUBJID")
        last = ae.groupby("USUBJID")["ASTDY"].max()
        assert (last <= sl.loc[last.index, "TRTDURD"] + 30).all()
        for _, row in ae[ae["AETOXGR"] == 5].iterrows():
            if row["USUBJID"] in os_.index:  # a fatal TEAE is the OS event, on the same day
                rec = os_.loc[row["USUBJID"]]
                assert (float(rec["AVAL"]), rec["CNSR"]) == (row["ASTDY"], "0")
            assert (last[row["USUBJID"]]) == row["ASTDY"]  # nothing starts after death


def test_the_unstratified_fisher_p_is_not_the_published_one() -> None:
    """21/162 vs 23/168 by Fisher's exact test is p = 0.87; the published 1.00 is the CMH's."""
    r = _response("fortress", "EFFFL")
    assert r.fisher_orr is not None
    assert r.fisher_orr.p_value == pytest.approx(0.8726, abs=1e-4)
