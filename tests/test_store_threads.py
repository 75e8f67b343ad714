"""One store serves several threads at once: the web server's request handlers and its jobs.

DuckDB refuses a second call on a connection that is busy ("connection is busy with another
call"): two browser tabs on the dashboard, or a read while an import job ran, answered 500.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

import shopperlens
from _types_shopkit import ShopKit
from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.store import connect
from shopperlens.web.app import create_app
from shopperlens.web.server import serve_in_thread


def _kit() -> ShopKit:
    kit = ShopKit()
    for i in range(40):
        c = f"c{i}"
        kit.customer(c, visitor=f"v{i}")
        kit.visit(f"v{i}", i, medium="organic", term="rain jacket pro", views=("p3",), buy=("p3",))
        kit.order(c, i, ("p3",))
        if i % 2:
            kit.order(c, i + 30, ("p1", "p2"))
    for i in range(40):
        kit.visit(f"anon{i}", i, pages=4, views=("p1", "p4"))
    return kit


def test_concurrent_requests_to_a_real_server_all_succeed(tmp_path: Path) -> None:
    shop = shopperlens.open(tmp_path / "s.duckdb")
    _kit().write(shop.store)
    shop.types()  # a stored run for the reads below
    app = create_app(Settings(token="t0k"), shop=shop)
    paths = ["/api/types", "/api/tables", "/api/types/c3/explain", "/api/types/moves"] * 10
    with (
        serve_in_thread(app) as base,
        httpx.Client(base_url=base, headers={"Authorization": "Bearer t0k"}, timeout=60) as http,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        statuses = list(pool.map(lambda p: http.get(p).status_code, paths))
    shop.close()
    assert statuses.count(200) + statuses.count(422) == len(paths), statuses
    assert 500 not in statuses


def test_reads_in_other_threads_while_a_transaction_is_open(tmp_path: Path) -> None:
    store = connect(tmp_path / "s.duckdb")
    _kit().write(store)
    errors: list[BaseException] = []
    seen: list[int] = []
    with store.transaction() as con:
        con.execute("DELETE FROM orders")  # not committed: other threads still see the rows

        def read() -> None:
            try:
                seen.append(store.count("orders"))
                seen.append(int(store.table("orders").count().execute()))
            except BaseException as exc:  # noqa: BLE001  (collected for the assertion)
                errors.append(exc)

        threads = [threading.Thread(target=read) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        con.execute("ROLLBACK")
        con.execute("BEGIN TRANSACTION")  # the context manager commits an empty one
    assert errors == []
    assert seen == [60] * 8
    store.close()


def test_a_store_in_a_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    where = tmp_path / "nope" / "sub" / "x.duckdb"
    with pytest.raises(ShopperlensError, match="does not exist"):
        connect(where)
    assert not (tmp_path / "nope").exists()


def test_the_cli_says_so_for_a_mistyped_db_folder(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from shopperlens.cli import app

    res = CliRunner().invoke(app, ["--db", str(tmp_path / "nope" / "x.duckdb"), "tables"])
    assert res.exit_code == 1
    said = " ".join(res.output.split())  # (Rich wraps the message where the path ends a line)
    assert "does not exist" in said and "Traceback" not in said
    assert not (tmp_path / "nope").exists()


def test_a_result_left_partly_read_does_not_block_ibis(tmp_path: Path) -> None:
    """``store.execute(…).fetchone()`` of a one-row aggregate can leave DuckDB's result open;
    DuckDB 2 then refused Ibis's next schema lookup on that connection (the demo's report
    failed on the types page)."""
    store = connect(tmp_path / "s.duckdb")
    store.execute(
        "INSERT INTO orders (order_id, customer_id, ordered_at) SELECT 'o' || i, 'c' || (i % 997), "
        "TIMESTAMP '2025-01-01' + INTERVAL (i) MINUTE FROM range(200000) t(i)"
    )
    for _ in range(3):
        store.execute(
            "SELECT count(DISTINCT order_id) FILTER (customer_id IS NOT NULL), "
            "count(DISTINCT customer_id) FROM orders"
        ).fetchone()
        assert int(store.table("orders").count().execute()) == 200_000
    store.close()
