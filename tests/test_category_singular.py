"""A category's word in the other number names a kind of thing, not a product.

In a shop whose categories are "tents", "jackets" and "sleeping bags", with two products
each, a search for "tent", "jacket" or "sleeping bag" asks for a kind of thing the shop sells,
whatever the count of names the word is in; "alpine tent" names the one Alpine tent. The
keyword table of the playbooks and the customer types' "search terms naming a product" read
every term alike (as ``test_keyword_intent_agrees`` holds them), and the benchmark's pandas
peer counts the same terms as the types.

Planted: one searching visitor per term over the catalogue below. Which terms name a product
is known by reading the names: "alpine", "storm" and "arctic" are each in one product's name
and in no category; "rain" is in none.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from _types_shopkit import COLUMNS, T0, ShopKit, insert_frames
from shopperlens.features import behaviour_features
from shopperlens.playbooks import traffic
from shopperlens.service.playbooks import keyword_classifier
from shopperlens.store import Store
from shopperlens.types import load_config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's benchmarks/

from benchmarks import bench_types  # noqa: E402

CATALOGUE = pd.DataFrame(
    [
        ("p1", "Alpine Tent 2P", "tents"),
        ("p2", "Dome Tent 3P", "tents"),
        ("p3", "Storm Shell Jacket", "jackets"),
        ("p4", "Summit Down Jacket", "jackets"),
        ("p5", "Arctic Sleeping Bag", "sleeping bags"),
        ("p6", "Summer Sleeping Bag", "sleeping bags"),
    ],
    columns=["product_id", "product_name", "category"],
)

TERMS = {
    "tent": "category",  # two tents are still tents: "tent" is the category "tents"
    "tents": "category",
    "jacket": "category",
    "rain jacket": "category",  # "rain" is in no product's name
    "sleeping bag": "category",  # "bag" is the category's "bags"
    "alpine tent": "product",  # "alpine" is in one product's name
    "storm jacket": "product",
    "arctic sleeping bag": "product",
}
PRODUCT_TERMS = {term for term, intent in TERMS.items() if intent == "product"}
AS_OF = T0 + timedelta(days=60)


@pytest.fixture
def shop(store: Store) -> Store:
    """The catalogue, one visitor (``v<i>``) per term, come from a search engine, and a
    customer who ordered a tent and a week later a jacket, in visits without searching (the
    benchmark's pandas peer reads a shop of orders placed in visits, in new categories)."""
    kit = ShopKit()
    for i, term in enumerate(TERMS):
        kit.visit(f"v{i}", i, medium="organic", term=term, pages=2)
    kit.customer("c1")
    for n, (day, product) in enumerate(((1, "p1"), (8, "p3")), start=1):
        kit.visit("c1", day, views=(product,), customer="c1")
        at = T0 + timedelta(days=day, minutes=3)
        kit.rows["orders"].append({"order_id": f"o{n}", "customer_id": "c1", "ordered_at": at})
        kit.rows["order_lines"].append({"order_id": f"o{n}", "line_no": 1,
                                        "product_id": product, "quantity": 1,
                                        "unit_price": 100.0})  # fmt: skip
    insert_frames(store, {k: pd.DataFrame(v, columns=COLUMNS[k]) for k, v in kit.rows.items()})
    insert_frames(store, {"products": CATALOGUE})
    return store


def _counted(features: pd.DataFrame) -> set[str]:
    """The terms whose visitor has a search term naming a product."""
    f = features.set_index("subject_id")
    return {t for i, t in enumerate(TERMS) if int(f.at[f"visitor:v{i}", "product_terms"]) == 1}


def test_the_keyword_table_reads_a_category_word_in_either_number(shop: Store) -> None:
    sessions = pd.DataFrame(
        {
            "keyword": list(TERMS),
            "visitor_id": [f"v{i}" for i in range(len(TERMS))],
            "purchased": False,
            "revenue": 0.0,
        }
    )
    table = traffic.keyword_table(sessions, keyword_classifier(store=shop))
    assert dict(zip(table.keyword, table.intent, strict=True)) == TERMS


def test_the_types_count_only_the_terms_naming_one_product(shop: Store) -> None:
    spec = load_config().feature_spec()
    f = behaviour_features(shop, as_of=AS_OF, spec=spec).execute()
    assert int(f.search_terms.sum()) == len(TERMS)
    assert _counted(f) == PRODUCT_TERMS


def test_the_benchmarks_pandas_peer_counts_the_same_terms(shop: Store) -> None:
    d = {t: shop.df(f'SELECT * FROM "{t}"') for t in bench_types.TABLES}
    peer = bench_types.pandas_features(d, AS_OF, load_config().feature_spec())
    assert _counted(peer) == PRODUCT_TERMS


@pytest.mark.spark
def test_spark_counts_the_same_terms(shop: Store, spark) -> None:  # type: ignore[no-untyped-def]
    from shopperlens.store.spark import spark_source

    spec = load_config().feature_spec()
    with spark_source(shop, spark) as src:
        f = behaviour_features(src, as_of=AS_OF, spec=spec).execute()
    assert _counted(f) == PRODUCT_TERMS


def test_a_category_word_in_the_other_number_is_never_guessed_as_the_brand() -> None:
    """No brand configured: "tent" is the top word of the keywords, but the shop sells tents
    (category "tents"), so the brand guessed is "trailhead", the next word of two keywords."""
    classify = traffic.KeywordClassifier(
        ["Alpine Dome 2P", "Ridge Dome 3P"], ["tents"], (), set(traffic.INFORMATIONAL_WORDS)
    )
    keywords = pd.Series(["tent deals", "tent sale", "trailhead shop", "trailhead outlet"])
    visits = pd.Series([50, 40, 30, 20])
    assert traffic.guess_brand_words(keywords, visits, classify) == ("trailhead",)
