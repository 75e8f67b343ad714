"""Search terms and product names are read as words of any script: a Russian shop's
"альпина" names its tent, and "schlafsäcke" is one word, not "schlafs" and "cke". The typing
(Ibis, on DuckDB here and on Spark in test_types_spark) and the keyword table (Python) split
a text into the same words."""

from __future__ import annotations

from datetime import timedelta

import ibis

from _types_shopkit import T0, ShopKit
from shopperlens.features import behaviour_features
from shopperlens.playbooks import traffic
from shopperlens.store import Store

TEXTS = ["Schlafsäcke für Kinder", "ÑANDÚ daypack 2", "Палатка Альпина-2", "Ελληνικά κάμπινγκ",
         "crème brûlée", "rain_jacket pro", "größe 42½", "山 テント", "ΣΑΚΟΣ ΥΠΝΟΥ σακος",
         "İSTANBUL ÇANTA"]  # fmt: skip


def engine_words(con) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The features' words of each of :data:`TEXTS` on ``con`` (an Ibis backend)."""
    from shopperlens.features.behaviour import _words

    t = ibis.memtable({"i": list(range(len(TEXTS))), "s": TEXTS})
    out = con.execute(t.select("i", w=_words(t.s)))
    return [sorted(out.w[out.i == i]) for i in range(len(TEXTS))]


def python_words() -> list[list[str]]:
    return [sorted(traffic._words(s)) for s in TEXTS]


def test_the_features_and_the_keyword_table_split_alike() -> None:
    assert engine_words(ibis.duckdb.connect()) == python_words()
    assert python_words()[:3] == [
        ["für", "kinder", "schlafsäcke"], ["2", "daypack", "ñandú"], ["2", "альпина", "палатка"],
    ]  # fmt: skip
    # a Greek word's last Σ and the Turkish İ lower-case alike everywhere (Spark and Python
    # wrote "σακος" and "i̇stanbul", DuckDB "σακοσ" and "istanbul")
    assert python_words()[-2:] == [["σακοσ", "σακοσ", "υπνου"], ["istanbul", "çanta"]]


def test_a_greek_term_typed_with_its_final_sigma_names_its_product(store: Store) -> None:
    """The shopper types "σακος" (ς at the end, as Greek is written); the product is "ΣΑΚΟΣ
    ΥΠΝΟΥ", which DuckDB lower-cased to "σακοσ": the term named no product."""
    kit = ShopKit()
    kit.visit("v1", 0, medium="organic", term="σακος", pages=2)
    kit.write(store)
    store.execute("UPDATE products SET product_name = 'ΣΑΚΟΣ ΥΠΝΟΥ' WHERE product_id = 'p1'")
    f = behaviour_features(store, as_of=T0 + timedelta(days=60)).execute().set_index("subject_id")
    assert f.at["visitor:v1", "product_terms"] == 1


def test_a_russian_search_names_its_product(store: Store) -> None:
    kit = ShopKit()
    kit.visit("v1", 0, medium="organic", term="альпина", pages=2)
    kit.visit("v2", 1, medium="organic", term="палатка", pages=2)
    kit.write(store)
    store.execute(
        "UPDATE products SET product_name = 'Палатка Альпина 2', category = 'палатки' "
        "WHERE product_id = 'p1'"
    )
    store.execute("UPDATE products SET product_name = 'Палатка Буря 3' WHERE product_id = 'p3'")
    f = behaviour_features(store, as_of=T0 + timedelta(days=60)).execute().set_index("subject_id")
    # "альпина" is in one product name, "палатка" in two (and no category is "палатка")
    assert f.at["visitor:v1", "product_terms"] == 1
    assert f.at["visitor:v2", "product_terms"] == 1
    products = store.df("SELECT product_name, category FROM products")
    classify = traffic.KeywordClassifier(products.product_name, products.category)
    assert (classify("альпина"), classify("палатка"), classify("палатки")) == (
        "product", "product", "category",
    )  # fmt: skip
