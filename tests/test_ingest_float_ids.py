"""Id columns written by pandas as floats: a column of whole numbers with one value missing is
stored as floats, so ``to_csv`` and ``to_json`` write customer ``7`` as ``7.0``.

In a CSV, TSV or JSON Lines file, an id column (a kind's key, or an id rows refer to by) whose
every value is a whole number written with a ``.0`` fraction (or blank) names the same
customers, orders and products as the whole numbers do; a column holding any other value keeps
every value as written, and a number beyond 2^53 is kept as written too.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from _ingest_data import counts
from shopperlens.ingest import generic
from shopperlens.service.imports import ImportRejected


def save(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` written by pandas itself, in the layout the file name says."""
    if path.name.endswith((".csv", ".csv.gz")):
        frame.to_csv(path, index=False)
    elif path.suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path)
    return path


def customers_file(tmp_path: Path) -> Path:
    """Customers 7 and 8, their ids a column of integers (no value missing): ``7``, ``8``."""
    return save(
        pd.DataFrame({
            "customer_id": [7, 8], "email": ["a@x.org", "b@x.org"],
            "created_at": ["2024-01-01"] * 2, "country": ["NL", "DE"],
        }),
        tmp_path / "c.csv",
    )  # fmt: skip


def orders(customer_ids: list[object], **columns: list[object]) -> pd.DataFrame:
    """One order line per customer id (orders 1, 2, 3 …), other columns as given."""
    n = len(customer_ids)
    frame = pd.DataFrame({
        "order_id": list(range(1, n + 1)), "customer_id": customer_ids,
        "ordered_at": ["2024-02-01"] * n, "product_id": ["P1"] * n,
        "quantity": [1] * n, "unit_price": [9.5] * n,
    })  # fmt: skip
    for name, values in columns.items():
        frame[name] = values
    return frame


def rows(shop, sql: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    return shop.store.execute(sql).fetchall()


def snapshot(shop) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def]
    """The stored customers, orders and order lines."""
    return {
        "customers": rows(shop, "SELECT customer_id, email FROM customers ORDER BY 1"),
        "orders": rows(shop, "SELECT order_id, customer_id FROM orders ORDER BY 1"),
        "lines": rows(shop, "SELECT order_id, product_id, quantity FROM order_lines ORDER BY 1"),
    }


def tables(shop) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Row counts of the canonical tables, the imports ledger left out (each file read adds
    to it)."""
    return {t: n for t, n in counts(shop).items() if t != "imports"}


@pytest.mark.parametrize("name", ["o.csv", "o.tsv", "o.jsonl", "o.csv.gz"])
def test_float_customer_ids_name_the_customers_of_the_customers_file(shop, tmp_path, name):
    """Customers 7 and 8 (``7``, ``8``); orders from a customer id column with one guest row,
    which pandas writes ``7.0``, ``8.0`` and a blank (JSON ``7.0``, ``null``; also gzipped):
    the orders point to customers 7 and 8, and no customer ``7.0`` or ``8.0`` is made."""
    shop.import_customers(customers_file(tmp_path))
    path = save(orders([7, 8, None]), tmp_path / name)
    if not name.endswith(".gz"):
        assert "7.0" in path.read_text()  # (what pandas wrote)
    shop.import_orders(path)
    assert rows(shop, "SELECT customer_id, email FROM customers ORDER BY 1") == [
        ("7", "a@x.org"), ("8", "b@x.org")]  # fmt: skip
    assert rows(shop, "SELECT order_id, customer_id FROM orders ORDER BY 1") == [
        ("1", "7"), ("2", "8"), ("3", None)]  # fmt: skip


@pytest.mark.parametrize("name", ["o.csv", "o.jsonl"])
def test_order_and_product_ids_written_as_floats_are_the_whole_numbers(shop, tmp_path, name):
    """Order ids ``1.0``, ``2.0`` and a blank, product ids ``5.0``, ``-3.0`` and a blank (each
    column with one value missing): orders 1 and 2 with products 5 and -3; the line without an
    order id is rejected, not stored."""
    frame = orders([7, 8, 9], product_id=[5, -3, None])
    frame["order_id"] = [1, 2, None]
    res = shop.import_orders(save(frame, tmp_path / name), on_error="skip")
    assert [(r.column, r.reason) for r in res.rejects] == [("order_id", "missing value")]
    assert rows(shop, "SELECT order_id, product_id FROM order_lines ORDER BY 1") == [
        ("1", "5"), ("2", "-3")]  # fmt: skip
    assert rows(shop, "SELECT product_id FROM products ORDER BY 1") == [("-3",), ("5",)]


@pytest.mark.parametrize("name", ["o.csv", "o.jsonl"])
def test_a_column_mixing_float_ids_and_text_keeps_every_value(shop, tmp_path, name):
    """A customer id column holding ``7.0``, ``A7`` and a blank: it is text, ``7.0`` stays
    customer ``7.0`` beside the customers file's ``7``."""
    shop.import_customers(customers_file(tmp_path))
    shop.import_orders(save(orders([7.0, "A7", None]), tmp_path / name))
    assert rows(shop, "SELECT customer_id FROM customers ORDER BY 1") == [
        ("7",), ("7.0",), ("8",), ("A7",)]  # fmt: skip
    assert rows(shop, "SELECT order_id, customer_id FROM orders ORDER BY 1") == [
        ("1", "7.0"), ("2", "A7"), ("3", None)]  # fmt: skip


@pytest.mark.parametrize("other", ["2.5", "7.00", "07.0", "1e3", "v1.0", "7.0-b", "7"])
def test_text_ids_like_floats_are_kept_beside_any_other_value(shop, tmp_path, other):
    """Products ``1.0`` and one other id that is no whole number written as ``N.0`` (``2.5``,
    ``7.00``, ``07.0``, ``1e3``, ``v1.0``, ``7.0-b``, ``7``): both are stored as written."""
    frame = pd.DataFrame({"product_id": ["1.0", other], "product_name": ["Mug", "Towel"]})
    shop.import_products(save(frame, tmp_path / "p.csv"))
    assert rows(shop, "SELECT product_id FROM products ORDER BY 1") == sorted([("1.0",), (other,)])


def test_a_float_id_column_of_text_ids_keeps_them(shop, tmp_path):
    """Product ids ``1.0`` and ``2.5`` written from a column of floats: ``2.5`` is no whole
    number, so the column is text and ``1.0`` is kept as written."""
    frame = pd.DataFrame({"product_id": [1.0, 2.5], "product_name": ["Mug", "Towel"]})
    shop.import_products(save(frame, tmp_path / "p.jsonl"))
    assert rows(shop, "SELECT product_id FROM products ORDER BY 1") == [("1.0",), ("2.5",)]


@pytest.mark.parametrize("name", ["t.csv", "t.jsonl", "t.parquet"])
def test_a_key_written_as_floats_is_the_whole_number(shop, tmp_path, name):
    """Tickets whose ids pandas wrote from a column of floats (``1.0``, ``2.0``): tickets 1
    and 2, so a file of the same tickets written ``1``, ``2`` adds none."""
    frame = pd.DataFrame({
        "ticket_id": [1.0, 2.0], "customer_id": [7, 8], "created_at": ["2024-03-01"] * 2,
        "subject": ["late", "broken"],
    })  # fmt: skip
    shop.import_tickets(save(frame, tmp_path / name))
    assert rows(shop, "SELECT ticket_id FROM tickets ORDER BY 1") == [("1",), ("2",)]
    frame["ticket_id"] = [1, 2]
    shop.import_tickets(save(frame, tmp_path / ("again" + Path(name).suffix)))
    assert rows(shop, "SELECT ticket_id FROM tickets ORDER BY 1") == [("1",), ("2",)]


@pytest.mark.parametrize("name", ["o.csv", "o.jsonl"])
def test_a_float_id_beyond_2_53_is_kept_as_written(shop, tmp_path, name):
    """Customer ids ``9007199254740994.0`` (above 2^53: the float of 9007199254740993 too),
    ``7.0`` and a blank: 7 loses its ``.0``, the large one is kept as written."""
    shop.import_orders(save(orders([9007199254740994.0, 7.0, None]), tmp_path / name))
    assert rows(shop, "SELECT order_id, customer_id FROM orders ORDER BY 1") == [
        ("1", "9007199254740994.0"), ("2", "7"), ("3", None)]  # fmt: skip


def test_parquet_float_ids_are_read_as_before(shop, tmp_path):
    """A Parquet file of orders whose customer ids (one missing) and product ids (``55.0``,
    ``55.5``) are floats: customers 7 and 8, products 55 and 55.5, as before."""
    shop.import_customers(customers_file(tmp_path))
    frame = orders([7, 8, None], product_id=[55.0, 55.5, 55.0])
    shop.import_orders(save(frame, tmp_path / "o.parquet"))
    assert rows(shop, "SELECT customer_id FROM customers ORDER BY 1") == [("7",), ("8",)]
    assert rows(shop, "SELECT order_id, customer_id FROM orders ORDER BY 1") == [
        ("1", "7"), ("2", "8"), ("3", None)]  # fmt: skip
    assert rows(shop, "SELECT DISTINCT product_id FROM order_lines ORDER BY 1") == [
        ("55",), ("55.5",)]  # fmt: skip


def test_the_whole_file_decides_past_the_first_rows(shop, tmp_path, monkeypatch):
    """Files longer than the first look (two rows here): customer ids blank for four rows,
    then ``7.0``, ``8.0``, lose their ``.0``; ``7.0``, ``8.0`` … with ``A7`` in the last row
    keep every value as written."""
    monkeypatch.setattr(generic, "PROBE_ROWS", 2, raising=False)
    shop.import_orders(save(orders([None] * 4 + [7, 8]), tmp_path / "late.csv"))
    assert rows(shop, "SELECT DISTINCT customer_id FROM orders ORDER BY 1") == [
        ("7",), ("8",), (None,)]  # fmt: skip
    frame = orders([7.0, 8.0, 7.0, 8.0, None, "A7"])
    frame["order_id"] = [f"X{i}" for i in range(6)]
    shop.import_orders(save(frame, tmp_path / "mixed.csv"))
    assert rows(shop, "SELECT customer_id FROM orders WHERE order_id LIKE 'X%' ORDER BY 1") == [
        ("7.0",), ("7.0",), ("8.0",), ("8.0",), ("A7",), (None,)]  # fmt: skip


def test_the_same_orders_written_otherwise_change_nothing(shop, tmp_path):
    """Orders with a guest row (customer ids ``7.0``, ``8.0``, blank) imported; then the same
    file again, the same orders as JSON Lines, and orders 1 and 2 from a column without the
    guest (``7``, ``8``): the store stays as the first import left it."""
    shop.import_customers(customers_file(tmp_path))
    frame = orders([7, 8, None])
    shop.import_orders(save(frame, tmp_path / "o.csv"))
    before, sizes = snapshot(shop), tables(shop)
    assert before["orders"] == [("1", "7"), ("2", "8"), ("3", None)]
    again = shop.import_orders(tmp_path / "o.csv")
    assert again.files[0].skipped
    shop.import_orders(save(frame, tmp_path / "o.jsonl"))
    shop.import_orders(save(orders([7, 8]), tmp_path / "o12.csv"))
    assert snapshot(shop) == before
    assert tables(shop) == sizes


def test_a_rejected_file_of_float_ids_stores_nothing(shop, tmp_path):
    """Orders with customer ids ``7.0``, ``8.0``, blank and one date that is no date: the
    import stops and stores no order and no customer."""
    shop.import_customers(customers_file(tmp_path))
    before, sizes = snapshot(shop), tables(shop)
    frame = orders([7, 8, None], ordered_at=["2024-02-01", "2024-02-31", "2024-02-01"])
    with pytest.raises(ImportRejected):
        shop.import_orders(save(frame, tmp_path / "o.csv"))
    assert snapshot(shop) == before
    assert tables(shop) == sizes


def test_a_file_with_a_malformed_row_reads_its_float_ids_as_whole_numbers(shop, tmp_path):
    """Orders with customer ids ``7.0``, ``8.0``, blank, ``8.0`` whose line 3 has more values
    than the header: that row is rejected, the others point to customers 7 and 8."""
    path = tmp_path / "o.csv"
    path.write_text(
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        "1,7.0,2024-02-01,P1,1,9.5\n2,8.0,2024-02-01,P1,1,9.5,extra,values\n"
        "3,,2024-02-01,P1,1,9.5\n4,8.0,2024-02-01,P1,1,9.5\n"
    )
    res = shop.import_orders(path, on_error="skip")
    assert [r.line for r in res.rejects] == [3]
    assert rows(shop, "SELECT order_id, customer_id FROM orders ORDER BY 1") == [
        ("1", "7"), ("3", None), ("4", "8")]  # fmt: skip
    assert rows(shop, "SELECT customer_id FROM customers ORDER BY 1") == [("7",), ("8",)]


def test_a_malformed_row_keeps_its_whole_float_id_order_out(shop, tmp_path):
    """Order ids written as floats (``1.0``, ``2.0``); order 2's second line has more values
    than the header. Under ``skip`` an order is imported whole or not at all: order 2's good
    line must stay out with it, though the malformed row's text says ``2.0`` and the staged
    rows ``2``."""
    path = tmp_path / "o.csv"
    path.write_text(
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        "1.0,c7,2024-02-01,P1,1,9.5\n2.0,c8,2024-02-01,P1,1,9.5\n"
        "2.0,c8,2024-02-01,P2,1,9.5,extra\n3.0,c8,2024-02-02,P1,1,9.5\n"
    )
    res = shop.import_orders(path, on_error="skip")
    assert sorted(r.line for r in res.rejects) == [3, 4]
    assert rows(shop, "SELECT order_id FROM orders ORDER BY 1") == [("1",), ("3",)]
    assert rows(shop, "SELECT order_id FROM order_lines ORDER BY 1") == [("1",), ("3",)]
