"""The dossier's worker processes (``--jobs``): the same store, results and report as one process,
each step timed; a refusal names the example. Its wall-clock time is measured by
``benchmarks/dossier.py``, not here."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from markupsafe import escape

from cxcr4lab import runs
from cxcr4lab.commands.dossier import (
    DOSSIER_STATEMENT,
    analyse_example,
    auto_jobs,
    dossier_analyses,
)
from cxcr4lab.core.cache import Cache
from cxcr4lab.core.errors import Cxcr4labError
from cxcr4lab.report.html import potency_summary_html, render_report
from cxcr4lab.report.sections import render_section
from cxcr4lab.runs import KINDS, Example, example_inputs, run_kind
from cxcr4lab.store import Store
from tests.conftest import CliRun

QUICK = ("chemotaxis", "ihc", "three_plus_three", "compare")
"""Kinds with quick dossier examples (chemotaxis measures potencies: the summary is drawn)."""


ALL = runs.dossier_examples()


def _quick() -> list[tuple[runs.AnalysisKind, Example]]:
    return [(k, e) for k, e in ALL if k.name in QUICK]


def _same_svg(html: str) -> str:
    """``html`` with matplotlib's random SVG ids (clip paths, glyphs) and the date made equal."""
    html = re.sub(r"\b(id=\"|url\(#|href=\"#)([a-z]+?)[0-9a-f]{10}(?![0-9a-f])", r"\1\2ID", html)
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "DATE", html)


def _analyses(tmp_path: Path, jobs: int) -> tuple[list[object], str, list[tuple[int, str, str]]]:
    with Store(f"sqlite:///{tmp_path / f'jobs{jobs}.sqlite'}") as store:
        analyses, summary = dossier_analyses(store, _quick(), jobs=jobs)
        stored = [(r.id, r.kind, r.title) for r in store.list(limit=100)]
    return analyses, summary, sorted(stored)


def test_workers_store_and_draw_what_one_process_does(tmp_path: Path) -> None:
    quick = _quick()
    assert len(quick) >= 5 and len({k.name for k, _ in quick}) == len(QUICK)
    one, summary_one, stored_one = _analyses(tmp_path, jobs=1)
    two, summary_two, stored_two = _analyses(tmp_path, jobs=2)
    assert stored_one == stored_two  # ids in the examples' order, whoever finished first
    assert [(a.id, a.kind, a.title) for a in one] == [  # type: ignore[attr-defined]
        (i, k.name, e.title) for i, (k, e) in enumerate(quick, start=1)
    ]
    for a, b in zip(one, two, strict=True):
        assert json.dumps(a.result.to_dict()) == json.dumps(b.result.to_dict())  # type: ignore[attr-defined]
        assert _same_svg(a.html) == _same_svg(b.html)  # type: ignore[attr-defined]
        assert min(b.run_s, b.run_cpu_s, b.save_s, b.render_s) >= 0  # type: ignore[attr-defined]
    assert "<svg" in summary_one and _same_svg(summary_one) == _same_svg(summary_two)


def test_a_report_from_sections_drawn_beforehand_is_the_same() -> None:
    analyses = []
    for i, (kind, example) in enumerate(_quick()[:3], start=1):
        outcome = run_kind(kind.name, example_inputs(example), dict(example.options))
        analyses.append((i, example.title, outcome.result))
    drawn = render_report(
        analyses,
        sections=[render_section(*a) for a in analyses],
        summary_html=potency_summary_html(analyses),
    )
    assert _same_svg(drawn) == _same_svg(render_report(analyses))
    with pytest.raises(ValueError, match="2 sections for 3 analyses"):
        render_report(analyses, sections=["", ""])


def test_a_second_dossier_reads_back_what_the_first_made(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    runs_made = []
    for n in range(2):
        with Store(f"sqlite:///{tmp_path / f'cached{n}.sqlite'}") as store:
            analyses, summary = dossier_analyses(store, _quick(), jobs=1, cache=cache)
            stored = [
                (r.id, r.kind, r.title, store.get(r.id).result) for r in store.list(limit=100)
            ]
        runs_made.append((analyses, summary, sorted(stored)))
    (first, summary1, stored1), (second, summary2, stored2) = runs_made
    assert not any(a.cached for a in first) and all(a.cached for a in second)
    assert stored1 == stored2  # the store holds the same analyses, result for result
    for a, b in zip(first, second, strict=True):
        assert json.dumps(a.result.to_dict()) == json.dumps(b.result.to_dict())
        assert type(a.result) is type(b.result)
        assert a.html == b.html  # the section drawn the first time, byte for byte
    assert summary1 == summary2
    # other options are another analysis: nothing is read back for them
    kind, example = next((k, e) for k, e in _quick() if k.name == "ihc")
    assert analyse_example(kind.name, example, cache).cached
    other = Example(example.title, example.folder, example.files, {"cutoff": "150"})
    assert not analyse_example(kind.name, other, cache).cached
    assert analyse_example(kind.name, other, cache).cached
    # a damaged entry is a miss: the analysis is done again and kept anew
    with Cache(cache) as kept:
        for garbage in (b"\xff not json", b'{"result": {"kind": 1}}', b"[]"):
            for key in list(kept._cache.iterkeys()):  # every entry: this analysis's too
                kept.put(key, garbage)
            again = analyse_example(kind.name, other, cache)
            assert not again.cached
            assert json.dumps(again.result.to_dict()) == json.dumps(
                analyse_example(kind.name, other, cache).result.to_dict()
            )


def test_a_refused_example_names_itself(tmp_path: Path) -> None:
    bad = Example("Curves with a bad option", "fit", {"curves": "curves.csv"}, {"model": "9pl"})
    with Store(f"sqlite:///{tmp_path / 'bad.sqlite'}") as store:
        with pytest.raises(Cxcr4labError, match=r"'Curves with a bad option'.*model"):
            dossier_analyses(store, [(KINDS["fit"], bad)], jobs=1)
        assert store.list() == []


def test_the_command_runs_workers_and_writes_its_timings(
    cli: Callable[..., CliRun], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runs, "dossier_examples", _quick)
    timings = tmp_path / "steps.json"
    run = cli("dossier", "--out", str(tmp_path / "out"), "--jobs", "2", "--timings", str(timings))
    assert run.code == 0, run.err
    assert f"Stored {len(_quick())} analyses" in run.out and "(2 processes)" in run.out
    record = json.loads(timings.read_text(encoding="utf-8"))
    assert record["jobs"] == 2 and record["total_s"] >= record["analyses_s"] > 0
    assert [s["title"] for s in record["steps"]] == [e.title for _, e in _quick()]
    assert {"run_s", "run_cpu_s", "save_s", "render_s", "render_cpu_s"} <= set(record["steps"][0])
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert all(escape(e.title) in html for _, e in _quick())
    # One statement that the examples are simulated opens the dossier (not one banner per
    # example), and each section carries its own provenance line right under its title.
    assert html.count('class="banner"') == 1 and DOSSIER_STATEMENT in html
    titles = re.findall(r"<h2>#(\d+) [^<]*</h2>(<p class=\"provenance\">[^<]*</p>)?", html)
    assert len(titles) == len(_quick())
    for (number, line), (kind, example) in zip(titles, _quick(), strict=True):
        assert line, f"#{number} has no provenance line"
        assert f"Analysis #{number} ({kind.name})" in line
        assert escape(example.note.strip().rstrip(".")) in line  # SIMULATED or public: says how
        for file, content in example_inputs(example).values():
            digest = hashlib.sha256(content).hexdigest()[:12]
            assert f"{escape(file)} (sha256 {digest}…)" in line


def test_a_report_of_a_stored_analysis_says_where_its_numbers_come_from(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    kind, example = _quick()[0]
    args = [*kind.command]
    for name, (file, content) in example_inputs(example).items():
        (tmp_path / file).write_bytes(content)
        flag = kind.input(name).flag
        args += [str(tmp_path / file)] if flag is None else [flag, str(tmp_path / file)]
    for name, value in example.options.items():
        args += [f"--{name.replace('_', '-')}", value]
    assert cli(*args).code == 0
    run = cli("report", "1", "--out", str(tmp_path / "out"))
    assert run.code == 0, run.err
    html = (tmp_path / "out" / "analysis-1.html").read_text(encoding="utf-8")
    line = re.search(r'</h2><p class="provenance">([^<]*)</p>', html)
    assert line is not None
    assert f"Analysis #1 ({kind.name}), cxcr4lab" in line.group(1)
    assert " UTC." in line.group(1)  # when it was stored
    assert html.count('class="banner"') == 0


def test_provenance_lines_must_match_the_analyses() -> None:
    with pytest.raises(ValueError, match="1 provenance lines for 0 analyses"):
        render_report([], provenance=["x"])


def test_automatic_jobs_are_the_usable_cpus_within_the_cap() -> None:
    assert 1 <= auto_jobs() <= 4
