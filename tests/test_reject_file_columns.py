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


def test_a_personal_value_stays_out_of_messages_under_the_files_own_name(shop, tmp_path):
    """``Geburtsjahr`` mapped to birth_year is personal data: named, its value withheld, as
    under the canonical name (the file's name had let the value through)."""
    text = "customer_id,email,Geburtsjahr\nC1,a@b.de,abc\n"
    path = write(tmp_path, "c.csv", text)
    with pytest.raises(ImportRejected) as raised:
        shop.import_customers(path, mapping={"Geburtsjahr": "birth_year"})
    (reject,) = raised.value.rejects
    assert (reject.column, reject.canonical) == ("Geburtsjahr", "birth_year")
    assert reject.public_value() == "(value in the rejects file)"
    assert "abc" not in str(raised.value)


def test_erase_removes_the_persons_rejects_under_the_files_own_column_name(cli, db_path, tmp_path):
    """A rejects row naming the person as ``Kundennummer`` (mapped to customer_id) survived
    ``erase``; the rejects file records the column each value was read as."""
    first = write(
        tmp_path, "c1.csv", "customer_id,email,country\nC1,ann@x.org,DE\nC2,bo@x.org,NL\n"
    )
    later = write(
        tmp_path, "c3.csv", "Kundennummer,email,country\nC1,ann@x.org,FR\nC2,bo@x.org,BE\n"
    )
    assert cli("import", "customers", str(first)).exit_code == 0
    args = ("--map", "Kundennummer=customer_id", "--on-error", "skip")
    assert cli("import", "customers", str(later), *args).exit_code == 0
    rejects = db_path.with_name(db_path.stem + ".rejects.csv")
    rows = list(csv.DictReader(rejects.open()))
    assert [(r["column"], r["canonical_column"], r["value"]) for r in rows] == [
        ("Kundennummer", "customer_id", "C1"),
        ("Kundennummer", "customer_id", "C2"),
    ]
    assert cli("erase", "C1", "--yes").exit_code == 0
    assert [r["value"] for r in csv.DictReader(rejects.open())] == ["C2"]
