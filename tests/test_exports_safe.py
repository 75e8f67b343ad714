"""Files shopperlens writes for spreadsheets and e-mail tools carry imported text safely.

A customer id or e-mail address is whatever the shop's files said: ``=HYPERLINK(…)`` opened in
a spreadsheet would run as a formula, and ``a@b.com;c@d.com`` is two addresses, not one.
"""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from _ingest_data import write
from shopperlens.plain import spreadsheet_safe
from shopperlens.playbooks.audience import normalise_email
from shopperlens.service import playbooks

CUSTOMERS = """customer_id,email,created_at,accepts_marketing
=1+1,"=HYPERLINK(""http://evil.example"")@x.com",2024-01-01,true
c2,a@b.com;c@d.com,2024-01-01,true
c3,Real.Person@Example.org,2024-01-01,true
-c4,plus+tag@example.org,2024-01-01,true
"""


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://evil")@x.com', "a@b.com;c@d.com", "a@b.com, c@d.com", "+x@y.com",
     "-x@y.com", "@x.com", "a b@c.com", "a@b@c", "x@y.com.", "<a@b.com>"],
)  # fmt: skip
def test_a_value_that_is_not_one_plain_address_is_no_address(value: str) -> None:
    assert normalise_email(value) is None


def test_plain_addresses_stay_as_they_are() -> None:
    assert normalise_email(" Real.Person+tag@Example.co.uk ") == "real.person+tag@example.co.uk"
    assert normalise_email("o'brien@example.ie") == "o'brien@example.ie"


def test_formula_cells_are_prefixed_and_numbers_left_alone() -> None:
    frame = pd.DataFrame({"id": ["=1+1", "+x", "-y", "@z", "\tq", "ok"], "n": [-1, 2, 3, 4, 5, 6]})
    safe = spreadsheet_safe(frame)
    assert list(safe["id"]) == ["'=1+1", "'+x", "'-y", "'@z", "'\tq", "ok"]
    assert list(safe["n"]) == [-1, 2, 3, 4, 5, 6]
    assert list(frame["id"])[0] == "=1+1"  # the caller's frame is not changed


def test_audience_files_hold_no_formula_and_no_list_of_addresses(shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Imports refuse such e-mails now; a store of an older version may hold them."""
    res = shop.import_customers(write(tmp_path, "c.csv", CUSTOMERS), on_error="skip")
    assert [(r.line, r.column) for r in res.rejects] == [(2, "email"), (3, "email")]
    for cid, email in (
        ("=1+1", '=HYPERLINK("http://evil.example")@x.com'),
        ("c2", "a@b.com;c@d.com"),
    ):
        shop.store.execute(
            "INSERT INTO customers (customer_id, email, accepts_marketing) VALUES (?, ?, true)",
            [cid, email],
        )
    for destination in ("csv", "mailchimp", "klaviyo"):
        out = tmp_path / f"{destination}.csv"
        playbooks.export_audience(
            store=shop.store, destination=destination, segment="orders >= 0", out=out
        )
        with out.open(newline="") as fh:
            cells = [cell for row in list(csv.reader(fh))[1:] for cell in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], destination
        assert not [c for c in cells if ";" in c], destination
    rows = pd.read_csv(tmp_path / "klaviyo.csv")
    assert set(rows["Email"]) == {"real.person@example.org", "plus+tag@example.org"}
    ids = pd.read_csv(tmp_path / "csv.csv")["customer_id"]
    assert set(ids) == {"'=1+1", "c2", "c3", "'-c4"}


def test_types_out_csv_holds_no_formula(cli, db_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    orders = (
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        "o1,=1+1,2024-01-05,p1,1,10\no2,=1+1,2024-03-05,p1,1,10\n"
    )
    assert cli("import", "orders", str(write(tmp_path, "o.csv", orders))).exit_code == 0
    out = tmp_path / "types.csv"
    res = cli("types", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert list(pd.read_csv(out)["customer_id"]) == ["'=1+1"]
