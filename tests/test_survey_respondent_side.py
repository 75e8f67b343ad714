"""The public survey server as respondents meet it: behind a reverse proxy, in a pop-up, in
any script, writing "<" as people do, on a closed or unknown survey, and pressing Back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from shopperlens.config import Settings
from shopperlens.service import surveys
from shopperlens.surveys.definition import survey_from_dict
from shopperlens.web.app import create_app

PUBLIC = "https://survey.example.com"
REQUIRED = {
    "name": "req",
    "title": "Two minutes for us?",
    "questions": [
        {"id": "age", "kind": "single", "text": "How old are you?", "choices": ["18-34", "35+"],
         "required": True},
        {"id": "stars", "kind": "scale", "text": "How happy are you?", "min": 0, "max": 10,
         "required": True},
        {"id": "comment", "kind": "text", "text": "Anything else?", "max_length": 2000},
        {"id": "other", "kind": "text", "text": "And?", "max_length": 2000},
    ],
}  # fmt: skip


def _client(shop: Any, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(token="t", public_url=PUBLIC, **settings), shop=shop))


@pytest.fixture
def public(shop: Any) -> Iterator[TestClient]:
    """A client on the public survey server, with the survey ``req`` (two required
    questions) and the demo survey."""
    surveys.ensure_builtin(store=shop.store)
    surveys.save_survey(store=shop.store, survey=survey_from_dict(REQUIRED))
    with _client(shop) as c:
        yield c


def _stored(shop: Any, survey: str) -> list[tuple[str, str]]:
    return shop.store.execute(
        "SELECT a.question, a.value_text FROM survey_answers a JOIN survey_responses r "
        "USING (response_id) WHERE r.survey = ? ORDER BY a.question",
        [survey],
    ).fetchall()


def test_answers_sent_from_the_public_url_are_taken_behind_a_proxy(public: TestClient) -> None:
    # the proxy forwards to the server's own address; the browser's page is the public URL
    form = {"age": "35+", "stars": "7", "comment": "Good boots"}
    sent = public.post(
        "/s/req/responses", data=form, headers={"Origin": PUBLIC}, follow_redirects=False
    )
    assert sent.status_code == 303
    assert public.options("/s/req/responses", headers={"Origin": PUBLIC}).status_code == 204
    # another site's form post: refused, as a page in the survey's words, what was typed kept
    other = public.post("/s/req/responses", data=form, headers={"Origin": "https://evil.example"})
    assert other.status_code == 403 and other.headers["content-type"].startswith("text/html")
    assert (
        "could not be sent from this page" in other.text and ">Good boots</textarea>" in other.text
    )
    as_json = public.post(
        "/s/req/responses", json={"answers": form}, headers={"Origin": "https://evil.example"}
    )
    assert as_json.status_code == 403 and "origin" in as_json.json()["detail"]


def test_a_popup_answers_the_question_it_asks(public: TestClient, shop: Any) -> None:
    post = lambda answers, channel="popup": public.post(  # noqa: E731
        "/s/req/responses", json={"answers": answers, "channel": channel, "visitor_id": "v1"}
    )
    assert post({"comment": "x"}, "link").status_code == 422  # the form asks every question
    sent = post({"comment": "Shipping was slow"})
    assert sent.status_code == 201, sent.text
    assert _stored(shop, "req") == [("comment", "Shipping was slow")]  # the rest not answered
    # a required question the pop-up asks is still required, and its answer still checked
    assert post({"age": " "}).json()["problems"] == {"age": "is required"}
    assert "stars" in post({"stars": 11}).json()["problems"]


def test_long_answers_in_any_script_fit_and_refusals_are_pages(shop: Any) -> None:
    surveys.ensure_builtin(store=shop.store)
    german = {**REQUIRED, "name": "de", "language": "de",
              "texts": {"too_long": "Ihre Antworten sind zu lang.",
                        "too_many": "Bitte warten Sie eine Minute."}}  # fmt: skip
    surveys.save_survey(store=shop.store, survey=survey_from_dict(german))
    long = ("Ботинки отличные, но доставка заняла две недели. 👍" * 60)[:2000]
    form = {"age": "35+", "stars": "7", "comment": long, "other": long}
    with _client(shop, survey_rate_limit=3) as c:
        sent = c.post("/s/de/responses", data=form, follow_redirects=False)
        assert sent.status_code == 303, sent.text[:300]
        # a body no form of the survey sends is still refused: as a page, in its language
        huge = c.post("/s/de/responses", data={**form, "junk": "x" * 200_000})
        assert huge.status_code == 413 and "Ihre Antworten sind zu lang." in huge.text
        assert '<html lang="de">' in huge.text and "<form" in huge.text
        as_json = c.post("/s/de/responses", json={"answers": {"junk": "x" * 200_000}})
        assert as_json.status_code == 413 and "larger than" in as_json.json()["detail"]
        busy = c.post("/s/de/responses", data={**form, "comment": "noch da"})
        assert busy.status_code == 429 and "Bitte warten Sie eine Minute." in busy.text
        assert ">noch da</textarea>" in busy.text


@pytest.mark.parametrize(
    "text",
    [
        "I wanted size <XL but only L was there",
        "Sizes <M fit well",
        "price<quality for me",
        "email me at <anna@example.com>",
        "<3 love it",
        "a < b and c > d",
    ],
)
def test_text_with_a_less_than_sign_is_text(public: TestClient, shop: Any, text: str) -> None:
    sent = public.post(
        "/s/req/responses", json={"answers": {"age": "35+", "stars": 5, "comment": text}}
    )
    assert sent.status_code == 201, sent.text
    assert ("comment", text) in _stored(shop, "req")


@pytest.mark.parametrize(
    "text", ["<b>hi</b>", "x</p>", "<script src=//x.example/a.js>", "<img src=x onerror=a()>",
             "<!-- x -->", "<svg/onload=a()>", "<x-card>"],
)  # fmt: skip
def test_markup_is_refused_and_shown_escaped(public: TestClient, text: str) -> None:
    form = {"age": "35+", "stars": "5", "comment": text}
    again = public.post("/s/req/responses", data=form)
    assert again.status_code == 422 and "must be plain text" in again.text
    assert text not in again.text and str(escape(text)) in again.text


def test_a_closed_survey_speaks_to_respondents(shop: Any) -> None:
    closed = {**REQUIRED, "name": "full", "quotas": {"link": 0},
              "texts": {"closed": "Danke! Die Umfrage ist geschlossen."}}  # fmt: skip
    surveys.save_survey(store=shop.store, survey=survey_from_dict(closed))
    with _client(shop) as c:
        page = c.get("/s/full")
        assert page.status_code == 410 and "Danke! Die Umfrage ist geschlossen." in page.text
        assert "quota" not in page.text
        sent = c.post("/s/full/responses", json={"answers": {"age": "35+", "stars": 5}})
        assert sent.status_code == 410
        assert sent.json() == {"detail": "Danke! Die Umfrage ist geschlossen.", "quota": "link"}


def test_an_unknown_survey_is_a_page(public: TestClient) -> None:
    page = public.get("/s/no-such-survey")
    assert page.status_code == 404 and page.text.startswith("<!doctype html>")
    assert '<html lang="en">' in page.text and "<main>" in page.text
    assert "<h1>Survey not found</h1>" in page.text
    posted = public.post("/s/no-such-survey/responses", data={"a": "b"})
    assert posted.status_code == 404 and "<h1>Survey not found</h1>" in posted.text


def test_back_and_send_again_stores_the_answers_once(public: TestClient, shop: Any) -> None:
    page = public.get("/s/req").text
    form_id = re.search(r'name="form" value="([0-9a-f]{32})"', page)
    assert form_id
    form = {"form": form_id[1], "age": "35+", "stars": "7", "comment": "once"}
    first = public.post("/s/req/responses", data=form, follow_redirects=False)
    assert first.status_code == 303
    again = public.post("/s/req/responses", data=form)  # Back, then Send
    assert again.status_code == 200 and "already arrived" in again.text
    assert _stored(shop, "req").count(("comment", "once")) == 1
    # a form opened anew is a new respondent; a form shown again for corrections is the same
    fresh = re.search(r'name="form" value="([0-9a-f]{32})"', public.get("/s/req").text)
    assert fresh and fresh[1] != form_id[1]
    wrong = public.post("/s/req/responses", data={"form": fresh[1], "stars": "7"})
    assert wrong.status_code == 422 and f'value="{fresh[1]}"' in wrong.text
    fixed = {"form": fresh[1], "age": "18-34", "stars": "7", "comment": "twice"}
    assert public.post("/s/req/responses", data=fixed, follow_redirects=False).status_code == 303
    assert shop.store.scalar("SELECT count(*) FROM survey_responses WHERE survey = 'req'") == 2


def test_the_welcome_bar_visitor_is_known_to_have_answered(public: TestClient, shop: Any) -> None:
    page = public.get("/s/req", params={"visitor_id": 'bar"1'})
    assert '<input type="hidden" name="visitor_id" value="bar&#34;1">' in page.text
    form = {"visitor_id": 'bar"1', "age": "35+", "stars": "7"}
    assert public.post("/s/req/responses", data=form, follow_redirects=False).status_code == 303
    assert shop.store.scalar("SELECT visitor_id FROM survey_responses") == 'bar"1'
    shown = public.get("/s/req/eligible", params={"visitor_id": 'bar"1', "channel": "link"})
    assert shown.json() == {"show": False}


def test_an_answer_at_the_forms_limit_with_line_breaks_fits(public: TestClient, shop: Any) -> None:
    """The form's ``maxlength`` counts a line break as one character; the browser sends it as
    CR LF. An answer of 2,000 characters with line breaks was refused as too long."""
    lines = ["a" * 399] * 5  # 5 × 399 letters + 4 line breaks = 1,999 characters, as typed
    typed = "\n".join(lines) + "b"
    assert len(typed) == 2000
    form = {"age": "35+", "stars": "5", "comment": typed.replace("\n", "\r\n")}
    sent = public.post("/s/req/responses", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    assert ("comment", typed) in _stored(shop, "req")
