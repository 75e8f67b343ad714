"""Review findings on surveys: erasure through linked visitors, pop-up answers of known
customers, 0–10 scales, survey versions, one answer per visitor, eligibility of linked
customers, temporary SMTP refusals, honest e-mail texts, malformed public bodies, blank
answers, ordinary text with < and >, and personal data in free-text theme examples."""

from __future__ import annotations

import email
import re
from datetime import datetime, timedelta

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.service import survey_delivery as dlv
from shopperlens.service import surveys
from shopperlens.surveys.definition import (
    AnswerError,
    Question,
    Survey,
    demo_profile,
    survey_from_dict,
    validate_answers,
)
from shopperlens.web.app import create_app

DEMO = "demo-profile"


def _app(shop, **settings):  # type: ignore[no-untyped-def]
    return TestClient(create_app(Settings(token="t", secret_key="k", **settings), shop=shop))


def _customer(store, cid: str, visitor: str | None = None, *, order: float | None = None):  # type: ignore[no-untyped-def]
    """A consenting customer, optionally with a linked visitor id and one order."""
    store.execute(
        "INSERT INTO customers (customer_id, email, name, country, accepts_marketing) "
        "VALUES (?, ?, ?, 'NL', true)",
        [cid, f"{cid}@example.com", f"Name{cid} Test"],
    )
    if visitor:
        store.execute(
            "INSERT INTO identities (visitor_id, customer_id) VALUES (?, ?)", [visitor, cid]
        )
    if order is not None:
        store.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES (?, ?, '2025-01-01')",
            [f"o-{cid}", cid],
        )
        store.execute(
            "INSERT INTO order_lines VALUES (?, 1, 'p1', 'Tent', 'camping', 1, ?, NULL)",
            [f"o-{cid}", order],
        )


def _popup(store, visitor: str, answers: dict, survey: str = DEMO) -> str:  # type: ignore[type-arg]
    return surveys.submit_response(
        store=store, survey=survey, answers=answers, visitor_id=visitor, channel="popup"
    )


def _rows_holding(store, marker: str) -> dict[str, int]:
    """Rows of every table that hold ``marker`` in any column."""
    found = {}
    for table in store.tables():
        frame = store.df(f'SELECT * FROM "{table}"')
        hits = frame.astype(str).apply(lambda col: col.str.contains(marker, regex=False))
        if len(frame) and int(hits.any(axis=1).sum()):
            found[table] = int(hits.any(axis=1).sum())
    return found


# -- 1. erasure follows keys transitively ---------------------------------------------------
def _persona_quote(store, run_id: int, respondent: str, text: str) -> None:
    store.execute(
        "INSERT INTO persona_runs (run_id, created_at, survey, source, n_respondents, "
        "n_personas, k_requested, seed, min_group_size, income_adjustment) "
        "SELECT ?, now(), ?, 'survey', 2, 1, 'auto', 0, 1, 0.9 "
        "WHERE NOT EXISTS (SELECT 1 FROM persona_runs WHERE run_id = ?)",
        [run_id, DEMO, run_id],
    )
    store.execute(
        "INSERT INTO persona_quotes VALUES (?, 1, 1, 'survey', ?, ?, NULL)",
        [run_id, text, respondent],
    )
    store.execute("INSERT INTO persona_members VALUES (?, ?, NULL, 1, 0.1)", [run_id, respondent])


def test_erase_removes_popup_answers_found_through_a_linked_visitor(shop):
    store = shop.store
    surveys.ensure_builtin(store=store)
    _customer(store, "c1", "v1")
    _customer(store, "c2", "v2")
    _popup(store, "v1", {"why_buy": "secret-of-ann because tents", "novelty": 2})
    _popup(store, "v2", {"why_buy": "words-of-bob because tents", "novelty": 4})
    _persona_quote(store, 1, "v:v1", "secret-of-ann because tents")
    _persona_quote(store, 1, "v:v2", "words-of-bob because tents")
    # the same respondent id in another survey is somebody else: not erased
    store.execute(
        "INSERT INTO persona_runs (run_id, created_at, survey, source, n_respondents, "
        "n_personas, k_requested, seed, min_group_size, income_adjustment) "
        "VALUES (2, now(), 'other', 'survey', 1, 1, 'auto', 0, 1, 0.9)"
    )
    store.execute("INSERT INTO persona_members VALUES (2, 'v:v1', NULL, 1, 0.1)")

    report = shop.erase_customer("c1")

    assert _rows_holding(store, "secret-of-ann") == {}
    assert report.rows_deleted["survey_answers"] == 2
    assert report.rows_deleted["persona_quotes"] == 1
    assert store.scalar("SELECT count(*) FROM persona_members WHERE run_id = 1") == 1
    assert store.scalar("SELECT count(*) FROM persona_members WHERE run_id = 2") == 1
    # the other customer's answers are all still there
    assert set(_rows_holding(store, "words-of-bob")) == {"survey_answers", "persona_quotes"}
    assert store.count("survey_responses") == 1


# -- 2. pop-up answers of a visitor linked to a customer ------------------------------------
def test_popup_answers_of_a_linked_visitor_are_the_customers(shop):
    store = shop.store
    surveys.ensure_builtin(store=store)
    _customer(store, "c1", "v1", order=100)
    _customer(store, "c2", order=50)
    _popup(store, "v1", {"values": ["price"]})
    _popup(store, "anon", {"values": ["brand"]})

    res = shop.survey_results(DEMO)

    assert (res.respondents, res.customers) == (2, 1)
    rows = {r["group"]: r for r in res.crosstabs["values"]}
    prospects = rows.pop("not a customer")
    assert prospects["n"] == 1 and prospects["brand"] == 1.0
    [(kind, mine)] = rows.items()  # c1's customer type (the demo rules call c1 "new")
    assert mine["n"] == 1 and mine["price"] == 1.0, kind
    country = [r for r in res.representativeness if r["dimension"] == "country"]
    assert country and country[0]["respondents"] == 1.0
    frame = shop.survey_responses(DEMO)
    assert sorted(frame["customer_id"], key=str) == [None, "c1"]


# -- 3. scales from 0 and whole-number bounds ------------------------------------------------
def _nps_survey() -> Survey:
    return Survey(
        name="nps",
        title="NPS",
        questions=[
            Question(id="recommend", kind="scale", text="Recommend us?", min=0, max=10),
            Question(id="why", kind="text", text="Why?"),
        ],
    )


def test_zero_answers_of_a_0_to_10_scale_are_counted(store):
    surveys.save_survey(store=store, survey=_nps_survey())
    planted = [0, 0, 0, 5, 10, 10]
    for score in planted:
        surveys.submit_response(store=store, survey="nps", answers={"recommend": score})
    from shopperlens.service.survey_results import survey_results

    dist = pd.DataFrame(survey_results(store=store, survey="nps").distributions)
    counts = dict(zip(dist["value"], dist["count"], strict=True))
    assert list(counts) == [str(v) for v in range(11)]
    assert (counts["0"], counts["5"], counts["10"]) == (3, 1, 2)
    assert dist["share"].sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("low", "high", "reason"),
    [(1.5, 4.5, "whole numbers"), (0, 4.5, "whole numbers"), (0, float("inf"), "finite")],
)
def test_scale_bounds_must_be_whole_finite_numbers(client, low, high, reason):
    spec = {
        "name": "bad",
        "title": "Bad",
        "questions": [{"id": "q", "kind": "scale", "text": "?", "min": low, "max": high}],
    }
    with pytest.raises(ShopperlensError, match=reason):
        survey_from_dict(spec)
    if high != float("inf"):  # JSON has no infinity
        res = client.post("/api/surveys", json={"definition": spec})
        assert res.status_code == 400 and reason in res.json()["detail"]


# -- 4. answers keep the version they answered ----------------------------------------------
def test_results_leave_out_answers_to_a_question_that_changed(store):
    v1 = Survey(
        name="ver",
        title="Versions",
        questions=[
            Question(id="colour", kind="single", text="Colour?", choices=["red", "blue"]),
            Question(id="mood", kind="text", text="Mood?"),
            Question(id="score", kind="scale", text="Score?"),
        ],
    )
    surveys.save_survey(store=store, survey=v1)
    for _ in range(3):
        surveys.submit_response(
            store=store, survey="ver", answers={"colour": "red", "mood": "fine", "score": 4}
        )
    v2 = v1.model_copy(
        update={
            "questions": [
                Question(id="colour", kind="single", text="Colour?", choices=["green", "gold"]),
                Question(id="mood", kind="scale", text="Mood 1-5?"),
                Question(id="score", kind="scale", text="Score, reworded?"),
            ]
        }
    )
    assert surveys.save_survey(store=store, survey=v2).version == 2
    for _ in range(2):
        surveys.submit_response(
            store=store, survey="ver", answers={"colour": "gold", "mood": 2, "score": 2}
        )
    from shopperlens.service.survey_results import survey_results

    res = survey_results(store=store, survey="ver")
    dist = pd.DataFrame(res.distributions).set_index(["question", "value"])
    assert dist.loc[("colour", "gold"), "count"] == 2
    assert dist.loc[("colour", "gold"), "answered"] == 2  # old "red" answers not in the base
    assert dist.loc[("mood", "2"), "answered"] == 2  # old text answers are not scale answers
    assert dist.loc[("score", "4"), "count"] == 3  # a reworded question keeps its answers
    assert dist.loc[("score", "4"), "answered"] == 5
    assert {c for r in res.crosstabs["colour"] for c in r} == {"group", "n", "gold"}
    assert res.other_version_answers == {"colour": 3, "mood": 3}
    assert any("older version" in n and "colour 3" in n for n in res.notes)
    frame = surveys.responses_frame(store=store, survey="ver")
    assert "nan" not in set(frame["colour"].astype(str)) and frame["mood"].notna().sum() == 2


# -- 5. one answer per visitor ---------------------------------------------------------------
def test_the_same_visitor_answers_a_survey_once(shop):
    surveys.ensure_builtin(store=shop.store)
    with _app(shop) as c:
        body = {"answers": {"novelty": 3}, "visitor_id": "v7", "channel": "popup"}
        assert c.post(f"/s/{DEMO}/responses", json=body).status_code == 201
        again = c.post(f"/s/{DEMO}/responses", json=body)
        assert again.status_code == 409 and "already answered" in again.json()["detail"]
        other = {**body, "visitor_id": "v8"}
        assert c.post(f"/s/{DEMO}/responses", json=other).status_code == 201
    # two of the same visitor in one group commit: the second is refused too
    subs = [
        surveys.prepare_submission(
            store=shop.store, survey=DEMO, answers={"novelty": 1}, visitor_id="v9"
        )
        for _ in range(2)
    ]
    first, second = surveys.record_submissions(store=shop.store, items=subs)
    assert isinstance(first, str) and isinstance(second, surveys.RepeatedVisitorError)
    assert shop.survey_results(DEMO).respondents == 3


# -- 6. eligibility knows the visitor's customer ---------------------------------------------
def test_eligible_counts_answers_of_the_linked_customer(shop):
    store = shop.store
    surveys.ensure_builtin(store=store)
    surveys.save_survey(store=store, survey=demo_profile().model_copy(update={"name": "b"}))
    _customer(store, "c1", "v1")
    store.execute("INSERT INTO identities (visitor_id, customer_id) VALUES ('v1-phone', 'c1')")
    inv = dlv.invite(store=store, survey=DEMO, customer_ids=["c1"])[0]
    from shopperlens.surveys import links

    surveys.submit_response(
        store=store,
        survey=DEMO,
        answers={"novelty": 5},
        token=links.sign(inv, DEMO, "k"),
        secret_key="k",
    )
    _popup(store, "v1-phone", {"novelty": 2}, survey="b")

    def why() -> str:  # the reason stays on the server: the public answer is yes or no
        return surveys.popup_eligibility(
            store=store, survey=DEMO, visitor_id="v1", types=None, fatigue_days=30
        )[1]

    with _app(shop, survey_fatigue_days=30) as c:
        got = c.get(f"/s/{DEMO}/eligible", params={"visitor_id": "v1"}).json()
        assert got == {"show": False} and why() == "already answered"
        store.execute("DELETE FROM survey_responses WHERE survey = ?", [DEMO])
        got = c.get(f"/s/{DEMO}/eligible", params={"visitor_id": "v1"}).json()
        assert got == {"show": False} and why() == "answered a survey in the last 30 days"
        assert c.get(f"/s/{DEMO}/eligible", params={"visitor_id": "v2"}).json()["show"] is True
        missing = c.get("/s/no-such-survey/eligible", params={"visitor_id": "v1"})
        assert missing.status_code == 404


# -- 7. temporary SMTP refusals stay pending --------------------------------------------------
def _send(store, settings, survey: str = DEMO, **kw):  # type: ignore[no-untyped-def]
    return dlv.send_invitations(
        store=store, settings=settings, survey=survey, audience=dlv.Audience(), **kw
    )


def test_a_451_stays_pending_is_retried_and_is_no_fatigue(store, smtp):
    server, settings = smtp
    surveys.ensure_builtin(store=store)
    surveys.save_survey(store=store, survey=demo_profile().model_copy(update={"name": "b"}))
    _customer(store, "c1")
    server.reply = "451 4.3.0 temporary failure, try again later"
    rep = _send(store, settings, quota=1)
    assert store.scalar("SELECT status FROM survey_invitations") == "pending"
    assert (rep.invited, rep.sent, rep.failed) == (1, 0, 0)
    assert rep.deferred == 1 and store.count("survey_deliveries") == 0
    # nothing went out: another survey is not held back by it
    assert _send(store, settings, survey="b", dry_run=True).fatigued == 0
    server.reply = "250 OK"
    rep = _send(store, settings, quota=1)
    assert (rep.invited, rep.sent, rep.over_quota, rep.fatigued) == (0, 1, 0, 0)
    assert [m["To"] for m in server.messages] == ["c1@example.com"]
    assert store.scalar("SELECT status FROM survey_invitations WHERE survey = ?", [DEMO]) == "sent"


def test_a_550_is_not_retried_and_is_no_fatigue(store, smtp):
    server, settings = smtp
    surveys.ensure_builtin(store=store)
    surveys.save_survey(store=store, survey=demo_profile().model_copy(update={"name": "b"}))
    _customer(store, "c1")
    server.reply = "550 5.1.1 no such mailbox"
    rep = _send(store, settings, quota=1)
    assert (rep.sent, rep.failed) == (0, 1)
    assert store.scalar("SELECT status FROM survey_invitations") == "failed"
    server.reply = "250 OK"
    other = _send(store, settings, survey="b", quota=1)  # nothing was delivered: no fatigue
    assert (other.fatigued, other.sent) == (0, 1)
    assert [m["To"] for m in server.messages] == ["c1@example.com"]
    again = _send(store, settings, quota=1, fatigue_days=0)
    assert (again.invited, again.sent, again.undeliverable) == (0, 0, 1)  # never retried
    assert len(server.messages) == 1


# -- 8. the e-mails say what will happen -----------------------------------------------------
def _body(msg: email.message.Message) -> str:
    return " ".join(msg.get_payload(decode=True).decode().split())


def test_invitation_and_reminders_tell_the_truth(store, smtp):
    server, settings = smtp
    surveys.ensure_builtin(store=store)
    _customer(store, "c1")
    assert _send(store, settings).sent == 1
    later = datetime.now() + timedelta(days=30)
    for _ in range(3):
        dlv.send_reminders(store=store, settings=settings, survey=DEMO, max_reminders=2, now=later)
        later += timedelta(days=30)
    invitation, first, second = (_body(m) for m in server.messages)
    assert "not ask again" not in invitation
    assert "last reminder" not in first
    assert "this is the last reminder" in second


# -- 9. malformed public bodies are refused, never a 500 -------------------------------------
@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"answers": {"novelty": 3}, "token": 123}, 400),
        ({"answers": {"novelty": 3}, "token": ["a.b"]}, 400),
        ({"answers": {"novelty": 3}, "token": {"x": 1}}, 400),
        ({"answers": {"novelty": 3}, "visitor_id": 42}, 400),
        ({"answers": {"novelty": 3}, "visitor_id": ["v"]}, 400),
        ({"answers": {"novelty": 3}, "channel": ["popup"]}, 400),
        ({"answers": [["novelty", 3]]}, 422),
        ({"answers": {"novelty": [3]}}, 422),
        ({"answers": {"novelty": {"v": 3}}}, 422),
        ({"answers": {"novelty": 10**400}}, 422),
        ({"answers": {"income": 10**400}}, 422),
        ({"answers": {"values": [["price"]]}}, 422),
        ({"answers": {"values": {"price": True}}}, 422),
        ({"answers": {"age_bracket": ["25-34"]}}, 422),
        ({"answers": {"why_buy": {"text": "x"}}}, 422),
        ({"answers": {"why_buy": ["cheap"]}}, 422),
    ],
)
def test_public_body_of_unexpected_json_types_is_refused(shop, body, status):
    surveys.ensure_builtin(store=shop.store)
    with _app(shop) as c:
        res = c.post(f"/s/{DEMO}/responses", json=body)
    assert res.status_code == status, res.text
    assert shop.store.count("survey_responses") == 0


@pytest.mark.parametrize("raw", [b"[" * 5000 + b"]" * 5000, b'{"answers": ' + b"9" * 5000 + b"}"])
def test_json_too_deep_or_too_long_a_number_is_bad_json(shop, raw):
    surveys.ensure_builtin(store=shop.store)
    with _app(shop) as c:
        res = c.post(
            f"/s/{DEMO}/responses", content=raw, headers={"Content-Type": "application/json"}
        )
    assert res.status_code == 400 and "not valid JSON" in res.json()["detail"]


@pytest.mark.parametrize(
    "form", [{"website": "http://spam.example", "novelty": "3"}, {"token": "x.y", "novelty": "3"}]
)
def test_a_form_posted_to_a_missing_survey_is_not_found(shop, form):
    with _app(shop) as c:
        res = c.post("/s/no-such-survey/responses", data=form)
        assert res.status_code == 404
        posted = c.post("/s/no-such-survey/responses", json={"answers": {"novelty": 2}})
    # the public is told the survey is not there, not how the shop's admin creates one
    assert posted.status_code == 404 and posted.json()["detail"] == "no such survey"


# -- 10. blank answers are no answers --------------------------------------------------------
@pytest.mark.parametrize(
    "answers", [{"why_buy": "   "}, {"values": " ; "}, {"values": [" ", ""]}, {"why_buy": "\n\t"}]
)
def test_blank_answers_are_not_a_response(shop, answers):
    survey = demo_profile()
    with pytest.raises(AnswerError, match="no question was answered"):
        validate_answers(survey, answers)
    surveys.ensure_builtin(store=shop.store)
    with _app(shop) as c:
        res = c.post(f"/s/{DEMO}/responses", json={"answers": answers})
    assert res.status_code == 422 and "no question was answered" in res.text
    assert shop.store.count("survey_responses") == 0


def test_blank_answers_beside_real_ones_are_dropped(store, tmp_path):
    survey = demo_profile()
    assert validate_answers(survey, {"why_buy": "  ", "values": " ; ", "novelty": 2}) == {
        "novelty": 2.0
    }
    surveys.ensure_builtin(store=store)
    f = tmp_path / "export.csv"
    f.write_text("respondent,values,novelty\nr1, ; ,3\nr2, ; ,\n")
    res = surveys.import_survey_csv(store=store, survey=DEMO, path=f)
    assert res.rows_rejected == 0
    assert store.count("survey_responses") == 1  # r2 said nothing
    assert store.scalar("SELECT count(*) FROM survey_answers WHERE question = 'values'") == 0


# -- 11. text with < and > is text; markup is refused; everything is escaped -----------------
@pytest.mark.parametrize(
    "text", ["a < b and c > d", "I <3 it", "price<20 and quality > brand", "x << y", "1 < 2 > 0"]
)
def test_comparisons_are_text(text):
    assert validate_answers(demo_profile(), {"why_buy": text}) == {"why_buy": text}


@pytest.mark.parametrize(
    "text",
    ["<script>alert(1)</script>", '<a href="x">win</a>', "bye</p>", "<!-- hi -->", "<img src=x>"],
)
def test_markup_is_refused(text):
    with pytest.raises(AnswerError, match="plain text"):
        validate_answers(demo_profile(), {"why_buy": text})


def test_dashboard_and_report_escape_stored_text(shop, client):
    surveys.ensure_builtin(store=shop.store)
    texts = ["cheap tents a < b and c > d & more", "cheap tents fast delivery < 3 days"]
    for i in range(8):
        shop.survey_submit(DEMO, {"why_buy": f"{texts[i % 2]} answer {i}", "values": ["price"]})
    html = client.get("/dashboard/surveys.html").text
    assert "&lt; 3 days" in html or "a &lt; b and c &gt; d &amp; more" in html
    assert "a < b" not in html and "< 3 days" not in html


# -- 12. no e-mail addresses or phone numbers in theme examples -------------------------------
def test_theme_examples_are_scrubbed_like_persona_quotes(shop, client):
    surveys.ensure_builtin(store=shop.store)
    texts = [
        "slow delivery took weeks, write me at ann.smith@example.com",
        "delivery took weeks, call +31 6 1234 5678 please",
        "cheap price good value, mail bob@example.org",
        "cheap price good value, phone 020-555 1234",
    ]
    for i in range(8):
        shop.survey_submit(DEMO, {"why_buy": texts[i % 4]})
    res = shop.survey_results(DEMO)
    examples = [e for th in res.themes for e in th.examples]
    assert examples and any("[e-mail]" in e or "[number]" in e for e in examples)
    api = client.get(f"/api/surveys/{DEMO}/results").text
    page = client.get("/dashboard/surveys.html").text
    for shown in (" ".join(examples), api, page):
        assert not re.search(r"@example\.|1234 5678|555 1234", shown), shown


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"kind": "single", "choices": ["Yes", "yes"]}, "needs distinct choices"),
        ({"kind": "multi", "choices": ["hiking;camping", "city"]}, "may not contain ';'"),
        ({"kind": "text", "max_length": 0}, "max_length must be at least 1"),
    ],
)
def test_definitions_that_cannot_work_are_refused(options, reason):
    """ "Yes"/"yes" are one answer as answers are matched; a ';' in a multi choice breaks the
    CSV exports that join answers with ';'; a text of at most 0 characters takes no answer."""
    from shopperlens.surveys.definition import Question

    with pytest.raises(ValueError, match=reason):
        Question(id="q", text="A question?", **options)
