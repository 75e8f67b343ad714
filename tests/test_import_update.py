"""``--update``: a later export of the shop's customers or catalogue changes the stored rows.

Planted: C1 (DE, yes to marketing) and C2 (FR, no); the later export moves C1 to AT and
withdraws her consent, gives C2 a yes, leaves C4's country blank and adds C3. Without the
option such rows are rejects (an import never overwrites); with it the stored rows take the
file's values, a withdrawal is recorded as a refusal, and a yes never undoes a refusal on
record. A product's new price and name work the same way.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

import shopperlens
from _ingest_data import write
from conftest import _api_client
from shopperlens.cli import app
from shopperlens.errors import ShopperlensError
from shopperlens.service import consent

HEAD = "customer_id,email,created_at,country,accepts_marketing\n"
FIRST = (
    HEAD + "C1,a@x.org,2024-01-01,DE,yes\nC2,b@x.org,2024-01-01,FR,no\n"
    "C4,d@x.org,2024-01-01,BE,yes\n"
)
LATER = (
    HEAD + "C1,a@x.org,2024-01-01,AT,no\nC2,b@x.org,2024-01-01,FR,yes\n"
    "C4,d@x.org,2024-01-01,,yes\nC3,c@x.org,2024-02-01,NL,yes\n"
)


def _customers(shop: shopperlens.Shop) -> dict[str, tuple[str, bool]]:
    rows = shop.store.execute(
        "SELECT customer_id, country, accepts_marketing FROM customers ORDER BY 1"
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def test_a_later_export_updates_the_stored_customers(tmp_path: Path) -> None:
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        shop.import_customers(write(tmp_path, "first.csv", FIRST))
        res = shop.import_customers(write(tmp_path, "later.csv", LATER), update=True)
        assert (res.rows_rejected, res.updated) == (0, 2)  # C4 gives nothing new
        assert res.added == {"customers": 1, "consents": 1}
        assert _customers(shop) == {
            "C1": ("AT", False),
            "C2": ("FR", True),
            "C3": ("NL", True),
            "C4": ("BE", True),  # a blank keeps the stored value
        }
        (record,) = shop.consents("C1")
        assert (record.purpose, record.granted) == ("marketing", False)
        assert record.source == "customers file: later.csv"
        mailable = consent.allowed(store=shop.store)
        assert mailable == {"C2", "C3", "C4"}
        # the ledger dates the file by the customer it adds (C3, 1 February): a new country
        # or a withdrawn consent changes no types run
        got = shop.store.scalar("SELECT earliest_at FROM imports WHERE file LIKE '%later.csv'")
        assert got == datetime(2024, 2, 1)


def test_a_yes_in_an_export_does_not_undo_a_refusal_on_record(tmp_path: Path) -> None:
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        shop.import_customers(write(tmp_path, "first.csv", FIRST))
        shop.consent_set("C2", purpose="marketing", granted=False, recorded_at=datetime(2024, 6, 1))
        shop.import_customers(write(tmp_path, "later.csv", LATER), update=True)
        assert _customers(shop)["C2"] == ("FR", True)  # the export's flag
        assert "C2" not in consent.allowed(store=shop.store)  # the record still counts
        assert [r.granted for r in shop.consents("C2")] == [False]


def test_without_update_the_rows_are_still_refused(tmp_path: Path) -> None:
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        shop.import_customers(write(tmp_path, "first.csv", FIRST))
        with pytest.raises(ShopperlensError, match="an import never overwrites stored rows"):
            shop.import_customers(write(tmp_path, "later.csv", LATER))
        assert _customers(shop)["C1"] == ("DE", True)


def test_products_cli_http_and_the_kinds_it_does_not_apply_to(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    head = "product_id,product_name,category,price\n"
    first = write(tmp_path, "p1.csv", head + "P1,Mug,kitchen,9.5\nP2,Tea,food,4.0\n")
    later = write(tmp_path, "p2.csv", head + "P1,Big mug,kitchen,11.0\nP2,Tea,food,4.0\n")
    cli = CliRunner()
    assert cli.invoke(app, ["--db", str(db), "import", "products", str(first)]).exit_code == 0
    res = cli.invoke(app, ["--db", str(db), "import", "products", str(later), "--update"])
    assert res.exit_code == 0, res.output
    assert "updated: 1 stored row(s) now have the file's values (--update)" in res.output
    res = cli.invoke(app, ["--db", str(db), "import", "orders", str(later), "--update"])
    assert res.exit_code == 2 and "No such option: --update" in res.output  # not offered
    with shopperlens.open(db) as shop, pytest.raises(ShopperlensError) as err:
        shop.import_orders(later, update=True)
    assert "update changes stored customers and products, not orders" in str(err.value)
    with shopperlens.open(db) as shop:
        assert shop.store.execute(
            "SELECT product_name, price FROM products WHERE product_id = 'P1'"
        ).fetchone() == ("Big mug", 11.0)
        customers = write(tmp_path, "c1.csv", FIRST)
        shop.import_customers(customers)
        with _api_client(shop) as c:
            body = {"path": str(write(tmp_path, "c2.csv", LATER))}
            got = c.post("/api/imports/customers", params={"update": "true"}, json=body)
            assert got.status_code == 200, got.text
            assert json.loads(got.text)["updated"] == 2
        assert _customers(shop)["C1"] == ("AT", False)


def test_consent_set_takes_a_date_written_as_text(tmp_path: Path) -> None:
    """``shop.consent_set(..., recorded_at="2024-06-01")`` failed with an AttributeError."""
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        shop.import_customers(write(tmp_path, "first.csv", FIRST))
        rec = shop.consent_set("C2", purpose="marketing", granted=True, recorded_at="2024-06-01")
        assert rec.recorded_at == datetime(2024, 6, 1)
        with pytest.raises(ShopperlensError, match="recorded_at 'June' is not a date/time"):
            shop.consent_set("C2", purpose="marketing", granted=True, recorded_at="June")


def test_an_export_still_saying_no_leaves_a_yes_on_record(tmp_path: Path) -> None:
    """C2 said no in the first export, then yes (recorded); the later export moves her to
    Monaco but still carries the old no: that is no withdrawal."""
    later = HEAD + "C2,b@x.org,2024-01-01,MC,no\n"
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        shop.import_customers(write(tmp_path, "first.csv", FIRST))
        shop.consent_set("C2", purpose="marketing", granted=True, recorded_at="2024-06-01")
        res = shop.import_customers(write(tmp_path, "later.csv", later), update=True)
        assert res.updated == 1 and "consents" not in res.added
        assert _customers(shop)["C2"] == ("MC", False)
        assert "C2" in consent.allowed(store=shop.store)


def test_a_withdrawal_is_later_than_a_yes_given_just_before_east_of_utc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a machine nine hours east of UTC, a yes given a moment before the import was dated
    by the local clock and so sorted after the import's refusal (dated in UTC)."""
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        with shopperlens.open(tmp_path / "s.duckdb") as shop:
            shop.import_customers(write(tmp_path, "first.csv", FIRST))
            shop.consent_set("C1", purpose="marketing", granted=True)
            shop.import_customers(write(tmp_path, "later.csv", LATER), update=True)
            assert [r.granted for r in shop.consents("C1")] == [False, True]  # newest first
            assert "C1" not in consent.allowed(store=shop.store)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_option_is_offered_only_by_the_kinds_it_applies_to() -> None:
    cli = CliRunner()
    for kind, offered in (("customers", True), ("products", True), ("orders", False)):
        out = cli.invoke(app, ["import", kind, "--help"], env={"COLUMNS": "200"}).output
        assert ("--update" in out) is offered, kind
