"""Events files that give one session_id to two visitors, and landing fields at a tied first
timestamp: a session is one visitor's visit, and its landing page and source do not depend on
the order of the rows in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

import shopperlens
from _ingest_data import write
from shopperlens.service.imports import ImportRejected

HEAD = "visitor_id,customer_id,timestamp,event_name,session_id,page,utm_source\n"
A = "A,,2024-03-01 10:00:00,page_view,1,/a,google\nA,,2024-03-01 10:05:00,add_to_cart,1,/a,\n"
B = "B,,2024-03-02 12:00:00,page_view,1,/b,facebook\nB,,2024-03-02 12:30:00,purchase,1,/thanks,\n"
WHY = "session ids must be unique across visitors"


def _sessions(shop: shopperlens.Shop) -> list[tuple[object, ...]]:
    return shop.store.execute(
        "SELECT session_id, visitor_id, purchases, landing_page, utm_source FROM sessions "
        "ORDER BY session_id"
    ).fetchall()


@pytest.mark.parametrize("stored_first", [False, True])
def test_a_second_visitor_under_a_session_id_is_rejected_and_nothing_written(
    shop: shopperlens.Shop, tmp_path: Path, stored_first: bool
) -> None:
    """In the file (line 4 onwards: B's rows) or against the store, the default aborts."""
    if stored_first:
        shop.import_events(write(tmp_path, "a.csv", HEAD + A))
    path = write(tmp_path, "ev.csv", HEAD + ("" if stored_first else A) + B)
    before = shop.store.count("events")
    with pytest.raises(ImportRejected) as err:
        shop.import_events(path)
    rejects = err.value.rejects
    assert [(r.line, r.column, r.value) for r in rejects] == (
        [(2, "session_id", "1"), (3, "session_id", "1")]
        if stored_first
        else [(4, "session_id", "1"), (5, "session_id", "1")]
    )
    assert all("already names visitor 'A'" in r.reason and WHY in r.reason for r in rejects)
    assert shop.store.count("events") == before


def test_skip_keeps_the_first_visitor_s_session_and_lists_the_others(
    shop: shopperlens.Shop, tmp_path: Path
) -> None:
    """B's purchase is not credited to A's google visit (it was: one session, A's source)."""
    res = shop.import_events(write(tmp_path, "ev.csv", HEAD + A + B), on_error="skip")
    assert res.rows_rejected == 2 and [r.line for r in res.rejects] == [4, 5]
    assert _sessions(shop) == [("1", "A", 0, "/a", "google")]


def test_two_files_of_one_call_sharing_an_id(shop: shopperlens.Shop, tmp_path: Path) -> None:
    a, b = write(tmp_path, "a.csv", HEAD + A), write(tmp_path, "b.csv", HEAD + B)
    with pytest.raises(ImportRejected) as err:
        shop.import_events(a, b)
    assert [(Path(r.file).name, r.line) for r in err.value.rejects] == [("b.csv", 2), ("b.csv", 3)]
    assert "an earlier file of this import" in err.value.rejects[0].reason


def test_an_event_named_by_its_customer_only_joins_the_visitor_s_session(
    shop: shopperlens.Shop, tmp_path: Path
) -> None:
    """A purchase logged server-side (no visitor_id, a customer_id) is no second visitor: only
    B's rows are rejected, and the purchase stays in A's session, in the file or a later one."""
    server = ",C9,2024-03-01 10:06:00,purchase,1,,\n"
    res = shop.import_events(write(tmp_path, "ev.csv", HEAD + A + server + B), on_error="skip")
    assert [r.line for r in res.rejects] == [5, 6]
    assert _sessions(shop) == [("1", "A", 1, "/a", "google")]
    res = shop.import_events(write(tmp_path, "late.csv", HEAD + server.replace("06", "07")))
    assert res.rows_rejected == 0 and _sessions(shop) == [("1", "A", 2, "/a", "google")]


TIE = "visitor_id,timestamp,event_name,page,utm_source,utm_medium\n"
LANDING = "A,2024-03-01 10:00:00,page_view,/landing,google,cpc\n"
BLANK = "A,2024-03-01 10:00:00,session_start,,,\n"
LATER = "A,2024-03-01 10:02:00,view_item,/p/1,,\n"


def test_the_landing_event_wins_a_tie_with_a_blank_one(tmp_path: Path) -> None:
    """A blank session_start in the landing page's second made the visit '(direct)' when it
    came first in the file: either order now gives the landing page and its source."""
    for i, rows in enumerate((LANDING + BLANK + LATER, BLANK + LANDING + LATER)):
        with shopperlens.open(":memory:") as shop:
            shop.import_events(write(tmp_path, f"tie{i}.csv", TIE + rows))
            got = shop.store.execute("SELECT landing_page, utm_source, utm_medium FROM sessions")
            assert got.fetchall() == [("/landing", "google", "cpc")], rows


def test_a_store_from_before_the_check_takes_an_overlapping_re_export(
    shop: shopperlens.Shop, tmp_path: Path
) -> None:
    """A store imported before session ids were checked has B's purchase in A's session S1.
    A later export re-sending that purchase unchanged beside B's new visit was refused whole;
    the stored row is not checked again, while a new row of B in S1 still is."""
    head = "event_id,session_id,visitor_id,timestamp,event_name,page\n"
    first = "e1,S1,A,2024-01-01 10:00:00,page_view,/a\ne2,S9,B,2024-01-01 10:01:00,purchase,/b\n"
    shop.import_events(write(tmp_path, "old.csv", head + first))
    shop.store.execute("UPDATE events SET session_id = 'S1' WHERE event_id = 'e2'")  # as then
    shop.store.execute("DELETE FROM sessions WHERE session_id = 'S9'")
    resent = "e2,S1,B,2024-01-01 10:01:00,purchase,/b\n"
    later = resent + "e3,S2,B,2024-01-02 10:00:00,page_view,/c\n"
    res = shop.import_events(write(tmp_path, "later.csv", head + later))
    assert (res.rows_rejected, res.added["events"]) == (0, 1)
    more = resent + "e4,S1,B,2024-01-01 10:02:00,page_view,/d\n"
    with pytest.raises(ImportRejected) as err:
        shop.import_events(write(tmp_path, "more.csv", head + more))
    assert [(r.line, r.value) for r in err.value.rejects] == [(3, "S1")]
    assert "already names visitor 'A'" in err.value.rejects[0].reason
