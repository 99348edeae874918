"""``cxcr4lab user create|token``: accounts of the web app."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import typer

from cxcr4lab.commands._shared import DatabaseOption

__all__ = ["register_in", "user_app"]

user_app = typer.Typer(help="Users of the web app.", no_args_is_help=True)


def register_in(group: Callable[[str], typer.Typer]) -> None:
    group("").add_typer(user_app, name="user")


@user_app.command("create")
def create_user(
    name: Annotated[str, typer.Argument(help="User name: letters, digits, . _ -")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Create a user; the password is asked for (twice) or read from stdin.

    Passwords need 8 to 1024 characters, not only spaces, and must not be common or guessable
    (zxcvbn score 3 or more): a phrase of a few unrelated words works.
    """
    from cxcr4lab.store import Store

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with Store(database) as store:
        user = store.accounts.create_user(name, password)
    typer.echo(f"created user {user.name} (id {user.id})")


@user_app.command("token")
def create_token(
    name: Annotated[str, typer.Argument(help="User the token acts as.")],
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "api",
    database: DatabaseOption = None,
) -> None:
    """Create an API token for scripts (shown once; only its hash is kept)."""
    from cxcr4lab.store import Store

    with Store(database) as store:
        user = store.accounts.user(name)
        token = store.accounts.create_token(user.id, label)
    typer.echo(token)
