"""The report section of a synergy analysis (``report/sections/synergy.py``): both bundled
examples, a block without replicates scored by Bliss alone, a screen drawn for its first blocks
only, refused blocks, and undefined values shown as "-" with their reason once."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest

from cxcr4lab.combination import (
    BlockProblem,
    BlockSet,
    SynergyResult,
    SynergySettings,
    analyse_blocks,
    make_block,
)
from cxcr4lab.report.sections import render_section
from cxcr4lab.report.sections.synergy import DETAIL_BLOCKS
from cxcr4lab.runs import KINDS, example_inputs

DOSE = [0.0, 1.0, 3.0, 10.0, 30.0]


def _stored(example: int) -> SynergyResult:
    """A bundled example run with 10 bootstrap iterations, read back as the store does."""
    kind = KINDS["synergy"]
    outcome = kind.run(example_inputs(kind.examples[example]), kind.options(iterations=10))
    result = kind.result_class().from_dict(json.loads(json.dumps(outcome.result.to_dict())))
    assert isinstance(result, SynergyResult)
    return result


@pytest.fixture(scope="module")
def docetaxel() -> SynergyResult:
    return _stored(0)


@pytest.fixture(scope="module")
def eribulin() -> SynergyResult:
    return _stored(1)


def _block(block_id: str, shift: float = 1.0) -> Any:
    """A 5 x 5 block of two Hill drugs, one value per cell; ``shift`` < 1 makes the combination
    more potent than Bliss independence (synergy)."""
    d = np.array(DOSE)
    a = 100 * d / (d + 4.0)
    b = 100 * d**1.2 / (d**1.2 + 8.0**1.2)
    y = 100 * (1 - (1 - a[:, None] / 100) * (1 - b[None, :] / 100))
    y[1:, 1:] = np.minimum(y[1:, 1:] / shift, 99.0)
    return make_block(DOSE, DOSE, y, block_id=block_id, drug_row="A", drug_col="B", unit_r="nM")


def _text(html: str) -> str:
    """The section without its pictures."""
    return re.sub(r"<svg.*?</svg>", "", html, flags=re.S)


def _captions(html: str) -> list[str]:
    return re.findall(r"<caption>(.*?)</caption>", html, flags=re.S)


def test_the_eribulin_example_has_every_part(eribulin: SynergyResult) -> None:
    html = render_section(3, "Eribulin x balixafortide", eribulin)
    text = _text(html)
    assert html.startswith('<section id="analysis-3">')
    # matrix, maps, surface, fa-CI plot, normalised and classic isobologram
    assert html.count("<svg") == 6
    assert "SIMULATED example data" in text
    captions = " | ".join(_captions(text))
    assert "Block scores (mean over the combination cells)" in captions
    assert "Sensitivity (SynergyFinder)" in captions
    assert "Chou-Talalay CI and DRI of every combination well" in captions
    assert "Median-effect fits of the single drugs" in captions
    assert "Fixed-ratio rays of the matrix" in captions
    assert "MuSyC synergy parameters" in captions
    for header in (
        "<th>score (% inhibition above the reference)</th>",
        "<th>95% CI (bootstrap, % inhibition)</th>",
        "<th>reading (SynergyFinder)</th>",
        '<th class="l">eribulin (nM)</th><th>balixafortide (nM)</th><th>fa</th><th>CI</th>',
        "<th>CI 95% interval</th><th>DRI eribulin (fold)</th><th>DRI balixafortide (fold)</th>",
        "<th>RI (% inhibition)</th>",
    ):
        assert header in text, header
    for method in ("Bliss", "HSA", "Loewe", "ZIP"):
        assert f'<td class="l">{method}</td>' in text
    assert "likely synergistic" in text
    assert "alpha12" in text and "gamma21" in text and "beta" in text
    assert "potency synergy alpha &gt; 1, efficacy synergy beta &gt; 0" in text
    assert "Median CI over the 75 wells" in text
    assert not re.search(r"\bnan\b", text, flags=re.I)


def test_the_docetaxel_example_says_once_why_the_ci_is_undefined(
    docetaxel: SynergyResult,
) -> None:
    html = render_section(1, "Docetaxel x balixafortide", docetaxel)
    text = _text(html)
    assert html.count("<svg") == 3  # matrix, maps, surface: no CI, so no fa-CI or isobologram
    assert "The CI is undefined in every well." in text
    assert "DRI of docetaxel defined in 75 wells" in text
    assert "Not drawn: fa-CI plot, normalised isobologram, classic isobologram." in text
    reason = "balixafortide: slope m = -0.0698 is not positive"
    assert text.count(f"&#34;-&#34; in the CI table: {reason}") == 1
    table = next(t for t in re.findall(r"<table>.*?</table>", text, flags=re.S) if "DRI" in t)
    rows = re.findall(r"<tr><td.*?</tr>", table)
    assert len(rows) == 75  # 25 combination cells x 3 replicate wells
    cells = re.findall(r"<td[^>]*>(.*?)</td>", rows[0])
    assert cells[:3] == ["0.3", "30", "0.107"]
    assert cells[3] == cells[4] == cells[6] == "-"  # CI, its interval, balixafortide's DRI
    assert float(cells[5]) > 1  # docetaxel's DRI is defined
    assert reason not in table  # the reason is not repeated per well
    assert not re.search(r"\bnan\b", text, flags=re.I)


def test_a_block_without_replicates_scored_by_bliss_alone() -> None:
    result = analyse_blocks(
        BlockSet("my_plate.csv", (_block("only", 0.8),)),
        SynergySettings(methods=("bliss",), iteration=10),
    )
    html = render_section(2, "Bliss only", result)
    text = _text(html)
    assert html.count("<svg") == 3  # matrix, the Bliss map, the Bliss surface
    assert "SIMULATED" not in text
    assert "No replicates: no bootstrap interval" in text
    assert '<td class="l">Bliss</td>' in text and "HSA" not in text
    assert "Chou-Talalay" not in text and "MuSyC" not in text
    assert "1 replicate well(s) per cell" in text
    assert "Bliss synergy surface" in html


def test_a_screen_is_drawn_for_its_first_blocks_and_tabled_in_full() -> None:
    blocks = tuple(_block(f"b{k}", 0.7 + 0.1 * k) for k in range(DETAIL_BLOCKS + 2))
    problems = (BlockProblem("broken", "cell (conc_r=1 nM, conc_c=3 nM) is missing", 12),)
    result = analyse_blocks(
        BlockSet("screen.csv", blocks, problems),
        SynergySettings(methods=("bliss", "zip", "ci"), iteration=10),
    )
    html = render_section(4, "Screen", result)
    text = _text(html)
    n = len(blocks)
    assert f"A screen of {n} blocks" in text
    assert f"first {DETAIL_BLOCKS} blocks only (b0, b1, b2)" in text
    summary = re.findall(r"<table>.*?</table>", text, flags=re.S)[0]
    for block in blocks:
        assert f'<td class="l">{block.block_id}</td>' in summary
    assert "Other scores of every block" in text
    assert "Refused blocks (not scored)" in text
    assert "cell (conc_r=1 nM, conc_c=3 nM) is missing" in text
    assert "<td>12</td>" in text  # the input row of the refused block
    headings = re.findall(r"<h3>(.*?)</h3>", text)
    assert any(h.startswith("Block b2: ") for h in headings)
    assert not any(h.startswith(f"Block b{DETAIL_BLOCKS}: ") for h in headings)
    # matrix, maps and surface per drawn block; CIs defined here, so the fa-CI plot too
    assert html.count("<svg") >= 4 * DETAIL_BLOCKS
