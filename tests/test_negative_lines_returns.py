"""``--negative-lines returns``: an orders file's lines with a negative quantity (a credit
note's, a cancellation's) stored as returns by the same import: all or nothing, the same
file twice changes nothing, an overlapping one adds only the new returns, ids stable by
invoice and place, a bad negative line rejected as any row; on every face."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

import shopperlens
from conftest import finished_job
from shopperlens.errors import ShopperlensError
from shopperlens.service.imports import ImportRejected

HEADER = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
SALES = (
    "S1,c1,2024-03-01 10:00,p1,2,5.0\n"
    "S1,c1,2024-03-01 10:00,p2,1,3.0\n"
    "C1,c1,2024-03-02 09:00,p1,-1,5.0\n"
    "S2,c2,2024-03-03 11:00,p3,4,1.5\n"
    "C1,c1,2024-03-02 09:00,p2,-1,3.0\n"
    "C2,c2,2024-03-04 12:00,p3,-2,1.5\n"
)


def _file(tmp_path: Path, body: str, name: str = "till.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _returns(shop: shopperlens.Shop) -> dict[str, tuple]:  # type: ignore[type-arg]
    rows = shop.store.execute(
        "SELECT return_id, customer_id, product_id, returned_at, quantity FROM returns"
    ).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


EXPECTED = {
    "C1/1": ("c1", "p1", datetime(2024, 3, 2, 9), 1),
    "C1/2": ("c1", "p2", datetime(2024, 3, 2, 9), 1),
    "C2/1": ("c2", "p3", datetime(2024, 3, 4, 12), 2),
}


def test_negative_lines_become_returns_in_the_same_import(shop, tmp_path):
    res = shop.import_orders(_file(tmp_path, SALES), negative_lines="returns")
    assert (res.rows_read, res.rows_accepted, res.rows_rejected, res.returns) == (6, 6, 0, 3)
    assert res.added["returns"] == 3 and res.added["order_lines"] == 3
    assert _returns(shop) == EXPECTED
    assert shop.store.count("orders") == 2  # the credit notes are no orders
    ledger = shop.imports()[0]
    assert (ledger.rows_accepted, ledger.returns) == (6, 3)
    assert ledger.earliest_at == datetime(2024, 3, 1, 10)


def test_without_the_option_a_negative_line_is_still_a_reject(shop, tmp_path):
    with pytest.raises(ImportRejected, match="negative quantity"):
        shop.import_orders(_file(tmp_path, SALES))
    assert shop.store.count("returns") == shop.store.count("orders") == 0


@pytest.mark.parametrize(
    "bad",
    [
        "S3,c3,2024-03-05 10:00,p1,1,abc\n",  # a sale's line
        "C3,c3,2024-03-05 10:00,p1,-1,abc\n",  # a negative line's other column
    ],
)
def test_a_bad_line_anywhere_writes_nothing_returns_included(shop, tmp_path, bad):
    with pytest.raises(ImportRejected) as info:
        shop.import_orders(_file(tmp_path, SALES + bad), negative_lines="returns")
    assert info.value.total == 1
    assert "till.csv:8 unit_price='abc': not a number" in str(info.value)
    for table in ("returns", "orders", "order_lines", "customers", "imports"):
        assert shop.store.count(table) == 0, table


def test_a_bad_negative_line_is_rejected_and_keeps_its_place(tmp_path):
    body = SALES.replace("C1,c1,2024-03-02 09:00,p1,-1", "C1,c1,2024-02-30 09:00,p1,-1")
    with shopperlens.open(tmp_path / "shop.duckdb") as shop:
        res = shop.import_orders(_file(tmp_path, body), negative_lines="returns", on_error="skip")
        assert (res.rows_rejected, res.returns) == (1, 2)
        reject = res.rejects[0]
        assert (reject.line, reject.column, reject.value) == (4, "ordered_at", "2024-02-30 09:00")
        assert reject.reason.startswith("not a date/time")
        # the corrected line's id stays free: the other lines kept their places
        assert _returns(shop) == {k: v for k, v in EXPECTED.items() if k != "C1/1"}


def test_the_same_file_twice_changes_nothing_and_an_overlap_adds_the_new(shop, tmp_path):
    first = _file(tmp_path, SALES)
    shop.import_orders(first, negative_lines="returns")
    again = shop.import_orders(first, negative_lines="returns")
    assert again.files[0].skipped and again.added == {} and again.returns == 0
    later = "C3,c1,2024-03-06 08:00,p2,-3,3.0\n"
    res = shop.import_orders(_file(tmp_path, SALES + later, "next.csv"), negative_lines="returns")
    assert (res.rows_rejected, res.returns, res.added.get("returns")) == (0, 4, 1)
    assert res.added.get("order_lines", 0) == 0
    assert _returns(shop) == EXPECTED | {"C3/1": ("c1", "p2", datetime(2024, 3, 6, 8), 3)}
    assert shop.imports()[0].earliest_at == datetime(2024, 3, 6, 8)  # the new return's time


def test_a_return_given_again_with_other_content_is_a_reject(shop, tmp_path):
    shop.import_orders(_file(tmp_path, SALES), negative_lines="returns")
    changed = SALES.replace("C2,c2,2024-03-04 12:00,p3,-2", "C2,c2,2024-03-04 12:00,p3,-5")
    with pytest.raises(ImportRejected) as info:
        shop.import_orders(_file(tmp_path, changed, "next.csv"), negative_lines="returns")
    said = str(info.value)
    assert "next.csv:7 order_id='C2/1': key already imported with different content" in said
    assert "quantity (stored '2', file '5')" in said
    assert _returns(shop)["C2/1"][-1] == 2


def test_a_sale_keeps_its_line_numbers_beside_a_negative_line(shop, tmp_path):
    body = (
        "A,c1,2024-03-01 10:00,p1,1,5.0\n"
        "A,c1,2024-03-01 10:00,p2,-1,3.0\n"
        "A,c1,2024-03-01 10:00,p3,2,4.0\n"
    )
    shop.import_orders(_file(tmp_path, body), negative_lines="returns")
    lines = shop.store.execute("SELECT line_no, product_id FROM order_lines ORDER BY 1").fetchall()
    assert lines == [(1, "p1"), (2, "p3")]
    assert list(_returns(shop)) == ["A/1"]


def test_a_file_imported_without_the_option_is_told_the_option_changes_nothing(tmp_path):
    path = _file(tmp_path, SALES)
    with shopperlens.open(tmp_path / "shop.duckdb") as shop:
        shop.import_orders(path, on_error="skip")
        again = shop.import_orders(path, negative_lines="returns")
        assert again.files[0].skipped
        assert "--negative-lines returns changes nothing for it" in again.files[0].note
        assert shop.store.count("returns") == 0


@pytest.mark.parametrize(
    ("kind", "value", "said"),
    [
        ("orders", "refund", "negative lines must be reject or returns, not 'refund'"),
        ("returns", "returns", "negative lines are read as returns from an orders file"),
    ],
)
def test_an_option_that_cannot_work_is_refused(shop, tmp_path, kind, value, said):
    with pytest.raises(ShopperlensError, match=said):
        shop.import_files(kind, _file(tmp_path, SALES), negative_lines=value)


def test_cli_says_how_many_lines_became_returns(cli, tmp_path):
    path = _file(tmp_path, SALES)
    res = cli("import", "orders", str(path), "--negative-lines", "returns")
    assert res.exit_code == 0, res.output
    assert "returns: 3 line(s) with a negative quantity are returns" in res.output
    assert "returns +3" in res.output
    ledger = cli("imports")
    assert "6 (3 as returns)" in ledger.output
    more = _file(tmp_path, "C9,c1,2024-03-06 08:00,p2,-3,3.0\n", "c9.csv")
    as_json = cli("import", "orders", str(more), "--json", "--negative-lines", "returns")
    assert '"returns": 1' in as_json.output
    wrong = cli("import", "customers", str(path), "--negative-lines", "returns")
    assert wrong.exit_code != 0 and "No such option" in wrong.output
    bad = cli("import", "orders", str(path), "--negative-lines", "refund")
    assert bad.exit_code == 1 and "error: negative lines must be reject or returns" in bad.output


def test_http_upload_path_and_job_take_the_option(client, shop, tmp_path):
    up = client.post(
        "/api/imports/orders?negative_lines=returns",
        files={"file": ("till.csv", (HEADER + SALES).encode(), "text/csv")},
    )
    assert up.status_code == 200, up.text
    assert up.json()["returns"] == 3 and up.json()["added"]["returns"] == 3
    assert client.get("/api/imports").json()[0]["returns"] == 3
    later = _file(tmp_path, "C3,c1,2024-03-06 08:00,p2,-3,3.0\n", "c3.csv")
    by_path = client.post("/api/imports/orders?negative_lines=returns", json={"path": str(later)})
    assert by_path.status_code == 200 and by_path.json()["returns"] == 1, by_path.text
    job_file = _file(tmp_path, "C4,c2,2024-03-07 08:00,p1,-1,5.0\n", "c4.csv")
    body = {"kind": "orders", "paths": [str(job_file)], "negative_lines": "returns"}
    job = finished_job(client, client.post("/api/jobs/import", json=body).json()["job_id"])
    assert job["status"] == "done", job
    assert set(_returns(shop)) == {*EXPECTED, "C3/1", "C4/1"}
    refused = client.post("/api/imports/orders?negative_lines=refund", json={"path": str(later)})
    assert refused.status_code == 400 and "negative lines must be" in refused.text
    early = client.post("/api/jobs/import", json={**body, "negative_lines": "refund"})
    assert early.status_code == 400 and "negative lines must be" in early.text
