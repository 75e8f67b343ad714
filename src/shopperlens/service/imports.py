"""Importing files into the store: the one service behind ``Shop.import_*``, the CLI and HTTP.

``import_files`` runs a whole call (one or many files of one kind) in one transaction:

- a file whose checksum the ``imports`` ledger already holds for this kind is skipped;
- each file is checked and inserted by DuckDB itself (see ``shopperlens.ingest``): a clean
  file straight from the file (read once when it is the first plain CSV into an empty table),
  one with rejects through a staging table; when the optimistic
  insert finds a key twice in a file, the whole call is rolled back and redone staged;
- ``on_error="abort"`` (default): every file of the call is checked, then any reject or
  file refused whole rolls everything back and raises :class:`ImportRejected` listing them
  (the first rejects and their count);
  ``on_error="skip"``: good rows land (an order only whole: an order with a rejected row is
  rejected entire), rejects are written to ``<db stem>.rejects.csv``;
- events are then stitched to customers and cut into sessions.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, NoReturn

import duckdb
from pydantic import BaseModel, Field

from shopperlens.errors import ShopperlensError
from shopperlens.ingest import (
    ga4,
    generic,
    loading,
    merging,
    negatives,
    numbers,
    reading,
    shopify,
    uci_sessions,
)
from shopperlens.ingest.kinds import (
    AS_RETURNS,
    DATE_ORDERS,
    DATES_OPTION,
    KINDS,
    NEGATIVE_LINES,
    NEGATIVE_LINES_OPTION,
    YEAR_FIRST,
    KindSpec,
)
from shopperlens.ingest.numbers import POINT, NumberStyle
from shopperlens.ingest.reading import (
    Source,
    explain,
    lines_shifted,
    open_source,
    row_bound,
    row_lines,
    scan_file,
)
from shopperlens.ingest.rejects import Reject, describe, sql_str
from shopperlens.ingest.sessionize import SESSION_GAP_MINUTES, derive
from shopperlens.service._clock import utc_now
from shopperlens.service.jobs import Progress
from shopperlens.store import Store

#: DuckDB memory cap while importing into a file store: big files then spill to disk instead of
#: growing the process (the issue's target is a peak RSS under 2 GiB for 10M events)
IMPORT_MEMORY_LIMIT = "1.5GiB"
FORMATS: tuple[str, ...] = ("auto", "generic", "shopify", "ga4", "uci")
#: which kind each source-specific format feeds
FORMAT_KIND: dict[str, str] = {"shopify": "orders", "ga4": "events", "uci": "sessions"}
_FORMAT_LABEL = {
    "shopify": "a Shopify orders export",
    "ga4": "a GA4 BigQuery export",
    "uci": "the UCI Online Shoppers sessions file",
}

OnError = Literal["abort", "skip"]


class RejectPublic(BaseModel):
    """A reject as results show it (HTTP, job status, the Python API): the value as messages
    show it, without personal data or whole lines (``Reject.public_value``); the rejects file
    beside the store has every value."""

    file: str
    line: int
    column: str = Field(description="The column as the file names it.")
    value: str | None
    reason: str
    canonical: str | None = Field(
        None, description="The column it was read as (customer_id, email …), when known."
    )

    @classmethod
    def of(cls, reject: Reject) -> RejectPublic:
        return cls(
            file=reject.file,
            line=reject.line,
            column=reject.column,
            value=reject.public_value(),
            reason=reject.public_reason(),
            canonical=reject.canonical,
        )


class FileResult(BaseModel):
    """What happened to one file."""

    file: str
    format: str
    checksum: str
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    skipped: bool = Field(False, description="Already imported (same checksum): nothing done.")
    note: str = Field(
        "",
        description="Why a file was skipped: already imported, and what this call's column "
        "mapping would have read differently; the rows a format leaves out (GA4's "
        "cookieless events); or the lines of stored orders an orders file gives again.",
    )
    status_changed: int = Field(
        0, description="Stored orders this file gave a new status (a later refund, cancellation …)."
    )
    updated: int = Field(
        0, description="Stored customers or products this file changed (``update=True``)."
    )
    returns: int = Field(
        0,
        description="Lines with a negative quantity read as returns (``negative_lines="
        "'returns'``), new or stored before; counted in rows_accepted.",
    )


class ImportResult(BaseModel):
    """What an import call did: per file, rows added per table, where the rejects are."""

    kind: str
    files: list[FileResult]
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    added: dict[str, int] = Field(description="New rows per table (derived tables included).")
    updated: int = Field(
        0, description="Stored customers or products the files changed (``update=True``)."
    )
    status_changed: int = Field(
        0, description="Stored orders the files gave a new status (orders imports)."
    )
    returns: int = Field(
        0,
        description="Order lines with a negative quantity read as returns (``negative_lines="
        "'returns'``), new or stored before; counted in rows_accepted.",
    )
    rejects: list[RejectPublic] = Field(description="The first rejects (all are in the file).")
    rejects_file: str | None
    seconds: float
    notes: list[str] = Field(
        default_factory=list,
        description="What the store now holds that its owner should know (one sentence each).",
    )


class ImportRejected(ShopperlensError):
    """``on_error="abort"`` and some rows were rejected, or files refused: nothing was written.

    ``skip`` and ``update`` are how the caller's face says "import the good rows" and "let the
    file's values replace the stored ones" (the Python API's words by default; the CLI and HTTP
    API reword them with :meth:`worded`). ``refused``: the messages of
    the files refused whole (missing columns, not UTF-8 …); ``unchecked``: which files were not
    checked because a refused one stopped the call."""

    def __init__(
        self,
        rejects: list[Reject],
        total: int,
        rejects_file: str | None,
        skip: str = "on_error='skip'",
        *,
        refused: Sequence[str] = (),
        unchecked: str = "",
        kind: str = "",
        update: str = "update=True",
    ) -> None:
        self.rejects, self.total, self.rejects_file = rejects, total, rejects_file
        self.refused, self.unchecked, self.kind = list(refused), unchecked, kind
        super().__init__(_rejected_message(self, skip, update))

    def worded(
        self, skip: str, update: str, refused: Sequence[str] | None = None
    ) -> ImportRejected:
        """The same rejection, naming the skip and update options as ``skip`` and ``update``
        (``refused``: the refused files' messages reworded too)."""
        return ImportRejected(
            self.rejects,
            self.total,
            self.rejects_file,
            skip,
            refused=self.refused if refused is None else refused,
            unchecked=self.unchecked,
            kind=self.kind,
            update=update,
        )


def _rejected_message(err: ImportRejected, skip: str, update: str) -> str:
    """What was wrong, the files refused before the rows rejected; then what to do."""
    where = f" (all of them in {err.rejects_file})" if err.rejects_file else ""
    if not err.refused and not err.unchecked:
        return (
            f"{err.total} row(s) rejected, nothing imported{where}:\n"
            f"{describe(err.rejects, err.total)}\n"
            f"{_what_to_do(err.rejects, skip, err.kind, update)}"
        )
    counts = [f"{err.total} row(s) rejected{where}"] if err.total else []
    counts.append(f"{len(err.refused)} file(s) refused")
    lines = [f"  {m}" for m in err.refused]
    if err.unchecked:
        lines.append(f"  {err.unchecked}")
    if err.total:
        lines.append(describe(err.rejects, err.total))
    rows = f"; then {_what_to_do(err.rejects, skip, err.kind, update)}" if err.total else ""
    return (
        f"{' and '.join(counts)}, nothing imported:\n"
        + "\n".join(lines)
        + f"\nfix the refused file(s){rows}"
    )


def _what_to_do(
    rejects: Sequence[Reject], skip: str, kind: str = "", update: str = "update=True"
) -> str:
    """ "fix the file", unless the rows shown are rows the store holds with other content: a
    later export that changed a customer's consent or a product's name is no fault of the file,
    and shopperlens does not overwrite what it stored."""
    stored = [r for r in rejects if r.reason.startswith(loading.STORED_CLASHES)]
    if not stored:
        return f"fix the file, or import the good rows with {skip}"
    held = (
        "the store already holds these rows with other content, and an import never overwrites "
        "stored rows by itself"
    )
    if kind in loading.UPDATABLE:
        held += f" (a later export of the shop's {kind}: import it with {update})"
    if len(stored) == len(rejects):
        return f"{held}; import the file's other rows with {skip}"
    return f"{held}; fix the file's other rejected rows, or import its good rows with {skip}"


def rejects_path(store: Store) -> Path | None:
    """``<db stem>.rejects.csv`` beside the store's file (None for an in-memory store)."""
    if store.path == ":memory:":
        return None
    db = Path(store.path)
    return db.with_name(f"{db.stem}.rejects.csv")


def import_files(
    *,
    store: Store,
    kind: str,
    paths: Sequence[str | Path],
    fmt: str = "auto",
    mapping: generic.MappingArg = None,
    on_error: OnError = "abort",
    progress: Progress | None = None,
    names: Sequence[str] | None = None,
    update: bool = False,
    decimal_comma: bool = False,
    allow_empty: bool = False,
    dates: str = YEAR_FIRST,
    currency: str | None = None,
    negative_lines: str = "reject",
) -> ImportResult:
    """Import ``paths`` as ``kind`` (customers, orders, events, sessions, tickets, returns,
    products) in one transaction. ``names`` overrides the file names recorded (uploads).

    ``allow_empty``: a file with a header and no rows (a day without orders), or with no
    content at all (a day's JSON Lines export without a record), imports nothing and is no
    error; its result says so in its note. A header is still checked. It is not recorded in
    the ledger, as nothing of it is stored: the same file again is the same nothing. Without
    it such a file is refused (an export that stopped before its rows looks the same).

    ``update`` (customers and products): a row whose key the store holds with other content
    changes the stored row (the file's values where it gives one) instead of being a reject:
    a later export of the shop's customers or catalogue. See ``loading.apply_updates`` for a
    customer's marketing consent.

    ``decimal_comma``: the files write numbers the European way (``1.234,50``); without it a
    value that may be either way (``1.250``) is refused where a file shows that way of writing
    (see :func:`_number_style`).

    ``dates``: ``day-first`` or ``month-first``, the order of a date written before its year
    (``01-12-10 8:26``, a UK or US spreadsheet's export); year-first values still read (see
    ``kinds.ts_sql``). ``currency`` (orders): the code of the orders whose lines name no
    currency; a line naming one keeps it, and its order's blank lines count in it. Both are
    stored with the rows, so every later computation sees them.

    ``negative_lines`` (orders): ``reject`` (default) refuses a line with a negative quantity;
    ``returns`` stores it as a return in the same transaction (see ``ingest.negatives``), and
    each file's result and ledger row say how many lines became returns."""
    check_call(
        kind=kind,
        paths=paths,
        fmt=fmt,
        on_error=on_error,
        update=update,
        decimal_comma=decimal_comma,
        dates=dates,
        currency=currency,
        negative_lines=negative_lines,
    )
    columns_map = generic.load_mapping(mapping)
    files = [Path(p) for p in paths]
    labels = list(names) if names else [str(p) for p in files]
    tick = _Ticker(progress)
    tick(0, total=len(files) * 3 + 1)
    started = time.perf_counter()
    call = _Call(
        kind,
        files,
        labels,
        fmt,
        columns_map,
        on_error,
        tick,
        rejects_path(store),
        update,
        decimal_comma,
        allow_empty,
        dates=dates,
        currency=_currency_code(currency),
        negative_lines=negative_lines,
    )
    with _watching(store, tick):
        exact = False
        while True:
            try:
                with _memory_capped(store), store.transaction() as con:
                    result = call.run(con, exact=exact)
                break
            except loading.NeedExactPath:  # a file repeats keys: redo the call on the exact path
                exact = True
            except _NeedLenientRead as redo:  # a malformed row: redo, rejecting such rows
                call.lenient.add(redo.path)
                exact = True
    result.seconds = round(time.perf_counter() - started, 3)
    if kind in ("customers", "orders", "events"):
        result.notes += [n for n in (unjoined_customers(store),) if n]
    return result


def unjoined_customers(store: Store) -> str:
    """A sentence when the events name customers by the shop's ids while orders know their
    customers only by e-mail (``e-…``, an orders file without customer ids): the two never
    meet, so each buyer is a looker by their visits and a buyer without visits by their
    orders. Empty otherwise (checked only when such e-mail ids exist, which is cheap)."""
    if not store.scalar("SELECT EXISTS (SELECT 1 FROM orders WHERE customer_id LIKE 'e-%')"):
        return ""
    strangers, by_email = store.execute(
        """WITH seen AS (SELECT customer_id FROM events WHERE customer_id IS NOT NULL
                         UNION SELECT customer_id FROM identities),
                known AS (SELECT customer_id FROM customers
                          UNION SELECT customer_id FROM orders WHERE customer_id IS NOT NULL)
           SELECT (SELECT count(*) FROM seen WHERE customer_id NOT IN (SELECT * FROM known)),
                  (SELECT count(DISTINCT customer_id) FROM orders WHERE customer_id LIKE 'e-%'
                     AND customer_id NOT IN (SELECT * FROM seen))"""
    ).fetchone()
    if not strangers or not by_email:
        return ""
    return (
        f"{strangers:,} customer id(s) in the events name no stored customer, while "
        f"{by_email:,} customer(s) with orders are known only by e-mail (ids e-…, an orders "
        "file without customer ids): the two never meet, and each such buyer is typed twice. "
        "Import the shop's customers file (customer id and e-mail): it moves those orders "
        "to the shop's ids."
    )


#: the note of a header-only file imported with ``allow_empty``
NO_ROWS = "a header and no rows: nothing to import"
#: the note of a file without any content imported with ``allow_empty``
NO_CONTENT = "no content at all: nothing to import"
#: the option that lets a header-only file pass, in the CLI's and Python's words (the HTTP
#: face says its own)
ALLOW_EMPTY = "--allow-empty, allow_empty=True in Python"


def check_call(
    *,
    kind: str,
    paths: Sequence[str | Path],
    fmt: str = "auto",
    on_error: str = "abort",
    update: bool = False,
    decimal_comma: bool = False,
    dates: str = YEAR_FIRST,
    currency: str | None = None,
    negative_lines: str = "reject",
) -> None:
    """Refuse an import call whose options cannot work (unknown kind or format, a format of
    another kind, update of a kind it does not apply to, a decimal comma or a date order for a
    format that writes numbers or times typed, a currency that is no code or for a kind
    without one, negative lines read other than as orders' rejects or returns, no files),
    before any file is read.

    :func:`import_files` starts with it, and the HTTP import job asks it before queueing: a
    misspelt kind was accepted (202) and failed only when the job ran."""
    if kind not in KINDS:
        raise ShopperlensError(f"unknown import kind {kind!r}; choose from {', '.join(KINDS)}")
    if fmt not in FORMATS:
        raise ShopperlensError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    if fmt in FORMAT_KIND and FORMAT_KIND[fmt] != kind:
        raise ShopperlensError(f"format {fmt} imports {FORMAT_KIND[fmt]}, not {kind}")
    if on_error not in ("abort", "skip"):
        raise ShopperlensError(f"on_error must be abort or skip, not {on_error!r}")
    if not paths:
        raise ShopperlensError("no files given")
    if decimal_comma and fmt in _TYPED_NUMBERS:
        raise ShopperlensError(_typed_numbers(f"format {fmt}", fmt))
    _check_dates(dates, fmt)
    _check_currency(currency, kind)
    _check_negative_lines(negative_lines, kind)
    if update and kind not in loading.UPDATABLE:
        raise ShopperlensError(
            f"update changes stored customers and products, not {kind}: a later orders export "
            "gives a stored order its new status by itself, and other stored rows are kept"
        )


def _check_negative_lines(negative_lines: str, kind: str) -> None:
    """Refuse a value that is none of :data:`NEGATIVE_LINES`, and ``returns`` for a kind
    other than orders (only an order line's quantity is read as a return)."""
    if negative_lines not in NEGATIVE_LINES:
        raise ShopperlensError(
            f"negative lines must be {' or '.join(NEGATIVE_LINES)}, not {negative_lines!r}"
        )
    if negative_lines == AS_RETURNS and kind != "orders":
        raise ShopperlensError(
            f"negative lines are read as returns from an orders file, not from {kind}: "
            "import them without the option"
        )


class _NeedLenientRead(Exception):
    """A CSV file has a row DuckDB cannot split into the header's columns, or a JSON Lines
    file a record that is not JSON: the call is redone (the failed statement aborted its
    transaction) reading that file leniently."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


class _Call:
    """One import call's parameters; ``run`` does it inside the caller's transaction.

    ``lenient``: the files found to hold malformed CSV rows or JSON records, read so that
    those rows are reported as rejects (``reading.lenient``).
    """

    def __init__(
        self,
        kind: str,
        files: list[Path],
        labels: list[str],
        fmt: str,
        mapping: dict[str, str],
        on_error: str,
        tick: Progress,
        out_path: Path | None,
        update: bool = False,
        decimal_comma: bool = False,
        allow_empty: bool = False,
        *,
        dates: str = YEAR_FIRST,
        currency: str | None = None,
        negative_lines: str = "reject",
    ) -> None:
        self.kind, self.files, self.labels, self.fmt = kind, files, labels, fmt
        #: what an order line with a negative quantity is (see import_files)
        self.negative_lines = negative_lines
        #: the order of dates written before their year, the currency of lines naming none
        self.dates, self.currency = dates, currency
        #: a header-only file imports nothing instead of being refused (see import_files)
        self.allow_empty = allow_empty
        self.mapping, self.on_error, self.tick, self.out_path = mapping, on_error, tick, out_path
        self.lenient: set[Path] = set()
        #: rows whose key is stored with other content change the stored row (see import_files)
        self.update = update
        #: the files write numbers with a decimal comma (see import_files)
        self.decimal_comma = decimal_comma
        #: ``abort``: the call's rejects so far, their count and the first (see _note_rejects)
        self.rejected: int = 0
        self.first: list[Reject] = []

    def run(self, con: duckdb.DuckDBPyConnection, *, exact: bool) -> ImportResult:
        kind, out_path = self.kind, self.out_path
        added: dict[str, int] = {}
        loading.begin(con)
        # every visitor is new when the call starts on an empty events table (the bulk case)
        first_events = (
            kind == "events"
            and not con.execute("SELECT EXISTS (SELECT 1 FROM events)").fetchone()[0]
        )  # type: ignore[index]
        ledger = con.execute("SELECT coalesce(max(import_id), 0) FROM imports").fetchone()[0]  # type: ignore[index]
        try:
            results = self._import_each(con, exact, added)
            merged = self._absorb(con, results, ledger) if kind == "customers" else 0
            self.tick(0, description=f"{kind}: sessions and identities")
            try:
                derived = derive(con, everyone=first_events)
            except duckdb.Error as exc:
                first_line = str(exc).split("\n", 1)[0]
                raise ShopperlensError(f"deriving sessions failed: {first_line}") from None
            for table, n in derived.items():
                added[table] = added.get(table, 0) + n
            self.tick(1)
            first = loading.first_rejects(con)
            n_rej = sum(r.rows_rejected for r in results)
            written = None
            if n_rej and out_path:
                loading.write_rejects_csv(con, str(out_path))
                written = str(out_path)
            elif out_path and any(r.rows_read for r in results):
                # the file lists the rejects of the last import that read rows: an older
                # list left beside a clean import would read as this one's (a file skipped,
                # or a header-only one let through, read none: yesterday's list stays)
                out_path.unlink(missing_ok=True)
        finally:
            loading.finish(con)
        return ImportResult(
            kind=kind,
            files=results,
            rows_read=sum(r.rows_read for r in results),
            rows_accepted=sum(r.rows_accepted for r in results),
            rows_rejected=n_rej,
            added=added,
            status_changed=sum(r.status_changed for r in results),
            updated=sum(r.updated for r in results),
            returns=sum(r.returns for r in results),
            rejects=[RejectPublic.of(r) for r in first],
            rejects_file=written,
            seconds=0.0,
            notes=[n for n in (_merged_note(merged),) if n],
        )

    @staticmethod
    def _absorb(con: duckdb.DuckDBPyConnection, results: list[FileResult], ledger: int) -> int:
        """Move the rows keyed by e-mail alone to the customers the call's files brought
        (``merging.absorb_email_keys``: after every file, so a family inbox whose two
        customers come in two files of one call keeps its key); returns the ids merged. Their
        orders changed hands at any date: the call's ledger rows then reach back to every
        date (``earliest_at`` NULL), which makes every stored types run one of other data."""
        files = ", ".join(r.file for r in results if not r.skipped)
        merged = merging.absorb_email_keys(con, files)
        if merged:
            con.execute("UPDATE imports SET earliest_at = NULL WHERE import_id > ?", [ledger])
        return merged

    def _import_each(
        self, con: duckdb.DuckDBPyConnection, exact: bool, added: dict[str, int]
    ) -> list[FileResult]:
        """Import every file of the call in turn.

        ``abort``: a file with rejects, or one refused whole (missing columns, not UTF-8 …),
        does not stop the next files being checked, so the one error raised after the last
        file (the caller rolls back) names every bad row and file of the call. Only a failure
        that aborted DuckDB's transaction ends the checking early.
        """
        self.rejected, self.first = 0, []
        results: list[FileResult] = []
        stored = _CallOrders(con) if self.kind == "orders" else None
        refused: list[ShopperlensError] = []
        for i, (path, label) in enumerate(zip(self.files, self.labels, strict=True)):
            self.tick(0, description=f"{self.kind}: {Path(label).name}")
            try:
                res = _import_one(
                    con,
                    self.kind,
                    path,
                    label,
                    self.fmt,
                    self.mapping,
                    self.tick,
                    added,
                    exact,
                    lenient=path in self.lenient,
                    whole_orders=self.on_error == "skip",
                    update=self.update,
                    decimal_comma=self.decimal_comma,
                    allow_empty=self.allow_empty,
                    call_orders=stored,
                    dates=self.dates,
                    currency=self.currency,
                    negative_lines=self.negative_lines,
                )
            except ShopperlensError as exc:
                if self.on_error != "abort":
                    raise
                refused.append(exc)
                if not _usable(con):
                    self._refuse(refused, _unchecked(self.labels[i + 1 :], label))
                continue
            results.append(res)
            if res.rows_rejected and self.on_error == "abort":
                self._note_rejects(con)
        if refused or self.rejected:
            self._refuse(refused)
        return results

    def _note_rejects(self, con: duckdb.DuckDBPyConnection) -> None:
        """``abort``: keep the rejects so far (their count, the first ones, the rejects file),
        which a later failure that aborts the transaction would take with it."""
        self.rejected = int(
            con.execute(f"SELECT count(*) FROM {loading.REJECTS}").fetchone()[0]  # type: ignore[index]
        )
        self.first = loading.first_rejects(con)
        if self.out_path:
            loading.write_rejects_csv(con, str(self.out_path))

    def _refuse(self, refused: list[ShopperlensError], unchecked: str = "") -> NoReturn:
        """``abort``: the one error of the call. A file refused and nothing else wrong raises
        that file's own error, as importing it alone would."""
        if len(refused) == 1 and not self.rejected and not unchecked:
            raise refused[0]
        written = str(self.out_path) if self.out_path and self.rejected else None
        raise ImportRejected(
            self.first,
            self.rejected,
            written,
            refused=[str(e) for e in refused],
            unchecked=unchecked,
            kind=self.kind,
        )


class _CallOrders:
    """The orders the files of one orders call stored, by file: a later file of the call that
    gives one of them other content is rejected as any clash with a stored order is (the field
    that differs, ``--on-error`` as usual), and the reason says which earlier file of this call
    stored it (see :meth:`name_earlier`), not as if it came from an earlier import."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        #: ``orders``' largest rowid before the call: the rows beyond it are the call's
        self.start = loading.max_rowid(con, "orders")
        #: each file that stored orders, with ``orders``' largest rowid after it
        self.ends: list[tuple[str, int]] = []

    def stored(self, con: duckdb.DuckDBPyConnection, label: str) -> None:
        """Note the orders the file ``label`` just stored (none: nothing to note)."""
        end = loading.max_rowid(con, "orders")
        if end is not None and end != (self.ends[-1][1] if self.ends else self.start):
            self.ends.append((label, end))

    def name_earlier(self, con: duckdb.DuckDBPyConnection) -> None:
        """Add to each staged clash with an order an earlier file of this call stored which
        file that was: "already imported" alone blamed rows of this very call (two files of
        one call giving one order's lines in halves, or one order changed between two
        overlapping exports)."""
        if not self.ends:
            return
        clash = " OR ".join(
            f"starts_with(s._reject['reason'], {sql_str(r)})" for r in loading.STORED_CLASHES
        )
        beyond = "TRUE" if self.start is None else f"rowid > {int(self.start)}"
        which = " ".join(
            f"WHEN o.r <= {int(end)} THEN {sql_str(Path(label).name)}" for label, end in self.ends
        )
        said = (
            "'; it was stored by ' || (CASE " + which + " END) || ', an earlier file of this "
            "import: an order is given whole by one file, and files that repeat it must agree'"
        )
        con.execute(
            f"UPDATE {loading.STAGE} s SET _reject = {{'column': s._reject['column'], "
            f"'value': s._reject['value'], 'reason': s._reject['reason'] || {said}}} "
            f"FROM (SELECT order_id, min(rowid) AS r FROM orders WHERE {beyond} "
            f"GROUP BY order_id) o WHERE s.order_id = o.order_id AND ({clash})"
        )


def _unchecked(labels: Sequence[str], stopped_at: str) -> str:
    """The files a refused file left unchecked (it aborted the transaction), as said."""
    if not labels:
        return ""
    names = ", ".join(Path(u).name for u in labels)
    return f"{names}: not checked (the import stopped at {Path(stopped_at).name})"


def _usable(con: duckdb.DuckDBPyConnection) -> bool:
    """False once a failed statement aborted the transaction: DuckDB then refuses every
    statement until the rollback."""
    try:
        con.execute("SELECT 1")
    except duckdb.Error:
        return False
    return True


def _import_one(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    path: Path,
    label: str,
    fmt: str,
    mapping: dict[str, str],
    tick: Progress,
    added: dict[str, int],
    exact: bool,
    *,
    lenient: bool = False,
    whole_orders: bool = False,
    update: bool = False,
    decimal_comma: bool = False,
    allow_empty: bool = False,
    call_orders: _CallOrders | None = None,
    dates: str = YEAR_FIRST,
    currency: str | None = None,
    negative_lines: str = "reject",
) -> FileResult:
    """Check and insert one file (optimistic path unless ``exact``); records it in the ledger.
    ``whole_orders`` (``on_error="skip"``): an order with a rejected row is kept out whole
    (see ``loading.reject_whole_orders``); ``decimal_comma``: see :func:`_number_style`;
    ``allow_empty``, ``dates``, ``currency``, ``negative_lines``: see :func:`import_files`;
    ``call_orders``: the orders the call's earlier files stored (a reject of a clash with one
    of them names that file).

    The file's checksum (the ledger's key) and line count take a read of its bytes: 1.2 s for
    a 1 GB CSV, 2.3 s for a 1.8 GB GA4 export. A thread does that read while DuckDB describes
    the file and, for the first file into an empty table, loads it; a file the ledger already
    holds is then taken out again (the table held only its rows).
    """
    spec = KINDS[kind]
    scans = ThreadPoolExecutor(max_workers=1)
    try:
        scanning = scans.submit(scan_file, path)
        try:
            source = open_source(con, path)
        except reading.EmptyFileError as exc:
            if not allow_empty:
                raise ShopperlensError(
                    f"{exc} (a day with nothing to import passes with {ALLOW_EMPTY})"
                ) from None
            # nothing to read and no header to check: a day's JSON Lines file without rows
            tick(3)
            return FileResult(
                file=label, format=fmt, checksum=scanning.result().digest, note=NO_CONTENT
            )
        used = _choose_format(source, kind, fmt, mapping)
        if used == "ga4" and source.layout == "jsonl":
            source = open_source(con, path, json_columns=ga4.json_columns())
        elif used == "generic":  # a JSON Lines field first seen after DuckDB's sample
            source = reading.with_all_json_fields(con, source)
        if lenient:
            source, exact = reading.lenient(source), True
        style = _number_style(source, used, spec, decimal_comma)
        _check_dates(dates, used, source.name)
        style = replace(style, dates=dates, currency=currency, negative_lines=negative_lines)
        # the optimistic path; orders need line order (line_no), UCI ids are line numbers,
        # tickets and returns given only an e-mail look their customer up in the staged rows,
        # and a customers file absorbs the e- ids of such rows stored before it from its own
        optimistic = (
            not exact
            and kind not in ("orders", *loading.EMAIL_LINKED)
            and used != "uci"
            and not (kind == "customers" and merging.email_keys_stored(con))
        )
        direct = (
            optimistic
            and used in ("generic", "ga4")
            and (source.layout == "parquet" or not source.gzipped)
            and loading.can_load_directly(con, spec)
        )
        raw, unnumbered = "", ""
        if direct:
            try:
                raw, unnumbered = _selects(con, source, used, spec, mapping)
            except ShopperlensError:  # (a file the ledger holds is skipped before this is said)
                direct = False
        inserted = None
        if direct:
            with _explained(source):
                inserted = loading.direct_insert(con, spec, unnumbered, style)
        scan = scanning.result()
    finally:
        scans.shutdown(wait=False)
    digest = scan.digest
    reading.check_is_text(source, scan)
    tick(1)
    seen = con.execute(
        "SELECT imported_at, columns_read, rows_rejected FROM imports WHERE checksum = ? "
        "AND kind = ? ORDER BY import_id LIMIT 1",
        [digest, kind],
    ).fetchone()
    read = _columns_read(source, used, spec, mapping)
    if seen and not (update and kind in loading.UPDATABLE):
        # (with update a file read before is read again: the changes it carries apply, the
        # rows it added are stored and add nothing; a file first imported with its changed
        # rows rejected must not be skipped now)
        if inserted is not None:
            loading.undo_direct(con, spec)
        tick(2)
        note = _skipped_note(seen[0], seen[1], read)
        late = numbers.OPTION if style.decimal_comma else ""
        late = DATES_OPTION if dates != YEAR_FIRST else late
        late = f"{NEGATIVE_LINES_OPTION} {AS_RETURNS}" if negative_lines == AS_RETURNS else late
        if late and seen[2] and note == SKIPPED:
            note = _option_too_late(seen[0], int(seen[2]), late)
        if currency and note == SKIPPED:
            note = _currency_too_late(seen[0], currency)
        return FileResult(file=label, format=used, checksum=digest, skipped=True, note=note)
    if not raw:
        raw, unnumbered = _selects(con, source, used, spec, mapping)
    with _explained(source):
        bound = row_bound(con, source, scan) if inserted is not None else None
        # rows the format leaves out (GA4's cookieless events): counted, said in the note; a
        # direct load that took as many rows as the file holds left none out (no count, which
        # is a second parse of the file)
        whole = inserted is not None and inserted == bound
        dropped = ga4.left_out(con, source) if used == "ga4" and not whole else 0
        fast, count_pass = None, optimistic
        if inserted is not None:
            # as many rows as the file can hold prove it clean; fewer send it to the exact
            # path, which names each reject (without a bound, the rows are counted in a pass)
            bound = None if bound is None else bound - dropped
            fast = loading.direct_check(con, spec, inserted, bound)
            count_pass = bound is None
        before = None if inserted is not None else loading.max_rowid(con, spec.table)
        if fast is None and count_pass:
            fast = loading.fast_load(con, spec, unnumbered, style)
        if fast is not None:
            tick(1)
            n_read, now = fast
            for table, n in now.items():
                added[table] = added.get(table, 0) + n
            new = f"rowid > {before}" if before is not None else "TRUE"
            earliest = _earliest(con, kind, spec.table, new, stored=f"NOT ({new})")
            note = ga4.left_out_note(dropped)
            return _record(
                con, kind, used, label, digest, n_read, 0, tick, earliest, read=read, note=note
            )
        n_read = _stage(con, spec, source, used, (raw, unnumbered), style)
        malformed = (  # (only a lenient CSV read records skipped rows)
            loading.collect_malformed(
                con, label, lambda records: reading.record_lines(source, records)
            )
            if source.lenient
            else {}
        )
        if source.lenient and source.layout == "jsonl":
            _reject_malformed_json(
                con, source, n_read + dropped, first_line=generic.first_line(source)
            )
        if n_read == 0 and not malformed and not dropped:
            if allow_empty:
                tick(2)
                return FileResult(file=label, format=used, checksum=digest, note=NO_ROWS)
            raise ShopperlensError(
                f"{path.name}: the file has a header but no rows (a day with nothing to "
                f"import passes with {ALLOW_EMPTY})"
            )
        repeated = loading.flag_conflicts(con, spec, update=update)
        if call_orders is not None:
            call_orders.name_earlier(con)
        first = generic.first_line(source)
        lines_of = (
            (lambda rows: row_lines(source, rows, first, malformed))
            if malformed or lines_shifted(source, scan, n_read)
            else None
        )
        if lines_of is not None:
            loading.relocate_rejects(con, lines_of)
        named = _file_columns(used, read)
        n_rej = loading.collect_rejects(con, label, named) + len(malformed)
        if n_rej and whole_orders and kind == "orders":
            orders = _malformed_orders(con, source, used, mapping, malformed)
            n_rej += loading.reject_whole_orders(con, label, orders, lines_of, named)
        n_read += len(malformed)
        tick(1)
        # what the file adds is what the insert appends (rows already stored are left out);
        # a customers or products file also completes placeholders in place: its new rows and
        # those are read from the stage before the insert
        target = "orders" if kind == "orders" else spec.table
        grown = (target, "order_lines") if kind == "orders" else (target,)
        before = {t: loading.max_rowid(con, t) for t in grown}
        if kind in ("customers", "products"):
            rows = loading.adding_or_completing(spec)
            earliest = _earliest(con, kind, loading.STAGE, rows, stored="TRUE")
        now = loading.insert(con, spec, repeated, label)
        if kind in loading.UPDATABLE:  # (before the stored rows take the file's values)
            earliest = _sooner(earliest, _update_reach(con, kind))
        updated, consents = loading.apply_updates(con, spec, label, utc_now())
        if consents:
            now["consents"] = now.get("consents", 0) + consents
        for table, n in now.items():
            added[table] = added.get(table, 0) + n
        if kind not in ("customers", "products"):
            new, stored = _appended(kind, target, before)
            earliest = _earliest(con, kind, target, new, stored=stored)
        changed = None
        again = 0
        returned = negatives.Returned()
        if kind == "orders":
            if call_orders is not None:
                call_orders.stored(con, label)
            earliest = _sooner(earliest, _relabel_reach(con))
            again = loading.lines_already_stored(con)
            changed, changed_at = loading.restated(con)
            earliest = _reaching_back(earliest, changed_at)
            returned = negatives.import_returns(con, label, named, lines_of)
            n_rej += returned.rejected
            earliest = _sooner(earliest, _returns_reach(con, returned, added))
        if kind == "customers":  # (rows keyed by e-mail alone join them after the call's files)
            merging.remember(con, loading.STAGE)
        if kind != "products" and now.get("products") and _has_search_terms(con):
            # a product named for the first time changes which search words name a product,
            # for visits of any date (see features' search-term vocabulary)
            earliest = None
    note = ga4.left_out_note(dropped) or _stored_lines_note(again)
    return _record(
        con, kind, used, label, digest, n_read, n_rej, tick, earliest, changed, read, note,
        updated=updated, returns=returned.lines,
    )  # fmt: skip


def _stage(
    con: duckdb.DuckDBPyConnection,
    spec: KindSpec,
    source: Source,
    used: str,
    selects: tuple[str, str],
    style: NumberStyle,
) -> int:
    """Stage the file (see ``loading.stage``); returns the rows read.

    A column in which a value with a decimal comma was rejected (``12,50``) writes numbers
    the European way: its values shaped as thousands (``1.250``) are then 1250 as likely as
    1.25, and the file is staged again refusing them (:func:`_number_style` knew it before
    reading only for a ``;``-separated file). A clean file has no such reject, and is read
    once.
    """
    raw, unnumbered = selects
    while True:
        # a generic file's select keeps the file's row order, so rows can be numbered by
        # position after a parallel read (see loading.stage)
        if source.lenient:
            loading.forget_malformed(con)
        n_read = loading.stage(
            con,
            spec,
            raw,
            unnumbered=unnumbered if used == "generic" else None,
            first_line=generic.first_line(source),
            style=style,
        )
        if style.decimal_comma:
            return n_read
        european = loading.decimal_comma_columns(con, spec) - style.ambiguous
        if not european:
            return n_read
        style = replace(style, ambiguous=style.ambiguous | european)


#: formats whose numbers are typed, not written as text (the decimal-comma option reads text)
_TYPED_NUMBERS = ("ga4", "uci")


def _typed_numbers(what: str, fmt: str = "") -> str:
    """Why the decimal-comma option is refused for ``what``."""
    kinds = {"ga4": "GA4's export", "uci": "the UCI sessions file", "jsonl": "a JSON Lines file"}
    kind = kinds.get(fmt, "a Parquet file")
    why = " (a JSON number is always written 1.234, which it would read as 1234)"
    return (
        f"{what}: the decimal-comma option reads numbers a spreadsheet wrote as text (CSV, "
        f"TSV), and {kind} writes them with a decimal point or typed"
        f"{why if fmt == 'jsonl' else ''}: import it without the option"
    )


def _number_style(source: Source, used: str, spec: KindSpec, decimal_comma: bool) -> NumberStyle:
    """How ``source`` writes numbers (see ``ingest.numbers``).

    ``decimal_comma``: as ``1.234,50`` (refused for Parquet, JSON Lines, GA4 and the UCI
    file, whose numbers are not written by a spreadsheet: a JSON number reads ``1.234``).
    Otherwise with a decimal point; a ``;``-separated CSV (how Excel and other spreadsheets
    write a CSV where the comma is the decimal mark) then shows European number writing, so
    in each of its number columns a value shaped as thousands (``1.250``) is refused as
    ambiguous. A column holding a value with a decimal comma is found so while staging (see
    :func:`_stage`). Any other file's ``1.250`` is 1.25 (a Kuwaiti dinar price has three
    decimals).
    """
    if decimal_comma:
        if source.layout in ("parquet", "jsonl") or used in _TYPED_NUMBERS:
            typed = "jsonl" if source.layout == "jsonl" and used not in _TYPED_NUMBERS else used
            raise ShopperlensError(_typed_numbers(source.name, typed))
        return NumberStyle(decimal_comma=True)
    if reading.semicolon_separated(source):
        return NumberStyle(ambiguous=spec.numeric)
    return POINT


#: formats whose times are typed, not written as text (GA4's microseconds; the UCI sessions
#: file has none)
_TYPED_TIMES = ("ga4", "uci")


def _check_dates(dates: str, fmt: str, what: str = "") -> None:
    """Refuse a date order that is none of :data:`DATE_ORDERS`, or one given for a format
    whose times are not written by a spreadsheet (``what``: the file, once its format is
    known; else the format asked for)."""
    if dates not in DATE_ORDERS:
        raise ShopperlensError(
            f"dates must be {', '.join(DATE_ORDERS[:-1])} or {DATE_ORDERS[-1]}, not {dates!r}"
        )
    if dates != YEAR_FIRST and fmt in _TYPED_TIMES:
        kind = (
            "GA4's export writes its times as numbers"
            if fmt == "ga4"
            else ("the UCI sessions file has no dates")
        )
        raise ShopperlensError(
            f"{what or f'format {fmt}'}: the date-order option reads dates a spreadsheet wrote "
            f"as text, and {kind}: import it without the option"
        )


#: a currency code as the option takes it (the currency column's rule: three letters)
_CURRENCY = re.compile(r"[A-Za-z]{3}")


def _check_currency(currency: str | None, kind: str) -> None:
    """Refuse a currency that is no three-letter code, or one for a kind without currencies
    (only order lines name one)."""
    if currency is None:
        return
    if not _CURRENCY.fullmatch(currency.strip()):
        raise ShopperlensError(
            f"currency must be a currency code (three letters, such as GBP), not {currency!r}"
        )
    if kind != "orders":
        raise ShopperlensError(
            f"currency gives order lines naming none their currency; {kind} have no currency: "
            "import them without it"
        )


def _currency_code(currency: str | None) -> str | None:
    """The code as stored (``gbp`` and `` GBP`` are GBP, as in the currency column)."""
    return currency.strip().upper() if currency else None


def _merged_note(n: int) -> str:
    """What a customers file that absorbed ``e-`` ids is told ("" for none)."""
    if not n:
        return ""
    return (
        f"{n:,} customer(s) known only by e-mail (ids e-…, from orders, tickets, returns or "
        "survey answers imported before the customers file) now carry their id from the "
        "customers file, with their orders and other rows"
    )


def _stored_lines_note(n: int) -> str:
    """What a file giving lines of stored orders again is told ("" for none)."""
    if not n:
        return ""
    return (
        f"{n:,} line(s) of orders already stored, the same again: not added (an order's lines "
        "come whole from one file)"
    )


def _appended(kind: str, table: str, before: dict[str, int | None]) -> tuple[str, str]:
    """SQL conditions on ``table`` after the insert: the rows the file brought, and the rows
    stored before it. ``before``: each table's largest ``rowid`` before the insert (None:
    empty), so the rows beyond it are the ones appended. An orders file also brings the stored
    orders it adds a line to: their value changed as of their own date."""
    new = _beyond(before[table])
    if kind != "orders" or before[table] is None:  # (a first import: every order is new)
        return new, f"NOT ({new})"
    lines = _beyond(before["order_lines"])
    touched = f"({new} OR order_id IN (SELECT order_id FROM order_lines WHERE {lines}))"
    return touched, f"NOT ({new})"


def _beyond(rowid: int | None) -> str:
    """SQL: the row was appended after the row ``rowid`` (every row when the table was empty)."""
    return f"rowid > {int(rowid)}" if rowid is not None else "TRUE"


def _reaching_back(earliest: datetime | None, changed_at: datetime | None) -> datetime | None:
    """The file's ``earliest_at`` when it also gave stored orders a new status, the earliest of
    them at ``changed_at``: a run as of a later date counted that order as it was (a purchase
    since refunded), so the file reaches back to it — also when it added nothing else
    (:data:`REACHES_NOTHING` then yields ``changed_at``). None (any date) stays None."""
    if earliest is None or changed_at is None:
        return earliest
    return min(earliest, changed_at)


def _returns_reach(
    con: duckdb.DuckDBPyConnection, returned: negatives.Returned, added: dict[str, int]
) -> datetime | None:
    """Count the returns an orders file's negative lines added in ``added``; how far back they
    reach (the customer types read returns): :data:`REACHES_NOTHING` when none is new."""
    if not returned.added:
        return REACHES_NOTHING
    added["returns"] = added.get("returns", 0) + returned.added
    new = _beyond(returned.before)
    return _earliest(con, "returns", "returns", new, stored=f"NOT ({new})")


def _sooner(first: datetime | None, second: datetime | None) -> datetime | None:
    """The earlier of two reaches back (see :func:`_earliest`); None, any date, wins."""
    if first is None or second is None:
        return None
    return min(first, second)


def _update_reach(con: duckdb.DuckDBPyConnection, kind: str) -> datetime | None:
    """How far back the stored rows an ``update`` file changes (``loading.UPDATES``) reach,
    for the ledger's ``earliest_at``: only a column the customer types read can make a run
    stale. An export re-sent each week with a withdrawn marketing consent, a new e-mail,
    name, city, country, birth year, gender or price made every stored run stale, and the
    type history was lost with it.

    The types read a customer's ``created_at`` (a customer exists from it, see features'
    ``_customers_known``) and a product's name and category (the search-term vocabulary, the
    category of a line that names none); :data:`REACHES_NOTHING` when the file changes
    neither.
    """
    if not loading.temp_table_exists(con, loading.UPDATES):
        return REACHES_NOTHING
    if kind == "customers":
        return _created_at_reach(con)
    return _catalogue_reach(con)


def _created_at_reach(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The earlier of the stored and the new ``created_at`` of the customers the file
    re-dates: a run as of a date between the two lists the customer otherwise. A customer
    stored without one was listed in runs of any date until their first order or event: any
    date (None). A blank in the file keeps the stored date (no change)."""
    n, undated, first = con.execute(
        "SELECT count(*), count(*) - count(c.created_at), min(least(c.created_at, u.created_at)) "
        f"FROM {loading.UPDATES} u JOIN customers c USING (customer_id) "
        "WHERE u.created_at IS NOT NULL AND u.created_at IS DISTINCT FROM c.created_at"
    ).fetchall()[0]
    if not n:
        return REACHES_NOTHING
    return None if undated else first


def _relabel_reach(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """How far back an orders file reaches by the names and categories it gave products
    created from order lines (their latest line's, see ``loading._follow_latest_lines``)."""
    if not loading.temp_table_exists(con, loading.RELABELLED):
        return REACHES_NOTHING
    return _catalogue_reach(con, f"SELECT product_id, renamed, moved FROM {loading.RELABELLED}")


def _catalogue_reach(con: duckdb.DuckDBPyConnection, changed: str = "") -> datetime | None:
    """How far back a products file's new names and categories reach (``changed``: SQL giving
    each product changed, ``renamed`` and ``moved``; by default the ``update`` file's). When
    the visits carry search terms, which words name a product changes for visits of any date
    (None); else a name is read nowhere, and a new category reaches back to the first order
    with a line of the product that names no category of its own (the line's own one wins); a
    new price reaches nothing (the orders' lines carry their own)."""
    changed = changed or (
        "SELECT u.product_id, u.product_name IS NOT NULL AND u.product_name IS DISTINCT FROM "
        "p.product_name AS renamed, u.category IS NOT NULL AND u.category IS DISTINCT FROM "
        f"p.category AS moved FROM {loading.UPDATES} u JOIN products p USING (product_id)"
    )
    n_renamed, n_moved = con.execute(
        f"SELECT count(*) FILTER (WHERE renamed), count(*) FILTER (WHERE moved) FROM ({changed})"
    ).fetchall()[0]
    if (n_renamed or n_moved) and _has_search_terms(con):
        return None
    if not n_moved:
        return REACHES_NOTHING
    first = con.execute(
        "SELECT min(o.ordered_at) FROM orders o JOIN order_lines l USING (order_id) "
        "WHERE nullif(l.category, '') IS NULL AND l.product_id IN "
        f"(SELECT product_id FROM ({changed}) WHERE moved)"
    ).fetchall()[0][0]
    return REACHES_NOTHING if first is None else first


def _malformed_orders(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    used: str,
    mapping: dict[str, str],
    malformed: dict[int, str],
) -> dict[int, str | None]:
    """The order id each malformed row's text gives, by line (None where it gives none), so
    the order's other lines can be kept out with it."""
    if not malformed:
        return {}
    column = (
        "Name"  # (shopify.raw_select: the order's name is its id)
        if used == "shopify"
        else generic.match_columns(source, KINDS["orders"], mapping).get("order_id")
    )
    ids = (
        reading.values_in(source, malformed.values(), column) if column else [None] * len(malformed)
    )
    if column and used == "generic" and generic.float_ids(con, source, {"order_id": column}):
        # the file writes its order ids as floats, which the stored rows read without ".0"
        ids = [_whole(i) for i in ids]
    return dict(zip(malformed, ids, strict=True))


def _whole(value: str | None) -> str | None:
    """A float-written id (``2.0``) as the staged rows read it (``2``): ``generic.whole_id_sql``
    in Python, for the ids taken from malformed rows' text."""
    if value is None or not re.fullmatch(generic.FLOAT_ID, value):
        return value
    whole = value[:-2]
    return whole if abs(int(whole)) <= generic.EXACT_FLOAT else value


def _reject_malformed_json(
    con: duckdb.DuckDBPyConnection, source: Source, n_read: int, first_line: int
) -> None:
    """Reject the records of a leniently read JSON Lines file that are not JSON objects (each
    stands in the staged rows as a row of NULLs, see ``reading.lenient``). Should the rows not
    be one per record (a format that unnests records), the file is refused as before."""
    records, bad = reading.malformed_json(source)
    if records != n_read or not bad:
        where = f"line {bad[0].line}: {bad[0].why}" if bad else "a record"
        raise ShopperlensError(f"{source.name}: malformed JSON on {where}")
    loading.reject_rows(con, [(b.row + first_line - 1, b.text, b.why) for b in bad])


def _selects(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    used: str,
    spec: KindSpec,
    mapping: dict[str, str],
) -> tuple[str, str]:
    """The format's select of ``_line`` and raw text columns (see ``ingest.generic``), and the
    same with ``_line`` NULL (the optimistic paths report no line)."""
    raw = {
        "generic": lambda: generic.raw_select(source, spec, mapping, con),
        "shopify": lambda: shopify.raw_select(source),
        "ga4": lambda: ga4.raw_select(source),
        "uci": lambda: uci_sessions.raw_select(source),
    }[used]()
    return raw, raw.replace(generic.line_sql(source), "CAST(NULL AS BIGINT)", 1)


@contextmanager
def _explained(source: Source) -> Iterator[None]:
    """A DuckDB error inside becomes the one-line message a shop owner reads, or, for a
    malformed CSV row, a redo that reads the file leniently (see :class:`_NeedLenientRead`)."""
    try:
        yield
    except duckdb.Error as exc:
        if not source.lenient and reading.is_malformed(source, exc):
            raise _NeedLenientRead(source.path) from None
        raise ShopperlensError(explain(source.path, exc)) from None


#: each kind's time column: the moment a row speaks of (products have none)
TIME_COLUMNS: dict[str, str] = {
    "customers": "created_at", "orders": "ordered_at", "events": "timestamp",
    "sessions": "started_at", "tickets": "created_at", "returns": "returned_at",
}  # fmt: skip


def _has_search_terms(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any event carries a search term (the product vocabulary matters only then)."""
    return bool(
        con.execute(
            "SELECT EXISTS (SELECT 1 FROM events WHERE search_term IS NOT NULL "
            "OR utm_term IS NOT NULL)"
        ).fetchall()[0][0]
    )


#: ``earliest_at`` of a file that added nothing and changed nothing the types read (an
#: overlapping re-export, a file whose every row was rejected under ``skip``, an ``update``
#: withdrawing a marketing consent, see :func:`_update_reach`): it reaches no date, so the latest
#: timestamp, after every run's date, where NULL would read as "any date" and make every stored
#: run stale (see ``service.types._fresh``)
REACHES_NOTHING = datetime.max


def _earliest(
    con: duckdb.DuckDBPyConnection, kind: str, table: str, rows: str, *, stored: str
) -> datetime | None:
    """The earliest moment the file's new rows (``rows`` of ``table``) speak of, for the
    ledger's ``earliest_at``; None when not known (a row without a time, a kind without one),
    :data:`REACHES_NOTHING` when there are none. ``stored``: which rows of the kind's own table
    were there before the file (see :func:`_names_undated`).

    An event can join the visit of the half hour before it (sessions are cut at 30 minutes of
    inactivity), so events reach back that much further.
    """
    col = TIME_COLUMNS.get(kind)
    at = f'"{col}"' if col else "NULL"
    n, first, undated = con.execute(
        f"SELECT count(*), min({at}), count(*) - count({at}) FROM {table} WHERE {rows}"
    ).fetchall()[0]
    if not n:
        return REACHES_NOTHING
    if first is None or undated:
        return None
    if kind in ("orders", "events") and _names_undated(con, table, rows, stored):
        return None
    if kind == "events":
        first -= timedelta(minutes=SESSION_GAP_MINUTES)
    return first


def _names_undated(con: duckdb.DuckDBPyConnection, table: str, rows: str, stored: str) -> bool:
    """Whether the rows give a first order or event to a stored customer without
    ``created_at`` and without any: such a customer is listed in runs of every date until
    then, and from then on exists only from that first order or event (see features'
    ``_customers_known``). A customer with an order or event already stored is unaffected."""
    undated = "SELECT customer_id FROM customers WHERE created_at IS NULL"
    if not con.execute(f"SELECT EXISTS ({undated})").fetchall()[0][0]:
        return False  # (most shops: no scan of the file's rows at all)
    # ``stored`` tells the table the rows were appended to its older rows; another is all older
    orders_stored = stored if table == "orders" else "TRUE"
    events_stored = stored if table == "events" else "TRUE"
    return bool(
        con.execute(
            f"SELECT EXISTS ({undated} AND customer_id IN "
            f"(SELECT customer_id FROM {table} WHERE {rows}) "
            f"AND customer_id NOT IN (SELECT customer_id FROM orders WHERE {orders_stored} "
            "AND customer_id IS NOT NULL) "
            f"AND customer_id NOT IN (SELECT customer_id FROM events WHERE {events_stored} "
            "AND customer_id IS NOT NULL))"
        ).fetchall()[0][0]
    )


def _record(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    used: str,
    label: str,
    digest: str,
    n_read: int,
    n_rej: int,
    tick: Progress,
    earliest: datetime | None = None,
    status_changed: int | None = None,
    read: dict[str, str] | None = None,
    note: str = "",
    *,
    updated: int = 0,
    returns: int = 0,
) -> FileResult:
    """Write the file's ledger entry (``earliest``: see :func:`_earliest`; ``status_changed``:
    an orders file's count of stored orders given a new status, None for other kinds;
    ``read``: see :func:`_columns_read`; ``returns``: its lines read as returns, see
    ``ingest.negatives``)."""
    con.execute(
        "INSERT INTO imports (kind, format, file, checksum, rows_read, rows_accepted, "
        "rows_rejected, imported_at, earliest_at, status_changed, columns_read, returns) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [kind, used, label, digest, n_read, n_read - n_rej, n_rej, utc_now(), earliest]
        + [status_changed, None if read is None else json.dumps(read, sort_keys=True)]
        + [returns or None],
    )
    tick(1)
    return FileResult(
        file=label,
        format=used,
        checksum=digest,
        rows_read=n_read,
        rows_accepted=n_read - n_rej,
        rows_rejected=n_rej,
        status_changed=status_changed or 0,
        note=note,
        updated=updated,
        returns=returns,
    )


def _columns_read(
    source: Source, used: str, spec: KindSpec, mapping: dict[str, str]
) -> dict[str, str] | None:
    """``{canonical: file column}`` a generic file is read with (the ``--map`` applied, the
    other columns matched by name); None for the formats that read fixed columns, and for a
    mapping the file refuses (the import then says why, unless the file is skipped)."""
    if used != "generic":
        return None
    try:
        return generic.match_columns(source, spec, mapping)
    except ShopperlensError:
        return None


def _file_columns(used: str, read: dict[str, str] | None) -> dict[str, str] | None:
    """``{canonical: the file's column}`` for naming rejects: a generic file's as read (see
    :func:`_columns_read`), the fixed formats' own field names."""
    fixed = {
        "shopify": shopify.FILE_COLUMNS,
        "ga4": ga4.FILE_COLUMNS,
        "uci": uci_sessions.FILE_COLUMNS,
    }
    return read if used == "generic" else fixed.get(used)


SKIPPED = "already imported, skipped"


def _skipped_note(at: datetime, then: str | None, now: dict[str, str] | None) -> str:
    """The ledger's word on a file it holds; when this call's mapping reads the file's columns
    otherwise than its import did, which ones: the rows stay as first read, and a wrong mapping
    corrected in ``--map`` changed nothing without a word (a column left out stayed empty)."""
    if then is None or now is None:
        return SKIPPED
    before: dict[str, str] = json.loads(then)
    changed = sorted(set(before) | set(now), key=lambda c: (c not in now, c))
    parts = [
        f"{c} from {_column(now.get(c))} (then {_column(before.get(c))})"
        for c in changed
        if before.get(c) != now.get(c)
    ]
    if not parts:
        return SKIPPED
    return (
        f"already imported on {at:%Y-%m-%d %H:%M} UTC with other columns, skipped: a file is "
        f"imported once, so this mapping would read {'; '.join(parts)} but changes nothing. "
        "To read the file this way, import it into a new store (--db)"
    )


def _option_too_late(at: datetime, rejected: int, option: str) -> str:
    """What a file imported before with rejects is told when given again with the decimal-comma
    or the date-order option (as its rejects advised): a file is imported once, so its
    rejected rows stay out."""
    return (
        f"already imported on {at:%Y-%m-%d %H:%M} UTC, when {rejected:,} of its rows were "
        f"rejected, skipped: a file is imported once, so {option} changes nothing for it and "
        "those rows stay out. To read it that way, import it into a new store (--db), or "
        "import a copy holding only the rejected rows"
    )


#: the option giving order lines that name no currency one (``?currency=``, ``currency=``)
CURRENCY_OPTION = "--currency"


def _currency_too_late(at: datetime, currency: str) -> str:
    """What a file imported before is told when given again with a currency: a file is
    imported once, so its orders keep the currency they were stored with, which "already
    imported, skipped" alone let the user take for applied. The ledger does not keep the
    options a file came with, so the note says both cases (a daily job retried with the same
    option is the other)."""
    return (
        f"already imported on {at:%Y-%m-%d %H:%M} UTC, skipped: a file is imported once, so "
        f"{CURRENCY_OPTION} {currency} applies to new imports only and its orders keep the "
        f"currency they were stored with ({currency} if it was given then, as a retried job "
        "gives it). To store them in it, import the file into a new store (--db)"
    )


def _column(name: str | None) -> str:
    return "no column" if name is None else repr(name)


def _choose_format(
    source: Source, kind: str, fmt: str, mapping: dict[str, str] | None = None
) -> str:
    """The format to read ``source`` with; refuses a file that belongs to another kind, and a
    column mapping given for a format that reads its own columns."""
    detected = next(
        (
            name
            for name, mod in (("shopify", shopify), ("ga4", ga4), ("uci", uci_sessions))
            if mod.looks_like(source.columns)
        ),
        "generic",
    )
    if fmt != "auto":
        if mapping and fmt != "generic":
            _refuse_mapping(source, f"is read as {_FORMAT_LABEL[fmt]} (format {fmt})")
        return fmt
    if detected != "generic" and FORMAT_KIND[detected] != kind:
        wanted = FORMAT_KIND[detected]
        raise ShopperlensError(
            f"{source.name} looks like {_FORMAT_LABEL[detected]}, not a {kind} file: "
            f"import it with `shopperlens import {wanted}`"
        )
    if mapping and detected != "generic":
        _refuse_mapping(source, f"was recognised as {_FORMAT_LABEL[detected]}")
    return detected


def _refuse_mapping(source: Source, how: str) -> NoReturn:
    """A mapping beside a Shopify, GA4 or UCI file would be silently ignored (those formats
    name their own columns), leaving the user to think their renames took effect: refuse."""
    raise ShopperlensError(
        f"a column mapping (--map, --mapping-file; mapping= in Python) applies to the generic "
        f"format only; {source.name} {how}, whose columns shopperlens reads itself: import it "
        "without the mapping, or with --format generic (fmt='generic') to map its columns "
        "yourself"
    )


class _Ticker:
    """The caller's progress callback, remembering the step so a watcher can annotate it."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress, self.step = progress, ""

    def __call__(self, n: float = 1, **kwargs: Any) -> None:
        if "description" in kwargs:
            self.step = kwargs["description"]
        if self.progress is not None:
            self.progress(n, **kwargs)


@contextmanager
def _watching(store: Store, tick: _Ticker) -> Iterator[None]:
    """While a progress callback listens, report DuckDB's own progress on the running query
    (``query_progress``, polled from a thread) in the step's description."""
    if tick.progress is None:
        yield
        return
    stop = threading.Event()
    con = store.con  # the importing thread's connection (another thread has its own)

    def watch() -> None:
        while not stop.wait(0.5):
            with suppress(Exception):
                pct = con.query_progress()
                if pct >= 0 and tick.step:
                    tick.progress(0, description=f"{tick.step} ({pct:.0f} %)")  # type: ignore[misc]

    store.execute("SET enable_progress_bar = true")
    store.execute("SET enable_progress_bar_print = false")
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        store.execute("RESET enable_progress_bar")


@contextmanager
def _memory_capped(store: Store) -> Iterator[None]:
    """Cap DuckDB's memory at :data:`IMPORT_MEMORY_LIMIT` for the import (a file-backed store
    spills to ``<db>.tmp`` beyond it), restoring the previous limit afterwards."""
    if store.path == ":memory:" or not IMPORT_MEMORY_LIMIT:
        yield
        return
    before = store.scalar("SELECT current_setting('memory_limit')")
    store.execute(f"SET memory_limit = '{IMPORT_MEMORY_LIMIT}'")
    try:
        yield
    finally:
        store.execute(f"SET memory_limit = '{before}'")
