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


# one order (A) of two sales and a negative line, beside a clean order (B) and credit note (C)
MIXED = (
    "A,c1,2024-03-01 10:00,p1,2,5.0\n"
    "A,c1,2024-03-01 10:00,p2,1,3.0\n"
    "A,c1,2024-03-01 10:00,p3,-1,4.0\n"
    "B,c2,2024-03-02 11:00,p1,1,5.0\n"
    "C,c2,2024-03-03 12:00,p1,-1,5.0\n"
)
MIXED_RETURNS = {
    "A/1": ("c1", "p3", datetime(2024, 3, 1, 10), 1),
    "C/1": ("c2", "p1", datetime(2024, 3, 3, 12), 1),
}


def _lines(shop: shopperlens.Shop) -> list[tuple]:  # type: ignore[type-arg]
    return shop.store.execute(
        "SELECT order_id, line_no, product_id FROM order_lines ORDER BY 1, 2"
    ).fetchall()


@pytest.mark.parametrize(
    ("wrong", "line", "column"),
    [
        ("A,c1,2024-03-01 10:00,p2,1,3.0", 3, "unit_price"),  # a sale line: its negative line too
        ("A,c1,2024-03-01 10:00,p3,-1,4.0", 4, "ordered_at"),  # a negative line: its sales too
    ],
)
@pytest.mark.parametrize("on_error", ["skip", "abort"])
def test_an_order_with_negative_lines_is_kept_out_whole(tmp_path, wrong, line, column, on_error):
    broken = wrong.replace(",3.0", ",abc") if column == "unit_price" else wrong
    broken = broken.replace("2024-03-01 10:00", "2024-02-30 10:00") if line == 4 else broken
    bad = _file(tmp_path, MIXED.replace(wrong, broken), "bad.csv")
    with shopperlens.open(tmp_path / "shop.duckdb") as shop:
        if on_error == "abort":
            with pytest.raises(ImportRejected) as info:
                shop.import_orders(bad, negative_lines="returns")
            assert info.value.total == 1
            assert shop.store.count("returns") == shop.store.count("orders") == 0
        else:
            res = shop.import_orders(bad, negative_lines="returns", on_error="skip")
            assert (res.rows_read, res.rows_rejected, res.returns) == (5, 3, 1)
            said = {r.line: (r.column, r.reason) for r in res.rejects}
            assert said[line][0] == column
            why = f"this order's row on line {line} was rejected; an order is imported whole"
            assert {k for k, v in said.items() if v[1].startswith(why)} == {2, 3, 4} - {line}
            assert _returns(shop) == {"C/1": MIXED_RETURNS["C/1"]}
            assert _lines(shop) == [("B", 1, "p1")]
        res = shop.import_orders(_file(tmp_path, MIXED, "fixed.csv"), negative_lines="returns")
        assert res.rows_rejected == 0
        assert _returns(shop) == MIXED_RETURNS
        assert _lines(shop) == [("A", 1, "p1"), ("A", 2, "p2"), ("B", 1, "p1")]


def test_a_bad_negative_line_keeps_its_credit_note_out_whole(tmp_path):
    body = SALES.replace("C1,c1,2024-03-02 09:00,p1,-1", "C1,c1,2024-02-30 09:00,p1,-1")
    with shopperlens.open(tmp_path / "shop.duckdb") as shop:
        res = shop.import_orders(_file(tmp_path, body), negative_lines="returns", on_error="skip")
        assert (res.rows_rejected, res.returns) == (2, 1)
        reject, whole = res.rejects
        assert (reject.line, reject.column, reject.value) == (4, "ordered_at", "2024-02-30 09:00")
        assert reject.reason.startswith("not a date/time")
        assert (whole.line, whole.column, whole.value) == (6, "order_id", "C1")
        assert _returns(shop) == {"C2/1": EXPECTED["C2/1"]}
        # the corrected rows of the rejects file alone bring the credit note in with its ids
        fixed = "C1,c1,2024-03-02 09:00,p1,-1,5.0\nC1,c1,2024-03-02 09:00,p2,-1,3.0\n"
        res = shop.import_orders(_file(tmp_path, fixed, "fixed.csv"), negative_lines="returns")
        assert (res.rows_rejected, res.returns) == (0, 2)
        assert _returns(shop) == EXPECTED


@pytest.mark.parametrize("on_error", ["skip", "abort"])
def test_a_negative_line_of_another_customer_is_a_disagreeing_order(shop, tmp_path, on_error):
    body = MIXED.replace("A,c1,2024-03-01 10:00,p3,-1", "A,c2,2024-03-01 10:00,p3,-1")
    if on_error == "abort":
        with pytest.raises(ImportRejected, match="lines of one order disagree on customer_id"):
            shop.import_orders(_file(tmp_path, body), negative_lines="returns")
        assert shop.store.count("returns") == 0
        return
    res = shop.import_orders(_file(tmp_path, body), negative_lines="returns", on_error="skip")
    said = {r.line: (r.column, r.value, r.reason) for r in res.rejects}
    assert said == {
        2: ("customer_id", "c1", "lines of one order disagree on customer_id"),
        3: ("customer_id", "c1", "lines of one order disagree on customer_id"),
        4: ("customer_id", "c2", "lines of one order disagree on customer_id"),
    }
    assert _returns(shop) == {"C/1": MIXED_RETURNS["C/1"]}


def test_a_negative_line_without_a_customer_agrees_with_its_order(shop, tmp_path):
    body = MIXED.replace("A,c1,2024-03-01 10:00,p3,-1", "A,,2024-03-01 10:00,p3,-1")
    res = shop.import_orders(_file(tmp_path, body), negative_lines="returns")
    assert (res.rows_rejected, res.returns) == (0, 2)
    assert _returns(shop)["A/1"][0] is None  # (the line names none)


def test_a_negative_line_rung_up_with_its_order_takes_the_orders_time(shop, tmp_path):
    body = (
        "A,c1,2024-03-01 10:00,p1,2,5.0\n"
        "A,c1,2024-03-01 10:01,p2,1,3.0\n"
        "A,c1,2024-03-01 10:02,p3,-1,4.0\n"  # the same till transaction: the order's time
        "A,c1,2024-03-03 15:00,p1,-1,5.0\n"  # two days later: its own time, no disagreement
    )
    res = shop.import_orders(_file(tmp_path, body), negative_lines="returns")
    assert (res.rows_rejected, res.returns) == (0, 2)
    times = {k: v[2] for k, v in _returns(shop).items()}
    assert times == {"A/1": datetime(2024, 3, 1, 10), "A/2": datetime(2024, 3, 3, 15)}
    # an overlapping export starting at the order's later line: its stored time, no clash
    later = "A,c1,2024-03-01 10:01,p2,1,3.0\nA,c1,2024-03-01 10:02,p3,-1,4.0\n"
    again = shop.import_orders(_file(tmp_path, later, "later.csv"), negative_lines="returns")
    assert again.rows_rejected == 0 and again.added.get("returns", 0) == 0
