"""Stored types runs made before an import of earlier data are said, not silently dropped.

c1 buys every 45 days in 2025; the types are stored as of 1 February and 1 April. Then a
file refunds c1's first order (of 30 January): both runs typed an order that is no longer a
purchase, so they are out of date and left out of the history and the report's movements.
Every face counts those two runs and says how to recompute them; before, ``types history``
printed an empty table (exit 0) and the report listed the runs left as all that was stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from _types_shopkit import T0, ShopKit
from shopperlens import Shop
from shopperlens.errors import NotFoundError
from shopperlens.features import default_as_of
from shopperlens.reports import site
from shopperlens.service import types as types_svc
from shopperlens.store import Store, connect
from test_partial_data import said

#: the runs stored before the refund arrived (both as of dates after the refunded order)
OUT_OF_DATE = ("2025-02-01", "2025-04-01")
#: how every face counts them
COUNTED = "2 stored runs for 2 dates (2025-02-01, 2025-04-01) were made under other types rules"
STALE = "or before an import of earlier data"
RECOMPUTE = "`shopperlens types --as-of DATE` recomputes a date under the current rules"


def _shop_with_runs(store: Store) -> str:
    """c1 (visitor v1) orders every 45 days from 30 January; two runs are stored under the
    current rules. Returns the id of the first order."""
    kit = ShopKit().customer("c1", "v1")
    first = ""
    for i in range(6):
        kit.visit("v1", 29 + 45 * i, pages=2, views=("p1",), cart=("p1",), buy=("p1",))
        oid = kit.order("c1", 29 + 45 * i, ("p1",))
        first = first or oid
    kit.write(store)
    for as_of in OUT_OF_DATE:
        types_svc.customer_types(store=store, as_of=as_of)
    return first


def _refund_file(tmp_path: Path, order_id: str) -> Path:
    """The shop's export of the first order, now refunded (the newest import wins)."""
    day = f"{T0.replace(day=30, hour=11):%Y-%m-%d %H:%M:%S}"
    path = tmp_path / "refund.csv"
    path.write_text(
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency,status\n"
        f"{order_id},c1,{day},p1,1,120.00,EUR,refunded\n"
    )
    return path


def test_history_says_the_runs_made_before_an_import_of_earlier_data(
    shop: Shop, client: Any, tmp_path: Path
) -> None:
    first = _shop_with_runs(shop.store)
    assert [f"{d:%Y-%m-%d}" for d in shop.type_history("c1")["as_of"]] == list(OUT_OF_DATE)
    shop.import_orders(_refund_file(tmp_path, first))

    # no run is left: refused with the count and the way back (it read "never typed")
    with pytest.raises(NotFoundError) as err:
        shop.type_history("c1")
    refused = str(err.value)
    assert refused.startswith("no run of 'c1' under the current types rules on the current data")
    assert COUNTED in refused and STALE in refused and RECOMPUTE in refused
    res = client.get("/api/types/c1/history")
    assert res.status_code == 404 and COUNTED in res.json()["detail"]

    # one date recomputed: the other is still said under the history
    types_svc.customer_types(store=shop.store, as_of="2025-02-01")
    found = shop.type_history("c1")
    assert [f"{d:%Y-%m-%d}" for d in found["as_of"]] == ["2025-02-01"]
    note = found.attrs["other_runs_note"]
    assert note.startswith("1 stored run for 1 date (2025-04-01) was made under other types rules")
    assert STALE in note and RECOMPUTE in note
    listed = client.get("/api/types/c1/history")  # rows in the body, the sentence in a header
    assert [h["as_of"][:10] for h in listed.json()] == ["2025-02-01"]
    assert listed.headers["X-Shopperlens-Note"] == note.replace("…", "...")
    explained = client.get("/api/types/c1/explain").json()  # stores the current run too
    assert explained["history_note"] == note
    assert [h["as_of"][:10] for h in explained["history"]] == [
        "2025-02-01",
        f"{default_as_of(shop.store):%Y-%m-%d}",
    ]


def test_cli_history_says_the_runs_made_before_an_import_of_earlier_data(
    cli: Any, db_path: Path, tmp_path: Path
) -> None:
    with connect(db_path) as store:
        first = _shop_with_runs(store)
    assert cli("import", "orders", str(_refund_file(tmp_path, first))).exit_code == 0
    res = cli("types", "history", "c1")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert COUNTED in said(res.output) and STALE in said(res.output)
    with connect(db_path) as store:
        types_svc.customer_types(store=store, as_of="2025-02-01")
    res = cli("types", "history", "c1")
    out = said(res.output)
    assert res.exit_code == 0 and "2025-02-01" in out
    assert "note: 1 stored run for 1 date (2025-04-01) was made under other types rules" in out
    assert STALE in out


def test_report_movements_count_the_runs_left_out(shop: Shop, tmp_path: Path) -> None:
    first = _shop_with_runs(shop.store)
    shop.import_orders(_refund_file(tmp_path, first))
    types_svc.customer_types(store=shop.store, as_of="2025-03-01")  # after the import
    page = site.find("types")
    assert page is not None
    ctx = page.build(shop.store, None)  # stores the current run: two runs to compare
    now = f"{default_as_of(shop.store):%Y-%m-%d}"
    assert ctx["runs"] == ["2025-03-01", now]
    assert ctx["moves"] is not None
    note = ctx["moves_note"]
    assert COUNTED in note and STALE in note and RECOMPUTE in note, note
    html = site.render(page, ctx, [])
    assert "Stored runs: 2025-03-01, " + now in html
    assert "Not among them: 2 stored runs for 2 dates (2025-02-01, 2025-04-01)" in html
    assert html.count("<h2>Movements") == 1
