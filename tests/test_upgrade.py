"""Stores an older shopperlens made, opened by this one.

An older store is built here without the older code: the first migration files applied to a
new DuckDB file, recorded as an older release recorded them, and rows written the way that
release wrote them (its erase only deleted rows; its import of events kept or copied customer
ids; its CLV and types runs carry no record of the model or of the rules being current).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

import shopperlens
from _types_shopkit import ShopKit
from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.features import default_as_of
from shopperlens.reports import site
from shopperlens.service import clv, types_value, value_run
from shopperlens.service import types as types_svc
from shopperlens.store import connect, migrations
from shopperlens.types import load_config
from test_partial_data import imported, orders_csv
from test_report_value_run import _history

#: the schema this shopperlens needs
NEWEST = max(m.version for m in migrations.available())


def old_store(path: Path, below: int, applied_at: str = "2025-01-02 09:00:00") -> None:
    """A store file with the migrations below ``below`` applied, as that release left it."""
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
        "applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    for mig in migrations.available():
        if mig.version < below:
            con.execute(mig.sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [mig.version, mig.name, applied_at],
            )
    con.close()


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


# --- 1. read-only on an older schema ---------------------------------------------------------
def test_read_only_refuses_an_older_store_in_one_line_and_leaves_it(cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Commands crashed mid-way on the older schema (``KeyError: 'status_changed'``, no
    ``linked_at``); the open now refuses, says how to upgrade, and writes nothing."""
    old_store(db_path, below=11)
    before = _md5(db_path)
    for command in (["imports"], ["types"], ["types", "history", "c1"]):
        res = cli("--read-only", *command)
        assert res.exit_code != 0, res.output
        said = " ".join(res.output.split())
        assert said.startswith(
            f"error: this store was made by an older shopperlens (schema 10; this one needs "
            f"{NEWEST}): open it once without --read-only"
        ), res.output
        assert "nothing was changed" in said and "Traceback" not in res.output
    with pytest.raises(ShopperlensError, match=r"older shopperlens \(schema 10"):
        shopperlens.open(db_path, read_only=True)
    assert _md5(db_path) == before
    assert not Path(str(db_path) + ".wal").exists()
    with connect(db_path) as store:  # opened for writing once: upgraded
        assert store.schema_version == NEWEST
    with connect(db_path, read_only=True) as store:  # then read-only opens and says its schema
        assert store.schema_version == NEWEST


def test_read_only_refuses_an_empty_duckdb_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(ShopperlensError, match="holds no shopperlens store yet"):
        connect(path, read_only=True)


# --- 2. an older release's erasures ----------------------------------------------------------
ERASED = ("ZQX-OLD-ERASE-4411", "wilhelmina.gone@example.org", "Wilhelmina Gonedottir")


def _old_store_with_an_erasure(path: Path) -> None:
    """Schema 10, 2000 customers and their orders, one of whom that release erased: its erase
    deleted the rows (DuckDB marks them deleted; their bytes stay in the file)."""
    old_store(path, below=11)
    con = duckdb.connect(str(path))
    con.execute(
        "INSERT INTO customers (customer_id, email, name) SELECT 'K' || i, "
        "'person' || i || '@example.org', 'Person Number ' || i FROM range(2000) t(i)"
    )
    con.execute("INSERT INTO customers (customer_id, email, name) VALUES (?, ?, ?)", ERASED)
    con.execute(
        "INSERT INTO orders (order_id, customer_id, ordered_at) SELECT 'o' || i, "
        "CASE WHEN i % 500 = 7 THEN ? ELSE 'K' || (i % 2000) END, "
        "TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE FROM range(6000) t(i)",
        [ERASED[0]],
    )
    con.execute("CHECKPOINT")
    con.execute("DELETE FROM orders WHERE customer_id = ?", [ERASED[0]])
    con.execute("DELETE FROM customers WHERE customer_id = ?", [ERASED[0]])
    con.execute("CHECKPOINT")
    con.close()


def _leaks(path: Path) -> list[str]:
    data = path.read_bytes()
    return [text for text in ERASED if text.encode() in data]


def test_the_upgrade_rewrites_the_file_an_older_erase_left_readable(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    _old_store_with_an_erasure(path)
    assert _leaks(path) == list(ERASED)  # the older erase left them in the file
    with connect(path) as store:
        assert store.count("customers") == 2000 and store.count("orders") == 5988
        assert store.pending_compaction() == 0
        assert store.scalar("SELECT count(*) FROM erasures WHERE compacted_at IS NOT NULL") == 1
    assert _leaks(path) == []
    with connect(tmp_path / "new.duckdb") as store:  # a new store erased nobody
        assert store.count("erasures") == 0


def test_an_upgrade_whose_rewrite_fails_says_to_compact_until_it_is_done(tmp_path: Path) -> None:
    """The rewrite's file beside the store cannot be made (a folder is in its place): the
    open says so and how to finish; the ledger keeps the rewrite pending for ``compact``."""
    path = tmp_path / "shop.duckdb"
    _old_store_with_an_erasure(path)
    blocker = tmp_path / ".shop.duckdb.compact.tmp"
    blocker.mkdir()
    with pytest.raises(ShopperlensError) as err:
        connect(path)
    said = str(err.value)
    assert "upgraded from an older shopperlens" in said
    assert "run `shopperlens compact`" in said and "\n" not in said
    blocker.rmdir()
    with connect(path) as store:  # upgraded already: nothing is applied or rewritten again
        assert store.schema_version == NEWEST
        assert store.pending_compaction() == 1
        assert _leaks(path) == list(ERASED)
        assert store.compact() == 1
        assert store.pending_compaction() == 0
    assert _leaks(path) == []


# --- 3. types runs under other rules -----------------------------------------------------------
def _shop_with_runs_under_other_rules(store) -> None:  # type: ignore[no-untyped-def]
    """c1 browses, buys and keeps buying in 2025; three runs (two as of 1 February, one as of
    1 April) stored under rules that differ from the current ones."""
    kit = ShopKit().customer("c1", "v1")
    for day in (1, 5):
        kit.visit("v1", day, pages=4, views=("p1", "p3"), cart=("p1",), minutes=15)
    for i in range(6):
        kit.visit("v1", 30 + 45 * i, pages=2, views=("p1",), cart=("p1",), buy=("p1",))
        kit.order("c1", 30 + 45 * i, ("p1",))
    kit.write(store)
    earlier = load_config(windows={"new_days": 1})
    assert earlier.digest != load_config().digest
    for as_of in ("2025-02-01", "2025-02-01", "2025-04-01"):
        types_svc.customer_types(store=store, as_of=as_of, config=earlier)


def test_history_and_report_count_the_runs_made_under_other_rules(shop, client) -> None:  # type: ignore[no-untyped-def]
    _shop_with_runs_under_other_rules(shop.store)
    counted = "3 stored runs for 2 dates (2025-02-01, 2025-04-01) were made under other types rules"
    with pytest.raises(NotFoundError) as err:
        shop.type_history("c1")
    assert counted in str(err.value) and "shopperlens types --as-of DATE" in str(err.value)
    res = client.get("/api/types/c1/history")
    assert res.status_code == 404 and counted in res.json()["detail"]

    types_page = site.find("types")
    assert types_page is not None
    note = types_page.build(shop.store, None)["moves_note"]  # stores the current run
    now = f"{default_as_of(shop.store):%Y-%m-%d}"
    assert "is stored" not in note and counted in note, note
    assert f"only the run as of {now} is one" in note, note

    types_svc.customer_types(store=shop.store, as_of="2025-02-01")  # recomputed: current rules
    found = shop.type_history("c1")
    assert [f"{d:%Y-%m-%d}" for d in found["as_of"]] == ["2025-02-01", now]
    assert found.attrs["other_runs_note"].startswith(
        "1 stored run for 1 date (2025-04-01) was made under other types rules"
    )
    explained = client.get("/api/types/c1/explain").json()
    assert explained["history_note"] == found.attrs["other_runs_note"]


def test_cli_history_says_the_runs_under_other_rules(cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    with connect(db_path) as store:
        _shop_with_runs_under_other_rules(store)
    res = cli("types", "history", "c1")
    assert res.exit_code == 1 and "Traceback" not in res.output
    said = " ".join(res.output.split())
    assert said.startswith("error: no run of 'c1' under the current types rules: 3 stored runs")
    assert "shopperlens types moves --from DATE --to DATE" in said
    with connect(db_path) as store:  # one date recomputed: the others are still said
        types_svc.customer_types(store=store, as_of="2025-02-01")
    res = cli("types", "history", "c1")
    said = " ".join(res.output.split())
    assert res.exit_code == 0 and "2025-02-01" in said
    assert "note: 1 stored run for 1 date (2025-04-01) was made under other types rules" in said


# --- 4. a CLV run another model made ---------------------------------------------------------
def _orders(seed: int = 5) -> str:
    """A year of orders the CLV models accept (``test_report_value_run._history``)."""
    return orders_csv(_history(seed))


#: a CLV figure no fit of these orders gives (an older model's)
PLANTED = 123456.0


def test_a_clv_run_of_another_model_is_not_current(tmp_path: Path) -> None:
    shop = shopperlens.open(":memory:")
    imported(shop, tmp_path, orders=_orders())
    assert value_run.ensure_current(store=shop.store) is None
    assert value_run.is_current(store=shop.store)
    assert set(shop.sql("SELECT model_version FROM customer_value")["model_version"]) == {
        clv.MODEL_VERSION
    }
    shop.store.execute(
        "UPDATE customer_value SET model_version = 'clv 1', clv = ?", [PLANTED]
    ).fetchall()
    assert not value_run.is_current(store=shop.store)
    assert value_run.ensure_current(store=shop.store) is None  # computed again
    stored = shop.sql("SELECT model_version, clv FROM customer_value")
    assert set(stored["model_version"]) == {clv.MODEL_VERSION}
    assert PLANTED not in set(stored["clv"])
    shop.close()


def test_an_older_release_s_clv_run_is_not_shown_as_current(tmp_path: Path) -> None:
    """The run an older release stored (no model recorded) is computed again where the store
    may be written, and its figures are left out where it may not."""
    path = tmp_path / "shop.duckdb"
    with shopperlens.open(path) as shop:
        imported(shop, tmp_path, orders=_orders())
        shop.types()
        assert value_run.ensure_current(store=shop.store) is None
        assert shop.latest_types()["clv"].notna().any()  # the run is joined to the types
    mark_old = "UPDATE customer_value SET model_version = NULL, clv = ?"
    with connect(path) as store:
        store.execute(mark_old, [PLANTED]).fetchall()
    with shopperlens.open(path, read_only=True) as shop:
        assert not value_run.is_current(store=shop.store)
        ex = shop.explain_type("steady3")
        assert ex.clv is None and ex.p_alive is None
        assert shop.latest_types()["clv"].isna().all()
        why = types_value.value_note(store=shop.store, as_of=shop.latest_types().attrs["as_of"])
        assert why.startswith("the stored customer-value run was made by an older shopperlens")
    with shopperlens.open(path) as shop:
        ex = shop.explain_type("steady3")
        assert ex.clv is not None and ex.clv != PLANTED
        assert value_run.is_current(store=shop.store)
        assert PLANTED not in set(shop.latest_types()["clv"])


def test_http_types_as_of_a_date_leave_an_older_release_s_clv_run_out(tmp_path: Path) -> None:
    """``GET /api/types?as_of=`` reads a stored run as ``latest_types`` does (one service
    function, ``types_at``): an older model's CLV figures, which a read-only store cannot
    replace, are left out there too."""
    from conftest import _api_client

    path = tmp_path / "shop.duckdb"
    with shopperlens.open(path) as shop:
        imported(shop, tmp_path, orders=_orders())
        as_of = shop.types().attrs["as_of"][:10]
        value_run.ensure_current(store=shop.store)
        assert shop.latest_types()["clv"].notna().any()  # a CLV run is joined to the types
    with connect(path) as store:
        store.execute("UPDATE customer_value SET model_version = NULL, clv = ?", [PLANTED])
    with shopperlens.open(path, read_only=True) as shop, _api_client(shop) as client:
        page = client.get("/api/types", params={"as_of": as_of, "limit": 1000}).json()
        assert page["rows"] and all(row["clv"] is None for row in page["rows"])
        latest = client.get("/api/types", params={"limit": 1000}).json()
        assert all(row["clv"] is None for row in latest["rows"])


def test_migration_019_leaves_an_older_run_without_a_model(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    old_store(path, below=19)
    con = duckdb.connect(str(path))
    con.execute(
        "INSERT INTO customer_value (customer_id, as_of, horizon_days, frequency, recency, "
        '"T", monetary_value, p_alive, expected_purchases, expected_spend, clv, at_risk, '
        "computed_at) VALUES ('c1', '2024-12-31', 365, 2, 60, 90, 50, 0.9, 1, 50, ?, false, "
        "now()::TIMESTAMP)",
        [PLANTED],
    )
    con.close()
    with connect(path) as store:
        assert store.scalar("SELECT model_version FROM customer_value") is None
        assert clv.other_model_run(store=store)


# --- 5. migration 012 on stores no release copied ids into --------------------------------
def _events_store(path: Path, *, copied: bool) -> None:
    """Schema 10; v9 signs in as C9, whose shop account dates from 1 March. Its January visit
    names C9 in the shop's own file (signed in on a kiosk before the account's date the CRM
    gives). ``copied``: a copying release also wrote C9 into v9's anonymous February visit;
    else that visit stayed anonymous, as the file gave it."""
    old_store(path, below=11)
    con = duckdb.connect(str(path))
    rows = [
        ("e1", "2024-01-10 10:00:00", "C9"),
        ("e2", "2024-02-10 10:00:00", "C9" if copied else None),
        ("e3", "2024-03-05 10:00:00", "C9"),
    ]
    con.executemany(
        "INSERT INTO events (event_id, visitor_id, customer_id, timestamp, event_name) "
        "VALUES (?, 'v9', ?, ?, 'page_view')",
        [(e, c, t) for e, t, c in rows],
    )
    con.execute("INSERT INTO identities VALUES ('v9', 'C9')")
    con.execute("INSERT INTO customers (customer_id, created_at) VALUES ('C9', '2024-03-01')")
    con.execute(
        "INSERT INTO imports (kind, format, file, checksum, rows_read, rows_accepted, "
        "rows_rejected, imported_at) VALUES ('events', 'generic', 'events.csv', 'x', 3, 3, 0, "
        "'2025-01-01 10:00:00')"
    )
    con.close()


def test_012_rewrites_only_a_store_whose_ids_were_copied(tmp_path: Path) -> None:
    """Copied: every event of the linked visitor names C9, and those before C9's creation
    are made anonymous again. Not copied: the visitor still has an anonymous event, so the
    ids are the file's own and stay."""
    named = "SELECT event_id, customer_id FROM events ORDER BY event_id"
    for copied, expected in (
        (True, [("e1", None), ("e2", None), ("e3", "C9")]),
        (False, [("e1", "C9"), ("e2", None), ("e3", "C9")]),
    ):
        path = tmp_path / f"copied_{copied}.duckdb"
        _events_store(path, copied=copied)
        with connect(path) as store:
            assert store.execute(named).fetchall() == expected, copied
            link = store.scalar("SELECT linked_at FROM identities WHERE visitor_id = 'v9'")
            # dated by the earliest event still naming C9
            assert link == (datetime(2024, 3, 5, 10) if copied else datetime(2024, 1, 10, 10))
