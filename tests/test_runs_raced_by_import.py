"""A types or CLV run that an import overtakes is not taken for the shop's current one.

A run was stamped ``computed_at`` when it was stored. An import committed while the run was
computing (the server runs jobs and imports side by side) was then older than the run, so the
run that had not seen the import's customers was served as current until the next import.
A run is now stamped when its computation starts. Planted: the import lands between the run's
read of the data and its storing.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import shopperlens
from _ingest_data import write
from shopperlens.service import clv as clv_svc
from shopperlens.service import types as types_svc
from shopperlens.service import value_run

HEAD = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
AS_OF = "2024-07-01"


def _orders(prefix: str, customers: int, orders_each: int, first: date) -> str:
    """``orders_each`` orders per customer, a fortnight apart from ``first``, the last ones
    (customer by customer) on the last day of the file."""
    rows = []
    for c in range(customers):
        for k in range(orders_each + c % 3):
            day = first + timedelta(days=14 * k + c % 5)
            rows.append(f"{prefix}{c}-{k},{prefix}{c},{day},P{k % 4},1,{10 + c % 7}")
    return HEAD + "\n".join(rows) + "\n"


def test_a_types_run_overtaken_by_an_import_is_computed_again(tmp_path: Path) -> None:
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        shop.import_orders(write(tmp_path, "first.csv", _orders("C", 30, 2, date(2024, 3, 1))))
        late = write(tmp_path, "late.csv", _orders("NEW", 5, 1, date(2024, 6, 1)))

        def import_midway(n: int = 1, total: Any = None, description: Any = None) -> None:
            if description == "types and evidence":  # the features are read, not yet stored
                shop.import_orders(late)

        raced = types_svc.customer_types(store=shop.store, as_of=AS_OF, progress=import_midway)
        assert not raced["customer_id"].str.startswith("NEW").any()
        shown = types_svc.run_at(store=shop.store, as_of=AS_OF)
        assert shown.attrs["run_id"] != raced.attrs["run_id"]
        assert shown["customer_id"].str.startswith("NEW").sum() == 5


def test_a_clv_run_overtaken_by_an_import_is_not_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The racing import adds orders of customers the run knows, before its last day: the
    run's customer count and last day still match, so only the time tells it is stale."""
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        shop.import_orders(write(tmp_path, "first.csv", _orders("C", 120, 3, date(2024, 1, 1))))
        more = _orders("C", 120, 1, date(2024, 1, 8))  # the same customers, other order ids
        more = HEAD + "".join(f"x{line}\n" for line in more.splitlines()[1:])
        late = write(tmp_path, "late.csv", more)
        score = clv_svc._score

        def import_midway(*args: Any, **kwargs: Any) -> Any:
            shop.import_orders(late)  # the models are fitted, the run not yet stored
            return score(*args, **kwargs)

        monkeypatch.setattr(clv_svc, "_score", import_midway)
        clv_svc.customer_value(
            store=shop.store, horizon_days=value_run.REPORT_HORIZON_DAYS, save=True
        )
        monkeypatch.setattr(clv_svc, "_score", score)
        assert shop.store.scalar("SELECT count(*) FROM orders WHERE order_id LIKE 'x%'") > 0
        assert not value_run.is_current(store=shop.store)
