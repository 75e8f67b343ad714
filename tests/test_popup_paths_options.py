"""``popup-snippet`` takes the shop's own cart, checkout and order-complete addresses (CLI,
Python, HTTP alike) and says when a pop-up names no question.

The tag could not carry an order-complete address at all, so a shop whose order-complete page
lies under its checkout had no way to tell the pop-up; and a pop-up made without
``--question`` silently asked the survey's first question ("How old are you?") at the moment
chosen for another ("What stopped you from completing your purchase?").
"""

from __future__ import annotations

import json

import pytest

from shopperlens.errors import ShopperlensError
from shopperlens.service import surveys
from shopperlens.surveys.snippet import script_tag

URL = "https://shop.example"
FIRST = "How old are you?"


@pytest.fixture
def public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """A public address, so the loopback warning stays out of what is checked."""
    monkeypatch.setenv("SHOPPERLENS_PUBLIC_URL", URL)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_the_tag_carries_every_page_address_as_comma_separated_paths():
    tag = script_tag(
        URL, "demo-profile", trigger="checkout_abandon", cart_path="/warenkorb",
        checkout_path=["/checkouts", "/checkout"], complete_path=" /danke , /kasse/fertig",
    )  # fmt: skip
    assert 'data-cart-path="/warenkorb"' in tag
    assert 'data-checkout-path="/checkouts,/checkout"' in tag
    assert 'data-complete-path="/danke,/kasse/fertig"' in tag
    assert "data-complete-path" not in script_tag(URL, "demo-profile")


@pytest.mark.parametrize("address", ["https://shop.example/checkout", "checkout", "/?page_id=7"])
def test_an_address_that_is_not_a_path_is_refused_by_name(address):
    """The pop-up compares addresses with the page's path: these would never match."""
    with pytest.raises(ShopperlensError, match=r"the order-complete page address must be a path"):
        script_tag(URL, "demo-profile", complete_path=address)


def test_cli_options_write_the_addresses(cli, public_url):
    cli("survey", "create", "demo-profile")
    res = cli(
        "survey", "popup-snippet", "demo-profile", "--question", "what_stopped",
        "--trigger", "checkout_abandon", "--cart-path", "/warenkorb",
        "--checkout-path", "/checkouts", "--checkout-path", "/checkout",
        "--complete-path", "/danke",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert 'data-checkout-path="/checkouts,/checkout"' in res.stdout
    assert (
        'data-complete-path="/danke"' in res.stdout and 'data-cart-path="/warenkorb"' in res.stdout
    )
    assert res.stderr == ""
    res = cli("survey", "popup-snippet", "demo-profile", "--checkout-path", f"{URL}/checkout")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "the checkout page address must be a path" in _one_line(res.stderr)


def test_cli_warns_in_one_line_when_the_popup_names_no_question(cli, public_url):
    cli("survey", "create", "demo-profile")
    res = cli("survey", "popup-snippet", "demo-profile", "--trigger", "checkout_abandon")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("<script") and "warning" not in res.stdout  # clean to copy
    said = res.stderr.strip()
    assert said.startswith("warning: no question chosen") and len(said.splitlines()) == 1
    assert f'first question ("{FIRST}")' in said and "--question ID" in said
    # a welcome bar leads to the whole survey: nothing to say
    assert cli("survey", "popup-snippet", "demo-profile", "--bar").stderr == ""


def test_python_takes_the_addresses_too(shop):
    surveys.ensure_builtin(store=shop.store)
    tag = shop.survey_popup_snippet(
        "demo-profile", question="what_stopped", trigger="checkout_abandon",
        complete_path=["/danke"], checkout_path="/kasse",
    )  # fmt: skip
    assert 'data-complete-path="/danke"' in tag and 'data-checkout-path="/kasse"' in tag


def test_http_takes_the_addresses_and_sends_the_warning_in_a_header(client):
    surveys.ensure_builtin(store=client.app.state.shop.store)
    url = "/api/surveys/demo-profile/popup-snippet"
    params = {"question": "what_stopped", "trigger": "checkout_abandon"}
    addresses = {"checkout_path": "/checkouts,/checkout", "complete_path": "/danke"}
    res = client.get(url, params={**params, **addresses, "cart_path": "/warenkorb"})
    assert res.status_code == 200 and res.text.startswith("<script")
    assert 'data-checkout-path="/checkouts,/checkout"' in res.text
    assert 'data-complete-path="/danke"' in res.text and 'data-cart-path="/warenkorb"' in res.text
    assert "X-Shopperlens-Warnings" not in res.headers
    bare = client.get(url, params={"trigger": "checkout_abandon"})
    assert bare.status_code == 200 and bare.text.startswith("<script")
    (warning,) = json.loads(bare.headers["X-Shopperlens-Warnings"])
    assert warning.startswith("no question chosen") and FIRST in warning
    refused = client.get(url, params={**params, "complete_path": "thank-you"})
    assert refused.status_code == 400
    assert "order-complete page address must be a path" in refused.json()["detail"]


def test_a_wait_or_pause_the_pop_up_cannot_keep_is_refused_in_every_face(cli, client):
    """``--delay -1`` and ``inf`` showed the pop-up at once; a negative ``--days`` asked again
    on every page after a dismissal. Refused alike by the CLI, Python and HTTP."""
    surveys.ensure_builtin(store=client.app.state.shop.store)
    assert cli("survey", "create", "demo-profile").exit_code == 0
    for delay in ("-1", "inf", "nan", "3601"):
        res = cli("survey", "popup-snippet", "demo-profile", "--question", "novelty",
                  "--delay", delay)  # fmt: skip
        assert res.exit_code == 1 and "Traceback" not in res.output, res.output
        assert "the delay must be a number of seconds from 0 to 3,600" in _one_line(res.stderr)
    res = cli("survey", "popup-snippet", "demo-profile", "--question", "novelty", "--days", "-5")
    assert res.exit_code == 1
    assert "the days between surveys (days) must be a whole number from 0 to 3,650; got -5" in (
        _one_line(res.stderr)
    )
    shop = client.app.state.shop
    with pytest.raises(ShopperlensError, match="the delay must be"):
        shop.survey_popup_snippet("demo-profile", question="novelty", delay=float("inf"))
    url = "/api/surveys/demo-profile/popup-snippet"
    for params in ({"delay": -1}, {"days": -1}, {"days": 4000}):
        res = client.get(url, params={"question": "novelty", **params})
        assert res.status_code == 400, (params, res.text)
        assert "must be a" in res.json()["detail"]
    ok = cli("survey", "popup-snippet", "demo-profile", "--question", "novelty", "--delay", "0",
             "--days", "0")  # fmt: skip
    assert ok.exit_code == 0 and 'data-delay="0"' in ok.output and 'data-days="0"' in ok.output
