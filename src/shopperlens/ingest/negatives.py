"""An orders file's lines with a negative quantity as returns (``--negative-lines returns``).

A till or accounting export (the UCI Online Retail file's ``C…`` invoices, a POS's credit
notes) writes what came back as order lines with a negative quantity. Under the option such
a line is no order line but a row of ``returns``, stored by the same call (one transaction:
all or nothing) and checked as every returns row is (see ``loading.flag_conflicts``):

- its id is its order id and its place among that order's negative lines in the file
  (``C536391/3``), so the same file, or an overlapping one, gives the same ids and adds only
  the returns that are new;
- its customer, product and time are the line's (its e-mail joins a stored customer as an
  order line's does), its quantity the line's without the sign; it names no order (a credit
  note's number is its own, not the sale's) and no reason (the file gives none);
- a negative line with a fault in another column is rejected as any order line is, and still
  counts in its order's places, so the ids of the others do not move once it is corrected;
- it is a line of its order: its customer must agree with the order's other lines (a blank
  one agrees), with ``on_error="skip"`` the order is kept out whole with it (see
  ``loading.reject_whole_orders``), and rung up within ``loading.ORDER_TIME_SPREAD`` of the
  order it takes the order's time (one till transaction, one time; a return written later
  against the invoice keeps its own).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import duckdb

from shopperlens.ingest import loading
from shopperlens.ingest.kinds import KINDS
from shopperlens.ingest.rejects import sql_str

#: the staged order lines set aside as returns, in the shape of the returns kind (and
#: ``_order_id``, the order they are lines of)
NEGATIVE = loading.NEGATIVE
#: the reason every line of an order whose lines name two customers is rejected with (the
#: sale lines' rule, ``loading._flag_disagreeing_orders``)
_DISAGREE = "lines of one order disagree on customer_id"


@dataclass(frozen=True)
class Returned:
    """What an orders file's negative lines did: ``lines`` stored as returns or already
    stored the same, ``rejected`` (a return stored with other content), ``added`` (new
    returns), and ``returns``' largest rowid before them (None: the table was empty)."""

    lines: int = 0
    rejected: int = 0
    added: int = 0
    before: int | None = None


def set_aside(con: duckdb.DuckDBPyConnection) -> int:
    """Move the good staged lines with a negative quantity to ``_sl_negative`` as returns
    rows; returns how many. Called while staging, after e-mails joined their customers and
    before the lines of an order are numbered: a sale's ``line_no`` is then the same as in a
    file without them. A rejected negative line stays staged: its reject is an order line's,
    with its file, line, column and reason."""
    stage = loading.STAGE
    _flag_disagreeing_customers(con)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {NEGATIVE} AS SELECT _line, order_id AS _order_id, "
        "order_id || '/' || "
        "row_number() OVER (PARTITION BY order_id ORDER BY _line) AS return_id, "
        "CAST(NULL AS VARCHAR) AS order_id, customer_id, product_id, "
        "ordered_at AS returned_at, -quantity AS quantity, CAST(NULL AS VARCHAR) AS reason, "
        f"email, _reject FROM {stage} WHERE quantity < 0"
    )
    con.execute(f"DELETE FROM {NEGATIVE} WHERE _reject IS NOT NULL")
    return int(
        con.execute(f"DELETE FROM {stage} WHERE quantity < 0 AND _reject IS NULL").fetchone()[0]  # type: ignore[index]
    )


def _flag_disagreeing_customers(con: duckdb.DuckDBPyConnection) -> None:
    """Reject every line of an order with negative lines whose lines name two customers, as
    the sale lines' rule does: set aside, a ``c2`` negative line inside ``c1``'s order would
    otherwise be ``c2``'s return, unchecked against the order it is written in. A blank
    customer agrees (``min``/``max`` skip it). Orders of sales alone are left to that rule."""
    stage = loading.STAGE
    con.execute(
        f"UPDATE {stage} s SET _reject = {{'column': 'customer_id', 'value': s.customer_id, "
        f"'reason': {sql_str(_DISAGREE)}}} FROM (SELECT order_id FROM {stage} "
        "WHERE _reject IS NULL GROUP BY order_id "
        "HAVING min(quantity) < 0 AND min(customer_id) <> max(customer_id)) d "
        "WHERE s._reject IS NULL AND s.order_id = d.order_id"
    )


def _take_order_times(con: duckdb.DuckDBPyConnection) -> None:
    """Give a staged return made from a line of a stored order (stored by this file or an
    earlier one) the order's time when the two lie at most :data:`loading.ORDER_TIME_SPREAD`
    apart, as an order's own lines are given it: a till stamps each line, so an
    exchange rung up across a minute's turn is one transaction, and an overlapping export
    holding its later lines gives the same return again, not a clash. A return further off
    was written later against the invoice: it keeps its own time."""
    loading.take_stored_order_times(con, "returned_at", "_order_id")


def import_returns(
    con: duckdb.DuckDBPyConnection,
    file: str,
    named: Mapping[str, str] | None,
    lines_of: Callable[[list[int]], dict[int, int]] | None,
) -> Returned:
    """Store the returns :func:`set_aside` kept, after the file's orders (their stage is
    done with): a return stored with other content is a reject naming the order id's column
    (``named``, ``lines_of``: as for the order lines' rejects); the others are inserted when
    new."""
    if not loading.temp_table_exists(con, NEGATIVE):
        return Returned()
    spec = KINDS["returns"]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {loading.STAGE} AS SELECT * FROM {NEGATIVE}")
    con.execute(f"DROP TABLE {NEGATIVE}")
    n = int(con.execute(f"SELECT count(*) FROM {loading.STAGE}").fetchone()[0])  # type: ignore[index]
    if not n:
        return Returned()
    _take_order_times(con)
    repeated = loading.flag_conflicts(con, spec)
    # a return's id is no column of the file: its reject names the order id it is made from
    con.execute(
        f"UPDATE {loading.STAGE} SET _reject = {{'column': 'order_id', "
        "'value': _reject['value'], 'reason': _reject['reason']} "
        "WHERE _reject['column'] = 'return_id'"
    )
    if lines_of is not None:
        loading.relocate_rejects(con, lines_of)
    rejected = loading.collect_rejects(con, file, named)
    before = loading.max_rowid(con, spec.table)
    added = loading.insert(con, spec, repeated, file)[spec.table]
    return Returned(lines=n - rejected, rejected=rejected, added=added, before=before)
