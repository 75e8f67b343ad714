"""``--read-only``: a store on a read-only disk or share (or one several readers open at once)
is read without a byte written; ``types`` and ``clv`` then show their run without storing it,
and a command that must write says so in one line."""

from __future__ import annotations

import hashlib

import duckdb

import shopperlens
from _ingest_data import write
from shopperlens.store.connection import _cannot_open

ORDERS = (
    "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
    "o1,c1,2025-01-05,p1,1,10\no2,c1,2025-03-05,p2,1,12\no3,c2,2025-02-01,p1,2,10\n"
)


def _digest(path) -> str:  # type: ignore[no-untyped-def]
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_only_types_show_the_run_and_write_nothing(cli, db_path, tmp_path):
    assert cli("import", "orders", str(write(tmp_path, "o.csv", ORDERS))).exit_code == 0
    before = _digest(db_path)
    res = cli("--read-only", "types", "--as-of", "2025-06-01")
    assert res.exit_code == 0, res.output
    assert "c1" in res.output and "c2" in res.output
    assert cli("--read-only", "clv").exit_code in (0, 1)  # (too few orders to fit is fine)
    assert _digest(db_path) == before
    assert not db_path.with_name(db_path.name + ".wal").exists()
    with shopperlens.open(db_path) as shop:
        assert shop.store.count("type_runs") == 0  # nothing stored


def test_an_explicit_save_under_read_only_is_refused_before_any_work(cli, db_path, tmp_path):
    """``--read-only clv --save`` was shown and silently not stored."""
    assert cli("import", "orders", str(write(tmp_path, "o.csv", ORDERS))).exit_code == 0
    before = _digest(db_path)
    for command in ("clv", "intent"):
        res = cli("--read-only", command, "--save")
        assert res.exit_code == 1 and "Traceback" not in res.output, res.output
        assert " ".join(res.stderr.split()) == (
            "error: --save stores the run, but the store is open --read-only: leave out one of "
            "the two"
        )
        assert cli("--read-only", command, "--no-save").exit_code in (0, 1)
    assert _digest(db_path) == before


def test_read_only_refuses_a_write_in_one_line_and_leaves_the_store(cli, db_path, tmp_path):
    assert cli("import", "orders", str(write(tmp_path, "o.csv", ORDERS))).exit_code == 0
    before = _digest(db_path)
    more = write(tmp_path, "more.csv", ORDERS.replace("o1,", "o9,"))
    res = cli("--read-only", "import", "orders", str(more))
    assert res.exit_code == 1
    assert res.output.startswith("error: this store is open read-only")
    assert "--read-only" in res.output and "Traceback" not in res.output
    assert _digest(db_path) == before


def test_a_second_open_of_another_mode_in_one_process_says_which(tmp_path):  # type: ignore[no-untyped-def]
    """DuckDB said only "Can't open a connection to same database file with a different
    configuration than existing connections"."""
    import pytest

    from shopperlens.errors import ShopperlensError

    path = tmp_path / "shop.duckdb"
    for first, second, said in ((False, True, "for writing"), (True, False, "read-only")):
        with shopperlens.open(path, read_only=first):
            with pytest.raises(ShopperlensError) as refused:
                shopperlens.open(path, read_only=second)
            assert str(refused.value) == (
                f"cannot open the store {path}: this process already has it open {said} "
                "(another shopperlens.open of the same file); use that one, or close it first"
            )


def test_a_store_on_a_read_only_disk_points_to_the_option():
    said = _cannot_open(
        "/mnt/backup/shop.duckdb",
        duckdb.IOException('Cannot open file "/mnt/backup/shop.duckdb": Read-only file system'),
    )
    assert said.startswith("cannot open the store /mnt/backup/shop.duckdb for writing")
    assert said.endswith("add --read-only (shopperlens.open(path, read_only=True) in Python)")
    assert "--read-only" not in _cannot_open("x.duckdb", duckdb.IOException("disk on fire"))
    immutable = duckdb.IOException(  # chattr +i: even root may only read it
        'Cannot open file "/srv/shop.duckdb": Operation not permitted'
    )
    said = _cannot_open("/srv/shop.duckdb", immutable)
    assert said.endswith("add --read-only (shopperlens.open(path, read_only=True) in Python)")


def test_read_only_report_and_playbook_compute_what_no_run_holds(cli, db_path, tmp_path):
    """A copy whose store holds no types run: the report and a playbook computed one and
    failed to store it; they now show it unstored, and CLV figures the store cannot hold
    current are said to be missing, with why."""
    lines = [f"o{i},c{i % 7},2025-0{1 + i % 6}-0{1 + i % 9},p{i % 3},1,{10 + i}" for i in range(40)]
    orders = ORDERS.splitlines()[0] + "\n" + "\n".join(lines) + "\n"
    assert cli("import", "orders", str(write(tmp_path, "o.csv", orders))).exit_code == 0
    before = _digest(db_path)
    res = cli("--read-only", "report", "--out", str(tmp_path / "site"))
    assert res.exit_code == 0, res.output
    assert (tmp_path / "site" / "index.html").exists()
    res = cli("--read-only", "playbook", "--type", "loyal")
    assert res.exit_code == 0, res.output
    assert _digest(db_path) == before
    with shopperlens.open(db_path, read_only=True) as shop:
        assert shop.store.count("type_runs") == 0
        assert shop.store.read_only


def test_a_run_past_the_data_says_so(cli, tmp_path):
    """``types --as-of`` a year after the newest order typed silently, everyone lapsing."""
    assert cli("import", "orders", str(write(tmp_path, "o.csv", ORDERS))).exit_code == 0
    res = cli("types", "--as-of", "2026-01-01")
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert "note: as of 2026-01-01, 301 day(s) after the newest order or event (2025-03-05)" in said
    assert "note:" not in cli("types", "--as-of", "2025-03-06").output


def test_serve_refuses_read_only_rather_than_open_the_store_for_writing(cli, db_path) -> None:  # type: ignore[no-untyped-def]
    """``--read-only serve`` opened the store for writing (and stored runs) all the same."""
    assert cli("import", "--help").exit_code == 0
    res = cli("--read-only", "serve", "--port", "1")
    assert res.exit_code != 0
    assert "serve does not take --read-only" in " ".join(res.output.split())
    assert not db_path.exists()  # never opened
