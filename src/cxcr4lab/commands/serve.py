"""``cxcr4lab serve``: the web app with uvicorn."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from cxcr4lab.commands._shared import DatabaseOption

__all__ = ["register_top", "serve"]


def register_top(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    database: DatabaseOption = None,
    secret_key: Annotated[
        str | None,
        typer.Option(
            "--secret-key",
            envvar="CXCR4LAB_SECRET_KEY",
            help="Key that signs session cookies (random if unset: logins end on restart).",
        ),
    ] = None,
    max_upload_mb: Annotated[
        float, typer.Option("--max-upload-mb", min=0.01, help="Largest accepted upload, MiB.")
    ] = 50.0,
    secure_cookies: Annotated[
        bool, typer.Option("--secure-cookies", help="Mark cookies Secure (behind HTTPS).")
    ] = False,
) -> None:
    """Serve the web app and JSON API (OpenAPI at /openapi.json) on HOST:PORT."""
    import uvicorn

    from cxcr4lab.web import Settings, create_app

    settings = Settings(
        database_url=database,
        max_upload_bytes=int(max_upload_mb * 2**20),
        secure_cookies=secure_cookies,
    )
    if secret_key:
        settings = replace(settings, secret_key=secret_key)
    else:
        typer.echo("no --secret-key / CXCR4LAB_SECRET_KEY: using a random one", err=True)
    typer.echo(f"cxcr4lab web app on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
