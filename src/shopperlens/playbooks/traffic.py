"""Where customers come from: traffic sources, search keywords and the intent behind each.

Keyword intent (rules, in this order, on the lower-cased query's words):

1. **informational** — a question or research word (``how``, ``what``, ``best``, ``review``,
   ``vs`` …): the searcher is learning, not yet buying (content and guides serve them);
2. **product** — the query names a product of the catalogue: one of its words is found in
   at most ``distinctive_products`` (2) product names and is no category word, in the
   singular or the plural (with categories "tents" and "jackets", "tent" and "jacket" name
   no product however few tents and jackets the shop sells) — the very rule by which the
   customer types count "search terms naming a product"
   (:mod:`shopperlens.features.behaviour`); these searchers know what they want (the
   need-based type);
3. **category** — the query names a kind of thing the shop sells (a category's word, read
   without its trailing "s": "sleeping bag", "tents", "tent"), not one product;
4. **brand** — the query contains the shop's brand;
5. **generic** — anything else.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd

from shopperlens.playbooks.checkout import given_by_day
from shopperlens.playbooks.visits import (
    FUNNEL_STEPS,
    Visits,
    among,
    until_first_order,
    visits_of,
)
from shopperlens.statuses import ORDER_SESSION_GAP_MINUTES, PURCHASE_ORDER_GAP_HOURS
from shopperlens.words import STOP_WORDS, lower

__all__ = [
    "INFORMATIONAL_WORDS",
    "ORDER_SESSION_GAP",
    "PURCHASE_ORDER_GAP",
    "acquisition_table",
    "guess_brand_words",
    "KeywordClassifier",
    "classify_keyword",
    "keyword_table",
    "sessions_and_orders",
    "sessions_from_events",
    "source_table",
]

INFORMATIONAL_WORDS: frozenset[str] = frozenset(
    [
        "how",
        "what",
        "why",
        "which",
        "where",
        "when",
        "who",
        "best",
        "review",
        "reviews",
        "vs",
        "versus",
        "guide",
        "ideas",
        "tips",
        "compare",
        "comparison",
        "top",
        "difference",
        "should",
        "does",
        "is",
        "are",
        "tutorial",
    ]
)
_STOP = STOP_WORDS
#: a word: letters and digits of any script, as the customer types read search terms
_WORD = re.compile(r"[^\W_]+")
_PURCHASE = FUNNEL_STEPS["purchase"]


def _words(text: str) -> list[str]:
    return _WORD.findall(lower(str(text)))


def _kind(word: str) -> str:
    """``word`` without the "s" it ends in: "tents" and "tent" are one kind of thing.

    Crude on purpose (every final "s" goes: "glass" gives "gla", "glasses" "glasse"), and the
    same on both sides of every comparison; the customer types read words the same way
    (``features.behaviour._kind``), so the keyword table and the types agree on every word.
    """
    return word.rstrip("s")


class KeywordClassifier:
    """Intent rules built once from the catalogue's product names, categories and the brand."""

    def __init__(
        self,
        product_names: Iterable[str] = (),
        categories: Iterable[str] = (),
        brand_words: Iterable[str] = (),
        informational_words: Iterable[str] = INFORMATIONAL_WORDS,
        distinctive_products: int = 2,
    ) -> None:
        self.brand = {w for b in brand_words for w in _words(b)}
        self.info = set(informational_words)
        self.categories = {w for c in categories for w in _words(c)} - _STOP
        self.kinds = {_kind(w) for w in self.categories}
        named = [set(_words(n)) for n in product_names if str(n).strip()]
        self.products = [name - _STOP - self.brand for name in named]
        # the words that pick out a product, as the customer types read them: long enough,
        # in at most ``distinctive_products`` names, and no question, brand or stop word nor a
        # category word in either number (a shop with two tents in "tents": "tent" is a kind)
        counts = Counter(w for name in named for w in name if len(w) >= 3)
        blocked = self.info | self.brand | _STOP
        self.vocabulary = {
            w
            for w, n in counts.items()
            if n <= distinctive_products and w not in blocked and _kind(w) not in self.kinds
        }

    def __call__(self, query: str | None) -> str:
        if query is None or not str(query).strip():
            return "none"
        words = set(_words(query))
        if words & self.info:
            return "informational"
        if words & self.vocabulary:
            return "product"
        if {_kind(w) for w in words} & self.kinds:
            return "category"
        if words & self.brand:
            return "brand"
        return "generic"


def guess_brand_words(
    keywords: pd.Series, visits: pd.Series, classify: KeywordClassifier, min_share: float = 0.1
) -> tuple[str, ...]:
    """The shop's brand when none is configured: the word that names no product or category,
    appears in at least two different non-question keywords and in at least ``min_share`` of
    keyword visits (brand searches are the top query of almost every shop); else nothing."""
    known = set().union(*classify.products, classify.categories, classify.info, _STOP)
    counts: dict[str, float] = {}
    variants: dict[str, int] = {}
    for kw, n in zip(keywords, visits, strict=True):
        if classify(kw) == "informational":
            continue
        for w in set(_words(kw)) - known:
            # "tent" in a shop of "tents" is a kind of thing it sells, not its brand
            if len(w) >= 4 and not w.isdigit() and _kind(w) not in classify.kinds:
                counts[w] = counts.get(w, 0.0) + float(n)
                variants[w] = variants.get(w, 0) + 1
    total = float(visits.sum())
    counts = {w: n for w, n in counts.items() if variants[w] >= 2}
    if not counts or total <= 0:
        return ()
    word, n = max(counts.items(), key=lambda kv: kv[1])
    return (word,) if n / total >= min_share else ()


def classify_keyword(
    query: str | None,
    product_names: Iterable[str] = (),
    brand_words: Iterable[str] = (),
    categories: Iterable[str] = (),
) -> str:
    """Intent of one search query: informational, product, category, brand, generic (or none)."""
    return KeywordClassifier(product_names, categories, brand_words)(query)


#: a purchase event and its order are at most this far apart
#: (:data:`~shopperlens.statuses.PURCHASE_ORDER_GAP_HOURS`)
PURCHASE_ORDER_GAP = pd.Timedelta(hours=PURCHASE_ORDER_GAP_HOURS)
#: how far from an order's stored time a purchase event is looked for: a day more than
#: :data:`PURCHASE_ORDER_GAP`, as an order given by its day only stands for the whole day
#: after its midnight (see :func:`_gap`, which then decides)
_SEARCH = 2 * PURCHASE_ORDER_GAP
#: an order no purchase event stands for came from the customer's session it was placed in:
#: from its start to this long after its last event
#: (:data:`~shopperlens.statuses.ORDER_SESSION_GAP_MINUTES`)
ORDER_SESSION_GAP = pd.Timedelta(minutes=ORDER_SESSION_GAP_MINUTES)


#: the event columns :func:`sessions_and_orders` reads
#: what a sessions row says of where it came from (:class:`~shopperlens.playbooks.visits.Visits`)
_SOURCE_COLUMNS = ("visitor_id", "customer_id", "started_at", "source", "medium", "campaign",
                   "keyword", "search_term")  # fmt: skip


def sessions_from_events(
    events: pd.DataFrame | Visits, orders: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per session (:func:`sessions_and_orders` without the orders' sessions)."""
    return sessions_and_orders(events, orders)[0]


def sessions_and_orders(
    events: pd.DataFrame | Visits, orders: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per session: its source/medium/campaign, keyword, purchase and revenue.

    The keyword is the ad/search ``utm_term`` when set, else the session's first on-site
    ``search_term``.

    Revenue comes from the orders when ``orders`` (``order_id, customer_id, ordered_at,
    value``, optionally ``bought``: False for an order that is no purchase, cancelled or
    refunded) are given: each purchase event of a session with a known customer is paired
    with that customer's order nearest in time, at most :data:`PURCHASE_ORDER_GAP` away (each
    order once). An event paired with an order that is no purchase is none either, and an
    unpaired event of a customer whose order within the gap another event took is a repeat
    (a reloaded thank-you page), not a second purchase. An order no purchase event stands for
    (a shop whose events hold no purchases) belongs to the customer's session it was placed in
    (:func:`_sessions_of_orders`) and makes that session a purchase. A purchasing session
    without an order has the ``value`` of its purchase events. Revenue is NaN (unknown, not 0)
    when neither is known (an order's ``value`` may be NaN: an amount in another currency),
    and for every session when the shop has neither orders nor purchase events; a session
    that bought nothing has 0.

    The second frame, ``order_id, session_id``, says which session each bought order came
    from, as the pairing above decided it (empty without orders): an order's campaign is its
    session's, and an order no session led to has none.
    """
    v = visits_of(events)
    s = v.sessions
    out = s[["session_id", *_SOURCE_COLUMNS]].reset_index(drop=True)
    ended = s.set_index("session_id").ended_at
    out["source"] = out.source.fillna("(direct)")
    out["medium"] = out.medium.fillna("(none)")
    out["keyword"] = out.keyword.fillna(out.search_term)
    ev = v.events
    bought = ev.event_name.str.lower().isin(_PURCHASE)
    ev = ev.assign(revenue=pd.to_numeric(ev["value"], errors="coerce").where(bought))
    buys = ev[bought]
    have_orders = orders is not None and len(orders) > 0
    if have_orders:
        buys, paid = _orders_of_sessions(buys, out, ended, orders)
    out["purchased"] = among(out.session_id, buys.session_id)
    out["revenue"] = out.session_id.map(buys.groupby("session_id").revenue.sum(min_count=1))
    led_to = pd.DataFrame({"order_id": pd.Series(dtype=object), "session_id": out.session_id[:0]})
    if have_orders:
        led_to = paid[["order_id", "session_id"]].reset_index(drop=True)
        by_session = paid.groupby("session_id").value.sum(min_count=1)
        led = among(out.session_id, by_session.index)
        out["purchased"] = out.purchased | led
        out["revenue"] = out.session_id.map(by_session).where(led, out.revenue)
    if have_orders or bought.any():  # purchases are recorded: a session without one made 0
        out["revenue"] = out.revenue.where(out.purchased, 0.0)
    out["revenue"] = out.revenue.astype(float)
    return out, led_to


def _orders_of_sessions(
    buys: pd.DataFrame, sessions: pd.DataFrame, ended: pd.Series, orders: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The purchase events that are purchases, and ``order_id, session_id, value``: the
    session each bought order came from (:func:`sessions_from_events`).

    An event paired with an order that is no purchase, or a repeat of an event whose order is
    taken (:func:`_repeats`), is left out of the events: counting it at its own value made a
    cancelled order, or one thank-you page loaded twice, a purchase all the same."""
    who = sessions.set_index("session_id").customer_id
    o = _order_table(orders)
    b = pd.DataFrame(
        {
            "buy": range(len(buys)),
            "session_id": buys.session_id.to_numpy(),
            "customer_id": buys.session_id.map(who).to_numpy(),
            "at": _instants(buys.timestamp),
        }
    ).dropna(subset=["customer_id", "session_id"])
    b["customer_id"] = b.customer_id.astype(str)
    pairs = _nearest_pairs(b, o).merge(o[["order_id", "bought"]], on="order_id")
    matched = pairs[pairs.bought].merge(b[["buy", "session_id"]], on="buy")
    unpaired = b[~b.buy.isin(pairs.buy)]
    dropped = set(pairs.buy[~pairs.bought]) | _repeats(unpaired, o[o.order_id.isin(pairs.order_id)])
    rest = o[o.bought & ~o.order_id.isin(pairs.order_id)]
    placed = _sessions_of_orders(rest, sessions, ended)
    matched = pd.concat([matched[["order_id", "session_id"]], placed], ignore_index=True)
    kept = buys.iloc[[k for k in range(len(buys)) if k not in dropped]]
    return kept, matched.merge(o[["order_id", "value"]], on="order_id")


def _order_table(orders: pd.DataFrame) -> pd.DataFrame:
    """``order_id, customer_id, ordered_at, value, bought`` of the orders with a customer and
    a time (every order is a purchase when ``orders`` has no ``bought``)."""
    o = orders.dropna(subset=["customer_id", "ordered_at"])
    bought = o["bought"] if "bought" in o else pd.Series(True, index=o.index)
    return pd.DataFrame(
        {
            "order_id": o.order_id.to_numpy(),
            "customer_id": o.customer_id.astype(str).to_numpy(),
            "ordered_at": _instants(o.ordered_at),
            "value": pd.to_numeric(o["value"], errors="coerce").to_numpy(),
            "bought": bought.fillna(True).astype(bool).to_numpy(),
        }
    )


def _repeats(unpaired: pd.DataFrame, taken: pd.DataFrame) -> set[int]:
    """The unpaired purchase events (``buy``) whose customer has an order within
    :data:`PURCHASE_ORDER_GAP` that another event took: the same order seen again."""
    if unpaired.empty or taken.empty:
        return set()
    m = pd.merge_asof(
        unpaired.sort_values("at"), taken[["customer_id", "ordered_at", "order_id"]]
        .sort_values("ordered_at"), left_on="at", right_on="ordered_at", by="customer_id",
        direction="nearest", tolerance=_SEARCH,
    )  # fmt: skip
    m = m[m.order_id.notna()]
    return set(m.buy[_gap(m["at"], m["ordered_at"]) <= PURCHASE_ORDER_GAP])


def _sessions_of_orders(
    orders: pd.DataFrame, sessions: pd.DataFrame, ended: pd.Series
) -> pd.DataFrame:
    """``order_id, session_id``: the customer's session each order was placed in.

    An order given by its day only (at exactly midnight, as a ``YYYY-MM-DD`` orders file has
    it) covers its whole day: it belongs to the customer's last session of that day — read as
    the instant midnight, it preceded every visit of its day and none of them bought. Any
    other order, and a day-only one without a visit that day, belongs to the session that
    started last before it among those whose last event was at most :data:`ORDER_SESSION_GAP`
    before it (the types pair them the same way, ``features.behaviour._order_visits``): a
    second device's short visit begun meanwhile does not hide the visit the order came from.
    Of sessions that started in the same second, the one with the greatest id is taken.
    """
    s = sessions.dropna(subset=["customer_id", "session_id"])
    s = pd.DataFrame(
        {
            "session_id": s.session_id.to_numpy(),
            "customer_id": s.customer_id.astype(str).to_numpy(),
            "started_at": _instants(s.started_at),
            "ended_at": _instants(s.session_id.map(ended)),
        }
    ).sort_values(["started_at", "session_id"])  # a tie in start: the greatest id counts last
    none = pd.DataFrame({"order_id": orders.order_id.iloc[:0], "session_id": s.session_id.iloc[:0]})
    if orders.empty or s.empty:
        return none
    o = orders.sort_values("ordered_at")
    day = s.assign(day=s.started_at.dt.normalize()).drop_duplicates(
        ["customer_id", "day"], keep="last"
    )
    by_day = o[given_by_day(o.ordered_at)].merge(
        day, left_on=["customer_id", "ordered_at"], right_on=["customer_id", "day"]
    )
    rest = o[~o.order_id.isin(by_day.order_id)]
    within = rest.merge(s, on="customer_id")
    within = within[
        (within.started_at <= within.ordered_at)
        & (within.ordered_at <= within.ended_at + ORDER_SESSION_GAP)
    ]
    within = within.sort_values(["started_at", "session_id"], kind="stable")
    within = within.drop_duplicates("order_id", keep="last")  # the latest start of those
    return pd.concat(
        [none, by_day[["order_id", "session_id"]], within[["order_id", "session_id"]]],
        ignore_index=True,
    )


def _instants(times: pd.Series) -> pd.Series:
    """Timestamps of one resolution (``merge_asof`` compares only alike columns)."""
    return pd.Series(pd.to_datetime(times).to_numpy()).astype("datetime64[us]").to_numpy()


def _nearest_pairs(buys: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """``buy, order_id``: purchase events and orders of the same customer paired one to one,
    the nearest in time first, at most :data:`PURCHASE_ORDER_GAP` apart.

    The candidates are each one's nearest partner before and after it (bounded work, where
    every pair of a customer's events and orders would not be); a pair is taken when each is
    the other's nearest candidate, which always holds for the closest pair left, and the
    candidates of those left are looked for again (two orders given by the same day only).
    """
    b = buys[["buy", "customer_id", "at"]].sort_values("at")
    o = orders[["order_id", "customer_id", "ordered_at"]].sort_values("ordered_at")
    taken = [pd.DataFrame({"buy": b.buy.iloc[:0], "order_id": o.order_id.iloc[:0]})]
    while len(b) and len(o):
        found = []
        for direction in ("backward", "forward"):
            for left, right, on in ((b, o, ("at", "ordered_at")), (o, b, ("ordered_at", "at"))):
                m = pd.merge_asof(
                    left, right, left_on=on[0], right_on=on[1], by="customer_id",
                    direction=direction, tolerance=_SEARCH,
                )  # fmt: skip
                found.append(m.dropna(subset=["buy", "order_id"]))
        c = pd.concat(found, ignore_index=True).drop_duplicates(["buy", "order_id"])
        c = c.assign(gap=_gap(c["at"], c["ordered_at"]))
        c = c[c["gap"] <= PURCHASE_ORDER_GAP]
        if c.empty:
            break
        c = c.sort_values(["gap", "ordered_at", "at", "order_id"], kind="stable")
        best = c[~c.buy.duplicated() & ~c.order_id.duplicated()]
        taken.append(best[["buy", "order_id"]])
        b = b[~b.buy.isin(best.buy)]
        o = o[~o.order_id.isin(best.order_id)]
    return pd.concat(taken, ignore_index=True)


def _gap(at: pd.Series, ordered_at: pd.Series) -> pd.Series:
    """How far a purchase event is from an order: from its time, or for an order given by its
    day only (at midnight) from that day, so any event of the day is at no distance. Measured
    from midnight, a purchase at 23:00 was nearer the next day's order than its own, and the
    next day's real purchase was then taken for a reloaded thank-you page."""
    exact = (at - ordered_at).abs()
    day = given_by_day(ordered_at)
    end = ordered_at + pd.Timedelta(days=1)
    outside = (ordered_at - at).where(at < ordered_at, (at - end).where(at >= end, pd.Timedelta(0)))
    return exact.where(~day, outside)


def _summary(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Visits, visitors, purchases, revenue and conversion per group.

    Revenue sums the purchasing sessions whose revenue is known; it is unknown (NaN, shown
    as a dash) when the group bought and none of its purchases has a known value, or when
    nothing of its sessions is known — never a measured 0 for purchases of unknown value.
    """
    df = df.assign(_paid=df.revenue.where(df.purchased))
    if "type" in df:
        # a share averaged by the grouping itself: a Python function called per keyword took
        # most of the sources and keywords tables' time on a shop of 40,000 keywords
        need_based = (df["type"] == "need_based").to_numpy(dtype=float, na_value=np.nan)
        df = df.assign(_need_based=need_based)
    g = df.groupby(keys, dropna=False)
    purchases = g.purchased.sum().astype(int)
    out = pd.DataFrame(
        {
            "visits": g.size(),
            "visitors": g.visitor_id.nunique(),
            "purchases": purchases,
            "revenue": g._paid.sum(min_count=1).where(purchases > 0, g.revenue.sum(min_count=1)),
        }
    )
    out["conversion_rate"] = out.purchases / out.visits
    if "type" in df:
        out["need_based_share"] = g._need_based.mean()
    return out.reset_index().sort_values(["revenue", "visits"], ascending=False)


def source_table(sessions: pd.DataFrame, *, by_type: bool = False) -> pd.DataFrame:
    """Visits, visitors, purchases, conversion, revenue and need-based share per source.

    ``sessions`` from :func:`sessions_from_events`, optionally with a ``type`` column.
    With ``by_type`` the table is split by type too.
    """
    keys = ["source", "medium", "campaign"] + (["type"] if by_type and "type" in sessions else [])
    return _summary(sessions, keys).reset_index(drop=True)


def keyword_table(sessions: pd.DataFrame, classify: KeywordClassifier) -> pd.DataFrame:
    """Per keyword: its intent, visits, purchases, conversion, revenue and need-based share."""
    kw = sessions[sessions.keyword.notna() & (sessions.keyword.astype(str).str.strip() != "")]
    kw = kw.assign(keyword=kw.keyword.str.lower().str.strip())
    if kw.empty:
        return pd.DataFrame(
            columns=["keyword", "intent", "visits", "visitors", "purchases", "revenue",
                     "conversion_rate"]
        )  # fmt: skip
    out = _summary(kw, ["keyword"])
    out.insert(1, "intent", out.keyword.map(classify))
    return out.reset_index(drop=True)


def acquisition_table(
    sessions: pd.DataFrame,
    customers: pd.DataFrame,
    clv: pd.DataFrame | None = None,
    *,
    by: str = "source",
    classify: KeywordClassifier | None = None,
) -> pd.DataFrame:
    """Revenue (and CLV when given) of buyers by the source or keyword that first brought them.

    Each buyer is credited to their first recorded session (first-touch attribution) up to
    the day of their first order (:func:`~shopperlens.playbooks.visits.until_first_order`,
    when ``customers`` has ``first_order_at``); a buyer without one is in no row, and
    ``attrs["left_out"]`` counts them. Only customers in ``customers`` (those who bought)
    count: a visitor who logged in but never bought brought no revenue, and counting them made
    the table disagree with the Value page's first sources, which are the buyers'.
    ``customers`` has ``customer_id, revenue`` (NaN: unknown, e.g. every order in another
    currency; such a buyer counts, but adds no revenue and is not in the average per
    customer); ``clv`` ``customer_id, clv``. ``by`` is
    ``"source"`` (source and medium) or ``"keyword"`` (with its intent when ``classify`` given).
    Returns ``customers, revenue, revenue_per_customer`` [``, clv_per_customer``] per group.
    """
    s = sessions.dropna(subset=["customer_id"])
    if "first_order_at" in customers:
        s = until_first_order(s, customers.set_index("customer_id").first_order_at)
    s = s.sort_values("started_at")
    if by == "keyword":
        s = s[s.keyword.notna() & (s.keyword.astype(str).str.strip() != "")]
        s = s.assign(keyword=s.keyword.str.lower().str.strip())
    first = s.drop_duplicates("customer_id")
    keys = ["source", "medium"] if by == "source" else ["keyword"]
    c = first[["customer_id", *keys]].merge(customers[["customer_id", "revenue"]], how="inner")
    if clv is not None and len(clv):
        c = c.merge(clv[["customer_id", "clv"]], on="customer_id", how="left")
    left_out = int(customers.customer_id.nunique() - c.customer_id.nunique())
    if c.empty:
        out = pd.DataFrame(columns=[*keys, "customers", "revenue", "revenue_per_customer"])
        out.attrs["left_out"] = left_out
        return out
    g = c.groupby(keys, dropna=False)
    out = pd.DataFrame({"customers": g.size(), "revenue": g.revenue.sum(min_count=1)})
    out["revenue_per_customer"] = out.revenue / g.revenue.count()
    if "clv" in c:
        out["clv_per_customer"] = g.clv.mean()
    out = out.reset_index().sort_values("revenue", ascending=False).reset_index(drop=True)
    if by == "keyword" and classify is not None:
        out.insert(1, "intent", out.keyword.map(classify))
    out.attrs["left_out"] = left_out
    return out
