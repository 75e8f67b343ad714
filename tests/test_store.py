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
    store.execute("INSERT INTO products VALUES ('p1', 'Glove', 'boxing', 30.0)")
    t = store.table("products")
    assert t.price.sum().execute() == 30.0
