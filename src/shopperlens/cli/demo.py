"""`shopperlens demo`: build the demo shop, run every analysis, write the report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shopperlens.cli import _render
from shopperlens.cli._app import app, open_shop

if TYPE_CHECKING:
    from shopperlens.service.demo import DemoResult


@app.command("demo")
def demo_cmd(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder the report is written to.")] = Path(
        "report"
    ),
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same shop.")] = 7,
    customers: Annotated[
        int, typer.Option(help="People in the demo shop (customers and anonymous visitors).")
    ] = 1500,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Generate the Summitside demo shop into an empty --db, analyse it, write OUT/index.html.

    A step that failed is still shown and the report still written, then the command ends with
    an error line naming the failed steps and exit code 1."""
    shop = open_shop(ctx)
    with _render.progress("demo") as advance:
        result = shop.demo(out_dir=out, seed=seed, n_customers=customers, progress=advance)
    if json_:
        _render.as_json(result)
    else:
        _show(result)
    if result.failure is not None:
        _render.error(result.failure)
        raise typer.Exit(1)


def _show(result: DemoResult) -> None:
    """The steps' table and the lines naming the shop and the report."""
    _render.table(
        result.steps, columns=["name", "status", "seconds", "message"], title="demo steps"
    )
    g = result.generated
    _render.message(
        f"{result.shop_name}: {g['customers']:,} customers, {g['orders']:,} orders, "
        f"{g['events']:,} events, {g['survey_responses']} survey answers "
        f"(files in {result.data_dir})"
    )
    failed = len(result.failed_steps)
    note: _render.Part = (f", {failed} step(s) failed", "red") if failed else ""
    _render.message("report: ", (str(result.index), "bold"), f" ({result.seconds:.1f} s", note, ")")
