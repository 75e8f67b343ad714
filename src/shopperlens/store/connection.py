"""The embedded DuckDB store: one file per shop, schema kept current by migrations."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from shopperlens.errors import ShopperlensError
from shopperlens.store import migrations

if TYPE_CHECKING:
    import ibis.backends.duckdb
    import pandas as pd

#: the tables every source format maps onto (see ``migrations/001_core.sql``)
CANONICAL_TABLES: tuple[str, ...] = (
    "customers",
    "products",
    "orders",
    "order_lines",
    "events",
    "sessions",
    "identities",
    "tickets",
    "returns",
    "consents",
    "imports",
)


#: suffixes of the files shops import: a store path ending so is an argument mix-up
_DATA_SUFFIXES = frozenset(
    (".csv", ".tsv", ".tab", ".txt", ".parquet", ".pq", ".json", ".jsonl", ".ndjson", ".gz",
     ".xlsx", ".xls")
)  # fmt: skip


def _check_store_path(path: Path) -> None:
    """Refuse a path that is not a store, or whose folder is missing, before DuckDB opens it.

    DuckDB opens an existing CSV or Parquet file as a read-only view of that file, and every
    write then lands in memory and is lost when the process ends; a store must be a DuckDB file
    (``DUCK`` at byte 8) or a new path that does not name a data file.
    """
    if path.is_dir():
        raise ShopperlensError(f"the store {path} is a directory; give a file such as shop.duckdb")
    if not path.parent.is_dir():  # a typo must not quietly start an empty shop elsewhere
        raise ShopperlensError(
            f"cannot open the store {path}: the folder {path.parent} does not exist (check --db "
            "or SHOPPERLENS_DB; a new store is made only in a folder that exists)"
        )
    if path.is_file() and path.stat().st_size > 0:
        with path.open("rb") as fh:
            if fh.read(12)[8:12] != b"DUCK":
                raise ShopperlensError(
                    f"{path} is not a shopperlens store (not a DuckDB database file); the "
                    "store (--db, SHOPPERLENS_DB) is a DuckDB file such as shop.duckdb"
                )
    elif path.suffix.lower() in _DATA_SUFFIXES:
        raise ShopperlensError(
            f"the store {path.name} looks like a data file; the store (--db, SHOPPERLENS_DB) is "
            "a DuckDB file such as shop.duckdb, and the files to import follow the kind"
        )


class Store:
    """A shop's data: a DuckDB file (or ``:memory:``) with the canonical schema.

    Open it with :func:`shopperlens.store.connect`. The store is the only object that talks
    to DuckDB; analyses receive Ibis tables or pandas frames from it.

    One store may serve several threads at once (the web server's request handlers and its
    background jobs): DuckDB refuses a second call on a connection that is busy, so each
    thread other than the one that opened the store works on a cursor of its own (a
    connection to the same database: it sees every committed row, and its temporary tables
    are its own). Write transactions still take turns (:meth:`transaction`).
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            _check_store_path(Path(self.path))
        try:
            self._main = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:  # locked by another process, not a DuckDB file …
            raise ShopperlensError(f"cannot open the store {self.path}: {exc}") from exc
        self._owner = threading.get_ident()
        self._lock = threading.RLock()
        self._local = threading.local()
        self._cursors: list[tuple[threading.Thread, duckdb.DuckDBPyConnection]] = []
        self._cursors_lock = threading.Lock()
        self._ibis: Any = None
        if not read_only:
            migrations.upgrade(self._main)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """This thread's connection: the store's own in the thread that opened it, else a
        cursor made for the thread on first use (closed when the thread has ended and another
        thread makes one, or when the store closes)."""
        if threading.get_ident() == self._owner:
            return self._main
        cur = getattr(self._local, "con", None)
        if cur is None:
            cur = self._main.cursor()
            with self._cursors_lock:
                for thread, old in [c for c in self._cursors if not c[0].is_alive()]:
                    old.close()
                    self._cursors.remove((thread, old))
                self._cursors.append((threading.current_thread(), cur))
            self._local.con = cur
        return cur

    # -- plumbing ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    def close(self) -> None:
        with self._cursors_lock:
            for _, cur in self._cursors:
                cur.close()
            self._cursors.clear()
        self._main.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return migrations.current_version(self.con)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing: every statement inside commits together or not at all."""
        with self._lock:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield self.con
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one thread (the web server's request handlers run in a pool)."""
        cur = self.con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    # -- reading ----------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> duckdb.DuckDBPyConnection:
        return self.con.execute(sql, params or [])

    def df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a query and return a pandas DataFrame."""
        with self.cursor() as cur:
            return cur.execute(sql, params or []).df()

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        with self.cursor() as cur:
            row = cur.execute(sql, params or []).fetchone()
        return None if row is None else row[0]

    def count(self, table: str) -> int:
        return int(self.scalar(f'SELECT count(*) FROM "{table}"'))

    def tables(self) -> list[str]:
        rows = self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY table_name"
        ).fetchall()
        return [r[0] for r in rows]

    @property
    def ibis(self) -> ibis.backends.duckdb.Backend:
        """An Ibis backend over this thread's connection (see :attr:`con`; created lazily)."""
        con = self.con
        _settle(con)
        holder = self if con is self._main else self._local
        backend = getattr(holder, "_ibis", None)
        if backend is None:
            import ibis

            backend = ibis.duckdb.from_connection(con)
            holder._ibis = backend
        return backend

    def table(self, name: str) -> Any:
        """An Ibis table expression for a canonical (or derived) table."""
        return self.ibis.table(name)


def _settle(con: duckdb.DuckDBPyConnection) -> None:
    """Finish a result ``execute`` left partly read (``.fetchone()`` of a one-row query), so
    Ibis can use the connection: DuckDB 2 refuses a relation (``con.sql``, which Ibis's schema
    lookup uses) while one is pending, and the report failed on the next page's
    ``store.table``. (Older DuckDB versions have no ``complete`` and never refuse.)"""
    complete = getattr(con, "complete", None)
    if complete is not None:
        complete()


def connect(path: str | Path = ":memory:", *, read_only: bool = False) -> Store:
    """Open (creating and migrating when needed) the store at ``path``."""
    return Store(path, read_only=read_only)
