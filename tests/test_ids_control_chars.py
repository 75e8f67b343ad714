"""An id holding a NUL byte or another control character is rejected, never stored.

A JSON Lines ``"customer_id": "c\\u00001"`` or a quoted CSV ``"c<TAB>4"`` was stored as given,
and broke CSV tools and terminals wherever the id was shown. The customer, order and visitor
ids are checked where every format's rows are judged (``kinds.stage_sql``): the
row is a reject with its file, line, column, the value (shown escaped) and the reason naming
the character's code point.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import shopperlens
from shopperlens.errors import ShopperlensError

ORDER = {
    "order_id": "o1",
    "customer_id": "c1",
    "ordered_at": "2025-01-01",
    "product_id": "p1",
    "quantity": 1,
    "unit_price": 2,
}


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _rejects(db: Path) -> list[dict[str, str]]:
    with db.with_name(db.stem + ".rejects.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("customer_id", "c\x001", "U+0000"),
        ("customer_id", "c\t1", "U+0009"),
        ("order_id", "o\n1", "U+000A"),
        ("customer_id", "\x1b[31mc1", "U+001B"),
        ("order_id", "o1\x7f", "U+007F"),
    ],
)
def test_a_control_character_in_an_id_is_a_reject(
    tmp_path: Path, column: str, value: str, code: str
) -> None:
    db = tmp_path / "shop.duckdb"
    path = _jsonl(
        tmp_path / "orders.jsonl", [{**ORDER, column: value}, {**ORDER, "order_id": "o2"}]
    )
    with shopperlens.open(db) as shop:
        with pytest.raises(ShopperlensError) as err:
            shop.import_files("orders", path)
        said = str(err.value)
        assert f"orders.jsonl:1 {column}={value!r}: holds a control character {code}" in said
        res = shop.import_files("orders", path, on_error="skip")
        assert res.rows_rejected == 1
        stored = shop.store.execute(f"SELECT {column} FROM orders ORDER BY 1").fetchall()
        assert stored == ([("o2",)] if column == "order_id" else [("c1",)])
    (row,) = _rejects(db)
    assert (row["line"], row["column"], row["reason"]) == (
        "1",
        column,
        f"holds a control character {code}",
    )


def test_a_tab_in_a_quoted_csv_id_and_a_visitor_id(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        'o1,"c\t1",2025-01-01,p1,1,2\n'
        "o2,c2,2025-01-01,p1,1,2\n"
    )
    events = _jsonl(
        tmp_path / "events.jsonl",
        [
            {"event_id": "e1", "visitor_id": "v\x001", "timestamp": "2025-01-01T10:00:00",
             "event_name": "page_view"},
            {"event_id": "e2", "visitor_id": "v2", "timestamp": "2025-01-01T10:00:00",
             "event_name": "page_view"},
        ],
    )  # fmt: skip
    with shopperlens.open(tmp_path / "shop.duckdb") as shop:
        res = shop.import_files("orders", orders, on_error="skip")
        assert [(r.line, r.column) for r in res.rejects] == [(2, "customer_id")]
        assert shop.store.execute("SELECT customer_id FROM customers").fetchall() == [("c2",)]
        res = shop.import_files("events", events, on_error="skip")
        assert [(r.line, r.column, r.reason) for r in res.rejects] == [
            (1, "visitor_id", "holds a control character U+0000")
        ]
        assert shop.store.execute("SELECT visitor_id FROM events").fetchall() == [("v2",)]


def test_ids_with_printable_unicode_still_import(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "orders.jsonl", [{**ORDER, "customer_id": "Kundé №1 ✓"}])
    with shopperlens.open(tmp_path / "shop.duckdb") as shop:
        assert shop.import_files("orders", path).rows_rejected == 0


def test_a_survey_upload_rejects_a_respondent_or_customer_id_holding_one(
    file_shop: tuple[shopperlens.Shop, object], tmp_path: Path
) -> None:
    """A survey export's ids reach the same tables and files as an import's: they stored
    ``C<ESC>[31m1`` and ``r<TAB>2`` as given."""
    shop, _client = file_shop
    path = tmp_path / "upload.csv"
    path.write_text(
        "respondent,customer_id,age_bracket\nr1,C\x1b[31m1,35-44\nr\t2,,35-44\nr3,C3,35-44\n"
    )
    res = shop.survey_import(path, survey="demo-profile", on_error="skip")
    assert res.rows_accepted == 1
    assert [(r.line, r.column, r.reason) for r in res.rejects] == [
        (2, "customer_id", "holds a control character U+001B"),
        (3, "respondent", "holds a control character U+0009"),
    ]
    stored = shop.store.execute("SELECT respondent, customer_id FROM survey_responses")
    assert stored.fetchall() == [("r3", "C3")]
