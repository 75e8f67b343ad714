"""Reaching existing customers by e-mail: targeting, consent, fatigue, quotas, reminders.

Sending is two-phase and resumable. First the chosen people get an invitation row
(``pending``); then each pending invitation is marked ``sending``, handed to SMTP and marked
``sent`` with a row in ``survey_deliveries``. A run that dies half-way is simply run again: it
continues with the pending rows, and a row left in ``sending`` is never retried, so nobody is
e-mailed twice (at most once, by design). Nobody without marketing consent is e-mailed.

What the SMTP server answers decides the rest: a temporary refusal (``4xx``) certainly did not
go out, so the invitation goes back to ``pending`` and the next send retries it; a permanent
one (``5xx``) is ``failed`` and not retried, as is a message stopped before the DATA command
for good (a non-ASCII local part, ``jürgen@…``, and a server without SMTPUTF8: a non-ASCII
domain goes to such a server in IDNA's ASCII form); a connection that broke during
the hand-over leaves the row in ``sending`` (it may have gone out), counted as
``unconfirmed``, never as failed. Only what went out, or may have, counts as a survey the
person got (fatigue), and a failed invitation uses up no invitation of a quota. Mail goes to
an address: two customer ids with one address get one e-mail.

Who is invited never depends on the order rows were imported in: an address shared by several
customer ids is reached through the id with the most orders (then the smallest id), and a
quota takes a sample that is stable per survey (:func:`sample_order`), not the oldest rows.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shopperlens.config import Settings
from shopperlens.emails import inbox_key_sql
from shopperlens.errors import ShopperlensError
from shopperlens.merchandise import PRODUCT_LINES
from shopperlens.service import consent
from shopperlens.service._checks import number, whole
from shopperlens.service._clock import utc_now
from shopperlens.service.clv import PURCHASES
from shopperlens.service.overview import LINE_CATEGORY
from shopperlens.service.surveys import answered_by, get_survey
from shopperlens.store import Store
from shopperlens.surveys import links, mail
from shopperlens.surveys.definition import Survey
from shopperlens.types.config import type_name


class Audience(BaseModel):
    """Who to invite, by behaviour (every rule given must hold)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt rule must not widen the audience

    types: list[str] | None = Field(None, description="customer types (latest types run)")
    min_orders: int | None = Field(None, description="at least this many orders")
    new_category_days: int | None = Field(
        None, description="bought in a category new to them within the last N days"
    )
    abandoned_checkout_days: int | None = Field(
        None, description="started a checkout without buying within the last N days"
    )
    customers: list[str] | None = Field(None, description="exactly these customer ids")

    @field_validator("types")
    @classmethod
    def _type_names(cls, value: list[str] | None) -> list[str] | None:
        """``need-based`` is ``need_based``; an unknown type is refused (it would match no
        one without a word)."""
        try:
            return None if value is None else [type_name(t) for t in value]
        except ShopperlensError as exc:
            raise ValueError(str(exc)) from None

    def label(self) -> str:
        parts = []
        if self.types:
            parts.append("type=" + "+".join(self.types))
        if self.min_orders:
            parts.append(f"orders>={self.min_orders}")
        if self.new_category_days:
            parts.append(f"new_category<={self.new_category_days}d")
        if self.abandoned_checkout_days:
            parts.append(f"abandoned_checkout<={self.abandoned_checkout_days}d")
        if self.customers:
            parts.append(f"list({len(self.customers)})")
        return ",".join(parts) or "all"


#: the rules an audience takes, for the message refusing something else
_RULES = ", ".join(Audience.model_fields)


def audience_rules(value: object) -> Audience:
    """``value`` as an :class:`Audience`: None is everyone, a mapping is its rules (as the
    HTTP body gives them). Anything else is refused naming the rules: a text such as
    ``"loyal"`` failed as an ``AttributeError`` on ``label``."""
    if value is None:
        return Audience()
    if isinstance(value, Audience):
        return value
    if not isinstance(value, Mapping):
        raise ShopperlensError(
            f"audience must be an Audience or a dict of its rules ({_RULES}), not {value!r}; "
            "e.g. audience={'types': ['loyal']}"
        )
    try:
        return Audience.model_validate(dict(value))
    except ValidationError as exc:
        first = exc.errors()[0]
        rule = ".".join(str(x) for x in first["loc"]) or "audience"
        msg = "no such rule" if first["type"] == "extra_forbidden" else first["msg"]
        msg = msg.removeprefix("Value error, ")
        raise ShopperlensError(f"audience rule {rule}: {msg} (the rules: {_RULES})") from None


class SendReport(BaseModel):
    survey: str
    audience: str
    matched: int = 0
    no_consent: int = 0
    fatigued: int = 0
    over_quota: int = 0
    #: invitations of this send that keep their place in the quota (all but the failed ones)
    invited: int = 0
    sent: int = 0
    failed: int = 0
    #: refused for now by the SMTP server (4xx): still pending, retried on the next send
    deferred: int = 0
    #: an earlier invitation to this survey was refused for good (5xx): not retried
    undeliverable: int = 0
    #: the connection broke while a message was handed over: it may have gone out, so it is
    #: not retried (neither sent nor failed: the server never said)
    unconfirmed: int = 0
    #: customer ids left out because another id with the same e-mail address is (or was)
    #: e-mailed: an address gets each survey, reminder and interview invitation once
    same_address: int = 0
    #: not sent: the customer was erased while the send ran
    erased: int = 0
    reminded: int = 0


class Delivered(NamedTuple):
    """What one delivery run did with the pending invitations (see :func:`deliver`)."""

    sent: int = 0
    #: refused for good (5xx) or not sendable (a non-ASCII local part without SMTPUTF8):
    #: ``failed``, not retried
    failed: int = 0
    #: refused for now (4xx): still ``pending``, retried on the next send
    deferred: int = 0
    #: the connection broke during the hand-over: left ``sending`` (may have gone out), never
    #: retried
    unconfirmed: int = 0
    #: not sent because another customer id with the same address got (or gets) it
    same_address: int = 0
    #: not sent because the customer was erased while the send ran
    erased: int = 0


def target(*, store: Store, audience: Audience, now: datetime | None = None) -> pd.DataFrame:
    """Customers matching the audience rules: ``customer_id, email``.

    The behaviour windows (``--new-category-days``, ``--abandoned-checkout-days``) count back
    from ``now`` or from the end of the shop's data, whichever is earlier: a store last filled a
    month ago still finds the checkouts abandoned in its last 14 days of data.
    """
    from shopperlens.features import default_as_of  # (Ibis: loaded only to send)

    now = min(now or utc_now(), default_as_of(store))
    people = store.df(
        "SELECT customer_id, email FROM customers WHERE email IS NOT NULL ORDER BY customer_id"
    )
    keep = pd.Series(True, index=people.index)
    ids = people["customer_id"]
    if audience.customers is not None:
        keep &= ids.isin(audience.customers)
    if audience.min_orders:
        counts = store.df(
            f"SELECT customer_id, count(*) AS n FROM {PURCHASES} o WHERE customer_id IS NOT NULL "
            "GROUP BY customer_id HAVING count(*) >= ?",
            [audience.min_orders],
        )
        keep &= ids.isin(counts["customer_id"])
    if audience.new_category_days:
        since = now - timedelta(days=audience.new_category_days)
        keep &= ids.isin(new_category_buyers(store, since))
    if audience.abandoned_checkout_days:
        since = now - timedelta(days=audience.abandoned_checkout_days)
        keep &= ids.isin(abandoned_checkouts(store, since))
    if audience.types:
        try:
            from shopperlens.service.types import latest_types
        except ImportError:
            raise ShopperlensError(
                "customer types are not available in this installation"
            ) from None
        typed = latest_types(store=store)
        keep &= ids.isin(typed.loc[typed["type"].isin(audience.types), "customer_id"])
    return people[keep].reset_index(drop=True)


def new_category_buyers(store: Store, since: datetime) -> set[str]:
    """Customers who first bought in some category on or after ``since``, later than their
    first order (a category new to them, not a first order).

    A line's category is its own or its product's in the products file (:data:`LINE_CATEGORY`,
    as the customer types read it): a shop whose orders file names only the product has its
    categories in the products file, where the lines alone would find nobody.
    """
    fresh = store.df(
        f"WITH firsts AS (SELECT o.customer_id, {LINE_CATEGORY} AS category, "
        f"min(o.ordered_at) AS first_at FROM {PURCHASES} o JOIN {PRODUCT_LINES} l USING (order_id) "
        "LEFT JOIN products p USING (product_id) WHERE o.customer_id IS NOT NULL GROUP BY ALL), "
        f"starts AS (SELECT customer_id, min(ordered_at) AS first_order FROM {PURCHASES} o "
        "GROUP BY 1) "
        "SELECT DISTINCT f.customer_id FROM firsts f JOIN starts s USING (customer_id) "
        "WHERE f.category IS NOT NULL AND f.first_at >= ? AND f.first_at > s.first_order",
        [since],
    )
    return set(fresh["customer_id"])


def abandoned_checkouts(store: Store, since: datetime) -> set[str]:
    """Customers whose latest checkout event since ``since`` was followed by no order.

    An order given by its day only (``2024-06-01``, stored as midnight) counts as placed at
    the end of that day, as the checkout playbook counts it (``playbooks.checkout``): read as
    midnight, the customer who checked out at 14:00 and ordered that day was invited to say
    why they left without buying."""
    from shopperlens.playbooks.checkout import placed_by

    checkouts = store.df(
        "SELECT coalesce(e.customer_id, i.customer_id) AS customer_id, "
        "max(e.timestamp) AS checkout_at FROM events e LEFT JOIN identities i USING (visitor_id) "
        "WHERE e.event_name ILIKE '%checkout%' AND e.timestamp >= ? "
        "AND coalesce(e.customer_id, i.customer_id) IS NOT NULL GROUP BY 1",
        [since],
    )
    # an order placed a day or more before ``since`` was placed before every checkout read
    orders = store.df(
        "SELECT customer_id, ordered_at FROM orders WHERE ordered_at >= ? "
        "AND customer_id IN (SELECT unnest(?::VARCHAR[]))",
        [since - timedelta(days=1), list(checkouts["customer_id"])],
    )
    placed = placed_by(pd.to_datetime(orders["ordered_at"]))
    last_order = placed.groupby(orders["customer_id"]).max().reindex(checkouts["customer_id"])
    ordered_after = last_order.to_numpy() >= checkouts["checkout_at"].to_numpy()  # (NaT: no)
    return set(checkouts.loc[~ordered_after, "customer_id"])


def consenting(*, store: Store) -> set[str]:
    """Customers who may be sent a survey or interview invitation: their latest ``survey``
    consent record says so, or without one their marketing word does (the latest marketing
    record, else the shop's own ``accepts_marketing`` flag)."""
    return consent.allowed(store=store, own="survey")


def send_invitations(
    *,
    store: Store,
    settings: Settings,
    survey: str,
    audience: Audience | Mapping[str, object] | None = None,
    quota: int | None = None,
    response_quota: int | None = None,
    fatigue_days: int | None = None,
    template: str | Path = "invitation",
    shop_name: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> SendReport:
    """Invite the audience to a survey by e-mail, respecting consent, fatigue and quotas.

    Never the same survey twice to a person; nobody who got any survey or interview
    invitation in the last ``fatigue_days`` (default ``Settings.survey_fatigue_days``); at
    most ``quota`` invitations for this audience; nothing once the survey has
    ``response_quota`` responses.
    ``audience`` is an :class:`Audience` or a dict of its rules (:func:`audience_rules`).
    A dry run refuses the SMTP settings the real send would refuse
    (:func:`mail.check_connection`), without connecting.
    """
    _check_quotas(quota, response_quota)
    audience = audience_rules(audience)
    definition = get_survey(store=store, name=survey)
    if dry_run:
        mail.check_connection(settings)  # (a real send checks them before connecting)
    else:
        links.sign("x", survey, settings.secret_key)  # fail early without a signing key
    now = now or utc_now()
    days = settings.survey_fatigue_days if fatigue_days is None else fatigue_days
    report = SendReport(survey=survey, audience=audience.label())
    people = target(store=store, audience=audience, now=now)
    report.matched = len(people)
    allowed = consenting(store=store)
    report.no_consent = int((~people["customer_id"].isin(allowed)).sum())
    people = people[people["customer_id"].isin(allowed)]
    # mail goes to an address: what one id of an address got or did, the address did
    addresses = address_book(store)
    tired = _fatigued(store=store, survey=survey, since=now - timedelta(days=days))
    tired = same_address(tired, addresses)
    report.fatigued = int(people["customer_id"].isin(tired).sum())
    people = people[~people["customer_id"].isin(tired)]
    status = _invitation_status(store=store, survey=survey)
    refused = same_address({c for c, st in status.items() if st == "failed"}, addresses)
    report.undeliverable = int(people["customer_id"].isin(refused).sum())
    # anyone with an invitation to this survey already has one: a pending one is sent below
    people = people[~people["customer_id"].isin(same_address(set(status), addresses))]
    people, report.same_address = one_per_address(by_orders(store, people), addresses)
    people = sample_order(people, survey)
    if quota is not None:
        used = store.scalar(
            "SELECT count(*) FROM survey_invitations WHERE survey = ? AND audience = ? "
            "AND status IN ('pending', 'sending', 'sent')",
            [survey, report.audience],
        )
        room = max(0, quota - int(used))
        report.over_quota = max(0, len(people) - room)
        people = people.head(room)
    if response_quota is not None:
        got = int(store.scalar("SELECT count(*) FROM survey_responses WHERE survey = ?", [survey]))
        if got >= response_quota:
            report.over_quota += len(people)
            people = people.head(0)
    report.invited = len(people)
    if dry_run:
        return report
    ids = invite(
        store=store,
        survey=survey,
        customer_ids=list(people["customer_id"]),
        audience=report.audience,
        now=now,
    )
    done = deliver(
        store=store,
        settings=settings,
        survey=survey,
        template=template,
        shop_name=shop_name,
        **_wording(definition),
    )
    add_counts(report, done)
    report.invited = still_invited(store, ids)
    return report


def still_invited(store: Store, ids: list[str]) -> int:
    """How many of the invitations ``ids`` keep their place once sent: all but those that
    failed (refused for good, or a non-ASCII address the server cannot take), which reached
    nobody and so use up no ``quota``."""
    if not ids:
        return 0
    failed = store.scalar(
        "SELECT count(*) FROM survey_invitations WHERE status = 'failed' "
        "AND list_contains(?::VARCHAR[], invitation_id)",
        [ids],
    )
    return len(ids) - int(failed)


def _wording(survey: Survey) -> dict[str, object]:
    """What the e-mail may say about the survey, true of this one: about how long it takes
    and whether every question is optional (never claimed when one is required)."""
    return {"minutes": survey.minutes(), "all_optional": survey.all_optional}


def add_counts(report: SendReport, done: Delivered) -> None:
    """Add a delivery run's counts to a send report."""
    report.sent, report.failed = done.sent, done.failed
    report.deferred, report.unconfirmed = done.deferred, done.unconfirmed
    report.same_address += done.same_address
    report.erased += done.erased


def _check_quotas(quota: int | None, response_quota: int | None) -> None:
    """Refuse a negative (or fractional) quota in every face: ``-1`` once read as "no room",
    a dry run that counted everyone over quota instead of saying the number is wrong."""
    if quota is not None:
        whole(quota, "the invitation quota (quota, --quota)", low=0)
    if response_quota is not None:
        whole(response_quota, "the response quota (response_quota, --response-quota)", low=0)


#: the longest wait before a reminder, in days (10 years): a reminder after a longer silence
#: reminds nobody of anything, and a gap reaching back before the year 1 cannot be computed
MAX_REMINDER_GAP_DAYS = 3650


def check_reminder_options(max_reminders: object, min_gap_days: object) -> tuple[int, float]:
    """``(max_reminders, min_gap_days)`` when each is usable, else one error naming the option
    (as the Python, HTTP and CLI faces call it) and the value.

    Checked here so that every face refuses alike: unchecked, a NaN or infinite gap failed
    while building the cut-off time (HTTP 500, a raw ``ValueError`` in Python), a negative gap
    reminded people e-mailed a moment ago, and ``max_reminders`` below 1 matched nobody
    (``reminders < 0`` never holds) and reported 0 reminded as if no one were due. 0 is
    refused too: "at most no reminder" is not sending reminders, so it is a mistake, not a
    setting. The gap may be 0 (remind now) and fractional (12 hours is 0.5)."""
    count = whole(max_reminders, "the reminders per person (max_reminders, --max-reminders)", low=1)
    gap = number(
        min_gap_days,
        "the days since the last e-mail (min_gap_days, gap_days, --gap-days)",
        low=0,
        high=MAX_REMINDER_GAP_DAYS,
        unit="days",
        hint=" (10 years)",
    )
    return count, gap


def _fatigued(*, store: Store, survey: str, since: datetime) -> set[str]:
    """Customers who must not get ``survey`` now: they got (or may have got) it before, or
    any survey or interview invitation since ``since`` (:func:`contacted_since`), or they
    answered it (by link, import, or a pop-up on a visitor id linked to them)."""
    got = store.df(
        "SELECT customer_id FROM survey_invitations WHERE purpose = 'survey' "
        "AND status IN ('sending', 'sent') AND survey = ?",
        [survey],
    )
    return (
        set(got["customer_id"])
        | contacted_since(store=store, since=since)
        | answered_by(store=store, survey=survey)
    )


def contacted_since(*, store: Store, since: datetime) -> set[str]:
    """Customers sent (or possibly sent) a survey or an interview invitation since ``since``:
    the one contact-fatigue rule survey sends and interview invitations both keep. To the
    customer each is an e-mail asking for their time, so a survey right after an interview
    invitation (or the other way round) is one request too many. Invitations refused by the
    server or still pending reached nobody: not counted. Reminders go by their own gap."""
    got = store.df(
        "SELECT DISTINCT customer_id FROM survey_invitations "
        "WHERE purpose IN ('survey', 'interview') AND status IN ('sending', 'sent') "
        "AND coalesce(sent_at, created_at) >= ?",
        [since],
    )
    return set(got["customer_id"])


def address_book(store: Store) -> dict[str, str]:
    """Customer id -> the inbox its e-mail reaches (trimmed, lower case; Gmail without dots and
    ``+tag``: :func:`~shopperlens.emails.inbox_key`), the key the consent rule
    (:func:`consent.allowed`) reads addresses by."""
    rows = store.df(
        f"SELECT customer_id, {inbox_key_sql('email')} AS address FROM customers "
        "WHERE email IS NOT NULL"
    )
    return dict(zip(rows["customer_id"], rows["address"], strict=True))


def same_address(ids: set[str], addresses: dict[str, str]) -> set[str]:
    """``ids`` and every other customer id with the address of one of them: two ids of one
    address (a person's two accounts, a family inbox) are one recipient."""
    taken = {addresses[c] for c in ids if c in addresses}
    return set(ids) | {c for c, a in addresses.items() if a in taken}


def by_orders(store: Store, people: pd.DataFrame) -> pd.DataFrame:
    """``people`` with the most orders (purchases) first, then by customer id: the order
    :func:`one_per_address` picks an address's recipient in. The customer id that orders is
    the account the inbox's reader uses, and neither rule depends on the import order."""
    counts = store.df(
        f"SELECT customer_id, count(*) AS n FROM {PURCHASES} o WHERE customer_id IS NOT NULL "
        "GROUP BY customer_id"
    )
    n = people["customer_id"].map(dict(zip(counts["customer_id"], counts["n"], strict=True)))
    ranked = people.assign(_n=n.fillna(0).astype(int))
    ranked = ranked.sort_values(["_n", "customer_id"], ascending=[False, True], kind="stable")
    return ranked.drop(columns="_n").reset_index(drop=True)


def sample_order(people: pd.DataFrame, survey: str) -> pd.DataFrame:
    """``people`` in the order a quota takes them: by a SHA-256 hash of the survey's name and
    the customer id. A quota of 200 is then a pseudo-random sample, not the 200 oldest rows
    of the customers file (which follow its row order and favour old, low ids); the same
    survey takes the same people on every run and a re-run continues the same list, while
    another survey samples others."""
    keys = people["customer_id"].map(
        lambda cid: hashlib.sha256(f"{survey}\0{cid}".encode()).hexdigest()
    )
    order = keys.sort_values(kind="stable").index
    return people.loc[order].reset_index(drop=True)


def one_per_address(people: pd.DataFrame, addresses: dict[str, str]) -> tuple[pd.DataFrame, int]:
    """The first customer of each address among ``people`` (in their order: a survey send
    ranks them with :func:`by_orders`, an interview invitation takes them as listed), and how
    many others were left out: one invitation reaches everyone reading that inbox."""
    repeat = people["customer_id"].map(addresses).duplicated(keep="first")
    return people[~repeat.to_numpy()], int(repeat.sum())


def _invitation_status(*, store: Store, survey: str) -> dict[str, str]:
    """Customer -> status of their invitation to ``survey`` (one invitation per person)."""
    rows = store.df(
        "SELECT customer_id, status FROM survey_invitations "
        "WHERE survey = ? AND purpose = 'survey'",
        [survey],
    )
    return dict(zip(rows["customer_id"], rows["status"], strict=True))


def invite(
    *,
    store: Store,
    survey: str,
    customer_ids: list[str],
    purpose: str = "survey",
    audience: str = "manual",
    now: datetime | None = None,
) -> list[str]:
    """Create pending invitations (no e-mail yet); returns their ids, in order.

    The ids are what personal links sign (``links.sign(id, survey, key)``).
    """
    ids = [uuid.uuid4().hex for _ in customer_ids]
    rows = pd.DataFrame(
        {
            "invitation_id": ids,
            "survey": survey,
            "purpose": purpose,
            "customer_id": list(customer_ids),
            "audience": audience,
            "created_at": pd.Timestamp(now or utc_now()),
            "status": "pending",
        }
    )
    if ids:
        with store.transaction() as con:
            con.register("_sl_inv", rows)
            try:
                con.execute("INSERT INTO survey_invitations BY NAME SELECT * FROM _sl_inv")
            finally:
                con.unregister("_sl_inv")
    return ids


def deliver_pending(
    *,
    store: Store,
    settings: Settings,
    survey: str,
    purpose: str = "survey",
    template: str | Path = "invitation",
    shop_name: str | None = None,
    link: bool | str = True,
    **context: object,
) -> tuple[int, int]:
    """Send every pending invitation of a survey (the resumable half); ``(sent, failed)``
    (see :func:`deliver` for every count)."""
    done = deliver(
        store=store,
        settings=settings,
        survey=survey,
        purpose=purpose,
        template=template,
        shop_name=shop_name,
        link=link,
        **context,
    )
    return done.sent, done.failed


def refuse_dead_links(settings: Settings, waiting: str) -> None:
    """Refuse to mail survey links while ``public_url`` is an address only this computer
    opens (``127.0.0.1``) and mail goes to another machine's SMTP server: real customers would
    get dead links and then count as invited (fatigue). An SMTP server on this computer is a
    test or development setup, where such links are fine."""
    if links.is_loopback(settings.public_url) and not links.is_loopback(settings.smtp_host):
        raise ShopperlensError(
            f"not sending: survey links would point at {settings.public_url}, which only this "
            f"computer can open, while mail goes out through {settings.smtp_host}. Set "
            "SHOPPERLENS_PUBLIC_URL to the address customers can reach shopperlens at (e.g. "
            f"https://survey.example.com); {waiting} with the next send"
        )


def require_mail_can_go(settings: Settings, waiting: str) -> None:
    """Refuse before anything is sent when the e-mails could not work: no key to sign their
    opt-out links (:func:`require_opt_out_key`) or survey links customers cannot open
    (:func:`refuse_dead_links`). :func:`deliver` and ``readiness`` both ask this, so the
    check says "limited" exactly when a send would be refused."""
    require_opt_out_key(settings)
    refuse_dead_links(settings, waiting)


def deliver(
    *,
    store: Store,
    settings: Settings,
    survey: str,
    purpose: str = "survey",
    template: str | Path = "invitation",
    shop_name: str | None = None,
    link: bool | str = True,
    **context: object,
) -> Delivered:
    """Send every pending invitation of a survey (the resumable half) and count what happened.

    ``link`` is True for a signed personal survey link, a URL to use as is (an interview
    booking page), or False for none; every e-mail has the recipient's signed opt-out link
    (:func:`opt_out_link`) in its text and its ``List-Unsubscribe`` header. A message the
    server refused for now (``4xx``) stays pending for the next run; one refused for good
    (``5xx``, or a non-ASCII address the server cannot take) is ``failed``; one whose
    connection broke during the hand-over is ``unconfirmed`` (it may have gone out). An
    address gets the survey once: a pending invitation of another customer id with an
    address that already got it (or was refused it) is ``skipped``.

    Nothing is sent while survey and opt-out links would be dead (:func:`require_mail_can_go`).
    """
    pending = store.df(
        "SELECT i.invitation_id, i.customer_id, c.email, c.name, "
        f"{inbox_key_sql('c.email')} AS address "
        "FROM survey_invitations i JOIN customers c USING (customer_id) WHERE i.survey = ? "
        "AND i.purpose = ? AND i.status = 'pending' ORDER BY i.created_at, i.invitation_id",
        [survey, purpose],
    )
    if pending.empty:
        return Delivered()
    require_mail_can_go(settings, f"the {len(pending)} invitation(s) wait and go out")
    allowed = consenting(store=store)
    reached = _reached_addresses(store, survey, purpose)
    text = mail.load_template(template)
    shop_name = shop_name or settings.shop_name
    counts = {"sent": 0, "failed": 0, "deferred": 0, "unconfirmed": 0, "same_address": 0,
              "erased": 0}  # fmt: skip
    with mail.Mailer(settings, from_name=shop_name) as mailer:
        for row in pending.itertuples(index=False):
            if row.customer_id not in allowed or not row.email:
                _skip(store, row.invitation_id, "no consent")
                continue
            if row.address in reached:
                _skip(store, row.invitation_id, "another customer id with this address got it")
                counts["same_address"] += 1
                continue
            reached.add(row.address)
            url = link if isinstance(link, str) else None
            if link is True:
                token = links.sign(row.invitation_id, survey, settings.secret_key)
                url = links.survey_url(settings.public_url, survey, token)
            opt_out = opt_out_link(settings, row.invitation_id)
            subject, body = mail.render(
                text,
                link=url,
                shop_name=shop_name,
                first_name=mail.greeting_name(row.name),
                opt_out_link=opt_out,
                **context,
            )
            message = (row.email, subject, body, mail.opt_out_headers(opt_out))
            counts[_send_one(store, mailer, row.invitation_id, *message)] += 1
    return Delivered(**counts)


def _reached_addresses(store: Store, survey: str, purpose: str) -> set[str]:
    """Addresses an invitation to ``survey`` went to, may have gone to, or was refused at."""
    rows = store.df(
        f"SELECT DISTINCT {inbox_key_sql('c.email')} AS address FROM survey_invitations i "
        "JOIN customers c USING (customer_id) WHERE i.survey = ? AND i.purpose = ? "
        "AND i.status IN ('sending', 'sent', 'failed') AND c.email IS NOT NULL",
        [survey, purpose],
    )
    return set(rows["address"])


def _skip(store: Store, invitation_id: str, why: str) -> None:
    store.execute(
        "UPDATE survey_invitations SET status = 'skipped', error = ? WHERE invitation_id = ?",
        [why, invitation_id],
    )


def require_opt_out_key(settings: Settings) -> None:
    """Refuse before anything is sent when opt-out links cannot be signed (no
    ``SHOPPERLENS_SECRET_KEY``): every survey and interview e-mail carries one."""
    links.sign_opt_out("", settings.secret_key)


def opt_out_link(settings: Settings, invitation_id: str) -> str:
    """The recipient's own opt-out page for the e-mail of ``invitation_id``: pressing its
    button records their refusal of survey e-mails (:func:`opt_out`)."""
    token = links.sign_opt_out(invitation_id, settings.secret_key)
    return links.opt_out_url(settings.public_url, token)


#: the source an opt-out is recorded with in ``consents``
OPT_OUT_SOURCE = "opt-out link in a survey e-mail"


def opt_out(*, store: Store, secret_key: str | None, token: object) -> bool:
    """Record the refusal of survey e-mails by the person an opt-out link was sent to, as
    ``consent set CUSTOMER survey --refused`` does: later survey sends, reminders and interview
    invitations skip them and every customer id of their address (:func:`consenting`).

    False when ``token`` is no opt-out token of ours. A person erased since, or whose latest
    ``survey`` record already refuses, has nothing recorded (pressing twice adds no record)."""
    invitation_id = links.verify_opt_out(token, secret_key)
    if invitation_id is None:
        return False
    customer = store.scalar(
        "SELECT customer_id FROM survey_invitations i JOIN customers c USING (customer_id) "
        "WHERE i.invitation_id = ?",
        [invitation_id],
    )
    if customer is None:
        return True
    latest = consent.list_consents(store=store, customer_id=customer, purpose="survey")
    if not latest or latest[0].granted:
        consent.record_consent(
            store=store, customer_id=customer, purpose="survey", granted=False,
            source=OPT_OUT_SOURCE,
        )  # fmt: skip
    return True


def _send_one(
    store: Store,
    mailer: mail.Mailer,
    invitation_id: str,
    to: str,
    subject: str,
    body: str,
    headers: Mapping[str, str],
) -> str:
    """Hand one invitation to SMTP, recording each step; the :class:`Delivered` count it
    belongs to (``sent``, ``failed``, ``deferred``, ``unconfirmed``, or ``erased`` when the
    customer was erased since the send began: the pending list was read before the loop, and
    a batch of sends takes minutes)."""
    claimed = store.execute(
        "UPDATE survey_invitations SET status = 'sending' WHERE invitation_id = ? "
        "AND customer_id IN (SELECT customer_id FROM customers) RETURNING invitation_id",
        [invitation_id],
    ).fetchall()
    if not claimed:
        return "erased"
    try:
        mailer.send(to, subject, body, headers)
    except mail.Stopped:  # a refused sender, a lost connection: it waits for the next send
        _requeue(store, invitation_id)
        raise
    except Exception as exc:  # noqa: BLE001 - any SMTP/socket failure: record, go on
        status, error = _after_failure(exc)
        store.execute(
            "UPDATE survey_invitations SET status = ?, error = ? WHERE invitation_id = ?",
            [status, error, invitation_id],
        )
        return {"pending": "deferred", "failed": "failed"}.get(status, "unconfirmed")
    except BaseException:  # Ctrl-C or SIGTERM: stopped before the DATA command, not sent
        if not mailer.handing_over:
            _requeue(store, invitation_id)
        raise
    stamp = utc_now()
    with store.transaction() as con:
        kept = con.execute(
            "UPDATE survey_invitations SET status = 'sent', error = NULL, sent_at = ?, "
            "last_sent_at = ? "
            "WHERE invitation_id = ? RETURNING invitation_id",
            [stamp, stamp, invitation_id],
        ).fetchall()
        if kept:  # (erased during the SMTP exchange: no delivery row naming it)
            con.execute(
                "INSERT INTO survey_deliveries VALUES (?, 'invitation', ?)", [invitation_id, stamp]
            )
    return "sent"


def _requeue(store: Store, invitation_id: str) -> None:
    """Put an invitation that certainly did not go out back in the queue for the next send:
    left ``sending``, it would never be sent (a run stopped with Ctrl-C or SIGTERM while the
    server was still being asked, or one whose sender the server refused)."""
    store.execute(
        "UPDATE survey_invitations SET status = 'pending' WHERE invitation_id = ?",
        [invitation_id],
    )


def _still_there(store: Store, invitation_id: str) -> bool:
    """Whether the invitation and its customer are still in the store (not erased)."""
    return bool(
        store.scalar(
            "SELECT count(*) FROM survey_invitations i JOIN customers c USING (customer_id) "
            "WHERE i.invitation_id = ?",
            [invitation_id],
        )
    )


def _after_failure(exc: BaseException) -> tuple[str, str]:
    """The invitation's status and error once sending raised ``exc``.

    What certainly did not go out (:func:`mail.refusal`) is ``pending`` again when a later
    send may go better (a ``4xx``, a connection lost before the DATA command), else
    ``failed`` (a ``5xx``, a non-ASCII address the server cannot take): it reached nobody.
    Only a connection that broke during the hand-over may have sent it: it stays ``sending``
    and is never retried (at most once)."""
    why = mail.refusal(exc)
    if why is None:
        return "sending", f"{type(exc).__name__}: may have gone out, not retried"
    if why.retry:
        return "pending", f"{why.reason}, retried on the next send"
    return "failed", why.reason


def send_reminders(
    *,
    store: Store,
    settings: Settings,
    survey: str,
    max_reminders: int = 1,
    min_gap_days: float = 7,
    template: str | Path = "reminder",
    shop_name: str | None = None,
    now: datetime | None = None,
) -> SendReport:
    """Remind invitees who have not answered: at most ``max_reminders`` each, and only
    ``min_gap_days`` after the last e-mail they got from us. The template learns which
    reminder it is (``reminder``, ``max_reminders``, ``last_reminder``) so that only the last
    one says it is the last.

    "Answered" is resolved as the results resolve respondents: by the invitation's link, in an
    import under the customer's id, or by pop-up from a browser ``identities`` links to them.
    An address is one invitee (:func:`_due_reminders`). A reminder whose connection broke
    half-way may have gone out: it counts as given (``unconfirmed``) and is not repeated.
    The options are checked first (:func:`check_reminder_options`).
    """
    max_reminders, min_gap_days = check_reminder_options(max_reminders, min_gap_days)
    now = now or utc_now()
    definition = get_survey(store=store, name=survey)
    due = _due_reminders(store, survey, max_reminders, now - timedelta(days=min_gap_days))
    report = SendReport(survey=survey, audience="reminder", matched=len(due))
    allowed = consenting(store=store)
    due = due[due["customer_id"].isin(allowed)]
    if due.empty:
        return report
    refuse_dead_links(settings, f"the {len(due)} reminder(s) wait and go out")
    text = mail.load_template(template)
    shop_name = shop_name or settings.shop_name
    with mail.Mailer(settings, from_name=shop_name) as mailer:
        for row in due.itertuples(index=False):
            token = links.sign(row.invitation_id, survey, settings.secret_key)
            number = int(row.reminders) + 1
            opt_out = opt_out_link(settings, row.invitation_id)
            subject, body = mail.render(
                text,
                link=links.survey_url(settings.public_url, survey, token),
                opt_out_link=opt_out,
                shop_name=shop_name,
                first_name=mail.greeting_name(row.name),
                reminder=number,
                max_reminders=max_reminders,
                last_reminder=number >= max_reminders,
                **_wording(definition),
            )
            if not _still_there(store, row.invitation_id):
                report.erased += 1  # erased since the reminders were read
                continue
            try:
                mailer.send(row.email, subject, body, mail.opt_out_headers(opt_out))
            except mail.Stopped:
                raise  # a refused sender, a lost connection: the reminders wait for the next run
            except Exception as exc:  # noqa: BLE001 - a refusal is not recorded: retried
                status, _ = _after_failure(exc)
                if status == "pending":
                    report.deferred += 1
                elif status == "failed":
                    report.failed += 1
                else:  # may have gone out: spent, never sent again (at most once)
                    report.unconfirmed += 1
                    _reminded(store, row.invitation_id, delivered=False)
                continue
            _reminded(store, row.invitation_id, delivered=True)
            report.reminded += 1
    return report


def _due_reminders(store: Store, survey: str, max_reminders: int, before: datetime) -> pd.DataFrame:
    """Sent invitations to remind, one per address: ``invitation_id, customer_id, email,
    name, reminders``.

    An address is one invitee: its reminders so far are those of all its invitations (two ids
    of one inbox were once invited, and reminded, twice) and its last e-mail the latest of
    them; the address is left alone once any customer id of it answered, and reminded through
    its first invitation.
    """
    rows = store.df(
        "SELECT i.invitation_id, i.customer_id, c.email, c.name, i.reminders, i.last_sent_at, "
        f"{inbox_key_sql('c.email')} AS address, EXISTS (SELECT 1 FROM survey_responses r "
        " WHERE r.link_id = i.invitation_id) AS by_link "
        "FROM survey_invitations i JOIN customers c USING (customer_id) "
        "WHERE i.survey = ? AND i.purpose = 'survey' AND i.status = 'sent' "
        "ORDER BY i.created_at, i.invitation_id",
        [survey],
    )
    addresses = address_book(store)
    done = set(rows.loc[rows["by_link"].astype(bool), "address"]) | {
        addresses[c] for c in answered_by(store=store, survey=survey) if c in addresses
    }
    per = rows.groupby("address", sort=False).agg(
        reminders=("reminders", "sum"), last=("last_sent_at", "max")
    )
    first = rows.drop_duplicates("address").set_index("address")
    first["reminders"], first["last"] = per["reminders"], per["last"]
    due = first[
        ~first.index.isin(list(done))
        & (first["reminders"] < max_reminders)
        & (first["last"] <= before)
    ]
    return due.reset_index()[["invitation_id", "customer_id", "email", "name", "reminders"]]


def _reminded(store: Store, invitation_id: str, *, delivered: bool) -> None:
    """Count a reminder given (or possibly given) on an invitation; a delivered one is also
    recorded in ``survey_deliveries`` (what the SMTP server took)."""
    stamp = utc_now()
    with store.transaction() as con:
        kept = con.execute(
            "UPDATE survey_invitations SET reminders = reminders + 1, last_sent_at = ? "
            "WHERE invitation_id = ? RETURNING invitation_id",
            [stamp, invitation_id],
        ).fetchall()
        if delivered and kept:
            con.execute(
                "INSERT INTO survey_deliveries VALUES (?, 'reminder', ?)", [invitation_id, stamp]
            )


def invitations(*, store: Store, survey: str) -> pd.DataFrame:
    """Invitation status counts of a survey (no personal data)."""
    return store.df(
        "SELECT i.status, count(*) AS invitations, sum(i.reminders) AS reminders, "
        "count(r.response_id) AS responses FROM survey_invitations i "
        "LEFT JOIN survey_responses r ON r.link_id = i.invitation_id "
        "WHERE i.survey = ? GROUP BY 1 ORDER BY 1",
        [survey],
    )


def visitor_types(*, store: Store) -> dict[str, str]:
    """Visitor id -> customer type from the last stored types run (empty when none is stored;
    this never computes a run, so the public pop-up endpoint stays cheap)."""
    if "type_runs" not in store.tables() or not store.scalar("SELECT count(*) FROM type_runs"):
        return {}
    from shopperlens.service.types import latest_types

    typed = latest_types(store=store)
    out: dict[str, str] = {}
    by_customer = dict(
        zip(
            typed["customer_id"].dropna(),
            typed.loc[typed["customer_id"].notna(), "type"],
            strict=True,
        )
    )
    for vid, cid, kind in zip(
        typed["visitor_id"], typed["customer_id"], typed["type"], strict=True
    ):
        if isinstance(vid, str):
            out[vid] = kind
        if isinstance(cid, str):
            out[f"customer:{cid}"] = kind
    ids = store.df("SELECT visitor_id, customer_id FROM identities")
    for vid, cid in zip(ids["visitor_id"], ids["customer_id"], strict=True):
        if cid in by_customer and vid not in out:
            out[vid] = by_customer[cid]
    return out
