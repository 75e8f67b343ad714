"""Consent: what a customer allowed, recorded and read by one rule for every use.

A customer's word is their latest ``consents`` record for the purpose (a checkbox at checkout,
a preference centre, a signed case-study form, an orders file that says otherwise: see
``ingest.loading``); a customer with no marketing record at all has the shop's own
``customers.accepts_marketing`` flag. A withdrawal recorded after a "yes" therefore wins,
wherever the list of people is drawn up.

Records are added by hand (:func:`record_consent`: the CLI's ``consent set``, ``POST
/api/consents``, ``shop.consent_set``) or from a CSV file (:func:`import_consents`), only for
the purposes something in shopperlens reads (:data:`PURPOSES`) and for customers the store
has. Records are never changed: a new one supersedes the old.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from pydantic import BaseModel

from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.store import Store

#: purposes that mean "may be sent marketing e-mail"
MARKETING: tuple[str, ...] = ("marketing",)

#: the purposes a record may be added for, and what reads them
PURPOSES: dict[str, str] = {
    "marketing": "marketing e-mail and ad audiences (else customers.accepts_marketing)",
    "survey": "survey invitations by e-mail (with marketing)",
    "case_study": "case-study candidates: only customers whose latest record grants it",
    "testimonial": "quotes on persona cards: never of a customer whose latest record refuses",
    "referral": "referral candidates (with marketing)",
}

#: how a file or a person says yes / no
_YES = frozenset({"true", "yes", "y", "1", "granted", "grant", "given", "opt-in", "opt_in"})
_NO = frozenset(
    {"false", "no", "n", "0", "refused", "refuse", "withdrawn", "denied", "opt-out", "opt_out"}
)
#: the longest source text kept (a form name, a ticket number, "call with Ann")
MAX_SOURCE = 200


class ConsentRecord(BaseModel):
    customer_id: str
    purpose: str
    granted: bool
    recorded_at: datetime
    source: str | None = None


class ConsentImportResult(BaseModel):
    file: str
    rows_read: int
    added: int
    unchanged: int
    already_imported: bool = False


def allowed(*, store: Store, purposes: Iterable[str] = MARKETING) -> set[str]:
    """Customer ids whose latest record for any of ``purposes`` grants it, or who have no such
    record and ``accepts_marketing``."""
    rows = store.df(
        "WITH latest AS (SELECT customer_id, arg_max(granted, recorded_at) AS granted "
        " FROM consents WHERE lower(purpose) IN (SELECT lower(unnest(?))) GROUP BY 1) "
        "SELECT c.customer_id FROM customers c LEFT JOIN latest l USING (customer_id) "
        "WHERE coalesce(l.granted, c.accepts_marketing, false)",
        [list(purposes)],
    )
    return set(rows["customer_id"])


def purpose_name(purpose: object) -> str:
    """``Case-study`` / ``case study`` → ``case_study``; refused unless in :data:`PURPOSES`."""
    word = str(purpose).strip().lower().replace("-", "_").replace(" ", "_")
    if word not in PURPOSES:
        raise ShopperlensError(
            f"unknown consent purpose {str(purpose)[:40]!r}; one of {', '.join(PURPOSES)}"
        )
    return word


def granted_value(value: object) -> bool:
    """A yes/no as files and people write it (``true``, ``yes``, ``granted``, ``0`` …)."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ShopperlensError("granted must be yes or no (true/false, granted/refused)")


def record_consent(
    *,
    store: Store,
    customer_id: str,
    purpose: str,
    granted: bool,
    source: str | None = None,
    recorded_at: datetime | None = None,
) -> ConsentRecord:
    """Add one record (now, unless ``recorded_at``): the customer's latest word for
    ``purpose``. The customer must be in the store."""
    rec = _record(customer_id, purpose, granted, source, recorded_at or datetime.now())
    with store.transaction() as con:
        _check_customers(con, [rec.customer_id])
        _insert(con, [rec])
    return rec


def list_consents(
    *, store: Store, customer_id: str | None = None, purpose: str | None = None
) -> list[ConsentRecord]:
    """Consent records, newest first per customer (one customer's, or one purpose's)."""
    where, params = [], []
    if customer_id is not None:
        where.append("customer_id = ?")
        params.append(customer_id)
    if purpose is not None:
        where.append("lower(purpose) = ?")
        params.append(purpose_name(purpose))
    sql = "SELECT customer_id, purpose, granted, recorded_at, source FROM consents"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = store.execute(sql + " ORDER BY customer_id, recorded_at DESC, purpose", params)
    return [
        ConsentRecord(customer_id=c, purpose=p, granted=g, recorded_at=t, source=s)
        for c, p, g, t, s in rows.fetchall()
    ]


def import_consents(*, store: Store, path: str | Path) -> ConsentImportResult:
    """Import a CSV of consent records: ``customer_id, purpose, granted`` and optionally
    ``recorded_at`` (ISO date/time; default: now) and ``source`` (default: the file's name).

    All or nothing: one bad row refuses the file, each problem named by line and column (the
    values themselves are not repeated). The same file twice is recognised by its checksum;
    a row the store already holds (same customer, purpose, time and answer) is not added again.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ShopperlensError(f"cannot read {p}: {exc.strerror}") from None
    checksum = hashlib.sha256(raw).hexdigest()
    if store.scalar(
        "SELECT count(*) FROM imports WHERE kind = 'consents' AND checksum = ?", [checksum]
    ):
        return ConsentImportResult(
            file=str(p), rows_read=0, added=0, unchanged=0, already_imported=True
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    records, problems = _parse(text, p.name)
    with store.transaction() as con:
        missing = _missing_customers(con, [r.customer_id for _, r in records])
        problems += [
            f"line {line}: customer_id: no customer with that id"
            for line, r in records
            if r.customer_id in missing
        ]
        if problems:
            shown = "\n".join(sorted(problems, key=_line_no)[:20])
            raise ShopperlensError(
                f"{p.name}: {len(problems)} problems, nothing imported:\n{shown}"
            )
        before = _count(con)
        _insert(con, [r for _, r in records])
        added = _count(con) - before
        con.execute(
            "INSERT INTO imports (kind, format, file, checksum, rows_read, rows_accepted,"
            " rows_rejected, imported_at) VALUES ('consents', 'csv', ?, ?, ?, ?, 0, ?)",
            [str(p), checksum, len(records), len(records), datetime.now()],
        )
    return ConsentImportResult(
        file=str(p), rows_read=len(records), added=added, unchanged=len(records) - added
    )


def _line_no(problem: str) -> int:
    return int(problem.split(":", 1)[0].removeprefix("line ") or 0)


def _parse(text: str, name: str) -> tuple[list[tuple[int, ConsentRecord]], list[str]]:
    """(line, record) per good row and a problem per bad one (line and column, no value)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    need = [c for c in ("customer_id", "purpose", "granted") if c not in header]
    if need:
        raise ShopperlensError(
            f"{name}: needs the columns customer_id, purpose, granted (missing: {', '.join(need)})"
        )
    reader.fieldnames = header
    now = datetime.now()
    records, problems = [], []
    for i, row in enumerate(reader):
        line = i + 2
        problem = None
        cid = (row.get("customer_id") or "").strip()
        source = (row.get("source") or "").strip() or f"file: {name}"
        if None in row:
            problem = "(row): more cells than header columns"
        elif not cid:
            problem = "customer_id: is empty"
        elif not _known_purpose(row.get("purpose") or ""):
            problem = f"purpose: not one of {', '.join(PURPOSES)}"
        elif (row.get("granted") or "").strip().lower() not in _YES | _NO:
            problem = "granted: must be yes or no (true/false, granted/refused)"
        elif len(source) > MAX_SOURCE:
            problem = f"source: longer than {MAX_SOURCE} characters"
        else:
            try:
                at = _timestamp(row.get("recorded_at")) or now
            except ValueError:
                problem = "recorded_at: not an ISO date/time"
        if problem:
            problems.append(f"line {line}: {problem}")
            continue
        rec = _record(cid, row["purpose"], granted_value(row["granted"]), source, at)
        records.append((line, rec))
    return records, problems


def _known_purpose(word: str) -> bool:
    try:
        purpose_name(word)
    except ShopperlensError:
        return False
    return True


def _timestamp(text: str | None) -> datetime | None:
    if text is None or not text.strip():
        return None
    at = datetime.fromisoformat(text.strip())
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def _record(
    customer_id: str, purpose: str, granted: bool, source: str | None, at: datetime
) -> ConsentRecord:
    cid = str(customer_id).strip()
    if not cid:
        raise ShopperlensError("customer_id is empty")
    if not isinstance(granted, bool):
        raise ShopperlensError("granted must be yes or no (true/false, granted/refused)")
    text = (source or "").strip() or None
    if text is not None and len(text) > MAX_SOURCE:
        raise ShopperlensError(f"source is longer than {MAX_SOURCE} characters")
    return ConsentRecord(
        customer_id=cid, purpose=purpose_name(purpose), granted=granted, recorded_at=at,
        source=text,
    )  # fmt: skip


def _missing_customers(con: duckdb.DuckDBPyConnection, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    rows = con.execute(
        "SELECT DISTINCT i FROM unnest(?::VARCHAR[]) t(i) "
        "WHERE i NOT IN (SELECT customer_id FROM customers)",
        [ids],
    ).fetchall()
    return {r[0] for r in rows}


def _check_customers(con: duckdb.DuckDBPyConnection, ids: list[str]) -> None:
    if _missing_customers(con, ids):
        raise NotFoundError("no customer with that id (import the customer first)")


def _count(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM consents").fetchone()[0])  # type: ignore[index]


def _insert(con: duckdb.DuckDBPyConnection, records: list[ConsentRecord]) -> None:
    """Add records not already held; a record at the same time for the same customer and
    purpose that says otherwise is refused (two answers at one instant: which one counts?)."""
    if not records:
        return
    cols = {
        "customer_id": [r.customer_id for r in records],
        "purpose": [r.purpose for r in records],
        "granted": [r.granted for r in records],
        "recorded_at": [r.recorded_at for r in records],
        "source": [r.source for r in records],
    }
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _consent_new AS SELECT unnest($1::VARCHAR[]) AS "
        "customer_id, unnest($2::VARCHAR[]) AS purpose, unnest($3::BOOLEAN[]) AS granted, "
        "unnest($4::TIMESTAMP[]) AS recorded_at, unnest($5::VARCHAR[]) AS source",
        list(cols.values()),
    )
    try:
        clash = con.execute(
            "SELECT count(*) FROM (SELECT customer_id, purpose, recorded_at FROM _consent_new "
            "GROUP BY ALL HAVING count(DISTINCT granted) > 1 UNION ALL "
            "SELECT n.customer_id, n.purpose, n.recorded_at FROM _consent_new n JOIN consents c "
            "USING (customer_id, purpose, recorded_at) WHERE c.granted <> n.granted)"
        ).fetchone()[0]  # type: ignore[index]
        if clash:
            raise ShopperlensError(
                f"{clash} records say yes and no for the same customer, purpose and time; "
                "give them different times"
            )
        con.execute(
            "INSERT INTO consents SELECT DISTINCT ON (customer_id, purpose, recorded_at) "
            "customer_id, purpose, granted, recorded_at, source FROM _consent_new n "
            "WHERE NOT EXISTS (SELECT 1 FROM consents c WHERE c.customer_id = n.customer_id "
            "AND c.purpose = n.purpose AND c.recorded_at = n.recorded_at)"
        )
    finally:
        con.execute("DROP TABLE IF EXISTS _consent_new")
