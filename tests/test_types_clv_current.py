"""The types' CLV figures come from the shop's current CLV run, as the report's do.

A year of orders (``test_report_value_run._history``: steady buyers, loyal customers who
stopped, one-time buyers) and ``solo``, who ordered once. ``shopperlens clv`` stores its run;
then a week later's file cancels solo's only order and brings an order from each of two
lapsing loyal customers. The stored run is a week old, within the 31 days the types accepted,
so they kept joining it: solo kept a CLV and a P(alive) next to "no order", the two who had
just ordered stayed "loyal at risk", and ``shopperlens types`` counted otherwise before and
after a report or playbook replaced the run.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import shopperlens
from shopperlens.errors import ShopperlensError
from shopperlens.reports import site
from shopperlens.service import clv, types_value, value_run
from shopperlens.service.types import select
from shopperlens.service.types_value import frame_as_of, value_by_type
from test_report_value_run import COMEBACK, START, _history

#: the customer whose only order is cancelled after the CLV run
SOLO = "solo"
SOLO_ORDER = ("solo1", SOLO, f"{START + pd.Timedelta(days=300):%Y-%m-%d}", "P1", 70.0)
#: the day after the history's last order: the week-later file's orders are on this day
LATE = START + pd.Timedelta(days=370)
COLUMNS = "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency,status\n"


def _csv(rows: list[tuple[str, str, str, str, float]], status: str = "paid") -> str:
    return COLUMNS + "".join(f"{o},{c},{d},{p},1,{v},EUR,{status}\n" for o, c, d, p, v in rows)


def _shop(tmp_path: Path, path: Path | str = ":memory:") -> shopperlens.Shop:
    """The shop after the week-later file, with the CLV run stored before it."""
    shop = shopperlens.open(path)
    first = tmp_path / "orders.csv"
    first.write_text(_csv([*_history(), SOLO_ORDER]))
    shop.import_orders(first)
    stored = clv.customer_value(store=shop.store, save=True)  # as `shopperlens clv` leaves it
    assert SOLO in set(stored["customer_id"])
    assert set(COMEBACK) <= set(stored.loc[stored["at_risk"], "customer_id"])
    later = tmp_path / "week.csv"
    comeback = [(f"late{i}", c, f"{LATE:%Y-%m-%d}", "P1", 80.0) for i, c in enumerate(COMEBACK)]
    later.write_text(_csv([SOLO_ORDER], "cancelled") + _csv(comeback).removeprefix(COLUMNS))
    shop.import_orders(later)
    run_day = pd.Timestamp(shop.sql("SELECT max(as_of) AS d FROM customer_value")["d"][0])
    assert (LATE - run_day).days <= types_value.MATCH_DAYS  # the run was still joined
    return shop


def test_types_join_the_current_run_not_one_fitted_before_the_last_import(tmp_path) -> None:  # type: ignore[no-untyped-def]
    shop = _shop(tmp_path)
    typed = shop.types().set_index("customer_id")
    assert pd.isna(typed.at[SOLO, "clv"]) and pd.isna(typed.at[SOLO, "p_alive"])
    for who in COMEBACK:  # they ordered yesterday: not at risk
        assert typed.at[who, "p_alive"] >= clv.AT_RISK_P_ALIVE
        assert not typed.at[who, "at_risk"] and not typed.at[who, "loyal_at_risk"]
    assert value_run.is_current(store=shop.store)

    ex = shop.explain_type(SOLO)
    assert ex.clv is None and ex.p_alive is None and ex.at_risk is None
    shop.close()


def test_types_count_as_the_report_does_whichever_runs_first(tmp_path) -> None:  # type: ignore[no-untyped-def]
    shop = _shop(tmp_path)
    before = value_by_type(shop.types())
    page = site.find("playbook-loyal")
    assert page is not None
    page.build(shop.store, None)  # replaces a CLV run that is not current
    after = value_by_type(shop.types())
    pd.testing.assert_frame_equal(before, after)
    assert before["mean_clv"].notna().any()
    shop.close()


def test_past_types_keep_the_run_that_matches_their_date(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Types as of an earlier date join a run of that date (POST /api/jobs/clv with its day)
    within 31 days, as the README says, and leave it stored; the current types then replace it."""
    shop = _shop(tmp_path)
    day = START + pd.Timedelta(days=299)
    clv.customer_value(store=shop.store, as_of=day, save=True)
    past = shop.types(day + pd.Timedelta(days=1))
    assert past["clv"].notna().sum() > 100
    assert pd.Timestamp(shop.sql("SELECT max(as_of) AS d FROM customer_value")["d"][0]) == day
    now = shop.types().set_index("customer_id")
    assert pd.isna(now.at[SOLO, "clv"]) and value_run.is_current(store=shop.store)
    shop.close()


def test_read_only_types_leave_a_run_that_is_not_current_out_and_say_why(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "shop.duckdb"
    _shop(tmp_path, path).close()
    with shopperlens.open(path, read_only=True) as shop:
        typed = shop.latest_types()
        assert typed["clv"].isna().all() and typed["loyal_at_risk"].isna().all()
        why = types_value.value_note(store=shop.store, as_of=frame_as_of(typed))
        assert why == value_run.READ_ONLY_VALUE
        assert not value_run.is_current(store=shop.store)  # nothing was stored


def test_a_failing_clv_model_leaves_the_types_standing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every customer but solo cancels too: the orders no longer pass the CLV model's
    minimum-data gate, so no current run can be fitted. The types are read all the same,
    without figures from the run that described the orders before."""
    shop = _shop(tmp_path)
    gone = tmp_path / "cancelled.csv"
    gone.write_text(_csv(_history(), "cancelled"))
    shop.import_orders(gone)
    typed = shop.types()
    assert len(typed) > 100
    assert "clv" not in typed.columns or typed["clv"].isna().all()
    with pytest.raises(ShopperlensError, match="cannot select loyal_at_risk"):
        select(typed, "loyal_at_risk", store=shop.store)
    shop.close()
