"""An audience segment must be a yes/no condition; a survey CSV uploaded over HTTP reports
its rejects where they last; the public survey form keeps what was answered when it asks
for a correction."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

import shopperlens
from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.service import playbooks, surveys
from shopperlens.store import Store
from shopperlens.surveys.definition import survey_from_dict
from shopperlens.web.app import create_app

#: what a segment that is no condition is told
NO_CONDITION = "a segment must be a condition"


# -- 1. a segment is a yes/no condition --------------------------------------------------------
def _buyers(store: Store) -> None:
    """Three consenting customers: c1 with one order, c2 with two, c3 with none (revenue
    123.45 for c2: a value an error must never quote)."""
    for cid in ("c1", "c2", "c3"):
        store.execute(
            "INSERT INTO customers (customer_id, email, accepts_marketing) VALUES (?, ?, true)",
            [cid, f"{cid}@example.com"],
        )
    for oid, cid, price in (("o1", "c1", 10.0), ("o2", "c2", 100.0), ("o3", "c2", 23.45)):
        store.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES (?, ?, '2025-01-01')",
            [oid, cid],
        )
        store.execute(
            "INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price) "
            "VALUES (?, 1, 'P1', 1, ?)",
            [oid, price],
        )


NOT_CONDITIONS = ["orders", "revenue", "customer_id", "1", "1e3", "orders + 1", "None"]


@pytest.mark.parametrize("segment", NOT_CONDITIONS)
def test_a_segment_that_is_no_condition_is_refused_without_values(shop, segment):
    _buyers(shop.store)
    with pytest.raises(ShopperlensError) as err:
        playbooks.audience_customers(store=shop.store, segment=segment)
    said = str(err.value)
    assert said.startswith(NO_CONDITION)
    assert not re.search(r"c[123]\b|123\.45|23\.45", said)  # no id, no revenue


def test_conditions_still_select_whom_they_say(shop):
    _buyers(shop.store)

    def picked(segment: str) -> list[str]:
        return list(playbooks.audience_customers(store=shop.store, segment=segment).customer_id)

    assert picked("orders >= 2") == ["c2"]
    assert picked("marketing_consent") == ["c1", "c2", "c3"]
    assert picked("~(orders > 0)") == ["c3"]
    assert picked("1 == 1") == ["c1", "c2", "c3"]  # one yes for everybody
    assert picked("orders == 9") == []


def test_a_segment_that_is_no_condition_over_http_is_a_clear_400(shop, client):
    _buyers(shop.store)
    for segment in ("orders", "1", "revenue", "customer_id"):
        res = client.get("/api/playbooks/audience", params={"segment": segment, "to": "csv"})
        assert res.status_code == 400, (segment, res.text[:200])
        detail = res.json()["detail"]
        assert detail.startswith(NO_CONDITION) and "c2" not in detail and "123.45" not in detail
    res = client.get("/api/playbooks/audience", params={"segment": "orders >= 2", "to": "csv"})
    assert res.status_code == 200 and res.text.splitlines()[1].startswith("c2,")
    assert len(res.text.splitlines()) == 2


@pytest.mark.parametrize("to", ["csv", "meta"])
@pytest.mark.parametrize("segment", ["orders", "1"])
def test_a_segment_that_is_no_condition_in_the_cli_writes_nothing(
    cli, db_path, tmp_path, to, segment
):
    with shopperlens.open(db_path) as s:
        _buyers(s.store)
    out = tmp_path / "aud.csv"
    res = cli("audience", "export", "--segment", segment, "--to", to, "--out", str(out))
    assert res.exit_code == 1, res.output
    assert NO_CONDITION in " ".join(res.stderr.split()) and "unexpected" not in res.stderr
    assert not out.exists()


# -- 2. a survey CSV uploaded over HTTP reports its rejects where they last ---------------------
#: one good row, one repeat of an e-mail respondent (a personal value), one out-of-range answer
EXPORT = (
    "respondent,age_bracket,values\n"
    "ann@example.org,25-34,price\n"
    "ann@example.org,65+,brand\n"
    "r3,99-99,quality\n"
)


def _upload(client: TestClient, on_error: str = "skip", text: str = EXPORT):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/surveys/demo-profile/import?on_error={on_error}",
        files={"file": ("export.csv", text, "text/csv")},
    )


def test_a_skipped_upload_lists_its_rejects_and_keeps_the_file_beside_the_store(
    file_shop, tmp_path
):
    shop, client = file_shop
    res = _upload(client)
    assert res.status_code == 200, res.text
    body = res.json()
    assert (body["rows_read"], body["rows_accepted"], body["rows_rejected"]) == (3, 1, 2)
    assert body["file"] == "export.csv"
    assert [(r["line"], r["column"], r["value"]) for r in body["rejects"]] == [
        (3, "respondent", "(an e-mail address)"),  # the address itself is withheld
        (4, "age_bracket", "99-99"),
    ]
    assert all(r["file"] == "export.csv" and r["reason"] for r in body["rejects"])
    assert "ann@example.org" not in res.text
    kept = tmp_path / "shop.survey-rejects.csv"
    assert body["rejects_file"] == str(kept)
    lines = kept.read_text().splitlines()
    assert lines[0] == "file,line,column,value,reason,survey,respondent,customer_id"
    assert len(lines) == 3 and "ann@example.org" not in kept.read_text()
    assert lines[2].startswith("export.csv,4,age_bracket,99-99,")


def test_a_refused_upload_names_a_rejects_file_that_exists(file_shop, tmp_path):
    shop, client = file_shop
    res = _upload(client, on_error="abort")
    assert res.status_code == 400
    detail = res.json()["detail"]
    kept = tmp_path / "shop.survey-rejects.csv"
    assert f"(all in {kept})" in detail and "export.csv:4 age_bracket='99-99'" in detail
    assert kept.is_file() and shop.store.count("survey_responses") == 0


def test_an_upload_to_a_store_in_memory_lists_its_rejects_and_names_no_file(shop, client):
    surveys.ensure_builtin(store=shop.store)
    res = _upload(client)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["rejects_file"] is None and len(body["rejects"]) == 2
    refused = _upload(client, on_error="abort", text=EXPORT.replace("r3", "r4"))
    assert refused.status_code == 400 and "all in" not in refused.json()["detail"]
    assert "/tmp" not in refused.json()["detail"]


# -- 3. the public form keeps what was answered ---------------------------------------------------
FEEDBACK = {
    "name": "feedback",
    "title": "Feedback",
    "questions": [
        {"id": "fav", "kind": "single", "text": "Which colour do you like best?",
         "choices": ["red", "blue"], "required": True},
        {"id": "nps", "kind": "scale", "text": "How likely are you to recommend us?",
         "min": 0, "max": 10, "required": True},
        {"id": "likes", "kind": "multi", "text": "What do you like about us?",
         "choices": ["price", "brand", "service"], "required": True},
        {"id": "age", "kind": "number", "text": "How old are you?", "min": 0, "max": 120},
        {"id": "why", "kind": "text", "text": "Why do you shop here?", "required": True},
    ],
}  # fmt: skip


def _checked(html: str, name: str) -> list[str]:
    """The values of the radio buttons and checkboxes named ``name`` that are checked."""
    tags = re.findall(rf'<input type="(?:radio|checkbox)" name="{name}" [^>]*>', html)
    return [re.search(r'value="([^"]*)"', t)[1] for t in tags if " checked" in t]  # type: ignore[index]


def test_a_form_with_a_missing_answer_comes_back_filled_in(shop, client):
    shop.survey_create(survey_from_dict(FEEDBACK))
    form = {
        "token": "",
        "channel": "link",
        "website": "",
        "fav": "blue",
        "likes": ["price", "service"],
        "age": "42",
        "why": "Boots & <b>fair</b> prices",
    }
    res = client.post("/s/feedback/responses", data=form, follow_redirects=False)
    assert res.status_code == 422
    html = res.text
    assert _checked(html, "fav") == ["blue"] and _checked(html, "likes") == ["price", "service"]
    assert _checked(html, "nps") == []
    assert re.search(r'<input type="number" id="q-age" name="age"[^>]* value="42"', html)
    why = re.search(r'<textarea id="q-why" name="why"[^>]*>(.*?)</textarea>', html, re.S)
    assert why and unescape(why[1]) == "Boots & <b>fair</b> prices"
    said = unescape(re.search(r'<div class="problems".*?</div>', html, re.S)[0])  # type: ignore[index]
    assert "2. How likely are you to recommend us?</a>: is required" in said
    assert "5. Why do you shop here?</a>: must be plain text" in said
    assert "nps:" not in said and "why:" not in said
    assert shop.store.count("survey_responses") == 0


def test_required_questions_are_marked_and_fields_labelled(shop, client):
    shop.survey_create(survey_from_dict(FEEDBACK))
    html = client.get("/s/feedback").text
    legend = re.search(r"<legend>1\. Which colour do you like best\?(.*?)</legend>", html)
    assert legend and "(required)" in legend[1]
    assert all(" required" in t for t in re.findall(r'<input type="radio" name="fav"[^>]*>', html))
    assert not any(" required" in t for t in re.findall(r'name="likes"[^>]*>', html))
    assert '<label class="asked" for="q-age">4. How old are you?</label>' in html
    assert (
        '<label class="asked" for="q-why">5. Why do you shop here? '
        '<span class="required">(required)</span></label>'
    ) in html
    assert re.search(r'<input type="number" id="q-age" name="age"(?![^>]*required)[^>]*>', html)
    assert '<textarea id="q-why" name="why" maxlength="2000" required aria-required="true">' in html
    assert 'class="trap" aria-hidden="true"' in html  # the bot trap is still there


@pytest.mark.browser
def test_in_a_browser_a_correction_keeps_the_answers(shop, browser):
    from shopperlens.web.server import free_port, serve_in_thread

    shop.survey_create(survey_from_dict(FEEDBACK))
    port = free_port()
    app = create_app(Settings(token="t", public_url=f"http://127.0.0.1:{port}"), shop=shop)
    with serve_in_thread(app, port=port) as base:
        page = browser.new_page()
        page.goto(f"{base}/s/feedback")
        page.get_by_label("blue").check()
        page.get_by_label("8", exact=True).check()
        page.get_by_label("How old are you?").fill("42")
        page.get_by_label("Why do you shop here?").fill("Good boots")
        page.get_by_role("button", name="Send my answers").click()  # "What do you like" empty
        page.get_by_role("alert").wait_for(timeout=10_000)
        assert (
            "3. What do you like about us?: is required" in page.get_by_role("alert").inner_text()
        )
        assert (
            page.get_by_label("blue").is_checked()
            and page.get_by_label("8", exact=True).is_checked()
        )
        assert page.get_by_label("How old are you?").input_value() == "42"
        assert page.get_by_label("Why do you shop here?").input_value() == "Good boots"
        page.get_by_label("service").check()
        page.get_by_role("button", name="Send my answers").click()
        page.wait_for_url(f"{base}/s/feedback/thanks")
        page.close()
    row = surveys.responses_frame(store=shop.store, survey="feedback").iloc[-1]
    assert (row["fav"], row["nps"], row["likes"], row["why"]) == (
        "blue",
        8.0,
        ["service"],
        "Good boots",
    )
