"""Stores holding only part of a shop's data: what is missing is said to be missing, never shown
as a measured zero, and small samples get counts instead of confident percentages.

Each store is written as CSV files and imported as a shop would: orders only, events only,
orders and events without tickets, the UCI session file only, a three-customer shop.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pytest

from _ingest_data import write
from shopperlens.playbooks.checkout import MIN_SAMPLE
from shopperlens.reports import site
from shopperlens.service import interviews, overview
from shopperlens.service import playbooks as svc

ORDER_COLUMNS = (
    "order_id,customer_id,email,ordered_at,product_id,quantity,unit_price,category,shipping,"
    "discount_code,currency\n"
)
EVENT_COLUMNS = (
    "event_id,visitor_id,session_id,customer_id,timestamp,event_name,page,product_id,"
    "utm_source,utm_medium,value\n"
)
UCI_COLUMNS = (
    "Administrative,Administrative_Duration,Informational,Informational_Duration,"
    "ProductRelated,ProductRelated_Duration,BounceRates,ExitRates,PageValues,SpecialDay,Month,"
    "OperatingSystems,Browser,Region,TrafficType,VisitorType,Weekend,Revenue\n"
)


def orders_csv(
    rows: list[tuple[str, str, str, str, float]],
    *,
    category: str | None = "tents",
    shipping: float | None = None,
    codes: frozenset[str] = frozenset(),
) -> str:
    """One line per ``(order_id, customer_id, date, product_id, price)``; ``codes`` are the
    orders that used a discount code."""
    out = ORDER_COLUMNS
    for order, customer, day, product, price in rows:
        ship = "" if shipping is None else (0.0 if price >= 50 else shipping)
        code = "SALE10" if order in codes else ""
        out += (
            f"{order},{customer},{customer}@example.org,{day},{product},1,{price},"
            f"{category or ''},{ship},{code},EUR\n"
        )
    return out


def three_customers() -> list[tuple[str, str, str, str, float]]:
    """c1 bought three times (EUR 50 in all), c3 once for EUR 50, c2 once for EUR 20 long ago:
    c2 is the weakest customer."""
    return [
        ("o1", "c1", "2024-03-01", "P1", 20.0),
        ("o2", "c1", "2024-03-20", "P2", 10.0),
        ("o3", "c1", "2024-04-01", "P3", 20.0),
        ("o4", "c2", "2024-01-05", "P1", 20.0),
        ("o5", "c3", "2024-04-02", "P2", 50.0),
    ]


def many_orders(n: int = 40, customers: int = 20) -> list[tuple[str, str, str, str, float]]:
    """``n`` orders of ``customers`` people, basket values 20 … 98 spread across the range."""
    day = pd.Timestamp("2024-01-01")
    return [
        (f"o{i}", f"c{i % customers}", f"{day + pd.Timedelta(days=3 * i):%Y-%m-%d}",
         f"P{i % 5}", float(20 + (i * 37) % 79))
        for i in range(n)
    ]  # fmt: skip


def lookers_csv(visitors: int = 6) -> str:
    """Anonymous visitors who each come twice, view products and (every other one) leave a
    cart; nobody buys: lookers, and nothing else, in an events-only shop."""
    out, k = EVENT_COLUMNS, 0
    for v in range(visitors):
        for visit in range(2):
            t = pd.Timestamp("2024-03-01") + pd.Timedelta(days=v + 3 * visit)
            steps = [("page_view", "/", ""), ("view_item", "/p1", "P1"), ("view_item", "/p2", "P2")]
            if v % 2 == 0 and visit == 1:
                steps.append(("add_to_cart", "/cart", "P1"))
            for m, (name, page, product) in enumerate(steps):
                k += 1
                value = "30" if name == "add_to_cart" else ""
                out += (
                    f"e{k},v{v},s{v}-{visit},,{t + pd.Timedelta(minutes=m):%Y-%m-%d %H:%M:%S},"
                    f"{name},{page},{product},,,{value}\n"
                )
    return out


def uci_csv(rows: int = 3) -> str:
    return UCI_COLUMNS + "".join(
        f"0,0,0,0,{2 + i},{60 * (i + 1)},0,0.1,0,0,Feb,1,1,1,{2 + i % 2},Returning_Visitor,"
        "FALSE,FALSE\n"
        for i in range(rows)
    )


def imported(shop, tmp_path: Path, **files: str):  # type: ignore[no-untyped-def]
    """Import each ``kind=text`` into ``shop`` (as ``shopperlens import KIND FILE`` does)."""
    for kind, text in files.items():
        getattr(shop, f"import_{kind}")(write(tmp_path, f"{kind}.csv", text))
    return shop


def page(store, slug: str) -> str | None:  # type: ignore[no-untyped-def]
    """The page as HTML with its entities read (``shop's``, not ``shop&#39;s``)."""
    p = site.find(slug)
    assert p is not None
    ctx = p.build(store, None)
    return None if ctx is None else html.unescape(site.render(p, ctx, []))


def said(output: str) -> str:
    """CLI output with the terminal's line wrapping undone."""
    return " ".join(output.split())


# -- 1. every playbook page the CLI has, saying why a type cannot be found -------------------
def test_events_only_shop_has_every_playbook_page(shop, tmp_path: Path, client) -> None:
    """Events only: the CLI prints all five sections, so all five pages exist; the lookers'
    is filled, the others say orders are missing and which import adds them."""
    imported(shop, tmp_path, events=lookers_csv())
    md = shop.playbook().markdown()
    assert "## Lookers (browsers)" in md and "6 lookers browse without buying" in md
    looker = page(shop.store, "playbook-looker")
    assert looker is not None and "6 lookers browse without buying" in looker
    assert client.get("/dashboard/playbook-looker.html").status_code == 200
    for slug in ("playbook-new", "playbook-loyal", "playbook-impulse", "playbook-need-based"):
        html = page(shop.store, slug)
        assert html is not None, slug
        assert "no orders are imported" in html, slug
        assert "<code>shopperlens import orders FILE</code>" in html, slug
        assert "0 people" not in html and "Total: <strong>EUR 0" not in html, slug
    assert "average order EUR 0" not in md and "average order (none known" in md


def test_orders_only_shop_says_which_types_need_visits(shop, tmp_path: Path) -> None:
    """Orders only: need-based shoppers and lookers cannot be found without visit data; the
    page exists and says so in one sentence (not "0 people", not "Total: EUR 0")."""
    imported(shop, tmp_path, orders=orders_csv(three_customers()))
    md = shop.playbook().markdown()
    pages = (("playbook-need-based", "Need-based shoppers"), ("playbook-looker", "Lookers"))
    for slug, who in pages:
        html = page(shop.store, slug)
        assert html is not None, slug
        assert f"{who} are" in html and "no visit data (events) is imported" in html
        assert "<code>shopperlens import events FILE</code> adds it" in html
        assert "0 people" not in html and "Total: <strong>EUR 0" not in html
        assert "none can be found without visit data" in html
    assert "no visit data (events) is imported" in md
    assert "(0 people)" not in md.split("## New customers")[0]
    loyal = page(shop.store, "playbook-loyal")
    assert loyal is not None
    assert "No one in this shop's data is a loyal customer yet" in loyal
    assert "Total: <strong>EUR 0" not in loyal and "No action here has a money estimate" in loyal


# -- 2. sessions without a source ----------------------------------------------------------------
def test_uci_sessions_have_an_unknown_source_not_direct(shop, tmp_path: Path) -> None:
    imported(shop, tmp_path, sessions=uci_csv(3))
    assert overview.overview(store=shop.store).top_sources == [("(unknown source)", 3)]
    html = page(shop.store, "index")
    assert html is not None
    assert "(direct)" not in html and "their source is unknown, not direct" in html


def test_event_sessions_without_utm_stay_direct(shop, tmp_path: Path) -> None:
    imported(shop, tmp_path, events=lookers_csv(2))
    shown = overview.overview(store=shop.store)
    assert shown.top_sources == [("(direct) / (none)", 4)] and shown.sources_unknown == 0


# -- 3. missing data is not a measured zero ---------------------------------------------------
def _orders_and_events(shop, tmp_path: Path, *, tickets: str | None = None):  # type: ignore[no-untyped-def]
    files = {"orders": orders_csv(many_orders()), "events": lookers_csv()}
    if tickets:
        files["tickets"] = tickets
    return imported(shop, tmp_path, **files)


def test_no_tickets_imported_is_said_not_counted(shop, tmp_path: Path) -> None:
    _orders_and_events(shop, tmp_path)
    md = shop.playbook().markdown()
    assert "no support tickets imported (`shopperlens import tickets FILE` adds them)" in md
    for zero in ("0 tickets from new customers", "0.00 tickets per order",
                 "tickets from loyal customers", "0.00 per order", "top topics"):  # fmt: skip
        assert zero not in md, zero
    html = page(shop.store, "playbook-impulse")
    assert html is not None
    assert "Support tickets per order, by type" not in html
    assert "no support tickets imported" in html


def test_imported_tickets_are_counted(shop, tmp_path: Path) -> None:
    """The control: with tickets, the ticket figures are there."""
    tickets = "ticket_id,customer_id,created_at,subject\nt1,c1,2024-02-01,Where is my parcel?\n"
    _orders_and_events(shop, tmp_path, tickets=tickets)
    md = shop.playbook().markdown()
    assert "no support tickets imported" not in md
    assert "top topics (candidate macros): delivery status" in md


def test_orders_only_shop_shows_no_visit_zeros(shop, tmp_path: Path) -> None:
    imported(shop, tmp_path, orders=orders_csv(many_orders()))
    md = shop.playbook().markdown()
    for zero in ("left a cart", "lookers browse without buying", "abandoned cart value EUR 0",
                 "no browsing events recorded", "product-intent visits did not buy"):  # fmt: skip
        assert zero not in md, zero
    assert "no visit data imported (`shopperlens import events FILE` adds it)" in md


def test_a_type_without_visits_is_not_a_shop_without_events(shop, tmp_path: Path) -> None:
    """The shop has visits, but its one need-based customer made none of them."""
    _orders_and_events(shop, tmp_path)
    types = pd.DataFrame(
        {"customer_id": ["c1", None], "visitor_id": [None, "v0"], "type": ["need_based", "looker"]}
    )
    pb = svc.playbook(store=shop.store, types=types, type="need_based")
    lines = [e for a in pb.actions for e in a.evidence]
    assert "funnel: no visits by need-based shoppers" in lines
    assert not any("no browsing events recorded" in e for e in lines)


def test_types_page_names_only_the_data_it_was_built_from(shop, tmp_path: Path) -> None:
    imported(shop, tmp_path, orders=orders_csv(three_customers()))
    html = page(shop.store, "types")
    assert html is not None
    assert "from the shop's own orders, with the data before" in html
    assert "visits and support" not in html and "support\ntickets" not in html
    assert "<td>Need-based</td>" not in html and "<td>Looker</td>" not in html
    assert "cannot show any" in html and "<code>shopperlens import events FILE</code>" in html


def test_overview_counts_no_category_as_none(shop, tmp_path: Path) -> None:
    imported(shop, tmp_path, orders=orders_csv(three_customers(), category=None))
    shown = overview.overview(store=shop.store)
    assert shown.categories == 0 and shown.top_categories[0][0] == "(no category)"
    html = page(shop.store, "index")
    assert html is not None
    assert "no categories recorded" in html and "1 categories" not in html
    assert "no support tickets or returns imported" in html
    assert "0</b><span>support tickets" not in html


# -- 4. interview recruiting ----------------------------------------------------------------------
def test_recruit_falls_back_to_low_value_lapsed_customers(shop, tmp_path: Path) -> None:
    """Twelve buyers and no tickets, returns or ratings: the 5 best by revenue, and the 5
    worst are the lowest-value, longest-lapsed ones, each saying why; nobody is in both."""
    rows = [(f"o{i}", f"c{i:02d}", f"2024-{1 + i // 2:02d}-10", "P1", 10.0 * (i + 1))
            for i in range(12)]  # fmt: skip
    imported(shop, tmp_path, orders=orders_csv(rows))
    got = interviews.recruit(store=shop.store, n=5, best_by="revenue", prospects=0)
    best = got[got.segment == "best"].customer_id.tolist()
    worst = got[got.segment == "worst"]
    assert best == ["c11", "c10", "c09", "c08", "c07"]
    assert worst.customer_id.tolist() == ["c00", "c01", "c02", "c03", "c04"]
    assert not set(best) & set(worst.customer_id)
    assert worst.reason.str.contains("low value and long since the last order").all()
    assert worst.reason.str.contains("the shop records no support tickets, returns").all()
    assert "EUR 10 over 1 order, last order 152 days before the newest" in worst.reason.iloc[0]


def test_recruit_puts_bad_signals_first_and_labels_the_rest(shop, tmp_path: Path) -> None:
    rows = [(f"o{i}", f"c{i:02d}", f"2024-{1 + i // 2:02d}-10", "P1", 10.0 * (i + 1))
            for i in range(12)]  # fmt: skip
    tickets = "ticket_id,customer_id,created_at,subject\nt1,c05,2024-05-01,Where is it?\n"
    imported(shop, tmp_path, orders=orders_csv(rows), tickets=tickets)
    got = interviews.recruit(store=shop.store, n=5, best_by="revenue", prospects=0)
    worst = got[got.segment == "worst"]
    assert worst.customer_id.tolist()[0] == "c05"
    assert (
        worst.reason.iloc[0] == "1 support ticket and 0 returns in 1 order" + interviews.NO_CONSENT
    )
    assert worst.reason.iloc[1:].str.contains("no support ticket, return or low rating of").all()
    assert len(worst) == 5


def test_three_customers_split_weakest_is_worst(shop, tmp_path: Path) -> None:
    imported(shop, tmp_path, orders=orders_csv(three_customers()))
    got = interviews.recruit(store=shop.store, best_by="revenue", prospects=0)
    assert got[got.segment == "best"].customer_id.tolist() == ["c1", "c3"]
    assert got[got.segment == "worst"].customer_id.tolist() == ["c2"]
    assert got.customer_id.is_unique


# -- 5. the CLI on stores with little in them -----------------------------------------------------
def test_types_on_an_empty_store_is_a_clear_error(cli) -> None:
    res = cli("types")
    assert res.exit_code == 1
    assert "(nothing)" not in res.output and "no customers, orders or events" in said(res.output)


def test_types_on_uci_sessions_points_at_types_sessions(cli, tmp_path: Path) -> None:
    assert cli("import", "sessions", str(write(tmp_path, "uci.csv", uci_csv(3)))).exit_code == 0
    res = cli("types")
    assert res.exit_code == 1 and "(nothing)" not in res.output
    assert "3 imported sessions" in said(res.output)
    assert "`shopperlens types sessions`" in said(res.output)
    assert cli("types", "sessions").exit_code == 0


def test_types_table_has_no_nan_ids(cli, tmp_path: Path) -> None:
    cli("import", "orders", str(write(tmp_path, "o.csv", orders_csv(three_customers()))))
    cli("import", "events", str(write(tmp_path, "e.csv", lookers_csv(2))))
    res = cli("types")
    assert res.exit_code == 0, res.output
    assert "c1" in res.output and "v0" in res.output
    assert " nan " not in res.output


def test_rules_and_together_say_the_minimum(cli, tmp_path: Path) -> None:
    """P1 and P2 together in two orders: one short of the 3 a rule needs."""
    rows = [(order, customer, day, product, 10.0)
            for order, customer, day in (("o1", "c1", "2024-03-01"), ("o2", "c2", "2024-03-02"))
            for product in ("P1", "P2")]  # fmt: skip
    assert cli("import", "orders", str(write(tmp_path, "o.csv", orders_csv(rows)))).exit_code == 0
    rules = cli("rules")
    assert "(nothing)" not in rules.output and "at least 3 orders" in said(rules.output)
    together = cli("recommend", "together")
    assert "(nothing)" not in together.output and "3 or more orders" in said(together.output)
    assert cli("rules", "--json").output.strip() == "[]"


def test_rules_on_a_shop_without_orders_say_so(cli, tmp_path: Path) -> None:
    """Missing data is an error (exit 1), as ``types`` and ``clv`` say it: with exit 0 a script
    read "no rules" or "no threshold" as the shop's answer."""
    for cmd in (("funnel",), ("funnel", "--json"), ("recommend", "related")):
        res = cli(*cmd)  # an empty store: no visit data
        assert res.exit_code == 1 and said(res.stderr).startswith("error: no"), cmd
        assert "no visit data is imported" in said(res.stderr) or (
            "no visit data imported" in said(res.stderr)
        ), cmd
    cli("import", "events", str(write(tmp_path, "e.csv", lookers_csv(2))))
    for cmd in (("rules",), ("rules", "--json"), ("recommend", "together"),
                ("recommend", "upsell"), ("threshold",), ("threshold", "--json")):  # fmt: skip
        res = cli(*cmd)
        assert res.exit_code == 1 and "Traceback" not in res.output, cmd
        assert said(res.stderr) == (
            "error: no orders imported yet: import them first (shopperlens import orders FILE)"
        ), cmd


# -- 6. small samples -----------------------------------------------------------------------------
def test_no_threshold_advice_on_a_handful_of_orders(shop, tmp_path: Path) -> None:
    imported(shop, tmp_path, orders=orders_csv(three_customers(), shipping=4.9))
    t = svc.shipping_threshold(store=shop.store)
    assert t is not None and t.orders == 5 and not t.advised
    md = shop.playbook().markdown()
    assert f"not advised from 5 orders: it needs at least {MIN_SAMPLE}" in md
    assert "sit just below it" not in md and "free shipping from" not in md
    html = page(shop.store, "playbook-need-based")
    assert html is not None and "Not advised from 5 orders" in html
    assert "Recommended:" not in html


def test_threshold_command_says_it_does_not_advise_on_a_handful(cli, tmp_path: Path) -> None:
    o = write(tmp_path, "o.csv", orders_csv(three_customers(), shipping=4.9))
    assert cli("import", "orders", str(o)).exit_code == 0
    res = cli("threshold")
    assert res.exit_code == 0 and f"not advised from 5 orders: it needs at least {MIN_SAMPLE}" in (
        said(res.output)
    )
    assert '"advised": false' in cli("threshold", "--json").output


def test_threshold_advice_from_enough_orders(shop, tmp_path: Path) -> None:
    """The control: 40 orders are enough for the advice."""
    imported(shop, tmp_path, orders=orders_csv(many_orders(40), shipping=4.9))
    assert svc.shipping_threshold(store=shop.store).advised  # type: ignore[union-attr]
    md = shop.playbook().markdown()
    assert "not advised" not in md and "median basket" in md


def test_shares_of_a_few_orders_are_counts(shop, tmp_path: Path) -> None:
    """Three buyers, c1 of them bought again; the impulse buyer's 3 orders, 2 on a code."""
    imported(shop, tmp_path, orders=orders_csv(three_customers(), codes=frozenset({"o1", "o2"})))
    types = pd.DataFrame(
        {"customer_id": ["c1", "c2", "c3"], "visitor_id": None, "type": ["impulse", "new", "new"]}
    )
    md = svc.playbook(store=shop.store, types=types).markdown()
    assert "of all buyers (not new customers alone): 1 of all 3 buyers ordered again" in md
    assert "2 of 3 impulse orders used a discount code" in md
    assert "33%" not in md and "67%" not in md


def test_shares_of_many_orders_stay_percentages(shop, tmp_path: Path) -> None:
    imported(shop, tmp_path, orders=orders_csv(many_orders(40, customers=40)))
    md = svc.playbook(
        store=shop.store,
        types=pd.DataFrame(
            {"customer_id": [f"c{i}" for i in range(40)], "visitor_id": None, "type": "new"}
        ),  # fmt: skip
    ).markdown()
    assert "of all buyers (not new customers alone): 0% (0 of all 40 buyers ordered again)" in md


@pytest.mark.parametrize("n", [MIN_SAMPLE - 1, MIN_SAMPLE])
def test_the_minimum_is_the_documented_one(n: int) -> None:
    from shopperlens.playbooks import checkout

    t = checkout.free_shipping_threshold([20.0 + i for i in range(n)])
    assert t.advised is (n >= MIN_SAMPLE) and t.orders == n
