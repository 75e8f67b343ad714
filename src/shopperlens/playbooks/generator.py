"""The playbook generator: each action from the mission, with this shop's evidence and priority.

For every customer type the mission lists what a shop should do. :func:`build_playbook` turns
each of those actions into an :class:`Action` holding the numbers from this shop that justify
it (``evidence``), the people to act on (``audience`` — a segment expression that
``shopperlens audience export --segment`` accepts, and its size) and a *priority*: the
revenue at stake, a deliberately simple estimate whose formula is written in ``basis`` so the
owner can judge it (None when this shop's data give no estimate: "EUR 0 at stake" would rank
an action as worthless when it is only unmeasured). Constants behind the estimates are in
:data:`ASSUMPTIONS`.

How many of an audience an export reaches (``known``, ``without_consent``, ``exportable``) is
filled in by the service, which runs the printed export command's own selection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shopperlens.playbooks.checkout import MAX_OVER_MEDIAN, MAX_SHARE_LOSING_FREE

__all__ = [
    "ASSUMPTIONS",
    "TYPES",
    "Action",
    "Evidence",
    "at_stake",
    "build_playbook",
    "export_command",
    "reach_text",
    "render_markdown",
    "stake_text",
]

TYPES: tuple[str, ...] = ("need_based", "looker", "new", "loyal", "impulse")
TYPE_TITLES: dict[str, str] = {
    "need_based": "Need-based customers",
    "looker": "Lookers (browsers)",
    "new": "New customers",
    "loyal": "Loyal customers",
    "impulse": "Impulse buyers",
}

#: the constants behind the revenue-at-stake estimates (stated in each action's ``basis``)
ASSUMPTIONS: dict[str, float] = {
    "cart_recovery_rate": 0.10,  # share of abandoned carts a recovery e-mail wins back
    "lead_conversion_rate": 0.05,  # share of captured leads that place a first order
    "loyalty_program_lift": 0.05,  # extra revenue from a rewards programme on loyal revenue
    "bad_service_churn": 0.61,  # the mission: 61 % leave after one bad service incident
    "bad_ticket_share": 0.10,  # share of tickets that end as a bad service experience
    "search_visit_win_rate": 0.05,  # share of non-buying product searches a better page wins
    "referral_orders": 1.0,  # orders one referral brings
}


@dataclass
class Evidence:
    """Everything the generator reads, computed by the service from the shop's data.

    ``customers`` has ``customer_id, type, orders, revenue``; ``visitors`` ``visitor_id, type``
    (every subject, buying or not); ``funnel`` the per-type funnel; ``abandoned`` the cart
    recovery list with ``type``; ``keywords`` the keyword table; ``sources`` the source table;
    the rest are scalars or small frames from the other analyses.
    """

    customers: pd.DataFrame
    visitors: pd.DataFrame
    aov: float
    funnel: pd.DataFrame
    abandoned: pd.DataFrame
    keywords: pd.DataFrame
    sources: pd.DataFrame
    threshold: Any = None  # checkout.ShippingThreshold or None
    n_carousels: int = 0
    n_upsell_customers: int = 0
    repeat_rate: float = 0.0
    case_study: pd.DataFrame = field(default_factory=pd.DataFrame)
    loyal_at_risk: pd.DataFrame = field(default_factory=pd.DataFrame)
    exit_pages: pd.DataFrame = field(default_factory=pd.DataFrame)  # of lookers' sessions
    visits_to_purchase: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    referral: pd.DataFrame = field(default_factory=pd.DataFrame)
    tickets: pd.DataFrame = field(default_factory=pd.DataFrame)  # tickets_per_order
    topics: pd.DataFrame = field(default_factory=pd.DataFrame)
    offers: pd.DataFrame = field(default_factory=pd.DataFrame)
    currency: str = "EUR"


@dataclass
class Action:
    """One action of one type's playbook.

    ``priority`` is the revenue at stake, None when there is no estimate. ``audience_size``
    counts the people the action is about (anonymous visitors included); ``known`` is how
    many of them :func:`export_command` selects (customers on record), ``without_consent``
    how many of those lack marketing consent and ``exportable`` how many rows it writes.
    """

    type: str
    number: int
    title: str
    evidence: list[str]
    priority: float | None
    basis: str
    audience: str
    audience_size: int
    known: int | None = None
    without_consent: int | None = None
    exportable: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _n(df: pd.DataFrame, type_: str, col: str = "type") -> int:
    return int((df[col] == type_).sum()) if len(df) and col in df else 0


def _row(df: pd.DataFrame, type_: str) -> dict[str, Any]:
    if not len(df) or "type" not in df:
        return {}
    hit = df[df.type == type_]
    return hit.iloc[0].to_dict() if len(hit) else {}


def _money(v: float, cur: str) -> str:
    return f"{cur} {v:,.0f}"


def _funnel_text(funnel: pd.DataFrame, type_: str) -> tuple[str, float, str]:
    """A one-line funnel, the worst step's drop-off and its name.

    Lookers never purchase by definition, so their worst step is looked for before purchase.
    """
    f = funnel[funnel.type == type_] if len(funnel) and "type" in funnel else funnel.iloc[0:0]
    if f.empty:
        return "no browsing events recorded", 0.0, ""
    line = " → ".join(f"{r.step} {int(r.sessions):,}" for r in f.itertuples())
    later = f.iloc[1:]
    if type_ == "looker":
        later = later[later.step != "purchase"]
    worst = later.loc[later.drop_off.idxmax()] if len(later) else f.iloc[0]
    return line, float(worst.drop_off), str(worst.step)


def _abandoned(ev: Evidence, type_: str) -> tuple[int, float]:
    a = ev.abandoned
    if not len(a) or "type" not in a:
        return 0, 0.0
    a = a[a.type == type_]
    value = float(a.cart_value.sum()) if "cart_value" in a else 0.0
    return len(a), value if value > 0 else len(a) * ev.aov


def _dropoff_text(drop: float, step: str) -> str:
    """The worst funnel step, or plainly that there is no funnel (not "0% before –")."""
    if not step:
        return "largest drop-off: unknown (no browsing events recorded)"
    return f"largest drop-off: {drop:.0%} before {step}"


def _threshold_text(thr: Any, cur: str) -> str:
    """The free-shipping advice, starting from the threshold the shop has today."""
    if thr is None:
        return "no basket values to set a free-shipping threshold"
    given = (
        f"; {_money2(thr.shipping_cost_per_order, cur)} shipping given away per order"
        if thr.shipping_cost_per_order is not None
        else ""
    )
    median = f"median basket {_money(thr.median_basket, cur)}"
    if thr.current is None:
        return (
            f"free shipping from {_money(thr.threshold, cur)} ({median}); "
            f"{thr.share_near:.0%} of orders sit just below it; "
            f"+{_money2(thr.uplift_per_order, cur)} per order expected{given}"
        )
    today = f"the shop ships free from {_money(thr.current, cur)} today ({median})"
    if thr.keep_current:
        return (
            f"{today}: keep it — no higher threshold within {MAX_OVER_MEDIAN}× the median "
            f"basket raises order value more while charging shipping again on at most "
            f"{MAX_SHARE_LOSING_FREE:.0%} of orders{given}"
        )
    if thr.current_shipping_cost_per_order is not None:
        given += f" (today {_money2(thr.current_shipping_cost_per_order, cur)})"
    return (
        f"{today}: raising it to {_money(thr.threshold, cur)} puts {thr.share_near:.0%} of "
        f"orders just below it, +{_money2(thr.extra_uplift_per_order, cur)} per order "
        f"expected{given}; {thr.share_losing_free:.0%} of orders (between the two) would pay "
        "shipping again, and the orders such a charge loses are not estimated: test it first"
    )


def _money2(v: float, cur: str) -> str:
    return f"{cur} {v:,.2f}"


def _visits_text(visits: pd.Series) -> str:
    if not len(visits):
        return "no buyer with recorded visits"
    return (
        f"buyers' first purchase came on visit {visits.median():.0f} (median); "
        f"{(visits >= 2).mean():.0%} came back at least once first"
    )


def build_playbook(ev: Evidence, types: tuple[str, ...] = TYPES) -> list[Action]:
    """Every action for the requested types, ordered as the mission lists them."""
    out: list[Action] = []
    builders = {
        "need_based": _need_based,
        "looker": _looker,
        "new": _new,
        "loyal": _loyal,
        "impulse": _impulse,
    }
    for t in types:
        out.extend(builders[t](ev))
    for action in out:
        action.priority = _estimate(action.priority)
    return out


def _estimate(value: float | None) -> float | None:
    """A money figure worth showing, else None: 0 means the data gave nothing to estimate
    from (no carts, no tickets …), and showing "EUR 0 at stake" ranks the action last."""
    if value is None or not np.isfinite(value) or value <= 0:
        return None
    return float(value)


def at_stake(actions: list[Action]) -> float:
    """The total of the actions that have an estimate."""
    return float(sum(a.priority for a in actions if a.priority is not None))


def stake_text(action: Action, currency: str = "EUR") -> str:
    """ "EUR 1,234 at stake", or "no money estimate" when there is none."""
    if action.priority is None:
        return "no money estimate"
    digits = 0 if action.priority >= 10 else 2  # a small estimate is not "EUR 0"
    return f"{currency} {action.priority:,.{digits}f} at stake"


def export_command(action: Action, destination: str = "meta") -> str:
    """The command that exports the action's audience (its segment, to an ad platform)."""
    return f'shopperlens audience export --segment "{action.audience}" --to {destination}'


def reach_text(action: Action) -> str:
    """How many of the audience the export writes, and why the others cannot be exported.

    The audience may count anonymous visitors (no customer record: nothing to export) and
    customers without marketing consent (a marketing destination never receives them).
    """
    if action.known is None or action.exportable is None:
        return ""
    anonymous = max(0, action.audience_size - action.known)
    no_consent = action.without_consent or 0
    no_address = max(0, action.known - no_consent - action.exportable)
    why = [
        f"{anonymous:,} are anonymous visitors (no customer record)" if anonymous else "",
        f"{no_consent:,} customers gave no marketing consent" if no_consent else "",
        f"{no_address:,} have no usable e-mail address" if no_address else "",
    ]
    why = [w for w in why if w]
    total = max(action.audience_size, action.known)
    head = f"writes {action.exportable:,} of the {total:,}"
    return head + (": " + "; ".join(why) if why else "")


def _need_based(ev: Evidence) -> list[Action]:
    t, cur, a = "need_based", ev.currency, ASSUMPTIONS
    size = _n(ev.visitors, t)
    line, drop, step = _funnel_text(ev.funnel, t)
    n_ab, v_ab = _abandoned(ev, t)
    kw = ev.keywords
    product_kw = kw[kw.intent == "product"] if len(kw) else kw
    top = ", ".join(f"“{k}”" for k in product_kw.keyword.head(3)) if len(product_kw) else "none"
    lost_visits = int((product_kw.visits - product_kw.purchases).sum()) if len(product_kw) else 0
    # the share of product-intent visits that bought (by visits, not a mean of keywords' rates)
    kw_visits = int(product_kw.visits.sum()) if len(product_kw) else 0
    conv = float(product_kw.purchases.sum()) / kw_visits if kw_visits else 0.0
    thr = ev.threshold
    buyers = ev.customers[ev.customers.type == t] if len(ev.customers) else ev.customers
    n_orders = int(buyers.orders.sum()) if len(buyers) else 0
    uplift = thr.extra_uplift_per_order * n_orders if thr is not None else 0.0
    thr_text = _threshold_text(thr, cur)
    return [
        Action(t, 1, "Frictionless purchase: remove checkout friction",
               [f"funnel: {line}", _dropoff_text(drop, step),
                f"{n_ab:,} need-based shoppers left a cart"],
               a["cart_recovery_rate"] * v_ab,
               f"abandoned cart value {_money(v_ab, cur)} × recovery rate "
               f"{a['cart_recovery_rate']:.0%}",
               "type == 'need_based'", size),
        Action(t, 2, "Know where they come from: sources and product keywords",
               [f"top product-intent keywords: {top}",
                f"{lost_visits:,} product-intent visits did not buy "
                f"(their conversion rate {conv:.1%})"],
               lost_visits * a["search_visit_win_rate"] * ev.aov,
               f"non-buying product-intent visits × {a['search_visit_win_rate']:.0%} won × "
               "average order",
               "type == 'need_based'", size),
        Action(t, 3, "Personalised upsell: carousels, bundles and a free-shipping threshold",
               [thr_text, f"{ev.n_carousels:,} products have a “frequently bought together” list",
                f"{ev.n_upsell_customers:,} customers have personal upsell picks"],
               uplift,
               "expected order-value uplift per order (over today's threshold) × need-based "
               "orders", "type == 'need_based'", size),
    ]  # fmt: skip


def _looker(ev: Evidence) -> list[Action]:
    t, cur, a = "looker", ev.currency, ASSUMPTIONS
    size = _n(ev.visitors, t)
    line, drop, step = _funnel_text(ev.funnel, t)
    n_ab, v_ab = _abandoned(ev, t)
    return [
        Action(t, 1, "Capture interest: lead magnets and a first-order discount",
               [f"{size:,} lookers browse without buying",
                "offer a free guide or 10 % off the first order for an e-mail address"],
               size * a["lead_conversion_rate"] * ev.aov,
               f"lookers × lead conversion {a['lead_conversion_rate']:.0%} × average order "
               f"{_money(ev.aov, cur)}", "type == 'looker'", size),
        Action(t, 2, "Improve the experience where they drop out",
               [f"funnel: {line}", _dropoff_text(drop, step),
                "pages that lose them: " + (", ".join(
                    f"{r.page} ({r.share:.0%})" for r in ev.exit_pages.head(3).itertuples()
                ) or "no page data"),
                _visits_text(ev.visits_to_purchase)],
               n_ab * ev.aov * drop * a["cart_recovery_rate"],
               "lookers with carts × average order × worst drop-off × recovery rate",
               "type == 'looker'", size),
        Action(t, 3, "Run campaigns: retargeting ads, e-mail, SEO content",
               [f"{n_ab:,} lookers left a cart worth {_money(v_ab, cur)}"],
               a["cart_recovery_rate"] * v_ab,
               "abandoned cart value × recovery rate", "type == 'looker'", size),
    ]  # fmt: skip


def _new(ev: Evidence) -> list[Action]:
    t, a = "new", ASSUMPTIONS
    size = _n(ev.visitors, t)
    _, drop, step = _funnel_text(ev.funnel, t)
    n_ab, v_ab = _abandoned(ev, t)
    tick = _row(ev.tickets, t)
    second = size * ev.aov * ev.repeat_rate
    return [
        Action(t, 1, "Streamlined onboarding (one-click sign-up, QR codes)",
               [f"{n_ab:,} new customers left a cart", _dropoff_text(drop, step)],
               a["cart_recovery_rate"] * v_ab, "abandoned cart value × recovery rate",
               "type == 'new'", size),
        Action(t, 2, "Ask for feedback and act on it",
               [f"{size:,} first-time buyers to survey (shopperlens surveys)"],
               0.0, "no direct revenue: feeds the personas", "type == 'new'", size),
        Action(t, 3, "Be part of their success: answer questions fast",
               [f"{int(tick.get('tickets', 0)):,} tickets from new customers "
                f"({tick.get('tickets_per_order') or 0:.2f} per order)"],
               int(tick.get("tickets", 0)) * a["bad_ticket_share"] * ev.aov
               * a["bad_service_churn"],
               "tickets × 10 % that go badly × average order × 61 % who then leave",
               "type == 'new'", size),
        Action(t, 4, "Continue the relationship: thank-you follow-ups, relevant offers",
               [f"repeat-purchase rate today: {ev.repeat_rate:.0%}"],
               second, "new customers × average order × repeat-purchase rate",
               "type == 'new'", size),
    ]  # fmt: skip


def _loyal(ev: Evidence) -> list[Action]:
    t, cur, a = "loyal", ev.currency, ASSUMPTIONS
    size = _n(ev.visitors, t)
    loyal = ev.customers[ev.customers.type == t] if len(ev.customers) else ev.customers
    revenue = float(loyal.revenue.sum()) if len(loyal) else 0.0
    tick = _row(ev.tickets, t)
    n_case, n_ref = len(ev.case_study), len(ev.referral)
    per_customer = revenue / len(loyal) if len(loyal) else 0.0
    return [
        Action(t, 1, "Case studies (only with permission); learn what made them loyal",
               [f"{n_case:,} loyal customers gave case-study consent",
                f"loyal customers bring {_money(revenue, cur)}"],
               n_case * ev.aov, "consenting candidates × average order (one new sale each)",
               "type == 'loyal' and case_study_consent", n_case),
        Action(t, 2, "A rewards system: points for purchases, interactions and referrals",
               [f"{len(loyal):,} loyal buyers, {_money(per_customer, cur)} each"],
               revenue * a["loyalty_program_lift"],
               f"loyal revenue × {a['loyalty_program_lift']:.0%} programme lift",
               "type == 'loyal'", size),
        Action(t, 3, "Keep improving service (61 % leave after one bad incident)",
               [f"{int(tick.get('tickets', 0)):,} tickets from loyal customers",
                f"{len(ev.loyal_at_risk):,} loyal customers are at risk (P(alive) has fallen)"
                if len(ev.loyal_at_risk) else "no loyal customer flagged at risk (or no CLV run)"],
               int(tick.get("tickets", 0)) * a["bad_ticket_share"] * per_customer
               * a["bad_service_churn"],
               "loyal tickets × 10 % that go badly × revenue per loyal customer × 61 % who "
               "then leave", "type == 'loyal'", size),
        Action(t, 4, "Encourage referrals, with compensation",
               [f"{n_ref:,} loyal customers may be e-mailed a referral offer"],
               n_ref * a["referral_orders"] * ev.aov,
               "referral candidates × one order each × average order",
               "type == 'loyal' and (marketing_consent or referral_consent)", n_ref),
    ]  # fmt: skip


def _impulse(ev: Evidence) -> list[Action]:
    t, cur, a = "impulse", ev.currency, ASSUMPTIONS
    size = _n(ev.visitors, t)
    offer = _row(ev.offers, t)
    tick = _row(ev.tickets, t)
    others = ev.tickets[ev.tickets.type != t] if len(ev.tickets) else ev.tickets
    base = (
        float(others.tickets.sum()) / max(1.0, float(others.orders.sum())) if len(others) else 0.0
    )
    topics = ", ".join(ev.topics.topic.head(3)) if len(ev.topics) else "no tickets"
    share = float(offer.get("discount_share", 0.0) or 0.0)
    return [
        Action(t, 1, "Create urgency: limited-time offers, exclusive promotions",
               [f"{share:.0%} of impulse orders used a discount code",
                f"impulse revenue {_money(float(offer.get('revenue', 0.0) or 0.0), cur)}"],
               size * ev.aov * share,
               "impulse buyers × average order × share of their orders on a code",
               "type == 'impulse'", size),
        Action(t, 2, "Easy access to support: macros for common questions, live chat",
               [f"{(tick.get('tickets_per_order') or 0):.2f} tickets per order "
                f"(other types {base:.2f})", f"top topics (candidate macros): {topics}"],
               int(tick.get("tickets", 0)) * a["bad_ticket_share"] * ev.aov
               * a["bad_service_churn"],
               "impulse tickets × 10 % that go badly × average order × 61 % who then leave",
               "type == 'impulse'", size),
    ]  # fmt: skip


def render_markdown(actions: list[Action], currency: str = "EUR") -> str:
    """The playbook as Markdown: a section per type, actions by the mission's order."""
    lines = ["# Playbook", ""]
    for t in TYPES:
        acts = [x for x in actions if x.type == t]
        if not acts:
            continue
        lines += [f"## {TYPE_TITLES[t]}", ""]
        for x in acts:
            lines.append(f"### {x.number}. {x.title} — {stake_text(x, currency)}")
            lines += [f"- {e}" for e in x.evidence]
            lines.append(f"- priority: {x.basis}")
            lines.append(f"- audience: `{x.audience}` ({x.audience_size:,} people)")
            reach = reach_text(x)
            if reach:
                lines.append(f"- export: `{export_command(x)}` {reach}")
            lines.append("")
    return "\n".join(lines)
