"""A command that finds no store and adds nothing to it leaves no file: ``--db shpo.duckdb
report`` with a mistyped name (or an import refused whole) left an empty store behind, which
later commands then read as a shop with "no orders"."""

from __future__ import annotations

import shopperlens
from _ingest_data import write


def test_a_read_on_a_missing_store_leaves_no_file(cli, db_path, tmp_path):
    res = cli("report", "--out", str(tmp_path / "site"))
    assert res.exit_code == 1 and "holds no orders" in res.output
    assert not db_path.exists() and not db_path.with_name(db_path.name + ".wal").exists()
    assert cli("tables").exit_code == 0
    assert not db_path.exists()


def test_an_import_refused_whole_leaves_no_new_store(cli, db_path, tmp_path):
    head = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
    bad = write(tmp_path, "o.csv", head + "o1,c1,not a date,p1,1,1\n")
    assert cli("import", "orders", str(bad)).exit_code == 1
    assert not db_path.exists()


def test_a_command_that_stores_something_keeps_the_new_store(cli, db_path):
    assert cli("survey", "create", "demo-profile").exit_code == 0
    with shopperlens.open(db_path) as shop:
        assert shop.store.count("surveys") == 1


def test_an_existing_empty_store_is_left_alone(cli, db_path):
    shopperlens.open(db_path).close()  # made by the shop, not by the command
    assert cli("tables").exit_code == 0
    assert db_path.exists()
