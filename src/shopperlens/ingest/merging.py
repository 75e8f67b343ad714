"""One person, one id: a customers file absorbs the ``e-…`` ids rows got by e-mail alone.

A Shopify orders export (or a ticket, a return filed by e-mail) names its customer only by
e-mail; ingest keys such a row ``e-`` + a prefix of the e-mail's SHA-256
(``kinds.email_key_sql``), unless exactly one stored customer has that e-mail
(``loading._link_emails``). Imported *before* the shop's customers file, such rows kept their
``e-`` id, and the customers file then added the same person under the shop's id (``CRM1``): two
customers, typed apart, and the web analytics' ``user_id`` (the shop's id) never met the orders.

A customers file now moves them: where exactly one customer other than the ``e-`` id itself
has an e-mail, and that customer is in the file, every row under the e-mail's ``e-`` id takes
that customer's id — orders, tickets, returns, consents, identities, events, sessions,
survey invitations and responses, interview notes — and the ``e-`` customer is folded into the
file's: the file's values stand, and a column it leaves blank takes the orders' (a billing
country, the first order's date), as when a customers file completes a customer an orders file
created under the shop's id. The orders, consents and answers are then where the customers file
would have put them had it come first. Computed runs (types, CLV, intent, personas) keep the
ids they were made with: they describe the store as it was (the CLV run is made again:
``service.value_run``).
"""

from __future__ import annotations

import duckdb

from shopperlens.ingest.kinds import email_key_sql
from shopperlens.ingest.loading import LATEST_MARKETING, temp_table_exists

#: the temporary table of ``old`` (the ``e-`` id) → ``new`` (the customers file's id) pairs
MERGE = "_sl_merge"
#: the customers an import call's files gave, while the call runs (:func:`remember`)
CALL = "_sl_call_customers"

#: tables whose rows name a customer as data: their ``customer_id`` is re-keyed. The others
#: with a ``customer_id`` column are :data:`RUNS`, ``consents`` (see :func:`_move_consents`),
#: ``customers`` and ``ingest_placeholders`` (folded and dropped).
DATA_TABLES = (
    "orders",
    "tickets",
    "returns",
    "identities",
    "events",
    "sessions",
    "survey_invitations",
    "survey_responses",
    "interview_notes",
    "interview_tags",
)
#: computed results: each describes the store as it was when it ran
RUNS = (
    "customer_types",
    "customer_value",
    "visitor_intent",
    "persona_members",
    "persona_quotes",
)
#: where an id made from an e-mail is found: orders create their ``customers`` row, a consent
#: may outlive its customer's other rows, and a survey answer given by e-mail is kept under
#: the e-mail's id (its ``respondent``) with no customer when the shop had none with it
_KEYED_BY_EMAIL = (
    "SELECT customer_id AS id FROM customers",
    "SELECT customer_id AS id FROM tickets",
    "SELECT customer_id AS id FROM returns",
    "SELECT customer_id AS id FROM consents",
    "SELECT respondent AS id FROM survey_responses WHERE customer_id IS NULL",
)
#: the customer's own columns a merge fills where the customers file left them blank
_FILLED = ("name", "created_at", "country", "city", "birth_year", "gender", "accepts_marketing")


def email_keys_stored(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a row may be keyed by an e-mail alone (an id beginning ``e-``): a customers
    file must then be staged, for :func:`remember` reads its rows there."""
    return any(
        con.execute(f"SELECT EXISTS (SELECT 1 FROM ({q}) WHERE id LIKE 'e-%')").fetchone()[0]  # type: ignore[index]
        for q in _KEYED_BY_EMAIL
    )


def remember(con: duckdb.DuckDBPyConnection, stage: str) -> None:
    """Note the customers of one file of the call (its good staged rows, ``stage``) for
    :func:`absorb_email_keys`, which runs once the call's every file is in."""
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {CALL} (customer_id VARCHAR)")
    if email_keys_stored(con):
        con.execute(f"INSERT INTO {CALL} SELECT customer_id FROM {stage} WHERE _reject IS NULL")


def absorb_email_keys(con: duckdb.DuckDBPyConnection, files: str) -> int:
    """Move every row under an ``e-`` id to the customer of the call's files who has its
    e-mail (see :func:`remember`; ``files`` names them in the consents this records); returns
    the ``e-`` ids merged.

    A family address shared by two customers names neither: its ``e-`` rows stay, as
    ``loading._link_emails`` leaves such a row on import — also when the two came in two
    files of one call, which is why this runs after the call's last file.
    """
    if not temp_table_exists(con, CALL):
        return 0
    key = email_key_sql("email")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {MERGE} AS "
        f"SELECT {key} AS old, new FROM ("
        "  SELECT email, any_value(customer_id) AS new FROM customers "
        "  WHERE email IN (SELECT email FROM customers "
        f"    WHERE customer_id IN (SELECT customer_id FROM {CALL})) "
        f"  AND customer_id <> {key} GROUP BY email HAVING count(*) = 1"
        f") WHERE new IN (SELECT customer_id FROM {CALL})"
    )
    con.execute(f"DROP TABLE {CALL}")
    present = " UNION ALL ".join(_KEYED_BY_EMAIL)
    # (NOT EXISTS, not NOT IN: a guest's return has no customer, and a NULL in NOT IN's list
    # made every pair look present)
    con.execute(
        f"DELETE FROM {MERGE} WHERE NOT EXISTS (SELECT 1 FROM ({present}) p WHERE p.id = old)"
    )
    merged = int(con.execute(f"SELECT count(*) FROM {MERGE}").fetchone()[0])  # type: ignore[index]
    if merged:
        _move_consents(con)
        _record_checkout_answer(con, files)
        _fold_customers(con)
        for table in DATA_TABLES:
            con.execute(
                f"UPDATE {table} t SET customer_id = m.new FROM {MERGE} m "
                "WHERE t.customer_id = m.old"
            )
        con.execute(
            f"UPDATE survey_responses r SET customer_id = m.new FROM {MERGE} m "
            "WHERE r.customer_id IS NULL AND r.respondent = m.old"
        )
        con.execute(
            f"DELETE FROM ingest_placeholders WHERE kind = 'customers' "
            f"AND key IN (SELECT old FROM {MERGE})"
        )
        con.execute(f"DELETE FROM customers WHERE customer_id IN (SELECT old FROM {MERGE})")
    con.execute(f"DROP TABLE {MERGE}")
    return merged


def _move_consents(con: duckdb.DuckDBPyConnection) -> None:
    """The ``e-`` id's consent records become the customer's. Where the customer has a
    record for the same purpose at the same moment (the key allows one), a refusal stands:
    a "no" of either id keeps the person out, as a "no" on one id of an address does."""
    con.execute(
        f"DELETE FROM consents c USING {MERGE} m, consents e WHERE c.customer_id = m.new "
        "AND e.customer_id = m.old AND e.purpose = c.purpose AND e.recorded_at = c.recorded_at "
        "AND c.granted AND NOT e.granted"
    )
    con.execute(
        f"UPDATE consents c SET customer_id = m.new FROM {MERGE} m WHERE c.customer_id = m.old "
        "AND NOT EXISTS (SELECT 1 FROM consents k WHERE k.customer_id = m.new "
        "AND k.purpose = c.purpose AND k.recorded_at = c.recorded_at)"
    )
    con.execute(f"DELETE FROM consents WHERE customer_id IN (SELECT old FROM {MERGE})")


def _record_checkout_answer(con: duckdb.DuckDBPyConnection, files: str) -> None:
    """The marketing answer the orders gave the ``e-`` customer (its ``accepts_marketing``)
    becomes a consent record of the customer where the orders would have recorded it had the
    customers file come first (``loading._record_order_consents``): it differs from the
    customer's word, no record is newer than the latest order, and that order was not placed
    before the customer was created. The file must give its own answer: a blank one takes the
    orders' (:func:`_fold_customers`)."""
    con.execute(
        "INSERT INTO consents (customer_id, purpose, granted, recorded_at, source) "
        "SELECT m.new, 'marketing', e.accepts_marketing, o.at, ? "
        f"FROM {MERGE} m JOIN customers e ON e.customer_id = m.old "
        "JOIN customers c ON c.customer_id = m.new JOIN ("
        "  SELECT customer_id, max(ordered_at) AS at FROM orders "
        f"  WHERE customer_id IN (SELECT old FROM {MERGE}) GROUP BY customer_id"
        f") o ON o.customer_id = m.old LEFT JOIN ({LATEST_MARKETING}) k ON k.customer_id = m.new "
        "WHERE e.accepts_marketing IS NOT NULL AND c.accepts_marketing IS NOT NULL "
        "AND e.accepts_marketing IS DISTINCT FROM coalesce(k.granted, c.accepts_marketing) "
        "AND (k.at IS NULL OR o.at > k.at) AND (c.created_at IS NULL OR o.at >= c.created_at) "
        "ON CONFLICT DO NOTHING",
        [f"orders, before customers: {files}"],
    )


def _fold_customers(con: duckdb.DuckDBPyConnection) -> None:
    """The customer keeps the file's values; a column the file left blank takes the ``e-``
    customer's (from the orders: a first order's date, a billing country …)."""
    sets = ", ".join(f"{c} = coalesce(c.{c}, e.{c})" for c in _FILLED)
    con.execute(
        f"UPDATE customers c SET {sets} FROM {MERGE} m JOIN customers e "
        "ON e.customer_id = m.old WHERE c.customer_id = m.new"
    )
