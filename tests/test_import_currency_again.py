"""A file imported before, given again with a currency, is skipped as every file the ledger
holds is; "already imported, skipped" alone let the user think the currency was applied. The
note says when it was imported, that the currency applies to new imports only and what to do,
on every face."""

from __future__ import annotations

import shopperlens
from _ingest_data import write

HEADER = "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency\n"
SAID = "--currency GBP applies to new imports only"


def _orders(tmp_path):  # type: ignore[no-untyped-def]
    return write(tmp_path, "o.csv", HEADER + "o1,c1,2010-12-01,p1,1,2.5,\n")


def test_python_says_the_currency_changes_nothing(shop, tmp_path):  # type: ignore[no-untyped-def]
    path = _orders(tmp_path)
    shop.import_orders(path)
    again = shop.import_orders(path, currency="gbp")
    (file,) = again.files
    assert file.skipped and again.added == {}
    assert file.note.startswith("already imported on ") and SAID in file.note
    assert "new store (--db)" in file.note
    stored = shop.store.execute("SELECT currency FROM orders").fetchall()
    assert stored != [("GBP",)]
    plain = shop.import_orders(path)  # without the option: the plain word
    assert plain.files[0].note == "already imported, skipped"


def test_cli_says_it(cli, db_path, tmp_path):  # type: ignore[no-untyped-def]
    path = _orders(tmp_path)
    assert cli("import", "orders", str(path)).exit_code == 0
    res = cli("import", "orders", str(path), "--currency", "GBP")
    assert res.exit_code == 0, res.output
    assert SAID in " ".join(res.output.replace("│", " ").split())
    with shopperlens.open(db_path) as shop:
        assert shop.store.scalar("SELECT count(*) FROM orders WHERE currency = 'GBP'") == 0


def test_http_says_it(client, tmp_path):  # type: ignore[no-untyped-def]
    path = _orders(tmp_path)
    assert client.post("/api/imports/orders", json={"path": str(path)}).status_code == 200
    got = client.post("/api/imports/orders?currency=GBP", json={"path": str(path)})
    assert got.status_code == 200, got.text
    (file,) = got.json()["files"]
    assert file["skipped"] and SAID in file["note"]
