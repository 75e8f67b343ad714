"""`shopperlens types`: the five customer types, why, and who moved between them."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shopperlens.cli import _render
from shopperlens.cli._app import app as root
from shopperlens.cli._app import currency, open_shop, settings, stores, write_out
from shopperlens.service._files import TABLE_FORMATS, output_file

if TYPE_CHECKING:
    import pandas as pd

    from shopperlens.store import Store

#: from this many stored events on, `types` shows a progress bar (the features take seconds)
PROGRESS_EVENTS = 1_000_000

types_app = typer.Typer(
    help="The five customer types (need-based, looker, new, loyal, impulse) with evidence.",
    no_args_is_help=False,
)
root.add_typer(types_app, name="types")

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="Classify with the data before this date (YYYY-MM-DD)."),
]
Config = Annotated[
    Path | None,
    typer.Option("--config", help="YAML file overriding the thresholds (see `types config`)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@types_app.callback(invoke_without_command=True)
def types_cmd(
    ctx: typer.Context,
    as_of: AsOf = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write every row to FILE.csv, .parquet or .json."),
    ] = None,
    config: Config = None,
    engine: Annotated[
        str | None, typer.Option("--engine", help="duckdb (default) or spark (needs Java 17).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Rows to print (0: none).")] = 20,
) -> None:
    """Type every customer and visitor, store the run and print the distribution."""
    from shopperlens.config import engine_name

    if engine is not None:  # for the subcommands too: `types --engine spark moves …`
        root = ctx.find_root()
        root.obj = settings(ctx).model_copy(update={"engine": engine_name(engine, "--engine ")})
    if not ctx.invoked_subcommand:
        _run(ctx, as_of, out, config, limit)


def _run(
    ctx: typer.Context, as_of: str | None, out: Path | None, config: Path | None, limit: int
) -> None:
    """``types`` itself: type, store, print. Apart from the callback, which also runs before
    each subcommand (and its ``--help``), so that only a run loads the types' libraries."""
    from shopperlens.service.types_value import frame_as_of, value_by_type, value_stored

    if out is not None:  # a bad --out is said first, before any work
        output_file(out, TABLE_FORMATS)
    shop = open_shop(ctx, types_config=config)
    big = shop.store.count("events") >= PROGRESS_EVENTS
    with _render.progress("typing customers") if big else nullcontext(None) as advance:
        df = shop.types(as_of, save=stores(ctx), progress=advance)
    if out is not None:
        write_out(ctx, df, out)
    if df.attrs.get("after_data_note"):
        _render.message(f"note: {df.attrs['after_data_note']}")
    title = f"customer types as of {frame_as_of(df):%Y-%m-%d}"
    value = value_by_type(df)
    if value.empty:  # no CLV / intent run stored: counts only
        counts = df["type"].value_counts().rename_axis("type").reset_index(name="subjects")
        _render.table(counts, title=title)
    else:
        shown = _rounded(value, {"mean_clv": 0, "mean_p_alive": 2, "mean_intent": 2}).rename(
            columns={"mean_clv": f"CLV ({currency(shop)})", "mean_p_alive": "P(alive)",
                     "at_risk": "at risk",
                     "loyal_at_risk": "loyal at risk", "mean_intent": "intent"}
        )  # fmt: skip
        shown = shown.astype(object).where(shown.notna(), "")
        if df.attrs.get("no_dropout_note"):  # the service left them out: say "–", not blank
            shown[["P(alive)", "at risk", "loyal at risk"]] = "–"
        _render.table(shown, title=title)
        _render.message(_at_risk_line(df, shop.store))
    if limit:
        cols = ["customer_id", "visitor_id", "type"]
        shown = df.head(limit)
        if value_stored(df):
            cols += ["clv", "p_alive", "intent"]
            shown = _rounded(shown, {"clv": 0, "p_alive": 2, "intent": 2})
        # a customer without visits has no visitor id, an anonymous visitor no customer id:
        # an empty cell, not "nan"
        valued = shown["clv"].notna()
        shown = shown.astype(object).where(shown.notna(), "")
        if df.attrs.get("no_dropout_note"):
            shown.loc[valued, "p_alive"] = "–"  # left out: the model found no dropout
        if "clv" in cols:
            heading = f"clv ({currency(shop)})"
            shown = shown.rename(columns={"clv": heading})
            cols = [heading if c == "clv" else c for c in cols]
        _render.table(shown, [*cols, "evidence"])


def _rounded(frame: pd.DataFrame, digits: dict[str, int]) -> pd.DataFrame:
    """``frame`` with these columns rounded as money is written (:func:`labels.half_up`):
    pandas rounds a CLV of 182.5 to 182 and one of 183.5 to 184."""
    import pandas as pd

    from shopperlens.labels import half_up

    out = frame.copy()
    for col, n in digits.items():
        if col in out.columns:
            out[col] = out[col].map(lambda v, n=n: v if pd.isna(v) else half_up(float(v), n))
    return out


def _at_risk_line(df: pd.DataFrame, store: Store) -> str:
    """How many loyal customers are at risk, or "–" and why when no CLV run was joined to
    these types (its flags are all missing then) or its model found no dropout (nobody can
    be flagged): "0 loyal at risk" read as measured in both."""
    from shopperlens.service.types_value import LOYAL_AT_RISK, frame_as_of, value_note

    if df.attrs.get("no_dropout_note"):
        return f"– {LOYAL_AT_RISK}: {df.attrs['no_dropout_note']}"
    if df["loyal_at_risk"].notna().any():
        return (
            f"{int(df['loyal_at_risk'].sum())} {LOYAL_AT_RISK} (loyal, P(alive) fallen: "
            "see `shopperlens clv`)"
        )
    why = value_note(store=store, as_of=frame_as_of(df)) or "no CLV figures for these types"
    return f"– {LOYAL_AT_RISK}: {why}"


@types_app.command("explain")
def explain_cmd(
    ctx: typer.Context,
    id: Annotated[str, typer.Argument(help="A customer id or visitor id.")],  # noqa: A002
    as_of: AsOf = None,
    config: Config = None,
    json_: JsonOpt = False,
) -> None:
    """Why one customer or visitor has its type: scores, evidence, signals and history."""
    from shopperlens.service.types_value import LOYAL_AT_RISK

    shop = open_shop(ctx, types_config=config)
    ex = shop.explain_type(id, as_of)
    if json_:
        _render.as_json(ex)
        return
    _render.message((ex.id, "bold"), " is ", (ex.type, "bold"), f" as of {ex.as_of:%Y-%m-%d}")
    _render.message(ex.evidence)
    if ex.clv is not None or ex.intent is not None:
        from shopperlens.labels import fixed

        figures = [
            ("CLV", None if ex.clv is None else _render.amount(ex.clv, currency(shop))),
            ("P(alive)", None if ex.p_alive is None else fixed(ex.p_alive, 2)),
            ("intent", None if ex.intent is None else fixed(ex.intent, 2)),
        ]
        _render.message(
            ", ".join(f"{k} {v}" for k, v in figures if v is not None)
            + (f" — {LOYAL_AT_RISK}" if ex.loyal_at_risk else "")
        )
    if ex.no_dropout_note:
        _render.message(f"P(alive) –: {ex.no_dropout_note}")
    _render.table([{"type": t, "score": s} for t, s in ex.scores.items()], title="scores")
    signals = [
        {"type": t, "signal": part.feature, "value": part.value, "strength": part.strength,
         "weight": part.weight}
        for t, parts in ex.signals.items()
        for part in parts
    ]  # fmt: skip
    _render.table(signals, ["type", "signal", "value", "strength", "weight"], title="signals")
    _render.table(ex.history, ["as_of", "type", "evidence"], title="history")


@types_app.command("moves")
def moves_cmd(
    ctx: typer.Context,
    date_from: Annotated[str, typer.Option("--from", help="Earlier date (YYYY-MM-DD).")],
    date_to: Annotated[str, typer.Option("--to", help="Later date (YYYY-MM-DD).")],
    config: Config = None,
    json_: JsonOpt = False,
) -> None:
    """Transition matrix between the types as of two dates (rows: from, columns: to)."""
    mv = open_shop(ctx, types_config=config).type_moves(date_from, date_to)
    if json_:
        _render.as_json(mv)
        return
    rows = [{"from \\ to": a, **mv.matrix[a]} for a in mv.matrix]
    _render.table(rows, title=f"{mv.date_from:%Y-%m-%d} → {mv.date_to:%Y-%m-%d}")
    _render.message(f"{mv.moved} moved, {mv.stayed} stayed, {mv.arrived} arrived (not seen before)")


@types_app.command("history")
def history_cmd(
    ctx: typer.Context,
    id: Annotated[str, typer.Argument(help="A customer id or visitor id.")],  # noqa: A002
    json_: JsonOpt = False,
) -> None:
    """One customer's or visitor's type in every stored run, oldest first."""
    df = open_shop(ctx).type_history(id)
    if json_:
        _render.as_json(df)
        return
    _render.table(df, ["as_of", "type", "evidence"])
    if df.attrs.get("other_runs_note"):  # runs under other rules are kept, not shown: say so
        _render.message("note: " + df.attrs["other_runs_note"])


@types_app.command("sessions")
def sessions_cmd(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the sessions to FILE.csv, .parquet or .json."),
    ] = None,
    config: Config = None,
) -> None:
    """Type imported session aggregates (UCI format): need-based, looker or impulse-like."""
    if out is not None:
        output_file(out, TABLE_FORMATS)
    df = open_shop(ctx, types_config=config).session_types()  # none imported: refused there
    if out is not None:
        write_out(ctx, df, out, what="sessions")
    counts = df["type"].value_counts().rename_axis("type").reset_index(name="sessions")
    _render.table(counts, title="session types")


@types_app.command("config")
def config_cmd() -> None:
    """Print the default thresholds (a commented YAML file to copy and edit)."""
    from shopperlens.types import defaults_text

    typer.echo(defaults_text())
