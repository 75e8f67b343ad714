"""The Python API as a notebook analyst misuses it: every slip is one clear ShopperlensError.

The shop's ids look like numbers (customers ``00001``…, products ``001``…) but are text, and its
visitors' ids are not numbers at all (``v30``): a number given for an id was cast by DuckDB,
matching ``'00001'`` in one query and nothing in the next, or failing on ``'v30'``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import shopperlens
from _ingest_data import write
from shopperlens import errors
from shopperlens.errors import InsufficientDataError, ShopperlensError
from shopperlens.service.types_value import frame_as_of
from shopperlens.store import connect

ORDERS = """order_id,customer_id,ordered_at,product_id,quantity,unit_price,email
o1,00001,2025-03-01 09:00,001,1,10,a@example.org
o1,00001,2025-03-01 09:00,003,1,12,a@example.org
o2,00002,2025-04-01 09:00,001,1,10,b@example.org
o2,00002,2025-04-01 09:00,003,1,12,b@example.org
o3,00003,2025-05-01 09:00,003,1,12,c@example.org
o4,00004,2025-06-01 09:00,002,1,5,d@example.org
"""

MORE_ORDERS = """order_id,customer_id,ordered_at,product_id,quantity,unit_price
o5,00005,2025-06-02 09:00,002,1,5
"""

EVENTS = """event_id,visitor_id,customer_id,timestamp,event_name,product_id
e1,v30,,2025-05-01 10:00,page_view,
e2,v30,,2025-05-01 10:01,view_item,001
e3,v31,00001,2025-05-02 10:00,page_view,
e4,v31,00001,2025-05-02 10:02,view_item,003
"""


def _fill(shop: shopperlens.Shop, folder: Path) -> shopperlens.Shop:
    shop.import_orders(write(folder, "orders.csv", ORDERS))
    shop.import_events(write(folder, "events.csv", EVENTS))
    return shop


@pytest.fixture
def filled(shop: shopperlens.Shop, tmp_path: Path) -> shopperlens.Shop:
    return _fill(shop, tmp_path)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.duckdb"
    with shopperlens.open(path) as shop:
        _fill(shop, tmp_path)
    return path


@pytest.fixture
def read_only(db: Path) -> Iterator[shopperlens.Shop]:
    shop = shopperlens.Shop(connect(db, read_only=True))
    yield shop
    shop.close()


def _runs(shop: shopperlens.Shop) -> int:
    return int(shop.store.scalar("SELECT count(*) FROM type_runs"))


# -- ids are text ------------------------------------------------------------------------------
NUMERIC_IDS: dict[str, Callable[[shopperlens.Shop], Any]] = {
    "frequently_bought_together": lambda s: s.frequently_bought_together(product_id=3),
    "upsell_picks": lambda s: s.upsell_picks(customer_id=1),
    "explain_type": lambda s: s.explain_type(10001),
    "type_history": lambda s: s.type_history(1),
    "erase_customer": lambda s: s.erase_customer(4),
    "consent_set": lambda s: s.consent_set(1, purpose="marketing", granted=True),
    "consents": lambda s: s.consents(1),
    "interviews_invite": lambda s: s.interviews_invite([1]),
}


@pytest.mark.parametrize("call", NUMERIC_IDS.values(), ids=NUMERIC_IDS.keys())
def test_a_number_for_an_id_is_refused_not_cast(filled: shopperlens.Shop, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ShopperlensError, match="must be text, as stored: '00001', not"):
        call(filled)
    assert filled.store.count("customers") == 4  # erase_customer(4) erased nobody


def test_the_refusal_names_the_argument(filled: shopperlens.Shop) -> None:
    with pytest.raises(
        ShopperlensError, match=r"^customer_id must be text, as stored: '00001', not 1$"
    ):
        filled.upsell_picks(customer_id=1)
    with pytest.raises(ShopperlensError, match=r"^email must be text"):
        filled.erase_customer(email=5)  # type: ignore[arg-type]


def test_a_single_string_where_ids_are_expected_is_one_id(filled: shopperlens.Shop) -> None:
    with pytest.raises(shopperlens.NotFoundError) as exc:
        filled.interviews_invite("C10001")
    assert "'C10001'" in str(exc.value) and "'0'" not in str(exc.value)


def test_not_found_error_is_exported_and_raised(filled: shopperlens.Shop) -> None:
    assert shopperlens.NotFoundError is errors.NotFoundError
    assert "NotFoundError" in shopperlens.__all__
    with pytest.raises(shopperlens.NotFoundError):
        filled.type_history("nobody")


def test_a_types_frame_round_trips_through_parquet_with_its_as_of(
    filled: shopperlens.Shop, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """pandas writes ``attrs`` into the Parquet file as JSON: a datetime there made the
    analyst's own ``to_parquet()`` fail with "Object of type datetime is not JSON serializable"."""
    assert filled.types("2025-08-01").attrs["as_of"] == "2025-08-01T00:00:00"
    for typed in (filled.types("2025-08-01"), filled.latest_types()):
        path = tmp_path / "types.parquet"
        typed.to_parquet(path)
        back = pd.read_parquet(path)
        assert back.attrs["as_of"] == typed.attrs["as_of"]
        assert isinstance(frame_as_of(back), datetime)
        pd.testing.assert_frame_equal(back, typed, check_dtype=False)


# -- dates -------------------------------------------------------------------------------------
def test_an_as_of_with_a_time_zone_is_read_in_utc(filled: shopperlens.Shop) -> None:
    aware = pd.Timestamp("2025-08-01", tz="UTC")
    typed = filled.types(aware, save=False)
    plain = filled.types("2025-08-01", save=False)
    assert frame_as_of(typed) == datetime(2025, 8, 1)
    pd.testing.assert_frame_equal(typed, plain)
    offset = "2025-08-01T02:00+02:00"  # midnight UTC
    assert filled.explain_type("00001", as_of=offset).as_of == datetime(2025, 8, 1)
    moves = filled.type_moves(pd.Timestamp("2025-05-02", tz="UTC"), aware)
    assert moves.date_to == datetime(2025, 8, 1)


@pytest.mark.parametrize(
    "as_of",
    [
        pd.Timestamp("2025-08-01 15:30"),
        "2025-08-01T15:30",
        pd.Timestamp("2025-08-01", tz="Europe/Berlin"),
    ],
    ids=["timestamp", "text", "berlin-midnight"],
)
def test_a_types_as_of_with_a_time_of_day_is_refused(filled: shopperlens.Shop, as_of: Any) -> None:
    """A date is its midnight UTC and the history has one row per date: no run as of 15:30."""
    with pytest.raises(ShopperlensError, match="a time of day; give the date alone"):
        filled.types(as_of)
    with pytest.raises(ShopperlensError, match="time of day"):
        filled.explain_type("00001", as_of=as_of)
    assert _runs(filled) == 0


def test_http_types_refuse_an_as_of_with_a_time_of_day(filled: shopperlens.Shop, client) -> None:  # type: ignore[no-untyped-def]
    """The route and the job call the service directly, not through ``Shop``: they refuse the
    same way, before any run is stored or any job queued."""
    got = client.get("/api/types", params={"as_of": "2025-08-01T15:30"})
    assert got.status_code == 400 and "time of day" in got.json()["detail"]
    job = client.post("/api/jobs/types", json={"as_of": "2025-08-01T15:30"})
    assert job.status_code == 400 and "time of day" in job.json()["detail"]
    assert _runs(filled) == 0
    assert client.get("/api/types", params={"as_of": "2025-08-01"}).status_code == 200
    assert _runs(filled) == 1


@pytest.mark.parametrize("as_of", [20250601, 1.5, "2025-02-30"], ids=["int", "float", "no-day"])
def test_an_as_of_that_is_no_date_is_refused(filled: shopperlens.Shop, as_of: Any) -> None:
    with pytest.raises(ShopperlensError, match="not a date"):
        filled.types(as_of, save=False)
    with pytest.raises(ShopperlensError, match="not a date"):
        filled.clv(as_of=as_of)  # 20250601 was nanoseconds after 1970 to pandas


def test_clv_reads_as_of_as_the_types_do(filled: shopperlens.Shop) -> None:
    """Its day in UTC (00:30 in Berlin in March is 23:30 UTC the day before); that day's orders
    count, whatever their time."""
    with pytest.raises(InsufficientDataError, match="no orders on or before 2025-02-28"):
        filled.clv(as_of="2025-03-01T01:00+02:00")
    with pytest.raises(InsufficientDataError, match="no orders on or before 2025-02-28"):
        filled.clv(as_of=pd.Timestamp("2025-03-01 00:30", tz="Europe/Berlin"))
    with pytest.raises(InsufficientDataError, match="not enough purchase history"):
        filled.clv(as_of=pd.Timestamp("2025-03-01", tz="UTC"))  # its 09:00 order counts


# -- other misuse ------------------------------------------------------------------------------
def test_a_closed_shop_says_so(db: Path) -> None:
    with shopperlens.open(db) as shop:
        assert shop.tables()
    calls = (shop.tables, lambda: shop.types(save=False), lambda: shop.sql("SELECT 1"))
    for call in calls:
        with pytest.raises(ShopperlensError, match=r"^this shop is closed; open it again with"):
            call()


def test_imports_take_a_list_of_files_and_refuse_a_frame(
    shop: shopperlens.Shop, tmp_path: Path
) -> None:
    files = [write(tmp_path, "a.csv", ORDERS), str(write(tmp_path, "b.csv", MORE_ORDERS))]
    assert shop.import_orders(files).rows_accepted == 7
    assert shop.store.count("orders") == 5
    with pytest.raises(ShopperlensError, match=r"not a DataFrame: write it to a file first"):
        shop.import_orders(pd.read_csv(files[0]))
    with pytest.raises(ShopperlensError, match="not a file path: 5"):
        shop.import_customers(5)  # type: ignore[arg-type]


def test_survey_create_without_a_survey_says_what_it_needs(shop: shopperlens.Shop) -> None:
    with pytest.raises(ShopperlensError, match="survey_create needs a survey"):
        shop.survey_create()


def test_open_takes_a_path_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ShopperlensError, match="the store is a file path"):
        shopperlens.open(5)  # type: ignore[arg-type]
    assert not (tmp_path / "5").exists()


def test_a_read_only_store_refuses_writes_with_one_message(read_only: shopperlens.Shop) -> None:
    assert len(read_only.types(save=False)) > 0  # reading is fine
    # the current run, which a writable store stores when it has none, is shown unstored
    assert len(read_only.latest_types()) > 0 and read_only.store.count("type_runs") == 0
    writes = (
        read_only.types,
        lambda: read_only.erase_customer("00004"),
        lambda: read_only.consent_set("00001", purpose="marketing", granted=True),
        lambda: read_only.consent_set("00002", purpose="survey", granted=False),
    )
    for call in writes:
        with pytest.raises(ShopperlensError, match=r"^this store is open read-only, and this call"):
            call()
    assert read_only.store.count("customers") == 4
    assert read_only.consents() == []


@pytest.mark.parametrize(
    "as_of",
    [np.datetime64("2025-08-01"), pd.Period("2025-08-01", "D"), pd.Timestamp("2025-08-01")],
    ids=["datetime64", "period", "timestamp"],
)
def test_numpy_and_pandas_dates_are_dates(filled: shopperlens.Shop, as_of: Any) -> None:
    """What ``df.col.to_numpy()`` holds is a date, not a number: read as the text would be."""
    expected = filled.types("2025-08-01", save=False)
    got = filled.types(as_of, save=False)
    assert frame_as_of(got) == frame_as_of(expected) == datetime(2025, 8, 1)
    pd.testing.assert_frame_equal(got, expected)


def test_a_date_with_an_offset_but_no_time_is_refused() -> None:
    """``2025-06-01+02:00`` was read as 02:00 on the first of June (Python takes any character
    between date and time), a run at a time of day for types and the first for CLV."""
    from shopperlens.service.types import parse_as_of

    with pytest.raises(ShopperlensError, match="not a date"):
        parse_as_of("2025-06-01+02:00")
