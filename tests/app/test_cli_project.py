"""``cxcr4lab project add-analysis ID --project P``: move a stored analysis into a project."""

from __future__ import annotations

from collections.abc import Callable

from cxcr4lab.store import Store
from tests.conftest import CliRun


def _setup(db_url: str) -> tuple[int, int, int]:
    with Store(db_url) as store:
        store.accounts.create_user("ada", "a long password")
        lab = store.accounts.create_project("lab", "ada")
        other = store.accounts.create_project("other", "ada")
        analysis = store.save_analysis(
            kind="binding", title="plate 1", result={}, parameters={}, inputs=[]
        )
    return analysis, lab.id, other.id


def test_add_analysis_moves_it_and_a_second_time_changes_nothing(
    cli: Callable[..., CliRun], db_url: str
) -> None:
    analysis, lab, other = _setup(db_url)
    run = cli("project", "add-analysis", str(analysis), "--project", "lab")
    assert run.code == 0, run.err
    assert f"moved analysis #{analysis} into project lab" in run.out
    run = cli("project", "add-analysis", str(analysis), "--project", "lab")
    assert run.code == 0, run.err
    assert f"analysis #{analysis} is already in project lab; nothing changed" in run.out
    run = cli("project", "add-analysis", str(analysis), "--project", "other")
    assert run.code == 0, run.err
    assert f"moved analysis #{analysis} from project lab into other" in run.out
    with Store(db_url) as store:
        assert store.get(analysis).project_id == other
        assert store.count(project_ids=[lab]) == 0


def test_add_analysis_names_an_unknown_id_or_project(
    cli: Callable[..., CliRun], db_url: str
) -> None:
    analysis, _, _ = _setup(db_url)
    run = cli("project", "add-analysis", str(analysis + 41), "--project", "lab")
    assert run.code == 2
    assert f"no analysis with id {analysis + 41}" in run.err
    assert len(run.err.strip().splitlines()) == 1
    run = cli("project", "add-analysis", str(analysis), "--project", "nope")
    assert run.code == 2
    assert "--project: no project named 'nope' (projects: lab, other" in run.err
    with Store(db_url) as store:
        assert store.get(analysis).project_id is None
