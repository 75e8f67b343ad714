"""A reject names the column as the shop owner's file calls it: Shopify's ``Lineitem
quantity``, GA4's ``event_timestamp``, the UCI file's ``Administrative``, a generic file's own
header or the column a ``--map`` renamed, never only the canonical name the file never used."""

from __future__ import annotations

import csv
import io
import json

import pytest

from _ingest_data import GA4, SHOPIFY, UCI, write
from shopperlens.service.imports import ImportRejected


def _rejected(call) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportRejected) as raised:
        call()
    return [(r.line, r.column, r.value) for r in raised.value.rejects]


def _edited(path, edits: dict[tuple[int, str], str]) -> str:  # type: ignore[no-untyped-def]
    """The CSV at ``path`` with ``(row, column)`` cells replaced (row 0: the first data row)."""
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
    head = rows[0]
    for (row, column), value in edits.items():
        rows[row + 1][head.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def test_shopify_rejects_name_the_exports_columns(shop, tmp_path):
    text = _edited(SHOPIFY, {(0, "Lineitem quantity"): "-2", (2, "Created at"): "yesterday"})
    path = write(tmp_path, "orders_export.csv", text)
    assert _rejected(lambda: shop.import_orders(path)) == [
        (2, "Lineitem quantity", "-2"),
        (4, "Created at", "yesterday"),
    ]
    res = shop.import_orders(path, on_error="skip")  # the rest of order #1001 goes out whole
    assert {r.column for r in res.rejects} >= {"Lineitem quantity", "Created at", "Name"}


def test_generic_rejects_name_the_files_header_and_the_mapped_column(shop, tmp_path):
    text = "Order ID,customer_id,ordered_at,product_id,Menge,unit_price\nO1,C1,2024-01-05,P1,x,10\n"
    path = write(tmp_path, "o.csv", text)
    got = _rejected(lambda: shop.import_orders(path, mapping={"Menge": "quantity"}))
    assert got == [(2, "Menge", "x")]
    text = text.replace(",x,", ",1,").replace("O1,", ",")  # no order id now
    path = write(tmp_path, "o2.csv", text)
    got = _rejected(lambda: shop.import_orders(path, mapping={"Menge": "quantity"}))
    assert got == [(2, "Order ID", None)]


def test_ga4_rejects_name_the_exports_fields(shop, tmp_path):
    records = [json.loads(line) for line in GA4.read_text("utf-8").splitlines()]
    records[2]["event_timestamp"] = "253402300800000000"  # 10000-01-01: past any date
    path = write(tmp_path, "events.jsonl", "\n".join(map(json.dumps, records)) + "\n")
    ((line, column, _),) = _rejected(lambda: shop.import_events(path))
    assert (line, column) == (3, "event_timestamp")


def test_uci_rejects_name_the_files_columns(shop, tmp_path):
    text = _edited(UCI, {(4, "Administrative_Duration"): "lots"})
    path = write(tmp_path, "online_shoppers_intention.csv", text)
    assert _rejected(lambda: shop.import_sessions(path))[0][:2] == (6, "Administrative_Duration")
