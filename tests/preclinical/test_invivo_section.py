"""The report section and the web figures of an in-vivo study (``report/sections/invivo.py``,
``web/plots/invivo.py``): the bundled SIMULATED PC-3-luc example with every part, the public
SynergyLMM study without a design, endpoints or combination design, and the data helpers the
pictures are drawn from (Kaplan-Meier steps, geometric means, the waterfall's final values)."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cxcr4lab.preclinical import read_animal_table, read_design, read_endpoints
from cxcr4lab.preclinical.efficacy import AnimalEvent, GroupSurvival, TimeToEndpoint
from cxcr4lab.report.sections import render_section
from cxcr4lab.report.sections.invivo import (
    burden_summary,
    endpoint_values_figure,
    final_relative_burden,
    group_colours,
    kaplan_meier_steps,
    study_groups,
)
from cxcr4lab.studies.invivo import InvivoStudyResult, analyse_study
from cxcr4lab.web.plots.invivo import figures
from tests.figure_checks import check_figures

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "src" / "cxcr4lab" / "examples" / "invivo"
PUBLIC = ROOT / "tests" / "data" / "invivo" / "grwth_data.csv"
NAME = re.compile(r"[a-z][a-z0-9_]*")


def _stored(result: InvivoStudyResult) -> InvivoStudyResult:
    """The result read back as the store does (JSON round trip)."""
    back = InvivoStudyResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert isinstance(back, InvivoStudyResult)
    return back


@pytest.fixture(scope="module")
def example() -> InvivoStudyResult:
    design = read_design((EXAMPLE / "design.toml").read_bytes(), "design.toml")
    table = read_animal_table((EXAMPLE / "study.csv").read_bytes(), "study.csv", design=design)
    endpoints = read_endpoints((EXAMPLE / "endpoints.csv").read_bytes(), "endpoints.csv")
    return _stored(analyse_study(table, endpoints=endpoints))


@pytest.fixture(scope="module")
def public() -> InvivoStudyResult:
    """SynergyLMM's public example: no design (so no combination arms), no endpoints."""
    table = read_animal_table(
        PUBLIC.read_bytes(),
        "grwth_data.csv",
        columns={
            "subject": "animal_id",
            "Time": "day",
            "Treatment": "group",
            "TumorVolume": "volume_mm3",
        },
    )
    table = dataclasses.replace(table, control="Control")  # no design names it
    return _stored(analyse_study(table))


@pytest.fixture(scope="module")
def example_html(example: InvivoStudyResult) -> str:
    return render_section(7, "PC-3-luc", example)


def _text(html: str) -> str:
    """The section without its pictures."""
    return re.sub(r"<svg.*?</svg>", "", html, flags=re.S)


def _captions(html: str) -> str:
    return " | ".join(re.findall(r"<caption>(.*?)</caption>", html, flags=re.S))


def _headings(html: str) -> list[str]:
    return re.findall(r"<h3>(.*?)</h3>", html)


def test_the_example_section_has_every_part(example_html: str) -> None:
    html = example_html
    text = _text(html)
    assert html.startswith('<section id="analysis-7">')
    meta = re.search(r'<p class="meta">(.*?)</p>', text, flags=re.S)
    assert meta is not None and meta.group(1).startswith("SIMULATED example data")
    assert _headings(text) == [
        "Study design",
        "Tumour burden over time",
        "Waterfall of the final relative burden",
        "TGI and T/C on day 28",
        "Group comparisons on day 28",
        "Tumour growth model (mixed model, log scale)",
        "Time to endpoint",
        "In-vivo synergy (SynergyLMM, Bliss and HSA)",
        "Tumour-growth-inhibition PK/PD model (Simeoni)",
        "Endpoint biomarkers and tissue scores",
        "Mouse-to-human translation of balixafortide (SIMULATED)",
        "Dropouts, deaths, exclusions, flags and notes",
    ]
    # burden, waterfall, growth rates, Kaplan-Meier, synergy, TGI model, endpoint values, forest,
    # occupancy
    assert html.count("<svg") == 9
    captions = _captions(text)
    for caption in (
        "Groups and treatments",
        "Geometric mean BLI total flux (p/s) per group and study day",
        "TGI and T/C of BLI total flux on day 28 against vehicle",
        "NCI activity: median T/C &lt;= 42 %",
        "p adjusted by Dunnett&#39;s many-to-one test",
        "Adjusted AUC of log10 relative total flux",
        "Growth rates and doubling times",
        "Rate contrasts (per day)",
        "Kaplan-Meier medians",
        "Log-rank tests",
        "Combination index and synergy score by day",
        "The study in its own terms",
        "Simeoni model parameters",
        "Group &#39;combination&#39;: observed against the additive prediction",
        "Effects per marker",
        "Unbound exposure and occupancy",
        "Dropouts, deaths, humane endpoints and exclusions",
    ):
        assert caption in captions, caption
    # the design with doses, units, routes and schedules
    assert "<td>5 mg/kg</td><td>i.p.</td><td>weekly (QW)</td>" in text
    assert "<td>20 mg/kg</td><td>s.c.</td><td>twice daily (BID)</td>" in text
    # both TGI conventions named, in the text and the columns
    assert "TGI delta = (1 - (T_t - T_0) / (C_t - C_0)) x 100" in text
    assert "<th>TGI delta (%)</th><th>TGI RTF (%)</th>" in text
    # synergy: both models over the days, and the seed's terms
    assert text.count('<td class="l">Bliss</td>') == 4 and text.count('<td class="l">HSA</td>') == 4
    assert "combination vs docetaxel" in text and "burden reduction vs control (%)" in text
    # translation: mouse against human, with units
    assert "human 5.5 mg/kg 2-h IV infusion" in text and "unbound Cmax (nM)" in text
    assert "time &gt;= 90 % occupancy (h/day)" in text
    # the TGI model: its parameters with units, threshold concentrations, the interaction
    assert '<td class="l">lambda0</td>' in text and "L/mg/day" in text
    assert "Threshold concentration C_T = lambda0 / k2" in text
    assert "Interaction gamma (Terranova et al. 2013; 0 = additivity)" in text
    # the dropout with its reason
    assert '<td class="l">V06</td><td>vehicle</td><td>0 to 24</td><td>dropout</td>' in text
    assert "pathological fracture" in text
    # no "nan": undefined values are "-", said once why
    assert not re.search(r"\bnan\b", text, flags=re.I)
    assert text.count("&#34;-&#34; in the tables:") == 1
    assert "a log-rank test without events is undefined" in text


def test_the_example_draws_every_animals_endpoint_values(example_html: str) -> None:
    """The stored result keeps the endpoint table: box and strip plots, not summaries only."""
    assert "not every animal&#39;s value" not in _text(example_html)
    assert "Group summaries (dot: geometric mean" not in example_html


def test_a_public_study_without_design_endpoints_or_combination(public: InvivoStudyResult) -> None:
    assert public.arms is None and public.endpoints is None and public.translation is None
    assert public.tgi is None and any("no TGI model" in n for n in public.notes)
    html = render_section(2, "SynergyLMM example", public)
    text = _text(html)
    assert "SIMULATED" not in text
    assert _headings(text) == [
        "Study design",
        "Tumour burden over time",
        "Waterfall of the final relative burden",
        "TGI and T/C on day 30",
        "Group comparisons on day 30",
        "Tumour growth model (mixed model, log scale)",
        "Time to endpoint",
        "In-vivo synergy",
        "Endpoint biomarkers and tissue scores",
        "Dropouts, deaths, exclusions, flags and notes",
    ]
    assert "No study design was given" in text
    assert "Not computed: the design has no two monotherapies" in text
    assert "No endpoint table was given" in text
    assert "No dropout, death, humane endpoint or exclusion." in text
    assert "Geometric mean tumour volume (mm^3)" in _captions(text)
    assert "<th>TGI delta (%)</th><th>TGI RTV (%)</th>" in text
    assert html.count("<svg") == 4  # burden, waterfall, growth rates, Kaplan-Meier
    assert not re.search(r"\bnan\b", text, flags=re.I)


def _check_figures(found: dict[str, Any]) -> None:
    check_figures(found, with_y=True)


def test_the_web_figures_of_the_example(example: InvivoStudyResult) -> None:
    found = figures(example)
    assert list(found) == [
        "tumour_burden",
        "waterfall",
        "kaplan_meier",
        "synergy_score",
        "combination_index",
        "endpoint_effects",
        "tgi_model",
        "occupancy",
    ]
    _check_figures(found)
    burden = found["tumour_burden"]
    assert burden["layout"]["yaxis"]["type"] == "log"
    assert "p/s" in burden["layout"]["yaxis"]["title"]["text"]
    assert burden["layout"]["title"]["text"].startswith("SIMULATED")
    means = [t for t in burden["data"] if t.get("mode") == "lines+markers"]
    assert [t["legendgroup"] for t in means] == [
        "vehicle",
        "docetaxel",
        "balixafortide",
        "combination",
    ]
    assert len([t for t in burden["data"] if t.get("opacity")]) == 40  # one line per animal
    score = found["synergy_score"]
    assert [t["name"] for t in score["data"] if t.get("name")] == [
        "Bliss (95% CI)",
        "HSA (95% CI)",
    ]
    assert sum(t.get("fill") == "toself" for t in score["data"]) == 2  # the CI bands
    effects = found["endpoint_effects"]
    menu = effects["layout"]["updatemenus"][0]
    assert [b["label"] for b in menu["buttons"]][:2] == ["TRAcP 5b", "IFN-gamma"]
    assert effects["layout"]["xaxis"]["type"] == "log"  # TRAcP: ratio of geometric means
    occupancy = found["occupancy"]
    assert [t["name"] for t in occupancy["data"]] == [
        "mouse 20 mg/kg s.c. BID",
        "human 5.5 mg/kg 2-h IV infusion",
    ]


def test_the_web_figures_of_the_public_study(public: InvivoStudyResult) -> None:
    found = figures(public)
    assert list(found) == ["tumour_burden", "waterfall", "kaplan_meier"]
    _check_figures(found)
    assert "mm³" in found["tumour_burden"]["layout"]["yaxis"]["title"]["text"]


def test_the_pictures_numbers_agree_with_the_analysis(example: InvivoStudyResult) -> None:
    """The geometric mean of the burden is the per-day comparison's mean log10 flux; the
    waterfall's last value of the dropout is early; the groups keep the design's order."""
    assert study_groups(example.table) == ["vehicle", "docetaxel", "balixafortide", "combination"]
    summary = burden_summary(example.table, example.burden)
    at = summary[(summary["group"] == "vehicle") & (summary["day"] == 28.0)].iloc[0]
    comparisons = example.efficacy.comparisons
    assert comparisons is not None
    assert at["n"] == 9
    assert math.log10(at["geometric_mean"]) == pytest.approx(
        comparisons.comparisons[0].mean_reference, rel=1e-12
    )
    assert at["lower"] < at["geometric_mean"] < at["upper"]
    final = final_relative_burden(example.table, example.burden, 28.0)
    assert len(final) == 40
    v06 = final[final["animal_id"] == "V06"].iloc[0]
    assert bool(v06["early"]) and v06["day"] == 21.0
    assert list(final["relative"]) == sorted(final["relative"], reverse=True)
    # the TGI picture: the fitted curve at day 0 is w0, the combination's dashed curve is the
    # stored additive prediction
    tgi, combo = example.tgi, example.tgi_combination
    assert tgi is not None and combo is not None
    traces = {t["name"]: t for t in figures(example)["tgi_model"]["data"] if t.get("name")}
    vehicle = traces["vehicle (fitted)"]
    assert vehicle["x"][0] == 0.0 and vehicle["y"][0] == pytest.approx(tgi.params["w0"], rel=1e-9)
    additive = traces["combination (additive prediction)"]
    assert additive["line"]["dash"] == "dash"
    at_28 = additive["y"][additive["x"].index(28.0)]
    assert at_28 == pytest.approx(combo.predicted_additive[-1], rel=1e-6)


def test_kaplan_meier_steps_are_the_product_limit_estimate() -> None:
    def event(animal: str, group: str, time: float, hit: bool) -> AnimalEvent:
        return AnimalEvent(animal, group, time, hit, "endpoint" if hit else "censored: dropout")

    animals = (
        event("a1", "A", 5.0, True),
        event("a2", "A", 7.0, False),
        event("a3", "A", 10.0, True),
        event("a4", "A", 10.0, True),
        event("a5", "A", 12.0, False),
        event("b1", "B", 20.0, False),
    )
    groups = (
        GroupSurvival("A", 5, 3, 10.0, None, None),
        GroupSurvival("B", 1, 0, None, None, None),
    )
    tte = TimeToEndpoint("test", "B", animals, groups, None, ())
    a, b = kaplan_meier_steps(tte)
    assert a.times == (0.0, 5.0, 10.0)
    # 1 - 1/5 = 0.8; then 2 of the 3 at risk at day 10: 0.8 x 1/3
    assert a.survival == pytest.approx((1.0, 0.8, 0.8 / 3))
    assert a.censored_times == (7.0, 12.0)
    assert a.censored_survival == pytest.approx((0.8, 0.8 / 3))
    assert (b.times, b.survival, b.censored_times) == ((0.0,), (1.0,), (20.0,))


def test_box_and_strip_plots_when_every_animal_value_is_at_hand(
    example: InvivoStudyResult,
) -> None:
    from cxcr4lab.report.figures import to_svg

    assert example.endpoints is not None
    values = read_endpoints((EXAMPLE / "endpoints.csv").read_bytes(), "endpoints.csv").frame()
    colours = group_colours(study_groups(example.table), example.efficacy.control)
    fig = endpoint_values_figure(example.endpoints, values, example.table, colours)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == len(set(values["marker"]))
    ki67 = next(ax for ax in panels if ax.get_title() == "Ki67")
    assert ki67.get_ylabel() == "Ki67 (% positive nuclei)"
    points = sum(np.size(line.get_xdata()) for line in ki67.lines if line.get_marker() == "o")
    assert points == int((values["marker"] == "Ki67").sum())  # every animal drawn
    assert not fig.texts  # no "group summaries" title: these are the values
    assert to_svg(fig).startswith("<svg")
