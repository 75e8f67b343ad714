"""A disk with no room is said as such, not blamed on the file being imported.

Planted: the import runs in a process that may write files of at most 3 MiB (what a full disk
or a quota does to a write, as ``File too large``), with 300,000 order lines (the store grows
past the limit), then with lines that are all rejected (their rejects file does). The first
said "orders.csv: cannot read the file: Could not write file shop.duckdb", the second
"unexpected IOException" with exit 2.
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import shopperlens

LIMIT = 3 << 20


def _orders(path: Path, same_customer: bool) -> Path:
    customer = "(i // 2)" if same_customer else "i"  # else two lines of an order disagree
    duckdb.sql(
        f"""COPY (SELECT 'o' || (i // 2) AS order_id, 'c' || ({customer} % 5000) AS customer_id,
                  TIMESTAMP '2024-01-01' + to_seconds((i // 2) * 60) AS ordered_at,
                  'p' || (i % 300) AS product_id, 1 AS quantity, 9.5 AS unit_price
           FROM range(300000) t(i)) TO '{path}' (HEADER)"""
    )
    return path


def _limited() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


@pytest.mark.parametrize(
    ("same_customer", "written"), [(True, "shop.duckdb"), (False, "shop.rejects.csv")]
)
def test_no_room_is_one_line_naming_what_could_not_be_written(
    tmp_path: Path, same_customer: bool, written: str
) -> None:
    db = tmp_path / "shop.duckdb"
    shopperlens.open(db).close()
    orders = _orders(tmp_path / "orders.csv", same_customer)
    out = subprocess.run(
        [sys.executable, "-c", "from shopperlens._console import main; main()",
         "--db", str(db), "import", "orders", str(orders)],
        capture_output=True, text=True, timeout=300, preexec_fn=_limited,
    )  # fmt: skip
    assert out.returncode == 1, out.stderr
    assert out.stderr == (
        f"error: cannot write {written}: File too large (the disk is full, or the file hit a "
        "size limit): nothing was changed; make room and run it again\n"
    )
    with shopperlens.open(db) as shop:
        assert shop.store.count("order_lines") == 0 and shop.store.count("imports") == 0
