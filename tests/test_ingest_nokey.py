"""``events``, ``sessions``, ``orders`` and ``order_lines`` carry no primary key (migrations 008
and 009, for import speed): the importer itself keeps their keys unique and still names every
rejected row, on its one-read path (first file into an empty table), its counting path and its
exact path."""

from __future__ import annotations

import pytest

from _ingest_data import EVENTS, ORDERS, write
from shopperlens.errors import ShopperlensError

HEADER = EVENTS.splitlines()[0]
ROWS = EVENTS.splitlines()[1:]


def _events(*rows: str) -> str:
    return HEADER + "\n" + "\n".join(rows) + "\n"


def _ids(shop) -> list[str]:  # type: ignore[no-untyped-def]
    return [r[0] for r in shop.store.execute("SELECT event_id FROM events").fetchall()]


def test_events_and_sessions_keep_their_columns_without_a_primary_key(shop):
    keyed = shop.store.execute(
        "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
        "AND table_name IN ('events', 'sessions', 'orders', 'order_lines')"
    ).fetchall()
    assert keyed == []
    cols = [r[0] for r in shop.store.execute("DESCRIBE events").fetchall()]
    assert cols[:6] == [
        "event_id",
        "session_id",
        "visitor_id",
        "customer_id",
        "timestamp",
        "event_name",
    ]
    assert len(shop.store.execute("DESCRIBE sessions").fetchall()) == 38


def test_first_file_with_a_bad_row_names_it_and_lands_the_rest(shop, tmp_path):
    bad = ROWS[2].replace("2024-01-05 09:29:00", "yesterday")
    path = write(tmp_path, "ev.csv", _events(ROWS[0], ROWS[1], bad, ROWS[3], ROWS[4]))
    res = shop.import_events(path, on_error="skip")
    assert (res.rows_read, res.rows_accepted, res.rows_rejected) == (5, 4, 1)
    r = res.rejects[0]
    assert (r.line, r.column, r.value) == (4, "timestamp", "yesterday")
    assert sorted(_ids(shop)) == ["e1", "e2", "e4", "e5"]


def test_first_file_with_a_bad_row_aborts_with_nothing_written(shop, tmp_path):
    bad = ROWS[4].replace("page_view", "teleport")
    path = write(tmp_path, "ev.csv", _events(*ROWS[:4], bad))
    with pytest.raises(ShopperlensError, match="ev.csv:6 event_name='teleport'"):
        shop.import_events(path)
    assert shop.store.count("events") == 0 and shop.store.count("sessions") == 0


def test_a_value_spanning_lines_and_a_blank_line_are_still_imported(shop, tmp_path):
    multi = ROWS[4].replace(",/blog,", ',"/blog\nsecond line",')
    path = write(tmp_path, "ev.csv", _events(*ROWS[:4], multi) + "\n")
    res = shop.import_events(path)
    assert res.rows_accepted == 5 and res.rows_rejected == 0
    assert (
        shop.store.scalar("SELECT page FROM events WHERE event_id = 'e5'") == "/blog\nsecond line"
    )


def test_ids_stay_unique_across_files_of_one_call_and_later_calls(shop, tmp_path):
    a = write(tmp_path, "a.csv", _events(*ROWS[:3]))
    b = write(tmp_path, "b.csv", _events(*ROWS[1:]))
    res = shop.import_events(a, b)
    assert res.added["events"] == 5
    c = write(tmp_path, "c.csv", _events(*ROWS, ROWS[0].replace("e1,", "e9,")))
    assert shop.import_events(c).added["events"] == 1
    ids = _ids(shop)
    assert len(ids) == len(set(ids)) == 6
    sessions = [r[0] for r in shop.store.execute("SELECT session_id FROM sessions").fetchall()]
    assert len(sessions) == len(set(sessions))


def test_repeated_id_in_a_first_file_identical_once_different_rejected(shop, tmp_path):
    same = write(tmp_path, "same.csv", _events(*ROWS, ROWS[1]))
    assert shop.import_events(same).added["events"] == 5
    assert sorted(_ids(shop)) == ["e1", "e2", "e3", "e4", "e5"]
    other = ROWS[2].replace("e3,", "e7,")
    clash = write(tmp_path, "clash.csv", _events(other, other.replace("purchase", "page_view")))
    res = shop.import_events(clash, on_error="skip")
    assert res.rows_rejected == 2 and shop.store.count("events") == 5
    assert {r.line for r in res.rejects} == {2, 3}
    assert all("different content" in r.reason for r in res.rejects)


def test_second_file_with_a_bad_row_and_a_clash_names_both(shop, tmp_path):
    shop.import_events(write(tmp_path, "a.csv", _events(*ROWS[:3])))
    bad = ROWS[3].replace("2024-01-05 10:14:00", "soon")
    clash = ROWS[0].replace("page_view", "view_item")
    res = shop.import_events(
        write(tmp_path, "b.csv", _events(clash, bad, ROWS[4])), on_error="skip"
    )
    assert {(r.line, r.column) for r in res.rejects} == {(2, "event_id"), (3, "timestamp")}
    assert sorted(_ids(shop)) == ["e1", "e2", "e3", "e5"]


def test_migration_008_keeps_the_rows_of_an_older_store():
    import duckdb

    from _old_store import store_before
    from shopperlens.store import migrations

    con = store_before(8)
    con.execute(
        'INSERT INTO events (event_id, visitor_id, "timestamp", event_name) '
        "VALUES ('e1', 'v1', TIMESTAMP '2024-01-05 09:00:00', 'page_view')"
    )
    con.execute("INSERT INTO sessions (session_id, origin, n_events) VALUES ('s1', 'events', 1)")
    con.execute("INSERT INTO order_lines VALUES ('o1', 1, 'p1', 'Mug', 'kitchen', 2, 9.5, NULL)")
    assert 8 in migrations.upgrade(con)
    assert con.execute("SELECT event_id, event_name FROM events").fetchall() == [
        ("e1", "page_view")
    ]
    assert con.execute("SELECT session_id, n_events FROM sessions").fetchall() == [("s1", 1)]
    assert con.execute("SELECT order_id, quantity FROM order_lines").fetchall() == [("o1", 2)]
    with pytest.raises(duckdb.ConstraintException):  # NOT NULLs survive the rebuild
        con.execute("INSERT INTO events (event_id, event_name) VALUES ('e2', NULL)")


def test_a_header_only_first_file_is_refused(shop, tmp_path):
    with pytest.raises(ShopperlensError, match="header but no rows"):
        shop.import_events(write(tmp_path, "ev.csv", HEADER + "\n"))


def test_orders_stay_unique_across_overlapping_files_in_one_call(shop, tmp_path):
    lines = ORDERS.splitlines()
    first = write(tmp_path, "a.csv", "\n".join(lines[:4]) + "\n")  # o1 (2 lines), o2
    second = write(tmp_path, "b.csv", "\n".join([lines[0], *lines[3:]]) + "\n")  # o2, o3
    res = shop.import_orders(first, second)
    assert res.added["orders"] == 3 and res.added["order_lines"] == 4
    again = shop.import_orders(write(tmp_path, "c.csv", ORDERS))  # all of them, once more
    assert again.added["orders"] == 0 and again.added["order_lines"] == 0
    n, distinct = shop.store.execute(
        "SELECT count(*), count(DISTINCT order_id) FROM orders"
    ).fetchone()
    assert n == distinct == 3
    assert shop.store.execute("DESCRIBE orders").fetchall()[0][:2] == ("order_id", "VARCHAR")
