"""A real UK shop's export (UCI Online Retail, tests/data/online_retail_uci_sample) imported
the way the README tells its owner: day-first dates are refused with a hint naming the option,
never guessed, and the README's command (``--dates day-first --currency GBP``) stores what the
file says, as does its copy without the lines that are no product, recounted here with the
csv module."""

from __future__ import annotations

import csv
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import datetime
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
#: the stock codes the README's copy leaves out: postage, manual lines, discounts, fees
NOT_PRODUCTS = {"POST", "DOT", "M", "D", "C2", "CRUK", "PADS", "B", "S", "BANK CHARGES",
                "AMAZONFEE"}  # fmt: skip


def _readme_recipe() -> tuple[str, list[str]]:
    """The README's import command (without ``shopperlens``) and its Python copy without the
    lines that are no product."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    python = re.search(
        r"```python\n(import duckdb.*?online_retail_products\.csv.*?)```", readme, re.S
    )
    command = re.search(r"```sh\n(shopperlens import orders online_retail\.csv[^\n]*)", readme)
    assert python and command, "the README shows how to import the Online Retail file"
    return python.group(1), shlex.split(command.group(1))[1:]


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


def test_the_readme_copy_leaves_out_the_lines_that_are_no_product(tmp_path, cli, db_path):
    python, args = _readme_recipe()
    shutil.copy(FIRST_1000, tmp_path / "online_retail.csv")
    subprocess.run([sys.executable, "-c", python], cwd=tmp_path, check=True)
    args = ["online_retail_products.csv" if a == "online_retail.csv" else a for a in args]
    res = _run_in(tmp_path, cli, args)
    assert res.exit_code == 0, res.output
    kept = [r for r in _lines() if r["StockCode"] not in NOT_PRODUCTS]
    _check_store(db_path, kept)
    assert len(kept) == 997 and len(_cancelled_invoices(kept)) == 3
    with shopperlens.open(db_path) as shop:
        assert shop.store.count("order_lines") == 988
        products = {p for (p,) in shop.store.execute("SELECT product_id FROM products").fetchall()}
        assert not products & NOT_PRODUCTS


def test_the_us_copy_reads_month_first(tmp_path):
    with shopperlens.open(tmp_path / "shop.duckdb") as shop:
        result = shop.import_orders(
            SAMPLE_5000, mapping=MAP, dates="month-first", currency="GBP", on_error="skip"
        )
        assert not [r for r in result.rejects if "date/time" in r.reason]
        first = shop.store.scalar("SELECT ordered_at FROM orders WHERE order_id = '537240'")
        assert first.isoformat() == "2010-12-06T10:08:00"
