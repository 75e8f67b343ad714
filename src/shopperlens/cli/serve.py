"""`shopperlens serve`: the HTTP API and dashboard under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from shopperlens.cli._app import app, settings, stores
from shopperlens.errors import ShopperlensError


@app.command("serve")
def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="Port to listen on (1–65535).", min=1, max=65535)
    ] = 8000,
) -> None:
    """Serve the HTTP API and dashboard (token from SHOPPERLENS_TOKEN)."""
    import uvicorn

    from shopperlens.web.app import create_app, serve_warnings

    if not stores(ctx):  # the server imports and stores runs; it opened the store for writing
        raise ShopperlensError(
            "serve does not take --read-only: the server imports files and stores runs; "
            "serve a copy of the store instead, or read it with the other commands"
        )
    chosen = settings(ctx)
    for warning in serve_warnings(chosen):
        typer.echo(f"warning: {warning}", err=True)
    uvicorn.run(create_app(chosen), host=host, port=port, log_level="info")
