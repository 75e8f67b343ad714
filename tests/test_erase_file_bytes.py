"""Erase leaves no byte of the customer in the store's file.

DuckDB's DELETE only marks rows deleted, and CHECKPOINT or VACUUM neither rewrite nor zero the
blocks they sat in: after ``shopperlens erase`` the customer's e-mail, name and id were still
readable in ``shop.duckdb`` (``grep -a``). Erase now rewrites the file with the live data only.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

import shopperlens
from shopperlens.config import Settings
from shopperlens.store import Store, connect, migrations
from shopperlens.web.app import create_app
from shopperlens.web.server import serve_in_thread

ERASED_ID = "ZQX-ERASE-7781"
ERASED_EMAIL = "annabel.erased@example.org"
ERASED_NAME = "Annabel Erasedottir"
#: how each of the erased customer's personal values may lie in the file
NEEDLES = (ERASED_ID.encode(), ERASED_EMAIL.encode(), ERASED_NAME.encode())


def _fill(store: Store, n: int = 3000) -> None:
    """``n`` customers with three orders and four events each, plus the one to erase."""
    store.execute(
        "INSERT INTO customers (customer_id, email, name) SELECT 'K' || lpad(i::VARCHAR, 5, '0'), "
        "'person' || i || '@example.org', 'Person Number' || i FROM range(?) t(i)",
        [n],
    )
    store.execute(
        "INSERT INTO customers (customer_id, email, name) VALUES (?, ?, ?)",
        [ERASED_ID, ERASED_EMAIL, ERASED_NAME],
    )
    store.execute(
        "INSERT INTO orders (order_id, customer_id, ordered_at) SELECT 'o' || i, "
        "'K' || lpad((i % ?)::VARCHAR, 5, '0'), TIMESTAMP '2025-01-01' + INTERVAL (i) MINUTE "
        "FROM range(?) t(i)",
        [n, 3 * n],
    )
    store.execute(
        "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES "
        "('o-ann-1', ?, TIMESTAMP '2025-03-01'), ('o-ann-2', ?, TIMESTAMP '2025-04-01')",
        [ERASED_ID, ERASED_ID],
    )
    store.execute(
        'INSERT INTO events (event_id, visitor_id, customer_id, event_name, "timestamp") '
        "SELECT 'ev' || i, 'v' || (i % ?), CASE WHEN i % 2 = 0 THEN ? ELSE "
        "'K' || lpad((i % ?)::VARCHAR, 5, '0') END, 'page_view', "
        "TIMESTAMP '2025-01-01' + INTERVAL (i) SECOND FROM range(?) t(i)",
        [n, ERASED_ID, n, 8],
    )
    store.execute("CHECKPOINT")


_RECORD_IMPORT = (
    "INSERT INTO imports (kind, format, file, checksum, rows_read, rows_accepted, "
    "rows_rejected, imported_at) VALUES ('orders', 'csv', ?, 'x', 1, 1, 0, now())"
)


def _counts(store: Store) -> dict[str, int]:
    return {t: store.count(t) for t in ("customers", "orders", "events")}


def _leaks(path: Path) -> list[bytes]:
    """The erased customer's values found in the store's file or a WAL beside it."""
    files = [path, Path(str(path) + ".wal")]
    data = b"".join(p.read_bytes() for p in files if p.exists())
    return [needle for needle in NEEDLES if needle in data]


def test_erase_rewrites_the_file_without_the_customer(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    shop = shopperlens.open(db)
    _fill(shop.store)
    for name in ("a.csv", "b.csv"):  # two imports recorded: the sequence is at 2
        shop.store.execute(_RECORD_IMPORT, [name])
    before = _counts(shop.store)
    shop.close()
    assert _leaks(db) == list(NEEDLES)  # the planted values are in the file to begin with

    shop = shopperlens.open(db)
    report = shop.erase_customer(ERASED_ID)
    assert report.rows_deleted == {"customers": 1, "orders": 2, "events": 4}
    assert _counts(shop.store) == {
        "customers": before["customers"] - 1,
        "orders": before["orders"] - 2,
        "events": before["events"] - 4,
    }
    shop.close()

    assert _leaks(db) == []
    store = connect(db)  # reopens; the schema is current and nothing is applied again
    assert store.schema_version == migrations.available()[-1].version
    assert migrations.upgrade(store.con) == []
    assert store.scalar("SELECT email FROM customers WHERE customer_id = 'K02999'") == (
        "person2999@example.org"
    )
    assert store.scalar("SELECT count(*) FROM orders WHERE customer_id = 'K00007'") == 3
    # the sequence goes on where it was: the next import is number 3, not a duplicate key
    store.execute(_RECORD_IMPORT, ["c.csv"])
    assert store.scalar("SELECT import_id FROM imports WHERE file = 'c.csv'") == 3
    assert store.scalar(
        "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'customers' "
        "AND constraint_type = 'PRIMARY KEY'"
    )
    store.close()


def test_erase_over_http_during_reads_fails_no_request(tmp_path: Path) -> None:
    """The server shares the store among threads: erase swaps the file under them, and the
    reads around it (each thread's cursor is of the replaced connection) are all answered."""
    db = tmp_path / "shop.duckdb"
    shop = shopperlens.open(db)
    _fill(shop.store, n=2000)
    app = create_app(Settings(token="t0k"), shop=shop)
    statuses: list[int | str] = []
    stop = threading.Event()

    def read(http: httpx.Client) -> None:
        while not stop.is_set():
            for path in ("/api/tables", "/api/consents"):
                try:
                    statuses.append(http.get(path).status_code)
                except httpx.HTTPError as exc:  # collected for the assertion
                    statuses.append(repr(exc))

    with (
        serve_in_thread(app) as base,
        httpx.Client(base_url=base, headers={"Authorization": "Bearer t0k"}, timeout=60) as http,
    ):
        readers = [threading.Thread(target=read, args=(http,)) for _ in range(4)]
        for t in readers:
            t.start()
        while len(statuses) < 20:
            stop.wait(0.01)
        erased = http.delete(f"/api/customers/{ERASED_ID}")
        seen = len(statuses)
        while len(statuses) < seen + 20:  # reads after the swap, on new cursors
            stop.wait(0.01)
        stop.set()
        for t in readers:
            t.join()
    shop.close()
    assert erased.status_code == 200, erased.text
    assert erased.json()["rows_deleted"]["customers"] == 1
    assert set(statuses) == {200}, [s for s in statuses if s != 200][:5]
    assert _leaks(db) == []
