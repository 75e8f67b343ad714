"""Surveys in the store: definitions and versions, collecting and importing responses.

Writes of responses go through :func:`record_submissions`, which stores a batch of validated
submissions in one transaction and refuses a second answer on the same signed link. The web
server funnels every request through one :class:`ResponseWriter` thread, so concurrent
requests never race on DuckDB and many answers commit together under load.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import queue
import random
import re
import threading
import uuid
import weakref
from concurrent.futures import Future
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from pydantic import BaseModel, Field, ValidationError

from shopperlens.emails import email_sql
from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.ingest.reading import refuse_c1_text
from shopperlens.ingest.rejects import (
    REJECT_COLUMNS,
    SHOWN_REJECTS,
    Reject,
    describe,
    write_rejects,
)
from shopperlens.plain import spreadsheet_cell
from shopperlens.service._checks import number, whole
from shopperlens.service._clock import naive_utc, utc_now
from shopperlens.service.imports import RejectPublic
from shopperlens.store import Store
from shopperlens.surveys import links
from shopperlens.surveys.definition import Survey, builtin, is_text, validate_answers
from shopperlens.surveys.responses import (
    META_COLUMNS,
    delimiter,
    is_email,
    parse_export,
)
from shopperlens.surveys.responses import _column as _export_column
from shopperlens.textfiles import csv_stream, decode_text

DEMO_ORDER = 60
CHANNELS = ("email", "popup", "link", "import", "api")


class SurveyInfo(BaseModel):
    name: str
    title: str
    version: int
    questions: int
    responses: int
    warnings: list[str]


class SurveyImportResult(BaseModel):
    survey: str
    file: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    already_imported: bool = False
    rejects_file: str | None = None
    rejects: list[RejectPublic] = Field(
        default_factory=list, description="The first rejects (all are in the rejects file)."
    )


#: the built-in demo survey (``surveys/data/demo-profile.yaml``)
DEMO_SURVEY = "demo-profile"


class AlreadyAnsweredError(ShopperlensError):
    """This respondent already answered this survey (responses are one per respondent)."""


class ReplayedLinkError(AlreadyAnsweredError):
    """The signed link was already used to answer."""

    MESSAGE = "this survey link was already used to answer"


class RepeatedVisitorError(AlreadyAnsweredError):
    """The visitor already answered this survey (the pop-up or the public link)."""


class RepeatedFormError(AlreadyAnsweredError):
    """The same filled-in form arrived again (Back, then Send): its answers are stored."""

    MESSAGE = "these answers have already arrived"


class QuotaReachedError(ShopperlensError):
    """The survey (or this channel of it) has all the answers it asked for; ``quota`` names
    the quota reached (``total`` or the channel), for the shop, not the respondent."""

    def __init__(self, quota: str) -> None:
        self.quota = quota
        super().__init__(f"this survey has all the answers it needs ({quota} quota reached)")


# -- definitions ------------------------------------------------------------------------------
_CACHE: weakref.WeakKeyDictionary[Store, dict[str, Survey]] = weakref.WeakKeyDictionary()


def shop_categories(*, store: Store) -> list[str]:
    """The product categories the shop sells (for the relevance check)."""
    rows = store.df(
        "SELECT DISTINCT category FROM products WHERE category IS NOT NULL "
        "UNION SELECT DISTINCT category FROM order_lines WHERE category IS NOT NULL"
    )
    return sorted(rows["category"].astype(str))


def save_survey(*, store: Store, survey: Survey) -> SurveyInfo:
    """Store a definition; a changed definition becomes a new version (old answers keep theirs)."""
    now = utc_now()
    current = store.df("SELECT current_version FROM surveys WHERE name = ?", [survey.name])
    with store.transaction() as con:
        if current.empty:
            version = 1
            survey = survey.model_copy(update={"version": version})
            con.execute(
                "INSERT INTO surveys VALUES (?, ?, ?, ?)", [survey.name, survey.title, 1, now]
            )
        else:
            last = int(current.iloc[0, 0])
            old = con.execute(
                "SELECT definition FROM survey_versions WHERE name = ? AND version = ?",
                [survey.name, last],
            ).fetchone()
            same = (
                old
                and json.loads(old[0]) == survey.model_copy(update={"version": last}).model_dump()
            )
            version = last if same else last + 1
            survey = survey.model_copy(update={"version": version})
            con.execute(
                "UPDATE surveys SET title = ?, current_version = ? WHERE name = ?",
                [survey.title, version, survey.name],
            )
            if same:
                version = -1
        if version > 0:
            con.execute(
                "INSERT INTO survey_versions VALUES (?, ?, ?, ?)",
                [survey.name, survey.version, survey.model_dump_json(), now],
            )
    _CACHE.pop(store, None)
    return _info(store, survey)


def get_survey(*, store: Store, name: str, version: int | None = None) -> Survey:
    """The current (or a given) version of a stored survey.

    A missing version of an existing survey is named as such, with the versions there are
    (it once read as "no survey named …", sending people to recreate a survey they had).
    """
    cache = _CACHE.setdefault(store, {})
    if version is None and name in cache:
        return cache[name]
    sql = "SELECT definition FROM survey_versions WHERE name = ? AND version = " + (
        "?" if version is not None else "(SELECT current_version FROM surveys WHERE name = ?)"
    )
    with store.cursor() as cur:
        row = None
        # a version DuckDB cannot even hold as an INTEGER is simply not there
        if version is None or (isinstance(version, int) and 0 <= version < 2**31):
            row = cur.execute(sql, [name, name if version is None else version]).fetchone()
        known = "SELECT version FROM survey_versions WHERE name = ? ORDER BY version"
        versions = [v for (v,) in cur.execute(known, [name]).fetchall()] if row is None else []
    if row is None and versions:
        raise NotFoundError(
            f"survey {name!r} has no version {version}; its versions: "
            + ", ".join(map(str, versions))
        )
    if row is None:
        raise NotFoundError(
            f"no survey named {name!r} (create it with `shopperlens survey create`)"
        )
    try:
        survey = Survey.model_validate_json(row[0])
    except ValidationError as exc:  # saved before a rule it breaks (e.g. a 1.5–4.5 scale)
        first = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ShopperlensError(
            f"the stored definition of survey {name!r} is no longer valid ({first}); "
            "save a corrected version with `shopperlens survey create`"
        ) from None
    if version is None:
        cache[name] = survey
    return survey


def popup_snippet(
    *,
    store: Store,
    public_url: str,
    survey: str,
    question: str | None = None,
    types: list[str] | None = None,
    secret_key: str | None = None,
    **options: Any,
) -> str:
    """The ``<script>`` tag that shows ``survey`` as a pop-up or welcome bar (options: see
    :func:`shopperlens.surveys.snippet.script_tag`).

    The survey and the question must exist: a tag naming an unknown survey breaks silently on
    the shop's pages, and the pop-up shows the first question instead of a missing one.
    ``types`` aims it at visitors of those customer types: the tag carries them signed under
    ``secret_key`` (required then), and the public eligibility check takes them from there.
    """
    from shopperlens.surveys.snippet import script_tag

    _popup_timing(options)
    stored = get_survey(store=store, name=survey)
    ids = [q.id for q in stored.questions]
    if question is not None and question not in ids:
        raise ShopperlensError(
            f"survey {survey!r} has no question {question!r}; its questions: {', '.join(ids)}"
        )
    if types:  # "need-based" would match no visitor's type on the shop's pages
        from shopperlens.types.config import type_name

        named = list(dict.fromkeys(type_name(t) for t in types))
        options["target"] = links.sign_target(named, survey, secret_key)
    return script_tag(public_url, survey, question=question, **options)


#: the longest wait before a pop-up shows, in seconds: past it nobody is on the page any more
POPUP_MAX_DELAY = 3600
#: the longest client-side pause between surveys, in days (ten years)
POPUP_MAX_DAYS = 3650


def _popup_timing(options: dict[str, Any]) -> None:
    """Refuse a wait or a pause the pop-up cannot keep, in every face alike: a negative
    ``delay`` showed it at once, ``inf`` (which the page reads as not-a-number) too, and a
    negative ``days`` asked again on every page after a dismissal."""
    if options.get("delay") is not None:
        number(options["delay"], "the delay", low=0, high=POPUP_MAX_DELAY, unit="seconds")
    if "days" in options:
        options["days"] = whole(
            options["days"], "the days between surveys (days)", low=0, high=POPUP_MAX_DAYS
        )


def popup_warning(
    *,
    store: Store,
    survey: str,
    mode: str = "popup",
    question: str | None = None,
    option: str = "--question ID",
) -> str | None:
    """What to say of a pop-up tag that names no question, else None (``option``: how the
    caller's face names the choice; see ``surveys.snippet.missing_question_warning``)."""
    from shopperlens.surveys.snippet import missing_question_warning

    first = get_survey(store=store, name=survey).questions[0].text
    return missing_question_warning(mode, question, first, option)


def popup_eligibility(
    *,
    store: Store,
    survey: str,
    visitor_id: str,
    types: list[str] | None,
    fatigue_days: int,
    visitor_types: dict[str, str] | None = None,
    channel: str = "popup",
) -> tuple[bool, str]:
    """Should the pop-up show to this visitor, and why (the reason stays on the server: the
    public answer is only yes or no). Never twice the same survey, no survey within
    ``fatigue_days`` of the last one answered, and with ``types`` (from the snippet's signed
    target, never from the caller) only visitors of those types (``visitor_types``: visitor
    id -> type of the last stored types run).

    "This visitor" includes the customer ``identities`` links the visitor id to: a customer who
    answered by e-mail link, or from another of their browsers, has answered. A survey whose
    quota for ``channel`` (``popup``; ``link`` for the welcome bar, which leads to the form)
    or in total is reached shows to nobody: its answers would be refused.
    """
    full = closed_quota(store=store, survey=survey, channel=channel)
    if full:
        return False, f"closed ({full} quota reached)"
    vid = visitor_id[:64]
    if vid:
        this, last = _answered(store, survey, vid)
        if this:
            return False, "already answered"
        if last is not None and (utc_now() - last).days < fatigue_days:
            return False, f"answered a survey in the last {fatigue_days} days"
    if types and (visitor_types or {}).get(vid) not in set(types):
        return False, "not in the targeted types"
    return True, "ok"


def _answered(store: Store, survey: str, visitor_id: str) -> tuple[int, datetime | None]:
    """Responses to ``survey`` and the latest response to any survey by this visitor or by
    the customer it is linked to (their own responses and their other visitor ids')."""
    with store.cursor() as cur:
        row = cur.execute(
            "WITH me AS (SELECT customer_id FROM identities WHERE visitor_id = $2), "
            "mine AS (SELECT visitor_id FROM identities "
            " WHERE customer_id IN (SELECT customer_id FROM me)) "
            "SELECT count(*) FILTER (survey = $1), max(submitted_at) FROM survey_responses "
            "WHERE visitor_id = $2 OR visitor_id IN (SELECT visitor_id FROM mine) "
            "OR customer_id IN (SELECT customer_id FROM me)",
            [survey, visitor_id],
        ).fetchone()
    return int(row[0]), row[1]


def answered_by(*, store: Store, survey: str) -> set[str]:
    """Customers who answered ``survey``, however they answered: the customer a signed link or
    an import names, else the one ``identities`` links the answering visitor to (as
    :func:`responses_for_analysis` resolves respondents): reminders and fatigue ask this, so a
    pop-up answer from a customer's browser is theirs there as in the results."""
    rows = store.df(
        "SELECT DISTINCT coalesce(r.customer_id, i.customer_id) AS customer_id "
        "FROM survey_responses r LEFT JOIN identities i ON i.visitor_id = r.visitor_id "
        "WHERE r.survey = ? AND coalesce(r.customer_id, i.customer_id) IS NOT NULL",
        [survey],
    )
    return set(rows["customer_id"])


def public_link(*, store: Store, public_url: str, survey: str) -> str:
    """The survey's public page address; refused for a survey that is not stored (the link
    would answer "not found" to every prospect who clicks it)."""
    get_survey(store=store, name=survey)
    return links.survey_url(public_url, survey)


def ensure_builtin(*, store: Store, name: str = "demo-profile") -> Survey:
    """The stored survey ``name``, saved from the built-in definition when missing."""
    try:
        return get_survey(store=store, name=name)
    except ShopperlensError:
        save_survey(store=store, survey=builtin(name))
        return get_survey(store=store, name=name)


def list_surveys(*, store: Store) -> list[SurveyInfo]:
    names = store.df("SELECT name FROM surveys ORDER BY name")["name"]
    return [_info(store, get_survey(store=store, name=n)) for n in names]


def _info(store: Store, survey: Survey) -> SurveyInfo:
    n = store.scalar("SELECT count(*) FROM survey_responses WHERE survey = ?", [survey.name])
    return SurveyInfo(
        name=survey.name,
        title=survey.title,
        version=survey.version,
        questions=len(survey.questions),
        responses=int(n or 0),
        warnings=survey.warnings(shop_categories(store=store)),
    )


# -- collecting -------------------------------------------------------------------------------
#: a private generator seeded from the OS (and again in a forked child): ids stay unique even
#: when other code seeds the global ``random`` (tests, demos), without a system call per id
_RNG = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _RNG.seed(os.urandom(32)))


def _new_id() -> str:
    """A random 128-bit id."""
    return f"{_RNG.getrandbits(128):032x}"


@dataclass
class Submission:
    """A validated answer set, ready to store. ``submitted_at`` is naive UTC, as the store
    keeps every time: the machine's clock (``datetime.now()``) put a Berlin shop's answers two
    hours late beside its imported ones, and an aware time is converted (DuckDB would read it
    in the machine's zone)."""

    survey: str
    version: int
    answers: dict[str, Any]
    respondent: str
    channel: str
    customer_id: str | None = None
    visitor_id: str | None = None
    link_id: str | None = None
    import_id: int | None = None
    submitted_at: datetime = field(default_factory=utc_now)
    response_id: str = field(default_factory=lambda: _new_id())
    #: the respondent is the id of one served form (:func:`form_id`): stored once only
    once: bool = False

    def __post_init__(self) -> None:
        self.submitted_at = naive_utc(self.submitted_at)


def prepare_submission(
    *,
    store: Store,
    survey: str,
    answers: Any,
    token: str | None = None,
    visitor_id: str | None = None,
    channel: str = "link",
    secret_key: str | None = None,
    form: str | None = None,
) -> Submission:
    """Validate one submission; a signed ``token`` ties it to its invitation and customer.

    A pop-up answer (``channel="popup"``, no token) answers the questions it sends (see
    :func:`validate_answers`). ``form`` is the id the public form was served with
    (:func:`form_id`): a form without a token or visitor is stored as that respondent, so the
    same form sent again (Back, then Send) is refused as :class:`RepeatedFormError`."""
    definition = get_survey(store=store, name=survey)
    clean = validate_answers(definition, answers, partial=channel == "popup" and not token)
    if not isinstance(channel, str) or channel not in CHANNELS:
        raise ShopperlensError(f"unknown channel {str(channel)[:40]!r}")
    if visitor_id is not None and not (isinstance(visitor_id, str) and is_text(visitor_id)):
        raise ShopperlensError("visitor_id must be text")
    if token is not None and not (isinstance(token, str) and is_text(token)):
        raise ShopperlensError("the survey link is not valid (it was changed or not ours)")
    customer_id = link_id = None
    if token:
        link_id, customer_id = _invitation(store, survey, token, secret_key)
        channel = "email"
    visitor = (visitor_id or "")[:64] or None
    once = not link_id and not visitor and isinstance(form, str) and bool(_FORM_ID.match(form))
    respondent = link_id or (f"v:{visitor}" if visitor else form if once else uuid.uuid4().hex)
    return Submission(
        survey=survey,
        version=definition.version,
        answers=clean,
        respondent=respondent,
        channel=channel,
        customer_id=customer_id,
        visitor_id=visitor,
        link_id=link_id,
        once=once,
    )


#: a served form's id: what :func:`form_id` makes (an anonymous respondent's id, as before)
_FORM_ID = re.compile(r"^[0-9a-f]{32}$")


def form_id() -> str:
    """A new id for one served public form, sent back with its answers: random, so none can
    be guessed to block another person's answers."""
    return uuid.uuid4().hex


def _sent_forms(con: Any, items: list[Submission]) -> set[tuple[str, str]]:
    """``(survey, respondent)`` pairs of the batch's served forms already stored."""
    forms = list({s.respondent for s in items if s.once})
    if not forms:
        return set()
    rows = con.execute(
        "SELECT survey, respondent FROM survey_responses "
        "WHERE list_contains(?::VARCHAR[], respondent) AND list_contains(?::VARCHAR[], survey)",
        [forms, list({s.survey for s in items})],
    ).fetchall()
    return {(survey, respondent) for survey, respondent in rows}


def _invitation(
    store: Store, survey: str, token: str, secret_key: str | None
) -> tuple[str, str | None]:
    """The invitation a signed survey link stands for and its customer; refuses a link that
    was changed, signed for another survey, or whose invitation is gone (its person erased)."""
    link_id = links.verify(token, survey, secret_key)
    if link_id is None:
        raise ShopperlensError("the survey link is not valid (it was changed or not ours)")
    with store.cursor() as cur:
        row = cur.execute(
            "SELECT customer_id FROM survey_invitations WHERE invitation_id = ? AND survey = ?",
            [link_id, survey],
        ).fetchone()
    if row is None:
        raise ShopperlensError("the survey link is not valid (no such invitation)")
    return link_id, row[0]


def answered_survey(*, store: Store) -> str | None:
    """The survey whose answers a call that names none uses: ``demo-profile`` when it has
    answers, else the only survey with answers; None when none has any. Several surveys with
    answers and no demo are refused, naming them: which one is meant is the shop's choice."""
    if "survey_responses" not in store.tables():
        return None
    names = store.df(
        "SELECT survey, count(*) AS n FROM survey_responses GROUP BY survey ORDER BY n DESC, survey"
    )["survey"].tolist()
    if DEMO_SURVEY in names or len(names) <= 1:
        return DEMO_SURVEY if DEMO_SURVEY in names else (names[0] if names else None)
    raise ShopperlensError(f"several surveys have answers ({', '.join(names)}): name one")


def link_refusal(
    *, store: Store, survey: str, token: str, secret_key: str | None
) -> tuple[int, str] | None:
    """Why a survey link cannot be answered — ``(status, message)`` as its submission would be
    refused (400 not valid, 409 already used) — or None. Asked when the form is opened, so a
    person is told before filling in every question, not after."""
    try:
        link_id, _ = _invitation(store, survey, token, secret_key)
    except ShopperlensError as exc:
        return 400, str(exc)
    with store.cursor() as cur:
        used = cur.execute(
            "SELECT 1 FROM survey_responses WHERE link_id = ? LIMIT 1", [link_id]
        ).fetchone()
    return (409, ReplayedLinkError.MESSAGE) if used else None


def record_submissions(*, store: Store, items: list[Submission]) -> list[str | ShopperlensError]:
    """Store many submissions in one transaction; per item its response id or its error.

    A signed link answers once: a second submission on the same link (in the store or earlier
    in the batch) is refused with :class:`ReplayedLinkError`. So does a visitor: a second
    submission to the same survey with the same ``visitor_id`` is refused with
    :class:`RepeatedVisitorError` (responses are one row per respondent; counting repeats would
    let one person speak for many), and so is one without a signed link from a visitor
    ``identities`` links to a customer who already answered (by e-mail link, import or another
    browser). A link can still be answered after such a pop-up answer: the analysis keeps one
    response per customer (:func:`_one_per_customer`).
    """
    results: list[str | ShopperlensError] = [s.response_id for s in items]
    if not items:
        return results
    with store.transaction() as con:
        wanted = [s.link_id for s in items if s.link_id]
        used: set[str] = set()
        if wanted:
            used = {
                r[0]
                for r in con.execute(
                    "SELECT link_id FROM survey_responses WHERE link_id IN (SELECT unnest(?))",
                    [wanted],
                ).fetchall()
            }
        answered, linked = _known_visitors(con, items)
        done = _answered_customers(con, items, set(linked.values()))
        room = _quota_room(con, store, items)
        sent = _sent_forms(con, items)
        keep: list[Submission] = []
        for i, s in enumerate(items):
            if s.link_id and s.link_id in used:
                results[i] = ReplayedLinkError(ReplayedLinkError.MESSAGE)
                continue
            if s.once and (s.survey, s.respondent) in sent:
                results[i] = RepeatedFormError(RepeatedFormError.MESSAGE)
                continue
            if s.visitor_id and (s.survey, s.visitor_id) in answered:
                results[i] = RepeatedVisitorError(
                    "this visitor has already answered this survey (one answer per person)"
                )
                continue
            who = s.customer_id or linked.get(s.visitor_id or "")
            if not s.link_id and who and (s.survey, who) in done:
                results[i] = RepeatedVisitorError(
                    "this person has already answered this survey (one answer per person)"
                )
                continue
            left = room.get(s.survey, {})
            full = [k for k in ("total", s.channel) if k in left and left[k] <= 0]
            if full:
                results[i] = QuotaReachedError(full[0])
                continue
            for k in ("total", s.channel):
                if k in left:
                    left[k] -= 1
            if s.link_id:
                used.add(s.link_id)
            if s.once:
                sent.add((s.survey, s.respondent))
            if s.visitor_id:
                answered.add((s.survey, s.visitor_id))
            if who:
                done.add((s.survey, who))
            keep.append(s)
        if keep:
            _insert(con, keep)
    return results


def _known_visitors(
    con: Any, items: list[Submission]
) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """What the store knows of the batch's visitors: the ``(survey, visitor_id)`` pairs that
    already answered, and the customer ``identities`` links each visitor to. One query for
    both: it runs for every written batch, so a second round trip would be felt under load."""
    visitors = list({s.visitor_id for s in items if s.visitor_id})
    if not visitors:
        return set(), {}
    # list_contains, not IN (SELECT unnest(…)): a filter rather than two semi-joins, a third
    # less CPU per batch of pop-up answers
    rows = con.execute(
        "SELECT survey, visitor_id, false FROM survey_responses "
        "WHERE list_contains($1::VARCHAR[], visitor_id) AND list_contains($2::VARCHAR[], survey) "
        "UNION ALL SELECT customer_id, visitor_id, true FROM identities "
        "WHERE list_contains($1::VARCHAR[], visitor_id)",
        [visitors, list({s.survey for s in items})],
    ).fetchall()
    answered = {(key, visitor) for key, visitor, link in rows if not link}
    return answered, {visitor: key for key, visitor, link in rows if link}


def _answered_customers(
    con: Any, items: list[Submission], customers: set[str]
) -> set[tuple[str, str]]:
    """``(survey, customer_id)`` pairs of ``customers`` who already answered a survey of the
    batch, however they answered: by e-mail link, in an import, or by pop-up from any browser
    linked to them (respondents resolved as :func:`responses_for_analysis` resolves them).

    Asked only when a visitor of the batch is linked to a customer, so anonymous pop-up
    answers (nearly all of them) cost no more than the lookup in ``identities``.
    """
    if not customers:
        return set()
    rows = con.execute(
        "SELECT DISTINCT r.survey, coalesce(r.customer_id, i.customer_id) FROM "
        "survey_responses r LEFT JOIN identities i ON i.visitor_id = r.visitor_id "
        "WHERE list_contains(?::VARCHAR[], r.survey) "
        "AND list_contains(?::VARCHAR[], coalesce(r.customer_id, i.customer_id))",
        [list({s.survey for s in items}), list(customers)],
    ).fetchall()
    return {(survey, customer) for survey, customer in rows}


def _quota_room(con: Any, store: Store, items: list[Submission]) -> dict[str, dict[str, int]]:
    """Answers still wanted per survey and quota key (only for surveys with quotas)."""
    room: dict[str, dict[str, int]] = {}
    for name in {s.survey for s in items if s.channel != "import"}:
        quotas = get_survey(store=store, name=name).quotas
        if quotas:
            room[name] = _room(con, name, quotas)
    return room


def _room(con: Any, survey: str, quotas: dict[str, int]) -> dict[str, int]:
    """Answers ``survey`` still wants per quota key (``total`` or a channel)."""
    counts = dict(
        con.execute(
            "SELECT channel, count(*) FROM survey_responses WHERE survey = ? GROUP BY 1",
            [survey],
        ).fetchall()
    )
    return {
        k: v - (sum(counts.values()) if k == "total" else counts.get(k, 0))
        for k, v in quotas.items()
    }


def closed_quota(*, store: Store, survey: str, channel: str) -> str | None:
    """The quota (``total`` or ``channel``) that closes ``survey`` to answers from
    ``channel``, or None while it takes them. What :func:`record_submissions` refuses with
    410, asked before anyone starts: the pop-up's eligibility and the public form say the
    survey is closed instead of offering questions whose answers would be refused."""
    quotas = get_survey(store=store, name=survey).quotas
    if not quotas:
        return None
    with store.cursor() as cur:
        room = _room(cur, survey, quotas)
    return next((k for k in ("total", channel) if k in room and room[k] <= 0), None)


#: column -> DuckDB type of the two tables a submission writes
_RESP_COLUMNS = {
    "response_id": "VARCHAR",
    "survey": "VARCHAR",
    "version": "INTEGER",
    "respondent": "VARCHAR",
    "customer_id": "VARCHAR",
    "visitor_id": "VARCHAR",
    "channel": "VARCHAR",
    "link_id": "VARCHAR",
    "import_id": "INTEGER",
    "submitted_at": "TIMESTAMP",
}
_ANS_COLUMNS = {
    "response_id": "VARCHAR",
    "question": "VARCHAR",
    "position": "INTEGER",
    "value_text": "VARCHAR",
    "value_num": "DOUBLE",
}


def _insert(con: Any, subs: list[Submission]) -> None:
    """Append responses and their answers in the current transaction."""
    resp = {c: [getattr(s, c) for s in subs] for c in _RESP_COLUMNS}
    ans: dict[str, list[Any]] = {c: [] for c in _ANS_COLUMNS}
    for s in subs:
        for q, v in s.answers.items():
            for pos, item in enumerate(v if isinstance(v, list) else [v]):
                is_num = isinstance(item, float)
                ans["response_id"].append(s.response_id)
                ans["question"].append(q)
                ans["position"].append(pos)
                ans["value_text"].append(None if is_num else item)
                ans["value_num"].append(item if is_num else None)
    _append(con, "survey_responses", _RESP_COLUMNS, resp)
    _append(con, "survey_answers", _ANS_COLUMNS, ans)


def _append(con: Any, table: str, types: dict[str, str], columns: dict[str, list[Any]]) -> None:
    """One ``INSERT … SELECT unnest(list), …`` per table: a handful of list parameters binds
    much faster than a ``VALUES`` row per answer, and needs no Arrow round trip."""
    if not columns or not next(iter(columns.values())):
        return
    names = list(types)
    select = ", ".join(f"unnest(${i + 1}::{types[c]}[])" for i, c in enumerate(names))
    con.execute(
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {select}", [columns[c] for c in names]
    )


def submit_response(
    *,
    store: Store,
    survey: str,
    answers: Any,
    token: str | None = None,
    visitor_id: str | None = None,
    channel: str = "api",
    secret_key: str | None = None,
) -> str:
    """Validate and store one response; returns its id."""
    sub = prepare_submission(
        store=store,
        survey=survey,
        answers=answers,
        token=token,
        visitor_id=visitor_id,
        channel=channel,
        secret_key=secret_key,
    )
    result = record_submissions(store=store, items=[sub])[0]
    if isinstance(result, Exception):
        raise result
    return result


class ResponseWriter:
    """One thread that owns response writes; callers get a future per submission.

    DuckDB allows one writer at a time; funnelling the web server's requests through a queue
    keeps that true and lets a burst commit as one transaction (group commit).
    """

    def __init__(self, store: Store, *, max_batch: int = 512) -> None:
        self.store = store
        self.max_batch = max_batch
        self._q: queue.Queue[tuple[Submission, Future[str]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="survey-writer", daemon=True)
        self._thread.start()

    def submit(self, sub: Submission) -> Future[str]:
        fut: Future[str] = Future()
        self._q.put((sub, fut))
        return fut

    def close(self) -> None:
        self._q.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._q.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._q.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[tuple[Submission, Future[str]]]) -> None:
        """Store a batch in one transaction; should that fail, each submission alone, so one
        that cannot be stored fails by itself and the others' answers are kept (every caller
        of a failed batch was told it failed, answers a store could take among them)."""
        try:
            results = record_submissions(store=self.store, items=[s for s, _ in batch])
        except Exception as exc:
            if len(batch) > 1:
                for item in batch:
                    self._write([item])
                return
            batch[0][1].set_exception(exc)
            return
        for (_, fut), res in zip(batch, results, strict=True):
            if isinstance(res, Exception):
                fut.set_exception(res)
            else:
                fut.set_result(res)


# -- reading ----------------------------------------------------------------------------------
def responses_frame(*, store: Store, survey: str) -> pd.DataFrame:
    """One row per respondent: ``respondent, customer_id, submitted_at`` then one column per
    question of the current version (multi-select as lists of str, numbers as floats).

    ``customer_id`` is the respondent's customer: the one a signed link or an import names,
    else the one ``identities`` links the respondent's visitor id to (a pop-up answer from a
    known customer's browser is that customer's). One row per person: a customer who answered
    twice (by e-mail link and by pop-up) keeps one response (:func:`_one_per_customer`). An
    answer given to an older version whose question has since changed kind, choices or scale
    is left out (None): it answered another question; :func:`responses_for_analysis` also says
    how many were left out.
    """
    return responses_for_analysis(store=store, survey=survey).frame


class Analysed(NamedTuple):
    """What :func:`responses_for_analysis` reads: the answers and what it left out."""

    #: one row per person (see :func:`responses_frame`)
    frame: pd.DataFrame
    #: per question, answers to an older version whose question is not compatible
    left_out: dict[str, int]
    #: further responses of a customer who answered more than once (not in ``frame``)
    duplicates: int
    #: responses in ``frame`` per channel (``email``, ``popup`` …)
    channels: dict[str, int]


def responses_for_analysis(*, store: Store, survey: str) -> Analysed:
    """:func:`responses_frame` and what it left out: per question the answers given to an
    older version whose question is not compatible with the current one, and the number of
    duplicate responses (:func:`_one_per_customer`)."""
    definition = get_survey(store=store, name=survey)
    resp = store.df(
        "SELECT r.response_id, r.respondent, coalesce(r.customer_id, i.customer_id) AS "
        "customer_id, r.submitted_at, r.version, r.channel FROM survey_responses r "
        "LEFT JOIN identities i ON i.visitor_id = r.visitor_id "
        "WHERE r.survey = ? ORDER BY r.submitted_at, r.respondent",
        [survey],
    )
    ans = store.df(
        "SELECT a.response_id, a.question, a.position, a.value_text, a.value_num "
        "FROM survey_answers a JOIN survey_responses r USING (response_id) "
        "WHERE r.survey = ? ORDER BY a.response_id, a.question, a.position",
        [survey],
    )
    ans["version"] = ans["response_id"].map(resp.set_index("response_id")["version"])
    fits = _compatible_versions(store, definition, set(resp["version"].astype(int)))
    out = resp[["respondent", "customer_id", "submitted_at"]].copy()
    out["customer_id"] = out["customer_id"].astype(object).where(out["customer_id"].notna(), None)
    index = {r: i for i, r in enumerate(resp["response_id"])}
    for q in definition.questions:
        asked = ans[ans["question"] == q.id]
        out[q.id] = _column(q.kind, asked[asked["version"].isin(fits[q.id])], index, len(resp))
    keep = _one_per_customer(out, definition.ids)
    kept = resp.loc[keep.to_numpy(), "response_id"]
    channels = resp.loc[keep.to_numpy(), "channel"].value_counts()
    return Analysed(
        frame=out[keep].reset_index(drop=True),
        left_out=_left_out(ans[ans["response_id"].isin(kept)], fits),
        duplicates=int((~keep).sum()),
        channels={str(k): int(v) for k, v in channels.items()},
    )


def _left_out(ans: pd.DataFrame, fits: dict[str, set[int]]) -> dict[str, int]:
    """Per question, the responses whose answer to it is left out: given to a version whose
    question is not compatible with the current one (``fits``)."""
    left_out: dict[str, int] = {}
    for qid, versions in fits.items():
        asked = ans[ans["question"] == qid]
        fitting = asked.loc[asked["version"].isin(versions), "response_id"].nunique()
        skipped = asked["response_id"].nunique() - fitting
        if skipped:
            left_out[qid] = int(skipped)
    return left_out


def _one_per_customer(frame: pd.DataFrame, questions: list[str]) -> pd.Series:
    """Which responses to keep: one per customer (respondents who are not known customers
    each count once already).

    A customer can answer twice: by the e-mail link and, from a browser linked to them only
    later, by the pop-up; or by a link and in an imported export. Counted twice, one person
    would speak for two in every share, cross-tab and persona. Kept is the response answering
    the most questions of the current version (a one-question pop-up answer does not replace
    the whole survey), and of those the first submitted, then the first by respondent id (the
    rows of one import share its time), never the first in the file.
    """
    answered = frame[questions].notna().sum(axis=1)
    # a stable sort keeps the frame's order (submission, then respondent) among equal counts
    order = answered.sort_values(ascending=False, kind="stable").index
    ranked = frame.loc[order, "customer_id"]
    repeat = ranked.notna() & ranked.duplicated(keep="first")
    return ~repeat.reindex(frame.index)


def _compatible_versions(store: Store, current: Survey, versions: set[int]) -> dict[str, set[int]]:
    """Per question of ``current``, the stored versions whose answers to it mean the same
    (same kind, choices and scale; see ``Question.answers_compatible_with``)."""
    fits: dict[str, set[int]] = {q.id: {current.version} for q in current.questions}
    for version in versions - {current.version}:
        try:
            old = get_survey(store=store, name=current.name, version=version)
        except ShopperlensError:  # a version that cannot be read: its answers cannot be trusted
            continue
        for q in current.questions:
            if q.id in old.ids and q.answers_compatible_with(old.question(q.id)):
                fits[q.id].add(version)
    return fits


def _column(kind: str, sub: pd.DataFrame, index: dict[str, int], n: int) -> pd.Series:
    """One question's answers in respondent order: lists for multi-selects, floats for
    numbers and scales, text otherwise; None where the respondent gave no (usable) answer."""
    col: list[Any] = [None] * n
    if kind == "multi":
        for rid, grp in sub.groupby("response_id", sort=False):
            col[index[rid]] = [str(v) for v in grp["value_text"]]
    elif kind in ("scale", "number"):
        for rid, v in zip(sub["response_id"], sub["value_num"], strict=True):
            col[index[rid]] = float(v)
    else:
        for rid, v in zip(sub["response_id"], sub["value_text"], strict=True):
            col[index[rid]] = str(v)
    if kind in ("scale", "number"):
        return pd.Series(col, dtype="float64")
    return pd.Series(col, dtype=object)


# -- importing ----------------------------------------------------------------------------------
def import_survey_csv(
    *,
    store: Store,
    survey: str,
    path: str | Path,
    on_error: str = "abort",
    rejects_beside_store: bool = False,
    decimal_comma: bool = False,
) -> SurveyImportResult:
    """Import a survey tool's CSV export (one row per respondent, ``;``-joined multi-selects;
    separated by ``,``, or by ``;`` as spreadsheets in Europe save one).

    Atomic: with ``on_error="abort"`` one bad cell refuses the file and nothing is stored;
    ``"skip"`` stores the good rows. Either way the rejects go to ``FILE.rejects.csv``, or with
    ``rejects_beside_store`` (an upload, whose file is deleted once read) to the survey rejects
    file beside the store (:func:`survey_rejects_path`; none for an in-memory store); the
    result and the refusal list the first rejects, their personal values withheld (a free-text
    answer, a respondent: :func:`_withheld_in_messages`), which the rejects file keeps.
    Idempotent: the same file twice is recognised by its checksum; a corrected file replaces
    the answers of the respondents it names. A respondent that is an e-mail address is never
    stored as such: it is kept under the id ingest derives from the e-mail and linked to the
    customer with that e-mail when the shop has one (so erasing the e-mail erases the answer).
    ``decimal_comma``: number answers are written as ``1.234,50`` (2.500 is 2500); without
    it such an answer, 2500 or 2.5, is rejected (see ``ingest.numbers.read_number``).
    """
    if on_error not in ("abort", "skip"):
        raise ShopperlensError("on_error must be 'abort' or 'skip'")
    p = Path(path)
    definition = get_survey(store=store, name=survey)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ShopperlensError(f"cannot read {p}: {exc.strerror}") from None
    # like every other import: not UTF-8 text is said so, never read as Latin-1 and its
    # binary junk quoted back as the header
    text = decode_text(raw, p.name, what="a survey tool's CSV export")
    refuse_c1_text(text, p.name)  # (a Windows-1252 export converted as Latin-1)
    checksum = hashlib.sha256(raw).hexdigest()
    kind = f"survey:{survey}"
    if store.scalar(
        "SELECT count(*) FROM imports WHERE kind = ? AND checksum = ?", [kind, checksum]
    ):
        return SurveyImportResult(
            survey=survey,
            file=str(p),
            rows_read=0,
            rows_accepted=0,
            rows_rejected=0,
            already_imported=True,
        )
    rows, rejects = parse_export(
        text,
        definition,
        file=p.name,
        earlier=_earlier(store, definition),
        decimal_comma=decimal_comma,
    )
    rejects = _withheld_in_messages(rejects, definition)
    # the rejects file beside the store is written (or removed), named and the rows stored
    # under its write lock: a concurrent upload cannot remove the file this one reports
    lock: AbstractContextManager[None] = (
        store.write_lock() if rejects_beside_store else nullcontext()
    )
    with lock:
        if rejects_beside_store:
            rejects_file = _write_store_rejects(store, rejects, text, definition)
        else:
            rejects_file = _write_rejects(p, rejects)
        n_read = len(rows) + len({r.line for r in rejects})
        if rejects and on_error == "abort":
            where = f" (all in {rejects_file})" if rejects_file else ""
            n = len(rejects)
            raise ShopperlensError(
                f"{p.name}: {n} problem{'s' if n > 1 else ''}, nothing imported{where}:\n"
                + describe(rejects, n)
            )
        # one stamp for every undated row: stamped one by one, the file's row order became
        # their submission order, and with it which of a customer's answers is kept
        now = utc_now()
        with store.transaction() as con:
            import_id = con.execute(
                "INSERT INTO imports (kind, format, file, checksum, rows_read, rows_accepted,"
                " rows_rejected, imported_at) VALUES (?, 'csv', ?, ?, ?, ?, ?, ?)"
                " RETURNING import_id",
                [kind, str(p), checksum, n_read, len(rows), n_read - len(rows), now],
            ).fetchone()[0]
            keyed, customers = _email_respondents(con, rows)
            # a corrected file replaces its respondents' answers, stored before this import keyed
            # or (older stores) with the e-mail in clear
            names = [keyed.get(r.respondent, r.respondent) for r in rows] + list(keyed)
            if names:
                con.execute(
                    "DELETE FROM survey_answers WHERE response_id IN (SELECT response_id FROM "
                    "survey_responses WHERE survey = ? AND respondent IN (SELECT unnest(?)))",
                    [survey, names],
                )
                con.execute(
                    "DELETE FROM survey_responses WHERE survey = ? "
                    "AND respondent IN (SELECT unnest(?))",
                    [survey, names],
                )
                subs = [
                    Submission(
                        survey=survey,
                        version=definition.version,
                        answers=r.answers,
                        respondent=keyed.get(r.respondent, r.respondent),
                        channel="import",
                        customer_id=r.customer_id or customers.get(r.respondent),
                        import_id=import_id,
                        submitted_at=r.submitted_at or now,
                    )
                    for r in rows
                    if r.answers
                ]
                _insert(con, subs)
        return SurveyImportResult(
            survey=survey,
            file=str(p),
            rows_read=n_read,
            rows_accepted=len(rows),
            rows_rejected=n_read - len(rows),
            rejects_file=rejects_file,
            rejects=[RejectPublic.of(r) for r in rejects[:SHOWN_REJECTS]],
        )


def _earlier(store: Store, current: Survey) -> list[Survey]:
    """The survey's stored versions other than ``current``, whose question texts may head an
    export made before a question was reworded (``parse_export`` matches them too). A version
    that cannot be read names no column."""
    versions = store.df(
        "SELECT version FROM survey_versions WHERE name = ? AND version <> ? ORDER BY version",
        [current.name, current.version],
    )["version"]
    out = []
    for version in versions:
        with suppress(ShopperlensError):
            out.append(get_survey(store=store, name=current.name, version=int(version)))
    return out


def _email_respondents(con: Any, rows: list[Any]) -> tuple[dict[str, str], dict[str, str]]:
    """For respondents that are e-mail addresses: the key each is stored under instead
    (:func:`~shopperlens.service.privacy.email_key`, the customer id ingest would derive from
    it: erasing the e-mail finds it) and the customer with that e-mail, when exactly one
    customer has it (two customers on one address — a family inbox — could each have answered:
    the answers stay under the e-mail's key, as orders and tickets do)."""
    from shopperlens.service.privacy import email_key

    emails = sorted({r.respondent for r in rows if r.is_email})
    if not emails:
        return {}, {}
    found = con.execute(
        f"SELECT {email_sql('email')}, any_value(customer_id) FROM customers "
        f"WHERE {email_sql('email')} IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1 "
        "HAVING count(*) = 1",
        [emails],
    ).fetchall()
    return {e: email_key(e) for e in emails}, dict(found)


#: what a reject shows for a respondent that is an e-mail address (``parse_export``): no
#: personal value, and it says why the row was refused (the address repeats)
_EMAIL_SHOWN = "(an e-mail address)"


class _PersonalReject(Reject):
    """A reject whose value messages leave out (``(value in the rejects file)``) though its
    column is not one ingest knows as personal: a survey's free-text answer (a name, a phone
    number, an address) or its respondent. The rejects file keeps the value, as the other
    imports' files keep theirs, so the shop can correct the row."""

    @property
    def withheld(self) -> bool:
        """Any value but an empty one (an empty one shows nothing, and says it was empty)."""
        return bool(self.value) or super().withheld


def _withheld_in_messages(rejects: list[Reject], survey: Survey) -> list[Reject]:
    """``rejects`` with the values of free-text questions and of the respondent column
    withheld from what messages show (:class:`_PersonalReject`): ``Reject.withheld`` knows
    only ingest's column names, so an upload's answer quoted a rejected free-text answer in
    full."""
    personal = {q.id for q in survey.questions if q.kind == "text"} | {"respondent"}
    return [
        _PersonalReject(r.file, r.line, r.column, r.value, r.reason)
        if r.column in personal and r.value != _EMAIL_SHOWN
        else r
        for r in rejects
    ]


def survey_rejects_path(store: Store) -> Path | None:
    """``<db stem>.survey-rejects.csv`` beside the store's file (None in memory): survey
    uploads' own rejects file. Sharing ``<db stem>.rejects.csv`` with ``/api/imports``, a clean
    survey upload removed the only list of an orders import's skipped rows."""
    if store.path == ":memory:":
        return None
    db = Path(store.path)
    return db.with_name(f"{db.stem}.survey-rejects.csv")


#: the survey rejects file's columns: a reject's, then whose row it was (the survey, and the
#: row's respondent and customer id as the upload gave them, an e-mail respondent as the key
#: the import stores it under, never the address): a rejected free-text answer names nobody
#: by its column, so erasure finds the rows by these
SURVEY_REJECT_COLUMNS: tuple[str, ...] = (*REJECT_COLUMNS, "survey", "respondent", "customer_id")


def _write_store_rejects(
    store: Store, rejects: list[Reject], text: str, survey: Survey
) -> str | None:
    """The rejects in the survey rejects file beside the store (:func:`survey_rejects_path`,
    which erasure scrubs), under the store's write lock (the caller holds it until it has
    answered, so a concurrent upload cannot remove the file this one names); a read that
    rejects nothing removes it, so it always lists the last survey upload's rejects. None when
    nothing is written (no rejects, an in-memory store, a file that cannot be written).

    Each row also says whose it is (:data:`SURVEY_REJECT_COLUMNS`, read again from the
    upload's ``text``): without them a rejected answer holding a name or a phone number
    could not be told to be the person's, and ``erase`` left it in the file."""
    out = survey_rejects_path(store)
    if out is None:
        return None
    with store.write_lock(), suppress(OSError):
        if rejects:
            people = _rejected_people(text, survey, {r.line for r in rejects})
            with out.open("w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(SURVEY_REJECT_COLUMNS)
                for r in rejects:
                    respondent, customer_id = people.get(r.line, ("", ""))
                    value = "" if r.value is None else r.value
                    cells = (r.file, r.line, r.column, value, r.reason)
                    cells += (survey.name, respondent, customer_id)
                    w.writerow([spreadsheet_cell(c) for c in cells])  # (as write_rejects)
            return str(out)
        out.unlink(missing_ok=True)
    return None


def _rejected_people(text: str, survey: Survey, lines: set[int]) -> dict[int, tuple[str, str]]:
    """For each of ``lines`` of an export: its respondent and customer id, "" when the row
    has none; a respondent that is an e-mail address as the key the import stores it under
    (:func:`~shopperlens.service.privacy.email_key`: rejects show no address, and erasing
    the e-mail finds the key). Rows are numbered and headers named as
    :func:`~shopperlens.surveys.responses.parse_export` numbers and names them (which has
    already refused a file whose headers it cannot read)."""
    from shopperlens.service.privacy import email_key

    reader = csv.DictReader(csv_stream(text), delimiter=delimiter(text))
    reader.fieldnames = [_export_column(h, survey) for h in reader.fieldnames or []]
    people: dict[int, tuple[str, str]] = {}
    for idx, row in enumerate(reader):
        if idx + 2 not in lines:
            continue
        meta = {c: str(row.get(c) or "").strip() for c in META_COLUMNS}
        respondent = meta["respondent"]
        if is_email(respondent):
            respondent = email_key(respondent)
        people[idx + 2] = (respondent, meta["customer_id"])
    return people


def _write_rejects(path: Path, rejects: list[Reject]) -> str | None:
    if not rejects:
        return None
    try:
        return str(write_rejects(rejects, path.with_name(path.name + ".rejects.csv")))
    except OSError:
        return None


# -- the demo -------------------------------------------------------------------------------
def demo_step(*, store: Store, demo: Any = None, data_dir: Path | None = None) -> None:
    """The demo's survey data: the answers (if the demo did not import them yet), the
    interview notes, and GA4/competitor audience exports generated from the demo customers."""
    import tempfile

    from shopperlens.service import audience, interviews

    ensure_builtin(store=store)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(data_dir) if data_dir is not None else Path(tmp)
        answers = folder / "survey_demo-profile.csv"
        if not answers.exists() and demo is not None:
            demo.survey_answers.to_csv(answers, index=False)
        if answers.exists():
            import_survey_csv(store=store, survey="demo-profile", path=answers, on_error="skip")
        notes = folder / "interviews"
        if not notes.exists() and demo is not None and demo.interview_notes:
            notes.mkdir()
            for name, text in demo.interview_notes.items():
                (notes / f"{name}.md").write_text(text, encoding="utf-8")
        if notes.is_dir() and interviews.notes_in_folder(notes):  # (an empty folder: no notes)
            interviews.import_notes(store=store, paths=[notes])
        for f in audience.write_demo_exports(store=store, directory=folder / "analytics"):
            source = "competitor" if f.name.startswith("competitor") else "ga4"
            name = f.stem.removeprefix("competitor_") if source == "competitor" else None
            audience.import_analytics(store=store, path=f, source=source, name=name)
