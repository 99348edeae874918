"""``cxcr4lab project create|add-member|add-analysis``: projects of the web app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from cxcr4lab.commands._shared import DatabaseOption

__all__ = ["project_app", "register_in"]

project_app = typer.Typer(help="Projects of the web app.", no_args_is_help=True)


def register_in(group: Callable[[str], typer.Typer]) -> None:
    group("").add_typer(project_app, name="project")


@project_app.command("create")
def create_project(
    name: Annotated[str, typer.Argument(help="Project name: letters, digits, . _ -")],
    owner: Annotated[str, typer.Option("--owner", help="User who owns the project.")],
    member: Annotated[
        list[str] | None, typer.Option("--member", help="Another member (repeatable).")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Create a project owned by --owner, with any --member users."""
    from cxcr4lab.store import Store

    with Store(database) as store:
        project = store.accounts.create_project(name, owner, member or [])
    typer.echo(f"created project {project.name} (id {project.id})")


@project_app.command("add-member")
def add_member(
    name: Annotated[str, typer.Argument(help="Project name.")],
    user: Annotated[str, typer.Argument(help="User to add.")],
    database: DatabaseOption = None,
) -> None:
    """Add a user to a project."""
    from cxcr4lab.store import Store

    with Store(database) as store:
        store.accounts.add_member(name, user)
    typer.echo(f"added {user} to {name}")


@project_app.command("add-analysis")
def add_analysis(
    analysis_id: Annotated[int, typer.Argument(help="Analysis id (see `results list`).")],
    project: Annotated[str, typer.Option("--project", help="Project to move it into.")],
    database: DatabaseOption = None,
) -> None:
    """Move a stored analysis into a project (out of the one it was in), so its members see it."""
    from cxcr4lab.store import Store
    from cxcr4lab.workflows import find_project

    with Store(database) as store:
        project_id = find_project(store, project, field="--project")
        before = store.move_to_project(analysis_id, project_id)
    if before == project:
        typer.echo(f"analysis #{analysis_id} is already in project {project}; nothing changed")
    elif before is None:
        typer.echo(f"moved analysis #{analysis_id} into project {project}")
    else:
        typer.echo(f"moved analysis #{analysis_id} from project {before} into {project}")
