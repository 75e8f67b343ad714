"""Order lines that are no product (postage, fees) named once in the products file with
``merchandise`` false: every computation about products leaves them out, money keeps them.

The planted shop books postage (``SHIP``) as an order line in 7 of its 11 orders: without the
setting it is a product of its own category, in a basket rule with the tent and the stove,
proposed to the customer who bought a tent, an item of those baskets and, for C5, a category
first bought on the second order, and C7's first category.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from shopperlens.features import behaviour_features
from shopperlens.service import overview
from shopperlens.service import playbooks as svc
from shopperlens.service.clv import _levels
from shopperlens.service.survey_delivery import new_category_buyers
from shopperlens.store import Store
from shopperlens.types import load_config
from test_partial_data import imported

PRODUCTS = """product_id,product_name,category,price,merchandise
P1,Alpine Tent,tents,200,
P2,Camp Stove,cooking,50,true
P3,Headlamp,lighting,25,
SHIP,Postage,shipping,5,{flag}
"""
#: (order, customer, day, products): postage in O1–O6, O9 and first on O12
BASKETS = (
    ("O1", "C1", 1, ("P1", "SHIP")),
    ("O2", "C1", 40, ("P2", "SHIP")),
    ("O3", "C2", 2, ("P1", "SHIP")),
    ("O4", "C2", 41, ("P2", "SHIP")),
    ("O5", "C3", 3, ("P1", "SHIP")),
    ("O6", "C3", 42, ("P2", "SHIP")),
    ("O7", "C4", 4, ("P1", "P3")),
    ("O8", "C5", 5, ("P3",)),
    ("O9", "C5", 50, ("P3", "SHIP")),
    ("O10", "C6", 6, ("P3",)),
    ("O11", "C6", 7, ("P3",)),
    ("O12", "C7", 8, ("SHIP", "P2")),
)
PRICES = {"P1": 200.0, "P2": 50.0, "P3": 25.0, "SHIP": 5.0}
AS_OF = datetime(2025, 4, 1)


def _orders() -> str:
    start = datetime(2025, 1, 1, 10)
    head = "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency,status\n"
    return head + "".join(
        f"{order},{customer},{start + timedelta(days=day)},{p},1,{PRICES[p]},EUR,paid\n"
        for order, customer, day, products in BASKETS
        for p in products
    )


@pytest.fixture(params=[True, False], ids=["postage-named", "postage-not-named"])
def flagged(request, shop, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The planted shop, its postage named no merchandise (True) or not (False)."""
    flag = "false" if request.param else ""
    imported(shop, tmp_path, products=PRODUCTS.format(flag=flag), orders=_orders())
    return request.param, shop.store


def _in_rules(rules: pd.DataFrame, product: str) -> bool:
    return any(product in a | c for a, c in zip(rules.antecedents, rules.consequents, strict=True))


def test_best_sellers_and_categories_leave_postage_out_and_revenue_keeps_it(flagged) -> None:  # type: ignore[no-untyped-def]
    named, store = flagged
    shown = overview.overview(store=store)
    categories = dict(shown.top_categories)
    assert shown.revenue == 4 * 200 + 4 * 50 + 5 * 25 + 8 * 5  # every line charged
    assert ("shipping" in categories) is not named
    assert (shown.products, shown.categories) == ((3, 3) if named else (4, 4))


def test_basket_rules_lists_and_picks_leave_postage_out(flagged) -> None:  # type: ignore[no-untyped-def]
    named, store = flagged
    assert _in_rules(svc.basket_rules(store=store), "SHIP") is not named
    lists = svc.frequently_bought_together(store=store)
    assert ("SHIP" in set(lists.product_id) | set(lists.recommended_id)) is not named
    picks = svc.upsell_picks(store=store, customer_id="C4")
    assert ("SHIP" in set(picks.product_id)) is not named


def test_basket_size_and_new_categories_leave_postage_out(flagged) -> None:  # type: ignore[no-untyped-def]
    named, store = flagged
    feats = behaviour_features(store, as_of=AS_OF, spec=load_config().feature_spec()).execute()
    by = feats.set_index("customer_id")
    assert by.loc["C1", "items_per_order"] == (1 if named else 2)
    assert by.loc["C1", "categories_per_order"] == (1 if named else 2)
    assert by.loc["C1", "monetary"] == 260  # the order value keeps the postage
    # C5's second order adds only postage to the lamp: no new category once postage is none
    new = by.loc["C5", "new_category"]
    assert pd.isna(new) if named else new == "shipping"
    assert by.loc["C5", "categories"] == (1 if named else 2)
    fresh = new_category_buyers(store, datetime(2025, 1, 1))
    assert fresh == ({"C1", "C2", "C3"} if named else {"C1", "C2", "C3", "C5"})
    first = _levels(store, "category", pd.Timestamp(AS_OF))  # CLV's first-category effect
    assert first["C7"] == ("cooking" if named else "shipping")


@pytest.mark.spark
def test_spark_leaves_postage_out_as_duckdb_does(shop, tmp_path: Path, spark) -> None:  # type: ignore[no-untyped-def]
    from shopperlens.store.spark import spark_source

    imported(shop, tmp_path, products=PRODUCTS.format(flag="false"), orders=_orders())
    store: Store = shop.store
    duck = svc.frequently_bought_together(store=store)
    sp = svc.frequently_bought_together(store=store, engine="spark", spark_session=spark)
    pd.testing.assert_frame_equal(duck, sp, check_dtype=False)
    assert "SHIP" not in set(sp.recommended_id)
    spec = load_config().feature_spec()
    feats = behaviour_features(store, as_of=AS_OF, spec=spec).execute()
    with spark_source(store, spark) as src:
        on_spark = behaviour_features(src, as_of=AS_OF, spec=spec).execute()
    pd.testing.assert_frame_equal(
        feats.reset_index(drop=True), on_spark.reset_index(drop=True), check_dtype=False
    )
    assert on_spark.set_index("customer_id").loc["C1", "items_per_order"] == 1


def test_personas_describe_purchases_without_postage_and_revenue_with_it(flagged) -> None:  # type: ignore[no-untyped-def]
    from shopperlens.service.personas import _enrich

    named, store = flagged
    respondents = pd.DataFrame({"respondent": ["r1", "r7"], "customer_id": ["C1", "C7"]})
    out = _enrich(store, respondents).set_index("customer_id")
    assert out.loc["C1", "revenue"] == 200 + 50 + 2 * 5  # postage was paid for
    assert ("shipping" in out.loc["C1", "categories_bought"]) is not named
    assert ("Postage" in out.loc["C7", "products_bought"]) is not named
    assert out.loc["C7", "categories_bought"] == (["cooking"] if named else ["cooking", "shipping"])
