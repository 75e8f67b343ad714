"""`shopperlens tables` and `shopperlens imports`: what is in the store."""

from __future__ import annotations

from typing import Annotated

import typer

from shopperlens.cli import _render
from shopperlens.cli._app import app, open_shop


@app.command("tables")
def tables_cmd(
    ctx: typer.Context,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Row counts of the canonical tables."""
    rows = open_shop(ctx).tables()
    _render.as_json(rows) if json_ else _render.table(rows, title="tables")


@app.command("imports")
def imports_cmd(
    ctx: typer.Context,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The import ledger: every file loaded, its checksum and rows accepted/rejected."""
    rows = open_shop(ctx).imports()
    _render.as_json(rows) if json_ else _render.table(rows, title="imports")
