"""`shopperlens clv`, `shopperlens clv-report` and `shopperlens intent`: the predictive models."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from shopperlens.cli import _render
from shopperlens.cli._app import app, currency, open_shop, stores, write_out
from shopperlens.errors import InsufficientDataError, ShopperlensError
from shopperlens.service._files import TABLE_FORMATS, output_file

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write every row to FILE.csv, .parquet or .json."),
]
TopOpt = Annotated[int, typer.Option("--top", min=0, help="Rows to print (the file gets all).")]
SaveOpt = Annotated[
    bool | None,
    typer.Option(
        "--save/--no-save",
        help="Store the run for the report and the playbooks (the default, unless --read-only).",
        show_default=False,
    ),
]


def _saving(ctx: typer.Context, save: bool | None) -> bool:
    """Whether the run is stored: by default unless the store is open ``--read-only``; an
    explicit ``--save`` there is refused before any work (it was silently not stored)."""
    if save and not stores(ctx):
        raise ShopperlensError(
            "--save stores the run, but the store is open --read-only: leave out one of the two"
        )
    return stores(ctx) if save is None else save


def parse_days(text: str) -> int:
    """``365``, ``365d``, ``52w``, ``12m`` or ``1y`` as a number of days.

    A month is a twelfth of a 365-day year, rounded to whole days (half up): ``1m`` = 30,
    ``3m`` = 91, ``6m`` = 183, ``12m`` = 365 — so ``12m`` and ``1y`` are one horizon (30-day
    months made ``12m`` 360 days). The service checks the range (see
    ``service.clv.check_horizon``); the digits are capped only so that a number too long for
    ``int`` reads as a bad horizon, not a crash.
    """
    m = re.fullmatch(r"\s*(\d{1,18})\s*([dwmy]?)\s*", text.lower())
    if not m or int(m.group(1)) <= 0:
        raise ShopperlensError(f"cannot read the horizon {text!r}: use e.g. 365d, 52w, 12m, 1y")
    n, unit = int(m.group(1)), m.group(2)
    if unit == "m":
        return (n * 365 + 6) // 12  # n·365/12 rounded half up, in integers (no float for 18 digits)
    return n * {"": 1, "d": 1, "w": 7, "y": 365}[unit]


@app.command("clv")
def clv_cmd(
    ctx: typer.Context,
    horizon: Annotated[
        str, typer.Option("--horizon", help="Forecast horizon: 365d, 52w, 12m or 1y.")
    ] = "365d",
    out: OutOpt = None,
    top: TopOpt = 20,
    at_risk: Annotated[
        bool,
        typer.Option(
            "--at-risk",
            help="Only repeat customers (2+ repeat purchases, any type) whose P(alive) fell.",
        ),
    ] = False,
    json_: JsonOpt = False,
    save: SaveOpt = None,
) -> None:
    """Customer lifetime value: P(alive), expected purchases and CLV per customer (BG/NBD).

    When the model finds no dropout on the shop's data, a line under the table says that
    P(alive) and "at risk" are its assumption rather than a measure, and ``--at-risk`` says
    so instead of listing nobody."""
    if out:  # a bad --out is said first, before the model is fitted
        output_file(out, TABLE_FORMATS)
    keep = _saving(ctx, save)
    shop = open_shop(ctx)
    frame = shop.clv(horizon_days=parse_days(horizon), save=keep)
    note = frame.attrs.get("no_dropout_note", "")
    if at_risk:
        frame = frame[frame["at_risk"]]
    if out:
        write_out(ctx, frame, out, json_=json_)
    shown = frame.head(top).round(3)
    if json_:
        _render.as_json(shown)
        return
    heading = f"clv ({currency(shop)})"
    shown = _amounts(shown, frame.head(top), "clv", heading)
    columns = ["customer_id", "frequency", "p_alive", "expected_purchases", heading, "at_risk"]
    cut = (
        f"the first {len(shown):,} of {len(frame):,} (--top N for more); "
        if len(shown) < len(frame)
        else ""
    )
    if not (at_risk and note):  # nobody can be at risk: an empty list would read as nobody is
        _render.table(
            shown, columns, title=f"CLV over {horizon} ({cut}all columns: --out or --json)"
        )
    if note:
        _render.message(f"P(alive) and at risk –: {note}")


def _amounts(shown, exact, column: str, heading: str):  # type: ignore[no-untyped-def]
    """``shown`` with its amounts ``column`` written as money (whole, an exact half away from
    zero: :func:`_render.amount`) from the ``exact`` figures, under ``heading``: a table
    rounded to 3 decimals showed a CLV of 405.1 beside one of 1,242."""
    out = shown.copy()
    out[column] = exact[column].map(_render.amount)
    return out.rename(columns={column: heading})


@app.command("clv-report")
def clv_report_cmd(
    ctx: typer.Context,
    horizon: Annotated[
        str, typer.Option("--horizon", help="Forecast horizon: 365d, 52w, 12m or 1y.")
    ] = "365d",
    by: Annotated[
        str, typer.Option("--by", help="Compare customers by source, category or device.")
    ] = "source",
    json_: JsonOpt = False,
) -> None:
    """Model parameters with 95 % intervals, forecast vs actual on a holdout, and which
    sources (categories, devices) bring customers who buy more and stay.

    The parameters need only orders; the holdout check and the comparison by source, category
    or device are left out, each with one line saying what is missing, when the data cannot
    support them (no visit data, no categories, a history too short to split). Under the
    comparison a line says how many customers it leaves out (no visit data …); when the model
    found no dropout, "–" stands for the at-risk count and the dropouts, and a line says why,
    never "0 at risk".
    \f
    The line is the service's words (``no_dropout_note``)."""
    shop = open_shop(ctx)
    summary = shop.clv_summary(horizon_days=parse_days(horizon))
    missing: list[str] = []
    try:
        check = shop.clv_forecast_check()
    except InsufficientDataError as exc:
        check = None
        missing.append(f"holdout check not shown: {exc}")
    try:
        effects = shop.clv_effects(by=by)
    except InsufficientDataError as exc:
        effects = None
        missing.append(f"customers by {by} not shown: {exc}")
    left_out = None if effects is None else effects.attrs.get("left_out")
    left_out_note = "" if effects is None else effects.attrs.get("left_out_note", "")
    if json_:
        _render.as_json(
            {
                "summary": summary,
                "by_frequency": None if check is None else check["by_frequency"],
                "effects": effects,
                "effects_left_out": left_out,
                "effects_left_out_note": left_out_note,
                "missing": missing,
            }
        )
        return
    _render.table(summary.params, title=f"models as of {summary.as_of:%Y-%m-%d}")
    at_risk = "–" if summary.at_risk is None else f"{summary.at_risk:,}"
    _render.message(
        f"{summary.customers:,} customers, {summary.repeat_buyers:,} repeat buyers, "
        f"{at_risk} at risk, total CLV {_render.amount(summary.total_clv, currency(shop))}"
    )
    if summary.no_dropout_note:
        _render.message(f"at risk –: {summary.no_dropout_note}")
    if check is not None:
        _render.table(
            check["by_frequency"].round(3),
            title=f"holdout after {check['calibration_end']:%Y-%m-%d}: actual vs forecast",
        )
    if effects is not None:
        heading = f"clv ({currency(shop)})"
        _render.table(
            _amounts(effects.round(3), effects, "clv", heading),
            [by, "customers", "purchase_rate", "rate_ratio", "dropout", heading],
            title=f"customers by {by}: orders per 30 days, vs the first row (BG/NBD + covariates)",
        )
        if left_out_note:
            _render.message(left_out_note)
    for line in missing:
        _render.message(line)


@app.command("intent")
def intent_cmd(
    ctx: typer.Context,
    out: OutOpt = None,
    top: TopOpt = 20,
    json_: JsonOpt = False,
    save: SaveOpt = None,
) -> None:
    """Purchase intent of every looker (calibrated probability) and what drives it."""
    if out:
        output_file(out, TABLE_FORMATS)
    keep = _saving(ctx, save)
    frame = open_shop(ctx).intent(save=keep)
    if out:
        write_out(ctx, frame, out, json_=json_)
    shown = frame.head(top).round(3)
    _render.as_json(shown) if json_ else _render.table(shown, title="purchase intent")
