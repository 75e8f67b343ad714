"""`shopperlens playbook`, `shopperlens audience export`, `shopperlens rules` and the analyses."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from shopperlens.cli import _render
from shopperlens.cli._app import app, open_shop
from shopperlens.errors import InsufficientDataError, ShopperlensError
from shopperlens.service._files import output_file


class PlaybookFormat(StrEnum):
    md = "md"
    html = "html"
    json = "json"
    table = "table"


class Destination(StrEnum):
    csv = "csv"
    meta = "meta"
    google = "google"
    mailchimp = "mailchimp"
    klaviyo = "klaviyo"


class Purpose(StrEnum):
    marketing = "marketing"
    case_study = "case_study"
    referral = "referral"


TypeOpt = Annotated[
    str | None,
    typer.Option("--type", "-t", help="need_based, looker, new, loyal or impulse (default: all)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


#: the playbook each ending of ``--out`` names
PLAYBOOK_FILES = {
    ".md": PlaybookFormat.md,
    ".html": PlaybookFormat.html,
    ".json": PlaybookFormat.json,
}


def _file_format(out: Path, fmt: PlaybookFormat | None) -> PlaybookFormat:
    """The format ``--out`` names by its ending, checked before any work: ``--out p.pdf``
    wrote Markdown under that name. A ``--format`` saying otherwise is refused rather than
    one of the two silently winning."""
    output_file(out, tuple(PLAYBOOK_FILES))
    named = PLAYBOOK_FILES[out.suffix.lower()]
    if fmt is not None and fmt is not named:
        raise ShopperlensError(
            f"--format {fmt.value} does not match --out {out.name}, which names {named.value}: "
            "drop --format or make the two agree"
        )
    return named


@app.command("playbook")
def playbook_cmd(
    ctx: typer.Context,
    type_: TypeOpt = None,
    fmt: Annotated[
        PlaybookFormat | None,
        typer.Option(
            "--format", "-f", help="md, html, json or table (default: md, or --out's ending)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to FILE.md, .html or .json.")
    ] = None,
    brand: Annotated[
        list[str] | None,
        typer.Option(help="The shop's brand name(s), for keyword intent (default: types config)."),
    ] = None,
) -> None:
    """Each type's actions with this shop's evidence, revenue at stake and audience."""
    fmt = _file_format(out, fmt) if out else fmt or PlaybookFormat.md
    pb = open_shop(ctx).playbook(type=type_, brand_words=tuple(brand) if brand else None)
    if fmt is PlaybookFormat.table:
        from shopperlens.playbooks.generator import stake_text

        rows = [a.as_dict() | {"at_stake": stake_text(a, pb.currency)} for a in pb.actions]
        _render.table(rows, ["type", "number", "title", "at_stake", "audience_size", "exportable"])
        return
    if fmt is PlaybookFormat.json:
        text = json.dumps(pb.model_dump(mode="json"), indent=2)
    elif fmt is PlaybookFormat.html:
        from shopperlens.markdown import to_html  # raw HTML in the text is shown, never run

        text = to_html(pb.markdown())
    else:
        text = pb.markdown()
    if out:
        out.write_text(text, encoding="utf-8")
        _render.message(f"wrote {out}")
    else:
        print(text)


audience_app = typer.Typer(help="Export the people to target, for ad platforms and e-mail tools.")
app.add_typer(audience_app, name="audience")


@audience_app.command("export")
def audience_export_cmd(
    ctx: typer.Context,
    type_: Annotated[
        str | None,
        typer.Option(
            "--type", "-t", help="need_based, looker, new, loyal or impulse (this or --segment)."
        ),
    ] = None,
    segment: Annotated[
        str | None,
        typer.Option(
            "--segment",
            "-s",
            help="Expression over type, orders, revenue, days_since_last_order, country, "
            "the consents and each type's score (score_new …), "
            "e.g. \"type == 'loyal' and orders >= 3\".",
        ),
    ] = None,
    to: Annotated[
        Destination,
        typer.Option(
            "--to", metavar="<destination>", help="csv, meta, google, mailchimp or klaviyo."
        ),
    ] = Destination.csv,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default audience-<to>.csv).")
    ] = None,
    purpose: Annotated[
        Purpose,
        typer.Option(
            "--purpose",
            metavar="<purpose>",
            help="The consent the csv's e-mails follow: marketing, case_study or referral "
            "(the other destinations take marketing only).",
        ),
    ] = Purpose.marketing,
    json_: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the counts as JSON (selected, written, without_consent, "
            "without_email, shared_email, not_importable, warnings) instead of a line.",
        ),
    ] = False,
) -> None:
    """Write an audience file; marketing destinations get consenting customers only."""
    path = out or Path(f"audience-{to.value}.csv")
    shop = open_shop(ctx)
    summary = shop.audience(
        type=type_, segment=segment, to=to.value, out=path, purpose=purpose.value
    )
    if json_:  # a nightly job reads who was left out from the numbers, not from the line
        _render.as_json(summary)
    else:
        _render.message(f"wrote {summary.written:,} rows to {path} ({summary.accounting()})")
    for warning in summary.warnings:
        typer.echo(f"warning: {warning}", err=True)


@app.command("rules")
def rules_cmd(
    ctx: typer.Context,
    min_support: Annotated[
        float | None,
        typer.Option(
            help="Smallest share of the orders holding a rule's products, 0 to 1: 0.01 is 1 % "
            "(default: 3 orders, and at least 0.1 %)."
        ),
    ] = None,
    min_confidence: Annotated[
        float,
        typer.Option(
            help="Smallest confidence, 0 to 1: the share of the orders with the first "
            "products that also hold the others."
        ),
    ] = 0.1,
    limit: Annotated[int, typer.Option(min=0, help="Rules shown, highest lift first.")] = 20,
    json_: JsonOpt = False,
) -> None:
    """Association rules over the orders (frequently bought together)."""
    from shopperlens.labels import percent
    from shopperlens.playbooks.generator import MIN_TOGETHER

    shop = open_shop(ctx)
    rules = shop.rules(min_support=min_support, min_confidence=min_confidence)
    if rules.empty:
        _needs_orders(shop)
    if rules.empty and not json_:
        least = (
            f"{percent(min_support, 1)}% of the orders"
            if min_support is not None
            else f"{MIN_TOGETHER} orders (and 0.1 % of them; --min-support sets a share)"
        )
        _render.message(
            f"no rules: no products were bought together in at least {least} "
            f"with confidence ≥ {min_confidence:g}"
        )
        return
    rules = rules.head(limit).assign(
        antecedents=lambda d: d.antecedents.map(sorted),
        consequents=lambda d: d.consequents.map(sorted),
    )
    cols = ["antecedents", "consequents", "support", "confidence", "lift"]
    _render.as_json(rules[cols]) if json_ else _render.table(rules[cols], title="rules")


@app.command("threshold")
def threshold_cmd(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """The free-shipping threshold that most raises expected order value (in the shop's
    currency)."""
    from shopperlens.playbooks.checkout import left_out_text
    from shopperlens.service.playbooks import threshold_answer

    shop = open_shop(ctx)
    row = threshold_answer(store=shop.store)
    if row["threshold"] is None:
        _needs_orders(shop)
    if json_:  # --json stays JSON, also without a threshold
        _render.as_json(row)
        return
    for said in ("reason", "note"):
        if said in row:
            _render.message(row.pop(said))
    if row["threshold"] is None:
        return
    if row["other_currency_orders"]:
        _render.message(left_out_text(row["other_currency_orders"]))
    # one figure per line: thirteen columns do not fit a terminal
    figures = [{"figure": k, "value": v} for k, v in row.items()]
    _render.table(figures, ["figure", "value"], title="free-shipping threshold")


@app.command("funnel")
def funnel_cmd(
    ctx: typer.Context,
    by: Annotated[str, typer.Option(help="Split by 'type', 'source' or 'none'.")] = "type",
    json_: JsonOpt = False,
) -> None:
    """The purchase funnel, view → cart → checkout → purchase, with the drop-off at each
    step."""
    shop = open_shop(ctx)
    f = shop.funnels(by=None if by == "none" else by)
    if f.empty and not shop.store.count("events"):  # "(nothing)" said no why
        raise InsufficientDataError(
            "no funnel: it is built from visits, and no visit data is imported "
            "(shopperlens import events FILE)"
        )
    _render.as_json(f) if json_ else _render.table(f, title="funnel")


recommend_app = typer.Typer(help="Product recommendations: bought together, related, upsell.")
app.add_typer(recommend_app, name="recommend")
TopOpt = Annotated[int, typer.Option(help="Recommendations per product.")]


@recommend_app.command("together")
def together_cmd(
    ctx: typer.Context,
    product: Annotated[str | None, typer.Option(help="Only this product id.")] = None,
    top: TopOpt = 4,
    json_: JsonOpt = False,
) -> None:
    """Frequently bought together, per product (pairs counted in SQL)."""
    from shopperlens.playbooks.generator import MIN_TOGETHER

    shop = open_shop(ctx)
    rows = shop.frequently_bought_together(product_id=product, top=top)
    if rows.empty:
        _needs_orders(shop)
    if rows.empty and not json_:
        which = (
            f"{product} was not bought together with another product"
            if product
            else "no two products were bought together"
        )
        _render.message(
            f"nothing to recommend: {which} in {MIN_TOGETHER} or more orders and more often "
            "than the products sell apart (lift above 1: the least a recommendation needs)"
        )
        return
    _render.as_json(rows) if json_ else _render.table(rows, title="bought together")


def _needs_orders(shop) -> None:  # type: ignore[no-untyped-def]
    """An empty answer from a store holding no orders is an error, as ``types`` and ``clv``
    say it (exit 1): said as a plain message with exit 0, a script read "no rules" or "no
    threshold" as the shop's answer."""
    from shopperlens.service.playbooks import NO_ORDERS

    if not shop.store.count("orders"):
        raise InsufficientDataError(NO_ORDERS)


@recommend_app.command("related")
def related_cmd(ctx: typer.Context, top: TopOpt = 4, json_: JsonOpt = False) -> None:
    """Related products: viewed in the same sessions."""
    shop = open_shop(ctx)
    rows = shop.related_products(top=top)
    if rows.empty and not shop.store.count("events"):
        raise InsufficientDataError(
            "nothing to recommend: no visit data imported (shopperlens import events FILE)"
        )
    if rows.empty and not json_:
        _render.message(
            "nothing to recommend: no two products were viewed together in 2 or more visits"
        )
        return
    _render.as_json(rows) if json_ else _render.table(rows, title="related products")


@recommend_app.command("upsell")
def upsell_cmd(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Option(help="Only this customer id.")] = None,
    top: Annotated[int, typer.Option(help="Products proposed per customer.")] = 3,
    json_: JsonOpt = False,
) -> None:
    """Per customer, products to propose next (never one already bought)."""
    from shopperlens.playbooks.generator import MIN_TOGETHER

    shop = open_shop(ctx)
    rows = shop.upsell_picks(customer_id=customer, top=top)
    if rows.empty:
        _needs_orders(shop)
    if rows.empty and not json_:
        _render.message(
            "nothing to recommend: picks come from products bought together in "
            f"{MIN_TOGETHER} or more orders, and none proposes a product a customer lacks"
        )
        return
    _render.as_json(rows) if json_ else _render.table(rows, title="upsell picks")
