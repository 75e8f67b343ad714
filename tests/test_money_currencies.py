"""Money in a shop that sells in more than one currency: an amount in GBP or USD is never
added to the shop's EUR, wherever a customer's revenue or a product's price is read.

The planted shop sells mostly in EUR; c2 buys in GBP only, c3 in EUR and USD.
"""

from __future__ import annotations

import pandas as pd

from _ingest_data import write
from shopperlens.service import interviews, survey_results
from shopperlens.service import playbooks as svc

ORDERS = """order_id,customer_id,email,ordered_at,product_id,quantity,unit_price,currency,status
o1,c1,a@example.org,2024-01-01,p1,2,10,EUR,paid
o2,c1,a@example.org,2024-02-01,p2,1,30,EUR,paid
o3,c1,a@example.org,2024-03-01,p3,1,500,EUR,cancelled
o4,c2,b@example.org,2024-01-05,p1,1,400,GBP,paid
o5,c2,b@example.org,2024-02-05,p2,1,100,GBP,paid
o6,c3,c@example.org,2024-01-10,p1,1,15,EUR,paid
o7,c3,c@example.org,2024-03-10,p3,1,900,USD,paid
o8,c4,d@example.org,2024-03-20,p2,3,20,EUR,paid
"""


def test_interview_recruits_rank_by_revenue_in_the_shops_currency(shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """c4 spent EUR 60 in 1 order, c1 EUR 20 + 30 = 50 (the cancelled EUR 500 is no
    purchase), c3 EUR 15 (its USD 900 left out), c2 nothing in EUR (GBP 500 left out), so c2's
    value is unknown and c2 is neither best nor low-value."""
    shop.import_orders(write(tmp_path, "o.csv", ORDERS))
    picked = interviews.recruit(store=shop.store, n=2, best_by="revenue", prospects=0)
    reasons = dict(zip(picked.customer_id, picked.reason, strict=True))
    best = picked[picked.segment == "best"]
    assert list(best.customer_id) == ["c4", "c1"]
    # bought without a consent on record: the reason says the invitation will not go
    assert reasons["c4"] == "revenue EUR 60 over 1 order" + interviews.NO_CONSENT
    assert reasons["c1"] == "revenue EUR 50 over 2 orders" + interviews.NO_CONSENT
    assert reasons["c3"].startswith(
        "low value and long since the last order: EUR 15 over 2 orders "
        "(1 order in other currencies left out), "
    )
    # c2's GBP 500 is no low value: their value in EUR is unknown, so they are not recruited
    # as a low-value customer (nor as a best one: nothing in EUR to rank them by)
    assert "c2" not in reasons


def test_cart_priced_at_the_latest_price_in_the_shops_currency(shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An add without a value is priced at its product's latest order line in EUR: p3 sold
    last for USD 900 (o7) and before that for EUR 500 (o3), p2 last for EUR 20 (o8, after
    the GBP 100 of o5); the cart of p3 and p2 is EUR 520, never 920."""
    shop.import_orders(write(tmp_path, "o.csv", ORDERS))
    events = (
        "visitor_id,timestamp,event_name,product_id\n"
        "v9,2024-03-25 10:00:00,add_to_cart,p3\n"
        "v9,2024-03-25 10:01:00,add_to_cart,p2\n"
    )
    shop.import_events(write(tmp_path, "e.csv", events))
    carts = svc.abandoned_carts(store=shop.store)
    cart = carts[carts.visitor_id == "v9"]
    assert cart.cart_value.tolist() == [520.0]
    # the catalogue's price wins once a products file names the product: p2 at EUR 25
    shop.import_products(write(tmp_path, "p.csv", "product_id,price\np2,25\n"))
    carts = svc.abandoned_carts(store=shop.store)
    assert carts[carts.visitor_id == "v9"].cart_value.tolist() == [525.0]


def test_whose_voice_groups_order_values_in_the_shops_currency(shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Average EUR order: c1 (20 + 30) / 2 = 25, c3 15 (its USD 900 left out), c4 60; c2
    bought in GBP only and has no order-value group. Three values make three groups, each
    named by its amount; c1 and c2 answered, so the respondents' one known value is EUR 25."""
    shop.import_orders(write(tmp_path, "o.csv", ORDERS))
    frame = pd.DataFrame({"customer_id": ["c1", "c2"]})
    table = survey_results.representativeness(store=shop.store, frame=frame)
    value = table[table.dimension == "order value"].set_index("value")
    assert sorted(value.index) == ["EUR 15", "EUR 25", "EUR 60"]
    assert value.respondents.to_dict() == {"EUR 25": 1.0, "EUR 15": 0.0, "EUR 60": 0.0}
    assert value.base.round(4).to_dict() == {"EUR 15": 0.3333, "EUR 25": 0.3333, "EUR 60": 0.3333}
