"""The Surveys page showed the most answered survey alone: a shop's second survey (a pop-up's
"why did you not finish?") was on no page of the report or the dashboard. Every survey with
answers is on the page now, the most answered first."""

from __future__ import annotations

from shopperlens.reports import pages_surveys, site


def _two_surveys(shop) -> None:  # type: ignore[no-untyped-def]
    shop.survey_create(from_bank=["age_bracket", "values", "income"], name="profile", title="Who")
    shop.survey_create(from_bank=["barrier"], name="exit", title="Why not")
    answers = {"age_bracket": "25-34", "values": ["price"], "income": 40000}
    for _ in range(3):
        shop.survey_submit("profile", answers)
    for choice in ("price", "trust"):
        shop.survey_submit("exit", {"barrier": choice})


def test_every_survey_with_answers_is_on_the_page(shop) -> None:  # type: ignore[no-untyped-def]
    _two_surveys(shop)
    ctx = pages_surveys.build(shop.store)
    assert ctx is not None
    assert ctx["results"]["survey"] == "profile"  # the most answered leads
    assert [o["results"]["survey"] for o in ctx["others"]] == ["exit"]
    (barrier,) = [t for t in ctx["others"][0]["results"]["distributions"] if t["value"] == "trust"]
    assert barrier["question"] == "barrier" and barrier["share"] == 0.5
    html = site.render(site.find("surveys"), ctx, site.available_nav(shop.store))
    assert "What customers told us: Who" in html and "Also asked: Why not" in html
    assert '<h2 id="survey-exit">' in html and "2 respondents" in " ".join(html.split())
    data = site.to_json(ctx)
    assert '"others"' in data and "<svg" not in data  # (charts stay out of the JSON twin)


def test_the_dashboard_page_shows_both(file_shop) -> None:  # type: ignore[no-untyped-def]
    shop, client = file_shop
    _two_surveys(shop)
    page = client.get("/dashboard/surveys.html")
    assert page.status_code == 200 and "Also asked: Why not" in page.text
    twin = client.get("/dashboard/surveys.json").json()
    assert twin["others"][0]["results"]["survey"] == "exit"
