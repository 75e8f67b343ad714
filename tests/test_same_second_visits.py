"""An order placed while two of the customer's visits began in the same second (two devices, or
an export rounded to the minute) belongs to one of them by a rule, the greatest visit id: the
pairing took either, and DuckDB and Spark took different ones, so a campaign buyer counted as
a search buyer on one engine and the other way round on the other."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from _types_shopkit import T0, ShopKit
from shopperlens.features import behaviour_features
from shopperlens.playbooks import traffic
from shopperlens.store import Store

AS_OF = T0 + timedelta(days=30)


def _two_devices(store: Store, campaign_first: bool) -> None:
    """c1 opens a campaign visit and a search visit in the same second and orders an hour
    later, within 30 minutes of both visits' end; no purchase event names the order."""
    kit = ShopKit()
    kit.customer("c1", "v1")
    visits = [
        {"medium": "paid_social", "campaign": "flash"},
        {"medium": "organic", "term": "rain"},
    ]
    for extra in visits if campaign_first else visits[::-1]:
        kit.visit("v1", 0, pages=3, minutes=50, customer="c1", **extra)  # type: ignore[arg-type]
    kit.order("c1", 0, ("p3",))
    kit.write(store)


@pytest.mark.parametrize("campaign_first", [True, False])
def test_the_order_goes_to_the_visit_with_the_greatest_id(store: Store, campaign_first) -> None:  # type: ignore[no-untyped-def]
    _two_devices(store, campaign_first)
    sessions = store.df(
        "SELECT session_id, max(utm_medium) AS utm_medium, max(customer_id) AS customer_id, "
        "min(timestamp) AS started_at, max(timestamp) AS ended_at FROM events GROUP BY 1 "
        "ORDER BY 1"
    )
    assert len(sessions) == 2 and sessions.started_at.nunique() == 1
    last = sessions.iloc[-1]  # the greatest id, as text
    f = behaviour_features(store, as_of=AS_OF).execute().set_index("subject_id").loc["c1"]
    campaign = last.utm_medium == "paid_social"
    assert f["campaign_purchase_share"] == (1.0 if campaign else 0.0)
    # the playbooks place it in the same visit
    orders = store.df("SELECT order_id, customer_id, ordered_at FROM orders")
    ended = sessions.set_index("session_id").ended_at
    paired = traffic._sessions_of_orders(orders, sessions[::-1], ended)  # in either order
    assert paired.session_id.tolist() == [last.session_id]


@pytest.mark.spark
@pytest.mark.parametrize("campaign_first", [True, False])
def test_spark_places_it_in_the_same_visit(store: Store, spark, campaign_first) -> None:  # type: ignore[no-untyped-def]
    from shopperlens.store.spark import spark_source

    _two_devices(store, campaign_first)
    duck = behaviour_features(store, as_of=AS_OF).execute()
    with spark_source(store, spark) as src:
        sp = behaviour_features(src, as_of=AS_OF).execute()
    pd.testing.assert_frame_equal(
        duck.reset_index(drop=True), sp.reset_index(drop=True), check_dtype=False, rtol=1e-9
    )
