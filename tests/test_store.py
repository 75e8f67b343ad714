from __future__ import annotations

import duckdb
import pytest

from shopperlens.store import CANONICAL_TABLES, connect, migrations


def test_new_store_has_every_canonical_table(store):
    assert set(CANONICAL_TABLES) <= set(store.tables())
    assert store.schema_version == migrations.available()[-1].version


def test_reopening_applies_nothing_twice(db_path):
    s = connect(db_path)
    s.execute("INSERT INTO customers (customer_id, email) VALUES ('c1', 'a@b.c')")
    s.close()
    s = connect(db_path)
    assert migrations.upgrade(s.con) == []
    assert s.count("customers") == 1
    s.close()


def test_old_database_is_upgraded(db_path):
    """A database at version 1 gets the later migrations when opened."""
    con = duckdb.connect(str(db_path))
    first = migrations.available()[0]
    migrations.applied(con)
    con.execute(first.sql)
    con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [1, first.name])
    con.close()
    s = connect(db_path)
    assert s.schema_version == migrations.available()[-1].version
    s.close()


def test_transaction_is_all_or_nothing(store):
    with pytest.raises(RuntimeError), store.transaction() as con:
        con.execute("INSERT INTO customers (customer_id) VALUES ('c1')")
        raise RuntimeError("boom")
    assert store.count("customers") == 0


def test_ibis_sees_the_tables(store):
    store.execute("INSERT INTO products VALUES ('p1', 'Glove', 'boxing', 30.0, NULL)")
    t = store.table("products")
    assert t.price.sum().execute() == 30.0


def test_currency_codes_stored_in_lower_case_are_upgraded(db_path, tmp_path):
    """A store made before codes were stored in capitals held 'usd' (Stripe writes codes in
    lower case): a later export repeating the order, read as 'USD', clashed and refused the
    whole file."""
    import shopperlens

    head = "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency\n"
    (tmp_path / "a.csv").write_text(head + "o1,c1,2024-01-01,P1,1,10,usd\n")
    (tmp_path / "b.csv").write_text(
        head + "o1,c1,2024-01-01,P1,1,10,usd\no2,c2,2024-01-02,P1,1,20,usd\n"
    )
    s = connect(db_path)
    s.close()
    shop = shopperlens.open(db_path)
    shop.import_orders(tmp_path / "a.csv")
    shop.store.execute("UPDATE orders SET currency = 'usd'")  # as the earlier code stored it
    shop.store.execute("DELETE FROM schema_migrations WHERE version = 16")
    shop.close()
    shop = shopperlens.open(db_path)
    assert shop.store.scalar("SELECT currency FROM orders") == "USD"
    assert shop.import_orders(tmp_path / "b.csv").rows_rejected == 0
    shop.close()
