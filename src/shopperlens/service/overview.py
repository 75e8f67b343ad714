"""What the shop's data holds at a glance: period, customers, orders, revenue, traffic.

The report's front page and ``Shop.overview()`` show it; every figure is one SQL aggregate over
the canonical tables, so it stays fast on large stores. Orders, revenue, buyers and repeat
buying count real purchases only: cancelled, refunded, failed, voided and expired orders are left
out, as CLV and the playbooks leave them out (``statuses.EXCLUDED_STATUSES``). A line's
category is its own or, when it names none, its product's in the products file
(:data:`LINE_CATEGORY`, as the customer types read it).

Amounts are in the shop's currency (the one most orders name, :func:`shop_currency`): revenue,
the average order, revenue per month and per category add up the orders in that currency (and
those naming none) only. Orders in another currency are counted as orders, but their amounts
are not added in as if they were in the shop's currency: ``other_currency_orders`` says how many
were left out of the amounts, per currency, and a category sold only in another currency is not
ranked (at 0). Three EUR 100 orders and two SEK 1,100 orders read "EUR 300
revenue", with "2 orders in SEK not included", not "EUR 2,500".
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from shopperlens.merchandise import MERCHANDISE, PRODUCT_LINES
from shopperlens.service.clv import PURCHASES
from shopperlens.store import Store

#: imported sessions without a source: the source is not known (sessions derived from events
#: without a utm source are direct visits, as analytics tools count them)
UNKNOWN_SOURCE = "(unknown source)"
#: a currency as one code (``eur``, `` EUR`` and ``EUR`` are one currency); ``{c}`` the column
CURRENCY_CODE = "NULLIF(upper(trim({c})), '')"


def in_shop_currency_sql(column: str) -> str:
    """SQL that is TRUE when the currency in ``column`` is the shop's (an order naming none
    is): its two parameters are the shop's currency, twice (:func:`shop_currency`)."""
    return f"coalesce({CURRENCY_CODE.format(c=column)}, ?) = ?"


#: a line's category: its own, else its product's in the products file (an orders file often
#: names the product only), as the customer types read it; ``l`` is the line and ``p`` its
#: product (``order_lines l LEFT JOIN products p USING (product_id)``)
LINE_CATEGORY = "coalesce(nullif(l.category, ''), nullif(p.category, ''))"
#: the lines of the orders that are purchases, with their order's currency
_PURCHASED_LINES = (
    f"(SELECT l.*, {CURRENCY_CODE.format(c='o.currency')} AS currency "
    f"FROM order_lines l JOIN {PURCHASES} o USING (order_id))"
)
#: the same lines with their category read as :data:`LINE_CATEGORY` (the products file joined
#: only where the categories are needed, so the totals do not pay for it); only merchandise:
#: postage is no category, and the revenue keeps it
_CATEGORISED_LINES = (
    f"(SELECT l.* REPLACE ({LINE_CATEGORY} AS category), "
    f"{CURRENCY_CODE.format(c='o.currency')} AS currency FROM {PRODUCT_LINES} l "
    f"JOIN {PURCHASES} o USING (order_id) LEFT JOIN products p USING (product_id))"
)
#: an order (or line) in the shop's currency, the ``?`` parameter; one naming none counts as it
_IN_SHOP_CURRENCY = "coalesce(currency, ?) = ?"


class MonthFigures(BaseModel):
    month: str
    orders: int
    revenue: float


class ShopOverview(BaseModel):
    """Headline figures of a shop's data (None where the tables are empty)."""

    first: datetime | None = Field(description="Earliest order or event.")
    last: datetime | None = Field(description="Latest order or event.")
    customers: int
    buyers: int = Field(description="Customers with at least one purchase.")
    orders: int = Field(
        description="Orders, less cancelled, refunded, failed, voided and expired ones."
    )
    orders_imported: int = Field(0, description="Orders imported, whatever their status.")
    revenue: float = Field(
        description="Sum of quantity × unit price over the lines of those orders in the "
        "shop's currency (or naming none)."
    )
    avg_order_value: float | None = Field(
        description="Revenue per order, over the orders in the shop's currency."
    )
    currency: str = Field(description="The shop's currency: the most common on its orders.")
    unnamed_currency_orders: int = Field(
        0,
        description="Purchases naming no currency while others name one: counted in the "
        "shop's currency (an assumption the report states).",
    )
    other_currency_orders: dict[str, int] = Field(
        default_factory=dict,
        description="Orders (purchases) in other currencies, per currency: counted as orders, "
        "left out of revenue, the average order and the amounts per month and category.",
    )
    products: int = Field(description="Products, less those that are no merchandise.")
    categories: int = Field(
        description="Distinct categories of the shop's products: named in the products file "
        "or on the purchased lines."
    )
    visitors: int
    sessions: int
    events: int
    tickets: int
    returns: int
    repeat_share: float | None = Field(
        description="Share of buyers who bought on two or more days (two orders of one day "
        "are one shopping trip, as CLV and the loyalty analysis count them)."
    )
    top_categories: list[tuple[str, float]] = Field(
        description="(category, revenue), top 5; lines without one are '(no category)'."
    )
    top_sources: list[tuple[str, int]] = Field(
        description="(source / medium, sessions), top 6; imported sessions that name no "
        f"source (the UCI file has only traffic-type codes) are {UNKNOWN_SOURCE!r}."
    )
    sources_unknown: int = Field(
        0, description="Imported sessions that name no source (counted as unknown, not direct)."
    )
    months: list[MonthFigures]


#: the currency assumed when no order names one
DEFAULT_CURRENCY = "EUR"


def shop_currency(*, store: Store) -> str:
    """The currency of the shop's amounts: the one most of its orders name.

    Every page that shows money (and the playbooks' evidence) reads it here, so the report
    marks all its amounts with one currency rather than a symbol typed into a template.
    """
    code = CURRENCY_CODE.format(c="currency")
    found = store.scalar(f"SELECT mode({code}) FROM orders WHERE {code} IS NOT NULL")
    return str(found) if found else DEFAULT_CURRENCY


def overview(*, store: Store) -> ShopOverview:
    """Headline figures of the store's canonical tables (amounts in the shop's currency)."""
    first, last = store.execute(
        "SELECT min(t), max(t) FROM (SELECT min(ordered_at) t FROM orders UNION ALL "
        "SELECT max(ordered_at) FROM orders UNION ALL SELECT min(timestamp) FROM events "
        "UNION ALL SELECT max(timestamp) FROM events)"
    ).fetchone() or (None, None)
    cur = shop_currency(store=store)
    mine = [cur, cur]  # the parameters of _IN_SHOP_CURRENCY
    orders = store.scalar(f"SELECT count(DISTINCT order_id) FROM {_PURCHASED_LINES}")
    own_orders, revenue = store.execute(
        "SELECT count(DISTINCT order_id), coalesce(sum(quantity * unit_price), 0) "
        f"FROM {_PURCHASED_LINES} WHERE {_IN_SHOP_CURRENCY}",
        mine,
    ).fetchone() or (0, 0.0)
    buyers, repeat = store.execute(
        "SELECT count(*), count(*) FILTER (n >= 2) FROM (SELECT customer_id, "
        "count(DISTINCT CAST(ordered_at AS DATE)) n "
        f"FROM {PURCHASES} WHERE customer_id IS NOT NULL GROUP BY 1)"
    ).fetchone() or (0, 0)
    cats = store.execute(
        "SELECT coalesce(category, '(no category)'), "
        f"coalesce(sum(quantity * unit_price) FILTER ({_IN_SHOP_CURRENCY}), 0) r, "
        f"category IS NULL, count(*) FILTER ({_IN_SHOP_CURRENCY}) > 0 "
        f"FROM {_CATEGORISED_LINES} GROUP BY 1, 3 ORDER BY r DESC, 1",
        mine * 2,
    ).fetchall()
    # an imported session without a source (the UCI file has none) is of unknown source,
    # not a direct visit
    unknown = "origin = 'import' AND utm_source IS NULL"
    sources = store.execute(
        f"SELECT CASE WHEN {unknown} THEN '{UNKNOWN_SOURCE}' ELSE "
        "coalesce(utm_source, '(direct)') || ' / ' || coalesce(utm_medium, '(none)') END, "
        "count(*) n FROM sessions GROUP BY 1 ORDER BY n DESC, 1 LIMIT 6"
    ).fetchall()
    months = store.execute(
        "SELECT strftime(o.ordered_at, '%Y-%m') m, count(DISTINCT o.order_id), "
        "coalesce(sum(l.quantity * l.unit_price) FILTER "
        f"({in_shop_currency_sql('o.currency')}), 0) "
        f"FROM {PURCHASES} o LEFT JOIN order_lines l USING (order_id) GROUP BY 1 ORDER BY 1",
        mine,
    ).fetchall()
    return ShopOverview(
        first=first,
        last=last,
        customers=store.count("customers"),
        buyers=int(buyers),
        orders=int(orders or 0),
        orders_imported=store.count("orders"),
        revenue=round(float(revenue), 2),
        avg_order_value=round(float(revenue) / own_orders, 2) if own_orders else None,
        currency=cur,
        other_currency_orders=_other_currencies(store, cur),
        unnamed_currency_orders=_unnamed_currency(store),
        products=int(store.scalar(f"SELECT count(*) FROM products WHERE {MERCHANDISE}") or 0),
        categories=_categories(store),
        visitors=int(store.scalar("SELECT count(DISTINCT visitor_id) FROM events") or 0),
        sessions=store.count("sessions"),
        events=store.count("events"),
        tickets=store.count("tickets"),
        returns=store.count("returns"),
        repeat_share=round(repeat / buyers, 4) if buyers else None,
        top_categories=[(c, round(float(r), 2)) for c, r, _, priced in cats if priced][:5],
        top_sources=[(s, int(n)) for s, n in sources],
        sources_unknown=int(store.scalar(f"SELECT count(*) FROM sessions WHERE {unknown}") or 0),
        months=[MonthFigures(month=m, orders=int(n), revenue=float(r)) for m, n, r in months],
    )


def _categories(store: Store) -> int:
    """Distinct categories of the shop's products, whether sold or not: "6 products in 5
    categories" counts those the products file names (a product not sold yet has one too) and
    those a purchased line names itself."""
    # a product's own category counts where none of its purchased lines names one for it:
    # lines saying "Tents" of a product filed under "tents" are one category, as the list of
    # categories by revenue shows them
    found = store.scalar(
        f"SELECT count(DISTINCT c) FROM (SELECT category AS c FROM {_CATEGORISED_LINES} "
        f"UNION ALL SELECT nullif(category, '') FROM products WHERE {MERCHANDISE} "
        "AND product_id NOT IN "
        f"(SELECT product_id FROM {_PURCHASED_LINES} WHERE product_id IS NOT NULL))"
    )
    return int(found or 0)


def _unnamed_currency(store: Store) -> int:
    """Purchases naming no currency, when other orders name one: they are counted in the
    shop's currency, an assumption the page states (0 when no order names a currency, or all
    do: then there is nothing to assume)."""
    named, unnamed = store.execute(
        f"SELECT count(DISTINCT order_id) FILTER (currency IS NOT NULL), "
        f"count(DISTINCT order_id) FILTER (currency IS NULL) FROM {_PURCHASED_LINES}"
    ).fetchall()[0]
    return int(unnamed) if named else 0


def _other_currencies(store: Store, currency: str) -> dict[str, int]:
    """Purchases with lines in currencies other than ``currency``, per currency (most first):
    the orders the amounts leave out."""
    rows = store.execute(
        f"SELECT currency, count(DISTINCT order_id) n FROM {_PURCHASED_LINES} "
        "WHERE currency IS NOT NULL AND currency <> ? GROUP BY 1 ORDER BY n DESC, 1",
        [currency],
    ).fetchall()
    return {str(c): int(n) for c, n in rows}
