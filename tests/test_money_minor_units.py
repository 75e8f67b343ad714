"""Money with the currency's own decimals: a yen has no cents.

A Japanese shop's playbook said "+JPY 664.06 per order" and "JPY 246.57 shipping given away".
ISO 4217 gives each currency its minor unit: none for the yen (JPY), won (KRW), króna (ISK),
Chilean peso (CLP), dong (VND); three decimals for the Kuwaiti, Bahraini, Jordanian and
Tunisian dinars and the Omani rial; two for the rest. Amounts keep the figure's own rounding
(whole amounts for totals, cents per order) but never show more decimals than that.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from shopperlens.labels import money
from shopperlens.playbooks.generator import Action, stake_text, threshold_text
from shopperlens.reports import site

#: ISO 4217 (list one, "minor unit"): currency -> decimals
ISO_4217 = {
    "JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "XOF": 0,
    "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3,
    "EUR": 2, "USD": 2, "SEK": 2, "CHF": 2,
}  # fmt: skip


@pytest.mark.parametrize(("currency", "decimals"), ISO_4217.items())
def test_an_amount_shows_no_more_decimals_than_its_currency_has(
    currency: str, decimals: int
) -> None:
    cents = {0: "1,235", 2: "1,234.57", 3: "1,234.57"}[decimals]  # (asked for 2: cents)
    assert money(1234.5678, currency, 2) == f"{currency} {cents}"
    thousandths = {0: "1,235", 2: "1,234.57", 3: "1,234.568"}[decimals]
    assert money(1234.5678, currency, 3) == f"{currency} {thousandths}"
    assert money(1234.5678, currency) == f"{currency} 1,235"  # a total: whole amounts
    finest = {0: "1", 2: "1.23", 3: "1.235"}[decimals]
    assert money(1.23456, currency, 4) == f"{currency} {finest}"


def test_a_code_in_lower_case_and_the_upper_end_of_a_range_count_too() -> None:
    assert money(25.25, "jpy", 2) == "jpy 25"
    assert money(25.25, "JPY", 2, code=False) == "25"
    assert money(25.25, "EUR", 2, code=False) == "25.25"


def test_the_free_shipping_advice_of_a_yen_shop_has_no_cents() -> None:
    thr = SimpleNamespace(
        advised=True, orders=318, current=None, threshold=93000.0, median_basket=62552.0,
        share_near=0.19, uplift_per_order=664.0625, shipping_cost_per_order=246.5703,
    )  # fmt: skip
    assert threshold_text(thr, "JPY") == (
        "free shipping from JPY 93,000 (median basket JPY 62,552); 19% of orders sit just "
        "below it; +JPY 664 per order expected; JPY 247 shipping given away per order"
    )
    assert "+EUR 664.06 per order expected; EUR 246.57 shipping" in threshold_text(thr, "EUR")


def test_a_small_sum_at_stake_in_yen_is_whole() -> None:
    action = Action(
        type="loyal", number=1, title="t", evidence=[], priority=5.25, basis="b",
        audience="a", audience_size=1,
    )  # fmt: skip
    assert stake_text(action, "JPY") == "JPY 5 at stake"
    assert stake_text(action, "EUR") == "EUR 5.25 at stake"


def test_the_report_filter_uses_the_currencys_decimals() -> None:
    template = site.environment().from_string("{{ v|money('JPY', 2) }} / {{ v|money('BHD', 3) }}")
    assert template.render(v=664.0627) == "JPY 664 / BHD 664.063"
