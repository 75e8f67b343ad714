"""A customer's first steps and first questions: sign-ups before a first order, support after one.

Two playbook actions rest on these figures. New customers' "streamlined onboarding" asks how
people get to their first order: whether they signed up before it or checked out as guests,
how many sign-ups never led to an order, and how many visits that reached checkout before a
shopper's first purchase ended without one. Impulse buyers' "easy access to support" asks where
they ask for help (the tickets' channel: e-mail, chat, phone …) and whether their questions
follow an order closely — the mission's "hasty purchase, then questions".

Everything here is pure pandas over frames the service reads: ``events`` (``session_id,
visitor_id, customer_id, timestamp, event_name``, the customer resolved through identities;
or their :class:`~shopperlens.playbooks.visits.Visits`),
``orders`` (``customer_id, ordered_at``), the per-session ``steps`` of
:func:`~shopperlens.playbooks.checkout.session_steps` (with the purchases the orders confirm)
and ``tickets`` (``customer_id, created_at, channel``). Event names are matched lower-cased, as
the funnel matches its steps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from shopperlens.playbooks.checkout import given_by_day
from shopperlens.playbooks.visits import SIGN_UPS, Visits, visits_of

__all__ = [
    "AFTER_ORDER_DAYS",
    "SIGN_UPS",
    "Onboarding",
    "checkouts_before_first_purchase",
    "first_orders",
    "new_customer_sign_ups",
    "onboarding",
    "sign_ups_without_order",
    "tickets_after_orders",
]

#: a ticket at most this many days after one of its customer's orders follows that order
AFTER_ORDER_DAYS = 2


@dataclass(frozen=True)
class Onboarding:
    """How shoppers reach their first order, as the visit data show it.

    ``sign_up_events`` says whether the visit data hold any sign-up: without one, who signed
    up is unknown, not "nobody". ``new_with_visits`` counts the new customers whose visits are
    on record, ``covered`` those of them who became customers within the visit data (first
    order and customer record not before its first event: a sign-up before it cannot be seen,
    see :func:`new_customer_sign_ups`); of these ``signed_first`` signed up before or at their
    first order, the others ordered as guests, ``signed_later`` of whom signed up afterwards.
    ``signed_up`` counts the people (customers, else visitors) with a sign-up,
    ``without_order`` those of them with no order at all. ``checkouts`` counts the visits that
    reached checkout before their shopper's first purchase (None: the visit data record no
    checkout step, so every visit "reaching" it would be a purchase), ``checkouts_lost`` those
    that did not buy.
    """

    sign_up_events: bool
    new_with_visits: int = 0
    covered: int = 0
    signed_first: int = 0
    signed_later: int = 0
    signed_up: int = 0
    without_order: int = 0
    checkouts: int | None = None
    checkouts_lost: int = 0

    @property
    def guests(self) -> int:
        """The covered new customers who placed their first order without a sign-up before."""
        return self.covered - self.signed_first


def _sign_ups(v: Visits) -> pd.DataFrame:
    """The sign-up events with ``customer_id`` resolved: their own, else the customer their
    visitor's visits name first (a sign-up before logging in is the account's first event).
    Only the visits of those visitors are looked up, not every session of the shop."""
    e = v.events
    e = e[e.event_name.astype("string").str.lower().isin(SIGN_UPS).fillna(False).to_numpy(bool)]
    unnamed = e.visitor_id[e.customer_id.isna()]
    if unnamed.empty:
        return e
    s = v.sessions
    s = s[s.customer_id.notna() & s.visitor_id.isin(set(unnamed))]
    first = s.customer_id.groupby(s.visitor_id).first()
    return e.assign(customer_id=e.customer_id.fillna(e.visitor_id.map(first)))


def _who(customer: pd.Series, visitor: pd.Series) -> pd.Series:
    """A person's key: the customer id, else the visitor id (kept apart from customer ids)."""
    return customer.astype(object).where(customer.notna(), "visitor:" + visitor.astype(str))


def first_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """Each customer's first order: ``ordered_at`` as recorded and ``placed_by``, when it was
    placed at the latest — an order given by its day only (at midnight) may have been placed
    at any time of that day, so a sign-up that day may have come before it."""
    o = orders.dropna(subset=["customer_id", "ordered_at"])
    first = pd.to_datetime(o.ordered_at).groupby(o.customer_id).min()
    end = first + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return pd.DataFrame({"ordered_at": first, "placed_by": end.where(given_by_day(first), first)})


def new_customer_sign_ups(
    events: pd.DataFrame | Visits,
    orders: pd.DataFrame,
    new_customers: Iterable[Any],
    created: pd.Series | None = None,
) -> tuple[int, int, int, int]:
    """Of the ``new_customers``: how many have visits on record, how many of those became
    customers within the visit data, how many of these signed up before or at their first
    order, and how many of the others (guests) signed up later.

    A customer became one within the visit data when their first order came at or after its
    first event and their customer record (``created``: customer id → ``created_at``, when
    known) was not created before it: a sign-up before the visit data begin cannot be seen,
    and a customer registered a year ago read as a guest."""
    v = visits_of(events)
    first = first_orders(orders)
    new = pd.Index(pd.Series(list(new_customers), dtype=object).dropna().unique())
    seen = new[new.isin(v.customers)]  # every customer an event names
    start = pd.to_datetime(v.sessions.started_at).min() if len(v) else pd.NaT
    firsts = first.reindex(seen).dropna(subset=["ordered_at"])
    if pd.isna(start):
        return len(seen), 0, 0, 0
    within = firsts.ordered_at >= start
    if created is not None and len(created):
        since = pd.to_datetime(firsts.index.to_series().map(created))
        within &= since.isna() | (since >= start)
    covered = firsts[within]
    sign_ups = _sign_ups(v)
    signed = pd.to_datetime(sign_ups.timestamp).groupby(sign_ups.customer_id)
    earliest = signed.min().reindex(covered.index)
    before = earliest <= covered.placed_by
    later = earliest.notna() & ~before
    return len(seen), len(covered), int(before.sum()), int(later.sum())


def sign_ups_without_order(
    events: pd.DataFrame | Visits, orders: pd.DataFrame, steps: pd.DataFrame
) -> tuple[int, int]:
    """How many people signed up, and how many of them never ordered: no order of theirs
    (``orders``) and no visit of theirs that purchased (``steps``, for the visitors no
    customer id names)."""
    sign_ups = _sign_ups(visits_of(events))
    people = pd.DataFrame(
        {
            "who": _who(sign_ups.customer_id, sign_ups.visitor_id),
            "customer_id": sign_ups.customer_id,
            "visitor_id": sign_ups.visitor_id,
        }
    ).drop_duplicates("who")
    buyers = set(orders.customer_id.dropna())
    if len(steps):
        bought = steps[steps.purchase.fillna(False).astype(bool)]
        buyers |= set(bought.customer_id.dropna())
        buying_visitors = set(bought.visitor_id.dropna())
    else:
        buying_visitors = set()
    ordered = people.customer_id.isin(buyers) | (
        people.customer_id.isna() & people.visitor_id.isin(buying_visitors)
    )
    return len(people), int((~ordered).sum())


def checkouts_before_first_purchase(
    events: pd.DataFrame | Visits, steps: pd.DataFrame, orders: pd.DataFrame
) -> tuple[int, int] | None:
    """The visits that reached checkout before their shopper's first purchase, and how many
    of them did not buy; None when no event is a checkout step (then only purchases would
    count as reaching checkout, and none could be lost).

    A visit comes before a shopper's first purchase when none of the shopper's earlier visits
    purchased and the customer's first order was not placed before it started (one given by
    its day only may have been placed at the day's end)."""
    if not len(steps) or not visits_of(events).sessions.checkout_event.any():
        return None
    s = steps.sort_values("started_at", kind="stable")
    who = _who(s.customer_id, s.visitor_id)
    bought = s.purchase.fillna(False).astype(bool)
    bought_before = bought.astype(int).groupby(who).cumsum() > bought.astype(int)
    # an order given by its day only was placed by the day's end: its day's visits came first
    first = first_orders(orders).placed_by
    # looked up, not mapped: mapping through the empty times of a shop with no order yet
    # raised; a customer without an order is NaT, before nothing
    placed = pd.Series(first.reindex(s.customer_id.to_numpy()).to_numpy(), index=s.index)
    ordered_before = placed < pd.to_datetime(s.started_at)
    mask = s.checkout.fillna(False).astype(bool) & ~bought_before & ~ordered_before.fillna(False)
    first_time = s[mask.to_numpy(bool)]
    return len(first_time), int((~first_time.purchase.astype(bool)).sum())


def onboarding(
    events: pd.DataFrame | Visits,
    orders: pd.DataFrame,
    steps: pd.DataFrame,
    new_customers: Iterable[Any],
    created: pd.Series | None = None,
) -> Onboarding:
    """The :class:`Onboarding` figures of a shop's visit data (``created``: each customer's
    ``created_at``, see :func:`new_customer_sign_ups`)."""
    v = visits_of(events)
    checkouts = checkouts_before_first_purchase(v, steps, orders)
    n, lost = checkouts if checkouts is not None else (None, 0)
    if not len(v) or _sign_ups(v).empty:
        return Onboarding(sign_up_events=False, checkouts=n, checkouts_lost=lost)
    seen, covered, first, later = new_customer_sign_ups(v, orders, new_customers, created)
    signed_up, without = sign_ups_without_order(v, orders, steps)
    return Onboarding(
        sign_up_events=True,
        new_with_visits=seen,
        covered=covered,
        signed_first=first,
        signed_later=later,
        signed_up=signed_up,
        without_order=without,
        checkouts=n,
        checkouts_lost=lost,
    )


def tickets_after_orders(
    tickets: pd.DataFrame, orders: pd.DataFrame, days: float = AFTER_ORDER_DAYS
) -> pd.DataFrame:
    """The customers' tickets with their ``channel`` (trimmed, lower case; None when not
    recorded) and ``after_order``: whether the ticket came at most ``days`` after one of its
    customer's orders (an order given by its day only counts from the start of that day).
    Tickets naming no customer are left out: nobody's type, nobody's order."""
    cols = ["customer_id", "created_at", "channel", "after_order"]
    t = tickets.dropna(subset=["customer_id", "created_at"])
    if t.empty:
        return pd.DataFrame(columns=cols)
    channel = t.channel if "channel" in t else pd.Series(None, index=t.index, dtype=object)
    channel = channel.astype("string").str.strip().str.lower()
    t = t.assign(
        created_at=pd.to_datetime(t.created_at).astype("datetime64[ns]"),
        channel=channel.where(channel.notna() & (channel != ""), None).astype(object),
        customer_id=t.customer_id.astype(str),
        row=range(len(t)),
    ).sort_values("created_at", kind="stable")
    o = orders.dropna(subset=["customer_id", "ordered_at"])
    o = pd.DataFrame(
        {
            "customer_id": o.customer_id.astype(str),
            "ordered_at": pd.to_datetime(o.ordered_at).astype("datetime64[ns]"),
        }
    ).sort_values("ordered_at", kind="stable")
    last = pd.merge_asof(
        t, o, left_on="created_at", right_on="ordered_at", by="customer_id", direction="backward"
    )
    # no earlier order: the gap is NaT, which is within no number of days
    last["after_order"] = last.created_at - last.ordered_at <= pd.Timedelta(days=days)
    return last.sort_values("row")[cols].reset_index(drop=True)
