"""The embedded DuckDB store: one file per shop, schema kept current by migrations."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
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

    :meth:`compact` replaces the file under the threads (erasure needs the deleted rows'
    bytes gone): each cursor remembers the :attr:`generation` it was made in, and a thread
    whose cursor belongs to a replaced connection gets a new one on its next :attr:`con`.
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
        self._read_only = read_only
        #: bumped each time :meth:`compact` reconnects; a thread's cursor of an older one is stale
        self.generation = 0
        #: cleared while :meth:`compact` swaps the file: other threads wait in :attr:`con`
        self._open = threading.Event()
        self._open.set()
        self._swapper: int | None = None
        #: ``cursor()`` blocks in progress (a compaction waits for them before closing)
        self._active = 0
        if not read_only:
            migrations.upgrade(self._main)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """This thread's connection: the store's own in the thread that opened it, else a
        cursor made for the thread on first use (closed when the thread has ended and another
        thread makes one, or when the store closes). While :meth:`compact` swaps the file,
        other threads wait here; a cursor of the connection it replaced is replaced."""
        me = threading.get_ident()
        if me != self._swapper and not getattr(self._local, "depth", 0):
            self._open.wait()
        if me == self._owner:
            return self._main
        cur = getattr(self._local, "con", None)
        if cur is None or getattr(self._local, "generation", -1) != self.generation:
            self._local._ibis = None  # an Ibis backend over the stale cursor
            cur = self._new_cursor()
        return cur

    def _new_cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for this thread, closing those of threads that have ended."""
        cur = self._main.cursor()
        with self._cursors_lock:
            for thread, old in [c for c in self._cursors if not c[0].is_alive()]:
                old.close()
                self._cursors.remove((thread, old))
            self._cursors.append((threading.current_thread(), cur))
        self._local.con = cur
        self._local.generation = self.generation
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
        self._enter_scope(+1)
        try:
            yield cur
        finally:
            cur.close()
            self._enter_scope(-1)

    def _enter_scope(self, step: int) -> None:
        """Count a ``cursor()`` block (per thread and in all): :meth:`compact` waits for the
        blocks in progress, and a thread inside one is not held at the gate (it would wait
        for itself)."""
        self._local.depth = getattr(self._local, "depth", 0) + step
        with self._cursors_lock:
            self._active += step

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

    # -- compaction -------------------------------------------------------------------------
    def compact(self, *, timeout: float = 60.0) -> None:
        """Rewrite the file so it holds only live rows, then reopen it.

        DuckDB's DELETE only marks rows deleted, and neither CHECKPOINT nor VACUUM rewrites or
        zeroes the blocks they sat in: an erased customer's e-mail stayed readable in the file.
        The live database is copied (``COPY FROM DATABASE``: tables, sequences at their current
        value, defaults, constraints, indexes, views) into a new file beside the store, which
        replaces the store's file once every connection to it is closed. Writers wait (the
        write lock); other threads finish the statement or ``cursor()`` block they are in and
        wait in :attr:`con` while the file is swapped (at most ``timeout`` seconds, else the
        old file stays and :class:`ShopperlensError` says so). An in-memory or read-only store
        has no file to rewrite.
        """
        if self.path == ":memory:" or self._read_only:
            return
        with self._lock:
            tmp = self._copy_live()
            try:
                self._swap_in(tmp, time.monotonic() + timeout)
            finally:
                _remove(tmp)  # still there only when the swap failed

    def _copy_live(self) -> Path:
        """The live database copied into a hidden file beside the store, synced to disk."""
        db = Path(self.path)
        tmp = db.with_name(f".{db.name}.compact.tmp")
        _remove(tmp)
        con = self.con
        _settle(con)
        name = con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        try:
            con.execute("SET enable_progress_bar = false")  # no bar in the server's console
            con.execute(f"ATTACH '{_quote(str(tmp))}' AS {_COPY_ALIAS}")
            try:
                con.execute(f'COPY FROM DATABASE "{name}" TO {_COPY_ALIAS}')
            finally:
                con.execute(f"DETACH {_COPY_ALIAS}")
            _fsync(tmp)
        except (duckdb.Error, OSError) as exc:
            _remove(tmp)
            raise ShopperlensError(f"cannot rewrite the store {db}: {exc}") from exc
        return tmp

    def _swap_in(self, tmp: Path, deadline: float) -> None:
        """Close every connection, put ``tmp`` in the store's place, reconnect; other threads
        wait in :attr:`con` meanwhile."""
        self._swapper = threading.get_ident()
        self._open.clear()
        try:
            self._close_all(deadline)
            try:
                # a WAL left beside the old file would be replayed into the new one
                _remove(Path(self.path + ".wal"))
                os.replace(tmp, self.path)
                _fsync_dir(Path(self.path).parent)
            finally:
                self._reconnect()
        finally:
            self._swapper = None
            self._open.set()

    def _close_all(self, deadline: float) -> None:
        """Close the threads' cursors and the store's connection once no other thread is in
        a ``cursor()`` block or a statement on them (DuckDB refuses to close a busy one)."""
        time.sleep(_SETTLE)  # a thread between execute() and its fetch finishes reading
        own = getattr(self._local, "depth", 0)
        try:
            while self._active > own:
                _wait_until(deadline)
            with self._cursors_lock:
                cursors = list(self._cursors)
            for entry in cursors:
                _close_when_idle(entry[1], deadline)
                with self._cursors_lock:
                    self._cursors.remove(entry)
            _close_when_idle(self._main, deadline)
        finally:
            with self._cursors_lock:
                self.generation += 1  # every thread's cursor is stale now (some are closed)
            self._ibis = None
            self._local._ibis = None

    def _reconnect(self) -> None:
        """Open the store's file again (after a swap, or the old file when it failed)."""
        try:
            self._main = duckdb.connect(self.path)
        except duckdb.Error as exc:
            raise ShopperlensError(f"cannot reopen the store {self.path}: {exc}") from exc
        migrations.upgrade(self._main)

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


#: the alias the compaction's new file is attached under
_COPY_ALIAS = "_shopperlens_compact"
#: seconds a compaction waits, with other threads held, before closing their connections
_SETTLE = 0.2


def _quote(text: str) -> str:
    """Text for a single-quoted SQL literal."""
    return text.replace("'", "''")


def _remove(path: Path) -> None:
    """Delete ``path`` and its WAL when they exist."""
    for p in (path, Path(str(path) + ".wal")):
        p.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (a folder cannot be opened for syncing on every system)."""
    with suppress(OSError):
        _fsync(folder)


def _wait_until(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise ShopperlensError(
            "the store is busy (a long query or job is running): its file was not rewritten; "
            "try again when it has finished"
        )
    time.sleep(0.005)


def _close_when_idle(con: duckdb.DuckDBPyConnection, deadline: float) -> None:
    """Close ``con``, retrying while another thread runs a statement on it."""
    while True:
        try:
            con.close()
            return
        except duckdb.ResourceInUseException:
            _wait_until(deadline)


def connect(path: str | Path = ":memory:", *, read_only: bool = False) -> Store:
    """Open (creating and migrating when needed) the store at ``path``."""
    return Store(path, read_only=read_only)
