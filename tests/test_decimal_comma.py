"""The decimal-comma option on every face of the imports: numbers are then read as
``1.234,50`` = 1234.5 (a dot groups thousands, the comma is the decimal mark), ``1.250`` =
1250, ``12,5`` = 12.5, and ``12.5`` (a dot that groups no thousands) is rejected. Python
(``import_orders`` and the other import methods, ``survey_import``), the CLI
(``--decimal-comma``), HTTP (``?decimal_comma=true``, the import job, the survey upload)."""

from __future__ import annotations

import duckdb
import pytest

from _ingest_data import counts, write
from conftest import finished_job
from shopperlens.errors import ShopperlensError
from shopperlens.service.imports import ImportRejected
from shopperlens.surveys.definition import survey_from_dict

#: a German shop's order lines (Excel's ``;``), and what they mean: revenue 3 × 1,234.50 +
#: 1,000 × 1.25 ... each line's quantity × unit price
ORDERS_DE = """order_id;customer_id;ordered_at;product_id;quantity;unit_price;shipping
1001;K1;2025-12-24 18:30;P1;3;1.234,50;4,95
1002;K2;2026-01-03 09:15;P2;1.000;1,25;
1003;K3;2026-01-04 10:00;P3;2;1.250;0
1004;K4;2026-01-05 11:00;P4;1;12,5;
"""
#: (order_id, quantity, unit_price) as the file means them
TRUTH = [("1001", 3, 1234.5), ("1002", 1000, 1.25), ("1003", 2, 1250.0), ("1004", 1, 12.5)]
REVENUE = 3 * 1234.5 + 1000 * 1.25 + 2 * 1250.0 + 12.5


def _lines(shop) -> list[tuple[str, int, float]]:  # type: ignore[no-untyped-def]
    return shop.store.execute(
        "SELECT order_id, quantity, unit_price FROM order_lines ORDER BY order_id"
    ).fetchall()


def _revenue_and_shipping(con) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    got = con.execute(
        "SELECT (SELECT sum(quantity * unit_price) FROM order_lines), "
        "(SELECT sum(shipping) FROM orders)"
    ).fetchone()
    return got[0], got[1]


# -- Python ---------------------------------------------------------------------------------------
def test_python_reads_the_european_way(shop, tmp_path):
    shop.import_orders(write(tmp_path, "de.csv", ORDERS_DE), decimal_comma=True)
    assert _lines(shop) == TRUTH
    assert _revenue_and_shipping(shop.store) == (REVENUE, 4.95)


NOT_FORMAT = "in the decimal-comma format (1.234,50 or 1234,5)"


@pytest.mark.parametrize(
    ("quantity", "price", "column", "reason"),
    [
        ("1", "12.5", "unit_price", f"not a number {NOT_FORMAT}"),
        ("1", "1,234.50", "unit_price", f"not a number {NOT_FORMAT}"),
        ("1", "12.50.0", "unit_price", f"not a number {NOT_FORMAT}"),
        ("1,5", "2", "quantity", "not a whole number"),  # (in the format, and no whole number)
        ("2.5", "2", "quantity", f"not a whole number {NOT_FORMAT}"),
    ],
)
def test_a_number_not_in_the_decimal_comma_format_is_rejected(
    shop, tmp_path, quantity, price, column, reason
):
    text = f"order_id;customer_id;ordered_at;product_id;quantity;unit_price\no1;c1;2024-03-01;p1;{quantity};{price}\n"  # noqa: E501
    path = write(tmp_path, "o.csv", text)
    with pytest.raises(ImportRejected) as info:
        shop.import_orders(path, decimal_comma=True)
    assert [(r.line, r.column, r.reason) for r in info.value.rejects] == [(2, column, reason)]
    assert counts(shop, "order_lines", "imports") == {"order_lines": 0, "imports": 0}


def test_the_other_import_methods_take_it(shop, tmp_path):
    products = "product_id;product_name;price\np1;Zelt;1.299,00\np2;Heringe;0,35\n"
    shop.import_products(write(tmp_path, "p.csv", products), decimal_comma=True)
    prices = shop.store.execute("SELECT product_id, price FROM products ORDER BY 1").fetchall()
    assert prices == [("p1", 1299.0), ("p2", 0.35)]
    events = (
        "visitor_id\ttimestamp\tevent_name\tvalue\nv1\t2024-03-01 10:00:00\tpurchase\t1.250,00\n"
    )
    shop.import_events(write(tmp_path, "e.tsv", events), decimal_comma=True)
    assert shop.store.execute("SELECT value FROM events").fetchall() == [(1250.0,)]
    customers = "customer_id;birth_year\nc1;1.985\n"
    shop.import_customers(write(tmp_path, "c.csv", customers), decimal_comma=True)
    assert shop.store.execute("SELECT birth_year FROM customers").fetchall() == [(1985,)]


def test_a_value_whose_dot_groups_no_thousands_is_refused_not_multiplied(shop, tmp_path):
    """``0.500`` is a decimal point (no thousands group starts with 0): with the option it was
    stored as 500."""
    header = "order_id;customer_id;ordered_at;product_id;quantity;unit_price\n"
    rows = "o1;K1;2025-12-24;P1;1;0.500\no2;K1;2025-12-24;P2;1;-0.250\no3;K1;2025-12-24;P3;1;0,5\n"
    path = write(tmp_path, "o.csv", header + rows)
    with pytest.raises(ImportRejected) as info:
        shop.import_orders(path, decimal_comma=True)
    assert [(r.line, r.value) for r in info.value.rejects] == [(2, "0.500"), (3, "-0.250")]
    assert counts(shop, "order_lines") == {"order_lines": 0}


def test_a_json_lines_file_is_refused_with_the_option(shop, tmp_path):
    """A JSON number is always written with a point (``1.234``), which the option would read
    as 1234."""
    path = write(tmp_path, "c.jsonl", '{"customer_id": "c1", "birth_year": 1.985}\n')
    with pytest.raises(ShopperlensError, match="a JSON Lines file writes them"):
        shop.import_customers(path, decimal_comma=True)
    assert counts(shop, "customers") == {"customers": 0}


def test_a_parquet_file_is_refused_with_the_option(shop, tmp_path):
    """Parquet stores numbers typed: the option reads numbers written as text."""
    path = tmp_path / "p.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT 'p1' AS product_id, 12.5 AS price) TO '{path}' (FORMAT parquet)"
    )
    with pytest.raises(ShopperlensError, match="p.parquet: the decimal-comma option reads"):
        shop.import_products(path, decimal_comma=True)
    with pytest.raises(ShopperlensError, match="format ga4: the decimal-comma option reads"):
        shop.import_events(path, fmt="ga4", decimal_comma=True)
    assert counts(shop, "products") == {"products": 0}


# -- CLI ------------------------------------------------------------------------------------------
def test_cli_decimal_comma(cli, db_path, tmp_path):
    res = cli("import", "orders", str(write(tmp_path, "de.csv", ORDERS_DE)), "--decimal-comma")
    assert res.exit_code == 0, res.output
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert _revenue_and_shipping(con) == (REVENUE, 4.95)


def test_cli_without_the_option_refuses_the_ambiguous_lines(cli, db_path, tmp_path):
    res = cli("import", "orders", str(write(tmp_path, "de.csv", ORDERS_DE)))
    assert res.exit_code == 1
    assert "de.csv:3 quantity='1.000': '1.000' may be 1000 with a thousands dot or 1" in res.output
    assert "de.csv:2 unit_price='1.234,50': not a number (a decimal comma? import with " in (
        res.output
    )
    if db_path.exists():  # (a store the refused import would have made is not left behind)
        with duckdb.connect(str(db_path), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM order_lines").fetchone() == (0,)


# -- HTTP -----------------------------------------------------------------------------------------
def test_http_upload_and_path_take_decimal_comma(client, shop, tmp_path):
    up = client.post(
        "/api/imports/orders?decimal_comma=true",
        files={"file": ("de.csv", ORDERS_DE.encode(), "text/csv")},
    )
    assert up.status_code == 200, up.text
    assert _lines(shop) == TRUTH
    products = write(tmp_path, "p.csv", "product_id;price\np9;1.299,00\n")
    by_path = client.post("/api/imports/products?decimal_comma=true", json={"path": str(products)})
    assert by_path.status_code == 200, by_path.text
    assert shop.store.execute("SELECT price FROM products WHERE product_id = 'p9'").fetchall() == [
        (1299.0,)
    ]


def test_http_body_naming_the_option_points_to_the_query(client, tmp_path):
    path = write(tmp_path, "de.csv", ORDERS_DE)
    res = client.post("/api/imports/orders", json={"path": str(path), "decimal_comma": True})
    assert res.status_code == 422
    assert "'decimal_comma' is an option of the query string" in res.text


def test_the_import_job_takes_decimal_comma(client, shop, tmp_path):
    path = write(tmp_path, "de.csv", ORDERS_DE)
    started = client.post(
        "/api/jobs/import", json={"kind": "orders", "paths": [str(path)], "decimal_comma": True}
    )
    assert started.status_code == 202, started.text
    job = finished_job(client, started.json()["job_id"])
    assert job["status"] == "done", job
    assert _lines(shop) == TRUTH


# -- survey exports -------------------------------------------------------------------------------
UMFRAGE = {
    "name": "umfrage",
    "title": "Umfrage",
    "questions": [
        {"id": "einkommen", "kind": "number", "group": "financial", "text": "Einkommen (€)?"}
    ],
}
ANSWERS = "respondent;einkommen\nr1;2.500\nr2;2750,50\nr3;1.234,5\n"
INCOMES = {"r1": 2500.0, "r2": 2750.5, "r3": 1234.5}


def _incomes(shop) -> dict[str, float]:  # type: ignore[no-untyped-def]
    frame = shop.survey_responses("umfrage")
    return dict(zip(frame["respondent"], frame["einkommen"], strict=True))


@pytest.fixture
def umfrage(shop):  # type: ignore[no-untyped-def]
    shop.survey_create(survey_from_dict(UMFRAGE))
    return shop


def test_survey_import_python(umfrage, tmp_path):
    path = write(tmp_path, "antworten.csv", ANSWERS)
    umfrage.survey_import(path, survey="umfrage", decimal_comma=True)
    assert _incomes(umfrage) == INCOMES


def test_survey_import_rejects_a_decimal_point_with_the_option(umfrage, tmp_path):
    path = write(tmp_path, "antworten.csv", "respondent;einkommen\nr1;2500.50\n")
    with pytest.raises(ShopperlensError) as info:
        umfrage.survey_import(path, survey="umfrage", decimal_comma=True)
    assert (
        "antworten.csv:2 einkommen='2500.50': must be a number in the decimal-comma format "
        "(1.234,50 or 1234,5)"
    ) in str(info.value)


def test_survey_import_cli(cli, db_path, tmp_path):
    import shopperlens

    with shopperlens.open(db_path) as shop:
        shop.survey_create(survey_from_dict(UMFRAGE))
    path = write(tmp_path, "antworten.csv", ANSWERS)
    res = cli("import", "survey", str(path), "--survey", "umfrage", "--decimal-comma")
    assert res.exit_code == 0, res.output
    with shopperlens.open(db_path) as shop:
        assert _incomes(shop) == INCOMES


def test_survey_upload_over_http(umfrage, client):
    res = client.post(
        "/api/surveys/umfrage/import?decimal_comma=true",
        files={"file": ("antworten.csv", ANSWERS, "text/csv")},
    )
    assert res.status_code == 200, res.text
    assert _incomes(umfrage) == INCOMES


def test_the_import_job_refuses_the_option_for_ga4_before_queueing(client, tmp_path):
    path = write(tmp_path, "e.jsonl", '{"event_name": "page_view"}\n')
    started = client.post(
        "/api/jobs/import",
        json={"kind": "events", "paths": [str(path)], "fmt": "ga4", "decimal_comma": True},
    )
    assert started.status_code == 400
    assert "the decimal-comma option reads numbers" in started.text


def test_the_option_given_after_a_skipping_import_says_it_changes_nothing(shop, tmp_path):
    """The rejects of a first import advise --decimal-comma; given then, the file is already in
    the ledger, and "already imported, skipped" left the rejected rows out without a word."""
    path = write(tmp_path, "de.csv", ORDERS_DE)
    first = shop.import_orders(path, on_error="skip")
    assert first.rows_rejected > 0
    stored = _lines(shop)
    again = shop.import_orders(path, decimal_comma=True, on_error="skip")
    note = again.files[0].note
    assert f"when {first.rows_rejected} of its rows were rejected, skipped" in note
    assert "--decimal-comma changes nothing for it" in note
    assert _lines(shop) == stored and counts(shop, "imports") == {"imports": 1}
