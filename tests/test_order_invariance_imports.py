"""What an orders import stores does not depend on the order of the rows or files given.

A product created from order lines (no products file named it) takes the name, category and
price of its latest line (the order's time, then its id, then the line's number), in one file
and over later imports, so an abandoned cart priced at it is worth the same whichever way the
export lists its rows. An order an earlier file of the same call stored, given with other
content by a later file, is rejected naming that earlier file.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

import shopperlens
from _ingest_data import write
from shopperlens.errors import ShopperlensError

HEAD = "order_id,customer_id,ordered_at,product_id,product_name,category,quantity,unit_price\n"
EARLY = [
    "O00,C00,2025-01-10 10:00:00,P1,Tent,tents,1,100.0",
    "O01,C01,2025-02-10 10:00:00,P1,Tent,tents,1,100.0",
    "O02,C02,2025-03-10 10:00:00,P1,Tent,tents,1,100.0",
]
LATE = [
    "O03,C03,2025-06-10 10:00:00,P1,Tent II,camping,1,80.0",
    "O04,C04,2025-07-10 10:00:00,P1,Tent II,camping,1,80.0",
    "O05,C05,2025-08-10 10:00:00,P1,Tent II,camping,1,80.0",
]
#: two orders in the same second, and two lines of one product in one order: the order's id,
#: then the line's number decide
TIES = [
    "T2,C06,2025-05-01 10:00:00,P2,Lamp,light,1,20.0",
    "T1,C07,2025-05-01 10:00:00,P2,Lamp,light,1,10.0",
    "T3,C08,2025-04-01 10:00:00,P3,Mat,camping,1,5.0",
    "T3,C08,2025-04-01 10:00:00,P3,Mat XL,camping,1,7.0",
    # the latest line names no product nor category: those of the latest line that does
    "T5,C09,2025-05-02 10:00:00,P4,Stove,cooking,1,30.0",
    "T6,C09,2025-05-03 10:00:00,P4,,,1,35.0",
]


def _csv(tmp_path: Path, name: str, rows: list[str]) -> Path:
    return write(tmp_path, name, HEAD + "\n".join(rows) + "\n")


def _products(shop: shopperlens.Shop) -> dict[str, tuple[str, str, float]]:
    rows = shop.store.execute(
        "SELECT product_id, product_name, category, price FROM products ORDER BY 1"
    ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


EXPECTED = {
    "P1": ("Tent II", "camping", 80.0),
    "P2": ("Lamp", "light", 20.0),
    "P3": ("Mat XL", "camping", 7.0),
    "P4": ("Stove", "cooking", 35.0),
}


@pytest.mark.parametrize("reverse", [False, True])
def test_a_product_from_orders_takes_its_latest_line_whatever_the_row_order(
    tmp_path: Path, reverse: bool
) -> None:
    rows = EARLY + LATE + TIES
    if reverse:  # the lines of order T3 keep their order: it numbers them
        rows = [r for r in reversed(rows) if not r.startswith("T3")] + TIES[2:4]
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(_csv(tmp_path, "orders.csv", rows))
        assert _products(shop) == EXPECTED


@pytest.mark.parametrize("files_reversed", [False, True])
@pytest.mark.parametrize("one_call", [False, True])
def test_a_product_from_orders_follows_its_latest_line_over_files(
    tmp_path: Path, files_reversed: bool, one_call: bool
) -> None:
    files = [_csv(tmp_path, "early.csv", EARLY), _csv(tmp_path, "late.csv", LATE + TIES)]
    if files_reversed:
        files.reverse()
    with shopperlens.open(":memory:") as shop:
        if one_call:
            shop.import_orders(*files)
        else:
            for f in files:
                shop.import_orders(f)
        assert _products(shop) == EXPECTED


def test_a_catalogue_product_keeps_the_catalogue_values(tmp_path: Path) -> None:
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(_csv(tmp_path, "early.csv", EARLY))
        shop.import_products(
            write(tmp_path, "p.csv", "product_id,product_name,category,price\nP1,Tent,tents,120\n")
        )
        shop.import_orders(_csv(tmp_path, "late.csv", LATE))
        assert _products(shop)["P1"] == ("Tent", "tents", 120.0)


def test_a_new_category_from_a_later_file_reaches_back_to_the_lines_that_read_it(
    tmp_path: Path,
) -> None:
    """A line without a category of its own reads its product's: the later file that moves
    the product reaches back to that line's order (the ledger's earliest_at)."""
    first = [EARLY[0], "O09,C09,2025-02-10 10:00:00,P1,Tent,,1,100.0"]
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(_csv(tmp_path, "early.csv", first))
        shop.import_orders(_csv(tmp_path, "late.csv", LATE))
        assert _products(shop)["P1"] == ("Tent II", "camping", 80.0)
        got = shop.store.scalar("SELECT earliest_at FROM imports WHERE file LIKE '%late.csv'")
        assert got == datetime(2025, 2, 10, 10)


SPLIT_HEAD = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"


EARLIER = "it was stored by a.csv, an earlier file of this import"


def test_an_order_split_over_two_files_of_a_call_names_the_earlier_file(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", SPLIT_HEAD + "O1,C1,2025-03-01 10:00:00,P1,1,10\n")
    b = write(tmp_path, "b.csv", SPLIT_HEAD + "O1,C1,2025-03-01 10:00:00,P2,2,5\n")
    with shopperlens.open(":memory:") as shop:
        with pytest.raises(ShopperlensError) as err:
            shop.import_orders(a, b)
        said = str(err.value)
        assert "b.csv" in said and "O1" in said and EARLIER in said
        assert "product_id" in said  # what differs, as for any clash with a stored order
        assert shop.store.scalar("SELECT count(*) FROM order_lines") == 0  # all or nothing


def test_an_order_changed_between_two_exports_of_a_call_is_a_reject_under_skip(
    tmp_path: Path,
) -> None:
    """Two overlapping exports in one call, an order's quantity changed between them: under
    ``skip`` that order's rows of the later file are rejected, naming the field and the earlier
    file, and every other order of both files is imported (the call stored nothing at all)."""
    a = write(
        tmp_path,
        "a.csv",
        SPLIT_HEAD + "O1,C1,2025-01-01 10:00:00,P1,1,100\nO1,C1,2025-01-01 10:00:00,P2,1,50\n"
        "O2,C2,2025-01-02 10:00:00,P1,1,100\n",
    )
    b = write(
        tmp_path,
        "b.csv",
        SPLIT_HEAD + "O1,C1,2025-01-01 10:00:00,P1,2,100\nO1,C1,2025-01-01 10:00:00,P2,1,50\n"
        "O5,C5,2025-01-07 10:00:00,P1,1,100\n",
    )
    with shopperlens.open(":memory:") as shop:
        res = shop.import_orders(a, b, on_error="skip")
        orders = shop.store.df("SELECT order_id FROM orders ORDER BY order_id")
        assert orders["order_id"].tolist() == ["O1", "O2", "O5"]
        assert shop.store.scalar("SELECT count(*) FROM order_lines") == 4
        assert res.rows_rejected == 2
        reasons = " ".join(r.reason for r in res.rejects)
        assert "quantity" in reasons and EARLIER in reasons


def test_an_order_given_whole_in_two_files_of_a_call_is_the_same_order(tmp_path: Path) -> None:
    """Overlapping exports in one call: the same lines again are no split."""
    line = "O1,C1,2025-03-01 10:00:00,P1,1,10\n"
    a = write(tmp_path, "a.csv", SPLIT_HEAD + line)
    b = write(tmp_path, "b.csv", SPLIT_HEAD + line + "O2,C1,2025-03-02 10:00:00,P2,2,5\n")
    with shopperlens.open(":memory:") as shop:
        res = shop.import_orders(a, b)
        assert res.rows_rejected == 0
        assert shop.store.scalar("SELECT count(*) FROM order_lines") == 2


def test_an_order_stored_before_the_call_still_says_stored(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", SPLIT_HEAD + "O1,C1,2025-03-01 10:00:00,P1,1,10\n")
    b = write(tmp_path, "b.csv", SPLIT_HEAD + "O1,C1,2025-03-01 10:00:00,P2,2,5\n")
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(a)
        with pytest.raises(ShopperlensError, match="already imported with different content"):
            shop.import_orders(b)
