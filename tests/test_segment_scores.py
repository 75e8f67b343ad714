"""Segments may name each type's score, so an audience can reach what the primary type hides:
a loyal customer's first purchase in a new category, a new customer's impulsive first order.

Planted: c1 bought shoes six times over a year (loyal) and, 10 days before the run, a jacket
for the first time (new score 0.75, still loyal); c2 placed a first order 10 days before the
run (new, score 1); c3 bought socks twice long ago and nothing new.
"""

from __future__ import annotations

import pandas as pd
import pytest

import shopperlens
from _types_shopkit import ShopKit
from shopperlens.errors import ShopperlensError
from shopperlens.service.playbooks import audience_customers
from shopperlens.service.types import customer_types
from shopperlens.store import Store


def _kit() -> ShopKit:
    kit = ShopKit().customer("c1").customer("c2").customer("c3")
    for day in range(0, 360, 60):
        kit.order("c1", day, ("p1",))
    kit.order("c1", 370, ("p3",))
    kit.order("c2", 370, ("p2",))
    kit.order("c3", 10, ("p2",))
    kit.order("c3", 40, ("p2",))
    return kit


def _shop(store: Store) -> pd.DataFrame:
    _kit().write(store)
    return customer_types(store=store, as_of="2026-01-16", save=False)


def test_a_segment_selects_by_a_types_score(store: Store) -> None:
    types = _shop(store)
    by_id = types.set_index("customer_id")
    assert by_id.at["c1", "type"] == "loyal"
    assert by_id.at["c1", "score_new"] == pytest.approx(0.75)
    assert by_id.at["c2", "type"] == "new"
    hidden = audience_customers(store=store, segment="score_new >= 0.75 and type != 'new'",
                                types=types)  # fmt: skip
    assert hidden.customer_id.tolist() == ["c1"]
    every_new = audience_customers(store=store, segment="score_new >= 0.75", types=types)
    assert sorted(every_new.customer_id) == ["c1", "c2"]


def test_a_customer_without_a_score_is_selected_by_no_comparison(store: Store) -> None:
    """c4 has no row in the types run given: its scores are unknown, not 0."""
    types = _shop(store)
    store.execute("INSERT INTO customers (customer_id) VALUES ('c4')")
    for segment in ("score_loyal < 0.5", "not score_loyal >= 0.5"):
        chosen = audience_customers(store=store, segment=segment, types=types)
        assert "c4" not in set(chosen.customer_id), segment


def test_every_face_takes_a_score_segment(db_path, cli) -> None:  # type: ignore[no-untyped-def]
    with shopperlens.open(db_path) as shop:
        _shop(shop.store)
        shop.types()
        rows = shop.audience(segment="score_new >= 0.75 and type != 'new'")
    assert rows.customer_id.tolist() == ["c1"]
    res = cli("audience", "export", "--segment", "score_new >= 0.75 and type != 'new'",
              "--out", str(db_path.parent / "a.csv"))  # fmt: skip
    assert res.exit_code == 0, res.output
    assert pd.read_csv(db_path.parent / "a.csv").customer_id.tolist() == ["c1"]


def test_an_unknown_score_column_is_refused(store: Store) -> None:
    types = _shop(store)
    with pytest.raises(ShopperlensError, match="score_newz"):
        audience_customers(store=store, segment="score_newz >= 0.5", types=types)


def test_the_playbooks_name_whom_the_primary_type_hides(db_path) -> None:  # type: ignore[no-untyped-def]
    """The new playbook counts c1 (loyal, first jacket), the impulse playbook counts c5 (a first
    order from a flash-sale ad with a code, three minutes after landing: new leads while it is
    new); each count is what its printed segment selects."""
    with shopperlens.open(db_path) as shop:
        kit = _kit().customer("c5", "v5")
        kit.visit("v5", 369, medium="paid_social", campaign="flash", buy=("p4",), minutes=3)
        kit.order("c5", 369, ("p4",), discount="FLASH")
        kit.write(shop.store)
        types = shop.types().set_index("customer_id")
        assert types.at["c5", "type"] == "new" and types.at["c5", "score_impulse"] >= 0.5
        new = shop.playbook("new")
        impulse = shop.playbook("impulse")
        elsewhere = len(shop.audience(segment="score_new > 0 and type != 'new'"))
        impulsive = len(shop.audience(segment="type == 'new' and score_impulse >= 0.5"))
    assert (elsewhere, impulsive) == (1, 1)
    feedback = " ".join(next(a for a in new.actions if a.number == 2).evidence)
    assert "1 customer of another type just bought in a category new to them" in feedback
    assert "score_new > 0 and type != 'new'" in feedback
    urgency = " ".join(next(a for a in impulse.actions if a.number == 1).evidence)
    assert "1 new customer's first orders look impulsive too" in urgency
    assert "type == 'new' and score_impulse >= 0.5" in urgency
