"""One person, one voice, one e-mail: results with tied order values, a customer who answered
twice (e-mail link and pop-up), addresses shared by two customer ids, pop-up answers of linked
visitors in reminders and interview recruitment, closed surveys, definitions that do not say
what they mean, honest invitation wording, impossible competitor shares, and SMTP connections
that break half-way (all over real SMTP: aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import email
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.service import audience, interviews, survey_results, surveys
from shopperlens.service import survey_delivery as dlv
from shopperlens.surveys import crosscheck, links
from shopperlens.surveys.definition import Question, Survey, demo_profile, survey_from_dict
from shopperlens.web.app import create_app

DEMO = "demo-profile"


def _customer(store, cid: str, email_: str | None = None, *, order: float | None = None):  # type: ignore[no-untyped-def]
    """A consenting customer, optionally with one order of ``order``."""
    store.execute(
        "INSERT INTO customers (customer_id, email, name, country, accepts_marketing) "
        "VALUES (?, ?, ?, 'NL', true)",
        [cid, email_ or f"{cid}@example.com", f"Name{cid} Test"],
    )
    if order is not None:
        store.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES (?, ?, '2025-01-01')",
            [f"o-{cid}", cid],
        )
        store.execute(
            "INSERT INTO order_lines VALUES (?, 1, 'p1', 'Boot', 'boots', 1, ?, NULL)",
            [f"o-{cid}", order],
        )


def _link_visitors(store, **visitors: str) -> None:  # type: ignore[no-untyped-def]
    """Link visitor ids to customers, as an import of events does."""
    for visitor, customer in visitors.items():
        store.execute(
            "INSERT INTO identities (visitor_id, customer_id) VALUES (?, ?)", [visitor, customer]
        )


def _link(store, survey: str, customer: str, secret: str = "k3y") -> str:  # type: ignore[no-untyped-def]
    """A signed link of a new invitation of ``customer`` (as an e-mail would carry it)."""
    inv = dlv.invite(store=store, survey=survey, customer_ids=[customer])[0]
    return links.sign(inv, survey, secret)


def _app(shop, **settings):  # type: ignore[no-untyped-def]
    return TestClient(create_app(Settings(token="t", secret_key="k3y", **settings), shop=shop))


def _import(store, tmp_path: Path, rows: list[str], name: str = "answers.csv") -> None:
    f = tmp_path / name
    f.write_text("respondent,customer_id,novelty,values\n" + "\n".join(rows) + "\n")
    surveys.import_survey_csv(store=store, survey=DEMO, path=f)


# -- 1. order value quartiles when many customers spend the same --------------------------------
def test_results_of_a_one_price_shop_compare_order_value_without_quartiles(store, tmp_path):
    """Eight customers who all spend EUR 20: the quartile edges tie, and four labels for one
    group crashed the whole results (and the report)."""
    surveys.ensure_builtin(store=store)
    for i in range(8):
        _customer(store, f"k{i}", order=20)
    _import(store, tmp_path, [f"r{i},k{i},{1 + i % 5},price" for i in range(5)])

    res = survey_results.survey_results(store=store, survey=DEMO)

    value = [r for r in res.representativeness if r["dimension"].startswith("order value")]
    assert [(r["dimension"], r["value"], r["base"]) for r in value] == [
        ("order value", "EUR 20", 1.0)
    ]
    assert any("every buying customer has the same average order value" in n for n in res.notes)
    _customer(store, "k9", order=35)  # two groups now, not one "EUR 20–35"
    res = survey_results.survey_results(store=store, survey=DEMO)
    value = [r["value"] for r in res.representativeness if r["dimension"] == "order value"]
    assert sorted(value) == ["EUR 20", "EUR 35"]
    assert any("compared in 2 groups named by their values" in n for n in res.notes)


def test_order_value_groups_name_what_they_hold():
    tied = pd.Series([20.0] * 6 + [22.0, 25.0])
    groups, dimension = survey_results.order_value_groups(tied, "EUR")
    assert dimension == "order value"
    assert groups.tolist() == ["EUR 20"] * 6 + ["EUR 22–25"] * 2
    spread = pd.Series([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0])
    groups, dimension = survey_results.order_value_groups(spread, "EUR")
    assert dimension == "order value quartile"
    assert groups.tolist() == ["low", "low", "mid-low", "mid-low", "mid-high", "mid-high"] + [
        "high",
        "high",
    ]
    # customers with one value share a quartile (that of their average rank)
    ties = pd.Series([1.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0, 6.0])
    groups, _ = survey_results.order_value_groups(ties, "EUR")
    assert groups.tolist() == ["low", "low"] + ["mid-low"] * 3 + ["mid-high", "high", "high"]
    cents, _ = survey_results.order_value_groups(pd.Series([19.5] * 3 + [30.0]), "EUR")
    assert cents.tolist() == ["EUR 19.50"] * 3 + ["EUR 30.00"]


# -- 2. a customer who answered twice counts once -----------------------------------------------
def test_a_customer_answering_by_link_and_popup_counts_once(shop, tmp_path):
    """C1 answers by e-mail link and, as visitor v1 not yet linked, by pop-up; the events then
    link v1 to C1. C1 was two respondents in results (and twice among persona members)."""
    store = shop.store
    surveys.ensure_builtin(store=store)
    _customer(store, "c1", order=50)
    _customer(store, "c2", order=60)
    surveys.submit_response(
        store=store,
        survey=DEMO,
        answers={"novelty": 4, "values": ["price"]},
        token=_link(store, DEMO, "c1"),
        secret_key="k3y",
    )
    surveys.submit_response(
        store=store, survey=DEMO, answers={"novelty": 1}, visitor_id="v1", channel="popup"
    )
    surveys.submit_response(
        store=store, survey=DEMO, answers={"novelty": 3}, visitor_id="anon", channel="popup"
    )
    _link_visitors(store, v1="c1")  # an import of events links v1 later

    frame = surveys.responses_frame(store=store, survey=DEMO)
    res = shop.survey_results(DEMO)

    assert frame["customer_id"].tolist() == ["c1", None]
    assert frame["novelty"].tolist() == [4.0, 3.0]  # the fuller (link) answer is kept
    assert (res.respondents, res.customers, res.duplicates) == (2, 1, 1)
    assert res.channels == {"email": 1, "popup": 1}
    assert any("1 response was left out" in n for n in res.notes)


def test_the_fuller_answer_is_kept_even_when_it_came_second(store):
    surveys.ensure_builtin(store=store)
    _customer(store, "c1")
    _link_visitors(store, v1="c1")
    surveys.submit_response(
        store=store, survey=DEMO, answers={"novelty": 1}, visitor_id="v1", channel="popup"
    )
    surveys.submit_response(
        store=store,
        survey=DEMO,
        answers={"novelty": 5, "values": ["quality"]},
        token=_link(store, DEMO, "c1"),
        secret_key="k3y",
    )
    frame = surveys.responses_frame(store=store, survey=DEMO)
    assert len(frame) == 1 and frame["novelty"].iloc[0] == 5.0


def test_a_popup_from_a_visitor_linked_to_a_customer_who_answered_is_refused(shop, tmp_path):
    store = shop.store
    surveys.ensure_builtin(store=store)
    _customer(store, "c1")
    _customer(store, "c2")
    _link_visitors(store, v1="c1", v2="c2", v2b="c2")
    surveys.submit_response(
        store=store,
        survey=DEMO,
        answers={"novelty": 4},
        token=_link(store, DEMO, "c1"),
        secret_key="k3y",
    )
    _import(store, tmp_path, ["r-c2,c2,3,price"])  # c2 answered in an imported export
    with _app(shop) as c:
        for visitor in ("v1", "v2"):
            body = {"answers": {"novelty": 2}, "visitor_id": visitor, "channel": "popup"}
            res = c.post(f"/s/{DEMO}/responses", json=body)
            assert res.status_code == 409 and "already answered" in res.json()["detail"]
        anon = {"answers": {"novelty": 2}, "visitor_id": "v9", "channel": "popup"}
        assert c.post(f"/s/{DEMO}/responses", json=anon).status_code == 201
    # two browsers of one customer in one group commit: the second is refused
    subs = [
        surveys.prepare_submission(
            store=store, survey=DEMO, answers={"novelty": 1}, visitor_id=v, channel="popup"
        )
        for v in ("v3", "v3b")
    ]
    _customer(store, "c3")
    _link_visitors(store, v3="c3", v3b="c3")
    first, second = surveys.record_submissions(store=store, items=subs)
    assert isinstance(first, str) and isinstance(second, surveys.RepeatedVisitorError)
    assert store.count("survey_responses") == 4


# -- 3. an address is one recipient -------------------------------------------------------------
def test_two_customer_ids_of_one_address_get_one_invitation_and_one_reminder(store, smtp):
    server, settings = smtp
    surveys.ensure_builtin(store=store)
    _customer(store, "c1", "family@example.com")
    _customer(store, "c1b", " Family@Example.com")  # the same inbox, written otherwise
    _customer(store, "c2")

    rep = dlv.send_invitations(store=store, settings=settings, survey=DEMO)

    assert (rep.sent, rep.same_address) == (2, 1)
    assert sorted(server.to) == ["c2@example.com", "family@example.com"]
    again = dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    assert (again.sent, again.fatigued) == (0, 3) and len(server.messages) == 2
    later = datetime.now() + timedelta(days=8)
    r = dlv.send_reminders(store=store, settings=settings, survey=DEMO, max_reminders=2, now=later)
    assert r.reminded == 2 and len(server.messages) == 4
    assert sorted(server.to[2:]) == ["c2@example.com", "family@example.com"]


def test_invitations_stored_for_both_ids_of_an_address_go_out_once(store, smtp):
    """Invitations written for both ids (before addresses were one recipient, or by ``invite``
    directly) are delivered to the address once, and reminded once."""
    server, settings = smtp
    surveys.ensure_builtin(store=store)
    _customer(store, "c1", "family@example.com")
    _customer(store, "c1b", "family@example.com")
    dlv.invite(store=store, survey=DEMO, customer_ids=["c1", "c1b"])

    assert dlv.deliver_pending(store=store, settings=settings, survey=DEMO) == (1, 0)
    assert server.to == ["family@example.com"]
    status = store.df("SELECT status FROM survey_invitations ORDER BY status")["status"]
    assert status.tolist() == ["sent", "skipped"]
    # older stores hold both as sent (c1b's e-mail the latest): the address is one invitee
    now = datetime.now()
    store.execute("UPDATE survey_invitations SET status = 'sent'")
    for cid, days in (("c1", 10), ("c1b", 2)):
        store.execute(
            "UPDATE survey_invitations SET last_sent_at = ? WHERE customer_id = ?",
            [now - timedelta(days=days), cid],
        )
    # the gap counts from the address's last e-mail, whichever id it went to
    assert dlv.send_reminders(store=store, settings=settings, survey=DEMO, now=now).reminded == 0
    later = now + timedelta(days=8)
    r = dlv.send_reminders(store=store, settings=settings, survey=DEMO, max_reminders=3, now=later)
    assert r.reminded == 1 and len(server.messages) == 2


def test_interview_invitations_go_to_an_address_once(store, smtp):
    server, settings = smtp
    _customer(store, "c1", "family@example.com")
    _customer(store, "c1b", "family@example.com")
    rep = interviews.invite_interviewees(
        store=store, settings=settings, customer_ids=["c1", "c1b"], shop_name="Boot Corner"
    )
    assert (rep.sent, rep.same_address) == (1, 1)
    again = interviews.invite_interviewees(store=store, settings=settings, customer_ids=["c1b"])
    assert (again.sent, again.fatigued) == (0, 1)
    assert server.to == ["family@example.com"]


# -- 4. a linked pop-up answer is the customer's everywhere -------------------------------------
def test_no_reminder_for_an_answer_by_popup_or_import(store, smtp, tmp_path):
    server, settings = smtp
    surveys.ensure_builtin(store=store)
    for cid in ("c1", "c2", "c3"):
        _customer(store, cid)
    assert dlv.send_invitations(store=store, settings=settings, survey=DEMO).sent == 3
    _link_visitors(store, v1="c1")
    surveys.submit_response(
        store=store, survey=DEMO, answers={"novelty": 2}, visitor_id="v1", channel="popup"
    )
    _import(store, tmp_path, ["r-c2,c2,3,price"])

    later = datetime.now() + timedelta(days=8)
    r = dlv.send_reminders(store=store, settings=settings, survey=DEMO, now=later)

    assert r.reminded == 1 and server.to[3:] == ["c3@example.com"]


def test_a_low_popup_rating_of_a_linked_visitor_is_the_customers(store):
    questions = [Question(id="nps", kind="scale", text="Recommend us?", min=0, max=10)]
    questions += [Question(id="why", kind="text", text="Why?", group="mindset")]
    surveys.save_survey(store=store, survey=Survey(name="nps", title="NPS", questions=questions))
    _customer(store, "c1")
    _customer(store, "c2")
    _link_visitors(store, v1="c1", v2="c2")
    for visitor, value in (("v1", 2), ("v2", 9)):
        surveys.submit_response(
            store=store, survey="nps", answers={"nps": value}, visitor_id=visitor, channel="popup"
        )
    assert interviews.low_ratings(store=store).to_dict() == {"c1": 1.0}


# -- 5. a closed survey is not offered ----------------------------------------------------------
def test_a_survey_closed_by_its_quota_is_neither_shown_nor_served(shop):
    closed = demo_profile().model_copy(update={"name": "closed", "quotas": {"total": 0}})
    popup_full = demo_profile().model_copy(update={"name": "bar-only", "quotas": {"popup": 0}})
    for survey in (closed, popup_full):
        surveys.save_survey(store=shop.store, survey=survey)
    with _app(shop) as c:
        show = lambda name, **q: c.get(f"/s/{name}/eligible", params={"visitor_id": "v", **q})  # noqa: E731
        assert show("closed").json() == {"show": False}
        assert show("closed", channel="link").json() == {"show": False}
        page = c.get("/s/closed")
        assert page.status_code == 410 and "closed" in page.text and "<form" not in page.text
        # only the pop-up is full: the welcome bar (which leads to the form) still shows
        assert show("bar-only").json() == {"show": False}
        assert show("bar-only", channel="link").json() == {"show": True}
        assert c.get("/s/bar-only").status_code == 200
    assert surveys.closed_quota(store=shop.store, survey="closed", channel="link") == "total"


# -- 6. definitions say what they mean ----------------------------------------------------------
_Q = [{"id": "q", "kind": "single", "text": "x", "choices": ["a", "b"]}]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"quotas": {"totl": 5}}, "unknown quota 'totl'"),
        ({"quotas": {"popup": -3}}, "quota 'popup' must be a whole number of 0 or more"),
        ({"quotas": {"total": 2.5}}, "quota 'total' must be a whole number"),
        ({"quotas": [1, 2]}, "quotas must be a mapping"),
        ({"from_bank": 5}, "from_bank must be a list of question ids"),
        ({"questions": {"id": "q"}}, "questions must be a list of questions"),
        ({"questions": [42]}, r"questions\[0\] must be a mapping"),
    ],
)
def test_definitions_that_do_not_say_what_they_mean_are_refused(changes, reason):
    with pytest.raises(ShopperlensError, match=reason):
        survey_from_dict({"name": "s", "title": "t", "questions": _Q, **changes})


def test_a_single_bank_id_is_one_question(shop):
    survey = survey_from_dict({"name": "s", "title": "t", "from_bank": "income"})
    assert survey.ids == ["income"]
    assert shop.survey_create(from_bank="income", name="s").questions == 1
    ok = survey_from_dict({"name": "s", "title": "t", "questions": _Q, "quotas": {"email": 0}})
    assert ok.quotas == {"email": 0}


# -- 7. the invitation says only what is true ---------------------------------------------------
def _body(msg: email.message.Message) -> str:
    return " ".join(msg.get_payload(decode=True).decode().split())


def test_invitation_calls_questions_optional_only_when_they_are(store, smtp):
    server, settings = smtp
    required = [Question(id="must", kind="text", text="Tell us", required=True)]
    optional = [Question(id=f"q{i}", kind="single", text="?", choices=["a", "b"]) for i in (1, 2)]
    surveys.save_survey(store=store, survey=Survey(name="strict", title="t", questions=required))
    surveys.save_survey(store=store, survey=Survey(name="easy", title="t", questions=optional))
    _customer(store, "c1")
    later = datetime.now() + timedelta(days=400)
    dlv.send_invitations(store=store, settings=settings, survey="strict")
    dlv.send_invitations(store=store, settings=settings, survey="easy", now=later)
    strict, easy = server.messages
    assert "optional" not in _body(strict) and "every question is optional" in _body(easy)
    assert "about 1 minute and" in _body(strict) and "about 1 minute," in _body(easy)
    assert "1 minute of your time" in easy["Subject"]
    assert demo_profile().minutes() > 3  # 17 questions, two in free text: not "3 minutes"


# -- 8. a share is between 0 and 100 % ----------------------------------------------------------
@pytest.mark.parametrize("share", ["150 %", "150", "-5", "-0.2", "nan"])
def test_a_competitor_share_outside_0_to_100_percent_is_refused(share):
    with pytest.raises(ShopperlensError, match="is not between 0 and 100 %"):
        crosscheck.read_competitor(f"dimension,value,share\ngender,female,{share}\n", file="r.csv")
    ok = crosscheck.read_competitor("dimension,value,share\ngender,female,100 %\n", file="r.csv")
    assert ok["share"].tolist() == [1.0]


def test_a_stored_impossible_share_is_left_out_of_the_check_with_a_note(store):
    surveys.ensure_builtin(store=store)
    surveys.submit_response(store=store, survey=DEMO, answers={"gender": "male"})
    store.execute(
        "INSERT INTO analytics_audience (source, dimension, value, users, share, file, "
        "imported_at) VALUES ('competitor:rival', 'gender', 'female', NULL, 1.5, 'r.csv', now())"
    )
    found = audience.analytics_check(store=store, survey=DEMO)
    assert [(f.kind, f.dimension) for f in found] == [("note", "gender")]
    assert "150" not in found[0].message and "not between 0 and 100 %" in found[0].message


# -- 9. a connection that broke half-way is not a refusal ---------------------------------------
def test_a_broken_connection_is_unconfirmed_not_failed(store, smtp):
    server, settings = smtp
    surveys.ensure_builtin(store=store)
    _customer(store, "c1")
    _customer(store, "c2")
    server.break_at = 1

    rep = dlv.send_invitations(store=store, settings=settings, survey=DEMO)

    # c2 goes on a new connection; c1 is never sent again
    assert (rep.sent, rep.failed, rep.unconfirmed, rep.deferred) == (1, 0, 1, 0)
    status = dict(store.execute("SELECT customer_id, status FROM survey_invitations").fetchall())
    assert sorted(status.values()) == ["sending", "sent"]
    rep = dlv.send_invitations(store=store, settings=settings, survey=DEMO)
    assert (rep.sent, rep.unconfirmed) == (0, 0) and len(server.messages) == 1
    # a reminder cut off half-way may have gone out too: counted once, never repeated
    store.execute("UPDATE survey_invitations SET status = 'sent', last_sent_at = now()")
    server.break_at, server.seen = 1, 0
    later = datetime.now() + timedelta(days=8)
    r = dlv.send_reminders(store=store, settings=settings, survey=DEMO, now=later)
    assert (r.reminded, r.failed, r.unconfirmed, r.deferred) == (1, 0, 1, 0)
    r = dlv.send_reminders(store=store, settings=settings, survey=DEMO, now=later)
    assert (r.reminded, r.unconfirmed) == (0, 0) and len(server.messages) == 2
