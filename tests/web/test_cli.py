"""``cxcr4lab user create|token``, ``cxcr4lab project create|add-member``, and analyses filed
under a project from the command line (``--project``)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cxcr4lab.store import Store
from tests.conftest import CliRun
from tests.web.conftest import ServerThread, free_port


def test_user_and_project_commands(
    cli: Callable[..., CliRun], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ada", "bob"):
        monkeypatch.setattr(sys, "stdin", io.StringIO("a long password\n"))
        run = cli("user", "create", name, "--password-stdin")
        assert run.code == 0, run.err
        assert f"created user {name}" in run.out
    run = cli("project", "create", "lab", "--owner", "ada", "--member", "bob")
    assert run.code == 0 and "created project lab" in run.out
    token = cli("user", "token", "ada").out.strip()
    with Store(db_url) as store:
        ada = store.accounts.authenticate("ada", "a long password")
        assert ada is not None and store.accounts.user_for_token(token) == ada
        bob = store.accounts.user("bob")
        assert [p.name for p in store.accounts.projects_of(bob.id)] == ["lab"]


def test_bad_names_are_refused(cli: Callable[..., CliRun], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long password\n"))
    run = cli("user", "create", "../root", "--password-stdin")
    assert run.code != 0
    assert "not a valid name" in run.out + run.err
    run = cli("project", "create", "lab", "--owner", "nobody")
    assert run.code != 0 and "nobody" in run.out + run.err


def test_cli_analyses_filed_under_a_project_are_seen_on_the_web(
    cli: Callable[..., CliRun], db_url: str
) -> None:
    from cxcr4lab.web import Settings, create_app
    from cxcr4lab.workflows import example_bytes

    with Store(db_url) as store:
        ada = store.accounts.create_user("ada", "a long password")
        eve = store.accounts.create_user("eve", "a long password")
        lab = store.accounts.create_project("lab", "ada")
        store.accounts.create_project("other", "eve")
        tokens = {u.name: store.accounts.create_token(u.id) for u in (ada, eve)}
    examples = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples"
    arrestin = ("analyze", "arrestin", str(examples / "arrestin" / "plate96_run1.csv"))
    arrestin += ("--layout", str(examples / "arrestin" / "layout96.toml"))
    binding = ("analyze", "binding", str(examples / "binding" / "plate96_run1.csv"))
    binding += ("--layout", str(examples / "binding" / "layout96.toml"))
    binding += ("--radioligand-conc", "0.1nM", "--kd", "0.5nM")
    for args in (arrestin, binding):
        run = cli(*args, "--project", "lab")
        assert run.code == 0, run.err

    bad = cli(*arrestin, "--project", "nope")
    assert bad.code == 2
    assert "--project: no project named 'nope' (projects: lab, other" in bad.err
    assert cli(*binding, "--project", "lab", "--no-save").code == 2
    assert cli(*arrestin).code == 0  # no --project: stored in no project, as before

    with Store(db_url) as store:
        stored = {s.id: s.project_id for s in store.list()}
    assert sorted(stored.values(), key=str) == [lab.id, lab.id, None]
    settings = Settings(database_url=db_url, secret_key="t" * 32)
    port = free_port()
    with (
        ServerThread(create_app(settings), port),
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as web,
    ):
        seen = web.get("/api/analyses", headers={"Authorization": f"Bearer {tokens['ada']}"})
        hidden = web.get("/api/analyses", headers={"Authorization": f"Bearer {tokens['eve']}"})
        first = seen.json()["items"][-1]
        page = web.get(
            f"/api/analyses/{first['id']}", headers={"Authorization": f"Bearer {tokens['ada']}"}
        )
    assert {i["kind"] for i in seen.json()["items"]} == {"arrestin", "binding"}
    assert hidden.json()["total"] == 0
    assert page.status_code == 200 and page.json()["project_id"] == lab.id
    assert example_bytes("arrestin", "plate96_run1.csv")[0] in first["input_names"]


def test_dossier_refuses_an_unknown_project_before_storing_anything(
    cli: Callable[..., CliRun], db_url: str, tmp_path: Path
) -> None:
    run = cli("dossier", "--out", str(tmp_path / "report"), "--project", "nope")
    assert run.code == 2
    assert "--project: no project named 'nope'" in run.err
    with Store(db_url) as store:
        assert store.list() == []
    assert not (tmp_path / "report").exists()


def test_serve_refuses_a_non_positive_upload_limit(cli: Callable[..., CliRun]) -> None:
    run = cli("serve", "--max-upload-mb", "0")
    assert run.code == 2
    assert "--max-upload-mb" in run.out + run.err
