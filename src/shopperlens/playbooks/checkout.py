"""Checkout: free-shipping threshold, view → cart → checkout → purchase funnel, abandoned carts.

Free-shipping threshold (documented method)
-------------------------------------------
For a candidate threshold ``T`` the baskets worth ``v`` with ``(1 − band)·T ≤ v < T`` are the
*near misses*: close enough that a free-shipping offer tempts them to add something. We assume
a share ``topup_rate`` of them top up exactly to ``T`` (conservative: real top-ups overshoot),
so the expected order-value uplift per order is

    uplift(T) = topup_rate · Σ_{near misses} (T − v) / N

The recommended threshold maximises ``uplift``. Reported with it: the share of orders that are
near misses (the orders the offer changes), the share already above ``T`` (who get free
shipping without changing anything) and, when a shipping cost is known, the shipping given
away per order: ``cost · (#orders ≥ T + topup_rate · #near) / N``. Candidates are round
amounts between the median basket (the threshold should sit above the usual basket) and the
95th percentile, and at most :data:`MAX_OVER_MEDIAN` times the median: a threshold far above
the usual basket takes free shipping away from most orders to nudge a few. Defaults:
``band = 0.25``, ``topup_rate = 0.3`` — assumptions to tune with an A/B test, stated in the
report next to the number.

Most shops already have a threshold. :func:`current_free_shipping_threshold` reads it from the
orders (the basket value from which the orders shipped free, but for at most
:data:`MAX_SHARE_PAID_ABOVE` of them: express or abroad deliveries); a new threshold must then
lie above it, make at most :data:`MAX_SHARE_LOSING_FREE` of orders pay shipping again (the
orders a new charge loses are not in any history, so a raise that charges many is not advised)
and raise order value more than today's does, or the advice is to keep it.

Small shops get no threshold advice: below :data:`MIN_SAMPLE` orders the spread of basket
values is a handful of points (3 orders make "33 % of orders sit just below it" one order), so
the playbook and the report say how many orders there are and how many the advice needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from shopperlens.playbooks.visits import CART_REMOVALS, FUNNEL_STEPS, Visits, among, visits_of

__all__ = [
    "FUNNEL_STEPS",
    "MAX_OVER_MEDIAN",
    "MAX_SHARE_LOSING_FREE",
    "MAX_SHARE_PAID_ABOVE",
    "MIN_SAMPLE",
    "ShippingThreshold",
    "abandoned_carts",
    "current_free_shipping_threshold",
    "exit_pages",
    "free_shipping_threshold",
    "funnel",
    "left_out_text",
    "session_steps",
    "visits_to_first_purchase",
]

#: a recommended threshold stays at or below this multiple of the median basket
MAX_OVER_MEDIAN = 1.5
#: a raise of today's threshold is only advised when it makes at most this share of orders
#: pay shipping again: the uplift counts the baskets that top up, not the orders lost to a
#: charge the customer did not pay before, which no order history can measure
MAX_SHARE_LOSING_FREE = 0.10
#: a threshold is only read from the orders when at least this many orders shipped free above it
MIN_FREE_ORDERS = 5
#: ... and at most this share of the orders above it paid shipping (express or abroad delivery)
MAX_SHARE_PAID_ABOVE = 0.05
#: the fewest orders a free-shipping threshold is advised from; the playbook also gives any
#: share resting on fewer orders (or buyers, visits, sessions) as counts, "2 of 3", not "67%"
MIN_SAMPLE = 30


@dataclass(frozen=True)
class ShippingThreshold:
    """The recommended threshold and the table of every candidate.

    ``current`` is the threshold the shop applies today (None when its orders show none);
    ``keep_current`` says no candidate beats it, and then ``threshold`` is ``current`` with
    its own figures. ``share_losing_free`` is the share of orders between today's threshold
    and the recommended one: they would pay shipping again. ``orders`` is how many baskets
    the figures rest on (advice needs :data:`MIN_SAMPLE`; see :attr:`advised`);
    ``other_currency_orders`` how many baskets were left out for being in another currency
    than the shop's (their amounts are not the shop's money).
    """

    threshold: float
    uplift_per_order: float
    share_near: float
    share_above: float
    shipping_cost_per_order: float | None
    median_basket: float
    candidates: pd.DataFrame
    band: float
    topup_rate: float
    current: float | None = None
    current_uplift_per_order: float | None = None
    current_shipping_cost_per_order: float | None = None
    keep_current: bool = False
    share_losing_free: float | None = None
    orders: int | None = None
    other_currency_orders: int = 0

    @property
    def advised(self) -> bool:
        """Enough orders to advise a threshold (:data:`MIN_SAMPLE`; unknown counts as enough)."""
        return self.orders is None or self.orders >= MIN_SAMPLE

    @property
    def extra_uplift_per_order(self) -> float:
        """Order value gained per order over today's threshold (all of it when there is none)."""
        return self.uplift_per_order - (self.current_uplift_per_order or 0.0)


def left_out_text(n: int) -> str:
    """ "3 orders in other currencies left out", "" for none: figures in the shop's money rest
    on its currency only, and the owner should know how many orders they do not show."""
    if n <= 0:
        return ""
    if n == 1:
        return "1 order in another currency left out"
    return f"{n:,} orders in other currencies left out"


def _roundest_between(low: float, high: float) -> float:
    """The roundest amount in ``(low, high]``: shops set thresholds like 50, not 49.80."""
    for step in (1000, 500, 100, 50, 10, 5, 1, 0.5, 0.1, 0.05, 0.01):
        amount = np.floor(high / step) * step
        if amount > low:
            return float(amount)
    return float(high)


def current_free_shipping_threshold(
    basket_values: Sequence[float] | np.ndarray | pd.Series,
    shipping: Sequence[float | None] | np.ndarray | pd.Series,
) -> float | None:
    """The free-shipping threshold the shop applies today, read from its orders.

    The orders are split at the basket value that most of them agree with: below it they paid
    shipping, from it on they shipped free (:func:`_best_cut`). A few orders above it may have
    paid (express or abroad delivery): taking the largest paid basket instead, one express
    order of 78 read a shop free from 50 as free from 79. The threshold is the roundest amount
    between the largest paid basket below the split and the smallest free one above it. None
    when no order paid shipping (free on everything, or shipping not recorded), when more than
    :data:`MAX_SHARE_PAID_ABOVE` of the orders above the split paid, or when fewer than
    :data:`MIN_FREE_ORDERS` of them shipped free. Without this the advice proposed a "new"
    threshold to a shop that already had a lower one.
    """
    frame = pd.DataFrame(
        {
            "value": np.asarray(basket_values, dtype=float),
            "shipping": pd.to_numeric(pd.Series(shipping), errors="coerce").to_numpy(),
        }
    )
    frame = frame.dropna()
    frame = frame[frame.value > 0].sort_values("value", kind="stable")
    values = frame.value.to_numpy()
    paid = (frame.shipping > 0).to_numpy()
    if not paid.any() or paid.all():
        return None
    cut = _best_cut(values, paid)
    below, above = slice(None, cut), slice(cut, None)
    free_above = values[above][~paid[above]]
    paid_above = int(paid[above].sum())
    if (
        not paid[below].any()
        or len(free_above) < MIN_FREE_ORDERS
        or paid_above > MAX_SHARE_PAID_ABOVE * len(values[above])
    ):
        return None
    return _roundest_between(float(values[below][paid[below]].max()), float(free_above.min()))


def _best_cut(values: np.ndarray, paid: np.ndarray) -> int:
    """Where sorted orders split best into "paid shipping" below and "shipped free" above.

    Cut ``k`` puts orders ``[:k]`` below (never between two equal baskets). An order on the
    wrong side disagrees: a paid one above (express delivery), a free one below (a coupon,
    pickup). Each kind of disagreement counts as a share of its kind (paid or free orders), so
    a shop where most small orders also ship free still splits where the paid orders end; the
    cut with the smallest sum wins, the lowest one on a tie.
    """
    paid_below = np.r_[0, np.cumsum(paid)]
    free_below = np.r_[0, np.cumsum(~paid)]
    disagree = (paid_below[-1] - paid_below) / paid_below[-1] + free_below / free_below[-1]
    splits_equal = np.r_[False, values[1:] == values[:-1], False]
    disagree[splits_equal] = np.inf
    return int(np.argmin(disagree))


def _round_candidates(values: np.ndarray) -> list[float]:
    """Round amounts above the median basket up to the 95th percentile, capped at
    :data:`MAX_OVER_MEDIAN` × the median (the first one above the median at least).

    Above, not from: a threshold at the usual basket itself (EUR 56 on a median basket of
    EUR 56) asks half the orders for nothing more; the mission's threshold sits above it."""
    lo, hi = np.quantile(values, [0.5, 0.95])
    hi = min(hi, MAX_OVER_MEDIAN * lo)
    step = 10 ** max(0, int(np.floor(np.log10(max(hi, 1.0)))) - 1)  # 10 for €100s, 1 for €10s
    step = step * 5 if (hi - lo) / step > 40 else step
    start = (np.floor(lo / step) + 1) * step
    grid = [float(x) for x in np.arange(start, hi + step, step) if x > 0] or [float(start)]
    return [x for x in grid if x <= hi] or grid[:1]  # (baskets all alike: the next amount up)


def _evaluate(
    v: np.ndarray, t: float, band: float, topup_rate: float, shipping_cost: float | None
) -> tuple[float, float, float, float, float]:
    """One candidate's row: ``threshold, uplift_per_order, share_near, share_above,
    shipping_cost`` (the module docstring's formulas)."""
    n = len(v)
    near = (v >= (1 - band) * t) & (v < t)
    above = v >= t
    uplift = topup_rate * float((t - v[near]).sum()) / n
    cost = (
        shipping_cost * (above.sum() + topup_rate * near.sum()) / n
        if shipping_cost is not None
        else np.nan
    )
    return t, uplift, float(near.mean()), float(above.mean()), cost


def free_shipping_threshold(
    basket_values: Sequence[float] | np.ndarray | pd.Series,
    *,
    band: float = 0.25,
    topup_rate: float = 0.3,
    shipping_cost: float | None = None,
    candidates: Sequence[float] | None = None,
    current: float | None = None,
) -> ShippingThreshold:
    """The free-shipping threshold that most raises expected order value (module docstring).

    With ``current`` (today's threshold) only candidates above it count, and when none raises
    order value more than ``current`` does, the result keeps ``current``.
    """
    v = np.asarray(pd.Series(basket_values).dropna(), dtype=float)
    v = v[v > 0]
    if len(v) == 0:
        raise ValueError("no basket values: a threshold needs orders with a positive value")
    if not 0 < band < 1 or not 0 < topup_rate <= 1:
        raise ValueError("band must be in (0, 1) and topup_rate in (0, 1]")
    grid = sorted(set(candidates)) if candidates is not None else _round_candidates(v)
    if current is not None:
        # above today's threshold, and not charging shipping again on too many orders
        grid = [
            t
            for t in grid
            if t > current and _share_between(v, current, t) <= MAX_SHARE_LOSING_FREE
        ]
    columns = ["threshold", "uplift_per_order", "share_near", "share_above", "shipping_cost"]
    table = pd.DataFrame(
        [_evaluate(v, t, band, topup_rate, shipping_cost) for t in grid], columns=columns
    )
    today = (
        pd.Series(_evaluate(v, current, band, topup_rate, shipping_cost), index=columns)
        if current is not None
        else None
    )
    ranked = table.sort_values(["uplift_per_order", "threshold"], ascending=[False, True])
    beats = today is None or bool(
        len(ranked) and ranked.uplift_per_order.iloc[0] > today.uplift_per_order
    )
    best = ranked.iloc[0] if beats else today
    return ShippingThreshold(
        threshold=float(best.threshold),
        uplift_per_order=float(best.uplift_per_order),
        share_near=float(best.share_near),
        share_above=float(best.share_above),
        shipping_cost_per_order=None if shipping_cost is None else float(best.shipping_cost),
        median_basket=float(np.median(v)),
        candidates=table,
        band=band,
        topup_rate=topup_rate,
        current=current,
        current_uplift_per_order=None if today is None else float(today.uplift_per_order),
        current_shipping_cost_per_order=(
            None if today is None or shipping_cost is None else float(today.shipping_cost)
        ),
        keep_current=not beats,
        share_losing_free=(
            None if current is None else _share_between(v, current, float(best.threshold))
        ),
        orders=len(v),
    )


def _share_between(v: np.ndarray, low: float, high: float) -> float:
    """The share of baskets from ``low`` up to (not including) ``high``: the orders that ship
    free today and would pay shipping under a threshold raised from ``low`` to ``high``."""
    return float(((v >= low) & (v < high)).mean())


def session_steps(
    events: pd.DataFrame | Visits, purchased: Iterable[Any] | None = None
) -> pd.DataFrame:
    """One row per session: the furthest funnel step reached (flags are cumulative).

    ``events``: an events frame, or its :class:`~shopperlens.playbooks.visits.Visits`. A
    session that purchased counts as having viewed, carted and checked out even when the
    source did not record those events, so every step's count includes the later steps.
    Columns: ``session_id, visitor_id, customer_id, started_at`` + one bool per step, in the
    order the sessions started.

    ``purchased``, the ids of the sessions that bought, overrides the purchase events: pass
    the sessions :func:`~shopperlens.playbooks.traffic.sessions_from_events` finds purchased
    with the shop's orders, so the funnel counts the purchases the sources table counts. A
    session whose order was imported without a purchase event then bought (and so passed
    every step before); one whose purchase event stands for a cancelled or refunded order, or
    repeats one another session holds (a thank-you page loaded again), did not, and reached
    what its other events reached. Without it, the purchase events alone say who bought.
    """
    s = visits_of(events).sessions
    last = len(FUNNEL_STEPS)
    level = s.level
    if purchased is not None:  # the purchase step is the given sessions, not the events
        level = s.level_unbought.where(~among(s.session_id, purchased), last)
    out = s[["session_id", "visitor_id", "customer_id", "started_at"]].reset_index(drop=True)
    for k, step in enumerate(FUNNEL_STEPS, start=1):
        out[step] = (level >= k).to_numpy(bool)
    return out


def funnel(steps: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Sessions reaching each step, conversion from the previous step and drop-off.

    ``steps`` comes from :func:`session_steps` (optionally with a grouping column ``by``, e.g.
    ``type`` or ``source``). Returns one row per (group, step): ``sessions``, ``rate_from_prev``
    (share of the previous step's sessions that got here; the first step is relative to all
    sessions), ``drop_off`` (1 − rate_from_prev) and ``rate_from_start``.

    A rate after a step no session reached is unknown (NaN, shown as "–"), not 0: 0 of 0
    sessions going on is no measured loss, and "rate 0, drop-off 0" read as both at once.
    """
    groups = [(None, steps)] if by is None else list(steps.groupby(by, dropna=False))
    rows = []
    for key, part in groups:
        prev = len(part)
        total = len(part)
        for step in FUNNEL_STEPS:
            count = int(part[step].sum())
            rate = count / prev if prev else np.nan
            rows.append(
                {
                    **({by: key} if by else {}),
                    "step": step,
                    "sessions": count,
                    "rate_from_prev": rate,
                    "drop_off": 1 - rate,
                    "rate_from_start": count / total if total else np.nan,
                }
            )
            prev = count
    return pd.DataFrame(rows)


#: a cart keeps what was added this many days before the shopper's last add (shops expire
#: carts; a product put in the cart a year ago is not waiting to be bought)
CART_DAYS = 30


def abandoned_carts(
    events: pd.DataFrame | Visits,
    *,
    since: pd.Timestamp | None = None,
    cart_days: int = CART_DAYS,
    orders: pd.DataFrame | None = None,
    prices: pd.Series | None = None,
) -> pd.DataFrame:
    """Shoppers who left products in their cart after their last purchase: the recovery list.

    A customer's last purchase is the later of their last purchase event and, with
    ``orders`` (``customer_id, ordered_at``: the orders that were bought), their last order:
    a shop whose orders are imported apart from its events (which then may hold no purchase
    event at all) has carts its customers went on to order, and those are not abandoned. An
    order given by its day only (at midnight) counts as placed at the end of its day.

    The cart is what is still in it: each product added since the last purchase, within
    ``cart_days`` of the shopper's last add of any product (one removed again included:
    :func:`_cart_start`), whose latest cart event is an add, not a removal,
    counted once at the value of that add (an add and a removal at the same time cancel out,
    :func:`_latest_last`). Summing every add instead counts a product added on
    five visits five times, and one removed again as well — for shoppers who never buy, a year
    of adds. Adds without a product id cannot be removed and each counts.

    An add whose event carries no ``value`` is valued at its product's price in ``prices``
    (product id → price). Grouped by customer when known, else by visitor. Returns
    ``customer_id, visitor_id, last_cart_at, products`` (the product ids in the cart) and
    ``cart_value``: NaN (unknown, not 0) when a product in the cart has neither a value nor a
    price.
    """
    cols = ["customer_id", "visitor_id", "last_cart_at", "products", "cart_value"]
    events = visits_of(events).events  # the purchase and cart events (and sign-ups) alone
    if events.empty:
        return pd.DataFrame(columns=cols)
    name = events.event_name.str.lower()
    read = name.isin(FUNNEL_STEPS["purchase"] + FUNNEL_STEPS["cart"] + CART_REMOVALS)
    ev = events[read].assign(name=name[read])
    ev["who"] = ev.customer_id.fillna("visitor:" + ev.visitor_id.fillna(""))
    last_purchase = ev[ev["name"].isin(FUNNEL_STEPS["purchase"])].groupby("who").timestamp.max()
    if orders is not None and len(orders):
        bought = orders.dropna(subset=["customer_id", "ordered_at"])
        last_order = placed_by(pd.to_datetime(bought.ordered_at)).groupby(bought.customer_id).max()
        both = [s.astype("datetime64[us]") for s in (last_purchase, last_order) if len(s)]
        if both:
            last_purchase = pd.concat(both).groupby(level=0).max()
    carts = ev[ev["name"].isin(FUNNEL_STEPS["cart"] + CART_REMOVALS)].copy()
    if "value" not in carts:
        carts["value"] = float("nan")
    carts["value"] = pd.to_numeric(carts["value"], errors="coerce")
    if prices is not None and len(prices):
        carts["value"] = carts["value"].fillna(carts.product_id.map(prices))
    carts["added"] = carts["name"].isin(FUNNEL_STEPS["cart"])
    # no purchase at all (events of lookers only): mapping an empty datetime series raises
    carts["last_purchase"] = (
        carts.who.map(last_purchase) if len(last_purchase) else pd.Series(pd.NaT, index=carts.index)
    )
    carts = carts[carts.last_purchase.isna() | (carts.timestamp > carts.last_purchase)]
    if since is not None:
        carts = carts[carts.timestamp >= since]
    fresh = _cart_start(carts, cart_days)
    # the latest cart event of each (shopper, product); adds without a product stay as they are
    carts = _latest_last(carts)
    known = carts[carts.product_id.notna()].drop_duplicates(["who", "product_id"], keep="last")
    inside = pd.concat([known, carts[carts.product_id.isna()]])
    inside = inside[inside["added"]]
    if inside.empty:
        return pd.DataFrame(columns=cols)
    inside = inside[inside.timestamp >= inside.who.map(fresh)]
    g = inside.groupby("who")
    valued = g.value.count() == g.size()  # every product in the cart has a value
    # each cart's distinct product ids in order, grouped once (a sort of each group in Python
    # took minutes for a shop's hundreds of thousands of carts)
    held = inside[["who", "product_id"]].dropna().drop_duplicates().sort_values("product_id")
    products = held.groupby("who").product_id.agg(list)
    out = pd.DataFrame(
        {
            "customer_id": g.customer_id.first(),
            "visitor_id": g.visitor_id.first(),
            "last_cart_at": g.timestamp.max(),
            "cart_value": g.value.sum().where(valued),
        }
    )
    out.insert(3, "products", [products.get(who, []) for who in out.index])
    return out.sort_values("last_cart_at", ascending=False).reset_index(drop=True)[cols]


def _cart_start(carts: pd.DataFrame, cart_days: int) -> pd.Series:
    """Per shopper, the earliest add their cart still holds: ``cart_days`` before their last
    add of any product, kept in the cart or removed again. Anchored at the last add still in
    the cart instead, a shopper whose newest product was taken out again had a cart of
    products added months before, which the shop's cart no longer holds."""
    adds = carts[carts["added"]]
    return adds.groupby("who").timestamp.max() - pd.Timedelta(days=cart_days)


def _latest_last(carts: pd.DataFrame) -> pd.DataFrame:
    """``carts`` in time order, a removal after an add at the same time: an add and a removal
    of one product at the same time cancel out, whichever the file lists first. Which came
    first cannot be told from the time, and a recovery e-mail for a product the shopper took
    out is the worse mistake; other ties keep the order the events came in."""
    keys = pd.DataFrame({"t": carts.timestamp.to_numpy(), "removal": ~carts["added"].to_numpy()})
    return carts.iloc[keys.sort_values(["t", "removal"], kind="stable").index.to_numpy()]


def given_by_day(ordered_at: pd.Series) -> pd.Series:
    """Whether each order time is exactly midnight: an order given by its day only (a
    ``YYYY-MM-DD`` orders file), which may have been placed at any time of that day."""
    return ordered_at == ordered_at.dt.normalize()


def placed_by(ordered_at: pd.Series) -> pd.Series:
    """When each order was placed at the latest: one given by its day only
    (:func:`given_by_day`) counts as placed at the day's end — read as midnight, every cart of
    the day the customer then ordered was "abandoned"."""
    day_end = ordered_at + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return ordered_at.where(~given_by_day(ordered_at), day_end)


def exit_pages(
    events: pd.DataFrame | Visits, *, top: int = 10, purchased: Iterable[Any] | None = None
) -> pd.DataFrame:
    """Where sessions that did not buy end: ``page, exits, share`` (the pages that lose them).

    The exit page is the ``page`` of the session's last event that has one, without its query
    string or fragment: ``/cart?email=ann@…&utm_source=…`` is the page ``/cart`` (a query may
    carry personal data or tracking tags, and would split one page into many).

    ``purchased`` (session ids, as for :func:`session_steps`) says which sessions bought;
    without it, those with a purchase event did.
    """
    cols = ["page", "exits", "share"]
    s = visits_of(events).sessions
    bought = purchased if purchased is not None else s.session_id[s.level >= len(FUNNEL_STEPS)]
    s = s[s.exit_page.notna() & ~among(s.session_id, bought)].sort_values("session_id")
    if s.empty:
        return pd.DataFrame(columns=cols)
    last = s.exit_page.astype(str).str.split(r"[?#]", n=1, regex=True).str[0]
    out = last.value_counts().rename("exits").reset_index()
    out.columns = ["page", "exits"]
    out["share"] = out.exits / len(last)
    return out.head(top)[cols]


def visits_to_first_purchase(steps: pd.DataFrame) -> pd.Series:
    """Per buying customer, the sessions up to and including the first one that purchased.

    ``steps`` from :func:`session_steps` (with ``customer_id`` resolved, and ``purchased``
    for the purchases the orders confirm). Lookers "come back several times before buying":
    this measures how many times.
    """
    s = steps.dropna(subset=["customer_id"]).sort_values("started_at")
    s = s.assign(n=s.groupby("customer_id").cumcount() + 1)
    first = s[s.purchase].groupby("customer_id").n.min()
    return first.astype(int)
