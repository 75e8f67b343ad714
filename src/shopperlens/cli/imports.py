"""`shopperlens import KIND FILE...`: load shop exports into the store.

``import_app`` is a Typer sub-app; other concerns add their own kinds to it from their own CLI
module (``@import_app.command("survey")``).
"""

from __future__ import annotations

import inspect
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shopperlens.cli import _render
from shopperlens.cli._app import app, open_shop
from shopperlens.ingest.kinds import KINDS
from shopperlens.ingest.loading import UPDATABLE
from shopperlens.ingest.rejects import Reject

if TYPE_CHECKING:
    from shopperlens.service.imports import ImportResult

import_app = typer.Typer(
    help="Import shop data files (CSV, TSV, Parquet, JSON Lines; .gz too) of one kind.",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")

#: above this many bytes in total, a progress bar is shown
PROGRESS_BYTES = 20 << 20

_HELP = {
    "customers": "Customers: customer_id, email, created_at, country (+ name, city, …).",
    "orders": "Orders, one row per line item (generic) or a Shopify 'Export orders' CSV.",
    "events": "Web events (generic, GA4 event names) or GA4 BigQuery export rows.",
    "sessions": "Session aggregates (generic) or the UCI Online Shoppers Intention file.",
    "tickets": "Support tickets: ticket_id, customer_id, created_at, subject (+ body, channel).",
    "returns": "Returns: return_id, order_id, customer_id, product_id, returned_at, quantity.",
    "products": "Products: product_id, product_name, category, price, merchandise (false: a fee).",
}

FilesArg = Annotated[
    list[Path], typer.Argument(help="Files to import (one transaction for all of them).")
]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format", "-f", help="auto (detect), generic, shopify (orders), ga4 (events), uci."
    ),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option("--map", "-m", help="Rename a column: their_name=canonical_name (repeatable)."),
]
MappingFileOpt = Annotated[
    Path | None,
    typer.Option("--mapping-file", help="YAML/JSON file mapping their names to canonical ones."),
]
OnErrorOpt = Annotated[
    str,
    typer.Option(
        "--on-error",
        help="abort: any bad row cancels the import; skip: import the good rows and write "
        "the rejects to <db>.rejects.csv.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
UpdateOpt = Annotated[
    bool,
    typer.Option(
        "--update",
        help="A later export changes the stored rows it gives other content (else they are "
        "rejects).",
    ),
]
DecimalCommaOpt = Annotated[
    bool,
    typer.Option(
        "--decimal-comma",
        help="The files write numbers the European way: 1.234,50 is 1234.5 (a dot groups "
        "thousands, the comma is the decimal mark).",
    ),
]
DatesOpt = Annotated[
    str,
    typer.Option(
        "--dates",
        help="year-first (2010-12-01 08:26, the default); day-first: 01-12-10 8:26 is "
        "2010-12-01 (a UK export); month-first: 12/06/2010 10:08 is 2010-12-06 (a US export). "
        "Year-first values still read.",
    ),
]
CurrencyOpt = Annotated[
    str | None,
    typer.Option(
        "--currency",
        help="The currency of the orders whose lines name none (three letters, such as GBP); "
        "a line naming one keeps it, and so do its order's blank lines.",
    ),
]
NegativeLinesOpt = Annotated[
    str,
    typer.Option(
        "--negative-lines",
        help="reject (the default): a line with a negative quantity is a reject; returns: it "
        "is a return (a credit note's or cancellation's line), stored in the same import.",
    ),
]
AllowEmptyOpt = Annotated[
    bool,
    typer.Option(
        "--allow-empty",
        help="A file with a header and no rows (a day without orders), or with no content at "
        "all (a day's JSON Lines export without a record), imports nothing and exits 0, "
        "instead of being refused.",
    ),
]


def run_import(
    ctx: typer.Context,
    kind: str,
    files: list[Path],
    fmt: str,
    maps: list[str] | None,
    mapping_file: Path | None,
    on_error: str,
    json_: bool,
    update: bool = False,
    decimal_comma: bool = False,
    allow_empty: bool = False,
    dates: str = "year-first",
    currency: str | None = None,
    negative_lines: str = "reject",
) -> None:
    """Shared body of every ``import`` command: call the service, render the result."""
    from shopperlens.ingest.generic import parse_map_options
    from shopperlens.service.imports import ImportRejected

    mapping: dict[str, str] | Path | None = parse_map_options(maps) or None
    if mapping_file is not None:
        if mapping:
            raise typer.BadParameter("use --map or --mapping-file, not both")
        mapping = mapping_file
    shop = open_shop(ctx)
    size = sum(f.stat().st_size for f in files if f.is_file())
    bar = _render.progress(f"importing {kind}") if size > PROGRESS_BYTES else nullcontext(None)
    with bar as advance:
        try:
            result = shop.import_files(
                kind,
                *files,
                fmt=fmt,
                mapping=mapping,
                on_error=on_error,
                progress=advance,
                update=update,
                decimal_comma=decimal_comma,
                allow_empty=allow_empty,
                dates=dates,
                currency=currency,
                negative_lines=negative_lines,
            )
        except ImportRejected as exc:  # the option in this face's words
            raise exc.worded("--on-error skip", "--update") from None
    _render.as_json(result) if json_ else _show(result)


def _show(result: ImportResult) -> None:
    from shopperlens.service.imports import SKIPPED

    rows = [
        {
            "file": Path(f.file).name,
            "format": f.format,
            "read": f.rows_read,
            "accepted": f.rows_accepted,
            "rejected": f.rows_rejected,
            "note": SKIPPED if f.skipped else "",
        }
        for f in result.files
    ]
    _render.table(rows, title=f"import {result.kind}")
    # what a changed --map would have read, a header-only file (too long for the table)
    for f in result.files:
        if f.note and f.note != SKIPPED:
            _render.message(f"{Path(f.file).name}: {f.note}")
    added = ", ".join(f"{t} +{n}" for t, n in result.added.items()) or "nothing new"
    _render.message(f"added: {added} ({result.seconds:.1f} s)")
    if result.status_changed:  # rows accepted yet nothing added: say what the file changed
        _render.message(
            f"status changed: {result.status_changed} stored order(s) now have the file's "
            "status (the newest import wins)"
        )
    if result.returns:
        _render.message(
            f"returns: {result.returns} line(s) with a negative quantity are returns "
            "(--negative-lines returns)"
        )
    if result.updated:
        _render.message(
            f"updated: {result.updated} stored row(s) now have the file's values (--update)"
        )
    for note in result.notes:
        _render.message(f"note: {note}")
    if result.rows_rejected:
        where = f", all in {result.rejects_file}" if result.rejects_file else ""
        _render.message(f"{result.rows_rejected} row(s) rejected{where}; first:")
        for r in result.rejects[:5]:
            _render.message(f"  {Reject(**r.model_dump())}")


def _register(kind: str) -> None:
    """``import KIND``; ``--update`` only where it applies (customers, products), ``--currency``
    and ``--negative-lines`` only for orders (the one kind that names a currency and a
    quantity sold)."""

    def command(
        ctx: typer.Context,
        files: FilesArg,
        fmt: FormatOpt = "auto",
        maps: MapOpt = None,
        mapping_file: MappingFileOpt = None,
        on_error: OnErrorOpt = "abort",
        json_: JsonOpt = False,
        update: UpdateOpt = False,
        decimal_comma: DecimalCommaOpt = False,
        allow_empty: AllowEmptyOpt = False,
        dates: DatesOpt = "year-first",
        currency: CurrencyOpt = None,
        negative_lines: NegativeLinesOpt = "reject",
    ) -> None:
        run_import(
            ctx,
            kind,
            files,
            fmt,
            maps,
            mapping_file,
            on_error,
            json_,
            update,
            decimal_comma,
            allow_empty,
            dates,
            currency,
            negative_lines,
        )

    # Typer reads the options from the signature: no --update, --currency or
    # --negative-lines where they do not apply
    hidden = {"update"} if kind not in UPDATABLE else set()
    hidden |= {"currency", "negative_lines"} if kind != "orders" else set()
    if hidden:
        sig = inspect.signature(command, eval_str=True)
        command.__signature__ = sig.replace(  # type: ignore[attr-defined]
            parameters=[p for p in sig.parameters.values() if p.name not in hidden]
        )
    command.__doc__ = _HELP[kind]
    import_app.command(kind, help=_HELP[kind])(command)


for _kind in KINDS:
    _register(_kind)
