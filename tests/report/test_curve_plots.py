"""Pictures of every curve of a batch fit (:mod:`cxcr4lab.report.curve_plots`), on simulated
curves (SIMULATED 4PL data, nM) fitted by the real batch fit: a PNG per curve, the HTML contact
sheet (hostile ids escaped, groups in flag order) and the A4 PDF sheet."""

from __future__ import annotations

import html
import io
import math
import re
import resource
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from cxcr4lab.fit.batch import fit_table
from cxcr4lab.fit.batch_result import BatchFitResult
from cxcr4lab.report.curve_plots import FLAG_ORDER, curve_plot_files, safe_file_names

CONC_NM = np.array([0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0])
HOSTILE = "<script>alert(1)</script>"
MATH = "$x^{$ 😀"  # unbalanced mathtext and a glyph the font lacks: drawn as text
PER_PAGE = 20
Spec = tuple[float, float, float, float, float]
"""bottom, top, IC50 (nM), Hill, noise SD"""


def _response(conc: np.ndarray, bottom: float, top: float, ic50: float, hill: float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.asarray(bottom + (top - bottom) / (1.0 + (conc / ic50) ** hill))


def _table(curves: Mapping[str, Spec | None], seed: int) -> pd.DataFrame:
    """Duplicate wells at ``CONC_NM``: ``(bottom, top, ic50 nM, hill, noise SD)``, or None for a
    flat curve at 100 (noise SD 4)."""
    rng = np.random.default_rng(seed)
    rows = []
    for curve_id, spec in curves.items():
        mean = np.full(CONC_NM.size, 100.0) if spec is None else _response(CONC_NM, *spec[:4])
        sd = 4.0 if spec is None else spec[4]
        for _ in range(2):
            y = mean + sd * rng.standard_normal(CONC_NM.size)
            rows += list(zip([curve_id] * CONC_NM.size, CONC_NM, y, strict=True))
    return pd.DataFrame(rows, columns=["curve_id", "concentration", "response"])


def _fit(frame: pd.DataFrame) -> BatchFitResult:
    table = fit_table(frame, "4pl", conc_unit="nM", inference=True)
    return BatchFitResult.from_table(table, source="screen.csv", model="4pl", unit="nM")


CURVES: dict[str, Spec | None] = {
    "good": (0.0, 100.0, 20.0, 1.0, 4.0),
    "good-2": (0.0, 100.0, 3.0, 1.2, 4.0),
    "flat": None,
    "steep": (0.0, 100.0, 20.0, 12.0, 2.0),
    "inverted": (100.0, 0.0, 20.0, 1.0, 4.0),
    "partial": (0.0, 100.0, 5000.0, 1.0, 4.0),
    HOSTILE: (0.0, 100.0, 5.0, 1.2, 4.0),
    "../../x": (0.0, 100.0, 300.0, 0.8, 4.0),
    "GOOD": (0.0, 100.0, 50.0, 1.0, 4.0),  # collides with "good" on a case-blind disk
    MATH: (0.0, 100.0, 10.0, 1.0, 4.0),
}


@dataclass(frozen=True)
class Drawn:
    result: BatchFitResult
    files: dict[str, bytes]
    calls: list[tuple[int, int]]

    @property
    def html(self) -> str:
        return self.files["index.html"].decode()

    def row(self, curve_id: str) -> int:
        return next(i for i, r in enumerate(self.result.rows) if r.curve_id == curve_id)


@pytest.fixture(scope="module")
def drawn() -> Drawn:
    frame = _table(CURVES, seed=11)
    result = _fit(frame)
    calls: list[tuple[int, int]] = []
    files = curve_plot_files(
        result, frame, molar_per_unit=1e-9, progress=lambda d, t: calls.append((d, t))
    )
    return Drawn(result, files, calls)


def _group(codes: tuple[str, ...]) -> str:
    return next((f for f in FLAG_ORDER if f in codes), "other" if codes else "")


def _resident_mb() -> float:
    """This process's resident memory (MB; Linux), else its peak so far."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        return int(statm.read_text().split()[1]) * resource.getpagesize() / 1e6
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pdf_pages(content: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", content))


def test_the_simulated_curves_get_the_flags_they_are_made_for(drawn: Drawn) -> None:
    flags = {r.curve_id: r.flag_codes for r in drawn.result.rows}
    assert flags["good"] == () and flags[HOSTILE] == () and flags[MATH] == ()
    assert "no_effect" in flags["flat"]
    assert "steep" in flags["steep"]
    assert "inverted" in flags["inverted"]
    assert "outside_range" in flags["partial"]


def test_one_decodable_png_per_curve(drawn: Drawn) -> None:
    pngs = {k: v for k, v in drawn.files.items() if k.startswith("curves/")}
    assert len(pngs) == len(drawn.result.rows)
    for name, content in pngs.items():
        assert content.startswith(b"\x89PNG\r\n\x1a\n"), name
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            assert image.size == (320, 240)
    assert set(drawn.files) == {*pngs, "index.html", "contact_sheet.pdf"}


def test_file_names_are_safe_unique_and_stay_in_the_folder(drawn: Drawn) -> None:
    names = [k for k in drawn.files if k.startswith("curves/")]
    for name in names:
        stem = name.removeprefix("curves/").removesuffix(".png")
        assert re.fullmatch(r"[A-Za-z0-9._-]+", stem), name
        assert not stem.startswith("."), name
    assert len({n.lower() for n in names}) == len(names)  # unique on a case-blind disk too
    assert safe_file_names(["a", "A", "a", "a-2", "", "..", "con"]) == [
        "a",
        "A-2",
        "a-3",
        "a-2-2",
        "curve",
        "__",
        "_con",
    ]


def test_index_escapes_every_id_and_links_only_into_the_folder(drawn: Drawn) -> None:
    page = drawn.html
    assert "<script" not in page.lower()
    assert html.escape(HOSTILE) in page
    assert "../../x" in page  # as caption text, escaped (nothing to escape in it)
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sources
    for src in sources:
        assert src.startswith("#") or re.fullmatch(r"curves/[A-Za-z0-9._-]+\.png", src), src
    pictures = re.findall(r'src="([^"]*)"', page)
    assert sorted(pictures) == sorted(k for k in drawn.files if k.startswith("curves/"))
    assert "://" not in page and "<link" not in page  # self-contained


def test_index_summarises_and_groups_by_flag_in_order(drawn: Drawn) -> None:
    page = drawn.html
    rows = drawn.result.rows
    assert f"{len(rows)} curves" in page
    counts: dict[str, int] = {}
    for r in rows:
        for code in r.flag_codes:
            counts[code] = counts.get(code, 0) + 1
    for code, n in counts.items():
        assert f"{code} {n}" in page
    headings = re.findall(r'<h2 id="group-\d+">([^:<]+)', page)
    expected = [
        g for g in (*FLAG_ORDER, "other", "") if any(_group(r.flag_codes) == g for r in rows)
    ]
    titles = {"": "unflagged", "other": "other flags"}
    assert headings == [titles.get(g, g) for g in expected]
    # each curve once, in the group of its first flag in that order
    sections = re.split(r'<h2 id="group-\d+">', page)[1:]
    for r in rows:
        caption = f"<figcaption>{html.escape(r.curve_id)}<br>"
        where = [i for i, s in enumerate(sections) if caption in s]
        assert where == [expected.index(_group(r.flag_codes))], r.curve_id


def test_a_flat_curve_gets_a_picture_without_a_fit(drawn: Drawn) -> None:
    i = drawn.row("flat")
    row = drawn.result.rows[i]
    assert row.ic50 is None and row.hill is None
    name = [k for k in drawn.files if k.startswith("curves/")][i]
    assert name == "curves/flat.png"
    with Image.open(io.BytesIO(drawn.files[name])) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert (pixels < 100).any()  # points and text were drawn
    assert "<figcaption>flat<br>no fit<br>" in drawn.html


def test_the_pdf_has_a_page_per_group_and_twenty_curves_a_page(drawn: Drawn) -> None:
    pdf = drawn.files["contact_sheet.pdf"]
    assert pdf.startswith(b"%PDF")
    groups: dict[str, int] = {}
    for r in drawn.result.rows:
        groups[_group(r.flag_codes)] = groups.get(_group(r.flag_codes), 0) + 1
    pages = sum(math.ceil(n / PER_PAGE) for n in groups.values())
    assert _pdf_pages(pdf) == pages
    n = len(drawn.result.rows)
    assert drawn.calls == [(k, n + pages) for k in range(1, n + pages + 1)]


def test_more_curves_than_max_curves_draws_the_first_and_says_so() -> None:
    curves = {f"c{k}": (0.0, 100.0, 10.0 * (k + 1), 1.0, 4.0) for k in range(25)}
    frame = _table(curves, seed=3)
    files = curve_plot_files(_fit(frame), frame, molar_per_unit=1e-9, max_curves=21)
    pngs = [k for k in files if k.startswith("curves/")]
    assert pngs == [f"curves/c{k}.png" for k in range(21)]
    assert "Only the first 21 of 25 curves are drawn" in files["index.html"].decode()
    assert _pdf_pages(files["contact_sheet.pdf"]) == 2  # 21 unflagged curves, 20 a page


def test_two_thousand_curves_finish_and_time_is_printed() -> None:
    """Not asserted (machines differ): ms per curve for the PNGs and for the PDF sheet."""
    rng = np.random.default_rng(2026)
    curves: dict[str, Spec | None] = {}
    for k in range(2000):
        kind = k % 10
        if kind == 0:
            curves[f"S{k:04d}"] = None
        elif kind == 1:
            curves[f"S{k:04d}"] = (0.0, 100.0, float(10 ** rng.uniform(0, 2)), 8.0, 3.0)
        else:
            ic50 = float(10 ** rng.uniform(-0.5, 3.0))
            curves[f"S{k:04d}"] = (0.0, 100.0, ic50, float(np.exp(rng.normal(0, 0.2))), 5.0)
    frame = _table(curves, seed=5)
    result = _fit(frame)
    stamps: list[tuple[int, float]] = []
    memory: dict[int, float] = {}

    def progress(done: int, _: int) -> None:
        stamps.append((done, time.perf_counter()))
        if done in (200, 2000):
            memory[done] = _resident_mb()

    started = time.perf_counter()
    files = curve_plot_files(result, frame, molar_per_unit=1e-9, progress=progress)
    ended = time.perf_counter()
    n = len(result.rows)
    png_end = next(t for d, t in stamps if d == n)
    pages = _pdf_pages(files["contact_sheet.pdf"])
    assert sum(k.startswith("curves/") for k in files) == n == 2000
    assert stamps[-1][0] == n + pages
    sizes = [len(v) for k, v in files.items() if k.startswith("curves/")]
    print(
        f"\n{n} curves: PNG {(png_end - started) / n * 1e3:.1f} ms per curve, "
        f"PDF {(ended - png_end) / n * 1e3:.1f} ms per curve ({pages} pages, "
        f"{len(files['contact_sheet.pdf']) / 1e6:.1f} MB); PNGs {sum(sizes) / 1e6:.1f} MB; "
        f"resident memory {memory[200]:.0f} MB after 200 PNGs, {memory[2000]:.0f} MB after 2000 "
        f"(growth {memory[2000] - memory[200]:.0f} MB, of which the PNGs kept "
        f"{sum(sizes[200:]) / 1e6:.0f} MB)"
    )
