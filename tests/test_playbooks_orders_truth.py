"""Revenue and carts read from the orders when the events carry no value.

A generic export's events often leave ``value`` empty, and the orders are imported apart from
them (the events may then hold no purchase event at all). Each test plants the answer: which
session each order came from, which carts were ordered afterwards, what the carts hold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shopperlens
from shopperlens.playbooks import checkout, generator, traffic
from shopperlens.service import playbooks as svc

T = pd.Timestamp("2025-03-01 10:00")


def _ev(session, visitor, customer, name, at, product=None, value=None, **utm):  # type: ignore[no-untyped-def]
    return {
        "session_id": session, "visitor_id": visitor, "customer_id": customer,
        "timestamp": at, "event_name": name, "product_id": product, "value": value,
        "utm_source": utm.get("source"), "utm_medium": utm.get("medium"),
        "utm_campaign": utm.get("campaign"), "utm_term": utm.get("term"), "search_term": None,
    }  # fmt: skip


SEARCH = {"source": "google", "medium": "organic", "term": "down sleeping bag"}
SOCIAL = {"source": "pinterest", "medium": "social"}


def _events(purchases: bool = True) -> pd.DataFrame:
    """s1, s2: c1 from a search, buying at 10:05 on March 1 and at 09:00 on March 20; s3: c2
    direct, buying at 12:00 on March 2; s4: an anonymous looker; s5, s6: c3 buying twice on
    April 1. No event carries a value. Without ``purchases`` the purchase events are missing."""
    day = pd.Timedelta(days=1)
    rows = [
        _ev("s1", "v1", "c1", "view_item", T, "P3", **SEARCH),
        _ev("s1", "v1", "c1", "add_to_cart", T + pd.Timedelta(minutes=2), "P3", **SEARCH),
        _ev("s1", "v1", "c1", "purchase", T + pd.Timedelta(minutes=5), **SEARCH),
        _ev("s2", "v1", "c1", "view_item", T + 19 * day - pd.Timedelta(hours=1), "P3", **SEARCH),
        _ev("s2", "v1", "c1", "purchase", T + 19 * day - pd.Timedelta(hours=1, minutes=-3),
            **SEARCH),
        _ev("s3", "v2", "c2", "view_item", T + day + pd.Timedelta(hours=2), "P1"),
        _ev("s3", "v2", "c2", "purchase", T + day + pd.Timedelta(hours=2, minutes=1)),
        _ev("s4", "v9", None, "view_item", T + 2 * day, "P1", **SOCIAL),
        _ev("s5", "v3", "c3", "view_item", T + 31 * day, "P6"),
        _ev("s5", "v3", "c3", "purchase", T + 31 * day + pd.Timedelta(minutes=1)),
        _ev("s6", "v3", "c3", "view_item", T + 31 * day + pd.Timedelta(hours=5), "P6"),
        _ev("s6", "v3", "c3", "purchase", T + 31 * day + pd.Timedelta(hours=5, minutes=1)),
    ]  # fmt: skip
    ev = pd.DataFrame(rows)
    return ev if purchases else ev[ev.event_name != "purchase"].reset_index(drop=True)


#: o1 in s1 (30 s after the purchase event), o2 of s2 given by its day only (midnight), o3 in
#: s3, o4 a phone order of c1 nine days after any visit (no session led to it), o5 and o6 both
#: c3's orders of April 1 given by the day only: one for each of c3's two purchase sessions
ORDERS = pd.DataFrame(
    {
        "order_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
        "customer_id": ["c1", "c1", "c2", "c1", "c3", "c3"],
        "ordered_at": [T + pd.Timedelta(minutes=5, seconds=30), pd.Timestamp("2025-03-20"),
                       T + pd.Timedelta(days=1, hours=2, minutes=1, seconds=20),
                       pd.Timestamp("2025-03-10 15:00"), pd.Timestamp("2025-04-01"),
                       pd.Timestamp("2025-04-01")],
        "value": [150.0, 150.0, 230.0, 99.0, 40.0, 60.0],
    }
)  # fmt: skip


def test_session_revenue_is_the_orders_it_led_to() -> None:
    """The keyword's two sessions brought EUR 300 of orders, the direct one EUR 230; the
    phone order is no session's; each of c3's orders counts once."""
    s = traffic.sessions_from_events(_events(), ORDERS).set_index("session_id")
    assert s.revenue[["s1", "s2", "s3", "s4"]].tolist() == [150.0, 150.0, 230.0, 0.0]
    assert sorted(s.revenue[["s5", "s6"]]) == [40.0, 60.0]
    assert s.purchased[["s1", "s2", "s3", "s4", "s5", "s6"]].tolist() == [True] * 3 + [
        False,
        True,
        True,
    ]
    kw = traffic.keyword_table(s.reset_index(), traffic.KeywordClassifier(["Down Sleeping Bag"]))
    row = kw.set_index("keyword").loc["down sleeping bag"]
    assert (row.visits, row.purchases, row.revenue) == (2, 2, 300.0)
    src = traffic.source_table(s.reset_index()).set_index("source").revenue
    assert src.to_dict() == {"google": 300.0, "(direct)": 330.0, "pinterest": 0.0}


def test_orders_without_purchase_events_belong_to_the_session_they_were_placed_in() -> None:
    """No purchase events: an order placed during a session (or just after its last event)
    makes it a purchase worth the order; o2, given by its day only, is s2's: c1's only visit
    of March 20 (read as the instant midnight it preceded the visit and fell in no session)."""
    s = traffic.sessions_from_events(_events(purchases=False), ORDERS).set_index("session_id")
    assert s.purchased[["s1", "s2", "s3", "s4"]].tolist() == [True, True, True, False]
    assert s.revenue[["s1", "s2", "s3", "s4"]].tolist() == [150.0, 150.0, 230.0, 0.0]
    late = ORDERS.assign(ordered_at=ORDERS.ordered_at.where(ORDERS.order_id != "o1",
                                                            T + pd.Timedelta(hours=2)))  # fmt: skip
    s = traffic.sessions_from_events(_events(purchases=False), late).set_index("session_id")
    assert not s.purchased["s1"] and s.revenue["s1"] == 0.0  # two hours after s1 ended


def test_a_second_devices_short_visit_does_not_hide_the_visit_an_order_came_from() -> None:
    """c1 browses on a laptop from 19:00 to 20:10 (s1) and glances at a phone 19:30–19:35
    (s2); the order comes at 20:12. It was placed in s1: the visit that started last (s2)
    ended 37 minutes before it, and taking only that one lost the order."""
    day = pd.Timestamp("2025-02-10")
    at = {m: day + pd.Timedelta(hours=19, minutes=m) for m in (0, 30, 35, 70)}
    ev = pd.DataFrame(
        [
            _ev("s1", "v1", "c1", "view_item", at[0], "P3", source="fb", medium="paid_social"),
            _ev("s1", "v1", "c1", "add_to_cart", at[70], "P3", source="fb", medium="paid_social"),
            _ev("s2", "v2", "c1", "page_view", at[30]),
            _ev("s2", "v2", "c1", "page_view", at[35]),
        ]
    )
    order = pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"], "value": [80.0],
                          "ordered_at": [day + pd.Timedelta(hours=20, minutes=12)]})  # fmt: skip
    s = traffic.sessions_from_events(ev, order).set_index("session_id")
    assert s.purchased[["s1", "s2"]].tolist() == [True, False]
    assert s.revenue["s1"] == 80.0


def test_revenue_unknown_without_orders_or_values_is_no_zero() -> None:
    """Purchases of unknown value are unknown (NaN), never EUR 0; a source whose visits bought
    nothing made 0; with neither orders nor purchase events nothing is known at all."""
    s = traffic.sessions_from_events(_events())
    assert s.set_index("session_id").revenue[["s1", "s3"]].isna().all()
    src = traffic.source_table(s).set_index("source").revenue
    assert np.isnan(src["google"]) and np.isnan(src["(direct)"]) and src["pinterest"] == 0.0
    valued = _events()
    valued.loc[(valued.session_id == "s1") & (valued.event_name == "purchase"), "value"] = 120.0
    src = traffic.source_table(traffic.sessions_from_events(valued)).set_index("source").revenue
    assert src["google"] == 120.0  # the purchase events' own value, when the event has one
    nothing = traffic.source_table(traffic.sessions_from_events(_events(purchases=False)))
    assert nothing.revenue.isna().all()


def test_cart_ordered_afterwards_is_not_abandoned() -> None:
    """No purchase events: c1 carted P3 before ordering (o1), so the cart is not left open; c4
    carted P1 after their last order and P9 (no price known); the looker v9 carted P1."""
    ev = pd.DataFrame(
        [
            _ev("s1", "v1", "c1", "add_to_cart", T, "P3"),
            _ev("s7", "v4", "c4", "add_to_cart", T + pd.Timedelta(days=3), "P1"),
            _ev("s7", "v4", "c4", "add_to_cart", T + pd.Timedelta(days=3, minutes=1), "P9"),
            _ev("s4", "v9", None, "add_to_cart", T + pd.Timedelta(days=2), "P1"),
        ]
    )
    orders = pd.DataFrame(
        {"customer_id": ["c1", "c4"], "ordered_at": [T + pd.Timedelta(minutes=5), T]}
    )
    prices = pd.Series({"P1": 200.0, "P3": 150.0})
    carts = checkout.abandoned_carts(ev, orders=orders, prices=prices)
    by = carts.set_index(carts.customer_id.fillna(carts.visitor_id))
    assert sorted(by.index) == ["c4", "v9"]
    assert by.cart_value["v9"] == 200.0  # the tent's price, not 0 and not an average order
    assert np.isnan(by.cart_value["c4"])  # P9 has no price: the cart's value is unknown
    assert by.products["c4"] == ["P1", "P9"]
    without = checkout.abandoned_carts(ev)  # the events alone know no purchase
    assert "c1" in set(without.customer_id)


def _looker_evidence(carts: pd.DataFrame, aov: float) -> list[generator.Action]:
    empty = pd.DataFrame(columns=["customer_id", "visitor_id", "type", "orders", "revenue"])
    ev = generator.Evidence(
        customers=empty, visitors=empty, aov=aov, funnel=pd.DataFrame(),
        abandoned=carts.assign(type="looker"), keywords=pd.DataFrame(), sources=pd.DataFrame(),
    )  # fmt: skip
    return generator.build_playbook(ev, ("looker",))


def test_cart_value_is_measured_or_said_to_be_estimated() -> None:
    """Five carts of the EUR 200 tent are worth EUR 1,000 (not five average orders of 126);
    carts of unknown value are estimated at the average order and the text says so; without
    orders to average there is no money figure."""
    carts = pd.DataFrame({"visitor_id": [f"v{i}" for i in range(5)], "cart_value": 200.0})
    third = next(a for a in _looker_evidence(carts, 125.8) if a.number == 3)
    assert "5 lookers left a cart worth EUR 1,000" in third.evidence
    assert third.priority == pytest.approx(100.0)
    unknown = carts.assign(cart_value=np.nan)
    third = next(a for a in _looker_evidence(unknown, 125.8) if a.number == 3)
    line = next(e for e in third.evidence if "left a cart" in e)
    assert line.startswith("5 lookers left a cart worth EUR 629 (estimated: 5 carts × the "
                           "average order"), line  # fmt: skip
    third = next(a for a in _looker_evidence(unknown, 0.0) if a.number == 3)
    line = next(e for e in third.evidence if "left a cart" in e)
    assert third.priority is None and "EUR 0" not in line and "nan" not in line, line
    some = carts.assign(cart_value=[200.0, 200.0, np.nan, np.nan, np.nan])
    line = next(e for a in _looker_evidence(some, 100.0) for e in a.evidence if "left a" in e)
    assert "EUR 700 (estimated: 3 of 5 carts × the average order" in line, line


# -- the same through imported files ---------------------------------------------------------
PRICE = {"P1": 200.0, "P3": 150.0, "P6": 25.0}
TYPES = pd.DataFrame(
    {
        "customer_id": ["NB1", "LOY1", "LKC", None, None],
        "visitor_id": ["v_nb1", "v_loy1", "v_lkc", "v_lk1", "v_lk2"],
        "type": ["need_based", "loyal", "looker", "looker", "looker"],
    }
)


def _files(folder: Path) -> dict[str, Path]:
    """Generic-format files: NB1 buys the sleeping bag twice from a search, LOY1 a tent
    directly; the events' value column is empty and holds no purchase event. LKC carts the
    tent, then orders it (an order, no purchase event); the anonymous lookers leave a tent
    each in their cart."""
    events, orders = [], []

    def ev(v, c, sid, at, name, pid="", src="", med="", term=""):  # type: ignore[no-untyped-def]
        events.append({"event_id": f"e{len(events)}", "visitor_id": v, "customer_id": c,
                       "session_id": sid, "timestamp": at, "event_name": name,
                       "product_id": pid, "utm_source": src, "utm_medium": med,
                       "utm_term": term, "value": ""})  # fmt: skip

    def order(oid, c, at, pid):  # type: ignore[no-untyped-def]
        orders.append({"order_id": oid, "customer_id": c, "ordered_at": at, "product_id": pid,
                       "quantity": 1, "unit_price": PRICE[pid], "currency": "EUR",
                       "status": "paid"})  # fmt: skip

    for k, day in enumerate(("2025-02-10", "2025-04-10")):
        sid = f"s_nb1_{k}"
        ev("v_nb1", "NB1", sid, f"{day} 10:00:00", "view_item", "P3", "google", "organic",
           "down sleeping bag")  # fmt: skip
        ev("v_nb1", "NB1", sid, f"{day} 10:01:00", "add_to_cart", "P3", "google", "organic",
           "down sleeping bag")  # fmt: skip
        order(f"O{k}", "NB1", f"{day} 10:03:00", "P3")
    ev("v_loy1", "LOY1", "s_loy", "2025-03-01 09:00:00", "add_to_cart", "P1")
    order("O5", "LOY1", "2025-03-01 09:04:00", "P1")
    ev("v_lkc", "LKC", "s_lkc", "2025-03-05 20:00:00", "add_to_cart", "P1", "pinterest", "social")
    order("O6", "LKC", "2025-03-08 12:00:00", "P1")
    for v in ("v_lk1", "v_lk2"):
        ev(v, "", f"s_{v}", "2025-03-06 20:00:00", "add_to_cart", "P1", "pinterest", "social")
    order("O7", "NB1", "2025-06-01 10:00:00", "P6")  # a cheap later order: the mean falls
    paths = {"events": folder / "events.csv", "orders": folder / "orders.csv"}
    pd.DataFrame(events).to_csv(paths["events"], index=False)
    pd.DataFrame(orders).to_csv(paths["orders"], index=False)
    return paths


def test_imported_shop_measures_revenue_and_carts(shop: shopperlens.Shop, tmp_path: Path) -> None:
    paths = _files(tmp_path)
    shop.import_orders(paths["orders"])
    shop.import_events(paths["events"])
    report = svc.traffic_report(store=shop.store, types=TYPES, with_clv=False)
    kw = report["keywords"].set_index("keyword").loc["down sleeping bag"]
    assert (kw.visits, kw.purchases, kw.revenue) == (2, 2, 300.0)
    src = report["sources"].set_index("source")
    assert src.revenue["(direct)"] == 200.0 and src.conversion_rate["(direct)"] == 1.0
    carts = svc.abandoned_carts(store=shop.store, types=TYPES)
    assert sorted(carts.visitor_id) == ["v_lk1", "v_lk2"]  # LKC ordered the tent after all
    assert carts.cart_value.tolist() == [200.0, 200.0]  # the tent's price from the orders
    pb = svc.playbook(store=shop.store, types=TYPES, type="looker")
    md = pb.markdown()
    assert "2 lookers left a cart worth EUR 400" in md
    need = svc.playbook(store=shop.store, types=TYPES, type="need_based").actions[0]
    assert "0 need-based shoppers left a cart open after their last order" in need.evidence


def test_report_page_shows_unknown_revenue_as_unknown(shop: shopperlens.Shop, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Events with purchases of no value and no orders imported: the keyword and source tables
    show a dash for the revenue, never EUR 0 next to a conversion of 100 %."""
    from shopperlens.reports import site

    events = pd.DataFrame(
        [
            {"event_id": f"e{i}", "visitor_id": "v1", "customer_id": "c1", "session_id": "s1",
             "timestamp": f"2025-03-01 10:0{i}:00", "event_name": name, "product_id": "P3",
             "utm_source": "google", "utm_medium": "organic", "utm_term": "down sleeping bag",
             "value": ""}
            for i, name in enumerate(("view_item", "add_to_cart", "purchase"))
        ]
    )  # fmt: skip
    events.to_csv(tmp_path / "events.csv", index=False)
    shop.import_events(tmp_path / "events.csv")
    report = svc.traffic_report(store=shop.store, with_clv=False)
    assert report["keywords"].revenue.isna().all() and report["sources"].revenue.isna().all()
    page = site.find("playbook-need-based")
    assert page is not None
    ctx = page.build(shop.store, None)
    assert ctx is not None
    html = site.render(page, ctx, [])
    assert "down sleeping bag" in html and "Traffic sources" in html
    assert "EUR 0<" not in html


# -- orders by day only, repeats, cancelled orders, other currencies ------------------------
DAY = pd.Timestamp("2025-03-12")


def test_order_given_by_day_only_belongs_to_that_days_last_visit() -> None:
    """No purchase events; c5's order of March 12 is given by its day only (midnight). c5
    visited directly at 09:00 and from a search at 18:00, carting the bag: the order is the
    search visit's (the last of the day) and the bag was ordered, not abandoned. A timed order
    keeps its rule: c6 ordered at 10:00 and carted at 10:30 after it, an open cart."""
    hour = pd.Timedelta(hours=1)
    ev = pd.DataFrame(
        [
            _ev("d1", "v5", "c5", "view_item", DAY + 9 * hour, "P3"),
            _ev("d2", "v5", "c5", "view_item", DAY + 18 * hour, "P3", **SEARCH),
            _ev("d2", "v5", "c5", "add_to_cart", DAY + 18 * hour + pd.Timedelta(minutes=1),
                "P3", **SEARCH),
            _ev("d3", "v6", "c6", "view_item", DAY + 9.9 * hour, "P1"),
            _ev("d3", "v6", "c6", "add_to_cart", DAY + 10.5 * hour, "P1"),
        ]
    )  # fmt: skip
    orders = pd.DataFrame(
        {"order_id": ["d", "t"], "customer_id": ["c5", "c6"],
         "ordered_at": [DAY, DAY + 10 * hour], "value": [150.0, 200.0]}
    )  # fmt: skip
    s = traffic.sessions_from_events(ev, orders).set_index("session_id")
    assert s.purchased.to_dict() == {"d1": False, "d2": True, "d3": True}
    assert s.revenue["d2"] == 150.0
    kw = traffic.keyword_table(s.reset_index(), traffic.KeywordClassifier(["Down Sleeping Bag"]))
    row = kw.set_index("keyword").loc["down sleeping bag"]
    assert (row.purchases, row.revenue) == (1, 150.0)
    carts = checkout.abandoned_carts(ev, orders=orders, prices=pd.Series(PRICE))
    assert carts.customer_id.tolist() == ["c6"]


def _buys(*rows: tuple[str, str, str, pd.Timestamp, float | None]) -> pd.DataFrame:
    """Events of (session, customer, source, time, value): a visit and a purchase 30 s on."""
    out = []
    for session, customer, source, at, value in rows:
        utm = {"source": source, "medium": "email" if source == "newsletter" else "social"}
        out.append(_ev(session, "v_" + customer, customer, "view_item", at, "P2", **utm))
        out.append(_ev(session, "v_" + customer, customer, "purchase",
                       at + pd.Timedelta(seconds=30), value=value, **utm))  # fmt: skip
    return pd.DataFrame(out)


def test_reloaded_thank_you_page_is_one_purchase() -> None:
    """c2's one EUR 50 order: its thank-you page loaded again an hour later in a new visit
    (with the event's value 50) is a repeat, not a second purchase of EUR 50; c8's purchase
    has no order at all and counts at its event's value."""
    later = T + pd.Timedelta(hours=1)
    ev = _buys(("S2", "c2", "newsletter", T, 50.0), ("S2b", "c2", None, later, 50.0),
               ("S8", "c8", "pinterest", T, 70.0))  # fmt: skip
    at = [T + pd.Timedelta(minutes=1)]
    orders = pd.DataFrame({"order_id": ["O2"], "customer_id": ["c2"], "ordered_at": at,
                           "value": [50.0]})  # fmt: skip
    s = traffic.sessions_from_events(ev, orders)
    src = traffic.source_table(s).set_index("source")
    assert src.purchases.to_dict() == {"newsletter": 1, "(direct)": 0, "pinterest": 1}
    assert src.revenue.to_dict() == {"newsletter": 50.0, "(direct)": 0.0, "pinterest": 70.0}


def test_purchases_on_back_to_back_days_with_orders_given_by_day() -> None:
    """c1 buys at 23:00 on 1 March (google) and at 10:10 on 2 March (newsletter); the orders
    file gives O1 on 1 March and O2 on 2 March, by day only. Measured from midnight the 23:00
    event was nearer O2, and the real 10:10 purchase was then dropped as a repeat."""
    day1 = pd.Timestamp("2024-03-01")
    late, next_morning = day1 + pd.Timedelta(hours=23), day1 + pd.Timedelta(hours=34, minutes=10)
    ev = _buys(("S1", "c1", "google", late, None), ("S2", "c1", "newsletter", next_morning, None))
    orders = pd.DataFrame({"order_id": ["O1", "O2"], "customer_id": ["c1", "c1"],
                           "ordered_at": [day1, day1 + pd.Timedelta(days=1)],
                           "value": [50.0, 200.0]})  # fmt: skip
    src = traffic.source_table(traffic.sessions_from_events(ev, orders)).set_index("source")
    assert src.purchases.to_dict() == {"google": 1, "newsletter": 1}
    assert src.revenue.to_dict() == {"google": 50.0, "newsletter": 200.0}


def test_a_thank_you_page_reloaded_after_midnight_is_no_second_purchase() -> None:
    """A purchase at 23:50 on 1 March, its thank-you page reloaded at 00:20 on 2 March in a
    new visit, and one order given as 1 March: measured from midnight the reload was more than
    a day from the order, and counted as a second EUR 50 purchase."""
    day1 = pd.Timestamp("2024-03-01")
    buy, reload = (
        day1 + pd.Timedelta(hours=23, minutes=50),
        day1 + pd.Timedelta(hours=24, minutes=20),
    )
    ev = _buys(("S1", "c1", "google", buy, 50.0), ("S2", "c1", None, reload, 50.0))
    orders = pd.DataFrame(
        {"order_id": ["O1"], "customer_id": ["c1"], "ordered_at": [day1], "value": [50.0]}
    )
    src = traffic.source_table(traffic.sessions_from_events(ev, orders)).set_index("source")
    assert src.purchases.to_dict() == {"google": 1, "(direct)": 0}
    assert src.revenue.to_dict() == {"google": 50.0, "(direct)": 0.0}


def test_purchase_event_of_a_cancelled_order_is_no_purchase() -> None:
    """c7's purchase event (value 70) stands for an order then cancelled: no purchase, EUR 0;
    c9's paid order of the same minute is one."""
    ev = _buys(("S7", "c7", "pinterest", T, 70.0), ("S9", "c9", "newsletter", T, None))
    orders = pd.DataFrame(
        {"order_id": ["O7", "O9"], "customer_id": ["c7", "c9"],
         "ordered_at": [T + pd.Timedelta(minutes=1)] * 2, "value": [70.0, 20.0],
         "bought": [False, True]}
    )  # fmt: skip
    src = traffic.source_table(traffic.sessions_from_events(ev, orders)).set_index("source")
    assert src.purchases.to_dict() == {"newsletter": 1, "pinterest": 0}
    assert src.revenue.to_dict() == {"newsletter": 20.0, "pinterest": 0.0}


def _shop_files(folder: Path) -> dict[str, Path]:
    """A EUR shop: C1 buys a EUR 200 tent from a Google ad; C2 a EUR 50 order from the
    newsletter whose thank-you page reloads in a second visit; C4 carts a EUR 10 mug from a
    Bing ad, ordered that day (the orders file gives the day only); C6 buys from TikTok for
    SEK 1,100; C7's purchase from Pinterest is cancelled. A looker browses."""
    head = "visitor_id,timestamp,event_name,session_id,customer_id,product_id,utm_source,"
    head += "utm_medium,utm_term,value\n"
    events = head + "\n".join(
        [
            "V1,2024-03-01 10:00:00,view_item,S1,C1,P1,google,cpc,tent,",
            "V1,2024-03-01 10:04:00,purchase,S1,C1,,,,,",
            "V2,2024-03-02 10:00:00,view_item,S2,C2,P2,newsletter,email,,",
            "V2,2024-03-02 10:00:30,purchase,S2,C2,,,,,50",
            "V2,2024-03-02 11:00:00,purchase,S2b,C2,,,,,50",
            "V4,2024-03-05 15:00:00,view_item,S4,C4,P2,bing,cpc,mug,",
            "V4,2024-03-05 15:10:00,add_to_cart,S4,C4,P2,,,,",
            "V6,2024-03-07 14:00:00,view_item,S6,C6,P2,tiktok,social,,",
            "V6,2024-03-07 14:05:00,purchase,S6,C6,,,,,",
            "V7,2024-03-08 16:00:00,view_item,S7,C7,P2,pinterest,social,,",
            "V7,2024-03-08 16:05:00,purchase,S7,C7,,,,,70",
            "VL,2024-03-09 12:00:00,view_item,SL,,P1,,,,",
        ]
    )
    orders = "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency,status\n"
    orders += "\n".join(
        [
            "O1,C1,2024-03-01 10:05:00,P1,1,200,EUR,paid",
            "O2,C2,2024-03-02 10:01:00,P2,5,10,EUR,paid",
            "O4,C4,2024-03-05,P2,1,10,EUR,paid",
            "O6,C6,2024-03-07 14:05:00,P2,1,1100,SEK,paid",
            "O7,C7,2024-03-08 16:05:00,P2,7,10,EUR,cancelled",
        ]
    )
    paths = {"events": folder / "events.csv", "orders": folder / "orders.csv"}
    paths["events"].write_text(events + "\n")
    paths["orders"].write_text(orders + "\n")
    return paths


def test_imported_shop_counts_each_order_once_in_its_currency(
    shop: shopperlens.Shop, tmp_path: Path
) -> None:
    """Each source shows the purchases and EUR the planted orders say: the SEK order is a
    purchase of no EUR amount (a dash, never EUR 1,100), and the average order is that of
    the EUR orders, (200 + 50 + 10) / 3 = EUR 87 (not EUR 340 with SEK 1,100 in it)."""
    paths = _shop_files(tmp_path)
    shop.import_orders(paths["orders"])
    shop.import_events(paths["events"])
    types = pd.DataFrame({"customer_id": [None], "visitor_id": ["VL"], "type": ["looker"]})
    report = svc.traffic_report(store=shop.store, types=types, with_clv=False)
    src = report["sources"].set_index("source")
    assert src.purchases.to_dict() == {"google": 1, "newsletter": 1, "bing": 1, "tiktok": 1,
                                       "pinterest": 0, "(direct)": 0}  # fmt: skip
    revenue = src.revenue.drop("tiktok").to_dict()
    assert revenue == {"google": 200.0, "newsletter": 50.0, "bing": 10.0, "pinterest": 0.0,
                       "(direct)": 0.0}  # fmt: skip
    assert np.isnan(src.revenue["tiktok"])
    mug = report["keywords"].set_index("keyword").loc["mug"]
    assert (mug.purchases, mug.revenue) == (1, 10.0)
    first = report["acquisition"].set_index("source")
    assert np.isnan(first.revenue["tiktok"]) and first.revenue.sum() == 260.0
    assert svc.abandoned_carts(store=shop.store, types=types).empty  # C4 ordered the mug
    md = svc.playbook(store=shop.store, types=types, type="looker").markdown()
    assert "average order EUR 87" in md, md
