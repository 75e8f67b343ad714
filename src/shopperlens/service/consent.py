"""Consent: what a customer allowed, recorded and read by one rule for every use.

A customer's word is their latest ``consents`` record for the purpose (a checkbox at checkout,
a preference centre, a signed case-study form, an orders file that says otherwise: see
``ingest.loading``); a customer with no marketing record at all has the shop's own
``customers.accepts_marketing`` flag. A withdrawal recorded after a "yes" therefore wins,
wherever the list of people is drawn up.

Records are added by hand (:func:`record_consent`: the CLI's ``consent set``, ``POST
/api/consents``, ``shop.consent_set``) or from a CSV file (:func:`import_consents`), only for
the purposes something in shopperlens reads (:data:`PURPOSES`) and for customers the store
has. Records are never changed: a new one supersedes the old. A record is dated when the
customer gave their answer, never later than now (a "yes" dated in the future would outrank
every withdrawal until then).

**A file row without ``recorded_at``** says an answer but not when it was given. When the
store already holds a record for that customer and purpose with the same answer and source
(any source, when the row gives none), the row restates that record and is not added again —
for a "yes" even when a later record says "no": a file exported before a withdrawal and
imported again must not bring the old "yes" back. An undated "no" against a later "yes" is a
new withdrawal and is recorded (see :func:`_restated`). A row that matches no record held is
new, and is dated at the import. Give ``recorded_at`` to record a repeated grant as new.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from contextlib import suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NamedTuple

import duckdb
import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from shopperlens.emails import inbox_key_sql
from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.ingest.generic import normalise_header
from shopperlens.service._clock import naive_utc, utc_now
from shopperlens.store import Store
from shopperlens.textfiles import csv_stream, decode_text, first_line

#: purposes that mean "may be sent marketing e-mail"
MARKETING: tuple[str, ...] = ("marketing",)

#: the purposes a record may be added for, and what reads them
PURPOSES: dict[str, str] = {
    "marketing": "marketing e-mail and ad audiences (else customers.accepts_marketing)",
    "survey": "survey and interview invitations by e-mail (else marketing's rule)",
    "case_study": "case-study candidates: only customers whose latest record grants it",
    "testimonial": "quotes on persona cards: never of a customer whose latest record refuses",
    "referral": "referral candidates (else marketing's rule)",
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
    superseded: int = Field(
        0,
        description="undated rows (among the unchanged) restating an answer that a later "
        "record contradicts: the later record still counts",
    )
    already_imported: bool = False


def allowed(
    *, store: Store, purposes: Iterable[str] = MARKETING, own: str | None = None
) -> set[str]:
    """Customer ids whose latest record for any of ``purposes`` grants it, or who have no such
    record and ``accepts_marketing`` — unless another customer id with the same e-mail address
    says no, or the address has a refusal kept from an erased customer.

    ``own``: the purpose of the mail itself (``survey``, ``referral``). A customer's latest
    record for it, when there is one, is their word, whatever they said about marketing in
    general since: a "no" to surveys stays a no after a "yes" to the newsletter, and a "yes" to
    the referral programme stands after a "no" to marketing.

    Mail goes to an address, and an unsubscribe is the address's owner saying no: one person
    can hold two ids (a Shopify export's e-mail key beside the shop's own id) and a family can
    share an inbox. So a "no" on any id of an address (its latest record, or with no record a
    false ``accepts_marketing``) keeps every id of that address out; an id with no word at all
    (no record, no flag) blocks nobody. Addresses are compared as the inbox they reach
    (:func:`~shopperlens.emails.inbox_key`: Gmail's dots and ``+tag`` do not make another
    inbox). A refusal kept when its customer was erased (:func:`keep_refusals`) blocks the
    address the same way, until a customer id of that address says yes after the erasure.
    """
    words, params = _words_sql(purposes, own)
    rows = store.df(
        f"WITH {words}, "
        "refused AS (SELECT DISTINCT address FROM word WHERE address IS NOT NULL AND NOT says), "
        f"{_SUPPRESSED} "
        "SELECT customer_id FROM word WHERE coalesce(says, false) "
        "AND (address IS NULL OR (address NOT IN (SELECT address FROM refused) "
        "AND sha256(address) NOT IN (SELECT address_sha256 FROM suppressed)))",
        [*params, [own] if own else list(purposes)],
    )
    return set(rows["customer_id"])


def _words_sql(purposes: Iterable[str], own: str | None) -> tuple[str, list[object]]:
    """SQL CTEs ending in ``word``: each customer's ``address`` (:func:`inbox_key_sql`), their
    word by :func:`allowed`'s rule (``says``: NULL for none) and when the record that gave it
    was dated (``said_at``: NULL for the undated ``accepts_marketing`` flag); with its
    parameters. :func:`allowed` and :func:`keep_refusals` read one rule."""
    sql = (
        "general AS (SELECT customer_id, arg_max(granted, recorded_at) AS granted, "
        " max(recorded_at) AS at FROM consents WHERE lower(purpose) IN "
        " (SELECT lower(unnest(?))) GROUP BY 1), "
        "own AS (SELECT customer_id, arg_max(granted, recorded_at) AS granted, "
        " max(recorded_at) AS at FROM consents WHERE lower(purpose) = lower(?) GROUP BY 1), "
        f"word AS (SELECT c.customer_id, {inbox_key_sql('c.email')} AS address, "
        " coalesce(o.granted, g.granted, c.accepts_marketing) AS says, "
        " CASE WHEN o.granted IS NOT NULL THEN o.at ELSE g.at END AS said_at "
        " FROM customers c LEFT JOIN general g USING (customer_id) "
        " LEFT JOIN own o USING (customer_id))"
    )
    return sql, [list(purposes), own or ""]


#: SQL CTE (after ``word``; one parameter: the purposes of the rule) of the kept refusals
#: that still count: those no customer id of the address has lifted by a "yes" dated after
#: the erasure kept it (the erased person cannot be told from the address's other readers
#: any more, and a fresh "yes" for the inbox is the only way its owner can opt back in)
_SUPPRESSED = (
    "suppressed AS (SELECT s.address_sha256 FROM consent_suppressions s "
    "WHERE lower(s.purpose) IN (SELECT lower(unnest(?))) AND NOT EXISTS (SELECT 1 FROM word w "
    "WHERE w.says AND w.said_at > s.kept_at AND w.address IS NOT NULL "
    "AND sha256(w.address) = s.address_sha256))"
)

#: the rules that read an address's refusal (:func:`allowed` with ``own`` None, then each
#: purpose falling back on marketing's): the purposes a refusal is kept for at erasure
_ADDRESS_RULES: tuple[str, ...] = (*MARKETING, "referral", "survey")


def keep_refusals(con: duckdb.DuckDBPyConnection, ids: list[str], at: datetime) -> int:
    """Before customers ``ids`` are erased (in the erasure's transaction): for each rule of
    :data:`_ADDRESS_RULES` under which one of them refuses, keep the refusal for their address
    in ``consent_suppressions`` — the SHA-256 of the address (:func:`inbox_key_sql`), the
    purpose, when the refusal was given (NULL for the ``accepts_marketing`` flag) and ``at``.
    How many were kept.

    Their refusal kept every other id of the address out (:func:`allowed`); deleted with them,
    it let a shared inbox be mailed again. An objection to marketing has to keep working after
    erasure (GDPR Art. 17(3) and 21), so the address's hash is kept, nothing else of them."""
    kept = 0
    for rule in _ADDRESS_RULES:
        own = None if rule in MARKETING else rule
        words, params = _words_sql(MARKETING, own)
        row = con.execute(
            f"INSERT INTO consent_suppressions (address_sha256, purpose, refused_at, kept_at) "
            f"WITH {words} SELECT sha256(address), ?, max(said_at), ? FROM word "
            "WHERE customer_id IN (SELECT unnest(?::VARCHAR[])) AND address IS NOT NULL "
            "AND address <> '' AND NOT says GROUP BY address",
            [*params, rule, at, ids],
        ).fetchone()
        kept += int(row[0]) if row and row[0] else 0
    return kept


#: the purposes whose rule falls back on marketing's for a customer without a record of their own
_FALLS_BACK_ON_MARKETING = frozenset({"survey", "referral"})


def on_record(*, store: Store, purpose: str) -> bool:
    """Whether the shop holds anyone's word on ``purpose``: a ``consents`` record for it, and
    for marketing a ``customers.accepts_marketing`` value too (for survey and referral, whose
    rule falls back on marketing's, a marketing word counts).

    :func:`allowed` reads a customer without any word as a no, and nobody without consent is
    e-mailed. But a shop that recorded no word at all cannot tell a refusal from a customer
    never asked: its customers file had no ``accepts_marketing`` column and "46 customers gave
    no marketing consent" read as 46 refusals. The playbook asks this first and then says that
    no consent is on record, and which import adds it.
    """
    word = purpose_name(purpose)
    if store.scalar("SELECT count(*) FROM consents WHERE lower(purpose) = ?", [word]):
        return True
    if word in MARKETING:
        held = "SELECT count(*) FROM customers WHERE accepts_marketing IS NOT NULL"
        return bool(store.scalar(held))
    return word in _FALLS_BACK_ON_MARKETING and on_record(store=store, purpose=MARKETING[0])


def purpose_name(purpose: object) -> str:
    """``Case-study`` / ``case study`` → ``case_study``; refused unless in :data:`PURPOSES`."""
    word = str(purpose).strip().lower().replace("-", "_").replace(" ", "_")
    if word not in PURPOSES:
        raise ShopperlensError(
            f"unknown consent purpose {str(purpose)[:40]!r}; one of {', '.join(PURPOSES)}"
        )
    return word


def granted_value(value: object) -> bool:
    """A yes/no as files and people write it (``true``, ``yes``, ``granted``, ``0`` …), or as
    a DataFrame's column holds it (numpy's ``True``, which is no ``bool``)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
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
    """Add one record (now, unless ``recorded_at``, which may not be in the future): the
    customer's latest word for ``purpose``. The customer must be in the store.
    ``recorded_at`` may be given as ISO text (``"2024-06-01"``) or a date too; one with an
    offset is stored in UTC, as the import stores it. (DuckDB reads an aware time in the
    machine's zone: ``10:00+02:00`` was stored as 04:00 in New York, and a checkout "yes" at
    07:00 UTC then outranked the refusal.)"""
    recorded_at = _moment(recorded_at)
    if recorded_at is not None and _in_future(recorded_at):
        raise ShopperlensError(
            f"recorded_at {recorded_at:%Y-%m-%d %H:%M} is in the future: a consent is dated "
            "when it was given (now or earlier)"
        )
    at = naive_utc(recorded_at) if recorded_at is not None else utc_now()
    rec = _record(customer_id, purpose, granted, source, at)
    with store.transaction() as con:
        _check_customers(con, [rec.customer_id])
        _insert(con, [rec])
    return rec


def list_consents(
    *, store: Store, customer_id: str | None = None, purpose: str | None = None
) -> list[ConsentRecord]:
    """Consent records, newest first per customer (one customer's, or one purpose's); a
    customer the store does not have (and holds no record of) is not found."""
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
    found = [
        ConsentRecord(customer_id=c, purpose=p, granted=g, recorded_at=t, source=s)
        for c, p, g, t, s in rows.fetchall()
    ]
    if (
        customer_id is not None
        and not found
        and not store.scalar("SELECT count(*) FROM customers WHERE customer_id = ?", [customer_id])
    ):
        raise NotFoundError("no customer with that id")
    return found


def import_consents(*, store: Store, path: str | Path) -> ConsentImportResult:
    """Import a CSV of consent records: ``customer_id, purpose, granted`` and optionally
    ``recorded_at`` (ISO date/time, not in the future; default: now) and ``source`` (default:
    the file's name). Headers are matched as other imports match them (``Customer ID``).

    All or nothing: one bad row refuses the file, each problem named by line and column (the
    values themselves are not repeated, but for a date in the future). The same file twice is
    recognised by its checksum; a row the store already holds (same customer, purpose, time and
    answer) is not added again, and neither is an undated row restating a record held (see
    the module doc).
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
    text = decode_text(raw, p.name, what="a consents CSV (UTF-8, separated by ',')")
    rows, problems = _parse(text, p.name)
    problems += _clashes_in_file(rows)
    with store.transaction() as con:
        unknown = _unknown_customers(con, (r.record.customer_id for r in rows))
        problems += [
            f"line {r.line}: customer_id: no customer with that id"
            + (_CASE_HINT if unknown[r.record.customer_id] else "")
            for r in rows
            if r.record.customer_id in unknown
        ]
        problems += [
            f"line {line}: granted: says the opposite of a record already held for the same "
            "customer, purpose and time"
            for line in _clashes_with_store(con, rows)
        ]
        if problems:
            shown = "\n".join(sorted(problems, key=_line_no)[:20])
            n = len(problems)
            raise ShopperlensError(
                f"{p.name}: {n} problem{'s' if n > 1 else ''}, nothing imported:\n{shown}"
            )
        restated = _restated(con, [r for r in rows if r.undated])
        before = _count(con)
        _insert(con, [r.record for r in rows if r.line not in restated])
        added = _count(con) - before
        con.execute(
            "INSERT INTO imports (kind, format, file, checksum, rows_read, rows_accepted,"
            " rows_rejected, imported_at) VALUES ('consents', 'csv', ?, ?, ?, ?, 0, ?)",
            [str(p), checksum, len(rows), len(rows), utc_now()],
        )
    return ConsentImportResult(
        file=str(p),
        rows_read=len(rows),
        added=added,
        unchanged=len(rows) - added,
        superseded=sum(restated.values()),
    )


#: said of a customer id that is in the store in other upper/lower case
_CASE_HINT = " (one differs only in upper/lower case: ids are case-sensitive)"


def _line_no(problem: str) -> int:
    return int(problem.split(":", 1)[0].removeprefix("line ") or 0)


class _Row(NamedTuple):
    """A good row of a consents file."""

    line: int
    record: ConsentRecord
    undated: bool  # no recorded_at: dated at the import, unless it restates a record held
    sourced: bool  # a source given (else the file's name)


def _parse(text: str, name: str) -> tuple[list[_Row], list[str]]:
    """A row per good line and a problem per bad one (line and column, no value but a date in
    the future)."""
    first = first_line(text)
    if "," not in first and ("\t" in first or ";" in first):
        used = "tabs" if "\t" in first else "';'"
        raise ShopperlensError(
            f"{name}: the columns must be separated by ',' (the header line uses {used})"
        )
    reader = csv.DictReader(csv_stream(text))
    header = [normalise_header(h or "") for h in reader.fieldnames or []]
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        raise ShopperlensError(f"{name}: column {', '.join(twice)} appears twice")
    need = [c for c in ("customer_id", "purpose", "granted") if c not in header]
    if need:
        raise ShopperlensError(
            f"{name}: needs the columns customer_id, purpose, granted (missing: {', '.join(need)})"
        )
    reader.fieldnames = header
    now = utc_now()
    records, problems = [], []
    for row in reader:
        # the record's first physical line: the reader counts blank lines and ends on the
        # record's last line, after any line breaks inside its quoted values
        inside = sum(v.count("\n") for v in row.values() if isinstance(v, str))
        line = reader.line_num - inside
        problem = None
        cid = (row.get("customer_id") or "").strip()
        source = (row.get("source") or "").strip() or f"file: {name}"
        when = (row.get("recorded_at") or "").strip()
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
        elif when:
            try:
                given = datetime.fromisoformat(when)
            except ValueError:
                problem = "recorded_at: not an ISO date/time"
            else:
                if _in_future(given):
                    problem = f"recorded_at: {when[:40]} is in the future (after the import)"
        if problem:
            problems.append(f"line {line}: {problem}")
            continue
        at = naive_utc(datetime.fromisoformat(when)) if when else now
        rec = _record(cid, row["purpose"], granted_value(row["granted"]), source, at)
        records.append(_Row(line, rec, not when, bool((row.get("source") or "").strip())))
    return records, problems


def _known_purpose(word: str) -> bool:
    try:
        purpose_name(word)
    except ShopperlensError:
        return False
    return True


def _moment(value: object) -> datetime | None:
    """``recorded_at`` as a datetime: text in ISO form and dates are read (the Python face
    took them and failed with an ``AttributeError``), anything else is refused in words."""
    if value is None or value is pd.NaT:  # a DataFrame's missing date: now, as a file's blank
        return None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).to_pydatetime()
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        with suppress(ValueError):
            return datetime.fromisoformat(value.strip())
    raise ShopperlensError(
        f"recorded_at {value!r} is not a date/time: give a datetime or ISO text such as "
        "'2024-06-01' or '2024-06-01T14:30'"
    )


def _in_future(at: datetime) -> bool:
    """Later than now (an aware time compared in UTC, a naive one as UTC too: the store's
    times are naive UTC, and records dated by the local clock sorted before or after an
    import's by the machine's offset)."""
    return at > (datetime.now(UTC) if at.tzinfo else utc_now())


def _clashes_in_file(rows: list[_Row]) -> list[str]:
    """A problem per customer, purpose and time a file says both yes and no for (undated rows
    are all dated at the import), naming the lines."""
    said: dict[tuple[str, str, datetime], dict[bool, list[int]]] = {}
    for r in rows:
        key = (r.record.customer_id, r.record.purpose, r.record.recorded_at)
        said.setdefault(key, {}).setdefault(r.record.granted, []).append(r.line)
    problems = []
    for answers in said.values():
        if len(answers) > 1:
            yes, no = answers[True], answers[False]
            problems.append(
                f"line {min(yes + no)}: granted: yes on {_lines(yes)} and no on {_lines(no)} "
                "for the same customer, purpose and time (rows without recorded_at are all "
                "dated at the import); give them different recorded_at"
            )
    return problems


def _lines(lines: list[int]) -> str:
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(map(str, lines))


def _rows_table(con: duckdb.DuckDBPyConnection, rows: list[_Row]) -> None:
    """The rows as the temporary table ``_consent_rows``."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _consent_rows AS SELECT unnest($1::INTEGER[]) AS line, "
        "unnest($2::VARCHAR[]) AS customer_id, unnest($3::VARCHAR[]) AS purpose, "
        "unnest($4::BOOLEAN[]) AS granted, unnest($5::TIMESTAMP[]) AS recorded_at, "
        "unnest($6::VARCHAR[]) AS source",
        [
            [r.line for r in rows],
            [r.record.customer_id for r in rows],
            [r.record.purpose for r in rows],
            [r.record.granted for r in rows],
            [r.record.recorded_at for r in rows],
            [r.record.source if r.sourced else None for r in rows],
        ],
    )


def _clashes_with_store(con: duckdb.DuckDBPyConnection, rows: list[_Row]) -> list[int]:
    """Lines whose answer is the opposite of a record held at the same time."""
    if not rows:
        return []
    _rows_table(con, rows)
    try:
        found = con.execute(
            "SELECT DISTINCT n.line FROM _consent_rows n JOIN consents c ON "
            "c.customer_id = n.customer_id AND lower(c.purpose) = n.purpose AND "
            "c.recorded_at = n.recorded_at WHERE c.granted <> n.granted ORDER BY 1"
        ).fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS _consent_rows")
    return [r[0] for r in found]


def _restated(con: duckdb.DuckDBPyConnection, rows: list[_Row]) -> dict[int, bool]:
    """line -> superseded, for each undated row restating a record held: same customer,
    purpose and answer, and the same source (any, when the row gives none). Superseded: the
    customer's latest record for the purpose says otherwise (it still counts).

    Only a grant can be superseded: an undated "no" while the latest record says "yes" is a
    withdrawal (a re-subscribed customer who opted out again) and is recorded — an old export
    can bring a "yes" back, but recording a "no" never markets to anyone."""
    if not rows:
        return {}
    _rows_table(con, rows)
    try:
        found = con.execute(
            "WITH latest AS (SELECT customer_id, lower(purpose) AS purpose, "
            " arg_max(granted, recorded_at) AS granted FROM consents GROUP BY ALL) "
            "SELECT n.line, coalesce(l.granted <> n.granted, false) FROM _consent_rows n "
            "LEFT JOIN latest l ON l.customer_id = n.customer_id AND l.purpose = n.purpose "
            "WHERE EXISTS (SELECT 1 FROM consents c WHERE c.customer_id = n.customer_id AND "
            "lower(c.purpose) = n.purpose AND c.granted = n.granted AND "
            "(n.source IS NULL OR c.source = n.source)) "
            "AND NOT (NOT n.granted AND coalesce(l.granted, false))"
        ).fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS _consent_rows")
    return {line: bool(superseded) for line, superseded in found}


def _record(
    customer_id: str, purpose: str, granted: bool, source: str | None, at: datetime
) -> ConsentRecord:
    cid = str(customer_id).strip()
    if not cid:
        raise ShopperlensError("customer_id is empty")
    granted = granted_value(granted)  # the words its message offers, as the file import takes
    text = (source or "").strip() or None
    if text is not None and len(text) > MAX_SOURCE:
        raise ShopperlensError(f"source is longer than {MAX_SOURCE} characters")
    return ConsentRecord(
        customer_id=cid, purpose=purpose_name(purpose), granted=granted, recorded_at=at,
        source=text,
    )  # fmt: skip


def _unknown_customers(con: duckdb.DuckDBPyConnection, ids: Iterable[str]) -> dict[str, bool]:
    """Those of ``ids`` the store has no customer for, each with whether a customer id matches
    it but for upper/lower case (ids are case-sensitive: said, not guessed)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = con.execute(
        "SELECT i, lower(i) IN (SELECT lower(customer_id) FROM customers) "
        "FROM unnest(?::VARCHAR[]) t(i) WHERE i NOT IN (SELECT customer_id FROM customers)",
        [wanted],
    ).fetchall()
    return {i: bool(case_only) for i, case_only in rows}


def _check_customers(con: duckdb.DuckDBPyConnection, ids: list[str]) -> None:
    unknown = _unknown_customers(con, ids)
    if unknown:
        hint = _CASE_HINT if any(unknown.values()) else " (import the customer first)"
        raise NotFoundError("no customer with that id" + hint)


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
                "a record for the same customer, purpose and time says the opposite; "
                "give another time"
            )
        con.execute(
            "INSERT INTO consents SELECT DISTINCT ON (customer_id, purpose, recorded_at) "
            "customer_id, purpose, granted, recorded_at, source FROM _consent_new n "
            "WHERE NOT EXISTS (SELECT 1 FROM consents c WHERE c.customer_id = n.customer_id "
            "AND c.purpose = n.purpose AND c.recorded_at = n.recorded_at)"
        )
    finally:
        con.execute("DROP TABLE IF EXISTS _consent_new")
