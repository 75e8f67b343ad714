"""From a staged file to the canonical tables: conflicts, rejects, idempotent inserts.

A file is staged once into the temporary table ``_sl_stage`` (typed columns, ``_line``,
``_reject``) by one streaming DuckDB query; everything after is set-based SQL on that table:

1. duplicate keys whose rows differ (within the file, or against what the store already
   holds) are rejected — identical duplicates are simply the same row again; a stored order's
   status is the exception: a later export's status replaces it (see ``_restate_statuses``);
2. rejects are appended to ``_sl_rejects`` (file, line, column, value, reason);
3. good rows are inserted with an anti-join on the key, so re-importing a file or an
   overlapping one adds only the rows that are new.

Clean files of single-key kinds skip the staging table: the first file into an empty table is
read once (:func:`direct_insert`), its good rows inserted and their count checked against the
most rows the file can hold (:func:`direct_check`; plain CSV and JSON Lines by their lines,
Parquet by its metadata); otherwise (:func:`fast_load`) one streaming pass counts rows,
rejects and clashes and a second inserts. ``events``, ``sessions`` and ``order_lines`` have
no primary key (migration 008: DuckDB's single-core index build was the largest cost of a big
import), so the key's uniqueness is this module's job: anti-joins, and a hash check after an
optimistic insert.
The caller (``service.imports``) wraps a whole import call in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

import duckdb

from shopperlens.errors import ShopperlensError
from shopperlens.ingest.kinds import AS_RETURNS, KindSpec, email_key_sql, stage_sql
from shopperlens.ingest.numbers import COMMA_GROUPED, HAS_COMMA, POINT, NumberStyle
from shopperlens.ingest.reading import CSV_ERRORS, CSV_SCANS
from shopperlens.ingest.rejects import (
    IMPORT_REJECT_COLUMNS,
    PERSONAL,
    ROW,
    Reject,
    ident,
    sql_str,
)
from shopperlens.plain import spreadsheet_cell_sql
from shopperlens.statuses import not_purchase_sql
from shopperlens.store.connection import write_failure

STAGE = "_sl_stage"
REJECTS = "_sl_rejects"
TOUCHED = "_sl_touched_visitors"
LINE_NO = "_sl_line_no"
#: staged lines of orders already stored, each with the stored line it matches (see
#: _flag_line_conflicts)
_MATCH = "_sl_line_match"
FILL = "_sl_fill"
WHOLE, WHOLE_ROWS = "_sl_whole", "_sl_whole_rows"
#: an orders file's staged lines with a negative quantity, set aside as returns (see
#: ``negatives``; exists only under ``--negative-lines returns``)
NEGATIVE = "_sl_negative"
#: exists while events of the call were inserted without the session-owner check of the exact
#: path (:func:`flag_shared_sessions`): ``sessionize`` then checks the sessions it rebuilds
UNCHECKED_SESSIONS = "_sl_unchecked_sessions"
#: the stored owner of each session id a staged events file names (see flag_shared_sessions)
_OWNERS = "_sl_session_owners"
#: stored orders an orders file gave a new status (see _restate_statuses)
RESTATED = "_sl_restated"

_DUP_IN_FILE = "duplicate key with different content in the file"
_CLASH = "key already imported with different content"
_ORDER_CLASH = "order already imported with different content"
_DUP_LINE = "order line already imported with different content"
_MORE_LINES = "order already imported with other lines"
#: the reasons of rows the store already holds with other content: no fault of the file
STORED_CLASHES = (_CLASH, _ORDER_CLASH, _DUP_LINE, _MORE_LINES)
#: kinds whose stored rows a later export may change (``update=True``): a customer's country
#: or consent, a product's name or price
UPDATABLE = ("customers", "products")
#: the staged rows that change a stored row (see flag_conflicts, apply_updates)
UPDATES = "_sl_updates"
_WHOLE_ORDER = "an order is imported whole or not at all"
#: how many rejected lines of an order the reason its other lines are rejected names
_SHOWN_LINES = 5
#: kinds whose rows given only an e-mail join the one customer who has it (see _link_emails):
#: a Shopify orders export (keyed by e-mail) after the shop's customers file
EMAIL_LINKED = ("tickets", "returns", "orders")
_ORDER_LEVEL = ("customer_id", "ordered_at", "currency", "shipping", "status", "discount_code")
_LINE_LEVEL = ("product_id", "product_name", "category", "quantity", "unit_price", "discount_code")
#: fields of a stored order (or line) that a later file may give where the store has none: older
#: files often lacked these columns, and the fields compared before them were the only ones
#: whose blank counted as a value (see _flag_order_conflicts)
_BLANK_AGREES = ("currency", "shipping", "discount_code")
#: of those, the order-level fields a later file fills in (see _fill_blanks); the types read
#: neither (a discount code they do read stays as stored: filling it would change stored runs)
_FILLED = ("currency", "shipping")
#: order-level fields every line of an order must agree on (blank lines agree with any value);
#: a discount code may also be a line's own
_AGREE = tuple(c for c in _ORDER_LEVEL if c not in _LINE_LEVEL)
#: how far apart the times of one order's lines may lie and still be one order's time (the
#: earliest): a till that stamps each line gives an order rung up across a minute two times
ORDER_TIME_SPREAD = "5 minutes"


def begin(con: duckdb.DuckDBPyConnection) -> None:
    """Create the per-call scratch tables (temporary: they vanish with the connection)."""
    con.execute("RESET preserve_insertion_order")  # line numbers need the file's row order
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {REJECTS} (file VARCHAR, line BIGINT, "
        '"column" VARCHAR, value VARCHAR, reason VARCHAR, canonical_column VARCHAR)'
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {TOUCHED} (visitor_id VARCHAR)")


def finish(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the scratch tables (after a failed statement the rollback drops them instead)."""
    for t in (
        STAGE,
        REJECTS,
        TOUCHED,
        LINE_NO,
        _MATCH,
        UPDATES,
        FILL,
        WHOLE,
        WHOLE_ROWS,
        NEGATIVE,
        RESTATED,
        RELABELLED,
        UNCHECKED_SESSIONS,
        _OWNERS,
        _CONTESTED,
        _RESENT,
        "_sl_pass",
        "_sl_new_lines",
        "_sl_ref",
        CSV_ERRORS,
        CSV_SCANS,
    ):
        try:
            con.execute(f"DROP TABLE IF EXISTS {t}")
        except duckdb.Error:  # transaction already aborted: the caller rolls back
            return


def stage(
    con: duckdb.DuckDBPyConnection,
    spec: KindSpec,
    raw_select: str,
    *,
    unnumbered: str | None = None,
    first_line: int = 1,
    style: NumberStyle = POINT,
) -> int:
    """Read, convert and check one file into ``_sl_stage``; returns the rows read (``style``:
    how the file writes numbers, see ``ingest.numbers``).

    ``unnumbered`` is ``raw_select`` with ``_line`` NULL, for a select that keeps the file's row
    order (no window, join or aggregate). Numbering rows while reading (``row_number() OVER
    ()``) makes DuckDB convert every value on one thread; staged without it, the rows still
    land in file order, so a row's line is its position in the table (``rowid``, which DuckDB
    documents as the materialised counterpart of ``row_number() OVER ()``) plus
    ``first_line``. Should the positions not run without gaps, the file is staged again with
    the numbering.
    """
    if unnumbered is None or not _stage_by_position(con, spec, unnumbered, first_line, style):
        sql = stage_sql(spec, raw_select, style)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS {sql}")
    if spec.kind in EMAIL_LINKED and _has_rows(con, "customers"):
        _link_emails(con)
    aside = 0  # (lines read as returns: read, yet no longer staged)
    if spec.kind == "orders":
        if style.negative_lines == AS_RETURNS:  # (before line_no: they are no order's lines)
            from shopperlens.ingest import negatives  # (it reads this module's tables)

            aside = negatives.set_aside(con)
        _number_order_lines(con)
        if style.currency:
            _default_currency(con, style.currency)
    return aside + int(con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0])  # type: ignore[index]


def _stage_by_position(
    con: duckdb.DuckDBPyConnection,
    spec: KindSpec,
    unnumbered: str,
    first_line: int,
    style: NumberStyle = POINT,
) -> bool:
    """Stage without numbering, then set ``_line`` from each row's position; False (and no
    stage) when the positions have gaps."""
    con.execute("RESET preserve_insertion_order")  # the stage must keep the file's row order
    con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS {stage_sql(spec, unnumbered, style)}")
    lo, hi, n = con.execute(f"SELECT min(rowid), max(rowid), count(*) FROM {STAGE}").fetchone()  # type: ignore[misc]
    if n and hi - lo + 1 != n:
        con.execute(f"DROP TABLE {STAGE}")
        return False
    if n:
        con.execute(f"UPDATE {STAGE} SET _line = rowid - {lo} + {first_line}")
    return True


def _number_order_lines(con: duckdb.DuckDBPyConnection) -> None:
    """``_sl_line_no``: each staged line's ``line_no``, its position within its order over the
    whole file.

    A table of its own, joined on ``_line`` where it is needed: a window carrying every staged
    column sorts them all and took a third of a large file's staging time; over line numbers
    and order ids alone it takes a tenth.
    """
    with _unordered(con):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {LINE_NO} AS SELECT _line AS n_line, row_number() "
            f"OVER (PARTITION BY order_id ORDER BY _line) AS line_no FROM {STAGE}"
        )


def _default_currency(con: duckdb.DuckDBPyConnection, code: str) -> None:
    """Give ``code`` (the ``--currency`` option) to the staged orders none of whose lines names
    a currency. Not line by line: a blank line agrees with its order's currency (see
    :func:`_flag_disagreeing_orders`), and given the option it would have disagreed with the
    order's other lines and had the whole order rejected."""
    con.execute(
        f"UPDATE {STAGE} SET currency = {sql_str(code)} WHERE order_id IN (SELECT order_id "
        f"FROM {STAGE} GROUP BY order_id HAVING count(currency) = 0)"
    )


class NeedExactPath(Exception):
    """The optimistic path met repeated keys in a file; the call is redone on the exact path."""


def fast_load(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, raw_select: str, style: NumberStyle = POINT
) -> tuple[int, dict[str, int]] | None:
    """The optimistic path for a clean file of a single-key kind: no staging table.

    One streaming pass counts rows, rejects and rows that clash with the store (events: per
    visitor, which also yields the visitors touched); a second inserts, in parallel and
    unordered, straight from the file. (The first file into an empty table can skip the
    counting pass: :func:`direct_insert`.)
    Returns None when the file has rejects or conflicts with the store (use :func:`stage`);
    raises :class:`NeedExactPath` when the insert finds a key twice in the file.
    ``raw_select`` has no line numbers: they are only needed to report rejects.
    """
    sql = stage_sql(spec, raw_select, style)
    cols = _insert_columns(con, spec)
    on = " AND ".join(f"t.{ident(k)} = s.{ident(k)}" for k in spec.key)
    has_rows = _has_rows(con, spec.table)
    content = tuple(c for c in cols if c not in spec.key)
    # the clash check rides along the counting pass; a row naming a placeholder (a customer or
    # product created from orders) counts as one: completing it is the exact path's job
    clash = (
        f"EXISTS (SELECT 1 FROM {spec.table} t WHERE {on} AND ({_differs(spec, content)}))"
        if has_rows
        else "FALSE"
    )
    if has_rows and _placeholders_waiting(con, spec):
        clash += f" OR s.{ident(spec.key[0])} IN ({_placeholder_keys(spec)})"
    counted = f"SELECT *, {clash} AS _clash FROM ({sql}) s"
    if spec.kind == "events":
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _sl_pass AS SELECT visitor_id, count(*) AS n, "
            f"count(_reject) AS bad, count(*) FILTER (WHERE _clash) AS clash FROM ({counted}) "
            "GROUP BY visitor_id"
        )
        n, bad, clashes = con.execute(
            "SELECT sum(n), sum(bad), sum(clash) FROM _sl_pass"
        ).fetchone()  # type: ignore[misc]
    else:
        n, bad, clashes = con.execute(
            f"SELECT count(*), count(_reject), count(*) FILTER (WHERE _clash) FROM ({counted})"
        ).fetchone()  # type: ignore[misc]
    if bad or clashes or not n:
        return None
    before = max_rowid(con, spec.table)
    added = _insert_from(con, spec, sql, cols, only_new=has_rows)
    if not _has_primary_key(con, spec.table) and _repeats_keys(con, spec, before, added):
        raise NeedExactPath
    if spec.kind == "events":
        con.execute(f"INSERT INTO {TOUCHED} SELECT visitor_id FROM _sl_pass")
        con.execute("DROP TABLE _sl_pass")
        mark_sessions_unchecked(con)
    return int(n), {spec.table: added}


def can_load_directly(con: duckdb.DuckDBPyConnection, spec: KindSpec) -> bool:
    """True when ``spec``'s table is empty: a file may then be read once into it (see
    :func:`direct_insert`) and the insert undone by emptying the table again."""
    return not _has_rows(con, spec.table)


def direct_insert(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, raw_select: str, style: NumberStyle = POINT
) -> int:
    """One read of the file into its empty table: insert the good rows; returns how many.

    Nothing is proven yet: :func:`direct_check` compares the count with the most rows the file
    can hold (``reading.row_bound``), which the caller may learn while this runs, and
    :func:`undo_direct` empties the table again.
    """
    sql = stage_sql(spec, raw_select, style)
    return _insert_from(con, spec, sql, _insert_columns(con, spec), only_new=False)


def direct_check(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, added: int, rows: int | None
) -> tuple[int, dict[str, int]] | None:
    """Keep a :func:`direct_insert` whose count proves the file clean, else undo it.

    The file holds at most ``rows`` rows, so ``rows`` good rows inserted means every row was
    read and none rejected. Fewer (a reject, a blank line, a value spanning lines), or no bound
    at all, undoes the insert and returns None. A repeated key raises :class:`NeedExactPath`.
    """
    if not added or added != rows:  # (no row at all: the exact path says so)
        undo_direct(con, spec)
        return None
    if not _has_primary_key(con, spec.table) and _repeats_keys(con, spec):
        raise NeedExactPath
    if spec.kind == "events":  # every visitor in the table came with this file
        con.execute(f"INSERT INTO {TOUCHED} SELECT DISTINCT visitor_id FROM events")
        mark_sessions_unchecked(con)
    return added, {spec.table: added}


def mark_sessions_unchecked(con: duckdb.DuckDBPyConnection) -> None:
    """Note that events went in without :func:`flag_shared_sessions`: a grouping of the rows by
    session id costs the optimistic paths a tenth of their time, while ``sessionize`` groups
    them so anyway and redoes the call on the exact path should two visitors share an id."""
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {UNCHECKED_SESSIONS} (x INTEGER)")


def undo_direct(con: duckdb.DuckDBPyConnection, spec: KindSpec) -> None:
    """Empty the table a :func:`direct_insert` filled (it held only that file's rows)."""
    con.execute(f"DELETE FROM {spec.table}")


def _insert_columns(con: duckdb.DuckDBPyConnection, spec: KindSpec) -> list[str]:
    target_cols = _columns(con, spec.table)
    return [c for c in spec.names if c in target_cols]


def _insert_from(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, sql: str, cols: list[str], only_new: bool
) -> int:
    """INSERT the good rows of ``sql`` (parallel, unordered), with ``only_new`` those whose key
    the table lacks; a key repeated against a primary key raises :class:`NeedExactPath`.

    The anti-join is a left join keeping the unmatched rows: DuckDB then builds its hash table
    on the smaller side, the file's rows for a daily file, where ``NOT EXISTS`` built it on the
    whole table (1,000 events into a store of 10M: 0.19 s instead of 0.5–0.7 s).
    """
    select_cols = ", ".join(ident(c) for c in cols)
    insert_cols = select_cols
    if spec.kind == "sessions":
        insert_cols, select_cols = insert_cols + ", origin", select_cols + ", 'import'"
    rows = f"({sql})"
    if only_new:
        stored = ", ".join(f"{ident(k)} AS _k{i}" for i, k in enumerate(spec.key))
        on = " AND ".join(f"t._k{i} = s.{ident(k)}" for i, k in enumerate(spec.key))
        rows = (
            f"(SELECT s.* FROM ({sql}) s LEFT JOIN (SELECT {stored} FROM {spec.table}) t "
            f"ON {on} WHERE t._k0 IS NULL)"
        )
    with _unordered(con):
        try:
            added = con.execute(
                f"INSERT INTO {spec.table} ({insert_cols}) SELECT {select_cols} FROM {rows} s "
                "WHERE _reject IS NULL"
            ).fetchone()[0]  # type: ignore[index]
        except duckdb.ConstraintException:
            raise NeedExactPath from None
    return int(added)


def _reject_because(column: str, value: str, reason: str) -> str:
    """A ``_reject`` struct whose reason is the SQL expression ``reason``."""
    return f"{{'column': {sql_str(column)}, 'value': CAST({value} AS VARCHAR), 'reason': {reason}}}"


def _differ(
    spec: KindSpec | None,
    col: str,
    new: str = "s",
    old: str = "t",
    blanks: tuple[str, ...] = (),
) -> str:
    """TRUE when ``col`` holds a value in the new row that differs from the stored one (NULL =
    no news). For the columns in ``blanks`` a stored NULL is no conflict either: only two
    values conflict (see :func:`_flag_order_conflicts`). A ticket, return or order stored under
    its e-mail's own key (``e-<hash>``, before a customer had that e-mail) belongs to the
    customer an e-mail-only row now resolves to (see :func:`_link_emails`): no difference."""
    n, o = f"{new}.{ident(col)}", f"{old}.{ident(col)}"
    differs = f"{n} IS NOT NULL AND {n} IS DISTINCT FROM {o}"
    if col in blanks:
        differs += f" AND {o} IS NOT NULL"
    if spec is not None and spec.kind in EMAIL_LINKED and col == "customer_id":
        # stored under the e-mail's own key, or under the customer it was linked to then (who
        # has that e-mail, though a second customer with it now keeps this row on the key)
        own_key = email_key_sql(f"{new}.email")
        differs += (
            f" AND ({new}.email IS NULL OR ({o} IS DISTINCT FROM {own_key} AND NOT EXISTS ("
            f"SELECT 1 FROM customers c WHERE c.customer_id = {o} AND c.email = {new}.email)))"
        )
    return f"({differs})"


def _differs(
    spec: KindSpec | None,
    cols: tuple[str, ...],
    new: str = "s",
    old: str = "t",
    blanks: tuple[str, ...] = (),
) -> str:
    """TRUE when any of ``cols`` differs (see :func:`_differ`)."""
    return " OR ".join(_differ(spec, c, new, old, blanks) for c in cols)


def _quoted(value: str) -> str:
    """SQL: ``value`` as text in single quotes, or ``nothing`` for NULL."""
    return f"coalesce('''' || CAST({value} AS VARCHAR) || '''', 'nothing')"


def _differences(
    spec: KindSpec | None,
    cols: tuple[str, ...],
    new: str = "s",
    old: str = "t",
    blanks: tuple[str, ...] = (),
) -> str:
    """SQL text naming the columns that differ: ``email, country (stored 'DE', file 'NL')``.
    Personal data (``kinds.PERSONAL``) is named by its column only: its values stay out of the
    rejects."""
    parts = []
    for c in cols:
        label = sql_str(c)
        if c not in PERSONAL:
            stored, given = _quoted(f"{old}.{ident(c)}"), _quoted(f"{new}.{ident(c)}")
            label = f"{sql_str(c + ' (stored ')} || {stored} || ', file ' || {given} || ')'"
        parts.append(f"CASE WHEN {_differ(spec, c, new, old, blanks)} THEN {label} END")
    return f"concat_ws(', ', {', '.join(parts)})"


def _because(reason: str, details: str) -> str:
    """SQL: ``reason: <details>`` (``details`` an expression)."""
    return f"{sql_str(reason + ': ')} || {details}"


def flag_conflicts(con: duckdb.DuckDBPyConnection, spec: KindSpec, *, update: bool = False) -> bool:
    """Reject rows whose key repeats with other content; True when the file repeats keys.

    Each reject names the columns that differ. A row that completes a placeholder (a customer
    or product an orders file created) is no conflict: :func:`insert` fills the row in.
    ``update`` (customers and products, :data:`UPDATABLE`): a row whose key the store holds
    with other content is no reject either but a change, kept in ``_sl_updates`` for
    :func:`apply_updates`; a key repeated with other content within the file still is one.
    """
    if spec.kind == "orders":
        return _flag_order_conflicts(con, spec)
    key = spec.key
    keys = ", ".join(ident(k) for k in key)
    target_cols = _columns(con, spec.table)
    content = tuple(c for c in spec.names if c not in key and c in target_cols)
    on = " AND ".join(f"s.{ident(k)} = d.{ident(k)}" for k in key)
    repeated = int(
        con.execute(  # type: ignore[index]
            f"SELECT count(*) FROM (SELECT {keys} FROM {STAGE} WHERE _reject IS NULL "
            f"GROUP BY {keys} HAVING count(*) > 1)"
        ).fetchone()[0]
    )
    if repeated:
        hashed = ", ".join(ident(c) for c in content)
        # a column differs when its values do, or when some of the rows leave it blank
        which = ", ".join(
            f"CASE WHEN count(DISTINCT {ident(c)}) > 1 OR count({ident(c)}) "
            f"NOT IN (0, count(*)) THEN {sql_str(c)} END"
            for c in content
        )
        reason = _because(_DUP_IN_FILE, "d._cols")
        con.execute(
            f"UPDATE {STAGE} s SET _reject = "
            f"{_reject_because(key[0], 's.' + ident(key[0]), reason)} "
            f"FROM (SELECT {keys}, concat_ws(', ', {which}) AS _cols FROM {STAGE} "
            f"WHERE _reject IS NULL GROUP BY {keys} "
            f"HAVING count(DISTINCT hash({hashed})) > 1) d WHERE s._reject IS NULL AND {on}"
        )
    on_t = " AND ".join(f"s.{ident(k)} = t.{ident(k)}" for k in key)
    waiting = (
        f" AND s.{ident(key[0])} NOT IN ({_placeholder_keys(spec)})"
        if _placeholders_waiting(con, spec)
        else ""
    )
    clashing = f"s._reject IS NULL AND {on_t} AND ({_differs(spec, content)}){waiting}"
    if update and spec.kind in UPDATABLE:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {UPDATES} AS SELECT DISTINCT ON "
            f"(s.{ident(key[0])}) s.* FROM {STAGE} s, {spec.table} t WHERE {clashing}"
        )
        return bool(repeated)
    reason = _because(_CLASH, _differences(spec, content))
    con.execute(
        f"UPDATE {STAGE} s SET _reject = {_reject_because(key[0], 's.' + ident(key[0]), reason)} "
        f"FROM {spec.table} t WHERE {clashing}"
    )
    if spec.kind == "events":
        flag_shared_sessions(con)
    return bool(repeated)


#: SQL: the row's visitor_id is its own, not a customer_id standing in for a missing one (the
#: events kind fills a blank visitor_id with the customer_id): such a row (a purchase logged
#: server-side, say) may join any visitor's session
_OWN_VISITOR = "(customer_id IS NULL OR visitor_id <> customer_id)"


def _shared_session_reason(owner: str, where: str) -> str:
    """SQL: why a row's session_id is refused (``owner``, ``where``: SQL expressions)."""
    from shopperlens.ingest.sessionize import SESSION_GAP_MINUTES  # (sessionize imports this)

    return f"'already names visitor ' || {_quoted(owner)} || ' (' || {where} || ')' || " + sql_str(
        ": session ids must be unique across visitors; map a unique id, or leave "
        f"session_id out and sessions are cut at {SESSION_GAP_MINUTES} minutes of inactivity"
    )


def flag_shared_sessions(con: duckdb.DuckDBPyConnection) -> None:
    """Reject staged events whose session_id already names another visitor: in the store, or
    on an earlier line of the file (that visitor keeps it).

    Sessions are keyed by their id alone: two visitors under one id became one visit, the
    second visitor's purchase credited to the first one's traffic source. GA4 ids are scoped
    per user (``<user_pseudo_id>:<ga_session_id>``) and never meet here; a generic file must
    give ids unique across visitors or none. A row whose visitor_id is a stand-in for its
    customer_id is exempt (:data:`_OWN_VISITOR`), and so is a row the store already holds
    (the insert leaves it out): an overlapping re-export of a store's events from before ids
    were checked re-sends its shared sessions unchanged (see :func:`_resent_rows`).
    """
    owners = _stored_owners(con)
    if _contested(con, owners):
        _reject_shared(con, owners, _resent_rows(con))
    for t in (_OWNERS, _CONTESTED, _RESENT):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def _reject_shared(con: duckdb.DuckDBPyConnection, owners: bool, resent: str) -> None:
    """Reject the contested sessions' rows of visitors other than the owner: the stored one
    (``owners``: there are stored owners), else the visitor of the session's first line;
    ``resent``: SQL keeping out the rows the store already holds."""
    if owners:
        reason = _shared_session_reason("o.owner", "o.src")
        con.execute(
            f"UPDATE {STAGE} s SET _reject = "
            f"{_reject_because('session_id', 's.session_id', reason)} FROM {_OWNERS} o "
            "WHERE s._reject IS NULL AND s.session_id = o.session_id AND s.visitor_id <> o.owner "
            f"AND {_OWN_VISITOR_S} AND {resent}"
        )
    reason = _shared_session_reason("d.owner", "'earlier in the file'")
    con.execute(
        f"UPDATE {STAGE} s SET _reject = "
        f"{_reject_because('session_id', 's.session_id', reason)} FROM ("
        "SELECT session_id, arg_min(visitor_id, _line) AS owner "
        f"FROM {STAGE} s WHERE _reject IS NULL AND session_id IN (SELECT session_id FROM "
        f"{_CONTESTED}) AND {_OWN_VISITOR_S} AND {resent} "
        "GROUP BY session_id HAVING min(visitor_id) <> max(visitor_id)) d "
        f"WHERE s._reject IS NULL AND s.session_id = d.session_id AND s.visitor_id <> d.owner "
        f"AND {_OWN_VISITOR_S} AND {resent}"
    )


#: :data:`_OWN_VISITOR` of a staged row (alias ``s``)
_OWN_VISITOR_S = "(s.customer_id IS NULL OR s.visitor_id <> s.customer_id)"
#: the session ids a staged events file gives a visitor other than their owner's
_CONTESTED = "_sl_contested_sessions"
#: the staged rows of those sessions the store already holds (see _resent_rows)
_RESENT = "_sl_resent"


def _stored_owners(con: duckdb.DuckDBPyConnection) -> bool:
    """``_sl_session_owners``: the owner of each session id the staged events name that a stored
    session of a visitor, or an earlier file of this call (not in ``sessions`` yet), gave to
    one; False (and no table) when there is none to look at."""
    owned = []
    if _has_rows(con, "sessions"):
        owned.append(
            "SELECT session_id, visitor_id, 'stored' AS src FROM sessions "
            f"WHERE visitor_id IS NOT NULL "
            f"AND {_OWN_VISITOR}"
        )
    if _has_rows(con, TOUCHED):
        owned.append(
            "SELECT session_id, visitor_id, 'an earlier file of this import' AS src "
            f"FROM events WHERE visitor_id IN "
            f"(SELECT visitor_id FROM {TOUCHED}) AND {_OWN_VISITOR}"
        )
    if not owned:
        return False
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_OWNERS} AS SELECT session_id, min(visitor_id) AS owner, "
        "arg_min(src, visitor_id) AS src "
        f"FROM ({' UNION ALL '.join(owned)}) WHERE session_id IN (SELECT session_id FROM {STAGE} "
        "WHERE session_id IS NOT NULL) GROUP BY session_id"
    )
    return True


def _contested(con: duckdb.DuckDBPyConnection, owners: bool) -> bool:
    """``_sl_contested_sessions``: the session ids the good staged rows give to a visitor other
    than their owner's (in the store, an earlier file of the call, or the file); False when
    there are none (the common case: no further look at the rows)."""
    stored = (
        f" UNION SELECT s.session_id FROM {STAGE} s JOIN {_OWNERS} o ON "
        f"s.session_id = o.session_id WHERE s._reject IS NULL AND s.visitor_id <> o.owner "
        f"AND {_OWN_VISITOR_S}"
        if owners
        else ""
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_CONTESTED} AS SELECT session_id FROM {STAGE} s "
        f"WHERE _reject IS NULL AND session_id IS NOT NULL AND {_OWN_VISITOR_S} "
        f"GROUP BY session_id HAVING min(visitor_id) <> max(visitor_id){stored}"
    )
    return _has_rows(con, _CONTESTED)


def _resent_rows(con: duckdb.DuckDBPyConnection) -> str:
    """SQL condition on a staged row ``s``: not one the store already holds. A good staged row
    whose event_id is stored is the stored row again (one with other content was rejected
    before this), which the insert leaves out: it neither claims a session nor loses one.
    Looked up only for the rows of contested sessions (an inner join: DuckDB builds its hash
    table on those few rows, not on the stored events)."""
    if not _has_rows(con, "events"):
        return "TRUE"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_RESENT} AS SELECT s._line FROM {STAGE} s "
        f"JOIN events e ON e.event_id = s.event_id WHERE s._reject IS NULL "
        f"AND s.session_id IN (SELECT session_id FROM {_CONTESTED})"
    )
    return f"s._line NOT IN (SELECT _line FROM {_RESENT})"


def _flag_order_conflicts(con: duckdb.DuckDBPyConnection, spec: KindSpec) -> bool:
    """Orders: order-level fields must agree across an order's lines and with the store.

    A field an order's lines leave blank after the first (Shopify's shipping) agrees; two
    different values (EUR on one line, USD on another) reject every line of the order, naming
    the first field that differs. A clash with the store names the fields that differ: the
    customer, date, currency or shipping of the order, or a line's product, quantity, price or
    discount code (compared per line: a code may be a line's own, and the order keeps one).
    The status is not compared: an export is a snapshot of the orders as they are now, so a
    refund or cancellation exported later is news the import applies (:func:`_restate_statuses`).
    A currency, shipping or discount code stored blank is no clash either (:data:`_BLANK_AGREES`):
    a fuller export of the same orders (one that adds those columns) is news, not a conflict;
    it fills the stored blank currency and shipping (:func:`_fill_blanks`).
    """
    _flag_disagreeing_orders(con)
    if not _has_rows(con, "orders"):  # a first import has nothing to clash with
        return False
    _align_with_stored_times(con)
    order = ("customer_id", "ordered_at", "currency", "shipping")
    blanks = _BLANK_AGREES
    reason = _because(_ORDER_CLASH, _differences(spec, order, blanks=blanks))
    con.execute(
        f"UPDATE {STAGE} s SET _reject = {_reject_because('order_id', 's.order_id', reason)} "
        f"FROM orders t WHERE s._reject IS NULL AND s.order_id = t.order_id "
        f"AND ({_differs(spec, order, blanks=blanks)})"
    )
    _flag_line_conflicts(con)
    return False


def _align_with_stored_times(con: duckdb.DuckDBPyConnection) -> None:
    """Give the staged lines of a stored order whose time lies at most
    :data:`ORDER_TIME_SPREAD` from the stored one the stored time, as the lines of one file
    are given their order's (:func:`_flag_disagreeing_orders`).

    An overlapping export may start inside an order rung up across a minute's turn: it then
    holds only the order's later lines, whose time is a minute after the stored one. That is
    the stored order again, not a clash; further apart, it still is one."""
    take_stored_order_times(con, "ordered_at", "order_id")


def take_stored_order_times(con: duckdb.DuckDBPyConnection, time: str, order: str) -> None:
    """Set the staged rows' ``time`` to their stored order's time (``order``: the staged
    column naming it) where the two lie at most :data:`ORDER_TIME_SPREAD` apart: one till
    transaction, whether the file's lines are sales or returns (``ingest.negatives``)."""
    spread = f"INTERVAL '{ORDER_TIME_SPREAD}'"
    con.execute(
        f"UPDATE {STAGE} s SET {time} = t.ordered_at FROM orders t "
        f"WHERE s._reject IS NULL AND s.{order} = t.order_id AND s.{time} <> t.ordered_at "
        f"AND s.{time} BETWEEN t.ordered_at - {spread} AND t.ordered_at + {spread}"
    )


#: what identifies an order line within its order when a file gives a stored order again
_LINE_CONTENT = ("product_id", "quantity", "unit_price")


def _flag_line_conflicts(con: duckdb.DuckDBPyConnection) -> None:
    """The lines a file gives for orders already stored, matched to the stored lines by
    content, not by position: a re-export that lists an order's lines in another order adds
    nothing and clashes with nothing (compared by position, every line "differed").

    A staged line matches a stored line of its order with the same product, quantity and
    price (the k-th such line of the file the k-th stored one). A matched line whose discount
    code differs from a stored one is a clash naming it. A line left unmatched is compared with
    the order's stored lines left unmatched, in their order, and the reject names the fields
    that differ (``quantity (stored '2', file '3')``); when none is left, the file gives the
    order a line it did not have when stored: a reject too, never a line silently merged into
    a stored one. ``_sl_line_match`` keeps the matches for :func:`_insert_order_tables`, which
    adds no line to a stored order.
    """
    same = " AND ".join(f"f.{c} IS NOT DISTINCT FROM t.{c}" for c in _LINE_CONTENT)
    by_content = ", ".join(_LINE_CONTENT)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_MATCH} AS "
        f"WITH f AS (SELECT _line, order_id, {by_content}, discount_code, row_number() OVER "
        f"(PARTITION BY order_id, {by_content} ORDER BY _line) AS r FROM {STAGE} "
        f"WHERE _reject IS NULL AND order_id IN (SELECT order_id FROM order_lines)), "
        f"t AS (SELECT order_id, line_no, {by_content}, discount_code, row_number() OVER "
        f"(PARTITION BY order_id, {by_content} ORDER BY line_no) AS r FROM order_lines "
        f"WHERE order_id IN (SELECT order_id FROM f)) "
        f"SELECT f._line AS n_line, f.order_id, t.line_no, t.discount_code "
        f"FROM f LEFT JOIN t ON f.order_id = t.order_id AND {same} AND f.r = t.r"
    )
    if not con.execute(f"SELECT count(*) FROM {_MATCH}").fetchone()[0]:  # type: ignore[index]
        return
    blanks = _BLANK_AGREES
    code_col = ("discount_code",)
    code = _because(_DUP_LINE, _differences(None, code_col, old="m", blanks=blanks))
    con.execute(
        f"UPDATE {STAGE} s SET _reject = {_reject_because('order_id', 's.order_id', code)} "
        f"FROM {_MATCH} m WHERE s._reject IS NULL AND m.n_line = s._line "
        f"AND m.line_no IS NOT NULL AND {_differs(None, code_col, old='m', blanks=blanks)}"
    )
    # unmatched on both sides, paired in their order: the k-th line the file gives that the
    # stored order lacks against the k-th stored line the file does not give
    line = (*_LINE_CONTENT, "discount_code")
    paired = (
        f"(SELECT u.n_line, t.* FROM (SELECT n_line, order_id, row_number() OVER (PARTITION BY "
        f"order_id ORDER BY n_line) AS k FROM {_MATCH} WHERE line_no IS NULL) u "
        f"LEFT JOIN (SELECT l.*, row_number() OVER (PARTITION BY l.order_id ORDER BY l.line_no) "
        f"AS k FROM order_lines l WHERE l.order_id IN (SELECT order_id FROM {_MATCH} WHERE "
        f"line_no IS NULL) AND NOT EXISTS (SELECT 1 FROM {_MATCH} m WHERE m.order_id = "
        f"l.order_id AND m.line_no = l.line_no)) t ON t.order_id = u.order_id AND t.k = u.k)"
    )
    stored_lines = "(SELECT count(*) FROM order_lines c WHERE c.order_id = s.order_id)"
    extra = (
        f"{sql_str(_MORE_LINES + ': it has ')} || {stored_lines} || "
        "' stored line(s) and none is this one; an order is imported whole from one file'"
    )
    reason = (
        f"CASE WHEN t.line_no IS NULL THEN {extra} "
        f"ELSE {_because(_DUP_LINE, _differences(None, line, blanks=blanks))} END"
    )
    # (a blank where the stored line has a value is no news: the file's line is that line)
    con.execute(
        f"UPDATE {STAGE} s SET _reject = {_reject_because('order_id', 's.order_id', reason)} "
        f"FROM {paired} t WHERE s._reject IS NULL AND t.n_line = s._line "
        f"AND (t.line_no IS NULL OR ({_differs(None, line, blanks=blanks)}))"
    )


def lines_already_stored(con: duckdb.DuckDBPyConnection) -> int:
    """Good staged lines of an orders file that are lines of stored orders (see
    :func:`_flag_line_conflicts`): the same lines again, not added. A re-export says how many;
    a line repeated in an order split over two files is among them (it cannot be told from the
    same line given twice)."""
    if not temp_table_exists(con, _MATCH):
        return 0
    return int(
        con.execute(  # type: ignore[index]
            f"SELECT count(*) FROM {_MATCH} m JOIN {STAGE} s ON s._line = m.n_line "
            "WHERE m.line_no IS NOT NULL AND s._reject IS NULL"
        ).fetchone()[0]
    )


def relocate_rejects(
    con: duckdb.DuckDBPyConnection, lines_of: Callable[[list[int]], dict[int, int]]
) -> None:
    """Give each rejected row the physical line it starts on: ``lines_of`` maps the rows'
    numbers to lines (``reading.row_lines``) when blank lines or values spanning lines made
    them differ. Only rejected rows are renumbered; the good rows' numbers keep their order."""
    _move_lines(con, STAGE, lines_of, "s._reject IS NOT NULL")


def _move_lines(
    con: duckdb.DuckDBPyConnection,
    table: str,
    lines_of: Callable[[list[int]], dict[int, int]],
    where: str = "TRUE",
) -> None:
    """Set ``_line`` of ``table``'s rows matching ``where`` from row number to physical line."""
    rows = con.execute(f"SELECT DISTINCT _line FROM {table} s WHERE {where}").fetchall()
    moved = {k: v for k, v in lines_of([r[0] for r in rows]).items() if k != v} if rows else {}
    if not moved:
        return
    import pyarrow as pa  # (only here: an import that rejects nothing never loads it)

    con.register("_sl_relines", pa.table({"old": list(moved), "new": list(moved.values())}))
    try:
        con.execute(
            f"UPDATE {table} s SET _line = m.new FROM _sl_relines m "
            f"WHERE {where} AND s._line = m.old"
        )
    finally:
        con.unregister("_sl_relines")


def decimal_comma_columns(con: duckdb.DuckDBPyConnection, spec: KindSpec) -> frozenset[str]:
    """The numeric columns of the staged file in which a value with a decimal comma (``12,50``,
    ``1.234,50``; not ``2,500``, which may be English thousands) was rejected as not a number:
    evidence that the column writes numbers the European way (see ``ingest.numbers``).

    Read from the stage's rejects, which a clean file has none of: a scan of one column,
    nothing more for the files that need no second look."""
    if not spec.numeric:
        return frozenset()
    names = ", ".join(sql_str(c) for c in sorted(spec.numeric))
    value = "trim(_reject['value'])"
    rows = con.execute(
        f"SELECT DISTINCT _reject['column'] FROM {STAGE} WHERE _reject IS NOT NULL "
        f"AND _reject['column'] IN ({names}) AND regexp_full_match({value}, '{HAS_COMMA}') "
        f"AND NOT regexp_full_match({value}, '{COMMA_GROUPED}')"
    ).fetchall()
    return frozenset(str(r[0]) for r in rows)


def forget_malformed(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what an earlier lenient read recorded (DuckDB appends each scan's errors)."""
    for t in (CSV_ERRORS, CSV_SCANS):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def collect_malformed(
    con: duckdb.DuckDBPyConnection, file: str, lines_of: Callable[[list[int]], dict[int, int]]
) -> dict[int, str]:
    """Append the rows a lenient read skipped (``reading.lenient``) to ``_sl_rejects``, one
    per row: its physical line (``lines_of`` maps DuckDB's record numbers, see
    ``reading.record_lines``), the first column DuckDB names, the row's text and why it does
    not split into the header's columns. Returns those lines and each row's whole text (an
    orders file finds the row's order in it, see :func:`reject_whole_orders`).

    A row DuckDB could not decode as UTF-8 stops the import instead: the file's encoding, not
    one row, is wrong.
    """
    if not temp_table_exists(con, CSV_ERRORS):  # (DuckDB's rejects tables are temporary)
        return {}
    counts = r"regexp_extract(error_message, 'Columns: (\d+) Found: (\d+)', ['want', 'got'])"
    # the first column's error; a row-level one names no column (arg_min skips a NULL key:
    # a line over DuckDB's maximum size had come back with neither kind nor message)
    idx = "coalesce(column_idx, 1 << 30)"
    rows = con.execute(
        f"SELECT line, arg_min(column_name, {idx}), arg_min(error_type, {idx}), "
        "max(TRY_CAST(c.want AS INT)), min(TRY_CAST(c.got AS INT)), "
        f"arg_min(error_message, {idx}), any_value(csv_line) FROM (SELECT *, {counts} AS c "
        f"FROM {CSV_ERRORS}) GROUP BY line ORDER BY line"
    ).fetchall()
    forget_malformed(con)
    lines = lines_of([r[0] for r in rows])
    out, texts = [], {}
    for record, column, kind, want, got, message, text in rows:
        line = lines.get(record, record)
        message = message or ""
        if kind in ("INVALID ENCODING", "INVALID UNICODE") or "unicode" in message.lower():
            raise ShopperlensError(
                f"{Path(file).name}: the file is not UTF-8 encoded (line {line}); save it as UTF-8"
            )
        out.append(
            (
                file,
                line,
                column or ROW,
                _first_line(text),
                _malformed_reason(kind, want, got, message),
                column or ROW,
            )
        )
        texts[line] = text or ""
    if out:
        con.executemany(f"INSERT INTO {REJECTS} VALUES (?, ?, ?, ?, ?, ?)", out)
    return texts


def reject_rows(con: duckdb.DuckDBPyConnection, rows: list[tuple[int, str, str]]) -> None:
    """Reject staged rows by their row number: ``(row, value, reason)``, the whole row at fault
    (column ``(row)``), whatever a later check would have said."""
    if not rows:
        return
    con.execute(
        f"UPDATE {STAGE} s SET _reject = {{'column': {sql_str(ROW)}, 'value': b.value, "
        "'reason': b.reason} FROM (SELECT unnest(?) AS n, unnest(?) AS value, "
        "unnest(?) AS reason) b WHERE s._line = b.n",
        [[r[0] for r in rows], [_first_line(r[1]) for r in rows], [r[2] for r in rows]],
    )


def _malformed_reason(kind: str, want: int | None, got: int | None, message: str) -> str:
    if kind == "TOO MANY COLUMNS" and want is not None:  # (DuckDB stops counting at one more)
        return f"malformed row: more values than the header's {want} columns"
    if kind == "MISSING COLUMNS" and want is not None and got is not None:
        return f"malformed row: {got} values where the header has {want} columns"
    if kind == "UNQUOTED VALUE":
        return (
            "malformed row: a quote where CSV does not allow one (a quoted value must end with "
            '" and the delimiter; a quote left open takes in the rest of the file)'
        )
    if kind == "LINE SIZE OVER MAXIMUM":
        return "malformed row: longer than the 2,000,000 bytes a CSV row may have"
    return f"malformed row: {message.strip().rstrip('.') or (kind or 'unreadable').lower()}"


def _first_line(text: str | None, width: int = 500) -> str | None:
    """A skipped row's text as the rejects list shows it: its first line, at most ``width``
    characters (an unclosed quote makes the rest of the file one row)."""
    if text is None:
        return None
    whole = text.strip("\r\n")
    shown = whole.split("\n", 1)[0].rstrip("\r")[:width]
    return shown if shown == whole else shown + "…"


def _flag_disagreeing_orders(con: duckdb.DuckDBPyConnection) -> None:
    """Reject every line of an order whose lines disagree on an order-level field, and give
    the lines of an order whose times lie at most :data:`ORDER_TIME_SPREAD` apart the earliest
    of them, in one pass over the orders.

    A till stamps each line as it is rung up, so an invoice rung up across a minute's turn
    gives its lines two times (5 invoices of the UCI Online Retail sample): that is one
    order, placed when its first line was. Every later step (the order's time, the clash with
    a stored order, the customer's first order) then reads one time. Lines further apart
    stay apart and are rejected as disagreeing: two orders sharing an id, not one till.
    """
    # only the fields the file fills (most files have no currency, shipping or status)
    filled = con.execute(f"SELECT {', '.join(f'count({c})' for c in _AGREE)} FROM {STAGE}")
    agree = [c for c, n in zip(_AGREE, filled.fetchone() or (), strict=True) if n]
    if not agree:
        return
    # min <> max: the same test as count(DISTINCT …) > 1 (both skip NULLs), without the
    # per-order sets of distinct values
    differs = [
        f"max({c}) - min({c}) > INTERVAL '{ORDER_TIME_SPREAD}'"
        if c == "ordered_at"
        else f"min({c}) <> max({c})"
        for c in agree
    ]
    which = " ".join(f"WHEN {d} THEN {sql_str(c)}" for d, c in zip(differs, agree, strict=True))
    value = " ".join(f"WHEN {sql_str(c)} THEN CAST(s.{c} AS VARCHAR)" for c in agree)
    # an order agreeing on everything (col NULL) is here only for its times: it is aligned
    con.execute(
        f"UPDATE {STAGE} s SET _reject = CASE WHEN d.col IS NOT NULL THEN "
        f"{{'column': d.col, 'value': CASE d.col {value} END, "
        "'reason': 'lines of one order disagree on ' || d.col} END, "
        "ordered_at = CASE WHEN d.col IS NULL THEN d.first ELSE s.ordered_at END "
        f"FROM (SELECT order_id, CASE {which} END AS col, min(ordered_at) AS first "
        f"FROM {STAGE} WHERE _reject IS NULL GROUP BY order_id "
        f"HAVING {' OR '.join(differs)} OR min(ordered_at) <> max(ordered_at)) d "
        "WHERE s._reject IS NULL AND s.order_id = d.order_id"
    )


def reject_whole_orders(
    con: duckdb.DuckDBPyConnection,
    file: str,
    malformed: Mapping[int, str | None],
    lines_of: Callable[[list[int]], dict[int, int]] | None,
    named: Mapping[str, str] | None = None,
) -> int:
    """Reject the other lines of each order that has a rejected row (``on_error='skip'``);
    returns how many rows that adds to ``_sl_rejects``.

    An order line's ``line_no`` is its place among its order's lines in the file. Stored
    without a rejected line, an order could never take the corrected line later: alone in a
    file, that line is the order's first again and clashes with the first line stored. Kept
    out whole, the order imports cleanly from its corrected rows (every one of them is in the
    rejects file), or from the whole corrected file.

    Under ``--negative-lines returns`` an order's lines set aside as returns are kept out with
    it, and a rejected negative line keeps its order's sales out: one order, one file's lines.

    ``malformed``: the lines of the rows a lenient read skipped and the order id their text
    gives (None: none can be told). Runs after :func:`collect_rejects`, and only when the file
    has rejects: a rejected row's ``_line`` is then its physical line, another row's is its
    row number, which ``lines_of`` (when given) maps to the physical line. ``named``: the
    file's column names, as for :func:`collect_rejects`.
    """
    _orders_with_rejects(con, malformed)
    rows = (
        f"SELECT s._line, s.order_id, w.why FROM {STAGE} s JOIN {WHOLE} w "
        "ON s.order_id = w.order_id WHERE s._reject IS NULL"
    )
    aside = temp_table_exists(con, NEGATIVE)
    if aside:  # (an order's negative lines set aside as returns are its lines in the file)
        rows += (
            f" UNION ALL SELECT n._line, n._order_id, w.why FROM {NEGATIVE} n JOIN {WHOLE} w "
            "ON n._order_id = w.order_id"
        )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {WHOLE_ROWS} AS {rows}")
    con.execute(
        f"UPDATE {STAGE} s SET _reject = {_reject_because('order_id', 's.order_id', 'w.why')} "
        f"FROM {WHOLE} w WHERE s._reject IS NULL AND s.order_id = w.order_id"
    )
    if aside:
        con.execute(f"DELETE FROM {NEGATIVE} WHERE _order_id IN (SELECT order_id FROM {WHOLE})")
    if lines_of is not None:
        _move_lines(con, WHOLE_ROWS, lines_of)
    n = con.execute(
        f"INSERT INTO {REJECTS} SELECT ?, _line, {file_column_sql(sql_str('order_id'), named)}, "
        f"order_id, why, 'order_id' FROM {WHOLE_ROWS} "
        "ORDER BY _line",
        [file],
    ).fetchone()[0]  # type: ignore[index]
    for t in (WHOLE, WHOLE_ROWS):
        con.execute(f"DROP TABLE {t}")
    return int(n)


def _orders_with_rejects(
    con: duckdb.DuckDBPyConnection, malformed: Mapping[int, str | None]
) -> None:
    """``_sl_whole``: each staged order with a rejected row (one the stage rejected, or a
    malformed one naming it), and the reason its other rows are rejected: those lines."""
    skipped = [(line, oid) for line, oid in malformed.items() if oid is not None]
    rows = f"SELECT order_id, _line AS line FROM {STAGE} WHERE _reject IS NOT NULL"
    if skipped:
        rows += " UNION ALL SELECT trim(o), l FROM (SELECT unnest(?) AS l, unnest(?) AS o)"
    shown = f"array_to_string(list(line ORDER BY line)[1:{_SHOWN_LINES}], ', ')"
    why = (
        f"CASE WHEN count(*) = 1 THEN 'this order''s row on line ' || min(line) "
        f"|| ' was rejected' ELSE 'this order''s rows on lines ' || {shown} "
        f"|| CASE WHEN count(*) > {_SHOWN_LINES} THEN ' …' ELSE '' END || ' were rejected' END "
        f"|| {sql_str('; ' + _WHOLE_ORDER)}"
    )
    params = [[r[0] for r in skipped], [r[1] for r in skipped]] if skipped else []
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {WHOLE} AS SELECT order_id, {why} AS why FROM ({rows}) "
        "WHERE order_id IS NOT NULL GROUP BY order_id",
        params,
    )


def file_column_sql(column: str, named: Mapping[str, str] | None) -> str:
    """SQL: the file's name of the canonical column ``column`` names (``named``: ``{canonical:
    file column}``, see ``service.imports``), else that name: a reject says ``Lineitem
    quantity`` or the column a ``--map`` renamed, the header the shop owner sees in the file."""
    differ = {c: f for c, f in (named or {}).items() if c != f}
    if not differ:
        return column
    cases = " ".join(f"WHEN {sql_str(c)} THEN {sql_str(f)}" for c, f in sorted(differ.items()))
    return f"CASE {column} {cases} ELSE {column} END"


def collect_rejects(
    con: duckdb.DuckDBPyConnection, file: str, named: Mapping[str, str] | None = None
) -> int:
    """Append this file's rejects to ``_sl_rejects``, each naming the file's column (see
    :func:`file_column_sql`); returns how many there are."""
    column = file_column_sql("_reject['column']", named)
    n = con.execute(
        f"INSERT INTO {REJECTS} SELECT ?, _line, {column}, _reject['value'], "
        f"_reject['reason'], _reject['column'] FROM {STAGE} WHERE _reject IS NOT NULL "
        "ORDER BY _line",
        [file],
    ).fetchone()[0]  # type: ignore[index]
    return int(n)


def first_rejects(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[Reject]:
    rows = con.execute(
        f'SELECT file, line, "column", value, reason, canonical_column FROM {REJECTS} '
        "ORDER BY file, line LIMIT ?",
        [limit],
    ).fetchall()
    return [Reject(*row) for row in rows]


def write_rejects_csv(con: duckdb.DuckDBPyConnection, path: str) -> None:
    """All rejects of the call as CSV (file, line, column, value, reason), by DuckDB's COPY,
    a text cell a spreadsheet would run as a formula starting with ``'`` (as
    ``ingest.rejects.write_rejects`` writes); a disk with no room for them is said in one line
    (see ``store.write_failure``)."""
    cells = ", ".join(
        "line" if c == "line" else f"{spreadsheet_cell_sql(ident(c))} AS {ident(c)}"
        for c in IMPORT_REJECT_COLUMNS
    )
    try:
        con.execute(
            f"COPY (SELECT {cells} FROM {REJECTS} ORDER BY file, line) TO {sql_str(path)} "
            "(HEADER, DELIMITER ',')"
        )
    except duckdb.IOException as exc:
        said = write_failure(exc)
        if said is None:
            raise
        raise ShopperlensError(said) from None


def insert(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, repeated: bool, file: str = ""
) -> dict[str, int]:
    """Insert the good staged rows that are new, after filling in the placeholders the file
    completes; returns rows added per table. ``file`` names the source of the consents an
    orders file (or a customers file completing customers orders created) records."""
    if spec.kind == "orders":
        return _insert_orders(con, file)
    consents = complete_placeholders(con, spec, file)
    cols = _insert_columns(con, spec)
    keys = ", ".join(ident(k) for k in spec.key)
    distinct = f"DISTINCT ON ({keys}) " if repeated else ""
    select_cols = ", ".join(ident(c) for c in cols)
    insert_cols = select_cols
    if spec.kind == "sessions":
        insert_cols += ", origin"
        select_cols += ", 'import'"
    on = " AND ".join(f"t.{ident(k)} = s.{ident(k)}" for k in spec.key)
    new_only = (
        f"AND NOT EXISTS (SELECT 1 FROM {spec.table} t WHERE {on})"
        if _has_rows(con, spec.table)
        else ""
    )
    with _unordered(con):
        n = con.execute(
            f"INSERT INTO {spec.table} ({insert_cols}) SELECT {distinct}{select_cols} "
            f"FROM {STAGE} s WHERE _reject IS NULL {new_only}"
        ).fetchone()[0]  # type: ignore[index]
    if spec.kind == "events":
        con.execute(
            f"INSERT INTO {TOUCHED} SELECT DISTINCT visitor_id FROM {STAGE} WHERE _reject IS NULL"
        )
    return {spec.table: int(n), **({"consents": consents} if consents else {})}


def _insert_orders(con: duckdb.DuckDBPyConnection, file: str) -> dict[str, int]:
    """Orders file -> orders, order_lines, the products/customers it names but we lack, and
    the marketing consent it changes."""
    good = f"(SELECT * FROM {STAGE} WHERE _reject IS NULL)"
    out: dict[str, int] = {}
    with _unordered(con):
        consents = _record_order_consents(con, good, file)
        _restate_statuses(con, good)  # (before the insert: only orders stored before the file)
        _fill_blanks(con, good)
        _insert_order_tables(con, good, out)
    if consents:
        out["consents"] = consents
    return {k: int(v) for k, v in out.items()}


def _restate_statuses(con: duckdb.DuckDBPyConnection, good: str) -> None:
    """Give stored orders the status the file gives them; ``_sl_restated`` lists those orders
    (id, time) for :func:`restated`.

    Exports are snapshots: the newest import says what an order is now, so a sale exported
    as ``paid`` and later as ``refunded`` stops counting as a purchase. A blank status is no
    news, and a change of case no change (statuses are compared in lower case everywhere).
    The same file again changes nothing: its statuses are already the stored ones.
    """
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {RESTATED} "
        "(order_id VARCHAR, ordered_at TIMESTAMP, status VARCHAR, recounted BOOLEAN)"
    )
    if not _has_rows(con, "orders"):  # a first import restates nothing
        return
    # (the lines of an order agree on its status: _flag_disagreeing_orders); ``recounted``: the
    # change makes a purchase none or the other way round (pending → paid changes nothing read)
    found = con.execute(
        f"INSERT INTO {RESTATED} SELECT t.order_id, t.ordered_at, n.status, "
        f"{not_purchase_sql('n.status')} <> {not_purchase_sql('t.status')} FROM (SELECT "
        f"order_id, any_value(status) AS status FROM {good} WHERE status IS NOT NULL "
        "GROUP BY order_id) n JOIN orders t ON t.order_id = n.order_id "
        "WHERE lower(n.status) IS DISTINCT FROM lower(t.status)"
    ).fetchone()[0]  # type: ignore[index]
    if found:  # (most files restate nothing: no pass over the stored orders then)
        con.execute(
            f"UPDATE orders SET status = r.status FROM {RESTATED} r "
            "WHERE orders.order_id = r.order_id"
        )


def _fill_blanks(con: duckdb.DuckDBPyConnection, good: str) -> None:
    """Give stored orders the currency and shipping the file gives where the store has none
    (an older export without those columns): the fuller export says more about the same
    order, never otherwise (two different values are a reject, see _flag_order_conflicts).
    Neither is read by the customer types, so no stored run changes with them."""
    if not _has_rows(con, "orders"):  # a first import fills nothing
        return
    given = con.execute(f"SELECT {', '.join(f'count({c})' for c in _FILLED)} FROM {good}")
    cols = [c for c, n in zip(_FILLED, given.fetchone() or (), strict=True) if n]
    if not cols:  # (files without the columns: no pass over the stored orders)
        return
    sets = ", ".join(f"{c} = coalesce(orders.{c}, n.{c})" for c in cols)
    blank = " OR ".join(f"(orders.{c} IS NULL AND n.{c} IS NOT NULL)" for c in cols)
    picked = ", ".join(f"min({c}) AS {c}" for c in cols)
    con.execute(
        f"UPDATE orders SET {sets} FROM (SELECT order_id, {picked} FROM {good} "
        f"GROUP BY order_id) n WHERE orders.order_id = n.order_id AND ({blank})"
    )


def restated(con: duckdb.DuckDBPyConnection) -> tuple[int, datetime | None]:
    """How many stored orders the last orders file gave a new status, and the earliest time
    of those it made count differently (a purchase refunded, a pending order cancelled): a
    customer-types run as of a later date counted them as they were (see ``service.imports``,
    the ledger's ``earliest_at``). A change between two purchase statuses (blank or pending to
    paid) reaches back nowhere: nothing any run reads changed."""
    n, first = con.execute(
        f"SELECT count(*), min(ordered_at) FILTER (WHERE recounted) FROM {RESTATED}"
    ).fetchone()  # type: ignore[misc]
    return int(n), first


def _insert_order_tables(con: duckdb.DuckDBPyConnection, good: str, out: dict[str, int]) -> None:
    order_cols = ", ".join(_ORDER_LEVEL)
    agg = ", ".join(f"min({c})" for c in _ORDER_LEVEL)
    # the anti-joins only run against tables that have rows (a first import skips them)
    new_order = (
        "WHERE NOT EXISTS (SELECT 1 FROM orders t WHERE t.order_id = s.order_id) "
        if _has_rows(con, "orders")
        else ""
    )
    out["orders"] = con.execute(
        f"INSERT INTO orders (order_id, {order_cols}) SELECT order_id, {agg} FROM {good} s "
        f"{new_order}GROUP BY order_id"
    ).fetchone()[0]  # type: ignore[index]
    line_cols = ", ".join(_LINE_LEVEL)
    lines_before = max_rowid(con, "order_lines")
    lines = f"(SELECT s.*, n.line_no FROM {good} s JOIN {LINE_NO} n ON n.n_line = s._line)"
    new_line = (  # a stored order keeps its lines: the file's were matched to them above
        "WHERE NOT EXISTS (SELECT 1 FROM order_lines t WHERE t.order_id = s.order_id)"
        if _has_rows(con, "order_lines")
        else ""
    )
    out["order_lines"] = con.execute(
        f"INSERT INTO order_lines (order_id, line_no, {line_cols}) "
        f"SELECT order_id, line_no, {line_cols} FROM {lines} s {new_line}"
    ).fetchone()[0]  # type: ignore[index]
    _follow_latest_lines(con, lines_before)  # (before the file's new products join them)
    # a product the store lacks: the name, category and price of its latest line in the file
    # (see _latest_lines), whatever the order of the file's rows
    out["products"] = _create_referenced(con, "products", "product_id", _latest_lines(good))
    # customers named by orders but not imported (Shopify: keyed by the normalised e-mail):
    # e-mail, country and marketing consent as their latest order in the file says (a later
    # "no" withdraws an earlier "yes"), the first order's time as when they became customers
    latest = {
        c: f"arg_max({c}, {{'t': ordered_at, 'l': _line}}) FILTER (WHERE {c} IS NOT NULL) AS {c}"
        for c in ("email", "country", "accepts_marketing")
    }
    out["customers"] = _create_referenced(
        con,
        "customers",
        "customer_id",
        f"SELECT customer_id, {latest['email']}, min(ordered_at) AS created_at, "
        f"{latest['country']}, {latest['accepts_marketing']} "
        f"FROM {good} s WHERE customer_id IS NOT NULL GROUP BY customer_id",
    )


#: products created from order lines whose name, category or price a later file's lines
#: changed (see _follow_latest_lines), with what changed
RELABELLED = "_sl_relabelled"
#: the stored order lines as :func:`_latest_lines` reads them (``_line``: the line's number)
_STORED_LINES = (
    "SELECT l.product_id, l.product_name, l.category, l.unit_price, o.ordered_at, l.order_id, "
    "l.line_no AS _line FROM order_lines l JOIN orders o USING (order_id)"
)


def _latest_lines(rows: str, where: str = "TRUE") -> str:
    """SQL: each product of the order lines ``rows`` (``where`` on them) with the name, category
    and price (``unit_price``) of its latest line that gives one.

    Latest by the order's time, then its id, then the line's place in the order (``_line``,
    which runs within an order as ``line_no`` does): a total order, never the file's row
    order. The lines at each product's latest time are found first and only they are compared
    whole: comparing every line by the three fields took 0.3 CPU-s for 1M lines, six times
    the per-product maximum of the time.
    """
    key = "{'t': s.ordered_at, 'o': s.order_id, 'l': s._line}"
    latest = {
        c: f"max(ordered_at) FILTER (WHERE {c} IS NOT NULL) AS t_{c}"
        for c in ("product_name", "category", "unit_price")
    }
    picked = ", ".join(
        f"arg_max(s.{c}, {key}) FILTER (WHERE s.ordered_at = m.t_{c} AND s.{c} IS NOT NULL) "
        f"AS {'price' if c == 'unit_price' else c}"
        for c in latest
    )
    return (
        f"WITH s AS (SELECT * FROM ({rows}) WHERE product_id IS NOT NULL AND {where}), "
        f"m AS (SELECT product_id, {', '.join(latest.values())} FROM s GROUP BY product_id) "
        f"SELECT s.product_id, {picked} FROM s JOIN m USING (product_id) "
        "WHERE s.ordered_at >= least(m.t_product_name, m.t_category, m.t_unit_price) "
        "GROUP BY s.product_id"
    )


def _follow_latest_lines(con: duckdb.DuckDBPyConnection, lines_before: int | None) -> None:
    """Give products created from order lines (placeholders: no products file named them yet)
    the name, category and price of their latest stored line that gives one, when the lines
    this file added (``order_lines`` beyond ``lines_before``) are later than those before.

    A product created from orders is priced as its latest line (the abandoned carts' value),
    whichever file came first. Only lines from the earliest new line's time on are read: a
    line before it cannot be later than the stored values' own line, which stays when none of
    them gives a value. ``_sl_relabelled`` lists the products changed and whether their name or
    category moved (``service.imports`` dates the change). A products file's row is left as
    it is: the catalogue's word wins.
    """
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {RELABELLED} (product_id VARCHAR, product_name VARCHAR, "
        "category VARCHAR, price DOUBLE, renamed BOOLEAN, moved BOOLEAN)"
    )
    waiting = "SELECT key FROM ingest_placeholders WHERE kind = 'products'"
    if lines_before is None or not con.execute(f"SELECT EXISTS ({waiting})").fetchone()[0]:  # type: ignore[index]
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _sl_new_lines AS SELECT l.product_id, o.ordered_at "
        "FROM order_lines l JOIN orders o USING (order_id) "
        f"WHERE l.rowid > {int(lines_before)} AND l.product_id IN ({waiting})"
    )
    window = (
        "ordered_at >= (SELECT min(ordered_at) FROM _sl_new_lines) "
        "AND product_id IN (SELECT product_id FROM _sl_new_lines)"
    )
    con.execute(
        f"INSERT INTO {RELABELLED} WITH r AS ({_latest_lines(_STORED_LINES, window)}) "
        "SELECT r.product_id, r.product_name, r.category, r.price, "
        "r.product_name IS NOT NULL AND r.product_name IS DISTINCT FROM p.product_name, "
        "r.category IS NOT NULL AND r.category IS DISTINCT FROM p.category "
        "FROM r JOIN products p USING (product_id) WHERE "
        + " OR ".join(
            f"(r.{c} IS NOT NULL AND r.{c} IS DISTINCT FROM p.{c})"
            for c in ("product_name", "category", "price")
        )
    )
    con.execute("DROP TABLE _sl_new_lines")
    con.execute(
        "UPDATE products SET product_name = coalesce(r.product_name, products.product_name), "
        "category = coalesce(r.category, products.category), "
        f"price = coalesce(r.price, products.price) FROM {RELABELLED} r "
        "WHERE products.product_id = r.product_id"
    )


#: each customer's latest marketing word on record (``granted``) and when (``at``): the one
#: consent rule of ``service.consent``, read by every place an import records consent (also
#: ``merging``, when a customers file takes over an e-mail's id)
LATEST_MARKETING = (
    "SELECT customer_id, arg_max(granted, recorded_at) AS granted, max(recorded_at) AS at "
    "FROM consents WHERE lower(purpose) = 'marketing' GROUP BY customer_id"
)


def _record_order_consents(con: duckdb.DuckDBPyConnection, good: str, file: str) -> int:
    """Marketing consent an orders file changes for customers the store already had.

    A customer's consent is their latest ``consents`` record for ``marketing``, else their
    ``accepts_marketing`` flag (see ``service.consent``). An order that says otherwise, placed
    after that record, after the customer's orders already stored (an older file imported
    late is no newer word) and not before the customer was created (a sign-up's "yes" is newer
    than a guest order's "no"), is the customer's newer word: it is recorded (``source`` names
    the file, ``recorded_at`` is the order's time), so a "no" at checkout withdraws an earlier
    "yes" in every audience and survey mailing. Customers this file created already carry the latest
    order's answer (see :func:`_insert_order_tables`); an answer equal to the current one adds
    nothing, so importing an overlapping file again records nothing new.
    """
    n = con.execute(f"SELECT count(accepts_marketing) FROM {good}").fetchone()[0]  # type: ignore[index]
    if not n:
        return 0
    added = con.execute(
        "INSERT INTO consents (customer_id, purpose, granted, recorded_at, source) "
        "WITH o AS ("
        "  SELECT customer_id, arg_max(accepts_marketing, {'t': ordered_at, 'l': _line}) AS said,"
        f"  max(ordered_at) AS at FROM {good} "
        "  WHERE customer_id IS NOT NULL AND accepts_marketing IS NOT NULL GROUP BY customer_id"
        "), stored AS (SELECT customer_id, max(ordered_at) AS at FROM orders "
        "  WHERE customer_id IN (SELECT customer_id FROM o) GROUP BY customer_id) "
        "SELECT o.customer_id, 'marketing', o.said, o.at, ? FROM o "
        "JOIN customers c USING (customer_id) LEFT JOIN stored s USING (customer_id) LEFT JOIN ("
        f"{LATEST_MARKETING}"
        ") k USING (customer_id) "
        "WHERE o.said IS DISTINCT FROM coalesce(k.granted, c.accepts_marketing) "
        "AND (k.at IS NULL OR o.at > k.at) AND (s.at IS NULL OR o.at > s.at) "
        "AND (c.created_at IS NULL OR o.at >= c.created_at) ON CONFLICT DO NOTHING",
        [f"orders: {Path(file).name}"],
    ).fetchone()[0]  # type: ignore[index]
    return int(added)


def _create_referenced(con: duckdb.DuckDBPyConnection, table: str, key: str, select: str) -> int:
    """Insert the rows ``select`` yields that ``table`` lacks, and remember them as
    placeholders a later import of ``table`` may complete."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _sl_ref AS SELECT * FROM ({select}) s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{key} = s.{key})"
    )
    n = con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _sl_ref").fetchone()[0]  # type: ignore[index]
    con.execute(
        f"INSERT INTO ingest_placeholders (kind, key, customer_id) SELECT {sql_str(table)}, "
        f"{key}, {'customer_id' if table == 'customers' else 'NULL'} FROM _sl_ref "
        "ON CONFLICT DO NOTHING"
    )
    con.execute("DROP TABLE _sl_ref")
    return int(n)


def _placeholders_waiting(con: duckdb.DuckDBPyConnection, spec: KindSpec) -> bool:
    """True when rows an orders file created wait to be filled in by a file of ``spec``."""
    if spec.kind not in ("customers", "products"):
        return False
    return bool(
        con.execute(  # type: ignore[index]
            "SELECT EXISTS (SELECT 1 FROM ingest_placeholders WHERE kind = ?)", [spec.kind]
        ).fetchone()[0]
    )


def apply_updates(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, file: str, at: datetime
) -> tuple[int, int]:
    """Change the stored rows a file gives other content (see :func:`flag_conflicts`):
    the file's values where it gives one, the stored ones where it leaves a column blank.
    Returns the rows changed and the consents recorded.

    A customer whose export now says no to marketing where the stored flag did not, and whose
    current word (the latest ``consents`` record, else the stored flag) is yes, withdrew: the
    refusal is recorded as of ``at`` (the import), so every audience and mailing leaves them
    out. (An export that still says the no it said before is no news: a yes recorded since
    stands.) A yes does not undo a refusal on record: an export cannot tell a new opt-in from
    an old list, and only the flag changes (the record still counts).
    """
    if not temp_table_exists(con, UPDATES):
        return 0, 0
    consents = 0
    if spec.kind == "customers":
        consents = int(
            con.execute(  # type: ignore[index]
                "INSERT INTO consents (customer_id, purpose, granted, recorded_at, source) "
                f"SELECT u.customer_id, 'marketing', false, ?, ? FROM {UPDATES} u "
                "JOIN customers c USING (customer_id) "
                f"LEFT JOIN ({LATEST_MARKETING}) k USING (customer_id) "
                "WHERE u.accepts_marketing = false AND c.accepts_marketing IS DISTINCT FROM false "
                "AND coalesce(k.granted, c.accepts_marketing) = true ON CONFLICT DO NOTHING",
                [at, f"customers file: {Path(file).name}"],
            ).fetchone()[0]
        )
    changed = _overwrite_from(con, spec, UPDATES)
    con.execute(f"DROP TABLE {UPDATES}")
    return changed, consents


def _overwrite_from(con: duckdb.DuckDBPyConnection, spec: KindSpec, rows: str) -> int:
    """Give the stored rows of ``spec`` the values of the staged ``rows`` with their key: the
    file's value where it gives one, the stored one where it leaves a column blank. Returns
    the rows changed. (A placeholder completed, a row a later export updates.)"""
    key = ident(spec.key[0])
    target_cols = _columns(con, spec.table)
    content = [c for c in spec.names if c != spec.key[0] and c in target_cols]
    sets = ", ".join(
        f"{ident(c)} = coalesce(s.{ident(c)}, {spec.table}.{ident(c)})" for c in content
    )
    return int(
        con.execute(  # type: ignore[index]
            f"UPDATE {spec.table} SET {sets} FROM {rows} s WHERE {spec.table}.{key} = s.{key}"
        ).fetchone()[0]
    )


def temp_table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the temporary table ``name`` exists (in this connection)."""
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name]
        ).fetchone()[0]  # type: ignore[index]
    )


def adding_or_completing(spec: KindSpec) -> str:
    """SQL condition on the staged rows of a customers or products file: the good rows
    :func:`insert` will add or that complete a placeholder; the others are stored already, the
    same (a stored row with other content is a reject), and change nothing."""
    key = ident(spec.key[0])
    return (
        f"_reject IS NULL AND ({key} NOT IN (SELECT {key} FROM {spec.table}) "
        f"OR {key} IN ({_placeholder_keys(spec)}))"
    )


def _placeholder_keys(spec: KindSpec) -> str:
    return f"SELECT key FROM ingest_placeholders WHERE kind = {sql_str(spec.kind)}"


def complete_placeholders(con: duckdb.DuckDBPyConnection, spec: KindSpec, file: str) -> int:
    """Fill rows created from references (see :func:`_create_referenced`) with the good staged
    rows of the real file; returns the consents recorded.

    The result is the row the file would have made had it come before the orders: its values
    where it gives one, the orders' where it leaves a column blank. A customer's marketing
    answer at checkout is kept as the orders would have kept it (see
    :func:`_keep_checkout_consent`).
    """
    if not _placeholders_waiting(con, spec):
        return 0
    key = ident(spec.key[0])
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {FILL} AS SELECT DISTINCT ON ({key}) * FROM {STAGE} "
        f"WHERE _reject IS NULL AND {key} IN ({_placeholder_keys(spec)})"
    )
    consents = _keep_checkout_consent(con, file) if spec.kind == "customers" else 0
    _overwrite_from(con, spec, FILL)
    con.execute(
        f"DELETE FROM ingest_placeholders WHERE kind = {sql_str(spec.kind)} "
        f"AND key IN (SELECT {key} FROM {FILL})"
    )
    con.execute(f"DROP TABLE {FILL}")
    return consents


def _keep_checkout_consent(con: duckdb.DuckDBPyConnection, file: str) -> int:
    """Customers an orders file created, now filled in by a customers file (``_sl_fill``):
    record their checkout answer where the orders would have recorded it had the customers
    file come first (see :func:`_record_order_consents`, the one rule).

    The customer's row then takes the file's ``accepts_marketing`` (as it would have), and the
    checkout answer becomes a ``consents`` record when it differs from that, was given not
    before the customer was created (``created_at``: a sign-up's "yes" is newer than a guest
    order's "no") and no word was recorded since the customer's first order (later orders
    files record theirs). The answer's time is the customer's latest stored order: the store
    keeps no answer per order, so an answer given earlier than a later order that gave none
    is dated at that later order.
    """
    added = con.execute(
        "INSERT INTO consents (customer_id, purpose, granted, recorded_at, source) "
        "SELECT c.customer_id, 'marketing', c.accepts_marketing, o.at, ? "
        f"FROM {FILL} s JOIN customers c USING (customer_id) JOIN ("
        "  SELECT customer_id, max(ordered_at) AS at FROM orders "
        f"  WHERE customer_id IN (SELECT customer_id FROM {FILL}) GROUP BY customer_id"
        ") o USING (customer_id) LEFT JOIN ("
        f"{LATEST_MARKETING}"
        ") k USING (customer_id) "
        "WHERE c.accepts_marketing IS NOT NULL AND s.accepts_marketing IS NOT NULL "
        "AND c.accepts_marketing IS DISTINCT FROM coalesce(k.granted, s.accepts_marketing) "
        "AND (k.at IS NULL OR k.at < c.created_at) "
        "AND (s.created_at IS NULL OR o.at >= s.created_at) ON CONFLICT DO NOTHING",
        [f"orders, before customers: {Path(file).name}"],
    ).fetchone()[0]  # type: ignore[index]
    return int(added)


def _link_emails(con: duckdb.DuckDBPyConnection) -> None:
    """Staged tickets, returns or order lines that give an e-mail but no customer_id (their
    customer_id is the e-mail's own key, see ``kinds.email_key_sql``) join the customer who has
    that e-mail, when exactly one customer has it; otherwise they keep the e-mail's key.

    Orders: a Shopify export imported after the shop's customers file lands on the customer
    (``CRM1``) instead of a second id for the same person. In the other order — Shopify first —
    the rows keep the e-mail's key until the customers file comes, which moves them to its
    customer (``merging.absorb_email_keys``)."""
    con.execute(
        f"UPDATE {STAGE} s SET customer_id = m.customer_id FROM ("
        "  SELECT email, any_value(customer_id) AS customer_id FROM customers "
        f"  WHERE email IN (SELECT email FROM {STAGE} WHERE email IS NOT NULL) "
        "  GROUP BY email HAVING count(*) = 1"
        f") m WHERE s.email = m.email AND s.customer_id = {email_key_sql('s.email')}"
    )


def _has_primary_key(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return con.execute(  # type: ignore[index]
        "SELECT EXISTS (SELECT 1 FROM duckdb_constraints() WHERE table_name = ? "
        "AND schema_name = 'main' AND constraint_type = 'PRIMARY KEY')",
        [table],
    ).fetchone()[0]


def _repeats_keys(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, after: int | None = None, added: int = 0
) -> bool:
    """A table without a primary key (``events``, see migration 008) after an optimistic insert:
    TRUE unless every key is distinct. The anti-join kept new rows off stored keys, so a repeat
    can only come from the file. Distinct 64-bit hashes prove distinct keys; a collision merely
    sends the call to the exact path, which is right either way.

    ``after``: the table's largest ``rowid`` before the insert of ``added`` rows. Rows appended
    in the transaction come after it, so only they are checked — when exactly ``added`` rows
    lie beyond it; otherwise the whole table is. A daily file into a store of 10M events took
    1 s for this check over the whole table, 4 ms over its own rows.
    """
    keys = ", ".join(ident(k) for k in spec.key)
    check = f"SELECT count(*), count(DISTINCT hash({keys})) FROM {spec.table}"
    if after is not None:
        n, distinct = con.execute(f"{check} WHERE rowid > {int(after)}").fetchone()  # type: ignore[misc]
        if n == added:
            return bool(n != distinct)
    n, distinct = con.execute(check).fetchone()  # type: ignore[misc]
    return bool(n != distinct)


def max_rowid(con: duckdb.DuckDBPyConnection, table: str) -> int | None:
    return con.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0]  # type: ignore[index]


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]  # type: ignore[index]


@contextmanager
def _unordered(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Let DuckDB insert in parallel without keeping row order (the keys make order moot)."""
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        with suppress(duckdb.Error):  # an aborted transaction: begin() resets it on retry
            con.execute("RESET preserve_insertion_order")


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = 'main'",
        [table],
    ).fetchall()
    return {r[0] for r in rows}


__all__ = [
    "REJECTS",
    "STAGE",
    "TOUCHED",
    "begin",
    "collect_rejects",
    "finish",
    "first_rejects",
    "flag_conflicts",
    "insert",
    "reject_whole_orders",
    "restated",
    "stage",
    "write_rejects_csv",
]
