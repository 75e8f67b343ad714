"""A visitor's link to a customer does not depend on the order files came in, and stores that
older versions wrote (the linked customer_id copied into every anonymous event) are repaired by
migration 012 so runs as of a past date keep later sign-ups out."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import shopperlens
from _ingest_data import write
from shopperlens.service import types as svc
from shopperlens.store import migrations

HEADER = "event_id,visitor_id,customer_id,timestamp,event_name,page"
#: one shared browser: C1 signs in on 10 January, C2 on 5 January
X1 = f"{HEADER}\nX1,v5,C1,2024-01-10 10:00:00,login,/\n"
X2 = f"{HEADER}\nX2,v5,C2,2024-01-05 10:00:00,login,/\n"
#: anonymous browsing on the same browser before either signed in
ANON = f"{HEADER}\nA1,v5,,2024-01-01 10:00:00,page_view,/\n"


def _links(shop: shopperlens.Shop) -> list[tuple[str, str, pd.Timestamp]]:
    rows = shop.sql("SELECT visitor_id, customer_id, linked_at FROM identities ORDER BY 1")
    return [tuple(r) for r in rows.values.tolist()]


@pytest.mark.parametrize("order", [("x1", "x2"), ("x2", "x1"), ("both",)])
def test_a_shared_browser_links_the_earliest_customer_whatever_the_order(
    tmp_path: Path, order: tuple[str, ...]
) -> None:
    files = {"x1": write(tmp_path, "x1.csv", X1), "x2": write(tmp_path, "x2.csv", X2)}
    with shopperlens.open(":memory:") as shop:
        shop.import_events(write(tmp_path, "anon.csv", ANON))
        for name in order:
            shop.import_events(*(files.values() if name == "both" else [files[name]]))
        assert _links(shop) == [("v5", "C2", pd.Timestamp("2024-01-05 10:00:00"))]
        # the anonymous visit of 1 January follows the link, C1's own visit stays C1's
        sessions = shop.sql("SELECT started_at, customer_id FROM sessions ORDER BY 1")
        assert sessions["customer_id"].tolist() == ["C2", "C2", "C1"]


@pytest.mark.parametrize("first", ["a", "b"])
def test_two_customers_at_the_same_moment_link_the_smaller_id(tmp_path: Path, first: str) -> None:
    a = write(tmp_path, "a.csv", f"{HEADER}\nA,v1,Cb,2024-01-05 10:00:00,login,/\n")
    b = write(tmp_path, "b.csv", f"{HEADER}\nB,v1,Ca,2024-01-05 10:00:00,login,/\n")
    with shopperlens.open(":memory:") as shop:
        for path in (a, b) if first == "a" else (b, a):
            shop.import_events(path)
        assert _links(shop) == [("v1", "Ca", pd.Timestamp("2024-01-05 10:00:00"))]


def test_an_import_reports_only_links_it_adds(tmp_path: Path) -> None:
    with shopperlens.open(":memory:") as shop:
        assert shop.import_events(write(tmp_path, "x1.csv", X1)).added["identities"] == 1
        moved = shop.import_events(write(tmp_path, "x2.csv", X2))
        assert moved.added.get("identities", 0) == 0
        assert _links(shop)[0][1] == "C2"


# --- migration 012: stores older versions wrote ----------------------------------------------

#: v9 browsed anonymously every Friday of January and signed up as C9 on 10 April
JAN = [
    (f"a{d}{k}", f"2024-01-{d:02d} 10:{k:02d}:00", "view_item" if k < 6 else "add_to_cart")
    for d in (5, 12, 19, 26)
    for k in range(7)
]
APR = [("z1", "2024-04-10 10:00:00", "sign_up"), ("z2", "2024-04-10 10:05:00", "page_view")]
#: when the older version imported the events (UTC, as the ledger writes it), and when the
#: store was upgraded to migration 011
IMPORTED, UPGRADED = "2025-01-01 10:00:00", "2025-01-02 09:00:00"


def _old_store(con: duckdb.DuckDBPyConnection, imported_at: str = IMPORTED) -> None:
    """Migrations below 012 applied, and the data an older version left: every event of v9
    carries C9 (the January ones copied in at the April import), the link dated by 011 at
    v9's first event, C9 created on 10 April."""
    migrations.applied(con)
    for mig in migrations.available():
        if mig.version < 12:
            con.execute(mig.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                [mig.version, mig.name, UPGRADED],
            )
    con.executemany(
        "INSERT INTO events (event_id, session_id, visitor_id, customer_id, timestamp, "
        "event_name, product_id) VALUES (?, ?, 'v9', 'C9', ?, ?, 'P1')",
        [(e, "s-" + t[:10], t, name) for e, t, name in JAN + APR],
    )
    con.execute(
        "INSERT INTO sessions (session_id, origin, visitor_id, customer_id) "
        "SELECT DISTINCT session_id, 'events', visitor_id, customer_id FROM events"
    )
    con.execute("INSERT INTO identities VALUES ('v9', 'C9', TIMESTAMP '2024-01-05 10:00:00')")
    con.execute("INSERT INTO customers (customer_id, created_at) VALUES ('C9', '2024-04-10')")
    con.execute(
        "INSERT INTO imports (kind, format, file, checksum, rows_read, rows_accepted, "
        "rows_rejected, imported_at) VALUES ('events', 'generic', 'events.csv', 'x', 30, 30, 0, ?)",
        [imported_at],
    )


def _upgrade(con: duckdb.DuckDBPyConnection) -> None:
    applied = migrations.upgrade(con)
    assert applied[0] == 12 and applied == sorted(applied)  # 012, then any later migration


def _named(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None]]:
    return con.execute(
        "SELECT min(timestamp)::DATE::VARCHAR, customer_id FROM events "
        "GROUP BY customer_id ORDER BY 1"
    ).fetchall()


def test_012_makes_the_copied_january_events_anonymous_again() -> None:
    con = duckdb.connect()
    _old_store(con)
    _upgrade(con)
    assert _named(con) == [("2024-01-05", None), ("2024-04-10", "C9")]
    assert con.execute("SELECT * FROM identities").fetchall() == [
        ("v9", "C9", datetime(2024, 4, 10, 10, 0))
    ]
    assert con.execute("SELECT DISTINCT customer_id FROM sessions").fetchall() == [("C9",)]


def test_012_keeps_the_april_sign_up_out_of_a_march_run(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    _old_store(con)
    con.close()
    with shopperlens.open(path) as shop:  # opening applies 012
        march = svc.customer_types(store=shop.store, as_of="2024-03-01", save=False)
        assert march["customer_id"].dropna().tolist() == []
        assert march.set_index("visitor_id").at["v9", "type"] == "looker"
        may = svc.customer_types(store=shop.store, as_of="2024-05-01", save=False)
        assert may["customer_id"].tolist() == ["C9"]


def test_012_reads_the_upgrade_time_in_the_store_s_own_time_zone() -> None:
    """011 was applied at 09:00 New York time (14:00 UTC) and the import ran at 12:00 UTC: the
    events came before 011, though 12:00 is later than 09:00."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/New_York'")
    _old_store(con, imported_at="2025-01-02 12:00:00")
    _upgrade(con)
    assert _named(con)[0] == ("2024-01-05", None)


def test_012_leaves_a_link_without_a_creation_time_as_it_was() -> None:
    """Nothing tells which of v9's events named C9 in its file: the link keeps its date."""
    con = duckdb.connect()
    _old_store(con)
    con.execute("UPDATE customers SET created_at = NULL")
    _upgrade(con)
    assert _named(con) == [("2024-01-05", "C9")]
    assert con.execute("SELECT linked_at FROM identities").fetchone() == (
        datetime(2024, 1, 5, 10, 0),
    )


def test_012_keeps_what_files_imported_since_011_said() -> None:
    """Every event imported after 011 is as its file gave it, even one naming C9 early."""
    con = duckdb.connect()
    _old_store(con, imported_at="2025-01-03 10:00:00")
    _upgrade(con)
    assert _named(con) == [("2024-01-05", "C9")]


def test_012_moves_a_link_to_the_customer_of_the_earliest_event() -> None:
    """x1 (C1 on 10 January) then x2 (C2 on 5 January) linked v5 to C1; the anonymous visit
    of 1 January followed. After 012 v5 is C2's from 5 January, and so is that visit."""
    con = duckdb.connect()
    _old_store(con, imported_at="2025-01-03 10:00:00")
    con.execute(
        "INSERT INTO events (event_id, session_id, visitor_id, customer_id, timestamp, "
        "event_name) VALUES ('A1', 'sA', 'v5', NULL, '2024-01-01 10:00', 'page_view'), "
        "('X1', 'sX1', 'v5', 'C1', '2024-01-10 10:00', 'login'), "
        "('X2', 'sX2', 'v5', 'C2', '2024-01-05 10:00', 'login')"
    )
    con.execute(
        "INSERT INTO sessions (session_id, origin, visitor_id, customer_id) VALUES "
        "('sA', 'events', 'v5', 'C1'), ('sX1', 'events', 'v5', 'C1'), "
        "('sX2', 'events', 'v5', 'C2')"
    )
    con.execute("INSERT INTO identities VALUES ('v5', 'C1', TIMESTAMP '2024-01-10 10:00')")
    _upgrade(con)
    assert con.execute("SELECT * FROM identities WHERE visitor_id = 'v5'").fetchall() == [
        ("v5", "C2", datetime(2024, 1, 5, 10, 0))
    ]
    sessions = con.execute(
        "SELECT session_id, customer_id FROM sessions WHERE visitor_id = 'v5' ORDER BY 1"
    ).fetchall()
    assert sessions == [("sA", "C2"), ("sX1", "C1"), ("sX2", "C2")]


def test_012_changes_nothing_in_a_new_store() -> None:
    con = duckdb.connect()
    assert 12 in migrations.upgrade(con)
    assert con.execute("SELECT count(*) FROM identities").fetchone() == (0,)
