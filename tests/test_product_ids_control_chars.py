"""A product id holding a NUL byte, a tab, a line break or an escape is rejected, as customer,
order and visitor ids are (one list, ``ingest.rejects.CONTROL_CHECKED``): it was stored as
given and reached recommendations, basket rules and every CSV written. The rejects file keeps
the raw value; it still reads back whole, and erasing someone else keeps that row intact."""

from __future__ import annotations

from pathlib import Path

import pytest

import shopperlens
from shopperlens.errors import ShopperlensError
from test_ids_control_chars import ORDER, _jsonl, _rejects

EVENT = {"event_id": "e1", "visitor_id": "v1", "timestamp": "2025-01-01T10:00:00"}
CASES = [("p\x001", "U+0000"), ("p\t1", "U+0009"), ("p\n1", "U+000A"), ("\x1b[31mp1", "U+001B")]


@pytest.mark.parametrize(("value", "code"), CASES)
def test_an_order_lines_product_id_with_a_control_character_is_a_reject(
    tmp_path: Path, value: str, code: str
) -> None:
    path = _jsonl(
        tmp_path / "orders.jsonl", [{**ORDER, "product_id": value}, {**ORDER, "order_id": "o2"}]
    )
    with shopperlens.open(tmp_path / "shop.duckdb") as shop:
        with pytest.raises(ShopperlensError) as err:
            shop.import_files("orders", path)
        assert f"orders.jsonl:1 product_id={value!r}: holds a control character {code}" in str(
            err.value
        )
        res = shop.import_files("orders", path, on_error="skip")
        assert [(r.line, r.column) for r in res.rejects] == [(1, "product_id")]
        stored = shop.store.execute("SELECT DISTINCT product_id FROM order_lines").fetchall()
        assert stored == [("p1",)]


@pytest.mark.parametrize(("value", "code"), CASES)
def test_an_events_and_a_products_files_product_id_too(
    tmp_path: Path, value: str, code: str
) -> None:
    events = _jsonl(
        tmp_path / "events.jsonl",
        [
            {**EVENT, "event_name": "view_item", "product_id": value},
            {**EVENT, "event_id": "e2", "event_name": "view_item", "product_id": "p2"},
        ],
    )
    products = _jsonl(
        tmp_path / "products.jsonl",
        [
            {"product_id": value, "product_name": "Tent"},
            {"product_id": "p2", "product_name": "Mat"},
        ],
    )
    with shopperlens.open(tmp_path / "shop.duckdb") as shop:
        for kind, path, table in (("events", events, "events"), ("products", products, "products")):
            res = shop.import_files(kind, path, on_error="skip")
            assert [(r.line, r.column, r.reason) for r in res.rejects] == [
                (1, "product_id", f"holds a control character {code}")
            ], kind
            stored = shop.store.execute(f"SELECT product_id FROM {table}").fetchall()
            assert stored == [("p2",)], kind


def test_a_rejects_file_holding_a_nul_reads_back_and_survives_an_erase(tmp_path: Path) -> None:
    """The rejects file keeps the raw value (it is where the line is corrected from): read
    back it is whole, the export reads past it, and erase rewrites the file without another
    person's row and with the NUL row as it was."""
    db = tmp_path / "shop.duckdb"
    path = _jsonl(
        tmp_path / "orders.jsonl",
        [
            {**ORDER, "product_id": "p\x001"},
            {**ORDER, "order_id": "o2", "customer_id": "c2"},
            {**ORDER, "order_id": "o3", "customer_id": "c2"},  # o3's lines disagree on whose
            {**ORDER, "order_id": "o3", "customer_id": "c3", "product_id": "p2"},
        ],
    )
    with shopperlens.open(db) as shop:
        shop.import_files("orders", path, on_error="skip")
        nul, theirs, other = _rejects(db)
        assert (nul["line"], nul["column"], nul["value"]) == ("1", "product_id", "p\x001")
        assert [r["value"] for r in shop.export_person("c2").rejects] == [theirs["value"]]
        assert shop.erase_customer("c2").rejects_removed == 1
    assert _rejects(db) == [nul, other]
