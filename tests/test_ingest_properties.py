"""Invariants of importing (Hypothesis): splitting a file into overlapping parts, in any order,
ends in the same store as importing it whole — events, sessions, identities alike."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import shopperlens
from _ingest_data import write

HEADER = "event_id,visitor_id,customer_id,timestamp,event_name,page"
T0 = datetime(2024, 1, 5, 9, 0)

event = st.tuples(
    st.sampled_from(["v1", "v2", "v3"]),
    st.booleans(),  # the event carries the visitor's customer id
    st.integers(0, 240),  # minutes after T0: gaps around the 30-minute cut are likely
    st.sampled_from(["page_view", "view_item", "add_to_cart", "purchase"]),
)


def _csv(rows: list[tuple[int, tuple]]) -> str:
    lines = [HEADER]
    for i, (visitor, customer, minute, name) in rows:
        ts = (T0 + timedelta(minutes=minute)).isoformat(sep=" ")
        lines.append(f"e{i},{visitor},{customer or ''},{ts},{name},/p{minute % 7}")
    return "\n".join(lines) + "\n"


def _state(shop) -> tuple:  # type: ignore[no-untyped-def]
    q = {
        "events": "SELECT event_id, session_id, customer_id FROM events ORDER BY 1",
        "sessions": "SELECT session_id, visitor_id, customer_id, n_events, started_at, ended_at, "
        "landing_page FROM sessions ORDER BY 1",
        "identities": "SELECT * FROM identities ORDER BY 1",
    }
    return tuple(tuple(map(tuple, shop.sql(sql).astype(str).values.tolist())) for sql in q.values())


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=st.lists(event, min_size=1, max_size=25),
    cut=st.floats(0, 1),
    overlap=st.integers(0, 5),
    reverse=st.booleans(),
)
def test_overlapping_parts_equal_the_whole(tmp_path, events, cut, overlap, reverse):
    # one customer per visitor (a visitor seen with two customers keeps the first one seen)
    rows = [(i, (v, f"c-{v}" if c else None, m, n)) for i, (v, c, m, n) in enumerate(events)]
    k = int(cut * len(rows))
    first, second = rows[: k + overlap], rows[max(k - overlap, 0) :]
    with shopperlens.open(":memory:") as whole:
        whole.import_events(write(tmp_path, "whole.csv", _csv(rows)))
        expected = _state(whole)
    with shopperlens.open(":memory:") as parts:
        files = [write(tmp_path, "a.csv", _csv(first)), write(tmp_path, "b.csv", _csv(second))]
        for f in reversed(files) if reverse else files:
            if f.read_text().count("\n") > 1:
                parts.import_events(f)
        assert _state(parts) == expected
