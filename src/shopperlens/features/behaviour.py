"""Behavioural features per customer and per anonymous visitor, as Ibis expressions.

Everything here maps Ibis tables to Ibis expressions and never names an engine: the same
:func:`behaviour_features` runs on the DuckDB store (``store.table``) and on a PySpark backend
built by :mod:`shopperlens.store.spark`. Only rows strictly before ``as_of`` count, so a run
"as of" a past date sees exactly what the shop knew then.

A *subject* is a customer (``customer_id``) or, when a visitor was never linked to a customer,
that visitor (``subject_id = "visitor:<visitor_id>"``). Events are linked to customers through
their own ``customer_id`` or the ``identities`` table, so a visitor who later signs up carries
their earlier browsing into the customer's history: "looker → new → loyal" stays one subject.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir

from shopperlens.merchandise import not_merchandise, product_lines
from shopperlens.statuses import (
    EXCLUDED_STATUSES,
    ORDER_SESSION_GAP_MINUTES,
    PURCHASE_ORDER_GAP_HOURS,
)
from shopperlens.words import LOWER_FOLDS, STOP_WORDS

#: event names (lower case) that mean each action; sources use different vocabularies
#: a page is one page-view event; product views and search results are counted on their own
PAGE_EVENTS = ("page_view", "pageview", "screen_view", "page")
PRODUCT_VIEW_EVENTS = ("view_item", "product_view", "product_viewed", "view_product")
SEARCH_EVENTS = ("search", "view_search_results", "site_search")
CART_EVENTS = ("add_to_cart", "cart_add", "added_to_cart")
CART_REMOVE_EVENTS = ("remove_from_cart", "cart_remove", "removed_from_cart")
PURCHASE_EVENTS = ("purchase", "order", "order_completed", "checkout_completed")


class TableSource(Protocol):
    """Anything that hands out Ibis tables by canonical name (a Store, a Spark source)."""

    def table(self, name: str) -> Any: ...


@dataclass(frozen=True)
class FeatureSpec:
    """The vocabularies features depend on (filled from the types config).

    ``search_media`` are ``utm_medium`` values meaning "came from a search engine" (organic or
    paid); ``campaign_media`` the paid social / display / e-mail campaign media.
    ``informational_words`` mark search terms asking a question rather than naming a product;
    ``brand_words`` the shop's own brand names. ``focused_products`` is how many distinct
    products a buying visit may view and still count as "went straight to the product".
    A search term names a product when it holds a word found in at most
    ``distinctive_products`` product names that is no category word, in the singular or the
    plural ("tent" names no product in a shop with the category "tents").
    """

    search_media: tuple[str, ...] = ("organic", "cpc", "ppc", "paid_search", "search", "sem")
    campaign_media: tuple[str, ...] = (
        "paid_social", "social_paid", "display", "cpm", "banner", "email", "e-mail",
        "newsletter", "affiliate",
    )  # fmt: skip
    informational_words: tuple[str, ...] = (
        "how", "what", "why", "which", "best", "review", "reviews", "vs", "versus", "guide",
        "ideas", "tips", "compare", "comparison", "cheap", "cheapest", "top",
    )  # fmt: skip
    brand_words: tuple[str, ...] = ()
    focused_products: int = 2
    distinctive_products: int = 2
    events: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "page": PAGE_EVENTS,
            "product_view": PRODUCT_VIEW_EVENTS,
            "search": SEARCH_EVENTS,
            "cart": CART_EVENTS,
            "cart_remove": CART_REMOVE_EVENTS,
            "purchase": PURCHASE_EVENTS,
        }
    )


#: columns of the features frame, in order (counts first, then ratios, then dates)
FEATURE_COLUMNS: tuple[str, ...] = (
    "visits", "pages", "product_views", "pages_per_visit", "product_views_per_visit",
    "avg_visit_minutes", "search_visits", "search_visit_share", "campaign_visits",
    "campaign_visit_share", "search_terms", "product_terms", "product_term_share",
    "brand_terms", "brand_term_share",
    "cart_visits", "abandoned_carts", "purchase_visits", "focused_purchases",
    "focused_purchase_share", "campaign_purchases", "campaign_purchase_share",
    "minutes_to_purchase", "searched_purchases", "search_matched_purchases",
    "search_match_share", "orders", "order_days", "items", "monetary", "avg_order_value",
    "items_per_order", "categories_per_order", "categories", "discount_orders",
    "discount_order_share", "mean_gap_days", "gap_cv", "recency_days", "tenure_days",
    "days_since_new_category", "new_category", "tickets", "tickets_per_order", "returns",
    "returns_per_order", "days_since_last_visit",
)  # fmt: skip


def _lower_in(col: ir.StringValue, values: tuple[str, ...]) -> ir.BooleanValue:
    return col.lower().isin(list(values)) if values else ibis.literal(False)


def _ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    return num.cast("float64") / den.cast("float64").nullif(0.0)


def _days(as_of: ir.TimestampScalar, ts: ir.TimestampValue) -> ir.FloatingValue:
    return (as_of.epoch_seconds() - ts.epoch_seconds()).cast("float64") / 86400.0


#: ASCII whitespace (Python's ``string.whitespace``) as a regular-expression class, written
#: with escapes the regex engines read (RE2 on DuckDB, Java on Spark). The characters themselves
#: must not be in the SQL text: Ibis writes a vertical tab and a form feed into Spark SQL as
#: ``\v`` and ``\f``, which Spark reads as the letters v and f, so ``strip()`` (a trim with that
#: character set) cut "vest" to "est" and "stormproof" to "stormproo" on Spark alone.
_SPACE = r"[ \t\n\r\x0B\f]"
#: a string starting or ending with whitespace
_EDGE_SPACE = f"^{_SPACE}|{_SPACE}$"
#: the whitespace at either end of a string
_EDGE_SPACES = f"^{_SPACE}+|{_SPACE}+$"


def _strip(col: ir.StringValue) -> ir.StringValue:
    """``col`` without whitespace at either end, done only where an end is whitespace.

    Not Ibis' ``strip()``, which is wrong on Spark (see :data:`_SPACE`). Most search terms
    have no whitespace at their ends, and the test for it costs a third of the replacement.
    """
    return ibis.ifelse(col.re_search(_EDGE_SPACE), col.re_replace(_EDGE_SPACES, ""), col)


def _lower(col: ir.StringValue) -> ir.StringValue:
    """``col`` lower-cased alike on DuckDB and Spark (see :data:`shopperlens.words.LOWER_FOLDS`)."""
    out = col.lower()
    for old, new in LOWER_FOLDS:
        out = out.replace(old, new)
    return out


def _words(col: ir.StringValue) -> ir.StringValue:
    """Lower-cased words of a text column, one row each (for term ↔ product matching).

    A word is a run of letters and digits of any script (``\\p{L}``, ``\\p{N}``, which DuckDB's
    RE2 and Spark's Java regex both know): ASCII alone cut "schlafsäcke" into "schlafs" and
    "cke", words no German shopper typed, and read "ñandú" or "Ελληνικά" as nothing.
    """
    spaced = _lower(col).re_replace(r"[^\p{L}\p{N}]+", " ")
    return spaced.re_replace(r"^ +| +$", "").split(" ").unnest()  # (not strip(): see _SPACE)


def _kind(col: ir.StringValue) -> ir.StringValue:
    """A word without the "s" it ends in (every one, as Python's ``rstrip("s")``): "tents"
    and "tent" are one kind of thing. The keyword table reads words the same way
    (``playbooks.traffic._kind``), so the two agree on which words name a category."""
    return col.re_replace(r"s+$", "")


#: ``(k, n)``: the k-th of n disjoint parts of the keys, by hash (see :func:`_in_part`)
Part = tuple[int, int]


@ibis.udf.scalar.builtin(name="hash")
def _engine_hash(value: str) -> int:  # type: ignore[empty-body]
    """The engine's own hash function (DuckDB ``hash``, Spark ``hash``): Ibis's ``hash()``
    casts DuckDB's through a bit string, which costs more than the hash on every event."""


def _in_part(key: ir.StringValue, part: Part | None) -> ir.BooleanValue:
    """TRUE for the keys of ``part``: each key falls in exactly one of the n parts."""
    if part is None:
        return ibis.literal(True)
    k, n = part
    return ((_engine_hash(key) % n) + n) % n == k


def _events(
    src: TableSource, as_of: ir.TimestampScalar, extra: Any = None, part: Part | None = None
) -> ir.Table:
    """Events before ``as_of`` in a session (one filter, so each use is its own scan), only
    the sessions of ``part`` when given."""
    e = src.table("events")
    cond = (e.timestamp < as_of) & e.session_id.notnull()
    if part is not None:
        cond = cond & _in_part(e.session_id, part)
    return e.filter(cond if extra is None else cond & extra(e))


def _visit_rows(
    src: TableSource, as_of: ir.TimestampScalar, spec: FeatureSpec, part: Part | None = None
) -> ir.Table:
    """The visits of :func:`session_table` as their events tell them (``part``: only the
    sessions of that part), before the orders are paired with them; ``last_bought_at`` is
    their last purchase event, ``viewed_products`` is counted in the visits a purchase event
    says bought."""
    ev_names = spec.events
    e = _events(src, as_of, part=part)
    name = e.event_name.lower()
    is_purchase = name.isin(list(ev_names["purchase"]))
    is_view = name.isin(list(ev_names["product_view"]))
    s = e.group_by("session_id").aggregate(
        visitor_id=e.visitor_id.min(),
        event_customer=e.customer_id.max(),
        start=e.timestamp.min(),
        end=e.timestamp.max(),
        pages=name.isin(list(ev_names["page"])).cast("int64").sum(),
        product_views=is_view.cast("int64").sum(),
        medium=e.utm_medium.lower().max(),
        campaign=e.utm_campaign.max(),
        term=_strip(_lower(e.utm_term)).max(),
        carted=name.isin(list(ev_names["cart"])).any(),
        bought=is_purchase.any(),
        bought_at=e.timestamp.min(where=is_purchase),
        last_bought_at=e.timestamp.max(where=is_purchase),
    )
    # a link counts from when it became known (``linked_at``; NULL: unknown, always)
    ids = src.table("identities")
    ids = ids.filter(ids.linked_at.isnull() | (ids.linked_at < as_of)).select(
        id_visitor=ids.visitor_id, id_customer=ids.customer_id
    )
    # distinct products viewed in each buying visit ("went straight to the product" is asked
    # of buying visits only, a few per cent of a shop's visits): distinct pairs, then a count
    # (a per-group distinct aggregate over millions of visits is far slower)
    buying = s.filter(s.bought).select(b_session="session_id")
    views = _product_views(src, as_of, spec, part)
    views = views.semi_join(buying, views.v_session == buying.b_session).distinct()
    views = views.group_by("v_session").aggregate(viewed_products=views.v_product.count())
    s = s.left_join(views, s.session_id == views.v_session).drop("v_session")
    j = s.left_join(ids, s.visitor_id == ids.id_visitor)
    cust = ibis.coalesce(j.event_customer, j.id_customer)
    subject = ibis.coalesce(cust, ibis.literal("visitor:") + j.visitor_id)
    return (
        j.mutate(subject_id=subject)
        .drop("id_visitor", "id_customer", "event_customer")
        .filter(lambda t: t.subject_id.notnull())
    )


def _product_views(
    src: TableSource, as_of: ir.TimestampScalar, spec: FeatureSpec, part: Part | None = None
) -> ir.Table:
    """``v_session, v_product``: the product-view events naming a product."""
    views = _events(
        src, as_of, lambda e: e.event_name.lower().isin(list(spec.events["product_view"])), part
    )
    return views.select(v_session="session_id", v_product="product_id").filter(
        lambda t: t.v_product.notnull()
    )


def _bought_visits(
    src: TableSource,
    as_of: ir.TimestampScalar,
    spec: FeatureSpec,
    s: ir.Table,
    placed: ir.Table | None = None,
) -> ir.Table:
    """The visit table from every visit's rows (:func:`_visit_rows`) and the visits orders
    were placed in (:func:`_order_visits` of the same rows, computed here when not given)."""
    placed = _order_visits(src, as_of, spec, s) if placed is None else placed
    placed = placed.group_by("p_session").aggregate(
        placed_at=placed.placed_at.min(),
        p_viewed=placed.p_viewed.max(),
        p_paid=(~placed.p_void).any(),
        p_void=placed.p_void.any(),
    )
    s = s.left_join(placed, s.session_id == placed.p_session)
    # a visit's purchase events stand for an order that is no purchase (cancelled, refunded)
    by_event = s.bought & ~s.p_void.fill_null(False)
    bought = by_event | s.p_paid.fill_null(False)
    viewed = ibis.coalesce(s.viewed_products, s.p_viewed, 0)
    return s.mutate(
        bought=bought,
        bought_at=ibis.coalesce(
            ibis.ifelse(by_event, s.bought_at, ibis.null("timestamp")), s.placed_at
        ),  # fmt: skip
        viewed_products=ibis.ifelse(bought, viewed, ibis.null("int64")),
    ).drop("p_session", "placed_at", "p_viewed", "p_paid", "p_void", "last_bought_at")


def _order_visits(
    src: TableSource, as_of: ir.TimestampScalar, spec: FeatureSpec, visits: ir.Table
) -> ir.Table:
    """``p_order, p_session, placed_at, p_viewed, p_void``: each order no purchase event stands
    for that was placed in one of ``visits``, that visit, when (NULL for an order given by its
    day only), and how many distinct products the visit viewed (counted here, so the pairing is
    computed once); and, with ``p_void`` true and no order, each visit whose purchase events
    stand for an order that is no purchase (:func:`_void_visits`): such a visit bought nothing.

    An order stands for itself when no buying visit of its customer has a purchase event within
    :data:`~shopperlens.statuses.PURCHASE_ORDER_GAP_HOURS` of it, or of its day when it is
    given by its day only (as ``_gap`` of the playbooks measures it). Such an order was placed
    in the customer's visit that started last before it among those that ended at most
    :data:`~shopperlens.statuses.ORDER_SESSION_GAP_MINUTES` before it; one given by its day
    only (exactly midnight) in the customer's last visit of that day, else as any other order.
    Of visits that started in the same second, the one with the greatest id is taken.
    The playbooks pair orders and visits the same way (``playbooks.traffic``), one purchase
    event to one order; here any purchase event within the window covers an order, so a second
    order within it without its own event adds no buying visit.
    """
    gap = ibis.interval(hours=PURCHASE_ORDER_GAP_HOURS)
    day = ibis.interval(days=1)
    o = _purchases(src, as_of, None)
    o = o.select(o_id="order_id", o_customer="customer_id", o_at="ordered_at")
    # an order given by its day stands for the whole day: a purchase event within a day of
    # that day covers it (an evening purchase west of UTC is stamped the next day in UTC)
    o = o.mutate(o_by_day=o.o_at == o.o_at.truncate("D"), o_end=_order_end(o.o_at))
    void = _void_visits(src, as_of, visits)
    ev = visits.filter(visits.bought)
    ev = ev.anti_join(void, ev.session_id == void.p_session).select(
        e_customer="subject_id", e_first="bought_at", e_last="last_bought_at"
    )
    loose = o.anti_join(
        ev,
        [
            o.o_customer == ev.e_customer,
            o.o_end >= ev.e_first - gap,
            o.o_at <= ev.e_last + gap,
        ],
    )
    v = visits.select(c_session="session_id", c_subject="subject_id", c_start="start", c_end="end")
    session_gap = ibis.interval(minutes=ORDER_SESSION_GAP_MINUTES)
    during = (v.c_start <= loose.o_at) & (loose.o_at <= v.c_end + session_gap)
    that_day = loose.o_by_day & (v.c_start >= loose.o_at) & (v.c_start < loose.o_at + day)
    cand = loose.join(v, [loose.o_customer == v.c_subject, during | that_day])
    # the visit that started last; of visits begun in the same second (two devices, an export
    # rounded to the minute) the greatest id: an arg-max alone took either, and DuckDB and
    # Spark took different ones (the playbooks break the tie alike, ``_sessions_of_orders``)
    cand = cand.mutate(c_last=cand.c_start.max().over(group_by=cand.o_id))
    cand = cand.filter(cand.c_start == cand.c_last)
    placed = cand.group_by(p_order="o_id").aggregate(
        p_session=cand.c_session.max(),
        placed_at=ibis.ifelse(cand.o_by_day, ibis.null("timestamp"), cand.o_at).min(),
    )
    views = _product_views(src, as_of, spec)
    views = views.semi_join(placed, views.v_session == placed.p_session).distinct()
    views = views.group_by("v_session").aggregate(p_viewed=views.v_product.count())
    placed = placed.left_join(views, placed.p_session == views.v_session).drop("v_session")
    placed = placed.select("p_order", "p_session", "placed_at", "p_viewed", p_void=False)
    void = void.select(
        p_order=ibis.null(),
        p_session=void.p_session,
        placed_at=ibis.null(),
        p_viewed=ibis.null(),
        p_void=True,
    )
    return placed.union(void.cast(placed.schema()))


def _void_visits(src: TableSource, as_of: ir.TimestampScalar, visits: ir.Table) -> ir.Table:
    """``p_session``: the visits of ``visits`` whose purchase events stand for an order that is
    no purchase (cancelled, refunded, failed: :data:`EXCLUDED_STATUSES`), not for a purchase.

    The orders of the visit's customer within
    :data:`~shopperlens.statuses.PURCHASE_ORDER_GAP_HOURS` of its purchase events (of the day
    of an order given by its day only) are compared by distance, as the playbooks pair an
    event with its customer's nearest order (``playbooks.traffic``). A visit whose nearest is
    no purchase (a tie goes to the purchase) may be void; as in the playbooks, where each
    event stands for one order, such an order voids one visit only: of those it is nearest to,
    the nearest (the first to start of equals). Two visits near one cancelled order left both
    void, and the order paid between them in neither. Only customers with such an order are
    looked at, a few in most shops.
    """
    gap = ibis.interval(hours=PURCHASE_ORDER_GAP_HOURS)
    o = src.table("orders")
    o = o.filter((o.ordered_at < as_of) & o.customer_id.notnull())
    o = o.select(
        n_id="order_id",
        n_customer="customer_id",
        n_at="ordered_at",
        n_end=_order_end(o.ordered_at),
        n_void=_no_purchase(o.status),
    )
    undone = o.filter(o.n_void).select(x_customer="n_customer").distinct()
    ev = visits.filter(visits.bought)
    ev = ev.semi_join(undone, ev.subject_id == undone.x_customer).select(
        e_session="session_id",
        e_customer="subject_id",
        e_first="bought_at",
        e_last="last_bought_at",
    )
    near = ev.join(
        o,
        [ev.e_customer == o.n_customer, o.n_end >= ev.e_first - gap, o.n_at <= ev.e_last + gap],
    )
    after = near.n_at.epoch_seconds() - near.e_last.epoch_seconds()
    before = near.e_first.epoch_seconds() - near.n_end.epoch_seconds()
    near = near.mutate(far=ibis.greatest(after, before, 0))
    d = near.group_by(l_session="e_session").aggregate(
        undone=near.far.min(where=near.n_void), paid=near.far.min(where=~near.n_void)
    )
    d = d.filter(d.undone.notnull() & (d.paid.isnull() | (d.undone < d.paid)))
    # each such visit with its nearest orders that are no purchase; each of those orders
    # voids the visit nearest to it
    claims = near.filter(near.n_void).join(d, [near.e_session == d.l_session, near.far == d.undone])
    first = ibis.window(
        group_by=claims.n_id, order_by=[claims.far, claims.e_first, claims.e_session]
    )
    claims = claims.mutate(rank=ibis.row_number().over(first))
    return claims.filter(claims.rank == 0).select(p_session="e_session").distinct()


def _session_features(sess: ir.Table, spec: FeatureSpec, terms: ir.Table) -> ir.Table:
    """Per subject: the visit counts and shares, with the per-visit search-term counts
    (``terms``, from :func:`_visit_terms`) summed in the same grouping."""
    vt = terms.rename(t_session="session_id")
    sess = sess.left_join(vt, sess.session_id == vt.t_session).drop("t_session")
    from_search = _lower_in(sess.medium, spec.search_media).fill_null(False)
    from_campaign = _lower_in(sess.medium, spec.campaign_media).fill_null(False)
    bought = sess.bought
    minutes = (sess.end.epoch_seconds() - sess.start.epoch_seconds()).cast("float64") / 60.0
    to_buy = (sess.bought_at.epoch_seconds() - sess.start.epoch_seconds()).cast("float64") / 60.0
    focused = bought & (sess.viewed_products <= spec.focused_products)
    # a named campaign counts unless the visit came from a search engine: a paid-search ad
    # names its campaign too, and its buyer searched for the product (the need-based sign)
    campaign_buy = bought & (from_campaign | (sess.campaign.notnull() & ~from_search))
    searched = bought & (sess.product_terms > 0)
    return sess.group_by("subject_id").aggregate(
        visits=sess.session_id.count(),
        pages=sess.pages.sum(),
        product_views=sess.product_views.sum(),
        avg_visit_minutes=minutes.mean(),
        search_visits=from_search.cast("int64").sum(),
        campaign_visits=from_campaign.cast("int64").sum(),
        cart_visits=sess.carted.cast("int64").sum(),
        abandoned_carts=(sess.carted & ~bought).cast("int64").sum(),
        purchase_visits=bought.cast("int64").sum(),
        focused_purchases=focused.cast("int64").sum(),
        campaign_purchases=campaign_buy.cast("int64").sum(),
        minutes_to_purchase=to_buy.mean(where=bought),
        last_visit=sess.end.max(),
        first_visitor=sess.visitor_id.min(),
        search_terms=sess.search_terms.sum(),
        product_terms=sess.product_terms.sum(),
        brand_terms=sess.brand_terms.sum(),
        searched_purchases=searched.fill_null(False).cast("int64").sum(),
        search_matched_purchases=(searched & sess.search_matched)
        .fill_null(False)
        .cast("int64")
        .sum(),
    )


def _visit_terms(
    src: TableSource,
    at: ir.TimestampScalar,
    sess: ir.Table,
    spec: FeatureSpec,
    placed: ir.Table,
    restrict: bool = False,
) -> ir.Table:
    """Per visit with search terms: how many, how many name a product or the brand, and
    whether a product bought or carted in the visit matches a searched product term.

    A term names a product when one of its words is in at most ``distinctive_products``
    product names and is no category word in either number, nor a brand or stop word, and
    none of its words is informational ("how", "best", "vs" …). Brand-only terms do not count.
    The counts stay per visit and join the visit table, so the millions of (visit, term) rows
    never carry a subject id and need no grouping of their own. ``restrict``: keep only the
    search events of the visits in ``sess`` (when it holds one part of the visits).
    ``placed``: the orders placed in visits (:func:`_order_visits`), whose products a visit
    bought too.
    """
    search_names = list(spec.events["search"])
    from_search = _lower_in(sess.medium, spec.search_media).fill_null(False)
    t1 = sess.filter(from_search & sess.term.notnull()).select("session_id", "term")
    t2 = _events(
        src, at, lambda e: e.event_name.lower().isin(search_names) & e.search_term.notnull()
    ).select("session_id", term=lambda e: _strip(_lower(e.search_term)))
    if restrict:
        mine = sess.select(w_session="session_id")
        t2 = t2.semi_join(mine, t2.session_id == mine.w_session)
    # blank terms, from either source, are dropped once after the merge
    terms = t1.union(t2).distinct()
    terms = terms.filter(terms.term != "")

    products = src.table("products")
    # words that pick out a product: in at most ``distinctive_products`` product names, not a
    # category word in either number (with the category "tents", "tent" and "tents" name a
    # kind of thing, however few tents there are; "stormproof" or "45l" a product) nor a stop
    # word (:data:`~shopperlens.words.STOP_WORDS`); the keyword table reads the same words
    # (:class:`~shopperlens.playbooks.traffic.KeywordClassifier`)
    pwords = products.select("product_id", w=_words(products.product_name.fill_null("")))
    pwords = pwords.filter(pwords.w.length() >= 3).distinct()
    cat_words = products.select(w=_words(products.category.fill_null("")))
    cat_words = cat_words.filter((cat_words.w != "") & ~cat_words.w.isin(sorted(STOP_WORDS)))
    kinds = cat_words.select(k=_kind(cat_words.w)).distinct()
    vocab = pwords.group_by("w").aggregate(n=pwords.product_id.nunique())
    vocab = vocab.filter(vocab.n <= spec.distinctive_products).select("w")
    vocab = vocab.mutate(k=_kind(vocab.w))
    vocab = vocab.anti_join(kinds, vocab.k == kinds.k).select("w")
    blocked = set(spec.informational_words) | set(spec.brand_words) | STOP_WORDS
    vocab = vocab.filter(~vocab.w.isin(sorted(blocked)))
    info = list(spec.informational_words) or ["\u0000"]
    tw = terms.select("term").distinct().select("term", w=_words(ibis._.term))
    tw = tw.left_join(vocab, tw.w == vocab.w).select("term", w=tw.w, in_vocab=vocab.w.notnull())
    brand = list(spec.brand_words) or ["\u0000"]
    term_kind = tw.group_by("term").aggregate(
        has_product=tw.in_vocab.any(),
        has_info=tw.w.isin(info).any(),
        is_brand=tw.w.isin(brand).any(),
    )
    term_kind = term_kind.select(
        k_term="term", is_brand="is_brand", is_product=term_kind.has_product & ~term_kind.has_info
    )
    tk = terms.left_join(term_kind, terms.term == term_kind.k_term)
    tk = tk.select(
        "session_id",
        "term",
        is_product=tk.is_product.fill_null(False),
        is_brand=tk.is_brand.fill_null(False),
    )
    per_visit = tk.group_by("session_id").aggregate(
        search_terms=tk.term.count(),
        product_terms=tk.is_product.cast("int64").sum(),
        brand_terms=tk.is_brand.cast("int64").sum(),
    )

    # buying visits with a product search term, and those that bought the product a term names
    # ("bought the product searched for"). Only those visits are expanded into words, so the
    # cost follows searched purchases, not all carts.
    buying = sess.filter(sess.bought).select(b_session="session_id")
    searched = per_visit.filter(per_visit.product_terms > 0).select("session_id")
    searched = searched.semi_join(buying, searched.session_id == buying.b_session)
    bought = _bought_products(src, at, spec, searched, placed)
    # a term's catalogue words: those found in some product's name or category (words such as
    # "for" or "cheap" name nothing); a bought product matches when its own name and category
    # hold more than half of them. One shared word was a match: "trail running shoe" matched
    # the Trail Mix Bar bought after it.
    cwords = products.select("product_id", w=_words(products.product_name.fill_null(""))).union(
        products.select("product_id", w=_words(products.category.fill_null("")))
    )
    cwords = cwords.filter(cwords.w.length() >= 3).distinct()
    catalogue = cwords.select(c_w="w").distinct()
    catalogue = catalogue.filter(~catalogue.c_w.isin(sorted(blocked))) if blocked else catalogue
    product_kinds = term_kind.filter(term_kind.is_product).select(p_term="k_term")
    st = terms.join(product_kinds, terms.term == product_kinds.p_term)
    st = st.semi_join(searched, "session_id").select("session_id", "term")
    tws = tw.select(s_term="term", w="w").distinct()
    tws = tws.semi_join(catalogue, tws.w == catalogue.c_w)
    n_words = tws.group_by("s_term").aggregate(n_words=tws.w.count())
    twords = st.join(tws, st.term == tws.s_term).select("session_id", "term", "w")
    tb = twords.join(bought, twords.session_id == bought.b_session).select(
        "session_id", "term", "w", "b_product"
    )
    hits = tb.semi_join(cwords, [tb.b_product == cwords.product_id, tb.w == cwords.w])
    hits = hits.group_by("session_id", "term", "b_product").aggregate(n_hit=hits.w.count())
    hits = hits.join(n_words, hits.term == n_words.s_term)
    matched = hits.filter(hits.n_hit * 2 > hits.n_words).select(mt_session="session_id").distinct()
    out = per_visit.left_join(matched, per_visit.session_id == matched.mt_session)
    return out.select(
        "session_id",
        "search_terms",
        "product_terms",
        "brand_terms",
        search_matched=matched.mt_session.notnull(),
    )


def _bought_products(
    src: TableSource,
    at: ir.TimestampScalar,
    spec: FeatureSpec,
    visits: ir.Table,
    placed: ir.Table,
) -> ir.Table:
    """``(b_session, b_product)``: the products each of ``visits`` (column ``session_id``)
    bought — named by a purchase event, put in the cart more often than taken out again, or
    on an order placed in the visit (``placed``, :func:`_order_visits`). Purchase events often
    name no product (the cart says what was bought), and a product carted and then removed
    before paying counted as bought."""
    ev_names = spec.events
    names = [*ev_names["purchase"], *ev_names["cart"], *ev_names.get("cart_remove", ())]
    e = _events(src, at, lambda e: e.event_name.lower().isin(names) & e.product_id.notnull())
    e = e.semi_join(visits, e.session_id == visits.session_id)
    name = e.event_name.lower()
    per = e.group_by(b_session=e.session_id, b_product=e.product_id).aggregate(
        paid=name.isin(list(ev_names["purchase"])).any(),
        added=name.isin(list(ev_names["cart"])).cast("int64").sum(),
        removed=name.isin(list(ev_names.get("cart_remove", ())) or ["\u0000"]).cast("int64").sum(),
    )
    tracked = per.filter(per.paid | (per.added > per.removed)).select(
        b_session=per.b_session.cast("string"), b_product=per.b_product.cast("string")
    )
    mine = placed.semi_join(visits, placed.p_session == visits.session_id)
    lines = product_lines(src)
    ordered = mine.join(lines, mine.p_order == lines.order_id).select(
        b_session=mine.p_session.cast("string"), b_product=lines.product_id.cast("string")
    )
    return tracked.union(ordered.filter(ordered.b_product.notnull()))


def _purchases(src: TableSource, as_of: ir.TimestampScalar, part: Part | None) -> ir.Table:
    """Orders before ``as_of`` that are purchases (status not in :data:`EXCLUDED_STATUSES`,
    any case; no status is a purchase), of a known customer (of ``part`` when given)."""
    o = src.table("orders")
    bought = ~_no_purchase(o.status)
    return o.filter(
        (o.ordered_at < as_of) & o.customer_id.notnull() & bought & _in_part(o.customer_id, part)
    )


def _no_purchase(status: ir.StringColumn) -> ir.BooleanColumn:
    """An order whose status says it is no purchase (:data:`EXCLUDED_STATUSES`, any case; no
    status is a purchase)."""
    return status.lower().fill_null("").isin(list(EXCLUDED_STATUSES))


def _order_end(at: ir.TimestampColumn) -> ir.TimestampColumn:
    """When an order placed ``at`` ended: an order given by its day only (at exactly
    midnight) stands for the whole day."""
    return ibis.ifelse(at == at.truncate("D"), at + ibis.interval(days=1), at)


def _order_features(
    src: TableSource, as_of: ir.TimestampScalar, part: Part | None = None
) -> tuple[ir.Table, ir.Table]:
    """Per-customer order features, and per-customer first purchase in each category (only
    the customers of ``part`` when given). Only purchases count (see :func:`_purchases`).
    An order's value is every line it charged; its items and categories are its merchandise
    only (:func:`~shopperlens.merchandise.product_lines`): postage is no item of the basket nor
    a category first bought."""
    o = _purchases(src, as_of, part)
    lines = src.table("order_lines")
    if part is not None:
        mine = o.select(p_order="order_id")
        lines = lines.semi_join(mine, lines.order_id == mine.p_order)
    # each line marked by a join with the (few, mostly no) products that are no merchandise,
    # so the order totals still come from one pass over the lines: value of every line, items
    # of the merchandise; only the categories need the products table (a line's own category
    # wins), so the joined lines are read once and never stored
    other = not_merchandise(src)
    marked = lines.left_join(other, lines.product_id == other.nm_id)
    goods = marked.nm_id.isnull()
    per_order = marked.group_by("order_id").aggregate(
        items=marked.quantity.cast("int64").sum(where=goods),
        value=(marked.quantity.cast("float64") * marked.unit_price).sum(),
        line_disc=marked.discount_code.nullif("").notnull().any(),
    )
    kept = marked.filter(goods)
    prod = src.table("products").select(p_id=ibis._.product_id, p_cat=ibis._.category)
    lj = kept.left_join(prod, kept.product_id == prod.p_id)
    cl = lj.select(
        order_id=lj.order_id,
        category=ibis.coalesce(lj.category.nullif(""), lj.p_cat.nullif("")),
    )
    oj = o.left_join(per_order, o.order_id == per_order.order_id)
    oo = oj.select(
        customer_id=oj.customer_id,
        order_id=oj.order_id,
        ordered_at=oj.ordered_at,
        items=oj.items.fill_null(0),
        value=oj.value.fill_null(0.0),
        discounted=oj.discount_code.nullif("").notnull() | oj.line_disc.fill_null(False),
    )
    # the days a customer ordered on and the gaps between them: a second order the same day
    # is the same shopping trip (an item forgotten), as CLV, the loyalty analysis and the
    # front page count it; four orders of one afternoon read "loyal, about every 0 days".
    # Over the orders in time order, a day's later orders have a gap of 0 days between days.
    w = ibis.window(group_by="customer_id", order_by="ordered_at")
    day = oo.ordered_at.truncate("D")
    oo = oo.mutate(gap=_days(day, day.lag().over(w)))
    later_day = oo.gap > 0
    per_customer = oo.group_by("customer_id").aggregate(
        orders=oo.order_id.count(),
        order_days=later_day.fill_null(False).cast("int64").sum() + 1,
        first_order=oo.ordered_at.min(),
        last_order=oo.ordered_at.max(),
        items=oo.items.sum(),
        monetary=oo.value.sum(),
        items_per_order=oo.items.mean(),
        discount_orders=oo.discounted.cast("int64").sum(),
        mean_gap_days=oo.gap.mean(where=later_day),
        gap_sd=oo.gap.std(where=later_day),
    )
    # each (order, category) once: when the customer first bought in each category, and in
    # how many orders (their sum over categories, per order, is categories per order)
    cl = cl.filter(cl.category.notnull()).distinct()
    oc = o.select(c_order="order_id", c_customer="customer_id", c_at="ordered_at")
    cl = cl.join(oc, cl.order_id == oc.c_order)
    cat_first = cl.group_by([cl.c_customer.name("customer_id"), cl.category]).aggregate(
        cat_first=cl.c_at.min(), cat_orders=cl.c_order.count()
    )
    return per_customer, cat_first


def _new_category(cat_first: ir.Table) -> ir.Table:
    """Per customer: categories bought, (order, category) pairs, and the latest date the
    customer first bought in some category (with that category; the alphabetically first of
    ties). That date is a *new* category when it falls after the customer's first order, which
    the caller checks: the latest first purchase in any category is the latest in a category
    never bought before whenever one exists, so no per-row comparison is needed here.
    """
    per = cat_first.group_by("customer_id").aggregate(
        categories=cat_first.category.count(),
        order_categories=cat_first.cat_orders.sum(),
        latest_category_at=cat_first.cat_first.max(),
    )
    latest = per.select(n_customer="customer_id", n_at="latest_category_at")
    named = cat_first.join(
        latest, [cat_first.customer_id == latest.n_customer, cat_first.cat_first == latest.n_at]
    )
    named = named.group_by(n_customer=named.customer_id).aggregate(
        latest_category=named.category.min()
    )
    return per.left_join(named, per.customer_id == named.n_customer).drop("n_customer")


def _count_before(t: ir.Table, ts: str, as_of: Any, alias: str, part: Part | None) -> ir.Table:
    t = t.filter((t[ts] < as_of) & t.customer_id.notnull() & _in_part(t.customer_id, part))
    return t.group_by("customer_id").aggregate(**{alias: t.customer_id.count()})


def _returns(src: TableSource) -> ir.Table:
    """Returns with their customer: their own ``customer_id``, else their order's customer.

    A returns file needs only ``return_id`` and ``returned_at``; a return naming its order but
    no customer belongs to the customer of that order. Only those returns meet the orders
    table, so a file that names its customers costs no join.
    """
    r = src.table("returns")
    # one column type on both sides of the union (a join may change a column's nullability)
    r = r.select(customer_id=r.customer_id.nullif(""), returned_at=r.returned_at.cast("timestamp"))
    named = r.filter(r.customer_id.notnull())
    o = src.table("orders").select(o_order="order_id", o_customer="customer_id")
    unnamed = src.table("returns")
    unnamed = unnamed.filter(unnamed.customer_id.nullif("").isnull() & unnamed.order_id.notnull())
    j = unnamed.join(o, unnamed.order_id == o.o_order)
    by_order = j.select(customer_id=j.o_customer, returned_at=j.returned_at.cast("timestamp"))
    return named.union(by_order)


def _customers_known(src: TableSource, at: ir.TimestampScalar, part: Part | None) -> ir.Table:
    """Customers that existed before ``at``: created before it, or, with no ``created_at``,
    not first seen on or after it.

    A customers file without ``created_at`` says nothing of when a customer appeared; counting
    such customers in every run made a customer whose first order came in May "untyped, no
    visits or orders yet" as of March (and "unseen" when the orders file came first, which
    dates the customer from the first order). Such a customer now exists from their first
    order or event: one with activity before ``at`` joins the run through it, one whose
    activity all lies later is left out, and one with no activity at all is listed.
    """
    c = src.table("customers")
    c = c.filter(_in_part(c.customer_id, part))
    dated = c.filter(c.created_at < at).select("customer_id")
    undated = c.filter(c.created_at.isnull()).select("customer_id")
    o = src.table("orders")
    later_orders = o.filter((o.ordered_at >= at) & o.customer_id.notnull()).select(
        l_customer=o.customer_id
    )
    e = src.table("events")
    later_events = e.filter((e.timestamp >= at) & e.customer_id.notnull()).select(
        l_customer=e.customer_id
    )
    for later in (later_orders, later_events):
        undated = undated.anti_join(later, undated.customer_id == later.l_customer)
    # one column type on both sides of the union (a join may change a column's nullability)
    return dated.select(customer_id=dated.customer_id.cast("string")).union(
        undated.select(customer_id=undated.customer_id.cast("string"))
    )


def visit_rows(src: TableSource, *, as_of: datetime, spec: FeatureSpec | None = None) -> ir.Table:
    """The visits before ``as_of`` as their events tell them, before the orders are paired
    with them (:func:`session_table` finishes them). The pairing reads them several times;
    computed once first, the engine does not group the events again for each read (inlined,
    the visit table took 3.3 s instead of 2.0 s on the benchmark's ×0.3 shop)."""
    at = ibis.literal(as_of, type="timestamp")
    return _visit_rows(src, at, spec or FeatureSpec())


def order_visits(
    src: TableSource, *, as_of: datetime, rows: ir.Table, spec: FeatureSpec | None = None
) -> ir.Table:
    """The visits among ``rows`` (:func:`visit_rows`) in which an order no purchase event
    stands for was placed: a small table, which :func:`session_table` joins to the rows."""
    at = ibis.literal(as_of, type="timestamp")
    return _order_visits(src, at, spec or FeatureSpec(), rows)


def session_table(
    src: TableSource,
    *,
    as_of: datetime,
    spec: FeatureSpec | None = None,
    rows: ir.Table | None = None,
    placed: ir.Table | None = None,
) -> ir.Table:
    """One row per visit before ``as_of``, with its subject and what happened in it.

    A visit belongs to the customer any of its events names, else to the customer the
    ``identities`` table links its visitor to when that link was known before ``as_of``, else
    to the anonymous visitor (its subject is resolved once per visit, not once per event).

    A visit bought when one of its events is a purchase, or when an order no purchase event
    stands for was placed in it (:func:`order_visits`): many trackers miss purchases (a
    checkout hosted elsewhere, an ad blocker, a web-analytics export without e-commerce
    events), and the order itself says the visit bought.

    ``rows``: the :func:`visit_rows` of the same ``as_of`` and ``spec``, already computed;
    ``placed``: their :func:`order_visits`, already computed."""
    at = ibis.literal(as_of, type="timestamp")
    spec = spec or FeatureSpec()
    rows = _visit_rows(src, at, spec) if rows is None else rows
    return _bought_visits(src, at, spec, rows, placed)


def by_subject(visits: ir.Table) -> ir.Table:
    """The visit table ordered by a hash of its subject, to be stored that way: each
    subject's visits then lie next to each other.

    The features group the visits by subject, and an engine's hash grouping over visits in
    random order looks up a different group at nearly every row; at 6.25M visits of 1.5M
    subjects the groups no longer fit the cache, and that grouping was the costliest step of
    the features (2.3× the next). Read in subject order it took a third of the time, and the
    features of the benchmark's 1M-customer shop took 25.5 s instead of 27.1–28.6 s, sort
    included (at a third of that size it is even). The engine's own hash sorts faster than
    the text of the ids; any order that keeps a subject's visits together would do.
    """
    return visits.order_by(_engine_hash(visits.subject_id))


@contextmanager
def computed_features(
    src: TableSource,
    *,
    as_of: datetime,
    spec: FeatureSpec | None = None,
    parts: int = 1,
    on_step: Callable[[str], Any] | None = None,
) -> Iterator[list[ir.Table]]:
    """:func:`behaviour_features` over a visit table computed once, for the ``with`` block.

    Several parts of the features read the visit table (visit counts and the first visitor id,
    search terms, searched purchases); left to the engine, each recomputes it from the events,
    the largest table. Computing it once first (Ibis ``cache``: a temporary table on DuckDB, a
    persisted frame on Spark) takes a quarter off the features' time. The backend of ``src``
    must be the connection that executes the result: DuckDB's temporary tables are
    per-connection. The visit table is dropped when the block ends. (For a single part on
    DuckDB the service uses ``service.feature_sql.features_frame`` instead, which compiles the
    features while the visit table is built.)

    Yields one expression per part of the subjects: with ``parts`` above 1 (a DuckDB backend),
    the visits' rows are grouped from the events one part of the sessions at a time (the orders
    are then paired with all of them in one step, over the visit rows only) and the features
    one part of the subjects at a time, so each grouping of events holds a fraction of the shop
    in memory instead of spilling all of it to disk. Together the parts hold every subject
    once. ``on_step`` is told before each part of the visit table is computed.
    """
    step = on_step or (lambda _: None)
    if parts <= 1:
        step("visits")
        rows = visit_rows(src, as_of=as_of, spec=spec).cache()
        placed = order_visits(src, as_of=as_of, spec=spec, rows=rows).cache()
        try:
            sessions = session_table(src, as_of=as_of, spec=spec, rows=rows, placed=placed)
            sessions = sessions.cache()
            try:
                yield [
                    behaviour_features(
                        src, as_of=as_of, spec=spec, sessions=sessions, placed=placed
                    )
                ]
            finally:
                sessions.release()
        finally:
            placed.release()
            rows.release()
        return
    backend: Any = src
    spec = spec or FeatureSpec()
    at = ibis.literal(as_of, type="timestamp")
    name = f"_sl_visits_{uuid.uuid4().hex[:12]}"
    rows, placed = f"{name}_rows", f"{name}_placed"
    step(f"visits: part 1 of {parts}")
    backend.create_table(rows, obj=_visit_rows(src, at, spec, part=(0, parts)), temp=True)
    try:
        for k in range(1, parts):
            step(f"visits: part {k + 1} of {parts}")
            backend.insert(rows, obj=_visit_rows(src, at, spec, part=(k, parts)))
        # the orders are paired with the visits of all parts at once: a customer's visits
        # lie in every part, and an order's purchase event may be in another than its visit
        pairs = order_visits(src, as_of=as_of, spec=spec, rows=backend.table(rows))
        backend.create_table(placed, obj=pairs, temp=True)
        visits = session_table(
            src, as_of=as_of, spec=spec, rows=backend.table(rows), placed=backend.table(placed)
        )
        backend.create_table(name, obj=visits, temp=True)
        backend.drop_table(rows, force=True)
        sessions = backend.table(name)
        yield [
            behaviour_features(
                src,
                as_of=as_of,
                spec=spec,
                sessions=sessions,
                placed=backend.table(placed),
                part=(k, parts),
            )
            for k in range(parts)
        ]
    finally:
        for table in (rows, placed, name):
            backend.drop_table(table, force=True)


def behaviour_features(
    src: TableSource,
    *,
    as_of: datetime,
    spec: FeatureSpec | None = None,
    sessions: ir.Table | None = None,
    placed: ir.Table | None = None,
    part: Part | None = None,
) -> ir.Table:
    """One row per subject (customer or anonymous visitor) with every behavioural feature.

    Parameters
    ----------
    src
        Where the canonical tables come from: a :class:`~shopperlens.store.Store` (DuckDB) or
        a Spark source from :func:`shopperlens.store.spark.spark_source`.
    as_of
        Only events, orders, tickets and returns strictly before this moment count; recency
        and tenure are measured to it.
    spec
        Channel and event vocabularies (:class:`FeatureSpec`).
    sessions, placed
        The visit table (:func:`session_table`) and the orders placed in its visits
        (:func:`order_visits`) when already computed, both or neither; see
        :func:`computed_features`.
    part
        ``(k, n)``: only the subjects in the k-th of n disjoint parts (by a hash of
        ``subject_id``; a customer's subject id is their customer id).

    Returns an Ibis table with ``subject_id, customer_id, visitor_id`` and
    :data:`FEATURE_COLUMNS`; execute it on whichever backend ``src`` belongs to.
    """
    spec = spec or FeatureSpec()
    at = ibis.literal(as_of, type="timestamp")
    if (sessions is None) != (placed is None):
        raise ValueError("give the visit table and the orders placed in it together, or neither")
    if sessions is None or placed is None:
        rows = _visit_rows(src, at, spec)
        placed = _order_visits(src, at, spec, rows)
        sessions = _bought_visits(src, at, spec, rows, placed)
    sess = sessions
    if part is not None:
        sess = sess.filter(_in_part(sess.subject_id, part))
    terms = _visit_terms(src, at, sess, spec, placed, restrict=part is not None)
    sf = _session_features(sess, spec, terms)
    of, cat_first = _order_features(src, at, part)
    nc = _new_category(cat_first)
    tickets = _count_before(src.table("tickets"), "created_at", at, "tickets", part)
    returns = _count_before(_returns(src), "returned_at", at, "returns", part)

    cust = _customers_known(src, at, part)
    spine = (
        sf.select(subject_id=sf.subject_id.cast("string"))
        .union(of.select(subject_id=of.customer_id.cast("string")))
        .union(cust.select(subject_id=cust.customer_id.cast("string")))
        .distinct()
    )
    is_visitor = spine.subject_id.startswith("visitor:")
    t = spine.select(
        "subject_id",
        customer_id=ibis.ifelse(is_visitor, ibis.null("string"), spine.subject_id),
    )
    for side, key in (
        (sf, "subject_id"),
        (of, "customer_id"),
        (nc, "customer_id"),
        (tickets, "customer_id"),
        (returns, "customer_id"),
    ):
        right = side.rename({f"r_{key}": key})
        t = t.left_join(right, t.subject_id == right[f"r_{key}"]).drop(f"r_{key}")

    zero = ("visits", "pages", "product_views", "search_visits", "campaign_visits",
            "cart_visits", "abandoned_carts", "purchase_visits", "focused_purchases",
            "campaign_purchases", "search_terms", "product_terms", "brand_terms",
            "searched_purchases", "search_matched_purchases", "orders", "order_days",
            "items", "discount_orders", "categories", "tickets", "returns")  # fmt: skip
    # "!int64": an explicit CAST, so DuckDB returns BIGINT rather than HUGEINT sums
    t = t.mutate(**{c: t[c].fill_null(0).cast("!int64") for c in zero})
    t = t.mutate(monetary=t.monetary.fill_null(0.0))
    is_new = t.latest_category_at > t.first_order
    t = t.mutate(
        new_category_at=ibis.ifelse(is_new, t.latest_category_at, ibis.null("timestamp")),
        new_category=ibis.ifelse(is_new, t.latest_category, ibis.null("string")),
    )
    t = t.mutate(
        visitor_id=t.first_visitor,
        pages_per_visit=_ratio(t.pages, t.visits),
        product_views_per_visit=_ratio(t.product_views, t.visits),
        search_visit_share=_ratio(t.search_visits, t.visits),
        campaign_visit_share=_ratio(t.campaign_visits, t.visits),
        product_term_share=_ratio(t.product_terms, t.search_terms),
        brand_term_share=_ratio(t.brand_terms, t.search_terms),
        focused_purchase_share=_ratio(t.focused_purchases, t.purchase_visits),
        campaign_purchase_share=_ratio(t.campaign_purchases, t.purchase_visits),
        search_match_share=_ratio(t.search_matched_purchases, t.searched_purchases),
        avg_order_value=_ratio(t.monetary, t.orders),
        categories_per_order=_ratio(t.order_categories.fill_null(0), t.orders),
        discount_order_share=_ratio(t.discount_orders, t.orders),
        gap_cv=t.gap_sd / t.mean_gap_days.nullif(0.0),
        recency_days=_days(at, t.last_order),
        tenure_days=_days(at, t.first_order),
        days_since_new_category=_days(at, t.new_category_at),
        tickets_per_order=_ratio(t.tickets, t.orders),
        returns_per_order=_ratio(t.returns, t.orders),
        days_since_last_visit=_days(at, t.last_visit),
    )
    return t.select("subject_id", "customer_id", "visitor_id", *FEATURE_COLUMNS).order_by(
        "subject_id"
    )


def default_as_of(src: TableSource) -> datetime:
    """The day after the newest order or event: "now" for a shop's exported history; today's
    midnight in UTC, the basis of every stored time, for a shop with neither (the machine's
    local day was a day off from the stored times for hours around midnight)."""
    o = src.table("orders").ordered_at.max().execute()
    e = src.table("events").timestamp.max().execute()
    latest = max((x for x in (o, e) if x is not None and x == x), default=None)
    if latest is None:
        return datetime.now(UTC).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    latest = latest.to_pydatetime() if hasattr(latest, "to_pydatetime") else latest
    day = latest.replace(hour=0, minute=0, second=0, microsecond=0)
    from datetime import timedelta

    return day + timedelta(days=1)
