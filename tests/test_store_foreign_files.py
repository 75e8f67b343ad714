"""The store refuses DuckDB files that are not its own, and says in one line who holds it.

Planted: another program's DuckDB file (a ``sales`` table, and one with its own
``customers``), a store whose schema a newer shopperlens wrote, and a store held open by a
second process. Opening the first turned it into a shop (30-odd tables created by
``tables``, a command that only reads); the second stopped half-way with a database error;
the third was written to; the lock was DuckDB's text over four lines, not saying what to do.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import shopperlens
from shopperlens.cli import app
from shopperlens.errors import ShopperlensError
from shopperlens.store import connect, migrations


def _tables(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return sorted(r[0] for r in con.execute("SHOW TABLES").fetchall())


def _foreign(path: Path, *tables: str) -> Path:
    with duckdb.connect(str(path)) as con:
        for t in tables:
            con.execute(f"CREATE TABLE {t} (id INTEGER, amount DOUBLE)")
            con.execute(f"INSERT INTO {t} VALUES (1, 2.5)")
    return path


@pytest.mark.parametrize("tables", [("sales",), ("customers", "sales")])
def test_another_programs_database_is_left_as_it_was(tmp_path: Path, tables: tuple[str]) -> None:
    path = _foreign(tmp_path / "analytics.duckdb", *tables)
    res = CliRunner().invoke(app, ["--db", str(path), "tables"])
    assert res.exit_code == 1
    assert "not a shopperlens store: the DuckDB file holds another program's tables" in res.output
    assert "unexpected" not in res.output
    assert _tables(path) == sorted(tables)  # no shop table, no schema_migrations
    with pytest.raises(ShopperlensError, match="not a shopperlens store"):
        connect(path, read_only=True)  # a reader is refused too, and changes nothing
    assert _tables(path) == sorted(tables)


def test_an_empty_duckdb_file_and_an_existing_store_still_open(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with shopperlens.open(empty) as shop:
        assert "orders" in shop.store.tables()
    with shopperlens.open(empty) as shop:  # a store opens again
        assert shop.store.schema_version == max(m.version for m in migrations.available())


def test_a_store_from_a_newer_shopperlens_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    shopperlens.open(path).close()
    known = max(m.version for m in migrations.available())
    with duckdb.connect(str(path)) as con:
        con.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?, 'later')", [known + 2]
        )
    res = CliRunner().invoke(app, ["--db", str(path), "tables"])
    assert res.exit_code == 1
    assert (
        f"this store was made by a newer shopperlens (schema version {known + 2}; this one "
        f"knows up to {known}): nothing was changed. Upgrade shopperlens to use it"
    ) in res.output


def test_a_store_held_by_another_process_is_one_line_saying_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    shopperlens.open(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
         "print('open', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        t0 = time.monotonic()
        res = CliRunner().invoke(app, ["--db", str(path), "tables"])
        assert time.monotonic() - t0 < 30
    finally:
        holder.kill()
        holder.wait()
    assert res.exit_code == 1
    (line,) = res.output.strip().splitlines()  # one line, however long
    assert line == (
        f"error: the store {path} is open in another process (PID {holder.pid}: a running "
        "`shopperlens serve` or another command); stop it, or use that server's HTTP API"
    )
