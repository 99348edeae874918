"""Every kind of :data:`cxcr4lab.runs.KINDS` has each part and runs its example from the CLI.

The API and web form of every kind are checked in ``tests/web/test_runs_api.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import import_module, resources
from pathlib import Path

import pytest

from cxcr4lab.runs import KINDS, AnalysisKind, cli_flag, example_inputs, option_specs
from cxcr4lab.store import Store
from cxcr4lab.workflows import load_analysis
from tests.conftest import CliRun

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_each_kind_has_every_part(kind: AnalysisKind) -> None:
    assert kind.examples, f"{kind.name}: no bundled example"
    for example in kind.examples:
        assert "SIMULATED" in example.note or "public" in example.note, kind.name
        required = {i.name for i in kind.inputs if i.required}
        assert required <= set(example.files) <= {i.name for i in kind.inputs}, kind.name
    assert callable(kind.terminal_view()), kind.name
    assert (ROOT / kind.docs).is_file(), f"{kind.name}: no docs page {kind.docs}"
    specs = option_specs(kind.options)
    assert all(s.help.strip() for s in specs), kind.name
    assert not {s.name for s in specs} & {i.name for i in kind.inputs}, kind.name


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_each_kind_runs_its_example_from_the_cli_and_round_trips(
    kind: AnalysisKind, cli: Callable[..., CliRun], db_url: str, tmp_path: Path
) -> None:
    example = kind.examples[0]
    args = [*kind.command]
    for name, (file, content) in example_inputs(example).items():
        path = tmp_path / file
        path.write_bytes(content)
        flag = kind.input(name).flag
        args += [str(path)] if flag is None else [flag, str(path)]
    for name, value in example.options.items():
        args += [cli_flag(name), value]
    run = cli(*args, "--json")
    assert run.code == 0, run.err
    shown = json.loads(run.out)
    with Store(db_url) as store:
        saved = load_analysis(store, shown["id"])
        record = store.get(shown["id"])
    # exact round trip through the store (JSON has lists where the result has tuples)
    assert json.loads(json.dumps(saved.result.to_dict())) == record.result
    section = resources.files("cxcr4lab.report.sections").joinpath(f"{saved.result.kind}.py")
    assert section.is_file(), f"{kind.name}: no report section"
    import_module(f"cxcr4lab.report.sections.{saved.result.kind}")
