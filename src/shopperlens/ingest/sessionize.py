"""Sessions derived from events, and identity stitching.

Runs after the events of an import call are inserted, for the visitors that call touched:

1. **Identities**: a visitor is linked to the customer of its earliest event carrying a
   ``customer_id`` (in time, not in import order), and ``linked_at`` records that event's time.
   Events keep the ``customer_id`` of their file; the visitor's sessions carry the linked
   customer.
2. **Sessions**: events with a ``session_id`` keep it. The others are cut per visitor at
   :data:`SESSION_GAP_MINUTES` of inactivity (Google Analytics' default) and get
   ``auto:<visitor>:<start epoch ms>``, stable while the session's first event stays first.
   Cuts are recomputed for the touched visitors, so a later file that fills a gap merges
   sessions correctly.
3. One ``sessions`` row (origin ``events``) per affected session: start, end, duration, event
   counts per funnel step, and the landing page, UTM fields and device of its first event (at
   equal times one with a page or UTM field, then the smallest event id: a blank
   ``session_start`` logged in the landing page's second does not make the visit direct).
   A session id belongs to one visitor: should events inserted unchecked (the optimistic
   paths) give one id to two, the import is redone on the exact path, which rejects them.
"""

from __future__ import annotations

import duckdb

from shopperlens.ingest.loading import (
    TOUCHED,
    UNCHECKED_SESSIONS,
    NeedExactPath,
    temp_table_exists,
)
from shopperlens.statuses import SESSION_GAP_MINUTES

_T = f"(SELECT visitor_id FROM {TOUCHED})"
#: the touched visitors' earliest events naming a customer, while links are stitched
_LINKS = "_sl_links"
#: the rebuilt sessions' rows, checked for shared ids before they are inserted
_ROWS = "_sl_session_rows"
#: SQL: the event's visitor_id is its own, not its customer_id standing in for a blank one
_OWN = "(customer_id IS NULL OR visitor_id <> customer_id)"
#: the first event's sort key: time, then one that carries a page or UTM field, then event id
_FIRST_KEY = (
    "{'t': \"timestamp\", 'b': (coalesce(page, utm_source, utm_medium, utm_campaign) IS NULL), "
    "'e': event_id}"
)


def _touched(everyone: bool) -> str:
    """The SQL condition "this row's visitor was touched": TRUE when every visitor was (the
    call started on an empty ``events`` table), which spares a semi-join over every event."""
    return "TRUE" if everyone else f"visitor_id IN {_T}"


def stitch_identities(con: duckdb.DuckDBPyConnection, everyone: bool = False) -> int:
    """Learn visitor -> customer links and when each became known; returns the new links.

    A visitor's link is the customer of its earliest event naming one (at equal times the
    smallest customer id), and ``linked_at`` is that event's time: the features as of a date
    use the link only from then on. Derived from all the visitor's stored events, it is the
    same whatever order the files came in: a later file with an earlier such event moves the
    link (a shared browser, C2 signing in before C1) or its time. Only the touched visitors
    are recomputed: no other visitor gained an event.

    The link lives in ``identities`` only: events keep the ``customer_id`` their file gave
    them, and every reader resolves a visitor's customer through the link (the sessions rows
    carry it resolved, rebuilt after this for the same visitors). Writing it back into
    ``events`` rewrote that column of every touched row group when the import committed: on a
    10M-event file that cost more than the sessions (2.2 s), and it grows with the table for a
    later file that reveals old visitors.
    """
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_LINKS} AS "
        "SELECT visitor_id, f.c AS customer_id, f.t AS linked_at FROM ("
        "SELECT visitor_id, min({'t': \"timestamp\", 'c': customer_id}) AS f FROM events "
        f"WHERE customer_id IS NOT NULL AND {_touched(everyone)} GROUP BY visitor_id)"
    )
    _move_links(con)
    new = con.execute(
        "INSERT INTO identities (visitor_id, customer_id, linked_at) "
        f"SELECT visitor_id, customer_id, linked_at FROM {_LINKS} l WHERE NOT EXISTS "
        "(SELECT 1 FROM identities i WHERE i.visitor_id = l.visitor_id)"
    ).fetchone()[0]  # type: ignore[index]
    con.execute(f"DROP TABLE {_LINKS}")
    return int(new)


def _move_links(con: duckdb.DuckDBPyConnection) -> None:
    """Point stored links of the touched visitors at their earliest customer event, when a
    file brought an earlier one (a few rows: the join is over ``identities``, not events)."""
    con.execute(
        "UPDATE identities SET customer_id = l.customer_id, linked_at = l.linked_at "
        f"FROM {_LINKS} l WHERE identities.visitor_id = l.visitor_id "
        "AND (identities.customer_id <> l.customer_id "
        "OR identities.linked_at IS DISTINCT FROM l.linked_at)"
    )


def cut_sessions(
    con: duckdb.DuckDBPyConnection, gap_minutes: int = SESSION_GAP_MINUTES, everyone: bool = False
) -> None:
    """Assign ``auto:`` session ids to touched visitors' events that came without one."""
    pending = con.execute(
        f"SELECT count(*) FROM events WHERE {_touched(everyone)} "
        "AND (session_id IS NULL OR session_id LIKE 'auto:%')"
    ).fetchone()[0]  # type: ignore[index]
    if not pending:
        return
    # a session starts where the gap to the visitor's previous event exceeds the limit; an
    # event's session is the latest start up to it (a running max: one window pass fewer than
    # numbering the sessions and taking each one's minimum, 2.7 s instead of 4.2 on 10M events)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _sl_cut AS "
        'WITH ev AS (SELECT event_id, visitor_id, "timestamp" AS ts, session_id AS old FROM events '
        f"WHERE {_touched(everyone)} AND (session_id IS NULL OR session_id LIKE 'auto:%')), "
        "g AS (SELECT *, lag(ts) OVER (PARTITION BY visitor_id ORDER BY ts, event_id) AS prev "
        "FROM ev), "
        "n AS (SELECT *, max(CASE WHEN prev IS NULL "
        f"OR ts - prev > INTERVAL {int(gap_minutes)} MINUTE THEN ts END) OVER "
        "(PARTITION BY visitor_id ORDER BY ts, event_id ROWS UNBOUNDED PRECEDING) AS start "
        "FROM g) "
        "SELECT event_id, old, 'auto:' || visitor_id || ':' || "
        "CAST(epoch_ms(start) AS VARCHAR) AS session_id FROM n"
    )
    # sessions cut earlier that may now be merged or re-started are rebuilt from scratch
    con.execute(
        "DELETE FROM sessions WHERE origin = 'events' AND session_id IN "
        "(SELECT old FROM _sl_cut WHERE old IS NOT NULL)"
    )
    con.execute(
        "UPDATE events SET session_id = c.session_id FROM _sl_cut c "
        "WHERE events.event_id = c.event_id AND events.session_id IS DISTINCT FROM c.session_id"
    )
    con.execute("DROP TABLE _sl_cut")


def rebuild_sessions(con: duckdb.DuckDBPyConnection, everyone: bool = False) -> None:
    """Recompute the ``sessions`` rows of every session a touched visitor has events in.

    Imported sessions (origin ``import``) with the same id are kept: the anti-join runs on the
    aggregated sessions, not on every event, and only when ``sessions`` has rows at all."""
    if everyone:
        affected = "session_id IS NOT NULL"
    else:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _sl_affected AS SELECT DISTINCT session_id FROM events "
            f"WHERE visitor_id IN {_T} AND session_id IS NOT NULL"
        )
        affected = "session_id IN (SELECT session_id FROM _sl_affected)"
    has_sessions = con.execute("SELECT EXISTS (SELECT 1 FROM sessions)").fetchone()[0]  # type: ignore[index]
    if has_sessions:
        con.execute(
            "DELETE FROM sessions WHERE origin = 'events' AND session_id IN "
            f"(SELECT session_id FROM events WHERE {affected})"
        )

    def n(*names: str) -> str:
        listed = ", ".join(f"'{x}'" for x in names)
        return f"count(*) FILTER (WHERE event_name IN ({listed}))"

    # one arg_min over a struct keeps the per-session state small (10M events, 1 GiB)
    first = (
        "arg_min({'p': page, 's': utm_source, 'm': utm_medium, 'c': utm_campaign, "
        f"'t': utm_term, 'd': device}}, {_FIRST_KEY})"
    )
    kept = (
        "WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = a.session_id)"
        if has_sessions
        else ""
    )
    con.execute("SET preserve_insertion_order = false")  # sessions are keyed, not ordered
    try:
        # a session's visitor hashes, lowest and highest: they differ when two visitors meet
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_ROWS} AS "
            "SELECT session_id, any_value(visitor_id) AS visitor_id, "
            'any_value(customer_id) AS customer_id, min("timestamp") AS started_at, '
            'max("timestamp") AS ended_at, count(*) AS n_events, '
            f"{n('page_view')} AS page_views, {n('view_item')} AS product_views, "
            f"{n('view_search_results', 'search')} AS searches, "
            f"{n('add_to_cart')} AS add_to_carts, {n('begin_checkout')} AS checkouts, "
            f"{n('purchase')} AS purchases, {first} AS f, min(hash(visitor_id)) AS _lo, "
            f"max(hash(visitor_id)) AS _hi FROM events WHERE {affected} GROUP BY session_id"
        )
        _settle_visitors(con)
        con.execute(
            "INSERT INTO sessions (session_id, origin, visitor_id, customer_id, started_at, "
            "ended_at, duration_s, n_events, page_views, product_views, searches, add_to_carts, "
            "checkouts, purchases, landing_page, utm_source, utm_medium, utm_campaign, utm_term, "
            "device) "
            "SELECT session_id, 'events', a.visitor_id, coalesce(a.customer_id, i.customer_id), "
            "started_at, ended_at, "
            "date_diff('millisecond', started_at, ended_at) / 1000.0, n_events, page_views, "
            "product_views, searches, add_to_carts, checkouts, purchases, f.p, f.s, f.m, f.c, "
            f"f.t, f.d FROM {_ROWS} a "
            f"LEFT JOIN identities i ON i.visitor_id = a.visitor_id {kept}"
        ).fetchall()
    finally:
        con.execute("RESET preserve_insertion_order")
    con.execute(f"DROP TABLE {_ROWS}")
    con.execute("DROP TABLE IF EXISTS _sl_affected")


def _settle_visitors(con: duckdb.DuckDBPyConnection) -> None:
    """Give each rebuilt session whose events name several visitors its own visitor.

    A customer_id standing in for a blank visitor_id (a purchase logged server-side) joins the
    visitor's session: the session stays the visitor's. Two visitors of their own under one id
    were let in unchecked by an optimistic path (:data:`~shopperlens.ingest.loading.
    UNCHECKED_SESSIONS`): :class:`NeedExactPath` redoes the call staged, which rejects the
    second visitor's rows. Sessions stored before ids were checked keep their smallest visitor.
    Only sessions whose visitor hashes differ are looked at again (a few, or none).
    """
    if not con.execute(f"SELECT EXISTS (SELECT 1 FROM {_ROWS} WHERE _lo <> _hi)").fetchone()[0]:  # type: ignore[index]
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _sl_own AS "
        "SELECT session_id, min(visitor_id) AS lo, max(visitor_id) AS hi FROM events "
        f"WHERE session_id IN (SELECT session_id FROM {_ROWS} WHERE _lo <> _hi) AND {_OWN} "
        "GROUP BY session_id"
    )
    shared = con.execute("SELECT EXISTS (SELECT 1 FROM _sl_own WHERE lo <> hi)").fetchone()[0]  # type: ignore[index]
    if shared and temp_table_exists(con, UNCHECKED_SESSIONS):
        raise NeedExactPath
    con.execute(
        f"UPDATE {_ROWS} SET visitor_id = o.lo FROM _sl_own o "
        f"WHERE {_ROWS}.session_id = o.session_id"
    )
    con.execute("DROP TABLE _sl_own")


def derive(con: duckdb.DuckDBPyConnection, everyone: bool = False) -> dict[str, int]:
    """Identities, session cuts and session rows for the visitors of this import call;
    ``everyone``: the call began on an empty ``events`` table, so every visitor is touched."""
    if not con.execute(f"SELECT count(*) FROM {TOUCHED}").fetchone()[0]:  # type: ignore[index]
        return {}
    links = stitch_identities(con, everyone)
    # sessions of touched visitors are rebuilt, not only added: the net change is what is new
    # (a file of events already stored rebuilds their sessions and adds none)
    before = _count(con, "sessions")
    cut_sessions(con, everyone=everyone)
    rebuild_sessions(con, everyone)
    return {"identities": links, "sessions": max(_count(con, "sessions") - before, 0)}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
