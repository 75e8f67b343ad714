""" "Bought the product searched for" (the need-based signal ``search_match_share``): a term
matched a bought product sharing any one word with it, and a product carted then taken out of
the cart counted as bought. A visitor who searched "trail running shoe", carted the shoe, took
it out and bought socks — and one who bought a Trail Mix Bar — both read "bought exactly the
product searched for". A bought product now matches when its name and category hold more than
half of the term's catalogue words, and a product removed as often as it was added is not
bought."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

import shopperlens
from shopperlens.features import behaviour_features
from shopperlens.service import types as svc
from shopperlens.types import load_config

PRODUCTS = """product_id,product_name,category
P01,Trail Running Shoe,shoes
P02,Merino Wool Sock,socks
P06,Trail Mix Bar,food
P07,Alpine Tent,tents
P08,Alpine Boot,boots
"""

#: visitor -> (search term, [(event, product)] after the search); every visit buys
VISITS = {
    "swapped": ("trail running shoe", [("add_to_cart", "P01"), ("remove_from_cart", "P01"),
                                       ("add_to_cart", "P02"), ("purchase", "")]),
    "one_word": ("trail running shoe", [("add_to_cart", "P06"), ("purchase", "")]),
    "exact": ("trail running shoe", [("add_to_cart", "P01"), ("purchase", "")]),
    "category": ("merino socks", [("add_to_cart", "P02"), ("purchase", "P02")]),
    "half": ("alpine tent", [("add_to_cart", "P08"), ("purchase", "")]),
    "readded": ("alpine tent", [("add_to_cart", "P07"), ("remove_from_cart", "P07"),
                                ("add_to_cart", "P07"), ("purchase", "")]),
}  # fmt: skip
MATCHED = {"exact", "category", "readded"}


def _shop(tmp_path: Path) -> shopperlens.Shop:
    (tmp_path / "products.csv").write_text(PRODUCTS)
    rows = [
        "event_id,visitor_id,customer_id,timestamp,event_name,product_id,utm_medium,search_term"
    ]
    orders = ["order_id,customer_id,ordered_at,product_id,quantity,unit_price"]
    for day, (who, (term, steps)) in enumerate(VISITS.items(), start=1):
        at = f"2025-05-{day:02d} 10:"
        rows.append(f"{who}-0,{who},{who},{at}00:00,view_search_results,,organic,{term}")
        for i, (name, product) in enumerate(steps, start=1):
            rows.append(f"{who}-{i},{who},{who},{at}{i:02d}:00,{name},{product},organic,")
        kept = [p for n, p in steps if n == "add_to_cart"][-1]
        orders.append(f"o-{who},{who},{at}30:00,{kept},1,10")
    (tmp_path / "events.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "orders.csv").write_text("\n".join(orders) + "\n")
    shop = shopperlens.open(tmp_path / "s.duckdb")
    shop.import_files("products", tmp_path / "products.csv")
    shop.import_files("events", tmp_path / "events.csv")
    shop.import_files("orders", tmp_path / "orders.csv")
    return shop


def test_only_the_product_the_term_names_is_a_match(tmp_path: Path) -> None:
    with _shop(tmp_path) as shop:
        f = svc.features(store=shop.store, as_of=datetime(2025, 6, 1)).set_index("customer_id")
    assert (f.loc[list(VISITS), "searched_purchases"] == 1).all()  # every visit searched, bought
    matched = set(f.index[f["search_matched_purchases"] == 1])
    assert matched == MATCHED


@pytest.mark.spark
def test_spark_matches_the_same_visits(tmp_path: Path, spark) -> None:  # type: ignore[no-untyped-def]
    from shopperlens.store.spark import spark_source

    spec, as_of = load_config().feature_spec(), datetime(2025, 6, 1)
    with _shop(tmp_path) as shop:
        duck = behaviour_features(shop.store, as_of=as_of, spec=spec).execute()
        with spark_source(shop.store, spark) as src:
            sp = behaviour_features(src, as_of=as_of, spec=spec).execute()
    cols = ["customer_id", "searched_purchases", "search_matched_purchases"]
    duck, sp = (f[cols].sort_values("customer_id", ignore_index=True) for f in (duck, sp))
    assert set(duck.customer_id[duck.search_matched_purchases == 1]) == MATCHED
    pd.testing.assert_frame_equal(duck, sp, check_dtype=False)
