"""Recommendations behind the need-based upsell: related products and upsell picks.

The "frequently bought together" lists are counted in SQL
(:func:`shopperlens.service.playbooks.together_expr`), so that they run on DuckDB and Spark.

* "Related products" come from co-views: two products viewed in the same session, scored by
  the cosine of their session sets (co-views / √(views_a · views_b)), which does not let a
  best-seller crowd every list the way raw co-view counts would.
* Upsell picks per customer rank products by the best rule whose antecedents the customer
  already bought or viewed, never proposing what the customer already owns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

__all__ = ["related_products", "upsell_picks"]


def related_products(views: pd.DataFrame, *, top: int = 4, min_sessions: int = 2) -> pd.DataFrame:
    """Products viewed in the same sessions as each product (co-views).

    ``views`` has one row per product view with ``session_id`` and ``product_id``. Returns
    ``product_id, rank, related_id, sessions, score`` where ``sessions`` is the number of
    sessions that viewed both and ``score`` the cosine similarity of their session sets.
    """
    cols = ["product_id", "rank", "related_id", "sessions", "score"]
    v = views[["session_id", "product_id"]].dropna().drop_duplicates()
    if v.empty:
        return pd.DataFrame(columns=cols)
    rows, _ = pd.factorize(v.session_id)
    cols_idx, products = pd.factorize(v.product_id, sort=True)
    x = sparse.csr_matrix(
        (np.ones(len(v), dtype=np.int32), (rows, cols_idx)),
        shape=(int(rows.max()) + 1, len(products)),
    )
    co = (x.T @ x).tocoo()
    n = np.asarray(x.sum(axis=0)).ravel().astype(float)
    keep = (co.row != co.col) & (co.data >= min_sessions)
    a, b, c = co.row[keep], co.col[keep], co.data[keep]
    out = pd.DataFrame(
        {
            "product_id": np.asarray(products, dtype=object)[a],
            "related_id": np.asarray(products, dtype=object)[b],
            "sessions": c.astype(int),
            "score": c / np.sqrt(n[a] * n[b]),
        }
    )
    out = out.sort_values(
        ["product_id", "score", "sessions", "related_id"], ascending=[True, False, False, True]
    )
    out["rank"] = out.groupby("product_id").cumcount() + 1
    return out[out["rank"] <= top][cols].reset_index(drop=True)


def upsell_picks(
    owned: pd.DataFrame,
    rules: pd.DataFrame,
    *,
    viewed: pd.DataFrame | None = None,
    top: int = 3,
) -> pd.DataFrame:
    """Per customer, the products most likely wanted next, excluding everything owned.

    ``owned`` and ``viewed`` have ``customer_id, product_id`` rows (purchases and product
    views). A candidate's score is the highest confidence of a rule ``A → {candidate}`` whose
    antecedents ``A`` are all among the customer's bought or viewed products; ``because`` names
    that antecedent. Of rules with equal confidence the one with the higher support wins, then
    the antecedent first in text order (:func:`_rule_rank`): the pick and its reason are the
    same on every run, whatever order sets and rule rows come in.
    Returns ``customer_id, rank, product_id, score, because``.
    """
    cols = ["customer_id", "rank", "product_id", "score", "because"]
    # a customer who owns nothing (every order cancelled) may still have viewed products
    seen = viewed is not None and len(viewed) > 0
    if rules is None or not len(rules) or (owned.empty and not seen):
        return pd.DataFrame(columns=cols)
    single = rules[rules.consequents.map(len) == 1]
    if single.empty:
        return pd.DataFrame(columns=cols)
    history = owned[["customer_id", "product_id"]]
    if seen:
        history = pd.concat([history, viewed[["customer_id", "product_id"]]])
    history = history.dropna().drop_duplicates()
    known = history.groupby("customer_id").product_id.agg(frozenset)
    owns = owned.dropna(subset=["product_id"]).groupby("customer_id").product_id.agg(frozenset)
    # index rules by one antecedent item so each customer only tests rules that can fire
    support = single["support"] if "support" in single else pd.Series(0.0, index=single.index)
    rule_rows = list(
        zip(
            single.antecedents,
            single.consequents.map(lambda s: next(iter(s))),
            single.confidence.astype(float),
            support.astype(float),
            strict=True,
        )
    )
    by_item: dict[object, list[tuple[frozenset, object, float, float]]] = {}
    for ante, cons, conf, supp in rule_rows:
        by_item.setdefault(min(ante, key=str), []).append((ante, cons, conf, supp))
    records: list[tuple[object, object, float, str]] = []
    for customer, items in known.items():
        have = owns.get(customer, frozenset())
        best: dict[object, tuple[float, float, str]] = {}
        for item in sorted(items, key=str):
            for ante, cons, conf, supp in by_item.get(item, ()):
                if cons in have or not ante <= items:
                    continue
                rule = (conf, supp, ", ".join(sorted(map(str, ante))))
                if cons not in best or _rule_rank(rule) < _rule_rank(best[cons]):
                    best[cons] = rule
        for cons, (conf, _, why) in best.items():
            records.append((customer, cons, conf, why))
    out = pd.DataFrame(records, columns=["customer_id", "product_id", "score", "because"])
    if out.empty:
        return pd.DataFrame(columns=cols)
    out = out.sort_values(["customer_id", "score", "product_id"], ascending=[True, False, True])
    out["rank"] = out.groupby("customer_id").cumcount() + 1
    return out[out["rank"] <= top][cols].reset_index(drop=True)


def _rule_rank(rule: tuple[float, float, str]) -> tuple[float, float, str]:
    """Sort key of a ``(confidence, support, because)`` rule, best first: higher confidence,
    then higher support, then the antecedent first in text order. Equal-confidence rules are
    common (3 of 7 orders either way), and keeping whichever came first made the upsell's
    reason follow the hash order of a set of product ids, which changes between runs."""
    conf, supp, why = rule
    return (-conf, -supp, why)
