"""The import ledger reaches every file loaded, on every face.

A store holding 105 ledger rows: first a tickets file read with ``--map opened=created_at``
(its earliest ticket was opened 2024-02-01 10:00), then 104 one-product files. Each face
lists the newest 100 by default and says so ("the newest 100 of 105 imports"), and reaches
the rest when asked (``limit`` 0 or all, paging with ``offset``); the records carry
``earliest_at`` and ``columns_read``. The report's front page lists the newest 50 and says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import shopperlens
from conftest import _api_client
from shopperlens.cli import app
from shopperlens.errors import ShopperlensError
from shopperlens.reports import site

PRODUCT_FILES = 104
LEDGER_ROWS = PRODUCT_FILES + 1
OLDEST_FILE = "tickets_2024.csv"
TICKETS = (
    "ticket_id,customer_id,opened,subject\n"
    "t1,c1,2024-03-05 09:00:00,refund please\n"
    "t2,c2,2024-02-01 10:00:00,late parcel\n"
)
FIRST_TICKET = datetime(2024, 2, 1, 10, 0)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose ledger holds :data:`LEDGER_ROWS` files, the tickets file the oldest."""
    folder = tmp_path_factory.mktemp("ledger")
    tickets = folder / OLDEST_FILE
    tickets.write_text(TICKETS)
    products = []
    for i in range(PRODUCT_FILES):
        path = folder / f"products_{i:03d}.csv"
        path.write_text(f"product_id,product_name,price\np{i},Mug {i},{i + 1}.50\n")
        products.append(path)
    path = folder / "shop.duckdb"
    with shopperlens.open(path) as shop:
        shop.import_files("tickets", tickets, mapping={"opened": "created_at"})
        shop.import_files("products", *products)
        assert shop.store.count("imports") == LEDGER_ROWS  # the planted ledger
    return path


@pytest.fixture
def shop(db: Path) -> Iterator[shopperlens.Shop]:
    with shopperlens.open(db) as s:
        yield s


def _cli(db: Path, *args: str) -> Any:
    res = CliRunner().invoke(app, ["--db", str(db), "imports", *args])
    assert res.exit_code == 0, res.output
    return res


def _is_the_tickets_file(record: dict[str, Any], zone: str = "") -> None:
    """The oldest ledger row, with the fields that say which runs it made stale (over HTTP
    its times say their zone, ``zone`` ``Z``)."""
    assert Path(record["file"]).name == OLDEST_FILE
    assert record["kind"] == "tickets" and record["rows_accepted"] == 2
    assert record["earliest_at"] == FIRST_TICKET.isoformat() + zone
    assert record["columns_read"]["created_at"] == "opened"
    assert record["columns_read"]["ticket_id"] == "ticket_id"


# -- the Python face -----------------------------------------------------------------------------
def test_python_face_lists_every_file_and_says_the_total(shop: shopperlens.Shop) -> None:
    every = shop.imports()
    assert len(every) == LEDGER_ROWS and every.total == LEDGER_ROWS and every.note == ""
    assert [r.import_id for r in every] == list(range(LEDGER_ROWS, 0, -1))  # newest first
    oldest = every[-1]
    assert oldest.earliest_at == FIRST_TICKET
    assert oldest.columns_read is not None and oldest.columns_read["created_at"] == "opened"
    # a products file speaks of no date: not known, which counts as any date
    assert every[0].kind == "products" and every[0].earliest_at is None
    assert len(shop.imports(0)) == len(shop.imports("all")) == LEDGER_ROWS


def test_python_face_limit_and_offset_say_which_part(shop: shopperlens.Shop) -> None:
    newest = shop.imports(100)
    assert len(newest) == 100 and newest.total == LEDGER_ROWS
    assert newest.note == f"the newest 100 of {LEDGER_ROWS} imports"
    rest = shop.imports(100, offset=100)
    assert [r.import_id for r in rest] == [5, 4, 3, 2, 1]
    assert rest.note == f"imports 101-{LEDGER_ROWS} of {LEDGER_ROWS}, newest first"
    assert shop.imports(offset=LEDGER_ROWS) == []
    for bad in (-1, "x", "1.5"):
        with pytest.raises(ShopperlensError, match="0 or all"):
            shop.imports(bad)


def test_tables_count_matches_the_ledger_total(shop: shopperlens.Shop) -> None:
    counts = {t.name: t.rows for t in shop.tables()}
    assert counts["imports"] == shop.imports(10).total == LEDGER_ROWS


# -- the CLI -------------------------------------------------------------------------------------
def test_cli_table_says_it_shows_the_newest_100(db: Path) -> None:
    res = _cli(db)
    assert f"the newest 100 of {LEDGER_ROWS} imports" in res.stdout
    assert OLDEST_FILE not in res.stdout
    every = _cli(db, "--limit", "all")
    assert OLDEST_FILE in every.stdout and "the newest" not in every.stdout
    page = _cli(db, "--limit", "3", "--offset", "102")
    assert OLDEST_FILE in page.stdout and "products_001.csv" in page.stdout
    assert f"imports 103-{LEDGER_ROWS} of {LEDGER_ROWS}" in page.stdout


def test_cli_json_reaches_every_record_and_every_field(db: Path) -> None:
    newest = _cli(db, "--json")
    assert len(json.loads(newest.stdout)) == 100  # stdout stays a JSON list
    assert f"the newest 100 of {LEDGER_ROWS} imports" in newest.stderr
    every = _cli(db, "--json", "--limit", "0")
    records = json.loads(every.stdout)
    assert len(records) == LEDGER_ROWS and not every.stderr
    _is_the_tickets_file(records[-1])


def test_cli_refuses_a_limit_that_is_not_a_count(db: Path) -> None:
    res = CliRunner().invoke(app, ["--db", str(db), "imports", "--limit", "many"])
    assert res.exit_code == 1 and "0 or all" in res.output


def test_a_count_beyond_any_ledger_reads_as_every_row(db: Path) -> None:
    """Twenty digits are past what DuckDB counts in (2**63): every row, not an error."""
    huge = "99999999999999999999"
    res = _cli(db, "--json", "--limit", huge)
    assert res.exit_code == 0 and len(json.loads(res.stdout)) == LEDGER_ROWS
    res = _cli(db, "--json", "--offset", huge)
    assert res.exit_code == 0 and json.loads(res.stdout) == []


# -- the HTTP API --------------------------------------------------------------------------------
def test_http_pages_through_the_whole_ledger(shop: shopperlens.Shop) -> None:
    with _api_client(shop) as client:
        newest = client.get("/api/imports")
        assert newest.status_code == 200 and len(newest.json()) == 100
        assert newest.headers["X-Shopperlens-Total"] == str(LEDGER_ROWS)
        assert f"the newest 100 of {LEDGER_ROWS} imports" in newest.headers["X-Shopperlens-Note"]
        every = client.get("/api/imports", params={"limit": "all"})
        assert len(every.json()) == LEDGER_ROWS and "X-Shopperlens-Note" not in every.headers
        page = client.get("/api/imports", params={"limit": 100, "offset": 100})
        assert [r["import_id"] for r in page.json()] == [5, 4, 3, 2, 1]
        _is_the_tickets_file(page.json()[-1], zone="Z")
        assert client.get("/api/imports", params={"limit": "x"}).status_code == 400
        assert client.get("/api/imports", params={"offset": -1}).status_code == 422
        huge = client.get("/api/imports", params={"limit": "99999999999999999999"})
        assert huge.status_code == 200 and len(huge.json()) == LEDGER_ROWS


# -- the report ----------------------------------------------------------------------------------
def test_report_front_page_says_its_imports_table_is_the_newest_50(
    shop: shopperlens.Shop,
) -> None:
    page = site.find("index")
    assert page is not None
    ctx = page.build(shop.store, shop.settings)
    assert ctx is not None
    html = site.render(page, ctx, [])
    imports = html[html.index("<h2>Imports</h2>") :]
    assert f"the newest 50 of {LEDGER_ROWS} imports" in imports
    assert imports.count("<td>products") == 50 and OLDEST_FILE not in imports
    shown = json.loads(site.to_json(ctx))
    assert len(shown["imports"]) == 50 and shown["imports_total"] == LEDGER_ROWS
