"""Versioned schema migrations.

Each file ``NNN_name.sql`` in ``store/migrations/`` is one version. A database records the
versions it has applied in ``schema_migrations``; opening it applies the missing ones in order,
each inside its own transaction, so an interrupted upgrade never leaves half a version behind.

Only a store opened for writing is upgraded. One opened read-only must already be current:
the code reads the newest schema (an import ledger's ``status_changed``, the links'
``linked_at``), and an older one failed mid-command with a database error; it is refused at
open instead, the file left as it was (:func:`check_store`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING

from shopperlens.errors import ShopperlensError

if TYPE_CHECKING:
    import duckdb

_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")

#: the version that made the erasure ledger: releases before it erased by DELETE alone
ERASURE_LEDGER = 15


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
    """The versions the database records, reading only: ``schema_migrations`` is made here
    just in a database that has none and may be written (a new store; a read-only file
    holding no tables gets an empty set). ``CREATE TABLE IF NOT EXISTS`` ran on every call,
    and a store opened read-only refused it, so even its ``schema_version`` failed."""
    if not _has_ledger(con):
        if _read_only(con):
            return set()
        con.execute(
            "CREATE TABLE schema_migrations ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
            " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
        )
    return {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}


def _has_ledger(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database's own schema holds ``schema_migrations``."""
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = "
        "current_database() AND table_schema = 'main' AND table_name = 'schema_migrations'"
    ).fetchone()
    return bool(row and row[0])


def _read_only(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's database is attached read-only."""
    row = con.execute(
        "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return bool(row and row[0])


def check_store(con: duckdb.DuckDBPyConnection, *, read_only: bool = False) -> None:
    """Refuse a DuckDB file that is not a shopperlens store, or one a newer shopperlens made;
    with ``read_only``, also one an older shopperlens made (or an empty file): it cannot be
    upgraded without writing (see the module).

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
        if read_only:
            raise ShopperlensError(_NOTHING_YET)
        return
    newest = con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]  # type: ignore[index]
    known = max(m.version for m in available())
    if newest is not None and newest > known:
        raise ShopperlensError(
            f"this store was made by a newer shopperlens (schema version {newest}; this one "
            f"knows up to {known}): nothing was changed. Upgrade shopperlens to use it"
        )
    if read_only and {m.version for m in available()} - applied(con):
        raise ShopperlensError(
            f"this store was made by an older shopperlens (schema {newest or 0}; this one "
            f"needs {known}): open it once without --read-only (read_only=False in Python) to "
            "upgrade it; nothing was changed"
        )


#: why a read-only open of a DuckDB file holding no table is refused (nothing to read in it)
_NOTHING_YET = (
    "this DuckDB file holds no shopperlens store yet: open it once without --read-only "
    "(read_only=False in Python) to make one; nothing was changed"
)


def upgrade(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration the database lacks (after :func:`check_store`); returns the
    versions applied now.

    A store brought past :data:`ERASURE_LEDGER` from below it gets a ledger row whose
    rewrite is pending (:func:`_note_older_erasures`), in that version's transaction."""
    check_store(con)
    done = applied(con)
    now = []
    for mig in available():
        if mig.version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(mig.sql)
            if mig.version == ERASURE_LEDGER and done:
                _note_older_erasures(con)
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


def _note_older_erasures(con: duckdb.DuckDBPyConnection) -> None:
    """Record in the erasure ledger one erasure whose rewrite of the file is pending: a
    release before the ledger erased by DELETE alone, which leaves the rows' bytes readable
    in the file, and kept no record of whether it erased anyone. The row (no rows counted:
    they are not known) makes :meth:`~shopperlens.store.Store.pending_compaction` say so,
    and ``shopperlens compact`` finish it (a new store, which erased nobody, gets none)."""
    now = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, as every stored time
    con.execute("INSERT INTO erasures (erased_at, rows_deleted) VALUES (?, 0)", [now])


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    done = applied(con)
    return max(done) if done else 0
