"""Bad input: every case of the issue gives one clear message, no traceback, an unchanged DB
(through the CLI and the Python API); ``--on-error skip`` lands good rows and writes rejects."""

from __future__ import annotations

import csv

import pytest

import shopperlens
from _ingest_data import CUSTOMERS, EVENTS, GA4, ORDERS, SHOPIFY, UCI, counts, write
from shopperlens.errors import ShopperlensError

BAD_DATE = ORDERS.replace("2024-02-01 08:00:00", "2024-02-31 08:00:00")
NEGATIVE = ORDERS.replace(
    "o3,c9,2024-02-03 18:00:00,p3,Towel,textile,3", "o3,c9,2024-02-03 18:00:00,p3,Towel,textile,-3"
)
UNKNOWN_EVENT = EVENTS.replace("view_item", "looked_at_thing")
DUP_KEY = ORDERS + "o2,c3,2024-02-01 08:00:00,p1,Mug,kitchen,1,9.50,\n"
DUP_EVENT = EVENTS + "e5,v2,,2024-01-05 10:25:00,page_view,/other,,,,,,desktop\n"
MISSING_COL = ORDERS.replace("quantity,", "qty,")

# name -> (kind, file name, content, encoding, words the one-line message must contain)
CASES = {
    "wrong kind (customers file as orders)": (
        "orders",
        "c.csv",
        CUSTOMERS,
        "utf-8",
        ["missing required orders column", "import customers"],
    ),
    "missing required column": ("orders", "o.csv", MISSING_COL, "utf-8", ["quantity", "--map"]),
    "bad date": ("orders", "o.csv", BAD_DATE, "utf-8", ["o.csv:4", "ordered_at", "not a date"]),
    "negative quantity": ("orders", "o.csv", NEGATIVE, "utf-8", ["o.csv:5", "negative quantity"]),
    "unknown event name": ("events", "e.csv", UNKNOWN_EVENT, "utf-8", ["unknown event name"]),
    "duplicate key, other content": (
        "orders",
        "o.csv",
        DUP_KEY,
        "utf-8",
        ["lines of one order disagree"],
    ),
    "duplicate event id, other content": (
        "events",
        "e.csv",
        DUP_EVENT,
        "utf-8",
        ["duplicate key with different content"],
    ),
    "malformed csv row": (
        "customers",
        "c.csv",
        CUSTOMERS.replace("c2,bob@example.org,", "c2,bob@example.org,,,"),
        "utf-8",
        ["c.csv:3", "malformed row: more values than the header's 9 columns"],
    ),
    "malformed json line": (
        "customers",
        "c.jsonl",
        '{"customer_id": "c1"}\n{"customer_id": \n',
        "utf-8",
        ["malformed json"],
    ),
    "empty file": ("orders", "o.csv", "", "utf-8", ["empty"]),
    "header only": ("orders", "o.csv", ORDERS.splitlines()[0] + "\n", "utf-8", ["no rows"]),
    "wrong encoding": (
        "customers",
        "c.csv",
        CUSTOMERS.replace("Utrecht", "Utréçht"),
        "latin-1",
        ["not UTF-8"],
    ),
}


def _seed(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A store that already holds something, so 'unchanged' means something."""
    with shopperlens.open(db) as shop:
        shop.import_orders(write(db.parent, "seed.csv", ORDERS.replace("\no", "\nx")))
        return {**counts(shop), "ledger": len(shop.imports())}


def _state(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with shopperlens.open(db) as shop:
        return {**counts(shop), "ledger": len(shop.imports())}


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_bad_input_one_message_db_unchanged(cli, db_path, tmp_path, case):
    kind, name, text, enc, words = CASES[case]
    before = _seed(db_path)
    path = write(tmp_path, name, text, encoding=enc)
    res = cli("import", kind, str(path))
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert res.output.lower().startswith("error:")
    said = " ".join(res.output.lower().split())  # the terminal wraps long messages
    for w in words:
        assert w.lower() in said, res.output
    assert _state(db_path) == before


@pytest.mark.parametrize("case", sorted(CASES))
def test_python_bad_input_raises_and_leaves_store(shop, tmp_path, case):
    kind, name, text, enc, words = CASES[case]
    shop.import_customers(write(tmp_path, "seed.csv", CUSTOMERS))
    before = counts(shop)
    with pytest.raises(ShopperlensError) as info:
        shop.import_files(kind, write(tmp_path, name, text, encoding=enc))
    for w in words:
        assert w.lower() in str(info.value).lower()
    assert counts(shop) == before


def test_source_formats_given_as_another_kind_are_refused(shop):
    with pytest.raises(ShopperlensError, match="Shopify orders export.*import orders"):
        shop.import_customers(SHOPIFY)
    with pytest.raises(ShopperlensError, match="GA4 BigQuery export.*import events"):
        shop.import_orders(GA4)
    with pytest.raises(ShopperlensError, match="UCI Online Shoppers.*import sessions"):
        shop.import_events(UCI)
    with pytest.raises(ShopperlensError, match="format shopify imports orders"):
        shop.import_events(SHOPIFY, fmt="shopify")


def test_missing_file_and_unknown_extension(shop, tmp_path):
    with pytest.raises(ShopperlensError, match="no such file"):
        shop.import_orders(tmp_path / "nope.csv")
    with pytest.raises(ShopperlensError, match="unknown file type"):
        shop.import_orders(write(tmp_path, "orders.xlsx", ORDERS))


def test_abort_lists_first_rejects_and_count_and_writes_nothing(tmp_path):
    db = tmp_path / "shop.duckdb"
    bad = BAD_DATE.replace("c9,2024-02-03", "c9,yesterday")
    with shopperlens.open(db) as shop:
        with pytest.raises(ShopperlensError) as info:
            shop.import_orders(write(tmp_path, "o.csv", bad))
        assert counts(shop, "orders", "order_lines", "imports") == dict.fromkeys(
            ("orders", "order_lines", "imports"), 0
        )
    msg = str(info.value)
    assert msg.startswith("2 row(s) rejected, nothing imported")
    assert "o.csv:4 ordered_at='2024-02-31 08:00:00': not a date/time" in msg
    assert "o.csv:5 ordered_at='yesterday 18:00:00': not a date/time" in msg
    assert (tmp_path / "shop.rejects.csv").exists()


def test_skip_lands_good_rows_and_writes_rejects_beside_db(tmp_path):
    db = tmp_path / "shop.duckdb"
    both = NEGATIVE.replace("2024-02-01 08:00:00", "01/02/2024 noon")
    with shopperlens.open(db) as shop:
        res = shop.import_orders(write(tmp_path, "o.csv", both), on_error="skip")
        assert (res.rows_read, res.rows_accepted, res.rows_rejected) == (4, 2, 2)
        assert shop.store.count("order_lines") == 2
        assert shop.imports()[0].rows_rejected == 2
    assert res.rejects_file == str(tmp_path / "shop.rejects.csv")
    with open(res.rejects_file, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["line"], r["column"], r["value"], r["reason"]) for r in rows] == [
        ("4", "ordered_at", "01/02/2024 noon", "not a date/time"),
        ("5", "quantity", "'-3", "negative quantity"),  # (a formula to a spreadsheet)
    ]
    assert rows[0]["file"].endswith("o.csv")


def test_cli_skip_reports_rejects(cli, db_path, tmp_path):
    res = cli(
        "import", "events", str(write(tmp_path, "e.csv", UNKNOWN_EVENT)), "--on-error", "skip"
    )
    assert res.exit_code == 0, res.output
    assert "1 row(s) rejected" in res.output
    assert (db_path.parent / "shop.rejects.csv").exists()


def test_key_already_imported_with_other_content_is_rejected(shop, tmp_path):
    shop.import_events(write(tmp_path, "e1.csv", EVENTS))
    changed = EVENTS.replace(
        "e5,v2,,2024-01-05 10:20:00,page_view,/blog", "e5,v2,,2024-01-05 10:20:00,page_view,/shop"
    )
    with pytest.raises(ShopperlensError, match="e5.*already imported with different content"):
        shop.import_events(write(tmp_path, "e2.csv", changed))


def test_bad_mapping_is_one_message(shop, tmp_path):
    path = write(tmp_path, "o.csv", ORDERS)
    with pytest.raises(ShopperlensError, match="not orders columns"):
        shop.import_orders(path, mapping={"order_id": "order_number"})
    bad = tmp_path / "m.yaml"
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ShopperlensError, match="must map column names"):
        shop.import_orders(path, mapping=bad)


def test_ga4_unknown_event_name_names_its_line(shop, tmp_path):
    lines = GA4.read_text("utf-8").splitlines()
    lines[2] = lines[2].replace('"event_name": "view_search_results"', '"event_name": "my_event"')
    path = write(tmp_path, "events_20240105.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(ShopperlensError, match=r"events_20240105.jsonl:3 event_name='my_event'"):
        shop.import_events(path)
    assert shop.store.count("events") == 0
    res = shop.import_events(path, on_error="skip")
    assert (res.rows_accepted, res.rows_rejected) == (11, 1)


def test_large_file_names_each_reject_by_its_line_and_numbers_order_lines(tmp_path):
    """A file big enough (~40 MB) for DuckDB to read it in parallel chunks (below ~20 MB it
    reads one): rows are numbered by their position after the read (``loading.stage``), so
    lines far apart must still be named exactly, and an order whose lines are scattered over
    the file keeps them in file order. Read without keeping row order, this fails."""
    n = 600_000
    bad = {41_234: ("quantity", "-2"), 549_876: ("ordered_at", "2024-13-01")}
    rows = ["order_id,customer_id,ordered_at,product_id,product_name,category,quantity,unit_price"]
    for line in range(2, n + 2):
        order = "o-scattered" if line in (3, 377_777, n + 1) else f"o{line // 3}"
        when = "2024-03-01 10:00:00" if order == "o-scattered" else "2024-02-01 08:00:00"
        qty = "1"
        if line in bad:
            col, value = bad[line]
            qty = value if col == "quantity" else qty
            when = value if col == "ordered_at" else when
        rows.append(f"{order},c-{order},{when},p{line % 500},Thing {line % 500},cat,{qty},2.5")
    path = tmp_path / "big.csv"
    path.write_text("\n".join(rows) + "\n")
    shop = shopperlens.open(tmp_path / "big.duckdb")
    res = shop.import_orders(path, on_error="skip")
    assert res.rows_rejected == 6  # each bad row's order is kept out whole
    assert [(r.line, r.column, r.value) for r in res.rejects] == [
        (41_232, "order_id", "o13744"),
        (41_233, "order_id", "o13744"),
        (41_234, "quantity", "-2"),
        (549_876, "ordered_at", "2024-13-01"),
        (549_877, "order_id", "o183292"),
        (549_878, "order_id", "o183292"),
    ]
    scattered = shop.store.execute(
        "SELECT line_no, product_id FROM order_lines WHERE order_id = 'o-scattered' "
        "ORDER BY line_no"
    ).fetchall()
    assert scattered == [(1, "p3"), (2, f"p{377_777 % 500}"), (3, f"p{(n + 1) % 500}")]
    shop.close()


def _events_as(tmp_path, text: str, layout: str):
    """The events CSV ``text`` rewritten as JSON Lines or Parquet (one record per row)."""
    import json

    import duckdb

    rel = duckdb.read_csv(str(write(tmp_path, "src.csv", text)), all_varchar=True)
    path = tmp_path / f"events.{layout}"
    if layout == "parquet":
        rel.write_parquet(str(path))
    else:
        rows = rel.fetchall()
        path.write_text(
            "".join(json.dumps(dict(zip(rel.columns, r, strict=True))) + "\n" for r in rows)
        )
    return path


@pytest.mark.parametrize("layout", ["jsonl", "parquet"])
def test_one_read_into_an_empty_table_still_names_every_reject(shop, tmp_path, layout):
    """A JSON Lines or Parquet file into an empty table is read once and its inserted rows
    checked against the rows it can hold (lines, Parquet metadata): one reject among five
    rows must still stop the import and be named by its record number."""
    path = _events_as(tmp_path, UNKNOWN_EVENT, layout)
    with pytest.raises(ShopperlensError, match=r"events\.\w+:2 event_name='looked_at_thing'"):
        shop.import_events(path)
    assert shop.store.count("events") == 0
    res = shop.import_events(path, on_error="skip")
    assert (res.rows_read, res.rows_accepted, res.rows_rejected) == (5, 4, 1)
    assert shop.store.count("events") == 4


def test_json_lines_with_blank_lines_lose_nothing(shop, tmp_path):
    """Blank lines make the line count overstate the records: the one-read check misses and
    the file is imported on the exact path, every record kept."""
    path = _events_as(tmp_path, EVENTS, "jsonl")
    path.write_text(path.read_text().replace("\n", "\n\n", 2))
    res = shop.import_events(path)
    assert (res.rows_read, res.rows_accepted, res.rows_rejected) == (5, 5, 0)
    assert shop.store.count("events") == 5


def test_currency_codes_are_read_in_capitals_and_must_be_codes(shop, tmp_path):
    """A stored ``eur`` and a later export's ``EUR`` were a conflict ("order already imported
    with different content: currency"), and ``€`` was stored as a currency."""
    head = "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency\n"
    shop.import_orders(write(tmp_path, "a.csv", head + "K1,C1,2024-03-01,P1,1,10,eur\n"
                             "K2,C1,2024-03-02,P1,1,10, Sek \n"))  # fmt: skip
    res = shop.import_orders(write(tmp_path, "b.csv", head + "K1,C1,2024-03-01,P1,1,10,EUR\n"))
    assert res.rows_rejected == 0
    stored = shop.store.execute("SELECT order_id, currency FROM orders ORDER BY 1").fetchall()
    assert stored == [("K1", "EUR"), ("K2", "SEK")]
    with pytest.raises(ShopperlensError, match="currency='€': not a currency code"):
        shop.import_orders(write(tmp_path, "c.csv", head + "K3,C1,2024-03-03,P1,1,10,€\n"))


def test_an_amount_too_large_for_any_shop_is_rejected(shop, tmp_path):
    """``1e308`` was stored, and the report failed on the infinite basket it made."""
    head = "order_id,customer_id,ordered_at,product_id,quantity,unit_price,shipping\n"
    text = head + "X1,C1,2024-03-01,P1,2,1e308,0\nX2,C2,2024-03-02,P1,1,10,2e12\n"
    res = shop.import_orders(write(tmp_path, "o.csv", text), on_error="skip")
    reasons = sorted((r.column, r.reason) for r in res.rejects)
    assert reasons == [("shipping", "out of range (above 1,000,000,000,000)"),
                       ("unit_price", "out of range (above 1,000,000,000,000)")]  # fmt: skip
    ok = head + "X3,C3,2024-03-03,P1,3,1000000000000,1000000000000\n"
    assert shop.import_orders(write(tmp_path, "ok.csv", ok)).rows_rejected == 0


def test_a_parquet_id_column_of_floats_keeps_the_ids(shop, tmp_path):
    """pandas stores a column of ids with one missing as floats: customer 7 became a second
    customer "7.0" beside the one the customers file named."""
    import pandas as pd

    shop.import_customers(write(tmp_path, "c.csv", "customer_id,email\n7,ann@example.com\n"))
    pd.DataFrame({
        "order_id": [1001, 1002], "customer_id": [7, None],
        "ordered_at": ["2024-03-01", "2024-03-02"], "product_id": [55.0, 55.5],
        "quantity": [1, 1], "unit_price": [10.0, 10.0],
    }).to_parquet(tmp_path / "o.parquet")  # fmt: skip
    shop.import_orders(tmp_path / "o.parquet")
    q = shop.store.execute
    assert q("SELECT customer_id FROM customers").fetchall() == [("7",)]
    assert q("SELECT order_id, customer_id FROM orders ORDER BY 1").fetchall() == [
        ("1001", "7"), ("1002", None)]  # fmt: skip
    assert q("SELECT product_id FROM order_lines ORDER BY 1").fetchall() == [("55",), ("55.5",)]


def test_a_ga4_record_with_a_field_of_another_type_stops_the_file_naming_its_line(shop, tmp_path):
    """What the README says of it: not read in place like a malformed record, but one clear
    message with the line, and nothing stored."""
    import json
    from pathlib import Path

    first = json.loads(Path(GA4).read_text(encoding="utf-8").splitlines()[0])
    bad = dict(first, event_timestamp="abc")
    path = write(tmp_path, "events_1.jsonl", json.dumps(first) + "\n" + json.dumps(bad) + "\n")
    before = counts(shop)
    with pytest.raises(ShopperlensError, match='events_1.jsonl.*line 2.*"abc"'):
        shop.import_events(path, on_error="skip")
    assert counts(shop) == before


def test_a_birth_year_must_be_one(shop, tmp_path):
    """``-1985`` was stored: an age of four thousand years in the age brackets."""
    text = "customer_id,email,birth_year\nB1,b1@x.com,-1985\nB2,b2@x.com,1985\nB3,b3@x.com,2999\n"
    res = shop.import_customers(write(tmp_path, "c.csv", text + "B4,b4@x.com,\n"), on_error="skip")
    assert sorted((r.line, r.column, r.reason) for r in res.rejects) == [
        (2, "birth_year", "not a birth year (1900 to this year)"),
        (4, "birth_year", "not a birth year (1900 to this year)"),
    ]
    stored = shop.store.execute("SELECT customer_id, birth_year FROM customers ORDER BY 1")
    assert stored.fetchall() == [("B2", 1985), ("B4", None)]
