"""Shared fixtures: `cli` runs the command line against a temporary SQLite database."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cxcr4lab.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "cxcr4lab" / "examples" / "binding"


@dataclass
class CliRun:
    code: int
    out: str
    err: str


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'lab.sqlite'}"
    monkeypatch.setenv("CXCR4LAB_DATABASE_URL", url)
    monkeypatch.setenv("CXCR4LAB_WORK_CACHE", str(tmp_path / "cache"))  # never the user's cache
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("CXCR4LAB_DEBUG", raising=False)  # errors are one line, not tracebacks
    return url


@pytest.fixture
def cli(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., CliRun]:
    def run(*args: str) -> CliRun:
        monkeypatch.setattr(sys, "argv", ["cxcr4lab", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run
