"""``cxcr4lab serve``: the web app with uvicorn."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated

import typer

from cxcr4lab.commands._shared import DatabaseOption
from cxcr4lab.core.errors import InputError

_ANALYSIS_TIMEOUT_S = 60.0  # cxcr4lab.web.settings.DEFAULT_ANALYSIS_TIMEOUT_S (not imported: slow)

__all__ = ["register_in", "serve"]


def register_in(group: Callable[[str], typer.Typer]) -> None:
    group("").command("serve")(serve)


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
    analysis_workers: Annotated[
        int | None,
        typer.Option(
            "--analysis-workers",
            min=1,
            max=64,
            help="Worker processes that analyse uploads (default: the CPUs, at most 8).",
        ),
    ] = None,
    analysis_timeout_s: Annotated[
        float,
        typer.Option(
            "--analysis-timeout",
            min=0.1,
            max=3600,
            help="Time budget of one upload's analysis, s (over it: stopped, answered 503).",
        ),
    ] = _ANALYSIS_TIMEOUT_S,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            envvar="CXCR4LAB_BASE_URL",
            help="Public URL of the app (e.g. https://lab.example.org); redirects use it "
            "(default: relative redirects).",
        ),
    ] = None,
) -> None:
    """Serve the web app and JSON API (OpenAPI at /openapi.json) on HOST:PORT."""
    import uvicorn

    from cxcr4lab.web import Settings, create_app
    from cxcr4lab.web.settings import default_analysis_workers

    try:
        settings = Settings(
            database_url=database,
            max_upload_bytes=int(max_upload_mb * 2**20),
            secure_cookies=secure_cookies,
            analysis_timeout_s=analysis_timeout_s,
            base_url=base_url or None,
            analysis_workers=analysis_workers or default_analysis_workers(),
        )
    except ValueError as exc:
        raise InputError(str(exc), field="--base-url") from None
    if secret_key:
        settings = replace(settings, secret_key=secret_key)
    else:
        typer.echo("no --secret-key / CXCR4LAB_SECRET_KEY: using a random one", err=True)
    typer.echo(f"cxcr4lab web app on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
