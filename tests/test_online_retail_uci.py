"""A real UK shop's export (UCI Online Retail, tests/data/online_retail_uci_sample) imported
the way the README tells its owner: day-first dates are refused with a hint naming the option,
never guessed, and the README's command (``--dates day-first --currency GBP``) stores what the
file says, recounted here with the csv module; the README's products file naming the lines
that are no product keeps postage out of the basket rules and lists, not out of the revenue."""

from __future__ import annotations

import csv
import os
import re
import shlex
import shutil
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import shopperlens
from shopperlens.errors import ShopperlensError
from shopperlens.ingest.kinds import DAY_MONTH_YEAR
from shopperlens.service.overview import shop_currency

ROOT = Path(__file__).parents[1]
DATA = ROOT / "tests" / "data" / "online_retail_uci_sample"
FIRST_1000 = DATA / "online_retail_first1000_aispublishing.csv"
SAMPLE_5000 = DATA / "online_retail_sample5000_rhozon.csv"
MAP = {
    "InvoiceNo": "order_id",
    "StockCode": "product_id",
    "Description": "product_name",
    "InvoiceDate": "ordered_at",
    "UnitPrice": "unit_price",
    "CustomerID": "customer_id",
}
HINT = DAY_MONTH_YEAR
#: the stock codes the README's products file names no merchandise: postage, manual lines,
#: discounts, fees
NOT_PRODUCTS = {"POST", "DOT", "M", "D", "C2", "CRUK", "PADS", "B", "S", "BANK CHARGES",
                "AMAZONFEE"}  # fmt: skip


def _readme_recipe() -> tuple[str, list[str]]:
    """The README's products file naming the lines that are no product, and its import
    command (without ``shopperlens``)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    products = re.search(r"```csv\n(product_id,merchandise\n.*?)```", readme, re.S)
    command = re.search(r"```sh\n(shopperlens import orders online_retail\.csv[^\n]*)", readme)
    assert products and command, "the README shows how to import the Online Retail file"
    return products.group(1), shlex.split(command.group(1))[1:]


def _run_in(directory: Path, cli, args: list[str]):  # type: ignore[no-untyped-def]
    """The CLI run in ``directory``, as the README's command is typed there."""
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        return cli(*args)
    finally:
        os.chdir(cwd)


def _lines() -> list[dict[str, str]]:
    with FIRST_1000.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize(
    ("path", "value"), [(FIRST_1000, "01-12-10 8:26"), (SAMPLE_5000, "12/06/2010 10:08")]
)
def test_a_date_before_its_year_is_refused_with_how_to_write_it(tmp_path, path, value):
    with shopperlens.open(tmp_path / "shop.duckdb") as shop:
        with pytest.raises(ShopperlensError) as info:
            shop.import_orders(path, mapping=MAP)
        assert shop.store.count("orders") == 0
    assert f"{path.name}:2 InvoiceDate={value!r}: {HINT}" in str(info.value)


def _cancelled_invoices(lines: list[dict[str, str]]) -> set[str]:
    return {r["InvoiceNo"] for r in lines if r["InvoiceNo"].startswith("C")}


def _check_store(db_path: Path, lines: list[dict[str, str]]) -> None:
    """The store holds what ``lines`` say: every invoice but the cancellations, whose lines
    are the rejects; dates day first; 17850's revenue in GBP."""
    cancelled = [r for r in lines if r["InvoiceNo"] in _cancelled_invoices(lines)]
    sold = [r for r in lines if r["InvoiceNo"] not in _cancelled_invoices(lines)]
    revenue: dict[str, float] = defaultdict(float)
    for r in sold:
        revenue[r["CustomerID"]] += int(r["Quantity"]) * float(r["UnitPrice"])
    with shopperlens.open(db_path) as shop:
        ledger = shop.imports()[0]
        assert (ledger.rows_read, ledger.rows_rejected) == (len(lines), len(cancelled))
        assert shop.store.count("order_lines") == len(sold)
        assert shop.store.count("orders") == len({r["InvoiceNo"] for r in sold})
        customers = {r["CustomerID"] for r in sold if r["CustomerID"]}
        assert shop.store.count("customers") == len(customers)
        guests = shop.store.scalar("SELECT count(*) FROM orders WHERE customer_id IS NULL")
        assert guests == len({r["InvoiceNo"] for r in sold if not r["CustomerID"]})
        first = shop.store.scalar("SELECT min(ordered_at) FROM orders").isoformat()
        assert first == "2010-12-01T08:26:00"
        when = {r["InvoiceNo"]: datetime.strptime(r["InvoiceDate"], "%d-%m-%y %H:%M") for r in sold}
        assert (
            dict(shop.store.execute("SELECT order_id, ordered_at FROM orders").fetchall()) == when
        )
        stored = shop.store.scalar(
            "SELECT sum(quantity * unit_price) FROM order_lines JOIN orders USING (order_id) "
            "WHERE customer_id = '17850'"
        )
        assert stored == pytest.approx(revenue["17850"])
        assert shop.store.scalar("SELECT DISTINCT currency FROM orders") == "GBP"
        assert shop_currency(store=shop.store) == "GBP"
    rejects_file = db_path.with_name("shop.rejects.csv")
    with rejects_file.open(newline="", encoding="utf-8") as fh:
        rejects = list(csv.DictReader(fh))
    assert {r["reason"] for r in rejects} == {"negative quantity"}
    assert len(rejects) == len(cancelled)


def test_the_readme_command_imports_the_online_retail_file_as_it_is(tmp_path, cli, db_path):
    _, args = _readme_recipe()
    shutil.copy(FIRST_1000, tmp_path / "online_retail.csv")
    res = _run_in(tmp_path, cli, args)
    assert res.exit_code == 0, res.output
    lines = _lines()
    _check_store(db_path, lines)
    # the README's figures
    assert len(lines) == 1000 and len(_cancelled_invoices(lines)) == 4
    with shopperlens.open(db_path) as shop:
        counted = (shop.store.count("order_lines"), shop.store.count("orders"))
        assert counted + (shop.store.count("customers"),) == (990, 62, 46)


def test_the_readme_products_file_leaves_the_lines_that_are_no_product_out(tmp_path, cli, db_path):  # type: ignore[no-untyped-def]
    products, args = _readme_recipe()
    shutil.copy(FIRST_1000, tmp_path / "online_retail.csv")
    (tmp_path / "not_products.csv").write_text(products, encoding="utf-8")
    assert _run_in(tmp_path, cli, args).exit_code == 0
    with shopperlens.open(db_path) as shop:
        before = _product_figures(shop.store)
    assert "POST" in before["rules"] and "POST" in before["lists"]
    res = _run_in(tmp_path, cli, ["import", "products", "not_products.csv"])
    assert res.exit_code == 0, res.output
    with shopperlens.open(db_path) as shop:
        assert shop.store.count("order_lines") == 990  # the orders as imported: none dropped
        after = _product_figures(shop.store)
        named = shop.store.execute("SELECT product_id FROM products WHERE NOT merchandise")
        assert {p for (p,) in named.fetchall()} == NOT_PRODUCTS
    assert not (after["rules"] | after["lists"]) & NOT_PRODUCTS
    assert after["revenue"] == before["revenue"] == 24705.38  # postage is money all the same
    assert after["no_category"] == before["no_category"] - 69  # 2 postage lines, GBP 69
    assert after["products"] == before["products"] - 1  # POST (the others are not sold here)


def _product_figures(store) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """The products in basket rules and "bought together" lists down to one order (postage
    is in 2 of the 62), the revenue, that of the lines of no category and the products."""
    from shopperlens.service import overview
    from shopperlens.service import playbooks as svc

    rules = svc.basket_rules(store=store, min_support=1 / 62, max_len=2)
    lists = svc.frequently_bought_together(store=store, min_orders=1, top=100)
    shown = overview.overview(store=store)
    return {
        "rules": set().union(*rules.antecedents, *rules.consequents),
        "lists": set(lists.product_id) | set(lists.recommended_id),
        "revenue": shown.revenue,
        "no_category": dict(shown.top_categories)["(no category)"],
        "products": shown.products,
    }


def test_the_us_copy_reads_month_first(tmp_path):
    with shopperlens.open(tmp_path / "shop.duckdb") as shop:
        result = shop.import_orders(
            SAMPLE_5000, mapping=MAP, dates="month-first", currency="GBP", on_error="skip"
        )
        assert not [r for r in result.rejects if "date/time" in r.reason]
        first = shop.store.scalar("SELECT ordered_at FROM orders WHERE order_id = '537240'")
        assert first.isoformat() == "2010-12-06T10:08:00"


def _sample_lines() -> list[dict[str, str]]:
    with SAMPLE_5000.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _month_first(value: str) -> datetime:
    """The sample's two ways of writing a date, month first (see its SOURCE.md)."""
    day, _ = value.split(" ")
    year = day.rsplit("/", 1)[1]
    return datetime.strptime(value, "%m/%d/%Y %H:%M" if len(year) == 4 else "%m/%d/%y %H:%M")


def test_an_invoice_rung_up_across_a_minute_is_one_order_at_its_first_line(tmp_path):
    lines = _sample_lines()
    times: dict[str, set[datetime]] = defaultdict(set)
    for r in lines:
        times[r["InvoiceNo"]].add(_month_first(r["InvoiceDate"]))
    spread = {i: t for i, t in times.items() if len(t) > 1}
    assert len(spread) == 5 and {max(t) - min(t) for t in spread.values()} == {timedelta(minutes=1)}
    assert sum(r["InvoiceNo"] in spread for r in lines) == 35
    reordered = tmp_path / "reexport.csv"  # the same lines, listed the other way round
    with SAMPLE_5000.open(encoding="utf-8") as fh:
        header, *rows = fh.read().splitlines()
    reordered.write_text("\n".join([header, *reversed(rows)]) + "\n", encoding="utf-8")
    with shopperlens.open(tmp_path / "shop.duckdb") as shop:
        shop.import_orders(SAMPLE_5000, mapping=MAP, dates="month-first", currency="GBP")
        assert shop.store.count("order_lines") == len(lines)
        stored = dict(shop.store.execute("SELECT order_id, ordered_at FROM orders").fetchall())
        assert stored == {i: min(t) for i, t in times.items()}
        again = shop.import_orders(reordered, mapping=MAP, dates="month-first", currency="GBP")
        assert (again.rows_rejected, shop.store.count("order_lines")) == (0, len(lines))


def test_lines_of_one_order_further_apart_are_still_two_orders_sharing_an_id(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        "A,c1,2024-03-01 10:00,p1,1,2.0\n"
        "A,c1,2024-03-01 10:05,p2,1,2.0\n"
        "B,c1,2024-03-01 11:00,p1,1,2.0\n"
        "B,c1,2024-03-01 11:05:01,p2,1,2.0\n",
        encoding="utf-8",
    )
    with shopperlens.open(tmp_path / "shop.duckdb") as shop:
        result = shop.import_orders(path, on_error="skip")
        assert [(r.line, r.reason) for r in result.rejects] == [
            (4, "lines of one order disagree on ordered_at"),
            (5, "lines of one order disagree on ordered_at"),
        ]
        assert shop.store.execute("SELECT order_id, ordered_at FROM orders").fetchall() == [
            ("A", datetime(2024, 3, 1, 10, 0))
        ]


def test_an_overlapping_export_holding_only_an_orders_later_minute_is_the_stored_order(tmp_path):
    header = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
    first, later = "A,c1,2024-03-01 13:40,p1,1,2.0\n", "A,c1,2024-03-01 13:41,p2,1,2.0\n"
    (tmp_path / "1.csv").write_text(header + first + later, encoding="utf-8")
    # the next export starts inside order A: its 13:41 line, then a new order
    (tmp_path / "2.csv").write_text(header + later + "B,c2,2024-03-01 14:00,p1,1,2.0\n")
    far = "A,c1,2024-03-01 13:46,p2,1,2.0\n"  # six minutes after the stored time
    (tmp_path / "3.csv").write_text(header + far, encoding="utf-8")
    with shopperlens.open(tmp_path / "shop.duckdb") as shop:
        shop.import_orders(tmp_path / "1.csv")
        result = shop.import_orders(tmp_path / "2.csv")
        assert (result.rows_rejected, result.added["order_lines"]) == (0, 1)
        assert shop.store.execute(
            "SELECT order_id, ordered_at FROM orders ORDER BY 1"
        ).fetchall() == [
            ("A", datetime(2024, 3, 1, 13, 40)),
            ("B", datetime(2024, 3, 1, 14, 0)),
        ]
        clash = shop.import_orders(tmp_path / "3.csv", on_error="skip")
        assert [r.reason.split(":")[0] for r in clash.rejects] == [
            "order already imported with different content"
        ]


def _readme_returns_command() -> list[str]:
    """The README's command importing the Online Retail file with its negative lines as
    returns (without ``shopperlens``)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = r"```sh\n(shopperlens import orders online_retail\.csv .*--negative-lines returns.*)"
    command = re.search(shown, readme)
    assert command, "the README shows how to import the cancellations as returns"
    return shlex.split(command.group(1))[1:]


def _negative_lines_as_returns(lines: list[dict[str, str]]) -> dict[str, tuple]:  # type: ignore[type-arg]
    """What the file's negative lines are as returns, by the rule the README states: each
    id its invoice and its place among that invoice's negative lines."""
    out, seen = {}, defaultdict(int)
    for r in lines:
        if int(r["Quantity"]) < 0:
            seen[r["InvoiceNo"]] += 1
            out[f"{r['InvoiceNo']}/{seen[r['InvoiceNo']]}"] = (
                r["CustomerID"] or None,
                r["StockCode"],
                datetime.strptime(r["InvoiceDate"], "%d-%m-%y %H:%M"),
                -int(r["Quantity"]),
            )
    return out


def test_the_readme_command_imports_the_cancellations_as_returns(tmp_path, cli, db_path):
    args = _readme_returns_command()
    shutil.copy(FIRST_1000, tmp_path / "online_retail.csv")
    res = _run_in(tmp_path, cli, args)
    assert res.exit_code == 0, res.output
    assert "returns: 10 line(s) with a negative quantity are returns" in res.output
    lines = _lines()
    expected = _negative_lines_as_returns(lines)
    assert len(expected) == 10 and len({c for c, *_ in expected.values()}) == 4  # README
    sold = [r for r in lines if int(r["Quantity"]) >= 0]
    with shopperlens.open(db_path) as shop:
        stored = shop.store.execute(
            "SELECT return_id, customer_id, product_id, returned_at, quantity FROM returns"
        ).fetchall()
        assert {i: tuple(rest) for i, *rest in stored} == expected
        assert shop.store.scalar("SELECT count(*) FROM returns WHERE order_id IS NOT NULL") == 0
        assert shop.store.count("order_lines") == len(sold) == 990
        assert shop.store.count("orders") == len({r["InvoiceNo"] for r in sold}) == 62
        ledger = shop.imports()[0]
        assert (ledger.rows_read, ledger.rows_accepted, ledger.rows_rejected) == (1000, 1000, 0)
        assert ledger.returns == 10
    again = _run_in(tmp_path, cli, args)  # the same file again adds nothing
    assert again.exit_code == 0 and "already imported" in again.output
    with shopperlens.open(db_path) as shop:
        assert shop.store.count("returns") == 10 and len(shop.imports()) == 1
