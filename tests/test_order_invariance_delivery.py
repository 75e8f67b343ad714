"""Who a survey send invites, and why an upsell is proposed, do not depend on the order of the
imported rows nor on Python's string hashing (``PYTHONHASHSEED``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import shopperlens
from shopperlens.playbooks import recommend
from shopperlens.service import survey_delivery as dlv
from shopperlens.service import surveys
from shopperlens.surveys.definition import demo_profile

DEMO = "demo-profile"


def _write(path: Path, rows: list[str], header: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _shop(folder: Path, customers: list[str], orders: list[str]) -> Iterator[shopperlens.Shop]:
    """A shop holding ``customers`` and ``orders`` (CSV rows) imported in the order given."""
    folder.mkdir()
    shop = shopperlens.open(":memory:")
    shop.import_customers(
        _write(folder / "customers.csv", customers, "customer_id,email,accepts_marketing")
    )
    shop.import_orders(
        _write(
            folder / "orders.csv",
            orders,
            "order_id,customer_id,ordered_at,product_id,quantity,unit_price",
        )
    )
    surveys.ensure_builtin(store=shop.store)
    return shop


def _invited(shop: shopperlens.Shop, survey: str = DEMO) -> list[str]:
    rows = shop.store.df(
        "SELECT customer_id FROM survey_invitations WHERE survey = ? ORDER BY 1", [survey]
    )
    return list(rows["customer_id"])


_IDS = [f"C{i:02d}" for i in range(12)]
_CUSTOMERS = [f"{c},{c.lower()}@example.com,true" for c in _IDS]
_ORDERS = [f"O{c},{c},2025-03-01 10:00:00,P1,1,10" for c in _IDS]


@pytest.fixture
def two_orders(tmp_path: Path) -> Iterator[tuple[shopperlens.Shop, shopperlens.Shop]]:
    """The same customers and orders, imported once in file order and once reversed."""
    ahead = _shop(tmp_path / "a", _CUSTOMERS, _ORDERS)
    behind = _shop(tmp_path / "b", _CUSTOMERS[::-1], _ORDERS[::-1])
    yield ahead, behind
    ahead.close()
    behind.close()


def test_a_quota_samples_the_same_people_whatever_the_row_order(two_orders, smtp):
    """``--quota 4`` invited the first 4 rows of the customers file: C00–C03 read one way,
    C08–C11 read backwards."""
    _, settings = smtp
    picks = []
    for shop in two_orders:
        dry = dlv.send_invitations(
            store=shop.store, settings=settings, survey=DEMO, quota=4, dry_run=True
        )
        rep = dlv.send_invitations(store=shop.store, settings=settings, survey=DEMO, quota=4)
        assert (dry.invited, dry.over_quota) == (rep.invited, rep.over_quota) == (4, 8)
        picks.append(_invited(shop))
    assert picks[0] == picks[1]
    assert picks[0] not in (_IDS[:4], _IDS[-4:])  # a sample, not the lowest or highest ids


def test_a_quota_continues_its_sample_and_another_survey_samples_others(two_orders, smtp):
    _, settings = smtp
    ahead, behind = two_orders
    other = demo_profile().model_copy(update={"name": "other"})
    for shop in two_orders:
        surveys.save_survey(store=shop.store, survey=other)
        for _ in range(2):  # the quota is per audience: the second send adds none
            dlv.send_invitations(store=shop.store, settings=settings, survey=DEMO, quota=3)
        dlv.send_invitations(store=shop.store, settings=settings, survey="other", quota=3)
    assert _invited(ahead) == _invited(behind) and len(_invited(ahead)) == 3
    assert _invited(ahead, "other") == _invited(behind, "other")
    assert _invited(ahead, "other") != _invited(ahead)


def test_a_shared_inbox_is_reached_through_the_id_with_most_orders(tmp_path, smtp):
    """The first id of a shared address in the customers file got the invitation; now the id
    with the most orders does, and between equals the smallest id."""
    _, settings = smtp
    customers = [
        "F1,family@example.com,true",
        "F2,family@example.com,true",
        "F3,family@example.com,true",
        "T2,twins@example.com,true",
        "T1,twins@example.com,true",
    ]
    orders = [
        "O1,F2,2025-03-01 10:00:00,P1,1,10",
        "O2,F2,2025-03-02 10:00:00,P1,1,10",
        "O3,F3,2025-03-03 10:00:00,P1,1,10",
        "O4,T1,2025-03-04 10:00:00,P1,1,10",
        "O5,T2,2025-03-05 10:00:00,P1,1,10",
    ]
    for name, rows in (("a", customers), ("b", customers[::-1])):
        shop = _shop(tmp_path / name, rows, orders)
        rep = dlv.send_invitations(store=shop.store, settings=settings, survey=DEMO)
        assert (rep.sent, rep.same_address) == (2, 3)
        assert _invited(shop) == ["F2", "T1"]
        shop.close()


_UPSELL = [
    # X -> Z and Y -> Z both hold in 3 of the 7 orders with their antecedent (same support)
    *[f"A{i},A{i},2025-03-0{i + 1} 10:00:00,{p},1,10" for i in range(3) for p in "XZ"],
    *[f"B{i},B{i},2025-03-0{i + 4} 10:00:00,{p},1,10" for i in range(3) for p in "YZ"],
    *[f"C{i},C{i},2025-03-1{i} 10:00:00,X,1,10" for i in range(3)],
    *[f"D{i},D{i},2025-03-2{i} 10:00:00,Y,1,10" for i in range(3)],
    "K1,K,2025-04-01 10:00:00,X,1,10",
    "K2,K,2025-04-02 10:00:00,Y,1,10",
    *[f"W{i},E{i},2025-05-0{i} 10:00:00,W,1,10" for i in range(1, 7)],
]

_PICK = """
import json, sys
import shopperlens
shop = shopperlens.open(sys.argv[1], read_only=True)
print(json.dumps(shop.upsell_picks(customer_id="K").to_dict("records")))
"""


def test_the_upsell_reason_is_the_same_under_every_hash_seed(tmp_path):
    """Of two equal rules (X -> Z, Y -> Z) the first met while walking a set of product ids
    was kept: its order follows ``PYTHONHASHSEED``, so ``because`` was X in one run, Y in the
    next. Now the tie goes to the higher support, then the antecedent first in text order."""
    db = tmp_path / "u.duckdb"
    orders = _write(
        tmp_path / "orders.csv",
        _UPSELL,
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price",
    )
    with shopperlens.open(str(db)) as shop:
        shop.import_orders(orders)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _PICK, str(db)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in ("1", "2", "3", "6")
    ]
    runs = [json.loads(proc.communicate(timeout=120)[0]) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    assert all(run == runs[0] for run in runs)
    assert [(p["product_id"], p["because"]) for p in runs[0]] == [("Z", "X")]


def test_of_equal_confidence_rules_the_higher_support_gives_the_reason():
    rules = pd.DataFrame(
        {
            "antecedents": [frozenset({"A"}), frozenset({"B"}), frozenset({"A", "B"})],
            "consequents": [frozenset({"Z"})] * 3,
            "confidence": [0.5, 0.5, 0.5],
            "support": [0.1, 0.2, 0.05],
        }
    )
    owned = pd.DataFrame({"customer_id": ["k", "k"], "product_id": ["A", "B"]})
    for frame in (rules, rules.iloc[::-1]):
        picks = recommend.upsell_picks(owned, frame)
        assert picks[["product_id", "because"]].values.tolist() == [["Z", "B"]]
