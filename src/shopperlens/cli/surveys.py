"""`shopperlens survey …`, `shopperlens interviews …`, `shopperlens analytics …` and
`shopperlens import survey`: thin commands over the surveys services."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shopperlens.cli import _render
from shopperlens.cli._app import app, open_shop
from shopperlens.cli.imports import import_app
from shopperlens.errors import ShopperlensError

if TYPE_CHECKING:
    from shopperlens.api import Shop

survey_app = typer.Typer(
    help="Build surveys, send them, collect and analyse the answers.", no_args_is_help=True
)
interviews_app = typer.Typer(
    help="Recruit interviewees, invite them, import and tag notes.", no_args_is_help=True
)
analytics_app = typer.Typer(
    help="Import analytics audiences and cross-check the survey.", no_args_is_help=True
)
app.add_typer(survey_app, name="survey")
app.add_typer(interviews_app, name="interviews")
app.add_typer(analytics_app, name="analytics")


def _report(rep: object) -> None:
    """A send report as two columns (it is one row of many counts)."""
    data = rep.model_dump()  # type: ignore[attr-defined]
    _render.table([{"": k.replace("_", " "), "value": v} for k, v in data.items()])


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ShopNameOpt = Annotated[
    str | None,
    typer.Option(
        "--shop-name", help="Shop name the e-mails introduce and sign with (else: we, us)."
    ),
]


@survey_app.command("create")
def create_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Survey name (or 'demo-profile' for the built-in).")],
    definition: Annotated[
        Path | None, typer.Option("--from", help="YAML/JSON definition file.")
    ] = None,
    bank: Annotated[
        str | None, typer.Option("--from-bank", help="Comma-separated question ids from the bank.")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Title shown to respondents.")] = None,
) -> None:
    """Save a survey definition (a changed definition becomes a new version)."""
    shop = open_shop(ctx)
    if definition is None and bank is None and name != "demo-profile":
        raise ShopperlensError(
            "give --from FILE or --from-bank id,id,… (see `shopperlens survey bank`)"
        )
    info = shop.survey_create(
        name if definition is None and bank is None else None,
        path=definition,
        from_bank=bank.split(",") if bank else None,
        name=name,
        title=title,
    )
    _render.message(f"survey {info.name} version {info.version}: {info.questions} questions")
    for w in info.warnings:
        _render.message(("warning:", "yellow"), f" {w}")


@survey_app.command("show")
def show_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Survey to print.")],
    version: Annotated[int | None, typer.Option(help="A past version (default: current).")] = None,
) -> None:
    """Print a stored survey definition as YAML (edit it and `survey create NAME --from`)."""
    from shopperlens.service.surveys import get_survey

    typer.echo(get_survey(store=open_shop(ctx).store, name=name, version=version).to_yaml())


@survey_app.command("bank")
def bank_cmd() -> None:
    """List the question bank, grouped as the profile method asks."""
    from shopperlens.surveys.definition import question_bank

    rows = [
        {"id": q.id, "group": q.group, "kind": q.kind, "text": q.text}
        for q in question_bank().values()
    ]
    _render.table(rows)


@survey_app.command("list")
def list_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Stored surveys with version, questions, responses and warnings."""
    rows = open_shop(ctx).survey_list()
    _render.as_json(rows) if as_json else _render.table(rows)


@survey_app.command("send")
def send_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Survey to send.")],
    type_: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            help="Only this customer type: need_based, looker, new, loyal or impulse (repeatable).",
        ),
    ] = None,
    min_orders: Annotated[
        int | None, typer.Option(help="Only customers with at least this many orders.")
    ] = None,
    new_category_days: Annotated[
        int | None, typer.Option(help="Only customers who bought in a new category within N days.")
    ] = None,
    abandoned_checkout_days: Annotated[
        int | None, typer.Option(help="Only customers with an abandoned checkout within N days.")
    ] = None,
    quota: Annotated[
        int | None, typer.Option(help="At most this many invitations for this audience.")
    ] = None,
    response_quota: Annotated[
        int | None, typer.Option(help="Send nothing once the survey has this many responses.")
    ] = None,
    template: Annotated[
        str, typer.Option(help="E-mail template: a file or a built-in name.")
    ] = "invitation",
    shop_name: ShopNameOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count who would be invited; send nothing.")
    ] = False,
    remind: Annotated[
        bool, typer.Option("--remind", help="Send reminders to invitees who have not answered.")
    ] = False,
    # the ranges are the service's (survey_delivery.check_reminder_options), said here too
    max_reminders: Annotated[
        int, typer.Option(help="With --remind: reminders per person at most (1 or more).")
    ] = 1,
    gap_days: Annotated[
        float, typer.Option(help="With --remind: days since the last e-mail (0 to 3650).")
    ] = 7,
) -> None:
    """E-mail a survey to consenting customers (resumable; nobody twice)."""
    from shopperlens.service.survey_delivery import Audience
    from shopperlens.types.config import type_name

    shop = open_shop(ctx)
    if remind:
        rep = shop.survey_remind(
            name, max_reminders=max_reminders, min_gap_days=gap_days, shop_name=shop_name
        )
    else:
        aud = Audience(
            types=[type_name(t) for t in type_] if type_ else None,
            min_orders=min_orders,
            new_category_days=new_category_days,
            abandoned_checkout_days=abandoned_checkout_days,
        )
        rep = shop.survey_send(
            name,
            audience=aud,
            quota=quota,
            response_quota=response_quota,
            template=template,
            shop_name=shop_name,
            dry_run=dry_run,
        )
    _report(rep)


@survey_app.command("results")
def results_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Survey to analyse.")],
    as_json: JsonOpt = False,
) -> None:
    """Distributions, cross-tabs by customer type, themes and stated vs adjusted income."""
    res = open_shop(ctx).survey_results(name)
    if as_json:
        _render.as_json(res)
        return
    _render.message(
        f"{res.title} (v{res.version}): {res.respondents} respondents, {res.customers} customers"
    )
    _render.table(_in_percent(res.distributions, "share"), ["question", "value", "count", "share"],
                  title="answers")  # fmt: skip
    if res.numbers:
        _render.table(res.numbers, ["question", "n", "mean", "median", "p25", "p75"],
                      title="numbers (mean, median, quartiles)")  # fmt: skip
    if res.income:
        _render.table([res.income], title="income (stated vs adjusted)")
    for question, rows in res.crosstabs.items():
        shares = [c for c in (rows[0] if rows else {}) if c not in ("group", "n")]
        _render.table(_in_percent(rows, *shares), ["group", *shares, "n"],
                      title=f"{question} by customer type")  # fmt: skip
    if res.representativeness:
        _render.table(
            _in_percent(res.representativeness, "respondents", "base", points="gap"),
            ["dimension", "value", "respondents", "base", "gap"],
            title="whose voice (respondents vs the shop's customers or visitors)",
        )
    themes = [{**t.model_dump(), "said by": t.name_coverage} for t in res.themes]
    _render.table(
        _in_percent(themes, "share", "said by"),
        ["question", "theme", "share", "said by", "top_terms"],
        title="themes (said by: the share of a theme's answers using a word of its name)",
    )
    for n in res.notes:
        _render.message(f"note: {n}")


def _in_percent(
    rows: list[dict[str, object]], *columns: str, points: str | None = None
) -> list[dict[str, object]]:
    """``rows`` with the shares in ``columns`` written as whole percentages (``17 %``, not
    ``0.1733``) and ``points`` as percentage points (``+1.3 pts``)."""

    from shopperlens.labels import percent

    def pct(v: object) -> object:
        return f"{percent(v)} %" if isinstance(v, int | float) else v

    def pts(v: object) -> object:
        if not isinstance(v, int | float):
            return v
        shown = percent(v, 1)
        return f"{shown if shown.startswith('-') else '+' + shown} pts"

    return [
        {k: pct(v) if k in columns else pts(v) if k == points else v for k, v in r.items()}
        for r in rows
    ]


@survey_app.command("popup-snippet")
def popup_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Survey to show.")],
    question: Annotated[str | None, typer.Option(help="The one question the pop-up asks.")] = None,
    trigger: Annotated[str, typer.Option(help="delay, exit, cart or checkout_abandon.")] = "delay",
    delay: Annotated[
        float | None,
        typer.Option(
            help="Seconds before showing (delay/cart; default: 10 with delay, 1 with cart)."
        ),
    ] = None,
    bar: Annotated[
        bool, typer.Option("--bar", help="A welcome bar linking to the survey instead.")
    ] = False,
    text: Annotated[str | None, typer.Option(help="Welcome-bar text.")] = None,
    days: Annotated[int, typer.Option(help="Show no survey again for this many days.")] = 30,
    type_: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            help="Only visitors of this customer type: need_based, looker, new, loyal or "
            "impulse (repeatable; signed: needs SHOPPERLENS_SECRET_KEY).",
        ),
    ] = None,
    cart_path: Annotated[
        list[str] | None,
        typer.Option("--cart-path", help="The shop's cart page address (default /cart)."),
    ] = None,
    checkout_path: Annotated[
        list[str] | None,
        typer.Option("--checkout-path", help="The shop's checkout address (default /checkout)."),
    ] = None,
    complete_path: Annotated[
        list[str] | None,
        typer.Option(
            "--complete-path",
            help="The shop's order-complete address (default /thank; common platforms' are known).",
        ),
    ] = None,
) -> None:
    """Print the <script> tag to paste into the shop's pages.

    --cart-path, --checkout-path and --complete-path are path prefixes (/checkout also
    covers /checkout/… and /checkouts/…); repeat one for several pages."""
    shop = open_shop(ctx)
    mode = "bar" if bar else "popup"
    tag = shop.survey_popup_snippet(
        name,
        question=question,
        trigger=trigger,
        delay=delay,
        mode=mode,
        text=text,
        days=days,
        types=type_ or None,
        cart_path=cart_path,
        checkout_path=checkout_path,
        complete_path=complete_path,
    )
    _warn_loopback(shop.settings.public_url)
    _warn_no_question(shop, name, mode, question)
    typer.echo(tag)


def _warn_no_question(shop: Shop, name: str, mode: str, question: str | None) -> None:
    """Say on stderr when a pop-up names no question: it would ask the survey's first one
    ("How old are you?"), not one chosen for the moment it appears."""
    from shopperlens.service.surveys import popup_warning

    warning = popup_warning(store=shop.store, survey=name, mode=mode, question=question)
    if warning:
        typer.echo(f"warning: {warning}", err=True)


@survey_app.command("link")
def link_cmd(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Survey.")]) -> None:
    """Print the public survey link (for prospects and lookalike-audience ads)."""
    shop = open_shop(ctx)
    link = shop.survey_link(name)
    _warn_loopback(shop.settings.public_url)
    typer.echo(link)


def _warn_loopback(public_url: str) -> None:
    """Say on stderr (the link or tag on stdout stays clean to copy), before it, when it
    points at an address only this computer opens: pasted into a shop or an ad, it reaches
    nobody."""
    from shopperlens.surveys.links import loopback_warning

    warning = loopback_warning(public_url)
    if warning:
        typer.echo(f"warning: {warning}", err=True)


@import_app.command("survey")
def import_survey_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Survey-tool CSV export: a row per respondent.")],
    survey: Annotated[str, typer.Option("--survey", help="Survey the answers belong to.")],
    on_error: Annotated[
        str, typer.Option("--on-error", help="abort (nothing stored) or skip bad rows.")
    ] = "abort",
    decimal_comma: Annotated[
        bool,
        typer.Option(
            "--decimal-comma",
            help="Number answers are written the European way: 1.234,50 is 1234.5.",
        ),
    ] = False,
) -> None:
    """Survey answers from a survey tool's CSV export (multi-selects joined by ';')."""
    res = open_shop(ctx).survey_import(
        file, survey=survey, on_error=on_error, decimal_comma=decimal_comma
    )
    if res.already_imported:
        _render.message(f"{file.name} was imported before: nothing to do")
        return
    _render.message(
        f"{res.rows_accepted} of {res.rows_read} responses imported into {survey}"
        + (f"; rejects in {res.rejects_file}" if res.rejects_file else "")
    )


@interviews_app.command("recruit")
def recruit_cmd(
    ctx: typer.Context,
    n: Annotated[int, typer.Option("--n", help="How many best and how many worst customers.")] = 10,
    prospects: Annotated[
        int,
        typer.Option("--prospects", help="How many prospects (interested, never bought; 0: none)."),
    ] = 10,
    invite: Annotated[
        bool, typer.Option("--invite", help="E-mail them an interview invitation.")
    ] = False,
    booking_url: Annotated[
        str | None, typer.Option(help="Where invitees pick a time (optional).")
    ] = None,
    reward: Annotated[
        str | None, typer.Option(help="Thank-you offered, e.g. 'a 20 EUR voucher'.")
    ] = None,
    shop_name: ShopNameOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write those an invitation may reach to this .csv file (id, first name, "
            "e-mail, segment, reason, consent, already invited), readable by you only.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The 10 best and 10 worst customers and 10 prospects to interview (and invite them)."""
    shop = open_shop(ctx)
    if out is None:
        picked = shop.interviews_recruit(n, prospects=prospects)
    else:  # before --invite: the list says who was invited before this run
        picked, listed = shop.interviews_recruits_and_list(n, prospects=prospects, out=out)
        said = f"wrote {len(listed):,} {'person' if len(listed) == 1 else 'people'} to {out}"
        typer.echo(said, err=True) if as_json else _render.message(said)
    rep = (
        shop.interviews_invite(
            picked["customer_id"], booking_url=booking_url, reward=reward, shop_name=shop_name
        )
        if invite
        else None
    )
    if as_json:  # one JSON document: the people, and with --invite what was sent
        _render.as_json(picked if rep is None else {"recruits": picked, "sent": rep})
        return
    _render.table(picked)
    if rep is not None:
        _report(rep)


@interviews_app.command("import")
def interviews_import_cmd(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Markdown/text notes or folders of them.")],
) -> None:
    """Import interview notes and tag psychographic themes and quotes."""
    shop = open_shop(ctx)
    res = shop.interviews_import(*paths)
    _render.table([res.model_dump(exclude={"notes"})])
    for note in res.notes:
        _render.message(f"note: {note}")
    _render.table(shop.interview_themes(), title="themes")


@analytics_app.command("import")
def analytics_import_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="GA4 audience export or competitor CSV.")],
    source: Annotated[str, typer.Option(help="ga4 or competitor.")] = "ga4",
    name: Annotated[
        str | None, typer.Option(help="Competitor name (with --source competitor).")
    ] = None,
) -> None:
    """Import a web-analytics (GA4) or competitor audience report."""
    _render.table([open_shop(ctx).analytics_import(file, source=source, name=name)])


@analytics_app.command("check")
def analytics_check_cmd(
    ctx: typer.Context,
    survey: Annotated[
        str | None,
        typer.Option(help="Survey to check (default: the one with answers, demo-profile first)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Where analytics confirm or contradict the survey, in plain words."""
    found = open_shop(ctx).analytics_check(survey)
    if as_json:
        _render.as_json(found)
        return
    for f in found:
        mark = {"contradiction": ("✗", "red"), "note": ("•", "yellow")}.get(f.kind, ("✓", "green"))
        _render.message(mark, f" {f.message}")
