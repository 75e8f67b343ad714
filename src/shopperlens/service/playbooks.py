"""Playbooks service: the analyses behind each type's strategy, the playbook, the audiences.

Every function is keyword-only and reads the store; the computation lives in
:mod:`shopperlens.playbooks` (pure pandas) and :mod:`shopperlens.models.basket`. Item *pairs*
("frequently bought together") are counted in SQL through Ibis, so they scale with the engine
(DuckDB here, Spark for big shops); longer itemsets use the in-memory miner.

Type labels come from :func:`shopperlens.service.types.latest_types`; every function also
accepts a ``types`` frame (``customer_id, visitor_id, type``) so it can run without them.
"""

from __future__ import annotations

import ast
import io
import operator
import tokenize
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.merchandise import PRODUCT_LINES, product_lines
from shopperlens.models.basket import (
    RULE_METRICS,
    association_rules,
    confidence_count,
    frequent_itemsets,
    support_count,
)
from shopperlens.plain import spreadsheet_safe
from shopperlens.playbooks import audience as _aud
from shopperlens.playbooks import (
    checkout,
    onboarding,
    recommend,
    retention,
    support,
    traffic,
    visits,
)
from shopperlens.playbooks.generator import (
    CONSENT_PURPOSES,
    MIN_TOGETHER,
    NO_SHIPPING,
    SOURCES,
    TYPES,
    Action,
    Evidence,
    build_playbook,
    threshold_text,
    type_notes,
    unreachable_texts,
)
from shopperlens.playbooks.loyalty import RepeatFactors, repeat_factors
from shopperlens.playbooks.visits import Visits
from shopperlens.service import consent, value_run
from shopperlens.service._checks import share, whole
from shopperlens.service._files import BOM, output_file
from shopperlens.service._shared import read_once, shared_reads
from shopperlens.service.clv import PURCHASES, no_dropout_note, stored_run_no_dropout
from shopperlens.service.overview import in_shop_currency_sql, shop_currency
from shopperlens.statuses import EXCLUDED_STATUSES, not_purchase_sql
from shopperlens.store import Store
from shopperlens.store.connection import check_no_erasure_since
from shopperlens.store.execute import frame
from shopperlens.types.config import type_name

DEMO_ORDER = 40
#: the columns of an empty rule table (mlxtend's, in its order)
RULE_COLUMNS = ["antecedents", "consequents", *RULE_METRICS]
EMPTY_TYPES = pd.DataFrame({"customer_id": [], "visitor_id": [], "type": []}, dtype=object)


# -- data ------------------------------------------------------------------------------------
def _orders(store: Store, *, every_status: bool = False) -> pd.DataFrame:
    """Orders with their merchandise value (sum of quantity × unit price); cancelled, refunded
    and failed orders are not purchases (the same statuses CLV leaves out).

    ``in_shop_currency`` says whether ``value`` is an amount in the shop's currency
    (:func:`~shopperlens.service.overview.shop_currency`; an order naming none is): only those
    may be added to the shop's revenue, SEK 1,100 is not EUR 1,100. With ``every_status`` the
    orders that are no purchase are there too, ``bought`` false: a purchase event standing
    for a cancelled order is no purchase either (:func:`traffic_report`)."""
    return read_once(
        store, f"orders:{every_status}", lambda: _read_orders(store, every_status=every_status)
    )


def _read_orders(store: Store, *, every_status: bool) -> pd.DataFrame:
    currency = shop_currency(store=store)
    return frame(
        store,
        f"""SELECT o.order_id, o.customer_id, o.ordered_at, o.shipping, o.status,
                  coalesce(o.discount_code, l.discount_code) AS discount_code,
                  coalesce(l.value, 0) AS value,
                  {in_shop_currency_sql("o.currency")} AS in_shop_currency,
                  NOT {not_purchase_sql("o.status")} AS bought
           FROM {"orders" if every_status else PURCHASES} o
           LEFT JOIN (SELECT order_id, max(discount_code) AS discount_code,
                             sum(quantity * unit_price) AS value
                      FROM order_lines GROUP BY order_id) l USING (order_id)""",
        [currency, currency],
    )


def _priced(orders: pd.DataFrame) -> pd.DataFrame:
    """``orders`` whose ``value`` is unknown (NaN) when not in the shop's currency: still a
    purchase, but no amount to add to the shop's revenue or average."""
    return orders.assign(value=orders.value.where(orders.in_shop_currency.astype(bool)))


#: the events with ``customer_id`` resolved through ``identities`` for anonymous visitors, and
#: ``pos``, their order for events at the same time, as :mod:`.visits` reads them. That
#: order is the import's own (``ingest.sessionize``: time, then event id), not the order the
#: rows were stored in: a file listing the same events in another order gave another exit page
#: and another cart. The row id decides only between equal ids, which an import does not store.
#: ``{where}``: the condition (none, or `` WHERE …``) choosing the events before ``pos`` counts.
_RESOLVED_EVENTS = """(
    SELECT e.session_id, e.visitor_id, coalesce(e.customer_id, i.customer_id) AS customer_id,
           e."timestamp", e.event_name, e.page, e.product_id, e.utm_source, e.utm_medium,
           e.utm_campaign, e.utm_term, e.search_term, e.value,
           row_number() OVER (ORDER BY e."timestamp", e.event_id, e.rowid) AS pos
    FROM events e LEFT JOIN identities i USING (visitor_id){where})"""
#: :data:`_RESOLVED_EVENTS` of every event
_ALL_EVENTS = _RESOLVED_EVENTS.format(where="")
#: :data:`_RESOLVED_EVENTS` of the events :func:`~.visits.key_events_sql` reads, chosen before
#: ``pos`` is numbered: their order is the same, and numbering every event to keep a tenth of
#: them sorted was most of that statement's time
_KEY_EVENTS = _RESOLVED_EVENTS.format(
    where=f" WHERE lower(e.event_name) IN ({visits.names_sql(visits.KEY_EVENTS)})"
)


def _visit_data(store: Store) -> Visits:
    """The shop's visits (:class:`~shopperlens.playbooks.visits.Visits`): DuckDB groups the
    events into one row per session in the store, and only the purchase, cart and sign-up
    events come to pandas one by one (every event of a shop of 15 million took most of a
    report's 9 GB)."""
    sessions, key, customers = read_once(
        store,
        "visits",
        lambda: (
            frame(store, visits.sessions_sql(_ALL_EVENTS)),
            frame(store, visits.key_events_sql(_KEY_EVENTS)),
            frame(store, visits.customers_sql(_ALL_EVENTS)),
        ),
    )
    return Visits.from_frames(sessions, key, customers.customer_id)


def resolve_types(
    *, store: Store, types: pd.DataFrame | None = None, config: Any = None
) -> pd.DataFrame:
    """The type of every subject: ``types`` when given (checked by :func:`given_types`), else
    the latest stored run (computed with the types ``config`` when none is stored)."""
    if types is not None:
        return given_types(types)
    try:
        from shopperlens.service.types import latest_types
    except ImportError:  # the types concern is not installed yet
        return EMPTY_TYPES
    return latest_types(store=store, config=config)


def given_types(types: object) -> pd.DataFrame:
    """``types`` as a frame of ``customer_id, visitor_id, type``: a missing id column is
    added empty (a run of customers only), anything else is refused naming what it takes
    (``types="x"`` failed deep inside as an ``AttributeError``)."""
    ids = {"customer_id", "visitor_id"}
    if not isinstance(types, pd.DataFrame) or "type" not in types or not ids & set(types):
        raise ShopperlensError(
            "types must be a DataFrame with a type column and customer_id and/or visitor_id "
            f"(as shop.latest_types() returns), not {_short(types)}"
        )
    missing = sorted(ids - set(types))
    return types.assign(**dict.fromkeys(missing)) if missing else types


def _short(value: object) -> str:
    """What was given instead, briefly: a frame by its columns, anything else by its repr."""
    if isinstance(value, pd.DataFrame):
        return f"a DataFrame with the columns {', '.join(map(str, value.columns)) or '(none)'}"
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"


def _attach_type(df: pd.DataFrame, types: pd.DataFrame) -> pd.DataFrame:
    """Add ``type`` to rows with ``customer_id``/``visitor_id`` (customer wins; else untyped)."""
    by_customer = types.dropna(subset=["customer_id"]).drop_duplicates("customer_id")
    by_customer = by_customer.set_index("customer_id").type
    by_visitor = types.dropna(subset=["visitor_id"]).drop_duplicates("visitor_id")
    by_visitor = by_visitor.set_index("visitor_id").type
    t = df.customer_id.map(by_customer) if "customer_id" in df else pd.Series(index=df.index)
    if "visitor_id" in df:
        t = t.fillna(df.visitor_id.map(by_visitor))
    return df.assign(type=t.fillna("untyped"))


# -- baskets ---------------------------------------------------------------------------------
def basket_rules(
    *,
    store: Store,
    min_support: float | None = None,
    min_confidence: float = 0.1,
    max_len: int = 3,
) -> pd.DataFrame:
    """Association rules over the orders that were bought (mlxtend's columns; cancelled,
    refunded and failed orders are left out, as CLV leaves them out), of their merchandise
    (:data:`~shopperlens.merchandise.PRODUCT_LINES`): postage is in most baskets, bought
    with nothing.

    ``min_support`` defaults to "in at least 3 orders and 0.1 % of them". Both thresholds
    are shares of 0–1 and are checked before any work, so every face gets the same message
    (out-of-range values used to surface as mlxtend's errors or be accepted silently).
    The thresholds are numbers of orders, counted in whole numbers (``support_count``): as a
    float, ``(3 / 187) * 187`` is 3.0000000000000004, and "3 orders" used to ask for 4.
    Confidence likewise (:func:`_confident`): 3 of 30 orders is a confidence of 0.1.
    """
    if min_support is not None:
        min_support = share(min_support, "min_support (share of orders)", allow_zero=False)
    min_confidence = share(min_confidence, "min_confidence")
    max_len = whole(max_len, "max_len (products in a rule)", low=1)
    lines = store.df(
        f"SELECT DISTINCT l.order_id, l.product_id FROM {PRODUCT_LINES} l JOIN {PURCHASES} o "
        "USING (order_id) WHERE l.product_id IS NOT NULL"
    )
    n = lines.order_id.nunique()
    if n == 0:
        return pd.DataFrame(columns=RULE_COLUMNS)
    least = rule_min_orders(n) if min_support is None else support_count(min_support, n)
    items = frequent_itemsets(lines, min_support=None, min_count=least, max_len=max_len)
    if not len(items) or items.itemsets.map(len).max() < 2:
        return pd.DataFrame(columns=RULE_COLUMNS)
    # a hair below the threshold in floats, so that the whole-order test decides
    rules = association_rules(
        items, metric="confidence", min_threshold=min_confidence - 1e-9, num_itemsets=n
    )
    rules = rules[_confident(rules, min_confidence, n)]
    return rules.sort_values(["lift", "confidence"], ascending=False).reset_index(drop=True)


def rule_min_orders(n: int) -> int:
    """The fewest of ``n`` orders a product set must be in to make a rule when no
    ``min_support`` is given: 3 orders and 0.1 % of them. ``readiness`` asks the same."""
    return max(3, support_count(0.001, n))


def _confident(rules: pd.DataFrame, min_confidence: float, n: int) -> pd.Series:
    """Which rules reach ``min_confidence``, compared in whole orders: ``count(A ∪ C) ≥
    ceil(min_confidence · count(A))`` (:func:`confidence_count`). As a ratio of float supports
    3 of 30 orders is 0.09999999999999999, and a rule at exactly the default 0.1 was dropped."""
    together = (rules["support"] * n).round()
    antecedent = (rules["antecedent support"] * n).round()
    return together >= confidence_count(min_confidence, antecedent)


def together_expr(source: Any, *, min_orders: int = MIN_TOGETHER, top: int = 4) -> Any:
    """The "frequently bought together" pairs as one Ibis expression over ``order_lines``.

    ``source`` is anything with ``.table(name)`` (the store, or a Spark source): the same
    expression runs on DuckDB and on Spark. Confidence = P(recommended | product); lift is
    confidence over the recommended product's share of orders. Orders that were not bought
    (cancelled, refunded, failed, voided, expired) are left out, as in :func:`basket_rules`,
    and so are the lines that are no merchandise (:func:`~shopperlens.merchandise.product_lines`).

    Only pairs with lift above 1 are kept, compared in whole orders (``together · n >
    orders_a · orders_b``), and ranked by confidence, then lift. Without the lift filter a
    best-seller in 60 % of all orders came first for every product, though bought with it no
    more often than without it (lift 0.98).
    """
    import ibis

    lines = product_lines(source)
    orders = source.table("orders")
    status = orders.status.lower().fill_null("")
    bought = orders.filter(~status.isin(list(EXCLUDED_STATUSES))).select(b_order="order_id")
    base = (
        lines.filter(lines.product_id.notnull())
        .semi_join(bought, lines.order_id == bought.b_order)
        .select("order_id", "product_id")
        .distinct()
    )
    n = base.order_id.nunique().name("n")
    counts = base.group_by("product_id").aggregate(orders=base.order_id.nunique())
    a, b = base.view(), base.view()
    pairs = (
        a.join(b, (a.order_id == b.order_id) & (a.product_id != b.product_id))
        .group_by([a.product_id.name("product_id"), b.product_id.name("recommended_id")])
        .aggregate(orders_together=a.order_id.nunique())
        .filter(lambda t: t.orders_together >= min_orders)
    )
    ca = counts.view().rename(orders_a="orders")
    cb = counts.view().rename(recommended_id="product_id", orders_b="orders")
    joined = pairs.join(ca, "product_id").join(cb, "recommended_id").cross_join(n.as_table())
    joined = joined.filter(joined.orders_together * joined.n > joined.orders_a * joined.orders_b)
    res = joined.mutate(
        support=joined.orders_together / joined.n,
        confidence=joined.orders_together / joined.orders_a,
        lift=(joined.orders_together * joined.n) / (joined.orders_a * joined.orders_b),
    )
    w = ibis.window(
        group_by=res.product_id,
        order_by=[ibis.desc(res.confidence), ibis.desc(res.lift), res.recommended_id],
    )
    res = res.mutate(rank=ibis.row_number().over(w) + 1).filter(lambda t: t["rank"] <= top)
    return res.select(
        "product_id", "rank", "recommended_id", "orders_together", "support", "confidence", "lift"
    )


def frequently_bought_together(
    *,
    store: Store,
    min_orders: int = MIN_TOGETHER,
    top: int = 4,
    product_id: str | None = None,
    engine: str = "duckdb",
    spark_session: Any = None,
) -> pd.DataFrame:
    """Per product, the products most often in the same order — counted in SQL through Ibis.

    Returns ``product_id, rank, recommended_id, orders_together, support, confidence, lift``.
    ``engine="spark"`` runs the same expression on a (local or given) Spark session.
    ``top`` is checked here (:func:`_top`), so that every face refuses 0 alike.
    """
    top = _top(top, "product")
    if engine == "duckdb":  # a page shows the lists and the playbook counts them: one query
        out = read_once(
            store,
            f"together:{min_orders}:{top}",
            lambda: together_expr(store, min_orders=min_orders, top=top).execute(),
        )
    elif engine == "spark":
        from shopperlens.store.spark import spark_source

        with spark_source(
            store, spark_session, tables=("order_lines", "orders", "products")
        ) as src:
            out = together_expr(src, min_orders=min_orders, top=top).execute()
    else:
        raise ShopperlensError(f"unknown engine {engine!r}: use duckdb or spark")
    if product_id is not None:
        known = store.scalar(
            "SELECT count(*) FROM (SELECT product_id FROM products WHERE product_id = $1 "
            "UNION ALL SELECT product_id FROM order_lines WHERE product_id = $1 LIMIT 1)",
            [product_id],
        )
        if not known:  # an id typed wrong would read as "never bought with anything"
            raise NotFoundError(f"no product {product_id!r} in the store")
        out = out[out.product_id == product_id]
    return out.sort_values(["product_id", "rank"]).reset_index(drop=True)


def _top(top: object, per: str) -> int:
    """``top`` recommendations per ``per`` as a whole number of 1 or more: 0 or -1 gave an
    empty list, which the CLI explained as "no two products were bought together". Digits
    as text (``"3"``, from a form or a notebook's widget) are that number."""
    if isinstance(top, str) and top.strip().lstrip("+-").isdecimal():
        top = int(top)
    return whole(top, f"top (recommendations per {per})", low=1)


def carousels(*, store: Store, top: int = 4) -> pd.DataFrame:
    """The "frequently bought together" lists the shop shows: :func:`frequently_bought_together`
    with its defaults, which the report's table, ``recommend together`` and the playbook's
    count of products with a list all read. Counted from the association rules instead, the
    playbook applied ``rules``' minimum confidence of 0.1 and said "50 products have a list"
    while every face gave lists for all 60."""
    return frequently_bought_together(store=store, top=top)


def related_products(*, store: Store, top: int = 4, min_sessions: int = 2) -> pd.DataFrame:
    """Products viewed in the same sessions (co-views)."""
    top = _top(top, "product")
    views = store.df(
        "SELECT session_id, product_id FROM events WHERE product_id IS NOT NULL AND "
        "lower(event_name) IN ('view_item','product_view','product_viewed','view_product')"
    )
    return recommend.related_products(views, top=top, min_sessions=min_sessions)


def upsell_picks(*, store: Store, customer_id: str | None = None, top: int = 3) -> pd.DataFrame:
    """Per customer, products to propose next (never one they already bought), from rules with
    lift above 1 only (a lift-0.24 rule proposed a product its buyers avoid)."""
    top = _top(top, "customer")
    if customer_id and not store.scalar(
        "SELECT count(*) FROM (SELECT customer_id FROM customers WHERE customer_id = $1 "
        "UNION ALL SELECT customer_id FROM orders WHERE customer_id = $1 LIMIT 1)",
        [customer_id],
    ):  # an id typed wrong would read as "nothing to propose"
        raise NotFoundError(f"no customer {customer_id!r} in the store")
    where = "AND o.customer_id = ?" if customer_id else ""
    params = [customer_id] if customer_id else []
    # what a customer owns is what their purchases brought: a cancelled or refunded order's
    # products are no more theirs than in every other figure
    owned = store.df(
        f"SELECT DISTINCT o.customer_id, l.product_id FROM {PURCHASES} o JOIN {PRODUCT_LINES} l "
        f"USING (order_id) WHERE o.customer_id IS NOT NULL {where}",
        params,
    )
    viewed = frame(
        store,
        f"""SELECT DISTINCT customer_id, product_id FROM {_ALL_EVENTS} e
            WHERE product_id IS NOT NULL AND customer_id IS NOT NULL
            {"AND customer_id = ?" if customer_id else ""}""",
        params,
    )
    rules = basket_rules(store=store, max_len=3)
    # as the carousels: a product bought with the customer's less often than without it
    # (lift 1 or below) is no pick, whatever its confidence
    rules = rules[rules["lift"] > 1 + 1e-9] if len(rules) else rules
    return recommend.upsell_picks(owned, rules, viewed=viewed, top=top)


# -- checkout --------------------------------------------------------------------------------
#: the figures of a free-shipping threshold the faces show (``threshold --json``, HTTP), in
#: order: ``advised`` and ``extra_uplift_per_order`` are properties of the result, which a
#: face reading its fields (``__dict__``) left out — a 5-order shop got a threshold over HTTP
#: with nothing saying it was not advised
THRESHOLD_FIGURES = (
    "threshold", "uplift_per_order",
    "shipping_cost_per_order",  # what the shop gives away per order, against the uplift
    "share_near", "share_above", "median_basket",
    "current",  # the shop's threshold today, read from its orders' shipping (None: none)
    "current_uplift_per_order", "current_shipping_cost_per_order", "keep_current",
    "share_losing_free",  # orders between today's threshold and the new one
    "extra_uplift_per_order",  # over today's threshold: the playbook's figure
    "band", "topup_rate", "orders", "other_currency_orders", "advised",
)  # fmt: skip
NO_ORDERS = "no orders imported yet: import them first (shopperlens import orders FILE)"


def threshold_answer(
    *, store: Store, band: float = 0.25, topup_rate: float = 0.3, candidates: bool = False
) -> dict[str, Any]:
    """The free-shipping threshold as every face shows it: :data:`THRESHOLD_FIGURES`, with a
    ``reason`` when it is not advised (too few orders), a ``note`` when the orders carry no
    shipping charges (the cost of free shipping is not counted), or ``{"threshold": None, "reason":
    …}`` when there is none (no orders, or none with a value). ``candidates``: add the table
    of thresholds tried (``candidates``, one record each)."""
    t = shipping_threshold(store=store, band=band, topup_rate=topup_rate)
    if t is None:
        reason = "no orders with a value yet" if store.count("orders") else NO_ORDERS
        return {"threshold": None, "reason": reason}
    answer: dict[str, Any] = {k: getattr(t, k) for k in THRESHOLD_FIGURES}
    if not t.advised:  # the playbook's own words: no advice from so few baskets
        answer["reason"] = threshold_text(t, "")
    elif t.shipping_cost_per_order is None:  # the cost side of the advice is unknown
        answer["note"] = NO_SHIPPING
    if candidates:
        answer["candidates"] = t.candidates.to_dict(orient="records")
    return answer


def shipping_threshold(
    *, store: Store, band: float = 0.25, topup_rate: float = 0.3
) -> checkout.ShippingThreshold | None:
    """The free-shipping threshold that most raises expected order value (None: no orders).

    The shop's own threshold is read from its orders' shipping first: advice to "introduce"
    a threshold the shop already has (or one below it) is no advice.

    Baskets and shipping come from the orders in the shop's currency only: a SEK 900 basket
    read as EUR 900 moved the median and the candidates, and its paid SEK shipping above the
    EUR threshold hid the threshold the shop has. ``other_currency_orders`` says how many
    baskets were left out.

    ``band`` and ``topup_rate`` are checked first, so that every face refuses them alike (a
    band of -1 reached Python as checkout's ``ValueError``).
    """
    near = "band (how far below a threshold a near-miss basket is)"
    band = share(band, near, allow_zero=False, allow_one=False)
    topup_rate = share(topup_rate, "topup_rate (near misses that top up)", allow_zero=False)
    orders = _orders(store)
    own = orders[orders.in_shop_currency.astype(bool)]
    bought = own[own.value > 0]
    if bought.empty:
        return None
    paid = own.shipping.dropna()
    cost = float(paid[paid > 0].median()) if (paid > 0).any() else None
    current = checkout.current_free_shipping_threshold(bought.value, bought.shipping)
    advice = checkout.free_shipping_threshold(
        bought.value, band=band, topup_rate=topup_rate, shipping_cost=cost, current=current
    )
    left_out = int(((orders.value > 0) & ~orders.in_shop_currency.astype(bool)).sum())
    return replace(advice, other_currency_orders=left_out)


def _visits(store: Store) -> tuple[Visits, pd.DataFrame | None]:
    """The visits (:func:`_visit_data`) and their sessions as the sources table reads them
    (:func:`_visit_orders`; None without events), each read once within a report
    (``service._shared``)."""
    v = _visit_data(store)
    if v.empty:
        return v, None
    return v, _visit_orders(store, v)[0]


def _visit_orders(store: Store, v: Visits) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sessions of the visits ``v`` (:func:`_visit_data`) as the sources table reads them
    (:func:`traffic_report`), and the session each bought order came from
    (:func:`~shopperlens.playbooks.traffic.sessions_and_orders`), read once within a report.

    ``purchased`` is reconciled with the orders of every status: an order without a purchase
    event makes the customer's session it was placed in a purchase; a purchase event of a
    cancelled, refunded or failed order is none, and neither is a thank-you page loaded
    again. The funnel, the exit pages and the playbook read their purchases here, so each
    counts the same ones."""
    return read_once(
        store,
        "sessions",
        lambda: traffic.sessions_and_orders(v, _priced(_orders(store, every_status=True))),
    )


def _steps(v: Visits, sessions: pd.DataFrame) -> pd.DataFrame:
    """:func:`checkout.session_steps` whose purchase step is ``sessions``' ``purchased``."""
    return checkout.session_steps(v, purchased=sessions.session_id[sessions.purchased])


def funnels(
    *, store: Store, by: str | None = "type", types: pd.DataFrame | None = None
) -> pd.DataFrame:
    """view → cart → checkout → purchase per ``type``, per ``source`` or overall (``by=None``).

    A session purchased when the sources table says so (:func:`_visit_orders`)."""
    if by not in (None, "type", "source"):
        raise ShopperlensError("funnels can be split by 'type', 'source' or nothing")
    v, sessions = _visits(store)
    if sessions is None:
        return pd.DataFrame(columns=["step", "sessions", "rate_from_prev", "drop_off"])
    steps = _steps(v, sessions)
    if by == "type":
        steps = _attach_type(steps, resolve_types(store=store, types=types))
    elif by == "source":
        src = sessions.set_index("session_id").source
        steps = steps.assign(source=steps.session_id.map(src))
    return checkout.funnel(steps, by=by)


def sessions_per_type(*, store: Store, types: pd.DataFrame | None = None) -> pd.Series:
    """How many sessions each type's subjects had (indexed by ``type``; empty without visit
    data): the base the first step of :func:`funnels` by type is a share of. Its "from
    previous" referred to a session total the page never showed.

    A count of sessions, whichever bought: the orders that decide the purchase step are not
    read."""
    v = _visit_data(store)
    if v.empty:
        return pd.Series(dtype="int64")
    steps = _attach_type(checkout.session_steps(v), resolve_types(store=store, types=types))
    return steps.groupby("type").size()


def exit_pages(
    *,
    store: Store,
    type: str | None = "looker",
    types: pd.DataFrame | None = None,  # noqa: A002
) -> pd.DataFrame:
    """The pages where non-buying sessions of ``type`` (all sessions when None) end; a
    session bought when the sources table says so (:func:`_visit_orders`)."""
    v, sessions = _visits(store)
    if sessions is None:
        return pd.DataFrame(columns=["page", "exits", "share"])
    typed = resolve_types(store=store, types=types) if type is not None else EMPTY_TYPES
    return _exit_pages(v, _steps(v, sessions), typed, type)


def _exit_pages(
    v: Visits, steps: pd.DataFrame, types: pd.DataFrame, type_: str | None
) -> pd.DataFrame:
    """:func:`exit_pages` from the visits and their :func:`_steps` (the playbook has both)."""
    if type_ is not None:
        typed = _attach_type(steps, types)
        v = v.only(typed.session_id[typed.type == type_])
    return checkout.exit_pages(v, purchased=steps.session_id[steps.purchase])


def abandoned_carts(*, store: Store, types: pd.DataFrame | None = None) -> pd.DataFrame:
    """The cart-recovery list (with each shopper's type); never includes e-mail addresses.

    A cart its customer then ordered (an order after it) is not abandoned; an add whose event
    carries no value is valued at the product's price (the catalogue's, else the unit price of
    its latest order line). Within :func:`shared_reads` the carts are found once: a playbook
    page's list and its playbook's cart figures read the same."""
    carts = read_once(store, "abandoned_carts", lambda: _abandoned_carts(store))
    return _attach_type(carts, resolve_types(store=store, types=types))


def _abandoned_carts(store: Store) -> pd.DataFrame:
    """:func:`abandoned_carts` before each shopper's type is attached.

    A product's price from its order lines is read from the orders in the shop's currency
    only: a line sold in GBP last would otherwise value a EUR cart at its GBP price. So the
    price an import copied from the latest line into a product no products file has named yet
    (a placeholder, whatever that line's currency) is not read: the catalogue's price is."""
    currency = shop_currency(store=store)
    prices = store.df(
        f"""SELECT product_id, coalesce(p.price, l.unit_price) AS price
           FROM (SELECT product_id, price FROM products WHERE price IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM ingest_placeholders h
                                 WHERE h.kind = 'products' AND h.key = product_id)) p
           FULL JOIN (SELECT l.product_id, arg_max(l.unit_price, o.ordered_at) AS unit_price
                      FROM order_lines l JOIN orders o USING (order_id)
                      WHERE l.product_id IS NOT NULL AND l.unit_price > 0
                        AND {in_shop_currency_sql("o.currency")}
                      GROUP BY l.product_id) l USING (product_id)""",
        [currency, currency],
    )
    return checkout.abandoned_carts(
        _visit_data(store), orders=_orders(store), prices=prices.set_index("product_id").price
    )


# -- traffic ---------------------------------------------------------------------------------
def keyword_classifier(
    *, store: Store, brand_words: tuple[str, ...] | None = None, config: Any = None
) -> traffic.KeywordClassifier:
    """Intent rules from this shop's catalogue and vocabulary.

    The brand and question words come from the types configuration (``vocabulary.brand_words``
    and ``informational_words``, the same words the type rules use) unless ``brand_words``
    is given; with neither, :func:`traffic_report` guesses the brand from the keywords. A
    product search is what the types count as one (``distinctive_products`` from the same
    configuration).
    """
    info = set(traffic.INFORMATIONAL_WORDS)
    distinctive = 2
    try:
        from shopperlens.types.config import load_config

        spec = load_config(config).feature_spec()
        info = set(spec.informational_words)  # the types' own words, so both read a term alike
        brand_words = spec.brand_words if brand_words is None else brand_words
        distinctive = spec.distinctive_products
    except ImportError:  # the types concern is not installed
        pass
    products = store.df("SELECT product_name, category FROM products")
    if products.empty:
        products = store.df("SELECT DISTINCT product_name, category FROM order_lines")
    return traffic.KeywordClassifier(
        products.product_name.dropna(), products.category.dropna(), brand_words or (), info,
        distinctive_products=distinctive,
    )  # fmt: skip


def traffic_report(
    *,
    store: Store,
    types: pd.DataFrame | None = None,
    brand_words: tuple[str, ...] | None = None,
    config: Any = None,
    with_clv: bool = True,
) -> dict[str, pd.DataFrame]:
    """Sources (overall and by type), keywords with intent, conversion and revenue, and the
    revenue (and the CLV, when a CLV run is stored) of customers by the source and keyword
    that first brought them."""
    _, sessions = _visits(store)
    if sessions is None:
        empty = pd.DataFrame()
        keys = ("sources", "sources_by_type", "keywords", "acquisition", "acquisition_keywords")
        return dict.fromkeys(keys, empty)
    # a session's revenue is that of the orders it led to (events often carry no value); a
    # purchase event of a cancelled order is none, an order in another currency has no amount
    every = _priced(_orders(store, every_status=True))
    sessions = _attach_type(sessions, resolve_types(store=store, types=types))
    classify = keyword_classifier(store=store, brand_words=brand_words, config=config)
    if not classify.brand:  # no brand configured: take the dominant non-catalogue search word
        kw = traffic.keyword_table(sessions, classify)
        guessed = traffic.guess_brand_words(kw.keyword, kw.visits, classify) if len(kw) else ()
        classify.brand = set(guessed)
    per = _customer_revenue(every[every.bought])
    clv = _clv(store) if with_clv else None
    return {
        "sources": traffic.source_table(sessions),
        "sources_by_type": traffic.source_table(sessions, by_type=True),
        "keywords": traffic.keyword_table(sessions, classify),
        "acquisition": traffic.acquisition_table(sessions, per, clv),
        "acquisition_keywords": traffic.acquisition_table(
            sessions, per, clv, by="keyword", classify=classify
        ),
    }


def _customer_revenue(orders: pd.DataFrame) -> pd.DataFrame:
    """Per customer (:func:`retention.customer_orders`), ``revenue`` unknown (NaN) for one
    without an order in the shop's currency: 0 would read as a buyer who spent nothing."""
    per = retention.customer_orders(orders)
    # whether each customer has an order with an amount, grouped (``isin`` against every such
    # order's customer id took 6 s for a million orders of text ids)
    priced = orders.value.notna().groupby(orders.customer_id).any()
    known = per.customer_id.map(priced).fillna(False).astype(bool)
    return per.assign(revenue=per.revenue.where(known))


def _clv(store: Store) -> pd.DataFrame | None:
    """The current CLV run (the one the report shows), or None when the data cannot carry one.

    A run stored before the last import described another shop (a customer who ordered
    yesterday still "at risk"), so a run that is not current is computed again first
    (:func:`~shopperlens.service.value_run.ensure_current`: the seconds of one fit, once per
    import).
    """
    if value_run.ensure_current(store=store) is not None:
        return None
    df = store.df("SELECT customer_id, clv, p_alive, at_risk FROM customer_value")
    return df if len(df) else None


# -- retention and support -------------------------------------------------------------------
def retention_report(
    *, store: Store, types: pd.DataFrame | None = None, config: Any = None
) -> dict[str, Any]:
    """Cohort matrix, repeat-purchase rate, case-study and referral candidates (consented
    only), and loyal customers at risk (P(alive) fallen, from the stored CLV run), with
    ``no_dropout_note`` saying why nobody can be flagged when the run's model found no dropout
    ("" otherwise: see :func:`shopperlens.service.clv.no_dropout`).

    Cohorts, the repeat rate and each customer's ``orders`` count every purchase whatever its
    currency; a customer's ``revenue`` (which ranks the candidates and the customers at risk)
    adds only the orders in the shop's currency, unknown (NaN) for one with none: a SEK 5,000
    order read as EUR 5,000 put its buyer first. ``other_currency_orders`` says how many
    orders' amounts were left out."""
    orders = _orders(store)
    per = _customer_revenue(_priced(orders))
    consents = store.df("SELECT * FROM consents")
    t = resolve_types(store=store, types=types)
    # why there are no CLV figures (the model's minimum-data gate), else None
    clv_note = value_run.ensure_current(store=store) if len(orders) else "no orders imported"
    clv = _clv(store) if clv_note is None else None
    # the run's model found no dropout: nobody can be flagged, and "no loyal customer is at
    # risk" would read as an all-clear (the service's one judgement, as the report's pages)
    dropout = stored_run_no_dropout(store=store) if clv is not None else None
    at_risk = pd.DataFrame(columns=["customer_id", "orders", "revenue", "clv", "p_alive"])
    if clv is not None and len(t):
        loyal = set(t.loc[t.type == "loyal", "customer_id"].dropna())
        risky = clv[clv.at_risk.astype(bool) & clv.customer_id.isin(loyal)]
        at_risk = per.merge(risky[["customer_id", "clv", "p_alive"]], on="customer_id")
        # highest CLV first, as the Value and Customer types pages list them
        at_risk = at_risk.sort_values(["clv", "customer_id"], ascending=[False, True])
        at_risk = at_risk.reset_index(drop=True)
    return {
        "loyal_at_risk": at_risk,
        "loyal_lapsing": _lapsing(store, per, t, config),
        "clv_note": clv_note,
        "no_dropout_note": no_dropout_note(dropout),
        "other_currency_orders": int((~orders.in_shop_currency.astype(bool)).sum()),
        "cohorts": retention.cohort_retention(orders),
        "repeat_rate": retention.repeat_purchase_rate(orders),
        "case_study": retention.case_study_candidates(per, consents, t if len(t) else None),
        "referral": retention.referral_candidates(
            per, consent.allowed(store=store, own="referral"), t if len(t) else None
        ),
    }


def _lapsing(
    store: Store, per: pd.DataFrame, types: pd.DataFrame, config: Any = None
) -> tuple[int, int]:
    """How many loyal customers have bought nothing for longer than the types'
    ``lapsed_days``, and those days: what ``types moves`` shows as loyal → lapsed, counted as
    the audiences count ``days_since_last_order`` (:func:`_days_since_last_order`), so the
    segment the playbook names selects exactly them. Without CLV figures the playbook still
    names them."""
    from shopperlens.service.types import as_config

    days = int(float(as_config(config).section("windows")["lapsed_days"]))
    if not len(types) or "last_order_at" not in per or not per.last_order_at.notna().any():
        return 0, days
    since = _days_since_last_order(per.last_order_at, store, types)
    loyal = per.customer_id.isin(types.loc[types.type == "loyal", "customer_id"].dropna())
    return int((since[loyal] > days).sum()), days


def _days_since_last_order(
    last_order_at: pd.Series, store: Store, types: pd.DataFrame
) -> pd.Series:
    """Days from each last order to the types' as-of date (the run's, else the day after the
    newest data), in the calendar days the types' evidence counts (the fraction rounded up):
    so ``days_since_last_order > 180`` selects exactly the loyal customers ``types moves``
    calls lapsed. Counted from the newest order and rounded down, a customer quiet for 180.3
    days to the as-of date was 179, and the loyal playbook missed her."""
    from shopperlens.features import default_as_of
    from shopperlens.service.types_value import frame_as_of
    from shopperlens.types.evidence import whole_days

    as_of = frame_as_of(types) or default_as_of(store)
    quiet = pd.Timestamp(as_of) - pd.to_datetime(last_order_at)
    return whole_days(quiet.dt.total_seconds() / 86400).set_axis(last_order_at.index)


def _orders_with_campaign(store: Store) -> pd.DataFrame:
    """Orders with the ``campaign`` of the session they came from, as the sources table pairs
    them (:func:`_visit_orders`): the session whose purchase event stands for the
    order, else the customer's session the order was placed in. An order no session led to
    has none (the buying session that started nearest within a day credited an order placed
    at 10:00 without any visit to an e-mail visit at 20:00). And
    ``visited``, whether the buyer has any visit in the imported visit data (without, the
    order's campaign is unknown, not "none": the visit data may hold other people's visits
    only).

    ``value`` is unknown (NaN) for an order in another currency than the shop's
    (:func:`_priced`): the order still counts (offer and ticket rates), its amount is not
    added to a type's revenue, as SEK 2,000 is not EUR 2,000."""
    orders = _priced(_orders(store))
    v = _visit_data(store)
    orders = orders.assign(visited=orders.customer_id.isin(_visited(v)))
    if v.empty:
        return orders.assign(campaign=None)
    sessions, led_to = _visit_orders(store, v)
    campaign = led_to.merge(sessions[["session_id", "campaign"]], on="session_id")
    campaign = campaign.drop_duplicates("order_id").set_index("order_id").campaign
    return orders.assign(campaign=orders.order_id.map(campaign))


def _visited(v: Visits) -> frozenset[Any]:
    """The customer ids whose visits are in ``v`` (:func:`_visit_data`, ids resolved): every
    one an event names, a second customer in a shared visit too."""
    return v.customers


def support_report(*, store: Store, types: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Tickets per order by type, top ticket topics (candidate macros), offer response by type."""
    # the customer's name, for the topic examples to mask (see support.topic_example)
    tickets = store.df(
        "SELECT t.*, c.name AS customer_name FROM tickets t "
        "LEFT JOIN customers c USING (customer_id)"
    )
    orders = _orders_with_campaign(store)
    t = resolve_types(store=store, types=types)
    return {
        "tickets": support.tickets_per_order(tickets, orders, t),
        "topics": support.ticket_topics(tickets),
        "offers": support.offer_response(orders, t),
    }


# -- the playbook ----------------------------------------------------------------------------
class Playbook(BaseModel):
    """Every action per type with evidence, revenue at stake and audience."""

    currency: str
    actions: list[Action]  # the generator's dataclass: pydantic validates and serialises it
    #: per type, one sentence when nobody is of it: the data that would show them is not
    #: imported (which import adds it), or the data hold no one of the type yet
    notes: dict[str, str] = {}

    def markdown(self) -> str:
        from shopperlens.playbooks.generator import render_markdown

        return render_markdown(self.actions, self.currency, self.notes)


def imported_sources(*, store: Store) -> frozenset[str]:
    """The evidence sources (orders, events, tickets) the shop has imported: tables with rows.

    What is missing is said as missing ("no support tickets imported") instead of counted as
    zero, and a type whose data are missing is said to be unfindable (playbook and types page).
    """
    return frozenset(s for s in SOURCES if store.count(s) > 0)


def playbook(
    *,
    store: Store,
    type: str | None = None,  # noqa: A002
    types: pd.DataFrame | None = None,
    brand_words: tuple[str, ...] | None = None,
    config: Any = None,
) -> Playbook:
    """The playbook for one type or all five, built from this shop's data.

    ``brand_words`` and ``config`` (a types-config file) set the keyword vocabulary.

    A customer's ``revenue`` (behind "loyal customers bring …" and the loyalty-programme
    estimate) adds only the orders in the shop's currency, unknown (NaN) for one with none
    (:func:`_customer_revenue`): SEK 5,000 read as EUR 5,000 inflated both; orders per
    customer still count every purchase.
    """
    if type is not None:
        type = type_name(type)  # noqa: A001  (need-based is need_based)
    if store.count("orders") == 0 and store.count("events") == 0:
        raise ShopperlensError(
            "the shop has no orders or events yet: import them first "
            "(shopperlens import orders FILE, shopperlens import events FILE)"
        )
    with shared_reads():  # the tables below read the events, orders and visits once
        return _playbook(store, type, resolve_types(store=store, types=types), brand_words, config)


def _playbook(
    store: Store,
    type_: str | None,
    t: pd.DataFrame,
    brand_words: tuple[str, ...] | None,
    config: Any,
) -> Playbook:
    """:func:`playbook` of ``type_`` (None: all five) for the subjects typed in ``t``."""
    orders = _orders(store)
    per = _attach_type(_customer_revenue(_priced(orders)), t)
    # the purchases the sources table counts (:func:`_visit_orders`), read once for the funnel,
    # the exit pages, the visits to a first purchase, each order's campaign and the first visits
    v, sessions = _visits(store)
    steps = _steps(v, sessions) if sessions is not None else pd.DataFrame()
    exits = (
        _exit_pages(v, steps, t, "looker")
        if len(v)
        else pd.DataFrame(columns=["page", "exits", "share"])
    )
    to_purchase = checkout.visits_to_first_purchase(steps) if len(steps) else pd.Series(dtype=float)
    fun = checkout.funnel(_attach_type(steps, t), by="type") if len(steps) else pd.DataFrame()
    tr = traffic_report(store=store, types=t, brand_words=brand_words, config=config)
    ret = retention_report(store=store, types=t, config=config)
    sup = support_report(store=store, types=t)
    carts = abandoned_carts(store=store, types=t) if len(v) else pd.DataFrame()
    rules = basket_rules(store=store, max_len=2)
    currency = shop_currency(store=store)
    ev = Evidence(
        customers=per,
        visitors=t if len(t) else per[["customer_id", "type"]],
        aov=_aov(orders),
        funnel=fun,
        abandoned=carts,
        keywords=tr["keywords"]
        if len(tr["keywords"])
        else pd.DataFrame(columns=["keyword", "intent", "visits", "purchases", "conversion_rate"]),
        sources=tr["sources"],
        threshold=shipping_threshold(store=store),
        n_carousels=int(carousels(store=store).product_id.nunique()),
        # the customers `shopperlens upsell` proposes something to (not every buyer: a
        # customer who owns every product of every rule gets no pick)
        n_upsell_customers=int(upsell_picks(store=store).customer_id.nunique())
        if len(rules)
        else 0,
        repeat_rate=ret["repeat_rate"],
        case_study=ret["case_study"],
        loyal_at_risk=ret["loyal_at_risk"],
        loyal_lapsing=ret["loyal_lapsing"],
        clv_note=ret["clv_note"],
        no_dropout_note=ret["no_dropout_note"],
        exit_pages=exits,
        visits_to_purchase=to_purchase,
        referral=ret["referral"],
        tickets=sup["tickets"],
        topics=sup["topics"],
        offers=sup["offers"],
        currency=currency,
        imported=imported_sources(store=store),
        visited=_visited(v),
        consent_recorded=recorded_consents(store=store),
        loyalty=_repeat_factors(store, orders, sessions, config),
        onboarding=_onboarding(store, v, orders, steps, t),
        ticket_channels=_ticket_channels(store, t),
    )
    wanted = (type_,) if type_ else TYPES
    actions = build_playbook(ev, wanted)
    _fill_reach(actions, store=store, types=t)
    return Playbook(currency=currency, actions=actions, notes=type_notes(ev, wanted))


def _onboarding(
    store: Store,
    v: Visits,
    orders: pd.DataFrame,
    steps: pd.DataFrame,
    types: pd.DataFrame,
) -> onboarding.Onboarding:
    """How shoppers reach a first order: the new customers' sign-ups read against their first
    purchase (``orders``: :func:`_orders`) and their customer record's ``created_at`` (one
    created before the visit data begin may hide a sign-up), and the visits reaching checkout
    before a first purchase with the purchases the funnel counts (``steps``: :func:`_steps`)."""
    new = types.customer_id[types.type == "new"] if len(types) else []
    created = store.df("SELECT customer_id, created_at FROM customers WHERE created_at IS NOT NULL")
    since = created.set_index("customer_id").created_at
    return onboarding.onboarding(v, orders, steps, new, since)


def _ticket_channels(store: Store, types: pd.DataFrame) -> pd.DataFrame:
    """The customers' tickets with their type, channel and whether they followed an order
    closely. An order of any status counts: a question soon after an order that was then
    cancelled is the hasty purchase the impulse playbook is about."""
    tickets = store.df("SELECT customer_id, created_at, channel FROM tickets")
    placed = _orders(store, every_status=True)
    return _attach_type(onboarding.tickets_after_orders(tickets, placed), types)


def _repeat_factors(
    store: Store, orders: pd.DataFrame, sessions: pd.DataFrame | None, config: Any
) -> RepeatFactors:
    """What was true at the first order of the customers who ordered again, against the
    one-time buyers (:func:`~shopperlens.playbooks.loyalty.repeat_factors`).

    ``orders`` are :func:`_orders`' purchases (a cancelled order is no first order); ordering
    again is counted within the types' ``lapsed_days`` (a loyal customer silent that long
    shows as lapsed in ``types moves``). The first visit is read from the sessions the sources
    table counts (:func:`_visit_orders`; None without visit data), the first category as the CLV
    category effects read it (the line's category, else its product's). Tickets and returns
    are not compared when none are imported: not imported is not "none"."""
    from shopperlens.service.types import as_config

    days = int(float(as_config(config).section("windows")["lapsed_days"]))
    lines = store.df(
        "SELECT l.order_id, l.line_no, coalesce(l.category, p.category) AS category "
        f"FROM {PRODUCT_LINES} l LEFT JOIN products p USING (product_id)"
    )
    return repeat_factors(
        _priced(orders),
        window_days=days,
        currency=shop_currency(store=store),
        lines=lines,
        sessions=sessions,
        tickets=store.df("SELECT customer_id, created_at FROM tickets")
        if store.count("tickets")
        else None,
        returns=store.df("SELECT order_id FROM returns") if store.count("returns") else None,
        customers=store.df("SELECT customer_id, country FROM customers"),
    )


def recorded_consents(*, store: Store) -> frozenset[str]:
    """The consent purposes the playbook reads (:data:`CONSENT_PURPOSES`) someone's word is on
    record for (:func:`~shopperlens.service.consent.on_record`): for the others the playbook
    says that nobody's is, not that every customer refused."""
    return frozenset(p for p in CONSENT_PURPOSES if consent.on_record(store=store, purpose=p))


def _aov(orders: pd.DataFrame) -> float:
    """The average order in the shop's currency (0 without one): averaging SEK 1,100 in as
    EUR 1,100 raised every cart estimate built on it."""
    priced = orders.value[orders.in_shop_currency.astype(bool)]
    return float(priced.mean()) if len(priced) else 0.0


def _fill_reach(actions: list[Action], *, store: Store, types: pd.DataFrame) -> None:
    """How many of each action's audience its printed export command writes.

    Runs the command's own selection (:func:`export_audience`'s, to the destination and by
    the consent purpose of ``generator.export_command``: ``meta`` for marketing, the plain
    ``csv`` by case-study or referral consent) once per distinct segment, so the counts on the
    page are what the command then writes — the page used to print the type's size (anonymous
    visitors included) next to a command writing far fewer. ``exportable`` counts the people
    the file gives an address for (:func:`~shopperlens.playbooks.audience.addressed`), and
    ``without_email``/``shared_email`` those it leaves out for want of a usable address or for
    sharing one written once (:class:`~shopperlens.playbooks.audience.LeftOut`, the counts an
    export's summary gives). The
    customers' columns are built once for every segment: built per segment, the orders of a
    shop of 300,000 customers were read and summed a dozen times, minutes of a report.
    """
    customers = _customer_columns(store=store, types=types)
    seen: dict[str, tuple[int, int, int, int, int]] = {}
    for action in actions:
        if action.audience not in seen:
            to, purpose = _aud.export_target(action.audience)
            c = _select_customers(customers, segment=action.audience)
            rows, left = _aud.audience(c, to, purpose)
            seen[action.audience] = (
                len(c),
                left.without_consent,
                _aud.addressed(rows, to),
                left.without_email,
                left.shared_email,
            )
        (
            action.known,
            action.without_consent,
            action.exportable,
            action.without_email,
            action.shared_email,
        ) = seen[action.audience]


# -- audiences -------------------------------------------------------------------------------
@dataclass(frozen=True)
class AudienceExport:
    """What an export wrote: never the addresses themselves.

    Every customer ``selected`` is either given an address by the file or counted once among
    ``without_consent`` (of the ``purpose`` the file is drawn by), ``without_email`` (no usable
    address), ``shared_email`` (an address written once, under the first of them by id) and
    ``not_importable`` (an address the destination refuses: Mailchimp takes no accented letter
    before the ``@``); :meth:`accounting` says so in words."""

    destination: str
    selected: int
    written: int
    without_consent: int
    path: str | None
    #: what the shop should know about the file before using it: an ad-platform list too small
    #: to work, people left out that the destination would refuse, or why a ``type`` selection
    #: is empty (every face shows these)
    warnings: tuple[str, ...] = ()
    without_email: int = 0
    shared_email: int = 0
    not_importable: int = 0
    purpose: str = "marketing"

    def accounting(self) -> str:
        """Who of those selected the file gives no address for, and why: "17 selected: 9
        without marketing consent, 3 without a usable e-mail address" — a summary that left
        the last three out did not add up."""
        parts = [
            f"{self.without_consent:,} without {_aud.CONSENT_WORDS[self.purpose]}",
            _counted(self.without_email, "without a usable e-mail address"),
            _counted(self.shared_email, "sharing an address written once"),
            _counted(self.not_importable, f"left out: {_not_importable(self.destination)}"),
        ]
        return f"{self.selected:,} selected: " + ", ".join(filter(None, parts))


def _counted(n: int, why: str) -> str:
    """``"3 without …"``, or nothing for nobody."""
    return f"{n:,} {why}" if n else ""


def _not_importable(destination: str) -> str:
    """Why ``destination``'s import refuses an address the store keeps
    (:data:`~shopperlens.playbooks.audience.REFUSED_ADDRESSES`; empty for one that refuses
    none)."""
    return _aud.REFUSED_ADDRESSES.get(destination, "")


def audience_customers(
    *,
    store: Store,
    type: str | None = None,  # noqa: A002
    segment: str | None = None,
    types: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Customers selected by type or by a segment expression, with their marketing consent.

    ``segment`` is an expression over the columns ``customer_id, type, orders, revenue,
    days_since_last_order, country, accepts_marketing, marketing_consent,
    case_study_consent, referral_consent``, ``persona`` (:func:`_personas_of`) and the types
    run's scores ``score_need_based`` …
    ``score_impulse`` (e.g. ``"type == 'loyal' and orders >= 3"``):
    column names, numbers and quoted text, comparisons (``in``/``not in`` too), ``and``/``or``/
    ``not`` (``&``, ``|``, ``~``), ``+ - * / // %`` and lists; anything else (a method call,
    an attribute, a subscript …) is refused before pandas evaluates it (:func:`check_segment`),
    and so is an expression that is no yes/no condition (``orders``, ``1``; see
    :func:`_segment_mask`).
    Marketing consent: the latest ``consents`` record for purpose ``marketing`` when one
    exists, else the customer's ``accepts_marketing`` flag; case-study consent: the latest
    record for that purpose grants it; referral consent: the rule of a referral e-mail
    (``consent.allowed(own="referral")``), so a playbook action aimed at consenting customers
    can print a command that selects exactly them.
    ``revenue`` adds only the orders in the shop's currency: 0 for a customer without an
    order, unknown (NaN, which no ``revenue`` comparison selects) for one whose orders are all
    in other currencies — SEK 5,000 read as EUR 5,000 passed ``revenue >= 1000``.
    """
    return _select_customers(
        _customer_columns(store=store, types=types), type=type, segment=segment
    )


def _customer_columns(*, store: Store, types: pd.DataFrame | None) -> pd.DataFrame:
    """Every customer with the columns a segment may name (:func:`audience_customers`)."""
    customers = store.df(
        "SELECT customer_id, email, country, coalesce(accepts_marketing, false) AS "
        "accepts_marketing FROM customers"
    )
    per = _customer_revenue(_priced(_orders(store)))
    c = customers.merge(per, on="customer_id", how="left")
    c["orders"] = c.orders.fillna(0).astype(int)
    c["revenue"] = c.revenue.mask(c.orders == 0, 0.0)
    typed = resolve_types(store=store, types=types)
    c["days_since_last_order"] = _days_since_last_order(c.last_order_at, store, typed)
    c = _attach_scores(_attach_type(c, typed), typed)
    c["marketing_consent"] = c.customer_id.isin(consent.allowed(store=store))
    consents = store.df("SELECT * FROM consents")
    c["case_study_consent"] = c.customer_id.isin(retention.consented(consents, "case_study"))
    referral = consent.allowed(store=store, own="referral")
    c["referral_consent"] = c.customer_id.isin(referral)
    c["persona"] = _personas_of(store, c.customer_id)
    return c


def _personas_of(store: Store, ids: pd.Series) -> pd.Series:
    """Each customer's persona (its name) in the latest persona run, through the survey
    answers linked to the customer; unknown for a customer who answered none (or before any
    run), which no ``persona`` comparison selects. A customer who answered twice belongs where
    the closer answer put them. So ``persona == 'Frugal Fred'`` turns a persona into a target
    list, as a type is one."""
    from shopperlens.service import personas

    if not store.scalar("SELECT count(*) FROM persona_runs"):
        return pd.Series(None, index=ids.index, dtype=object)
    m = personas.members(store=store).dropna(subset=["customer_id"])
    m = m.sort_values(["distance", "respondent"], kind="stable").drop_duplicates("customer_id")
    return ids.map(m.set_index("customer_id").persona).astype(object)


def _select_customers(
    c: pd.DataFrame,
    *,
    type: str | None = None,  # noqa: A002
    segment: str | None = None,
) -> pd.DataFrame:
    """The rows of :func:`_customer_columns` of ``type`` and matching ``segment``."""
    if type:
        c = c[c.type == type]
    if segment:
        if "@" in segment or "__" in segment:
            raise ShopperlensError("a segment may only name the customer columns")
        check_segment(segment, c.columns)
        c = c[_segment_mask(c, segment)]
    return c.reset_index(drop=True)


#: the per-type scores a segment may name (the types run's columns)
SCORE_COLUMNS: tuple[str, ...] = tuple(f"score_{t}" for t in TYPES)


def _attach_scores(c: pd.DataFrame, types: pd.DataFrame) -> pd.DataFrame:
    """Add each type's score (``score_new`` …) per customer, unknown (NaN) for one the types
    run holds no score for: the primary type alone hides a loyal customer's first purchase in
    a new category (``score_new`` 0.75) or a first order that looks impulsive."""
    by_customer = types.dropna(subset=["customer_id"]).drop_duplicates("customer_id")
    by_customer = by_customer.set_index("customer_id")
    for col in SCORE_COLUMNS:
        known = by_customer[col] if col in by_customer else pd.Series(dtype=float)
        c[col] = c.customer_id.map(known).astype(float)
    return c


#: what a segment that is no yes/no condition is told (never with the values it gave)
NOT_A_CONDITION = (
    "a segment must be a condition, such as orders >= 2 or type == 'loyal' "
    "(a column or a number alone is none)"
)


def _segment_mask(c: pd.DataFrame, segment: str) -> pd.Series:
    """Which customers of ``c`` the (checked) ``segment`` selects, as a boolean mask.

    ``DataFrame.query`` selected rows *by label* when the expression was not a condition:
    ``orders`` picked customer 2 once per customer with 2 orders, ``1`` crashed, ``revenue``
    failed naming every customer's revenue. So the segment is evaluated, and its value must be
    yes or no per customer, or one yes/no for all; anything else is refused without quoting
    what it gave.

    An unknown value is no, whatever the segment does with it: ``pandas.eval`` compared a
    missing revenue as NaN (``revenue != 1000`` and ``not revenue >= 1000`` selected the
    customer whose orders are all in another currency) and a missing text as "not in the
    list". So the segment is evaluated here over its syntax tree (:func:`_segment_tree`), on
    pandas' nullable dtypes: a comparison with a missing value is ``<NA>``, ``not``/``and``/
    ``or`` keep it unknown by three-valued logic, and the mask reads ``<NA>`` as no."""
    tree = _segment_tree(segment)
    frame = _nullable(c)
    try:
        value = _SegmentEval(frame).visit(tree.body)
    except ShopperlensError:
        raise
    except Exception:  # pandas raises many kinds; their messages may quote a customer's value
        raise ShopperlensError(
            f"cannot apply segment {segment!r}: it compares or computes values that do not go "
            "together (text with a number, arithmetic on text …)"
        ) from None
    if isinstance(value, bool | np.bool_):
        return pd.Series(bool(value), index=c.index)
    if not _is_condition(value) or not value.index.equals(c.index):
        raise ShopperlensError(NOT_A_CONDITION)
    return value.astype("boolean").fillna(False).astype(bool)


def _segment_tree(segment: str) -> ast.Expression:
    """The segment's syntax tree as pandas reads it: ``&`` and ``|`` are ``and`` and ``or``
    (``orders > 0 & revenue > 60`` is two conditions, not ``0 & revenue``), and every type
    name compared with ``type`` is its id (:func:`_normalise_type_names`)."""
    try:
        tokens = [
            (tokenize.NAME, {"&": "and", "|": "or"}[t.string])
            if t.type == tokenize.OP and t.string in ("&", "|")
            else (t.type, t.string)
            for t in tokenize.generate_tokens(io.StringIO(segment.strip()).readline)
        ]
        tree = ast.parse(tokenize.untokenize(tokens).strip(), mode="eval")
    except (*UNREADABLE_SEGMENT, tokenize.TokenError):
        raise _unreadable(segment) from None
    _normalise_type_names(tree)
    return tree


#: what Python's parser raises for a segment it cannot read: a syntax error, text UTF-8 cannot
#: carry (a lone surrogate, as a shell passes an invalid byte or JSON writes ``"\\udcff"``) and
#: nesting deeper than its recursion limit (``not not … orders > 1`` 3,000 times)
UNREADABLE_SEGMENT: tuple[type[Exception], ...] = (SyntaxError, ValueError, RecursionError)


def _unreadable(segment: str) -> ShopperlensError:
    """The refusal of a segment the parser cannot read."""
    return ShopperlensError(
        f"cannot read segment {segment!r}: write an expression over the customer columns, "
        "e.g. \"type == 'loyal' and orders >= 3\""
    )


#: the audience columns that hold text whatever their values: a shop with no customers (or no
#: country anywhere) gives them no text to infer it from, and ``type == 'need_based'`` was then
#: refused as "text compared with a number" on an empty float column
_TEXT_COLUMNS = ("customer_id", "email", "country", "type")


def _nullable(c: pd.DataFrame) -> pd.DataFrame:
    """``c`` in pandas' nullable dtypes (``Int64``, ``Float64``, ``boolean``, ``string``), so
    arithmetic and comparisons on a missing value give ``<NA>``, not NaN's False/True."""
    out = c.copy()
    for name, col in c.items():
        if name in _TEXT_COLUMNS:
            out[name] = col.astype(pd.StringDtype(na_value=pd.NA))
        elif pd.api.types.is_bool_dtype(col.dtype):
            out[name] = col.astype("boolean")
        elif pd.api.types.is_integer_dtype(col.dtype):
            out[name] = col.astype("Int64")
        elif pd.api.types.is_float_dtype(col.dtype):
            out[name] = col.astype("Float64")
        elif pd.api.types.is_string_dtype(col.dtype) and (
            pd.api.types.infer_dtype(col, skipna=True) == "string"  # (not a column of None)
        ):
            out[name] = col.astype(pd.StringDtype(na_value=pd.NA))
    return out


def _is_condition(value: Any) -> bool:
    """Whether ``value`` is yes/no: a bool, or a column of (nullable) booleans."""
    if isinstance(value, bool | np.bool_):
        return True
    return isinstance(value, pd.Series) and pd.api.types.is_bool_dtype(value.dtype)


def _condition(value: Any) -> Any:
    """``value`` when it is a condition (as ``bool`` or nullable ``boolean``), else refused:
    ``orders > 0 and revenue`` read a revenue as true or false, and ``not revenue`` failed
    with numpy's words."""
    if not _is_condition(value):
        raise ShopperlensError(NOT_A_CONDITION)
    return bool(value) if isinstance(value, bool | np.bool_) else value.astype("boolean")


def _negated(condition: Any) -> Any:
    """``not condition``: ``~`` of a bool is a number (``~True == -2``), of a ``boolean``
    column the column negated with ``<NA>`` kept unknown."""
    return not condition if isinstance(condition, bool) else ~condition


def _unknown(value: Any) -> Any:
    """Where ``value`` is missing: a boolean column, or one bool for a constant."""
    return value.isna() if isinstance(value, pd.Series) else value is None or value is pd.NA


#: the operators a (checked) segment computes with
_ARITHMETIC: dict[type, Any] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}  # fmt: skip
_COMPARISONS: dict[type, Any] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}  # fmt: skip


class _SegmentEval(ast.NodeVisitor):
    """Evaluates a checked segment's tree over the customers' (nullable) columns: a value is
    a column (``pd.Series``) or a constant; a comparison with a missing value is ``<NA>``."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def generic_visit(self, node: ast.AST) -> Any:
        """Syntax :func:`check_segment` lets through but nothing here computes (none known)."""
        raise ShopperlensError(f"segment refused: a {type(node).__name__} expression")

    def visit_Constant(self, node: ast.Constant) -> Any:
        return _held(node.value)

    def visit_Name(self, node: ast.Name) -> Any:
        return self.frame[node.id]

    def visit_List(self, node: ast.List | ast.Tuple) -> Any:
        """A list is the right side of ``in`` (or ``==``); alone it is no condition."""
        raise ShopperlensError(NOT_A_CONDITION)

    visit_Tuple = visit_List

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.Not | ast.Invert):
            return _negated(_condition(value))
        return _held(-value) if isinstance(node.op, ast.USub) else +value

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        values = [_condition(self.visit(v)) for v in node.values]
        combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
        result = values[0]
        for value in values[1:]:  # Kleene logic: no & unknown is no, yes | unknown is yes
            result = combine(result, value)
        return result

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, ast.BitAnd | ast.BitOr):  # (read as and/or: see _segment_tree)
            combine = operator.and_ if isinstance(node.op, ast.BitAnd) else operator.or_
            return combine(_condition(left), _condition(right))
        if _is_text(left) or _is_text(right):
            # ``customer_id * 200000`` built a 1.6 GB column: text is compared, never computed
            raise ShopperlensError("segment refused: arithmetic on text")
        if isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod):
            return _divided(_ARITHMETIC[type(node.op)], left, right)
        return _whole_checked(_ARITHMETIC[type(node.op)], left, right)

    def visit_Compare(self, node: ast.Compare) -> Any:
        """``a < b < c`` is ``a < b and b < c``; ``x in [..]`` (and, as pandas reads it,
        ``x == [..]``) is ``x == one or x == another``, so a missing ``x`` is in no list and
        out of none."""
        result: Any = True
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            pair = self._compare(left, op, right)
            result = pair if result is True else result & pair
            left = right
        return result

    def _compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> Any:
        listed = [isinstance(x, ast.List | ast.Tuple) for x in (left, right)]
        if isinstance(op, ast.In | ast.NotIn) and not listed[1]:
            raise ShopperlensError(
                "a segment's in / not in needs a list, such as type in ['loyal', 'looker']"
            )
        if isinstance(op, ast.In | ast.NotIn | ast.Eq | ast.NotEq) and any(listed):
            if all(listed):
                raise ShopperlensError(NOT_A_CONDITION)
            one, many = (right, left) if listed[0] else (left, right)
            value = self.visit(one)
            # a missing value is in no list and out of none, an empty list included
            found: Any = _unknown_where_missing(value)
            for item in many.elts:  # type: ignore[attr-defined]
                found = found | _compared(operator.eq, value, self.visit(item))
            return _negated(found) if isinstance(op, ast.NotIn | ast.NotEq) else found
        return _compared(_COMPARISONS[type(op)], self.visit(left), self.visit(right))


#: the largest whole number a segment holds: pandas' integers are 64-bit, and beyond them
#: ``orders + 9223372036854775807 > 0`` wrapped round to negative and selected the wrong
#: customers, and ``orders > 99999999999999999999`` was refused as text compared with a number
WHOLE_LIMIT = 2**63 - 1
#: what a segment holding or computing a whole number beyond :data:`WHOLE_LIMIT` is told
BEYOND_WHOLE = (
    "segment refused: {what} is beyond the whole numbers a segment can hold "
    f"(-{WHOLE_LIMIT:,} to {WHOLE_LIMIT:,}); use a smaller number"
)


def _is_whole(value: Any) -> bool:
    """Whether ``value`` is a whole number (not a bool): a constant, or an integer column."""
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, int | np.integer):
        return True
    return (
        isinstance(value, pd.Series)
        and pd.api.types.is_integer_dtype(value.dtype)
        and not pd.api.types.is_bool_dtype(value.dtype)
    )


def _held(value: Any) -> Any:
    """``value``, refused when it is a whole number constant beyond :data:`WHOLE_LIMIT`."""
    if _is_whole(value) and not isinstance(value, pd.Series) and abs(int(value)) > WHOLE_LIMIT:
        raise ShopperlensError(BEYOND_WHOLE.format(what=f"the number {int(value)}"))
    return value


def _whole_checked(op: Any, left: Any, right: Any) -> Any:
    """``op(left, right)`` for ``+ - *``, refused when whole numbers give a result beyond
    :data:`WHOLE_LIMIT`, where 64-bit integers wrap round without a word. The same sum in
    decimals says where: a wrapped result is 2**64 or more away from it, a true one close."""
    result = op(left, right)
    if not (_is_whole(left) and _is_whole(right)):
        return result
    if not isinstance(result, pd.Series):
        return _held(result)
    estimate = op(_decimals(left), _decimals(right))
    if ((estimate - result.astype("Float64")).abs() > 2.0**62).any():
        raise ShopperlensError(BEYOND_WHOLE.format(what="a sum or product"))
    return result


def _decimals(value: Any) -> Any:
    """A whole number, or column of them, as decimals (``Float64``)."""
    return value.astype("Float64") if isinstance(value, pd.Series) else float(value)


def _is_text(value: Any) -> bool:
    """Whether ``value`` is text: a string, or a column of strings."""
    if isinstance(value, str):
        return True
    return isinstance(value, pd.Series) and (
        pd.api.types.is_string_dtype(value.dtype) or value.dtype == object
    )


def _is_number(value: Any) -> bool:
    """Whether ``value`` is a number (not a bool): a constant, or a numeric column."""
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, int | float | np.number):
        return True
    return (
        isinstance(value, pd.Series)
        and pd.api.types.is_numeric_dtype(value.dtype)
        and not pd.api.types.is_bool_dtype(value.dtype)
    )


def _divided(op: Any, left: Any, right: Any) -> Any:
    """``op(left, right)`` for ``/``, ``//`` and ``%``, unknown where ``right`` is 0: pandas'
    nullable integers give 0 for ``orders // 0``, which ``orders // 0 == 0`` read as every
    customer."""
    zero = right == 0
    if not isinstance(left, pd.Series) and not isinstance(right, pd.Series):
        return None if zero else op(left, right)
    if isinstance(zero, pd.Series):
        return op(left, right).astype("Float64").mask(zero.fillna(False).astype(bool))
    if zero:
        index = left.index if isinstance(left, pd.Series) else right.index
        return pd.Series(pd.NA, index=index, dtype="Float64")
    return op(left, right)


def _unknown_where_missing(value: Any) -> Any:
    """No (``False``) for a list test's start, unknown where ``value`` is missing."""
    if isinstance(value, pd.Series):
        return pd.Series(False, index=value.index, dtype="boolean").mask(value.isna())
    return False  # (a constant: compared as :func:`_compared` compares one)


def _compared(op: Any, left: Any, right: Any) -> Any:
    """``op(left, right)`` as a condition: ``<NA>`` wherever either side is missing (pandas'
    own comparisons give False, or True for ``!=``, for a missing text). Text compared with a
    number is refused: ``type == 5`` or ``orders == 'x'`` selected nobody without a word."""
    if (_is_text(left) and _is_number(right)) or (_is_number(left) and _is_text(right)):
        raise ShopperlensError("segment refused: text compared with a number")
    result = op(left, right)
    if not isinstance(result, pd.Series):
        return False if _unknown(left) or _unknown(right) else bool(result)
    return result.astype("boolean").mask(_unknown(left) | _unknown(right))


def _type_literals(tree: ast.AST) -> list[ast.Constant]:
    """The text constants a segment compares the ``type`` column with — ``==``, ``!=``,
    ``in``, ``not in``, the column on either side, a list of names or one name."""
    found: list[ast.Constant] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            if not isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn):
                continue
            for column, other in ((sides[i], sides[i + 1]), (sides[i + 1], sides[i])):
                if not (isinstance(column, ast.Name) and column.id == "type"):
                    continue
                items = other.elts if isinstance(other, ast.List | ast.Tuple) else [other]
                found += [
                    x for x in items if isinstance(x, ast.Constant) and isinstance(x.value, str)
                ]
    return found


def _normalise_type_names(tree: ast.AST) -> None:
    """Write each type name :func:`_type_literals` finds as the type's id, in place: a segment
    of ``type == 'need-based'`` (or ``type in ['need-based']``, ``'need-based' == type``)
    selected nobody without a word (types are ``need_based``); an unknown type is refused.
    ``untyped`` stays as it is."""
    for literal in _type_literals(tree):
        if literal.value != "untyped":
            literal.value = type_name(literal.value)


def check_segment(segment: str, columns: Any) -> None:
    """Refuse a segment that is more than columns, constants and operators, naming what.

    pandas' ``query`` evaluates method calls and attributes of the columns
    (``customer_id.to_csv('/tmp/x.csv')`` writes a file), so the expression is parsed with
    ``ast`` first and only these pass: column names, numbers, quoted text, ``True``/``False``/
    ``None``, comparisons (``== != < <= > >= in``, ``not in``), ``and``/``or``/``not`` (and
    ``&``, ``|``, ``~``), ``+ - * / // %`` (not on text, and no ``**``: both can make a
    number or a text too large to hold) and lists or tuples.
    """
    import ast

    try:
        tree = ast.parse(segment.strip(), mode="eval")
    except UNREADABLE_SEGMENT:
        raise _unreadable(segment) from None
    known = {str(c) for c in columns}
    for node in ast.walk(tree):
        what = _not_allowed(node, known)
        if what:
            raise ShopperlensError(
                f"segment refused: {what} is not allowed. A segment may use the columns "
                f"({', '.join(sorted(known - {'email'}))}), numbers and quoted text, "
                "comparisons (== != < <= > >= in, not in), and/or/not, + - * / // % and lists"
            )


#: the syntax a segment is made of (the names of Python's ``ast`` node classes)
_SEGMENT_NODES = frozenset({
    "Expression", "BoolOp", "And", "Or", "UnaryOp", "Not", "USub", "UAdd", "Invert", "BinOp",
    "Add", "Sub", "Mult", "Div", "FloorDiv", "Mod", "BitAnd", "BitOr", "Compare", "Eq",
    "NotEq", "Lt", "LtE", "Gt", "GtE", "In", "NotIn", "Name", "Constant", "List", "Tuple",
    "Load",
})  # fmt: skip


def _not_allowed(node: Any, columns: set[str]) -> str | None:
    """What in a segment's syntax tree ``node`` is that a segment may not use, or None."""
    import ast

    kind = type(node).__name__
    if isinstance(node, ast.Call):
        f = node.func
        return f"a method call (.{f.attr})" if isinstance(f, ast.Attribute) else "a function call"
    if isinstance(node, ast.Attribute):
        return f"an attribute (.{node.attr})"
    if isinstance(node, ast.Subscript):
        return "a subscript ([…])"
    if isinstance(node, ast.Lambda):
        return "a lambda"
    if isinstance(node, ast.Name) and node.id not in columns:
        return f"an unknown column {node.id[:40]!r}"
    if isinstance(node, ast.Constant) and not isinstance(node.value, str | int | float | None):
        return f"a constant of type {type(node.value).__name__}"
    if isinstance(node, ast.BinOp) and any(
        isinstance(x, ast.Constant) and isinstance(x.value, str) for x in (node.left, node.right)
    ):
        return "arithmetic on text"
    if kind not in _SEGMENT_NODES:
        word = {"Is": "is", "IsNot": "is not", "Pow": "**"}.get(kind)
        return f"the operator '{word}'" if word else f"a {kind} expression"
    return None


#: the endings an audience file may have: every destination takes CSV
AUDIENCE_FORMATS = (".csv",)


def export_audience(
    *,
    store: Store,
    destination: str = "csv",
    type: str | None = None,  # noqa: A002
    segment: str | None = None,
    out: str | Path | None = None,
    types: pd.DataFrame | None = None,
    purpose: str = "marketing",
    bom: bool = False,
) -> tuple[AudienceExport, pd.DataFrame]:
    """Build (and with ``out`` write) an audience file; returns a summary and the rows.

    ``purpose`` is the consent the file is drawn by (``marketing``, ``case_study``,
    ``referral``): the plain ``csv`` writes the e-mail of those who gave it, and
    ``without_consent`` counts those who did not; the marketing destinations take only
    ``marketing`` (:func:`~shopperlens.playbooks.audience.purpose_refusal`). ``out`` must
    end in ``.csv`` (:data:`AUDIENCE_FORMATS`), checked before the audience is read. The file
    is :func:`audience_csv`'s text (``bom``: the ``csv_bom`` setting); the rows handed back are
    the values as stored, not made spreadsheet-safe."""
    if destination not in _aud.DESTINATIONS:
        raise ShopperlensError(
            f"unknown destination {destination!r}; choose {', '.join(_aud.DESTINATIONS)}"
        )
    refused = _aud.purpose_refusal(purpose, destination)
    if refused:
        raise ShopperlensError(refused)
    if type is None and segment is None:
        raise ShopperlensError("choose the audience with a type or a segment expression")
    if out is not None:  # before any work: a name the file's format belies is refused
        output_file(out, AUDIENCE_FORMATS)
    if type is not None and type != "untyped":
        type = type_name(type)  # noqa: A001  (need-based is need_based)
    mark = store.erasure_mark()  # a person erased while this reads is written nowhere
    typed = resolve_types(store=store, types=types) if type is not None else types
    c = audience_customers(store=store, type=type, segment=segment, types=typed)
    rows, left = _aud.audience(c, destination, purpose)
    with store.write_lock(), store.cursor() as con:  # (no erasure can commit meanwhile)
        check_no_erasure_since(con, mark)  # the rows, written or handed back, may hold them
        if out is not None:
            output_file(out).write_text(audience_csv(rows, destination, bom=bom), encoding="utf-8")
    summary = AudienceExport(
        destination=destination,
        selected=len(c),
        written=len(rows),
        without_consent=left.without_consent,
        path=str(out) if out is not None else None,
        without_email=left.without_email,
        shared_email=left.shared_email,
        not_importable=left.not_importable,
        purpose=purpose,
    )
    said = [_small_audience(destination, len(rows)), _refused_by_destination(summary)]
    if type is not None and not len(c):
        said.append(_nobody_of_type(store, type, typed))
    return replace(summary, warnings=tuple(filter(None, said))), rows


def audience_csv(rows: pd.DataFrame, destination: str, *, bom: bool = False) -> str:
    """The audience file's text for ``rows`` (:func:`export_audience`'s): every text cell a
    spreadsheet would run as a formula prefixed (:func:`~shopperlens.plain.spreadsheet_safe`),
    and with ``bom`` the plain ``csv``, the one opened in a spreadsheet, after UTF-8's byte
    order mark; a platform's file stays as the platform documents it. Only the file is made
    safe: rows handed back with ``'-3`` for a customer id ``-3`` matched nothing in the
    caller's own data."""
    mark = BOM if bom and destination == "csv" else ""
    return mark + spreadsheet_safe(rows).to_csv(index=False)


def _refused_by_destination(summary: AudienceExport) -> str | None:
    """The people left out of the file because its destination refuses their address, or None:
    a warning too, so the HTTP header and Python's ``warnings`` carry the count the CLI's line
    gives ("35 left out: Mailchimp does not take accented letters before the @")."""
    if not summary.not_importable:
        return None
    return f"{summary.not_importable:,} left out: {_not_importable(summary.destination)}"


#: fewer people than this in a hashed ad-platform list is too few to use: Meta needs at
#: least 100 people (from one country) in a custom audience before it seeds a lookalike, and
#: Google serves a Customer Match list from 100 matched people (a lookalike segment needs
#: 1,000); both match only part of an uploaded list to accounts
MIN_AD_AUDIENCE = 100


def _small_audience(destination: str, written: int) -> str | None:
    """Why a Meta or Google list of fewer than :data:`MIN_AD_AUDIENCE` people will not work,
    or None: the file is written either way (the shop may add to it), but not silently."""
    if destination not in ("meta", "google") or written >= MIN_AD_AUDIENCE:
        return None
    rule = (
        "Meta needs at least 100 people from one country in a custom audience before it can "
        "seed a lookalike audience"
        if destination == "meta"
        else "Google serves a Customer Match list only once about 100 of its people are "
        "matched to Google accounts (a lookalike segment needs 1,000)"
    )
    people = "person" if written == 1 else "people"
    return (
        f"only {written:,} {people} in this {destination} audience: {rule}, and only part of "
        "a list is matched to accounts"
    )


def _nobody_of_type(store: Store, type_: str, types: pd.DataFrame | None) -> str:
    """Why a ``type`` selection is empty: none of that type in the run (with the types it
    has), a segment that selects none of those on record, or all of that type without a
    customer record — anonymous visitors, and ids known only from visits — rather than
    "0 selected" and nothing else, or "no customer is of type looker" beside "looker 30".
    ``type_`` is the canonical name (need_based), ``types`` the run the selection used."""
    if types is None or types.empty:  # (an installation without the types concern)
        return "no types run stored: run shopperlens types first"
    of_type = types[types["type"] == type_]
    if len(of_type):  # none selected: the segment's doing, or none has a customer record
        ids = of_type["customer_id"].dropna().tolist()
        recorded = store.scalar(
            "SELECT count(*) FROM customers WHERE customer_id IN (SELECT unnest(?::VARCHAR[]))",
            [ids],
        )
        if recorded:  # ("import customers" was said of a segment that selected none of them)
            return (
                f"the segment selects none of the {recorded:,} customers of type {type_} on record"
            )
        with_id = len(ids)
        why = "; ".join(filter(None, unreachable_texts(len(of_type) - with_id, with_id)))
        return (
            f"none of the {len(of_type):,} people of type {type_} in the latest types run "
            f"can be exported: {why}"
        )
    counts = types["type"].value_counts()
    mix = ", ".join(f"{t} {n:,}" for t, n in counts.items()) or "no customers"
    return (
        f"no customer is of type {type_} in the latest types run ({mix}); "
        "`shopperlens types` shows why each customer got their type"
    )


def demo_step(*, store: Store) -> None:
    """Check the playbook builds on the demo shop (the report page renders it again)."""
    playbook(store=store)
