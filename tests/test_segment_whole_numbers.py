"""A segment's whole numbers stay within 64 bits, or the segment is refused in one sentence.

pandas' integer columns are 64-bit: ``orders + 9223372036854775807 > 0`` wrapped round and
selected the customers with no orders, and ``orders + 99999999999999999999 > 0`` was refused
as "text with a number". Never a wrong answer: a number or a sum beyond them is refused.
"""

from __future__ import annotations

import pytest

import shopperlens
from shopperlens.errors import ShopperlensError
from shopperlens.service import playbooks
from test_segment_and_survey_upload import _buyers

BEYOND = "is beyond the whole numbers a segment can hold"


def _selected(shop: shopperlens.Shop, segment: str) -> list[str]:
    chosen = playbooks.audience_customers(store=shop.store, segment=segment)
    return sorted(chosen.customer_id)


@pytest.mark.parametrize(
    "segment",
    [
        "orders > 99999999999999999999",
        "orders < -99999999999999999999",
        "orders in [1, 99999999999999999999]",
        "orders + 99999999999999999999 > 0",
        "orders + 9223372036854775807 > 0",
        "orders * 9223372036854775807 > 0",
        "orders - 9223372036854775807 - 2 < 0",
        "orders == 9223372036854775807 * 2",
    ],
)
def test_a_whole_number_beyond_64_bits_is_refused(shop: shopperlens.Shop, segment: str) -> None:
    _buyers(shop.store)
    with pytest.raises(ShopperlensError, match=BEYOND) as err:
        _selected(shop, segment)
    assert "\n" not in str(err.value) and "text" not in str(err.value)


def test_numbers_up_to_64_bits_still_select_whom_they_say(shop: shopperlens.Shop) -> None:
    _buyers(shop.store)  # c1 one order, c2 two, c3 none
    assert _selected(shop, "orders < 9223372036854775807") == ["c1", "c2", "c3"]
    assert _selected(shop, "orders > -9223372036854775807") == ["c1", "c2", "c3"]
    assert _selected(shop, "orders * 4611686018427387903 > 0") == ["c1", "c2"]
    assert _selected(shop, "orders - 9223372036854775807 < 0") == ["c1", "c2", "c3"]
    assert _selected(shop, "revenue * 9223372036854775807 > 0") == ["c1", "c2"]
    assert _selected(shop, "orders > 1e20") == []  # a decimal is compared as one
