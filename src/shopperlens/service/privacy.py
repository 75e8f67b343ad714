"""Erasure: remove one customer from every table, in one transaction.

The store grows tables as concerns are added (survey responses, persona members, type runs …),
so erasure does not keep a list: it finds every table with a ``customer_id`` or ``email``
column, collects the keys that hang off the customer's rows there (orders, visitors, sessions,
survey responses …), then the keys on the rows those keys reach, and so on (a visitor id
linked to the customer finds a pop-up response, whose id finds its answers), and deletes every
row in any table that carries one of those keys, and persona rows naming an erased respondent.
The report names the subject only by a SHA-256 of its id.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.store import Store

#: key columns that, found on a customer's row, identify dependent rows elsewhere
_DEPENDENT_KEYS = (
    "order_id",
    "visitor_id",
    "session_id",
    "response_id",
    "ticket_id",
    "return_id",
    "invitation_id",
    "delivery_id",
)
#: tables that record history about the store itself, not about people
_SKIP = {"schema_migrations", "imports", "erasures"}
#: rounds of following keys (visitor -> response -> answers needs two); a safety bound
_MAX_ROUNDS = 10


class ErasureReport(BaseModel):
    subject: str  # SHA-256 of the customer id, so the ledger holds no personal data
    rows_deleted: dict[str, int]
    erased_at: datetime

    @property
    def total(self) -> int:
        return sum(self.rows_deleted.values())


def _columns(store: Store) -> dict[str, set[str]]:
    rows = store.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall()
    cols: dict[str, set[str]] = {}
    for table, column in rows:
        if table not in _SKIP:
            cols.setdefault(table, set()).add(column)
    return cols


def erase_customer(
    *, store: Store, customer_id: str | None = None, email: str | None = None
) -> ErasureReport:
    """Delete every row about one customer (by id or e-mail) from every table."""
    if not customer_id and not email:
        raise ShopperlensError("name the customer to erase: a customer id or an e-mail")
    email_norm = email.strip().lower() if email else None
    if customer_id is None:
        customer_id = store.scalar(
            "SELECT customer_id FROM customers WHERE email = ? LIMIT 1", [email_norm]
        )
        if customer_id is None:
            raise NotFoundError("no customer with that e-mail")
    stored = store.scalar("SELECT email FROM customers WHERE customer_id = ?", [customer_id])
    if email_norm is not None and stored is not None and stored != email_norm:
        # the two name different people: erasing by both would delete someone else's rows
        raise ShopperlensError(
            "that e-mail is not the e-mail of that customer id; give the id or the e-mail"
        )
    if email_norm is not None and stored is None:
        owner = store.scalar(
            "SELECT customer_id FROM customers WHERE email = ? LIMIT 1", [email_norm]
        )
        if owner is not None and owner != customer_id:
            raise ShopperlensError(
                "that e-mail belongs to another customer; give the id or the e-mail"
            )
    email_norm = email_norm or stored
    cols = _columns(store)
    with store.transaction() as con:
        con.execute("CREATE TEMP TABLE IF NOT EXISTS _erase_keys (k VARCHAR, v VARCHAR)")
        con.execute("DELETE FROM _erase_keys")
        _collect_keys(con, cols, customer_id, email_norm)
        _collect_respondents(con, cols)
        deleted = _delete_rows(con, cols, customer_id, email_norm)
        con.execute("DROP TABLE _erase_keys")
    if not deleted:
        raise NotFoundError("no customer with that id")
    return ErasureReport(
        subject=hashlib.sha256(customer_id.encode()).hexdigest(),
        rows_deleted=deleted,
        erased_at=datetime.now(),
    )


def _collect_keys(con: Any, cols: dict[str, set[str]], customer_id: str, email: str | None) -> None:
    """Every key hanging off a row that will be deleted, transitively, into ``_erase_keys``.

    A pop-up response is found through the customer's visitor id (``identities``), and its
    answers through the response's id: keys are collected round after round from every row a
    key already reaches, until a round finds nothing new.
    """
    for _ in range(_MAX_ROUNDS):
        found = 0
        for table, columns in cols.items():
            where, params = _match(columns, customer_id, email)
            if not where:
                continue
            for key in _DEPENDENT_KEYS:
                if key in columns:
                    value = f'CAST("{key}" AS VARCHAR)'
                    n = con.execute(
                        f"INSERT INTO _erase_keys SELECT DISTINCT '{key}', {value} "
                        f"FROM \"{table}\" WHERE ({where}) AND {value} <> '' AND {value} "
                        f"NOT IN (SELECT v FROM _erase_keys WHERE k = '{key}')",
                        params,
                    ).fetchone()
                    found += int(n[0]) if n else 0
        if not found:
            return


def _collect_respondents(con: Any, cols: dict[str, set[str]]) -> None:
    """``survey/respondent`` of every response to be erased: persona members and quotes name
    respondents, not responses, and a respondent id is only unique within its survey."""
    if {"response_id", "survey", "respondent"} <= cols.get("survey_responses", set()):
        con.execute(
            "INSERT INTO _erase_keys SELECT DISTINCT 'respondent', survey || '/' || respondent "
            "FROM survey_responses WHERE response_id IN "
            "(SELECT v FROM _erase_keys WHERE k = 'response_id')"
        )


def _delete_rows(
    con: Any, cols: dict[str, set[str]], customer_id: str, email: str | None
) -> dict[str, int]:
    """Delete the customer's rows and every row a collected key reaches; rows per table."""
    deleted: dict[str, int] = {}
    for table, columns in cols.items():
        where, params = _match(columns, customer_id, email)
        respondent = _respondent_clause(table, columns, cols)
        clauses = [c for c in (where, respondent) if c]
        if not clauses:
            continue
        n = con.execute(
            f'DELETE FROM "{table}" WHERE {" OR ".join(f"({c})" for c in clauses)}', params
        ).fetchone()
        if n and n[0]:
            deleted[table] = int(n[0])
    return deleted


def _match(columns: set[str], customer_id: str, email: str | None) -> tuple[str, list[str]]:
    """SQL that picks a table's rows about the customer: their id or e-mail, or a key
    collected so far."""
    where, params = _subject_filter(columns, customer_id, email)
    clauses = [f"({where})"] if where else []
    for key in _DEPENDENT_KEYS:
        if key in columns:
            clauses.append(
                f"CAST(\"{key}\" AS VARCHAR) IN (SELECT v FROM _erase_keys WHERE k = '{key}')"
            )
    return " OR ".join(clauses), params


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


def _subject_filter(
    columns: set[str], customer_id: str, email: str | None
) -> tuple[str, list[str]]:
    parts, params = [], []
    if "customer_id" in columns:
        parts.append("CAST(customer_id AS VARCHAR) = ?")
        params.append(customer_id)
    if "email" in columns and email:
        parts.append("lower(trim(email)) = ?")
        params.append(email)
    return " OR ".join(parts), params
