"""What is in the store: row counts per table and the import ledger."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shopperlens.errors import ShopperlensError
from shopperlens.store import CANONICAL_TABLES, Store


class TableSummary(BaseModel):
    name: str
    rows: int


class ImportRecord(BaseModel):
    import_id: int
    kind: str
    format: str
    file: str
    checksum: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    #: stored orders whose status the file changed (a later export's refund or cancellation)
    status_changed: int = 0
    #: lines with a negative quantity an orders file stored as returns (``--negative-lines
    #: returns``), counted in ``rows_accepted``
    returns: int = 0
    imported_at: datetime
    #: the earliest moment the file's rows speak of (an order's, an event's time): a stored
    #: types run as of an earlier date is still current after this import. None: not known
    #: (a kind without times, undated rows, a ledger row older than the column), which counts
    #: as any date; 9999-12-31T23:59:59.999999: the file added and changed nothing
    earliest_at: datetime | None = None
    #: ``{canonical column: the file's column}`` a generic file was read with (its ``--map``
    #: applied); None for the formats that read fixed columns and for older ledger rows
    columns_read: dict[str, str] | None = None


#: the customer-profile tables listed after the canonical ones: surveys and their answers,
#: interview notes and personas are what the store holds too
PROFILE_TABLES: tuple[str, ...] = (
    "surveys",
    "survey_responses",
    "survey_answers",
    "interview_notes",
    "persona_runs",
    "personas",
)


def table_summaries(*, store: Store) -> list[TableSummary]:
    """Row count of every canonical table, then of the profile tables (:data:`PROFILE_TABLES`):
    a store holding 600 survey answers listed none of them. A profile table a store does not
    have (yet) holds 0 rows."""
    present = set(store.tables())
    return [TableSummary(name=t, rows=store.count(t)) for t in CANONICAL_TABLES] + [
        TableSummary(name=t, rows=store.count(t) if t in present else 0) for t in PROFILE_TABLES
    ]


#: the ledger rows the CLI and the HTTP API show unless asked for more (``--limit``,
#: ``?limit=``): a screenful, and every file of a few months of weekly exports
IMPORTS_SHOWN = 100


class ImportLedger(list[ImportRecord]):
    """Ledger rows, newest first, and ``total``: how many the ledger holds. A list, as the
    ledger always was, so a face showing fewer rows than the ledger holds can say so
    (:attr:`note`): the ledger stopped at the newest 100 files without a word."""

    def __init__(self, rows: Iterable[ImportRecord] = (), *, total: int, offset: int = 0) -> None:
        super().__init__(rows)
        #: rows in the whole ledger
        self.total = total
        #: newer rows skipped before the first one here
        self.offset = offset

    @property
    def complete(self) -> bool:
        """Whether these rows are the whole ledger."""
        return self.offset == 0 and len(self) >= self.total

    @property
    def note(self) -> str:
        """Which part of the ledger these rows are ("the newest 100 of 137 imports"); empty
        when they are all of it. Plain ASCII: the HTTP API sends it in a header."""
        if self.complete:
            return ""
        if not self.offset:
            return f"the newest {len(self):,} of {self.total:,} imports"
        if not self:
            return f"no imports after the newest {self.offset:,}: the ledger holds {self.total:,}"
        first, last = self.offset + 1, self.offset + len(self)
        if first == last:
            return f"import {first:,} of {self.total:,}, newest first"
        return f"imports {first:,}-{last:,} of {self.total:,}, newest first"


def ledger_limit(limit: int | str | None) -> int | None:
    """How many ledger rows to return, as every face takes it: a count, or ``0``, ``"all"``
    or None for every row (None is what :func:`import_history` takes for every row)."""
    text = "all" if limit is None else str(limit).strip().lower()
    if text == "all":
        return None
    if not text.isdecimal():  # (a negative count, a bool, a word)
        raise ShopperlensError(
            f"limit must be a number of imports, or 0 or all for every one, not {limit!r}"
        )
    # beyond the ledger's size a count means every row (and DuckDB takes no count past 2**63)
    return min(int(text), _EVERY) or None


#: more ledger rows than any store holds: a larger count or offset reads as this
_EVERY = 2**62


def import_history(
    *, store: Store, limit: int | str | None = None, offset: int = 0
) -> ImportLedger:
    """The import ledger, newest first: ``limit`` rows (see :func:`ledger_limit`; None: every
    row) after the newest ``offset``, with the ledger's total."""
    if offset < 0:
        raise ShopperlensError(f"offset must be 0 or more, not {offset}")
    shown = ledger_limit(limit)
    offset = min(offset, _EVERY)
    sql = "SELECT * FROM imports ORDER BY import_id DESC LIMIT ? OFFSET ?"
    with store.cursor() as cur:
        total = int(cur.execute("SELECT count(*) FROM imports").fetchall()[0][0])
        cur.execute(sql, [shown, offset])  # (LIMIT NULL: every row)
        names = [d[0] for d in cur.description or ()]
        found = [_record(dict(zip(names, row, strict=True))) for row in cur.fetchall()]
    return ImportLedger(found, total=total, offset=offset)


def _record(row: dict[str, Any]) -> ImportRecord:
    """One ``imports`` row as a record: ``status_changed`` and ``returns`` are NULL for other
    kinds than orders (and older rows), ``columns_read`` is stored as a JSON object."""
    row["status_changed"] = row.get("status_changed") or 0
    row["returns"] = row.get("returns") or 0
    if row.get("columns_read") is not None:
        row["columns_read"] = json.loads(row["columns_read"])
    fields = ImportRecord.model_fields
    return ImportRecord(**{k: v for k, v in row.items() if k in fields})
