"""Percentages round an exact half away from zero, as amounts do: 1 of 40 is "3 %", not the
"2 %" of Python's half-to-even, and 13 of 200 is "7 %", not "6 %"."""

from __future__ import annotations

import pytest

from shopperlens.labels import percent
from shopperlens.reports import site


@pytest.mark.parametrize(
    ("share", "digits", "shown"),
    [
        (1 / 40, 0, "3"),  # 2.5 %: half to even said 2
        (13 / 200, 0, "7"),  # 6.5 %: said 6
        (3 / 40, 0, "8"),
        (29 / 200, 0, "15"),  # 14.5 %: 100 × 0.145 is 14.499999999999998
        (1 / 3, 0, "33"),
        (2 / 3, 1, "66.7"),
        (1 / 800, 1, "0.1"),  # 0.125 %
        (0.0, 0, "0"),
        (1.0, 0, "100"),
        (-1 / 40, 0, "-3"),  # away from zero both ways
        (-0.001, 0, "0"),  # never "-0"
    ],
)
def test_a_half_rounds_away_from_zero(share: float, digits: int, shown: str) -> None:
    assert percent(share, digits) == shown


def test_the_report_pct_filter_rounds_halves_up() -> None:
    template = site.environment().from_string("{{ a|pct }} · {{ b|pct }} · {{ c|pct(1) }}")
    assert template.render(a=1 / 40, b=13 / 200, c=1 / 800) == "3 % · 7 % · 0.1 %"


def test_the_types_chart_and_the_survey_gaps_agree_with_the_filter() -> None:
    import pandas as pd

    from shopperlens.reports import pages_surveys, pages_types

    dist = pd.DataFrame({"type": ["loyal", "new"], "subjects": [1, 39], "share": [1 / 40, 39 / 40]})
    assert pages_types._bar_label(dist) == (
        "Customers and visitors per type: Loyal 1 (3 %), New 39 (98 %)."
    )
    assert pages_surveys._shown_points(13 / 200) == 7


def test_the_survey_crosscheck_says_points_half_up() -> None:
    from shopperlens.surveys import crosscheck

    assert crosscheck._pct(1 / 40) == "3 %"
    assert crosscheck._points(1 / 40) == "3 points"


def test_the_playbooks_sentences_round_a_half_away_from_zero_too() -> None:
    """The playbooks' shares ("3% of", the loyalty traits' "3 %") follow the same rule: they
    rounded 1 of 40 to "2%" beside pages saying "3 %"."""
    from shopperlens.playbooks import generator, loyalty

    assert generator._of(1, 40) == "3% of"
    assert loyalty._share(13, 200) == "7%"
