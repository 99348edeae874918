"""The web figures of a batch fit (``web/plots/fit.py``): the curve explorer (every curve's data,
fit and IC50 from a drop-down, grouped by flag as the contact sheet is), the flag counts, and the
overlay and IC50 histogram that need no input file; strict plain JSON, escaped data texts."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from typing import Any

import numpy as np
import pytest

from cxcr4lab.fit.batch_result import BatchFitResult, CurveRow
from cxcr4lab.fit.flags import FLAG_TEXT
from cxcr4lab.runs import KINDS, InputFile, example_inputs
from cxcr4lab.runs._options import parse_options
from cxcr4lab.web.figures import figures_for
from cxcr4lab.web.plots.fit import EXPLORER_CURVES, LABEL_LIMIT, figures, screening_order
from tests.figure_checks import check_figures

NAME = re.compile(r"[a-z][a-z0-9_]*")
HOSTILE = "<img src=x onerror=alert(1)>"
CONCENTRATIONS = (0.1, 0.3162, 1, 3.162, 10, 31.62, 100, 316.2)  # nM


def _run(inputs: dict[str, InputFile], **options: str) -> BatchFitResult:
    """The fit kind run on ``inputs``, read back as the page reads it (JSON round trip)."""
    kind = KINDS["fit"]
    merged = {**dict(kind.examples[0].options), **options}
    result = kind.run(inputs, parse_options(kind.options, merged)).result
    back = kind.result_class().from_dict(json.loads(json.dumps(result.to_dict())))
    assert isinstance(back, BatchFitResult)
    return back


@pytest.fixture(scope="module")
def example() -> tuple[BatchFitResult, dict[str, InputFile]]:
    kind = KINDS["fit"]
    inputs = example_inputs(kind.examples[0])
    return _run(inputs), inputs


def _responses(inputs: dict[str, InputFile]) -> dict[str, list[float]]:
    """The responses of each curve of a long CSV, in file order."""
    found: dict[str, list[float]] = {}
    for line in csv.DictReader(io.StringIO(inputs["curves"][1].decode())):
        found.setdefault(line["curve_id"], []).append(float(line["response"]))
    return found


def _curve_csv(ids: list[str], *, unit: str | None = None) -> bytes:
    """A long CSV of falling 4PL curves (bottom 0, top 100, Hill 1) with IC50s of 1, 3, 10 ... nM
    and a little deterministic noise."""
    rng = np.random.default_rng(7)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["curve_id", "concentration", "response", *(["unit"] if unit else [])])
    for i, curve_id in enumerate(ids):
        ic50 = 10 ** (i / 2)
        for c in CONCENTRATIONS:
            y = 100 / (1 + c / ic50) + rng.normal(0, 2)
            writer.writerow([curve_id, c, round(y, 3), *([unit] if unit else [])])
    return out.getvalue().encode()


def _check(found: dict[str, Any]) -> None:
    check_figures(found)


def _visible(fig: dict[str, Any], button: dict[str, Any]) -> list[dict[str, Any]]:
    """The traces a drop-down button shows."""
    shown = button["args"][0]["visible"]
    assert len(shown) == len(fig["data"])
    return [t for t, on in zip(fig["data"], shown, strict=True) if on]


def test_the_explorer_shows_every_curve_of_the_example_flat_ones_first(
    example: tuple[BatchFitResult, dict[str, InputFile]],
) -> None:
    result, inputs = example
    found = figures(result, inputs)
    assert list(found) == ["curve_explorer", "curves", "ic50", "flag_counts"]
    _check(found)
    explorer = found["curve_explorer"]
    (menu,) = explorer["layout"]["updatemenus"]
    assert menu["type"] == "dropdown"
    buttons = menu["buttons"]
    assert len(buttons) == len(result.rows) == 20
    assert all(b["method"] == "update" for b in buttons)
    labels = [b["label"] for b in buttons]
    flat = [r.curve_id for r in result.rows if r.flag_codes == ("no_effect",)]
    assert len(flat) == 3
    assert labels[:3] == [f"no_effect · {i}" for i in flat]
    ok = [r.curve_id for r in result.rows if not r.flags]
    assert labels[3:] == [f"ok · {i}" for i in ok]
    # the initial view is the first curve: its traces, title and flag box
    first = _visible(explorer, buttons[0])
    assert [t["visible"] for t in explorer["data"]] == buttons[0]["args"][0]["visible"]
    assert [t["name"] for t in first] == ["data"]  # a flat curve: no fit, no IC50
    assert explorer["layout"]["title"]["text"] == buttons[0]["args"][1]["title.text"]
    assert explorer["layout"]["title"]["text"].startswith(f"{flat[0]}: IC50 n/a")
    (box,) = explorer["layout"]["annotations"]
    assert box == buttons[0]["args"][1]["annotations"][0]
    assert FLAG_TEXT["no_effect"] in box["text"] and "no_effect" in box["text"]
    assert explorer["layout"]["xaxis"]["type"] == "log"
    assert "nM" in explorer["layout"]["xaxis"]["title"]["text"]


def test_each_button_shows_that_curves_data_fit_and_ic50(
    example: tuple[BatchFitResult, dict[str, InputFile]],
) -> None:
    result, inputs = example
    explorer = figures(result, inputs)["curve_explorer"]
    responses = _responses(inputs)
    rows = {r.curve_id: r for r in result.rows}
    for button in explorer["layout"]["updatemenus"][0]["buttons"]:
        curve_id = button["label"].split(" · ", 1)[1]
        row = rows[curve_id]
        traces = {t["name"]: t for t in _visible(explorer, button)}
        data = traces["data"]
        assert data["y"] == responses[curve_id]  # the input's responses, in file order
        assert data["x"] == [pytest.approx(c) for c in CONCENTRATIONS]  # in nM, as the file
        if row.flags:
            assert set(traces) == {"data"}
            continue
        assert set(traces) == {"data", "4pl fit", "IC50 (95% CI)"}
        fit = traces["4pl fit"]
        ys = [y for y in fit["y"] if y is not None]
        assert len(ys) == len(fit["y"]) > 50
        assert min(fit["x"]) < min(CONCENTRATIONS) and max(fit["x"]) > max(CONCENTRATIONS)
        assert row.bottom is not None and row.top is not None
        assert min(ys) >= min(row.bottom, row.top) - 1e-6
        ic50 = traces["IC50 (95% CI)"]
        assert ic50["x"] == [row.ic50]
        assert ic50["y"] == [pytest.approx((row.bottom + row.top) / 2, rel=1e-6)]
        assert row.ic50 is not None and row.ic50_upper is not None and row.ic50_lower is not None
        assert ic50["error_x"]["array"] == [pytest.approx(row.ic50_upper - row.ic50)]
        assert ic50["error_x"]["arrayminus"] == [pytest.approx(row.ic50 - row.ic50_lower)]
        assert "no flags" in button["args"][1]["annotations"][0]["text"]
        assert f"{row.ic50:.3g} nM" in button["args"][1]["title.text"]


def test_the_flag_counts_of_the_example(
    example: tuple[BatchFitResult, dict[str, InputFile]],
) -> None:
    result, inputs = example
    for found in (figures(result, inputs), figures(result)):
        (bars,) = found["flag_counts"]["data"]
        assert bars["type"] == "bar" and bars["orientation"] == "h"
        assert bars["y"] == ["no_effect", "ok"]
        assert bars["x"] == [3, 17]
        assert "20 curves" in found["flag_counts"]["layout"]["title"]["text"]


def test_without_readable_inputs_the_old_figures_and_no_explorer(
    example: tuple[BatchFitResult, dict[str, InputFile]],
) -> None:
    result, inputs = example
    name, content = inputs["curves"]
    unreadable: list[dict[str, InputFile] | None] = [
        None,
        {},
        {"curves": ("curves.xlsx", content)},  # only long .csv tables are read
        {"curves": (name, b"nothing,useful\n1,2\n")},
        {"curves": (name, content.replace(b"c01,", b"zz,"))},  # not the result's curves
    ]
    for files in unreadable:
        found = figures(result, files)
        assert list(found) == ["curves", "ic50", "flag_counts"], files
        _check(found)
    assert list(figures(result)) == ["curves", "ic50", "flag_counts"]
    assert figures_for(result) == figures(result)
    assert figures_for(result, lambda: inputs) == figures(result, inputs)


def test_hostile_curve_ids_are_escaped_everywhere() -> None:
    long_id = "L" * 100
    ids = [HOSTILE, "c&d", long_id]
    inputs: dict[str, InputFile] = {"curves": ("curves.csv", _curve_csv(ids))}
    result = _run(inputs)
    assert [r.curve_id for r in result.rows] == ids
    found = figures(result, inputs)
    assert "curve_explorer" in found
    _check(found)
    text = json.dumps(found)
    assert HOSTILE not in text and "<img" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    labels = [b["label"] for b in found["curve_explorer"]["layout"]["updatemenus"][0]["buttons"]]
    assert "ok · &lt;img src=x onerror=alert(1)&gt;" in labels
    assert "ok · c&amp;d" in labels
    longest = next(b for b in labels if "LLL" in b)
    assert len(longest) == LABEL_LIMIT and longest.endswith("…")
    names = [t["name"] for t in found["curves"]["data"]]
    assert "&lt;img src=x onerror=alert(1)&gt;" in names


def test_a_unit_per_curve_draws_no_explorer() -> None:
    inputs: dict[str, InputFile] = {"curves": ("curves.csv", _curve_csv(["a", "b"], unit="nM"))}
    result = _run(inputs)
    assert result.unit == "per curve"
    found = figures(result, inputs)
    assert "curve_explorer" not in found and "flag_counts" in found
    _check(found)


def test_the_explorer_holds_the_first_curves_of_a_large_batch(
    example: tuple[BatchFitResult, dict[str, InputFile]],
) -> None:
    _, inputs = example
    lines = inputs["curves"][1].decode().splitlines()
    copies = math.ceil((EXPLORER_CURVES + 20) / 20)
    body = [f"r{k}_{line}" for k in range(copies) for line in lines[1:]]
    big: dict[str, InputFile] = {"curves": ("big.csv", "\n".join([lines[0], *body]).encode())}
    result = _run(big)
    n = len(result.rows)
    assert n == 20 * copies > EXPLORER_CURVES
    explorer = figures(result, big)["curve_explorer"]
    buttons = explorer["layout"]["updatemenus"][0]["buttons"]
    assert len(buttons) == EXPLORER_CURVES
    flat = 3 * copies
    assert all(b["label"].startswith("no_effect · ") for b in buttons[:flat])
    assert all(b["label"].startswith("ok · ") for b in buttons[flat:])
    assert f"first {EXPLORER_CURVES} of {n}" in explorer["layout"]["title"]["text"]
    assert all(f"of the first {EXPLORER_CURVES}" in b["args"][1]["title.text"] for b in buttons)
    json.dumps(explorer, allow_nan=False)


def _row(curve_id: str, flags: str) -> CurveRow:
    return CurveRow(
        curve_id, "4pl", True, 0.0, 100.0, 1.0, None, None, None, None, None, None, 8, flags
    )


def test_the_screening_order_follows_the_contact_sheet() -> None:
    rows = [
        _row("plain", ""),
        _row("bound", "at_bound"),
        _row("wide", "wide_ci"),
        _row("steep", "steep;outside_range"),
        _row("failed", "ci_unbounded;not_converged"),
        _row("shallow", "shallow"),
        _row("flat", "no_effect"),
        _row("plain2", ""),
    ]
    order = [r.curve_id for r in screening_order(rows)]
    assert order == ["failed", "flat", "steep", "shallow", "wide", "bound", "plain", "plain2"]
    result = BatchFitResult("curves.csv", "4pl", "nM", tuple(rows))
    (bars,) = figures(result)["flag_counts"]["data"]
    assert bars["y"] == [
        "not_converged",
        "no_effect",
        "outside_range",
        "steep",
        "shallow",
        "wide_ci",
        "ci_unbounded",
        "at_bound",
        "ok",
    ]
    assert bars["x"] == [1, 1, 1, 1, 1, 1, 1, 1, 2]
