"""Buying visits from the orders when the events hold no purchase (a tracker that misses the
checkout): the visit an order was placed in bought, as the playbooks pair them."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sklearn.metrics import f1_score

from _demo_data import demo_shop as cached_demo_shop
from _types_shopkit import T0, ShopKit, insert_frames
from shopperlens import demo as demo_shop
from shopperlens.features import behaviour_features
from shopperlens.service import types as svc
from shopperlens.store import Store, connect
from shopperlens.types import load_config
from test_types_demo import _match

AS_OF = T0 + timedelta(days=60)


def _order(store: Store, oid: str, cid: str, at, status: str | None = None) -> None:  # type: ignore[no-untyped-def]
    insert_frames(
        store,
        {
            "orders": pd.DataFrame(
                [{"order_id": oid, "customer_id": cid, "ordered_at": at, "status": status}]
            ),
            "order_lines": pd.DataFrame(
                [{"order_id": oid, "line_no": 1, "product_id": "p3", "quantity": 1,
                  "unit_price": 180.0, "product_name": "Rain Jacket Pro", "category": "jackets"}]
            ),
        },
    )  # fmt: skip


def _features(store: Store) -> pd.DataFrame:
    spec = load_config().feature_spec()
    return behaviour_features(store, as_of=AS_OF, spec=spec).execute().set_index("subject_id")


def test_an_order_makes_the_visit_it_was_placed_in_a_buying_visit(store: Store) -> None:
    kit = ShopKit().customer("c1", "v1").customer("c2", "v2")
    # c1: a campaign visit that carted and ordered 10 minutes after its last event
    kit.visit("v1", 1, medium="paid_social", campaign="flash", views=("p3",), cart=("p3",),
              minutes=4)  # fmt: skip
    # c2: visits at the same time, but its order came 45 minutes after the visit: no pairing
    kit.visit("v2", 1, cart=("p3",), minutes=4)
    kit.write(store)
    _order(store, "o1", "c1", T0 + timedelta(days=1, minutes=14))
    _order(store, "o2", "c2", T0 + timedelta(days=1, minutes=49))
    f = _features(store)
    c1 = f.loc["c1"]
    assert (c1["purchase_visits"], c1["abandoned_carts"]) == (1, 0)
    assert c1["campaign_purchases"] == 1  # the impulse signal reads the order's visit
    assert c1["focused_purchases"] == 1  # one product viewed
    assert c1["minutes_to_purchase"] == pytest.approx(14)
    c2 = f.loc["c2"]
    assert (c2["purchase_visits"], c2["abandoned_carts"]) == (0, 1)
    assert pd.isna(c2["minutes_to_purchase"])


def test_what_the_order_bought_answers_the_search(store: Store) -> None:
    """A visit from the search "rain jacket pro" that viewed it and ordered it (no cart or
    purchase event tracked) bought the product it searched for."""
    kit = ShopKit().customer("c1", "v1").customer("c2", "v2")
    kit.visit("v1", 1, medium="organic", term="rain jacket pro", views=("p3",), minutes=4)
    kit.visit("v2", 1, medium="organic", term="rain jacket pro", views=("p3",), minutes=4)
    kit.write(store)
    _order(store, "o1", "c1", T0 + timedelta(days=1, minutes=10))  # the jacket
    insert_frames(
        store,
        {
            "orders": pd.DataFrame(
                [{"order_id": "o2", "customer_id": "c2",
                  "ordered_at": T0 + timedelta(days=1, minutes=10)}]
            ),
            "order_lines": pd.DataFrame(
                [{"order_id": "o2", "line_no": 1, "product_id": "p2", "quantity": 1,
                  "unit_price": 15.0, "product_name": "Merino Wool Socks", "category": "socks"}]
            ),
        },
    )  # fmt: skip
    f = _features(store)
    assert (f.at["c1", "searched_purchases"], f.at["c1", "search_matched_purchases"]) == (1, 1)
    # socks do not answer a search for a jacket
    assert (f.at["c2", "searched_purchases"], f.at["c2", "search_matched_purchases"]) == (1, 0)


def test_a_second_devices_short_visit_does_not_hide_the_visit_an_order_came_from(
    store: Store,
) -> None:
    """A laptop visit 70 minutes long, a phone visit begun meanwhile and over 37 minutes before
    the order: the order was placed in the laptop visit (as the playbooks pair it)."""
    kit = ShopKit().customer("c1", "v1")
    kit.visit("v1", 1, medium="paid_social", campaign="flash", cart=("p3",), minutes=70)
    kit.visit("v2", 1 + 30 / 1440, pages=2, minutes=5, customer="c1")  # signed in on the phone
    kit.write(store)
    _order(store, "o1", "c1", T0 + timedelta(days=1, minutes=72))
    c1 = _features(store).loc["c1"]
    assert (c1["purchase_visits"], c1["abandoned_carts"], c1["campaign_purchases"]) == (1, 0, 1)
    assert c1["minutes_to_purchase"] == pytest.approx(72)


def test_an_order_a_purchase_event_stands_for_adds_no_buying_visit(store: Store) -> None:
    kit = ShopKit().customer("c1", "v1")
    kit.visit("v1", 1, cart=("p3",), buy=("p3",), minutes=4)  # its purchase event
    kit.visit("v1", 1.1, cart=("p3",), minutes=4)  # a later visit the same day, no event
    kit.write(store)
    # the order is recorded 3 hours after the purchase event (another clock), inside the
    # second visit's window: the event stands for it
    _order(store, "o1", "c1", T0 + timedelta(days=1.1, minutes=5))
    c1 = _features(store).loc["c1"]
    assert (c1["purchase_visits"], c1["abandoned_carts"]) == (1, 1)


def test_an_order_given_by_its_day_belongs_to_the_last_visit_of_that_day(store: Store) -> None:
    kit = ShopKit().customer("c1", "v1")
    kit.visit("v1", 1, views=("p1", "p2", "p3", "p4"), cart=("p3",), minutes=4)  # 10:00
    kit.visit("v1", 1.25, views=("p3",), cart=("p3",), minutes=4)  # 16:00, the last that day
    kit.visit("v1", 2, cart=("p3",), minutes=4)  # the next day
    kit.write(store)
    _order(store, "o1", "c1", (T0 + timedelta(days=1)).replace(hour=0, minute=0))
    c1 = _features(store).loc["c1"]
    assert (c1["purchase_visits"], c1["abandoned_carts"]) == (1, 2)
    assert c1["focused_purchases"] == 1  # the 16:00 visit viewed one product, not four
    assert pd.isna(c1["minutes_to_purchase"])  # the time of day is unknown


def test_a_purchase_event_the_next_morning_stands_for_an_order_given_by_its_day(
    store: Store,
) -> None:
    """An order dated 2 January (its day only) and its purchase event at 04:05 UTC on the 3rd
    (an evening purchase west of UTC): 28 hours after the midnight, 4 after the day ended.
    The event stands for the order; the cart visit of the 2nd did not buy as well."""
    kit = ShopKit().customer("c1", "v1")
    kit.visit("v1", 1 + 8 / 24, cart=("p3",), minutes=4)  # 2 Jan 18:00
    kit.visit("v1", 2 - 6 / 24, cart=("p3",), buy=("p3",), minutes=4)  # 3 Jan 04:00
    kit.write(store)
    _order(store, "o1", "c1", (T0 + timedelta(days=1)).replace(hour=0, minute=0))
    c1 = _features(store).loc["c1"]
    assert (c1["purchase_visits"], c1["abandoned_carts"]) == (1, 1)


def test_an_order_that_is_no_purchase_makes_no_buying_visit(store: Store) -> None:
    ShopKit().customer("c1", "v1").visit("v1", 1, cart=("p3",), minutes=4).write(store)
    _order(store, "o1", "c1", T0 + timedelta(days=1, minutes=10), status="Cancelled")
    c1 = _features(store).loc["c1"]
    assert (c1["purchase_visits"], c1["abandoned_carts"]) == (0, 1)


@pytest.fixture(scope="module")
def demos() -> tuple:  # type: ignore[type-arg]
    """The demo shop twice: as generated, and with every purchase event taken out."""
    demo = cached_demo_shop(1500)
    full, bare = connect(":memory:"), connect(":memory:")
    demo_shop.load(full, demo)
    demo_shop.load(bare, demo)
    assert bare.scalar("SELECT count(*) FROM events WHERE event_name = 'purchase'") > 1000
    bare.execute("DELETE FROM events WHERE event_name = 'purchase'")
    yield demo, full, bare
    full.close()
    bare.close()


def test_demo_types_hold_without_purchase_events(demos) -> None:  # type: ignore[no-untyped-def]
    """Planted truth: the types of the demo shop are recovered from its orders alone (without
    the pairing, 30 of its 240 impulse buyers read as loyal and macro-F1 fell to 0.81)."""
    demo, _, bare = demos
    m = _match(demo.truth_types, svc.customer_types(store=bare, save=False))
    assert f1_score(m["type_true"], m["type_pred"], average="macro") >= 0.98, m.groupby(
        ["type_true", "type_pred"]
    ).size()


def test_demo_purchase_features_equal_with_and_without_events(demos) -> None:  # type: ignore[no-untyped-def]
    _, full, bare = demos
    spec = load_config().feature_spec()
    at = svc.default_as_of(full)
    a = behaviour_features(full, as_of=at, spec=spec).execute().set_index("subject_id")
    b = behaviour_features(bare, as_of=at, spec=spec).execute().set_index("subject_id")
    cols = ["purchase_visits", "abandoned_carts", "focused_purchases", "campaign_purchases",
            "searched_purchases", "search_matched_purchases"]  # fmt: skip
    assert a["purchase_visits"].sum() > 3000
    pd.testing.assert_frame_equal(a[cols], b[cols])
    # the order comes after the last tracked event, so the time to buy is the same or longer
    bought = a["minutes_to_purchase"].notna()
    assert b["minutes_to_purchase"].notna().eq(bought).all()
    assert (b["minutes_to_purchase"][bought] >= a["minutes_to_purchase"][bought] - 1e-6).all()
