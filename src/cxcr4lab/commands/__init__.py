"""Command-line pieces (app layer): the terminal views of the analysis kinds, and the commands
that are not analyses.

Every analysis kind is declared in :mod:`cxcr4lab.runs` and gets its command from
:mod:`cxcr4lab.commands._runs`; its terminal view, ``print_result(console, result,
analysis_id)``, lives in ``commands/<module>.py`` and is named by the kind's ``view``. A module
with commands that are not analyses (project and user administration, the server, file
exports such as ``simulate sbml``) adds them with ``register_in(group)``, ``group("simulate")``
being the ``cxcr4lab simulate`` group and ``group("")`` the top level.

Modules import only typer/rich at the top, so ``cxcr4lab --help`` stays fast.
"""

from __future__ import annotations

__all__ = ["COMMAND_MODULES"]

COMMAND_MODULES = ("project", "user", "serve", "simulate", "receptor", "dossier", "inventory")
"""Modules of this package with commands that are not analyses (administration, the server,
file exports); each adds them with ``register_in(group)``."""
