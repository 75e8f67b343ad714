"""`shopperlens erase`: remove a customer everywhere."""

from __future__ import annotations

from typing import Annotated

import typer

from shopperlens.cli import _render
from shopperlens.cli._app import app, open_shop


@app.command("erase")
def erase_cmd(
    ctx: typer.Context,
    customer_id: Annotated[
        str | None, typer.Argument(help="The customer's id (or use --email).")
    ] = None,
    email: Annotated[str | None, typer.Option(help="Find the customer by e-mail.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase one customer from every table (orders, events, surveys, personas …)."""
    if not yes:
        typer.confirm("Erase this customer everywhere? This cannot be undone", abort=True)
    report = open_shop(ctx).erase_customer(customer_id=customer_id, email=email)
    _render.message(f"erased {report.total} rows in {len(report.rows_deleted)} tables")
    _render.table([{"table": t, "rows": n} for t, n in sorted(report.rows_deleted.items())])
