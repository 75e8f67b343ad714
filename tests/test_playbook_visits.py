"""The playbooks read a shop's visits as one row per session, grouped where the events are.

A report of a shop of 15 million events held every event in pandas (9 GB); now the store
groups them and only the purchase, cart and sign-up events come one by one. The summary must
be the one the events frame gives (the pure functions' own path, :meth:`Visits.of`) — the
demo shop read both ways — and must say what the planted events say: first source and
keyword, furthest step, last page, with events at the same instant taken in event id order,
as the import's sessions take them.
"""

from __future__ import annotations

import pandas as pd

from _demo_data import demo_shop
from _ingest_data import write
from shopperlens.demo.loader import load
from shopperlens.playbooks import checkout, onboarding
from shopperlens.playbooks.visits import KEY_EVENTS, Visits
from shopperlens.service import playbooks as svc

HEAD = "event_id,session_id,visitor_id,customer_id,timestamp,event_name,page,product_id,"
HEAD += "utm_source,utm_medium,utm_term,search_term\n"
#: s1: two events at the same instant name two sources (the smaller event id is the landing),
#: an empty ad term before a real one, a search, a cart and a purchase, and a last page with
#: a query string; s2: an anonymous visit of the same visitor that carts and leaves; s3: a
#: visit whose only event is a sign-up, of a second visitor
EVENTS = """\
e1,s1,v1,,2025-03-01 10:00:00,page_view,/,,google,cpc,,
e2,s1,v1,,2025-03-01 10:00:00,page_view,/home,,bing,cpc,tent,
e3,s1,v1,,2025-03-01 10:01:00,view_search_results,/search,,,,,alpine tent
e4,s1,v1,,2025-03-01 10:02:00,view_item,/p/tent,P1,,,,
e5,s1,v1,,2025-03-01 10:03:00,add_to_cart,/cart,P1,,,,
e6,s1,v1,c1,2025-03-01 10:05:00,purchase,/thanks?order=9,P1,,,,
e7,s2,v1,,2025-03-05 09:00:00,view_item,/p/mug,P2,newsletter,email,,
e8,s2,v1,,2025-03-05 09:01:00,add_to_cart,/cart,P2,,,,
e9,s3,v2,,2025-03-06 12:00:00,sign_up,/account,,,,,
"""


def _by_session(v: Visits) -> pd.DataFrame:
    return v.sessions.set_index("session_id")


def test_the_visits_of_a_store_say_what_its_events_say(shop, tmp_path) -> None:
    shop.import_events(write(tmp_path, "events.csv", HEAD + EVENTS))
    v = svc._visit_data(shop.store)
    s = _by_session(v)
    assert sorted(s.index) == ["s1", "s2", "s3"]
    assert s.loc["s1", "source"] == "google"  # the smaller event id of two at 10:00
    assert s.loc["s1", "medium"] == "cpc"
    assert s.loc["s1", "keyword"] == "tent"  # the first non-empty ad term
    assert s.loc["s1", "search_term"] == "alpine tent"
    assert s.loc["s1", "exit_page"] == "/thanks?order=9"
    assert s.loc["s1", "customer_id"] == "c1"  # v1 is c1's, once an event names them
    assert s.loc["s2", "customer_id"] == "c1"
    assert (s.loc["s1", "level"], s.loc["s1", "level_unbought"]) == (4, 2)
    assert (s.loc["s2", "level"], s.loc["s3", "level"]) == (2, 0)
    assert s.loc["s1", "started_at"] == pd.Timestamp("2025-03-01 10:00")
    assert s.loc["s1", "ended_at"] == pd.Timestamp("2025-03-01 10:05")
    # only the purchase, cart and sign-up events are read one by one
    assert list(v.events.event_name) == ["add_to_cart", "purchase", "add_to_cart", "sign_up"]
    # and the pure path reads the same file's events alike
    frame = pd.read_csv(tmp_path / "events.csv", dtype=str).assign(customer_id="c1")
    frame.loc[frame.visitor_id == "v2", "customer_id"] = None
    mine = _by_session(Visits.of(frame))
    pd.testing.assert_frame_equal(mine, s, check_dtype=False)


def test_the_demo_shop_gives_the_same_visits_from_the_store_and_from_its_events(store) -> None:
    demo = demo_shop(600)
    load(store, demo)
    from_store = svc._visit_data(store)
    events = store.df(
        """SELECT e.session_id, e.visitor_id,
                  coalesce(e.customer_id, i.customer_id) AS customer_id,
                  e."timestamp", e.event_name, e.page, e.product_id, e.utm_source,
                  e.utm_medium, e.utm_campaign, e.utm_term, e.search_term, e.value
           FROM events e LEFT JOIN identities i USING (visitor_id) ORDER BY e.rowid"""
    )
    from_frame = Visits.of(events)
    assert len(from_store.sessions) == events.session_id.nunique() > 1000
    pd.testing.assert_frame_equal(
        from_frame.sessions.reset_index(drop=True),
        from_store.sessions.reset_index(drop=True),
        check_dtype=False,
    )
    key = events[events.event_name.str.lower().isin(KEY_EVENTS)]
    assert len(from_store.events) == len(from_frame.events) == len(key) < len(events) / 3


#: one laptop: A buys, then B signs up and buys within the half hour (one visit, first A's);
#: C visits on their own
SHARED = """\
event_id,session_id,visitor_id,customer_id,timestamp,event_name,page
e1,s1,v1,A,2024-03-01 10:00:00,page_view,/
e2,s1,v1,A,2024-03-01 10:01:00,purchase,/thanks
e3,s1,v1,B,2024-03-01 10:10:00,sign_up,/signup
e4,s1,v1,B,2024-03-01 10:12:00,purchase,/thanks
e5,s9,v9,C,2024-02-01 10:12:00,page_view,/
"""
SHARED_ORDERS = """\
order_id,customer_id,ordered_at,product_id,quantity,unit_price
o1,A,2024-03-01 10:01:00,p1,1,5
o2,B,2024-03-01 10:12:00,p1,1,7
"""


def test_a_second_customer_in_a_shared_visit_has_visits_on_record(shop, tmp_path) -> None:
    shop.import_events(write(tmp_path, "events.csv", SHARED))
    shop.import_orders(write(tmp_path, "orders.csv", SHARED_ORDERS))
    v = svc._visit_data(shop.store)
    assert len(v.sessions) == 2 and v.customers == {"A", "B", "C"}
    assert svc._visited(v) == {"A", "B", "C"}
    orders = svc._orders_with_campaign(shop.store).set_index("order_id")
    assert bool(orders.loc["o2", "visited"])
    orders = pd.read_csv(tmp_path / "orders.csv", parse_dates=["ordered_at"])
    # both new customers were seen; B signed up two minutes before their order
    got = onboarding.new_customer_sign_ups(v, orders, ["A", "B"])
    assert got == (2, 2, 1, 0)
    frame = pd.read_csv(tmp_path / "events.csv")
    assert onboarding.new_customer_sign_ups(frame, orders, ["A", "B"]) == (2, 2, 1, 0)


def test_a_frame_with_numeric_ids_keeps_them() -> None:
    """A frame read by pandas has whole-number session ids (GA4's ``ga_session_id``) and, with
    gaps, float customer ids: the steps, the exit pages and the onboarding meet the caller's
    ids as given."""
    events = pd.DataFrame(
        {
            "session_id": [10, 10, 11, 12],
            "visitor_id": ["v1", "v1", "v2", "v3"],
            "customer_id": [1.0, 1.0, None, 2.0],
            "timestamp": pd.to_datetime(
                ["2024-03-01 10:00", "2024-03-01 10:05", "2024-03-02 10:00", "2024-03-03 09:00"]
            ),
            "event_name": ["view_item", "page_view", "page_view", "sign_up"],
            "page": ["/p", "/t", "/s", "/s"],
        }
    )
    steps = checkout.session_steps(events, purchased=[10])
    assert steps.set_index("session_id").purchase.to_dict() == {10: True, 11: False, 12: False}
    exits = checkout.exit_pages(events, purchased=[10])
    assert exits.set_index("page").exits.to_dict() == {"/s": 2}
    orders = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "ordered_at": pd.to_datetime(["2024-03-01 10:04", "2024-03-04 12:00"]),
        }
    )
    # 1 bought in the visit data without signing up, 2 signed up the day before ordering
    assert onboarding.new_customer_sign_ups(events, orders, [1, 2]) == (2, 2, 1, 0)


def test_visits_and_sign_ups_without_any_order_make_a_playbook(shop, tmp_path) -> None:
    """Events alone (no orders imported yet): the onboarding's checkouts read "no first
    order" for everyone, where a first-order time of nothing met a visit's start and failed."""
    events = HEAD + EVENTS.replace("e6,s1,v1,c1,", "e6,s1,v1,,").replace(
        ",purchase,", ",begin_checkout,"
    )
    shop.import_events(write(tmp_path, "events.csv", events))
    book = svc.playbook(store=shop.store)
    assert book.actions


def test_a_frame_of_zoned_times_keeps_its_zone(machine_zone: str) -> None:
    """Events stamped in Tokyo time give visits in Tokyo time, whatever the machine's zone
    (DuckDB hands zoned times back in the machine's)."""
    from io import StringIO

    events = pd.read_csv(StringIO(HEAD + EVENTS))
    events["timestamp"] = pd.to_datetime(events.timestamp).dt.tz_localize("Asia/Tokyo")
    v = Visits.of(events)
    first = v.sessions.set_index("session_id").loc["s1"]
    assert str(first.started_at) == "2025-03-01 10:00:00+09:00"
    assert str(first.ended_at) == "2025-03-01 10:05:00+09:00"
    assert str(v.events.timestamp.iloc[0].tz) == "Asia/Tokyo"


def test_a_frame_without_session_ids_is_cut_into_visits_as_an_import_cuts_them(
    shop, tmp_path
) -> None:
    """The same events without a session_id column, from the store (cut on import) and as a
    frame: the same visits, ids included. v1's 10:05 purchase and 4-day-later cart are two
    visits; a 31-minute pause cuts a third; v2's sign-up is its own. Before, a frame without
    session ids gave no visit at all."""
    rows = [line.split(",") for line in EVENTS.splitlines()]
    rows.append(["e10", "", "v1", "", "2025-03-05 09:32:00", "page_view", "/", "", "", "", "", ""])
    head = HEAD.replace("session_id,", "")
    text = head + "".join(",".join(r[:1] + r[2:]) + "\n" for r in rows)
    shop.import_events(write(tmp_path, "events.csv", text))
    stored = _by_session(svc._visit_data(shop.store))
    assert len(stored) == 4
    frame = pd.read_csv(tmp_path / "events.csv", dtype=str).assign(customer_id="c1")
    frame.loc[frame.visitor_id == "v2", "customer_id"] = None
    mine = Visits.of(frame)
    pd.testing.assert_frame_equal(_by_session(mine), stored, check_dtype=False)
    assert set(mine.events.session_id) <= set(stored.index)
