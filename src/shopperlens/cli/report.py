"""`shopperlens report`: the report site for the shop's own data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shopperlens.cli import _render
from shopperlens.cli._app import app, open_shop


@app.command("report")
def report_cmd(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder the report is written to.")] = Path(
        "report"
    ),
    title: Annotated[
        str, typer.Option("--title", help="Title shown on every page.")
    ] = "shopperlens report",
    config: Annotated[
        Path | None,
        typer.Option("--config", help="YAML file overriding the customer-type thresholds."),
    ] = None,
) -> None:
    """Write the report (types, value, playbooks, surveys, personas) for this shop's data."""
    shop = open_shop(ctx, types_config=config)
    with _render.progress("report") as advance:
        result = shop.report(out, title=title, progress=advance)
    _render.message("report: ", (str(result.index), "bold"), f" ({len(result.pages)} pages)")
