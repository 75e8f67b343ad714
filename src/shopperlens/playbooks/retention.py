"""Retention and loyalty: cohort matrix, repeat purchases, consent-gated candidate lists.

The mission is explicit that loyal customers are featured in case studies **only with their
permission**: candidates come solely from the ``consents`` table, using each customer's latest
record for the purpose (a later withdrawal wins over an earlier grant).
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "case_study_candidates",
    "cohort_retention",
    "consented",
    "customer_orders",
    "referral_candidates",
    "repeat_purchase_rate",
]


def customer_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """Per customer: orders, the days they ordered on (:func:`repeat_purchase_rate`), revenue,
    first and last order (``orders`` has a ``value`` column)."""
    o = orders.dropna(subset=["customer_id"])
    g = o.groupby("customer_id")
    return pd.DataFrame(
        {
            "orders": g.order_id.nunique(),
            "order_days": _order_days(o),
            "revenue": g.value.sum(),
            "first_order_at": g.ordered_at.min(),
            "last_order_at": g.ordered_at.max(),
        }
    ).reset_index()


def cohort_retention(orders: pd.DataFrame, *, max_months: int = 12) -> pd.DataFrame:
    """Share of each monthly cohort (month of first order) buying again k months later.

    Rows: cohort month (``YYYY-MM``) with its ``customers``; columns ``0 … max_months`` hold
    the share of the cohort that ordered in month ``cohort + k`` (month 0 is always 1.0).
    """
    o = orders.dropna(subset=["customer_id"])[["customer_id", "ordered_at"]].copy()
    if o.empty:
        return pd.DataFrame(columns=["cohort", "customers"])
    at = pd.to_datetime(o.ordered_at)
    o["month"] = at.dt.to_period("M")
    o["cohort"] = o.groupby("customer_id").month.transform("min")
    # months since the cohort's, counted on month numbers (a Python call per order took a
    # minute for a shop's million orders)
    number = at.dt.year * 12 + at.dt.month
    o["k"] = number - number.groupby(o.customer_id).transform("min")
    o = o[o.k <= max_months].drop_duplicates(["customer_id", "k"])
    counts = o.pivot_table(index="cohort", columns="k", values="customer_id", aggfunc="nunique")
    counts = counts.reindex(columns=range(max_months + 1)).fillna(0)
    size = counts[0]
    share = counts.div(size, axis=0)
    # a cohort cannot be observed beyond the last month of data: leave those cells empty
    last = o.month.max()
    for cohort in share.index:
        span = (last - cohort).n
        share.loc[cohort, [k for k in share.columns if k > span]] = float("nan")
    share.insert(0, "customers", size.astype(int))
    share.index = share.index.astype(str)
    share.columns = [str(c) for c in share.columns]
    return share.reset_index().rename(columns={"index": "cohort"})


def repeat_purchase_rate(orders: pd.DataFrame) -> float:
    """Share of customers who ordered on two or more days: a second order the same day is the
    same shopping trip (an item forgotten, a split basket), as CLV's repeat purchases and the
    loyalty analysis count it, not a customer coming back."""
    per = _order_days(orders.dropna(subset=["customer_id"]))
    return float((per >= 2).mean()) if len(per) else 0.0


def _order_days(orders: pd.DataFrame) -> pd.Series:
    """Per customer, the days they ordered on (a second order the same day is no new one)."""
    return pd.to_datetime(orders.ordered_at).dt.floor("D").groupby(orders.customer_id).nunique()


def consented(consents: pd.DataFrame, purpose: str) -> set[str]:
    """Customers whose latest consent record for ``purpose`` grants it."""
    c = consents[consents.purpose.str.lower() == purpose.lower()]
    if c.empty:
        return set()
    latest = c.sort_values("recorded_at").groupby("customer_id").tail(1)
    return set(latest.loc[latest.granted.astype(bool), "customer_id"])


def _ranked(customers: pd.DataFrame, allowed: set[str], types: pd.DataFrame | None) -> pd.DataFrame:
    c = customers[customers.customer_id.isin(allowed)]
    if types is not None and len(types):
        loyal = set(types.loc[types.type == "loyal", "customer_id"].dropna())
        c = c[c.customer_id.isin(loyal)]
    return c.sort_values(["revenue", "orders"], ascending=False).reset_index(drop=True)


def case_study_candidates(
    customers: pd.DataFrame, consents: pd.DataFrame, types: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Loyal customers who allowed purpose ``case_study``, best customers first.

    ``customers`` is :func:`customer_orders` output; nobody without a recorded grant appears.
    """
    return _ranked(customers, consented(consents, "case_study"), types)


def referral_candidates(
    customers: pd.DataFrame, allowed: set[str], types: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Loyal customers who may be e-mailed a referral offer, best customers first.

    ``allowed``: the customers the consent rule lets a referral e-mail reach
    (``service.consent.allowed(own="referral")``: their latest referral record, else their
    marketing word, and no "no" on another id of their address).
    """
    return _ranked(customers, allowed, types)
