"""The playbooks read a shop's visits as one row per session, grouped where the events are.

A report of a shop of 15 million events held every event in pandas (9 GB); now the store
groups them and only the purchase, cart and sign-up events come one by one. The summary must
be the one the events frame gives (the pure functions' own path, :meth:`Visits.of`) — the
demo shop read both ways — and must say what the planted events say: first source and
keyword, furthest step, last page, with events at the same instant taken in the order they
were imported.
"""

from __future__ import annotations

import pandas as pd

from _demo_data import demo_shop
from _ingest_data import write
from shopperlens.demo.loader import load
from shopperlens.playbooks.visits import KEY_EVENTS, Visits
from shopperlens.service import playbooks as svc

HEAD = "event_id,session_id,visitor_id,customer_id,timestamp,event_name,page,product_id,"
HEAD += "utm_source,utm_medium,utm_term,search_term\n"
#: s1: two events at the same instant name two sources (the first imported is the landing),
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
    assert s.loc["s1", "source"] == "google"  # the first imported of two at 10:00
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
