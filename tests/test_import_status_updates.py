"""A later export that changes an order already stored.

Exports are snapshots: the newest import says what an order is now. A refund or cancellation
exported after the sale changes the stored status (the order stops counting as a purchase), is
counted in the result, the CLI and the ledger, and makes stored customer-type runs after the
order's date stale. A changed currency, shipping or discount code is a reject naming the
columns, as for every other key imported again with other content. Shopify's ``voided`` and
``expired`` payments took no money: they are no purchases either.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

import shopperlens
from _ingest_data import write
from shopperlens.features import behaviour_features
from shopperlens.service import types as svc
from shopperlens.service.imports import ImportRejected

HEAD = "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency,shipping,status\n"
FIRST = HEAD + "A1,C1,2024-03-01,P1,1,100,EUR,5,paid\nA2,C1,2024-04-01,P1,1,100,EUR,5,paid\n"
#: A2 refunded since the first export; A3 is new
LATER = (
    HEAD + "A1,C1,2024-03-01,P1,1,100,EUR,5,paid\nA2,C1,2024-04-01,P1,1,100,EUR,5,refunded\n"
    "A3,C1,2024-05-01,P1,1,100,EUR,5,paid\n"
)


def _statuses(shop: shopperlens.Shop) -> dict[str, str | None]:
    return dict(shop.store.execute("SELECT order_id, status FROM orders").fetchall())


def _bought(shop: shopperlens.Shop, as_of: datetime) -> tuple[int, float]:
    """C1's purchases as the features count them: orders and their value."""
    f = behaviour_features(shop.store, as_of=as_of).execute().set_index("subject_id")
    return int(f.loc["C1", "orders"]), float(f.loc["C1", "monetary"])


def test_a_refund_exported_later_changes_the_stored_order(tmp_path: Path) -> None:
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(write(tmp_path, "o1.csv", FIRST))
        assert _bought(shop, datetime(2024, 6, 1)) == (2, 200.0)
        res = shop.import_orders(write(tmp_path, "o2.csv", LATER))
        assert (res.rows_rejected, res.status_changed) == (0, 1)
        assert res.files[0].status_changed == 1
        assert res.added["orders"] == 1
        assert _statuses(shop) == {"A1": "paid", "A2": "refunded", "A3": "paid"}
        assert _bought(shop, datetime(2024, 6, 1)) == (2, 200.0)  # A1 and A3; A2 is refunded
        got = shop.store.execute("SELECT file, status_changed FROM imports").fetchall()
        assert {Path(f).name: n for f, n in got} == {"o1.csv": 0, "o2.csv": 1}
        ledger = {Path(r.file).name: r.status_changed for r in shop.imports()}  # `imports`
        assert ledger == {"o1.csv": 0, "o2.csv": 1}


def test_the_same_status_again_changes_nothing(tmp_path: Path) -> None:
    """The same file twice is skipped; another file with the statuses stored (one in another
    case, one blank: no news) changes none of them."""
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(write(tmp_path, "o1.csv", FIRST))
        shop.import_orders(write(tmp_path, "o2.csv", LATER))
        again = shop.import_orders(write(tmp_path, "o2.csv", LATER))
        assert again.files[0].skipped and again.status_changed == 0
        same = HEAD + "A1,C1,2024-03-01,P1,1,100,EUR,5,PAID\nA2,C1,2024-04-01,P1,1,100,EUR,5,\n"
        res = shop.import_orders(write(tmp_path, "o3.csv", same))
        assert (res.rows_rejected, res.status_changed, res.added["orders"]) == (0, 0, 0)
        assert _statuses(shop) == {"A1": "paid", "A2": "refunded", "A3": "paid"}


def test_a_changed_currency_or_shipping_is_a_reject_naming_them(tmp_path: Path) -> None:
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(write(tmp_path, "o1.csv", FIRST))
        changed = HEAD + "A2,C1,2024-04-01,P1,1,100,USD,9,refunded\n"
        with pytest.raises(ImportRejected) as err:
            shop.import_orders(write(tmp_path, "o2.csv", changed))
        assert err.value.total == 1
        (reject,) = err.value.rejects
        assert (reject.line, reject.column, reject.value) == (2, "order_id", "A2")
        assert reject.reason == (
            "order already imported with different content: currency (stored 'EUR', file "
            "'USD'), shipping (stored '5.0', file '9.0')"
        )
        assert _statuses(shop) == {"A1": "paid", "A2": "paid"}  # atomic: not even the status
        res = shop.import_orders(write(tmp_path, "o2.csv", changed), on_error="skip")
        assert (res.rows_rejected, res.status_changed) == (1, 0)
        assert _statuses(shop) == {"A1": "paid", "A2": "paid"}


def test_a_changed_discount_code_is_a_reject_naming_it(tmp_path: Path) -> None:
    head = "order_id,customer_id,ordered_at,product_id,quantity,unit_price,discount_code\n"
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(write(tmp_path, "o1.csv", head + "B1,C1,2024-03-01,P1,1,10,SPRING\n"))
        res = shop.import_orders(
            write(tmp_path, "o2.csv", head + "B1,C1,2024-03-01,P1,1,10,SUMMER\n"), on_error="skip"
        )
        assert [r.reason for r in res.rejects] == [
            "order line already imported with different content: "
            "discount_code (stored 'SPRING', file 'SUMMER')"
        ]


def test_a_status_change_makes_the_runs_after_the_order_stale(tmp_path: Path) -> None:
    """A run as of 15 April counted A2 (1 April) as a purchase. The later file's new order is
    of May, but its refund of A2 reaches back to 1 April: that run is stale, while a run as of
    a date before A2 is not."""
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(write(tmp_path, "o1.csv", FIRST))
        svc.run_at(store=shop.store, as_of="2024-03-15")
        svc.run_at(store=shop.store, as_of="2024-04-15")
        shop.import_orders(write(tmp_path, "o2.csv", LATER))
        got = shop.store.scalar("SELECT earliest_at FROM imports WHERE file LIKE '%o2.csv'")
        assert got == datetime(2024, 4, 1)
        dates = svc.run_dates(store=shop.store)
        assert datetime(2024, 3, 15) in dates
        assert datetime(2024, 4, 15) not in dates


def test_the_cli_says_how_many_orders_changed_status(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("import", "orders", str(write(tmp_path, "o1.csv", FIRST))).exit_code == 0
    out = cli("import", "orders", str(write(tmp_path, "o2.csv", LATER)))
    assert out.exit_code == 0, out.output
    assert "status changed: 1 stored order(s)" in " ".join(out.output.split())


SHOPIFY = (
    "Name,Email,Financial Status,Currency,Created at,Lineitem quantity,Lineitem name,"
    "Lineitem price,Lineitem sku\n"
    "#1,c@example.com,paid,EUR,2024-05-01 10:00:00,1,Mug,10.00,MUG\n"
    "#2,c@example.com,voided,EUR,2024-05-02 10:00:00,1,Mug,10.00,MUG\n"
    "#3,c@example.com,expired,EUR,2024-05-03 10:00:00,1,Mug,10.00,MUG\n"
    "#4,c@example.com,pending,EUR,2024-05-04 10:00:00,1,Mug,10.00,MUG\n"
    "#5,c@example.com,authorized,EUR,2024-05-05 10:00:00,1,Mug,10.00,MUG\n"
)


def test_voided_and_expired_shopify_payments_are_no_purchases(tmp_path: Path) -> None:
    """Of five orders, #2 (voided) and #3 (expired) took no money; pending and authorized
    payments are still purchases."""
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(write(tmp_path, "shop.csv", SHOPIFY))
        f = behaviour_features(shop.store, as_of=datetime(2024, 6, 1)).execute()
        (row,) = f[f.customer_id.notnull()].itertuples()
        assert (row.orders, row.monetary) == (3, 30.0)


def test_a_file_changing_only_statuses_reaches_back_to_those_orders(tmp_path: Path) -> None:
    """A file that only refunds A2 (1 April) adds no row: it reached any date, so every
    stored run was stale. It reaches back to A2: the run as of 15 March, before A2, stands."""
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(write(tmp_path, "o1.csv", FIRST))
        svc.run_at(store=shop.store, as_of="2024-03-15")
        svc.run_at(store=shop.store, as_of="2024-04-02")
        only = HEAD + "A2,C1,2024-04-01,P1,1,100,EUR,5,refunded\n"
        res = shop.import_orders(write(tmp_path, "o2.csv", only))
        assert (res.status_changed, res.added["orders"], res.added["order_lines"]) == (1, 0, 0)
        got = shop.store.scalar("SELECT earliest_at FROM imports WHERE file LIKE '%o2.csv'")
        assert got == datetime(2024, 4, 1)
        assert svc.run_dates(store=shop.store) == [datetime(2024, 3, 15)]


def test_a_change_between_purchase_statuses_reaches_back_nowhere(tmp_path: Path) -> None:
    """pending → paid, or a fuller export's paid for a blank status, changes nothing a run
    reads: the orders are applied and counted, but no stored run goes stale (each such
    weekly export made the whole type history stale)."""
    start = HEAD + "A1,C1,2024-03-01,P1,1,100,EUR,5,pending\nA2,C1,2024-04-01,P1,1,100,EUR,5,\n"
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(write(tmp_path, "o1.csv", start))
        svc.run_at(store=shop.store, as_of="2024-03-15")
        svc.run_at(store=shop.store, as_of="2024-04-02")
        paid = HEAD + "A1,C1,2024-03-01,P1,1,100,EUR,5,paid\nA2,C1,2024-04-01,P1,1,100,EUR,5,paid\n"
        res = shop.import_orders(write(tmp_path, "o2.csv", paid))
        assert res.status_changed == 2 and _statuses(shop) == {"A1": "paid", "A2": "paid"}
        assert svc.run_dates(store=shop.store) == [datetime(2024, 3, 15), datetime(2024, 4, 2)]
        refund = HEAD + "A1,C1,2024-03-01,P1,1,100,EUR,5,refunded\n"
        shop.import_orders(write(tmp_path, "o3.csv", refund))
        assert svc.run_dates(store=shop.store) == []  # both runs counted A1 as bought


def test_a_file_adding_and_changing_nothing_leaves_every_run_standing(tmp_path: Path) -> None:
    """An overlapping re-export (A1 as stored), and a file whose one order is rejected whole
    under skip, bring nothing: no stored run is stale (they made all of them stale)."""
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(write(tmp_path, "o1.csv", FIRST))
        svc.run_at(store=shop.store, as_of="2024-03-15")
        svc.run_at(store=shop.store, as_of="2024-04-02")  # (the day after the newest order)
        same = HEAD + "A1,C1,2024-03-01,P1,1,100,EUR,5,paid\n"
        shop.import_orders(write(tmp_path, "same.csv", same))
        bad = HEAD + "A9,C1,2024-02-01,P1,1,100,EUR,5,paid\nA9,C1,2024-02-01,P2,x,9,EUR,5,paid\n"
        res = shop.import_orders(write(tmp_path, "bad.csv", bad), on_error="skip")
        assert (res.rows_rejected, res.added["orders"]) == (2, 0)
        assert svc.run_dates(store=shop.store) == [datetime(2024, 3, 15), datetime(2024, 4, 2)]


def test_a_fuller_export_fills_the_stored_blank_currency_and_shipping(tmp_path: Path) -> None:
    """An export without currency and shipping, then a fuller one with them and a refund:
    the stored blanks were a conflict, so the refund and the new order were refused. A blank
    stored discount code is no conflict either."""
    lean = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
    fuller = HEAD.rstrip("\n") + ",discount_code\n"
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(write(tmp_path, "o1.csv", lean + "A1,C1,2024-01-01,P1,1,10\n"))
        rows = (
            "A1,C1,2024-01-01,P1,1,10,EUR,4,refunded,SPRING\nA2,C1,2024-02-01,P1,1,10,EUR,0,paid,\n"
        )
        res = shop.import_orders(write(tmp_path, "o2.csv", fuller + rows))
        assert (res.rows_rejected, res.status_changed, res.added["orders"]) == (0, 1, 1)
        got = shop.store.execute(
            "SELECT order_id, status, currency, shipping FROM orders ORDER BY 1"
        ).fetchall()
        assert got == [("A1", "refunded", "EUR", 4.0), ("A2", "paid", "EUR", 0.0)]
