"""The CLI writes amounts as the report does (``labels.money``): whole, thousands separated, an
exact half away from zero, in the shop's currency. ``types explain`` printed ``CLV 1093.94``,
and the ``clv`` table a CLV of 405.123 beside one of 2,690."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from _demo_data import demo_shop
from shopperlens.cli import _render
from shopperlens.cli import app as cli_app
from shopperlens.demo import load
from shopperlens.labels import money
from shopperlens.service import clv
from shopperlens.service import types as svc
from shopperlens.store import connect


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop with its types and CLV runs stored."""
    path = tmp_path_factory.mktemp("amounts") / "demo.duckdb"
    with connect(path) as store:
        load(store, demo_shop(600))
        clv.demo_step(store=store)
        svc.latest_types(store=store)
    return path


def _run(db: Path, *args: str) -> str:
    res = CliRunner().invoke(cli_app, ["--db", str(db), *args])
    assert res.exit_code == 0, res.output
    return res.output


def test_explain_writes_the_clv_as_money(demo_db: Path) -> None:
    with connect(demo_db) as store:
        typed = svc.latest_types(store=store)
        big = typed.loc[typed["clv"] >= 1000].iloc[0]
    out = _run(demo_db, "types", "explain", big["customer_id"])
    line = next(x for x in out.splitlines() if x.startswith("CLV "))
    assert line.startswith(f"CLV {money(big['clv'], 'EUR')}, P(alive) "), line
    assert re.fullmatch(r"CLV EUR \d,\d{3}, P\(alive\) \d\.\d\d( — .*)?", line), line


def test_the_tables_write_whole_amounts_under_their_currency(demo_db: Path) -> None:
    out = _run(demo_db, "clv", "--top", "400")
    assert "clv (EUR)" in out
    cells = [row.split("│")[5].strip() for row in out.splitlines() if row.startswith("│ C")]
    assert len(cells) == 400
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", c) for c in cells), cells  # no 405.1
    assert "CLV (EUR)" in _run(demo_db, "types", "--limit", "0")
    assert "total CLV EUR " in _run(demo_db, "clv-report")


def test_an_amount_cell_rounds_a_half_away_from_zero() -> None:
    assert _render.amount(182.5) == "183"
    assert _render.amount(1093.94, "EUR") == "EUR 1,094"
    assert _render.amount(None) == "" and _render.amount(float("nan")) == ""
