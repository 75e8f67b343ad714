"""The plain-words evidence states what the planted data hold, in calendar days.

Each shop here is planted with exact order times, so every figure the evidence should say is
known from the dates alone: the days from an order to the as-of date (a midnight, as every
face's dates are) are the calendar days between them, the span of a loyal customer's orders is
first to last order, and a "loyal at risk" sentence counts the quiet days once, to the types'
own as-of date. The expected figures are computed from the planted dates, never read back.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from _types_shopkit import ShopKit, insert_frames
from shopperlens.service import types as svc
from shopperlens.service.clv import MODEL_VERSION
from shopperlens.store import Store
from shopperlens.types import evidence


def order_at(kit: ShopKit, cid: str, when: datetime, product: str = "p2") -> None:
    """One order of ``product`` by ``cid`` placed exactly at ``when`` (ShopKit's ``order``
    places orders at 11:00 only)."""
    kit.order(cid, 0, (product,))
    kit.rows["orders"][-1]["ordered_at"] = when


def typed(store: Store, as_of: date) -> dict[str, dict[str, Any]]:
    df = svc.customer_types(store=store, as_of=as_of, save=False)
    key = df["customer_id"].fillna("visitor:" + df["visitor_id"].astype(str))
    return dict(zip(key, df.to_dict("records"), strict=True))


def days(text: str) -> str:
    """``"N days"``, or ``"1 day"``: how a person writes a count of days."""
    return text if not text.startswith("1 ") else text.replace("days", "day")


def calendar(later: date, earlier: datetime) -> int:
    """Calendar days from ``earlier``'s date to ``later``: what "N days ago" means to a reader."""
    return (later - earlier.date()).days


# --- "N days ago" counts calendar days, never 0 for an order of the day before -----------------

AS_OF = date(2025, 1, 2)  # a run as of 2 January sees the data up to 1 January, 24:00


def test_days_ago_are_calendar_days_to_the_as_of_date(store: Store) -> None:
    """An order the evening before the as-of date was "1 day ago" (np.rint said 0), and one
    2.5 days before it was placed three dates back (rint's half-to-even said 2)."""
    planted = {
        "c_eve": datetime(2025, 1, 1, 23, 0),  # 1 hour before the as-of midnight
        "c_noon": datetime(2024, 12, 31, 12, 0),  # 1.5 days before
        "c_two": datetime(2024, 12, 30, 12, 0),  # 2.5 days before
    }
    kit = ShopKit()
    for cid, when in planted.items():
        kit.customer(cid)
        order_at(kit, cid, when)
    # a customer of old whose first jacket came 2.5 days before: new in a category
    kit.customer("c_cat")
    order_at(kit, "c_cat", datetime(2024, 6, 1, 12, 0), "p2")
    order_at(kit, "c_cat", datetime(2024, 12, 30, 12, 0), "p3")
    kit.write(store)
    rows = typed(store, AS_OF)
    said = {cid: rows[cid]["evidence"] for cid in [*planted, "c_cat"]}
    expected = {cid: calendar(AS_OF, when) for cid, when in planted.items()}
    assert expected == {"c_eve": 1, "c_noon": 2, "c_two": 3}  # the planted truth itself
    for cid, n in expected.items():
        assert rows[cid]["type"] == "new"
        assert said[cid].startswith(f"first order {days(f'{n} days')} ago"), said[cid]
    assert rows["c_cat"]["type"] == "new"
    assert said["c_cat"].startswith("first purchase in jackets 3 days ago"), said["c_cat"]


# --- a loyal customer's orders: their span, the tenure and the quiet days, each true -----------


def five_monthly_orders(kit: ShopKit, cid: str, last: datetime) -> list[datetime]:
    """Five orders 30 days apart, the last at ``last``: a span of 120 days, first to last."""
    kit.customer(cid)
    when = [last - timedelta(days=30 * (4 - j)) for j in range(5)]
    for t in when:
        order_at(kit, cid, t)
    return when


def quiet_days(evidence: str) -> list[int]:
    """Every count of days since the last order the evidence states."""
    return [int(n) for n in re.findall(r"(?:no order for|last order) ([\d,]+) days?", evidence)]


def test_loyal_evidence_gives_the_span_of_the_orders_not_the_tenure(store: Store) -> None:
    """5 orders within 120 days a year ago read "5 orders over 486 days": the 486 were from
    the first order to the as-of date."""
    as_of = date(2025, 6, 30)
    kit = ShopKit()
    old = five_monthly_orders(kit, "c_old", datetime(2024, 6, 29, 12, 0))
    recent = five_monthly_orders(kit, "c_now", datetime(2025, 5, 31, 12, 0))
    kit.write(store)
    rows = typed(store, as_of)
    for cid, when in (("c_old", old), ("c_now", recent)):
        row = rows[cid]
        assert row["type"] == "loyal"
        span = (when[-1].date() - when[0].date()).days
        tenure = calendar(as_of, when[0])
        assert span == 120
        assert row["evidence"].startswith(
            f"5 orders in {span} days (first to last), first order {tenure} days ago"
        ), row["evidence"]
        assert quiet_days(row["evidence"]) == [calendar(as_of, when[-1])], row["evidence"]
    assert "lapsing" in rows["c_old"]["evidence"]  # 366 days without an order
    assert "lapsing" not in rows["c_now"]["evidence"]


def test_the_tenure_is_the_first_orders_age_not_how_long_the_account_is(store: Store) -> None:
    """The tenure counts from the first order on record, while the account (``created_at``)
    can be years older: "customer for 30 days" of a customer registered in 2019 was false.
    The loyal lead and the tenure signal both say what it measures."""
    as_of = date(2025, 6, 30)
    kit = ShopKit()
    when = five_monthly_orders(kit, "c1", datetime(2025, 5, 31, 12, 0))
    kit.rows["customers"][-1]["created_at"] = datetime(2019, 3, 1)
    kit.write(store)
    row = typed(store, as_of)["c1"]
    tenure = calendar(as_of, when[0])
    assert row["type"] == "loyal" and tenure < 365
    assert f"first order {tenure} days ago" in row["evidence"], row["evidence"]
    assert "customer for" not in row["evidence"], row["evidence"]
    said = evidence.sentences("tenure_days", pd.DataFrame({"tenure_days": [348.0, 0.5]}))
    assert said.tolist() == ["first order 348 days ago", "first order 1 day ago"]


def test_a_regular_gap_of_two_and_a_half_days_is_about_three(store: Store) -> None:
    """Orders every 2.5 days read "about every 2 days" (half to even); an average is
    rounded to the nearest day, halves up."""
    kit = ShopKit().customer("c1")
    first = datetime(2024, 9, 1, 12, 0)
    for k in range(3):
        order_at(kit, "c1", first + timedelta(days=2.5 * k))
    kit.write(store)
    row = typed(store, date(2024, 12, 1))["c1"]
    assert row["type"] == "loyal"
    assert "orders come regularly, about every 3 days" in row["evidence"], row["evidence"]


def plant_clv_run(store: Store, run_day: date, rows: list[dict[str, Any]]) -> None:
    """A stored CLV run as of ``run_day`` with the given figures (the model itself is tested
    elsewhere: here only what the evidence makes of its P(alive) and flag)."""
    frame = pd.DataFrame(rows).assign(
        as_of=pd.Timestamp(run_day), horizon_days=365, monetary_value=50.0,
        expected_purchases=0.1, next_order_days=None, expected_spend=50.0,
        computed_at=pd.Timestamp("2025-06-30 08:00"), model_version=MODEL_VERSION,
    )  # fmt: skip
    insert_frames(store, {"customer_value": frame})


def test_loyal_at_risk_counts_the_quiet_days_once_to_the_types_date(store: Store) -> None:
    """The CLV part counted the days without an order to the CLV run's date (365), the types
    part to the types' as-of date (366), in one sentence; now they are said once, to the
    types' date, and the CLV part gives its P(alive)."""
    as_of = date(2025, 6, 30)
    kit = ShopKit()
    old = five_monthly_orders(kit, "c_old", datetime(2024, 6, 29, 12, 0))
    recent = five_monthly_orders(kit, "c_now", datetime(2025, 5, 31, 12, 0))
    kit.write(store)
    # the shop's current run: as of its last order day (31 May), a month before the types
    plant_clv_run(
        store,
        date(2025, 5, 31),
        [
            {"customer_id": "c_old", "frequency": 4.0, "recency": 120.0, "T": 485.0,
             "p_alive": 0.03, "clv": 3.7, "at_risk": True},
            {"customer_id": "c_now", "frequency": 4.0, "recency": 120.0, "T": 149.0,
             "p_alive": 0.2, "clv": 30.0, "at_risk": True},
        ],
    )  # fmt: skip
    df = svc.customer_types(store=store, as_of=as_of, save=False).set_index("customer_id")
    for cid, when, p in (("c_old", old, "0.03"), ("c_now", recent, "0.20")):
        assert bool(df.at[cid, "loyal_at_risk"])
        said = str(df.at[cid, "evidence"])
        assert said.startswith(f"loyal at risk: P(alive) {p} "), said
        assert quiet_days(said) == [calendar(as_of, when[-1])], said


# --- a looker's carts: what the figure counts --------------------------------------------------


def test_a_lookers_carts_are_counted_as_visits_with_a_cart(store: Store) -> None:
    """Adding the same product in 3 visits without buying read "3 carts filled and
    abandoned": the figure counts visits with a cart and no purchase."""
    kit = ShopKit()
    for day in (1, 4, 9):
        kit.visit("v3", day, pages=3, views=("p1", "p3", "p4"), cart=("p3",), minutes=20)
    kit.visit("v1", 2, pages=3, views=("p1", "p3", "p4"), cart=("p3",), minutes=20)
    kit.write(store)
    rows = typed(store, date(2025, 2, 1))
    three, one = rows["visitor:v3"], rows["visitor:v1"]
    assert three["type"] == one["type"] == "looker"
    assert "filled a cart in 3 visits without buying" in three["evidence"], three["evidence"]
    assert "filled a cart in 1 visit without buying" in one["evidence"], one["evidence"]
    assert "abandoned" not in three["evidence"] + one["evidence"]
