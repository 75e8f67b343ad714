"""The demo shop's people and everything they do: sessions, orders, tickets, returns, consents.

Each person gets a planted *group* (a customer type, or a movement between types) and then a
year of behaviour written to match MISSION.md part 1:

- ``need_based``: product-specific Google searches (``utm_term``, on-site ``search_term``),
  two to four pages, straight to the product, one category, 1–3 orders spread out;
- ``looker_*``: many long sessions from social, referral and informational searches, carts
  filled and abandoned, no orders (most anonymous, some registered);
- ``new_first`` / ``new_category`` / ``looker_to_new``: a first purchase in the last 3–35 days,
  ever or in a category never bought before;
- ``loyal`` / ``looker_to_loyal``: 5+ orders at regular gaps from direct, e-mail and brand
  searches (the movers browse anonymously first, then buy from mid-year on);
- ``loyal_lapsing``: loyal customers who buy regularly for most of the year, then stop 125–175
  days before the end: still typed loyal (not yet "lapsed" at 180 days) but slipping away, the
  planted truth for CLV's P(alive) and "loyal at risk";
- ``impulse``: paid-social/display/e-mail campaign landings during limited-time offers,
  purchase minutes after landing with the campaign's code, more tickets and returns.

Times are seconds since the window's start while generating; the package turns them into
timestamps. Only the numpy ``Generator`` passed in draws random numbers.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from typing import Any

import numpy as np

from shopperlens.demo import catalog as cat

DAY = 86_400.0
#: (group, planted type at the end date, share of all people)
GROUPS = [
    ("need_based", "need_based", 0.22),
    ("looker_anonymous", "looker", 0.225),
    ("looker_registered", "looker", 0.075),
    ("new_first", "new", 0.07),
    ("new_category", "new", 0.05),
    ("looker_to_new", "new", 0.02),
    ("loyal", "loyal", 0.115),
    ("loyal_lapsing", "loyal", 0.03),
    ("looker_to_loyal", "loyal", 0.035),
    ("impulse", "impulse", 0.16),
]
#: persona mix per planted type (frugal, eco, busy, trendy)
TYPE_PERSONA = {
    "need_based": (0.55, 0.08, 0.30, 0.07),
    "looker": (0.35, 0.20, 0.15, 0.30),
    "new": (0.20, 0.45, 0.15, 0.20),
    "loyal": (0.10, 0.45, 0.35, 0.10),
    "impulse": (0.15, 0.10, 0.15, 0.60),
}
#: hour-of-day weights of session starts (evenings and lunch peak, nights quiet)
_HOUR_W = [
    1,
    0.5,
    0.3,
    0.3,
    0.3,
    0.5,
    1,
    2,
    3,
    3,
    3,
    3.5,
    4.5,
    4,
    3,
    3,
    3,
    3.5,
    4.5,
    6,
    6.5,
    6,
    4.5,
]
_HOUR_CUM = list(accumulate(_HOUR_W))
NEW_WINDOW = (3, 35)  # a planted first purchase lies this many days before the end


@dataclass
class Person:
    """One planted shopper; ``orders`` holds (order number, time, categories)."""

    pid: int
    group: str
    type: str
    persona: str
    visitors: list[str]
    device: str
    customer_id: str | None = None
    created: float | None = None
    orders: list[tuple[int, float, set[str]]] = field(default_factory=list)
    moves: list[tuple[float, str]] = field(default_factory=list)


class World:
    """Collects the rows every planner writes; one instance per generated shop."""

    def __init__(self, rng: np.random.Generator, start: date, days: int) -> None:
        self.rng = rng
        self.days = days
        self.products: list[tuple[str, str, str, float, str]] = []
        self.by_cat: dict[str, list[int]] = {}
        for category, items in cat.CATALOGUE:
            for name, price in items:
                self.by_cat.setdefault(category, []).append(len(self.products))
                pid = f"P{len(self.products) + 1:03d}"
                self.products.append((pid, name, category, price, cat.slug(name)))
        self.cats = [c for c, _ in cat.CATALOGUE]
        self.campaigns = []
        for name, first, length, code in cat.campaigns(start.year):
            d0 = (first - start).days
            if d0 >= 0 and d0 + length <= days:
                self.campaigns.append((name, d0, d0 + length, code))
        self.events: list[tuple[Any, ...]] = []
        self.lines: list[tuple[int, int, int, int, str | None]] = []
        self.order_meta: list[tuple[int, str, float, str | None, float]] = []
        self.tickets: list[tuple[str, float, str, str, int | None]] = []
        self.returns: list[tuple[int, str, int, float, int, str]] = []
        self.consents: list[tuple[str, str, bool, float, str]] = []
        self.n_sessions = 0

    # -- random helpers (scalar draws from the one Generator) --------------------------------
    def u(self) -> float:
        return float(self.rng.random())

    def pick(self, seq: list[Any] | tuple[Any, ...]) -> Any:
        return seq[int(self.rng.random() * len(seq))]

    def ri(self, lo: int, hi: int) -> int:
        return lo + int(self.rng.random() * (hi - lo + 1))

    def at_day(self, day: float) -> float:
        """A session start on ``day`` at a realistic hour (seconds since the start)."""
        hour = bisect.bisect(_HOUR_CUM, self.u() * _HOUR_CUM[-1])
        return int(day) * DAY + hour * 3600.0 + self.u() * 3540.0

    def spread(self, n: int, lo: float, hi: float) -> list[float]:
        """``n`` days spread over [lo, hi]: one per equal segment, so gaps stay wide."""
        width = (hi - lo) / n
        return [lo + width * (i + 0.15 + 0.7 * self.u()) for i in range(n)]

    # -- products ---------------------------------------------------------------------------
    def page(self, prod: int) -> str:
        return f"/products/{self.products[prod][4]}"

    def term(self, prod: int) -> str:
        return self.pick(cat.PRODUCT_TERM_PATTERNS).format(p=self.products[prod][1].lower())

    def in_cat(self, category: str) -> int:
        return self.pick(self.by_cat[category])

    # -- writing rows -----------------------------------------------------------------------
    def session(
        self,
        *,
        t0: float,
        visitor: str,
        device: str,
        customer_id: str | None,
        identify_from: int | None,
        source: tuple[str | None, str | None, str | None, str | None],
        landing: str,
        steps: list[tuple[float, str, str, int | None, str | None, float | None]],
    ) -> float:
        """Write one session's events; ``steps`` are (gap s, event, page, product, term, value).

        Events from step ``identify_from`` on carry ``customer_id`` (0: the whole session is
        logged in; None: anonymous), which is how identity stitching becomes necessary.
        """
        self.n_sessions += 1
        sid = f"S{self.n_sessions:07d}"
        cid0 = customer_id if identify_from == 0 else None
        utm = source
        self.events.append(
            (sid, visitor, cid0, t0, "session_start", landing, None, *utm, device, None, None)
        )
        self.events.append(
            (sid, visitor, cid0, t0, "page_view", landing, None, *utm, device, None, None)
        )
        t = t0
        for k, (gap, name, page, prod, term, value) in enumerate(steps, start=1):
            t += gap
            cid = customer_id if identify_from is not None and k >= identify_from else None
            product_id = None if prod is None else self.products[prod][0]
            self.events.append(
                (
                    sid,
                    visitor,
                    cid,
                    t,
                    name,
                    page,
                    product_id,
                    None,
                    None,
                    None,
                    None,
                    device,
                    term,
                    value,
                )
            )
        return t

    def view(self, prod: int, dwell: float) -> list[tuple[Any, ...]]:
        page = self.page(prod)
        return [
            (dwell, "page_view", page, None, None, None),
            (2.0, "view_item", page, prod, None, None),
        ]

    def search(self, term: str, dwell: float) -> list[tuple[Any, ...]]:
        page = "/search?q=" + term.replace(" ", "+")
        return [
            (dwell, "page_view", page, None, None, None),
            (1.0, "view_search_results", page, None, term, None),
        ]

    def order(self, p: Person, t: float, items: list[tuple[int, int]], code: str | None) -> float:
        """Record an order (one line per item); returns its value for the purchase event."""
        no = len(self.order_meta)
        value = sum(self.products[i][3] * q for i, q in items)
        shipping = 0.0 if value >= 50 else 4.95
        for line_no, (prod, qty) in enumerate(items, start=1):
            self.lines.append((no, line_no, prod, qty, code))
        assert p.customer_id is not None
        self.order_meta.append((no, p.customer_id, t, code, shipping))
        p.orders.append((no, t, {self.products[i][2] for i, _ in items}))
        return round(value, 2)

    def checkout(
        self,
        p: Person,
        items: list[tuple[int, int]],
        code: str | None,
        steps: list[Any],
        *,
        t0: float,
        pace: float = 1.0,
        sign_up: bool = False,
    ) -> tuple[list[Any], int]:
        """Append cart → checkout → purchase steps; returns steps and where identity starts."""
        for prod, _ in items:
            steps.append(
                (
                    self.ri(5, 40) * pace,
                    "add_to_cart",
                    self.page(prod),
                    prod,
                    None,
                    self.products[prod][3],
                )
            )
        steps.append((self.ri(5, 20) * pace, "page_view", "/cart", None, None, None))
        ident = len(steps) + 1
        if sign_up:
            steps.append((self.ri(20, 60) * pace, "sign_up", "/account/sign-up", None, None, None))
        steps.append((self.ri(5, 20) * pace, "begin_checkout", "/checkout", None, None, None))
        gap = self.ri(40, 120) * pace
        value = self.order(p, t0 + sum(s[0] for s in steps) + gap, items, code)
        steps.append((gap, "purchase", "/checkout/thank-you", None, None, value))
        return steps, ident

    def after_order(
        self,
        p: Person,
        t: float,
        *,
        ticket_rate: float,
        return_p: float,
        topics: list[str],
        reasons: list[str],
    ) -> None:
        """Support tickets and returns that follow an order (impulse buyers get more)."""
        no = p.orders[-1][0]
        assert p.customer_id is not None
        for _ in range(int(self.rng.poisson(ticket_rate))):
            topic = self.pick(topics)
            channel = self.pick(["email", "email", "chat", "phone"])
            self.tickets.append((p.customer_id, t + (0.1 + 7 * self.u()) * DAY, topic, channel, no))
        if self.u() < return_p:
            lines = [ln for ln in self.lines[-8:] if ln[0] == no]
            ln = self.pick(lines)
            self.returns.append(
                (no, p.customer_id, ln[2], t + (5 + 15 * self.u()) * DAY, 1, self.pick(reasons))
            )

    def consent(self, p: Person, purpose: str, granted: bool, t: float, source: str) -> None:
        assert p.customer_id is not None
        self.consents.append((p.customer_id, purpose, granted, t, source))

    def register(self, p: Person, t: float, source: str) -> None:
        """The moment a visitor becomes a customer (sign-up or first checkout)."""
        if p.created is None:
            p.created = t
            keen = 0.92 if p.type == "loyal" else 0.66
            self.consent(p, "marketing", self.u() < keen, t, source)
