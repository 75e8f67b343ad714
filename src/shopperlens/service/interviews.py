"""Interviews: recruit the 10 best and 10 worst customers and 10 prospects, invite them,
import the notes and tag them with psychographic themes and quotes (which personas cite).

Bad customers are recruited on purpose: they often tell more about a shop's problems.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import duckdb
import pandas as pd
from pydantic import BaseModel, Field

from shopperlens.config import Settings
from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.labels import money
from shopperlens.personas.scrubbing import scrub
from shopperlens.plain import spreadsheet_safe
from shopperlens.service import survey_delivery as dlv
from shopperlens.service._checks import whole
from shopperlens.service._clock import utc_now
from shopperlens.service._files import BOM, output_file
from shopperlens.service.clv import PURCHASES
from shopperlens.service.overview import in_shop_currency_sql, shop_currency
from shopperlens.service.personas import people_names, refused_quotes
from shopperlens.service.survey_results import optional
from shopperlens.service.surveys import get_survey, responses_frame
from shopperlens.store import Store
from shopperlens.store.connection import check_no_erasure_since
from shopperlens.surveys import interviews as notes_mod
from shopperlens.surveys import mail
from shopperlens.surveys.definition import Question
from shopperlens.textfiles import decode_text

#: the "survey" name interview invitations are filed under
INTERVIEWS = "interviews"
#: a theme's quote when every note on it is of someone who refused to be quoted (see
#: :func:`interview_themes`): its notes are still counted, their words are not shown
NOT_QUOTED = "[not quoted: consent refused]"
#: a theme's quote when only notes without quoted words touch it: their sentences are the
#: interviewer's account, which counts for the theme but is nobody's words to quote
NO_QUOTE = "[no quote: only the interviewer's account touches it]"


class NotesImport(BaseModel):
    files: int
    imported: int
    unchanged: int
    quotes: int
    tags: int
    notes: list[str] = Field(
        default_factory=list,
        description="What the store now holds that its owner should know (one sentence each): "
        "a note naming a customer the shop does not have.",
    )


def recruit(
    *,
    store: Store,
    n: int = 10,
    best_by: str = "auto",
    prospects: int = 10,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """The ``n`` best and ``n`` worst customers and ``prospects`` prospects to interview, with
    the reason for each.

    Best: highest customer lifetime value (``service.clv`` when installed), else most revenue
    and orders. Worst: most support tickets, returns and low satisfaction answers
    (:func:`low_ratings`) relative to their orders; when fewer than ``n`` customers have any of
    these (a shop without tickets has none), the list is filled with the customers of lowest
    value and longest since their last order, each reason saying so (:func:`_lapsed_reason`).
    Nobody is in both lists, and with fewer than ``2 n`` buyers the weaker half is the worst
    list: 3 buyers give 2 best and 1 worst, never the weakest as "best".
    Prospects: see :func:`recruit_prospects`.
    ``best_by`` is ``"clv"``, ``"revenue"`` or ``"auto"`` (CLV when available).
    ``settings``: their ``survey_fatigue_days`` (None: the environment's) say who was
    contacted too recently to be e-mailed now (:func:`_say_who_is_not_asked`).
    Columns: ``customer_id, segment, score, reason``.
    """
    # checked here so every face refuses alike: a negative n was once used as a slice and
    # returned every customer as "best"
    n = whole(n, "n (how many best and worst customers)", low=0)
    prospects = whole(prospects, "prospects", low=0)
    if best_by not in BEST_BY:
        raise ShopperlensError(f"best_by must be one of {', '.join(BEST_BY)}; got {best_by!r}")
    buyers = _recruit_customers(store, n, best_by)
    pros = recruit_prospects(store=store, n=prospects) if prospects > 0 else _empty()
    if buyers is None and pros.empty:
        raise ShopperlensError(NO_ONE_TO_RECRUIT)
    picked = pd.concat([b for b in (buyers, pros) if b is not None and not b.empty] or [_empty()])
    recruits = picked[RECRUIT_COLUMNS].reset_index(drop=True)
    return _say_who_is_not_asked(store, recruits, settings or Settings())


#: added to the reason of a recruit ``--invite`` will not e-mail (see :func:`recruit`)
NO_CONSENT = "; no marketing consent (will not be e-mailed)"
ALREADY_INVITED = "; already invited to an interview (will not be asked again)"
#: ``{days}``: the shop's ``survey_fatigue_days``
RECENTLY_CONTACTED = "; sent a survey or invitation within {days} days (will not be e-mailed now)"


def _say_who_is_not_asked(store: Store, picked: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Each recruit's reason, with whether ``--invite`` will pass them over: a best or worst
    customer without consent (prospects' reasons say so already), anyone whose address was
    given an interview invitation before, and anyone else sent a survey or an invitation
    within ``survey_fatigue_days`` (the rule :func:`invite_interviewees` keeps). The list once
    read as 20 people to invite while several would never be e-mailed, and a second run
    proposed the invited ones again."""
    allowed = dlv.consenting(store=store)
    addresses = dlv.address_book(store)
    asked = dlv.same_address(_asked_to_interview(store), addresses)
    since = utc_now() - timedelta(days=settings.survey_fatigue_days)
    tired = dlv.same_address(dlv.contacted_since(store=store, since=since), addresses)
    recent = RECENTLY_CONTACTED.format(days=settings.survey_fatigue_days)
    reasons = []
    for cid, segment, reason in zip(
        picked["customer_id"], picked["segment"], picked["reason"], strict=True
    ):
        if segment != "prospect" and cid not in allowed:
            reason += NO_CONSENT
        if cid in asked:
            reason += ALREADY_INVITED
        elif cid in tired:
            reason += recent
        reasons.append(reason)
    return picked.assign(reason=reasons)


RECRUIT_COLUMNS = ["customer_id", "segment", "score", "reason"]
#: why nobody can be recruited: what each list needs (a store of customers alone was told to
#: import customers, which it had)
NO_ONE_TO_RECRUIT = (
    "no customers with orders and no prospects yet: the best and worst customers are buyers "
    "(import orders), and prospects are customers with an e-mail and no order who gave "
    "marketing consent or signed up (import consents or the customers file's "
    "accepts_marketing, or events with sign_up)"
)
#: how the best customers can be ranked (see :func:`recruit`)
BEST_BY = ("auto", "clv", "revenue")
#: a scale question whose id matches this asks for satisfaction: its low answers are ratings
RATING_QUESTION = re.compile(r"satisf|rating|rate_us|recommend|nps", re.IGNORECASE)
#: an answer in the lowest quarter of the scale counts as a low rating
LOW_RATING_QUANTILE = 0.25
#: events that show interest without a purchase: signing up, leaving contact details
SIGN_UP_EVENTS = ("sign_up", "generate_lead")


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=RECRUIT_COLUMNS)


def low_ratings(*, store: Store) -> pd.Series:
    """Low satisfaction answers per customer (index ``customer_id``).

    The shop data has no product ratings or reviews yet, so the only ratings are survey
    answers: scale questions whose id says satisfaction (``satisfaction``, ``nps``,
    ``recommend``, ``rating`` …) answered in the lowest quarter of their scale by a known
    customer. Empty when no survey asks such a question.

    Answers are read as the survey results read them (``responses_frame``): a pop-up answer
    from a browser ``identities`` links to a customer is that customer's (it was once
    ignored), and a customer who answered twice counts once.
    """
    counts: dict[str, int] = {}
    for name in store.df("SELECT name FROM surveys")["name"]:
        survey = get_survey(store=store, name=name)
        rated = [q for q in survey.questions if q.kind == "scale" and RATING_QUESTION.search(q.id)]
        if not rated:
            continue
        frame = responses_frame(store=store, survey=name)
        for q in rated:
            low = frame.loc[frame[q.id] <= low_rating_cut(q), "customer_id"].dropna()
            for cid in low:
                counts[cid] = counts.get(cid, 0) + 1
    return pd.Series(counts, dtype=float, name="low_ratings")


def low_rating_cut(question: Question) -> float:
    """The highest answer that is still a low rating: the top of the lowest quarter of the
    question's scale. A scale may start at 0 (NPS runs 0–10), so a missing bound, not a falsy
    one, falls back to the default 1–5 (``min or 1`` once moved the 0–10 cut to 3.25)."""
    lo = 1.0 if question.min is None else float(question.min)
    hi = 5.0 if question.max is None else float(question.max)
    return lo + LOW_RATING_QUANTILE * (hi - lo)


def recruit_prospects(*, store: Store, n: int = 10) -> pd.DataFrame:
    """People who showed interest but never bought and left an address: customer rows with an
    e-mail and no order who gave marketing consent or signed up (a ``sign_up`` /
    ``generate_lead`` event of theirs, linked through ``identities``).

    Those who can be e-mailed (marketing consent) come first; within each group, ranked by
    purchase intent (``service.intent.latest_intent``) when the shop has enough
    sessions to score it, else by engagement: visits + product views / 2 + 3 × carts +
    2 × checkouts. Anonymous survey respondents are not candidates: responses store no
    e-mail address, so they cannot be invited (the public survey link reaches them instead).
    Columns: ``customer_id, segment, score, reason``; ``score`` is the intent (−1 for a
    prospect the intent run did not score) or, without an intent run, the engagement.
    """
    people = store.df(
        "WITH ev AS (SELECT coalesce(e.customer_id, i.customer_id) AS customer_id, "
        " e.session_id, e.event_name FROM events e LEFT JOIN identities i USING (visitor_id)), "
        "eng AS (SELECT customer_id, count(DISTINCT session_id) AS visits, "
        " count(*) FILTER (event_name IN ('view_item', 'product_view')) AS views, "
        " count(*) FILTER (event_name = 'add_to_cart') AS carts, "
        " count(*) FILTER (event_name ILIKE '%checkout%') AS checkouts, "
        " count(*) FILTER (event_name IN (SELECT unnest(?))) AS signups "
        " FROM ev WHERE customer_id IS NOT NULL GROUP BY 1) "
        "SELECT c.customer_id, coalesce(visits, 0) AS visits, coalesce(views, 0) AS views, "
        "coalesce(carts, 0) AS carts, coalesce(checkouts, 0) AS checkouts, "
        "coalesce(signups, 0) AS signups FROM customers c LEFT JOIN eng USING (customer_id) "
        "WHERE c.email IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id) ORDER BY c.customer_id",
        [list(SIGN_UP_EVENTS)],
    )
    allowed = dlv.consenting(store=store)
    people = people[people["customer_id"].isin(allowed) | (people["signups"] > 0)]
    if people.empty or n <= 0:
        return _empty()
    people = people.assign(
        engagement=people["visits"]
        + people["views"] / 2
        + 3 * people["carts"]
        + 2 * people["checkouts"]
    )
    intent = _intent_by_customer(store)
    people["intent"] = people["customer_id"].map(intent)
    use_intent = people["intent"].notna().any()
    people["score"] = people["intent"].fillna(-1.0) if use_intent else people["engagement"]
    people["reachable"] = people["customer_id"].isin(allowed)
    people = people.sort_values(
        ["reachable", "score", "engagement", "customer_id"],
        ascending=[False, False, False, True],
        kind="stable",
    ).head(n)
    # what was never imported is unknown, not 0: a customers file alone had every prospect
    # read "0 visits, 0 product views, 0 carts, no order"
    has_events = bool(store.scalar("SELECT EXISTS (SELECT 1 FROM events)"))
    has_orders = bool(store.scalar("SELECT EXISTS (SELECT 1 FROM orders)"))
    rows = []
    for r in people.itertuples(index=False):
        seen = (
            _engagement_reason(int(r.visits), int(r.views), int(r.carts), int(r.checkouts))
            if has_events
            else "visits unknown (no events imported)"
        )
        why = seen + (", no order" if has_orders else ", orders unknown (no orders imported)")
        if use_intent and pd.notna(r.intent):
            why = f"purchase intent {r.intent:.2f}; " + why
        if r.signups:
            why += "; signed up"
        if r.customer_id not in allowed:
            why += NO_CONSENT
        rows.append(
            {
                "customer_id": r.customer_id,
                "segment": "prospect",
                "score": float(r.score),
                "reason": why,
            }
        )
    return pd.DataFrame(rows, columns=RECRUIT_COLUMNS)


def _engagement_reason(visits: int, views: int, carts: int, checkouts: int) -> str:
    """Every part of a prospect's engagement score, each with its noun in the right number:
    ``1 visit, 1 product view, 1 cart, 1 checkout``. Checkouts count double in the score, so
    leaving them out (as the reason once did) gave 6.5 and 4.5 the same words."""
    return ", ".join(
        [
            _count(visits, "visit"),
            _count(views, "product view"),
            _count(carts, "cart"),
            _count(checkouts, "checkout"),
        ]
    )


def _intent_by_customer(store: Store) -> dict[str, float]:
    """Highest purchase intent per customer id (directly or through identities)."""
    scored = optional(store, "intent", "latest_intent")
    if scored is None or scored.empty:
        return {}
    ids = store.df("SELECT visitor_id, customer_id FROM identities")
    via = dict(zip(ids["visitor_id"], ids["customer_id"], strict=True))
    cid = scored["customer_id"].where(scored["customer_id"].notna(), scored["visitor_id"].map(via))
    best = pd.Series(scored["intent"].to_numpy(), index=cid).dropna()
    best = best[best.index.notna()]
    return best.groupby(level=0).max().to_dict()


def _recruit_customers(store: Store, n: int, best_by: str) -> pd.DataFrame | None:
    """Best and worst buyers; None when nobody has ordered."""
    # revenue adds the orders in the shop's currency only (as the playbooks' customer revenue):
    # a GBP order's amount is no EUR amount; None for a customer with no such order
    currency = shop_currency(store=store)
    mine = in_shop_currency_sql("o.currency")
    stats = store.df(
        "WITH o AS (SELECT o.customer_id, count(DISTINCT o.order_id) AS orders, "
        f" count(DISTINCT o.order_id) FILTER (WHERE NOT ({mine})) AS other_orders, "
        " max(o.ordered_at) AS last_order_at, "
        f" sum(l.quantity * l.unit_price) FILTER (WHERE {mine}) AS revenue "
        f" FROM {PURCHASES} o JOIN order_lines l "
        " USING (order_id) WHERE o.customer_id IS NOT NULL GROUP BY 1), "
        "t AS (SELECT customer_id, count(*) AS tickets FROM tickets GROUP BY 1), "
        "r AS (SELECT customer_id, count(*) AS returns FROM returns GROUP BY 1) "
        "SELECT o.customer_id, o.orders, o.other_orders, o.last_order_at, o.revenue, "
        "coalesce(t.tickets, 0) AS tickets, "
        "coalesce(r.returns, 0) AS returns FROM o LEFT JOIN t USING (customer_id) "
        "LEFT JOIN r USING (customer_id)",
        [currency, currency, currency, currency],
    )
    if stats.empty:
        return None
    clv = optional(store, "clv", "customer_value") if best_by in ("auto", "clv") else None
    if best_by == "clv" and (clv is None or "clv" not in clv):
        raise ShopperlensError("customer lifetime values are not available")
    if clv is not None and "clv" in clv:
        stats = stats.merge(clv[["customer_id", "clv"]], on="customer_id", how="left")
        stats["best_score"] = stats["clv"].fillna(0)
        best_reason = "expected lifetime value {}"
    else:
        stats["best_score"] = stats["revenue"].fillna(0) * (1 + 0.1 * stats["orders"])
        best_reason = "revenue {} over {}"
    stats["ratings"] = stats["customer_id"].map(low_ratings(store=store)).fillna(0).astype(int)
    stats["worst_score"] = (stats["tickets"] + 2 * stats["returns"] + 2 * stats["ratings"]) / stats[
        "orders"
    ].clip(lower=1)
    stats = stats.sort_values("customer_id")
    # few buyers: split them, the weaker half worst (3 buyers were once all three "best")
    n_worst = min(n, len(stats) // 2)
    best = stats.sort_values("best_score", ascending=False, kind="stable")
    best = best.head(min(n, len(stats) - n_worst))
    rest = stats[~stats["customer_id"].isin(best["customer_id"])]
    worst = rest[rest["worst_score"] > 0].sort_values("worst_score", ascending=False, kind="stable")
    worst = worst.head(n_worst)
    # "low value" needs a known value: with revenue the measure, a customer who bought only in
    # other currencies has none in the shop's (a big GBP buyer is not the lowest-value one)
    candidates = rest[~rest["customer_id"].isin(worst["customer_id"])]
    if "clv" not in stats:
        candidates = candidates[candidates["revenue"].notna()]
    lapsed = _lapsed(candidates, stats)
    lapsed = lapsed.head(n_worst - len(worst))
    any_signal = bool((stats["worst_score"] > 0).any())
    rows = []
    for r in best.itertuples(index=False):
        reason = (
            best_reason.format(money(r.best_score, currency))
            if "clv" in stats
            else best_reason.format(money(r.revenue, currency), _orders_of(r))
        )
        rows.append(
            {
                "customer_id": r.customer_id,
                "segment": "best",
                "score": float(r.best_score),
                "reason": reason,
            }
        )
    for r in worst.itertuples(index=False):
        rows.append(
            {
                "customer_id": r.customer_id,
                "segment": "worst",
                "score": float(r.worst_score),
                "reason": _worst_reason(r.tickets, r.returns, r.orders, r.ratings),
            }
        )
    for r in lapsed.itertuples(index=False):
        rows.append(
            {
                "customer_id": r.customer_id,
                "segment": "worst",
                "score": 0.0,
                "reason": _lapsed_reason(r, currency, any_signal, with_clv="clv" in stats),
            }
        )
    return pd.DataFrame(rows, columns=RECRUIT_COLUMNS)


def _lapsed(candidates: pd.DataFrame, stats: pd.DataFrame) -> pd.DataFrame:
    """The candidates ranked lowest value and longest since the last order first: the sum of
    their rank by value (``best_score``, lowest first) and by days since their last order
    before the shop's newest order (most first); ties by lower value, then id."""
    newest = pd.to_datetime(stats["last_order_at"]).max()
    days = (newest - pd.to_datetime(candidates["last_order_at"])).dt.days
    c = candidates.assign(days=days.fillna(0).astype(int))
    c = c.assign(
        rank=c["best_score"].rank(method="min") + c["days"].rank(method="min", ascending=False)
    )
    return c.sort_values(["rank", "best_score", "customer_id"], kind="stable")


def _lapsed_reason(r, currency: str, any_signal: bool, *, with_clv: bool = False) -> str:  # type: ignore[no-untyped-def]
    """Why a customer without tickets, returns or low ratings is among the "worst": low value
    (the expected lifetime value when the best are ranked by it) and long lapsed, and whether
    the shop records no such signal at all or only not theirs."""
    clv = f"expected lifetime value {money(r.best_score, currency)}, " if with_clv else ""
    why = (
        f"low value and long since the last order: {clv}{money(r.revenue, currency)} over "
        f"{_orders_of(r)}, last order {_count(int(r.days), 'day')} before the newest"
    )
    if any_signal:
        return why + " (no support ticket, return or low rating of theirs)"
    return why + " (the shop records no support tickets, returns or low ratings)"


def _orders_of(r) -> str:  # type: ignore[no-untyped-def]
    """``2 orders (1 order in other currencies left out)``: the orders a revenue is over, and
    how many of them it leaves out because their amounts are not in the shop's currency (a
    customer with none in it has a dash for revenue, never 0)."""
    orders = _count(int(r.orders), "order")
    if not r.other_orders:
        return orders
    return f"{orders} ({_count(int(r.other_orders), 'order')} in other currencies left out)"


def _count(n: int, word: str) -> str:
    """``1 return``, ``3 returns``: a count with its noun in the right number."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _worst_reason(tickets: int, returns: int, orders: int, ratings: int = 0) -> str:
    """Why a customer is among the "worst" to interview, in the shop's words.

    A ticket is any support contact (a question about sizes as much as a complaint), so it
    is called a support ticket, not a complaint.
    """
    reason = (
        f"{_count(tickets, 'support ticket')} and {_count(returns, 'return')} "
        f"in {_count(orders, 'order')}"
    )
    if ratings:
        reason += f", {_count(ratings, 'low satisfaction answer')}"
    return reason


#: the recruit list for a booking, calendar or mail tool (see :func:`recruits_and_list`)
RECRUIT_LIST_COLUMNS = [
    "customer_id",
    "first_name",
    "email",
    "segment",
    "reason",
    "consent",
    "already_invited",
]
#: the endings a recruit list may have: the tools it is for take CSV
RECRUIT_LIST_FORMATS = (".csv",)


class Recruits(NamedTuple):
    """The recruits (:func:`recruit`) and those of them an invitation may reach
    (:func:`recruits_and_list`), from one computation."""

    picked: pd.DataFrame
    reachable: pd.DataFrame


def recruits_and_list(
    *,
    store: Store,
    n: int = 10,
    best_by: str = "auto",
    prospects: int = 10,
    out: str | Path | None = None,
    bom: bool = False,
    settings: Settings | None = None,
) -> Recruits:
    """:func:`recruit`'s rows (``picked``) and, drawn from them, the recruit list
    (``reachable``): what a booking, calendar or mail tool needs
    (:data:`RECRUIT_LIST_COLUMNS`), written to ``out`` (a ``.csv`` file) when given.

    Only those who may be contacted are listed (an address given an interview invitation
    before is in, marked ``already_invited``, for the owner's follow-up, though
    :func:`invite_interviewees` does not ask it again): with consent (which
    leaves out suppressed and refusing addresses), an e-mail address, one customer id per
    address, not sent a survey or an interview invitation within ``settings``'
    ``survey_fatigue_days`` (None: read from the environment); an erased customer has
    neither consent nor address. ``first_name`` is the one the invitation greets
    with (empty when doubtful), ``consent`` the record that gave it, ``already_invited``
    whether the address was given an interview invitation before (the invitation will not
    ask it again). The rows are personal data: the file is readable by its owner only
    (:func:`recruit_csv`, :func:`_write_private`), and written only if nobody was erased
    while it was read. ``interviews recruit --out`` shows the one and writes the other:
    choosing the recruits twice took twice the time and could show a table the file
    disagreed with when the data changed in between."""
    if out is not None:  # before any work: a name the file's format belies is refused
        output_file(out, RECRUIT_LIST_FORMATS)
    mark = store.erasure_mark()
    settings = settings or Settings()
    picked = recruit(store=store, n=n, best_by=best_by, prospects=prospects, settings=settings)
    rows = _reachable(store, picked, settings)
    with store.write_lock(), store.cursor() as con:  # (no erasure can commit meanwhile)
        check_no_erasure_since(con, mark)
        if out is not None:
            _write_private(output_file(out), recruit_csv(rows, bom=bom))
    return Recruits(picked, rows)


def _reachable(store: Store, picked: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """``picked`` (:func:`recruit`'s rows) narrowed to those an invitation may reach, in
    :data:`RECRUIT_LIST_COLUMNS`. Those sent a survey or an interview invitation within
    ``survey_fatigue_days`` are left out, as :func:`invite_interviewees` passes them over:
    the list once handed a booking tool people the contact-fatigue rule protects."""
    allowed = dlv.consenting(store=store)
    addresses = dlv.address_book(store)
    since = utc_now() - timedelta(days=settings.survey_fatigue_days)
    tired = dlv.same_address(dlv.contacted_since(store=store, since=since), addresses)
    ids = picked["customer_id"]
    reach = ids.isin(allowed) & ids.isin(addresses) & ~ids.isin(tired)
    people, _ = dlv.one_per_address(picked[reach], addresses)
    who = store.df(
        "SELECT customer_id, email, name FROM customers "
        "WHERE list_contains(?::VARCHAR[], customer_id)",
        [list(people["customer_id"])],
    ).set_index("customer_id")
    asked = dlv.same_address(_asked_to_interview(store), addresses)
    cids = people["customer_id"]
    return pd.DataFrame(
        {
            "customer_id": cids,
            "first_name": cids.map(lambda c: mail.greeting_name(who.at[c, "name"])),
            "email": cids.map(who["email"]),
            "segment": people["segment"],
            "reason": people["reason"],
            "consent": cids.map(_consent_given(store, list(cids))),
            "already_invited": cids.isin(asked),
        },
        columns=RECRUIT_LIST_COLUMNS,
    ).reset_index(drop=True)


def _consent_given(store: Store, ids: list[str]) -> dict[str, str]:
    """Customer id -> what gave the consent an invitation follows
    (:func:`dlv.consenting`'s rule): a survey consent record, else a marketing one, else the
    customers file's ``accepts_marketing``. A mail tool asks for the basis of each address."""
    rows = store.df(
        "SELECT customer_id, bool_or(lower(purpose) = 'survey') AS own FROM consents "
        "WHERE lower(purpose) IN ('survey', 'marketing') "
        "AND list_contains(?::VARCHAR[], customer_id) GROUP BY 1",
        [ids],
    )
    said = dict(zip(rows["customer_id"], rows["own"], strict=True))
    return {
        c: "yes (survey consent)"
        if said.get(c)
        else "yes (marketing consent)"
        if c in said
        else "yes (accepts_marketing)"
        for c in ids
    }


def recruit_csv(rows: pd.DataFrame, *, bom: bool = False) -> str:
    """The recruit list's CSV text: every text cell a spreadsheet would run as a formula
    prefixed (:func:`~shopperlens.plain.spreadsheet_safe`), after UTF-8's byte order mark
    with ``bom`` (the ``csv_bom`` setting), as every CSV file of results."""
    return (BOM if bom else "") + spreadsheet_safe(rows).to_csv(index=False)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable and writable by its owner only (mode 0600), as
    ``export-person`` writes one person's data: a file beside it is filled, then put in
    ``path``'s place, so a file already there never stays readable by others."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # (a leftover temporary file keeps its mode otherwise)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ShopperlensError(f"cannot write {path}: {exc.strerror}") from None


def invite_interviewees(
    *,
    store: Store,
    settings: Settings,
    customer_ids: list[str],
    booking_url: str | None = None,
    reward: str | None = None,
    shop_name: str | None = None,
    template: str | Path = "interview",
    now: datetime | None = None,
) -> dlv.SendReport:
    """E-mail an interview invitation (humble, honest, easy to accept) to each customer once,
    only with marketing consent, and to each address once: two ids of one inbox (a person's
    two accounts, a family) get one invitation, and an address already invited is not asked
    again ("we will not ask again"). Nobody sent a survey or an interview invitation within
    ``Settings.survey_fatigue_days`` is asked either (:func:`dlv.contacted_since`, the rule
    survey sends keep); both are counted ``fatigued``. An id that names no customer is
    refused before anything is sent (:func:`check_customers`)."""
    check_customers(store, customer_ids)
    dlv.require_opt_out_key(settings)
    report = dlv.SendReport(survey=INTERVIEWS, audience="interview", matched=len(customer_ids))
    allowed = dlv.consenting(store=store)
    addresses = dlv.address_book(store)
    since = (now or utc_now()) - timedelta(days=settings.survey_fatigue_days)
    asked = dlv.same_address(
        _asked_to_interview(store) | dlv.contacted_since(store=store, since=since), addresses
    )
    todo = [c for c in dict.fromkeys(customer_ids) if c in allowed and c not in asked]
    report.no_consent = sum(c not in allowed for c in customer_ids)
    report.fatigued = sum(c in asked and c in allowed for c in customer_ids)
    people = pd.DataFrame({"customer_id": todo})
    people, report.same_address = dlv.one_per_address(people, addresses)
    todo = list(people["customer_id"])
    ids = dlv.invite(
        store=store,
        survey=INTERVIEWS,
        customer_ids=todo,
        purpose="interview",
        audience="interview",
        now=now,
    )
    done = dlv.deliver(
        store=store,
        settings=settings,
        survey=INTERVIEWS,
        purpose="interview",
        template=template,
        shop_name=shop_name,
        link=booking_url or False,
        reward=reward,
    )
    dlv.add_counts(report, done)
    report.invited = dlv.still_invited(store, ids)
    return report


def _asked_to_interview(store: Store) -> set[str]:
    """Customers ever given an interview invitation (of any status): never asked twice."""
    rows = store.df("SELECT customer_id FROM survey_invitations WHERE purpose = 'interview'")
    return set(rows["customer_id"])


def check_customers(store: Store, customer_ids: list[str]) -> None:
    """Refuse ids the shop has no customer for (in its customers or its orders), naming
    them: a typo was counted as a customer without consent, a 200 that invited nobody."""
    unknown = _unknown_ids(store, customer_ids)
    if unknown:
        named = ", ".join(repr(i) for i in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise NotFoundError(f"no customer {named}{more} in the shop's data: nobody was invited")


def _unknown_ids(store: Store, customer_ids: list[str]) -> list[str]:
    """The ids among ``customer_ids`` the shop has no customer for (in its customers or its
    orders), each once, sorted."""
    return store.df(
        "SELECT i FROM unnest(?::VARCHAR[]) t(i) WHERE NOT EXISTS "
        "(SELECT 1 FROM customers c WHERE c.customer_id = i) AND NOT EXISTS "
        "(SELECT 1 FROM orders o WHERE o.customer_id = i) ORDER BY i",
        [list(dict.fromkeys(customer_ids))],
    )["i"].tolist()


#: the file types read as interview notes when a folder is imported
NOTE_SUFFIXES = (".md", ".txt")


def notes_in_folder(folder: Path) -> list[Path]:
    """The interview notes in ``folder`` and every folder inside it, in a stable order.

    Notes are often filed by segment (``notes/best/01.md``, ``notes/worst/01.md``): reading
    the top level only once imported "0 files" from such a folder and called it a success.
    Only ``.md``/``.txt`` files count (a folder also holds recordings, spreadsheets …); hidden
    files and folders (``.git``, ``.DS_Store``, an editor's ``.01.md.swp``) are left out, and
    linked folders are not followed (a link to a parent would never end). Sorted by path, so
    the same folder imports in the same order on every machine.
    """
    found: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(
            Path(root) / n
            for n in names
            if not n.startswith(".") and Path(n).suffix.lower() in NOTE_SUFFIXES
        )
    return sorted(found, key=lambda f: f.relative_to(folder).parts)


def _one_note_each(store: Store, files: list[Path], texts: list[tuple[str, str]]) -> None:
    """Refuse a call holding two different notes of one interviewee: the second would replace
    the first (a note replaces its interviewee's earlier version, and its file name names the
    interviewee), and one would be lost without a word (``best/01.md`` and ``worst/01.md``)."""
    with store.cursor() as con:
        customer = _known_customer(con)
        seen: dict[str, tuple[Path, str]] = {}
        for f, (text, checksum) in zip(files, texts, strict=True):
            who = notes_mod.parse_note(f.stem, text, is_customer=customer).interviewee
            if who in seen and seen[who][1] != checksum:
                raise ShopperlensError(
                    f"two notes of interviewee {who!r} in one import ({seen[who][0]} and {f}): "
                    "a note's file name names its interviewee, so the second would replace the "
                    "first; give each interviewee's note its own file name and import again "
                    "(nothing stored)"
                )
            seen[who] = (f, checksum)


def import_notes(*, store: Store, paths: list[str | Path]) -> NotesImport:
    """Import interview notes (``.md``/``.txt`` files or folders of them) and tag them.

    A folder is read with the folders inside it (:func:`notes_in_folder`); one holding no
    note at all is refused (nothing stored), not reported as a successful import of 0 files.

    Idempotent: an unchanged file is skipped; a changed one replaces its earlier version
    (matched by file name). Every file is read before anything is stored: one that is not
    UTF-8 text, or holds no text, stops the call with its name and nothing is stored (binary
    bytes decoded leniently once became hundreds of junk "quotes" that fed the personas).
    """
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = notes_in_folder(p)
            if not found:
                raise ShopperlensError(
                    f"no interview notes in {p}: a folder's notes are its .md and .txt files "
                    "(in it or in folders inside it, hidden ones left out); put the notes "
                    "there or name the files, and import again (nothing stored)"
                )
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise ShopperlensError(f"no such file or folder: {p}")
    # one file named twice (a folder and a file in it) is one note, not two
    files = list({f.resolve(): f for f in files}.values())
    texts = []
    for f in files:
        try:
            raw = f.read_bytes()
        except OSError as exc:
            raise ShopperlensError(f"cannot read {f}: {exc.strerror}") from None
        text = decode_text(raw, f.name, what="interview notes in Markdown or plain text")
        texts.append((text, hashlib.sha256(raw).hexdigest()))
    _one_note_each(store, files, texts)
    names = _names_to_mask(store, files, texts)
    result = NotesImport(files=len(files), imported=0, unchanged=0, quotes=0, tags=0)
    now = utc_now()
    with store.transaction() as con:
        for f, (text, checksum) in zip(files, texts, strict=True):
            if con.execute(
                "SELECT 1 FROM interview_notes WHERE checksum = ?", [checksum]
            ).fetchone():
                result.unchanged += 1
                continue
            note = notes_mod.parse_note(f.stem, text, is_customer=_known_customer(con), names=names)
            old = [
                r[0]
                for r in con.execute(
                    "SELECT note_id FROM interview_notes WHERE interviewee = ?", [note.interviewee]
                ).fetchall()
            ]
            for nid in old:
                con.execute("DELETE FROM interview_tags WHERE note_id = ?", [nid])
                con.execute("DELETE FROM interview_notes WHERE note_id = ?", [nid])
            note_id = uuid.uuid4().hex
            con.execute(
                "INSERT INTO interview_notes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    note_id,
                    note.interviewee,
                    note.customer_id,
                    note.segment,
                    f.name,
                    checksum,
                    note.body,
                    note.interviewed_at,
                    now,
                ],
            )
            tags = notes_mod.tag_note(note, names)
            if tags:
                con.executemany(
                    "INSERT INTO interview_tags VALUES (?, ?, ?, ?)",
                    [[note_id, note.customer_id, theme, quote] for theme, quote in tags],
                )
            result.imported += 1
            result.quotes += len(note.quotes)
            result.tags += len(tags)
    result.notes = _unknown_customer_notes(store, files, texts)
    return result


def _unknown_customer_notes(
    store: Store, files: list[Path], texts: list[tuple[str, str]]
) -> list[str]:
    """One sentence per note of this import naming a customer the shop does not have. The
    note is stored, as every import stores rows naming ids the shop does not know yet (the
    customers file may come later, and then the note reaches that customer's persona); but a
    mistyped id was stored without a word and attached the note to nobody."""
    with store.cursor() as con:
        customer = _known_customer(con)
        named = {
            f.name: notes_mod.parse_note(f.stem, text, is_customer=customer).customer_id
            for f, (text, _) in zip(files, texts, strict=True)
        }
    unknown = set(_unknown_ids(store, [c for c in named.values() if c]))
    return [
        f"{name} names customer {cid!r}, who is not in the shop's data (its customers or "
        "orders): the note is stored but reaches no persona until that customer is imported; "
        "if the id is mistyped, correct it in the note and import it again"
        for name, cid in named.items()
        if cid in unknown
    ]


def _names_to_mask(store: Store, files: list[Path], texts: list[tuple[str, str]]) -> list[str]:
    """The names masked in the quotes an import stores: the names the shop has for the
    customers these notes are about and for every customer interviewed before, chosen as the
    persona cards choose theirs (``service.personas.people_names``), so a stored quote reads
    as a card quoting it does. Only patterns (e-mails, phones, addresses, signed names) were
    masked at import, and "Quorvath Blenkinsop here: …" was stored with the customer's name."""
    with store.cursor() as con:
        customer = _known_customer(con)
        ids = [
            notes_mod.parse_note(f.stem, text, is_customer=customer).customer_id
            for f, (text, _) in zip(files, texts, strict=True)
        ]
    return people_names(store, pd.DataFrame({"customer_id": pd.Series(ids, dtype=object)}))


def _known_customer(con: duckdb.DuckDBPyConnection) -> Callable[[str], bool]:
    """Is a word from a note's title a customer id of this shop? (Ids without a digit, such
    as ``anna``, are only taken when the customers table has them.)"""

    def known(customer_id: str) -> bool:
        row = con.execute("SELECT 1 FROM customers WHERE customer_id = ?", [customer_id])
        return row.fetchone() is not None

    return known


def interview_themes(*, store: Store) -> pd.DataFrame:
    """Themes across all interviews: how many notes touch each, and a quote to cite.

    Columns: ``theme, notes, best, worst, prospects, referrals, quote`` (``notes`` counts
    every note, also those of no known segment). Every face shows this table (the CLI after
    ``interviews import``, ``GET /api/interviews/themes``, the report's Surveys page), so its
    quote follows the persona cards' rules, by the cards' own functions:

    * the quote is the longest one of a person who did not refuse to be quoted (latest
      ``case_study`` or ``testimonial`` consent record a no: ``refused_quotes``). A theme
      whose every quote is of such people shows :data:`NOT_QUOTED`; its notes still count,
      as the counts say what was heard, not who may be cited;
    * the quote comes from a note's quoted words only: a theme only notes without quotes
      touch (their sentences are the interviewer's account) shows :data:`NO_QUOTE`;
    * it is masked here with the names the shop has for interviewed customers
      (``people_names``) and :func:`scrub`'s patterns, because notes imported earlier hold
      their quotes as written, and an import knows only the names of its day.
    """
    refused = sorted(refused_quotes(store))
    quoted = _notes_with_quotes(store)
    themes = store.df(
        "SELECT t.theme, count(DISTINCT t.note_id) AS notes, "
        "count(DISTINCT t.note_id) FILTER (n.segment = 'best') AS best, "
        "count(DISTINCT t.note_id) FILTER (n.segment = 'worst') AS worst, "
        "count(DISTINCT t.note_id) FILTER (n.segment = 'prospect') AS prospects, "
        "count(DISTINCT t.note_id) FILTER (n.segment = 'referral') AS referrals, "
        "arg_max(t.quote, length(t.quote)) FILTER (list_contains(?::VARCHAR[], t.note_id) "
        " AND NOT list_has_any(?::VARCHAR[], [n.customer_id, t.customer_id])) AS quote, "
        "bool_or(list_contains(?::VARCHAR[], t.note_id)) AS heard "
        "FROM interview_tags t JOIN interview_notes n USING (note_id) "
        "GROUP BY 1 ORDER BY notes DESC, theme",
        [quoted, refused, quoted],
    )
    names = people_names(store, pd.DataFrame())
    themes["quote"] = [
        scrub(str(q), names) if q is not None and pd.notna(q) else NOT_QUOTED if h else NO_QUOTE
        for q, h in zip(themes["quote"], themes["heard"], strict=True)
    ]
    return themes.drop(columns="heard")


def _notes_with_quotes(store: Store) -> list[str]:
    """The notes holding quoted words (block quotes or passages in quotation marks). A note
    without any is tagged by its sentences, the interviewer's own account: they count for a
    theme, but shown as its example quote they read as a customer's words."""
    notes = store.df("SELECT note_id, body FROM interview_notes")
    return [
        nid
        for nid, body in zip(notes["note_id"], notes["body"], strict=True)
        if notes_mod.quotes(str(body))
    ]
