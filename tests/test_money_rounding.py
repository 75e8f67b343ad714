"""Money rounds an exact half away from zero, as people and spreadsheets round it.

Python's ``f"{v:,.0f}"`` rounds a half to the even neighbour: in one table of a playbook
page EUR 337.50 would read "EUR 338" and EUR 182.50 (EUR 365 over two customers) "EUR 182".
Every amount of money, in the playbook text and on the report pages, reads 183 there.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from shopperlens.labels import money
from shopperlens.playbooks.generator import Action, stake_text, threshold_text
from shopperlens.reports import site


@pytest.mark.parametrize(
    ("amount", "currency", "digits", "shown"),
    [
        (182.5, "EUR", 0, "EUR 183"),  # half to even said 182
        (337.5, "EUR", 0, "EUR 338"),
        (0.5, "EUR", 0, "EUR 1"),  # ... and 0
        (2.5, "JPY", 2, "JPY 3"),  # (a yen has no cents)
        (-182.5, "EUR", 0, "EUR -183"),  # away from zero, both ways
        (0.125, "EUR", 2, "EUR 0.13"),  # 0.125 is exact in binary: half to even said 0.12
        (1.005, "EUR", 2, "EUR 1.01"),  # the half as written (the float is a hair below it)
        (0.0625, "KWD", 3, "KWD 0.063"),
        (1_234_566.5, "EUR", 0, "EUR 1,234,567"),
        (182.49, "EUR", 0, "EUR 182"),  # below the half: down
        (-0.4, "EUR", 0, "EUR 0"),  # not "EUR -0"
    ],
)
def test_a_half_rounds_away_from_zero(
    amount: float, currency: str, digits: int, shown: str
) -> None:
    assert money(amount, currency, digits) == shown


def test_the_report_tables_round_halves_up() -> None:
    """The playbook page's acquisition table: 2 customers from google / cpc brought EUR 365."""
    template = site.environment().from_string(
        "{{ revenue|money('EUR') }} · {{ (revenue / customers)|money('EUR') }}"
    )
    assert template.render(revenue=365.0, customers=2) == "EUR 365 · EUR 183"


def test_the_playbook_text_rounds_halves_up() -> None:
    thr = SimpleNamespace(
        advised=True, orders=318, current=None, threshold=182.5, median_basket=337.5,
        share_near=0.19, uplift_per_order=2.125, shipping_cost_per_order=0.625,
    )  # fmt: skip
    assert threshold_text(thr, "EUR") == (
        "free shipping from EUR 183 (median basket EUR 338); 19% of orders sit just below it; "
        "+EUR 2.13 per order expected; EUR 0.63 shipping given away per order"
    )
    action = Action(
        type="loyal", number=1, title="t", evidence=[], priority=12.5, basis="b",
        audience="a", audience_size=1,
    )  # fmt: skip
    assert stake_text(action, "EUR") == "EUR 13 at stake"


@pytest.mark.parametrize(
    ("value", "digits", "rounded"),
    [(182.5, 0, 183.0), (183.5, 0, 184.0), (-182.5, 0, -183.0), (0.125, 2, 0.13), (1.005, 2, 1.01),
     (-0.4, 0, 0.0), (2.675, 2, 2.68)],
)  # fmt: skip
def test_half_up_is_the_number_fixed_writes(value: float, digits: int, rounded: float) -> None:
    from shopperlens.labels import fixed, half_up

    assert half_up(value, digits) == rounded
    assert f"{half_up(value, digits):,.{digits}f}" == fixed(value, digits)


def test_the_loyalty_bands_edges_round_halves_up() -> None:
    """First orders of EUR 100, 182.50, 337.50 and 400: the terciles fall on 182.50 and 337.50
    exactly, and the bands are cut at 183 and 338 (half to even cut at 182 and 338)."""
    import pandas as pd

    from shopperlens.playbooks.loyalty import _value_bands

    v = pd.Series([100, 182.5, 337.5, 400])
    bands = _value_bands(v, pd.Series(True, index=v.index), "EUR")
    assert bands.tolist() == ["under EUR 183", "under EUR 183", "EUR 183–338", "EUR 338 or more"]


def test_the_cli_tables_round_halves_up() -> None:
    """The CLI's tables: CLV and means per type, personas' incomes and any large figure."""
    import pandas as pd

    from shopperlens.cli._render import _fmt
    from shopperlens.cli.types import _rounded
    from shopperlens.personas.synthesis import _fmt as answer_mean

    assert (_fmt(1234.5), _fmt(12_345.5), _fmt(-2_222.5), _fmt(182.5)) == (
        "1,235", "12,346", "-2,223", "182.5"
    )  # fmt: skip
    per_type = pd.DataFrame({"mean_clv": [182.5, 183.5, float("nan")], "mean_p_alive": 0.125})
    shown = _rounded(per_type, {"mean_clv": 0, "mean_p_alive": 2})
    assert shown["mean_clv"].tolist()[:2] == [183.0, 184.0]
    assert shown["mean_p_alive"].tolist() == [0.13] * 3
    assert pd.isna(shown["mean_clv"].iloc[2])
    assert (answer_mean(182.5), answer_mean(2.25), answer_mean(1_234.5)) == ("183", "2.3", "1,235")
