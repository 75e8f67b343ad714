"""The funnel, the exit pages and the playbook count the purchases the sources table counts.

A planted shop whose events and orders disagree in the three ways shops' data do: c1's order
was imported without a purchase event (the checkout is hosted elsewhere), c2's purchase event
is of an order refunded since, and c3 opened the thank-you page again in a later visit (a
second purchase event, one order). Read with the orders, the shop made two purchases: c1's
second visit and c3's first. The sources table counts those two; so must every funnel."""

from __future__ import annotations

import pandas as pd
import pytest

from shopperlens.playbooks import checkout, traffic
from shopperlens.service import playbooks as svc

T = pd.Timestamp("2025-03-03 10:00")
MIN = pd.Timedelta(minutes=1)
GOOGLE = {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "spring"}
FACEBOOK = {"utm_source": "facebook", "utm_medium": "paid_social"}
NEWSLETTER = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "may-news"}
INSTAGRAM = {"utm_source": "instagram", "utm_medium": "social"}

#: (session, visitor, customer, event, page, minutes after T, utm); the sessions:
#: A0 c1 looks at the tent the day before; A1 c1 comes back and orders it (o1) on a checkout
#: the tracker does not see (page views only); B1 c2 buys the tent (o2, refunded since);
#: C1 c3 buys a mug (o3); C2 c3 opens the thank-you page again a quarter of an hour later
#: (a second purchase event); L1 an anonymous visitor carts the tent and leaves
VISITS = [
    ("A0", "v1", "c1", "view_item", "/tent", -24 * 60, GOOGLE),
    ("A1", "v1", "c1", "page_view", "/", 0, GOOGLE),
    ("A1", "v1", "c1", "page_view", "/tent", 2, GOOGLE),
    ("A1", "v1", "c1", "page_view", "/checkout", 6, GOOGLE),
    ("B1", "v2", "c2", "view_item", "/tent", 60, FACEBOOK),
    ("B1", "v2", "c2", "add_to_cart", "/cart", 62, FACEBOOK),
    ("B1", "v2", "c2", "begin_checkout", "/checkout", 64, FACEBOOK),
    ("B1", "v2", "c2", "purchase", "/thank-you", 66, FACEBOOK),
    ("C1", "v3", "c3", "view_item", "/mug", 120, NEWSLETTER),
    ("C1", "v3", "c3", "add_to_cart", "/cart", 130, NEWSLETTER),
    ("C1", "v3", "c3", "begin_checkout", "/checkout", 140, NEWSLETTER),
    ("C1", "v3", "c3", "purchase", "/thank-you", 150, NEWSLETTER),
    ("C2", "v3", "c3", "page_view", "/thank-you", 165, {}),
    ("C2", "v3", "c3", "purchase", "/thank-you", 165.2, {}),
    ("L1", "v9", None, "view_item", "/tent", 180, INSTAGRAM),
    ("L1", "v9", None, "add_to_cart", "/cart", 181, INSTAGRAM),
]
#: (order, customer, minutes after T, status, product, price): o1 two minutes after A1's last
#: page, o2 and o3 half a minute after their purchase events
ORDERS = [
    ("o1", "c1", 8, "paid", "P1", 200.0),
    ("o2", "c2", 66.5, "refunded", "P1", 200.0),
    ("o3", "c3", 150.5, "paid", "P2", 20.0),
]
TYPES = pd.DataFrame(
    {
        "customer_id": ["c1", "c2", "c3", None],
        "visitor_id": ["v1", "v2", "v3", "v9"],
        "type": ["need_based", "looker", "loyal", "looker"],
    }
)
STEPS = ["view", "cart", "checkout", "purchase"]


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"event_id": f"e{k}", "session_id": s, "visitor_id": v, "customer_id": c,
             "timestamp": T + m * MIN, "event_name": name, "page": page, "product_id": None,
             "utm_source": utm.get("utm_source"), "utm_medium": utm.get("utm_medium"),
             "utm_campaign": utm.get("utm_campaign"), "utm_term": None, "search_term": None,
             "value": None}
            for k, (s, v, c, name, page, m, utm) in enumerate(VISITS)
        ]
    )  # fmt: skip


def _orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": [o for o, *_ in ORDERS],
            "customer_id": [c for _, c, *_ in ORDERS],
            "ordered_at": [T + m * MIN for _, _, m, *_ in ORDERS],
            "value": [price for *_, price in ORDERS],
            "bought": [status == "paid" for _, _, _, status, *_ in ORDERS],
        }
    )


def _insert(store, table: str, df: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    store.con.register("_rows", df)
    store.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    store.con.unregister("_rows")


@pytest.fixture
def planted(store):  # type: ignore[no-untyped-def]
    """The planted shop in a store: its catalogue, customers, orders and visits."""
    _insert(store, "products", pd.DataFrame({"product_id": ["P1", "P2"],
                                             "product_name": ["Alpine Dome 2 Tent", "Camp Mug"],
                                             "category": ["tents", "kitchen"],
                                             "price": [200.0, 20.0]}))  # fmt: skip
    _insert(store, "customers", pd.DataFrame({"customer_id": ["c1", "c2", "c3"],
                                              "email": ["a@example.com", "b@example.com",
                                                        "c@example.com"]}))  # fmt: skip
    _insert(store, "orders", pd.DataFrame(
        [{"order_id": o, "customer_id": c, "ordered_at": T + m * MIN, "currency": "EUR",
          "shipping": 4.9, "status": status} for o, c, m, status, _, _ in ORDERS]
    ))  # fmt: skip
    _insert(store, "order_lines", pd.DataFrame(
        [{"order_id": o, "line_no": 0, "product_id": p, "quantity": 1, "unit_price": price}
         for o, _, _, _, p, price in ORDERS]
    ))  # fmt: skip
    _insert(store, "events", _events())
    return store


def _steps(funnel: pd.DataFrame) -> dict[str, int]:
    return {r.step: int(r.sessions) for r in funnel.itertuples()}


def test_session_steps_take_the_purchases_given() -> None:
    """With the sessions the orders confirm, A1 (page views and an order) passed every step,
    B1 (refunded) got as far as checkout, C2 (the thank-you page again) reached no step."""
    sessions = traffic.sessions_from_events(_events(), _orders())
    bought = sessions.session_id[sessions.purchased]
    assert sorted(bought) == ["A1", "C1"]
    steps = checkout.session_steps(_events(), purchased=bought).set_index("session_id")
    reached = {s: [step for step in STEPS if steps.loc[s, step]] for s in steps.index}
    assert reached == {
        "A0": ["view"],
        "A1": STEPS,
        "B1": ["view", "cart", "checkout"],
        "C1": STEPS,
        "C2": [],
        "L1": ["view", "cart"],
    }
    exits = checkout.exit_pages(_events(), purchased=bought).set_index("page").exits
    assert exits.to_dict() == {"/thank-you": 2, "/tent": 1, "/cart": 1}


def test_funnel_counts_the_sources_tables_purchases(planted) -> None:  # type: ignore[no-untyped-def]
    """Overall, by type and by source, the purchase step is the sources table's purchases."""
    overall = svc.funnels(store=planted, by=None)
    assert _steps(overall) == {"view": 5, "cart": 4, "checkout": 3, "purchase": 2}
    by_type = svc.funnels(store=planted, by="type", types=TYPES)
    assert {t: _steps(f) for t, f in by_type.groupby("type")} == {
        "need_based": {"view": 2, "cart": 1, "checkout": 1, "purchase": 1},
        "looker": {"view": 2, "cart": 2, "checkout": 1, "purchase": 0},
        "loyal": {"view": 1, "cart": 1, "checkout": 1, "purchase": 1},
    }
    by_source = svc.funnels(store=planted, by="source")
    bought = by_source[by_source.step == "purchase"].set_index("source").sessions
    truth = {"google": 1, "facebook": 0, "newsletter": 1, "(direct)": 0, "instagram": 0}
    assert bought.to_dict() == truth
    table = svc.traffic_report(store=planted, types=TYPES, with_clv=False)["sources"]
    assert table.groupby("source").purchases.sum().to_dict() == truth
    assert int(table.purchases.sum()) == _steps(overall)["purchase"]
    assert svc.sessions_per_type(store=planted, types=TYPES).to_dict() == {
        "need_based": 2, "looker": 2, "loyal": 2,
    }  # fmt: skip


def test_exit_pages_are_of_the_sessions_that_bought_nothing(planted) -> None:  # type: ignore[no-untyped-def]
    """A1 bought (its order), so its last page loses nobody; B1's refunded purchase and C2's
    second look at the thank-you page bought nothing."""
    everyone = svc.exit_pages(store=planted, type=None, types=TYPES).set_index("page").exits
    assert everyone.to_dict() == {"/thank-you": 2, "/tent": 1, "/cart": 1}
    lookers = svc.exit_pages(store=planted, types=TYPES).set_index("page").exits
    assert lookers.to_dict() == {"/thank-you": 1, "/cart": 1}


def test_playbook_evidence_reads_the_same_purchases(planted) -> None:  # type: ignore[no-untyped-def]
    """The per-type funnel, the lookers' exit pages and the visits to a first purchase (c1 on
    the second visit, c3 on the first; c2 never bought) in the playbook's evidence."""
    pb = svc.playbook(store=planted, types=TYPES)
    lines = [e for a in pb.actions for e in a.evidence]
    assert "funnel: view 2 → cart 1 → checkout 1 → purchase 1" in lines  # need-based
    assert "funnel: view 2 → cart 2 → checkout 1 → purchase 0" in lines  # lookers
    exits = next(e for e in lines if e.startswith("pages that lose them"))
    assert "/thank-you (1 of 2 sessions)" in exits and "/cart (1 of 2 sessions)" in exits, exits
    visits = next(e for e in lines if e.startswith("buyers' first purchase"))
    assert "1 of 2 came back at least once first" in visits, visits


def test_orders_take_the_campaign_of_the_session_they_were_bought_in(planted) -> None:  # type: ignore[no-untyped-def]
    """o1 was bought in A1 (campaign spring) though no purchase event says so; o3 in C1
    (may-news), not in C2, the later visit to the thank-you page that started nearer o3."""
    offers = svc.support_report(store=planted, types=TYPES)["offers"].set_index("type")
    assert offers.campaign_share.to_dict() == {"need_based": 1.0, "loyal": 1.0}
    assert offers.campaign_orders.to_dict() == {"need_based": 1, "loyal": 1}


def test_an_order_takes_no_campaign_from_a_visit_that_began_after_it(planted) -> None:  # type: ignore[no-untyped-def]
    """c1 also ordered o4 at 00:10, ten hours before the visit A1 (campaign spring) and
    fourteen after the visit A0 ended, with no visit tracked then: no session led to o4, so
    it has no campaign. Taking the buying session that started nearest within a day
    credited o4 to spring too (2 of 2 orders)."""
    _insert(planted, "orders", pd.DataFrame([{"order_id": "o4", "customer_id": "c1",
                                             "ordered_at": T - 590 * MIN, "currency": "EUR",
                                             "shipping": 4.9, "status": "paid"}]))  # fmt: skip
    _insert(planted, "order_lines", pd.DataFrame([{"order_id": "o4", "line_no": 0,
                                                  "product_id": "P2", "quantity": 1,
                                                  "unit_price": 20.0}]))  # fmt: skip
    offers = svc.support_report(store=planted, types=TYPES)["offers"].set_index("type")
    assert offers.campaign_orders.to_dict() == {"need_based": 2, "loyal": 1}
    assert offers.campaign_share.to_dict() == {"need_based": 0.5, "loyal": 1.0}
