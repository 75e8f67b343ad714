"""The date-order and currency options of the imports, on every face: with ``dates``
(``--dates``, ``?dates=``) a date written before its year reads day first or month first, and
``currency`` (``--currency``, ``?currency=``) gives the order lines naming none a currency."""

from __future__ import annotations

from datetime import datetime

import pytest

from _ingest_data import write
from conftest import finished_job
from shopperlens.errors import ShopperlensError
from shopperlens.ingest.kinds import DAY_MONTH_YEAR, NOT_IN_ORDER
from shopperlens.service.overview import shop_currency

HEADER = "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency\n"


def _orders(tmp_path, *dates: str, name: str = "o.csv"):  # type: ignore[no-untyped-def]
    """An orders file with one order per date (ids o1, o2 … for o.csv), no currency named."""
    stem = name.split(".")[0]
    rows = "".join(f"{stem}{i},c{i},{d},p{i},1,2.5,\n" for i, d in enumerate(dates, 1))
    return write(tmp_path, name, HEADER + rows)


def _times(shop) -> list[datetime]:  # type: ignore[no-untyped-def]
    rows = shop.store.execute("SELECT ordered_at FROM orders ORDER BY order_id")
    return [t for (t,) in rows.fetchall()]


# -- dates ----------------------------------------------------------------------------------------
def test_day_first_reads_every_separator_and_iso_values_beside_them(shop, tmp_path):
    path = _orders(tmp_path, "01-12-10 8:26", "13/01/2011 10:08:30", "1.2.2011", "2010-12-24 18:30")
    shop.import_orders(path, dates="day-first")
    assert _times(shop) == [
        datetime(2010, 12, 1, 8, 26),
        datetime(2011, 1, 13, 10, 8, 30),
        datetime(2011, 2, 1),
        datetime(2010, 12, 24, 18, 30),
    ]


@pytest.mark.parametrize(
    ("dates", "meant"),
    [("day-first", datetime(2010, 6, 5, 10, 8)), ("month-first", datetime(2010, 5, 6, 10, 8))],
)
def test_an_ambiguous_date_reads_in_the_order_given(shop, tmp_path, dates, meant):
    shop.import_orders(_orders(tmp_path, "05/06/2010 10:08"), dates=dates)
    assert _times(shop) == [meant]


def test_a_13th_month_is_rejected_naming_the_order(shop, tmp_path):
    path = _orders(tmp_path, "12/06/2010 10:08", "13/01/2010 10:08")
    with pytest.raises(ShopperlensError) as info:
        shop.import_orders(path, dates="month-first")
    assert f"o.csv:3 ordered_at='13/01/2010 10:08': {NOT_IN_ORDER['month-first']}" in str(
        info.value
    )
    assert shop.store.count("orders") == 0


def test_two_digit_years_follow_the_posix_pivot(shop, tmp_path):
    shop.import_orders(_orders(tmp_path, "01/12/00", "01/12/68", "01/12/69"), dates="day-first")
    assert [t.year for t in _times(shop)] == [2000, 2068, 1969]


def test_without_the_option_the_hint_names_it(shop, tmp_path):
    with pytest.raises(ShopperlensError) as info:
        shop.import_orders(_orders(tmp_path, "01-12-10 8:26"))
    assert f"o.csv:2 ordered_at='01-12-10 8:26': {DAY_MONTH_YEAR}" in str(info.value)
    assert "--dates day-first" in DAY_MONTH_YEAR


def test_json_lines_take_the_option(shop, tmp_path):
    line = (
        '{"order_id": "1", "customer_id": "c1", "ordered_at": "01/12/2010 08:26", '
        '"product_id": "p1", "quantity": 1, "unit_price": 2}'
    )
    shop.import_orders(write(tmp_path, "o.jsonl", line + "\n"), dates="day-first")
    assert _times(shop) == [datetime(2010, 12, 1, 8, 26)]


@pytest.mark.parametrize(
    ("kind", "fmt", "dates", "said"),
    [
        ("orders", "auto", "week-first", "dates must be year-first, day-first or month-first"),
        ("events", "ga4", "day-first", "GA4's export writes its times as numbers"),
        ("sessions", "uci", "month-first", "the UCI sessions file has no dates"),
    ],
)
def test_a_date_order_that_cannot_work_is_refused(shop, tmp_path, kind, fmt, dates, said):
    with pytest.raises(ShopperlensError, match=said):
        shop.import_files(kind, _orders(tmp_path, "2010-12-01"), fmt=fmt, dates=dates)


def test_a_file_skipped_before_says_the_option_changes_nothing(shop, tmp_path):
    path = _orders(tmp_path, "01-12-10 8:26", "2010-12-02")
    shop.import_orders(path, on_error="skip")
    again = shop.import_orders(path, dates="day-first")
    assert again.files[0].skipped
    assert "--dates changes nothing for it" in again.files[0].note


# -- currency -------------------------------------------------------------------------------------
def test_currency_fills_only_the_lines_naming_none(shop, tmp_path):
    rows = "1,c1,2010-12-01,p1,1,2.5,\n2,c2,2010-12-02,p2,1,3,USD\n3,c3,2010-12-03,p3,2,1,\n"
    shop.import_orders(write(tmp_path, "o.csv", HEADER + rows), currency="gbp")
    stored = shop.store.execute("SELECT order_id, currency FROM orders ORDER BY order_id")
    assert stored.fetchall() == [("1", "GBP"), ("2", "USD"), ("3", "GBP")]
    assert shop_currency(store=shop.store) == "GBP"


def test_currency_leaves_an_order_whose_other_lines_name_one_as_it_was(shop, tmp_path):
    """A blank line agrees with its order's currency (USD here) as it does without the
    option: given GBP, that line disagreed with the other and the whole order was rejected."""
    rows = "1,c1,2010-12-01,p1,1,2.5,USD\n1,c1,2010-12-01,p2,1,3,\n2,c2,2010-12-02,p3,2,1,\n"
    res = shop.import_orders(write(tmp_path, "o.csv", HEADER + rows), currency="GBP")
    assert res.rows_rejected == 0
    stored = shop.store.execute("SELECT order_id, currency FROM orders ORDER BY order_id")
    assert stored.fetchall() == [("1", "USD"), ("2", "GBP")]
    assert shop.store.count("order_lines") == 3


def test_currency_given_and_no_currency_column(shop, tmp_path):
    text = (
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n1,c1,2010-12-01,p1,1,2\n"
    )
    path = write(tmp_path, "o.csv", text)
    shop.import_orders(path, currency="GBP")
    assert shop.store.scalar("SELECT currency FROM orders") == "GBP"


@pytest.mark.parametrize("code", ["GB", "G1P", "", "POUND", "£"])
def test_a_currency_that_is_no_code_is_refused(shop, tmp_path, code):
    with pytest.raises(ShopperlensError, match="three letters, such as GBP"):
        shop.import_orders(_orders(tmp_path, "2010-12-01"), currency=code)


def test_currency_for_a_kind_without_one_is_refused(shop, tmp_path):
    path = write(tmp_path, "c.csv", "customer_id\nc1\n")
    with pytest.raises(ShopperlensError, match="customers have no currency"):
        shop.import_customers(path, currency="GBP")


# -- the same file twice --------------------------------------------------------------------------
def test_the_same_file_twice_with_the_same_options_changes_nothing(shop, tmp_path):
    path = _orders(tmp_path, "01-12-10 8:26", "05/06/2010", "2010-12-24 18:30")
    options = {"dates": "day-first", "currency": "GBP"}
    shop.import_orders(path, **options)
    table = "SELECT * FROM orders ORDER BY order_id"
    before = shop.store.execute(table).fetchall()
    again = shop.import_orders(path, **options)
    assert again.files[0].skipped and again.added == {}
    assert shop.store.execute(table).fetchall() == before


# -- CLI and HTTP ---------------------------------------------------------------------------------
def test_cli_takes_dates_and_currency(cli, db_path, tmp_path):
    import shopperlens

    path = _orders(tmp_path, "2/20/11 11:39")
    res = cli("import", "orders", str(path), "--dates", "month-first", "--currency", "GBP")
    assert res.exit_code == 0, res.output
    with shopperlens.open(db_path) as shop:
        assert _times(shop) == [datetime(2011, 2, 20, 11, 39)]
        assert shop_currency(store=shop.store) == "GBP"
    bad = cli("import", "orders", str(path), "--currency", "GB")
    assert bad.exit_code == 1 and "error: currency must be a currency code" in bad.output
    assert cli("import", "customers", str(path), "--currency", "GBP").exit_code != 0


def test_http_upload_path_and_job_take_dates_and_currency(client, shop, tmp_path):
    text = (HEADER + "1,c1,01-12-10 8:26,p1,1,2.5,\n").encode()
    up = client.post(
        "/api/imports/orders?dates=day-first&currency=GBP",
        files={"file": ("o.csv", text, "text/csv")},
    )
    assert up.status_code == 200, up.text
    path = _orders(tmp_path, "02-12-10 9:00", name="o2.csv")
    by_path = client.post("/api/imports/orders?dates=day-first", json={"path": str(path)})
    assert by_path.status_code == 200, by_path.text
    job_file = _orders(tmp_path, "12/03/2010", name="o3.csv")
    body = {"kind": "orders", "paths": [str(job_file)], "dates": "month-first", "currency": "GBP"}
    job = finished_job(client, client.post("/api/jobs/import", json=body).json()["job_id"])
    assert job["status"] == "done", job
    assert _times(shop) == [
        datetime(2010, 12, 1, 8, 26),
        datetime(2010, 12, 2, 9, 0),
        datetime(2010, 12, 3),
    ]
    refused = client.post("/api/imports/orders?currency=GB", json={"path": str(path)})
    assert refused.status_code == 400 and "three letters" in refused.text
    early = client.post("/api/jobs/import", json={**body, "dates": "week-first"})
    assert early.status_code == 400 and "dates must be" in early.text
