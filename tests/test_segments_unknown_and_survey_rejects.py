"""A segment selects nobody by a value it does not know and reads type names however they are
compared; a survey upload withholds free-text answers from what it shows and keeps its rejects
in a file of its own, which erasure scrubs."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from shopperlens.errors import ShopperlensError
from shopperlens.service import playbooks
from shopperlens.store import Store

NO_CONDITION = "a segment must be a condition"


# -- 1. an unknown value is no ----------------------------------------------------------------
def _customers(store: Store) -> pd.DataFrame:
    """c1 spent EUR 2,000, c2 SEK 5,000 only (revenue unknown in the shop's EUR), c3 EUR 50,
    c4 EUR 30; returns their types (c1, c4 need-based; c2 looker; c3 loyal)."""
    for cid in ("c1", "c2", "c3", "c4"):
        store.execute(
            "INSERT INTO customers (customer_id, email, accepts_marketing) VALUES (?, ?, true)",
            [cid, f"{cid}@example.com"],
        )
    for oid, cid, price, currency in (
        ("o1", "c1", 2000.0, "EUR"),
        ("o2", "c2", 5000.0, "SEK"),
        ("o3", "c3", 50.0, "EUR"),
        ("o4", "c4", 30.0, "EUR"),
    ):
        store.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at, currency) "
            "VALUES (?, ?, '2025-01-01', ?)",
            [oid, cid, currency],
        )
        store.execute(
            "INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price) "
            "VALUES (?, 1, 'P1', 1, ?)",
            [oid, price],
        )
    return pd.DataFrame({
        "customer_id": ["c1", "c2", "c3", "c4"],
        "visitor_id": [None] * 4,
        "type": ["need_based", "looker", "loyal", "need_based"],
    })  # fmt: skip


def _picked(store: Store, types: pd.DataFrame, segment: str) -> list[str]:
    found = playbooks.audience_customers(store=store, segment=segment, types=types)
    return sorted(found.customer_id)


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("revenue != 1000", ["c1", "c3", "c4"]),
        ("not (revenue >= 1000)", ["c3", "c4"]),
        ("~(revenue >= 1000)", ["c3", "c4"]),
        ("not revenue > 60", ["c3", "c4"]),
        ("not (revenue < 1000 and orders > 0)", ["c1"]),  # unknown and yes is unknown
        ("not (revenue >= 1000 or orders > 5)", ["c3", "c4"]),  # unknown or no is unknown
        ("revenue not in [1000, 2000]", ["c3", "c4"]),
    ],
)
def test_a_customer_whose_revenue_is_unknown_is_selected_by_no_comparison(shop, segment, expected):
    types = _customers(shop.store)
    assert _picked(shop.store, types, segment) == expected


@pytest.mark.parametrize(
    "segment",
    ["orders > 0 and revenue", "orders > 0 and type", "revenue or orders > 0", "not revenue"],
)
def test_and_or_not_of_a_column_that_is_no_condition_is_refused_without_values(shop, segment):
    types = _customers(shop.store)
    with pytest.raises(ShopperlensError) as err:
        playbooks.audience_customers(store=shop.store, segment=segment, types=types)
    said = str(err.value)
    assert said.startswith(NO_CONDITION), said
    assert not re.search(r"c[1-4]\b|2000|5000|looker|need_based|ufunc", said)


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("orders // 0 == 0", []),  # pandas' nullable integers gave 0: every customer
        ("orders % 0 == 0", []),
        ("orders / 0 > 1", []),
        ("orders // (orders - 1) == 0", []),  # each has 1 order: a division by 0 each
        ("revenue not in []", ["c1", "c3", "c4"]),  # c2's unknown revenue is out of no list
        ("orders // 1 == 1", ["c1", "c2", "c3", "c4"]),
    ],
)
def test_a_division_by_zero_is_unknown_and_a_missing_value_is_out_of_no_list(
    shop, segment, expected
):
    types = _customers(shop.store)
    assert _picked(shop.store, types, segment) == expected


@pytest.mark.parametrize("segment", ["customer_id * 200000 == 'x'", "type + type == 'x'"])
def test_arithmetic_on_a_text_column_is_refused(shop, segment):
    """``customer_id * 200000`` built a column of 1.6 GB on the demo shop: text is compared,
    never computed."""
    types = _customers(shop.store)
    with pytest.raises(ShopperlensError, match="arithmetic on text"):
        playbooks.audience_customers(store=shop.store, segment=segment, types=types)


@pytest.mark.parametrize("segment", ["type == 5", "orders == 'x'", "revenue in ['a', 1]"])
def test_text_compared_with_a_number_is_refused(shop, segment):
    """``type == 5`` and ``orders == 'x'`` selected nobody without a word."""
    types = _customers(shop.store)
    with pytest.raises(ShopperlensError, match="text compared with a number"):
        playbooks.audience_customers(store=shop.store, segment=segment, types=types)


@pytest.mark.parametrize("segment", ["type == 'need_based'", "country != 'DE'"])
def test_a_text_column_of_a_shop_without_customers_is_still_text(shop, segment):
    """With no customers the columns hold no text to tell their kind by: ``type`` was an empty
    float column, and every playbook of an events-only shop failed "text compared with a
    number"."""
    visitors = pd.DataFrame({"customer_id": [None], "visitor_id": ["v1"], "type": ["looker"]})
    picked = playbooks.audience_customers(store=shop.store, segment=segment, types=visitors)
    assert picked.empty
    with pytest.raises(ShopperlensError, match="text compared with a number"):
        playbooks.audience_customers(store=shop.store, segment="type == 5", types=visitors)


# -- 2. type names however they are compared ---------------------------------------------------
@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("type in ['need-based']", ["c1", "c4"]),
        ("'need-based' == type", ["c1", "c4"]),
        ("type not in ['need-based']", ["c2", "c3"]),
        ("type in ('Need based', 'lookers')", ["c1", "c2", "c4"]),
        ('"Lookers" != type', ["c1", "c3", "c4"]),
    ],
)
def test_a_type_name_is_read_as_people_write_it_in_every_comparison(shop, segment, expected):
    types = _customers(shop.store)
    assert _picked(shop.store, types, "type == 'need-based'") == ["c1", "c4"]
    assert _picked(shop.store, types, segment) == expected


@pytest.mark.parametrize(
    "segment", ["type in ['needy']", "'needy' == type", "type not in ['loyal', 'needy']"]
)
def test_an_unknown_type_name_is_refused_in_every_comparison(shop, segment):
    types = _customers(shop.store)
    with pytest.raises(ShopperlensError, match="unknown customer type 'needy'"):
        playbooks.audience_customers(store=shop.store, segment=segment, types=types)


# -- 3. a survey upload withholds free text ------------------------------------------------------
FREE_TEXT = "<b>Anna Schmidt</b> call +49 170 1234567 Hauptstr 5"
#: one good row, one free-text answer refused (markup), one repeated respondent named by name
EXPORT = (
    "respondent,age_bracket,why_buy\n"
    "r1,25-34,good prices\n"
    f"r2,25-34,{FREE_TEXT}\n"
    "Anna Schmidt,25-34,fine\n"
    "Anna Schmidt,35-44,fine\n"
)
PERSONAL = re.compile(r"Anna|Schmidt|1234567|Hauptstr")


def _upload(client: TestClient, text: str, on_error: str = "skip"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/surveys/demo-profile/import?on_error={on_error}",
        files={"file": ("export.csv", text, "text/csv")},
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_an_upload_withholds_free_text_answers_and_respondents_the_file_keeps_them(
    file_shop, tmp_path
):
    shop, client = file_shop
    res = _upload(client, EXPORT)
    assert res.status_code == 200, res.text
    assert [(r["line"], r["column"], r["value"]) for r in res.json()["rejects"]] == [
        (3, "why_buy", "(value in the rejects file)"),
        (5, "respondent", "(value in the rejects file)"),
    ]
    assert not PERSONAL.search(res.text)
    kept = _rows(tmp_path / "shop.survey-rejects.csv")
    assert [r["value"] for r in kept] == [FREE_TEXT, "Anna Schmidt"]


def test_a_refused_upload_withholds_free_text_answers(file_shop):
    shop, client = file_shop
    res = _upload(client, EXPORT, on_error="abort")
    assert res.status_code == 400
    detail = res.json()["detail"]
    assert "export.csv:3 why_buy (value in the rejects file)" in detail
    assert not PERSONAL.search(detail)
    assert shop.store.count("survey_responses") == 0


# -- 4. survey uploads keep their own rejects file -------------------------------------------------
ORDERS = (
    "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
    "o1,c1,2024-01-05 10:00:00,p1,2,9.50\n"
    "o2,c2,2024-02-01 08:00:00,p1,-1,9.50\n"
)


def test_a_survey_upload_never_removes_the_rejects_of_an_orders_import(file_shop, tmp_path):
    shop, client = file_shop
    orders = tmp_path / "orders.csv"
    orders.write_text(ORDERS, encoding="utf-8")
    res = shop.import_orders(orders, on_error="skip")
    imports = tmp_path / "shop.rejects.csv"
    assert res.rejects_file == str(imports) and len(_rows(imports)) == 1
    before = imports.read_bytes()
    bad = _upload(client, "respondent,age_bracket\nr1,99-99\n")
    assert bad.json()["rejects_file"] == str(tmp_path / "shop.survey-rejects.csv")
    assert imports.read_bytes() == before
    clean = _upload(client, "respondent,age_bracket\nr2,25-34\n")
    assert clean.status_code == 200 and clean.json()["rejects_file"] is None
    assert imports.read_bytes() == before  # the orders import's list is still there
    assert not (tmp_path / "shop.survey-rejects.csv").exists()  # the last upload had none


def test_erase_scrubs_the_survey_rejects_file(file_shop, tmp_path):
    shop, _ = file_shop
    shop.store.execute("INSERT INTO customers (customer_id, email) VALUES ('c7', 'x@example.org')")
    kept = tmp_path / "shop.survey-rejects.csv"
    kept.write_text(
        "file,line,column,value,reason\n"
        "export.csv,2,customer_id,c7,unknown customer\n"
        "export.csv,3,age_bracket,99-99,must be one of …\n",
        encoding="utf-8",
    )
    report = shop.erase_customer("c7")
    assert report.rejects_removed == 1
    assert [r["value"] for r in _rows(kept)] == ["99-99"]
