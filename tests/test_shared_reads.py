"""A report reads the events, the orders and the visits once for all its tables
(``service._shared``): on a shop of 15 million events each read took about 25 s and the
playbook page made a dozen. Each table still gets a frame of its own."""

from __future__ import annotations

import pandas as pd

from shopperlens.service import playbooks as svc
from shopperlens.service._shared import shared_reads

EVENT = (
    'INSERT INTO events (event_id, session_id, visitor_id, customer_id, "timestamp", '
    "event_name, page) VALUES (?, 's1', 'v1', NULL, TIMESTAMP '2025-03-03 10:00', "
    "'page_view', '/')"
)


def test_within_a_report_the_events_are_read_once(store) -> None:  # type: ignore[no-untyped-def]
    store.execute(EVENT, ["e1"])
    with shared_reads():
        first = svc._visit_data(store)
        store.execute(EVENT.replace("'s1'", "'s2'"), ["e2"])  # (a report's store is unchanged)
        assert len(svc._visit_data(store)) == 1  # the visits read first
        with shared_reads():  # a nested block shares the outer one's frames
            assert len(svc._visit_data(store)) == 1
    assert len(first) == 1
    assert len(svc._visit_data(store)) == 2  # outside a block every call reads the store


def test_each_reader_gets_a_frame_of_its_own(store) -> None:  # type: ignore[no-untyped-def]
    store.execute(EVENT, ["e1"])
    with shared_reads():
        one, other = svc._visit_data(store).sessions, svc._visit_data(store).sessions
        one["extra"] = 1
        one.loc[0, "exit_page"] = "/changed"
        assert "extra" not in other
        assert other.exit_page.tolist() == ["/"]
        assert svc._visit_data(store).sessions.exit_page.tolist() == ["/"]


def test_the_visits_and_the_orders_they_led_to_are_read_once(store) -> None:  # type: ignore[no-untyped-def]
    store.execute(EVENT, ["e1"])
    with shared_reads():
        _, sessions = svc._visits(store)
        store.execute(EVENT.replace("'s1'", "'s2'"), ["e2"])
        again = svc._visits(store)[1]
        pd.testing.assert_frame_equal(sessions, again)
    assert len(again) == 1 and len(svc._visits(store)[1]) == 2
