"""Playbook money in the shop's currency only, on planted shops of EUR orders and a few SEK ones.

An amount in SEK is never added to EUR: the free-shipping threshold reads baskets and shipping
of the EUR orders only, a customer's revenue (which ranks case-study and referral candidates)
and a type's offer revenue add only EUR orders. Counts that do not depend on the amount (orders
per customer, repeat rate, cohorts, offer shares) still count the SEK orders.
"""

from __future__ import annotations

import html
import json
import math

import numpy as np
import pandas as pd
import pytest

from shopperlens.playbooks import checkout
from shopperlens.playbooks.generator import Action
from shopperlens.reports import site
from shopperlens.service import playbooks as svc
from shopperlens.store import Store, connect


def _insert(store: Store, table: str, rows: list[dict]) -> None:  # type: ignore[type-arg]
    """Write ``rows`` into ``table`` by column name."""
    store.con.register("_rows", pd.DataFrame(rows))
    store.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    store.con.unregister("_rows")


def _orders(store: Store, orders: list[tuple]) -> None:  # type: ignore[type-arg]
    """Orders ``(order_id, customer_id, day, currency, value, shipping, code)``, one line each
    (quantity 1 at ``value``), and their customers (each with marketing consent)."""
    customers = sorted({o[1] for o in orders})
    _insert(store, "customers", [
        {"customer_id": c, "email": f"{c}@example.com", "accepts_marketing": True}
        for c in customers
    ])  # fmt: skip
    _insert(store, "orders", [
        {"order_id": o, "customer_id": c, "ordered_at": pd.Timestamp(d), "currency": cur,
         "shipping": ship, "discount_code": code, "status": "paid"}
        for o, c, d, cur, _, ship, code in orders
    ])  # fmt: skip
    _insert(store, "order_lines", [
        {"order_id": o, "line_no": 0, "product_id": "P1", "quantity": 1, "unit_price": v}
        for o, _, _, _, v, _, _ in orders
    ])  # fmt: skip


# -- free-shipping threshold -------------------------------------------------------------------
#: 15 EUR baskets of 20 … 48 paying EUR 4.95 shipping, 25 of 53 … 125 shipping free: the shop
#: ships free from EUR 50
EUR_BASKETS = [20.0 + 2 * k for k in range(15)] + [53.0 + 3 * k for k in range(25)]
#: 4 SEK baskets of SEK 900, paying SEK 59 shipping: read as EUR, 900 "paid" above 50
SEK_BASKETS = 4


@pytest.fixture
def shipping_shop(store: Store) -> Store:
    """40 EUR orders and 4 SEK orders (see :data:`EUR_BASKETS`)."""
    rows = [
        (f"e{i}", f"c{i}", "2024-05-01", "EUR", v, 4.95 if v < 50 else 0.0, None)
        for i, v in enumerate(EUR_BASKETS)
    ]
    rows += [(f"s{i}", f"k{i}", "2024-05-02", "SEK", 900.0, 59.0, None) for i in range(4)]
    _orders(store, rows)
    return store


def test_threshold_reads_only_the_shops_currency(shipping_shop: Store) -> None:
    """Today's EUR 50 is found (the SEK orders paying shipping above it used to hide it), and
    every figure is that of the 40 EUR baskets; the 4 SEK baskets are said to be left out."""
    t = svc.shipping_threshold(store=shipping_shop)
    assert t is not None
    truth = checkout.free_shipping_threshold(EUR_BASKETS, shipping_cost=4.95, current=50.0)
    assert t.current == 50.0
    assert t.orders == len(EUR_BASKETS) == 40
    assert t.other_currency_orders == SEK_BASKETS
    assert t.median_basket == pytest.approx(float(np.median(EUR_BASKETS)))
    assert (t.threshold, t.keep_current) == (truth.threshold, truth.keep_current)
    assert t.uplift_per_order == pytest.approx(truth.uplift_per_order)
    assert t.shipping_cost_per_order == pytest.approx(truth.shipping_cost_per_order)
    assert t.share_near == pytest.approx(truth.share_near)


# -- customers' revenue and offers ---------------------------------------------------------------
#: cA two EUR 100 orders; cB EUR 50 and SEK 5,000; cC only SEK 3,000; cD EUR 80 (all loyal);
#: impulse cE EUR 30 on a code and EUR 20, cF SEK 2,000 on a code
CUSTOMER_ORDERS = [
    ("o1", "cA", "2024-01-10", "EUR", 100.0, 0.0, None),
    ("o2", "cA", "2024-02-10", "EUR", 100.0, 0.0, None),
    ("o3", "cB", "2024-01-15", "EUR", 50.0, 0.0, None),
    ("o4", "cB", "2024-03-01", "SEK", 5000.0, 0.0, None),
    ("o5", "cC", "2024-02-01", "SEK", 3000.0, 0.0, None),
    ("o6", "cD", "2024-01-20", "EUR", 80.0, 0.0, None),
    ("o7", "cE", "2024-03-05", "EUR", 30.0, 0.0, "FLASH10"),
    ("o8", "cE", "2024-03-06", "EUR", 20.0, 0.0, None),
    ("o9", "cF", "2024-03-07", "SEK", 2000.0, 0.0, "FLASH10"),
]
TYPES = pd.DataFrame({
    "customer_id": ["cA", "cB", "cC", "cD", "cE", "cF"],
    "visitor_id": [None] * 6,
    "type": ["loyal"] * 4 + ["impulse"] * 2,
})  # fmt: skip


@pytest.fixture
def customer_shop(store: Store) -> Store:
    """:data:`CUSTOMER_ORDERS`, every loyal customer allowing a case study."""
    _orders(store, CUSTOMER_ORDERS)
    _insert(store, "consents", [
        {"customer_id": c, "purpose": "case_study", "granted": True,
         "recorded_at": pd.Timestamp("2024-01-01")}
        for c in ("cA", "cB", "cC", "cD")
    ])  # fmt: skip
    return store


def test_candidates_ranked_by_revenue_in_the_shops_currency(customer_shop: Store) -> None:
    """cA (EUR 200) before cD (80) before cB (50: its SEK 5,000 not added), cC (SEK only)
    last with no revenue; orders, repeat rate and cohorts still count the SEK orders."""
    ret = svc.retention_report(store=customer_shop, types=TYPES)
    for key in ("case_study", "referral"):
        ranked = ret[key]
        assert ranked.customer_id.tolist() == ["cA", "cD", "cB", "cC"]
        assert ranked.revenue.tolist()[:3] == [200.0, 80.0, 50.0]
        assert math.isnan(ranked.revenue.iloc[3])
        assert ranked.orders.tolist() == [2, 1, 2, 1]
    assert ret["other_currency_orders"] == 3
    assert ret["repeat_rate"] == pytest.approx(3 / 6)  # cA, cB (EUR + SEK) and cE
    cohorts = ret["cohorts"].set_index("cohort")
    assert cohorts.customers.to_dict() == {"2024-01": 3, "2024-02": 1, "2024-03": 2}
    assert cohorts.loc["2024-01", "2"] == pytest.approx(1 / 3)  # cB's SEK order in March


def test_offer_revenue_adds_only_the_shops_currency(customer_shop: Store) -> None:
    """Impulse revenue is EUR 50 (30 of it on a code), not EUR 2,050; the SEK order still
    counts as one of the 3 impulse orders, 2 of them on a code."""
    offers = svc.support_report(store=customer_shop, types=TYPES)["offers"].set_index("type")
    impulse = offers.loc["impulse"]
    assert impulse.orders == 3
    assert impulse.discount_share == pytest.approx(2 / 3)
    assert impulse.revenue == pytest.approx(50.0)
    assert impulse.discount_revenue == pytest.approx(30.0)
    assert offers.loc["loyal", "revenue"] == pytest.approx(330.0)  # 200 + 50 + 80
    assert offers.loc["loyal", "orders"] == 6


def _action(pb: svc.Playbook, type_: str, number: int) -> Action:
    """The playbook's action ``number`` for ``type_``."""
    return next(a for a in pb.actions if (a.type, a.number) == (type_, number))


def test_loyal_revenue_adds_only_the_shops_currency(customer_shop: Store) -> None:
    """Loyal customers bring EUR 330 (cA 200, cB 50, cD 80; cC's SEK 3,000 and cB's SEK 5,000
    not added), EUR 110 for each of the 3 buying in EUR (cC, of unknown revenue, is no 0 in the
    mean), still 4 loyal buyers; the programme estimate is 5 % of EUR 330."""
    pb = svc.playbook(store=customer_shop, types=TYPES, type="loyal")
    assert "loyal customers bring EUR 330 (the 3 buying in EUR)" in _action(pb, "loyal", 1).evidence
    rewards = _action(pb, "loyal", 2)
    assert rewards.evidence == ["4 loyal buyers, EUR 110 each (the 3 buying in EUR)"]
    assert rewards.priority == pytest.approx(330.0 * 0.05)


def test_loyal_revenue_is_unknown_when_no_loyal_buyer_paid_in_the_shops_currency(
    customer_shop: Store,
) -> None:
    """With cC (SEK only) the one loyal buyer, what loyal customers bring is unknown, not
    "EUR 0" and "EUR 0 each (the 0 buying in EUR)"."""
    only_sek = TYPES.assign(type=["impulse", "impulse", "loyal", "impulse", "impulse", "impulse"])
    pb = svc.playbook(store=customer_shop, types=only_sek, type="loyal")
    evidence = _action(pb, "loyal", 1).evidence + _action(pb, "loyal", 2).evidence
    assert "loyal customers' revenue unknown: none bought in EUR" in evidence
    assert "1 loyal buyers, revenue unknown: none bought in EUR" in evidence
    assert not any("EUR 0" in line for line in evidence)


def test_audience_revenue_adds_only_the_shops_currency(customer_shop: Store) -> None:
    """A segment on ``revenue`` reads EUR only: cB has EUR 50 (its SEK 5,000 not added), cC and
    cF (SEK only) unknown and selected by no comparison, cZ (no order) EUR 0."""
    _insert(customer_shop, "customers", [{"customer_id": "cZ", "accepts_marketing": True}])
    c = svc.audience_customers(store=customer_shop, types=TYPES).set_index("customer_id")
    assert c.revenue[["cA", "cB", "cD", "cE", "cZ"]].tolist() == [200.0, 50.0, 80.0, 50.0, 0.0]
    assert c.revenue[["cC", "cF"]].isna().all()
    assert c.orders[["cB", "cC", "cZ"]].tolist() == [2, 1, 0]
    assert svc.audience_customers(store=customer_shop, types=TYPES, segment="revenue >= 1000").empty
    rich = svc.audience_customers(store=customer_shop, types=TYPES, segment="revenue >= 50")
    assert sorted(rich.customer_id) == ["cA", "cB", "cD", "cE"]
    low = svc.audience_customers(store=customer_shop, types=TYPES, segment="revenue < 50")
    assert low.customer_id.tolist() == ["cZ"]


#: cF, whose only order is SEK 2,000 on a code, is the only impulse buyer
SEK_ONLY_IMPULSE = TYPES.assign(type=["loyal"] * 5 + ["impulse"])


def test_offer_revenue_unknown_without_an_order_in_the_shops_currency(
    customer_shop: Store,
) -> None:
    """cF's impulse revenue is unknown, not EUR 0 (nor EUR 2,000): its order still counts, on a
    code; the playbook says so instead of a figure."""
    offers = svc.support_report(store=customer_shop, types=SEK_ONLY_IMPULSE)["offers"]
    impulse = offers.set_index("type").loc["impulse"]
    assert (impulse.orders, impulse.discount_share) == (1, 1.0)
    assert math.isnan(impulse.revenue) and math.isnan(impulse.discount_revenue)
    pb = svc.playbook(store=customer_shop, types=SEK_ONLY_IMPULSE, type="impulse")
    evidence = _action(pb, "impulse", 1).evidence
    assert "impulse revenue unknown: no impulse order in EUR" in evidence
    assert not any("nan" in e for e in evidence)


def _shipping_rows(sek: int) -> list[tuple]:  # type: ignore[type-arg]
    """The orders of :func:`shipping_shop` with ``sek`` SEK baskets."""
    rows = [
        (f"e{i}", f"c{i}", "2024-05-01", "EUR", v, 4.95 if v < 50 else 0.0, None)
        for i, v in enumerate(EUR_BASKETS)
    ]
    return rows + [(f"s{i}", f"k{i}", "2024-05-02", "SEK", 900.0, 59.0, None) for i in range(sek)]


@pytest.mark.parametrize("sek", [SEK_BASKETS, 0])
def test_threshold_command_says_how_many_orders_are_left_out(cli, db_path, sek: int) -> None:  # type: ignore[no-untyped-def]
    """``shopperlens threshold`` says "4 orders in other currencies left out" (and nothing of
    the kind without any); ``--json`` carries the count."""
    s = connect(str(db_path))
    _orders(s, _shipping_rows(sek))
    s.close()
    res = cli("threshold")
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert ("4 orders in other currencies left out" in said) == bool(sek)
    assert ("left out" in said) == bool(sek)
    assert json.loads(cli("threshold", "--json").output)["other_currency_orders"] == sek


def _page(store: Store, slug: str) -> str:
    """The report page ``slug`` as HTML, its entities read."""
    p = site.find(slug)
    assert p is not None
    ctx = p.build(store, None)
    assert ctx is not None
    return html.unescape(site.render(p, ctx, []))


@pytest.mark.parametrize("sek", [SEK_BASKETS, 0])
def test_report_threshold_says_how_many_orders_are_left_out(store: Store, sek: int) -> None:
    """The threshold block says the 4 SEK baskets are left out, and nothing of the kind on a
    shop of EUR orders only."""
    _orders(store, _shipping_rows(sek))
    page = _page(store, "playbook-need-based")
    assert ("4 orders in other currencies left out" in page) == bool(sek)
    assert ("left out" in page) == bool(sek)


def test_report_retention_says_how_many_orders_are_left_out(customer_shop: Store) -> None:
    """The loyal page's retention figures say the 3 SEK orders' amounts are left out."""
    page = _page(customer_shop, "playbook-loyal")
    assert "Customers' revenue: 3 orders in other currencies left out" in page
