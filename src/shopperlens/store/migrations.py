"""Versioned schema migrations.

Each file ``NNN_name.sql`` in ``store/migrations/`` is one version. A database records the
versions it has applied in ``schema_migrations``; opening it applies the missing ones in order,
each inside its own transaction, so an interrupted upgrade never leaves half a version behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from shopperlens.errors import ShopperlensError

if TYPE_CHECKING:
    import duckdb

_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    """All migrations shipped with the package, in version order."""
    found = []
    for entry in resources.files("shopperlens.store").joinpath("migrations").iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda mig: mig.version)
    versions = [mig.version for mig in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version number: {versions}")
    return found


def applied(con: duckdb.DuckDBPyConnection) -> set[int]:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    return {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}


def check_store(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a DuckDB file that is not a shopperlens store, or one a newer shopperlens made.

    Opening another program's database (``--db analytics.duckdb``) created the shop's 30-odd
    tables in it, even for a command that only reads, and a table of the same name there
    (``customers``) stopped the migrations half-way, leaving ``schema_migrations`` behind. A
    store whose schema is newer than this version knows was written to as if it were current.
    """
    names = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = "
            "current_database() AND table_schema = 'main'"
        ).fetchall()
    }
    if names and "schema_migrations" not in names:
        shown = ", ".join(sorted(names)[:5]) + (" …" if len(names) > 5 else "")
        raise ShopperlensError(
            f"not a shopperlens store: the DuckDB file holds another program's tables ({shown}); "
            "nothing was changed. Give a new file (such as shop.duckdb) or a shopperlens store"
        )
    if "schema_migrations" not in names:
        return
    newest = con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]  # type: ignore[index]
    known = max(m.version for m in available())
    if newest is not None and newest > known:
        raise ShopperlensError(
            f"this store was made by a newer shopperlens (schema version {newest}; this one "
            f"knows up to {known}): nothing was changed. Upgrade shopperlens to use it"
        )


def upgrade(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration the database lacks (after :func:`check_store`); returns the
    versions applied now."""
    check_store(con)
    done = applied(con)
    now = []
    for mig in available():
        if mig.version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(mig.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [mig.version, mig.name],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        now.append(mig.version)
    return now


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    done = applied(con)
    return max(done) if done else 0
