"""A repeat buyer bought on two or more days, on every face that counts them.

Two orders of one day (an item forgotten, a basket split) are one shopping trip: CLV counts
repeat purchase days and the loyalty analysis a purchase on a later day, while the front page
and the retention playbook counted orders, so one report gave two repeat-buyer counts."""

from __future__ import annotations

import pandas as pd
import pytest

from _types_shopkit import ShopKit
from shopperlens.playbooks.retention import repeat_purchase_rate
from shopperlens.service.overview import overview
from shopperlens.store import Store


def _shop() -> ShopKit:
    """c_same: two orders on day 5 (10:00 and 16:00 UTC); c_back: day 5 and day 9; c_once."""
    kit = ShopKit().customer("c_same").customer("c_back").customer("c_once")
    kit.order("c_same", 5, ("p1",))
    kit.order("c_same", 5.25, ("p3",))
    kit.order("c_back", 5, ("p1",))
    kit.order("c_back", 9, ("p2",))
    kit.order("c_once", 7, ("p1",))
    return kit


def test_the_front_page_counts_buyers_who_came_back_on_another_day(store: Store) -> None:
    _shop().write(store)
    shop = overview(store=store)
    assert (shop.orders, shop.buyers) == (5, 3)
    assert shop.repeat_share == pytest.approx(1 / 3, abs=1e-4)  # c_back only (to 4 places)


def test_the_retention_rate_counts_the_same_buyers() -> None:
    orders = pd.DataFrame(_shop().rows["orders"])
    assert repeat_purchase_rate(orders) == pytest.approx(1 / 3)
    later = orders.ordered_at.where(orders.order_id != "o1", pd.Timestamp("2025-01-20"))
    second_day = orders.assign(ordered_at=later)
    assert repeat_purchase_rate(second_day) == pytest.approx(2 / 3)  # c_same came back


def test_the_new_customers_playbook_says_the_same_count(shop) -> None:  # type: ignore[no-untyped-def]
    """A shop too small for a percentage writes the count: 1 of 3 buyers, not 2 of 3."""
    _shop().write(shop.store)
    assert "1 of all 3 buyers ordered again" in shop.playbook().markdown()


def test_the_loyal_type_counts_days_ordered_on(store: Store) -> None:
    """Four orders of one afternoon are one shopping trip: no loyal score (it read "loyal: 4
    orders in 0 days, orders come regularly, about every 0 days"). A customer who came back
    monthly is loyal, and the lead says the days when they are fewer than the orders."""
    from datetime import timedelta

    from _types_shopkit import T0
    from shopperlens.service import types as svc

    kit = ShopKit().customer("c_split").customer("c_monthly")
    for k in range(4):
        kit.order("c_split", 100 + k * 0.05, ("p1",))
    for day in (100, 100.1, 130, 160, 190, 220):
        kit.order("c_monthly", day, ("p1",))
    kit.write(store)
    df = svc.customer_types(store=store, as_of=T0 + timedelta(days=240), save=False)
    rows = df.set_index("customer_id")
    assert rows.at["c_split", "score_loyal"] == 0
    assert rows.at["c_split", "type"] != "loyal"
    assert rows.at["c_monthly", "type"] == "loyal"
    assert rows.at["c_monthly", "evidence"].startswith("6 orders on 5 days in 120 days")


def test_the_new_customers_page_says_whose_repeat_rate_it_shows(store: Store) -> None:
    """30 new customers ordered once and 10 others on two days: the shop's repeat rate is 10 of
    40 buyers, 25 %, and the new customers' own 0 %. Under the new customers' follow-up the
    rate is the shop's, so it says so and over how many buyers: a bare "25%" there read as the
    new customers' own."""
    from shopperlens.service import playbooks as svc

    kit = ShopKit()
    for i in range(40):
        kit.customer(f"c{i}")
        kit.order(f"c{i}", i, ("p1",))
        if i >= 30:
            kit.order(f"c{i}", i + 20, ("p2",))
    kit.write(store)
    types = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(40)],
            "visitor_id": None,
            "type": ["new"] * 30 + ["loyal"] * 10,
        }
    )
    follow_up = svc.playbook(store=store, types=types, type="new").actions[3]
    assert follow_up.evidence[0] == (
        "repeat-purchase rate today, of all buyers (not new customers alone): "
        "25% (10 of all 40 buyers ordered again)"
    )
