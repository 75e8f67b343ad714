"""`shopperlens personas`: build, show, compare and export the shop's named personas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shopperlens.cli import _render
from shopperlens.cli._app import app, currency, open_shop, write_out

personas_app = typer.Typer(
    help="Personas: 3–4 named customer profiles from survey answers, interviews and behaviour.",
    no_args_is_help=True,
)
app.add_typer(personas_app, name="personas")

RunOpt = Annotated[
    int | None, typer.Option("--run", help="Persona run id (default: the latest run).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _summary(run, money: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """One row per persona; incomes in the shop's currency ``money``, as the cards show them."""
    from shopperlens.labels import percent

    return [
        {
            "persona": p.name,
            "trait": p.trait,
            "size": "" if p.size is None else p.size,
            "share": "" if p.share is None else f"{percent(p.share)}%",
            "revenue": "" if p.revenue_share is None else f"{percent(p.revenue_share)}%",
            f"income≈ ({money})": _render.amount(p.income_adjusted),
            "stability": "" if p.stability is None else f"{p.stability:.2f}",
            "e-mailable": "" if p.reach is None else p.reach.reachable,
        }
        for p in run.personas
    ]


def _notes(run) -> None:  # type: ignore[no-untyped-def]
    """The run's caveats, one line each: who was left out, and whether the groups are reliable
    (a provisional run must never read like a reliable one)."""
    if run.left_out_note:
        _render.message(run.left_out_note)
    if run.reliability_note:
        _render.message((run.reliability_note, "bold"))
    if run.near_duplicates_note:
        _render.message((run.near_duplicates_note, "bold"))


def _actions(p) -> None:  # type: ignore[no-untyped-def]
    """What to do for the persona and how to reach its members, one line each."""
    if p.actions:
        _render.message(f"What to do for {p.name}:")
        for a in p.actions:
            _render.message(f"- {a.text}" + (f" ({a.command})" if a.command else ""))
    if p.reach is not None:
        _render.message(f"Reach them: {p.reach.command}")
        _render.message(p.reach.text)


def _change_notes(evo) -> None:  # type: ignore[no-untyped-def]
    """Why a persona's share moved while its people did not, one line per such persona."""
    for c in evo.changes:
        if c.note:
            _render.message(f"{c.current_name}: {c.note}")


@personas_app.command("build")
def build_cmd(
    ctx: typer.Context,
    survey: Annotated[
        str | None,
        typer.Option("--survey", help="Survey whose answers to use (default: the only one)."),
    ] = None,
    k: Annotated[
        int | None,
        typer.Option(
            "--k", help="Number of personas, 2 to --max-k (default: chosen from the data)."
        ),
    ] = None,
    max_k: Annotated[
        int,
        typer.Option(
            "--max-k",
            help="Most personas (2–12) the data may give or --k may ask for (raise for big "
            "catalogues).",
        ),
    ] = 6,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed (same data + seed = same personas).")
    ] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder to also write the printable cards, Markdown and JSON to."
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Cluster the survey respondents into personas, name and describe them, store the run."""
    if out is not None:  # a missing folder is refused before the work, not after it
        from shopperlens.service._files import output_folder

        output_folder(out)
    shop = open_shop(ctx)
    run = shop.personas_build(survey, k="auto" if k is None else k, seed=seed, max_personas=max_k)
    if json_:  # the cards too: --json left them unwritten; stdout stays the JSON
        _render.as_json(run)
        if out is not None:
            paths = shop.personas_cards(out, run.run_id)
            typer.echo(f"wrote {len(paths)} files to {out}", err=True)
        return
    title = f"persona run {run.run_id}: {run.n_respondents:,} respondents"
    _render.table(_summary(run, currency(shop)), title=title)
    _notes(run)
    if run.evolution and run.evolution.previous_run is not None:
        _render.message(f"since run {run.evolution.previous_run}: {run.evolution.summary()}")
        _change_notes(run.evolution)
    if out is not None:
        paths = shop.personas_cards(out, run.run_id)
        _render.message(f"wrote {len(paths)} files to {out}")


@personas_app.command("show")
def show_cmd(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="A persona's name, first name or number (default: all).")
    ] = None,
    run: RunOpt = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the Markdown document.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """The personas of a run, or one persona's statements with their evidence."""
    shop = open_shop(ctx)
    result = shop.personas(run)
    if markdown:
        from shopperlens.reports.persona_cards import render_markdown

        only = None if name is None else result.persona(name)
        _render.message(render_markdown(result, only))
        return
    if name is None:
        if json_:
            _render.as_json(result)
            return
        _render.table(_summary(result, currency(shop)), title="personas")
        _notes(result)
        return
    p = result.persona(name)
    if json_:
        _render.as_json(p)
        return
    rows = [
        {
            "section": s.section,
            "statement": s.text,
            "question": s.evidence.question,
            "people": "" if s.evidence.n is None else s.evidence.n,
        }
        for s in p.statements
    ]
    _render.table(rows, title=f"{p.name}: {p.trait}")
    if p.spend_shift:
        _render.message(p.spend_shift)
    _actions(p)
    if result.reliability_note:
        _render.message((result.reliability_note, "bold"))


@personas_app.command("diff")
def diff_cmd(
    ctx: typer.Context,
    run: RunOpt = None,
    against: Annotated[
        int | None,
        typer.Option("--against", help="Earlier run to compare with (default: the one before)."),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """What grew, shrank, vanished or newly appeared since the previous run."""
    from shopperlens.labels import percent

    evo = open_shop(ctx).personas_diff(run, against)
    if json_:
        _render.as_json(evo)
        return
    rows = [
        {
            "status": c.status,
            "then": c.previous_name or "",
            "people then": "" if c.previous_size is None else f"{c.previous_size:,}",
            "share then": "" if c.previous_share is None else f"{percent(c.previous_share)}%",
            "now": c.current_name or "",
            "people now": "" if c.current_size is None else f"{c.current_size:,}",
            "share now": "" if c.current_share is None else f"{percent(c.current_share)}%",
        }
        for c in evo.changes
    ]
    _render.table(rows, title=f"run {evo.current_run} vs {evo.previous_run} ({evo.basis})")
    _change_notes(evo)


@personas_app.command("members")
def members_cmd(
    ctx: typer.Context,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="FILE.csv, .parquet or .json to write (columns respondent, persona, customer_id).",
        ),
    ],
    run: RunOpt = None,
) -> None:
    """Write who belongs to which persona: `respondent`, `persona`, `customer_id` (empty for a
    respondent linked to no customer)."""
    from shopperlens.service._files import TABLE_FORMATS, output_file
    from shopperlens.service.personas import MEMBER_COLUMNS

    output_file(out, TABLE_FORMATS)
    df = open_shop(ctx).personas_members(run)
    write_out(ctx, df[list(MEMBER_COLUMNS)], out, what="members")


@personas_app.command("cards")
def cards_cmd(
    ctx: typer.Context,
    out: Annotated[
        Path,
        typer.Option("--out", help="Folder for the cards (created inside an existing folder)."),
    ],
    run: RunOpt = None,
) -> None:
    """Write a printable HTML card per persona, plus personas.md and personas-run.json."""
    paths = open_shop(ctx).personas_cards(out, run)
    _render.message(f"wrote {len(paths)} files to {out}")


@personas_app.command("runs")
def runs_cmd(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Every stored persona run, newest first."""
    from shopperlens.service import personas as svc

    rows = svc.runs(store=open_shop(ctx).store)
    if json_:
        _render.as_json(rows)
        return
    _render.table(rows, title="persona runs (times in UTC)")
    note = svc.provisional_runs_note(rows)
    if note:
        _render.message(note)
