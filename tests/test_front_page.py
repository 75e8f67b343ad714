"""The front page and the dashboard on part of a shop's data: what is not imported is said,
never counted as 0; amounts in other currencies are not added to the shop's; the dashboard's
menu has only pages with data, and a page without data is an HTML page saying what to import."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shopperlens.reports import site
from shopperlens.service import overview
from test_partial_data import imported, lookers_csv, many_orders, orders_csv, page

MIXED = """order_id,customer_id,ordered_at,product_id,category,quantity,unit_price,currency
O1,C1,2025-01-05 10:00:00,P1,tents,1,100,EUR
O2,C2,2025-02-05 10:00:00,P1,tents,1,100,EUR
O3,C3,2025-03-05 10:00:00,P1,tents,1,100,EUR
O4,C4,2025-03-06 10:00:00,P2,stoves,1,1100,SEK
O5,C5,2025-03-07 10:00:00,P2,stoves,1,1100,SEK
"""
CUSTOMERS = "customer_id,email,created_at\nc1,c1@example.org,2024-01-01\n"


def _text(html: str | None) -> str:
    """What a reader sees of the page's figures (no styles, charts or tags), up to the table
    of row counts (where an empty table is rightly 0 rows)."""
    assert html is not None
    html = re.sub(r"<(style|svg)\b.*?</\1>", " ", html.split("<details>")[0], flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_events_only_front_page_says_orders_are_missing(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    imported(shop, tmp_path, events=lookers_csv())
    text = _text(page(shop.store, "index"))
    for zero in ("0 customers", "(0 bought)", "0 orders", "0 products"):
        assert zero not in text, zero
    assert "customers: no orders imported ( shopperlens import orders FILE adds them)" in text
    assert "orders: no orders imported" in text and "products: no orders imported" in text
    assert "Best-selling categories Nothing to rank: no orders imported" in text
    assert "6 visitors · 12 sessions" in text


def test_orders_only_front_page_says_visits_are_missing(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    imported(shop, tmp_path, orders=orders_csv(many_orders()))
    text = _text(page(shop.store, "index"))
    assert "0 visitors" not in text and "0 sessions" not in text
    assert "visitors: no visit data imported ( shopperlens import events FILE adds it)" in text
    assert "Where visits come from" not in text  # no empty table of sources
    assert "40 orders" in text and "20 customers (20 bought)" in text


def test_amounts_count_only_the_shops_currency(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    imported(shop, tmp_path, orders=MIXED)
    shown = overview.overview(store=shop.store)
    assert shown.currency == "EUR" and shown.orders == 5
    assert shown.revenue == 300.0 and shown.avg_order_value == 100.0
    assert shown.other_currency_orders == {"SEK": 2}
    assert shown.top_categories == [("tents", 300.0)]  # stoves sold in SEK only: not at 0
    assert shown.categories == 2
    assert sum(m.revenue for m in shown.months) == 300.0
    text = _text(page(shop.store, "index"))
    assert "EUR 2,500" not in text
    said = "EUR 300 revenue · EUR 100 per order (EUR orders only: 2 orders in SEK not included)"
    assert said in text


UNNAMED = """order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency
O1,C1,2025-01-05 10:00:00,P1,1,10,
O2,C2,2025-02-05 10:00:00,P1,1,20,
O3,C3,2025-03-05 10:00:00,P2,1,1100,SEK
O4,C4,2025-03-06 10:00:00,P2,1,1100,sek
O5,C5,2025-03-07 10:00:00,P2,1,1100, Sek
"""


def test_currency_codes_are_one_code_and_an_assumption_is_said(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``SEK``, ``sek`` and `` Sek`` are one currency; orders naming none are counted in the
    shop's currency, and the page says so rather than folding them in silently."""
    imported(shop, tmp_path, orders=UNNAMED)
    shown = overview.overview(store=shop.store)
    assert shown.currency == "SEK" and shown.other_currency_orders == {}
    assert shown.revenue == 3330.0 and shown.unnamed_currency_orders == 2
    assert "(2 orders naming no currency counted as SEK)" in _text(page(shop.store, "index"))


@pytest.fixture
def customers_only(shop, tmp_path: Path):  # type: ignore[no-untyped-def]
    return imported(shop, tmp_path, customers=CUSTOMERS)


def test_dashboard_menu_lists_only_pages_with_data(customers_only, client) -> None:  # type: ignore[no-untyped-def]
    index = client.get("/dashboard/index.html")
    assert index.status_code == 200
    links = set(re.findall(r'href="([a-z-]+)\.html"', index.text))
    assert links == {"index", "glossary"}


@pytest.mark.parametrize(
    ("slug", "needs"),
    [
        ("types", "shopperlens import orders FILE"),
        ("value", "orders that name their customer"),
        ("surveys", "survey answers"),
        ("personas", "shopperlens personas build"),
        ("playbook-loyal", "orders or visit data"),
    ],
)
def test_a_page_without_data_is_html_saying_what_to_import(customers_only, client, slug, needs):  # type: ignore[no-untyped-def]
    res = client.get(f"/dashboard/{slug}.html")
    assert res.status_code == 404 and res.headers["content-type"].startswith("text/html")
    assert "<!doctype html>" in res.text.lower() and "This page has no data yet" in res.text
    assert needs in res.text and '{"detail"' not in res.text
    twin = client.get(f"/dashboard/{slug}.json")
    assert twin.status_code == 404 and needs in twin.json()["detail"]


@pytest.mark.parametrize("files", ["customers", "events", "orders"])
def test_menu_agrees_with_the_pages_built(shop, tmp_path: Path, files: str) -> None:  # type: ignore[no-untyped-def]
    data = {"customers": CUSTOMERS, "events": lookers_csv(), "orders": orders_csv(many_orders())}
    imported(shop, tmp_path, **{files: data[files]})
    for p in site.pages():
        assert p.available(shop.store) == (p.build(shop.store, None) is not None), p.slug
