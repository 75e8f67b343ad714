"""The embedded DuckDB store: one file per shop, schema kept current by migrations."""

from __future__ import annotations

import os
import re
import stat
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
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
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:  # DuckDB takes UTF-8 paths only: it said "std::bad_cast"
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")  # caf\xe9.duckdb
        raise ShopperlensError(
            f"the store path {shown} holds bytes that are not UTF-8 text, which DuckDB cannot "
            "open: rename the file or its folder to UTF-8 (convmv -f latin1 -t utf8 --notest "
            "NAME does it for a Latin-1 name)"
        ) from None
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


#: the stores open in this process, by their file's real path: DuckDB gives every connection
#: to one file in a process the same database, so a second ``open`` of a file shares it, and a
#: rewrite by one of them (:meth:`Store.compact`) would leave the other on the replaced file
_OPEN: dict[str, weakref.WeakSet[Store]] = {}
_OPEN_LOCK = threading.Lock()


def _file_key(path: str) -> str | None:
    return None if path == ":memory:" else os.path.realpath(path)


def interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is DuckDB saying a statement was stopped: by Ctrl-C (a plain
    ``RuntimeError("Query interrupted")``, no DuckDB error class) or by ``interrupt()``."""
    if isinstance(exc, duckdb.InterruptException):
        return True
    return type(exc) is RuntimeError and str(exc) == "Query interrupted"


#: DuckDB's words for a failed write; inside a JSON-quoted error the quotes are escaped
_WRITE_FAILED = re.compile(r'Could not write file \\?"([^"\\]+)\\?": ([^"{}\\\n]+)')


def write_failure(exc: BaseException) -> str | None:
    """One line for DuckDB failing to write a file (the store, its log, a rejects file), else
    None: the disk is full, or the process may not write a file that large. An import read
    that error as its input file's ("orders.csv: cannot read the file: Could not write file
    shop.duckdb"), and a failed commit was "unexpected"."""
    found = _WRITE_FAILED.search(str(exc))
    if not found:
        return None
    name, why = Path(found.group(1)).name, found.group(2).strip().rstrip(".")
    return (
        f"cannot write {name}: {why} (the disk is full, or the file hit a size limit): nothing "
        "was changed; make room and run it again"
    )


def _cannot_open(path: str, exc: duckdb.Error, read_only: bool = False) -> str:
    """One line saying why DuckDB could not open the store, and what to do about a lock.

    DuckDB's own text for a store another process holds runs over several lines (the lock
    holder's executable, a documentation link) and does not say what to do."""
    held = re.search(r"Conflicting lock is held in .*?\(PID (\d+)\)", str(exc), re.DOTALL)
    if held:
        return (
            f"the store {path} is open in another process (PID {held.group(1)}: a running "
            "`shopperlens serve` or another command); stop it, or use that server's HTTP API"
        )
    said = " ".join(str(exc).split())
    if "same database file with a different configuration" in said:
        other = "for writing" if read_only else "read-only"
        return (
            f"cannot open the store {path}: this process already has it open {other} "
            "(another shopperlens.open of the same file); use that one, or close it first"
        )
    # EPERM: an immutable file (chattr +i), which even root opens only for reading
    if not read_only and re.search(
        r"read-only file system|permission denied|operation not permitted", said, re.I
    ):
        return (
            f"cannot open the store {path} for writing ({said}); to read it where it is, "
            "add --read-only (shopperlens.open(path, read_only=True) in Python)"
        )
    return f"cannot open the store {path}: {said}"


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
            raise ShopperlensError(_cannot_open(self.path, exc, read_only)) from exc
        self._owner = threading.get_ident()
        self._lock = threading.RLock()
        self._local = threading.local()
        self._cursors: list[tuple[threading.Thread, duckdb.DuckDBPyConnection]] = []
        self._cursors_lock = threading.Lock()
        self._ibis: Any = None
        self._read_only = read_only
        self._closed = False
        #: set by :meth:`interrupt` until :meth:`resume`: no transaction commits meanwhile
        self._stopping = False
        #: bumped each time :meth:`compact` reconnects; a thread's cursor of an older one is stale
        self.generation = 0
        #: cleared while :meth:`compact` swaps the file: other threads wait in :attr:`con`
        self._open = threading.Event()
        self._open.set()
        self._swapper: int | None = None
        #: ``cursor()`` blocks in progress, by number: the thread running each (a compaction
        #: waits for them before closing)
        self._blocks: dict[int, int] = {}
        self._block_no = 0
        try:
            if read_only:  # an older schema is refused: upgrading it would write
                migrations.check_store(self._main, read_only=True)
            else:
                self._finish_older_erasures(migrations.upgrade(self._main))
        except ShopperlensError:
            self._main.close()  # refused: the file is left as it was, and not held open
            raise
        key = _file_key(self.path)
        if key is not None:
            with _OPEN_LOCK:
                _OPEN.setdefault(key, weakref.WeakSet()).add(self)

    def _finish_older_erasures(self, applied_now: Sequence[int]) -> None:
        """Rewrite the file once when this open brought the store past the erasure ledger.

        A release before the ledger erased by DELETE alone: the erased customers' e-mails and
        names stayed readable in the file, the upgrade does not rewrite it, and that release
        kept no record of whom (or whether) it erased. The upgrade noted a pending rewrite in
        the ledger; it is done here, once, with no other thread holding the store yet (one
        copy of the live data, as each erase makes). When it fails the rewrite stays pending
        (``shopperlens compact`` or the next erase finishes it) and the open says so."""
        if migrations.ERASURE_LEDGER not in applied_now or not self.pending_compaction():
            return
        try:
            self.compact()
        except (ShopperlensError, OSError) as exc:  # (OSError: the file beside it, say)
            raise ShopperlensError(UPGRADED_NOT_REWRITTEN.format(why=exc)) from None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """This thread's connection: the store's own in the thread that opened it, else a
        cursor made for the thread on first use (closed when the thread has ended and another
        thread makes one, or when the store closes). While :meth:`compact` swaps the file,
        other threads wait here; a cursor of the connection it replaced is replaced."""
        if self._closed:
            raise ShopperlensError(CLOSED)
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

    def interrupt(self) -> None:
        """Stop the statement every connection of the store is running, as Ctrl-C does (the
        server's shutdown: a job's import or run then rolls back); idle ones are unaffected.
        Until :meth:`resume`, no transaction commits either: an interrupt that came while a
        job ran Python between two statements was lost, and the job committed."""
        self._stopping = True
        with self._cursors_lock:
            cons = [self._main, *(cur for _, cur in self._cursors)]
        for con in cons:
            with suppress(duckdb.Error):
                con.interrupt()

    def resume(self) -> None:
        """Let transactions commit again after :meth:`interrupt` (its jobs have stopped)."""
        self._stopping = False

    def close(self) -> None:
        self._closed = True
        key = _file_key(self.path)
        if key is not None:
            with _OPEN_LOCK:
                _OPEN.get(key, weakref.WeakSet()).discard(self)
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
        """All-or-nothing: every statement inside commits together or not at all. A store
        opened read-only refuses here, with one message, before any write: DuckDB's own error
        came mid-way (or as "Current transaction is aborted") and named no cause."""
        if self._read_only:
            raise ShopperlensError(READ_ONLY)
        with self._lock:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield self.con
                if self._stopping:  # interrupted between two statements: none was running
                    raise duckdb.InterruptException("Query interrupted")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            try:
                self.con.execute("COMMIT")
            except duckdb.Error as exc:  # (DuckDB has rolled back)
                said = write_failure(exc) or f"could not save to the store: {_first(exc)}"
                raise ShopperlensError(said) from exc

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
        """Note a ``cursor()`` block starting (+1) or ending (-1), per thread and in all:
        :meth:`compact` waits for the blocks in progress, and a thread inside one is not held
        at the gate (it would wait for itself)."""
        self._local.depth = getattr(self._local, "depth", 0) + step
        stack: list[int] = self._local.__dict__.setdefault("blocks", [])
        with self._cursors_lock:
            if step > 0:
                self._block_no += 1
                stack.append(self._block_no)
                self._blocks[self._block_no] = threading.get_ident()
            else:
                self._blocks.pop(stack.pop(), None)

    def _others_blocks(self) -> set[int]:
        """The ``cursor()`` blocks other threads are running now."""
        me = threading.get_ident()
        with self._cursors_lock:
            return {n for n, thread in self._blocks.items() if thread != me}

    def _wait_for_blocks(self, blocks: set[int] | None, deadline: float) -> None:
        """Wait until none of ``blocks`` (None: no block of another thread) is running."""
        while True:
            running = self._others_blocks()
            if not (running if blocks is None else running & blocks):
                return
            _wait_until(deadline)

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the store's write lock (the one :meth:`transaction` takes) without a
        transaction: for files beside the store that writers replace under it (the rejects
        file imports write), so their writes and a rewrite of the file take turns."""
        with self._lock:
            yield

    # -- the erasure ledger -------------------------------------------------------------------
    def erasure_mark(self) -> int:
        """The newest erasure's number (0 when none): a computation notes it when it starts
        and, before storing its result, calls :func:`check_no_erasure_since` (a person erased
        meanwhile may be in the result)."""
        return int(self.scalar("SELECT coalesce(max(erasure_id), 0) FROM erasures"))

    def pending_compaction(self) -> int:
        """Erasures whose deleted rows may still be readable in the file (its rewrite failed
        or was interrupted): :meth:`compact` finishes them."""
        return int(self.scalar("SELECT count(*) FROM erasures WHERE compacted_at IS NULL"))

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

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def read_only(self) -> bool:
        """Opened read-only: what a read computes on demand is shown, not stored."""
        return self._read_only

    def blank(self) -> bool:
        """True when the store holds nothing but its schema (no table has a row besides the
        migrations' own record)."""
        return not self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary "
            "AND table_name <> 'schema_migrations' AND estimated_size > 0"
        ).fetchone()[0]  # type: ignore[index]

    def tables(self) -> list[str]:
        rows = self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY table_name"
        ).fetchall()
        return [r[0] for r in rows]

    # -- compaction -------------------------------------------------------------------------
    def compact(self, *, timeout: float = 60.0) -> int:
        """Rewrite the file so it holds only live rows, then reopen it.

        DuckDB's DELETE only marks rows deleted, and neither CHECKPOINT nor VACUUM rewrites or
        zeroes the blocks they sat in: an erased customer's e-mail stayed readable in the file.
        The live database is copied (``COPY FROM DATABASE``: tables, sequences at their current
        value, defaults, constraints, indexes, views) into a new file beside the store, which
        replaces the store's file once every connection to it is closed. Writers wait (the
        write lock); other threads finish the statement or ``cursor()`` block they are in and
        wait in :attr:`con` only while the file is swapped: the ``cursor()`` blocks running
        when it starts are waited for with the gate open (at most ``timeout`` seconds), then
        the gate closes and blocks started meanwhile get :data:`_HELD` seconds (else the old
        file stays and :class:`ShopperlensError` says the store is busy). The new file keeps
        the old one's mode and owner. Returns how many erasures' rewrites were pending (their
        ledger rows get ``compacted_at``). An in-memory or read-only store has no file to
        rewrite.
        """
        if self.path == ":memory:" or self._read_only:
            return 0
        self._refuse_other_handles()
        with self._lock:
            pending = self.pending_compaction()
            tmp = self._copy_live()
            try:
                self._swap_in(tmp, time.monotonic() + timeout)
            finally:
                _remove(tmp)  # still there only when the swap failed
            self.con.execute(
                "UPDATE erasures SET compacted_at = ? WHERE compacted_at IS NULL",
                [datetime.now(UTC).replace(tzinfo=None)],  # naive UTC, as every stored time
            )
        return pending

    def _refuse_other_handles(self) -> None:
        """Refuse the rewrite while another open store in this process holds the same file
        (a notebook's second ``shopperlens.open`` of it): that store keeps DuckDB's database
        on the replaced file, and every write either makes afterwards landed there and was
        lost with it, without a word."""
        key = _file_key(self.path)
        with _OPEN_LOCK:
            others = [s for s in _OPEN.get(key or "", ()) if s is not self and not s.closed]
        if others:
            raise ShopperlensError(
                f"cannot rewrite the store {self.path}: this process has it open "
                f"{len(others) + 1} times (another shopperlens.open of the same file); close "
                "the others first"
            )

    def _copy_live(self) -> Path:
        """The live database copied into a hidden file beside the store, synced to disk."""
        db = Path(self.path)
        tmp = db.with_name(f".{db.name}.compact.tmp")
        _remove(tmp)
        con = self.con
        _settle(con)
        name = con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        # the database is named after the file: a store named like the alias needs another
        alias = _COPY_ALIAS if name != _COPY_ALIAS else f"{_COPY_ALIAS}_new"
        try:
            con.execute("SET enable_progress_bar = false")  # no bar in the server's console
            con.execute(f"ATTACH '{_quote(str(tmp))}' AS {alias}")
            try:
                con.execute(f"COPY FROM DATABASE {_ident(name)} TO {alias}")
            finally:
                con.execute(f"DETACH {alias}")
            keep_mode_and_owner(db, tmp)
            _fsync(tmp)
        except (duckdb.Error, OSError, RuntimeError) as exc:
            _remove(tmp)
            if isinstance(exc, RuntimeError) and not interrupted(exc):
                raise
            said = "interrupted" if interrupted(exc) else exc
            raise ShopperlensError(f"cannot rewrite the store {db}: {said}") from exc
        except KeyboardInterrupt:  # Ctrl-C between two statements: the same as within one
            _remove(tmp)
            raise ShopperlensError(f"cannot rewrite the store {db}: interrupted") from None
        return tmp

    def _swap_in(self, tmp: Path, deadline: float) -> None:
        """Close every connection, put ``tmp`` in the store's place, reconnect; other threads
        wait in :attr:`con` meanwhile, which starts once the ``cursor()`` blocks running now
        have ended (until then new ones may start: readers go on)."""
        self._wait_for_blocks(self._others_blocks(), deadline)
        self._swapper = threading.get_ident()
        self._open.clear()
        try:
            self._close_all(min(deadline, time.monotonic() + _HELD))
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
        try:
            self._wait_for_blocks(None, deadline)
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
#: seconds other threads may be held at the gate while blocks started late finish
_HELD = 3.0
#: why a call on a store after :meth:`Store.close` (leaving a ``with`` block) is refused
CLOSED = "this shop is closed; open it again with shopperlens.open(...)"
#: why a write to a store opened with ``read_only=True`` is refused
READ_ONLY = (
    "this store is open read-only, and this call would store or change something in it (a "
    "run for a date not yet computed, an import, an erase): open it for writing (leave out "
    "--read-only on the command line, read_only=True in Python), or, in Python, pass "
    "save=False where a method offers it"
)
#: why opening a store an older shopperlens made failed after upgrading it (``{why}``)
UPGRADED_NOT_REWRITTEN = (
    "this store was upgraded from an older shopperlens, whose erase left the erased "
    "customers' rows readable in the store's file, and the file could not be rewritten "
    "without them ({why}); run `shopperlens compact` (POST /api/compact, shop.compact()) to "
    "finish"
)
#: why a computation stored nothing: an erasure committed while it ran
ERASED_MEANWHILE = "a customer was erased while this ran: nothing was stored; run it again"


def check_no_erasure_since(con: duckdb.DuckDBPyConnection, mark: int) -> None:
    """Refuse to store a result computed since ``mark`` (:meth:`Store.erasure_mark`) when a
    newer erasure exists: the result may hold the erased person, and storing it would bring
    them back after the erase returned. Call it inside the write transaction (erasures take
    the same write lock, so none can commit between the check and the commit)."""
    row = con.execute("SELECT count(*) FROM erasures WHERE erasure_id > ?", [mark]).fetchone()
    if row and row[0]:
        raise ShopperlensError(ERASED_MEANWHILE)


def keep_mode_and_owner(old: Path, new: Path) -> None:
    """Give ``new`` (a rewrite about to replace ``old``) the old file's permission bits, and
    its owner and group when running as root: a new file takes them from the umask and the
    writer, and a store kept private (0600) became readable by everyone."""
    try:
        st = old.stat()
    except FileNotFoundError:
        return
    os.chmod(new, stat.S_IMODE(st.st_mode))
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.chown(new, st.st_uid, st.st_gid)


def _first(exc: BaseException) -> str:
    """The first line of an error's text."""
    return (str(exc).strip().splitlines() or ["no message"])[0]


def _ident(name: str) -> str:
    """A double-quoted SQL identifier (a store named ``a"b.duckdb`` is database ``a"b``)."""
    return '"' + name.replace('"', '""') + '"'


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
