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
    """Serve the HTTP API and dashboard (token from SHOPPERLENS_TOKEN).

    A port another program holds, or a host that is no address of this computer, is refused in
    one line before the server starts. Without SHOPPERLENS_PUBLIC_URL, survey links and the
    pop-up snippet the server makes point at the host and port it serves."""
    import uvicorn

    from shopperlens.web.app import create_app, serve_warnings
    from shopperlens.web.server import check_listen, served_url

    if not stores(ctx):  # the server imports and stores runs; it opened the store for writing
        raise ShopperlensError(
            "serve does not take --read-only: the server imports files and stores runs; "
            "serve a copy of the store instead, or read it with the other commands"
        )
    check_listen(host, port)
    chosen = settings(ctx)
    if "public_url" not in chosen.model_fields_set:
        chosen = chosen.model_copy(update={"public_url": served_url(host, port)})
    for warning in serve_warnings(chosen):
        typer.echo(f"warning: {warning}", err=True)
    uvicorn.run(create_app(chosen), host=host, port=port, log_level="info")
