"""The need-based playbook counts the "frequently bought together" lists the shop sees.

The playbook counted products with a list from the association rules, which keep only rules of
confidence 0.1 or more, while ``frequently_bought_together`` (the report's table, ``recommend
together``, HTTP) lists every pair bought together in 3 or more orders more often than apart:
on the demo the playbook said 50 products have a list and every face gave lists for all 60.
"""

from __future__ import annotations

import pandas as pd

from _types_shopkit import ShopKit
from shopperlens.service import playbooks as svc
from shopperlens.store import Store


def _shop() -> ShopKit:
    """40 orders: p1 in 35, p2 in 3 (all with p1), p3 alone in 5. p1 → p2 is 3 of 35 orders
    (confidence 0.086, lift 40·3 / (35·3) = 1.14): p1's list holds p2 though no rule of
    confidence 0.1 does; p2 → p1 is 3 of 3. So two products have a list, p1 and p2."""
    kit = ShopKit()
    for i in range(40):
        cid = f"c{i}"
        kit.customer(cid)
        products = ("p3",) if i >= 35 else ("p1", "p2") if i < 3 else ("p1",)
        kit.order(cid, i, products)
    return kit


def test_the_playbook_counts_the_lists_the_shop_shows(store: Store) -> None:
    _shop().write(store)
    lists = svc.frequently_bought_together(store=store)
    assert sorted(lists.product_id.unique()) == ["p1", "p2"]
    assert set(svc.carousels(store=store).product_id) == {"p1", "p2"}
    types = pd.DataFrame(
        {"customer_id": [f"c{i}" for i in range(40)], "visitor_id": None, "type": "need_based"}
    )
    pb = svc.playbook(store=store, types=types, type="need_based")
    evidence = [e for a in pb.actions for e in a.evidence]
    assert "2 products have a “frequently bought together” list" in evidence
