"""What this shop's data can support: per capability, ready, limited or missing, the figure
behind the answer and the command to run next.

A shop owner imports what she has (a Shopify orders export, GA4 events, the UCI sessions
file) and learnt what was lacking one refusal at a time, from whichever command she ran.
:func:`readiness` answers for every capability at once, and each answer applies the
capability's own condition: its constants and gate functions are imported here, never
copied (``clv`` runs :func:`~shopperlens.models.check_minimum_data` itself on the same
recency and frequency figures), so a changed minimum changes both.

Every figure is one SQL aggregate over the store (the CLV gate gets one row per buyer), but
those a capability decides by running itself: the recommendations (``recommend together``'s
query) and, without survey answers, ``analytics check``. The answer costs well under a second
on the demo shop. Statuses:

* ``ready``: the capability runs on this data with all of its evidence;
* ``limited``: it runs, with part of its evidence or reach missing (the figure says which);
* ``missing``: it cannot run on this data yet; the next step says which file to import.

A next step is one that moves its line: the file that adds what is lacking, or the setting
that is missing, then the command.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from shopperlens.config import Settings
from shopperlens.errors import InsufficientDataError, ShopperlensError
from shopperlens.merchandise import PRODUCT_LINES
from shopperlens.models import check_minimum_data
from shopperlens.models.basket import confidence_count
from shopperlens.models.clustering import PersonaClustering
from shopperlens.playbooks.checkout import MIN_SAMPLE
from shopperlens.playbooks.generator import (
    IMPORT_COMMAND,
    MIN_TOGETHER,
    SOURCE_NAME,
    TYPE_NEEDS,
    TYPE_PEOPLE,
)
from shopperlens.playbooks.visits import FUNNEL_STEPS
from shopperlens.service import (
    audience,
    clv,
    consent,
    intent,
    personas,
    playbooks,
    survey_delivery,
    surveys,
)
from shopperlens.service import types as types_svc
from shopperlens.service.clv import PURCHASES
from shopperlens.service.overview import in_shop_currency_sql, shop_currency
from shopperlens.store import Store
from shopperlens.surveys import IMPORT_COMMAND as SURVEY_IMPORT

Status = Literal["ready", "limited", "missing"]
#: the statuses, best first
STATUSES: tuple[Status, ...] = ("ready", "limited", "missing")

CONSENT_IMPORT = "shopperlens consent import FILE"
CUSTOMERS_IMPORT = "shopperlens import customers FILE"


class Capability(BaseModel):
    """One capability's answer."""

    name: str = Field(description="Short id: customer_types, clv, intent, …")
    title: str = Field(description="What it is, in the owner's words.")
    status: Status = Field(description="ready, limited or missing.")
    figure: str = Field(description="The figures behind the status, and what is lacking.")
    next_step: str = Field(description="The command to run next.")


class Readiness(BaseModel):
    """Every capability's answer, in the order the README lists them."""

    capabilities: list[Capability]

    def status(self, name: str) -> Status:
        """The status of the capability ``name`` (``clv``, ``intent`` …)."""
        for c in self.capabilities:
            if c.name == name:
                return c.status
        raise ShopperlensError(
            f"no capability {name!r}; choose {', '.join(c.name for c in self.capabilities)}"
        )


def readiness(*, store: Store, settings: Settings | None = None) -> Readiness:
    """Whether this store's data is enough for each capability (see the module docstring).

    ``settings`` decide whether e-mail can go out (a secret key to sign links, a public
    address customers can reach); None reads them from the environment."""
    settings = settings or Settings()
    checks: list[Callable[[], Capability]] = [
        lambda: _customer_types(store),
        lambda: _session_types(store),
        lambda: _clv(store),
        lambda: _clv_report(store),
        lambda: _intent(store),
        lambda: _basket(store),
        lambda: _recommend(store),
        lambda: _threshold(store),
        lambda: _funnel(store),
        lambda: _audiences(store),
        lambda: _surveys(store, settings),
        lambda: _interviews(store, settings),
        lambda: _personas(store),
        lambda: _analytics_check(store),
    ]
    return Readiness(capabilities=[check() for check in checks])


def _n(k: int, word: str, plural: str | None = None) -> str:
    """ "3 orders", "1 order", "no orders": what is missing is said, never counted as 0."""
    many = plural or word + "s"
    return f"no {many}" if k == 0 else f"{k:,} {word if k == 1 else many}"


def _count(store: Store, sql: str, params: list[object] | None = None) -> int:
    return int(store.scalar(sql, params) or 0)


# -- customer types ---------------------------------------------------------------------------
def _customer_types(store: Store) -> Capability:
    """Types need someone to type (:func:`~shopperlens.service.types.has_subjects`); each
    type is recognised from the imports :data:`TYPE_NEEDS` names, and need-based shoppers and
    impulse buyers from search terms and discount codes."""
    name, title = "customer_types", "Customer types"
    if not types_svc.has_subjects(store):
        return Capability(
            name=name,
            title=title,
            status="missing",
            figure=str(types_svc.nobody_to_type(store)),
            next_step=IMPORT_COMMAND["orders"],
        )
    have = playbooks.imported_sources(store=store)
    held = [_n(store.count(t), t[:-1]) for t in ("customers", "orders", "events") if store.count(t)]
    lacks, steps = [], []
    for source in dict.fromkeys(s for needs in TYPE_NEEDS.values() for s in needs):
        if source in have:
            continue
        unfound = [TYPE_PEOPLE[t] for t, needs in TYPE_NEEDS.items() if source in needs]
        who = " or ".join([", ".join(unfound[:-1]), unfound[-1]] if len(unfound) > 2 else unfound)
        lacks.append(f"no {SOURCE_NAME[source]}: no {who} can be found")
        steps.append(IMPORT_COMMAND[source])
    if "events" in have and not _count(
        store,
        "SELECT count(*) FROM events WHERE nullif(trim(search_term), '') IS NOT NULL "
        "OR nullif(trim(utm_term), '') IS NOT NULL",
    ):
        lacks.append("no search terms or utm_term in the events: no search evidence")
    if "orders" in have and not _count(
        store,
        "SELECT (SELECT count(*) FROM orders WHERE nullif(discount_code, '') IS NOT NULL) + "
        "(SELECT count(*) FROM order_lines WHERE nullif(discount_code, '') IS NOT NULL)",
    ):
        lacks.append("no discount codes in the orders: no discount evidence")
    return Capability(
        name=name,
        title=title,
        status="limited" if lacks else "ready",
        figure="; ".join([", ".join(held), *lacks]),
        next_step=steps[0] if steps else "shopperlens types",
    )


def _session_types(store: Store) -> Capability:
    """Imported session aggregates only (:func:`~shopperlens.service.types.session_types`)."""
    n = _count(store, "SELECT count(*) FROM sessions WHERE origin = 'import'")
    figure = _n(n, "imported session") if n else types_svc.NO_IMPORTED_SESSIONS
    if not n and _count(store, "SELECT count(*) FROM (SELECT 1 FROM events LIMIT 1)"):
        # a shop with events needs no session aggregates: its visitors get customer types
        figure += "; not needed while events are imported (their visitors are typed)"
    return Capability(
        name="session_types",
        title="Session types (imported sessions)",
        status="ready" if n else "missing",
        figure=figure,
        next_step="shopperlens types sessions" if n else "shopperlens import sessions FILE",
    )


# -- models -----------------------------------------------------------------------------------
#: per buyer, as :func:`~shopperlens.models.clv.rfm_summary` reads the purchases of
#: :func:`~shopperlens.service.clv.transactions` (the days ``d``, up to the day ``e``): repeat
#: purchase days, days from the first to the last, and days from the first to ``e``
_PER_BUYER = (
    "SELECT count(*) - 1 AS frequency, date_diff('day', min(day), max(day)) AS recency, "
    "date_diff('day', min(day), any_value(e.last_day)) AS t FROM d, e GROUP BY customer_id"
)
_DAYS = (
    "SELECT DISTINCT customer_id, CAST(ordered_at AS DATE) AS day "
    f"FROM {PURCHASES} WHERE customer_id IS NOT NULL"
)
#: the whole history, up to the shop's last purchase day
_RFM = f"WITH d AS ({_DAYS}), e AS (SELECT max(day) AS last_day FROM d) {_PER_BUYER}"
#: the history up to a day (the forecast check's calibration part)
_RFM_UNTIL = (
    f"WITH d AS (SELECT * FROM ({_DAYS}) WHERE day <= ?), "
    f"e AS (SELECT CAST(? AS DATE) AS last_day) {_PER_BUYER}"
)
_SPAN = f"SELECT min(day) AS first_day, max(day) AS last_day FROM ({_DAYS})"


def _shortfall(rfm: pd.DataFrame) -> str:
    """What :func:`~shopperlens.models.check_minimum_data` says the buyers ``rfm`` lack ("" when
    the models may be fitted on them)."""
    x, t_x, age = (rfm[c].to_numpy(dtype=float) for c in ("frequency", "recency", "t"))
    try:
        check_minimum_data(x, t_x, age)
    except InsufficientDataError as exc:
        return str(exc).partition(": ")[2] or str(exc)
    return ""


def _buyers_figure(rfm: pd.DataFrame) -> str:
    """ "412 buyers, 12 of them bought again on a later day"."""
    repeat = int(np.sum(rfm["frequency"].to_numpy(dtype=float) > 0))
    return f"{_n(len(rfm), 'buyer')}, {repeat:,} of them bought again on a later day"


def _clv(store: Store) -> Capability:
    """The lifetime-value models' own gate, :func:`~shopperlens.models.check_minimum_data`,
    on the figures :func:`~shopperlens.service.clv.fit_models` gives it."""
    name, title = "clv", "Customer lifetime value (CLV, P(alive))"
    rfm = store.df(_RFM)
    if rfm.empty:
        return Capability(
            name=name,
            title=title,
            status="missing",
            figure="no orders with a customer",
            next_step=IMPORT_COMMAND["orders"],
        )
    figure, gap = _buyers_figure(rfm), _shortfall(rfm)
    if gap:
        return Capability(
            name=name,
            title=title,
            status="missing",
            figure=f"{figure}; CLV needs more: {gap}",
            next_step=f"{IMPORT_COMMAND['orders']} (more buyers, a longer history)",
        )
    return Capability(
        name=name, title=title, status="ready", figure=figure, next_step="shopperlens clv"
    )


def _clv_report(store: Store) -> Capability:
    """``clv-report``'s forecast check (:func:`clv.forecast_check`): the CLV gate on the whole
    history, then again on the part before :func:`clv.holdout_split`, which the model it
    compares with the held-out rest is fitted on."""
    name, title = "clv_report", "CLV forecast check (clv-report)"
    span = store.df(_SPAN).iloc[0]
    whole = store.df(_RFM)
    gap = _shortfall(whole) if len(whole) else "no orders with a customer"
    if gap:
        return Capability(
            name=name,
            title=title,
            status="missing",
            figure=f"as CLV: {gap}",
            next_step=IMPORT_COMMAND["orders"]
            + " (more buyers, a longer history)" * bool(len(whole)),
        )
    last = pd.Timestamp(span["last_day"])
    split = clv.holdout_split(pd.Timestamp(span["first_day"]), last)
    cal = store.df(_RFM_UNTIL, [split.date(), split.date()]) if split < last else whole.iloc[:0]
    figure = f"{_buyers_figure(cal)} up to {split:%Y-%m-%d}, the part the forecast is fitted on"
    gap = _shortfall(cal) if len(cal) else "no history left to hold out"
    if gap:
        return Capability(
            name=name,
            title=title,
            status="missing",
            figure=f"{figure}; the forecast check needs more: {gap}",
            next_step=f"{IMPORT_COMMAND['orders']} (a longer history)",
        )
    return Capability(
        name=name, title=title, status="ready", figure=figure, next_step="shopperlens clv-report"
    )


#: per events visitor, whether she bought, over the rows :func:`intent.visitor_frame` learns
#: from (the sessions before her first purchase)
_VISITOR_COUNTS = (
    f"WITH {intent.FIRST_BUY}, v AS (SELECT visitor_id, "
    "any_value(first_purchase) IS NOT NULL AS bought FROM s JOIN first_buy USING (visitor_id) "
    "WHERE coalesce(purchases, 0) = 0 AND (first_purchase IS NULL OR started_at < first_purchase) "
    "GROUP BY visitor_id) SELECT count(*) AS n, count(*) FILTER (bought) AS bought FROM v"
)
#: per imported origin, the rows :func:`intent.session_frame` learns from and their buyers
_SESSION_COUNTS = (
    "SELECT origin, count(*) AS n, count(*) FILTER (revenue) AS bought FROM sessions "
    "WHERE origin <> 'events' AND revenue IS NOT NULL GROUP BY origin ORDER BY origin"
)


def _intent_rows(store: Store) -> list[tuple[str, int, int]]:
    """``(origin, rows, buyers)`` for every origin of visits the store holds."""
    origins = set(store.df("SELECT DISTINCT origin FROM sessions")["origin"])
    rows = []
    if "events" in origins:
        counts = store.df(_VISITOR_COUNTS).iloc[0]
        rows.append(("events", int(counts["n"]), int(counts["bought"])))
    for r in store.df(_SESSION_COUNTS).itertuples():
        rows.append((str(r.origin), int(r.n), int(r.bought)))
    for origin in sorted(origins - {r[0] for r in rows}):
        rows.append((origin, 0, 0))
    return rows


def _intent(store: Store) -> Capability:
    """:func:`intent.enough_to_learn` per origin: one origin that passes ranks its lookers."""
    name, title = "intent", "Purchase intent of lookers"
    rows = _intent_rows(store)
    if not rows:
        return Capability(
            name=name,
            title=title,
            status="missing",
            figure="no visit data",
            next_step=IMPORT_COMMAND["events"],
        )
    need = (
        f"needs {intent.MIN_SESSIONS:,}, with {intent.MIN_PURCHASES:,} who bought and "
        f"{intent.MIN_PURCHASES:,} who did not"
    )
    parts, ok = [], []
    for origin, n, bought in rows:
        unit = "visitor" if origin == "events" else "session"
        parts.append(f"{origin}: {_n(n, unit)} to learn from, {_n(bought, 'buyer')} among them")
        ok.append(intent.enough_to_learn(n, bought))
    status: Status = "ready" if all(ok) else "limited" if any(ok) else "missing"
    figure = "; ".join(parts) + ("" if all(ok) else f" (each {need})")
    return Capability(
        name=name,
        title=title,
        status=status,
        figure=figure,
        next_step="shopperlens intent" if any(ok) else IMPORT_COMMAND["events"],
    )


# -- playbooks --------------------------------------------------------------------------------
def _basket(store: Store) -> Capability:
    """Pairs of products bought together often enough for :func:`playbooks.basket_rules`'
    defaults (:func:`playbooks.rule_min_orders`, its ``min_confidence``)."""
    name, title = "basket_rules", "Basket rules, bought together"
    lines = (
        f"(SELECT DISTINCT l.order_id, l.product_id FROM {PRODUCT_LINES} l JOIN {PURCHASES} o "
        "USING (order_id) WHERE l.product_id IS NOT NULL)"
    )
    n = _count(store, f"SELECT count(DISTINCT order_id) FROM {lines}")
    if not n:
        return Capability(
            name=name,
            title=title,
            status="missing",
            figure="no purchased orders with products",
            next_step=IMPORT_COMMAND["orders"],
        )
    least = playbooks.rule_min_orders(n)
    pairs = store.df(
        f"WITH l AS {lines}, p AS (SELECT product_id, count(*) AS k FROM l GROUP BY 1), "
        "t AS (SELECT a.product_id AS a, b.product_id AS b, count(*) AS k FROM l a JOIN l b "
        " ON a.order_id = b.order_id AND a.product_id < b.product_id GROUP BY 1, 2 "
        " HAVING count(*) >= ?) "
        "SELECT t.k, pa.k AS ka, pb.k AS kb FROM t JOIN p pa ON pa.product_id = t.a "
        "JOIN p pb ON pb.product_id = t.b",
        [least],
    )
    confidence = inspect.signature(playbooks.basket_rules).parameters["min_confidence"].default
    k = pairs["k"].to_numpy(dtype=float)
    rules = int(
        np.sum(
            (k >= confidence_count(confidence, pairs["ka"]))
            | (k >= confidence_count(confidence, pairs["kb"]))
        )
    )
    figure = f"{_n(rules, 'pair')} of products bought together in {least:,}+ of {_n(n, 'order')}"
    return Capability(
        name=name,
        title=title,
        status="ready" if rules else "missing",
        figure=figure,
        next_step="shopperlens rules" if rules else f"{IMPORT_COMMAND['orders']} (more orders)",
    )


def _recommend(store: Store) -> Capability:
    """``recommend together``'s own pairs (:func:`playbooks.frequently_bought_together`): in
    :data:`~shopperlens.playbooks.generator.MIN_TOGETHER` orders or more, whatever their share
    of the orders (the basket rules ask for 0.1 % too), and bought together more often than
    apart (lift above 1). ``top=1``: one row per product with a pick."""
    name, title = "recommend", "Recommendations, bought together (recommend)"
    if not _count(store, f"SELECT count(*) FROM (SELECT 1 FROM {PRODUCT_LINES} LIMIT 1)"):
        return Capability(
            name=name,
            title=title,
            status="missing",
            figure="no orders with products",
            next_step=IMPORT_COMMAND["orders"],
        )
    picked = len(playbooks.frequently_bought_together(store=store, top=1))
    if not picked:
        return Capability(
            name=name,
            title=title,
            status="missing",
            figure=f"no two products bought together in {MIN_TOGETHER:,}+ orders more often "
            "than apart",
            next_step=f"{IMPORT_COMMAND['orders']} (more orders)",
        )
    return Capability(
        name=name,
        title=title,
        status="ready",
        figure=f"{_n(picked, 'product')} with a product bought with it in {MIN_TOGETHER:,}+ "
        "orders, more often than apart",
        next_step="shopperlens recommend together",
    )


def _threshold(store: Store) -> Capability:
    """The orders :func:`playbooks.shipping_threshold` reads (bought, in the shop's currency,
    with a value); advice needs :data:`~shopperlens.playbooks.checkout.MIN_SAMPLE`."""
    name, title = "threshold", "Free-shipping threshold"
    currency = shop_currency(store=store)
    n = _count(
        store,
        f"SELECT count(*) FROM {PURCHASES} o JOIN (SELECT order_id, "
        "sum(quantity * unit_price) AS value FROM order_lines GROUP BY 1) l USING (order_id) "
        f"WHERE l.value > 0 AND {in_shop_currency_sql('o.currency')}",
        [currency, currency],
    )
    if not n:
        return Capability(
            name=name,
            title=title,
            status="missing",
            figure="no purchased orders with a value",
            next_step=IMPORT_COMMAND["orders"],
        )
    short = n < MIN_SAMPLE
    figure = _n(n, "order") + " with a value" + f"; advice needs {MIN_SAMPLE:,}" * short
    return Capability(
        name=name,
        title=title,
        status="limited" if short else "ready",
        figure=figure,
        next_step=f"{IMPORT_COMMAND['orders']} (more orders)" if short else "shopperlens threshold",
    )


def _funnel(store: Store) -> Capability:
    """Visits from events; drop-offs from fewer than ``MIN_SAMPLE`` are given as counts; a
    funnel no visit enters (no product view, cart, checkout or purchase) is missing."""
    n = _count(store, "SELECT count(DISTINCT session_id) FROM events")
    status: Status = "missing" if not n else "limited" if n < MIN_SAMPLE else "ready"
    figure = _n(n, "visit") + " in the events"
    if n and not _funnel_entered(store):
        status = "missing"
        figure += "; none with a product view, cart, checkout or purchase: every step is 0"
    elif status == "limited":
        figure += f"; drop-off rates need {MIN_SAMPLE:,} (fewer are given as counts)"
    return Capability(
        name="funnel",
        title="Checkout funnel",
        status=status,
        figure=figure if n else "no visit data (events)",
        next_step="shopperlens funnel" if status == "ready" else IMPORT_COMMAND["events"],
    )


def _funnel_entered(store: Store) -> bool:
    """Whether a visit reaches the funnel's first step, as :func:`playbooks.funnels` counts
    it. An event of a step (:data:`~shopperlens.playbooks.visits.FUNNEL_STEPS`) answers at
    once; without one, only an order matched to a visit can, so the funnel itself is asked.
    A shop whose events are page views only was told "ready" for a funnel of zeros."""
    names = [name for step in FUNNEL_STEPS.values() for name in step]
    if _count(
        store,
        "SELECT count(*) FROM (SELECT 1 FROM events "
        "WHERE list_contains(?::VARCHAR[], lower(event_name)) LIMIT 1)",
        [names],
    ):
        return True
    steps = playbooks.funnels(store=store, by=None)
    return bool(steps.loc[steps["step"] == "view", "sessions"].sum())


def _emailable(store: Store, allowed: set[str]) -> int:
    """Customers with an e-mail address among ``allowed``."""
    if not allowed:
        return 0
    return _count(
        store,
        "SELECT count(*) FROM customers WHERE email IS NOT NULL "
        "AND customer_id IN (SELECT unnest(?::VARCHAR[]))",
        [sorted(allowed)],
    )


def _audiences(store: Store) -> Capability:
    """Who the playbooks' audience files may hold: customers with an e-mail address and
    marketing consent (:func:`consent.allowed`); an ad platform needs
    :data:`playbooks.MIN_AD_AUDIENCE` of them."""
    name, title = "audiences", "Playbook audiences (e-mail, ad platforms)"
    with_email = _count(store, "SELECT count(*) FROM customers WHERE email IS NOT NULL")
    if not with_email:
        return Capability(
            name=name,
            title=title,
            status="missing",
            figure="no customers with an e-mail address",
            next_step=CUSTOMERS_IMPORT,
        )
    if not consent.on_record(store=store, purpose="marketing"):
        return Capability(
            name=name,
            title=title,
            status="limited",
            figure=f"{_n(with_email, 'customer')} with an e-mail address; no marketing "
            "consent on record",
            next_step=CONSENT_IMPORT,
        )
    ok = _emailable(store, consent.allowed(store=store))
    small = ok < playbooks.MIN_AD_AUDIENCE
    figure = (
        f"{ok:,} of {_n(with_email, 'customer')} with an e-mail address gave marketing consent"
        if ok
        else f"none of the {_n(with_email, 'customer')} with an e-mail address gave marketing "
        "consent"
    )
    if small:
        figure += f"; an ad-platform list needs {playbooks.MIN_AD_AUDIENCE:,}"
    return Capability(
        name=name,
        title=title,
        status="limited" if small else "ready",
        figure=figure,
        next_step=CONSENT_IMPORT if small else "shopperlens audience export --type loyal",
    )


# -- surveys, interviews, personas ------------------------------------------------------------
def _mail_problem(settings: Settings) -> str:
    """Why invitations cannot be e-mailed with ``settings`` ("" when they can): the check
    :func:`survey_delivery.deliver` makes before sending
    (:func:`survey_delivery.require_mail_can_go`)."""
    try:
        survey_delivery.require_mail_can_go(settings, "nothing is sent")
    except ShopperlensError as exc:
        return str(exc)
    return ""


def _mail_step(problem: str, command: str) -> str:
    """The setting ``problem`` names, then ``command``: no command moves a status that waits
    for a setting (a dry run sends nothing, a recruit list invites nobody)."""
    setting = re.search(r"SHOPPERLENS_[A-Z_]+", problem)
    name = setting.group(0) if setting else "the mail settings"
    return f"set {name} (environment or .env), then {command}"


def _invitable_step(store: Store) -> str:
    """What adds people who may be e-mailed: consent records name customers already held,
    so while no customer has an e-mail address they can add nobody (the customers file can:
    addresses, and the shop's own marketing flag)."""
    if _count(store, "SELECT count(*) FROM customers WHERE email IS NOT NULL"):
        return CONSENT_IMPORT
    return CUSTOMERS_IMPORT


def _surveys(store: Store, settings: Settings) -> Capability:
    """E-mail invitations go to customers with an address and survey consent
    (:func:`survey_delivery.consenting`) once mail can go out; the public link and the
    pop-up need neither."""
    name, title = "surveys", "Survey invitations by e-mail"
    ok = _emailable(store, survey_delivery.consenting(store=store))
    problem = _mail_problem(settings)
    figure = f"{_n(ok, 'customer')} with an e-mail address may be sent a survey"
    if not ok:
        return Capability(
            name=name,
            title=title,
            status="limited",
            figure=f"{figure}; the survey link and pop-up still collect answers",
            next_step=_invitable_step(store),
        )
    if problem:
        return Capability(
            name=name,
            title=title,
            status="limited",
            figure=f"{figure}; {problem}",
            next_step=_mail_step(problem, "shopperlens survey send NAME"),
        )
    return Capability(
        name=name,
        title=title,
        status="ready",
        figure=figure,
        next_step="shopperlens survey send NAME",
    )


def _interviews(store: Store, settings: Settings) -> Capability:
    """Interviewees are buyers and prospects (:func:`~shopperlens.service.interviews.recruit`);
    invitations need consent and mail, themes need notes."""
    name, title = "interviews", "Customer interviews"
    buyers = _count(
        store,
        f"SELECT count(DISTINCT o.customer_id) FROM {PURCHASES} o JOIN order_lines l "
        "USING (order_id) WHERE o.customer_id IS NOT NULL",
    )
    invitable = _emailable(store, survey_delivery.consenting(store=store))
    notes = store.count("interview_notes") if "interview_notes" in store.tables() else 0
    figure = (
        f"{_n(buyers, 'buyer')} to choose from, {_n(invitable, 'customer')} who may be "
        f"invited, {_n(notes, 'interview note')}"
    )
    if not buyers and not invitable:
        return Capability(
            name=name,
            title=title,
            status="missing",
            figure=figure,
            next_step=IMPORT_COMMAND["orders"],
        )
    problem = "" if invitable else "nobody may be e-mailed an invitation"
    problem = problem or _mail_problem(settings)
    if problem:
        return Capability(
            name=name,
            title=title,
            status="limited",
            figure=f"{figure}; {problem}",
            next_step=_invitable_step(store)
            if not invitable
            else _mail_step(problem, "shopperlens interviews recruit --invite"),
        )
    step = "shopperlens interviews import NOTES" if notes else "shopperlens interviews recruit"
    return Capability(name=name, title=title, status="ready", figure=figure, next_step=step)


def _personas(store: Store) -> Capability:
    """Personas cluster the respondents of one survey (:func:`surveys.answered_survey`) who
    answered at least half of its questions (:func:`personas.clustered_respondents`, the
    builder's own filter) and need :class:`~shopperlens.models.clustering.PersonaClustering`'s
    ``min_samples`` of them."""
    name, title = "personas", "Personas from survey answers"
    need = PersonaClustering().min_samples
    try:
        survey = surveys.answered_survey(store=store)
    except ShopperlensError as exc:
        return Capability(
            name=name,
            title=title,
            status="limited",
            figure=str(exc),
            next_step="shopperlens personas build --survey NAME",
        )
    if survey is None:
        return Capability(
            name=name,
            title=title,
            status="missing",
            figure=f"no survey answers; personas need {need:,}",
            next_step=SURVEY_IMPORT.replace("`", ""),
        )
    kept, left = personas.clustered_respondents(surveys.responses_frame(store=store, survey=survey))
    n = len(kept)
    enough = n >= need
    figure = f"{_n(n, 'respondent')} of survey {survey} to cluster"
    if left.count:
        figure += (
            f" ({left.count:,} more answered fewer than {left.needed} of its "
            f"{left.questions} questions)"
        )
    figure += f"; personas need {need:,}" * (not enough)
    return Capability(
        name=name,
        title=title,
        status="ready" if enough else "missing",
        figure=figure,
        next_step="shopperlens personas build" if enough else f"shopperlens survey send {survey}",
    )


def _analytics_check(store: Store) -> Capability:
    """``analytics check`` (:func:`audience.analytics_check`) needs an imported analytics
    export, and compares it with the survey answers it picks
    (:func:`surveys.answered_survey`); without answers it compares analytics with the shop's
    own visitors only, or refuses when there is nothing to compare."""
    name, title = "analytics_check", "Analytics cross-check of the survey (analytics check)"
    rows = store.count("analytics_audience")
    if not rows:
        return Capability(
            name=name,
            title=title,
            status="missing",
            figure="no web-analytics export imported",
            next_step=audience.ANALYTICS_IMPORT,
        )
    try:
        survey = surveys.answered_survey(store=store)
    except ShopperlensError as exc:
        return Capability(
            name=name,
            title=title,
            status="limited",
            figure=str(exc),
            next_step="shopperlens analytics check --survey NAME",
        )
    figure = f"{_n(rows, 'analytics share')} imported"
    if survey is not None:
        return Capability(
            name=name,
            title=title,
            status="ready",
            figure=f"{figure}, compared with the answers to survey {survey}",
            next_step="shopperlens analytics check",
        )
    try:
        audience.analytics_check(store=store)
    except ShopperlensError as exc:
        return Capability(
            name=name,
            title=title,
            status="missing",
            figure=f"{figure}; {exc}",
            next_step=SURVEY_IMPORT.replace("`", ""),
        )
    return Capability(
        name=name,
        title=title,
        status="limited",
        figure=f"{figure}; no survey answers: only the shop's own visitors are compared",
        next_step=SURVEY_IMPORT.replace("`", ""),
    )
