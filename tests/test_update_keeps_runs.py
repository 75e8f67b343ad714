"""``--update`` reaches back only as far as what the customer types read.

A later customers export read with ``--update`` changes stored rows; a stored types run stays
the shop's for its date unless a column the types read changed (the ledger's
``earliest_at``). The types read a customer's ``created_at`` (a customer exists from it) and
a product's name and category; a withdrawn marketing consent, a new country or a new price
changes no run.

Planted shop: C3 signed up 2023-12-01, C1 2024-01-10, C4 2024-01-10 (no orders, no visits),
C2 2024-04-01; C5 without a creation date and without activity. Orders: O1 C3 Green Tea
(2023-12-05), O2 C1 Green Tea (2024-01-20), O3 C3 Steel Mug (2024-02-10, the first of P1, its
line naming no category), O4 C2 Green Tea (2024-04-10). Runs are stored as of 2024-01-05,
2024-02-01 and 2024-03-15.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import shopperlens
from _ingest_data import write
from shopperlens.service import types as svc

CUSTOMER_HEAD = "customer_id,email,created_at,country,accepts_marketing\n"
CUSTOMER_ROWS = {
    "C1": "C1,c1@x.org,2024-01-10,DE,yes",
    "C2": "C2,c2@x.org,2024-04-01,FR,yes",
    "C3": "C3,c3@x.org,2023-12-01,NL,no",
    "C4": "C4,c4@x.org,2024-01-10,BE,yes",
    "C5": "C5,c5@x.org,,AT,yes",
}
ORDERS = (
    "order_id,customer_id,ordered_at,product_id,product_name,category,quantity,unit_price\n"
    "O1,C3,2023-12-05 10:00:00,P2,Green Tea,food,1,4.0\n"
    "O2,C1,2024-01-20 10:00:00,P2,Green Tea,food,1,4.0\n"
    "O3,C3,2024-02-10 10:00:00,P1,Steel Mug,,1,9.5\n"
    "O4,C2,2024-04-10 10:00:00,P2,Green Tea,food,2,4.0\n"
)
EVENTS = (
    "event_id,visitor_id,customer_id,timestamp,event_name,search_term\n"
    "e1,v1,C1,2024-01-15 10:00:00,page_view,\n"
    "e2,v1,C1,2024-01-15 10:04:00,page_view,\n"
    "e3,v9,,2024-02-05 12:00:00,page_view,\n"
)
SEARCHED = EVENTS + "e4,v9,,2024-02-05 12:02:00,view_search_results,steel mug\n"
PRODUCT_HEAD = "product_id,product_name,category,price\n"
PRODUCTS = PRODUCT_HEAD + "P1,Steel Mug,kitchen,9.5\nP2,Green Tea,food,4.0\n"
RUNS = [datetime(2024, 1, 5), datetime(2024, 2, 1), datetime(2024, 3, 15)]


def _customers(**changed: str) -> str:
    """The customers file, with the rows given as ``C1="C1,…"`` in place of the planted ones."""
    rows = {**CUSTOMER_ROWS, **changed}
    return CUSTOMER_HEAD + "".join(f"{row}\n" for row in rows.values())


def _planted(tmp_path: Path, events: str = EVENTS) -> Path:
    """The planted shop in a DuckDB file, with its runs stored."""
    db = tmp_path / "shop.duckdb"
    with shopperlens.open(db) as shop:
        shop.import_customers(write(tmp_path, "c.csv", _customers()))
        shop.import_orders(write(tmp_path, "o.csv", ORDERS))
        shop.import_events(write(tmp_path, "e.csv", events))
        shop.import_products(write(tmp_path, "p.csv", PRODUCTS))
        for day in RUNS:
            shop.types(as_of=day)
        assert _standing(shop) == RUNS
    return db


def _standing(shop: shopperlens.Shop) -> list[datetime]:
    """The planted runs' dates still standing (fresh) after the imports since."""
    return [day for day in svc.run_dates(store=shop.store) if day in RUNS]


def _reach(shop: shopperlens.Shop, name: str) -> datetime | None:
    """The ledger's ``earliest_at`` of the file ``name``."""
    return shop.store.scalar("SELECT earliest_at FROM imports WHERE file LIKE ?", [f"%{name}"])  # type: ignore[no-any-return]


def test_a_withdrawn_consent_keeps_every_run(cli, db_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """C1 now says no to marketing, C3 moved to Luxembourg: nothing the types read changed.
    The history of C1 (three dates) and the current run stand."""
    _planted(tmp_path).rename(db_path)
    with shopperlens.open(db_path) as shop:
        current = shop.latest_types().attrs["run_id"]
    later = _customers(C1="C1,c1@x.org,2024-01-10,DE,no", C3="C3,c3@x.org,2023-12-01,LU,no")
    res = cli("import", "customers", str(write(tmp_path, "later.csv", later)), "--update")
    assert res.exit_code == 0, res.output
    assert "updated: 2 stored row(s)" in res.output
    res = cli("types", "history", "C1")
    assert res.exit_code == 0, res.output
    for day in RUNS[1:]:  # (C1 signed up after the first)
        assert f"{day:%Y-%m-%d}" in res.output
    with shopperlens.open(db_path) as shop:
        assert [r.granted for r in shop.consents("C1")] == [False]  # the change did apply
        assert _standing(shop) == RUNS
        assert shop.latest_types().attrs["run_id"] == current


def test_an_earlier_creation_date_makes_the_runs_after_it_stale(tmp_path: Path) -> None:
    """C2 signed up on 1 March, not 1 April: the run as of 15 March should list C2 and is
    stale; the runs before 1 March stand."""
    db = _planted(tmp_path)
    with shopperlens.open(db) as shop:
        assert "C2" not in set(shop.types(as_of=RUNS[2], save=False)["customer_id"])
        earlier = _customers(C2="C2,c2@x.org,2024-03-01,FR,yes")
        res = shop.import_customers(write(tmp_path, "later.csv", earlier), update=True)
        assert res.updated == 1
        assert _reach(shop, "later.csv") == datetime(2024, 3, 1)
        assert _standing(shop) == RUNS[:2]
        assert "C2" in set(svc.run_at(store=shop.store, as_of=RUNS[2])["customer_id"])


def test_a_later_creation_date_reaches_back_to_the_stored_one(tmp_path: Path) -> None:
    """C4 (no orders, no visits) signed up on 20 February, not 10 January: the run as of
    1 February listed C4 and is stale; the run as of 5 January, before both dates, stands."""
    db = _planted(tmp_path)
    with shopperlens.open(db) as shop:
        later = _customers(C4="C4,c4@x.org,2024-02-20,BE,yes")
        shop.import_customers(write(tmp_path, "later.csv", later), update=True)
        assert _reach(shop, "later.csv") == datetime(2024, 1, 10)
        assert _standing(shop) == RUNS[:1]
        assert "C4" not in set(svc.run_at(store=shop.store, as_of=RUNS[1])["customer_id"])


def test_a_new_customer_beside_a_withdrawal_reaches_back_to_the_new_one(tmp_path: Path) -> None:
    """The export withdraws C1's consent and adds C6, who signed up on 1 March: only the run
    as of 15 March is stale."""
    db = _planted(tmp_path)
    with shopperlens.open(db) as shop:
        later = _customers(C1="C1,c1@x.org,2024-01-10,DE,no") + "C6,c6@x.org,2024-03-01,PL,yes\n"
        res = shop.import_customers(write(tmp_path, "later.csv", later), update=True)
        assert (res.updated, res.added) == (1, {"customers": 1, "consents": 1})
        assert _reach(shop, "later.csv") == datetime(2024, 3, 1)
        assert _standing(shop) == RUNS[:2]


def test_dating_a_customer_without_a_creation_date_reaches_any_date(tmp_path: Path) -> None:
    """C5 has no creation date and no activity, so every run listed C5. A re-sent export
    changing only C3's country keeps the runs; one dating C5 to 1 March takes C5 out of
    the runs before it: every run is stale."""
    db = _planted(tmp_path)
    with shopperlens.open(db) as shop:
        moved = _customers(C3="C3,c3@x.org,2023-12-01,LU,no")
        shop.import_customers(write(tmp_path, "moved.csv", moved), update=True)
        assert _standing(shop) == RUNS
        dated = _customers(C3="C3,c3@x.org,2023-12-01,LU,no", C5="C5,c5@x.org,2024-03-01,AT,yes")
        shop.import_customers(write(tmp_path, "dated.csv", dated), update=True)
        assert _reach(shop, "dated.csv") is None
        assert _standing(shop) == []


def test_a_new_category_reaches_back_to_the_products_first_order(tmp_path: Path) -> None:
    """A new price changes no run. P1's new category is the category of its order lines
    that name none, the first on 10 February (O3): the runs before it stand."""
    db = _planted(tmp_path)
    with shopperlens.open(db) as shop:
        priced = PRODUCT_HEAD + "P1,Steel Mug,kitchen,11.0\nP2,Green Tea,food,4.5\n"
        assert shop.import_products(write(tmp_path, "p2.csv", priced), update=True).updated == 2
        assert _standing(shop) == RUNS
        moved = PRODUCT_HEAD + "P1,Steel Mug,cups,11.0\nP2,Green Tea,food,4.5\n"
        assert shop.import_products(write(tmp_path, "p3.csv", moved), update=True).updated == 1
        assert _reach(shop, "p3.csv") == datetime(2024, 2, 10, 10, 0)
        assert _standing(shop) == RUNS[:2]


def test_a_renamed_product_reaches_any_date_when_visits_carry_search_terms(
    tmp_path: Path,
) -> None:
    """Which search words name a product depends on every product's name: with a visit
    searching "steel mug", P1 renamed makes every run stale (a new price still none)."""
    db = _planted(tmp_path, events=SEARCHED)
    with shopperlens.open(db) as shop:
        priced = PRODUCT_HEAD + "P1,Steel Mug,kitchen,11.0\n"
        shop.import_products(write(tmp_path, "p2.csv", priced), update=True)
        assert _standing(shop) == RUNS
        renamed = PRODUCT_HEAD + "P1,Enamel Mug,kitchen,11.0\n"
        shop.import_products(write(tmp_path, "p3.csv", renamed), update=True)
        assert _reach(shop, "p3.csv") is None
        assert _standing(shop) == []
