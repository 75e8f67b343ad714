"""Erasure: remove one customer from every table, in one transaction.

The store grows tables as concerns are added (survey responses, persona members, type runs …),
so erasure does not keep a list: it finds every table with a ``customer_id`` or ``email``
column, collects the keys that hang off the customer's rows there (orders, visitors, sessions,
survey responses …) and deletes every row in any table that carries one of those keys.
The report names the subject only by a SHA-256 of its id.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import BaseModel

from shopperlens.errors import ShopperlensError
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
            raise ShopperlensError("no customer with that e-mail")
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
    deleted: dict[str, int] = {}
    with store.transaction() as con:
        con.execute("CREATE TEMP TABLE IF NOT EXISTS _erase_keys (k VARCHAR, v VARCHAR)")
        con.execute("DELETE FROM _erase_keys")
        # 1. keys hanging off the customer's own rows
        for table, columns in cols.items():
            where, params = _subject_filter(columns, customer_id, email_norm)
            if not where:
                continue
            for key in _DEPENDENT_KEYS:
                if key in columns:
                    con.execute(
                        f"INSERT INTO _erase_keys SELECT '{key}', CAST(\"{key}\" AS VARCHAR) "
                        f'FROM "{table}" WHERE ({where}) AND "{key}" IS NOT NULL',
                        params,
                    )
        # 2. delete the customer's rows and every row carrying a collected key
        for table, columns in cols.items():
            where, params = _subject_filter(columns, customer_id, email_norm)
            clauses = [f"({where})"] if where else []
            for key in _DEPENDENT_KEYS:
                if key in columns:
                    clauses.append(
                        f'CAST("{key}" AS VARCHAR) IN '
                        f"(SELECT v FROM _erase_keys WHERE k = '{key}')"
                    )
            if not clauses:
                continue
            n = con.execute(
                f'DELETE FROM "{table}" WHERE {" OR ".join(clauses)}', params
            ).fetchone()
            if n and n[0]:
                deleted[table] = int(n[0])
        con.execute("DROP TABLE _erase_keys")
    if not deleted:
        raise ShopperlensError("no customer with that id")
    return ErasureReport(
        subject=hashlib.sha256(customer_id.encode()).hexdigest(),
        rows_deleted=deleted,
        erased_at=datetime.now(),
    )


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
