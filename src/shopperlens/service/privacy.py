"""Erasure: remove one person from every table, in one transaction, and nobody else.

**Who.** Erasing by e-mail erases every customer id of that address — the request names
the address: the ids of ``customers`` rows with that (normalised) e-mail (a CRM file's
``CRM1`` and the ``e-<hash>`` a Shopify export keyed the same address by, or two ids a
customers file gave one address), the id ingest derives from the e-mail alone (``e-`` + the
first 16 hex digits of its SHA-256, see :func:`email_key`: a ticket or order file that gave no
customer id; also the key of the address written decomposed, which an import that did not
yet compose addresses derived, see :func:`_email_keys`), and survey answers keyed by that
e-mail. An address is compared composed (NFC) everywhere: ``jürgen@…`` typed with a
decomposed ``ü`` is the same address.

Erasing by id erases that id, and the id derived from its stored e-mail (with the rows found
by the e-mail alone) only when no *other* stored customer has that e-mail. Two customer rows
may share an address that two people read (a family inbox): the other customers' ids are
never erased, and the derived id's rows could be either person's (a ticket filed from the
shared inbox), so they are kept and the report counts them under ``ids_kept`` (never naming
the id or the e-mail); erasing by e-mail takes every id of that address. An id and an e-mail
given together are an erasure by id, the e-mail checked against it. The report lists what was
erased per id.

**What.** The store grows tables as concerns are added (survey responses, persona members,
type runs …), so erasure does not keep a list: it finds every table with a ``customer_id`` or
``email`` column, collects the keys that hang off the person's rows there (orders, visitors,
sessions, survey responses …), then the keys on the rows those keys reach, and so on (a
visitor id linked to the customer finds a pop-up response, whose id finds its answers), and
deletes every row in any table that carries one of those keys, and persona rows naming an
erased respondent.

**Nobody else.** A row that names another customer is never deleted. A browser (visitor id)
or visit (session id) can be shared: a family computer used by A, then by B. A visitor id is
followed — all its rows deleted, anonymous ones included — only when no row anywhere links it
to another customer; a shared browser loses only the rows naming the person, plus every event
of a visit in which the person's own events appear and no one else's (a visit is one person's
by its events; browsing before signing in is theirs). Anonymous rows of a shared browser
outside such visits (an anonymous pop-up answer, a later anonymous visit) cannot be told apart
and are kept; the report counts them under ``kept`` (never naming them). Once the other
customer is erased too, the browser is nobody else's and they go with them.

**Where.** Deleted rows stay readable in a DuckDB file (DELETE marks them; CHECKPOINT and
VACUUM leave the blocks as they were), so once the rows are gone the store's file is rewritten
with the live data only (:meth:`Store.compact`). The deletes commit with a row of the erasure
ledger (``erasures``, no personal data): computations running meanwhile see it and store
nothing, and its ``compacted_at`` stays NULL until the rewrite succeeds (a failed one is
finished by :func:`compact`, or by the next erase). The rejects files imports and survey
uploads write beside the store (``<db stem>.rejects.csv``, ``<db stem>.survey-rejects.csv``)
keep whole rejected lines, so their rows naming one of the erased ids or the person's e-mails
are removed too (see :func:`_names_person`); a survey upload's row is refused by a question id,
so there its respondent, customer id and the text of the rejected answer (the person's e-mail
or stored name in it) say whose it is (see :func:`_survey_row_names_person`).

The import ledger (``imports``) is kept: its checksums make imports idempotent. Only a file
name in it holding the person's e-mail (any case) or one of their ids (a whole token with a
letter in it) has that part replaced by ``[erased]`` (see :func:`_redact_ledger`), in the
erasure's transaction, so the rewrite drops the old name's bytes too.

**A refusal stays.** The person's "no" to marketing, survey or referral e-mail kept every other
customer id of their address out (``consent.allowed``); deleted with them, it let a shared
inbox be mailed again. An objection has to keep working after erasure (GDPR Art. 17(3), 21), so
each such refusal is kept in ``consent_suppressions`` as the SHA-256 of the address, the
purpose and its dates, no id (:func:`~shopperlens.service.consent.keep_refusals`, in the
erasure's transaction); the report counts them under ``refusals_kept``.

The report names the subject only by a SHA-256 of its id (or of the e-mail erased by).

**Access and portability.** A person may ask to see their data and take it away (GDPR Art.
15 and 20). :func:`export_person` answers with exactly the rows erase would delete for the
same request: the same ids (:func:`_resolve`), the same walk of keys (:func:`_walk`), only
noting each row (``_erase_taken``) instead of deleting it, and leaving a row noted for one id
out of the next id's walk as erase has deleted it by then. So a shared inbox's or a shared
browser's rows that erase keeps are not in it either (they may be someone else's); they are
counted under ``kept`` and ``ids_kept`` as erase counts them. It adds the refusals kept for
their address, the rejected lines naming them and the import ledger's rows whose file name erase
would redact (:func:`_ledger_names`), reads in one snapshot and writes nothing.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import math
import os
import re
import unicodedata
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, Field

from shopperlens.emails import SPACE, email_sql, inbox_key, normalise_email
from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.ingest.rejects import IMPORT_REJECT_COLUMNS, MALFORMED, REJECT_COLUMNS, ROW
from shopperlens.plain import unprotected
from shopperlens.service._clock import utc_now
from shopperlens.service._files import output_file
from shopperlens.store import Store
from shopperlens.store.connection import READ_ONLY, keep_mode_and_owner

#: keys that belong to one person's row: the rows carrying them are that person's
_OWNED_KEYS = (
    "order_id",
    "response_id",
    "ticket_id",
    "return_id",
    "invitation_id",
    "delivery_id",
)
#: keys of a browser and a visit, which people share: followed only when no one else's
_BROWSER_KEYS = ("visitor_id", "session_id")
#: key columns that, found on a customer's row, identify dependent rows elsewhere
_DEPENDENT_KEYS = _OWNED_KEYS + _BROWSER_KEYS
#: tables that record history about the store itself, not about people, and the refusals kept
#: for an erased person's address (a hash of it, no id: see ``consent.keep_refusals``)
_SKIP = {"schema_migrations", "imports", "erasures", "consent_suppressions"}
#: rounds of following keys (visitor -> response -> answers needs two); a safety bound
_MAX_ROUNDS = 10
#: survey respondents imported by e-mail are stored under this key of it (see email_key)
_RESPONSES = "survey_responses"
#: a stored e-mail (respondent) as :func:`normalise_email` reads what a person types
_EMAIL = email_sql("email")
_RESPONDENT = email_sql("respondent")
#: why an erasure by id kept the id derived from a shared e-mail (no id or e-mail in it)
_KEPT_IDS_NOTE = (
    "another customer has the same e-mail, so the rows keyed by that e-mail alone could be "
    "either person's and were kept; erasing by e-mail takes every id of that address"
)


class ErasedCustomer(BaseModel):
    """What was erased under one of the person's customer ids."""

    subject: str = Field(description="SHA-256 of the customer id")
    rows_deleted: dict[str, int]


#: added to "no customer …" when that erase finished an earlier erasure's pending rewrite
_FINISHED_PENDING = " (the rewrite of the store's file an earlier erasure left pending is done now)"


class CompactReport(BaseModel):
    """What ``shopperlens compact`` did."""

    erasures_finished: int = Field(
        description="erasures whose rewrite of the store's file was pending and is now done"
    )
    bytes_before: int
    bytes_after: int


class ErasureReport(BaseModel):
    subject: str  # SHA-256 of the id (or e-mail) erased, so the ledger holds no personal data
    rows_deleted: dict[str, int]
    customers: list[ErasedCustomer] = Field(
        default_factory=list, description="rows deleted per customer id of the person"
    )
    kept: dict[str, int] = Field(
        default_factory=dict,
        description="anonymous rows of a browser shared with another customer, kept because "
        "nobody can tell whose they are (per table)",
    )
    ids_kept: int = Field(
        0,
        description="customer ids that may be the person's but were kept (erasing by id): the "
        "id derived from the e-mail when another stored customer has the same e-mail, so its "
        "rows could be either person's; erasing by e-mail takes every id of that address",
    )
    note: str | None = Field(None, description="why ids were kept, when they were")
    refusals_kept: int = Field(
        0,
        description="refusals (marketing, survey, referral) the person had given for their "
        "e-mail address, kept as a SHA-256 of the address with the purpose and dates, no id: "
        "another customer id of that address stays unmailed, as it was while they refused",
    )
    rejects_removed: int = Field(
        0,
        description="rows of the rejects file beside the store (rows imports could not take, "
        "kept whole) that named one of the erased ids or the person's e-mails, removed",
    )
    import_files_redacted: int = Field(
        0,
        description="rows of the import ledger whose file name held the person's e-mail or id, "
        "which now reads [erased] there (the rows stay: they keep imports idempotent)",
    )
    erased_at: datetime = Field(description="when the rows were deleted, in UTC")

    @property
    def total(self) -> int:
        return sum(self.rows_deleted.values())


def email_key(email: str) -> str:
    """The customer id ingest derives from an e-mail (``e-`` + the first 16 hex digits of the
    SHA-256 of the normalised address): the e-mail itself is not in it."""
    return _key(normalise_email(email))


def _key(normalised: str) -> str:
    return "e-" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:16]


def _email_keys(email: str) -> list[str]:
    """Every id ingest derived from an e-mail: :func:`email_key`, then the key of the
    address's decomposed form (NFD) when that differs. Addresses were not composed before
    they were normalised, so a ticket file that wrote ``jürgen@…`` decomposed (as a Mac
    does) keyed its rows so; a stored id is never rewritten (orders, answers, exports and
    the shop's own systems name it), so the person's erasure looks for both."""
    normalised = normalise_email(email)
    decomposed = unicodedata.normalize("NFD", normalised)
    keys = [_key(normalised)]
    return keys if decomposed == normalised else [*keys, _key(decomposed)]


def _spellings(email: str) -> list[str]:
    """A normalised e-mail as a file may write it: composed (NFC, as stored) and decomposed
    (NFD, as a Mac writes it); a rejected line or a file name keeps what it was given."""
    decomposed = unicodedata.normalize("NFD", email)
    return [email] if decomposed == email else [email, decomposed]


@dataclass(frozen=True)
class _Subject:
    """One customer id of the person; ``email`` for the id derived from the e-mail, which
    also takes the rows found by the e-mail alone (a survey answer keyed by it)."""

    customer_id: str
    email: str | None = None


@dataclass(frozen=True)
class _Request:
    """Whom an erase or an export names: the id and e-mail asked for (the e-mail
    normalised, or the named id's stored one), the customer ids that are the person's (the
    named one first), how many ids that may be theirs are left out (a shared inbox, see
    :func:`_resolve`), and the tables to look in."""

    customer_id: str | None
    email: str | None
    ids: list[str]
    ids_kept: int
    cols: dict[str, set[str]]

    @property
    def derived(self) -> str | None:
        """The id ingest derives from the e-mail."""
        return email_key(self.email) if self.email else None

    @property
    def missing(self) -> str:
        """What to say when no row names the person."""
        return "no customer with that id" if self.customer_id else "no customer with that e-mail"

    @property
    def subject(self) -> str:
        """The SHA-256 a report names the person by (no personal data in it)."""
        return _sha256(self.customer_id or self.email or "")

    def subjects(self) -> list[_Subject]:
        """One per id, the id derived from the e-mail last: it also takes what only the
        e-mail finds."""
        ordered = sorted(self.ids, key=lambda i: i == self.derived)
        return [_Subject(i, self.email if i == self.derived else None) for i in ordered]


def _request(store: Store, customer_id: str | None, email: str | None, verb: str) -> _Request:
    """The person an id and/or e-mail name (see :func:`_resolve`); refused when neither is
    given (``verb``: what the request does, for the message)."""
    customer_id, email_norm = check_named(customer_id, email, verb)
    ids, email_norm, ids_kept = _resolve(store, customer_id, email_norm)
    return _Request(customer_id, email_norm, ids, ids_kept, _columns(store))


def check_named(
    customer_id: str | None, email: str | None, verb: str
) -> tuple[str | None, str | None]:
    """The id (stripped) and the normalised e-mail a request names, refused when it names
    neither. ``erase`` asks this before its confirmation: it asked "Erase this customer
    everywhere?" of a command naming nobody, and only after a "y" said so."""
    email_norm = (normalise_email(email) or None) if email else None
    customer_id = customer_id.strip() if customer_id and customer_id.strip() else None
    if customer_id is None and email_norm is None:
        raise ShopperlensError(f"name the customer to {verb}: a customer id or an e-mail")
    return customer_id, email_norm


def _columns(store: Store) -> dict[str, set[str]]:
    rows = store.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall()
    cols: dict[str, set[str]] = {}
    for table, column in rows:
        if table not in _SKIP and not table.startswith("_erase"):
            cols.setdefault(table, set()).add(column)
    return cols


def _ids_of_email(store: Store, email: str) -> list[str]:
    """Every customer id of an e-mail: the customers stored with it, then the id derived
    from it (whether or not a row names it yet)."""
    ids = [
        r[0]
        for r in store.execute(
            f"SELECT customer_id FROM customers WHERE {_EMAIL} = ? ORDER BY customer_id",
            [email],
        ).fetchall()
    ]
    return ids + [k for k in _email_keys(email) if k not in ids]


def _resolve(
    store: Store, customer_id: str | None, email: str | None
) -> tuple[list[str], str | None, int]:
    """The customer ids to erase (the named one first), the e-mail and how many ids that may
    be the person's are kept; refuses an id and an e-mail that name two different people.

    By e-mail: every id of the address. By id: the id, plus the id derived from its e-mail
    when no other stored customer has that e-mail (else that id is kept when it holds rows).
    """
    if customer_id is None:
        assert email is not None
        return _ids_of_email(store, email), email, 0
    stored = store.scalar(f"SELECT {_EMAIL} FROM customers WHERE customer_id = ?", [customer_id])
    if email is not None and stored is not None and stored != email:
        # the two name different people: erasing by both would delete someone else's rows
        raise ShopperlensError(
            "that e-mail is not the e-mail of that customer id; give the id or the e-mail"
        )
    if email is not None and stored is None and customer_id != email_key(email):
        owner = store.scalar(
            f"SELECT customer_id FROM customers WHERE {_EMAIL} = ? LIMIT 1", [email]
        )
        if owner is not None and owner != customer_id:
            raise ShopperlensError(
                "that e-mail belongs to another customer; give the id or the e-mail"
            )
    email = email or stored or None
    if email is None:
        return [customer_id], None, 0
    derived, *older = _email_keys(email)
    if customer_id == derived:
        return [customer_id, *older], email, 0
    keys = list(dict.fromkeys((customer_id, derived, *older)))  # (the id may be an older key)
    others = [i for i in _ids_of_email(store, email) if i not in keys]
    if not others:
        return keys, email, 0
    # a shared inbox: the derived id's rows could be the other customer's
    return [customer_id], email, int(_holds_rows(store, derived, email))


def _holds_rows(store: Store, customer_id: str, email: str) -> bool:
    """Whether a row names ``customer_id`` (or is a survey answer keyed by it), or carries
    ``email`` and names no customer."""
    for table, columns in _columns(store).items():
        where, params = [], []
        if "customer_id" in columns:
            where.append("CAST(customer_id AS VARCHAR) = ?")
            params.append(customer_id)
            if "email" in columns:
                where.append(f"(coalesce(CAST(customer_id AS VARCHAR), '') = '' AND {_EMAIL} = ?)")
                params.append(email)
        if table == _RESPONSES and "respondent" in columns:
            where.append("respondent = ?")
            params.append(customer_id)
        if where and store.scalar(
            f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE {" OR ".join(where)})', params
        ):
            return True
    return False


def erase_customer(
    *, store: Store, customer_id: str | None = None, email: str | None = None
) -> ErasureReport:
    """Delete every row about one person (by id or e-mail) from every table, and the rejected
    lines naming them beside the store, then rewrite the store's file without them; see the
    module doc for which ids are the person's (by id: not those of another customer sharing
    the e-mail) and what of a shared browser stays."""
    req = _request(store, customer_id, email, "erase")
    ids, cols, ids_kept, missing = req.ids, req.cols, req.ids_kept, req.missing
    emails = _personal_emails(store, cols, ids, req.email if req.derived in ids else None)
    names = _personal_names(store, cols, ids)  # read before the customers row goes
    try:
        erased = _erase_rows(store, req, emails)
    except NotFoundError:
        erased = _Erased([], {}, {}, frozenset(), 0, 0)
    per_id, totals, kept = erased.per_id, erased.totals, erased.kept
    person = _Person(frozenset(ids), frozenset(emails), frozenset(names), erased.respondents)
    with store.write_lock():  # imports replace the rejects file under it
        rejects_removed = sum(
            _scrub_rejects(p, person, survey=survey) for p, survey in _rejects_files(store)
        )
    # a row an import rejected, or a file name in the ledger, may be all there was
    if not totals and not rejects_removed and not erased.files_redacted:
        raise NotFoundError(missing + _pending_note(store))
    if totals or erased.files_redacted or store.pending_compaction():
        _compact_after_erase(store)
    return ErasureReport(
        subject=req.subject,
        rows_deleted=totals,
        customers=per_id,
        kept=kept,
        ids_kept=ids_kept,
        note=_KEPT_IDS_NOTE if ids_kept else None,
        rejects_removed=rejects_removed,
        import_files_redacted=erased.files_redacted,
        refusals_kept=erased.refusals_kept,
        erased_at=utc_now(),
    )


def _pending_note(store: Store) -> str:
    """For a "no customer" answer: an earlier erasure's unfinished rewrite, finished now if
    it can be (the id may be a typo: it must not read as this erase having worked)."""
    if not store.pending_compaction():
        return ""
    try:
        store.compact()
    except ShopperlensError as exc:
        return (
            f"; an earlier erasure's rewrite of the store's file is still unfinished ({exc}): "
            "run `shopperlens compact`"
        )
    return _FINISHED_PENDING


def _compact_after_erase(store: Store) -> int:
    """Rewrite the store's file without the deleted rows (and those of an earlier erasure
    whose rewrite failed); how many erasures that finished. A failure says the rows are
    deleted and how to finish: a second erase finds nobody to delete."""
    try:
        return store.compact()
    except (ShopperlensError, KeyboardInterrupt) as exc:  # (Ctrl-C: say how to finish too)
        why = exc if isinstance(exc, ShopperlensError) else "interrupted"
        raise ShopperlensError(
            f"the customer's rows are deleted, but the store's file could not be rewritten "
            f"without them, so their bytes stay in it ({why}); run `shopperlens compact` "
            "(POST /api/compact, shop.compact()) to finish"
        ) from None


def compact(*, store: Store) -> CompactReport:
    """Rewrite the store's file with the live rows only, finishing erasures whose rewrite
    failed (a busy store, a full disk): their deleted rows' bytes stay in the file until
    then. The ledger marks them compacted. A store open read-only is refused: it cannot be
    rewritten, and "rewrote the store's file" over a file still holding an erased person's
    bytes would be untrue."""
    if store.read_only:
        raise ShopperlensError(READ_ONLY)
    path = None if store.path == ":memory:" else Path(store.path)
    before = path.stat().st_size if path else 0
    finished = store.compact()
    return CompactReport(
        erasures_finished=finished,
        bytes_before=before,
        bytes_after=path.stat().st_size if path else 0,
    )


@dataclass(frozen=True)
class _Erased:
    """What :func:`_erase_rows` did: rows deleted per id and per table, anonymous rows kept per
    table, the ``survey/respondent`` keys of the responses it deleted (a survey upload's
    rejected row names its respondent), how many ledger file names it redacted and how many
    refusals it kept for the person's address (``consent.keep_refusals``)."""

    per_id: list[ErasedCustomer]
    totals: dict[str, int]
    kept: dict[str, int]
    respondents: frozenset[str]
    files_redacted: int
    refusals_kept: int


def _erase_rows(store: Store, req: _Request, emails: set[str]) -> _Erased:
    """Delete the person's rows, and their e-mails (``emails``) and ids in the import
    ledger's file names, in one transaction, keeping their refusals for their address as a
    hash (``consent.keep_refusals``). NotFoundError (``req.missing``), and nothing changed,
    when nothing named them."""
    from shopperlens.service.consent import keep_refusals  # (pandas: not on every import)

    now = utc_now()
    with store.transaction() as con:
        refusals = keep_refusals(con, req.ids, now)  # read before their consents and row go
        walked = _walk(con, req, _delete_rows)
        _drop_work_tables(con)
        # an id names someone only where rows of theirs were found: a mistyped id ("csv",
        # "orders") redacted every ledger file name holding that word and said "erased"
        found = [p.subject for p in walked.per_id]
        redacted = _redact_ledger(con, [i for i in req.ids if _sha256(i) in found], emails)
        if not walked.totals and not redacted:
            raise NotFoundError(req.missing)
        # the ledger (no personal data): computations running now refuse to store their result;
        # its compacted_at stays NULL until the rewrite drops the deleted (and renamed) bytes
        con.execute(
            "INSERT INTO erasures (erased_at, rows_deleted) VALUES (?, ?)",
            [now, sum(walked.totals.values())],
        )
    return _Erased(
        walked.per_id, walked.totals, walked.kept, walked.respondents, redacted, refusals
    )


#: the temporary tables erase and export work in (a connection's own): the person's ids, the
#: keys followed, the candidate keys, the shared browsers' keys, and the rows an export took
_WORK_TABLES = {
    "_erase_ids": "id VARCHAR",
    "_erase_keys": "k VARCHAR, v VARCHAR",
    "_erase_cand": "k VARCHAR, v VARCHAR",
    "_erase_shared": "k VARCHAR, v VARCHAR",
    "_erase_taken": "t VARCHAR, r BIGINT",
}


@dataclass(frozen=True)
class _Walked:
    """What :func:`_walk` found: rows per id (as erase reports them) and per table, the
    anonymous rows of shared browsers left, and the ``survey/respondent`` keys reached."""

    per_id: list[ErasedCustomer]
    totals: dict[str, int]
    kept: dict[str, int]
    respondents: frozenset[str]


#: what :func:`_walk` does with the rows one id of the person reaches: rows per table
_Act = Callable[[Any, dict[str, set[str]], "_Subject"], dict[str, int]]


def _walk(con: Any, req: _Request, act: _Act) -> _Walked:
    """Collect the person's keys id by id and ``act(con, cols, subject)`` on the rows they
    reach (delete them, or take them for an export; rows per table). Erase and export walk
    the same way, so an export holds exactly the rows erase would delete. The work tables
    stay (export reads ``_erase_taken``); :func:`_drop_work_tables` drops them."""
    per_id: list[ErasedCustomer] = []
    totals: dict[str, int] = {}
    respondents: set[str] = set()
    for table, columns in _WORK_TABLES.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({columns})")
    con.execute("INSERT INTO _erase_ids SELECT unnest(?::VARCHAR[])", [req.ids])
    for subject in req.subjects():
        con.execute("DELETE FROM _erase_keys")
        con.execute("DELETE FROM _erase_cand")
        _collect_keys(con, req.cols, subject)
        _collect_respondents(con, req.cols)
        respondents.update(
            r[0] for r in con.execute("SELECT v FROM _erase_keys WHERE k = 'respondent'").fetchall()
        )
        rows = act(con, req.cols, subject)
        # browsers and visits reached but shared with someone else: their anonymous rows stay
        con.execute(
            "INSERT INTO _erase_shared SELECT k, v FROM _erase_cand c WHERE k IN "
            f"({_sql_list(_BROWSER_KEYS)}) AND NOT EXISTS (SELECT 1 FROM _erase_keys e "
            "WHERE e.k = c.k AND e.v = c.v)"
        )
        if rows:
            per_id.append(ErasedCustomer(subject=_sha256(subject.customer_id), rows_deleted=rows))
            for table, n in rows.items():
                totals[table] = totals.get(table, 0) + n
    kept = _count_kept(con, req.cols)
    return _Walked(per_id, totals, kept, frozenset(respondents))


def _drop_work_tables(con: Any) -> None:
    for table in _WORK_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sql_list(words: tuple[str, ...]) -> str:
    return ", ".join(f"'{w}'" for w in words)


def _collect_keys(con: Any, cols: dict[str, set[str]], subject: _Subject) -> None:
    """Every key hanging off a row that will be deleted, transitively, into ``_erase_keys``.

    A pop-up response is found through the customer's visitor id (``identities``), and its
    answers through the response's id: keys are collected round after round from every row a
    key already reaches (into ``_erase_cand``) and followed (``_erase_keys``) when they are the
    person's alone, until a round follows nothing new.
    """
    for _ in range(_MAX_ROUNDS):
        for table, columns in cols.items():
            where, params = _match(columns, table, subject)
            if not where:
                continue
            for key in _DEPENDENT_KEYS:
                if key in columns:
                    value = f'CAST("{key}" AS VARCHAR)'
                    con.execute(
                        f"INSERT INTO _erase_cand SELECT DISTINCT '{key}', {value} "
                        f"FROM \"{table}\" WHERE ({where}) AND {value} <> '' AND {value} "
                        f"NOT IN (SELECT v FROM _erase_cand WHERE k = '{key}')",
                        params,
                    )
        if not _follow(con, cols):
            return


def _follow(con: Any, cols: dict[str, set[str]]) -> int:
    """Move the candidates that are the person's into ``_erase_keys``; how many moved.

    An owned key (an order, a response …) is always followed. A visitor id is followed when
    no row links it to a customer outside the person's ids; a session id when, besides, its
    events include the person's own (or a followed visitor's) or it has no events at all.
    """
    new = "NOT EXISTS (SELECT 1 FROM _erase_keys e WHERE e.k = c.k AND e.v = c.v)"
    moved = _count(
        con.execute(
            "INSERT INTO _erase_keys SELECT k, v FROM _erase_cand c "
            f"WHERE k IN ({_sql_list(_OWNED_KEYS)}) AND {new}"
        )
    )
    for key in _BROWSER_KEYS:
        others = [
            f'EXISTS (SELECT 1 FROM "{t}" x WHERE CAST(x."{key}" AS VARCHAR) = c.v '
            "AND coalesce(CAST(x.customer_id AS VARCHAR), '') <> '' "
            "AND CAST(x.customer_id AS VARCHAR) NOT IN (SELECT id FROM _erase_ids))"
            for t, columns in cols.items()
            if {key, "customer_id"} <= columns
        ]
        cond = f"NOT ({' OR '.join(others)})" if others else "TRUE"
        if key == "session_id" and {"session_id", "visitor_id", "customer_id"} <= cols.get(
            "events", set()
        ):
            cond += (
                " AND (EXISTS (SELECT 1 FROM events x WHERE x.session_id = c.v AND "
                f"{_not_taken('events', 'x.')} AND "
                "(x.customer_id IN (SELECT id FROM _erase_ids) OR x.visitor_id IN "
                "(SELECT v FROM _erase_keys WHERE k = 'visitor_id'))) "
                "OR NOT EXISTS (SELECT 1 FROM events x WHERE x.session_id = c.v AND "
                f"{_not_taken('events', 'x.')}))"
            )
        moved += _count(
            con.execute(
                "INSERT INTO _erase_keys SELECT k, v FROM _erase_cand c "
                f"WHERE k = '{key}' AND {new} AND {cond}"
            )
        )
    return moved


def _count(result: Any) -> int:
    row = result.fetchone()
    return int(row[0]) if row and row[0] else 0


def _collect_respondents(con: Any, cols: dict[str, set[str]]) -> None:
    """``survey/respondent`` of every response to be erased: persona members and quotes name
    respondents, not responses, and a respondent id is only unique within its survey."""
    if {"response_id", "survey", "respondent"} <= cols.get(_RESPONSES, set()):
        con.execute(
            "INSERT INTO _erase_keys SELECT DISTINCT 'respondent', survey || '/' || respondent "
            "FROM survey_responses WHERE response_id IN "
            "(SELECT v FROM _erase_keys WHERE k = 'response_id')"
        )


def _delete_rows(con: Any, cols: dict[str, set[str]], subject: _Subject) -> dict[str, int]:
    """Delete the subject's rows and every row a followed key reaches; rows per table."""
    deleted: dict[str, int] = {}
    for table, columns in cols.items():
        where, params = _person_rows(cols, table, columns, subject)
        if not where:
            continue
        n = con.execute(f'DELETE FROM "{table}" WHERE {where}', params).fetchone()
        if n and n[0]:
            deleted[table] = int(n[0])
    return deleted


def _take_rows(con: Any, cols: dict[str, set[str]], subject: _Subject) -> dict[str, int]:
    """Note (in ``_erase_taken``) the rows :func:`_delete_rows` would delete; rows per
    table. A row taken is left out of the later ids' walk, as a deleted one would be."""
    taken: dict[str, int] = {}
    for table, columns in cols.items():
        where, params = _person_rows(cols, table, columns, subject)
        if not where:
            continue
        n = con.execute(
            f"INSERT INTO _erase_taken SELECT '{table}', rowid FROM \"{table}\" WHERE {where}",
            params,
        ).fetchone()
        if n and n[0]:
            taken[table] = int(n[0])
    return taken


def _person_rows(
    cols: dict[str, set[str]], table: str, columns: set[str], subject: _Subject
) -> tuple[str, list[str]]:
    """SQL picking a table's rows that are the subject's (:func:`_match`, and persona rows
    naming one of their respondents); empty when the table holds none."""
    where, params = _match(columns, table, subject)
    respondent = _respondent_clause(table, columns, cols)
    if respondent:
        respondent = f"({respondent}) AND {_not_someone_elses(columns, table)}"
    clauses = [c for c in (where, respondent) if c]
    return " OR ".join(f"({c})" for c in clauses), params


def _count_kept(con: Any, cols: dict[str, set[str]]) -> dict[str, int]:
    """Rows left on a shared browser or visit that name nobody: counted, never named."""
    kept: dict[str, int] = {}
    for table, columns in cols.items():
        keys = [
            f"CAST(\"{k}\" AS VARCHAR) IN (SELECT v FROM _erase_shared WHERE k = '{k}')"
            for k in _BROWSER_KEYS
            if k in columns
        ]
        if not keys:
            continue
        anonymous = (
            " AND coalesce(CAST(customer_id AS VARCHAR), '') = ''"
            if "customer_id" in columns
            else ""
        )
        n = con.execute(
            f'SELECT count(*) FROM "{table}" WHERE ({" OR ".join(keys)}){anonymous} '
            f"AND {_not_taken(table)}"
        ).fetchone()
        if n and n[0]:
            kept[table] = int(n[0])
    return kept


def _match(columns: set[str], table: str, subject: _Subject) -> tuple[str, list[str]]:
    """SQL that picks a table's rows about the subject — their id or e-mail, or a key
    followed so far — and never a row naming a customer outside the person's ids."""
    where, params = _subject_filter(columns, table, subject)
    clauses = [f"({where})"] if where else []
    for key in _DEPENDENT_KEYS:
        if key in columns:
            clauses.append(
                f"CAST(\"{key}\" AS VARCHAR) IN (SELECT v FROM _erase_keys WHERE k = '{key}')"
            )
    if not clauses:
        return "", params
    return f"({' OR '.join(clauses)}) AND {_not_someone_elses(columns, table)}", params


def _not_someone_elses(columns: set[str], table: str) -> str:
    """SQL: the row names no customer, or one of the person's ids; and an export has not
    taken it for an earlier id of theirs (erase has deleted it then)."""
    taken = _not_taken(table)
    if "customer_id" not in columns:
        return taken
    return (
        "(coalesce(CAST(customer_id AS VARCHAR), '') = '' OR "
        f"CAST(customer_id AS VARCHAR) IN (SELECT id FROM _erase_ids)) AND {taken}"
    )


def _not_taken(table: str, alias: str = "") -> str:
    """SQL: the row is not among those an export took (``_erase_taken``; empty in erase)."""
    return f"{alias}rowid NOT IN (SELECT r FROM _erase_taken WHERE t = '{table}')"


def _respondent_clause(table: str, columns: set[str], cols: dict[str, set[str]]) -> str | None:
    """SQL that picks rows naming an erased respondent of the same survey (directly, or
    through a persona run's survey); None for tables without respondents."""
    if "respondent" not in columns:
        return None
    if "survey" in columns:
        survey = "survey"
    elif "run_id" in columns and "survey" in cols.get("persona_runs", set()):
        survey = f'(SELECT p.survey FROM persona_runs p WHERE p.run_id = "{table}".run_id)'
    else:
        return None
    return f"{survey} || '/' || respondent IN (SELECT v FROM _erase_keys WHERE k = 'respondent')"


def _subject_filter(columns: set[str], table: str, subject: _Subject) -> tuple[str, list[str]]:
    parts, params = [], []
    if "customer_id" in columns:
        parts.append("CAST(customer_id AS VARCHAR) = ?")
        params.append(subject.customer_id)
    if subject.email and "email" in columns:
        parts.append(f"{_EMAIL} = ?")
        params.append(subject.email)
    if subject.email and table == _RESPONSES and "respondent" in columns:
        # answers imported by e-mail are keyed by email_key; older stores hold the address
        keys = _email_keys(subject.email)
        parts.append(f"(respondent IN ({', '.join('?' * len(keys))}) OR {_RESPONDENT} = ?)")
        params.extend([*keys, subject.email])
    return " OR ".join(parts), params


# -- access and portability ---------------------------------------------------------------------
#: what each table holds about a person, for the ``about`` section of an export (a table the
#: store gains later is described by :data:`_ABOUT_OTHER`)
_ABOUT: dict[str, str] = {
    "customers": "your customer record: e-mail, name, country, city, birth year, gender and "
    "whether the shop's own sign-up said you accept marketing e-mail",
    "orders": "your orders: when, currency, shipping, status and discount code",
    "order_lines": "the products in your orders: product, category, quantity and price",
    "returns": "the products you sent back, when and why",
    "tickets": "your customer-service tickets: subject, text and channel",
    "events": "what your browser did on the shop's site (pages, products, searches, carts, "
    "purchases), with the campaign that brought you and the device",
    "sessions": "your visits to the site, summed up from those events",
    "identities": "which browser ids (visitor ids) were linked to your customer id, and when",
    "ingest_placeholders": "a placeholder customer row an import made because a file named "
    "your id before the customers file did",
    "consents": "what you allowed or refused (marketing, survey, referral, case study, "
    "testimonial), when and where you said it",
    "customer_types": "types: the customer type shopperlens computed from your orders and "
    "visits (need-based, looker, new, loyal, impulse), each type's score and the evidence for it, "
    "one row per types run",
    "customer_value": "the lifetime value shopperlens predicted from your orders: chance you "
    "are still a customer, expected orders and spend, days to your next order, at risk or not",
    "visitor_intent": "the purchase intent shopperlens predicted for your visits and what drove it",
    "survey_responses": "the surveys you answered: when, how (pop-up, e-mail link, upload)",
    "survey_answers": "your answers to those surveys",
    "survey_invitations": "the survey invitations made for you and whether they were sent",
    "survey_deliveries": "each e-mail sent for those invitations (invitation, reminder)",
    "persona_members": "which persona (a customer profile built from survey answers) your "
    "answers were grouped into, and how close to its centre",
    "persona_quotes": "your answers quoted on a persona card (masked)",
    "interview_notes": "notes of an interview with you",
    "interview_tags": "the themes tagged in those notes, with the passages quoted",
}
_ABOUT_OTHER = "rows of this table that name you"
#: the export's own sections, explained in its ``about`` too
_ABOUT_SECTIONS: dict[str, str] = {
    "suppressions": "refusals of marketing, survey or referral e-mail kept for your address "
    "after a customer id of it was erased: the SHA-256 of the address, the purpose and the "
    "dates, so that address is not mailed until one of its customer ids says yes again",
    "rejects": "lines of files imported into the store that were refused (a value that could "
    "not be read) and name you, kept beside the store so the shop can correct them",
    "import_files": "files imported into the store whose name holds your e-mail or customer id, "
    "as the shop's record of its imports keeps them (which file, what it held, when)",
    "kept": "rows that may be yours but are not in this export: anonymous rows of a browser "
    "another customer used too, which nobody can tell apart (counted, not shown)",
    "ids_kept": "customer ids that may be yours but are not in this export: the id derived "
    "from an e-mail another customer has too, whose rows could be either person's",
}


class PersonExport(BaseModel):
    """Every row the store holds about one person (GDPR Art. 15 and 20), table by table:
    exactly the rows ``erase`` would delete for the same request."""

    subject: str = Field(description="SHA-256 of the id (or e-mail) asked for, as erase names it")
    exported_at: datetime = Field(description="when the rows were read, in UTC")
    customer_ids: list[str] = Field(description="the person's customer ids exported")
    rows: dict[str, int] = Field(description="rows per table (as erase would count them)")
    tables: dict[str, list[dict[str, Any]]] = Field(
        description="the rows per table: times in ISO 8601 with zone, numbers as numbers, "
        "ids as text"
    )
    suppressions: list[dict[str, Any]] = Field(
        default_factory=list, description="refusals kept for the person's address (see about)"
    )
    rejects: list[dict[str, Any]] = Field(
        default_factory=list,
        description="rows of the rejects files beside the store that name the person",
    )
    import_files: list[dict[str, Any]] = Field(
        default_factory=list,
        description="rows of the import ledger whose file name holds the person's e-mail or "
        "id (erase redacts the name to [erased] and keeps the row)",
    )
    kept: dict[str, int] = Field(
        default_factory=dict,
        description="anonymous rows of a browser shared with another customer, left out "
        "because nobody can tell whose they are (per table, counted as erase counts them)",
    )
    ids_kept: int = Field(0, description="customer ids that may be the person's, left out")
    note: str | None = Field(None, description="why ids were left out, when they were")
    about: dict[str, str] = Field(description="what each table and section holds")

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def export_person(
    *, store: Store, customer_id: str | None = None, email: str | None = None
) -> PersonExport:
    """Every row the store holds about one person, named as for erase (by id or e-mail, see
    the module doc), without writing to the store. The rows are found by erase's own walk
    (:func:`_walk`), read in one snapshot: an import meanwhile is in it whole or not at all.
    NotFoundError when nothing names them: no row, no rejected line and no refusal kept for
    their address (which outlives an erasure of its customer)."""
    req = _request(store, customer_id, email, "export")
    now = utc_now()
    with store.cursor() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            walked = _walk(con, req, _take_rows)
            tables = {t: _taken(con, t) for t in req.cols if walked.totals.get(t)}
        finally:
            con.execute("ROLLBACK")  # (the work tables go with it: nothing was written)
    # the rejected lines erase would remove: its e-mails and names of the person
    own = _personal_emails(store, req.cols, req.ids, req.email if req.derived in req.ids else None)
    names = _personal_names(store, req.cols, req.ids)
    person = _Person(frozenset(req.ids), frozenset(own), frozenset(names), walked.respondents)
    # an address's refusals are kept by address, shared or not
    emails = _held(store, req.cols, req.ids, "email", _EMAIL) | {req.email} - {None}
    rejects = [r for p, survey in _rejects_files(store) for r in _rejects_of(p, person, survey)]
    # an erased customer's address keeps its refusals: asked for by it, they are what is held
    suppressions = _suppressions(store, emails)
    # the ledger's file names erase would redact: its ids that reached rows, and its e-mails
    found = [i for i in req.ids if _sha256(i) in {c.subject for c in walked.per_id}]
    import_files = _imports_named(store, found, own)
    if not walked.totals and not rejects and not suppressions and not import_files:
        raise NotFoundError(req.missing)
    about = {t: _ABOUT.get(t, _ABOUT_OTHER) for t in tables} | _ABOUT_SECTIONS
    return PersonExport(
        subject=req.subject,
        exported_at=now.replace(tzinfo=UTC),
        customer_ids=found,
        rows=walked.totals,
        tables=tables,
        suppressions=suppressions,
        rejects=rejects,
        import_files=import_files,
        kept=walked.kept,
        ids_kept=req.ids_kept,
        note=_KEPT_IDS_NOTE if req.ids_kept else None,
        about=about,
    )


def _taken(con: Any, table: str) -> list[dict[str, Any]]:
    """The rows of ``table`` the walk took, in the table's order, as JSON values."""
    return _json_rows(
        con.execute(
            f'SELECT * FROM "{table}" WHERE rowid IN (SELECT r FROM _erase_taken WHERE t = ?) '
            "ORDER BY rowid",
            [table],
        )
    )


def _json_rows(result: Any) -> list[dict[str, Any]]:
    """The rows of a query's ``result`` as dicts of JSON values (:func:`_json_value`)."""
    names = [d[0] for d in result.description]
    return [
        {n: _json_value(n, v) for n, v in zip(names, row, strict=True)} for row in result.fetchall()
    ]


def _json_value(column: str, value: Any) -> Any:
    """A stored value as portable JSON: a time in ISO 8601 with its zone (the store keeps UTC
    without one), a date as ISO 8601, a decimal as a number, an id as text (``run_id`` 3 is
    ``"3"``: an id is a name, not a quantity), NaN as null."""
    if value is None:
        return None
    if column.endswith("_id") or column == "id":
        return str(value)
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.utcoffset() is None else value
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes):
        return value.hex()
    return value


def _suppressions(store: Store, emails: AbstractSet[str]) -> list[dict[str, Any]]:
    """The refusals kept for the person's addresses (``consent_suppressions`` holds the
    SHA-256 of an address as the consent rule compares it: :func:`inbox_key`)."""
    hashes = sorted({_sha256(inbox_key(e)) for e in emails if e})
    if not hashes:
        return []
    return _json_rows(
        store.execute(
            "SELECT address_sha256, purpose, refused_at, kept_at FROM consent_suppressions "
            "WHERE address_sha256 IN (SELECT unnest(?::VARCHAR[])) ORDER BY kept_at, purpose",
            [hashes],
        )
    )


def _imports_named(store: Store, ids: list[str], emails: AbstractSet[str]) -> list[dict[str, Any]]:
    """The import ledger's rows erase would redact the file name of (:func:`_ledger_names`)."""
    named = sorted(_ledger_names(store, ids, emails))
    if not named:
        return []
    return _json_rows(
        store.execute(
            "SELECT import_id, kind, format, file, imported_at FROM imports "
            "WHERE import_id IN (SELECT unnest(?::BIGINT[])) ORDER BY import_id",
            [named],
        )
    )


def _rejects_of(path: Path, person: _Person, survey: bool) -> list[dict[str, Any]]:
    """The rows of a rejects file that name the person, as erase would remove them
    (:func:`_names_person`, :func:`_survey_row_names_person`), each with the file's name."""
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return []  # (gone meanwhile: an import replaced it)
    rows = list(csv.reader(text.splitlines(keepends=True)))
    if not rows or tuple(rows[0]) not in _reject_headers(survey):
        return []
    names_person = _row_names_person(person, survey)
    mine = [r for r in rows[1:] if names_person(r)]
    # (a cell the file protects from spreadsheets, ``'-5``, is the value ``-5``: JSON runs nothing)
    return [
        {"rejects_file": path.name, **dict(zip(rows[0], map(unprotected, r), strict=False))}
        for r in mine
    ]


def export_path(out: str | Path) -> Path:
    """``out`` as the file an export is written to: a ``.json`` file in a folder that
    exists, refused in one line before any reading otherwise."""
    return output_file(out, (".json",))


def write_export(export: PersonExport, out: str | Path) -> Path:
    """Write ``export`` as JSON to ``out`` (:func:`export_path`) atomically, readable by its
    owner only: it is one person's data. A file there is replaced only once the new one is
    complete."""
    path = export_path(out)
    text = export.model_dump_json(indent=2) + "\n"
    _replace_atomically(path, lambda fh: fh.write(text), mode=0o600)
    return path


# -- the rejects file beside the store ----------------------------------------------------------
def _personal_emails(
    store: Store, cols: dict[str, set[str]], ids: list[str], email: str | None
) -> set[str]:
    """The e-mails that name the person in a rejected row: the e-mail erased by (when its
    derived id is erased) and those stored on the erased ids' rows, except an e-mail another
    customer has too (a shared inbox: that line could be theirs)."""
    emails = _held(store, cols, ids, "email", _EMAIL) | ({email} if email else set())
    return _not_shared(store, cols, ids, "email", _EMAIL, emails)


def _personal_names(store: Store, cols: dict[str, set[str]], ids: list[str]) -> set[str]:
    """The names that name the person in a survey upload's rejected answer (:func:`_name_key`):
    those stored on the erased ids' rows, of two words or more (a first name alone, ``Ann``,
    would take other people's rows), except a name another customer has too (two ``John
    Smith``: that answer could be the other one's)."""
    names = {n for n in _held(store, cols, ids, "name", _NAME_SQL) if len(n.split()) >= 2}
    return _not_shared(store, cols, ids, "name", _NAME_SQL, names)


def _held(
    store: Store, cols: dict[str, set[str]], ids: list[str], column: str, key: str
) -> set[str]:
    """``key`` (SQL over ``column``) of the erased ids' rows, in every table holding both."""
    found: set[str] = set()
    for table, columns in cols.items():
        if {"customer_id", column} <= columns:
            rows = store.execute(
                f'SELECT DISTINCT {key} FROM "{table}" WHERE {column} IS NOT NULL '
                "AND CAST(customer_id AS VARCHAR) IN (SELECT unnest(?::VARCHAR[]))",
                [ids],
            ).fetchall()
            found.update(r[0] for r in rows if r[0])
    return found


def _not_shared(
    store: Store, cols: dict[str, set[str]], ids: list[str], column: str, key: str, keys: set[str]
) -> set[str]:
    """``keys`` but those (``key``, SQL over ``column``) another customer's row has too."""
    if not keys or column not in cols.get("customers", set()):
        return keys
    shared = store.execute(
        f"SELECT DISTINCT {key} FROM customers WHERE {column} IS NOT NULL AND customer_id NOT IN "
        f"(SELECT unnest(?::VARCHAR[])) AND {key} IN (SELECT unnest(?::VARCHAR[]))",
        [ids, sorted(keys)],
    ).fetchall()
    return keys - {r[0] for r in shared}


def _name_key(name: str) -> str:
    """A name as :func:`_personal_names` compares it: folded, its words single-spaced."""
    return " ".join(_fold(name).split())


#: :func:`_name_key` in SQL (every whitespace run of :data:`SPACE` one space, then trimmed and
#: lower-cased as :func:`_fold` does)
_NAME_SQL = (
    "lower(trim(regexp_replace(CAST(name AS VARCHAR), '["
    + "".join(f"\\x{{{ord(c):x}}}" for c in SPACE)
    + "]+', ' ', 'g')))"
)


def _rejects_files(store: Store) -> list[tuple[Path, bool]]:
    """The rejects files shopperlens writes beside the store that exist (none in memory),
    each with whether it is the survey uploads' (the imports' is the other)."""
    from shopperlens.service.imports import rejects_path
    from shopperlens.service.surveys import survey_rejects_path

    paths = ((rejects_path(store), False), (survey_rejects_path(store), True))
    return [(p, survey) for p, survey in paths if p is not None and p.is_file()]


@dataclass(frozen=True)
class _Person:
    """What names the erased person in a rejected row: their customer ids, e-mails
    (normalised), stored names (:func:`_name_key`) and the ``survey/respondent`` keys of the
    survey responses erased; ``email_keys`` are the e-mails' :func:`email_key`, which a
    survey upload's rejects file records for a respondent that is an e-mail address."""

    ids: frozenset[str]
    emails: frozenset[str]
    names: frozenset[str] = frozenset()
    respondents: frozenset[str] = frozenset()
    email_keys: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        keys = frozenset(k for e in self.emails for k in _email_keys(e))
        object.__setattr__(self, "email_keys", keys)


#: the separators a whole rejected line is split at (CSV, TSV, semicolon or pipe files)
_DELIMITERS = (",", "\t", ";", "|")
#: the string values of a JSON line (a malformed JSON row's value is its whole line)
_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _names_person(row: list[str], ids: AbstractSet[str], emails: AbstractSet[str]) -> bool:
    """Whether a rejected row names the person, judged by the column the value was read as
    (an import's rejects file says so in ``canonical_column``: a mapped ``Kundennummer`` is a
    ``customer_id``; older files name only that): its ``customer_id`` is one of their ids
    (case-sensitive, as ids are stored), its ``email`` holds one of their e-mails (any case,
    also as ``Ann <ann@example.org>``, which is why it was refused), or its value is a whole
    line (a malformed row) one of whose fields is one of their ids or that holds one of
    their e-mails. A value in any other column (a quantity of ``13``, a date
    ``13/01/2024``) names nobody, whatever the ids look like."""
    if len(row) < len(REJECT_COLUMNS):
        return False
    row = [unprotected(cell) for cell in row]  # (``'-5`` is the id -5: see write_rejects)
    value, reason = row[3], row[4]
    # the column it was read as (a mapped "Kundennummer" is customer_id), else as named
    column = row[5] if len(row) > len(REJECT_COLUMNS) and row[5] else row[2]
    if column == ROW or reason.startswith(MALFORMED):
        return any(f in ids for f in _fields(value)) or _holds_email(value, emails)
    if column == "customer_id":
        return value.strip() in ids
    return column == "email" and _holds_email(value, emails)


def _holds_email(text: str, emails: AbstractSet[str]) -> bool:
    """Whether ``text`` holds one of ``emails`` (normalised) as a whole address, in any case:
    ``Ann@Example.ORG`` and ``<ann@example.org>`` do, ``joann@example.org`` and
    ``ann@example.org.uk`` do not hold ``ann@example.org``."""
    pattern = _emails_regex(frozenset(emails))
    return pattern is not None and pattern.search(_fold(text)) is not None


@functools.lru_cache(maxsize=16)
def _emails_regex(emails: frozenset[str]) -> re.Pattern[str] | None:
    """:func:`_holds_email`'s regex (one per erasure: a rejects file is read row by row)."""
    parts = [_email_part(e) for e in sorted(emails) if e]
    return re.compile("|".join(parts)) if parts else None


def _email_part(email: str) -> str:
    """A regex of ``email`` as a whole address: no character of an address's local part just
    before it, no character of a domain name just after it (a sentence's full stop may be);
    composed or decomposed (:func:`_spellings`)."""
    either = "|".join(re.escape(s) for s in _spellings(email))
    return r"(?<![\w.%+\-])(?:" + either + r")(?![\w\-])(?!\.\w)"


def _survey_row_names_person(
    row: list[str], person: _Person, mentions: re.Pattern[str] | None
) -> bool:
    """Whether a survey upload's rejected row is the person's. Such a row is refused by a
    question id (a free-text ``why_buy`` holding markup), so :func:`_names_person` finds
    nobody in it: it is theirs when its ``customer_id`` is one of their ids, its
    ``respondent`` the key of one of their e-mails or a respondent of theirs in that survey
    (columns the file has since it records them, see ``SURVEY_REJECT_COLUMNS``), or its
    value or respondent holds one of their e-mails or stored names (``mentions``: which is
    all an older file, without those columns, says)."""
    if _names_person(row, person.ids, person.emails):
        return True
    if len(row) < len(REJECT_COLUMNS):
        return False
    row = [unprotected(cell) for cell in row]
    survey, respondent, customer_id = (*row[len(REJECT_COLUMNS) :], "", "", "")[:3]
    respondent, customer_id = respondent.strip(), customer_id.strip()
    if customer_id and customer_id in person.ids:
        return True
    if respondent and (
        respondent in person.email_keys or f"{survey}/{respondent}" in person.respondents
    ):
        return True
    return mentions is not None and any(mentions.search(_fold(t)) for t in (row[3], respondent))


def _mentions_pattern(person: _Person) -> re.Pattern[str] | None:
    """A regex finding one of the person's e-mails or names in :func:`_fold`ed free text,
    whole: ``ann@example.org`` not inside ``joann@example.org`` or ``ann@example.org.uk``, a
    name's words in order (any whitespace between) not inside longer words; None when there
    is nothing to look for."""
    parts = [_email_part(e) for e in sorted(person.emails) if e]
    parts += [
        _NOT_ALNUM_BEFORE + r"\s+".join(re.escape(w) for w in n.split()) + _NOT_ALNUM_AFTER
        for n in sorted(person.names)
        if n
    ]
    return re.compile("|".join(parts)) if parts else None


#: no letter or digit just before / after: where a whole token starts and ends
_NOT_ALNUM_BEFORE = r"(?<![^\W_])"
_NOT_ALNUM_AFTER = r"(?![^\W_])"


def _fold(text: str) -> str:
    """``text`` lower-cased as :func:`normalise_email` lower-cases an e-mail, one character for
    one (so a match's position in it is its position in ``text``)."""
    out = []
    for ch in text:
        low = "i" if ch == "\u0130" else ch.lower()
        out.append(low if len(low) == 1 else ch)
    return "".join(out)


def _fields(line: str) -> set[str]:
    """The fields of a whole line, trimmed: split as CSV at each usual separator, and the
    string values of a JSON line."""
    fields: set[str] = set()
    for delimiter in _DELIMITERS:
        for row in csv.reader([line], delimiter=delimiter):
            fields.update(f.strip() for f in row)
    fields.update(m.strip() for m in _JSON_STRING.findall(line))
    return fields


def _reject_headers(survey: bool) -> set[tuple[str, ...]]:
    """The header rows of the rejects files shopperlens writes (the survey uploads', or the
    imports'): a file with another header is not one of them and is left alone."""
    from shopperlens.service.surveys import SURVEY_REJECT_COLUMNS

    if survey:
        return {REJECT_COLUMNS, SURVEY_REJECT_COLUMNS}
    return {REJECT_COLUMNS, IMPORT_REJECT_COLUMNS}


def _row_names_person(person: _Person, survey: bool) -> Callable[[list[str]], bool]:
    """Whether a row of a rejects file names the person: :func:`_survey_row_names_person` for
    the survey uploads' file, :func:`_names_person` for the imports'. Erase removes such rows
    and the export shows them, so both ask this one question."""
    if survey:
        mentions = _mentions_pattern(person)
        return lambda row: _survey_row_names_person(row, person, mentions)
    return lambda row: _names_person(row, person.ids, person.emails)


def _scrub_rejects(path: Path, person: _Person, *, survey: bool = False) -> int:
    """Remove the rows of a rejects file that name the person (see :func:`_names_person`;
    for the survey uploads' file, :func:`_survey_row_names_person`), and their e-mail or id
    in the ``file`` column of the rows kept (other people's rows of a file named after the
    person, as in the import ledger: :func:`_redact_name`); rewritten atomically with the
    file's own line endings, mode and owner. Rows removed. The caller holds the store's write
    lock: an import replaces the file under it."""
    headers = _reject_headers(survey)
    names_person = _row_names_person(person, survey)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8", errors="surrogateescape")
        rows = list(csv.reader(text.splitlines(keepends=True)))
        if not rows or tuple(rows[0]) not in headers:
            return 0  # not a rejects file shopperlens wrote
        kept = [r for r in rows[1:] if not names_person(r)]
        removed = len(rows) - 1 - len(kept)
        by_email, by_id = _file_name_patterns(person.ids, person.emails)
        renamed = [[_redact_name(r[0], by_email, by_id), *r[1:]] if r else r for r in kept]
        if removed or renamed != kept:
            kept = renamed
            newline = "\r\n" if raw.split(b"\n", 1)[0].endswith(b"\r") else "\n"
            _write_atomically(path, [rows[0], *kept], newline)
    except OSError as exc:
        raise ShopperlensError(
            f"the customer's rows are erased from the store, but the rejects file {path} "
            f"could not be rewritten ({exc.strerror}); delete it or erase again"
        ) from None
    return removed


def _write_atomically(path: Path, rows: list[list[str]], newline: str) -> None:
    """Write a CSV beside ``path`` (lines ending in ``newline``, the old file's mode and
    owner), sync it, then put it in ``path``'s place."""
    _replace_atomically(
        path, lambda fh: csv.writer(fh, lineterminator=newline).writerows(rows), keep=True
    )


def _replace_atomically(
    path: Path, fill: Callable[[TextIO], object], *, keep: bool = False, mode: int | None = None
) -> None:
    """Write a file beside ``path`` with ``fill``, sync it, then put it in ``path``'s place:
    a reader (or a crash) sees the old file or the new one whole, never half of it. ``keep``:
    with the old file's mode and owner; ``mode``: with these permission bits."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w", newline="", encoding="utf-8", errors="surrogateescape") as fh:
            if mode is not None:
                os.chmod(tmp, mode)
            fill(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if keep:
            keep_mode_and_owner(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# -- the import ledger ---------------------------------------------------------------------------
#: what an erased e-mail or id in a ledger file name becomes
ERASED = "[erased]"


def _redact_ledger(con: Any, ids: list[str], emails: set[str]) -> int:
    """Replace the person's e-mails (any case) and ids in the import ledger's file names
    with :data:`ERASED`; rows changed. The rows stay (their checksums make imports
    idempotent), and so does the rest of each name. An e-mail counts wherever no letter or
    digit touches it (``crm_ann@example.org.csv``); an id is matched case-sensitively, as
    ids are stored, only as a whole token and only when it has a letter in it: a bare number
    (``13``, ``2024``) is as likely a date or a counter in a file name."""
    changed = _ledger_names(con, ids, emails)
    for import_id, new in changed.items():
        con.execute("UPDATE imports SET file = ? WHERE import_id = ?", [new, import_id])
    return len(changed)


def _ledger_names(con: Any, ids: list[str], emails: AbstractSet[str]) -> dict[int, str]:
    """The import ledger's rows whose file name names the person (see :func:`_redact_ledger`),
    by ``import_id``, each with its name redacted. Erase writes those names and the export
    lists those rows, so both ask this one question."""
    by_email, by_id = _file_name_patterns(ids, emails)
    if by_email is None and by_id is None:
        return {}
    rows = con.execute("SELECT import_id, file FROM imports").fetchall()
    return {
        import_id: new
        for import_id, file in rows
        if (new := _redact_name(file, by_email, by_id)) != file
    }


def _file_name_patterns(
    ids: AbstractSet[str] | list[str], emails: AbstractSet[str]
) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """The regexes :func:`_redact_name` replaces in a file name: the e-mails (searched
    folded) and the ids with a letter in them (see :func:`_redact_ledger`)."""
    by_email = _whole_addresses([e for e in emails if e])
    return by_email, _tokens([i for i in ids if any(ch.isalpha() for ch in i)])


#: what may follow an address in a file name: a file's extension, not the rest of a domain
_FILE_EXTENSIONS = "csv|tsv|txt|json|jsonl|ndjson|parquet|gz|zip|bz2|xz|xlsx"


def _whole_addresses(emails: list[str]) -> re.Pattern[str] | None:
    """A regex finding any of ``emails`` (folded) as a whole address in a folded file name: no
    character of a local part just before it (``_`` is the file name's separator, so
    ``crm_ann@…`` counts), and after it no more of a domain — a label that is no file
    extension: ``mary.ann@example.org.csv`` and ``ann@example.org.uk.csv`` are other people's
    addresses, where a letter-or-digit boundary took them for ``ann@example.org``."""
    if not emails:
        return None
    spelt = {s for e in emails for s in _spellings(e)}  # a file name may hold it decomposed
    alternatives = "|".join(re.escape(e) for e in sorted(spelt, key=len, reverse=True))
    after = rf"(?![a-z0-9\-])(?!\.(?!(?:{_FILE_EXTENSIONS})(?![a-z0-9\-]))[a-z0-9])"
    return re.compile(rf"(?<![a-z0-9.%+\-])(?:{alternatives}){after}")


def _tokens(words: list[str]) -> re.Pattern[str] | None:
    """A regex finding any of ``words`` where no letter or digit touches it; None for none."""
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(f"{_NOT_ALNUM_BEFORE}(?:{alternatives}){_NOT_ALNUM_AFTER}")


def _redact_name(name: str, by_email: re.Pattern[str] | None, by_id: re.Pattern[str] | None) -> str:
    """``name`` with every match replaced by :data:`ERASED`: of ``by_email`` in the name
    :func:`_fold`ed (an e-mail in any case), of ``by_id`` in the name as it is (ids are
    case-sensitive); overlapping matches become one."""
    spans = [m.span() for m in by_email.finditer(_fold(name))] if by_email else []
    spans += [m.span() for m in by_id.finditer(name)] if by_id else []
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:  # overlaps the span just replaced: that one reaches further
            pos = max(pos, end)
            continue
        out += [name[pos:start], ERASED]
        pos = end
    return "".join(out) + name[pos:]
