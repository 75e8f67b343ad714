"""Values as shops write them: time zones, whole numbers, JSON fields of mixed types, the
line a reject is on, files of another kind, repeated headers, and a store path that is a data
file. Each case either stores what the file means or stops with one message naming the file,
line, column and value; none depends on the machine's time zone."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import datetime

import duckdb
import pytest

import shopperlens
from _ingest_data import CUSTOMERS, EVENTS, ORDERS, RETURNS, SHOPIFY, TICKETS, counts, write
from shopperlens.errors import ShopperlensError
from shopperlens.ingest.rejects import Reject

SHOPIFY_TEXT = SHOPIFY.read_text(encoding="utf-8")

HEAD = "order_id,customer_id,ordered_at,product_id,quantity,unit_price"


def _orders(shop, tmp_path, rows: list[str], **options):  # type: ignore[no-untyped-def]
    return shop.import_orders(write(tmp_path, "o.csv", "\n".join([HEAD, *rows]) + "\n"), **options)


def _ordered_at(shop) -> dict[str, datetime]:  # type: ignore[no-untyped-def]
    rows = shop.store.execute("SELECT order_id, ordered_at FROM orders").fetchall()
    return dict(rows)


def _rejects(info: pytest.ExceptionInfo[ShopperlensError]) -> str:
    return str(info.value)


def _said(res) -> list[str]:  # type: ignore[no-untyped-def]
    """The rejects of a result as the CLI prints them (``file:line column='value': reason``)."""
    return [str(Reject(**r.model_dump())) for r in res.rejects]


# -- time zones ----------------------------------------------------------------------------
ZONED = {  # text in the file -> the UTC time it means
    "2024-03-01T10:00:00+01:00": datetime(2024, 3, 1, 9, 0),
    "2024-03-01 10:00:00+0100": datetime(2024, 3, 1, 9, 0),
    "2024-03-01 10:00:00+01": datetime(2024, 3, 1, 9, 0),
    "2024-03-01 10:00:00 +01:00": datetime(2024, 3, 1, 9, 0),
    "2024-03-01T10:00:00-05": datetime(2024, 3, 1, 15, 0),
    "2024-03-01 10:00:00+05:30": datetime(2024, 3, 1, 4, 30),
    "2024-03-01T10:00:00Z": datetime(2024, 3, 1, 10, 0),
    "2024-03-01T10:00Z": datetime(2024, 3, 1, 10, 0),
    "2024-03-01 10:00+01": datetime(2024, 3, 1, 9, 0),
    "2024-07-01 10:00:00 Europe/Berlin": datetime(2024, 7, 1, 8, 0),
    "2024-03-01 10:00:00 UTC": datetime(2024, 3, 1, 10, 0),
    "2024-03-01 10:00:00": datetime(2024, 3, 1, 10, 0),
    "2024-03-01 10:00:00.250": datetime(2024, 3, 1, 10, 0, 0, 250000),
    "2024-03-01": datetime(2024, 3, 1, 0, 0),
}


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_csv_offsets_and_zone_names_become_utc_on_any_machine(shop, tmp_path, zone):
    shop.store.execute(f"SET TimeZone = '{zone}'")  # the machine's zone, as DuckDB sees it
    rows = [f"o{i},c1,{text},p1,1,2.0" for i, text in enumerate(ZONED)]
    _orders(shop, tmp_path, rows)
    got = _ordered_at(shop)
    assert {text: got[f"o{i}"] for i, text in enumerate(ZONED)} == ZONED


def test_a_zone_abbreviation_is_rejected_not_dropped(shop, tmp_path):
    with pytest.raises(ShopperlensError) as info:
        _orders(shop, tmp_path, ["o1,c1,2024-07-01 10:00:00 CEST,p1,1,2.0"])
    assert "o.csv:2 ordered_at='2024-07-01 10:00:00 CEST': not a date/time" in _rejects(info)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
def test_json_lines_offsets_do_not_depend_on_the_machine_zone(shop, tmp_path, zone):
    shop.store.execute(f"SET TimeZone = '{zone}'")
    lines = [
        {"visitor_id": "v1", "timestamp": "2024-03-01T10:00:00+01:00", "event_name": "page_view"},
        {"visitor_id": "v1", "timestamp": "2024-07-01T10:00:00+02:00", "event_name": "view_item"},
    ]
    path = write(tmp_path, "e.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
    shop.import_events(path)
    got = [r[0] for r in shop.store.execute('SELECT "timestamp" FROM events ORDER BY 1').fetchall()]
    assert got == [datetime(2024, 3, 1, 9, 0), datetime(2024, 7, 1, 8, 0)]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
def test_parquet_instants_are_stored_in_utc(shop, tmp_path, zone):
    path = tmp_path / "o.parquet"
    duckdb.sql(
        "SELECT 'o1' AS order_id, 'c1' AS customer_id, "
        "TIMESTAMPTZ '2024-03-01 08:15:02+00' AS ordered_at, 'p1' AS product_id, "
        "2 AS quantity, 12.5 AS unit_price"
    ).write_parquet(str(path))
    shop.store.execute(f"SET TimeZone = '{zone}'")
    shop.import_orders(path)
    assert _ordered_at(shop) == {"o1": datetime(2024, 3, 1, 8, 15, 2)}


# -- numbers -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("quantity", "price", "reject"),
    [
        ("1.5", "2.0", "quantity='1.5': not a whole number"),
        ("0.4", "2.0", "quantity='0.4': not a whole number"),
        ("0x10", "2.0", "quantity='0x10': not a whole number"),
        ("1", "NaN", "unit_price='NaN': not a number"),
        ("1", "inf", "unit_price='inf': not a number"),
        ("1", '"12,50"', "unit_price='12,50': not a number"),
    ],
)
def test_numbers_that_are_not_what_the_column_holds_are_rejected(
    shop, tmp_path, quantity, price, reject
):
    with pytest.raises(ShopperlensError) as info:
        _orders(shop, tmp_path, [f"o1,c1,2024-03-01,p1,{quantity},{price}"])
    assert f"o.csv:2 {reject}" in _rejects(info)
    assert counts(shop, "orders")["orders"] == 0


def test_whole_numbers_written_as_decimals_are_kept(shop, tmp_path):
    _orders(shop, tmp_path, ["o1,c1,2024-03-01,p1,3.0,2", "o1,c1,2024-03-01,p2,1e2,2"])
    got = shop.store.execute("SELECT quantity FROM order_lines ORDER BY line_no").fetchall()
    assert [r[0] for r in got] == [3, 100]


def test_parquet_fractional_quantity_is_rejected(shop, tmp_path):
    path = tmp_path / "o.parquet"
    duckdb.sql(
        "SELECT * FROM (VALUES ('o1', 'c1', TIMESTAMP '2024-03-01', 'p1', 2.0, 1.0), "
        "('o2', 'c1', TIMESTAMP '2024-03-02', 'p1', 1.7, 1.0)) "
        "t(order_id, customer_id, ordered_at, product_id, quantity, unit_price)"
    ).write_parquet(str(path))
    res = shop.import_orders(path, on_error="skip")
    assert res.rows_accepted == 1
    assert [(r.line, r.column, r.value) for r in res.rejects] == [(2, "quantity", "1.7")]


# -- JSON Lines fields of mixed types ------------------------------------------------------
def test_json_field_with_strings_and_numbers_is_stored_as_written(shop, tmp_path):
    lines = [
        '{"visitor_id": "abc", "timestamp": "2024-03-01T10:00:00Z", "event_name": "page_view"}',
        '{"visitor_id": 4711, "timestamp": "2024-03-01T10:01:00Z", "event_name": "view_item"}',
    ]
    shop.import_events(write(tmp_path, "e.jsonl", "\n".join(lines) + "\n"))
    got = shop.store.execute("SELECT DISTINCT visitor_id FROM events ORDER BY 1").fetchall()
    assert [r[0] for r in got] == ["4711", "abc"]


def test_one_numeric_timestamp_rejects_its_own_line_only(shop, tmp_path):
    lines = [
        '{"visitor_id": "v1", "timestamp": "2024-03-01T10:00:00Z", "event_name": "page_view"}',
        '{"visitor_id": "v1", "timestamp": 1709284502, "event_name": "purchase"}',
        '{"visitor_id": "v2", "timestamp": "2024-03-01T11:00:00Z", "event_name": "page_view"}',
    ]
    res = shop.import_events(write(tmp_path, "e.jsonl", "\n".join(lines) + "\n"), on_error="skip")
    assert res.rows_accepted == 2
    assert _said(res) == ["e.jsonl:2 timestamp='1709284502': not a date/time"]


# -- the line a reject is on ---------------------------------------------------------------
SHIFTED = (
    f"{HEAD},product_name\n"
    'o1,c1,2024-03-01,p1,2,12.50,"Mug, large\nred ""special"""\n'  # lines 2-3
    "\n"  # line 4: blank
    'o2,c2,2024-03-02,p2,x,7.90,"Plate; blue"\n'  # line 5
    "o3,c3,2024-03-03,p3,1,-1.00,Bowl\n"  # line 6
)


@pytest.mark.parametrize("name", ["o.csv", "o.csv.gz"])
def test_rejects_name_the_physical_line_after_blank_and_multiline_rows(shop, tmp_path, name):
    path = tmp_path / name
    data = SHIFTED.encode()
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    res = shop.import_orders(path, on_error="skip")
    assert [(r.line, r.column) for r in res.rejects] == [(5, "quantity"), (6, "unit_price")]
    assert res.rows_accepted == 1


def test_excel_separator_hint_line_is_counted(shop, tmp_path):
    text = f"sep=;\n{HEAD.replace(',', ';')}\no1;c1;2024-03-01;p1;2;abc\n"
    with pytest.raises(ShopperlensError) as info:
        shop.import_orders(write(tmp_path, "o.csv", text))
    assert "o.csv:3 unit_price='abc'" in _rejects(info)


def test_malformed_json_names_its_own_line(shop, tmp_path):
    good = '{"visitor_id": "v1", "timestamp": "2024-03-01T10:00:00Z", "event_name": "page_view"}'
    text = f'{good}\n\n{good}\n{{"visitor_id": broken\n{good}\n'  # the bad record is line 4
    with pytest.raises(ShopperlensError, match=r"e\.jsonl:4 \(row\) \(value in the rejects file\)"):
        shop.import_events(write(tmp_path, "e.jsonl", text))
    res = shop.import_events(write(tmp_path, "e.jsonl", text), on_error="skip")
    assert [(r.line, r.reason) for r in res.rejects] == [(4, "malformed JSON: expecting value")]
    assert res.rejects[0].value == "(value in the rejects file)"  # the record is kept there
    assert res.rows_accepted == 3


def test_json_records_that_are_not_objects_are_rejected_alone(shop, tmp_path):
    good = '{"customer_id": "c1", "email": "a@example.org"}'
    text = f'[1, 2]\n{good}\n"text"\n{good.replace("c1", "c2")}\n{{"customer_id": "c3", "em'
    res = shop.import_customers(write(tmp_path, "c.jsonl", text), on_error="skip")
    assert [(r.line, r.reason) for r in res.rejects] == [
        (1, "malformed JSON: an array, not an object"),
        (3, "malformed JSON: a string, not an object"),
        (5, "malformed JSON: unterminated string"),
    ]
    assert counts(shop, "customers") == {"customers": 2}


# -- a file of another kind, repeated headers ----------------------------------------------
@pytest.mark.parametrize(
    ("kind", "text", "other"),
    [
        ("customers", ORDERS, "orders"),
        ("products", ORDERS, "orders"),
        ("customers", TICKETS, "tickets"),
        ("customers", RETURNS, "returns"),
        ("sessions", EVENTS.replace("event_id,", "session_id,"), "events"),
    ],
)
def test_a_file_of_another_kind_is_refused(shop, tmp_path, kind, text, other):
    with pytest.raises(ShopperlensError, match=f"looks like a file of {other}.*import {other}"):
        shop.import_files(kind, write(tmp_path, "f.csv", text))
    assert counts(shop, "customers", "products", "sessions") == dict.fromkeys(
        ("customers", "products", "sessions"), 0
    )


def test_a_customers_file_with_a_product_column_still_imports(shop, tmp_path):
    head, *rows = CUSTOMERS.splitlines()
    text = "\n".join([f"{head},product_id", *(f"{r},p1" for r in rows)]) + "\n"
    res = shop.import_customers(write(tmp_path, "c.csv", text))
    assert res.rows_accepted == 3


def test_map_says_what_the_file_is(shop, tmp_path):
    res = shop.import_customers(
        write(tmp_path, "o.csv", ORDERS), mapping={"customer_id": "customer_id"}
    )
    assert counts(shop, "customers", "orders") == {"customers": 3, "orders": 0}
    assert res.rows_rejected == 0


def test_a_header_naming_a_column_twice_is_refused(shop, tmp_path):
    text = f"{HEAD},quantity\no1,c1,2024-03-01,p1,2,12.5,5\n"
    with pytest.raises(ShopperlensError, match="names 'quantity' 2 times"):
        shop.import_orders(write(tmp_path, "o.csv", text))


def test_two_spellings_of_one_column_are_refused_unless_mapped(shop, tmp_path):
    text = f"{HEAD},Customer ID\no1,c1,2024-03-01,p1,2,12.5,c9\n"
    path = write(tmp_path, "o.csv", text)
    with pytest.raises(ShopperlensError, match="'customer_id' and 'Customer ID' both give"):
        shop.import_orders(path)
    shop.import_orders(path, mapping={"Customer ID": "customer_id"})
    assert shop.store.execute("SELECT customer_id FROM orders").fetchall() == [("c9",)]


# -- order-level fields --------------------------------------------------------------------
def test_lines_of_one_order_must_agree_on_currency_shipping_status(shop, tmp_path):
    head = f"{HEAD},currency,shipping,status"
    text = (
        f"{head}\no1,c1,2024-03-01,p1,1,10,EUR,4.90,paid\no1,c1,2024-03-01,p2,1,10,,,\n"
        "o2,c1,2024-03-02,p1,1,10,EUR,4.90,paid\no2,c1,2024-03-02,p2,1,10,USD,0,refunded\n"
    )
    res = shop.import_orders(write(tmp_path, "o.csv", text), on_error="skip")
    assert _said(res) == [
        "o.csv:4 currency='EUR': lines of one order disagree on currency",
        "o.csv:5 currency='USD': lines of one order disagree on currency",
    ]
    got = shop.store.execute("SELECT order_id, currency, shipping, status FROM orders").fetchall()
    assert got == [("o1", "EUR", 4.9, "paid")]  # blank fields on later lines agree


# -- the store path ------------------------------------------------------------------------
def test_a_data_file_given_as_the_store_is_refused_and_left_alone(tmp_path):
    data = write(tmp_path, "orders.csv", ORDERS)
    before = data.read_bytes()
    with pytest.raises(ShopperlensError, match="not a shopperlens store"):
        shopperlens.open(data)
    assert data.read_bytes() == before
    with pytest.raises(ShopperlensError, match="looks like a data file"):
        shopperlens.open(tmp_path / "new.csv")
    assert not (tmp_path / "new.csv").exists()
    with pytest.raises(ShopperlensError, match="is a directory"):
        shopperlens.open(tmp_path)


def test_a_store_path_with_bytes_that_are_not_utf8_is_named_in_one_line(tmp_path):
    """A Latin-1 file name (``café`` written by an old system): DuckDB said "std::bad_cast"."""
    import os

    name = os.fsdecode(b"caf\xe9.duckdb")
    with pytest.raises(ShopperlensError, match=r"store path .*caf\\xe9\.duckdb holds bytes"):
        shopperlens.open(tmp_path / name)
    from typer.testing import CliRunner

    from shopperlens.cli import app

    res = CliRunner().invoke(app, ["--db", str(tmp_path / name), "tables"])
    assert res.exit_code == 1 and "bad_cast" not in res.output, res.output
    assert " ".join(res.stderr.split()).startswith(f"error: the store path {tmp_path}/caf\\xe9")
    assert list(tmp_path.iterdir()) == []


# -- the rejects file ----------------------------------------------------------------------
def test_rejects_file_belongs_to_the_last_import(cli, db_path, tmp_path):
    bad = write(tmp_path, "bad.csv", f"{HEAD}\no1,c1,2024-03-01,p1,-2,1\no2,c1,2024-03-02,p1,1,1\n")
    res = cli("import", "orders", str(bad), "--on-error", "skip")
    assert res.exit_code == 0, res.output
    assert "bad.csv:2 quantity='-2': negative quantity" in res.output
    rejects = db_path.with_name("shop.rejects.csv")
    assert rejects.exists()
    assert cli("import", "orders", str(bad), "--on-error", "skip").exit_code == 0  # skipped
    assert rejects.exists()  # nothing was read: the list still belongs to the last import
    good = write(tmp_path, "good.csv", f"{HEAD}\no3,c1,2024-03-03,p1,1,1\n")
    assert cli("import", "orders", str(good)).exit_code == 0
    assert not rejects.exists()


# -- real exports: two-digit years, Shopify's first row, GA4's traffic sources -----------
def test_two_digit_years_are_rejected_not_stored_as_year_one(shop, tmp_path):
    """The UCI Online Retail file writes ``01-12-10 8:26`` (1 December 2010); DuckDB read it
    as the year 1."""
    with pytest.raises(ShopperlensError) as info:
        _orders(shop, tmp_path, ["o1,c1,01-12-10 8:26,p1,1,2.0", "o2,c1,24-03-01,p1,1,2.0"])
    said = _rejects(info)
    assert "o.csv:2 ordered_at='01-12-10 8:26': not a date/time" in said
    assert "o.csv:3 ordered_at='24-03-01': not a date/time" in said


def test_shopify_order_fields_come_from_the_orders_first_row(shop, tmp_path):
    from _ingest_data import SHOPIFY

    rows = SHOPIFY.read_text().splitlines()
    head = rows[0].split(",")
    second = rows[2].split(",")  # #1001's second row: order-level fields blank
    assert second[0] == "#1001" and second[head.index("Currency")] == ""
    second[head.index("Currency")] = "USD"  # an edited export that disagrees
    rows[2] = ",".join(second)
    shop.import_orders(write(tmp_path, "orders_export.csv", "\n".join(rows) + "\n"))
    got = shop.store.execute("SELECT currency FROM orders WHERE order_id = '#1001'").fetchall()
    assert got == [("EUR",)]


def _ga4_row(ts: int, name: str, session: int, **extra: object) -> str:
    params = [
        {"key": "ga_session_id", "value": {"int_value": str(session)}},
        {"key": "page_location", "value": {"string_value": "https://shop.example/"}},
    ]
    row = {
        "event_timestamp": str(ts),
        "event_name": name,
        "event_params": params,
        "user_pseudo_id": "u1",
        "traffic_source": {"name": "mugs", "medium": "cpc", "source": "google"},
        **extra,
    }
    return json.dumps(row)


def test_ga4_sessions_are_not_credited_to_the_users_first_source(shop, tmp_path):
    """``traffic_source`` is what first brought the user; a later direct visit is direct, and
    an event's own ``collected_traffic_source`` names its campaign."""
    day = 1_704_445_200_000_000
    rows = [
        _ga4_row(day, "session_start", 1),
        _ga4_row(
            day + 86_400_000_000,
            "session_start",
            2,
            collected_traffic_source={"manual_source": "newsletter", "manual_medium": "email"},
        ),
    ]
    shop.import_events(write(tmp_path, "events_20240105.jsonl", "\n".join(rows) + "\n"))
    got = shop.store.execute(
        'SELECT utm_source, utm_medium FROM events ORDER BY "timestamp"'
    ).fetchall()
    assert got == [(None, None), ("newsletter", "email")]


def test_words_that_stand_for_no_id_are_missing_ids(shop, tmp_path):
    """R's NA, SQL's NULL, pandas' nan as a customer id would make one customer of every guest
    order; as an order id they are a missing key. A country NA (Namibia) stays."""
    res = _orders(
        shop,
        tmp_path,
        [
            "o1,NA,2024-01-05,p1,1,2",
            "o2,NULL,2024-01-05,p1,1,2",
            "o3,nan,2024-01-05,p1,1,2",
            "o4,c1,2024-01-05,p1,1,2",
            "NA,c2,2024-01-05,p1,1,2",
        ],
        on_error="skip",
    )
    assert _said(res) == ["o.csv:6 order_id='NA': missing value"]
    rows = shop.store.execute("SELECT order_id, customer_id FROM orders ORDER BY 1").fetchall()
    assert rows == [("o1", None), ("o2", None), ("o3", None), ("o4", "c1")]
    assert counts(shop, "customers") == {"customers": 1}
    shop.import_customers(
        write(tmp_path, "c.csv", "customer_id,email,country\nc7,x@example.org,NA\n")
    )
    assert shop.store.execute(
        "SELECT country FROM customers WHERE customer_id = 'c7'"
    ).fetchall() == [("NA",)]


def test_json_lines_of_objects_and_a_lone_array_or_number(shop, tmp_path):
    """Records that are valid JSON but not objects made DuckDB read every line as one value."""
    text = '{"customer_id": "c1"}\n[{"customer_id": "c9"}]\n42\n{"customer_id": "c2"}\n'
    res = shop.import_customers(write(tmp_path, "c.jsonl", text), on_error="skip")
    assert [(r.line, r.reason) for r in res.rejects] == [
        (2, "malformed JSON: an array, not an object"),
        (3, "malformed JSON: a number, not an object"),
    ]
    ids = shop.store.execute("SELECT customer_id FROM customers ORDER BY 1").fetchall()
    assert ids == [("c1",), ("c2",)]


def test_an_email_or_sku_written_as_no_value(shop, tmp_path):
    head = "order_id,customer_id,email,ordered_at,product_id,quantity,unit_price"
    rows = ["o1,,N/A,2024-01-05,p1,1,2", "o2,,n/a,2024-01-05,p1,1,2", "o3,,NULL,2024-01-05,p1,1,2"]
    shop.import_orders(write(tmp_path, "o.csv", "\n".join([head, *rows]) + "\n"))
    assert counts(shop, "customers") == {"customers": 0}
    lines = SHOPIFY_TEXT.splitlines()
    sku = lines[0].split(",").index("Lineitem sku")
    first = next(csv.reader([lines[1]]))
    first[sku] = "N/A"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(first)
    lines[1] = out.getvalue().rstrip("\n")
    shop.import_orders(write(tmp_path, "s.csv", "\n".join(lines) + "\n"))
    names = shop.store.execute(
        "SELECT product_id FROM order_lines WHERE product_id IS NULL OR product_id = 'N/A'"
    ).fetchall()
    assert names == []


def test_events_already_stored_add_no_sessions(shop, tmp_path):
    first = shop.import_events(write(tmp_path, "e.csv", EVENTS))
    sessions = counts(shop, "sessions")["sessions"]
    assert first.added["sessions"] == sessions
    part = "\n".join(EVENTS.splitlines()[:3]) + "\n"  # the first two events again, another file
    again = shop.import_events(write(tmp_path, "e2.csv", part))
    assert again.added.get("sessions", 0) == 0
    assert counts(shop, "sessions")["sessions"] == sessions


def test_an_email_column_holds_one_address(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``Name <a@example.org>`` and ``a@x.org; b@x.org`` were stored as written, so
    ``erase --email`` found no such customer and the row kept the name and addresses. A
    display name or ``mailto:`` around one address gives that address; a list is refused."""
    import shopperlens
    from shopperlens.ingest.kinds import NOT_ONE_EMAIL

    path = tmp_path / "c.csv"
    path.write_text(
        "customer_id,email\n"
        'c1,Wendral Obstacky <ZQ@example.org>\nc2,a@x.org;b@x.org\nc3,"a@x.org, b@x.org"\n'
        "c4,no-at-sign\nc5,two@@x.org\nc6, Ok.Name+tag@Example.ORG \nc7,N/A\nc8,\u0130nci@x.org\n"
        'c9,mailto:m@x.org\nc10,"""Q"" <a@x.org>, b@x.org"\nc11,a\u00a0b@x.org\n'
    )
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        res = shop.import_files("customers", path, on_error="skip")
        bad = {(r.line, r.column, r.reason) for r in res.rejects}
        assert bad == {(n, "email", NOT_ONE_EMAIL) for n in (3, 4, 5, 6, 11, 12)}
        kept = shop.store.df("SELECT customer_id, coalesce(email, '-') FROM customers ORDER BY 1")
    assert kept.values.tolist() == [
        ["c1", "zq@example.org"], ["c6", "ok.name+tag@example.org"], ["c7", "-"],
        ["c8", "inci@x.org"], ["c9", "m@x.org"],
    ]  # fmt: skip
