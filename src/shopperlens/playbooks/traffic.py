"""Where customers come from: traffic sources, search keywords and the intent behind each.

Keyword intent (rules, in this order, on the lower-cased query's words):

1. **informational** — a question or research word (``how``, ``what``, ``best``, ``review``,
   ``vs`` …): the searcher is learning, not yet buying (content and guides serve them);
2. **product** — the query names a product of the catalogue: it shares at least two
   distinctive words with a product name (or every word of a one-word name), or names a
   category; these searchers know what they want (the need-based type);
3. **brand** — the query contains the shop's brand;
4. **generic** — anything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

__all__ = [
    "INFORMATIONAL_WORDS",
    "acquisition_table",
    "guess_brand_words",
    "KeywordClassifier",
    "classify_keyword",
    "keyword_table",
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
        "can",
        "does",
        "is",
        "are",
        "tutorial",
    ]
)
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "for",
        "of",
        "and",
        "or",
        "with",
        "to",
        "in",
        "on",
        "by",
        "my",
        "your",
        "x",
        "1",
        "2",
        "3",
        "4",
    ]
)
_WORD = re.compile(r"[a-z0-9]+")
_PURCHASE = ("purchase", "order", "order_completed", "checkout_completed")


def _words(text: str) -> list[str]:
    return _WORD.findall(str(text).lower())


class KeywordClassifier:
    """Intent rules built once from the catalogue's product names, categories and the brand."""

    def __init__(
        self,
        product_names: Iterable[str] = (),
        categories: Iterable[str] = (),
        brand_words: Iterable[str] = (),
        informational_words: Iterable[str] = INFORMATIONAL_WORDS,
    ) -> None:
        self.brand = {w for b in brand_words for w in _words(b)}
        self.info = set(informational_words)
        self.categories = {w for c in categories for w in _words(c)} - _STOP
        self.products = [
            set(_words(n)) - _STOP - self.brand for n in product_names if str(n).strip()
        ]

    def __call__(self, query: str | None) -> str:
        if query is None or not str(query).strip():
            return "none"
        words = set(_words(query))
        if words & self.info:
            return "informational"
        for name in self.products:
            shared = len(words & name)
            if name and (shared >= 2 or shared == len(name)):
                return "product"
        singular = {w.rstrip("s") for w in words}
        if words & self.categories or singular & {c.rstrip("s") for c in self.categories}:
            return "product"
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
            if len(w) >= 4 and not w.isdigit():
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
    """Intent of one search query: informational, product, brand, generic (or none)."""
    return KeywordClassifier(product_names, categories, brand_words)(query)


def sessions_from_events(events: pd.DataFrame) -> pd.DataFrame:
    """One row per session: its source/medium/campaign, keyword, purchase and revenue.

    The keyword is the ad/search ``utm_term`` when set, else the session's first on-site
    ``search_term``. Revenue is the sum of the purchase events' ``value``.
    """
    ev = events.sort_values("timestamp")
    ev = ev.assign(
        name=ev.event_name.str.lower(),
        keyword=ev.utm_term.where(ev.utm_term.notna() & (ev.utm_term != ""), None),
    )
    bought = ev["name"].isin(_PURCHASE)
    ev["revenue"] = ev.value.where(bought, 0.0).fillna(0.0)
    ev["bought"] = bought
    g = ev.groupby("session_id", sort=False)
    out = pd.DataFrame(
        {
            "visitor_id": g.visitor_id.first(),
            "customer_id": g.customer_id.first(),
            "started_at": g.timestamp.min(),
            "source": g.utm_source.first(),
            "medium": g.utm_medium.first(),
            "campaign": g.utm_campaign.first(),
            "keyword": g.keyword.first(),
            "search_term": g.search_term.first(),
            "purchased": g.bought.any(),
            "revenue": g.revenue.sum(),
        }
    ).reset_index()
    out["source"] = out.source.fillna("(direct)")
    out["medium"] = out.medium.fillna("(none)")
    out["keyword"] = out.keyword.fillna(out.search_term)
    return out


def _summary(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = df.groupby(keys, dropna=False)
    out = pd.DataFrame(
        {
            "visits": g.size(),
            "visitors": g.visitor_id.nunique(),
            "purchases": g.purchased.sum().astype(int),
            "revenue": g.revenue.sum(),
        }
    )
    out["conversion_rate"] = out.purchases / out.visits
    if "type" in df:
        out["need_based_share"] = g.type.agg(lambda s: float((s == "need_based").mean()))
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

    Each buyer is credited to their first recorded session (first-touch attribution). Only
    customers in ``customers`` (those who bought) count: a visitor who logged in but never
    bought brought no revenue, and counting them made the table disagree with the Value
    page's first sources, which are the buyers'.
    ``customers`` has ``customer_id, revenue``; ``clv`` ``customer_id, clv``. ``by`` is
    ``"source"`` (source and medium) or ``"keyword"`` (with its intent when ``classify`` given).
    Returns ``customers, revenue, revenue_per_customer`` [``, clv_per_customer``] per group.
    """
    s = sessions.dropna(subset=["customer_id"]).sort_values("started_at")
    if by == "keyword":
        s = s[s.keyword.notna() & (s.keyword.astype(str).str.strip() != "")]
        s = s.assign(keyword=s.keyword.str.lower().str.strip())
    first = s.drop_duplicates("customer_id")
    keys = ["source", "medium"] if by == "source" else ["keyword"]
    c = first[["customer_id", *keys]].merge(customers[["customer_id", "revenue"]], how="inner")
    if clv is not None and len(clv):
        c = c.merge(clv[["customer_id", "clv"]], on="customer_id", how="left")
    if c.empty:
        return pd.DataFrame(columns=[*keys, "customers", "revenue", "revenue_per_customer"])
    g = c.groupby(keys, dropna=False)
    out = pd.DataFrame({"customers": g.size(), "revenue": g.revenue.sum()})
    out["revenue_per_customer"] = out.revenue / out.customers
    if "clv" in c:
        out["clv_per_customer"] = g.clv.mean()
    out = out.reset_index().sort_values("revenue", ascending=False).reset_index(drop=True)
    if by == "keyword" and classify is not None:
        out.insert(1, "intent", out.keyword.map(classify))
    return out
