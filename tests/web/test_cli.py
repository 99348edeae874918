"""``cxcr4lab user create|token`` and ``cxcr4lab project create|add-member``."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable

import pytest

from cxcr4lab.store import Store
from tests.conftest import CliRun


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
