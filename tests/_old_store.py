"""A store as an older shopperlens left it: the schema migrations below a version applied."""

from __future__ import annotations

import duckdb

from shopperlens.store import migrations


def store_before(version: int) -> duckdb.DuckDBPyConnection:
    """An in-memory store with every migration older than ``version`` applied and recorded."""
    con = duckdb.connect()
    migrations.applied(con)
    for mig in migrations.available():
        if mig.version < version:
            con.execute(mig.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [mig.version, mig.name],
            )
    return con
