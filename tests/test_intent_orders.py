"""Purchase intent reads the orders too: a visitor whose customer has a paid order has bought,
even when her ``purchase`` event never arrived (ad blockers, server-side checkouts).

Planted truth: a shop of visitors who browse on a few days; buyers sign in at checkout and
their order is recorded a minute after the checkout step, but for a third of them the
``purchase`` event is missing. A few lookers have an order that was cancelled: they did not buy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shopperlens
from shopperlens.service import intent

START = pd.Timestamp("2025-01-01")


def _event(vid: str, at: pd.Timestamp, name: str, customer: str | None) -> dict[str, object]:
    return {"visitor_id": vid, "timestamp": at.isoformat(), "event_name": name,
            "customer_id": customer, "page": "/", "utm_source": "google", "utm_medium": "cpc",
            "device": "mobile"}  # fmt: skip


def _visitor(rng: np.random.Generator, v: int, events: list, orders: list) -> dict[str, object]:  # type: ignore[type-arg]
    """One visitor's visits (and order): interest z drives visits, product views and buying;
    a buyer (or a looker whose order is cancelled) signs in and checks out on her last visit,
    and her order is recorded a minute after its last event."""
    vid, cid = f"V{v:03d}", f"CU{v:03d}"
    z = rng.random()
    buyer = bool(rng.random() < 1 / (1 + np.exp(3 - 5 * z)))
    cancelled = not buyer and v % 10 == 0
    hidden = buyer and v % 3 == 0  # her purchase event never arrives
    visits = max(1 + int(rng.poisson(1 + 2 * z)), 2 if buyer else 1)
    day = int(rng.integers(0, 120))
    for s in range(visits):
        ts = START + pd.Timedelta(days=day, hours=int(rng.integers(8, 20)))
        checkout = s == visits - 1 and (buyer or cancelled)
        steps = ["page_view"] + ["view_item"] * int(rng.poisson(1 + 3 * z))
        if checkout:
            steps += [
                "add_to_cart",
                "begin_checkout",
                *([] if hidden or cancelled else ["purchase"]),
            ]
        for k, name in enumerate(steps):
            events.append(
                _event(vid, ts + pd.Timedelta(minutes=k), name, cid if checkout else None)
            )
        if checkout:
            orders.append(
                {"order_id": f"O{v}", "customer_id": cid,
                 "ordered_at": (ts + pd.Timedelta(minutes=len(steps))).isoformat(),
                 "product_id": "P1", "quantity": 1, "unit_price": 30.0, "currency": "EUR",
                 "status": "cancelled" if cancelled else "paid"}
            )  # fmt: skip
        day += int(rng.integers(1, 8))
    return {"visitor_id": vid, "buyer": buyer, "hidden": hidden, "cancelled": cancelled,
            "visits_before": visits - 1 if buyer else visits}  # fmt: skip


def planted_shop(tmp_path: Path, n: int = 320, seed: int = 5) -> tuple[Path, Path, pd.DataFrame]:
    """Events and orders files, and the truth per visitor: ``buyer``, ``hidden`` (her
    purchase event is missing), ``visits_before`` (visits before the one she bought in),
    ``cancelled`` (a looker whose only order was cancelled)."""
    rng = np.random.default_rng(seed)
    events: list[dict[str, object]] = []
    orders: list[dict[str, object]] = []
    truth = [_visitor(rng, v, events, orders) for v in range(n)]
    ev, od = tmp_path / "events.csv", tmp_path / "orders.csv"
    pd.DataFrame(events).to_csv(ev, index=False)
    pd.DataFrame(orders).to_csv(od, index=False)
    return ev, od, pd.DataFrame(truth).set_index("visitor_id")


@pytest.fixture(scope="module")
def shop_and_truth(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("intent_orders")
    ev, od, truth = planted_shop(tmp)
    shop = shopperlens.open(tmp / "shop.duckdb")
    shop.import_events(ev)
    shop.import_orders(od)
    yield shop, truth
    shop.close()


def test_buyers_without_a_purchase_event_are_buyers(shop_and_truth) -> None:  # type: ignore[no-untyped-def]
    shop, truth = shop_and_truth
    assert truth["hidden"].sum() >= 25 and truth["cancelled"].sum() >= 10
    features, ids, y = intent.visitor_frame(store=shop.store)
    frame = features.assign(bought=y).set_index(ids["visitor_id"].to_numpy())
    seen = truth.loc[frame.index]
    # every planted buyer in the frame is a buyer, every looker (cancelled order too) is not
    assert (frame["bought"] == seen["buyer"].astype(int)).all()
    # and a buyer's features are her visits before the one she bought in, whether or not
    # its purchase event arrived (the checkout visit was counted as one more browsing visit)
    assert (frame["sessions"] == seen["visits_before"]).all()
    assert frame.loc[seen["hidden"].to_numpy(), "checkouts"].eq(0).all()
    assert seen["hidden"].sum() >= 25


def test_only_visitors_who_never_bought_are_scored(shop_and_truth) -> None:  # type: ignore[no-untyped-def]
    shop, truth = shop_and_truth
    scored = shop.intent(save=False)
    assert len(scored) > 100
    assert not truth.loc[scored["visitor_id"], "buyer"].any()
    lookers = truth.index[~truth["buyer"]]
    assert set(scored["visitor_id"]) == set(lookers)  # the cancelled order's visitors too
