"""Every import format on real-shaped files: generic (CSV/TSV/Parquet/JSONL/gzip), mapping,
Shopify's orders export, GA4's BigQuery export, the UCI Online Shoppers file."""

from __future__ import annotations

import hashlib
import json

import duckdb
import pytest

from _ingest_data import GA4, KIND_TEXT, ORDERS, SHOPIFY, UCI, counts, write

TARGET = {
    "customers": ("customers", 3),
    "orders": ("order_lines", 4),
    "products": ("products", 2),
    "tickets": ("tickets", 2),
    "returns": ("returns", 1),
    "sessions": ("sessions", 1),
    "events": ("events", 5),
}


@pytest.mark.parametrize("kind", sorted(KIND_TEXT))
def test_generic_csv_every_kind(shop, tmp_path, kind):
    path = write(tmp_path, f"{kind}.csv", KIND_TEXT[kind])
    res = shop.import_files(kind, path)
    table, n = TARGET[kind]
    assert res.rows_read == n and res.rows_rejected == 0
    assert shop.store.count(table) == n
    assert shop.imports()[0].rows_accepted == n


@pytest.mark.parametrize("layout", ["tsv", "parquet", "jsonl", "csv.gz", "jsonl.gz"])
def test_generic_layouts_give_the_same_rows(shop, tmp_path, layout):
    csv = write(tmp_path, "orders.csv", ORDERS)
    target = tmp_path / f"orders.{layout}"
    rel = duckdb.read_csv(str(csv), all_varchar=True)
    if layout == "tsv":
        target.write_text(ORDERS.replace(",", "\t"))
    elif layout == "parquet":
        rel.write_parquet(str(target))
    elif layout.startswith("jsonl"):
        lines = "".join(
            json.dumps(dict(zip(rel.columns, r, strict=True))) + "\n" for r in rel.fetchall()
        )
        write(tmp_path, target.name, lines)
    else:
        write(tmp_path, target.name, ORDERS)
    res = shop.import_orders(target)
    assert (res.rows_read, res.rows_rejected) == (4, 0)
    got = shop.sql("SELECT order_id, line_no, quantity, unit_price FROM order_lines ORDER BY 1, 2")
    assert got.values.tolist() == [
        ["o1", 1, 2, 9.5],
        ["o1", 2, 1, 4.0],
        ["o2", 1, 1, 9.5],
        ["o3", 1, 3, 12.0],
    ]


def test_orders_create_missing_customers_and_products(shop, tmp_path):
    shop.import_orders(write(tmp_path, "orders.csv", ORDERS))
    assert counts(shop, "orders", "customers", "products") == {
        "orders": 3,
        "customers": 3,
        "products": 3,
    }
    first = shop.sql("SELECT created_at FROM customers WHERE customer_id = 'c1'").iloc[0, 0]
    assert str(first) == "2024-01-05 10:00:00"


def test_customers_emails_are_normalised(shop, tmp_path):
    shop.import_customers(write(tmp_path, "customers.csv", KIND_TEXT["customers"]))
    row = shop.sql(
        "SELECT email, accepts_marketing, birth_year FROM customers WHERE customer_id='c1'"
    )
    assert row.values.tolist() == [["anna@example.com", True, 1985]]
    # a trailing Z is UTC
    ts = shop.sql("SELECT created_at FROM customers WHERE customer_id='c3'").iloc[0, 0]
    assert str(ts) == "2023-03-04 12:30:00"


def test_map_option_and_mapping_file(shop, tmp_path):
    theirs = ORDERS.replace("order_id", "Order Number").replace("ordered_at", "Date")
    path = write(tmp_path, "theirs.csv", theirs)
    res = shop.import_orders(path, mapping={"Order Number": "order_id", "Date": "ordered_at"})
    assert res.rows_accepted == 4
    other = shopperlens_open()
    mapfile = tmp_path / "map.yaml"
    mapfile.write_text("columns:\n  Order Number: order_id\n  Date: ordered_at\n")
    assert other.import_orders(path, mapping=mapfile).rows_accepted == 4
    jmap = tmp_path / "map.json"
    jmap.write_text(json.dumps({"Order Number": "order_id", "Date": "ordered_at"}))
    third = shopperlens_open()
    assert third.import_orders(path, mapping=jmap).rows_accepted == 4


def test_headers_match_case_insensitively(shop, tmp_path):
    text = ORDERS.replace("order_id", "Order ID").replace("unit_price", "Unit Price")
    assert shop.import_orders(write(tmp_path, "o.csv", text)).rows_accepted == 4


def test_shopify_orders_export(shop):
    res = shop.import_orders(SHOPIFY)
    assert res.files[0].format == "shopify"
    assert res.added == {"orders": 5, "order_lines": 9, "products": 5, "customers": 4}
    orders = shop.sql("SELECT * FROM orders ORDER BY order_id").set_index("order_id")
    # order-level fields come from the first row only; +0100 offsets become UTC
    assert str(orders.loc["#1001", "ordered_at"]) == "2024-03-01 08:15:02"
    assert orders.loc["#1001", "discount_code"] == "WELCOME10"
    assert orders.loc["#1005", "status"] == "cancelled"
    assert orders.loc["#1004", "shipping"] == 0.0
    # the same person (e-mail in another case, with spaces) is one customer, keyed by e-mail hash
    anna = "e-" + hashlib.sha256(b"anna.jansen@example.com").hexdigest()[:16]
    assert orders.loc["#1001", "customer_id"] == orders.loc["#1003", "customer_id"] == anna
    cust = shop.sql(
        "SELECT email, country, accepts_marketing FROM customers WHERE customer_id=?", [anna]
    )
    # #1001 (1 March) says "yes" to marketing, her later #1003 (9 March) "no": the later wins
    assert cust.values.tolist() == [["anna.jansen@example.com", "NL", False]]
    lines = shop.sql(
        "SELECT product_id, quantity, unit_price FROM order_lines WHERE order_id='#1004'"
    )
    assert lines.values.tolist() == [
        ["AP-RUST", 1, 39.0],
        ["TT-SAGE", 2, 12.5],
        ["MUG-BLUE", 1, 18.0],
    ]
    # no SKU: a stable id from the line-item name
    assert (
        shop.sql("SELECT count(*) FROM products WHERE product_id LIKE 'shopify-%'").iloc[0, 0] == 2
    )


@pytest.mark.parametrize("layout", ["jsonl", "jsonl.gz", "parquet"])
def test_ga4_export(shop, tmp_path, layout):
    path = GA4
    if layout == "parquet":
        path = tmp_path / "events_20240105.parquet"
        duckdb.sql(f"COPY (SELECT * FROM read_json('{GA4}')) TO '{path}'")
    elif layout == "jsonl.gz":
        path = write(tmp_path, "events_20240105.jsonl.gz", GA4.read_text("utf-8"))
    res = shop.import_events(path)
    assert res.files[0].format == "ga4"
    assert res.added == {"events": 12, "identities": 1, "sessions": 3}
    ev = shop.sql("SELECT * FROM events ORDER BY timestamp").set_index("event_name", drop=False)
    start = ev.iloc[0]
    assert str(start["timestamp"]) == "2024-01-05 09:00:00"  # 1704445200000000 µs
    assert (start["utm_source"], start["utm_medium"], start["utm_campaign"], start["utm_term"]) == (
        "google",
        "cpc",
        "mugs",
        "blue mug",
    )
    assert start["session_id"] == "1843229175.1704440000:1704445200"
    assert ev.loc["view_search_results", "search_term"] == "blue mug"
    assert ev.loc["view_item", "product_id"] == "MUG-BLUE"
    assert ev.loc["view_item", "page"] == "/products/stoneware-mug-blue"
    assert ev.loc["purchase", "value"] == 18.0
    # user 1 signed in at its purchase: the visitor is linked, its session names the customer
    assert set(ev[ev.visitor_id == "1843229175.1704440000"].customer_id.dropna()) == {"c-1002"}
    assert shop.sql("SELECT visitor_id, customer_id FROM identities").values.tolist() == [
        ["1843229175.1704440000", "c-1002"]
    ]
    s = shop.sql("SELECT * FROM sessions ORDER BY started_at").iloc[0]
    assert (s.n_events, s.page_views, s.searches, s.add_to_carts, s.purchases) == (7, 1, 1, 1, 1)
    assert (s.duration_s, s.landing_page, s.device) == (300.0, "/", "mobile")
    assert s.customer_id == "c-1002"  # through the identity link


def test_uci_online_shoppers_sessions(shop):
    """UCI #468 (Sakar et al. 2019): 12,330 sessions, 1,908 with Revenue TRUE (SOURCE.md)."""
    res = shop.import_sessions(UCI)
    assert res.files[0].format == "uci"
    assert (res.rows_read, res.rows_rejected) == (12330, 0)
    got = shop.sql(
        "SELECT count(*), count(*) FILTER (WHERE revenue), count(*) FILTER (WHERE "
        "visitor_type = 'New_Visitor'), count(DISTINCT month), min(origin), max(origin) "
        "FROM sessions"
    )
    assert got.values.tolist() == [[12330, 1908, 1694, 10, "import", "import"]]
    first = shop.sql("SELECT * FROM sessions WHERE session_id = 'uci-000002'").iloc[0]
    assert (first.product_related, first.bounce_rate, first.month) == (1, 0.2, "Feb")


def shopperlens_open():  # type: ignore[no-untyped-def]
    import shopperlens

    return shopperlens.open(":memory:")
