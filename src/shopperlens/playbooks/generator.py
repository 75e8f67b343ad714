"""The playbook generator: each action from the mission, with this shop's evidence and priority.

For every customer type the mission lists what a shop should do. :func:`build_playbook` turns
each of those actions into an :class:`Action` holding the numbers from this shop that justify
it (``evidence``), the people to act on (``audience`` — a segment expression that
``shopperlens audience export --segment`` accepts, and its size) and a *priority*: the
revenue at stake, a deliberately simple estimate whose formula is written in ``basis`` so the
owner can judge it (None when this shop's data give no estimate: "EUR 0 at stake" would rank
an action as worthless when it is only unmeasured). Constants behind the estimates are in
:data:`ASSUMPTIONS`. An estimate is what the action could win, not revenue the shop makes
without it (today's repeat purchases or code orders); the actions of a type that rest on the
same abandoned carts are marked (``shared_base``) and a type's total (:func:`at_stake`) counts
those carts once.

How many of an audience an export reaches (``known``, ``without_consent``, ``exportable``) is
filled in by the service, which runs the printed export command's own selection.

Data a shop has not imported is never shown as a measured zero. Each evidence line names the
imports it rests on (:data:`SOURCES`: orders, visit data, support tickets); a line whose data
is missing is left out and the action says instead "no support tickets imported (`shopperlens
import tickets FILE` adds them)", with the missing imports in ``needs``. A type the imported
data cannot reveal at all (lookers without visit data, new customers without orders:
:data:`TYPE_NEEDS`) gets one sentence saying why (:func:`type_note`), and its audience reads
"none can be found without visit data" rather than "0 people". Shares resting on fewer than
:data:`~shopperlens.playbooks.checkout.MIN_SAMPLE` orders, buyers, visits or sessions are given
as counts ("2 of 3 impulse orders"), and the free-shipping threshold is not advised on so few
orders.

Consent nobody recorded is not consent refused. When the shop holds no one's word on a purpose
(:data:`CONSENT_PURPOSES`: no ``accepts_marketing`` value and no marketing record; no case-study
record; for referrals, neither a referral nor a marketing word) the texts say so and which
import adds it (:func:`consent_unknown_text`), instead of "46 customers gave no marketing
consent" or "0 loyal customers gave case-study consent". The export still writes nobody to a
marketing destination: no consent, no marketing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

from shopperlens import markdown as md
from shopperlens.labels import money, percent
from shopperlens.playbooks.audience import export_target
from shopperlens.playbooks.checkout import MAX_OVER_MEDIAN, MAX_SHARE_LOSING_FREE, MIN_SAMPLE
from shopperlens.playbooks.loyalty import RepeatFactors, evidence_lines
from shopperlens.playbooks.onboarding import AFTER_ORDER_DAYS, Onboarding

__all__ = [
    "ASSUMPTIONS",
    "CARTS",
    "CONSENT_PURPOSES",
    "MIN_SAMPLE",
    "NOT_IMPORTED",
    "SOURCES",
    "TYPES",
    "TYPE_NEEDS",
    "Action",
    "Evidence",
    "at_stake",
    "audience_text",
    "build_playbook",
    "consent_unknown_text",
    "export_command",
    "missing_sources",
    "reach_text",
    "render_markdown",
    "shared_texts",
    "stake_text",
    "type_note",
    "type_notes",
    "unfound_text",
    "unreachable_texts",
    "unrecorded_text",
]

TYPES: tuple[str, ...] = ("need_based", "looker", "new", "loyal", "impulse")
TYPE_TITLES: dict[str, str] = {
    "need_based": "Need-based customers",
    "looker": "Lookers (browsers)",
    "new": "New customers",
    "loyal": "Loyal customers",
    "impulse": "Impulse buyers",
}

#: the imports the evidence rests on (the service reads which of them hold rows)
SOURCES: tuple[str, ...] = ("orders", "events", "tickets")
#: the command that adds each source
IMPORT_COMMAND: dict[str, str] = {
    "orders": "shopperlens import orders FILE",
    "events": "shopperlens import events FILE",
    "tickets": "shopperlens import tickets FILE",
}
#: the evidence line that stands in for the lines a missing source would have given
NOT_IMPORTED: dict[str, str] = {
    "orders": f"no orders imported (`{IMPORT_COMMAND['orders']}` adds them)",
    "events": f"no visit data imported (`{IMPORT_COMMAND['events']}` adds it)",
    "tickets": f"no support tickets imported (`{IMPORT_COMMAND['tickets']}` adds them)",
}
#: each source as the sentences about a missing one name it
SOURCE_NAME: dict[str, str] = {
    "orders": "orders",
    "events": "visit data (events)",
    "tickets": "support tickets",
}
#: the imports each type is recognised from (README "Customer types": need-based shoppers
#: by how they search and browse before buying, lookers by visits without an order, the
#: others by their orders); without them nobody can be of that type
TYPE_NEEDS: dict[str, tuple[str, ...]] = {
    "need_based": ("orders", "events"),
    "looker": ("events",),
    "new": ("orders",),
    "loyal": ("orders",),
    "impulse": ("orders",),
}
#: how each type is recognised, for the sentence saying why it cannot be
TYPE_RECOGNISED: dict[str, str] = {
    "need_based": "need-based shoppers are recognised by how they search and browse before "
    "they buy",
    "looker": "lookers are visitors who browse without buying",
    "new": "new customers are recognised by their first order",
    "loyal": "loyal customers are recognised by their repeat orders",
    "impulse": "impulse buyers are recognised by their orders (discount codes, campaign purchases)",
}
#: the people of each type, in running text
TYPE_PEOPLE: dict[str, str] = {
    "need_based": "need-based shoppers",
    "looker": "lookers",
    "new": "new customers",
    "loyal": "loyal customers",
    "impulse": "impulse buyers",
}
#: one person of each type, in running text
TYPE_ONE: dict[str, str] = {
    "need_based": "a need-based shopper",
    "looker": "a looker",
    "new": "a new customer",
    "loyal": "a loyal customer",
    "impulse": "an impulse buyer",
}

#: the consent purposes the playbook's audiences rest on (what ``Evidence.consent_recorded``
#: holds when the shop has recorded someone's word on each)
CONSENT_PURPOSES: tuple[str, ...] = ("marketing", "case_study", "referral")
#: said when nobody's word on a purpose is on record (``service.consent.on_record``)
CONSENT_NONE: dict[str, str] = {
    "marketing": "no marketing consent is on record",
    "case_study": "no case-study consent is on record",
    "referral": "no referral or marketing consent is on record",
}
#: what records it (the commands of ``shopperlens import customers`` and ``consent …``)
CONSENT_HOW: dict[str, str] = {
    "marketing": "import customers with their `accepts_marketing` flag (`shopperlens import "
    "customers FILE` reads it) or consent records (`shopperlens consent import FILE` adds "
    "them) to know who may be e-mailed",
    "case_study": "record who agreed (`shopperlens consent set CUSTOMER_ID --purpose "
    "case_study --granted` for one, `shopperlens consent import FILE` for a file) to know who "
    "may be featured",
    "referral": "import customers with their `accepts_marketing` flag (`shopperlens import "
    "customers FILE` reads it) or referral or marketing consent records (`shopperlens consent "
    "import FILE` adds them) to know who may be e-mailed a referral offer",
}


def consent_unknown_text(purpose: str) -> str:
    """ "no case-study consent is on record: record who agreed (…)": the sentence standing in
    for a count of consenting customers when nobody's word on ``purpose`` is recorded (a
    count of 0 read as everyone refusing)."""
    return f"{CONSENT_NONE[purpose]}: {CONSENT_HOW[purpose]}"


#: the fewest orders two products share before they make a "frequently bought together" list
#: (the default of ``rules`` and ``recommend together``)
MIN_TOGETHER = 3

#: the constants behind the revenue-at-stake estimates (stated in each action's ``basis``).
#: Each estimate is what an action could win on top of what the shop makes without it, never
#: revenue it makes already; the last four are shares of people who place an order they would
#: not have placed otherwise, and are kept low on purpose
ASSUMPTIONS: dict[str, float] = {
    "cart_recovery_rate": 0.10,  # share of abandoned carts a recovery e-mail wins back
    "lead_conversion_rate": 0.05,  # share of captured leads that place a first order
    "loyalty_program_lift": 0.05,  # extra revenue from a rewards programme on loyal revenue
    "bad_service_churn": 0.61,  # the mission: 61 % leave after one bad service incident
    "bad_ticket_share": 0.10,  # share of tickets that end as a bad service experience
    "search_visit_win_rate": 0.05,  # share of non-buying product searches a better page wins
    # share of referral candidates whose referral ends in a friend's first order
    "referral_order_rate": 0.05,
    # share of consenting candidates whose case study wins one new sale
    "case_study_sale_rate": 0.05,
    # extra share of new customers a follow-up turns into repeat buyers (one more order each)
    "followup_repeat_lift": 0.02,
    # share of impulse buyers a limited-time offer brings to an order they would not have placed
    "urgency_extra_order_rate": 0.02,
}

#: the base of an estimate another action of the same type may rest on too: a type's total
#: (:func:`at_stake`) counts such a base once
CARTS = "abandoned carts"


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
    #: loyal customers without an order for longer than ``lapsed_days``, and those days
    loyal_lapsing: tuple[int, int] = (0, 180)
    #: why there are no CLV figures (so nobody can be flagged at risk), else None
    clv_note: str | None = None
    #: the CLV model found no dropout (so nobody can be flagged at risk, and none flagged is
    #: no all-clear): the sentence saying so, else ""
    no_dropout_note: str = ""
    exit_pages: pd.DataFrame = field(default_factory=pd.DataFrame)  # of lookers' sessions
    visits_to_purchase: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    referral: pd.DataFrame = field(default_factory=pd.DataFrame)
    tickets: pd.DataFrame = field(default_factory=pd.DataFrame)  # tickets_per_order
    topics: pd.DataFrame = field(default_factory=pd.DataFrame)
    offers: pd.DataFrame = field(default_factory=pd.DataFrame)
    currency: str = "EUR"
    #: the :data:`SOURCES` the shop has imported (rows in the table); the rest are missing
    imported: frozenset[str] = frozenset(SOURCES)
    #: the customer ids whose visits are in the imported visit data (None: every subject's
    #: are, when visit data are imported). A store's visit data may cover none of the buyers
    #: its orders name, and what their visits would show (an open cart) is then unknown
    visited: frozenset[Any] | None = None
    #: the :data:`CONSENT_PURPOSES` someone's word is on record for (the rest: nobody's is,
    #: so who refused is unknown, not "everyone")
    consent_recorded: frozenset[str] = frozenset(CONSENT_PURPOSES)
    #: what was true at the first order of the customers who ordered again, against the
    #: one-time buyers (:func:`~shopperlens.playbooks.loyalty.repeat_factors`); None: not
    #: measured
    loyalty: RepeatFactors | None = None
    #: how shoppers reach a first order (sign-ups, guest orders, checkouts before a first
    #: purchase: :func:`~shopperlens.playbooks.onboarding.onboarding`); None: not measured
    onboarding: Onboarding | None = None
    #: the customers' tickets with ``type``, ``channel`` (None: not recorded) and
    #: ``after_order`` (:func:`~shopperlens.playbooks.onboarding.tickets_after_orders`)
    ticket_channels: pd.DataFrame = field(default_factory=pd.DataFrame)

    def has(self, *sources: str) -> bool:
        """Whether every one of ``sources`` is imported."""
        return all(s in self.imported for s in sources)


@dataclass
class Action:
    """One action of one type's playbook.

    ``priority`` is the revenue at stake, None when there is no estimate. ``audience_size``
    counts the people the action is about (anonymous visitors included); ``known`` is how
    many of them :func:`export_command` selects (customers on record), ``without_consent``
    how many of those lack marketing consent and ``exportable`` how many rows it writes;
    ``without_email`` how many have no usable address and ``shared_email`` how many share one
    written once (the counts ``audience export`` gives: ``playbooks.audience.LeftOut``).
    ``with_id`` is how many of the audience have a customer id (None: not counted): the ones
    among them the export does not select have no customer record yet (only their visits were
    imported), the rest of the audience are anonymous visitors.
    ``needs`` are the imports (:data:`SOURCES`) whose evidence is missing, each said in
    ``evidence`` as "no … imported"; ``detectable`` is False when the imported data cannot
    reveal anyone of the action's type (:data:`TYPE_NEEDS`).
    ``marketing_recorded`` is False when the shop holds nobody's marketing word (those without
    consent were never asked, as far as the data tell); ``unrecorded_consent`` names the consent
    purpose the audience itself is drawn from when nobody's word on it is recorded (its size
    is then unknown, not 0).
    ``shared_base`` names what the estimate is built on when another action of the type may
    be built on it too (:data:`CARTS`: the type's abandoned carts); a cart won back by one
    action is not won back again by another, so :func:`at_stake` counts that base once.
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
    without_email: int | None = None
    shared_email: int | None = None
    with_id: int | None = None
    needs: list[str] = field(default_factory=list)
    detectable: bool = True
    marketing_recorded: bool = True
    unrecorded_consent: str | None = None
    shared_base: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _n(df: pd.DataFrame, type_: str, col: str = "type") -> int:
    return int((df[col] == type_).sum()) if len(df) and col in df else 0


#: the segments reaching what the primary type hides: customers of another type whose latest
#: purchase was their first in a category (a new score above 0 while another type leads), and
#: new customers whose first orders look impulsive (an impulse score of at least one half)
NEW_ELSEWHERE = "score_new > 0 and type != 'new'"
NEW_IMPULSIVE = "type == 'new' and score_impulse >= 0.5"


def _selected(visitors: pd.DataFrame, segment: str) -> int:
    """How many customers of the types run ``segment`` (:data:`NEW_ELSEWHERE`,
    :data:`NEW_IMPULSIVE`) selects; 0 when the run carries no scores."""
    need = {"customer_id", "type", "score_new", "score_impulse"}
    if not len(visitors) or not need <= set(visitors.columns):
        return 0
    v = visitors[visitors.customer_id.notna()]
    if segment == NEW_ELSEWHERE:
        return int(((v.score_new > 0) & (v.type != "new")).sum())
    return int(((v.type == "new") & (v.score_impulse >= 0.5)).sum())


def _row(df: pd.DataFrame, type_: str) -> dict[str, Any]:
    if not len(df) or "type" not in df:
        return {}
    hit = df[df.type == type_]
    return hit.iloc[0].to_dict() if len(hit) else {}


def _money(v: float, cur: str) -> str:
    """A whole amount (``EUR 183`` for 182.5: a half rounds up, as :func:`money` rounds it)."""
    return money(v, cur)


def _of(k: float, n: float) -> str:
    """ "45% of" from :data:`MIN_SAMPLE` on, else "2 of 3": a share of a handful is a count."""
    k, n = round(k), round(n)
    return f"{percent(k / n)}% of" if n >= MIN_SAMPLE else f"{k:,} of {n:,}"


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _funnel_text(funnel: pd.DataFrame, type_: str) -> tuple[str, str | None]:
    """A one-line funnel and its worst step ("largest drop-off: 36% before cart"; None when
    this type made no visit). The line says "no visits by …" when the shop has visit data but
    none of this type's: "no browsing events recorded" was wrong there.

    Lookers never purchase by definition, so their worst step is looked for before purchase.
    A drop-off from fewer than :data:`MIN_SAMPLE` sessions is given as counts; none when no
    step loses a session ("0 of 2 sessions lost" named a drop-off that was not there). A step
    after one no session reached has no drop-off (NaN: unknown) and is not named.
    """
    f = funnel[funnel.type == type_] if len(funnel) and "type" in funnel else funnel.iloc[0:0]
    if f.empty:
        return f"no visits by {TYPE_PEOPLE[type_]}", None
    line = " → ".join(f"{r.step} {int(r.sessions):,}" for r in f.itertuples())
    f = f.reset_index(drop=True)
    later = f.iloc[1:]
    if type_ == "looker":
        later = later[later.step != "purchase"]
    later = later[later.drop_off.notna()]
    if not len(later):
        return line, None
    at = int(later.drop_off.idxmax())
    step, before = str(f.step[at]), int(f.sessions[at - 1])
    lost = before - int(f.sessions[at])
    if not before or lost <= 0:  # no step loses a session: there is no drop-off to name
        return line, None
    if before >= MIN_SAMPLE:
        return line, f"largest drop-off: {percent(float(f.drop_off[at]))}% before {step}"
    return line, f"largest drop-off: {lost:,} of {before:,} sessions lost before {step}"


def _abandoned(ev: Evidence, type_: str) -> tuple[int, float, str]:
    """How many of a type's shoppers left a cart open, what the carts are worth, and that
    worth in words (``EUR 1,000``).

    A cart is worth its products' values (the events', else the products' prices: see
    ``checkout.abandoned_carts``). A cart of unknown value is neither worth nothing nor,
    silently, an average order: it is estimated at the average order and the words say so
    ("EUR 1,000 (estimated: 5 carts × the average order, no price is known …)"); without
    orders to average it is left out, and with no cart of known value the worth is unknown
    (NaN: no money estimate; "an unknown amount (…)").
    """
    a = ev.abandoned
    if not len(a) or "type" not in a:
        return 0, 0.0, _money(0.0, ev.currency)
    a = a[a.type == type_]
    values = (
        pd.to_numeric(a.cart_value, errors="coerce")
        if "cart_value" in a
        else pd.Series(np.nan, index=a.index)
    )
    unknown, known = int(values.isna().sum()), float(values.sum())
    if not unknown:
        return len(a), known, _money(known, ev.currency)
    carts = f"{unknown:,} of {len(a):,} carts" if unknown < len(a) else _count(unknown, "cart")
    why = f"no price is known for the products in {'them' if unknown > 1 else 'it'}"
    if ev.aov > 0 and np.isfinite(ev.aov):
        value = known + unknown * ev.aov
        return (
            len(a),
            value,
            (f"{_money(value, ev.currency)} (estimated: {carts} × the average order, {why})"),
        )
    if known > 0:
        return len(a), known, f"{_money(known, ev.currency)} ({carts} not counted: {why})"
    return len(a), float("nan"), f"an unknown amount ({why})"


def _with_visits(ev: Evidence, type_: str) -> tuple[int, int]:
    """How many people are of a type, and how many of them have visits in the imported visit
    data. Whether the shop has visit data says nothing about a given buyer's: 12 events of
    other visitors beside 100 customers' orders made "0 new customers left a cart open" read
    as measured. A subject without a customer id is known from its visits alone."""
    v = ev.visitors
    people = v[v.type == type_] if len(v) and "type" in v else v.iloc[0:0]
    if ev.visited is None or "customer_id" not in people:
        return len(people), len(people)
    seen = people.customer_id.isna() | people.customer_id.isin(ev.visited)
    return len(people), int(seen.sum())


def _carts_text(ev: Evidence, type_: str, n_carts: int, left: str) -> str:
    """ "3 new customers left a cart open …" (``left`` says what they left), counted over
    those of the type whose visits are on record, and saying over how many when that is not
    all of them; unknown, not 0, when none of theirs are in the imported visit data."""
    who = TYPE_PEOPLE[type_]
    people, seen = _with_visits(ev, type_)
    if people and not seen:
        return f"{who}' open carts unknown: none of their visits are in the imported visit data"
    one = TYPE_ONE[type_].split(" ", 1)[1]  # "1 looker left a cart", not "1 lookers"
    text = f"{n_carts:,} {one if n_carts == 1 else who} {left}"
    return text if seen == people else f"{text} (of the {seen:,} whose visits are on record)"


#: said of a threshold advised from orders that carry no shipping charge: the advice weighs
#: the larger baskets alone, and the shop should know the cost side is missing
NO_SHIPPING = (
    "the orders carry no shipping charges, so what free shipping would cost the shop is not "
    "counted: weigh it before choosing"
)


def threshold_text(thr: Any, cur: str) -> str:
    """The free-shipping advice, starting from the threshold the shop has today; none on
    fewer than :data:`MIN_SAMPLE` orders."""
    if thr is None:
        return "no basket values to set a free-shipping threshold"
    if not thr.advised:
        return (
            f"free-shipping threshold: not advised from {_count(thr.orders, 'order')}: it "
            f"needs at least {MIN_SAMPLE} before the spread of basket values can show where "
            "one should sit"
        )
    given = (
        f"; {_money2(thr.shipping_cost_per_order, cur)} shipping given away per order"
        if thr.shipping_cost_per_order is not None
        else f"; {NO_SHIPPING}"
    )
    median = f"median basket {_money(thr.median_basket, cur)}"
    if thr.current is None:
        return (
            f"free shipping from {_money(thr.threshold, cur)} ({median}); "
            f"{percent(thr.share_near)}% of orders sit just below it; "
            f"+{_money2(thr.uplift_per_order, cur)} per order expected{given}"
        )
    today = f"the shop ships free from {_money(thr.current, cur)} today ({median})"
    if thr.keep_current:
        return (
            f"{today}: keep it — no higher threshold within {MAX_OVER_MEDIAN}× the median "
            f"basket raises order value more while charging shipping again on at most "
            f"{percent(MAX_SHARE_LOSING_FREE)}% of orders{given}"
        )
    if thr.current_shipping_cost_per_order is not None:
        given += f" (today {_money2(thr.current_shipping_cost_per_order, cur)})"
    return (
        f"{today}: raising it to {_money(thr.threshold, cur)} puts {percent(thr.share_near)}% of "
        f"orders just below it, +{_money2(thr.extra_uplift_per_order, cur)} per order "
        f"expected{given}; {percent(thr.share_losing_free)}% of orders (between the two) would pay "
        "shipping again, and the orders such a charge loses are not estimated: test it first"
    )


def _money2(v: float, cur: str) -> str:
    """An amount per order, to the cent where the currency has cents (``JPY 664``)."""
    return money(v, cur, 2)


def _visits_text(visits: pd.Series) -> str:
    if not len(visits):
        return "no buyer with recorded visits"
    back = int((visits >= 2).sum())
    share = (
        f"{percent(back / len(visits))}%"
        if len(visits) >= MIN_SAMPLE
        else f"{back:,} of {len(visits):,}"
    )
    return (
        f"buyers' first purchase came on visit {visits.median():.0f} (median); "
        f"{share} came back at least once first"
    )


def _exits_text(exits: pd.DataFrame) -> str:
    """The pages that lose lookers, with their share of the non-buying sessions (as counts
    when there are fewer than :data:`MIN_SAMPLE` sessions)."""
    if not len(exits):
        return "pages that lose them: no page data"
    first = exits.iloc[0]
    total = round(float(first.exits) / float(first.share)) if first.share else 0
    if total >= MIN_SAMPLE:
        shown = [f"{md.datum(r.page)} ({percent(r.share)}%)" for r in exits.head(3).itertuples()]
    else:
        shown = [f"{md.datum(r.page)} ({int(r.exits):,} of {total:,} sessions)" for r in
                 exits.head(3).itertuples()]  # fmt: skip
    return "pages that lose them: " + ", ".join(shown)


def _tickets_text(tick: dict[str, Any], who: str) -> str:
    """ "3 tickets from new customers (0.40 per order)", or the counts on few orders."""
    n, orders = int(tick.get("tickets", 0) or 0), int(tick.get("orders", 0) or 0)
    if orders >= MIN_SAMPLE:
        return (
            f"{_count(n, 'ticket')} from {who} ({tick.get('tickets_per_order') or 0:.2f} per order)"
        )
    return f"{_count(n, 'ticket')} from {who} (in {_count(orders, 'order')})"


def missing_sources(type_: str, imported: frozenset[str] | set[str]) -> list[str]:
    """The imports a type is recognised from that the shop lacks (none: it can be found)."""
    return [s for s in TYPE_NEEDS[type_] if s not in imported]


def type_note(type_: str, size: int, imported: frozenset[str] | set[str]) -> str:
    """One sentence on a type nobody is of: which data is missing and which import adds it,
    or that the data hold no one of the type yet; empty when the type has people."""
    lack = missing_sources(type_, imported)
    if lack:
        what = " and no ".join(SOURCE_NAME[s] for s in lack)
        verb = "is" if lack == ["events"] else "are"
        cmds = " and ".join(f"`{IMPORT_COMMAND[s]}`" for s in lack)
        it = "it" if lack == ["events"] else "them"
        first = TYPE_RECOGNISED[type_]
        return (
            f"{first[0].upper()}{first[1:]}, and no {what} {verb} imported, so this shop's "
            f"data cannot show any: {cmds} adds {it}."
        )
    if size == 0:
        return f"No one in this shop's data is {TYPE_ONE[type_]} yet: these actions reach nobody."
    return ""


def type_notes(ev: Evidence, types: tuple[str, ...] = TYPES) -> dict[str, str]:
    """:func:`type_note` for each type that has one."""
    notes = {t: type_note(t, _n(ev.visitors, t), ev.imported) for t in types}
    return {t: n for t, n in notes.items() if n}


def unfound_text(action: Action) -> str:
    """Why an audience of a type the data cannot show is empty ("" when it can be shown)."""
    if action.detectable:
        return ""
    lack = [s for s in TYPE_NEEDS[action.type] if s in action.needs]
    return "none can be found without " + " or ".join(SOURCE_NAME[s] for s in lack)


def _lapsing_text(ev: Evidence) -> str:
    """Without CLV figures nobody can be flagged by P(alive); the loyal customers who stopped
    buying (the rule ``types moves`` calls lapsed) still can, with the segment that selects
    them."""
    n, days = ev.loyal_lapsing
    said = f"nobody can be flagged at risk: no CLV figures ({ev.clv_note})"
    if not n:
        return said
    segment = f"type == 'loyal' and days_since_last_order > {days}"
    return (
        f"{_count(n, 'loyal customer')} bought nothing for over {days} days (lapsing: "
        f"`{segment}`); {said}"
    )


def audience_text(action: Action) -> str:
    """The audience and its size, or why the data cannot find anyone for it."""
    if not action.detectable:
        return f"`{action.audience}` — {unfound_text(action)}"
    if action.unrecorded_consent:
        return f"`{action.audience}` — {unrecorded_text(action)}"
    people = "person" if action.audience_size == 1 else "people"
    return f"`{action.audience}` ({action.audience_size:,} {people})"


def unrecorded_text(action: Action) -> str:
    """Why an audience drawn from a consent nobody recorded cannot be counted ("" when it
    can): "0 people" read as all of them refusing."""
    if not action.unrecorded_consent:
        return ""
    return f"none can be found: {CONSENT_NONE[action.unrecorded_consent]}"


Line = tuple[str | None, tuple[str, ...]] | None


def _action(
    ev: Evidence,
    type_: str,
    number: int,
    title: str,
    lines: list[Line],
    priority: float | None,
    basis: str,
    audience: str,
    size: int,
    *,
    shared_base: str | None = None,
) -> Action:
    """An action whose evidence keeps the lines whose data are imported; each missing import
    is said once instead ("no visit data imported …"). A type the data cannot show has no
    estimate; elsewhere an estimate over missing data comes out 0, which is none either.
    ``shared_base`` marks an estimate built on a base other actions of the type may share."""
    kept: list[str] = []
    missing: list[str] = []
    for text, needs in (line for line in lines if line is not None):
        lack = [s for s in needs if s not in ev.imported]
        if lack:
            missing += [s for s in lack if s not in missing]
        elif text:
            kept.append(text)
    lost_type = missing_sources(type_, ev.imported)
    needs = [s for s in SOURCES if s in missing or s in lost_type]
    evidence = kept + [NOT_IMPORTED[s] for s in SOURCES if s in missing]
    return Action(
        type_, number, title, evidence, None if lost_type else priority, basis, audience,
        size, needs=needs, detectable=not lost_type, shared_base=shared_base,
    )  # fmt: skip


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
        action.marketing_recorded = "marketing" in ev.consent_recorded
        if action.audience == f"type == '{action.type}'":  # the type's subjects, counted
            action.with_id = _with_id(ev.visitors, action.type)
    return out


def _with_id(visitors: pd.DataFrame, type_: str) -> int:
    """How many subjects of a type have a customer id (the rest are anonymous visitors)."""
    if not len(visitors) or "type" not in visitors or "customer_id" not in visitors:
        return 0
    return int(visitors.customer_id[visitors.type == type_].notna().sum())


def _estimate(value: float | None) -> float | None:
    """A money figure worth showing, else None: 0 means the data gave nothing to estimate
    from (no carts, no tickets …), and showing "EUR 0 at stake" ranks the action last."""
    if value is None or not np.isfinite(value) or value <= 0:
        return None
    return float(value)


def at_stake(actions: list[Action]) -> float:
    """The total of the actions that have an estimate, each base that actions of one type
    share (``shared_base``: the same abandoned carts) counted once, at its largest figure.

    A cart won back by a recovery e-mail is not won back again by a better checkout: adding
    both estimates counted the same carts twice.
    """
    total = 0.0
    shared: dict[tuple[str, str], float] = {}
    for a in actions:
        if a.priority is None:
            continue
        if a.shared_base is None:
            total += a.priority
        else:
            key = (a.type, a.shared_base)
            shared[key] = max(shared.get(key, 0.0), a.priority)
    return float(total + sum(shared.values()))


def shared_texts(actions: list[Action]) -> list[str]:
    """One sentence per base that two or more estimated actions of a type share, saying the
    total counts it once ("Actions 2 and 3 rest on the same abandoned carts: the total counts
    them once, at the larger figure."); none when no estimates overlap."""
    groups: dict[tuple[str, str], list[int]] = {}
    for a in actions:
        if a.priority is not None and a.shared_base is not None:
            groups.setdefault((a.type, a.shared_base), []).append(a.number)
    texts = []
    for (_, base), numbers in groups.items():
        if len(numbers) < 2:
            continue
        listed = ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
        larger = "larger" if len(numbers) == 2 else "largest"
        texts.append(
            f"Actions {listed} rest on the same {base}: the total counts them once, at the "
            f"{larger} figure."
        )
    return texts


def stake_text(action: Action, currency: str = "EUR") -> str:
    """ "EUR 1,234 at stake", or "no money estimate" when there is none."""
    if action.priority is None:
        return "no money estimate"
    digits = 0 if action.priority >= 10 else 2  # a small estimate is not "EUR 0"
    return f"{money(action.priority, currency, digits)} at stake"


def priority_text(action: Action, currency: str = "EUR") -> str:
    """The priority with its formula, as the report page shows it: "no money estimate
    (abandoned cart value × recovery rate 10%)" or "EUR 1,234 at stake (…)". The formula alone
    under a "no money estimate" heading read as a figure of its own."""
    return f"{stake_text(action, currency)} ({action.basis})"


def unreachable_texts(anonymous: int, unrecorded: int) -> list[str]:
    """Why people of an audience have no row to export: anonymous visitors (no customer id)
    and customers whose id is known from their visits but who have no customer record; the
    playbook and ``audience export`` say it in the same words."""
    no_record = "have a customer id but no customer record (import customers to reach them)"
    return [
        f"{anonymous:,} are anonymous visitors (no customer record)" if anonymous else "",
        f"{unrecorded:,} {no_record}" if unrecorded else "",
    ]


def export_command(action: Action, destination: str | None = None) -> str:
    """The command that exports the action's audience: its segment, to an ad platform (``meta``)
    by default; an audience drawn from case-study or referral consent goes to the plain ``csv``
    by that consent (``--purpose``), for the shop to write to them personally — a case-study
    "yes" is no "yes" to ads, and the ad platform received only marketing consenters."""
    to, purpose = export_target(action.audience)
    by = "" if purpose == "marketing" else f" --purpose {purpose}"
    return f'shopperlens audience export --segment "{action.audience}" --to {destination or to}{by}'


def reach_text(action: Action) -> str:
    """How many of the audience the export writes, and why the others cannot be exported.

    The audience may count anonymous visitors and customers known only by the id their visits
    carry (no customer record: nothing to export), and customers without marketing consent (a
    marketing destination never receives them). The two without a record are told apart:
    calling all of them anonymous hid that importing customers reaches the second. When the
    shop holds nobody's marketing word, those customers are said to have none on record, not
    to have refused it; an audience drawn from a consent nobody recorded is written to nobody.
    Those without a usable e-mail address and those sharing one written once are the counts
    ``audience export`` gives (``without_email``, ``shared_email``); an action stored without
    them counts every other customer left out as having no usable address.
    """
    if action.known is None or action.exportable is None:
        return ""
    if action.unrecorded_consent and not action.known:
        return f"writes nobody: {CONSENT_NONE[action.unrecorded_consent]}"
    unrecorded = 0 if action.with_id is None else max(0, action.with_id - action.known)
    anonymous = max(0, action.audience_size - action.known - unrecorded)
    no_consent = action.without_consent or 0
    shared = action.shared_email or 0
    no_address = (
        max(0, action.known - no_consent - action.exportable - shared)
        if action.without_email is None
        else action.without_email
    )
    why = [
        *unreachable_texts(anonymous, unrecorded),
        _no_consent_text(no_consent, action.marketing_recorded) if no_consent else "",
        f"{no_address:,} have no usable e-mail address" if no_address else "",
        f"{shared:,} share an address written once" if shared else "",
    ]
    why = [w for w in why if w]
    total = max(action.audience_size, action.known)
    head = f"writes {action.exportable:,} of the {total:,}"
    return head + (": " + "; ".join(why) if why else "")


def _no_consent_text(n: int, recorded: bool) -> str:
    """Why ``n`` customers of an audience are not written to a marketing destination: they
    gave no marketing consent, or, when the shop holds nobody's marketing word, none is on
    record (and how to record it): the customers were never shown to refuse."""
    if recorded:
        return f"{n:,} customers gave no marketing consent"
    these = "this customer" if n == 1 else f"these {n:,} customers"
    return (
        f"{CONSENT_NONE['marketing']} for {these} or anyone else in this shop — "
        + (CONSENT_HOW["marketing"])
    )


#: shorthands for the sources an evidence line rests on
_O, _E, _T = ("orders",), ("events",), ("tickets",)


def _need_based(ev: Evidence) -> list[Action]:
    t, cur, a = "need_based", ev.currency, ASSUMPTIONS
    who = TYPE_NEEDS[t]  # a line about need-based people needs what finds them
    size = _n(ev.visitors, t)
    line, drop = _funnel_text(ev.funnel, t)
    n_ab, v_ab, worth = _abandoned(ev, t)
    kw = ev.keywords
    product_kw = kw[kw.intent == "product"] if len(kw) else kw
    top = (
        ", ".join(f"“{md.datum(k)}”" for k in product_kw.keyword.head(3))
        if len(product_kw)
        else "none"
    )
    lost_visits = int((product_kw.visits - product_kw.purchases).sum()) if len(product_kw) else 0
    # the share of product-intent visits that bought (by visits, not a mean of keywords' rates)
    kw_visits = int(product_kw.visits.sum()) if len(product_kw) else 0
    kw_bought = int(product_kw.purchases.sum()) if len(product_kw) else 0
    conv = kw_bought / kw_visits if kw_visits else 0.0
    conv_text = (
        f"their conversion rate {percent(conv, 1)}%" if kw_visits >= MIN_SAMPLE
        else f"{kw_bought:,} of {kw_visits:,} bought"
    )  # fmt: skip
    thr = ev.threshold
    buyers = ev.customers[ev.customers.type == t] if len(ev.customers) else ev.customers
    n_orders = int(buyers.orders.sum()) if len(buyers) else 0
    advised = thr is not None and thr.advised
    uplift = thr.extra_uplift_per_order * n_orders if advised else 0.0
    thr_text = threshold_text(thr, cur)
    # no carts are worth nothing: "abandoned cart value EUR 0" under "no money estimate" read
    # as an estimate of 0, so the formula then names no figure
    cart_basis = (
        f"abandoned cart value {worth}" if ev.has(*who) and v_ab != 0 else "abandoned cart value"
    )
    return [
        _action(ev, t, 1, "Frictionless purchase: remove checkout friction",
                [(f"funnel: {line}", who), (drop, who),
                 (_carts_text(ev, t, n_ab, "left a cart open after their last order"), who)],
                a["cart_recovery_rate"] * v_ab,
                f"{cart_basis} × recovery rate {percent(a['cart_recovery_rate'])}%",
                "type == 'need_based'", size, shared_base=CARTS),
        _action(ev, t, 2, "Know where they come from: sources and product keywords",
                # a keyword names a product of the catalogue the orders bring
                [(f"top product-intent keywords: {top}", who),
                 (f"{lost_visits:,} product-intent visits did not buy ({conv_text})", who)
                 if kw_visits else ("no search keyword named a product", who)],
                lost_visits * a["search_visit_win_rate"] * ev.aov,
                f"non-buying product-intent visits × {percent(a['search_visit_win_rate'])}% won × "
                "average order",
                "type == 'need_based'", size),
        _action(ev, t, 3,
                "Personalised upsell: carousels, bundles and a free-shipping threshold",
                [(thr_text, _O),
                 (f"{ev.n_carousels:,} products have a “frequently bought together” list", _O)
                 if ev.n_carousels else
                 ("no “frequently bought together” list yet: no two products were bought "
                  f"together in {MIN_TOGETHER} or more orders and more often than apart", _O),
                 (f"{ev.n_upsell_customers:,} customers have personal upsell picks", _O)
                 if ev.n_upsell_customers else None],
                uplift,
                "expected order-value uplift per order (over today's threshold) × need-based "
                "orders", "type == 'need_based'", size),
    ]  # fmt: skip


def _looker(ev: Evidence) -> list[Action]:
    t, cur, a = "looker", ev.currency, ASSUMPTIONS
    who = TYPE_NEEDS[t]
    size = _n(ev.visitors, t)
    line, drop = _funnel_text(ev.funnel, t)
    n_ab, v_ab, worth = _abandoned(ev, t)
    aov = (
        f"average order {_money(ev.aov, cur)}" if ev.has("orders")
        else "average order (none known: no orders imported)"
    )  # fmt: skip
    return [
        _action(ev, t, 1, "Capture interest: lead magnets and a first-order discount",
                [(f"{size:,} lookers browse without buying", who),
                 ("offer a free guide or 10 % off the first order for an e-mail address", ())],
                size * a["lead_conversion_rate"] * ev.aov,
                f"lookers × lead conversion {percent(a['lead_conversion_rate'])}% × {aov}",
                "type == 'looker'", size),
        _action(ev, t, 2, "Improve the experience where they drop out",
                [(f"funnel: {line}", who), (drop, who), (_exits_text(ev.exit_pages), who),
                 (_visits_text(ev.visits_to_purchase), _E)],
                n_ab * ev.aov * _worst(ev.funnel, t) * a["cart_recovery_rate"],
                "lookers with carts × average order × worst drop-off × recovery rate "
                f"{percent(a['cart_recovery_rate'])}%; {_SAME_CARTS.format(3)}",
                "type == 'looker'", size, shared_base=CARTS),
        _action(ev, t, 3, "Run campaigns: retargeting ads, e-mail, SEO content",
                [(_carts_text(ev, t, n_ab, f"left a cart worth {worth}"), who)],
                a["cart_recovery_rate"] * v_ab,
                f"abandoned cart value × recovery rate {percent(a['cart_recovery_rate'])}%; "
                f"{_SAME_CARTS.format(2)}",
                "type == 'looker'", size, shared_base=CARTS),
    ]  # fmt: skip


#: said in the basis of a looker cart estimate: the other rests on the same carts
_SAME_CARTS = "the same carts as action {}, counted once in the type's total"


def _worst(funnel: pd.DataFrame, type_: str) -> float:
    """The worst step's drop-off of a type's funnel (lookers: before purchase), 0 without one
    (a step after one no session reached has none: its drop-off is unknown, NaN)."""
    f = funnel[funnel.type == type_] if len(funnel) and "type" in funnel else funnel.iloc[0:0]
    later = f.iloc[1:]
    if type_ == "looker" and len(later):
        later = later[later.step != "purchase"]
    worst = later.drop_off.max() if len(later) else np.nan
    return float(worst) if pd.notna(worst) else 0.0


def _new(ev: Evidence) -> list[Action]:
    t, a = "new", ASSUMPTIONS
    who = TYPE_NEEDS[t]
    size = _n(ev.visitors, t)
    _, drop = _funnel_text(ev.funnel, t)
    n_ab, v_ab, worth = _abandoned(ev, t)
    tick = _row(ev.tickets, t)
    lift = _followup_lift(ev.repeat_rate)
    return [
        _action(ev, t, 1, "Streamlined onboarding (one-click sign-up, QR codes)",
                [*_onboarding_lines(ev, who),
                 (_carts_text(ev, t, n_ab, "left a cart open after their last order"),
                  (*who, "events")),
                 (drop, (*who, "events"))],
                a["cart_recovery_rate"] * v_ab,
                f"abandoned cart value × recovery rate {percent(a['cart_recovery_rate'])}%",
                "type == 'new'", size, shared_base=CARTS),
        _action(ev, t, 2, "Ask for feedback and act on it",
                [(f"{size:,} new customers to survey (a first order, or a first order in a "
                  "category new to them: shopperlens survey send NAME --type new)", who),
                 (_elsewhere_text(_selected(ev.visitors, NEW_ELSEWHERE)), who)],
                0.0, "no direct revenue: feeds the personas", "type == 'new'", size),
        _action(ev, t, 3, "Be part of their success: answer questions fast",
                [(_tickets_text(tick, "new customers"), (*who, "tickets"))],
                int(tick.get("tickets", 0)) * a["bad_ticket_share"] * ev.aov
                * a["bad_service_churn"],
                "tickets × 10 % that go badly × average order × 61 % who then leave",
                "type == 'new'", size),
        _action(ev, t, 4, "Continue the relationship: thank-you follow-ups, relevant offers",
                [(_shop_repeat_text(ev), who)],
                size * lift * ev.aov,
                f"new customers × {_pct(lift)} more who order again after a follow-up × average "
                "order; today's repeat purchases happen without one and are not counted",
                "type == 'new'", size),
    ]  # fmt: skip


def _shop_repeat_text(ev: Evidence) -> str:
    """ "repeat-purchase rate today, of all buyers (not new customers alone): 68% (713 of all
    1,050 buyers ordered again)". The rate is the shop's: under a new-customer action a bare
    "68%" read as the new customers' own, who by their type have mostly ordered once."""
    per = ev.customers
    buyers = int(per.customer_id.nunique()) if len(per) and "customer_id" in per else 0
    # buyers on two or more days (the repeat rate's count); a frame of orders only: orders
    days = "order_days" if "order_days" in per else "orders"
    again = int((per[days] >= 2).sum()) if buyers and days in per else 0
    counts = f"{again:,} of all {buyers:,} {'buyer' if buyers == 1 else 'buyers'} ordered again"
    if not buyers:
        rate = f"{percent(ev.repeat_rate)}%"
    elif buyers >= MIN_SAMPLE:
        # the counts only beside a rate counted on the same days (not on orders)
        rate = f"{percent(ev.repeat_rate)}%" + (f" ({counts})" if days == "order_days" else "")
    else:
        rate = counts
    return f"{REPEAT_LABEL}: {rate}"


#: what the new-customer follow-up's repeat rate counts: the whole shop's buyers
REPEAT_LABEL = "repeat-purchase rate today, of all buyers (not new customers alone)"


def _elsewhere_text(n: int) -> str | None:
    """The customers a new category made new again while another type still leads them
    (a loyal customer's first tent): the type alone leaves them out of the new playbook."""
    if not n:
        return None
    who = "customer of another type" if n == 1 else "customers of other types"
    return (
        f"{n:,} {who} just bought in a category new to them (shopperlens survey send NAME "
        f"--new-category-days 60 reaches them; segment {md.code(NEW_ELSEWHERE)})"
    )


#: said instead of sign-up counts when the visit data hold no sign-up event at all: who signed
#: up is then unknown, and "0 signed up" would read as measured
NO_SIGN_UPS = (
    "no sign-up events in the visit data: whether new customers signed up before their first "
    "order or ordered as guests is unknown"
)


def _onboarding_lines(ev: Evidence, who: tuple[str, ...]) -> list[Line]:
    """How shoppers reach a first order (:attr:`Evidence.onboarding`): new customers' sign-ups
    and guest orders, sign-ups that led to no order, and checkouts lost before a first
    purchase; none when it was not measured."""
    ob = ev.onboarding
    if ob is None:
        return []
    seen = (*who, "events")
    checkouts = (_first_checkouts_text(ob), _E)
    if not ob.sign_up_events:
        return [(NO_SIGN_UPS, seen), checkouts]
    return [
        (_new_sign_ups_text(ob, _n(ev.visitors, "new")), seen),
        (_unordered_sign_ups_text(ob), seen),
        checkouts,
    ]


def _k_of(k: int, n: int, things: str, thing: str) -> str:
    """ "45% of the 120 visits" from :data:`MIN_SAMPLE` on, else "3 of 5 visits"."""
    if n >= MIN_SAMPLE:
        return f"{percent(k / n)}% of the {n:,} {things}"
    return f"{k:,} of {n:,} {thing if n == 1 else things}"


def _new_sign_ups_text(ob: Onboarding, n_new: int) -> str | None:
    """Of the new customers who joined within the visit data (first order and customer record
    not before them), how many signed up before their first order and how many ordered as
    guests, and how many joined earlier (a sign-up then cannot be seen: counting them as
    guests made registered customers guests); unknown, not 0, when the visit data hold none
    of their visits or begin after all of them joined."""
    if not n_new:
        return None
    unknown = "new customers' sign-ups unknown"
    if not ob.new_with_visits:
        return f"{unknown}: none of their visits are in the imported visit data"
    earlier = ob.new_with_visits - ob.covered
    if not ob.covered:
        return f"{unknown}: they joined before the visit data begin"
    n, guests = ob.covered, ob.guests
    people = _k_of(ob.signed_first, n, "new customers", "new customer")
    share = f"{percent(guests / n)}%" if n >= MIN_SAMPLE else f"{guests:,}"
    later = f", {ob.signed_later:,} of whom signed up afterwards" if ob.signed_later else ""
    before = (
        f"; {earlier:,} more joined before the visit data begin (a sign-up then cannot be seen)"
        if earlier
        else ""
    )
    return (
        f"{people} who joined within the visit data signed up before their first order; "
        f"{share} ordered as guests (no sign-up first){later}{before}"
    )


def _unordered_sign_ups_text(ob: Onboarding) -> str | None:
    """The sign-ups that led to no first order."""
    if not ob.signed_up:
        return None
    people = _k_of(ob.without_order, ob.signed_up, "people", "person")
    return f"{people} who signed up never ordered (a sign-up that led to no first order)"


def _first_checkouts_text(ob: Onboarding) -> str | None:
    """The visits that reached checkout before their shopper's first purchase and did not
    buy; none when the visit data record no checkout step."""
    if not ob.checkouts:
        return None
    visits = _k_of(ob.checkouts_lost, ob.checkouts, "visits", "visit")
    return f"{visits} reaching checkout before the shopper's first purchase ended without one"


def _followup_lift(repeat_rate: float) -> float:
    """The extra share of new customers a follow-up turns into repeat buyers: the assumed
    :data:`ASSUMPTIONS` ``followup_repeat_lift``, never more than the share not ordering again
    today (a shop where everyone orders again has nobody left to win)."""
    room = 1.0 - repeat_rate if np.isfinite(repeat_rate) else 1.0
    return min(ASSUMPTIONS["followup_repeat_lift"], max(0.0, room))


def _pct(share: float) -> str:
    """ "2%"; "0.5%" for a share below one per cent (not "0%" beside a figure above 0)."""
    return f"{percent(share)}%" if share >= 0.01 or share == 0 else f"{percent(share, 1)}%"


def _loyal(ev: Evidence) -> list[Action]:
    t, cur, a = "loyal", ev.currency, ASSUMPTIONS
    who = TYPE_NEEDS[t]
    size = _n(ev.visitors, t)
    loyal = ev.customers[ev.customers.type == t] if len(ev.customers) else ev.customers
    # a revenue is unknown (NaN) for a buyer with no order in the shop's currency: the mean is
    # over the known ones, as counting them at 0 lowered it
    priced = int(loyal.revenue.notna().sum()) if len(loyal) else 0
    revenue = float(loyal.revenue.sum()) if priced else 0.0
    tick = _row(ev.tickets, t)
    n_case, n_ref = len(ev.case_study), len(ev.referral)
    per_customer = revenue / priced if priced else 0.0
    each = "" if priced == len(loyal) else f" (the {priced:,} buying in {cur})"
    bring = f"loyal customers bring {_money(revenue, cur)}{each}"
    per_buyer = f"{len(loyal):,} loyal buyers, {_money(per_customer, cur)} each{each}"
    if len(loyal) and not priced:  # unknown, not 0: none of them bought in the shop's currency
        bring = f"loyal customers' revenue unknown: none bought in {cur}"
        per_buyer = f"{len(loyal):,} loyal buyers, revenue unknown: none bought in {cur}"
    if not len(loyal):  # nobody to average over: "0 loyal buyers, EUR 0 each" read as measured
        bring = per_buyer = "no loyal buyers yet"
    n_tickets = int(tick.get("tickets", 0) or 0)
    # nobody's word on record: who agreed is unknown, not "0 loyal customers"
    case_unknown = "case_study" not in ev.consent_recorded
    ref_unknown = "referral" not in ev.consent_recorded
    case_text = (
        consent_unknown_text("case_study") if case_unknown
        else f"{n_case:,} loyal customers gave case-study consent"
    )  # fmt: skip
    ref_text = (
        consent_unknown_text("referral") if ref_unknown
        else f"{n_ref:,} loyal customers may be e-mailed a referral offer"
    )  # fmt: skip
    actions = [
        _action(ev, t, 1, "Case studies (only with permission); learn what made them loyal",
                [(case_text, who),
                 (bring, who),
                 *_loyalty_lines(ev, who)],
                n_case * a["case_study_sale_rate"] * ev.aov,
                f"consenting candidates × {percent(a['case_study_sale_rate'])}% whose case study "
                "wins one new sale × average order",
                "type == 'loyal' and case_study_consent", n_case),
        _action(ev, t, 2, "A rewards system: points for purchases, interactions and referrals",
                [(per_buyer, who)],
                revenue * a["loyalty_program_lift"],
                f"loyal revenue × {percent(a['loyalty_program_lift'])}% programme lift",
                "type == 'loyal'", size),
        _action(ev, t, 3, "Keep improving service (61 % leave after one bad incident)",
                [(f"{_count(n_tickets, 'ticket')} from loyal customers", (*who, "tickets")),
                 (_channels_text(ev.ticket_channels, t), (*who, "tickets")),
                 (f"{len(ev.loyal_at_risk):,} loyal customers are at risk (P(alive) has fallen)"
                  if len(ev.loyal_at_risk)
                  else _lapsing_text(ev)
                  if ev.clv_note
                  else ev.no_dropout_note  # not "none at risk": none can be flagged
                  if ev.no_dropout_note
                  else "no loyal customer is at risk (P(alive) has not fallen for any)", who)],
                n_tickets * a["bad_ticket_share"] * per_customer * a["bad_service_churn"],
                "loyal tickets × 10 % that go badly × revenue per loyal customer × 61 % who "
                "then leave", "type == 'loyal'", size),
        _action(ev, t, 4, "Encourage referrals, with compensation",
                [(ref_text, who)],
                n_ref * a["referral_order_rate"] * ev.aov,
                f"referral candidates × {percent(a['referral_order_rate'])}% whose referral ends "
                "in a friend's order × average order",
                "type == 'loyal' and referral_consent", n_ref),
    ]  # fmt: skip
    actions[0].unrecorded_consent = "case_study" if case_unknown else None
    actions[3].unrecorded_consent = "referral" if ref_unknown else None
    return actions


def _loyalty_lines(ev: Evidence, who: tuple[str, ...]) -> list[Line]:
    """What was true at the first order of those who ordered again (:attr:`Evidence.loyalty`),
    and the imports that would add a first-order trait to compare (the first visit's channel,
    a ticket after it): none when it was not measured or nobody could be compared yet."""
    result = ev.loyalty
    if result is None:
        return []
    lines: list[Line] = [(text, who) for text in evidence_lines(result)]
    if result.customers:  # said once each, as "no visit data imported (…)"
        lines += [(None, (*who, "events")), (None, (*who, "tickets"))]
    return lines


def _impulse(ev: Evidence) -> list[Action]:
    t, cur, a = "impulse", ev.currency, ASSUMPTIONS
    who = TYPE_NEEDS[t]
    size = _n(ev.visitors, t)
    offer = _row(ev.offers, t)
    tick = _row(ev.tickets, t)
    others = ev.tickets[ev.tickets.type != t] if len(ev.tickets) else ev.tickets
    other_tickets = int(others.tickets.sum()) if len(others) else 0
    other_orders = int(others.orders.sum()) if len(others) else 0
    topics = ", ".join(map(md.datum, ev.topics.topic.head(3))) if len(ev.topics) else "none"
    share = float(offer.get("discount_share", 0.0) or 0.0)
    n_offer = int(offer.get("orders", 0) or 0)
    n_tickets, n_orders = int(tick.get("tickets", 0) or 0), int(tick.get("orders", 0) or 0)
    if n_orders >= MIN_SAMPLE and other_orders >= MIN_SAMPLE:
        per_order = (
            f"{(tick.get('tickets_per_order') or 0):.2f} tickets per order "
            f"(other types {other_tickets / other_orders:.2f})"
        )
    else:
        per_order = (
            f"{n_tickets:,} tickets in {_count(n_orders, 'order')} "
            f"(other types: {other_tickets:,} in {_count(other_orders, 'order')})"
        )
    return [
        _action(ev, t, 1, "Create urgency: limited-time offers, exclusive promotions",
                [(f"{_of(share * n_offer, n_offer)} impulse orders used a discount code"
                  if n_offer else "no impulse orders yet", who),
                 (_offer_revenue_text(offer, cur), who),
                 (_impulsive_new_text(_selected(ev.visitors, NEW_IMPULSIVE)), who)],
                size * a["urgency_extra_order_rate"] * ev.aov,
                f"impulse buyers × {percent(a['urgency_extra_order_rate'])}% a limited-time offer "
                "brings to an order they would not have placed × average order, before the "
                "offer's discount",
                "type == 'impulse'", size),
        _action(ev, t, 2, "Easy access to support: macros for common questions, live chat",
                [(per_order, (*who, "tickets")),
                 (_after_order_text(ev.ticket_channels, t), (*who, "tickets")),
                 (_channels_text(ev.ticket_channels, t), (*who, "tickets")),
                 (f"top topics (candidate macros): {topics}", _T)],
                n_tickets * a["bad_ticket_share"] * ev.aov * a["bad_service_churn"],
                "impulse tickets × 10 % that go badly × average order × 61 % who then leave",
                "type == 'impulse'", size),
    ]  # fmt: skip


def _impulsive_new_text(n: int) -> str | None:
    """New customers whose first orders look impulsive: "new" leads while they are new, so
    the impulse audience leaves them out for their first weeks."""
    if not n:
        return None
    who = "new customer's first orders look" if n == 1 else "new customers' first orders look"
    return f"{n:,} {who} impulsive too (segment {md.code(NEW_IMPULSIVE)})"


#: the most channels named in a line; the rest are counted together
TOP_CHANNELS = 5


def _typed_tickets(tickets: pd.DataFrame, type_: str) -> pd.DataFrame:
    """The tickets of a type's customers (:attr:`Evidence.ticket_channels`)."""
    if not len(tickets) or "type" not in tickets:
        return tickets.iloc[0:0]
    return tickets[tickets.type == type_]


def _channels_text(tickets: pd.DataFrame, type_: str) -> str | None:
    """ "impulse buyers' tickets by channel: email 50%, chat 30%, phone 20% (of 120)" (counts
    below :data:`MIN_SAMPLE`); that the channel is not recorded when no ticket names one
    (rather than no line: the live chat the action proposes needs to know it); none when the
    type has no tickets."""
    mine = _typed_tickets(tickets, type_)
    if not len(mine):
        return None
    whose = f"{TYPE_PEOPLE[type_]}' tickets"
    if "channel" not in tickets or tickets.channel.isna().all():
        return (
            f"ticket channel not recorded: no imported ticket names one (a `channel` column in "
            f"the tickets file — email, chat, phone — shows where {TYPE_PEOPLE[type_]} ask)"
        )
    named = mine.channel.dropna().astype(str)
    if not len(named):
        return f"none of the {len(mine):,} {whose} records its channel"
    counts = named.value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    n, shown, rest = len(named), counts.head(TOP_CHANNELS), counts.iloc[TOP_CHANNELS:]
    if n >= MIN_SAMPLE:
        parts = [f"{md.datum(c)} {percent(k / n)}%" for c, k in shown.items()]
        parts += [f"{len(rest):,} other channels {percent(rest.sum() / n)}%"] if len(rest) else []
        text = f"{whose} by channel: {', '.join(parts)} (of {n:,})"
    else:
        parts = [f"{md.datum(c)} {k:,}" for c, k in shown.items()]
        parts += [f"{len(rest):,} other channels {rest.sum():,}"] if len(rest) else []
        text = f"{whose} by channel: {', '.join(parts)}"
    unrecorded = len(mine) - n
    verb = "records" if unrecorded == 1 else "record"
    return text + (f"; {unrecorded:,} {verb} no channel" if unrecorded else "")


#: below this one-sided p-value a type's tickets come soon after an order more often than
#: other buyers' (Fisher's exact test), and the hasty purchase is named as the likely cause
AFTER_ORDER_ALPHA = 0.05


def _after_order_text(tickets: pd.DataFrame, type_: str) -> str | None:
    """How many of a type's tickets came within :data:`AFTER_ORDER_DAYS` days after an order,
    beside the other buyers' (lookers, who never ordered, and customers of no type left out:
    their tickets cannot follow an order); none without tickets.

    "A hasty purchase, then questions" is said only when the share is higher than the other
    buyers' by Fisher's exact test (one-sided, :data:`AFTER_ORDER_ALPHA`): said of every
    share, it read as a finding where the type asked soon after an order no more often (26 %
    against 29 % on a demo shop)."""
    mine = _typed_tickets(tickets, type_)
    if not len(mine) or "after_order" not in mine:
        return None
    whose = f"{TYPE_PEOPLE[type_]}'"
    k = int(mine.after_order.sum())
    close = _k_of(k, len(mine), f"{whose} tickets", f"{whose} ticket")
    text = f"{close} came within {AFTER_ORDER_DAYS} days after an order"
    others = tickets[~tickets.type.isin([type_, "looker", "untyped"])]
    if not len(others):
        return text + " (no other buyers' tickets to compare)"
    j = int(others.after_order.sum())
    theirs = _k_of(j, len(others), "tickets", "ticket")
    table = [[k, len(mine) - k], [j, len(others) - j]]
    p = float(fisher_exact(table, alternative="greater").pvalue)
    if p < AFTER_ORDER_ALPHA:
        verdict = f"more often (p = {p:.2g}): a hasty purchase, then questions"
    else:
        verdict = f"not clearly more often (p = {p:.2f}): no sign of hasty purchases here"
    return f"{text}; other buyers: {theirs} — {verdict}"


def _offer_revenue_text(offer: dict[str, Any], cur: str) -> str | None:
    """ "impulse revenue EUR 1,234"; unknown, not 0, when every impulse order is in another
    currency than the shop's (its amount is no money of the shop's); None without an impulse
    order ("impulse revenue EUR 0" beside "no impulse orders yet" read as a measured zero)."""
    if not offer.get("orders"):  # no impulse order: said once by the discount-code line
        return None
    revenue = offer.get("revenue", 0.0)
    if revenue is None or revenue != revenue:  # None or NaN
        return f"impulse revenue unknown: no impulse order in {cur}"
    return f"impulse revenue {_money(float(revenue), cur)}"


def render_markdown(
    actions: list[Action], currency: str = "EUR", notes: dict[str, str] | None = None
) -> str:
    """The playbook as Markdown: a section per type (with its note: why nobody can be of the
    type, or that nobody is yet), actions by the mission's order. Every text is escaped
    (:mod:`shopperlens.markdown`): the evidence quotes the shop's search terms and pages, and a
    ``<script>`` or ``|`` among them must stay text in the Markdown and in its HTML."""
    notes = notes or {}
    lines = ["# Playbook", ""]
    for t in TYPES:
        acts = [x for x in actions if x.type == t]
        if not acts:
            continue
        lines += [f"## {md.escape(TYPE_TITLES[t])}", ""]
        if notes.get(t):
            lines += [f"*{md.with_commands(notes[t])}*", ""]
        for x in acts:
            lines.append(
                f"### {x.number}. {md.escape(x.title)} — {md.escape(stake_text(x, currency))}"
            )
            lines += [f"- {md.with_commands(e)}" for e in x.evidence]
            lines.append(f"- priority: {md.escape(priority_text(x, currency))}")
            lines.append(f"- audience: {md.with_commands(audience_text(x))}")
            reach = reach_text(x) if x.detectable else ""
            if reach:
                lines.append(f"- export: {md.code(export_command(x))} {md.with_commands(reach)}")
            lines.append("")
    return "\n".join(lines)
