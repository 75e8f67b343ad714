"""Categories and product names kept in the products file only, as a shop's export often has
them: an orders file names the product, the products file its name and category.

The customer types read a line's category as its own, else its product's; the front
page, the "bought in a new category" survey audience and the personas read it the same way.
The planted shop below has no category on any order line, and every product has one.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from shopperlens.service import overview
from shopperlens.service import personas as svc
from shopperlens.service import survey_delivery as dlv
from shopperlens.store import Store
from test_front_page import _text
from test_partial_data import imported, page
from test_personas_review import _persona_of, _two_groups

PRODUCTS = """product_id,product_name,category,price
P1,Alpine Tent,tents,200
P2,Camp Stove,cooking,50
P3,Headlamp,lighting,25
P4,Rain Jacket,clothing,120
"""
CUSTOMERS = "customer_id,email,created_at\n" + "".join(
    f"C{i},c{i}@example.org,2025-01-01\n" for i in range(1, 7)
)
#: the orders name no category. Who first bought in a category new to them, after a first
#: order: C1 (cooking, 10 March), C5 (tents, 28 March, in SEK: bought all the same) and C6
#: (cooking, 1 February: a month and more before the data ends). Not C2 (cooking again), C3
#: (a first order) or C4 (the lamp order was cancelled).
ORDERS = """order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency,status
O1,C1,2025-01-10 10:00:00,P1,1,200,EUR,paid
O2,C1,2025-03-10 10:00:00,P2,1,50,EUR,paid
O3,C2,2025-01-20 10:00:00,P2,2,50,EUR,paid
O4,C2,2025-03-20 10:00:00,P2,1,50,EUR,paid
O5,C3,2025-03-25 10:00:00,P3,1,25,EUR,paid
O6,C4,2025-01-05 10:00:00,P1,1,200,EUR,paid
O7,C4,2025-03-01 10:00:00,P3,1,25,EUR,cancelled
O8,C5,2025-01-06 10:00:00,P3,1,25,EUR,paid
O9,C5,2025-03-28 10:00:00,P1,1,2000,SEK,paid
O10,C6,2025-01-02 10:00:00,P1,1,200,EUR,paid
O11,C6,2025-02-01 10:00:00,P2,1,50,EUR,paid
"""


@pytest.fixture
def catalogue_shop(shop, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The planted shop, imported as ``shopperlens import products|customers|orders`` does."""
    return imported(shop, tmp_path, products=PRODUCTS, customers=CUSTOMERS, orders=ORDERS)


def test_the_front_page_reads_categories_from_the_products_file(catalogue_shop) -> None:  # type: ignore[no-untyped-def]
    shown = overview.overview(store=catalogue_shop.store)
    # EUR purchases only: tents 200 + 200 + 200, cooking 50 + 100 + 50 + 50, lighting 25 + 25
    # (the cancelled lamp and the SEK tent are not added in)
    assert shown.top_categories == [("tents", 600.0), ("cooking", 250.0), ("lighting", 50.0)]
    assert shown.categories == 4  # the rain jacket's clothing too: a category, not sold yet
    text = _text(page(catalogue_shop.store, "index"))
    assert "4 products in 4 categories" in text
    assert "no categories recorded" not in text and "(no category)" not in text


def test_a_line_naming_its_own_category_keeps_it(store: Store) -> None:
    store.execute("INSERT INTO products VALUES ('P1', 'Alpine Tent', 'tents', 200, NULL)")
    store.execute("INSERT INTO orders (order_id, ordered_at) VALUES ('o1', '2025-01-01')")
    store.execute(
        "INSERT INTO order_lines (order_id, line_no, product_id, category, quantity, unit_price) "
        "VALUES ('o1', 1, 'P1', 'gifts', 1, 80), ('o1', 2, 'P1', NULL, 1, 200)"
    )
    shown = overview.overview(store=store)
    assert shown.top_categories == [("tents", 200.0), ("gifts", 80.0)]
    assert shown.categories == 2


def test_a_category_spelt_otherwise_on_the_lines_is_counted_once(store: Store) -> None:
    """The lines say "Tents" of a product the products file files under "tents": one
    category, as the list by revenue shows it; an unsold product's category still counts."""
    store.execute("INSERT INTO products VALUES ('P1', 'Alpine Tent', 'tents', 200, NULL)")
    store.execute("INSERT INTO products VALUES ('P2', 'Dome Tent', 'tents', 150, NULL)")
    store.execute("INSERT INTO products VALUES ('P3', 'Stove', 'cooking', 50, NULL)")
    store.execute("INSERT INTO orders (order_id, ordered_at) VALUES ('o1', '2025-01-01')")
    store.execute(
        "INSERT INTO order_lines (order_id, line_no, product_id, category, quantity, unit_price) "
        "VALUES ('o1', 1, 'P1', 'Tents', 1, 200), ('o1', 2, 'P2', 'Tents', 1, 150)"
    )
    shown = overview.overview(store=store)
    assert shown.top_categories == [("Tents", 350.0)]
    assert shown.categories == 2


def test_new_category_audience_reads_categories_from_the_products_file(catalogue_shop) -> None:  # type: ignore[no-untyped-def]
    store = catalogue_shop.store
    now = datetime(2025, 4, 1)  # the data ends on 28 March: the window counts back from then
    recent = dlv.target(store=store, audience=dlv.Audience(new_category_days=30), now=now)
    assert set(recent["customer_id"]) == {"C1", "C5"}
    everyone = dlv.target(store=store, audience=dlv.Audience(new_category_days=365), now=now)
    assert set(everyone["customer_id"]) == {"C1", "C5", "C6"}


def _catalogue_orders(store: Store) -> None:
    """Lines naming only their product: a0…a19 buy a tent (EUR 300) and, in a second order, a
    stove in SEK (SEK 5,000); b0…b19 buy a lamp (EUR 100), and a tent in a refunded order."""
    store.execute(
        "INSERT INTO products VALUES ('P1', 'Alpine Tent', 'tents', 300, NULL), "
        "('P2', 'Camp Stove', 'cooking', 50, NULL), ('P3', 'Headlamp', 'lighting', 100, NULL)"
    )
    orders = []
    for i in range(20):
        orders += [
            (f"at{i}", f"a{i}", "EUR", "paid", "P1", 300.0),
            (f"as{i}", f"a{i}", "SEK", "paid", "P2", 5000.0),
            (f"bl{i}", f"b{i}", "EUR", "paid", "P3", 100.0),
            (f"br{i}", f"b{i}", "EUR", "refunded", "P1", 300.0),
        ]
    for order, customer, currency, status, product, price in orders:
        store.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at, currency, status) "
            "VALUES (?, ?, '2025-03-01', ?, ?)",
            [order, customer, currency, status],
        )
        store.execute(
            "INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price) "
            "VALUES (?, 1, ?, 1, ?)",
            [order, product, price],
        )


def _bought(persona: svc.Persona, question: str) -> set[str | None]:
    return {s.evidence.answer for s in persona.statements if s.evidence.question == question}


def _personas(store: Store) -> tuple[svc.Persona, svc.Persona]:
    """The personas of a0 and b0 over the planted orders."""
    _catalogue_orders(store)
    frame: pd.DataFrame = _two_groups()
    run = svc.build(store=store, frame=frame, k=2, n_resamples=3)
    return _persona_of(run, store, "a0"), _persona_of(run, store, "b0")


def test_personas_read_categories_and_names_from_the_products_file(store: Store) -> None:
    a, b = _personas(store)
    assert _bought(a, "categories_bought") == {"tents", "cooking"}  # cooking in SEK: bought
    assert _bought(a, "products_bought") == {"Alpine Tent", "Camp Stove"}
    assert _bought(b, "categories_bought") == {"lighting"}  # never the refunded tent
    assert _bought(b, "products_bought") == {"Headlamp"}


def test_personas_count_revenue_in_the_shops_currency_only(store: Store) -> None:
    a, b = _personas(store)
    # EUR only: the a's bring 20 × 300 (their SEK 5,000 stoves are not EUR 5,000), the b's
    # 20 × 100 (the refunded tents bring nothing)
    assert a.revenue_share == pytest.approx(6000 / 8000)
    assert b.revenue_share == pytest.approx(2000 / 8000)
