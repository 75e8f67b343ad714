"""The engine setting is checked when it is read and followed by every face that computes a
types run: ``SHOPPERLENS_ENGINE=bogus`` ran every command and ``serve`` and was refused only by
``types``; ``types --engine spark moves`` (and ``latest_types``, ``GET /api/types?as_of=``)
computed their runs on DuckDB, and ``--engine bogus moves`` was taken without a word."""

from __future__ import annotations

import pytest

import shopperlens
from _types_shopkit import ShopKit
from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError


def test_an_unknown_engine_is_refused_when_the_settings_are_read(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHOPPERLENS_ENGINE", "bogus")
    with pytest.raises(ShopperlensError, match="SHOPPERLENS_ENGINE=bogus is not an engine"):
        Settings()
    res = cli("tables")
    assert res.exit_code == 1
    assert res.stderr.strip() == (
        "error: SHOPPERLENS_ENGINE=bogus is not an engine: use duckdb or spark"
    )
    monkeypatch.setenv("SHOPPERLENS_ENGINE", " Spark ")
    assert Settings().engine == "spark"


def test_types_engine_is_checked_for_its_subcommands_too(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("types", "--engine", "bogus", "moves", "--from", "2025-01-01", "--to", "2025-02-01")
    assert res.exit_code == 1
    assert res.stderr.strip() == "error: --engine bogus is not an engine: use duckdb or spark"


@pytest.mark.spark
def test_moves_and_the_latest_run_are_computed_on_the_engine_set(store, spark) -> None:  # type: ignore[no-untyped-def]
    ShopKit().customer("c1").visit("v3", 1, pages=6).visit("v4", 40, pages=2).write(store)
    shop = shopperlens.Shop(store, Settings(engine="spark"))
    shop.type_moves("2025-01-20", "2025-03-01")
    shop.latest_types()
    engines = store.df("SELECT as_of, engine FROM type_runs ORDER BY as_of")
    assert len(engines) == 3 and set(engines.engine) == {"spark"}, engines
