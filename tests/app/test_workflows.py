"""Analyses saved with their inputs read back as equal result objects."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.runs import KINDS, Outcome, example_inputs, input_blobs, run_kind
from cxcr4lab.store import Store
from cxcr4lab.workflows import SavedAnalysis, load_analysis, save_result

BINDING = KINDS["binding"]
OPTIONS = {"radioligand_conc": "0.1 nM", "kd": "0.5 nM"}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'lab.sqlite'}")


def run_binding(files: dict[str, tuple[str, bytes]], block: str | None = None) -> Outcome:
    return run_kind("binding", files, {**OPTIONS, "block": block})


def save(store: Store, files: dict[str, tuple[str, bytes]], title: str) -> SavedAnalysis:
    outcome = run_binding(files)
    return save_result(
        store,
        outcome.result,
        title=title,
        inputs=input_blobs(BINDING, files),
        parameters=dict(outcome.parameters),
    )


@pytest.mark.parametrize("index", [0, 1, 2])
def test_saved_analysis_reads_back_equal(store: Store, index: int) -> None:
    example = BINDING.examples[index]
    files = example_inputs(example)
    saved = save(store, files, example.title)
    loaded = load_analysis(store, saved.id)
    assert loaded.result == run_binding(files).result
    assert loaded.title == example.title
    record = store.get(saved.id)
    hashes = {ref.role: ref.sha256 for ref in record.inputs}
    assert hashes["plate"] == hashlib.sha256(files["plate"][1]).hexdigest()
    assert hashes["layout"] == hashlib.sha256(files["layout"][1]).hexdigest()
    assert store.input_content(hashes["plate"]) == files["plate"][1]
    assert record.parameters["radioligand_molar"] == pytest.approx(0.1e-9, rel=1e-12)
    assert record.parameters["kd_molar"] == pytest.approx(0.5e-9, rel=1e-12)
    assert record.parameters["block"] == loaded.result.block


def test_reading_back_survives_reopening(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lab.sqlite'}"
    files = example_inputs(BINDING.examples[0])
    with Store(url) as first:
        analysis_id = save(first, files, "first").id
    with Store(url) as second:
        assert load_analysis(second, analysis_id).result == run_binding(files).result


def test_multi_block_files_need_a_block_name() -> None:
    files = example_inputs(BINDING.examples[0])
    text = files["plate"][1].decode()
    doubled = (text + "\n" + text.replace("Plate 1 - CCPM", "Plate 2 - CCPM")).encode()
    two = {**files, "plate": ("two.csv", doubled)}
    with pytest.raises(InputError, match="choose one by its block name"):
        run_binding(two)
    outcome = run_binding(two, block="Plate 2 - CCPM")
    assert outcome.parameters["block"] == "Plate 2 - CCPM"
    assert outcome.title.endswith("[Plate 2 - CCPM]")
    with pytest.raises(InputError, match="no block named"):
        run_binding(two, block="Plate 3")
