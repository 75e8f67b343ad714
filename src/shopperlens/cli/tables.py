"""`shopperlens tables` and `shopperlens imports`: what is in the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shopperlens.cli import _render
from shopperlens.cli._app import app, open_shop
from shopperlens.service.tables import IMPORTS_SHOWN, ImportRecord


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
    limit: Annotated[
        str,
        typer.Option(
            "--limit", help="Files to list, newest first: a number, or 0 or all for every one."
        ),
    ] = str(IMPORTS_SHOWN),
    offset: Annotated[
        int, typer.Option("--offset", min=0, help="Skip the newest N files (the next page).")
    ] = 0,
) -> None:
    """The import ledger: every file loaded, its kind, rows and time (--json: every field,
    the full path and checksum too). When fewer files are listed than the ledger holds, a
    line says so ("the newest 100 of 137 imports"; on stderr with --json)."""
    rows = open_shop(ctx).imports(limit, offset=offset)
    more = f"{rows.note} (--limit all lists every one)" if rows.note else ""
    if json_:
        _render.as_json(rows)
        if more:  # (stdout stays the JSON list)
            typer.echo(more, err=True)
        return
    _render.table([_brief(r) for r in rows], title="imports")
    if more:
        _render.message(more)


def _brief(record: ImportRecord) -> dict[str, str]:
    """One ledger row in the few columns that fit an 80-column terminal: all ten cut every
    header to "impo…", "chec…". The rows say how many were rejected, and how many of the
    accepted are returns (an orders file's negative lines), only when some were."""
    said = [f"{record.returns:,} as returns"] if record.returns else []
    said += [f"{record.rows_rejected:,} rejected"] if record.rows_rejected else []
    rows = f"{record.rows_accepted:,}" + (f" ({', '.join(said)})" if said else "")
    return {
        "file": Path(record.file).name,
        "kind": record.kind,
        "rows": rows,
        "imported": f"{record.imported_at:%Y-%m-%d %H:%M} UTC",
    }
