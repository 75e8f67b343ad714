"""A types run is decorated only with value runs that saw no later data than it did.

The CLV run counts the orders up to the end of its ``as_of`` day; a types run as of an earlier
moment (data before it) must not show P(alive), CLV or "loyal at risk" computed with orders
it does not see — the run was joined up to 31 days either side — and its page says why. The
intent run (no date of its own: the shop's latest data) follows the same rule.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

import shopperlens
from shopperlens.service import clv
from shopperlens.service import types as svc
from shopperlens.service.types_value import value_note
from test_clv_currency import planted_orders


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[shopperlens.Shop]:
    """The planted orders, a looker's visits, a stored CLV run (as of the last order day)
    and a stored intent run scoring the looker."""
    tmp = tmp_path_factory.mktemp("window")
    orders = planted_orders().assign(product_id="P1", quantity=1, currency="EUR", status="paid")
    orders = orders.rename(columns={"value": "unit_price"})
    orders.to_csv(tmp / "orders.csv", index=False)
    last = pd.Timestamp(orders["ordered_at"].max())
    visits = [last - pd.Timedelta(days=d) for d in (60, 40, 20)]
    pd.DataFrame(
        {"event_id": [f"e{i}" for i in range(3)], "visitor_id": "v1", "event_name": "page_view",
         "timestamp": [t.isoformat() for t in visits], "page": "/"}
    ).to_csv(tmp / "events.csv", index=False)  # fmt: skip
    with shopperlens.open(tmp / "shop.duckdb") as s:
        s.import_orders(tmp / "orders.csv")
        s.import_events(tmp / "events.csv")
        clv.customer_value(store=s.store, save=True)
        s.store.execute(
            "INSERT INTO visitor_intent VALUES ('v1', NULL, NULL, 0.3, 'sessions +0.1', now())"
        ).fetchall()
        yield s


def _run_day(shop: shopperlens.Shop) -> pd.Timestamp:
    return pd.Timestamp(shop.store.scalar("SELECT max(as_of) FROM customer_value"))


def test_only_a_run_dated_on_or_before_the_types_is_joined(shop: shopperlens.Shop) -> None:
    run = _run_day(shop)
    # types as of 10 days before the run: the old 31-day window joined it
    for as_of in (run - pd.Timedelta(days=10), run):  # the run's own day: its orders count
        typed = svc.customer_types(store=shop.store, as_of=as_of.to_pydatetime(), save=False)
        assert typed["clv"].isna().all() and typed["p_alive"].isna().all(), as_of
        assert not typed["loyal_at_risk"].any()
        assert typed["intent"].isna().all()
        note = value_note(store=shop.store, as_of=as_of.to_pydatetime())
        assert note.startswith(f"the stored customer-value run is as of {run:%Y-%m-%d}, later")
        assert "counts orders they do not see" in note
    # a run dated on or before the types, within 31 days, is joined
    for as_of in (run + pd.Timedelta(days=1), run + pd.Timedelta(days=31)):
        typed = svc.customer_types(store=shop.store, as_of=as_of.to_pydatetime(), save=False)
        buyers = typed["customer_id"].notna()
        assert typed.loc[buyers, "clv"].notna().all(), as_of
        assert value_note(store=shop.store, as_of=as_of.to_pydatetime()) == ""
    # the intent run is as of the latest data (the day after the last order): joined then
    typed = svc.customer_types(store=shop.store, save=False)
    assert typed.set_index("visitor_id").loc["v1", "intent"] == pytest.approx(0.3)
    # older than the window: not joined, and said so
    late = (run + pd.Timedelta(days=33)).to_pydatetime()
    assert svc.customer_types(store=shop.store, as_of=late, save=False)["clv"].isna().all()
    assert "more than 31 days from these types" in value_note(store=shop.store, as_of=late)
