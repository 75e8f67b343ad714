"""The pop-up and the welcome bar on a shop's page of another origin, in a real headless
Chromium, as a visitor meets them: in the survey's language, reachable and named for keyboard
and screen-reader users, out of reach of the shop's stylesheets, quiet when the server fails,
and asked once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

import shopperlens
from _browser import CHROMIUM, MISSING
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

POPUP = "[data-shopperlens=popup]"
BAR = "[data-shopperlens=bar]"
#: a shop page: links before the tag, as every shop has, and a search field
PAGE = """<!doctype html><html lang="de"><head><title>Laden</title>{csp}
<style>{style}</style></head><body><input id="search" aria-label="Suche">{links}
<main><h1>Wanderschuhe</h1></main>{tag}</body></html>"""
LINKS = "".join(f'<a href="/p{i}">Produkt {i}</a> ' for i in range(40))
#: a theme that hides native checkboxes and radios to draw its own, and restyles all buttons
THEME = (
    "input[type=radio],input[type=checkbox]{position:absolute;opacity:0;width:0;height:0}"
    " form p{display:none} button{text-transform:uppercase;width:100%;padding:14px}"
    " label{display:inline-block;font-size:11px}"
)
#: a strict Content-Security-Policy that lets in the shopperlens server, as the README says
CSP = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'self\'; '
    "script-src 'self' {api}; connect-src 'self' {api}; style-src 'self'\">"
)
UMFRAGE = {
    "name": "umfrage",
    "title": "Helfen Sie uns",
    "language": "de",
    "texts": {
        "popup_skip": "Nein danke",
        "popup_send": "Absenden",
        "popup_check": "Bitte prüfen Sie Ihre Antwort.",
        "popup_error": "Senden fehlgeschlagen; bitte erneut versuchen.",
    },
    "questions": [
        {"id": "huerde", "kind": "text", "text": "Was hat Sie aufgehalten?", "required": True},
        {"id": "lieblings", "kind": "single", "text": "Was mögen Sie am meisten?",
         "choices": ["Preis", "Qualität"], "required": True},
        {"id": "wie_oft", "kind": "number", "text": "Wie oft kaufen Sie im Jahr?", "min": 0},
    ],
}  # fmt: skip


def _tags(api: str) -> dict[str, str]:
    """The shop's tags, chosen by ``?tag=``."""
    vid = '<script data-visitor-id="v-anna" '
    return {
        "text": script_tag(api, "umfrage", question="huerde", delay=0.1),
        "late": script_tag(api, "umfrage", question="huerde", delay=1),
        "choice": script_tag(api, "umfrage", question="lieblings", delay=0.1),
        "number": script_tag(api, "umfrage", question="wie_oft", delay=0.1),
        "bar": script_tag(api, "umfrage", mode="bar", text="Zwei Minuten?", days=0).replace(
            "<script ", vid
        ),
    }


@pytest.fixture(scope="module")
def shop_site() -> Iterator[tuple[str, str]]:
    """The shopperlens server, and the shop's pages on another origin it accepts answers
    from: ``(shop page address, shopperlens address)``."""
    shop = shopperlens.open(":memory:")
    surveys.save_survey(store=shop.store, survey=survey_from_dict(UMFRAGE))
    api_port, site_port = free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"
    site = f"http://127.0.0.1:{site_port}"
    settings = Settings(token="t", secret_key="k", public_url=api, allowed_origins=[site])
    app = create_app(settings, shop=shop)
    tags = _tags(api)
    pages = FastAPI()

    def page(request: Request) -> HTMLResponse:
        q = request.query_params
        style = THEME if "theme" in q else ""
        csp = CSP.format(api=api) if "csp" in q else ""
        tag = tags.get(q.get("tag", ""), "")
        return HTMLResponse(PAGE.format(csp=csp, style=style, links=LINKS, tag=tag))

    pages.add_api_route("/{anything:path}", page)
    with serve_in_thread(app, port=api_port), serve_in_thread(pages, port=site_port):
        yield site, api
    shop.close()


def _open(browser: Any, url: str) -> tuple[Any, Any]:
    """A fresh visitor on ``url``, and the pop-up once it shows."""
    page = browser.new_context().new_page()
    page.goto(url)
    popup = page.locator(POPUP)
    popup.wait_for(timeout=10_000)
    return page, popup


def _focused(page: Any) -> str:
    """What has the keyboard: ``popup:<role>`` inside the pop-up, else the element's id."""
    return str(
        page.evaluate(
            """() => { const a = document.activeElement;
            if (a && a.dataset && a.dataset.shopperlensRoot) {
              const inner = a.shadowRoot ? a.shadowRoot.activeElement : null;
              return a.dataset.shopperlensRoot + ':' + (inner ? inner.getAttribute('role') : '');
            }
            return a ? a.id : ''; }"""
        )
    )


def test_a_refused_answer_is_said_in_the_surveys_words(shop_site, browser):  # type: ignore[no-untyped-def]
    """A German survey's pop-up said the server's English "answers do not fit the survey"."""
    site, _ = shop_site
    page, popup = _open(browser, f"{site}/?tag=text")
    popup.get_by_role("button", name="Absenden").click()  # a required answer left empty
    popup.get_by_text("Bitte prüfen Sie Ihre Antwort.").wait_for(timeout=10_000)
    assert "fit the survey" not in popup.inner_text()
    page.route("**/s/umfrage/responses", lambda r: r.fulfill(
        status=403, content_type="application/json",
        body='{"detail": "this origin may not submit survey answers"}',
    ))  # fmt: skip
    popup.get_by_role("textbox").fill("Der Versand")
    popup.get_by_role("button", name="Absenden").click()
    popup.get_by_text("Senden fehlgeschlagen; bitte erneut versuchen.").wait_for(timeout=10_000)
    assert "origin" not in popup.inner_text()
    page.context.close()


def test_the_popup_is_a_named_dialog_reached_first_and_left_with_escape(shop_site, browser):  # type: ignore[no-untyped-def]
    site, _ = shop_site
    page = browser.new_context().new_page()
    page.goto(f"{site}/?tag=late")
    page.focus("#search")
    popup = page.locator(POPUP)
    popup.wait_for(timeout=10_000)
    dialog = page.get_by_role("dialog", name="Was hat Sie aufgehalten?")
    assert dialog.count() == 1
    assert _focused(page) == "popup:dialog"
    assert page.evaluate("document.body.firstElementChild.dataset.shopperlensRoot") == "popup"
    page.keyboard.press("Tab")  # the field next, not the shop's forty links
    assert dialog.get_by_role("textbox", name="Was hat Sie aufgehalten?").evaluate(
        "e => e.getRootNode().activeElement === e"
    )
    dialog.get_by_role("button", name="Absenden").click()  # nothing written: announced
    dialog.get_by_role("alert").filter(has_text="Bitte").wait_for(timeout=10_000)
    page.keyboard.press("Escape")
    popup.wait_for(state="detached", timeout=5_000)
    assert _focused(page) == "search"
    assert page.evaluate("localStorage.getItem('shopperlens:umfrage:done')") == "skipped"
    page.reload()
    page.wait_for_timeout(1_800)
    assert page.locator(POPUP).count() == 0
    page.context.close()


def test_every_field_is_labelled_by_its_question(shop_site, browser):  # type: ignore[no-untyped-def]
    site, _ = shop_site
    page, popup = _open(browser, f"{site}/?tag=choice")
    group = popup.get_by_role("group", name="Was mögen Sie am meisten?")
    assert group.get_by_role("radio").count() == 2
    assert group.get_by_role("radio", name="Qualität").count() == 1
    page.context.close()
    page, popup = _open(browser, f"{site}/?tag=number")
    assert popup.get_by_role("spinbutton", name="Wie oft kaufen Sie im Jahr?").count() == 1
    assert popup.get_by_role("textbox").count() == 0  # the honeypot is no field for people
    page.context.close()


def test_the_bars_close_button_is_big_enough_and_speaks_the_surveys_language(
    shop_site: tuple[str, str], browser: Any
) -> None:
    site, _ = shop_site
    page = browser.new_context().new_page()
    page.goto(f"{site}/?tag=bar")
    close = page.locator(BAR).get_by_role("button", name="Nein danke")
    close.wait_for(timeout=10_000)
    box = close.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    assert page.evaluate("document.body.firstElementChild.dataset.shopperlensRoot") == "bar"
    page.context.close()


def test_the_bar_links_the_answer_to_the_visitor_and_is_not_offered_again(
    shop_site: tuple[str, str], browser: Any
) -> None:
    """``--days 0``: the bar came back at once after its survey was answered."""
    site, api = shop_site
    page = browser.new_context().new_page()
    page.goto(f"{site}/?tag=bar")
    link = page.locator(BAR).get_by_role("link", name="Zwei Minuten?")
    link.wait_for(timeout=10_000)
    link.click()
    page.wait_for_url(f"{api}/s/umfrage?visitor_id=v-anna")
    assert page.locator("input[name=visitor_id]").get_attribute("value") == "v-anna"
    page.goto(f"{site}/?tag=bar")
    page.wait_for_timeout(1_200)
    assert page.locator(BAR).count() == 0
    page.context.close()


@pytest.mark.parametrize(
    ("status", "body"), [(502, "Bad gateway"), (200, "<html>maintenance</html>")]
)
def test_a_failed_definition_shows_nothing_and_costs_the_visitor_nothing(
    shop_site: tuple[str, str], browser: Any, status: int, body: str
) -> None:
    site, _ = shop_site
    page = browser.new_context().new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/s/umfrage/definition.json", lambda r: r.fulfill(status=status, body=body))
    page.goto(f"{site}/?tag=text")
    page.wait_for_timeout(1_200)
    assert page.locator(POPUP).count() == 0 and errors == []
    assert page.evaluate("localStorage.getItem('shopperlens:last')") is None
    page.unroute("**/s/umfrage/definition.json")
    page.reload()
    page.locator(POPUP).wait_for(timeout=10_000)
    page.context.close()


def test_the_shops_stylesheet_does_not_reach_inside(shop_site, browser):  # type: ignore[no-untyped-def]
    """A theme hiding native radios hid the pop-up's: no choice could be made."""
    site, _ = shop_site
    page, popup = _open(browser, f"{site}/?tag=choice&theme=1")
    radio = popup.get_by_role("radio", name="Preis")
    looks = radio.evaluate("e => { const s = getComputedStyle(e); return [s.opacity, s.width]; }")
    assert looks[0] == "1" and looks[1] != "0px"
    skip = popup.get_by_role("button", name="Nein danke")
    assert skip.evaluate("e => getComputedStyle(e).textTransform") == "none"
    radio.check()
    page.context.close()


def test_a_strict_content_security_policy_still_shows_it_styled(shop_site, browser):  # type: ignore[no-untyped-def]
    """``style-src 'self'``: a ``<style>`` element inside the pop-up would be blocked."""
    site, _ = shop_site
    page, popup = _open(browser, f"{site}/?tag=choice&csp=1")
    send = popup.get_by_role("button", name="Absenden")
    assert send.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(45, 108, 223)"
    page.context.close()
