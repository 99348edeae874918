"""Analyses saved with their inputs read back as equal result objects."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cxcr4lab.core.errors import InputError
from cxcr4lab.store import Store
from cxcr4lab.workflows import (
    EXAMPLE_SETTINGS,
    analyse_binding,
    example_binding_runs,
    load_analysis,
    save_binding,
)

SETTINGS = EXAMPLE_SETTINGS


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'lab.sqlite'}")


@pytest.mark.parametrize("index", [0, 1, 2])
def test_saved_analysis_reads_back_equal(store: Store, index: int) -> None:
    example, plate, layout = example_binding_runs()[index]
    run = analyse_binding(plate, layout, SETTINGS)
    saved = save_binding(store, run, title=example.title)
    loaded = load_analysis(store, saved.id)
    assert loaded.result == run.result
    assert loaded.title == example.title
    record = store.get(saved.id)
    hashes = {ref.role: ref.sha256 for ref in record.inputs}
    assert hashes["plate"] == hashlib.sha256(plate[1]).hexdigest()
    assert hashes["layout"] == hashlib.sha256(layout[1]).hexdigest()
    assert store.input_content(hashes["plate"]) == plate[1]


def test_reading_back_survives_reopening(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lab.sqlite'}"
    _, plate, layout = example_binding_runs()[0]
    run = analyse_binding(plate, layout, SETTINGS)
    with Store(url) as first:
        analysis_id = save_binding(first, run).id
    with Store(url) as second:
        assert load_analysis(second, analysis_id).result == run.result


def test_multi_block_files_need_a_block_name(tmp_path: Path) -> None:
    _, (_, content), layout = example_binding_runs()[0]
    text = content.decode()
    doubled = (text + "\n" + text.replace("Plate 1 - CCPM", "Plate 2 - CCPM")).encode()
    with pytest.raises(InputError, match="choose one with --block"):
        analyse_binding(("two.csv", doubled), layout, SETTINGS)
    run = analyse_binding(("two.csv", doubled), layout, SETTINGS, block="Plate 2 - CCPM")
    assert run.block == "Plate 2 - CCPM" and run.n_blocks == 2
    with pytest.raises(InputError, match="no block named"):
        analyse_binding(("two.csv", doubled), layout, SETTINGS, block="Plate 3")
