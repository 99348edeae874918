"""Startup: importing the CLI stays light, a small ``fit`` loads only what it needs, and
``--no-save`` never opens (or creates) the results database. The wall-clock figures are
measured by ``benchmarks/cli_latency.py``; these tests pin the causes, not the seconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from tests.conftest import CliRun

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "cxcr4lab" / "examples"
HEAVY = (
    "alembic",
    "dask",
    "fastapi",
    "jinja2",
    "lifelines",
    "matplotlib",
    "numba",
    "numpy",
    "pandas",
    "pint",
    "plotly",
    "scipy",
    "sqlalchemy",
)
"""Libraries ``cxcr4lab --help`` must not import."""


def _one_curve(tmp_path: Path) -> Path:
    x = np.linspace(-10.0, -4.75, 8)
    y = 100.0 / (1.0 + 10.0 ** (x + 7.0)) + np.array([2, -2, 2, -2, 2, -2, 2, -2])
    path = tmp_path / "curves.csv"
    pd.DataFrame({"curve_id": "A", "concentration": 10.0**x, "response": y}).to_csv(
        path, index=False
    )
    return path


def _loaded_after(code: str, tmp_path: Path) -> list[str]:
    """Top-level packages imported by ``code`` run in a fresh interpreter (which prints
    nothing else on stdout), with the database pointed at a file in ``tmp_path``."""
    probe = (
        f"{code}\nimport json, sys\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    env = {**os.environ, "CXCR4LAB_DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite'}"}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_and_its_help_import_no_heavy_library(tmp_path: Path) -> None:
    help_run = (
        "import sys\nfrom cxcr4lab.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass"
    )
    for code in ("import cxcr4lab.cli", help_run):
        assert set(HEAVY).isdisjoint(_loaded_after(code, tmp_path)), code
    assert not (tmp_path / "probe.sqlite").exists()


def test_a_one_curve_fit_needs_no_numba_pint_database_or_plotting(tmp_path: Path) -> None:
    curves = _one_curve(tmp_path)
    code = (
        "import contextlib, io\nfrom cxcr4lab.cli import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        app(['fit', {str(curves)!r}, '--no-save'])\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, exc.code"
    )
    loaded = _loaded_after(code, tmp_path)
    assert {"pandas", "numpy"} <= set(loaded)  # it did fit
    unwanted = {"numba", "pint", "dask", "sqlalchemy", "alembic", "matplotlib", "plotly"}
    assert unwanted.isdisjoint(loaded)
    assert not (tmp_path / "probe.sqlite").exists()


def test_no_save_creates_no_database(
    cli: Callable[..., CliRun], db_url: str, tmp_path: Path
) -> None:
    database = Path(db_url.removeprefix("sqlite:///"))
    fit = cli("fit", str(_one_curve(tmp_path)), "--no-save")
    assert fit.code == 0, fit.err
    assert "1 converged" in fit.out
    binding = cli(
        "analyze",
        "binding",
        str(EXAMPLES / "binding" / "plate96_run1.csv"),
        "--layout",
        str(EXAMPLES / "binding" / "layout96.toml"),
        "--radioligand-conc",
        "0.1nM",
        "--kd",
        "0.5nM",
        "--no-save",
    )
    assert binding.code == 0, binding.err
    arrestin = cli(
        "analyze",
        "arrestin",
        str(EXAMPLES / "arrestin" / "plate96_run1.csv"),
        "--layout",
        str(EXAMPLES / "arrestin" / "layout96.toml"),
        "--no-save",
        "--json",
    )
    assert arrestin.code == 0, arrestin.err
    assert json.loads(arrestin.out)["id"] is None
    assert not database.exists()
    assert not any(p.name.startswith("lab.sqlite") for p in database.parent.iterdir())
