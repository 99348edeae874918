"""The interactive figures of every kind (``AnalysisKind.plots``, ``web/plots/<kind>.py``): each
kind declares them, they draw its bundled example from the stored result as strict JSON with
data in every figure, and the result page shows them above its report section."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from cxcr4lab.runs import KINDS, AnalysisKind, InputFile, example_inputs, run_kind
from cxcr4lab.web.figures import figures_for, heading, plain, takes_inputs
from tests.web.conftest import Lab
from tests.web.test_pages import browser  # noqa: F401 (the logged-in browser fixture)

NAME = re.compile(r"[a-z][a-z0-9_]*")
"""A figure name: the page's element id is ``plot-<name>``."""


def _has_data(trace: Mapping[str, Any]) -> bool:
    """Whether a trace has at least one value to draw."""
    for key in ("y", "x", "z", "values"):
        values = trace.get(key)
        if isinstance(values, list) and any(
            v is not None and (not isinstance(v, list) or any(u is not None for u in v))
            for v in values
        ):
            return True
    return False


def _stored(kind: AnalysisKind) -> tuple[Any, dict[str, InputFile]]:
    """The kind's first example run and read back as the page reads it (JSON round trip)."""
    example = kind.examples[0]
    inputs = example_inputs(example)
    result = run_kind(kind.name, inputs, dict(example.options)).result
    stored = json.loads(json.dumps(result.to_dict()))
    return kind.result_class().from_dict(stored), inputs


def _check(name: str, figures: Any) -> None:
    assert isinstance(figures, dict) and figures, f"{name}: no figures"
    json.dumps(figures, allow_nan=False)  # strict JSON: no NaN, no numpy, no objects
    for key, figure in figures.items():
        assert NAME.fullmatch(key), f"{name}: figure name {key!r} is not an element id"
        assert heading(key), key
        assert set(figure) == {"data", "layout"}, (name, key)
        assert isinstance(figure["layout"], dict), (name, key)
        assert figure["data"], f"{name}/{key}: no traces"
        assert all("type" in t for t in figure["data"]), (name, key)
        assert any(_has_data(t) for t in figure["data"]), f"{name}/{key}: no trace with data"


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_every_kind_declares_its_figures(kind: AnalysisKind) -> None:
    assert kind.plots == f"cxcr4lab.web.plots.{kind.name}:figures", kind.name
    assert callable(kind.plot_function()), kind.name


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_the_figures_draw_the_bundled_example_from_the_stored_result(kind: AnalysisKind) -> None:
    result, inputs = _stored(kind)
    draw = kind.plot_function()
    assert draw is not None
    figures = draw(result, inputs) if takes_inputs(draw) else draw(result)
    _check(kind.name, figures)
    assert figures_for(result, lambda: inputs) == plain(figures)
    if takes_inputs(draw):  # without the input files: what the result holds
        _check(kind.name, draw(result, None))
        _check(kind.name, figures_for(result))


def test_the_kinds_taking_input_files_are_those_keeping_no_samples() -> None:
    taking = {n for n, k in KINDS.items() if (f := k.plot_function()) and takes_inputs(f)}
    assert taking == {"elisa", "fit", "nca"}


def test_input_files_add_the_elisa_heatmap_and_the_nca_samples() -> None:
    elisa, files = _stored(KINDS["elisa"])
    assert set(figures_for(elisa, lambda: files)) == {"standard", "heatmap"}
    assert set(figures_for(elisa)) == {"standard"}
    nca, files = _stored(KINDS["nca"])
    kept = figures_for(nca)
    assert set(kept) == {"concentrations", "means", "lambda_z", "exposure"}
    assert len(kept["concentrations"]["data"][0]["x"]) == 11  # the result keeps the samples
    # a result stored before it kept them reads them from its input file
    old = dataclasses.replace(
        nca,
        subjects=tuple(
            dataclasses.replace(s, sample_times=(), sample_concs=(), sample_states=())
            for s in nca.subjects
        ),
    )
    with_samples = figures_for(old, lambda: files)["concentrations"]["data"]
    without = figures_for(old)["concentrations"]["data"]
    first = with_samples[0]
    assert first["name"] == "1" and len(first["x"]) == 11  # Theoph subject 1: 11 samples
    assert len(without[0]["x"]) == 2  # Cmax and Clast only
    unreadable = {"data": ("theoph.csv", b"nothing,useful\n1,2\n")}
    assert figures_for(old, lambda: unreadable)["concentrations"]["data"][0]["x"] == without[0]["x"]


def test_no_figures_for_a_result_of_no_kind() -> None:
    class Other:
        kind = "nothing"

    assert figures_for(Other()) == {}


def test_plain_makes_strict_json() -> None:
    import numpy as np

    got = plain({"a": (1.0, float("nan"), np.float64(2.5), np.int64(3), np.array([np.inf, 1]))})
    assert got == {"a": [1.0, None, 2.5, 3, [None, 1.0]]}
    assert json.dumps(got, allow_nan=False)


@pytest.mark.parametrize("name", ["nca", "survival"])
def test_the_page_shows_the_figures_and_loads_the_report_section_on_demand(
    lab: Lab,
    browser: httpx.Client,  # noqa: F811
    name: str,
) -> None:
    example = KINDS[name].examples[0]
    with lab.client("alice") as client:
        made = client.post(
            f"/api/runs/{name}",
            data={"project": "alpha", **example.options},
            files=example_inputs(example),
        )
    assert made.status_code == 201, made.text
    aid = made.json()["id"]
    page = browser.get(f"/analyses/{aid}")
    assert page.status_code == 200
    shown = re.findall(r'id="plot-([a-z0-9_]+)" class="plot"', page.text)
    nca = ["concentrations", "means", "lambda_z", "exposure"]
    expected = nca if name == "nca" else ["kaplan_meier", "forest"]
    assert shown == expected
    assert 'id="figures"' in page.text and "/static/plotly.min.js" in page.text
    block = re.search(r'<script type="application/json" id="figures">(.*?)</script>', page.text)
    assert block is not None and list(json.loads(block.group(1))) == expected
    # The report section (matplotlib) is not rendered with the page: collapsed below the
    # figures, fetched from its own address when opened.
    details = f'<details id="report-section" data-src="/analyses/{aid}/section">'
    assert page.text.index('id="plot-') < page.text.index(details)
    assert "<svg" not in page.text
    section = browser.get(f"/analyses/{aid}/section")
    assert section.status_code == 200 and "<svg" in section.text
    assert "<html" not in section.text.lower()  # a fragment, not a document
    with httpx.Client(base_url=lab.base) as anonymous:
        refused = anonymous.get(f"/analyses/{aid}/section")
        assert refused.status_code == 303 and "/login" in refused.headers["location"]


# --- synergy -------------------------------------------------------------------------------------


def _synergy_stored(example: int) -> Any:
    """A synergy example run with 10 bootstrap iterations, read back as the page reads it."""
    kind = KINDS["synergy"]
    outcome = kind.run(example_inputs(kind.examples[example]), kind.options(iterations=10))
    return kind.result_class().from_dict(json.loads(json.dumps(outcome.result.to_dict())))


_SYNERGY_MAPS = ["bliss_synergy", "hsa_synergy", "loewe_synergy", "zip_synergy"]


@pytest.mark.parametrize(
    ("example", "chou"), [(0, []), (1, ["combination_index", "isobologram"])], ids=["doc", "eri"]
)
def test_the_synergy_figures_of_both_examples(example: int, chou: list[str]) -> None:
    figures = figures_for(_synergy_stored(example))
    _check("synergy", figures)
    assert list(figures) == ["response_matrix", *_SYNERGY_MAPS, "synergy_surface", *chou]
    matrix = figures["response_matrix"]
    trace = matrix["data"][0]
    assert trace["type"] == "heatmap" and trace["x"][0] == "0" and trace["y"][0] == "0"
    assert matrix["layout"]["xaxis"]["type"] == "category"
    assert matrix["layout"]["xaxis"]["title"]["text"] == "balixafortide (nM)"
    zip_map = figures["zip_synergy"]
    assert zip_map["data"][0]["zmin"] == -zip_map["data"][0]["zmax"]  # centred on 0
    assert [s["type"] for s in zip_map["layout"]["shapes"]] == ["rect"]  # the 3x3 area
    surface = figures["synergy_surface"]
    assert surface["data"][0]["type"] == "surface"
    assert "ZIP synergy surface" in surface["layout"]["title"]["text"]
    if chou:
        names = [t.get("name", "") for t in figures["combination_index"]["data"]]
        assert any(n.startswith("wells") for n in names)
        assert any(n.startswith("ray ") for n in names)


def test_the_synergy_figures_of_a_screen_without_replicates_scored_by_bliss_alone() -> None:
    import numpy as np

    from cxcr4lab.combination import BlockSet, SynergySettings, analyse_blocks, make_block

    dose = [0.0, 1.0, 3.0, 10.0]
    d = np.array(dose)
    y = 100 * (1 - (1 - d[:, None] / (d[:, None] + 3)) * (1 - d[None, :] / (d[None, :] + 5)))
    blocks = tuple(make_block(dose, dose, y, block_id=f"b{k}", unit_r="uM") for k in range(2))
    result = analyse_blocks(
        BlockSet("screen.csv", blocks), SynergySettings(methods=("bliss",), iteration=10)
    )
    figures = figures_for(result)
    _check("synergy", figures)
    assert list(figures) == ["response_matrix", "bliss_synergy", "synergy_surface"]
    for figure in figures.values():
        assert "Block b0 (first of 2 blocks)" in figure["layout"]["title"]["text"]
    assert "Bliss synergy surface" in figures["synergy_surface"]["layout"]["title"]["text"]
    assert "no replicates" in figures["bliss_synergy"]["layout"]["title"]["text"]
