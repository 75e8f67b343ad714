"""Plain-words evidence: why a subject got its type, with this shop's own numbers.

Each signal has one sentence template filled from the features row ("3 of 4 visits came from
search engines"). The evidence for a type is a lead sentence (what the rule requires, e.g.
"first order 12 days ago") followed by its strongest signals, joined by "; ".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from shopperlens.types.config import UNTYPED, TypesConfig

Row = dict[str, Any]


def _n(v: Any) -> int:
    return 0 if v is None or (isinstance(v, float) and math.isnan(v)) else int(v)


def _x(v: Any) -> float:
    return float("nan") if v is None else float(v)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _searched(r: Row) -> str:
    m, n = _n(r["search_matched_purchases"]), _n(r["searched_purchases"])
    if m == n:
        return "bought exactly the product searched for" + ("" if n == 1 else f" ({m} of {n})")
    return f"bought the product searched for in {m} of {n} buying visits"


def _regular(r: Row) -> str:
    cv, gap = _x(r["gap_cv"]), _x(r["mean_gap_days"])
    return f"orders come regularly, about every {gap:.0f} days (variation {cv:.2f})"


#: feature -> sentence; every signal a config may name should have one
TEMPLATES: dict[str, Callable[[Row], str]] = {
    "search_visit_share": lambda r: (
        f"{_n(r['search_visits'])} of {_plural(_n(r['visits']), 'visit')} came from search"
    ),
    "product_term_share": lambda r: (
        f"{_n(r['product_terms'])} of {_plural(_n(r['search_terms']), 'search term')} "
        "named a product"
    ),
    "brand_term_share": lambda r: (
        f"{_n(r['brand_terms'])} of {_plural(_n(r['search_terms']), 'search term')} "
        "named the shop's brand"
    ),
    "search_match_share": _searched,
    "focused_purchase_share": lambda r: (
        f"went straight to the product in {_n(r['focused_purchases'])} of "
        f"{_plural(_n(r['purchase_visits']), 'buying visit')}"
    ),
    "pages_per_visit": lambda r: f"{_x(r['pages_per_visit']):.1f} pages per visit",
    "avg_visit_minutes": lambda r: (
        f"visits last {_x(r['avg_visit_minutes']):.0f} minutes on average"
    ),
    "categories_per_order": lambda r: f"{_x(r['categories_per_order']):.1f} categories per order",
    "visits": lambda r: _plural(_n(r["visits"]), "visit"),
    "product_views_per_visit": lambda r: (
        f"{_x(r['product_views_per_visit']):.1f} product views per visit"
    ),
    "abandoned_carts": lambda r: (
        f"{_plural(_n(r['abandoned_carts']), 'cart')} filled and abandoned"
    ),
    "orders": lambda r: f"{_plural(_n(r['orders']), 'order')} so far",
    "tenure_days": lambda r: f"customer for {_x(r['tenure_days']):.0f} days",
    "gap_cv": _regular,
    "recency_days": lambda r: f"last order {_x(r['recency_days']):.0f} days ago",
    "campaign_purchase_share": lambda r: (
        f"{_n(r['campaign_purchases'])} of {_plural(_n(r['purchase_visits']), 'purchase')} "
        "made in a visit from a campaign"
    ),
    "discount_order_share": lambda r: (
        f"{_n(r['discount_orders'])} of {_plural(_n(r['orders']), 'order')} used a discount code"
    ),
    "campaign_visit_share": lambda r: (
        f"{_n(r['campaign_visits'])} of {_plural(_n(r['visits']), 'visit')} came from ads "
        "or e-mail campaigns"
    ),
    "minutes_to_purchase": lambda r: (
        f"bought {_x(r['minutes_to_purchase']):.0f} minutes after landing, on average"
    ),
    "tickets_per_order": lambda r: (
        f"{_plural(_n(r['tickets']), 'support ticket')} for {_plural(_n(r['orders']), 'order')}"
    ),
    "returns_per_order": lambda r: (
        f"{_plural(_n(r['returns']), 'return')} for {_plural(_n(r['orders']), 'order')}"
    ),
}


def sentence(feature: str, row: Row) -> str:
    fn = TEMPLATES.get(feature)
    if fn is not None:
        return fn(row)
    return f"{feature.replace('_', ' ')} = {row.get(feature)}"


def strongest(parts: pd.DataFrame, weights: dict[str, float], k: int = 3) -> list[list[str]]:
    """Per row, up to ``k`` signals with the largest weighted strength (strength >= 0.5).

    Vectorised with numpy: evidence for a million subjects must not loop over cells.
    """
    if parts.shape[1] == 0:
        return [[] for _ in range(len(parts))]
    vals = parts.to_numpy()
    contrib = vals * np.array([weights[c] for c in parts.columns])
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
    names = np.array(parts.columns, dtype=object)
    rows = np.arange(len(parts))[:, None]
    keep = vals[rows, order] >= 0.5
    picked = np.where(keep, names[order], None)
    return [[c for c in row if c is not None] for row in picked.tolist()]


def lead(row: Row, typ: str, config: TypesConfig) -> str:
    """The sentence that states what the type rests on."""
    windows = config.section("windows")
    orders = _n(row["orders"])
    if typ == "looker":
        return "has not bought yet"
    if typ == "new":
        tenure = _x(row["tenure_days"])
        if tenure <= float(windows["new_days"]):
            return (
                f"first order {tenure:.0f} days ago"
                if orders == 1
                else (f"first order {tenure:.0f} days ago ({_plural(orders, 'order')} in all)")
            )
        cat = row.get("new_category") or "a new category"
        return (
            f"first purchase in {cat} {_x(row['days_since_new_category']):.0f} days ago, "
            f"a category never bought before ({_plural(orders, 'order')} in all)"
        )
    if typ == "loyal":
        text = f"{_plural(orders, 'order')} over {_x(row['tenure_days']):.0f} days"
        if _x(row["recency_days"]) > float(windows["lapsed_days"]):
            text += f"; no order for {_x(row['recency_days']):.0f} days: lapsing"
        return text
    return _plural(orders, "order")


def explain_row(row: Row, typ: str, top: list[str], config: TypesConfig) -> str:
    """The evidence string for one subject typed ``typ`` (``top``: its strongest signals)."""
    if typ == UNTYPED:
        return _untyped(row, config)
    sentences = [lead(row, typ, config)]
    for feature in top:
        if typ == "loyal" and feature in ("orders", "tenure_days"):
            continue  # already in the lead sentence
        sentences.append(sentence(feature, row))
    return "; ".join(sentences)


def _untyped(row: Row, config: TypesConfig) -> str:
    orders, visits, pages = _n(row["orders"]), _n(row["visits"]), _n(row["pages"])
    if orders == 0 and visits == 0:
        return "no visits or orders yet: too little data to type"
    if orders == 0:
        return (
            f"only {_plural(visits, 'visit')} with {_plural(pages, 'page')} and nothing bought: "
            "too little data to type (not guessed)"
        )
    return (
        f"{_plural(orders, 'order')}, but no type's signals are strong enough "
        f"(best score below {config.section('minimum_data')['min_score']}): not guessed"
    )
