"""The pop-up snippet in a real headless Chromium: a shop page embeds it, the pop-up appears on
its trigger, the answer is sent and lands in DuckDB; the welcome bar leads to the form."""

from __future__ import annotations

import re

import pytest
from fastapi.responses import HTMLResponse

from _browser import CHROMIUM, MISSING
from shopperlens.config import Settings
from shopperlens.service import surveys
from shopperlens.surveys.snippet import script_tag
from shopperlens.web.app import create_app
from shopperlens.web.server import free_port, serve_in_thread

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip(MISSING, allow_module_level=True)

PAGE = """<!doctype html><html><head><title>{title}</title></head>
<body><h1>{title}</h1><p>Boots, bags and more.</p>{tag}</body></html>"""


@pytest.fixture
def site(shop):
    """The API plus a few shop pages (each embedding a snippet) on one real uvicorn server."""
    surveys.ensure_builtin(store=shop.store)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(Settings(token="t", secret_key="k", public_url=base), shop=shop)
    tags = {
        "/cart": script_tag(
            base, "demo-profile", question="what_stopped", trigger="cart", delay=0.2
        ),
        "/product": script_tag(
            base, "demo-profile", question="barrier", trigger="checkout_abandon", delay=0.2
        ),
        "/checkout": script_tag(
            base, "demo-profile", question="barrier", trigger="checkout_abandon"
        ),
        "/blog": script_tag(base, "demo-profile", question="novelty", trigger="exit"),
        "/": script_tag(base, "demo-profile", mode="bar", text="Two minutes to help us?"),
        # a tag from before targets were signed: its types are in data-types
        "/old-tag": script_tag(base, "demo-profile", question="novelty", delay=0.1).replace(
            "<script ", '<script data-types="looker" '
        ),
        "/untargeted": script_tag(base, "demo-profile", question="novelty", delay=0.1),
    }
    for path, tag in tags.items():
        html = PAGE.format(title=path, tag=tag)
        app.add_api_route(path, lambda html=html: HTMLResponse(html), include_in_schema=False)
    with serve_in_thread(app, port=port) as url:
        yield url, shop


def _answers(shop, question: str):
    return shop.store.df(
        "SELECT r.channel, r.visitor_id, a.value_text, a.value_num FROM survey_answers a "
        "JOIN survey_responses r USING (response_id) WHERE a.question = ?",
        [question],
    )


def test_cart_popup_answer_lands_in_duckdb_and_is_not_shown_again(site, browser):
    base, shop = site
    page = browser.new_page()
    page.goto(f"{base}/cart")
    popup = page.locator("[data-shopperlens=popup]")
    popup.wait_for(timeout=10_000)
    assert "What stopped you" in popup.inner_text()
    popup.locator("textarea").fill("Shipping was 7 euro <b>too much</b>")
    popup.get_by_role("button", name="Send").click()
    # markup is refused with a readable message; plain words go through
    popup.get_by_role("alert").filter(has_text="check").wait_for(timeout=10_000)
    popup.locator("textarea").fill("Shipping was 7 euro, too much for one pair of socks")
    popup.get_by_role("button", name="Send").click()
    page.locator("[data-shopperlens=popup][data-state=sent]").wait_for(timeout=10_000)
    got = _answers(shop, "what_stopped")
    assert list(got["value_text"]) == ["Shipping was 7 euro, too much for one pair of socks"]
    assert got["channel"].iloc[0] == "popup" and got["visitor_id"].iloc[0]
    page.goto(f"{base}/cart")  # answered: never the same survey twice
    page.wait_for_timeout(800)
    assert page.locator("[data-shopperlens=popup]").count() == 0
    page.close()


def test_abandoned_checkout_and_exit_intent_triggers(site, browser):
    base, shop = site
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{base}/product")
    page.wait_for_timeout(600)
    assert page.locator("[data-shopperlens=popup]").count() == 0  # no checkout yet
    page.goto(f"{base}/checkout")
    page.goto(f"{base}/product")  # left the checkout without buying
    popup = page.locator("[data-shopperlens=popup]")
    popup.wait_for(timeout=10_000)
    popup.get_by_label("shipping cost").check()
    popup.get_by_role("button", name="Send").click()
    page.locator("[data-shopperlens=popup][data-state=sent]").wait_for(timeout=10_000)
    assert list(_answers(shop, "barrier")["value_text"]) == ["shipping_cost"]
    ctx.close()
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{base}/blog")
    page.wait_for_timeout(300)
    assert page.locator("[data-shopperlens=popup]").count() == 0
    page.evaluate("document.dispatchEvent(new MouseEvent('mouseout', {clientY: 0}))")
    page.locator("[data-shopperlens=popup]").wait_for(timeout=10_000)
    ctx.close()


def test_welcome_bar_leads_to_the_public_form(site, browser):
    base, shop = site
    page = browser.new_page()
    page.goto(f"{base}/")
    bar = page.locator("[data-shopperlens=bar]")
    bar.wait_for(timeout=10_000)
    bar.get_by_text("Two minutes to help us?").click()
    page.wait_for_url(re.compile(re.escape(f"{base}/s/demo-profile?visitor_id=") + ".+"))
    page.get_by_label("25-34").check()
    page.get_by_label("sustainability", exact=True).check()
    page.get_by_label("quality", exact=True).check()
    page.locator("textarea[name=why_buy]").fill("Good boots & honest prices")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url(f"{base}/s/demo-profile/thanks")
    frame = surveys.responses_frame(store=shop.store, survey="demo-profile")
    row = frame.iloc[-1]
    assert row["age_bracket"] == "25-34" and sorted(row["values"]) == ["quality", "sustainability"]
    assert row["why_buy"] == "Good boots & honest prices"
    page.close()


def test_a_tag_naming_types_the_old_way_stays_hidden(site, browser):
    """Shown untargeted, an old ``data-types`` tag would reach every visitor; the same tag
    without it shows (the control)."""
    base, _ = site
    page = browser.new_page()
    page.goto(f"{base}/untargeted")
    page.locator("[data-shopperlens=popup]").wait_for(timeout=10_000)
    page.close()
    page = browser.new_context().new_page()
    warned: list[str] = []
    page.on("console", lambda m: warned.append(m.text))
    page.goto(f"{base}/old-tag")
    page.wait_for_timeout(1200)
    assert page.locator("[data-shopperlens=popup]").count() == 0
    assert any("regenerate this survey tag" in w for w in warned)
    page.close()
