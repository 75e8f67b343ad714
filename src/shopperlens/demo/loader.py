"""Put a generated demo shop straight into a store, without going through the file imports.

This is the quick path for tests (and the fallback of ``shopperlens demo`` for tables no
importer covers yet): the frames go in with DuckDB, then ``sessions`` and ``identities`` are
derived from the events the same way the importer derives them (session rows of origin
``events``; a visitor linked to the customer id any of its events carries).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopperlens.demo import DemoShop
    from shopperlens.store import Store

_ORDERS_SQL = """
INSERT INTO orders
SELECT order_id, any_value(customer_id), min(ordered_at), any_value(currency),
       any_value(shipping), any_value(status), any_value(discount_code)
FROM demo_orders GROUP BY order_id
"""
_LINES_SQL = """
INSERT INTO order_lines
SELECT order_id, row_number() OVER (PARTITION BY order_id ORDER BY rowid)::INTEGER,
       product_id, product_name, category, quantity, unit_price, discount_code
FROM (SELECT row_number() OVER () AS rowid, * FROM demo_orders)
"""
SESSIONS_SQL = """
INSERT INTO sessions (session_id, origin, visitor_id, customer_id, started_at, ended_at,
    duration_s, n_events, page_views, product_views, searches, add_to_carts, checkouts,
    purchases, landing_page, utm_source, utm_medium, utm_campaign, utm_term, device)
SELECT session_id, 'events', arg_min(visitor_id, "timestamp"),
       max(customer_id), min("timestamp"), max("timestamp"),
       date_diff('second', min("timestamp"), max("timestamp"))::DOUBLE,
       count(*)::INTEGER,
       count(*) FILTER (event_name = 'page_view')::INTEGER,
       count(*) FILTER (event_name = 'view_item')::INTEGER,
       count(*) FILTER (event_name = 'view_search_results')::INTEGER,
       count(*) FILTER (event_name = 'add_to_cart')::INTEGER,
       count(*) FILTER (event_name = 'begin_checkout')::INTEGER,
       count(*) FILTER (event_name = 'purchase')::INTEGER,
       arg_min(page, "timestamp"), arg_min(utm_source, "timestamp"),
       arg_min(utm_medium, "timestamp"), arg_min(utm_campaign, "timestamp"),
       arg_min(utm_term, "timestamp"), arg_min(device, "timestamp")
FROM events WHERE session_id IS NOT NULL AND session_id NOT IN (SELECT session_id FROM sessions)
GROUP BY session_id
"""
IDENTITIES_SQL = """
INSERT OR REPLACE INTO identities (visitor_id, customer_id, linked_at)
SELECT visitor_id, customer_id, min("timestamp") FROM events
WHERE visitor_id IS NOT NULL AND customer_id IS NOT NULL GROUP BY visitor_id, customer_id
QUALIFY customer_id = max(customer_id) OVER (PARTITION BY visitor_id)
"""


def load(store: Store, demo: DemoShop) -> dict[str, int]:
    """Insert the demo's frames into the canonical tables; returns rows per table.

    The store should be empty: this is not an importer (no ledger, no deduplication).
    """
    frames = {
        "customers": demo.customers,
        "products": demo.products,
        "events": demo.events,
        "tickets": demo.tickets,
        "returns": demo.returns,
        "consents": demo.consents,
    }
    with store.transaction() as con:
        for table, frame in frames.items():
            con.register("demo_frame", frame)
            cols = ", ".join(f'"{c}"' for c in frame.columns)
            con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM demo_frame')
            con.unregister("demo_frame")
        con.register("demo_orders", demo.orders)
        con.execute(_ORDERS_SQL)
        con.execute(_LINES_SQL)
        con.unregister("demo_orders")
        con.execute(SESSIONS_SQL)
        con.execute(IDENTITIES_SQL)
    tables = [*frames, "orders", "order_lines", "sessions", "identities"]
    return {t: store.count(t) for t in tables}
