"""The abandoned-checkout pop-up in a real headless Chromium, on the page addresses of real
shop platforms: a buyer who completed the purchase is never asked what stopped them, and one
who left the checkout without buying still is.

WooCommerce's order-complete page lies under its checkout (``/checkout/`` →
``/checkout/order-received/123/``), and so does Shopify's (``/checkouts/cn/abc`` →
``…/thank-you``): taken for a checkout page, it let the pop-up ask "What stopped you from
completing your purchase?" on the page after the purchase.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import Request
from fastapi.responses import HTMLResponse

import shopperlens
from _browser import CHROMIUM, MISSING, visit
from shopperlens.config import Settings
from shopperlens.service import surveys
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
#: whether to show (``/eligible``): every page is watched, not only the last


def _tags(base: str) -> dict[str, str]:
    """The tag a shop pastes into every page: with the default addresses, and (``?shop=de``)
    with its own checkout and order-complete addresses."""
    options: dict[str, Any] = {"question": "what_stopped", "trigger": "checkout_abandon"}
    return {
        "default": script_tag(base, "demo-profile", delay=0.1, **options),
        "de": script_tag(
            base,
            "demo-profile",
            delay=0.1,
            checkout_path="/kasse",
            complete_path=["/kasse/fertig", "/danke"],
            **options,
        ),
    }


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The public survey routes plus a catch-all shop page (every address a page with the tag)
    on one real uvicorn server."""
    shop = shopperlens.open(":memory:")
    surveys.ensure_builtin(store=shop.store)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(Settings(token="t", secret_key="k", public_url=base), shop=shop)
    tags = _tags(base)

    def page(request: Request) -> HTMLResponse:
        tag = tags[request.query_params.get("shop", "default")]
        return HTMLResponse(PAGE.format(path=request.url.path, tag=tag))

    app.add_api_route("/{anything:path}", page, include_in_schema=False)
    with serve_in_thread(app, port=port) as url:
        yield url
    shop.close()


PURCHASES = {
    "woocommerce": ["/checkout/", "/checkout/order-received/123/?key=wc_order_x", "/"],
    "shopify": ["/checkouts/cn/abc", "/checkouts/cn/abc/thank-you", "/"],
    "shopify-thank_you": ["/checkouts/c/abc", "/checkouts/c/abc/thank_you", "/"],
    "shopify-order-status": ["/checkouts/cn/abc", "/123/orders/def", "/"],
    "own-addresses": ["/kasse?shop=de", "/kasse/fertig?shop=de", "/?shop=de"],
    "own-addresses-elsewhere": ["/kasse?shop=de", "/danke?shop=de", "/?shop=de"],
}


@pytest.mark.parametrize("steps", PURCHASES.values(), ids=PURCHASES.keys())
def test_no_popup_after_a_completed_purchase(site, browser, steps):
    page, asked = visit(browser, site, steps)
    assert asked == [] and page.locator(POPUP).count() == 0
    page.context.close()


ABANDONED = {
    "woocommerce": ["/checkout/", "/product/boots/"],
    "shopify": ["/checkouts/cn/abc", "/"],
    "own-addresses": ["/kasse?shop=de", "/?shop=de"],
}


@pytest.mark.parametrize("steps", ABANDONED.values(), ids=ABANDONED.keys())
def test_the_popup_still_follows_a_checkout_left_without_buying(site, browser, steps):
    """The control: the same pages without the order-complete step do show the question."""
    page, asked = visit(browser, site, steps)
    popup = page.locator(POPUP)
    popup.wait_for(timeout=10_000)
    assert "What stopped you" in popup.inner_text() and asked == [page.url]
    page.context.close()
