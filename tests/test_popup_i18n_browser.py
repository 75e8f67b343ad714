"""The pop-up on a German shop's pages, in a real headless Chromium.

Chromium gives ``location.pathname`` percent-encoded (``/warenkorb/%C3%BCbersicht``), so a
pop-up made with ``--cart-path /warenkorb/übersicht`` never fired, and an abandoned checkout
at ``/kasse/prüfung`` was never noticed. And the pop-up spoke English ("No thanks", "Send")
under a German survey's question.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import Request
from fastapi.responses import HTMLResponse

import shopperlens
from _browser import CHROMIUM, MISSING, visit
from shopperlens.config import Settings
from shopperlens.service import surveys
from shopperlens.surveys.definition import survey_from_dict
from shopperlens.surveys.snippet import script_tag
from shopperlens.web.app import create_app
from shopperlens.web.server import free_port, serve_in_thread

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip(MISSING, allow_module_level=True)

PAGE = "<!doctype html><html><body><h1>{path}</h1>{tag}</body></html>"
POPUP = "[data-shopperlens=popup]"
#: a wait on each page, well past the pop-up's 0.1 s delay after which it asks the server
#: whether to show (``/eligible``)

UMFRAGE = {
    "name": "umfrage",
    "title": "Helfen Sie uns",
    "language": "de",
    "texts": {"popup_skip": "Nein danke", "popup_send": "Absenden"},
    "questions": [{"id": "huerde", "kind": "text", "text": "Was hat Sie aufgehalten?"}],
}


def _tags(base: str) -> dict[str, str]:
    """The tags of the shop's pages, chosen by ``?tag=``."""
    return {
        "cart": script_tag(
            base, "demo-profile", question="what_stopped", trigger="cart", delay=0.1,
            cart_path="/warenkorb/übersicht",
        ),
        "checkout": script_tag(
            base, "demo-profile", question="what_stopped", trigger="checkout_abandon",
            delay=0.1, checkout_path="/kasse/prüfung", complete_path="/bestellung/abgeschloßen",
        ),
        "german": script_tag(base, "umfrage", trigger="delay", delay=0.1),
    }  # fmt: skip


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    shop = shopperlens.open(":memory:")
    surveys.ensure_builtin(store=shop.store)
    surveys.save_survey(store=shop.store, survey=survey_from_dict(UMFRAGE))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(Settings(token="t", secret_key="k", public_url=base), shop=shop)
    tags = _tags(base)

    def page(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE.format(path="", tag=tags[request.query_params["tag"]]))

    app.add_api_route("/{anything:path}", page, include_in_schema=False)
    with serve_in_thread(app, port=port) as url:
        yield url
    shop.close()


def test_a_non_ascii_cart_path_shows_the_popup_there_and_nowhere_else(site, browser):  # type: ignore[no-untyped-def]
    page, asked = visit(browser, site, ["/warenkorb/andere?tag=cart", "/?tag=cart"])
    assert asked == []
    page.context.close()
    page, asked = visit(browser, site, ["/warenkorb/übersicht/schritt-1?tag=cart"])
    page.locator(POPUP).wait_for(timeout=10_000)
    assert asked == [page.url] and "%C3%BCbersicht" in page.url  # (what Chromium gives)
    page.context.close()


def test_non_ascii_checkout_and_complete_paths_are_recognised(site, browser):  # type: ignore[no-untyped-def]
    """Left at ``/kasse/prüfung``: asked on the next page; bought (``/bestellung/
    abgeschloßen``): never asked."""
    page, asked = visit(browser, site, ["/kasse/prüfung?tag=checkout", "/?tag=checkout"])
    popup = page.locator(POPUP)
    popup.wait_for(timeout=10_000)
    assert "What stopped you" in popup.inner_text()
    page.context.close()
    bought = [
        "/kasse/prüfung?tag=checkout",
        "/bestellung/abgeschloßen?tag=checkout",
        "/?tag=checkout",
    ]
    page, asked = visit(browser, site, bought)
    assert asked == [] and page.locator(POPUP).count() == 0
    page.context.close()


def test_the_popup_speaks_the_surveys_language(site, browser):  # type: ignore[no-untyped-def]
    page, _ = visit(browser, site, ["/?tag=german"])
    popup = page.locator(POPUP)
    popup.wait_for(timeout=10_000)
    assert popup.get_attribute("lang") == "de"
    assert popup.locator("button[type=button]").inner_text() == "Nein danke"
    assert popup.locator("button[type=submit]").inner_text() == "Absenden"
    assert popup.locator("textarea").get_attribute("dir") == "auto"
    page.context.close()


def test_a_right_to_left_answer_runs_right_to_left_on_the_survey_page(site, browser):  # type: ignore[no-untyped-def]
    """Each paragraph of a free-text answer takes the direction of its first letter: a
    Hebrew line from the right, a German one from the left."""
    page = browser.new_context().new_page()
    page.goto(site + "/s/umfrage")
    field = page.locator("textarea")
    field.fill("השירות היה מצוין!\nsehr gut")
    assert field.evaluate("t => getComputedStyle(t).unicodeBidi") == "plaintext"
    page.context.close()
