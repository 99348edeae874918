"""The common ending of ``cxcr4lab analyze <assay>``: store (one transaction), then print.

Nothing is stored unless the analysis finished: the result object exists before the store is
opened, so a failing analysis leaves the database untouched.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from cxcr4lab.store import InputBlob

__all__ = ["finish"]


def finish(
    result: Any,
    inputs: Sequence[InputBlob | tuple[str, str, bytes]],
    parameters: Mapping[str, Any],
    *,
    title: str,
    save: bool,
    as_json: bool,
    database: str | None,
    print_result: Callable[[Console, Any, int | None], None],
    project: str | None = None,
    fmt: str = "table",
) -> None:
    """Save ``result`` with its inputs (``InputBlob`` or ``(name, role, bytes)``) if asked, under
        the web-app ``project`` if named (it must exist), then show it: ``fmt`` table (the kind's terminal view), csv (its results table) or json (the
    whole result with its id); ``as_json`` is ``fmt="json"``."""
    from cxcr4lab.commands._shared import emit_frame, out_console, output_format, project_for_save

    fmt = output_format(fmt, as_json)
    project = project_for_save(project, save)
    saved_id = None
    if save:  # the store (SQLAlchemy) is imported only to save: --no-save stays light
        from cxcr4lab.store import InputBlob, Store
        from cxcr4lab.workflows import find_project, save_result

        blobs = [b if isinstance(b, InputBlob) else InputBlob(*b) for b in inputs]
        with Store(database) as store:
            project_id = (
                None if project is None else find_project(store, project, field="--project")
            )
            saved_id = save_result(
                store,
                result,
                title=title,
                inputs=blobs,
                parameters=dict(parameters),
                project_id=project_id,
            ).id
            flags = store.get(saved_id, with_result=False).parameters.get("aliquot_flags")
        from rich.markup import escape

        for flag in flags or ():  # the layout named an aliquot not to use (docs/inventory.md)
            Console(stderr=True, soft_wrap=True).print(
                f"[yellow]caution:[/yellow] {escape(flag)}", highlight=False
            )
    if fmt == "json":
        sys.stdout.write(json.dumps({"id": saved_id, **result.to_dict()}, indent=2) + "\n")
        return
    if fmt == "csv":
        emit_frame(result.summary(), "csv")
        return
    print_result(out_console(), result, saved_id)
