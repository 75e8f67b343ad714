"""Which stored run is the shop's current one: the run as of the day after its newest data,
computed after the last import. What-if runs as of other dates and runs made before an import
must never stand in for it (the report, playbooks and audiences all read it)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

import shopperlens
from _ingest_data import CUSTOMERS, EVENTS, ORDERS, write
from _types_shopkit import ShopKit
from shopperlens.errors import NotFoundError
from shopperlens.features import default_as_of
from shopperlens.reports.site import write_report
from shopperlens.service import playbooks
from shopperlens.service import types as svc
from shopperlens.service.types_value import frame_as_of
from shopperlens.store import Store
from test_types_faces import story


def test_a_future_what_if_run_is_not_the_current_one(store: Store, tmp_path: Path) -> None:
    story(ShopKit()).write(store)
    current = svc.latest_types(store=store)
    now = default_as_of(store)
    assert frame_as_of(current) == now
    what_if = svc.customer_types(store=store, as_of="2999-01-01")
    assert list(what_if["evidence"]) != list(current["evidence"])  # "no order for 355491 days"
    again = svc.latest_types(store=store)
    assert frame_as_of(again) == now
    assert again.attrs["run_id"] == current.attrs["run_id"]
    assert svc.run_dates(store=store) == [now]
    audience = playbooks.audience_customers(store=store, type="loyal")
    assert list(audience["customer_id"]) == ["c1"]
    assert svc.latest_types(store=store)["evidence"].tolist() == current["evidence"].tolist()
    write_report(store, tmp_path)
    data = json.loads((tmp_path / "types.json").read_text())
    assert data["as_of"].startswith(f"{now:%Y-%m-%d}")
    assert data["runs"] == [f"{now:%Y-%m-%d}"]


def test_runs_made_before_an_import_are_not_shown(tmp_path: Path) -> None:
    with shopperlens.open(":memory:") as shop:
        shop.import_customers(write(tmp_path, "c.csv", CUSTOMERS))
        signed_up = svc.customer_types(store=shop.store)  # customers without orders, typed
        early = svc.run_at(store=shop.store, as_of="2024-01-20")
        assert set(signed_up["type"]) == set(early["type"]) == {"untyped"}
        shop.import_orders(write(tmp_path, "o.csv", ORDERS))
        shop.import_events(write(tmp_path, "e.csv", EVENTS))
        current = shop.latest_types()
        assert frame_as_of(current) == default_as_of(shop.store) < datetime(2026, 1, 1)
        assert len(current) > 0
        assert len(svc.run_at(store=shop.store, as_of="2024-01-20")) > 0
        assert svc.history(store=shop.store, id="c1")["as_of"].min() >= datetime(2024, 1, 20)


def test_history_is_one_row_per_date_with_the_shops_thresholds(store: Store) -> None:
    """What-if runs with other thresholds and repeated runs of one date stay out of a
    customer's history: c1 is 'new' on 2025-03-01 whatever was tried after."""
    from shopperlens.types import load_config

    story(ShopKit()).write(store)
    svc.customer_types(store=store, as_of="2025-03-01")
    svc.customer_types(store=store, as_of="2025-03-01")  # the same date again
    strict = load_config(windows={"new_days": 1})  # nobody is new under these thresholds
    what_if = svc.customer_types(store=store, as_of="2025-03-01", config=strict)
    assert what_if.loc[what_if["customer_id"] == "c1", "type"].item() != "new"
    svc.customer_types(store=store, as_of="2025-03-01")
    got = svc.history(store=store, id="c1")
    assert got["as_of"].tolist() == [datetime(2025, 3, 1)]
    assert got["type"].tolist() == ["new"]
    assert svc.history(store=store, id="c1", config=strict)["type"].tolist() != ["new"]


def test_an_empty_run_before_the_data_is_no_date_of_the_timeline(
    store: Store, tmp_path: Path
) -> None:
    """An earlier version stored empty runs as of a date before all the data; the report's
    timeline (and its movements matrix, which now refuses such a date) leaves them out."""
    story(ShopKit()).write(store)
    store.execute(
        "INSERT INTO type_runs (as_of, computed_at, engine, config_digest, n_subjects) "
        "VALUES ('1990-01-01', now()::TIMESTAMP + INTERVAL 1 DAY, 'duckdb', ?, 0)",
        [svc.as_config(None).digest],
    )
    svc.customer_types(store=store, as_of="2025-03-01")
    assert svc.run_dates(store=store)[0] == datetime(2025, 3, 1)
    write_report(store, tmp_path)
    assert json.loads((tmp_path / "types.json").read_text())["runs"][0] == "2025-03-01"


def _events_on(day: str, visitor: str, customer: str = "") -> str:
    return (
        "event_id,visitor_id,customer_id,timestamp,event_name,page\n"
        f"{visitor}-{day}-1,{visitor},{customer},{day} 10:00:00,page_view,/\n"
        f"{visitor}-{day}-2,{visitor},{customer},{day} 10:05:00,page_view,/tents\n"
    )


def test_a_daily_import_of_later_data_keeps_the_earlier_runs(tmp_path: Path) -> None:
    """The type history and the report's movements rest on stored runs: a shop importing the
    day's events each day lost all of them with every import. An import of rows dated after a
    run's date leaves that run standing; one reaching back before it does not."""
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(write(tmp_path, "o.csv", ORDERS))
        shop.import_events(write(tmp_path, "e1.csv", _events_on("2025-02-01", "v9", "c1")))
        svc.customer_types(store=shop.store, as_of="2025-02-02")
        assert len(svc.history(store=shop.store, id="c1")) == 1
        shop.import_events(write(tmp_path, "e2.csv", _events_on("2025-02-05", "v8")))
        assert svc.history(store=shop.store, id="c1")["as_of"].tolist() == [datetime(2025, 2, 2)]
        assert datetime(2025, 2, 2) in svc.run_dates(store=shop.store)
        # an event within half an hour after the run's midnight may join the visit before it
        early = "event_id,visitor_id,timestamp,event_name\nv7-1,v7,2025-02-02 00:10:00,page_view\n"
        shop.import_events(write(tmp_path, "e3.csv", early))
        with pytest.raises(NotFoundError, match="1 stored run for 1 date .2025-02-02. was made"):
            svc.history(store=shop.store, id="c1")  # stale: said, not shown
        svc.customer_types(store=shop.store, as_of="2025-02-02")
        shop.import_events(write(tmp_path, "e4.csv", _events_on("2025-01-15", "v6")))
        with pytest.raises(NotFoundError, match="or before an import of earlier data"):
            svc.history(store=shop.store, id="c1")  # earlier rows: the run is stale


def test_the_ledger_says_how_far_back_each_import_reaches(tmp_path: Path) -> None:
    with shopperlens.open(":memory:") as shop:
        shop.import_events(write(tmp_path, "e.csv", _events_on("2025-02-05", "v8")))
        shop.import_customers(
            write(tmp_path, "c.csv", "customer_id,email,created_at\nx1,,2024-05-01\nx2,,\n")
        )
        shop.import_orders(write(tmp_path, "o.csv", ORDERS))  # new products: any date
        later = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        later += "o8,c1,2024-03-05 10:00:00,p1,1,9.5\no9,c2,2024-03-04 09:00:00,p2,1,4\n"
        shop.import_orders(write(tmp_path, "o2.csv", later))
        got = shop.store.execute("SELECT file, earliest_at FROM imports").fetchall()
        got = {Path(f).name: at for f, at in got}
        assert got["e.csv"] == datetime(2025, 2, 5, 9, 30)  # 30 minutes: the session gap
        assert got["c.csv"] is None  # x2 has no date: it may be in any run
        assert got["o.csv"] == datetime(2024, 1, 5, 10, 0)  # new products, but no search terms
        assert got["o2.csv"] == datetime(2024, 3, 4, 9, 0)


def test_a_later_file_naming_an_undated_customer_makes_earlier_runs_stale(tmp_path: Path) -> None:
    """A customer without ``created_at`` exists from their first order: a March run stored
    while C2 had none listed C2; C2's May order takes C2 out of March, so the run is stale."""
    with shopperlens.open(":memory:") as shop:
        shop.import_customers(write(tmp_path, "c.csv", "customer_id,email\nC1,\nC2,\n"))
        head = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        shop.import_orders(write(tmp_path, "o1.csv", head + "O1,C1,2024-02-10 10:00:00,P1,1,9\n"))
        assert "C2" in set(svc.run_at(store=shop.store, as_of="2024-03-01")["customer_id"])
        shop.import_orders(write(tmp_path, "o2.csv", head + "O3,C2,2024-05-10 10:00:00,P1,1,9\n"))
        assert "C2" not in set(svc.run_at(store=shop.store, as_of="2024-03-01")["customer_id"])


def test_a_later_file_naming_a_new_product_makes_earlier_runs_stale(tmp_path: Path) -> None:
    """Which search words name a product depends on every product the shop has: an orders
    file that brings a new product changes the search features of visits of any date (when the
    shop's visits carry search terms at all)."""
    with shopperlens.open(":memory:") as shop:
        head = "order_id,customer_id,ordered_at,product_id,product_name,quantity,unit_price\n"
        shop.import_orders(
            write(tmp_path, "o1.csv", head + "O1,C1,2024-02-10 10:00:00,P1,Steel Toaster,1,9\n")
        )
        searched = "event_id,visitor_id,customer_id,timestamp,event_name,search_term\n"
        searched += "s1,v1,C1,2024-02-09 10:00:00,view_search_results,blender\n"
        shop.import_events(write(tmp_path, "e1.csv", searched))
        svc.run_at(store=shop.store, as_of="2024-03-01")
        shop.import_orders(
            write(tmp_path, "o2.csv", head + "O2,C1,2024-05-10 10:00:00,P1,Steel Toaster,1,9\n")
        )
        assert datetime(2024, 3, 1) in svc.run_dates(store=shop.store)  # same products: kept
        shop.import_orders(
            write(tmp_path, "o3.csv", head + "O3,C1,2024-05-11 10:00:00,P2,Blender Pro,1,9\n")
        )
        assert datetime(2024, 3, 1) not in svc.run_dates(store=shop.store)


def test_daily_files_on_a_shop_without_creation_dates_keep_the_earlier_runs(tmp_path: Path) -> None:
    """Customers without ``created_at`` who already have orders exist from those: the day's
    events naming them change no earlier run. A file re-sending a stored row with a new one
    reaches back only as far as the new one."""
    with shopperlens.open(":memory:") as shop:
        shop.import_customers(write(tmp_path, "c.csv", "customer_id,email\nC1,\nC2,\n"))
        head = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        orders = "O1,C1,2024-02-10 10:00:00,P1,1,9\nO2,C2,2024-04-02 10:00:00,P1,1,9\n"
        shop.import_orders(write(tmp_path, "o.csv", head + orders))
        svc.run_at(store=shop.store, as_of="2024-03-01")
        events = "event_id,visitor_id,customer_id,timestamp,event_name\n"
        jan = "x1,v1,C1,2024-01-05 10:00:00,page_view\n"
        shop.import_events(write(tmp_path, "e1.csv", events + jan))
        assert datetime(2024, 3, 1) not in svc.run_dates(store=shop.store)  # January: stale
        svc.run_at(store=shop.store, as_of="2024-03-01")
        june = "x2,v1,C1,2024-06-01 10:00:00,page_view\n"
        shop.import_events(write(tmp_path, "e2.csv", events + jan + june + june))  # exact path
        assert datetime(2024, 3, 1) in svc.run_dates(store=shop.store)
        got = shop.store.scalar("SELECT earliest_at FROM imports WHERE file LIKE '%e2.csv'")
        assert got == datetime(2024, 6, 1, 9, 30)


def test_a_customers_file_dating_a_placeholder_earlier_makes_the_runs_stale(
    tmp_path: Path,
) -> None:
    """An orders file first makes C1 a customer from their May order; a customers file then
    says C1 signed up in January: C1 now belongs in a March run, which is stale."""
    with shopperlens.open(":memory:") as shop:
        head = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        orders = "O0,C0,2024-02-01 10:00:00,P1,1,9\nO1,C1,2024-05-10 10:00:00,P1,1,9\n"
        shop.import_orders(write(tmp_path, "o.csv", head + orders))
        assert "C1" not in set(svc.run_at(store=shop.store, as_of="2024-03-01")["customer_id"])
        shop.import_customers(
            write(
                tmp_path, "c.csv", "customer_id,email,created_at\nC1,,2024-01-15\nC2,,2024-06-01\n"
            )
        )
        assert datetime(2024, 3, 1) not in svc.run_dates(store=shop.store)
        assert "C1" in set(svc.run_at(store=shop.store, as_of="2024-03-01")["customer_id"])
